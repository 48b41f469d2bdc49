/* The runners' shared start line (see runner_sync.h). */
#include "operator/runner_sync.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "engine/net.h"
#include "engine/resp.h"

#define SYNC_TTL "3600"
#define MAX_HOPS 5
#define TOKENS_PER_RPUSH 256

void runner_sync_close(runner_sync *s) {
    net_close(s->ctx);
    s->ctx = NULL;
}

/* One command on the node holding the keys, following MOVED (that node from now on)
 * and ASK (ASKING first, this once). The reply, or NULL with err. */
static redisReply *command(runner_sync *s, int argc, const char **argv, char *err, size_t errlen) {
    engine_endpoint ep = s->cfg->seed;
    int asking = 0;
    for (int hop = 0; hop <= MAX_HOPS; hop++) {
        if (!s->ctx) {
            if (!(s->ctx = net_connect(s->cfg, &ep, err, errlen))) return NULL;
            /* Above BLPOP's own 1 s, whatever --timeout says. */
            double t = s->cfg->timeout_s > 5 ? s->cfg->timeout_s : 5;
            struct timeval tv = {(time_t)t, 0};
            redisSetTimeout(s->ctx, tv);
        }
        redisContext *c = s->ctx;
        if (asking) {
            redisReply *ok = redisCommand(c, "ASKING");
            freeReplyObject(ok);
        }
        redisReply *r = redisCommandArgv(c, argc, argv, NULL);
        if (!r) {
            snprintf(err, errlen, "%s at the start line: %s", argv[0], c->errstr);
            runner_sync_close(s);
            return NULL;
        }
        if (r->type != REDIS_REPLY_ERROR) return r;
        resp_redirect to;
        reply_kind kind = resp_parse_redirect(r->str, r->len, &to);
        if (kind == REPLY_ERROR) {
            snprintf(err, errlen, "%s at the start line: %s", argv[0], r->str);
            freeReplyObject(r);
            return NULL;
        }
        freeReplyObject(r);
        if (to.host[0]) snprintf(ep.host, sizeof ep.host, "%s", to.host);
        ep.port = to.port;
        asking = kind == REPLY_ASK;
        runner_sync_close(s);
    }
    snprintf(err, errlen, "%s at the start line: more than %d redirects", argv[0], MAX_HOPS);
    return NULL;
}

/* Runs a command whose reply only needs to be no error. */
static int command_ok(runner_sync *s, int argc, const char **argv, char *err, size_t errlen) {
    redisReply *r = command(s, argc, argv, err, errlen);
    freeReplyObject(r);
    return r ? 0 : -1;
}

int runner_sync_start_line(void *arg, int test, const char *name, char *err, size_t errlen) {
    runner_sync *s = arg;
    if (s->runners <= 1) return 0;
    char n_key[512], go_key[512];
    snprintf(n_key, sizeof n_key, RUNNER_SYNC_PREFIX "{%s}:%d:n", s->id, test);
    snprintf(go_key, sizeof go_key, RUNNER_SYNC_PREFIX "{%s}:%d:go", s->id, test);

    const char *incr[] = {"INCR", n_key};
    redisReply *r = command(s, 2, incr, err, errlen);
    if (!r) goto failed;
    long long arrived = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    if (arrived < 1 || arrived > s->runners) {
        snprintf(err, errlen, "start line of test %s: %lld arrivals for %d runners (%s)", name, arrived,
                 s->runners, n_key);
        goto failed;
    }
    if (arrived == s->runners) { /* the last one: a token for each of the others */
        const char *argv[2 + TOKENS_PER_RPUSH] = {"RPUSH", go_key};
        for (int left = s->runners - 1; left > 0; left -= TOKENS_PER_RPUSH) {
            int n = left < TOKENS_PER_RPUSH ? left : TOKENS_PER_RPUSH;
            for (int i = 0; i < n; i++) argv[2 + i] = "1";
            if (command_ok(s, 2 + n, argv, err, errlen) != 0) goto failed;
        }
        const char *expire_go[] = {"EXPIRE", go_key, SYNC_TTL}, *del[] = {"DEL", n_key};
        if (command_ok(s, 3, expire_go, err, errlen) != 0 || command_ok(s, 2, del, err, errlen) != 0) goto failed;
        return 0;
    }
    const char *expire_n[] = {"EXPIRE", n_key, SYNC_TTL};
    if (command_ok(s, 3, expire_n, err, errlen) != 0) goto failed;
    uint64_t deadline = engine_now_ns() + (uint64_t)(s->timeout_s * 1e9);
    const char *blpop[] = {"BLPOP", go_key, "1"};
    for (;;) {
        r = command(s, 3, blpop, err, errlen);
        if (!r) goto failed;
        int popped = r->type == REDIS_REPLY_ARRAY;
        freeReplyObject(r);
        if (popped) return 0;
        if (engine_stop_requested()) {
            snprintf(err, errlen, "interrupted at the start line of test %s", name);
            goto failed;
        }
        if (engine_now_ns() > deadline) {
            snprintf(err, errlen, "the other runners did not reach the start line of test %s within %.0f s "
                     "(this runner arrived %lld of %d)", name, s->timeout_s, arrived, s->runners);
            goto failed;
        }
    }
failed:
    s->failed = 1;
    return -1;
}
