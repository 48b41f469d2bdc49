/* operator/benchmark_controller: see benchmark_controller.h. */
#include "operator/benchmark_controller.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "operator/bench_spec.h"
#include "operator/benchmark_collect.h"
#include "operator/benchmark_run.h"
#include "operator/conditions.h"
#include "operator/results.h"
#include "operator/runner_pod.h"

const kube_resource VB_BENCHMARKS = {"valkeybench.io", "v1alpha1", "valkeybenchmarks", true};
const kube_resource VB_TOPOLOGYCHECKS = {"valkeybench.io", "v1alpha1", "valkeytopologychecks", true};

#define SECRET_POLL_MS 5000
#define TOPOLOGY_POLL_MS 15000
#define STALE_CACHE_RETRY_MS 200

typedef struct controller_state {
    char image[512];
} controller_state;

static controller_state STATE;

/* What one reconcile works on. */
typedef struct reconcile {
    kube_reconcile_ctx *ctx;
    kube_manager *m;
    kube_client *client;
    json_t *bench;            /* cache copy; its status is replaced before the write */
    json_t *status;           /* the status being built (owned) */
    bench_spec spec;
    char run_id[64];
    char now[32];
    long requeue_ms;
    /* What happens only once the status saying so is persisted. A reconcile works on a
     * cache copy of the benchmark that may be stale (its status write then conflicts and the
     * next reconcile decides again): announcing the end or deleting the runner pods before
     * the write would announce it twice, or lose the pods whose results the retry needs
     * (the next reconcile would find them gone and call the finished run lost). */
    char start_msg[160];      /* the RunStarted event ("" when none) */
    const char *end_type;     /* the Succeeded/Failed event */
    char end_reason[64];
    char end_msg[1200];
    int stop_attempts_below;  /* > 0: delete the still-running pods of older attempts */
    bool stale;               /* the cached benchmark is behind: write nothing, look again */
} reconcile;

static const char *sget(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void set_phase(reconcile *r, const char *phase) {
    json_object_set_new(r->status, "phase", json_string(phase));
}

/* The three conditions Argo CD and kubectl read, for one phase: Progressing carries the
 * current reason; Complete and Failed say "InProgress" until the run is over. */
static void set_conditions(reconcile *r, const char *phase, const char *reason, const char *message) {
    long long g = r->spec.generation;
    bool ok = !strcmp(phase, "Succeeded"), failed = !strcmp(phase, "Failed");
    conditions_set(r->status, "Progressing", ok || failed ? COND_FALSE : COND_TRUE, reason, message, g, r->now);
    conditions_set(r->status, "Complete", ok ? COND_TRUE : COND_FALSE, ok || failed ? reason : "InProgress",
                   ok ? message : "", g, r->now);
    conditions_set(r->status, "Failed", failed ? COND_TRUE : COND_FALSE, ok || failed ? reason : "InProgress",
                   failed ? message : "", g, r->now);
}

static void event(reconcile *r, const char *type, const char *reason, const char *msg) {
    if (r->ctx->events) kube_events_record(r->ctx->events, r->bench, type, reason, "%s", msg);
}

static void end_event(reconcile *r, const char *type, const char *reason, const char *msg) {
    r->end_type = type;
    snprintf(r->end_reason, sizeof r->end_reason, "%s", reason);
    snprintf(r->end_msg, sizeof r->end_msg, "%s", msg);
}

static void delete_pod(reconcile *r, const char *name, const char *why) {
    log_info("deleting runner pod", "benchmark", r->spec.name, "namespace", r->spec.namespace_, "pod", name, "why", why);
    kube_status st = {0};
    if (kube_delete(r->client, &KUBE_PODS, r->spec.namespace_, name, KUBE_PROPAGATION_BACKGROUND, NULL, &st) != 0 &&
        !kube_is_not_found(&st))
        log_warn("deleting runner pod failed", "pod", name, "error", st.message);
    kube_status_clear(&st);
}

static json_t *list_pods(reconcile *r, const char *run_id) {
    char sel[256];
    runner_selector(&r->spec, run_id, sel, sizeof sel);
    json_t *pods = kube_manager_list(r->m, &KUBE_PODS, r->spec.namespace_, sel);
    return pods ? pods : json_array();
}

static bool pod_terminal(const json_t *pod) {
    const char *phase = sget(json_object_get(pod, "status"), "phase");
    return !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
}

/* Whether the cached benchmark is the one the API server holds now. Pods are created only
 * on a current view: a stale copy (status still Running while the written status says
 * Succeeded and the pods are already deleted) would start the finished run again. Equal
 * resourceVersions mean the same object version; anything else means "look again". */
static bool bench_is_current(reconcile *r) {
    json_t *live = NULL;
    kube_status st = {0};
    bool current = kube_get(r->client, &VB_BENCHMARKS, r->spec.namespace_, r->spec.name, &live, &st) == 0 &&
                   !strcmp(kube_object_rv(live), kube_object_rv(r->bench));
    json_decref(live);
    kube_status_clear(&st);
    if (!current) {
        r->stale = true;
        log_debug("benchmark cache is behind the API server, looking again", "benchmark", r->spec.name, "namespace",
                  r->spec.namespace_);
    }
    return current;
}

/* Deletes the benchmark's runner pods: of other runs (always), of older attempts of this
 * run when still running, and all of them when `all` (the run is over, keepRunner off). */
static void cleanup_pods(reconcile *r, int attempt, bool all) {
    json_t *pods = list_pods(r, NULL);
    size_t i;
    json_t *p;
    json_array_foreach(pods, i, p) {
        const json_t *md = json_object_get(p, "metadata");
        const json_t *labels = json_object_get(md, "labels");
        if (json_object_get(md, "deletionTimestamp")) continue;
        bool other_run = strcmp(sget(labels, RUNNER_LABEL_RUN), r->run_id) != 0;
        bool old_attempt = atoi(sget(labels, RUNNER_LABEL_ATTEMPT)) < attempt && !pod_terminal(p);
        if (all || other_run || old_attempt)
            delete_pod(r, sget(md, "name"), all ? "run over" : other_run ? "other run" : "older attempt");
    }
    json_decref(pods);
}

static void start_new_run(reconcile *r) {
    static const char *const CLEARED[] = {"results", "rpsSummary", "p50Summary", "keyCounts", "clusterCheck",
                                          "runners", "startTime", "completionTime", NULL};
    for (const char *const *k = CLEARED; *k; k++) json_object_del(r->status, *k);
    json_object_set_new(r->status, "runID", json_string(r->run_id));
    json_object_set_new(r->status, "observedGeneration", json_integer(r->spec.generation));
    set_phase(r, "Pending");
    snprintf(r->start_msg, sizeof r->start_msg, "run %s of generation %lld starting", r->run_id, r->spec.generation);
    set_conditions(r, "Pending", "RunStarted", r->start_msg);
    cleanup_pods(r, 0, false);
}

/* The gates before any pod exists: a required topology check, and the auth Secret.
 * Returns true when the run may proceed. */
static bool topology_gate(reconcile *r) {
    if (!r->spec.require_topology_check[0]) return true;
    json_t *vtc = kube_manager_get(r->m, &VB_TOPOLOGYCHECKS, r->spec.namespace_, r->spec.require_topology_check);
    const json_t *st = json_object_get(vtc, "status");
    const char *result = sget(st, "result");
    char msg[512];
    bool pass = !strcmp(result, "PASS");
    const char *reason = pass ? "CheckPassed" : !strcmp(result, "FAIL") ? "TopologyCheckFailed" : "WaitingForTopologyCheck";
    if (pass)
        snprintf(msg, sizeof msg, "ValkeyTopologyCheck %s passed", r->spec.require_topology_check);
    else if (!vtc)
        snprintf(msg, sizeof msg, "waiting for ValkeyTopologyCheck %s to exist", r->spec.require_topology_check);
    else if (!strcmp(result, "FAIL"))
        snprintf(msg, sizeof msg, "ValkeyTopologyCheck %s failed: %s; the benchmark waits until it passes",
                 r->spec.require_topology_check, sget(st, "firstFailure"));
    else
        snprintf(msg, sizeof msg, "waiting for the first result of ValkeyTopologyCheck %s", r->spec.require_topology_check);
    conditions_set(r->status, "TopologyReady", pass ? COND_TRUE : COND_FALSE, reason, msg, r->spec.generation, r->now);
    json_decref(vtc);
    if (pass) return true;
    set_phase(r, "Pending");
    set_conditions(r, "Pending", reason, msg);
    r->requeue_ms = TOPOLOGY_POLL_MS;
    return false;
}

static int secret_gate(reconcile *r, bench_credentials *creds) {
    char reason[64], msg[512];
    int rc = bench_read_credentials(r->client, &r->spec, creds, reason, sizeof reason, msg, sizeof msg);
    if (rc == 0) return 0;
    set_phase(r, "Pending");
    set_conditions(r, "Pending", reason, msg);
    if (rc > 0) event(r, KUBE_EVENT_WARNING, reason, msg);
    r->requeue_ms = SECRET_POLL_MS;
    return rc;
}

static int create_pods(reconcile *r, int attempt, const run_obs *o, bool only_missing) {
    int created = 0;
    for (int k = 0; k < r->spec.runners; k++) {
        if (only_missing && o->runners[k].exists) continue;
        char err[512];
        json_t *pod = runner_pod_build(&r->spec, r->run_id, attempt, k, STATE.image, err, sizeof err);
        if (!pod) {
            log_error("cannot build runner pod", "benchmark", r->spec.name, "error", err);
            return -1;
        }
        kube_status st = {0};
        int rc = kube_create(r->client, &KUBE_PODS, r->spec.namespace_, pod, NULL, &st);
        if (rc != 0 && !kube_is_already_exists(&st)) {
            log_error("creating runner pod failed", "pod", json_string_value(json_object_get(json_object_get(pod, "metadata"), "name")),
                      "error", st.message);
            json_decref(pod);
            kube_status_clear(&st);
            return -1;
        }
        created += rc == 0;
        json_decref(pod);
        kube_status_clear(&st);
    }
    if (created) {
        char msg[128];
        snprintf(msg, sizeof msg, "created %d runner pod(s) for run %s attempt %d", created, r->run_id, attempt);
        event(r, KUBE_EVENT_NORMAL, "RunnersCreated", msg);
    }
    return 0;
}

/* Sets the start annotation on every runner not yet released: their downward-API files
 * change and all of them begin the measured load together. */
static int release(reconcile *r, const run_obs *o) {
    for (int k = 0; k < o->n; k++) {
        if (o->runners[k].released) continue;
        json_t *patch = json_pack("{s:{s:{s:s}}}", "metadata", "annotations", RUNNER_START_ANNOTATION, r->now);
        kube_status st = {0};
        int rc = kube_patch(r->client, &KUBE_PODS, r->spec.namespace_, o->runners[k].pod, NULL, KUBE_PATCH_MERGE, patch,
                            NULL, &st);
        json_decref(patch);
        if (rc != 0) {
            log_warn("releasing runner failed", "pod", o->runners[k].pod, "error", st.message);
            kube_status_clear(&st);
            return -1;
        }
    }
    if (!json_object_get(r->status, "startTime")) json_object_set_new(r->status, "startTime", json_string(r->now));
    char msg[128];
    snprintf(msg, sizeof msg, "released %d runner(s) of run %s together", o->n, r->run_id);
    event(r, KUBE_EVENT_NORMAL, "RunnersReleased", msg);
    return 0;
}

typedef struct lookup {
    kube_manager *m;
    char buf[256];
} lookup;

static const char *zone_of(const char *node, void *ud) {
    lookup *l = ud;
    json_t *n = kube_manager_get(l->m, &KUBE_NODES, NULL, node);
    const char *z = json_string_value(
        json_object_get(json_object_get(json_object_get(n, "metadata"), "labels"), "topology.kubernetes.io/zone"));
    snprintf(l->buf, sizeof l->buf, "%s", z ? z : "");
    json_decref(n);
    return l->buf;
}

/* A Valkey node's address to its pod's name, when a watched pod has that IP. */
static const char *pod_by_ip(const char *host, void *ud) {
    lookup *l = ud;
    json_t *pods = kube_manager_list(l->m, &KUBE_PODS, NULL, NULL);
    size_t i;
    json_t *p;
    const char *found = NULL;
    json_array_foreach(pods, i, p) {
        if (!strcmp(sget(json_object_get(p, "status"), "podIP"), host)) {
            snprintf(l->buf, sizeof l->buf, "%s", sget(json_object_get(p, "metadata"), "name"));
            found = l->buf;
            break;
        }
    }
    json_decref(pods);
    return found;
}

static void finish_failed(reconcile *r, const char *reason, const char *msg) {
    set_phase(r, "Failed");
    json_object_set_new(r->status, "completionTime", json_string(r->now));
    set_conditions(r, "Failed", reason, msg);
    end_event(r, KUBE_EVENT_WARNING, reason, msg);
}

static void collect(reconcile *r, const run_obs *o, const json_t *pods) {
    merged_results *m = malloc(sizeof *m);
    char err[768];
    if (!m || bench_collect_results(r->client, r->spec.namespace_, o, pods, m, err, sizeof err) != 0) {
        finish_failed(r, "ResultsUnreadable", m ? err : "out of memory");
        free(m);
        return;
    }
    json_t *results = results_status_json(m);
    free(m);
    char rps[512], p50[512];
    results_summaries(results, rps, sizeof rps, p50, sizeof p50);
    json_object_set_new(r->status, "results", results);
    json_object_set_new(r->status, "rpsSummary", json_string(rps));
    json_object_set_new(r->status, "p50Summary", json_string(p50));
    if (!strcmp(r->spec.mode, "cluster")) {
        bench_credentials creds;
        char reason[64], msg[256];
        json_t *kc = NULL, *cc = NULL;
        lookup l = {.m = r->m};
        if (bench_read_credentials(r->client, &r->spec, &creds, reason, sizeof reason, msg, sizeof msg) == 0) {
            bench_cluster_status(&r->spec, &creds, pod_by_ip, &l, &kc, &cc);
            bench_credentials_free(&creds);
            json_object_set_new(r->status, "keyCounts", kc);
            json_object_set_new(r->status, "clusterCheck", cc);
        }
    }
    set_phase(r, "Succeeded");
    json_object_set_new(r->status, "completionTime", json_string(r->now));
    char msg[1100];
    snprintf(msg, sizeof msg, "%d runner(s): %s (p50 ms %s)", r->spec.runners, rps, p50);
    set_conditions(r, "Succeeded", "BenchmarkSucceeded", msg);
    end_event(r, KUBE_EVENT_NORMAL, "BenchmarkSucceeded", msg);
}

/* One step of an active run, from what its pods say. */
static int step_run(reconcile *r) {
    json_t *pods = list_pods(r, r->run_id);
    run_obs *o = malloc(sizeof *o);
    if (!o) {
        json_decref(pods);
        return -1;
    }
    run_observe(&r->spec, r->run_id, pods, time(NULL), o);
    char att[16];
    snprintf(att, sizeof att, "%d", o->attempt);
    log_debug("run step", "benchmark", r->spec.name, "namespace", r->spec.namespace_, "run", r->run_id, "attempt", att,
              "action", run_action_name(o->action), "reason", o->reason, "message", o->message);
    int rc = 0;
    const char *phase = "Running";
    switch (o->action) {
    case RUN_CREATE:
        phase = "Scheduling";
        if (bench_is_current(r)) rc = create_pods(r, o->attempt, o, true);
        break;
    case RUN_WAIT:
        phase = "Scheduling";
        r->requeue_ms = o->requeue_ms;
        break;
    case RUN_RELEASE:
        rc = release(r, o);
        break;
    case RUN_RUNNING:
        break;
    case RUN_COLLECT:
        phase = NULL;
        collect(r, o, pods);
        break;
    case RUN_RETRY:
        phase = "Scheduling";
        if (!bench_is_current(r)) break;
        event(r, KUBE_EVENT_WARNING, o->reason, o->message);
        rc = create_pods(r, o->attempt + 1, o, false);
        if (rc == 0) cleanup_pods(r, o->attempt + 1, false);
        break;
    case RUN_FAIL:
        phase = NULL;
        finish_failed(r, o->reason, o->message);
        r->stop_attempts_below = o->attempt + 1; /* stop whatever still runs, once written */
        break;
    }
    if (phase) {
        set_phase(r, phase);
        set_conditions(r, phase, o->reason, o->message);
    }
    lookup l = {.m = r->m};
    json_object_set_new(r->status, "runners", run_runners_json(o, zone_of, &l));
    free(o);
    json_decref(pods);
    return rc;
}

static bool finished(const json_t *status) {
    const char *phase = sget(status, "phase");
    return !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
}

/* The run's start and end, announced once the status saying so is persisted. */
static void announce(reconcile *r) {
    if (r->start_msg[0]) {
        event(r, KUBE_EVENT_NORMAL, "RunStarted", r->start_msg);
        log_info("benchmark run starting", "benchmark", r->spec.name, "namespace", r->spec.namespace_, "run",
                 r->run_id);
    }
    if (!r->end_type) return;
    event(r, r->end_type, r->end_reason, r->end_msg);
    if (!strcmp(r->end_type, KUBE_EVENT_NORMAL))
        log_info("benchmark succeeded", "benchmark", r->spec.name, "namespace", r->spec.namespace_, "message",
                 r->end_msg);
    else
        log_warn("benchmark failed", "benchmark", r->spec.name, "namespace", r->spec.namespace_, "reason",
                 r->end_reason, "message", r->end_msg);
}

/* PUT status when it changed; a conflict (stale cache) just means "look again". Sets
 * r->persisted and then performs what waited for the write (see struct reconcile). */
static kube_reconcile_result write_status(reconcile *r) {
    const json_t *old = json_object_get(r->bench, "status");
    int rc = 0;
    kube_status st = {0};
    if (!old || !json_equal((json_t *)old, r->status)) {
        json_object_set(r->bench, "status", r->status);
        rc = kube_update_status(r->client, &VB_BENCHMARKS, r->spec.namespace_, r->spec.name, r->bench, NULL, &st);
    }
    if (rc == 0) {
        announce(r);
        if (r->stop_attempts_below > 0) cleanup_pods(r, r->stop_attempts_below, false);
        if (finished(r->status) && !r->spec.keep_runner) cleanup_pods(r, 0, true);
    }
    kube_reconcile_result res;
    if (rc == 0)
        res = r->requeue_ms > 0 ? kube_result_requeue_after(r->requeue_ms) : kube_result_ok();
    else if (kube_is_conflict(&st) || kube_is_not_found(&st))
        res = kube_result_requeue_after(kube_is_conflict(&st) ? 200 : 0);
    else
        res = kube_result_error("writing status of %s/%s: %s", r->spec.namespace_, r->spec.name, st.message);
    kube_status_clear(&st);
    return res;
}

static kube_reconcile_result reconcile_benchmark(const char *ns, const char *name, kube_reconcile_ctx *ctx) {
    reconcile r = {.ctx = ctx, .m = ctx->mgr, .client = ctx->client};
    r.bench = kube_manager_get(r.m, &VB_BENCHMARKS, ns, name);
    if (!r.bench || json_object_get(json_object_get(r.bench, "metadata"), "deletionTimestamp")) {
        json_decref(r.bench); /* gone or going: the garbage collector takes the runner pods */
        return kube_result_ok();
    }
    conditions_now(r.now, sizeof r.now);
    const json_t *old = json_object_get(r.bench, "status");
    r.status = json_is_object(old) ? json_deep_copy(old) : json_object();
    char err[512];
    kube_reconcile_result res;
    if (bench_spec_parse(r.bench, &r.spec, err, sizeof err) != 0) {
        /* Admission validation should have refused it; say so once, do not retry. */
        json_object_set_new(r.status, "observedGeneration", json_integer(r.spec.generation));
        if (strcmp(sget(r.status, "phase"), "Failed")) finish_failed(&r, "InvalidSpec", err);
        res = write_status(&r);
        goto out;
    }
    runner_run_id(r.spec.generation, r.spec.rerun, r.run_id, sizeof r.run_id);
    if (strcmp(sget(r.status, "runID"), r.run_id)) {
        start_new_run(&r);
    } else if (finished(r.status)) {
        if (!r.spec.keep_runner) cleanup_pods(&r, 0, true);
        res = kube_result_ok();
        goto out;
    }
    json_t *pods = list_pods(&r, r.run_id);
    bool started = json_array_size(pods) > 0;
    json_decref(pods);
    bench_credentials creds = {0};
    if (!started && (!topology_gate(&r) || secret_gate(&r, &creds) != 0)) {
        res = write_status(&r);
        goto out;
    }
    bench_credentials_free(&creds);
    int step = step_run(&r);
    if (r.stale) {
        res = kube_result_requeue_after(STALE_CACHE_RETRY_MS);
        goto out;
    }
    if (step != 0) {
        res = write_status(&r);
        if (!res.error) res = kube_result_error("run step of %s/%s failed; retrying", ns, name);
        goto out;
    }
    res = write_status(&r);
out:
    bench_spec_free(&r.spec);
    json_decref(r.status);
    json_decref(r.bench);
    return res;
}

/* A ValkeyTopologyCheck changed: wake the benchmarks of its namespace that wait on it. */
static void map_topology_check(json_t *obj, kube_controller *c, void *ud) {
    kube_manager *m = ud;
    const json_t *md = json_object_get(obj, "metadata");
    const char *ns = sget(md, "namespace"), *name = sget(md, "name");
    json_t *benches = kube_manager_list(m, &VB_BENCHMARKS, ns, NULL);
    size_t i;
    json_t *b;
    json_array_foreach(benches, i, b) {
        if (!strcmp(sget(json_object_get(b, "spec"), "requireTopologyCheck"), name))
            kube_controller_enqueue(c, ns, sget(json_object_get(b, "metadata"), "name"));
    }
    json_decref(benches);
}

/* Without the CRDs the informers could never sync and the operator would never be ready;
 * say so loudly and run without this controller instead (install the CRDs, restart). */
bool vb_crds_served(kube_manager *m) {
    json_t *out = NULL;
    kube_status st = {0};
    int rc = kube_request(kube_manager_client(m), "GET", "/apis/valkeybench.io/v1alpha1", NULL, NULL, &out, &st);
    bool served = rc == 0;
    if (rc != 0 && !kube_is_not_found(&st)) served = true; /* unknown: let the informers retry */
    if (!served)
        log_error("valkeybench.io/v1alpha1 is not served: install the CRDs (crds/) and restart the operator; "
                  "the ValkeyBenchmark controller is disabled");
    json_decref(out);
    kube_status_clear(&st);
    return served;
}

int benchmark_controller_register(kube_manager *m, char *err, size_t errlen) {
    if (!vb_crds_served(m)) return 0;
    const char *image = getenv("VB_RUNNER_IMAGE");
    snprintf(STATE.image, sizeof STATE.image, "%s", image && *image ? image : "valkey-bench:latest");
    if (!image || !*image)
        log_warn("VB_RUNNER_IMAGE is not set: runner pods without spec.image use valkey-bench:latest, which may "
                 "not be the operator's own version (the Helm chart and config/manager set it)");
    kube_controller *c = kube_manager_add_controller(
        m, &(kube_controller_opts){.name = "valkeybenchmark", .resource = &VB_BENCHMARKS, .reconcile = reconcile_benchmark},
        err, errlen);
    if (!c || kube_controller_owns(c, &KUBE_PODS, "valkeybench.io", "ValkeyBenchmark", err, errlen) != 0 ||
        !kube_manager_informer(m, &KUBE_NODES, err, errlen) ||
        kube_controller_watches(c, &VB_TOPOLOGYCHECKS, map_topology_check, m, err, errlen) != 0)
        return -1;
    return 0;
}
