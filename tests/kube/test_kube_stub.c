/* The kube client against tests/kube/stub_server.py, for a behaviour kubesim cannot show: a
 * server that processes a POST and drops the connection before answering. The client must
 * report the failure and never send the POST again (it may have taken effect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/kube_internal.h"

static char dir[64];
static FILE *stub;
static kube_config *cfg;
static kube_client *cli;

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/vb-kube-stub-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    char cmd[600], portfile[128], err[512];
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    snprintf(cmd, sizeof cmd, "exec python3 '%s' '%s'", STUB_SERVER, portfile);
    stub = popen(cmd, "w");
    if (!stub) return -1;
    char *port = NULL;
    for (int i = 0; i < 200 && !port; i++) { /* bounded wait for the stub to listen */
        port = kube_read_file(portfile, "port", NULL, err, sizeof err);
        if (!port) {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
    }
    if (!port) return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/kubeconfig", dir);
    FILE *f = fopen(path, "w");
    fprintf(f,
            "current-context: s\nclusters: [{name: s, cluster: {server: 'http://127.0.0.1:%d'}}]\n"
            "contexts: [{name: s, context: {cluster: s, user: s}}]\nusers: [{name: s, user: {token: t}}]\n",
            atoi(port));
    fclose(f);
    free(port);
    kube_config_opts o = {.kubeconfig_path = path};
    if (kube_config_load(&o, &cfg, err, sizeof err) || !(cli = kube_client_new(cfg, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    kube_client_free(cli);
    kube_config_free(cfg);
    if (stub) pclose(stub); /* closes its stdin: the stub exits */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static long posts_seen(void) {
    kube_status st = {0};
    json_t *o = NULL;
    if (kube_request(cli, "GET", "/_stub/count", NULL, NULL, &o, &st)) fail_msg("count: %s", st.message);
    long n = (long)json_integer_value(json_object_get(o, "POST"));
    json_decref(o);
    return n;
}

static void test_post_not_resent_after_lost_answer(void **state) {
    (void)state;
    kube_status st = {0};
    /* a GET first, so that a kept-alive connection sits in the pool */
    assert_int_equal(kube_get(cli, &KUBE_CONFIGMAPS, "default", "x", NULL, &st), 0);
    json_t *o = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", "p");
    assert_int_equal(kube_create(cli, &KUBE_CONFIGMAPS, "default", o, NULL, &st), -1);
    assert_int_equal(st.code, 0);
    assert_string_equal(st.reason, "TransportError");
    assert_int_equal(posts_seen(), 1);
    /* the next POST is answered */
    json_t *out = NULL;
    assert_int_equal(kube_create(cli, &KUBE_CONFIGMAPS, "default", o, &out, &st), 0);
    assert_int_equal(st.code, 201);
    assert_int_equal(posts_seen(), 2);
    json_decref(out);
    json_decref(o);
    kube_status_clear(&st);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_post_not_resent_after_lost_answer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
