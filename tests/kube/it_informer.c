/* Integration test of kube/informer against kubesim (run by with_kubesim.sh).
 *
 * Two informers on ConfigMaps (two selected namespaces; all namespaces with a label
 * selector) keep a cache and, through their handlers, a mirror map built only from
 * add/update/delete events. While a mutator creates, updates and deletes ConfigMaps, the
 * test injects faults through kubesim's admin endpoint: dropped watches, history expiry
 * (410 on reconnect: relist and replay the differences) and a server restart. After each
 * phase both the cache and the event mirror must equal a fresh LIST (names and
 * resourceVersions). Usage: it_informer [rounds]  (KUBECONFIG points at kubesim). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"

static const char *const NAMESPACES[] = {"inf-a", "inf-b", NULL};
#define LABEL_SEL "it=informer"

typedef struct mirror {
    pthread_mutex_t mu;
    json_t *rv_by_key;
    unsigned long adds, updates, deletes;
} mirror;

static void mirror_put(json_t *obj, void *ud) {
    mirror *m = ud;
    char key[256];
    if (kube_object_key(obj, key, sizeof key) != 0) return;
    pthread_mutex_lock(&m->mu);
    json_object_set_new(m->rv_by_key, key, json_string(kube_object_rv(obj)));
    pthread_mutex_unlock(&m->mu);
}
static void on_add(json_t *obj, void *ud) {
    ((mirror *)ud)->adds++;
    mirror_put(obj, ud);
}
static void on_update(json_t *old, json_t *obj, void *ud) {
    (void)old;
    ((mirror *)ud)->updates++;
    mirror_put(obj, ud);
}
static void on_delete(json_t *obj, void *ud) {
    mirror *m = ud;
    char key[256];
    if (kube_object_key(obj, key, sizeof key) != 0) return;
    pthread_mutex_lock(&m->mu);
    m->deletes++;
    json_object_del(m->rv_by_key, key);
    pthread_mutex_unlock(&m->mu);
}

static void die(const char *what, kube_status *st) {
    fprintf(stderr, "FAIL: %s: %ld %s %s\n", what, st ? st->code : 0, st ? st->reason : "", st ? st->message : "");
    exit(1);
}

/* kubesim's admin endpoint wants the admin token (KUBESIM_DIR/admin-token). */
static kube_client *admin_client;

static void admin(kube_client *unused, const char *action, const char *body) {
    (void)unused;
    kube_client *c = admin_client;
    char path[128];
    snprintf(path, sizeof path, "/_kubesim/%s", action);
    json_t *b = body ? json_loads(body, 0, NULL) : json_object();
    json_t *out = NULL;
    kube_status st = {0};
    /* The fault may cut this very connection (drop-watches, restart): retry transport errors. */
    int rc = -1;
    for (int attempt = 0; attempt < 5 && rc != 0; attempt++) {
        kube_status_clear(&st);
        rc = kube_request(c, "POST", path, NULL, b, &out, &st);
        if (rc != 0 && st.code != 0) die(action, &st);
        if (rc != 0) usleep(200000);
    }
    if (rc != 0) die(action, &st);
    json_decref(b);
    json_decref(out);
    printf("fault: %s %s\n", action, body ? body : "");
}

/* key -> resourceVersion of a fresh LIST (in ns, or all namespaces with the selector). */
static json_t *fresh_list(kube_client *c, const char *ns, const char *sel) {
    kube_list_opts lo = {.label_selector = sel};
    json_t *list = NULL;
    kube_status st = {0};
    if (kube_list(c, &KUBE_CONFIGMAPS, ns, &lo, &list, &st) != 0) {
        kube_status_clear(&st);
        return NULL;
    }
    json_t *out = json_object();
    size_t i;
    json_t *item;
    char key[256];
    json_array_foreach(json_object_get(list, "items"), i, item) {
        if (kube_object_key(item, key, sizeof key) == 0) json_object_set_new(out, key, json_string(kube_object_rv(item)));
    }
    json_decref(list);
    return out;
}

static json_t *cache_view(kube_informer *inf) {
    json_t *items = kube_cache_list(kube_informer_cache(inf), NULL, NULL, NULL, 0);
    json_t *out = json_object();
    size_t i;
    json_t *item;
    char key[256];
    json_array_foreach(items, i, item) {
        if (kube_object_key(item, key, sizeof key) == 0) json_object_set_new(out, key, json_string(kube_object_rv(item)));
    }
    json_decref(items);
    return out;
}

static bool consistent(kube_client *c, kube_informer *inf, mirror *m, bool by_ns, char *why, size_t whylen) {
    json_t *want = json_object();
    if (by_ns) {
        for (int i = 0; NAMESPACES[i]; i++) {
            json_t *part = fresh_list(c, NAMESPACES[i], NULL);
            if (!part) {
                json_decref(want);
                snprintf(why, whylen, "list failed");
                return false;
            }
            json_object_update(want, part);
            json_decref(part);
        }
    } else {
        json_decref(want);
        want = fresh_list(c, NULL, LABEL_SEL);
        if (!want) {
            snprintf(why, whylen, "list failed");
            return false;
        }
    }
    json_t *cache = cache_view(inf);
    pthread_mutex_lock(&m->mu);
    json_t *mir = json_deep_copy(m->rv_by_key);
    pthread_mutex_unlock(&m->mu);
    bool ok = json_equal(want, cache) && json_equal(want, mir);
    if (!ok) {
        char *a = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS), *b = json_dumps(cache, JSON_COMPACT | JSON_SORT_KEYS),
             *d = json_dumps(mir, JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(why, whylen, "list=%.300s\ncache=%.300s\nmirror=%.300s", a, b, d);
        free(a), free(b), free(d);
    }
    json_decref(want);
    json_decref(cache);
    json_decref(mir);
    return ok;
}

static void wait_consistent(kube_client *c, kube_informer *inf, mirror *m, bool by_ns, const char *phase) {
    char why[1200] = "";
    /* Generous: convergence is what is tested, not speed (shared machine). */
    for (int i = 0; i < 1200; i++) {
        if (consistent(c, inf, m, by_ns, why, sizeof why)) {
            printf("phase %s: %s informer consistent after %d polls\n", phase, by_ns ? "namespaced" : "selector", i);
            return;
        }
        usleep(100000);
    }
    fprintf(stderr, "FAIL: phase %s: %s informer inconsistent:\n%s\n", phase, by_ns ? "namespaced" : "selector", why);
    exit(1);
}

static void ensure_namespace(kube_client *c, const char *ns) {
    json_t *o = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
    kube_status st = {0};
    if (kube_create(c, &KUBE_NAMESPACES, NULL, o, NULL, &st) != 0 && !kube_is_already_exists(&st))
        die("create namespace", &st);
    kube_status_clear(&st);
    json_decref(o);
}

/* One random mutation on ConfigMap cm-<n> in one of the namespaces (or in inf-c, which
 * neither namespaced informer watches). Retries transport failures (server restarts). */
static void mutate(kube_client *c, unsigned int *seed, int serial) {
    static const char *const all_ns[] = {"inf-a", "inf-b", "inf-c"};
    const char *ns = all_ns[rand_r(seed) % 3];
    char name[32];
    snprintf(name, sizeof name, "cm-%d", rand_r(seed) % 12);
    int op = rand_r(seed) % 3;
    kube_status st = {0};
    for (int attempt = 0; attempt < 50; attempt++) {
        int rc;
        if (op == 2) {
            rc = kube_delete(c, &KUBE_CONFIGMAPS, ns, name, KUBE_PROPAGATION_DEFAULT, NULL, &st);
            if (rc != 0 && kube_is_not_found(&st)) rc = 0;
        } else {
            char v[16];
            snprintf(v, sizeof v, "%d", serial);
            json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                                  "metadata", "name", name, "namespace", ns, "labels", "it",
                                  rand_r(seed) % 4 ? "informer" : "other", "data", "serial", v);
            rc = kube_create(c, &KUBE_CONFIGMAPS, ns, o, NULL, &st);
            if (rc != 0 && kube_is_already_exists(&st)) {
                kube_status_clear(&st);
                /* merge patch: no resourceVersion needed */
                json_t *p = json_pack("{s:{s:s},s:{s:{s:s}}}", "data", "serial", v, "metadata", "labels", "it",
                                      rand_r(seed) % 4 ? "informer" : "other");
                rc = kube_patch(c, &KUBE_CONFIGMAPS, ns, name, NULL, KUBE_PATCH_MERGE, p, NULL, &st);
                if (rc != 0 && kube_is_not_found(&st)) rc = 0;
                json_decref(p);
            }
            json_decref(o);
        }
        if (rc == 0 || st.code != 0) {
            if (rc != 0 && st.code != 404) fprintf(stderr, "note: mutation failed: %ld %s\n", st.code, st.message);
            kube_status_clear(&st);
            return;
        }
        kube_status_clear(&st);
        usleep(100000); /* server down: try again */
    }
}

static void run_phase(kube_client *c, kube_informer *a, mirror *ma, kube_informer *b, mirror *mb, unsigned int *seed,
                      int *serial, const char *phase, const char *fault, const char *body) {
    for (int i = 0; i < 15; i++) mutate(c, seed, (*serial)++);
    if (fault) {
        if (strcmp(fault, "expire-history") == 0) {
            /* Move the store past the informers' resourceVersions (inf-c is not watched by a
             * and, with label other, not by b), expire, then cut the watches: the reconnect
             * from the old resourceVersion must get 410 and relist. */
            for (int i = 0; i < 3; i++) {
                json_t *o = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:i}}", "apiVersion", "v1", "kind", "ConfigMap",
                                      "metadata", "generateName", "bump-", "namespace", "inf-c", "data", "n", i);
                kube_status st = {0};
                kube_create(c, &KUBE_CONFIGMAPS, "inf-c", o, NULL, &st);
                kube_status_clear(&st);
                json_decref(o);
            }
            admin(c, "expire-history", NULL);
            admin(c, "drop-watches", NULL);
        } else {
            admin(c, fault, body);
        }
    }
    for (int i = 0; i < 15; i++) mutate(c, seed, (*serial)++);
    wait_consistent(c, a, ma, true, phase);
    wait_consistent(c, b, mb, false, phase);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    char err[512];
    kube_config *cfg = NULL;
    kube_config_opts co = {.kubeconfig_path = getenv("KUBECONFIG")};
    if (kube_config_load(&co, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "FAIL: config: %s\n", err);
        return 1;
    }
    kube_client *c = kube_client_new(cfg, err, sizeof err);
    if (!c) {
        fprintf(stderr, "FAIL: client: %s\n", err);
        return 1;
    }
    kube_client_set_timeout_ms(c, 5000);
    kube_config *admin_cfg = NULL;
    if (kube_config_load(&co, &admin_cfg, err, sizeof err) != 0) return 1;
    char path[512], tok[256] = "";
    snprintf(path, sizeof path, "%s/admin-token", getenv("KUBESIM_DIR") ? getenv("KUBESIM_DIR") : ".");
    FILE *f = fopen(path, "r");
    if (!f || !fgets(tok, sizeof tok, f)) {
        fprintf(stderr, "FAIL: cannot read %s\n", path);
        return 1;
    }
    fclose(f);
    tok[strcspn(tok, "\r\n")] = '\0';
    free(admin_cfg->token);
    admin_cfg->token = strdup(tok);
    admin_client = kube_client_new(admin_cfg, err, sizeof err);
    if (!admin_client) return 1;
    for (int i = 0; i < 3; i++) ensure_namespace(c, (const char *[]){"inf-a", "inf-b", "inf-c"}[i]);

    mirror ma = {.rv_by_key = json_object()}, mb = {.rv_by_key = json_object()};
    pthread_mutex_init(&ma.mu, NULL);
    pthread_mutex_init(&mb.mu, NULL);
    kube_informer_opts oa = {.resource = &KUBE_CONFIGMAPS, .namespaces = NAMESPACES, .backoff_initial_ms = 100,
                             .backoff_max_ms = 1000, .watch_timeout_s = 20};
    kube_informer_opts ob = {.resource = &KUBE_CONFIGMAPS, .label_selector = LABEL_SEL, .backoff_initial_ms = 100,
                             .backoff_max_ms = 1000, .watch_timeout_s = 20};
    kube_informer *a = kube_informer_new(c, &oa, err, sizeof err);
    kube_informer *b = kube_informer_new(c, &ob, err, sizeof err);
    if (!a || !b) {
        fprintf(stderr, "FAIL: informer: %s\n", err);
        return 1;
    }
    kube_informer_add_handlers(a, &(kube_informer_handlers){on_add, on_update, on_delete, &ma});
    kube_informer_add_handlers(b, &(kube_informer_handlers){on_add, on_update, on_delete, &mb});
    if (kube_informer_start(a, err, sizeof err) != 0 || kube_informer_start(b, err, sizeof err) != 0) {
        fprintf(stderr, "FAIL: start: %s\n", err);
        return 1;
    }
    if (!kube_informer_wait_synced(a, 60000, NULL) || !kube_informer_wait_synced(b, 60000, NULL)) {
        fprintf(stderr, "FAIL: informers did not sync\n");
        return 1;
    }
    unsigned int seed = (unsigned int)time(NULL);
    printf("seed %u\n", seed);
    int serial = 0;
    for (int r = 0; r < rounds; r++) {
        run_phase(c, a, &ma, b, &mb, &seed, &serial, "steady", NULL, NULL);
        unsigned long restarts = kube_informer_restarts(a);
        run_phase(c, a, &ma, b, &mb, &seed, &serial, "dropped-watches", "drop-watches", NULL);
        if (kube_informer_restarts(a) <= restarts) {
            fprintf(stderr, "FAIL: no watch restart counted after drop-watches\n");
            return 1;
        }
        unsigned long relists = kube_informer_relists(a) + kube_informer_relists(b);
        run_phase(c, a, &ma, b, &mb, &seed, &serial, "410-expired", "expire-history", NULL);
        if (kube_informer_relists(a) + kube_informer_relists(b) <= relists) {
            fprintf(stderr, "FAIL: no relist after history expiry\n");
            return 1;
        }
        run_phase(c, a, &ma, b, &mb, &seed, &serial, "server-restart", "restart", "{\"downtime\": 1}");
    }
    /* A server that comes back empty (state wiped): the informers must end up empty-consistent
     * with it, not keep serving the old objects. */
    run_phase(c, a, &ma, b, &mb, &seed, &serial, "server-restart-wiped", "restart", "{\"downtime\": 1, \"wipe\": true}");
    printf("events: a add=%lu update=%lu delete=%lu; b add=%lu update=%lu delete=%lu; restarts a=%lu b=%lu; "
           "relists a=%lu b=%lu\n",
           ma.adds, ma.updates, ma.deletes, mb.adds, mb.updates, mb.deletes, kube_informer_restarts(a),
           kube_informer_restarts(b), kube_informer_relists(a), kube_informer_relists(b));
    kube_informer_free(a);
    kube_informer_free(b);
    json_decref(ma.rv_by_key);
    json_decref(mb.rv_by_key);
    pthread_mutex_destroy(&ma.mu);
    pthread_mutex_destroy(&mb.mu);
    kube_client_free(c);
    kube_client_free(admin_client);
    kube_config_free(cfg);
    kube_config_free(admin_cfg);
    printf("PASS\n");
    return 0;
}
