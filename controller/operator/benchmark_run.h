/* operator/benchmark_run: what the runner pods of a run say, and what to do next.
 *
 * Pure (no I/O; the clock is a parameter), so the reconciler's decisions are unit-tested
 * on pod objects shaped like the API server's. The reconciler lists the pods of the
 * benchmark's current run, calls run_observe, performs the action it names, and writes
 * the runners table and conditions it produced.
 *
 * Attempts: a run's runners are released together, so a runner that fails mid-run
 * spoils the whole attempt; a retry starts a fresh attempt (new pods, labelled with the
 * attempt number) up to spec.maxRunnerRetries. The current attempt is the highest
 * attempt label among the run's pods, which makes it survive a controller restart. */
#ifndef VB_OPERATOR_BENCHMARK_RUN_H
#define VB_OPERATOR_BENCHMARK_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "operator/bench_spec.h"

#define RUN_MAX_RUNNERS 64

typedef enum {
    RUN_CREATE,     /* create the missing runner pods of the current attempt */
    RUN_WAIT,       /* pods exist but are not all running yet (scheduling, pulling, ...) */
    RUN_RELEASE,    /* all running, not all released: set the start annotation on each */
    RUN_RUNNING,    /* released, not all finished */
    RUN_COLLECT,    /* all succeeded: read and merge the results */
    RUN_RETRY,      /* the attempt failed and retries remain: start attempt + 1 */
    RUN_FAIL,       /* the run failed (reason, message) */
} run_action;

typedef struct runner_obs {
    char pod[64];
    bool exists, scheduled, running, released, succeeded, failed, terminating;
    char node[254];
    char phase[16];          /* the pod's phase, or "Missing" */
    char message[512];       /* why it is waiting or failed ("" when fine) */
    char fail_reason[64];    /* CamelCase, when failed */
    time_t created;
} runner_obs;

typedef struct run_obs {
    int attempt;
    int n;                   /* spec.runners */
    runner_obs runners[RUN_MAX_RUNNERS];
    run_action action;
    char reason[64];         /* condition reason for the phase (CamelCase) */
    char message[1024];      /* human message for the condition */
    long requeue_ms;         /* > 0: look again after this long even without events */
} run_obs;

/* "create", "wait", ... for logs. */
const char *run_action_name(run_action a);

/* Reasons a runner reports that no retry can fix. */
bool run_reason_is_final(const char *reason);

/* pods: the pods labelled with the benchmark and run_id (any attempt). */
void run_observe(const bench_spec *spec, const char *run_id, const json_t *pods, time_t now, run_obs *out);

/* RFC 3339 ("2026-11-25T01:03:32Z", fractional seconds allowed) to time_t; -1 if malformed. */
time_t run_parse_time(const char *s);

/* status.runners from an observation: [{pod, node, zone, phase, message}]; zone_of maps
 * a node name to its zone ("" when unknown) and may be NULL. */
json_t *run_runners_json(const run_obs *o, const char *(*zone_of)(const char *node, void *ud), void *ud);

#endif
