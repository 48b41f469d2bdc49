/* Fuzz topology's parsers of server output: the same bytes as CLUSTER NODES text, as
 * CLUSTER INFO and INFO text, and as a RESP reply given to the CLUSTER SHARDS merge;
 * whatever they produce is then evaluated, rendered and turned into JSON. Nothing may
 * crash, leak or read out of bounds, and every parsed slot range must be valid. */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/check.h"
#include "topology/topology.h"

static void check_ranges(const topology *t) {
    for (size_t i = 0; i < t->nnodes; i++) {
        unsigned total = 0;
        for (size_t r = 0; r < t->nodes[i].nranges; r++) {
            const topo_range *g = &t->nodes[i].ranges[r];
            if (g->start > g->end || g->end >= TOPO_SLOTS) abort();
            total += g->end - g->start + 1;
        }
        if (total != t->nodes[i].slot_count || total > TOPO_SLOTS) abort();
        if (t->nodes[i].primary >= (int)t->nnodes) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    char err[256];
    topology t;
    topology_init(&t, TOPO_CLUSTER);
    snprintf(t.seed, sizeof t.seed, "fuzz:1");
    topo_parse_cluster_info(text, size, &t.info, err, sizeof err);
    topo_parse_cluster_nodes(text, size, &t, NULL, err, sizeof err);

    redisReader *reader = redisReaderCreate();
    if (reader) {
        void *reply = NULL;
        if (redisReaderFeed(reader, text, size) == REDIS_OK && redisReaderGetReply(reader, &reply) == REDIS_OK && reply) {
            topo_merge_cluster_shards(reply, &t, err, sizeof err);
            freeReplyObject(reply);
        }
        redisReaderFree(reader);
    }
    check_ranges(&t);

    static topo_replication_info ri;
    topo_parse_replication_info(text, size, &ri, err, sizeof err);
    if (ri.nreplicas > TOPO_MAX_INFO_REPLICAS) abort();

    /* Some nodes reachable, some not, zones from the input: exercise every verdict path. */
    topo_placement_map m = {0};
    for (size_t i = 0; i < t.nnodes; i++) {
        t.nodes[i].reachable = (int)(i % 3 != 2);
        if (i % 2) placement_map_add(&m, t.nodes[i].host, "pod", "node", ri.zone[0] ? ri.zone : "z");
    }
    topo_requirements req;
    topo_requirements_default(&req);
    for (int mode = 0; mode < 2; mode++) {
        t.mode = mode ? TOPO_REPLICATION : TOPO_CLUSTER;
        topo_verdict v;
        if (topo_evaluate(&t, &m, &req, &v) == 0) {
            FILE *devnull = fopen("/dev/null", "w");
            if (devnull) {
                topo_render_report(devnull, &t, &m, &v);
                fclose(devnull);
            }
            json_t *j = topo_verdict_to_json(&v);
            if (!j) abort();
            char *s = json_dumps(j, 0);
            if (!s) abort();
            free(s);
            json_decref(j);
            topo_verdict_free(&v);
        }
    }
    placement_map_free(&m);
    topology_free(&t);
    return 0;
}
