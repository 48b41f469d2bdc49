/* Unit tests for kube/workqueue: dedup, no concurrent processing of a key, delayed adds
 * in due order, backoff arithmetic, pause, shutdown draining. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/workqueue.h"

static void expect_get(kube_workqueue *q, const char *want) {
    char *k = kube_workqueue_get(q);
    assert_non_null(k);
    assert_string_equal(k, want);
    kube_workqueue_done(q, k);
    free(k);
}

static void test_backoff_arithmetic(void **state) {
    (void)state;
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 0), 5);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 1), 10);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 10), 5120);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 17), 655360);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 18), 1000000);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, 5000), 1000000);
    assert_int_equal(kube_backoff_delay_ms(5, 1000000, -3), 5);
}

static void test_dedup_while_waiting(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_add(q, "ns/a");
    kube_workqueue_add(q, "ns/b");
    kube_workqueue_add(q, "ns/a");
    assert_int_equal(kube_workqueue_len(q), 2);
    expect_get(q, "ns/a");
    expect_get(q, "ns/b");
    assert_int_equal(kube_workqueue_len(q), 0);
    kube_workqueue_free(q);
}

static void test_readd_while_processing_comes_back_after_done(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_add(q, "ns/a");
    char *k = kube_workqueue_get(q);
    assert_string_equal(k, "ns/a");
    kube_workqueue_add(q, "ns/a");
    kube_workqueue_add(q, "ns/a");
    /* Not handed out while being processed. */
    assert_int_equal(kube_workqueue_len(q), 0);
    kube_workqueue_done(q, k);
    free(k);
    assert_int_equal(kube_workqueue_len(q), 1);
    expect_get(q, "ns/a");
    assert_int_equal(kube_workqueue_len(q), 0);
    kube_workqueue_free(q);
}

/* Many workers, few keys, many adds: a key must never be processed by two workers. */
typedef struct {
    kube_workqueue *q;
    atomic_int busy[4];
    atomic_int violations;
    atomic_int processed;
} stress_ctx;

static void *stress_worker(void *arg) {
    stress_ctx *c = arg;
    char *k;
    while ((k = kube_workqueue_get(c->q)) != NULL) {
        int idx = k[4] - '0';
        if (atomic_fetch_add(&c->busy[idx], 1) != 0) atomic_fetch_add(&c->violations, 1);
        usleep(200);
        atomic_fetch_sub(&c->busy[idx], 1);
        atomic_fetch_add(&c->processed, 1);
        kube_workqueue_done(c->q, k);
        free(k);
    }
    return NULL;
}

static void test_no_concurrent_processing_of_a_key(void **state) {
    (void)state;
    stress_ctx c = {.q = kube_workqueue_new()};
    pthread_t th[6];
    for (int i = 0; i < 6; i++) pthread_create(&th[i], NULL, stress_worker, &c);
    char key[16];
    for (int i = 0; i < 4000; i++) {
        snprintf(key, sizeof key, "key/%d", i % 4);
        kube_workqueue_add(c.q, key);
        if (i % 50 == 0) usleep(100);
    }
    while (kube_workqueue_len(c.q) > 0) usleep(1000);
    kube_workqueue_shutdown(c.q);
    kube_workqueue_drain(c.q);
    for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&c.violations), 0);
    assert_true(atomic_load(&c.processed) >= 4);
    /* Dedup: far fewer runs than adds (keys collapse while waiting). */
    assert_true(atomic_load(&c.processed) <= 4000);
    kube_workqueue_free(c.q);
}

static void test_delayed_adds_in_due_order(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_add_after(q, "ns/c", 90);
    kube_workqueue_add_after(q, "ns/a", 30);
    kube_workqueue_add_after(q, "ns/b", 60);
    assert_int_equal(kube_workqueue_delayed_len(q), 3);
    assert_int_equal(kube_workqueue_len(q), 0);
    expect_get(q, "ns/a");
    expect_get(q, "ns/b");
    expect_get(q, "ns/c");
    assert_int_equal(kube_workqueue_delayed_len(q), 0);
    kube_workqueue_free(q);
}

static void test_delayed_twice_keeps_earlier(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_add_after(q, "ns/x", 3600 * 1000);
    kube_workqueue_add_after(q, "ns/y", 40);
    kube_workqueue_add_after(q, "ns/x", 10);
    kube_workqueue_add_after(q, "ns/x", 7200 * 1000); /* later: ignored */
    assert_int_equal(kube_workqueue_delayed_len(q), 2);
    /* ns/x is due first: if the hour-long delay had won this test would time out. */
    expect_get(q, "ns/x");
    expect_get(q, "ns/y");
    kube_workqueue_free(q);
}

static void test_rate_limited_counts_and_forget(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_set_backoff(q, 1, 1000);
    for (int i = 1; i <= 3; i++) {
        kube_workqueue_add_rate_limited(q, "ns/a");
        assert_int_equal(kube_workqueue_num_requeues(q, "ns/a"), i);
        expect_get(q, "ns/a");
    }
    kube_workqueue_forget(q, "ns/a");
    assert_int_equal(kube_workqueue_num_requeues(q, "ns/a"), 0);
    kube_workqueue_free(q);
}

static void test_rate_limited_uses_backoff_delay(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_set_backoff(q, 3600 * 1000, 7200 * 1000);
    kube_workqueue_add_rate_limited(q, "ns/slow");
    /* The retry is due in an hour; meanwhile another key is served. */
    kube_workqueue_add_after(q, "ns/fast", 5);
    expect_get(q, "ns/fast");
    assert_int_equal(kube_workqueue_delayed_len(q), 1);
    kube_workqueue_free(q);
}

static void *getter(void *arg) { return kube_workqueue_get(arg); }

static void test_shutdown_wakes_blocked_getters(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    pthread_t th[3];
    for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, getter, q);
    usleep(20000);
    kube_workqueue_shutdown(q);
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(th[i], &r);
        assert_null(r);
    }
    kube_workqueue_add(q, "ns/late");
    assert_int_equal(kube_workqueue_len(q), 0);
    assert_null(kube_workqueue_get(q));
    kube_workqueue_free(q);
}

typedef struct {
    kube_workqueue *q;
    atomic_bool drained;
} drain_ctx;

static void *drainer(void *arg) {
    drain_ctx *d = arg;
    kube_workqueue_drain(d->q);
    atomic_store(&d->drained, true);
    return NULL;
}

static void test_shutdown_lets_inflight_finish(void **state) {
    (void)state;
    drain_ctx d = {.q = kube_workqueue_new()};
    kube_workqueue_add(d.q, "ns/a");
    kube_workqueue_add(d.q, "ns/b");
    char *k = kube_workqueue_get(d.q);
    kube_workqueue_shutdown(d.q);
    /* Queued but not started: not handed out any more. */
    assert_null(kube_workqueue_get(d.q));
    pthread_t th;
    pthread_create(&th, NULL, drainer, &d);
    usleep(30000);
    assert_false(atomic_load(&d.drained));
    kube_workqueue_done(d.q, k);
    free(k);
    pthread_join(th, NULL);
    assert_true(atomic_load(&d.drained));
    kube_workqueue_free(d.q);
}

static void test_pause_holds_keys(void **state) {
    (void)state;
    kube_workqueue *q = kube_workqueue_new();
    kube_workqueue_set_paused(q, true);
    kube_workqueue_add(q, "ns/a");
    pthread_t th;
    pthread_create(&th, NULL, getter, q);
    usleep(20000);
    assert_int_equal(kube_workqueue_len(q), 1); /* still queued: the getter is held */
    kube_workqueue_set_paused(q, false);
    void *r;
    pthread_join(th, &r);
    assert_string_equal(r, "ns/a");
    kube_workqueue_done(q, r);
    free(r);
    kube_workqueue_free(q);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_arithmetic),
        cmocka_unit_test(test_dedup_while_waiting),
        cmocka_unit_test(test_readd_while_processing_comes_back_after_done),
        cmocka_unit_test(test_no_concurrent_processing_of_a_key),
        cmocka_unit_test(test_delayed_adds_in_due_order),
        cmocka_unit_test(test_delayed_twice_keeps_earlier),
        cmocka_unit_test(test_rate_limited_counts_and_forget),
        cmocka_unit_test(test_rate_limited_uses_backoff_delay),
        cmocka_unit_test(test_shutdown_wakes_blocked_getters),
        cmocka_unit_test(test_shutdown_lets_inflight_finish),
        cmocka_unit_test(test_pause_holds_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
