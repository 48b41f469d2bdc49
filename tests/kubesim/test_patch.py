"""PATCH semantics: the 15-request-errors sequence on widget w-errors (merge vs JSON patch, the
generic 422 of a failed test/remove/unknown op, the 400 decode error) and strategic merge
patches shaped like the ones kubectl apply/edit/patch send for pods."""
import unittest

from kubesim.patch import PatchError, json_patch, merge_patch, strategic_merge_patch

W = {"apiVersion": "example.com/v1", "kind": "Widget",
     "metadata": {"name": "w-errors", "namespace": "default"},
     "spec": {"color": "blue", "mode": "cluster", "size": 2, "tags": ["a"]}}
REJECTED = "the server rejected our request due to an error in our request"


class JSONPatchTest(unittest.TestCase):
    def assertRejected(self, ops, target=W):
        with self.assertRaises(PatchError) as cm:
            json_patch(target, ops)
        e = cm.exception
        self.assertEqual((e.code, e.reason, e.message), (422, "Invalid", REJECTED))

    def test_failing_test_op_06(self):
        self.assertRejected([{"op": "test", "path": "/spec/size", "value": 5},
                             {"op": "replace", "path": "/spec/size", "value": 6}])

    def test_passing_test_op_07(self):
        got = json_patch(W, [{"op": "test", "path": "/spec/size", "value": 2},
                             {"op": "replace", "path": "/spec/size", "value": 6}])
        self.assertEqual(got["spec"], {"color": "blue", "mode": "cluster", "size": 6,
                                       "tags": ["a"]})
        self.assertEqual(W["spec"]["size"], 2)  # target untouched

    def test_replace_missing_key_adds_09(self):
        got = json_patch(W, [{"op": "replace", "path": "/spec/color2", "value": "red"}])
        self.assertEqual(got["spec"]["color2"], "red")  # pruned later by the schema

    def test_remove_missing_10_and_unknown_op_12(self):
        self.assertRejected([{"op": "remove", "path": "/metadata/labels/missing"}])
        self.assertRejected([{"op": "frobnicate", "path": "/spec/size", "value": 3}])

    def test_object_body_11(self):
        with self.assertRaises(PatchError) as cm:
            json_patch(W, {"spec": {"size": 3}})
        e = cm.exception
        self.assertEqual((e.code, e.reason, e.message), (400, "BadRequest",
                         "error decoding patch: json: cannot unmarshal object into Go value of "
                         "type []handlers.jsonPatchOp"))

    def test_add_append_and_new_map_14(self):
        got = json_patch(W, [{"op": "add", "path": "/spec/tags/-", "value": "b"},
                             {"op": "add", "path": "/metadata/labels",
                              "value": {"patched": "yes"}}])
        self.assertEqual(got["spec"]["tags"], ["a", "b"])
        self.assertEqual(got["metadata"]["labels"], {"patched": "yes"})

    def test_rfc6902_ops(self):
        doc = {"a": [1, 2, 3], "b": {"c~d": 1, "e/f": 2}}
        got = json_patch(doc, [
            {"op": "add", "path": "/a/0", "value": 0},
            {"op": "remove", "path": "/a/-1"},
            {"op": "move", "from": "/b/c~0d", "path": "/x"},
            {"op": "copy", "from": "/b/e~1f", "path": "/a/1"},
            {"op": "test", "path": "/x", "value": 1},
            {"op": "test", "path": "/nope", "value": None}])
        self.assertEqual(got, {"a": [0, 2, 1, 2], "b": {"e/f": 2}, "x": 1})
        self.assertRejected([{"op": "add", "path": "/a/9", "value": 0}], doc)
        self.assertRejected([{"op": "replace", "path": "/a/3", "value": 0}], doc)
        self.assertRejected([{"op": "add", "path": "/q/r", "value": 0}], doc)
        self.assertRejected([{"op": "test", "path": "/a/0", "value": 1.0}], doc)


class MergePatchTest(unittest.TestCase):
    def test_merge_08(self):
        got = merge_patch(W, {"spec": {"size": 7}})
        self.assertEqual(got["spec"], {"color": "blue", "mode": "cluster", "size": 7,
                                       "tags": ["a"]})

    def test_rfc7386(self):
        self.assertEqual(merge_patch({"a": "b", "c": {"d": "e", "f": "g"}},
                                     {"a": "z", "c": {"f": None}}),
                         {"a": "z", "c": {"d": "e"}})
        self.assertEqual(merge_patch({"a": [1, 2]}, {"a": [3]}), {"a": [3]})
        self.assertEqual(merge_patch({}, {"a": {"b": None, "c": 1}}), {"a": {"c": 1}})
        self.assertEqual(merge_patch({"a": 1}, ["x"]), ["x"])


POD = {
    "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}, "finalizers": ["x", "y"],
                 "ownerReferences": [{"uid": "u1", "name": "o1"}]},
    "spec": {"containers": [
        {"name": "main", "image": "valkey:7", "env": [{"name": "A", "value": "1"},
                                                      {"name": "B", "value": "2"}],
         "ports": [{"containerPort": 6379, "protocol": "TCP"}], "args": ["--x"]},
        {"name": "side", "image": "busybox"}],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "tolerations": [{"key": "k", "operator": "Exists"}]},
    "status": {"conditions": [{"type": "Ready", "status": "False"},
                              {"type": "PodScheduled", "status": "True"}]},
}


class StrategicMergePatchTest(unittest.TestCase):
    def test_merge_by_name_and_replace_plain_lists(self):
        got = strategic_merge_patch(POD, {"spec": {
            "containers": [{"name": "main", "image": "valkey:8",
                            "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}],
                            "args": ["--y"]}],
            "tolerations": [{"key": "z", "operator": "Exists"}]}}, "pods")
        main = got["spec"]["containers"][0]
        self.assertEqual(main["image"], "valkey:8")
        self.assertEqual(main["env"], [{"name": "A", "value": "1"}, {"name": "B", "value": "3"},
                                       {"name": "C", "value": "4"}])
        self.assertEqual(main["args"], ["--y"])
        self.assertEqual(main["ports"], POD["spec"]["containers"][0]["ports"])
        self.assertEqual(got["spec"]["containers"][1], {"name": "side", "image": "busybox"})
        self.assertEqual(got["spec"]["tolerations"], [{"key": "z", "operator": "Exists"}])

    def test_directives(self):
        got = strategic_merge_patch(POD, {
            "metadata": {"labels": {"a": None}, "$deleteFromPrimitiveList/finalizers": ["x"],
                         "ownerReferences": [{"$patch": "delete", "uid": "u1"}]},
            "spec": {"containers": [{"name": "side", "$patch": "delete"}],
                     "volumes": [{"name": "data", "$retainKeys": ["name", "configMap"],
                                  "configMap": {"name": "cm"}}]},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}}, "pods")
        self.assertEqual(got["metadata"]["labels"], {"b": "2"})
        self.assertEqual(got["metadata"]["finalizers"], ["y"])
        self.assertEqual(got["metadata"]["ownerReferences"], [])
        self.assertEqual([c["name"] for c in got["spec"]["containers"]], ["main"])
        self.assertEqual(got["spec"]["volumes"], [{"name": "data", "configMap": {"name": "cm"}}])
        self.assertEqual(got["status"]["conditions"], [{"type": "Ready", "status": "True"},
                                                       {"type": "PodScheduled",
                                                        "status": "True"}])

    def test_finalizers_union_and_replace_directive(self):
        got = strategic_merge_patch(POD, {"metadata": {"finalizers": ["y", "z"]}}, "pods")
        self.assertEqual(got["metadata"]["finalizers"], ["x", "y", "z"])
        got = strategic_merge_patch(POD, {"spec": {"containers": [
            {"$patch": "replace"}, {"name": "only", "image": "i"}]}}, "pods")
        self.assertEqual(got["spec"]["containers"], [{"name": "only", "image": "i"}])
        got = strategic_merge_patch(POD, {"metadata": {"labels": {"$patch": "replace",
                                                                  "c": "3"}}}, "pods")
        self.assertEqual(got["metadata"]["labels"], {"c": "3"})

    def test_set_element_order(self):
        # what kubectl apply sends when it adds a container in front of the existing ones
        got = strategic_merge_patch(POD, {"spec": {
            "$setElementOrder/containers": [{"name": "new"}, {"name": "main"}, {"name": "side"}],
            "containers": [{"name": "new", "image": "n"}]}}, "pods")
        self.assertEqual([c["name"] for c in got["spec"]["containers"]], ["new", "main", "side"])
        got = strategic_merge_patch(POD, {"spec": {
            "$setElementOrder/containers": [{"name": "side"}, {"name": "main"}]}}, "pods")
        self.assertEqual([c["name"] for c in got["spec"]["containers"]], ["side", "main"])
        self.assertNotIn("$setElementOrder/containers", got["spec"])

    def test_missing_merge_key_and_bad_retain_keys(self):
        with self.assertRaises(PatchError) as cm:
            strategic_merge_patch(POD, {"spec": {"containers": [{"image": "x"}]}}, "pods")
        self.assertEqual(cm.exception.code, 400)
        with self.assertRaises(PatchError) as cm:
            strategic_merge_patch(POD, {"spec": {"volumes": [
                {"name": "data", "$retainKeys": ["name"], "emptyDir": {}}]}}, "pods")
        self.assertEqual(cm.exception.message, "invalid patch format of retainKeys")

    def test_new_fields_and_node_addresses(self):
        node = {"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}}
        got = strategic_merge_patch(node, {"status": {"addresses": [
            {"type": "Hostname", "address": "n1"}]}, "spec": {"taints": [{"key": "t"}]}},
            "nodes")
        self.assertEqual(got["status"]["addresses"],
                         [{"type": "InternalIP", "address": "10.0.0.1"},
                          {"type": "Hostname", "address": "n1"}])
        self.assertEqual(got["spec"], {"taints": [{"key": "t"}]})


if __name__ == "__main__":
    unittest.main()
