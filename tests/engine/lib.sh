# Shared by the engine's integration tests: a topology in a temp dir, stopped on exit.
set -euo pipefail
: "${VB_BIN:?}" "${VB_HARNESS:?}" "${VB_SOURCE_DIR:?}"
CHECK="python3 $VB_SOURCE_DIR/tests/engine/vbcheck.py"
WORK=$(mktemp -d /tmp/vb-engine-test.XXXXXX)
cleanup() {
    python3 "$VB_HARNESS/valkey_topology.py" stop --dir "$WORK/topo" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
start_topology() { # mode [harness flags...]
    local mode=$1
    shift
    eval "$(python3 "$VB_HARNESS/valkey_topology.py" start --mode "$mode" --dir "$WORK/topo" --owner-pid $$ "$@")"
}
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
