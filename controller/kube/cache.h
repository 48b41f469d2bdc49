/* kube/cache: the informer's local store of objects, indexed by "namespace/name" (or
 * "name" for cluster-scoped objects) and by namespace; queryable by label selector.
 *
 * Objects put in the cache are treated as immutable: the cache keeps a reference and
 * never changes them; get/list hand out deep copies the caller owns and may modify.
 * Thread-safe. */
#ifndef VB_KUBE_CACHE_H
#define VB_KUBE_CACHE_H

#include <jansson.h>
#include <stddef.h>

typedef struct kube_cache kube_cache;

/* The cache/work-queue key of an object: "ns/name", or "name" without namespace.
 * Returns 0, or -1 when the object has no metadata.name or buf is too small. */
int kube_object_key(json_t *obj, char *buf, size_t len);
/* Splits a key into namespace ("" when cluster-scoped) and name. 0 or -1. */
int kube_key_split(const char *key, char *ns, size_t nslen, char *name, size_t namelen);
/* metadata.resourceVersion or "" (never NULL). */
const char *kube_object_rv(json_t *obj);

kube_cache *kube_cache_new(void);
void kube_cache_free(kube_cache *c);

json_t *kube_cache_get(kube_cache *c, const char *key);
json_t *kube_cache_get_by_name(kube_cache *c, const char *ns, const char *name);
/* Array of copies of the objects in ns (NULL: all namespaces) matching label_selector
 * (NULL/"": all), sorted by key. NULL with err filled if the selector is invalid. */
json_t *kube_cache_list(kube_cache *c, const char *ns, const char *label_selector, char *err,
                        size_t errlen);
/* Sorted keys (array of strings) of the objects in ns (NULL: all). */
json_t *kube_cache_keys(kube_cache *c, const char *ns);
size_t kube_cache_len(kube_cache *c);

/* Stores obj (borrowed: the cache takes its own reference). Returns the object it
 * replaced (a reference the caller must release) or NULL. -1-like failure (no name)
 * also returns NULL; check kube_object_key first when it matters. */
json_t *kube_cache_put(kube_cache *c, json_t *obj);
/* Removes key; returns the removed object (a reference for the caller) or NULL. */
json_t *kube_cache_delete(kube_cache *c, const char *key);

/* The differences between a previous state and a fresh LIST, as informer events. */
typedef enum { KUBE_DELTA_ADD, KUBE_DELTA_UPDATE, KUBE_DELTA_DELETE } kube_delta_type;
/* old is NULL for ADD, new is NULL for DELETE; both borrowed for the call. */
typedef void (*kube_delta_fn)(kube_delta_type type, json_t *old, json_t *new_, void *ud);

/* Pure: old_by_key is an object key -> object; items the fresh list's items. Calls fn
 * with ADD for keys only in items, UPDATE for keys whose resourceVersion changed, and
 * DELETE for keys absent from items; unchanged objects give nothing. Adds and updates
 * come in items order, then deletes in key order. */
void kube_diff(json_t *old_by_key, json_t *items, kube_delta_fn fn, void *ud);

/* Replaces the objects of namespace ns (NULL: the whole cache) by items, then calls fn
 * (outside the cache lock) with the differences as computed by kube_diff. */
void kube_cache_replace(kube_cache *c, const char *ns, json_t *items, kube_delta_fn fn, void *ud);

#endif
