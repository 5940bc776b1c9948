# The DaemonSet's container image (issue 14). `make image` builds build/containerd-mirror-agent_<v>.oci.tar (one
# image index: linux/amd64 and linux/arm64) and each platform's SBOM from the executables and a few Debian
# packages, with no container engine. `make test-image` runs that image under the test bed's containerd exactly as the shipped DaemonSet describes (root; under the heavy
# lock, because it starts containerd and adds iptables rules). test/image/ is not part of `make test`.
.PHONY: image test-image

# Both platforms: the amd64 and the arm64 executable (make binary ARCH=...), one image index over them.
image: node_modules/.installed package-deps
	ARCH=amd64 packaging/scripts/build-binary.sh
	ARCH=arm64 packaging/scripts/build-binary.sh
	packaging/scripts/build-image.sh

test-image: image test-deps
	flock /tmp/cma-heavy.lock $(NODE_TEST) --test-concurrency=1 test/image/*.test.ts
