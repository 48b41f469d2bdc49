#!/usr/bin/env bash
# The shipped RBAC (kustomize, and the Helm chart restricted to a namespace list) is exactly
# what the operator uses: it runs a check and a benchmark with only those rights (kubesim
# evaluates RBAC for its ServiceAccount), nothing is denied and every granted verb is used.
set -euo pipefail
y2j="$1"
. "$(dirname "$0")/tools.sh"
vb_tools
cd "$VB_SOURCE_DIR"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
kubectl kustomize config/default >"$out/kustomize-default.yaml"
helm template vbo helm/valkey-bench-operator -n valkey-bench-system --set 'watchNamespaces={valkey}' \
  --set karpenter.nodePool.enabled=true \
  >"$out/helm-namespaced.yaml"
python3 tests/shipping/rbac_e2e.py "$y2j" "$out"
