/* operator/cluster_probe: after a cluster-mode run, the seed's two post-run checks:
 * DBSIZE of every primary, and `valkey-cli --cluster check`'s verdict (every one of the
 * 16384 slots assigned, and every node's CLUSTER NODES agreeing on who owns which). */
#ifndef VB_OPERATOR_CLUSTER_PROBE_H
#define VB_OPERATOR_CLUSTER_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#define PROBE_MAX_NODES 128

typedef struct probe_node {
    char id[48];
    char host[256];
    int port;
    bool primary;
    bool failed;              /* flagged fail / pfail / noaddr */
    unsigned nslots;
    long long keys;           /* DBSIZE after the run (primaries), -1 unknown */
} probe_node;

typedef struct probe_result {
    probe_node nodes[PROBE_MAX_NODES];
    int nnodes;
    unsigned slots_covered;   /* distinct slots with an owner, in the seed's view */
    bool all_slots_covered;
    bool nodes_agree;
    char message[512];        /* "all 16384 slots covered, nodes agree" or what is wrong */
} probe_result;

/* Parses CLUSTER NODES text into out->nodes and the slot owner table owners[16384]
 * (index into out->nodes, -1 for none). Malformed lines are skipped. Returns the number
 * of nodes. */
int probe_parse_nodes(const char *text, probe_result *out, short *owners);

/* Connects to the seed (user may be NULL/"", password NULL for none), reads the cluster,
 * asks every node its view and every primary its DBSIZE. Returns 0 (the verdict is in
 * out, even when it is bad), or -1 with err when the seed itself cannot be read. */
int cluster_probe(const char *host, int port, const char *user, const char *password, probe_result *out,
                  char *err, size_t errlen);

#endif
