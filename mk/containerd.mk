# containerd room: config.toml goldens, restart policy, doctor, and the real containerd check (root only).
.PHONY: test-containerd update-golden-containerd
test-containerd: node_modules/.installed
	$(NODE_TEST) test/containerd/*.test.ts

update-golden-containerd: node_modules/.installed
	UPDATE_GOLDEN=1 $(NODE_TEST) test/containerd/config-toml.test.ts
