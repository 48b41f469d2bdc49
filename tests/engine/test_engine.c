/* Unit tests of the engine: command encoding, the tests table, reply classification
 * and redirect parsing, flag parsing and every rejection, and results.csv rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "engine/report.h"
#include "engine/resp.h"
#include "engine/slot.h"
#include "engine/workload.h"

static const workload_test *test_named(const char *name) {
    int i = workload_find(name);
    assert_true(i >= 0);
    return &workload_tests[i];
}

static void encode_set(void **state) {
    (void)state;
    workload_template t;
    char err[256];
    assert_int_equal(workload_template_build(&t, test_named("set"), 0, 5, err, sizeof err), 0);
    const char *want = "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000000\r\n$5\r\nxxxxx\r\n";
    assert_int_equal(t.len, strlen(want));
    assert_memory_equal(t.bytes, want, t.len);
    assert_int_equal(t.nrandoms, 1);
    assert_int_equal(t.rand_pos[0], strlen("*3\r\n$3\r\nSET\r\n$16\r\nkey:"));
    assert_int_equal(t.key_off, (long)strlen("*3\r\n$3\r\nSET\r\n$16\r\n"));
    assert_int_equal(t.key_len, 16);
    workload_put_digits(t.bytes + t.rand_pos[0], 987654321012ULL);
    assert_memory_equal(t.bytes + t.key_off, "key:987654321012", 16);
    workload_put_digits(t.bytes + t.rand_pos[0], 42);
    assert_memory_equal(t.bytes + t.key_off, "key:000000000042", 16);
    workload_template_free(&t);
}

static void encode_inline_and_keyless(void **state) {
    (void)state;
    workload_template t;
    char err[256];
    assert_int_equal(workload_template_build(&t, test_named("ping_inline"), 0, 256, err, sizeof err), 0);
    assert_int_equal(t.len, 6);
    assert_memory_equal(t.bytes, "PING\r\n", 6);
    assert_int_equal(t.key_off, -1);
    workload_template_free(&t);
    assert_int_equal(workload_template_build(&t, test_named("ping"), 1, 256, err, sizeof err), 0);
    assert_int_equal(t.len, 14);
    assert_memory_equal(t.bytes, "*1\r\n$4\r\nPING\r\n", 14);
    assert_int_equal(t.key_off, -1);
    workload_template_free(&t);
}

static void encode_hset_two_randoms(void **state) {
    (void)state;
    workload_template t;
    char err[256];
    assert_int_equal(workload_template_build(&t, test_named("hset"), 0, 3, err, sizeof err), 0);
    const char *want = "*4\r\n$4\r\nHSET\r\n$17\r\nhash:000000000000\r\n$18\r\nfield:000000000000\r\n$3\r\nxxx\r\n";
    assert_int_equal(t.len, strlen(want));
    assert_memory_equal(t.bytes, want, t.len);
    assert_int_equal(t.nrandoms, 2);
    assert_true(t.rand_fresh[0] && t.rand_fresh[1]);
    workload_template_free(&t);
}

/* In cluster mode the keys of one MSET share a hash tag, hence a slot. */
static void encode_mset_cluster_same_slot(void **state) {
    (void)state;
    workload_template t;
    char err[256];
    assert_int_equal(workload_template_build(&t, test_named("mset"), 1, 4, err, sizeof err), 0);
    assert_int_equal(t.nrandoms, 10);
    assert_true(t.rand_fresh[0]);
    for (int i = 1; i < 10; i++) assert_false(t.rand_fresh[i]);
    uint64_t v = 123456;
    for (int i = 0; i < t.nrandoms; i++) workload_put_digits(t.bytes + t.rand_pos[i], v);
    /* Every key argument: "$N\r\n{key:...}:i" -> same slot as the first. */
    unsigned slot0 = key_hash_slot(t.bytes + t.key_off, t.key_len);
    assert_int_equal(slot0, key_hash_slot("key:000000123456", 16));
    char *text = calloc(1, t.len + 1); /* the template is bytes, not a C string */
    memcpy(text, t.bytes, t.len);
    const char *p = text;
    int keys = 0;
    while ((p = strstr(p, "{key:")) != NULL) {
        const char *end = strstr(p, "\r\n");
        assert_int_equal(key_hash_slot(p, (size_t)(end - p)), slot0);
        keys++;
        p = end;
    }
    assert_int_equal(keys, 10);
    free(text);
    workload_template_free(&t);
    /* Standalone: ten independent keys. */
    assert_int_equal(workload_template_build(&t, test_named("mset"), 0, 4, err, sizeof err), 0);
    for (int i = 0; i < 10; i++) assert_true(t.rand_fresh[i]);
    workload_template_free(&t);
}

static void tests_table(void **state) {
    (void)state;
    const char *required[] = {"set", "get", "incr", "ping", "lpush", "rpush", "lpop", "rpop", "sadd", "hset", "mset"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) assert_true(workload_find(required[i]) >= 0);
    assert_int_equal(workload_find("SET"), workload_find("set"));
    assert_int_equal(workload_find("nope"), -1);
    char err[256];
    for (int i = 0; i < workload_ntests; i++) {
        const workload_test *t = &workload_tests[i];
        for (const char *c = t->label; *c; c++) assert_false(*c >= 'a' && *c <= 'z');
        for (int k = i + 1; k < workload_ntests; k++) assert_string_not_equal(t->name, workload_tests[k].name);
        for (int cluster = 0; cluster < 2; cluster++) {
            workload_template tpl;
            assert_int_equal(workload_template_build(&tpl, t, cluster, 10, err, sizeof err), 0);
            assert_true(tpl.len > 0);
            /* Writes carry a key (they must be routable); only PINGs are keyless. */
            if (t->is_write) assert_true(tpl.key_off > 0);
            workload_template_free(&tpl);
        }
    }
}

static void redirect_parsing(void **state) {
    (void)state;
    resp_redirect r;
    const char *moved = "MOVED 3999 127.0.0.1:6381";
    assert_int_equal(resp_parse_redirect(moved, strlen(moved), &r), REPLY_MOVED);
    assert_int_equal(r.slot, 3999);
    assert_string_equal(r.host, "127.0.0.1");
    assert_int_equal(r.port, 6381);
    const char *ask = "ASK 16383 valkey-0.valkey.svc:7000";
    assert_int_equal(resp_parse_redirect(ask, strlen(ask), &r), REPLY_ASK);
    assert_int_equal(r.slot, 16383);
    assert_string_equal(r.host, "valkey-0.valkey.svc");
    assert_int_equal(r.port, 7000);
    const char *v6 = "MOVED 1 ::1:6379";
    assert_int_equal(resp_parse_redirect(v6, strlen(v6), &r), REPLY_MOVED);
    assert_string_equal(r.host, "::1");
    const char *nohost = "MOVED 12 :6380";
    assert_int_equal(resp_parse_redirect(nohost, strlen(nohost), &r), REPLY_MOVED);
    assert_string_equal(r.host, "");
    assert_int_equal(r.port, 6380);
    const char *bad[] = {"MOVED", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0", "MOVED 1 h:65536",
                         "ASK 1 h:p", "ERR unknown command", "MOVED  1 h:1", "WRONGTYPE Operation", "ASK 1 h:1x",
                         "MOVED 99999999999 h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(resp_parse_redirect(bad[i], strlen(bad[i]), &r), REPLY_ERROR);
}

static void reply_classification(void **state) {
    (void)state;
    resp_reader rd;
    assert_int_equal(resp_reader_init(&rd), 0);
    const char *stream = "+OK\r\n:42\r\n$3\r\nabc\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n*0\r\n"
                         "-ERR value is not an integer\r\n-MOVED 7 10.0.0.1:7001\r\n-ASK 9 10.0.0.2:7002\r\n"
                         "*1\r\n-ERR nested error is data\r\n$5\r\nhel";
    reply_kind want[] = {REPLY_OK, REPLY_OK, REPLY_OK, REPLY_OK, REPLY_OK, REPLY_OK, REPLY_ERROR, REPLY_MOVED, REPLY_ASK, REPLY_OK};
    /* Feed in odd-sized chunks: replies split across reads must classify the same. */
    size_t len = strlen(stream), got = 0;
    for (size_t off = 0; off < len; off += 7) {
        size_t n = len - off < 7 ? len - off : 7;
        assert_int_equal(resp_reader_feed(&rd, stream + off, n), 0);
        reply_kind k;
        int rc;
        while ((rc = resp_reader_next(&rd, &k)) == 1) {
            assert_true(got < sizeof want / sizeof want[0]);
            assert_int_equal(k, want[got]);
            if (k == REPLY_MOVED) {
                assert_int_equal(rd.redirect.slot, 7);
                assert_int_equal(rd.redirect.port, 7001);
            }
            if (k == REPLY_ASK) assert_string_equal(rd.redirect.host, "10.0.0.2");
            got++;
        }
        assert_int_equal(rc, 0);
    }
    assert_int_equal(got, sizeof want / sizeof want[0]);
    assert_int_equal(resp_reader_feed(&rd, "lo\r\n!bogus\r\n", 12), 0);
    reply_kind k;
    assert_int_equal(resp_reader_next(&rd, &k), 1);
    assert_int_equal(resp_reader_next(&rd, &k), -1);
    resp_reader_free(&rd);
}

/* ---- flags ---- */

static int parse(engine_config *cfg, char *err, const char *first, ...) {
    char *argv[64];
    int argc = 0;
    argv[argc++] = "run";
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *)) argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    engine_config_defaults(cfg);
    return engine_config_parse(cfg, argc, argv, err, 512);
}

static void flags_defaults(void **state) {
    (void)state;
    unsetenv("VALKEY_PASSWORD");
    engine_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, err, NULL), 0);
    assert_string_equal(cfg.seed.host, "127.0.0.1");
    assert_int_equal(cfg.seed.port, 6379);
    assert_int_equal(cfg.clients, 50);
    assert_int_equal(cfg.requests, 500000);
    assert_int_equal(cfg.datasize, 256);
    assert_int_equal(cfg.pipeline, 16);
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.keyspace, 1000000);
    assert_int_equal(cfg.ntests, 3);
    assert_int_equal(cfg.tests[0], workload_find("set"));
    assert_int_equal(cfg.tests[2], workload_find("incr"));
    assert_int_equal(cfg.mode, ENGINE_STANDALONE);
    assert_string_equal(cfg.workload, "standalone");
    assert_null(cfg.password);
    engine_config_free(&cfg);
}

static void flags_all(void **state) {
    (void)state;
    unsetenv("VALKEY_PASSWORD");
    engine_config cfg;
    char err[512];
    assert_int_equal(parse(&cfg, err, "-h", "10.1.2.3", "--port", "7000", "-c", "8", "-n", "1000", "-d", "3", "-P",
                           "4", "--threads", "2", "-r", "77", "-t", "get,MSET,ping_inline", "--mode", "replication",
                           "--read-from", "any", "--replica", "10.0.0.9:6380", "--replica", "r2:6381",
                           "--duration", "2.5", "--warmup", "0.5", "--timeout", "3", "--workload-name", "w1",
                           "--output", "/tmp/x", "--json", "-q", "--seed", "9", NULL),
                     0);
    assert_string_equal(cfg.seed.host, "10.1.2.3");
    assert_int_equal(cfg.seed.port, 7000);
    assert_int_equal(cfg.clients, 8);
    assert_int_equal(cfg.requests, 1000);
    assert_int_equal(cfg.datasize, 3);
    assert_int_equal(cfg.pipeline, 4);
    assert_int_equal(cfg.threads, 2);
    assert_int_equal(cfg.keyspace, 77);
    assert_int_equal(cfg.ntests, 3);
    assert_int_equal(cfg.tests[1], workload_find("mset"));
    assert_int_equal(cfg.mode, ENGINE_REPLICATION);
    assert_int_equal(cfg.read_from, READ_FROM_ANY);
    assert_int_equal(cfg.nreplicas, 2);
    assert_string_equal(cfg.replicas[1].host, "r2");
    assert_int_equal(cfg.replicas[1].port, 6381);
    assert_true(cfg.duration_s == 2.5 && cfg.warmup_s == 0.5 && cfg.timeout_s == 3);
    assert_string_equal(cfg.workload, "w1");
    assert_string_equal(cfg.output_dir, "/tmp/x");
    assert_true(cfg.json && cfg.quiet && cfg.seed_rng == 9);
    engine_config_free(&cfg);
    assert_int_equal(parse(&cfg, err, "--cluster", NULL), 0);
    assert_int_equal(cfg.mode, ENGINE_CLUSTER);
    assert_string_equal(cfg.workload, "cluster");
    engine_config_free(&cfg);
}

static void flags_passwords(void **state) {
    (void)state;
    engine_config cfg;
    char err[512];
    setenv("VALKEY_PASSWORD", "from-env", 1);
    assert_int_equal(parse(&cfg, err, NULL), 0);
    assert_string_equal(cfg.password, "from-env");
    engine_config_free(&cfg);
    char path[] = "/tmp/vb-test-pw.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    assert_int_equal(parse(&cfg, err, "--password-file", path, "--user", "bench", NULL), 0);
    assert_string_equal(cfg.password, "s3cret");
    assert_string_equal(cfg.user, "bench");
    engine_config_free(&cfg);
    assert_int_equal(parse(&cfg, err, "-a", "cmdline", NULL), 0);
    assert_string_equal(cfg.password, "cmdline");
    assert_true(cfg.password_on_cmdline);
    engine_config_free(&cfg);
    assert_int_equal(parse(&cfg, err, "-a", "x", "--password-file", path, NULL), -1);
    engine_config_free(&cfg);
    unlink(path);
    unsetenv("VALKEY_PASSWORD");
    assert_int_equal(parse(&cfg, err, "--password-file", path, NULL), -1);
    assert_non_null(strstr(err, "--password-file"));
    engine_config_free(&cfg);
    assert_int_equal(parse(&cfg, err, "--user", "u", NULL), -1);
    engine_config_free(&cfg);
}

static void flags_rejections(void **state) {
    (void)state;
    unsetenv("VALKEY_PASSWORD");
    static const struct {
        const char *args[4];
        const char *mentions;
    } cases[] = {
        {{"--bogus"}, "--bogus"},
        {{"-x"}, "-x"},
        {{"-c"}, "needs a value"},
        {{"--mode"}, "needs a value"},
        {{"-c", "0"}, "-c"},
        {{"-c", "100001"}, "out of range"},
        {{"-c", "abc"}, "not a whole number"},
        {{"-c", "-5"}, "not a whole number"},
        {{"-c", "5x"}, "not a whole number"},
        {{"-n", "0"}, "-n"},
        {{"-d", "0"}, "-d"},
        {{"-d", "67108865"}, "-d"},
        {{"-P", "0"}, "-P"},
        {{"-P", "10001"}, "-P"},
        {{"--threads", "0"}, "--threads"},
        {{"--threads", "257"}, "--threads"},
        {{"-c", "2", "--threads", "3"}, "must not exceed"},
        {{"-r", "0"}, "-r"},
        {{"-r", "1000000000001"}, "-r"},
        {{"-p", "0"}, "-p"},
        {{"-p", "65536"}, "-p"},
        {{"-h", ""}, "-h"},
        {{"-t", "set,nope"}, "unknown test 'nope'"},
        {{"-t", ""}, "-t"},
        {{"-t", "set,,get"}, "-t"},
        {{"-t", "set,set"}, "twice"},
        {{"--mode", "sentinel"}, "--mode"},
        {{"--read-from", "somewhere", "--mode", "replication"}, "--read-from"},
        {{"--read-from", "replicas"}, "only applies"},
        {{"--replica", "nohostport", "--mode", "replication"}, "host:port"},
        {{"--replica", "h:0", "--mode", "replication"}, "--replica"},
        {{"--replica", "h:1"}, "only applies"},
        {{"--duration", "0"}, "--duration"},
        {{"--duration", "abc"}, "--duration"},
        {{"--warmup", "-1"}, "--warmup"},
        {{"--timeout", "0"}, "--timeout"},
        {{"--workload-name", "a,b"}, "--workload-name"},
        {{"--csv", "--json"}, "exclusive"},
        {{"extra"}, "unexpected argument"},
        {{"--seed", "0"}, "--seed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {"run"};
        int argc = 1;
        for (int k = 0; k < 4 && cases[i].args[k]; k++) argv[argc++] = (char *)cases[i].args[k];
        engine_config cfg;
        char err[512] = "";
        engine_config_defaults(&cfg);
        int rc = engine_config_parse(&cfg, argc, argv, err, sizeof err);
        if (rc != -1 || !strstr(err, cases[i].mentions))
            fail_msg("case %zu (%s %s): rc %d, err '%s'", i, cases[i].args[0], cases[i].args[1] ? cases[i].args[1] : "",
                     rc, err);
        engine_config_free(&cfg);
    }
}

/* `run --csv` rows are the seed's: rps a whole number (as `results --csv` prints it), p50 in
 * ms with three decimals. */
static void csv_rows_like_the_seed(void **state) {
    (void)state;
    static engine_test_result t[2];
    t[0].name = "SET", t[0].rps = 1000000.4;
    t[1].name = "GET", t[1].rps = 399042.6;
    for (int i = 0; i < 2; i++) {
        histogram_init(&t[i].hist);
        histogram_record_n(&t[i].hist, 567000, 10);
    }
    engine_results res = {.tests = t, .ntests = 2, .timestamp = "20260522-231743"};
    engine_config cfg;
    engine_config_defaults(&cfg);
    cfg.mode = ENGINE_CLUSTER, cfg.clients = 50, cfg.pipeline = 16, cfg.datasize = 256;
    snprintf(cfg.workload, sizeof cfg.workload, "cluster");
    char p50[32], want[512], *buf = NULL;
    size_t len = 0;
    snprintf(p50, sizeof p50, "%.3f", (double)histogram_percentile_ns(&t[0].hist, 50) / 1e6);
    snprintf(want, sizeof want,
             REPORT_CSV_HEADER "\n"
             "cluster,cluster,SET,1000000,%s,50,16,256,20260522-231743\n"
             "cluster,cluster,GET,399043,%s,50,16,256,20260522-231743\n",
             p50, p50);
    FILE *f = open_memstream(&buf, &len);
    report_csv(f, &cfg, &res, 1);
    fclose(f);
    assert_string_equal(buf, want);
    assert_int_equal(strlen(p50), 5); /* "0.567" give or take the histogram's 1% */
    free(buf);
    engine_config_free(&cfg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encode_set),
        cmocka_unit_test(encode_inline_and_keyless),
        cmocka_unit_test(encode_hset_two_randoms),
        cmocka_unit_test(encode_mset_cluster_same_slot),
        cmocka_unit_test(tests_table),
        cmocka_unit_test(redirect_parsing),
        cmocka_unit_test(reply_classification),
        cmocka_unit_test(flags_defaults),
        cmocka_unit_test(flags_all),
        cmocka_unit_test(flags_passwords),
        cmocka_unit_test(flags_rejections),
        cmocka_unit_test(csv_rows_like_the_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
