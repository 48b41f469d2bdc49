/* topology/parse: CLUSTER INFO / CLUSTER NODES / INFO text and the CLUSTER SHARDS reply
 * into a topology. Input comes from the network (or a fuzzer): every copy is bounded,
 * every number validated, and a malformed line is skipped rather than half-applied. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/topology.h"

static void set_err(char *err, size_t errlen, const char *what) {
    if (err && errlen) snprintf(err, errlen, "%s", what);
}

/* Copies n bytes of s into dst (capacity cap), truncating, always terminated. */
static void copy_n(char *dst, size_t cap, const char *s, size_t n) {
    if (cap == 0) return;
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int parse_ll(const char *s, size_t n, long long *out) {
    if (n == 0 || n > 20) return -1;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (n == 1) return -1;
    }
    long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        int d = s[i] - '0';
        if (v > (9223372036854775807LL - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = neg ? -v : v;
    return 0;
}

static int parse_port(const char *s, size_t n, int *out) {
    long long v;
    if (parse_ll(s, n, &v) || v < 0 || v > 65535) return -1;
    *out = (int)v;
    return 0;
}

/* Next line of [*p, end): sets line/len (without \r\n) and advances. 0 at the end. */
static int next_line(const char **p, const char *end, const char **line, size_t *len) {
    if (*p >= end) return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    *line = *p;
    *len = (size_t)(stop - *p);
    if (*len && (*line)[*len - 1] == '\r') (*len)--;
    *p = nl ? nl + 1 : end;
    return 1;
}

static int key_is(const char *line, size_t klen, const char *key) {
    return strlen(key) == klen && memcmp(line, key, klen) == 0;
}

/* ---- topology bookkeeping ---- */

void topology_init(topology *t, topo_mode mode) {
    memset(t, 0, sizeof *t);
    t->mode = mode;
}

void topology_free(topology *t) {
    for (size_t i = 0; i < t->nnodes; i++) free(t->nodes[i].ranges);
    free(t->nodes);
    t->nodes = NULL;
    t->nnodes = t->cap = 0;
}

static void node_defaults(topo_node *n) {
    memset(n, 0, sizeof *n);
    n->primary = -1;
    n->bus_connected = -1;
    n->link_up = -1;
    n->offset = -1;
    n->lag_s = -1;
    n->keys = -1;
    n->view_agrees = -1;
}

topo_node *topology_add_node(topology *t) {
    if (t->nnodes == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        topo_node *n = realloc(t->nodes, cap * sizeof *n);
        if (!n) return NULL;
        t->nodes = n;
        t->cap = cap;
    }
    topo_node *n = &t->nodes[t->nnodes++];
    node_defaults(n);
    return n;
}

int topology_find_id(const topology *t, const char *id) {
    if (!id || !*id) return -1;
    for (size_t i = 0; i < t->nnodes; i++)
        if (strcmp(t->nodes[i].id, id) == 0) return (int)i;
    return -1;
}

int topology_find_addr(const topology *t, const char *host, int port) {
    for (size_t i = 0; i < t->nnodes; i++)
        if (t->nodes[i].port == port && strcmp(t->nodes[i].host, host) == 0) return (int)i;
    return -1;
}

void topology_link(topology *t) {
    for (size_t i = 0; i < t->nnodes; i++) {
        topo_node *n = &t->nodes[i];
        int p = n->is_primary ? -1 : topology_find_id(t, n->primary_id);
        n->primary = (p >= 0 && t->nodes[p].is_primary && (size_t)p != i) ? p : -1;
    }
}

static int cmp_node_addr(const void *a, const void *b) {
    const topo_node *x = a, *y = b;
    int c = strcmp(x->host, y->host);
    if (c) return c;
    if (x->port != y->port) return x->port < y->port ? -1 : 1;
    return strcmp(x->id, y->id);
}

void topology_sort(topology *t) {
    if (t->nnodes > 1) qsort(t->nodes, t->nnodes, sizeof *t->nodes, cmp_node_addr);
    topology_link(t);
}

void topology_slot_owners(const topology *t, const topo_node **owner) {
    memset(owner, 0, TOPO_SLOTS * sizeof *owner);
    for (size_t i = 0; i < t->nnodes; i++)
        for (size_t r = 0; t->nodes[i].is_primary && r < t->nodes[i].nranges; r++)
            for (unsigned s = t->nodes[i].ranges[r].start; s <= t->nodes[i].ranges[r].end; s++)
                owner[s] = &t->nodes[i];
}

static int add_range(topo_node *n, unsigned lo, unsigned hi) {
    topo_range *r = realloc(n->ranges, (n->nranges + 1) * sizeof *r);
    if (!r) return -1;
    n->ranges = r;
    r[n->nranges].start = lo;
    r[n->nranges].end = hi;
    n->nranges++;
    n->slot_count += hi - lo + 1;
    return 0;
}

/* ---- CLUSTER INFO ---- */

int topo_parse_cluster_info(const char *text, size_t len, topo_cluster_info *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const char *p = text, *end = text + len, *line;
    size_t n;
    int have_state = 0;
    while (text && next_line(&p, end, &line, &n)) {
        const char *colon = memchr(line, ':', n);
        if (!colon) continue;
        size_t klen = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vlen = n - klen - 1;
        long long x;
        if (key_is(line, klen, "cluster_state")) {
            copy_n(out->state, sizeof out->state, v, vlen);
            have_state = 1;
            continue;
        }
        if (parse_ll(v, vlen, &x) || x < 0) continue;
        if (key_is(line, klen, "cluster_slots_assigned")) out->slots_assigned = x;
        else if (key_is(line, klen, "cluster_slots_ok")) out->slots_ok = x;
        else if (key_is(line, klen, "cluster_slots_pfail")) out->slots_pfail = x;
        else if (key_is(line, klen, "cluster_slots_fail")) out->slots_fail = x;
        else if (key_is(line, klen, "cluster_known_nodes")) out->known_nodes = x;
        else if (key_is(line, klen, "cluster_size")) out->size = x;
    }
    if (!have_state) {
        set_err(err, errlen, "CLUSTER INFO has no cluster_state");
        return -1;
    }
    out->valid = 1;
    return 0;
}

/* ---- CLUSTER NODES ---- */

#define NODES_MIN_FIELDS 8

static unsigned parse_flags(const char *s, size_t n, int *is_primary, int *is_replica) {
    unsigned f = 0;
    *is_primary = *is_replica = 0;
    while (n) {
        const char *comma = memchr(s, ',', n);
        size_t k = comma ? (size_t)(comma - s) : n;
        if (key_is(s, k, "myself")) f |= TOPO_FLAG_MYSELF;
        else if (key_is(s, k, "master")) *is_primary = 1;
        else if (key_is(s, k, "slave")) *is_replica = 1;
        else if (key_is(s, k, "fail?")) f |= TOPO_FLAG_PFAIL;
        else if (key_is(s, k, "fail")) f |= TOPO_FLAG_FAIL;
        else if (key_is(s, k, "handshake")) f |= TOPO_FLAG_HANDSHAKE;
        else if (key_is(s, k, "noaddr")) f |= TOPO_FLAG_NOADDR;
        else if (key_is(s, k, "nofailover")) f |= TOPO_FLAG_NOFAILOVER;
        if (!comma) break;
        s = comma + 1;
        n -= k + 1;
    }
    return f;
}

/* "ip:port@cport[,hostname]" (the ip may be empty, or IPv6 with its own colons). */
static int parse_node_addr(const char *s, size_t n, topo_node *node) {
    const char *comma = memchr(s, ',', n);
    if (comma) n = (size_t)(comma - s);
    const char *at = memchr(s, '@', n);
    if (at) n = (size_t)(at - s);
    const char *colon = NULL;
    for (size_t i = n; i-- > 0;)
        if (s[i] == ':') {
            colon = s + i;
            break;
        }
    if (!colon) return -1;
    size_t hlen = (size_t)(colon - s);
    if (hlen >= TOPO_HOST_MAX) return -1;
    if (parse_port(colon + 1, n - hlen - 1, &node->port)) return -1;
    copy_n(node->host, sizeof node->host, s, hlen);
    return 0;
}

/* 0 ok (or a marker to ignore), -1 malformed, -2 out of memory. */
static int parse_slot_field(const char *s, size_t n, topo_node *node) {
    if (n && s[0] == '[') return 0; /* migrating/importing marker: not ownership */
    const char *dash = memchr(s, '-', n);
    long long lo, hi;
    if (dash) {
        size_t a = (size_t)(dash - s);
        if (parse_ll(s, a, &lo) || parse_ll(dash + 1, n - a - 1, &hi)) return -1;
    } else {
        if (parse_ll(s, n, &lo)) return -1;
        hi = lo;
    }
    if (lo < 0 || hi < lo || hi >= TOPO_SLOTS) return -1;
    if (node->slot_count + (unsigned)(hi - lo + 1) > TOPO_SLOTS) return -1; /* overlapping nonsense */
    return add_range(node, (unsigned)lo, (unsigned)hi) ? -2 : 0;
}

/* Splits a line on spaces into at most max fields; returns the count. */
static size_t split_fields(const char *line, size_t n, const char **f, size_t *fl, size_t max) {
    size_t k = 0, i = 0;
    while (i < n && k < max) {
        while (i < n && line[i] == ' ') i++;
        if (i >= n) break;
        size_t start = i;
        while (i < n && line[i] != ' ') i++;
        f[k] = line + start;
        fl[k++] = i - start;
    }
    return k;
}

/* One CLUSTER NODES line into *node (fully, or not at all): 0, -1 malformed, -2 OOM.
 *   <id> <ip:port@cport[,host]> <flags> <primary|-> <ping> <pong> <epoch> <link> <slot>... */
static int parse_nodes_line(const char *line, size_t n, const topology *t, topo_node *node) {
    enum { FIXED = 8 };
    const char *f[FIXED];
    size_t fl[FIXED];
    if (split_fields(line, n, f, fl, FIXED) < FIXED) return -1;
    if (fl[0] == 0 || fl[0] >= TOPO_ID_MAX || fl[3] >= TOPO_ID_MAX) return -1;
    copy_n(node->id, sizeof node->id, f[0], fl[0]);
    if (topology_find_id(t, node->id) >= 0) return -1; /* duplicate */
    if (parse_node_addr(f[1], fl[1], node)) return -1;
    int is_primary, is_replica;
    node->flags = parse_flags(f[2], fl[2], &is_primary, &is_replica);
    if (is_primary == is_replica) return -1; /* exactly one role */
    node->is_primary = is_primary;
    if (is_replica && !(fl[3] == 1 && f[3][0] == '-')) copy_n(node->primary_id, sizeof node->primary_id, f[3], fl[3]);
    node->bus_connected = key_is(f[7], fl[7], "connected");
    const char *rest = f[7] + fl[7];
    size_t rlen = n - (size_t)(rest - line);
    while (rlen) {
        while (rlen && *rest == ' ') rest++, rlen--;
        if (!rlen) break;
        const char *sp = memchr(rest, ' ', rlen);
        size_t k = sp ? (size_t)(sp - rest) : rlen;
        int rc = parse_slot_field(rest, k, node);
        if (rc) return rc;
        rest += k;
        rlen -= k;
    }
    if (!is_primary && node->nranges) return -1; /* replicas serve no slots */
    return 0;
}

int topo_parse_cluster_nodes(const char *text, size_t len, topology *t, size_t *skipped, char *err, size_t errlen) {
    const char *p = text, *end = text + len, *line;
    size_t n, bad = 0, good = 0;
    while (text && next_line(&p, end, &line, &n)) {
        if (n == 0) continue;
        topo_node tmp;
        node_defaults(&tmp);
        int rc = parse_nodes_line(line, n, t, &tmp);
        topo_node *node = rc == 0 ? topology_add_node(t) : NULL;
        if (node) {
            *node = tmp;
            good++;
            continue;
        }
        free(tmp.ranges);
        if (rc == 0 || rc == -2) {
            set_err(err, errlen, "out of memory");
            return -1;
        }
        bad++;
    }
    if (skipped) *skipped = bad;
    topology_link(t);
    if (good == 0) {
        set_err(err, errlen, "CLUSTER NODES has no usable line");
        return -1;
    }
    return 0;
}

/* ---- INFO ---- */

/* slaveN value: ip=...,port=...,state=...,offset=...,lag=... */
static int parse_replica_line(const char *v, size_t n, topo_info_replica *r) {
    memset(r, 0, sizeof *r);
    r->offset = r->lag_s = -1;
    int have_host = 0, have_port = 0;
    while (n) {
        const char *comma = memchr(v, ',', n);
        size_t k = comma ? (size_t)(comma - v) : n;
        const char *eq = memchr(v, '=', k);
        if (eq) {
            size_t kl = (size_t)(eq - v), vl = k - kl - 1;
            const char *val = eq + 1;
            long long x;
            if (key_is(v, kl, "ip") && vl > 0 && vl < TOPO_HOST_MAX) {
                copy_n(r->host, sizeof r->host, val, vl);
                have_host = 1;
            } else if (key_is(v, kl, "port")) {
                have_port = parse_port(val, vl, &r->port) == 0;
            } else if (key_is(v, kl, "state")) {
                copy_n(r->state, sizeof r->state, val, vl);
            } else if (key_is(v, kl, "offset") && parse_ll(val, vl, &x) == 0) {
                r->offset = x;
            } else if (key_is(v, kl, "lag") && parse_ll(val, vl, &x) == 0) {
                r->lag_s = x;
            }
        }
        if (!comma) break;
        v = comma + 1;
        n -= k + 1;
    }
    return have_host && have_port ? 0 : -1;
}

static int is_slave_key(const char *k, size_t n) {
    if (n < 6 || memcmp(k, "slave", 5) != 0) return 0;
    for (size_t i = 5; i < n; i++)
        if (k[i] < '0' || k[i] > '9') return 0;
    return 1;
}

int topo_parse_replication_info(const char *text, size_t len, topo_replication_info *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->master_link_up = -1;
    out->offset = -1;
    out->connected_replicas = -1;
    const char *p = text, *end = text + len, *line;
    size_t n;
    while (text && next_line(&p, end, &line, &n)) {
        if (n == 0 || line[0] == '#') continue;
        const char *colon = memchr(line, ':', n);
        if (!colon) continue;
        size_t klen = (size_t)(colon - line), vlen = n - klen - 1;
        const char *v = colon + 1;
        long long x;
        if (key_is(line, klen, "role")) {
            out->has_role = 1;
            out->is_primary = key_is(v, vlen, "master");
        } else if (key_is(line, klen, "master_host") && vlen < TOPO_HOST_MAX) {
            copy_n(out->master_host, sizeof out->master_host, v, vlen);
        } else if (key_is(line, klen, "master_port")) {
            if (parse_port(v, vlen, &out->master_port)) out->master_port = 0;
        } else if (key_is(line, klen, "master_link_status")) {
            out->master_link_up = key_is(v, vlen, "up");
        } else if ((key_is(line, klen, "master_repl_offset") || key_is(line, klen, "slave_repl_offset")) &&
                   parse_ll(v, vlen, &x) == 0) {
            /* A replica reports both; its own position is slave_repl_offset. */
            if (key_is(line, klen, "slave_repl_offset") || out->offset < 0) out->offset = x;
        } else if (key_is(line, klen, "connected_slaves") && parse_ll(v, vlen, &x) == 0 && x >= 0) {
            out->connected_replicas = x;
        } else if (key_is(line, klen, "availability_zone")) {
            copy_n(out->zone, sizeof out->zone, v, vlen);
        } else if (is_slave_key(line, klen) && out->nreplicas < TOPO_MAX_INFO_REPLICAS) {
            if (parse_replica_line(v, vlen, &out->replicas[out->nreplicas]) == 0) out->nreplicas++;
        }
    }
    if (!out->has_role) {
        set_err(err, errlen, "INFO has no role line");
        return -1;
    }
    return 0;
}

/* ---- CLUSTER SHARDS (RESP2: arrays of alternating field names and values) ---- */

static const redisReply *kv_get(const redisReply *r, const char *key) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2) return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i];
        if (k && (k->type == REDIS_REPLY_STRING || k->type == REDIS_REPLY_STATUS) && k->len == strlen(key) &&
            memcmp(k->str, key, k->len) == 0)
            return r->element[i + 1];
    }
    return NULL;
}

static int kv_str(const redisReply *r, const char *key, char *dst, size_t cap) {
    const redisReply *v = kv_get(r, key);
    if (!v || (v->type != REDIS_REPLY_STRING && v->type != REDIS_REPLY_STATUS)) return -1;
    copy_n(dst, cap, v->str, v->len);
    return 0;
}

static int kv_int(const redisReply *r, const char *key, long long *out) {
    const redisReply *v = kv_get(r, key);
    if (!v) return -1;
    if (v->type == REDIS_REPLY_INTEGER) {
        *out = v->integer;
        return 0;
    }
    if (v->type == REDIS_REPLY_STRING) return parse_ll(v->str, v->len, out);
    return -1;
}

static int shard_slots(const redisReply *slots, topo_node *node) {
    if (!slots || slots->type != REDIS_REPLY_ARRAY || slots->elements % 2) return -1;
    for (size_t i = 0; i + 1 < slots->elements; i += 2) {
        const redisReply *a = slots->element[i], *b = slots->element[i + 1];
        if (!a || !b || a->type != REDIS_REPLY_INTEGER || b->type != REDIS_REPLY_INTEGER) return -1;
        if (a->integer < 0 || b->integer < a->integer || b->integer >= TOPO_SLOTS) return -1;
        if (node->slot_count + (unsigned)(b->integer - a->integer + 1) > TOPO_SLOTS) return -1;
        if (add_range(node, (unsigned)a->integer, (unsigned)b->integer)) return -1;
    }
    return 0;
}

static int merge_shard_node(const redisReply *nr, const redisReply *slots, topology *t, int *primary_idx) {
    char id[TOPO_ID_MAX], role[16] = "";
    long long port = -1, offset;
    if (kv_str(nr, "id", id, sizeof id) || !id[0]) return -1;
    kv_str(nr, "role", role, sizeof role);
    int idx = topology_find_id(t, id);
    topo_node *node;
    if (idx < 0) {
        char host[TOPO_HOST_MAX] = "";
        if (kv_str(nr, "ip", host, sizeof host) && kv_str(nr, "endpoint", host, sizeof host)) return -1;
        if (kv_int(nr, "port", &port) && kv_int(nr, "tls-port", &port)) return -1;
        if (port < 0 || port > 65535) return -1;
        node = topology_add_node(t);
        if (!node) return -1;
        memcpy(node->id, id, sizeof id);
        memcpy(node->host, host, sizeof host);
        node->port = (int)port;
        node->is_primary = strcmp(role, "master") == 0;
        if (node->is_primary && shard_slots(slots, node)) {
            free(node->ranges);
            t->nnodes--;
            return -1;
        }
    } else {
        node = &t->nodes[idx];
    }
    kv_str(nr, "health", node->health, sizeof node->health);
    kv_str(nr, "availability-zone", node->zone, sizeof node->zone);
    if (kv_int(nr, "replication-offset", &offset) == 0 && offset >= 0) node->offset = offset;
    if (node->is_primary) *primary_idx = (int)(node - t->nodes);
    return 0;
}

int topo_merge_cluster_shards(const void *reply, topology *t, char *err, size_t errlen) {
    const redisReply *r = reply;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        set_err(err, errlen, "CLUSTER SHARDS reply is not an array");
        return -1;
    }
    for (size_t s = 0; s < r->elements; s++) {
        const redisReply *shard = r->element[s];
        const redisReply *nodes = kv_get(shard, "nodes");
        if (!nodes || nodes->type != REDIS_REPLY_ARRAY) {
            set_err(err, errlen, "CLUSTER SHARDS shard without a nodes list");
            return -1;
        }
        int primary_idx = -1;
        size_t first_new = t->nnodes;
        for (size_t i = 0; i < nodes->elements; i++)
            if (merge_shard_node(nodes->element[i], kv_get(shard, "slots"), t, &primary_idx)) {
                set_err(err, errlen, "CLUSTER SHARDS node entry is malformed");
                return -1;
            }
        /* Nodes CLUSTER NODES did not list learn their primary from the shard. */
        for (size_t i = first_new; i < t->nnodes && primary_idx >= 0; i++)
            if (!t->nodes[i].is_primary)
                memcpy(t->nodes[i].primary_id, t->nodes[primary_idx].id, sizeof t->nodes[i].primary_id);
    }
    topology_link(t);
    return 0;
}
