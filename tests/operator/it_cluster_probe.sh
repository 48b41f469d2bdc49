#!/usr/bin/env bash
# The post-run cluster probe (status.keyCounts and status.clusterCheck of a cluster-mode
# ValkeyBenchmark) against a real 3+3 cluster with a password, one node per loopback
# address: key counts equal each primary's DBSIZE and sum to the keys written; a healthy
# cluster is "all 16384 slots covered, nodes agree"; then a wrong password, a killed
# replica, slots only the seed forgot and slots every node forgot each give their verdict.
# $1: the probe_status driver (tests/operator/probe_status.c).
set -euo pipefail
: "${VB_HARNESS:?}"
PROBE=${1:?probe_status binary}
WORK=$(mktemp -d /tmp/vb-probe-test.XXXXXX)
cleanup() {
    python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$WORK/topo" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- last output:"; cat "$WORK/out" 2>/dev/null || true; exit 1; }

export VALKEY_PASSWORD="probe-$RANDOM-secret"
echo "$VALKEY_PASSWORD" >"$WORK/pw"
eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode cluster --ip-per-node --password-file "$WORK/pw" \
          --dir "$WORK/topo" --owner-pid $$)"
# node k (127.0.0.1k) as host:port; 0-2 primaries, 3-5 their replicas
IFS=, read -ra N <<<"$VB_NODES"
[ "${#N[@]}" -eq 6 ] || fail "wanted 6 nodes, got $VB_NODES"
cli() { local a=${N[$1]}; shift; redis-cli --no-auth-warning -h "${a%:*}" -p "${a##*:}" "$@"; }
probe() { local a=${N[$1]}; "$PROBE" "${a%:*}" "${a##*:}" >"$WORK/out" || fail "probe_status exited $?"; }
# expect PY_EXPR...: Python assertions over s, the status fields; n is the node list
expect() {
  python3 - "$WORK/out" "$VB_NODES" "$@" <<'PY' || fail "status assertion"
import json, sys
s, n = json.load(open(sys.argv[1])), sys.argv[2].split(",")
for e in sys.argv[3:]:
    assert eval(e), (e, s)
PY
}
check_is() { expect "s['clusterCheck'] == {'slotsCovered': $1, 'nodesAgree': $2, 'message': f'''$3'''}"; }
export REDISCLI_AUTH="$VALKEY_PASSWORD"

echo "== key counts are each primary's DBSIZE"
for i in $(seq 1 500); do echo "SET probe:key:$i v$i"; done | cli 0 -c >/dev/null
d=("$(cli 0 DBSIZE)" "$(cli 1 DBSIZE)" "$(cli 2 DBSIZE)")
[ $((d[0] + d[1] + d[2])) -eq 500 ] || fail "the primaries hold ${d[*]} keys, wanted 500 in all"
probe 1
expect "sorted((k['node'], k['keys']) for k in s['keyCounts']) == [(n[0], ${d[0]}), (n[1], ${d[1]}), (n[2], ${d[2]})]" \
       "min(k['keys'] for k in s['keyCounts']) > 0"
check_is True True "all 16384 slots covered, nodes agree"
! grep -qF "$VALKEY_PASSWORD" "$WORK/out" || fail "the password leaked into the status"
probe 4  # a replica as the seed sees the same cluster
expect "len(s['keyCounts']) == 3" "sum(k['keys'] for k in s['keyCounts']) == 500"
check_is True True "all 16384 slots covered, nodes agree"

echo "== a wrong password is a failed check naming the seed"
VALKEY_PASSWORD="wrong-$RANDOM" probe 0
expect "s['keyCounts'] == []" "s['clusterCheck']['slotsCovered'] is False" "s['clusterCheck']['nodesAgree'] is False" \
       "s['clusterCheck']['message'].startswith(f'authentication failed at {n[0]}: WRONGPASS')"

echo "== an unreachable replica: slots covered, nodes do not agree"
kill -9 "$(cat "$WORK/topo/node-4/server.pid")"
probe 0
check_is True False "all 16384 slots covered, but cannot ask node {n[4]} (cannot connect to {n[4]}: Connection refused)"
expect "len(s['keyCounts']) == 3"

echo "== slots only the seed forgot: not covered, and the others disagree"
cli 0 CLUSTER DELSLOTSRANGE 0 99 >/dev/null
probe 0
check_is False False "16284 of 16384 slots covered; node {n[1]} disagrees about slots"
expect "[k['keys'] for k in s['keyCounts'] if k['node'] == n[0]] == [${d[0]}]"

echo "== slots every node forgot: not covered, the live nodes agree"
for k in 1 2 3 5; do cli "$k" CLUSTER DELSLOTSRANGE 0 99 >/dev/null; done
probe 1
check_is False False "16284 of 16384 slots covered; cannot ask node {n[4]} (cannot connect to {n[4]}: Connection refused)"
echo "it_cluster_probe: all checks passed"
