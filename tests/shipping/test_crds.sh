#!/usr/bin/env bash
# The CRDs are structural, fully described, honour API.md, and every sample is valid.
set -euo pipefail
y2j="$1"
cd "$VB_SOURCE_DIR"
check="python3 tests/shipping/crdcheck.py $y2j"
$check crds crds/*.yaml
for f in crds/*.yaml; do $check self-test "$f"; done
samples=(config/samples/*.yaml)
[ -d config/argocd/samples ] && samples+=(config/argocd/samples/*.yaml)
samples+=(config/argocd/health/valkeybench.io/*/testdata/*.yaml)
$check objects crds "${samples[@]}"
# The checker must refuse an invalid object, too.
bad="$(mktemp)"; trap 'rm -f "$bad"' EXIT
sed -e 's/pipeline: 16/pipeline: 4096/' -e 's/tests: \[set, get, incr\]/tests: [set, flush]/' \
  config/samples/valkeybench_v1alpha1_valkeybenchmark_cluster.yaml >"$bad"
if $check objects crds "$bad" >/dev/null; then echo "FAIL: an invalid benchmark was accepted"; exit 1; fi
echo "test_crds: ok"
