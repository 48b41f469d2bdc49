#include "kube/events.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define QUEUE_MAX 512
#define AGG_MAX 4096
#define MESSAGE_MAX 1024

typedef struct pending {
    char *ns, *obj_name, *agg_key;
    json_t *involved;
    char *type, *reason, *message;
    struct timespec when;
    struct pending *next;
} pending;

struct kube_events {
    kube_client *client;
    char *component, *instance;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond, idle;
    pending *head, *tail;
    size_t len;
    bool busy, stopping, warned_full;
    json_t *agg; /* aggregation key -> {"name", "namespace", "count", "first"} ; thread-only */
    atomic_ulong created, patched, dropped;
};

static const char *str_or(json_t *v, const char *dflt) {
    const char *s = json_string_value(v);
    return s ? s : dflt;
}

static void rfc3339(const struct timespec *t, char *buf, size_t len) {
    struct tm tm;
    gmtime_r(&t->tv_sec, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void free_pending(pending *p) {
    free(p->ns);
    free(p->obj_name);
    free(p->agg_key);
    json_decref(p->involved);
    free(p->type);
    free(p->reason);
    free(p->message);
    free(p);
}

static json_t *new_event(kube_events *e, const pending *p, char *name, size_t namelen) {
    char ts[40];
    rfc3339(&p->when, ts, sizeof ts);
    snprintf(name, namelen, "%s.%llx", p->obj_name,
             (unsigned long long)p->when.tv_sec * 1000000000ULL + (unsigned long long)p->when.tv_nsec);
    return json_pack("{s:s,s:s,s:{s:s,s:s},s:O,s:s,s:s,s:{s:s},s:s,s:s,s:i,s:s,s:s,s:s}", "apiVersion", "v1", "kind",
                     "Event", "metadata", "name", name, "namespace", p->ns, "involvedObject", p->involved, "reason",
                     p->reason, "message", p->message, "source", "component", e->component, "firstTimestamp", ts,
                     "lastTimestamp", ts, "count", 1, "type", p->type, "reportingComponent", e->component,
                     "reportingInstance", e->instance);
}

static void send_one(kube_events *e, const pending *p) {
    kube_status st = {0};
    json_t *seen = json_object_get(e->agg, p->agg_key);
    if (seen) {
        char ts[40];
        rfc3339(&p->when, ts, sizeof ts);
        json_int_t count = json_integer_value(json_object_get(seen, "count")) + 1;
        json_t *patch = json_pack("{s:I,s:s,s:s}", "count", count, "lastTimestamp", ts, "message", p->message);
        int rc = kube_patch(e->client, &KUBE_EVENTS, p->ns, json_string_value(json_object_get(seen, "name")), NULL,
                            KUBE_PATCH_STRATEGIC, patch, NULL, &st);
        json_decref(patch);
        if (rc == 0) {
            json_object_set_new(seen, "count", json_integer(count));
            atomic_fetch_add(&e->patched, 1);
            return;
        }
        if (!kube_is_not_found(&st)) {
            log_warn("event patch failed", "reason", st.reason, "error", st.message);
            kube_status_clear(&st);
            return;
        }
        kube_status_clear(&st); /* expired: create a fresh one */
        json_object_del(e->agg, p->agg_key);
    }
    char name[320];
    json_t *ev = new_event(e, p, name, sizeof name);
    if (kube_create(e->client, &KUBE_EVENTS, p->ns, ev, NULL, &st) == 0) {
        atomic_fetch_add(&e->created, 1);
        if (json_object_size(e->agg) >= AGG_MAX) json_object_clear(e->agg);
        json_object_set_new(e->agg, p->agg_key, json_pack("{s:s,s:I}", "name", name, "count", (json_int_t)1));
    } else {
        log_warn("event create failed", "reason", st.reason, "error", st.message, "event_reason", p->reason);
    }
    kube_status_clear(&st);
    json_decref(ev);
}

static void *events_main(void *arg) {
    kube_events *e = arg;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (!e->head && !e->stopping) pthread_cond_wait(&e->cond, &e->mu);
        if (!e->head) break;
        pending *p = e->head;
        e->head = p->next;
        if (!e->head) e->tail = NULL;
        e->len--;
        e->busy = true;
        pthread_mutex_unlock(&e->mu);
        send_one(e, p);
        free_pending(p);
        pthread_mutex_lock(&e->mu);
        e->busy = false;
        if (!e->head) pthread_cond_broadcast(&e->idle);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* Frees what kube_events_new allocated (its thread never ran, or has been joined). */
static void release(kube_events *e) {
    json_decref(e->agg);
    free(e->component);
    free(e->instance);
    pthread_cond_destroy(&e->cond);
    pthread_cond_destroy(&e->idle);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

kube_events *kube_events_new(kube_client *client, const char *component, const char *instance) {
    kube_events *e = calloc(1, sizeof *e);
    e->client = client;
    e->component = strdup(component && *component ? component : "valkey-bench-operator");
    e->instance = strdup(instance && *instance ? instance : e->component);
    e->agg = json_object();
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cond, NULL);
    pthread_cond_init(&e->idle, NULL);
    if (pthread_create(&e->thread, NULL, events_main, e) != 0) {
        release(e);
        return NULL;
    }
    return e;
}

int kube_events_flush(kube_events *e, long timeout_ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
    pthread_mutex_lock(&e->mu);
    int rc = 0;
    while ((e->head || e->busy) && rc == 0) rc = pthread_cond_timedwait(&e->idle, &e->mu, &until);
    bool empty = !e->head && !e->busy;
    pthread_mutex_unlock(&e->mu);
    return empty ? 0 : -1;
}

void kube_events_free(kube_events *e) {
    if (!e) return;
    kube_events_flush(e, 2000);
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    /* Whatever is still queued after the flush deadline is dropped. */
    for (pending *p = e->head, *n; p; p = n) {
        n = p->next;
        free_pending(p);
        atomic_fetch_add(&e->dropped, 1);
    }
    e->head = e->tail = NULL;
    pthread_cond_broadcast(&e->cond);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    release(e);
}

void kube_events_record(kube_events *e, json_t *obj, const char *type, const char *reason, const char *fmt, ...) {
    if (!e || !obj) return;
    json_t *md = json_object_get(obj, "metadata");
    const char *name = str_or(json_object_get(md, "name"), NULL);
    if (!name) return;
    const char *ns = str_or(json_object_get(md, "namespace"), "");
    pending *p = calloc(1, sizeof *p);
    char msg[MESSAGE_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &p->when);
    p->ns = strdup(*ns ? ns : "default"); /* events about cluster-scoped objects live in default */
    p->obj_name = strdup(name);
    p->involved = json_pack("{s:s,s:s,s:s}", "apiVersion", str_or(json_object_get(obj, "apiVersion"), ""), "kind",
                            str_or(json_object_get(obj, "kind"), ""), "name", name);
    if (*ns) json_object_set_new(p->involved, "namespace", json_string(ns));
    const char *uid = str_or(json_object_get(md, "uid"), NULL);
    const char *rv = str_or(json_object_get(md, "resourceVersion"), NULL);
    if (uid) json_object_set_new(p->involved, "uid", json_string(uid));
    if (rv) json_object_set_new(p->involved, "resourceVersion", json_string(rv));
    p->type = strdup(type ? type : KUBE_EVENT_NORMAL);
    p->reason = strdup(reason ? reason : "");
    p->message = strdup(msg);
    /* The resourceVersion is left out: repeats on a changed object still aggregate. */
    size_t klen = strlen(ns) + strlen(name) + strlen(p->type) + strlen(p->reason) + strlen(msg) + 128;
    p->agg_key = malloc(klen);
    snprintf(p->agg_key, klen, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s", str_or(json_object_get(obj, "kind"), ""),
             ns, name, uid ? uid : "", p->type, p->reason, msg);

    pthread_mutex_lock(&e->mu);
    if (e->stopping || e->len >= QUEUE_MAX) {
        bool warn = !e->warned_full;
        e->warned_full = true;
        pthread_mutex_unlock(&e->mu);
        atomic_fetch_add(&e->dropped, 1);
        if (warn) log_warn("event queue full, dropping events", "reason", p->reason);
        free_pending(p);
        return;
    }
    e->warned_full = false;
    if (e->tail) e->tail->next = p;
    else e->head = p;
    e->tail = p;
    e->len++;
    pthread_cond_signal(&e->cond);
    pthread_mutex_unlock(&e->mu);
}

unsigned long kube_events_created(kube_events *e) { return atomic_load(&e->created); }
unsigned long kube_events_patched(kube_events *e) { return atomic_load(&e->patched); }
unsigned long kube_events_dropped(kube_events *e) { return atomic_load(&e->dropped); }
