"""Server-level proofs: plain HTTP mode, state dir reuse across process restarts (same CA and
token), concurrent writers with a watcher (every write seen once, resourceVersions strictly
increasing, no lost or duplicated event), startup time."""
import os
import shutil
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ksclient import Kubesim  # noqa: E402

CM = "/api/v1/namespaces/default/configmaps"


def cm(name, **data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


class TestServer(unittest.TestCase):
    def test_plain_http(self):
        ks = Kubesim(http=True).start()
        self.addCleanup(ks.stop)
        self.assertTrue(ks.url.startswith("http://127.0.0.1:"))
        self.assertEqual(ks.request("GET", "/api/v1/namespaces/default")[0], 200)
        self.assertEqual(ks.request("GET", "/api/v1/namespaces", token="bad")[0], 401)
        with open(ks.kubeconfig) as f:
            self.assertNotIn("certificate-authority-data", f.read())

    def test_state_dir_reused_across_processes(self):
        d = tempfile.mkdtemp(prefix="kubesim-reuse-")
        self.addCleanup(shutil.rmtree, d, True)
        ks = Kubesim(dir=d).start()
        token, ca = ks.token, open(os.path.join(d, "ca.crt")).read()
        ks.stop()
        self.assertFalse(os.path.exists(os.path.join(d, "ready")))
        t = time.monotonic()
        ks2 = Kubesim(dir=d).start()
        started = time.monotonic() - t
        self.addCleanup(ks2.stop)
        self.assertEqual(ks2.token, token)
        with open(os.path.join(d, "ca.crt")) as f:
            self.assertEqual(f.read(), ca)
        self.assertEqual(ks2.request("GET", "/version")[0], 200)
        print("kubesim warm start (process spawn to DIR/ready): %.2fs" % started,
              file=sys.stderr)

    def test_concurrent_writers_and_watch(self):
        ks = Kubesim().start()
        self.addCleanup(ks.stop)
        rv0 = ks.request("GET", CM)[1]["metadata"]["resourceVersion"]
        r, evs = ks.watch(CM + "?watch=1&resourceVersion=%s&timeoutSeconds=60" % rv0)
        writers, per = 6, 15
        written = []
        lock = threading.Lock()

        def writer(w):
            for i in range(per):
                name = "c-%d-%d" % (w, i)
                s, o, _ = ks.request("POST", CM, cm(name, v="0"))
                assert s == 201, o
                s, o2, _ = ks.request("PATCH", CM + "/" + name, {"data": {"v": "1"}},
                                      ctype="application/merge-patch+json")
                assert s == 200, o2
                with lock:
                    written.append(o["metadata"]["resourceVersion"])
                    written.append(o2["metadata"]["resourceVersion"])
        ts = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        seen = []
        for ev in evs:
            seen.append(ev)
            if len(seen) == len(written):
                break
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in seen]
        self.assertEqual(rvs, sorted(set(rvs)), "strictly increasing, no duplicates")
        self.assertEqual(sorted(rvs), sorted(int(x) for x in written))
        self.assertEqual([e["type"] for e in seen].count("ADDED"), writers * per)
        self.assertEqual([e["type"] for e in seen].count("MODIFIED"), writers * per)
        lst = ks.request("GET", CM)[1]
        self.assertEqual(len(lst["items"]), writers * per)
        self.assertGreaterEqual(int(lst["metadata"]["resourceVersion"]), max(rvs))


if __name__ == "__main__":
    unittest.main()
