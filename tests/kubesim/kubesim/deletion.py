"""DELETE semantics (11-deletion, 12-pods): preconditions, propagation policies, finalizers,
graceful pod deletion, and deletecollection."""
import json

from .util import (ApiError, bad_request, deep_copy, details, not_found, now_rfc3339,
                   rfc3339_after, status)

POLICIES = ("Foreground", "Background", "Orphan")


def parse_options(raw, query):
    opts = {}
    if raw and raw.strip():
        try:
            opts = json.loads(raw)
        except ValueError as e:
            raise bad_request("error decoding DeleteOptions: %s" % e)
        if not isinstance(opts, dict):
            raise bad_request("error decoding DeleteOptions: not an object")
    if query.get("propagationPolicy"):
        opts["propagationPolicy"] = query.get("propagationPolicy")
    if query.get("gracePeriodSeconds") is not None:
        try:
            opts["gracePeriodSeconds"] = int(query.get("gracePeriodSeconds"))
        except ValueError:
            raise bad_request('strconv.ParseInt: parsing "%s": invalid syntax'
                              % query.get("gracePeriodSeconds"))
    if query.get("orphanDependents") is not None:
        opts["orphanDependents"] = query.get("orphanDependents") == "true"
    if query.get("dryRun"):
        opts["dryRun"] = [query.get("dryRun")]
    pol = opts.get("propagationPolicy")
    if pol is not None and pol not in POLICIES:
        msg = ('Unsupported value: "%s": supported values: "Foreground", "Background", '
               '"Orphan", "nil"' % pol)
        raise ApiError(422, "Invalid", 'DeleteOptions.meta.k8s.io "" is invalid: '
                       'propagationPolicy: ' + msg,
                       {"group": "meta.k8s.io", "kind": "DeleteOptions",
                        "causes": [{"reason": "FieldValueNotSupported", "message": msg,
                                    "field": "propagationPolicy"}]})
    return opts


class Deleter:
    def __init__(self, api):
        self.api = api
        self.store = api.store

    def _kind_q(self, info):
        return "%s.%s" % (info.kind, info.group) if info.group else info.kind

    def delete(self, info, ns, name, opts):
        """Returns (code, body): the object when only marked, a Status when removed."""
        with self.store.lock:
            old = self.store.get(info.storage, ns, name)
            if old is None:
                raise not_found(info, name)
            md = old["metadata"]
            pre = opts.get("preconditions") or {}
            if pre.get("uid") and pre["uid"] != md.get("uid"):
                raise ApiError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": the UID in the '
                               'precondition (%s) does not match the UID in record (%s). The '
                               'object might have been deleted and then recreated'
                               % (self._kind_q(info), name, pre["uid"], md.get("uid")),
                               details(info, name, kind=info.kind))
            if pre.get("resourceVersion") and pre["resourceVersion"] != md["resourceVersion"]:
                raise ApiError(409, "Conflict",
                               'Operation cannot be fulfilled on %s "%s": the ResourceVersion in '
                               'the precondition (%s) does not match the ResourceVersion in '
                               'record (%s). The object might have been modified'
                               % (self._kind_q(info), name, pre["resourceVersion"],
                                  md["resourceVersion"]), details(info, name, kind=info.kind))
            if "All" in (opts.get("dryRun") or []):
                return 200, self._success(info, old)
            return self._delete_locked(info, old, opts)

    def _success(self, info, obj):
        return status(None, None, None,
                      details(info, obj["metadata"]["name"], uid=obj["metadata"]["uid"]),
                      status_word="Success")

    def _delete_locked(self, info, old, opts):
        md = old["metadata"]
        policy = opts.get("propagationPolicy")
        if policy is None and opts.get("orphanDependents") is not None:
            policy = "Orphan" if opts["orphanDependents"] else "Background"
        if info.plural == "pods" and info.group == "":
            return self._delete_pod(info, old, opts)
        if info.plural == "namespaces" and info.group == "":
            return self._mark(info, old, [], 0, phase="Terminating")
        if md.get("deletionTimestamp"):
            return 200, self.api.present(info, old)
        extra = []
        if policy == "Foreground":
            extra = ["foregroundDeletion"]
        elif policy == "Orphan":
            extra = ["orphan"]
        if info.crd is None and info.plural == "customresourcedefinitions":
            extra = ["customresourcecleanup.apiextensions.k8s.io"]
        if md.get("finalizers") or extra:
            return self._mark(info, old, extra, 0)
        self.store.remove(info.storage, md.get("namespace", ""), md["name"])
        for h in self.api.hooks:
            h.on_write(info, old, None)
        return 200, self._success(info, old)

    def _mark(self, info, old, extra, grace, phase=None, deletion_ts=None):
        new = deep_copy(old)
        md = new["metadata"]
        if md.get("deletionTimestamp"):
            return 200, self.api.present(info, old)
        md["deletionTimestamp"] = deletion_ts or now_rfc3339()
        md["deletionGracePeriodSeconds"] = grace
        fins = md.get("finalizers") or []
        for f in extra:
            if f not in fins:
                fins.append(f)
        if fins:
            md["finalizers"] = fins
        if phase:
            new.setdefault("status", {})["phase"] = phase
        if self.api._uses_generation(info):
            md["generation"] = md.get("generation", 1) + 1
        stored = self.store.put(info.storage, self.api_normalize(info, new), "MODIFIED")
        for h in self.api.hooks:
            h.on_write(info, old, stored)
        return 200, self.api.present(info, stored)

    def api_normalize(self, info, obj):
        from .api import normalize
        return normalize(info, obj)

    def _delete_pod(self, info, old, opts):
        md = old["metadata"]
        spec = old.get("spec") or {}
        grace = opts.get("gracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        phase = (old.get("status") or {}).get("phase")
        if not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            grace = 0
        if md.get("deletionTimestamp"):
            cur = md.get("deletionGracePeriodSeconds", 0)
            if grace >= cur:
                return 200, self.api.present(info, old)
            new = deep_copy(old)
            new["metadata"]["deletionGracePeriodSeconds"] = grace
            new["metadata"]["deletionTimestamp"] = rfc3339_after(grace)
            stored = self.store.put(info.storage, new, "MODIFIED")
            if grace == 0 and not stored["metadata"].get("finalizers"):
                self.store.remove(info.storage, md.get("namespace", ""), md["name"])
            return 200, self.api.present(info, stored)
        code, body = self._mark(info, old, [], grace, deletion_ts=rfc3339_after(grace))
        if grace == 0 and not md.get("finalizers"):
            self.store.remove(info.storage, md.get("namespace", ""), md["name"])
            for h in self.api.hooks:
                h.on_write(info, old, None)
        return code, body

    def delete_collection(self, info, ns, match, opts):
        with self.store.lock:
            items, _ = self.store.list(info.storage, ns)
            deleted = []
            for o in items:
                if not match(o):
                    continue
                deleted.append(self.api.present(info, o))
                if "All" not in (opts.get("dryRun") or []):
                    self._delete_locked(info, o, opts)
            return deleted

    def delete_internal(self, info, obj, policy="Background"):
        """Used by controllers (GC, namespace and CRD cleanup)."""
        with self.store.lock:
            cur = self.store.get(info.storage, obj["metadata"].get("namespace", ""),
                                 obj["metadata"]["name"])
            if cur is None or cur["metadata"]["uid"] != obj["metadata"]["uid"]:
                return
            self._delete_locked(info, cur, {"propagationPolicy": policy})
