"""HTTP(S) front end: authentication, fault injection, routing and content negotiation.
The object semantics live in api.py, deletion.py, lists.py and watch.py."""
import email.utils
import http.server
import json
import socket
import socketserver
import threading
import time
import urllib.parse

from . import appsrbac, discovery, eviction, openapi, protobuf, sem
from .deletion import parse_options
from .lists import list_body, list_objects, matcher
from .util import ApiError, deep_copy, dumps, not_routed, status
from .watch import Watch


class Query:
    def __init__(self, qs):
        self.d = urllib.parse.parse_qs(qs, keep_blank_values=True)

    def get(self, k, default=None):
        v = self.d.get(k)
        return v[0] if v else default

    def getall(self, k):
        return self.d.get(k, [])

    def __contains__(self, k):
        return k in self.d


class Response:
    def __init__(self, code, body=None, headers=None, ctype="application/json"):
        self.code, self.body, self.headers, self.ctype = code, body, headers or [], ctype


def parse_accept(accept):
    """('table'|'pom'|'poml'|'json'|'yaml', table_api_version) or raises 406."""
    if not accept:
        return "json", None
    for part in accept.split(","):
        p = [x.strip() for x in part.split(";")]
        media, params = p[0], dict(x.split("=", 1) for x in p[1:] if "=" in x)
        if media in ("application/json", "*/*", "application/*") and "as" in params:
            if params.get("g") != "meta.k8s.io":
                continue
            if params["as"] == "Table" and params.get("v") in ("v1", "v1beta1"):
                return "table", "meta.k8s.io/" + params["v"]
            if params["as"] == "PartialObjectMetadata" and params.get("v") in ("v1", "v1beta1"):
                return "pom", "meta.k8s.io/" + params["v"]
            if params["as"] == "PartialObjectMetadataList" and params.get("v") in ("v1",
                                                                                  "v1beta1"):
                return "poml", "meta.k8s.io/" + params["v"]
            continue
        if media in ("application/json", "*/*", "application/*", "application/json-patch+json"):
            return "json", None
        if media == "application/yaml":
            return "json", None
    raise ApiError(406, "NotAcceptable", "only the following media types are accepted: "
                   "application/json, application/yaml, application/vnd.kubernetes.protobuf")


class _Res:
    """Group and plural of a request path, for 403 messages of unrouted resources."""

    def __init__(self, group, plural):
        self.group, self.plural = group, plural


def _pom(obj, api_version):
    return {"kind": "PartialObjectMetadata", "apiVersion": api_version,
            "metadata": obj.get("metadata", {})}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubesim"
    sys_version = ""

    def log_message(self, fmt, *args):
        self.server.ctx.log_request(self, fmt % args)

    def setup(self):
        super().setup()
        self.server.ctx.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.ctx.track(self.connection, False)

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    # ---- plumbing ----------------------------------------------------------------------
    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                data += self.rfile.read(size)
                self.rfile.readline()
            return data
        return self.rfile.read(n) if n else b""

    def _send(self, resp):
        body = resp.body
        if isinstance(body, (dict, list)):
            body = dumps(body)
        elif isinstance(body, str):
            body = body.encode()
        self.send_response_only(resp.code)
        has_cc = any(h[0].lower() == "cache-control" for h in resp.headers)
        if not has_cc:
            self.send_header("Cache-Control", "no-cache, private")
        if body is not None and resp.ctype and not any(h[0].lower() == "content-type"
                                                       for h in resp.headers):
            self.send_header("Content-Type", resp.ctype)
        for k, v in resp.headers:
            self.send_header(k, v)
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        if body is not None or resp.code not in (204, 304):
            self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, e):
        if e.text is not None:
            self._send(Response(e.code, e.text, [("X-Content-Type-Options", "nosniff")],
                                "text/plain; charset=utf-8"))
        else:
            self._send(Response(e.code, e.body(), e.headers))

    def _handle(self, method):
        ctx = self.server.ctx
        url = urllib.parse.urlsplit(self.path)
        path, query = url.path, Query(url.query)
        try:
            raw = self._body()
            if path.startswith("/_kubesim/"):
                return self._send(ctx.faults.admin(self, method, path, query, raw))
            ctx.faults.before_request(self, path)
            if path in ("/healthz", "/readyz", "/livez"):
                return self._send(Response(200, "ok", ctype="text/plain; charset=utf-8"))
            user = self._authenticate(path)
            resp = self._route(method, path, query, raw, user)
            if resp is not None:
                self._send(resp)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError) as e:
            ctx.log("connection error %s %s: %r" % (method, path, e))
            self.close_connection = True
        except Exception as e:  # keep serving; report the bug as the real server would
            import traceback
            ctx.log("internal error %s %s: %s" % (method, path, traceback.format_exc()))
            self._send(Response(500, status(500, "InternalError", "Internal error occurred: %r"
                                            % e)))

    def _authenticate(self, path):
        ctx = self.server.ctx
        if ctx.token is None:
            return "admin"
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            tok = auth[7:].strip()
            if tok in (ctx.token, ctx.admin_token):
                return "admin"
            if tok in ctx.users:
                return ctx.users[tok]
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return "system:anonymous"

    def _forbidden(self, user, verb, info, ns, name, sub=None):
        res = info.plural
        q = res + ("." + info.group if info.group else "")
        msg = '%s %sis forbidden: User "%s" cannot %s resource "%s" in API group "%s"' % (
            q, '"%s" ' % name if name else "", user, verb, res + ("/" + sub if sub else ""),
            info.group)
        if ns:
            msg += ' in the namespace "%s"' % ns
        d = {}
        if name:
            d["name"] = name
        if info.group:
            d["group"] = info.group
        d["kind"] = res
        return ApiError(403, "Forbidden", msg, d)

    # ---- routing -----------------------------------------------------------------------
    def _route(self, method, path, query, raw, user):
        ctx = self.server.ctx
        reg = ctx.registry
        parts = [p for p in path.split("/") if p]
        accept = self.headers.get("Accept", "")
        anonymous = user == "system:anonymous"
        if path == "/version":
            return Response(200, discovery.VERSION)
        if anonymous and not parts[:1] in (["api"], ["apis"]):
            raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot get '
                           'path "%s"' % path, {})
        if parts[:1] == ["openapi"]:
            if anonymous:
                raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot get '
                               'path "%s"' % path, {})
            return openapi.handle(ctx, parts, query, self.headers)
        if not parts or parts[0] not in ("api", "apis"):
            raise not_routed()
        if parts[0] == "api":
            if len(parts) == 1:
                if anonymous:
                    raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot '
                                   'get path "/api"', {})
                if discovery.wants_aggregated(accept):
                    code, hdrs, body = discovery.aggregated_response(
                        reg, True, accept, self.headers.get("If-None-Match"))
                    return Response(code, body, hdrs, None)
                return Response(200, discovery.api_versions(ctx.host_port))
            if parts[1] != "v1":
                raise not_routed()
            group, version, rest = "", "v1", parts[2:]
        else:
            if len(parts) == 1:
                if anonymous:
                    raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot '
                                   'get path "/apis"', {})
                if discovery.wants_aggregated(accept):
                    code, hdrs, body = discovery.aggregated_response(
                        reg, False, accept, self.headers.get("If-None-Match"))
                    return Response(code, body, hdrs, None)
                return Response(200, discovery.api_group_list(reg))
            if len(parts) == 2:
                doc = discovery.api_group(reg, parts[1])
                if doc is None:
                    raise not_routed()
                return Response(200, doc)
            group, version, rest = parts[1], parts[2], parts[3:]
        if not rest:
            if anonymous:
                raise ApiError(403, "Forbidden", 'forbidden: User "system:anonymous" cannot get '
                               'path "%s"' % path, {})
            doc = discovery.resource_list(reg, group, version)
            if doc is None:
                raise not_routed()
            return Response(200, doc)
        watch = False
        if rest[0] == "watch":
            watch, rest = True, rest[1:]
        ns = None
        if (rest and rest[0] == "namespaces" and len(rest) >= 3 and
                ((reg.find(group, version, rest[2]) is not None and
                  reg.find(group, version, rest[2]).namespaced) or user != "admin")):
            ns, rest = rest[1], rest[2:]
        if user != "admin" and rest:
            # authorization (rbac.py) runs before routing: 403 even for resources that do
            # not exist
            name = rest[1] if len(rest) > 1 else None
            w = watch or ("watch" in query and query.get("watch") not in ("false", "0"))
            verb = {"GET": "get" if name else ("watch" if w else "list"), "POST": "create",
                    "PUT": "update", "PATCH": "patch",
                    "DELETE": "delete" if name else "deletecollection"}.get(method, "get")
            sub = rest[2] if len(rest) > 2 else None
            if not ctx.rbac.allowed(user, verb, group, rest[0], sub, ns, name):
                raise self._forbidden(user, verb, _Res(group, rest[0]), ns, name, sub)
        if not rest or len(rest) > 3:
            raise not_routed()
        info = reg.find(group, version, rest[0])
        if info is None or info.removed:
            raise not_routed()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if info.namespaced and ns is None and name is not None:
            raise not_routed()
        if sub is not None and sub not in info.subresources:
            raise not_routed()
        if "watch" in query and query.get("watch") not in ("false", "0"):
            watch = True
        return self._resource(method, info, ns, name, sub, query, raw, watch, accept)

    def _resource(self, method, info, ns, name, sub, query, raw, watch, accept):
        ctx = self.server.ctx
        api = ctx.api
        ns = ns or ""
        warn = []
        if sub == "scale":
            return self._scale(method, info, ns, name, query, raw)
        if sub == "eviction" and method != "POST":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                           "the requested resource", {})
        if method == "GET":
            if sub == "log":
                return self._log(info, ns, name, query)
            mode, tver = parse_accept(accept)
            if watch and name is None:
                return self._watch(info, ns, query, mode, tver)
            if name is None:
                items, meta = list_objects(api, info, ns or None, query)
                return self._render_list(info, items, meta, mode, tver, query)
            obj = api.get(info, ns, name)
            return self._render_one(info, obj, mode, tver, query, 200)
        if method in ("POST", "PUT") and sub != "binding":
            media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media == protobuf.MEDIA:
                try:
                    raw = protobuf.to_json(raw)
                except (protobuf.DecodeError, UnicodeDecodeError) as e:
                    ctx.log("protobuf body not decoded: %s" % e)
                    raise ApiError(415, "UnsupportedMediaType",
                                   "the body of the request was in an unknown format - accepted "
                                   "media types include: application/json, application/yaml")
            elif media not in ("", "application/json", "application/yaml", "*/*"):
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted "
                               "media types include: application/json, application/yaml, "
                               "application/vnd.kubernetes.protobuf")
        if method == "POST":
            if name is not None:
                if sub == "binding":
                    return self._bind(info, ns, name, raw)
                if sub == "eviction":
                    return Response(*eviction.create(ctx, info, ns, name, raw, query))
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                               "on the requested resource", {})
            code, obj, warn = api.create(info, ns, raw, query)
        elif method == "PUT":
            if name is None:
                raise ApiError(400, "BadRequest", "name must be provided")
            code, obj, warn = api.update(info, ns, name, raw, query, sub)
        elif method == "PATCH":
            if name is None:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method "
                               "on the requested resource", {})
            code, obj, warn = api.patch(info, ns, name, self.headers.get("Content-Type"), raw,
                                        query, sub)
        elif method == "DELETE":
            if (self.headers.get("Content-Type") or "").split(";")[0].strip() == protobuf.MEDIA:
                try:
                    raw = protobuf.to_json(raw)
                except protobuf.DecodeError as e:
                    ctx.log("protobuf DeleteOptions not decoded: %s" % e)
                    raise ApiError(415, "UnsupportedMediaType",
                                   "the body of the request was in an unknown format - accepted "
                                   "media types include: application/json, application/yaml")
            opts = parse_options(raw, query)
            if name is None:
                match = matcher(info, query)
                items = ctx.deleter.delete_collection(info, ns or None, match, opts)
                _, rv = ctx.store.list(info.storage, None)
                return Response(200, list_body(info, items, {"resourceVersion": str(rv)}))
            code, obj = ctx.deleter.delete(info, ns, name, opts)
        else:
            raise ApiError(405, "MethodNotAllowed", "method not allowed", {})
        hdrs = [("Warning", '299 - "%s"' % w.replace('"', '\\"')) for w in warn]
        mode, tver = parse_accept(accept)
        resp = self._render_one(info, obj, mode, tver, query, code)
        resp.headers = hdrs + resp.headers
        return resp

    # ---- rendering ---------------------------------------------------------------------
    def _table(self, info, objs, query, meta, tver):
        include = query.get("includeObject") or "Metadata"
        return sem.tables.table(info.plural, objs, info.crd_version(), include, meta,
                                api_version=tver or "meta.k8s.io/v1")

    def _render_list(self, info, items, meta, mode, tver, query):
        if mode == "table" and sem.tables is not None:
            return Response(200, self._table(info, items, query, meta, tver))
        if mode in ("pom", "poml"):
            return Response(200, {"kind": "PartialObjectMetadataList", "apiVersion": tver,
                                  "metadata": meta, "items": [_pom(o, tver) for o in items]})
        return Response(200, list_body(info, items, meta))

    def _render_one(self, info, obj, mode, tver, query, code):
        if obj.get("kind") == "Status":
            return Response(code, obj)
        if mode == "table" and sem.tables is not None:
            meta = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
            return Response(code, self._table(info, [obj], query, meta, tver))
        if mode in ("pom", "poml"):
            return Response(code, _pom(obj, tver))
        return Response(code, obj)

    def _watch(self, info, ns, query, mode, tver):
        ctx = self.server.ctx
        if mode == "table" and sem.tables is not None:
            def convert(o):
                meta = {"resourceVersion": o["metadata"].get("resourceVersion", "")}
                return self._table(info, [o], query, meta, tver)
        elif mode in ("pom", "poml"):
            def convert(o):
                return _pom(o, tver)
        else:
            def convert(o):
                return o
        w = Watch(ctx, info, ns or None, query, convert)
        gen = w.run()
        first = next(gen, None)  # may raise ApiError before any byte is sent
        self.send_response_only(200)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "application/json")
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        ctx.watch_started(self)
        try:
            batch = first
            while batch is not None:
                for ev in batch:
                    data = dumps(ev)
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
                batch = next(gen, None)
            if not ctx.dropping(self):
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            gen.close()
            ctx.watch_ended(self)
        self.close_connection = True
        return None

    def _log(self, info, ns, name, query):
        ctx = self.server.ctx
        pod = ctx.api.get(info, ns, name)
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        container = query.get("container")
        if container and container not in containers:
            raise ApiError(400, "BadRequest", "container %s is not valid for pod %s"
                           % (container, name))
        if not container and len(containers) > 1:
            raise ApiError(400, "BadRequest", "a container name must be specified for pod %s, "
                           "choose one of: [%s]" % (name, " ".join(containers)))
        text = ctx.pod_logs(ns, name, container or (containers[0] if containers else None))
        if text is None:
            return Response(204, None, ctype=None)
        tail = query.get("tailLines")
        if tail is not None and tail.isdigit():
            lines = text.splitlines(True)
            text = "".join(lines[len(lines) - int(tail):] if int(tail) else [])
        if query.get("follow") in ("true", "1"):
            return self._follow_log(ns, name, container or containers[0], text)
        return Response(200, text, ctype="text/plain")

    def _follow_log(self, ns, name, container, text):
        ctx = self.server.ctx
        self.send_response_only(200)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "text/plain")
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent = 0
        full = ctx.pod_logs(ns, name, container) or ""
        sent = len(full) - len(text)
        try:
            while True:
                full = ctx.pod_logs(ns, name, container)
                pod = ctx.store.get("/pods", ns, name)
                if full is not None and len(full) > sent:
                    chunk = full[sent:].encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    sent = len(full)
                phase = ((pod or {}).get("status") or {}).get("phase")
                if pod is None or phase in ("Succeeded", "Failed"):
                    break
                time.sleep(0.2)
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True
        return None

    def _scale(self, method, info, ns, name, query, raw):
        """autoscaling/v1 Scale of a Deployment: reads and writes spec.replicas."""
        api = self.server.ctx.api
        cur = api.get(info, ns, name)
        scale = appsrbac.to_scale(cur)
        if method == "GET":
            return Response(200, scale)
        if method not in ("PUT", "PATCH"):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                           "the requested resource", {})
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise ApiError(400, "BadRequest", "error decoding Scale: %s" % e)
        if method == "PUT":
            rv = (body.get("metadata") or {}).get("resourceVersion")
            if rv and rv != scale["metadata"].get("resourceVersion"):
                from .util import conflict
                raise conflict(info, name)
            new = body
        else:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            try:
                if ctype == "application/json-patch+json":
                    new = sem.json_patch(scale, body)
                elif ctype == "application/strategic-merge-patch+json":
                    new = sem.strategic_merge_patch(scale, body, "scales")
                elif ctype in ("application/merge-patch+json", "application/apply-patch+yaml"):
                    new = sem.merge_patch(scale, body)
                else:
                    raise ApiError(415, "UnsupportedMediaType", "the body of the request was in "
                                   "an unknown format - accepted media types include: "
                                   "application/json-patch+json, application/merge-patch+json, "
                                   "application/apply-patch+yaml, "
                                   "application/strategic-merge-patch+json")
            except sem.PatchError as e:
                raise ApiError(e.code, e.reason, e.message)
        replicas = ((new or {}).get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            msg = "Invalid value: %s: must be greater than or equal to 0" % json.dumps(replicas)
            raise ApiError(422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: %s'
                           % (name, msg), {"name": name, "group": "autoscaling", "kind": "Scale",
                                           "causes": [{"reason": "FieldValueInvalid",
                                                       "message": msg,
                                                       "field": "spec.replicas"}]})
        patch = json.dumps({"spec": {"replicas": replicas}}).encode()
        code, obj, _ = api.patch(info, ns, name, "application/merge-patch+json", patch, query)
        return Response(200, appsrbac.to_scale(obj))

    def _bind(self, info, ns, name, raw):
        ctx = self.server.ctx
        try:
            b = json.loads(raw)
            node = b["target"]["name"]
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "BadRequest", "invalid binding")
        ctx.bind_pod(ns, name, node)
        return Response(201, status(None, None, None, status_word="Success"))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, ctx, ssl_context=None):
        self.ctx = ctx
        self.ssl_context = ssl_context
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK
        # stall every response by ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(sock, server_side=True,
                                                do_handshake_on_connect=False)
        return sock, addr

    def process_request_thread(self, request, client_address):
        if self.ssl_context is not None:
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except OSError:
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request, client_address):
        pass


def serve_in_thread(server):
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                         daemon=True, name="http")
    t.start()
    return t


__all__ = ["Server", "serve_in_thread", "Query", "Response", "deep_copy"]
