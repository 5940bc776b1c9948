# Sourced by the build scripts: the architectures the agent ships for (Debian's names) and where each is built.
# amd64 under build/ (build/bin/containerd-mirror-agent, as before arm64 existed), arm64 under build/arm64/,
# whatever this machine's architecture.
cma_arches=(amd64 arm64)
cma_host_arch() {
  case "$(uname -m)" in
    x86_64) echo amd64 ;;
    aarch64) echo arm64 ;;
    *) echo "build: $(uname -m) machines do not build the agent" >&2; return 1 ;;
  esac
}
cma_arch_dir() {
  case "$1" in
    amd64) echo build ;;
    arm64) echo build/arm64 ;;
    *) echo "build: ARCH is amd64 or arm64, not '$1'" >&2; return 1 ;;
  esac
}
# The rpm's name for a Debian architecture.
cma_rpm_arch_of() {
  case "$1" in
    amd64) echo x86_64 ;;
    arm64) echo aarch64 ;;
  esac
}
