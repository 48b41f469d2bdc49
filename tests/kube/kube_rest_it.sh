#!/usr/bin/env bash
# Starts tests/kubesim (HTTPS, bearer token, 1 s bookmarks, EKS nodes for pods) and runs the
# kube client integration test binary given as $1 against it.
set -euo pipefail
bin=$1
sim=${VB_KUBESIM:-$VB_SOURCE_DIR/tests/kubesim/kubesim.py}
dir=$(mktemp -d /tmp/vb-kube-it-XXXXXX)
python3 "$sim" --dir "$dir" --owner-pid $$ --bookmark-interval 1 --eks-nodes >"$dir/stdout.log" 2>&1 &
simpid=$!
cleanup() {
  kill "$simpid" 2>/dev/null || true
  wait "$simpid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 200); do
  [ -f "$dir/ready" ] && break
  kill -0 "$simpid" 2>/dev/null || break
  sleep 0.05
done
if [ ! -f "$dir/ready" ]; then
  echo "kubesim did not start:" >&2
  cat "$dir/stdout.log" >&2
  exit 1
fi
rc=0
VB_KUBESIM_DIR="$dir" "$bin" || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "--- kubesim log (tail) ---" >&2
  tail -n 40 "$dir/kubesim.log" >&2 || true
fi
exit "$rc"
