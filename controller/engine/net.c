/* Blocking set-up connections and topology discovery (see net.h). */
#include "engine/net.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct timeval timeout_tv(const engine_config *cfg) {
    double t = cfg->timeout_s > 0 ? cfg->timeout_s : 10;
    struct timeval tv = {(time_t)t, (suseconds_t)((t - (double)(time_t)t) * 1e6)};
    return tv;
}

/* One line for a failed reply to a set-up command. */
static int reply_problem(redisContext *c, redisReply *r, const engine_endpoint *ep, const char *what, char *err,
                         size_t errlen) {
    if (!r) {
        snprintf(err, errlen, "%s:%d: %s failed: %s", ep->host, ep->port, what,
                 c->errstr[0] ? c->errstr : "no reply");
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "NOAUTH", 6) == 0)
            snprintf(err, errlen, "%s:%d requires a password (set VALKEY_PASSWORD or --password-file)", ep->host,
                     ep->port);
        else
            snprintf(err, errlen, "%s:%d: %s failed: %s", ep->host, ep->port, what, r->str);
        freeReplyObject(r);
        return -1;
    }
    return 0;
}

void *net_connect(const engine_config *cfg, const engine_endpoint *ep, char *err, size_t errlen) {
    struct timeval tv = timeout_tv(cfg);
    redisContext *c = redisConnectWithTimeout(ep->host, ep->port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "cannot connect to %s:%d: %s", ep->host, ep->port,
                 c ? c->errstr : "out of memory");
        if (c) redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    redisReply *r;
    if (cfg->password) {
        if (cfg->user[0])
            r = redisCommand(c, "AUTH %s %s", cfg->user, cfg->password);
        else
            r = redisCommand(c, "AUTH %s", cfg->password);
        if (!r) {
            snprintf(err, errlen, "%s:%d: AUTH failed: %s", ep->host, ep->port, c->errstr);
            redisFree(c);
            return NULL;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            /* The server's text never contains the password; print it as is. */
            snprintf(err, errlen, "authentication failed at %s:%d: %s", ep->host, ep->port, r->str);
            freeReplyObject(r);
            redisFree(c);
            return NULL;
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "PING");
    if (reply_problem(c, r, ep, "PING", err, errlen) != 0) {
        redisFree(c);
        return NULL;
    }
    freeReplyObject(r);
    return c;
}

void net_close(void *ctx) {
    if (ctx) redisFree(ctx);
}

int net_connect_fd(const engine_config *cfg, const engine_endpoint *ep, char *err, size_t errlen) {
    redisContext *c = net_connect(cfg, ep, err, errlen);
    if (!c) return -1;
    int fd = redisFreeKeepFd(c);
    struct timeval zero = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "%s:%d: cannot make the socket non-blocking", ep->host, ep->port);
        close(fd);
        return -1;
    }
    return fd;
}

int slot_map_node(slot_map *m, const char *host, int port) {
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i].port == port && strcmp(m->nodes[i].host, host) == 0) return i;
    if (m->nnodes == NET_MAX_NODES) return -1;
    engine_endpoint *n = &m->nodes[m->nnodes];
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    return m->nnodes++;
}

/* Value of `key` in a RESP2 flat map (array of key, value, ...), or NULL. */
static redisReply *map_get(redisReply *map, const char *key) {
    if (!map || map->type != REDIS_REPLY_ARRAY) return NULL;
    for (size_t i = 0; i + 1 < map->elements; i += 2) {
        redisReply *k = map->element[i];
        if (k->type == REDIS_REPLY_STRING && strcmp(k->str, key) == 0) return map->element[i + 1];
    }
    return NULL;
}

static const char *str_or(redisReply *r, const char *dflt) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str[0] &&
                   strcmp(r->str, "?") != 0
               ? r->str
               : dflt;
}

static int assign(slot_map *m, long long lo, long long hi, const char *host, int port, char *err, size_t errlen) {
    if (lo < 0 || hi >= CLUSTER_SLOTS || lo > hi || port <= 0 || port > 65535) {
        snprintf(err, errlen, "malformed slot range %lld-%lld in the cluster's slot map", lo, hi);
        return -1;
    }
    int idx = slot_map_node(m, host, port);
    if (idx < 0) {
        snprintf(err, errlen, "more than %d nodes in the cluster", NET_MAX_NODES);
        return -1;
    }
    for (long long s = lo; s <= hi; s++) m->owner[s] = (uint16_t)idx;
    return 0;
}

static int parse_shards(redisReply *r, const engine_endpoint *ep, slot_map *m, char *err, size_t errlen) {
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *shard = r->element[i];
        redisReply *slots = map_get(shard, "slots"), *nodes = map_get(shard, "nodes");
        if (!slots || slots->type != REDIS_REPLY_ARRAY || !nodes || nodes->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errlen, "%s:%d: malformed CLUSTER SHARDS reply", ep->host, ep->port);
            return -1;
        }
        if (slots->elements == 0) continue;
        redisReply *primary = NULL;
        for (size_t k = 0; k < nodes->elements && !primary; k++) {
            const char *role = str_or(map_get(nodes->element[k], "role"), "");
            if (strcmp(role, "master") == 0 || strcmp(role, "primary") == 0) primary = nodes->element[k];
        }
        redisReply *port = map_get(primary, "port");
        if (!primary || !port || port->type != REDIS_REPLY_INTEGER) {
            snprintf(err, errlen, "%s:%d: a shard serving slots has no primary", ep->host, ep->port);
            return -1;
        }
        const char *host = str_or(map_get(primary, "endpoint"), str_or(map_get(primary, "ip"), ep->host));
        for (size_t k = 0; k + 1 < slots->elements; k += 2) {
            redisReply *lo = slots->element[k], *hi = slots->element[k + 1];
            if (lo->type != REDIS_REPLY_INTEGER || hi->type != REDIS_REPLY_INTEGER) {
                snprintf(err, errlen, "%s:%d: malformed slots in CLUSTER SHARDS", ep->host, ep->port);
                return -1;
            }
            if (assign(m, lo->integer, hi->integer, host, (int)port->integer, err, errlen) != 0) return -1;
        }
    }
    return 0;
}

static int parse_slots(redisReply *r, const engine_endpoint *ep, slot_map *m, char *err, size_t errlen) {
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER || e->element[2]->type != REDIS_REPLY_ARRAY ||
            e->element[2]->elements < 2 || e->element[2]->element[1]->type != REDIS_REPLY_INTEGER) {
            snprintf(err, errlen, "%s:%d: malformed CLUSTER SLOTS reply", ep->host, ep->port);
            return -1;
        }
        redisReply *node = e->element[2];
        const char *host = str_or(node->element[0], ep->host);
        if (assign(m, e->element[0]->integer, e->element[1]->integer, host, (int)node->element[1]->integer, err,
                   errlen) != 0)
            return -1;
    }
    return 0;
}

/* "field:value" out of an INFO text; value copied to out. 0 when found. */
static int info_field(const char *info, const char *field, char *out, size_t outlen) {
    size_t flen = strlen(field);
    for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, field, flen) == 0 && p[flen] == ':') {
            const char *v = p + flen + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= outlen) n = outlen - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return 0;
        }
    }
    return -1;
}

int net_cluster_discover(void *ctx, const engine_endpoint *ep, slot_map *m, char *err, size_t errlen) {
    redisContext *c = ctx;
    memset(m, 0, sizeof *m);
    for (int s = 0; s < CLUSTER_SLOTS; s++) m->owner[s] = SLOT_UNKNOWN;
    redisReply *r = redisCommand(c, "CLUSTER INFO");
    if (reply_problem(c, r, ep, "CLUSTER INFO", err, errlen) != 0) {
        if (strstr(err, "cluster support disabled"))
            snprintf(err, errlen, "%s:%d is not a cluster node (cluster support disabled; use --mode standalone)",
                     ep->host, ep->port);
        return -1;
    }
    char state[32] = "", ok[32] = "?";
    if (r->type == REDIS_REPLY_STRING) {
        info_field(r->str, "cluster_state", state, sizeof state);
        info_field(r->str, "cluster_slots_ok", ok, sizeof ok);
    }
    freeReplyObject(r);
    if (strcmp(state, "ok") != 0) {
        snprintf(err, errlen, "cluster at %s:%d is not ok (cluster_state:%s, cluster_slots_ok:%s)", ep->host,
                 ep->port, state[0] ? state : "unknown", ok);
        return -1;
    }
    r = redisCommand(c, "CLUSTER SHARDS");
    int rc;
    if (r && r->type == REDIS_REPLY_ARRAY) {
        rc = parse_shards(r, ep, m, err, errlen);
        freeReplyObject(r);
    } else {
        if (r) freeReplyObject(r);
        r = redisCommand(c, "CLUSTER SLOTS");
        if (reply_problem(c, r, ep, "CLUSTER SLOTS", err, errlen) != 0) return -1;
        rc = r->type == REDIS_REPLY_ARRAY ? parse_slots(r, ep, m, err, errlen) : -1;
        if (r->type != REDIS_REPLY_ARRAY) snprintf(err, errlen, "%s:%d: unexpected CLUSTER SLOTS reply", ep->host, ep->port);
        freeReplyObject(r);
    }
    if (rc != 0) return -1;
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        if (m->owner[s] == SLOT_UNKNOWN) {
            snprintf(err, errlen, "cluster at %s:%d does not serve slot %d", ep->host, ep->port, s);
            return -1;
        }
    return 0;
}

static int info_replication(redisContext *c, const engine_endpoint *ep, char **text, char *err, size_t errlen) {
    redisReply *r = redisCommand(c, "INFO replication");
    if (reply_problem(c, r, ep, "INFO replication", err, errlen) != 0) return -1;
    *text = strdup(r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return *text ? 0 : -1;
}

int net_replication_discover(const engine_config *cfg, engine_endpoint *primary, engine_endpoint *replicas,
                             int *nreplicas, char *err, size_t errlen) {
    *primary = cfg->seed;
    redisContext *c = net_connect(cfg, primary, err, errlen);
    if (!c) return -1;
    char *info = NULL;
    if (info_replication(c, primary, &info, err, errlen) != 0) goto fail;
    char role[32] = "";
    info_field(info, "role", role, sizeof role);
    if (strcmp(role, "slave") == 0 || strcmp(role, "replica") == 0) {
        char host[256] = "", port[16] = "";
        info_field(info, "master_host", host, sizeof host);
        info_field(info, "master_port", port, sizeof port);
        free(info);
        info = NULL;
        net_close(c);
        snprintf(primary->host, sizeof primary->host, "%s", host);
        primary->port = atoi(port);
        c = net_connect(cfg, primary, err, errlen);
        if (!c) return -1;
        if (info_replication(c, primary, &info, err, errlen) != 0) goto fail;
    }
    *nreplicas = 0;
    if (cfg->nreplicas > 0) {
        memcpy(replicas, cfg->replicas, (size_t)cfg->nreplicas * sizeof *replicas);
        *nreplicas = cfg->nreplicas;
    } else {
        for (int i = 0; i < ENGINE_MAX_REPLICAS; i++) {
            char field[32], line[512], ip[256] = "";
            int port = 0;
            snprintf(field, sizeof field, "slave%d", i);
            if (info_field(info, field, line, sizeof line) != 0) break;
            /* ip=127.0.0.1,port=6380,state=online,offset=...,lag=0 */
            const char *p = strstr(line, "ip="), *q = strstr(line, "port=");
            if (!p || !q) continue;
            size_t n = strcspn(p + 3, ",");
            if (n >= sizeof ip) continue;
            memcpy(ip, p + 3, n);
            ip[n] = '\0';
            port = atoi(q + 5);
            if (port <= 0 || !strstr(line, "state=online")) continue;
            snprintf(replicas[*nreplicas].host, sizeof replicas[0].host, "%s", ip);
            replicas[*nreplicas].port = port;
            (*nreplicas)++;
        }
    }
    free(info);
    net_close(c);
    if (cfg->read_from == READ_FROM_REPLICAS && *nreplicas == 0) {
        snprintf(err, errlen, "no online replica of %s:%d found (give --replica host:port or --read-from primary)",
                 primary->host, primary->port);
        return -1;
    }
    return 0;
fail:
    free(info);
    net_close(c);
    return -1;
}
