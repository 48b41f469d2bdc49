"""A kubelet for kubesim: runs each bound Pod's containers as local processes and reports their
life through pods/status the way a real kubelet does (k8s-reference/12-pods: Pending with
ContainerCreating -> Running -> Succeeded/Failed, conditions, containerStatuses, termination
message, logs).

Every container process runs in its own process group (its "container"); when its main process
exits the whole group is killed, kill() sends SIGTERM then SIGKILL after the grace period, and
stop() kills everything, so no process outlives the pod or the server.

evict() is the eviction manager's node-pressure eviction: the pod is failed (reason Evicted,
the kubelet's "The node was low on resource: ..." message, a DisruptionTarget condition with
reason TerminationByKubelet), its containers killed without grace (hard threshold), and the pod
object stays Failed until someone deletes it.

A container without a command (the image's entrypoint is unknown here) is an idle container: it
is Running until the pod is deleted. A pod annotated kubesim.io/simulated: "true" runs nothing:
it is Running at once with podIP from kubesim.io/pod-ip. Probes, resource limits and security
contexts are not enforced; ready means running.

Optional facade extensions used when the core provides them: api.get("nodes", "", name) for
resourceFieldRef defaults, api.service_env() -> dict (e.g. KUBERNETES_SERVICE_HOST/PORT),
api.service_account_token(namespace, serviceAccountName) -> str and api.root_ca() -> str for
the projected kube-api-access volume."""
import datetime
import hashlib
import os
import shutil
import signal
import subprocess
import threading
import time

from . import podenv
from .util import dig

SIMULATED = "kubesim.io/simulated"
POD_IP = "kubesim.io/pod-ip"
DEFAULT_TERMINATION_PATH = "/dev/termination-log"
DISRUPTION_TARGET = "DisruptionTarget"
UNKNOWN_STATUS_MESSAGE = "The container could not be located when the pod was terminated"
MAX_TERMINATION_MESSAGE = 4096
FALLBACK_LOG_LINES = 80
FALLBACK_LOG_BYTES = 2048
BACKOFF_START, BACKOFF_MAX = 10.0, 300.0
LOCAL_IP = "127.0.0.1"
ENV_PASSTHROUGH = ("PATH", "LANG", "LC_ALL", "TZ", "LD_LIBRARY_PATH", "ASAN_OPTIONS",
                   "UBSAN_OPTIONS", "LSAN_OPTIONS")


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _go_duration(sec):
    sec = int(sec)
    if sec < 60:
        return "%ds" % sec
    if sec < 3600:
        return "%dm%ds" % (sec // 60, sec % 60)
    return "%dh%dm%ds" % (sec // 3600, sec % 3600 // 60, sec % 60)


def _image_id(image):
    repo = (image or "").split("@")[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[:len(repo) - len(last)] + last.split(":")[0]
    if "/" not in repo:
        repo = "library/" + repo
    if repo.split("/")[0].find(".") < 0:
        repo = "docker.io/" + repo
    return "%s@sha256:%s" % (repo, hashlib.sha256((image or "").encode()).hexdigest())


def pressure_message(pod, resource="memory"):
    """The eviction manager's message for a pod it evicts under `resource` pressure (the
    v1.28 wording: threshold, what was available, each container's usage and request)."""
    threshold, available = {"memory": ("100Mi", "81920Ki")}.get(resource, ("1Gi", "898240Ki"))
    msg = "The node was low on resource: %s. Threshold quantity: %s, available: %s. " % (
        resource, threshold, available)
    for c in dig(pod, "spec", "containers") or []:
        request = dig(c, "resources", "requests", resource) or "0"
        msg += "Container %s was using %s, request is %s, has larger consumption of %s. " % (
            c.get("name", ""), "1048576Ki", request, resource)
    return msg


def _group_alive(pgid):
    """Whether a live (non-zombie) process of process group pgid exists."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return False
    for e in entries:
        if not e.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % e, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


class _Container:
    def __init__(self, spec, init):
        self.spec = spec
        self.name = spec.get("name", "")
        self.init = init
        self.idle = not spec.get("command")
        self.state = "waiting"
        self.waiting_reason, self.waiting_message = "ContainerCreating", ""
        self.started_at = self.finished_at = None
        self.exit_code, self.reason, self.message = 0, "", ""
        self.restarts = 0
        self.last_terminated = None
        self.proc = None
        self.container_id = ""
        self.log_path = None
        self.term_path = None
        self.backoff = 0.0
        self.restart_at = None

    def terminated(self):
        t = {"exitCode": self.exit_code, "reason": self.reason}
        if self.message:
            t["message"] = self.message
        t.update({"startedAt": self.started_at, "finishedAt": self.finished_at})
        if self.container_id:
            t["containerID"] = self.container_id
        return t

    def status(self):
        spec = self.spec
        st = {"name": self.name}
        if self.state == "running":
            st["state"] = {"running": {"startedAt": self.started_at}}
        elif self.state == "terminated":
            st["state"] = {"terminated": self.terminated()}
        else:
            w = {"reason": self.waiting_reason}
            if self.waiting_message:
                w["message"] = self.waiting_message
            st["state"] = {"waiting": w}
        st["lastState"] = {"terminated": self.last_terminated} if self.last_terminated else {}
        st["ready"] = self.state == "running" and not self.init
        st["restartCount"] = self.restarts
        st["image"] = spec.get("image", "")
        st["imageID"] = _image_id(spec.get("image", ""))
        if self.container_id:
            st["containerID"] = self.container_id
        st["started"] = self.state == "running"
        return st


class _Pod:
    def __init__(self, pod, root):
        md = pod["metadata"]
        self.ns, self.name, self.uid = md.get("namespace", "default"), md["name"], md.get("uid", "")
        self.pod = pod
        self.dir = os.path.join(root, self.ns, "%s_%s" % (self.name, self.uid or "nouid"))
        spec = pod.get("spec") or {}
        self.policy = spec.get("restartPolicy") or "Always"
        self.inits = [_Container(c, True) for c in spec.get("initContainers") or []]
        self.mains = [_Container(c, False) for c in spec.get("containers") or []]
        ann = md.get("annotations") or {}
        self.simulated = ann.get(SIMULATED) == "true"
        self.pod_ip = ann.get(POD_IP) or LOCAL_IP if self.simulated else LOCAL_IP
        self.start_time = None
        self.killing = False
        self.gone = False
        self.blocked = None          # podenv.ConfigError while the containers cannot start
        self.publish_lock = threading.Lock()
        self.transitions = {}        # condition type -> (status, lastTransitionTime)
        self.evicted = None          # the eviction message once the eviction manager chose it


class Kubelet:
    def __init__(self, api, workdir):
        self.api = api
        self.root = os.path.join(os.path.abspath(workdir), "kubelet")
        self.lock = threading.RLock()
        self.pods = {}
        self.stopped = False
        self.exec_map = {}
        for pair in os.environ.get("KUBESIM_EXEC_MAP", "").split(":"):
            if "=" in pair:
                k, v = pair.split("=", 1)
                self.exec_map[k] = v
        self._wake = threading.Event()
        self._retrier = threading.Thread(target=self._retry_loop, daemon=True,
                                         name="kubesim-kubelet-retry")
        self._retrier.start()

    # ------------------------------------------------------------ public interface

    def sync(self, pod):
        """Called on every ADDED/MODIFIED of a bound pod; idempotent."""
        md = pod.get("metadata") or {}
        if self.stopped or md.get("deletionTimestamp") or not dig(pod, "spec", "nodeName"):
            return
        key = (md.get("namespace", "default"), md.get("name"))
        with self.lock:
            ps = self.pods.get(key)
            if ps is not None and ps.uid != md.get("uid", ""):
                old, ps = ps, None
                self.pods.pop(key, None)
                threading.Thread(target=self._kill, args=(old, 0.0), daemon=True).start()
            if ps is not None:
                ps.pod = pod
                refresh = True
            else:
                ps = _Pod(pod, self.root)
                self.pods[key] = ps
                refresh = False
        if refresh:
            self._refresh_volumes(ps)
            return
        if ps.simulated:
            now = _now()
            ps.start_time = now
            for c in ps.inits:
                c.state, c.exit_code, c.reason = "terminated", 0, "Completed"
                c.started_at = c.finished_at = now
                c.container_id = self._cid(ps, c)
            for c in ps.mains:
                c.state, c.started_at = "running", now
                c.container_id = self._cid(ps, c)
            self._publish(ps)
            return
        ps.start_time = _now()
        self._publish(ps)            # Pending, ContainerCreating
        self._advance(ps)

    def kill(self, namespace, name, grace_seconds):
        """SIGTERM to every container of the pod, SIGKILL after grace_seconds; returns when all
        are dead."""
        with self.lock:
            ps = self.pods.get((namespace, name))
        if ps is not None:
            self._kill(ps, grace_seconds)

    def evict(self, namespace, name, message, grace_seconds=0.0):
        """Node-pressure eviction of a pod this kubelet runs: Failed/Evicted with message, its
        containers killed (SIGKILL after grace_seconds: 0 for a hard threshold, as the real
        eviction manager's immediate eviction). Returns when every process is dead; False
        (nothing done) when the pod is not here or already finished or being killed."""
        with self.lock:
            ps = self.pods.get((namespace, name))
            if ps is None or ps.killing or ps.gone or ps.evicted is not None or \
                    self._phase(ps) in ("Succeeded", "Failed"):
                return False
            ps.evicted = message
        event = getattr(self.api, "event", None)
        if callable(event):
            try:
                event(ps.pod, "Warning", "Evicted", message)
            except Exception:
                pass
        self._kill(ps, grace_seconds, forget=False)
        return True

    def logs(self, namespace, name, container=None):
        """The container's output so far ("" before it printed anything), or None when the pod
        or container is unknown or never started."""
        with self.lock:
            ps = self.pods.get((namespace, name))
        if ps is None:
            return None
        cs = ps.inits + ps.mains
        c = next((c for c in cs if c.name == container), None) if container else \
            (ps.mains[0] if ps.mains else None)
        if c is None or (c.log_path is None and c.started_at is None):
            return None
        if c.log_path is None:
            return ""
        try:
            with open(c.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Kills every container of every pod (server shutdown); no status is written after."""
        with self.lock:
            self.stopped = True
            pods = list(self.pods.values())
        self._wake.set()
        for ps in pods:
            ps.killing = True
            for c in ps.inits + ps.mains:
                c.restart_at = None
                self._signal(c, signal.SIGTERM)
        deadline = time.monotonic() + 2.0
        for ps in pods:
            for c in ps.inits + ps.mains:
                self._wait(c, max(0.0, deadline - time.monotonic()))
                self._signal(c, signal.SIGKILL)
                self._wait(c, 5.0)
                self._reap_group(c)

    # ------------------------------------------------------------ lifecycle

    def _cid(self, ps, c):
        return "containerd://" + hashlib.sha256(("%s/%s/%d" % (ps.uid, c.name, c.restarts))
                                                .encode()).hexdigest()

    def _advance(self, ps):
        """Starts whatever may start now: the next init container, or all main containers."""
        if self.stopped or ps.killing or ps.gone:
            return
        for c in ps.inits:
            if c.state == "terminated" and c.exit_code == 0:
                continue
            if c.state in ("running",) or c.restart_at is not None:
                return
            if c.state == "terminated":
                return        # failed init container of a Never pod: the pod is Failed
            self._start(ps, c)
            return
        for c in ps.mains:
            if c.state == "waiting" and c.restart_at is None and c.started_at is None:
                self._start(ps, c)
                if ps.blocked is not None:
                    return

    def _prepare(self, ps, c):
        pod = self._current(ps) or ps.pod
        node = self._get("nodes", "", dig(pod, "spec", "nodeName") or "")
        base = {k: os.environ[k] for k in ENV_PASSTHROUGH if k in os.environ}
        base.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        base["HOSTNAME"] = ps.name
        home = os.path.join(ps.dir, "home")
        os.makedirs(home, exist_ok=True)
        base["HOME"] = home
        service_env = getattr(self.api, "service_env", None)
        if callable(service_env):
            base.update(service_env() or {})
        mounts = self._mount_volumes(ps, pod, node)
        cdir = os.path.join(ps.dir, "containers", c.name)
        os.makedirs(cdir, exist_ok=True)
        c.term_path = os.path.join(cdir, "termination-log")
        with open(c.term_path, "wb"):
            pass
        pairs = []
        for vm in c.spec.get("volumeMounts") or []:
            local = mounts.get(vm.get("name"))
            if local is None:
                continue
            if vm.get("subPath"):
                local = os.path.join(local, vm["subPath"])
            pairs.append((vm.get("mountPath", ""), local))
        pairs.append((c.spec.get("terminationMessagePath") or DEFAULT_TERMINATION_PATH,
                      c.term_path))
        remap = podenv.remapper(pairs)
        env = podenv.resolve_env(self.api, pod, c.spec, base, node, ps.pod_ip)
        # Only what the pod spec sets lives in the container's filesystem: the kubelet's own
        # PATH etc. are host paths, even under a mount path (a clone under /tmp, an emptyDir at /tmp).
        env = {k: v if base.get(k) == v else remap(v) for k, v in env.items()}
        env["TERMINATION_PATH"] = c.term_path
        argv = [podenv.expand(a, env) for a in (c.spec.get("command") or []) +
                (c.spec.get("args") or [])]
        argv = [remap(a) for a in argv]
        if argv:
            argv[0] = self._executable(argv[0], env.get("PATH", ""))
        wd = c.spec.get("workingDir")
        cwd = remap(wd) if wd else cdir
        if not os.path.isdir(cwd):
            cwd = cdir
        return argv, env, cwd

    def _executable(self, cmd, path):
        if cmd in self.exec_map:
            return self.exec_map[cmd]
        if os.path.isabs(cmd) and not os.path.exists(cmd):
            # an image path that does not exist here: use the same program from PATH
            found = shutil.which(os.path.basename(cmd), path=path)
            if found:
                return found
        return cmd

    def _start(self, ps, c):
        try:
            argv, env, cwd = self._prepare(ps, c)
        except podenv.ConfigError as e:
            ps.blocked = e
            c.waiting_reason, c.waiting_message = e.reason, \
                e.message if e.reason != "ContainerCreating" else ""
            self._publish(ps)
            self._wake.set()
            return
        ps.blocked = None
        c.container_id = self._cid(ps, c)
        c.started_at = _now()
        c.message, c.reason, c.exit_code = "", "", 0
        if c.idle:
            c.state = "running"
            self._publish(ps)
            return
        logdir = os.path.join(ps.dir, "logs")
        os.makedirs(logdir, exist_ok=True)
        c.log_path = os.path.join(logdir, "%s-%d.log" % (c.name, c.restarts))
        try:
            with open(c.log_path, "ab") as log:
                c.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True, close_fds=True)
        except OSError as e:
            c.proc = None
            c.state = "terminated"
            c.finished_at = _now()
            c.exit_code, c.reason = 128, "StartError"
            c.message = ("failed to create containerd task: failed to create shim task: OCI "
                         "runtime create failed: runc create failed: unable to start container "
                         "process: exec: \"%s\": %s: unknown"
                         % (argv[0] if argv else "", "executable file not found in $PATH"
                            if isinstance(e, FileNotFoundError) else e.strerror))
            self._after_exit(ps, c)
            return
        c.state = "running"
        if self.stopped:
            self._signal(c, signal.SIGKILL)
        self._publish(ps)
        threading.Thread(target=self._watch, args=(ps, c, c.proc), daemon=True,
                         name="kubesim-container-%s-%s" % (ps.name, c.name)).start()

    def _watch(self, ps, c, proc):
        rc = proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)   # the container dies with its main process
        except OSError:
            pass
        if c.proc is not proc:
            return
        c.finished_at = _now()
        c.exit_code = rc if rc >= 0 else 128 - rc
        c.reason = "Completed" if c.exit_code == 0 else "Error"
        c.message = self._termination_message(c)
        c.state = "terminated"
        self._after_exit(ps, c)

    def _termination_message(self, c):
        data = b""
        try:
            with open(c.term_path, "rb") as f:
                data = f.read(MAX_TERMINATION_MESSAGE)
        except OSError:
            pass
        if not data and c.exit_code != 0 and \
                c.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError":
            try:
                with open(c.log_path, "rb") as f:
                    lines = f.read().splitlines(keepends=True)
                data = b"".join(lines[-FALLBACK_LOG_LINES:])[-FALLBACK_LOG_BYTES:]
            except (OSError, TypeError):
                data = b""
        return data.decode("utf-8", "replace")

    def _after_exit(self, ps, c):
        restart = not (ps.killing or self.stopped or ps.gone) and (
            ps.policy == "Always" or (ps.policy == "OnFailure" and c.exit_code != 0))
        if c.init and c.exit_code == 0:
            restart = False
        if restart:
            # the first restart is immediate; later ones wait 10s, 20s, ... 5m in
            # CrashLoopBackOff, like the kubelet's per-container back-off
            delay = c.backoff
            if c.backoff == 0:
                c.backoff = BACKOFF_START
            else:
                c.last_terminated = c.terminated()
                c.state = "waiting"
                c.waiting_reason = "CrashLoopBackOff"
                c.waiting_message = "back-off %s restarting failed container=%s pod=%s_%s(%s)" % (
                    _go_duration(c.backoff), c.name, ps.name, ps.ns, ps.uid)
                c.backoff = min(c.backoff * 2, BACKOFF_MAX)
            c.restart_at = time.monotonic() + delay
            self._wake.set()
        self._publish(ps)
        if c.init and c.exit_code == 0:
            self._advance(ps)

    def _retry_loop(self):
        while not self.stopped:
            self._wake.wait(1.0)
            self._wake.clear()
            if self.stopped:
                return
            with self.lock:
                pods = list(self.pods.values())
            now = time.monotonic()
            for ps in pods:
                if ps.killing or ps.gone:
                    continue
                for c in ps.inits + ps.mains:
                    if c.restart_at is not None and c.restart_at <= now:
                        c.restart_at = None
                        if c.state == "terminated":
                            c.last_terminated = c.terminated()
                        c.restarts += 1
                        c.waiting_reason, c.waiting_message = "ContainerCreating", ""
                        self._start(ps, c)
                if ps.blocked is not None:
                    ps.blocked = None
                    self._advance(ps)

    def _kill(self, ps, grace, forget=True):
        ps.killing = True
        cs = ps.inits + ps.mains
        # an eviction without grace kills outright (exit code 137 whatever the process does
        # on SIGTERM); a deletion always asks first
        first = signal.SIGKILL if ps.evicted is not None and grace <= 0 else signal.SIGTERM
        for c in cs:
            c.restart_at = None
            self._signal(c, first)
        deadline = time.monotonic() + max(0.0, float(grace))
        for c in cs:
            self._wait(c, max(0.0, deadline - time.monotonic()))
            self._signal(c, signal.SIGKILL)
            self._wait(c, 10.0)
            self._reap_group(c)
        now = _now()
        for c in cs:
            if c.state == "running" and c.proc is None:     # idle or simulated container
                c.state, c.finished_at = "terminated", now
                # killed by the eviction: SIGKILL's 137; a deleted pod's idle container stops
                c.exit_code, c.reason = (137, "Error") if ps.evicted is not None else \
                    (0, "Completed")
            elif c.state == "waiting" and ps.evicted is not None and not c.init:
                # what the real kubelet reports for a container it never saw end
                c.state, c.finished_at, c.exit_code = "terminated", now, 137
                c.reason, c.message = "ContainerStatusUnknown", UNKNOWN_STATUS_MESSAGE
        if not self.stopped:
            self._publish(ps)
        if not forget:
            return        # an evicted pod stays known (its status and logs) until deleted
        ps.gone = True
        with self.lock:
            if self.pods.get((ps.ns, ps.name)) is ps:
                del self.pods[(ps.ns, ps.name)]

    @staticmethod
    def _reap_group(c, timeout=5.0):
        """SIGKILLs what is left of the container's process group and waits until every member
        is gone (a container is dead when all its processes are)."""
        p = c.proc
        if p is None:
            return
        end = time.monotonic() + timeout
        while True:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                return
            if not _group_alive(p.pid) or time.monotonic() > end:
                return
            time.sleep(0.01)

    @staticmethod
    def _signal(c, sig):
        p = c.proc
        if p is None or p.returncode is not None:
            return
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass

    @staticmethod
    def _wait(c, timeout):
        p = c.proc
        if p is None:
            return
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass

    # ------------------------------------------------------------ volumes

    def _extras(self, pod):
        out = {}
        token = getattr(self.api, "service_account_token", None)
        if callable(token):
            out["token"] = token(dig(pod, "metadata", "namespace") or "default",
                                 dig(pod, "spec", "serviceAccountName") or "default") or ""
        ca = getattr(self.api, "root_ca", None)
        if callable(ca):
            out["ca.crt"] = ca() or ""
        return out

    def _mount_volumes(self, ps, pod, node):
        out = {}
        extras = self._extras(pod)
        for vol in dig(pod, "spec", "volumes") or []:
            name = vol.get("name", "")
            if "hostPath" in vol:
                out[name] = (vol["hostPath"] or {}).get("path", "")
                continue
            local = os.path.join(ps.dir, "volumes", name)
            files = podenv.volume_files(self.api, pod, vol, node, extras)
            if files is None:
                os.makedirs(local, exist_ok=True)
            else:
                podenv.materialise(local, files)
            out[name] = local
        return out

    def _refresh_volumes(self, ps):
        """downwardAPI content follows the pod (labels/annotations) like a real kubelet's."""
        pod = ps.pod
        for vol in dig(pod, "spec", "volumes") or []:
            if "downwardAPI" not in vol and "projected" not in vol:
                continue
            local = os.path.join(ps.dir, "volumes", vol.get("name", ""))
            if not os.path.isdir(local):
                continue
            try:
                files = podenv.volume_files(self.api, pod, vol, None, self._extras(pod))
            except podenv.ConfigError:
                continue
            podenv.materialise(local, files or {})

    # ------------------------------------------------------------ status

    def _get(self, plural, ns, name):
        try:
            return self.api.get(plural, ns, name)
        except Exception:
            return None

    def _current(self, ps):
        cur = self._get("pods", ps.ns, ps.name)
        if cur is None or (ps.uid and dig(cur, "metadata", "uid") != ps.uid):
            return None
        return cur

    def _phase(self, ps):
        mains = ps.mains
        if ps.evicted is not None:
            return "Failed"
        if ps.simulated:
            return "Running"
        for c in ps.inits:
            if c.state == "terminated" and c.exit_code != 0 and ps.policy == "Never":
                return "Failed"
            if not (c.state == "terminated" and c.exit_code == 0):
                return "Pending"
        if any(c.state == "running" or c.restart_at is not None for c in mains):
            return "Running"
        if all(c.state == "terminated" for c in mains) and mains:
            return "Succeeded" if all(c.exit_code == 0 for c in mains) else "Failed"
        if any(c.restarts > 0 or c.last_terminated for c in mains):
            return "Running"
        return "Pending"

    def _condition(self, ps, ctype, status, now, reason="", message=""):
        prev = ps.transitions.get(ctype)
        if prev is None or prev[0] != status:
            ps.transitions[ctype] = (status, now)
        c = {"type": ctype, "status": status, "lastProbeTime": None,
             "lastTransitionTime": ps.transitions[ctype][1]}
        if reason:
            c["reason"] = reason
        if message:
            c["message"] = message
        return c

    def _status(self, ps, cur):
        now = _now()
        phase = self._phase(ps)
        old = cur.get("status") or {}
        conds = []
        inits_done = all(c.state == "terminated" and c.exit_code == 0 for c in ps.inits)
        if inits_done:
            conds.append(self._condition(ps, "Initialized", "True", now,
                                         "PodCompleted" if phase == "Succeeded" else ""))
        else:
            pending = [c.name for c in ps.inits
                       if not (c.state == "terminated" and c.exit_code == 0)]
            conds.append(self._condition(ps, "Initialized", "False", now,
                                         "ContainersNotInitialized",
                                         "containers with incomplete status: [%s]"
                                         % " ".join(pending)))
        if phase in ("Succeeded", "Failed"):
            reason = "PodCompleted" if phase == "Succeeded" else "PodFailed"
            ready = [("False", reason, "")] * 2
        else:
            unready = [c.name for c in ps.mains if c.state != "running"]
            if not inits_done:
                r = ("False", "ContainersNotInitialized",
                     "containers with incomplete status: [%s]" % " ".join(
                         c.name for c in ps.inits
                         if not (c.state == "terminated" and c.exit_code == 0)))
                ready = [("False", "ContainersNotReady", "containers with unready status: [%s]"
                          % " ".join(unready)), r]
            elif unready:
                m = "containers with unready status: [%s]" % " ".join(unready)
                ready = [("False", "ContainersNotReady", m)] * 2
            else:
                ready = [("True", "", "")] * 2
        conds.append(self._condition(ps, "ContainersReady", ready[0][0], now, ready[0][1],
                                     ready[0][2]))
        conds.append(self._condition(ps, "Ready", ready[1][0], now, ready[1][1], ready[1][2]))
        sched = [c for c in old.get("conditions") or [] if c.get("type") == "PodScheduled"]
        conds.extend(sched)
        own = ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        if ps.evicted is not None:
            # the eviction manager's condition comes first, as the real kubelet lists it
            conds.insert(0, self._condition(ps, DISRUPTION_TARGET, "True", now,
                                            "TerminationByKubelet", ps.evicted))
            own += (DISRUPTION_TARGET,)
        conds.extend(c for c in old.get("conditions") or [] if c.get("type") not in own)
        st = {"phase": phase, "conditions": conds}
        for k in ("message", "reason", "nominatedNodeName"):
            if k in old:
                st[k] = old[k]
        if ps.evicted is not None:
            st["message"], st["reason"] = ps.evicted, "Evicted"
        st["hostIP"] = LOCAL_IP
        started = any(c.started_at or c.last_terminated for c in ps.inits + ps.mains)
        if started or ps.simulated:
            st["podIP"] = ps.pod_ip
            st["podIPs"] = [{"ip": ps.pod_ip}]
        st["startTime"] = ps.start_time
        if ps.inits:
            st["initContainerStatuses"] = [c.status() for c in ps.inits]
        st["containerStatuses"] = [c.status() for c in ps.mains]
        if "qosClass" in old:
            st["qosClass"] = old["qosClass"]
        return st

    def _publish(self, ps):
        if self.stopped:
            return
        with ps.publish_lock:
            cur = self._current(ps)
            if cur is None:
                return
            status = self._status(ps, cur)
            try:
                self.api.update_pod_status(ps.ns, ps.name, status)
            except Exception:
                pass
