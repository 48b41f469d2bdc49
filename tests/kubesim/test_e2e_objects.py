"""End-to-end proofs of object lifecycle semantics over raw HTTPS: ownerReference garbage
collection (background, foreground, orphan), deletecollection, preconditions, dry runs,
namespaces, Events in both APIs, Leases (11-deletion, 13-events, 14-leases, 06)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ksclient import Kubesim, crd_json, wait_for  # noqa: E402

W = "/apis/example.com/v1/namespaces/default/widgets"
CM = "/api/v1/namespaces/default/configmaps"
MERGE = "application/merge-patch+json"


class TestObjects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ks = Kubesim().start()
        s, body, _ = cls.ks.request("POST", "/apis/apiextensions.k8s.io/v1/"
                                    "customresourcedefinitions", crd_json())
        assert s == 201, body
        wait_for(lambda: cls.ks.request("GET", W)[0] == 200)

    @classmethod
    def tearDownClass(cls):
        cls.ks.stop()

    def req(self, *a, **k):
        return self.ks.request(*a, **k)

    def owner_and_child(self, suffix, child_finalizers=None):
        s, owner, _ = self.req("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap",
                                            "metadata": {"name": "cm-owner-" + suffix}})
        self.assertEqual(s, 201)
        md = {"name": "child-" + suffix, "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]}
        if child_finalizers:
            md["finalizers"] = child_finalizers
        s, child, _ = self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Widget",
                                           "metadata": md, "spec": {"mode": "cluster"}})
        self.assertEqual(s, 201, child)
        return owner, child

    def gone(self, path):
        return self.req("GET", path)[0] == 404

    def test_background_gc(self):
        owner, child = self.owner_and_child("bg")
        s, body, _ = self.req("DELETE", CM + "/cm-owner-bg?propagationPolicy=Background")
        self.assertEqual((s, body["status"]), (200, "Success"))
        self.assertEqual(body["details"], {"name": "cm-owner-bg", "kind": "configmaps",
                                           "uid": owner["metadata"]["uid"]})
        wait_for(lambda: self.gone(W + "/child-bg"))

    def test_foreground_gc(self):
        owner, child = self.owner_and_child("fg", ["example.com/hold"])
        s, body, _ = self.req("DELETE", CM + "/cm-owner-fg",
                              {"kind": "DeleteOptions", "apiVersion": "v1",
                               "propagationPolicy": "Foreground"})
        self.assertEqual(s, 200)
        self.assertEqual(body["kind"], "ConfigMap")
        self.assertEqual(body["metadata"]["finalizers"], ["foregroundDeletion"])
        self.assertEqual(body["metadata"]["deletionGracePeriodSeconds"], 0)
        c = wait_for(lambda: (lambda r: r[1] if r[1]["metadata"].get("deletionTimestamp")
                              else None)(self.req("GET", W + "/child-fg")))
        self.assertEqual(c["metadata"]["generation"], 2)
        self.assertEqual(self.req("GET", CM + "/cm-owner-fg")[0], 200)
        self.req("PATCH", W + "/child-fg", {"metadata": {"finalizers": None}}, ctype=MERGE)
        wait_for(lambda: self.gone(W + "/child-fg"))
        wait_for(lambda: self.gone(CM + "/cm-owner-fg"))

    def test_orphan(self):
        owner, child = self.owner_and_child("orphan")
        s, body, _ = self.req("DELETE", CM + "/cm-owner-orphan",
                              {"propagationPolicy": "Orphan"})
        self.assertEqual(body["metadata"]["finalizers"], ["orphan"])
        wait_for(lambda: self.gone(CM + "/cm-owner-orphan"))
        s, c, _ = self.req("GET", W + "/child-orphan")
        self.assertEqual(s, 200)
        self.assertNotIn("ownerReferences", c["metadata"])

    def test_bad_policy_and_preconditions(self):
        self.req("POST", CM, {"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "cm-pre"}})
        s, body, _ = self.req("DELETE", CM + "/cm-pre", {"propagationPolicy": "Sideways"})
        self.assertEqual((s, body["reason"]), (422, "Invalid"))
        self.assertEqual(body["message"], 'DeleteOptions.meta.k8s.io "" is invalid: '
                         'propagationPolicy: Unsupported value: "Sideways": supported values: '
                         '"Foreground", "Background", "Orphan", "nil"')
        s, body, _ = self.req("DELETE", CM + "/cm-pre",
                              {"preconditions": {"resourceVersion": "1"}})
        self.assertEqual((s, body["reason"]), (409, "Conflict"))
        self.assertEqual(body["details"]["kind"], "ConfigMap")
        s, body, _ = self.req("DELETE", CM + "/cm-pre?dryRun=All")
        self.assertEqual((s, body["status"]), (200, "Success"))
        self.assertEqual(self.req("GET", CM + "/cm-pre")[0], 200)

    def test_deletecollection_returns_list(self):
        for n in ("w-coll-1", "w-coll-2"):
            self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Widget",
                                 "metadata": {"name": n, "labels": {"batch": "x"}},
                                 "spec": {"mode": "cluster"}})
        s, body, _ = self.req("DELETE", W + "?labelSelector=batch%3Dx")
        self.assertEqual((s, body["kind"]), (200, "WidgetList"))
        self.assertEqual(sorted(i["metadata"]["name"] for i in body["items"]),
                         ["w-coll-1", "w-coll-2"])
        self.assertEqual(self.req("GET", W + "?labelSelector=batch%3Dx")[1]["items"], [])

    def test_generate_name_and_dry_run_create(self):
        s, o, _ = self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Widget",
                                       "metadata": {"generateName": "w-gen-"},
                                       "spec": {"mode": "cluster"}})
        self.assertEqual(s, 201)
        self.assertRegex(o["metadata"]["name"], r"^w-gen-[a-z0-9]{5}$")
        self.gen_name = o["metadata"]["name"]
        s, o, _ = self.req("POST", W + "?dryRun=All", {
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w-dry-run"}, "spec": {"mode": "cluster"}})
        self.assertEqual(s, 201)
        self.assertNotIn("resourceVersion", o["metadata"])
        self.assertEqual(self.req("GET", W + "/w-dry-run")[0], 404)
        s, o, _ = self.req("PATCH", W + "/" + self.gen_name + "?dryRun=All",
                           {"spec": {"size": 7}}, ctype=MERGE)
        self.assertEqual((s, o["spec"]["size"]), (200, 7))
        self.assertEqual(self.req("GET", W + "/" + self.gen_name)[1]["spec"].get("size"), 3)

    def test_create_errors(self):
        s, body, _ = self.req("POST", W, b'{"apiVersion":"example.com/v1", "kind": "Widget",}',
                              ctype="application/json")
        self.assertEqual(s, 400)
        self.assertTrue(body["message"].startswith(
            "the object provided is unrecognized (must be of type Widget): couldn't get "
            "version/kind; json parse error: "))
        s, body, _ = self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Widget",
                                          "metadata": {"name": "Bad_Name"},
                                          "spec": {"mode": "cluster"}})
        self.assertEqual((s, body["details"]["causes"][0]["field"]), (422, "metadata.name"))
        s, body, _ = self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Widget",
                                          "metadata": {"name": "x", "namespace": "kube-system"},
                                          "spec": {"mode": "cluster"}})
        self.assertEqual((s, body["message"]), (400, "the namespace of the provided object does "
                                                     "not match the namespace sent on the "
                                                     "request"))
        s, body, _ = self.req("POST", W, {"apiVersion": "example.com/v1", "kind": "Gadget",
                                          "metadata": {"name": "w-wrong-kind"},
                                          "spec": {"mode": "cluster"}})
        self.assertEqual((s, body["message"]), (422, 'Gadget.example.com "w-wrong-kind" is '
                                                     'invalid: kind: Invalid value: "Gadget": '
                                                     'must be Widget'))
        s, body, _ = self.req("PUT", W, {"apiVersion": "example.com/v1", "kind": "Widget"})
        self.assertEqual((s, body["message"]), (400, "name must be provided"))
        s, body, _ = self.req("POST", W + "?fieldValidation=Bogus", {
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "fv"},
            "spec": {"mode": "cluster"}})
        self.assertEqual(s, 422)
        self.assertTrue(body["message"].startswith('CreateOptions.meta.k8s.io "" is invalid: '
                                                   'fieldValidation: Unsupported value: '
                                                   '"Bogus"'))

    def test_events_in_both_apis(self):
        s, ev, _ = self.req("POST", "/api/v1/namespaces/default/events", {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "sel-1.a", "namespace": "default"},
            "involvedObject": {"apiVersion": "example.com/v1", "kind": "Widget",
                               "name": "sel-1", "namespace": "default"},
            "reason": "BenchmarkFinished", "message": "done", "type": "Normal", "count": 1,
            "source": {"component": "widget-controller"}})
        self.assertEqual(s, 201, ev)
        self.assertIsNone(ev["eventTime"])
        s, v1, _ = self.req("GET", "/apis/events.k8s.io/v1/namespaces/default/events/sel-1.a")
        self.assertEqual((s, v1["apiVersion"], v1["note"]), (200, "events.k8s.io/v1", "done"))
        self.assertEqual(v1["regarding"]["name"], "sel-1")
        self.assertEqual(v1["deprecatedSource"], {"component": "widget-controller"})
        s, ne, _ = self.req("POST", "/apis/events.k8s.io/v1/namespaces/default/events", {
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": "sel-1.b"}, "eventTime": "2026-11-25T00:26:01.000000Z",
            "reportingController": "example.com/widget-controller",
            "reportingInstance": "c-1", "action": "Benchmark", "reason": "Started",
            "regarding": {"kind": "Widget", "name": "sel-1", "namespace": "default"},
            "note": "started", "type": "Normal"})
        self.assertEqual(s, 201, ne)
        s, core, _ = self.req("GET", "/api/v1/namespaces/default/events/sel-1.b")
        self.assertEqual((core["message"], core["reportingComponent"]),
                         ("started", "example.com/widget-controller"))
        s, lst, _ = self.req("GET", "/api/v1/namespaces/default/events?fieldSelector="
                                    "involvedObject.name%3Dsel-1")
        self.assertEqual(sorted(e["metadata"]["name"] for e in lst["items"]),
                         ["sel-1.a", "sel-1.b"])
        s, body, _ = self.req("POST", "/apis/events.k8s.io/v1/namespaces/default/events", {
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "sel-1.bad1"},
            "regarding": {"kind": "Widget", "name": "sel-1"}, "note": "x", "type": "Normal",
            "reason": "R", "action": "A"})
        self.assertEqual((s, body["message"]), (422, 'Event "sel-1.bad1" is invalid: eventTime: '
                                                     'Required value'))

    def test_lease_stale_update(self):
        L = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
        s, lease, _ = self.req("POST", L, {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "widget-controller-leader"},
            "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15,
                     "acquireTime": "2026-11-25T00:22:13.951293Z",
                     "renewTime": "2026-11-25T00:22:13.951293Z", "leaseTransitions": 0}})
        self.assertEqual(s, 201)
        renewed = dict(lease, spec=dict(lease["spec"], renewTime="2026-11-25T00:22:15.951293Z"))
        s, l2, _ = self.req("PUT", L + "/widget-controller-leader", renewed)
        self.assertEqual(s, 200)
        takeover = dict(lease, spec=dict(lease["spec"], holderIdentity="b"))
        s, body, _ = self.req("PUT", L + "/widget-controller-leader", takeover)
        self.assertEqual((s, body["reason"]), (409, "Conflict"))
        self.assertEqual(body["message"], 'Operation cannot be fulfilled on '
                         'leases.coordination.k8s.io "widget-controller-leader": the object has '
                         'been modified; please apply your changes to the latest version and '
                         'try again')

    def test_namespace_termination_removes_content(self):
        s, _, _ = self.req("POST", "/api/v1/namespaces", {"apiVersion": "v1",
                                                          "kind": "Namespace",
                                                          "metadata": {"name": "doomed"}})
        self.assertEqual(s, 201)
        self.req("POST", "/api/v1/namespaces/doomed/configmaps",
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
        s, ns, _ = self.req("DELETE", "/api/v1/namespaces/doomed")
        self.assertEqual((s, ns["status"]["phase"]), (200, "Terminating"))
        wait_for(lambda: self.gone("/api/v1/namespaces/doomed"))
        self.assertEqual(self.req("GET", "/api/v1/namespaces/doomed/configmaps/x")[0], 404)

    def test_crd_delete_removes_instances_and_routes(self):
        crd = crd_json()
        crd["metadata"]["name"] = "gadgets.example.org"
        crd["spec"]["group"] = "example.org"
        crd["spec"]["names"] = {"plural": "gadgets", "singular": "gadget", "kind": "Gadget",
                                "listKind": "GadgetList"}
        s, _, _ = self.req("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                           crd)
        G = "/apis/example.org/v1/namespaces/default/gadgets"
        wait_for(lambda: self.req("GET", G)[0] == 200)
        self.req("POST", G, {"apiVersion": "example.org/v1", "kind": "Gadget",
                             "metadata": {"name": "g1", "finalizers": ["example.org/hold"]},
                             "spec": {"mode": "cluster"}})
        s, body, _ = self.req("DELETE", "/apis/apiextensions.k8s.io/v1/"
                                        "customresourcedefinitions/gadgets.example.org")
        self.assertEqual(s, 200)
        self.assertEqual(body["metadata"]["finalizers"],
                         ["customresourcecleanup.apiextensions.k8s.io"])
        s, body, _ = self.req("POST", G, {"apiVersion": "example.org/v1", "kind": "Gadget",
                                          "metadata": {"name": "g2"},
                                          "spec": {"mode": "cluster"}})
        self.assertEqual((s, body["reason"]), (405, "MethodNotAllowed"))
        self.req("PATCH", G + "/g1", {"metadata": {"finalizers": None}}, ctype=MERGE)
        wait_for(lambda: self.req("GET", G)[0] == 404)
        wait_for(lambda: self.gone("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                                   "gadgets.example.org"))


if __name__ == "__main__":
    unittest.main()
