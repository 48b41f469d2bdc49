#!/usr/bin/env bash
# Runs a test program against a private kubesim: with_kubesim.sh <program> [args...]
# (KUBECONFIG and KUBESIM_DIR are exported for it).
set -euo pipefail
. "$(dirname "$0")/kubesim_env.sh"
start_kubesim
"$@"
