#!/usr/bin/env bash
# Lays out the installed file tree under $1; the .deb and the .rpm both package exactly this tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=$1
binary=${BINARY:-build/bin/containerd-mirror-agent}
install -D -m 0755 "$binary" "$dest/usr/bin/containerd-mirror-agent"
install -D -m 0644 systemd/containerd-mirror-agent.service "$dest/usr/lib/systemd/system/containerd-mirror-agent.service"
# 0750: configs may hold registry credentials.
install -d -m 0750 "$dest/etc/containerd-mirror-agent" "$dest/etc/containerd-mirror-agent/cluster.d"
install -m 0644 packaging/config/config.yaml.example "$dest/etc/containerd-mirror-agent/config.yaml.example"
install -D -m 0644 packaging/config/default.env "$dest/etc/default/containerd-mirror-agent"
