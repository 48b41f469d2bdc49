/* kube/manager: controllers and the manager that runs them (controller-runtime's shape).
 *
 *   informer (list+watch+cache) -> work queue (dedup, backoff) -> reconcile workers
 *
 * A controller reconciles one kind: every add/update/delete of an object of that kind
 * enqueues its "namespace/name"; owned children (kube_controller_owns) enqueue their
 * controlling owner. Workers call the reconciler with the key, never the event: the
 * reconciler reads the current state (kube_manager_get from the cache, or the API) and
 * makes the world right, level-triggered. Its result decides what happens to the key:
 *   error             -> retried with per-key exponential backoff (5 ms .. 1000 s)
 *   requeue_after_ms  -> backoff forgotten, key added again after the delay
 *   requeue           -> retried with backoff (no error counted)
 *   none of these     -> backoff forgotten (success)
 *
 * The manager owns the API clients, the shared informers (one per resource), the
 * controllers, leader election, the event recorder, the metrics registry and the HTTP
 * endpoint, and starts/stops them as one. Workers run only while caches are synced and
 * this replica holds the Lease; when the Lease is lost they stop taking keys at once and
 * ctx->cancel becomes true for reconciles still running.
 *
 * Typical use (issue-5/6 reconcilers, see controller/operator/operator.h):
 *   kube_controller *c = kube_manager_add_controller(m, &(kube_controller_opts){
 *       .name = "valkeybenchmark", .resource = &VB_BENCHMARKS, .reconcile = reconcile_fn}, err, len);
 *   kube_controller_owns(c, &KUBE_PODS, "valkeybench.io", "ValkeyBenchmark", err, len);
 */
#ifndef VB_KUBE_MANAGER_H
#define VB_KUBE_MANAGER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/events.h"
#include "kube/informer.h"
#include "kube/metrics.h"

typedef struct kube_manager kube_manager;
typedef struct kube_controller kube_controller;

typedef struct kube_reconcile_result {
    bool error;             /* failed: retried with backoff, counted in errors */
    bool requeue;           /* try again with backoff, without an error */
    long requeue_after_ms;  /* > 0: try again after this delay */
    char message[256];      /* the error, for the log */
} kube_reconcile_result;

kube_reconcile_result kube_result_ok(void);
kube_reconcile_result kube_result_requeue_after(long ms);
kube_reconcile_result kube_result_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct kube_reconcile_ctx {
    kube_manager *mgr;
    kube_controller *ctrl;
    kube_client *client;    /* the manager's API client */
    kube_events *events;    /* record Events on the reconciled object */
    const char *controller; /* the controller's name */
    atomic_bool *cancel;    /* becomes true when the Lease is lost or the manager stops: return soon */
    void *ud;               /* kube_controller_opts.ud */
} kube_reconcile_ctx;

/* ns is "" for cluster-scoped kinds. Called on a worker thread; never concurrently for
 * the same key. */
typedef kube_reconcile_result (*kube_reconcile_fn)(const char *ns, const char *name, kube_reconcile_ctx *ctx);

typedef struct kube_controller_opts {
    const char *name;                /* metrics/log label, e.g. "valkeybenchmark" */
    const kube_resource *resource;   /* the kind it reconciles */
    kube_reconcile_fn reconcile;
    void *ud;
    int workers;                     /* 0: the manager's default */
} kube_controller_opts;

typedef struct kube_manager_opts {
    const char *const *namespaces;   /* NULL-terminated list to watch; NULL: all namespaces */
    int workers;                     /* default workers per controller; 0: 1 */
    bool leader_elect;
    const char *lease_name;          /* default "valkey-bench-operator" */
    const char *lease_namespace;     /* default: the config's namespace */
    const char *identity;            /* default: "<hostname>_<pid>" */
    long lease_duration_ms, renew_deadline_ms, retry_period_ms; /* 0: 15 s, 10 s, 2 s */
    const char *const *listen_addrs; /* HTTP endpoint addresses ("host:port"); NULL: no endpoint */
    int nlisten;
    long resync_ms;                  /* informer resync; 0: none */
    long watch_timeout_s;            /* 0: informer default */
    const char *component;           /* events' source; default "valkey-bench-operator" */
} kube_manager_opts;

/* cfg is borrowed and must outlive the manager (the manager creates its clients from it). */
kube_manager *kube_manager_new(kube_config *cfg, const kube_manager_opts *opts, char *err, size_t errlen);
/* Registration: before kube_manager_start only. */
kube_controller *kube_manager_add_controller(kube_manager *m, const kube_controller_opts *opts, char *err,
                                             size_t errlen);
/* Owns(): events on child objects enqueue their controlling owner of owner_kind (owner_group
 * NULL matches any group). */
int kube_controller_owns(kube_controller *c, const kube_resource *child, const char *owner_group,
                         const char *owner_kind, char *err, size_t errlen);
/* Watches(): events on objects of r call map, which may enqueue keys (kube_controller_enqueue). */
typedef void (*kube_map_fn)(json_t *obj, kube_controller *c, void *ud);
int kube_controller_watches(kube_controller *c, const kube_resource *r, kube_map_fn map, void *ud, char *err,
                            size_t errlen);
void kube_controller_enqueue(kube_controller *c, const char *ns, const char *name);
void kube_controller_enqueue_after(kube_controller *c, const char *ns, const char *name, long delay_ms);

/* The shared informer of a resource, created on first use (before start). */
kube_informer *kube_manager_informer(kube_manager *m, const kube_resource *r, char *err, size_t errlen);
/* Copies from the informer caches (NULL if the resource is not watched or absent). */
json_t *kube_manager_get(kube_manager *m, const kube_resource *r, const char *ns, const char *name);
json_t *kube_manager_list(kube_manager *m, const kube_resource *r, const char *ns, const char *label_selector);

kube_client *kube_manager_client(kube_manager *m);
kube_events *kube_manager_events(kube_manager *m);
kube_metrics *kube_manager_metrics(kube_manager *m);

/* Starts informers, leader election, workers and the HTTP endpoint. */
int kube_manager_start(kube_manager *m, char *err, size_t errlen);
/* Graceful stop: no new keys, in-flight reconciles finish, the Lease is released,
 * informers and the endpoint stop. Idempotent. */
void kube_manager_stop(kube_manager *m);
void kube_manager_free(kube_manager *m);

bool kube_manager_synced(kube_manager *m);
bool kube_manager_is_leader(kube_manager *m);
/* /readyz: synced and, with leader election, the election has run at least once. */
bool kube_manager_ready(kube_manager *m);
/* The port HTTP address i listens on (after start), or -1. */
int kube_manager_http_port(kube_manager *m, int i);

#endif
