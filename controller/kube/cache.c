#include "kube/cache.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/labelsel.h"

struct kube_cache {
    pthread_mutex_t mu;
    json_t *by_key; /* key -> object */
    json_t *by_ns;  /* namespace ("" for cluster-scoped) -> { key -> object } */
};

static const char *meta_str(json_t *obj, const char *field) {
    json_t *v = json_object_get(json_object_get(obj, "metadata"), field);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int kube_object_key(json_t *obj, char *buf, size_t len) {
    const char *name = meta_str(obj, "name");
    const char *ns = meta_str(obj, "namespace");
    if (!name || !*name) return -1;
    int n = ns && *ns ? snprintf(buf, len, "%s/%s", ns, name) : snprintf(buf, len, "%s", name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int kube_key_split(const char *key, char *ns, size_t nslen, char *name, size_t namelen) {
    const char *slash = strchr(key, '/');
    size_t nsl = slash ? (size_t)(slash - key) : 0;
    const char *nm = slash ? slash + 1 : key;
    if (nsl >= nslen || strlen(nm) >= namelen || !*nm) return -1;
    memcpy(ns, key, nsl);
    ns[nsl] = '\0';
    strcpy(name, nm);
    return 0;
}

const char *kube_object_rv(json_t *obj) {
    const char *rv = meta_str(obj, "resourceVersion");
    return rv ? rv : "";
}

kube_cache *kube_cache_new(void) {
    kube_cache *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->by_key = json_object();
    c->by_ns = json_object();
    return c;
}

void kube_cache_free(kube_cache *c) {
    if (!c) return;
    json_decref(c->by_key);
    json_decref(c->by_ns);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static const char *ns_of(json_t *obj) {
    const char *ns = meta_str(obj, "namespace");
    return ns ? ns : "";
}

json_t *kube_cache_get(kube_cache *c, const char *key) {
    pthread_mutex_lock(&c->mu);
    json_t *o = json_object_get(c->by_key, key);
    json_t *copy = o ? json_deep_copy(o) : NULL;
    pthread_mutex_unlock(&c->mu);
    return copy;
}

json_t *kube_cache_get_by_name(kube_cache *c, const char *ns, const char *name) {
    char key[512];
    if (ns && *ns) snprintf(key, sizeof key, "%s/%s", ns, name);
    else snprintf(key, sizeof key, "%s", name);
    return kube_cache_get(c, key);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys of the map; caller holds mu (keys are borrowed from the map). */
static const char **sorted_keys(json_t *map, size_t *n) {
    *n = json_object_size(map);
    const char **keys = malloc((*n ? *n : 1) * sizeof *keys);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v) keys[i++] = k;
    qsort(keys, *n, sizeof *keys, cmp_str);
    return keys;
}

json_t *kube_cache_list(kube_cache *c, const char *ns, const char *label_selector, char *err,
                        size_t errlen) {
    kube_labelsel *sel = kube_labelsel_parse(label_selector, err, errlen);
    if (!sel) return NULL;
    json_t *out = json_array();
    pthread_mutex_lock(&c->mu);
    json_t *map = ns ? json_object_get(c->by_ns, ns) : c->by_key;
    if (map) {
        size_t n;
        const char **keys = sorted_keys(map, &n);
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object_get(map, keys[i]);
            if (kube_labelsel_matches(sel, json_object_get(json_object_get(o, "metadata"), "labels")))
                json_array_append_new(out, json_deep_copy(o));
        }
        free(keys);
    }
    pthread_mutex_unlock(&c->mu);
    kube_labelsel_free(sel);
    return out;
}

json_t *kube_cache_keys(kube_cache *c, const char *ns) {
    json_t *out = json_array();
    pthread_mutex_lock(&c->mu);
    json_t *map = ns ? json_object_get(c->by_ns, ns) : c->by_key;
    if (map) {
        size_t n;
        const char **keys = sorted_keys(map, &n);
        for (size_t i = 0; i < n; i++) json_array_append_new(out, json_string(keys[i]));
        free(keys);
    }
    pthread_mutex_unlock(&c->mu);
    return out;
}

size_t kube_cache_len(kube_cache *c) {
    pthread_mutex_lock(&c->mu);
    size_t n = json_object_size(c->by_key);
    pthread_mutex_unlock(&c->mu);
    return n;
}

/* Caller holds mu. Returns the previous object (new reference) or NULL. */
static json_t *put_locked(kube_cache *c, const char *key, json_t *obj) {
    json_t *old = json_incref(json_object_get(c->by_key, key));
    json_object_set(c->by_key, key, obj);
    const char *ns = ns_of(obj);
    json_t *nsmap = json_object_get(c->by_ns, ns);
    if (!nsmap) {
        nsmap = json_object();
        json_object_set_new(c->by_ns, ns, nsmap);
    }
    json_object_set(nsmap, key, obj);
    return old;
}

static json_t *delete_locked(kube_cache *c, const char *key) {
    json_t *old = json_incref(json_object_get(c->by_key, key));
    if (!old) return NULL;
    json_object_del(c->by_key, key);
    const char *ns = ns_of(old);
    json_t *nsmap = json_object_get(c->by_ns, ns);
    if (nsmap) {
        json_object_del(nsmap, key);
        if (json_object_size(nsmap) == 0) json_object_del(c->by_ns, ns);
    }
    return old;
}

json_t *kube_cache_put(kube_cache *c, json_t *obj) {
    char key[512];
    if (kube_object_key(obj, key, sizeof key) != 0) return NULL;
    pthread_mutex_lock(&c->mu);
    json_t *old = put_locked(c, key, obj);
    pthread_mutex_unlock(&c->mu);
    return old;
}

json_t *kube_cache_delete(kube_cache *c, const char *key) {
    pthread_mutex_lock(&c->mu);
    json_t *old = delete_locked(c, key);
    pthread_mutex_unlock(&c->mu);
    return old;
}

void kube_diff(json_t *old_by_key, json_t *items, kube_delta_fn fn, void *ud) {
    json_t *seen = json_object();
    size_t i;
    json_t *item;
    char key[512];
    json_array_foreach(items, i, item) {
        if (kube_object_key(item, key, sizeof key) != 0) continue;
        json_object_set_new(seen, key, json_true());
        json_t *old = json_object_get(old_by_key, key);
        if (!old) fn(KUBE_DELTA_ADD, NULL, item, ud);
        else if (strcmp(kube_object_rv(old), kube_object_rv(item)) != 0) fn(KUBE_DELTA_UPDATE, old, item, ud);
    }
    size_t n;
    const char **keys = sorted_keys(old_by_key, &n);
    for (size_t k = 0; k < n; k++)
        if (!json_object_get(seen, keys[k])) fn(KUBE_DELTA_DELETE, json_object_get(old_by_key, keys[k]), NULL, ud);
    free(keys);
    json_decref(seen);
}

void kube_cache_replace(kube_cache *c, const char *ns, json_t *items, kube_delta_fn fn, void *ud) {
    pthread_mutex_lock(&c->mu);
    json_t *scope = ns ? json_object_get(c->by_ns, ns) : c->by_key;
    json_t *old = scope ? json_copy(scope) : json_object(); /* shallow: references to the objects */
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(old, tmp, k, v) json_decref(delete_locked(c, k));
    size_t i;
    json_t *item;
    char key[512];
    json_array_foreach(items, i, item) {
        if (kube_object_key(item, key, sizeof key) == 0) json_decref(put_locked(c, key, item));
    }
    pthread_mutex_unlock(&c->mu);
    if (fn) kube_diff(old, items, fn, ud);
    json_decref(old);
}
