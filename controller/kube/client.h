/* kube/client: a small Kubernetes REST client on libcurl + jansson.
 *
 * The whole contract of the module. Configuration (kubeconfig, in-cluster) lives in
 * kube/config.h; this header is what callers use to talk to the API server.
 *
 * Conventions:
 *  - Every call returns 0 on a 2xx answer and -1 otherwise. On -1, `st` (when not NULL)
 *    holds the API's Status: HTTP code, reason (NotFound, Conflict, AlreadyExists,
 *    Invalid, Forbidden, Unauthorized, Gone, ...), message and causes. Transport
 *    failures (connect, TLS, timeout) give code 0 and reason "TransportError".
 *  - Objects are jansson values. `*out` receives a new reference the caller must
 *    json_decref(); inputs are borrowed (never stolen).
 *  - A kube_client is thread-safe: calls from several threads share one connection
 *    pool (curl share handle), each call uses its own easy handle from the pool.
 *  - Secrets (tokens, passwords) are never logged or put into error messages.
 */
#ifndef VB_KUBE_CLIENT_H
#define VB_KUBE_CLIENT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "kube/config.h"

/* A resource endpoint: core group is "" (path /api/v1), others /apis/<group>/<version>. */
typedef struct kube_resource {
    const char *group;    /* "" for core, e.g. "valkeybench.io", "coordination.k8s.io" */
    const char *version;  /* "v1", "v1alpha1" */
    const char *plural;   /* "pods", "valkeybenchmarks" */
    bool namespaced;
} kube_resource;

/* Well-known resources, defined in client.c. */
extern const kube_resource KUBE_PODS, KUBE_NODES, KUBE_SECRETS, KUBE_CONFIGMAPS, KUBE_SERVICES,
    KUBE_NAMESPACES, KUBE_EVENTS, KUBE_LEASES, KUBE_CRDS;

/* The API's answer when a call fails. */
typedef struct kube_status {
    long code;            /* HTTP status; 0 for transport errors */
    char reason[64];      /* metav1.Status reason, e.g. "NotFound"; "TransportError" */
    char message[1024];   /* human message (server's, or transport error text) */
    json_t *causes;       /* details.causes array (may be NULL); owned, freed by kube_status_clear */
    long retry_after_s;   /* Retry-After header on 429/5xx, else 0 */
} kube_status;

/* A kube_status passed to any call must start zeroed (`kube_status st = {0};`) or cleared:
 * calls clear it first (dropping old causes) and, on success, leave code = the HTTP status. */
void kube_status_clear(kube_status *st);
/* Fills st from a metav1.Status object, e.g. the object of a watch ERROR event (410 Expired). */
void kube_status_from_json(kube_status *st, json_t *status);
/* Shorthands for branching on the reason. */
bool kube_is_not_found(const kube_status *st);
bool kube_is_conflict(const kube_status *st);       /* 409 reason Conflict */
bool kube_is_already_exists(const kube_status *st); /* 409 reason AlreadyExists */
bool kube_is_gone(const kube_status *st);           /* 410 */
bool kube_is_invalid(const kube_status *st);        /* 422 */
bool kube_is_forbidden(const kube_status *st);      /* 403 */
bool kube_is_unauthorized(const kube_status *st);   /* 401 (after one credential refresh) */

typedef struct kube_client kube_client;

/* Creates a client from a loaded configuration (borrowed; the client keeps a copy of
 * what it needs). Returns NULL and fills err on failure (e.g. unreadable CA). */
kube_client *kube_client_new(const kube_config *cfg, char *err, size_t errlen);
void kube_client_free(kube_client *c);

/* Per-request timeout in milliseconds for non-watch calls (default 30000). */
void kube_client_set_timeout_ms(kube_client *c, long ms);
/* Retries of 429/5xx for idempotent requests (default 5); backoff honours Retry-After. */
void kube_client_set_max_retries(kube_client *c, int n);

/* Options for LIST and WATCH. Unset (NULL/0) fields are not sent. */
typedef struct kube_list_opts {
    const char *label_selector;   /* e.g. "app=valkey,tier in (a,b)" (URL-encoded by the client) */
    const char *field_selector;   /* e.g. "spec.nodeName=node-a" */
    long limit;                   /* page size; kube_list follows `continue` itself */
    const char *resource_version; /* LIST: "0" to allow cache; WATCH: start point */
    long timeout_seconds;         /* WATCH: server-side timeoutSeconds */
    bool allow_bookmarks;         /* WATCH: allowWatchBookmarks=true */
} kube_list_opts;

/* ns is ignored for cluster-scoped resources; NULL ns on a namespaced resource lists all namespaces. */
int kube_get(kube_client *c, const kube_resource *r, const char *ns, const char *name, json_t **out,
             kube_status *st);
/* Returns the full list object ({"items":[...], "metadata":{"resourceVersion":...}}), all pages merged. */
int kube_list(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts,
              json_t **out, kube_status *st);
int kube_create(kube_client *c, const kube_resource *r, const char *ns, json_t *obj, json_t **out,
                kube_status *st);
/* PUT of the whole object; obj must carry metadata.resourceVersion (409 if stale). */
int kube_update(kube_client *c, const kube_resource *r, const char *ns, const char *name, json_t *obj,
                json_t **out, kube_status *st);
/* PUT to the status subresource. */
int kube_update_status(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                       json_t *obj, json_t **out, kube_status *st);

typedef enum { KUBE_PATCH_MERGE, KUBE_PATCH_JSON, KUBE_PATCH_STRATEGIC } kube_patch_type;
/* subresource: NULL for the object, "status" for its status. */
int kube_patch(kube_client *c, const kube_resource *r, const char *ns, const char *name,
               const char *subresource, kube_patch_type type, json_t *patch, json_t **out,
               kube_status *st);

typedef enum { KUBE_PROPAGATION_DEFAULT, KUBE_PROPAGATION_BACKGROUND, KUBE_PROPAGATION_FOREGROUND,
               KUBE_PROPAGATION_ORPHAN } kube_propagation;
/* out (may be NULL) receives what the server answered (the object or a Status). */
int kube_delete(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                kube_propagation propagation, json_t **out, kube_status *st);

/* GET pods/<name>/log (container may be NULL); *out is a malloc'd NUL-terminated string. */
int kube_pod_log(kube_client *c, const char *ns, const char *pod, const char *container, char **out,
                 size_t *outlen, kube_status *st);

/* Watch events. type is "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR" (object is a Status).
 * Return 0 to continue, non-zero to stop the watch. `object` is borrowed for the call. */
typedef int (*kube_watch_fn)(const char *type, json_t *object, void *ud);

/* Streams a WATCH until the server ends it (timeout), the callback returns non-zero,
 * *cancel becomes true (checked at least every 100 ms; may be NULL) or the connection
 * fails. Returns 0 when the stream ended normally or was stopped/cancelled, -1 on an
 * HTTP or transport error (st filled). A 410 delivered as an ERROR event is passed to the
 * callback like any other event. */
int kube_watch(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts,
               kube_watch_fn fn, void *ud, atomic_bool *cancel, kube_status *st);

/* Low-level escape hatch: one request to an arbitrary API path (e.g. "/version").
 * body may be NULL; content_type NULL means application/json. */
int kube_request(kube_client *c, const char *method, const char *path, const char *content_type,
                 json_t *body, json_t **out, kube_status *st);

#endif
