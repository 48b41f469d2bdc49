/* Unit tests for operator/topologycheck_controller: LabelSelector -> selector string, and
 * when the next check is due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "operator/topologycheck_controller.h"

static void sel(const char *json, int want_rc, const char *want) {
    json_t *s = json_loads(json, 0, NULL);
    assert_non_null(s);
    char out[256], err[256] = "";
    assert_int_equal(topologycheck_selector_string(s, out, sizeof out, err, sizeof err), want_rc);
    if (want_rc == 0)
        assert_string_equal(out, want);
    else
        assert_non_null(strstr(err, want));
    json_decref(s);
}

static void test_selector_strings(void **state) {
    (void)state;
    sel("{}", 0, "");
    sel("{\"matchLabels\": {\"app\": \"valkey\", \"tier\": \"db\"}}", 0, "app=valkey,tier=db");
    sel("{\"matchLabels\": {\"app\": \"valkey\"}, \"matchExpressions\": ["
        "{\"key\": \"zone\", \"operator\": \"In\", \"values\": [\"a\", \"b\"]},"
        "{\"key\": \"x\", \"operator\": \"NotIn\", \"values\": [\"c\"]},"
        "{\"key\": \"y\", \"operator\": \"Exists\"}, {\"key\": \"z\", \"operator\": \"DoesNotExist\"}]}",
        0, "app=valkey,zone in (a,b),x notin (c),y,!z");
    sel("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"Near\", \"values\": [\"a\"]}]}", -1,
        "unknown operator \"Near\"");
    sel("{\"matchExpressions\": [{\"key\": \"k\", \"operator\": \"In\", \"values\": []}]}", -1, "needs values");
    sel("{\"matchExpressions\": [{\"operator\": \"Exists\"}]}", -1, "has no key");
    sel("{\"matchLabels\": {\"app\": 3}}", -1, "not a string");
}

static long due(const char *json, long long now) {
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    long d = topologycheck_due_in(o, now);
    json_decref(o);
    return d;
}

static void test_due(void **state) {
    (void)state;
    struct tm tm = {.tm_year = 126, .tm_mon = 0, .tm_mday = 1, .tm_hour = 0, .tm_min = 0, .tm_sec = 0};
    long long t0 = (long long)timegm(&tm); /* 2026-01-01T00:00:00Z */
    /* no result yet: now */
    assert_int_equal(due("{\"metadata\": {\"generation\": 1}, \"spec\": {\"intervalSeconds\": 60}}", t0), 0);
    const char *checked = "{\"metadata\": {\"generation\": %d}, \"spec\": {\"intervalSeconds\": %d}, \"status\": "
                          "{\"result\": \"PASS\", \"observedGeneration\": 1, \"lastCheckTime\": \"2026-01-01T00:00:00Z\"}}";
    char buf[512];
    snprintf(buf, sizeof buf, checked, 1, 60);
    assert_int_equal(due(buf, t0 + 10), 50);
    assert_int_equal(due(buf, t0 + 60), 0);
    snprintf(buf, sizeof buf, checked, 2, 60); /* a new generation: now */
    assert_int_equal(due(buf, t0 + 10), 0);
    snprintf(buf, sizeof buf, checked, 1, 0); /* once per generation */
    assert_int_equal(due(buf, t0 + 1000), -1);
    snprintf(buf, sizeof buf, checked, 2, 0);
    assert_int_equal(due(buf, t0 + 1000), 0);
    /* no interval field: the CRD default of 300 s */
    assert_int_equal(due("{\"metadata\": {\"generation\": 1}, \"status\": {\"result\": \"FAIL\", "
                         "\"observedGeneration\": 1, \"lastCheckTime\": \"2026-01-01T00:00:00Z\"}}", t0 + 100),
                     200);
    /* a missing Secret is polled every 10 s, even with intervalSeconds 0 */
    assert_int_equal(due("{\"metadata\": {\"generation\": 1}, \"spec\": {\"intervalSeconds\": 0}, \"status\": "
                         "{\"result\": \"FAIL\", \"observedGeneration\": 1, \"lastCheckTime\": "
                         "\"2026-01-01T00:00:00Z\", \"checks\": [{\"name\": \"auth\", \"passed\": false}]}}", t0 + 4),
                     6);
    /* an unparsable lastCheckTime re-checks rather than never */
    assert_int_equal(due("{\"metadata\": {\"generation\": 1}, \"spec\": {\"intervalSeconds\": 60}, \"status\": "
                         "{\"result\": \"FAIL\", \"observedGeneration\": 1, \"lastCheckTime\": \"yesterday\"}}", t0),
                     0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_selector_strings),
        cmocka_unit_test(test_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
