#!/usr/bin/env bash
# The release assets the install docs download: the executable under its per-architecture name, and checksum
# files (cloud-init checks SHA256SUMS; Ignition's verification.hash wants sha512).
set -euo pipefail
cd "$(dirname "$0")/../.."
. packaging/scripts/package-meta.sh
cp "$cma_binary" "build/containerd-mirror-agent-linux-$cma_deb_arch"
cd build
assets=("containerd-mirror-agent-linux-$cma_deb_arch" "containerd-mirror-agent_${cma_version}_$cma_deb_arch.deb"
        "containerd-mirror-agent-$cma_version-1.$cma_rpm_arch.rpm")
sha256sum "${assets[@]}" >SHA256SUMS
sha512sum "${assets[@]}" >SHA512SUMS
echo "release-files: build/{$(IFS=,; echo "${assets[*]}"),SHA256SUMS,SHA512SUMS}" >&2
