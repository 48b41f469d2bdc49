#!/usr/bin/env bash
# `valkey-bench verify --mode replication` against a real primary with three replicas,
# one per loopback address, with a password: PASS when a replica sits in another zone
# (also when started from a replica), FAIL naming the primary when none does, when too
# few replicas are healthy, after replicas are killed, and on a wrong password.
set -euo pipefail
: "${VB_BIN:?}" "${VB_HARNESS:?}"

dir=$(mktemp -d)
trap 'python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$dir/topo" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
pw="repl-$RANDOM-secret"
printf '%s\n' "$pw" >"$dir/pw"
eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode replication --replicas 3 --dir "$dir/topo" \
          --owner-pid $$ --ip-per-node --password-file "$dir/pw")"

port_of() { python3 -c "import json; print(json.load(open('$dir/topo/topology.json'))['nodes'][$1]['port'])"; }
pid_of() { cat "$dir/topo/node-$1/server.pid"; }
P=(); for k in 0 1 2 3; do P[$k]=$(port_of $k); done

fail() { echo "FAIL: $*"; echo "--- last output:"; cat "$dir/out"; exit 1; }
run() {
  local want=$1; shift
  set +e; "$VB_BIN" verify --mode replication "$@" >"$dir/out" 2>&1; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || fail "exit $rc, wanted $want: verify $*"
}
has() { grep -qF -- "$1" "$dir/out" || fail "output lacks: $1"; }

# The seed's layout: primary in zone-a, one replica in each of the three zones.
zones=(--zone 127.0.0.10=zone-a --zone 127.0.0.11=zone-a --zone 127.0.0.12=zone-b --zone 127.0.0.13=zone-c)
pwf=(--password-file "$dir/pw")

echo "== primary with cross-zone replicas passes"
run 0 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}"
for s in "=== Pods ===" "=== replication info ===" "role:master (127.0.0.10:${P[0]})" "connected_slaves:3" \
         "PRIMARY 127.0.0.10:${P[0]} zone-a" "replica 127.0.0.11:${P[1]} zone-a same-AZ ✗" \
         "replica 127.0.0.12:${P[2]} zone-b cross-AZ ✓" "replica 127.0.0.13:${P[3]} zone-c cross-AZ ✓" \
         "link up, lag" "VERIFY: PASS — role:master with 3 healthy replicas"; do has "$s"; done

echo "== started from a replica, verify follows it to the primary"
run 0 -h 127.0.0.12 -p "${P[2]}" "${pwf[@]}" "${zones[@]}"
has "role:master (127.0.0.10:${P[0]})"

echo "== every replica in the primary's zone fails, naming the primary"
run 1 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" --zone 127.0.0.10=zone-a --zone 127.0.0.11=zone-a \
      --zone 127.0.0.12=zone-a --zone 127.0.0.13=zone-a
has "primary 127.0.0.10:${P[0]} has no replica in another zone: replica 127.0.0.11:${P[1]} is also in zone-a"

echo "== more replicas required than exist fails"
run 1 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}" --min-replicas 4
has "primary 127.0.0.10:${P[0]} has 3 healthy replicas, needs 4"

echo "== wrong password fails cleanly"
printf 'nope\n' >"$dir/badpw"
run 1 -h 127.0.0.10 -p "${P[0]}" --password-file "$dir/badpw" "${zones[@]}"
has "authentication failed at 127.0.0.10:${P[0]}"; has "VERIFY: FAIL"
! grep -qF "$pw" "$dir/out" || fail "password leaked"

echo "== killed replicas fail"
# The primary drops a dead replica as soon as it sees the closed connection; until then
# the replica is (rightly) an unreachable node, so wait for that before expecting PASS.
wait_replicas() {
  for _ in $(seq 1 100); do
    redis-cli --no-auth-warning -a "$pw" -h 127.0.0.10 -p "${P[0]}" INFO replication | tr -d '\r' |
      grep -qx "connected_slaves:$1" && return 0
    sleep 0.1
  done
  fail "primary still reports a dead replica"
}
kill -9 "$(pid_of 3)"
wait_replicas 2
run 1 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}" --min-replicas 3
has "primary 127.0.0.10:${P[0]} has 2 healthy replicas, needs 3"
run 0 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}"   # zone-b still holds a copy
kill -9 "$(pid_of 2)"
run 1 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}"
has "primary 127.0.0.10:${P[0]} has no replica in another zone: replica 127.0.0.11:${P[1]} is also in zone-a"
kill -9 "$(pid_of 1)"
run 1 -h 127.0.0.10 -p "${P[0]}" "${pwf[@]}" "${zones[@]}"
has "primary 127.0.0.10:${P[0]} has 0 healthy replicas, needs 1"
echo "verify_replication: all checks passed"
