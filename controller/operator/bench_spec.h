/* operator/bench_spec: a ValkeyBenchmark's spec read into C, defaults applied.
 *
 * The API server applies the CRD's defaults, but the controller must not depend on that
 * (objects stored before a schema change, or a server double): every default of API.md
 * is applied here too, and every value is range-checked, so the reconciler and the pod
 * builder work from one validated struct. JSON sub-objects the pod passes through
 * unchanged (tolerations, resources, avoidPodSelector, nodeSelector) stay jansson values. */
#ifndef VB_OPERATOR_BENCH_SPEC_H
#define VB_OPERATOR_BENCH_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define BENCH_MAX_TESTS 11

typedef struct bench_spec {
    /* metadata */
    char name[254];
    char namespace_[64];
    char uid[64];
    long long generation;
    char rerun[256];              /* annotation valkeybench.io/rerun, "" when absent */
    /* target */
    char mode[16];                /* cluster | replication | standalone */
    char host[256];
    int port;
    char read_from[16];           /* primary | replicas | any */
    /* auth (auth_secret[0] == '\0' when absent) */
    char auth_secret[254];
    char password_key[254];
    char username_key[254];
    /* workload */
    long long requests;
    int clients, pipeline, data_size, threads;
    long long keyspace_len;
    char tests[BENCH_MAX_TESTS][32]; /* lower-case, as in the spec */
    int ntests;
    int duration_s;               /* 0: use requests */
    int warmup_s;
    char workload_name[128];      /* defaults to the mode */
    int runners;
    /* placement */
    char capacity_type[16];
    char instance_types[16][64];
    int ninstance_types;
    char arch[16];
    char zones[16][64];
    int nzones;
    bool spread_across_zones;
    json_t *avoid_pod_selector;   /* owned; a LabelSelector */
    json_t *node_selector;        /* owned; object (maybe empty) */
    json_t *tolerations;          /* owned; array (maybe empty) */
    json_t *resources;            /* owned; ResourceRequirements */
    /* misc */
    char image[512];              /* "" means the operator's own image */
    bool keep_runner;
    char require_topology_check[254];
    int scheduling_timeout_s;
    int max_runner_retries;
} bench_spec;

/* Reads a ValkeyBenchmark object. Returns 0, or -1 with err naming the offending field
 * (e.g. "spec.workload.clients: 0 is below the minimum 1"). On -1, *spec is still safe
 * to pass to bench_spec_free. */
int bench_spec_parse(const json_t *bench, bench_spec *spec, char *err, size_t errlen);
void bench_spec_free(bench_spec *spec);

#endif
