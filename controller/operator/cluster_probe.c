/* operator/cluster_probe: see cluster_probe.h. */
#include "operator/cluster_probe.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 16384

/* "ip:port@cport[,hostname]" -> host, port */
static int parse_addr(const char *tok, probe_node *n) {
    const char *at = strchr(tok, '@');
    size_t len = at ? (size_t)(at - tok) : strlen(tok);
    const char *colon = NULL;
    for (size_t i = 0; i < len; i++)
        if (tok[i] == ':') colon = tok + i;
    if (!colon || (size_t)(colon - tok) >= sizeof n->host) return -1;
    snprintf(n->host, sizeof n->host, "%.*s", (int)(colon - tok), tok);
    n->port = atoi(colon + 1);
    return n->port > 0 && n->port < 65536 ? 0 : -1;
}

static void assign_slots(const char *tok, int idx, probe_node *n, short *owners) {
    if (tok[0] == '[') return; /* [slot->-id] / [slot-<-id]: migration in progress */
    char *end;
    long a = strtol(tok, &end, 10), b = a;
    if (end == tok) return;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    if (*end || a < 0 || b >= SLOTS || a > b) return;
    for (long s = a; s <= b; s++) {
        if (owners[s] < 0) n->nslots++;
        owners[s] = (short)idx;
    }
}

int probe_parse_nodes(const char *text, probe_result *out, short *owners) {
    out->nnodes = 0;
    for (int s = 0; s < SLOTS; s++) owners[s] = -1;
    char *copy = strdup(text ? text : ""), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line && out->nnodes < PROBE_MAX_NODES;
         line = strtok_r(NULL, "\n", &save)) {
        char *tok[8], *lsave = NULL, *t = strtok_r(line, " \r", &lsave);
        int nt = 0;
        for (; t && nt < 8; t = strtok_r(NULL, " \r", &lsave)) tok[nt++] = t;
        if (nt < 8 || strlen(tok[0]) >= sizeof out->nodes[0].id) continue;
        probe_node *n = &out->nodes[out->nnodes];
        memset(n, 0, sizeof *n);
        n->keys = -1;
        if (parse_addr(tok[1], n) != 0) continue;
        snprintf(n->id, sizeof n->id, "%s", tok[0]);
        n->primary = strstr(tok[2], "master") != NULL;
        n->failed = strstr(tok[2], "fail") != NULL || strstr(tok[2], "noaddr") != NULL;
        /* tokens after the 8th are slots; t already holds the 9th */
        for (; t; t = strtok_r(NULL, " \r", &lsave)) assign_slots(t, out->nnodes, n, owners);
        out->nnodes++;
    }
    free(copy);
    return out->nnodes;
}

static redisContext *connect_auth(const char *host, int port, const char *user, const char *password, char *err,
                                  size_t errlen) {
    struct timeval tv = {3, 0};
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        snprintf(err, errlen, "%s:%d: %s", host, port, c ? c->errstr : "out of memory");
        redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (password) {
        redisReply *r = user && *user ? redisCommand(c, "AUTH %s %s", user, password) : redisCommand(c, "AUTH %s", password);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (!ok) snprintf(err, errlen, "%s:%d: AUTH failed: %s", host, port, r ? r->str : c->errstr);
        freeReplyObject(r);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

/* A node's CLUSTER NODES, as a slot owner table of node ids. */
static int node_view(redisContext *c, probe_result *scratch, short *owners) {
    redisReply *r = redisCommand(c, "CLUSTER NODES");
    int rc = -1;
    if (r && r->type == REDIS_REPLY_STRING) {
        probe_parse_nodes(r->str, scratch, owners);
        rc = 0;
    }
    freeReplyObject(r);
    return rc;
}

static bool same_owners(const probe_result *a, const short *oa, const probe_result *b, const short *ob) {
    for (int s = 0; s < SLOTS; s++) {
        if ((oa[s] < 0) != (ob[s] < 0)) return false;
        if (oa[s] >= 0 && strcmp(a->nodes[oa[s]].id, b->nodes[ob[s]].id)) return false;
    }
    return true;
}

/* Every reachable node's view against the seed's; DBSIZE on the primaries. */
static void visit_nodes(probe_result *out, const short *owners, const char *user, const char *password,
                        char *problem, size_t plen) {
    probe_result *view = malloc(sizeof *view);
    short *vo = malloc(sizeof(short) * SLOTS);
    out->nodes_agree = true;
    for (int i = 0; view && vo && i < out->nnodes; i++) {
        probe_node *n = &out->nodes[i];
        char err[256];
        redisContext *c = connect_auth(n->host, n->port, user, password, err, sizeof err);
        if (!c) {
            out->nodes_agree = false;
            if (!problem[0]) snprintf(problem, plen, "cannot ask node %s:%d (%s)", n->host, n->port, err);
            continue;
        }
        if (node_view(c, view, vo) != 0 || !same_owners(out, owners, view, vo)) {
            out->nodes_agree = false;
            if (!problem[0]) snprintf(problem, plen, "node %s:%d disagrees about slots", n->host, n->port);
        }
        if (n->primary) {
            redisReply *r = redisCommand(c, "DBSIZE");
            if (r && r->type == REDIS_REPLY_INTEGER) n->keys = r->integer;
            freeReplyObject(r);
        }
        redisFree(c);
    }
    free(view);
    free(vo);
}

int cluster_probe(const char *host, int port, const char *user, const char *password, probe_result *out,
                  char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    short *owners = malloc(sizeof(short) * SLOTS);
    redisContext *c = owners ? connect_auth(host, port, user, password, err, errlen) : NULL;
    if (!c || node_view(c, out, owners) != 0) {
        if (c) snprintf(err, errlen, "%s:%d: CLUSTER NODES failed", host, port);
        redisFree(c);
        free(owners);
        return -1;
    }
    redisFree(c);
    for (int s = 0; s < SLOTS; s++) out->slots_covered += owners[s] >= 0;
    out->all_slots_covered = out->slots_covered == SLOTS;
    char problem[300] = "";
    visit_nodes(out, owners, user, password, problem, sizeof problem);
    if (out->all_slots_covered && out->nodes_agree)
        snprintf(out->message, sizeof out->message, "all %d slots covered, nodes agree", SLOTS);
    else if (!out->all_slots_covered)
        snprintf(out->message, sizeof out->message, "%u of %d slots covered%s%s", out->slots_covered, SLOTS,
                 problem[0] ? "; " : "", problem);
    else
        snprintf(out->message, sizeof out->message, "all %d slots covered, but %s", SLOTS, problem);
    free(owners);
    return 0;
}
