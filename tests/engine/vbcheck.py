#!/usr/bin/env python3
"""Server-side checks for the engine's integration tests (reads DIR/topology.json).

  vbcheck.py sum DIR PATTERN          sum of the integer values of keys matching PATTERN on every primary
  vbcheck.py count DIR PATTERN        number of keys matching PATTERN over every primary
  vbcheck.py calls DIR COMMAND [ROLE] per node of ROLE (default primary): calls of COMMAND from INFO
                                      commandstats, space-separated
  vbcheck.py json-get FILE FIELD...   print fields of the first/only test of a JSON document (x.y paths)
  vbcheck.py key-shares DIR PREFIX R  per primary (calls' order): the share of the keys PREFIX + 12-digit N,
                                      N < R, whose slot it serves (every key for R <= 200000, else 200000
                                      evenly spaced ones)
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get("VB_HARNESS", os.path.join(os.path.dirname(__file__), "..", "harness")))
from valkey_topology import resp_command  # noqa: E402


def primaries(d, role="primary"):
    with open(os.path.join(d, "topology.json")) as f:
        topo = json.load(f)
    password = None
    pf = os.environ.get("VB_PASSWORD_FILE")
    if pf:
        with open(pf) as f:
            password = f.read().strip()
    return [n for n in topo["nodes"] if n["role"] == role], password


def keys(n, pattern, password):
    cursor, out = "0", []
    while True:
        cursor, batch = resp_command(n["host"], n["port"], "SCAN", cursor, "MATCH", pattern, "COUNT", 1000,
                                     password=password)
        out += batch
        if cursor == "0":
            return out


CRC16_TABLE = []
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021 if _c & 0x8000 else _c << 1) & 0xFFFF
    CRC16_TABLE.append(_c)


def key_slot(key):
    """CRC16-XMODEM of the key (no hash tags in the keys used here) mod 16384."""
    crc = 0
    for b in key:
        crc = ((crc << 8) & 0xFFFF) ^ CRC16_TABLE[((crc >> 8) ^ b) & 0xFF]
    return crc & 16383


def key_shares(d, prefix, r):
    nodes, _ = primaries(d)
    owner = {}
    for i, n in enumerate(nodes):
        for lo, hi in n["slots"]:
            for slot in range(lo, hi + 1):
                owner[slot] = i
    count = [0] * len(nodes)
    numbers = range(r) if r <= 200000 else (k * r // 200000 for k in range(200000))
    total = 0
    for v in numbers:
        count[owner[key_slot(b"%s%012d" % (prefix.encode(), v))]] += 1
        total += 1
    return " ".join("%.5f" % (c / total) for c in count)


SUM_SCRIPT = """
local cursor, total = "0", 0
repeat
    local r = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", 1000)
    cursor = r[1]
    for _, k in ipairs(r[2]) do total = total + tonumber(redis.call("GET", k)) end
until cursor == "0"
return tostring(total)
"""


def main():
    cmd = sys.argv[1]
    if cmd == "key-shares":
        print(key_shares(sys.argv[2], sys.argv[3], int(sys.argv[4])))
        return
    if cmd == "json-get":
        with open(sys.argv[2]) as f:
            doc = json.load(f)
        vals = []
        for path in sys.argv[3:]:
            v = doc
            for part in path.split("."):
                v = v[int(part)] if isinstance(v, list) else v[part]
            vals.append(str(v).lower() if isinstance(v, bool) else str(v))
        print(" ".join(vals))
        return
    role = sys.argv[4] if cmd == "calls" and len(sys.argv) > 4 else "primary"
    nodes, password = primaries(sys.argv[2], role)
    if cmd == "sum":
        # Summed on each server (one round trip, not one per key: runs leave up to
        # hundreds of thousands of counters). A number below 2^53 is exact in Lua.
        total = 0
        for n in nodes:
            total += int(resp_command(n["host"], n["port"], "EVAL", SUM_SCRIPT, 0, sys.argv[3], password=password,
                                      timeout=60.0))
        print(total)
    elif cmd == "count":
        print(sum(len(keys(n, sys.argv[3], password)) for n in nodes))
    elif cmd == "calls":
        out = []
        for n in nodes:
            info = resp_command(n["host"], n["port"], "INFO", "commandstats", password=password)
            calls = 0
            for line in info.splitlines():
                if line.startswith("cmdstat_%s:" % sys.argv[3].lower()):
                    calls = int(line.split("calls=")[1].split(",")[0])
            out.append(str(calls))
        print(" ".join(out))
    else:
        sys.exit("vbcheck: unknown command %s" % cmd)


if __name__ == "__main__":
    main()
