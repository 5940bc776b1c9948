.PHONY: test-apply
# The apply room alone: atomic writer, ownership, backups, restore, kill -9 test (about 40 s).
test-apply: node_modules/.installed
	$(NODE_TEST) test/apply/*.test.ts
