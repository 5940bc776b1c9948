#!/usr/bin/env bash
# Installs a real containerd 2.x beside Debian 12's 1.6.20, for the test bed's second containerd (issue 11).
# Why this shape: no Debian suite bookworm can install from has 2.x, and the system's containerd, apt sources
# and dpkg database must stay as they are. So Debian's own `containerd` .deb of a newer suite is fetched with
# a scratch apt configuration (its own source list naming this machine's Debian archive, its own lists and
# cache) and unpacked with `dpkg-deb -x` into a private prefix. Its binaries need only libc >= 2.34 (bookworm
# has 2.36). runc is not taken from there: the newer runc needs libc 2.38; bookworm's runc (a dependency of
# the system containerd) is used instead.
#
# Usage: install-containerd2.sh [PREFIX]   (default /opt/cma-containerd2; env CMA_CONTAINERD2_PREFIX)
#   PREFIX/bin/{containerd,ctr,containerd-shim-runc-v2}, PREFIX/VERSION (the .deb version)
# Env: CMA_CONTAINERD2_SUITES (default "forky sid"), DEBIAN_MIRROR (default: this machine's archive URI).
# Idempotent: a working install is left alone. Without root it skips, like install-debian-deps.sh: the tests
# that need 2.x then skip and say why.
set -euo pipefail

PREFIX=${1:-${CMA_CONTAINERD2_PREFIX:-/opt/cma-containerd2}}
SUITES=${CMA_CONTAINERD2_SUITES:-forky sid}

works() {
  local v
  v=$("$PREFIX/bin/containerd" --version 2>/dev/null) || return 1
  # e.g. "containerd github.com/containerd/containerd/v2 2.1.9+unknown": the major must be 2 or more.
  [[ $v =~ [[:space:]]v?([0-9]+)\.[0-9]+\.[0-9]+ ]] && [ "${BASH_REMATCH[1]}" -ge 2 ]
}

if works && [ -f "$PREFIX/VERSION" ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
  echo "test-deps: not root or not Debian; tests needing containerd 2.x will be skipped" >&2
  exit 0
fi

if [ -z "${DEBIAN_MIRROR:-}" ]; then
  # The archive this machine already uses: a deb822 stanza naming a Debian release (not the security
  # archive), else a one-line sources.list entry.
  DEBIAN_MIRROR=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'BEGIN { RS = "" }
    /Suites:[^\n]*(bookworm|trixie|forky|sid)/ && !/security/ {
      if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { u = substr($0, RSTART, RLENGTH); sub(/URIs:[ \t]*/, "", u); print u; exit } }' || true)
  [ -n "$DEBIAN_MIRROR" ] || DEBIAN_MIRROR=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && !/security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' || true)
  [ -n "$DEBIAN_MIRROR" ] || { echo "install-containerd2: no Debian archive URI in the apt sources; set DEBIAN_MIRROR" >&2; exit 1; }
fi

echo "test-deps: installing containerd 2.x ($SUITES) into $PREFIX" >&2
apt_dir=$PREFIX/.apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
: >"$apt_dir/sources.list"
for suite in $SUITES; do echo "deb [signed-by=$keyring] $DEBIAN_MIRROR $suite main" >>"$apt_dir/sources.list"; done
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
          -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq --error-on=any update

# The newest 2.x those suites have: sid drops superseded versions, so no version is pinned.
version=$(apt-cache "${apt_opts[@]}" madison containerd | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | sort -V -r |
          awk -F. '{ n = split($1, a, ":"); if (a[n] >= 2) { print; exit } }')
[ -n "$version" ] || { echo "install-containerd2: no containerd >= 2 in $SUITES" >&2; exit 1; }

( cd "$apt_dir/debs" && rm -f containerd_*.deb && apt-get "${apt_opts[@]}" -qq download "containerd=$version" )
rm -rf "$PREFIX/root.new"
dpkg-deb -x "$apt_dir"/debs/containerd_*.deb "$PREFIX/root.new"
rm -rf "$PREFIX/root" && mv "$PREFIX/root.new" "$PREFIX/root"
rm -f "$apt_dir"/debs/containerd_*.deb
mkdir -p "$PREFIX/bin"
for b in containerd ctr containerd-shim-runc-v2; do ln -sfn "../root/usr/bin/$b" "$PREFIX/bin/$b"; done
works || { echo "install-containerd2: $PREFIX/bin/containerd does not run here" >&2; ldd "$PREFIX/root/usr/bin/containerd" >&2 || true; exit 1; }
echo "$version" >"$PREFIX/VERSION"
echo "test-deps: $("$PREFIX/bin/containerd" --version)" >&2
