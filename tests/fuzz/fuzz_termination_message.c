/* Fuzz target: a runner pod's termination message and pod log, as the controller reads
 * them (operator/results.h). Input is untrusted: decoding must never crash, and whatever
 * decodes must re-encode and decode to the same results. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "operator/results.h"

static void check_round_trip(const runner_result *r) {
    char err[256];
    char *again = results_encode(r, err, sizeof err);
    if (!again) return;
    runner_result *back = calloc(1, sizeof *back);
    results_msg info;
    memset(&info, 0, sizeof info);
    size_t n = strlen(again);
    if (n <= RESULTS_TERMINATION_CAP) {
        if (results_decode_message(again, n, back, &info, err, sizeof err) != 0) abort();
        if (back->ntests != r->ntests) abort();
        for (int i = 0; i < r->ntests; i++)
            if (strcmp(back->tests[i].test, r->tests[i].test) || back->tests[i].requests != r->tests[i].requests ||
                memcmp(back->tests[i].hist.counts, r->tests[i].hist.counts, sizeof r->tests[i].hist.counts))
                abort();
    }
    free(again);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    runner_result *r = calloc(1, sizeof *r);
    results_msg info;
    char err[256];
    if (results_decode_message((const char *)data, size, r, &info, err, sizeof err) == 0) {
        if (info.kind == RESULTS_MSG_FULL) check_round_trip(r);
        if (info.kind == RESULTS_MSG_IN_LOG) {
            /* the same bytes as a pod log, looking for the pointer's line */
            results_decode_log((const char *)data, size, &info, r, err, sizeof err);
        }
    }
    /* and as a pod log with a pointer derived from the input's own length */
    results_msg ptr = {.kind = RESULTS_MSG_IN_LOG, .log_bytes = size > 40 ? size - 40 : size, .log_fnv = 0};
    if (results_decode_log((const char *)data, size, &ptr, r, err, sizeof err) == 0 && r->ntests > 0)
        check_round_trip(r);
    free(r);
    return 0;
}
