"""Structural-schema semantics of CRDs (openAPIV3Schema): defaulting, pruning of unknown fields
and validation with the causes, reasons, field paths and messages of kube-apiserver v1.28
(apiextensions-apiserver + kube-openapi's validator). See k8s-reference/04-cr-create-validation.

Not implemented: CEL rules (x-kubernetes-validations), anyOf/oneOf/not (value validations only in
structural schemas), ratcheting."""
import base64
import copy
import datetime
import ipaddress
import re

from .apivalidation import go_float, go_quote, go_value

OBJECT_META_FIELDS = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
                      "generation", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
                      "finalizers", "managedFields")


# ---------------------------------------------------------------- defaulting

def _nullable(s):
    return bool((s or {}).get("nullable"))


def _has_default(s):
    return isinstance(s, dict) and "default" in s


def _default(x, s):
    if not isinstance(s, dict):
        return
    props = s.get("properties") or {}
    addl = s.get("additionalProperties")
    addl = addl if isinstance(addl, dict) else None
    if isinstance(x, dict):
        for k, p in props.items():
            if not _has_default(p):
                continue
            if k not in x or (x[k] is None and not _nullable(p)):
                x[k] = copy.deepcopy(p["default"])
        for k in list(x):
            if k in props:
                _default(x[k], props[k])
            elif addl is not None:
                if x[k] is None and not _nullable(addl) and _has_default(addl):
                    x[k] = copy.deepcopy(addl["default"])
                _default(x[k], addl)
    elif isinstance(x, list):
        items = s.get("items")
        if not isinstance(items, dict):
            return
        for i, v in enumerate(x):
            if v is None and not _nullable(items) and _has_default(items):
                x[i] = copy.deepcopy(items["default"])
            _default(x[i], items)


def _prune_nulls(x, s):
    """PruneNonNullableNullsWithoutDefaults."""
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props = s.get("properties") or {}
        addl = s.get("additionalProperties")
        for k in list(x):
            sub = props.get(k) if k in props else (addl if isinstance(addl, dict) else None)
            if sub is None:
                continue
            if x[k] is None and not _nullable(sub) and not _has_default(sub):
                del x[k]
            else:
                _prune_nulls(x[k], sub)
    elif isinstance(x, list) and isinstance(s.get("items"), dict):
        for v in x:
            _prune_nulls(v, s["items"])


def apply_defaults(schema, obj):
    """Applies the schema's defaults to obj in place, like the apiserver's structural defaulting
    (a null in a non-nullable field is replaced by its default, or dropped without one)."""
    _default(obj, schema)
    _prune_nulls(obj, schema)


# ---------------------------------------------------------------- pruning

def _join(path, key):
    return key if not path else path + "." + key


def prune_object_meta(md, path="metadata"):
    """Drops fields ObjectMeta does not have; returns their paths ("metadata.bogus")."""
    out = []
    if isinstance(md, dict):
        for k in list(md):
            if k not in OBJECT_META_FIELDS:
                del md[k]
                out.append(_join(path, k))
    return out


def _prune(x, s, path, out, root=False):
    if not isinstance(s, dict):
        return
    if isinstance(x, dict):
        props = s.get("properties") or {}
        addl = s.get("additionalProperties")
        preserve = bool(s.get("x-kubernetes-preserve-unknown-fields"))
        embedded = root or bool(s.get("x-kubernetes-embedded-resource"))
        for k in list(x):
            if k in props:
                _prune(x[k], props[k], _join(path, k), out)
            elif embedded and k in ("apiVersion", "kind"):
                continue
            elif embedded and k == "metadata":
                out.extend(prune_object_meta(x[k], _join(path, k)))
            elif isinstance(addl, dict):
                _prune(x[k], addl, _join(path, k), out)
            elif addl is True or preserve:
                continue
            else:
                del x[k]
                out.append(_join(path, k))
    elif isinstance(x, list):
        items = s.get("items")
        if isinstance(items, dict):
            for i, v in enumerate(x):
                _prune(v, items, "%s[%d]" % (path, i), out)


def prune_unknown(schema, obj):
    """Removes the fields schema does not know (honouring x-kubernetes-preserve-unknown-fields,
    additionalProperties and embedded resources) and returns their paths as the server names
    them in Warning headers and Strict errors: metadata fields first, then the rest sorted
    (04/18: "metadata.bogus", "extra", "spec.foo")."""
    meta = []
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
        meta = prune_object_meta(obj["metadata"])
    rest = []
    _prune(obj, schema, "", rest, root=True)
    return meta + sorted(rest)


# ---------------------------------------------------------------- validation

def _type_of(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def _type_ok(want, v):
    have = _type_of(v)
    if want == have:
        return True
    if want == "integer" and have == "number" and float(v).is_integer():
        return True
    if want == "number" and have == "integer":
        return True
    return False


def _fmt_bad_value(v):
    """field.Error's rendering of the bad value."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return go_quote(v)
    if isinstance(v, (bool, int, float)):
        return go_value(v)
    import json
    return json.dumps(v, separators=(",", ":"), sort_keys=True)


def _cause(reason, message, field):
    return {"reason": reason, "message": message, "field": field}


def _invalid(field, value, detail):
    return _cause("FieldValueInvalid",
                  "Invalid value: %s: %s" % (_fmt_bad_value(value), detail), field)


def _type_invalid(field, value, detail):
    return _cause("FieldValueTypeInvalid",
                  "Invalid value: %s: %s" % (_fmt_bad_value(value), detail), field)


def _num(v):
    return go_float(float(v))


_RX_UUID = {
    "uuid": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid3": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$",
    "uuid4": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
    "uuid5": r"(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$",
}
_RX_DATETIME = re.compile(r"^([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
                          r"(z|([+-][0-9]{2}:[0-9]{2}))$")
_RX_HOSTNAME = re.compile(r"^([a-zA-Z0-9]((-?[a-zA-Z0-9]{0,62})?)|([a-zA-Z0-9](([a-zA-Z0-9-]{0,61}"
                          r"[a-zA-Z0-9])?)(\.)){1,}([a-zA-Z]){2,63})$")
_RX_DURATION = re.compile(r"^(([+-]?[0-9]+(\.[0-9]*)?|[+-]?\.[0-9]+)\s*(ns|us|µs|μs|ms|s|m|h|d|w|"
                          r"nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|"
                          r"days?|weeks?)\s*)+$")


def _is_date(s):
    try:
        datetime.date.fromisoformat(s)
        return len(s) == 10
    except ValueError:
        return False


def _is_datetime(s):
    if len(s) < 4:
        return False
    parts = s.lower().split("t")
    if len(parts) < 2 or not _is_date(parts[0]):
        return False
    m = _RX_DATETIME.match(parts[1])
    return bool(m) and m.group(1) <= "23" and m.group(2) <= "59" and m.group(3) <= "59"


def _is_ip(s, version):
    try:
        return ipaddress.ip_address(s).version == version
    except ValueError:
        return False


def _is_cidr(s):
    try:
        ipaddress.ip_network(s, strict=False)
        return "/" in s
    except ValueError:
        return False


def _is_byte(s):
    try:
        base64.b64decode(s, validate=True)
        return len(s) % 4 == 0
    except ValueError:
        return False


_FORMATS = {
    "datetime": _is_datetime,
    "date": _is_date,
    "byte": _is_byte,
    "ipv4": lambda s: _is_ip(s, 4) and "." in s,
    "ipv6": lambda s: _is_ip(s, 6) and ":" in s,
    "cidr": _is_cidr,
    "mac": lambda s: bool(re.fullmatch(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}"
                                       r"|([0-9A-Fa-f]{4}\.){2}[0-9A-Fa-f]{4}", s)),
    "hostname": lambda s: len(s) <= 255 and bool(_RX_HOSTNAME.match(s)),
    "email": lambda s: bool(re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", s)),
    "uri": lambda s: bool(re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|/)\S*$", s)),
    "duration": lambda s: bool(_RX_DURATION.match(s)),
    "hexcolor": lambda s: bool(re.fullmatch(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", s)),
    "rgbcolor": lambda s: bool(re.fullmatch(r"rgb\(\s*([0-9]{1,3})\s*,\s*([0-9]{1,3})\s*,\s*"
                                            r"([0-9]{1,3})\s*\)", s)),
    "bsonobjectid": lambda s: bool(re.fullmatch(r"[0-9a-fA-F]{24}", s)),
    "ssn": lambda s: bool(re.fullmatch(r"\d{3}[- ]?\d{2}[- ]?\d{4}", s)),
    "password": lambda s: True,
}
for _k, _rx in _RX_UUID.items():
    _FORMATS[_k] = (lambda rx: lambda s: bool(re.match(rx, s)))(_rx)


def _same_json(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_json(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _enum_value(v):
    if isinstance(v, str):
        return v
    import json
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return json.dumps(v, separators=(",", ":"))


def _validate(s, v, path, errs, required):
    if not isinstance(s, dict):
        return
    name = path
    typ = s.get("type") or ""
    if v is None:
        if typ and not _nullable(s):
            errs.append(_type_invalid(path, "null", "%s in body must be of type %s: \"null\""
                                      % (name, typ)))
        return
    if typ and not _type_ok(typ, v):
        have = _type_of(v)
        errs.append(_type_invalid(path, have, "%s in body must be of type %s: %s"
                                  % (name, typ, go_quote(have))))
    if s.get("x-kubernetes-int-or-string") and not typ and \
            (isinstance(v, bool) or not isinstance(v, (int, float, str))):
        have = _type_of(v)
        errs.append(_type_invalid(path, have, "%s in body must be of type integer,string: %s"
                                  % (name, go_quote(have))))
    for sub in s.get("allOf") or []:
        _validate(sub, v, path, errs, required)
    if isinstance(v, str):
        _validate_string(s, v, path, errs)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        _validate_number(s, v, path, errs)
    if isinstance(v, list):
        _validate_array(s, v, path, errs, required)
    if "enum" in s and s["enum"] is not None:
        if not any(_same_json(v, e) for e in s["enum"]):
            errs.append(_cause("FieldValueNotSupported", "Unsupported value: %s: supported "
                               "values: %s" % (_fmt_bad_value(v), ", ".join(
                                   go_quote(_enum_value(e)) for e in s["enum"])), path))
    if isinstance(v, dict):
        _validate_object(s, v, path, errs, required)


def _validate_string(s, v, path, errs):
    if s.get("maxLength") is not None and len(v) > s["maxLength"]:
        errs.append(_cause("FieldValueTooLong", "Too long: may not be longer than %d"
                           % s["maxLength"], path))
    elif s.get("minLength") is not None and len(v) < s["minLength"]:
        errs.append(_invalid(path, v, "%s in body should be at least %d chars long"
                             % (path, s["minLength"])))
    elif s.get("pattern"):
        try:
            ok = re.search(s["pattern"], v) is not None
        except re.error:
            ok = True
        if not ok:
            errs.append(_invalid(path, v, "%s in body should match '%s'" % (path, s["pattern"])))
    fmt = s.get("format") or ""
    check = _FORMATS.get(fmt.replace("-", ""))
    if check is not None and not check(v):
        errs.append(_type_invalid(path, v, "%s in body must be of type %s: %s"
                                  % (path, fmt, go_quote(v))))


def _validate_number(s, v, path, errs):
    mult = s.get("multipleOf")
    if mult:
        q = v / mult
        if not float(q).is_integer():
            errs.append(_invalid(path, v, "%s in body should be a multiple of %s"
                                 % (path, _num(mult))))
    mn = s.get("minimum")
    if mn is not None:
        if s.get("exclusiveMinimum") and v <= mn:
            errs.append(_invalid(path, v, "%s in body should be greater than %s"
                                 % (path, _num(mn))))
        elif not s.get("exclusiveMinimum") and v < mn:
            errs.append(_invalid(path, v, "%s in body should be greater than or equal to %s"
                                 % (path, _num(mn))))
    mx = s.get("maximum")
    if mx is not None:
        if s.get("exclusiveMaximum") and v >= mx:
            errs.append(_invalid(path, v, "%s in body should be less than %s"
                                 % (path, _num(mx))))
        elif not s.get("exclusiveMaximum") and v > mx:
            errs.append(_invalid(path, v, "%s in body should be less than or equal to %s"
                                 % (path, _num(mx))))


def _validate_array(s, v, path, errs, required):
    items = s.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(v):
            _validate(items, item, "%s[%d]" % (path, i), errs, required)
    if s.get("minItems") is not None and len(v) < s["minItems"]:
        errs.append(_invalid(path, len(v), "%s in body should have at least %d items"
                             % (path, s["minItems"])))
    if s.get("maxItems") is not None and len(v) > s["maxItems"]:
        errs.append(_cause("FieldValueTooMany", "Too many: %d: must have at most %d items"
                           % (len(v), s["maxItems"]), path))
    if s.get("x-kubernetes-list-type") == "map" and s.get("x-kubernetes-list-map-keys"):
        keys, seen = s["x-kubernetes-list-map-keys"], []
        for i, item in enumerate(v):
            if not isinstance(item, dict):
                continue
            k = [item.get(key) for key in keys]
            if any(_same_json(k, p) for p in seen):
                shown = {key: item[key] for key in keys if key in item}
                errs.append(_cause("FieldValueDuplicate", "Duplicate value: %s"
                                   % _go_map_literal(shown), "%s[%d]" % (path, i)))
            else:
                seen.append(k)
    if s.get("x-kubernetes-list-type") == "set":
        seen = []
        for i, item in enumerate(v):
            if any(_same_json(item, p) for p in seen):
                errs.append(_cause("FieldValueDuplicate", "Duplicate value: %s"
                                   % _fmt_bad_value(item), "%s[%d]" % (path, i)))
            else:
                seen.append(item)


def _go_map_literal(m):
    """%#v of a map[string]interface{} (how a duplicate list-map key is printed)."""
    parts = []
    for k in sorted(m):
        v = m[k]
        parts.append("%s:%s" % (go_quote(k), go_quote(v) if isinstance(v, str)
                                else _fmt_bad_value(v)))
    return "map[string]interface {}{" + ", ".join(parts) + "}"


def _validate_object(s, v, path, errs, required):
    if s.get("maxProperties") is not None and len(v) > s["maxProperties"]:
        errs.append(_cause("FieldValueTooMany", "Too many: %d: must have at most %d items"
                           % (len(v), s["maxProperties"]), path))
    if s.get("minProperties") is not None and len(v) < s["minProperties"]:
        errs.append(_invalid(path, len(v), "%s in body should have at least %d properties"
                             % (path, s["minProperties"])))
    for k in s.get("required") or []:
        if k not in v:
            required.append(_cause("FieldValueRequired", "Required value", _join(path, k)))
    props = s.get("properties") or {}
    for k, sub in props.items():
        if k in v:
            _validate(sub, v[k], _join(path, k), errs, required)
    addl = s.get("additionalProperties")
    if isinstance(addl, dict):
        for k in v:
            if k not in props:
                _validate(addl, v[k], _join(path, k), errs, required)


def validate(schema, obj, path=""):
    """Causes [{"reason","message","field"}] for obj against schema, as the real server reports
    them; "Required value" causes come last (as observed). path prefixes every field, e.g.
    validate(status_schema, obj["status"], "status")."""
    errs, required = [], []
    _validate(schema, obj, path, errs, required)
    return errs + required


def cause_text(c):
    """field.Error.Error(): "<field>: <message>"."""
    return "%s: %s" % (c.get("field", ""), c.get("message", ""))


def invalid_status(kind, group, name, causes):
    """The 422 Invalid Status body (apierrors.NewInvalid)."""
    qualified = "%s.%s" % (kind, group) if group else kind
    texts = []
    for c in causes:
        t = cause_text(c)
        if t not in texts:
            texts.append(t)
    if not texts:
        message = "%s %s is invalid" % (qualified, go_quote(name))
    elif len(texts) == 1:
        message = "%s %s is invalid: %s" % (qualified, go_quote(name), texts[0])
    else:
        message = "%s %s is invalid: [%s]" % (qualified, go_quote(name), ", ".join(texts))
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = kind
    details["causes"] = [{k: c[k] for k in ("reason", "message", "field") if c.get(k) != ""
                          and k in c} for c in causes]
    if not name:
        del details["name"]
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": "Invalid", "details": details, "code": 422}
