#include "kube/workqueue.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sets of keys are jansson objects (hash tables keyed by string); keys are Kubernetes
 * "namespace/name" strings, always valid UTF-8. */
typedef struct qnode {
    char *key;
    struct qnode *next;
} qnode;

typedef struct delayed {
    char *key;
    long long due_ms;
    struct delayed *next;
} delayed;

struct kube_workqueue {
    pthread_mutex_t mu;
    pthread_cond_t cond;      /* getters wait here: new key, due time, unpause, shutdown */
    pthread_cond_t idle_cond; /* drain() waits here for the processing set to empty */
    qnode *head, *tail;       /* FIFO of keys ready to hand out */
    size_t len;
    json_t *dirty;            /* keys that need processing (queued, or re-added while processing) */
    json_t *processing;       /* keys handed out and not yet done */
    json_t *failures;         /* key -> integer failure count */
    delayed *delayed;         /* sorted by due_ms, one entry per key */
    size_t delayed_len;
    long base_ms, max_ms;
    bool paused, shutting_down;
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long kube_backoff_delay_ms(long base_ms, long max_ms, int failures) {
    if (base_ms <= 0) base_ms = 1;
    if (failures < 0) failures = 0;
    long d = base_ms;
    for (int i = 0; i < failures; i++) {
        if (d >= max_ms / 2) return max_ms;
        d *= 2;
    }
    return d < max_ms ? d : max_ms;
}

kube_workqueue *kube_workqueue_new(void) {
    kube_workqueue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->cond, &ca);
    pthread_cond_init(&q->idle_cond, &ca);
    pthread_condattr_destroy(&ca);
    q->dirty = json_object();
    q->processing = json_object();
    q->failures = json_object();
    q->base_ms = KUBE_BACKOFF_BASE_MS;
    q->max_ms = KUBE_BACKOFF_MAX_MS;
    return q;
}

void kube_workqueue_free(kube_workqueue *q) {
    if (!q) return;
    for (qnode *n = q->head, *next; n; n = next) {
        next = n->next;
        free(n->key);
        free(n);
    }
    for (delayed *d = q->delayed, *next; d; d = next) {
        next = d->next;
        free(d->key);
        free(d);
    }
    json_decref(q->dirty);
    json_decref(q->processing);
    json_decref(q->failures);
    pthread_cond_destroy(&q->cond);
    pthread_cond_destroy(&q->idle_cond);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void kube_workqueue_set_backoff(kube_workqueue *q, long base_ms, long max_ms) {
    pthread_mutex_lock(&q->mu);
    q->base_ms = base_ms;
    q->max_ms = max_ms;
    pthread_mutex_unlock(&q->mu);
}

/* Caller holds mu. */
static void add_locked(kube_workqueue *q, const char *key) {
    if (q->shutting_down || json_object_get(q->dirty, key)) return;
    json_object_set_new(q->dirty, key, json_true());
    if (json_object_get(q->processing, key)) return; /* done() queues it again */
    qnode *n = malloc(sizeof *n);
    if (!n) return;
    n->key = strdup(key);
    n->next = NULL;
    if (q->tail) q->tail->next = n;
    else q->head = n;
    q->tail = n;
    q->len++;
    pthread_cond_signal(&q->cond);
}

void kube_workqueue_add(kube_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    add_locked(q, key);
    pthread_mutex_unlock(&q->mu);
}

static void unlink_delayed(kube_workqueue *q, const char *key) {
    for (delayed **pp = &q->delayed; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            delayed *d = *pp;
            *pp = d->next;
            free(d->key);
            free(d);
            q->delayed_len--;
            return;
        }
    }
}

static void add_after_locked(kube_workqueue *q, const char *key, long delay_ms) {
    if (q->shutting_down) return;
    if (delay_ms <= 0) {
        add_locked(q, key);
        return;
    }
    long long due = now_ms() + delay_ms;
    for (delayed *d = q->delayed; d; d = d->next) {
        if (strcmp(d->key, key) == 0) {
            if (d->due_ms <= due) return; /* the earlier due time wins */
            unlink_delayed(q, key);
            break;
        }
    }
    delayed *n = malloc(sizeof *n);
    if (!n) return;
    n->key = strdup(key);
    n->due_ms = due;
    delayed **pp = &q->delayed;
    while (*pp && (*pp)->due_ms <= due) pp = &(*pp)->next;
    n->next = *pp;
    *pp = n;
    q->delayed_len++;
    /* A getter may be sleeping until a later due time. */
    pthread_cond_broadcast(&q->cond);
}

void kube_workqueue_add_after(kube_workqueue *q, const char *key, long delay_ms) {
    pthread_mutex_lock(&q->mu);
    add_after_locked(q, key, delay_ms);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_add_rate_limited(kube_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    json_t *f = json_object_get(q->failures, key);
    int n = f ? (int)json_integer_value(f) : 0;
    long delay = kube_backoff_delay_ms(q->base_ms, q->max_ms, n);
    if (n < 1000000) json_object_set_new(q->failures, key, json_integer(n + 1));
    add_after_locked(q, key, delay);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_forget(kube_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    json_object_del(q->failures, key);
    pthread_mutex_unlock(&q->mu);
}

int kube_workqueue_num_requeues(kube_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    json_t *f = json_object_get(q->failures, key);
    int n = f ? (int)json_integer_value(f) : 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

/* Moves delayed keys whose time has come to the ready FIFO; returns the next due time
 * still pending (or -1). Caller holds mu. */
static long long promote_due(kube_workqueue *q) {
    long long now = now_ms();
    while (q->delayed && q->delayed->due_ms <= now) {
        delayed *d = q->delayed;
        q->delayed = d->next;
        q->delayed_len--;
        add_locked(q, d->key);
        free(d->key);
        free(d);
    }
    return q->delayed ? q->delayed->due_ms : -1;
}

char *kube_workqueue_get(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    for (;;) {
        if (q->shutting_down) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        long long next_due = promote_due(q);
        if (!q->paused && q->head) break;
        if (next_due < 0) {
            pthread_cond_wait(&q->cond, &q->mu);
        } else {
            struct timespec ts = {.tv_sec = next_due / 1000, .tv_nsec = (next_due % 1000) * 1000000};
            pthread_cond_timedwait(&q->cond, &q->mu, &ts);
        }
    }
    qnode *n = q->head;
    q->head = n->next;
    if (!q->head) q->tail = NULL;
    q->len--;
    char *key = n->key;
    free(n);
    json_object_set_new(q->processing, key, json_true());
    json_object_del(q->dirty, key);
    pthread_mutex_unlock(&q->mu);
    return key;
}

void kube_workqueue_done(kube_workqueue *q, const char *key) {
    pthread_mutex_lock(&q->mu);
    json_object_del(q->processing, key);
    if (json_object_get(q->dirty, key) && !q->shutting_down) {
        /* Re-added while processing: queue it now (bypassing add's dedup check). */
        qnode *n = malloc(sizeof *n);
        if (n) {
            n->key = strdup(key);
            n->next = NULL;
            if (q->tail) q->tail->next = n;
            else q->head = n;
            q->tail = n;
            q->len++;
            pthread_cond_signal(&q->cond);
        }
    }
    if (json_object_size(q->processing) == 0) pthread_cond_broadcast(&q->idle_cond);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_set_paused(kube_workqueue *q, bool paused) {
    pthread_mutex_lock(&q->mu);
    q->paused = paused;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_shutdown(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    q->shutting_down = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}

void kube_workqueue_drain(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    while (json_object_size(q->processing) > 0) pthread_cond_wait(&q->idle_cond, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

bool kube_workqueue_shutting_down(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    bool s = q->shutting_down;
    pthread_mutex_unlock(&q->mu);
    return s;
}

size_t kube_workqueue_len(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    size_t n = q->len;
    pthread_mutex_unlock(&q->mu);
    return n;
}

size_t kube_workqueue_delayed_len(kube_workqueue *q) {
    pthread_mutex_lock(&q->mu);
    size_t n = q->delayed_len;
    pthread_mutex_unlock(&q->mu);
    return n;
}
