"""WATCH streams fed from the store's event history (08-watch)."""
import time

from .lists import matcher, parse_int
from .util import ApiError, deep_copy, status

DEFAULT_TIMEOUT = 1800


def _invalid_list_options(causes):
    parts = ["%s: %s" % (c["field"], c["message"]) for c in causes]
    msg = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    return ApiError(422, "Invalid", 'ListOptions.meta.k8s.io "" is invalid: ' + msg,
                    {"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes})


def check_params(query):
    causes = []
    if query.get("sendInitialEvents") is not None:
        causes.append({"reason": "FieldValueForbidden",
                       "message": "Forbidden: sendInitialEvents is forbidden for watch unless the "
                                  "WatchList feature gate is enabled",
                       "field": "sendInitialEvents"})
    elif query.get("resourceVersionMatch"):
        causes.append({"reason": "FieldValueForbidden",
                       "message": "Forbidden: resourceVersionMatch is forbidden for watch unless "
                                  "sendInitialEvents is provided", "field": "resourceVersionMatch"})
        if query.get("resourceVersionMatch") != "NotOlderThan":
            causes.append({"reason": "FieldValueNotSupported",
                           "message": 'Unsupported value: "%s": supported values: "NotOlderThan"'
                                      % query.get("resourceVersionMatch"),
                           "field": "resourceVersionMatch"})
    if causes:
        raise _invalid_list_options(causes)


def gone(rv, floor):
    return {"type": "ERROR", "object": status(410, "Expired", "too old resource version: %s (%d)"
                                              % (rv, floor))}


class Watch:
    """One watch request. run() yields lists of event dicts until the watch ends."""

    def __init__(self, ctx, info, ns, query, convert):
        check_params(query)
        self.ctx = ctx
        self.store = ctx.store
        self.info = info
        self.ns = ns
        self.match = matcher(info, query)
        self.convert = convert        # presented object -> object to send (Table rows etc.)
        timeout = parse_int(query, "timeoutSeconds")
        self.timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self.bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.rv_param = query.get("resourceVersion")

    def _present(self, obj):
        return self.ctx.api.present(self.info, deep_copy(obj))

    def _mine(self, ev):
        return ev.storage == self.info.storage and (not self.ns or ev.ns == self.ns)

    def _translate(self, ev):
        if ev.type == "DELETED":
            p = self._present(ev.obj)
            return [("DELETED", p)] if self.match(p) else []
        new = self._present(ev.obj)
        new_m = self.match(new)
        if ev.type == "ADDED" or ev.old is None:
            return [("ADDED", new)] if new_m else []
        old = self._present(ev.old)
        old_m = self.match(old)
        if old_m and new_m:
            return [("MODIFIED", new)]
        if new_m:
            return [("ADDED", new)]
        if old_m:
            old["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"]
            return [("DELETED", old)]
        return []

    def _bookmark(self, rv):
        if self.info.builtin:
            o = {"kind": self.info.kind, "apiVersion": self.info.gv,
                 "metadata": {"resourceVersion": str(rv)}}
        else:
            o = {"apiVersion": self.info.gv, "kind": self.info.kind,
                 "metadata": {"resourceVersion": str(rv)}}
        return {"type": "BOOKMARK", "object": o}

    def _out(self, pairs):
        return [{"type": t, "object": self.convert(o)} for t, o in pairs]

    def run(self):
        store = self.store
        start = time.monotonic()
        deadline = start + self.timeout
        interval = self.ctx.bookmark_interval
        next_bm = start + interval
        final_bm_at = deadline - 2 if self.timeout > 2 else None
        epoch = self.ctx.watch_epoch
        with store.lock:
            if self.rv_param in (None, "", "0"):
                pos = store.rv
                initial = []
                for o in store.list_refs(self.info.storage):
                    if self.ns and o["metadata"].get("namespace") != self.ns:
                        continue
                    p = self._present(o)
                    if self.match(p):
                        initial.append(("ADDED", p))
                initial.sort(key=lambda x: (x[1]["metadata"].get("namespace", ""),
                                            x[1]["metadata"]["name"]))
                first = self._out(initial)
            else:
                try:
                    pos = int(self.rv_param)
                except ValueError:
                    raise ApiError(400, "BadRequest", 'strconv.ParseUint: parsing "%s": invalid '
                                   'syntax' % self.rv_param)
                if pos < store.floor:
                    yield [gone(pos, store.floor)]
                    return
                first = []
        yield first   # possibly empty: lets the caller send the headers at once
        while True:
            out = []
            with store.lock:
                while True:
                    now = time.monotonic()
                    if self.ctx.watch_epoch != epoch or self.info.removed or now >= deadline:
                        break
                    evs = store.events_after(pos)
                    if evs is None:
                        out.append(gone(pos, store.floor))
                        break
                    if any(self._mine(e) for e in evs):
                        break
                    if evs:
                        pos = evs[-1].rv
                    if self.bookmarks and (now >= next_bm or
                                           (final_bm_at is not None and now >= final_bm_at)):
                        break
                    wait = min(deadline, next_bm if self.bookmarks else deadline,
                               final_bm_at if (self.bookmarks and final_bm_at) else deadline) - now
                    store.cond.wait(max(0.01, min(wait, 1.0)))
                if out:
                    yield out
                    return
                if self.ctx.watch_epoch != epoch or self.info.removed:
                    return
                now = time.monotonic()
                if now >= deadline:
                    return
                evs = store.events_after(pos) or []
                pairs = []
                for e in evs:
                    if self._mine(e):
                        pairs.extend(self._translate(e))
                    pos = e.rv
                out = self._out(pairs)
                if self.bookmarks and (now >= next_bm or
                                       (final_bm_at is not None and now >= final_bm_at)):
                    pos = max(pos, store.rv) if not evs else pos
                    out.append(self._bookmark(pos))
                    if now >= next_bm:
                        next_bm = now + interval
                    if final_bm_at is not None and now >= final_bm_at:
                        final_bm_at = None
            if out:
                lag = self.ctx.faults.lag(self.info.plural)
                if lag > 0:   # a slow watch: this informer's cache falls behind the others'
                    time.sleep(lag)
                yield out
