#!/usr/bin/env bash
# The main job on a local default: installs the dependencies, builds valkey-bench,
# starts a local standalone server and a 3-primary/3-replica cluster, runs
# `valkey-bench run` against each with the seed's workload (SET/GET/INCR, 50 clients,
# pipeline 16, 256-byte values, 4 threads, keyspace 1000000), prints the results and
# stops every server it started, also on Ctrl-C.
#
#   hack/demo.sh [-n REQUESTS]     (default 200000 per test; the seed uses 500000)
set -euo pipefail
cd "$(dirname "$0")/.."

requests=200000
if [ "${1:-}" = "-n" ]; then requests=$2; fi

hack/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "demo: built build/valkey-bench"

work=$(mktemp -d /tmp/valkey-bench-demo.XXXXXX)
cleanup() {
    for m in standalone cluster; do python3 tests/harness/valkey_topology.py stop --dir "$work/$m" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "demo: interrupted, stopping servers" >&2; exit 130' INT TERM

workload=(-c 50 -P 16 -d 256 --threads 4 -r 1000000 -t set,get,incr -n "$requests")
for mode in standalone cluster; do
    echo
    echo "demo: starting a local $mode topology"
    eval "$(python3 tests/harness/valkey_topology.py start --mode "$mode" --dir "$work/$mode" --owner-pid $$)"
    build/valkey-bench run --mode "$mode" -h "$VB_HOST" -p "$VB_PORT" "${workload[@]}" --output "$work/results-$mode"
    echo "-- results.csv"
    cat "$work/results-$mode/results.csv"
    python3 tests/harness/valkey_topology.py stop --dir "$work/$mode" >/dev/null
done
echo
echo "demo: done (all servers stopped)"
