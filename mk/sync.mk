.PHONY: test-sync
# The sync room alone: 50-swap consistency with a live `run`, credentials, kill -9, manifests (about 40 s).
test-sync: node_modules/.installed
	$(NODE_TEST) test/sync/*.test.ts
