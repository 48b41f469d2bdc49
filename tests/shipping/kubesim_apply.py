#!/usr/bin/env python3
"""The shipped manifests against the API server double (tests/kubesim), with the real kubectl:

- the CRDs install and become Established; `kubectl explain` documents them;
- the kustomize install and the Helm chart (default and full values) are created for real,
  every object of them: built-ins (apps/v1 Deployment, rbac.authorization.k8s.io/v1 roles and
  bindings, Service, ServiceAccount, Namespace, CRDs) and, after the minimal CRDs a cluster
  with Karpenter / the Prometheus Operator has (thirdparty-crds/), the NodePool and the
  ServiceMonitor. A kind the server does not serve fails the test. Re-applying each set
  changes nothing (no resourceVersion moves), and `kubectl get` lists what was created;
- README's `kubectl apply -k config/default` works and is idempotent (client-side apply), and
  `helm install` / `helm upgrade` / `helm uninstall` of the chart work against the double;
- every sample (config/samples, config/argocd/samples, the Argo CD testdata objects) applies
  as-is, and the server's defaults equal the schema defaults our own checker computes;
- `kubectl get -o wide` shows the printer columns of API.md; an invalid spec is refused.

  kubesim_apply.py YAML2JSON RENDERED_DIR   (RENDERED_DIR holds default.yaml, helm-*.yaml)
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(ROOT, "tests/kubesim"))
sys.path.insert(0, HERE)

from ksclient import Kubesim  # noqa: E402
import crdcheck  # noqa: E402

failures = []


def check(cond, what):
    print(f"{'ok  ' if cond else 'FAIL'} {what}")
    if not cond:
        failures.append(what)


def _versions(k, path):
    """name -> resourceVersion of every object in the manifest at path."""
    items = json.loads(k("get", "-f", path, "-o", "json").stdout).get("items", [])
    return {"%s/%s/%s" % (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]):
            o["metadata"]["resourceVersion"] for o in items}


def helm_lifecycle(ks, k):
    """helm install / upgrade / uninstall of the chart against the double (helm's typed
    clients: release Secrets, protobuf DeleteOptions on uninstall)."""
    chart = os.path.join(ROOT, "helm/valkey-bench-operator")
    env = dict(os.environ, KUBECONFIG=ks.kubeconfig,
               **{v: os.path.join(ks.dir, "helm-" + v.lower()) for v in
                  ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME")})

    def helm(*args):
        p = subprocess.run(["helm"] + list(args), capture_output=True, text=True, env=env,
                           timeout=120)
        return p.returncode, (p.stdout + p.stderr).strip()

    rc, out = helm("install", "vbi", chart, "-n", "helm-ns", "--create-namespace")
    check(rc == 0, "helm install" + ("" if rc == 0 else ": " + out[-400:]))
    dep = json.loads(k("get", "deploy", "-n", "helm-ns", "-o", "json").stdout)["items"]
    check([d["spec"]["replicas"] for d in dep] == [2], "helm install: the Deployment, 2 replicas")
    rc, out = helm("upgrade", "vbi", chart, "-n", "helm-ns", "--set", "replicaCount=3")
    dep = json.loads(k("get", "deploy", "-n", "helm-ns", "-o", "json").stdout)["items"]
    check(rc == 0 and [d["spec"]["replicas"] for d in dep] == [3],
          "helm upgrade --set replicaCount=3" + ("" if rc == 0 else ": " + out[-400:]))
    rc, out = helm("uninstall", "vbi", "-n", "helm-ns")
    left = k("get", "deploy,sa,svc,role,rolebinding,secret", "-n", "helm-ns", "-o", "name").stdout.split()
    left = [x for x in left if x != "serviceaccount/default"]
    left += [x for x in k("get", "clusterrole,clusterrolebinding", "-o", "name").stdout.split()
             if "/vbi-" in x]
    check(rc == 0 and not left, "helm uninstall removes everything, release Secrets included" +
          ("" if rc == 0 else ": " + out[-400:]) + (f"; left: {left}" if left else ""))


def main(y2j, rendered):
    ks = Kubesim("--eks-nodes").start()
    try:
        k = ks.kubectl
        k("apply", "--server-side", "-f", os.path.join(ROOT, "crds"))
        k("wait", "--for=condition=Established", "crd/valkeybenchmarks.valkeybench.io",
          "crd/valkeytopologychecks.valkeybench.io", "--timeout=30s")
        check(True, "CRDs applied and Established")
        ex = k("explain", "valkeybenchmark.spec.placement.resources").stdout
        check("runner pod" in ex, "kubectl explain documents spec.placement.resources")
        ex = k("explain", "valkeytopologycheck.status.topology.replicas").stdout
        check("crossZone" in ex, "kubectl explain documents status.topology.replicas")

        k("apply", "--server-side", "-f", os.path.join(HERE, "thirdparty-crds"))
        k("wait", "--for=condition=Established", "crd/nodepools.karpenter.sh",
          "crd/servicemonitors.monitoring.coreos.com", "--timeout=30s")
        served = set()
        for line in k("api-resources", "--no-headers").stdout.splitlines():
            cols = line.split()
            served.add((cols[-3], cols[-1]))  # (APIVERSION, KIND)
        for ns in ("valkey-bench-system", "ops", "valkey", "valkey-cluster"):
            k("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": ns}}))

        kinds_seen = set()
        for path in sorted(glob.glob(os.path.join(rendered, "*.yaml"))):
            base = os.path.basename(path)
            objs = crdcheck.load_yaml(y2j, path)
            kinds = {(o["apiVersion"], o["kind"]) for o in objs}
            kinds_seen |= kinds
            unserved = sorted("%s/%s" % gk for gk in kinds - served)
            check(not unserved, f"{base}: every kind is served ({len(kinds)} kinds)" +
                  (f"; NOT served: {', '.join(unserved)}" if unserved else ""))
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": objs}, f)
            try:
                p = k("apply", "--dry-run=server", "--server-side", "--force-conflicts", "-f",
                      f.name, check=False)
                check(p.returncode == 0, f"{base}: apply --dry-run=server accepts all "
                      f"{len(objs)} objects" + ("" if p.returncode == 0 else f": {p.stderr.strip()}"))
                p = k("apply", "--server-side", "--force-conflicts", "-f", f.name, check=False)
                lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
                check(p.returncode == 0 and len(lines) == len(objs),
                      f"{base}: all {len(objs)} objects created ({len(lines)} applied)" +
                      ("" if p.returncode == 0 else f": {p.stderr.strip()}"))
                before = _versions(k, f.name)
                p = k("apply", "--server-side", "--force-conflicts", "-f", f.name, check=False)
                after = _versions(k, f.name)
                moved = sorted(n for n in before if before[n] != after.get(n))
                check(p.returncode == 0 and len(before) == len(objs) and not moved,
                      f"{base}: re-applying all {len(before)} objects changes nothing" +
                      (f"; resourceVersion moved: {', '.join(moved)}" if moved else "") +
                      ("" if p.returncode == 0 else f": {p.stderr.strip()}"))
            finally:
                os.unlink(f.name)
        # README's install command, client-side apply as users run it
        p = k("apply", "-k", os.path.join(ROOT, "config/default"), check=False)
        check(p.returncode == 0, "kubectl apply -k config/default (README's install)" +
              ("" if p.returncode == 0 else f": {p.stderr.strip()}"))
        p = k("apply", "-k", os.path.join(ROOT, "config/default"), check=False)
        lines = [ln for ln in p.stdout.splitlines() if ln.strip()]
        check(p.returncode == 0 and lines and all(ln.endswith(" unchanged") for ln in lines),
              f"kubectl apply -k config/default again: all {len(lines)} unchanged")
        helm_lifecycle(ks, k)
        for want in (("apps/v1", "Deployment"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                     ("rbac.authorization.k8s.io/v1", "Role"), ("karpenter.sh/v1", "NodePool"),
                     ("monitoring.coreos.com/v1", "ServiceMonitor")):
            check(want in kinds_seen, f"the rendered sets include {want[0]} {want[1]}")
        out = k("get", "deploy", "-n", "valkey-bench-system", "-o", "wide").stdout.splitlines()
        check(len(out) >= 2 and out[0].split()[:5] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE",
                                                       "AGE"],
              "kubectl get deploy lists the operator Deployment: " + " | ".join(out))
        dep = json.loads(k("get", "deploy", "-n", "ops", "-o", "json").stdout)["items"]
        check(len(dep) == 1 and dep[0]["spec"]["replicas"] == 3 and
              dep[0]["spec"]["strategy"]["type"] == "RollingUpdate",
              "the full-values Deployment has 3 replicas and the server's default strategy")
        np_ = json.loads(k("get", "nodepools", "-o", "json").stdout)["items"]
        check(len(np_) == 1 and np_[0]["spec"]["disruption"]["consolidationPolicy"] == "WhenEmpty",
              "the NodePool is stored with consolidationPolicy WhenEmpty")
        sm = k("get", "smon", "-n", "ops", "-o", "name").stdout.split()
        check(len(sm) == 1, f"the ServiceMonitor is stored: {sm}")
        rb = k("get", "rolebindings", "-n", "valkey", "-o", "wide").stdout
        check("Role/vbo-valkey-bench-operator" in rb and "ops/vbo" in rb,
              "the per-namespace RoleBinding binds the chart's service account (ops/vbo)")

        crds = crdcheck.load_crds(y2j, sorted(glob.glob(os.path.join(ROOT, "crds/*.yaml"))))
        samples = sorted(glob.glob(os.path.join(ROOT, "config/samples/valkeybench_*.yaml")) +
                         glob.glob(os.path.join(ROOT, "config/argocd/samples/*.yaml")) +
                         glob.glob(os.path.join(ROOT, "config/argocd/health/*/*/testdata/*.yaml")))
        applied = 0
        for path in samples:
            for obj in crdcheck.load_yaml(y2j, path):
                if obj.get("kind") not in crds:
                    continue
                obj.pop("status", None)
                md = obj["metadata"]
                md["namespace"] = "default"
                md["name"] = f"{md['name']}-{applied}"
                for key in ("generation",):
                    md.pop(key, None)
                p = k("apply", "-f", "-", input=json.dumps(obj), check=False)
                rel = os.path.relpath(path, ROOT)
                check(p.returncode == 0, f"{rel}: {obj['kind']} applies as-is" +
                      ("" if p.returncode == 0 else f": {p.stderr.strip()}"))
                if p.returncode:
                    continue
                got = json.loads(k("get", obj["kind"].lower(), md["name"], "-n", "default", "-o", "json").stdout)
                root = crds[obj["kind"]]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
                want = crdcheck.apply_defaults(json.loads(json.dumps(obj)), root)["spec"]
                check(got["spec"] == want, f"{rel}: server defaults == schema defaults")
                if got["spec"] != want:
                    print("     server:", json.dumps(got["spec"], sort_keys=True))
                    print("     schema:", json.dumps(want, sort_keys=True))
                applied += 1
        check(applied >= 10, f"{applied} custom objects applied")

        head = k("get", "valkeybenchmarks", "-n", "default", "-o", "wide").stdout.splitlines()[0].split()
        check(head == ["NAME", "MODE", "PHASE", "RPS", "AGE", "P50-MS", "CLIENTS", "PIPELINE", "DATASIZE",
                       "RUNNERS"], f"vkb -o wide columns: {' '.join(head)}")
        head = k("get", "vtc", "-n", "default", "-o", "wide").stdout.splitlines()[0].split()
        check(head == ["NAME", "RESULT", "STATE", "SLOTS-OK", "PRIMARIES", "CROSS-ZONE", "LAST-CHECK", "AGE",
                       "MESSAGE"], f"vtc -o wide columns: {' '.join(head)}")
        cat = k("get", "valkey", "-n", "default", "-o", "name").stdout.split()
        check(len(cat) == applied, f"category valkey lists all {applied} objects")

        bad = {"apiVersion": "valkeybench.io/v1alpha1", "kind": "ValkeyBenchmark",
               "metadata": {"name": "bad", "namespace": "default"},
               "spec": {"target": {"mode": "sharded", "host": "x"}, "workload": {"pipeline": 4096}}}
        p = k("apply", "-f", "-", input=json.dumps(bad), check=False)
        check(p.returncode != 0 and "sharded" in p.stderr and "4096" in p.stderr,
              "an invalid spec (mode sharded, pipeline 4096) is refused naming both fields")
    finally:
        ks.stop()
    print(f"kubesim apply: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
