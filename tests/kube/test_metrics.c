/* Unit tests for kube/metrics: the Prometheus text exposition format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/metrics.h"

static void test_counter_and_gauge_text(void **state) {
    (void)state;
    kube_metrics *r = kube_metrics_new();
    kube_metric *c = kube_metrics_counter(r, "reconcile_total", "Reconciles per controller.");
    kube_metric *g = kube_metrics_gauge(r, "queue_depth", "Depth.");
    kube_metric_add(c, 1, "controller", "b", "result", "success", NULL);
    kube_metric_add(c, 2, "controller", "a", "result", "error", NULL);
    kube_metric_add(c, 1, "controller", "b", "result", "success", NULL);
    kube_metric_set(g, 7, NULL);
    kube_metric_set(g, 3, NULL);
    assert_true(kube_metrics_counter(r, "reconcile_total", "x") == c);
    char *txt = kube_metrics_render(r);
    assert_string_equal(txt,
                        "# HELP reconcile_total Reconciles per controller.\n"
                        "# TYPE reconcile_total counter\n"
                        "reconcile_total{controller=\"a\",result=\"error\"} 2\n"
                        "reconcile_total{controller=\"b\",result=\"success\"} 2\n"
                        "# HELP queue_depth Depth.\n"
                        "# TYPE queue_depth gauge\n"
                        "queue_depth 3\n");
    free(txt);
    assert_true(kube_metric_value(c, "controller", "b", "result", "success", NULL) == 2);
    assert_true(kube_metric_value(c, "controller", "zzz", NULL) == 0);
    kube_metrics_free(r);
}

static void test_histogram_buckets_cumulative(void **state) {
    (void)state;
    kube_metrics *r = kube_metrics_new();
    const double b[] = {0.1, 0.5, 1};
    kube_metric *h = kube_metrics_histogram(r, "dur_seconds", "Durations.", b, 3);
    kube_metric_observe(h, 0.05, "c", "x", NULL);
    kube_metric_observe(h, 0.5, "c", "x", NULL);
    kube_metric_observe(h, 0.75, "c", "x", NULL);
    kube_metric_observe(h, 3, "c", "x", NULL);
    char *txt = kube_metrics_render(r);
    assert_string_equal(txt,
                        "# HELP dur_seconds Durations.\n"
                        "# TYPE dur_seconds histogram\n"
                        "dur_seconds_bucket{c=\"x\",le=\"0.1\"} 1\n"
                        "dur_seconds_bucket{c=\"x\",le=\"0.5\"} 2\n"
                        "dur_seconds_bucket{c=\"x\",le=\"1\"} 3\n"
                        "dur_seconds_bucket{c=\"x\",le=\"+Inf\"} 4\n"
                        "dur_seconds_sum{c=\"x\"} 4.3\n"
                        "dur_seconds_count{c=\"x\"} 4\n");
    free(txt);
    kube_metrics_free(r);
}

static void test_label_values_escaped(void **state) {
    (void)state;
    kube_metrics *r = kube_metrics_new();
    kube_metric *c = kube_metrics_counter(r, "x_total", "Help with \\ and\nnewline.");
    kube_metric_add(c, 1, "v", "a\"b\\c\nd", NULL);
    char *txt = kube_metrics_render(r);
    assert_non_null(strstr(txt, "# HELP x_total Help with \\\\ and\\nnewline.\n"));
    assert_non_null(strstr(txt, "x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
    free(txt);
    kube_metrics_free(r);
}

static void collect(kube_metrics *r, void *ud) {
    kube_metric_set(kube_metrics_gauge(r, "depth", "D."), *(double *)ud, "name", "q", NULL);
}

static void test_collect_callback_runs_before_render(void **state) {
    (void)state;
    kube_metrics *r = kube_metrics_new();
    double depth = 5;
    kube_metrics_on_collect(r, collect, &depth);
    char *txt = kube_metrics_render(r);
    assert_non_null(strstr(txt, "depth{name=\"q\"} 5\n"));
    free(txt);
    depth = 9;
    txt = kube_metrics_render(r);
    assert_non_null(strstr(txt, "depth{name=\"q\"} 9\n"));
    free(txt);
    kube_metrics_free(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_and_gauge_text),
        cmocka_unit_test(test_histogram_buckets_cumulative),
        cmocka_unit_test(test_label_values_escaped),
        cmocka_unit_test(test_collect_callback_runs_before_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
