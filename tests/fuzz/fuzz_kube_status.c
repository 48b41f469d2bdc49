/* Fuzz target: API answers into kube_status (metav1.Status JSON or any other body), the exec
 * plugin's ExecCredential parser, RFC 3339 and base64 decoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    long code = 100 + (data[0] | (data[1] << 8)) % 500;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    kube_status st = {0};
    kube_status_from_response(&st, code, body, len, data[0] & 3);
    if (!st.reason[0] || st.code != code || memchr(st.message, '\0', sizeof st.message) == NULL) abort();
    if (st.causes && !json_is_array(st.causes)) abort();
    json_t *j = json_loadb(body, len, 0, NULL);
    kube_status_from_json(&st, j);
    json_decref(j);
    kube_status_clear(&st);

    char *token = NULL, err[256];
    time_t exp;
    if (kube_exec_parse_credential(body, len, "client.authentication.k8s.io/v1", &token, &exp, err, sizeof err) == 0) {
        if (!token || !*token) abort();
        free(token);
    }
    char *s = strndup(body, len);
    time_t t;
    kube_parse_rfc3339(s, &t);
    size_t n;
    free(kube_base64_decode(s, &n));
    char line[64];
    kube_one_line(line, sizeof line, s);
    if (strchr(line, '\n')) abort();
    free(s);
    return 0;
}
