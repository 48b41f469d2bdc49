/* kube/client: the HTTP core (connection pool, TLS, auth, retries). REST verbs are in rest.c,
 * WATCH in watch.c. */
#include "kube/client.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"
#include "kube/kube_internal.h"

#define USER_AGENT "valkey-bench/0.1 (linux) kube-client"
#define MAX_BODY ((size_t)1 << 30)
#define MAX_RETRY_AFTER_S 60

const kube_resource KUBE_PODS = {"", "v1", "pods", true};
const kube_resource KUBE_NODES = {"", "v1", "nodes", false};
const kube_resource KUBE_SECRETS = {"", "v1", "secrets", true};
const kube_resource KUBE_CONFIGMAPS = {"", "v1", "configmaps", true};
const kube_resource KUBE_SERVICES = {"", "v1", "services", true};
const kube_resource KUBE_NAMESPACES = {"", "v1", "namespaces", false};
const kube_resource KUBE_EVENTS = {"", "v1", "events", true};
const kube_resource KUBE_LEASES = {"coordination.k8s.io", "v1", "leases", true};
const kube_resource KUBE_CRDS = {"apiextensions.k8s.io", "v1", "customresourcedefinitions", false};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud) {
    (void)h;
    (void)access;
    pthread_mutex_lock(&((kube_client *)ud)->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud) {
    (void)h;
    pthread_mutex_unlock(&((kube_client *)ud)->share_locks[data]);
}

static char *read_pem(const char *path, const char *what, size_t *len, char *err, size_t errlen) {
    return path ? kube_read_regular_file(path, what, len, err, errlen) : NULL;
}

/* tls-server-name: requests go to https://<name>:<port> (so SNI and certificate checks use
 * the name) while curl connects to the server's real host. */
static int setup_base(kube_client *c, char *err, size_t errlen) {
    const char *server = c->cfg->server;
    if (!c->cfg->tls_server_name) {
        c->base = strdup(server);
        return 0;
    }
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *url = NULL;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, server, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0) ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ||
        curl_url_set(u, CURLUPART_HOST, c->cfg->tls_server_name, 0) || curl_url_get(u, CURLUPART_URL, &url, 0)) {
        snprintf(err, errlen, "server %s: cannot apply tls-server-name %s", server, c->cfg->tls_server_name);
    } else {
        char *entry;
        if (asprintf(&entry, "%s:%s:%s:%s", c->cfg->tls_server_name, port, host, port) >= 0) {
            c->connect_to = curl_slist_append(NULL, entry);
            free(entry);
        }
        c->base = strdup(url);
        size_t l = strlen(c->base);
        while (l > 0 && c->base[l - 1] == '/') c->base[--l] = '\0';
        rc = 0;
    }
    curl_free(host);
    curl_free(port);
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

kube_client *kube_client_new(const kube_config *cfg, char *err, size_t errlen) {
    pthread_once(&curl_once, curl_init_once);
    if (!cfg || !cfg->server) {
        snprintf(err, errlen, "kube client: no server in the configuration");
        return NULL;
    }
    kube_client *c = calloc(1, sizeof *c);
    c->cfg = kube_config_dup(cfg);
    c->timeout_ms = 30000;
    c->max_retries = 5;
    c->backoff_base_ms = 200;
    c->backoff_cap_ms = 10000;
    pthread_mutex_init(&c->pool_lock, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_init(&c->share_locks[i], NULL);
    c->share = curl_share_init();
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    if ((cfg->ca_file && !(c->ca_pem = read_pem(cfg->ca_file, "certificate-authority", &c->ca_len, err, errlen))) ||
        (cfg->client_cert_file &&
         !(c->cert_pem = read_pem(cfg->client_cert_file, "client-certificate", &c->cert_len, err, errlen))) ||
        (cfg->client_key_file &&
         !(c->key_pem = read_pem(cfg->client_key_file, "client-key", &c->key_len, err, errlen))) ||
        setup_base(c, err, errlen)) {
        kube_client_free(c);
        return NULL;
    }
    return c;
}

void kube_client_free(kube_client *c) {
    if (!c) return;
    for (size_t i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
    free(c->pool);
    curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++) pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->pool_lock);
    curl_slist_free_all(c->connect_to);
    if (c->key_pem) explicit_bzero(c->key_pem, c->key_len);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->base);
    kube_config_free(c->cfg);
    free(c);
}

void kube_client_set_timeout_ms(kube_client *c, long ms) { c->timeout_ms = ms; }
void kube_client_set_max_retries(kube_client *c, int n) { c->max_retries = n < 0 ? 0 : n; }

/* ---- easy handles ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    kube_http_resp *r = ud;
    size_t len = size * n;
    if (r->len + len > MAX_BODY) return 0;
    if (r->len + len + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->len + len + 1) cap *= 2;
        r->body = realloc(r->body, cap);
        r->cap = cap;
    }
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    kube_http_resp *r = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(p, "HTTP/", 5)) r->retry_after_s = 0; /* a new response (after 100) */
    if (len > 12 && !strncasecmp(p, "Retry-After:", 12)) {
        char tmp[32];
        size_t m = len - 12 < sizeof tmp - 1 ? len - 12 : sizeof tmp - 1;
        memcpy(tmp, p + 12, m);
        tmp[m] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        if (end != tmp && v > 0) r->retry_after_s = v;
    }
    return len;
}

CURL *kube_http_handle(kube_client *c, const kube_http_req *req, const char *token, struct curl_slist **hdrs,
                       kube_http_resp *resp, char *errbuf) {
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->npool > 0) h = c->pool[--c->npool];
    pthread_mutex_unlock(&c->pool_lock);
    if (!h) h = curl_easy_init();
    if (!h) return NULL;
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = '\0';
    if (c->connect_to) curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (c->ca_pem) {
        struct curl_blob b = {c->ca_pem, c->ca_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    }
    if (c->cert_pem) {
        struct curl_blob b = {c->cert_pem, c->cert_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (c->key_pem) {
        struct curl_blob b = {c->key_pem, c->key_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    long verify = c->cfg->insecure_skip_tls_verify ? 0L : 1L;
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, verify);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (!token && c->cfg->username) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->cfg->username);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg->password ? c->cfg->password : "");
    }
    struct curl_slist *l = NULL;
    char line[256];
    snprintf(line, sizeof line, "Accept: %s", req->accept ? req->accept : "application/json");
    l = curl_slist_append(l, line);
    l = curl_slist_append(l, "Expect:"); /* no 100-continue round trip for bodies */
    if (req->body) {
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type ? req->content_type : "application/json");
        l = curl_slist_append(l, line);
    }
    if (token && *token) {
        char *auth;
        if (asprintf(&auth, "Authorization: Bearer %s", token) >= 0) {
            l = curl_slist_append(l, auth);
            explicit_bzero(auth, strlen(auth));
            free(auth);
        }
    }
    *hdrs = l;
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    if (!strcmp(req->method, "GET")) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(req->method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body || !strcmp(req->method, "POST")) {
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    return h;
}

void kube_http_release(kube_client *c, CURL *h) {
    if (!h) return;
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_lock);
    if (c->npool == c->cappool) {
        c->cappool = c->cappool ? c->cappool * 2 : 8;
        c->pool = realloc(c->pool, c->cappool * sizeof *c->pool);
    }
    c->pool[c->npool++] = h;
    pthread_mutex_unlock(&c->pool_lock);
}

void kube_http_resp_free(kube_http_resp *r) {
    free(r->body);
    memset(r, 0, sizeof *r);
}

void kube_status_transport(kube_status *st, const char *method, const char *url, CURLcode cc, const char *errbuf) {
    kube_status_set(st, 0, "TransportError", "%s %s: %s", method, url,
                    errbuf && *errbuf ? errbuf : curl_easy_strerror(cc));
}

/* ---- retries ---- */

long kube_backoff_ms(long base_ms, long cap_ms, int attempt, long retry_after_s, double rnd) {
    if (retry_after_s > 0) return (retry_after_s > MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : retry_after_s) * 1000;
    long d = base_ms;
    for (int i = 0; i < attempt && d < cap_ms; i++) d *= 2;
    if (d > cap_ms) d = cap_ms;
    return d / 2 + (long)(rnd * (double)(d - d / 2));
}

static double jitter(void) {
    static _Atomic unsigned long state = 88172645463325252UL;
    unsigned long x = atomic_load(&state);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    atomic_store(&state, x);
    return (double)(x >> 11) / 9007199254740992.0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static bool idempotent(const char *method) { return strcmp(method, "POST") && strcmp(method, "PATCH"); }

/* Failures where the request certainly never reached the server. */
static bool before_send(CURLcode cc) {
    return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* Failures a retry of an idempotent request may fix (a timeout or a TLS verification
 * failure will not). */
static bool transient_transport(CURLcode cc) {
    return before_send(cc) || cc == CURLE_GOT_NOTHING || cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
           cc == CURLE_PARTIAL_FILE || cc == CURLE_HTTP2 || cc == CURLE_HTTP2_STREAM;
}

static bool retryable_code(long code) { return code == 429 || code == 500 || code == 502 || code == 503 || code == 504; }

/* Counts requests put on the wire. libcurl silently resends a request whose reused connection
 * turns out dead, so "failed to connect" alone does not prove a POST never reached the server. */
static int on_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud) {
    (void)h;
    (void)data;
    (void)size;
    if (type == CURLINFO_HEADER_OUT) ((kube_http_resp *)ud)->requests_sent++;
    return 0;
}

static CURLcode perform(kube_client *c, const kube_http_req *req, const char *token, kube_http_resp *resp,
                        char *errbuf) {
    struct curl_slist *hdrs = NULL;
    kube_http_resp_free(resp);
    CURL *h = kube_http_handle(c, req, token, &hdrs, resp, errbuf);
    if (!h) return CURLE_OUT_OF_MEMORY;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)atomic_load(&c->timeout_ms));
    if (!idempotent(req->method)) {
        /* On a reused connection that turns out dead, libcurl resends the request by itself,
         * even when the server may have processed it: POST/PATCH get a connection of their own. */
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, resp);
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    }
    CURLcode cc = curl_easy_perform(h);
    if (cc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->code);
    long nc = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK) atomic_fetch_add(&c->connects, nc);
    kube_http_release(c, h);
    curl_slist_free_all(hdrs);
    return cc;
}

int kube_http_do(kube_client *c, const kube_http_req *req, kube_http_resp *resp, kube_status *st) {
    char err[512], errbuf[CURL_ERROR_SIZE];
    memset(resp, 0, sizeof *resp);
    char *token = kube_config_bearer_token(c->cfg, false, err, sizeof err);
    if (!token && err[0]) {
        kube_status_set(st, 0, "Unauthorized", "credentials: %s", err);
        return -1;
    }
    bool refreshed = false, idem = idempotent(req->method);
    char refresh_err[512] = "";
    int rc = -1;
    for (int attempt = 0;; attempt++) {
        CURLcode cc = perform(c, req, token, resp, errbuf);
        if (cc == CURLE_OK && resp->code == 401 && !refreshed) {
            /* authentication happens before anything else: safe to resend even a POST */
            refreshed = true;
            char *fresh = kube_config_token_after_401(c->cfg, token, err, sizeof err);
            if (fresh) {
                free(token);
                token = fresh;
                attempt--;
                continue;
            }
            if (err[0]) {
                log_warn("kube credential refresh after 401 failed", "error", err);
                snprintf(refresh_err, sizeof refresh_err, "%s", err);
            }
        }
        if (cc == CURLE_OK && resp->code >= 200 && resp->code < 300) {
            kube_status_clear(st);
            if (st) st->code = resp->code;
            rc = 0;
            break;
        }
        bool retry = attempt < c->max_retries &&
                     (cc != CURLE_OK ? ((before_send(cc) && resp->requests_sent == 0) ||
                                        (idem && transient_transport(cc)))
                                     : (idem && retryable_code(resp->code)));
        if (!retry) {
            if (cc != CURLE_OK)
                kube_status_transport(st, req->method, req->url, cc, errbuf);
            else
                kube_status_from_response(st, resp->code, resp->body, resp->len, resp->retry_after_s);
            if (st && refresh_err[0]) { /* say why the credentials could not be renewed */
                size_t l = strlen(st->message);
                snprintf(st->message + l, sizeof st->message - l, " (credential refresh failed: %s)", refresh_err);
            }
            break;
        }
        long delay = kube_backoff_ms(c->backoff_base_ms, c->backoff_cap_ms, attempt,
                                     cc == CURLE_OK ? resp->retry_after_s : 0, jitter());
        char code[16], ms[16];
        snprintf(code, sizeof code, "%ld", cc == CURLE_OK ? resp->code : 0L);
        snprintf(ms, sizeof ms, "%ld", delay);
        log_debug("kube request retry", "method", req->method, "code", code,
                  "error", cc != CURLE_OK ? curl_easy_strerror(cc) : "", "delay_ms", ms);
        sleep_ms(delay);
    }
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    return rc;
}
