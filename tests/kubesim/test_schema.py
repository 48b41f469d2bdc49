"""CRD schema semantics against k8s-reference/04-cr-create-validation: every recorded 201/422
create is replayed through prune_unknown + apply_defaults + validate + invalid_status and
compared with what the real server answered (fixtures/04-cr-create-validation.json holds the
request and response bodies verbatim, and the widgets CRD of 03-crd-create/03)."""
import copy
import json
import os
import unittest

from kubesim import schema

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "04-cr-create-validation.json")) as f:
    REF = json.load(f)
SCHEMA = REF["crd"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
CASES = {c["n"]: c for c in REF["cases"]}


def admit(obj):
    """What the server does to a create body: prune, default, validate."""
    obj = copy.deepcopy(obj)
    unknown = schema.prune_unknown(SCHEMA, obj)
    schema.apply_defaults(SCHEMA, obj)
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    return obj, unknown, schema.validate(SCHEMA, body)


def message_items(msg):
    inner = ", " + msg[msg.index("[") + 1:-1]
    return sorted(inner.split(", spec.")[1:])


def cause_set(causes):
    return sorted(json.dumps(c, sort_keys=True) for c in causes)


class RecordedCreatesTest(unittest.TestCase):
    def test_every_422_matches(self):
        n422 = 0
        for n, case in CASES.items():
            if case["code"] != 422:
                continue
            n422 += 1
            _, _, causes = admit(case["request"])
            want = case["response"]
            name = case["request"]["metadata"]["name"]
            got = schema.invalid_status("Widget", "example.com", name, causes)
            # the real server's cause order is not stable (see the folder README): compare sets
            self.assertEqual(cause_set(got["details"]["causes"]),
                             cause_set(want["details"]["causes"]), n)
            self.assertEqual({k: v for k, v in got.items() if k not in ("details", "message")},
                             {k: v for k, v in want.items() if k not in ("details", "message")})
            self.assertEqual(list(got["details"]), list(want["details"]), n)
            if len(causes) == 1:
                self.assertEqual(got["message"], want["message"], n)
            else:
                self.assertEqual(message_items(got["message"]), message_items(want["message"]),
                                 n)
            self.assertEqual(causes[-1]["reason"] == "FieldValueRequired",
                             want["details"]["causes"][-1]["reason"] == "FieldValueRequired")
        self.assertEqual(n422, 16)

    def test_exact_messages(self):
        msgs = {c["n"]: c["response"]["message"] for c in REF["cases"] if c["code"] == 422}
        self.assertIn('spec.color: Unsupported value: "purple": supported values: "red", '
                      '"green", "blue"', msgs["04"])
        for n in ("04", "05", "06", "07", "08", "10", "11", "15", "16", "17"):
            _, _, causes = admit(CASES[n]["request"])
            got = schema.invalid_status("Widget", "example.com",
                                        CASES[n]["request"]["metadata"]["name"], causes)
            self.assertEqual(got["message"], msgs[n], n)
            self.assertEqual(json.dumps(got), json.dumps(CASES[n]["response"]), n)

    def test_defaults_of_01(self):
        obj, unknown, causes = admit(CASES["01"]["request"])
        self.assertEqual(causes, [])
        self.assertEqual(unknown, [])
        self.assertEqual(obj["spec"], CASES["01"]["response"]["spec"])
        self.assertNotIn("status", obj)

    def test_unknown_fields_of_18_and_19(self):
        obj, unknown, causes = admit(CASES["18"]["request"])
        self.assertEqual(causes, [])
        self.assertEqual(['299 - "unknown field \\"%s\\""' % u for u in unknown],
                         CASES["18"]["warnings"])
        self.assertEqual(obj["spec"], CASES["18"]["response"]["spec"])
        self.assertNotIn("extra", obj)
        self.assertNotIn("bogus", obj["metadata"])
        strict = ('Widget in version "v1" cannot be handled as a Widget: strict decoding error: '
                  + ", ".join('unknown field "%s"' % u for u in unknown))
        self.assertEqual(strict, CASES["19"]["response"]["message"])


WIDGET_STATUS = SCHEMA["properties"]["status"]


class SchemaDetailsTest(unittest.TestCase):
    def test_status_paths_and_formats(self):
        st = {"results": [{"test": "SET", "rps": "fast"}],
              "conditions": [{"type": "Ready", "lastTransitionTime": "yesterday"}],
              "observedGeneration": 1.0}
        causes = schema.validate(WIDGET_STATUS, st, "status")
        self.assertEqual(causes, [
            {"reason": "FieldValueTypeInvalid", "field": "status.results[0].rps",
             "message": 'Invalid value: "string": status.results[0].rps in body must be of '
                        'type number: "string"'},
            {"reason": "FieldValueTypeInvalid", "field": "status.conditions[0].lastTransitionTime",
             "message": 'Invalid value: "yesterday": status.conditions[0].lastTransitionTime in '
                        'body must be of type date-time: "yesterday"'}])
        ok = {"conditions": [{"type": "Ready", "lastTransitionTime": "2026-11-25T00:21:00Z"}]}
        self.assertEqual(schema.validate(WIDGET_STATUS, ok, "status"), [])

    def test_preserve_unknown_and_additional_properties(self):
        s = {"type": "object", "properties": {
            "spec": {"type": "object", "properties": {
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "a": {"type": "integer", "default": 7}}}}}}}}
        obj = {"spec": {"free": {"x": {"y": 1}}, "labels": {"a": "b", "c": 1},
                        "items": [{"a": 1, "zz": 2}, {}], "gone": True}}
        self.assertEqual(schema.prune_unknown(s, obj), ["spec.gone", "spec.items[0].zz"])
        schema.apply_defaults(s, obj)
        self.assertEqual(obj["spec"]["items"], [{"a": 1}, {"a": 7}])
        self.assertEqual(obj["spec"]["free"], {"x": {"y": 1}})
        causes = schema.validate(s, obj)
        self.assertEqual([c["field"] for c in causes], ["spec.labels.c"])

    def test_nulls_defaults_and_nested_defaults(self):
        s = {"type": "object", "properties": {"spec": {"type": "object", "default": {},
             "properties": {"size": {"type": "integer", "default": 3},
                            "opt": {"type": "string"},
                            "nul": {"type": "string", "nullable": True}}}}}
        obj = {}
        schema.apply_defaults(s, obj)
        self.assertEqual(obj, {"spec": {"size": 3}})
        obj = {"spec": {"size": None, "opt": None, "nul": None}}
        schema.apply_defaults(s, obj)
        self.assertEqual(obj, {"spec": {"size": 3, "nul": None}})
        self.assertEqual(schema.validate(s, obj), [])
        self.assertEqual(schema.validate(s, {"spec": {"opt": None}}), [
            {"reason": "FieldValueTypeInvalid", "field": "spec.opt",
             "message": 'Invalid value: "null": spec.opt in body must be of type string: '
                        '"null"'}])

    def test_numbers_and_lists(self):
        s = {"type": "object", "properties": {
            "r": {"type": "number", "minimum": 0.5, "exclusiveMaximum": True, "maximum": 2},
            "m": {"type": "integer", "multipleOf": 5},
            "l": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 2}},
            "set": {"type": "array", "x-kubernetes-list-type": "set",
                    "items": {"type": "string"}},
            "e": {"type": "integer", "enum": [1, 2]},
            "i": {"type": "integer"}}}
        causes = schema.validate(s, {"r": 2, "m": 12, "l": ["a"], "set": ["x", "x"], "e": 3,
                                     "i": 4.0})
        self.assertEqual([c["message"] for c in causes], [
            "Invalid value: 2: r in body should be less than 2",
            "Invalid value: 12: m in body should be a multiple of 5",
            'Invalid value: "a": l[0] in body should be at least 2 chars long',
            "Invalid value: 1: l in body should have at least 2 items",
            'Duplicate value: "x"',
            'Unsupported value: 3: supported values: "1", "2"'])
        self.assertEqual(schema.validate(s, {"r": 0.25})[0]["message"],
                         "Invalid value: 0.25: r in body should be greater than or equal to 0.5")

    def test_list_map_duplicates(self):
        s = {"type": "array", "x-kubernetes-list-type": "map",
             "x-kubernetes-list-map-keys": ["type"],
             "items": {"type": "object", "properties": {"type": {"type": "string"}}}}
        causes = schema.validate(s, [{"type": "Ready"}, {"type": "Synced"}, {"type": "Ready"}],
                                 "status.conditions")
        self.assertEqual(causes, [{"reason": "FieldValueDuplicate",
                                   "message": 'Duplicate value: map[string]interface {}'
                                              '{"type":"Ready"}',
                                   "field": "status.conditions[2]"}])

    def test_invalid_status_for_core_kind(self):
        st = schema.invalid_status("Pod", "", "p", [
            {"reason": "FieldValueRequired", "message": "Required value",
             "field": "spec.containers"}])
        self.assertEqual(st["message"], 'Pod "p" is invalid: spec.containers: Required value')
        self.assertEqual(list(st["details"]), ["name", "kind", "causes"])


if __name__ == "__main__":
    unittest.main()
