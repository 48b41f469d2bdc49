/* topology/evaluate: the pure verdict of check.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/check.h"

/* Bounded formatting where truncation is acceptable (messages, names). */
__attribute__((format(printf, 3, 4))) static void sfmt(char *buf, size_t cap, const char *fmt, ...) {
    if (!cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}

void topo_requirements_default(topo_requirements *r) {
    r->cluster_state_ok = 1;
    r->all_slots_covered = 1;
    r->min_replicas = 1;
    r->replica_other_zone = 1;
    r->require_mapping = 1;
    r->zones_agree = 1;
}

/* ---- message building: a bounded string that appends "; "-separated items ---- */

typedef struct {
    char buf[1024];           /* as large as topo_check.message */
    size_t len;
    int items;
} msgbuf;

__attribute__((format(printf, 2, 3))) static void item(msgbuf *b, const char *fmt, ...) {
    if (b->len + 1 >= sizeof b->buf) return;
    if (b->items++) {
        if (b->len + 3 >= sizeof b->buf) return;
        memcpy(b->buf + b->len, "; ", 3);
        b->len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, sizeof b->buf - b->len, fmt, ap);
    va_end(ap);
    b->len += n > 0 ? (size_t)n : 0;
    if (b->len >= sizeof b->buf) b->len = sizeof b->buf - 1;
}

static topo_check *add_check(topo_verdict *v, const char *name) {
    topo_check *c = realloc(v->checks, (v->nchecks + 1) * sizeof *c);
    if (!c) return NULL;
    v->checks = c;
    c = &v->checks[v->nchecks++];
    memset(c, 0, sizeof *c);
    sfmt(c->name, sizeof c->name, "%s", name);
    c->passed = 1;
    return c;
}

/* Adds a check whose message is either the collected failures or the pass text. */
static int finish_check(topo_verdict *v, const char *name, const msgbuf *fails, const char *pass_fmt, ...) {
    topo_check *c = add_check(v, name);
    if (!c) return -1;
    if (fails->items) {
        c->passed = 0;
        sfmt(c->message, sizeof c->message, "%s", fails->buf);
    } else {
        va_list ap;
        va_start(ap, pass_fmt);
        vsnprintf(c->message, sizeof c->message, pass_fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* ---- per-node facts ---- */

typedef struct {
    const topo_placement *pl;
    const char *zone;         /* effective zone, "" unknown */
    char label[TOPO_NAME_MAX + TOPO_HOST_MAX + 16]; /* "pod (ip:port)" or "ip:port" */
    char addr[TOPO_HOST_MAX + 8];
} node_facts;

static void facts_of(const topo_node *n, const topo_placement_map *m, node_facts *f) {
    sfmt(f->addr, sizeof f->addr, "%s:%d", n->host, n->port);
    f->pl = placement_map_find(m, n->host, n->port);
    f->zone = f->pl && f->pl->zone[0] ? f->pl->zone : n->zone;
    if (f->pl && f->pl->pod[0])
        sfmt(f->label, sizeof f->label, "%s (%s)", f->pl->pod, f->addr);
    else
        sfmt(f->label, sizeof f->label, "%s", f->addr);
}

static const char *flag_problem(unsigned flags) {
    if (flags & TOPO_FLAG_FAIL) return "flagged fail by the cluster";
    if (flags & TOPO_FLAG_PFAIL) return "flagged pfail (suspected down) by the cluster";
    if (flags & TOPO_FLAG_HANDSHAKE) return "still in handshake";
    if (flags & TOPO_FLAG_NOADDR) return "has no known address";
    return NULL;
}

/* Why a replica cannot count as a working copy of its primary, or NULL. */
static void replica_problem(const topo_node *n, char *buf, size_t cap) {
    const char *fp = flag_problem(n->flags);
    buf[0] = '\0';
    if (!n->reachable)
        sfmt(buf, cap, "unreachable: %s", n->error[0] ? n->error : "not inspected");
    else if (fp)
        sfmt(buf, cap, "%s", fp);
    else if (n->link_up == 0)
        sfmt(buf, cap, "replication link down");
    else if (n->repl_state[0] && strcmp(n->repl_state, "online") != 0)
        sfmt(buf, cap, "replication state %s", n->repl_state);
    else if (n->error[0])
        sfmt(buf, cap, "%s", n->error);
}

static int counts_as_primary(const topology *t, const topo_node *n) {
    return n->is_primary && (t->mode == TOPO_REPLICATION || n->slot_count > 0);
}

static int cmp_replica(const void *a, const void *b) {
    const topo_replica_row *x = a, *y = b;
    int c = strcmp(x->pod, y->pod);
    return c ? c : strcmp(x->address, y->address);
}

static int cmp_primary(const void *a, const void *b) {
    const topo_primary_row *x = a, *y = b;
    if (x->first_slot != y->first_slot) return x->first_slot < y->first_slot ? -1 : 1;
    return strcmp(x->address, y->address);
}

static void fill_row_ids(const topo_node *n, const node_facts *f, char *address, char *pod, char *node, char *zone,
                         char *vzone) {
    sfmt(address, TOPO_HOST_MAX + 8, "%s", f->addr);
    sfmt(pod, TOPO_NAME_MAX, "%s", f->pl ? f->pl->pod : "");
    sfmt(node, TOPO_NAME_MAX, "%s", f->pl ? f->pl->node : "");
    sfmt(zone, TOPO_ZONE_MAX, "%s", f->zone);
    sfmt(vzone, TOPO_ZONE_MAX, "%s", n->zone);
}

/* Builds the primary/replica table; row_of[i] is the table row of node i's primary. */
static int build_table(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    size_t np = 0;
    for (size_t i = 0; i < t->nnodes; i++) np += counts_as_primary(t, &t->nodes[i]);
    v->primaries = calloc(np ? np : 1, sizeof *v->primaries);
    if (!v->primaries) return -1;
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (!counts_as_primary(t, n)) continue;
        topo_primary_row *row = &v->primaries[v->nprimaries++];
        node_facts f;
        facts_of(n, m, &f);
        fill_row_ids(n, &f, row->address, row->pod, row->node, row->zone, row->valkey_zone);
        row->slots = n->slot_count;
        row->first_slot = TOPO_SLOTS;
        for (size_t r = 0; r < n->nranges; r++)
            if (n->ranges[r].start < row->first_slot) row->first_slot = n->ranges[r].start;
        size_t nr = 0;
        for (size_t j = 0; j < t->nnodes; j++) nr += t->nodes[j].primary == (int)i;
        row->replicas = calloc(nr ? nr : 1, sizeof *row->replicas);
        if (!row->replicas) return -1;
        for (size_t j = 0; j < t->nnodes; j++) {
            const topo_node *rn = &t->nodes[j];
            if (rn->primary != (int)i) continue;
            topo_replica_row *rr = &row->replicas[row->nreplicas++];
            node_facts rf;
            facts_of(rn, m, &rf);
            fill_row_ids(rn, &rf, rr->address, rr->pod, rr->node, rr->zone, rr->valkey_zone);
            rr->cross_zone = !rf.zone[0] || !f.zone[0] ? -1 : strcmp(rf.zone, f.zone) != 0;
            replica_problem(rn, rr->problem, sizeof rr->problem);
            rr->healthy = rr->problem[0] == '\0';
            rr->link_up = rn->link_up;
            rr->lag_s = rn->lag_s;
            rr->lag_bytes = n->offset >= 0 && rn->offset >= 0 ? (n->offset > rn->offset ? n->offset - rn->offset : 0) : -1;
        }
    }
    /* Stable output: replicas reconnect (and reorder in INFO) at any time. */
    for (size_t i = 0; i < v->nprimaries; i++)
        qsort(v->primaries[i].replicas, v->primaries[i].nreplicas, sizeof *v->primaries[i].replicas, cmp_replica);
    qsort(v->primaries, v->nprimaries, sizeof *v->primaries, cmp_primary);
    return 0;
}

/* ---- the checks ---- */

static int check_reachable(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (n->reachable) continue;
        node_facts f;
        facts_of(n, m, &f);
        item(&b, "node %s unreachable: %s", f.label, n->error[0] ? n->error : "not inspected");
    }
    return finish_check(v, "reachable", &b, "all %zu nodes answered", t->nnodes);
}

static int check_healthy(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        node_facts f;
        facts_of(n, m, &f);
        const char *fp = flag_problem(n->flags);
        if (fp) item(&b, "%s %s is %s", n->is_primary ? "primary" : "replica", f.label, fp);
        else if (n->reachable && n->error[0]) item(&b, "%s", n->error);
        else if (n->reachable && !n->is_primary && n->link_up == 0) item(&b, "replica %s: replication link down", f.label);
        else if (n->reachable && !n->is_primary && n->repl_state[0] && strcmp(n->repl_state, "online") != 0)
            item(&b, "replica %s: replication state %s", f.label, n->repl_state);
        if (!n->is_primary && n->primary < 0)
            item(&b, "replica %s has no known primary%s%s", f.label, n->primary_id[0] ? " " : "", n->primary_id);
        if (n->is_primary && t->mode == TOPO_CLUSTER && n->slot_count == 0 && !fp)
            item(&b, "primary %s serves no slots", f.label);
    }
    return finish_check(v, "nodesHealthy", &b, "no node flagged fail, pfail or handshake; every replication link up");
}

static int check_agreement(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    size_t compared = 0;
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (n->view_agrees < 0) continue;
        compared++;
        if (n->view_agrees) continue;
        node_facts f;
        facts_of(n, m, &f);
        item(&b, "%s %s", f.label, n->view_diff[0] ? n->view_diff : "disagrees with the seed on slot owners");
    }
    if (!compared) return finish_check(v, "nodesAgree", &b, "no node's view of the slots could be compared");
    return finish_check(v, "nodesAgree", &b, "%zu node%s agree with the seed on every slot's owner", compared,
                        compared == 1 ? "" : "s");
}

static void append_range(msgbuf *b, unsigned lo, unsigned hi, const char *why) {
    if (lo == hi)
        item(b, "slot %u %s", lo, why);
    else
        item(b, "slots %u-%u %s", lo, hi, why);
}

static int check_slots(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    const topo_cluster_info *ci = &t->info;
    unsigned char *owner_state = calloc(TOPO_SLOTS, 1); /* 0 none, 1 ok, 2 failing owner */
    if (!owner_state) return -1;
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (!n->is_primary) continue;
        unsigned char st = flag_problem(n->flags) ? 2 : 1;
        for (size_t r = 0; r < n->nranges; r++)
            for (unsigned s = n->ranges[r].start; s <= n->ranges[r].end && s < TOPO_SLOTS; s++)
                if (owner_state[s] != 1) owner_state[s] = st;
    }
    for (unsigned s = 0; s < TOPO_SLOTS;) {
        unsigned e = s;
        while (e + 1 < TOPO_SLOTS && owner_state[e + 1] == owner_state[s]) e++;
        if (owner_state[s] == 0) append_range(&b, s, e, "not assigned to any primary");
        if (owner_state[s] == 2) {
            for (size_t i = 0; i < t->nnodes; i++) {
                const topo_node *n = &t->nodes[i];
                int owns = 0;
                for (size_t r = 0; r < n->nranges; r++) owns |= n->ranges[r].start <= s && s <= n->ranges[r].end;
                if (n->is_primary && owns && flag_problem(n->flags)) {
                    node_facts f;
                    facts_of(n, m, &f);
                    char why[TOPO_NAME_MAX + TOPO_HOST_MAX + 64];
                    sfmt(why, sizeof why, "served by primary %s which is %s", f.label, flag_problem(n->flags));
                    append_range(&b, s, e, why);
                    break;
                }
            }
        }
        s = e + 1;
    }
    free(owner_state);
    if (ci->valid && (ci->slots_assigned != TOPO_SLOTS || ci->slots_ok != TOPO_SLOTS || ci->slots_pfail || ci->slots_fail))
        item(&b, "CLUSTER INFO reports %lld assigned, %lld ok, %lld pfail, %lld fail of %d slots", ci->slots_assigned,
             ci->slots_ok, ci->slots_pfail, ci->slots_fail, TOPO_SLOTS);
    return finish_check(v, "allSlotsCovered", &b, "all %d slots assigned and ok", TOPO_SLOTS);
}

static int check_cluster_state(const topology *t, topo_verdict *v) {
    msgbuf b = {.len = 0};
    if (!t->info.valid)
        item(&b, "no CLUSTER INFO from %s", t->seed);
    else if (strcmp(t->info.state, "ok") != 0)
        item(&b, "cluster_state is %s (seen from %s)", t->info.state[0] ? t->info.state : "empty", t->seed);
    return finish_check(v, "clusterStateOk", &b, "cluster_state=ok");
}

static int check_mapping(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (!placement_map_find(m, n->host, n->port))
            item(&b, "no pod has the address of %s %s:%d", n->is_primary ? "primary" : "replica", n->host, n->port);
    }
    return finish_check(v, "podsMapped", &b, "every node address maps to a pod");
}

static int check_zone_agreement(const topology *t, const topo_placement_map *m, topo_verdict *v) {
    msgbuf b = {.len = 0};
    size_t reported = 0;
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        node_facts f;
        facts_of(n, m, &f);
        if (!n->zone[0] || !f.pl || !f.pl->zone[0]) continue;
        reported++;
        if (strcmp(n->zone, f.pl->zone) != 0)
            item(&b, "%s says availability-zone %s but runs in zone %s", f.label, n->zone, f.pl->zone);
    }
    if (!reported) return finish_check(v, "zonesAgree", &b, "no node reports an availability-zone to compare");
    return finish_check(v, "zonesAgree", &b, "Valkey's availability-zone matches the node zone on %zu nodes", reported);
}

static int check_replicas(topo_verdict *v, int min) {
    msgbuf b = {.len = 0};
    for (size_t i = 0; i < v->nprimaries; i++) {
        const topo_primary_row *p = &v->primaries[i];
        size_t healthy = 0;
        for (size_t r = 0; r < p->nreplicas; r++) healthy += p->replicas[r].healthy;
        if ((long)healthy >= min) continue;
        const char *name = p->pod[0] ? p->pod : p->address;
        char why[512] = "";
        for (size_t r = 0; r < p->nreplicas && !why[0]; r++)
            if (!p->replicas[r].healthy)
                sfmt(why, sizeof why, ": replica %s %s", p->replicas[r].pod[0] ? p->replicas[r].pod : p->replicas[r].address,
                         p->replicas[r].problem);
        item(&b, "primary %s has %zu healthy replica%s, needs %d%s", name, healthy, healthy == 1 ? "" : "s", min,
             p->nreplicas ? why : " (no replica at all)");
    }
    return finish_check(v, "minReplicasPerPrimary", &b, "every primary has at least %d healthy replica%s", min,
                        min == 1 ? "" : "s");
}

/* Counts primaries with a healthy replica elsewhere; with `enforce`, adds the check. */
static int check_cross_zone(topo_verdict *v, int enforce, int *all_pairs_cross) {
    msgbuf b = {.len = 0};
    *all_pairs_cross = 1;
    for (size_t i = 0; i < v->nprimaries; i++) {
        const topo_primary_row *p = &v->primaries[i];
        const char *name = p->pod[0] ? p->pod : p->address;
        int ok = 0;
        const topo_replica_row *same = NULL, *unknown = NULL;
        for (size_t r = 0; r < p->nreplicas; r++) {
            const topo_replica_row *rr = &p->replicas[r];
            if (rr->cross_zone != 1) *all_pairs_cross = 0;
            if (!rr->healthy) continue;
            if (rr->cross_zone == 1) ok = 1;
            else if (rr->cross_zone == 0 && !same) same = rr;
            else if (rr->cross_zone < 0 && !unknown) unknown = rr;
        }
        if (ok) {
            v->cross_zone_primaries++;
            continue;
        }
        if (!p->zone[0])
            item(&b, "zone of primary %s is unknown (not in the zone map, no availability-zone)", name);
        else if (same)
            item(&b, "primary %s has no replica in another zone: replica %s is also in %s", name,
                 same->pod[0] ? same->pod : same->address, p->zone);
        else if (unknown)
            item(&b, "primary %s (zone %s): zone of replica %s is unknown", name, p->zone,
                 unknown->pod[0] ? unknown->pod : unknown->address);
        else
            item(&b, "primary %s (zone %s) has no healthy replica in another zone", name, p->zone);
    }
    if (!enforce) return 0;
    return finish_check(v, "replicaInDifferentZone", &b, "%zu/%zu primaries have a replica in another zone",
                        v->cross_zone_primaries, v->nprimaries);
}

static void summarize(const topology *t, topo_verdict *v, int all_pairs_cross, const topo_requirements *req) {
    v->passed = 1;
    size_t failed = 0;
    for (size_t i = 0; i < v->nchecks; i++)
        if (!v->checks[i].passed) {
            if (!failed++) sfmt(v->summary, sizeof v->summary, "%s: %s", v->checks[i].name, v->checks[i].message);
            v->passed = 0;
        }
    if (failed > 1) {
        size_t len = strlen(v->summary);
        sfmt(v->summary + len, sizeof v->summary - len, " (and %zu more failed check%s)", failed - 1,
                 failed == 2 ? "" : "s");
    }
    if (!v->passed) return;
    const char *zones = !req->replica_other_zone ? "cross-zone placement not required"
                        : all_pairs_cross        ? "all primary↔replica pairs are cross-AZ"
                                                 : "every primary has a replica in another AZ";
    if (t->mode == TOPO_CLUSTER)
        sfmt(v->summary, sizeof v->summary, "cluster_state=ok, %d/%d slots ok, %zu primaries, %s.", TOPO_SLOTS,
                 TOPO_SLOTS, v->nprimaries, zones);
    else {
        size_t healthy = 0;
        for (size_t r = 0; v->nprimaries && r < v->primaries[0].nreplicas; r++) healthy += v->primaries[0].replicas[r].healthy;
        sfmt(v->summary, sizeof v->summary, "role:master with %zu healthy replica%s, %s.", healthy,
                 healthy == 1 ? "" : "s", zones);
    }
}

int topo_evaluate(const topology *t, const topo_placement_map *m, const topo_requirements *req, topo_verdict *out) {
    memset(out, 0, sizeof *out);
    out->mode = t->mode;
    out->info = t->info;
    sfmt(out->seed, sizeof out->seed, "%s", t->seed);
    if (t->nnodes == 0) {
        topo_check *c = add_check(out, "reachable");
        if (!c) return -1;
        c->passed = 0;
        /* Inspection errors usually name the seed already. */
        if (t->error[0] && strstr(t->error, t->seed))
            sfmt(c->message, sizeof c->message, "%s", t->error);
        else
            sfmt(c->message, sizeof c->message, "cannot inspect %s: %s", t->seed, t->error[0] ? t->error : "no nodes found");
        sfmt(out->summary, sizeof out->summary, "reachable: %s", c->message);
        return 0;
    }
    int all_pairs_cross = 0;
    /* Ordered by how much a failure says: the VERIFY line quotes the first one. */
    if (build_table(t, m, out)) return -1;
    if (t->mode == TOPO_CLUSTER && req->cluster_state_ok && check_cluster_state(t, out)) return -1;
    if (t->mode == TOPO_CLUSTER && req->all_slots_covered && check_slots(t, m, out)) return -1;
    if (check_reachable(t, m, out) || check_healthy(t, m, out)) return -1;
    if (t->mode == TOPO_CLUSTER && check_agreement(t, m, out)) return -1;
    if (req->require_mapping && check_mapping(t, m, out)) return -1;
    if (req->zones_agree && check_zone_agreement(t, m, out)) return -1;
    if (check_replicas(out, req->min_replicas)) return -1;
    if (check_cross_zone(out, req->replica_other_zone, &all_pairs_cross)) return -1;
    summarize(t, out, all_pairs_cross, req);
    return 0;
}

void topo_verdict_free(topo_verdict *v) {
    for (size_t i = 0; i < v->nprimaries; i++) free(v->primaries[i].replicas);
    free(v->primaries);
    free(v->checks);
    memset(v, 0, sizeof *v);
}

const char *topo_verdict_first_failure(const topo_verdict *v) {
    for (size_t i = 0; i < v->nchecks; i++)
        if (!v->checks[i].passed) return v->checks[i].message;
    return "";
}
