"""Kubernetes JSONPath as printer columns use it (07-tables columns and client-go semantics)."""
import unittest

from kubesim.jsonpath import JSONPathError, evaluate, find_results

W = {
    "apiVersion": "example.com/v1", "kind": "Widget",
    "metadata": {"name": "bench-a", "labels": {"app.kubernetes.io/name": "valkey"},
                 "creationTimestamp": "2026-11-25T00:20:12Z"},
    "spec": {"mode": "cluster", "size": 3, "tags": ["a", "b", "c"], "nothing": None},
    "status": {"phase": "Succeeded",
               "results": [{"test": "SET", "rps": 152340.5, "p50Ms": 0.311},
                           {"test": "GET", "rps": 201877, "p50Ms": 0.239}],
               "conditions": [{"type": "Ready", "status": "True"},
                              {"type": "Progressing", "status": "False"}]},
}


class JSONPathTest(unittest.TestCase):
    def test_printer_columns_of_the_reference_crd(self):
        self.assertEqual(evaluate(".spec.mode", W), ["cluster"])
        self.assertEqual(evaluate(".status.phase", W), ["Succeeded"])
        self.assertEqual(evaluate('.status.results[?(@.test=="SET")].rps', W), [152340.5])
        self.assertEqual(evaluate('.status.conditions[?(@.type=="Ready")].status', W), ["True"])
        self.assertEqual(evaluate(".metadata.creationTimestamp", W), ["2026-11-25T00:20:12Z"])
        self.assertEqual(evaluate(".spec.size", W), [3])

    def test_template_braces_and_root(self):
        self.assertEqual(evaluate("{.spec.mode}", W), ["cluster"])
        self.assertEqual(evaluate("$.spec.mode", W), ["cluster"])
        self.assertEqual(find_results("{.spec.mode} {.spec.size}", W), [["cluster"], [3]])

    def test_missing_and_null(self):
        self.assertEqual(evaluate(".spec.color", W), [])
        self.assertEqual(evaluate(".nope.deeper", W), [])
        self.assertEqual(evaluate(".spec.nothing", W), [None])
        self.assertEqual(evaluate('.status.results[?(@.test=="DEL")].rps', W), [])

    def test_arrays(self):
        self.assertEqual(evaluate(".spec.tags[0]", W), ["a"])
        self.assertEqual(evaluate(".spec.tags[-1]", W), ["c"])
        self.assertEqual(evaluate(".spec.tags[1:]", W), ["b", "c"])
        self.assertEqual(evaluate(".spec.tags[0:3:2]", W), ["a", "c"])
        self.assertEqual(evaluate(".spec.tags[*]", W), ["a", "b", "c"])
        self.assertEqual(evaluate(".spec.tags[0,2]", W), ["a", "c"])
        self.assertEqual(evaluate(".status.results[*].test", W), ["SET", "GET"])
        # out of range is an evaluation error in client-go: no value
        self.assertEqual(evaluate(".spec.tags[7]", W), [])

    def test_keys_with_dots(self):
        self.assertEqual(evaluate(".metadata.labels['app.kubernetes.io/name']", W), ["valkey"])
        self.assertEqual(evaluate('.metadata.labels["app.kubernetes.io/name"]', W), ["valkey"])
        self.assertEqual(evaluate(r".metadata.labels.app\.kubernetes\.io/name", W), ["valkey"])

    def test_filters(self):
        self.assertEqual(evaluate('.status.conditions[?(@.status!="True")].type', W),
                         ["Progressing"])
        self.assertEqual(evaluate(".status.results[?(@.p50Ms < 0.3)].test", W), ["GET"])
        self.assertEqual(evaluate(".status.results[?(@.rps)].test", W), ["SET", "GET"])
        self.assertEqual(evaluate(".status.results[?(@.nope)].test", W), [])
        # int vs float is "incompatible types for comparison" in Go: the column is empty
        self.assertEqual(evaluate(".status.results[?(@.rps > 200000)].test", W), [])

    def test_wildcard_and_recursive(self):
        self.assertEqual(evaluate("..rps", W), [152340.5, 201877])
        self.assertEqual(sorted(evaluate(".metadata.labels.*", W)), ["valkey"])

    def test_parse_error(self):
        with self.assertRaises(JSONPathError):
            evaluate(".spec.tags[abc]", W)
        with self.assertRaises(JSONPathError):
            evaluate("{.spec.mode", W)


class RobustnessTest(unittest.TestCase):
    def test_random_input_only_raises_jsonpath_error(self):
        import random
        rng = random.Random(4321)
        alphabet = ".[]{}()?@$*:,'\"=<>!-0123abc status"
        for _ in range(3000):
            s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
            try:
                self.assertIsInstance(evaluate(s, W), list)
            except JSONPathError:
                pass


if __name__ == "__main__":
    unittest.main()
