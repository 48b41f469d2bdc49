"""End-to-end proofs of the scheduler and kubelet steps (12-pods): binding to the Karpenter EKS
nodes, Unschedulable with the scheduler's message and a FailedScheduling event, retry when a
node appears, a pod running `sh -c 'echo hi > $TERMINATION_PATH'` ending Succeeded with
message "hi", pods/log, graceful deletion killing the process, the Eviction API
(pods/eviction) and the kubelet's node-pressure eviction (admin evict-pod)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ksclient import Kubesim, have_kubectl, wait_for  # noqa: E402

P = "/api/v1/namespaces/default/pods"
KARPENTER = {"karpenter.sh/capacity-type": "on-demand", "kubernetes.io/arch": "arm64",
             "node.kubernetes.io/instance-type": "r7g.large"}


def pod(name, command, node_selector=None, labels=None, **spec):
    s = {"restartPolicy": "Never", "nodeSelector": node_selector or KARPENTER,
         "containers": [{"name": "bench", "image": "valkey/valkey:7.2.5", "command": command}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"k8s-ref": "pods"}}, "spec": s}


class TestPods(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ks = Kubesim("--eks-nodes").start()
        cls.missing = cls.ks.admin("state", method="GET")[1]["missing"]

    @classmethod
    def tearDownClass(cls):
        cls.ks.stop()

    def req(self, *a, **k):
        return self.ks.request(*a, **k)

    def need_kubelet(self):
        if "kubelet" in self.missing:
            self.skipTest("SKIP: kubesim kubelet module not available yet")

    def get(self, name):
        return self.req("GET", P + "/" + name)[1]

    def cond(self, p, type_):
        for c in (p.get("status") or {}).get("conditions") or []:
            if c["type"] == type_:
                return c
        return None

    def test_create_defaults(self):
        s, p, _ = self.req("POST", P, pod("defaults", ["true"]))
        self.assertEqual(s, 201, p)
        c = p["spec"]["containers"][0]
        self.assertEqual((c["terminationMessagePath"], c["terminationMessagePolicy"],
                          c["imagePullPolicy"]), ("/dev/termination-log", "File", "IfNotPresent"))
        self.assertEqual((p["spec"]["schedulerName"], p["spec"]["serviceAccountName"],
                          p["spec"]["terminationGracePeriodSeconds"], p["spec"]["dnsPolicy"]),
                         ("default-scheduler", "default", 30, "ClusterFirst"))
        self.assertEqual(p["status"], {"phase": "Pending", "qosClass": "BestEffort"})
        self.assertEqual(list(p.keys())[:3], ["kind", "apiVersion", "metadata"])

    def test_binding_and_unschedulable(self):
        self.req("POST", P, pod("bound", ["sleep", "1"]))
        p = wait_for(lambda: (lambda p: p if p["spec"].get("nodeName") else None)(
            self.get("bound")))
        self.assertTrue(p["spec"]["nodeName"].startswith("ip-10-0-"))
        self.assertEqual(self.cond(p, "PodScheduled")["status"], "True")
        s, evs, _ = self.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                                    "involvedObject.name%3Dbound")
        self.assertEqual([(e["reason"], e["message"]) for e in evs["items"]],
                         [("Scheduled", "Successfully assigned default/bound to %s"
                           % p["spec"]["nodeName"])])
        sel = dict(KARPENTER, **{"node.kubernetes.io/instance-type": "r7g.4xlarge"})
        self.req("POST", P, pod("unschedulable", ["true"], node_selector=sel))
        p = wait_for(lambda: (lambda p: p if self.cond(p, "PodScheduled") else None)(
            self.get("unschedulable")))
        c = self.cond(p, "PodScheduled")
        self.assertEqual((c["status"], c["reason"]), ("False", "Unschedulable"))
        self.assertEqual(c["message"], "0/3 nodes are available: 3 node(s) didn't match Pod's "
                         "node affinity/selector. preemption: 0/3 nodes are available: 3 "
                         "Preemption is not helpful for scheduling..")
        self.assertEqual(p["status"]["phase"], "Pending")
        s, evs, _ = self.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                                    "involvedObject.name%3Dunschedulable")
        self.assertEqual([(e["reason"], e["type"]) for e in evs["items"]],
                         [("FailedScheduling", "Warning")])
        s, body, r = self.req("GET", P + "/unschedulable/log")
        self.assertEqual(s, 204)
        # a matching node appears: the pending pod is retried and bound to it
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "big-1", "labels": sel}}
        self.assertEqual(self.req("POST", "/api/v1/nodes", node)[0], 201)
        p = wait_for(lambda: (lambda p: p if p["spec"].get("nodeName") else None)(
            self.get("unschedulable")))
        self.assertEqual(p["spec"]["nodeName"], "big-1")
        self.assertEqual(self.cond(p, "PodScheduled")["status"], "True")

    def test_termination_message(self):
        self.need_kubelet()
        self.req("POST", P, pod("hi", ["sh", "-c", "echo log-line; echo hi > $TERMINATION_PATH"]))
        p = wait_for(lambda: (lambda p: p if p["status"].get("phase") in ("Succeeded", "Failed")
                              else None)(self.get("hi")), timeout=30)
        self.assertEqual(p["status"]["phase"], "Succeeded")
        t = p["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((t["exitCode"], t["reason"], t["message"].strip()),
                         (0, "Completed", "hi"))
        s, text, r = self.req("GET", P + "/hi/log", headers={"Accept": "*/*"})
        self.assertEqual((s, text), (200, b"log-line\n"))
        s, body, _ = self.req("GET", P + "/hi/log?container=nope")
        self.assertEqual((s, body["message"]), (400, "container nope is not valid for pod hi"))

    def test_graceful_delete_kills_process(self):
        self.need_kubelet()
        self.req("POST", P, pod("sleeper", ["sleep", "300"]))
        wait_for(lambda: self.get("sleeper")["status"].get("phase") == "Running", timeout=30)
        s, p, _ = self.req("DELETE", P + "/sleeper")
        self.assertEqual(s, 200)
        self.assertEqual(p["metadata"]["deletionGracePeriodSeconds"], 30)
        # removed once the kubelet has killed the process (SIGTERM ends sleep at once), not
        # after the 30 s grace period
        wait_for(lambda: self.req("GET", P + "/sleeper")[0] == 404, timeout=25)

    def test_secret_env_and_missing_secret(self):
        self.need_kubelet()
        self.req("POST", "/api/v1/namespaces/default/secrets", {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "valkey-auth"},
            "stringData": {"password": "s3cret-pw"}})
        env = [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "valkey-auth",
                                                             "key": "password"}}}]
        p = pod("env", ["sh", "-c", "printf %s \"$PW\" > $TERMINATION_PATH; echo a; echo b"])
        p["spec"]["containers"][0]["env"] = env
        self.req("POST", P, p)
        done = wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Succeeded"
                                 else None)(self.get("env")), timeout=30)
        t = done["status"]["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(t["message"], "s3cret-pw")
        s, text, _ = self.req("GET", P + "/env/log?tailLines=1", headers={"Accept": "*/*"})
        self.assertEqual((s, text), (200, b"b\n"))
        q = pod("noenv", ["true"])
        q["spec"]["containers"][0]["env"] = [{"name": "PW", "valueFrom": {"secretKeyRef": {
            "name": "missing-secret", "key": "password"}}}]
        self.req("POST", P, q)
        def waiting():
            st = (self.get("noenv")["status"].get("containerStatuses") or [{}])[0]
            w = (st.get("state") or {}).get("waiting") or {}
            # ContainerCreating comes first, then the config error
            return w if w.get("reason") == "CreateContainerConfigError" else None
        w = wait_for(waiting, timeout=30)
        self.assertEqual(w["message"], 'secret "missing-secret" not found')
        self.assertEqual(self.get("noenv")["status"]["phase"], "Pending")

    def test_simulated_pod(self):
        self.need_kubelet()
        p = pod("sim-0", ["valkey-server"], labels={"app.kubernetes.io/name": "valkey"})
        p["metadata"]["annotations"] = {"kubesim.io/simulated": "true",
                                        "kubesim.io/pod-ip": "127.0.0.2"}
        self.req("POST", P, p)
        got = wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Running"
                                else None)(self.get("sim-0")), timeout=30)
        self.assertEqual(got["status"]["podIP"], "127.0.0.2")

    def evictable(self, name):
        self.need_kubelet()
        self.req("POST", P, pod(name, ["sleep", "300"]))
        return wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Running" else None)(
            self.get(name)), timeout=30)

    def test_eviction_discovery(self):
        s, doc, _ = self.req("GET", "/api/v1")
        ours = [r for r in doc["resources"] if r["name"].split("/")[0] == "pods"]
        # 01-discovery/03: every pods entry of the recorded /api/v1, in the server's order
        self.assertEqual(ours[1:], [
            {"name": "pods/binding", "singularName": "", "namespaced": True, "kind": "Binding",
             "verbs": ["create"]},
            {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy",
             "version": "v1", "kind": "Eviction", "verbs": ["create"]},
            {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
             "verbs": ["get"]},
            {"name": "pods/status", "singularName": "", "namespaced": True, "kind": "Pod",
             "verbs": ["get", "patch", "update"]}])
        agg = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
        s, doc, _ = self.req("GET", "/api", headers={"Accept": agg})
        pods = [r for r in doc["items"][0]["versions"][0]["resources"] if r["resource"] == "pods"]
        self.assertIn({"subresource": "eviction", "responseKind": {
            "group": "policy", "version": "v1", "kind": "Eviction"}, "verbs": ["create"]},
            pods[0]["subresources"])

    def eviction(self, name, **kw):
        body = {"apiVersion": "policy/v1", "kind": "Eviction",
                "metadata": {"name": name, "namespace": "default"}}
        body.update(kw)
        return body

    def test_eviction_api_errors(self):
        s, body, _ = self.req("POST", P + "/nope/eviction", self.eviction("nope"))
        self.assertEqual((s, body), (404, {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'pods "nope" not found', "reason": "NotFound",
            "details": {"name": "nope", "kind": "pods"}, "code": 404}))
        self.evictable("ev-errors")
        s, body, _ = self.req("POST", P + "/ev-errors/eviction", self.eviction("other"))
        self.assertEqual((s, body["reason"], body["message"]),
                         (400, "BadRequest", "name in URL does not match name in Eviction object"))
        s, body, _ = self.req("POST", P + "/ev-errors/eviction",
                              dict(self.eviction("ev-errors"), apiVersion="v1"))
        self.assertEqual((s, body["message"]), (400, "the API version in the data (v1) does not "
                                                     "match the expected API version (policy/v1)"))
        s, body, _ = self.req("GET", P + "/ev-errors/eviction")
        self.assertEqual((s, body["reason"]), (405, "MethodNotAllowed"))
        # a precondition naming another uid: 409, the pod untouched
        s, body, _ = self.req("POST", P + "/ev-errors/eviction", self.eviction(
            "ev-errors", deleteOptions={"preconditions": {"uid": "not-the-uid"}}))
        self.assertEqual((s, body["reason"]), (409, "Conflict"))
        # dry run: Success, nothing changes
        before = self.get("ev-errors")
        s, body, _ = self.req("POST", P + "/ev-errors/eviction?dryRun=All",
                              self.eviction("ev-errors"))
        self.assertEqual((s, body["status"]), (201, "Success"))
        after = self.get("ev-errors")
        self.assertEqual(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"])
        self.assertIsNone(self.cond(after, "DisruptionTarget"))
        self.req("DELETE", P + "/ev-errors", {"gracePeriodSeconds": 0})

    def test_eviction_api_deletes_gracefully(self):
        p = self.evictable("ev-api")
        rv = p["metadata"]["resourceVersion"]
        r, events = self.ks.watch(P + "?watch=1&resourceVersion=%s&fieldSelector="
                                  "metadata.name%%3Dev-api" % rv)
        s, body, resp = self.req("POST", P + "/ev-api/eviction", self.eviction(
            "ev-api", deleteOptions={}))
        self.assertEqual((s, body), (201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                           "status": "Success", "code": 201}))
        seen = []
        for ev in events:
            seen.append(ev)
            if ev["type"] == "DELETED":
                break
        # first the DisruptionTarget condition, then the graceful deletion mark, then gone
        first = seen[0]["object"]
        self.assertEqual(seen[0]["type"], "MODIFIED")
        self.assertNotIn("deletionTimestamp", first["metadata"])
        c = self.cond(first, "DisruptionTarget")
        self.assertEqual((c["status"], c["reason"], c["message"], c["lastProbeTime"]),
                         ("True", "EvictionByEvictionAPI", "Eviction API: evicting", None))
        self.assertEqual(first["status"]["conditions"][-1]["type"], "DisruptionTarget")
        marked = seen[1]["object"]
        self.assertEqual(marked["metadata"]["deletionGracePeriodSeconds"], 30)
        self.assertEqual(seen[-1]["type"], "DELETED")
        self.assertEqual(self.cond(seen[-1]["object"], "DisruptionTarget")["reason"],
                         "EvictionByEvictionAPI")
        self.assertEqual(self.req("GET", P + "/ev-api")[0], 404)

    def test_node_pressure_eviction(self):
        p = self.evictable("ev-kubelet")
        s, body, _ = self.ks.admin("evict-pod", {"namespace": "default", "name": "ev-kubelet"})
        self.assertEqual(s, 200, body)
        msg = body["message"]
        self.assertEqual(msg, "The node was low on resource: memory. Threshold quantity: 100Mi, "
                              "available: 81920Ki. Container bench was using 1048576Ki, request "
                              "is 0, has larger consumption of memory. ")
        # the pod object stays, Failed, with the kubelet's words; its process is gone
        got = wait_for(lambda: (lambda p: p if "terminated" in json.dumps(
            p["status"].get("containerStatuses")) else None)(self.get("ev-kubelet")), timeout=30)
        st = got["status"]
        self.assertEqual((st["phase"], st["reason"], st["message"]), ("Failed", "Evicted", msg))
        c = st["conditions"][0]
        self.assertEqual((c["type"], c["status"], c["reason"], c["message"]),
                         ("DisruptionTarget", "True", "TerminationByKubelet", msg))
        t = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((t["exitCode"], t["reason"]), (137, "Error"))
        self.assertNotIn("deletionTimestamp", got["metadata"])
        s, evs, _ = self.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                                    "involvedObject.name%3Dev-kubelet%2Creason%3DEvicted")
        self.assertEqual([(e["type"], e["message"], e["source"]) for e in evs["items"]],
                         [("Warning", msg, {"component": "kubelet",
                                            "host": p["spec"]["nodeName"]})])
        # once is enough; unknown pods and the normal token are refused
        s, body, _ = self.ks.admin("evict-pod", {"namespace": "default", "name": "ev-kubelet"})
        self.assertEqual((s, body["reason"]), (409, "Conflict"))
        s, body, _ = self.ks.admin("evict-pod", {"namespace": "default", "name": "nope"})
        self.assertEqual((s, body["reason"]), (404, "NotFound"))
        s, _, _ = self.req("POST", "/_kubesim/evict-pod", {"name": "ev-kubelet"})
        self.assertEqual(s, 401)
        # a custom message, as the fault is told
        self.evictable("ev-custom")
        s, body, _ = self.ks.admin("evict-pod", {"name": "ev-custom", "message": "disk full"})
        self.assertEqual(self.get("ev-custom")["status"]["message"], "disk full")
        # deleting a finished pod removes it at once
        self.assertEqual(self.req("DELETE", P + "/ev-kubelet")[0], 200)
        self.assertEqual(self.req("GET", P + "/ev-kubelet")[0], 404)

    @unittest.skipUnless(have_kubectl(), "SKIP: no kubectl on this machine")
    def test_kubectl_pods_wide(self):
        self.req("POST", P, pod("wide", ["sleep", "1"]))
        wait_for(lambda: self.get("wide")["spec"].get("nodeName"))
        out = self.ks.kubectl("get", "pods", "-o", "wide").stdout.splitlines()
        self.assertEqual(out[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP",
                                          "NODE", "NOMINATED", "NODE", "READINESS", "GATES"])
        self.assertTrue(any(l.startswith("wide ") for l in out))


class TestPodsAcrossRestart(unittest.TestCase):
    def test_wipe_kills_and_new_pods_run(self):
        ks = Kubesim("--eks-nodes").start()
        self.addCleanup(ks.stop)
        if "kubelet" in ks.admin("state", method="GET")[1]["missing"]:
            self.skipTest("SKIP: kubesim kubelet module not available yet")
        ks.request("POST", P, pod("before", ["sleep", "300"]))
        wait_for(lambda: ks.request("GET", P + "/before")[1]["status"].get("phase") ==
                 "Running", timeout=30)
        ks.admin("restart", {"wipe": True})

        def wiped():
            try:
                return ks.request("GET", P + "/before")[0] == 404
            except OSError:   # the listener is closed for a moment
                return False
        wait_for(wiped, timeout=20)
        nodes = ks.request("GET", "/api/v1/nodes")[1]["items"]
        self.assertEqual(len(nodes), 3)   # --eks-nodes are registered again
        ks.request("POST", P, pod("after", ["sh", "-c", "echo ok > $TERMINATION_PATH"]))
        done = wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Succeeded"
                                 else None)(ks.request("GET", P + "/after")[1]), timeout=30)
        self.assertEqual(done["status"]["containerStatuses"][0]["state"]["terminated"]
                         ["message"].strip(), "ok")


class TestDrain(unittest.TestCase):
    """`kubectl drain` (every kubectl found): cordon, then the Eviction API for each pod on
    the node, waiting until they are gone."""

    def test_kubectl_drain(self):
        from test_e2e_builtins import kubectls
        found = kubectls()
        if not found:
            self.skipTest("SKIP: no kubectl on this machine")
        ks = Kubesim("--eks-nodes").start()
        self.addCleanup(ks.stop)
        if "kubelet" in ks.admin("state", method="GET")[1]["missing"]:
            self.skipTest("SKIP: kubesim kubelet module not available yet")
        node = "ip-10-0-1-1.us-west-2a"
        for version, exe in sorted(found.items()):
            with self.subTest(kubectl=version):
                name = "drained-" + version.split("-")[0].replace(".", "-").lower()
                p = pod(name, ["sleep", "300"], node_selector={"kubernetes.io/hostname": node})
                self.assertEqual(ks.request("POST", P, p)[0], 201)
                wait_for(lambda: ks.request("GET", P + "/" + name)[1]["status"].get("phase") ==
                         "Running", timeout=30)
                r = ks.kubectl("drain", node, "--force", "--timeout=60s", exe=exe, check=False)
                out = r.stdout + r.stderr
                self.assertEqual(r.returncode, 0, out)
                self.assertIn("evicting pod default/%s" % name, out)
                self.assertIn("pod/%s evicted" % name, out)
                self.assertEqual(ks.request("GET", P + "/" + name)[0], 404)
                self.assertTrue(ks.request("GET", "/api/v1/nodes/" + node)[1]["spec"]["unschedulable"])
                ks.kubectl("uncordon", node, exe=exe)
                self.assertNotIn("unschedulable", ks.request("GET", "/api/v1/nodes/" + node)[1]["spec"])


if __name__ == "__main__":
    unittest.main()
