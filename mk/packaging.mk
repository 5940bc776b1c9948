# Packaging: single executable, .deb/.rpm, and the checks of every install path (issue 6).
# `make test` runs test/packaging/ like every room; the .deb/.rpm checks there skip until `make package` has
# built build/*.deb and build/*.rpm. `make test-packaging` builds them first (about a minute here).
.PHONY: binary package package-deps release test-packaging test-reproducible test-arm64 update-ignition

# rpm and cloud-init for the packaging tests, installed with the other test dependencies.
test-deps: package-deps

package-deps:
	@packaging/scripts/install-deps.sh

# ARCH=amd64 (the default) or arm64: `make binary ARCH=arm64`, `make package ARCH=arm64` build the arm64
# executable (build/arm64/bin/), *_arm64.deb and *.aarch64.rpm on any machine (packaging/scripts/arch.sh).
# Only from the command line: an ARCH in the environment (some shells and CI images set one) is not ours.
ARCH := $(if $(filter command line,$(origin ARCH)),$(ARCH),amd64)
ARCH_BINARY = $(if $(filter arm64,$(ARCH)),build/arm64,build)/bin/containerd-mirror-agent

binary: node_modules/.installed
	ARCH=$(ARCH) packaging/scripts/build-binary.sh

package: binary package-deps
	BINARY=$(ARCH_BINARY) packaging/scripts/build-deb.sh
	BINARY=$(ARCH_BINARY) packaging/scripts/build-rpm.sh
	BINARY=$(ARCH_BINARY) packaging/scripts/release-files.sh

test-packaging: package
	$(NODE_TEST) test/packaging/*.test.ts

# The Ignition JSON is checked against its Butane source; after editing the source (or the unit), rewrite it.
update-ignition: node_modules/.installed
	UPDATE_GOLDEN=1 $(NODE_TEST) test/packaging/ignition.slow.test.ts

# Every release artifact: both architectures' executables and packages, the two-platform image.
release: node_modules/.installed
	$(MAKE) --no-print-directory package ARCH=amd64
	$(MAKE) --no-print-directory package ARCH=arm64
	$(MAKE) --no-print-directory image

# Two builds of one commit give the same bytes (issues 22, 23): `make release` here, then HEAD built again in a
# fresh clone under build/reproducible/, every artifact compared with build/'s. Needs a work tree at HEAD, and
# root (make image).
test-reproducible: release
	packaging/scripts/check-reproducible.sh

# The arm64 executable smoke-tested under emulation (qemu-user; everything is 5-20x slower, so this is
# --version, validate, render, apply and run with /metrics and `status`, not the suite).
test-arm64: node_modules/.installed
	ARCH=arm64 packaging/scripts/build-binary.sh
	packaging/scripts/arm64-emulation.sh
	CMA_AGENT_BIN=$(CURDIR)/build/arm64/bin/containerd-mirror-agent $(NODE_TEST) --test-concurrency=1 test/packaging/arm64.slow.test.ts
