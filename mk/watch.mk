# Watch room: config/credential source watching (src/watch).
.PHONY: test-watch
test-watch: node_modules/.installed
	$(NODE_TEST) test/watch/*.test.ts
