#!/usr/bin/env bash
# Downloads Debian packages of one architecture, from this machine's apt sources, into a directory:
#   debian-download.sh ARCH DIR PACKAGE...
# This machine's own architecture comes through its apt. Another one (arm64 on an amd64 machine) comes through
# a scratch apt state under build/apt/ARCH: the same sources, its own package lists (refreshed once a day),
# cache and an empty dpkg status, so the system's apt lists and dpkg architectures stay as they were.
set -euo pipefail
arch=$1 dir=$2
shift 2
opts=()
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  # A fresh machine may have no package lists yet.
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null || apt-get update -qq
else
  state=$(cd "$(dirname "$0")/../.." && pwd)/build/apt/$arch
  mkdir -p "$state/lists/partial" "$state/archives/partial" "$state/sources.list.d"
  [ -e "$state/status" ] || : >"$state/status"
  cp /etc/apt/sources.list.d/*.sources "$state/sources.list.d/" 2>/dev/null || true
  cp /etc/apt/sources.list.d/*.list "$state/sources.list.d/" 2>/dev/null || true
  cat >"$state/apt.conf" <<CONF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Dir::State::Lists "$state/lists";
Dir::State::status "$state/status";
Dir::Cache::Archives "$state/archives";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::SourceParts "$state/sources.list.d";
CONF
  opts=(-c "$state/apt.conf")
  if [ -z "$(find "$state/lists" -maxdepth 1 -name "*_Packages*" -mtime -1 -print -quit)" ]; then
    apt-get "${opts[@]}" update -qq
  fi
fi
mkdir -p "$dir"
cd "$dir"
apt-get "${opts[@]}" download -q "${@/%/:$arch}" 2>&1 | { grep -v '^W: Download is performed unsandboxed' || true; } >&2
