/* Result formatting (see report.h). */
#include "engine/report.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/histogram.h"

#define HIST_TEXT_MAX 65536

static double ms(uint64_t ns) { return (double)ns / 1e6; }
static double pct_ms(const histogram *h, double p) { return ms(histogram_percentile_ns(h, p)); }

static void describe_run(FILE *out, const engine_config *cfg, const engine_results *res) {
    fprintf(out, "valkey-bench run: workload %s, %s mode at %s:%d, %llu clients, pipeline %llu, %llu-byte values, "
                 "%llu threads, keyspace %llu, ",
            cfg->workload, engine_mode_name(cfg->mode), cfg->seed.host, cfg->seed.port,
            (unsigned long long)cfg->clients, (unsigned long long)cfg->pipeline, (unsigned long long)cfg->datasize,
            (unsigned long long)cfg->threads, (unsigned long long)cfg->keyspace);
    if (cfg->duration_s > 0)
        fprintf(out, "%.3g s per test", cfg->duration_s);
    else
        fprintf(out, "%llu requests per test", (unsigned long long)cfg->requests);
    if (cfg->warmup_s > 0) fprintf(out, " after %.3g s warm-up", cfg->warmup_s);
    fprintf(out, ", started %s UTC\n", res->timestamp);
}

void report_summary(FILE *out, const engine_config *cfg, const engine_results *res) {
    describe_run(out, cfg, res);
    fprintf(out, "%-12s %12s %8s %9s %10s %14s %8s %8s %8s %8s %8s %8s\n", "TEST", "REQUESTS", "ERRORS", "REDIRECTS",
            "ELAPSED_S", "RPS", "AVG_MS", "P50_MS", "P95_MS", "P99_MS", "P99.9_MS", "MAX_MS");
    int short_run = 0;
    for (int i = 0; i < res->ntests; i++) {
        const engine_test_result *t = &res->tests[i];
        const histogram *h = &t->hist;
        int imprecise = t->elapsed_ns < 1000000000ULL;
        short_run |= imprecise;
        fprintf(out, "%-12s %12llu %8llu %9llu %10.3f %14.2f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f%s%s\n", t->name,
                (unsigned long long)t->requests, (unsigned long long)t->errors, (unsigned long long)t->redirects,
                (double)t->elapsed_ns / 1e9, t->rps, histogram_mean_ns(h) / 1e6, pct_ms(h, 50), pct_ms(h, 95),
                pct_ms(h, 99), pct_ms(h, 99.9), ms(h->max_ns), imprecise ? " *" : "",
                res->partial && i == res->ntests - 1 ? " (partial)" : "");
    }
    if (short_run) fprintf(out, "* ran under 1 s: rps is imprecise; use a larger -n or --duration\n");
    if (res->partial) fprintf(out, "PARTIAL RESULTS: the run was cut short: %s\n", res->error);
}

void report_quiet(FILE *out, const engine_config *cfg, const engine_results *res) {
    (void)cfg;
    for (int i = 0; i < res->ntests; i++) {
        const engine_test_result *t = &res->tests[i];
        fprintf(out, "%s: %.2f requests per second, p50=%.3f msec%s\n", t->name, t->rps, pct_ms(&t->hist, 50),
                res->partial && i == res->ntests - 1 ? " (partial)" : "");
    }
    if (res->partial) fprintf(out, "PARTIAL RESULTS: %s\n", res->error);
}

/* The seed's rows: rps as a whole number ("1000000"), p50 with three decimals; `valkey-bench
 * results --csv` (operator/bench_report.c) prints the same. */
void report_csv(FILE *out, const engine_config *cfg, const engine_results *res, int header) {
    if (header) fprintf(out, "%s\n", REPORT_CSV_HEADER);
    for (int i = 0; i < res->ntests; i++) {
        const engine_test_result *t = &res->tests[i];
        fprintf(out, "%s,%s,%s,%.0f,%.3f,%llu,%llu,%llu,%s\n", cfg->workload, engine_mode_name(cfg->mode), t->name,
                t->rps, pct_ms(&t->hist, 50), (unsigned long long)cfg->clients, (unsigned long long)cfg->pipeline,
                (unsigned long long)cfg->datasize, res->timestamp);
    }
}

void report_raw(FILE *out, const engine_config *cfg, const engine_results *res) {
    static const double ladder[] = {0.001, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100};
    describe_run(out, cfg, res);
    char *text = malloc(HIST_TEXT_MAX);
    for (int i = 0; i < res->ntests; i++) {
        const engine_test_result *t = &res->tests[i];
        fprintf(out, "\n[%s] requests=%llu errors=%llu redirects=%llu elapsed_ns=%llu rps=%.6f\n", t->name,
                (unsigned long long)t->requests, (unsigned long long)t->errors, (unsigned long long)t->redirects,
                (unsigned long long)t->elapsed_ns, t->rps);
        fprintf(out, "min_ms=%.6f avg_ms=%.6f max_ms=%.6f\n", t->hist.total ? ms(t->hist.min_ns) : 0.0,
                histogram_mean_ns(&t->hist) / 1e6, ms(t->hist.max_ns));
        for (size_t k = 0; k < sizeof ladder / sizeof ladder[0]; k++)
            fprintf(out, "p%g_ms=%.6f\n", ladder[k], pct_ms(&t->hist, ladder[k]));
        if (text && histogram_serialize(&t->hist, text, HIST_TEXT_MAX)) fprintf(out, "histogram=%s\n", text);
    }
    free(text);
    if (res->partial) fprintf(out, "\nPARTIAL RESULTS: %s\n", res->error);
}

static json_t *test_json(const engine_test_result *t, char *text) {
    const histogram *h = &t->hist;
    json_t *o = json_object();
    json_object_set_new(o, "test", json_string(t->name));
    json_object_set_new(o, "requests", json_integer((json_int_t)t->requests));
    json_object_set_new(o, "errors", json_integer((json_int_t)t->errors));
    json_object_set_new(o, "redirects", json_integer((json_int_t)t->redirects));
    json_object_set_new(o, "elapsed_s", json_real((double)t->elapsed_ns / 1e9));
    json_object_set_new(o, "elapsed_ns", json_integer((json_int_t)t->elapsed_ns));
    json_object_set_new(o, "rps", json_real(t->rps));
    json_object_set_new(o, "avg_ms", json_real(histogram_mean_ns(h) / 1e6));
    json_object_set_new(o, "p50_ms", json_real(pct_ms(h, 50)));
    json_object_set_new(o, "p95_ms", json_real(pct_ms(h, 95)));
    json_object_set_new(o, "p99_ms", json_real(pct_ms(h, 99)));
    json_object_set_new(o, "p999_ms", json_real(pct_ms(h, 99.9)));
    json_object_set_new(o, "max_ms", json_real(ms(h->max_ns)));
    json_object_set_new(o, "imprecise", json_boolean(t->elapsed_ns < 1000000000ULL));
    if (text && histogram_serialize(h, text, HIST_TEXT_MAX)) json_object_set_new(o, "histogram", json_string(text));
    return o;
}

char *report_json(const engine_config *cfg, const engine_results *res) {
    static const char *read_from[] = {"primary", "replicas", "any"};
    json_t *doc = json_object();
    json_object_set_new(doc, "workload", json_string(cfg->workload));
    json_object_set_new(doc, "mode", json_string(engine_mode_name(cfg->mode)));
    json_object_set_new(doc, "host", json_string(cfg->seed.host));
    json_object_set_new(doc, "port", json_integer(cfg->seed.port));
    json_object_set_new(doc, "clients", json_integer((json_int_t)cfg->clients));
    json_object_set_new(doc, "pipeline", json_integer((json_int_t)cfg->pipeline));
    json_object_set_new(doc, "datasize", json_integer((json_int_t)cfg->datasize));
    json_object_set_new(doc, "threads", json_integer((json_int_t)cfg->threads));
    json_object_set_new(doc, "keyspace", json_integer((json_int_t)cfg->keyspace));
    json_object_set_new(doc, "requests_per_test",
                        cfg->duration_s > 0 ? json_null() : json_integer((json_int_t)cfg->requests));
    json_object_set_new(doc, "duration_s", cfg->duration_s > 0 ? json_real(cfg->duration_s) : json_null());
    json_object_set_new(doc, "warmup_s", json_real(cfg->warmup_s));
    json_object_set_new(doc, "read_from", json_string(read_from[cfg->read_from]));
    json_object_set_new(doc, "timestamp", json_string(res->timestamp));
    json_object_set_new(doc, "partial", json_boolean(res->partial));
    json_object_set_new(doc, "error", res->partial ? json_string(res->error) : json_null());
    json_t *tests = json_array();
    char *text = malloc(HIST_TEXT_MAX);
    for (int i = 0; i < res->ntests; i++) json_array_append_new(tests, test_json(&res->tests[i], text));
    free(text);
    json_object_set_new(doc, "tests", tests);
    char *s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(doc);
    return s;
}

static int write_file(const char *dir, const char *name, void (*fn)(FILE *, const engine_config *, const engine_results *),
                      const engine_config *cfg, const engine_results *res, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "--output: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    fn(f, cfg, res);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "--output: cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void csv_with_header(FILE *out, const engine_config *cfg, const engine_results *res) {
    report_csv(out, cfg, res, 1);
}

int report_write_dir(const engine_config *cfg, const engine_results *res, char *err, size_t errlen) {
    const char *dir = cfg->output_dir;
    char path[1100];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "--output: cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    if (write_file(dir, "summary.txt", report_summary, cfg, res, err, errlen) != 0) return -1;
    if (write_file(dir, "raw.txt", report_raw, cfg, res, err, errlen) != 0) return -1;
    return write_file(dir, "results.csv", csv_with_header, cfg, res, err, errlen);
}
