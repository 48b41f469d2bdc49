/* topology/inspect: the I/O half of topology.h: hiredis connections to the seed and to
 * every node it names. Blocking calls with a timeout on connect and on every command,
 * so a dead or black-holed node costs at most one timeout and becomes an error line. */
#include <errno.h>
#include <stdarg.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/topology.h"

/* Error lines are bounded by design (truncation is fine), so format through va_list. */
__attribute__((format(printf, 3, 4))) static void errf(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static struct timeval timeout_of(const topo_options *o) {
    int ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    return tv;
}

static const char *io_error(const redisContext *c) {
    if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) return "timed out";
    if (c->err == REDIS_ERR_EOF) return "connection closed by the server";
    return c->errstr[0] ? c->errstr : "I/O error";
}

/* Runs one command; NULL with err filled on I/O failure or an error reply. */
static redisReply *run(redisContext *c, const char *addr, int argc, const char **argv, char *err, size_t errlen) {
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r) {
        errf(err, errlen, "%s: %s%s%s failed: %s", addr, argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "",
             io_error(c));
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        errf(err, errlen, "%s: %s%s%s refused: %.*s", addr, argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "",
                 (int)(r->len > 160 ? 160 : r->len), r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

static redisContext *open_node(const topo_options *o, const char *host, int port, char *err, size_t errlen) {
    char addr[TOPO_HOST_MAX + 8];
    snprintf(addr, sizeof addr, "%s:%d", host, port);
    if (!host[0] || port <= 0) {
        errf(err, errlen, "%s: node has no address", addr);
        return NULL;
    }
    struct timeval tv = timeout_of(o);
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c) {
        errf(err, errlen, "cannot connect to %s: out of memory", addr);
        return NULL;
    }
    if (c->err) {
        errf(err, errlen, "cannot connect to %s: %s", addr, io_error(c));
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (o->password) {
        const char *argv[3] = {"AUTH", o->user ? o->user : o->password, o->password};
        redisReply *r = redisCommandArgv(c, o->user ? 3 : 2, argv, NULL);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            /* The server's message (WRONGPASS ..., ERR AUTH ...) never echoes the secret. */
            if (r)
                errf(err, errlen, "authentication failed at %s: %.*s", addr, (int)(r->len > 160 ? 160 : r->len), r->str);
            else
                errf(err, errlen, "%s did not answer AUTH: %s", addr, io_error(c));
            if (r) freeReplyObject(r);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }
    return c;
}

/* INFO replication + INFO server of one connection, parsed. */
static int read_info(redisContext *c, const char *addr, topo_replication_info *ri, char *err, size_t errlen) {
    const char *repl[] = {"INFO", "replication"}, *server[] = {"INFO", "server"};
    redisReply *a = run(c, addr, 2, repl, err, errlen);
    if (!a) return -1;
    redisReply *b = run(c, addr, 2, server, err, errlen);
    if (!b) {
        freeReplyObject(a);
        return -1;
    }
    int rc = -1;
    if (a->type != REDIS_REPLY_STRING || b->type != REDIS_REPLY_STRING) {
        errf(err, errlen, "%s: INFO did not answer with text", addr);
    } else if (topo_parse_replication_info(a->str, a->len, ri, err, errlen) == 0) {
        /* INFO server has no role line, so the parser "fails" but still finds the zone. */
        topo_replication_info *srv = malloc(sizeof *srv);
        if (srv) {
            topo_parse_replication_info(b->str, b->len, srv, NULL, 0);
            if (srv->zone[0]) memcpy(ri->zone, srv->zone, sizeof ri->zone);
            free(srv);
        }
        rc = 0;
    }
    freeReplyObject(a);
    freeReplyObject(b);
    return rc;
}

static void owner_name(const topo_node *n, char *buf, size_t cap) {
    if (n)
        snprintf(buf, cap, "%s:%d", n->host, n->port);
    else
        snprintf(buf, cap, "no owner");
}

/* What `valkey-cli --cluster check` calls agreement: this node's CLUSTER NODES gives each
 * slot the same owner (by node id) as the seed's. */
static void compare_view(redisContext *c, const char *addr, topo_node *n, const topo_node **seed_owner) {
    const char *argv[] = {"CLUSTER", "NODES"};
    char msg[TOPO_ERR_MAX];
    redisReply *r = run(c, addr, 2, argv, msg, sizeof msg);
    if (!r) return;
    topology view;
    topology_init(&view, TOPO_CLUSTER);
    const topo_node **mine = malloc(TOPO_SLOTS * sizeof *mine);
    if (mine && r->type == REDIS_REPLY_STRING &&
        topo_parse_cluster_nodes(r->str, r->len, &view, NULL, msg, sizeof msg) == 0) {
        topology_slot_owners(&view, mine);
        unsigned differ = 0, first = 0;
        for (unsigned s = 0; s < TOPO_SLOTS; s++) {
            const char *a = mine[s] ? mine[s]->id : "", *b = seed_owner[s] ? seed_owner[s]->id : "";
            if (strcmp(a, b) != 0 && !differ++) first = s;
        }
        n->view_agrees = differ == 0;
        if (differ) {
            char here[TOPO_HOST_MAX + 8], there[TOPO_HOST_MAX + 8];
            owner_name(mine[first], here, sizeof here);
            owner_name(seed_owner[first], there, sizeof there);
            errf(n->view_diff, sizeof n->view_diff, "sees %u slot%s differently from the seed (slot %u: %s here, %s at the seed)",
                 differ, differ == 1 ? "" : "s", first, here, there);
        }
    }
    free(mine);
    topology_free(&view);
    freeReplyObject(r);
}

/* A failed DBSIZE leaves the count unknown (-1); it is not a reason to call the node unreachable. */
static long long dbsize(redisContext *c, const char *addr) {
    const char *argv[] = {"DBSIZE"};
    char msg[TOPO_ERR_MAX];
    redisReply *r = run(c, addr, 1, argv, msg, sizeof msg);
    long long keys = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r) freeReplyObject(r);
    return keys;
}

/* Connects to one node and fills reachable, link state, zone and offset from its INFO.
 * When `ri` is given the parsed INFO is kept for the caller (a primary's replica lines);
 * with `seed_owner` (cluster mode) its view of the slots is compared with the seed's. */
static void inspect_node(const topo_options *o, topo_node *n, topo_replication_info *ri, const topo_node **seed_owner) {
    char addr[TOPO_HOST_MAX + 8];
    snprintf(addr, sizeof addr, "%s:%d", n->host, n->port);
    redisContext *c = open_node(o, n->host, n->port, n->error, sizeof n->error);
    if (!c) return;
    topo_replication_info local;
    if (!ri) ri = &local;
    if (read_info(c, addr, ri, n->error, sizeof n->error) == 0) {
        n->reachable = 1;
        if (!n->zone[0]) memcpy(n->zone, ri->zone, sizeof n->zone);
        if (ri->offset >= 0) n->offset = ri->offset;
        if (!n->is_primary) n->link_up = ri->master_link_up;
        if (n->is_primary != ri->is_primary)
            errf(n->error, sizeof n->error, "%s reports role %s, the topology says %s", addr,
                     ri->is_primary ? "primary" : "replica", n->is_primary ? "primary" : "replica");
        if (seed_owner) compare_view(c, addr, n, seed_owner);
        if (o->count_keys && n->is_primary) n->keys = dbsize(c, addr);
    }
    redisFree(c);
}

/* A primary's INFO names its replicas with state/lag; attach them to our replica nodes.
 * The ip there is the replica's announced or peer address, so fall back to the port. */
static void attach_replica_lines(topology *t, size_t primary, const topo_replication_info *ri) {
    for (size_t k = 0; k < ri->nreplicas; k++) {
        const topo_info_replica *r = &ri->replicas[k];
        int match = -1, by_port = -1, port_hits = 0;
        for (size_t i = 0; i < t->nnodes; i++) {
            topo_node *n = &t->nodes[i];
            if (n->primary != (int)primary) continue;
            if (n->port == r->port && strcmp(n->host, r->host) == 0) match = (int)i;
            if (n->port == r->port) by_port = (int)i, port_hits++;
        }
        if (match < 0 && port_hits == 1) match = by_port;
        if (match < 0) continue;
        topo_node *n = &t->nodes[match];
        memcpy(n->repl_state, r->state, sizeof n->repl_state);
        n->lag_s = r->lag_s;
    }
}

static void inspect_all_nodes(const topo_options *o, topology *t) {
    topo_replication_info *ri = malloc(sizeof *ri);
    const topo_node **owner = t->mode == TOPO_CLUSTER ? malloc(TOPO_SLOTS * sizeof *owner) : NULL;
    if (owner) topology_slot_owners(t, owner); /* t->nodes is not reallocated below */
    for (size_t i = 0; i < t->nnodes; i++) {
        topo_node *n = &t->nodes[i];
        if (ri) memset(ri, 0, sizeof *ri);
        inspect_node(o, n, n->is_primary ? ri : NULL, owner);
        if (ri && n->is_primary && n->reachable) attach_replica_lines(t, i, ri);
    }
    free(owner);
    free(ri);
}

static int fail(topology *t, char *err, size_t errlen, const char *msg) {
    errf(t->error, sizeof t->error, "%s", msg);
    if (err && errlen) errf(err, errlen, "%s", msg);
    return -1;
}

static int inspect_cluster(const topo_options *o, redisContext *c, topology *t, char *err, size_t errlen) {
    char msg[TOPO_ERR_MAX];
    const char *info[] = {"CLUSTER", "INFO"}, *nodes[] = {"CLUSTER", "NODES"}, *shards[] = {"CLUSTER", "SHARDS"};
    redisReply *r = run(c, t->seed, 2, info, msg, sizeof msg);
    if (!r) return fail(t, err, errlen, msg);
    int rc = r->type == REDIS_REPLY_STRING ? topo_parse_cluster_info(r->str, r->len, &t->info, msg, sizeof msg) : -1;
    freeReplyObject(r);
    if (rc) return fail(t, err, errlen, "CLUSTER INFO answer is not usable");

    r = run(c, t->seed, 2, nodes, msg, sizeof msg);
    if (!r) return fail(t, err, errlen, msg);
    rc = r->type == REDIS_REPLY_STRING ? topo_parse_cluster_nodes(r->str, r->len, t, NULL, msg, sizeof msg) : -1;
    freeReplyObject(r);
    if (rc) return fail(t, err, errlen, "CLUSTER NODES answer is not usable");
    snprintf(t->source, sizeof t->source, "CLUSTER NODES");

    /* CLUSTER SHARDS (Valkey 7+/Redis 7+) adds health and availability-zone; older
     * servers refuse it and CLUSTER NODES alone describes the cluster. */
    r = run(c, t->seed, 2, shards, msg, sizeof msg);
    if (r) {
        if (topo_merge_cluster_shards(r, t, msg, sizeof msg) == 0)
            snprintf(t->source, sizeof t->source, "CLUSTER SHARDS + CLUSTER NODES");
        freeReplyObject(r);
    }
    topology_sort(t);
    inspect_all_nodes(o, t);
    return 0;
}

/* The local address of our connection is the primary's own IP even when we dialled a
 * Service name: CLIENT INFO's laddr (Redis 6.2+/Valkey) gives it. */
static void own_address(redisContext *c, char *host, size_t cap) {
    const char *argv[] = {"CLIENT", "INFO"};
    redisReply *r = redisCommandArgv(c, 2, argv, NULL);
    if (!r) return;
    if (r->type == REDIS_REPLY_STRING) {
        const char *p = strstr(r->str, " laddr=");
        if (p) {
            p += 7;
            const char *end = strchr(p, ' ');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            const char *colon = NULL;
            for (size_t i = n; i-- > 0;)
                if (p[i] == ':') {
                    colon = p + i;
                    break;
                }
            if (colon && (size_t)(colon - p) < cap && colon > p) {
                memcpy(host, p, (size_t)(colon - p));
                host[colon - p] = '\0';
            }
        }
    }
    freeReplyObject(r);
}

static int inspect_replication(const topo_options *o, redisContext *c, topology *t, char *err, size_t errlen) {
    char msg[TOPO_ERR_MAX];
    topo_replication_info *ri = calloc(1, sizeof *ri);
    if (!ri) return fail(t, err, errlen, "out of memory");
    char host[TOPO_HOST_MAX];
    int port = o->port;
    snprintf(host, sizeof host, "%s", o->host);
    int rc = read_info(c, t->seed, ri, msg, sizeof msg);
    if (rc == 0 && !ri->is_primary) {
        /* Given a replica: follow it to its primary once. */
        if (!ri->master_host[0] || ri->master_port <= 0) {
            errf(msg, sizeof msg, "%s is a replica without a known primary", t->seed);
            rc = -1;
        } else {
            snprintf(host, sizeof host, "%s", ri->master_host);
            port = ri->master_port;
            redisContext *pc = open_node(o, host, port, msg, sizeof msg);
            char addr[TOPO_HOST_MAX + 8];
            snprintf(addr, sizeof addr, "%s:%d", host, port);
            rc = pc ? read_info(pc, addr, ri, msg, sizeof msg) : -1;
            if (rc == 0 && !ri->is_primary) {
                errf(msg, sizeof msg, "%s (the primary of %s) is itself a replica", addr, t->seed);
                rc = -1;
            }
            if (rc == 0) own_address(pc, host, sizeof host);
            if (pc) redisFree(pc);
        }
    } else if (rc == 0) {
        own_address(c, host, sizeof host);
    }
    if (rc) {
        free(ri);
        return fail(t, err, errlen, msg);
    }
    snprintf(t->source, sizeof t->source, "INFO replication");
    topo_node *p = topology_add_node(t);
    if (!p) {
        free(ri);
        return fail(t, err, errlen, "out of memory");
    }
    snprintf(p->host, sizeof p->host, "%s", host);
    p->port = port;
    p->is_primary = 1;
    p->reachable = 1;
    p->offset = ri->offset;
    memcpy(p->zone, ri->zone, sizeof p->zone);
    for (size_t k = 0; k < ri->nreplicas; k++) {
        topo_node *n = topology_add_node(t);
        if (!n) break;
        snprintf(n->host, sizeof n->host, "%s", ri->replicas[k].host);
        n->port = ri->replicas[k].port;
        n->primary = 0;
        memcpy(n->repl_state, ri->replicas[k].state, sizeof n->repl_state);
        n->lag_s = ri->replicas[k].lag_s;
        n->offset = ri->replicas[k].offset;
    }
    free(ri);
    for (size_t i = 1; i < t->nnodes; i++) {
        long long reported = t->nodes[i].offset;
        inspect_node(o, &t->nodes[i], NULL, NULL);
        if (t->nodes[i].offset < 0) t->nodes[i].offset = reported;
    }
    return 0;
}

int topology_inspect(const topo_options *o, topology *t, char *err, size_t errlen) {
    topology_init(t, o->mode);
    snprintf(t->seed, sizeof t->seed, "%s:%d", o->host ? o->host : "", o->port);
    char msg[TOPO_ERR_MAX];
    redisContext *c = open_node(o, o->host ? o->host : "", o->port, msg, sizeof msg);
    if (!c) return fail(t, err, errlen, msg);
    int rc = o->mode == TOPO_CLUSTER ? inspect_cluster(o, c, t, err, errlen) : inspect_replication(o, c, t, err, errlen);
    redisFree(c);
    return rc;
}
