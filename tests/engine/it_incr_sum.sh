#!/usr/bin/env bash
# After `-t incr -r 100 -n 100000` the counters on the server sum to exactly the
# successes the engine reports; then a SET run leaves a plausible number of keys.
# Usage: it_incr_sum.sh standalone|replication|cluster
. "$(dirname "$0")/lib.sh"
mode=$1
start_topology "$mode"
flags=(--mode "$mode" -h "$VB_HOST" -p "$VB_PORT" -c 20 --threads 2)

"$VB_BIN" run "${flags[@]}" -t incr -r 100 -n 100000 --json >"$WORK/incr.json"
read -r requests errors <<<"$($CHECK json-get "$WORK/incr.json" tests.0.requests tests.0.errors)"
[ "$requests" -eq 100000 ] || fail "engine reports $requests requests, asked for 100000"
[ "$errors" -eq 0 ] || fail "$errors error replies"
sum=$($CHECK sum "$WORK/topo" 'counter:*')
[ "$sum" -eq $((requests - errors)) ] || fail "server counters sum to $sum, engine reports $((requests - errors)) successes"
# Every INCR the server executed is one the engine counted as a success, and in
# cluster mode every primary got its share.
calls=$($CHECK calls "$WORK/topo" incr)
total=0
for c in $calls; do
    [ "$c" -gt 0 ] || fail "a primary executed no INCR (calls per primary: $calls)"
    total=$((total + c))
done
[ "$total" -eq "$sum" ] || fail "primaries executed $total INCRs, engine reports $sum successes"
[ "$mode" != cluster ] || [ "$(wc -w <<<"$calls")" -eq 3 ] || fail "expected 3 primaries, got: $calls"
keys=$($CHECK count "$WORK/topo" 'counter:*')
[ "$keys" -le 100 ] && [ "$keys" -ge 90 ] || fail "$keys counter keys for -r 100"

# 20000 uniform draws over 5000 keys touch all but ~5000*e^-4 = ~92 of them.
"$VB_BIN" run "${flags[@]}" -t set -r 5000 -n 20000 -d 32 --csv >"$WORK/set.csv"
head -1 "$WORK/set.csv" | grep -qx 'workload,mode,test,rps,p50_ms,clients,pipeline,datasize,timestamp' || fail "csv header"
grep -Eq "^$mode,$mode,SET,[0-9]+,[0-9]+\.[0-9]{3},20,16,32,[0-9]{8}-[0-9]{6}$" "$WORK/set.csv" || fail "csv row: $(cat "$WORK/set.csv")"
keys=$($CHECK count "$WORK/topo" 'key:*')
[ "$keys" -ge 4700 ] && [ "$keys" -le 5000 ] || fail "$keys keys after 20000 SETs over a keyspace of 5000"
echo "ok: $mode incr sum $sum == successes, $keys SET keys"
