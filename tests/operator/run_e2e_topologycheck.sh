#!/bin/sh
# Runs the ValkeyTopologyCheck end-to-end tests (e2e_topologycheck.py): operator + kubesim +
# real redis-server topologies. Needs VB_BIN, VB_SOURCE_DIR, VB_HARNESS (set by ctest).
cd "$(dirname "$0")" && exec python3 -W ignore::ResourceWarning -m unittest -v e2e_topologycheck
