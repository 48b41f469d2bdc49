#include "kube/httpd.h"

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define MAX_ADDRS 4

struct kube_httpd {
    struct lws_context *ctx;
    struct lws_vhost *vh[MAX_ADDRS];
    int nvh;
    kube_http_fn fn;
    void *ud;
    pthread_t thread;
    atomic_bool stop;
};

/* Per connection: the answer waiting for the socket to become writable. */
typedef struct session {
    char *body;
    size_t len;
    bool head_only;
} session;

int kube_parse_listen_addr(const char *addr, char *host, size_t hostlen, int *port) {
    if (!addr || !*addr) return -1;
    const char *colon = strrchr(addr, ':');
    const char *p = colon ? colon + 1 : addr;
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    if (hl >= hostlen) return -1;
    char *end;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535) return -1;
    memcpy(host, addr, hl);
    host[hl] = '\0';
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0) host[0] = '\0';
    *port = (int)v;
    return 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    session *s = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP: {
        kube_httpd *h = lws_context_user(lws_get_context(wsi));
        char path[256];
        snprintf(path, sizeof path, "%.*s", (int)len, (const char *)in);
        char *q = strchr(path, '?');
        if (q) *q = '\0';
        char *body = NULL;
        const char *ctype = "text/plain; charset=utf-8";
        int status = h->fn(path, &body, &ctype, h->ud);
        if (!body) body = strdup("");
        s->body = body;
        s->len = strlen(body);
        s->head_only = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
        unsigned char hdr[LWS_PRE + 512], *start = &hdr[LWS_PRE], *p = start, *end = &hdr[sizeof hdr - 1];
        if (lws_add_http_common_headers(wsi, (unsigned int)status, ctype, s->len, &p, end) ||
            lws_finalize_write_http_header(wsi, start, &p, end))
            return 1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (!s || !s->body) break;
        if (!s->head_only && s->len) {
            unsigned char *buf = malloc(LWS_PRE + s->len);
            if (!buf) return -1;
            memcpy(buf + LWS_PRE, s->body, s->len);
            int n = lws_write(wsi, buf + LWS_PRE, s->len, LWS_WRITE_HTTP_FINAL);
            free(buf);
            if (n < 0) return -1;
        }
        free(s->body);
        s->body = NULL;
        if (lws_http_transaction_completed(wsi)) return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (s) {
            free(s->body);
            s->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"http", http_callback, sizeof(session), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", line);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
    if (level & LLL_ERR) log_error("libwebsockets", "detail", buf);
    else log_warn("libwebsockets", "detail", buf);
}

static void *service_main(void *arg) {
    kube_httpd *h = arg;
    while (!atomic_load(&h->stop))
        if (lws_service(h->ctx, 0) < 0) break;
    return NULL;
}

kube_httpd *kube_httpd_start(const char *const *addrs, int naddrs, kube_http_fn fn, void *ud, char *err,
                             size_t errlen) {
    if (naddrs < 1 || naddrs > MAX_ADDRS) {
        snprintf(err, errlen, "http: between 1 and %d listen addresses", MAX_ADDRS);
        return NULL;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log);
    kube_httpd *h = calloc(1, sizeof *h);
    h->fn = fn;
    h->ud = ud;
    struct lws_context_creation_info ci;
    memset(&ci, 0, sizeof ci);
    ci.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DISABLE_IPV6;
    ci.user = h;
    ci.port = CONTEXT_PORT_NO_LISTEN;
    h->ctx = lws_create_context(&ci);
    if (!h->ctx) {
        snprintf(err, errlen, "http: cannot create the libwebsockets context");
        free(h);
        return NULL;
    }
    for (int i = 0; i < naddrs; i++) {
        char host[128];
        int port;
        if (kube_parse_listen_addr(addrs[i], host, sizeof host, &port) != 0) {
            snprintf(err, errlen, "http: malformed listen address \"%s\" (want host:port or :port)", addrs[i]);
            goto fail;
        }
        struct lws_context_creation_info vi;
        memset(&vi, 0, sizeof vi);
        char vname[32];
        snprintf(vname, sizeof vname, "vh%d", i);
        vi.vhost_name = vname;
        vi.port = port;
        vi.iface = host[0] ? host : NULL;
        vi.protocols = protocols;
        vi.options = LWS_SERVER_OPTION_DISABLE_IPV6;
        h->vh[i] = lws_create_vhost(h->ctx, &vi);
        if (!h->vh[i]) {
            snprintf(err, errlen, "http: cannot listen on %s (address in use or invalid)", addrs[i]);
            goto fail;
        }
        h->nvh++;
    }
    if (pthread_create(&h->thread, NULL, service_main, h) != 0) {
        snprintf(err, errlen, "http: cannot start the service thread");
        goto fail;
    }
    return h;
fail:
    lws_context_destroy(h->ctx);
    free(h);
    return NULL;
}

int kube_httpd_port(kube_httpd *h, int i) {
    return h && i >= 0 && i < h->nvh ? lws_get_vhost_listen_port(h->vh[i]) : -1;
}

void kube_httpd_stop(kube_httpd *h) {
    if (!h) return;
    atomic_store(&h->stop, true);
    lws_cancel_service(h->ctx);
    pthread_join(h->thread, NULL);
    lws_context_destroy(h->ctx);
    free(h);
}
