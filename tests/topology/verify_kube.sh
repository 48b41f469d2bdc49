#!/usr/bin/env bash
# `valkey-bench verify -l SELECTOR` against a real 3+3 cluster (one node per loopback
# address) whose nodes are registered in kubesim as Pods on the three EKS Nodes of zones
# us-west-2a/b/c, with the password in a Secret: PASS on the cross-zone layout with pods,
# nodes and zones in the report; FAIL naming the pods when a replica's pod moves into its
# primary's zone, when a node's pod is gone, and clean failures for an empty selector and
# a missing Secret.
set -euo pipefail
: "${VB_BIN:?}" "${VB_HARNESS:?}" "${VB_SOURCE_DIR:?}"

dir=$(mktemp -d)
cleanup() {
  python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$dir/topo" >/dev/null 2>&1 || true
  [ -f "$dir/ks/pid" ] && kill "$(cat "$dir/ks/pid")" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
python3 "$VB_SOURCE_DIR/tests/kubesim/kubesim.py" --dir "$dir/ks" --eks-nodes --owner-pid $$ >/dev/null 2>&1 &
for _ in $(seq 1 200); do [ -f "$dir/ks/ready" ] && break; sleep 0.05; done
[ -f "$dir/ks/ready" ] || { echo "kubesim did not start"; exit 1; }
url=$(cat "$dir/ks/url")
api() { # METHOD PATH [JSON] [content-type]
  curl -sS --fail-with-body --cacert "$dir/ks/ca.crt" -H "Authorization: Bearer $(cat "$dir/ks/token")" \
       -H "Content-Type: ${4:-application/json}" -X "$1" "$url$2" ${3:+-d "$3"} >/dev/null
}

pw="kube-$RANDOM-secret"
printf '%s\n' "$pw" >"$dir/pw"
eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode cluster --dir "$dir/topo" --owner-pid $$ \
          --ip-per-node --password-file "$dir/pw")"
port_of() { python3 -c "import json; print(json.load(open('$dir/topo/topology.json'))['nodes'][$1]['port'])"; }
P=(); for k in 0 1 2 3 4 5; do P[$k]=$(port_of $k); done
nodes=(ip-10-0-1-1.us-west-2a ip-10-0-2-1.us-west-2b ip-10-0-3-1.us-west-2c)

api POST /api/v1/namespaces/default/secrets \
  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"valkey-auth\"},\"data\":{\"password\":\"$(printf %s "$pw" | base64 -w0)\"}}"

# A pod that kubesim's kubelet does not run (simulated) at the node's address, on a Node.
make_pod() { # NAME IP NODE
  api POST /api/v1/namespaces/default/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"$1\",
    \"labels\":{\"app\":\"valkey\"},\"annotations\":{\"kubesim.io/simulated\":\"true\",\"kubesim.io/pod-ip\":\"$2\"}},
    \"spec\":{\"nodeName\":\"$3\",\"containers\":[{\"name\":\"valkey\",\"image\":\"valkey/valkey:9.0.2\"}]}}"
  # What the kubelet reports for it (written here too, for a kubesim without kubelet).
  api PATCH "/api/v1/namespaces/default/pods/$1/status" "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$2\",
    \"podIPs\":[{\"ip\":\"$2\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" \
    application/merge-patch+json
}
delete_pod() { api DELETE "/api/v1/namespaces/default/pods/$1?gracePeriodSeconds=0"; }
wait_gone() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/ks/ca.crt" -H "Authorization: Bearer $(cat "$dir/ks/token")" \
      "$url/api/v1/namespaces/default/pods/$1" | grep -q 404 && return 0
    sleep 0.05
  done
  echo "pod $1 not deleted"; exit 1
}
# primaries valkey-0/1/2 in a/b/c; replicas valkey-3 (of 0) in b, valkey-4 (of 1) in c, valkey-5 (of 2) in a
zone_of=(0 1 2 1 2 0)
for k in 0 1 2 3 4 5; do make_pod "valkey-$k" "127.0.0.$((10 + k))" "${nodes[${zone_of[$k]}]}"; done
make_pod "valkey-spare" "127.0.0.99" "${nodes[0]}"

export KUBECONFIG="$dir/ks/kubeconfig"
fail() { echo "FAIL: $*"; echo "--- last output:"; cat "$dir/out"; exit 1; }
run() {
  local want=$1; shift
  set +e; "$VB_BIN" verify "$@" >"$dir/out" 2>&1; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || fail "exit $rc, wanted $want: verify $*"
}
has() { grep -qF -- "$1" "$dir/out" || fail "output lacks: $1"; }
has_re() { grep -qE -- "$1" "$dir/out" || fail "output lacks a line matching: $1"; }

echo "== pods on nodes in three zones: PASS, seed picked from the pods, password from the Secret"
run 0 -l app=valkey -p "${P[0]}" --secret valkey-auth
has_re "^valkey-0 +yes +Running +127\.0\.0\.10:${P[0]} +ip-10-0-1-1\.us-west-2a +us-west-2a +primary$"
has_re "^valkey-spare .* not a node of this cluster$"
for s in \
         "PRIMARY valkey-0 us-west-2a  (127.0.0.10:${P[0]}, 5461 slots)" \
         "replica valkey-3 us-west-2b cross-AZ ✓" "replica valkey-4 us-west-2c cross-AZ ✓" \
         "replica valkey-5 us-west-2a cross-AZ ✓" "VERIFY: PASS — cluster_state=ok"; do has "$s"; done
! grep -qF "$pw" "$dir/out" || fail "password leaked"
run 0 -l app=valkey -n default -h 127.0.0.12 -p "${P[2]}" --secret valkey-auth --json
python3 - "$dir/out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["result"] == "PASS" and s["crossZonePairs"] == "3/3", s
p0 = [p for p in s["topology"] if p["pod"] == "valkey-0"][0]
assert p0["node"] == "ip-10-0-1-1.us-west-2a" and p0["zone"] == "us-west-2a", p0
assert p0["replicas"][0]["pod"] == "valkey-3" and p0["replicas"][0]["zone"] == "us-west-2b", p0
EOF

echo "== a replica's pod rescheduled into its primary's zone fails, naming both"
delete_pod valkey-3; wait_gone valkey-3
make_pod valkey-3 127.0.0.13 "${nodes[0]}"
run 1 -l app=valkey -p "${P[0]}" --secret valkey-auth
has "primary valkey-0 has no replica in another zone: replica valkey-3 is also in us-west-2a"
has "replica valkey-3 us-west-2a same-AZ ✗"

echo "== a node without a pod fails"
delete_pod valkey-5; wait_gone valkey-5
run 1 -l app=valkey -p "${P[0]}" --secret valkey-auth
has "no pod has the address of replica 127.0.0.15:${P[5]}"

echo "== nothing selected, or no Secret: clean failures"
run 1 -l app=nothing -p "${P[0]}" --secret valkey-auth
has "VERIFY: FAIL — no pod with an IP matches app=nothing in namespace default"
run 1 -l app=valkey -p "${P[0]}" --secret missing
has "cannot read Secret default/missing"
run 2 --namespace default
echo "verify_kube: all checks passed"
