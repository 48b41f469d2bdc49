/* Run orchestration: topology discovery, one thread per worker per test, results. */
#include "engine/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "engine/net.h"
#include "engine/slot.h"
#include "engine/worker.h"
#include "engine/workload.h"

static atomic_int stop_requested;

void engine_stop(void) { atomic_store(&stop_requested, 1); }
int engine_stop_requested(void) { return atomic_load_explicit(&stop_requested, memory_order_relaxed); }

const char *engine_mode_name(engine_mode m) {
    switch (m) {
    case ENGINE_CLUSTER:
        return "cluster";
    case ENGINE_REPLICATION:
        return "replication";
    default:
        return "standalone";
    }
}

/* The start line: workers report connected, then wait until the main thread has set
 * the clock and says go (a condition variable, so a thread that failed to start
 * cannot leave the others waiting as a barrier would). */
typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t ready;
    int go;
} gate;

typedef struct thread_arg {
    worker w;
    gate *g;
    uint64_t seed;
} thread_arg;

static void *thread_main(void *p) {
    thread_arg *a = p;
    worker_connect(&a->w, a->seed);
    pthread_mutex_lock(&a->g->mu);
    a->g->ready++;
    pthread_cond_broadcast(&a->g->cv);
    while (!a->g->go) pthread_cond_wait(&a->g->cv, &a->g->mu);
    pthread_mutex_unlock(&a->g->mu);
    if (!atomic_load(&a->w.sh->abort)) worker_run(&a->w);
    worker_close(&a->w);
    return NULL;
}

/* Runs test k on every thread; fills out. 0, or -1 when a worker or the start line
 * failed (err set). */
static int run_test(const engine_config *cfg, int k, run_shared *sh, engine_test_result *out, char *err,
                    size_t errlen) {
    uint64_t nthreads = cfg->threads < cfg->clients ? cfg->threads : cfg->clients;
    thread_arg *args = calloc(nthreads, sizeof *args);
    pthread_t *tids = calloc(nthreads, sizeof *tids);
    if (!args || !tids) {
        free(args);
        free(tids);
        snprintf(err, errlen, "out of memory starting %llu threads", (unsigned long long)nthreads);
        return -1;
    }
    sh->nworkers = (int)nthreads;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    uint64_t seed = cfg->seed_rng ? cfg->seed_rng : engine_now_ns() ^ ((uint64_t)time(NULL) << 20);
    uint64_t first = 0, started = 0;
    for (uint64_t i = 0; i < nthreads; i++) {
        thread_arg *a = &args[i];
        a->w.id = (int)i;
        a->w.sh = sh;
        a->w.nclients = (int)(cfg->clients / nthreads + (i < cfg->clients % nthreads));
        a->w.first_client = first;
        first += (uint64_t)a->w.nclients;
        a->g = &g;
        a->seed = seed + i * 0x632BE59BD9B4E019ULL;
        if (pthread_create(&tids[i], NULL, thread_main, a) != 0) {
            a->w.failed = 1;
            snprintf(a->w.err, sizeof a->w.err, "cannot start thread %llu", (unsigned long long)i);
            atomic_store(&sh->abort, 1);
            break;
        }
        started++;
    }
    pthread_mutex_lock(&g.mu);
    while (g.ready < started) pthread_cond_wait(&g.cv, &g.mu);
    pthread_mutex_unlock(&g.mu);
    char line_err[512] = "";
    if (cfg->start_line && !atomic_load(&sh->abort) &&
        cfg->start_line(cfg->start_line_arg, k, out->name, line_err, sizeof line_err) != 0) {
        if (!line_err[0]) snprintf(line_err, sizeof line_err, "the start line of test %s failed", out->name);
        atomic_store(&sh->abort, 1);
    }
    pthread_mutex_lock(&g.mu);
    sh->start_ns = engine_now_ns();
    sh->measure_ns = sh->start_ns + (uint64_t)(cfg->warmup_s * 1e9);
    sh->stop_ns = cfg->duration_s > 0 ? sh->measure_ns + (uint64_t)(cfg->duration_s * 1e9) : 0;
    g.go = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    for (uint64_t i = 0; i < started; i++) pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&g.mu);
    pthread_cond_destroy(&g.cv);

    uint64_t last = 0;
    int rc = 0;
    for (uint64_t i = 0; i < nthreads; i++) {
        worker *w = &args[i].w;
        if (i < started) histogram_merge(&out->hist, &w->hist);
        out->requests += w->ok + w->errors;
        out->errors += w->errors;
        out->redirects += w->redirects;
        if (w->last_done_ns > last) last = w->last_done_ns;
        if (w->failed && rc == 0) {
            snprintf(err, errlen, "%s", w->err);
            rc = -1;
        }
    }
    if (line_err[0]) {
        snprintf(err, errlen, "%s", line_err);
        rc = -1;
    } else if (rc == 0 && atomic_load(&sh->abort)) {
        snprintf(err, errlen, "run aborted");
        rc = -1;
    }
    out->elapsed_ns = last > sh->measure_ns ? last - sh->measure_ns : 0;
    out->rps = out->elapsed_ns ? (double)out->requests * 1e9 / (double)out->elapsed_ns : 0.0;
    free(args);
    free(tids);
    return rc;
}

static void utc_timestamp(char *buf, size_t len) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y%m%d-%H%M%S", &tm);
}

/* Discovers the topology into sh (and *map). 0, or -1 with err. */
static int discover(const engine_config *cfg, run_shared *sh, slot_map **map, engine_endpoint *replicas, char *err,
                    size_t errlen) {
    if (cfg->mode == ENGINE_REPLICATION) {
        int n = 0;
        if (net_replication_discover(cfg, &sh->primary, replicas, &n, err, errlen) != 0) return -1;
        sh->replicas = replicas;
        sh->nreplicas = n;
        return 0;
    }
    sh->primary = cfg->seed;
    void *ctx = net_connect(cfg, &cfg->seed, err, errlen);
    if (!ctx) return -1;
    int rc = 0;
    if (cfg->mode == ENGINE_CLUSTER) {
        *map = malloc(sizeof **map);
        rc = *map ? net_cluster_discover(ctx, &cfg->seed, *map, err, errlen) : -1;
        sh->map = *map;
    }
    net_close(ctx);
    return rc;
}

/* Cluster mode: the key_pools table (worker.h) that lets a batch draw uniform keys of
 * one node with one lookup each. NULL when the keyspace is too large or the key holds
 * more than the first random field (then client.c falls back to rejection sampling). */
#define KEY_POOLS_MAX (4u << 20)
/* CRC16-XMODEM continued from `crc` (slot.c's crc16_xmodem starts from 0), so the
 * slots of a million consecutive key numbers cost two CRC steps each, not sixteen. */
static uint16_t crc_table[256];
static uint16_t crc16_continue(uint16_t crc, const char *p, size_t len) {
    if (!crc_table[1])
        for (unsigned i = 0; i < 256; i++) {
            uint16_t c = (uint16_t)(i << 8);
            for (int b = 0; b < 8; b++) c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
            crc_table[i] = c;
        }
    for (size_t i = 0; i < len; i++)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ (unsigned char)p[i]) & 0xff]);
    return crc;
}

/* Slots of keys 0..n-1 (key: the template's key bytes, digits at `digits`). */
static void key_slots(char *key, size_t len, char *digits, uint64_t n, uint16_t *out) {
    /* The bytes that are hashed: the hash tag's content, else the whole key; digits
     * hold no braces, so the region is the same for every number. */
    size_t h0 = 0, h1 = len;
    const char *open = memchr(key, '{', len);
    if (open) {
        const char *close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
        if (close && close > open + 1) {
            h0 = (size_t)(open + 1 - key);
            h1 = (size_t)(close - key);
        }
    }
    size_t d = (size_t)(digits - key);
    if (d < h0 || d + ENGINE_KEY_DIGITS > h1) { /* digits outside the hashed bytes */
        for (uint64_t v = 0; v < n; v++) {
            workload_put_digits(digits, v);
            out[v] = (uint16_t)key_hash_slot(key, len);
        }
        return;
    }
    const size_t last2 = d + ENGINE_KEY_DIGITS - 2;
    uint16_t head = 0;
    for (uint64_t v = 0; v < n; v++) {
        workload_put_digits(digits, v);
        if (v % 100 == 0) head = crc16_continue(0, key + h0, last2 - h0);
        out[v] = crc16_continue(head, key + last2, h1 - last2) & (CLUSTER_SLOTS - 1);
    }
}

static key_pools *key_pools_build(const engine_config *cfg, const workload_template *t, const slot_map *map) {
    if (cfg->mode != ENGINE_CLUSTER || cfg->keyspace > KEY_POOLS_MAX || t->key_off < 0 || t->nrandoms == 0)
        return NULL;
    size_t lo = (size_t)t->key_off, hi = lo + t->key_len;
    if (t->rand_pos[0] < lo || t->rand_pos[0] + ENGINE_KEY_DIGITS > hi) return NULL;
    for (int k = 1; k < t->nrandoms; k++)
        if (t->rand_pos[k] >= lo && t->rand_pos[k] < hi) return NULL;
    key_pools *p = calloc(1, sizeof *p);
    uint16_t *slots = malloc(cfg->keyspace * sizeof *slots);
    char *key = malloc(t->key_len);
    /* Drawn from at random: huge pages spare a TLB miss per request. */
    size_t huge = 2u << 20, bytes = (cfg->keyspace * sizeof *p->numbers + huge - 1) / huge * huge;
    if (p && (p->numbers = aligned_alloc(huge, bytes)) != NULL) madvise(p->numbers, bytes, MADV_HUGEPAGE);
    if (!p || !slots || !key || !p->numbers) goto fail;
    memcpy(key, t->bytes + lo, t->key_len);
    char *digits = key + (t->rand_pos[0] - lo);
    uint64_t count[NET_MAX_NODES] = {0};
    p->nnodes = map->nnodes;
    key_slots(key, t->key_len, digits, cfg->keyspace, slots);
    /* Self-check against slot.c on the ends of the range. */
    for (uint64_t v = 0; v < cfg->keyspace; v += cfg->keyspace - 1 > 0 ? cfg->keyspace - 1 : 1) {
        workload_put_digits(digits, v);
        if (slots[v] != key_hash_slot(key, t->key_len)) goto fail;
    }
    for (uint64_t v = 0; v < cfg->keyspace; v++) {
        uint16_t owner = map->owner[slots[v]];
        if (owner >= map->nnodes) goto fail;
        count[owner]++;
    }
    for (int k = 0; k < p->nnodes; k++) p->start[k + 1] = p->start[k] + count[k];
    uint64_t next[NET_MAX_NODES];
    memcpy(next, p->start, sizeof next);
    for (uint64_t v = 0; v < cfg->keyspace; v++) p->numbers[next[map->owner[slots[v]]]++] = (uint32_t)v;
    free(slots);
    free(key);
    return p;
fail:
    if (p) free(p->numbers);
    free(p);
    free(slots);
    free(key);
    return NULL;
}

/* Cluster mode: each node's share of the keys (run_shared.node_weight). Exact with
 * key_pools; else the node's slot count, whose error relative to the key count is
 * about 1/sqrt(keys per node), far below any run's sampling noise. */
static void node_weights(run_shared *sh, const slot_map *map, const key_pools *pools) {
    for (int k = 0; k < NET_MAX_NODES; k++) atomic_init(&sh->node_load[k], 0);
    memset(sh->node_weight, 0, sizeof sh->node_weight);
    if (!map) return;
    if (pools) {
        for (int k = 0; k < pools->nnodes; k++) sh->node_weight[k] = pools->start[k + 1] - pools->start[k];
        return;
    }
    for (int slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (map->owner[slot] < map->nnodes) sh->node_weight[map->owner[slot]]++;
}

static void key_pools_free(key_pools *p) {
    if (p) free(p->numbers);
    free(p);
}

int engine_run(const engine_config *cfg, engine_results *res, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    utc_timestamp(res->timestamp, sizeof res->timestamp);
    res->tests = calloc((size_t)cfg->ntests, sizeof *res->tests);
    engine_endpoint *replicas = calloc(ENGINE_MAX_REPLICAS, sizeof *replicas);
    slot_map *map = NULL;
    if (!res->tests || !replicas) {
        free(replicas);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    run_shared sh0 = {0};
    if (discover(cfg, &sh0, &map, replicas, err, errlen) != 0) {
        free(map);
        free(replicas);
        return -1;
    }
    int rc = 0;
    for (int k = 0; k < cfg->ntests; k++) {
        const workload_test *test = &workload_tests[cfg->tests[k]];
        workload_template tpl;
        if (workload_template_build(&tpl, test, cfg->mode == ENGINE_CLUSTER, cfg->datasize, err, errlen) != 0) {
            rc = -1;
            break;
        }
        run_shared sh = sh0;
        sh.cfg = cfg;
        sh.tpl = &tpl;
        sh.is_write = test->is_write;
        key_pools *pools = key_pools_build(cfg, &tpl, map);
        sh.pools = pools;
        node_weights(&sh, map, pools);
        sh.target = cfg->duration_s > 0 ? 0 : cfg->requests;
        atomic_init(&sh.claimed, 0);
        atomic_init(&sh.abort, 0);
        engine_test_result *out = &res->tests[res->ntests];
        out->name = test->label;
        histogram_init(&out->hist);
        int trc = run_test(cfg, k, &sh, out, err, errlen);
        workload_template_free(&tpl);
        key_pools_free(pools);
        if (trc != 0) {
            if (res->ntests == 0 && out->requests == 0) {
                rc = -1; /* nothing measured at all */
            } else {
                if (out->requests > 0) res->ntests++;
                res->partial = 1;
                snprintf(res->error, sizeof res->error, "%s", err);
                rc = 1;
            }
            break;
        }
        res->ntests++;
    }
    free(map);
    free(replicas);
    return rc;
}

void engine_results_free(engine_results *res) {
    free(res->tests);
    memset(res, 0, sizeof *res);
}
