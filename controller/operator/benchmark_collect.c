/* operator/benchmark_collect: see benchmark_collect.h. */
#include "operator/benchmark_collect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/cluster_probe.h"

static int b64val(int ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Secret data is standard base64; NULL on malformed input. */
static char *b64decode(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n / 4 * 3 + 4);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; out && i < n; i++) {
        if (s[i] == '=') break;
        int v = b64val((unsigned char)s[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (out) out[o] = '\0';
    return out;
}

static char *secret_value(const json_t *secret, const char *key) {
    const char *v = json_string_value(json_object_get(json_object_get(secret, "data"), key));
    if (v) return b64decode(v);
    v = json_string_value(json_object_get(json_object_get(secret, "stringData"), key));
    return v ? strdup(v) : NULL;
}

int secret_credentials(kube_client *c, const char *ns, const char *name, const char *password_key,
                       const char *username_key, bench_credentials *creds, char *reason, size_t rlen, char *msg,
                       size_t mlen) {
    memset(creds, 0, sizeof *creds);
    json_t *secret = NULL;
    kube_status st = {0};
    if (kube_get(c, &KUBE_SECRETS, ns, name, &secret, &st) != 0) {
        int rc = kube_is_not_found(&st) ? 1 : -1;
        snprintf(reason, rlen, "SecretNotFound");
        if (rc == 1)
            snprintf(msg, mlen, "waiting for Secret %s/%s (spec.auth.secretName)", ns, name);
        else
            snprintf(msg, mlen, "reading Secret %s/%s: %s", ns, name, st.message);
        kube_status_clear(&st);
        return rc;
    }
    bool want_user = username_key && *username_key;
    creds->password = secret_value(secret, password_key);
    if (want_user) creds->username = secret_value(secret, username_key);
    json_decref(secret);
    const char *missing = !creds->password ? password_key : (want_user && !creds->username) ? username_key : NULL;
    if (missing) {
        snprintf(reason, rlen, "SecretKeyNotFound");
        snprintf(msg, mlen, "waiting for key \"%s\" in Secret %s/%s", missing, ns, name);
        bench_credentials_free(creds);
        return 1;
    }
    return 0;
}

int bench_read_credentials(kube_client *c, const bench_spec *spec, bench_credentials *creds, char *reason,
                           size_t rlen, char *msg, size_t mlen) {
    memset(creds, 0, sizeof *creds);
    if (!spec->auth_secret[0]) return 0;
    return secret_credentials(c, spec->namespace_, spec->auth_secret, spec->password_key, spec->username_key, creds,
                              reason, rlen, msg, mlen);
}

void bench_credentials_free(bench_credentials *creds) {
    if (creds->password) explicit_bzero(creds->password, strlen(creds->password));
    if (creds->username) explicit_bzero(creds->username, strlen(creds->username));
    free(creds->password);
    free(creds->username);
    creds->password = creds->username = NULL;
}

static const json_t *find_pod(const json_t *pods, const char *name) {
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        const char *n = json_string_value(json_object_get(json_object_get(p, "metadata"), "name"));
        if (n && !strcmp(n, name)) return p;
    }
    return NULL;
}

static const char *termination_message(const json_t *pod) {
    const json_t *cs = json_array_get(json_object_get(json_object_get(pod, "status"), "containerStatuses"), 0);
    return json_string_value(json_object_get(json_object_get(json_object_get(cs, "state"), "terminated"), "message"));
}

static int collect_one(kube_client *c, const char *ns, const json_t *pod, const char *name, runner_result *r,
                       char *err, size_t errlen) {
    const char *msg = termination_message(pod);
    results_msg info;
    char why[512];
    if (!msg || results_decode_message(msg, strlen(msg), r, &info, why, sizeof why) != 0) {
        snprintf(err, errlen, "runner %s: unreadable results: %s", name, msg ? why : "no termination message");
        return -1;
    }
    if (info.kind == RESULTS_MSG_ERROR) {
        snprintf(err, errlen, "runner %s: %s", name, info.error);
        return -1;
    }
    if (info.kind == RESULTS_MSG_FULL) return 0;
    char *log = NULL;
    size_t len = 0;
    kube_status st = {0};
    if (kube_pod_log(c, ns, name, NULL, &log, &len, &st) != 0) {
        snprintf(err, errlen, "runner %s: reading its log for the results: %s", name, st.message);
        kube_status_clear(&st);
        return -1;
    }
    int rc = results_decode_log(log, len, &info, r, why, sizeof why);
    if (rc != 0) snprintf(err, errlen, "runner %s: %s", name, why);
    free(log);
    return rc;
}

int bench_collect_results(kube_client *c, const char *ns, const run_obs *obs, const json_t *pods,
                          merged_results *out, char *err, size_t errlen) {
    results_merged_init(out);
    runner_result *r = malloc(sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (int k = 0; k < obs->n && rc == 0; k++) {
        const char *name = obs->runners[k].pod;
        const json_t *pod = find_pod(pods, name);
        rc = pod ? collect_one(c, ns, pod, name, r, err, errlen) : -1;
        if (!pod) snprintf(err, errlen, "runner %s: pod gone before its results were read", name);
        if (rc == 0 && r->runner != k) {
            snprintf(err, errlen, "runner %s reported index %d", name, r->runner);
            rc = -1;
        }
        if (rc == 0) rc = results_merge_runner(out, r, err, errlen);
    }
    free(r);
    return rc;
}

void bench_cluster_status(const bench_spec *spec, const bench_credentials *creds,
                          const char *(*node_name)(const char *host, void *ud), void *ud, json_t **key_counts,
                          json_t **cluster_check) {
    probe_result *p = calloc(1, sizeof *p);
    char err[512];
    *key_counts = json_array();
    if (!p || cluster_probe(spec->host, spec->port, creds->username, creds->password, p, err, sizeof err) != 0) {
        *cluster_check = json_pack("{s:b, s:b, s:s}", "slotsCovered", 0, "nodesAgree", 0, "message",
                                   p ? err : "out of memory");
        if (p) cluster_probe_free(p);
        free(p);
        return;
    }
    for (size_t i = 0; i < p->topo.nnodes; i++) {
        const topo_node *n = &p->topo.nodes[i];
        if (!n->is_primary || n->slot_count == 0) continue;
        const char *pod = node_name ? node_name(n->host, ud) : NULL;
        char addr[300];
        snprintf(addr, sizeof addr, "%s:%d", n->host, n->port);
        json_array_append_new(*key_counts,
                              json_pack("{s:s, s:I}", "node", pod ? pod : addr, "keys", (json_int_t)n->keys));
    }
    *cluster_check = json_pack("{s:b, s:b, s:s}", "slotsCovered", p->all_slots_covered, "nodesAgree", p->nodes_agree,
                               "message", p->message);
    cluster_probe_free(p);
    free(p);
}
