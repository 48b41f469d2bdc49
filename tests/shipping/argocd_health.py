#!/usr/bin/env python3
"""Runs the Argo CD health checks (config/argocd/health/<group>/<Kind>/health.lua) under
lua5.1, the dialect Argo CD embeds, against every testdata object of health_test.yaml, and
asserts the status and message it expects. The argocd-cm patch must carry the same Lua.

  argocd_health.py YAML2JSON check        run every test (exit 1 on any mismatch)
  argocd_health.py YAML2JSON write-cm     regenerate config/argocd/argocd-cm-patch.yaml
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
HEALTH = os.path.join(ROOT, "config/argocd/health")
CM = os.path.join(ROOT, "config/argocd/argocd-cm-patch.yaml")
LUA = os.environ.get("LUA", "lua5.1")

# Argo CD runs health scripts with only the base, table, string and math libraries; the
# harness gives the script exactly those (plus obj) so a stray io/os call fails here too.
RUNNER = r"""
local path, data = arg[1], arg[2]
local chunk = assert(loadfile(data))
local obj = chunk()
local f = assert(loadfile(path))
local env = {obj = obj, ipairs = ipairs, pairs = pairs, tostring = tostring, tonumber = tonumber,
             type = type, next = next, select = select, error = error, pcall = pcall,
             string = string, table = table, math = math}
setfenv(f, env)
local hs = f()
assert(type(hs) == "table", "health.lua must return a table")
io.write(tostring(hs.status), "\n", tostring(hs.message))
"""


def y2j(tool, path):
    out = subprocess.run([tool, path], capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"{path}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def lua_literal(v):
    """A JSON value as a Lua 5.1 expression (null -> nil, so absent keys stay absent)."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + "".join(c if c.isprintable() and c not in '"\\' and ord(c) < 128 else
                             "".join(f"\\{b}" for b in c.encode()) for c in v) + '"'
    if isinstance(v, list):
        return "{" + ", ".join(lua_literal(x) for x in v) + "}"
    return "{" + ", ".join(f"[{lua_literal(k)}] = {lua_literal(x)}" for k, x in v.items() if x is not None) + "}"


def kinds():
    return sorted(glob.glob(os.path.join(HEALTH, "*", "*", "health.lua")))


def cm_key(health_lua):
    kind_dir = os.path.dirname(health_lua)
    return f"resource.customizations.health.{os.path.basename(os.path.dirname(kind_dir))}_{os.path.basename(kind_dir)}"


def write_cm():
    lines = ["# Argo CD health checks for valkeybench.io kinds, as an argocd-cm patch:",
             "#   kubectl -n argocd patch configmap argocd-cm --patch-file config/argocd/argocd-cm-patch.yaml",
             "# Generated from health/valkeybench.io/<Kind>/health.lua by",
             "# tests/shipping/argocd_health.py write-cm; a test keeps them identical.",
             "apiVersion: v1", "kind: ConfigMap", "metadata:", "  name: argocd-cm", "  namespace: argocd",
             "  labels:", "    app.kubernetes.io/name: argocd-cm", "    app.kubernetes.io/part-of: argocd", "data:"]
    for h in kinds():
        lines.append(f"  {cm_key(h)}: |")
        for ln in open(h).read().splitlines():
            lines.append(("    " + ln) if ln else "")
    open(CM, "w").write("\n".join(lines) + "\n")


def run(tool, lua_file, obj, tmp):
    data = os.path.join(tmp, "obj.lua")
    with open(data, "w") as f:
        f.write("return " + lua_literal(obj) + "\n")
    runner = os.path.join(tmp, "runner.lua")
    if not os.path.exists(runner):
        with open(runner, "w") as f:
            f.write(RUNNER)
    out = subprocess.run([LUA, runner, lua_file, data], capture_output=True, text=True)
    if out.returncode:
        return None, out.stderr.strip().splitlines()[0]
    status, _, message = out.stdout.partition("\n")
    return status, message


def check(tool):
    failures, count = [], 0
    cm = y2j(tool, CM)[0]["data"]
    with tempfile.TemporaryDirectory() as tmp:
        for h in kinds():
            kind_dir = os.path.dirname(h)
            rel = os.path.relpath(kind_dir, ROOT)
            src = open(h).read()
            if cm.get(cm_key(h)) != src:
                failures.append(f"{rel}: argocd-cm-patch.yaml's {cm_key(h)} differs from health.lua "
                                f"(run: tests/shipping/argocd_health.py YAML2JSON write-cm)")
            cm_lua = os.path.join(tmp, "cm.lua")
            with open(cm_lua, "w") as f:
                f.write(cm.get(cm_key(h), ""))
            tests = y2j(tool, os.path.join(kind_dir, "health_test.yaml"))[0]["tests"]
            used, statuses = set(), set()
            for t in tests:
                path = os.path.join(kind_dir, t["inputPath"])
                used.add(os.path.abspath(path))
                obj = y2j(tool, path)[0]
                want = (t["healthStatus"]["status"], t["healthStatus"].get("message", ""))
                statuses.add(want[0])
                for label, lua in (("health.lua", h), ("argocd-cm", cm_lua)):
                    got = run(tool, lua, obj, tmp)
                    count += 1
                    ok = got == want
                    print(f"{'ok  ' if ok else 'FAIL'} {rel}/{t['inputPath']} [{label}]: {got[0]}: {got[1]}")
                    if not ok:
                        failures.append(f"{rel}/{t['inputPath']} [{label}]: want {want}, got {got}")
            for f in glob.glob(os.path.join(kind_dir, "testdata", "*.yaml")):
                if os.path.abspath(f) not in used:
                    failures.append(f"{os.path.relpath(f, ROOT)}: not referenced by health_test.yaml")
            for s in ("Progressing", "Healthy", "Degraded"):
                if s not in statuses:
                    failures.append(f"{rel}: no test expects {s}")
    if not kinds():
        failures.append("no health.lua found")
    for f in failures:
        print("FAIL", f)
    print(f"argocd health: {count} runs, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in ("check", "write-cm"):
        sys.exit(__doc__)
    if sys.argv[2] == "write-cm":
        write_cm()
        sys.exit(0)
    sys.exit(check(sys.argv[1]))
