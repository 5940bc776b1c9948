# End-to-end suite and benchmark on real software (issue 5): distribution upstream + pull-through cache,
# a private containerd, iptables blackholes on loopback, and the built agent. Needs root on Debian;
# without it every scenario skips and says why.
.PHONY: e2e bench containerd2-deps containerd23-deps acceptance-containerd2

# containerd 2.x beside the system's 1.6 (issue 11), unpacked into a private prefix; and 2.3, the first
# long-term-support line (issue 23), from ../shared/containerd23 into another (skipped, saying so, without it).
test-deps: containerd2-deps containerd23-deps

containerd2-deps:
	@test/setup/install-containerd2.sh

containerd23-deps:
	@test/setup/install-containerd23.sh

# The containerd lines every bed scenario runs on (CMA_CONTAINERD): Debian's 1.6.20, Debian's 2.x (2.1.9) and
# 2.3.4. `make e2e CONTAINERD_LINES=2.3` runs one line; a line that is not installed skips, saying why.
CONTAINERD_LINES ?= 1 2 2.3

# One file at a time: scenarios measure containerd's behaviour and must not compete for the 2 cores.
# Every scenario runs on each of CONTAINERD_LINES (CMA_CONTAINERD selects the bed's containerd).
# CMA_AGENT_BIN=<executable> runs them against another agent, e.g. the packaged one (.ci/run does).
e2e: node_modules/.installed test-deps build $(if $(CMA_AGENT_BIN),binary)
	@for v in $(CONTAINERD_LINES); do \
	  echo "e2e on containerd line $$v (CMA_CONTAINERD=$$v)" >&2; \
	  CMA_CONTAINERD=$$v node --import tsx --test --test-concurrency=1 --test-timeout=300000 $(E2E_TESTS) || exit 1; \
	done

# On the shipped runtime: the packaged executable, and the in-process figures on the Node it embeds.
bench: node_modules/.installed test-deps build binary
	CMA_AGENT_BIN=$(PACKAGED_AGENT) $(SHIPPED_NODE_BIN)/node --import tsx bench/main.ts

# The acceptance proofs of issue 12's mirror shapes (_default, fallback: false) and issue 10's IPv6 files on
# the 2.x and 2.3 beds too; `make test` runs them on Debian's 1.6.
acceptance-containerd2: node_modules/.installed test-deps build
	@for v in $(filter-out 1,$(CONTAINERD_LINES)); do \
	  echo "acceptance on containerd line $$v (CMA_CONTAINERD=$$v)" >&2; \
	  CMA_CONTAINERD=$$v $(NODE_TEST) test/acceptance/mirror-shapes.slow.test.ts test/acceptance/ipv6-hosts.slow.test.ts || exit 1; \
	done
