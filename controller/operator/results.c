/* operator/results: see results.h. */
#include "operator/results.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIRE_VERSION 1

static uint32_t fnv1a(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* histogram_serialize into a growing buffer: the size depends on the distribution. */
static char *hist_string(const histogram *h) {
    for (size_t cap = 4096; cap <= (1u << 20); cap *= 4) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        if (histogram_serialize(h, buf, cap) > 0) return buf;
        free(buf);
    }
    return NULL;
}

char *results_encode(const runner_result *r, char *err, size_t errlen) {
    if (r->ntests < 1 || r->ntests > RESULTS_MAX_TESTS) {
        snprintf(err, errlen, "cannot encode %d tests (1..%d)", r->ntests, RESULTS_MAX_TESTS);
        return NULL;
    }
    json_t *tests = json_array();
    for (int i = 0; i < r->ntests; i++) {
        const test_result *t = &r->tests[i];
        char *h = hist_string(&t->hist);
        if (!h) {
            json_decref(tests);
            snprintf(err, errlen, "cannot serialise the %s histogram", t->test);
            return NULL;
        }
        json_array_append_new(tests, json_pack("{s:s, s:I, s:I, s:I, s:I, s:s}", "t", t->test, "n",
                                               (json_int_t)t->requests, "e", (json_int_t)t->errors, "x",
                                               (json_int_t)t->redirects, "ns", (json_int_t)t->elapsed_ns,
                                               "h", h));
        free(h);
    }
    json_t *doc = json_pack("{s:i, s:i, s:o}", "v", WIRE_VERSION, "runner", r->runner, "tests", tests);
    char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!s) snprintf(err, errlen, "out of memory encoding results");
    return s;
}

int results_termination_message(const runner_result *r, char **msg, char **log_line, char *err,
                                size_t errlen) {
    *msg = *log_line = NULL;
    char *full = results_encode(r, err, errlen);
    if (!full) return -1;
    size_t n = strlen(full);
    if (n <= RESULTS_TERMINATION_CAP) {
        *msg = full;
        return 0;
    }
    char ptr[128];
    snprintf(ptr, sizeof ptr, "{\"v\":%d,\"log\":%zu,\"fnv\":\"%08x\"}", WIRE_VERSION, n, fnv1a(full, n));
    size_t mlen = strlen(RESULTS_LOG_MARKER);
    *log_line = malloc(mlen + n + 1);
    *msg = strdup(ptr);
    if (!*log_line || !*msg) {
        free(full), free(*log_line), free(*msg);
        *msg = *log_line = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(*log_line, RESULTS_LOG_MARKER, mlen);
    memcpy(*log_line + mlen, full, n + 1);
    free(full);
    return 0;
}

char *results_error_message(const char *reason, const char *error) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", error ? error : "unknown error");
    json_t *doc = json_pack("{s:i, s:s, s:s}", "v", WIRE_VERSION, "reason", reason ? reason : "RunnerFailed",
                            "error", buf);
    char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return s;
}

static int get_u64(const json_t *o, const char *key, uint64_t *out, const char *what, char *err,
                   size_t errlen) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, errlen, "%s: \"%s\" must be a non-negative integer", what, key);
        return -1;
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int decode_test(const json_t *jt, test_result *t, char *err, size_t errlen) {
    const char *name = json_string_value(json_object_get(jt, "t"));
    if (!json_is_object(jt) || !name || !*name || strlen(name) >= sizeof t->test) {
        snprintf(err, errlen, "test entry without a valid name");
        return -1;
    }
    for (const char *p = name; *p; p++)
        if (!isupper((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_') {
            snprintf(err, errlen, "test name is not an upper-case word");
            return -1;
        }
    snprintf(t->test, sizeof t->test, "%s", name);
    if (get_u64(jt, "n", &t->requests, name, err, errlen) || get_u64(jt, "e", &t->errors, name, err, errlen) ||
        get_u64(jt, "x", &t->redirects, name, err, errlen) ||
        get_u64(jt, "ns", &t->elapsed_ns, name, err, errlen))
        return -1;
    if (t->errors > t->requests) {
        snprintf(err, errlen, "%s: more errors (%llu) than requests (%llu)", name,
                 (unsigned long long)t->errors, (unsigned long long)t->requests);
        return -1;
    }
    if (t->requests > 0 && t->elapsed_ns == 0) {
        snprintf(err, errlen, "%s: requests completed in zero time", name);
        return -1;
    }
    json_t *h = json_object_get(jt, "h");
    char herr[256];
    if (!json_is_string(h) ||
        histogram_deserialize(&t->hist, json_string_value(h), json_string_length(h), herr, sizeof herr)) {
        snprintf(err, errlen, "%s: bad histogram: %s", name, json_is_string(h) ? herr : "missing");
        return -1;
    }
    if (t->hist.total != t->requests) {
        snprintf(err, errlen, "%s: histogram holds %llu samples but %llu requests completed", name,
                 (unsigned long long)t->hist.total, (unsigned long long)t->requests);
        return -1;
    }
    return 0;
}

static int decode_tests(const json_t *doc, runner_result *out, char *err, size_t errlen) {
    json_t *tests = json_object_get(doc, "tests"), *runner = json_object_get(doc, "runner");
    if (!json_is_integer(runner) || json_integer_value(runner) < 0 || json_integer_value(runner) > 1000) {
        snprintf(err, errlen, "results without a valid runner index");
        return -1;
    }
    size_t n = json_array_size(tests);
    if (!json_is_array(tests) || n < 1 || n > RESULTS_MAX_TESTS) {
        snprintf(err, errlen, "results must hold 1..%d tests", RESULTS_MAX_TESTS);
        return -1;
    }
    out->runner = (int)json_integer_value(runner);
    out->ntests = 0;
    for (size_t i = 0; i < n; i++) {
        test_result *t = &out->tests[i];
        if (decode_test(json_array_get(tests, i), t, err, errlen)) return -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->tests[j].test, t->test)) {
                snprintf(err, errlen, "test %s reported twice", t->test);
                return -1;
            }
        out->ntests++;
    }
    return 0;
}

static int decode_doc(const char *s, size_t len, runner_result *out, results_msg *info, bool from_log,
                      char *err, size_t errlen) {
    json_error_t jerr;
    json_t *doc = json_loadb(s, len, JSON_REJECT_DUPLICATES, &jerr);
    int rc = -1;
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "not a results document: %s", doc ? "not an object" : jerr.text);
        goto done;
    }
    json_t *v = json_object_get(doc, "v");
    if (!json_is_integer(v) || json_integer_value(v) != WIRE_VERSION) {
        snprintf(err, errlen, "unsupported results version");
        goto done;
    }
    json_t *e = json_object_get(doc, "error"), *log = json_object_get(doc, "log");
    if (e && !from_log) {
        if (!json_is_string(e)) {
            snprintf(err, errlen, "runner error is not a string");
            goto done;
        }
        const char *reason = json_string_value(json_object_get(doc, "reason"));
        bool camel = reason && isupper((unsigned char)reason[0]) && strlen(reason) < sizeof info->reason;
        for (const char *p = reason; camel && *p; p++) camel = isalnum((unsigned char)*p);
        info->kind = RESULTS_MSG_ERROR;
        snprintf(info->reason, sizeof info->reason, "%s", camel ? reason : "RunnerFailed");
        snprintf(info->error, sizeof info->error, "%s", json_string_value(e));
        rc = 0;
    } else if (log && !from_log) {
        const char *fnv = json_string_value(json_object_get(doc, "fnv"));
        char *end = NULL;
        unsigned long h = fnv && strlen(fnv) == 8 && isxdigit((unsigned char)fnv[0]) ? strtoul(fnv, &end, 16) : 0;
        if (!json_is_integer(log) || json_integer_value(log) <= 0 || json_integer_value(log) > (1 << 26) ||
            !end || *end) {
            snprintf(err, errlen, "malformed pointer to the results in the pod log");
            goto done;
        }
        info->kind = RESULTS_MSG_IN_LOG;
        info->log_bytes = (size_t)json_integer_value(log);
        info->log_fnv = (uint32_t)h;
        rc = 0;
    } else {
        info->kind = RESULTS_MSG_FULL;
        rc = decode_tests(doc, out, err, errlen);
    }
done:
    json_decref(doc);
    return rc;
}

int results_decode_message(const char *msg, size_t len, runner_result *out, results_msg *info, char *err,
                           size_t errlen) {
    memset(info, 0, sizeof *info);
    if (!msg || len == 0) {
        snprintf(err, errlen, "empty termination message");
        return -1;
    }
    if (len > RESULTS_TERMINATION_CAP) {
        snprintf(err, errlen, "termination message longer than %d bytes", RESULTS_TERMINATION_CAP);
        return -1;
    }
    return decode_doc(msg, len, out, info, false, err, errlen);
}

int results_decode_log(const char *log, size_t len, const results_msg *info, runner_result *out, char *err,
                       size_t errlen) {
    size_t mlen = strlen(RESULTS_LOG_MARKER);
    const char *found = NULL;
    for (size_t pos = 0; pos < len;) {
        const char *line = log + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - line) : len - pos;
        pos += llen + 1;
        if (llen > 0 && line[llen - 1] == '\r') llen--;
        if (llen == mlen + info->log_bytes && !memcmp(line, RESULTS_LOG_MARKER, mlen) &&
            fnv1a(line + mlen, info->log_bytes) == info->log_fnv)
            found = line + mlen; /* the last good one wins */
    }
    if (!found) {
        snprintf(err, errlen, "the pod log holds no intact results line (%zu bytes, fnv %08x)", info->log_bytes,
                 info->log_fnv);
        return -1;
    }
    results_msg dummy;
    memset(&dummy, 0, sizeof dummy);
    return decode_doc(found, info->log_bytes, out, &dummy, true, err, errlen);
}

void results_merged_init(merged_results *m) {
    memset(m, 0, sizeof *m);
}

int results_merge_runner(merged_results *m, const runner_result *r, char *err, size_t errlen) {
    if (m->nrunners == 0) {
        m->ntests = r->ntests;
        for (int i = 0; i < r->ntests; i++) {
            snprintf(m->tests[i].test, sizeof m->tests[i].test, "%s", r->tests[i].test);
            histogram_init(&m->tests[i].hist);
        }
    } else if (r->ntests != m->ntests) {
        snprintf(err, errlen, "runner %d reported %d tests, runner 0 reported %d", r->runner, r->ntests,
                 m->ntests);
        return -1;
    }
    for (int i = 0; i < r->ntests; i++)
        if (strcmp(m->tests[i].test, r->tests[i].test)) {
            snprintf(err, errlen, "runner %d reported test %s where the others reported %s", r->runner,
                     r->tests[i].test, m->tests[i].test);
            return -1;
        }
    for (int i = 0; i < r->ntests; i++) {
        merged_test *mt = &m->tests[i];
        const test_result *t = &r->tests[i];
        mt->requests += t->requests;
        mt->errors += t->errors;
        mt->redirects += t->redirects;
        if (t->elapsed_ns > mt->max_elapsed_ns) mt->max_elapsed_ns = t->elapsed_ns;
        if (t->elapsed_ns > 0) mt->rps += (double)t->requests * 1e9 / (double)t->elapsed_ns;
        histogram_merge(&mt->hist, &t->hist);
    }
    m->nrunners++;
    return 0;
}

/* Milliseconds with microsecond resolution: what a latency column needs, and short JSON. */
static json_t *ms(double ns) {
    return json_real(round(ns / 1000.0) / 1000.0);
}

json_t *results_status_json(const merged_results *m) {
    json_t *arr = json_array();
    for (int i = 0; i < m->ntests; i++) {
        const merged_test *t = &m->tests[i];
        const histogram *h = &t->hist;
        json_array_append_new(
            arr, json_pack("{s:s, s:I, s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:o}", "test", t->test,
                           "requests", (json_int_t)t->requests, "errors", (json_int_t)t->errors, "redirects",
                           (json_int_t)t->redirects, "elapsedSeconds",
                           round((double)t->max_elapsed_ns / 1e6) / 1e3, "rps", round(t->rps * 10) / 10,
                           "avgMs", ms(histogram_mean_ns(h)), "p50Ms", ms((double)histogram_percentile_ns(h, 50)),
                           "p95Ms", ms((double)histogram_percentile_ns(h, 95)), "p99Ms",
                           ms((double)histogram_percentile_ns(h, 99)), "p999Ms",
                           ms((double)histogram_percentile_ns(h, 99.9)), "maxMs", ms((double)h->max_ns)));
    }
    return arr;
}

void results_format_compact(double v, char *out, size_t cap) {
    static const char *const SUFFIX[] = {"", "k", "M", "G", "T"};
    if (!(v >= 0) || isinf(v)) {
        snprintf(out, cap, "-");
        return;
    }
    if (v < 999.5) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    int s = 0;
    while (v >= 999.5 && s < 4) v /= 1000.0, s++;
    /* Three significant digits; rounding may carry into the next decade. */
    if (v >= 99.95)
        snprintf(out, cap, "%.0f%s", v, SUFFIX[s]);
    else if (v >= 9.995)
        snprintf(out, cap, "%.1f%s", v, SUFFIX[s]);
    else
        snprintf(out, cap, "%.2f%s", v, SUFFIX[s]);
}

static void append(char *buf, size_t cap, const char *piece) {
    size_t n = strlen(buf);
    if (n + strlen(piece) + 2 > cap) return; /* a summary is a hint: drop what does not fit */
    snprintf(buf + n, cap - n, "%s%s", n ? " " : "", piece);
}

void results_summaries(const json_t *status_results, char *rps, size_t rpscap, char *p50, size_t p50cap) {
    rps[0] = p50[0] = '\0';
    size_t i;
    json_t *r;
    json_array_foreach(status_results, i, r) {
        const char *test = json_string_value(json_object_get(r, "test"));
        if (!test) continue;
        char num[32], piece[64];
        results_format_compact(json_number_value(json_object_get(r, "rps")), num, sizeof num);
        snprintf(piece, sizeof piece, "%s=%s", test, num);
        append(rps, rpscap, piece);
        snprintf(piece, sizeof piece, "%s=%.3f", test, json_number_value(json_object_get(r, "p50Ms")));
        append(p50, p50cap, piece);
    }
}
