"""Background controllers fed from the store history: garbage collection (ownerReferences,
foreground/orphan finalizers), namespace termination and CRD instance cleanup."""
import threading

from .crds import CLEANUP
from .util import deep_copy


class Loop:
    """Runs sweep() once at start and after every batch of store events."""

    name = "loop"

    def __init__(self, ctx):
        self.ctx = ctx
        self.stopped = False
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stopped = True
        with self.ctx.store.lock:
            self.ctx.store.cond.notify_all()

    def _run(self):
        store = self.ctx.store
        pos = -1
        while not self.stopped:
            with store.lock:
                while not self.stopped and store.rv == pos:
                    store.cond.wait(1.0)
                if self.stopped:
                    return
                evs = store.events_after(pos) if pos >= 0 else None
                pos = store.rv
            try:
                self.sweep(evs)
            except Exception as e:  # a controller bug must not kill the server
                self.ctx.log("controller %s: %r" % (self.name, e))

    def sweep(self, events):
        raise NotImplementedError


class GarbageCollector(Loop):
    name = "gc"

    def _all(self):
        out = []
        for r in self.ctx.registry.all():
            if r.storage == "events" and r.group:
                continue
            seen = set()
            for o in self.ctx.store.list_refs(r.storage):
                k = (o["metadata"].get("namespace", ""), o["metadata"]["name"])
                if (r.storage, k) not in seen:
                    seen.add((r.storage, k))
                    out.append((r, o))
        # a storage may be served by several versions: keep one entry per object
        uniq = {}
        for r, o in out:
            uniq.setdefault(o["metadata"]["uid"], (r, o))
        return list(uniq.values())

    def sweep(self, events):
        store = self.ctx.store
        deleter = self.ctx.deleter
        with store.lock:
            objs = self._all()
            by_uid = {o["metadata"]["uid"]: (r, o) for r, o in objs}
            dependents = {}
            for r, o in objs:
                for ref in o["metadata"].get("ownerReferences") or []:
                    dependents.setdefault(ref.get("uid"), []).append((r, o))
            for r, o in objs:
                md = o["metadata"]
                fins = md.get("finalizers") or []
                if not md.get("deletionTimestamp"):
                    continue
                uid = md["uid"]
                if "foregroundDeletion" in fins:
                    deps = dependents.get(uid, [])
                    for dr, d in deps:
                        if not d["metadata"].get("deletionTimestamp"):
                            deleter.delete_internal(dr, d, "Background")
                    # only dependents with blockOwnerDeletion hold the owner back
                    blocking = [d for _, d in deps if any(
                        ref.get("uid") == uid and ref.get("blockOwnerDeletion")
                        for ref in d["metadata"].get("ownerReferences") or [])]
                    if not blocking:
                        self._drop_finalizer(r, o, "foregroundDeletion")
                elif "orphan" in fins:
                    for dr, d in dependents.get(uid, []):
                        self._drop_owner(dr, d, uid)
                    self._drop_finalizer(r, o, "orphan")
            for r, o in objs:
                refs = o["metadata"].get("ownerReferences") or []
                if not refs:
                    continue
                if store.get_ref(r.storage, o["metadata"].get("namespace", ""),
                                 o["metadata"]["name"]) is not o:
                    continue
                alive = [ref for ref in refs if self._owner_alive(ref, o, by_uid)]
                if not alive:
                    if not o["metadata"].get("deletionTimestamp"):
                        deleter.delete_internal(r, o, "Background")
                elif len(alive) != len(refs):
                    for ref in refs:
                        if ref not in alive:
                            self._drop_owner(r, o, ref.get("uid"))
            self._namespaces()
            self._crds()

    def _owner_alive(self, ref, dep, by_uid):
        hit = by_uid.get(ref.get("uid"))
        if hit is None:
            return False
        r, o = hit
        if r.namespaced and o["metadata"].get("namespace") != dep["metadata"].get("namespace"):
            return False
        return True

    def _update(self, r, new):
        old = self.ctx.store.get(r.storage, new["metadata"].get("namespace", ""),
                                 new["metadata"]["name"])
        if old is None:
            return
        self.ctx.api._finish_write(r, old, new, None, "Ignore")

    def _drop_finalizer(self, r, o, fin):
        new = deep_copy(o)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or []
                                         if f != fin]
        self._update(r, new)

    def _drop_owner(self, r, o, uid):
        cur = self.ctx.store.get(r.storage, o["metadata"].get("namespace", ""),
                                 o["metadata"]["name"])
        if cur is None:
            return
        refs = [x for x in cur["metadata"].get("ownerReferences") or [] if x.get("uid") != uid]
        if refs:
            cur["metadata"]["ownerReferences"] = refs
        else:
            cur["metadata"].pop("ownerReferences", None)
        self._update(r, cur)

    def _namespaces(self):
        store = self.ctx.store
        ns_info = self.ctx.registry.find("", "v1", "namespaces")
        for ns in list(store.list_refs(ns_info.storage)):
            if not ns["metadata"].get("deletionTimestamp"):
                continue
            name = ns["metadata"]["name"]
            left = 0
            for r, o in self._all():
                if r.namespaced and o["metadata"].get("namespace") == name:
                    left += 1
                    if not o["metadata"].get("deletionTimestamp"):
                        self.ctx.deleter.delete_internal(r, o, "Background")
            if not left:
                store.remove(ns_info.storage, "", name)

    def _crds(self):
        store = self.ctx.store
        info = self.ctx.registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        for crd in list(store.list_refs(info.storage)):
            md = crd["metadata"]
            if not md.get("deletionTimestamp") or CLEANUP not in (md.get("finalizers") or []):
                continue
            served = self.ctx.registry.custom.get(md["name"], [])
            left = 0
            if served:
                r = served[0]
                for o in list(store.list_refs(r.storage)):
                    left += 1
                    if not o["metadata"].get("deletionTimestamp"):
                        self.ctx.deleter.delete_internal(r, o, "Background")
                left = len(store.list_refs(r.storage))
            if not left:
                for r in served:
                    r.removed = True
                self._drop_finalizer(info, crd, CLEANUP)
