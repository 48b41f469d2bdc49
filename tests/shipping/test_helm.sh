#!/usr/bin/env bash
# helm lint + helm template with default values and with every feature on; the rendered
# install grants exactly API.md's RBAC (cluster-wide, or per namespace with watchNamespaces)
# and runs the hardened Deployment; the README documents every value.
set -euo pipefail
y2j="$1"
. "$(dirname "$0")/tools.sh"
vb_tools
cd "$VB_SOURCE_DIR"
chart=helm/valkey-bench-operator
full=tests/shipping/values-full.yaml
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
helm lint --strict "$chart"
helm lint --strict "$chart" -f "$full"
helm template vbo "$chart" --namespace valkey-bench-system --include-crds >"$out/default.yaml"
python3 tests/shipping/manifests.py "$y2j" "$out/default.yaml" --bin "$VB_BIN" \
  --expect-kind CustomResourceDefinition --expect-kind ServiceAccount --expect-kind ClusterRole \
  --expect-kind ClusterRoleBinding --expect-kind Role --expect-kind RoleBinding --expect-kind Service
helm template vbo "$chart" --namespace ops --include-crds -f "$full" >"$out/full.yaml"
python3 tests/shipping/manifests.py "$y2j" "$out/full.yaml" --bin "$VB_BIN" --namespaces valkey,valkey-cluster \
  --operator-namespace ops --replicas 3 --nodepool-zones us-west-2a,us-west-2b,us-west-2c \
  --expect-kind ServiceMonitor --expect-kind NodePool
# A NodePool without zones is allowed (every zone of the node class).
helm template vbo "$chart" --namespace ops --include-crds --set karpenter.nodePool.enabled=true \
  --set-json 'karpenter.nodePool.zones=[]' >"$out/nozones.yaml"
python3 tests/shipping/manifests.py "$y2j" "$out/nozones.yaml" --operator-namespace ops --nodepool-zones ""
# Refusals: two replicas without leader election must not render.
if helm template vbo "$chart" --set leaderElection.enabled=false >/dev/null 2>&1; then
  echo "FAIL: replicaCount 2 without leader election rendered"; exit 1
fi
python3 tests/shipping/helm_values.py "$y2j" check
echo "test_helm: ok"
