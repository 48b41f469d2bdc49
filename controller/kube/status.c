/* metav1.Status answers (and the non-JSON bodies some paths give) into kube_status. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kube/kube_internal.h"

const char *kube_reason_for_code(long code) {
    switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "Unknown";
    }
}

void kube_status_clear(kube_status *st) {
    if (!st) return;
    json_decref(st->causes);
    memset(st, 0, sizeof *st);
}

void kube_status_set(kube_status *st, long code, const char *reason, const char *fmt, ...) {
    if (!st) return;
    kube_status_clear(st);
    st->code = code;
    snprintf(st->reason, sizeof st->reason, "%s", reason);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof st->message, fmt, ap);
    va_end(ap);
}

/* st already cleared; code may be 0 (taken from the object then). */
static void from_status_object(kube_status *st, json_t *root) {
    const char *reason = json_string_value(json_object_get(root, "reason"));
    const char *msg = json_string_value(json_object_get(root, "message"));
    json_t *details = json_object_get(root, "details");
    json_t *causes = json_object_get(details, "causes");
    json_t *jcode = json_object_get(root, "code");
    if (json_is_integer(jcode) && st->code == 0) st->code = (long)json_integer_value(jcode);
    snprintf(st->reason, sizeof st->reason, "%s", reason && *reason ? reason : kube_reason_for_code(st->code));
    snprintf(st->message, sizeof st->message, "%s", msg ? msg : "");
    if (json_is_array(causes)) st->causes = json_incref(causes);
    json_t *ra = json_object_get(details, "retryAfterSeconds");
    if (!st->retry_after_s && json_is_integer(ra) && json_integer_value(ra) > 0)
        st->retry_after_s = (long)json_integer_value(ra);
}

void kube_status_from_json(kube_status *st, json_t *status) {
    if (!st) return;
    kube_status_clear(st);
    if (json_is_object(status)) from_status_object(st, status);
    if (!st->reason[0]) snprintf(st->reason, sizeof st->reason, "%s", kube_reason_for_code(st->code));
}

void kube_status_from_response(kube_status *st, long code, const char *body, size_t len, long retry_after_hdr) {
    if (!st) return;
    kube_status_clear(st);
    st->code = code;
    st->retry_after_s = retry_after_hdr > 0 ? retry_after_hdr : 0;
    json_t *root = len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(root, "kind"));
    if (kind && !strcmp(kind, "Status")) {
        from_status_object(st, root);
    } else {
        /* e.g. "404 page not found" (text/plain) for paths the server does not route */
        snprintf(st->reason, sizeof st->reason, "%s", kube_reason_for_code(code));
        char tmp[sizeof st->message];
        size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
        memcpy(tmp, body ? body : "", n);
        tmp[n] = '\0';
        kube_one_line(st->message, sizeof st->message, tmp);
        if (!st->message[0]) snprintf(st->message, sizeof st->message, "HTTP %ld", code);
    }
    json_decref(root);
}

static bool reason_is(const kube_status *st, const char *r) { return st && !strcmp(st->reason, r); }

bool kube_is_not_found(const kube_status *st) { return st && (st->code == 404 || reason_is(st, "NotFound")); }
bool kube_is_conflict(const kube_status *st) {
    return st && (reason_is(st, "Conflict") || (st->code == 409 && !reason_is(st, "AlreadyExists")));
}
bool kube_is_already_exists(const kube_status *st) { return reason_is(st, "AlreadyExists"); }
bool kube_is_gone(const kube_status *st) {
    return st && (st->code == 410 || reason_is(st, "Gone") || reason_is(st, "Expired"));
}
bool kube_is_invalid(const kube_status *st) { return st && (st->code == 422 || reason_is(st, "Invalid")); }
bool kube_is_forbidden(const kube_status *st) { return st && (st->code == 403 || reason_is(st, "Forbidden")); }
bool kube_is_unauthorized(const kube_status *st) { return st && (st->code == 401 || reason_is(st, "Unauthorized")); }
