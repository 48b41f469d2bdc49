/* Unit tests of the kube client's pure parts: Status parsing of real apiserver answers,
 * URL building and escaping, the watch line splitter, backoff, small parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/kube_internal.h"

/* ---- fixtures: NN-response.txt files copied from /work/shared/k8s-reference ---- */

typedef struct {
    long code;
    long retry_after;
    char *raw;
    const char *body;
    size_t body_len;
} fixture;

static fixture load_fixture(const char *name) {
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
    size_t len;
    fixture f = {0};
    f.raw = kube_read_file(path, "fixture", &len, err, sizeof err);
    assert_non_null(f.raw);
    assert_int_equal(sscanf(f.raw, "HTTP/1.1 %ld", &f.code), 1);
    char *sep = strstr(f.raw, "\n\n");
    assert_non_null(sep);
    f.body = sep + 2;
    f.body_len = len - (size_t)(f.body - f.raw);
    char *ra = strstr(f.raw, "Retry-After: ");
    if (ra && ra < sep) f.retry_after = atol(ra + 13);
    return f;
}

static kube_status status_of(const char *name) {
    fixture f = load_fixture(name);
    kube_status st = {0};
    kube_status_from_response(&st, f.code, f.body, f.body_len, f.retry_after);
    free(f.raw);
    return st;
}

static void test_status_unauthorized(void **state) {
    (void)state;
    kube_status st = status_of("401-unauthorized.txt");
    assert_int_equal(st.code, 401);
    assert_string_equal(st.reason, "Unauthorized");
    assert_string_equal(st.message, "Unauthorized");
    assert_null(st.causes);
    assert_true(kube_is_unauthorized(&st));
    assert_false(kube_is_not_found(&st));
    kube_status_clear(&st);
}

static void test_status_forbidden(void **state) {
    (void)state;
    kube_status st = status_of("403-forbidden.txt");
    assert_int_equal(st.code, 403);
    assert_true(kube_is_forbidden(&st));
    assert_non_null(strstr(st.message, "cannot get resource \"pods\""));
    kube_status_clear(&st);
}

static void test_status_conflict_vs_exists(void **state) {
    (void)state;
    kube_status st = status_of("409-conflict.txt");
    assert_int_equal(st.code, 409);
    assert_true(kube_is_conflict(&st));
    assert_false(kube_is_already_exists(&st));
    assert_non_null(strstr(st.message, "the object has been modified"));
    kube_status_clear(&st);
    st = status_of("409-already-exists.txt");
    assert_true(kube_is_already_exists(&st));
    assert_false(kube_is_conflict(&st));
    assert_string_equal(st.message, "widgets.example.com \"w-occ\" already exists");
    kube_status_clear(&st);
}

static void test_status_not_found_json_and_plain(void **state) {
    (void)state;
    kube_status st = status_of("404-notfound.txt");
    assert_string_equal(st.reason, "NotFound");
    assert_string_equal(st.message, "widgets.example.com \"w-missing\" not found");
    assert_true(kube_is_not_found(&st));
    kube_status_clear(&st);
    /* unrouted path: text/plain body, no Status */
    st = status_of("404-plain.txt");
    assert_int_equal(st.code, 404);
    assert_string_equal(st.reason, "NotFound");
    assert_string_equal(st.message, "404 page not found");
    assert_true(kube_is_not_found(&st));
    kube_status_clear(&st);
}

static void test_status_invalid_causes(void **state) {
    (void)state;
    kube_status st = status_of("422-invalid.txt");
    assert_true(kube_is_invalid(&st));
    assert_string_equal(st.reason, "Invalid");
    assert_non_null(st.causes);
    assert_int_equal(json_array_size(st.causes), 5);
    /* the server's cause order is not stable: compare as a set */
    const char *want[] = {"spec.name", "spec.size", "spec.tags", "spec.color", "spec.mode"};
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        size_t j;
        json_t *c;
        json_array_foreach(st.causes, j, c) {
            if (!strcmp(json_string_value(json_object_get(c, "field")), want[i])) found = true;
        }
        assert_true(found);
    }
    kube_status_clear(&st);
    assert_null(st.causes);
    st = status_of("422-no-causes.txt");
    assert_true(kube_is_invalid(&st));
    assert_null(st.causes);
    kube_status_clear(&st);
}

static void test_status_500_without_reason(void **state) {
    (void)state;
    kube_status st = status_of("500-no-reason.txt");
    assert_int_equal(st.code, 500);
    assert_string_equal(st.reason, "InternalError");
    assert_string_equal(st.message, "strconv.ParseUint: parsing \"abc\": invalid syntax");
    kube_status_clear(&st);
}

static void test_status_retry_after(void **state) {
    (void)state;
    kube_status st = status_of("504-retry-after.txt");
    assert_int_equal(st.code, 504);
    assert_string_equal(st.reason, "Timeout");
    assert_int_equal(st.retry_after_s, 1);
    kube_status_clear(&st);
    /* without the header, details.retryAfterSeconds is used */
    fixture f = load_fixture("504-retry-after.txt");
    kube_status_from_response(&st, 504, f.body, f.body_len, 0);
    assert_int_equal(st.retry_after_s, 1);
    assert_int_equal(json_array_size(st.causes), 1);
    kube_status_clear(&st);
    free(f.raw);
}

static void test_status_gone_from_watch_error(void **state) {
    (void)state;
    fixture f = load_fixture("watch-410.txt");
    json_t *root, *obj;
    const char *type;
    char err[256];
    const char *nl = memchr(f.body, '\n', f.body_len);
    assert_int_equal(kube_watch_parse_event(f.body, (size_t)(nl - f.body), &root, &type, &obj, err, sizeof err), 0);
    assert_string_equal(type, "ERROR");
    kube_status st = {0};
    kube_status_from_json(&st, obj);
    assert_int_equal(st.code, 410);
    assert_string_equal(st.reason, "Expired");
    assert_true(kube_is_gone(&st));
    assert_string_equal(st.message, "too old resource version: 1 (3364)");
    kube_status_clear(&st);
    json_decref(root);
    free(f.raw);
}

static void test_status_garbage(void **state) {
    (void)state;
    kube_status st = {0};
    kube_status_from_response(&st, 502, "<html>\n<b>bad gateway</b>\n</html>\n", 33, 0);
    assert_string_equal(st.reason, "Unknown");
    assert_string_equal(st.message, "<html>; <b>bad gateway</b>; </html>");
    kube_status_from_response(&st, 503, "", 0, 0);
    assert_string_equal(st.reason, "ServiceUnavailable");
    assert_string_equal(st.message, "HTTP 503");
    kube_status_from_response(&st, 409, "{\"kind\":\"Status\",\"details\":{\"causes\":\"x\"}}", 41, 0);
    assert_true(kube_is_conflict(&st));
    assert_null(st.causes);
    kube_status_clear(&st);
}

/* ---- URLs ---- */

static const kube_resource WIDGETS = {"example.com", "v1", "widgets", true};

static void check_url(const char *want, const kube_resource *r, const char *ns, const char *name, const char *sub,
                      const kube_list_opts *o, bool watch, const char *cont) {
    char *u = kube_build_url("https://127.0.0.1:6443", r, ns, name, sub, o, watch, cont, NULL);
    assert_string_equal(u, want);
    free(u);
}

static void test_urls(void **state) {
    (void)state;
    check_url("https://127.0.0.1:6443/api/v1/namespaces/default/pods/valkey-0", &KUBE_PODS, "default", "valkey-0",
              NULL, NULL, false, NULL);
    check_url("https://127.0.0.1:6443/api/v1/pods", &KUBE_PODS, NULL, NULL, NULL, NULL, false, NULL);
    check_url("https://127.0.0.1:6443/api/v1/nodes/ip-10-0-1-1", &KUBE_NODES, "default", "ip-10-0-1-1", NULL, NULL,
              false, NULL);
    check_url("https://127.0.0.1:6443/apis/coordination.k8s.io/v1/namespaces/ops/leases/vb-leader", &KUBE_LEASES,
              "ops", "vb-leader", NULL, NULL, false, NULL);
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets/w-1/status", &WIDGETS,
              "default", "w-1", "status", NULL, false, NULL);
    check_url("https://127.0.0.1:6443/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
              &KUBE_CRDS, NULL, "widgets.example.com", NULL, NULL, false, NULL);
    /* hostile names cannot change the path */
    check_url("https://127.0.0.1:6443/api/v1/namespaces/a%2Fb/pods/..%2F..%3Fx%3D1%23y", &KUBE_PODS, "a/b",
              "../..?x=1#y", NULL, NULL, false, NULL);
}

static void test_selector_encoding(void **state) {
    (void)state;
    kube_list_opts o = {.label_selector = "env=prod"};
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets?labelSelector=env%3Dprod",
              &WIDGETS, "default", NULL, NULL, &o, false, NULL);
    o = (kube_list_opts){.label_selector = "env in (prod,staging),tier notin (db)",
                         .field_selector = "metadata.name!=sel-2"};
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets"
              "?labelSelector=env%20in%20%28prod%2Cstaging%29%2Ctier%20notin%20%28db%29"
              "&fieldSelector=metadata.name%21%3Dsel-2",
              &WIDGETS, "default", NULL, NULL, &o, false, NULL);
    o = (kube_list_opts){.label_selector = "app.kubernetes.io/name=valkey,!env", .limit = 2};
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets"
              "?labelSelector=app.kubernetes.io%2Fname%3Dvalkey%2C%21env&limit=2&continue=eyJ2Ijo%2BMTIz%3D",
              &WIDGETS, "default", NULL, NULL, &o, false, "eyJ2Ijo+MTIz=");
    o = (kube_list_opts){.field_selector = "spec.nodeName=ip-10-0-1-1.us-west-2a,status.phase=Running"};
    check_url("https://127.0.0.1:6443/api/v1/namespaces/default/pods"
              "?fieldSelector=spec.nodeName%3Dip-10-0-1-1.us-west-2a%2Cstatus.phase%3DRunning",
              &KUBE_PODS, "default", NULL, NULL, &o, false, NULL);
}

static void test_watch_url(void **state) {
    (void)state;
    kube_list_opts o = {.label_selector = "k8s-ref=watch", .resource_version = "3717", .timeout_seconds = 75,
                        .allow_bookmarks = true, .limit = 5};
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets?watch=true"
              "&labelSelector=k8s-ref%3Dwatch&resourceVersion=3717&timeoutSeconds=75&allowWatchBookmarks=true",
              &WIDGETS, "default", NULL, NULL, &o, true, NULL);
    /* a LIST never sends the watch-only parameters */
    check_url("https://127.0.0.1:6443/apis/example.com/v1/namespaces/default/widgets"
              "?labelSelector=k8s-ref%3Dwatch&resourceVersion=3717&limit=5",
              &WIDGETS, "default", NULL, NULL, &o, false, NULL);
}

static void test_escape(void **state) {
    (void)state;
    char *e = kube_escape("a b+c&d=e/é~-._");
    assert_string_equal(e, "a%20b%2Bc%26d%3De%2F%C3%A9~-._");
    free(e);
}

/* ---- watch line splitter ---- */

typedef struct {
    char types[64][12];
    char rvs[64][16];
    size_t n;
    size_t long_len;
} seen;

static int collect(const char *line, size_t len, void *ud) {
    seen *s = ud;
    json_t *root, *obj;
    const char *type;
    char err[256];
    if (len > 100000) { /* the very long line test */
        s->long_len = len;
        return 0;
    }
    assert_int_equal(kube_watch_parse_event(line, len, &root, &type, &obj, err, sizeof err), 0);
    assert_true(s->n < 64);
    snprintf(s->types[s->n], sizeof s->types[0], "%s", type);
    const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    snprintf(s->rvs[s->n], sizeof s->rvs[0], "%s", rv ? rv : "");
    s->n++;
    json_decref(root);
    return 0;
}

static void feed_in_chunks(const char *data, size_t len, size_t (*next)(size_t, void *), void *arg, seen *out) {
    kube_line_splitter sp;
    kube_line_splitter_init(&sp);
    memset(out, 0, sizeof *out);
    size_t off = 0;
    while (off < len) {
        size_t n = next(off, arg);
        if (n > len - off) n = len - off;
        assert_int_equal(kube_line_splitter_feed(&sp, data + off, n, collect, out), 0);
        off += n;
    }
    assert_int_equal(kube_line_splitter_finish(&sp, collect, out), 0);
    kube_line_splitter_free(&sp);
}

static size_t fixed_size(size_t off, void *arg) {
    (void)off;
    return *(size_t *)arg;
}

static size_t random_size(size_t off, void *arg) {
    (void)off;
    unsigned *seed = arg;
    *seed = *seed * 1103515245u + 12345u;
    return 1 + (*seed >> 16) % 700;
}

static void test_watch_split_any_boundary(void **state) {
    (void)state;
    fixture f = load_fixture("watch-events.txt");
    seen whole, part;
    size_t all = f.body_len;
    feed_in_chunks(f.body, f.body_len, fixed_size, &all, &whole);
    /* 08-watch/02: ADDED, MODIFIED x3, ADDED, DELETED, MODIFIED, DELETED, BOOKMARK, ADDED, BOOKMARK */
    const char *want[] = {"ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "ADDED", "DELETED",
                          "MODIFIED", "DELETED", "BOOKMARK", "ADDED", "BOOKMARK"};
    assert_int_equal(whole.n, 11);
    for (size_t i = 0; i < 11; i++) assert_string_equal(whole.types[i], want[i]);
    assert_string_equal(whole.rvs[8], "3732");
    assert_string_equal(whole.rvs[10], "3774");
    for (size_t sz = 1; sz < 1500; sz += (sz < 64 ? 1 : 97)) {
        feed_in_chunks(f.body, f.body_len, fixed_size, &sz, &part);
        assert_int_equal(part.n, whole.n);
        assert_memory_equal(part.rvs, whole.rvs, sizeof part.rvs);
        assert_memory_equal(part.types, whole.types, sizeof part.types);
    }
    for (unsigned seed = 1; seed < 200; seed++) {
        unsigned s = seed;
        feed_in_chunks(f.body, f.body_len, random_size, &s, &part);
        assert_int_equal(part.n, whole.n);
        assert_memory_equal(part.rvs, whole.rvs, sizeof part.rvs);
    }
    free(f.raw);
}

static void test_watch_split_crlf_and_last_line(void **state) {
    (void)state;
    const char *s = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\r\n\n"
                    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"resourceVersion\":\"2\"}}}";
    seen out;
    size_t all = strlen(s);
    feed_in_chunks(s, strlen(s), fixed_size, &all, &out);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.types[1], "DELETED");
    assert_string_equal(out.rvs[1], "2");
}

static void test_watch_very_long_line(void **state) {
    (void)state;
    size_t big = 5u << 20;
    char *line = malloc(big + 2);
    memset(line, 'x', big);
    line[big] = '\n';
    line[big + 1] = '\0';
    seen out;
    unsigned seed = 7;
    feed_in_chunks(line, big + 1, random_size, &seed, &out);
    assert_int_equal(out.long_len, big);
    /* over the limit: an error, not unbounded memory */
    kube_line_splitter sp;
    kube_line_splitter_init(&sp);
    sp.max_line = 1000;
    memset(&out, 0, sizeof out);
    int rc = 0;
    for (size_t off = 0; off < 4000 && rc == 0; off += 100) rc = kube_line_splitter_feed(&sp, line, 100, collect, &out);
    assert_int_equal(rc, -1);
    kube_line_splitter_free(&sp);
    free(line);
}

static int stop_after_first(const char *line, size_t len, void *ud) {
    (void)line;
    (void)len;
    (*(int *)ud)++;
    return 7;
}

static void test_watch_callback_stops(void **state) {
    (void)state;
    kube_line_splitter sp;
    kube_line_splitter_init(&sp);
    int calls = 0;
    assert_int_equal(kube_line_splitter_feed(&sp, "a\nb\nc\n", 6, stop_after_first, &calls), 7);
    assert_int_equal(calls, 1);
    kube_line_splitter_free(&sp);
}

static void test_watch_bad_events(void **state) {
    (void)state;
    json_t *root, *obj;
    const char *type;
    char err[256];
    const char *bad[] = {"{", "[]", "{\"type\":\"ADDED\"}", "{\"type\":\"NOPE\",\"object\":{}}",
                         "{\"type\":1,\"object\":{}}", "{\"type\":\"ADDED\",\"object\":[]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(kube_watch_parse_event(bad[i], strlen(bad[i]), &root, &type, &obj, err, sizeof err), -1);
        assert_true(err[0] != '\0');
    }
}

/* ---- backoff, parsers ---- */

static void test_backoff(void **state) {
    (void)state;
    /* Retry-After wins and is capped at 60 s */
    assert_int_equal(kube_backoff_ms(200, 10000, 0, 3, 0.5), 3000);
    assert_int_equal(kube_backoff_ms(200, 10000, 4, 1, 0.0), 1000);
    assert_int_equal(kube_backoff_ms(200, 10000, 0, 3600, 0.0), 60000);
    /* exponential with jitter in [d/2, d] */
    assert_int_equal(kube_backoff_ms(200, 10000, 0, 0, 0.0), 100);
    assert_int_equal(kube_backoff_ms(200, 10000, 0, 0, 0.999999), 199);
    assert_int_equal(kube_backoff_ms(200, 10000, 3, 0, 0.0), 800);
    assert_int_equal(kube_backoff_ms(200, 10000, 10, 0, 0.0), 5000);
    assert_int_equal(kube_backoff_ms(200, 10000, 1000, 0, 0.0), 5000);
}

static void test_rfc3339(void **state) {
    (void)state;
    time_t t;
    assert_int_equal(kube_parse_rfc3339("2026-11-25T00:38:15Z", &t), 0);
    assert_int_equal(t, 1795567095);
    assert_int_equal(kube_parse_rfc3339("2026-11-25T00:38:15.123456Z", &t), 0);
    assert_int_equal(t, 1795567095);
    assert_int_equal(kube_parse_rfc3339("2026-11-25T01:38:15+01:00", &t), 0);
    assert_int_equal(t, 1795567095);
    assert_int_equal(kube_parse_rfc3339("2026-11-25", &t), -1);
    assert_int_equal(kube_parse_rfc3339("2026-13-25T00:38:15Z", &t), -1);
    assert_int_equal(kube_parse_rfc3339("2026-11-25T00:38:15", &t), -1);
    assert_int_equal(kube_parse_rfc3339("2026-11-25T00:38:15Zjunk", &t), -1);
}

static void test_base64(void **state) {
    (void)state;
    size_t n;
    unsigned char *d = kube_base64_decode("aGVsbG8g\nd29ybGQ=", &n);
    assert_non_null(d);
    assert_int_equal(n, 11);
    assert_memory_equal(d, "hello world", 11);
    free(d);
    assert_null(kube_base64_decode("aGVs*G8=", &n));
    assert_null(kube_base64_decode("a", &n));
    assert_null(kube_base64_decode("aG=Vs", &n));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_unauthorized),
        cmocka_unit_test(test_status_forbidden),
        cmocka_unit_test(test_status_conflict_vs_exists),
        cmocka_unit_test(test_status_not_found_json_and_plain),
        cmocka_unit_test(test_status_invalid_causes),
        cmocka_unit_test(test_status_500_without_reason),
        cmocka_unit_test(test_status_retry_after),
        cmocka_unit_test(test_status_gone_from_watch_error),
        cmocka_unit_test(test_status_garbage),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_selector_encoding),
        cmocka_unit_test(test_watch_url),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_watch_split_any_boundary),
        cmocka_unit_test(test_watch_split_crlf_and_last_line),
        cmocka_unit_test(test_watch_very_long_line),
        cmocka_unit_test(test_watch_callback_stops),
        cmocka_unit_test(test_watch_bad_events),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
