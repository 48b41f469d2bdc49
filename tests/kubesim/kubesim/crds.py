"""CustomResourceDefinitions: acceptance and establishment (03), serving their resources,
and termination with instance cleanup (18)."""
import hashlib

from .resources import VERBS_CR, ResourceInfo
from .util import deep_copy, now_rfc3339

CLEANUP = "customresourcecleanup.apiextensions.k8s.io"


def crd_defaults(obj):
    spec = obj.setdefault("spec", {})
    spec.setdefault("conversion", {"strategy": "None"})
    names = spec.setdefault("names", {})
    if names.get("kind"):
        names.setdefault("listKind", names["kind"] + "List")
        names.setdefault("singular", names["kind"].lower())
    storage = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    obj["status"] = {"conditions": None, "acceptedNames": {"plural": "", "kind": ""},
                     "storedVersions": storage}


def _cond(type_, status, reason, message):
    return {"type": type_, "status": status, "lastTransitionTime": now_rfc3339(),
            "reason": reason, "message": message}


def infos_for(crd):
    spec = crd["spec"]
    names = spec["names"]
    out = []
    for v in spec.get("versions") or []:
        if not v.get("served"):
            continue
        subs = ["status"] if "status" in (v.get("subresources") or {}) else []
        if "scale" in (v.get("subresources") or {}):
            subs.append("scale")
        h = hashlib.sha256((spec["group"] + "/" + v["name"] + "/" + names["kind"]).encode())
        import base64
        r = ResourceInfo(spec["group"], v["name"], names["plural"],
                         names.get("singular", names["kind"].lower()), names["kind"],
                         spec.get("scope", "Namespaced") == "Namespaced",
                         names.get("shortNames") or [], names.get("categories") or [], subs,
                         VERBS_CR, spec["group"] + "/" + names["plural"], deep_copy(crd), True,
                         base64.b64encode(h.digest()[:8]).decode())
        out.append(r)
    return out


class CrdHook:
    """Runs synchronously inside every write (under the store lock)."""

    def __init__(self, ctx):
        self.ctx = ctx

    def _crd_info(self):
        return self.ctx.registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")

    def on_write(self, info, old, new):
        if info.plural != "customresourcedefinitions" or info.group != "apiextensions.k8s.io":
            return
        reg = self.ctx.registry
        if new is None:
            name = old["metadata"]["name"]
            for r in reg.custom.get(name, []):
                r.removed = True
            reg.set_custom(name, [])
            self.ctx.store.cond.notify_all()
            return
        name = new["metadata"]["name"]
        if old is None:
            self._establish(new)
            return
        terminating = bool(new["metadata"].get("deletionTimestamp"))
        infos = infos_for(new)
        for r in infos:
            r.terminating = terminating
        prev = {(r.group, r.version, r.plural): r for r in reg.custom.get(name, [])}
        for r in prev.values():
            if (r.group, r.version, r.plural) not in {(i.group, i.version, i.plural)
                                                     for i in infos}:
                r.removed = True
        # Keep the same objects where possible so running watches see updates to flags.
        merged = []
        for r in infos:
            p = prev.get((r.group, r.version, r.plural))
            if p is not None:
                p.__dict__.update({k: v for k, v in r.__dict__.items() if k != "removed"})
                merged.append(p)
            else:
                merged.append(r)
        reg.set_custom(name, merged)
        if terminating and not (old or {}).get("metadata", {}).get("deletionTimestamp"):
            cur = deep_copy(new)
            conds = cur["status"].get("conditions") or []
            conds.append(_cond("Terminating", "True", "InstanceDeletionPending",
                               "CustomResourceDefinition marked for deletion; CustomResource "
                               "deletion will begin soon"))
            cur["status"]["conditions"] = conds
            self.ctx.store.put("apiextensions.k8s.io/customresourcedefinitions", cur, "MODIFIED")

    def _establish(self, crd):
        store = self.ctx.store
        storage = "apiextensions.k8s.io/customresourcedefinitions"
        names = crd["spec"]["names"]
        for r in self.ctx.registry.all():
            if (not r.builtin and r.group == crd["spec"]["group"] and r.plural == names["plural"]
                    and r.crd["metadata"]["name"] != crd["metadata"]["name"]):
                cur = deep_copy(crd)
                cur["status"]["conditions"] = [
                    _cond("NamesAccepted", "False", "PluralConflict",
                          '"%s" is already in use' % names["plural"]),
                    _cond("Established", "False", "NotAccepted", "not all names are accepted")]
                store.put(storage, cur, "MODIFIED")
                return
        cur = deep_copy(crd)
        accepted = {k: names[k] for k in ("plural", "singular", "shortNames", "kind", "listKind",
                                           "categories") if k in names}
        cur["status"]["acceptedNames"] = accepted
        cur["status"]["conditions"] = [
            _cond("NamesAccepted", "True", "NoConflicts", "no conflicts found"),
            _cond("Established", "False", "Installing", "the initial names have been accepted")]
        cur = store.put(storage, cur, "MODIFIED")
        self.ctx.registry.set_custom(crd["metadata"]["name"], infos_for(cur))
        cur["status"]["conditions"][1] = _cond("Established", "True", "InitialNamesAccepted",
                                               "the initial names have been accepted")
        store.put(storage, cur, "MODIFIED")
