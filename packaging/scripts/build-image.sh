#!/usr/bin/env bash
# `make image`: the DaemonSet's OCI image, with no container engine and nothing downloaded but Debian
# packages (apt-get download, from this machine's apt sources): the single executable from `make binary`
# plus the few files of packaging/kubernetes/image/files.list, one layer assembled by umoci. Reproducible:
# every timestamp is SOURCE_DATE_EPOCH (default: the last commit's time), files are root-owned and sorted, so
# the same executable and packages give the same digest. Writes, under build/:
#   containerd-mirror-agent_<v>_<arch>.oci.tar        the OCI archive (`ctr images import`, `skopeo copy oci-archive:`)
#   containerd-mirror-agent_<v>_<arch>.spdx.json      its SBOM (SPDX 2.3)
# and prints the image's manifest digest. Needs root (root-owned files, chroot smoke test), umoci, dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${BUILD_DIR:-build}
export BINARY=${BINARY:-$out/bin/containerd-mirror-agent}
if [ ! -x "$BINARY" ]; then echo "make image: no $BINARY; run make binary first" >&2; exit 1; fi
if [ "$(id -u)" != 0 ]; then echo "make image: needs root (the image's files are owned by root)" >&2; exit 1; fi
. packaging/scripts/package-meta.sh
recipe=packaging/kubernetes/image
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
revision=$(git rev-parse HEAD)
name=containerd-mirror-agent_${cma_version}_${cma_deb_arch}
work=$out/image
rm -rf "$work"
mkdir -p "$work/debs"

# The packages for the executable's architecture, whatever this machine's is.
# A fresh machine may have no package lists yet.
compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || apt-get update -qq
mapfile -t packages < <("$recipe/make-root.sh" --packages)
(cd "$work/debs" && apt-get download -q "${packages[@]/%/:$cma_deb_arch}" 2>&1 | { grep -v '^W: Download is performed unsandboxed' || true; } >&2)
"$recipe/make-root.sh" "$work/debs" "$BINARY" "$work/rootfs"
# Every library the executable, nsenter and sh load is in the tree (same-architecture builds only).
if [ "$(dpkg --print-architecture)" = "$cma_deb_arch" ]; then
  env -i "$(command -v chroot)" "$work/rootfs" /usr/bin/containerd-mirror-agent --version >/dev/null
  env -i "$(command -v chroot)" "$work/rootfs" /usr/bin/nsenter --version >/dev/null
  env -i "$(command -v chroot)" "$work/rootfs" /bin/sh -c :
fi

# Labels and config: the heap flags are inside the executable (build-binary.sh). Keep in step with the Containerfile (test/image/containerfile.slow.test.ts compares them).
labels=(
  "org.opencontainers.image.title=containerd-mirror-agent"
  "org.opencontainers.image.description=$(node -p 'require("./package.json").description')"
  "org.opencontainers.image.source=https://github.com/containerd-mirror-agent/containerd-mirror-agent"
  "org.opencontainers.image.licenses=$(node -p 'require("./package.json").license')"
  "org.opencontainers.image.version=$cma_version"
  "org.opencontainers.image.revision=$revision"
  "org.opencontainers.image.created=$created"
)
layout=$work/layout
image=$layout:$cma_version
umoci init --layout "$layout"
umoci new --image "$image"
# unpack + repack rather than `umoci insert`: 0.4.7's insert writes a layer without the end-of-archive blocks.
umoci unpack --image "$image" "$work/bundle"
cp -a "$work/rootfs/." "$work/bundle/rootfs/"
umoci repack --image "$image" --history.created "$created" --history.created_by "make image (packaging/scripts/build-image.sh)" "$work/bundle"
config=(--no-history --created "$created" --os linux --architecture "$cma_deb_arch" --config.user 0:0 --config.workingdir /
  --config.env "PATH=/usr/local/bin:/usr/bin:/bin"
  --config.entrypoint /usr/bin/containerd-mirror-agent)
for l in "${labels[@]}"; do config+=(--config.label "$l" --manifest.annotation "$l"); done
umoci config --image "$image" "${config[@]}"
umoci gc --layout "$layout"

# The archive: the layout's files, sorted, with fixed owner and time.
cma_clamp_mtimes "$layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$layout" -cf "$out/$name.oci.tar" .
node --import tsx "$recipe/sbom.ts" "$work/rootfs" "$layout" >"$out/$name.spdx.json"
digest=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).manifests[0].digest' "$layout/index.json")
echo "make image: $out/$name.oci.tar $digest ($(du -m "$out/$name.oci.tar" | cut -f1) MB), SBOM $out/$name.spdx.json" >&2
echo "$digest"
