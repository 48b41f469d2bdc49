"""Wiring: the shared context (store, registry, api, controllers), start, restart and stop."""
import base64
import json
import os
import socket
import ssl
import sys
import threading
import time

from . import certs, sem
from .api import Api
from .controllers import GarbageCollector
from .crds import CrdHook
from .deletion import Deleter
from .faults import Faults
from .pods import PodController, eks_nodes
from .rbac import Authorizer
from .resources import Registry
from .server import Server, serve_in_thread
from .store import Store
from .util import new_uid, now_rfc3339

DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"]


class Ctx:
    def __init__(self, args):
        self.args = args
        self.dir = os.path.abspath(args.dir)
        os.makedirs(self.dir, exist_ok=True)
        self.workdir = os.path.join(self.dir, "pods")
        os.makedirs(self.workdir, exist_ok=True)
        self.verbose = args.verbose
        self.logf = open(os.path.join(self.dir, "kubesim.log"), "a", buffering=1)
        self.store = Store(history=args.history)
        self.registry = Registry()
        self.api = Api(self.store, self.registry, [CrdHook(self)])
        self.deleter = Deleter(self.api)
        self.faults = Faults(self)
        self.rbac = Authorizer(self)
        self.bookmark_interval = args.bookmark_interval
        self.watch_epoch = 0
        self.watchers = set()
        self.dropped = set()
        self.conns = set()
        self.conn_lock = threading.Lock()
        self.token = certs.token(self.dir, "token")
        self.admin_token = certs.token(self.dir, "admin-token")
        # authenticated users without any RBAC rights (02-auth): token -> user name
        self.users = {}
        for spec in args.user_token or []:
            user, _, tok = spec.partition("=")
            self.users[tok] = user
        self.server = None
        self.controllers = []

    # ---- logging -----------------------------------------------------------------------
    def log(self, msg):
        self.logf.write("%s %s\n" % (now_rfc3339(), msg))
        if self.verbose:
            sys.stderr.write("kubesim: %s\n" % msg)

    def log_request(self, handler, msg):
        self.log(msg)

    def missing_modules(self):
        return list(sem.missing)

    # ---- connections and watches -------------------------------------------------------
    def track(self, conn, add):
        with self.conn_lock:
            (self.conns.add if add else self.conns.discard)(conn)

    def watch_started(self, h):
        with self.conn_lock:
            self.watchers.add(h)

    def watch_ended(self, h):
        with self.conn_lock:
            self.watchers.discard(h)
            self.dropped.discard(h)

    def dropping(self, h):
        with self.conn_lock:
            return h in self.dropped

    def drop_watches(self):
        with self.conn_lock:
            ws = list(self.watchers)
            self.dropped.update(ws)
        with self.store.lock:
            self.watch_epoch += 1
            self.store.cond.notify_all()
        for h in ws:
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return len(ws)

    # ---- bootstrap ---------------------------------------------------------------------
    def seed(self):
        with self.store.lock:
            for ns in DEFAULT_NAMESPACES:
                if self.store.get_ref("/namespaces", "", ns) is None:
                    self.store.put("/namespaces", {
                        "kind": "Namespace", "apiVersion": "v1",
                        "metadata": {"name": ns, "uid": new_uid(),
                                     "creationTimestamp": now_rfc3339(),
                                     "labels": {"kubernetes.io/metadata.name": ns}},
                        "spec": {"finalizers": ["kubernetes"]},
                        "status": {"phase": "Active"}}, "ADDED")
                if self.store.get_ref("/serviceaccounts", ns, "default") is None:
                    self.store.put("/serviceaccounts", {
                        "kind": "ServiceAccount", "apiVersion": "v1",
                        "metadata": {"name": "default", "namespace": ns, "uid": new_uid(),
                                     "creationTimestamp": now_rfc3339()}}, "ADDED")
        if self.args.nodes:
            with open(self.args.nodes) as f:
                text = f.read()
            try:
                nodes = json.loads(text)
            except ValueError:
                import yaml  # python3-yaml, only needed for YAML node files
                nodes = yaml.safe_load(text)
            if isinstance(nodes, dict):
                nodes = nodes.get("items", [nodes])
            self.create_nodes(nodes)
        if self.args.eks_nodes or self.args.valkey_nodes:
            self.register_nodes(self.args.eks_nodes, self.args.valkey_nodes)

    def create_nodes(self, nodes):
        info = self.registry.find("", "v1", "nodes")
        names = []
        for n in nodes:
            n.setdefault("apiVersion", "v1")
            n.setdefault("kind", "Node")
            name = n["metadata"]["name"]
            names.append(name)
            if self.store.get_ref("/nodes", "", name) is None:
                self.api.create(info, "", json.dumps(n).encode(), _NoQuery())
        return names

    def register_nodes(self, eks, valkey):
        return self.create_nodes(eks_nodes(valkey, eks))

    # ---- serving -----------------------------------------------------------------------
    def _ssl_context(self):
        if self.args.http:
            return None
        ca, crt, key = certs.ensure(self.dir)
        sc = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sc.load_cert_chain(crt, key)
        sc.set_alpn_protocols(["http/1.1"])
        return sc

    def listen(self, port):
        self.server = Server(("127.0.0.1", port), self, self._ssl_ctx)
        self.port = self.server.server_address[1]
        self.host_port = "127.0.0.1:%d" % self.port
        self.http_thread = serve_in_thread(self.server)

    def start(self):
        self._ssl_ctx = self._ssl_context()
        self.seed()
        self.listen(self.args.port)
        self.gc = GarbageCollector(self)
        self.pods = PodController(self)
        self.controllers = [self.gc, self.pods]
        for c in self.controllers:
            c.start()
        self.write_files()

    def pod_logs(self, ns, name, container):
        return self.pods.logs(ns, name, container)

    def bind_pod(self, ns, name, node):
        with self.store.lock:
            cur = self.store.get("/pods", ns, name)
            if cur is None:
                from .util import not_found
                raise not_found(self.registry.find("", "v1", "pods"), name)
            cur["spec"]["nodeName"] = node
            self.store.put("/pods", cur, "MODIFIED")

    def url(self):
        return "%s://127.0.0.1:%d" % ("http" if self.args.http else "https", self.port)

    def write_files(self):
        d = self.dir
        url = self.url()
        lines = ["apiVersion: v1", "kind: Config", "clusters:", "- name: kubesim", "  cluster:",
                 "    server: %s" % url]
        if not self.args.http:
            with open(os.path.join(d, "ca.crt"), "rb") as f:
                lines.append("    certificate-authority-data: %s"
                             % base64.b64encode(f.read()).decode())
        for fname, tok in (("kubeconfig", self.token), ("admin-kubeconfig", self.admin_token)):
            user = ["users:", "- name: kubesim-admin", "  user:", "    token: %s" % tok,
                    "contexts:", "- name: kubesim", "  context:", "    cluster: kubesim",
                    "    user: kubesim-admin", "    namespace: default",
                    "current-context: kubesim", ""]
            _atomic(os.path.join(d, fname), "\n".join(lines + user))
        _atomic(os.path.join(d, "url"), url + "\n")
        _atomic(os.path.join(d, "port"), "%d\n" % self.port)
        _atomic(os.path.join(d, "pid"), "%d\n" % os.getpid())
        _atomic(os.path.join(d, "ready"), url + "\n")

    def _close_all(self):
        self.server.shutdown()
        self.server.server_close()
        self.drop_watches()
        with self.conn_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restart(self, wipe, downtime):
        """Close the listener and every connection, optionally wipe state, re-open the port."""
        time.sleep(0.05)   # let the admin response reach the client
        self.log("restart wipe=%s downtime=%s" % (wipe, downtime))
        self._close_all()
        if wipe:
            self.pods.reset_kubelet()
            with self.store.lock:
                for crd in list(self.registry.custom):
                    for r in self.registry.custom[crd]:
                        r.removed = True
                    self.registry.set_custom(crd, [])
                self.store.reset(self.store.rv + 1000)
                self.pods.synced.clear()
            self.seed()
        if downtime:
            time.sleep(downtime)
        for attempt in range(50):
            try:
                self.listen(self.port)
                break
            except OSError:
                time.sleep(0.1)
        self.log("restarted on %d" % self.port)

    def stop(self):
        for c in self.controllers:
            c.stop()
        try:
            self._close_all()
        except Exception:
            pass
        for f in ("ready",):
            try:
                os.unlink(os.path.join(self.dir, f))
            except OSError:
                pass


class _NoQuery:
    def get(self, k, default=None):
        return default

    def getall(self, k):
        return []

    def __contains__(self, k):
        return False


def _atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
