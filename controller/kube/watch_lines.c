/* Watch streams are newline-delimited JSON events, but chunk boundaries fall anywhere: a
 * line can arrive in many pieces and one piece can carry many lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

#define DEFAULT_MAX_LINE (256u << 20)

void kube_line_splitter_init(kube_line_splitter *s) {
    memset(s, 0, sizeof *s);
    s->max_line = DEFAULT_MAX_LINE;
}

void kube_line_splitter_free(kube_line_splitter *s) {
    free(s->buf);
    s->buf = NULL;
    s->len = s->cap = 0;
}

static int deliver(const char *line, size_t len, kube_line_fn fn, void *ud) {
    if (len && line[len - 1] == '\r') len--;
    if (!len) return 0;
    return fn(line, len, ud);
}

static int append(kube_line_splitter *s, const char *data, size_t len) {
    if (s->len + len > s->max_line) return -1;
    if (s->len + len + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + len + 1) cap *= 2;
        s->buf = realloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return 0;
}

int kube_line_splitter_feed(kube_line_splitter *s, const char *data, size_t len, kube_line_fn fn, void *ud) {
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (!nl) return append(s, data, len);
        size_t part = (size_t)(nl - data);
        int rc;
        if (s->len == 0) {
            /* common case: the whole line is in this chunk, no copy */
            if (part > s->max_line) return -1;
            rc = deliver(data, part, fn, ud);
        } else {
            if (append(s, data, part)) return -1;
            rc = deliver(s->buf, s->len, fn, ud);
            s->len = 0;
        }
        if (rc) return rc;
        data = nl + 1;
        len -= part + 1;
    }
    return 0;
}

int kube_line_splitter_finish(kube_line_splitter *s, kube_line_fn fn, void *ud) {
    if (!s->len) return 0;
    int rc = deliver(s->buf, s->len, fn, ud);
    s->len = 0;
    return rc;
}

int kube_watch_parse_event(const char *line, size_t len, json_t **root, const char **type, json_t **object,
                           char *err, size_t errlen) {
    json_error_t je;
    *root = NULL;
    json_t *r = json_loadb(line, len, 0, &je);
    if (!r) {
        snprintf(err, errlen, "watch event is not JSON: %s (column %d)", je.text, je.column);
        return -1;
    }
    const char *t = json_string_value(json_object_get(r, "type"));
    json_t *o = json_object_get(r, "object");
    if (!t || !json_is_object(o)) {
        snprintf(err, errlen, "watch event without a type and an object");
        json_decref(r);
        return -1;
    }
    static const char *const known[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) ok = ok || !strcmp(t, known[i]);
    if (!ok) {
        snprintf(err, errlen, "watch event of unknown type \"%.32s\"", t);
        json_decref(r);
        return -1;
    }
    *root = r;
    *type = t;
    *object = o;
    return 0;
}
