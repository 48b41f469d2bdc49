#!/usr/bin/env bash
# `kubectl kustomize` builds config/default (the whole install), config/samples and
# config/argocd, the install grants exactly API.md's RBAC and runs the hardened Deployment,
# the Argo CD Application installs this repository's chart, and the argocd-cm patch adds the
# health checks to Argo CD's ConfigMap.
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

# config/argocd: its kustomization renders the Application, which must point at this repo's chart.
kubectl kustomize config/argocd >"$out/argocd.yaml"
python3 tests/shipping/argocd_app.py "$y2j" "$out/argocd.yaml"
# The check must be able to fail: a chart path and a chart value that do not exist.
sed 's|path: helm/valkey-bench-operator|path: helm/valkey-bench|' config/argocd/application.yaml >"$out/bad-path.yaml"
sed 's|replicaCount:|replicas:|' config/argocd/application.yaml >"$out/bad-value.yaml"
for bad in bad-path bad-value; do
  if python3 tests/shipping/argocd_app.py "$y2j" "$out/$bad.yaml" >/dev/null; then
    echo "FAIL: an Application with a $bad passed the check"; exit 1
  fi
done
# argocd-cm-patch.yaml on a stand-in of Argo CD's argocd-cm (with a key of its own), both as
# README's `kubectl patch` and as a `patches:` entry of a kustomization: the data must be the
# stand-in's key plus the patch's health checks.
mkdir "$out/cm"
cat >"$out/cm/argocd-cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
  url: https://argocd.example.com
YAML
cp config/argocd/argocd-cm-patch.yaml "$out/cm/"
printf 'resources:\n  - argocd-cm.yaml\npatches:\n  - path: argocd-cm-patch.yaml\n' >"$out/cm/kustomization.yaml"
kubectl kustomize "$out/cm" >"$out/cm-kustomize.yaml"
kubectl patch --local -f "$out/cm/argocd-cm.yaml" --patch-file config/argocd/argocd-cm-patch.yaml -o yaml \
  >"$out/cm-patch.yaml"
for f in cm-kustomize cm-patch; do
  python3 - "$y2j" "$out/$f.yaml" config/argocd/argocd-cm-patch.yaml <<'PY'
import json, subprocess, sys
def load(p):
    return json.loads(subprocess.run([sys.argv[1], p], check=True, capture_output=True, text=True).stdout)
got, patch = load(sys.argv[2]), load(sys.argv[3])[0]
want = dict(patch["data"], url="https://argocd.example.com")
if len(got) != 1 or got[0].get("data") != want or len(patch["data"]) != 2:
    sys.exit("FAIL: %s: argocd-cm data keys %s, want %s" % (sys.argv[2], sorted(got[0].get("data", {})), sorted(want)))
print("test_kustomize: argocd-cm patched (%s): %s" % (sys.argv[2].rsplit("/", 1)[1], " ".join(sorted(want))))
PY
done
echo "test_kustomize: ok"
