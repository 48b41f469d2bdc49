#!/usr/bin/env bash
# `valkey-bench verify` against a real 3+3 cluster, one node per loopback address, with a
# password: PASS on a cross-zone layout, then FAIL (exit 1) with the offending node named
# for a same-zone pair, an unmapped node, wrong/missing password, an unreachable seed, a
# killed replica, a cluster in fail state and deleted slot assignments; exit 2 on usage
# errors. Faults are injected one after another on the same cluster, each check looks for
# its own message.
set -euo pipefail
: "${VB_BIN:?}" "${VB_HARNESS:?}"

dir=$(mktemp -d)
trap 'python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$dir/topo" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
pw="verify-$RANDOM-secret"
printf '%s\n' "$pw" >"$dir/pw"
eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode cluster --dir "$dir/topo" --owner-pid $$ \
          --ip-per-node --password-file "$dir/pw")"

port_of() { python3 -c "import json,sys; print(json.load(open('$dir/topo/topology.json'))['nodes'][$1]['port'])"; }
pid_of() { cat "$dir/topo/node-$1/server.pid"; }
P=(); for k in 0 1 2 3 4 5; do P[$k]=$(port_of $k); done
cli() { local k=$1; shift; redis-cli --no-auth-warning -a "$pw" -h "127.0.0.$((10 + k))" -p "${P[$k]}" "$@"; }

fail() { echo "FAIL: $*"; echo "--- last output:"; cat "$dir/out"; exit 1; }
# run EXPECTED_RC args...: runs verify, keeps stdout+stderr in $dir/out
run() {
  local want=$1; shift
  set +e; "$VB_BIN" verify "$@" >"$dir/out" 2>&1; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || fail "exit $rc, wanted $want: verify $*"
}
has() { grep -qF -- "$1" "$dir/out" || fail "output lacks: $1"; }
lacks() { ! grep -qF -- "$1" "$dir/out" || fail "output must not contain: $1"; }

# Primaries node-0..2 in zone-a/b/c; replica node-3 follows node-0, node-4 node-1, node-5 node-2.
zones=(--zone 127.0.0.10=zone-a --zone 127.0.0.11=zone-b --zone 127.0.0.12=zone-c
       --zone 127.0.0.13=zone-b --zone 127.0.0.14=zone-c --zone 127.0.0.15=zone-a)
export VALKEY_PASSWORD="$pw"

echo "== cross-zone layout passes"
run 0 -h 127.0.0.11 -p "${P[1]}" "${zones[@]}"
for s in "=== Pods ===" "=== cluster info ===" "cluster_state:ok" "cluster_slots_assigned:16384" \
         "cluster_slots_ok:16384" "cluster_known_nodes:6" "cluster_size:3" \
         "=== Topology + primary↔replica AZ pairing ===" \
         "PRIMARY 127.0.0.10:${P[0]} zone-a" "replica 127.0.0.13:${P[3]} zone-b cross-AZ ✓" \
         "replica 127.0.0.14:${P[4]} zone-c cross-AZ ✓" "replica 127.0.0.15:${P[5]} zone-a cross-AZ ✓" \
         "VERIFY: PASS — cluster_state=ok"; do has "$s"; done
[ "$(grep -c 'cross-AZ ✓' "$dir/out")" -eq 3 ] || fail "want 3 cross-AZ pairs"
lacks "$pw"
run 0 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}" --json
python3 - "$dir/out" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["result"] == "PASS", s
assert s["crossZonePairs"] == "3/3" and s["primaries"] == 3, s
assert s["clusterInfo"]["slotsOk"] == 16384 and s["clusterInfo"]["state"] == "ok", s
assert sorted(p["slots"] for p in s["topology"]) == [5461, 5461, 5462], s
assert all(len(p["replicas"]) == 1 and p["replicas"][0]["crossZone"] for p in s["topology"]), s
assert all(c["passed"] for c in s["checks"]) and s["firstFailure"] == "", s
agree = [c for c in s["checks"] if c["name"] == "nodesAgree"][0]
assert agree["message"] == "6 nodes agree with the seed on every slot's owner", agree
EOF

echo "== a primary whose only replica shares its zone fails, naming it"
same=("${zones[@]}"); same[7]=127.0.0.13=zone-a
run 1 -h 127.0.0.10 -p "${P[0]}" "${same[@]}"
has "primary 127.0.0.10:${P[0]} has no replica in another zone: replica 127.0.0.13:${P[3]} is also in zone-a"
has "replica 127.0.0.13:${P[3]} zone-a same-AZ ✗"
has "VERIFY: FAIL — replicaInDifferentZone"
run 0 -h 127.0.0.10 -p "${P[0]}" "${same[@]}" --no-cross-zone

echo "== an address missing from the zone map fails"
run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]:0:10}"
has "no pod has the address of replica 127.0.0.15:${P[5]}"

echo "== usage errors exit 2"
run 2 --mode bogus; has "--mode must be cluster or replication"
run 2 --zone nozone; has "--zone wants ADDR=ZONE"
run 2 --min-replicas 11
run 2 -p 70000
run 2 --frobnicate
run 2 --password-file "$dir/missing"
run 0 --help
for f in --host --port --mode --zone --user --password-file --min-replicas --no-cross-zone --timeout --json; do has "$f"; done
has "[default 6379]"

echo "== wrong or missing password fails cleanly"
VALKEY_PASSWORD="wrong-$RANDOM" run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "authentication failed at 127.0.0.10:${P[0]}"; has "VERIFY: FAIL"; lacks "$pw"
VALKEY_PASSWORD= run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "NOAUTH"; has "VERIFY: FAIL"

echo "== an unreachable seed fails"
run 1 -h 127.0.0.10 -p "${P[0]}" --port 1 "${zones[@]}"
has "cannot connect to 127.0.0.10:1"; has "VERIFY: FAIL — reachable"

echo "== a seed that accepts but never answers times out"
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(120)' "$dir/mute.port" &
mute=$!
for _ in $(seq 1 100); do [ -s "$dir/mute.port" ] && break; sleep 0.05; done
run 1 -h 127.0.0.1 -p "$(cat "$dir/mute.port")" --timeout 300
has "did not answer AUTH: timed out"; has "VERIFY: FAIL — reachable"
VALKEY_PASSWORD= run 1 -h 127.0.0.1 -p "$(cat "$dir/mute.port")" --timeout 300
has "127.0.0.1:$(cat "$dir/mute.port"): CLUSTER INFO failed: timed out"
kill "$mute"; wait "$mute" 2>/dev/null || true

echo "== a killed replica fails (its primary has no replica)"
kill -9 "$(pid_of 4)"
run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "primary 127.0.0.11:${P[1]} has 0 healthy replicas, needs 1: replica 127.0.0.14:${P[4]} unreachable"
has "node 127.0.0.14:${P[4]} unreachable"

echo "== a cluster in fail state fails"
kill -9 "$(pid_of 2)" "$(pid_of 5)"   # a whole shard: nothing can take over its slots
for _ in $(seq 1 300); do
  [ "$(cli 0 CLUSTER INFO | tr -d '\r' | grep '^cluster_state:')" = "cluster_state:fail" ] && break
  sleep 0.1
done
run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "cluster_slots_fail:5462"
has "cluster_state is fail (seen from 127.0.0.10:${P[0]})"
has "slots 10922-16383 served by primary 127.0.0.12:${P[2]} which is flagged fail"

echo "== nodes disagreeing on slot owners fail"
cli 0 CLUSTER DELSLOTSRANGE 0 99 >/dev/null   # only the seed forgets them
run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "FAIL nodesAgree: 127.0.0.11:${P[1]} sees 100 slots differently from the seed (slot 0: 127.0.0.10:${P[0]} here, no owner at the seed)"

echo "== deleted slot assignments fail"
for k in 1 3; do cli "$k" CLUSTER DELSLOTSRANGE 0 99 >/dev/null; done
run 1 -h 127.0.0.10 -p "${P[0]}" "${zones[@]}"
has "slots 0-99 not assigned to any primary"
has "cluster_slots_assigned:16284"
! grep -q "FAIL nodesAgree" "$dir/out" || fail "nodes should agree again"
echo "verify_cluster: all checks passed"
