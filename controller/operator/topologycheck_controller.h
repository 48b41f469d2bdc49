/* operator/topologycheck_controller: the ValkeyTopologyCheck reconciler (issue 6).
 *
 * Each check reads the object from the manager's cache, the auth Secret (a GET through
 * benchmark_collect.h's secret_credentials: the RBAC grants secrets get only), the Pods
 * matching spec.podSelector in the check's namespace and all Nodes (both from informer caches), inspects the target with
 * topology/topology.h, evaluates it with topology/check.h and writes the verdict through
 * the status subresource only; spec is never written. Every failure to check (missing
 * Secret, bad selector, unreachable seed, refused AUTH, unmapped pods) is a FAIL whose
 * first failed check says why; credentials never reach logs, status or Events.
 *
 * Scheduling is level-triggered on status: a check runs when observedGeneration differs
 * from metadata.generation (a spec change re-checks at once), when there is no result
 * yet, or when lastCheckTime + spec.intervalSeconds has passed (0: once per generation);
 * otherwise the key is requeued for the remaining time, so the status writes' own watch
 * events do not cause extra checks. PASS<->FAIL transitions (and the first result) emit
 * an Event: Normal TopologyCheckPassed / Warning TopologyCheckFailed (the reason a waiting
 * ValkeyBenchmark also shows). */
#ifndef VB_OPERATOR_TOPOLOGYCHECK_CONTROLLER_H
#define VB_OPERATOR_TOPOLOGYCHECK_CONTROLLER_H

#include <jansson.h>
#include <stddef.h>

#include "kube/manager.h"

/* operator_register_fn for registry.c: the controller plus the pod and node informers
 * its placement map reads. */
int topologycheck_controller_register(kube_manager *m, char *err, size_t errlen);

/* A LabelSelector object ({matchLabels, matchExpressions}) as a selector string
 * ("a=b,c in (d,e),!f"). 0, or -1 with err on an unknown operator or a malformed
 * selector. An empty selector gives "" (which matches everything). */
int topologycheck_selector_string(const json_t *sel, char *out, size_t cap, char *err, size_t errlen);

/* Seconds until the next check is due for this object (0: now), or -1 when no further
 * check is due (intervalSeconds 0 and the current generation already has a result). A
 * FAIL because the auth Secret could not be read is re-checked every 10 s at most.
 * now is unix seconds; pure, exposed for unit tests. */
long topologycheck_due_in(const json_t *obj, long long now);

#endif
