#!/usr/bin/env bash
# `make test-reproducible`: builds HEAD a second time in a fresh clone under build/reproducible/ (its own
# `npm ci`, from npm's cache when it holds the packages) and compares every release artifact with the ones
# `make release` just built in build/, byte for byte: both architectures' executables, .deb and .rpm, the
# sums files, the two-platform OCI archive and its SBOMs. The work tree must be HEAD, since the clone is.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "test-reproducible: the work tree differs from HEAD, which the second build is of: commit first" >&2
  exit 1
fi
clone=build/reproducible
rm -rf "$clone"
git clone --quiet --no-checkout . "$clone"
git -C "$clone" checkout --quiet --detach "$(git rev-parse HEAD)"
start=$SECONDS
# The clone's make runs `npm ci` itself; npm takes what its cache holds instead of asking the registry.
npm_config_prefer_offline=true make -C "$clone" --no-print-directory release >"$clone.log" 2>&1 || {
  tail -30 "$clone.log" >&2
  echo "test-reproducible: the second build failed; its log: $clone.log" >&2
  exit 1
}
echo "test-reproducible: second build in $((SECONDS - start)) s (log: $clone.log)" >&2
v=$(node -p 'require("./package.json").version')
mapfile -t artifacts < <(cd build && ls bin/containerd-mirror-agent arm64/bin/containerd-mirror-agent SHA256SUMS SHA512SUMS \
  containerd-mirror-agent*"$v"*.deb containerd-mirror-agent*"$v"*.rpm containerd-mirror-agent*"$v"*.oci.tar \
  containerd-mirror-agent*"$v"*.spdx.json 2>/dev/null)
passed=0 failed=0
for a in "${artifacts[@]}"; do
  if [ -f "$clone/build/$a" ] && cmp -s "build/$a" "$clone/build/$a"; then
    passed=$((passed + 1))
    echo "ok   $(sha256sum "build/$a" | cut -c1-64)  $a"
  else
    failed=$((failed + 1))
    echo "DIFF $a: $(sha256sum "build/$a" | cut -c1-64) here, $(sha256sum "$clone/build/$a" 2>/dev/null | cut -c1-64 || echo missing) in $clone"
  fi
done
# An artifact the first build did not make would pass unseen: the list must be complete.
[ "${#artifacts[@]}" -ge 11 ] || { echo "test-reproducible: expected 11 artifacts in build/, found: ${artifacts[*]}" >&2; failed=$((failed + 1)); }
echo "reproducible: $passed passed, $failed failed"
[ "$failed" = 0 ]
# Kept for a look when something differs; 2 GB otherwise.
rm -rf "$clone"
