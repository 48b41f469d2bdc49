"""Scheduler step and kubelet step: binds pending Pods with sem's scheduler.schedule(), drives
bound Pods with sem's Kubelet, finishes graceful deletion once the process is gone, and evicts
pods for node pressure on request (the admin evict-pod fault)."""
import threading
import time

from . import sem
from .controllers import Loop
from .util import deep_copy, new_uid, now_micro, now_rfc3339

PODS = "/pods"
NODES = "/nodes"


class KubeletApi:
    """The facade the Kubelet class talks to."""

    def __init__(self, ctx):
        self.ctx = ctx

    def get(self, plural, namespace, name):
        return self.ctx.store.get("/" + plural, namespace, name)

    def update_pod_status(self, namespace, name, status):
        store = self.ctx.store
        with store.lock:
            cur = store.get(PODS, namespace, name)
            if cur is None or cur.get("status") == status:
                return
            cur["status"] = deep_copy(status)
            store.put(PODS, cur, "MODIFIED")

    def event(self, pod, type_, reason, message):
        """An Event as the kubelet's recorder writes it (source kubelet on the pod's node)."""
        md = pod["metadata"]
        node = (pod.get("spec") or {}).get("nodeName", "")
        now = now_rfc3339()
        ev = {"kind": "Event", "apiVersion": "v1",
              "metadata": {"name": "%s.%x" % (md["name"], time.time_ns() // 1000),
                           "namespace": md["namespace"], "uid": new_uid(),
                           "creationTimestamp": now},
              "involvedObject": {"kind": "Pod", "namespace": md["namespace"], "name": md["name"],
                                 "uid": md["uid"], "apiVersion": "v1",
                                 "resourceVersion": md.get("resourceVersion", "")},
              "reason": reason, "message": message,
              "source": {"component": "kubelet", "host": node},
              "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_,
              "eventTime": None, "reportingComponent": "kubelet", "reportingInstance": node}
        self.ctx.store.put("events", ev, "ADDED")


class PodController(Loop):
    name = "pods"

    def __init__(self, ctx):
        super().__init__(ctx)
        self.killing = set()
        self.kubelet = None
        if sem.kubelet is not None:
            self.kubelet = sem.kubelet.Kubelet(KubeletApi(ctx), ctx.workdir)
        self.synced = {}   # uid -> resourceVersion last passed to sync()

    def reset_kubelet(self):
        """Kill every container and start over with a fresh kubelet (restart with wipe)."""
        old = self.kubelet
        if old is not None:
            old.stop()
            self.kubelet = sem.kubelet.Kubelet(KubeletApi(self.ctx), self.ctx.workdir)
        self.synced.clear()
        self.killing.clear()

    def stop(self):
        super().stop()
        if self.kubelet is not None:
            self.kubelet.stop()

    def evict(self, ns, name, message=None, grace=0.0, resource="memory"):
        """Node-pressure eviction by the pod's kubelet. Returns the message; raises ApiError
        404 for a missing pod and 409 for one no kubelet runs (unbound, finished, deleted)."""
        from .util import ApiError
        with self.ctx.store.lock:
            pod = self.ctx.store.get(PODS, ns, name)
        if pod is None:
            raise ApiError(404, "NotFound", 'pods "%s" not found' % name,
                           {"name": name, "kind": "pods"})
        if message is None:
            message = sem.kubelet.pressure_message(pod, resource) if sem.kubelet else ""
        if self.kubelet is None or not self.kubelet.evict(ns, name, message, grace):
            phase = (pod.get("status") or {}).get("phase", "Pending")
            raise ApiError(409, "Conflict", "pod %s/%s is not running on a node (phase %s%s)"
                           % (ns, name, phase, ", terminating" if pod["metadata"].get(
                               "deletionTimestamp") else ""), {"name": name, "kind": "pods"})
        return message

    def logs(self, ns, name, container):
        if self.kubelet is None:
            return None
        return self.kubelet.logs(ns, name, container)

    def sweep(self, events):
        store = self.ctx.store
        with store.lock:
            pods = [deep_copy(p) for p in store.list_refs(PODS)]
            nodes = [deep_copy(n) for n in store.list_refs(NODES)]
        pending = [p for p in pods if not (p.get("spec") or {}).get("nodeName")
                   and not p["metadata"].get("deletionTimestamp")
                   and (p.get("spec") or {}).get("schedulerName",
                                                 "default-scheduler") == "default-scheduler"]
        pending.sort(key=lambda p: p["metadata"]["creationTimestamp"])
        for p in pending:
            self._schedule(p, nodes)
        with store.lock:
            pods = [deep_copy(p) for p in store.list_refs(PODS)]
        for p in pods:
            md = p["metadata"]
            if md.get("deletionTimestamp"):
                self._terminate(p)
                continue
            if (p.get("spec") or {}).get("nodeName") and self.kubelet is not None:
                if self.synced.get(md["uid"]) != md["resourceVersion"]:
                    self.synced[md["uid"]] = md["resourceVersion"]
                    try:
                        self.kubelet.sync(p)
                    except Exception as e:
                        self.ctx.log("kubelet.sync %s: %r" % (md["name"], e))

    def _schedule(self, pod, nodes):
        store = self.ctx.store
        with store.lock:
            all_pods = [deep_copy(p) for p in store.list_refs(PODS)]
        node, msg = sem.schedule(pod, nodes, all_pods)
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        with store.lock:
            cur = store.get(PODS, ns, name)
            if cur is None or cur["metadata"]["uid"] != pod["metadata"]["uid"]:
                return
            if (cur.get("spec") or {}).get("nodeName"):
                return
            st = cur.setdefault("status", {})
            conds = [c for c in st.get("conditions") or [] if c.get("type") != "PodScheduled"]
            old = [c for c in st.get("conditions") or [] if c.get("type") == "PodScheduled"]
            if node:
                cur["spec"]["nodeName"] = node
                conds.insert(0, {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                                 "lastTransitionTime": now_rfc3339()})
                st["conditions"] = conds
                cur = store.put(PODS, cur, "MODIFIED")
                self._event(cur, "Successfully assigned %s/%s to %s" % (ns, name, node),
                            "Scheduled", "Normal")
                return
            if old and old[0].get("status") == "False" and old[0].get("message") == msg:
                return
            conds.insert(0, {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                             "lastTransitionTime": now_rfc3339(), "reason": "Unschedulable",
                             "message": msg})
            st["conditions"] = conds
            store.put(PODS, cur, "MODIFIED")
            self._event(cur, msg)

    def _event(self, pod, msg, reason="FailedScheduling", type_="Warning"):
        md = pod["metadata"]
        ev = {"kind": "Event", "apiVersion": "v1",
              "metadata": {"name": "%s.%x" % (md["name"], time.time_ns() // 1000),
                           "namespace": md["namespace"], "uid": new_uid(),
                           "creationTimestamp": now_rfc3339()},
              "involvedObject": {"kind": "Pod", "namespace": md["namespace"], "name": md["name"],
                                 "uid": md["uid"], "apiVersion": "v1",
                                 "resourceVersion": md["resourceVersion"]},
              "reason": reason, "message": msg, "source": {},
              "firstTimestamp": None, "lastTimestamp": None, "type": type_,
              "eventTime": now_micro(), "action": "Scheduling",
              "reportingComponent": "default-scheduler",
              "reportingInstance": "default-scheduler-kubesim"}
        self.ctx.store.put("events", ev, "ADDED")

    def _terminate(self, pod):
        md = pod["metadata"]
        uid = md["uid"]
        if uid in self.killing:
            return
        self.killing.add(uid)
        grace = md.get("deletionGracePeriodSeconds", 0) or 0

        def run():
            try:
                if self.kubelet is not None and (pod.get("spec") or {}).get("nodeName"):
                    self.kubelet.kill(md["namespace"], md["name"], float(grace))
            except Exception as e:
                self.ctx.log("kubelet.kill %s: %r" % (md["name"], e))
            self._remove_when_free(md["namespace"], md["name"], uid)

        threading.Thread(target=run, daemon=True, name="kill-" + md["name"]).start()

    def _remove_when_free(self, ns, name, uid):
        store = self.ctx.store
        with store.lock:
            cur = store.get_ref(PODS, ns, name)
            if cur is None or cur["metadata"]["uid"] != uid:
                self.killing.discard(uid)
                return
            if cur["metadata"].get("finalizers"):
                self.killing.discard(uid)   # retried when the finalizers change
                return
            store.remove(PODS, ns, name)
            self.killing.discard(uid)
            self.synced.pop(uid, None)


def eks_nodes(valkey=0, eks=True):
    """Nodes shaped like the Karpenter-provisioned r7g.large EKS nodes of 12-pods, plus optional
    Valkey data-plane nodes (karpenter.sh/nodepool=valkey)."""
    out = []
    specs = []
    if eks:
        for i, z in enumerate("abc"):
            specs.append(("ip-10-0-%d-1.us-west-2%s" % (i + 1, z), "us-west-2" + z, "default",
                          "10.0.%d.1" % (i + 1)))
    for i in range(valkey):
        z = "abc"[i % 3]
        specs.append(("ip-10-0-%d-%d.us-west-2%s" % (i % 3 + 11, i // 3 + 1, z), "us-west-2" + z,
                      "valkey", "10.0.%d.%d" % (i % 3 + 11, i // 3 + 1)))
    for name, zone, pool, ip in specs:
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {
            "karpenter.sh/capacity-type": "on-demand", "karpenter.sh/nodepool": pool,
            "node.kubernetes.io/instance-type": "r7g.large", "kubernetes.io/arch": "arm64",
            "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
            "topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": "us-west-2"}},
            "spec": {"providerID": "aws:///%s/i-%012x" % (zone, abs(hash(name)) % (1 << 48))},
            "status": {"capacity": {"cpu": "2", "memory": "16Gi", "pods": "29"},
                       "allocatable": {"cpu": "1930m", "memory": "15Gi", "pods": "29"},
                       "conditions": [{"type": "Ready", "status": "True",
                                       "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "addresses": [{"type": "InternalIP", "address": ip},
                                     {"type": "Hostname", "address": name}],
                       "nodeInfo": {"architecture": "arm64", "operatingSystem": "linux",
                                    "kubeletVersion": "v1.28.7"}}})
    return out
