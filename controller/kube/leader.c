#include "kube/leader.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "kube/cache.h"

struct kube_leader {
    kube_client *client;
    char *ns, *name, *identity;
    long duration_ms, deadline_ms, retry_ms;
    kube_leader_opts cb; /* callbacks and ud only */

    pthread_t thread;
    bool started;
    atomic_bool stop, leading, poked;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    unsigned int seed;

    /* What this replica last saw in the Lease, and when (monotonic). */
    char obs_holder[256];
    char obs_renew[64];
    char obs_rv[64];
    long obs_duration_s;
    long long obs_at_ms;
};

typedef enum { TRY_HELD, TRY_FAILED, TRY_OTHER_HOLDER } try_result;

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kube_format_microtime(const struct timespec *t, char *buf, size_t len) {
    struct tm tm;
    gmtime_r(&t->tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%.19s.%06dZ", base, (int)(t->tv_nsec / 1000 % 1000000));
}

static void now_microtime(char *buf, size_t len) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    kube_format_microtime(&ts, buf, len);
}

static bool sleep_ms(kube_leader *l, long ms) {
    long long until = mono_ms() + ms;
    pthread_mutex_lock(&l->mu);
    while (!atomic_load(&l->stop) && !atomic_exchange(&l->poked, false) && mono_ms() < until) {
        struct timespec ts = {.tv_sec = until / 1000, .tv_nsec = (until % 1000) * 1000000};
        pthread_cond_timedwait(&l->cond, &l->mu, &ts);
    }
    pthread_mutex_unlock(&l->mu);
    return !atomic_load(&l->stop);
}

kube_leader *kube_leader_new(kube_client *client, const kube_leader_opts *o, char *err, size_t errlen) {
    if (!client || !o || !o->lease_name || !*o->lease_name || !o->lease_namespace || !*o->lease_namespace ||
        !o->identity || !*o->identity) {
        snprintf(err, errlen, "leader election needs a lease name, a lease namespace and an identity");
        return NULL;
    }
    kube_leader *l = calloc(1, sizeof *l);
    l->client = client;
    l->ns = strdup(o->lease_namespace);
    l->name = strdup(o->lease_name);
    l->identity = strdup(o->identity);
    l->duration_ms = o->lease_duration_ms > 0 ? o->lease_duration_ms : 15000;
    l->deadline_ms = o->renew_deadline_ms > 0 ? o->renew_deadline_ms : 10000;
    l->retry_ms = o->retry_period_ms > 0 ? o->retry_period_ms : 2000;
    l->cb = *o;
    l->seed = (unsigned int)(time(NULL) ^ getpid());
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (l->deadline_ms >= l->duration_ms || l->retry_ms >= l->deadline_ms) {
        snprintf(err, errlen, "leader election needs retry period < renew deadline < lease duration");
        kube_leader_free(l);
        return NULL;
    }
    return l;
}

static const char *spec_str(json_t *lease, const char *field) {
    const char *s = json_string_value(json_object_get(json_object_get(lease, "spec"), field));
    return s ? s : "";
}

static long spec_int(json_t *lease, const char *field) {
    return (long)json_integer_value(json_object_get(json_object_get(lease, "spec"), field));
}

/* Records the Lease as seen now; the observation time only moves when the record changes,
 * which is what makes expiry independent of the holder's clock. */
static void observe(kube_leader *l, json_t *lease) {
    const char *holder = spec_str(lease, "holderIdentity");
    const char *renew = spec_str(lease, "renewTime");
    const char *rv = kube_object_rv(lease);
    bool changed = strcmp(holder, l->obs_holder) != 0 || strcmp(renew, l->obs_renew) != 0 || l->obs_at_ms == 0;
    if (strcmp(holder, l->obs_holder) != 0) {
        if (*holder) log_info("lease holder changed", "lease", l->name, "holder", holder);
        if (l->cb.on_new_leader) l->cb.on_new_leader(holder, l->cb.ud);
    }
    snprintf(l->obs_holder, sizeof l->obs_holder, "%s", holder);
    snprintf(l->obs_renew, sizeof l->obs_renew, "%s", renew);
    snprintf(l->obs_rv, sizeof l->obs_rv, "%s", rv);
    l->obs_duration_s = spec_int(lease, "leaseDurationSeconds");
    if (changed) l->obs_at_ms = mono_ms();
}

static json_t *lease_object(kube_leader *l, const char *rv, const char *holder, long duration_s,
                            const char *acquire, const char *renew, long transitions) {
    json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:I,s:s,s:s,s:I}}", "apiVersion", "coordination.k8s.io/v1",
                          "kind", "Lease", "metadata", "name", l->name, "namespace", l->ns, "spec",
                          "holderIdentity", holder, "leaseDurationSeconds", (json_int_t)duration_s,
                          "acquireTime", acquire, "renewTime", renew, "leaseTransitions", (json_int_t)transitions);
    if (rv && *rv) json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string(rv));
    return o;
}

static long lease_seconds(kube_leader *l) { return (l->duration_ms + 999) / 1000; }

static try_result try_acquire_or_renew(kube_leader *l) {
    char now[40];
    now_microtime(now, sizeof now);
    json_t *lease = NULL, *out = NULL;
    kube_status st = {0};
    try_result res = TRY_FAILED;
    if (kube_get(l->client, &KUBE_LEASES, l->ns, l->name, &lease, &st) != 0) {
        if (!kube_is_not_found(&st)) {
            log_warn("lease read failed", "lease", l->name, "reason", st.reason, "error", st.message);
            goto done;
        }
        kube_status_clear(&st);
        json_t *obj = lease_object(l, NULL, l->identity, lease_seconds(l), now, now, 0);
        if (kube_create(l->client, &KUBE_LEASES, l->ns, obj, &out, &st) == 0) {
            observe(l, out);
            res = TRY_HELD;
        } else if (!kube_is_already_exists(&st)) {
            log_warn("lease create failed", "lease", l->name, "reason", st.reason, "error", st.message);
        }
        json_decref(obj);
        goto done;
    }
    observe(l, lease);
    const char *holder = spec_str(lease, "holderIdentity");
    bool mine = strcmp(holder, l->identity) == 0;
    long dur_s = l->obs_duration_s > 0 ? l->obs_duration_s : lease_seconds(l);
    if (*holder && !mine && mono_ms() < l->obs_at_ms + dur_s * 1000) {
        res = TRY_OTHER_HOLDER;
        goto done;
    }
    const char *acquire = mine ? spec_str(lease, "acquireTime") : now;
    long transitions = spec_int(lease, "leaseTransitions") + (mine ? 0 : 1);
    json_t *obj = lease_object(l, kube_object_rv(lease), l->identity, lease_seconds(l), *acquire ? acquire : now,
                               now, transitions);
    if (kube_update(l->client, &KUBE_LEASES, l->ns, l->name, obj, &out, &st) == 0) {
        observe(l, out);
        res = TRY_HELD;
    } else if (kube_is_conflict(&st)) {
        res = mine ? TRY_FAILED : TRY_OTHER_HOLDER; /* someone else wrote it first */
    } else {
        log_warn("lease update failed", "lease", l->name, "reason", st.reason, "error", st.message);
    }
    json_decref(obj);
done:
    kube_status_clear(&st);
    json_decref(lease);
    json_decref(out);
    return res;
}

static void release(kube_leader *l) {
    json_t *lease = NULL;
    kube_status st = {0};
    if (kube_get(l->client, &KUBE_LEASES, l->ns, l->name, &lease, &st) == 0 &&
        strcmp(spec_str(lease, "holderIdentity"), l->identity) == 0) {
        char now[40];
        now_microtime(now, sizeof now);
        json_t *obj = lease_object(l, kube_object_rv(lease), "", 1, now, now, spec_int(lease, "leaseTransitions"));
        kube_status_clear(&st);
        if (kube_update(l->client, &KUBE_LEASES, l->ns, l->name, obj, NULL, &st) == 0)
            log_info("lease released", "lease", l->name, "identity", l->identity);
        else
            log_warn("lease release failed", "lease", l->name, "reason", st.reason, "error", st.message);
        json_decref(obj);
    }
    kube_status_clear(&st);
    json_decref(lease);
}

static void set_leading(kube_leader *l, bool on) {
    if (atomic_exchange(&l->leading, on) == on) return;
    if (on) {
        log_info("became leader", "lease", l->name, "namespace", l->ns, "identity", l->identity);
        if (l->cb.on_started_leading) l->cb.on_started_leading(l->cb.ud);
    } else {
        log_info("stopped leading", "lease", l->name, "identity", l->identity);
        if (l->cb.on_stopped_leading) l->cb.on_stopped_leading(l->cb.ud);
    }
}

static void *election_main(void *arg) {
    kube_leader *l = arg;
    log_info("leader election started", "lease", l->name, "namespace", l->ns, "identity", l->identity);
    while (!atomic_load(&l->stop)) {
        try_result tr = try_acquire_or_renew(l);
        if (tr != TRY_HELD) {
            /* client-go's JitterUntil with factor 1.2; but when the holder's lease runs out
             * sooner, try right after it does (a quicker takeover from a dead leader). */
            long d = l->retry_ms + (long)(l->retry_ms * 0.2 * (rand_r(&l->seed) / ((double)RAND_MAX + 1)));
            if (tr == TRY_OTHER_HOLDER && l->obs_duration_s > 0) {
                long long left = l->obs_at_ms + l->obs_duration_s * 1000 - mono_ms();
                if (left >= 0 && left + 20 < d) d = (long)left + 20;
            }
            sleep_ms(l, d);
            continue;
        }
        long long last_renew = mono_ms();
        set_leading(l, true);
        while (sleep_ms(l, l->retry_ms)) {
            try_result r = try_acquire_or_renew(l);
            if (r == TRY_HELD) {
                last_renew = mono_ms();
                continue;
            }
            if (r == TRY_OTHER_HOLDER) {
                log_warn("lease taken by another holder", "lease", l->name, "holder", l->obs_holder);
                break;
            }
            if (mono_ms() - last_renew >= l->deadline_ms) {
                log_warn("lease renew deadline passed", "lease", l->name, "identity", l->identity);
                break;
            }
        }
        if (atomic_load(&l->stop)) break;
        set_leading(l, false);
    }
    if (atomic_load(&l->leading)) {
        /* Stop the reconcilers before the lease is up for grabs. */
        set_leading(l, false);
        release(l);
    }
    return NULL;
}

int kube_leader_start(kube_leader *l, char *err, size_t errlen) {
    if (l->started) return 0;
    if (pthread_create(&l->thread, NULL, election_main, l) != 0) {
        snprintf(err, errlen, "leader election: cannot start a thread");
        return -1;
    }
    l->started = true;
    return 0;
}

bool kube_leader_is_leader(kube_leader *l) { return l && atomic_load(&l->leading); }

void kube_leader_poke(kube_leader *l) {
    if (!l || atomic_load(&l->leading)) return; /* only candidates wait for a chance */
    pthread_mutex_lock(&l->mu);
    atomic_store(&l->poked, true);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
}

void kube_leader_stop(kube_leader *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    atomic_store(&l->stop, true);
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->mu);
    if (l->started) {
        pthread_join(l->thread, NULL);
        l->started = false;
    }
}

void kube_leader_free(kube_leader *l) {
    if (!l) return;
    kube_leader_stop(l);
    free(l->ns);
    free(l->name);
    free(l->identity);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
