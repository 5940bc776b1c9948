#!/usr/bin/env bash
# Debian packages the packaging build and tests use: rpm (rpmbuild, rpm -qlp), cloud-init (`cloud-init
# schema`; it brings python3-jsonschema, which validates the Ignition file), umoci (`make image` assembles the
# OCI layout with it; its dpkg-deb and apt-get come with Debian). Installed only as root and when missing;
# otherwise the tests that need them skip and say why.
set -euo pipefail
need=()
command -v rpmbuild >/dev/null 2>&1 || need+=(rpm)
command -v cloud-init >/dev/null 2>&1 || need+=(cloud-init)
python3 -c 'import jsonschema' >/dev/null 2>&1 || need+=(python3-jsonschema)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "packaging-deps: not root or no apt-get; tests needing ${need[*]} will be skipped" >&2
  exit 0
fi
# cloud-init is installed for its schema validator only: this file keeps it from ever running at boot on
# this machine (cloud-init's own documented off switch), whatever the package enables.
mkdir -p /etc/cloud
touch /etc/cloud/cloud-init.disabled
echo "packaging-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
