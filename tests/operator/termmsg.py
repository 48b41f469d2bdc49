#!/usr/bin/env python3
"""Reads a runner's termination message (operator/results.h) for shell tests.

  termmsg.py field FILE PATH           print a field (x.0.y) of the message; exit 1 if absent
  termmsg.py log-tests FILE LOGFILE    follow the message's pointer into the log, check
                                       length and FNV-1a, print the number of tests
"""
import json
import sys

MARKER = "valkeybench.io/results "


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def get(doc, path):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        doc = json.load(f)
    if cmd == "field":
        try:
            print(get(doc, sys.argv[3]))
        except (KeyError, IndexError):
            sys.exit(1)
    elif cmd == "log-tests":
        with open(sys.argv[3], "rb") as f:
            for line in f.read().split(b"\n"):
                body = line[len(MARKER):]
                if line.startswith(MARKER.encode()) and len(body) == doc["log"] and "%08x" % fnv1a(body) == doc["fnv"]:
                    print(len(json.loads(body)["tests"]))
                    return
        sys.exit("no intact results line in the log")


main()
