"""Request bodies in application/vnd.kubernetes.protobuf, for the kinds kubectl's typed
clients send that way (kubectl >= 1.32 creates built-ins with protobuf: `kubectl create secret
generic`, `create configmap`, `create namespace`, `create serviceaccount`, `create role` ...)
and DeleteOptions bodies of typed clients' deletes (`helm uninstall` purging its release).

The body is the runtime.Unknown envelope ("k8s\\0" + Unknown{typeMeta, raw}) around the
object's gogo-protobuf encoding (field numbers of k8s.io/api/*/generated.proto). It is turned
into the JSON the same client would have sent, so every later step is the JSON path. Responses
are never protobuf: kubesim does not offer it, and clients accept the JSON answer. A kind
without a message table here gets 415, as a server answers a media type it cannot decode."""
import base64
import datetime
import json

MAGIC = b"k8s\x00"
MEDIA = "application/vnd.kubernetes.protobuf"

S, B, I, BOOL = "string", "bytes", "int", "bool"

# message name -> {field number: (json name, type, repeated)}; type is S/B/I/BOOL, a message
# name, "map" (map<string,string>), "bmap" (map<string,bytes>) or "time" (metav1.Time).
MESSAGES = {
    "TypeMeta": {1: ("apiVersion", S, False), 2: ("kind", S, False)},
    "Unknown": {1: ("typeMeta", "TypeMeta", False), 2: ("raw", B, False),
                3: ("contentEncoding", S, False), 4: ("contentType", S, False)},
    "ObjectMeta": {1: ("name", S, False), 2: ("generateName", S, False),
                   3: ("namespace", S, False), 4: ("selfLink", S, False), 5: ("uid", S, False),
                   6: ("resourceVersion", S, False), 7: ("generation", I, False),
                   8: ("creationTimestamp", "time", False),
                   9: ("deletionTimestamp", "time", False),
                   10: ("deletionGracePeriodSeconds", I, False), 11: ("labels", "map", False),
                   12: ("annotations", "map", False),
                   13: ("ownerReferences", "OwnerReference", True),
                   14: ("finalizers", S, True)},
    "OwnerReference": {1: ("kind", S, False), 3: ("name", S, False), 4: ("uid", S, False),
                       5: ("apiVersion", S, False), 6: ("controller", BOOL, False),
                       7: ("blockOwnerDeletion", BOOL, False)},
    "ObjectReference": {1: ("kind", S, False), 2: ("namespace", S, False), 3: ("name", S, False),
                        4: ("uid", S, False), 5: ("apiVersion", S, False),
                        6: ("resourceVersion", S, False), 7: ("fieldPath", S, False)},
    "LocalObjectReference": {1: ("name", S, False)},
    "LabelSelector": {1: ("matchLabels", "map", False),
                      2: ("matchExpressions", "LabelSelectorRequirement", True)},
    "LabelSelectorRequirement": {1: ("key", S, False), 2: ("operator", S, False),
                                 3: ("values", S, True)},
    "Secret": {1: ("metadata", "ObjectMeta", False), 2: ("data", "bmap", False),
               3: ("type", S, False), 4: ("stringData", "map", False),
               5: ("immutable", BOOL, False)},
    "ConfigMap": {1: ("metadata", "ObjectMeta", False), 2: ("data", "map", False),
                  3: ("binaryData", "bmap", False), 4: ("immutable", BOOL, False)},
    "Namespace": {1: ("metadata", "ObjectMeta", False), 2: ("spec", "NamespaceSpec", False),
                  3: ("status", "NamespaceStatus", False)},
    "NamespaceSpec": {1: ("finalizers", S, True)},
    "NamespaceStatus": {1: ("phase", S, False)},
    "ServiceAccount": {1: ("metadata", "ObjectMeta", False),
                       2: ("secrets", "ObjectReference", True),
                       3: ("imagePullSecrets", "LocalObjectReference", True),
                       4: ("automountServiceAccountToken", BOOL, False)},
    "PolicyRule": {1: ("verbs", S, True), 2: ("apiGroups", S, True), 3: ("resources", S, True),
                   4: ("resourceNames", S, True), 5: ("nonResourceURLs", S, True)},
    "AggregationRule": {1: ("clusterRoleSelectors", "LabelSelector", True)},
    "Role": {1: ("metadata", "ObjectMeta", False), 2: ("rules", "PolicyRule", True)},
    "ClusterRole": {1: ("metadata", "ObjectMeta", False), 2: ("rules", "PolicyRule", True),
                    3: ("aggregationRule", "AggregationRule", False)},
    "Subject": {1: ("kind", S, False), 2: ("apiGroup", S, False), 3: ("name", S, False),
                4: ("namespace", S, False)},
    "RoleRef": {1: ("apiGroup", S, False), 2: ("kind", S, False), 3: ("name", S, False)},
    "RoleBinding": {1: ("metadata", "ObjectMeta", False), 2: ("subjects", "Subject", True),
                    3: ("roleRef", "RoleRef", False)},
    "ClusterRoleBinding": {1: ("metadata", "ObjectMeta", False),
                           2: ("subjects", "Subject", True), 3: ("roleRef", "RoleRef", False)},
    # DELETE bodies of typed clients (helm uninstall deletes its release Secret this way)
    "DeleteOptions": {1: ("gracePeriodSeconds", I, False),
                      2: ("preconditions", "Preconditions", False),
                      3: ("orphanDependents", BOOL, False), 4: ("propagationPolicy", S, False),
                      5: ("dryRun", S, True)},
    "Preconditions": {1: ("uid", S, False), 2: ("resourceVersion", S, False)},
}
# The kinds whose bodies are decoded (by apiVersion, kind); DeleteOptions in any version.
KINDS = {("v1", k) for k in ("Secret", "ConfigMap", "Namespace", "ServiceAccount")} | {
    ("rbac.authorization.k8s.io/v1", k) for k in ("Role", "ClusterRole", "RoleBinding",
                                                  "ClusterRoleBinding")}
# Where JSON keeps a value even when it is empty/false (non-omitempty fields, pointers).
KEEP = {"rules", "immutable", "automountServiceAccountToken", "controller", "blockOwnerDeletion",
        "gracePeriodSeconds", "orphanDependents"}


class DecodeError(Exception):
    pass


def _varint(b, i):
    shift = result = 0
    while True:
        if i >= len(b):
            raise DecodeError("truncated varint")
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if not c & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise DecodeError("varint too long")


def _fields(b):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            if i + n > len(b):
                raise DecodeError("truncated field %d" % num)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise DecodeError("wire type %d" % wt)
        yield num, wt, v


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _time(b):
    secs = nanos = 0
    for num, _, v in _fields(b):
        if num == 1:
            secs = _signed(v)
        elif num == 2:
            nanos = v
    if secs == 0 and nanos == 0:
        return None
    t = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + \
        datetime.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _map_entry(b, as_bytes):
    k, v = "", b"" if as_bytes else ""
    for num, _, val in _fields(b):
        if num == 1:
            k = val.decode()
        elif num == 2:
            v = val if as_bytes else val.decode()
    if as_bytes:
        v = base64.b64encode(v).decode()
    return k, v


def _scalar(typ, wt, v):
    if typ == S:
        return v.decode()
    if typ == B:
        return v
    if typ == BOOL:
        return bool(v)
    return _signed(v)


def decode(name, b):
    """The JSON-shaped dict of message `name`, with JSON's omitempty applied."""
    table = MESSAGES[name]
    out = {}
    for num, wt, v in _fields(b):
        if num not in table:
            continue  # fields kubesim does not model (managedFields, status details)
        key, typ, rep = table[num]
        if (wt == 0) != (typ in (I, BOOL)) or wt not in (0, 2):
            raise DecodeError("field %d of %s: wire type %d" % (num, name, wt))
        if typ in ("map", "bmap"):
            k, val = _map_entry(v, typ == "bmap")
            out.setdefault(key, {})[k] = val
            continue
        if typ == "time":
            val = _time(v)
        elif typ in MESSAGES:
            val = decode(typ, v)
        else:
            val = _scalar(typ, wt, v)
        if rep:
            out.setdefault(key, []).append(val)
        else:
            out[key] = val
    return {k: v for k, v in out.items() if k in KEEP or v not in ("", 0, None, {}, [], b"")}


def to_json(raw):
    """JSON bytes for a protobuf request body; DecodeError when it is not a runtime.Unknown
    envelope around a kind listed in KINDS."""
    try:
        return _to_json(raw)
    except (UnicodeDecodeError, RecursionError) as e:
        raise DecodeError(str(e))


def _to_json(raw):
    if not raw.startswith(MAGIC):
        raise DecodeError("missing the k8s protobuf prefix")
    env = decode("Unknown", raw[len(MAGIC):])
    tm = env.get("typeMeta") or {}
    key = (tm.get("apiVersion", ""), tm.get("kind", ""))
    if key not in KINDS and key[1] != "DeleteOptions":
        raise DecodeError("no protobuf decoder for %s %s" % key)
    obj = {"kind": key[1], "apiVersion": key[0]}
    obj.update(decode(key[1], env.get("raw") or b""))
    return json.dumps(obj).encode()


def encode_object(api_version, kind, body):
    """A protobuf body as client-go writes it (for tests): body is the raw message bytes."""
    tm = _ld(1, api_version.encode()) + _ld(2, kind.encode())
    return MAGIC + _ld(1, tm) + _ld(2, body) + _ld(3, b"") + _ld(4, b"")


def _ld(num, payload):
    return _enc_varint((num << 3) | 2) + _enc_varint(len(payload)) + payload


def _enc_varint(n):
    out = b""
    while True:
        c = n & 0x7F
        n >>= 7
        if n:
            out += bytes([c | 0x80])
        else:
            return out + bytes([c])
