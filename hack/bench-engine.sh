#!/usr/bin/env bash
# Compares our engine with redis-benchmark (and valkey-benchmark when on PATH) on local
# servers: a standalone server and a 3+3 cluster. Every tool runs the same flags (the
# seed's workload), alternately, several rounds; each test is its own process so its
# client CPU (user+sys from the process's own rusage) is known. Prints, per mode and
# test, the median rps of each tool, the ratio, and client CPU seconds per million
# requests. Target: ours >= 1.0x redis-benchmark's rps with <= 0.7x its CPU per request.
# The machine's load average is printed with every measurement and at the end: on a
# shared machine, compare runs made under similar load. For reads the servers' keyspace
# hit rate during each tool's run is printed too: the tools name their keys differently
# (redis-benchmark --cluster puts all of a node's keys in one slot: 3x the keys to fill),
# so a GET may find a value (a 256-byte reply) more often for one tool than the other.
#
#   hack/bench-engine.sh [--rounds N] [--requests N] [--modes "standalone cluster"] [--tests set,get,incr]
#
# Not a ctest test: numbers depend on the machine. Needs a built build/valkey-bench.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
requests=2000000
modes="standalone cluster"
tests=set,get,incr
while [ $# -gt 0 ]; do
    case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --tests) tests=$2; shift 2 ;;
    *) echo "bench-engine: unknown flag $1" >&2; exit 2 ;;
    esac
done

bin=$PWD/build/valkey-bench
[ -x "$bin" ] || { echo "bench-engine: build first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
command -v redis-benchmark >/dev/null || { echo "bench-engine: redis-benchmark not on PATH (hack/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/vb-bench-engine.XXXXXX)
cleanup() {
    for m in $modes; do python3 tests/harness/valkey_topology.py stop --dir "$work/$m" >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for m in $modes; do
    eval "$(python3 tests/harness/valkey_topology.py start --mode "$m" --dir "$work/$m" --owner-pid $$)"
    echo "$VB_HOST $VB_PORT" >"$work/$m.addr"
done

tools=(ours redis-benchmark)
command -v valkey-benchmark >/dev/null && tools+=(valkey-benchmark)

# Keyspace hits and misses summed over every server of a mode: "hits misses".
keyspace_stats() { # mode
    python3 - "$work/$1/topology.json" <<'PY'
import json, sys
sys.path.insert(0, "tests/harness")
from valkey_topology import resp_command
topo = json.load(open(sys.argv[1]))
hits = misses = 0
for n in topo["nodes"]:
    for line in resp_command(n["host"], n["port"], "INFO", "stats", password=topo.get("password")).splitlines():
        if line.startswith("keyspace_hits:"): hits += int(line.split(":")[1])
        if line.startswith("keyspace_misses:"): misses += int(line.split(":")[1])
print(hits, misses)
PY
}

# One measurement: prints "rps cpu_seconds" for one tool, mode and test.
measure() { # tool mode test
    local tool=$1 mode=$2 test=$3 host port out
    read -r host port <"$work/$mode.addr"
    out=$work/out.$$
    local common=(-h "$host" -p "$port" -c 50 -P 16 -d 256 --threads 4 -r 1000000 -n "$requests" -t "$test")
    case $tool in
    ours)
        local m=(--mode "$mode")
        /usr/bin/time -f "%U %S" -o "$out.time" "$bin" run "${common[@]}" "${m[@]}" --csv >"$out" 2>"$out.err" ||
            { cat "$out.err" >&2; return 1; }
        # workload,mode,test,rps,...
        rps=$(awk -F, 'NR==2 {print $4}' "$out")
        ;;
    *)
        local m=()
        [ "$mode" = cluster ] && m=(--cluster)
        /usr/bin/time -f "%U %S" -o "$out.time" "$tool" "${common[@]}" "${m[@]}" --csv >"$out" 2>"$out.err" ||
            { cat "$out.err" >&2; return 1; }
        # "test","rps",... (after the cluster banner in cluster mode)
        rps=$(awk -F, '/^"test"/ {getline; gsub(/"/, "", $2); print $2; exit}' "$out")
        ;;
    esac
    read -r user sys <"$out.time"
    echo "$rps $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
}

results=$work/results.txt
: >"$results"
IFS=, read -r -a test_list <<<"$tests"
for ((r = 1; r <= rounds; r++)); do
    for m in $modes; do
        for t in "${test_list[@]}"; do
            for tool in "${tools[@]}"; do
                read -r h0 m0 <<<"$(keyspace_stats "$m")"
                read -r rps cpu <<<"$(measure "$tool" "$m" "$t")"
                [ -n "$rps" ] && [ -n "$cpu" ] || { echo "bench-engine: $tool $m $t gave no result" >&2; exit 1; }
                read -r h1 m1 <<<"$(keyspace_stats "$m")"
                hit=$(awk -v h=$((h1 - h0)) -v n=$((h1 - h0 + m1 - m0)) 'BEGIN {print (n > 0 ? h / n : -1)}')
                echo "$m $t $tool $rps $cpu $hit" >>"$results"
                printf 'round %d/%d %-10s %-5s %-16s %12.0f rps  %6.2f s cpu%s  load %s\n' "$r" "$rounds" "$m" "$t" "$tool" \
                    "$rps" "$cpu" "$(awk -v x="$hit" 'BEGIN {if (x >= 0) printf "  hits %3.0f%%", 100 * x}')" \
                    "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
            done
        done
    done
done

python3 - "$results" "$requests" "${tools[@]}" <<'PY'
import statistics, sys
path, requests, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = {}
hits = {}
for line in open(path):
    mode, test, tool, rps, cpu, hit = line.split()
    rows.setdefault((mode, test), {}).setdefault(tool, []).append((float(rps), float(cpu)))
    if float(hit) >= 0:
        hits.setdefault((mode, test), {}).setdefault(tool, []).append(float(hit))
ref = "redis-benchmark"
head = "%-10s %-5s" % ("MODE", "TEST")
for t in tools:
    head += " %16s" % (t + " rps")
head += " %8s" % "ratio"
for t in tools:
    head += " %14s" % (t[:6] + " cpu-s/M")
head += " %9s" % "cpu ratio"
print(head)
for (mode, test), by_tool in rows.items():
    med = {t: statistics.median(r for r, _ in v) for t, v in by_tool.items()}
    cpu = {t: statistics.median(c for _, c in v) / requests * 1e6 for t, v in by_tool.items()}
    line = "%-10s %-5s" % (mode, test.upper())
    for t in tools:
        line += " %16.0f" % med[t]
    line += " %7.2fx" % (med["ours"] / med[ref])
    for t in tools:
        line += " %14.3f" % cpu[t]
    line += " %8.2fx" % (cpu["ours"] / cpu[ref])
    if (mode, test) in hits:
        line += "   hits " + " ".join("%s %.0f%%" % (t[:6], 100 * statistics.median(v))
                                     for t, v in hits[(mode, test)].items())
    print(line)
print("load average at the end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
PY
