/* Fuzz engine/histogram's deserialiser: any input must be rejected cleanly or accepted
 * as a histogram whose serialisation is byte-for-byte the input (canonical encoding),
 * and the queries on an accepted histogram must stay inside [min, max]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static histogram h, twice;
    static char out[65536];
    char err[160];
    if (histogram_deserialize(&h, (const char *)data, size, err, sizeof err) != 0) {
        if (h.total != 0 || err[0] == '\0') abort();
        return 0;
    }
    size_t n = histogram_serialize(&h, out, sizeof out);
    if (n != size || memcmp(out, data, size) != 0) abort();
    if (h.total) {
        static const double ps[] = {0.0001, 50, 99.9, 100};
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
            uint64_t v = histogram_percentile_ns(&h, ps[i]);
            if (v < h.min_ns || v > h.max_ns) abort();
        }
    }
    twice = h;
    histogram_merge(&twice, &h);
    (void)histogram_mean_ns(&twice);
    return 0;
}
