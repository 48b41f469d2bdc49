/* engine: the pipelined load engine behind `valkey-bench run` (and later the runner pods).
 *
 * engine_run() connects to a standalone server, a replication group or a cluster, runs
 * each selected test in turn with `clients` logical clients spread over `threads`
 * threads (one epoll loop each), and returns per-test results. A request is timed from
 * the write of its pipeline batch to the read() that delivered its own reply
 * (CLOCK_MONOTONIC, ns).
 * Every request completes exactly once, as a success or an error; MOVED/ASK redirects
 * are followed and counted on the side. When a run is cut short (server died, no reply
 * within the timeout, ...) the results gathered so far are returned with `partial` set
 * and `error` naming the problem.
 *
 *   engine_config cfg;
 *   engine_config_defaults(&cfg);
 *   if (engine_config_parse(&cfg, argc, argv, err, sizeof err) != 0) ...
 *   engine_results res;
 *   int rc = engine_run(&cfg, &res, err, sizeof err);   // rc -1: nothing measured
 *   ... report_* (report.h) ...
 *   engine_results_free(&res);
 *   engine_config_free(&cfg);
 */
#ifndef VB_ENGINE_ENGINE_H
#define VB_ENGINE_ENGINE_H

#include <stdint.h>
#include <stdio.h>

#include "engine/histogram.h"

#define ENGINE_MAX_TESTS 32
#define ENGINE_MAX_REPLICAS 64
#define ENGINE_KEY_DIGITS 12 /* keys are "key:" + the random number zero-padded to 12 digits */

typedef enum { ENGINE_STANDALONE = 0, ENGINE_CLUSTER, ENGINE_REPLICATION } engine_mode;
typedef enum { READ_FROM_PRIMARY = 0, READ_FROM_REPLICAS, READ_FROM_ANY } engine_read_from;

typedef struct engine_endpoint {
    char host[256];
    int port;
} engine_endpoint;

typedef struct engine_config {
    engine_endpoint seed;        /* -h/--host, -p/--port: the server, primary or any cluster node */
    char user[128];              /* --user (ACL user; empty: default user) */
    char *password;              /* VALKEY_PASSWORD, --password-file or -a; owned, wiped on free */
    int password_on_cmdline;     /* -a was used (a warning is printed) */
    uint64_t clients;            /* -c */
    uint64_t requests;           /* -n: requests per test (ignored with duration_s) */
    uint64_t datasize;           /* -d: value size in bytes */
    uint64_t pipeline;           /* -P: requests per batch */
    uint64_t threads;            /* --threads */
    uint64_t keyspace;           /* -r: keys are key:<uniform random below keyspace> */
    int tests[ENGINE_MAX_TESTS]; /* -t: indices into the tests table (workload.h) */
    int ntests;
    engine_mode mode;            /* --mode / --cluster */
    engine_read_from read_from;  /* --read-from (replication mode) */
    engine_endpoint replicas[ENGINE_MAX_REPLICAS]; /* --replica host:port (else discovered) */
    int nreplicas;
    double duration_s;           /* --duration: run each test this long instead of -n (0: off) */
    double warmup_s;             /* --warmup: unmeasured load before each test */
    double timeout_s;            /* --timeout: connect timeout and longest wait for a reply */
    char workload[128];          /* --workload-name (default: the mode's name) */
    char output_dir[1024];       /* --output DIR (empty: none) */
    int csv, json, quiet;        /* --csv, --json, -q */
    uint64_t seed_rng;           /* --seed: random seed (0: from the clock) */
    /* Called once per test (index into tests[], upper-case name) when every client is
     * connected, just before the load starts; blocking is fine. A runner pod waits here
     * for the other runners of its run, so that each test's load is simultaneous.
     * Non-zero (with a line in err) ends the run there. NULL: no wait. */
    int (*start_line)(void *arg, int test, const char *name, char *err, size_t errlen);
    void *start_line_arg;
} engine_config;

typedef struct engine_test_result {
    const char *name;      /* upper-case test name, e.g. "SET" */
    uint64_t requests;     /* completed requests: successes + errors */
    uint64_t errors;       /* error replies (not counting followed redirects) */
    uint64_t redirects;    /* MOVED/ASK replies followed */
    uint64_t elapsed_ns;   /* first batch written .. last reply parsed */
    double rps;            /* requests / elapsed seconds, never quantized */
    histogram hist;        /* latency of every completed request */
} engine_test_result;

typedef struct engine_results {
    engine_test_result *tests; /* one per test that ran (fully or partly) */
    int ntests;
    int partial;               /* the run was cut short; `error` says why */
    char error[512];
    char timestamp[32];        /* run start, UTC, like 20260522-231743 */
} engine_results;

void engine_config_defaults(engine_config *cfg);
/* Parses `run`'s flags (argv[0] is the command name). Returns 0, 1 when --help was
 * asked (usage already printed to stdout), or -1 with one line in err. Reads
 * VALKEY_PASSWORD and --password-file; warns on stderr when -a is used. */
int engine_config_parse(engine_config *cfg, int argc, char **argv, char *err, size_t errlen);
void engine_config_usage(FILE *out);
void engine_config_free(engine_config *cfg);

const char *engine_mode_name(engine_mode m);

/* Runs every test. Returns 0 when all ran to completion; 1 when results are partial
 * (res->partial set, res->error and err say why); -1 when nothing could be measured
 * (err says why; res is empty). res must be freed with engine_results_free either way. */
int engine_run(const engine_config *cfg, engine_results *res, char *err, size_t errlen);
void engine_results_free(engine_results *res);

/* Ends the current run as soon as possible (async-signal-safe: for a SIGINT handler);
 * engine_run then returns the results so far, marked partial ("interrupted"). */
void engine_stop(void);
/* engine_stop() was called. */
int engine_stop_requested(void);
/* The engine's clock: CLOCK_MONOTONIC in nanoseconds. */
uint64_t engine_now_ns(void);

#endif
