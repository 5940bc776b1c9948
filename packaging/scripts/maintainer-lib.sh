# Shared by the .deb maintainer scripts and the .rpm scriptlets (the build prepends it to each).
# Policy: the unit is enabled on first install but started only once a config exists, so a package install
# never runs the agent on nothing (the example config is *.example and is not loaded). Removing the package
# stops the agent and runs `restore`: a hosts.toml left behind with no agent would keep a dead cache listed,
# which is the very 30 s-per-request stall this agent exists to prevent.
#
# DPKG_ROOT is set by `dpkg --root DIR --force-script-chrootless`: the scripts then act on DIR and never on
# the running system's services.
cma_unit=containerd-mirror-agent.service
cma_root=${DPKG_ROOT:-}
cma_etc=$cma_root/etc/containerd-mirror-agent
cma_state=$cma_root/var/lib/containerd-mirror-agent
# Left by a removal (the unit is disabled then) and taken away by the next install: dpkg configures a package
# reinstalled from its config-files state as an upgrade (`configure OLD-VERSION`), which must not keep it
# disabled. rpm has no such state (an install after an erase is a first install).
cma_removed_mark=$cma_state/package-removed

cma_systemctl_offline() {
  command -v systemctl >/dev/null 2>&1 || return 0
  if [ -n "$cma_root" ]; then systemctl --root="$cma_root" "$@"; else systemctl "$@"; fi
}

cma_systemd_running() {
  [ -z "$cma_root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

# A config in either source the unit reads: the base dir, or cluster.d (written by the sync DaemonSet).
cma_has_config() {
  for dir in "$cma_etc" "$cma_etc/cluster.d"; do
    for f in "$dir"/*.yaml "$dir"/*.yml "$dir"/*.json "$dir"/*.toml; do
      [ -f "$f" ] && return 0
    done
  done
  return 1
}

# What postinst was called for: install (first install, or again after a removal) or upgrade.
cma_install_kind() {
  if [ -z "$1" ] || [ -e "$cma_removed_mark" ]; then echo install; else echo upgrade; fi
}

# $1: install (first install, or again after a removal) or upgrade.
cma_after_install() {
  rm -f "$cma_removed_mark"
  if [ "$1" = install ]; then
    cma_systemctl_offline enable "$cma_unit" 2>/dev/null || echo "containerd-mirror-agent: could not enable $cma_unit" >&2
  fi
  if cma_systemd_running; then systemctl daemon-reload || true; fi
  if ! cma_has_config; then
    echo "containerd-mirror-agent: enabled, not started: no config in /etc/containerd-mirror-agent/." \
      "Write one (see config.yaml.example there), then: systemctl start containerd-mirror-agent"
    return 0
  fi
  cma_systemd_running || return 0
  if [ "$1" = install ]; then
    systemctl start "$cma_unit" || echo "containerd-mirror-agent: start failed; see: journalctl -u containerd-mirror-agent" >&2
  else
    systemctl try-restart "$cma_unit" || true
  fi
}

cma_before_remove() {
  if cma_systemd_running; then systemctl stop "$cma_unit" || true; fi
  if [ -z "$cma_root" ] && [ -x /usr/bin/containerd-mirror-agent ]; then
    # The env file may move the state dir (CMA_STATE_DIR); restore must look where the agent wrote.
    if ! (set -a; [ -r /etc/default/containerd-mirror-agent ] && . /etc/default/containerd-mirror-agent; set +a
          /usr/bin/containerd-mirror-agent restore); then
      echo "containerd-mirror-agent: restore failed; the original files stay backed up under the state dir" \
        "(default /var/lib/containerd-mirror-agent). Reinstall and run: containerd-mirror-agent restore" >&2
    fi
  fi
  cma_systemctl_offline disable "$cma_unit" 2>/dev/null || true
  mkdir -p "$cma_state" && : >"$cma_removed_mark" || true
}

cma_after_purge() {
  state=$cma_state
  rm -f "$cma_removed_mark"
  # A manifest left behind means restore did not finish, and a config.toml copy left behind that restore could
  # not give it back (someone changed the file since): keep what the operator may still need.
  if [ -e "$state/manifest.json" ] || [ -e "$state/containerd-config.toml.orig" ]; then
    echo "containerd-mirror-agent: kept $state: it still holds backups of your files" >&2
  else
    rm -rf "$state"
  fi
  if cma_systemd_running; then systemctl daemon-reload || true; fi
}
