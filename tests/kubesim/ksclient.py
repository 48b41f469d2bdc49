"""Test helpers: start kubesim in a temp dir, talk to it over HTTPS with the generated CA and
token, run kubectl against it. Used by the test_*.py end-to-end proofs."""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class Kubesim:
    def __init__(self, *args, http=False, dir=None):
        self.own_dir = dir is None
        self.dir = dir or tempfile.mkdtemp(prefix="kubesim-")
        self.args = list(args)
        self.http = http
        self.proc = None

    def start(self, timeout=15):
        cmd = [sys.executable, os.path.join(HERE, "kubesim.py"), "--dir", self.dir,
               "--owner-pid", str(os.getpid())] + self.args
        if self.http:
            cmd.append("--http")
        self.log = open(os.path.join(self.dir, "stderr.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while not os.path.exists(os.path.join(self.dir, "ready")):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("kubesim did not start: " + self._read("stderr.log"))
            time.sleep(0.05)
        self.url = self._read("url")
        self.port = int(self.url.rsplit(":", 1)[1])
        self.token = self._read("token")
        self.admin_token = self._read("admin-token")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        return self

    def _read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read().strip()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        if self.own_dir and not os.environ.get("VB_KEEP_KUBESIM"):
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.own_dir:
            sys.stderr.write("kubesim: kept %s (VB_KEEP_KUBESIM)\n" % self.dir)

    def conn(self, timeout=30):
        if self.http:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "ca.crt"))
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=True, ctype=None):
        h = {"Accept": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + (self.token if token is True else token)
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h["Content-Type"] = "application/json"
        if ctype:
            h["Content-Type"] = ctype
        h.update(headers or {})
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        parsed = None
        if data and "json" in (r.getheader("Content-Type") or ""):
            parsed = json.loads(data)
        return r.status, parsed if parsed is not None else data, r

    def admin(self, action, body=None, method="POST"):
        return self.request(method, "/_kubesim/" + action, body if body is not None else {},
                            token=self.admin_token)

    def watch(self, path, timeout=30):
        """Open a watch; returns (response, iterator over decoded events)."""
        c = self.conn(timeout=timeout)
        c.request("GET", path, headers={"Authorization": "Bearer " + self.token,
                                        "Accept": "application/json"})
        r = c.getresponse()

        def events():
            try:
                while True:
                    line = r.readline()
                    if not line:
                        return
                    yield json.loads(line)
            except (OSError, http.client.HTTPException):
                return
            finally:
                c.close()
        return r, events()

    def kubectl(self, *args, input=None, check=True, exe=None):
        """Runs kubectl (the one on PATH, or exe) with this server's kubeconfig and a private
        discovery cache per kubectl binary."""
        exe = exe or shutil.which("kubectl")
        cache = "kubectl-cache" + ("" if exe == shutil.which("kubectl") else
                                   "-%x" % (hash(exe) & 0xffffffff))
        env = dict(os.environ, KUBECONFIG=self.kubeconfig,
                   KUBECACHEDIR=os.path.join(self.dir, cache))
        p = subprocess.run([exe] + list(args), input=input, capture_output=True, text=True,
                           env=env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s%s" % (" ".join(args), p.returncode,
                                                                  p.stdout, p.stderr))
        return p


def wait_for(fn, timeout=15, interval=0.05):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("condition not met within %ss" % timeout)
        time.sleep(interval)


def have_kubectl():
    return shutil.which("kubectl") is not None


def crd_json():
    """The reference Widget CRD (README of the k8s-reference transcripts) as a dict."""
    with open(os.path.join(HERE, "testdata", "widget-crd.json")) as f:
        return json.load(f)
