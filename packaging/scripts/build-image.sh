#!/usr/bin/env bash
# `make image`: the DaemonSet's OCI image for linux/amd64 and linux/arm64, with no container engine and nothing
# downloaded but Debian packages (debian-download.sh, from this machine's apt sources): for each architecture,
# its single executable from `make binary` plus the few files of packaging/kubernetes/image/files.list, one
# layer assembled by umoci; one image index over both. Reproducible: every timestamp is SOURCE_DATE_EPOCH
# (default: the last commit's time), files are root-owned and sorted, so the same executables and packages
# give the same digest. Writes, under build/:
#   containerd-mirror-agent_<v>.oci.tar             the OCI archive, its index.json naming one image index (tag
#                                                   <v>) of both platforms (`ctr images import`, `skopeo copy
#                                                   --all oci-archive:`)
#   containerd-mirror-agent_<v>_<arch>.spdx.json    each platform's SBOM (SPDX 2.3)
# and prints the image index's digest. IMAGE_ARCHES="amd64" builds one platform. Needs root (root-owned
# files, chroot smoke test), umoci, dpkg-deb.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${BUILD_DIR:-build}
if [ "$(id -u)" != 0 ]; then echo "make image: needs root (the image's files are owned by root)" >&2; exit 1; fi
. packaging/scripts/arch.sh
read -r -a arches <<<"${IMAGE_ARCHES:-${cma_arches[*]}}"
for arch in "${arches[@]}"; do
  binary=$(cma_arch_dir "$arch")/bin/containerd-mirror-agent
  if [ ! -x "$binary" ]; then echo "make image: no $binary; run make binary ARCH=$arch first" >&2; exit 1; fi
done
BINARY=$(cma_arch_dir "${arches[0]}")/bin/containerd-mirror-agent
. packaging/scripts/package-meta.sh
recipe=packaging/kubernetes/image
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
revision=$(git rev-parse HEAD)
name=containerd-mirror-agent_${cma_version}
rm -rf "$out/image"

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

# One platform's image in its own layout under $out/image/ARCH/, and its SBOM.
platform_image() {
  local arch=$1 work=$out/image/$1
  local BINARY
  BINARY=$(cma_arch_dir "$arch")/bin/containerd-mirror-agent
  mkdir -p "$work"
  mapfile -t packages < <("$recipe/make-root.sh" --packages)
  packaging/scripts/debian-download.sh "$arch" "$work/debs" "${packages[@]}"
  "$recipe/make-root.sh" "$work/debs" "$BINARY" "$work/rootfs"
  # Every library the executable, nsenter and sh load is in the tree (this machine's architecture only).
  if [ "$(cma_host_arch)" = "$arch" ]; then
    env -i "$(command -v chroot)" "$work/rootfs" /usr/bin/containerd-mirror-agent --version >/dev/null
    env -i "$(command -v chroot)" "$work/rootfs" /usr/bin/nsenter --version >/dev/null
    env -i "$(command -v chroot)" "$work/rootfs" /bin/sh -c :
  fi
  local layout=$work/layout
  local image=$layout:$cma_version
  umoci init --layout "$layout"
  umoci new --image "$image"
  # unpack + repack rather than `umoci insert`: 0.4.7's insert writes a layer without the end-of-archive blocks.
  umoci unpack --image "$image" "$work/bundle"
  cp -a "$work/rootfs/." "$work/bundle/rootfs/"
  umoci repack --image "$image" --history.created "$created" --history.created_by "make image (packaging/scripts/build-image.sh)" "$work/bundle"
  local config=(--no-history --created "$created" --os linux --architecture "$arch" --config.user 0:0 --config.workingdir /
    --config.env "PATH=/usr/local/bin:/usr/bin:/bin"
    --config.entrypoint /usr/bin/containerd-mirror-agent)
  for l in "${labels[@]}"; do config+=(--config.label "$l" --manifest.annotation "$l"); done
  umoci config --image "$image" "${config[@]}"
  umoci gc --layout "$layout"
  node --import tsx "$recipe/sbom.ts" "$work/rootfs" "$layout" >"$out/${name}_$arch.spdx.json"
}
for arch in "${arches[@]}"; do platform_image "$arch"; done

# The archive's layout: every platform's blobs, an image index of their manifests (with each platform), and
# index.json naming that index with the version as its tag.
layout=$out/image/layout
mkdir -p "$layout/blobs/sha256"
printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
for arch in "${arches[@]}"; do cp -n "$out/image/$arch/layout/blobs/sha256/"* "$layout/blobs/sha256/"; done
digest=$(ARCHES="${arches[*]}" node - "$layout" "$out/image" "$cma_version" "${labels[@]}" <<'JS'
const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const [layout, work, version, ...labels] = process.argv.slice(2);
const arches = process.env.ARCHES.split(' ');
const annotations = Object.fromEntries(labels.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
const INDEX = 'application/vnd.oci.image.index.v1+json';
const manifests = arches.map((arch) => {
  const { mediaType, digest, size } = JSON.parse(readFileSync(`${work}/${arch}/layout/index.json`, 'utf8')).manifests[0];
  return { mediaType, digest, size, platform: { architecture: arch, os: 'linux', ...(arch === 'arm64' ? { variant: 'v8' } : {}) } };
});
const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests, annotations }));
const digest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
writeFileSync(`${layout}/blobs/sha256/${digest.slice(7)}`, index);
const top = { mediaType: INDEX, digest, size: index.length, annotations: { 'org.opencontainers.image.ref.name': version } };
writeFileSync(`${layout}/index.json`, JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [top] }));
console.log(digest);
JS
)
# The archive: the layout's files, sorted, with fixed owner and time.
cma_clamp_mtimes "$layout"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$layout" -cf "$out/$name.oci.tar" .
echo "make image: $out/$name.oci.tar $digest (${arches[*]}; $(du -m "$out/$name.oci.tar" | cut -f1) MB), SBOMs $out/${name}_{$(IFS=,; echo "${arches[*]}")}.spdx.json" >&2
echo "$digest"
