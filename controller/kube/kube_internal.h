/* kube_internal: pieces of the kube client/config shared between its own .c files, its unit
 * tests and its fuzz targets. NOT a contract for other modules: use config.h and client.h. */
#ifndef VB_KUBE_INTERNAL_H
#define VB_KUBE_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kube/client.h"
#include "kube/config.h"

/* ---- small utilities (kube_util.c) ---- */

/* Reads a whole file (NUL-terminated, *len excludes the NUL). NULL with err filled on failure;
 * `what` names the file in the error ("certificate-authority", "token file"). */
char *kube_read_file(const char *path, const char *what, size_t *len, char *err, size_t errlen);
/* The same, refusing anything but a regular file (CA, certificates, keys, tokens). */
char *kube_read_regular_file(const char *path, const char *what, size_t *len, char *err, size_t errlen);
/* Standard base64 (whitespace ignored). Returns malloc'd bytes or NULL if invalid. */
unsigned char *kube_base64_decode(const char *in, size_t *outlen);
/* RFC 3339 timestamp ("2026-11-25T01:02:03Z", fractions and offsets accepted) to epoch. */
int kube_parse_rfc3339(const char *s, time_t *out);
/* Copies src into dst (size n), collapsing newlines/tabs to "; " / " " and trimming, so that
 * multi-line program output fits a one-line error. */
void kube_one_line(char *dst, size_t n, const char *src);
char *kube_strdup0(const char *s); /* strdup that accepts NULL */
/* Replaces control characters (names from a config may hold newlines) so errors stay one line. */
void kube_err_sanitize(char *s);

/* ---- kubeconfig files (kubeconfig.c) ---- */

/* Resolves the merged kubeconfig files (kubectl semantics: the first file that sets a value
 * or defines a named cluster/context/user wins) into cfg. Missing files are skipped when
 * `skip_missing` (the $KUBECONFIG list), an error otherwise. */
int kube_kubeconfig_load_files(const char *const *paths, size_t npaths, bool skip_missing,
                               const char *context, kube_config *cfg, char *err, size_t errlen);
/* The same for one in-memory document (fuzzing, tests); `path` names it in errors and is the
 * base for relative file references. */
int kube_kubeconfig_load_buffer(const char *buf, size_t len, const char *path, const char *context,
                                kube_config *cfg, char *err, size_t errlen);

/* ---- config internals (config.c) ---- */

/* Writes `data` to a private (0600) temp file recorded in cfg->temp_files; returns its path
 * (owned by cfg) or NULL with err filled. */
const char *kube_config_add_temp_file(kube_config *cfg, const void *data, size_t len, const char *what,
                                      char *err, size_t errlen);
/* A deep copy for a client; the token cache is shared (refcounted), temp files are not owned. */
kube_config *kube_config_dup(const kube_config *cfg);
/* After a 401 for `rejected` (the token that was sent): a fresh token, re-running the exec
 * plugin / re-reading the token file only if no other thread already did. NULL if the
 * configuration cannot produce a different token (static token); err filled on failure. */
char *kube_config_token_after_401(kube_config *cfg, const char *rejected, char *err, size_t errlen);
/* Exec plugin timeout (default 60 s); tests shorten it. */
void kube_config_set_exec_timeout_ms(kube_config *cfg, long ms);

/* ---- exec credential plugin (exec_plugin.c) ---- */

/* Runs the plugin and parses its ExecCredential. On success *token is malloc'd and *expiry is
 * the expirationTimestamp or 0 when none was given. */
int kube_exec_run(const kube_exec_config *exec, const char *cluster_server, long timeout_ms,
                  char **token, time_t *expiry, char *err, size_t errlen);
/* Parses a plugin's stdout (exposed for tests). */
int kube_exec_parse_credential(const char *json, size_t len, const char *want_api_version, char **token,
                               time_t *expiry, char *err, size_t errlen);

/* ---- Status (status.c) ---- */

/* Fills st from an HTTP answer: a JSON metav1.Status, or any other body (the plain-text
 * "404 page not found" of unrouted paths), reason derived from the code when absent.
 * retry_after_hdr is the Retry-After header value in seconds (<=0 when absent). */
void kube_status_from_response(kube_status *st, long code, const char *body, size_t len,
                               long retry_after_hdr);
void kube_status_set(kube_status *st, long code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The canonical reason for an HTTP code (as client-go's NewGenericServerResponse). */
const char *kube_reason_for_code(long code);

/* ---- URLs (url.c) ---- */

/* server + resource path (+ /namespaces/ns, /name, /subresource, escaped) + query from opts
 * (selectors escaped) + extra ("k=v&k=v", already escaped, may be NULL). malloc'd. */
char *kube_build_url(const char *server, const kube_resource *r, const char *ns, const char *name,
                     const char *subresource, const kube_list_opts *opts, bool watch, const char *cont,
                     const char *extra);
/* Percent-encodes everything outside RFC 3986 unreserved characters. malloc'd. */
char *kube_escape(const char *s);

/* ---- watch stream (watch_lines.c) ---- */

/* Splits a byte stream into lines of any length (events split across chunks are joined). */
typedef struct kube_line_splitter {
    char *buf;
    size_t len, cap;
    size_t max_line; /* a longer line is an error (default 256 MiB) */
} kube_line_splitter;

typedef int (*kube_line_fn)(const char *line, size_t len, void *ud); /* non-zero stops */

void kube_line_splitter_init(kube_line_splitter *s);
void kube_line_splitter_free(kube_line_splitter *s);
/* Feeds bytes; calls fn once per complete line (without "\n" / "\r\n"; empty lines skipped).
 * Returns 0, the callback's non-zero value, or -1 when a line exceeds max_line. */
int kube_line_splitter_feed(kube_line_splitter *s, const char *data, size_t len, kube_line_fn fn, void *ud);
/* At end of stream: delivers a final line that had no newline. */
int kube_line_splitter_finish(kube_line_splitter *s, kube_line_fn fn, void *ud);

/* Parses one watch line {"type":..., "object":{...}}. Returns 0 with *type (borrowed from *root)
 * and *object (borrowed), *root a new reference; -1 with err filled for malformed events. */
int kube_watch_parse_event(const char *line, size_t len, json_t **root, const char **type, json_t **object,
                           char *err, size_t errlen);

/* ---- the HTTP core shared by client.c, rest.c and watch.c ---- */

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>

struct kube_client {
    kube_config *cfg;            /* private copy; token cache shared with the caller's config */
    char *base;                  /* server URL used in requests (host replaced by tls-server-name) */
    struct curl_slist *connect_to; /* tls-server-name: connect to the real host instead */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    CURL **pool;
    size_t npool, cappool;
    atomic_long timeout_ms;      /* settable while other threads make calls */
    atomic_int max_retries;
    long backoff_base_ms, backoff_cap_ms;
    atomic_long connects;        /* new TCP connections opened (pool effectiveness, tests) */
    /* TLS material read once at creation, so temp files of the caller's config may go */
    char *ca_pem, *cert_pem, *key_pem;
    size_t ca_len, cert_len, key_len;
};

typedef struct kube_http_req {
    const char *method;       /* "GET", "POST", ... */
    const char *url;          /* absolute */
    const char *content_type; /* of body; NULL means application/json when there is a body */
    const char *accept;       /* NULL means application/json */
    const char *body;         /* NULL for none */
    size_t body_len;
} kube_http_req;

typedef struct kube_http_resp {
    long code;
    char *body; /* NUL-terminated */
    size_t len, cap;
    long retry_after_s;
    int requests_sent; /* times request headers went out (curl may resend on a dead reused connection) */
} kube_http_resp;

/* One logical request with auth, 401 refresh, and retries (429/5xx for idempotent methods,
 * connect failures for all). 0 on 2xx; -1 with st filled otherwise. resp is always filled
 * with the last answer (free with kube_http_resp_free). */
int kube_http_do(kube_client *c, const kube_http_req *req, kube_http_resp *resp, kube_status *st);
void kube_http_resp_free(kube_http_resp *r);
/* Borrow/return an easy handle configured for this client (URL, TLS, share, auth header). */
CURL *kube_http_handle(kube_client *c, const kube_http_req *req, const char *token, struct curl_slist **hdrs,
                       kube_http_resp *resp, char *errbuf);
void kube_http_release(kube_client *c, CURL *h);
/* Transport error into st ("TransportError", code 0). */
void kube_status_transport(kube_status *st, const char *method, const char *url, CURLcode cc, const char *errbuf);
/* Delay before retry number `attempt` (0-based): Retry-After when the server gave one,
 * else exponential from base (doubling, capped) with jitter in [d/2, d]. `rnd` in [0,1). */
long kube_backoff_ms(long base_ms, long cap_ms, int attempt, long retry_after_s, double rnd);

#endif
