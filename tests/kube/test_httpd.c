/* Unit tests for kube/httpd: libwebsockets serving a handler on a free port, several
 * listen addresses, status codes and bodies; and listen-address parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/httpd.h"
#include "kube/metrics.h"

static int handler(const char *path, char **body, const char **ctype, void *ud) {
    kube_metrics *reg = ud;
    if (strcmp(path, "/healthz") == 0) {
        *body = strdup("ok\n");
        return 200;
    }
    if (strcmp(path, "/metrics") == 0) {
        *body = kube_metrics_render(reg);
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        return 200;
    }
    if (strcmp(path, "/readyz") == 0) {
        *body = strdup("not ready\n");
        return 503;
    }
    return 404;
}

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t on_data(char *p, size_t sz, size_t n, void *ud) {
    buf *b = ud;
    b->data = realloc(b->data, b->len + sz * n + 1);
    memcpy(b->data + b->len, p, sz * n);
    b->len += sz * n;
    b->data[b->len] = '\0';
    return sz * n;
}

static long get(int port, const char *path, buf *out, char *ctype, size_t ctlen) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    long code = 0;
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ctype) snprintf(ctype, ctlen, "%s", ct ? ct : "");
    curl_easy_cleanup(c);
    return code;
}

static void test_parse_listen_addr(void **state) {
    (void)state;
    char host[64];
    int port;
    assert_int_equal(kube_parse_listen_addr(":8080", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 8080);
    assert_int_equal(kube_parse_listen_addr("127.0.0.1:9", host, sizeof host, &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 9);
    assert_int_equal(kube_parse_listen_addr("0.0.0.0:0", host, sizeof host, &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(kube_parse_listen_addr("8081", host, sizeof host, &port), 0);
    assert_int_equal(port, 8081);
    assert_int_equal(kube_parse_listen_addr("host:", host, sizeof host, &port), -1);
    assert_int_equal(kube_parse_listen_addr(":99999", host, sizeof host, &port), -1);
    assert_int_equal(kube_parse_listen_addr(":80x", host, sizeof host, &port), -1);
    assert_int_equal(kube_parse_listen_addr("", host, sizeof host, &port), -1);
}

static void test_serves_paths_on_two_ports(void **state) {
    (void)state;
    kube_metrics *reg = kube_metrics_new();
    kube_metric_add(kube_metrics_counter(reg, "hits_total", "Hits."), 3, NULL);
    const char *addrs[] = {"127.0.0.1:0", "127.0.0.1:0"};
    char err[256];
    kube_httpd *h = kube_httpd_start(addrs, 2, handler, reg, err, sizeof err);
    assert_non_null(h);
    int p0 = kube_httpd_port(h, 0), p1 = kube_httpd_port(h, 1);
    assert_true(p0 > 0 && p1 > 0 && p0 != p1);
    assert_int_equal(kube_httpd_port(h, 2), -1);
    for (int round = 0; round < 3; round++) {
        buf b = {0};
        char ct[128];
        assert_int_equal(get(round % 2 ? p1 : p0, "/healthz", &b, NULL, 0), 200);
        assert_string_equal(b.data, "ok\n");
        free(b.data);
        b = (buf){0};
        assert_int_equal(get(p1, "/metrics?x=1", &b, ct, sizeof ct), 200);
        assert_non_null(strstr(b.data, "# TYPE hits_total counter\nhits_total 3\n"));
        assert_non_null(strstr(ct, "version=0.0.4"));
        free(b.data);
        b = (buf){0};
        assert_int_equal(get(p0, "/readyz", &b, NULL, 0), 503);
        free(b.data);
        b = (buf){0};
        assert_int_equal(get(p0, "/nope", &b, NULL, 0), 404);
        free(b.data);
    }
    kube_httpd_stop(h);
    kube_metrics_free(reg);
}

static void test_port_in_use_is_an_error(void **state) {
    (void)state;
    const char *a[] = {"127.0.0.1:0"};
    char err[256] = "";
    kube_httpd *h = kube_httpd_start(a, 1, handler, NULL, err, sizeof err);
    assert_non_null(h);
    char busy[32];
    snprintf(busy, sizeof busy, "127.0.0.1:%d", kube_httpd_port(h, 0));
    const char *b[] = {busy};
    kube_httpd *h2 = kube_httpd_start(b, 1, handler, NULL, err, sizeof err);
    assert_null(h2);
    assert_non_null(strstr(err, "cannot listen"));
    const char *bad[] = {"nonsense:"};
    assert_null(kube_httpd_start(bad, 1, handler, NULL, err, sizeof err));
    assert_non_null(strstr(err, "malformed"));
    kube_httpd_stop(h);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_listen_addr),
        cmocka_unit_test(test_serves_paths_on_two_ports),
        cmocka_unit_test(test_port_in_use_is_an_error),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
