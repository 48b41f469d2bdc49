/* Unit tests for operator/results: the termination-message codec (round trip, the
 * 4096-byte cap with 11 tests' histograms, the pod-log fallback, refusal of bad input),
 * exact merging, and the status/summary forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/results.h"

static const char *NAMES[] = {"SET", "GET", "INCR", "PING", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "MSET"};

/* Deterministic pseudo-random latencies: a body around `base_us` with a long tail. */
static uint64_t rng_state = 88172645463325252ULL;
static uint64_t xorshift(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static uint64_t latency_ns(uint64_t base_us) {
    uint64_t r = xorshift();
    uint64_t v = base_us * 1000 + (r % (base_us * 1000));
    if ((r >> 40) % 100 == 0) v *= 1 + (r >> 50) % 40; /* 1% tail, up to 40x */
    return v;
}

static runner_result *make_runner(int runner, int ntests, uint64_t samples, uint64_t base_us, histogram *all) {
    runner_result *r = calloc(1, sizeof *r);
    r->runner = runner;
    r->ntests = ntests;
    for (int i = 0; i < ntests; i++) {
        test_result *t = &r->tests[i];
        snprintf(t->test, sizeof t->test, "%s", NAMES[i]);
        histogram_init(&t->hist);
        for (uint64_t k = 0; k < samples; k++) {
            uint64_t v = latency_ns(base_us + (uint64_t)i * 50);
            histogram_record(&t->hist, v);
            if (all) histogram_record(&all[i], v);
        }
        t->requests = samples;
        t->errors = samples / 1000;
        t->redirects = (uint64_t)runner * 7;
        t->elapsed_ns = 1000000000ULL + (uint64_t)runner * 250000000ULL + (uint64_t)i;
    }
    return r;
}

static void assert_hist_equal(const histogram *a, const histogram *b) {
    assert_memory_equal(a->counts, b->counts, sizeof a->counts);
    assert_int_equal(a->total, b->total);
    assert_int_equal(a->min_ns, b->min_ns);
    assert_int_equal(a->max_ns, b->max_ns);
    assert_int_equal(a->sum_us, b->sum_us);
    assert_int_equal(a->sum_ns_rem, b->sum_ns_rem);
}

static void assert_runner_equal(const runner_result *a, const runner_result *b) {
    assert_int_equal(a->runner, b->runner);
    assert_int_equal(a->ntests, b->ntests);
    for (int i = 0; i < a->ntests; i++) {
        assert_string_equal(a->tests[i].test, b->tests[i].test);
        assert_int_equal(a->tests[i].requests, b->tests[i].requests);
        assert_int_equal(a->tests[i].errors, b->tests[i].errors);
        assert_int_equal(a->tests[i].redirects, b->tests[i].redirects);
        assert_int_equal(a->tests[i].elapsed_ns, b->tests[i].elapsed_ns);
        assert_hist_equal(&a->tests[i].hist, &b->tests[i].hist);
    }
}

static void test_round_trip_in_termination_message(void **state) {
    (void)state;
    runner_result *r = make_runner(2, 3, 20000, 300, NULL);
    char *msg, *line, err[256];
    assert_int_equal(results_termination_message(r, &msg, &line, err, sizeof err), 0);
    assert_null(line);
    assert_true(strlen(msg) <= RESULTS_TERMINATION_CAP);
    runner_result *back = calloc(1, sizeof *back);
    results_msg info;
    assert_int_equal(results_decode_message(msg, strlen(msg), back, &info, err, sizeof err), 0);
    assert_int_equal(info.kind, RESULTS_MSG_FULL);
    assert_runner_equal(r, back);
    free(msg), free(r), free(back);
}

/* 11 tests with realistic histograms do not fit in 4096 bytes: the results go to the
 * log whole, never with fewer buckets, and the pointer finds them again. */
static void test_eleven_tests_go_to_the_log(void **state) {
    (void)state;
    runner_result *r = make_runner(0, 11, 50000, 200, NULL);
    char *msg, *line, err[256];
    assert_int_equal(results_termination_message(r, &msg, &line, err, sizeof err), 0);
    assert_non_null(line);
    assert_true(strlen(msg) <= RESULTS_TERMINATION_CAP);
    assert_true(strlen(line) > RESULTS_TERMINATION_CAP);
    assert_memory_equal(line, RESULTS_LOG_MARKER, strlen(RESULTS_LOG_MARKER));
    runner_result *back = calloc(1, sizeof *back);
    results_msg info;
    assert_int_equal(results_decode_message(msg, strlen(msg), back, &info, err, sizeof err), 0);
    assert_int_equal(info.kind, RESULTS_MSG_IN_LOG);
    /* the line among other log output, CRLF-terminated, plus a damaged copy before it */
    size_t n = strlen(line);
    char *log = malloc(3 * n + 512);
    char *damaged = strdup(line);
    damaged[n / 2] = damaged[n / 2] == 'A' ? 'B' : 'A';
    int len = sprintf(log, "level=info msg=\"waiting for start\"\n%s\nlevel=info msg=running\n%s\r\nbye\n", damaged, line);
    assert_int_equal(results_decode_log(log, (size_t)len, &info, back, err, sizeof err), 0);
    assert_runner_equal(r, back);
    /* only the damaged copy, or a truncated one: refused */
    len = sprintf(log, "%s\n%.*s\n", damaged, (int)(n - 10), line);
    assert_int_equal(results_decode_log(log, (size_t)len, &info, back, err, sizeof err), -1);
    assert_non_null(strstr(err, "no intact results line"));
    free(log), free(damaged), free(line), free(msg), free(r), free(back);
}

static void expect_bad(const char *msg, const char *needle) {
    runner_result *out = calloc(1, sizeof *out);
    results_msg info;
    char err[256] = "";
    assert_int_equal(results_decode_message(msg, strlen(msg), out, &info, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\" (input %s)", err, needle, msg);
    free(out);
}

static void test_decoder_refuses_bad_input(void **state) {
    (void)state;
    runner_result *r = make_runner(0, 1, 10, 100, NULL);
    char err[256];
    char *good = results_encode(r, err, sizeof err);
    json_t *doc = json_loads(good, 0, NULL);
    const char *h = json_string_value(json_object_get(json_array_get(json_object_get(doc, "tests"), 0), "h"));
    char buf[4096];

    expect_bad("", "empty");
    expect_bad("level=error msg=\"connection refused\"", "not a results document");
    expect_bad("[1,2]", "not an object");
    expect_bad("{\"v\":2,\"tests\":[]}", "version");
    expect_bad("{\"v\":1,\"runner\":0,\"tests\":[]}", "1..16 tests");
    expect_bad("{\"v\":1,\"tests\":[]}", "runner index");
    expect_bad("{\"v\":1,\"log\":-5,\"fnv\":\"00000000\"}", "pointer");
    expect_bad("{\"v\":1,\"log\":100,\"fnv\":\"xyz\"}", "pointer");
    expect_bad("{\"v\":1,\"error\":42}", "not a string");
    expect_bad("{\"v\":1,\"v\":1}", "duplicate");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"set\",\"n\":10,\"e\":0,\"x\":0,\"ns\":5,\"h\":\"%s\"}]}", h);
    expect_bad(buf, "upper-case");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":10,\"e\":11,\"x\":0,\"ns\":5,\"h\":\"%s\"}]}", h);
    expect_bad(buf, "more errors");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":10,\"e\":0,\"x\":-1,\"ns\":5,\"h\":\"%s\"}]}", h);
    expect_bad(buf, "non-negative");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":10,\"e\":0,\"x\":0,\"ns\":0,\"h\":\"%s\"}]}", h);
    expect_bad(buf, "zero time");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":11,\"e\":0,\"x\":0,\"ns\":5,\"h\":\"%s\"}]}", h);
    expect_bad(buf, "samples");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":10,\"e\":0,\"x\":0,\"ns\":5,\"h\":\"%s\"},"
             "{\"t\":\"SET\",\"n\":10,\"e\":0,\"x\":0,\"ns\":5,\"h\":\"%s\"}]}", h, h);
    expect_bad(buf, "twice");
    snprintf(buf, sizeof buf, "{\"v\":1,\"runner\":0,\"tests\":[{\"t\":\"SET\",\"n\":10,\"e\":0,\"x\":0,\"ns\":5,\"h\":\"!!\"}]}");
    expect_bad(buf, "bad histogram");
    char *huge = calloc(1, RESULTS_TERMINATION_CAP + 2);
    memset(huge, ' ', RESULTS_TERMINATION_CAP + 1);
    expect_bad(huge, "longer than");
    free(huge);
    json_decref(doc);
    free(good), free(r);
}

static void test_error_message(void **state) {
    (void)state;
    char *m = results_error_message("TargetUnreachable", "connect to valkey:6379: Connection refused");
    runner_result *out = calloc(1, sizeof *out);
    results_msg info;
    char err[256];
    assert_int_equal(results_decode_message(m, strlen(m), out, &info, err, sizeof err), 0);
    assert_int_equal(info.kind, RESULTS_MSG_ERROR);
    assert_string_equal(info.error, "connect to valkey:6379: Connection refused");
    assert_string_equal(info.reason, "TargetUnreachable");
    free(m);
    const char *odd = "{\"v\":1,\"reason\":\"not camel\",\"error\":\"x\"}";
    assert_int_equal(results_decode_message(odd, strlen(odd), out, &info, err, sizeof err), 0);
    assert_string_equal(info.reason, "RunnerFailed");
    char big[5000];
    memset(big, 'e', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    m = results_error_message(NULL, big);
    assert_true(strlen(m) <= RESULTS_TERMINATION_CAP);
    free(m), free(out);
}

/* Three runners, different loads and durations: the merged histogram is exactly the
 * histogram of all samples, counters add up, and throughput is the sum of each
 * runner's own rate (they ran at the same time). */
static void test_merge_is_exact(void **state) {
    (void)state;
    histogram all[3];
    for (int i = 0; i < 3; i++) histogram_init(&all[i]);
    runner_result *r[3];
    merged_results *m = calloc(1, sizeof *m);
    results_merged_init(m);
    char err[256];
    double want_rps[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        r[k] = make_runner(k, 3, 10000 + (uint64_t)k * 3333, 100 + (uint64_t)k * 400, all);
        /* through the wire, as the controller sees them */
        char *msg, *line;
        assert_int_equal(results_termination_message(r[k], &msg, &line, err, sizeof err), 0);
        runner_result *dec = calloc(1, sizeof *dec);
        results_msg info;
        assert_int_equal(results_decode_message(msg, strlen(msg), dec, &info, err, sizeof err), 0);
        assert_int_equal(results_merge_runner(m, dec, err, sizeof err), 0);
        for (int i = 0; i < 3; i++)
            want_rps[i] += (double)r[k]->tests[i].requests / ((double)r[k]->tests[i].elapsed_ns / 1e9);
        free(msg), free(line), free(dec);
    }
    assert_int_equal(m->nrunners, 3);
    assert_int_equal(m->ntests, 3);
    for (int i = 0; i < 3; i++) {
        merged_test *t = &m->tests[i];
        assert_string_equal(t->test, NAMES[i]);
        assert_hist_equal(&t->hist, &all[i]);
        assert_int_equal(t->requests, r[0]->tests[i].requests + r[1]->tests[i].requests + r[2]->tests[i].requests);
        assert_int_equal(t->errors, r[0]->tests[i].errors + r[1]->tests[i].errors + r[2]->tests[i].errors);
        assert_int_equal(t->redirects, 0 + 7 + 14);
        assert_int_equal(t->max_elapsed_ns, r[2]->tests[i].elapsed_ns);
        assert_true(fabs(t->rps - want_rps[i]) < 1e-6 * want_rps[i]);
        for (double p = 1; p <= 100; p += 0.7)
            assert_int_equal(histogram_percentile_ns(&t->hist, p), histogram_percentile_ns(&all[i], p));
    }
    /* a runner that ran different tests is refused */
    runner_result *odd = make_runner(3, 2, 10, 100, NULL);
    assert_int_equal(results_merge_runner(m, odd, err, sizeof err), -1);
    snprintf(odd->tests[1].test, sizeof odd->tests[1].test, "HSET");
    odd->ntests = 3;
    assert_int_equal(results_merge_runner(m, odd, err, sizeof err), -1);
    assert_non_null(strstr(err, "HSET"));

    json_t *st = results_status_json(m);
    assert_int_equal(json_array_size(st), 3);
    json_t *set = json_array_get(st, 0);
    assert_string_equal(json_string_value(json_object_get(set, "test")), "SET");
    assert_int_equal(json_integer_value(json_object_get(set, "requests")), m->tests[0].requests);
    double p50 = json_number_value(json_object_get(set, "p50Ms"));
    assert_true(fabs(p50 - (double)histogram_percentile_ns(&all[0], 50) / 1e6) <= 0.0005);
    assert_true(json_number_value(json_object_get(set, "p99Ms")) >= p50);
    assert_true(json_number_value(json_object_get(set, "maxMs")) >= json_number_value(json_object_get(set, "p999Ms")));
    assert_true(fabs(json_number_value(json_object_get(set, "rps")) - want_rps[0]) <= 0.05);
    assert_true(fabs(json_number_value(json_object_get(set, "elapsedSeconds")) - 1.5) < 0.001);
    json_decref(st);
    for (int k = 0; k < 3; k++) free(r[k]);
    free(odd), free(m);
}

static void test_compact_numbers_and_summaries(void **state) {
    (void)state;
    char b[32];
    struct { double v; const char *s; } cases[] = {
        {0, "0"}, {999, "999"}, {999.4, "999"}, {999.6, "1.00k"}, {1000, "1.00k"}, {81234, "81.2k"},
        {812345, "812k"}, {999999, "1.00M"}, {1210000, "1.21M"}, {1000000, "1.00M"}, {12345678, "12.3M"},
        {2.5e9, "2.50G"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        results_format_compact(cases[i].v, b, sizeof b);
        assert_string_equal(b, cases[i].s);
    }
    json_t *r = json_loads("[{\"test\":\"SET\",\"rps\":1210000.5,\"p50Ms\":0.412},"
                           "{\"test\":\"GET\",\"rps\":812345,\"p50Ms\":0.3}]", 0, NULL);
    char rps[64], p50[64];
    results_summaries(r, rps, sizeof rps, p50, sizeof p50);
    assert_string_equal(rps, "SET=1.21M GET=812k");
    assert_string_equal(p50, "SET=0.412 GET=0.300");
    results_summaries(r, rps, 12, p50, sizeof p50); /* too small: keeps what fits */
    assert_string_equal(rps, "SET=1.21M");
    json_decref(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_in_termination_message),
        cmocka_unit_test(test_eleven_tests_go_to_the_log),
        cmocka_unit_test(test_decoder_refuses_bad_input),
        cmocka_unit_test(test_error_message),
        cmocka_unit_test(test_merge_is_exact),
        cmocka_unit_test(test_compact_numbers_and_summaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
