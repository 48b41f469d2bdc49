/* Unit tests for operator/benchmark_run: the reconciler's decisions from runner pods
 * shaped like the API server's (scheduling, release, success, failures, retries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/bench_spec.h"
#include "operator/benchmark_run.h"
#include "operator/results.h"
#include "operator/runner_pod.h"

#define NOW 1800000000 /* 2027-01-15T08:00:00Z */

static bench_spec spec;

static int setup(void **state) {
    (void)state;
    json_t *b = json_loads("{\"metadata\":{\"name\":\"bench\",\"namespace\":\"ns\",\"uid\":\"u\",\"generation\":1},"
                           "\"spec\":{\"target\":{\"host\":\"h\"},\"runners\":3,\"schedulingTimeoutSeconds\":60}}",
                           0, NULL);
    char err[256];
    int rc = bench_spec_parse(b, &spec, err, sizeof err);
    json_decref(b);
    return rc;
}

static int teardown(void **state) {
    (void)state;
    bench_spec_free(&spec);
    return 0;
}

typedef enum { P_PENDING, P_UNSCHEDULABLE, P_RUNNING, P_SUCCEEDED, P_FAILED, P_EVICTED } pstate;

/* A runner pod of attempt `attempt`, index k, in state s, created `age` seconds ago. */
static json_t *pod(int attempt, int k, pstate s, bool released, long age, const char *term_msg) {
    char err[256], created[32];
    json_t *p = runner_pod_build(&spec, "g1", attempt, k, "img", err, sizeof err);
    time_t t = NOW - age;
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_t *md = json_object_get(p, "metadata");
    json_object_set_new(md, "creationTimestamp", json_string(created));
    if (released) json_object_set_new(json_object_get(md, "annotations"), RUNNER_START_ANNOTATION, json_string("x"));
    json_t *st = json_object();
    json_object_set_new(p, "status", st);
    if (s != P_UNSCHEDULABLE && s != P_PENDING) json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string("node-a"));
    switch (s) {
    case P_PENDING:
        json_object_set_new(st, "phase", json_string("Pending"));
        break;
    case P_UNSCHEDULABLE:
        json_object_set_new(st, "phase", json_string("Pending"));
        json_object_set_new(st, "conditions", json_pack("[{s:s, s:s, s:s, s:s}]", "type", "PodScheduled", "status", "False",
                                                         "reason", "Unschedulable", "message",
                                                         "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."));
        break;
    case P_RUNNING:
        json_object_set_new(st, "phase", json_string("Running"));
        json_object_set_new(st, "containerStatuses", json_pack("[{s:{s:{}}}]", "state", "running"));
        break;
    case P_SUCCEEDED:
        json_object_set_new(st, "phase", json_string("Succeeded"));
        json_object_set_new(st, "containerStatuses", json_pack("[{s:{s:{s:i, s:s, s:s}}}]", "state", "terminated",
                                                               "exitCode", 0, "reason", "Completed", "message", "{}"));
        break;
    case P_FAILED:
        json_object_set_new(st, "phase", json_string("Failed"));
        json_object_set_new(st, "containerStatuses", json_pack("[{s:{s:{s:i, s:s, s:s}}}]", "state", "terminated",
                                                               "exitCode", 1, "reason", "Error", "message",
                                                               term_msg ? term_msg : "line one\nsegfault in engine\n"));
        break;
    case P_EVICTED:
        json_object_set_new(st, "phase", json_string("Failed"));
        json_object_set_new(st, "reason", json_string("Evicted"));
        json_object_set_new(st, "message", json_string("The node was low on resource: memory."));
        break;
    }
    return p;
}

static run_obs obs;

static void observe(json_t *pods) {
    run_observe(&spec, "g1", pods, NOW, &obs);
    json_decref(pods);
}

static void test_no_pods_creates(void **state) {
    (void)state;
    observe(json_array());
    assert_int_equal(obs.action, RUN_CREATE);
    assert_int_equal(obs.attempt, 0);
    assert_string_equal(obs.runners[2].pod, "bench-g1-2");
    assert_string_equal(obs.runners[2].phase, "Missing");
    /* one present, two missing, nothing released: create the rest */
    observe(json_pack("[o]", pod(0, 1, P_RUNNING, false, 5, NULL)));
    assert_int_equal(obs.action, RUN_CREATE);
    assert_true(obs.runners[1].running);
}

static void test_scheduling_wait_then_timeout(void **state) {
    (void)state;
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, false, 10, NULL), pod(0, 1, P_UNSCHEDULABLE, false, 10, NULL),
                      pod(0, 2, P_PENDING, false, 10, NULL)));
    assert_int_equal(obs.action, RUN_WAIT);
    assert_string_equal(obs.reason, "Scheduling");
    assert_non_null(strstr(obs.message, "1/3 runners scheduled"));
    assert_non_null(strstr(obs.message, "didn't match pod anti-affinity"));
    assert_int_equal(obs.requeue_ms, 50000);
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, false, 61, NULL), pod(0, 1, P_UNSCHEDULABLE, false, 61, NULL),
                      pod(0, 2, P_RUNNING, false, 61, NULL)));
    assert_int_equal(obs.action, RUN_FAIL);
    assert_string_equal(obs.reason, "Unschedulable");
    assert_non_null(strstr(obs.message, "0/3 nodes are available"));
    assert_non_null(strstr(obs.message, "60s"));
}

static void test_release_run_collect(void **state) {
    (void)state;
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, false, 5, NULL), pod(0, 1, P_RUNNING, true, 5, NULL),
                      pod(0, 2, P_RUNNING, false, 5, NULL)));
    assert_int_equal(obs.action, RUN_RELEASE);
    observe(json_pack("[o,o,o]", pod(0, 0, P_SUCCEEDED, true, 5, NULL), pod(0, 1, P_RUNNING, true, 5, NULL),
                      pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RUNNING);
    assert_string_equal(obs.message, "1/3 runners finished");
    observe(json_pack("[o,o,o]", pod(0, 0, P_SUCCEEDED, true, 5, NULL), pod(0, 1, P_SUCCEEDED, true, 5, NULL),
                      pod(0, 2, P_SUCCEEDED, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_COLLECT);
}

static void test_final_failure_reasons(void **state) {
    (void)state;
    char *auth = results_error_message("AuthFailed", "AUTH at valkey:6379 failed: WRONGPASS invalid username-password pair");
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, false, 5, NULL), pod(0, 1, P_FAILED, false, 5, auth),
                      pod(0, 2, P_RUNNING, false, 5, NULL)));
    assert_int_equal(obs.action, RUN_FAIL);
    assert_string_equal(obs.reason, "AuthFailed");
    assert_non_null(strstr(obs.message, "WRONGPASS"));
    assert_non_null(strstr(obs.message, "bench-g1-1"));
    free(auth);
}

static void test_retries_are_bounded(void **state) {
    (void)state;
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), pod(0, 1, P_FAILED, true, 5, NULL),
                      pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RETRY);
    assert_string_equal(obs.reason, "RunnerFailed");
    assert_non_null(strstr(obs.message, "exit code 1 (Error): segfault in engine"));
    /* attempt 1 exists: the failed attempt-0 pod no longer matters */
    observe(json_pack("[o,o,o,o]", pod(0, 1, P_FAILED, true, 50, NULL), pod(1, 0, P_PENDING, false, 5, NULL),
                      pod(1, 1, P_RUNNING, false, 5, NULL), pod(1, 2, P_RUNNING, false, 5, NULL)));
    assert_int_equal(obs.attempt, 1);
    assert_int_equal(obs.action, RUN_WAIT);
    assert_string_equal(obs.runners[1].pod, "bench-g1-r1-1");
    /* eviction at the last allowed attempt: the run fails */
    observe(json_pack("[o,o,o]", pod(2, 0, P_EVICTED, true, 5, NULL), pod(2, 1, P_RUNNING, true, 5, NULL),
                      pod(2, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.attempt, 2);
    assert_int_equal(obs.action, RUN_FAIL);
    assert_string_equal(obs.reason, "RunnerEvicted");
    assert_non_null(strstr(obs.message, "no retries left"));
    assert_non_null(strstr(obs.message, "low on resource"));
}

static void test_lost_and_deleted_runners(void **state) {
    (void)state;
    observe(json_pack("[o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RETRY);
    assert_string_equal(obs.reason, "RunnerLost");
    json_t *p = pod(0, 1, P_RUNNING, true, 5, NULL);
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2027-01-15T08:00:00Z"));
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), p, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RETRY);
    assert_string_equal(obs.reason, "RunnerDeleted");
    /* deleted, and its SIGTERM already ended the pod Failed: still the delete */
    p = pod(0, 1, P_FAILED, true, 5, "");
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2027-01-15T08:00:00Z"));
    json_object_set_new(json_object_get(json_object_get(json_array_get(json_object_get(json_object_get(p, "status"),
                                                                                      "containerStatuses"), 0),
                                                        "state"), "terminated"),
                        "exitCode", json_integer(143));
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), p, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RETRY);
    assert_string_equal(obs.reason, "RunnerDeleted");
    assert_string_equal(obs.message, "runner bench-g1-1 failed, retrying the run: runner pod bench-g1-1 was deleted "
                                     "before it finished (exit code 143 (Error))");
    /* ... unless the runner's own verdict is final (it failed before the delete) */
    char *auth = results_error_message("AuthFailed", "WRONGPASS invalid password");
    p = pod(0, 1, P_FAILED, true, 5, auth);
    free(auth);
    json_object_set_new(json_object_get(p, "metadata"), "deletionTimestamp", json_string("2027-01-15T08:00:00Z"));
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), p, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_FAIL);
    assert_string_equal(obs.reason, "AuthFailed");
}

/* Evicted through the Eviction API: DisruptionTarget first, then a graceful delete whose
 * SIGTERM ends the runner with 143. Either way the reason is the eviction. */
static void test_eviction_api_disruption_target(void **state) {
    (void)state;
    json_t *cond = json_pack("[{s:s, s:s, s:s, s:s}]", "type", "DisruptionTarget", "status", "True", "reason",
                             "EvictionByEvictionAPI", "message", "Eviction API: evicting");
    json_t *going = pod(0, 1, P_RUNNING, true, 5, NULL);
    json_object_set_new(json_object_get(going, "metadata"), "deletionTimestamp", json_string("2027-01-15T08:00:30Z"));
    json_object_set(json_object_get(going, "status"), "conditions", cond);
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), going, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RETRY);
    assert_string_equal(obs.reason, "RunnerEvicted");
    assert_string_equal(obs.message,
                        "runner bench-g1-1 failed, retrying the run: evicted (EvictionByEvictionAPI): Eviction API: evicting");
    json_t *killed = pod(0, 1, P_FAILED, true, 5, "");
    json_object_set(json_object_get(killed, "status"), "conditions", cond);
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), killed, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_string_equal(obs.reason, "RunnerEvicted");
    /* the condition alone (pod still running) is no failure yet */
    json_t *marked = pod(0, 1, P_RUNNING, true, 5, NULL);
    json_object_set(json_object_get(marked, "status"), "conditions", cond);
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), marked, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_int_equal(obs.action, RUN_RUNNING);
    /* the kubelet's node-pressure eviction keeps its own words (status.message) */
    json_t *pressed = pod(0, 1, P_EVICTED, true, 5, NULL);
    json_object_set_new(json_object_get(pressed, "status"), "conditions",
                        json_pack("[{s:s, s:s, s:s, s:s}]", "type", "DisruptionTarget", "status", "True", "reason",
                                  "TerminationByKubelet", "message", "The node was low on resource: memory."));
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), pressed, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_string_equal(obs.reason, "RunnerEvicted");
    assert_string_equal(obs.message,
                        "runner bench-g1-1 failed, retrying the run: evicted: The node was low on resource: memory.");
    /* a runner's final verdict stands even on an evicted pod */
    char *auth = results_error_message("AuthFailed", "WRONGPASS");
    json_t *refused = pod(0, 1, P_FAILED, true, 5, auth);
    json_object_set(json_object_get(refused, "status"), "conditions", cond);
    observe(json_pack("[o,o,o]", pod(0, 0, P_RUNNING, true, 5, NULL), refused, pod(0, 2, P_RUNNING, true, 5, NULL)));
    assert_string_equal(obs.reason, "AuthFailed");
    free(auth);
    json_decref(cond);
}

static const char *zone_of(const char *node, void *ud) {
    (void)ud;
    return !strcmp(node, "node-a") ? "us-west-2a" : "";
}

static void test_runners_json(void **state) {
    (void)state;
    observe(json_pack("[o,o]", pod(0, 0, P_RUNNING, false, 5, NULL), pod(0, 1, P_UNSCHEDULABLE, false, 5, NULL)));
    json_t *r = run_runners_json(&obs, zone_of, NULL);
    assert_int_equal(json_array_size(r), 3);
    json_t *r0 = json_array_get(r, 0), *r1 = json_array_get(r, 1), *r2 = json_array_get(r, 2);
    assert_string_equal(json_string_value(json_object_get(r0, "zone")), "us-west-2a");
    assert_string_equal(json_string_value(json_object_get(r0, "node")), "node-a");
    assert_string_equal(json_string_value(json_object_get(r0, "phase")), "Running");
    assert_null(json_object_get(r1, "node"));
    assert_non_null(strstr(json_string_value(json_object_get(r1, "message")), "anti-affinity"));
    assert_string_equal(json_string_value(json_object_get(r2, "phase")), "Missing");
    json_decref(r);
    assert_int_equal(run_parse_time("2027-01-15T08:00:00Z"), NOW);
    assert_int_equal(run_parse_time("2027-01-15T08:00:00.123456Z"), NOW);
    assert_int_equal(run_parse_time("yesterday"), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_pods_creates),
        cmocka_unit_test(test_scheduling_wait_then_timeout),
        cmocka_unit_test(test_release_run_collect),
        cmocka_unit_test(test_final_failure_reasons),
        cmocka_unit_test(test_retries_are_bounded),
        cmocka_unit_test(test_lost_and_deleted_runners),
        cmocka_unit_test(test_eviction_api_disruption_target),
        cmocka_unit_test(test_runners_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
