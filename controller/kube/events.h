/* kube/events: an event recorder for core/v1 Events, as client-go's record package.
 *
 * record() never blocks on the API server: it formats the Event and hands it to a
 * background thread through a bounded queue (events are dropped, with one warning per
 * burst, when the queue is full). Repeats of the same (involved object, type, reason,
 * message) are aggregated: the existing Event's count and lastTimestamp are bumped with
 * a strategic-merge PATCH instead of creating a new Event; if it has expired meanwhile
 * (404) a new one is created. Event names are "<object name>.<hex unix nanoseconds>". */
#ifndef VB_KUBE_EVENTS_H
#define VB_KUBE_EVENTS_H

#include <jansson.h>

#include "kube/client.h"

typedef struct kube_events kube_events;

#define KUBE_EVENT_NORMAL "Normal"
#define KUBE_EVENT_WARNING "Warning"

/* component: source.component / reportingComponent (e.g. "valkey-bench-operator");
 * instance: reportingInstance (e.g. the pod name). The client is borrowed. */
kube_events *kube_events_new(kube_client *client, const char *component, const char *instance);
/* Sends what is queued (up to about 2 s) and stops the thread. */
void kube_events_free(kube_events *e);

/* obj: the involved object (borrowed; kind, apiVersion, metadata.name/namespace/uid/
 * resourceVersion are copied). type: KUBE_EVENT_NORMAL or KUBE_EVENT_WARNING. */
void kube_events_record(kube_events *e, json_t *obj, const char *type, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Waits until the queue is empty or timeout_ms passed; returns 0 when empty. */
int kube_events_flush(kube_events *e, long timeout_ms);

/* Counts since creation, for tests and metrics. */
unsigned long kube_events_created(kube_events *e);
unsigned long kube_events_patched(kube_events *e);
unsigned long kube_events_dropped(kube_events *e);

#endif
