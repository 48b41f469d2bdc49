/* operator/benchmark_controller: the ValkeyBenchmark reconciler (issue 5).
 *
 * Level-triggered: every reconcile reads the benchmark and its runner pods from the
 * manager's caches, decides with run_observe (benchmark_run.h) and writes status through
 * the status subresource only. A run is identified by runner_run_id(generation, rerun
 * annotation): a new generation or annotation value starts a new run, anything else
 * leaves finished results alone. Runner pods default to the image in $VB_RUNNER_IMAGE
 * (the operator's own image), else "valkey-bench:latest". */
#ifndef VB_OPERATOR_BENCHMARK_CONTROLLER_H
#define VB_OPERATOR_BENCHMARK_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>

#include "kube/client.h"
#include "kube/manager.h"

extern const kube_resource VB_BENCHMARKS;
extern const kube_resource VB_TOPOLOGYCHECKS;

/* True unless the API server says valkeybench.io/v1alpha1 is not served (then logs how
 * to fix it): controllers of our kinds are skipped rather than never syncing. */
bool vb_crds_served(kube_manager *m);

/* operator_register_fn for registry.c: the controller, its owned pods, and watches on
 * nodes (zones of runners) and ValkeyTopologyChecks (benchmarks waiting on one). */
int benchmark_controller_register(kube_manager *m, char *err, size_t errlen);

#endif
