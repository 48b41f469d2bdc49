#!/usr/bin/env python3
"""kube-lite: the few kubectl commands hack/demo.sh uses, for a machine without kubectl.

Talks to the API server named by $KUBECONFIG (bearer token, CA data) over HTTPS with the
Python standard library; python3-yaml reads the kubeconfig and the YAML manifests. Only:

  [-n NS] get TYPE[,TYPE...] [NAME] [-o wide|json|jsonpath=TEMPLATE] [-L LABEL]...
  [-n NS] apply -f FILE|DIR          create, or JSON-merge-patch the file's fields onto what is there
  [-n NS] create namespace NAME
  [-n NS] create secret generic NAME --from-file=[KEY=]PATH...
  [-n NS] wait --for=condition=COND [--timeout=Ns] TYPE/NAME...

Tables are the API server's own (Accept: as=Table, the resources' printer columns), printed
as kubectl prints them; -o jsonpath uses the JSONPath of tests/kubesim (client-go's semantics)
plus {range}/{end} and quoted literals. TYPE is anything discovery knows: plural, singular,
short name or kind, optionally with .group.
"""
import base64
import glob
import http.client
import json
import os
import signal
import ssl
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kubesim"))
from kubesim.jsonpath import evaluate  # noqa: E402

try:
    import yaml
except ImportError:
    sys.exit("kube-lite: python3-yaml is needed (hack/install-deps.sh installs it)")

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def die(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


class Api:
    def __init__(self):
        path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        with open(path) as f:
            cfg = yaml.safe_load(f)
        named = lambda kind, name: next(x[kind[:-1]] for x in cfg[kind] if x["name"] == name)
        ctx = named("contexts", cfg["current-context"])
        cluster, user = named("clusters", ctx["cluster"]), named("users", ctx["user"])
        self.namespace = ctx.get("namespace") or "default"
        self.token = user.get("token")
        u = urllib.parse.urlsplit(cluster["server"])
        if u.scheme == "https":
            ca = cluster.get("certificate-authority-data")
            sslctx = ssl.create_default_context(
                cafile=cluster.get("certificate-authority"),
                cadata=base64.b64decode(ca).decode() if ca else None)
            self.conn = http.client.HTTPSConnection(u.hostname, u.port or 443, context=sslctx, timeout=30)
        else:
            self.conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
        self.resources = None

    def call(self, method, path, body=None, ctype="application/json", accept="application/json"):
        """(status, decoded JSON body or None)"""
        h = {"Accept": accept}
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if body is not None:
            body = json.dumps(body)
            h["Content-Type"] = ctype
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        try:
            return r.status, json.loads(data) if data else None
        except ValueError:
            return r.status, {"message": data.decode(errors="replace").strip()}

    def ok(self, method, path, body=None, **kw):
        status, obj = self.call(method, path, body, **kw)
        if status >= 400:
            obj = obj or {}
            die("Error from server (%s): %s" % (obj.get("reason") or status, obj.get("message", "")))
        return obj

    def discover(self):
        """Every resource the server serves: dicts with group, version, name, kind, ..."""
        if self.resources is None:
            lists = [self.ok("GET", "/api/v1")]
            for g in self.ok("GET", "/apis")["groups"]:
                lists.append(self.ok("GET", "/apis/" + g["preferredVersion"]["groupVersion"]))
            self.resources = []
            for rl in lists:
                group, _, version = rl["groupVersion"].rpartition("/")
                for r in rl["resources"]:
                    if "/" not in r["name"]:
                        self.resources.append(dict(r, group=group, version=version))
        return self.resources

    def resource(self, what):
        name, _, group = what.partition(".")
        for r in self.discover():
            names = [r["name"], r.get("singularName"), r["kind"].lower()] + r.get("shortNames", [])
            if name.lower() in names and (not group or group == r["group"]):
                return r
        die('error: the server doesn\'t have a resource type "%s"' % what)

    def resource_of(self, obj):
        group, _, version = obj["apiVersion"].rpartition("/")
        for r in self.discover():
            if r["kind"] == obj["kind"] and r["group"] == group and r["version"] == version:
                return r
        die('error: resource mapping not found for kind "%s" in version "%s"' % (obj["kind"], obj["apiVersion"]))

    def path(self, r, ns, name=None):
        p = "/api/v1" if not r["group"] else "/apis/%s/%s" % (r["group"], r["version"])
        if r["namespaced"]:
            p += "/namespaces/" + urllib.parse.quote(ns)
        p += "/" + r["name"]
        return p + ("/" + urllib.parse.quote(name) if name else "")


def ref(r, name):   # kubectl's "kind.group/name"
    return "%s%s/%s" % (r["kind"].lower(), "." + r["group"] if r["group"] else "", name)


def text(v):   # how kubectl prints one JSONPath result
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, separators=(",", ":"))


def jsonpath(template, obj):
    """kubectl's -o jsonpath: literals, {path} (several results joined by spaces),
    {range path}...{end} and {"quoted"} text."""
    tree, stack, i = [], [], 0
    cur = tree
    while i < len(template):
        a = template.find("{", i)
        if a < 0:
            cur.append(("text", template[i:]))
            break
        cur.append(("text", template[i:a]))
        b, quote = a + 1, None
        while b < len(template) and (quote or template[b] != "}"):
            if template[b] == quote:
                quote = None
            elif not quote and template[b] in "'\"":
                quote = template[b]
            b += 1
        if b >= len(template):
            die("error: error parsing jsonpath %s, unclosed action" % template)
        action, i = template[a + 1:b].strip(), b + 1
        if action[:1] == '"':
            cur.append(("text", json.loads(action)))
        elif action[:1] == "'":
            cur.append(("text", action[1:-1]))
        elif action.startswith("range "):
            node = ("range", action[6:].strip(), [])
            cur.append(node)
            stack.append(cur)
            cur = node[2]
        elif action == "end":
            if not stack:
                die("error: error parsing jsonpath %s, not in range" % template)
            cur = stack.pop()
        else:
            cur.append(("path", action))
    out = []

    def run(nodes, at):
        for n in nodes:
            if n[0] == "text":
                out.append(n[1])
            elif n[0] == "path":
                out.append(" ".join(text(v) for v in evaluate(n[1], at)))
            else:
                vals = evaluate(n[1], at)
                if len(vals) == 1 and isinstance(vals[0], list):   # {range .items} as .items[*]
                    vals = vals[0]
                for v in vals:
                    run(n[2], v)
    run(tree, obj)
    return "".join(out)


def print_table(rows):
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for r in rows:
        print("   ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())


def get(api, ns, args, output, labels):
    types, name = args[0].split(","), (args[1] if len(args) > 1 else None)
    rs = [api.resource(t) for t in types]
    if output in ("", "wide"):
        first = True
        for r in rs:
            t = api.ok("GET", api.path(r, ns, name), accept=TABLE)
            if not t["rows"]:
                continue
            cols = [c for c in t["columnDefinitions"] if output == "wide" or c["priority"] == 0]
            idx = [t["columnDefinitions"].index(c) for c in cols]
            rows = [[c["name"].upper() for c in cols] + [l.rsplit("/", 1)[-1].upper() for l in labels]]
            for row in t["rows"]:
                cells = ["" if row["cells"][i] is None else text(row["cells"][i]) for i in idx]
                if len(rs) > 1:
                    cells[0] = ref(r, cells[0])
                lab = (row.get("object") or {}).get("metadata", {}).get("labels") or {}
                rows.append(cells + [lab.get(l, "") for l in labels])
            if not first:
                print()
            first = False
            print_table(rows)
        if first:
            sys.stderr.write("No resources found" + (" in %s namespace.\n" % ns if rs[0]["namespaced"] else "\n"))
        return
    if name:
        doc = api.ok("GET", api.path(rs[0], ns, name))
    else:
        items = []
        for r in rs:
            lst = api.ok("GET", api.path(r, ns))
            for it in lst["items"]:
                it.setdefault("apiVersion", lst["apiVersion"])
                it.setdefault("kind", lst["kind"][:-len("List")])
                items.append(it)
        doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    if output == "json":
        print(json.dumps(doc, indent=4))
    elif output.startswith("jsonpath="):
        sys.stdout.write(jsonpath(output[len("jsonpath="):], doc))
    else:
        die("error: kube-lite supports -o wide, json and jsonpath= only")


def manifests(path):
    files = sorted(glob.glob(os.path.join(path, "*"))) if os.path.isdir(path) else [path]
    for f in files:
        if os.path.splitext(f)[1] in (".json", ".yaml", ".yml"):
            with open(f) as fh:
                for doc in yaml.safe_load_all(fh):
                    if doc:
                        yield from doc.get("items", []) if doc.get("kind") == "List" else [doc]


def apply(api, ns, obj):
    r = api.resource_of(obj)
    obj_ns = obj["metadata"].get("namespace") or ns
    if r["namespaced"]:
        obj["metadata"]["namespace"] = obj_ns
    status, cur = api.call("GET", api.path(r, obj_ns, obj["metadata"]["name"]))
    if status == 404:
        api.ok("POST", api.path(r, obj_ns), obj)
        verdict = "created"
    else:
        patch = {k: v for k, v in obj.items() if k != "status"}
        new = api.ok("PATCH", api.path(r, obj_ns, obj["metadata"]["name"]), patch,
                     ctype="application/merge-patch+json")
        same = new["metadata"]["resourceVersion"] == cur["metadata"]["resourceVersion"]
        verdict = "unchanged" if same else "configured"
    print("%s %s" % (ref(r, obj["metadata"]["name"]), verdict))


def wait(api, ns, cond, timeout, targets):
    deadline = time.time() + timeout
    for t in targets:
        what, _, name = t.partition("/")
        r = api.resource(what)
        while True:
            status, obj = api.call("GET", api.path(r, ns, name))
            conds = ((obj or {}).get("status") or {}).get("conditions") or [] if status == 200 else []
            if any(c["type"] == cond and c["status"] == "True" for c in conds):
                print("%s condition met" % ref(r, name))
                break
            if time.time() > deadline:
                die("error: timed out waiting for the condition on %s" % ref(r, name))
            time.sleep(0.2)


def main(argv):
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C: just stop, the demo cleans up
    ns = output = cond = None
    labels, files, from_files, pos = [], [], [], []
    timeout = 30.0
    it = iter(argv)
    for a in it:
        flag, eq, val = a.partition("=")
        if flag in ("-n", "--namespace", "-o", "--output", "-L", "--label-columns", "-f", "--filename"):
            val = val if eq else next(it)
            if flag in ("-n", "--namespace"):
                ns = val
            elif flag in ("-o", "--output"):
                output = val
            elif flag in ("-L", "--label-columns"):
                labels.append(val)
            else:
                files.append(val)
        elif flag == "--for" and val.startswith("condition="):
            cond = val[len("condition="):]
        elif flag == "--timeout":
            timeout = float(val.rstrip("s"))
        elif flag == "--from-file":
            from_files.append(val)
        elif a.startswith("-"):
            die("kube-lite: unsupported flag %s" % a)
        else:
            pos.append(a)
    if not pos:
        die(__doc__.strip())
    api = Api()
    ns = ns or api.namespace
    verb, args = pos[0], pos[1:]
    if verb == "get" and args:
        get(api, ns, args, output or "", labels)
    elif verb == "apply" and files:
        for f in files:
            for obj in manifests(f):
                apply(api, ns, obj)
    elif verb == "create" and args[:1] == ["namespace"] and len(args) == 2:
        api.ok("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args[1]}})
        print("namespace/%s created" % args[1])
    elif verb == "create" and args[:2] == ["secret", "generic"] and len(args) == 3:
        data = {}
        for spec in from_files:
            key, _, path = spec.rpartition("=")
            with open(path, "rb") as f:
                data[key or os.path.basename(path)] = base64.b64encode(f.read()).decode()
        api.ok("POST", "/api/v1/namespaces/%s/secrets" % ns,
               {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": {"name": args[2]}, "data": data})
        print("secret/%s created" % args[2])
    elif verb == "wait" and cond and args:
        wait(api, ns, cond, timeout, args)
    else:
        die("kube-lite: unsupported command: %s\n%s" % (" ".join(argv), __doc__.strip()))


if __name__ == "__main__":
    main(sys.argv[1:])
