/* operator/runner_pod: the Pod that runs one share of a ValkeyBenchmark's load.
 *
 * Everything about a runner pod is a pure function of (benchmark, run id, attempt,
 * index): its name, so a restarted controller finds and adopts the pods of a run in
 * progress instead of creating duplicates; its labels, so the controller lists them;
 * its placement and security properties; and the workload share it runs.
 *
 * A runner does not start measuring on its own: it waits until the annotation
 * RUNNER_START_ANNOTATION appears in its downward-API annotations file, which the
 * controller sets on every runner of the run once all of them are running, so the load
 * of all runners is simultaneous and their throughputs add up. */
#ifndef VB_OPERATOR_RUNNER_POD_H
#define VB_OPERATOR_RUNNER_POD_H

#include <jansson.h>
#include <stddef.h>

#include "operator/bench_spec.h"

#define RUNNER_LABEL_BENCHMARK "valkeybench.io/benchmark"
#define RUNNER_LABEL_RUN "valkeybench.io/run"
#define RUNNER_LABEL_INDEX "valkeybench.io/runner-index"
#define RUNNER_LABEL_ATTEMPT "valkeybench.io/attempt"
#define RUNNER_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define RUNNER_MANAGED_BY "valkey-bench-operator"
#define RUNNER_START_ANNOTATION "valkeybench.io/start"
#define RUNNER_RERUN_ANNOTATION "valkeybench.io/rerun"
#define RUNNER_PODINFO_DIR "/etc/podinfo"
#define RUNNER_ANNOTATIONS_FILE RUNNER_PODINFO_DIR "/annotations"
#define RUNNER_TERMINATION_LOG "/dev/termination-log"
#define RUNNER_UID 65532
#define RUNNER_CONTAINER "runner"
/* The taint key of the Helm chart's optional Karpenter NodePool for runners. Runner pods
 * tolerate it (operator Exists, every effect) on top of spec.placement.tolerations,
 * unless one of those already names the key or tolerates every taint, so enabling the
 * NodePool needs no toleration in each benchmark. */
#define RUNNER_TAINT_KEY "valkeybench.io/runner"

/* The run id of a benchmark's current spec: "g<generation>", plus "-<hash>" of the rerun
 * annotation when set, so each new generation or annotation value is a new run. */
void runner_run_id(long long generation, const char *rerun, char *out, size_t cap);

/* "<bench>-<runid>-<index>" for attempt 0, "<bench>-<runid>-r<attempt>-<index>" after
 * retries; a valid DNS label (<= 63 chars, [a-z0-9-]) in every case: '.' becomes '-'
 * and a too-long benchmark name is cut and suffixed with a hash of the full name, so
 * distinct benchmarks keep distinct pod names. cap must be >= 64. */
void runner_pod_name(const char *bench, const char *run_id, int attempt, int index, char *out,
                     size_t cap);

/* A label value for an arbitrary object name (label values are limited to 63 chars):
 * the name itself when it fits, else a prefix and a hash. cap >= 64. */
void runner_label_value(const char *name, char *out, size_t cap);

/* The label selector (string form) of all runner pods of a benchmark's run; run_id NULL
 * selects every run of the benchmark. */
void runner_selector(const bench_spec *spec, const char *run_id, char *out, size_t cap);

/* Runner `index`'s share of `total` split over `n`: total/n, remainders to the first. */
long long runner_share(long long total, int n, int index);

/* The pod for runner `index` (0-based) of attempt `attempt` of run `run_id`.
 * default_image is the operator's own image, used when spec.image is empty.
 * Returns a new object, or NULL with err filled. */
json_t *runner_pod_build(const bench_spec *spec, const char *run_id, int attempt, int index,
                         const char *default_image, char *err, size_t errlen);

#endif
