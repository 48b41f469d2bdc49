/* kube/metrics: a tiny Prometheus registry rendered in the text exposition format 0.0.4.
 *
 * A family (counter, gauge or histogram) has a name and help text; its series are
 * told apart by a label set given as "name", "value" pairs:
 *   kube_metric *m = kube_metrics_counter(reg, "controller_runtime_reconcile_total", "...");
 *   kube_metric_add(m, 1, "controller", "valkeybenchmark", "result", "success", NULL);
 * Label values are escaped on output. A family created twice returns the same family.
 * Gauges that are cheaper to read than to track (queue depth) are refreshed by collect
 * callbacks run just before rendering. Thread-safe. */
#ifndef VB_KUBE_METRICS_H
#define VB_KUBE_METRICS_H

#include <stddef.h>

typedef struct kube_metrics kube_metrics;
typedef struct kube_metric kube_metric;

kube_metrics *kube_metrics_new(void);
void kube_metrics_free(kube_metrics *reg);

kube_metric *kube_metrics_counter(kube_metrics *reg, const char *name, const char *help);
kube_metric *kube_metrics_gauge(kube_metrics *reg, const char *name, const char *help);
/* bounds: ascending upper bounds (the +Inf bucket is implicit); NULL/0 uses
 * controller-runtime's reconcile-time buckets (5 ms .. 60 s). */
kube_metric *kube_metrics_histogram(kube_metrics *reg, const char *name, const char *help,
                                    const double *bounds, size_t nbounds);

/* Label pairs end with NULL. add: counters and gauges; set: gauges; observe: histograms. */
void kube_metric_add(kube_metric *m, double v, ...);
void kube_metric_set(kube_metric *m, double v, ...);
void kube_metric_observe(kube_metric *m, double v, ...);
/* Current value of a counter/gauge series (histograms: the observation count); 0 if absent. */
double kube_metric_value(kube_metric *m, ...);

typedef void (*kube_metrics_collect_fn)(kube_metrics *reg, void *ud);
void kube_metrics_on_collect(kube_metrics *reg, kube_metrics_collect_fn fn, void *ud);

/* The whole registry as Prometheus text; malloc'd, the caller frees it. */
char *kube_metrics_render(kube_metrics *reg);

#endif
