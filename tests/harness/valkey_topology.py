#!/usr/bin/env python3
"""Start and stop real Valkey/Redis topologies on loopback for tests and the demo.

  valkey_topology.py start --mode standalone|replication|cluster --dir DIR
                           [--port N|auto] [--primaries 3] [--replicas 1]
                           [--ip-per-node] [--password-file F] [--owner-pid PID]
  valkey_topology.py stop --dir DIR

`start` prints shell assignments (eval-able) and writes DIR/topology.json:
  {"mode":..., "server":"/usr/bin/redis-server", "password": bool,
   "nodes":[{"name":"node-0","host":"127.0.0.1","port":N,"role":"primary",
             "primary":null|"node-0","slots":[[0,5460]],"id":"<cluster node id>"}...]}

Cluster mode builds the cluster by hand (ADDSLOTSRANGE, SET-CONFIG-EPOCH, MEET,
REPLICATE) so that which replica follows which primary is known: replica j of
primary i is node P + i*R + j. Slots are split like redis-cli does (5461/5461/5462).
With --ip-per-node node k listens on 127.0.0.(10+k) and announces that address.

valkey-server is used when on PATH, else redis-server. With --owner-pid a detached
watchdog stops the servers when that process exits, so a killed test never leaks them.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SLOTS = 16384


class RespError(Exception):
    pass


def resp_command(host, port, *args, password=None, timeout=5.0):
    """Send one command (after AUTH if given) and return the parsed reply."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        f = s.makefile("rb")
        cmds = ([("AUTH", password)] if password else []) + [args]
        for cmd in cmds:
            parts = [str(a).encode() for a in cmd]
            s.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            reply = _read_reply(f)
        return reply


def _read_reply(f):
    line = f.readline()
    if not line:
        raise ConnectionError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RespError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise RespError("bad reply type %r" % kind)


def server_binary():
    for name in ("valkey-server", "redis-server"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("valkey_topology: neither valkey-server nor redis-server is on PATH")


def port_free(host, port):
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def pick_base_port(count, hosts):
    import random
    for _ in range(200):
        base = random.randrange(20000, 29000 - count)
        if all(port_free(h, base + i) and port_free(h, base + i + 10000) for i in range(count) for h in set(hosts)):
            return base
    sys.exit("valkey_topology: no free port range found")


def wait_until(what, predicate, timeout=30.0):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (OSError, RespError) as e:
            last = e
        time.sleep(0.05)
    sys.exit("valkey_topology: timed out waiting for %s (%s)" % (what, last))


def info_dict(text):
    out = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v.strip()
    return out


def start(args):
    os.makedirs(args.dir, exist_ok=True)
    if os.path.exists(os.path.join(args.dir, "topology.json")):
        sys.exit("valkey_topology: %s already holds a topology; stop it first" % args.dir)
    password = None
    if args.password_file:
        with open(args.password_file) as f:
            password = f.read().strip()

    if args.mode == "standalone":
        count, primaries = 1, 1
    elif args.mode == "replication":
        count, primaries = 1 + args.replicas, 1
    else:
        primaries = args.primaries
        count = primaries * (1 + args.replicas)
    hosts = ["127.0.0.%d" % (10 + k) if args.ip_per_node else "127.0.0.1" for k in range(count)]
    base = pick_base_port(count, hosts) if args.port == "auto" else int(args.port)
    binary = server_binary()

    nodes = []
    for k in range(count):
        port = base + k
        ndir = os.path.join(args.dir, "node-%d" % k)
        os.makedirs(ndir, exist_ok=True)
        conf = [
            "bind %s" % hosts[k], "port %d" % port, "dir %s" % ndir, "daemonize yes",
            "pidfile %s/server.pid" % ndir, "logfile %s/server.log" % ndir,
            'save ""', "appendonly no", "protected-mode no",
        ]
        if password:
            conf += ["requirepass %s" % password, "masterauth %s" % password]
        if args.mode == "cluster":
            conf += ["cluster-enabled yes", "cluster-config-file %s/nodes.conf" % ndir,
                     "cluster-node-timeout %d" % args.node_timeout_ms,
                     "cluster-announce-ip %s" % hosts[k]]
        if args.ip_per_node:
            # Replicas otherwise report their connection's source address (127.0.0.1) to
            # their primary's INFO replication, which names no node.
            conf += ["replica-announce-ip %s" % hosts[k]]
        if args.mode == "replication" and k > 0:
            conf += ["replicaof %s %d" % (hosts[0], base)]
        with open(os.path.join(ndir, "server.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")
        os.chmod(os.path.join(ndir, "server.conf"), 0o600)
        subprocess.run([binary, os.path.join(ndir, "server.conf")], check=True)
        role = "primary" if k < primaries else "replica"
        primary = None
        if role == "replica":
            primary = "node-0" if args.mode == "replication" else "node-%d" % ((k - primaries) // args.replicas)
        nodes.append({"name": "node-%d" % k, "host": hosts[k], "port": port, "role": role,
                      "primary": primary, "slots": [], "id": None, "dir": ndir})

    state = {"mode": args.mode, "server": binary, "password": bool(password), "nodes": nodes}
    with open(os.path.join(args.dir, "topology.json"), "w") as f:
        json.dump(state, f, indent=2)
    if args.owner_pid:
        spawn_watchdog(args.dir, args.owner_pid)

    def cmd(node, *a):
        return resp_command(node["host"], node["port"], *a, password=password)

    for n in nodes:
        wait_until("%s to accept connections" % n["name"], lambda n=n: cmd(n, "PING") == "PONG")

    if args.mode == "cluster":
        build_cluster(nodes, primaries, cmd)
    elif args.mode == "replication":
        primary = nodes[0]
        wait_until("replicas to connect", lambda: int(info_dict(cmd(primary, "INFO", "replication"))
                                                           .get("connected_slaves", 0)) == count - 1)
        for n in nodes[1:]:
            wait_until("%s link up" % n["name"], lambda n=n: info_dict(cmd(n, "INFO", "replication"))
                       .get("master_link_status") == "up")

    with open(os.path.join(args.dir, "topology.json"), "w") as f:
        json.dump(state, f, indent=2)
    seeds = ",".join("%s:%d" % (n["host"], n["port"]) for n in nodes)
    print("VB_TOPOLOGY_DIR=%s" % args.dir)
    print("VB_MODE=%s" % args.mode)
    print("VB_HOST=%s" % nodes[0]["host"])
    print("VB_PORT=%d" % nodes[0]["port"])
    print("VB_NODES=%s" % seeds)


def build_cluster(nodes, primaries, cmd):
    per = SLOTS // primaries
    for i in range(primaries):
        lo = i * per
        hi = SLOTS - 1 if i == primaries - 1 else lo + per - 1
        nodes[i]["slots"] = [[lo, hi]]
        cmd(nodes[i], "CLUSTER", "ADDSLOTSRANGE", lo, hi)
    for k, n in enumerate(nodes):
        n["id"] = cmd(n, "CLUSTER", "MYID")
        cmd(n, "CLUSTER", "SET-CONFIG-EPOCH", k + 1)
    for n in nodes[1:]:
        cmd(n, "CLUSTER", "MEET", nodes[0]["host"], nodes[0]["port"])
    total = len(nodes)
    for n in nodes:
        wait_until("%s to know every node" % n["name"],
                   lambda n=n: int(info_dict(cmd(n, "CLUSTER", "INFO"))["cluster_known_nodes"]) == total)
    by_name = {n["name"]: n for n in nodes}
    for n in nodes[primaries:]:
        target = by_name[n["primary"]]["id"]
        wait_until("%s to see its primary" % n["name"],
                   lambda n=n, target=target: target in cmd(n, "CLUSTER", "NODES"))
        cmd(n, "CLUSTER", "REPLICATE", target)

    def converged():
        views = []
        for n in nodes:
            if info_dict(cmd(n, "CLUSTER", "INFO")).get("cluster_state") != "ok":
                return False
            views.append(sorted((s[0], s[1], s[2][1]) for s in cmd(n, "CLUSTER", "SLOTS")))
            if n["role"] == "replica" and info_dict(cmd(n, "INFO", "replication")).get("master_link_status") != "up":
                return False
        return all(v == views[0] for v in views) and len(views[0]) == primaries

    wait_until("cluster to converge", converged, timeout=60.0)


def spawn_watchdog(directory, owner_pid):
    """Fork a detached process that stops the topology once owner_pid is gone."""
    if os.fork() != 0:
        return
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    while True:
        try:
            os.kill(owner_pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
        if not os.path.exists(os.path.join(directory, "topology.json")):
            os._exit(0)
        time.sleep(0.5)
    stop_dir(directory)
    os._exit(0)


def stop_dir(directory):
    path = os.path.join(directory, "topology.json")
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        state = json.load(f)
    pids = []
    for n in state["nodes"]:
        try:
            with open(os.path.join(n["dir"], "server.pid")) as f:
                pids.append(int(f.read().strip()))
        except (OSError, ValueError):
            continue
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    for pid in pids:
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
                time.sleep(0.02)
            except ProcessLookupError:
                break
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", required=True)
    s = sub.add_parser("start")
    s.add_argument("--mode", choices=["standalone", "replication", "cluster"], required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--port", default="auto")
    s.add_argument("--primaries", type=int, default=3)
    s.add_argument("--replicas", type=int, default=None,
                   help="replicas per primary (cluster, default 1) or in all (replication, default 3)")
    s.add_argument("--ip-per-node", action="store_true")
    s.add_argument("--password-file")
    s.add_argument("--node-timeout-ms", type=int, default=2000)
    s.add_argument("--owner-pid", type=int)
    t = sub.add_parser("stop")
    t.add_argument("--dir", required=True)
    args = p.parse_args()
    if args.action == "start":
        if args.replicas is None:
            args.replicas = 3 if args.mode == "replication" else 1
        try:
            start(args)
        except BaseException:
            stop_dir(args.dir)
            raise
    else:
        sys.exit(stop_dir(args.dir))


if __name__ == "__main__":
    main()
