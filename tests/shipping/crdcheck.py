#!/usr/bin/env python3
"""Structural-schema checks for the project's CRDs, and validation of objects against them.

The YAML is read through yaml2json (libyaml), so this needs only python3's stdlib.

  crdcheck.py YAML2JSON crds         CRD_FILE...   structural rules + the API.md contract
  crdcheck.py YAML2JSON objects      CRD_DIR FILE...  every ValkeyBenchmark/ValkeyTopologyCheck
                                                   in FILEs is valid (after defaulting) and has no
                                                   field the API server would prune
  crdcheck.py YAML2JSON self-test    CRD_FILE      broken copies of a CRD must be refused
"""
import copy
import json
import re
import subprocess
import sys

GROUP = "valkeybench.io"
VERSION = "v1alpha1"


def load_yaml(yaml2json, path):
    out = subprocess.run([yaml2json, path], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def is_int_or_string(s):
    return s.get("x-kubernetes-int-or-string") is True


def json_type_ok(value, typ):
    if typ == "object":
        return isinstance(value, dict)
    if typ == "array":
        return isinstance(value, list)
    if typ == "string":
        return isinstance(value, str)
    if typ == "boolean":
        return isinstance(value, bool)
    if typ == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if typ == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def validate(value, schema, path, errors, pruned=None):
    """A validator for the OpenAPI subset our CRDs use. pruned collects unknown fields."""
    if is_int_or_string(schema):
        if not (json_type_ok(value, "integer") or json_type_ok(value, "string")):
            errors.append(f"{path}: want integer or string, got {value!r}")
            return
        if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        return
    typ = schema.get("type")
    if not json_type_ok(value, typ):
        errors.append(f"{path}: want {typ}, got {value!r}")
        return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in enum {schema['enum']}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: {value} < minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: {value} > maximum {schema['maximum']}")
    if typ == "string":
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{path}: shorter than minLength {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if schema.get("format") == "date-time" and not re.match(
                r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", value):
            errors.append(f"{path}: {value!r} is not an RFC 3339 date-time")
    if typ == "array":
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than minItems {schema['minItems']}")
        if schema.get("x-kubernetes-list-type") == "set" and len(set(map(json.dumps, value))) != len(value):
            errors.append(f"{path}: duplicate items in a set list")
        for i, item in enumerate(value):
            validate(item, schema["items"], f"{path}[{i}]", errors, pruned)
    if typ == "object":
        for req in schema.get("required", []):
            if req not in value:
                errors.append(f"{path}: missing required field {req}")
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if props is not None and k in props:
                validate(v, props[k], f"{path}.{k}", errors, pruned)
            elif isinstance(extra, dict):
                validate(v, extra, f"{path}.{k}", errors, pruned)
            elif props is not None and pruned is not None and path != "":
                pruned.append(f"{path}.{k}")


def apply_defaults(value, schema):
    """Kubernetes defaulting: fill absent properties that have a default, recursively."""
    if isinstance(value, dict) and schema.get("type") == "object":
        for k, sub in schema.get("properties", {}).items():
            if k not in value and "default" in sub:
                value[k] = copy.deepcopy(sub["default"])
            if k in value:
                apply_defaults(value[k], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for k in list(value):
                if k not in schema.get("properties", {}):
                    apply_defaults(value[k], extra)
    elif isinstance(value, list) and schema.get("type") == "array":
        for item in value:
            apply_defaults(item, schema["items"])
    return value


def walk(schema, path, visit):
    visit(schema, path)
    for k, sub in schema.get("properties", {}).items():
        walk(sub, f"{path}.{k}", visit)
    if isinstance(schema.get("additionalProperties"), dict):
        walk(schema["additionalProperties"], f"{path}.*", visit)
    if "items" in schema:
        walk(schema["items"], f"{path}[]", visit)


def structural_errors(root):
    errors = []

    def visit(s, path):
        if path == ".metadata":
            if set(s) != {"type"} or s["type"] != "object":
                errors.append(f"{path}: must be exactly {{type: object}}")
            return
        if not s.get("description", "").strip():
            errors.append(f"{path or '<root>'}: no description")
        if is_int_or_string(s):
            if s.get("anyOf") != [{"type": "integer"}, {"type": "string"}] or "type" in s:
                errors.append(f"{path}: int-or-string wants anyOf [integer, string] and no type")
        elif s.get("type") not in ("object", "array", "string", "integer", "number", "boolean"):
            errors.append(f"{path}: no valid type")
        if s.get("type") == "array" and "items" not in s:
            errors.append(f"{path}: array without items")
        if s.get("type") == "object" and "properties" in s and "additionalProperties" in s:
            errors.append(f"{path}: properties and additionalProperties together")
        for kw in ("minimum", "maximum"):
            if kw in s and s.get("type") not in ("integer", "number"):
                errors.append(f"{path}: {kw} on a non-number")
        if "minimum" in s and "maximum" in s and s["minimum"] > s["maximum"]:
            errors.append(f"{path}: minimum > maximum")
        for e in s.get("enum", []):
            validate(e, {k: v for k, v in s.items() if k not in ("enum", "default")}, f"{path}.enum", errors)
        for req in s.get("required", []):
            if req not in s.get("properties", {}):
                errors.append(f"{path}: required {req} is not a property")
        if s.get("x-kubernetes-list-type") == "map":
            keys = s.get("x-kubernetes-list-map-keys", [])
            item = s.get("items", {})
            if not keys:
                errors.append(f"{path}: list-type map without list-map-keys")
            for k in keys:
                if k not in item.get("required", []) and "default" not in item.get("properties", {}).get(k, {}):
                    errors.append(f"{path}: list-map-key {k} is neither required nor defaulted")
        if "default" in s:
            # A default must itself be valid after its own nested defaults are applied.
            d = apply_defaults(copy.deepcopy(s["default"]), s)
            errs, pruned = [], []
            validate(d, s, f"{path}.default", errs, pruned)
            errors.extend(errs)
            errors.extend(f"{p}: default has a field the schema does not know" for p in pruned)

    walk(root, "", visit)
    return errors


def schema_at(root, jsonpath):
    """The schema node a simple printer-column JSONPath (.a.b.c) points at, or None."""
    if not re.match(r"^(\.[A-Za-z0-9_-]+)+$", jsonpath):
        return None
    node = root
    for part in jsonpath.split(".")[1:]:
        while node.get("type") == "array":
            node = node["items"]
        props = node.get("properties")
        if props is None or part not in props:
            return None
        node = props[part]
    return node


COLUMN_TYPES = {"string": ("string",), "integer": ("integer",), "number": ("number", "integer"),
                "boolean": ("boolean",), "date": ("string",)}


def printer_column_errors(version, root):
    errors = []
    for col in version.get("additionalPrinterColumns", []):
        name, jp, typ = col.get("name"), col.get("jsonPath", ""), col.get("type")
        if jp == ".metadata.creationTimestamp":
            if typ != "date":
                errors.append(f"column {name}: creationTimestamp wants type date")
            continue
        node = schema_at(root, jp)
        if node is None:
            errors.append(f"column {name}: {jp} is not a schema field")
            continue
        if node.get("type") not in COLUMN_TYPES.get(typ, ()):
            errors.append(f"column {name}: type {typ} but {jp} is {node.get('type')}")
        if typ == "date" and node.get("format") != "date-time":
            errors.append(f"column {name}: type date but {jp} is not a date-time")
        if not col.get("description") and name != "Age":
            errors.append(f"column {name}: no description")
    return errors


# What API.md promises, checked field by field: (path, key, expected value).
CONTRACT = {
    "ValkeyBenchmark": {
        "plural": "valkeybenchmarks", "shortNames": ["vkb"],
        "columns": [("Mode", ".spec.target.mode", 0), ("Phase", ".status.phase", 0),
                    ("RPS", ".status.rpsSummary", 0), ("Age", ".metadata.creationTimestamp", 0),
                    ("P50-MS", ".status.p50Summary", 1), ("Clients", ".spec.workload.clients", 1),
                    ("Pipeline", ".spec.workload.pipeline", 1), ("DataSize", ".spec.workload.dataSize", 1),
                    ("Runners", ".spec.runners", 1)],
        "fields": [
            (".spec", "required", ["target"]),
            (".spec.target", "required", ["host"]),
            (".spec.target.mode", "enum", ["cluster", "replication", "standalone"]),
            (".spec.target.mode", "default", "cluster"),
            (".spec.target.host", "minLength", 1),
            (".spec.target.port", "default", 6379), (".spec.target.port", "minimum", 1),
            (".spec.target.port", "maximum", 65535),
            (".spec.target.readFrom", "enum", ["primary", "replicas", "any"]),
            (".spec.target.readFrom", "default", "primary"),
            (".spec.auth", "required", ["secretName"]),
            (".spec.auth.passwordKey", "default", "password"),
            (".spec.auth.usernameKey", "type", "string"),
            (".spec.workload", "default", {}),
            (".spec.workload.requests", "default", 500000), (".spec.workload.requests", "minimum", 1),
            (".spec.workload.clients", "default", 50), (".spec.workload.clients", "maximum", 10000),
            (".spec.workload.pipeline", "default", 16), (".spec.workload.pipeline", "maximum", 1024),
            (".spec.workload.dataSize", "default", 256), (".spec.workload.dataSize", "maximum", 1048576),
            (".spec.workload.threads", "default", 4), (".spec.workload.threads", "maximum", 64),
            (".spec.workload.keyspaceLen", "default", 1000000),
            (".spec.workload.tests", "default", ["set", "get"]), (".spec.workload.tests", "minItems", 1),
            (".spec.workload.tests[]", "enum",
             ["set", "get", "incr", "ping", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "mset"]),
            (".spec.workload.durationSeconds", "minimum", 1),
            (".spec.workload.warmupSeconds", "default", 0),
            (".spec.workloadName", "type", "string"),
            (".spec.runners", "default", 1), (".spec.runners", "maximum", 64),
            (".spec.placement", "default", {}),
            (".spec.placement.capacityType", "default", "on-demand"),
            (".spec.placement.capacityType", "enum", ["on-demand", "spot"]),
            (".spec.placement.instanceTypes", "default", ["r7g.large"]),
            (".spec.placement.arch", "default", "arm64"),
            (".spec.placement.arch", "enum", ["arm64", "amd64"]),
            (".spec.placement.zones", "type", "array"),
            (".spec.placement.spreadAcrossZones", "default", True),
            (".spec.placement.avoidPodSelector", "default", {"matchLabels": {"app.kubernetes.io/name": "valkey"}}),
            (".spec.placement.nodeSelector", "type", "object"),
            (".spec.placement.tolerations", "type", "array"),
            (".spec.placement.resources", "default",
             {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}),
            (".spec.image", "type", "string"),
            (".spec.keepRunner", "default", False),
            (".spec.requireTopologyCheck", "type", "string"),
            (".spec.schedulingTimeoutSeconds", "default", 600),
            (".spec.maxRunnerRetries", "default", 2), (".spec.maxRunnerRetries", "maximum", 10),
            (".status.phase", "enum", ["Pending", "Scheduling", "Running", "Succeeded", "Failed"]),
            (".status.runID", "type", "string"),
            (".status.startTime", "format", "date-time"), (".status.completionTime", "format", "date-time"),
            (".status.runners[].zone", "type", "string"),
            (".status.results[].p999Ms", "type", "number"), (".status.results[].redirects", "type", "integer"),
            (".status.keyCounts[].keys", "type", "integer"),
            (".status.clusterCheck.slotsCovered", "type", "boolean"),
            (".status.clusterCheck.nodesAgree", "type", "boolean"),
            (".status.conditions", "x-kubernetes-list-type", "map"),
        ],
    },
    "ValkeyTopologyCheck": {
        "plural": "valkeytopologychecks", "shortNames": ["vtc"],
        "columns": [("Result", ".status.result", 0), ("State", ".status.clusterInfo.state", 0),
                    ("Slots-OK", ".status.clusterInfo.slotsOk", 0), ("Primaries", ".status.primaries", 0),
                    ("Cross-Zone", ".status.crossZonePairs", 0), ("Last-Check", ".status.lastCheckTime", 0),
                    ("Age", ".metadata.creationTimestamp", 0), ("Message", ".status.firstFailure", 1)],
        "fields": [
            (".spec", "required", ["target", "podSelector"]),
            (".spec.target.mode", "enum", ["cluster", "replication"]),
            (".spec.target.mode", "default", "cluster"),
            (".spec.target.port", "default", 6379),
            (".spec.auth.passwordKey", "default", "password"),
            (".spec.podSelector.matchLabels", "type", "object"),
            (".spec.zoneLabel", "default", "topology.kubernetes.io/zone"),
            (".spec.requirements", "default", {}),
            (".spec.requirements.clusterStateOk", "default", True),
            (".spec.requirements.allSlotsCovered", "default", True),
            (".spec.requirements.minReplicasPerPrimary", "default", 1),
            (".spec.requirements.minReplicasPerPrimary", "maximum", 10),
            (".spec.requirements.replicaInDifferentZone", "default", True),
            (".spec.intervalSeconds", "default", 300), (".spec.intervalSeconds", "minimum", 0),
            (".status.result", "enum", ["PASS", "FAIL"]),
            (".status.checks[].passed", "type", "boolean"),
            (".status.clusterInfo.slotsPfail", "type", "integer"),
            (".status.topology[].replicas[].crossZone", "type", "boolean"),
            (".status.topology[].replicas[].lagBytes", "type", "integer"),
            (".status.topology[].valkeyZone", "type", "string"),
            (".status.lastCheckTime", "format", "date-time"),
            (".status.conditions", "x-kubernetes-list-type", "map"),
        ],
    },
}


def node_at(root, path):
    node = root
    for part in re.findall(r"\.[A-Za-z0-9_-]+|\[\]", path):
        node = node.get("items") if part == "[]" else node.get("properties", {}).get(part[1:])
        if node is None:
            return None
    return node


def crd_errors(crd):
    errors = []
    spec = crd.get("spec", {})
    kind = spec.get("names", {}).get("kind")
    want = CONTRACT.get(kind)
    if crd.get("apiVersion") != "apiextensions.k8s.io/v1" or crd.get("kind") != "CustomResourceDefinition":
        return [f"not an apiextensions.k8s.io/v1 CustomResourceDefinition"]
    if want is None:
        return [f"unknown kind {kind}"]
    names = spec["names"]
    if crd["metadata"]["name"] != f"{names['plural']}.{GROUP}" or spec.get("group") != GROUP:
        errors.append("metadata.name must be <plural>.valkeybench.io")
    if names.get("plural") != want["plural"] or names.get("shortNames") != want["shortNames"]:
        errors.append(f"names: want plural {want['plural']} shortNames {want['shortNames']}")
    if names.get("categories") != ["valkey"]:
        errors.append("names.categories must be [valkey]")
    if spec.get("scope") != "Namespaced":
        errors.append("scope must be Namespaced")
    versions = spec.get("versions", [])
    if [v.get("name") for v in versions] != [VERSION]:
        return errors + [f"want exactly one version {VERSION}"]
    v = versions[0]
    if not (v.get("served") and v.get("storage")):
        errors.append("v1alpha1 must be served and storage")
    if v.get("subresources", {}).get("status") != {}:
        errors.append("status subresource missing")
    root = v.get("schema", {}).get("openAPIV3Schema", {})
    errors += structural_errors(root)
    errors += printer_column_errors(v, root)
    cols = [(c["name"], c["jsonPath"], c.get("priority", 0)) for c in v.get("additionalPrinterColumns", [])]
    if cols != want["columns"]:
        errors.append(f"printer columns {cols} != API.md {want['columns']}")
    for path, key, value in want["fields"]:
        node = node_at(root, path)
        if node is None:
            errors.append(f"{path}: missing (API.md)")
        elif node.get(key) != value:
            errors.append(f"{path}: {key} is {node.get(key)!r}, API.md says {value!r}")
    return [f"{kind}: {e}" for e in errors]


def load_crds(yaml2json, paths):
    crds = {}
    for p in paths:
        for doc in load_yaml(yaml2json, p):
            crds[doc["spec"]["names"]["kind"]] = doc
    return crds


def object_errors(obj, crds):
    kind = obj.get("kind")
    if obj.get("apiVersion") != f"{GROUP}/{VERSION}" or kind not in crds:
        return []
    root = crds[kind]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    name = obj.get("metadata", {}).get("name", "?")
    errs, pruned = [], []
    validate(apply_defaults(copy.deepcopy(obj), root), root, "", errs, pruned)
    return [f"{kind}/{name}: {e}" for e in errs] + [f"{kind}/{name}: {p} unknown (would be pruned)" for p in pruned]


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    yaml2json, cmd, args = argv[1], argv[2], argv[3:]
    if cmd == "crds":
        errors = []
        for path in args:
            for doc in load_yaml(yaml2json, path):
                errors += [f"{path}: {e}" for e in crd_errors(doc)]
        for e in errors:
            print("FAIL", e)
        print(f"crdcheck: {len(args)} CRD files, {len(errors)} problems")
        return 1 if errors else 0
    if cmd == "objects":
        import glob
        crds = load_crds(yaml2json, sorted(glob.glob(args[0] + "/*.yaml")))
        errors, count = [], 0
        for path in args[1:]:
            for doc in load_yaml(yaml2json, path):
                if doc.get("kind") in crds:
                    count += 1
                errors += [f"{path}: {e}" for e in object_errors(doc, crds)]
        for e in errors:
            print("FAIL", e)
        print(f"crdcheck: {count} custom objects in {len(args) - 1} files, {len(errors)} problems")
        return 1 if errors or count == 0 else 0
    if cmd == "self-test":
        crd = load_yaml(yaml2json, args[0])[0]
        if crd_errors(crd):
            print("self-test: the pristine CRD must pass first")
            return 1
        root = lambda c: c["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        mutations = {
            "missing description": lambda c: root(c)["properties"]["spec"]["properties"]["target"].pop("description"),
            "missing type": lambda c: root(c)["properties"]["spec"]["properties"]["target"].pop("type"),
            "default outside enum": lambda c: root(c)["properties"]["spec"]["properties"]["target"]["properties"]["mode"].update(default="sharded"),
            "default over maximum": lambda c: root(c)["properties"]["spec"]["properties"]["target"]["properties"]["port"].update(default=70000),
            "printer column to nowhere": lambda c: c["spec"]["versions"][0]["additionalPrinterColumns"][0].update(jsonPath=".spec.target.nothing"),
            "required field defaulted away": lambda c: root(c)["properties"]["spec"]["properties"]["target"].update(default={}),
        }
        failed = 0
        for name, mutate in mutations.items():
            broken = copy.deepcopy(crd)
            mutate(broken)
            found = crd_errors(broken)
            print(f"self-test: {name}: {'refused' if found else 'NOT REFUSED'}")
            failed += not found
        return 1 if failed else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
