/* operator/conditions: see conditions.h. */
#include "operator/conditions.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

void conditions_now(char *buf, size_t cap) {
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The conventions' reason regex is ^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$; CamelCase is ours. */
static bool reason_ok(const char *r) {
    if (!r || !isupper((unsigned char)r[0])) return false;
    for (const char *p = r; *p; p++)
        if (!isalnum((unsigned char)*p)) return false;
    return strlen(r) <= 1024;
}

static bool status_ok(const char *s) {
    return s && (!strcmp(s, COND_TRUE) || !strcmp(s, COND_FALSE) || !strcmp(s, COND_UNKNOWN));
}

static const char *str_of(const json_t *obj, const char *key) {
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

json_t *conditions_get(const json_t *status, const char *type) {
    json_t *arr = json_object_get(status, "conditions");
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        if (!strcmp(str_of(c, "type"), type)) return c;
    }
    return NULL;
}

bool conditions_is_true(const json_t *status, const char *type) {
    return !strcmp(str_of(conditions_get(status, type), "status"), COND_TRUE);
}

int conditions_remove(json_t *status, const char *type) {
    json_t *arr = json_object_get(status, "conditions");
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        if (!strcmp(str_of(c, "type"), type)) {
            json_array_remove(arr, i);
            return 1;
        }
    }
    return 0;
}

int conditions_set(json_t *status, const char *type, const char *cstatus, const char *reason,
                   const char *message, long long observed_generation, const char *now) {
    if (!json_is_object(status) || !type || !*type || !status_ok(cstatus) || !reason_ok(reason))
        return -1;
    if (!message) message = "";
    json_t *arr = json_object_get(status, "conditions");
    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(status, "conditions", arr);
    }
    char nowbuf[32];
    if (!now) {
        conditions_now(nowbuf, sizeof nowbuf);
        now = nowbuf;
    }
    json_t *c = conditions_get(status, type);
    if (!c) {
        c = json_object();
        json_object_set_new(c, "type", json_string(type));
        json_array_append_new(arr, c);
    } else if (!strcmp(str_of(c, "status"), cstatus) && !strcmp(str_of(c, "reason"), reason) &&
               !strcmp(str_of(c, "message"), message) &&
               json_integer_value(json_object_get(c, "observedGeneration")) == observed_generation &&
               json_object_get(c, "lastTransitionTime")) {
        return 0;
    }
    if (strcmp(str_of(c, "status"), cstatus) || !json_object_get(c, "lastTransitionTime"))
        json_object_set_new(c, "lastTransitionTime", json_string(now));
    json_object_set_new(c, "status", json_string(cstatus));
    json_object_set_new(c, "reason", json_string(reason));
    json_object_set_new(c, "message", json_string(message));
    json_object_set_new(c, "observedGeneration", json_integer(observed_generation));
    return 1;
}
