# A real systemd node (issue 22): the .deb `make package` built, installed on a booted Debian 12 (systemd 252
# as PID 1 under systemd-nspawn, rootfs cached under build/node-rootfs/), checked through systemctl, journalctl
# and the packaged executable only. Not part of `make test` (test/node/ is left out of UNIT_TESTS): it needs
# root, the packages, and the heavy lock. Rootfs: about 80 s the first time, then cached by packages.list; the
# previous landed build's .deb (test/node/previous-build): about a minute, then cached by its commit.
.PHONY: test-node

# The .deb of this tree: `make package` builds it when there is none (in CI, test-packaging already has: one
# artifact for both); after changing the sources, run `make package` again before this.
test-node: $(if $(wildcard build/containerd-mirror-agent_*.deb),,package) test-deps
	test/node/rootfs.sh >/dev/null
	test/node/previous-build.sh >/dev/null
	flock /tmp/cma-heavy.lock $(NODE_TEST) --test-concurrency=1 test/node/*.slow.test.ts
