"""Small helpers shared by the server modules: time, uids, Go-compatible JSON, Status bodies."""
import datetime
import json
import uuid

META_ORDER = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
              "generation", "creationTimestamp", "deletionTimestamp",
              "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
              "finalizers", "managedFields"]


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_after(seconds):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_uid():
    return str(uuid.uuid4())


def dumps(obj):
    """Compact JSON the way Go's encoding/json writes it (HTML-safe escapes), plus newline."""
    s = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    s = s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return (s + "\n").encode("utf-8")


def deep_sorted(v):
    if isinstance(v, dict):
        return {k: deep_sorted(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [deep_sorted(x) for x in v]
    return v


def builtin_order(obj):
    """Built-in objects are Go structs: kind, apiVersion, metadata first, metadata fields in
    ObjectMeta order."""
    out = {}
    for k in ("kind", "apiVersion", "metadata"):
        if k in obj:
            out[k] = obj[k]
    for k, v in obj.items():
        if k not in out:
            out[k] = v
    md = out.get("metadata")
    if isinstance(md, dict):
        m = {}
        for k in META_ORDER:
            if k in md:
                m[k] = md[k]
        for k, v in md.items():
            if k not in m:
                m[k] = v
        out["metadata"] = m
    return out


def status(code, reason, message, details=None, status_word="Failure", metadata=None):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": metadata or {},
            "status": status_word}
    if message is not None:
        body["message"] = message
    if reason:
        body["reason"] = reason
    if details is not None:
        body["details"] = details
    if code is not None:
        body["code"] = code
    return body


class ApiError(Exception):
    """An error answered as a Status body (or plain text when text is set)."""

    def __init__(self, code, reason, message, details=None, headers=None, text=None,
                 metadata=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or []
        self.text = text
        self.metadata = metadata

    def body(self):
        return status(self.code, self.reason, self.message, self.details,
                      metadata=self.metadata)


def not_routed():
    return ApiError(404, "NotFound", "404 page not found", text="404 page not found\n")


def qualified(info):
    """'widgets.example.com' or 'pods' as the server names a resource in messages."""
    return info.plural + ("." + info.group if info.group else "")


def details(info, name, kind=None, **extra):
    d = {}
    if name is not None:
        d["name"] = name
    if info.group:
        d["group"] = info.group
    d["kind"] = kind or info.plural
    d.update(extra)
    return d


def not_found(info, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(info), name),
                    details(info, name))


def already_exists(info, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(info), name),
                    details(info, name))


def conflict(info, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again'
                    % (qualified(info), name), details(info, name))


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def invalid(info, name, causes, kind_in_message=None):
    """422 with causes; causes are [{"reason","message","field"}]."""
    what = kind_in_message or ("%s.%s" % (info.kind, info.group) if info.group else info.kind)
    parts = ["%s: %s" % (c["field"], c["message"]) if c.get("field") else c["message"]
             for c in causes]
    msg = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (what, name, msg),
                    details(info, name, kind=info.kind, causes=causes))


def dig(obj, *path):
    """obj[path[0]][path[1]]..., or None where a step is missing or not an object."""
    cur = obj
    for p in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def deep_copy(o):
    return json.loads(json.dumps(o))


def go_json_error(raw, e):
    """Go's encoding/json wording for a Python json.JSONDecodeError."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    pos = getattr(e, "pos", len(text))
    if pos >= len(text.rstrip()):
        return "unexpected end of JSON input"
    ch = text[pos]
    msg = getattr(e, "msg", "")
    if msg.startswith("Expecting property name"):
        what = "looking for beginning of object key string"
    elif msg.startswith("Expecting ':'"):
        what = "after object key"
    elif msg.startswith("Expecting ','"):
        what = "after object key:value pair"
    elif msg.startswith("Extra data"):
        what = "after top-level value"
    else:
        what = "looking for beginning of value"
    return "invalid character '%s' %s" % (ch, what)
