"""Server-side defaults of the built-in kinds, as the real API server fills them in (12, 13)."""
import base64
import random
import string

_SUFFIX = "bcdfghjklmnpqrstvwxz2456789"


def random_suffix(n=5):
    return "".join(random.choice(_SUFFIX) for _ in range(n))


def _container(c):
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    image = c.get("image", "")
    tag = image.rsplit("/", 1)[-1]
    latest = ":" not in tag or tag.endswith(":latest")
    c.setdefault("imagePullPolicy", "Always" if latest and "@" not in tag else "IfNotPresent")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    for e in c.get("env") or []:
        fr = (e.get("valueFrom") or {}).get("fieldRef")
        if fr is not None:
            fr.setdefault("apiVersion", "v1")


def _qos(spec):
    req_any = False
    guaranteed = True
    for c in spec.get("containers") or []:
        r = c.get("resources") or {}
        lim, req = r.get("limits") or {}, r.get("requests") or {}
        if lim or req:
            req_any = True
        for res in ("cpu", "memory"):
            if res not in lim or req.get(res, lim.get(res)) != lim.get(res):
                guaranteed = False
    if not req_any:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def pod(obj):
    spec = obj.setdefault("spec", {})
    for c in spec.get("initContainers") or []:
        _container(c)
    for c in spec.get("containers") or []:
        _container(c)
        # Guaranteed pods get requests copied from limits, as the real defaulting does.
        r = c.get("resources") or {}
        if r.get("limits"):
            req = r.setdefault("requests", {})
            for k, v in r["limits"].items():
                req.setdefault(k, v)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("serviceAccountName", "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    tol = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key and t.get("effect") == "NoExecute" for t in tol):
            tol.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 300})
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    for v in spec.get("volumes") or []:
        if "secret" in v:
            v["secret"].setdefault("defaultMode", 420)
        if "configMap" in v:
            v["configMap"].setdefault("defaultMode", 420)
        if "downwardAPI" in v:
            v["downwardAPI"].setdefault("defaultMode", 420)
            for it in v["downwardAPI"].get("items") or []:
                if "fieldRef" in it:
                    it["fieldRef"].setdefault("apiVersion", "v1")
        if "emptyDir" in v and v["emptyDir"] is None:
            v["emptyDir"] = {}
    st = obj.setdefault("status", {})
    st.setdefault("phase", "Pending")
    st.setdefault("qosClass", _qos(spec))


def secret(obj):
    sd = obj.pop("stringData", None)
    if sd:
        data = obj.setdefault("data", {})
        for k, v in sd.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
    obj.setdefault("type", "Opaque")


_service_ip = [10]


def service(obj):
    spec = obj.setdefault("spec", {})
    if spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
        _service_ip[0] += 1
        spec["clusterIP"] = "10.0.0.%d" % (_service_ip[0] % 250 + 2)
    if spec.get("clusterIP"):
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    spec.setdefault("internalTrafficPolicy", "Cluster")
    for p in spec.get("ports") or []:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p.get("port"))
    obj.setdefault("status", {"loadBalancer": {}})


def namespace(obj):
    obj.setdefault("spec", {"finalizers": ["kubernetes"]})
    obj.setdefault("status", {"phase": "Active"})
    md = obj["metadata"]
    md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]


def node(obj):
    st = obj.setdefault("status", {})
    if "conditions" not in st:
        st["conditions"] = [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                             "message": "kubelet is posting ready status"}]


def core_event(obj):
    obj.setdefault("eventTime", None)
    obj.setdefault("reportingComponent", "")
    obj.setdefault("reportingInstance", "")


def events_v1(obj):
    obj.setdefault("deprecatedSource", {})
    obj.setdefault("deprecatedFirstTimestamp", None)
    obj.setdefault("deprecatedLastTimestamp", None)


BY_PLURAL = {"pods": pod, "secrets": secret, "services": service, "namespaces": namespace,
             "nodes": node}


def apply(info, obj):
    if info.group == "" and info.plural == "events":
        core_event(obj)
    elif info.group == "events.k8s.io":
        events_v1(obj)
    elif info.group == "apiextensions.k8s.io":
        from .crds import crd_defaults
        crd_defaults(obj)
    elif info.group == "":
        f = BY_PLURAL.get(info.plural)
        if f:
            f(obj)


def random_name_chars():
    return string.ascii_lowercase
