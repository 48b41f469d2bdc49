/* topology/render: the verify-cluster.sh style report and the status JSON of check.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/check.h"

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }
static const char *name_of(const char *pod, const char *addr) { return pod && *pod ? pod : addr; }

typedef struct {
    char name[TOPO_NAME_MAX], ready[8], status[16], addr[TOPO_HOST_MAX + 8], node[TOPO_NAME_MAX],
        zone[TOPO_ZONE_MAX], role[64];
} pod_line;

static int cmp_pod_line(const void *a, const void *b) {
    const pod_line *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->addr, y->addr);
}

static void fill_pod_cols(pod_line *l, const topo_placement *pl, const char *fallback_zone) {
    snprintf(l->name, sizeof l->name, "%s", or_dash(pl ? pl->pod : ""));
    snprintf(l->ready, sizeof l->ready, "%s", !pl || pl->ready < 0 ? "-" : pl->ready ? "yes" : "no");
    snprintf(l->status, sizeof l->status, "%s", or_dash(pl ? pl->phase : ""));
    snprintf(l->node, sizeof l->node, "%s", or_dash(pl ? pl->node : ""));
    snprintf(l->zone, sizeof l->zone, "%s", or_dash(pl && pl->zone[0] ? pl->zone : fallback_zone));
}

/* Every Valkey node (with its pod when mapped), then mapped pods that are no node. */
static void render_pods(FILE *out, const topology *t, const topo_placement_map *m) {
    fprintf(out, "=== Pods ===\n");
    size_t cap = t->nnodes + (m ? m->n : 0), n = 0;
    pod_line *lines = calloc(cap ? cap : 1, sizeof *lines);
    if (!lines) return;
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *nd = &t->nodes[i];
        pod_line *l = &lines[n++];
        snprintf(l->addr, sizeof l->addr, "%s:%d", nd->host, nd->port);
        fill_pod_cols(l, placement_map_find(m, nd->host, nd->port), nd->zone);
        snprintf(l->role, sizeof l->role, "%s%s%s%s", nd->is_primary ? "primary" : "replica",
                 nd->flags & TOPO_FLAG_FAIL ? ",fail" : "", nd->flags & TOPO_FLAG_PFAIL ? ",pfail" : "",
                 nd->reachable ? "" : ",unreachable");
    }
    for (size_t k = 0; m && k < m->n; k++) {
        const topo_placement *pl = &m->items[k];
        int used = !pl->pod[0]; /* hand-made --zone entries are no pods */
        for (size_t i = 0; i < t->nnodes && !used; i++)
            used = placement_map_find(m, t->nodes[i].host, t->nodes[i].port) == pl ||
                   (pl->pod[0] && strcmp(lines[i].name, pl->pod) == 0);
        for (size_t j = t->nnodes; j < n && !used; j++) used = strcmp(lines[j].name, pl->pod) == 0;
        if (used) continue;
        pod_line *l = &lines[n++];
        snprintf(l->addr, sizeof l->addr, "%s", pl->addr);
        fill_pod_cols(l, pl, "");
        snprintf(l->role, sizeof l->role, "not a node of this %s", t->mode == TOPO_CLUSTER ? "cluster" : "primary");
    }
    size_t w[6] = {4, 5, 6, 7, 4, 4};
    for (size_t i = 0; i < n; i++) {
        const char *cols[6] = {lines[i].name, lines[i].ready, lines[i].status, lines[i].addr, lines[i].node, lines[i].zone};
        for (int k = 0; k < 6; k++)
            if (strlen(cols[k]) > w[k]) w[k] = strlen(cols[k]);
    }
    qsort(lines, n, sizeof *lines, cmp_pod_line);
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], "NAME", (int)w[1], "READY", (int)w[2], "STATUS",
            (int)w[3], "ADDRESS", (int)w[4], "NODE", (int)w[5], "ZONE", "ROLE");
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", (int)w[0], lines[i].name, (int)w[1], lines[i].ready,
                (int)w[2], lines[i].status, (int)w[3], lines[i].addr, (int)w[4], lines[i].node, (int)w[5],
                lines[i].zone, lines[i].role);
    free(lines);
}

static void render_info(FILE *out, const topology *t) {
    if (t->mode == TOPO_CLUSTER) {
        const topo_cluster_info *ci = &t->info;
        fprintf(out, "=== cluster info ===\n");
        if (!ci->valid) {
            fprintf(out, "(no CLUSTER INFO from %s)\n", t->seed);
            return;
        }
        fprintf(out,
                "cluster_state:%s\ncluster_slots_assigned:%lld\ncluster_slots_ok:%lld\ncluster_slots_pfail:%lld\n"
                "cluster_slots_fail:%lld\ncluster_known_nodes:%lld\ncluster_size:%lld\n",
                ci->state, ci->slots_assigned, ci->slots_ok, ci->slots_pfail, ci->slots_fail, ci->known_nodes, ci->size);
        return;
    }
    fprintf(out, "=== replication info ===\n");
    size_t replicas = 0;
    for (size_t i = 0; i < t->nnodes; i++) replicas += !t->nodes[i].is_primary;
    if (t->nnodes) {
        fprintf(out, "role:master (%s:%d)\nconnected_slaves:%zu\nmaster_repl_offset:%lld\n", t->nodes[0].host,
                t->nodes[0].port, replicas, t->nodes[0].offset);
    }
}

static void render_pairs(FILE *out, const topo_verdict *v) {
    fprintf(out, "=== Topology + primary↔replica AZ pairing ===\n");
    for (size_t i = 0; i < v->nprimaries; i++) {
        const topo_primary_row *p = &v->primaries[i];
        fprintf(out, "PRIMARY %s %s", name_of(p->pod, p->address), or_dash(p->zone));
        /* The address is already the name when no pod is known. */
        int named = p->pod[0] != '\0';
        if (v->mode == TOPO_CLUSTER)
            fprintf(out, "  (%s%s%u slots)", named ? p->address : "", named ? ", " : "", p->slots);
        else if (named)
            fprintf(out, "  (%s)", p->address);
        fprintf(out, "\n");
        if (p->nreplicas == 0) fprintf(out, "  (no replica) ✗\n");
        for (size_t r = 0; r < p->nreplicas; r++) {
            const topo_replica_row *rr = &p->replicas[r];
            const char *mark = !rr->healthy         ? "unhealthy ✗"
                               : rr->cross_zone == 1 ? "cross-AZ ✓"
                               : rr->cross_zone == 0 ? "same-AZ ✗"
                                                     : "zone unknown ✗";
            fprintf(out, "  replica %s %s %s", name_of(rr->pod, rr->address), or_dash(rr->zone), mark);
            if (!rr->healthy) fprintf(out, "  (%s)", rr->problem);
            else if (rr->lag_s >= 0 || rr->lag_bytes >= 0) {
                fprintf(out, "  (link up");
                if (rr->lag_s >= 0) fprintf(out, ", lag %llds", rr->lag_s);
                if (rr->lag_bytes >= 0) fprintf(out, ", %lld bytes behind", rr->lag_bytes);
                fprintf(out, ")");
            }
            fprintf(out, "\n");
        }
    }
}

void topo_render_report(FILE *out, const topology *t, const topo_placement_map *m, const topo_verdict *v) {
    render_pods(out, t, m);
    render_info(out, t);
    render_pairs(out, v);
    for (size_t i = 0; i < v->nchecks; i++)
        if (!v->checks[i].passed) fprintf(out, "FAIL %s: %s\n", v->checks[i].name, v->checks[i].message);
    fprintf(out, "VERIFY: %s — %s\n", v->passed ? "PASS" : "FAIL", v->summary);
}

/* ---- JSON ---- */

/* Strings from the network may not be UTF-8, which jansson refuses: degrade to ASCII. */
static json_t *jstr(const char *s) {
    json_t *j = json_string(s);
    if (j) return j;
    size_t n = strlen(s);
    char *copy = malloc(n + 1);
    if (!copy) return json_string("");
    for (size_t i = 0; i <= n; i++) copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_string("");
}

static void set_str(json_t *o, const char *k, const char *v) { json_object_set_new(o, k, jstr(v)); }
static void set_int(json_t *o, const char *k, long long v) { json_object_set_new(o, k, json_integer((json_int_t)v)); }

static json_t *replica_json(const topo_replica_row *r) {
    json_t *o = json_object();
    if (!o) return NULL;
    set_str(o, "pod", r->pod);
    set_str(o, "node", r->node);
    set_str(o, "zone", r->zone);
    set_str(o, "address", r->address);
    json_object_set_new(o, "crossZone", json_boolean(r->cross_zone == 1));
    json_object_set_new(o, "linkUp", json_boolean(r->healthy && r->link_up != 0));
    if (r->lag_bytes >= 0) set_int(o, "lagBytes", r->lag_bytes);
    return o;
}

static json_t *primary_json(const topo_primary_row *p) {
    json_t *o = json_object(), *reps = json_array();
    if (!o || !reps) {
        json_decref(o);
        json_decref(reps);
        return NULL;
    }
    set_str(o, "pod", p->pod);
    set_str(o, "node", p->node);
    set_str(o, "zone", p->zone);
    set_str(o, "address", p->address);
    set_int(o, "slots", p->slots);
    if (p->valkey_zone[0]) set_str(o, "valkeyZone", p->valkey_zone);
    for (size_t r = 0; r < p->nreplicas; r++) json_array_append_new(reps, replica_json(&p->replicas[r]));
    json_object_set_new(o, "replicas", reps);
    return o;
}

json_t *topo_verdict_to_json(const topo_verdict *v) {
    json_t *o = json_object(), *checks = json_array(), *topo = json_array();
    if (!o || !checks || !topo) {
        json_decref(o);
        json_decref(checks);
        json_decref(topo);
        return NULL;
    }
    set_str(o, "result", v->passed ? "PASS" : "FAIL");
    for (size_t i = 0; i < v->nchecks; i++) {
        json_t *c = json_object();
        if (!c) continue;
        set_str(c, "name", v->checks[i].name);
        json_object_set_new(c, "passed", json_boolean(v->checks[i].passed));
        set_str(c, "message", v->checks[i].message);
        json_array_append_new(checks, c);
    }
    json_object_set_new(o, "checks", checks);
    set_str(o, "firstFailure", topo_verdict_first_failure(v));
    if (v->mode == TOPO_CLUSTER && v->info.valid) {
        json_t *ci = json_object();
        if (ci) {
            set_str(ci, "state", v->info.state);
            set_int(ci, "slotsAssigned", v->info.slots_assigned);
            set_int(ci, "slotsOk", v->info.slots_ok);
            set_int(ci, "slotsPfail", v->info.slots_pfail);
            set_int(ci, "slotsFail", v->info.slots_fail);
            set_int(ci, "knownNodes", v->info.known_nodes);
            set_int(ci, "size", v->info.size);
            json_object_set_new(o, "clusterInfo", ci);
        }
    }
    set_int(o, "primaries", (long long)v->nprimaries);
    char pairs[64];
    snprintf(pairs, sizeof pairs, "%zu/%zu", v->cross_zone_primaries, v->nprimaries);
    set_str(o, "crossZonePairs", pairs);
    for (size_t i = 0; i < v->nprimaries; i++) json_array_append_new(topo, primary_json(&v->primaries[i]));
    json_object_set_new(o, "topology", topo);
    set_str(o, "summary", v->summary);
    return o;
}

json_t *topo_check_status(const topo_options *o, const json_t *pods, const json_t *nodes, const char *zone_label,
                          const topo_requirements *req, int *passed) {
    topo_placement_map m = {0};
    char err[TOPO_ERR_MAX];
    topology t;
    topo_verdict v;
    int mapped = placement_map_from_kube(&m, pods, nodes, zone_label, err, sizeof err);
    topology_inspect(o, &t, err, sizeof err); /* a seed that cannot be read is part of the verdict */
    json_t *status = NULL;
    if (topo_evaluate(&t, &m, req, &v) == 0) {
        int have = 0;
        for (size_t i = 0; i < v.nchecks; i++) have |= strcmp(v.checks[i].name, "podsMapped") == 0;
        if (mapped <= 0 && req->require_mapping && !have) {
            /* Without pods every address is unmapped: say so once, up front. */
            topo_check *c = realloc(v.checks, (v.nchecks + 1) * sizeof *c);
            if (c) {
                v.checks = c;
                memmove(&v.checks[1], &v.checks[0], v.nchecks * sizeof *c);
                memset(&v.checks[0], 0, sizeof *c);
                const char *why = mapped < 0 ? "the Pod and Node lists are malformed" : "no selected pod has an IP";
                snprintf(v.checks[0].name, sizeof v.checks[0].name, "podsMapped");
                snprintf(v.checks[0].message, sizeof v.checks[0].message, "%s", why);
                v.nchecks++;
                v.passed = 0;
                snprintf(v.summary, sizeof v.summary, "podsMapped: %s", why);
            }
        }
        status = topo_verdict_to_json(&v);
        if (passed) *passed = v.passed;
        topo_verdict_free(&v);
    }
    topology_free(&t);
    placement_map_free(&m);
    return status;
}
