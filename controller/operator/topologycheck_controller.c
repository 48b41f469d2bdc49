/* operator/topologycheck_controller: see topologycheck_controller.h. */
#include "operator/topologycheck_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "operator/benchmark_collect.h"
#include "operator/benchmark_controller.h"
#include "operator/benchmark_run.h"
#include "operator/conditions.h"
#include "topology/check.h"
#include "topology/topology.h"

#define SECRET_RETRY_MS 10000

typedef struct vtc_spec {
    topo_mode mode;
    char host[256];
    int port;
    char secret[254], password_key[254], username_key[254];
    char selector[1024];
    char zone_label[254];
    topo_requirements req;
    long interval_s;
} vtc_spec;

static const char *sget(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool append(char *out, size_t cap, const char *piece) {
    size_t n = strlen(out);
    int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "", piece);
    return w >= 0 && (size_t)w < cap - n;
}

static bool values_list(const json_t *vals, char *buf, size_t cap) {
    size_t i;
    json_t *v;
    buf[0] = '\0';
    json_array_foreach(vals, i, v) {
        size_t n = strlen(buf);
        if (!json_is_string(v) || snprintf(buf + n, cap - n, "%s%s", i ? "," : "", json_string_value(v)) >= (int)(cap - n))
            return false;
    }
    return json_array_size(vals) > 0;
}

int label_selector_string(const json_t *sel, char *out, size_t cap, char *err, size_t errlen) {
    out[0] = '\0';
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(sel, "matchLabels"), k, v) {
        char piece[600];
        snprintf(piece, sizeof piece, "%s=%s", k, json_string_value(v) ? json_string_value(v) : "");
        if (!json_is_string(v) || !append(out, cap, piece)) {
            snprintf(err, errlen, "podSelector.matchLabels.%s: not a short string", k);
            return -1;
        }
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(sel, "matchExpressions"), i, e) {
        const char *key = sget(e, "key"), *op = sget(e, "operator");
        char vals[512], piece[800];
        bool has = values_list(json_object_get(e, "values"), vals, sizeof vals);
        if (!*key) piece[0] = '\0';
        else if (!strcmp(op, "In") && has) snprintf(piece, sizeof piece, "%s in (%s)", key, vals);
        else if (!strcmp(op, "NotIn") && has) snprintf(piece, sizeof piece, "%s notin (%s)", key, vals);
        else if (!strcmp(op, "Exists")) snprintf(piece, sizeof piece, "%s", key);
        else if (!strcmp(op, "DoesNotExist")) snprintf(piece, sizeof piece, "!%s", key);
        else piece[0] = '\0';
        if (!piece[0] || !append(out, cap, piece)) {
            snprintf(err, errlen, "podSelector.matchExpressions[%zu]: unsupported or malformed", i);
            return -1;
        }
    }
    return 0;
}

static long long int_or(const json_t *o, const char *k, long long def) {
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? json_integer_value(v) : def;
}

static int bool_or(const json_t *o, const char *k, int def) {
    json_t *v = json_object_get(o, k);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

static int parse_spec(const json_t *vtc, vtc_spec *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    const json_t *spec = json_object_get(vtc, "spec"), *t = json_object_get(spec, "target");
    const json_t *a = json_object_get(spec, "auth"), *r = json_object_get(spec, "requirements");
    const char *mode = sget(t, "mode");
    if (*mode && strcmp(mode, "cluster") && strcmp(mode, "replication")) {
        snprintf(err, errlen, "spec.target.mode: unsupported value \"%s\"", mode);
        return -1;
    }
    s->mode = !strcmp(mode, "replication") ? TOPO_REPLICATION : TOPO_CLUSTER;
    snprintf(s->host, sizeof s->host, "%s", sget(t, "host"));
    s->port = (int)int_or(t, "port", 6379);
    if (!s->host[0] || s->port < 1 || s->port > 65535) {
        snprintf(err, errlen, "spec.target: host and a port in 1..65535 are required");
        return -1;
    }
    snprintf(s->secret, sizeof s->secret, "%s", sget(a, "secretName"));
    snprintf(s->password_key, sizeof s->password_key, "%s", *sget(a, "passwordKey") ? sget(a, "passwordKey") : "password");
    snprintf(s->username_key, sizeof s->username_key, "%s", sget(a, "usernameKey"));
    if (!json_is_object(json_object_get(spec, "podSelector"))) {
        snprintf(err, errlen, "spec.podSelector: required");
        return -1;
    }
    if (label_selector_string(json_object_get(spec, "podSelector"), s->selector, sizeof s->selector, err, errlen))
        return -1;
    const char *zl = sget(spec, "zoneLabel");
    snprintf(s->zone_label, sizeof s->zone_label, "%s", *zl ? zl : "topology.kubernetes.io/zone");
    topo_requirements_default(&s->req);
    s->req.cluster_state_ok = bool_or(r, "clusterStateOk", 1);
    s->req.all_slots_covered = bool_or(r, "allSlotsCovered", 1);
    s->req.min_replicas = (int)int_or(r, "minReplicasPerPrimary", 1);
    s->req.replica_other_zone = bool_or(r, "replicaInDifferentZone", 1);
    s->interval_s = (long)int_or(spec, "intervalSeconds", 300);
    if (s->req.min_replicas < 0 || s->req.min_replicas > 10 || s->interval_s < 0) {
        snprintf(err, errlen, "spec: minReplicasPerPrimary must be 0..10 and intervalSeconds >= 0");
        return -1;
    }
    return 0;
}

/* address -> pod -> node -> zone, for the selected pods of the check's namespace. */
static void build_placement(kube_manager *m, const char *ns, const vtc_spec *s, topo_placement_map *pm) {
    json_t *pods = kube_manager_list(m, &KUBE_PODS, ns, s->selector);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        const char *ip = sget(json_object_get(p, "status"), "podIP");
        const char *node = sget(json_object_get(p, "spec"), "nodeName");
        if (!*ip) continue;
        json_t *n = *node ? kube_manager_get(m, &KUBE_NODES, NULL, node) : NULL;
        const char *zone = sget(json_object_get(json_object_get(n, "metadata"), "labels"), s->zone_label);
        placement_map_add(pm, ip, sget(json_object_get(p, "metadata"), "name"), node, zone);
        json_decref(n);
    }
    json_decref(pods);
}

/* The verdict's JSON, or a FAIL of our own (bad spec, missing Secret) when there is none. */
static json_t *verdict_json(kube_reconcile_ctx *ctx, const char *ns, const json_t *vtc, long *retry_ms) {
    vtc_spec s;
    char err[512];
    if (parse_spec(vtc, &s, err, sizeof err) != 0)
        return json_pack("{s:s, s:[{s:s, s:b, s:s}], s:s}", "result", "FAIL", "checks", "name", "specValid", "passed", 0,
                         "message", err, "firstFailure", err);
    bench_credentials creds = {0};
    char reason[64];
    if (s.secret[0] && secret_credentials(ctx->client, ns, s.secret, s.password_key, s.username_key, &creds, reason,
                                          sizeof reason, err, sizeof err) != 0) {
        *retry_ms = SECRET_RETRY_MS;
        return json_pack("{s:s, s:[{s:s, s:b, s:s}], s:s}", "result", "FAIL", "checks", "name", "authSecret", "passed",
                         0, "message", err, "firstFailure", err);
    }
    topo_options o = {.host = s.host, .port = s.port, .mode = s.mode, .user = creds.username,
                      .password = creds.password, .timeout_ms = 2000};
    topology t;
    topology_init(&t, s.mode);
    topology_inspect(&o, &t, err, sizeof err); /* a failed seed still evaluates: FAIL "reachable" */
    bench_credentials_free(&creds);
    topo_placement_map pm = {0};
    build_placement(ctx->mgr, ns, &s, &pm);
    topo_verdict v;
    json_t *out = NULL;
    if (topo_evaluate(&t, &pm, &s.req, &v) == 0) {
        out = topo_verdict_to_json(&v);
        json_object_del(out, "summary");
        topo_verdict_free(&v);
    }
    placement_map_free(&pm);
    topology_free(&t);
    return out;
}

static void set_verdict_conditions(json_t *st, bool pass, const char *msg, long long gen, const char *now) {
    conditions_set(st, "Passed", pass ? COND_TRUE : COND_FALSE, pass ? "CheckPassed" : "CheckFailed", msg, gen, now);
    conditions_set(st, "Degraded", pass ? COND_FALSE : COND_TRUE, pass ? "CheckPassed" : "CheckFailed",
                   pass ? "" : msg, gen, now);
    conditions_set(st, "Progressing", COND_FALSE, "CheckCompleted", "", gen, now);
}

static kube_reconcile_result reconcile_check(const char *ns, const char *name, kube_reconcile_ctx *ctx) {
    json_t *vtc = kube_manager_get(ctx->mgr, &VB_TOPOLOGYCHECKS, ns, name);
    if (!vtc || json_object_get(json_object_get(vtc, "metadata"), "deletionTimestamp")) {
        json_decref(vtc);
        return kube_result_ok();
    }
    long long gen = int_or(json_object_get(vtc, "metadata"), "generation", 1);
    long interval = (long)int_or(json_object_get(vtc, "spec"), "intervalSeconds", 300);
    const json_t *old = json_object_get(vtc, "status");
    time_t last = run_parse_time(sget(old, "lastCheckTime")), now = time(NULL);
    bool due = !*sget(old, "result") || int_or(old, "observedGeneration", -1) != gen || last == (time_t)-1 ||
               (interval > 0 && now - last >= interval);
    if (!due) {
        json_decref(vtc);
        return interval > 0 ? kube_result_requeue_after((long)(last + interval - now) * 1000L) : kube_result_ok();
    }
    long retry_ms = 0;
    json_t *verdict = verdict_json(ctx, ns, vtc, &retry_ms);
    json_t *st = json_is_object(old) ? json_deep_copy(old) : json_object();
    static const char *const FIELDS[] = {"result", "checks", "firstFailure", "clusterInfo", "primaries",
                                         "crossZonePairs", "topology", NULL};
    for (const char *const *k = FIELDS; *k; k++) json_object_del(st, *k);
    if (verdict) json_object_update(st, verdict);
    char nowbuf[32];
    conditions_now(nowbuf, sizeof nowbuf);
    bool pass = !strcmp(sget(st, "result"), "PASS");
    if (!verdict) {
        json_object_set_new(st, "result", json_string("FAIL"));
        json_object_set_new(st, "firstFailure", json_string("out of memory evaluating the topology"));
    }
    json_object_set_new(st, "lastCheckTime", json_string(nowbuf));
    json_object_set_new(st, "observedGeneration", json_integer(gen));
    const char *first = sget(st, "firstFailure");
    char msg[1100];
    if (pass)
        snprintf(msg, sizeof msg, "all checks passed (%s primaries with a replica in another zone)", sget(st, "crossZonePairs"));
    else
        snprintf(msg, sizeof msg, "%s", first);
    set_verdict_conditions(st, pass, msg, gen, nowbuf);
    if (strcmp(sget(old, "result"), sget(st, "result")) && ctx->events)
        kube_events_record(ctx->events, vtc, pass ? KUBE_EVENT_NORMAL : KUBE_EVENT_WARNING,
                           pass ? "TopologyCheckPassed" : "TopologyCheckFailed", "%s", msg);
    if (strcmp(sget(old, "result"), sget(st, "result")))
        log_info("topology check", "check", name, "namespace", ns, "result", sget(st, "result"), "message", msg);
    json_object_set_new(vtc, "status", st);
    json_decref(verdict);
    kube_status kst = {0};
    int rc = kube_update_status(ctx->client, &VB_TOPOLOGYCHECKS, ns, name, vtc, NULL, &kst);
    kube_reconcile_result res;
    if (rc != 0 && kube_is_conflict(&kst))
        res = kube_result_requeue_after(200);
    else if (rc != 0 && !kube_is_not_found(&kst))
        res = kube_result_error("writing status of %s/%s: %s", ns, name, kst.message);
    else if (retry_ms > 0 && (interval == 0 || retry_ms < interval * 1000L))
        res = kube_result_requeue_after(retry_ms);
    else
        res = interval > 0 ? kube_result_requeue_after(interval * 1000L) : kube_result_ok();
    kube_status_clear(&kst);
    json_decref(vtc);
    return res;
}

int topologycheck_controller_register(kube_manager *m, char *err, size_t errlen) {
    if (!vb_crds_served(m)) return 0;
    kube_controller *c = kube_manager_add_controller(
        m, &(kube_controller_opts){.name = "valkeytopologycheck", .resource = &VB_TOPOLOGYCHECKS, .reconcile = reconcile_check},
        err, errlen);
    if (!c || !kube_manager_informer(m, &KUBE_PODS, err, errlen) || !kube_manager_informer(m, &KUBE_NODES, err, errlen))
        return -1;
    return 0;
}
