#!/usr/bin/env bash
# Cluster mode sends each batch to one node and moves its clients between nodes in
# groups (client.c); keys must still be uniform over the keyspace, so every primary's
# share of the requests must be its share of the keys. Checked for the key_pools path,
# for one worker holding several groups, for rejection sampling (keyspace above
# KEY_POOLS_MAX) and for duration mode. A scheme that pinned groups to nodes would put
# half the requests on one of the three primaries; the tolerance (0.015 of the
# requests) is over ten times the sampling noise of these runs.
. "$(dirname "$0")/lib.sh"
start_topology cluster
base=(--mode cluster -h "$VB_HOST" -p "$VB_PORT" -t set -d 16 -q)

check_shares() { # what r [run flags...]
    local what=$1 r=$2
    shift 2
    local before after want
    before=$($CHECK calls "$WORK/topo" set)
    "$VB_BIN" run "${base[@]}" -r "$r" "$@" >/dev/null || fail "$what: run failed"
    after=$($CHECK calls "$WORK/topo" set)
    want=$($CHECK key-shares "$WORK/topo" key: "$r")
    python3 - "$what" "$before" "$after" "$want" <<'PY' || exit 1
import sys
what, before, after, want = sys.argv[1], *(list(map(float, a.split())) for a in sys.argv[2:])
calls = [a - b for a, b in zip(after, before)]
total = sum(calls)
got = [c / total for c in calls]
print("%s: %d requests, shares %s, keys %s" % (what, total, " ".join("%.4f" % g for g in got),
                                               " ".join("%.4f" % w for w in want)))
if len(got) != 3 or any(abs(g - w) > 0.015 for g, w in zip(got, want)):
    sys.exit("FAIL: %s: request shares per primary do not follow their key shares" % what)
PY
}

check_shares "key pools, 2 workers" 30000 -c 20 --threads 2 -n 200000
check_shares "key pools, 1 worker" 30000 -c 12 --threads 1 -n 200000
check_shares "short run" 5000 -c 20 --threads 4 -n 20000
check_shares "rejection sampling" 5000000 -c 20 --threads 2 -n 200000
check_shares "duration mode" 30000 -c 20 --threads 2 --duration 2
echo "ok: request shares follow key shares"
