# End-to-end suite and benchmark on real software (issue 5): distribution upstream + pull-through cache,
# a private containerd, iptables blackholes on loopback, and the built agent. Needs root on Debian;
# without it every scenario skips and says why.
.PHONY: e2e bench containerd2-deps acceptance-containerd2

# containerd 2.x beside the system's 1.6 (issue 11), unpacked into a private prefix.
test-deps: containerd2-deps

containerd2-deps:
	@test/setup/install-containerd2.sh

# One file at a time: scenarios measure containerd's behaviour and must not compete for the 2 cores.
# Every scenario runs on Debian's containerd 1.6 and on 2.x (CMA_CONTAINERD selects the bed's containerd).
# CMA_AGENT_BIN=<executable> runs them against another agent, e.g. the packaged one (.ci/run does).
e2e: node_modules/.installed test-deps build $(if $(CMA_AGENT_BIN),binary)
	@for v in 1 2; do \
	  echo "e2e on containerd $$v.x" >&2; \
	  CMA_CONTAINERD=$$v node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(E2E_TESTS) || exit 1; \
	done

# On the shipped runtime: the packaged executable, and the in-process figures on the Node it embeds.
bench: node_modules/.installed test-deps build binary
	CMA_AGENT_BIN=$(PACKAGED_AGENT) $(SHIPPED_NODE_BIN)/node --import tsx bench/main.ts

# The acceptance proofs of issue 12's mirror shapes (_default, fallback: false) and issue 10's IPv6 files on
# the 2.x bed too; `make test` runs them on Debian's 1.6.
acceptance-containerd2: node_modules/.installed test-deps build
	CMA_CONTAINERD=2 $(NODE_TEST) test/acceptance/mirror-shapes.slow.test.ts test/acceptance/ipv6-hosts.slow.test.ts
