#!/usr/bin/env bash
# The one-command demo: the operator end to end on this machine, no cloud account needed.
#
#   hack/demo.sh [--requests N | --full] [--keep] [--timeout S]
#
# 1. installs the Debian packages it needs (hack/install-deps.sh) and builds valkey-bench;
# 2. starts real Valkey servers on loopback (valkey-server when on PATH, else redis-server),
#    all with a password: a cluster of 3 primaries + 3 replicas, one address per node
#    (127.0.0.10-15), and a replication group of 1 primary + 3 replicas;
# 3. starts kubesim (tests/kubesim, the API server double with a scheduler and a kubelet) as
#    the control plane, with three Karpenter-labelled r7g.large runner nodes in us-west-2a/b/c
#    and six Valkey data-plane nodes, and registers every Valkey server as a simulated Pod on
#    a data-plane node: each cluster primary and its replica in different zones;
# 4. installs the CRDs, the auth Secret valkey-auth and runs `valkey-bench operator`;
# 5. applies config/samples (a ValkeyTopologyCheck and the seed's two ValkeyBenchmarks) with
#    only target.host/port patched to the local servers (there is no cluster DNS here) and
#    workload.requests set by --requests; the kubelet runs the runner pods as local processes;
# 6. shows each object's phase/result every few seconds until all are done, then prints
#    `kubectl get valkeytopologychecks,valkeybenchmarks -o wide`, the topology verdict and the
#    seed's side-by-side table (`valkey-bench compare`), and checks each benchmark's INCR
#    successes against the increments the servers hold.
# Every process it started is stopped on exit, also on Ctrl-C (by recorded PID), unless --keep.
#
# Options:
#   --requests N   requests per test per benchmark (default 200000; the seed's is 500000)
#   --full         the seed's workload as-is (500000 requests per test)
#   --keep         leave everything running and print how to talk to it and how to stop it
#   --timeout S    give up waiting after S seconds (default 900)
# Environment: VB_BIN=path/to/valkey-bench skips the dependency install and the build (tests);
#   DEMO_WORKDIR=DIR uses DIR (must not exist) instead of a fresh /tmp directory;
#   DEMO_KUBECTL=none acts as if kubectl were neither on PATH nor fetchable (tests).
# kubectl is taken from PATH or .tools/bin, else fetched (hack/fetch-tools.sh). Without it the
# demo talks to the API server with hack/kube-lite.py (the few kubectl commands used here) and
# prints the API server's own tables (the printer columns) instead of kubectl's.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

requests=200000
keep=0
timeout=900
while [ $# -gt 0 ]; do
    case "$1" in
    --requests) requests=$2; shift 2 ;;
    --requests=*) requests=${1#*=}; shift ;;
    --full) requests=500000; shift ;;
    --keep) keep=1; shift ;;
    --timeout) timeout=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$requests" in '' | *[!0-9]* | 0) echo "demo: --requests wants a positive integer" >&2; exit 2 ;; esac

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
[ -t 1 ] || say() { printf '\n== %s\n' "$*"; }

# ---- 1. dependencies and build
if [ -n "${VB_BIN:-}" ]; then
    vb=$(cd "$(dirname "$VB_BIN")" && pwd)/$(basename "$VB_BIN")
else
    say "installing dependencies and building"
    hack/install-deps.sh
    cmake -S . -B build >/dev/null
    cmake --build build -j "$(nproc)" --target valkey-bench >/dev/null
    vb=$root/build/valkey-bench
fi
echo "demo: valkey-bench is $vb"
# The kubelet runs the runner pods' `valkey-bench runner` from PATH, as the image would.
export PATH="$(dirname "$vb"):$PATH"

kubectl=""
if [ "${DEMO_KUBECTL:-}" != none ]; then
    kubectl=$(command -v kubectl || true)
    [ -n "$kubectl" ] || [ ! -x .tools/bin/kubectl ] || kubectl=$root/.tools/bin/kubectl
    if [ -z "$kubectl" ]; then
        echo "demo: kubectl not found, fetching it into .tools/bin (hack/fetch-tools.sh)"
        hack/fetch-tools.sh --quiet >/dev/null && kubectl=$root/.tools/bin/kubectl \
            || echo "demo: fetching kubectl failed"
    fi
fi
if [ -n "$kubectl" ]; then
    kubectl_cmd=kubectl
else
    echo "demo: kubectl not found${DEMO_KUBECTL:+ (DEMO_KUBECTL=$DEMO_KUBECTL)}: hack/kube-lite.py talks to the API server," \
        "tables from the API server (the printer columns)"
    kubectl=$root/hack/kube-lite.py kubectl_cmd=$kubectl
fi

# ---- process bookkeeping: every PID we start goes into $work/pids; cleanup kills exactly those
if [ -n "${DEMO_WORKDIR:-}" ]; then mkdir "$DEMO_WORKDIR"; work=$(cd "$DEMO_WORKDIR" && pwd)
else work=$(mktemp -d /tmp/valkey-bench-demo.XXXXXX); fi
: >"$work/pids"
ks=$work/kubesim
ns=valkey
owner=()
[ "$keep" -eq 1 ] || owner=(--owner-pid $$)

record_topology_pids() {   # the servers' pidfiles, written by the harness
    local f
    for f in "$1"/*/server.pid; do [ -f "$f" ] && echo "$(cat "$f") valkey-server:$1" >>"$work/pids"; done
    return 0
}

cleaned=0
cleanup() {
    local rc=$?
    [ "$cleaned" -eq 0 ] || return 0
    cleaned=1
    if [ "$keep" -eq 1 ] && [ "${demo_done:-0}" -eq 1 ]; then return 0; fi
    echo "demo: stopping everything it started"
    # operator first (graceful: releases what it holds), then kubesim (kills runner processes)
    local pid what
    while read -r pid what; do
        case "$what" in operator | kubesim) kill -TERM "$pid" 2>/dev/null || true ;; esac
    done <"$work/pids"
    for _ in $(seq 100); do
        local alive=0
        while read -r pid what; do
            case "$what" in operator | kubesim) kill -0 "$pid" 2>/dev/null && alive=1 ;; esac
        done <"$work/pids"
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for t in cluster replication; do
        [ -d "$work/$t" ] && python3 tests/harness/valkey_topology.py stop --dir "$work/$t" >/dev/null 2>&1
    done
    while read -r pid what; do kill -KILL "$pid" 2>/dev/null || true; done <"$work/pids"
    [ "${DEMO_KEEP_WORKDIR:-0}" = 1 ] || rm -rf "$work"
    return "$rc"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM

# ---- 2. Valkey topologies, with a password (the samples reference the Secret valkey-auth)
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$password" >"$work/password"
chmod 600 "$work/password"
say "starting Valkey: a cluster (3 primaries + 3 replicas) and a replication group (1 + 3)"
start_topology() {   # name, harness flags...
    local name=$1; shift
    local out
    out=$(python3 tests/harness/valkey_topology.py start --dir "$work/$name" --password-file "$work/password" \
        "${owner[@]}" "$@")
    record_topology_pids "$work/$name"
    eval "$out"
    echo "demo: $name: $(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print(t["server"], "-", ", ".join("%s %s:%d" % (n["role"], n["host"], n["port"]) for n in t["nodes"]))' "$work/$name/topology.json")"
}
start_topology cluster --mode cluster --primaries 3 --replicas 1 --ip-per-node
cluster_host=$VB_HOST cluster_port=$VB_PORT
start_topology replication --mode replication --replicas 3
repl_host=$VB_HOST repl_port=$VB_PORT

# ---- 3. the control plane
say "starting the control plane (kubesim) with Karpenter runner nodes in 3 zones and 6 Valkey nodes"
python3 tests/kubesim/kubesim.py --dir "$ks" --eks-nodes --valkey-nodes 6 "${owner[@]}" \
    </dev/null >/dev/null 2>&1 &
echo "$! kubesim" >>"$work/pids"
for _ in $(seq 200); do [ -f "$ks/ready" ] && break; sleep 0.05; done
[ -f "$ks/ready" ] || { echo "demo: kubesim did not start, see $ks/kubesim.log" >&2; exit 1; }
export KUBECONFIG=$ks/kubeconfig
k() { "$kubectl" "$@"; }
k get nodes -L karpenter.sh/nodepool -L topology.kubernetes.io/zone -L node.kubernetes.io/instance-type

say "registering the Valkey servers as Pods on the data-plane nodes (namespace $ns)"
k create namespace "$ns" >/dev/null
k get nodes -o json >"$work/nodes.json"
python3 - "$work" "$ns" >"$work/valkey-pods.json" <<'EOF'
import json, sys
work, ns = sys.argv[1], sys.argv[2]
nodes = json.load(open(work + "/nodes.json"))["items"]
by_zone = {}
for n in nodes:
    lab = n["metadata"]["labels"]
    if lab.get("karpenter.sh/nodepool") == "valkey":
        by_zone.setdefault(lab["topology.kubernetes.io/zone"], []).append(n["metadata"]["name"])
zones = sorted(by_zone)
used = {z: 0 for z in zones}
def node_in(zone):
    names = by_zone[zone]
    used[zone] += 1
    return names[(used[zone] - 1) % len(names)]
pods = []
for topo in ("cluster", "replication"):
    t = json.load(open("%s/%s/topology.json" % (work, topo)))
    primaries = [n["name"] for n in t["nodes"] if n["role"] == "primary"]
    seen = {}
    for i, n in enumerate(t["nodes"]):
        # primary i in zone i; the j-th replica of a primary one zone further each time,
        # so a primary and its replicas never share a zone (what the topology check verifies)
        p = n["primary"] or n["name"]
        j = seen.get(p, 0)
        seen[p] = j + 1
        zone = zones[(primaries.index(p) + j) % len(zones)]
        pods.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": "valkey-%s-%d" % (topo, i), "namespace": ns,
                                  "labels": {"app.kubernetes.io/name": "valkey",
                                             "app.kubernetes.io/instance": "valkey-" + topo,
                                             "valkeybench.io/role": n["role"]},
                                  "annotations": {"kubesim.io/simulated": "true",
                                                  "kubesim.io/pod-ip": n["host"],
                                                  "valkeybench.io/demo-port": str(n["port"])}},
                     "spec": {"nodeName": node_in(zone),
                              "containers": [{"name": "valkey", "image": "valkey/valkey:8.1",
                                              "ports": [{"containerPort": n["port"]}]}]}})
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": pods}))
EOF
k apply -f "$work/valkey-pods.json" >/dev/null
k -n "$ns" get pods -o wide -L valkeybench.io/role

say "installing the CRDs and the Secret valkey-auth"
k apply -f crds/
k wait --for=condition=Established --timeout=60s crd/valkeybenchmarks.valkeybench.io \
    crd/valkeytopologychecks.valkeybench.io >/dev/null
k -n "$ns" create secret generic valkey-auth --from-file=password="$work/password"

say "starting valkey-bench operator (log: $work/operator.log)"
VB_RUNNER_IMAGE=valkey-bench:demo "$vb" operator --kubeconfig "$KUBECONFIG" --leader-elect=false \
    --http-port 0 </dev/null >"$work/operator.log" 2>&1 &
echo "$! operator" >>"$work/pids"
sleep 1
kill -0 "$(awk '$2 == "operator" {print $1}' "$work/pids")" 2>/dev/null \
    || { echo "demo: the operator exited:" >&2; cat "$work/operator.log" >&2; exit 1; }

# ---- 5. the samples, with the local addresses
say "applying config/samples (target host/port patched to the local servers, requests=$requests)"
mkdir "$work/samples"
patch_sample() {   # file host port
    sed -e "s/^\(    host:\) .*/\1 $2/" -e "s/^\(    port:\) .*/\1 $3/" -e "s/^\(    requests:\) .*/\1 $requests/" \
        "config/samples/$1" >"$work/samples/$1"
    echo "demo: $1: host $2, port $3$(grep -q '^    requests:' "$work/samples/$1" && echo ", requests $requests")"
}
patch_sample valkeybench_v1alpha1_valkeytopologycheck.yaml "$cluster_host" "$cluster_port"
patch_sample valkeybench_v1alpha1_valkeybenchmark_cluster.yaml "$cluster_host" "$cluster_port"
patch_sample valkeybench_v1alpha1_valkeybenchmark_replication.yaml "$repl_host" "$repl_port"
k -n "$ns" apply -f "$work/samples/"

# ---- 6. wait with progress
say "waiting for the topology check and both benchmarks (every 3 s)"
start=$(date +%s)
while :; do
    line=$(k -n "$ns" get valkeytopologychecks,valkeybenchmarks -o \
        'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.status.result}{.status.phase}{" "}{.status.rpsSummary}{";"}{end}' \
        2>/dev/null || true)
    now=$(($(date +%s) - start))
    printf '[%4ds]' "$now"
    IFS=';' read -ra objs <<<"$line"
    pending=0
    for o in "${objs[@]}"; do
        [ -n "$o" ] || continue
        name=${o%%=*} state=${o#*=}
        state=${state% }
        printf '  %s: %s' "${name#Valkey}" "${state:-(no status yet)}"
        case "$state" in PASS* | FAIL* | Succeeded* | Failed*) ;; *) pending=1 ;; esac
    done
    echo
    [ "${#objs[@]}" -ge 3 ] && [ "$pending" -eq 0 ] && break
    if [ "$now" -ge "$timeout" ]; then
        echo "demo: timed out after ${timeout}s; operator log tail:" >&2
        tail -20 "$work/operator.log" >&2
        exit 1
    fi
    sleep 3
done

if [ "$kubectl_cmd" = kubectl ]; then say "kubectl get valkeytopologychecks,valkeybenchmarks -o wide"
else say "valkeytopologychecks,valkeybenchmarks -o wide (kubectl not found: the table from the API server)"; fi
k -n "$ns" get valkeytopologychecks,valkeybenchmarks -o wide

echo
echo "runner pods (Karpenter nodes, away from the Valkey pods):"
k -n "$ns" get valkeybenchmarks -o \
    'jsonpath={range .items[*]}{"  "}{.metadata.name}{":"}{range .status.runners[*]}{" "}{.pod}{" on "}{.node}{" ("}{.zone}{", "}{.phase}{")"}{end}{"\n"}{end}'

say "topology verdict (ValkeyTopologyCheck valkey-cluster)"
k -n "$ns" get valkeytopologycheck valkey-cluster -o \
    'jsonpath={"result: "}{.status.result}{"  cross-zone pairs: "}{.status.crossZonePairs}{"  cluster_state: "}{.status.clusterInfo.state}{"  slots ok: "}{.status.clusterInfo.slotsOk}{"\n"}{range .status.checks[*]}{"  "}{.name}{": "}{.passed}{"  "}{.message}{"\n"}{end}{range .status.topology[*]}{"  primary "}{.pod}{" ("}{.zone}{", slots "}{.slots}{")"}{range .replicas[*]}{" -> replica "}{.pod}{" ("}{.zone}{", cross-zone "}{.crossZone}{")"}{end}{"\n"}{end}'

say "valkey-bench compare cluster-mode replication-mode (the seed's side-by-side table)"
"$vb" compare -n "$ns" --kubeconfig "$KUBECONFIG" cluster-mode replication-mode || true

say "what the servers counted (INCR: every success the status reports is one increment on a server)"
counted_ok=1
for b in cluster-mode:cluster replication-mode:replication; do
    name=${b%%:*} topo=${b#*:}
    read -r reqs errs < <(k -n "$ns" get valkeybenchmark "$name" -o \
        'jsonpath={.status.results[?(@.test=="INCR")].requests}{" "}{.status.results[?(@.test=="INCR")].errors}{"\n"}')
    [ -n "${reqs:-}" ] || { echo "demo: $name: no INCR result in status"; counted_ok=0; continue; }
    sum=$(VB_PASSWORD_FILE="$work/password" python3 tests/engine/vbcheck.py sum "$work/$topo" 'counter:*')
    ok=$((reqs - ${errs:-0}))
    if [ "$sum" -eq "$ok" ]; then
        echo "demo: $name: the servers hold $sum increments, status.results counts $ok successful INCRs: exact"
    else
        echo "demo: $name: the servers hold $sum increments but status.results counts $ok successful INCRs"
        counted_ok=0
    fi
done

phases=$(k -n "$ns" get valkeybenchmarks -o 'jsonpath={.items[*].status.phase}')
result=$(k -n "$ns" get valkeytopologycheck valkey-cluster -o 'jsonpath={.status.result}')
demo_done=1
if [ "$keep" -eq 1 ]; then
    {
        echo "#!/bin/sh"
        echo "# stops what hack/demo.sh --keep left running"
        echo "kill -TERM $(awk '$2 == "operator" || $2 == "kubesim" {printf "%s ", $1}' "$work/pids")2>/dev/null"
        echo "sleep 2"
        echo "python3 '$root/tests/harness/valkey_topology.py' stop --dir '$work/cluster'"
        echo "python3 '$root/tests/harness/valkey_topology.py' stop --dir '$work/replication'"
        echo "kill -KILL $(awk '{printf "%s ", $1}' "$work/pids")2>/dev/null"
        echo "rm -rf '$work'"
    } >"$work/stop.sh"
    chmod +x "$work/stop.sh"
    say "left running (--keep)"
    cat <<EOF
  export KUBECONFIG=$KUBECONFIG
  $kubectl_cmd -n $ns get vtc,vkb -o wide          # also: get pods -o wide, get nodes -L topology.kubernetes.io/zone
  kubectl -n $ns annotate vkb cluster-mode valkeybench.io/rerun="\$(date +%s)" --overwrite   # run it again$([ "$kubectl_cmd" = kubectl ] || echo " (needs kubectl)")
  $vb results -n $ns cluster-mode --csv
  redis-cli -c -h $cluster_host -p $cluster_port -a "\$(cat $work/password)" cluster info
  operator log: $work/operator.log     PIDs: $work/pids
  stop everything: $work/stop.sh
EOF
fi
echo
echo "demo: benchmarks: $phases; topology check: $result"
case "$phases $result" in *Failed* | *FAIL*) exit 1 ;; esac
[ "$counted_ok" -eq 1 ] || exit 1
exit 0
