/* kube/informer: list + watch + local cache of one resource (client-go's shared informer).
 *
 * Per watched namespace (or once for all namespaces) a thread LISTs, fills the cache,
 * then WATCHes from the list's resourceVersion with bookmarks, applying ADDED /
 * MODIFIED / DELETED to the cache and calling the handlers. BOOKMARKs advance the
 * resourceVersion. On 410 Gone it relists and replays the differences between the cache
 * and the fresh list as add/update/delete. On a dropped connection it rewatches from
 * the last resourceVersion after a jittered exponential backoff. Optional periodic
 * resync calls on_update(obj, obj) for every cached object.
 *
 * Handlers run on the informer's threads (one per namespace, so possibly concurrently);
 * they should be quick (typically: compute a key and add it to a work queue). Objects
 * passed to handlers are borrowed for the call and must not be modified. */
#ifndef VB_KUBE_INFORMER_H
#define VB_KUBE_INFORMER_H

#include <jansson.h>
#include <stdbool.h>

#include "kube/cache.h"
#include "kube/client.h"
#include "kube/metrics.h"

typedef struct kube_informer kube_informer;

typedef struct kube_informer_handlers {
    void (*on_add)(json_t *obj, void *ud);
    void (*on_update)(json_t *old_obj, json_t *new_obj, void *ud);
    void (*on_delete)(json_t *obj, void *ud); /* the last state known */
    void *ud;
} kube_informer_handlers;

typedef struct kube_informer_opts {
    const kube_resource *resource;
    const char *const *namespaces; /* NULL-terminated; NULL (or empty) watches all namespaces */
    const char *label_selector;    /* optional, server-side */
    const char *field_selector;    /* optional, server-side */
    long resync_ms;                /* 0: no periodic resync */
    long watch_timeout_s;          /* server-side timeoutSeconds of each watch; 0: 300 */
    long backoff_initial_ms;       /* reconnect backoff; 0: 800 */
    long backoff_max_ms;           /* 0: 30000 */
    kube_metrics *metrics;         /* optional: counts watch restarts per resource and reason */
} kube_informer_opts;

/* The client is borrowed and must outlive the informer. Returns NULL on bad options. */
kube_informer *kube_informer_new(kube_client *client, const kube_informer_opts *opts, char *err,
                                 size_t errlen);
/* Adds a handler set; allowed before start only. */
int kube_informer_add_handlers(kube_informer *inf, const kube_informer_handlers *h);
int kube_informer_start(kube_informer *inf, char *err, size_t errlen);
/* True once every namespace's first LIST is in the cache. */
bool kube_informer_has_synced(kube_informer *inf);
/* Waits until synced, cancel becomes true or timeout_ms passes (<0: no timeout). */
bool kube_informer_wait_synced(kube_informer *inf, long timeout_ms, atomic_bool *cancel);
/* Cancels the watches and joins the threads (at most about one request timeout). */
void kube_informer_stop(kube_informer *inf);
void kube_informer_free(kube_informer *inf);

kube_cache *kube_informer_cache(kube_informer *inf);
const kube_resource *kube_informer_resource(kube_informer *inf);
/* Watches re-established after an error, a 410 or a server-side close. */
unsigned long kube_informer_restarts(kube_informer *inf);
/* Full relists done after the first one (410s, HTTP errors). */
unsigned long kube_informer_relists(kube_informer *inf);

/* The work-queue key ("ns/name") of obj's controlling owner: the ownerReference with
 * controller: true whose kind is owner_kind (and whose apiVersion's group is
 * owner_group, unless NULL). Returns 0, or -1 when there is none. As controller-runtime's
 * Owns(): a child's events wake the reconciler of its owner. */
int kube_owner_key(json_t *obj, const char *owner_group, const char *owner_kind, char *buf, size_t len);

#endif
