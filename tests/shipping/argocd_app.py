#!/usr/bin/env python3
"""Checks the Argo CD Application of config/argocd (as rendered by kustomize) against this repo.

  argocd_app.py YAML2JSON FILE [--root DIR]

FILE must hold exactly one object: an argoproj.io/v1alpha1 Application in namespace argocd,
with a project, a source whose repoURL and targetRevision are set and whose path is a Helm
chart of this repository (Chart.yaml there; every helm.valuesObject leaf is a key of its
values.yaml, so a renamed value is caught), and a destination with a server (or name) and a
namespace.
"""
import argparse
import json
import os
import subprocess
import sys


def load(y2j, path):
    out = subprocess.run([y2j, path], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{path}: {out.stderr.strip()}")
    return [d for d in json.loads(out.stdout) if isinstance(d, dict)]


def leaves(obj, prefix=""):
    """Dotted paths of the non-dict values of a nested dict."""
    for k, v in obj.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            yield from leaves(v, path)
        else:
            yield path


def has_path(obj, path):
    for k in path.split("."):
        if not isinstance(obj, dict) or k not in obj:
            return False
        obj = obj[k]
    return True


def check(y2j, objs, root):
    errors = []
    if len(objs) != 1:
        return [f"want exactly one object, got {len(objs)}"]
    app = objs[0]
    if app.get("apiVersion") != "argoproj.io/v1alpha1" or app.get("kind") != "Application":
        errors.append(f"want an argoproj.io/v1alpha1 Application, got {app.get('apiVersion')} {app.get('kind')}")
    md, spec = app.get("metadata") or {}, app.get("spec") or {}
    if not md.get("name"):
        errors.append("metadata.name is empty")
    if md.get("namespace") != "argocd":
        errors.append(f"metadata.namespace is {md.get('namespace')!r}, want argocd (where Argo CD reads Applications)")
    if not spec.get("project"):
        errors.append("spec.project is empty")
    src = spec.get("source") or {}
    for k in ("repoURL", "targetRevision", "path"):
        if not src.get(k):
            errors.append(f"spec.source.{k} is empty")
    chart = os.path.join(root, src.get("path") or "-")
    if not os.path.isfile(os.path.join(chart, "Chart.yaml")):
        errors.append(f"spec.source.path {src.get('path')!r} is not a Helm chart of this repository")
    else:
        values = load(y2j, os.path.join(chart, "values.yaml"))
        for leaf in leaves((src.get("helm") or {}).get("valuesObject") or {}):
            if not has_path(values[0] if values else {}, leaf):
                errors.append(f"spec.source.helm.valuesObject.{leaf} is not a value of {src['path']}/values.yaml")
    dst = spec.get("destination") or {}
    if not (dst.get("server") or dst.get("name")):
        errors.append("spec.destination has neither server nor name")
    if not dst.get("namespace"):
        errors.append("spec.destination.namespace is empty")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("y2j")
    ap.add_argument("file")
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    a = ap.parse_args()
    errors = check(a.y2j, load(a.y2j, a.file), a.root)
    for e in errors:
        print(f"FAIL: {e}")
    if not errors:
        print("argocd Application: ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
