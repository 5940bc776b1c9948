#!/usr/bin/env bash
# Installs containerd 2.3.4 (the first long-term-support line, config version 4) beside Debian 12's 1.6.20 and
# the 2.1.9 of install-containerd2.sh, for the test bed's third containerd (issue 23). No Debian suite has 2.3:
# the shared directory beside the repo clone (../shared/containerd23) carries a checked build and its
# installer, which unpacks into a private prefix and touches nothing else.
#
# Usage: install-containerd23.sh [PREFIX]   (default /opt/cma-containerd23; env CMA_CONTAINERD23_PREFIX)
# Env: CMA_CONTAINERD23_SRC (default ../shared/containerd23 relative to the repo root).
# Idempotent. Without root, or without the shared directory, it skips and says why: the tests that need 2.3
# then skip and say why too.
set -euo pipefail

PREFIX=${1:-${CMA_CONTAINERD23_PREFIX:-/opt/cma-containerd23}}
repo=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${CMA_CONTAINERD23_SRC:-$repo/../shared/containerd23}

if [ -x "$PREFIX/bin/containerd" ] && "$PREFIX/bin/containerd" --version 2>/dev/null | grep -q ' v2\.3\.'; then exit 0; fi
if [ ! -x "$SRC/install.sh" ]; then
  echo "test-deps: no $SRC/install.sh (the shared containerd 2.3 build); tests needing containerd 2.3 will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-deps: not root; tests needing containerd 2.3 will be skipped" >&2
  exit 0
fi
echo "test-deps: installing containerd 2.3 from $SRC into $PREFIX" >&2
"$SRC/install.sh" "$PREFIX" >&2
