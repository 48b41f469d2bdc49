#!/usr/bin/env bash
# `valkey-bench operator` processes against kubesim: leader election on a Lease (only one
# leader; the other takes over after SIGKILL once the lease expires, and promptly after a
# graceful SIGTERM, which releases the lease and exits 0), /healthz /readyz /metrics,
# JSON logs, and no token in any log.
set -euo pipefail
. "$(dirname "$0")/kubesim_env.sh"
start_kubesim
W=$KUBESIM_DIR
echo "work dir $W"
TOKEN=$(cat "$KUBESIM_DIR/token")
fail() { echo "FAIL: $*"; for f in "$W"/op-*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

# start_op ID LEASE DURATION DEADLINE RETRY [extra flags]: runs an operator in the background
start_op() {
    local id=$1 lease=$2 dur=$3 dl=$4 retry=$5; shift 5
    "$VB_BIN" operator --kubeconfig "$KUBECONFIG" --identity "$id" --lease-name "$lease" \
        --lease-namespace default --lease-duration "$dur" --renew-deadline "$dl" --retry-period "$retry" \
        --http-port 0 --workers 2 "$@" >"$W/op-$id.log" 2>&1 &
    echo $! >"$W/op-$id.pid"
    track_pid $!
}
pid_of() { cat "$W/op-$1.pid"; }
now_ms() { date +%s%3N; }
# wait_for DESC SECONDS COMMAND...: polls until the command succeeds
wait_for() {
    local desc=$1 secs=$2; shift 2
    for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
    fail "timed out waiting for $desc"
}
http_port() { sed -n 's/.*msg="http endpoint listening".*port=\([0-9]*\).*/\1/p; s/.*"msg":"http endpoint listening".*"port":"\([0-9]*\)".*/\1/p' "$W/op-$1.log" | head -1; }
has_port() { [ -n "$(http_port "$1")" ]; }
is_leader_log() { grep -q 'became leader' "$W/op-$1.log"; }
holder() { kubesim_api GET "/apis/coordination.k8s.io/v1/namespaces/default/leases/$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"].get("holderIdentity",""))'; }
holder_is() { [ "$(holder "$1" 2>/dev/null)" = "$2" ]; }
lease_field() { kubesim_api GET "/apis/coordination.k8s.io/v1/namespaces/default/leases/$1" |
    python3 -c "import json,sys; print(json.load(sys.stdin)['spec'].get('$2',''))"; }
get() { curl -s -o "$W/body" -w '%{http_code}' "http://127.0.0.1:$(http_port "$1")$2"; }
ready() { [ "$(get "$1" /readyz)" = 200 ]; }
leader_metric() { get "$1" /metrics >/dev/null; sed -n 's/^leader_election_master_status{name="'"$2"'"} \([01]\)$/\1/p' "$W/body"; }

echo "== two replicas, one leader"
start_op a main 8s 6s 1s --log-format json
# b uses the flag spellings of the shipped manifests (aliases)
start_op b main 8s 6s 1s --http-bind-address=127.0.0.1:0 --watch-namespaces=default,kube-system \
    --leader-election-namespace=default
for _ in $(seq 600); do h=$(holder main 2>/dev/null || true); [ -n "$h" ] && break; sleep 0.1; done
[ "$h" = a ] || [ "$h" = b ] || fail "no lease holder (got '$h')"
L=$h; F=$([ "$L" = a ] && echo b || echo a)
echo "leader $L, follower $F"
wait_for "leader log" 30 is_leader_log "$L"
is_leader_log "$F" && fail "both replicas claim leadership"
wait_for "http ports" 30 has_port a
wait_for "http ports" 30 has_port b

echo "== endpoints"
for id in a b; do
    [ "$(get $id /healthz)" = 200 ] || fail "$id /healthz"
    grep -q ok "$W/body" || fail "$id /healthz body"
    wait_for "$id ready" 60 ready $id
    [ "$(get $id /nope)" = 404 ] || fail "$id unknown path should be 404"
    [ "$(get $id /metrics)" = 200 ] || fail "$id /metrics"
    for fam in controller_runtime_reconcile_total controller_runtime_reconcile_errors_total \
               controller_runtime_reconcile_time_seconds workqueue_depth kube_informer_watch_restarts_total \
               leader_election_master_status; do
        grep -q "^# TYPE $fam " "$W/body" || fail "$id /metrics lacks $fam"
    done
done
# Sampled a few times: exactly one replica reports itself leader.
for _ in 1 2 3 4 5; do
    [ "$(leader_metric $L main)" = 1 ] || fail "leader $L does not report leader_election_master_status 1"
    [ "$(leader_metric $F main)" = 0 ] || fail "follower $F reports leader_election_master_status != 0"
    sleep 0.3
done
grep -q 'leader election: follower' <(get $F /readyz >/dev/null; cat "$W/body") || fail "follower /readyz body"
transitions=$(lease_field main leaseTransitions)
renew=$(lease_field main renewTime)
[[ "$renew" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$ ]] || fail "renewTime '$renew' is not a MicroTime"

echo "== SIGKILL the leader: the follower takes over once the lease expires"
t0=$(now_ms)
kill -9 "$(pid_of $L)"
wait_for "takeover by $F" 60 holder_is main "$F"
t1=$(now_ms)
wait_for "$F leader log" 30 is_leader_log "$F"
echo "takeover after SIGKILL: $((t1 - t0)) ms (lease duration 8000 ms, retry period 1000 ms)"
[ "$(lease_field main leaseTransitions)" -gt "$transitions" ] || fail "leaseTransitions did not grow"
wait_for "$F leader metric" 10 bash -c "[ \"\$(curl -s http://127.0.0.1:$(http_port $F)/metrics | sed -n 's/^leader_election_master_status{name=\"main\"} //p')\" = 1 ]"

echo "== a leader that cannot renew stops leading once the renew deadline passes"
kubesim_api POST /_kubesim/fail '{"count": 1000000, "code": 500, "path": "leases/main"}' >/dev/null
t0=$(now_ms)
stopped() { grep -q 'renew deadline passed' "$W/op-$F.log" && grep -q 'stopped leading' "$W/op-$F.log"; }
wait_for "$F to stop leading" 60 stopped
t1=$(now_ms)
echo "leader stopped $((t1 - t0)) ms after its renewals began to fail (renew deadline 6000 ms)"
[ "$(leader_metric $F main)" = 0 ] || fail "$F still reports itself leader"
grep -q 'controllers paused' "$W/op-$F.log" || fail "$F did not pause its controllers"
kubesim_api POST /_kubesim/clear '{}' >/dev/null
relead() { [ "$(grep -c 'became leader' "$W/op-$F.log")" -ge 2 ]; }
wait_for "$F to lead again" 60 relead

echo "== graceful SIGTERM releases the lease: prompt takeover"
# Long lease (30 s) so that a takeover before it ran out can only come from the release.
start_op c grace 30s 20s 500ms
wait_for "c leader" 60 holder_is grace c
start_op d grace 30s 20s 500ms
wait_for "d http" 30 has_port d
wait_for "d ready" 60 ready d
t0=$(now_ms)
kill -TERM "$(pid_of c)"
rc=0; wait "$(pid_of c)" || rc=$?
[ "$rc" = 0 ] || fail "operator c exited $rc after SIGTERM"
grep -q 'lease released' "$W/op-c.log" || fail "c did not release the lease"
wait_for "takeover by d" 60 holder_is grace d
t1=$(now_ms)
echo "takeover after SIGTERM: $((t1 - t0)) ms (lease duration 30000 ms)"
[ $((t1 - t0)) -lt 30000 ] || fail "takeover was not prompt: the lease was not released"

echo "== without leader election: ready once synced"
start_op e none 15s 10s 2s --leader-elect false --namespace default
wait_for "e http" 30 has_port e
wait_for "e ready" 60 ready e
grep -q 'leader election: disabled' "$W/body" || fail "e /readyz body"
kubesim_api GET /apis/coordination.k8s.io/v1/namespaces/default/leases/none | grep -q NotFound ||
    fail "a Lease was created although leader election is off"
kill -TERM "$(pid_of e)"; wait "$(pid_of e)" || fail "operator e exit status"

echo "== logs"
python3 - "$W/op-a.log" <<'PY' || fail "operator a's --log-format json output is not one JSON object per line"
import json, sys
n = 0
for line in open(sys.argv[1]):
    if line.strip():
        json.loads(line); n += 1
assert n > 0
PY
if grep -l -F "$TOKEN" "$W"/op-*.log; then fail "a log contains the bearer token"; fi
kill -TERM "$(pid_of d)"; wait "$(pid_of d)" || fail "operator d exit status"
kill -TERM "$(pid_of $F)"; wait "$(pid_of $F)" || fail "operator $F exit status"
echo PASS
