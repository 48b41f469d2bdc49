"""Built-in field checks the real server does while decoding or validating: MicroTime fields
(Lease acquireTime/renewTime, Event eventTime) must carry exactly 6 fractional digits and are
stored in UTC (14-leases); Lease spec ranges."""
import datetime
import json
import re

from .util import ApiError, bad_request

LAYOUT = "2006-01-02T15:04:05.000000Z07:00"
_STEPS = [("2006", r"\d{4}"), ("-", "-"), ("01", r"\d{2}"), ("-", "-"), ("02", r"\d{2}"),
          ("T", "T"), ("15", r"\d{2}"), (":", ":"), ("04", r"\d{2}"), (":", ":"),
          ("05", r"\d{2}"), (".000000", r"\.\d{6}(?!\d)"), ("Z07:00", r"Z|[+-]\d{2}:\d{2}")]


def parse_micro(value):
    """Returns the UTC form or raises ValueError with Go's time.Parse message."""
    rest = value
    for elem, rx in _STEPS:
        m = re.match(rx, rest)
        if not m:
            raise ValueError('parsing time "%s" as "%s": cannot parse "%s" as "%s"'
                             % (value, LAYOUT, rest, elem))
        rest = rest[m.end():]
    if rest:
        raise ValueError('parsing time "%s": extra text: "%s"' % (value, rest))
    t = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fields(info, obj):
    """(container, key) pairs holding MicroTime values."""
    if info.plural == "leases":
        spec = obj.get("spec") or {}
        return [(spec, k) for k in ("acquireTime", "renewTime")]
    if info.plural == "events":
        out = [(obj, "eventTime")]
        if isinstance(obj.get("series"), dict):
            out.append((obj["series"], "lastObservedTime"))
        return out
    return []


def normalize(info, obj):
    """Parses and normalizes; raises ValueError with the Go message."""
    for holder, key in _fields(info, obj):
        v = holder.get(key)
        if isinstance(v, str):
            holder[key] = parse_micro(v)


def on_decode(info, obj):
    try:
        normalize(info, obj)
    except ValueError as e:
        raise bad_request('%s in version "%s" cannot be handled as a %s: %s'
                          % (info.kind, info.version, info.kind, e))


def on_patch(info, obj):
    try:
        normalize(info, obj)
    except ValueError as e:
        val = json.dumps(obj, separators=(",", ":"))
        msg = 'Invalid value: "%s": %s' % (val.replace("\\", "\\\\").replace('"', '\\"'), e)
        raise ApiError(422, "Invalid", ' "" is invalid: patch: ' + msg,
                       {"causes": [{"reason": "FieldValueInvalid", "message": msg,
                                    "field": "patch"}]})


def validate(info, obj):
    if info.plural != "leases":
        return
    spec = obj.get("spec") or {}
    causes = []
    d = spec.get("leaseDurationSeconds")
    if d is not None and isinstance(d, int) and d <= 0:
        causes.append({"reason": "FieldValueInvalid", "field": "spec.leaseDurationSeconds",
                       "message": "Invalid value: %d: must be greater than 0" % d})
    t = spec.get("leaseTransitions")
    if t is not None and isinstance(t, int) and t < 0:
        causes.append({"reason": "FieldValueInvalid", "field": "spec.leaseTransitions",
                       "message": "Invalid value: %d: must be greater than or equal to 0" % t})
    if causes:
        from .util import invalid
        raise invalid(info, obj["metadata"].get("name", ""), causes)
