/* engine/workload: the tests table and the pre-formatted RESP command of each test.
 *
 * A test is one line in the table: its name, whether it writes, and a format that
 * builds its command. Formats are space-separated arguments in which
 *   %r  is replaced by a fresh uniform random number below -r (ENGINE_KEY_DIGITS digits,
 *       zero-padded, so every request has the same length and only digits change),
 *   %R  repeats the previous %r's number (one hash slot for several keys),
 *   %v  (a whole argument) is the -d byte value.
 * A format starting with '!' is sent inline as written (e.g. PING_INLINE).
 * The first argument after the command name is the key a cluster request is routed by.
 * Keys of different types use different prefixes (key:, counter: as in redis-benchmark,
 * list:, set:, hash:) so that a run of several tests never hits WRONGTYPE or "not an
 * integer". */
#ifndef VB_ENGINE_WORKLOAD_H
#define VB_ENGINE_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define WORKLOAD_MAX_RANDOMS 32

typedef struct workload_test {
    const char *name;        /* -t name, lower-case */
    const char *label;       /* reported name, upper-case */
    int is_write;            /* goes to the primary in replication mode */
    const char *fmt;         /* command format (see above) */
    const char *fmt_cluster; /* in cluster mode, when keys must share a slot (else NULL) */
} workload_test;

extern const workload_test workload_tests[];
extern const int workload_ntests;

/* Index of the test named `name` (case-insensitive), or -1. */
int workload_find(const char *name);

typedef struct workload_template {
    char *bytes;          /* the encoded request, digits all '0' */
    size_t len;
    int nrandoms;         /* digit fields to patch */
    uint32_t rand_pos[WORKLOAD_MAX_RANDOMS];   /* offset of each field's first digit */
    uint8_t rand_fresh[WORKLOAD_MAX_RANDOMS];  /* 1: new number (%r), 0: previous (%R) */
    long key_off;         /* offset of the routing key in bytes, -1 when none */
    size_t key_len;
} workload_template;

/* Encodes the test's command once. Returns 0, or -1 with err filled. */
int workload_template_build(workload_template *t, const workload_test *test, int cluster, size_t datasize,
                            char *err, size_t errlen);
void workload_template_free(workload_template *t);

/* Writes `v` as ENGINE_KEY_DIGITS zero-padded decimal digits at dst (v < 10^digits). */
void workload_put_digits(char *dst, uint64_t v);

/* "00" "01" .. "99" */
extern const char workload_digit_pairs[201];

/* Writes only the last `pairs` digit pairs of the field at dst: for a field whose
 * leading digits are already '0' and a v below 100^pairs (the engine's numbers stay
 * below the keyspace), the same as workload_put_digits at a fraction of the cost. */
static inline void workload_put_low_digits(char *dst, uint64_t v, int pairs) {
    char *p = dst + ENGINE_KEY_DIGITS - 2;
    for (int i = 0; i < pairs; i++, p -= 2) {
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        p[0] = workload_digit_pairs[2 * d];
        p[1] = workload_digit_pairs[2 * d + 1];
    }
}

#endif
