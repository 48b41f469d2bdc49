#!/usr/bin/env python3
"""Checks a rendered install (kustomize build or helm template output) against API.md.

  manifests.py YAML2JSON FILE [--namespaces a,b] [--operator-namespace NS] [--replicas N]
                              [--expect-kind KIND]...

- RBAC: the rules bound to the operator's ServiceAccount grant exactly the verbs below,
  cluster-wide (default) or, with --namespaces, only in those namespaces (nodes stay a
  cluster-wide read-only grant); leases only in the operator's namespace; no wildcards.
- Deployment: replicas, leader election, probes, resources, and the restricted pod security
  profile (non-root, read-only root filesystem, RuntimeDefault seccomp, no capabilities,
  no privilege escalation).
- The CRDs in the output equal crds/ (semantically).
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

# (apiGroup, resource, verb) the controller uses in every namespace it serves: informers
# (list/watch) on its two kinds and pods, a GET of a benchmark (not the cache) before its runner
# pods are created, PUT of the status, runner pods created, released
# with a merge PATCH and deleted, their logs read, the target's Secret read, core/v1 Events
# created and aggregated with PATCH. tests/shipping/rbac_e2e.py proves the set by running the
# operator with nothing else (nothing denied, every grant used).
NAMESPACED = {
    *(("valkeybench.io", r, v) for r in ("valkeybenchmarks", "valkeytopologychecks") for v in ("list", "watch")),
    ("valkeybench.io", "valkeybenchmarks", "get"),  # a fresh read before creating runner pods
    *(("valkeybench.io", r, "update") for r in ("valkeybenchmarks/status", "valkeytopologychecks/status")),
    *(("", "pods", v) for v in ("list", "watch", "create", "patch", "delete")),
    ("", "pods/log", "get"),
    ("", "secrets", "get"),
    *(("", "events", v) for v in ("create", "patch")),
}
NODES = {("", "nodes", v) for v in ("list", "watch")}
LEADER = {("coordination.k8s.io", "leases", v) for v in ("get", "list", "watch", "create", "update")}


def load(y2j, path):
    out = subprocess.run([y2j, path], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{path}: {out.stderr.strip()}")
    return [d for d in json.loads(out.stdout) if isinstance(d, dict)]


def triples(rules, errors, where):
    got = set()
    for r in rules:
        for key in ("apiGroups", "resources", "verbs"):
            if "*" in r.get(key, []):
                errors.append(f"{where}: wildcard in {key}")
        if r.get("resourceNames") or r.get("nonResourceURLs"):
            errors.append(f"{where}: unexpected resourceNames/nonResourceURLs")
        for g in r.get("apiGroups", []):
            for res in r.get("resources", []):
                for v in r.get("verbs", []):
                    got.add((g, res, v))
    return got


def fmt(s):
    return ", ".join(f"{g or 'core'}/{r}:{v}" for g, r, v in sorted(s)) or "nothing"


def check_rbac(objs, sa, sa_ns, op_ns, namespaces, errors):
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o
             for o in objs if o["kind"] in ("Role", "ClusterRole")}
    grants = {}  # scope ("*" = cluster-wide, else a namespace) -> triples
    for b in objs:
        if b["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == sa and s.get("namespace") == sa_ns
                   for s in b.get("subjects", [])):
            continue
        ref = b["roleRef"]
        bns = b["metadata"].get("namespace")
        role = roles.get((ref["kind"], bns if ref["kind"] == "Role" else None, ref["name"]))
        if role is None:
            errors.append(f"{b['kind']}/{b['metadata']['name']}: roleRef {ref['kind']}/{ref['name']} not rendered")
            continue
        scope = "*" if b["kind"] == "ClusterRoleBinding" else bns
        grants.setdefault(scope, set()).update(
            triples(role.get("rules", []), errors, f"{ref['kind']}/{ref['name']}"))
    want = {}
    if namespaces:
        want["*"] = set(NODES)
        for ns in namespaces:
            want[ns] = set(NAMESPACED)
    else:
        want["*"] = NAMESPACED | NODES
    want[op_ns] = want.get(op_ns, set()) | LEADER
    for scope in sorted(set(want) | set(grants)):
        got, exp = grants.get(scope, set()), want.get(scope, set())
        name = "cluster-wide" if scope == "*" else f"namespace {scope}"
        if got - exp:
            errors.append(f"RBAC {name}: more than API.md: {fmt(got - exp)}")
        if exp - got:
            errors.append(f"RBAC {name}: missing: {fmt(exp - got)}")
    return grants


def operator_flags(binary):
    """The flags `valkey-bench operator --help` documents."""
    out = subprocess.run([binary, "operator", "--help"], capture_output=True, text=True)
    return set(re.findall(r"^\s+(--[a-z][a-z0-9-]*)", out.stdout + out.stderr, re.M))


def check_deployment(dep, replicas, errors, flags=None):
    where = f"Deployment/{dep['metadata']['name']}"
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    if spec.get("replicas") != replicas:
        errors.append(f"{where}: replicas {spec.get('replicas')} != {replicas}")
    psc = pod.get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        errors.append(f"{where}: pod securityContext.runAsNonRoot must be true")
    if len(pod.get("containers", [])) != 1:
        errors.append(f"{where}: want exactly one container")
        return
    c = pod["containers"][0]
    args = c.get("args", [])
    if args[:1] != ["operator"] or "--leader-elect" not in args:
        errors.append(f"{where}: args must be `operator --leader-elect ...`, got {args}")
    if flags is not None:
        for a in args[1:]:
            if a.split("=", 1)[0] not in flags:
                errors.append(f"{where}: `valkey-bench operator --help` does not know {a}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        if c.get(probe, {}).get("httpGet", {}).get("path") != path:
            errors.append(f"{where}: {probe} must GET {path}")
    res = c.get("resources", {})
    for k in ("requests", "limits"):
        if not {"cpu", "memory"} <= set(res.get(k, {})):
            errors.append(f"{where}: resources.{k} needs cpu and memory")
    sc = c.get("securityContext", {})
    if sc.get("readOnlyRootFilesystem") is not True:
        errors.append(f"{where}: readOnlyRootFilesystem must be true")
    if sc.get("allowPrivilegeEscalation") is not False:
        errors.append(f"{where}: allowPrivilegeEscalation must be false")
    if sc.get("capabilities", {}).get("drop") != ["ALL"] or sc.get("capabilities", {}).get("add"):
        errors.append(f"{where}: capabilities must drop ALL and add nothing")
    seccomp = sc.get("seccompProfile", psc.get("seccompProfile", {})).get("type")
    if seccomp != "RuntimeDefault":
        errors.append(f"{where}: seccompProfile must be RuntimeDefault")
    if sc.get("privileged"):
        errors.append(f"{where}: privileged")
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    if env.get("VB_RUNNER_IMAGE") != c.get("image"):
        errors.append(f"{where}: VB_RUNNER_IMAGE {env.get('VB_RUNNER_IMAGE')} != image {c.get('image')}")


def check_nodepool(pool, zones, errors):
    """On-demand arm64 r7g.large in the given zones, tainted, and never disrupting a benchmark."""
    where = f"NodePool/{pool['metadata']['name']}"
    if pool.get("apiVersion") != "karpenter.sh/v1":
        errors.append(f"{where}: apiVersion must be karpenter.sh/v1")
    spec = pool["spec"]["template"]["spec"]
    req = {r["key"]: (r["operator"], r["values"]) for r in spec.get("requirements", [])}
    want = {"karpenter.sh/capacity-type": ["on-demand"], "kubernetes.io/arch": ["arm64"]}
    if zones:
        want["topology.kubernetes.io/zone"] = zones
    for k, v in want.items():
        if req.get(k) != ("In", v):
            errors.append(f"{where}: requirement {k} In {v}, got {req.get(k)}")
    if "r7g.large" not in req.get("node.kubernetes.io/instance-type", ("", []))[1]:
        errors.append(f"{where}: r7g.large not allowed")
    if not spec.get("nodeClassRef", {}).get("name"):
        errors.append(f"{where}: nodeClassRef missing")
    if not [t for t in spec.get("taints", []) if t.get("effect") == "NoSchedule"]:
        errors.append(f"{where}: no NoSchedule taint to keep other pods off")
    d = pool["spec"].get("disruption", {})
    if d.get("consolidationPolicy") != "WhenEmpty":
        errors.append(f"{where}: consolidationPolicy must be WhenEmpty (spares running benchmarks)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("y2j")
    ap.add_argument("file")
    ap.add_argument("--namespaces", default="")
    ap.add_argument("--operator-namespace", default="valkey-bench-system")
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--expect-kind", action="append", default=[])
    ap.add_argument("--bin", help="valkey-bench: check the Deployment's args against `operator --help`")
    ap.add_argument("--nodepool-zones", default=None,
                    help="expect a Karpenter NodePool for runners in these zones (comma-separated)")
    ap.add_argument("--crds-dir", default=os.path.join(os.path.dirname(__file__), "../../crds"))
    a = ap.parse_args()
    objs = load(a.y2j, a.file)
    errors = []
    kinds = sorted({o["kind"] for o in objs})
    for k in a.expect_kind:
        if k not in kinds:
            errors.append(f"no {k} rendered")
    deps = [o for o in objs if o["kind"] == "Deployment"]
    if len(deps) != 1:
        errors.append(f"want one Deployment, got {len(deps)}")
    else:
        flags = None
        if a.bin:
            flags = operator_flags(a.bin)
            if not flags:
                errors.append(f"{a.bin} operator --help lists no flags")
        check_deployment(deps[0], a.replicas, errors, flags)
        pod = deps[0]["spec"]["template"]["spec"]
        sa = pod.get("serviceAccountName")
        sa_ns = deps[0]["metadata"].get("namespace")
        if not any(o["kind"] == "ServiceAccount" and o["metadata"]["name"] == sa for o in objs):
            errors.append(f"ServiceAccount {sa} not rendered")
        if sa_ns != a.operator_namespace:
            errors.append(f"Deployment in namespace {sa_ns}, want {a.operator_namespace}")
        nss = [n for n in a.namespaces.split(",") if n]
        check_rbac(objs, sa, sa_ns, a.operator_namespace, nss, errors)
    pools = [o for o in objs if o["kind"] == "NodePool"]
    if a.nodepool_zones is not None:
        if len(pools) != 1:
            errors.append(f"want one NodePool, got {len(pools)}")
        else:
            check_nodepool(pools[0], [z for z in a.nodepool_zones.split(",") if z], errors)
    elif pools:
        errors.append("a NodePool was rendered but not asked for")
    want_crds = {}
    for p in sorted(glob.glob(os.path.join(a.crds_dir, "*.yaml"))):
        for d in load(a.y2j, p):
            want_crds[d["metadata"]["name"]] = d
    got_crds = {o["metadata"]["name"]: o for o in objs if o["kind"] == "CustomResourceDefinition"}
    for name, crd in want_crds.items():
        got = got_crds.get(name)
        if got is None:
            errors.append(f"CRD {name} not rendered")
        elif got["spec"] != crd["spec"]:
            errors.append(f"CRD {name}: spec differs from crds/")
    for e in errors:
        print("FAIL", e)
    print(f"manifests: {len(objs)} objects ({', '.join(kinds)}), {len(errors)} problems")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
