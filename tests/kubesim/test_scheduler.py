"""Scheduling decisions and the scheduler's exact Unschedulable messages (12-pods/09 and 16 are
replayed from the recorded pods; the rest follow kube-scheduler v1.28's filter plugins)."""
import copy
import json
import os
import unittest

from kubesim.scheduler import NO_NODES, quantity, schedule

HERE = os.path.dirname(os.path.abspath(__file__))


def fixture(name):
    with open(os.path.join(HERE, "fixtures", name)) as f:
        return json.load(f)["body"]


def node(name, zone, itype="r7g.large", **extra):
    n = {"metadata": {"name": name, "labels": {
        "karpenter.sh/capacity-type": "on-demand", "node.kubernetes.io/instance-type": itype,
        "kubernetes.io/arch": "arm64", "topology.kubernetes.io/zone": zone,
        "karpenter.sh/nodepool": "default"}}, "spec": {}, "status": {}}
    for k, v in extra.items():
        n[k].update(v)
    return n


NODES = [node("ip-10-0-1-1.us-west-2a", "us-west-2a"), node("ip-10-0-2-1.us-west-2b", "us-west-2b"),
         node("ip-10-0-3-1.us-west-2c", "us-west-2c")]


def pod(name, labels=None, node_name=None, phase="Pending", **spec):
    p = {"metadata": {"name": name, "namespace": "default", "labels": labels or {}},
         "spec": dict({"containers": [{"name": "c", "image": "i"}]}, **spec),
         "status": {"phase": phase}}
    if node_name:
        p["spec"]["nodeName"] = node_name
    return p


def unschedulable_message(recorded):
    return [c for c in recorded["status"]["conditions"] if c["type"] == "PodScheduled"][0][
        "message"]


class RecordedTest(unittest.TestCase):
    def test_no_node_matches_selector_09(self):
        recorded = fixture("12-pods-09.json")
        got = schedule(recorded, NODES, [])
        self.assertEqual(got, (None, unschedulable_message(recorded)))
        self.assertEqual(got[1], "0/3 nodes are available: 3 node(s) didn't match Pod's node "
                                 "affinity/selector. preemption: 0/3 nodes are available: 3 "
                                 "Preemption is not helpful for scheduling..")

    def test_anti_affinity_one_per_node_then_refusal_16(self):
        recorded = fixture("12-pods-16.json")
        placed = []
        for i in range(3):
            p = copy.deepcopy(recorded)
            p["metadata"]["name"] = "valkey-%d" % i
            p.pop("status")
            name, msg = schedule(p, NODES, placed)
            self.assertIsNotNone(name, msg)
            p["spec"]["nodeName"] = name
            p["status"] = {"phase": "Running"}
            placed.append(p)
        self.assertEqual(len({p["spec"]["nodeName"] for p in placed}), 3)
        got = schedule(recorded, NODES, placed + [recorded])
        self.assertEqual(got, (None, unschedulable_message(recorded)))
        # a finished pod frees its node (the scheduler ignores Succeeded/Failed pods)
        placed[1]["status"]["phase"] = "Succeeded"
        self.assertEqual(schedule(recorded, NODES, placed)[0], placed[1]["spec"]["nodeName"])

    def test_bench_pod_of_02_fits(self):
        bench = fixture("12-pods-04.json")
        bench = {"metadata": bench["metadata"], "spec": dict(bench["spec"])}
        del bench["spec"]["nodeName"]
        name, msg = schedule(bench, NODES, [])
        self.assertIn(name, [n["metadata"]["name"] for n in NODES])
        self.assertEqual(msg, "")


class FilterTest(unittest.TestCase):
    def test_no_nodes(self):
        self.assertEqual(schedule(pod("p"), [], []), (None, NO_NODES))

    def test_taints_and_tolerations(self):
        nodes = [node("a", "z1", spec={"taints": [{"key": "dedicated", "value": "valkey",
                                                  "effect": "NoSchedule"}]}),
                 node("b", "z2", spec={"unschedulable": True})]
        name, msg = schedule(pod("p"), nodes, [])
        self.assertIsNone(name)
        self.assertEqual(msg, "0/2 nodes are available: 1 node(s) had untolerated taint "
                              "{dedicated: valkey}, 1 node(s) were unschedulable. preemption: "
                              "0/2 nodes are available: 2 Preemption is not helpful for "
                              "scheduling..")
        tol = [{"key": "dedicated", "operator": "Equal", "value": "valkey",
                "effect": "NoSchedule"}]
        self.assertEqual(schedule(pod("p", tolerations=tol), nodes, [])[0], "a")
        prefer = [node("c", "z1", spec={"taints": [{"key": "k", "effect": "PreferNoSchedule"}]})]
        self.assertEqual(schedule(pod("p"), prefer, [])[0], "c")

    def test_node_affinity_operators(self):
        nodes = [node("a", "z1", metadata={"labels": {"gen": "7", "zone": "a"}}),
                 node("b", "z2", metadata={"labels": {"gen": "8"}})]

        def req(*exprs):
            return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": list(exprs)}]}}}
        cases = [({"key": "gen", "operator": "Gt", "values": ["7"]}, "b"),
                 ({"key": "gen", "operator": "Lt", "values": ["8"]}, "a"),
                 ({"key": "zone", "operator": "Exists"}, "a"),
                 ({"key": "zone", "operator": "DoesNotExist"}, "b"),
                 ({"key": "gen", "operator": "NotIn", "values": ["7"]}, "b"),
                 ({"key": "gen", "operator": "In", "values": ["8"]}, "b")]
        for expr, want in cases:
            self.assertEqual(schedule(pod("p", affinity=req(expr)), nodes, [])[0], want, expr)
        name, msg = schedule(pod("p", affinity=req({"key": "gen", "operator": "In",
                                                     "values": ["9"]})), nodes, [])
        self.assertIsNone(name)
        self.assertTrue(msg.startswith("0/2 nodes are available: 2 node(s) didn't match Pod's "
                                       "node affinity/selector."))
        preferred = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "preference": {"matchExpressions": [
                {"key": "gen", "operator": "In", "values": ["8"]}]}}]}}
        self.assertEqual(schedule(pod("p", affinity=preferred), nodes, [])[0], "b")

    def test_zone_spread(self):
        tsc = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "bench"}}}]
        placed = []
        for i in range(6):
            p = pod("r%d" % i, {"app": "bench"}, topologySpreadConstraints=tsc)
            name, msg = schedule(p, NODES, placed)
            self.assertIsNotNone(name, msg)
            p["spec"]["nodeName"] = name
            placed.append(p)
        zones = sorted(n["spec"]["nodeName"] for n in placed)
        self.assertEqual(zones, sorted([n["metadata"]["name"] for n in NODES] * 2))
        # only zone a is allowed by the selector and it already holds 2 of 6: skew 3 - 2 > 1?
        only_a = pod("x", {"app": "bench"}, topologySpreadConstraints=tsc,
                     nodeSelector={"topology.kubernetes.io/zone": "us-west-2a"})
        self.assertEqual(schedule(only_a, NODES, placed)[0], "ip-10-0-1-1.us-west-2a")
        crowded = placed + [pod("y", {"app": "bench"}, "ip-10-0-1-1.us-west-2a")]
        empty_zone = node("n-d", "us-west-2d")
        name, msg = schedule(pod("z", {"app": "bench"}, topologySpreadConstraints=tsc),
                             [NODES[0], empty_zone], crowded)
        self.assertEqual(name, "n-d")
        bad = [node("nolabel", "z")]
        del bad[0]["metadata"]["labels"]["topology.kubernetes.io/zone"]
        name, msg = schedule(pod("z", {"app": "bench"}, topologySpreadConstraints=tsc), bad, [])
        self.assertEqual(msg, "0/1 nodes are available: 1 node(s) didn't match pod topology "
                              "spread constraints (missing required label). preemption: 0/1 "
                              "nodes are available: 1 Preemption is not helpful for scheduling..")

    def test_spread_skew_refusal(self):
        tsc = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "DoNotSchedule",
                "labelSelector": {"matchLabels": {"app": "bench"}}}]
        existing = [pod("a1", {"app": "bench"}, NODES[0]["metadata"]["name"], "Running"),
                    pod("a2", {"app": "bench"}, NODES[0]["metadata"]["name"], "Running")]
        p = pod("p", {"app": "bench"}, topologySpreadConstraints=tsc,
                nodeSelector={"topology.kubernetes.io/zone": "us-west-2a"})
        # the nodeSelector limits the domains to zone a: min is 2, skew 1: fits
        self.assertIsNotNone(schedule(p, NODES, existing)[0])
        p["spec"]["nodeSelector"] = {}
        got = schedule(p, NODES[:1] + [node("b", "us-west-2b", metadata={"labels": {
            "topology.kubernetes.io/zone": "us-west-2b"}})], existing)
        self.assertEqual(got[0], "b")
        p["spec"]["affinity"] = {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In",
                                       "values": ["us-west-2a", "us-west-2b"]}]}]}}}
        nodes = [NODES[0], node("b", "us-west-2b", metadata={"labels": {
            "topology.kubernetes.io/zone": "us-west-2b"}, }, spec={"unschedulable": True})]
        name, msg = schedule(p, nodes, existing)
        self.assertIsNone(name)
        self.assertEqual(msg, "0/2 nodes are available: 1 node(s) didn't match pod topology "
                              "spread constraints, 1 node(s) were unschedulable. preemption: "
                              "0/2 nodes are available: 1 No preemption victims found for "
                              "incoming pod, 1 Preemption is not helpful for scheduling..")

    def test_existing_anti_affinity_and_pod_affinity(self):
        anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"role": "bench"}},
             "topologyKey": "topology.kubernetes.io/zone"}]}}
        guard = pod("guard", {"role": "db"}, NODES[0]["metadata"]["name"], "Running",
                    affinity=anti)
        name, msg = schedule(pod("b", {"role": "bench"},
                                 nodeSelector={"topology.kubernetes.io/zone": "us-west-2a"}),
                             NODES, [guard])
        self.assertIsNone(name)
        self.assertIn("1 node(s) didn't satisfy existing pods anti-affinity rules", msg)
        self.assertIn("2 node(s) didn't match Pod's node affinity/selector", msg)
        aff = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"role": "db"}},
             "topologyKey": "kubernetes.io/hostname"}]}}
        self.assertEqual(schedule(pod("c", affinity=aff), NODES, [guard])[0],
                         NODES[0]["metadata"]["name"])
        name, msg = schedule(pod("c", affinity=aff), NODES[1:], [guard])
        self.assertIsNone(name)
        self.assertTrue(msg.startswith("0/2 nodes are available: 2 node(s) didn't match pod "
                                       "affinity rules."))
        # first pod of a group that selects itself is allowed anywhere
        self.assertIsNotNone(schedule(pod("d", {"role": "db"}, affinity=aff), NODES, [])[0])

    def test_resources_and_preemption_policy(self):
        alloc = {"status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}}}
        nodes = [node("a", "z1", **alloc)]
        big = pod("big", containers=[{"name": "c", "resources": {"requests": {
            "cpu": "1500m", "memory": "1Gi"}}}])
        existing = copy.deepcopy(big)
        existing["metadata"]["name"] = "e"
        existing["spec"]["nodeName"] = "a"
        self.assertEqual(schedule(big, nodes, [])[0], "a")
        name, msg = schedule(big, nodes, [existing])
        self.assertEqual(msg, "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 "
                              "nodes are available: 1 No preemption victims found for incoming "
                              "pod..")
        big["spec"]["preemptionPolicy"] = "Never"
        self.assertEqual(schedule(big, nodes, [existing])[1],
                         "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible "
                         "due to preemptionPolicy=Never..")
        self.assertEqual(quantity("512Mi"), 512 * 2 ** 20)
        self.assertEqual(quantity("500m"), 0.5)
        self.assertEqual(quantity("1e3"), 1000)

    def test_host_ports(self):
        hp = [{"name": "c", "ports": [{"containerPort": 6379, "hostPort": 6379}]}]
        other = pod("o", node_name="a", phase="Running", containers=hp)
        nodes = [node("a", "z1"), node("b", "z2")]
        self.assertEqual(schedule(pod("p", containers=hp), nodes, [other])[0], "b")


if __name__ == "__main__":
    unittest.main()
