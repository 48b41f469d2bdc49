"""Discovery documents: /version, /api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>, legacy and
aggregated (apidiscovery.k8s.io v2beta1 and v2) forms (01-discovery)."""
import hashlib

from .util import dumps

VERSION = {
    "major": "1", "minor": "28", "gitVersion": "v1.28.7",
    "gitCommit": "c8dcb00be9961ec36d141d2e4103f85f92bcf291", "gitTreeState": "clean",
    "buildDate": "2026-11-24T23:25:45Z", "goVersion": "go1.21.13", "compiler": "gc",
    "platform": "linux/amd64"}

SUB_KINDS = {"log": ("", "", "Pod"), "binding": ("", "", "Binding"),
             "eviction": ("policy", "v1", "Eviction"),
             "finalize": ("", "", "Namespace"), "scale": ("autoscaling", "v1", "Scale")}


def _verbs_sub(sub):
    if sub == "log":
        return ["get"]
    if sub in ("binding", "eviction"):
        return ["create"]
    if sub == "finalize":
        return ["update"]
    return ["get", "patch", "update"]


def api_versions(host):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def resource_list(reg, group, version):
    infos = [r for r in reg.all() if r.group == group and r.version == version and not r.removed]
    if not infos:
        return None
    res = []
    for r in sorted(infos, key=lambda r: r.plural):
        e = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
             "kind": r.kind, "verbs": r.verbs}
        if r.short_names:
            e["shortNames"] = r.short_names
        if r.categories:
            e["categories"] = r.categories
        e["storageVersionHash"] = r.hash or "kubesim0000="
        res.append(e)
        for s in r.subresources:
            g, v, kind = SUB_KINDS.get(s, ("", "", r.kind))
            e = {"name": r.plural + "/" + s, "singularName": "", "namespaced": r.namespaced}
            if g:
                e["group"], e["version"] = g, v
            e.update({"kind": kind, "verbs": _verbs_sub(s)})
            res.append(e)
    doc = {"kind": "APIResourceList"}
    if group:
        doc["apiVersion"] = "v1"
    doc["groupVersion"] = group + "/" + version if group else version
    doc["resources"] = res
    return doc


def _group_doc(group, versions):
    vs = [{"groupVersion": group + "/" + v, "version": v} for v in versions]
    return {"name": group, "versions": vs, "preferredVersion": vs[0]}


def api_group(reg, group):
    for g, versions in reg.groups():
        if g == group:
            d = {"kind": "APIGroup", "apiVersion": "v1"}
            d.update(_group_doc(g, versions))
            return d
    return None


def api_group_list(reg):
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group_doc(g, vs) for g, vs in reg.groups()]}


def _agg_resources(reg, group, version):
    out = []
    for r in sorted([r for r in reg.all() if r.group == group and r.version == version
                     and not r.removed], key=lambda r: r.plural):
        e = {"resource": r.plural, "responseKind": {"group": "", "version": "", "kind": r.kind},
             "scope": "Namespaced" if r.namespaced else "Cluster",
             "singularResource": r.singular, "verbs": r.verbs}
        if r.short_names:
            e["shortNames"] = r.short_names
        if r.categories:
            e["categories"] = r.categories
        subs = []
        for s in r.subresources:
            g, v, k = SUB_KINDS.get(s, ("", "", r.kind))
            subs.append({"subresource": s, "responseKind": {"group": g, "version": v, "kind": k},
                         "verbs": _verbs_sub(s)})
        if subs:
            e["subresources"] = subs
        out.append(e)
    return out


def aggregated(reg, core, api_version):
    if core:
        groups = [("", ["v1"])]
    else:
        groups = reg.groups()
    items = []
    for g, versions in groups:
        items.append({"metadata": {"name": g, "creationTimestamp": None},
                      "versions": [{"version": v, "resources": _agg_resources(reg, g, v),
                                    "freshness": "Current"} for v in versions]})
    if core:
        items[0]["metadata"] = {"creationTimestamp": None}
    return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version, "metadata": {},
            "items": items}


def wants_aggregated(accept):
    """The aggregated version the client asked for first, or None for the legacy form."""
    for part in (accept or "").split(","):
        p = part.replace(" ", "")
        if "as=APIGroupDiscoveryList" in p and "g=apidiscovery.k8s.io" in p:
            if "v=v2beta1" in p:
                return "v2beta1"
            if "v=v2" in p:
                return "v2"
    return None


def etag(body_bytes):
    return '"%s"' % hashlib.sha512(body_bytes).hexdigest().upper()


def aggregated_response(reg, core, accept, if_none_match):
    """(code, headers, body) for an aggregated discovery request."""
    ver = wants_aggregated(accept)
    doc = aggregated(reg, core, "apidiscovery.k8s.io/" + ver)
    body = dumps(doc)
    tag = etag(body)
    headers = [("Cache-Control", "public"), ("Etag", tag), ("Vary", "Accept")]
    if if_none_match and if_none_match.strip() == tag:
        return 304, headers, None
    ctype = "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList" % ver
    return 200, headers + [("Content-Type", ctype)], body
