/* Unit tests for operator/bench_report: the seed's results.csv rows and side-by-side table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/bench_report.h"

static const char *CLUSTER =
    "{\"metadata\":{\"name\":\"cluster-bench\",\"namespace\":\"bench\"},"
    " \"spec\":{\"target\":{\"mode\":\"cluster\",\"host\":\"h\"},\"workload\":{\"clients\":50,\"pipeline\":16,"
    "  \"dataSize\":256},\"runners\":3},"
    " \"status\":{\"phase\":\"Succeeded\",\"runID\":\"g1\",\"completionTime\":\"2026-05-22T23:17:43Z\",\"results\":["
    "  {\"test\":\"SET\",\"requests\":500000,\"errors\":0,\"redirects\":0,\"elapsedSeconds\":0.5,\"rps\":1000000.4,"
    "   \"avgMs\":0.6,\"p50Ms\":0.567,\"p95Ms\":0.9,\"p99Ms\":1.2,\"p999Ms\":2.0,\"maxMs\":5.1},"
    "  {\"test\":\"GET\",\"requests\":500000,\"errors\":0,\"redirects\":0,\"elapsedSeconds\":0.5,\"rps\":1000000,"
    "   \"avgMs\":0.4,\"p50Ms\":0.375,\"p95Ms\":0.6,\"p99Ms\":0.8,\"p999Ms\":1.0,\"maxMs\":3.0},"
    "  {\"test\":\"INCR\",\"requests\":500000,\"errors\":0,\"redirects\":0,\"elapsedSeconds\":0.5,\"rps\":1000000,"
    "   \"avgMs\":0.5,\"p50Ms\":0.495,\"p95Ms\":0.7,\"p99Ms\":0.9,\"p999Ms\":1.1,\"maxMs\":4.0}]}}";

static const char *REPL =
    "{\"metadata\":{\"name\":\"replication-bench\",\"namespace\":\"bench\"},"
    " \"spec\":{\"target\":{\"mode\":\"replication\",\"host\":\"h\"},\"workloadName\":\"repl\"},"
    " \"status\":{\"phase\":\"Succeeded\",\"completionTime\":\"2026-05-22T23:20:01Z\",\"results\":["
    "  {\"test\":\"SET\",\"rps\":399042,\"p50Ms\":1.783},"
    "  {\"test\":\"GET\",\"rps\":1000000,\"p50Ms\":0.719},"
    "  {\"test\":\"INCR\",\"rps\":487805,\"p50Ms\":1.279},"
    "  {\"test\":\"LPUSH\",\"rps\":300000,\"p50Ms\":2.0}]}}";

static char *capture(int (*fn)(FILE *, const json_t *, const json_t *), const json_t *a, const json_t *b, int *rc) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rc = fn(f, a, b);
    fclose(f);
    return buf;
}

static char err[256];
static int csv_h(FILE *f, const json_t *a, const json_t *b) { (void)b; return bench_report_csv(f, a, true, err, sizeof err); }
static int csv_n(FILE *f, const json_t *a, const json_t *b) { (void)b; return bench_report_csv(f, a, false, err, sizeof err); }
static int cmp(FILE *f, const json_t *a, const json_t *b) { return bench_report_compare(f, a, b, err, sizeof err); }
static int tab(FILE *f, const json_t *a, const json_t *b) { (void)b; return bench_report_table(f, a, err, sizeof err); }

static void test_csv(void **state) {
    (void)state;
    json_t *c = json_loads(CLUSTER, 0, NULL), *r = json_loads(REPL, 0, NULL);
    int rc;
    char *out = capture(csv_h, c, NULL, &rc);
    assert_int_equal(rc, 3);
    assert_string_equal(out, BENCH_REPORT_CSV_HEADER "\n"
                             "cluster,cluster,SET,1000000,0.567,50,16,256,20260522-231743\n"
                             "cluster,cluster,GET,1000000,0.375,50,16,256,20260522-231743\n"
                             "cluster,cluster,INCR,1000000,0.495,50,16,256,20260522-231743\n");
    free(out);
    out = capture(csv_n, r, NULL, &rc);
    assert_int_equal(rc, 4);
    assert_non_null(strstr(out, "repl,replication,SET,399042,1.783,50,16,256,20260522-232001\n"));
    free(out);
    json_t *empty = json_loads("{\"metadata\":{\"name\":\"x\"},\"status\":{\"phase\":\"Running\"}}", 0, NULL);
    out = capture(csv_h, empty, NULL, &rc);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "no results yet (phase Running)"));
    free(out);
    out = capture(tab, c, NULL, &rc);
    assert_int_equal(rc, 3);
    assert_non_null(strstr(out, "cluster-bench"));
    assert_non_null(strstr(out, "INCR"));
    free(out);
    json_decref(c), json_decref(r), json_decref(empty);
}

static void test_compare(void **state) {
    (void)state;
    json_t *c = json_loads(CLUSTER, 0, NULL), *r = json_loads(REPL, 0, NULL);
    int rc;
    char *out = capture(cmp, c, r, &rc);
    assert_int_equal(rc, 4);
    assert_non_null(strstr(out, "| SET | 1,000,000 rps · p50 0.567 ms | 399,042 rps · p50 1.783 ms | 2.5× rps · 3.1× lower p50 |"));
    assert_non_null(strstr(out, "| GET | 1,000,000 rps · p50 0.375 ms | 1,000,000 rps · p50 0.719 ms | parity rps · 1.9× lower p50 |"));
    assert_non_null(strstr(out, "| INCR | 1,000,000 rps · p50 0.495 ms | 487,805 rps · p50 1.279 ms | 2.0× rps · 2.6× lower p50 |"));
    assert_non_null(strstr(out, "| LPUSH | - | 300,000 rps · p50 2.000 ms | - |"));
    assert_non_null(strstr(out, "cluster-bench (cluster, 3 runners)"));
    free(out);
    out = capture(cmp, r, c, &rc);
    assert_non_null(strstr(out, "0.4× rps · 3.1× higher p50"));
    free(out);
    json_decref(c), json_decref(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
