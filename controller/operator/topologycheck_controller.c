/* operator/topologycheck_controller: see topologycheck_controller.h. */
#include "operator/topologycheck_controller.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "operator/benchmark_collect.h"
#include "operator/benchmark_controller.h"
#include "operator/conditions.h"
#include "topology/check.h"
#include "topology/topology.h"

#define VTC_RESOURCE VB_TOPOLOGYCHECKS

#define DEFAULT_ZONE_LABEL "topology.kubernetes.io/zone"
#define INSPECT_TIMEOUT_MS 3000
#define SELECTOR_MAX 2048
#define AUTH_RETRY_S 10

typedef struct vtc_spec {
    topo_mode mode;
    char host[TOPO_HOST_MAX];
    int port;
    char secret[TOPO_NAME_MAX], password_key[TOPO_NAME_MAX], username_key[TOPO_NAME_MAX];
    const json_t *pod_selector;
    char zone_label[TOPO_NAME_MAX];
    topo_requirements req;
    long long interval_s, generation;
} vtc_spec;

static const char *sget(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long iget(const json_t *o, const char *k, long long def) {
    const json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

static int bget(const json_t *o, const char *k, int def) {
    const json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* The defaults repeat the CRD's, for objects stored before a default existed. */
static void spec_parse(const json_t *obj, vtc_spec *s) {
    const json_t *spec = json_object_get(obj, "spec"), *target = json_object_get(spec, "target");
    const json_t *auth = json_object_get(spec, "auth"), *rq = json_object_get(spec, "requirements");
    memset(s, 0, sizeof *s);
    s->mode = !strcmp(sget(target, "mode"), "replication") ? TOPO_REPLICATION : TOPO_CLUSTER;
    copy(s->host, sizeof s->host, sget(target, "host"));
    s->port = (int)iget(target, "port", 6379);
    copy(s->secret, sizeof s->secret, sget(auth, "secretName"));
    copy(s->password_key, sizeof s->password_key, auth && *sget(auth, "passwordKey") ? sget(auth, "passwordKey")
                                                                                       : "password");
    copy(s->username_key, sizeof s->username_key, sget(auth, "usernameKey"));
    s->pod_selector = json_object_get(spec, "podSelector");
    copy(s->zone_label, sizeof s->zone_label, *sget(spec, "zoneLabel") ? sget(spec, "zoneLabel") : DEFAULT_ZONE_LABEL);
    topo_requirements_default(&s->req);
    s->req.cluster_state_ok = bget(rq, "clusterStateOk", 1);
    s->req.all_slots_covered = bget(rq, "allSlotsCovered", 1);
    s->req.min_replicas = (int)iget(rq, "minReplicasPerPrimary", 1);
    s->req.replica_other_zone = bget(rq, "replicaInDifferentZone", 1);
    s->interval_s = iget(spec, "intervalSeconds", 300);
    s->generation = iget(json_object_get(obj, "metadata"), "generation", 0);
}

/* ---- label selector ---- */

static int append(char *out, size_t cap, size_t *len, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int append(char *out, size_t cap, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) return -1;
    *len += (size_t)n;
    return 0;
}

static int expr_string(const json_t *e, char *out, size_t cap, size_t *len, char *err, size_t errlen) {
    const char *key = sget(e, "key"), *op = sget(e, "operator");
    const json_t *vals = json_object_get(e, "values");
    if (!*key) return snprintf(err, errlen, "podSelector: a matchExpressions entry has no key"), -1;
    if (*len && append(out, cap, len, ",")) return -1;
    if (!strcmp(op, "Exists")) return append(out, cap, len, "%s", key);
    if (!strcmp(op, "DoesNotExist")) return append(out, cap, len, "!%s", key);
    if (strcmp(op, "In") && strcmp(op, "NotIn"))
        return snprintf(err, errlen, "podSelector: unknown operator \"%s\" for key %s", op, key), -1;
    if (!json_is_array(vals) || !json_array_size(vals))
        return snprintf(err, errlen, "podSelector: operator %s on key %s needs values", op, key), -1;
    if (append(out, cap, len, "%s %s (", key, !strcmp(op, "In") ? "in" : "notin")) return -1;
    size_t i;
    const json_t *v;
    json_array_foreach(vals, i, v) {
        if (!json_is_string(v)) return snprintf(err, errlen, "podSelector: values of key %s must be strings", key), -1;
        if (append(out, cap, len, "%s%s", i ? "," : "", json_string_value(v))) return -1;
    }
    return append(out, cap, len, ")");
}

int topologycheck_selector_string(const json_t *sel, char *out, size_t cap, char *err, size_t errlen) {
    size_t len = 0;
    if (!cap) return -1;
    out[0] = '\0';
    const json_t *labels = json_object_get(sel, "matchLabels"), *exprs = json_object_get(sel, "matchExpressions");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)labels, k, v) {
        if (!json_is_string(v)) return snprintf(err, errlen, "podSelector: matchLabels.%s is not a string", k), -1;
        if (append(out, cap, &len, "%s%s=%s", len ? "," : "", k, json_string_value(v)))
            return snprintf(err, errlen, "podSelector too long"), -1;
    }
    size_t i;
    json_array_foreach(exprs, i, v) {
        char why[256] = "";
        if (expr_string(v, out, cap, &len, why, sizeof why)) {
            snprintf(err, errlen, "%s", why[0] ? why : "podSelector too long");
            return -1;
        }
    }
    return 0;
}

/* ---- scheduling ---- */

static long long parse_time(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end) return -1;
    return (long long)timegm(&tm);
}

long topologycheck_due_in(const json_t *obj, long long now) {
    const json_t *status = json_object_get(obj, "status");
    long long gen = iget(json_object_get(obj, "metadata"), "generation", 0);
    long long interval = iget(json_object_get(obj, "spec"), "intervalSeconds", 300);
    if (!*sget(status, "result") || iget(status, "observedGeneration", -1) != gen) return 0;
    /* A Secret that is missing now may be created later, without any spec change: poll. */
    const json_t *first = json_array_get(json_object_get(status, "checks"), 0);
    if (!strcmp(sget(status, "result"), "FAIL") && !strcmp(sget(first, "name"), "auth") &&
        (interval <= 0 || interval > AUTH_RETRY_S))
        interval = AUTH_RETRY_S;
    if (interval <= 0) return -1;
    long long last = parse_time(sget(status, "lastCheckTime"));
    if (last < 0 || last + interval <= now) return 0;
    return (long)(last + interval - now);
}

/* ---- the check ---- */

/* The Secret's values, with a FAIL message that names what is missing. */
static int read_secret(kube_client *client, const char *ns, const vtc_spec *s, bench_credentials *c, char *err,
                       size_t errlen) {
    char reason[64] = "", msg[512] = "";
    int rc = secret_credentials(client, ns, s->secret, s->password_key, s->username_key, c, reason, sizeof reason,
                                msg, sizeof msg);
    if (rc == 0) return 0;
    if (rc == 1 && !strcmp(reason, "SecretNotFound"))
        snprintf(err, errlen, "auth Secret %.200s not found in namespace %.200s", s->secret, ns);
    else
        snprintf(err, errlen, "auth Secret: %.400s", msg);
    return -1;
}

/* A FAIL status for a check that could not even start (no Secret, bad selector). */
static json_t *setup_failure(const char *name, const char *message) {
    return json_pack("{s:s, s:[{s:s, s:b, s:s}], s:s, s:i, s:s, s:[]}", "result", "FAIL", "checks", "name", name,
                     "passed", 0, "message", message, "firstFailure", message, "primaries", 0, "crossZonePairs", "0/0",
                     "topology");
}

static json_t *placement(kube_manager *m, const char *ns, const vtc_spec *s, topo_placement_map *pm, char *err,
                         size_t errlen) {
    char sel[SELECTOR_MAX];
    if (topologycheck_selector_string(s->pod_selector, sel, sizeof sel, err, errlen) != 0) return NULL;
    json_t *pods = kube_manager_list(m, &KUBE_PODS, ns, sel);
    json_t *nodes = kube_manager_list(m, &KUBE_NODES, NULL, NULL);
    json_t *ok = json_true();
    if (!pods || !nodes) {
        snprintf(err, errlen, "pods or nodes are not cached (informer not running)");
        ok = NULL;
    } else if (placement_map_from_kube(pm, pods, nodes, s->zone_label, err, errlen) < 0) {
        ok = NULL;
    }
    json_decref(pods);
    json_decref(nodes);
    return ok;
}

/* Runs the whole check; returns the status fields (result, checks, ...), never NULL
 * except on OOM. */
static json_t *run_check(kube_reconcile_ctx *ctx, const char *ns, const vtc_spec *s) {
    char err[512] = "";
    bench_credentials c = {0};
    if (s->secret[0] && read_secret(ctx->client, ns, s, &c, err, sizeof err) != 0) {
        bench_credentials_free(&c);
        return setup_failure("auth", err);
    }
    topo_placement_map pm = {0};
    if (!placement(ctx->mgr, ns, s, &pm, err, sizeof err)) {
        bench_credentials_free(&c);
        placement_map_free(&pm);
        return setup_failure("podsMapped", err);
    }
    topology t;
    topology_init(&t, s->mode);
    topo_options o = {.host = s->host, .port = s->port, .mode = s->mode, .user = c.username, .password = c.password, .timeout_ms = INSPECT_TIMEOUT_MS};
    if (topology_inspect(&o, &t, err, sizeof err) != 0)
        log_info("topology inspection failed", "controller", ctx->controller, "namespace", ns, "error", err);
    bench_credentials_free(&c);
    topo_verdict v;
    json_t *out = NULL;
    if (topo_evaluate(&t, &pm, &s->req, &v) == 0) {
        out = topo_verdict_to_json(&v);
        topo_verdict_free(&v);
    }
    if (out) json_object_del(out, "summary"); /* not in the CRD's status schema */
    topology_free(&t);
    placement_map_free(&pm);
    return out;
}

/* ---- status ---- */

static void set_conditions(json_t *status, bool passed, const char *first, long long gen, const char *now) {
    char msg[1200];
    if (passed)
        snprintf(msg, sizeof msg, "every requirement holds");
    else
        snprintf(msg, sizeof msg, "%s", first && *first ? first : "a requirement does not hold");
    conditions_set(status, "Passed", passed ? COND_TRUE : COND_FALSE, passed ? "CheckPassed" : "CheckFailed", msg, gen,
                   now);
    conditions_set(status, "Degraded", passed ? COND_FALSE : COND_TRUE, passed ? "CheckPassed" : "CheckFailed", msg,
                   gen, now);
    conditions_set(status, "Progressing", COND_FALSE, "CheckCompleted", "the latest check completed", gen, now);
}

/* PUT obj with its status replaced by status (borrowed). On success *fresh (if given)
 * receives the stored object. Returns 0, 1 on conflict (retry), -1 on other errors. */
static int write_status(kube_reconcile_ctx *ctx, const char *ns, const char *name, json_t *obj, json_t *status,
                        json_t **fresh, char *err, size_t errlen) {
    json_t *body = json_deep_copy(obj), *out = NULL;
    kube_status st = {0};
    json_object_set(body, "status", status);
    int rc = kube_update_status(ctx->client, &VTC_RESOURCE, ns, name, body, &out, &st);
    json_decref(body);
    if (rc != 0) {
        rc = kube_is_conflict(&st) || kube_is_not_found(&st) ? 1 : -1;
        snprintf(err, errlen, "status update: %.400s", st.message[0] ? st.message : "API error");
    }
    kube_status_clear(&st);
    if (fresh && rc == 0)
        *fresh = out;
    else
        json_decref(out);
    return rc;
}

/* Before the first result: say that a check is running, so kubectl and Argo CD show
 * Progressing instead of nothing while a slow target is being inspected. */
static json_t *mark_progressing(kube_reconcile_ctx *ctx, const char *ns, const char *name, json_t *obj,
                                const vtc_spec *s) {
    json_t *status = json_object_get(obj, "status");
    if (*sget(status, "result") || conditions_get(status, "Progressing")) return json_incref(obj);
    json_t *st = json_is_object(status) ? json_deep_copy(status) : json_object();
    char msg[TOPO_HOST_MAX + 64], err[256];
    snprintf(msg, sizeof msg, "first check of %s:%d running", s->host, s->port);
    conditions_set(st, "Progressing", COND_TRUE, "Checking", msg, s->generation, NULL);
    json_t *fresh = NULL;
    int rc = write_status(ctx, ns, name, obj, st, &fresh, err, sizeof err);
    json_decref(st);
    return rc == 0 ? fresh : json_incref(obj);
}

static void record_transition(kube_reconcile_ctx *ctx, json_t *obj, const char *old_result, json_t *result) {
    const char *now_result = sget(result, "result");
    if (!strcmp(old_result, now_result)) return;
    if (!strcmp(now_result, "PASS"))
        kube_events_record(ctx->events, obj, KUBE_EVENT_NORMAL, "TopologyCheckPassed",
                           "topology check passed: %lld primaries, cross-zone pairs %s",
                           iget(result, "primaries", 0), sget(result, "crossZonePairs"));
    else
        kube_events_record(ctx->events, obj, KUBE_EVENT_WARNING, "TopologyCheckFailed", "topology check failed: %s",
                           sget(result, "firstFailure"));
}

static kube_reconcile_result requeue_for(const vtc_spec *s) {
    return s->interval_s > 0 ? kube_result_requeue_after((long)s->interval_s * 1000) : kube_result_ok();
}

static kube_reconcile_result reconcile(const char *ns, const char *name, kube_reconcile_ctx *ctx) {
    json_t *cached = kube_manager_get(ctx->mgr, &VTC_RESOURCE, ns, name);
    if (!cached || json_object_get(json_object_get(cached, "metadata"), "deletionTimestamp")) {
        json_decref(cached);
        return kube_result_ok();
    }
    long due = topologycheck_due_in(cached, (long long)time(NULL));
    if (due != 0) {
        json_decref(cached);
        return due > 0 ? kube_result_requeue_after(due * 1000) : kube_result_ok();
    }
    vtc_spec s;
    spec_parse(cached, &s);
    json_t *obj = mark_progressing(ctx, ns, name, cached, &s);
    json_decref(cached);
    spec_parse(obj, &s);
    json_t *result = run_check(ctx, ns, &s);
    if (!result) {
        json_decref(obj);
        return kube_result_error("out of memory evaluating %s/%s", ns, name);
    }
    json_t *old = json_object_get(obj, "status");
    char old_result[8];
    copy(old_result, sizeof old_result, sget(old, "result"));
    json_t *status = json_is_object(old) ? json_deep_copy(old) : json_object();
    json_object_del(status, "clusterInfo");
    json_object_update(status, result);
    char now[32];
    conditions_now(now, sizeof now);
    json_object_set_new(status, "lastCheckTime", json_string(now));
    json_object_set_new(status, "observedGeneration", json_integer(s.generation));
    bool passed = !strcmp(sget(result, "result"), "PASS");
    set_conditions(status, passed, sget(result, "firstFailure"), s.generation, now);
    char err[512];
    int rc = write_status(ctx, ns, name, obj, status, NULL, err, sizeof err);
    if (rc == 0) {
        log_info("topology checked", "controller", ctx->controller, "namespace", ns, "name", name, "result",
                 passed ? "PASS" : "FAIL", "firstFailure", sget(result, "firstFailure"));
        record_transition(ctx, obj, old_result, result);
    }
    json_decref(status);
    json_decref(result);
    json_decref(obj);
    if (rc == 1) return kube_result_requeue_after(200);
    if (rc < 0) return kube_result_error("%s/%s: %s", ns, name, err);
    return requeue_for(&s);
}

int topologycheck_controller_register(kube_manager *m, char *err, size_t errlen) {
    if (!vb_crds_served(m)) return 0;
    kube_controller *c = kube_manager_add_controller(
        m, &(kube_controller_opts){.name = "valkeytopologycheck", .resource = &VTC_RESOURCE, .reconcile = reconcile},
        err, errlen);
    if (!c) return -1;
    /* The placement map reads pods and nodes from these caches. */
    if (!kube_manager_informer(m, &KUBE_PODS, err, errlen) || !kube_manager_informer(m, &KUBE_NODES, err, errlen))
        return -1;
    return 0;
}
