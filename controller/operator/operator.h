/* operator: the controllers of valkey-bench-operator, registered into a kube_manager.
 *
 * `valkey-bench operator` builds a manager (kube/manager.h) and calls
 * operator_register_controllers() before starting it. Each kind's reconciler (issue 5:
 * ValkeyBenchmark, issue 6: ValkeyTopologyCheck) provides one registration function of
 * type operator_register_fn and adds one line to the table in registry.c. */
#ifndef VB_OPERATOR_OPERATOR_H
#define VB_OPERATOR_OPERATOR_H

#include <stddef.h>

#include "kube/manager.h"

/* Adds a controller (kube_manager_add_controller), its owned kinds and watches.
 * Returns 0, or -1 with err filled. */
typedef int (*operator_register_fn)(kube_manager *m, char *err, size_t errlen);

/* Registers every controller of the table; stops at the first failure. */
int operator_register_controllers(kube_manager *m, char *err, size_t errlen);
/* How many controllers the table holds (the operator runs fine with none). */
int operator_controller_count(void);

#endif
