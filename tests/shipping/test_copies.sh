#!/usr/bin/env bash
# crds/ is the source of truth; kustomize and Helm need copies inside their own roots.
set -euo pipefail
cd "$VB_SOURCE_DIR"
rc=0; n=0
for src in crds/*.yaml; do
  for dir in config/crd/bases helm/valkey-bench-operator/crds; do
    [ -d "$dir" ] || continue
    n=$((n + 1))
    if ! cmp -s "$src" "$dir/$(basename "$src")"; then
      echo "FAIL: $dir/$(basename "$src") differs from $src (run: cp crds/*.yaml $dir/)"; rc=1
    fi
  done
done
for dir in config/crd/bases helm/valkey-bench-operator/crds; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*.yaml; do
    [ -f "crds/$(basename "$f")" ] || { echo "FAIL: $f has no source in crds/"; rc=1; }
  done
done
[ "$n" -gt 0 ] || { echo "FAIL: no copies found"; exit 1; }
echo "test_copies: $n copies compared"
exit $rc
