/* Kubeconfig files: libyaml's document loader gives the node tree (anchors and aliases
 * resolved without expansion, so hostile aliases cost nothing), and lookups walk only the
 * fixed paths kubectl reads, so the recursion depth is bounded by this file, not the input. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "kube/kube_internal.h"

typedef struct kc_doc {
    const char *path;
    char *dir;
    yaml_document_t doc;
    bool loaded;
} kc_doc;

typedef struct kc_set {
    kc_doc *docs;
    size_t n;
    char *names; /* "a:b" for errors about the merged set */
} kc_set;

/* ---- YAML loading and node access ---- */

static int kc_parse(kc_doc *d, const char *buf, size_t len, char *err, size_t errlen) {
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        snprintf(err, errlen, "kubeconfig %s: out of memory", d->path);
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&p, &d->doc)) {
        const yaml_mark_t *m = &p.problem_mark;
        snprintf(err, errlen, "kubeconfig %s line %zu: invalid YAML: %s%s%s", d->path, m->line + 1,
                 p.problem ? p.problem : "parse error", p.context ? " " : "", p.context ? p.context : "");
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_parser_delete(&p);
    d->loaded = true;
    return 0;
}

static yaml_node_t *node_at(kc_doc *d, int idx) { return yaml_document_get_node(&d->doc, idx); }
static size_t node_line(const yaml_node_t *n) { return n ? n->start_mark.line + 1 : 0; }

static bool is_null_scalar(const yaml_node_t *n) {
    if (!n || n->type != YAML_SCALAR_NODE) return false;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
    const char *v = (const char *)n->data.scalar.value;
    return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Value of `key` in mapping `map`; NULL when absent, null, or `map` is not a mapping. */
static yaml_node_t *map_get(kc_doc *d, yaml_node_t *map, const char *key) {
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(d, p->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key)) {
            yaml_node_t *v = node_at(d, p->value);
            return is_null_scalar(v) ? NULL : v;
        }
    }
    return NULL;
}

/* A string field: 0 with *out NULL when absent, -1 (err) when present but not a scalar. */
static int map_str(kc_doc *d, yaml_node_t *map, const char *key, const char *where, const char **out, char *err,
                   size_t errlen) {
    yaml_node_t *v = map_get(d, map, key);
    *out = NULL;
    if (!v) return 0;
    if (v->type != YAML_SCALAR_NODE) {
        snprintf(err, errlen, "kubeconfig %s line %zu: %s.%s must be a string", d->path, node_line(v), where, key);
        return -1;
    }
    *out = (const char *)v->data.scalar.value;
    if (!**out) *out = NULL;
    return 0;
}

static int map_bool(kc_doc *d, yaml_node_t *map, const char *key, const char *where, bool *out, char *err,
                    size_t errlen) {
    const char *s;
    if (map_str(d, map, key, where, &s, err, errlen)) return -1;
    if (!s) return 0;
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (!strcmp(s, yes[i])) { *out = true; return 0; }
        if (!strcmp(s, no[i])) { *out = false; return 0; }
    }
    snprintf(err, errlen, "kubeconfig %s line %zu: %s.%s must be true or false, not \"%s\"", d->path,
             node_line(map_get(d, map, key)), where, key, s);
    return -1;
}

/* Finds `name` in the list `list` ("clusters") of one document; returns the entry's inner
 * mapping (entry[inner]), sets *found. -1 on malformed structure. */
static int find_named(kc_doc *d, const char *list, const char *inner, const char *name, yaml_node_t **out,
                      char *err, size_t errlen) {
    *out = NULL;
    yaml_node_t *root = yaml_document_get_root_node(&d->doc);
    yaml_node_t *seq = map_get(d, root, list);
    if (!seq) return 0;
    if (seq->type != YAML_SEQUENCE_NODE) {
        snprintf(err, errlen, "kubeconfig %s line %zu: %s must be a list", d->path, node_line(seq), list);
        return -1;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        yaml_node_t *e = node_at(d, *it);
        if (!e || e->type != YAML_MAPPING_NODE) {
            snprintf(err, errlen, "kubeconfig %s line %zu: each entry of %s must be a mapping", d->path,
                     node_line(e), list);
            return -1;
        }
        const char *n;
        if (map_str(d, e, "name", list, &n, err, errlen)) return -1;
        if (!n || strcmp(n, name)) continue;
        yaml_node_t *v = map_get(d, e, inner);
        if (v && v->type != YAML_MAPPING_NODE) {
            snprintf(err, errlen, "kubeconfig %s line %zu: %s \"%s\": %s must be a mapping", d->path, node_line(v),
                     list, name, inner);
            return -1;
        }
        /* An entry with an empty body still exists (e.g. a user with no credentials). */
        *out = v ? v : e;
        return 1;
    }
    return 0;
}

/* First document (in merge order) defining `name`; 1 found, 0 not, -1 error. */
static int set_find(kc_set *s, const char *list, const char *inner, const char *name, kc_doc **doc,
                    yaml_node_t **node, char *err, size_t errlen) {
    for (size_t i = 0; i < s->n; i++) {
        if (!s->docs[i].loaded) continue;
        int r = find_named(&s->docs[i], list, inner, name, node, err, errlen);
        if (r < 0) return -1;
        if (r > 0) {
            *doc = &s->docs[i];
            if (*node && (*node)->type != YAML_MAPPING_NODE) *node = NULL;
            return 1;
        }
    }
    return 0;
}

/* ---- resolving into a kube_config ---- */

/* Relative paths in a kubeconfig are relative to the file that holds them (kubectl). */
static char *resolve_path(const kc_doc *d, const char *p) {
    if (!p) return NULL;
    if (p[0] == '/' || !d->dir) return strdup(p);
    while (p[0] == '.' && p[1] == '/') p += 2;
    char *out;
    if (asprintf(&out, "%s/%s", d->dir, p) < 0) return NULL;
    return out;
}

static int check_pem_file(const char *path, const char *what, char *err, size_t errlen) {
    char e2[512];
    size_t len;
    char *buf = kube_read_regular_file(path, what, &len, e2, sizeof e2);
    if (!buf) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    bool pem = strstr(buf, "-----BEGIN ") != NULL;
    free(buf);
    if (!pem) {
        snprintf(err, errlen, "%s %s: no PEM data in the file", what, path);
        return -1;
    }
    return 0;
}

/* `file` or `data` (base64, wins as in client-go) into a readable PEM file path. */
static int pem_field(kube_config *cfg, kc_doc *d, yaml_node_t *m, const char *file_key, const char *data_key,
                     const char *where, char **out, char *err, size_t errlen) {
    const char *file, *data;
    if (map_str(d, m, file_key, where, &file, err, errlen) || map_str(d, m, data_key, where, &data, err, errlen))
        return -1;
    if (data) {
        size_t n;
        unsigned char *raw = kube_base64_decode(data, &n);
        if (!raw) {
            snprintf(err, errlen, "kubeconfig %s: %s %s is not valid base64", d->path, where, data_key);
            return -1;
        }
        if (!memmem(raw, n, "-----BEGIN ", 11)) {
            free(raw);
            snprintf(err, errlen, "kubeconfig %s: %s %s holds no PEM data", d->path, where, data_key);
            return -1;
        }
        const char *p = kube_config_add_temp_file(cfg, raw, n, data_key, err, errlen);
        free(raw);
        if (!p) return -1;
        *out = strdup(p);
        return 0;
    }
    if (file) {
        *out = resolve_path(d, file);
        char what[160];
        snprintf(what, sizeof what, "%s %s", where, file_key);
        if (check_pem_file(*out, what, err, errlen)) return -1;
    }
    return 0;
}

static int resolve_cluster(kube_config *cfg, kc_doc *d, yaml_node_t *c, const char *name, char *err,
                           size_t errlen) {
    char where[300];
    snprintf(where, sizeof where, "cluster \"%.200s\"", name);
    const char *server, *sni, *proxy;
    if (map_str(d, c, "server", where, &server, err, errlen) ||
        map_str(d, c, "tls-server-name", where, &sni, err, errlen) ||
        map_str(d, c, "proxy-url", where, &proxy, err, errlen) ||
        map_bool(d, c, "insecure-skip-tls-verify", where, &cfg->insecure_skip_tls_verify, err, errlen))
        return -1;
    if (!server) {
        snprintf(err, errlen, "kubeconfig %s: %s has no server", d->path, where);
        return -1;
    }
    if (proxy) {
        snprintf(err, errlen, "kubeconfig %s: %s: proxy-url is not supported", d->path, where);
        return -1;
    }
    if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7)) {
        if (strstr(server, "://")) {
            snprintf(err, errlen, "kubeconfig %s: %s: server \"%s\" is not an http(s) URL", d->path, where, server);
            return -1;
        }
        if (asprintf(&cfg->server, "https://%s", server) < 0) return -1;
    } else {
        cfg->server = strdup(server);
    }
    size_t l = strlen(cfg->server);
    while (l > 0 && cfg->server[l - 1] == '/') cfg->server[--l] = '\0';
    cfg->tls_server_name = kube_strdup0(sni);
    return pem_field(cfg, d, c, "certificate-authority", "certificate-authority-data", where, &cfg->ca_file, err,
                     errlen);
}

static char **string_list(kc_doc *d, yaml_node_t *seq, const char *where, char *err, size_t errlen) {
    size_t n = seq ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start) : 0;
    char **out = calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = node_at(d, seq->data.sequence.items.start[i]);
        if (!v || v->type != YAML_SCALAR_NODE) {
            snprintf(err, errlen, "kubeconfig %s line %zu: %s entries must be strings", d->path, node_line(v), where);
            for (size_t j = 0; j < i; j++) free(out[j]);
            free(out);
            return NULL;
        }
        out[i] = strdup((const char *)v->data.scalar.value);
    }
    return out;
}

static int resolve_exec(kube_config *cfg, kc_doc *d, yaml_node_t *x, const char *where, char *err, size_t errlen) {
    if (x->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "kubeconfig %s line %zu: %s exec must be a mapping", d->path, node_line(x), where);
        return -1;
    }
    const char *api, *cmd, *hint;
    if (map_str(d, x, "apiVersion", where, &api, err, errlen) || map_str(d, x, "command", where, &cmd, err, errlen) ||
        map_str(d, x, "installHint", where, &hint, err, errlen))
        return -1;
    if (!cmd) {
        snprintf(err, errlen, "kubeconfig %s: %s exec has no command", d->path, where);
        return -1;
    }
    if (!api) api = "client.authentication.k8s.io/v1beta1";
    if (strcmp(api, "client.authentication.k8s.io/v1beta1") && strcmp(api, "client.authentication.k8s.io/v1")) {
        snprintf(err, errlen, "kubeconfig %s: %s exec apiVersion \"%s\" is not supported (v1 or v1beta1)", d->path,
                 where, api);
        return -1;
    }
    kube_exec_config *e = calloc(1, sizeof *e);
    cfg->exec = e;
    e->api_version = strdup(api);
    /* kubectl resolves a command relative to the kubeconfig only when it names a path. */
    e->command = strchr(cmd, '/') ? resolve_path(d, cmd) : strdup(cmd);
    e->install_hint = kube_strdup0(hint);
    yaml_node_t *args = map_get(d, x, "args"), *env = map_get(d, x, "env");
    if ((args && args->type != YAML_SEQUENCE_NODE) || (env && env->type != YAML_SEQUENCE_NODE)) {
        snprintf(err, errlen, "kubeconfig %s line %zu: %s exec args and env must be lists", d->path,
                 node_line(args && args->type != YAML_SEQUENCE_NODE ? args : env), where);
        return -1;
    }
    if (!(e->args = string_list(d, args, "exec args", err, errlen))) return -1;
    size_t n = env ? (size_t)(env->data.sequence.items.top - env->data.sequence.items.start) : 0;
    e->env = calloc(n + 1, sizeof *e->env);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *kv = node_at(d, env->data.sequence.items.start[i]);
        const char *name = NULL, *value = NULL;
        if (!kv || kv->type != YAML_MAPPING_NODE || map_str(d, kv, "name", "exec env", &name, err, errlen) ||
            map_str(d, kv, "value", "exec env", &value, err, errlen) || !name) {
            if (!kv || kv->type != YAML_MAPPING_NODE || !name)
                snprintf(err, errlen, "kubeconfig %s line %zu: %s exec env entries need a name and a value", d->path,
                         node_line(kv), where);
            return -1;
        }
        if (asprintf(&e->env[i], "%s=%s", name, value ? value : "") < 0) return -1;
    }
    return 0;
}

static int resolve_user(kube_config *cfg, kc_doc *d, yaml_node_t *u, const char *name, char *err, size_t errlen) {
    char where[300];
    snprintf(where, sizeof where, "user \"%.200s\"", name);
    const char *token, *token_file, *user, *pass;
    if (map_str(d, u, "token", where, &token, err, errlen) ||
        map_str(d, u, "tokenFile", where, &token_file, err, errlen) ||
        map_str(d, u, "username", where, &user, err, errlen) || map_str(d, u, "password", where, &pass, err, errlen))
        return -1;
    yaml_node_t *ap = map_get(d, u, "auth-provider");
    if (ap) {
        const char *apn = NULL;
        map_str(d, ap, "name", where, &apn, err, errlen);
        snprintf(err, errlen, "kubeconfig %s: %s uses auth-provider \"%s\", which is not supported (use an exec plugin)",
                 d->path, where, apn ? apn : "?");
        return -1;
    }
    cfg->token = kube_strdup0(token);
    cfg->token_file = resolve_path(d, token_file);
    cfg->username = kube_strdup0(user);
    cfg->password = kube_strdup0(pass);
    if (cfg->token_file && !cfg->token) {
        char e2[512];
        char *t = kube_read_regular_file(cfg->token_file, "tokenFile", NULL, e2, sizeof e2);
        if (!t) {
            snprintf(err, errlen, "kubeconfig %s: %s: %s", d->path, where, e2);
            return -1;
        }
        free(t);
    }
    if (pem_field(cfg, d, u, "client-certificate", "client-certificate-data", where, &cfg->client_cert_file, err,
                  errlen) ||
        pem_field(cfg, d, u, "client-key", "client-key-data", where, &cfg->client_key_file, err, errlen))
        return -1;
    if (!cfg->client_cert_file != !cfg->client_key_file) {
        snprintf(err, errlen, "kubeconfig %s: %s has a client %s without a client %s", d->path, where,
                 cfg->client_cert_file ? "certificate" : "key", cfg->client_cert_file ? "key" : "certificate");
        return -1;
    }
    yaml_node_t *x = map_get(d, u, "exec");
    if (x && resolve_exec(cfg, d, x, where, err, errlen)) return -1;
    return 0;
}

static int resolve(kc_set *s, const char *context, kube_config *cfg, char *err, size_t errlen) {
    const char *ctx_name = context && *context ? context : NULL;
    for (size_t i = 0; !ctx_name && i < s->n; i++) {
        if (!s->docs[i].loaded) continue;
        yaml_node_t *root = yaml_document_get_root_node(&s->docs[i].doc);
        if (root && root->type != YAML_MAPPING_NODE) {
            snprintf(err, errlen, "kubeconfig %s line %zu: the document must be a mapping", s->docs[i].path,
                     node_line(root));
            return -1;
        }
        if (map_str(&s->docs[i], root, "current-context", "config", &ctx_name, err, errlen)) return -1;
    }
    if (!ctx_name) {
        snprintf(err, errlen, "kubeconfig %s: no current-context is set (pass --context)", s->names);
        return -1;
    }
    kc_doc *d;
    yaml_node_t *ctx;
    int r = set_find(s, "contexts", "context", ctx_name, &d, &ctx, err, errlen);
    if (r <= 0) {
        if (r == 0) snprintf(err, errlen, "kubeconfig %s: context \"%s\" not found", s->names, ctx_name);
        return -1;
    }
    cfg->context_name = strdup(ctx_name);
    char where[300];
    snprintf(where, sizeof where, "context \"%.200s\"", ctx_name);
    const char *cluster, *user, *ns;
    if (map_str(d, ctx, "cluster", where, &cluster, err, errlen) || map_str(d, ctx, "user", where, &user, err, errlen) ||
        map_str(d, ctx, "namespace", where, &ns, err, errlen))
        return -1;
    cfg->namespace_ = strdup(ns ? ns : "default");
    if (!cluster) {
        snprintf(err, errlen, "kubeconfig %s: %s names no cluster", d->path, where);
        return -1;
    }
    yaml_node_t *node;
    kc_doc *cd;
    r = set_find(s, "clusters", "cluster", cluster, &cd, &node, err, errlen);
    if (r <= 0) {
        if (r == 0)
            snprintf(err, errlen, "kubeconfig %s: %s refers to cluster \"%s\", which is not defined", s->names, where,
                     cluster);
        return -1;
    }
    if (resolve_cluster(cfg, cd, node, cluster, err, errlen)) return -1;
    if (!user) return 0; /* a context without a user talks to the server anonymously */
    r = set_find(s, "users", "user", user, &cd, &node, err, errlen);
    if (r <= 0) {
        if (r == 0)
            snprintf(err, errlen, "kubeconfig %s: %s refers to user \"%s\", which is not defined", s->names, where,
                     user);
        return -1;
    }
    return resolve_user(cfg, cd, node, user, err, errlen);
}

static void set_free(kc_set *s) {
    for (size_t i = 0; i < s->n; i++) {
        if (s->docs[i].loaded) yaml_document_delete(&s->docs[i].doc);
        free(s->docs[i].dir);
    }
    free(s->docs);
    free(s->names);
}

static char *dir_of(const char *path) {
    char *tmp = strdup(path);
    char *out = strdup(dirname(tmp));
    free(tmp);
    return out;
}

int kube_kubeconfig_load_files(const char *const *paths, size_t npaths, bool skip_missing, const char *context,
                               kube_config *cfg, char *err, size_t errlen) {
    kc_set s = {.docs = calloc(npaths ? npaths : 1, sizeof(kc_doc)), .n = npaths};
    size_t namelen = 1, nloaded = 0;
    for (size_t i = 0; i < npaths; i++) namelen += strlen(paths[i]) + 1;
    s.names = calloc(namelen, 1);
    int rc = -1;
    for (size_t i = 0; i < npaths; i++) {
        if (i) strcat(s.names, ":");
        strcat(s.names, paths[i]);
    }
    for (size_t i = 0; i < npaths; i++) {
        kc_doc *d = &s.docs[i];
        d->path = paths[i];
        d->dir = dir_of(paths[i]);
        size_t len;
        char e2[600];
        char *buf = kube_read_file(paths[i], "kubeconfig", &len, e2, sizeof e2);
        if (!buf) {
            if (skip_missing && errno == ENOENT) continue;
            snprintf(err, errlen, "%s", e2);
            goto out;
        }
        int pr = kc_parse(d, buf, len, err, errlen);
        free(buf);
        if (pr) goto out;
        nloaded++;
    }
    if (!nloaded) {
        snprintf(err, errlen, "kubeconfig: none of %s exists", s.names);
        goto out;
    }
    rc = resolve(&s, context, cfg, err, errlen);
out:
    set_free(&s);
    if (rc) kube_err_sanitize(err);
    return rc;
}

int kube_kubeconfig_load_buffer(const char *buf, size_t len, const char *path, const char *context,
                                kube_config *cfg, char *err, size_t errlen) {
    kc_set s = {.docs = calloc(1, sizeof(kc_doc)), .n = 1, .names = strdup(path)};
    s.docs[0].path = path;
    s.docs[0].dir = dir_of(path);
    int rc = kc_parse(&s.docs[0], buf, len, err, errlen);
    if (!rc) rc = resolve(&s, context, cfg, err, errlen);
    set_free(&s);
    if (rc) kube_err_sanitize(err);
    return rc;
}
