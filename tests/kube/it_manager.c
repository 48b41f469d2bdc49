/* Integration test of kube/manager + kube/events against kubesim (run by with_kubesim.sh).
 *
 * A controller reconciles ConfigMaps of one namespace with 3 workers and owns Secrets
 * (ownerReference controller: true to a ConfigMap). Checked: every object is reconciled;
 * a key is never reconciled concurrently; errors are retried with backoff and counted;
 * requeue_after brings a key back; a child Secret wakes its owner; the reconciler reads
 * the object from the cache; repeated identical Events aggregate into one Event whose
 * count grows, a different message makes a new Event; /metrics text carries the counts;
 * stop() returns only after in-flight reconciles finished. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/manager.h"

#define NS "rt"

typedef struct state {
    pthread_mutex_t mu;
    json_t *calls;    /* key -> number of reconciles */
    json_t *inflight; /* keys being reconciled */
    int violations, missing_in_cache, running;
    kube_manager *m;
} state;

static state S = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int calls(const char *name) {
    char key[128];
    snprintf(key, sizeof key, NS "/%s", name);
    pthread_mutex_lock(&S.mu);
    int n = (int)json_integer_value(json_object_get(S.calls, key));
    pthread_mutex_unlock(&S.mu);
    return n;
}

static kube_reconcile_result reconcile(const char *ns, const char *name, kube_reconcile_ctx *ctx) {
    char key[256];
    snprintf(key, sizeof key, "%s/%s", ns, name);
    pthread_mutex_lock(&S.mu);
    if (json_object_get(S.inflight, key)) S.violations++;
    json_object_set_new(S.inflight, key, json_true());
    int n = (int)json_integer_value(json_object_get(S.calls, key)) + 1;
    json_object_set_new(S.calls, key, json_integer(n));
    S.running++;
    pthread_mutex_unlock(&S.mu);

    usleep(20000); /* long enough for overlapping events to pile up on the key */
    kube_reconcile_result r = kube_result_ok();
    json_t *obj = kube_manager_get(ctx->mgr, &KUBE_CONFIGMAPS, ns, name);
    if (strncmp(name, "err-", 4) == 0 && n <= 3) r = kube_result_error("injected failure %d", n);
    else if (strncmp(name, "after-", 6) == 0 && n <= 2) r = kube_result_requeue_after(150);
    if (!obj && strncmp(name, "gone-", 5) != 0) {
        pthread_mutex_lock(&S.mu);
        S.missing_in_cache++;
        pthread_mutex_unlock(&S.mu);
    }
    if (obj && strcmp(name, "ok-1") == 0) kube_events_record(ctx->events, obj, KUBE_EVENT_NORMAL, "Reconciled", "all good");
    if (obj && strcmp(name, "err-1") == 0)
        kube_events_record(ctx->events, obj, r.error ? KUBE_EVENT_WARNING : KUBE_EVENT_NORMAL,
                           r.error ? "ReconcileFailed" : "Reconciled", "%s", r.error ? r.message : "recovered");
    json_decref(obj);

    pthread_mutex_lock(&S.mu);
    json_object_del(S.inflight, key);
    S.running--;
    pthread_mutex_unlock(&S.mu);
    return r;
}

static void fail(const char *fmt, const char *arg) {
    fprintf(stderr, "FAIL: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    exit(1);
}

static void create_cm(kube_client *c, const char *name) {
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name",
                          name, "namespace", NS, "data", "k", "v");
    kube_status st = {0};
    if (kube_create(c, &KUBE_CONFIGMAPS, NS, o, NULL, &st) != 0) fail("create configmap %s", name);
    json_decref(o);
}

static void touch_cm(kube_client *c, const char *name, const char *v) {
    json_t *p = json_pack("{s:{s:s}}", "data", "k", v);
    kube_status st = {0};
    if (kube_patch(c, &KUBE_CONFIGMAPS, NS, name, NULL, KUBE_PATCH_MERGE, p, NULL, &st) != 0) fail("patch %s", name);
    json_decref(p);
}

static bool wait_until(bool (*cond)(void *), void *arg) {
    for (int i = 0; i < 600; i++) {
        if (cond(arg)) return true;
        usleep(100000);
    }
    return false;
}

static bool calls_at_least(void *arg) {
    const char *spec = arg; /* "name:n" */
    char name[64];
    int n;
    sscanf(spec, "%63[^:]:%d", name, &n);
    return calls(name) >= n;
}

/* Events about `name` in NS: number of Event objects, total of their counts, and the
 * count of the one with `message`. */
static void events_about(kube_client *c, const char *name, const char *message, int *objects, int *with_msg) {
    char fs[128];
    snprintf(fs, sizeof fs, "involvedObject.name=%s", name);
    kube_list_opts lo = {.field_selector = fs};
    json_t *list = NULL;
    kube_status st = {0};
    if (kube_list(c, &KUBE_EVENTS, NS, &lo, &list, &st) != 0) fail("list events: %s", st.message);
    *objects = (int)json_array_size(json_object_get(list, "items"));
    *with_msg = 0;
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(list, "items"), i, ev) {
        if (strcmp(json_string_value(json_object_get(ev, "message")), message) == 0)
            *with_msg = (int)json_integer_value(json_object_get(ev, "count"));
        const char *src = json_string_value(json_object_get(json_object_get(ev, "source"), "component"));
        if (!src || strcmp(src, "it-manager") != 0) fail("event source.component is %s", src ? src : "(none)");
        if (!json_string_value(json_object_get(json_object_get(ev, "involvedObject"), "uid")))
            fail("event without involvedObject.uid about %s", name);
    }
    json_decref(list);
}

int main(void) {
    char err[512];
    kube_config *cfg = NULL;
    kube_config_opts co = {.kubeconfig_path = getenv("KUBECONFIG")};
    if (kube_config_load(&co, &cfg, err, sizeof err) != 0) fail("config: %s", err);
    kube_client *c = kube_client_new(cfg, err, sizeof err);
    if (!c) fail("client: %s", err);
    json_t *nso = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", NS);
    kube_status st = {0};
    kube_create(c, &KUBE_NAMESPACES, NULL, nso, NULL, &st);
    kube_status_clear(&st);
    json_decref(nso);
    S.calls = json_object();
    S.inflight = json_object();

    const char *nss[] = {NS, NULL};
    kube_manager_opts mo = {.namespaces = nss, .workers = 3, .leader_elect = false, .component = "it-manager"};
    kube_manager *m = kube_manager_new(cfg, &mo, err, sizeof err);
    if (!m) fail("manager: %s", err);
    S.m = m;
    kube_controller *ctrl = kube_manager_add_controller(
        m, &(kube_controller_opts){.name = "cm", .resource = &KUBE_CONFIGMAPS, .reconcile = reconcile}, err, sizeof err);
    if (!ctrl) fail("controller: %s", err);
    if (kube_controller_owns(ctrl, &KUBE_SECRETS, "", "ConfigMap", err, sizeof err) != 0) fail("owns: %s", err);
    if (kube_manager_start(m, err, sizeof err) != 0) fail("start: %s", err);

    create_cm(c, "ok-1");
    create_cm(c, "err-1");
    create_cm(c, "after-1");
    create_cm(c, "parent");
    for (int i = 0; i < 20; i++) { /* a burst of events on one key */
        char v[8];
        snprintf(v, sizeof v, "%d", i);
        touch_cm(c, "ok-1", v);
    }
    if (!wait_until(calls_at_least, "err-1:4")) fail("%s was not retried after errors", "err-1");
    if (!wait_until(calls_at_least, "after-1:3")) fail("%s did not come back after requeue_after", "after-1");
    if (!wait_until(calls_at_least, "parent:1")) fail("%s not reconciled", "parent");
    if (!wait_until(calls_at_least, "ok-1:1")) fail("%s not reconciled", "ok-1");
    if (!kube_manager_ready(m)) fail("%s", "manager not ready although synced and not electing");

    /* A child Secret controlled by the parent ConfigMap wakes the parent. */
    json_t *parent = kube_manager_get(m, &KUBE_CONFIGMAPS, NS, "parent");
    int before = calls("parent");
    json_t *secret = json_pack(
        "{s:s,s:s,s:{s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:b}]},s:{s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata",
        "name", "child", "namespace", NS, "ownerReferences", "apiVersion", "v1", "kind", "ConfigMap", "name", "parent",
        "uid", json_string_value(json_object_get(json_object_get(parent, "metadata"), "uid")), "controller", 1,
        "stringData", "x", "y");
    if (kube_create(c, &KUBE_SECRETS, NS, secret, NULL, &st) != 0) fail("create secret: %s", st.message);
    json_decref(secret);
    json_decref(parent);
    char spec[32];
    snprintf(spec, sizeof spec, "parent:%d", before + 1);
    if (!wait_until(calls_at_least, spec)) fail("%s", "owned Secret did not enqueue its owner");

    /* Events: identical repeats aggregate. */
    int before_ok = calls("ok-1");
    touch_cm(c, "ok-1", "again");
    snprintf(spec, sizeof spec, "ok-1:%d", before_ok + 1);
    if (!wait_until(calls_at_least, spec)) fail("%s not reconciled after update", "ok-1");
    int objects = 0, count = 0, n1 = 0;
    for (int i = 0; i < 100; i++) { /* until no reconcile of ok-1 is in between */
        n1 = calls("ok-1");
        kube_events_flush(kube_manager_events(m), 10000);
        events_about(c, "ok-1", "all good", &objects, &count);
        if (calls("ok-1") == n1 && count == n1) break;
        usleep(100000);
    }
    printf("ok-1: %d reconciles, %d Event object(s), count %d\n", n1, objects, count);
    if (objects != 1) fail("%s: identical events were not aggregated into one Event", "ok-1");
    if (count != n1) fail("%s: aggregated count differs from the number of records", "ok-1");
    events_about(c, "err-1", "recovered", &objects, &count);
    printf("err-1: %d reconciles, %d Event object(s)\n", calls("err-1"), objects);
    if (objects < 2 || count < 1) fail("%s: warning and normal events expected as separate Events", "err-1");

    char *metrics = kube_metrics_render(kube_manager_metrics(m));
    if (!strstr(metrics, "controller_runtime_reconcile_errors_total{controller=\"cm\"} 3\n"))
        fail("metrics lack 3 errors for cm:\n%s", metrics);
    if (!strstr(metrics, "controller_runtime_reconcile_total{controller=\"cm\",result=\"requeue_after\"} 2\n"))
        fail("metrics lack 2 requeue_after for cm:\n%s", metrics);
    if (!strstr(metrics, "workqueue_depth{name=\"cm\"}")) fail("metrics lack the queue depth:\n%s", metrics);
    if (!strstr(metrics, "controller_runtime_reconcile_time_seconds_count{controller=\"cm\"}"))
        fail("metrics lack the duration histogram:\n%s", metrics);
    free(metrics);

    /* Graceful stop while keys are being processed: stop returns after they finish. */
    for (int i = 0; i < 5; i++) {
        char v[8];
        snprintf(v, sizeof v, "s%d", i);
        touch_cm(c, "ok-1", v);
        touch_cm(c, "parent", v);
    }
    usleep(50000);
    kube_manager_stop(m);
    pthread_mutex_lock(&S.mu);
    int running = S.running, violations = S.violations, missing = S.missing_in_cache;
    pthread_mutex_unlock(&S.mu);
    if (running != 0) fail("%s", "reconciles still running after stop");
    if (violations != 0) fail("%s", "a key was reconciled concurrently");
    if (missing != 0) fail("%s", "a reconciled object was missing from the cache");
    printf("reconciles: ok-1=%d err-1=%d after-1=%d parent=%d\n", calls("ok-1"), calls("err-1"), calls("after-1"),
           calls("parent"));
    kube_manager_free(m);
    json_decref(S.calls);
    json_decref(S.inflight);
    kube_client_free(c);
    kube_config_free(cfg);
    printf("PASS\n");
    return 0;
}
