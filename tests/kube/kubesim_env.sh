# Sourced by the kube runtime's integration scripts: starts kubesim (tests/kubesim) in a
# private directory, exports KUBECONFIG and KUBESIM_DIR, stops it (and anything started
# with track_pid) on exit.
KUBESIM_PY=${KUBESIM_PY:-$VB_SOURCE_DIR/tests/kubesim/kubesim.py}
TRACKED_PIDS=""

track_pid() { TRACKED_PIDS="$TRACKED_PIDS $1"; }

cleanup_kubesim() {
    for p in $TRACKED_PIDS; do kill -9 "$p" 2>/dev/null || true; done
    if [ -n "${KUBESIM_DIR:-}" ] && [ -f "$KUBESIM_DIR/pid" ]; then kill "$(cat "$KUBESIM_DIR/pid")" 2>/dev/null || true; fi
    if [ -n "${KUBESIM_DIR:-}" ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$KUBESIM_DIR"; fi
}

start_kubesim() {
    KUBESIM_DIR=$(mktemp -d /tmp/vb-kubesim.XXXXXX)
    trap cleanup_kubesim EXIT
    python3 "$KUBESIM_PY" --dir "$KUBESIM_DIR" --owner-pid $$ "$@" >"$KUBESIM_DIR/stdout.log" 2>&1 &
    for _ in $(seq 600); do
        [ -f "$KUBESIM_DIR/ready" ] && break
        sleep 0.1
    done
    if [ ! -f "$KUBESIM_DIR/ready" ]; then
        echo "FAIL: kubesim did not start"; cat "$KUBESIM_DIR/stdout.log"; exit 1
    fi
    export KUBECONFIG="$KUBESIM_DIR/kubeconfig" KUBESIM_DIR
}

# kubesim_api METHOD PATH [BODY]: admin-token request to kubesim, prints the body.
kubesim_api() {
    curl -sS --cacert "$KUBESIM_DIR/ca.crt" -H "Authorization: Bearer $(cat "$KUBESIM_DIR/admin-token")" \
        -H 'Content-Type: application/json' -X "$1" "$(cat "$KUBESIM_DIR/url")$2" ${3:+--data "$3"}
}
