/* operator/results: a runner's results on the wire, and merging N runners exactly.
 *
 * The runner hands its results to the controller through its container's termination
 * message, which the kubelet caps at 4096 bytes. The message is compact JSON:
 *   {"v":1,"runner":0,"tests":[{"t":"SET","n":250000,"e":0,"x":12,"ns":311025480,"h":"<hist>"},..]}
 * (n = completed requests incl. errors, e = error replies, x = MOVED/ASK redirects
 * followed, ns = that runner's own elapsed time, h = histogram_serialize()).
 * Latency precision is never traded for size: when the full message would not fit, the
 * runner prints it to its log as ONE line starting with RESULTS_LOG_MARKER and the
 * termination message becomes a pointer {"v":1,"log":<bytes>,"fnv":"<hex>"} that lets
 * the controller find that line in pods/log and check it is the whole, unaltered one.
 * A runner that failed writes {"v":1,"reason":"AuthFailed","error":"<one line>"}; the
 * reason (CamelCase) becomes the benchmark's condition reason.
 *
 * Decoding never trusts its input (fuzzed by tests/fuzz/fuzz_termination_message.c):
 * any malformed, truncated or inconsistent message is -1 with a reason.
 *
 * Runners start every test together (operator/runner_sync.h), so the merged throughput
 * of a test is the SUM of each runner's requests / its own elapsed time; latency
 * percentiles come from the bucket-wise merge of their histograms, which equals one
 * histogram of all samples. */
#ifndef VB_OPERATOR_RESULTS_H
#define VB_OPERATOR_RESULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/histogram.h"

#define RESULTS_MAX_TESTS 16
#define RESULTS_TERMINATION_CAP 4096
#define RESULTS_LOG_MARKER "valkeybench.io/results "

typedef struct test_result {
    char test[16];        /* upper-case, e.g. "SET" */
    uint64_t requests;    /* completed: successes + errors */
    uint64_t errors;
    uint64_t redirects;
    uint64_t elapsed_ns;
    histogram hist;       /* one sample per completed request */
} test_result;

/* About 27 KB per test: allocate on the heap. */
typedef struct runner_result {
    int runner;           /* runner index */
    int ntests;
    test_result tests[RESULTS_MAX_TESTS];
} runner_result;

typedef enum {
    RESULTS_MSG_FULL = 0, /* results decoded */
    RESULTS_MSG_IN_LOG,   /* results are in the pod log: call results_decode_log */
    RESULTS_MSG_ERROR,    /* the runner failed; info.error says why */
} results_msg_kind;

typedef struct results_msg {
    results_msg_kind kind;
    size_t log_bytes;     /* IN_LOG: length of the JSON after the marker */
    uint32_t log_fnv;     /* IN_LOG: FNV-1a of that JSON */
    char reason[64];      /* ERROR: CamelCase reason, "RunnerFailed" when not given */
    char error[512];      /* ERROR: the runner's message */
} results_msg;

/* The full JSON of r (malloc'd, NUL-terminated), or NULL with err. */
char *results_encode(const runner_result *r, char *err, size_t errlen);

/* What the runner writes: *msg (<= RESULTS_TERMINATION_CAP bytes) for the termination
 * log and, when the results did not fit, *log_line (the marker line, without newline)
 * to print on stdout; otherwise *log_line is NULL. Both malloc'd. */
int results_termination_message(const runner_result *r, char **msg, char **log_line, char *err,
                                size_t errlen);
/* {"v":1,"reason":...,"error":...} for a runner that failed (message truncated to fit).
 * reason NULL means "RunnerFailed". malloc'd. */
char *results_error_message(const char *reason, const char *error);

/* Parses a termination message. Returns 0 with info->kind set (and *out filled for
 * RESULTS_MSG_FULL), or -1 with err filled (not ours, malformed, inconsistent). */
int results_decode_message(const char *msg, size_t len, runner_result *out, results_msg *info, char *err,
                           size_t errlen);
/* Finds the marker line described by info (RESULTS_MSG_IN_LOG) in a pod log, checks its
 * length and checksum, and decodes it. Returns 0, or -1 with err filled. */
int results_decode_log(const char *log, size_t len, const results_msg *info, runner_result *out, char *err,
                       size_t errlen);

/* The merge of several runners, test by test. */
typedef struct merged_test {
    char test[16];
    uint64_t requests, errors, redirects;
    uint64_t max_elapsed_ns; /* the slowest runner's elapsed time */
    double rps;              /* sum over runners of requests / elapsed */
    histogram hist;
} merged_test;

typedef struct merged_results {
    int nrunners;
    int ntests;
    merged_test tests[RESULTS_MAX_TESTS];
} merged_results;

void results_merged_init(merged_results *m);
/* Adds one runner. Every runner must report the same tests in the same order as the
 * first (they ran the same workload); -1 with err otherwise. */
int results_merge_runner(merged_results *m, const runner_result *r, char *err, size_t errlen);

/* status.results: [{test, requests, errors, redirects, elapsedSeconds, rps, avgMs, p50Ms,
 * p95Ms, p99Ms, p999Ms, maxMs}] (new reference). */
json_t *results_status_json(const merged_results *m);

/* "SET=1.21M GET=812k" and "SET=0.412 GET=0.301" from a status.results array. */
void results_summaries(const json_t *status_results, char *rps, size_t rpscap, char *p50, size_t p50cap);

/* Three significant digits with a k/M/G suffix: 999, 1.00k, 81.2k, 812k, 1.21M. */
void results_format_compact(double v, char *out, size_t cap);

#endif
