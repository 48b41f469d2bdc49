#!/usr/bin/env bash
# `valkey-bench runner` against a real cluster, as two runner pods would run it: both
# check the target and then wait for the start annotation (no load before the release),
# run their share once released, and hand back results the controller's decoder accepts
# and that match what the server counted; released seconds apart, three runners still
# start every test together. Also: unreachable target, wrong password and a runner whose
# peers never come fail with the right reason; 11 tests' results go to the log.
set -euo pipefail
: "${VB_BIN:?}" "${VB_HARNESS:?}" "${VB_SOURCE_DIR:?}"
CHECK="python3 $VB_SOURCE_DIR/tests/engine/vbcheck.py"
RES="python3 $VB_SOURCE_DIR/tests/operator/termmsg.py"
WORK=$(mktemp -d /tmp/vb-runner-test.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$WORK/topo" >/dev/null 2>&1 || true
    python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$WORK/topo-auth" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode cluster --dir "$WORK/topo" --owner-pid $$)"
mkdir -p "$WORK/podinfo"
printf 'karpenter.sh/do-not-disrupt="true"\n' >"$WORK/podinfo/annotations"

common=(--mode cluster --host "$VB_HOST" --port "$VB_PORT" --pipeline 16 --data-size 32 --threads 2
        --keyspace-len 100 --tests incr --runners 2 --start-file "$WORK/podinfo/annotations")
# 5001 requests over 2 runners: 2501 + 2500; 7 clients: 4 + 3
"$VB_BIN" runner "${common[@]}" --clients 4 --requests 2501 --runner-index 0 \
    --termination-log "$WORK/term-0" >"$WORK/log-0" 2>&1 &
pids+=($!)
"$VB_BIN" runner "${common[@]}" --clients 3 --requests 2500 --runner-index 1 \
    --termination-log "$WORK/term-1" >"$WORK/log-1" 2>&1 &
pids+=($!)

# Both must be waiting, and must not have touched the server.
for i in $(seq 1 600); do
    grep -q "waiting for the controller" "$WORK/log-0" 2>/dev/null && grep -q "waiting for the controller" "$WORK/log-1" 2>/dev/null && break
    sleep 0.1
done
grep -q "waiting for the controller" "$WORK/log-0" || fail "runner 0 is not waiting: $(cat "$WORK/log-0")"
kill -0 "${pids[0]}" && kill -0 "${pids[1]}" || fail "a runner exited before the release"
[ "$($CHECK count "$WORK/topo" 'counter:*')" -eq 0 ] || fail "load before the release"

# The release, written atomically as the kubelet rewrites downward-API files.
printf 'karpenter.sh/do-not-disrupt="true"\nvalkeybench.io/start="2026-11-25T01:00:00Z"\n' >"$WORK/podinfo/.new"
mv "$WORK/podinfo/.new" "$WORK/podinfo/annotations"
wait "${pids[0]}" || fail "runner 0 failed: $(cat "$WORK/log-0") $(cat "$WORK/term-0" 2>/dev/null)"
wait "${pids[1]}" || fail "runner 1 failed: $(cat "$WORK/log-1") $(cat "$WORK/term-1" 2>/dev/null)"
pids=()
n0=$($RES field "$WORK/term-0" tests.0.n) e0=$($RES field "$WORK/term-0" tests.0.e)
n1=$($RES field "$WORK/term-1" tests.0.n) e1=$($RES field "$WORK/term-1" tests.0.e)
[ "$n0" -eq 2501 ] && [ "$n1" -eq 2500 ] || fail "requests $n0 + $n1, want 2501 + 2500"
[ "$($RES field "$WORK/term-1" runner)" -eq 1 ] || fail "runner index not in the message"
sum=$($CHECK sum "$WORK/topo" 'counter:*')
[ "$sum" -eq $((n0 + n1 - e0 - e1)) ] || fail "server counted $sum INCRs, runners report $((n0 + n1 - e0 - e1)) successes"
[ "$(wc -c <"$WORK/term-0")" -le 4096 ] || fail "termination message over 4096 bytes"

# Start lines: three runners whose pods see the release seconds apart (as kubelets
# refresh downward-API files at their own pace), runner 2 with three times the requests,
# still start every test together: each test's start, logged in wall-clock time by each
# runner, is within a fraction of the 4 s between the releases. Exact sums, no sync key left.
sync=(--mode cluster --host "$VB_HOST" --port "$VB_PORT" --pipeline 16 --data-size 32 --threads 1 --clients 2
      --keyspace-len 100 --tests incr,set --runners 3 --sync-id "ns/bench/run1/0")
before=$($CHECK sum "$WORK/topo" 'counter:*')
for i in 0 1 2; do
    mkdir -p "$WORK/pi-$i"
    printf 'karpenter.sh/do-not-disrupt="true"\n' >"$WORK/pi-$i/annotations"
    "$VB_BIN" runner "${sync[@]}" --requests $((i == 2 ? 30000 : 10000)) --runner-index "$i" \
        --start-file "$WORK/pi-$i/annotations" --termination-log "$WORK/term-s$i" >"$WORK/log-s$i" 2>&1 &
    pids+=($!)
done
for i in 0 1 2; do
    printf 'valkeybench.io/start="2026-11-25T01:00:00Z"\n' >"$WORK/pi-$i/.new"
    mv "$WORK/pi-$i/.new" "$WORK/pi-$i/annotations"
    [ "$i" -lt 2 ] && sleep 2
done
for i in 0 1 2; do
    wait "${pids[$i]}" || fail "sync runner $i failed: $(cat "$WORK/log-s$i") $(cat "$WORK/term-s$i" 2>/dev/null)"
done
pids=()
for t in INCR SET; do
    starts=$(for i in 0 1 2; do
        grep "every runner at the start line" "$WORK/log-s$i" | grep "test=$t " | grep -o 'unixNanos=[0-9]*' | cut -d= -f2
    done)
    [ "$(echo "$starts" | wc -l)" -eq 3 ] || fail "test $t: start lines logged: $starts"
    spread=$(echo "$starts" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.3f", (hi - lo) / 1e9}')
    awk -v s="$spread" 'BEGIN {exit !(s < 2.0)}' || fail "test $t: runners started ${spread} s apart"
    echo "test $t: the three runners started within ${spread} s"
done
ok=0
for i in 0 1 2; do ok=$((ok + $($RES field "$WORK/term-s$i" tests.0.n) - $($RES field "$WORK/term-s$i" tests.0.e))); done
[ "$ok" -eq 50000 ] || fail "sync runners report $ok INCR successes, want 50000"
[ "$(($($CHECK sum "$WORK/topo" 'counter:*') - before))" -eq "$ok" ] || fail "server INCR sum differs from $ok"
[ "$($CHECK count "$WORK/topo" 'valkeybench:sync:*')" -eq 0 ] || fail "sync keys left behind"

# A runner whose peers never come: RunnersNotSynchronized once --start-timeout passes.
rc=0
"$VB_BIN" runner "${sync[@]/run1/run2}" --requests 100 --runner-index 0 --start-timeout 2 \
    --termination-log "$WORK/term-lone" >"$WORK/log-lone" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "lone runner: exit $rc"
[ "$($RES field "$WORK/term-lone" reason)" = RunnersNotSynchronized ] || fail "lone runner: $(cat "$WORK/term-lone")"
grep -q "did not reach the start line of test INCR" "$WORK/term-lone" || fail "lone runner: $(cat "$WORK/term-lone")"
[ "$($CHECK sum "$WORK/topo" 'counter:*')" -eq "$((before + ok))" ] || fail "lone runner loaded the server"

# A start timeout that is no positive number of seconds: InvalidRunnerArguments, exit 2.
rc=0
"$VB_BIN" runner --termination-log "$WORK/term-st" "${sync[@]}" --requests 100 --runner-index 0 \
    --start-timeout -5 >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] && [ "$($RES field "$WORK/term-st" reason)" = InvalidRunnerArguments ] ||
    fail "negative --start-timeout: exit $rc, $(cat "$WORK/term-st" 2>/dev/null)"

# Eleven tests: the whole results go to the log, a pointer to the termination message.
"$VB_BIN" runner --mode cluster --host "$VB_HOST" --port "$VB_PORT" --clients 4 --threads 2 --requests 40000 \
    --keyspace-len 100000 --tests set,get,incr,ping,lpush,rpush,lpop,rpop,sadd,hset,mset --runner-index 0 \
    --termination-log "$WORK/term-11" >"$WORK/log-11" 2>"$WORK/err-11" || fail "11 tests: $(cat "$WORK/err-11")"
[ "$(wc -c <"$WORK/term-11")" -le 4096 ] || fail "termination message over 4096 bytes"
# (Usually too big for 4096 bytes; a very regular latency distribution may still fit.)
if $RES field "$WORK/term-11" log >/dev/null; then
    [ "$($RES log-tests "$WORK/term-11" "$WORK/log-11")" -eq 11 ] || fail "the log line does not hold 11 tests"
else
    $RES field "$WORK/term-11" tests.10.n >/dev/null || fail "neither 11 tests nor a pointer: $(head -c 300 "$WORK/term-11")"
fi

# Unreachable target: fails at once (no waiting), reason TargetUnreachable.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rc=0
"$VB_BIN" runner --mode standalone --host 127.0.0.1 --port "$port" --clients 1 --threads 1 --requests 10 --tests set \
    --runner-index 0 --start-file "$WORK/never" --termination-log "$WORK/term-u" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "unreachable target: exit $rc"
[ "$($RES field "$WORK/term-u" reason)" = TargetUnreachable ] || fail "unreachable: $(cat "$WORK/term-u")"

# Wrong password: AuthFailed; the password never appears in the message or the log.
echo 's3cret-pass' >"$WORK/pw"
eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode standalone --dir "$WORK/topo-auth" --owner-pid $$ --password-file "$WORK/pw")"
rc=0
VALKEY_PASSWORD=wrong-one "$VB_BIN" runner --mode standalone --host "$VB_HOST" --port "$VB_PORT" --clients 1 --threads 1 \
    --requests 10 --tests set --runner-index 0 --start-file "$WORK/never" --termination-log "$WORK/term-a" \
    >"$WORK/log-a" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "wrong password: exit $rc"
[ "$($RES field "$WORK/term-a" reason)" = AuthFailed ] || fail "wrong password: $(cat "$WORK/term-a")"
! grep -q wrong-one "$WORK/term-a" "$WORK/log-a" || fail "password leaked"
rc=0
"$VB_BIN" runner --mode standalone --host "$VB_HOST" --port "$VB_PORT" --clients 1 --threads 1 \
    --requests 10 --tests set --runner-index 0 --termination-log "$WORK/term-n" >/dev/null 2>&1 || rc=$?
[ "$($RES field "$WORK/term-n" reason)" = AuthFailed ] || fail "no password: $(cat "$WORK/term-n")"
VALKEY_PASSWORD=s3cret-pass "$VB_BIN" runner --mode standalone --host "$VB_HOST" --port "$VB_PORT" --clients 1 --threads 1 \
    --requests 10 --tests set --runner-index 0 --termination-log "$WORK/term-ok" >/dev/null 2>&1 || fail "right password: $(cat "$WORK/term-ok")"
[ "$($RES field "$WORK/term-ok" tests.0.n)" -eq 10 ] || fail "right password: $(cat "$WORK/term-ok")"

# An ACL user (spec.auth.usernameKey -> VALKEY_USERNAME): its own password works, the
# default user's does not, and neither appears in the message or the log.
redis-cli --no-auth-warning -h "$VB_HOST" -p "$VB_PORT" -a s3cret-pass \
    ACL SETUSER bench on '>b3nch-pass' '~*' '+@all' >/dev/null || fail "cannot create the ACL user"
acl=(--mode standalone --host "$VB_HOST" --port "$VB_PORT" --clients 1 --threads 1 --requests 10 --tests set
     --runner-index 0)
VALKEY_USERNAME=bench VALKEY_PASSWORD=b3nch-pass "$VB_BIN" runner "${acl[@]}" --termination-log "$WORK/term-acl" \
    >"$WORK/log-acl" 2>&1 || fail "ACL user: $(cat "$WORK/term-acl")"
[ "$($RES field "$WORK/term-acl" tests.0.n)" -eq 10 ] || fail "ACL user: $(cat "$WORK/term-acl")"
rc=0
VALKEY_USERNAME=bench VALKEY_PASSWORD=s3cret-pass "$VB_BIN" runner "${acl[@]}" --termination-log "$WORK/term-acl2" \
    >"$WORK/log-acl2" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && [ "$($RES field "$WORK/term-acl2" reason)" = AuthFailed ] || fail "ACL user, wrong password: $(cat "$WORK/term-acl2")"
! grep -q -e b3nch-pass -e s3cret-pass "$WORK/term-acl" "$WORK/log-acl" "$WORK/term-acl2" "$WORK/log-acl2" || fail "password leaked"
echo "ok: runners released together, every test started together, INCR sums == successes, 11 tests via the log, unreachable, auth (also an ACL user) and lone-runner failures"
