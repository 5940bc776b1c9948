# Render room: hosts.toml goldens, property test and the real-containerd check.
.PHONY: test-render update-golden-render
test-render: node_modules/.installed
	$(NODE_TEST) test/render/*.test.ts

update-golden-render: node_modules/.installed
	UPDATE_GOLDEN=1 $(NODE_TEST) test/render/golden.test.ts
