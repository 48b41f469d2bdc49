/* operator/conditions: the status.conditions list, as the Kubernetes API conventions say.
 *
 * A list keyed by `type`; each entry {type, status True|False|Unknown, reason (CamelCase),
 * message, observedGeneration, lastTransitionTime}. lastTransitionTime moves only when
 * `status` changes, so "how long has it been failing" stays answerable and a controller
 * that re-asserts the same observation every reconcile does not churn the object. */
#ifndef VB_OPERATOR_CONDITIONS_H
#define VB_OPERATOR_CONDITIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define COND_TRUE "True"
#define COND_FALSE "False"
#define COND_UNKNOWN "Unknown"

/* Sets condition `type` in status["conditions"] (the array is created when absent).
 * `now` is the RFC 3339 time to stamp on a transition; NULL means the current time.
 * Returns 1 when anything changed, 0 when the condition already said exactly this,
 * -1 on bad arguments (status not an object, cstatus not True/False/Unknown, reason
 * not CamelCase). */
int conditions_set(json_t *status, const char *type, const char *cstatus, const char *reason,
                   const char *message, long long observed_generation, const char *now);

/* The condition of that type (borrowed), or NULL. */
json_t *conditions_get(const json_t *status, const char *type);
/* True when the condition exists with status "True". */
bool conditions_is_true(const json_t *status, const char *type);
/* Removes the condition; returns 1 if it was there, 0 if not. */
int conditions_remove(json_t *status, const char *type);

/* The current UTC time as RFC 3339 with second precision ("2026-11-25T01:03:32Z"). */
void conditions_now(char *buf, size_t cap);

#endif
