"""core/v1 and events.k8s.io/v1 Events share one storage (in core form); each API shows its
own field names (13-events)."""
from .util import ApiError, details

# events.k8s.io/v1 field -> core/v1 field
V1_TO_CORE = [("note", "message"), ("regarding", "involvedObject"),
              ("reportingController", "reportingComponent"), ("deprecatedSource", "source"),
              ("deprecatedCount", "count"), ("deprecatedFirstTimestamp", "firstTimestamp"),
              ("deprecatedLastTimestamp", "lastTimestamp")]
CORE_ORDER = ["kind", "apiVersion", "metadata", "involvedObject", "reason", "message", "source",
              "firstTimestamp", "lastTimestamp", "count", "type", "eventTime", "series", "action",
              "related", "reportingComponent", "reportingInstance"]
V1_ORDER = ["kind", "apiVersion", "metadata", "eventTime", "series", "reportingController",
            "reportingInstance", "action", "reason", "regarding", "related", "note", "type",
            "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
            "deprecatedCount"]


def _is_v1(info):
    return info.group == "events.k8s.io"


def _ordered(obj, order):
    out = {k: obj[k] for k in order if k in obj}
    out.update({k: v for k, v in obj.items() if k not in out})
    return out


def to_core(info, obj):
    if not _is_v1(info):
        obj.setdefault("involvedObject", {})
        return obj
    out = dict(obj)
    for new, old in V1_TO_CORE:
        if new in out:
            out[old] = out.pop(new)
    out["apiVersion"] = "v1"
    return out


def present(info, obj):
    if not _is_v1(info):
        obj.setdefault("eventTime", None)
        obj.setdefault("source", {})
        for k in ("firstTimestamp", "lastTimestamp"):
            obj.setdefault(k, None)
        obj.setdefault("reportingComponent", "")
        obj.setdefault("reportingInstance", "")
        return _ordered(obj, CORE_ORDER)
    out = dict(obj)
    for new, old in V1_TO_CORE:
        if old in out:
            out[new] = out.pop(old)
    out["apiVersion"] = "events.k8s.io/v1"
    out.setdefault("eventTime", None)
    out.setdefault("deprecatedSource", {})
    out.setdefault("deprecatedFirstTimestamp", None)
    out.setdefault("deprecatedLastTimestamp", None)
    if out.get("deprecatedCount") in (0, None):
        out.pop("deprecatedCount", None)
    return _ordered(out, V1_ORDER)


def validate(info, obj):
    name = obj["metadata"].get("name", "")
    ns = obj["metadata"].get("namespace", "")
    causes = []
    if _is_v1(info) and not obj.get("eventTime"):
        causes.append({"reason": "FieldValueRequired", "message": "Required value",
                       "field": "eventTime"})
    io_ns = (obj.get("involvedObject") or {}).get("namespace")
    if not _is_v1(info) and io_ns and io_ns != ns:
        causes.append({"reason": "FieldValueInvalid",
                       "message": 'Invalid value: "%s": does not match event.namespace' % io_ns,
                       "field": "involvedObject.namespace"})
    if causes:
        parts = ["%s: %s" % (c["field"], c["message"]) for c in causes]
        msg = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
        raise ApiError(422, "Invalid", 'Event "%s" is invalid: %s' % (name, msg),
                       details(info, name, kind="Event", causes=causes))
