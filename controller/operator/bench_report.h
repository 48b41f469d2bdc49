/* operator/bench_report: a finished ValkeyBenchmark's results as people read them.
 *
 * Works on the benchmark object as the API server returns it (spec + status), so
 * `valkey-bench results` and `valkey-bench compare` need nothing but a GET. */
#ifndef VB_OPERATOR_BENCH_REPORT_H
#define VB_OPERATOR_BENCH_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define BENCH_REPORT_CSV_HEADER "workload,mode,test,rps,p50_ms,clients,pipeline,datasize,timestamp"

/* The seed's results.csv rows (BENCH_REPORT_CSV_HEADER first when header is true):
 *   cluster,cluster,SET,1000000,0.567,50,16,256,20260522-231743
 * timestamp is status.completionTime as YYYYMMDD-HHMMSS. Returns the number of rows,
 * or -1 when the benchmark has no results (err says why). */
int bench_report_csv(FILE *out, const json_t *bench, bool header, char *err, size_t errlen);

/* A human table: benchmark, mode, runners, phase, then one line per test with rps,
 * requests, errors, redirects and the latency percentiles. -1 without results. */
int bench_report_table(FILE *out, const json_t *bench, char *err, size_t errlen);

/* The seed's side-by-side table of two benchmarks, with a speedup column (A relative
 * to B): | Test | A | B | A speedup |, cells like "1,000,000 rps · p50 0.567 ms" and
 * speedups like "2.5× rps · 3.1× lower p50" ("parity" within 5%). -1 when either
 * has no results. */
int bench_report_compare(FILE *out, const json_t *a, const json_t *b, char *err, size_t errlen);

#endif
