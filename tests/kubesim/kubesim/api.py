"""Object semantics of create, get, update and patch (the REST storage layer).

Every write goes through _finish_write(), which applies the rules the real API server applies
to all kinds: immutable metadata, the status subresource split, generation on spec changes,
no-op detection (resourceVersion kept), finalizer rules and removal once a terminating object
has no finalizers left.
"""
import json
import re

from . import appsrbac, defaults, events, microtime, sem
from .util import (ApiError, bad_request, builtin_order, conflict, deep_copy, deep_sorted,
                   details, go_json_error, invalid, new_uid, not_found, now_rfc3339, qualified,
                   already_exists)

OBJECT_META = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields"}
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
FIELD_VALIDATION = ("", "Ignore", "Strict", "Warn")


def normalize(info, obj):
    return deep_sorted(obj) if not info.builtin else builtin_order(obj)


def field_validation(query, options_kind):
    fv = query.get("fieldValidation", "")
    if fv not in FIELD_VALIDATION:
        msg = 'Unsupported value: "%s": supported values: "", "Ignore", "Strict", "Warn"' % fv
        raise ApiError(422, "Invalid", '%s.meta.k8s.io "" is invalid: fieldValidation: %s'
                       % (options_kind, msg),
                       {"group": "meta.k8s.io", "kind": options_kind,
                        "causes": [{"reason": "FieldValueNotSupported", "message": msg,
                                    "field": "fieldValidation"}]})
    return fv or "Warn"


def decode_body(info, raw):
    """Parse a request body the way the server's decoder reports failures."""
    if not raw:
        raise bad_request("the object provided is unrecognized (must be of type %s): couldn't get "
                          "version/kind; json parse error: unexpected end of JSON input (<empty>)"
                          % info.kind)
    try:
        obj = json.loads(raw)
    except ValueError as e:
        head = raw[:30].decode("utf-8", "replace")
        raise bad_request("the object provided is unrecognized (must be of type %s): couldn't get "
                          "version/kind; json parse error: %s (%s ...)"
                          % (info.kind, go_json_error(raw, e), head))
    if not isinstance(obj, dict):
        raise bad_request(
            "the object provided is unrecognized (must be of type %s): couldn't get version/kind; "
            "json parse error: json: cannot unmarshal %s into Go value of type struct { APIVersion "
            "string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty"
            "\\\"\" } (%s ...)" % (info.kind, "array" if isinstance(obj, list) else "string",
                                   raw[:30].hex()))
    return obj


def is_dry_run(query):
    return "All" in query.getall("dryRun")


class Api:
    def __init__(self, store, registry, hooks=None):
        self.store = store
        self.reg = registry
        self.hooks = hooks or []   # objects with on_write(info, old, new) called under the lock

    # ---- helpers --------------------------------------------------------------------
    def _check_typemeta(self, info, obj, raw):
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if not kind:
            text = raw.decode("utf-8", "replace")
            raise bad_request("the object provided is unrecognized (must be of type %s): Object "
                              "'Kind' is missing in '%s'" % (info.kind, text))
        if api_version and api_version != info.gv:
            if info.group == "events.k8s.io" or (info.group == "" and info.plural == "events"):
                pass
            else:
                raise bad_request("the API version in the data (%s) does not match the expected "
                                  "API version (%s)" % (api_version, info.gv))
        if kind != info.kind:
            if info.builtin:
                raise bad_request("the object provided is unrecognized (must be of type %s): "
                                  "kind %s" % (info.kind, kind))
            name = (obj.get("metadata") or {}).get("name", "")
            msg = 'Invalid value: "%s": must be %s' % (kind, info.kind)
            raise ApiError(422, "Invalid", '%s.%s "%s" is invalid: kind: %s'
                           % (kind, info.group, name, msg),
                           details(info, name, kind=kind, causes=[
                               {"reason": "FieldValueInvalid", "message": msg, "field": "kind"}]))

    def _namespace_exists(self, ns):
        nsobj = self.store.get_ref("/namespaces", "", ns)
        if nsobj is None:
            raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                           {"name": ns, "kind": "namespaces"})
        return nsobj

    def _schema_admit(self, info, obj, fv, sub=None):
        """Defaulting, pruning and validation of a custom resource; returns warnings."""
        schema = info.schema()
        warnings = []
        if schema is None:
            return warnings
        unknown = []
        md = obj.get("metadata") or {}
        for k in list(md):
            if k not in OBJECT_META:
                unknown.append("metadata." + k)
                del md[k]
        body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        if sem.schema is not None:
            unknown += sem.schema.prune_unknown(schema, body)
            sem.schema.apply_defaults(schema, body)
        for k in [k for k in obj if k not in ("apiVersion", "kind", "metadata")]:
            del obj[k]
        obj.update(body)
        if unknown:
            if fv == "Strict":
                raise bad_request('%s in version "%s" cannot be handled as a %s: strict decoding '
                                  'error: %s' % (info.kind, info.version, info.kind,
                                                 ", ".join('unknown field "%s"' % u
                                                           for u in unknown)))
            if fv == "Warn":
                warnings += ['unknown field "%s"' % u for u in unknown]
        if sem.schema is not None:
            if sub == "status":
                st_schema = (schema.get("properties") or {}).get("status") or {}
                causes = sem.schema.validate(st_schema, obj.get("status") or {})
            else:
                causes = sem.schema.validate(schema, body)
            if causes:
                body = sem.schema.invalid_status(info.kind, info.group, md.get("name", ""),
                                                 causes)
                raise ApiError(422, "Invalid", body["message"], body["details"])
        return warnings

    def _validate_meta(self, info, obj):
        md = obj["metadata"]
        name = md.get("name", "")
        if not DNS1123_SUB.match(name) or len(name) > 253:
            raise invalid(info, name, [{"reason": "FieldValueInvalid",
                                        "message": 'Invalid value: "%s": %s' % (name, SUBDOMAIN_MSG),
                                        "field": "metadata.name"}])

    def _generation_changed(self, info, old, new):
        skip = ("metadata", "status") if info.has_status() else ("metadata",)
        a = {k: v for k, v in old.items() if k not in skip}
        b = {k: v for k, v in new.items() if k not in skip}
        return a != b

    def _uses_generation(self, info):
        return info.generation or not info.builtin

    # ---- reads ----------------------------------------------------------------------
    def get(self, info, ns, name):
        obj = self.store.get(info.storage, ns, name)
        if obj is None:
            raise not_found(info, name)
        return self.present(info, obj)

    def present(self, info, obj):
        if info.storage == "events":
            obj = events.present(info, obj)
        return normalize(info, obj)

    # ---- create ---------------------------------------------------------------------
    def create(self, info, ns, raw, query):
        if info.terminating:
            raise ApiError(405, "MethodNotAllowed",
                           "create not allowed while custom resource definition is terminating",
                           details(info, None))
        fv = field_validation(query, "CreateOptions")
        obj = decode_body(info, raw)
        self._check_typemeta(info, obj, raw)
        microtime.on_decode(info, obj)
        if info.storage == "events":
            obj = events.to_core(info, obj)
        md = obj.setdefault("metadata", {})
        if md is None or not isinstance(md, dict):
            md = obj["metadata"] = {}
        if info.namespaced:
            if md.get("namespace") and md["namespace"] != ns:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if not md.get("name"):
            if md.get("generateName"):
                md["name"] = md["generateName"] + defaults.random_suffix()
            else:
                raise invalid(info, "", [{"reason": "FieldValueRequired",
                                          "message": "Required value: name or generateName is "
                                                     "required", "field": "metadata.name"}])
        warnings = []
        if not info.builtin:
            warnings = self._schema_admit(info, obj, fv)
            obj.pop("status", None) if info.has_status() else None
        self._validate_meta(info, obj)
        if info.builtin:
            if info.has_status() and info.group == "apps":
                obj["status"] = {}   # PrepareForCreate: the controller owns status
            appsrbac.apply_defaults(info, obj)
            causes = appsrbac.validate(info, obj)
            if causes:
                raise invalid(info, md["name"], causes)
        if info.storage == "events":
            events.validate(info, obj)
        microtime.validate(info, obj)
        dry = is_dry_run(query)
        with self.store.lock:
            if info.namespaced:
                nsobj = self._namespace_exists(ns)
                if nsobj.get("metadata", {}).get("deletionTimestamp"):
                    raise ApiError(403, "Forbidden",
                                   'unable to create new content in namespace %s because it is '
                                   'being terminated' % ns, details(info, md["name"]))
            if self.store.get_ref(info.storage, ns if info.namespaced else "", md["name"]):
                raise already_exists(info, md["name"])
            for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "selfLink", "managedFields"):
                md.pop(k, None)
            md["uid"] = new_uid()
            md["creationTimestamp"] = now_rfc3339()
            if self._uses_generation(info):
                md["generation"] = 1
            else:
                md.pop("generation", None)
            obj["apiVersion"] = info.gv
            obj["kind"] = info.kind
            if info.storage == "events":
                obj["apiVersion"] = "v1"
            defaults.apply(info, obj)
            obj = normalize(info, obj)
            if dry:
                return 201, self.present(info, obj), warnings
            stored = self.store.put(info.storage, obj, "ADDED")
            for h in self.hooks:
                h.on_write(info, None, stored)
        return 201, self.present(info, stored), warnings

    # ---- update ---------------------------------------------------------------------
    def update(self, info, ns, name, raw, query, sub=None):
        fv = field_validation(query, "UpdateOptions")
        obj = decode_body(info, raw)
        self._check_typemeta(info, obj, raw)
        microtime.on_decode(info, obj)
        if info.storage == "events":
            obj = events.to_core(info, obj)
        md = obj.setdefault("metadata", {})
        if md.get("name") and md["name"] != name:
            raise bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                              % (md["name"], name))
        md["name"] = name
        rv = md.get("resourceVersion")
        with self.store.lock:
            old = self.store.get(info.storage, ns, name)
            if old is None:
                raise not_found(info, name)
            if rv:
                if not str(rv).isdigit():
                    raise ApiError(500, "", 'strconv.ParseUint: parsing "%s": invalid syntax' % rv)
                if rv != old["metadata"]["resourceVersion"]:
                    raise conflict(info, name)
            elif not info.builtin or info.plural == "customresourcedefinitions":
                # CRs and CRDs refuse unconditional updates; built-in kinds allow them
                msg = "Invalid value: 0x0: must be specified for an update"
                raise ApiError(422, "Invalid", '%s "%s" is invalid: metadata.resourceVersion: %s'
                               % (qualified(info), name, msg),
                               details(info, name, causes=[{"reason": "FieldValueInvalid",
                                                            "message": msg,
                                                            "field": "metadata.resourceVersion"}]))
            return self._finish_write(info, old, obj, sub, fv, is_dry_run(query))

    # ---- patch ----------------------------------------------------------------------
    def patch(self, info, ns, name, ctype, raw, query, sub=None):
        fv = field_validation(query, "PatchOptions")
        ctype = (ctype or "").split(";")[0].strip()
        types = ["application/json-patch+json", "application/merge-patch+json"]
        if info.builtin:
            types.append("application/strategic-merge-patch+json")
        types.append("application/apply-patch+yaml")
        if ctype not in types:
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: " + ", ".join(types))
        try:
            p = json.loads(raw) if raw else None
        except ValueError as e:
            if ctype == "application/apply-patch+yaml":
                p = _yaml_fallback(raw)
            else:
                raise bad_request("error decoding patch: " + go_json_error(raw, e))
        if p is None:
            raise bad_request("error decoding patch: unexpected end of JSON input")
        if ctype == "application/json-patch+json" and not isinstance(p, list):
            raise bad_request("error decoding patch: json: cannot unmarshal object into Go value "
                              "of type []handlers.jsonPatchOp")
        with self.store.lock:
            old = self.store.get(info.storage, ns, name)
            if old is None:
                if ctype == "application/apply-patch+yaml":
                    body = json.dumps(p).encode()
                    code, obj, w = self.create(info, ns, body, query)
                    return code, obj, w
                raise not_found(info, name)
            base = self.present(info, deep_copy(old)) if info.storage == "events" else old
            try:
                if ctype == "application/json-patch+json":
                    new = sem.json_patch(base, p)
                elif ctype == "application/strategic-merge-patch+json":
                    new = sem.strategic_merge_patch(base, p, info.plural)
                else:
                    new = sem.merge_patch(base, p)
            except sem.PatchError as e:
                if ctype == "application/json-patch+json" and e.code == 422:
                    raise ApiError(422, "Invalid", "the server rejected our request due to an "
                                   "error in our request", {})
                raise ApiError(e.code, e.reason, e.message)
            if not isinstance(new, dict):
                raise bad_request("error decoding patch: not an object")
            microtime.on_patch(info, new)
            if info.storage == "events":
                new = events.to_core(info, new)
            new_rv = (new.get("metadata") or {}).get("resourceVersion")
            if new_rv and new_rv != old["metadata"]["resourceVersion"]:
                raise conflict(info, name)
            return self._finish_write(info, old, new, sub, fv, is_dry_run(query))

    # ---- the common write path ----------------------------------------------------------
    def _finish_write(self, info, old, new, sub, fv, dry=False):
        md = new.setdefault("metadata", {}) or {}
        new["metadata"] = md
        omd = old["metadata"]
        if sub == "status":
            st = new.get("status")
            new = deep_copy(old)
            if st is None:
                new.pop("status", None)
            else:
                new["status"] = st
            md = new["metadata"]
        elif info.has_status() and not (info.builtin and info.plural == "nodes" and False):
            if "status" in old:
                new["status"] = deep_copy(old["status"])
            else:
                new.pop("status", None)
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                  "generation", "namespace", "name"):
            if k in omd:
                md[k] = omd[k]
            else:
                md.pop(k, None)
        md.pop("managedFields", None)
        new["apiVersion"] = old.get("apiVersion", info.gv)
        new["kind"] = info.kind
        warnings = []
        if not info.builtin:
            warnings = self._schema_admit(info, new, fv, sub)
        else:
            appsrbac.apply_defaults(info, new)
            causes = appsrbac.validate(info, new, old)
            if causes:
                raise invalid(info, md["name"], causes)
        if info.storage == "events":
            events.validate(info, new)
        microtime.validate(info, new)
        if omd.get("deletionTimestamp"):
            added = [f for f in md.get("finalizers") or [] if f not in (omd.get("finalizers") or [])]
            if added:
                msg = ("Forbidden: no new finalizers can be added if the object is being deleted, "
                       "found new finalizers []string{%s}" % ", ".join('"%s"' % f for f in added))
                cause = {"reason": "FieldValueForbidden", "message": msg,
                         "field": "metadata.finalizers"}
                raise invalid(info, md["name"], [cause, cause])
        if self._uses_generation(info) and self._generation_changed(info, old, new):
            md["generation"] = omd.get("generation", 1) + 1
        if not md.get("finalizers"):
            md.pop("finalizers", None)
        new = normalize(info, new)
        cmp_old = deep_copy(old)
        cmp_old["metadata"].pop("resourceVersion", None)
        cmp_old["metadata"].pop("managedFields", None)
        cmp_new = deep_copy(new)
        cmp_new["metadata"].pop("resourceVersion", None)
        if cmp_old == cmp_new:
            return 200, self.present(info, old), warnings
        if dry:
            md["resourceVersion"] = omd["resourceVersion"]
            return 200, self.present(info, new), warnings
        if omd.get("deletionTimestamp") and not md.get("finalizers") and info.plural != "pods":
            md["resourceVersion"] = omd["resourceVersion"]
            self.store.remove(info.storage, omd.get("namespace", ""), md["name"])
            for h in self.hooks:
                h.on_write(info, old, None)
            return 200, self.present(info, new), warnings
        stored = self.store.put(info.storage, new, "MODIFIED")
        for h in self.hooks:
            h.on_write(info, old, stored)
        return 200, self.present(info, stored), warnings


def _yaml_fallback(raw):
    raise bad_request("error decoding patch: YAML apply patches are not supported by kubesim; "
                      "send JSON")
