#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_level log_min = LOG_INFO;
static log_format log_fmt = LOG_FORMAT_LOGFMT;
static FILE *log_out;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_configure(log_level min_level, log_format format, FILE *out) {
    pthread_mutex_lock(&log_lock);
    log_min = min_level;
    log_fmt = format;
    if (out) log_out = out;
    pthread_mutex_unlock(&log_lock);
}

int log_parse_level(const char *s, log_level *out) {
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, level_names[i]) == 0) { *out = (log_level)i; return 0; }
    return -1;
}

int log_parse_format(const char *s, log_format *out) {
    if (s && strcmp(s, "logfmt") == 0) { *out = LOG_FORMAT_LOGFMT; return 0; }
    if (s && strcmp(s, "json") == 0) { *out = LOG_FORMAT_JSON; return 0; }
    return -1;
}

static int key_is_secret(const char *key) {
    static const char *const needles[] = {"password", "token", "secret", "authorization"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (strcasestr(key, needles[i])) return 1;
    return 0;
}

/* Appends to buf at *len, never past cap-1; keeps buf NUL-terminated. */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + 1 >= cap) return;
    size_t room = cap - 1 - *len;
    if (n > room) n = room;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

static void put_str(char *buf, size_t cap, size_t *len, const char *s) { put(buf, cap, len, s, strlen(s)); }

/* logfmt quotes values with spaces, quotes or '='; JSON always quotes. Both escape
 * backslash, quote and control characters the same way. */
static void put_value(char *buf, size_t cap, size_t *len, const char *v, int force_quote) {
    int quote = force_quote || *v == '\0';
    for (const char *p = v; *p && !quote; p++)
        if (*p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20) quote = 1;
    if (quote) put(buf, cap, len, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; put(buf, cap, len, esc, 2); }
        else if (*p == '\n') put(buf, cap, len, "\\n", 2);
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); put_str(buf, cap, len, esc); }
        else put(buf, cap, len, (const char *)p, 1);
    }
    if (quote) put(buf, cap, len, "\"", 1);
}

static void put_field(char *buf, size_t cap, size_t *len, log_format format, int first,
                      const char *key, const char *value) {
    if (format == LOG_FORMAT_JSON) {
        put_str(buf, cap, len, first ? "{" : ",");
        put_value(buf, cap, len, key, 1);
        put(buf, cap, len, ":", 1);
        put_value(buf, cap, len, value, 1);
    } else {
        if (!first) put(buf, cap, len, " ", 1);
        put_str(buf, cap, len, key);
        put(buf, cap, len, "=", 1);
        put_value(buf, cap, len, value, 0);
    }
}

size_t log_format_record(char *buf, size_t buflen, log_format format, log_level level,
                         const char *ts, const char *msg, const char *const *kv, size_t nkv) {
    size_t len = 0;
    if (buflen == 0) return 0;
    buf[0] = '\0';
    put_field(buf, buflen, &len, format, 1, "ts", ts);
    put_field(buf, buflen, &len, format, 0, "level", level_names[level]);
    put_field(buf, buflen, &len, format, 0, "msg", msg);
    for (size_t i = 0; i + 1 < nkv; i += 2) {
        const char *key = kv[i] ? kv[i] : "?";
        const char *value = kv[i + 1] ? kv[i + 1] : "";
        put_field(buf, buflen, &len, format, 0, key, key_is_secret(key) ? "[REDACTED]" : value);
    }
    if (format == LOG_FORMAT_JSON) put(buf, buflen, &len, "}", 1);
    return len;
}

void log_emit(log_level level, const char *msg, ...) {
    if (level < log_min) return;
    const char *kv[64];
    size_t nkv = 0;
    va_list ap;
    va_start(ap, msg);
    for (const char *s; nkv < 64 && (s = va_arg(ap, const char *)) != NULL;) kv[nkv++] = s;
    va_end(ap);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char ts[40];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);

    char line[4096];
    size_t len = log_format_record(line, sizeof line - 1, log_fmt, level, ts, msg, kv, nkv);
    line[len++] = '\n';
    pthread_mutex_lock(&log_lock);
    FILE *out = log_out ? log_out : stderr;
    fwrite(line, 1, len, out);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
}
