/* kube/config: where the API server is and how to authenticate to it.
 *
 * Resolution order (as kubectl/client-go): explicit --kubeconfig path, else $KUBECONFIG
 * (colon-separated list, merged: first file to set a map key wins), else ~/.kube/config,
 * else in-cluster (KUBERNETES_SERVICE_HOST/PORT and the service-account files).
 * In-cluster files are read from /var/run/secrets/kubernetes.io/serviceaccount, or from
 * $VB_KUBE_SERVICEACCOUNT_DIR when set (tests). *-data fields become in-memory files
 * (memfd, path /proc/self/fd/N, valid in this process only; nothing left on disk if the
 * process dies) released by kube_config_free; a client copies what it needs, so the config
 * may be freed once kube_client_new returned.
 * Kubeconfig YAML is parsed with libyaml. Errors are one human line in err, naming the
 * file (and line for YAML errors), context, CA file or plugin (with its stderr).
 */
#ifndef VB_KUBE_CONFIG_H
#define VB_KUBE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

typedef struct kube_config_opts {
    const char *kubeconfig_path; /* --kubeconfig; NULL to use $KUBECONFIG / ~/.kube/config / in-cluster */
    const char *context;         /* --context; NULL for current-context */
    bool in_cluster_only;        /* skip kubeconfig lookup entirely */
} kube_config_opts;

/* Exec credential plugin (client.authentication.k8s.io/v1beta1 or v1). */
typedef struct kube_exec_config {
    char *api_version;
    char *command;
    char **args;      /* NULL-terminated */
    char **env;       /* "NAME=value", NULL-terminated */
    char *install_hint;
} kube_exec_config;

typedef struct kube_config {
    char *server;                 /* https://host:port, no trailing slash */
    char *namespace_;             /* context namespace, in-cluster namespace file, or "default" */
    char *context_name;           /* NULL in-cluster */

    /* TLS */
    char *ca_file;                /* path to a PEM bundle (for *-data: an in-memory file, /proc/self/fd/N) */
    bool insecure_skip_tls_verify;
    char *client_cert_file;
    char *client_key_file;
    char *tls_server_name;

    /* Auth: at most one of token / token_file / exec is used, in that order. */
    char *token;
    char *token_file;             /* re-read when its mtime changes (in-cluster bound tokens rotate) */
    kube_exec_config *exec;
    char *username, *password;    /* basic auth, legacy; supported for completeness */

    bool in_cluster;
    struct kube_token_cache *token_cache; /* private: token-file mtime / exec token cache + lock */
    char **temp_files;            /* files this config created (from *-data); released by kube_config_free */
} kube_config;

/* Returns 0 and a new config in *out, or -1 with err filled. */
int kube_config_load(const kube_config_opts *opts, kube_config **out, char *err, size_t errlen);
void kube_config_free(kube_config *cfg);

/* The bearer token to send now: static token, token file (re-read on change) or exec plugin
 * (cached until its expirationTimestamp; force_refresh re-runs it, e.g. after a 401).
 * Returns a malloc'd string (caller frees), or NULL with err filled; NULL and err[0]=='\0'
 * when the config uses no bearer token. Thread-safe. */
char *kube_config_bearer_token(kube_config *cfg, bool force_refresh, char *err, size_t errlen);

#endif
