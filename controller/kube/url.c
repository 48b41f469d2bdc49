/* Request URLs: /api/v1 or /apis/<group>/<version>, namespaces, names and query strings,
 * every user-supplied piece percent-encoded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

char *kube_escape(const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

static void sb_seg(sbuf *b, const char *seg) {
    char *e = kube_escape(seg);
    sb_add(b, "/");
    sb_add(b, e);
    free(e);
}

static void sb_param(sbuf *b, bool *first, const char *key, const char *value) {
    char *e = kube_escape(value);
    sb_add(b, *first ? "?" : "&");
    sb_add(b, key);
    sb_add(b, "=");
    sb_add(b, e);
    free(e);
    *first = false;
}

char *kube_build_url(const char *server, const kube_resource *r, const char *ns, const char *name,
                     const char *subresource, const kube_list_opts *opts, bool watch, const char *cont,
                     const char *extra) {
    sbuf b = {0};
    sb_add(&b, server);
    if (!r->group || !*r->group) {
        sb_add(&b, "/api");
    } else {
        sb_add(&b, "/apis");
        sb_seg(&b, r->group);
    }
    sb_seg(&b, r->version);
    if (r->namespaced && ns && *ns) {
        sb_add(&b, "/namespaces");
        sb_seg(&b, ns);
    }
    sb_seg(&b, r->plural);
    if (name) sb_seg(&b, name);
    if (subresource) sb_seg(&b, subresource);
    bool first = true;
    char num[32];
    if (watch) sb_param(&b, &first, "watch", "true");
    if (opts) {
        if (opts->label_selector && *opts->label_selector) sb_param(&b, &first, "labelSelector", opts->label_selector);
        if (opts->field_selector && *opts->field_selector) sb_param(&b, &first, "fieldSelector", opts->field_selector);
        if (opts->resource_version && *opts->resource_version)
            sb_param(&b, &first, "resourceVersion", opts->resource_version);
        if (!watch && opts->limit > 0) {
            snprintf(num, sizeof num, "%ld", opts->limit);
            sb_param(&b, &first, "limit", num);
        }
        if (watch && opts->timeout_seconds > 0) {
            snprintf(num, sizeof num, "%ld", opts->timeout_seconds);
            sb_param(&b, &first, "timeoutSeconds", num);
        }
        if (watch && opts->allow_bookmarks) sb_param(&b, &first, "allowWatchBookmarks", "true");
    }
    if (cont && *cont) sb_param(&b, &first, "continue", cont);
    if (extra && *extra) {
        sb_add(&b, first ? "?" : "&");
        sb_add(&b, extra);
    }
    return b.s;
}
