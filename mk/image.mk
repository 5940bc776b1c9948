# The DaemonSet's container image (issue 14). `make image` builds build/containerd-mirror-agent_<v>_<arch>.oci.tar
# and its SBOM from `make binary` and a few Debian packages, with no container engine. `make test-image` runs
# that image under the test bed's containerd exactly as the shipped DaemonSet describes (root; under the heavy
# lock, because it starts containerd and adds iptables rules). test/image/ is not part of `make test`.
.PHONY: image test-image

image: binary package-deps
	packaging/scripts/build-image.sh

test-image: image test-deps
	flock /tmp/cma-heavy.lock $(NODE_TEST) --test-concurrency=1 test/image/*.test.ts
