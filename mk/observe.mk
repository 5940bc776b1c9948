# Logger, metrics, HTTP endpoints, systemd notifications: `make test-observe` runs only these tests.
.PHONY: test-observe
test-observe: node_modules/.installed
	$(NODE_TEST) $(sort $(wildcard test/observe/*.test.ts))
