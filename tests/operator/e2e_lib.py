"""End-to-end harness for the ValkeyBenchmark controller: kubesim with Karpenter-labelled
nodes in three zones (plus Valkey data-plane nodes), the CRDs, real redis-server
topologies registered as simulated Valkey pods, and `valkey-bench operator` itself."""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VB_SOURCE_DIR", os.path.join(HERE, "..", ".."))
HARNESS = os.environ.get("VB_HARNESS", os.path.join(SRC, "tests", "harness"))
VB_BIN = os.environ["VB_BIN"]
sys.path.insert(0, os.path.join(SRC, "tests", "kubesim"))
sys.path.insert(0, HARNESS)
from ksclient import Kubesim  # noqa: E402
from valkey_topology import resp_command  # noqa: E402

GROUP = "/apis/valkeybench.io/v1alpha1"


class Env:
    def __init__(self):
        # The kubelet runs `valkey-bench runner` from PATH, as the runner image would.
        os.environ["PATH"] = os.path.dirname(os.path.abspath(VB_BIN)) + os.pathsep + os.environ["PATH"]
        self.ks = Kubesim("--eks-nodes", "--valkey-nodes", "6").start()
        self.topos = []
        self.op = None
        self.op_log = os.path.join(self.ks.dir, "operator.log")
        for f in sorted(os.listdir(os.path.join(SRC, "crds"))):
            self.ks.kubectl("apply", "-f", os.path.join(SRC, "crds", f))
        for crd in ("valkeybenchmarks", "valkeytopologychecks"):
            self.wait(lambda: self.ks.request("GET", "%s/%s" % (GROUP, crd))[0] == 200, 30,
                      "CRD %s served" % crd)

    # ---- processes
    def start_operator(self):
        env = dict(os.environ, VB_RUNNER_IMAGE="valkey-bench:e2e")
        self.op = subprocess.Popen([VB_BIN, "operator", "--kubeconfig", self.ks.kubeconfig, "--leader-elect=false",
                                    "--http-port", "0", "--workers", "2",
                                    "--log-level", os.environ.get("VB_E2E_LOG_LEVEL", "info")],
                                   stdout=open(self.op_log, "a"), stderr=subprocess.STDOUT, env=env)

    def stop_operator(self, sig=signal.SIGTERM):
        if self.op and self.op.poll() is None:
            self.op.send_signal(sig)
            try:
                self.op.wait(20)
            except subprocess.TimeoutExpired:
                self.op.kill()
                self.op.wait()
        self.op = None

    def close(self):
        self.stop_operator()
        for d in self.topos:
            subprocess.run([sys.executable, os.path.join(HARNESS, "valkey_topology.py"), "stop", "--dir", d],
                           capture_output=True)
        self.ks.stop()

    def topology(self, name, mode, *flags, namespace="valkey"):
        """Starts a real topology and registers each node as a simulated Valkey pod on a
        Valkey node; returns its topology.json (plus host/port of the seed)."""
        d = os.path.join(self.ks.dir, "topo-" + name)
        out = subprocess.run([sys.executable, os.path.join(HARNESS, "valkey_topology.py"), "start", "--mode", mode,
                              "--dir", d, "--owner-pid", str(os.getpid())] + list(flags),
                             capture_output=True, text=True, check=True).stdout
        self.topos.append(d)
        env = dict(line.split("=", 1) for line in out.split() if "=" in line)
        with open(os.path.join(d, "topology.json")) as f:
            topo = json.load(f)
        topo["dir"], topo["host"], topo["port"] = d, env["VB_HOST"].strip("'\""), int(env["VB_PORT"].strip("'\""))
        self.ensure_namespace(namespace)
        nodes = sorted(n["metadata"]["name"] for n in self.get("/api/v1/nodes")["items"]
                       if n["metadata"]["labels"].get("karpenter.sh/nodepool") == "valkey")
        for i, n in enumerate(topo["nodes"]):
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": "%s-%d" % (name, i), "namespace": namespace,
                                "labels": {"app.kubernetes.io/name": "valkey", "topology": name},
                                "annotations": {"kubesim.io/simulated": "true", "kubesim.io/pod-ip": n["host"]}},
                   "spec": {"nodeName": nodes[i % len(nodes)],
                            "containers": [{"name": "valkey", "image": "valkey/valkey:9.0.2"}]}}
            self.post("/api/v1/namespaces/%s/pods" % namespace, pod)
        return topo

    # ---- API
    def get(self, path):
        code, body, _ = self.ks.request("GET", path)
        return body if code == 200 else None

    def post(self, path, obj):
        code, body, _ = self.ks.request("POST", path, obj)
        if code not in (200, 201):
            raise AssertionError("POST %s: %s %s" % (path, code, body))
        return body

    def ensure_namespace(self, ns):
        if self.get("/api/v1/namespaces/" + ns) is None:
            self.post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    def secret(self, ns, name, data):
        self.ensure_namespace(ns)
        self.post("/api/v1/namespaces/%s/secrets" % ns,
                  {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data})

    def bench(self, ns, name, spec, annotations=None):
        self.ensure_namespace(ns)
        md = {"name": name}
        if annotations:
            md["annotations"] = annotations
        return self.post("%s/namespaces/%s/valkeybenchmarks" % (GROUP, ns),
                         {"apiVersion": "valkeybench.io/v1alpha1", "kind": "ValkeyBenchmark", "metadata": md,
                          "spec": spec})

    def get_bench(self, ns, name):
        return self.get("%s/namespaces/%s/valkeybenchmarks/%s" % (GROUP, ns, name))

    def patch_bench(self, ns, name, patch):
        code, body, _ = self.ks.request("PATCH", "%s/namespaces/%s/valkeybenchmarks/%s" % (GROUP, ns, name), patch,
                                        ctype="application/merge-patch+json")
        assert code == 200, (code, body)
        return body

    def pods(self, ns, selector):
        from urllib.parse import quote
        return self.get("/api/v1/namespaces/%s/pods?labelSelector=%s" % (ns, quote(selector)))["items"]

    def events(self, ns, name):
        return [e for e in self.get("/api/v1/namespaces/%s/events" % ns)["items"]
                if e.get("involvedObject", {}).get("name") == name]

    def wait(self, fn, timeout, what):
        deadline = time.time() + timeout
        while True:
            v = fn()
            if v:
                return v
            if time.time() > deadline:
                raise AssertionError("timed out after %ss waiting for %s\n--- operator log tail:\n%s" % (
                    timeout, what, self.log_tail()))
            time.sleep(0.2)

    def wait_phase(self, ns, name, phases, timeout=120):
        def check():
            b = self.get_bench(ns, name)
            st = (b or {}).get("status") or {}
            return b if st.get("phase") in phases else None
        try:
            return self.wait(check, timeout, "%s/%s in %s" % (ns, name, phases))
        except AssertionError as e:
            b = self.get_bench(ns, name)
            raise AssertionError("%s\n--- status: %s" % (e, json.dumps((b or {}).get("status"), indent=1)))

    def log_tail(self, n=40):
        try:
            with open(self.op_log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    # ---- Valkey side
    def server_sum(self, topo, pattern, password=None):
        total = 0
        for n in topo["nodes"]:
            if n["role"] != "primary":
                continue
            for k in scan(n["host"], n["port"], pattern, password):
                total += int(resp_command(n["host"], n["port"], "GET", k, password=password))
        return total


def scan(host, port, pattern, password=None):
    cursor, out = "0", []
    while True:
        reply = resp_command(host, port, "SCAN", cursor, "MATCH", pattern, "COUNT", "1000", password=password)
        cursor, keys = reply[0], reply[1]
        out.extend(keys)
        if cursor in ("0", b"0"):
            return out
