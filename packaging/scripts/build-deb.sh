#!/usr/bin/env bash
# build/containerd-mirror-agent_<version>_<arch>.deb from the staged tree. DEB_COMPRESS=xz|gzip|zstd|none
# at level DEB_LEVEL (default xz -2: 27 MB in about 20 s here; level 6 saves 4 MB and costs a minute more).
set -euo pipefail
cd "$(dirname "$0")/../.."
. packaging/scripts/package-meta.sh
root=build/deb/root
rm -rf build/deb
packaging/scripts/stage-tree.sh "$root"
install -d -m 0755 "$root/DEBIAN"
sed -e "s/@VERSION@/$cma_version/" -e "s/@ARCH@/$cma_deb_arch/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" \
  packaging/deb/control.in >"$root/DEBIAN/control"
printf '%s\n' /etc/containerd-mirror-agent/config.yaml.example /etc/default/containerd-mirror-agent >"$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do
  cma_scriptlet "packaging/deb/$script" >"$root/DEBIAN/$script"
  chmod 0755 "$root/DEBIAN/$script"
done
deb=build/containerd-mirror-agent_${cma_version}_${cma_deb_arch}.deb
dpkg-deb --root-owner-group -Z"${DEB_COMPRESS:-xz}" -z"${DEB_LEVEL:-2}" --build "$root" "$deb" >/dev/null
echo "build-deb: $deb ($(du -m "$deb" | cut -f1) MB)" >&2
