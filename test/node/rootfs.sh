#!/usr/bin/env bash
# Builds the booted node's Debian 12 rootfs with mmdebstrap, once per package list: the result lives in
# build/node-rootfs/<sha256 of packages.list, 16 hex>/ and a different list builds a new one (older ones are
# removed). Prints the rootfs path. About 70-80 s to build here; instant when cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
list=test/node/packages.list
key=$(sha256sum "$list" | cut -c1-16)
base=build/node-rootfs
root=$base/$key
if [ ! -f "$root/.complete" ]; then
  packages=$(grep -v '^#' "$list" | xargs | tr ' ' ',')
  rm -rf "$base"
  mkdir -p "$base"
  echo "node-rootfs: building $root ($packages)" >&2
  mmdebstrap --quiet --variant=minbase --include="$packages" bookworm "$root.tmp" http://deb.debian.org/debian >&2
  # cloud-init stays off unless a test gives it a seed (it would otherwise look for a datasource at every boot).
  touch "$root.tmp/etc/cloud/cloud-init.disabled"
  # The node's own name, and no unit that waits for a network the container does not configure.
  echo node >"$root.tmp/etc/hostname"
  touch "$root.tmp/.complete"
  mv "$root.tmp" "$root"
fi
echo "$root"
