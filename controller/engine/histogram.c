/* engine/histogram: see histogram.h.
 *
 * Bucket layout: a value v (ns) is first scaled to x = v * 128 / 1000, i.e. units of
 * 1/128 us. Magnitude m is such that x lies in [128 << m, 256 << m); inside it the
 * 128 linear sub-buckets are (x >> m) - 128. A bucket's width is 2^m/128 us and its
 * smallest member is >= 2^m us, so the upper bound is within 1/128 (0.78%) of every
 * member: the percentile rule of the header never errs by more than that.
 *
 * Wire format (then base64url, no padding):
 *   u8 version (1)
 *   varint total
 *   total > 0: varint min_ns, max_ns, sum_us, sum_ns_rem, nruns, then per run of
 *              consecutive non-empty buckets: varint gap (start - end of previous run),
 *              varint length, varint first count, zigzag varint deltas of the rest.
 * Runs and count deltas keep a smooth latency distribution near 1.3 bytes per
 * bucket, which matters because several histograms share a 4096-byte message.
 */
#include "engine/histogram.h"

#include <stdio.h>
#include <string.h>

#define WIRE_VERSION 1
#define OVERFLOW_BUCKET (HISTOGRAM_BUCKETS - 1)

static unsigned bucket_of(uint64_t v) {
    if (v > HISTOGRAM_MAX_NS) return OVERFLOW_BUCKET;
    if (v < HISTOGRAM_MIN_NS) return 0;
    uint64_t x = v * 16 / 125; /* v * 128 / 1000, exact in 64 bits below 60 s */
    unsigned m = (unsigned)(63 - __builtin_clzll(x)) - 7;
    unsigned idx = m * HISTOGRAM_SUB_BUCKETS + (unsigned)((x >> m) - HISTOGRAM_SUB_BUCKETS);
    return idx < OVERFLOW_BUCKET ? idx : OVERFLOW_BUCKET;
}

/* The largest ns value that maps to bucket idx (not the overflow bucket). */
static uint64_t bucket_upper_ns(unsigned idx) {
    unsigned m = idx / HISTOGRAM_SUB_BUCKETS, sub = idx % HISTOGRAM_SUB_BUCKETS;
    uint64_t hi_x = (uint64_t)(HISTOGRAM_SUB_BUCKETS + sub + 1) << m; /* exclusive */
    /* x = floor(v*16/125) < hi_x  <=>  v < hi_x*125/16 */
    return (hi_x * 125 + 15) / 16 - 1;
}

void histogram_init(histogram *h) {
    memset(h, 0, sizeof *h);
    h->min_ns = UINT64_MAX;
}

static void add_sum(histogram *h, uint64_t us, uint64_t rem) {
    h->sum_us += us + rem / 1000;
    h->sum_ns_rem += rem % 1000;
    if (h->sum_ns_rem >= 1000) {
        h->sum_ns_rem -= 1000;
        h->sum_us++;
    }
}

void histogram_record(histogram *h, uint64_t value_ns) {
    h->counts[bucket_of(value_ns)]++;
    h->total++;
    if (value_ns < h->min_ns) h->min_ns = value_ns;
    if (value_ns > h->max_ns) h->max_ns = value_ns;
    add_sum(h, value_ns / 1000, value_ns % 1000);
}

void histogram_merge(histogram *dst, const histogram *src) {
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++) dst->counts[i] += src->counts[i];
    dst->total += src->total;
    if (src->min_ns < dst->min_ns) dst->min_ns = src->min_ns;
    if (src->max_ns > dst->max_ns) dst->max_ns = src->max_ns;
    add_sum(dst, src->sum_us, src->sum_ns_rem);
}

double histogram_mean_ns(const histogram *h) {
    if (h->total == 0) return 0.0;
    return ((double)h->sum_us * 1000.0 + (double)h->sum_ns_rem) / (double)h->total;
}

uint64_t histogram_percentile_ns(const histogram *h, double p) {
    if (h->total == 0) return 0;
    if (!(p > 0.0)) p = 1e-12; /* also catches NaN: the smallest sample */
    if (p > 100.0) p = 100.0;
    double want = p / 100.0 * (double)h->total;
    uint64_t rank = (uint64_t)want;
    if ((double)rank < want) rank++;
    if (rank < 1) rank = 1;
    if (rank > h->total) rank = h->total;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen < rank) continue;
        if (i == OVERFLOW_BUCKET) return h->max_ns;
        uint64_t v = bucket_upper_ns(i);
        if (v > h->max_ns) v = h->max_ns;
        if (v < h->min_ns) v = h->min_ns;
        return v;
    }
    return h->max_ns;
}

/* ---- serialisation ---- */

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

typedef struct {
    uint8_t *p;
    size_t len, cap;
    int full;
} wbuf;

static void put_byte(wbuf *w, uint8_t b) {
    if (w->len < w->cap)
        w->p[w->len++] = b;
    else
        w->full = 1;
}

static void put_varint(wbuf *w, uint64_t v) {
    while (v >= 0x80) {
        put_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(w, (uint8_t)v);
}

static uint64_t zigzag(uint64_t d) { return (d << 1) ^ (0 - (d >> 63)); }
static uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

static void encode(const histogram *h, wbuf *w) {
    put_byte(w, WIRE_VERSION);
    put_varint(w, h->total);
    if (h->total == 0) return;
    put_varint(w, h->min_ns);
    put_varint(w, h->max_ns);
    put_varint(w, h->sum_us);
    put_varint(w, h->sum_ns_rem);
    uint64_t nruns = 0;
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS; i++)
        if (h->counts[i] && (i == 0 || !h->counts[i - 1])) nruns++;
    put_varint(w, nruns);
    unsigned prev_end = 0;
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS;) {
        if (!h->counts[i]) {
            i++;
            continue;
        }
        unsigned end = i;
        while (end < HISTOGRAM_BUCKETS && h->counts[end]) end++;
        put_varint(w, i - prev_end);
        put_varint(w, end - i);
        put_varint(w, h->counts[i]);
        for (unsigned j = i + 1; j < end; j++) put_varint(w, zigzag(h->counts[j] - h->counts[j - 1]));
        prev_end = end;
        i = end;
    }
}

size_t histogram_serialize(const histogram *h, char *buf, size_t cap) {
    /* Worst case: every bucket non-empty with 10-byte varints, plus the header. */
    static _Thread_local uint8_t raw[HISTOGRAM_BUCKETS * 10 + 128];
    wbuf w = {raw, 0, sizeof raw, 0};
    encode(h, &w);
    if (w.full) return 0;
    size_t out_len = (w.len / 3) * 4 + (w.len % 3 ? w.len % 3 + 1 : 0);
    if (cap < out_len + 1) return 0;
    size_t o = 0;
    for (size_t i = 0; i < w.len; i += 3) {
        uint32_t n = (uint32_t)raw[i] << 16;
        size_t rest = w.len - i;
        if (rest > 1) n |= (uint32_t)raw[i + 1] << 8;
        if (rest > 2) n |= raw[i + 2];
        buf[o++] = B64URL[(n >> 18) & 63];
        buf[o++] = B64URL[(n >> 12) & 63];
        if (rest > 1) buf[o++] = B64URL[(n >> 6) & 63];
        if (rest > 2) buf[o++] = B64URL[n & 63];
    }
    buf[o] = '\0';
    return o;
}

typedef struct {
    const uint8_t *p;
    size_t len, pos;
    char *err;
    size_t errlen;
} rbuf;

static int fail(rbuf *r, const char *what) {
    if (r->err && r->errlen) snprintf(r->err, r->errlen, "histogram: %s (at byte %zu)", what, r->pos);
    return -1;
}

static int get_varint(rbuf *r, uint64_t *out) {
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->len) return fail(r, "truncated varint");
        uint8_t b = r->p[r->pos++];
        if (shift == 63 && b > 1) return fail(r, "varint overflows 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            /* Only the minimal encoding is valid, so accepted input re-serialises
             * byte for byte (the fuzz target checks exactly that). */
            if (b == 0 && shift > 0) return fail(r, "non-minimal varint");
            *out = v;
            return 0;
        }
    }
    return fail(r, "varint longer than 10 bytes");
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

/* Decodes base64url (no padding) into out; returns bytes written or -1. */
static long b64_decode(const char *s, size_t len, uint8_t *out, size_t cap) {
    if (len % 4 == 1) return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap) return -1;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) return -1; /* non-canonical trailing bits */
    return (long)o;
}

static int decode_runs(rbuf *r, histogram *h, uint64_t *sum) {
    uint64_t nruns, pos = 0;
    if (get_varint(r, &nruns)) return -1;
    if (nruns == 0 || nruns > HISTOGRAM_BUCKETS) return fail(r, "bad run count");
    for (uint64_t k = 0; k < nruns; k++) {
        uint64_t gap, len, c = 0;
        if (get_varint(r, &gap) || get_varint(r, &len)) return -1;
        if (k > 0 && gap == 0) return fail(r, "adjacent runs must be one run");
        if (gap > HISTOGRAM_BUCKETS - pos) return fail(r, "bucket index out of range");
        pos += gap;
        if (len == 0 || len > HISTOGRAM_BUCKETS - pos) return fail(r, "run length out of range");
        for (uint64_t j = 0; j < len; j++) {
            uint64_t d;
            if (get_varint(r, &d)) return -1;
            c = j == 0 ? d : c + unzigzag(d);
            if (c == 0) return fail(r, "empty bucket inside a run");
            if (*sum + c < *sum) return fail(r, "bucket counts overflow");
            *sum += c;
            h->counts[pos + j] = c;
        }
        pos += len;
    }
    return 0;
}

static int check_consistency(rbuf *r, const histogram *h) {
    if (h->min_ns > h->max_ns) return fail(r, "min above max");
    if (h->sum_ns_rem >= 1000) return fail(r, "sub-microsecond remainder out of range");
    unsigned first = 0, last = OVERFLOW_BUCKET;
    while (!h->counts[first]) first++;
    while (!h->counts[last]) last--;
    if (bucket_of(h->min_ns) != first) return fail(r, "min does not fall in the first bucket");
    if (bucket_of(h->max_ns) != last) return fail(r, "max does not fall in the last bucket");
#ifdef __SIZEOF_INT128__
    unsigned __int128 sum = (unsigned __int128)h->sum_us * 1000 + h->sum_ns_rem;
    if (sum < (unsigned __int128)h->min_ns * h->total || sum > (unsigned __int128)h->max_ns * h->total)
        return fail(r, "sum outside [min*total, max*total]");
#endif
    return 0;
}

int histogram_deserialize(histogram *h, const char *s, size_t len, char *err, size_t errlen) {
    static _Thread_local uint8_t raw[HISTOGRAM_BUCKETS * 10 + 128];
    histogram_init(h);
    rbuf r = {raw, 0, 0, err, errlen};
    long n = s ? b64_decode(s, len, raw, sizeof raw) : -1;
    if (n < 0) return fail(&r, "not base64url or too long");
    r.len = (size_t)n;
    if (r.len < 1 || raw[0] != WIRE_VERSION) {
        histogram_init(h);
        return fail(&r, "unknown format version");
    }
    r.pos = 1;
    uint64_t total, sum = 0;
    int rc = get_varint(&r, &total);
    if (rc == 0 && total > 0) {
        h->total = total;
        rc = get_varint(&r, &h->min_ns) || get_varint(&r, &h->max_ns) || get_varint(&r, &h->sum_us) ||
                     get_varint(&r, &h->sum_ns_rem) || decode_runs(&r, h, &sum)
                 ? -1
                 : 0;
        if (rc == 0 && sum != total) rc = fail(&r, "bucket counts do not add up to the total");
        if (rc == 0) rc = check_consistency(&r, h);
    }
    if (rc == 0 && r.pos != r.len) rc = fail(&r, "trailing bytes");
    if (rc != 0) histogram_init(h);
    return rc;
}
