"""Fault injection through the admin endpoint POST /_kubesim/<action> (admin token only).

  drop-watches                      close every open watch connection abruptly
  restart {"wipe":bool,"downtime":s} close the listener and all connections, re-open the port
  fail {"count":N,"code":429|500|503,"retryAfter":s,"path":"substring"}
  delay {"count":N,"seconds":s,"path":"substring"}
  expire-history                    watches/continue tokens from before now get 410
  watch-lag {"resource":plural,"seconds":s} deliver that resource's watch events s late (0: off)
  nodes {"eks":true,"valkey":N}     register the Karpenter-labelled EKS nodes (+ Valkey nodes)
  evict-pod {"namespace","name","message","resource","gracePeriodSeconds"}
                                    the pod's kubelet evicts it for node pressure
  GET state                         counters (resourceVersion, history floor, open watches)
"""
import json
import threading
import time

from .util import ApiError, status


class Faults:
    def __init__(self, ctx):
        self.ctx = ctx
        self.lock = threading.Lock()
        self.rules = []   # dicts: kind fail|delay, count, ...
        self.watch_lag = {}   # resource plural -> seconds

    def _params(self, raw):
        if not raw:
            return {}
        try:
            p = json.loads(raw)
        except ValueError:
            raise ApiError(400, "BadRequest", "admin body must be JSON")
        return p if isinstance(p, dict) else {}

    def admin(self, handler, method, path, query, raw):
        from .server import Response
        ctx = self.ctx
        auth = handler.headers.get("Authorization", "")
        if ctx.admin_token and auth != "Bearer " + ctx.admin_token:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        action = path[len("/_kubesim/"):].strip("/")
        p = self._params(raw)
        if method == "GET" and action == "state":
            with ctx.store.lock:
                return Response(200, {"resourceVersion": ctx.store.rv, "floor": ctx.store.floor,
                                      "watches": len(ctx.watchers), "history": len(ctx.store.history),
                                      "missing": ctx.missing_modules()})
        if method == "GET" and action == "authorizations":
            return Response(200, {"items": ctx.rbac.log()})
        if method != "POST":
            raise ApiError(405, "MethodNotAllowed", "use POST", {})
        if action == "drop-watches":
            n = ctx.drop_watches()
            return Response(200, {"dropped": n})
        if action == "expire-history":
            ctx.store.expire_history()
            return Response(200, {"floor": ctx.store.floor})
        if action in ("fail", "delay"):
            rule = {"kind": action, "count": int(p.get("count", 1)),
                    "code": int(p.get("code", 503)), "retryAfter": p.get("retryAfter"),
                    "seconds": float(p.get("seconds", 1)), "path": p.get("path", "")}
            with self.lock:
                self.rules.append(rule)
            return Response(200, {"queued": rule})
        if action == "watch-lag":
            res, secs = str(p.get("resource", "")), float(p.get("seconds", 0))
            with self.lock:
                if secs > 0:
                    self.watch_lag[res] = secs
                else:
                    self.watch_lag.pop(res, None)
            return Response(200, {"watchLag": dict(self.watch_lag)})
        if action == "clear":
            with self.lock:
                self.rules = []
                self.watch_lag = {}
            return Response(200, {})
        if action == "restart":
            threading.Thread(target=ctx.restart, args=(bool(p.get("wipe")),
                                                       float(p.get("downtime", 0))),
                             daemon=True).start()
            return Response(200, {"restarting": True})
        if action == "evict-pod":
            ns, name = str(p.get("namespace") or "default"), str(p.get("name") or "")
            msg = p.get("message")
            msg = ctx.pods.evict(ns, name, None if msg is None else str(msg),
                                 float(p.get("gracePeriodSeconds", 0)),
                                 str(p.get("resource") or "memory"))
            return Response(200, {"evicted": {"namespace": ns, "name": name}, "message": msg})
        if action == "nodes":
            names = ctx.register_nodes(bool(p.get("eks", True)), int(p.get("valkey", 0)))
            return Response(200, {"nodes": names})
        raise ApiError(404, "NotFound", "unknown admin action %s" % action, {})

    def lag(self, resource):
        """Seconds by which watch events of resource (a plural) are held back."""
        with self.lock:
            return self.watch_lag.get(resource, 0)

    def before_request(self, handler, path):
        with self.lock:
            rule = None
            for r in self.rules:
                if r["count"] > 0 and r["path"] in path:
                    rule = r
                    r["count"] -= 1
                    break
            self.rules = [r for r in self.rules if r["count"] > 0]
        if rule is None:
            return
        if rule["kind"] == "delay":
            time.sleep(rule["seconds"])
            return
        code = rule["code"]
        if code == 429:
            ra = int(rule["retryAfter"] or 1)
            raise ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                           {"retryAfterSeconds": ra}, headers=[("Retry-After", str(ra))])
        if code == 503:
            hdrs = [("Retry-After", str(int(rule["retryAfter"])))] if rule["retryAfter"] else []
            raise ApiError(503, "ServiceUnavailable", "The server is currently unable to handle "
                           "the request (injected fault)", None, headers=hdrs)
        if code == 500:
            raise ApiError(500, "InternalError", "Internal error occurred: injected fault",
                           {"causes": [{"message": "injected fault"}]})
        raise ApiError(code, "", "injected fault %d" % code)


__all__ = ["Faults", "status"]
