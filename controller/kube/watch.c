/* WATCH: a streaming GET driven through a curl multi handle, so that the loop wakes at least
 * every 100 ms to check the cancel flag (curl's progress callback can be silent ~1 s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "kube/kube_internal.h"

#define CANCEL_POLL_MS 100

typedef struct watch_ctx {
    CURL *h;
    kube_line_splitter sp;
    kube_watch_fn fn;
    void *ud;
    atomic_bool *cancel;
    long code;          /* HTTP status, known from the first body byte */
    kube_http_resp err; /* body of a non-2xx answer */
    int stopped;        /* callback asked to stop / cancelled */
    char bad[256];      /* malformed event */
    unsigned long events;
} watch_ctx;

static int on_line(const char *line, size_t len, void *ud) {
    watch_ctx *w = ud;
    json_t *root, *obj;
    const char *type;
    if (kube_watch_parse_event(line, len, &root, &type, &obj, w->bad, sizeof w->bad)) return -1;
    w->events++;
    int rc = w->fn(type, obj, w->ud);
    json_decref(root);
    if (rc) w->stopped = 1;
    return rc ? 1 : 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
    watch_ctx *w = ud;
    size_t len = size * n;
    if (w->cancel && atomic_load(w->cancel)) {
        w->stopped = 1;
        return 0;
    }
    if (!w->code) curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &w->code);
    if (w->code < 200 || w->code >= 300) {
        if (w->err.len < 65536) {
            size_t take = len < 65536 ? len : 65536;
            w->err.body = realloc(w->err.body, w->err.len + take + 1);
            memcpy(w->err.body + w->err.len, p, take);
            w->err.len += take;
            w->err.body[w->err.len] = '\0';
        }
        return len;
    }
    int rc = kube_line_splitter_feed(&w->sp, p, len, on_line, w);
    if (rc < 0 && !w->bad[0]) snprintf(w->bad, sizeof w->bad, "watch event line longer than %zu bytes", w->sp.max_line);
    return rc ? 0 : len;
}

/* One attempt. Returns the curl result; w filled. */
static CURLcode watch_once(kube_client *c, const char *url, const char *token, watch_ctx *w, long timeout_s,
                           char *errbuf) {
    kube_http_req req = {.method = "GET", .url = url};
    struct curl_slist *hdrs = NULL;
    kube_http_resp hdr = {0};
    CURL *h = kube_http_handle(c, &req, token, &hdrs, &hdr, errbuf);
    if (!h) return CURLE_OUT_OF_MEMORY;
    w->h = h;
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
    /* A safety net only: the server ends the watch at timeoutSeconds. */
    if (timeout_s > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (timeout_s + 60) * 1000L);
    CURLM *m = curl_multi_init();
    curl_multi_add_handle(m, h);
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0;
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            snprintf(errbuf, CURL_ERROR_SIZE, "%s", curl_multi_strerror(mc));
            break;
        }
        if (!running) {
            int left;
            CURLMsg *msg;
            while ((msg = curl_multi_info_read(m, &left)))
                if (msg->msg == CURLMSG_DONE) result = msg->data.result;
            break;
        }
        if (w->cancel && atomic_load(w->cancel)) {
            w->stopped = 1;
            break;
        }
        curl_multi_poll(m, NULL, 0, CANCEL_POLL_MS, NULL);
        if (w->cancel && atomic_load(w->cancel)) {
            w->stopped = 1;
            break;
        }
    }
    if (!w->code) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &w->code);
    long nc = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK) atomic_fetch_add(&c->connects, nc);
    w->err.retry_after_s = hdr.retry_after_s;
    /* A stream we abandoned mid-way must not go back to the connection cache half-read. */
    if (w->stopped) curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_multi_remove_handle(m, h);
    curl_multi_cleanup(m);
    kube_http_release(c, h);
    curl_slist_free_all(hdrs);
    kube_http_resp_free(&hdr);
    return result;
}

int kube_watch(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts, kube_watch_fn fn,
               void *ud, atomic_bool *cancel, kube_status *st) {
    char err[512], errbuf[CURL_ERROR_SIZE];
    char *url = kube_build_url(c->base, r, ns, NULL, NULL, opts, true, NULL, NULL);
    char *token = kube_config_bearer_token(c->cfg, false, err, sizeof err);
    if (!token && err[0]) {
        kube_status_set(st, 0, "Unauthorized", "credentials: %s", err);
        free(url);
        return -1;
    }
    int rc = -1;
    for (int attempt = 0; attempt < 2; attempt++) {
        watch_ctx w = {.fn = fn, .ud = ud, .cancel = cancel};
        kube_line_splitter_init(&w.sp);
        CURLcode cc = watch_once(c, url, token, &w, opts ? opts->timeout_seconds : 0, errbuf);
        if (!w.stopped && !w.bad[0] && cc == CURLE_OK && w.code >= 200 && w.code < 300) {
            /* the server ended the stream; a last line without "\n" still counts */
            if (kube_line_splitter_finish(&w.sp, on_line, &w) < 0 && w.bad[0]) cc = CURLE_WRITE_ERROR;
        }
        kube_line_splitter_free(&w.sp);
        if (w.stopped) {
            kube_status_clear(st);
            if (st) st->code = w.code;
            rc = 0;
        } else if (w.bad[0]) {
            kube_status_set(st, w.code, "InvalidWatchEvent", "WATCH %s: %s", r->plural, w.bad);
        } else if (cc != CURLE_OK && !(w.code >= 200 && w.code < 300 && cc == CURLE_PARTIAL_FILE)) {
            kube_status_transport(st, "WATCH", url, cc, errbuf);
        } else if (w.code == 401 && attempt == 0) {
            char *fresh = kube_config_token_after_401(c->cfg, token, err, sizeof err);
            kube_http_resp_free(&w.err);
            if (fresh) {
                free(token);
                token = fresh;
                continue;
            }
            kube_status_set(st, 401, "Unauthorized", "WATCH %s: Unauthorized%s%s", r->plural, err[0] ? ": " : "", err);
        } else if (w.code < 200 || w.code >= 300) {
            kube_status_from_response(st, w.code, w.err.body, w.err.len, w.err.retry_after_s);
        } else {
            kube_status_clear(st);
            if (st) st->code = w.code;
            rc = 0;
        }
        kube_http_resp_free(&w.err);
        break;
    }
    if (token) {
        explicit_bzero(token, strlen(token));
        free(token);
    }
    free(url);
    return rc;
}
