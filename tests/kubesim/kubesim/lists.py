"""LIST: selectors, resourceVersion and limit/continue pagination (09, 10)."""
import base64
import binascii
import json

from . import sem
from .util import ApiError, bad_request

EXPIRED_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list.")


def parse_int(query, name):
    v = query.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise bad_request('strconv.ParseInt: parsing "%s": invalid syntax' % v)


def matcher(info, query):
    """A predicate over presented objects from labelSelector and fieldSelector (400 on errors)."""
    ls, fs = query.get("labelSelector") or "", query.get("fieldSelector") or ""
    try:
        lm = sem.label_selector(ls) if ls else None
        fm = sem.field_selector(fs, info.plural) if fs else None
    except sem.SelectorError as e:
        raise bad_request(getattr(e, "message", None) or str(e))

    def match(obj):
        if lm and not lm((obj.get("metadata") or {}).get("labels") or {}):
            return False
        if fm and not fm(obj):
            return False
        return True
    match.filtered = bool(ls or fs)
    return match


def encode_continue(rv, start):
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start + "\u0000"},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token):
    bad = "invalid continue token: continue key is not valid: "
    for i, ch in enumerate(token):
        if not (ch.isalnum() or ch in "-_"):
            raise bad_request(bad + "illegal base64 data at input byte %d" % i)
    if len(token) % 4 == 1:
        raise bad_request(bad + "illegal base64 data at input byte %d" % (len(token) - 1))
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise bad_request(bad + "illegal base64 data at input byte %d" % len(token))
    if data.get("v") != "meta.k8s.io/v1":
        raise bad_request(bad + "server does not recognize this encoded version %s"
                          % data.get("v"))
    start = data.get("start", "")
    if start.startswith("/") or ".." in start.split("/"):
        raise bad_request(bad + start)
    return data.get("rv", 0), start.rstrip("\u0000")


def check_resource_version(store, rv_param, match, limit, cont):
    """An old resourceVersion can only be served exactly from history kubesim does not keep:
    410 like the real server after compaction (08/31, 33); a future one waits 3 s, then 504."""
    if rv_param in (None, "", "0") or cont:
        return
    try:
        rv = int(rv_param)
    except ValueError:
        raise bad_request('strconv.ParseUint: parsing "%s": invalid syntax' % rv_param)
    if rv > store.rv:
        import time
        deadline = time.monotonic() + 3
        while rv > store.rv and time.monotonic() < deadline:
            store.cond.wait(deadline - time.monotonic())
        if rv > store.rv:
            raise ApiError(504, "Timeout", "Timeout: Too large resource version: %d, current: %d"
                           % (rv, store.rv),
                           {"causes": [{"reason": "ResourceVersionTooLarge",
                                        "message": "Too large resource version"}],
                            "retryAfterSeconds": 1})
    if (match == "Exact" or (limit and match != "NotOlderThan")) and rv < store.floor:
        raise ApiError(410, "Expired", "The resourceVersion for the provided list is too old.")


def list_objects(api, info, ns, query):
    """Returns (items, list_metadata) with items as presented to clients."""
    match = matcher(info, query)
    limit = parse_int(query, "limit") or 0
    parse_int(query, "timeoutSeconds")
    rv_param = query.get("resourceVersion")
    if rv_param == "0":
        limit = 0
    cont = query.get("continue")
    store = api.store
    with store.lock:
        check_resource_version(store, rv_param, query.get("resourceVersionMatch"), limit, cont)
        objs, rv = store.list(info.storage, ns)
        start = None
        if cont:
            crv, start = decode_continue(cont)
            if crv != -1 and crv < store.floor:
                raise ApiError(410, "Expired", EXPIRED_CONTINUE, None,
                               metadata={"continue": encode_continue(-1, start)})
    keyed = []
    for o in objs:
        md = o["metadata"]
        key = md["name"] if ns else (md.get("namespace", "") + "/" + md["name"]
                                     if md.get("namespace") else md["name"])
        if start is not None and key <= start:
            continue
        p = api.present(info, o)
        if match(p):
            keyed.append((key, p))
    meta = {"resourceVersion": str(rv)}
    if limit and len(keyed) > limit:
        page = keyed[:limit]
        meta["continue"] = encode_continue(rv, page[-1][0])
        if not match.filtered:
            meta["remainingItemCount"] = len(keyed) - limit
        keyed = page
    return [p for _, p in keyed], meta


def list_body(info, items, meta):
    if info.builtin:
        return {"kind": info.list_kind, "apiVersion": info.gv, "metadata": meta, "items": items}
    m = {"continue": meta.get("continue", "")}
    if "remainingItemCount" in meta:
        m["remainingItemCount"] = meta["remainingItemCount"]
    m["resourceVersion"] = meta["resourceVersion"]
    return {"apiVersion": info.gv, "items": items, "kind": info.list_kind, "metadata": m}
