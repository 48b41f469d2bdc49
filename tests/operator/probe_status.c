/* Test driver for it_cluster_probe.sh: prints the status fields a cluster-mode run writes
 * (bench_cluster_status: keyCounts and clusterCheck) for HOST PORT as one JSON object.
 * Credentials come from VALKEY_PASSWORD / VALKEY_USER, as a runner pod gets them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/benchmark_collect.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: probe_status HOST PORT\n");
        return 2;
    }
    static bench_spec spec;
    snprintf(spec.host, sizeof spec.host, "%s", argv[1]);
    spec.port = atoi(argv[2]);
    bench_credentials creds = {getenv("VALKEY_USER"), getenv("VALKEY_PASSWORD")};
    if (creds.password && !*creds.password) creds.password = NULL;
    json_t *kc = NULL, *cc = NULL;
    bench_cluster_status(&spec, &creds, NULL, NULL, &kc, &cc);
    json_t *out = json_pack("{s:o, s:o}", "keyCounts", kc, "clusterCheck", cc);
    if (!out) return 1;
    json_dumpf(out, stdout, JSON_SORT_KEYS);
    putchar('\n');
    json_decref(out);
    return 0;
}
