/* engine/histogram: see histogram.h.
 *
 * Bucket layout: a value v (ns) is first scaled to x = v * 128 / 1000, i.e. units of
 * 1/128 us. Magnitude m is such that x lies in [128 << m, 256 << m); inside it the
 * 128 linear sub-buckets are (x >> m) - 128. A bucket's width is 2^m/128 us and its
 * smallest member is >= 2^m us, so the upper bound is within 1/128 (0.78%) of every
 * member: the percentile rule of the header never errs by more than that.
 *
 * Wire format: a bit string, zero-padded to whole bytes, written as base64url without
 * '=' padding (so it is exactly base64url of those bytes):
 *   8 bits version (1), then LEB128 varint total
 *   total > 0: varints min_ns, max_ns, sum_us, sum_ns_rem, nruns, then per run of
 *     consecutive non-empty buckets: Exp-Golomb(gap) (first run: its start index;
 *     later: start - end of the previous run - 1), Exp-Golomb(length - 1), then each
 *     count as an adaptive Rice code of zigzag(count - previous non-empty count).
 * Counts of neighbouring buckets are close, so a smooth latency distribution costs
 * about one byte per bucket; several histograms must share one 4096-byte termination
 * message. Every field has exactly one valid encoding, so an accepted string
 * re-serialises byte for byte (the fuzz target checks this).
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

void histogram_record_n(histogram *h, uint64_t value_ns, uint64_t count) {
    if (count == 0) return;
    h->counts[bucket_of(value_ns)] += count;
    h->total += count;
    if (value_ns < h->min_ns) h->min_ns = value_ns;
    if (value_ns > h->max_ns) h->max_ns = value_ns;
    add_sum(h, value_ns / 1000 * count, value_ns % 1000 * count);
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

#define RICE_ESCAPE 24 /* quotients >= this are written as 24 ones + 64 raw bits */
#define RICE_MAX_K 58  /* keeps (RICE_ESCAPE - 1) << k inside 64 bits */
#define EXPGOLOMB_MAX_ZEROS 20

/* Adaptive Rice parameter (the LOCO-I rule): k tracks the mean recent magnitude. */
typedef struct {
    uint64_t a;
    uint32_t n;
} rice_state;

static unsigned rice_k(const rice_state *st) {
    unsigned k = 0;
    while (k < RICE_MAX_K && ((uint64_t)st->n << k) < st->a) k++;
    return k;
}

static void rice_update(rice_state *st, uint64_t u) {
    st->a = st->a + u < st->a ? UINT64_MAX : st->a + u;
    if (++st->n >= 16) {
        st->a >>= 1;
        st->n >>= 1;
    }
}

static uint64_t zigzag(uint64_t d) { return (d << 1) ^ (0 - (d >> 63)); }
static uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

/* Bits go straight into base64url characters: no intermediate byte buffer. */
typedef struct {
    char *out;
    size_t cap, len; /* len counts characters even past cap, to detect overflow */
    uint64_t bits;   /* total bits written */
    unsigned acc, nacc;
} bitwriter;

static void put_bit(bitwriter *w, unsigned b) {
    w->acc = (w->acc << 1) | (b & 1);
    w->bits++;
    if (++w->nacc == 6) {
        if (w->len < w->cap) w->out[w->len] = B64URL[w->acc];
        w->len++;
        w->acc = w->nacc = 0;
    }
}

static void put_bits(bitwriter *w, uint64_t v, unsigned n) {
    while (n--) put_bit(w, (unsigned)(v >> n) & 1);
}

static void put_varint(bitwriter *w, uint64_t v) {
    while (v >= 0x80) {
        put_bits(w, (v & 0x7f) | 0x80, 8);
        v >>= 7;
    }
    put_bits(w, v, 8);
}

static void put_expgolomb(bitwriter *w, uint64_t v) {
    uint64_t x = v + 1;
    unsigned nb = 64 - (unsigned)__builtin_clzll(x);
    put_bits(w, 0, nb - 1);
    put_bits(w, x, nb);
}

static void put_rice(bitwriter *w, rice_state *st, uint64_t u) {
    unsigned k = rice_k(st);
    uint64_t q = u >> k;
    if (q >= RICE_ESCAPE) {
        put_bits(w, UINT64_MAX, RICE_ESCAPE);
        put_bits(w, u, 64);
    } else {
        put_bits(w, UINT64_MAX, (unsigned)q);
        put_bit(w, 0);
        put_bits(w, u, k);
    }
    rice_update(st, u);
}

static void encode(const histogram *h, bitwriter *w) {
    put_bits(w, WIRE_VERSION, 8);
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
    rice_state st = {4, 1};
    uint64_t prev = 0;
    unsigned prev_end = 0;
    for (unsigned i = 0; i < HISTOGRAM_BUCKETS;) {
        if (!h->counts[i]) {
            i++;
            continue;
        }
        unsigned end = i;
        while (end < HISTOGRAM_BUCKETS && h->counts[end]) end++;
        put_expgolomb(w, prev_end == 0 ? i : i - prev_end - 1);
        put_expgolomb(w, end - i - 1);
        for (unsigned j = i; j < end; j++) {
            put_rice(w, &st, zigzag(h->counts[j] - prev));
            prev = h->counts[j];
        }
        prev_end = end;
        i = end;
    }
}

size_t histogram_serialize(const histogram *h, char *buf, size_t cap) {
    bitwriter w = {buf, cap, 0, 0, 0, 0};
    encode(h, &w);
    while (w.bits % 8) put_bit(&w, 0);
    while (w.nacc) put_bit(&w, 0);
    if (w.len + 1 > cap) return 0;
    buf[w.len] = '\0';
    return w.len;
}

typedef struct {
    const char *s;
    size_t len, pos; /* characters */
    uint64_t bits;   /* bits consumed */
    unsigned acc, nacc;
    char *err;
    size_t errlen;
} bitreader;

static int fail(bitreader *r, const char *what) {
    if (r->err && r->errlen) snprintf(r->err, r->errlen, "histogram: %s (at bit %llu)", what, (unsigned long long)r->bits);
    return -1;
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

static int get_bit(bitreader *r, unsigned *b) {
    if (r->nacc == 0) {
        if (r->pos >= r->len) return fail(r, "truncated");
        int v = b64_value((unsigned char)r->s[r->pos]);
        if (v < 0) return fail(r, "not base64url");
        r->pos++;
        r->acc = (unsigned)v;
        r->nacc = 6;
    }
    *b = (r->acc >> --r->nacc) & 1;
    r->bits++;
    return 0;
}

static int get_bits(bitreader *r, unsigned n, uint64_t *out) {
    uint64_t v = 0;
    unsigned b;
    while (n--) {
        if (get_bit(r, &b)) return -1;
        v = (v << 1) | b;
    }
    *out = v;
    return 0;
}

static int get_varint(bitreader *r, uint64_t *out) {
    uint64_t v = 0, b;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (get_bits(r, 8, &b)) return -1;
        if (shift == 63 && b > 1) return fail(r, "varint overflows 64 bits");
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0) return fail(r, "non-minimal varint");
            *out = v;
            return 0;
        }
    }
    return fail(r, "varint longer than 10 bytes");
}

static int get_expgolomb(bitreader *r, uint64_t *out) {
    unsigned zeros = 0, b;
    for (;;) {
        if (get_bit(r, &b)) return -1;
        if (b) break;
        if (++zeros > EXPGOLOMB_MAX_ZEROS) return fail(r, "index code too long");
    }
    uint64_t rest;
    if (get_bits(r, zeros, &rest)) return -1;
    *out = ((1ULL << zeros) | rest) - 1;
    return 0;
}

static int get_rice(bitreader *r, rice_state *st, uint64_t *out) {
    unsigned k = rice_k(st), q = 0, b;
    for (;;) {
        if (get_bit(r, &b)) return -1;
        if (!b) break;
        if (++q == RICE_ESCAPE) break;
    }
    uint64_t u;
    if (q == RICE_ESCAPE) {
        if (get_bits(r, 64, &u)) return -1;
        if ((u >> k) < RICE_ESCAPE) return fail(r, "escaped count that fits the short form");
    } else {
        if (get_bits(r, k, &u)) return -1;
        u |= (uint64_t)q << k;
    }
    rice_update(st, u);
    *out = u;
    return 0;
}

static int decode_runs(bitreader *r, histogram *h, uint64_t *sum) {
    uint64_t nruns, pos = 0, prev = 0;
    if (get_varint(r, &nruns)) return -1;
    if (nruns == 0 || nruns > HISTOGRAM_BUCKETS) return fail(r, "bad run count");
    rice_state st = {4, 1};
    for (uint64_t k = 0; k < nruns; k++) {
        uint64_t gap, len;
        if (get_expgolomb(r, &gap) || get_expgolomb(r, &len)) return -1;
        if (k > 0) gap++;
        len++;
        if (gap > HISTOGRAM_BUCKETS - pos) return fail(r, "bucket index out of range");
        pos += gap;
        if (len > HISTOGRAM_BUCKETS - pos) return fail(r, "run length out of range");
        for (uint64_t j = 0; j < len; j++) {
            uint64_t z;
            if (get_rice(r, &st, &z)) return -1;
            uint64_t c = prev + unzigzag(z);
            if (c == 0) return fail(r, "empty bucket inside a run");
            if (*sum + c < *sum) return fail(r, "bucket counts overflow");
            *sum += c;
            h->counts[pos + j] = c;
            prev = c;
        }
        pos += len;
    }
    return 0;
}

static int check_consistency(bitreader *r, const histogram *h) {
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

/* After the last field: zero bits up to the byte boundary and then up to the
 * character boundary, and not one character more (the only canonical ending). */
static int check_ending(bitreader *r) {
    uint64_t byte_end = (r->bits + 7) / 8 * 8;
    uint64_t chars = (byte_end + 5) / 6;
    if (r->len != chars) return fail(r, r->len > chars ? "trailing data" : "truncated padding");
    unsigned b;
    while (r->pos < r->len || r->nacc) {
        if (get_bit(r, &b)) return -1;
        if (b) return fail(r, "non-zero padding bits");
    }
    return 0;
}

static int decode(bitreader *r, histogram *h) {
    uint64_t version, total, sum = 0;
    if (get_bits(r, 8, &version)) return -1;
    if (version != WIRE_VERSION) return fail(r, "unknown format version");
    if (get_varint(r, &total)) return -1;
    if (total > 0) {
        h->total = total;
        if (get_varint(r, &h->min_ns) || get_varint(r, &h->max_ns) || get_varint(r, &h->sum_us) ||
            get_varint(r, &h->sum_ns_rem) || decode_runs(r, h, &sum))
            return -1;
        if (sum != total) return fail(r, "bucket counts do not add up to the total");
        if (check_consistency(r, h)) return -1;
    }
    return check_ending(r);
}

int histogram_deserialize(histogram *h, const char *s, size_t len, char *err, size_t errlen) {
    histogram_init(h);
    bitreader r = {s, s ? len : 0, 0, 0, 0, 0, err, errlen};
    if (decode(&r, h) == 0) return 0;
    histogram_init(h);
    return -1;
}
