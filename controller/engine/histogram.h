/* engine/histogram: log-linear (HDR-style) latency histogram.
 *
 * Values are nanoseconds. Buckets cover 1 us .. 60 s with at most 1% relative error
 * (each power of two is split into HISTOGRAM_SUB_BUCKETS linear sub-buckets); values
 * below the range land in the first bucket, above it in an overflow bucket whose
 * exact maximum is still tracked in `max_ns`. Merging two histograms is exact
 * (bucket-wise sums), so runner pods' histograms merge into the same numbers a single
 * histogram of all samples would give. Not thread-safe: one histogram per thread,
 * merged at the end.
 */
#ifndef VB_ENGINE_HISTOGRAM_H
#define VB_ENGINE_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_MIN_NS 1000ULL            /* 1 us */
#define HISTOGRAM_MAX_NS 60000000000ULL     /* 60 s */
#define HISTOGRAM_SUB_BUCKETS 128           /* 1/128 < 1% relative error */
#define HISTOGRAM_MAGNITUDES 26             /* 2^26 us > 60 s */
#define HISTOGRAM_BUCKETS (HISTOGRAM_MAGNITUDES * HISTOGRAM_SUB_BUCKETS + 1) /* + overflow */

typedef struct histogram {
    uint64_t counts[HISTOGRAM_BUCKETS];
    uint64_t total;     /* number of recorded values */
    uint64_t min_ns;    /* exact minimum (UINT64_MAX when empty) */
    uint64_t max_ns;    /* exact maximum (0 when empty) */
    uint64_t sum_us;    /* sum of values in whole microseconds, for the mean without overflow */
    uint64_t sum_ns_rem;/* the sub-microsecond remainders, summed (kept < 1000 by carrying) */
} histogram;

void histogram_init(histogram *h);
void histogram_record(histogram *h, uint64_t value_ns);
/* The same as `count` calls of histogram_record (replies timed by one clock read). */
void histogram_record_n(histogram *h, uint64_t value_ns, uint64_t count);
/* dst += src, exactly. */
void histogram_merge(histogram *dst, const histogram *src);

double histogram_mean_ns(const histogram *h);
/* The value at percentile p (0 < p <= 100): the representative value (the bucket's
 * upper bound clamped to [min, max]) of the bucket holding the ceil(p/100 * total)-th
 * smallest sample; p <= 0 (or NaN) means the smallest, p > 100 the largest. 0 when
 * empty. Samples below 1 us report the first bucket's bound (just above 1 us). */
uint64_t histogram_percentile_ns(const histogram *h, double p);

/* Compact, printable serialisation (sparse runs of buckets, varints and adaptive Rice
 * codes, base64url): about one byte per non-empty bucket, e.g. ~860 bytes for 500k
 * samples spread lognormally (sigma 0.35) around 1 ms with a slow tail, so three or
 * four fit in a 4096-byte termination message. The encoding is canonical: a string
 * that deserialises re-serialises to itself.
 * histogram_serialize writes a NUL-terminated string and returns its length, or 0 if
 * cap is too small. histogram_deserialize returns 0, or -1 with err filled on any
 * malformed input (it never trusts lengths or indices from the input). */
size_t histogram_serialize(const histogram *h, char *buf, size_t cap);
int histogram_deserialize(histogram *h, const char *s, size_t len, char *err, size_t errlen);

#endif
