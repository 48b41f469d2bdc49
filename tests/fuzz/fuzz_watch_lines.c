/* Fuzz target: the watch stream splitter and event parser. Oracle: feeding the stream in
 * chunks (sizes taken from the input) yields exactly the lines of feeding it whole. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

typedef struct {
    unsigned long lines, events;
    unsigned long long hash;
} tally;

static int on_line(const char *line, size_t len, void *ud) {
    tally *t = ud;
    t->lines++;
    for (size_t i = 0; i < len; i++) t->hash = t->hash * 1099511628211ULL ^ (unsigned char)line[i];
    t->hash = t->hash * 1099511628211ULL ^ 0x100;
    json_t *root, *obj;
    const char *type;
    char err[256];
    if (kube_watch_parse_event(line, len, &root, &type, &obj, err, sizeof err) == 0) {
        if (!type || !json_is_object(obj)) abort();
        kube_status st = {0};
        if (!strcmp(type, "ERROR")) kube_status_from_json(&st, obj);
        kube_status_clear(&st);
        json_decref(root);
        t->events++;
    } else if (!err[0]) {
        abort();
    }
    return 0;
}

static void run(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, tally *t) {
    kube_line_splitter sp;
    kube_line_splitter_init(&sp);
    size_t off = 0, i = 0;
    while (off < size) {
        size_t n = ncuts ? 1 + cuts[i++ % ncuts] : size;
        if (n > size - off) n = size - off;
        if (kube_line_splitter_feed(&sp, (const char *)data + off, n, on_line, t)) abort();
        off += n;
    }
    if (kube_line_splitter_finish(&sp, on_line, t)) abort();
    kube_line_splitter_free(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t ncuts = data[0] % 8;
    if (size < 1 + ncuts) return 0;
    const uint8_t *cuts = data + 1;
    data += 1 + ncuts;
    size -= 1 + ncuts;
    tally whole = {0}, parts = {0};
    run(data, size, NULL, 0, &whole);
    run(data, size, cuts, ncuts, &parts);
    if (whole.lines != parts.lines || whole.events != parts.events || whole.hash != parts.hash) abort();
    return 0;
}
