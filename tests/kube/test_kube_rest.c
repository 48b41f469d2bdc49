/* Integration tests of the kube client against tests/kubesim over HTTPS with a bearer token.
 * Run by kube_rest_it.sh, which starts kubesim and sets VB_KUBESIM_DIR (its --dir: kubeconfig,
 * admin-token, ...). Waits are bounded polls; no test asserts an upper time limit. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/kube_internal.h"

static char simdir[512];
static kube_config *cfg;
static kube_client *cli, *admin;
static const char *NS;
static const kube_resource WIDGETS = {"example.com", "v1", "widgets", true};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *sim_file(const char *name) {
    char p[700], err[256];
    snprintf(p, sizeof p, "%s/%s", simdir, name);
    char *s = kube_read_file(p, name, NULL, err, sizeof err);
    if (!s) fail_msg("%s", err);
    s[strcspn(s, "\r\n")] = '\0';
    return s;
}

static void must(int rc, kube_status *st, const char *what) {
    if (rc) fail_msg("%s: %ld %s: %s", what, st->code, st->reason, st->message);
}

static void fault(const char *action, const char *body) {
    kube_status st = {0};
    char path[128];
    snprintf(path, sizeof path, "/_kubesim/%s", action);
    json_t *b = body ? json_loads(body, 0, NULL) : json_object();
    must(kube_request(admin, "POST", path, NULL, b, NULL, &st), &st, action);
    json_decref(b);
    kube_status_clear(&st);
}

static json_t *configmap(const char *name, const char *labels_json) {
    json_t *o = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name",
                          name, "data", "a", "1");
    if (labels_json) json_object_set_new(json_object_get(o, "metadata"), "labels", json_loads(labels_json, 0, NULL));
    return o;
}

static json_t *create_cm(const char *name, const char *labels_json) {
    kube_status st = {0};
    json_t *o = configmap(name, labels_json), *out = NULL;
    must(kube_create(cli, &KUBE_CONFIGMAPS, NS, o, &out, &st), &st, name);
    json_decref(o);
    return out;
}

static const char *rv_of(json_t *o) {
    return json_string_value(json_object_get(json_object_get(o, "metadata"), "resourceVersion"));
}

static int setup(void **state) {
    (void)state;
    const char *d = getenv("VB_KUBESIM_DIR");
    if (!d) {
        fprintf(stderr, "VB_KUBESIM_DIR is not set (run through kube_rest_it.sh)\n");
        return -1;
    }
    snprintf(simdir, sizeof simdir, "%s", d);
    /* How any test builds a client from kubesim's kubeconfig: */
    char path[700], err[512];
    snprintf(path, sizeof path, "%s/kubeconfig", simdir);
    kube_config_opts o = {.kubeconfig_path = path};
    if (kube_config_load(&o, &cfg, err, sizeof err) || !(cli = kube_client_new(cfg, err, sizeof err))) {
        fprintf(stderr, "client: %s\n", err);
        return -1;
    }
    NS = cfg->namespace_;
    kube_config *ac = kube_config_dup(cfg);
    free(ac->token);
    ac->token = sim_file("admin-token");
    admin = kube_client_new(ac, err, sizeof err);
    kube_config_free(ac);
    return admin ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    kube_client_free(admin);
    kube_client_free(cli);
    kube_config_free(cfg);
    return 0;
}

/* ---- CRUD and Status errors ---- */

static void test_version_and_crud(void **state) {
    (void)state;
    kube_status st = {0};
    json_t *v = NULL;
    must(kube_request(cli, "GET", "/version", NULL, NULL, &v, &st), &st, "version");
    assert_string_equal(json_string_value(json_object_get(v, "major")), "1");
    json_decref(v);

    json_t *created = create_cm("crud-1", "{\"app\":\"t\"}");
    assert_non_null(rv_of(created));
    json_t *got = NULL;
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "crud-1", &got, &st), &st, "get");
    assert_string_equal(rv_of(got), rv_of(created));
    json_object_set_new(json_object_get(got, "data"), "a", json_string("2"));
    json_t *upd = NULL;
    must(kube_update(cli, &KUBE_CONFIGMAPS, NS, "crud-1", got, &upd, &st), &st, "update");
    assert_string_equal(json_string_value(json_object_get(json_object_get(upd, "data"), "a")), "2");
    assert_string_not_equal(rv_of(upd), rv_of(created));

    /* merge patch, then JSON patch */
    json_t *mp = json_pack("{s:{s:s}}", "data", "b", "3"), *p1 = NULL;
    must(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "crud-1", NULL, KUBE_PATCH_MERGE, mp, &p1, &st), &st, "merge");
    assert_string_equal(json_string_value(json_object_get(json_object_get(p1, "data"), "b")), "3");
    json_t *jp = json_loads("[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"2\"},"
                            "{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"4\"},"
                            "{\"op\":\"remove\",\"path\":\"/data/b\"}]",
                            0, NULL),
           *p2 = NULL;
    must(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "crud-1", NULL, KUBE_PATCH_JSON, jp, &p2, &st), &st, "json patch");
    json_t *data = json_object_get(p2, "data");
    assert_string_equal(json_string_value(json_object_get(data, "c")), "4");
    assert_null(json_object_get(data, "b"));
    /* a failing JSON patch test op is 422 */
    json_t *bad = json_loads("[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"nope\"}]", 0, NULL);
    assert_int_equal(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "crud-1", NULL, KUBE_PATCH_JSON, bad, NULL, &st), -1);
    assert_true(kube_is_invalid(&st));

    json_t *del = NULL;
    must(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "crud-1", KUBE_PROPAGATION_DEFAULT, &del, &st), &st, "delete");
    assert_non_null(del);
    assert_int_equal(kube_get(cli, &KUBE_CONFIGMAPS, NS, "crud-1", NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    assert_int_equal(st.code, 404);
    assert_non_null(strstr(st.message, "crud-1"));
    json_t *objs[] = {created, got, upd, mp, p1, jp, p2, bad, del};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++) json_decref(objs[i]);
    kube_status_clear(&st);
}

static void test_status_errors(void **state) {
    (void)state;
    kube_status st = {0};
    json_t *first = create_cm("err-1", NULL);
    /* AlreadyExists */
    json_t *again = configmap("err-1", NULL);
    assert_int_equal(kube_create(cli, &KUBE_CONFIGMAPS, NS, again, NULL, &st), -1);
    assert_int_equal(st.code, 409);
    assert_true(kube_is_already_exists(&st));
    assert_false(kube_is_conflict(&st));
    /* Conflict on a stale PUT, resolved by re-reading */
    json_t *stale = json_deep_copy(first), *cur = NULL;
    json_object_set_new(json_object_get(first, "data"), "a", json_string("x"));
    must(kube_update(cli, &KUBE_CONFIGMAPS, NS, "err-1", first, NULL, &st), &st, "update 1");
    json_object_set_new(json_object_get(stale, "data"), "a", json_string("y"));
    assert_int_equal(kube_update(cli, &KUBE_CONFIGMAPS, NS, "err-1", stale, NULL, &st), -1);
    assert_int_equal(st.code, 409);
    assert_true(kube_is_conflict(&st));
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "err-1", &cur, &st), &st, "re-read");
    json_object_set_new(json_object_get(cur, "data"), "a", json_string("y"));
    json_t *ok = NULL;
    must(kube_update(cli, &KUBE_CONFIGMAPS, NS, "err-1", cur, &ok, &st), &st, "update after re-read");
    assert_string_equal(json_string_value(json_object_get(json_object_get(ok, "data"), "a")), "y");
    /* Invalid with causes */
    json_t *badname = configmap("Bad_Name", NULL);
    assert_int_equal(kube_create(cli, &KUBE_CONFIGMAPS, NS, badname, NULL, &st), -1);
    assert_int_equal(st.code, 422);
    assert_true(kube_is_invalid(&st));
    assert_non_null(st.causes);
    assert_true(json_array_size(st.causes) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(st.causes, 0), "field")), "metadata.name");
    /* a path the server does not route: plain-text 404 */
    const kube_resource gizmos = {"example.com", "v1", "gizmos", true};
    assert_int_equal(kube_get(cli, &gizmos, NS, "g", NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    assert_string_equal(st.message, "404 page not found");
    /* NotFound for PATCH and DELETE too */
    json_t *mp = json_pack("{s:{s:s}}", "data", "b", "3");
    assert_int_equal(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "missing-x", NULL, KUBE_PATCH_MERGE, mp, NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    assert_int_equal(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "missing-x", KUBE_PROPAGATION_BACKGROUND, NULL, &st),
                     -1);
    assert_true(kube_is_not_found(&st));
    json_t *objs[] = {first, again, stale, cur, ok, badname, mp};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++) json_decref(objs[i]);
    kube_status_clear(&st);
}

/* ---- auth and TLS ---- */

static void test_bad_token_and_tls(void **state) {
    (void)state;
    char err[512];
    kube_status st = {0};
    kube_config *c2 = kube_config_dup(cfg);
    free(c2->token);
    c2->token = strdup("not-a-valid-token");
    kube_client *bad = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(bad, &KUBE_CONFIGMAPS, NS, "x", NULL, &st), -1);
    assert_int_equal(st.code, 401);
    assert_true(kube_is_unauthorized(&st));
    assert_null(strstr(st.message, "not-a-valid-token"));
    kube_client_free(bad);
    /* verification is on by default: without the CA, the self-signed server is refused */
    free(c2->token);
    c2->token = strdup(cfg->token);
    free(c2->ca_file);
    c2->ca_file = NULL;
    bad = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(bad, &KUBE_CONFIGMAPS, NS, "x", NULL, &st), -1);
    assert_int_equal(st.code, 0);
    assert_string_equal(st.reason, "TransportError");
    kube_client_free(bad);
    /* ... unless insecure-skip-tls-verify */
    c2->insecure_skip_tls_verify = true;
    bad = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(bad, &KUBE_CONFIGMAPS, NS, "x", NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    kube_client_free(bad);
    /* tls-server-name: verified against that name while connecting to 127.0.0.1 */
    c2->insecure_skip_tls_verify = false;
    c2->ca_file = strdup(cfg->ca_file);
    c2->tls_server_name = strdup("kubernetes.default.svc");
    bad = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(bad, &KUBE_CONFIGMAPS, NS, "x", NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    kube_client_free(bad);
    free(c2->tls_server_name);
    c2->tls_server_name = strdup("wrong.example.com");
    bad = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(bad, &KUBE_CONFIGMAPS, NS, "x", NULL, &st), -1);
    assert_string_equal(st.reason, "TransportError");
    kube_client_free(bad);
    kube_config_free(c2);
    kube_status_clear(&st);
}

/* An exec plugin whose first token is stale: the 401 re-runs it once and the request succeeds. */
static void test_exec_plugin_refresh_on_401(void **state) {
    (void)state;
    char path[700], script[700], yaml[4096], err[512];
    snprintf(script, sizeof script, "%s/plugin.sh", simdir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f,
            "#!/bin/sh\n"
            "n=$(cat \"$0.runs\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$0.runs\"\n"
            "tok=$(cat '%s/token'); [ $n -eq 1 ] && tok=stale-token\n"
            "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
            "\"status\":{\"token\":\"'$tok'\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}'\n",
            simdir);
    fclose(f);
    chmod(script, 0755);
    char *ca = sim_file("ca.crt");
    free(ca);
    snprintf(yaml, sizeof yaml,
             "current-context: x\n"
             "clusters: [{name: x, cluster: {server: '%s', certificate-authority: ca.crt}}]\n"
             "contexts: [{name: x, context: {cluster: x, user: x, namespace: %s}}]\n"
             "users: [{name: x, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh,"
             " interactiveMode: Never}}}]\n",
             cfg->server, NS);
    snprintf(path, sizeof path, "%s/exec-kubeconfig", simdir);
    f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    kube_config_opts o = {.kubeconfig_path = path};
    kube_config *c2;
    if (kube_config_load(&o, &c2, err, sizeof err)) fail_msg("%s", err);
    kube_client *k = kube_client_new(c2, err, sizeof err);
    kube_status st = {0};
    assert_int_equal(kube_get(k, &KUBE_CONFIGMAPS, NS, "missing-y", NULL, &st), -1);
    assert_true(kube_is_not_found(&st)); /* authenticated after the refresh */
    char *runs = sim_file("plugin.sh.runs");
    assert_string_equal(runs, "2");
    free(runs);
    kube_client_free(k);
    kube_config_free(c2);
    /* the refresh itself fails: the 401 says why */
    f = fopen(script, "w");
    fprintf(f, "#!/bin/sh\n"
               "n=$(cat \"$0.runs2\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$0.runs2\"\n"
               "[ $n -gt 1 ] && { echo 'error: SSO session expired, run aws sso login' >&2; exit 255; }\n"
               "echo '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\","
               "\"status\":{\"token\":\"stale-token\"}}'\n");
    fclose(f);
    if (kube_config_load(&o, &c2, err, sizeof err)) fail_msg("%s", err);
    k = kube_client_new(c2, err, sizeof err);
    assert_int_equal(kube_get(k, &KUBE_CONFIGMAPS, NS, "missing-y", NULL, &st), -1);
    assert_true(kube_is_unauthorized(&st));
    assert_non_null(strstr(st.message, "SSO session expired"));
    assert_non_null(strstr(st.message, "exit status 255"));
    kube_client_free(k);
    kube_config_free(c2);
    kube_status_clear(&st);
}

/* tokenFile: a rotated file is picked up by the next request, over HTTPS. */
static void test_token_file_rotation(void **state) {
    (void)state;
    char path[700], tok[700], tmp[720], err[512];
    snprintf(tok, sizeof tok, "%s/rotating-token", simdir);
    snprintf(tmp, sizeof tmp, "%s.new", tok);
    FILE *f = fopen(tok, "w");
    fputs("old-revoked-token\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/tokenfile-kubeconfig", simdir);
    f = fopen(path, "w");
    fprintf(f,
            "current-context: x\n"
            "clusters: [{name: x, cluster: {server: '%s', certificate-authority: ca.crt}}]\n"
            "contexts: [{name: x, context: {cluster: x, user: x}}]\n"
            "users: [{name: x, user: {tokenFile: rotating-token}}]\n",
            cfg->server);
    fclose(f);
    kube_config_opts o = {.kubeconfig_path = path};
    kube_config *c2;
    if (kube_config_load(&o, &c2, err, sizeof err)) fail_msg("%s", err);
    kube_client *k = kube_client_new(c2, err, sizeof err);
    kube_status st = {0};
    assert_int_equal(kube_get(k, &KUBE_CONFIGMAPS, NS, "missing-z", NULL, &st), -1);
    assert_true(kube_is_unauthorized(&st)); /* re-read after the 401: still the old token */
    f = fopen(tmp, "w"); /* rotate as the kubelet does: a new file swapped in */
    fprintf(f, "%s\n", cfg->token);
    fclose(f);
    assert_int_equal(rename(tmp, tok), 0);
    assert_int_equal(kube_get(k, &KUBE_CONFIGMAPS, NS, "missing-z", NULL, &st), -1);
    assert_true(kube_is_not_found(&st));
    kube_client_free(k);
    kube_config_free(c2);
    kube_status_clear(&st);
}

/* ---- lists ---- */

static void test_list_selectors_and_pages(void **state) {
    (void)state;
    kube_status st = {0};
    for (int i = 0; i < 7; i++) {
        char name[32], labels[96];
        snprintf(name, sizeof name, "page-%d", i);
        snprintf(labels, sizeof labels, "{\"set\":\"page\",\"idx\":\"%d\",\"parity\":\"%s\"}", i,
                 i % 2 ? "odd" : "even");
        json_decref(create_cm(name, labels));
    }
    json_t *l = NULL;
    kube_list_opts o = {.label_selector = "set=page"};
    must(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), &st, "list");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 7);
    const char *listrv = json_string_value(json_object_get(json_object_get(l, "metadata"), "resourceVersion"));
    assert_non_null(listrv);
    json_decref(l);
    o = (kube_list_opts){.label_selector = "set=page,idx in (1,2,3),parity!=even"};
    must(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), &st, "list in");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
    json_decref(l);
    o = (kube_list_opts){.label_selector = "set=page", .field_selector = "metadata.name=page-4"};
    must(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), &st, "field selector");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);
    /* pagination: 7 items in pages of 2, merged, no continue left */
    o = (kube_list_opts){.label_selector = "set=page", .limit = 2};
    must(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), &st, "paged");
    json_t *items = json_object_get(l, "items");
    assert_int_equal(json_array_size(items), 7);
    for (int i = 0; i < 7; i++) {
        char name[32];
        snprintf(name, sizeof name, "page-%d", i);
        bool found = false;
        size_t j;
        json_t *it;
        json_array_foreach(items, j, it) {
            found = found || !strcmp(json_string_value(json_object_get(json_object_get(it, "metadata"), "name")), name);
        }
        assert_true(found);
    }
    assert_null(json_object_get(json_object_get(l, "metadata"), "continue"));
    json_decref(l);
    /* all namespaces (ns NULL) */
    o = (kube_list_opts){.label_selector = "set=page"};
    must(kube_list(cli, &KUBE_CONFIGMAPS, NULL, &o, &l, &st), &st, "all namespaces");
    assert_int_equal(json_array_size(json_object_get(l, "items")), 7);
    json_decref(l);
    /* an invalid selector is a 400 */
    o = (kube_list_opts){.label_selector = "env in (prod"};
    assert_int_equal(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), -1);
    assert_int_equal(st.code, 400);
    kube_status_clear(&st);
}

/* ---- delete propagation ---- */

static json_t *child_of(const char *name, json_t *owner) {
    json_t *o = configmap(name, NULL);
    json_t *md = json_object_get(owner, "metadata");
    json_object_set_new(json_object_get(o, "metadata"), "ownerReferences",
                        json_pack("[{s:s, s:s, s:O, s:O, s:b}]", "apiVersion", "v1", "kind", "ConfigMap", "name",
                                  json_object_get(md, "name"), "uid", json_object_get(md, "uid"),
                                  "blockOwnerDeletion", 1));
    kube_status st = {0};
    json_t *out = NULL;
    must(kube_create(cli, &KUBE_CONFIGMAPS, NS, o, &out, &st), &st, name);
    json_decref(o);
    return out;
}

/* Polls (bounded) until `name` is gone; returns whether it went. */
static bool wait_gone(const char *name) {
    kube_status st = {0};
    for (int i = 0; i < 400; i++) {
        json_t *o = NULL;
        int rc = kube_get(cli, &KUBE_CONFIGMAPS, NS, name, &o, &st);
        json_decref(o);
        if (rc && kube_is_not_found(&st)) return true;
        sleep_ms(50);
    }
    return false;
}

static void test_delete_propagation(void **state) {
    (void)state;
    kube_status st = {0};
    /* Background: owner gone at once, child collected */
    json_t *owner = create_cm("bg-owner", NULL), *child = child_of("bg-child", owner), *out = NULL;
    must(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "bg-owner", KUBE_PROPAGATION_BACKGROUND, &out, &st), &st, "bg");
    assert_true(wait_gone("bg-owner"));
    assert_true(wait_gone("bg-child"));
    json_decref(owner);
    json_decref(child);
    json_decref(out);
    /* Foreground: the owner is only marked, with the foregroundDeletion finalizer */
    owner = create_cm("fg-owner", NULL);
    child = child_of("fg-child", owner);
    must(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "fg-owner", KUBE_PROPAGATION_FOREGROUND, &out, &st), &st, "fg");
    json_t *md = json_object_get(out, "metadata");
    assert_non_null(json_object_get(md, "deletionTimestamp"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "finalizers"), 0)), "foregroundDeletion");
    assert_true(wait_gone("fg-child"));
    assert_true(wait_gone("fg-owner"));
    json_decref(owner);
    json_decref(child);
    json_decref(out);
    /* Orphan: the child stays, without its owner reference */
    owner = create_cm("or-owner", NULL);
    child = child_of("or-child", owner);
    must(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "or-owner", KUBE_PROPAGATION_ORPHAN, &out, &st), &st, "orphan");
    assert_true(wait_gone("or-owner"));
    json_t *c = NULL;
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "or-child", &c, &st), &st, "orphan child");
    assert_null(json_object_get(json_object_get(c, "metadata"), "ownerReferences"));
    json_decref(c);
    json_decref(owner);
    json_decref(child);
    json_decref(out);
    kube_status_clear(&st);
}

/* ---- retries and fault injection ---- */

static void test_retry_after_honoured(void **state) {
    (void)state;
    kube_status st = {0};
    json_decref(create_cm("rl-1", NULL));
    fault("fail", "{\"count\":2,\"code\":429,\"retryAfter\":1,\"path\":\"/configmaps/rl-1\"}");
    double t0 = now_s();
    json_t *o = NULL;
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "rl-1", &o, &st), &st, "get through two 429s");
    double waited = now_s() - t0;
    printf("# two 429 Retry-After: 1 answers, then 200, after %.3f s\n", waited);
    assert_true(waited >= 2.0); /* both Retry-After waits were honoured */
    json_decref(o);
    /* retries exhausted: the last 429 comes back with its Retry-After */
    kube_client_set_max_retries(cli, 1);
    fault("fail", "{\"count\":2,\"code\":429,\"retryAfter\":1,\"path\":\"/configmaps/rl-1\"}");
    assert_int_equal(kube_get(cli, &KUBE_CONFIGMAPS, NS, "rl-1", NULL, &st), -1);
    assert_int_equal(st.code, 429);
    assert_int_equal(st.retry_after_s, 1);
    kube_client_set_max_retries(cli, 5);
    /* 5xx on a GET is retried */
    fault("fail", "{\"count\":2,\"code\":500,\"path\":\"/configmaps/rl-1\"}");
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "rl-1", NULL, &st), &st, "get through two 500s");
    kube_status_clear(&st);
}

static void test_no_retry_of_post_or_patch(void **state) {
    (void)state;
    kube_status st = {0};
    /* one injected 503 for the POST: it must come back, not be retried */
    fault("fail", "{\"count\":1,\"code\":503,\"retryAfter\":1,\"path\":\"/namespaces/default/configmaps\"}");
    json_t *o = configmap("np-1", NULL);
    assert_int_equal(kube_create(cli, &KUBE_CONFIGMAPS, NS, o, NULL, &st), -1);
    assert_int_equal(st.code, 503);
    /* the fault was used up by exactly one request: the next POST goes through */
    must(kube_create(cli, &KUBE_CONFIGMAPS, NS, o, NULL, &st), &st, "create after 503");
    fault("fail", "{\"count\":1,\"code\":429,\"retryAfter\":1,\"path\":\"/configmaps/np-1\"}");
    json_t *mp = json_pack("{s:{s:s}}", "data", "z", "1");
    assert_int_equal(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "np-1", NULL, KUBE_PATCH_MERGE, mp, NULL, &st), -1);
    assert_int_equal(st.code, 429);
    must(kube_patch(cli, &KUBE_CONFIGMAPS, NS, "np-1", NULL, KUBE_PATCH_MERGE, mp, NULL, &st), &st, "patch");
    json_decref(o);
    json_decref(mp);
    kube_status_clear(&st);
}

/* The pool keeps one connection alive across sequential requests. */
static void test_connection_reuse(void **state) {
    (void)state;
    kube_status st = {0};
    json_decref(create_cm("reuse-1", NULL));
    long before = atomic_load(&cli->connects);
    for (int i = 0; i < 20; i++) must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "reuse-1", NULL, &st), &st, "get");
    long opened = atomic_load(&cli->connects) - before;
    printf("# 20 sequential GETs opened %ld new connection(s)\n", opened);
    assert_true(opened <= 1);
    kube_status_clear(&st);
}

/* Every non-watch request has a timeout, and a timed-out GET is not retried blindly. */
static void test_request_timeout(void **state) {
    (void)state;
    kube_status st = {0};
    json_decref(create_cm("slow-1", NULL));
    fault("delay", "{\"count\":1,\"seconds\":3,\"path\":\"/configmaps/slow-1\"}");
    kube_client_set_timeout_ms(cli, 300);
    assert_int_equal(kube_get(cli, &KUBE_CONFIGMAPS, NS, "slow-1", NULL, &st), -1);
    kube_client_set_timeout_ms(cli, 30000);
    assert_int_equal(st.code, 0);
    assert_string_equal(st.reason, "TransportError");
    assert_non_null(strstr(st.message, "slow-1"));
    must(kube_get(cli, &KUBE_CONFIGMAPS, NS, "slow-1", NULL, &st), &st, "get after the delay");
    kube_status_clear(&st);
}

/* A POST that could not connect (server down) is retried: it never reached the server.
 * A fresh client, so that no pooled connection to the old server is involved (a request on
 * such a connection may have reached the server and must not be resent: test_kube_stub). */
static void test_post_retried_on_connect_failure(void **state) {
    (void)state;
    char err[512];
    kube_status st = {0};
    fault("restart", "{\"wipe\":false,\"downtime\":3}");
    bool down = false;
    for (int i = 0; i < 200 && !down; i++) {
        /* a new client each time: a pooled connection could still reach the old server */
        kube_client *once = kube_client_new(cfg, err, sizeof err);
        kube_client_set_max_retries(once, 0);
        /* connection refused only: "SSL_connect ... in connection to" is the old server */
        down = kube_get(once, &KUBE_CONFIGMAPS, NS, "x", NULL, &st) != 0 && st.code == 0 &&
               (strstr(st.message, "Failed to connect") || strstr(st.message, "Couldn't connect"));
        kube_client_free(once);
        if (!down) sleep_ms(20);
    }
    assert_true(down);
    kube_client *fresh = kube_client_new(cfg, err, sizeof err);
    kube_client_set_max_retries(fresh, 8);
    long before = atomic_load(&fresh->connects);
    json_t *o = configmap("after-restart", NULL);
    int rc = kube_create(fresh, &KUBE_CONFIGMAPS, NS, o, NULL, &st);
    long connects = atomic_load(&fresh->connects) - before;
    json_decref(o);
    kube_client_free(fresh); /* before asserting: a failure must not also report leaks */
    must(rc, &st, "create while the server restarts");
    assert_true(connects >= 1);
    kube_status_clear(&st);
}

/* ---- watch ---- */

typedef struct {
    pthread_mutex_t lock;
    char types[256][12];
    char names[256][32];
    char rvs[256][24];
    int n;
    const char *stop_type; /* stop after the first event of this type (and name, if set) */
    const char *stop_name;
    kube_status error; /* object of an ERROR event */
} events;

static int on_event(const char *type, json_t *obj, void *ud) {
    events *e = ud;
    json_t *md = json_object_get(obj, "metadata");
    const char *name = json_string_value(json_object_get(md, "name"));
    pthread_mutex_lock(&e->lock);
    if (e->n < 256) {
        snprintf(e->types[e->n], sizeof e->types[0], "%s", type);
        snprintf(e->names[e->n], sizeof e->names[0], "%s", name ? name : "");
        snprintf(e->rvs[e->n], sizeof e->rvs[0], "%s", rv_of(obj) ? rv_of(obj) : "");
        e->n++;
    }
    pthread_mutex_unlock(&e->lock);
    if (!strcmp(type, "ERROR")) kube_status_from_json(&e->error, obj);
    return e->stop_type && !strcmp(type, e->stop_type) && (!e->stop_name || (name && !strcmp(name, e->stop_name)));
}

typedef struct {
    kube_list_opts opts;
    events ev;
    atomic_bool cancel;
    int rc;
    kube_status st;
    double ended;
    pthread_t th;
} watcher;

static void *watch_thread(void *arg) {
    watcher *w = arg;
    w->rc = kube_watch(cli, &KUBE_CONFIGMAPS, NS, &w->opts, on_event, &w->ev, &w->cancel, &w->st);
    w->ended = now_s();
    return NULL;
}

static void watch_start(watcher *w) {
    pthread_mutex_init(&w->ev.lock, NULL);
    atomic_init(&w->cancel, false);
    pthread_create(&w->th, NULL, watch_thread, w);
}

static void watch_join(watcher *w) {
    pthread_join(w->th, NULL);
    pthread_mutex_destroy(&w->ev.lock);
    kube_status_clear(&w->ev.error);
    kube_status_clear(&w->st);
}

static char *list_rv(const char *selector) {
    kube_status st = {0};
    kube_list_opts o = {.label_selector = selector};
    json_t *l = NULL;
    must(kube_list(cli, &KUBE_CONFIGMAPS, NS, &o, &l, &st), &st, "list");
    char *rv = strdup(json_string_value(json_object_get(json_object_get(l, "metadata"), "resourceVersion")));
    json_decref(l);
    return rv;
}

static void test_watch_events(void **state) {
    (void)state;
    kube_status st = {0};
    char *rv = list_rv("w=ev");
    watcher w = {.opts = {.label_selector = "w=ev", .resource_version = rv, .timeout_seconds = 60}};
    w.ev.stop_type = "DELETED";
    watch_start(&w);
    json_t *o = create_cm("w-ev-1", "{\"w\":\"ev\"}");
    json_object_set_new(json_object_get(o, "data"), "a", json_string("changed"));
    must(kube_update(cli, &KUBE_CONFIGMAPS, NS, "w-ev-1", o, NULL, &st), &st, "update");
    json_decref(create_cm("w-other", "{\"w\":\"other\"}")); /* outside the selector */
    must(kube_delete(cli, &KUBE_CONFIGMAPS, NS, "w-ev-1", KUBE_PROPAGATION_DEFAULT, NULL, &st), &st, "delete");
    watch_join(&w);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.ev.n, 3);
    assert_string_equal(w.ev.types[0], "ADDED");
    assert_string_equal(w.ev.types[1], "MODIFIED");
    assert_string_equal(w.ev.types[2], "DELETED");
    for (int i = 0; i < 3; i++) assert_string_equal(w.ev.names[i], "w-ev-1");
    json_decref(o);
    free(rv);
    kube_status_clear(&st);
}

static void test_watch_bookmark(void **state) {
    (void)state;
    char *rv = list_rv("w=bm");
    watcher w = {.opts = {.label_selector = "w=bm", .resource_version = rv, .timeout_seconds = 30,
                          .allow_bookmarks = true}};
    w.ev.stop_type = "BOOKMARK";
    watch_start(&w);
    watch_join(&w);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.ev.n, 1);
    assert_string_equal(w.ev.types[0], "BOOKMARK");
    assert_true(strlen(w.ev.rvs[0]) > 0);
    free(rv);
}

static void test_watch_410(void **state) {
    (void)state;
    char *old = list_rv("w=gone");
    json_decref(create_cm("w-gone-1", "{\"w\":\"gone\"}"));
    fault("expire-history", NULL);
    watcher w = {.opts = {.label_selector = "w=gone", .resource_version = old, .timeout_seconds = 30}};
    w.ev.stop_type = "ERROR";
    watch_start(&w);
    pthread_join(w.th, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.ev.n, 1);
    assert_string_equal(w.ev.types[0], "ERROR");
    assert_int_equal(w.ev.error.code, 410);
    assert_true(kube_is_gone(&w.ev.error));
    watch_join(&w);
    free(old);
}

static void test_watch_cancel_and_drop(void **state) {
    (void)state;
    char *rv = list_rv("w=idle");
    watcher w = {.opts = {.label_selector = "w=idle", .resource_version = rv, .timeout_seconds = 120}};
    watch_start(&w);
    sleep_ms(500);
    double t0 = now_s();
    atomic_store(&w.cancel, true);
    pthread_join(w.th, NULL);
    printf("# idle watch returned %.1f ms after cancel\n", (w.ended - t0) * 1000);
    assert_int_equal(w.rc, 0);
    assert_int_equal(w.ev.n, 0);
    pthread_mutex_destroy(&w.ev.lock);
    kube_status_clear(&w.st);
    /* the server dropping every watch ends the call (the informer then resumes) */
    watcher d = {.opts = {.label_selector = "w=idle", .resource_version = rv, .timeout_seconds = 120}};
    watch_start(&d);
    sleep_ms(500);
    fault("drop-watches", NULL);
    watch_join(&d);
    assert_int_equal(d.ev.n, 0);
    free(rv);
}

/* ---- pods/log and the status subresource ---- */

/* True when kubesim runs without its kubelet module (pods are never started then). */
static bool kubelet_missing(void) {
    kube_status st = {0};
    json_t *state = NULL;
    must(kube_request(admin, "GET", "/_kubesim/state", NULL, NULL, &state, &st), &st, "state");
    bool missing = false;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(state, "missing"), i, m) missing = missing || !strcmp(json_string_value(m), "kubelet");
    json_decref(state);
    return missing;
}

static void test_pod_log(void **state) {
    (void)state;
    if (kubelet_missing()) {
        printf("# kubesim has no kubelet module yet: pods/log not exercised\n");
        skip();
    }
    kube_status st = {0};
    json_t *pod = json_loads("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"log-1\"},"
                             "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"main\","
                             "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"echo hello-from-pod; echo line2\"]}]}}",
                             0, NULL);
    must(kube_create(cli, &KUBE_PODS, NS, pod, NULL, &st), &st, "pod");
    const char *phase = NULL;
    json_t *cur = NULL;
    for (int i = 0; i < 400; i++) {
        json_decref(cur);
        cur = NULL;
        must(kube_get(cli, &KUBE_PODS, NS, "log-1", &cur, &st), &st, "get pod");
        phase = json_string_value(json_object_get(json_object_get(cur, "status"), "phase"));
        if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"))) break;
        sleep_ms(50);
    }
    assert_string_equal(phase, "Succeeded");
    char *log = NULL;
    size_t len = 0;
    must(kube_pod_log(cli, NS, "log-1", "main", &log, &len, &st), &st, "log");
    assert_string_equal(log, "hello-from-pod\nline2\n");
    assert_int_equal(len, strlen(log));
    free(log);
    assert_int_equal(kube_pod_log(cli, NS, "no-such-pod", NULL, &log, &len, &st), -1);
    assert_true(kube_is_not_found(&st));
    json_decref(cur);
    json_decref(pod);
    kube_status_clear(&st);
}

static void test_crd_status_subresource(void **state) {
    (void)state;
    kube_status st = {0};
    json_t *crd = json_loads(
        "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\","
        "\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\",\"scope\":\"Namespaced\","
        "\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\",\"listKind\":\"WidgetList\"},"
        "\"versions\":[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},"
        "\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{"
        "\"spec\":{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"integer\"}}},"
        "\"status\":{\"type\":\"object\",\"properties\":{\"phase\":{\"type\":\"string\"}}}}}}}]}}",
        0, NULL);
    must(kube_create(cli, &KUBE_CRDS, NULL, crd, NULL, &st), &st, "crd");
    json_t *w = json_loads("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},"
                           "\"spec\":{\"size\":2}}",
                           0, NULL),
           *out = NULL;
    int rc = -1;
    for (int i = 0; i < 200 && rc; i++) { /* served once Established */
        rc = kube_create(cli, &WIDGETS, NS, w, &out, &st);
        if (rc) sleep_ms(50);
    }
    must(rc, &st, "widget");
    /* PUT /status changes only status */
    json_object_set_new(out, "status", json_pack("{s:s}", "phase", "Running"));
    json_object_set_new(json_object_get(out, "spec"), "size", json_integer(9));
    json_t *s1 = NULL;
    must(kube_update_status(cli, &WIDGETS, NS, "w1", out, &s1, &st), &st, "update status");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s1, "status"), "phase")), "Running");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s1, "spec"), "size")), 2);
    json_t *mp = json_pack("{s:{s:s}}", "status", "phase", "Done"), *s2 = NULL;
    must(kube_patch(cli, &WIDGETS, NS, "w1", "status", KUBE_PATCH_MERGE, mp, &s2, &st), &st, "patch status");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s2, "status"), "phase")), "Done");
    json_t *objs[] = {crd, w, out, s1, mp, s2};
    for (size_t i = 0; i < sizeof objs / sizeof *objs; i++) json_decref(objs[i]);
    kube_status_clear(&st);
}

/* ---- one client from many threads ---- */

static void *hammer(void *arg) {
    (void)arg;
    kube_status st = {0};
    long fails = 0;
    for (int i = 0; i < 40; i++) {
        json_t *o = NULL;
        if (kube_get(cli, &KUBE_CONFIGMAPS, NS, "shared-1", &o, &st)) fails++;
        json_decref(o);
    }
    kube_status_clear(&st);
    return (void *)fails;
}

static void test_threads_share_client(void **state) {
    (void)state;
    json_decref(create_cm("shared-1", NULL));
    pthread_t th[6];
    double t0 = now_s();
    for (int i = 0; i < 6; i++) pthread_create(&th[i], NULL, hammer, NULL);
    long fails = 0;
    for (int i = 0; i < 6; i++) {
        void *r;
        pthread_join(th[i], &r);
        fails += (long)r;
    }
    printf("# 240 GETs from 6 threads in %.2f s\n", now_s() - t0);
    assert_int_equal(fails, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_crud),
        cmocka_unit_test(test_status_errors),
        cmocka_unit_test(test_bad_token_and_tls),
        cmocka_unit_test(test_exec_plugin_refresh_on_401),
        cmocka_unit_test(test_token_file_rotation),
        cmocka_unit_test(test_list_selectors_and_pages),
        cmocka_unit_test(test_delete_propagation),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_no_retry_of_post_or_patch),
        cmocka_unit_test(test_watch_events),
        cmocka_unit_test(test_watch_bookmark),
        cmocka_unit_test(test_watch_410),
        cmocka_unit_test(test_watch_cancel_and_drop),
        cmocka_unit_test(test_pod_log),
        cmocka_unit_test(test_crd_status_subresource),
        cmocka_unit_test(test_threads_share_client),
        cmocka_unit_test(test_connection_reuse),
        cmocka_unit_test(test_request_timeout),
        cmocka_unit_test(test_post_retried_on_connect_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
