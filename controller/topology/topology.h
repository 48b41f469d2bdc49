/* topology/topology: what a Valkey deployment looks like, read from the nodes themselves.
 *
 * Cluster mode: from any seed node, CLUSTER INFO (the figures), CLUSTER NODES (roles,
 * primaries, slot ranges, flags, bus link state) enriched by CLUSTER SHARDS when the
 * server has it (health, availability-zone, replication offset), then each node's own
 * INFO (replication link, Valkey's availability_zone). Replication mode: the primary's
 * INFO replication (its replicas, their state, offset and lag) and each replica's own
 * INFO. A node that cannot be reached or refuses AUTH is kept in the result with
 * `reachable` 0 and an error line, so the evaluation (check.h) can name it.
 *
 * The text and reply parsers are exposed for unit tests and the fuzz target; they never
 * trust their input (bounded copies, validated numbers, every malformed line skipped or
 * reported). Nothing here is thread-safe; one topology per caller.
 */
#ifndef VB_TOPOLOGY_TOPOLOGY_H
#define VB_TOPOLOGY_TOPOLOGY_H

#include <stddef.h>

#define TOPO_SLOTS 16384
#define TOPO_HOST_MAX 256
#define TOPO_ID_MAX 48
#define TOPO_ZONE_MAX 64
#define TOPO_ERR_MAX 256
#define TOPO_MAX_INFO_REPLICAS 64

typedef enum { TOPO_CLUSTER = 0, TOPO_REPLICATION = 1 } topo_mode;

/* CLUSTER NODES flags that matter to a verdict. */
enum {
    TOPO_FLAG_MYSELF = 1 << 0,
    TOPO_FLAG_PFAIL = 1 << 1,
    TOPO_FLAG_FAIL = 1 << 2,
    TOPO_FLAG_HANDSHAKE = 1 << 3,
    TOPO_FLAG_NOADDR = 1 << 4,
    TOPO_FLAG_NOFAILOVER = 1 << 5,
};

typedef struct topo_range {
    unsigned start, end; /* inclusive */
} topo_range;

typedef struct topo_node {
    char id[TOPO_ID_MAX];          /* cluster node id; "" in replication mode */
    char host[TOPO_HOST_MAX];      /* the address it announces (ip or hostname) */
    int port;
    int is_primary;
    char primary_id[TOPO_ID_MAX];  /* cluster mode: id of its primary ("" for primaries) */
    int primary;                   /* index of its primary in topology.nodes, -1 if none/unknown */
    unsigned flags;                /* TOPO_FLAG_* */
    int bus_connected;             /* cluster bus link-state "connected" (cluster mode), else -1 */
    int link_up;                   /* replica: its own master_link_status is up; -1 unknown */
    char health[16];               /* CLUSTER SHARDS health (online, failed, loading) or "" */
    char zone[TOPO_ZONE_MAX];      /* Valkey's own availability-zone, "" when unset */
    topo_range *ranges;            /* slot ranges it serves (primaries, cluster mode) */
    size_t nranges;
    unsigned slot_count;
    long long offset;              /* replication offset, -1 unknown */
    long long lag_s;               /* replica: seconds since last ack, as its primary reports; -1 */
    char repl_state[24];           /* replica: state as its primary reports (online, ...), or "" */
    long long keys;                /* primary: DBSIZE when topo_options.count_keys; -1 unknown */
    int view_agrees;               /* cluster: its own CLUSTER NODES gives every slot the owner
                                      the seed's does; -1 unknown */
    char view_diff[160];           /* how it disagrees, "" otherwise */
    int reachable;                 /* 1 when we connected, authenticated and read its INFO */
    char error[TOPO_ERR_MAX];      /* why not reachable, or another inspection problem */
} topo_node;

typedef struct topo_cluster_info {
    int valid;                     /* 1 once CLUSTER INFO was parsed */
    char state[16];                /* cluster_state: ok / fail */
    long long slots_assigned, slots_ok, slots_pfail, slots_fail, known_nodes, size;
} topo_cluster_info;

typedef struct topology {
    topo_mode mode;
    char seed[TOPO_HOST_MAX + 8];  /* host:port the inspection started from */
    char source[48];               /* which commands described the nodes */
    topo_cluster_info info;        /* cluster mode */
    topo_node *nodes;
    size_t nnodes, cap;
    char error[TOPO_ERR_MAX];      /* set when the seed itself could not be inspected */
} topology;

typedef struct topo_options {
    const char *host;
    int port;
    topo_mode mode;
    const char *user;              /* ACL user, NULL for password-only AUTH */
    const char *password;          /* NULL: no AUTH */
    int timeout_ms;                /* connect and per-command timeout; <= 0 means 2000 */
    int count_keys;                /* also ask every reachable primary its DBSIZE (topo_node.keys) */
} topo_options;

void topology_init(topology *t, topo_mode mode);
void topology_free(topology *t);
/* Appends a zeroed node (primary -1, link_up/bus_connected/offset/lag -1); NULL on OOM. */
topo_node *topology_add_node(topology *t);
/* Index of the node with this id / address, or -1. */
int topology_find_id(const topology *t, const char *id);
int topology_find_addr(const topology *t, const char *host, int port);
/* Resolves primary_id -> primary index for every node. */
void topology_link(topology *t);
/* Orders nodes by address (CLUSTER NODES lists them in hash order) and relinks them,
 * so reports and messages come out the same on every run. */
void topology_sort(topology *t);
/* The slot owner table of t's view (cluster mode): owner[s] is the primary serving slot
 * s, or NULL. owner has TOPO_SLOTS entries; it points into t->nodes. */
void topology_slot_owners(const topology *t, const topo_node **owner);

/* Reads the deployment. Returns 0 when the seed answered (individual nodes may still be
 * unreachable: see topo_node.reachable/error), -1 with err (also copied to t->error)
 * when the seed itself cannot be inspected: unreachable, auth refused, not a cluster,
 * timeout. Never logs or reports the password. */
int topology_inspect(const topo_options *o, topology *t, char *err, size_t errlen);

/* ---- parsers (pure) ---- */

/* CLUSTER INFO text -> figures. -1 when cluster_state is missing. */
int topo_parse_cluster_info(const char *text, size_t len, topo_cluster_info *out, char *err, size_t errlen);

/* CLUSTER NODES text -> t->nodes (appended, then linked). Malformed lines are skipped
 * and counted in *skipped (may be NULL). -1 only on OOM or when no line is usable. */
int topo_parse_cluster_nodes(const char *text, size_t len, topology *t, size_t *skipped, char *err, size_t errlen);

/* One replica line of a primary's INFO replication (slaveN:ip=..,port=..,...). */
typedef struct topo_info_replica {
    char host[TOPO_HOST_MAX];
    int port;
    char state[24];
    long long offset, lag_s;
} topo_info_replica;

/* INFO (replication and/or server sections) -> the fields the verdict needs. */
typedef struct topo_replication_info {
    int is_primary;                /* role:master */
    int has_role;
    char master_host[TOPO_HOST_MAX];
    int master_port;
    int master_link_up;            /* replica: master_link_status:up; -1 when absent */
    long long offset;              /* master_repl_offset (primary) / slave_repl_offset (replica) */
    long long connected_replicas;
    topo_info_replica replicas[TOPO_MAX_INFO_REPLICAS];
    size_t nreplicas;              /* parsed slaveN lines (at most TOPO_MAX_INFO_REPLICAS) */
    char zone[TOPO_ZONE_MAX];      /* availability_zone (Valkey 8+), "" when absent */
} topo_replication_info;

int topo_parse_replication_info(const char *text, size_t len, topo_replication_info *out, char *err, size_t errlen);

/* CLUSTER SHARDS reply (a hiredis redisReply *, RESP2 shape) -> merged into t: nodes are
 * matched by id (added when new) and gain health, availability-zone, offset; primaries
 * with no CLUSTER NODES slot data take the shard's slot ranges. -1 if the shape is wrong. */
int topo_merge_cluster_shards(const void *reply, topology *t, char *err, size_t errlen);

#endif
