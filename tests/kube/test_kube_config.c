/* Kubeconfig / in-cluster / exec plugin / token file tests (no server needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/kube_internal.h"

static char dir[256];
static const char *PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
static const char *KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcfake\n-----END EC PRIVATE KEY-----\n";

static char *path_in(const char *name) {
    static char buf[8][512];
    static int i;
    char *p = buf[i++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static const char *write_file(const char *name, const char *content, mode_t mode) {
    const char *p = path_in(name);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
    chmod(tmp, mode);
    assert_int_equal(rename(tmp, p), 0); /* atomic, new inode: like kubelet's token rotation */
    return p;
}

static char *b64(const char *s) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *o = malloc(n * 2 + 8), *p = o;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? (unsigned char)s[i + 2] : 0);
        *p++ = t[v >> 18 & 63];
        *p++ = t[v >> 12 & 63];
        *p++ = i + 1 < n ? t[v >> 6 & 63] : '=';
        *p++ = i + 2 < n ? t[v & 63] : '=';
    }
    *p = '\0';
    return o;
}

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vb-kubecfg-XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_file("ca.crt", PEM, 0644);
    write_file("client.crt", PEM, 0644);
    write_file("client.key", KEY, 0600);
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unsetenv("VB_KUBE_SERVICEACCOUNT_DIR");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static kube_config *load_ok(const char *path, const char *context) {
    kube_config_opts o = {.kubeconfig_path = path, .context = context};
    kube_config *cfg = NULL;
    char err[512] = "";
    int rc = kube_config_load(&o, &cfg, err, sizeof err);
    if (rc) fail_msg("unexpected error: %s", err);
    return cfg;
}

/* Loads `yaml` written as a kubeconfig and expects an error containing every needle. */
static void load_err(const char *yaml, const char *context, const char *n1, const char *n2) {
    const char *p = write_file("bad-config", yaml, 0600);
    kube_config_opts o = {.kubeconfig_path = p, .context = context};
    kube_config *cfg = NULL;
    char err[512] = "";
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), -1);
    assert_null(cfg);
    if (!strstr(err, n1) || (n2 && !strstr(err, n2))) fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err, n1, n2 ? n2 : "");
    assert_null(strchr(err, '\n'));
}

/* ---- every field ---- */

static void test_all_fields(void **state) {
    (void)state;
    const char *p = write_file("config",
                               "apiVersion: v1\n"
                               "kind: Config\n"
                               "current-context: dev\n"
                               "clusters:\n"
                               "- name: other\n"
                               "  cluster: {server: https://other.example:443}\n"
                               "- name: dev-cluster\n"
                               "  cluster:\n"
                               "    server: https://10.0.0.1:6443/\n"
                               "    certificate-authority: ca.crt\n"
                               "    tls-server-name: kubernetes.default.svc\n"
                               "    insecure-skip-tls-verify: false\n"
                               "contexts:\n"
                               "- name: dev\n"
                               "  context:\n"
                               "    cluster: dev-cluster\n"
                               "    user: dev-user\n"
                               "    namespace: team-a\n"
                               "users:\n"
                               "- name: dev-user\n"
                               "  user:\n"
                               "    token: abc.def\n"
                               "    client-certificate: client.crt\n"
                               "    client-key: client.key\n",
                               0600);
    kube_config *cfg = load_ok(p, NULL);
    assert_string_equal(cfg->server, "https://10.0.0.1:6443");
    assert_string_equal(cfg->context_name, "dev");
    assert_string_equal(cfg->namespace_, "team-a");
    assert_string_equal(cfg->ca_file, path_in("ca.crt"));
    assert_string_equal(cfg->tls_server_name, "kubernetes.default.svc");
    assert_false(cfg->insecure_skip_tls_verify);
    assert_string_equal(cfg->client_cert_file, path_in("client.crt"));
    assert_string_equal(cfg->client_key_file, path_in("client.key"));
    assert_string_equal(cfg->token, "abc.def");
    assert_false(cfg->in_cluster);
    char err[256];
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "abc.def");
    free(t);
    kube_config_free(cfg);
}

static void test_data_fields_and_explicit_context(void **state) {
    (void)state;
    char *ca = b64(PEM), *crt = b64(PEM), *key = b64(KEY);
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "apiVersion: v1\n"
             "current-context: dev\n"
             "clusters:\n"
             "- name: prod\n"
             "  cluster:\n"
             "    server: prod.example:6443\n"
             "    certificate-authority-data: %s\n"
             "    certificate-authority: /does/not/matter\n"
             "    insecure-skip-tls-verify: yes\n"
             "contexts:\n"
             "- {name: dev, context: {cluster: nope, user: nope}}\n"
             "- name: prod\n"
             "  context: {cluster: prod, user: admin}\n"
             "users:\n"
             "- name: admin\n"
             "  user:\n"
             "    client-certificate-data: %s\n"
             "    client-key-data: %s\n"
             "    username: u\n"
             "    password: p\n",
             ca, crt, key);
    free(ca);
    free(crt);
    free(key);
    const char *p = write_file("config-data", yaml, 0600);
    kube_config *cfg = load_ok(p, "prod");
    assert_string_equal(cfg->server, "https://prod.example:6443"); /* scheme-less server gets https */
    assert_string_equal(cfg->namespace_, "default");
    assert_true(cfg->insecure_skip_tls_verify);
    assert_string_equal(cfg->username, "u");
    assert_string_equal(cfg->password, "p");
    char err[256];
    size_t len;
    char *got = kube_read_file(cfg->ca_file, "ca", &len, err, sizeof err);
    assert_string_equal(got, PEM);
    free(got);
    got = kube_read_file(cfg->client_key_file, "key", &len, err, sizeof err);
    assert_string_equal(got, KEY);
    free(got);
    /* key material stays in memory: nothing on disk to leak if the process is killed */
    assert_int_equal(strncmp(cfg->client_key_file, "/proc/self/fd/", 14), 0);
    assert_int_equal(strncmp(cfg->ca_file, "/proc/self/fd/", 14), 0);
    int keyfd = atoi(cfg->client_key_file + 14);
    assert_true(fcntl(keyfd, F_GETFD) & FD_CLOEXEC); /* not inherited by exec plugins */
    /* no user means no token: NULL with an empty error */
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_null(t);
    assert_string_equal(err, "");
    kube_config_free(cfg);
    assert_int_equal(fcntl(keyfd, F_GETFD), -1); /* released */
}

static void test_merged_kubeconfig_list(void **state) {
    (void)state;
    const char *a = write_file("a.yaml",
                               "current-context: ctx-b\n"
                               "clusters:\n"
                               "- name: shared\n"
                               "  cluster: {server: 'https://from-a:1'}\n",
                               0600);
    const char *b = write_file("b.yaml",
                               "current-context: ctx-other\n"
                               "clusters:\n"
                               "- name: shared\n"
                               "  cluster: {server: 'https://from-b:2'}\n"
                               "contexts:\n"
                               "- name: ctx-b\n"
                               "  context: {cluster: shared, user: ub, namespace: nb}\n"
                               "users:\n"
                               "- name: ub\n"
                               "  user: {token: token-b}\n",
                               0600);
    char list[1200];
    snprintf(list, sizeof list, "%s:%s:%s", path_in("missing.yaml"), a, b);
    setenv("KUBECONFIG", list, 1);
    kube_config *cfg = NULL;
    char err[512];
    assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof err), 0);
    /* current-context from a (first to set it), cluster "shared" from a, context/user from b */
    assert_string_equal(cfg->context_name, "ctx-b");
    assert_string_equal(cfg->server, "https://from-a:1");
    assert_string_equal(cfg->namespace_, "nb");
    assert_string_equal(cfg->token, "token-b");
    kube_config_free(cfg);
    /* explicit --kubeconfig beats $KUBECONFIG */
    const char *c = write_file("c.yaml",
                               "current-context: x\nclusters: [{name: x, cluster: {server: 'http://c:3'}}]\n"
                               "contexts: [{name: x, context: {cluster: x}}]\n",
                               0600);
    cfg = load_ok(c, NULL);
    assert_string_equal(cfg->server, "http://c:3");
    assert_null(cfg->token);
    kube_config_free(cfg);
    /* every listed file missing */
    snprintf(list, sizeof list, "%s:%s", path_in("nope1"), path_in("nope2"));
    setenv("KUBECONFIG", list, 1);
    assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "nope1"));
    unsetenv("KUBECONFIG");
}

static void test_home_then_in_cluster_order(void **state) {
    (void)state;
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char home[600], kdir[700];
    snprintf(home, sizeof home, "%s/home", dir);
    snprintf(kdir, sizeof kdir, "%s/.kube", home);
    mkdir(home, 0700);
    mkdir(kdir, 0700);
    setenv("HOME", home, 1);
    kube_config *cfg = NULL;
    char err[512];
    /* nothing anywhere */
    assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    assert_non_null(strstr(err, ".kube/config"));
    write_file("home/.kube/config",
               "current-context: h\nclusters: [{name: h, cluster: {server: 'https://home:6443'}}]\n"
               "contexts: [{name: h, context: {cluster: h}}]\n",
               0600);
    assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->server, "https://home:6443");
    kube_config_free(cfg);
    if (old_home) setenv("HOME", old_home, 1);
    free(old_home);
}

/* ---- broken configs: one clear line each ---- */

static void test_errors(void **state) {
    (void)state;
    kube_config_opts o = {.kubeconfig_path = path_in("no-such-config")};
    kube_config *cfg;
    char err[512];
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-config"));
    assert_non_null(strstr(err, "No such file"));

    const char *base = "clusters:\n- name: c\n  cluster: {server: 'https://s:1'}\n"
                       "users:\n- name: u\n  user: {token: t}\n"
                       "contexts:\n- name: ok\n  context: {cluster: c, user: u}\n"
                       "- name: nocluster\n  context: {cluster: gone, user: u}\n"
                       "- name: nouser\n  context: {cluster: c, user: ghost}\n";
    load_err(base, "unknown", "context \"unknown\" not found", NULL);
    load_err(base, NULL, "no current-context", NULL);
    load_err(base, "nocluster", "cluster \"gone\"", "not defined");
    load_err(base, "nouser", "user \"ghost\"", "not defined");
    load_err("current-context: a\ncontexts:\n- name: a\n  context: {cluster: a\nusers: []\n", NULL, "line 5",
             "invalid YAML");
    load_err("current-context: a\n\tclusters: []\n", NULL, "line 2", "invalid YAML");
    load_err("- just\n- a list\n", NULL, "must be a mapping", "line 1");
    load_err("current-context: a\ncontexts: {a: b}\n", NULL, "contexts must be a list", "line 2");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {server: [x]}}]\n",
             NULL, "server must be a string", "line 3");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {insecure-skip-tls-verify: x}}]\n",
             NULL, "insecure-skip-tls-verify must be true or false", NULL);
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {certificate-authority: x}}]\n",
             NULL, "has no server", NULL);
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s', certificate-authority: /nonexistent/ca.pem}}]\n",
             NULL, "certificate-authority /nonexistent/ca.pem", "No such file");
    write_file("not-pem.crt", "hello\n", 0644);
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s', certificate-authority: not-pem.crt}}]\n",
             NULL, "not-pem.crt", "no PEM data");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s', certificate-authority-data: '%%%'}}]\n",
             NULL, "certificate-authority-data is not valid base64", NULL);
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
             "users: [{name: u, user: {client-certificate: client.crt}}]\n",
             NULL, "client certificate without a client key", NULL);
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
             "users: [{name: u, user: {tokenFile: /nonexistent/token}}]\n",
             NULL, "tokenFile /nonexistent/token", "No such file");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
             "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
             NULL, "auth-provider \"gcp\"", "not supported");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
             "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]\n",
             NULL, "v1alpha1", "not supported");
    load_err("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'ftp://s'}}]\n",
             NULL, "not an http(s) URL", NULL);
}

/* ---- token file rotation ---- */

static void test_token_file_rotation(void **state) {
    (void)state;
    write_file("token", "first-token\n", 0600);
    const char *p = write_file("config-tf",
                               "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                               "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
                               "users: [{name: u, user: {tokenFile: token}}]\n",
                               0600);
    kube_config *cfg = load_ok(p, NULL);
    assert_string_equal(cfg->token_file, path_in("token"));
    char err[256];
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "first-token");
    free(t);
    write_file("token", "second-token", 0600);
    t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "second-token");
    /* after a 401 with the current token, the file is re-read; unchanged -> nothing better */
    char *again = kube_config_token_after_401(cfg, t, err, sizeof err);
    assert_null(again);
    write_file("token", "third-token", 0600);
    again = kube_config_token_after_401(cfg, t, err, sizeof err);
    assert_string_equal(again, "third-token");
    free(again);
    free(t);
    /* a copy (what a client holds) sees the same rotation */
    kube_config *dup = kube_config_dup(cfg);
    write_file("token", "fourth-token", 0600);
    t = kube_config_bearer_token(dup, false, err, sizeof err);
    assert_string_equal(t, "fourth-token");
    free(t);
    kube_config_free(dup);
    kube_config_free(cfg);
}

/* ---- in-cluster ---- */

static void test_in_cluster(void **state) {
    (void)state;
    char sa[600];
    snprintf(sa, sizeof sa, "%s/sa", dir);
    mkdir(sa, 0700);
    setenv("VB_KUBE_SERVICEACCOUNT_DIR", sa, 1);
    kube_config_opts o = {.in_cluster_only = true};
    kube_config *cfg;
    char err[512];
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "sa/token"));
    write_file("sa/token", "sa-token-1", 0600);
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "sa/ca.crt"));
    write_file("sa/ca.crt", PEM, 0644);
    assert_int_equal(kube_config_load(&o, &cfg, err, sizeof err), 0);
    assert_true(cfg->in_cluster);
    assert_string_equal(cfg->server, "https://10.96.0.1:443");
    assert_string_equal(cfg->namespace_, "default");
    assert_null(cfg->context_name);
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "sa-token-1");
    free(t);
    write_file("sa/token", "sa-token-2", 0600); /* bound tokens rotate */
    t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "sa-token-2");
    free(t);
    kube_config_free(cfg);
    write_file("sa/namespace", "valkey-bench\n", 0644);
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    /* in-cluster is the fallback when no kubeconfig exists */
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", sa, 1);
    assert_int_equal(kube_config_load(NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg->server, "https://[fd00::1]:443");
    assert_string_equal(cfg->namespace_, "valkey-bench");
    kube_config_free(cfg);
    if (old_home) setenv("HOME", old_home, 1);
    free(old_home);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unsetenv("VB_KUBE_SERVICEACCOUNT_DIR");
}

/* ---- exec plugins ---- */

/* A fake plugin: counts its runs in $dir/runs, prints an ExecCredential whose token names
 * the run, its first arg and an env var, with the expiry given in $EXPIRY. */
static const char *PLUGIN =
    "#!/bin/sh\n"
    "n=$(cat \"$RUNS\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$RUNS\"\n"
    "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) echo 'no exec info' >&2; exit 3;; esac\n"
    "if [ -e \"$FAIL\" ]; then echo 'error: could not get token: AccessDenied' >&2; echo 'second line' >&2; exit 7; fi\n"
    "if [ -e \"$SLOW\" ]; then sleep 5; fi\n"
    "api=${API:-client.authentication.k8s.io/v1beta1}\n"
    "exp=''; [ -n \"$EXPIRY\" ] && exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"\n"
    "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"spec\":{},\"status\":{\"token\":\"tok-%s-%s-%s\"%s}}\\n' "
    "\"$api\" \"$n\" \"$1\" \"$COLOR\" \"$exp\"\n";

static kube_config *exec_config(const char *api, const char *expiry, const char *extra_env) {
    write_file("plugin.sh", PLUGIN, 0755);
    char yaml[3000];
    snprintf(yaml, sizeof yaml,
             "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
             "clusters: [{name: c, cluster: {server: 'https://s'}}]\n"
             "users:\n"
             "- name: u\n"
             "  user:\n"
             "    exec:\n"
             "      apiVersion: %s\n"
             "      command: ./plugin.sh\n"
             "      args: [first-arg, second]\n"
             "      env:\n"
             "      - {name: COLOR, value: blue}\n"
             "      - {name: RUNS, value: '%s/runs'}\n"
             "      - {name: FAIL, value: '%s/fail'}\n"
             "      - {name: SLOW, value: '%s/slow'}\n"
             "      - {name: EXPIRY, value: '%s'}\n"
             "      - {name: API, value: '%s'}\n"
             "%s"
             "      installHint: install the plugin\n",
             api, dir, dir, dir, expiry, extra_env ? extra_env : api, "");
    unlink(path_in("runs"));
    unlink(path_in("fail"));
    unlink(path_in("slow"));
    return load_ok(write_file("config-exec", yaml, 0600), NULL);
}

static int runs(void) {
    char err[128];
    char *s = kube_read_file(path_in("runs"), "runs", NULL, err, sizeof err);
    int n = s ? atoi(s) : 0;
    free(s);
    return n;
}

static void test_exec_token_cached_until_expiry(void **state) {
    (void)state;
    kube_config *cfg = exec_config("client.authentication.k8s.io/v1beta1", "2099-01-01T00:00:00Z", NULL);
    assert_string_equal(cfg->exec->command, path_in("plugin.sh")); /* relative to the kubeconfig */
    assert_string_equal(cfg->exec->args[0], "first-arg");
    char err[512];
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "tok-1-first-arg-blue");
    free(t);
    t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_string_equal(t, "tok-1-first-arg-blue"); /* cached */
    assert_int_equal(runs(), 1);
    free(t);
    t = kube_config_bearer_token(cfg, true, err, sizeof err); /* forced (401) */
    assert_string_equal(t, "tok-2-first-arg-blue");
    /* after a 401: a token another thread already refreshed is reused, else the plugin re-runs */
    char *r = kube_config_token_after_401(cfg, "tok-1-first-arg-blue", err, sizeof err);
    assert_string_equal(r, "tok-2-first-arg-blue");
    free(r);
    r = kube_config_token_after_401(cfg, t, err, sizeof err);
    assert_string_equal(r, "tok-3-first-arg-blue");
    free(r);
    free(t);
    kube_config_free(cfg);
}

static void test_exec_v1_expired_reruns(void **state) {
    (void)state;
    kube_config *cfg = exec_config("client.authentication.k8s.io/v1", "2020-01-01T00:00:00Z", NULL);
    char err[512];
    for (int i = 1; i <= 3; i++) {
        char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
        char want[64];
        snprintf(want, sizeof want, "tok-%d-first-arg-blue", i);
        assert_string_equal(t, want);
        free(t);
    }
    kube_config_free(cfg);
    /* no expirationTimestamp: valid until a 401 */
    cfg = exec_config("client.authentication.k8s.io/v1", "", NULL);
    free(kube_config_bearer_token(cfg, false, err, sizeof err));
    free(kube_config_bearer_token(cfg, false, err, sizeof err));
    assert_int_equal(runs(), 1);
    kube_config_free(cfg);
}

static void test_exec_failures(void **state) {
    (void)state;
    kube_config *cfg = exec_config("client.authentication.k8s.io/v1beta1", "", NULL);
    char err[512];
    write_file("fail", "", 0644);
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_null(t);
    assert_non_null(strstr(err, "exit status 7"));
    assert_non_null(strstr(err, "error: could not get token: AccessDenied; second line"));
    assert_null(strchr(err, '\n'));
    unlink(path_in("fail"));
    /* the plugin answers a different apiVersion than configured */
    kube_config_free(cfg);
    cfg = exec_config("client.authentication.k8s.io/v1beta1", "", "client.authentication.k8s.io/v1");
    t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_null(t);
    assert_non_null(strstr(err, "apiVersion"));
    /* timeout */
    kube_config_free(cfg);
    cfg = exec_config("client.authentication.k8s.io/v1beta1", "", NULL);
    write_file("slow", "", 0644);
    kube_config_set_exec_timeout_ms(cfg, 300);
    t = kube_config_bearer_token(cfg, false, err, sizeof err);
    assert_null(t);
    assert_non_null(strstr(err, "timed out"));
    kube_config_free(cfg);
    /* missing command, with the install hint */
    kube_exec_config x = {.api_version = "client.authentication.k8s.io/v1beta1", .command = "vb-no-such-plugin",
                          .install_hint = "install it\nfrom somewhere"};
    time_t exp;
    assert_int_equal(kube_exec_run(&x, "https://s", 1000, &t, &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "vb-no-such-plugin"));
    assert_non_null(strstr(err, "install it; from somewhere"));
    assert_non_null(strstr(err, "cannot run"));
    /* a command that exits 127 with nothing on stdout (a shell's "not found", or a failed
     * exec where posix_spawn cannot report it, as under qemu-user) is the same failure */
    write_file("gone.sh", "#!/bin/sh\nexec vb-no-such-plugin-either\n", 0755);
    char gone[600];
    snprintf(gone, sizeof gone, "%s/gone.sh", dir);
    x.command = gone;
    assert_int_equal(kube_exec_run(&x, "https://s", 1000, &t, &exp, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot run"));
    assert_non_null(strstr(err, "exit status 127"));
    assert_non_null(strstr(err, "install it; from somewhere"));
    assert_null(strchr(err, '\n'));
    /* but 127 after writing to stdout is the plugin's own failure */
    write_file("gone.sh", "#!/bin/sh\necho partial\nexit 127\n", 0755);
    assert_int_equal(kube_exec_run(&x, "https://s", 1000, &t, &exp, err, sizeof err), -1);
    assert_null(strstr(err, "cannot run"));
    assert_non_null(strstr(err, "failed (exit status 127)"));
}

static void test_exec_credential_parsing(void **state) {
    (void)state;
    char *t;
    time_t exp;
    char err[256];
    const char *ok = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                     "\"spec\":{},\"status\":{\"expirationTimestamp\":\"2026-11-25T00:52:15Z\",\"token\":"
                     "\"k8s-aws-v1.aHR0cHM6Ly9zdHMu\"}}";
    assert_int_equal(kube_exec_parse_credential(ok, strlen(ok), "client.authentication.k8s.io/v1beta1", &t, &exp,
                                                err, sizeof err),
                     0);
    assert_string_equal(t, "k8s-aws-v1.aHR0cHM6Ly9zdHMu");
    assert_int_equal(exp, 1795567935);
    free(t);
    const char *bad[] = {"", "not json", "{\"kind\":\"Other\"}",
                         "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\"}",
                         "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                         "\"status\":{\"token\":\"x\",\"expirationTimestamp\":\"soon\"}}",
                         "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
                         "\"status\":{\"clientCertificateData\":\"x\",\"clientKeyData\":\"y\"}}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(kube_exec_parse_credential(bad[i], strlen(bad[i]), "client.authentication.k8s.io/v1beta1",
                                                    &t, &exp, err, sizeof err),
                         -1);
        assert_true(err[0]);
    }
}

/* The kubeconfig `aws eks update-kubeconfig` writes, unchanged, with a fake `aws` on PATH. */
static void test_eks_kubeconfig(void **state) {
    (void)state;
    char bin[600];
    snprintf(bin, sizeof bin, "%s/bin", dir);
    mkdir(bin, 0755);
    write_file("bin/aws",
               "#!/bin/sh\n"
               "[ \"$1 $2 $3 $4 $5 $6 $7\" = \"--region us-west-2 eks get-token --cluster-name valkey-bench "
               "--output\" ] || { echo \"aws: bad args: $*\" >&2; exit 2; }\n"
               "[ \"$AWS_PROFILE\" = bench ] || { echo 'no profile' >&2; exit 2; }\n"
               "echo '{\"kind\": \"ExecCredential\", \"apiVersion\": \"client.authentication.k8s.io/v1beta1\", "
               "\"spec\": {}, \"status\": {\"expirationTimestamp\": \"2099-11-25T00:52:15Z\", \"token\": "
               "\"k8s-aws-v1.fake\"}}'\n",
               0755);
    char *ca = b64(PEM);
    char yaml[3000];
    snprintf(yaml, sizeof yaml,
             "apiVersion: v1\n"
             "clusters:\n"
             "- cluster:\n"
             "    certificate-authority-data: %s\n"
             "    server: https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com\n"
             "  name: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "contexts:\n"
             "- context:\n"
             "    cluster: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "    user: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "  name: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "current-context: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "kind: Config\n"
             "preferences: {}\n"
             "users:\n"
             "- name: arn:aws:eks:us-west-2:123456789012:cluster/valkey-bench\n"
             "  user:\n"
             "    exec:\n"
             "      apiVersion: client.authentication.k8s.io/v1beta1\n"
             "      args:\n"
             "      - --region\n"
             "      - us-west-2\n"
             "      - eks\n"
             "      - get-token\n"
             "      - --cluster-name\n"
             "      - valkey-bench\n"
             "      - --output\n"
             "      - json\n"
             "      command: aws\n"
             "      env:\n"
             "      - name: AWS_PROFILE\n"
             "        value: bench\n",
             ca);
    free(ca);
    char *old_path = strdup(getenv("PATH"));
    char newpath[4096];
    snprintf(newpath, sizeof newpath, "%s:%s", bin, old_path);
    setenv("PATH", newpath, 1);
    kube_config *cfg = load_ok(write_file("eks-config", yaml, 0600), NULL);
    assert_string_equal(cfg->exec->command, "aws");
    char err[512];
    char *t = kube_config_bearer_token(cfg, false, err, sizeof err);
    if (!t) fail_msg("%s", err);
    assert_string_equal(t, "k8s-aws-v1.fake");
    free(t);
    kube_config_free(cfg);
    setenv("PATH", old_path, 1);
    free(old_path);
}

static void test_buffer_loader(void **state) {
    (void)state;
    kube_config cfg = {0};
    char err[256];
    const char *y = "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                    "clusters: [{name: c, cluster: {server: 'https://s'}}]\n";
    assert_int_equal(kube_kubeconfig_load_buffer(y, strlen(y), "/x/mem", NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://s");
    free(cfg.server);
    free(cfg.namespace_);
    free(cfg.context_name);
    /* aliases resolve without expansion */
    const char *z = "current-context: &a a\ncontexts: [{name: *a, context: {cluster: *a}}]\n"
                    "clusters: [{name: *a, cluster: &c {server: 'https://s'}}]\n";
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(kube_kubeconfig_load_buffer(z, strlen(z), "/x/mem", NULL, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.server, "https://s");
    free(cfg.server);
    free(cfg.namespace_);
    free(cfg.context_name);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_fields),
        cmocka_unit_test(test_data_fields_and_explicit_context),
        cmocka_unit_test(test_merged_kubeconfig_list),
        cmocka_unit_test(test_home_then_in_cluster_order),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_token_file_rotation),
        cmocka_unit_test(test_in_cluster),
        cmocka_unit_test(test_exec_token_cached_until_expiry),
        cmocka_unit_test(test_exec_v1_expired_reruns),
        cmocka_unit_test(test_exec_failures),
        cmocka_unit_test(test_exec_credential_parsing),
        cmocka_unit_test(test_eks_kubeconfig),
        cmocka_unit_test(test_buffer_loader),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
