/* operator/cluster_probe: after a cluster-mode run, the seed's two post-run checks:
 * DBSIZE of every primary, and `valkey-cli --cluster check`'s verdict (every one of the
 * 16384 slots assigned, and every node's CLUSTER NODES agreeing on who owns which).
 * The reading is topology_inspect's (controller/topology); this module only judges it. */
#ifndef VB_OPERATOR_CLUSTER_PROBE_H
#define VB_OPERATOR_CLUSTER_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "topology/topology.h"

typedef struct probe_result {
    topology topo;            /* the seed's view; primaries carry keys (DBSIZE after the run, -1 unknown) */
    unsigned slots_covered;   /* distinct slots with an owner, in the seed's view */
    bool all_slots_covered;
    bool nodes_agree;         /* every node answered and gives every slot the seed's owner */
    char message[640];        /* "all 16384 slots covered, nodes agree" or what is wrong */
} probe_result;

/* Connects to the seed (user may be NULL/"", password NULL for none), reads the cluster,
 * asks every node its view and every primary its DBSIZE. Returns 0 (the verdict is in
 * out, even when it is bad), or -1 with err when the seed itself cannot be read. Either
 * way out must be released with cluster_probe_free. */
int cluster_probe(const char *host, int port, const char *user, const char *password, probe_result *out,
                  char *err, size_t errlen);

/* The verdict fields of out from an inspected cluster topology out->topo (pure: the unit
 * tests feed it parsed CLUSTER NODES text). The first node named in a message is the
 * first in address order. */
void cluster_probe_judge(probe_result *out);

void cluster_probe_free(probe_result *out);

#endif
