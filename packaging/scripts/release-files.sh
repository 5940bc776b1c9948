#!/usr/bin/env bash
# The release assets the install docs download: the executable under its per-architecture name, and checksum
# files over every architecture's assets (cloud-init checks SHA256SUMS; Ignition's verification.hash wants sha512).
set -euo pipefail
cd "$(dirname "$0")/../.."
. packaging/scripts/package-meta.sh
cp "$cma_binary" "build/containerd-mirror-agent-linux-$cma_deb_arch"
cd build
# Every architecture built for this version (make package, make package ARCH=arm64): one pair of sums files.
assets=()
for deb_arch in "${cma_arches[@]}"; do
  rpm_arch=$(cma_rpm_arch_of "$deb_arch")
  files=("containerd-mirror-agent-linux-$deb_arch" "containerd-mirror-agent_${cma_version}_$deb_arch.deb"
         "containerd-mirror-agent-$cma_version-1.$rpm_arch.rpm")
  if [ -f "${files[0]}" ] && [ -f "${files[1]}" ] && [ -f "${files[2]}" ]; then assets+=("${files[@]}"); fi
done
sha256sum "${assets[@]}" >SHA256SUMS
sha512sum "${assets[@]}" >SHA512SUMS
echo "release-files: build/{$(IFS=,; echo "${assets[*]}"),SHA256SUMS,SHA512SUMS}" >&2
