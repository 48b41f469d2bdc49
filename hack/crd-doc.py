#!/usr/bin/env python3
"""Render the spec/status field tables of the CRDs in crds/ into README.md.

  hack/crd-doc.py --yaml2json build/tests/shipping/yaml2json [--check] [README.md]

Between the markers
  <!-- BEGIN crd-doc <plural> spec|status -->  ...  <!-- END crd-doc -->
the README holds one Markdown table per kind and part, generated from the CRD's
openAPIV3Schema (field path, type, default, constraints, description). Without
--check the README is rewritten in place; with --check the script exits 1 and names
the stale block when the README differs from what the CRDs say (a ctest runs it).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"<!-- BEGIN crd-doc (\S+) (spec|status) -->\n.*?<!-- END crd-doc -->", re.S)


def load_crds(yaml2json):
    crds = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "crds", "*.yaml"))):
        out = subprocess.run([yaml2json, path], check=True, capture_output=True, text=True).stdout
        for doc in json.loads(out):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                crds[doc["spec"]["names"]["plural"]] = doc
    return crds


def type_of(s):
    if s.get("x-kubernetes-int-or-string"):
        return "int-or-string"
    t = s.get("type", "object")
    if t == "array":
        return "[]" + type_of(s.get("items", {}))
    if t == "object" and "additionalProperties" in s and "properties" not in s:
        return "map[string]" + type_of(s["additionalProperties"])
    return t


def constraints(s):
    parts = []
    if "enum" in s:
        parts.append(" \\| ".join("`%s`" % v for v in s["enum"]))
    if "minimum" in s and "maximum" in s:
        parts.append("%s..%s" % (s["minimum"], s["maximum"]))
    elif "minimum" in s:
        parts.append(">= %s" % s["minimum"])
    elif "maximum" in s:
        parts.append("<= %s" % s["maximum"])
    for key, label in (("minLength", "minLength"), ("maxLength", "maxLength"),
                       ("minItems", "minItems"), ("maxItems", "maxItems"), ("pattern", "pattern")):
        if key in s:
            parts.append("%s %s" % (label, s[key]))
    items = s.get("items", {})
    if "enum" in items:
        parts.append("items: " + " \\| ".join("`%s`" % v for v in items["enum"]))
    return ", ".join(parts)


def rows(schema, path, required=()):
    """Yield (path, type, default, constraints, description) depth-first."""
    for name, sub in schema.get("properties", {}).items():
        p = "%s.%s" % (path, name) if path else name
        desc = " ".join(sub.get("description", "").split())
        if name in required:
            desc = "**Required.** " + desc
        default = json.dumps(sub["default"], separators=(",", ":")) if "default" in sub else ""
        yield p, type_of(sub), default, constraints(sub), desc
        target = sub.get("items", sub) if sub.get("type") == "array" else sub
        # Well-known Kubernetes sub-structures are documented upstream; do not expand them.
        if target.get("properties") and not any(k in p for k in ("tolerations", "resources.", "Selector.")):
            yield from rows(target, p + ("[]" if sub.get("type") == "array" else ""), target.get("required", ()))


def table(crd, part):
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]["properties"][part]
    lines = ["| field | type | default | allowed | description |", "|---|---|---|---|---|"]
    for p, t, d, c, desc in rows(schema, part, schema.get("required", ())):
        cell = lambda v: v.replace("|", "\\|") if "\\|" not in v else v
        lines.append("| `%s` | %s | %s | %s | %s |" % (p, cell(t), ("`%s`" % d) if d else "", c, cell(desc)))
    return "\n".join(lines)


def render(text, crds):
    stale = []

    def replace(m):
        plural, part = m.group(1), m.group(2)
        if plural not in crds:
            sys.exit("crd-doc: README names unknown CRD plural %r" % plural)
        new = "<!-- BEGIN crd-doc %s %s -->\n%s\n<!-- END crd-doc -->" % (plural, part, table(crds[plural], part))
        if new != m.group(0):
            stale.append("%s %s" % (plural, part))
        return new

    return MARKER.sub(replace, text), stale


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--yaml2json", required=True)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("readme", nargs="?", default=os.path.join(ROOT, "README.md"))
    args = ap.parse_args()
    crds = load_crds(args.yaml2json)
    with open(args.readme) as f:
        text = f.read()
    blocks = MARKER.findall(text)
    missing = [p for p in crds if not any(b[0] == p for b in blocks)]
    if missing:
        sys.exit("crd-doc: README has no field table for %s" % ", ".join(missing))
    new, stale = render(text, crds)
    if args.check:
        if stale:
            sys.exit("crd-doc: README field tables are stale for %s: run hack/crd-doc.py" % ", ".join(stale))
        print("crd-doc: README field tables match crds/ (%d tables)" % len(blocks))
        return
    with open(args.readme, "w") as f:
        f.write(new)
    print("crd-doc: wrote %d tables (%d changed)" % (len(blocks), len(stale)))


if __name__ == "__main__":
    main()
