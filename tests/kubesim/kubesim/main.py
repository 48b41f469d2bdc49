"""Command line: python3 tests/kubesim/kubesim.py --dir DIR [--http] [--port N] ..."""
import argparse
import os
import signal
import threading

from .app import Ctx


def parse(argv=None):
    p = argparse.ArgumentParser(prog="kubesim", description="Kubernetes API server test double")
    p.add_argument("--dir", required=True, help="state dir: kubeconfig, ca.crt, token, url, ready")
    p.add_argument("--http", action="store_true", help="serve plain HTTP instead of HTTPS")
    p.add_argument("--port", type=int, default=0, help="port (0: pick a free one)")
    p.add_argument("--history", type=int, default=10000, help="watch events retained")
    p.add_argument("--bookmark-interval", type=float, default=60.0,
                   help="seconds between watch BOOKMARK events")
    p.add_argument("--nodes", help="JSON (or YAML) list of Node objects to register")
    p.add_argument("--eks-nodes", action="store_true",
                   help="register the three Karpenter-labelled r7g.large EKS nodes")
    p.add_argument("--valkey-nodes", type=int, default=0,
                   help="register N Valkey data-plane nodes (karpenter.sh/nodepool=valkey)")
    p.add_argument("--user-token", action="append", metavar="USER=TOKEN",
                   help="an authenticated user without RBAC rights: discovery only, 403 "
                        "Forbidden on every resource (repeatable)")
    p.add_argument("--owner-pid", type=int, default=0, help="exit when this process exits")
    p.add_argument("-v", "--verbose", action="store_true")
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    for f in ("ready",):
        try:
            os.unlink(os.path.join(args.dir, f))
        except OSError:
            pass
    ctx = Ctx(args)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: done.set())
    signal.signal(signal.SIGINT, lambda *a: done.set())
    ctx.start()
    while not done.wait(0.5):
        if args.owner_pid:
            try:
                os.kill(args.owner_pid, 0)
            except ProcessLookupError:
                break
    ctx.stop()
    return 0
