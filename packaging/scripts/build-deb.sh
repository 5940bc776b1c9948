#!/usr/bin/env bash
# build/containerd-mirror-agent_<version>_<arch>.deb from the staged tree, reproducibly (package-meta.sh).
# DEB_COMPRESS=xz|gzip|zstd|none at level DEB_LEVEL (default xz -2: 27 MB in about 20 s here; level 6 saves 4 MB and costs a minute more).
set -euo pipefail
cd "$(dirname "$0")/../.."
. packaging/scripts/package-meta.sh
root=build/deb/root
rm -rf build/deb
packaging/scripts/stage-tree.sh "$root"
install -d -m 0755 "$root/DEBIAN"
# Installed-Size as dpkg-gencontrol counts it (KiB per file, rounded up; 1 per directory), not `du`, whose
# answer depends on the file system the tree was staged on.
size=$(find "$root" -path "$root/DEBIAN" -prune -o -mindepth 1 -printf '%y %s\n' | awk '{ n += $1 == "f" ? int(($2 + 1023) / 1024) : 1 } END { print n }')
sed -e "s/@VERSION@/$cma_version/" -e "s/@ARCH@/$cma_deb_arch/" -e "s/@SIZE@/$size/" \
  packaging/deb/control.in >"$root/DEBIAN/control"
printf '%s\n' /etc/containerd-mirror-agent/config.yaml.example /etc/default/containerd-mirror-agent >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  cma_scriptlet "packaging/deb/$script" >"$root/DEBIAN/$script"
  chmod 0755 "$root/DEBIAN/$script"
done
# dpkg-deb sorts the members and takes SOURCE_DATE_EPOCH for the ar headers; the files' own times are set here.
cma_clamp_mtimes "$root"
deb=build/containerd-mirror-agent_${cma_version}_${cma_deb_arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" -z"${DEB_LEVEL:-2}" --build "$root" "$deb" >/dev/null
echo "build-deb: $deb ($(du -m "$deb" | cut -f1) MB)" >&2
