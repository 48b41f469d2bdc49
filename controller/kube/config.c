/* kube/config: where the API server is (kubeconfig or in-cluster) and the bearer token. */
#include "kube/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube_internal.h"

#define SA_DIR_DEFAULT "/var/run/secrets/kubernetes.io/serviceaccount"
#define MEMFD_PREFIX "/proc/self/fd/"
/* An exec token is renewed this long before its expirationTimestamp, so that a request
 * does not leave with a token that expires on its way. */
#define EXEC_EXPIRY_SKEW_S 10

struct kube_token_cache {
    pthread_mutex_t lock;
    atomic_int refs;
    /* token file: contents and the stat that produced them */
    char *file_token;
    struct stat file_st;
    bool file_valid;
    /* exec plugin */
    char *exec_token;
    time_t exec_expiry; /* 0: no expiry given, valid until a 401 */
    long exec_timeout_ms;
};

static struct kube_token_cache *cache_new(void) {
    struct kube_token_cache *tc = calloc(1, sizeof *tc);
    pthread_mutex_init(&tc->lock, NULL);
    atomic_init(&tc->refs, 1);
    tc->exec_timeout_ms = 60000;
    return tc;
}

static void cache_unref(struct kube_token_cache *tc) {
    if (!tc || atomic_fetch_sub(&tc->refs, 1) != 1) return;
    pthread_mutex_destroy(&tc->lock);
    free(tc->file_token);
    free(tc->exec_token);
    free(tc);
}

static void free_strv(char **v) {
    for (size_t i = 0; v && v[i]; i++) free(v[i]);
    free(v);
}

static char **dup_strv(char *const *v) {
    size_t n = 0;
    while (v && v[n]) n++;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = strdup(v[i]);
    return out;
}

static void exec_free(kube_exec_config *e) {
    if (!e) return;
    free(e->api_version);
    free(e->command);
    free_strv(e->args);
    free_strv(e->env);
    free(e->install_hint);
    free(e);
}

void kube_config_free(kube_config *cfg) {
    if (!cfg) return;
    for (size_t i = 0; cfg->temp_files && cfg->temp_files[i]; i++) {
        const char *t = cfg->temp_files[i];
        if (!strncmp(t, MEMFD_PREFIX, strlen(MEMFD_PREFIX)))
            close(atoi(t + strlen(MEMFD_PREFIX)));
        else
            unlink(t);
    }
    free_strv(cfg->temp_files);
    free(cfg->server);
    free(cfg->namespace_);
    free(cfg->context_name);
    free(cfg->ca_file);
    free(cfg->client_cert_file);
    free(cfg->client_key_file);
    free(cfg->tls_server_name);
    free(cfg->token);
    free(cfg->token_file);
    exec_free(cfg->exec);
    free(cfg->username);
    free(cfg->password);
    cache_unref(cfg->token_cache);
    free(cfg);
}

kube_config *kube_config_dup(const kube_config *src) {
    kube_config *c = calloc(1, sizeof *c);
    c->server = kube_strdup0(src->server);
    c->namespace_ = kube_strdup0(src->namespace_);
    c->context_name = kube_strdup0(src->context_name);
    c->ca_file = kube_strdup0(src->ca_file);
    c->insecure_skip_tls_verify = src->insecure_skip_tls_verify;
    c->client_cert_file = kube_strdup0(src->client_cert_file);
    c->client_key_file = kube_strdup0(src->client_key_file);
    c->tls_server_name = kube_strdup0(src->tls_server_name);
    c->token = kube_strdup0(src->token);
    c->token_file = kube_strdup0(src->token_file);
    if (src->exec) {
        c->exec = calloc(1, sizeof *c->exec);
        c->exec->api_version = kube_strdup0(src->exec->api_version);
        c->exec->command = kube_strdup0(src->exec->command);
        c->exec->args = dup_strv(src->exec->args);
        c->exec->env = dup_strv(src->exec->env);
        c->exec->install_hint = kube_strdup0(src->exec->install_hint);
    }
    c->username = kube_strdup0(src->username);
    c->password = kube_strdup0(src->password);
    c->in_cluster = src->in_cluster;
    c->token_cache = src->token_cache;
    atomic_fetch_add(&c->token_cache->refs, 1);
    return c;
}

void kube_config_set_exec_timeout_ms(kube_config *cfg, long ms) {
    pthread_mutex_lock(&cfg->token_cache->lock);
    cfg->token_cache->exec_timeout_ms = ms;
    pthread_mutex_unlock(&cfg->token_cache->lock);
}

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static void record_temp(kube_config *cfg, char *path) {
    size_t n = 0;
    while (cfg->temp_files && cfg->temp_files[n]) n++;
    cfg->temp_files = realloc(cfg->temp_files, (n + 2) * sizeof *cfg->temp_files);
    cfg->temp_files[n] = path;
    cfg->temp_files[n + 1] = NULL;
}

/* An anonymous in-memory file (memfd), reachable as /proc/self/fd/N: nothing is left on disk
 * when the process is killed, and key material never touches a shared directory. Falls back
 * to a 0600 file in $TMPDIR where memfd is unavailable. */
const char *kube_config_add_temp_file(kube_config *cfg, const void *data, size_t len, const char *what, char *err,
                                      size_t errlen) {
    char *path = NULL;
    int fd = memfd_create("vb-kube", MFD_CLOEXEC);
    if (fd >= 0) {
        if (write_all(fd, data, len) == 0 && asprintf(&path, MEMFD_PREFIX "%d", fd) >= 0 &&
            access(path, R_OK) == 0) {
            record_temp(cfg, path);
            return path;
        }
        free(path);
        close(fd);
    }
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir) tmpdir = "/tmp";
    if (asprintf(&path, "%s/vb-kube-XXXXXX", tmpdir) < 0) return NULL;
    fd = mkostemp(path, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot create a temporary file in %s: %s", what, tmpdir, strerror(errno));
        free(path);
        return NULL;
    }
    if (write_all(fd, data, len) != 0) {
        snprintf(err, errlen, "%s: cannot write %s: %s", what, path, strerror(errno));
        close(fd);
        unlink(path);
        free(path);
        return NULL;
    }
    close(fd);
    record_temp(cfg, path);
    return path;
}

/* ---- in-cluster ---- */

static int load_in_cluster(kube_config *cfg, char *err, size_t errlen) {
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
        snprintf(err, errlen, "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must "
                              "be set (or give --kubeconfig)");
        return -1;
    }
    const char *dir = getenv("VB_KUBE_SERVICEACCOUNT_DIR");
    if (!dir || !*dir) dir = SA_DIR_DEFAULT;
    bool v6 = strchr(host, ':') != NULL;
    if (asprintf(&cfg->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) < 0 ||
        asprintf(&cfg->token_file, "%s/token", dir) < 0 || asprintf(&cfg->ca_file, "%s/ca.crt", dir) < 0)
        return -1;
    cfg->in_cluster = true;
    char e2[512];
    char *t = kube_read_regular_file(cfg->token_file, "in-cluster service-account token", NULL, e2, sizeof e2);
    if (!t) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    free(t);
    char *ca = kube_read_regular_file(cfg->ca_file, "in-cluster CA", NULL, e2, sizeof e2);
    if (!ca) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    free(ca);
    char *nspath, *ns = NULL;
    if (asprintf(&nspath, "%s/namespace", dir) >= 0) {
        ns = kube_read_regular_file(nspath, "namespace", NULL, e2, sizeof e2);
        free(nspath);
    }
    if (ns) {
        char *end = ns + strlen(ns);
        while (end > ns && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r')) *--end = '\0';
    }
    cfg->namespace_ = ns && *ns ? ns : (free(ns), strdup("default"));
    return 0;
}

/* ---- kubeconfig lookup order ---- */

static int load_kubeconfig_env(const char *list, const char *context, kube_config *cfg, char *err, size_t errlen) {
    char *copy = strdup(list), *save = NULL;
    const char **paths = calloc(strlen(list) / 2 + 2, sizeof *paths);
    size_t n = 0;
    for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
        bool dup = false;
        for (size_t i = 0; i < n; i++) dup = dup || !strcmp(paths[i], tok);
        if (!dup) paths[n++] = tok;
    }
    int rc = kube_kubeconfig_load_files(paths, n, true, context, cfg, err, errlen);
    if (rc && n == 0) snprintf(err, errlen, "KUBECONFIG is set but names no file");
    free(paths);
    free(copy);
    return rc;
}

static char *home_kubeconfig(void) {
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    char *p;
    if (!home || asprintf(&p, "%s/.kube/config", home) < 0) return NULL;
    return p;
}

int kube_config_load(const kube_config_opts *opts, kube_config **out, char *err, size_t errlen) {
    static const kube_config_opts none = {0};
    if (!opts) opts = &none;
    kube_config *cfg = calloc(1, sizeof *cfg);
    cfg->token_cache = cache_new();
    int rc;
    const char *env = getenv("KUBECONFIG");
    char *home = NULL;
    if (opts->in_cluster_only) {
        rc = load_in_cluster(cfg, err, errlen);
    } else if (opts->kubeconfig_path && *opts->kubeconfig_path) {
        const char *p = opts->kubeconfig_path;
        rc = kube_kubeconfig_load_files(&p, 1, false, opts->context, cfg, err, errlen);
    } else if (env && *env) {
        rc = load_kubeconfig_env(env, opts->context, cfg, err, errlen);
    } else if ((home = home_kubeconfig()) && access(home, F_OK) == 0) {
        const char *p = home;
        rc = kube_kubeconfig_load_files(&p, 1, false, opts->context, cfg, err, errlen);
    } else {
        rc = load_in_cluster(cfg, err, errlen);
        if (rc && !getenv("KUBERNETES_SERVICE_HOST"))
            snprintf(err, errlen, "no kubeconfig (--kubeconfig, $KUBECONFIG, %s) and not running in a cluster "
                                  "(KUBERNETES_SERVICE_HOST is unset)",
                     home ? home : "~/.kube/config");
    }
    free(home);
    if (rc) {
        kube_err_sanitize(err);
        kube_config_free(cfg);
        *out = NULL;
        return -1;
    }
    *out = cfg;
    return 0;
}

/* ---- bearer tokens ---- */

static char *trimmed_dup(const char *s) {
    while (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '\t')) n--;
    return strndup(s, n);
}

/* Re-reads the token file when forced or when it changed (kubelet rotates projected tokens
 * by swapping a symlink, so the inode changes too). Caller holds the lock. */
static int token_file_refresh(kube_config *cfg, bool force, char *err, size_t errlen) {
    struct kube_token_cache *tc = cfg->token_cache;
    struct stat st;
    if (stat(cfg->token_file, &st) != 0) {
        if (tc->file_valid && !force) return 0; /* keep the last good token through a rotation gap */
        snprintf(err, errlen, "token file %s: %s", cfg->token_file, strerror(errno));
        return -1;
    }
    if (!force && tc->file_valid && st.st_ino == tc->file_st.st_ino && st.st_size == tc->file_st.st_size &&
        st.st_mtim.tv_sec == tc->file_st.st_mtim.tv_sec && st.st_mtim.tv_nsec == tc->file_st.st_mtim.tv_nsec)
        return 0;
    char *raw = kube_read_regular_file(cfg->token_file, "token file", NULL, err, errlen);
    if (!raw) return -1;
    free(tc->file_token);
    tc->file_token = trimmed_dup(raw);
    free(raw);
    tc->file_st = st;
    tc->file_valid = true;
    return 0;
}

static int exec_refresh(kube_config *cfg, char *err, size_t errlen) {
    struct kube_token_cache *tc = cfg->token_cache;
    char *tok = NULL;
    time_t exp = 0;
    if (kube_exec_run(cfg->exec, cfg->server, tc->exec_timeout_ms, &tok, &exp, err, errlen)) return -1;
    free(tc->exec_token);
    tc->exec_token = tok;
    tc->exec_expiry = exp;
    return 0;
}

char *kube_config_bearer_token(kube_config *cfg, bool force_refresh, char *err, size_t errlen) {
    if (errlen) err[0] = '\0';
    if (cfg->token) return strdup(cfg->token);
    struct kube_token_cache *tc = cfg->token_cache;
    char *out = NULL;
    pthread_mutex_lock(&tc->lock);
    if (cfg->token_file) {
        if (!token_file_refresh(cfg, force_refresh, err, errlen)) out = strdup(tc->file_token);
    } else if (cfg->exec) {
        bool fresh = tc->exec_token && (!tc->exec_expiry || time(NULL) + EXEC_EXPIRY_SKEW_S < tc->exec_expiry);
        if (force_refresh || !fresh) {
            if (!exec_refresh(cfg, err, errlen)) out = strdup(tc->exec_token);
        } else {
            out = strdup(tc->exec_token);
        }
    }
    pthread_mutex_unlock(&tc->lock);
    if (!out) kube_err_sanitize(err);
    return out;
}

char *kube_config_token_after_401(kube_config *cfg, const char *rejected, char *err, size_t errlen) {
    if (errlen) err[0] = '\0';
    if (cfg->token || (!cfg->token_file && !cfg->exec)) return NULL;
    struct kube_token_cache *tc = cfg->token_cache;
    char *out = NULL;
    pthread_mutex_lock(&tc->lock);
    const char *cur = cfg->token_file ? tc->file_token : tc->exec_token;
    if (cur && rejected && strcmp(cur, rejected) != 0) {
        out = strdup(cur); /* another thread already refreshed */
    } else if (cfg->token_file) {
        if (!token_file_refresh(cfg, true, err, errlen) && (!rejected || strcmp(tc->file_token, rejected)))
            out = strdup(tc->file_token);
    } else if (!exec_refresh(cfg, err, errlen)) {
        out = strdup(tc->exec_token);
    }
    pthread_mutex_unlock(&tc->lock);
    return out;
}
