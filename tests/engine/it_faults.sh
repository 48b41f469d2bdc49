#!/usr/bin/env bash
# Faults give one clear line, a non-zero exit and, mid-run, partial results:
# unreachable host, unknown host, missing and wrong password, a server that dies or
# stalls mid-run, a cluster that is not ok. The password never appears in the output.
. "$(dirname "$0")/lib.sh"

expect_fail() { # name pattern cmd...
    local name=$1 pattern=$2
    shift 2
    local rc=0
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ "$rc" -eq 1 ] || fail "$name: exit code $rc, want 1 ($(cat "$WORK/$name.err"))"
    grep -q -- "$pattern" "$WORK/$name.err" || fail "$name: stderr lacks '$pattern': $(cat "$WORK/$name.err")"
    [ "$(grep -vc '^valkey-bench: warning' "$WORK/$name.err")" -eq 1 ] || fail "$name: not one line: $(cat "$WORK/$name.err")"
    if grep -q -e "$SECRET" -e "$WRONG" "$WORK/$name.out" "$WORK/$name.err"; then fail "$name: password printed"; fi
}
SECRET=pw-S3cret-$$
WRONG=nope-Wr0ng-$$
printf '%s\n' "$SECRET" >"$WORK/pw"
chmod 600 "$WORK/pw"

# A port nobody listens on: the harness's own range start minus one is as good as any.
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_fail unreachable "cannot connect to 127.0.0.1:$free_port" "$VB_BIN" run -p "$free_port" -n 10
expect_fail unknown_host "cannot connect to no-such-host.invalid" "$VB_BIN" run -h no-such-host.invalid -n 10

start_topology standalone --password-file "$WORK/pw"
pidfile=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][0]["dir"])' "$WORK/topo/topology.json")/server.pid
base=(run -h "$VB_HOST" -p "$VB_PORT" -c 4 --threads 2)
expect_fail no_password "requires a password" env -u VALKEY_PASSWORD "$VB_BIN" "${base[@]}" -n 10
expect_fail wrong_password "authentication failed at $VB_HOST:$VB_PORT" env VALKEY_PASSWORD="$WRONG" "$VB_BIN" "${base[@]}" -n 10
expect_fail wrong_password_a "authentication failed" "$VB_BIN" "${base[@]}" -a "$WRONG" -n 10
grep -q "visible\|process list" "$WORK/wrong_password_a.err" || fail "-a without a warning"
"$VB_BIN" "${base[@]}" --password-file "$WORK/pw" -n 1000 -q >"$WORK/ok.out" 2>&1 || fail "right password: $(cat "$WORK/ok.out")"
if grep -q "$SECRET" "$WORK/ok.out"; then fail "password printed"; fi

# A stalled server: the reply timeout ends the run, with partial results.
"$VB_BIN" "${base[@]}" --password-file "$WORK/pw" -t get --duration 30 --timeout 1 --json >"$WORK/stall.json" 2>"$WORK/stall.err" &
run=$!
sleep 1.5
kill -STOP "$(cat "$pidfile")"
rc=0
wait "$run" || rc=$?
kill -CONT "$(cat "$pidfile")"
[ "$rc" -eq 1 ] || fail "stalled server: exit code $rc"
grep -q "no reply from $VB_HOST:$VB_PORT within" "$WORK/stall.err" || fail "stalled server: $(cat "$WORK/stall.err")"
read -r partial requests <<<"$($CHECK json-get "$WORK/stall.json" partial tests.0.requests)"
[ "$partial" = true ] && [ "$requests" -gt 0 ] || fail "stalled server: partial=$partial requests=$requests"

# A server killed mid-run.
"$VB_BIN" "${base[@]}" --password-file "$WORK/pw" -t set,get --duration 30 --json >"$WORK/kill.json" 2>"$WORK/kill.err" &
run=$!
sleep 1.5
kill -9 "$(cat "$pidfile")"
rc=0
wait "$run" || rc=$?
[ "$rc" -eq 1 ] || fail "killed server: exit code $rc"
grep -q "lost the connection to $VB_HOST:$VB_PORT" "$WORK/kill.err" || fail "killed server: $(cat "$WORK/kill.err")"
[ "$(wc -l <"$WORK/kill.err")" -eq 1 ] || fail "killed server: more than one line: $(cat "$WORK/kill.err")"
read -r partial requests error <<<"$($CHECK json-get "$WORK/kill.json" partial tests.0.requests error)"
[ "$partial" = true ] && [ "$requests" -gt 0 ] || fail "killed server: partial=$partial requests=$requests"
python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$WORK/topo" >/dev/null

# A cluster that is not ok: a primary without replica dies, its slots go uncovered.
start_topology cluster --replicas 0
victim=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["nodes"][2]["dir"])' "$WORK/topo/topology.json")/server.pid
kill -9 "$(cat "$victim")"
for _ in $(seq 100); do
    redis-cli -h "$VB_HOST" -p "$VB_PORT" cluster info | grep -q 'cluster_state:fail' && break
    sleep 0.2
done
expect_fail cluster_fail "cluster at $VB_HOST:$VB_PORT is not ok (cluster_state:fail" "$VB_BIN" run --cluster -h "$VB_HOST" -p "$VB_PORT" -n 10
echo "ok: every fault reported cleanly"
