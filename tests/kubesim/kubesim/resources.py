"""The resource registry: built-in kinds and the ones CRDs add at run time."""
import threading

VERBS_ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
VERBS_CR = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]
VERBS_SUB = ["get", "patch", "update"]


class ResourceInfo:
    def __init__(self, group, version, plural, singular, kind, namespaced, short_names=(),
                 categories=(), subresources=(), verbs=None, storage=None, crd=None,
                 generation=False, hash_=""):
        self.group = group
        self.version = version
        self.plural = plural
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.categories = list(categories)
        self.subresources = list(subresources)
        self.verbs = verbs or VERBS_ALL
        # Objects of several API versions can share one storage (events).
        self.storage = storage or (group + "/" + plural)
        self.crd = crd                # the CRD object for custom resources
        self.generation = generation  # whether metadata.generation is maintained
        self.hash = hash_
        self.terminating = False
        self.removed = False

    @property
    def gv(self):
        return self.group + "/" + self.version if self.group else self.version

    @property
    def list_kind(self):
        return self.kind + "List"

    @property
    def builtin(self):
        return self.crd is None

    def has_status(self):
        return "status" in self.subresources

    def crd_version(self):
        if not self.crd:
            return None
        for v in self.crd["spec"]["versions"]:
            if v["name"] == self.version:
                return v
        return None

    def schema(self):
        v = self.crd_version()
        if not v:
            return None
        return (v.get("schema") or {}).get("openAPIV3Schema")


def _b(group, version, plural, kind, namespaced, short=(), cats=(), subs=(), verbs=None,
       storage=None, generation=False, hash_=""):
    return ResourceInfo(group, version, plural, kind.lower(), kind, namespaced, short, cats,
                        subs, verbs, storage, None, generation, hash_)


BUILTINS = [
    _b("", "v1", "configmaps", "ConfigMap", True, ["cm"], hash_="qFsyl6wFWjQ="),
    _b("", "v1", "endpoints", "Endpoints", True, ["ep"], hash_="fWeeMqaN/OA="),
    _b("", "v1", "events", "Event", True, ["ev"], storage="events", hash_="r2yiGXH7wu8="),
    _b("", "v1", "namespaces", "Namespace", False, ["ns"], subs=["status", "finalize"],
       verbs=["create", "delete", "get", "list", "patch", "update", "watch"],
       hash_="Q3oi5N2YM8M="),
    _b("", "v1", "nodes", "Node", False, ["no"], subs=["status"], hash_="XwShjMxG9Fs="),
    _b("", "v1", "pods", "Pod", True, ["po"], ["all"],
       subs=["binding", "eviction", "log", "status"],
       hash_="xPOwRZ+Yhw8="),
    _b("", "v1", "secrets", "Secret", True, hash_="S6u1pOWzb84="),
    _b("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"], hash_="pbx9ZvyFpBE="),
    _b("", "v1", "services", "Service", True, ["svc"], ["all"], subs=["status"],
       hash_="0/CO1lhkEBI="),
    # Groups in the order the real server lists them (01-discovery/04): apps, events.k8s.io,
    # ..., rbac.authorization.k8s.io, ..., apiextensions.k8s.io, ..., coordination.k8s.io.
    _b("apps", "v1", "deployments", "Deployment", True, ["deploy"], ["all"],
       subs=["scale", "status"], generation=True, hash_="8aSe+NMegvE="),
    _b("events.k8s.io", "v1", "events", "Event", True, ["ev"], storage="events",
       hash_="r2yiGXH7wu8="),
    _b("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False,
       hash_="48tpQ8gZHFc="),
    _b("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False,
       hash_="bYE5ZWDrJ44="),
    _b("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True,
       hash_="eGsCzGH6b1g="),
    _b("rbac.authorization.k8s.io", "v1", "roles", "Role", True, hash_="7FuwZcIIItM="),
    _b("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
       False, ["crd", "crds"], ["api-extensions"], subs=["status"], generation=True,
       hash_="jfWCUB31mvA="),
    _b("coordination.k8s.io", "v1", "leases", "Lease", True, hash_="gqkMMb/YqFM="),
]


class Registry:
    """Group/version/resource lookup; CRD resources come and go under the lock."""

    def __init__(self):
        self.lock = threading.RLock()
        self.builtin = list(BUILTINS)
        self.custom = {}   # crd name -> [ResourceInfo per served version]
        self.changed = 0   # bumped on every change (discovery ETag)

    def all(self):
        with self.lock:
            out = list(self.builtin)
            for infos in self.custom.values():
                out.extend(infos)
            return out

    def find(self, group, version, plural):
        for r in self.all():
            if r.group == group and r.version == version and r.plural == plural:
                return r
        return None

    def by_storage(self, storage):
        return [r for r in self.all() if r.storage == storage]

    def for_kind(self, group, kind):
        for r in self.all():
            if r.group == group and r.kind == kind:
                return r
        return None

    def groups(self):
        """[(group, [versions])] in the order discovery lists them (core excluded)."""
        order = []
        seen = {}
        for r in self.all():
            if not r.group:
                continue
            if r.group not in seen:
                seen[r.group] = []
                order.append(r.group)
            if r.version not in seen[r.group]:
                seen[r.group].append(r.version)
        return [(g, seen[g]) for g in order]

    def set_custom(self, crd_name, infos):
        with self.lock:
            if infos:
                self.custom[crd_name] = infos
            else:
                self.custom.pop(crd_name, None)
            self.changed += 1
