"""PATCH semantics of kube-apiserver v1.28: JSON merge patch (RFC 7386, evanphx/json-patch),
JSON patch (RFC 6902 as evanphx/json-patch v4 applies it: "replace" of a missing object key
adds it, negative indices allowed) and strategic merge patch for the built-ins kubectl patches
(k8s.io/apimachinery/pkg/util/strategicpatch with MergeParallelList + IgnoreUnmatchedNulls).
Errors carry the server's code, reason and message (k8s-reference/15-request-errors)."""
import copy
import json


class PatchError(Exception):
    """.code (400/422), .reason ("BadRequest"/"Invalid"), .message as the server says them;
    .detail is the underlying cause (the server does not show it for JSON patch failures)."""

    def __init__(self, code, reason, message, detail=""):
        super().__init__(message)
        self.code, self.reason, self.message, self.detail = code, reason, message, detail


REJECTED = "the server rejected our request due to an error in our request"


def _rejected(detail):
    return PatchError(422, "Invalid", REJECTED, detail)


# ---------------------------------------------------------------- JSON merge patch

def merge_patch(target, patch):
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# ---------------------------------------------------------------- JSON patch

def _go_json_kind(v):
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    return "number"


def _decode_key(k):
    return k.replace("~1", "/").replace("~0", "~")


def _split(path, what):
    if not isinstance(path, str):
        raise _rejected("%s operation missing path field" % what)
    parts = path.split("/")
    if len(parts) < 2:
        raise _rejected("%s operation does not apply: doc is missing path: %s" % (what, path))
    return [_decode_key(p) for p in parts[1:-1]], _decode_key(parts[-1])


def _container(doc, path, what):
    parents, key = _split(path, what)
    cur = doc
    for p in parents:
        if isinstance(cur, dict):
            if p not in cur:
                cur = None
            else:
                cur = cur[p]
        elif isinstance(cur, list):
            cur = cur[_index(cur, p, what, path)] if cur is not None else None
        else:
            cur = None
        if not isinstance(cur, (dict, list)):
            raise _rejected("%s operation does not apply: doc is missing path: %s"
                            % (what, path))
    return cur, key


def _index(ary, key, what, path, extra=0):
    try:
        idx = int(key)
    except ValueError:
        raise _rejected("value was not a proper array index: '%s'" % key)
    n = len(ary) + extra
    if idx >= n or idx < -n:
        raise _rejected("Unable to access invalid index: %d" % idx)
    return idx + n if idx < 0 else idx


def _get(con, key, what, path):
    if isinstance(con, dict):
        return con.get(key), key in con
    idx = _index(con, key, what, path)
    return con[idx], True


def _add(con, key, value, what, path):
    if isinstance(con, dict):
        con[key] = value
        return
    if key == "-":
        con.append(value)
        return
    idx = _index(con, key, what, path, extra=1)
    con.insert(idx, value)


def _remove(con, key, what, path):
    if isinstance(con, dict):
        if key not in con:
            raise _rejected("Unable to remove nonexistent key: %s: missing value" % key)
        return con.pop(key)
    idx = _index(con, key, what, path)
    return con.pop(idx)


def _raw_equal(a, b):
    """evanphx compares scalars by their compact JSON bytes and containers structurally."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_raw_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_raw_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return json.dumps(a) == json.dumps(b)


def json_patch(target, ops):
    """Applies an RFC 6902 patch (the decoded JSON body) to a copy of target."""
    if ops is None:
        return copy.deepcopy(target)
    if not isinstance(ops, list):
        raise PatchError(400, "BadRequest", "error decoding patch: json: cannot unmarshal %s "
                         "into Go value of type []handlers.jsonPatchOp" % _go_json_kind(ops))
    for op in ops:
        if not isinstance(op, dict):
            raise PatchError(400, "BadRequest", "error decoding patch: json: cannot unmarshal %s"
                             " into Go value of type handlers.jsonPatchOp" % _go_json_kind(op))
    doc = copy.deepcopy(target)
    for op in ops:
        kind = op.get("op")
        path = op.get("path")
        if kind == "add":
            con, key = _container(doc, path, "add")
            _add(con, key, copy.deepcopy(op.get("value")), "add", path)
        elif kind == "remove":
            con, key = _container(doc, path, "remove")
            _remove(con, key, "remove", path)
        elif kind == "replace":
            con, key = _container(doc, path, "replace")
            if isinstance(con, dict):
                con[key] = copy.deepcopy(op.get("value"))
            else:
                con[_index(con, key, "replace", path)] = copy.deepcopy(op.get("value"))
        elif kind in ("move", "copy"):
            frm = op.get("from")
            con, key = _container(doc, frm, kind)
            val, found = _get(con, key, kind, frm)
            if not found:
                raise _rejected("%s operation does not apply: doc is missing from path: %s"
                                % (kind, frm))
            if kind == "move":
                _remove(con, key, kind, frm)
            else:
                val = copy.deepcopy(val)
            con, key = _container(doc, path, kind)
            _add(con, key, val, kind, path)
        elif kind == "test":
            if path == "":
                if not _raw_equal(doc, op.get("value")):
                    raise _rejected("testing value %s failed: test failed" % path)
                continue
            con, key = _container(doc, path, "test")
            try:
                val, found = _get(con, key, "test", path)
            except PatchError:
                raise _rejected("testing value %s failed: test failed" % path)
            if not found:
                if op.get("value") is None:
                    continue
                raise _rejected("testing value %s failed: test failed" % path)
            if "value" not in op or not _raw_equal(val, op["value"]):
                raise _rejected("testing value %s failed: test failed" % path)
        else:
            raise _rejected("Unexpected kind: %s" % kind)
    return doc


# ---------------------------------------------------------------- strategic merge patch

PRIMITIVE = ""  # merge strategy for a list of scalars (union, order kept)

_CONTAINER = {("env",): "name", ("ports",): "containerPort", ("volumeMounts",): "mountPath",
              ("volumeDevices",): "devicePath"}
_POD_SPEC = {("containers",): "name", ("initContainers",): "name",
             ("ephemeralContainers",): "name", ("volumes",): "name",
             ("imagePullSecrets",): "name", ("hostAliases",): "ip",
             ("topologySpreadConstraints",): "topologyKey", ("resourceClaims",): "name",
             ("schedulingGates",): "name"}
for _c in ("containers", "initContainers", "ephemeralContainers"):
    for _k, _v in _CONTAINER.items():
        _POD_SPEC[(_c,) + _k] = _v
_COMMON = {("metadata", "ownerReferences"): "uid", ("metadata", "finalizers"): PRIMITIVE,
           ("status", "conditions"): "type"}


def _under(prefix, table):
    return {prefix + k: v for k, v in table.items()}


_TEMPLATE = ("spec", "template", "spec")
MERGE_KEYS = {
    "pods": {**_under(("spec",), _POD_SPEC), ("status", "podIPs"): "ip",
             ("status", "hostIPs"): "ip"},
    "nodes": {("spec", "podCIDRs"): PRIMITIVE, ("status", "addresses"): "type"},
    "services": {("spec", "ports"): "port"},
    "namespaces": {},
    "deployments": _under(_TEMPLATE, _POD_SPEC),
    "statefulsets": _under(_TEMPLATE, _POD_SPEC),
    "daemonsets": _under(_TEMPLATE, _POD_SPEC),
    "replicasets": _under(_TEMPLATE, _POD_SPEC),
    "jobs": _under(_TEMPLATE, _POD_SPEC),
    "cronjobs": _under(("spec", "jobTemplate") + _TEMPLATE, _POD_SPEC),
}
MERGE_KEYS["podtemplates"] = _under(("template", "spec"), _POD_SPEC)

_SET_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def _bad(msg):
    return PatchError(400, "BadRequest", msg)


def _strategy(keys, path):
    """(is_merge, merge_key) of the list at path."""
    full = dict(_COMMON)
    full.update(keys)
    if path in full:
        return True, full[path]
    return False, None


def _discard_nulls(v):
    if isinstance(v, dict):
        return {k: _discard_nulls(x) for k, x in v.items() if x is not None}
    return v


def _strip_directives(v):
    if isinstance(v, dict):
        if v.get("$patch") == "delete":
            return {}
        return {k: _strip_directives(x) for k, x in v.items()
                if not k.startswith("$") and x is not None}
    if isinstance(v, list):
        return [_strip_directives(x) for x in v
                if not (isinstance(x, dict) and "$patch" in x)]
    return v


def _key_of(item, mk):
    return item.get(mk) if isinstance(item, dict) else item


def _index_in(order, item, mk, is_map):
    for i, o in enumerate(order):
        if is_map:
            if isinstance(o, dict) and isinstance(item, dict) and mk in o and \
                    o.get(mk) == item.get(mk):
                return i
        elif o == item:
            return i
    return -1


def _sort_by(items, order, mk, is_map):
    """normalizeSliceOrder: items found in order take their relative order there."""
    idx = [(i, _index_in(order, it, mk, is_map)) for i, it in enumerate(items)]
    result = list(items)
    found = [(o, it) for (_, o), it in zip(idx, items) if o >= 0]
    found.sort(key=lambda p: p[0])
    it = iter(found)
    for i, (_, o) in enumerate(idx):
        if o >= 0:
            result[i] = next(it)[1]
    return result


def _merge_sorted(left, right, server_order, mk, is_map):
    out, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if i >= len(left):
            out.append(right[j])
            j += 1
        elif j >= len(right):
            out.append(left[i])
            i += 1
        else:
            li = _index_in(server_order, left[i], mk, is_map)
            ri = _index_in(server_order, right[j], mk, is_map)
            if li >= 0 and ri >= 0 and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


def _merge_list(orig, patch, keys, path, delete_list=False):
    is_merge, mk = _strategy(keys, path)
    if not is_merge:
        return _strip_directives(patch)
    if not orig and not patch:
        return orig
    sample = (patch or orig)[0] if (patch or orig) else None
    if not isinstance(sample, dict):
        if delete_list:
            return [x for x in orig if x not in patch]
        out = []
        for x in list(orig) + list(patch):
            if x not in out:
                out.append(x)
        return out
    if mk == PRIMITIVE or mk is None:
        raise _bad("cannot merge lists without merge key for %s" % path[-1])
    out = [copy.deepcopy(x) for x in orig]
    rest, replace = [], False
    for item in patch:
        if not isinstance(item, dict):
            raise _bad("invalid list item %r for merge key %s" % (item, mk))
        directive = item.get("$patch")
        if directive is None:
            rest.append(item)
        elif directive == "delete":
            if mk not in item:
                raise _bad("map: %s does not contain declared merge key: %s"
                           % (_go_map(item), mk))
            out = [x for x in out if not (isinstance(x, dict) and x.get(mk) == item[mk])]
        elif directive == "replace":
            replace = True
        elif directive == "merge":
            raise _bad("merging lists cannot yet be specified in the patch")
        else:
            raise _bad("Unknown patch type: %s in map: %s" % (directive, _go_map(item)))
    if replace:
        return [_strip_directives(x) for x in rest]
    for item in rest:
        if mk not in item:
            raise _bad("map: %s does not contain declared merge key: %s" % (_go_map(item), mk))
        for i, x in enumerate(out):
            if isinstance(x, dict) and x.get(mk) == item[mk]:
                out[i] = _merge_map(x, item, keys, path)
                break
        else:
            out.append(_merge_map({}, item, keys, path))
    return out


def _go_map(m):
    return "map[" + " ".join("%s:%s" % (k, m[k]) for k in sorted(m)) + "]"


def _merge_map(orig, patch, keys, path):
    if "$patch" in patch:
        d = patch["$patch"]
        if d == "replace":
            return _strip_directives({k: v for k, v in patch.items() if k != "$patch"})
        if d == "delete":
            return {}
        raise _bad("Unknown patch type: %s in map: %s" % (d, _go_map(patch)))
    out = dict(orig) if isinstance(orig, dict) else {}
    patch = dict(patch)
    if "$retainKeys" in patch:
        retain = patch.pop("$retainKeys")
        if not isinstance(retain, list):
            raise _bad("invalid patch format of retainKeys")
        for k, v in patch.items():
            if v is None or k.startswith(_DELETE_PRIMITIVE) or k.startswith(_SET_ORDER):
                continue
            if k not in retain:
                raise _bad("invalid patch format of retainKeys")
        for k in list(out):
            if k not in retain:
                del out[k]
    for k in [k for k in patch if k.startswith(_SET_ORDER)]:
        order = patch.pop(k)
        field = k[len(_SET_ORDER):]
        if not isinstance(order, list):
            raise _bad("invalid patch format of setElementOrder list")
        sub = path + (field,)
        _, mk = _strategy(keys, sub)
        has_o, has_p = isinstance(out.get(field), list), field in patch
        if has_o and has_p:
            merged = _merge_list(out[field], patch[field] or [], keys, sub)
        elif has_p:
            merged = _strip_directives(patch[field] or [])
        elif has_o:
            merged = out[field]
        else:
            continue
        is_map = bool(mk)
        in_order = [x for x in merged if _index_in(order, x, mk, is_map) >= 0]
        server_only = [x for x in merged if _index_in(order, x, mk, is_map) < 0]
        server_order = out.get(field) if isinstance(out.get(field), list) else []
        in_order = _sort_by(in_order, order, mk, is_map)
        server_only = _sort_by(server_only, server_order, mk, is_map)
        out[field] = _merge_sorted(server_only, in_order, server_order, mk, is_map)
        patch.pop(field, None)
    for k, pv in patch.items():
        delete_list = False
        if k.startswith(_DELETE_PRIMITIVE):
            k = k[len(_DELETE_PRIMITIVE):]
            delete_list = True
        if pv is None:
            out.pop(k, None)
            continue
        if k not in out:
            if not delete_list:
                out[k] = _strip_directives(_discard_nulls(pv)) if isinstance(pv, dict) \
                    else _strip_directives(pv)
            continue
        ov = out[k]
        if isinstance(ov, dict) and isinstance(pv, dict):
            out[k] = _merge_map(ov, pv, keys, path + (k,))
        elif isinstance(ov, list) and isinstance(pv, list):
            out[k] = _merge_list(ov, pv, keys, path + (k,), delete_list)
        elif not delete_list:
            out[k] = _strip_directives(pv)
    return out


def strategic_merge_patch(target, patch, plural):
    """Applies a strategic merge patch (what kubectl apply/edit/patch send for built-ins) to a
    copy of target. plural selects the patch metadata (patchMergeKey / patchStrategy) of the
    kind; unknown plurals only get the metadata/status.conditions keys every kind shares."""
    if not isinstance(patch, dict):
        raise _bad("error decoding patch: json: cannot unmarshal %s into Go value of type "
                   "map[string]interface {}" % _go_json_kind(patch))
    return _merge_map(copy.deepcopy(target), copy.deepcopy(patch),
                      MERGE_KEYS.get(plural, {}), ())
