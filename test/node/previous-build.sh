#!/usr/bin/env bash
# The .deb of the previous landed build, for `make test-node`'s upgrade check: built from the commit named in
# test/node/previous-build (git archive of this clone's history, the same scripts `make package` runs) and
# cached in build/previous/<commit>/. Prints the .deb's path. About a minute to build; instant when cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
ref=$(grep -v '^#' test/node/previous-build | head -n 1 | tr -d '[:space:]')
out=build/previous/$ref
deb() { find "$out" -maxdepth 1 -name 'containerd-mirror-agent_*_amd64.deb' | head -n 1; }
if [ ! -f "$out/.complete" ]; then
  # A shallow clone lacks it: fetch that one commit from where the clone came from.
  git cat-file -e "$ref^{commit}" 2>/dev/null || git fetch --quiet --depth=1 origin "$ref" >&2 || true
  git cat-file -e "$ref^{commit}" 2>/dev/null || {
    echo "previous-build: commit $ref (test/node/previous-build) is not in this clone's history, and origin did not give it" >&2
    exit 1
  }
  rm -rf build/previous
  mkdir -p "$out/src"
  echo "previous-build: building the .deb of $ref in $out" >&2
  git archive "$ref" | tar -x -C "$out/src"
  # Its own dependencies: the same lock as this tree's shares node_modules (hard links), another installs its own.
  if git diff --quiet "$ref" HEAD -- package-lock.json && [ -d node_modules ]; then
    cp -al node_modules "$out/src/node_modules"
  else
    (cd "$out/src" && npm ci --no-audit --no-fund >&2)
  fi
  # Its commit's time for every timestamp (package-meta.sh would otherwise ask git, which knows only this tree).
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct "$ref")
  export SOURCE_DATE_EPOCH
  (cd "$out/src" && ARCH=amd64 packaging/scripts/build-binary.sh >&2 && BINARY=build/bin/containerd-mirror-agent packaging/scripts/build-deb.sh)
  mv "$out"/src/build/containerd-mirror-agent_*_amd64.deb "$out/"
  rm -rf "$out/src"
  touch "$out/.complete"
fi
deb
