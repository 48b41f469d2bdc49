/* kube/workqueue: the de-duplicating, rate-limited work queue between informers and
 * reconcilers (client-go's workqueue, in C with pthreads).
 *
 * Keys are strings ("namespace/name"). Guarantees:
 *  - a key added several times while it waits is handed out once;
 *  - a key is never handed to two getters at once: added again while it is being
 *    processed, it is handed out again only after kube_workqueue_done();
 *  - add_after() delays a key; delayed keys come out in due-time order, and a key
 *    delayed twice keeps the earlier due time;
 *  - add_rate_limited() delays by the key's backoff: base * 2^failures, capped
 *    (5 ms doubling to 1000 s by default); forget() resets the key's failures;
 *  - shutdown() makes getters return NULL at once (blocked ones are woken) while keys
 *    already handed out may finish; drain() then waits for them.
 * All functions are thread-safe. */
#ifndef VB_KUBE_WORKQUEUE_H
#define VB_KUBE_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kube_workqueue kube_workqueue;

#define KUBE_BACKOFF_BASE_MS 5L
#define KUBE_BACKOFF_MAX_MS 1000000L

/* base_ms * 2^failures, capped at max_ms (never overflows). Pure; used by the queue. */
long kube_backoff_delay_ms(long base_ms, long max_ms, int failures);

kube_workqueue *kube_workqueue_new(void);
/* Frees the queue; call after shutdown() and drain() when threads used it. */
void kube_workqueue_free(kube_workqueue *q);
void kube_workqueue_set_backoff(kube_workqueue *q, long base_ms, long max_ms);

void kube_workqueue_add(kube_workqueue *q, const char *key);
void kube_workqueue_add_after(kube_workqueue *q, const char *key, long delay_ms);
/* Records one more failure for key and adds it after its backoff delay. */
void kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key);
/* Clears key's failure count (call after a successful reconcile). */
void kube_workqueue_forget(kube_workqueue *q, const char *key);
int kube_workqueue_num_requeues(kube_workqueue *q, const char *key);

/* Blocks until a key is ready; returns it (malloc'd, the caller frees it after done())
 * or NULL once the queue is shut down. While paused, getters block but adds still
 * queue (used while this replica is not the leader). */
char *kube_workqueue_get(kube_workqueue *q);
void kube_workqueue_done(kube_workqueue *q, const char *key);
void kube_workqueue_set_paused(kube_workqueue *q, bool paused);

void kube_workqueue_shutdown(kube_workqueue *q);
/* Waits until no key is being processed (after shutdown). */
void kube_workqueue_drain(kube_workqueue *q);
bool kube_workqueue_shutting_down(kube_workqueue *q);

/* Keys ready to be handed out (the queue depth metric); delayed keys are not counted. */
size_t kube_workqueue_len(kube_workqueue *q);
/* Keys waiting for their due time. */
size_t kube_workqueue_delayed_len(kube_workqueue *q);

#endif
