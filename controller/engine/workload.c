/* The tests table and request templates (see workload.h). */
#include "engine/workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"

#define MSET_STANDALONE "MSET key:%r %v key:%r %v key:%r %v key:%r %v key:%r %v " \
                        "key:%r %v key:%r %v key:%r %v key:%r %v key:%r %v"
#define MSET_CLUSTER "MSET {key:%r}:0 %v {key:%R}:1 %v {key:%R}:2 %v {key:%R}:3 %v {key:%R}:4 %v " \
                     "{key:%R}:5 %v {key:%R}:6 %v {key:%R}:7 %v {key:%R}:8 %v {key:%R}:9 %v"

/* Adding a test is one line here. */
const workload_test workload_tests[] = {
    {"ping_inline", "PING_INLINE", 0, "!PING", NULL},
    {"ping_mbulk", "PING_MBULK", 0, "PING", NULL},
    {"ping", "PING", 0, "PING", NULL},
    {"set", "SET", 1, "SET key:%r %v", NULL},
    {"get", "GET", 0, "GET key:%r", NULL},
    {"incr", "INCR", 1, "INCR counter:%r", NULL},
    {"lpush", "LPUSH", 1, "LPUSH list:%r %v", NULL},
    {"rpush", "RPUSH", 1, "RPUSH list:%r %v", NULL},
    {"lpop", "LPOP", 1, "LPOP list:%r", NULL},
    {"rpop", "RPOP", 1, "RPOP list:%r", NULL},
    {"sadd", "SADD", 1, "SADD set:%r member:%r", NULL},
    {"spop", "SPOP", 1, "SPOP set:%r", NULL},
    {"hset", "HSET", 1, "HSET hash:%r field:%r %v", NULL},
    {"mset", "MSET", 1, MSET_STANDALONE, MSET_CLUSTER},
};
const int workload_ntests = (int)(sizeof workload_tests / sizeof workload_tests[0]);

int workload_find(const char *name) {
    for (int i = 0; i < workload_ntests; i++)
        if (strcasecmp(workload_tests[i].name, name) == 0) return i;
    return -1;
}

const char workload_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void workload_put_digits(char *dst, uint64_t v) {
    for (int i = ENGINE_KEY_DIGITS - 2; i >= 0; i -= 2) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        dst[i] = workload_digit_pairs[2 * d];
        dst[i + 1] = workload_digit_pairs[2 * d + 1];
    }
}

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static int buf_put(buf *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

static int buf_printf(buf *b, const char *fmt, size_t v) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    return buf_put(b, tmp, (size_t)n);
}

/* Length of one argument once expanded. */
static size_t arg_len(const char *a, size_t n, size_t datasize) {
    if (n == 2 && memcmp(a, "%v", 2) == 0) return datasize;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i] == '%' && i + 1 < n && (a[i + 1] == 'r' || a[i + 1] == 'R')) {
            len += ENGINE_KEY_DIGITS;
            i++;
        } else {
            len++;
        }
    }
    return len;
}

/* Appends one expanded argument, recording digit fields. */
static int put_arg(workload_template *t, buf *b, const char *a, size_t n, size_t datasize, char *err,
                   size_t errlen) {
    if (n == 2 && memcmp(a, "%v", 2) == 0) {
        if (b->len + datasize > b->cap) {
            size_t cap = b->len + datasize + 64;
            char *p = realloc(b->p, cap);
            if (!p) return -1;
            b->p = p;
            b->cap = cap;
        }
        memset(b->p + b->len, 'x', datasize);
        b->len += datasize;
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (a[i] == '%' && i + 1 < n && (a[i + 1] == 'r' || a[i + 1] == 'R')) {
            if (t->nrandoms == WORKLOAD_MAX_RANDOMS) {
                snprintf(err, errlen, "too many random fields in one command");
                return -1;
            }
            if (a[i + 1] == 'R' && t->nrandoms == 0) {
                snprintf(err, errlen, "%%R before any %%r");
                return -1;
            }
            t->rand_pos[t->nrandoms] = (uint32_t)b->len;
            t->rand_fresh[t->nrandoms] = a[i + 1] == 'r';
            t->nrandoms++;
            static const char zeros[ENGINE_KEY_DIGITS + 1] = "000000000000";
            if (buf_put(b, zeros, ENGINE_KEY_DIGITS) != 0) return -1;
            i++;
        } else if (buf_put(b, &a[i], 1) != 0) {
            return -1;
        }
    }
    return 0;
}

int workload_template_build(workload_template *t, const workload_test *test, int cluster, size_t datasize,
                            char *err, size_t errlen) {
    memset(t, 0, sizeof *t);
    t->key_off = -1;
    if (errlen) err[0] = '\0';
    const char *fmt = cluster && test->fmt_cluster ? test->fmt_cluster : test->fmt;
    buf b = {0};
    if (fmt[0] == '!') {
        if (buf_put(&b, fmt + 1, strlen(fmt + 1)) != 0 || buf_put(&b, "\r\n", 2) != 0) goto oom;
        t->bytes = b.p;
        t->len = b.len;
        return 0;
    }
    /* Split the format into arguments. */
    const char *args[64];
    size_t lens[64];
    int argc = 0;
    for (const char *p = fmt; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ' ') p++;
        if (argc == 64) {
            snprintf(err, errlen, "test %s: too many arguments", test->name);
            return -1;
        }
        args[argc] = s;
        lens[argc++] = (size_t)(p - s);
    }
    if (argc == 0) {
        snprintf(err, errlen, "test %s: empty command", test->name);
        return -1;
    }
    if (buf_printf(&b, "*%zu\r\n", (size_t)argc) != 0) goto oom;
    for (int i = 0; i < argc; i++) {
        size_t n = arg_len(args[i], lens[i], datasize);
        if (buf_printf(&b, "$%zu\r\n", n) != 0) goto oom;
        if (i == 1) {
            t->key_off = (long)b.len;
            t->key_len = n;
        }
        if (put_arg(t, &b, args[i], lens[i], datasize, err, errlen) != 0) {
            free(b.p);
            if (!err[0]) snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (buf_put(&b, "\r\n", 2) != 0) goto oom;
    }
    t->bytes = b.p;
    t->len = b.len;
    return 0;
oom:
    free(b.p);
    snprintf(err, errlen, "out of memory building the %s command", test->name);
    return -1;
}

void workload_template_free(workload_template *t) {
    free(t->bytes);
    memset(t, 0, sizeof *t);
}
