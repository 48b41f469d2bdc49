/* operator/cluster_probe: see cluster_probe.h. */
#include "operator/cluster_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The old probe's connect/command timeout: a post-run check may wait a little longer
 * than the topology check's default for a node still busy from the benchmark. */
#define PROBE_TIMEOUT_MS 3000

/* The first node that could not be asked or sees the slots differently, as a phrase. */
static void first_problem(const topology *t, char *problem, size_t plen) {
    problem[0] = '\0';
    for (size_t i = 0; i < t->nnodes; i++) {
        const topo_node *n = &t->nodes[i];
        if (!n->reachable) {
            snprintf(problem, plen, "cannot ask node %s:%d (%s)", n->host, n->port,
                     n->error[0] ? n->error : "not inspected");
            return;
        }
        if (n->view_agrees != 1) {
            snprintf(problem, plen, "node %s:%d disagrees about slots", n->host, n->port);
            return;
        }
    }
}

void cluster_probe_judge(probe_result *out) {
    const topology *t = &out->topo;
    char problem[TOPO_HOST_MAX + TOPO_ERR_MAX + 40]; /* room for the longest, untruncated */
    first_problem(t, problem, sizeof problem);
    const topo_node **owner = malloc(TOPO_SLOTS * sizeof *owner);
    out->slots_covered = 0;
    if (owner) {
        topology_slot_owners(t, owner);
        for (unsigned s = 0; s < TOPO_SLOTS; s++) out->slots_covered += owner[s] != NULL;
        free(owner);
    } else {
        snprintf(problem, sizeof problem, "out of memory");
    }
    out->all_slots_covered = out->slots_covered == TOPO_SLOTS;
    out->nodes_agree = !problem[0];
    if (out->all_slots_covered && out->nodes_agree)
        snprintf(out->message, sizeof out->message, "all %d slots covered, nodes agree", TOPO_SLOTS);
    else if (!out->all_slots_covered)
        snprintf(out->message, sizeof out->message, "%u of %d slots covered%s%s", out->slots_covered, TOPO_SLOTS,
                 problem[0] ? "; " : "", problem);
    else
        snprintf(out->message, sizeof out->message, "all %d slots covered, but %s", TOPO_SLOTS, problem);
}

int cluster_probe(const char *host, int port, const char *user, const char *password, probe_result *out,
                  char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    topo_options o = {.host = host,
                      .port = port,
                      .mode = TOPO_CLUSTER,
                      .user = user && *user ? user : NULL,
                      .password = password,
                      .timeout_ms = PROBE_TIMEOUT_MS,
                      .count_keys = 1};
    if (topology_inspect(&o, &out->topo, err, errlen) != 0) return -1;
    cluster_probe_judge(out);
    return 0;
}

void cluster_probe_free(probe_result *out) {
    topology_free(&out->topo);
}
