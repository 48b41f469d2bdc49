"""End-to-end proofs of the built-in kinds the operator's install uses beyond core/v1: apps/v1
Deployment (+status, +scale) and the four rbac.authorization.k8s.io/v1 kinds (discovery as in
k8s-reference/01-discovery, defaults, 422 validation, tables), and of protobuf request bodies
(kubectl >= 1.32 creates built-ins with application/vnd.kubernetes.protobuf), with every
kubectl found on this machine (PATH, /usr/bin, the repository's .tools/bin from
hack/fetch-tools.sh)."""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ksclient import HERE, Kubesim  # noqa: E402
from kubesim import protobuf  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "../.."))
D = "/apis/apps/v1/namespaces/default/deployments"
RBAC = "/apis/rbac.authorization.k8s.io/v1"

# 01-discovery/05: the apps/v1 deployments entry of the aggregated discovery, verbatim.
AGG_DEPLOYMENTS = {
    "resource": "deployments",
    "responseKind": {"group": "", "version": "", "kind": "Deployment"},
    "scope": "Namespaced", "singularResource": "deployment",
    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
    "shortNames": ["deploy"], "categories": ["all"],
    "subresources": [
        {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1",
                                                  "kind": "Scale"},
         "verbs": ["get", "patch", "update"]},
        {"subresource": "status", "responseKind": {"group": "", "version": "",
                                                   "kind": "Deployment"},
         "verbs": ["get", "patch", "update"]}]}


def deployment(name, replicas=2, labels=None, image="valkey/valkey:8.0"):
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)},
                                  "spec": {"containers": [{"name": "main", "image": image}]}}}}


def kubectls():
    """{gitVersion: path} of every distinct kubectl binary available."""
    cands = [shutil.which("kubectl"), "/usr/bin/kubectl", "/usr/local/bin/kubectl",
             os.path.join(ROOT, ".tools/bin/kubectl")]
    out = {}
    for c in cands:
        if not c or not os.access(c, os.X_OK):
            continue
        try:
            p = subprocess.run([c, "version", "--client", "-o", "json"], capture_output=True,
                               text=True, timeout=30)
            v = json.loads(p.stdout)["clientVersion"]["gitVersion"]
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
            continue
        out.setdefault(v, c)
    return out


def minor(version):
    return int(version.lstrip("v").split(".")[1])


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ks = Kubesim().start()

    @classmethod
    def tearDownClass(cls):
        cls.ks.stop()

    def req(self, *a, **k):
        return self.ks.request(*a, **k)


class TestDiscovery(Base):
    def test_groups_in_server_order(self):
        s, body, _ = self.req("GET", "/apis")
        names = [g["name"] for g in body["groups"]]
        # 01-discovery/04 keeps apps, events.k8s.io, apiextensions.k8s.io, coordination.k8s.io
        # in this order; rbac.authorization.k8s.io sits between events and apiextensions.
        self.assertEqual(names[:5], ["apps", "events.k8s.io", "rbac.authorization.k8s.io",
                                     "apiextensions.k8s.io", "coordination.k8s.io"])

    def test_aggregated_apps_entry_matches_transcript(self):
        acc = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
        s, body, _ = self.req("GET", "/apis", headers={"Accept": acc})
        apps = [i for i in body["items"] if i["metadata"]["name"] == "apps"][0]
        res = {r["resource"]: r for r in apps["versions"][0]["resources"]}
        self.assertEqual(res["deployments"], AGG_DEPLOYMENTS)

    def test_legacy_resource_lists(self):
        s, body, _ = self.req("GET", "/apis/apps/v1")
        res = {r["name"]: r for r in body["resources"]}
        self.assertEqual(res["deployments"]["storageVersionHash"], "8aSe+NMegvE=")
        self.assertEqual(res["deployments/scale"], {
            "name": "deployments/scale", "singularName": "", "namespaced": True,
            "group": "autoscaling", "version": "v1", "kind": "Scale",
            "verbs": ["get", "patch", "update"]})
        s, body, _ = self.req("GET", RBAC)
        got = {r["name"]: (r["kind"], r["namespaced"], r["storageVersionHash"])
               for r in body["resources"]}
        self.assertEqual(got, {
            "clusterrolebindings": ("ClusterRoleBinding", False, "48tpQ8gZHFc="),
            "clusterroles": ("ClusterRole", False, "bYE5ZWDrJ44="),
            "rolebindings": ("RoleBinding", True, "eGsCzGH6b1g="),
            "roles": ("Role", True, "7FuwZcIIItM=")})


class TestDeployment(Base):
    def test_defaults_generation_status(self):
        s, d, _ = self.req("POST", D, deployment("web"))
        self.assertEqual(s, 201, d)
        self.assertEqual(list(d)[:3], ["kind", "apiVersion", "metadata"])
        self.assertEqual(d["metadata"]["generation"], 1)
        self.assertEqual(d["status"], {})
        spec = d["spec"]
        self.assertEqual(spec["strategy"], {"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": "25%", "maxSurge": "25%"}})
        self.assertEqual((spec["revisionHistoryLimit"], spec["progressDeadlineSeconds"]),
                         (10, 600))
        t = spec["template"]
        self.assertIsNone(t["metadata"]["creationTimestamp"])
        self.assertEqual({k: t["spec"][k] for k in ("restartPolicy", "dnsPolicy",
                                                     "schedulerName",
                                                     "terminationGracePeriodSeconds")},
                         {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                          "schedulerName": "default-scheduler",
                          "terminationGracePeriodSeconds": 30})
        self.assertNotIn("serviceAccountName", t["spec"])  # admission defaults Pods only
        c = t["spec"]["containers"][0]
        self.assertEqual((c["imagePullPolicy"], c["terminationMessagePath"]),
                         ("IfNotPresent", "/dev/termination-log"))
        # a label change keeps the generation, a spec change bumps it
        s, d2, _ = self.req("PATCH", D + "/web", {"metadata": {"labels": {"x": "y"}}},
                            ctype="application/merge-patch+json")
        self.assertEqual(d2["metadata"]["generation"], 1)
        s, d3, _ = self.req("PATCH", D + "/web", {"spec": {"replicas": 5}},
                            ctype="application/strategic-merge-patch+json")
        self.assertEqual((d3["metadata"]["generation"], d3["spec"]["replicas"]), (2, 5))
        # status only through /status; a PUT without resourceVersion is allowed for built-ins
        d3["status"] = {"replicas": 5, "readyReplicas": 4}
        s, d4, _ = self.req("PUT", D + "/web", d3)
        self.assertEqual((s, d4["status"]), (200, {}))
        s, d5, _ = self.req("PUT", D + "/web/status", d3)
        self.assertEqual((s, d5["status"]["readyReplicas"]), (200, 4))
        del d5["metadata"]["resourceVersion"]
        d5["spec"]["replicas"] = 6
        s, d6, _ = self.req("PUT", D + "/web", d5)
        self.assertEqual((s, d6["spec"]["replicas"]), (200, 6), d6)

    def test_scale_subresource(self):
        self.req("POST", D, deployment("sc", replicas=1))
        s, sc, _ = self.req("GET", D + "/sc/scale")
        self.assertEqual((s, sc["kind"], sc["apiVersion"], sc["spec"], sc["status"]),
                         (200, "Scale", "autoscaling/v1", {"replicas": 1},
                          {"replicas": 0, "selector": "app=sc"}))
        s, sc, _ = self.req("PATCH", D + "/sc/scale", {"spec": {"replicas": 4}},
                            ctype="application/merge-patch+json")
        self.assertEqual((s, sc["spec"]["replicas"]), (200, 4))
        s, d, _ = self.req("GET", D + "/sc")
        self.assertEqual((d["spec"]["replicas"], d["metadata"]["generation"]), (4, 2))
        s, body, _ = self.req("PATCH", D + "/sc/scale", {"spec": {"replicas": -1}},
                              ctype="application/merge-patch+json")
        self.assertEqual((s, body["message"]), (422, 'Scale.autoscaling "sc" is invalid: '
                         'spec.replicas: Invalid value: -1: must be greater than or equal to 0'))

    def test_validation_422(self):
        bad = deployment("bad")
        del bad["spec"]["selector"]
        bad["spec"]["template"]["spec"]["containers"][0].pop("image")
        s, body, _ = self.req("POST", D, bad)
        self.assertEqual((s, body["reason"]), (422, "Invalid"))
        self.assertEqual(body["message"],
                         'Deployment.apps "bad" is invalid: [spec.selector: Required value, '
                         'spec.template.metadata.labels: Invalid value: '
                         'map[string]string{"app":"bad"}: `selector` does not match template '
                         '`labels`, spec.template.spec.containers[0].image: Required value]')
        self.assertEqual(body["details"]["kind"], "Deployment")
        self.assertEqual(body["details"]["group"], "apps")
        self.assertEqual([c["field"] for c in body["details"]["causes"]],
                         ["spec.selector", "spec.template.metadata.labels",
                          "spec.template.spec.containers[0].image"])
        mism = deployment("mism")
        mism["spec"]["selector"]["matchLabels"] = {"app": "other"}
        self.assertEqual(self.req("POST", D, mism)[0], 422)
        nocont = deployment("nocont")
        nocont["spec"]["template"]["spec"]["containers"] = []
        s, body, _ = self.req("POST", D, nocont)
        self.assertIn("spec.template.spec.containers: Required value", body["message"])
        # the selector is immutable
        self.req("POST", D, deployment("imm"))
        s, body, _ = self.req("PATCH", D + "/imm", {"spec": {
            "selector": {"matchLabels": {"app": "imm", "v": "2"}},
            "template": {"metadata": {"labels": {"app": "imm", "v": "2"}}}}},
            ctype="application/merge-patch+json")
        self.assertEqual(s, 422)
        self.assertIn("spec.selector: Invalid value", body["message"])
        self.assertIn("field is immutable", body["message"])


class TestRbac(Base):
    def test_roles_and_bindings(self):
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": "r"}, "rules": [
                    {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]}
        s, r, _ = self.req("POST", RBAC + "/namespaces/default/roles", role)
        self.assertEqual(s, 201, r)
        self.assertNotIn("generation", r["metadata"])
        s, r, _ = self.req("POST", RBAC + "/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "empty"}})
        self.assertEqual((s, r["rules"]), (201, None))  # rules has no omitempty
        rb = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
              "metadata": {"name": "rb"},
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
              "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"},
                           {"kind": "User", "name": "alice"}]}
        s, b, _ = self.req("POST", RBAC + "/namespaces/default/rolebindings", rb)
        self.assertEqual(s, 201, b)
        self.assertEqual(b["subjects"][1]["apiGroup"], "rbac.authorization.k8s.io")  # defaulted
        s, body, _ = self.req("PATCH", RBAC + "/namespaces/default/rolebindings/rb",
                              {"roleRef": {"name": "other"}},
                              ctype="application/merge-patch+json")
        self.assertEqual(s, 422)
        self.assertEqual(body["message"], 'RoleBinding.rbac.authorization.k8s.io "rb" is invalid: '
                         'roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io"'
                         ', Kind:"Role", Name:"other"}: cannot change roleRef')

    def test_validation_422(self):
        s, body, _ = self.req("POST", RBAC + "/namespaces/default/roles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "bad"}, "rules": [{"resources": ["pods"]},
                                                   {"nonResourceURLs": ["/metrics"],
                                                    "verbs": ["get"]}]})
        self.assertEqual(s, 422)
        self.assertEqual(body["message"],
                         'Role.rbac.authorization.k8s.io "bad" is invalid: [rules[0].verbs: '
                         'Required value: verbs must contain at least one value, '
                         'rules[0].apiGroups: Required value: resource rules must supply at '
                         'least one api group, rules[1].nonResourceURLs: Invalid value: '
                         '[]string{"/metrics"}: namespaced rules cannot apply to non-resource '
                         'URLs]')
        s, body, _ = self.req("POST", RBAC + "/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "bad"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "x"},
            "subjects": [{"kind": "ServiceAccount", "name": "sa"}]})
        self.assertEqual(s, 422)
        self.assertEqual([c["field"] for c in body["details"]["causes"]],
                         ["roleRef.kind", "subjects[0].namespace"])
        self.assertIn('roleRef.kind: Unsupported value: "Role": supported values: '
                      '"ClusterRole"', body["message"])


class TestProtobufBodies(Base):
    def test_secret_body_decoded(self):
        # Secret{metadata{name "pb", labels{a: b}}, data{k: "\x00\xffbin"}, type "Opaque"}
        ld = protobuf._ld
        md = ld(1, b"pb") + ld(11, ld(1, b"a") + ld(2, b"b")) + ld(8, b"")
        body = ld(1, md) + ld(2, ld(1, b"k") + ld(2, b"\x00\xffbin")) + ld(3, b"Opaque")
        raw = protobuf.encode_object("v1", "Secret", body)
        s, obj, r = self.req("POST", "/api/v1/namespaces/default/secrets", raw,
                             ctype=protobuf.MEDIA,
                             headers={"Accept": protobuf.MEDIA + ",application/json"})
        self.assertEqual(s, 201, obj)
        self.assertEqual(r.getheader("Content-Type"), "application/json")
        self.assertEqual((obj["metadata"]["name"], obj["metadata"]["labels"], obj["data"],
                          obj["type"]), ("pb", {"a": "b"}, {"k": "AP9iaW4="}, "Opaque"))
        self.assertTrue(obj["metadata"]["creationTimestamp"])  # the server's, not the body's

    def test_undecodable_bodies_are_415(self):
        ld = protobuf._ld
        raw = protobuf.encode_object("v1", "Pod", ld(1, ld(1, b"p")))
        for path, body in (("/api/v1/namespaces/default/pods", raw),
                           ("/api/v1/namespaces/default/secrets", b"{not protobuf")):
            s, st, _ = self.req("POST", path, body, ctype=protobuf.MEDIA)
            self.assertEqual((s, st["reason"]), (415, "UnsupportedMediaType"), path)
            self.assertEqual(st["message"], "the body of the request was in an unknown format "
                             "- accepted media types include: application/json, "
                             "application/yaml")

    def test_delete_options_body(self):
        """A typed client's DELETE carries protobuf DeleteOptions (helm uninstall)."""
        ld, pb = protobuf._ld, protobuf
        path = "/api/v1/namespaces/default/configmaps/"
        for n in ("del-a", "del-b"):
            self.req("POST", path[:-1], {"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": n}})
        # preconditions.uid that does not match: 409 naming the precondition
        opts = pb.encode_object("v1", "DeleteOptions", ld(2, ld(1, b"not-the-uid")))
        s, body, _ = self.req("DELETE", path + "del-a", opts, ctype=pb.MEDIA)
        self.assertEqual((s, body["reason"]), (409, "Conflict"), body)
        self.assertIn("the UID in the precondition (not-the-uid) does not match", body["message"])
        # propagationPolicy Orphan, dryRun All: still there afterwards
        opts = pb.encode_object("v1", "DeleteOptions", ld(4, b"Orphan") + ld(5, b"All"))
        s, body, _ = self.req("DELETE", path + "del-a", opts, ctype=pb.MEDIA)
        self.assertEqual(s, 200, body)
        self.assertEqual(self.req("GET", path + "del-a")[0], 200)
        # gracePeriodSeconds 0 (a varint 0 that means "now", not "unset")
        opts = pb.encode_object("v1", "DeleteOptions", bytes([1 << 3, 0]))
        s, body, _ = self.req("DELETE", path + "del-b", opts, ctype=pb.MEDIA)
        self.assertEqual((s, body.get("status")), (200, "Success"), body)
        self.assertEqual(self.req("GET", path + "del-b")[0], 404)

    def test_mangled_bodies_never_500(self):
        import random
        ld = protobuf._ld
        md = ld(1, b"mangled") + ld(11, ld(1, b"a") + ld(2, b"b"))
        good = protobuf.encode_object("v1", "ConfigMap", ld(1, md) + ld(2, ld(1, b"k") +
                                                                       ld(2, b"v")))
        rnd = random.Random(7)
        codes = set()
        for i in range(150):
            b = bytearray(good)
            for _ in range(rnd.randint(1, 4)):
                b[rnd.randrange(4, len(b))] = rnd.randrange(256)
            s, body, _ = self.req("POST", "/api/v1/namespaces/default/configmaps", bytes(b),
                                  ctype=protobuf.MEDIA)
            codes.add(s)
            self.assertIn(s, (201, 400, 409, 415, 422), body)
        self.assertIn(415, codes)

    def test_responses_are_never_protobuf(self):
        s, body, r = self.req("GET", "/api/v1/namespaces/default/secrets",
                              headers={"Accept": protobuf.MEDIA + ", application/json"})
        self.assertEqual((s, r.getheader("Content-Type")), (200, "application/json"))


class TestKubectlVersions(Base):
    """create (protobuf bodies from kubectl >= 1.32) and apply (JSON) of built-ins, get tables,
    with each kubectl binary found."""

    def setUp(self):
        self.found = kubectls()
        if not self.found:
            self.skipTest("SKIP: no kubectl on this machine")

    def test_create_apply_get(self):
        if not any(minor(v) >= 32 for v in self.found):
            print("NOTE: no kubectl >= 1.32 here (hack/fetch-tools.sh fetches v1.34); protobuf "
                  "bodies are covered by TestProtobufBodies only", file=sys.stderr)
        for n, (version, exe) in enumerate(sorted(self.found.items())):
            with self.subTest(kubectl=version):
                self._one(n, version, exe)

    def _one(self, n, version, exe):
        def k(*a, **kw):
            return self.ks.kubectl(*a, exe=exe, **kw)
        ns = "kc%d" % n
        k("create", "namespace", ns)
        k("-n", ns, "create", "secret", "generic", "s", "--from-literal=user=admin",
          "--from-literal=pass=s3cr3t")
        got = json.loads(k("-n", ns, "get", "secret", "s", "-o", "json").stdout)
        self.assertEqual((got["type"], got["data"]), ("Opaque", {"user": "YWRtaW4=",
                                                                 "pass": "czNjcjN0"}))
        k("-n", ns, "create", "configmap", "cm", "--from-literal=a=1")
        k("-n", ns, "create", "serviceaccount", "sa")
        k("-n", ns, "create", "role", "r", "--verb=get,list", "--resource=pods")
        k("-n", ns, "create", "rolebinding", "rb", "--role=r", "--serviceaccount=%s:sa" % ns)
        k("create", "clusterrole", "cr-%d" % n, "--verb=get", "--resource=nodes")
        k("create", "clusterrolebinding", "crb-%d" % n, "--clusterrole=cr-%d" % n,
          "--user=bob")
        role = json.loads(k("-n", ns, "get", "role", "r", "-o", "json").stdout)
        self.assertEqual(role["rules"], [{"apiGroups": [""], "resources": ["pods"],
                                          "verbs": ["get", "list"]}])
        wide = k("-n", ns, "get", "rolebinding", "-o", "wide").stdout.splitlines()
        self.assertEqual(wide[0].split(), ["NAME", "ROLE", "AGE", "USERS", "GROUPS",
                                           "SERVICEACCOUNTS"])
        self.assertEqual(wide[1].split()[:2], ["rb", "Role/r"])
        self.assertEqual(wide[1].split()[-1], "%s/sa" % ns)
        manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            deployment("op", replicas=2),
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "applied-%d" % n},
             "rules": [{"apiGroups": ["valkeybench.io"], "resources": ["valkeybenchmarks"],
                        "verbs": ["get", "list", "watch"]}]}]})
        out = k("-n", ns, "apply", "-f", "-", input=manifest).stdout
        self.assertIn("deployment.apps/op created", out)
        self.assertIn("clusterrole.rbac.authorization.k8s.io/applied-%d created" % n, out)
        out = k("-n", ns, "apply", "-f", "-", input=manifest).stdout
        self.assertIn("deployment.apps/op unchanged", out)
        self.assertIn("clusterrole.rbac.authorization.k8s.io/applied-%d unchanged" % n, out)
        out = k("-n", ns, "apply", "-f", "-", input=manifest.replace('"replicas": 2',
                                                                      '"replicas": 3')).stdout
        self.assertIn("deployment.apps/op configured", out)
        wide = k("-n", ns, "get", "deploy", "-o", "wide").stdout.splitlines()
        self.assertEqual(wide[0].split(), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE",
                                           "CONTAINERS", "IMAGES", "SELECTOR"])
        self.assertEqual(wide[1].split()[:4], ["op", "0/3", "0", "0"])
        self.assertEqual(wide[1].split()[-3:], ["main", "valkey/valkey:8.0", "app=op"])
        k("-n", ns, "scale", "deploy", "op", "--replicas=1")
        self.assertEqual(k("-n", ns, "get", "deploy", "op", "-o",
                           "jsonpath={.spec.replicas}").stdout, "1")
        p = k("-n", ns, "apply", "-f", "-", check=False, input=json.dumps(
            deployment("bad", labels={"app": "bad"}, image="")))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("spec.template.spec.containers[0].image: Required value", p.stderr)


class TestRbacAuthorization(unittest.TestCase):
    """--user-token users get what the stored Roles/ClusterRoles bound to them grant (rbac.py)."""
    SA = "system:serviceaccount:ops:op"

    @classmethod
    def setUpClass(cls):
        cls.ks = Kubesim("--user-token", cls.SA + "=sa-token",
                         "--user-token", "alice=alice-token").start()

    @classmethod
    def tearDownClass(cls):
        cls.ks.stop()

    def as_sa(self, method, path, body=None, token="sa-token", **kw):
        return self.ks.request(method, path, body, token=token, **kw)

    def test_bindings_grant_and_deny(self):
        req = self.ks.request
        for ns in ("ops", "other"):
            req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                               "metadata": {"name": ns}})
        # nothing bound yet: 403 with the real wording
        s, body, _ = self.as_sa("GET", "/api/v1/namespaces/ops/pods")
        self.assertEqual((s, body["message"]), (403, 'pods is forbidden: User "%s" cannot list '
                         'resource "pods" in API group "" in the namespace "ops"' % self.SA))
        req("POST", RBAC + "/namespaces/ops/roles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "r"}, "rules": [
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "watch"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"],
                 "resourceNames": ["only-this"]}]})
        req("POST", RBAC + "/namespaces/ops/rolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "rb"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
            "subjects": [{"kind": "ServiceAccount", "name": "op", "namespace": "ops"}]})
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/ops/pods")[0], 200)
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/other/pods")[0], 403)
        self.assertEqual(self.as_sa("GET", "/api/v1/pods")[0], 403)  # all namespaces
        s, body, _ = self.as_sa("GET", "/api/v1/namespaces/ops/pods/p/log")
        self.assertEqual((s, body["message"]), (403, 'pods "p" is forbidden: User "%s" cannot '
                         'get resource "pods/log" in API group "" in the namespace "ops"'
                         % self.SA))
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/ops/secrets/only-this")[0], 404)
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/ops/secrets/another")[0], 403)
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/ops/secrets")[0], 403)
        self.assertEqual(self.as_sa("GET", "/api/v1/namespaces/ops/pods", token="alice-token")[0],
                         403)
        # a ClusterRole bound cluster-wide to a group the user is in
        req("POST", RBAC + "/clusterroles", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "nodes-read"},
            "rules": [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}]})
        req("POST", RBAC + "/clusterrolebindings", {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "sas-read-nodes"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": "nodes-read"},
            "subjects": [{"kind": "Group", "name": "system:serviceaccounts:ops"}]})
        self.assertEqual(self.as_sa("GET", "/api/v1/nodes")[0], 200)
        self.assertEqual(self.as_sa("GET", "/api/v1/nodes", token="alice-token")[0], 403)
        s, log, _ = self.ks.admin("authorizations", method="GET")
        mine = [(d["verb"], d["resource"], d["namespace"], d["allowed"]) for d in log["items"]
                if d["user"] == self.SA]
        self.assertIn(("list", "pods", "ops", True), mine)
        self.assertIn(("get", "pods/log", "ops", False), mine)
        self.assertIn(("list", "nodes", "", True), mine)


if __name__ == "__main__":
    unittest.main()
