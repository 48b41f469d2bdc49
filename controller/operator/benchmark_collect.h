/* operator/benchmark_collect: the I/O pieces of a ValkeyBenchmark run that read the
 * world: the auth Secret, the runners' results (termination messages, pod logs) and,
 * in cluster mode, the post-run key counts and slot check. */
#ifndef VB_OPERATOR_BENCHMARK_COLLECT_H
#define VB_OPERATOR_BENCHMARK_COLLECT_H

#include <jansson.h>
#include <stddef.h>

#include "kube/client.h"
#include "operator/bench_spec.h"
#include "operator/benchmark_run.h"
#include "operator/results.h"

typedef struct bench_credentials {
    char *username;   /* NULL when spec.auth.usernameKey is unset */
    char *password;   /* NULL when spec.auth is unset */
} bench_credentials;

/* Reads spec.auth's Secret. Returns 0 (creds filled; both NULL without auth), 1 when the
 * Secret or a key is missing (reason SecretNotFound / SecretKeyNotFound and a message
 * naming it: the caller waits), -1 on an API error (message filled). */
int bench_read_credentials(kube_client *c, const bench_spec *spec, bench_credentials *creds, char *reason,
                           size_t rlen, char *msg, size_t mlen);
/* The same for any Secret: ns/secret, the password key and an optional username key
 * ("" or NULL for none). */
int secret_credentials(kube_client *c, const char *ns, const char *secret, const char *password_key,
                       const char *username_key, bench_credentials *creds, char *reason, size_t rlen, char *msg,
                       size_t mlen);
/* Wipes and frees. */
void bench_credentials_free(bench_credentials *creds);

/* Decodes every runner's results (pods: the run's pods; obs: the observation that said
 * RUN_COLLECT) and merges them into *out. -1 with err naming the runner on failure. */
int bench_collect_results(kube_client *c, const char *ns, const run_obs *obs, const json_t *pods,
                          merged_results *out, char *err, size_t errlen);

/* Cluster mode: status.keyCounts and status.clusterCheck from a probe of the target.
 * node_name maps "host" (pod IP) to a pod name (may return NULL; may be NULL). Never fails:
 * an unreachable target gives clusterCheck {false, false, message}. */
void bench_cluster_status(const bench_spec *spec, const bench_credentials *creds,
                          const char *(*node_name)(const char *host, void *ud), void *ud, json_t **key_counts,
                          json_t **cluster_check);

#endif
