"""One scheduling attempt of kube-scheduler v1.28's default profile, reduced to the filters a
benchmark operator meets: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity (nodeSelector
and required node affinity), NodePorts, NodeResourcesFit (only when the node reports
allocatable), PodTopologySpread (DoNotSchedule) and InterPodAffinity (required terms). A pod that
fits nowhere gets the scheduler's FitError text, preemption part included
(k8s-reference/12-pods/09 and 16).

Not done: actual preemption (victims are never deleted), volume filters, scoring beyond
preferred node affinity and a least-loaded tie-break."""
import re

from .selectors import label_selector_from_object
from .util import dig

UU = "UnschedulableAndUnresolvable"
U = "Unschedulable"

ERR_UNSCHEDULABLE = "node(s) were unschedulable"
ERR_NODE_NAME = "node(s) didn't match the requested node name"
ERR_AFFINITY = "node(s) didn't match Pod's node affinity/selector"
ERR_PORTS = "node(s) didn't have free ports for the requested pod ports"
ERR_SPREAD = "node(s) didn't match pod topology spread constraints"
ERR_SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)"
ERR_POD_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_POD_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
NO_NODES = "no nodes available to schedule pods"


def _labels(obj):
    return dig(obj, "metadata", "labels") or {}


def _name(obj):
    return dig(obj, "metadata", "name") or ""


def _ns(obj):
    return dig(obj, "metadata", "namespace") or ""


# ---------------------------------------------------------------- quantities

_SUFFIX = {"n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
           "P": 1e15, "E": 1e18, "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40,
           "Pi": 2 ** 50, "Ei": 2 ** 60}


def quantity(q):
    """A resource.Quantity string as a float (cpu in cores, memory in bytes)."""
    if isinstance(q, (int, float)):
        return float(q)
    m = re.fullmatch(r"\s*([+-]?[0-9.]+)(?:[eE]([+-]?[0-9]+))?([a-zA-Z]*)\s*", str(q or "0"))
    if not m or m.group(3) not in _SUFFIX:
        return 0.0
    v = float(m.group(1)) * _SUFFIX[m.group(3)]
    if m.group(2):
        v *= 10 ** int(m.group(2))
    return v


def pod_requests(pod):
    spec = pod.get("spec") or {}
    total = {}
    for c in spec.get("containers") or []:
        res = c.get("resources") or {}
        req = dict(res.get("limits") or {})
        req.update(res.get("requests") or {})
        for k, v in req.items():
            total[k] = total.get(k, 0.0) + quantity(v)
    for c in spec.get("initContainers") or []:
        res = c.get("resources") or {}
        req = dict(res.get("limits") or {})
        req.update(res.get("requests") or {})
        for k, v in req.items():
            total[k] = max(total.get(k, 0.0), quantity(v))
    for k, v in (spec.get("overhead") or {}).items():
        total[k] = total.get(k, 0.0) + quantity(v)
    return total


# ---------------------------------------------------------------- matching helpers

def tolerates(tolerations, taint):
    for t in tolerations or []:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("key") and t.get("key") != taint.get("key"):
            continue
        op = t.get("operator") or "Equal"
        if op == "Exists" or (op == "Equal" and (t.get("value") or "") ==
                              (taint.get("value") or "")):
            return True
    return False


def _expr_match(e, labels):
    key, op, values = e.get("key", ""), e.get("operator"), e.get("values") or []
    has = key in labels
    if op == "In":
        return has and labels[key] in values
    if op == "NotIn":
        return not has or labels[key] not in values
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt"):
        if not has or len(values) != 1:
            return False
        try:
            lv, rv = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return lv > rv if op == "Gt" else lv < rv
    return False


def _term_match(term, node):
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = _labels(node)
    if not all(_expr_match(e, labels) for e in exprs):
        return False
    return all(_expr_match(f, {"metadata.name": _name(node)}) for f in fields)


def node_matches_affinity(pod, node):
    """nodeSelector and requiredDuringSchedulingIgnoredDuringExecution."""
    labels = _labels(node)
    for k, v in (dig(pod, "spec", "nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    req = dig(pod, "spec", "affinity", "nodeAffinity",
             "requiredDuringSchedulingIgnoredDuringExecution")
    if req is not None:
        return any(_term_match(t, node) for t in req.get("nodeSelectorTerms") or [])
    return True


def _term_namespaces(term, owner_ns):
    if term.get("namespaceSelector") is not None:
        # namespace labels are not modelled: a namespaceSelector selects every namespace
        return None
    return set(term.get("namespaces") or []) or {owner_ns}


def _pod_matches_term(term, owner_ns, other):
    nss = _term_namespaces(term, owner_ns)
    if nss is not None and _ns(other) not in nss:
        return False
    return label_selector_from_object(term.get("labelSelector"))(_labels(other))


def _required(pod, kind):
    return dig(pod, "spec", "affinity", kind,
              "requiredDuringSchedulingIgnoredDuringExecution") or []


def _host_ports(pod):
    out = []
    for c in dig(pod, "spec", "containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.append((p.get("protocol") or "TCP", int(p["hostPort"]),
                            p.get("hostIP") or "0.0.0.0"))
    return out


# ---------------------------------------------------------------- the cycle

def _with_hostname(node):
    """A kubelet always labels its Node kubernetes.io/hostname; nodes registered by tests may
    not, so the label defaults to the node name (hostname anti-affinity relies on it)."""
    labels = _labels(node)
    if "kubernetes.io/hostname" in labels:
        return node
    node = dict(node)
    node["metadata"] = dict(node.get("metadata") or {})
    node["metadata"]["labels"] = dict(labels, **{"kubernetes.io/hostname": _name(node)})
    return node


class _Cycle:
    def __init__(self, pod, nodes, pods):
        self.pod = pod
        self.nodes = [_with_hostname(n) for n in nodes]
        nodes = self.nodes
        self.by_name = {_name(n): n for n in nodes}
        me = (_ns(pod), _name(pod))
        self.active = [p for p in pods
                       if dig(p, "spec", "nodeName") and (_ns(p), _name(p)) != me
                       and dig(p, "status", "phase") not in ("Succeeded", "Failed")]
        self.spread = self._spread_counts()

    def pods_on(self, node, exclude=()):
        return [p for p in self.active if dig(p, "spec", "nodeName") == _name(node)
                and id(p) not in exclude]

    # PodTopologySpread PreFilter: counts per domain over the eligible nodes
    def _constraints(self):
        out = []
        for c in dig(self.pod, "spec", "topologySpreadConstraints") or []:
            if c.get("whenUnsatisfiable", "DoNotSchedule") != "DoNotSchedule":
                continue
            sel = dict(c.get("labelSelector") or {})
            keys = c.get("matchLabelKeys") or []
            if keys:
                ml = dict(sel.get("matchLabels") or {})
                for k in keys:
                    if k in _labels(self.pod):
                        ml[k] = _labels(self.pod)[k]
                sel["matchLabels"] = ml
            out.append((c, label_selector_from_object(sel if c.get("labelSelector") is not None
                                                      or keys else None)))
        return out

    def _spread_counts(self):
        cons = self._constraints()
        keys = [c.get("topologyKey", "") for c, _ in cons]
        result = []
        for c, match in cons:
            counts = {}
            for n in self.nodes:
                labels = _labels(n)
                if not all(k in labels for k in keys):
                    continue
                if c.get("nodeAffinityPolicy", "Honor") == "Honor" and \
                        not node_matches_affinity(self.pod, n):
                    continue
                if c.get("nodeTaintsPolicy", "Ignore") == "Honor" and any(
                        t.get("effect") in ("NoSchedule", "NoExecute") and
                        not tolerates(dig(self.pod, "spec", "tolerations"), t)
                        for t in dig(n, "spec", "taints") or []):
                    continue
                dom = labels[c.get("topologyKey", "")]
                counts.setdefault(dom, 0)
                for p in self.pods_on(n):
                    if _ns(p) == _ns(self.pod) and not dig(p, "metadata", "deletionTimestamp") \
                            and match(_labels(p)):
                        counts[dom] += 1
            result.append((c, match, counts))
        return result

    def filter(self, node, exclude=()):
        """(code, [reasons]) of the first failing filter, or None when the pod fits."""
        spec = self.pod.get("spec") or {}
        tol = spec.get("tolerations")
        if dig(node, "spec", "unschedulable") and not tolerates(
                tol, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}):
            return UU, [ERR_UNSCHEDULABLE]
        if spec.get("nodeName") and spec["nodeName"] != _name(node):
            return UU, [ERR_NODE_NAME]
        for t in dig(node, "spec", "taints") or []:
            if t.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(tol, t):
                return UU, ["node(s) had untolerated taint {%s: %s}"
                            % (t.get("key", ""), t.get("value", ""))]
        if not node_matches_affinity(self.pod, node):
            return UU, [ERR_AFFINITY]
        on_node = self.pods_on(node, exclude)
        want = _host_ports(self.pod)
        if want:
            used = [hp for p in on_node for hp in _host_ports(p)]
            for proto, port, ip in want:
                for uproto, uport, uip in used:
                    if proto == uproto and port == uport and \
                            (ip == uip or "0.0.0.0" in (ip, uip)):
                        return U, [ERR_PORTS]
        st = self._fit(node, on_node)
        if st:
            return st
        st = self._spread(node, exclude)
        if st:
            return st
        return self._inter_pod(node, exclude)

    def _fit(self, node, on_node):
        alloc = dig(node, "status", "allocatable") or dig(node, "status", "capacity")
        if not alloc:
            return None
        reasons = []
        if "pods" in alloc and len(on_node) + 1 > quantity(alloc["pods"]):
            reasons.append("Too many pods")
        want = pod_requests(self.pod)
        used = {}
        for p in on_node:
            for k, v in pod_requests(p).items():
                used[k] = used.get(k, 0.0) + v
        for r in ["cpu", "memory", "ephemeral-storage"] + sorted(
                k for k in want if k not in ("cpu", "memory", "ephemeral-storage", "pods")):
            need = want.get(r, 0.0)
            if need <= 0:
                continue
            if r in ("cpu", "memory", "ephemeral-storage") and r not in alloc:
                continue
            if need > quantity(alloc.get(r, 0)) - used.get(r, 0.0) + 1e-9:
                reasons.append("Insufficient %s" % r)
        return (U, reasons) if reasons else None

    def _spread(self, node, exclude):
        labels = _labels(node)
        for c, match, counts in self.spread:
            key = c.get("topologyKey", "")
            if key not in labels:
                return UU, [ERR_SPREAD_LABEL]
        for c, match, counts in self.spread:
            key = c.get("topologyKey", "")
            if exclude:
                counts = dict(counts)
                for p in self.active:
                    if id(p) in exclude and match(_labels(p)) and _ns(p) == _ns(self.pod):
                        n = self.by_name.get(dig(p, "spec", "nodeName"))
                        dom = _labels(n).get(key) if n else None
                        if dom in counts:
                            counts[dom] -= 1
            min_match = min(counts.values()) if counts else 0
            min_domains = c.get("minDomains")
            if min_domains and len(counts) < min_domains:
                min_match = 0
            self_match = 1 if match(_labels(self.pod)) else 0
            skew = counts.get(labels[key], 0) + self_match - min_match
            if skew > int(c.get("maxSkew") or 1):
                return U, [ERR_SPREAD]
        return None

    def _domain_of(self, p, key):
        n = self.by_name.get(dig(p, "spec", "nodeName"))
        return _labels(n).get(key) if n is not None else None

    def _inter_pod(self, node, exclude):
        labels = _labels(node)
        others = [p for p in self.active if id(p) not in exclude]
        ns = _ns(self.pod)
        terms = _required(self.pod, "podAffinity")
        if terms:
            any_match = any(_pod_matches_term(t, ns, p) for t in terms for p in others)
            if not any_match:
                ok = all(_pod_matches_term(t, ns, self.pod) for t in terms)
            else:
                ok = True
                for t in terms:
                    key = t.get("topologyKey", "")
                    if key not in labels or not any(
                            _pod_matches_term(t, ns, p) and self._domain_of(p, key) ==
                            labels[key] for p in others):
                        ok = False
                        break
            if not ok:
                return UU, [ERR_POD_AFFINITY]
        for t in _required(self.pod, "podAntiAffinity"):
            key = t.get("topologyKey", "")
            if key not in labels:
                continue
            for p in others:
                if _pod_matches_term(t, ns, p) and self._domain_of(p, key) == labels[key]:
                    return U, [ERR_POD_ANTI_AFFINITY]
        for p in others:
            for t in _required(p, "podAntiAffinity"):
                key = t.get("topologyKey", "")
                if key in labels and _pod_matches_term(t, _ns(p), self.pod) and \
                        self._domain_of(p, key) == labels[key]:
                    return U, [ERR_EXISTING_ANTI_AFFINITY]
        return None

    def score(self, node):
        s = 0
        for t in dig(self.pod, "spec", "affinity", "nodeAffinity",
                    "preferredDuringSchedulingIgnoredDuringExecution") or []:
            if _term_match(t.get("preference") or {}, node):
                s += int(t.get("weight") or 0)
        return s


def _histogram(statuses):
    counts = {}
    for _, reasons in statuses:
        for r in reasons:
            counts[r] = counts.get(r, 0) + 1
    return ", ".join(sorted("%d %s" % (v, k) for k, v in counts.items()))


def _fit_error(n, statuses, post=""):
    msg = "0/%d nodes are available:" % n
    hist = _histogram(statuses)
    if hist:
        msg += " %s." % hist
    if post:
        msg += " %s." % post
    return msg


def _preemption(cycle, statuses):
    """DefaultPreemption's PostFilter message, or "" when preemption would find victims."""
    pod = cycle.pod
    if dig(pod, "spec", "preemptionPolicy") == "Never":
        return "preemption: not eligible due to preemptionPolicy=Never."
    prio = int(dig(pod, "spec", "priority") or 0)
    out = []
    for node, (code, reasons) in statuses:
        if code == UU:
            out.append((UU, ["Preemption is not helpful for scheduling"]))
            continue
        victims = [p for p in cycle.pods_on(node) if int(dig(p, "spec", "priority") or 0) < prio]
        if not victims:
            out.append((UU, ["No preemption victims found for incoming pod"]))
            continue
        st = cycle.filter(node, exclude={id(p) for p in victims})
        if st is None:
            return ""
        out.append(st)
    return "preemption: " + _fit_error(len(statuses), out)


def schedule(pod, nodes, pods):
    """(node_name, "") for the node the pod is bound to, or (None, message) with the message
    the scheduler writes into the PodScheduled=False/Unschedulable condition. nodes: all Node
    objects; pods: all Pod objects (bound, terminal and the pod itself are handled)."""
    if not nodes:
        return None, NO_NODES
    cycle = _Cycle(pod, nodes, pods)
    statuses, feasible = [], []
    for n in cycle.nodes:
        st = cycle.filter(n)
        if st is None:
            feasible.append(n)
        else:
            statuses.append((n, st))
    if feasible:
        order = {id(n): i for i, n in enumerate(cycle.nodes)}
        best = max(feasible, key=lambda n: (cycle.score(n), -len(cycle.pods_on(n)),
                                            -order[id(n)]))
        return _name(best), ""
    post = _preemption(cycle, statuses)
    return None, _fit_error(len(nodes), [st for _, st in statuses], post)
