"""The pure semantic modules (schema, selectors, patch, tables, scheduler, kubelet) are written
separately; this adapter imports them and, while one is missing, supplies a minimal stand-in
so the server still runs. README.md lists which stand-ins are active via `missing`."""
import copy

missing = []

try:
    from . import schema  # noqa: F401
except ImportError:
    missing.append("schema")
    schema = None

try:
    from . import selectors
except ImportError:
    missing.append("selectors")
    selectors = None

try:
    from . import patch
except ImportError:
    missing.append("patch")
    patch = None

try:
    from . import tables
except ImportError:
    missing.append("tables")
    tables = None

try:
    from . import scheduler
except ImportError:
    missing.append("scheduler")
    scheduler = None

try:
    from . import kubelet
except ImportError:
    missing.append("kubelet")
    kubelet = None


class SelectorError(Exception):
    pass


class PatchError(Exception):
    def __init__(self, code, reason, message):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


if selectors is not None:
    SelectorError = selectors.SelectorError  # noqa: F811
if patch is not None:
    PatchError = patch.PatchError  # noqa: F811


def _simple_selector(s, getter):
    reqs = []
    for part in [p.strip() for p in s.split(",") if p.strip()]:
        if "!=" in part:
            k, v = part.split("!=", 1)
            reqs.append((k.strip(), "!=", v.strip()))
        elif "==" in part or "=" in part:
            k, v = part.replace("==", "=").split("=", 1)
            reqs.append((k.strip(), "=", v.strip()))
        elif part.startswith("!"):
            reqs.append((part[1:], "!", None))
        else:
            reqs.append((part, "?", None))

    def match(x):
        for k, op, v in reqs:
            have = getter(x, k)
            if op == "=" and have != v:
                return False
            if op == "!=" and have == v:
                return False
            if op == "!" and have is not None:
                return False
            if op == "?" and have is None:
                return False
        return True
    return match


def label_selector(s):
    if selectors is not None:
        return selectors.parse_label_selector(s)
    return _simple_selector(s, lambda labels, k: labels.get(k))


def _field(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    return "" if cur is None else str(cur)


def field_selector(s, plural):
    if selectors is not None:
        return selectors.parse_field_selector(s, plural)
    return _simple_selector(s, _field)


def merge_patch(target, p):
    if patch is not None:
        return patch.merge_patch(target, p)
    if not isinstance(p, dict):
        return copy.deepcopy(p)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in p.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_patch(target, ops):
    if patch is not None:
        return patch.json_patch(target, ops)
    raise PatchError(422, "Invalid", "json patch is not available")


def strategic_merge_patch(target, p, plural):
    if patch is not None:
        return patch.strategic_merge_patch(target, p, plural)
    return merge_patch(target, p)


def schedule(pod, nodes, pods):
    if scheduler is not None:
        return scheduler.schedule(pod, nodes, pods)
    sel = (pod.get("spec") or {}).get("nodeSelector") or {}
    for n in nodes:
        labels = n["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in sel.items()):
            return n["metadata"]["name"], ""
    return None, "0/%d nodes are available: %d node(s) didn't match Pod's node affinity/selector." \
        " preemption: 0/%d nodes are available: %d Preemption is not helpful for scheduling.." % (
            len(nodes), len(nodes), len(nodes), len(nodes))
