/* Unit tests for common/log: record formats, quoting, secret redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/log.h"

static void test_logfmt_quotes_only_when_needed(void **state) {
    (void)state;
    const char *kv[] = {"test", "SET", "note", "two words", "eq", "a=b"};
    char buf[256];
    log_format_record(buf, sizeof buf, LOG_FORMAT_LOGFMT, LOG_INFO, "T", "run done", kv, 6);
    assert_string_equal(buf, "ts=T level=info msg=\"run done\" test=SET note=\"two words\" eq=\"a=b\"");
}

static void test_json_escapes(void **state) {
    (void)state;
    const char *kv[] = {"path", "a\"b\\c\nd"};
    char buf[256];
    log_format_record(buf, sizeof buf, LOG_FORMAT_JSON, LOG_WARN, "T", "m", kv, 2);
    assert_string_equal(buf, "{\"ts\":\"T\",\"level\":\"warn\",\"msg\":\"m\",\"path\":\"a\\\"b\\\\c\\nd\"}");
}

static void test_secret_keys_are_redacted(void **state) {
    (void)state;
    const char *kv[] = {"password", "hunter2", "bearerToken", "abc", "client_secret", "s", "user", "bob"};
    char buf[512];
    log_format_record(buf, sizeof buf, LOG_FORMAT_LOGFMT, LOG_ERROR, "T", "m", kv, 8);
    assert_null(strstr(buf, "hunter2"));
    assert_null(strstr(buf, "abc"));
    assert_non_null(strstr(buf, "password=[REDACTED]"));
    assert_non_null(strstr(buf, "user=bob"));
}

static void test_truncation_keeps_terminator(void **state) {
    (void)state;
    char buf[16];
    size_t n = log_format_record(buf, sizeof buf, LOG_FORMAT_LOGFMT, LOG_INFO, "T", "a long message here", NULL, 0);
    assert_int_equal(n, 15);
    assert_int_equal(strlen(buf), 15);
}

static void test_parse_level_and_format(void **state) {
    (void)state;
    log_level l;
    log_format f;
    assert_int_equal(log_parse_level("warn", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_parse_level("loud", &l), -1);
    assert_int_equal(log_parse_format("json", &f), 0);
    assert_int_equal(f, LOG_FORMAT_JSON);
    assert_int_equal(log_parse_format("xml", &f), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logfmt_quotes_only_when_needed),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_secret_keys_are_redacted),
        cmocka_unit_test(test_truncation_keeps_terminator),
        cmocka_unit_test(test_parse_level_and_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
