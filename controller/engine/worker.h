/* engine/worker: one thread's share of a test (internal to the engine module).
 *
 * engine.c owns the threads and the barriers; client.c owns everything a worker does
 * in between: connect its clients, drive them on its event loop, tally the results. */
#ifndef VB_ENGINE_WORKER_H
#define VB_ENGINE_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "engine/engine.h"
#include "engine/ev.h"
#include "engine/histogram.h"
#include "engine/net.h"
#include "engine/workload.h"

/* Cluster mode: every key number below the keyspace, grouped by the node that served
 * its slot when the test started. numbers[r] for a uniform r is a uniform key;
 * numbers[start[k]] .. numbers[start[k+1]-1] are node k's. */
typedef struct key_pools {
    uint32_t *numbers;
    uint64_t start[NET_MAX_NODES + 1];
    int nnodes;
} key_pools;

/* What every worker of one test shares (read-only during the test except the atomics). */
typedef struct run_shared {
    const engine_config *cfg;
    const workload_template *tpl;
    int is_write;
    _Atomic uint64_t claimed;   /* requests handed out so far (-n mode) */
    uint64_t target;            /* -n; 0 in duration mode */
    uint64_t start_ns;          /* load starts */
    uint64_t measure_ns;        /* measurement starts (after warm-up) */
    uint64_t stop_ns;           /* duration mode: no new batch after this (0: -n mode) */
    atomic_int abort;           /* a worker failed: everyone stops */
    /* topology */
    const slot_map *map;        /* cluster mode: initial slot map */
    const struct key_pools *pools; /* cluster mode, small keyspaces: key numbers by node */
    int nworkers;
    /* Cluster mode: which node a batch draws its keys from. node_weight[k] is node k's
     * share of the keyspace (its key_pools size, else its slot count); node_load[k]
     * counts the requests drawn (or reserved to be drawn) from node k. Workers move
     * their client groups to the node lowest in load per weight, which keeps every
     * node's share of requests at its share of keys: keys stay uniform. */
    uint64_t node_weight[NET_MAX_NODES];
    _Atomic uint64_t node_load[NET_MAX_NODES];
    engine_endpoint primary;    /* standalone/replication: the (primary) server */
    const engine_endpoint *replicas;
    int nreplicas;
} run_shared;

struct client;

/* Cluster mode: clients of one worker that are on the same node at the same time, so
 * that a server answers a burst of them into one thread's event loop (one wake-up
 * for many replies, not one per reply: the largest client CPU cost per request). */
typedef struct client_group {
    int node;        /* where the group's batches go, -1 before the first */
    int64_t budget;  /* requests left before it moves (reserved in node_load[node]) */
    int64_t stay;    /* requests per stay */
} client_group;

typedef struct worker {
    int id;
    run_shared *sh;
    ev_loop *loop;
    struct client *clients;
    int nclients;
    uint64_t first_client;  /* global index of clients[0] (spreads reads over replicas) */
    int active;             /* clients still issuing batches */
    slot_map *map;          /* cluster mode: this worker's copy, updated by MOVED */
    int map_changed;        /* a MOVED changed map: key_pools' grouping is no longer exact */
    client_group *groups;   /* cluster mode */
    int ngroups;
    uint64_t refreshed_ns;  /* last full slot map refresh */
    char *rbuf;             /* read buffer shared by the worker's connections */
    int key_pairs;          /* digit pairs that a number below the keyspace needs */
    /* results */
    histogram hist;
    uint64_t ok, errors, redirects;
    uint64_t last_done_ns;
    int failed;
    char err[512];
} worker;

/* Connects the worker's clients for the test in w->sh. 0, or -1 with w->err set. */
int worker_connect(worker *w, uint64_t seed);
/* Drives the clients until the test is done, the worker fails or sh->abort is set. */
void worker_run(worker *w);
/* Closes connections and frees everything worker_connect made (results stay). */
void worker_close(worker *w);


#endif
