/* valkey-bench runner: one runner pod of a ValkeyBenchmark (see operator/runner_pod.h).
 *
 * Checks the target is reachable and the credentials work, waits until the controller
 * releases all runners of the run together (the start annotation appears in the
 * downward-API annotations file), runs the engine with its share of the workload and
 * hands the results to the controller through the termination message (or, when they do
 * not fit in 4096 bytes, the pod log; operator/results.h). Any failure exits 1 with a
 * structured error message naming a CamelCase reason the controller shows as-is. */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/log.h"
#include "engine/engine.h"
#include "operator/results.h"
#include "operator/runner_pod.h"
#include "operator/runner_sync.h"

typedef struct runner_opts {
    const char *mode, *host, *port, *read_from, *clients, *requests, *duration, *pipeline, *data_size;
    const char *threads, *keyspace_len, *tests, *warmup, *workload_name, *timeout;
    int index, runners;
    const char *start_file, *termination_log, *sync_id;
    double start_timeout_s;
} runner_opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: valkey-bench runner [flags]   (started by the operator in a runner pod)\n\n"
            "  --mode M --host H --port P [--read-from R]   the target\n"
            "  --clients N --requests N | --duration S --pipeline N --data-size N --threads N\n"
            "  --keyspace-len N --tests a,b [--warmup S] [--workload-name W] [--timeout S]\n"
            "  --runner-index I --runners N                 this runner's place in the run\n"
            "  --start-file F        wait until F (downward-API annotations) holds %s\n"
            "  --start-timeout S     give up waiting for the release, or for the other runners\n"
            "                        at a test's start line, after S seconds (default 3600)\n"
            "  --sync-id ID          the run attempt's id: with --runners > 1, every test starts\n"
            "                        when all runners are at its start line (keys %sID...)\n"
            "  --termination-log F   where the results go (default %s)\n"
            "Credentials: VALKEY_PASSWORD and VALKEY_USERNAME (from a Secret), never flags.\n",
            RUNNER_START_ANNOTATION, RUNNER_SYNC_PREFIX, RUNNER_TERMINATION_LOG);
}

static int write_termination(const char *path, const char *msg) {
    FILE *f = fopen(path, "w");
    if (!f) {
        log_error("cannot write the termination log", "path", path, "error", strerror(errno));
        return -1;
    }
    int ok = fputs(msg, f) >= 0;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : -1;
}

/* Logs and records a failure; returns the exit code. */
static int fail(const runner_opts *o, const char *reason, const char *msg) {
    log_error("runner failed", "reason", reason, "error", msg);
    char *doc = results_error_message(reason, msg);
    if (doc) write_termination(o->termination_log, doc);
    free(doc);
    return 1;
}

static int parse_flags(runner_opts *o, int argc, char **argv, char *err, size_t errlen) {
    enum { MODE = 1000, HOST, PORT, READ_FROM, CLIENTS, REQUESTS, DURATION, PIPELINE, DATA_SIZE, THREADS,
           KEYSPACE, TESTS, WARMUP, WORKLOAD, TIMEOUT, INDEX, RUNNERS, START_FILE, START_TIMEOUT, TERM_LOG, SYNC_ID,
           HELP };
    static const struct option opts[] = {
        {"mode", required_argument, NULL, MODE}, {"host", required_argument, NULL, HOST},
        {"port", required_argument, NULL, PORT}, {"read-from", required_argument, NULL, READ_FROM},
        {"clients", required_argument, NULL, CLIENTS}, {"requests", required_argument, NULL, REQUESTS},
        {"duration", required_argument, NULL, DURATION}, {"pipeline", required_argument, NULL, PIPELINE},
        {"data-size", required_argument, NULL, DATA_SIZE}, {"threads", required_argument, NULL, THREADS},
        {"keyspace-len", required_argument, NULL, KEYSPACE}, {"tests", required_argument, NULL, TESTS},
        {"warmup", required_argument, NULL, WARMUP}, {"workload-name", required_argument, NULL, WORKLOAD},
        {"timeout", required_argument, NULL, TIMEOUT}, {"runner-index", required_argument, NULL, INDEX},
        {"runners", required_argument, NULL, RUNNERS}, {"start-file", required_argument, NULL, START_FILE},
        {"start-timeout", required_argument, NULL, START_TIMEOUT},
        {"termination-log", required_argument, NULL, TERM_LOG}, {"sync-id", required_argument, NULL, SYNC_ID},
        {"help", no_argument, NULL, HELP},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->termination_log = RUNNER_TERMINATION_LOG;
    o->start_timeout_s = 3600;
    o->runners = 1;
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (opt) {
        case MODE: o->mode = optarg; break;
        case HOST: o->host = optarg; break;
        case PORT: o->port = optarg; break;
        case READ_FROM: o->read_from = optarg; break;
        case CLIENTS: o->clients = optarg; break;
        case REQUESTS: o->requests = optarg; break;
        case DURATION: o->duration = optarg; break;
        case PIPELINE: o->pipeline = optarg; break;
        case DATA_SIZE: o->data_size = optarg; break;
        case THREADS: o->threads = optarg; break;
        case KEYSPACE: o->keyspace_len = optarg; break;
        case TESTS: o->tests = optarg; break;
        case WARMUP: o->warmup = optarg; break;
        case WORKLOAD: o->workload_name = optarg; break;
        case TIMEOUT: o->timeout = optarg; break;
        case INDEX: o->index = atoi(optarg); break;
        case RUNNERS: o->runners = atoi(optarg); break;
        case START_FILE: o->start_file = optarg; break;
        case START_TIMEOUT: {
            char *end;
            o->start_timeout_s = strtod(optarg, &end);
            if (end == optarg || *end || !(o->start_timeout_s > 0 && o->start_timeout_s <= 1e6)) {
                snprintf(err, errlen, "--start-timeout %s is not a number of seconds in (0, 1000000]", optarg);
                return -1;
            }
            break;
        }
        case TERM_LOG: o->termination_log = optarg; break;
        case SYNC_ID: o->sync_id = optarg; break;
        case HELP: usage(stdout); return 1;
        case ':': snprintf(err, errlen, "flag %s needs a value", argv[optind - 1]); return -1;
        default: snprintf(err, errlen, "unknown flag %s", argv[optind - 1]); return -1;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
        return -1;
    }
    if (!o->host) {
        snprintf(err, errlen, "--host is required");
        return -1;
    }
    if (o->index < 0 || o->runners < 1 || o->index >= o->runners) {
        snprintf(err, errlen, "--runner-index %d is outside 0..%d", o->index, o->runners - 1);
        return -1;
    }
    return 0;
}

/* The engine's own flags, from ours (the pod spec says them in long, readable form). */
static int engine_argv(const runner_opts *o, char **argv, int cap) {
    int n = 0;
#define ADD(flag, val)                                                                                     \
    do {                                                                                                   \
        if ((val) && n + 2 < cap) argv[n++] = (char *)(flag), argv[n++] = (char *)(val);                  \
    } while (0)
    argv[n++] = (char *)"runner";
    ADD("--host", o->host);
    ADD("--port", o->port);
    ADD("--mode", o->mode);
    ADD("--read-from", o->read_from);
    ADD("-c", o->clients);
    ADD("-n", o->requests);
    ADD("--duration", o->duration);
    ADD("-P", o->pipeline);
    ADD("-d", o->data_size);
    ADD("--threads", o->threads);
    ADD("-r", o->keyspace_len);
    ADD("-t", o->tests);
    ADD("--warmup", o->warmup);
    ADD("--workload-name", o->workload_name);
    ADD("--timeout", o->timeout);
    const char *user = getenv("VALKEY_USERNAME");
    if (user && *user) ADD("--user", user);
#undef ADD
    argv[n] = NULL;
    return n;
}

/* Connect, authenticate, PING: fail before the release, with the right reason, rather
 * than after it with every other runner already loading the target. */
static int preflight(const engine_config *cfg, char *reason, size_t rcap, char *err, size_t errlen) {
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(cfg->seed.host, cfg->seed.port, tv);
    if (!c || c->err) {
        snprintf(reason, rcap, "TargetUnreachable");
        snprintf(err, errlen, "cannot connect to %s:%d: %s", cfg->seed.host, cfg->seed.port,
                 c ? c->errstr : "out of memory");
        redisFree(c);
        return -1;
    }
    redisSetTimeout(c, tv);
    redisReply *r = NULL;
    if (cfg->password) {
        if (cfg->user[0])
            r = redisCommand(c, "AUTH %s %s", cfg->user, cfg->password);
        else
            r = redisCommand(c, "AUTH %s", cfg->password);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(reason, rcap, r ? "AuthFailed" : "TargetUnreachable");
            snprintf(err, errlen, "AUTH at %s:%d failed: %s", cfg->seed.host, cfg->seed.port,
                     r ? r->str : c->errstr);
            freeReplyObject(r);
            redisFree(c);
            return -1;
        }
        freeReplyObject(r);
    }
    r = redisCommand(c, "PING");
    int rc = 0;
    if (!r || r->type == REDIS_REPLY_ERROR) {
        bool auth = r && (strstr(r->str, "NOAUTH") || strstr(r->str, "WRONGPASS"));
        snprintf(reason, rcap, auth ? "AuthFailed" : "TargetUnreachable");
        snprintf(err, errlen, "PING %s:%d: %s%s", cfg->seed.host, cfg->seed.port, r ? r->str : c->errstr,
                 auth ? " (set spec.auth to the Secret holding the password)" : "");
        rc = -1;
    }
    freeReplyObject(r);
    redisFree(c);
    return rc;
}

static bool start_released(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[4096];
    bool found = false;
    size_t klen = strlen(RUNNER_START_ANNOTATION);
    while (!found && fgets(line, sizeof line, f))
        found = !strncmp(line, RUNNER_START_ANNOTATION, klen) && line[klen] == '=';
    fclose(f);
    return found;
}

static int wait_for_start(const runner_opts *o, char *err, size_t errlen) {
    if (!o->start_file) return 0;
    log_info("waiting for the controller to release all runners", "file", o->start_file);
    struct timespec nap = {0, 50 * 1000 * 1000};
    uint64_t deadline = engine_now_ns() + (uint64_t)(o->start_timeout_s * 1e9);
    for (;;) {
        if (start_released(o->start_file)) return 0;
        if (engine_now_ns() > deadline) {
            snprintf(err, errlen, "not released within %.0f s (no %s annotation)", o->start_timeout_s,
                     RUNNER_START_ANNOTATION);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
}

/* engine_config.start_line: runner_sync's, and a record of when the test started
 * (wall clock, comparable across runner pods). */
static int start_line(void *arg, int test, const char *name, char *err, size_t errlen) {
    if (runner_sync_start_line(arg, test, name, err, errlen) != 0) return -1;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char at[32];
    snprintf(at, sizeof at, "%lld%09ld", (long long)now.tv_sec, now.tv_nsec);
    log_info("every runner at the start line", "test", name, "unixNanos", at);
    return 0;
}

/* engine_results -> runner_result, then the termination message (and log line). */
static int hand_back(const runner_opts *o, const engine_results *res) {
    runner_result *r = calloc(1, sizeof *r);
    char err[512];
    if (!r) return fail(o, "RunnerFailed", "out of memory");
    if (res->ntests > RESULTS_MAX_TESTS) {
        free(r);
        return fail(o, "RunnerFailed", "too many tests");
    }
    r->runner = o->index;
    r->ntests = res->ntests;
    for (int i = 0; i < res->ntests; i++) {
        const engine_test_result *t = &res->tests[i];
        snprintf(r->tests[i].test, sizeof r->tests[i].test, "%s", t->name);
        r->tests[i].requests = t->requests;
        r->tests[i].errors = t->errors;
        r->tests[i].redirects = t->redirects;
        r->tests[i].elapsed_ns = t->elapsed_ns;
        r->tests[i].hist = t->hist;
        char rps[32], p50[32];
        snprintf(rps, sizeof rps, "%.1f", t->rps);
        snprintf(p50, sizeof p50, "%.3f", (double)histogram_percentile_ns(&t->hist, 50) / 1e6);
        log_info("test finished", "test", t->name, "rps", rps, "p50_ms", p50);
    }
    char *msg = NULL, *line = NULL;
    int rc = results_termination_message(r, &msg, &line, err, sizeof err);
    free(r);
    if (rc != 0) return fail(o, "RunnerFailed", err);
    if (line) {
        /* The line first: when the controller sees the pointer, the log already holds it. */
        fprintf(stdout, "%s\n", line);
        fflush(stdout);
    }
    rc = write_termination(o->termination_log, msg);
    free(msg), free(line);
    return rc == 0 ? 0 : 1;
}

int cmd_runner(int argc, char **argv) {
    runner_opts o;
    char err[1024], reason[64] = "RunnerFailed";
    int prc = parse_flags(&o, argc, argv, err, sizeof err);
    if (prc > 0) return 0;
    if (prc < 0) {
        fprintf(stderr, "valkey-bench runner: %s\n", err);
        fail(&o, "InvalidRunnerArguments", err);
        return 2;
    }
    char *eargv[64];
    int eargc = engine_argv(&o, eargv, 64);
    engine_config cfg;
    engine_config_defaults(&cfg);
    cfg.quiet = 1;
    if (engine_config_parse(&cfg, eargc, eargv, err, sizeof err) != 0) {
        engine_config_free(&cfg);
        return fail(&o, "InvalidRunnerArguments", err);
    }
    runner_sync sync = {.cfg = &cfg, .id = o.sync_id, .runners = o.runners, .timeout_s = o.start_timeout_s};
    if (o.sync_id && o.runners > 1) {
        cfg.start_line = start_line;
        cfg.start_line_arg = &sync;
    }
    int code;
    if (preflight(&cfg, reason, sizeof reason, err, sizeof err) != 0) {
        code = fail(&o, reason, err);
    } else if (wait_for_start(&o, err, sizeof err) != 0) {
        code = fail(&o, "NotReleased", err);
    } else {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", o.index);
        log_info("released: running", "runner", idx, "target", cfg.seed.host);
        engine_results res;
        int rc = engine_run(&cfg, &res, err, sizeof err);
        runner_sync_close(&sync);
        if (sync.failed) {
            code = fail(&o, "RunnersNotSynchronized", rc > 0 && res.error[0] ? res.error : err);
        } else if (rc < 0) {
            bool auth = strstr(err, "NOAUTH") || strstr(err, "WRONGPASS") || strstr(err, "AUTH");
            code = fail(&o, auth ? "AuthFailed" : "TargetUnreachable", err);
        } else if (rc > 0) {
            code = fail(&o, "RunnerFailed", res.error[0] ? res.error : err);
        } else {
            code = hand_back(&o, &res);
        }
        engine_results_free(&res);
    }
    engine_config_free(&cfg);
    return code;
}
