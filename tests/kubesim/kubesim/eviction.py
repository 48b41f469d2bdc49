"""The Eviction API: POST /api/v1/namespaces/NS/pods/NAME/eviction with a policy/v1 (or
v1beta1) Eviction, as kube-apiserver v1.28 answers it (pkg/registry/core/pod/storage/
eviction.go with the PodDisruptionConditions gate on, its default): the pod gets the
DisruptionTarget condition (reason EvictionByEvictionAPI), is then deleted with the Eviction's
deleteOptions (graceful, like a DELETE), and the answer is 201 with a Success Status.
PodDisruptionBudgets are not served here, so no eviction is ever refused with 429."""
import json

from .deletion import parse_options
from .util import ApiError, bad_request, deep_copy, now_rfc3339, status

ACCEPTED = ("policy/v1", "policy/v1beta1")
CONDITION = {"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
             "reason": "EvictionByEvictionAPI", "message": "Eviction API: evicting"}


class _NoQuery:
    def get(self, k, default=None):
        return default


def _decode(raw):
    if not raw:
        raise bad_request("the object provided is unrecognized (must be of type Eviction): "
                          "couldn't get version/kind; json parse error: unexpected end of JSON "
                          "input (<empty>)")
    try:
        ev = json.loads(raw)
    except ValueError as e:
        raise bad_request("the object provided is unrecognized (must be of type Eviction): "
                          "couldn't get version/kind; json parse error: %s" % e)
    if not isinstance(ev, dict):
        raise bad_request("the object provided is unrecognized (must be of type Eviction): "
                          "couldn't get version/kind")
    kind, api_version = ev.get("kind"), ev.get("apiVersion")
    if not kind:
        raise bad_request("the object provided is unrecognized (must be of type Eviction): "
                          "Object 'Kind' is missing in '%s'" % raw.decode("utf-8", "replace"))
    if api_version not in ACCEPTED:
        raise bad_request("the API version in the data (%s) does not match the expected API "
                          "version (policy/v1)" % (api_version or ""))
    if kind != "Eviction":
        raise bad_request("the object provided is unrecognized (must be of type Eviction): "
                          "kind %s" % kind)
    return ev


def _with_condition(pod):
    """podutil.UpdatePodCondition: replaced in place; lastTransitionTime kept when the status
    does not change."""
    new = deep_copy(pod)
    st = new.setdefault("status", {})
    conds = st.setdefault("conditions", [])
    cond = dict(CONDITION, lastTransitionTime=now_rfc3339())
    for i, c in enumerate(conds):
        if c.get("type") == cond["type"]:
            if c.get("status") == cond["status"]:
                cond["lastTransitionTime"] = c.get("lastTransitionTime")
            conds[i] = cond
            break
    else:
        conds.append(cond)
    return new


def create(ctx, info, ns, name, raw, query):
    """Evicts pod ns/name; returns (code, body)."""
    ev = _decode(raw)
    md = ev.get("metadata") or {}
    if md.get("namespace") and md["namespace"] != ns:
        raise bad_request("the namespace of the provided object does not match the namespace "
                          "sent on the request")
    if md.get("name", "") != name:
        raise bad_request("name in URL does not match name in Eviction object")
    opts = parse_options(json.dumps(ev.get("deleteOptions") or {}).encode(), _NoQuery())
    dry = list(opts.get("dryRun") or [])
    req_dry = query.getall("dryRun")
    if dry and req_dry and dry != req_dry:
        msg = "Non-matching dry-run options in request and content: [%s] and [%s]" % (
            " ".join(req_dry), " ".join(dry))
        raise ApiError(500, "InternalError", "Internal error occurred: " + msg,
                       {"causes": [{"message": msg}]})
    opts["dryRun"] = dry or req_dry
    store = ctx.store
    with store.lock:
        # preconditions and existence first (404 / 409), as the real Get + Delete would
        ctx.deleter.delete(info, ns, name, dict(opts, dryRun=["All"]))
        if "All" not in opts["dryRun"]:
            cur = store.get(info.storage, ns, name)
            new = _with_condition(cur)
            if new != cur:
                stored = store.put(info.storage, new, "MODIFIED")
                for h in ctx.api.hooks:
                    h.on_write(info, cur, stored)
            # the condition write bumped resourceVersion; the real handler moves a
            # resourceVersion precondition along with it
            opts.pop("preconditions", None)
            ctx.deleter.delete(info, ns, name, opts)
    return 201, status(201, None, None, status_word="Success")
