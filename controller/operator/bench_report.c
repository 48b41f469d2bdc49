/* operator/bench_report: see bench_report.h. */
#include "operator/bench_report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *str_at(const json_t *o, const char *path) {
    char key[128];
    const json_t *cur = o;
    while (cur && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        snprintf(key, sizeof key, "%.*s", (int)n, path);
        cur = json_object_get(cur, key);
        path += n + (dot ? 1 : 0);
    }
    return json_string_value(cur);
}

static const json_t *at(const json_t *o, const char *a, const char *b) {
    return json_object_get(json_object_get(o, a), b);
}

static long long int_or(const json_t *v, long long def) {
    return json_is_integer(v) ? json_integer_value(v) : def;
}

static const json_t *results_of(const json_t *bench, char *err, size_t errlen) {
    const json_t *r = at(bench, "status", "results");
    const char *name = str_at(bench, "metadata.name");
    if (json_array_size(r) == 0) {
        const char *phase = str_at(bench, "status.phase");
        snprintf(err, errlen, "benchmark %s has no results yet (phase %s)", name ? name : "?",
                 phase ? phase : "unknown");
        return NULL;
    }
    return r;
}

/* "2026-05-22T23:17:43Z" -> "20260522-231743" */
static void csv_timestamp(const char *rfc3339, char *out, size_t cap) {
    int y, mo, d, h, mi, s;
    if (rfc3339 && sscanf(rfc3339, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6)
        snprintf(out, cap, "%04d%02d%02d-%02d%02d%02d", y, mo, d, h, mi, s);
    else
        snprintf(out, cap, "unknown");
}

static const char *mode_of(const json_t *bench) {
    const char *m = str_at(bench, "spec.target.mode");
    return m ? m : "cluster";
}

int bench_report_csv(FILE *out, const json_t *bench, bool header, char *err, size_t errlen) {
    const json_t *results = results_of(bench, err, errlen);
    if (!results) return -1;
    const json_t *w = at(bench, "spec", "workload");
    const char *workload = str_at(bench, "spec.workloadName");
    char ts[32];
    csv_timestamp(str_at(bench, "status.completionTime"), ts, sizeof ts);
    if (header) fprintf(out, "%s\n", BENCH_REPORT_CSV_HEADER);
    size_t i;
    json_t *r;
    int rows = 0;
    json_array_foreach(results, i, r) {
        fprintf(out, "%s,%s,%s,%.0f,%.3f,%lld,%lld,%lld,%s\n", workload && *workload ? workload : mode_of(bench),
                mode_of(bench), json_string_value(json_object_get(r, "test")),
                json_number_value(json_object_get(r, "rps")), json_number_value(json_object_get(r, "p50Ms")),
                int_or(json_object_get(w, "clients"), 50), int_or(json_object_get(w, "pipeline"), 16),
                int_or(json_object_get(w, "dataSize"), 256), ts);
        rows++;
    }
    return rows;
}

int bench_report_table(FILE *out, const json_t *bench, char *err, size_t errlen) {
    const json_t *results = results_of(bench, err, errlen);
    if (!results) return -1;
    const char *ns = str_at(bench, "metadata.namespace"), *run = str_at(bench, "status.runID");
    fprintf(out, "Benchmark %s/%s  mode %s  runners %lld  phase %s  run %s\n", ns ? ns : "default",
            str_at(bench, "metadata.name"), mode_of(bench), int_or(at(bench, "spec", "runners"), 1),
            str_at(bench, "status.phase") ? str_at(bench, "status.phase") : "-", run ? run : "-");
    fprintf(out, "%-6s %12s %12s %8s %9s %9s %9s %9s %9s %9s %9s %9s\n", "Test", "Requests/s", "Requests",
            "Errors", "Redirects", "Elapsed-s", "avg(ms)", "p50(ms)", "p95(ms)", "p99(ms)", "p99.9(ms)", "max(ms)");
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
#define N(k) json_number_value(json_object_get(r, k))
        fprintf(out, "%-6s %12.0f %12lld %8lld %9lld %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n",
                json_string_value(json_object_get(r, "test")), N("rps"), int_or(json_object_get(r, "requests"), 0),
                int_or(json_object_get(r, "errors"), 0), int_or(json_object_get(r, "redirects"), 0),
                N("elapsedSeconds"), N("avgMs"), N("p50Ms"), N("p95Ms"), N("p99Ms"), N("p999Ms"), N("maxMs"));
#undef N
    }
    return (int)json_array_size(results);
}

/* 1234567.8 -> "1,234,568" */
static void thousands(double v, char *out, size_t cap) {
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v < 0 ? 0 : v);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

static const json_t *find_test(const json_t *results, const char *test) {
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r) {
        const char *t = json_string_value(json_object_get(r, "test"));
        if (t && !strcmp(t, test)) return r;
    }
    return NULL;
}

static void cell(const json_t *r, char *out, size_t cap) {
    if (!r) {
        snprintf(out, cap, "-");
        return;
    }
    char rps[32];
    thousands(json_number_value(json_object_get(r, "rps")), rps, sizeof rps);
    snprintf(out, cap, "%s rps · p50 %.3f ms", rps, json_number_value(json_object_get(r, "p50Ms")));
}

static void speedup(const json_t *a, const json_t *b, char *out, size_t cap) {
    if (!a || !b) {
        snprintf(out, cap, "-");
        return;
    }
    double ra = json_number_value(json_object_get(a, "rps")), rb = json_number_value(json_object_get(b, "rps"));
    double pa = json_number_value(json_object_get(a, "p50Ms")), pb = json_number_value(json_object_get(b, "p50Ms"));
    char r[48], p[48];
    double x = rb > 0 ? ra / rb : NAN;
    if (isnan(x) || fabs(x - 1) < 0.05)
        snprintf(r, sizeof r, "parity rps");
    else
        snprintf(r, sizeof r, "%.1f× rps", x);
    double y = pa > 0 ? pb / pa : NAN;
    if (isnan(y) || fabs(y - 1) < 0.05)
        snprintf(p, sizeof p, "parity p50");
    else if (y > 1)
        snprintf(p, sizeof p, "%.1f× lower p50", y);
    else
        snprintf(p, sizeof p, "%.1f× higher p50", 1 / y);
    snprintf(out, cap, "%s · %s", r, p);
}

static void label(const json_t *bench, char *out, size_t cap) {
    snprintf(out, cap, "%s (%s, %lld runner%s)", str_at(bench, "metadata.name"), mode_of(bench),
             int_or(at(bench, "spec", "runners"), 1), int_or(at(bench, "spec", "runners"), 1) == 1 ? "" : "s");
}

int bench_report_compare(FILE *out, const json_t *a, const json_t *b, char *err, size_t errlen) {
    const json_t *ra = results_of(a, err, errlen), *rb = ra ? results_of(b, err, errlen) : NULL;
    if (!ra || !rb) return -1;
    char la[300], lb[300];
    label(a, la, sizeof la);
    label(b, lb, sizeof lb);
    fprintf(out, "| Test | %s | %s | %s speedup |\n|---|---|---|---|\n", la, lb, str_at(a, "metadata.name"));
    int rows = 0;
    const json_t *lists[2] = {ra, rb};
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *r;
        json_array_foreach(lists[l], i, r) {
            const char *test = json_string_value(json_object_get(r, "test"));
            if (!test || (l == 1 && find_test(ra, test))) continue;
            const json_t *x = find_test(ra, test), *y = find_test(rb, test);
            char cx[96], cy[96], sp[128];
            cell(x, cx, sizeof cx);
            cell(y, cy, sizeof cy);
            speedup(x, y, sp, sizeof sp);
            fprintf(out, "| %s | %s | %s | %s |\n", test, cx, cy, sp);
            rows++;
        }
    }
    return rows;
}
