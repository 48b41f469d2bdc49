"""CA and server certificate, generated with openssl once per --dir and reused afterwards."""
import os
import secrets
import subprocess


def _run(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def ensure(d):
    """Returns (ca.crt, server.crt, server.key) paths under d, creating them if missing."""
    ca, ca_key = os.path.join(d, "ca.crt"), os.path.join(d, "ca.key")
    crt, key = os.path.join(d, "server.crt"), os.path.join(d, "server.key")
    if all(os.path.exists(p) for p in (ca, ca_key, crt, key)):
        return ca, crt, key
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
                                  "-subj", "/CN=kubesim-ca",
                                  "-addext", "basicConstraints=critical,CA:TRUE",
                                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _run(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr",
                         "-subj", "/CN=kube-apiserver"], d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,"
                "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n")
    _run(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
          "-CAcreateserial", "-out", "server.crt", "-days", "3650", "-extfile", "server.ext"], d)
    return ca, crt, key


def token(d, name):
    p = os.path.join(d, name)
    if os.path.exists(p):
        with open(p) as f:
            t = f.read().strip()
        if t:
            return t
    t = secrets.token_hex(24)
    with open(p, "w") as f:
        f.write(t + "\n")
    os.chmod(p, 0o600)
    return t
