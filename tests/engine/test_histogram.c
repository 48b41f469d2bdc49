/* Unit tests for engine/histogram: percentiles against a sorted-array reference over
 * many random distributions, exact merge, mean, serialisation round trip and size,
 * and rejection of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/histogram.h"

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static double unif(void) { return ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0; }
static double normal(void) { return sqrt(-2.0 * log(unif())) * cos(6.283185307179586 * unif()); }

static uint64_t clamp_range(double v) {
    if (v < (double)HISTOGRAM_MIN_NS) return HISTOGRAM_MIN_NS;
    if (v > (double)HISTOGRAM_MAX_NS) return HISTOGRAM_MAX_NS;
    return (uint64_t)v;
}

typedef enum { D_UNIFORM, D_LOGNORMAL, D_EXPONENTIAL, D_BIMODAL, D_PARETO, D_CONSTANT, D_WIDE, D_COUNT } dist;

static uint64_t sample(dist d, double a, double b) {
    switch (d) {
    case D_UNIFORM: return clamp_range(a + unif() * b);
    case D_LOGNORMAL: return clamp_range(a * exp(0.1 + normal() * (b / 1e6)));
    case D_EXPONENTIAL: return clamp_range(a - b * log(unif()));
    case D_BIMODAL: return clamp_range(unif() < 0.9 ? a * (1 + 0.1 * normal()) : a * 40 * (1 + 0.1 * normal()));
    case D_PARETO: return clamp_range(a / pow(unif(), 1.0 / 1.2));
    case D_CONSTANT: return clamp_range(a);
    case D_WIDE: return clamp_range(exp(log(1000.0) + unif() * (log(6e10) - log(1000.0))));
    default: return HISTOGRAM_MIN_NS;
    }
}

static int cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static uint64_t reference_percentile(const uint64_t *sorted, size_t n, double p) {
    double want = p / 100.0 * (double)n;
    size_t rank = (size_t)want;
    if ((double)rank < want) rank++;
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

static const double PCTS[] = {0.001, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};

static void check_percentiles(const histogram *h, const uint64_t *sorted, size_t n) {
    for (size_t k = 0; k < sizeof PCTS / sizeof PCTS[0]; k++) {
        uint64_t ref = reference_percentile(sorted, n, PCTS[k]);
        uint64_t got = histogram_percentile_ns(h, PCTS[k]);
        double rel = fabs((double)got - (double)ref) / (double)ref;
        if (rel > 0.01) fail_msg("p%g: got %llu want %llu (rel err %.4f)", PCTS[k], (unsigned long long)got,
                                 (unsigned long long)ref, rel);
    }
}

static void test_percentiles_match_sorted_reference(void **state) {
    (void)state;
    enum { N = 20000 };
    uint64_t *vals = malloc(N * sizeof *vals);
    histogram *h = malloc(sizeof *h);
    assert_non_null(vals);
    assert_non_null(h);
    for (int round = 0; round < 140; round++) {
        dist d = (dist)(round % D_COUNT);
        double a = exp(log(1500.0) + unif() * (log(2e9) - log(1500.0))); /* location 1.5 us .. 2 s */
        double b = a * (0.05 + unif() * 3);
        if (d == D_LOGNORMAL) b = (0.1 + unif()) * 1e6; /* sigma, scaled */
        size_t n = 1 + (size_t)(rnd() % N);
        histogram_init(h);
        for (size_t i = 0; i < n; i++) {
            vals[i] = sample(d, a, b);
            histogram_record(h, vals[i]);
        }
        qsort(vals, n, sizeof *vals, cmp_u64);
        assert_int_equal(h->total, n);
        assert_int_equal(h->min_ns, vals[0]);
        assert_int_equal(h->max_ns, vals[n - 1]);
        check_percentiles(h, vals, n);
    }
    free(vals);
    free(h);
}

static void test_every_bucket_boundary_within_one_percent(void **state) {
    (void)state;
    /* Walk the whole range in steps of ~0.1%: a single sample's percentile must be
     * itself (clamping), and two samples v and v*1.005 must each be reported within 1%. */
    histogram *h = malloc(sizeof *h);
    assert_non_null(h);
    for (double v = 1000; v <= 6e10; v *= 1.001) {
        uint64_t a = (uint64_t)v, b = (uint64_t)(v * 1.005);
        if (b > HISTOGRAM_MAX_NS) break;
        histogram_init(h);
        histogram_record(h, a);
        histogram_record(h, b);
        histogram_record(h, b + 1);
        uint64_t p1 = histogram_percentile_ns(h, 1);
        assert_true(p1 >= a && (double)p1 <= (double)a * 1.01);
        assert_int_equal(histogram_percentile_ns(h, 100), b + 1);
    }
    free(h);
}

static void test_empty_and_out_of_range(void **state) {
    (void)state;
    histogram h;
    histogram_init(&h);
    assert_int_equal(histogram_percentile_ns(&h, 50), 0);
    assert_true(histogram_mean_ns(&h) == 0.0);
    assert_int_equal(h.min_ns, UINT64_MAX);
    histogram_record(&h, 5);                   /* below range: first bucket */
    histogram_record(&h, 120000000000ULL);     /* above: overflow, exact max kept */
    histogram_record(&h, UINT64_MAX);
    assert_int_equal(h.counts[0], 1);
    assert_int_equal(h.counts[HISTOGRAM_BUCKETS - 1], 2);
    assert_int_equal(histogram_percentile_ns(&h, 100), UINT64_MAX);
    /* Below-range samples report the first bucket's upper bound (1 us + <1%). */
    uint64_t first = histogram_percentile_ns(&h, 10);
    assert_true(first >= HISTOGRAM_MIN_NS && first < HISTOGRAM_MIN_NS * 101 / 100);
    assert_int_equal(histogram_percentile_ns(&h, 0), first); /* p <= 0 means the smallest */
    assert_int_equal(histogram_percentile_ns(&h, 1000), UINT64_MAX);
    assert_int_equal(histogram_percentile_ns(&h, NAN), first);
}

static void test_mean_is_exact(void **state) {
    (void)state;
    histogram h;
    histogram_init(&h);
    long double sum = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t v = 1 + rnd() % 5000000;
        sum += v;
        histogram_record(&h, v);
    }
    double want = (double)(sum / 100000);
    assert_true(fabs(histogram_mean_ns(&h) - want) < 1e-6 * want);
}

static void assert_histograms_equal(const histogram *a, const histogram *b) {
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++)
        if (a->counts[i] != b->counts[i])
            fail_msg("bucket %u: %llu != %llu", i, (unsigned long long)a->counts[i], (unsigned long long)b->counts[i]);
    assert_int_equal(a->total, b->total);
    assert_int_equal(a->min_ns, b->min_ns);
    assert_int_equal(a->max_ns, b->max_ns);
    assert_int_equal(a->sum_us, b->sum_us);
    assert_int_equal(a->sum_ns_rem, b->sum_ns_rem);
}

static void test_merge_is_exact(void **state) {
    (void)state;
    enum { PARTS = 7, N = 30000 };
    histogram *all = malloc(sizeof *all), *parts = malloc(PARTS * sizeof *parts), *merged = malloc(sizeof *merged);
    uint64_t *vals = malloc(N * sizeof *vals);
    assert_true(all && parts && merged && vals);
    for (int round = 0; round < 20; round++) {
        histogram_init(all);
        for (int k = 0; k < PARTS; k++) histogram_init(&parts[k]);
        dist d = (dist)(round % D_COUNT);
        for (size_t i = 0; i < N; i++) {
            /* Each part gets a different slice of a shifting distribution. */
            int k = (int)(rnd() % PARTS);
            vals[i] = sample(d, 2000.0 * (k + 1) * (round + 1), 5000.0 * (k + 1));
            if (d == D_LOGNORMAL) vals[i] = sample(d, 2000.0 * (k + 1), 0.7e6);
            histogram_record(all, vals[i]);
            histogram_record(&parts[k], vals[i]);
        }
        histogram_init(merged);
        for (int k = PARTS - 1; k >= 0; k--) histogram_merge(merged, &parts[k]);
        assert_histograms_equal(merged, all);
        qsort(vals, N, sizeof *vals, cmp_u64);
        check_percentiles(merged, vals, N);
        for (size_t k = 0; k < sizeof PCTS / sizeof PCTS[0]; k++)
            assert_int_equal(histogram_percentile_ns(merged, PCTS[k]), histogram_percentile_ns(all, PCTS[k]));
        assert_true(histogram_mean_ns(merged) == histogram_mean_ns(all));
    }
    /* Merging an empty histogram changes nothing, into empty gives a copy. */
    histogram_init(&parts[0]);
    histogram_merge(merged, &parts[0]);
    assert_histograms_equal(merged, all);
    histogram_merge(&parts[0], all);
    assert_histograms_equal(&parts[0], all);
    free(all);
    free(parts);
    free(merged);
    free(vals);
}

/* record_n(v, n) is n record(v)s, including the carries of the sub-microsecond sums. */
static void test_record_n_is_repeated_record(void **state) {
    (void)state;
    histogram *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_true(a && b);
    histogram_init(a);
    histogram_init(b);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = i % 50 == 0 ? HISTOGRAM_MAX_NS + rnd() % 1000 : 1 + rnd() % 80000000, n = rnd() % 40;
        if (i % 7 == 0) v = 999 + i % 3;
        histogram_record_n(a, v, n);
        for (uint64_t k = 0; k < n; k++) histogram_record(b, v);
    }
    histogram_record_n(a, 12345, 0); /* nothing, not even min/max */
    assert_histograms_equal(a, b);
    free(a);
    free(b);
}

static void test_roundtrip_and_size(void **state) {
    (void)state;
    histogram *h = malloc(sizeof *h), *back = malloc(sizeof *back);
    char *buf = malloc(65536), err[160];
    assert_true(h && back && buf);
    for (int round = 0; round < 60; round++) {
        histogram_init(h);
        dist d = (dist)(round % D_COUNT);
        size_t n = round == 0 ? 0 : (size_t)(rnd() % 200000);
        for (size_t i = 0; i < n; i++) histogram_record(h, sample(d, 3000.0 + round * 10000.0, d == D_LOGNORMAL ? 5e5 : 80000.0));
        if (round == 1) histogram_record(h, UINT64_MAX); /* overflow bucket + huge max */
        size_t len = histogram_serialize(h, buf, 65536);
        assert_true(len > 0);
        assert_int_equal(strlen(buf), len);
        assert_int_equal(histogram_deserialize(back, buf, len, err, sizeof err), 0);
        assert_histograms_equal(back, h);
        /* Too small a buffer: 0, never a truncated string. */
        assert_int_equal(histogram_serialize(h, buf, len), 0);
    }
    /* A typical benchmark latency distribution: 500k requests, lognormal around 1 ms
     * with a 40x tail. Several must fit in one 4096-byte termination message. */
    histogram_init(h);
    for (int i = 0; i < 500000; i++)
        histogram_record(h, i % 1000 ? sample(D_LOGNORMAL, 900000, 0.35e6) : sample(D_LOGNORMAL, 20e6, 0.5e6));
    size_t len = histogram_serialize(h, buf, 65536);
    print_message("typical 500k-sample histogram serialises to %zu bytes\n", len);
    assert_true(len > 0 && len < 1024);
    free(h);
    free(back);
    free(buf);
}

/* ---- hand-built malformed input, written from the format described in histogram.c ---- */

typedef struct {
    uint8_t bit[8192];
    size_t n;
    uint64_t rice_a;
    uint32_t rice_n;
    int pad_ones; /* fill the padding with ones instead of zeros */
} bits;

static void pb(bits *b, uint64_t v, unsigned n) {
    while (n--) b->bit[b->n++] = (uint8_t)((v >> n) & 1);
}
static void rv(bits *b, uint64_t v) {
    while (v >= 0x80) {
        pb(b, (v & 0x7f) | 0x80, 8);
        v >>= 7;
    }
    pb(b, v, 8);
}
static void eg(bits *b, uint64_t v) {
    unsigned nb = 64 - (unsigned)__builtin_clzll(v + 1);
    pb(b, 0, nb - 1);
    pb(b, v + 1, nb);
}
static unsigned rice_k(const bits *b) {
    unsigned k = 0;
    while (k < 58 && ((uint64_t)b->rice_n << k) < b->rice_a) k++;
    return k;
}
static void rice_done(bits *b, uint64_t u) {
    b->rice_a = b->rice_a + u < b->rice_a ? UINT64_MAX : b->rice_a + u;
    if (++b->rice_n >= 16) {
        b->rice_a >>= 1;
        b->rice_n >>= 1;
    }
}
/* A count given as its signed difference from the previous non-empty bucket. */
static void rc(bits *b, int64_t delta) {
    uint64_t d = (uint64_t)delta, u = (d << 1) ^ (0 - (d >> 63));
    unsigned k = rice_k(b);
    if ((u >> k) >= 24) {
        pb(b, UINT64_MAX, 24);
        pb(b, u, 64);
    } else {
        pb(b, UINT64_MAX, (unsigned)(u >> k));
        pb(b, 0, 1);
        pb(b, u, k);
    }
    rice_done(b, u);
}
/* An escaped count although the short form would do: non-canonical. */
static void rc_escaped(bits *b, uint64_t u) {
    pb(b, UINT64_MAX, 24);
    pb(b, u, 64);
    rice_done(b, u);
}

static void to_text(const bits *src, char *out) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    bits b = *src;
    while (b.n % 8) b.bit[b.n++] = (uint8_t)b.pad_ones;
    while (b.n % 6) b.bit[b.n++] = (uint8_t)b.pad_ones;
    size_t o = 0;
    for (size_t i = 0; i < b.n; i += 6) {
        unsigned v = 0;
        for (int j = 0; j < 6; j++) v = (v << 1) | b.bit[i + (size_t)j];
        out[o++] = A[v];
    }
    out[o] = 0;
}

/* version, total, min, max, sum_us, rem, nruns; the caller appends the runs */
static bits *header(bits *b, uint64_t total, uint64_t min, uint64_t max, uint64_t sum_us, uint64_t rem,
                    uint64_t nruns) {
    memset(b, 0, sizeof *b);
    b->rice_a = 4;
    b->rice_n = 1;
    pb(b, 1, 8);
    rv(b, total);
    rv(b, min);
    rv(b, max);
    rv(b, sum_us);
    rv(b, rem);
    rv(b, nruns);
    return b;
}

static void expect_reject(const bits *b, const char *why) {
    static char s[4096];
    char err[160] = "";
    histogram h;
    to_text(b, s);
    if (histogram_deserialize(&h, s, strlen(s), err, sizeof err) == 0) fail_msg("accepted: %s", why);
    assert_true(strlen(err) > 0);
    assert_int_equal(h.total, 0); /* left empty, never half-filled */
}

static void test_rejects_malformed(void **state) {
    (void)state;
    static bits b;
    static char s[4096];
    char err[160];
    histogram h;
    /* Sanity: a well-formed two-sample histogram (2 us, 2 us) built by hand is accepted,
     * and the library writes exactly the same string. */
    header(&b, 2, 2000, 2000, 4, 0, 1);
    eg(&b, 128); /* first run starts at bucket 128: 2 us */
    eg(&b, 0);   /* length 1 */
    rc(&b, 2);
    to_text(&b, s);
    assert_int_equal(histogram_deserialize(&h, s, strlen(s), err, sizeof err), 0);
    assert_int_equal(histogram_percentile_ns(&h, 50), 2000);
    char again[64];
    histogram ref;
    histogram_init(&ref);
    histogram_record(&ref, 2000);
    histogram_record(&ref, 2000);
    assert_true(histogram_serialize(&ref, again, sizeof again) > 0);
    assert_string_equal(again, s);
    b.pad_ones = 1;
    expect_reject(&b, "non-zero padding bits");

    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 0); rc(&b, 3);
    expect_reject(&b, "counts do not add up");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 0); rc(&b, 2); pb(&b, 0, 8);
    expect_reject(&b, "trailing byte");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, HISTOGRAM_BUCKETS); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "index past the end");
    header(&b, 2, 2000, 2000, 4, 0, 1); pb(&b, 0, 40); pb(&b, 1, 1); pb(&b, 0, 40); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "huge gap");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, HISTOGRAM_BUCKETS - 1); eg(&b, 1); rc(&b, 1); rc(&b, 0);
    expect_reject(&b, "run past the end");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 1); rc(&b, 2); rc(&b, -2);
    expect_reject(&b, "zero count inside a run");
    header(&b, 2, 2000, 2000, 4, 0, 0);
    expect_reject(&b, "no runs for a non-empty histogram");
    header(&b, 2, 2000, 2000, 4, 0, 1000000);
    expect_reject(&b, "absurd run count");
    header(&b, 2, 3000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "min above max");
    header(&b, 2, 2000, 2000, 4, 1000, 1); eg(&b, 128); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "remainder >= 1000");
    header(&b, 2, 9000, 9000, 18, 0, 1); eg(&b, 128); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "min/max not in the occupied buckets");
    header(&b, 2, 2000, 2000, 999, 0, 1); eg(&b, 128); eg(&b, 0); rc(&b, 2);
    expect_reject(&b, "sum impossible for min/max");
    header(&b, UINT64_MAX, 2000, 2000, 4, 0, 2); eg(&b, 128); eg(&b, 0); rc(&b, -1); /* count 2^64-1 */
    eg(&b, 0); eg(&b, 0); rc(&b, 6);
    expect_reject(&b, "count sum overflows");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 0);
    expect_reject(&b, "truncated");
    header(&b, 2, 2000, 2000, 4, 0, 1); eg(&b, 128); eg(&b, 0); rc_escaped(&b, 4);
    expect_reject(&b, "escaped small count");
    memset(&b, 0, sizeof b); pb(&b, 2, 8); rv(&b, 0);
    expect_reject(&b, "unknown version");
    memset(&b, 0, sizeof b); pb(&b, 1, 8); pb(&b, 0x80, 8); pb(&b, 0, 8);
    expect_reject(&b, "non-minimal varint");
    memset(&b, 0, sizeof b); pb(&b, 1, 8); for (int i = 0; i < 10; i++) pb(&b, 0xff, 8); pb(&b, 1, 8);
    expect_reject(&b, "11-byte varint");
    memset(&b, 0, sizeof b); pb(&b, 1, 8); for (int i = 0; i < 9; i++) pb(&b, 0xff, 8); pb(&b, 2, 8);
    expect_reject(&b, "varint over 64 bits");

    /* Text-level garbage. */
    const char *bad[] = {"", "A", "AQ", "AQA=", "AQ+", "AQ/", "AQ A", "AR", "AQA\n", "AQB", "AQAA", "AQAAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (histogram_deserialize(&h, bad[i], strlen(bad[i]), err, sizeof err) == 0) fail_msg("accepted '%s'", bad[i]);
    assert_int_equal(histogram_deserialize(&h, NULL, 0, err, sizeof err), -1);
    /* "AQA" is version 1, total 0: the empty histogram. */
    assert_int_equal(histogram_deserialize(&h, "AQA", 3, err, sizeof err), 0);
    assert_int_equal(h.total, 0);
    size_t big = 200000;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, 'A', big);
    huge[1] = 'Q';
    assert_int_equal(histogram_deserialize(&h, huge, big, err, sizeof err), -1);
    free(huge);
}

static void test_every_truncation_and_flip_is_safe(void **state) {
    (void)state;
    histogram *h = malloc(sizeof *h), *back = malloc(sizeof *back);
    char buf[8192], again[8192], err[160];
    assert_true(h && back);
    histogram_init(h);
    for (int i = 0; i < 5000; i++) histogram_record(h, sample(D_LOGNORMAL, 300000, 0.6e6));
    size_t len = histogram_serialize(h, buf, sizeof buf);
    assert_true(len > 0);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(histogram_deserialize(back, buf, cut, err, sizeof err), -1);
    /* A flipped character is either rejected or yields a histogram whose own
     * serialisation is exactly the input (the encoding is canonical). */
    for (size_t i = 0; i < len; i++) {
        char saved = buf[i];
        buf[i] = saved == 'A' ? 'B' : 'A';
        if (histogram_deserialize(back, buf, len, err, sizeof err) == 0) {
            size_t l2 = histogram_serialize(back, again, sizeof again);
            assert_int_equal(l2, len);
            assert_memory_equal(again, buf, len);
        }
        buf[i] = saved;
    }
    free(h);
    free(back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_match_sorted_reference),
        cmocka_unit_test(test_every_bucket_boundary_within_one_percent),
        cmocka_unit_test(test_empty_and_out_of_range),
        cmocka_unit_test(test_mean_is_exact),
        cmocka_unit_test(test_merge_is_exact),
        cmocka_unit_test(test_record_n_is_repeated_record),
        cmocka_unit_test(test_roundtrip_and_size),
        cmocka_unit_test(test_rejects_malformed),
        cmocka_unit_test(test_every_truncation_and_flip_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
