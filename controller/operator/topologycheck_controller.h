/* operator/topologycheck_controller: the ValkeyTopologyCheck reconciler (issue 6).
 *
 * Inspects the Valkey deployment named by the spec (topology/topology.h), maps every
 * node address to its Pod (the podSelector's pods in the check's namespace, by
 * status.podIP), the Pod to its Node and the Node to its zone (spec.zoneLabel), and
 * writes the verdict of topo_evaluate (topology/check.h) to status: PASS only when every
 * requirement holds. Re-checks every spec.intervalSeconds (0: once per generation) and
 * at once when the spec changes; emits an Event on every PASS/FAIL transition. */
#ifndef VB_OPERATOR_TOPOLOGYCHECK_CONTROLLER_H
#define VB_OPERATOR_TOPOLOGYCHECK_CONTROLLER_H

#include <jansson.h>
#include <stddef.h>

#include "kube/manager.h"

/* operator_register_fn for registry.c. */
int topologycheck_controller_register(kube_manager *m, char *err, size_t errlen);

/* A LabelSelector object ({matchLabels, matchExpressions}) in the string form of
 * ?labelSelector= ("a=b,c in (d,e),!f"). Returns 0, or -1 with err for an operator it
 * does not know or a malformed selector. */
int label_selector_string(const json_t *sel, char *out, size_t cap, char *err, size_t errlen);

#endif
