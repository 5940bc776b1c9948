# End-to-end suite and benchmark on real software (issue 5): distribution upstream + pull-through cache,
# a private containerd, iptables blackholes on loopback, and the built agent. Needs root on Debian;
# without it every scenario skips and says why.
.PHONY: e2e bench

# One file at a time: scenarios measure containerd's behaviour and must not compete for the 2 cores.
# CMA_AGENT_BIN=<executable> runs them against another agent, e.g. the packaged one (.ci/run does).
e2e: node_modules/.installed test-deps build $(if $(CMA_AGENT_BIN),binary)
	node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(E2E_TESTS)

# On the shipped runtime: the packaged executable, and the in-process figures on the Node it embeds.
bench: node_modules/.installed test-deps build binary
	CMA_AGENT_BIN=$(PACKAGED_AGENT) $(SHIPPED_NODE_BIN)/node --import tsx bench/main.ts
