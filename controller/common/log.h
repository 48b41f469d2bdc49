/* log: structured, leveled logging for every module.
 *
 * One line per record, logfmt (default) or JSON:
 *   ts=2026-11-25T00:00:00.000Z level=info msg="run finished" test=SET rps=812345.6
 *   {"ts":"...","level":"info","msg":"run finished","test":"SET","rps":"812345.6"}
 *
 * Call with a message and then key/value string pairs:
 *   log_info("watch restarted", "resource", "pods", "reason", "410 Gone");
 * Values of keys that look like secrets (password, token, secret, authorization)
 * are replaced by "[REDACTED]": defence in depth, callers must still never log them.
 * Thread-safe: a record is written with one fwrite under a lock. */
#ifndef VB_COMMON_LOG_H
#define VB_COMMON_LOG_H

#include <stdio.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
typedef enum { LOG_FORMAT_LOGFMT = 0, LOG_FORMAT_JSON } log_format;

/* Defaults: LOG_INFO, LOG_FORMAT_LOGFMT, stderr. `out` NULL keeps the current stream. */
void log_configure(log_level min_level, log_format format, FILE *out);

/* Parse "debug|info|warn|error" / "logfmt|json"; 0 on success, -1 if unknown. */
int log_parse_level(const char *s, log_level *out);
int log_parse_format(const char *s, log_format *out);

/* Emit one record; the variadic part is key, value, key, value, ..., NULL. */
void log_emit(log_level level, const char *msg, ...);

#define log_debug(...) log_emit(LOG_DEBUG, __VA_ARGS__, (const char *)0)
#define log_info(...) log_emit(LOG_INFO, __VA_ARGS__, (const char *)0)
#define log_warn(...) log_emit(LOG_WARN, __VA_ARGS__, (const char *)0)
#define log_error(...) log_emit(LOG_ERROR, __VA_ARGS__, (const char *)0)

/* Format a record into buf (no trailing newline); used by log_emit and tests.
 * Returns the length written (truncated to buflen-1). */
size_t log_format_record(char *buf, size_t buflen, log_format format, log_level level,
                         const char *ts, const char *msg, const char *const *kv, size_t nkv);

#endif
