#!/usr/bin/env bash
# `valkey-bench run` end to end on a replication group: reads spread by --read-from
# (discovered replicas and --replica), duration and warm-up, --output files, the
# formats, and --help listing every flag.
. "$(dirname "$0")/lib.sh"

help=$("$VB_BIN" run --help)
for flag in --host --port --mode --cluster --read-from --replica --user --password-file " -a " --timeout \
    " -c " " -n " --duration --warmup " -d " " -P " --threads " -r " " -t " --seed --workload-name --output \
    --csv --json " -q " --help; do
    grep -q -- "$flag" <<<"$help" || fail "--help does not list $flag"
done
grep -q "default 50" <<<"$help" && grep -q "default 500000" <<<"$help" || fail "--help lacks defaults"
rc=0
"$VB_BIN" run --bogus 2>"$WORK/bogus.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--bogus" "$WORK/bogus.err" || fail "unknown flag: exit $rc, $(cat "$WORK/bogus.err")"

start_topology replication --replicas 2
base=(run --mode replication -h "$VB_HOST" -p "$VB_PORT" -c 6 --threads 2 -r 1000)
replica_calls() { local t=0; for c in $($CHECK calls "$WORK/topo" get replica); do t=$((t + c)); done; echo "$t"; }
primary_calls() { $CHECK calls "$WORK/topo" get primary; }

"$VB_BIN" "${base[@]}" -t get -n 6000 --read-from replicas -q >/dev/null
[ "$(replica_calls)" -eq 6000 ] && [ "$(primary_calls)" -eq 0 ] ||
    fail "--read-from replicas: replicas served $(replica_calls) GETs, primary $(primary_calls)"
for c in $($CHECK calls "$WORK/topo" get replica); do [ "$c" -gt 0 ] || fail "a replica got no reads"; done

"$VB_BIN" "${base[@]}" -t get -n 6000 --read-from primary -q >/dev/null
[ "$(primary_calls)" -eq 6000 ] || fail "--read-from primary: primary served $(primary_calls) GETs"

"$VB_BIN" "${base[@]}" -t get -n 6000 --read-from any -q >/dev/null
[ "$(primary_calls)" -gt 6000 ] && [ "$(replica_calls)" -gt 6000 ] || fail "--read-from any did not use both"

# --replica: only the one given.
first_replica=$(python3 -c 'import json,sys; n=[n for n in json.load(open(sys.argv[1]))["nodes"] if n["role"]=="replica"][0]; print("%s:%d" % (n["host"], n["port"]))' "$WORK/topo/topology.json")
before=$($CHECK calls "$WORK/topo" get replica)
"$VB_BIN" "${base[@]}" -t get -n 3000 --read-from replicas --replica "$first_replica" -q >/dev/null
after=$($CHECK calls "$WORK/topo" get replica)
[ "$(( ${after%% *} - ${before%% *} ))" -eq 3000 ] && [ "${after##* }" -eq "${before##* }" ] ||
    fail "--replica $first_replica: before '$before' after '$after'"

# Writes always go to the primary, whatever --read-from says.
"$VB_BIN" "${base[@]}" -t set -n 2000 --read-from replicas -q >/dev/null
[ "$($CHECK calls "$WORK/topo" set primary)" -eq 2000 ] || fail "SETs did not all go to the primary"

# Duration and warm-up: the measured window is at least --duration, and warm-up
# requests run but do not count.
"$VB_BIN" "${base[@]}" -t incr --duration 1.5 --warmup 1 --json >"$WORK/d.json"
read -r elapsed requests partial <<<"$($CHECK json-get "$WORK/d.json" tests.0.elapsed_s tests.0.requests partial)"
python3 -c "import sys; sys.exit(0 if float('$elapsed') >= 1.5 else 1)" || fail "elapsed $elapsed < --duration 1.5"
[ "$partial" = false ] && [ "$requests" -gt 0 ] || fail "duration run: partial=$partial requests=$requests"
calls=$($CHECK calls "$WORK/topo" incr primary)
[ "$calls" -gt "$requests" ] || fail "warm-up: server executed $calls INCRs, engine counted $requests"

# --output writes the three files; --json carries the parameters and histograms.
"$VB_BIN" "${base[@]}" -t set,get -n 2000 --workload-name wl --output "$WORK/out" --json >"$WORK/o.json"
for f in summary.txt raw.txt results.csv; do [ -s "$WORK/out/$f" ] || fail "--output: $f missing"; done
[ "$(wc -l <"$WORK/out/results.csv")" -eq 3 ] || fail "results.csv: $(cat "$WORK/out/results.csv")"
grep -q '^wl,replication,GET,' "$WORK/out/results.csv" || fail "results.csv rows: $(cat "$WORK/out/results.csv")"
grep -q '^SET ' "$WORK/out/summary.txt" && grep -q 'histogram=' "$WORK/out/raw.txt" || fail "summary/raw content"
read -r clients mode test hist <<<"$($CHECK json-get "$WORK/o.json" clients mode tests.1.test tests.1.histogram)"
[ "$clients" = 6 ] && [ "$mode" = replication ] && [ "$test" = GET ] && [ -n "$hist" ] || fail "json: $clients $mode $test"
# Ctrl-C: the run stops and prints what it measured, marked partial.
"$VB_BIN" "${base[@]}" -t get --duration 60 --json >"$WORK/int.json" 2>"$WORK/int.err" &
run=$!
sleep 1.5
kill -INT "$run"
rc=0
wait "$run" || rc=$?
[ "$rc" -eq 1 ] || fail "SIGINT: exit code $rc"
read -r partial requests error <<<"$($CHECK json-get "$WORK/int.json" partial tests.0.requests error)"
[ "$partial" = true ] && [ "$requests" -gt 0 ] && [ "$error" = interrupted ] || fail "SIGINT: $partial $requests $error"
echo "ok: replication reads, duration, warm-up, output, interrupt"
