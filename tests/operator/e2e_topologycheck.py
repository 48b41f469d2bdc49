"""ValkeyTopologyCheck end to end: `valkey-bench operator` against kubesim (the three EKS
nodes of zones us-west-2a/b/c) and real redis-server topologies with one node per loopback
address, each node registered as a simulated Pod on a Node. One kubesim, operator and set
of topologies for the module; each test works in its own namespace, and the tests that
break a topology run last (unittest orders tests by name: test_9x)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VB_SOURCE_DIR", os.path.join(HERE, "..", ".."))
HARNESS = os.environ.get("VB_HARNESS", os.path.join(SRC, "tests", "harness"))
VB_BIN = os.environ["VB_BIN"]
sys.path.insert(0, os.path.join(SRC, "tests", "kubesim"))
sys.path.insert(0, HARNESS)
from ksclient import Kubesim  # noqa: E402
from valkey_topology import resp_command  # noqa: E402

GROUP = "/apis/valkeybench.io/v1alpha1"
NODES = ["ip-10-0-1-1.us-west-2a", "ip-10-0-2-1.us-west-2b", "ip-10-0-3-1.us-west-2c"]
PASSWORD = "vtc-e2e-s3cret"
KS = OP = None
OP_LOG = None
TOPOS = {}


def start_topology(name, mode, *flags):
    d = os.path.join(KS.dir, "topo-" + name)
    subprocess.run([sys.executable, os.path.join(HARNESS, "valkey_topology.py"), "start", "--mode", mode,
                    "--dir", d, "--owner-pid", str(os.getpid()), "--ip-per-node"] + list(flags),
                   capture_output=True, text=True, check=True)
    with open(os.path.join(d, "topology.json")) as f:
        topo = json.load(f)
    topo["dir"] = d
    TOPOS[name] = topo
    return topo


def setUpModule():
    global KS, OP, OP_LOG
    KS = Kubesim("--eks-nodes").start()
    for f in sorted(os.listdir(os.path.join(SRC, "crds"))):
        KS.kubectl("apply", "-f", os.path.join(SRC, "crds", f))
    wait(lambda: KS.request("GET", GROUP + "/valkeytopologychecks")[0] == 200, 30, "CRD served")
    pw = os.path.join(KS.dir, "pw")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    start_topology("cluster", "cluster", "--primaries", "3", "--replicas", "1", "--password-file", pw)
    start_topology("repl", "replication", "--replicas", "1")
    OP_LOG = os.path.join(KS.dir, "operator.log")
    OP = subprocess.Popen([VB_BIN, "operator", "--kubeconfig", KS.kubeconfig, "--leader-elect=false",
                           "--http-port", "0", "--workers", "2"],
                          stdout=open(OP_LOG, "a"), stderr=subprocess.STDOUT)


def tearDownModule():
    if OP and OP.poll() is None:
        OP.send_signal(signal.SIGTERM)
        try:
            OP.wait(20)
        except subprocess.TimeoutExpired:
            OP.kill()
            OP.wait()
    for t in TOPOS.values():
        subprocess.run([sys.executable, os.path.join(HARNESS, "valkey_topology.py"), "stop", "--dir", t["dir"]],
                       capture_output=True)
    if KS:
        KS.stop()


def log_tail(n=30):
    try:
        with open(OP_LOG) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def wait(fn, timeout, what):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out after %ss waiting for %s\n--- operator log tail:\n%s" % (
                timeout, what, log_tail()))
        time.sleep(0.2)


def api(method, path, body=None, ctype=None, ok=(200, 201)):
    code, out, _ = KS.request(method, path, body, ctype=ctype)
    if code not in ok:
        raise AssertionError("%s %s: %s %s" % (method, path, code, out))
    return out


def namespace(ns):
    if KS.request("GET", "/api/v1/namespaces/" + ns)[0] != 200:
        api("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})


def secret(ns, name, password):
    api("POST", "/api/v1/namespaces/%s/secrets" % ns, {"apiVersion": "v1", "kind": "Secret",
                                                     "metadata": {"name": name}, "stringData": {"password": password}})


def pods(ns, topo, zone_of):
    """Registers node k of topo as simulated pod valkey-k on the Node of zone zone_of[k]."""
    for k, n in enumerate(topo["nodes"]):
        api("POST", "/api/v1/namespaces/%s/pods" % ns, {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "valkey-%d" % k, "labels": {"app": "valkey"},
                         "annotations": {"kubesim.io/simulated": "true", "kubesim.io/pod-ip": n["host"]}},
            "spec": {"nodeName": NODES[zone_of[k]], "containers": [{"name": "valkey", "image": "valkey/valkey:9"}]}})
    wait(lambda: all(p.get("status", {}).get("podIP") for p in
                     api("GET", "/api/v1/namespaces/%s/pods" % ns)["items"]), 30, "pod IPs in " + ns)


def vtc(ns, name, topo, mode="cluster", auth=None, interval=0, **spec):
    s = {"target": {"mode": mode, "host": topo["nodes"][0]["host"], "port": topo["nodes"][0]["port"]},
         "podSelector": {"matchLabels": {"app": "valkey"}}, "intervalSeconds": interval}
    if auth:
        s["auth"] = {"secretName": auth}
    s.update(spec)
    return api("POST", "%s/namespaces/%s/valkeytopologychecks" % (GROUP, ns),
               {"apiVersion": "valkeybench.io/v1alpha1", "kind": "ValkeyTopologyCheck",
                "metadata": {"name": name}, "spec": s})


def get_vtc(ns, name):
    return api("GET", "%s/namespaces/%s/valkeytopologychecks/%s" % (GROUP, ns, name))


def wait_result(ns, name, result, timeout=90, after=None):
    """The object once status.result == result (and lastCheckTime differs from `after`)."""
    def check():
        o = get_vtc(ns, name)
        st = o.get("status") or {}
        ok = st.get("result") == result and (after is None or st.get("lastCheckTime") != after)
        return o if ok else None
    try:
        return wait(check, timeout, "%s/%s result %s" % (ns, name, result))
    except AssertionError as e:
        raise AssertionError("%s\n--- status: %s" % (e, json.dumps(get_vtc(ns, name).get("status"), indent=1)))


def cond(obj, ctype):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == ctype:
            return c
    return {}


def events(ns, name):
    return [e for e in api("GET", "/api/v1/namespaces/%s/events" % ns)["items"]
            if e.get("involvedObject", {}).get("name") == name]


def cli(topo, k, *args):
    n = topo["nodes"][k]
    return resp_command(n["host"], n["port"], *args, password=PASSWORD if topo.get("password") else None)


# Cluster: primaries 0/1/2 in a/b/c; replicas 3 (of 0) in b, 4 (of 1) in c, 5 (of 2) in a.
CROSS = [0, 1, 2, 1, 2, 0]


class TopologyCheckE2E(unittest.TestCase):
    def assert_no_secret(self, ns, name):
        blob = json.dumps(get_vtc(ns, name)) + json.dumps(events(ns, name)) + log_tail(10000)
        self.assertNotIn(PASSWORD, blob)

    def test_1_cluster_cross_zone_pass(self):
        ns = "vtc-pass"
        namespace(ns)
        secret(ns, "valkey-auth", PASSWORD)
        pods(ns, TOPOS["cluster"], CROSS)
        vtc(ns, "prod", TOPOS["cluster"], auth="valkey-auth")
        o = wait_result(ns, "prod", "PASS")
        st = o["status"]
        self.assertEqual(st["crossZonePairs"], "3/3")
        self.assertEqual(st["primaries"], 3)
        self.assertEqual(st["clusterInfo"]["state"], "ok")
        self.assertEqual(st["clusterInfo"]["slotsOk"], 16384)
        self.assertEqual(st["firstFailure"], "")
        self.assertEqual(st["observedGeneration"], o["metadata"]["generation"])
        self.assertTrue(all(c["passed"] for c in st["checks"]), st["checks"])
        self.assertEqual(sorted(p["pod"] for p in st["topology"]), ["valkey-0", "valkey-1", "valkey-2"])
        for p in st["topology"]:
            self.assertEqual(len(p["replicas"]), 1)
            r = p["replicas"][0]
            self.assertTrue(r["crossZone"])
            self.assertNotEqual(r["zone"], p["zone"])
        self.assertEqual(cond(o, "Passed")["status"], "True")
        self.assertEqual(cond(o, "Passed")["reason"], "CheckPassed")
        self.assertEqual(cond(o, "Degraded")["status"], "False")
        self.assertEqual(cond(o, "Progressing")["status"], "False")
        wait(lambda: [e for e in events(ns, "prod") if e["reason"] == "TopologyCheckPassed" and e["type"] == "Normal"],
             30, "TopologyCheckPassed event")
        # intervalSeconds 0: checked once for this generation; a spec change re-checks at once.
        api("PATCH", "%s/namespaces/%s/valkeytopologychecks/prod" % (GROUP, ns),
            {"spec": {"requirements": {"minReplicasPerPrimary": 2}}}, ctype="application/merge-patch+json")
        o = wait_result(ns, "prod", "FAIL")
        self.assertEqual(o["status"]["observedGeneration"], o["metadata"]["generation"])
        self.assertIn("has 1 healthy replica", o["status"]["firstFailure"])
        self.assertEqual(cond(o, "Degraded")["status"], "True")
        wait(lambda: [e for e in events(ns, "prod") if e["reason"] == "TopologyCheckFailed" and e["type"] == "Warning"],
             30, "TopologyCheckFailed event")
        api("PATCH", "%s/namespaces/%s/valkeytopologychecks/prod" % (GROUP, ns),
            {"spec": {"requirements": {"minReplicasPerPrimary": 1}}}, ctype="application/merge-patch+json")
        o = wait_result(ns, "prod", "PASS")
        if shutil.which("kubectl"):
            out = KS.kubectl("get", "vtc", "-n", ns, "-o", "wide").stdout
            header = out.splitlines()[0].split()
            self.assertEqual(header[:5], ["NAME", "RESULT", "STATE", "SLOTS-OK", "PRIMARIES"], out)
            self.assertIn("CROSS-ZONE", header)
            self.assertIn("MESSAGE", header)
            row = out.splitlines()[1].split()
            self.assertEqual(row[:5], ["prod", "PASS", "ok", "16384", "3"], out)
            self.assertIn("3/3", row)
        self.assert_no_secret(ns, "prod")

    def test_2_replica_in_primary_zone_fails_naming_it(self):
        ns = "vtc-samezone"
        namespace(ns)
        secret(ns, "valkey-auth", PASSWORD)
        zone_of = list(CROSS)
        zone_of[3] = 0  # valkey-3, the only replica of valkey-0, moves into us-west-2a
        pods(ns, TOPOS["cluster"], zone_of)
        vtc(ns, "prod", TOPOS["cluster"], auth="valkey-auth")
        o = wait_result(ns, "prod", "FAIL")
        st = o["status"]
        self.assertEqual(st["crossZonePairs"], "2/3")
        self.assertIn("valkey-0", st["firstFailure"])
        failed = [c for c in st["checks"] if not c["passed"]]
        self.assertEqual([c["name"] for c in failed], ["replicaInDifferentZone"], failed)
        self.assertEqual(cond(o, "Passed")["status"], "False")
        self.assertEqual(cond(o, "Passed")["reason"], "CheckFailed")
        self.assertEqual(cond(o, "Degraded")["status"], "True")
        self.assertEqual(cond(o, "Degraded")["message"], st["firstFailure"])
        wait(lambda: [e for e in events(ns, "prod") if e["reason"] == "TopologyCheckFailed"
                      and "valkey-0" in e["message"]], 30, "TopologyCheckFailed event naming valkey-0")

    def test_3_wrong_password_and_missing_secret_fail_cleanly(self):
        ns = "vtc-auth"
        namespace(ns)
        secret(ns, "wrong", "not-the-password")
        pods(ns, TOPOS["cluster"], CROSS)
        vtc(ns, "wrong", TOPOS["cluster"], auth="wrong")
        vtc(ns, "nosecret", TOPOS["cluster"], auth="absent")
        vtc(ns, "noauth", TOPOS["cluster"])
        for name in ("wrong", "noauth"):
            o = wait_result(ns, name, "FAIL")
            self.assertEqual([c["name"] for c in o["status"]["checks"] if not c["passed"]][:1], ["reachable"],
                             o["status"])
            self.assertRegex(o["status"]["firstFailure"].lower(), "auth|password|noauth|wrongpass")
        o = wait_result(ns, "nosecret", "FAIL")
        self.assertEqual(o["status"]["firstFailure"], "auth Secret absent not found in namespace vtc-auth")
        self.assertEqual(cond(o, "Degraded")["status"], "True")
        # intervalSeconds 0, yet the check is retried once the Secret exists (no spec change).
        secret(ns, "absent", PASSWORD)
        o = wait_result(ns, "nosecret", "PASS", timeout=60)
        self.assertEqual(o["metadata"]["generation"], 1)
        self.assertIsNone(OP.poll(), "operator exited")
        for name in ("wrong", "nosecret", "noauth"):
            self.assert_no_secret(ns, name)

    def test_4_unmapped_pods_fail(self):
        ns = "vtc-unmapped"
        namespace(ns)
        secret(ns, "valkey-auth", PASSWORD)
        vtc(ns, "prod", TOPOS["cluster"], auth="valkey-auth")  # no pods at all
        o = wait_result(ns, "prod", "FAIL")
        self.assertIn("podsMapped", [c["name"] for c in o["status"]["checks"] if not c["passed"]])
        o = vtc(ns, "badsel", TOPOS["cluster"], auth="valkey-auth",
                podSelector={"matchExpressions": [{"key": "app", "operator": "In", "values": ["valkey"]},
                                                  {"key": "tier", "operator": "DoesNotExist"}]})
        o = wait_result(ns, "badsel", "FAIL")
        self.assertIn("podsMapped", [c["name"] for c in o["status"]["checks"] if not c["passed"]])

    def test_5_replication_pass_and_same_zone_fail(self):
        repl = TOPOS["repl"]
        namespace("vtc-repl")
        pods("vtc-repl", repl, [0, 1])
        vtc("vtc-repl", "r", repl, mode="replication")
        o = wait_result("vtc-repl", "r", "PASS")
        self.assertEqual(o["status"]["crossZonePairs"], "1/1")
        self.assertEqual(o["status"]["topology"][0]["pod"], "valkey-0")
        self.assertEqual(o["status"]["topology"][0]["replicas"][0]["pod"], "valkey-1")
        self.assertTrue(o["status"]["topology"][0]["replicas"][0]["linkUp"])
        namespace("vtc-repl-same")
        pods("vtc-repl-same", repl, [2, 2])
        vtc("vtc-repl-same", "r", repl, mode="replication")
        o = wait_result("vtc-repl-same", "r", "FAIL")
        self.assertEqual(o["status"]["crossZonePairs"], "0/1")
        self.assertIn("valkey-0", o["status"]["firstFailure"])

    def test_9_periodic_check_flips_on_faults_and_repair(self):
        topo = TOPOS["cluster"]
        ns = "vtc-periodic"
        namespace(ns)
        secret(ns, "valkey-auth", PASSWORD)
        pods(ns, topo, CROSS)
        vtc(ns, "watch", topo, auth="valkey-auth", interval=1)
        o = wait_result(ns, "watch", "PASS")
        # Fault 1: slots 0-99 unassigned everywhere.
        for k in range(len(topo["nodes"])):
            cli(topo, k, "CLUSTER", "DELSLOTSRANGE", "0", "99")
        o = wait_result(ns, "watch", "FAIL")
        self.assertIn("slots 0-99 not assigned", json.dumps(o["status"]["checks"]))
        self.assertEqual(o["status"]["clusterInfo"]["slotsAssigned"], 16284)
        # Repair: the primary claims them again and the others learn it by gossip.
        cli(topo, 0, "CLUSTER", "ADDSLOTSRANGE", "0", "99")
        o = wait_result(ns, "watch", "PASS", timeout=120)
        self.assertEqual(o["status"]["clusterInfo"]["slotsAssigned"], 16384)
        wait(lambda: [e for e in events(ns, "watch") if e["reason"] == "TopologyCheckFailed"], 30, "TopologyCheckFailed event")
        wait(lambda: sum(e.get("count", 1) for e in events(ns, "watch") if e["reason"] == "TopologyCheckPassed") >= 2,
             30, "a second TopologyCheckPassed event")
        # Fault 2: the replica of valkey-1 is killed.
        victim = topo["nodes"][4]
        with open(os.path.join(victim["dir"], "server.pid")) as f:
            os.kill(int(f.read().strip()), signal.SIGKILL)
        o = wait_result(ns, "watch", "FAIL")
        self.assertIn("valkey-4", o["status"]["firstFailure"])
        self.assertIn("has 0 healthy replicas", json.dumps(o["status"]["checks"]))
        self.assertIn("127.0.0.14:%d" % victim["port"], json.dumps(o["status"]["checks"]))
        # Fault 3: a whole shard (valkey-2 and its replica valkey-5) dies: cluster_state fail.
        for k in (2, 5):
            with open(os.path.join(topo["nodes"][k]["dir"], "server.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)

        def state_fail():
            st = get_vtc(ns, "watch").get("status") or {}
            return st if (st.get("clusterInfo") or {}).get("state") == "fail" else None
        st = wait(state_fail, 90, "clusterInfo.state fail")
        self.assertEqual(st["result"], "FAIL")
        failed = {c["name"]: c["message"] for c in st["checks"] if not c["passed"]}
        self.assertIn("cluster_state is fail", failed.get("clusterStateOk", ""), failed)
        self.assertIsNone(OP.poll(), "operator exited")


if __name__ == "__main__":
    unittest.main()
