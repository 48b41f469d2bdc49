"""apps/v1 Deployment and rbac.authorization.k8s.io/v1 kinds: the server-side defaults and the
cheap part of the built-in validation (pkg/apis/apps/validation, pkg/apis/rbac/validation) with
the real wording, and the autoscaling/v1 Scale view of a Deployment. There is no Deployment
controller: status stays as written through /status."""
from .apivalidation import go_quote, label_key_error, label_value_errors
from .selectors import label_selector_from_object

RBAC = "rbac.authorization.k8s.io"


# ---- defaults (pkg/apis/apps/v1/defaults.go, pkg/apis/core/v1/defaults.go) ------------------

def _probe(p):
    if not isinstance(p, dict):
        return
    p.setdefault("timeoutSeconds", 1)
    p.setdefault("periodSeconds", 10)
    p.setdefault("successThreshold", 1)
    p.setdefault("failureThreshold", 3)
    if isinstance(p.get("httpGet"), dict):
        p["httpGet"].setdefault("path", "/")
        p["httpGet"].setdefault("scheme", "HTTP")


def pod_template_spec(spec):
    """SetDefaults_PodSpec and the container defaults; what admission adds to Pods only
    (serviceAccountName, tolerations, priority) is not part of a template."""
    from .defaults import _container
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if isinstance(c, dict):
            _container(c)
            for k in ("livenessProbe", "readinessProbe", "startupProbe"):
                _probe(c.get(k))
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for v in spec.get("volumes") or []:
        for src in ("secret", "configMap", "downwardAPI", "projected"):
            if isinstance(v.get(src), dict):
                v[src].setdefault("defaultMode", 420)
        if "emptyDir" in v and v["emptyDir"] is None:
            v["emptyDir"] = {}


def deployment(obj):
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", "25%")
        ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    tmpl = spec.setdefault("template", {})
    if isinstance(tmpl, dict):
        tmpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        if isinstance(tmpl.setdefault("spec", {}), dict):
            pod_template_spec(tmpl["spec"])
    obj.setdefault("status", {})


def rbac(obj):
    for s in obj.get("subjects") or []:
        if isinstance(s, dict) and s.get("kind") in ("User", "Group"):
            s.setdefault("apiGroup", RBAC)
    if obj.get("kind") in ("Role", "ClusterRole") and "rules" not in obj:
        obj["rules"] = None


DEFAULTS = {("apps", "deployments"): deployment}
for _p in ("roles", "clusterroles", "rolebindings", "clusterrolebindings"):
    DEFAULTS[(RBAC, _p)] = rbac


def apply_defaults(info, obj):
    f = DEFAULTS.get((info.group, info.plural))
    if f:
        f(obj)


# ---- validation ----------------------------------------------------------------------------

def _required(field, detail=""):
    return {"reason": "FieldValueRequired", "field": field,
            "message": "Required value" + (": " + detail if detail else "")}


def _invalid(field, shown, detail):
    return {"reason": "FieldValueInvalid", "field": field,
            "message": "Invalid value: %s: %s" % (shown, detail)}


def _unsupported(field, value, supported):
    return {"reason": "FieldValueNotSupported", "field": field,
            "message": "Unsupported value: %s: supported values: %s"
                       % (go_quote(value), ", ".join(go_quote(s) for s in supported))}


def _go_strings(vals):
    return "[]string{%s}" % ", ".join(go_quote(str(v)) for v in vals)


def _go_map(m):
    return "map[string]string{%s}" % ", ".join(
        "%s:%s" % (go_quote(k), go_quote(str(m[k]))) for k in sorted(m))


def _labels(field, labels, causes):
    for k, v in (labels or {}).items():
        err = label_key_error(k, field)
        if err:
            causes.append({"reason": "FieldValueInvalid", "field": field,
                           "message": err.split(": ", 1)[1]})
        for e in label_value_errors(str(v)):
            causes.append(_invalid(field, go_quote(str(v)), e))


def _deployment(obj, old):
    causes = []
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    replicas = spec.get("replicas", 0)
    if isinstance(replicas, int) and replicas < 0:
        causes.append(_invalid("spec.replicas", str(replicas),
                               "must be greater than or equal to 0"))
    sel = spec.get("selector")
    tmpl = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    tlabels = ((tmpl.get("metadata") or {}).get("labels")) or {}
    if not sel:
        causes.append(_required("spec.selector"))
    elif not (sel.get("matchLabels") or sel.get("matchExpressions")):
        causes.append(_invalid("spec.selector", "v1.LabelSelector{MatchLabels:map[string]string"
                               "(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}",
                               "empty selector is invalid for deployment"))
    _labels("spec.template.metadata.labels", tlabels, causes)
    if not sel or not label_selector_from_object(sel)(tlabels):
        causes.append(_invalid("spec.template.metadata.labels", _go_map(tlabels),
                               "`selector` does not match template `labels`"))
    pspec = tmpl.get("spec") if isinstance(tmpl.get("spec"), dict) else {}
    containers = pspec.get("containers") or []
    if not containers:
        causes.append(_required("spec.template.spec.containers"))
    seen = set()
    for i, c in enumerate(containers):
        f = "spec.template.spec.containers[%d]" % i
        name = (c or {}).get("name")
        if not name:
            causes.append(_required(f + ".name"))
        elif name in seen:
            causes.append({"reason": "FieldValueDuplicate", "field": f + ".name",
                           "message": "Duplicate value: %s" % go_quote(name)})
        seen.add(name)
        if not (c or {}).get("image"):
            causes.append(_required(f + ".image"))
    rp = pspec.get("restartPolicy", "Always")
    if rp != "Always":
        causes.append(_unsupported("spec.template.spec.restartPolicy", rp, ["Always"]))
    if old is not None and sel and (old.get("spec") or {}).get("selector") != sel:
        causes.append({"reason": "FieldValueInvalid", "field": "spec.selector",
                       "message": "Invalid value: %s: field is immutable"
                                  % _go_map(sel.get("matchLabels") or {})})
    return causes


def _rules(obj, namespaced):
    causes = []
    for i, r in enumerate(obj.get("rules") or []):
        f = "rules[%d]" % i
        r = r if isinstance(r, dict) else {}
        if not r.get("verbs"):
            causes.append(_required(f + ".verbs", "verbs must contain at least one value"))
        urls = r.get("nonResourceURLs") or []
        if urls:
            if namespaced:
                causes.append(_invalid(f + ".nonResourceURLs", _go_strings(urls),
                                       "namespaced rules cannot apply to non-resource URLs"))
            if r.get("apiGroups") or r.get("resources") or r.get("resourceNames"):
                causes.append(_invalid(f + ".nonResourceURLs", _go_strings(urls),
                                       "rules cannot apply to both regular resources and "
                                       "non-resource URLs"))
            continue
        if not r.get("apiGroups"):
            causes.append(_required(f + ".apiGroups",
                                    "resource rules must supply at least one api group"))
        if not r.get("resources"):
            causes.append(_required(f + ".resources",
                                    "resource rules must supply at least one resource"))
    return causes


def _binding(obj, old, namespaced):
    causes = []
    ref = obj.get("roleRef") if isinstance(obj.get("roleRef"), dict) else {}
    if ref.get("apiGroup") != RBAC:
        causes.append(_unsupported("roleRef.apiGroup", ref.get("apiGroup", ""), [RBAC]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        causes.append(_unsupported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        causes.append(_required("roleRef.name"))
    for i, s in enumerate(obj.get("subjects") or []):
        f = "subjects[%d]" % i
        s = s if isinstance(s, dict) else {}
        if not s.get("name"):
            causes.append(_required(f + ".name"))
        kind = s.get("kind", "")
        if kind == "ServiceAccount":
            if s.get("apiGroup"):
                causes.append(_unsupported(f + ".apiGroup", s["apiGroup"], [""]))
            if not namespaced and not s.get("namespace"):
                causes.append(_required(f + ".namespace"))
        elif kind in ("User", "Group"):
            if s.get("apiGroup") != RBAC:
                causes.append(_unsupported(f + ".apiGroup", s.get("apiGroup", ""), [RBAC]))
        else:
            causes.append(_unsupported(f + ".kind", kind, ["ServiceAccount", "User", "Group"]))
    if old is not None and old.get("roleRef") != obj.get("roleRef"):
        causes.append(_invalid("roleRef", "rbac.RoleRef{APIGroup:%s, Kind:%s, Name:%s}" % (
            go_quote(ref.get("apiGroup", "")), go_quote(ref.get("kind", "")),
            go_quote(ref.get("name", ""))), "cannot change roleRef"))
    return causes


def validate(info, obj, old=None):
    """The 422 causes for obj (old: the stored object on updates), [] when valid."""
    key = (info.group, info.plural)
    if key == ("apps", "deployments"):
        return _deployment(obj, old)
    if key == (RBAC, "roles"):
        return _rules(obj, True)
    if key == (RBAC, "clusterroles"):
        return _rules(obj, False)
    if key == (RBAC, "rolebindings"):
        return _binding(obj, old, True)
    if key == (RBAC, "clusterrolebindings"):
        return _binding(obj, old, False)
    return []


# ---- the Scale subresource ---------------------------------------------------------------

def selector_string(sel):
    """metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key."""
    reqs = []
    for k, v in (sel.get("matchLabels") or {}).items():
        reqs.append((k, "%s=%s" % (k, v)))
    for e in sel.get("matchExpressions") or []:
        k, op, vals = e.get("key", ""), e.get("operator"), sorted(e.get("values") or [])
        if op == "In":
            reqs.append((k, "%s in (%s)" % (k, ",".join(vals))))
        elif op == "NotIn":
            reqs.append((k, "%s notin (%s)" % (k, ",".join(vals))))
        elif op == "Exists":
            reqs.append((k, k))
        elif op == "DoesNotExist":
            reqs.append((k, "!" + k))
    return ",".join(r for _, r in sorted(reqs, key=lambda x: x[0]))


def to_scale(obj):
    md = obj.get("metadata") or {}
    keep = {k: md[k] for k in ("name", "namespace", "uid", "resourceVersion",
                               "creationTimestamp") if k in md}
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": keep,
            "spec": {"replicas": spec.get("replicas", 0)},
            "status": {"replicas": st.get("replicas", 0),
                       "selector": selector_string(spec.get("selector") or {})}}
