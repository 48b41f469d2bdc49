#include "kube/informer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_HANDLERS 16

/* One list/watch loop (client-go's reflector), per namespace or for all namespaces. */
typedef struct reflector {
    kube_informer *inf;
    char *ns; /* NULL: all namespaces */
    pthread_t thread;
    bool started;
    char rv[64];
    atomic_bool synced;
    unsigned int seed;
} reflector;

struct kube_informer {
    kube_client *client;
    kube_resource res;
    char *label_selector, *field_selector;
    long resync_ms, watch_timeout_s, backoff_initial_ms, backoff_max_ms;
    kube_metrics *metrics;
    char resource_name[128]; /* "group/plural" for logs and metrics */

    kube_cache *cache;
    kube_informer_handlers handlers[MAX_HANDLERS];
    int nhandlers;
    reflector *refl;
    int nrefl;
    bool running;
    pthread_t resync_thread;
    bool resync_started;

    atomic_bool cancel;
    pthread_mutex_t mu; /* with cond: interruptible sleeps, stop wakes them */
    pthread_cond_t cond;
    atomic_ulong restarts, relists;
};

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms unless the informer is stopped first; returns false when stopped. */
static bool sleep_ms(kube_informer *inf, long ms) {
    long long until = mono_ms() + ms;
    pthread_mutex_lock(&inf->mu);
    while (!atomic_load(&inf->cancel)) {
        long long now = mono_ms();
        if (now >= until) break;
        struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (until % 1000) * 1000000};
        pthread_cond_timedwait(&inf->cond, &inf->mu, &ts);
    }
    pthread_mutex_unlock(&inf->mu);
    return !atomic_load(&inf->cancel);
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

kube_informer *kube_informer_new(kube_client *client, const kube_informer_opts *o, char *err,
                                 size_t errlen) {
    if (!client || !o || !o->resource || !o->resource->plural) {
        snprintf(err, errlen, "informer: a client and a resource are required");
        return NULL;
    }
    kube_informer *inf = calloc(1, sizeof *inf);
    inf->client = client;
    inf->res = *o->resource;
    inf->res.group = strdup(o->resource->group ? o->resource->group : "");
    inf->res.version = strdup(o->resource->version ? o->resource->version : "v1");
    inf->res.plural = strdup(o->resource->plural);
    inf->label_selector = dup_or_null(o->label_selector);
    inf->field_selector = dup_or_null(o->field_selector);
    inf->resync_ms = o->resync_ms;
    inf->watch_timeout_s = o->watch_timeout_s > 0 ? o->watch_timeout_s : 300;
    inf->backoff_initial_ms = o->backoff_initial_ms > 0 ? o->backoff_initial_ms : 800;
    inf->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
    inf->metrics = o->metrics;
    snprintf(inf->resource_name, sizeof inf->resource_name, "%s%s%s", inf->res.group,
             *inf->res.group ? "/" : "", inf->res.plural);
    inf->cache = kube_cache_new();
    pthread_mutex_init(&inf->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&inf->cond, &ca);
    pthread_condattr_destroy(&ca);

    int n = 0;
    if (inf->res.namespaced && o->namespaces)
        while (o->namespaces[n]) n++;
    inf->nrefl = n ? n : 1;
    inf->refl = calloc((size_t)inf->nrefl, sizeof *inf->refl);
    for (int i = 0; i < inf->nrefl; i++) {
        inf->refl[i].inf = inf;
        inf->refl[i].ns = n ? strdup(o->namespaces[i]) : NULL;
        inf->refl[i].seed = (unsigned int)(time(NULL) ^ (getpid() << 8) ^ (i * 7919));
    }
    return inf;
}

int kube_informer_add_handlers(kube_informer *inf, const kube_informer_handlers *h) {
    if (inf->running || inf->nhandlers == MAX_HANDLERS) return -1;
    inf->handlers[inf->nhandlers++] = *h;
    return 0;
}

kube_cache *kube_informer_cache(kube_informer *inf) { return inf->cache; }
const kube_resource *kube_informer_resource(kube_informer *inf) { return &inf->res; }
unsigned long kube_informer_restarts(kube_informer *inf) { return atomic_load(&inf->restarts); }
unsigned long kube_informer_relists(kube_informer *inf) { return atomic_load(&inf->relists); }

static void emit(kube_informer *inf, kube_delta_type t, json_t *old, json_t *obj) {
    for (int i = 0; i < inf->nhandlers; i++) {
        const kube_informer_handlers *h = &inf->handlers[i];
        if (t == KUBE_DELTA_ADD && h->on_add) h->on_add(obj, h->ud);
        else if (t == KUBE_DELTA_UPDATE && h->on_update) h->on_update(old, obj, h->ud);
        else if (t == KUBE_DELTA_DELETE && h->on_delete) h->on_delete(old, h->ud);
    }
}

static void delta_cb(kube_delta_type t, json_t *old, json_t *new_, void *ud) { emit(ud, t, old, new_); }

static void count_restart(kube_informer *inf, const char *reason) {
    atomic_fetch_add(&inf->restarts, 1);
    if (inf->metrics)
        kube_metric_add(kube_metrics_counter(inf->metrics, "kube_informer_watch_restarts_total",
                                             "Watches re-established, by resource and reason."),
                        1, "resource", inf->resource_name, "reason", reason, NULL);
}

/* List items come without kind/apiVersion; fill them in from the list so handlers and the
 * event recorder can rely on them. */
static void complete_items(json_t *list) {
    const char *kind = json_string_value(json_object_get(list, "kind"));
    const char *api = json_string_value(json_object_get(list, "apiVersion"));
    char item_kind[128] = "";
    if (kind) {
        size_t n = strlen(kind);
        if (n > 4 && strcmp(kind + n - 4, "List") == 0 && n - 4 < sizeof item_kind)
            snprintf(item_kind, sizeof item_kind, "%.*s", (int)(n - 4), kind);
    }
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(list, "items"), i, item) {
        if (item_kind[0] && !json_object_get(item, "kind")) json_object_set_new(item, "kind", json_string(item_kind));
        if (api && !json_object_get(item, "apiVersion")) json_object_set_new(item, "apiVersion", json_string(api));
    }
}

static int do_list(reflector *r) {
    kube_informer *inf = r->inf;
    kube_list_opts lo = {.label_selector = inf->label_selector, .field_selector = inf->field_selector,
                         .limit = 500};
    json_t *list = NULL;
    kube_status st = {0};
    if (kube_list(inf->client, &inf->res, r->ns, &lo, &list, &st) != 0) {
        char code[16];
        snprintf(code, sizeof code, "%ld", st.code);
        log_warn("informer list failed", "resource", inf->resource_name, "namespace", r->ns ? r->ns : "",
                 "code", code, "reason", st.reason, "error", st.message);
        kube_status_clear(&st);
        return -1;
    }
    complete_items(list);
    json_t *items = json_object_get(list, "items");
    if (!items) items = json_array(), json_object_set_new(list, "items", items);
    kube_cache_replace(inf->cache, r->ns, items, delta_cb, inf);
    snprintf(r->rv, sizeof r->rv, "%s", kube_object_rv(list));
    char count[24];
    snprintf(count, sizeof count, "%zu", json_array_size(items));
    log_debug("informer listed", "resource", inf->resource_name, "namespace", r->ns ? r->ns : "",
              "resourceVersion", r->rv, "items", count);
    json_decref(list);
    return 0;
}

typedef struct watch_state {
    reflector *r;
    bool gone;       /* 410: relist */
    bool error;      /* other ERROR event: relist after backoff */
    unsigned long events;
} watch_state;

static int on_watch_event(const char *type, json_t *obj, void *ud) {
    watch_state *ws = ud;
    reflector *r = ws->r;
    kube_informer *inf = r->inf;
    ws->events++;
    if (strcmp(type, "ERROR") == 0) {
        long code = (long)json_integer_value(json_object_get(obj, "code"));
        if (code == 410) ws->gone = true;
        else ws->error = true;
        const char *msg = json_string_value(json_object_get(obj, "message"));
        log_info("informer watch error event", "resource", inf->resource_name, "message", msg ? msg : "");
        return 1;
    }
    const char *rv = kube_object_rv(obj);
    if (strcmp(type, "BOOKMARK") == 0) {
        if (*rv) snprintf(r->rv, sizeof r->rv, "%s", rv);
        return 0;
    }
    char key[512];
    if (kube_object_key(obj, key, sizeof key) != 0) return 0;
    log_debug("informer event", "resource", inf->resource_name, "type", type, "key", key, "resourceVersion", rv);
    if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        json_t *old = kube_cache_put(inf->cache, obj);
        emit(inf, old ? KUBE_DELTA_UPDATE : KUBE_DELTA_ADD, old, obj);
        json_decref(old);
    } else if (strcmp(type, "DELETED") == 0) {
        json_t *old = kube_cache_delete(inf->cache, key);
        emit(inf, KUBE_DELTA_DELETE, obj, NULL);
        json_decref(old);
    }
    if (*rv) snprintf(r->rv, sizeof r->rv, "%s", rv);
    return 0;
}

/* Exponential backoff with full jitter on top: delay * [1, 2). */
static long jittered(reflector *r, long delay) {
    return delay + (long)((double)delay * (rand_r(&r->seed) / ((double)RAND_MAX + 1)));
}

static void *reflector_main(void *arg) {
    reflector *r = arg;
    kube_informer *inf = r->inf;
    long backoff = inf->backoff_initial_ms;
    bool need_list = true, first = true;
    while (!atomic_load(&inf->cancel)) {
        if (need_list) {
            if (do_list(r) != 0) {
                if (!sleep_ms(inf, jittered(r, backoff))) break;
                backoff = backoff * 2 > inf->backoff_max_ms ? inf->backoff_max_ms : backoff * 2;
                continue;
            }
            if (!first) atomic_fetch_add(&inf->relists, 1);
            first = false;
            need_list = false;
            atomic_store(&r->synced, true);
        }
        kube_list_opts wo = {.label_selector = inf->label_selector, .field_selector = inf->field_selector,
                             .resource_version = r->rv, .allow_bookmarks = true,
                             /* spread reconnects of many watchers, as client-go does (5-10 min there) */
                             .timeout_seconds = inf->watch_timeout_s + rand_r(&r->seed) % (inf->watch_timeout_s + 1)};
        watch_state ws = {.r = r};
        kube_status st = {0};
        long long started = mono_ms();
        int rc = kube_watch(inf->client, &inf->res, r->ns, &wo, on_watch_event, &ws, &inf->cancel, &st);
        if (atomic_load(&inf->cancel)) {
            kube_status_clear(&st);
            break;
        }
        const char *reason;
        bool wait = false;
        if (ws.gone || (rc != 0 && kube_is_gone(&st))) {
            reason = "expired";
            need_list = true;
        } else if (ws.error || (rc != 0 && st.code != 0)) {
            reason = "error";
            need_list = true;
            wait = true;
        } else if (rc != 0) {
            reason = "disconnected";
            wait = true;
        } else {
            reason = "closed";
            /* A server that closes watches at once would make us spin: back off then. */
            wait = ws.events == 0 && mono_ms() - started < 1000;
        }
        if (rc != 0) {
            char code[16];
            snprintf(code, sizeof code, "%ld", st.code);
            log_info("informer watch ended", "resource", inf->resource_name, "reason", reason, "code", code,
                     "error", st.message, "resourceVersion", r->rv);
        }
        kube_status_clear(&st);
        count_restart(inf, reason);
        if (ws.events > 0 || mono_ms() - started > 5000) backoff = inf->backoff_initial_ms;
        if (wait) {
            if (!sleep_ms(inf, jittered(r, backoff))) break;
            backoff = backoff * 2 > inf->backoff_max_ms ? inf->backoff_max_ms : backoff * 2;
        }
    }
    return NULL;
}

static void *resync_main(void *arg) {
    kube_informer *inf = arg;
    while (sleep_ms(inf, inf->resync_ms)) {
        json_t *keys = kube_cache_keys(inf->cache, NULL);
        size_t i;
        json_t *k;
        json_array_foreach(keys, i, k) {
            json_t *obj = kube_cache_get(inf->cache, json_string_value(k));
            if (obj) emit(inf, KUBE_DELTA_UPDATE, obj, obj);
            json_decref(obj);
        }
        json_decref(keys);
    }
    return NULL;
}

int kube_informer_start(kube_informer *inf, char *err, size_t errlen) {
    if (inf->running) return 0;
    inf->running = true;
    for (int i = 0; i < inf->nrefl; i++) {
        if (pthread_create(&inf->refl[i].thread, NULL, reflector_main, &inf->refl[i]) != 0) {
            snprintf(err, errlen, "informer: cannot start a thread");
            kube_informer_stop(inf);
            return -1;
        }
        inf->refl[i].started = true;
    }
    if (inf->resync_ms > 0 && pthread_create(&inf->resync_thread, NULL, resync_main, inf) == 0)
        inf->resync_started = true;
    return 0;
}

bool kube_informer_has_synced(kube_informer *inf) {
    for (int i = 0; i < inf->nrefl; i++)
        if (!atomic_load(&inf->refl[i].synced)) return false;
    return true;
}

bool kube_informer_wait_synced(kube_informer *inf, long timeout_ms, atomic_bool *cancel) {
    long long until = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;
    while (!kube_informer_has_synced(inf)) {
        if ((cancel && atomic_load(cancel)) || (until >= 0 && mono_ms() >= until)) return false;
        usleep(20000);
    }
    return true;
}

void kube_informer_stop(kube_informer *inf) {
    pthread_mutex_lock(&inf->mu);
    atomic_store(&inf->cancel, true);
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->mu);
    for (int i = 0; i < inf->nrefl; i++)
        if (inf->refl[i].started) {
            pthread_join(inf->refl[i].thread, NULL);
            inf->refl[i].started = false;
        }
    if (inf->resync_started) {
        pthread_join(inf->resync_thread, NULL);
        inf->resync_started = false;
    }
}

void kube_informer_free(kube_informer *inf) {
    if (!inf) return;
    kube_informer_stop(inf);
    for (int i = 0; i < inf->nrefl; i++) free(inf->refl[i].ns);
    free(inf->refl);
    kube_cache_free(inf->cache);
    free((char *)inf->res.group);
    free((char *)inf->res.version);
    free((char *)inf->res.plural);
    free(inf->label_selector);
    free(inf->field_selector);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->mu);
    free(inf);
}

int kube_owner_key(json_t *obj, const char *owner_group, const char *owner_kind, char *buf, size_t len) {
    json_t *md = json_object_get(obj, "metadata");
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    size_t i;
    json_t *ref;
    json_array_foreach(json_object_get(md, "ownerReferences"), i, ref) {
        if (!json_is_true(json_object_get(ref, "controller"))) continue;
        const char *kind = json_string_value(json_object_get(ref, "kind"));
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *api = json_string_value(json_object_get(ref, "apiVersion"));
        if (!kind || !name || strcmp(kind, owner_kind) != 0) continue;
        if (owner_group) {
            const char *slash = api ? strchr(api, '/') : NULL;
            size_t glen = slash ? (size_t)(slash - api) : 0; /* "v1" is the core group "" */
            if (strlen(owner_group) != glen || strncmp(api, owner_group, glen) != 0) continue;
        }
        int n = ns && *ns ? snprintf(buf, len, "%s/%s", ns, name) : snprintf(buf, len, "%s", name);
        return n < 0 || (size_t)n >= len ? -1 : 0;
    }
    return -1;
}
