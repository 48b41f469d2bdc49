#!/usr/bin/env bash
# The kustomize install, the rendered Helm chart and every sample against the API server
# double (tests/kubesim) with the real kubectl.
set -euo pipefail
y2j="$1"
. "$(dirname "$0")/tools.sh"
vb_tools
cd "$VB_SOURCE_DIR"
[ -f tests/kubesim/kubesim.py ] || { echo "SKIPPED: tests/kubesim not present"; exit 77; }
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
kubectl kustomize config/default >"$out/kustomize-default.yaml"
helm template vbo helm/valkey-bench-operator -n valkey-bench-system --include-crds >"$out/helm-default.yaml"
helm template vbo helm/valkey-bench-operator -n ops --include-crds -f tests/shipping/values-full.yaml >"$out/helm-full.yaml"
python3 tests/shipping/kubesim_apply.py "$y2j" "$out"
