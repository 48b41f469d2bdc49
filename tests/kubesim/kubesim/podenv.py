"""What a kubelet prepares before it starts a container, done for a local process: environment
variables (value, $(VAR) expansion, secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef,
envFrom), volumes materialised as directories (emptyDir, downwardAPI, configMap, secret,
projected, hostPath) and the remapping of in-container paths to those directories."""
import base64
import math
import os
import re
import tempfile

from .apivalidation import go_quote
from .scheduler import quantity
from .util import dig


class ConfigError(Exception):
    """The container cannot be created yet; .reason is the waiting reason the kubelet reports
    (CreateContainerConfigError, or ContainerCreating for a volume that cannot be set up)."""

    def __init__(self, message, reason="CreateContainerConfigError"):
        super().__init__(message)
        self.message, self.reason = message, reason


# ---------------------------------------------------------------- $(VAR) expansion

def expand(s, env):
    """k8s.io/kubernetes/third_party/forked/golang/expansion: $(VAR) from env, $$ -> $,
    unresolvable references kept verbatim."""
    if "$" not in s:
        return s
    out, i, n = [], 0, len(s)
    while i < n:
        c = s[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            j = s.find(")", i + 2)
            if j < 0:
                out.append(s[i:])
                break
            name = s[i + 2:j]
            out.append(env[name] if name in env else s[i:j + 1])
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- env

def _decode(v):
    try:
        return base64.b64decode(v or "").decode("utf-8", "replace")
    except (ValueError, TypeError):
        return ""


def _fetch(api, kind, ns, name, optional):
    obj = api.get(kind + "s", ns, name)
    if obj is None and not optional:
        raise ConfigError('%s "%s" not found' % (kind, name))
    return obj


def field_ref(pod, path):
    """The downward API value of fieldPath (env fieldRef and downwardAPI volume items)."""
    md = pod.get("metadata") or {}
    m = re.fullmatch(r"metadata\.(labels|annotations)\['(.*)'\]", path)
    if m:
        return (md.get(m.group(1)) or {}).get(m.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        return format_map(md.get(path.split(".")[1]) or {})
    simple = {"metadata.name": md.get("name"), "metadata.namespace": md.get("namespace"),
              "metadata.uid": md.get("uid"),
              "spec.nodeName": dig(pod, "spec", "nodeName"),
              "spec.serviceAccountName": dig(pod, "spec", "serviceAccountName"),
              "status.podIP": dig(pod, "status", "podIP"),
              "status.hostIP": dig(pod, "status", "hostIP"),
              "status.podIPs": ",".join(p.get("ip", "") for p in
                                        dig(pod, "status", "podIPs") or []),
              "status.hostIPs": ",".join(p.get("ip", "") for p in
                                         dig(pod, "status", "hostIPs") or [])}
    if path not in simple:
        raise ConfigError("unsupported fieldPath: %s" % path)
    return simple[path] or ""


def format_map(m):
    """fieldpath.FormatMap: sorted key="value" lines (Go-quoted values)."""
    return "\n".join("%s=%s" % (k, go_quote(m[k])) for k in sorted(m))


def resource_ref(pod, container_name, ref, node):
    cname = ref.get("containerName") or container_name
    c = next((c for c in dig(pod, "spec", "containers") or [] if c.get("name") == cname), {})
    res = ref.get("resource", "")
    kind, _, rname = res.partition(".")
    val = dig(c, "resources", kind, rname)
    if val is None and kind == "requests":
        val = dig(c, "resources", "limits", rname)
    if val is None:
        # an unset limit reports the node's allocatable, as the kubelet does
        val = dig(node or {}, "status", "allocatable", rname) or \
            {"cpu": "1", "memory": "1Gi", "ephemeral-storage": "10Gi"}.get(rname, "0")
    divisor = quantity(ref.get("divisor") or "1") or 1.0
    return str(int(math.ceil(quantity(val) / divisor - 1e-9)))


def resolve_env(api, pod, container, base, node=None, pod_ip=""):
    """The container's environment (ordered dict), or ConfigError with the kubelet's message."""
    ns = dig(pod, "metadata", "namespace") or "default"
    env = dict(base)
    view = pod
    if pod_ip:
        view = dict(pod, status=dict(pod.get("status") or {}, podIP=pod_ip,
                                     podIPs=[{"ip": pod_ip}], hostIP=pod_ip))
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix") or ""
        if "configMapRef" in src:
            ref = src["configMapRef"] or {}
            cm = _fetch(api, "configmap", ns, ref.get("name", ""), ref.get("optional"))
            for k, v in ((cm or {}).get("data") or {}).items():
                env[prefix + k] = v
        if "secretRef" in src:
            ref = src["secretRef"] or {}
            sec = _fetch(api, "secret", ns, ref.get("name", ""), ref.get("optional"))
            for k, v in ((sec or {}).get("data") or {}).items():
                env[prefix + k] = _decode(v)
    for e in container.get("env") or []:
        name = e.get("name", "")
        vf = e.get("valueFrom")
        if vf is None:
            env[name] = expand(e.get("value") or "", env)
            continue
        if "secretKeyRef" in vf:
            ref = vf["secretKeyRef"] or {}
            sec = _fetch(api, "secret", ns, ref.get("name", ""), ref.get("optional"))
            if sec is None:
                continue
            data = sec.get("data") or {}
            if ref.get("key") not in data:
                if ref.get("optional"):
                    continue
                raise ConfigError("couldn't find key %s in Secret %s/%s"
                                  % (ref.get("key"), ns, ref.get("name")))
            env[name] = _decode(data[ref["key"]])
        elif "configMapKeyRef" in vf:
            ref = vf["configMapKeyRef"] or {}
            cm = _fetch(api, "configmap", ns, ref.get("name", ""), ref.get("optional"))
            if cm is None:
                continue
            data = cm.get("data") or {}
            if ref.get("key") in data:
                env[name] = data[ref["key"]]
            elif ref.get("key") in (cm.get("binaryData") or {}):
                env[name] = _decode(cm["binaryData"][ref["key"]])
            elif not ref.get("optional"):
                raise ConfigError("couldn't find key %s in ConfigMap %s/%s"
                                  % (ref.get("key"), ns, ref.get("name")))
        elif "fieldRef" in vf:
            env[name] = field_ref(view, (vf["fieldRef"] or {}).get("fieldPath", ""))
        elif "resourceFieldRef" in vf:
            env[name] = resource_ref(pod, container.get("name"), vf["resourceFieldRef"], node)
    return env


# ---------------------------------------------------------------- volumes

def write_atomic(path, data):
    """Replaces path in one rename, so a reader sees the old or the new content, never half."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def _safe_join(root, rel):
    p = os.path.normpath(os.path.join(root, rel))
    if not (p == root or p.startswith(root + os.sep)):
        raise ConfigError("invalid path %s" % rel, "ContainerCreating")
    return p


def _key_files(data, items, decode):
    out = {}
    if items:
        for it in items:
            if it.get("key") in data:
                out[it.get("path") or it["key"]] = decode(data[it["key"]])
    else:
        for k, v in data.items():
            out[k] = decode(v)
    return out


def _config_files(api, ns, src, kind, optional_default=False):
    name = src.get("name") if kind == "configmap" else src.get("secretName", src.get("name"))
    obj = api.get(kind + "s", ns, name or "")
    if obj is None:
        if src.get("optional", optional_default):
            return {}
        raise ConfigError('MountVolume.SetUp failed: %s "%s" not found' % (kind, name),
                          "ContainerCreating")
    if kind == "configmap":
        files = _key_files(obj.get("data") or {}, src.get("items"), lambda v: v)
        files.update(_key_files(obj.get("binaryData") or {}, src.get("items"),
                                lambda v: base64.b64decode(v or "")))
        return files
    return _key_files(obj.get("data") or {}, src.get("items"),
                      lambda v: base64.b64decode(v or ""))


def _downward_files(pod, src, node):
    out = {}
    for it in src.get("items") or []:
        if it.get("fieldRef"):
            out[it.get("path", "")] = field_ref(pod, it["fieldRef"].get("fieldPath", ""))
        elif it.get("resourceFieldRef"):
            out[it.get("path", "")] = resource_ref(pod, "", it["resourceFieldRef"], node)
    return out


def volume_files(api, pod, vol, node=None, extras=None):
    """{relative path: content} of a content volume, or None for a plain directory volume
    (emptyDir, persistentVolumeClaim, ...)."""
    ns = dig(pod, "metadata", "namespace") or "default"
    extras = extras or {}
    if "downwardAPI" in vol:
        return _downward_files(pod, vol["downwardAPI"] or {}, node)
    if "configMap" in vol:
        return _config_files(api, ns, vol["configMap"] or {}, "configmap")
    if "secret" in vol:
        return _config_files(api, ns, vol["secret"] or {}, "secret")
    if "projected" in vol:
        out = {}
        for src in (vol["projected"] or {}).get("sources") or []:
            if "configMap" in src:
                cm = src["configMap"] or {}
                if cm.get("name") == "kube-root-ca.crt" and \
                        api.get("configmaps", ns, "kube-root-ca.crt") is None:
                    out.update({it.get("path", "ca.crt"): extras.get("ca.crt", "")
                                for it in cm.get("items") or [{"path": "ca.crt"}]})
                    continue
                out.update(_config_files(api, ns, cm, "configmap"))
            elif "secret" in src:
                out.update(_config_files(api, ns, src["secret"] or {}, "secret"))
            elif "downwardAPI" in src:
                out.update(_downward_files(pod, src["downwardAPI"] or {}, node))
            elif "serviceAccountToken" in src:
                out[(src["serviceAccountToken"] or {}).get("path", "token")] = \
                    extras.get("token", "")
        return out
    return None


def materialise(root, files):
    """Writes files under root (atomically each); returns True when something changed."""
    changed = False
    os.makedirs(root, exist_ok=True)
    for rel, content in sorted(files.items()):
        changed |= write_atomic(_safe_join(root, rel), content)
    return changed


# ---------------------------------------------------------------- path remapping

def remapper(pairs):
    """A function that rewrites in-container paths (mountPath, terminationMessagePath) found in
    a string to their local counterparts: whole path components only ("/data" maps "/data" and
    "/data/x", not "/database" or "/x/data"); longer paths win."""
    pairs = sorted(((p.rstrip("/") or "/", l) for p, l in pairs if p), key=lambda x: -len(x[0]))
    if not pairs:
        return lambda s: s
    table = dict(pairs)
    rx = re.compile(r"(?<![A-Za-z0-9_.~/-])(" + "|".join(re.escape(p) for p, _ in pairs) +
                    r")(?![A-Za-z0-9_.~-])")
    return lambda s: rx.sub(lambda m: table[m.group(1)], s)
