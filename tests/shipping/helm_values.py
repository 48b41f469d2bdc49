#!/usr/bin/env python3
"""The chart README's values table must list every value of values.yaml with its default and
its meaning (the `# --` comment above the key). The table is generated from values.yaml:

  helm_values.py YAML2JSON check    README table == values.yaml (exit 1 otherwise)
  helm_values.py YAML2JSON write    rewrite the table in the README
"""
import json
import os
import re
import subprocess
import sys

CHART = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../helm/valkey-bench-operator"))
BEGIN, END = "<!-- values:begin -->", "<!-- values:end -->"


def comments(path):
    """path (a.b.c) -> text of the `# --` comment block right above that key."""
    out, stack, pending = {}, [], []
    for line in open(path):
        s = line.strip()
        if s.startswith("# --"):
            pending = [s[4:].strip()]
            continue
        if s.startswith("#") and pending:
            pending.append(s[1:].strip())
            continue
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):", line)
        if m and not s.startswith("-"):
            indent = len(m.group(1))
            stack = [(i, k) for i, k in stack if i < indent] + [(indent, m.group(2))]
            if pending:
                out[".".join(k for _, k in stack)] = " ".join(pending)
        if s and not s.startswith("#"):
            pending = []
    return out


def leaves(v, docs, prefix=""):
    """A documented key is one value (even a map, like resources); others are walked into."""
    if isinstance(v, dict) and v and prefix not in docs:
        for k, x in v.items():
            yield from leaves(x, docs, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix, v


def default_text(v):
    if isinstance(v, str):
        # Quote strings YAML would read as something else ("true", "10", "").
        return json.dumps(v) if not v or re.match(r"^(true|false|null|~|[-+.0-9][-+.0-9eE]*)$", v) else v
    return json.dumps(v, separators=(", ", ": "))


def table(y2j):
    values = json.loads(subprocess.check_output([y2j, os.path.join(CHART, "values.yaml")]))[0]
    docs = comments(os.path.join(CHART, "values.yaml"))
    rows = ["| value | default | meaning |", "|---|---|---|"]
    missing = []
    for path, v in leaves(values, docs):
        doc = docs.get(path)
        if not doc:
            missing.append(path)
        rows.append(f"| `{path}` | `{default_text(v)}` | {doc or ''} |")
    return "\n".join(rows), missing


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("check", "write"):
        sys.exit(__doc__)
    want, missing = table(sys.argv[1])
    readme = os.path.join(CHART, "README.md")
    text = open(readme).read()
    if BEGIN not in text or END not in text:
        sys.exit(f"{readme}: no {BEGIN} ... {END} section")
    head, rest = text.split(BEGIN, 1)
    got, tail = rest.split(END, 1)
    if sys.argv[2] == "write":
        open(readme, "w").write(f"{head}{BEGIN}\n{want}\n{END}{tail}")
        return 0
    rc = 0
    for m in missing:
        print(f"FAIL values.yaml: {m} has no `# --` comment")
        rc = 1
    if got.strip() != want.strip():
        print("FAIL README.md values table is stale (run: tests/shipping/helm_values.py YAML2JSON write)")
        for a, b in zip(got.strip().splitlines(), want.splitlines()):
            if a != b:
                print(f"  README: {a}\n  values: {b}")
                break
        rc = 1
    print(f"helm values: {len(want.splitlines()) - 2} values documented, {'ok' if rc == 0 else 'problems'}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
