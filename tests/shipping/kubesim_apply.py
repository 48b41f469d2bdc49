#!/usr/bin/env python3
"""The shipped manifests against the API server double (tests/kubesim), with the real kubectl:

- the CRDs install and become Established; `kubectl explain` documents them;
- the kustomize install and the Helm chart (default and full values) pass
  `kubectl apply --dry-run=server` for every kind the double serves (kinds it does not serve,
  e.g. apps/v1 or rbac.authorization.k8s.io/v1 while it lacks them, are listed as skipped);
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

        served = set()
        for line in k("api-resources", "--no-headers").stdout.splitlines():
            cols = line.split()
            served.add((cols[-3], cols[-1]))  # (APIVERSION, KIND)
        for ns in ("valkey-bench-system", "ops", "valkey", "valkey-cluster"):
            k("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": ns}}))

        for path in sorted(glob.glob(os.path.join(rendered, "*.yaml"))):
            objs = crdcheck.load_yaml(y2j, path)
            ok = [o for o in objs if (o["apiVersion"], o["kind"]) in served]
            skipped = sorted({f"{o['apiVersion']}/{o['kind']}" for o in objs if o not in ok})
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump({"apiVersion": "v1", "kind": "List", "items": ok}, f)
            p = k("apply", "--dry-run=server", "--server-side", "--force-conflicts", "-f", f.name, check=False)
            os.unlink(f.name)
            check(p.returncode == 0, f"{os.path.basename(path)}: {len(ok)} objects accepted by "
                  f"apply --dry-run=server" + (f"" if p.returncode == 0 else f": {p.stderr.strip()}"))
            if skipped:
                print(f"     skipped (not served by kubesim): {', '.join(skipped)}")

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
