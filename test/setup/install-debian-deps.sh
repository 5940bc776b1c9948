#!/usr/bin/env bash
# Installs the Debian packages the real-software tests need, when root and missing. Idempotent and quiet.
# systemd-container and mmdebstrap boot `make test-node`'s node; --no-install-recommends matters there: a
# Recommends (libnss-mymachines) would edit the host's /etc/nsswitch.conf.
set -euo pipefail
need=()
for pair in containerd:containerd docker-registry:docker-registry iptables:iptables socat:socat \
            skopeo:skopeo umoci:umoci dnsmasq:dnsmasq-base promtool:prometheus \
            systemd-nspawn:systemd-container mmdebstrap:mmdebstrap; do
  bin=${pair%%:*} pkg=${pair##*:}
  command -v "$bin" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: not root or no apt-get; tests needing ${need[*]} will be skipped" >&2
  exit 0
fi
echo "test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
