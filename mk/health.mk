# Probe, state machine and probe-loop tests only (real loopback servers; the iptables ones skip without root).
.PHONY: test-health
test-health: node_modules/.installed
	$(NODE_TEST) $(sort $(wildcard test/health/*.test.ts))
