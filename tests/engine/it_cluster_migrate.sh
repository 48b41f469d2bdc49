#!/usr/bin/env bash
# Slots migrated while a --duration run is going on: the engine meets ASK and MOVED,
# follows them, and loses nothing: INCR counters still sum to the reported successes.
. "$(dirname "$0")/lib.sh"
start_topology cluster
"$VB_BIN" run --cluster -h "$VB_HOST" -p "$VB_PORT" -c 8 --threads 2 -P 8 -t incr -r 50 \
    --duration 10 --json >"$WORK/run.json" 2>"$WORK/run.err" &
pid=$!
sleep 1
keys=()
for i in 3 7 11 19 23 42; do keys+=("$(printf 'counter:%012d' "$i")"); done
moved=$(python3 "$VB_SOURCE_DIR/tests/engine/migrate_slots.py" "$WORK/topo" "${keys[@]}")
wait "$pid" || fail "run exited non-zero: $(cat "$WORK/run.err")"
read -r requests errors redirects <<<"$($CHECK json-get "$WORK/run.json" tests.0.requests tests.0.errors tests.0.redirects)"
[ "$requests" -gt 0 ] || fail "no requests"
[ "$errors" -eq 0 ] || fail "$errors error replies during migration"
[ "$redirects" -gt 0 ] || fail "no redirects although $moved keys of ${#keys[@]} slots moved mid-run"
sum=$($CHECK sum "$WORK/topo" 'counter:*')
[ "$sum" -eq "$requests" ] || fail "counters sum to $sum, engine reports $requests successes ($redirects redirects)"
echo "ok: $requests INCRs, $redirects redirects followed, $moved keys moved, sum exact"
