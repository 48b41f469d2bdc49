#!/usr/bin/env python3
"""A tiny HTTP server for what kubesim does not do: the first POST is read (and counted) but
answered by closing the connection, as a server that dies mid-request. Later POSTs get 201.
GET /_stub/count answers {"POST": n}; other GETs answer a ConfigMap. Keep-alive (HTTP/1.1).
Usage: stub_server.py PORTFILE (writes the port once listening; exits when stdin closes)."""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

posts = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_stub/count":
            with lock:
                self._send(200, {"POST": posts})
            return
        self._send(200, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})

    def do_POST(self):
        global posts
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            posts += 1
            first = posts == 1
        if first:
            self.close_connection = True   # processed, but the answer never comes
            return
        self._send(201, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "created"}})


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    sys.stdin.read()   # the test holds our stdin; EOF means it is gone
    srv.shutdown()


if __name__ == "__main__":
    main()
