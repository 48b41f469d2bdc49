/* topology/check: the verdict on an inspected topology (PASS/FAIL, every check with a
 * message naming the offending node, and the primary/replica table with pods, nodes and
 * zones), plus its two renderings: the seed's verify-cluster.sh report and the JSON of
 * a ValkeyTopologyCheck's status.
 *
 * topo_evaluate is pure (no I/O, no clock): the operator's reconciler and
 * `valkey-bench verify` call it on the same inputs and get the same answer.
 *
 * Zones come from a placement map, address -> (pod, Kubernetes node, zone), filled from
 * `--zone ADDR=ZONE` flags or from Pods (status.podIP, spec.nodeName) and their Nodes'
 * zone label. A node's zone is its placement's zone, else Valkey's own availability-zone.
 */
#ifndef VB_TOPOLOGY_CHECK_H
#define VB_TOPOLOGY_CHECK_H

#include <jansson.h>
#include <stdio.h>

#include "topology/topology.h"

#define TOPO_NAME_MAX 254

typedef struct topo_placement {
    char addr[TOPO_HOST_MAX + 8]; /* "ip" (any port) or "ip:port" (that port only) */
    char pod[TOPO_NAME_MAX];      /* may be "" */
    char node[TOPO_NAME_MAX];     /* Kubernetes node; may be "" */
    char zone[TOPO_ZONE_MAX];     /* may be "" (unknown) */
    char phase[16];               /* Pod status.phase, "" when not from Kubernetes */
    int ready;                    /* Pod Ready condition: 1/0, -1 unknown */
} topo_placement;

typedef struct topo_placement_map {
    topo_placement *items;
    size_t n, cap;
} topo_placement_map;

/* Adds or replaces the entry for addr; NULL fields mean "". 0, or -1 on OOM / bad addr. */
int placement_map_add(topo_placement_map *m, const char *addr, const char *pod, const char *node, const char *zone);
/* "ip:port" first, then "ip"; NULL when unmapped. */
const topo_placement *placement_map_find(const topo_placement_map *m, const char *host, int port);
void placement_map_free(topo_placement_map *m);

/* Fills the map from Kubernetes objects: `pods` and `nodes` are a List object ({"items":
 * [...]}) or a plain array. Every pod IP (status.podIP and status.podIPs) maps to the pod,
 * its spec.nodeName and that Node's `zone_label` label. Pods without an IP are skipped
 * (they cannot be a Valkey node yet). Pure; returns the number of pods mapped, or -1 with
 * err on malformed input or OOM. */
int placement_map_from_kube(topo_placement_map *m, const json_t *pods, const json_t *nodes, const char *zone_label,
                            char *err, size_t errlen);

typedef struct topo_requirements {
    int cluster_state_ok;     /* cluster mode: cluster_state must be ok */
    int all_slots_covered;    /* cluster mode: 16384 slots assigned and ok, none pfail/fail */
    int min_replicas;         /* healthy replicas each primary must have */
    int replica_other_zone;   /* each primary has a healthy replica in another zone */
    int require_mapping;      /* every node address must be in the placement map */
    int zones_agree;          /* Valkey's availability-zone must equal the placement zone */
} topo_requirements;

/* All on, min_replicas 1; require_mapping on (verify turns it off without --zone). */
void topo_requirements_default(topo_requirements *r);

typedef struct topo_check {
    char name[32];            /* clusterStateOk, allSlotsCovered, minReplicasPerPrimary,
                                 replicaInDifferentZone, podsMapped, reachable, nodesHealthy,
                                 zonesAgree */
    int passed;
    char message[1024];
} topo_check;

typedef struct topo_replica_row {
    char address[TOPO_HOST_MAX + 8];
    char pod[TOPO_NAME_MAX], node[TOPO_NAME_MAX], zone[TOPO_ZONE_MAX], valkey_zone[TOPO_ZONE_MAX];
    int cross_zone;           /* 1 other zone, 0 same zone, -1 unknown */
    int healthy;              /* reachable, link up, no fail flags */
    int link_up;              /* -1 unknown */
    long long lag_s;          /* -1 unknown */
    long long lag_bytes;      /* primary offset - replica offset; -1 unknown */
    char problem[TOPO_ERR_MAX]; /* why not healthy, "" when healthy */
} topo_replica_row;

typedef struct topo_primary_row {
    char address[TOPO_HOST_MAX + 8];
    char pod[TOPO_NAME_MAX], node[TOPO_NAME_MAX], zone[TOPO_ZONE_MAX], valkey_zone[TOPO_ZONE_MAX];
    unsigned slots;
    unsigned first_slot;      /* for ordering; TOPO_SLOTS when none */
    topo_replica_row *replicas;
    size_t nreplicas;
} topo_primary_row;

typedef struct topo_verdict {
    int passed;
    topo_mode mode;
    topo_cluster_info info;
    char seed[TOPO_HOST_MAX + 8];
    topo_check *checks;
    size_t nchecks;
    topo_primary_row *primaries; /* ordered by first slot (cluster) */
    size_t nprimaries;
    size_t cross_zone_primaries; /* primaries with a healthy replica in another zone */
    char summary[1024];          /* the VERIFY line's text after "PASS — " / "FAIL — " */
} topo_verdict;

/* Never fails except on OOM (-1). A topology whose seed could not be inspected
 * (t->error set, no nodes) gives FAIL with a failed "reachable" check. */
int topo_evaluate(const topology *t, const topo_placement_map *m, const topo_requirements *req, topo_verdict *out);
void topo_verdict_free(topo_verdict *v);
/* The first failed check's message, or "" on PASS. */
const char *topo_verdict_first_failure(const topo_verdict *v);

/* The seed's verify-cluster.sh report: === Pods ===, === cluster info === (or
 * === replication info ===), === Topology + primary↔replica AZ pairing ===, the failed
 * checks, and the final "VERIFY: PASS — ..." / "VERIFY: FAIL — ..." line. The Pods
 * section lists every node and every mapped pod (m may be NULL). */
void topo_render_report(FILE *out, const topology *t, const topo_placement_map *m, const topo_verdict *v);

/* The ValkeyTopologyCheck status fields (camelCase): result, checks, firstFailure,
 * clusterInfo, primaries, crossZonePairs, topology. New reference. */
json_t *topo_verdict_to_json(const topo_verdict *v);

/* One whole check the way the ValkeyTopologyCheck reconciler runs it: inspect the
 * deployment (I/O, bounded by o->timeout_ms per node), map node addresses with the
 * selected Pods and all Nodes (List objects or arrays, as from the informer cache),
 * evaluate and return the status fields above (new reference; NULL only on OOM).
 * *passed (may be NULL) receives the verdict. An unreachable seed, refused AUTH or no
 * pods are a FAIL inside the returned status, never an error. */
json_t *topo_check_status(const topo_options *o, const json_t *pods, const json_t *nodes, const char *zone_label,
                          const topo_requirements *req, int *passed);

#endif
