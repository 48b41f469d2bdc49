#!/usr/bin/env bash
# `kubectl kustomize` builds config/default (the whole install) and config/samples, and the
# install grants exactly API.md's RBAC and runs the hardened Deployment.
set -euo pipefail
y2j="$1"
. "$(dirname "$0")/tools.sh"
vb_tools
cd "$VB_SOURCE_DIR"
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
kubectl kustomize config/default >"$out/default.yaml"
python3 tests/shipping/manifests.py "$y2j" "$out/default.yaml" --bin "$VB_BIN" \
  --expect-kind Namespace --expect-kind CustomResourceDefinition --expect-kind ServiceAccount \
  --expect-kind ClusterRole --expect-kind ClusterRoleBinding --expect-kind Role \
  --expect-kind RoleBinding --expect-kind Deployment --expect-kind Service
for k in config/samples config/crd config/rbac config/manager; do
  kubectl kustomize "$k" >"$out/part.yaml"
  echo "test_kustomize: $k builds ($(grep -c '^kind:' "$out/part.yaml") objects)"
done
kubectl kustomize config/samples >"$out/samples.yaml"
python3 tests/shipping/crdcheck.py "$y2j" objects crds "$out/samples.yaml"
# The check must be able to fail: drop one verb and expect a refusal.
sed '0,/verbs: \[get\]/s//verbs: []/' "$out/default.yaml" >"$out/broken.yaml"
sed -i 's/^\(\s*\)- get$/\1- getx/' "$out/broken.yaml"
if python3 tests/shipping/manifests.py "$y2j" "$out/broken.yaml" >/dev/null; then
  echo "FAIL: a manifest with altered RBAC verbs passed the check"; exit 1
fi
echo "test_kustomize: ok"
