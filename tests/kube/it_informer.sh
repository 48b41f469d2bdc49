#!/usr/bin/env bash
# Informer consistency across dropped watches, a forced 410 and a server restart, against
# kubesim (see it_informer.c). Usage: it_informer.sh <it_informer binary> [rounds]
set -euo pipefail
. "$(dirname "$0")/kubesim_env.sh"
start_kubesim
"$1" "${2:-1}"
