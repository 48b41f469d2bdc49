#include "kube/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { M_COUNTER, M_GAUGE, M_HISTOGRAM } metric_type;

typedef struct series {
    char *labels;          /* rendered label set without braces: a="x",b="y" ("" for none) */
    double value;          /* counter/gauge value; histogram sum */
    unsigned long long count;
    unsigned long long *buckets; /* histogram: cumulative at render time, per-bucket here */
    struct series *next;
} series;

struct kube_metric {
    kube_metrics *reg;
    char *name, *help;
    metric_type type;
    double *bounds;
    size_t nbounds;
    series *series;
    struct kube_metric *next;
};

typedef struct collector {
    kube_metrics_collect_fn fn;
    void *ud;
    struct collector *next;
} collector;

struct kube_metrics {
    pthread_mutex_t mu;
    kube_metric *families, *last;
    collector *collectors;
};

static const double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35,
                                        0.4,   0.45, 0.5,   0.6,  0.7, 0.8,  0.9, 1.0,  1.25, 1.5,
                                        1.75,  2.0,  2.5,   3.0,  3.5, 4.0,  4.5, 5,    6,    7,
                                        8,     9,    10,    15,   20,  25,   30,  40,   50,   60};

kube_metrics *kube_metrics_new(void) {
    kube_metrics *r = calloc(1, sizeof *r);
    if (r) pthread_mutex_init(&r->mu, NULL);
    return r;
}

void kube_metrics_free(kube_metrics *reg) {
    if (!reg) return;
    for (kube_metric *m = reg->families, *mn; m; m = mn) {
        mn = m->next;
        for (series *s = m->series, *sn; s; s = sn) {
            sn = s->next;
            free(s->labels);
            free(s->buckets);
            free(s);
        }
        free(m->name);
        free(m->help);
        free(m->bounds);
        free(m);
    }
    for (collector *c = reg->collectors, *cn; c; c = cn) {
        cn = c->next;
        free(c);
    }
    pthread_mutex_destroy(&reg->mu);
    free(reg);
}

static kube_metric *family(kube_metrics *reg, const char *name, const char *help, metric_type t,
                           const double *bounds, size_t nbounds) {
    pthread_mutex_lock(&reg->mu);
    for (kube_metric *m = reg->families; m; m = m->next)
        if (strcmp(m->name, name) == 0) {
            pthread_mutex_unlock(&reg->mu);
            return m;
        }
    kube_metric *m = calloc(1, sizeof *m);
    m->reg = reg;
    m->name = strdup(name);
    m->help = strdup(help ? help : "");
    m->type = t;
    if (t == M_HISTOGRAM) {
        if (!bounds || !nbounds) {
            bounds = default_bounds;
            nbounds = sizeof default_bounds / sizeof default_bounds[0];
        }
        m->bounds = malloc(nbounds * sizeof *bounds);
        memcpy(m->bounds, bounds, nbounds * sizeof *bounds);
        m->nbounds = nbounds;
    }
    if (reg->last) reg->last->next = m;
    else reg->families = m;
    reg->last = m;
    pthread_mutex_unlock(&reg->mu);
    return m;
}

kube_metric *kube_metrics_counter(kube_metrics *reg, const char *name, const char *help) {
    return family(reg, name, help, M_COUNTER, NULL, 0);
}
kube_metric *kube_metrics_gauge(kube_metrics *reg, const char *name, const char *help) {
    return family(reg, name, help, M_GAUGE, NULL, 0);
}
kube_metric *kube_metrics_histogram(kube_metrics *reg, const char *name, const char *help,
                                    const double *bounds, size_t nbounds) {
    return family(reg, name, help, M_HISTOGRAM, bounds, nbounds);
}

/* Renders the NULL-terminated label pairs as a="x",b="y" with Prometheus escaping. */
static void render_labels(char *buf, size_t cap, va_list ap) {
    size_t len = 0;
    buf[0] = '\0';
    const char *k;
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (!v) v = "";
        len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, "%s%s=\"", len ? "," : "", k);
        for (const char *p = v; *p && len + 3 < cap; p++) {
            if (*p == '\\' || *p == '"') buf[len++] = '\\', buf[len++] = *p;
            else if (*p == '\n') buf[len++] = '\\', buf[len++] = 'n';
            else buf[len++] = *p;
        }
        if (len + 1 < cap) buf[len++] = '"';
        if (len >= cap) len = cap - 1;
        buf[len] = '\0';
    }
}

/* Caller holds reg->mu. */
static series *find_series(kube_metric *m, const char *labels, bool create) {
    for (series *s = m->series; s; s = s->next)
        if (strcmp(s->labels, labels) == 0) return s;
    if (!create) return NULL;
    series *s = calloc(1, sizeof *s);
    s->labels = strdup(labels);
    if (m->type == M_HISTOGRAM) s->buckets = calloc(m->nbounds, sizeof *s->buckets);
    /* Keep series sorted by labels so output is stable. */
    series **pp = &m->series;
    while (*pp && strcmp((*pp)->labels, labels) < 0) pp = &(*pp)->next;
    s->next = *pp;
    *pp = s;
    return s;
}

void kube_metric_add(kube_metric *m, double v, ...) {
    char labels[512];
    va_list ap;
    va_start(ap, v);
    render_labels(labels, sizeof labels, ap);
    va_end(ap);
    pthread_mutex_lock(&m->reg->mu);
    find_series(m, labels, true)->value += v;
    pthread_mutex_unlock(&m->reg->mu);
}

void kube_metric_set(kube_metric *m, double v, ...) {
    char labels[512];
    va_list ap;
    va_start(ap, v);
    render_labels(labels, sizeof labels, ap);
    va_end(ap);
    pthread_mutex_lock(&m->reg->mu);
    find_series(m, labels, true)->value = v;
    pthread_mutex_unlock(&m->reg->mu);
}

void kube_metric_observe(kube_metric *m, double v, ...) {
    char labels[512];
    va_list ap;
    va_start(ap, v);
    render_labels(labels, sizeof labels, ap);
    va_end(ap);
    pthread_mutex_lock(&m->reg->mu);
    series *s = find_series(m, labels, true);
    s->value += v;
    s->count++;
    for (size_t i = 0; i < m->nbounds; i++)
        if (v <= m->bounds[i]) {
            s->buckets[i]++;
            break;
        }
    pthread_mutex_unlock(&m->reg->mu);
}

double kube_metric_value(kube_metric *m, ...) {
    char labels[512];
    va_list ap;
    va_start(ap, m);
    render_labels(labels, sizeof labels, ap);
    va_end(ap);
    pthread_mutex_lock(&m->reg->mu);
    series *s = find_series(m, labels, false);
    double v = !s ? 0 : m->type == M_HISTOGRAM ? (double)s->count : s->value;
    pthread_mutex_unlock(&m->reg->mu);
    return v;
}

void kube_metrics_on_collect(kube_metrics *reg, kube_metrics_collect_fn fn, void *ud) {
    collector *c = calloc(1, sizeof *c);
    c->fn = fn;
    c->ud = ud;
    pthread_mutex_lock(&reg->mu);
    c->next = reg->collectors;
    reg->collectors = c;
    pthread_mutex_unlock(&reg->mu);
}

/* Prometheus floats: integers without exponent, +Inf/-Inf/NaN spelled out. */
static void fmt_num(char *buf, size_t cap, double v) {
    if (isnan(v)) snprintf(buf, cap, "NaN");
    else if (isinf(v)) snprintf(buf, cap, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(buf, cap, "%.0f", v);
    else {
        /* Shortest spelling that reads back as the same double (0.1, not 0.10000000000000001). */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
    }
}

static void render_series(FILE *f, const kube_metric *m, const series *s) {
    char num[64];
    const char *sep = s->labels[0] ? "," : "";
    if (m->type != M_HISTOGRAM) {
        fmt_num(num, sizeof num, s->value);
        if (s->labels[0]) fprintf(f, "%s{%s} %s\n", m->name, s->labels, num);
        else fprintf(f, "%s %s\n", m->name, num);
        return;
    }
    unsigned long long cum = 0;
    for (size_t i = 0; i < m->nbounds; i++) {
        cum += s->buckets[i];
        fmt_num(num, sizeof num, m->bounds[i]);
        fprintf(f, "%s_bucket{%s%sle=\"%s\"} %llu\n", m->name, s->labels, sep, num, cum);
    }
    fprintf(f, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", m->name, s->labels, sep, s->count);
    fmt_num(num, sizeof num, s->value);
    if (s->labels[0]) {
        fprintf(f, "%s_sum{%s} %s\n", m->name, s->labels, num);
        fprintf(f, "%s_count{%s} %llu\n", m->name, s->labels, s->count);
    } else {
        fprintf(f, "%s_sum %s\n%s_count %llu\n", m->name, num, m->name, s->count);
    }
}

char *kube_metrics_render(kube_metrics *reg) {
    /* Collectors call back into the registry, so run them without holding mu. */
    pthread_mutex_lock(&reg->mu);
    collector *cs = reg->collectors;
    pthread_mutex_unlock(&reg->mu);
    for (collector *c = cs; c; c = c->next) c->fn(reg, c->ud);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&reg->mu);
    for (kube_metric *m = reg->families; m; m = m->next) {
        fprintf(f, "# HELP %s ", m->name);
        for (const char *p = m->help; *p; p++) {
            if (*p == '\\') fputs("\\\\", f);
            else if (*p == '\n') fputs("\\n", f);
            else fputc(*p, f);
        }
        fprintf(f, "\n# TYPE %s %s\n", m->name, type_names[m->type]);
        for (series *s = m->series; s; s = s->next) render_series(f, m, s);
    }
    pthread_mutex_unlock(&reg->mu);
    fclose(f);
    return buf;
}
