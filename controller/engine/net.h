/* engine/net: blocking set-up connections (connect with timeout, AUTH, checks) and the
 * cluster/replication discovery that precedes a run. The measured traffic does not go
 * through here: it uses the fds handed over by net_connect_fd on the event loops. */
#ifndef VB_ENGINE_NET_H
#define VB_ENGINE_NET_H

#include <stdint.h>

#include "engine/engine.h"
#include "engine/slot.h"

#define NET_MAX_NODES 256
#define SLOT_UNKNOWN 0xFFFF

/* Connected, authenticated and PINGed hiredis context (redisContext *), or NULL with
 * a line in err naming the endpoint and the problem. */
void *net_connect(const engine_config *cfg, const engine_endpoint *ep, char *err, size_t errlen);
void net_close(void *ctx);
/* As net_connect, but returns the bare non-blocking socket (TCP_NODELAY), or -1. */
int net_connect_fd(const engine_config *cfg, const engine_endpoint *ep, char *err, size_t errlen);

typedef struct slot_map {
    engine_endpoint nodes[NET_MAX_NODES]; /* primaries (and nodes learnt from redirects) */
    int nnodes;
    uint16_t owner[CLUSTER_SLOTS];        /* node index, SLOT_UNKNOWN when unassigned */
} slot_map;

/* Index of the node at host:port, adding it when new; -1 when the table is full. */
int slot_map_node(slot_map *m, const char *host, int port);
/* Reads the slot map from the cluster (CLUSTER SHARDS, or CLUSTER SLOTS on servers
 * without it) through the node at ctx (whose address is ep); checks that the cluster
 * state is ok and every slot is served. */
int net_cluster_discover(void *ctx, const engine_endpoint *ep, slot_map *m, char *err, size_t errlen);

/* Replication mode: the primary (the seed, or its primary when the seed is a replica)
 * and its replicas (from --replica, else the primary's INFO replication). */
int net_replication_discover(const engine_config *cfg, engine_endpoint *primary, engine_endpoint *replicas,
                             int *nreplicas, char *err, size_t errlen);

#endif
