"""Server-side meta.k8s.io/v1 Tables: the apiextensions printer-column convertor for custom
resources and the kube-apiserver printers (pkg/printers/internalversion) for the built-ins
kubesim serves. See k8s-reference/07-tables and 12-pods/19."""
import datetime

from . import jsonpath
from .util import dig

NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, "
             "although some resources may allow a client to request the generation of an "
             "appropriate name automatically. Name is primarily intended for creation idempotence "
             "and configuration definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
CREATED_DESC = ("CreationTimestamp is a timestamp representing the server time when this object "
                "was created. It is not guaranteed to be set in happens-before order across "
                "separate operations. Clients may not set this value. It is represented in "
                "RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
                "lists. More info: "
                "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                "api-conventions.md#metadata")

# ObjectMeta's Go field order: PartialObjectMetadata is serialized from the struct.
_META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields")
_MANAGED_ORDER = ("manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1",
                  "subresource")
_OWNER_ORDER = ("apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion")


def _col(name, typ, desc, priority=0, fmt=""):
    return {"name": name, "type": typ, "format": fmt, "description": desc, "priority": priority}


def _ordered(d, order):
    out = {k: d[k] for k in order if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


def partial_metadata(obj, api_version="meta.k8s.io/v1"):
    """The PartialObjectMetadata a Table row (includeObject=Metadata) carries."""
    md = _ordered(obj.get("metadata") or {}, _META_ORDER)
    if "managedFields" in md:
        md["managedFields"] = [_ordered(m, _MANAGED_ORDER) for m in md["managedFields"]]
    if "ownerReferences" in md:
        md["ownerReferences"] = [_ordered(o, _OWNER_ORDER) for o in md["ownerReferences"]]
    return {"kind": "PartialObjectMetadata", "apiVersion": api_version, "metadata": md}


# ---------------------------------------------------------------- time helpers

def _parse_time(s):
    """metav1.Time.UnmarshalQueryParameter: RFC3339; None for the zero time, raises on junk."""
    if s is None or s == "" or s == "null":
        return None
    if not isinstance(s, str):
        raise ValueError("not a string")
    t = s.strip()
    if t.endswith("Z") or t.endswith("z"):
        t = t[:-1] + "+00:00"
    if len(t) < 20 or t[10] not in "Tt":
        raise ValueError(s)
    return datetime.datetime.fromisoformat(t[:10] + "T" + t[11:])


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return "%dm" % minutes if sec == 0 else "%dm%ds" % (minutes, sec)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        y = hours // 24 // 365
        return "%dy" % y if dy == 0 else "%dy%dd" % (y, dy)
    return "%dy" % (hours // 24 // 365)


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def age(ts, now=None):
    """translateTimestampSince: "<unknown>" for a missing time."""
    try:
        t = _parse_time(ts)
    except ValueError:
        return "<unknown>"
    if t is None:
        return "<unknown>"
    return human_duration(((now or _now()) - t).total_seconds())


# ---------------------------------------------------------------- custom resources

def _go_text(v):
    """jsonpath PrintResults for one value in a string column."""
    import json
    if v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    if isinstance(v, float):
        from .apivalidation import go_float
        return go_float(v)
    return str(v)


def _json_number(f):
    """A float64 the way Go's encoder writes it: integral values without a fraction."""
    if f == int(f) and abs(f) < 1e21:
        return int(f)
    return f


def _cell(typ, value, now):
    if value is None:
        return None
    if typ == "string":
        return _go_text(value)
    if typ == "integer":
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value)
        return None
    if typ == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, (int, float)):
            return _json_number(float(value)) if isinstance(value, float) else value
        return None
    if typ == "boolean":
        return value if isinstance(value, bool) else None
    if typ == "date":
        if isinstance(value, str):
            try:
                t = _parse_time(value)
            except ValueError:
                return "<invalid>"
            if t is None:
                return "<unknown>"
            return human_duration(((now or _now()) - t).total_seconds())
        return None
    return None


def _crd_columns(crd_version):
    cols = list((crd_version or {}).get("additionalPrinterColumns") or [])
    if not cols:
        # apiextensions serves a default Age column when a version declares none
        return [_col("Name", "string", NAME_DESC, fmt="name"),
                _col("Age", "date", CREATED_DESC)], [".metadata.creationTimestamp"]
    defs = [_col("Name", "string", NAME_DESC, fmt="name")]
    paths = []
    for c in cols:
        desc = c.get("description") or (
            "Custom resource definition column (in JSONPath format): %s" % c.get("jsonPath", ""))
        defs.append(_col(c.get("name", ""), c.get("type", "string"), desc,
                         int(c.get("priority") or 0), c.get("format") or ""))
        paths.append(c.get("jsonPath", ""))
    return defs, paths


def _crd_cells(obj, defs, paths, now):
    cells = [(obj.get("metadata") or {}).get("name", "")]
    for d, p in zip(defs[1:], paths):
        try:
            results = jsonpath.find_results("{%s}" % p, obj)
        except jsonpath.JSONPathError:
            results = []
        if not results or not results[0]:
            cells.append(None)
            continue
        # the server prints only the first match of a column (tableconvertor.go)
        cells.append(_cell(d["type"], results[0][0], now))
    return cells, None


# ---------------------------------------------------------------- built-ins

POD_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
    _col("Status", "string", "The aggregate status of the containers in this pod."),
    _col("Restarts", "string", "The number of times the containers in this pod have been "
         "restarted and when the last container in this pod has restarted."),
    _col("Age", "string", CREATED_DESC),
    _col("IP", "string", "podIP address allocated to the pod. Routable at least within the "
         "cluster. Empty if not yet allocated.", 1),
    _col("Node", "string", "NodeName is a request to schedule this pod onto a specific node. If "
         "it is non-empty, the scheduler simply schedules this pod onto that node, assuming that "
         "it fits resource requirements.", 1),
    _col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other "
         "pods on the node, but it cannot be scheduled right away as preemption victims receive "
         "their graceful termination periods. This field does not guarantee that the pod will be "
         "scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes "
         "become available sooner. Scheduler may also decide to give the resources on this node "
         "to a higher priority pod that is created after preemption. As a result, this field may "
         "be different than PodSpec.nodeName when the pod is scheduled.", 1),
    _col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for "
         "pod readiness. A pod is ready when all its containers are ready AND all conditions "
         "specified in the readiness gates have status equal to \"True\" More info: "
         "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates", 1),
]


def _pod_init_reason(spec, st, reason):
    """(reason, initializing, restarts) from the init containers, as printPod computes them."""
    restarts = 0
    for i, c in enumerate(st.get("initContainerStatuses") or []):
        restarts += int(c.get("restartCount") or 0)
        state = c.get("state") or {}
        term = state.get("terminated")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = "Init:Signal:%d" % term["signal"]
            else:
                reason = "Init:ExitCode:%d" % term.get("exitCode", 0)
        elif (state.get("waiting") or {}).get("reason") and \
                state["waiting"]["reason"] != "PodInitializing":
            reason = "Init:" + state["waiting"]["reason"]
        else:
            reason = "Init:%d/%d" % (i, len(spec.get("initContainers") or []))
        return reason, True, restarts
    return reason, False, restarts


def _pod_container_reason(st, reason):
    """(reason, ready, restarts, last restart time) from the containers, last one first."""
    ready = restarts = 0
    last_restart = None
    has_running = False
    for c in reversed(st.get("containerStatuses") or []):
        restarts += int(c.get("restartCount") or 0)
        lt = dig(c, "lastState", "terminated", "finishedAt")
        if lt and (last_restart is None or lt > last_restart):
            last_restart = lt
        state = c.get("state") or {}
        w, t = state.get("waiting"), state.get("terminated")
        if w is not None and w.get("reason"):
            reason = w["reason"]
        elif t is not None and t.get("reason"):
            reason = t["reason"]
        elif t is not None:
            reason = ("Signal:%d" % t["signal"]) if t.get("signal") else \
                "ExitCode:%d" % int(t.get("exitCode") or 0)
        elif c.get("ready") and state.get("running") is not None:
            has_running = True
            ready += 1
    if reason == "Completed" and has_running:
        ready_cond = any(c.get("type") == "Ready" and c.get("status") == "True"
                         for c in st.get("conditions") or [])
        reason = "Running" if ready_cond else "NotReady"
    return reason, ready, restarts, last_restart


def _pod_cells(pod, now):
    spec = pod.get("spec") or {}
    st = pod.get("status") or {}
    md = pod.get("metadata") or {}
    total = len(spec.get("containers") or [])
    total += sum(1 for ic in spec.get("initContainers") or []
                 if ic.get("restartPolicy") == "Always")
    ready, last_restart = 0, None
    phase = st.get("phase", "")
    reason = st.get("reason") or phase
    for c in st.get("conditions") or []:
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    reason, initializing, restarts = _pod_init_reason(spec, st, reason)
    init_done = any(c.get("type") == "Initialized" and c.get("status") == "True"
                    for c in st.get("conditions") or [])
    if not initializing or init_done:
        reason, ready, restarts, last_restart = _pod_container_reason(st, reason)
    if md.get("deletionTimestamp") and st.get("reason") == "NodeLost":
        reason = "Unknown"
    elif md.get("deletionTimestamp"):
        reason = "Terminating"
    restarts_s = str(restarts)
    if restarts and last_restart:
        restarts_s = "%d (%s ago)" % (restarts, age(last_restart, now))
    ips = st.get("podIPs") or []
    ip = (ips[0].get("ip") if ips and isinstance(ips[0], dict) else "") or "<none>"
    gates = spec.get("readinessGates") or []
    gates_s = "<none>"
    if gates:
        true = 0
        for g in gates:
            for c in st.get("conditions") or []:
                if c.get("type") == g.get("conditionType"):
                    true += c.get("status") == "True"
                    break
        gates_s = "%d/%d" % (true, len(gates))
    cells = [md.get("name", ""), "%d/%d" % (ready, total), reason, restarts_s,
             age(md.get("creationTimestamp"), now), ip, spec.get("nodeName") or "<none>",
             st.get("nominatedNodeName") or "<none>", gates_s]
    conds = None
    if phase == "Succeeded":
        conds = [{"type": "Completed", "status": "True", "reason": "Succeeded",
                  "message": "The pod has completed successfully."}]
    elif phase == "Failed":
        conds = [{"type": "Completed", "status": "True", "reason": "Failed",
                  "message": "The pod failed."}]
    return cells, conds


NODE_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Status", "string", "The status of the node"),
    _col("Roles", "string", "The roles of the node"),
    _col("Age", "string", CREATED_DESC),
    _col("Version", "string", "Kubelet Version reported by the node."),
    _col("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud "
         "provider, if available. More info: "
         "https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared "
         "as mergeable, but the merge key is not sufficiently unique, which can cause data "
         "corruption when it is merged. Callers should instead use a full-replacement patch. See "
         "https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can "
         "change during the lifetime of a Node. However, there are some exceptions where this "
         "may not be possible, such as Pods that inherit a Node's address in its own status or "
         "consumers of the downward API (status.hostIP).", 1),
    _col("External-IP", "string", "List of addresses reachable to the node. Queried from cloud "
         "provider, if available. More info: "
         "https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared "
         "as mergeable, but the merge key is not sufficiently unique, which can cause data "
         "corruption when it is merged. Callers should instead use a full-replacement patch. See "
         "https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can "
         "change during the lifetime of a Node. However, there are some exceptions where this "
         "may not be possible, such as Pods that inherit a Node's address in its own status or "
         "consumers of the downward API (status.hostIP).", 1),
    _col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian "
         "GNU/Linux 7 (wheezy)).", 1),
    _col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. "
         "3.16.0-0.bpo.4-amd64).", 1),
    _col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through "
         "runtime remote API (e.g. containerd://1.4.2).", 1),
]


def _node_cells(node, now):
    md = node.get("metadata") or {}
    st = node.get("status") or {}
    conds = {c.get("type"): c.get("status") for c in st.get("conditions") or []}
    status = []
    if "Ready" in conds:
        status.append("Ready" if conds["Ready"] == "True" else "NotReady")
    if not status:
        status.append("Unknown")
    if dig(node, "spec", "unschedulable"):
        status.append("SchedulingDisabled")
    roles = set()
    for k, v in (md.get("labels") or {}).items():
        if k.startswith("node-role.kubernetes.io/"):
            roles.add(k[len("node-role.kubernetes.io/"):])
        elif k == "kubernetes.io/role":
            roles.add(v)
    roles.discard("")
    info = st.get("nodeInfo") or {}

    def addr(kind):
        for a in st.get("addresses") or []:
            if a.get("type") == kind:
                return a.get("address", "")
        return "<none>"
    return [md.get("name", ""), ",".join(status), ",".join(sorted(roles)) or "<none>",
            age(md.get("creationTimestamp"), now), info.get("kubeletVersion", ""),
            addr("InternalIP"), addr("ExternalIP"), info.get("osImage") or "<unknown>",
            info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"], None


NAMESPACE_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Status", "string", "The status of the namespace"),
    _col("Age", "string", CREATED_DESC),
]


def _namespace_cells(ns, now):
    md = ns.get("metadata") or {}
    return [md.get("name", ""), dig(ns, "status", "phase") or "",
            age(md.get("creationTimestamp"), now)], None


SECRET_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Type", "string", "Used to facilitate programmatic handling of secret data. More info: "
         "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
    _col("Data", "string", "Data contains the secret data. Each key must consist of "
         "alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a "
         "base64 encoded string, representing the arbitrary (possibly non-string) data value "
         "here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
    _col("Age", "string", CREATED_DESC),
]


def _secret_cells(s, now):
    md = s.get("metadata") or {}
    return [md.get("name", ""), s.get("type", ""), len(s.get("data") or {}),
            age(md.get("creationTimestamp"), now)], None


CONFIGMAP_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Data", "string", "Data contains the configuration data. Each key must consist of "
         "alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must "
         "use the BinaryData field. The keys stored in Data must not overlap with the keys in the "
         "BinaryData field, this is enforced during validation process."),
    _col("Age", "string", CREATED_DESC),
]


def _configmap_cells(cm, now):
    md = cm.get("metadata") or {}
    return [md.get("name", ""), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}),
            age(md.get("creationTimestamp"), now)], None


SERVICE_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Type", "string", "type determines how the Service is exposed. Defaults to ClusterIP. "
         "Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. \"ClusterIP\" "
         "allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are "
         "determined by the selector or if that is not specified, by manual construction of an "
         "Endpoints object or EndpointSlice objects. If clusterIP is \"None\", no virtual IP is "
         "allocated and the endpoints are published as a set of endpoints rather than a virtual "
         "IP. \"NodePort\" builds on ClusterIP and allocates a port on every node which routes "
         "to the same endpoints as the clusterIP. \"LoadBalancer\" builds on NodePort and "
         "creates an external load-balancer (if supported in the current cloud) which routes to "
         "the same endpoints as the clusterIP. \"ExternalName\" aliases this service to the "
         "specified externalName. Several other fields do not apply to ExternalName services. "
         "More info: https://kubernetes.io/docs/concepts/services-networking/service/"
         "#publishing-services-service-types"),
    _col("Cluster-IP", "string", "clusterIP is the IP address of the service and is usually "
         "assigned randomly. If an address is specified manually, is in-range (as per system "
         "configuration), and is not in use, it will be allocated to the service; otherwise "
         "creation of the service will fail. This field may not be changed through updates "
         "unless the type field is also being changed to ExternalName (which requires this field "
         "to be blank) or the type field is being changed from ExternalName (in which case this "
         "field may optionally be specified, as describe above).  Valid values are \"None\", "
         "empty string (\"\"), or a valid IP address. Setting this to \"None\" makes a "
         "\"headless service\" (no virtual IP), which is useful when direct endpoint connections "
         "are preferred and proxying is not required.  Only applies to types ClusterIP, "
         "NodePort, and LoadBalancer. If this field is specified when creating a Service of type "
         "ExternalName, creation will fail. This field will be wiped when updating a Service to "
         "type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/"
         "service/#virtual-ips-and-service-proxies"),
    _col("External-IP", "string", "externalIPs is a list of IP addresses for which nodes in the "
         "cluster will also accept traffic for this service.  These IPs are not managed by "
         "Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with "
         "this IP.  A common example is external load-balancers that are not part of the "
         "Kubernetes system."),
    _col("Port(s)", "string", "The list of ports that are exposed by this service. More info: "
         "https://kubernetes.io/docs/concepts/services-networking/service/"
         "#virtual-ips-and-service-proxies"),
    _col("Age", "string", CREATED_DESC),
    _col("Selector", "string", "Route service traffic to pods with label keys and values "
         "matching this selector. If empty or not present, the service is assumed to have an "
         "external process managing its endpoints, which Kubernetes will not modify. Only "
         "applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is "
         "ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/"
         "service/", 1),
]


def _service_cells(svc, now):
    md = svc.get("metadata") or {}
    spec = svc.get("spec") or {}
    typ = spec.get("type") or "ClusterIP"
    ext = spec.get("externalIPs") or []
    if typ in ("ClusterIP", "NodePort"):
        external = ",".join(ext) if ext else "<none>"
    elif typ == "LoadBalancer":
        ing = [i.get("ip") or i.get("hostname") or ""
               for i in dig(svc, "status", "loadBalancer", "ingress") or []]
        ips = [i for i in ing + ext if i]
        external = ",".join(ips) if ips else "<pending>"
    elif typ == "ExternalName":
        external = spec.get("externalName", "")
    else:
        external = "<unknown>"
    ports = []
    for p in spec.get("ports") or []:
        proto = p.get("protocol") or "TCP"
        if p.get("nodePort"):
            ports.append("%s:%s/%s" % (p.get("port"), p["nodePort"], proto))
        else:
            ports.append("%s/%s" % (p.get("port"), proto))
    sel = spec.get("selector") or {}
    return [md.get("name", ""), typ, spec.get("clusterIP") or "<none>", external,
            ",".join(ports) or "<none>", age(md.get("creationTimestamp"), now),
            ",".join("%s=%s" % (k, sel[k]) for k in sorted(sel)) or "<none>"], None


EVENT_COLUMNS = [
    _col("Last Seen", "string", "The time at which the most recent occurrence of this event was "
         "recorded."),
    _col("Type", "string", "Type of this event (Normal, Warning), new types could be added in "
         "the future"),
    _col("Reason", "string", "This should be a short, machine understandable string that gives "
         "the reason for the transition into the object's current status."),
    _col("Object", "string", "The object that this event is about."),
    _col("Subobject", "string", "If referring to a piece of an object instead of an entire "
         "object, this string should contain a valid JSON/Go field access statement, such as "
         "desiredState.manifest.containers[2]. For example, if the object reference is to a "
         "container within a pod, this would take on a value like: \"spec.containers{name}\" "
         "(where \"name\" refers to the name of the container that triggered the event) or if no "
         "container name is specified \"spec.containers[2]\" (container with index 2 in this "
         "pod). This syntax is chosen only to have some well-defined way of referencing a part "
         "of an object.", 1),
    _col("Source", "string", "The component reporting this event. Should be a short machine "
         "understandable string.", 1),
    _col("Message", "string", "A human-readable description of the status of this operation."),
    _col("First Seen", "string", "The time at which the event was first recorded. (Time of "
         "server receipt is in TypeMeta.)", 1),
    _col("Count", "string", "The number of times this event has occurred.", 1),
    _col("Name", "string", NAME_DESC, 1, "name"),
]


def _event_cells(ev, now):
    if "regarding" in ev or "note" in ev or "deprecatedCount" in ev:
        # an events.k8s.io/v1 shape: the same stored Event, other field names
        ev = {"metadata": ev.get("metadata") or {}, "involvedObject": ev.get("regarding") or {},
              "reason": ev.get("reason"), "message": ev.get("note"), "type": ev.get("type"),
              "source": ev.get("deprecatedSource") or {},
              "firstTimestamp": ev.get("deprecatedFirstTimestamp"),
              "lastTimestamp": ev.get("deprecatedLastTimestamp"),
              "count": ev.get("deprecatedCount"), "eventTime": ev.get("eventTime"),
              "series": ev.get("series"), "reportingComponent": ev.get("reportingController"),
              "reportingInstance": ev.get("reportingInstance")}
    first = age(ev.get("firstTimestamp"), now) if ev.get("firstTimestamp") else \
        age(ev.get("eventTime"), now)
    last = age(ev.get("lastTimestamp"), now) if ev.get("lastTimestamp") else first
    count = ev.get("count") or 0
    series = ev.get("series")
    if series:
        last = age(series.get("lastObservedTime"), now)
        count = series.get("count") or 0
    elif count == 0:
        count = 1
    io = ev.get("involvedObject") or {}
    target = (io.get("kind") or "").lower()
    if io.get("name"):
        target = "%s/%s" % (target, io["name"])
    src = ev.get("source") or {}
    comp = src.get("component") or ev.get("reportingComponent") or ""
    inst = src.get("host") or ev.get("reportingInstance") or ""
    source = "%s, %s" % (comp, inst) if comp or inst else ""
    return [last, ev.get("type") or "", ev.get("reason") or "", target,
            io.get("fieldPath") or "", source, (ev.get("message") or "").strip(), first,
            int(count), (ev.get("metadata") or {}).get("name", "")], None


LEASE_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Holder", "string", "holderIdentity contains the identity of the holder of a current "
         "lease."),
    _col("Age", "string", CREATED_DESC),
]


def _lease_cells(lease, now):
    md = lease.get("metadata") or {}
    return [md.get("name", ""), dig(lease, "spec", "holderIdentity") or "",
            age(md.get("creationTimestamp"), now)], None


DEFAULT_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Created At", "date", CREATED_DESC),
]


def _default_cells(obj, now):
    md = obj.get("metadata") or {}
    ts = md.get("creationTimestamp")
    try:
        t = _parse_time(ts)
    except ValueError:
        t = None
    if t is None:
        created = "0001-01-01T00:00:00Z"
    else:
        created = t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [md.get("name", ""), created], None


DEPLOYMENT_COLUMNS = [
    _col("Name", "string", NAME_DESC, fmt="name"),
    _col("Ready", "string", "Number of the pod with ready state"),
    _col("Up-to-date", "string", "Total number of non-terminated pods targeted by this "
         "deployment that have the desired template spec."),
    _col("Available", "string", "Total number of available pods (ready for at least "
         "minReadySeconds) targeted by this deployment."),
    _col("Age", "string", CREATED_DESC),
    _col("Containers", "string", "Names of each container in the template.", priority=1),
    _col("Images", "string", "Images referenced by each container in the template.",
         priority=1),
    _col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are "
         "selected by this will be the ones affected by this deployment.", priority=1),
]


def _deployment_cells(d, now):
    from .appsrbac import selector_string
    md, spec, st = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
    cs = (((spec.get("template") or {}).get("spec") or {}).get("containers")) or []
    return [md.get("name", ""),
            "%d/%d" % (st.get("readyReplicas", 0), spec.get("replicas", 0)),
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0),
            age(md.get("creationTimestamp"), now),
            ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs),
            selector_string(spec.get("selector") or {})], None


def _binding_columns(what):
    return [
        _col("Name", "string", NAME_DESC, fmt="name"),
        _col("Role", "string", "RoleRef can only reference a ClusterRole in the global "
             "namespace. If the RoleRef cannot be resolved, the Authorizer must return an error."
             if what == "clusterRoleBinding" else
             "RoleRef can reference a Role in the current namespace or a ClusterRole in the "
             "global namespace. If the RoleRef cannot be resolved, the Authorizer must return "
             "an error."),
        _col("Age", "string", CREATED_DESC),
        _col("Users", "string", "Users in the %s" % what, priority=1),
        _col("Groups", "string", "Groups in the %s" % what, priority=1),
        _col("ServiceAccounts", "string", "ServiceAccounts in the %s" % what, priority=1),
    ]


def _binding_cells(b, now):
    md, ref = b.get("metadata") or {}, b.get("roleRef") or {}
    users, groups, sas = [], [], []
    for s in b.get("subjects") or []:
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            sas.append("%s/%s" % (s.get("namespace", ""), s.get("name", "")))
    return [md.get("name", ""), "%s/%s" % (ref.get("kind", ""), ref.get("name", "")),
            age(md.get("creationTimestamp"), now), ", ".join(users), ", ".join(groups),
            ", ".join(sas)], None


BUILTINS = {
    "deployments": (DEPLOYMENT_COLUMNS, _deployment_cells),
    "rolebindings": (_binding_columns("roleBinding"), _binding_cells),
    "clusterrolebindings": (_binding_columns("clusterRoleBinding"), _binding_cells),
    "pods": (POD_COLUMNS, _pod_cells),
    "nodes": (NODE_COLUMNS, _node_cells),
    "namespaces": (NAMESPACE_COLUMNS, _namespace_cells),
    "secrets": (SECRET_COLUMNS, _secret_cells),
    "configmaps": (CONFIGMAP_COLUMNS, _configmap_cells),
    "services": (SERVICE_COLUMNS, _service_cells),
    "events": (EVENT_COLUMNS, _event_cells),
    "leases": (LEASE_COLUMNS, _lease_cells),
}


def table(plural, objs, crd_version, include_object="Metadata", list_meta=None, now=None,
          api_version="meta.k8s.io/v1"):
    """The Table for objs. crd_version: the CRD's versions[] entry for a custom resource, None
    for a built-in (unknown built-ins, e.g. customresourcedefinitions, get the default
    Name / Created At table). include_object: "None" | "Metadata" (the default) | "Object".
    list_meta: {resourceVersion, continue, remainingItemCount} of the list; for a single
    object pass None and the object's resourceVersion is used. now (datetime, UTC) is for tests."""
    if crd_version is not None:
        defs, paths = _crd_columns(crd_version)

        def cells_of(o, t):
            return _crd_cells(o, defs, paths, t)
    else:
        defs, cells_of = BUILTINS.get(plural, (DEFAULT_COLUMNS, _default_cells))
    meta = {}
    if list_meta is not None:
        for k in ("resourceVersion", "continue", "remainingItemCount"):
            if list_meta.get(k) not in (None, ""):
                meta[k] = list_meta[k]
    elif len(objs) == 1:
        rv = (objs[0].get("metadata") or {}).get("resourceVersion")
        if rv:
            meta["resourceVersion"] = rv
    rows = []
    for o in objs:
        cells, conds = cells_of(o, now)
        row = {"cells": cells}
        if conds:
            row["conditions"] = conds
        if include_object == "None":
            row["object"] = None
        elif include_object == "Object":
            row["object"] = o
        else:
            row["object"] = partial_metadata(o, api_version)
        rows.append(row)
    return {"kind": "Table", "apiVersion": api_version, "metadata": meta,
            "columnDefinitions": [dict(d) for d in defs], "rows": rows}
