/* Unit tests for kube/cache and kube/labelsel: indexing by key and namespace, label
 * selection, copies handed out, and the relist diff replayed as events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache.h"
#include "kube/labelsel.h"

static json_t *obj(const char *ns, const char *name, const char *rv, const char *labels_json) {
    json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", name, "resourceVersion", rv);
    json_t *md = json_object_get(o, "metadata");
    if (ns) json_object_set_new(md, "namespace", json_string(ns));
    if (labels_json) json_object_set_new(md, "labels", json_loads(labels_json, 0, NULL));
    return o;
}

static void put(kube_cache *c, json_t *o) {
    json_decref(kube_cache_put(c, o));
    json_decref(o);
}

static void test_keys(void **state) {
    (void)state;
    char buf[64], ns[32], name[32];
    json_t *o = obj("default", "w1", "1", NULL);
    assert_int_equal(kube_object_key(o, buf, sizeof buf), 0);
    assert_string_equal(buf, "default/w1");
    json_decref(o);
    o = obj(NULL, "node-a", "1", NULL);
    assert_int_equal(kube_object_key(o, buf, sizeof buf), 0);
    assert_string_equal(buf, "node-a");
    json_decref(o);
    assert_int_equal(kube_key_split("default/w1", ns, sizeof ns, name, sizeof name), 0);
    assert_string_equal(ns, "default");
    assert_string_equal(name, "w1");
    assert_int_equal(kube_key_split("node-a", ns, sizeof ns, name, sizeof name), 0);
    assert_string_equal(ns, "");
    assert_string_equal(name, "node-a");
    assert_int_equal(kube_key_split("ns/", ns, sizeof ns, name, sizeof name), -1);
}

static void test_get_returns_copy(void **state) {
    (void)state;
    kube_cache *c = kube_cache_new();
    put(c, obj("a", "w1", "10", "{\"app\":\"x\"}"));
    json_t *got = kube_cache_get(c, "a/w1");
    assert_non_null(got);
    json_object_set_new(json_object_get(got, "metadata"), "resourceVersion", json_string("mutated"));
    json_decref(got);
    got = kube_cache_get_by_name(c, "a", "w1");
    assert_string_equal(kube_object_rv(got), "10");
    json_decref(got);
    assert_null(kube_cache_get(c, "a/missing"));
    kube_cache_free(c);
}

static void test_put_replace_delete_and_namespace_index(void **state) {
    (void)state;
    kube_cache *c = kube_cache_new();
    put(c, obj("a", "w1", "1", NULL));
    put(c, obj("a", "w2", "2", NULL));
    put(c, obj("b", "w1", "3", NULL));
    assert_int_equal(kube_cache_len(c), 3);
    json_t *o = obj("a", "w1", "4", NULL);
    json_t *old = kube_cache_put(c, o);
    json_decref(o);
    assert_string_equal(kube_object_rv(old), "1");
    json_decref(old);
    assert_int_equal(kube_cache_len(c), 3);
    json_t *keys = kube_cache_keys(c, "a");
    assert_int_equal(json_array_size(keys), 2);
    assert_string_equal(json_string_value(json_array_get(keys, 0)), "a/w1");
    assert_string_equal(json_string_value(json_array_get(keys, 1)), "a/w2");
    json_decref(keys);
    old = kube_cache_delete(c, "a/w2");
    assert_string_equal(kube_object_rv(old), "2");
    json_decref(old);
    assert_null(kube_cache_delete(c, "a/w2"));
    json_t *l = kube_cache_list(c, "a", NULL, NULL, 0);
    assert_int_equal(json_array_size(l), 1);
    json_decref(l);
    l = kube_cache_list(c, "nope", NULL, NULL, 0);
    assert_int_equal(json_array_size(l), 0);
    json_decref(l);
    l = kube_cache_list(c, NULL, "", NULL, 0);
    assert_int_equal(json_array_size(l), 2);
    json_decref(l);
    kube_cache_free(c);
}

static size_t count(kube_cache *c, const char *ns, const char *sel) {
    char err[256];
    json_t *l = kube_cache_list(c, ns, sel, err, sizeof err);
    assert_non_null(l);
    size_t n = json_array_size(l);
    json_decref(l);
    return n;
}

static void test_list_by_label_selector(void **state) {
    (void)state;
    kube_cache *c = kube_cache_new();
    put(c, obj("a", "p1", "1", "{\"app\":\"valkey\",\"tier\":\"cache\"}"));
    put(c, obj("a", "p2", "1", "{\"app\":\"valkey\",\"tier\":\"db\"}"));
    put(c, obj("a", "p3", "1", "{\"app\":\"other\"}"));
    put(c, obj("b", "p4", "1", "{\"app\":\"valkey\",\"tier\":\"cache\"}"));
    put(c, obj("b", "p5", "1", NULL));
    assert_int_equal(count(c, NULL, "app=valkey"), 3);
    assert_int_equal(count(c, "a", "app==valkey"), 2);
    assert_int_equal(count(c, NULL, "app=valkey,tier=cache"), 2);
    assert_int_equal(count(c, NULL, "app!=valkey"), 2); /* p3, and p5 without the label */
    assert_int_equal(count(c, NULL, "tier in (cache, db)"), 3);
    assert_int_equal(count(c, NULL, "tier notin (cache)"), 3);
    assert_int_equal(count(c, NULL, "tier"), 3);
    assert_int_equal(count(c, NULL, "!tier"), 2);
    assert_int_equal(count(c, "b", " app = valkey , !nothing "), 1);
    char err[256] = "";
    assert_null(kube_cache_list(c, NULL, "app in valkey", err, sizeof err));
    assert_non_null(strstr(err, "invalid label selector"));
    assert_null(kube_cache_list(c, NULL, "app=valkey,", err, sizeof err));
    assert_null(kube_cache_list(c, NULL, "=x", err, sizeof err));
    kube_cache_free(c);
}

typedef struct {
    char log[1024];
} delta_log;

static void record(kube_delta_type t, json_t *old, json_t *new_, void *ud) {
    delta_log *d = ud;
    char key[128];
    kube_object_key(new_ ? new_ : old, key, sizeof key);
    static const char *const names[] = {"add", "update", "delete"};
    size_t len = strlen(d->log);
    snprintf(d->log + len, sizeof d->log - len, "%s %s %s->%s;", names[t], key, old ? kube_object_rv(old) : "-",
             new_ ? kube_object_rv(new_) : "-");
}

static void test_diff_replays_differences(void **state) {
    (void)state;
    json_t *old = json_object();
    json_object_set_new(old, "a/same", obj("a", "same", "5", NULL));
    json_object_set_new(old, "a/changed", obj("a", "changed", "6", NULL));
    json_object_set_new(old, "a/gone2", obj("a", "gone2", "7", NULL));
    json_object_set_new(old, "a/gone1", obj("a", "gone1", "8", NULL));
    json_t *items = json_array();
    json_array_append_new(items, obj("a", "new", "20", NULL));
    json_array_append_new(items, obj("a", "changed", "21", NULL));
    json_array_append_new(items, obj("a", "same", "5", NULL));
    delta_log d = {""};
    kube_diff(old, items, record, &d);
    assert_string_equal(d.log, "add a/new -->20;update a/changed 6->21;delete a/gone1 8->-;delete a/gone2 7->-;");
    /* Nothing changed: nothing replayed. */
    d.log[0] = '\0';
    json_t *same = json_object();
    json_object_set_new(same, "a/new", obj("a", "new", "20", NULL));
    json_object_set_new(same, "a/changed", obj("a", "changed", "21", NULL));
    json_object_set_new(same, "a/same", obj("a", "same", "5", NULL));
    kube_diff(same, items, record, &d);
    assert_string_equal(d.log, "");
    json_decref(same);
    json_decref(old);
    json_decref(items);
}

static void test_replace_scoped_to_namespace(void **state) {
    (void)state;
    kube_cache *c = kube_cache_new();
    put(c, obj("a", "w1", "1", NULL));
    put(c, obj("a", "w2", "1", NULL));
    put(c, obj("b", "w1", "1", NULL));
    json_t *items = json_array();
    json_array_append_new(items, obj("a", "w2", "9", NULL));
    json_array_append_new(items, obj("a", "w3", "9", NULL));
    delta_log d = {""};
    kube_cache_replace(c, "a", items, record, &d);
    json_decref(items);
    assert_string_equal(d.log, "update a/w2 1->9;add a/w3 -->9;delete a/w1 1->-;");
    json_t *keys = kube_cache_keys(c, NULL);
    char *s = json_dumps(keys, JSON_COMPACT);
    assert_string_equal(s, "[\"a/w2\",\"a/w3\",\"b/w1\"]");
    free(s);
    json_decref(keys);
    /* Whole-cache replace with an empty list deletes everything. */
    d.log[0] = '\0';
    items = json_array();
    kube_cache_replace(c, NULL, items, record, &d);
    json_decref(items);
    assert_int_equal(kube_cache_len(c), 0);
    assert_string_equal(d.log, "delete a/w2 9->-;delete a/w3 9->-;delete b/w1 1->-;");
    kube_cache_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_get_returns_copy),
        cmocka_unit_test(test_put_replace_delete_and_namespace_index),
        cmocka_unit_test(test_list_by_label_selector),
        cmocka_unit_test(test_diff_replays_differences),
        cmocka_unit_test(test_replace_scoped_to_namespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
