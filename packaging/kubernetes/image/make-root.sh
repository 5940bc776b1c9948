#!/usr/bin/env bash
# Lays out the image's root file system: the agent's single executable, its node-owned node.yaml, the
# host-containerd wrapper, and
# only the files.list files of the Debian packages in DEBS, each package's control stanza in
# /var/lib/dpkg/status.d/ (where image scanners look when there is no dpkg). `make image` and the
# Containerfile's build stage both run this script, so the two images hold the same tree.
#   make-root.sh --packages              print the package names (for `apt-get download`)
#   make-root.sh DEBS AGENT ROOT         build ROOT (must not exist) from DEBS/*.deb and the executable AGENT
# Every mtime is SOURCE_DATE_EPOCH (default 0), so the same inputs give the same bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list() { grep -v '^[[:space:]]*\(#\|$\)' "$here/files.list"; }
if [ "${1:-}" = --packages ]; then list | awk '{print $1}'; exit 0; fi
if [ $# -ne 3 ]; then echo "usage: make-root.sh DEBS AGENT ROOT" >&2; exit 2; fi
debs=$1 agent=$2 root=$3
mkdir "$root"
root=$(cd "$root" && pwd)
umask 022
shopt -s nullglob
while read -r pkg globs; do
  deb=("$debs/${pkg}"_*.deb)
  if [ ${#deb[@]} -ne 1 ]; then echo "make-root: want one $debs/${pkg}_*.deb, found ${#deb[@]}" >&2; exit 1; fi
  x=$(mktemp -d)
  dpkg-deb -x "${deb[0]}" "$x"
  # Word splitting of $globs is the point: each word is a glob, expanded inside the unpacked package.
  # shellcheck disable=SC2086
  files=$(cd "$x" && for g in $globs; do for f in $g; do echo "$f"; done; done)
  if [ -n "$globs" ] && [ -z "$files" ]; then echo "make-root: $pkg has none of: $globs" >&2; exit 1; fi
  doc=usr/share/doc/$pkg/copyright
  [ -f "$x/$doc" ] && [ ! -L "$x/usr/share/doc/$pkg" ] && files+=$'\n'$doc
  # shellcheck disable=SC2086
  [ -n "$files" ] && (cd "$x" && cp -a --parents $files "$root/")
  rm -rf "$x"
  mkdir -p "$root/var/lib/dpkg/status.d"
  dpkg-deb -f "${deb[0]}" Package Source Version Architecture Maintainer Homepage >"$root/var/lib/dpkg/status.d/$pkg"
done < <(list)
install -D -m 0755 "$agent" "$root/usr/bin/containerd-mirror-agent"
install -D -m 0755 "$here/host-containerd" "$root/usr/local/bin/containerd"
install -D -m 0644 "$here/node.yaml" "$root/etc/containerd-mirror-agent/node.yaml"
ln -s dash "$root/bin/sh"
install -d -m 1777 "$root/tmp"
chown -hR 0:0 "$root"
find "$root" -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +
