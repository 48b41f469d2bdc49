#include "kube/manager.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "kube/httpd.h"
#include "kube/leader.h"
#include "kube/workqueue.h"

#define MAX_INFORMERS 16
#define MAX_CONTROLLERS 8
#define MAX_BINDINGS 8

typedef enum { BIND_PRIMARY, BIND_OWNER, BIND_MAP } bind_kind;

/* What an informer event means for one controller. */
typedef struct binding {
    kube_controller *c;
    bind_kind kind;
    char *owner_group, *owner_kind;
    kube_map_fn map;
    void *ud;
} binding;

struct kube_controller {
    kube_manager *m;
    char *name;
    kube_reconcile_fn reconcile;
    void *ud;
    int workers;
    kube_workqueue *q;
    pthread_t *threads;
    int nthreads;
    binding bindings[MAX_BINDINGS];
    int nbindings;
};

struct kube_manager {
    kube_config *cfg;
    kube_client *client, *lease_client;
    kube_events *events;
    kube_metrics *metrics;
    kube_leader *leader;
    kube_informer *lease_inf; /* watches the Lease so a release is noticed at once */
    kube_httpd *http;
    char **namespaces;
    char **listen;
    int nlisten;
    int workers;
    bool leader_elect;
    char *lease_name, *lease_ns, *identity;
    long lease_ms, deadline_ms, retry_ms, resync_ms, watch_timeout_s;

    kube_informer *informers[MAX_INFORMERS];
    int ninformers;
    kube_controller *ctrls[MAX_CONTROLLERS];
    int nctrls;

    atomic_bool cancel;       /* reconcile ctx->cancel: not leading, or stopping */
    atomic_bool stopping, leading, election_ran, gate_open;
    pthread_t gate_thread;
    bool started, stopped, gate_started;

    kube_metric *m_reconcile, *m_errors, *m_duration, *m_depth, *m_retries, *m_leader, *m_synced;
};

kube_reconcile_result kube_result_ok(void) { return (kube_reconcile_result){0}; }

kube_reconcile_result kube_result_requeue_after(long ms) {
    kube_reconcile_result r = {0};
    r.requeue_after_ms = ms;
    return r;
}

kube_reconcile_result kube_result_error(const char *fmt, ...) {
    kube_reconcile_result r = {0};
    r.error = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.message, sizeof r.message, fmt, ap);
    va_end(ap);
    return r;
}

static char **dup_list(const char *const *l, int n) {
    if (!l) return NULL;
    if (n < 0)
        for (n = 0; l[n]; n++) {}
    if (n == 0) return NULL;
    char **out = calloc((size_t)n + 1, sizeof *out);
    for (int i = 0; i < n; i++) out[i] = strdup(l[i]);
    return out;
}

static void free_list(char **l) {
    for (char **p = l; p && *p; p++) free(*p);
    free(l);
}

static void collect(kube_metrics *reg, void *ud) {
    (void)reg;
    kube_manager *m = ud;
    for (int i = 0; i < m->nctrls; i++)
        kube_metric_set(m->m_depth, (double)kube_workqueue_len(m->ctrls[i]->q), "name", m->ctrls[i]->name, NULL);
    for (int i = 0; i < m->ninformers; i++) {
        const kube_resource *r = kube_informer_resource(m->informers[i]);
        char res[128];
        snprintf(res, sizeof res, "%s%s%s", r->group, *r->group ? "/" : "", r->plural);
        kube_metric_set(m->m_synced, kube_informer_has_synced(m->informers[i]) ? 1 : 0, "resource", res, NULL);
    }
    if (m->leader_elect) kube_metric_set(m->m_leader, atomic_load(&m->leading) ? 1 : 0, "name", m->lease_name, NULL);
}

static void register_metrics(kube_manager *m) {
    kube_metrics *r = m->metrics;
    m->m_reconcile = kube_metrics_counter(r, "controller_runtime_reconcile_total",
                                          "Total number of reconciliations per controller and result.");
    m->m_errors = kube_metrics_counter(r, "controller_runtime_reconcile_errors_total",
                                       "Total number of reconciliation errors per controller.");
    m->m_duration = kube_metrics_histogram(r, "controller_runtime_reconcile_time_seconds",
                                           "Length of time per reconciliation per controller.", NULL, 0);
    m->m_depth = kube_metrics_gauge(r, "workqueue_depth", "Current depth of the work queue.");
    m->m_retries = kube_metrics_counter(r, "workqueue_retries_total", "Total number of retries handled by the work queue.");
    kube_metrics_counter(r, "kube_informer_watch_restarts_total", "Watches re-established, by resource and reason.");
    m->m_synced = kube_metrics_gauge(r, "kube_informer_synced", "1 once the informer's first list is in its cache.");
    m->m_leader = kube_metrics_gauge(r, "leader_election_master_status",
                                     "1 while this replica holds the leader election Lease.");
    kube_metrics_on_collect(r, collect, m);
}

kube_manager *kube_manager_new(kube_config *cfg, const kube_manager_opts *o, char *err, size_t errlen) {
    kube_manager_opts dflt = {0};
    if (!o) o = &dflt;
    kube_manager *m = calloc(1, sizeof *m);
    m->cfg = cfg;
    m->client = kube_client_new(cfg, err, errlen);
    if (!m->client) {
        free(m);
        return NULL;
    }
    m->namespaces = dup_list(o->namespaces, -1);
    m->listen = dup_list(o->listen_addrs, o->nlisten);
    m->nlisten = m->listen ? o->nlisten : 0;
    m->workers = o->workers > 0 ? o->workers : 1;
    m->leader_elect = o->leader_elect;
    m->lease_name = strdup(o->lease_name && *o->lease_name ? o->lease_name : "valkey-bench-operator");
    m->lease_ns = strdup(o->lease_namespace && *o->lease_namespace ? o->lease_namespace
                         : cfg && cfg->namespace_                  ? cfg->namespace_
                                                                   : "default");
    if (o->identity && *o->identity) {
        m->identity = strdup(o->identity);
    } else {
        char host[128] = "unknown", id[192];
        gethostname(host, sizeof host - 1);
        snprintf(id, sizeof id, "%s_%d", host, (int)getpid());
        m->identity = strdup(id);
    }
    m->lease_ms = o->lease_duration_ms > 0 ? o->lease_duration_ms : 15000;
    m->deadline_ms = o->renew_deadline_ms > 0 ? o->renew_deadline_ms : 10000;
    m->retry_ms = o->retry_period_ms > 0 ? o->retry_period_ms : 2000;
    m->resync_ms = o->resync_ms;
    m->watch_timeout_s = o->watch_timeout_s;
    atomic_store(&m->cancel, true);
    m->metrics = kube_metrics_new();
    register_metrics(m);
    m->events = kube_events_new(m->client, o->component, m->identity);
    if (m->leader_elect) {
        /* Its own client: lease calls must give up well inside the renew deadline. */
        m->lease_client = kube_client_new(cfg, err, errlen);
        if (!m->lease_client) {
            kube_manager_free(m);
            return NULL;
        }
        kube_client_set_timeout_ms(m->lease_client, m->deadline_ms / 2 > 1000 ? m->deadline_ms / 2 : 1000);
        kube_client_set_max_retries(m->lease_client, 1);
    }
    return m;
}

static bool same_resource(const kube_resource *a, const kube_resource *b) {
    return strcmp(a->group ? a->group : "", b->group ? b->group : "") == 0 &&
           strcmp(a->version ? a->version : "", b->version ? b->version : "") == 0 && strcmp(a->plural, b->plural) == 0;
}

kube_informer *kube_manager_informer(kube_manager *m, const kube_resource *r, char *err, size_t errlen) {
    for (int i = 0; i < m->ninformers; i++)
        if (same_resource(kube_informer_resource(m->informers[i]), r)) return m->informers[i];
    if (m->started || m->ninformers == MAX_INFORMERS) {
        snprintf(err, errlen, "manager: informers must be created before start (at most %d)", MAX_INFORMERS);
        return NULL;
    }
    kube_informer_opts io = {.resource = r, .namespaces = (const char *const *)m->namespaces,
                             .resync_ms = m->resync_ms, .watch_timeout_s = m->watch_timeout_s, .metrics = m->metrics};
    kube_informer *inf = kube_informer_new(m->client, &io, err, errlen);
    if (inf) m->informers[m->ninformers++] = inf;
    return inf;
}

static kube_informer *find_informer(kube_manager *m, const kube_resource *r) {
    for (int i = 0; i < m->ninformers; i++)
        if (same_resource(kube_informer_resource(m->informers[i]), r)) return m->informers[i];
    return NULL;
}

json_t *kube_manager_get(kube_manager *m, const kube_resource *r, const char *ns, const char *name) {
    kube_informer *inf = find_informer(m, r);
    return inf ? kube_cache_get_by_name(kube_informer_cache(inf), r->namespaced ? ns : NULL, name) : NULL;
}

json_t *kube_manager_list(kube_manager *m, const kube_resource *r, const char *ns, const char *label_selector) {
    kube_informer *inf = find_informer(m, r);
    return inf ? kube_cache_list(kube_informer_cache(inf), ns, label_selector, NULL, 0) : NULL;
}

kube_client *kube_manager_client(kube_manager *m) { return m->client; }
kube_events *kube_manager_events(kube_manager *m) { return m->events; }
kube_metrics *kube_manager_metrics(kube_manager *m) { return m->metrics; }

static void enqueue_obj(binding *b, json_t *obj) {
    char key[512];
    if (!obj) return;
    switch (b->kind) {
    case BIND_PRIMARY:
        if (kube_object_key(obj, key, sizeof key) == 0) kube_workqueue_add(b->c->q, key);
        break;
    case BIND_OWNER:
        if (kube_owner_key(obj, b->owner_group, b->owner_kind, key, sizeof key) == 0) kube_workqueue_add(b->c->q, key);
        break;
    case BIND_MAP:
        b->map(obj, b->c, b->ud);
        break;
    }
}

static void on_add(json_t *obj, void *ud) { enqueue_obj(ud, obj); }
static void on_update(json_t *old, json_t *obj, void *ud) {
    binding *b = ud;
    enqueue_obj(b, obj);
    if (b->kind != BIND_PRIMARY && old != obj) enqueue_obj(b, old); /* the owner may have changed */
}
static void on_delete(json_t *obj, void *ud) { enqueue_obj(ud, obj); }

static int bind(kube_controller *c, const kube_resource *r, binding b, char *err, size_t errlen) {
    if (c->nbindings == MAX_BINDINGS) {
        snprintf(err, errlen, "controller %s: too many watches", c->name);
        return -1;
    }
    kube_informer *inf = kube_manager_informer(c->m, r, err, errlen);
    if (!inf) return -1;
    binding *slot = &c->bindings[c->nbindings++];
    *slot = b;
    slot->c = c;
    kube_informer_handlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete, .ud = slot};
    if (kube_informer_add_handlers(inf, &h) != 0) {
        snprintf(err, errlen, "controller %s: cannot add informer handlers", c->name);
        c->nbindings--;
        return -1;
    }
    return 0;
}

kube_controller *kube_manager_add_controller(kube_manager *m, const kube_controller_opts *o, char *err,
                                             size_t errlen) {
    if (m->started || m->nctrls == MAX_CONTROLLERS || !o || !o->name || !o->resource || !o->reconcile) {
        snprintf(err, errlen, "manager: a controller needs a name, a resource and a reconciler, before start");
        return NULL;
    }
    kube_controller *c = calloc(1, sizeof *c);
    c->m = m;
    c->name = strdup(o->name);
    c->reconcile = o->reconcile;
    c->ud = o->ud;
    c->workers = o->workers > 0 ? o->workers : m->workers;
    c->q = kube_workqueue_new();
    kube_workqueue_set_paused(c->q, true);
    m->ctrls[m->nctrls++] = c;
    if (bind(c, o->resource, (binding){.kind = BIND_PRIMARY}, err, errlen) != 0) return NULL;
    return c;
}

int kube_controller_owns(kube_controller *c, const kube_resource *child, const char *owner_group,
                         const char *owner_kind, char *err, size_t errlen) {
    binding b = {.kind = BIND_OWNER, .owner_group = owner_group ? strdup(owner_group) : NULL,
                 .owner_kind = strdup(owner_kind)};
    if (bind(c, child, b, err, errlen) == 0) return 0;
    free(b.owner_group);
    free(b.owner_kind);
    return -1;
}

int kube_controller_watches(kube_controller *c, const kube_resource *r, kube_map_fn map, void *ud, char *err,
                            size_t errlen) {
    return bind(c, r, (binding){.kind = BIND_MAP, .map = map, .ud = ud}, err, errlen);
}

static void make_key(char *key, size_t len, const char *ns, const char *name) {
    if (ns && *ns) snprintf(key, len, "%s/%s", ns, name);
    else snprintf(key, len, "%s", name);
}

void kube_controller_enqueue(kube_controller *c, const char *ns, const char *name) {
    char key[512];
    make_key(key, sizeof key, ns, name);
    kube_workqueue_add(c->q, key);
}

void kube_controller_enqueue_after(kube_controller *c, const char *ns, const char *name, long delay_ms) {
    char key[512];
    make_key(key, sizeof key, ns, name);
    kube_workqueue_add_after(c->q, key, delay_ms);
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reconcile_one(kube_controller *c, const char *key) {
    kube_manager *m = c->m;
    char ns[256], name[256];
    if (kube_key_split(key, ns, sizeof ns, name, sizeof name) != 0) {
        kube_workqueue_forget(c->q, key);
        return;
    }
    kube_reconcile_ctx ctx = {.mgr = m, .ctrl = c, .client = m->client, .events = m->events,
                              .controller = c->name, .cancel = &m->cancel, .ud = c->ud};
    double t0 = mono_s();
    kube_reconcile_result r = c->reconcile(ns, name, &ctx);
    kube_metric_observe(m->m_duration, mono_s() - t0, "controller", c->name, NULL);
    const char *result;
    if (r.error) {
        result = "error";
        kube_metric_add(m->m_errors, 1, "controller", c->name, NULL);
        kube_metric_add(m->m_retries, 1, "name", c->name, NULL);
        log_error("reconcile failed", "controller", c->name, "namespace", ns, "name", name, "error", r.message);
        kube_workqueue_add_rate_limited(c->q, key);
    } else if (r.requeue_after_ms > 0) {
        result = "requeue_after";
        kube_workqueue_forget(c->q, key);
        kube_workqueue_add_after(c->q, key, r.requeue_after_ms);
    } else if (r.requeue) {
        result = "requeue";
        kube_metric_add(m->m_retries, 1, "name", c->name, NULL);
        kube_workqueue_add_rate_limited(c->q, key);
    } else {
        result = "success";
        kube_workqueue_forget(c->q, key);
    }
    kube_metric_add(m->m_reconcile, 1, "controller", c->name, "result", result, NULL);
    log_debug("reconciled", "controller", c->name, "namespace", ns, "name", name, "result", result);
}

static void *worker_main(void *arg) {
    kube_controller *c = arg;
    char *key;
    while ((key = kube_workqueue_get(c->q)) != NULL) {
        reconcile_one(c, key);
        kube_workqueue_done(c->q, key);
        free(key);
    }
    return NULL;
}

bool kube_manager_synced(kube_manager *m) {
    for (int i = 0; i < m->ninformers; i++)
        if (!kube_informer_has_synced(m->informers[i])) return false;
    return true;
}

bool kube_manager_is_leader(kube_manager *m) { return atomic_load(&m->leading); }

bool kube_manager_ready(kube_manager *m) {
    return m->started && kube_manager_synced(m) && (!m->leader_elect || atomic_load(&m->election_ran));
}

static void set_gate(kube_manager *m, bool open) {
    if (atomic_exchange(&m->gate_open, open) == open) return;
    atomic_store(&m->cancel, !open);
    for (int i = 0; i < m->nctrls; i++) kube_workqueue_set_paused(m->ctrls[i]->q, !open);
    if (open) log_info("controllers running", "controllers", m->nctrls ? m->ctrls[0]->name : "(none)");
    else log_info("controllers paused");
}

static void on_started_leading(void *ud) {
    kube_manager *m = ud;
    atomic_store(&m->leading, true);
    atomic_store(&m->election_ran, true);
}

static void on_stopped_leading(void *ud) {
    kube_manager *m = ud;
    atomic_store(&m->leading, false);
    set_gate(m, false); /* at once, not at the next gate tick */
}

/* The Lease was released (holder cleared): candidates need not wait for their next try. */
static void lease_changed(json_t *obj, void *ud) {
    kube_manager *m = ud;
    const char *holder = json_string_value(json_object_get(json_object_get(obj, "spec"), "holderIdentity"));
    if (!holder || !*holder) kube_leader_poke(m->leader);
}
static void lease_updated(json_t *old, json_t *obj, void *ud) {
    (void)old;
    lease_changed(obj, ud);
}

static void on_new_leader(const char *identity, void *ud) {
    (void)identity;
    atomic_store(&((kube_manager *)ud)->election_ran, true);
}

/* Opens the workers' gate when caches are synced and the Lease is held. */
static void *gate_main(void *arg) {
    kube_manager *m = arg;
    while (!atomic_load(&m->stopping)) {
        set_gate(m, atomic_load(&m->leading) && kube_manager_synced(m) && !atomic_load(&m->stopping));
        usleep(50000);
    }
    return NULL;
}

static int http_handler(const char *path, char **body, const char **ctype, void *ud) {
    kube_manager *m = ud;
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/livez") == 0) {
        *body = strdup("ok\n");
        return 200;
    }
    if (strcmp(path, "/readyz") == 0) {
        bool synced = kube_manager_synced(m), ready = kube_manager_ready(m);
        char buf[512];
        snprintf(buf, sizeof buf, "[%c]informers synced\n[%c]leader election: %s\n%s\n", synced ? '+' : '-',
                 !m->leader_elect || atomic_load(&m->election_ran) ? '+' : '-',
                 !m->leader_elect ? "disabled" : atomic_load(&m->leading) ? "leader" : "follower",
                 ready ? "ok" : "not ready");
        *body = strdup(buf);
        return ready ? 200 : 503;
    }
    if (strcmp(path, "/metrics") == 0) {
        *body = kube_metrics_render(m->metrics);
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        return 200;
    }
    *body = strdup("404 page not found\n");
    return 404;
}

int kube_manager_start(kube_manager *m, char *err, size_t errlen) {
    if (m->started) return 0;
    m->started = true;
    if (m->nlisten > 0) {
        m->http = kube_httpd_start((const char *const *)m->listen, m->nlisten, http_handler, m, err, errlen);
        if (!m->http) return -1;
        for (int i = 0; i < m->nlisten; i++) {
            char port[16];
            snprintf(port, sizeof port, "%d", kube_httpd_port(m->http, i));
            log_info("http endpoint listening", "address", m->listen[i], "port", port);
        }
    }
    for (int i = 0; i < m->ninformers; i++)
        if (kube_informer_start(m->informers[i], err, errlen) != 0) return -1;
    for (int i = 0; i < m->nctrls; i++) {
        kube_controller *c = m->ctrls[i];
        c->threads = calloc((size_t)c->workers, sizeof *c->threads);
        for (int w = 0; w < c->workers; w++)
            if (pthread_create(&c->threads[w], NULL, worker_main, c) == 0) c->nthreads++;
    }
    if (m->leader_elect) {
        kube_leader_opts lo = {.lease_namespace = m->lease_ns, .lease_name = m->lease_name, .identity = m->identity,
                               .lease_duration_ms = m->lease_ms, .renew_deadline_ms = m->deadline_ms,
                               .retry_period_ms = m->retry_ms, .on_started_leading = on_started_leading,
                               .on_stopped_leading = on_stopped_leading, .on_new_leader = on_new_leader, .ud = m};
        m->leader = kube_leader_new(m->lease_client, &lo, err, errlen);
        if (!m->leader || kube_leader_start(m->leader, err, errlen) != 0) return -1;
        /* Optional speed-up, not part of readiness: polling alone is correct. */
        char fs[300];
        snprintf(fs, sizeof fs, "metadata.name=%s", m->lease_name);
        const char *lns[] = {m->lease_ns, NULL};
        kube_informer_opts io = {.resource = &KUBE_LEASES, .namespaces = lns, .field_selector = fs,
                                 .metrics = m->metrics};
        m->lease_inf = kube_informer_new(m->client, &io, err, errlen);
        if (m->lease_inf) {
            kube_informer_handlers h = {.on_add = lease_changed, .on_update = lease_updated, .ud = m};
            kube_informer_add_handlers(m->lease_inf, &h);
            if (kube_informer_start(m->lease_inf, err, errlen) != 0) return -1;
        }
    } else {
        atomic_store(&m->leading, true);
    }
    if (pthread_create(&m->gate_thread, NULL, gate_main, m) != 0) {
        snprintf(err, errlen, "manager: cannot start a thread");
        return -1;
    }
    m->gate_started = true;
    return 0;
}

void kube_manager_stop(kube_manager *m) {
    if (!m->started || m->stopped) return;
    m->stopped = true;
    log_info("manager stopping");
    atomic_store(&m->stopping, true);
    if (m->gate_started) pthread_join(m->gate_thread, NULL);
    atomic_store(&m->cancel, true);
    /* Workers finish what they hold; nothing new is handed out. */
    for (int i = 0; i < m->nctrls; i++) kube_workqueue_shutdown(m->ctrls[i]->q);
    for (int i = 0; i < m->nctrls; i++) {
        kube_controller *c = m->ctrls[i];
        for (int w = 0; w < c->nthreads; w++) pthread_join(c->threads[w], NULL);
        c->nthreads = 0;
    }
    /* Only now is it safe to let another replica lead. */
    if (m->leader) kube_leader_stop(m->leader);
    for (int i = 0; i < m->ninformers; i++) kube_informer_stop(m->informers[i]);
    if (m->lease_inf) kube_informer_stop(m->lease_inf);
    kube_events_flush(m->events, 2000);
    if (m->http) {
        kube_httpd_stop(m->http);
        m->http = NULL;
    }
    log_info("manager stopped");
}

void kube_manager_free(kube_manager *m) {
    if (!m) return;
    kube_manager_stop(m);
    for (int i = 0; i < m->nctrls; i++) {
        kube_controller *c = m->ctrls[i];
        for (int b = 0; b < c->nbindings; b++) {
            free(c->bindings[b].owner_group);
            free(c->bindings[b].owner_kind);
        }
        kube_workqueue_free(c->q);
        free(c->threads);
        free(c->name);
        free(c);
    }
    for (int i = 0; i < m->ninformers; i++) kube_informer_free(m->informers[i]);
    kube_informer_free(m->lease_inf);
    kube_leader_free(m->leader);
    kube_events_free(m->events);
    kube_metrics_free(m->metrics);
    if (m->lease_client) kube_client_free(m->lease_client);
    if (m->client) kube_client_free(m->client);
    free_list(m->namespaces);
    free_list(m->listen);
    free(m->lease_name);
    free(m->lease_ns);
    free(m->identity);
    free(m);
}

int kube_manager_http_port(kube_manager *m, int i) { return m->http ? kube_httpd_port(m->http, i) : -1; }
