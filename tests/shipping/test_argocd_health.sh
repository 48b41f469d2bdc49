#!/usr/bin/env bash
# Argo CD health Lua (both forms) against every testdata object, under lua5.1.
set -euo pipefail
y2j="$1"
cd "$VB_SOURCE_DIR"
command -v "${LUA:-lua5.1}" >/dev/null || { echo "FAIL: lua5.1 missing (hack/install-deps.sh installs it)"; exit 1; }
python3 tests/shipping/argocd_health.py "$y2j" check
# The harness must be able to fail: a health.lua that calls a Failed benchmark Healthy.
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cp -r config tests "$tmp/" 2>/dev/null || true
sed -i 's/hs.status = "Degraded"/hs.status = "Healthy"/' \
  "$tmp/config/argocd/health/valkeybench.io/ValkeyBenchmark/health.lua"
if python3 "$tmp/tests/shipping/argocd_health.py" "$y2j" check >/dev/null; then
  echo "FAIL: a wrong health.lua passed"; exit 1
fi
echo "test_argocd_health: ok"
