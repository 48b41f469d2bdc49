/* Reply classification on top of hiredis's reader (see resp.h). */
#include "engine/resp.h"

#include <hiredis/read.h>
#include <stdio.h>
#include <string.h>

/* hiredis treats a NULL object as out-of-memory, so every callback returns one of
 * these markers; the top-level reply's marker is its classification. */
static char markers[4];
#define MARK(kind) ((void *)&markers[kind])

static void *on_string(const redisReadTask *task, char *s, size_t len) {
    if (task->type != REDIS_REPLY_ERROR || task->parent) return MARK(REPLY_OK);
    resp_reader *r = task->privdata;
    size_t n = len < sizeof r->error - 1 ? len : sizeof r->error - 1;
    memcpy(r->error, s, n);
    r->error[n] = '\0';
    return MARK(resp_parse_redirect(s, len, &r->redirect));
}
static void *on_array(const redisReadTask *task, int elements) {
    (void)task;
    (void)elements;
    return MARK(REPLY_OK);
}
static void *on_integer(const redisReadTask *task, long long v) {
    (void)task;
    (void)v;
    return MARK(REPLY_OK);
}
static void *on_nil(const redisReadTask *task) {
    (void)task;
    return MARK(REPLY_OK);
}
static void on_free(void *obj) { (void)obj; }

static redisReplyObjectFunctions classify_functions = {on_string, on_array, on_integer, on_nil, on_free};

static int parse_uint(const char *s, size_t len, unsigned long max, unsigned long *out) {
    if (len == 0 || len > 10) return -1;
    unsigned long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

reply_kind resp_parse_redirect(const char *s, size_t len, resp_redirect *out) {
    reply_kind kind;
    size_t i;
    if (len > 6 && memcmp(s, "MOVED ", 6) == 0) {
        kind = REPLY_MOVED;
        i = 6;
    } else if (len > 4 && memcmp(s, "ASK ", 4) == 0) {
        kind = REPLY_ASK;
        i = 4;
    } else {
        return REPLY_ERROR;
    }
    size_t start = i;
    while (i < len && s[i] != ' ') i++;
    unsigned long slot, port;
    if (i == len || parse_uint(s + start, i - start, 16383, &slot) != 0) return REPLY_ERROR;
    i++;
    /* host:port; the host may itself hold ':' (IPv6), so split at the last one. */
    const char *addr = s + i;
    size_t alen = len - i;
    while (alen && (addr[alen - 1] == '\r' || addr[alen - 1] == '\n' || addr[alen - 1] == ' ')) alen--;
    const char *colon = NULL;
    for (size_t k = 0; k < alen; k++)
        if (addr[k] == ':') colon = addr + k;
    if (!colon) return REPLY_ERROR;
    size_t hlen = (size_t)(colon - addr);
    if (hlen >= sizeof out->host || memchr(addr, ' ', hlen)) return REPLY_ERROR;
    if (parse_uint(colon + 1, alen - hlen - 1, 65535, &port) != 0 || port == 0) return REPLY_ERROR;
    out->slot = (unsigned)slot;
    memcpy(out->host, addr, hlen);
    out->host[hlen] = '\0';
    out->port = (int)port;
    return kind;
}

int resp_reader_init(resp_reader *r) {
    memset(r, 0, sizeof *r);
    redisReader *rd = redisReaderCreateWithFunctions(&classify_functions);
    if (!rd) return -1;
    rd->privdata = r;
    r->reader = rd;
    return 0;
}

void resp_reader_free(resp_reader *r) {
    if (r->reader) redisReaderFree(r->reader);
    r->reader = NULL;
}

int resp_reader_feed(resp_reader *r, const char *data, size_t len) {
    return redisReaderFeed(r->reader, data, len) == REDIS_OK ? 0 : -1;
}

int resp_reader_next(resp_reader *r, reply_kind *kind) {
    void *reply = NULL;
    redisReader *rd = r->reader;
    if (redisReaderGetReply(rd, &reply) != REDIS_OK) {
        snprintf(r->error, sizeof r->error, "%s", rd->errstr);
        return -1;
    }
    if (!reply) return 0;
    *kind = (reply_kind)((char *)reply - markers);
    return 1;
}
