"""RBAC authorization for the `--user-token` users (the two kubesim tokens stay cluster-admin):
the stored Roles, ClusterRoles, RoleBindings and ClusterRoleBindings grant resource requests as
the real RBAC authorizer does (plugin/pkg/auth/authorizer/rbac): a ClusterRoleBinding grants its
ClusterRole everywhere, a RoleBinding grants its Role or ClusterRole in its namespace; rules
match on verb, API group, resource ("pods", "pods/log", "*", "*/log") and resourceNames (only
for requests naming an object). ServiceAccount users are `system:serviceaccount:NS:NAME`, in
the groups system:serviceaccounts, system:serviceaccounts:NS and system:authenticated.
Aggregated ClusterRoles and escalation checks are not modelled.

Every decision is recorded (GET /_kubesim/authorizations) so a test can compare what a
client used with what its Roles grant."""
import threading

G = "rbac.authorization.k8s.io"


def user_groups(user):
    groups = ["system:authenticated"]
    parts = user.split(":")
    if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
        groups += ["system:serviceaccounts", "system:serviceaccounts:" + parts[2]]
    return groups


def _subject_matches(s, user, groups, binding_ns):
    kind = s.get("kind")
    if kind == "User":
        return s.get("name") == user
    if kind == "Group":
        return s.get("name") in groups
    if kind == "ServiceAccount":
        ns = s.get("namespace") or binding_ns
        return user == "system:serviceaccount:%s:%s" % (ns, s.get("name"))
    return False


def _has(values, want):
    return "*" in (values or []) or want in (values or [])


def rule_allows(rule, verb, group, resource, sub, name):
    if not _has(rule.get("verbs"), verb) or not _has(rule.get("apiGroups"), group):
        return False
    full = resource + ("/" + sub if sub else "")
    res = rule.get("resources") or []
    if not ("*" in res or full in res or (sub and "*/" + sub in res)):
        return False
    names = rule.get("resourceNames") or []
    return not names or (name is not None and name in names)


class Authorizer:
    def __init__(self, ctx):
        self.ctx = ctx
        self.lock = threading.Lock()
        self.decisions = []

    def _rules(self, kind, ns, name):
        store = self.ctx.store
        if kind == "ClusterRole":
            role = store.get_ref(G + "/clusterroles", "", name)
        elif kind == "Role":
            role = store.get_ref(G + "/roles", ns, name)
        else:
            role = None
        return (role or {}).get("rules") or []

    def allowed(self, user, verb, group, resource, sub, ns, name):
        groups = user_groups(user)
        store = self.ctx.store
        ok = False
        with store.lock:
            bindings = [(b, "") for b in store.list_refs(G + "/clusterrolebindings")]
            if ns:
                bindings += [(b, ns) for b in store.list_refs(G + "/rolebindings")
                             if b["metadata"].get("namespace") == ns]
            for b, bns in bindings:
                if not any(_subject_matches(s, user, groups, bns) for s in b.get("subjects") or []):
                    continue
                ref = b.get("roleRef") or {}
                if bns == "" and ref.get("kind") != "ClusterRole":
                    continue
                if any(rule_allows(r, verb, group, resource, sub, name)
                       for r in self._rules(ref.get("kind"), bns, ref.get("name"))):
                    ok = True
                    break
        with self.lock:
            self.decisions.append({"user": user, "verb": verb, "group": group,
                                   "resource": resource + ("/" + sub if sub else ""),
                                   "namespace": ns or "", "name": name or "", "allowed": ok})
        return ok

    def log(self):
        with self.lock:
            return list(self.decisions)
