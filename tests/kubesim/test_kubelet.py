"""The kubelet step: real local processes, statuses shaped like 12-pods (Pending/ContainerCreating
-> Running -> Succeeded/Failed), env resolution, path remapping, volumes, termination messages,
restarts, and that no process survives kill() or stop(). Waits are bounded by a generous deadline
only to fail instead of hanging; no test depends on how fast the machine is."""
import base64
import copy
import json
import os
import shutil
import tempfile
import threading
import time
import unittest

from kubesim.kubelet import Kubelet

HERE = os.path.dirname(os.path.abspath(__file__))
DEADLINE = 60.0


class FakeApi:
    def __init__(self):
        self.objs = {}
        self.history = {}
        self.events = []
        self.cond = threading.Condition()

    def put(self, plural, obj):
        md = obj["metadata"]
        with self.cond:
            self.objs[(plural, md.get("namespace", ""), md["name"])] = copy.deepcopy(obj)
            self.cond.notify_all()

    def get(self, plural, namespace, name):
        with self.cond:
            o = self.objs.get((plural, namespace, name))
            return copy.deepcopy(o)

    def update_pod_status(self, namespace, name, status):
        with self.cond:
            cur = self.objs.get(("pods", namespace, name))
            if cur is None or cur.get("status") == status:
                return
            cur["status"] = copy.deepcopy(status)
            self.history.setdefault(name, []).append(copy.deepcopy(status))
            self.cond.notify_all()

    def event(self, pod, type_, reason, message):
        with self.cond:
            self.events.append((pod["metadata"]["name"], type_, reason, message))

    def wait(self, name, pred, what=""):
        end = time.monotonic() + DEADLINE
        with self.cond:
            while True:
                pod = self.objs.get(("pods", "default", name))
                if pod is not None and pred(pod.get("status") or {}):
                    return copy.deepcopy(pod)
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for %s %s; status %s" % (
                        name, what, json.dumps((pod or {}).get("status"), indent=1)))
                self.cond.wait(left)


def make_pod(name, command=None, args=None, policy="Never", env=None, **extra):
    c = {"name": "c", "image": "valkey/valkey:7.2.5", "terminationMessagePath":
         "/dev/termination-log", "terminationMessagePolicy": "File"}
    if command is not None:
        c["command"] = command
    if args is not None:
        c["args"] = args
    if env is not None:
        c["env"] = env
    c.update(extra.pop("container", {}))
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "default", "uid": "uid-" + name,
                        "labels": {"app": "bench"}, "annotations": {}},
           "spec": dict({"containers": [c], "restartPolicy": policy,
                         "nodeName": "ip-10-0-1-1.us-west-2a",
                         "serviceAccountName": "default"}, **extra),
           "status": {"phase": "Pending", "conditions": [
               {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                "lastTransitionTime": "2026-11-25T00:36:11Z"}], "qosClass": "BestEffort"}}
    return pod


def phase_is(*phases):
    return lambda st: st.get("phase") in phases


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def proc_dead(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


class KubeletTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kubesim-kubelet-")
        self.api = FakeApi()
        self.kubelet = Kubelet(self.api, self.dir)

    def tearDown(self):
        self.kubelet.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_pod(self, pod):
        self.api.put("pods", pod)
        self.kubelet.sync(self.api.get("pods", "default", pod["metadata"]["name"]))

    def test_lifecycle_like_12_pods(self):
        script = ("echo connecting to $VALKEY_HOST; echo 'SET: 152340.50 requests per second'; "
                  "printf 'SET=152340.50 GET=201877.00' > /dev/termination-log")
        self.run_pod(make_pod("valkey-bench", ["sh", "-c"], [script],
                              env=[{"name": "VALKEY_HOST", "value": "valkey-0"}]))
        done = self.api.wait("valkey-bench", phase_is("Succeeded"))
        st = done["status"]
        with open(os.path.join(HERE, "fixtures", "12-pods-04.json")) as f:
            ref = json.load(f)["body"]["status"]
        self.assertEqual(list(st), list(ref))
        self.assertEqual([(c["type"], c["status"], c.get("reason")) for c in st["conditions"]],
                         [(c["type"], c["status"], c.get("reason")) for c in ref["conditions"]])
        cs, rcs = st["containerStatuses"][0], ref["containerStatuses"][0]
        self.assertEqual(list(cs), list(rcs))
        term = cs["state"]["terminated"]
        self.assertEqual(list(term), list(rcs["state"]["terminated"]))
        self.assertEqual((term["exitCode"], term["reason"], term["message"]),
                         (0, "Completed", "SET=152340.50 GET=201877.00"))
        self.assertEqual((cs["ready"], cs["started"], cs["restartCount"]), (False, False, 0))
        self.assertEqual(st["podIPs"], [{"ip": st["podIP"]}])
        self.assertEqual(st["qosClass"], "BestEffort")
        hist = self.api.history["valkey-bench"]
        first = hist[0]
        self.assertEqual(first["phase"], "Pending")
        self.assertEqual(first["containerStatuses"][0]["state"],
                         {"waiting": {"reason": "ContainerCreating"}})
        self.assertEqual(first["conditions"][1]["message"], "containers with unready status: [c]")
        self.assertNotIn("podIP", first)
        running = [h for h in hist if h["phase"] == "Running"]
        self.assertTrue(running)
        self.assertEqual([c["status"] for c in running[0]["conditions"]],
                         ["True", "True", "True", "True"])
        self.assertEqual(self.kubelet.logs("default", "valkey-bench"),
                         "connecting to valkey-0\nSET: 152340.50 requests per second\n")
        self.assertEqual(self.kubelet.logs("default", "valkey-bench", "c"),
                         self.kubelet.logs("default", "valkey-bench"))
        self.assertIsNone(self.kubelet.logs("default", "valkey-bench", "nope"))
        self.assertIsNone(self.kubelet.logs("default", "other"))

    def test_termination_path_env_and_failure_fallback(self):
        self.run_pod(make_pod("tp", ["sh", "-c", "echo hi > $TERMINATION_PATH"]))
        st = self.api.wait("tp", phase_is("Succeeded"))["status"]
        self.assertEqual(st["containerStatuses"][0]["state"]["terminated"]["message"], "hi\n")
        self.run_pod(make_pod("fb", ["sh", "-c", "i=0; while [ $i -lt 100 ]; do i=$((i+1)); "
                                     "echo line$i; done; exit 3"],
                              container={"terminationMessagePolicy": "FallbackToLogsOnError"}))
        st = self.api.wait("fb", phase_is("Failed"))["status"]
        term = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (3, "Error"))
        self.assertEqual(term["message"], "".join("line%d\n" % i for i in range(21, 101)))
        self.assertEqual([c.get("reason") for c in st["conditions"][:3]],
                         [None, "PodFailed", "PodFailed"])
        self.run_pod(make_pod("nofb", ["sh", "-c", "echo out; exit 2"]))
        st = self.api.wait("nofb", phase_is("Failed"))["status"]
        self.assertNotIn("message", st["containerStatuses"][0]["state"]["terminated"])

    def test_message_capped_and_fallback_bytes(self):
        self.run_pod(make_pod("big", ["sh", "-c", "i=0; while [ $i -lt 5000 ]; do "
                                      "printf x; i=$((i+1)); done > /dev/termination-log"]))
        st = self.api.wait("big", phase_is("Succeeded"))["status"]
        self.assertEqual(st["containerStatuses"][0]["state"]["terminated"]["message"],
                         "x" * 4096)
        long_line = "y" * 100
        self.run_pod(make_pod("bigfb", ["sh", "-c", "i=0; while [ $i -lt 50 ]; do "
                                        "echo %s; i=$((i+1)); done; exit 1" % long_line],
                              container={"terminationMessagePolicy": "FallbackToLogsOnError"}))
        st = self.api.wait("bigfb", phase_is("Failed"))["status"]
        msg = st["containerStatuses"][0]["state"]["terminated"]["message"]
        self.assertEqual(len(msg), 2048)
        self.assertTrue(msg.endswith(long_line + "\n"))

    def test_secret_env_config_error_then_recovery(self):
        env = [{"name": "PW", "valueFrom": {"secretKeyRef": {"name": "valkey-auth",
                                                             "key": "password"}}},
               {"name": "REF", "value": "pw=$(PW) $$(PW)"}]
        self.run_pod(make_pod("sec", ["sh", "-c", 'echo "$REF"'], env=env))
        st = self.api.wait("sec", lambda s: s.get("containerStatuses") and "CreateContainer" in
                           json.dumps(s["containerStatuses"][0]["state"]))["status"]
        self.assertEqual(st["phase"], "Pending")
        self.assertEqual(st["containerStatuses"][0]["state"], {"waiting": {
            "reason": "CreateContainerConfigError",
            "message": 'secret "valkey-auth" not found'}})
        self.api.put("secrets", {"metadata": {"name": "valkey-auth", "namespace": "default"},
                                 "data": {"other": ""}})
        self.api.wait("sec", lambda s: "couldn't find key" in json.dumps(s))
        st = self.api.get("pods", "default", "sec")["status"]
        self.assertEqual(st["containerStatuses"][0]["state"]["waiting"]["message"],
                         "couldn't find key password in Secret default/valkey-auth")
        self.api.put("secrets", {"metadata": {"name": "valkey-auth", "namespace": "default"},
                                 "data": {"password": base64.b64encode(b"s3cret").decode()}})
        self.api.wait("sec", phase_is("Succeeded"))
        self.assertEqual(self.kubelet.logs("default", "sec"), "pw=s3cret $(PW)\n")

    def test_field_refs_configmap_and_optional(self):
        self.api.put("configmaps", {"metadata": {"name": "cfg", "namespace": "default"},
                                    "data": {"mode": "cluster"}})
        env = [{"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
               {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
               {"name": "APP", "valueFrom": {"fieldRef": {
                   "fieldPath": "metadata.labels['app']"}}},
               {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
               {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
               {"name": "SA", "valueFrom": {"fieldRef": {
                   "fieldPath": "spec.serviceAccountName"}}},
               {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg",
                                                                  "key": "mode"}}},
               {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "none", "key": "k",
                                                              "optional": True}}},
               {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]
        self.run_pod(make_pod("env", ["sh", "-c", 'echo "$NAME $NS $APP $IP $NODE $SA $MODE '
                                      '${OPT-unset} $CPU"'], env=env,
                              container={"resources": {"limits": {"cpu": "1500m"}}}))
        st = self.api.wait("env", phase_is("Succeeded"))["status"]
        self.assertEqual(self.kubelet.logs("default", "env"),
                         "env default bench %s ip-10-0-1-1.us-west-2a default cluster unset 2\n"
                         % st["podIP"])

    def test_volumes_and_path_remapping(self):
        self.api.put("secrets", {"metadata": {"name": "valkey-auth", "namespace": "default"},
                                 "data": {"password": base64.b64encode(b"pw1").decode()}})
        vols = [{"name": "data", "emptyDir": {}},
                {"name": "auth", "secret": {"secretName": "valkey-auth"}},
                {"name": "info", "downwardAPI": {"items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}}]
        mounts = [{"name": "data", "mountPath": "/data"},
                  {"name": "auth", "mountPath": "/etc/auth", "readOnly": True},
                  {"name": "info", "mountPath": "/etc/podinfo"}]
        script = ("echo hello > /data/x; cat /data/x; cat /etc/auth/password; echo; "
                  "cat /etc/podinfo/labels; echo; cat $(NAMEFILE); echo; echo $DATADIR")
        self.run_pod(make_pod("vol", ["sh", "-c", script], volumes=vols,
                              env=[{"name": "NAMEFILE", "value": "/etc/podinfo/name"},
                                   {"name": "DATADIR", "value": "/database"}],
                              container={"volumeMounts": mounts}))
        self.api.wait("vol", phase_is("Succeeded"))
        self.assertEqual(self.kubelet.logs("default", "vol"),
                         'hello\npw1\napp="bench"\nvol\n/database\n')

    def test_downward_api_follows_annotation_changes(self):
        vols = [{"name": "info", "downwardAPI": {"items": [
            {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}}]
        script = ("while ! grep -q 'go=\"yes\"' /etc/podinfo/annotations; do sleep 0.1; done; "
                  "cat /etc/podinfo/annotations")
        pod = make_pod("dw", ["sh", "-c", script], volumes=vols,
                       container={"volumeMounts": [{"name": "info",
                                                    "mountPath": "/etc/podinfo"}]})
        self.run_pod(pod)
        self.api.wait("dw", phase_is("Running"))
        cur = self.api.get("pods", "default", "dw")
        cur["metadata"]["annotations"]["go"] = "yes"
        self.api.put("pods", cur)
        self.kubelet.sync(cur)
        self.api.wait("dw", phase_is("Succeeded"))
        self.assertEqual(self.kubelet.logs("default", "dw"), 'go="yes"')

    def test_kill_leaves_no_process(self):
        pidfile = os.path.join(self.dir, "pids")
        self.run_pod(make_pod("sleeper", ["sh", "-c", "sleep 600 & echo $! > %s; echo $$$$ >> %s;"
                                          " wait" % (pidfile, pidfile)], policy="Always"))
        self.api.wait("sleeper", phase_is("Running"))
        end = time.monotonic() + DEADLINE
        while len(read(pidfile).split()) != 2:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        pids = [int(p) for p in read(pidfile).split()]
        self.kubelet.kill("default", "sleeper", 30)
        for pid in pids:
            self.assertTrue(proc_dead(pid), pid)
        st = self.api.get("pods", "default", "sleeper")["status"]
        term = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (143, "Error"))
        self.assertEqual(st["phase"], "Failed")
        self.assertEqual(st["containerStatuses"][0]["restartCount"], 0)

    def test_kill_escalates_to_sigkill(self):
        self.run_pod(make_pod("stubborn", ["sh", "-c", "trap '' TERM; echo ready; "
                                           "while :; do sleep 0.1; done"]))
        self.api.wait("stubborn", phase_is("Running"))
        end = time.monotonic() + DEADLINE
        while self.kubelet.logs("default", "stubborn") != "ready\n":
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        self.kubelet.kill("default", "stubborn", 0.5)
        term = self.api.get("pods", "default", "stubborn")["status"][
            "containerStatuses"][0]["state"]["terminated"]
        self.assertEqual(term["exitCode"], 137)

    def test_stop_kills_everything(self):
        pids = []
        for i in range(2):
            pidfile = os.path.join(self.dir, "pid%d" % i)
            self.run_pod(make_pod("s%d" % i, ["sh", "-c", "sleep 600 & echo $! > %s; wait"
                                              % pidfile]))
            self.api.wait("s%d" % i, phase_is("Running"))
            end = time.monotonic() + DEADLINE
            while not read(pidfile).strip():
                self.assertLess(time.monotonic(), end)
                time.sleep(0.05)
            pids.append(int(read(pidfile)))
        self.kubelet.stop()
        for pid in pids:
            self.assertTrue(proc_dead(pid), pid)

    def test_evict_node_pressure(self):
        msg = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: "
               "81920Ki. Container c was using 1048576Ki, request is 0, has larger consumption "
               "of memory. ")
        pidfile = os.path.join(self.dir, "evict-pids")
        # ignores SIGTERM and restarts Always: neither may save it from an eviction
        self.run_pod(make_pod("victim", ["sh", "-c", "trap '' TERM; sleep 600 & echo $! > %s; "
                                         "echo $$$$ >> %s; echo started; wait" % (pidfile, pidfile)],
                              policy="Always"))
        self.api.wait("victim", phase_is("Running"))
        end = time.monotonic() + DEADLINE
        while len(read(pidfile).split()) != 2:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.05)
        self.assertTrue(self.kubelet.evict("default", "victim", msg))
        for pid in [int(p) for p in read(pidfile).split()]:
            self.assertTrue(proc_dead(pid), pid)
        pod = self.api.wait("victim", lambda st: "terminated" in json.dumps(
            st.get("containerStatuses")), "container terminated")
        st = pod["status"]
        self.assertEqual((st["phase"], st["reason"], st["message"]), ("Failed", "Evicted", msg))
        self.assertEqual(list(st)[:4], ["phase", "conditions", "message", "reason"])
        dt = st["conditions"][0]
        self.assertEqual((dt["type"], dt["status"], dt["reason"], dt["message"]),
                         ("DisruptionTarget", "True", "TerminationByKubelet", msg))
        ready = [c for c in st["conditions"] if c["type"] == "Ready"][0]
        self.assertEqual((ready["status"], ready["reason"]), ("False", "PodFailed"))
        cs = st["containerStatuses"][0]
        self.assertEqual((cs["state"]["terminated"]["exitCode"], cs["state"]["terminated"]["reason"]),
                         (137, "Error"))
        self.assertEqual((cs["restartCount"], cs["ready"]), (0, False))
        self.assertEqual(self.api.events, [("victim", "Warning", "Evicted", msg)])
        # the pod object stays: later syncs neither restart it nor evict it twice
        self.kubelet.sync(self.api.get("pods", "default", "victim"))
        self.assertFalse(self.kubelet.evict("default", "victim", msg))
        time.sleep(0.3)
        self.assertEqual(self.api.get("pods", "default", "victim")["status"], st)
        self.assertEqual(self.kubelet.logs("default", "victim"), "started\n")
        # deleting it afterwards keeps what the eviction said
        self.kubelet.kill("default", "victim", 30)
        st = self.api.get("pods", "default", "victim")["status"]
        self.assertEqual((st["phase"], st["reason"]), ("Failed", "Evicted"))
        self.assertEqual([c["type"] for c in st["conditions"]].count("DisruptionTarget"), 1)

    def test_evict_idle_finished_and_unknown(self):
        self.run_pod(make_pod("idle-victim", None))
        self.api.wait("idle-victim", phase_is("Running"))
        self.assertTrue(self.kubelet.evict("default", "idle-victim", "low"))
        st = self.api.wait("idle-victim", phase_is("Failed"))["status"]
        term = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"], st["reason"]), (137, "Error", "Evicted"))
        self.run_pod(make_pod("done", ["true"]))
        self.api.wait("done", phase_is("Succeeded"))
        self.assertFalse(self.kubelet.evict("default", "done", "low"))
        self.assertEqual(self.api.get("pods", "default", "done")["status"]["phase"], "Succeeded")
        self.assertFalse(self.kubelet.evict("default", "not-here", "low"))
        self.assertEqual([e[0] for e in self.api.events], ["idle-victim"])

    def test_simulated_and_idle(self):
        pod = make_pod("valkey-sim", None)
        pod["metadata"]["annotations"] = {"kubesim.io/simulated": "true",
                                          "kubesim.io/pod-ip": "10.0.11.5"}
        self.run_pod(pod)
        st = self.api.wait("valkey-sim", phase_is("Running"))["status"]
        self.assertEqual((st["podIP"], st["podIPs"]), ("10.0.11.5", [{"ip": "10.0.11.5"}]))
        self.assertTrue(st["containerStatuses"][0]["ready"])
        self.kubelet.kill("default", "valkey-sim", 30)
        self.run_pod(make_pod("idle", None))
        st = self.api.wait("idle", phase_is("Running"))["status"]
        self.assertEqual(st["podIP"], "127.0.0.1")
        self.assertEqual(self.kubelet.logs("default", "idle"), "")

    def test_restart_on_failure_and_crash_loop(self):
        self.run_pod(make_pod("flaky", ["sh", "-c", "if [ -f marker ]; then echo second; "
                                        "exit 0; fi; touch marker; exit 1"],
                              policy="OnFailure"))
        st = self.api.wait("flaky", phase_is("Succeeded"))["status"]
        cs = st["containerStatuses"][0]
        self.assertEqual(cs["restartCount"], 1)
        self.assertEqual(cs["lastState"]["terminated"]["exitCode"], 1)
        self.assertEqual(self.kubelet.logs("default", "flaky"), "second\n")
        self.run_pod(make_pod("crash", ["sh", "-c", "exit 1"], policy="Always"))
        st = self.api.wait("crash", lambda s: "CrashLoopBackOff" in json.dumps(s))["status"]
        cs = st["containerStatuses"][0]
        self.assertEqual(st["phase"], "Running")
        self.assertEqual(cs["state"]["waiting"]["message"],
                         "back-off 10s restarting failed container=c pod=crash_default"
                         "(uid-crash)")
        self.assertEqual(cs["restartCount"], 1)
        self.assertEqual(cs["lastState"]["terminated"]["exitCode"], 1)

    def test_start_error(self):
        self.run_pod(make_pod("noexec", ["/nonexistent/definitely-not-here-kubesim"]))
        st = self.api.wait("noexec", phase_is("Failed"))["status"]
        term = st["containerStatuses"][0]["state"]["terminated"]
        self.assertEqual((term["exitCode"], term["reason"]), (128, "StartError"))
        self.assertIn('exec: "/nonexistent/definitely-not-here-kubesim": executable file not '
                      'found in $PATH', term["message"])


if __name__ == "__main__":
    unittest.main()
