/* Fuzz the engine's reply classification (hiredis reader + classify-only callbacks)
 * and MOVED/ASK parsing: arbitrary bytes, fed in arbitrary chunk sizes, must never
 * crash, and a classification must not depend on how the bytes were split. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/resp.h"

#define MAX_REPLIES 4096

static int classify(const uint8_t *data, size_t size, size_t chunk, reply_kind *kinds, int *n) {
    resp_reader r;
    if (resp_reader_init(&r) != 0) return -2;
    *n = 0;
    int rc = 0;
    for (size_t off = 0; off < size && rc >= 0; off += chunk) {
        size_t len = size - off < chunk ? size - off : chunk;
        if (resp_reader_feed(&r, (const char *)data + off, len) != 0) abort();
        reply_kind k;
        while ((rc = resp_reader_next(&r, &k)) == 1) {
            if (k != REPLY_OK && k != REPLY_ERROR && k != REPLY_MOVED && k != REPLY_ASK) abort();
            if (k == REPLY_MOVED || k == REPLY_ASK) {
                if (r.redirect.slot > 16383 || r.redirect.port < 1 || r.redirect.port > 65535) abort();
                if (strlen(r.redirect.host) >= sizeof r.redirect.host) abort();
            }
            if (*n < MAX_REPLIES) kinds[(*n)++] = k;
        }
    }
    resp_reader_free(&r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    resp_redirect rd;
    reply_kind k = resp_parse_redirect((const char *)data, size, &rd);
    if (k == REPLY_MOVED || k == REPLY_ASK) {
        if (rd.slot > 16383 || rd.port < 1 || rd.port > 65535) abort();
    } else if (k != REPLY_ERROR) {
        abort();
    }
    static reply_kind whole[MAX_REPLIES], split[MAX_REPLIES];
    int nw, ns;
    size_t chunk = 1 + data[0] % 13;
    int rw = classify(data, size, size, whole, &nw);
    int rs = classify(data, size, chunk, split, &ns);
    /* Without a protocol error, chunking must not change what was seen. */
    if (rw == 0 && rs == 0 && (nw != ns || memcmp(whole, split, (size_t)nw * sizeof *whole) != 0)) abort();
    return 0;
}
