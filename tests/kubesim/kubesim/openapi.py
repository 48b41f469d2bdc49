"""OpenAPI documents, as far as kubectl needs them (16-explain-openapi): /openapi/v3 index and
per group-version documents (CRD schemas published, PATCH operations carrying
fieldValidation so kubectl apply validates server-side), and a minimal /openapi/v2."""
import email.utils
import hashlib
import json
import time

from .util import ApiError, deep_copy, not_routed

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
PARAMS = [{"name": n, "in": "query", "schema": {"type": t, "uniqueItems": True}}
          for n, t in (("dryRun", "string"), ("fieldManager", "string"),
                       ("fieldValidation", "string"), ("force", "boolean"))]
META_SCHEMAS = {
    META + "ObjectMeta": {
        "description": "ObjectMeta is metadata that all persisted resources must have, which "
                       "includes all objects users must create.",
        "type": "object",
        "properties": {
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "creationTimestamp": {"$ref": "#/components/schemas/" + META + "Time"},
            "deletionGracePeriodSeconds": {"type": "integer", "format": "int64"},
            "deletionTimestamp": {"$ref": "#/components/schemas/" + META + "Time"},
            "finalizers": {"type": "array", "items": {"type": "string"},
                           "x-kubernetes-patch-strategy": "merge"},
            "generateName": {"type": "string"},
            "generation": {"type": "integer", "format": "int64"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "ownerReferences": {"type": "array", "items": {
                "$ref": "#/components/schemas/" + META + "OwnerReference"},
                "x-kubernetes-patch-merge-key": "uid", "x-kubernetes-patch-strategy": "merge"},
            "resourceVersion": {"type": "string"},
            "uid": {"type": "string"}}},
    META + "OwnerReference": {
        "type": "object", "required": ["apiVersion", "kind", "name", "uid"],
        "properties": {"apiVersion": {"type": "string"}, "blockOwnerDeletion": {"type": "boolean"},
                       "controller": {"type": "boolean"}, "kind": {"type": "string"},
                       "name": {"type": "string"}, "uid": {"type": "string"}},
        "x-kubernetes-map-type": "atomic"},
    META + "Time": {"type": "string", "format": "date-time"},
    META + "ListMeta": {"type": "object", "properties": {
        "continue": {"type": "string"}, "remainingItemCount": {"type": "integer"},
        "resourceVersion": {"type": "string"}}},
    META + "Patch": {"type": "object"},
    META + "Status": {"type": "object"},
    META + "DeleteOptions": {"type": "object"},
}


def _pb(field, payload):
    """One length-delimited protobuf field (payloads here are always < 128 bytes)."""
    return bytes([(field << 3) | 2, len(payload)]) + payload


# gnostic openapi_v2.Document{swagger: "2.0", info: {title, version}, paths: {}, definitions: {}}
_V2_PROTO = (_pb(1, b"2.0") + _pb(2, _pb(1, b"Kubernetes") + _pb(2, b"v1.28.7")) +
             _pb(8, b"") + _pb(9, b""))


def _reverse_group(group):
    return ".".join(reversed(group.split("."))) if group else "io.k8s.api.core"


def _schema_name(info):
    if info.builtin:
        g = info.group.split(".")[0] if info.group else "core"
        return "io.k8s.api.%s.%s.%s" % (g, info.version, info.kind)
    return "%s.%s.%s" % (_reverse_group(info.group), info.version, info.kind)


def _object_schema(info):
    gvk = [{"group": info.group, "kind": info.kind, "version": info.version}]
    if info.builtin:
        return {"type": "object", "x-kubernetes-group-version-kind": gvk,
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                               "metadata": {"allOf": [{"$ref": "#/components/schemas/" + META +
                                                       "ObjectMeta"}]}}}
    s = deep_copy(info.schema() or {"type": "object"})
    props = s.setdefault("properties", {})
    props["apiVersion"] = {"description": "APIVersion defines the versioned schema of this "
                           "representation of an object.", "type": "string"}
    props["kind"] = {"description": "Kind is a string value representing the REST resource this "
                     "object represents.", "type": "string"}
    props["metadata"] = {"description": "Standard object's metadata. More info: https://git.k8s."
                         "io/community/contributors/devel/sig-architecture/api-conventions.md"
                         "#metadata", "allOf": [{"$ref": "#/components/schemas/" + META +
                                                 "ObjectMeta"}]}
    s["x-kubernetes-group-version-kind"] = gvk
    return s


def _op(info, action, ref, body=None):
    gvk = {"group": info.group, "kind": info.kind, "version": info.version}
    op = {"description": "%s %s" % (action, info.kind), "parameters": list(PARAMS),
          "responses": {"200": {"description": "OK", "content": {"application/json": {
              "schema": {"$ref": ref}}}}},
          "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk}
    if body:
        op["requestBody"] = {"content": {t: {"schema": {"$ref": ref}} for t in body}}
    return op


def gv_document(reg, group, version):
    infos = [r for r in reg.all() if r.group == group and r.version == version and not r.removed]
    if not infos:
        return None
    paths, schemas = {}, dict(deep_copy(META_SCHEMAS))
    prefix = "/apis/%s/%s" % (group, version) if group else "/api/" + version
    for r in infos:
        name = _schema_name(r)
        schemas[name] = _object_schema(r)
        schemas[name + "List"] = {"type": "object", "x-kubernetes-group-version-kind": [
            {"group": r.group, "kind": r.list_kind, "version": r.version}],
            "properties": {"items": {"type": "array", "items": {
                "$ref": "#/components/schemas/" + name}}}}
        ref = "#/components/schemas/" + name
        base = prefix + ("/namespaces/{namespace}/" if r.namespaced else "/") + r.plural
        patch_types = ["application/json-patch+json", "application/merge-patch+json",
                       "application/apply-patch+yaml"]
        paths[base] = {"get": _op(r, "list", ref + "List"), "post": _op(r, "post", ref, [
            "*/*"]), "delete": _op(r, "deletecollection", ref)}
        paths[base + "/{name}"] = {"get": _op(r, "get", ref), "put": _op(r, "put", ref, ["*/*"]),
                                   "patch": _op(r, "patch", ref, patch_types),
                                   "delete": _op(r, "delete", ref)}
        if r.has_status():
            paths[base + "/{name}/status"] = {"get": _op(r, "get", ref),
                                              "put": _op(r, "put", ref, ["*/*"]),
                                              "patch": _op(r, "patch", ref, patch_types)}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.28.7"},
            "paths": paths, "components": {"schemas": schemas}}


def _path_for(group, version):
    return "apis/%s/%s" % (group, version) if group else "api/" + version


def _docs(reg):
    out = {}
    gvs = [("", "v1")] + [(g, v) for g, vs in reg.groups() for v in vs]
    for g, v in gvs:
        doc = gv_document(reg, g, v)
        if doc is not None:
            body = json.dumps(doc, separators=(",", ":")).encode()
            out[_path_for(g, v)] = (body, hashlib.sha512(body).hexdigest().upper())
    return out


def handle(ctx, parts, query, headers):
    from .server import Response
    if parts == ["openapi", "v2"]:
        # kubectl 1.28 insists on the protobuf form of v2 before apply; an empty document
        # (no definitions) makes it rely on /openapi/v3 and server-side field validation.
        if "protobuf" in (headers.get("Accept") or ""):
            return Response(200, _V2_PROTO, ctype="application/octet-stream")
        doc = {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.28.7"},
               "paths": {}, "definitions": {}}
        return Response(200, doc)
    if parts[:2] != ["openapi", "v3"]:
        raise not_routed()
    docs = _docs(ctx.registry)
    if len(parts) == 2:
        idx = {"paths": {p: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (p, h)}
                         for p, (_, h) in sorted(docs.items())}}
        return Response(200, json.dumps(idx, separators=(",", ":")).encode(),
                        ctype="text/plain; charset=utf-8")
    key = "/".join(parts[2:])
    if key not in docs:
        raise not_routed()
    body, h = docs[key]
    want = query.get("hash")
    if want is not None and want != h:
        return Response(301, b"", [("Location", "/openapi/v3/%s?hash=%s" % (key, h))], None)
    if want == h:
        exp = email.utils.formatdate(timeval=time.time() + 365 * 86400, usegmt=True)
        return Response(200, body, [("Cache-Control", "public, immutable"), ("Etag", '"%s"' % h),
                                    ("Expires", exp)], "application/json")
    if headers.get("If-None-Match") == '"%s"' % h:
        return Response(304, None, [("Etag", '"%s"' % h)], None)
    return Response(200, body, [("Etag", '"%s"' % h)], "application/json")


__all__ = ["handle", "gv_document", "ApiError"]
