/* Unit tests for the pure parts of the kube runtime: MicroTime formatting (14-leases:
 * exactly six fractional digits, UTC), the controlling-owner key (Owns()), and the
 * reconcile result helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "kube/informer.h"
#include "kube/leader.h"
#include "kube/manager.h"

static void test_microtime_format(void **state) {
    (void)state;
    char buf[40];
    /* 2026-11-25T00:22:13.951293Z, as in 14-leases/01 */
    struct timespec t = {.tv_sec = 1795566133, .tv_nsec = 951293999};
    kube_format_microtime(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T00:22:13.951293Z");
    t.tv_nsec = 0;
    kube_format_microtime(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T00:22:13.000000Z");
    t.tv_nsec = 5000;
    kube_format_microtime(&t, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-25T00:22:13.000005Z");
}

static json_t *child(const char *refs_json) {
    json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", "pod-1", "namespace", "bench");
    json_object_set_new(json_object_get(o, "metadata"), "ownerReferences", json_loads(refs_json, 0, NULL));
    return o;
}

static void test_owner_key(void **state) {
    (void)state;
    char key[128];
    json_t *o = child("[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"cm\",\"uid\":\"1\"},"
                      "{\"apiVersion\":\"valkeybench.io/v1alpha1\",\"kind\":\"ValkeyBenchmark\",\"name\":\"b1\","
                      "\"uid\":\"2\",\"controller\":true}]");
    assert_int_equal(kube_owner_key(o, "valkeybench.io", "ValkeyBenchmark", key, sizeof key), 0);
    assert_string_equal(key, "bench/b1");
    assert_int_equal(kube_owner_key(o, NULL, "ValkeyBenchmark", key, sizeof key), 0);
    assert_int_equal(kube_owner_key(o, "other.io", "ValkeyBenchmark", key, sizeof key), -1);
    assert_int_equal(kube_owner_key(o, NULL, "ConfigMap", key, sizeof key), -1); /* not the controller */
    json_decref(o);
    o = child("[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"cm\",\"controller\":true}]");
    assert_int_equal(kube_owner_key(o, "", "ConfigMap", key, sizeof key), 0);
    assert_string_equal(key, "bench/cm");
    json_decref(o);
    o = json_pack("{s:{s:s}}", "metadata", "name", "x");
    assert_int_equal(kube_owner_key(o, NULL, "ConfigMap", key, sizeof key), -1);
    json_decref(o);
}

static void test_result_helpers(void **state) {
    (void)state;
    kube_reconcile_result r = kube_result_ok();
    assert_false(r.error || r.requeue || r.requeue_after_ms);
    r = kube_result_requeue_after(1500);
    assert_int_equal(r.requeue_after_ms, 1500);
    assert_false(r.error);
    r = kube_result_error("pod %s: %d", "p", 7);
    assert_true(r.error);
    assert_string_equal(r.message, "pod p: 7");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_microtime_format),
        cmocka_unit_test(test_owner_key),
        cmocka_unit_test(test_result_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
