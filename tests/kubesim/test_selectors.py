"""Label and field selectors against k8s-reference/10-selectors (the 400 messages verbatim)."""
import unittest

from kubesim.selectors import SelectorError, parse_field_selector, parse_label_selector

WIDGETS = {
    "sel-1": {"app.kubernetes.io/name": "valkey", "tier": "cache", "env": "prod"},
    "sel-2": {"app.kubernetes.io/name": "valkey", "tier": "cache", "env": "staging"},
    "sel-3": {"app.kubernetes.io/name": "valkey", "env": "dev"},
    "sel-4": {"tier": "db", "env": "prod"},
    "sel-5": {},
}


def widget(name):
    return {"metadata": {"name": name, "namespace": "default", "labels": WIDGETS[name]}}


def names(label=None, field=None, plural="widgets"):
    lm = parse_label_selector(label) if label is not None else (lambda labels: True)
    fm = parse_field_selector(field, plural) if field is not None else (lambda o: True)
    return sorted(n for n in WIDGETS
                  if lm(widget(n)["metadata"]["labels"]) and fm(widget(n)))


class LabelSelectorTest(unittest.TestCase):
    def test_operators_like_transcript(self):
        self.assertEqual(names("env=prod"), ["sel-1", "sel-4"])                       # 01
        self.assertEqual(names("env!=prod"), ["sel-2", "sel-3", "sel-5"])              # 02
        self.assertEqual(names("env in (prod,staging)"), ["sel-1", "sel-2", "sel-4"])  # 03
        self.assertEqual(names("env notin (prod,staging)"), ["sel-3", "sel-5"])        # 04
        self.assertEqual(names("tier"), ["sel-1", "sel-2", "sel-4"])                   # 05
        self.assertEqual(names("!tier"), ["sel-3", "sel-5"])                           # 06
        self.assertEqual(names("app.kubernetes.io/name=valkey,tier=cache"),
                         ["sel-1", "sel-2"])                                           # 07
        self.assertEqual(names("env==prod"), ["sel-1", "sel-4"])                       # 08
        self.assertEqual(names("tier,!env"), [])                                       # 17
        self.assertEqual(names("env in (prod,staging),tier notin (db)",
                               "metadata.name!=sel-2"), ["sel-1"])                     # 18
        self.assertEqual(names("env", "metadata.name=sel-1,metadata.namespace=default"),
                         ["sel-1"])                                                    # 19
        self.assertEqual(names(""), sorted(WIDGETS))

    def test_gt_lt_and_spaces(self):
        m = parse_label_selector("  size > 3 , size<10")
        self.assertFalse(m({"size": "3"}))
        self.assertTrue(m({"size": "4"}))
        self.assertFalse(m({"size": "x"}))
        self.assertFalse(m({}))
        self.assertTrue(parse_label_selector("a>1")({"a": "2"}))
        with self.assertRaises(SelectorError):  # "gt" is only the name in the message
            parse_label_selector("size gt 3")

    def test_error_messages_verbatim(self):
        cases = {
            "env in (prod": "unable to parse requirement: found '', expected: ',' or ')'",  # 12
            "env=Bad Value!": "found 'Value', expected: ',' or 'end of string'",           # 13
            "env=bad/value":                                                                # 20
                "unable to parse requirement: values[0][env]: Invalid value: \"bad/value\": "
                "a valid label must be an empty string or consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
                "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            "Bad Key=x": "unable to parse requirement: found 'Key', expected: in, notin, =, ==, "
                         "!=, gt, lt",                                                      # 21
            "a,": "found '', expected: identifier after ','",
            "=x": "found '=', expected: !, identifier, or 'end of string'",
        }
        for sel, msg in cases.items():
            with self.assertRaises(SelectorError, msg=sel) as cm:
                parse_label_selector(sel)
            self.assertEqual(cm.exception.message, msg)
            self.assertEqual(str(cm.exception), msg)

    def test_bad_key(self):
        with self.assertRaises(SelectorError) as cm:
            parse_label_selector("a/b/c=x")
        self.assertTrue(cm.exception.message.startswith(
            'unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name must '
            'consist of'), cm.exception.message)


PODS = [
    {"metadata": {"name": "valkey-0", "namespace": "default"},
     "spec": {"nodeName": "ip-10-0-1-1.us-west-2a", "restartPolicy": "Always"},
     "status": {"phase": "Running", "podIPs": [{"ip": "127.0.0.1"}]}},
    {"metadata": {"name": "valkey-3", "namespace": "default"},
     "spec": {"restartPolicy": "Always"}, "status": {"phase": "Pending"}},
    {"metadata": {"name": "valkey-bench", "namespace": "default"},
     "spec": {"nodeName": "ip-10-0-1-1.us-west-2a", "restartPolicy": "Never"},
     "status": {"phase": "Succeeded"}},
    {"metadata": {"name": "valkey-bench-unschedulable", "namespace": "default"},
     "spec": {"restartPolicy": "Never"}, "status": {"phase": "Pending"}},
]


def pods(sel):
    m = parse_field_selector(sel, "pods")
    return [p["metadata"]["name"] for p in PODS if m(p)]


class FieldSelectorTest(unittest.TestCase):
    def test_widgets(self):
        self.assertEqual(names(field="metadata.name=sel-3"), ["sel-3"])               # 09
        self.assertEqual(len(names(field="metadata.name!=sel-3")), 4)                  # 10
        self.assertEqual(len(names(field="metadata.namespace=default")), 5)            # 11

    def test_pods(self):
        self.assertEqual(pods("spec.nodeName=ip-10-0-1-1.us-west-2a"),
                         ["valkey-0", "valkey-bench"])                                 # 30
        self.assertEqual(pods("status.phase=Pending"),
                         ["valkey-3", "valkey-bench-unschedulable"])                   # 32
        self.assertEqual(pods("spec.nodeName="),
                         ["valkey-3", "valkey-bench-unschedulable"])                   # 34
        self.assertEqual(pods("status.phase!=Running,spec.nodeName!="), ["valkey-bench"])  # 35
        self.assertEqual(pods("spec.restartPolicy=Never"),
                         ["valkey-bench", "valkey-bench-unschedulable"])               # 38
        self.assertEqual(pods("spec.nodeName=ip-10-0-1-1.us-west-2a,status.phase!=Succeeded,"
                              "status.phase!=Failed"), ["valkey-0"])                   # 40
        self.assertEqual(pods("status.podIP=127.0.0.1"), ["valkey-0"])
        self.assertEqual(pods("spec.hostNetwork=false"), [p["metadata"]["name"] for p in PODS])

    def test_errors_verbatim(self):
        cases = [("spec.mode=cluster", "widgets", "field label not supported: spec.mode"),      # 14
                 ("status.phase=Running", "widgets", "field label not supported: status.phase"),
                 ("metadata.name", "widgets",
                  "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),       # 16
                 ("spec.priority=0", "pods", "field label not supported: spec.priority"),       # 37
                 ("metadata.name=a\\x", "pods",
                  "invalid field selector: invalid escape sequence: \\x")]
        for sel, plural, msg in cases:
            with self.assertRaises(SelectorError, msg=sel) as cm:
                parse_field_selector(sel, plural)
            self.assertEqual(cm.exception.message, msg)

    def test_escaped_value(self):
        m = parse_field_selector("metadata.name=a\\,b", "configmaps")
        self.assertTrue(m({"metadata": {"name": "a,b"}}))
        self.assertFalse(m({"metadata": {"name": "a"}}))

    def test_events_fields(self):
        m = parse_field_selector("involvedObject.name=valkey-bench-unschedulable,type=Warning",
                                 "events")
        self.assertTrue(m({"involvedObject": {"name": "valkey-bench-unschedulable"},
                           "type": "Warning"}))
        self.assertTrue(m({"regarding": {"name": "valkey-bench-unschedulable"},
                           "type": "Warning"}))
        self.assertFalse(m({"involvedObject": {"name": "x"}, "type": "Warning"}))


class RobustnessTest(unittest.TestCase):
    def test_random_input_only_raises_selector_error(self):
        import random
        rng = random.Random(1234)
        alphabet = "ab=!(),<> in notin\\x/.-_1"
        for _ in range(3000):
            s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
            for parse in (parse_label_selector, lambda x: parse_field_selector(x, "pods")):
                try:
                    m = parse(s)
                except SelectorError:
                    continue
                m({"a": "1"}) if parse is parse_label_selector else m(PODS[0])


if __name__ == "__main__":
    unittest.main()
