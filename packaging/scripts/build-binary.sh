#!/usr/bin/env bash
# Builds the agent as one file a node needs nothing else for:
#   build/bundle/containerd-mirror-agent.cjs  every module and dependency in one CommonJS file (the container
#                                             image runs it with the image's node)
#   build/bin/containerd-mirror-agent         a Node single executable application: a copy of `node` with the
#                                             bundle injected (postject), so hosts without Node run it
# CommonJS because Node 20's single executable applications run only a CommonJS script. The executable
# embeds the node that runs this script (override with SEA_NODE=/path/to/node, e.g. a Node 22 build); it
# needs that node's fuse sentinel, which official and Debian/NodeSource builds carry.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${BUILD_DIR:-build}
sea_node=${SEA_NODE:-$(command -v node)}
npx=(npx --no-install)

mkdir -p "$out/bundle" "$out/bin" "$out/sea"
bundle=$out/bundle/containerd-mirror-agent.cjs
# import.meta.url has no meaning in CommonJS: point it at the bundle (or, inside the executable, the
# executable itself) so code that resolves paths next to itself still gets a file: URL.
"${npx[@]}" esbuild src/cli/main.ts --bundle --platform=node --target=node20 --format=cjs \
  --define:import.meta.url=__cma_import_meta_url \
  --banner:js='const __cma_import_meta_url = require("node:url").pathToFileURL(__filename).href;' \
  --legal-comments=none --log-level=warning --outfile="$bundle"

fuse=$(strings "$sea_node" | grep -o -m1 'NODE_SEA_FUSE_[0-9a-f]*' || true)
if [ -z "$fuse" ]; then
  echo "build-binary: $sea_node has no NODE_SEA_FUSE sentinel; built only $bundle (run it with node >= 20)" >&2
  exit 0
fi

cat >"$out/sea/sea-config.json" <<JSON
{ "main": "$bundle", "output": "$out/sea/sea-prep.blob", "disableExperimentalSEAWarning": true }
JSON
"$sea_node" --experimental-sea-config "$out/sea/sea-config.json" >/dev/null
exe=$out/bin/containerd-mirror-agent
cp "$sea_node" "$exe.tmp"
chmod 0755 "$exe.tmp"
"${npx[@]}" postject "$exe.tmp" NODE_SEA_BLOB "$out/sea/sea-prep.blob" --sentinel-fuse "$fuse" >/dev/null
mv "$exe.tmp" "$exe"
echo "build-binary: $exe ($(du -m "$exe" | cut -f1) MB, Node $("$sea_node" --version)), $bundle" >&2
