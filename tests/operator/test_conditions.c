/* Unit tests for operator/conditions: the API conventions' transition rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "operator/conditions.h"

static const char *field(const json_t *c, const char *k) {
    return json_string_value(json_object_get(c, k));
}

static void test_set_creates_array_and_entry(void **state) {
    (void)state;
    json_t *st = json_object();
    assert_int_equal(conditions_set(st, "Progressing", COND_TRUE, "Scheduling", "waiting for 3 runners", 2,
                                    "2026-01-01T00:00:00Z"),
                     1);
    json_t *c = conditions_get(st, "Progressing");
    assert_non_null(c);
    assert_string_equal(field(c, "status"), "True");
    assert_string_equal(field(c, "reason"), "Scheduling");
    assert_string_equal(field(c, "message"), "waiting for 3 runners");
    assert_string_equal(field(c, "lastTransitionTime"), "2026-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(c, "observedGeneration")), 2);
    assert_true(conditions_is_true(st, "Progressing"));
    assert_false(conditions_is_true(st, "Complete"));
    json_decref(st);
}

static void test_transition_time_moves_only_on_status_change(void **state) {
    (void)state;
    json_t *st = json_object();
    conditions_set(st, "Progressing", COND_TRUE, "Scheduling", "a", 1, "T1");
    /* same status, new reason/message/generation: updated, but the time stays */
    assert_int_equal(conditions_set(st, "Progressing", COND_TRUE, "RunnersRunning", "b", 2, "T2"), 1);
    json_t *c = conditions_get(st, "Progressing");
    assert_string_equal(field(c, "lastTransitionTime"), "T1");
    assert_string_equal(field(c, "reason"), "RunnersRunning");
    assert_int_equal(json_integer_value(json_object_get(c, "observedGeneration")), 2);
    /* identical: no change reported */
    assert_int_equal(conditions_set(st, "Progressing", COND_TRUE, "RunnersRunning", "b", 2, "T3"), 0);
    assert_string_equal(field(c, "lastTransitionTime"), "T1");
    /* status flips: time moves */
    assert_int_equal(conditions_set(st, "Progressing", COND_FALSE, "BenchmarkSucceeded", "done", 2, "T4"), 1);
    assert_string_equal(field(c, "lastTransitionTime"), "T4");
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), 1);
    json_decref(st);
}

static void test_several_types_and_remove(void **state) {
    (void)state;
    json_t *st = json_object();
    conditions_set(st, "Progressing", COND_FALSE, "BenchmarkFailed", "x", 1, "T");
    conditions_set(st, "Failed", COND_TRUE, "RunnerFailed", "runner 1 exited 1", 1, "T");
    conditions_set(st, "Complete", COND_UNKNOWN, "Unknown", "", 1, "T");
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), 3);
    assert_true(conditions_is_true(st, "Failed"));
    assert_int_equal(conditions_remove(st, "Complete"), 1);
    assert_int_equal(conditions_remove(st, "Complete"), 0);
    assert_null(conditions_get(st, "Complete"));
    assert_int_equal(json_array_size(json_object_get(st, "conditions")), 2);
    json_decref(st);
}

static void test_rejects_bad_input(void **state) {
    (void)state;
    json_t *st = json_object();
    assert_int_equal(conditions_set(st, "Ready", "true", "Ok", "", 1, "T"), -1);
    assert_int_equal(conditions_set(st, "Ready", COND_TRUE, "not camel", "", 1, "T"), -1);
    assert_int_equal(conditions_set(st, "Ready", COND_TRUE, "lowerStart", "", 1, "T"), -1);
    assert_int_equal(conditions_set(st, "", COND_TRUE, "Ok", "", 1, "T"), -1);
    json_t *arr = json_array();
    assert_int_equal(conditions_set(arr, "Ready", COND_TRUE, "Ok", "", 1, "T"), -1);
    json_decref(arr);
    assert_null(json_object_get(st, "conditions"));
    json_decref(st);
}

static void test_now_is_rfc3339(void **state) {
    (void)state;
    char buf[32];
    conditions_now(buf, sizeof buf);
    assert_int_equal(strlen(buf), 20);
    assert_int_equal(buf[10], 'T');
    assert_int_equal(buf[19], 'Z');
    json_t *st = json_object();
    conditions_set(st, "Progressing", COND_TRUE, "Scheduling", NULL, 1, NULL);
    assert_int_equal(strlen(field(conditions_get(st, "Progressing"), "lastTransitionTime")), 20);
    assert_string_equal(field(conditions_get(st, "Progressing"), "message"), "");
    json_decref(st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_creates_array_and_entry),
        cmocka_unit_test(test_transition_time_moves_only_on_status_change),
        cmocka_unit_test(test_several_types_and_remove),
        cmocka_unit_test(test_rejects_bad_input),
        cmocka_unit_test(test_now_is_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
