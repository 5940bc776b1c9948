# Packaging: single executable, .deb/.rpm, and the checks of every install path (issue 6).
# `make test` runs test/packaging/ like every room; the .deb/.rpm checks there skip until `make package` has
# built build/*.deb and build/*.rpm. `make test-packaging` builds them first (about a minute here).
.PHONY: binary package package-deps test-packaging test-reproducible update-ignition

# rpm and cloud-init for the packaging tests, installed with the other test dependencies.
test-deps: package-deps

package-deps:
	@packaging/scripts/install-deps.sh

binary: node_modules/.installed
	packaging/scripts/build-binary.sh

package: binary package-deps
	packaging/scripts/build-deb.sh
	packaging/scripts/build-rpm.sh
	packaging/scripts/release-files.sh

test-packaging: package
	$(NODE_TEST) test/packaging/*.test.ts

# The Ignition JSON is checked against its Butane source; after editing the source (or the unit), rewrite it.
update-ignition: node_modules/.installed
	UPDATE_GOLDEN=1 $(NODE_TEST) test/packaging/ignition.slow.test.ts

# Two builds of one commit give the same bytes (issue 22): HEAD built again in a fresh clone under
# build/reproducible/, every artifact compared with build/'s. Needs a work tree at HEAD, and root (make image).
test-reproducible: package image
	packaging/scripts/check-reproducible.sh
