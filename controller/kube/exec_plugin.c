/* Exec credential plugins (client.authentication.k8s.io v1beta1 / v1), e.g. `aws eks get-token`:
 * run the command with its args and env plus KUBERNETES_EXEC_INFO, read an ExecCredential
 * from stdout, keep stderr for the error message. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube/kube_internal.h"

extern char **environ;

#define STDOUT_MAX (4u << 20)
#define STDERR_KEEP 4096

int kube_exec_parse_credential(const char *json, size_t len, const char *want_api_version, char **token,
                               time_t *expiry, char *err, size_t errlen) {
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    *token = NULL;
    *expiry = 0;
    if (!root || !json_is_object(root)) {
        snprintf(err, errlen, "output is not an ExecCredential JSON object%s%s", root ? "" : ": ",
                 root ? "" : je.text);
        json_decref(root);
        return -1;
    }
    const char *kind = json_string_value(json_object_get(root, "kind"));
    const char *api = json_string_value(json_object_get(root, "apiVersion"));
    json_t *status = json_object_get(root, "status");
    const char *tok = json_string_value(json_object_get(status, "token"));
    const char *exp = json_string_value(json_object_get(status, "expirationTimestamp"));
    int rc = -1;
    if (!kind || strcmp(kind, "ExecCredential")) {
        snprintf(err, errlen, "output has kind \"%s\", want ExecCredential", kind ? kind : "");
    } else if (want_api_version && (!api || strcmp(api, want_api_version))) {
        snprintf(err, errlen, "output has apiVersion \"%s\" but the kubeconfig asks for %s", api ? api : "",
                 want_api_version);
    } else if (!tok || !*tok) {
        if (json_object_get(status, "clientCertificateData"))
            snprintf(err, errlen, "returned a client certificate; only status.token credentials are supported");
        else
            snprintf(err, errlen, "output has no status.token");
    } else if (exp && *exp && kube_parse_rfc3339(exp, expiry)) {
        snprintf(err, errlen, "status.expirationTimestamp \"%.64s\" is not RFC 3339", exp);
    } else {
        *token = strdup(tok);
        rc = 0;
    }
    json_decref(root);
    return rc;
}

static char **build_env(const kube_exec_config *exec, const char *info) {
    size_t nenv = 0, nx = 0;
    while (environ && environ[nenv]) nenv++;
    while (exec->env && exec->env[nx]) nx++;
    char **envp = calloc(nenv + nx + 2, sizeof *envp);
    size_t n = 0;
    for (size_t i = 0; i < nenv; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool overridden = klen == strlen("KUBERNETES_EXEC_INFO") && !strncmp(environ[i], "KUBERNETES_EXEC_INFO", klen);
        for (size_t j = 0; j < nx && !overridden; j++)
            overridden = !strncmp(exec->env[j], environ[i], klen) && exec->env[j][klen] == '=';
        if (!overridden) envp[n++] = strdup(environ[i]);
    }
    for (size_t j = 0; j < nx; j++) envp[n++] = strdup(exec->env[j]);
    if (asprintf(&envp[n], "KUBERNETES_EXEC_INFO=%s", info) >= 0) n++;
    envp[n] = NULL;
    return envp;
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

typedef struct {
    char *buf;
    size_t len, cap, max;
} outbuf;

/* Appends what is readable on fd; returns 0 at EOF, 1 if more may come. */
static int drain(int fd, outbuf *o) {
    char tmp[4096];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (r == 0) return 0;
    size_t take = (size_t)r;
    if (o->len + take > o->max) take = o->max - o->len;
    if (o->len + take + 1 > o->cap) {
        o->cap = (o->len + take + 1) * 2;
        o->buf = realloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->len, tmp, take);
    o->len += take;
    o->buf[o->len] = '\0';
    return 1;
}

/* Runs the child, collecting stdout/stderr until both close or the timeout expires.
 * Returns the wait status, or -1 (spawn error, errno set) / -2 (timeout). */
static int run_child(const kube_exec_config *exec, char **envp, long timeout_ms, outbuf *out, outbuf *errb) {
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC)) return -1;
    if (pipe2(pe, O_CLOEXEC)) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    size_t nargs = 0;
    while (exec->args && exec->args[nargs]) nargs++;
    char **argv = calloc(nargs + 2, sizeof *argv);
    argv[0] = exec->command;
    for (size_t i = 0; i < nargs; i++) argv[i + 1] = exec->args[i];
    pid_t pid;
    int se = posix_spawnp(&pid, exec->command, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    free(argv);
    close(po[1]);
    close(pe[1]);
    if (se) {
        close(po[0]);
        close(pe[0]);
        errno = se;
        return -1;
    }
    long deadline = now_ms() + timeout_ms;
    struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
    outbuf *bufs[2] = {out, errb};
    int open_fds = 2, timed_out = 0;
    while (open_fds > 0) {
        long left = deadline - now_ms();
        if (left <= 0) { timed_out = 1; break; }
        int r = poll(fds, 2, (int)(left > 1000 ? 1000 : left));
        if (r < 0 && errno != EINTR) break;
        for (int i = 0; i < 2 && r > 0; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            if (!drain(fds[i].fd, bufs[i])) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return timed_out ? -2 : status;
}

int kube_exec_run(const kube_exec_config *exec, const char *cluster_server, long timeout_ms, char **token,
                  time_t *expiry, char *err, size_t errlen) {
    (void)cluster_server; /* provideClusterInfo is not supported; the plugin gets spec.interactive only */
    char info[256];
    snprintf(info, sizeof info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"spec\":{\"interactive\":false}}",
             exec->api_version);
    char **envp = build_env(exec, info);
    outbuf out = {.max = STDOUT_MAX}, errb = {.max = STDERR_KEEP};
    int st = run_child(exec, envp, timeout_ms, &out, &errb);
    int saved = errno;
    for (size_t i = 0; envp[i]; i++) free(envp[i]);
    free(envp);
    char stderr_line[1024] = "";
    if (errb.buf) kube_one_line(stderr_line, sizeof stderr_line, errb.buf);
    int rc = -1;
    /* 127 with nothing on stdout is a shell's "command not found", and also how a failed exec
     * shows up where posix_spawn cannot report it (qemu-user runs the vfork-style clone as a
     * plain fork, so the child's exec error only becomes its exit status). */
    int not_run = st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127 && out.len == 0;
    if (st == -1 || not_run) {
        if (not_run)
            snprintf(err, errlen, "exec plugin \"%s\": cannot run: exit status 127 (command not found or not "
                     "executable)%s%s", exec->command, *stderr_line ? ": " : "", stderr_line);
        else
            snprintf(err, errlen, "exec plugin \"%s\": cannot run: %s", exec->command, strerror(saved));
        if (exec->install_hint) {
            char hint[512];
            kube_one_line(hint, sizeof hint, exec->install_hint);
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (%s)", hint);
        }
    } else if (st == -2) {
        snprintf(err, errlen, "exec plugin \"%s\" timed out after %ld ms%s%s", exec->command, timeout_ms,
                 *stderr_line ? ": " : "", stderr_line);
    } else if (WIFSIGNALED(st)) {
        snprintf(err, errlen, "exec plugin \"%s\" killed by signal %d%s%s", exec->command, WTERMSIG(st),
                 *stderr_line ? ": " : "", stderr_line);
    } else if (WEXITSTATUS(st) != 0) {
        snprintf(err, errlen, "exec plugin \"%s\" failed (exit status %d)%s%s", exec->command, WEXITSTATUS(st),
                 *stderr_line ? ": " : "", stderr_line);
    } else {
        char e2[512];
        if (kube_exec_parse_credential(out.buf ? out.buf : "", out.len, exec->api_version, token, expiry, e2,
                                       sizeof e2))
            snprintf(err, errlen, "exec plugin \"%s\": %s", exec->command, e2);
        else
            rc = 0;
    }
    free(out.buf);
    free(errb.buf);
    if (rc) kube_err_sanitize(err);
    return rc;
}
