#!/usr/bin/env python3
"""Migrate the slots of the given keys to another primary while a run is going on,
the way an operator would: SETSLOT IMPORTING / MIGRATING, MIGRATE the keys in
batches, then SETSLOT NODE everywhere. Usage: migrate_slots.py DIR KEY...
Prints how many keys moved."""
import json
import os
import sys
import time

sys.path.insert(0, os.environ.get("VB_HARNESS", os.path.join(os.path.dirname(__file__), "..", "harness")))
from valkey_topology import resp_command  # noqa: E402


def main():
    d, keys = sys.argv[1], sys.argv[2:]
    with open(os.path.join(d, "topology.json")) as f:
        nodes = json.load(f)["nodes"]

    def cmd(n, *a):
        return resp_command(n["host"], n["port"], *a)

    moved = 0
    for key in keys:
        slot = cmd(nodes[0], "CLUSTER", "KEYSLOT", key)
        primaries = [n for n in nodes if n["role"] == "primary"]
        owner = None
        for entry in cmd(nodes[0], "CLUSTER", "SLOTS"):
            if entry[0] <= slot <= entry[1]:
                owner = next(n for n in primaries if n["port"] == entry[2][1])
        dst = primaries[(primaries.index(owner) + 1) % len(primaries)]
        cmd(dst, "CLUSTER", "SETSLOT", slot, "IMPORTING", owner["id"])
        cmd(owner, "CLUSTER", "SETSLOT", slot, "MIGRATING", dst["id"])
        # Slow on purpose: the engine must meet ASK while the slot is half-moved.
        time.sleep(0.3)
        while True:
            batch = cmd(owner, "CLUSTER", "GETKEYSINSLOT", slot, 2)
            if not batch:
                break
            cmd(owner, "MIGRATE", dst["host"], dst["port"], "", 0, 5000, "KEYS", *batch)
            moved += len(batch)
            time.sleep(0.1)
        for n in [dst, owner] + [p for p in primaries if p not in (dst, owner)]:
            cmd(n, "CLUSTER", "SETSLOT", slot, "NODE", dst["id"])
        time.sleep(0.3)
    print(moved)


if __name__ == "__main__":
    main()
