#!/usr/bin/env bash
# What `make test-arm64` runs the arm64 executable with on another machine: Debian's qemu-user-static
# (installed as root when missing; binfmt_misc is not needed, the test calls qemu-aarch64-static itself) and
# build/arm64/sysroot, the arm64 libraries the executable loads (libc6, libstdc++6, libgcc-s1 unpacked; the
# packages come from debian-download.sh, which leaves this machine's apt and dpkg state alone).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "arm64-emulation: qemu-user-static is missing (install it as root); the arm64 test will skip" >&2; exit 0; fi
  echo "arm64-emulation: installing qemu-user-static" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi
sysroot=build/arm64/sysroot
if [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  rm -rf "$sysroot" build/arm64/sysroot-debs
  packaging/scripts/debian-download.sh arm64 build/arm64/sysroot-debs libc6 libstdc++6 libgcc-s1
  mkdir -p "$sysroot"
  for deb in build/arm64/sysroot-debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
fi
