# End-to-end suite and benchmark on real software (issue 5): distribution upstream + pull-through cache,
# a private containerd, iptables blackholes on loopback, and the built agent. Needs root on Debian;
# without it every scenario skips and says why.
.PHONY: e2e bench

# One file at a time: scenarios measure containerd's behaviour and must not compete for the 2 cores.
e2e: node_modules/.installed test-deps build
	node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(E2E_TESTS)

bench: node_modules/.installed test-deps build
	node --import tsx bench/main.ts
