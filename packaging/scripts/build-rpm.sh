#!/usr/bin/env bash
# build/containerd-mirror-agent-<version>-1.<arch>.rpm from the same staged tree as the .deb.
set -euo pipefail
cd "$(dirname "$0")/../.."
. packaging/scripts/package-meta.sh
top=$PWD/build/rpm
rm -rf "$top"
mkdir -p "$top/SPECS" "$top/scriptlets"
packaging/scripts/stage-tree.sh "$top/tree"
for s in post preun postun; do cma_scriptlet "packaging/rpm/$s" >"$top/scriptlets/$s"; done
awk -v version="$cma_version" -v dir="$top/scriptlets" '
  /^@(POST|PREUN|POSTUN)@$/ { f = dir "/" tolower(substr($0, 2, length($0) - 2)); while ((getline l < f) > 0) print l; close(f); next }
  { gsub(/@VERSION@/, version); print }' packaging/rpm/containerd-mirror-agent.spec.in >"$top/SPECS/containerd-mirror-agent.spec"
# Reproducible: the build time and every file's mtime are SOURCE_DATE_EPOCH, the build host a constant.
rpmbuild -bb --quiet --target "$cma_rpm_arch" --define "_topdir $top" --define "cma_tree $top/tree" \
  --define "use_source_date_epoch_as_buildtime 1" --define "clamp_mtime_to_source_date_epoch 1" --define "_buildhost reproducible" \
  "$top/SPECS/containerd-mirror-agent.spec"
rpm=build/containerd-mirror-agent-$cma_version-1.$cma_rpm_arch.rpm
cp "$top/RPMS/$cma_rpm_arch/$(basename "$rpm")" "$rpm"
echo "build-rpm: $rpm ($(du -m "$rpm" | cut -f1) MB)" >&2
