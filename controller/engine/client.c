/* The hot path: one logical client's batch from formatting to recorded latency.
 *
 *   client_send_batch   claim up to -P requests, patch the random digits of the
 *                       pre-formatted requests, route each to its connection, write
 *   on_event/conn_read  read, let hiredis parse (classify only, no reply objects),
 *                       match each reply to its request (a FIFO per connection)
 *   on_reply            MOVED/ASK: re-send elsewhere; else record latency, count
 *                       success or error; when the batch's last reply is in: next batch
 *
 * A client owns a batch buffer holding -P copies of the test's request, so that a
 * batch costs a few digit writes per request; connections queue iovecs that point
 * into it (no copy), which also makes re-sending a redirected request free.
 *
 * Latency of a request: from its batch's write to the read() that delivered its
 * reply (one CLOCK_MONOTONIC read per read(), not per reply). A redirected request
 * keeps its original start. A batch's requests all count or (warm-up) all don't. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "engine/resp.h"
#include "engine/slot.h"
#include "engine/worker.h"

#define READ_BUF_SIZE (64 * 1024)
#define FEED_CHUNK 1024
#define ASKING_MARK 0xFFFFu
#define MAX_REDIRECTS 5
#define TIMEOUT_CHECK_NS 100000000ULL

static const char ASKING_CMD[] = "*1\r\n$6\r\nASKING\r\n";

typedef struct conn {
    int fd;
    int node;              /* index in the worker's slot map (cluster mode) */
    engine_endpoint ep;
    struct client *cl;
    resp_reader rd;
    struct iovec *iov;     /* queued output, pointing into the client's batch */
    int niov, iov_cap;
    uint16_t *pend;        /* ring of request indices awaiting a reply */
    uint32_t phead, pcount, pmask;
    int writing;           /* EV_WRITABLE registered */
    uint64_t last_ns;      /* last send or reply: for the reply timeout */
} conn;

typedef struct client {
    worker *w;
    conn *fixed;           /* standalone/replication: the one connection */
    conn **by_node;        /* cluster mode: connection per slot-map node, lazily made */
    char *batch;           /* -P copies of the request */
    uint8_t *redirected;   /* per request: redirects followed so far */
    uint64_t *draw;        /* cluster mode: the batch's key_pools entries */
    int group;             /* cluster mode: index in the worker's groups */
    uint32_t outstanding;  /* requests of the batch without a final reply */
    uint32_t unrecorded;   /* replies of the batch counted but not yet in the histogram */
    int measured;          /* the batch counts (not warm-up) */
    int done;
    uint64_t batch_ns;     /* when the batch was written */
    uint64_t rng;
} client;

uint64_t engine_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void fail(worker *w, const char *fmt, const char *host, int port, const char *detail) {
    if (w->failed) return;
    w->failed = 1;
    snprintf(w->err, sizeof w->err, fmt, host, port, detail);
    atomic_store(&w->sh->abort, 1);
}

static inline uint64_t rng_next(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform below n (Lemire's multiply-shift; the bias is below 2^-40 for n <= 10^12). */
static inline uint64_t rng_below(uint64_t *s, uint64_t n) {
    return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* ---- connection output ---- */

static int conn_queue(conn *c, const char *p, size_t len) {
    if (c->niov && (char *)c->iov[c->niov - 1].iov_base + c->iov[c->niov - 1].iov_len == p) {
        c->iov[c->niov - 1].iov_len += len; /* adjacent requests coalesce */
        return 0;
    }
    if (c->niov == c->iov_cap) {
        int cap = c->iov_cap ? c->iov_cap * 2 : 16;
        struct iovec *v = realloc(c->iov, (size_t)cap * sizeof *v);
        if (!v) return -1;
        c->iov = v;
        c->iov_cap = cap;
    }
    c->iov[c->niov].iov_base = (void *)p;
    c->iov[c->niov].iov_len = len;
    c->niov++;
    return 0;
}

static inline void conn_expect(conn *c, uint32_t idx) {
    c->pend[(c->phead + c->pcount) & c->pmask] = (uint16_t)idx;
    c->pcount++;
}

static void on_event(ev_loop *loop, int fd, void *data, int mask);

static void conn_flush(conn *c) {
    worker *w = c->cl->w;
    int first = 0;
    while (first < c->niov) {
        int n = c->niov - first > 1024 ? 1024 : c->niov - first;
        /* sendmsg rather than writev: MSG_NOSIGNAL turns a dead peer into EPIPE, not SIGPIPE. */
        struct msghdr msg = {.msg_iov = c->iov + first, .msg_iovlen = (size_t)n};
        ssize_t wr = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (wr < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            fail(w, "write to %s:%d failed: %s", c->ep.host, c->ep.port, strerror(errno));
            return;
        }
        size_t left = (size_t)wr;
        while (first < c->niov && left >= c->iov[first].iov_len) left -= c->iov[first++].iov_len;
        if (left) {
            c->iov[first].iov_base = (char *)c->iov[first].iov_base + left;
            c->iov[first].iov_len -= left;
        }
    }
    if (first) {
        memmove(c->iov, c->iov + first, (size_t)(c->niov - first) * sizeof *c->iov);
        c->niov -= first;
    }
    int want = c->niov > 0;
    if (want != c->writing) {
        c->writing = want;
        if (ev_set(w->loop, c->fd, EV_READABLE | (want ? EV_WRITABLE : 0), on_event, c) != 0)
            fail(w, "event loop error on %s:%d%s", c->ep.host, c->ep.port, "");
    }
}

/* ---- connections ---- */

static conn *conn_open(client *cl, const engine_endpoint *ep, int node) {
    worker *w = cl->w;
    const engine_config *cfg = w->sh->cfg;
    char err[512];
    conn *c = calloc(1, sizeof *c);
    if (!c) goto oom;
    c->fd = -1;
    c->node = node;
    c->ep = *ep;
    c->cl = cl;
    uint32_t cap = 1;
    while (cap < 2 * cfg->pipeline + 2) cap *= 2;
    c->pend = malloc(cap * sizeof *c->pend);
    if (!c->pend || resp_reader_init(&c->rd) != 0) goto oom;
    c->pmask = cap - 1;
    c->fd = net_connect_fd(cfg, ep, err, sizeof err);
    if (c->fd < 0) {
        if (!w->failed) {
            w->failed = 1;
            snprintf(w->err, sizeof w->err, "%s", err);
            atomic_store(&w->sh->abort, 1);
        }
        goto drop;
    }
    if (ev_set(w->loop, c->fd, EV_READABLE, on_event, c) != 0) {
        fail(w, "event loop error on %s:%d%s", ep->host, ep->port, "");
        goto drop;
    }
    return c;
oom:
    fail(w, "out of memory connecting to %s:%d%s", ep->host, ep->port, "");
drop:
    if (c) {
        if (c->fd >= 0) close(c->fd);
        resp_reader_free(&c->rd);
        free(c->pend);
        free(c);
    }
    return NULL;
}

static void conn_free(worker *w, conn *c) {
    if (!c) return;
    ev_del(w->loop, c->fd);
    close(c->fd);
    resp_reader_free(&c->rd);
    free(c->iov);
    free(c->pend);
    free(c);
}

static conn *cluster_conn(client *cl, int node) {
    if (!cl->by_node[node]) cl->by_node[node] = conn_open(cl, &cl->w->map->nodes[node], node);
    return cl->by_node[node];
}

/* ---- batches ---- */

#define MAX_NODE_TRIES 64
/* Batches per client in one stay of its group on a node: long enough that the group
 * is together most of the time and that a connection is used often enough for the
 * next request to carry the ACK of the previous replies (a connection used once in
 * a while costs the kernel a delayed-ACK packet per batch). */
#define STAY_ROUNDS 32

/* Draws the random numbers of request i; the first is `first` when given (< keyspace). */
static inline void patch(client *cl, char *req, uint64_t first) {
    const workload_template *t = cl->w->sh->tpl;
    uint64_t keyspace = cl->w->sh->cfg->keyspace, v = 0;
    for (int k = 0; k < t->nrandoms; k++) {
        if (t->rand_fresh[k]) v = k == 0 && first < keyspace ? first : rng_below(&cl->rng, keyspace);
        workload_put_low_digits(req + t->rand_pos[k], v, cl->w->key_pairs);
    }
}

static inline int node_of_slot(client *cl, unsigned slot) {
    int node = cl->w->map->owner[slot];
    return node == SLOT_UNKNOWN ? 0 : node; /* unknown: the server will redirect us */
}

static inline int key_node(client *cl, const char *req) {
    const workload_template *t = cl->w->sh->tpl;
    return node_of_slot(cl, key_hash_slot(req + t->key_off, t->key_len));
}

/* The node lowest in requests per share of the keys; ties go to the first from `from`. */
static int pick_node(const run_shared *sh, int from) {
    int n = sh->map->nnodes, best = 0;
    uint64_t best_load = 0, best_weight = 0;
    for (int i = 0; i < n; i++) {
        int k = (from + i) % n;
        uint64_t weight = sh->node_weight[k];
        if (!weight) continue;
        uint64_t load = atomic_load_explicit(&sh->node_load[k], memory_order_relaxed);
        if (!best_weight || (unsigned __int128)load * best_weight < (unsigned __int128)best_load * weight) {
            best = k;
            best_load = load;
            best_weight = weight;
        }
    }
    return best;
}

/* Requests per stay of group g: STAY_ROUNDS batches per client, but at most a
 * quarter of the run's remaining requests spread over all groups, so that the
 * requests reserved and not used when the run ends (at most a stay per group) stay a
 * small part of it, also for short runs. */
static int64_t stay_length(worker *w, const client_group *g, uint64_t now) {
    run_shared *sh = w->sh;
    uint64_t remaining;
    if (sh->target) {
        uint64_t claimed = atomic_load_explicit(&sh->claimed, memory_order_relaxed);
        remaining = claimed < sh->target ? sh->target - claimed : 0;
    } else {
        if (!sh->stop_ns || now <= sh->start_ns) return g->stay;
        if (now >= sh->stop_ns) return (int64_t)sh->cfg->pipeline;
        uint64_t sent = 0;
        for (int k = 0; k < sh->map->nnodes; k++) sent += atomic_load_explicit(&sh->node_load[k], memory_order_relaxed);
        remaining = (uint64_t)((double)sent * (double)(sh->stop_ns - now) / (double)(now - sh->start_ns));
    }
    uint64_t groups = (uint64_t)(sh->nworkers > 0 ? sh->nworkers : 1) * (uint64_t)w->ngroups;
    uint64_t cap = remaining / (4 * groups);
    int64_t stay = g->stay;
    if ((uint64_t)stay > cap) stay = (int64_t)cap;
    return stay > (int64_t)sh->cfg->pipeline ? stay : (int64_t)sh->cfg->pipeline;
}

/* The node of a cluster batch of n requests: its group's. A group stays on a node for
 * a stay (stay_length), reserved in node_load up front so that the other workers see
 * it, then moves to the node lowest in load per key share. So each node's share of
 * the requests follows its share of the keys (up to the unused part of the last
 * stays), and keys drawn uniformly within a node are uniform over the keyspace. */
static int group_node(client *cl, uint32_t n, uint64_t now) {
    worker *w = cl->w;
    run_shared *sh = w->sh;
    client_group *g = &w->groups[cl->group];
    if (g->budget <= 0) {
        if (g->budget < 0) atomic_fetch_add_explicit(&sh->node_load[g->node], (uint64_t)-g->budget, memory_order_relaxed);
        /* Ties (at the start) go round the nodes from each group's own index. */
        g->node = pick_node(sh, g->node >= 0 ? g->node + 1 : w->id * w->ngroups + cl->group);
        g->budget = stay_length(w, g, now);
        atomic_fetch_add_explicit(&sh->node_load[g->node], (uint64_t)g->budget, memory_order_relaxed);
    }
    g->budget -= n;
    return g->node;
}

/* Cluster mode with key_pools: draws the batch's key entries (uniform among node k's
 * keys) up front and prefetches them, so that the n cache misses on the (megabytes
 * large) table overlap instead of costing one full memory latency per request. */
static void draw_from_pools(client *cl, uint32_t n, int k) {
    const key_pools *p = cl->w->sh->pools;
    uint64_t lo = p->start[k], span = p->start[k + 1] - lo;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = lo + rng_below(&cl->rng, span);
        cl->draw[i] = r;
        __builtin_prefetch(&p->numbers[r]);
    }
}

/* Fills request i and picks its connection. In cluster mode a batch draws its keys
 * from one node's share of the keyspace (group_node), as redis-benchmark's batches go
 * to one node, so that a batch costs one write and one read however many primaries
 * there are; each key is still routed by its own slot (a slot that moved since the
 * test started sends its key elsewhere). With a key_pools table (keyspaces up to
 * KEY_POOLS_MAX) the keys were drawn by draw_from_pools; without, it is rejection
 * sampling, and after MAX_NODE_TRIES misses a key goes to its own node. */
static conn *fill(client *cl, uint32_t i, int batch_node) {
    run_shared *sh = cl->w->sh;
    const workload_template *t = sh->tpl;
    char *req = cl->batch + (size_t)i * t->len;
    if (cl->fixed) {
        patch(cl, req, UINT64_MAX);
        return cl->fixed;
    }
    int node = batch_node;
    if (t->key_off < 0) {
        patch(cl, req, UINT64_MAX);
    } else if (sh->pools) {
        patch(cl, req, sh->pools->numbers[cl->draw[i]]);
        if (cl->w->map_changed) node = key_node(cl, req);
    } else {
        patch(cl, req, UINT64_MAX);
        node = key_node(cl, req);
        for (int tries = 0; node != batch_node && tries < MAX_NODE_TRIES; tries++) {
            patch(cl, req, UINT64_MAX);
            node = key_node(cl, req);
        }
    }
    return cluster_conn(cl, node);
}

static void client_finish(client *cl) {
    if (!cl->done) {
        cl->done = 1;
        cl->w->active--;
    }
}

static void client_send_batch(client *cl) {
    worker *w = cl->w;
    run_shared *sh = w->sh;
    const workload_template *t = sh->tpl;
    uint64_t now = engine_now_ns();
    if ((sh->stop_ns && now >= sh->stop_ns) || atomic_load_explicit(&sh->abort, memory_order_relaxed)) {
        client_finish(cl);
        return;
    }
    uint32_t n = (uint32_t)sh->cfg->pipeline;
    cl->measured = now >= sh->measure_ns;
    if (sh->target && cl->measured) {
        uint64_t first = atomic_fetch_add_explicit(&sh->claimed, n, memory_order_relaxed);
        if (first >= sh->target) {
            client_finish(cl);
            return;
        }
        if (sh->target - first < n) n = (uint32_t)(sh->target - first);
    }
    int batch_node = cl->fixed ? 0 : group_node(cl, n, now);
    if (sh->pools && t->key_off >= 0) draw_from_pools(cl, n, batch_node);
    for (uint32_t i = 0; i < n; i++) {
        conn *c = fill(cl, i, batch_node);
        cl->redirected[i] = 0;
        if (!c || conn_queue(c, cl->batch + (size_t)i * t->len, t->len) != 0) {
            if (c) fail(w, "out of memory queueing for %s:%d%s", c->ep.host, c->ep.port, "");
            return;
        }
        conn_expect(c, i);
    }
    cl->outstanding = n;
    cl->batch_ns = now;
    if (cl->fixed) {
        cl->fixed->last_ns = now;
        conn_flush(cl->fixed);
        return;
    }
    for (int k = 0; k < w->map->nnodes; k++) {
        conn *c = cl->by_node[k];
        if (c && c->niov) {
            c->last_ns = now;
            conn_flush(c);
        }
    }
}

/* ---- replies ---- */

#define REFRESH_INTERVAL_NS 1000000000ULL

/* A MOVED says the slot map changed, maybe for many slots at once (a failover, a
 * resharding): re-read the whole map from the node that redirected us, at most once
 * a second per worker. Blocking, but rare; if it fails, the per-slot updates from
 * MOVED replies still keep every request correct. */
static void refresh_map(worker *w, const engine_endpoint *from) {
    uint64_t now = engine_now_ns();
    if (now - w->refreshed_ns < REFRESH_INTERVAL_NS) return;
    w->refreshed_ns = now;
    char err[512];
    void *ctx = net_connect(w->sh->cfg, from, err, sizeof err);
    slot_map *fresh = ctx ? malloc(sizeof *fresh) : NULL;
    if (fresh && net_cluster_discover(ctx, from, fresh, err, sizeof err) == 0) {
        int index[NET_MAX_NODES];
        for (int k = 0; k < fresh->nnodes; k++) index[k] = slot_map_node(w->map, fresh->nodes[k].host, fresh->nodes[k].port);
        for (int slot = 0; slot < CLUSTER_SLOTS; slot++) {
            int k = index[fresh->owner[slot]];
            if (k >= 0) w->map->owner[slot] = (uint16_t)k;
        }
    }
    free(fresh);
    net_close(ctx);
}

static void follow_redirect(conn *from, uint32_t idx, reply_kind kind) {
    client *cl = from->cl;
    worker *w = cl->w;
    const resp_redirect *r = &from->rd.redirect;
    const char *host = r->host[0] ? r->host : from->ep.host;
    int node = slot_map_node(w->map, host, r->port);
    if (node < 0) {
        fail(w, "too many cluster nodes after a redirect to %s:%d%s", host, r->port, "");
        return;
    }
    if (kind == REPLY_MOVED && w->map->owner[r->slot] != node) {
        w->map->owner[r->slot] = (uint16_t)node;
        w->map_changed = 1;
        refresh_map(w, &w->map->nodes[node]);
    }
    conn *to = cluster_conn(cl, node);
    if (!to) return;
    if (kind == REPLY_ASK) {
        if (conn_queue(to, ASKING_CMD, sizeof ASKING_CMD - 1) != 0) goto oom;
        conn_expect(to, ASKING_MARK);
    }
    const workload_template *t = w->sh->tpl;
    if (conn_queue(to, cl->batch + (size_t)idx * t->len, t->len) != 0) goto oom;
    conn_expect(to, idx);
    to->last_ns = engine_now_ns();
    conn_flush(to);
    return;
oom:
    fail(w, "out of memory re-sending to %s:%d%s", host, r->port, "");
}

/* The replies of one read share their latency (one clock read per read()), so they
 * go into the histogram together: once per read, or when the batch completes. */
static inline void record_replies(client *cl, uint64_t now) {
    if (cl->unrecorded) {
        histogram_record_n(&cl->w->hist, now - cl->batch_ns, cl->unrecorded);
        cl->unrecorded = 0;
    }
}

static void on_reply(conn *c, reply_kind kind, uint64_t now) {
    client *cl = c->cl;
    worker *w = cl->w;
    if (c->pcount == 0) {
        fail(w, "unexpected reply from %s:%d: %s", c->ep.host, c->ep.port, c->rd.error);
        return;
    }
    uint32_t idx = c->pend[c->phead];
    c->phead = (c->phead + 1) & c->pmask;
    c->pcount--;
    if (idx == ASKING_MARK) return; /* ASKING's +OK; its command's reply follows */
    if ((kind == REPLY_MOVED || kind == REPLY_ASK) && !cl->fixed && cl->redirected[idx] < MAX_REDIRECTS) {
        cl->redirected[idx]++;
        if (cl->measured) w->redirects++;
        follow_redirect(c, idx, kind);
        return;
    }
    if (cl->measured) {
        cl->unrecorded++;
        if (kind == REPLY_OK)
            w->ok++;
        else
            w->errors++;
        w->last_done_ns = now;
    }
    if (--cl->outstanding == 0) {
        record_replies(cl, now);
        client_send_batch(cl);
    }
}

static void conn_read(conn *c) {
    worker *w = c->cl->w;
    ssize_t n = read(c->fd, w->rbuf, READ_BUF_SIZE);
    if (n == 0) {
        fail(w, "lost the connection to %s:%d mid-run: closed by the server%s", c->ep.host, c->ep.port, "");
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        fail(w, "lost the connection to %s:%d mid-run: %s", c->ep.host, c->ep.port, strerror(errno));
        return;
    }
    c->last_ns = engine_now_ns();
    /* Fed in small pieces: hiredis 0.14 shifts its buffer (memmove of everything
     * unparsed) after each reply once 1 KiB has been consumed, which for a 4 KiB read
     * of GET replies costs more than the parsing. */
    reply_kind kind;
    int rc = 0;
    for (ssize_t off = 0; off < n && !w->failed && rc >= 0; off += FEED_CHUNK) {
        size_t len = n - off < FEED_CHUNK ? (size_t)(n - off) : FEED_CHUNK;
        if (resp_reader_feed(&c->rd, w->rbuf + off, len) != 0) {
            fail(w, "out of memory reading from %s:%d%s", c->ep.host, c->ep.port, "");
            break;
        }
        /* One clock read per read(): the replies it delivered are parsed within
         * nanoseconds of each other, and a clock read per reply costs ~4% of the CPU. */
        while (!w->failed && (rc = resp_reader_next(&c->rd, &kind)) == 1) on_reply(c, kind, c->last_ns);
    }
    record_replies(c->cl, c->last_ns);
    if (!w->failed && rc < 0) fail(w, "protocol error from %s:%d: %s", c->ep.host, c->ep.port, c->rd.error);
}

static void on_event(ev_loop *loop, int fd, void *data, int mask) {
    (void)loop;
    (void)fd;
    conn *c = data;
    if (c->cl->w->failed) return;
    if (mask & EV_WRITABLE) conn_flush(c);
    if ((mask & EV_READABLE) && !c->cl->w->failed) conn_read(c);
}

/* ---- the worker ---- */

static const engine_endpoint *client_target(worker *w, uint64_t global) {
    run_shared *sh = w->sh;
    if (sh->is_write || sh->nreplicas == 0) return &sh->primary;
    switch (sh->cfg->read_from) {
    case READ_FROM_REPLICAS:
        return &sh->replicas[global % (uint64_t)sh->nreplicas];
    case READ_FROM_ANY: {
        uint64_t k = global % (uint64_t)(sh->nreplicas + 1);
        return k == 0 ? &sh->primary : &sh->replicas[k - 1];
    }
    default:
        return &sh->primary;
    }
}

int worker_connect(worker *w, uint64_t seed) {
    run_shared *sh = w->sh;
    const engine_config *cfg = sh->cfg;
    histogram_init(&w->hist);
    w->ok = w->errors = w->redirects = w->last_done_ns = 0;
    w->loop = ev_create();
    w->rbuf = malloc(READ_BUF_SIZE);
    w->clients = calloc((size_t)w->nclients, sizeof *w->clients);
    if (!w->loop || !w->rbuf || !w->clients) {
        snprintf(w->err, sizeof w->err, "out of memory starting worker %d", w->id);
        w->failed = 1;
        return -1;
    }
    if (cfg->mode == ENGINE_CLUSTER) {
        w->map = malloc(sizeof *w->map);
        if (!w->map) {
            snprintf(w->err, sizeof w->err, "out of memory starting worker %d", w->id);
            w->failed = 1;
            return -1;
        }
        memcpy(w->map, sh->map, sizeof *w->map);
        /* Enough groups over all workers for every node to have one. */
        int nw = sh->nworkers > 0 ? sh->nworkers : 1;
        w->ngroups = (w->map->nnodes + nw - 1) / nw;
        if (w->ngroups > w->nclients) w->ngroups = w->nclients;
        if (w->ngroups < 1) w->ngroups = 1;
        w->groups = calloc((size_t)w->ngroups, sizeof *w->groups);
        if (!w->groups) {
            snprintf(w->err, sizeof w->err, "out of memory starting worker %d", w->id);
            w->failed = 1;
            return -1;
        }
        for (int g = 0; g < w->ngroups; g++) w->groups[g].node = -1;
        for (int i = 0; i < w->nclients; i++)
            w->groups[(int64_t)i * w->ngroups / w->nclients].stay += STAY_ROUNDS * (int64_t)cfg->pipeline;
    }
    const workload_template *t = sh->tpl;
    w->key_pairs = 1;
    for (uint64_t v = cfg->keyspace > 0 ? cfg->keyspace - 1 : 0; v >= 100; v /= 100) w->key_pairs++;
    for (int i = 0; i < w->nclients && !w->failed; i++) {
        client *cl = &w->clients[i];
        cl->w = w;
        cl->group = (int)((int64_t)i * (w->ngroups ? w->ngroups : 1) / w->nclients);
        cl->rng = seed ^ (0x9E3779B97F4A7C15ULL * (w->first_client + (uint64_t)i + 1));
        if (!cl->rng) cl->rng = 1;
        cl->batch = malloc(cfg->pipeline * t->len);
        cl->redirected = calloc(cfg->pipeline, 1);
        cl->draw = calloc(cfg->pipeline, sizeof *cl->draw);
        if (!cl->batch || !cl->redirected || !cl->draw) {
            snprintf(w->err, sizeof w->err, "out of memory for the batch buffers (-P %llu x %zu bytes)",
                     (unsigned long long)cfg->pipeline, t->len);
            w->failed = 1;
            return -1;
        }
        for (uint64_t k = 0; k < cfg->pipeline; k++) memcpy(cl->batch + k * t->len, t->bytes, t->len);
        if (cfg->mode == ENGINE_CLUSTER) {
            cl->by_node = calloc(NET_MAX_NODES, sizeof *cl->by_node);
            if (!cl->by_node) {
                snprintf(w->err, sizeof w->err, "out of memory starting worker %d", w->id);
                w->failed = 1;
                return -1;
            }
            for (int k = 0; k < w->map->nnodes && !w->failed; k++) cluster_conn(cl, k);
        } else {
            cl->fixed = conn_open(cl, client_target(w, w->first_client + (uint64_t)i), 0);
        }
    }
    return w->failed ? -1 : 0;
}

static void check_timeouts(worker *w, uint64_t now) {
    uint64_t limit = (uint64_t)(w->sh->cfg->timeout_s * 1e9);
    for (int i = 0; i < w->nclients; i++) {
        client *cl = &w->clients[i];
        int n = cl->fixed ? 1 : w->map->nnodes;
        for (int k = 0; k < n; k++) {
            conn *c = cl->fixed ? cl->fixed : cl->by_node[k];
            if (c && c->pcount && now - c->last_ns > limit) {
                char secs[32];
                snprintf(secs, sizeof secs, "%.1f", w->sh->cfg->timeout_s);
                fail(w, "no reply from %s:%d within %ss (--timeout)", c->ep.host, c->ep.port, secs);
                return;
            }
        }
    }
}

void worker_run(worker *w) {
    w->active = w->nclients;
    for (int i = 0; i < w->nclients && !w->failed; i++) client_send_batch(&w->clients[i]);
    uint64_t next_check = engine_now_ns() + TIMEOUT_CHECK_NS;
    while (w->active > 0 && !w->failed) {
        if (atomic_load_explicit(&w->sh->abort, memory_order_relaxed)) break;
        if (ev_poll(w->loop, 100) < 0) {
            snprintf(w->err, sizeof w->err, "event loop failed: %s", strerror(errno));
            w->failed = 1;
            atomic_store(&w->sh->abort, 1);
            break;
        }
        uint64_t now = engine_now_ns();
        if (now >= next_check) {
            if (engine_stop_requested()) {
                w->failed = 1;
                snprintf(w->err, sizeof w->err, "interrupted");
                atomic_store(&w->sh->abort, 1);
                break;
            }
            check_timeouts(w, now);
            next_check = now + TIMEOUT_CHECK_NS;
        }
    }
}

void worker_close(worker *w) {
    for (int i = 0; w->clients && i < w->nclients; i++) {
        client *cl = &w->clients[i];
        conn_free(w, cl->fixed);
        if (cl->by_node)
            for (int k = 0; k < NET_MAX_NODES; k++) conn_free(w, cl->by_node[k]);
        free(cl->by_node);
        free(cl->batch);
        free(cl->redirected);
        free(cl->draw);
    }
    free(w->clients);
    w->clients = NULL;
    free(w->map);
    w->map = NULL;
    free(w->groups);
    w->groups = NULL;
    free(w->rbuf);
    w->rbuf = NULL;
    ev_free(w->loop);
    w->loop = NULL;
}
