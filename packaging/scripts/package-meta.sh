# Sourced by the package builders: version from package.json, architecture of the embedded node (read from
# the ELF header's e_machine, so cross-built binaries are labelled by what they run on).
. packaging/scripts/arch.sh
cma_binary=${BINARY:-build/bin/containerd-mirror-agent}
cma_version=$(node -p 'require("./package.json").version')
case "$(od -An -tu2 -j18 -N2 "$cma_binary" | tr -d ' ')" in
  62) cma_deb_arch=amd64 ;;
  183) cma_deb_arch=arm64 ;;
  *) echo "package: $cma_binary is not an x86-64 or aarch64 ELF executable" >&2; exit 1 ;;
esac
cma_rpm_arch=$(cma_rpm_arch_of "$cma_deb_arch")
# Reproducible builds: every timestamp inside a .deb, .rpm or image is the last commit's time (or the caller's
# SOURCE_DATE_EPOCH), so two builds of one commit, in any clone at any hour, give the same bytes.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
export SOURCE_DATE_EPOCH
# Sets every mtime under $1 (symlinks themselves included) to SOURCE_DATE_EPOCH.
cma_clamp_mtimes() {
  find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}
# Prints a complete POSIX sh maintainer script: the shared functions, then the body in $1.
cma_scriptlet() {
  printf '#!/bin/sh\nset -e\n'
  cat packaging/scripts/maintainer-lib.sh "$1"
}
