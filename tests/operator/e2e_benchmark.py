"""ValkeyBenchmark end to end: `valkey-bench operator` against kubesim (Karpenter-labelled
nodes in three zones, its kubelet running the runner pods as local processes) and real
redis-server topologies on loopback. One kubesim, operator and set of topologies for the
module; each test works in its own namespace."""
import json
import os
import signal
import subprocess
import time
import unittest

from e2e_lib import VB_BIN, Env

ENV = None
CLUSTER = REPL = AUTHED = None
PASSWORD = "e2e-s3cret"


def setUpModule():
    global ENV, CLUSTER, REPL, AUTHED
    ENV = Env()
    CLUSTER = ENV.topology("cluster", "cluster", "--primaries", "3", "--replicas", "1", "--ip-per-node")
    REPL = ENV.topology("repl", "replication", "--replicas", "3")
    pw = os.path.join(ENV.ks.dir, "pw")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    AUTHED = ENV.topology("authed", "standalone", "--password-file", pw)
    ENV.start_operator()


def tearDownModule():
    if ENV:
        ENV.close()


def workload(**kw):
    w = {"requests": 6000, "clients": 6, "pipeline": 8, "dataSize": 32, "threads": 2, "keyspaceLen": 1000,
         "tests": ["incr"]}
    w.update(kw)
    return {k: v for k, v in w.items() if v is not None}


def spec(topo, mode, **kw):
    s = {"target": {"mode": mode, "host": topo["host"], "port": topo["port"]}, "workload": workload()}
    s.update(kw)
    return s


def cond(bench, ctype):
    for c in (bench.get("status") or {}).get("conditions") or []:
        if c["type"] == ctype:
            return c
    return {}


class BenchmarkE2E(unittest.TestCase):
    def runner_pods(self, ns, name):
        return ENV.pods(ns, "valkeybench.io/benchmark=" + name)

    def wait_events(self, ns, name, reasons, timeout=30):
        """The benchmark's events once all of reasons are among them (the recorder posts
        events in the background, after the status write)."""
        ENV.wait(lambda: set(reasons) <= {e["reason"] for e in ENV.events(ns, name)}, timeout,
                 "events %s of %s" % (sorted(reasons), name))
        return ENV.events(ns, name)

    def assert_gone(self, ns, name):
        ENV.wait(lambda: not self.runner_pods(ns, name), 30, "runner pods of %s deleted" % name)

    def released_attempt(self, ns, name, attempt):
        """The attempt's runner pods once every one of them runs released (the measured
        phase has begun), else None."""
        pods = [p for p in self.runner_pods(ns, name)
                if p["metadata"]["labels"].get("valkeybench.io/attempt") == str(attempt)]
        ok = [p for p in pods if "valkeybench.io/start" in p["metadata"].get("annotations", {})
              and p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        return ok if ok and len(ok) == len(pods) else None

    def add_runner_nodes(self, zone, names, occupy):
        """More Karpenter runner nodes in one zone, and a small pod on each node of `occupy`
        (all removed after the test): the scheduler prefers the emptier nodes, so without the
        zone spread the new nodes would take the runners that belong in other zones."""
        base = ENV.get("/api/v1/nodes/ip-10-0-1-1.us-west-2a")
        for name in names:
            n = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": dict(
                base["metadata"]["labels"], **{"kubernetes.io/hostname": name,
                                               "topology.kubernetes.io/zone": zone})},
                 "spec": {}, "status": base["status"]}
            ENV.post("/api/v1/nodes", n)
            if not (ENV.get("/api/v1/nodes/" + name).get("status") or {}).get("conditions"):
                code, body, _ = ENV.ks.request("PUT", "/api/v1/nodes/%s/status" % name,
                                               dict(ENV.get("/api/v1/nodes/" + name), status=base["status"]))
                self.assertEqual(code, 200, body)
            self.addCleanup(ENV.ks.request, "DELETE", "/api/v1/nodes/" + name)
        ENV.ensure_namespace("e2e-filler")
        for node in occupy:
            pod = "filler-" + node.split(".")[0]
            ENV.post("/api/v1/namespaces/e2e-filler/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod},
                "spec": {"nodeName": node, "restartPolicy": "Never", "terminationGracePeriodSeconds": 0,
                         "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                                         "resources": {"requests": {"cpu": "10m"}}}]}})
            self.addCleanup(ENV.ks.request, "DELETE", "/api/v1/namespaces/e2e-filler/pods/" + pod)

    def test_cluster_three_runners_merge_exactly(self):
        ns = "e2e-cluster"
        self.add_runner_nodes("us-west-2a", ["ip-10-0-0-1.us-west-2a", "ip-10-0-0-2.us-west-2a"],
                              occupy=["ip-10-0-2-1.us-west-2b", "ip-10-0-3-1.us-west-2c"])
        before = ENV.server_sum(CLUSTER, "counter:*")
        ENV.bench(ns, "three", spec(CLUSTER, "cluster", runners=3,
                                    workload=workload(requests=30001, clients=7, tests=["incr", "set"])))
        b = ENV.wait_phase(ns, "three", ["Succeeded", "Failed"], 180)
        st = b["status"]
        self.assertEqual(st["phase"], "Succeeded", json.dumps(st, indent=1))
        incr = next(r for r in st["results"] if r["test"] == "INCR")
        self.assertEqual(incr["requests"], 30001)
        self.assertEqual(ENV.server_sum(CLUSTER, "counter:*") - before, incr["requests"] - incr["errors"])
        self.assertGreater(incr["rps"], 0)
        self.assertTrue(incr["p50Ms"] <= incr["p99Ms"] <= incr["maxMs"])
        self.assertRegex(st["rpsSummary"], r"^INCR=\S+ SET=\S+$")
        self.assertRegex(st["p50Summary"], r"^INCR=\d+\.\d{3} SET=\d+\.\d{3}$")
        # three runners, one per zone (zone a has three runner nodes, the emptiest),
        # none on a node running a Valkey pod
        zones = sorted(r.get("zone", "") for r in st["runners"])
        self.assertEqual(zones, ["us-west-2a", "us-west-2b", "us-west-2c"], st["runners"])
        valkey_nodes = {p["spec"]["nodeName"] for p in ENV.pods("valkey", "app.kubernetes.io/name=valkey")}
        self.assertFalse(valkey_nodes & {r["node"] for r in st["runners"]})
        # cluster mode extras
        self.assertEqual(len(st["keyCounts"]), 3, st.get("keyCounts"))
        self.assertTrue(all(k["node"].startswith("cluster-") for k in st["keyCounts"]), st["keyCounts"])
        self.assertEqual(st["clusterCheck"], {"slotsCovered": True, "nodesAgree": True,
                                              "message": "all 16384 slots covered, nodes agree"})
        self.assertEqual(cond(b, "Complete").get("status"), "True")
        self.assertEqual(cond(b, "Progressing").get("status"), "False")
        self.assertEqual(cond(b, "Failed").get("status"), "False")
        self.assertEqual(st["observedGeneration"], b["metadata"]["generation"])
        self.assert_gone(ns, "three")
        self.wait_events(ns, "three", {"RunnersCreated", "RunnersReleased", "BenchmarkSucceeded"})
        # printer columns
        out = ENV.ks.kubectl("get", "vkb", "-n", ns, "-o", "wide").stdout
        self.assertRegex(out, r"NAME\s+MODE\s+PHASE\s+RPS\s+AGE\s+P50-MS\s+CLIENTS\s+PIPELINE\s+DATASIZE\s+RUNNERS")
        self.assertRegex(out, r"three\s+cluster\s+Succeeded\s+INCR=\S+")
        # `valkey-bench results` and `compare`
        res = subprocess.run([VB_BIN, "results", "three", "-n", ns, "--csv", "--kubeconfig", ENV.ks.kubeconfig],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"^workload,mode,test,rps,p50_ms,clients,pipeline,datasize,timestamp\n"
                                     r"cluster,cluster,INCR,\d+,\d+\.\d{3},7,8,32,\d{8}-\d{6}\n")

    def test_pod_spec_and_keep_runner(self):
        ns = "e2e-keep"
        # all eleven tests: the results outgrow the 4096-byte termination message, so the
        # controller must follow the pointer into the pod log
        eleven = ["set", "get", "incr", "ping", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "mset"]
        ENV.bench(ns, "kept", spec(CLUSTER, "cluster", runners=2, keepRunner=True,
                                   workload=workload(tests=eleven, requests=80000),
                                   placement={"tolerations": [{"key": "bench", "operator": "Exists",
                                                               "effect": "NoSchedule"}]}))
        b = ENV.wait_phase(ns, "kept", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertEqual([r["test"] for r in b["status"]["results"]], [t.upper() for t in eleven])
        self.assertEqual(sum(r["requests"] for r in b["status"]["results"]), 11 * 80000)
        pods = self.runner_pods(ns, "kept")
        self.assertEqual(len(pods), 2)
        # 40000 requests of each of eleven tests per runner: about 5.1 KB of results, so the
        # termination message is a pointer and the controller read the results from the pod
        # log (a very regular latency distribution could still fit one runner's in 4096
        # bytes, not both).
        msgs = [json.loads(p["status"]["containerStatuses"][0]["state"]["terminated"]["message"]) for p in pods]
        self.assertTrue(all("log" in m or len(m["tests"]) == 11 for m in msgs), msgs)
        self.assertTrue(any("log" in m for m in msgs), msgs)
        for p in pods:
            s = p["spec"]
            c = s["containers"][0]
            self.assertEqual(p["metadata"]["annotations"]["karpenter.sh/do-not-disrupt"], "true")
            self.assertIn("valkeybench.io/start", p["metadata"]["annotations"])
            ref = p["metadata"]["ownerReferences"][0]
            self.assertEqual((ref["kind"], ref["name"], ref["controller"]), ("ValkeyBenchmark", "kept", True))
            self.assertEqual(s["restartPolicy"], "Never")
            self.assertEqual(s["nodeSelector"]["karpenter.sh/capacity-type"], "on-demand")
            self.assertEqual(s["nodeSelector"]["kubernetes.io/arch"], "arm64")
            self.assertEqual(s["topologySpreadConstraints"][0]["whenUnsatisfiable"], "DoNotSchedule")
            self.assertEqual(s["tolerations"][0]["key"], "bench")
            self.assertTrue(s["securityContext"]["runAsNonRoot"])
            self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
            self.assertEqual(c["securityContext"]["capabilities"]["drop"], ["ALL"])
            self.assertEqual(c["image"], "valkey-bench:e2e")
            self.assertEqual(p["status"]["phase"], "Succeeded")
        # The controller gave the runners a --sync-id and they met at every test's start
        # line (runner_sync.h): each logged the moment it started each of the eleven tests,
        # the two within a fraction of a second (it_runner.sh shows the spread without it).
        starts = {}
        for p in pods:
            code, log, _ = ENV.ks.request("GET", "/api/v1/namespaces/%s/pods/%s/log" % (ns, p["metadata"]["name"]))
            self.assertEqual(code, 200, log)
            text = log.decode() if isinstance(log, bytes) else str(log)
            for line in text.splitlines():
                if "every runner at the start line" in line:
                    fields = dict(f.split("=", 1) for f in line.split() if "=" in f and not f.startswith("msg="))
                    starts.setdefault(fields["test"], []).append(int(fields["unixNanos"]))
        self.assertEqual(sorted(starts), sorted(t.upper() for t in eleven), starts)
        for test, at in starts.items():
            self.assertEqual(len(at), 2, (test, at))
            self.assertLess(abs(at[0] - at[1]), 500e6, "%s started %.3f s apart" % (test, abs(at[0] - at[1]) / 1e9))
        ENV.ks.kubectl("delete", "vkb", "kept", "-n", ns, "--wait=false")
        self.assert_gone(ns, "kept")

    def test_replication_rerun_by_annotation_and_spec(self):
        ns = "e2e-repl"
        ENV.bench(ns, "repl", spec(REPL, "replication", workload=workload(tests=["set", "get"])))
        b = ENV.wait_phase(ns, "repl", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        run1 = b["status"]["runID"]
        ENV.patch_bench(ns, "repl", {"metadata": {"annotations": {"valkeybench.io/rerun": "1"}}})
        b = ENV.wait(lambda: (lambda x: x if x["status"].get("runID") != run1 and x["status"].get("phase") == "Succeeded"
                              else None)(ENV.get_bench(ns, "repl")), 120, "rerun by annotation")
        run2 = b["status"]["runID"]
        self.assertTrue(run2.startswith("g1-"), run2)
        ENV.patch_bench(ns, "repl", {"spec": {"workload": {"requests": 3000}}})
        b = ENV.wait(lambda: (lambda x: x if x["status"].get("observedGeneration") == 2 and
                              x["status"].get("phase") == "Succeeded" else None)(ENV.get_bench(ns, "repl")),
                     120, "rerun by spec change")
        self.assertNotIn(b["status"]["runID"], (run1, run2))
        self.assertEqual(b["status"]["results"][0]["requests"], 3000)
        self.assertNotIn("keyCounts", b["status"])

    def test_spec_change_mid_run_restarts_and_metadata_edits_do_not(self):
        ns = "e2e-midrun"
        ENV.bench(ns, "mid", spec(REPL, "replication", workload=workload(durationSeconds=300, requests=None)))
        ENV.wait(lambda: self.released_attempt(ns, "mid", 0), 60, "the 300 s run released")
        run1 = ENV.get_bench(ns, "mid")["status"]["runID"]
        # A new generation mid-run abandons the running one (its pods go at once, not after
        # their 300 s) and runs the new spec.
        ENV.patch_bench(ns, "mid", {"spec": {"workload": {"durationSeconds": None, "requests": 4000}}})
        ENV.wait(lambda: not [p for p in self.runner_pods(ns, "mid")
                              if p["metadata"]["labels"].get("valkeybench.io/run") == run1], 60,
                 "the abandoned run's pods deleted")
        b = ENV.wait(lambda: (lambda x: x if x["status"].get("observedGeneration") == 2 and
                              x["status"].get("phase") in ("Succeeded", "Failed") else None)(
            ENV.get_bench(ns, "mid")), 120, "generation 2 finished")
        st = b["status"]
        self.assertEqual(st["phase"], "Succeeded", json.dumps(st, indent=1))
        self.assertNotEqual(st["runID"], run1)
        self.assertEqual([r["requests"] for r in st["results"]], [4000])
        self.assert_gone(ns, "mid")
        # Labels and other annotations are not the spec: no new run, the results stay.
        ENV.patch_bench(ns, "mid", {"metadata": {"labels": {"team": "platform"},
                                                 "annotations": {"example.com/owner": "someone"}}})
        time.sleep(3)
        after = ENV.get_bench(ns, "mid")
        self.assertEqual(after["status"], st)
        self.assertEqual(self.runner_pods(ns, "mid"), [])

    def test_secret_missing_then_created(self):
        ns = "e2e-secret"
        ENV.bench(ns, "authed", spec(AUTHED, "standalone", auth={"secretName": "valkey-auth"}))
        b = ENV.wait(lambda: (lambda x: x if cond(x, "Progressing").get("reason") == "SecretNotFound" else None)(
            ENV.get_bench(ns, "authed")), 30, "SecretNotFound")
        self.assertEqual(b["status"]["phase"], "Pending")
        self.assertIn("valkey-auth", cond(b, "Progressing")["message"])
        self.assertEqual(self.runner_pods(ns, "authed"), [])
        ENV.secret(ns, "valkey-auth", {"password": PASSWORD})
        b = ENV.wait_phase(ns, "authed", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))

    def test_wrong_password_fails_clearly(self):
        ns = "e2e-wrongpw"
        ENV.secret(ns, "bad", {"password": "not-it"})
        ENV.bench(ns, "wrongpw", spec(AUTHED, "standalone", auth={"secretName": "bad"}))
        b = ENV.wait_phase(ns, "wrongpw", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Failed")
        self.assertEqual(cond(b, "Failed")["reason"], "AuthFailed")
        self.assertNotIn("not-it", json.dumps(b))
        self.assert_gone(ns, "wrongpw")

    def test_invalid_specs(self):
        ns = "e2e-invalid"
        # Refused at admission by the CRD's schema: a 422 naming the field; nothing stored.
        ENV.ensure_namespace(ns)
        code, body, _ = ENV.ks.request("POST", "/apis/valkeybench.io/v1alpha1/namespaces/%s/valkeybenchmarks" % ns, {
            "apiVersion": "valkeybench.io/v1alpha1", "kind": "ValkeyBenchmark", "metadata": {"name": "zero-pipe"},
            "spec": spec(REPL, "replication", workload=workload(pipeline=0))})
        self.assertEqual(code, 422, body)
        self.assertIn("spec.workload.pipeline", json.dumps(body))
        self.assertIsNone(ENV.get_bench(ns, "zero-pipe"))
        # Valid for the schema, not for the controller (fewer clients than runners):
        # Failed/InvalidSpec naming both fields, once, and no runner pod ever made.
        ENV.bench(ns, "few-clients", spec(REPL, "replication", runners=3, workload=workload(clients=2)))
        b = ENV.wait_phase(ns, "few-clients", ["Succeeded", "Failed"], 60)
        c = cond(b, "Failed")
        self.assertEqual((c.get("status"), c.get("reason")), ("True", "InvalidSpec"), json.dumps(b["status"]))
        self.assertIn("spec.workload.clients (2) must be at least spec.runners (3)", c["message"])
        self.assertEqual(b["status"]["observedGeneration"], b["metadata"]["generation"])
        self.assertEqual(cond(b, "Progressing").get("status"), "False", json.dumps(b["status"]))
        time.sleep(2)
        self.assertEqual(self.runner_pods(ns, "few-clients"), [])
        self.assertEqual(ENV.get_bench(ns, "few-clients")["status"], b["status"], "status rewritten")
        # Fixing the spec starts a run that succeeds.
        ENV.patch_bench(ns, "few-clients", {"spec": {"workload": {"clients": 3}}})
        b = ENV.wait(lambda: (lambda x: x if x["status"].get("phase") in ("Succeeded",) and
                              x["status"].get("observedGeneration") == x["metadata"]["generation"] else None)(
            ENV.get_bench(ns, "few-clients")), 120, "few-clients Succeeded after the fix")
        self.assertEqual(cond(b, "Failed").get("status"), "False", json.dumps(b["status"]))

    def test_unreachable_target(self):
        ns = "e2e-unreach"
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ENV.bench(ns, "nowhere", {"target": {"mode": "standalone", "host": "127.0.0.1", "port": port},
                                  "workload": workload()})
        b = ENV.wait_phase(ns, "nowhere", ["Succeeded", "Failed"], 120)
        self.assertEqual(cond(b, "Failed")["reason"], "TargetUnreachable", json.dumps(b["status"], indent=1))
        self.assertIn("cannot connect to 127.0.0.1:%d" % port, cond(b, "Failed")["message"])
        self.assert_gone(ns, "nowhere")

    def test_unschedulable_times_out_with_scheduler_message(self):
        ns = "e2e-unsched"
        ENV.bench(ns, "nofit", spec(CLUSTER, "cluster", schedulingTimeoutSeconds=3,
                                    placement={"instanceTypes": ["m7i.48xlarge"]}))
        b = ENV.wait_phase(ns, "nofit", ["Succeeded", "Failed"], 60)
        self.assertEqual(cond(b, "Failed")["reason"], "Unschedulable", json.dumps(b["status"], indent=1))
        self.assertRegex(cond(b, "Failed")["message"], r"0/\d+ nodes are available")
        self.assert_gone(ns, "nofit")

    def test_runner_deleted_mid_run_is_retried(self):
        ns = "e2e-retry"
        ENV.bench(ns, "retry", spec(CLUSTER, "cluster", runners=2, maxRunnerRetries=1,
                                    workload=workload(durationSeconds=4, requests=None)))
        ENV.wait(lambda: [p for p in self.runner_pods(ns, "retry")
                          if "valkeybench.io/start" in p["metadata"].get("annotations", {})], 60, "release")
        victim = self.runner_pods(ns, "retry")[0]["metadata"]["name"]
        ENV.ks.kubectl("delete", "pod", victim, "-n", ns, "--wait=false")
        b = ENV.wait_phase(ns, "retry", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertTrue(all("-r1-" in r["pod"] for r in b["status"]["runners"]), b["status"]["runners"])
        # RunnerDeleted when a reconcile saw the pod terminating, RunnerLost when it was
        # already gone by then: both say what happened, and the retry is what matters.
        reasons = {e["reason"] for e in ENV.events(ns, "retry")}
        self.assertTrue(reasons & {"RunnerDeleted", "RunnerLost"}, reasons)

    def test_runner_evicted_each_attempt_fails_after_retries(self):
        # The kubelet evicts a released runner for node pressure in every attempt: one retry
        # (maxRunnerRetries 1, new pods), evicted again, Failed with the kubelet's words.
        ns = "e2e-evict"
        ENV.bench(ns, "pressed", spec(CLUSTER, "cluster", runners=2, maxRunnerRetries=1,
                                      workload=workload(durationSeconds=120, requests=None)))
        evicted = []
        for attempt in (0, 1):
            pods = ENV.wait(lambda: self.released_attempt(ns, "pressed", attempt), 90,
                            "attempt %d released" % attempt)
            victim = sorted(p["metadata"]["name"] for p in pods)[attempt]
            code, body, _ = ENV.ks.admin("evict-pod", {"namespace": ns, "name": victim})
            self.assertEqual(code, 200, body)
            evicted.append((victim, body["message"].strip()))
        self.assertIn("-r1-", evicted[1][0])
        b = ENV.wait_phase(ns, "pressed", ["Succeeded", "Failed"], 120)
        st = b["status"]
        self.assertEqual(st["phase"], "Failed", json.dumps(st, indent=1))
        failed = cond(b, "Failed")
        self.assertEqual((failed["status"], failed["reason"]), ("True", "RunnerEvicted"), failed)
        victim, kubelet_msg = evicted[1]
        self.assertIn("runner %s failed (no retries left)" % victim, failed["message"])
        self.assertIn(kubelet_msg, failed["message"])
        self.assertTrue(kubelet_msg.startswith("The node was low on resource: memory."), kubelet_msg)
        self.assertEqual(cond(b, "Complete").get("status"), "False")
        self.assertTrue(all("-r1-" in r["pod"] for r in st["runners"]), st["runners"])
        self.assertIn("completionTime", st)
        self.assertNotIn("results", st)
        ENV.wait(lambda: len([e for e in ENV.events(ns, "pressed") if e["reason"] == "RunnerEvicted"]) == 2,
                 30, "both RunnerEvicted events")
        evs = ENV.events(ns, "pressed")
        warn = sorted(e["message"] for e in evs if e["type"] == "Warning" and e["reason"] == "RunnerEvicted")
        self.assertEqual(len(warn), 2, evs)
        self.assertTrue(any("runner %s failed, retrying the run" % evicted[0][0] in m and evicted[0][1] in m
                            for m in warn), warn)
        self.assertTrue(any("no retries left" in m and victim in m for m in warn), warn)
        # pods for attempt 0 and the one retry, none for a third attempt
        created = [e["message"] for e in evs if e["reason"] == "RunnersCreated"]
        self.assertEqual(sorted({m.rsplit(" attempt ", 1)[-1] for m in created}), ["0", "1"], created)
        self.assert_gone(ns, "pressed")

    def test_runner_evicted_by_eviction_api_is_retried(self):
        # A drain (the Eviction API) takes a released runner: the attempt is retried on new
        # pods and the run succeeds.
        ns = "e2e-evict-api"
        ENV.bench(ns, "drained", spec(CLUSTER, "cluster", runners=2, maxRunnerRetries=1,
                                      workload=workload(durationSeconds=5, requests=None)))
        pods = ENV.wait(lambda: self.released_attempt(ns, "drained", 0), 90, "attempt 0 released")
        victim = pods[0]["metadata"]["name"]
        code, body, _ = ENV.ks.request("POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (ns, victim),
                                       {"apiVersion": "policy/v1", "kind": "Eviction",
                                        "metadata": {"name": victim, "namespace": ns}})
        self.assertEqual((code, body.get("status")), (201, "Success"), body)
        b = ENV.wait_phase(ns, "drained", ["Succeeded", "Failed"], 120)
        st = b["status"]
        self.assertEqual(st["phase"], "Succeeded", json.dumps(st, indent=1))
        self.assertEqual(sorted(r["pod"] for r in st["runners"]), ["drained-g1-r1-0", "drained-g1-r1-1"])
        self.assertGreater(st["results"][0]["requests"], 0)
        # RunnerEvicted when a reconcile saw the evicted pod, RunnerLost when it was gone by then
        reasons = {e["reason"] for e in ENV.events(ns, "drained") if e["type"] == "Warning"}
        self.assertTrue(reasons & {"RunnerEvicted", "RunnerLost"}, reasons)
        self.assertNotIn("BenchmarkFailed", reasons)
        self.assert_gone(ns, "drained")

    def test_stale_benchmark_cache_changes_nothing(self):
        # The operator's benchmark cache runs 1 s behind its pod cache, as a slow watch
        # would make it: status writes conflict and reconciles see a Running status after
        # the Succeeded one was written and the pods deleted. The run must still happen
        # exactly once: no retry, no second set of pods, no extra load, one start and end.
        ns = "e2e-stale"
        ENV.ks.admin("watch-lag", {"resource": "valkeybenchmarks", "seconds": 1.0})
        self.addCleanup(ENV.ks.admin, "watch-lag", {"resource": "valkeybenchmarks", "seconds": 0})
        before = ENV.server_sum(CLUSTER, "counter:*")
        ENV.bench(ns, "lagged", spec(CLUSTER, "cluster", runners=2, workload=workload(requests=20000)))
        b = ENV.wait_phase(ns, "lagged", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertEqual(sorted(r["pod"] for r in b["status"]["runners"]), ["lagged-g1-0", "lagged-g1-1"])
        incr = b["status"]["results"][0]
        self.assertEqual(ENV.server_sum(CLUSTER, "counter:*") - before, incr["requests"] - incr["errors"])
        self.assert_gone(ns, "lagged")
        time.sleep(3)   # what a stale reconcile would do, it does within the lag
        b = ENV.get_bench(ns, "lagged")
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertEqual(self.runner_pods(ns, "lagged"), [])
        evs = self.wait_events(ns, "lagged", {"RunStarted", "RunnersCreated", "BenchmarkSucceeded"})
        counts = {}
        for e in evs:
            counts[e["reason"]] = counts.get(e["reason"], 0) + e.get("count", 1)
        self.assertEqual(counts.get("RunStarted"), 1, evs)
        self.assertEqual(counts.get("RunnersCreated"), 1, evs)
        self.assertEqual(counts.get("BenchmarkSucceeded"), 1, evs)
        self.assertEqual([e["reason"] for e in evs if e["type"] == "Warning"], [])
        self.assertEqual(ENV.server_sum(CLUSTER, "counter:*") - before, incr["requests"] - incr["errors"])

    def test_benchmark_deleted_mid_run(self):
        ns = "e2e-delete"
        ENV.bench(ns, "doomed", spec(CLUSTER, "cluster", runners=2, workload=workload(durationSeconds=30, requests=None)))
        ENV.wait(lambda: (ENV.get_bench(ns, "doomed").get("status") or {}).get("phase") == "Running", 60, "Running")
        ENV.ks.kubectl("delete", "vkb", "doomed", "-n", ns, "--wait=false")
        self.assert_gone(ns, "doomed")

    def test_controller_restart_mid_run(self):
        ns = "e2e-restart"
        ENV.bench(ns, "survivor", spec(CLUSTER, "cluster", runners=2, workload=workload(durationSeconds=4, requests=None)))
        ENV.wait(lambda: (ENV.get_bench(ns, "survivor").get("status") or {}).get("phase") == "Running", 60, "Running")
        names = sorted(p["metadata"]["name"] for p in self.runner_pods(ns, "survivor"))
        ENV.stop_operator(signal.SIGKILL)
        time.sleep(1)
        ENV.start_operator()
        b = ENV.wait_phase(ns, "survivor", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertEqual(sorted(r["pod"] for r in b["status"]["runners"]), names)
        self.wait_events(ns, "survivor", {"BenchmarkSucceeded"})
        time.sleep(2)   # a second announcement would come within this
        succeeded = [e for e in ENV.events(ns, "survivor") if e["reason"] == "BenchmarkSucceeded"]
        self.assertEqual(len(succeeded), 1)
        self.assertEqual(sum(e.get("count", 1) for e in succeeded), 1)
        self.assert_gone(ns, "survivor")

    def test_waits_for_topology_check(self):
        # The real ValkeyTopologyCheck controller: FAIL (2 replicas required, 1 present),
        # the benchmark waits; the requirement relaxed, the check passes, the benchmark runs.
        ns = "valkey"
        path = "/apis/valkeybench.io/v1alpha1/namespaces/%s/valkeytopologychecks" % ns
        ENV.post(path, {"apiVersion": "valkeybench.io/v1alpha1", "kind": "ValkeyTopologyCheck",
                        "metadata": {"name": "gate"},
                        "spec": {"target": {"mode": "cluster", "host": CLUSTER["host"], "port": CLUSTER["port"]},
                                 "podSelector": {"matchLabels": {"topology": "cluster"}},
                                 "requirements": {"minReplicasPerPrimary": 2}, "intervalSeconds": 0}})
        vtc = ENV.wait(lambda: (lambda x: x if (x.get("status") or {}).get("result") else None)(
            ENV.get(path + "/gate")), 60, "a first topology result")
        self.assertEqual(vtc["status"]["result"], "FAIL", json.dumps(vtc["status"], indent=1))
        self.assertIn("replica", vtc["status"]["firstFailure"])
        ENV.bench(ns, "gated", spec(CLUSTER, "cluster", requireTopologyCheck="gate"))
        b = ENV.wait(lambda: (lambda x: x if cond(x, "TopologyReady").get("reason") == "TopologyCheckFailed" else None)(
            ENV.get_bench(ns, "gated")), 30, "TopologyCheckFailed")
        self.assertEqual(b["status"]["phase"], "Pending")
        self.assertEqual(self.runner_pods(ns, "gated"), [])
        code, body, _ = ENV.ks.request("PATCH", path + "/gate", {"spec": {"requirements": {"minReplicasPerPrimary": 1}}},
                                       ctype="application/merge-patch+json")
        self.assertEqual(code, 200, body)
        vtc = ENV.wait(lambda: (lambda x: x if x["status"].get("observedGeneration") == 2 else None)(
            ENV.get(path + "/gate")), 60, "the re-check of generation 2")
        st = vtc["status"]
        self.assertEqual(st["result"], "PASS", json.dumps(st, indent=1))
        self.assertEqual(st["crossZonePairs"], "3/3")
        self.assertEqual(st["primaries"], 3)
        self.assertEqual(st["clusterInfo"]["state"], "ok")
        self.assertEqual(st["clusterInfo"]["slotsOk"], 16384)
        self.assertEqual({p["pod"] for p in st["topology"]}, {"cluster-0", "cluster-1", "cluster-2"})
        self.assertTrue(all(r["crossZone"] for p in st["topology"] for r in p["replicas"]))
        self.assertEqual(cond(vtc, "Passed").get("status"), "True")
        self.assertEqual(cond(vtc, "Degraded").get("status"), "False")
        self.wait_events(ns, "gate", {"TopologyCheckFailed", "TopologyCheckPassed"})
        b = ENV.wait_phase(ns, "gated", ["Succeeded", "Failed"], 120)
        self.assertEqual(b["status"]["phase"], "Succeeded", json.dumps(b["status"], indent=1))
        self.assertEqual(cond(b, "TopologyReady")["status"], "True")
        out = ENV.ks.kubectl("get", "vtc", "-n", ns, "-o", "wide").stdout
        self.assertRegex(out, r"gate\s+PASS\s+ok\s+16384\s+3\s+3/3")

if __name__ == "__main__":
    unittest.main()
