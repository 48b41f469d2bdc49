/* Fuzz target: kube/labelsel, the label-selector parser the informer cache uses to list
 * by label. Any input must parse or fail cleanly; a parsed selector must give the same
 * answer twice and match an object only if it matches the empty selector's superset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/labelsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    char err[256] = "";
    kube_labelsel *sel = kube_labelsel_parse(s, err, sizeof err);
    if (sel) {
        json_t *labels = json_pack("{s:s,s:s,s:s}", "app", "valkey", "tier", "cache", "a.b/c-d", "");
        int m1 = kube_labelsel_matches(sel, labels);
        int m2 = kube_labelsel_matches(sel, labels);
        if (m1 != m2 || (m1 != 0 && m1 != 1)) abort();
        int none = kube_labelsel_matches(sel, NULL);
        if (none != 0 && none != 1) abort();
        json_decref(labels);
        kube_labelsel_free(sel);
    } else if (!err[0]) {
        abort(); /* a failure always explains itself */
    }
    free(s);
    return 0;
}
