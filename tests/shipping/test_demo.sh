#!/usr/bin/env bash
# hack/demo.sh end to end with a small workload: both sample benchmarks Succeeded with
# non-zero rps for SET, GET and INCR in the compare table, their INCR successes equal to
# the increments the servers hold, the topology check PASS with 3/3
# cross-zone pairs, and every process the demo recorded gone afterwards. Then a second run
# interrupted with SIGINT while it waits: it must exit 130 and leave no process behind either.
# Then a third run with DEMO_KUBECTL=none (a machine with no kubectl, none fetchable): the same
# flow through hack/kube-lite.py, the same results, its tables from the API server, a kubectl
# on PATH never called, nothing left behind.
set -uo pipefail
: "${VB_BIN:?}" "${VB_SOURCE_DIR:?}"
tmp=$(mktemp -d /tmp/test-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/out" ] && tail -40 "$tmp/out" >&2; exit 1; }

# The demo's own processes: the PIDs it recorded, and anything still naming its work dir
# (kubesim's --dir, runner processes' remapped paths).
assert_nothing_left() {   # workdir
    local pid what left=""
    for _ in $(seq 50); do
        left=""
        while read -r pid what; do
            kill -0 "$pid" 2>/dev/null || continue
            tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -Eq 'server|kubesim|valkey-bench' && left="$left $pid($what)"
        done <"$1/pids"
        for p in /proc/[0-9]*; do
            tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$1/" && left="$left ${p#/proc/}"
        done
        [ -z "$left" ] && return 0
        sleep 0.2
    done
    fail "processes left behind:$left"
}

# What a completed run prints (run 1 with kubectl, run 3 without): the -o wide rows, the
# verdict, the compare table, the runners' nodes, the INCR check, the summary.
assert_full_run() {   # output file
    for b in cluster-mode replication-mode; do
        grep -Eq "^valkeybenchmark.valkeybench.io/$b +[a-z]+ +Succeeded +SET=[0-9.]+[kM]? GET=[0-9.]+[kM]? INCR=" "$1" \
            || fail "$b not Succeeded with SET/GET/INCR rps in the -o wide table"
    done
    grep -Eq '^valkeytopologycheck.valkeybench.io/valkey-cluster +PASS +ok +16384 +3 +3/3 ' "$1" \
        || fail "topology check row not PASS ok 16384 3 3/3"
    grep -q '^result: PASS  cross-zone pairs: 3/3' "$1" || fail "no PASS verdict"
    grep -q 'replicaInDifferentZone: true' "$1" || fail "verdict lacks replicaInDifferentZone"
    grep -q '^| Test | cluster-mode (cluster, 1 runner) | replication-mode (replication, 1 runner) |' "$1" \
        || fail "no compare table header"
    for t in SET GET INCR; do
        row=$(grep -E "^\| $t \|" "$1") || fail "no $t row in the compare table"
        # both columns: a non-zero rps
        echo "$row" | grep -Eq "^\| $t \| [1-9][0-9,]* rps [^|]*\| [1-9][0-9,]* rps " || fail "zero or missing rps: $row"
    done
    for b in cluster-mode replication-mode; do   # one runner each, on a Karpenter runner node
        grep -Eq "^  $b: $b-[a-z0-9-]+ on ip-10-0-[123]-1\.us-west-2[abc] \(us-west-2[abc], Succeeded\)$" "$1" \
            || fail "$b's runner not reported on a runner node"
    done
    for b in cluster-mode replication-mode; do   # the samples' INCR results, against what the servers hold
        grep -Eq "^demo: $b: the servers hold [1-9][0-9]* increments, status.results counts [0-9]+ successful INCRs: exact$" \
            "$1" || fail "$b: INCR results not checked exact against the servers"
    done
    grep -q '^demo: benchmarks: Succeeded Succeeded; topology check: PASS$' "$1" || fail "no final summary"
}

# The samples as shipped must be what the demo applies (only host/port/requests patched).
echo "--- run 1: full flow"
DEMO_WORKDIR=$tmp/w1 DEMO_KEEP_WORKDIR=1 "$VB_SOURCE_DIR/hack/demo.sh" --requests 3000 --timeout 300 \
    >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
[ "$rc" -eq 0 ] || fail "demo exited $rc"
[ -s "$tmp/w1/pids" ] || fail "the demo recorded no PIDs"
[ "$(grep -c . "$tmp/w1/pids")" -ge 12 ] || fail "expected 10 servers + kubesim + operator in pids"
assert_nothing_left "$tmp/w1"

assert_full_run "$tmp/out"
grep -q '^== kubectl get valkeytopologychecks,valkeybenchmarks -o wide$' "$tmp/out" || fail "run 1 did not use kubectl"
! grep -q 'kube-lite' "$tmp/out" || fail "run 1 used kube-lite although kubectl is there"

echo "--- run 2: SIGINT while waiting"
# Started from a shell, a background job ignores SIGINT; give the demo the default disposition
# back, as an interactive Ctrl-C would find it.
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
    env DEMO_WORKDIR="$tmp/w2" DEMO_KEEP_WORKDIR=1 "$VB_SOURCE_DIR/hack/demo.sh" --requests 20000000 --timeout 300 \
    >"$tmp/out2" 2>&1 &
demo=$!
for _ in $(seq 600); do grep -q '^== waiting for' "$tmp/out2" && break; kill -0 "$demo" 2>/dev/null || break; sleep 0.2; done
grep -q '^== waiting for' "$tmp/out2" || { cat "$tmp/out2"; fail "run 2 never reached the wait"; }
sleep 2
kill -INT "$demo"
wait "$demo"
rc=$?
cat "$tmp/out2"
[ "$rc" -eq 130 ] || fail "interrupted demo exited $rc, expected 130"
grep -q 'demo: stopping everything it started' "$tmp/out2" || fail "no cleanup message after SIGINT"
assert_nothing_left "$tmp/w2"

echo "--- run 3: no kubectl (DEMO_KUBECTL=none)"
# A kubectl first on PATH that must not be called.
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "$@" >>"%s/kubectl-called"\nexit 1\n' "$tmp" >"$tmp/bin/kubectl"
chmod +x "$tmp/bin/kubectl"
PATH="$tmp/bin:$PATH" DEMO_KUBECTL=none DEMO_WORKDIR=$tmp/w3 DEMO_KEEP_WORKDIR=1 \
    "$VB_SOURCE_DIR/hack/demo.sh" --requests 2000 --timeout 300 >"$tmp/out3" 2>&1
rc=$?
cat "$tmp/out3"
[ "$rc" -eq 0 ] || fail "demo without kubectl exited $rc"
[ ! -e "$tmp/kubectl-called" ] || fail "DEMO_KUBECTL=none still ran kubectl: $(cat "$tmp/kubectl-called")"
grep -q '^demo: kubectl not found (DEMO_KUBECTL=none): hack/kube-lite.py talks to the API server' "$tmp/out3" \
    || fail "run 3 does not say how it talks to the API server"
grep -q '^== valkeytopologychecks,valkeybenchmarks -o wide (kubectl not found: the table from the API server)$' \
    "$tmp/out3" || fail "run 3 does not say where its table comes from"
grep -q '^secret/valkey-auth created$' "$tmp/out3" || fail "run 3 created no Secret"
! grep -qF "$(cat "$tmp/w3/password")" "$tmp/out3" || fail "run 3 printed the password"
assert_full_run "$tmp/out3"
assert_nothing_left "$tmp/w3"
echo "PASS"
