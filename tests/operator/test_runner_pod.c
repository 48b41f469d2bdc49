/* Unit tests for operator/bench_spec and operator/runner_pod: defaults, validation,
 * deterministic valid names, the workload split, and every placement and security
 * property the runner pod must carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "operator/bench_spec.h"
#include "operator/runner_pod.h"

static json_t *load(const char *text) {
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

static const char *MINIMAL =
    "{\"apiVersion\":\"valkeybench.io/v1alpha1\",\"kind\":\"ValkeyBenchmark\","
    "\"metadata\":{\"name\":\"cluster-bench\",\"namespace\":\"bench\",\"uid\":\"u-1\",\"generation\":3},"
    "\"spec\":{\"target\":{\"host\":\"valkey-cluster.valkey-cluster.svc\"}}}";

static const char *FULL =
    "{\"metadata\":{\"name\":\"b\",\"namespace\":\"bench\",\"uid\":\"u-2\",\"generation\":1,"
    "  \"annotations\":{\"valkeybench.io/rerun\":\"2\"}},"
    " \"spec\":{\"target\":{\"mode\":\"replication\",\"host\":\"valkey\",\"port\":6380,\"readFrom\":\"replicas\"},"
    "  \"auth\":{\"secretName\":\"valkey-auth\",\"passwordKey\":\"pw\",\"usernameKey\":\"user\"},"
    "  \"workload\":{\"requests\":1000,\"clients\":10,\"pipeline\":8,\"dataSize\":64,\"threads\":4,"
    "    \"keyspaceLen\":5000,\"tests\":[\"set\",\"get\",\"incr\"],\"warmupSeconds\":2},"
    "  \"workloadName\":\"repl-test\",\"runners\":3,"
    "  \"placement\":{\"capacityType\":\"spot\",\"instanceTypes\":[\"r7g.large\",\"r7g.xlarge\"],"
    "    \"arch\":\"amd64\",\"zones\":[\"us-west-2a\",\"us-west-2b\"],\"spreadAcrossZones\":true,"
    "    \"avoidPodSelector\":{\"matchLabels\":{\"app\":\"valkey\"}},"
    "    \"nodeSelector\":{\"pool\":\"bench\"},"
    "    \"tolerations\":[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"bench\",\"effect\":\"NoSchedule\"}],"
    "    \"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"2Gi\"},\"limits\":{\"cpu\":\"2\",\"memory\":\"2Gi\"}}},"
    "  \"image\":\"registry.example/valkey-bench:1.2\",\"keepRunner\":true,\"maxRunnerRetries\":5}}";

static void test_defaults_applied(void **state) {
    (void)state;
    json_t *b = load(MINIMAL);
    bench_spec s;
    char err[256];
    assert_int_equal(bench_spec_parse(b, &s, err, sizeof err), 0);
    assert_string_equal(s.mode, "cluster");
    assert_int_equal(s.port, 6379);
    assert_string_equal(s.read_from, "primary");
    assert_int_equal(s.requests, 500000);
    assert_int_equal(s.clients, 50);
    assert_int_equal(s.pipeline, 16);
    assert_int_equal(s.data_size, 256);
    assert_int_equal(s.threads, 4);
    assert_int_equal(s.keyspace_len, 1000000);
    assert_int_equal(s.ntests, 2);
    assert_string_equal(s.tests[0], "set");
    assert_string_equal(s.tests[1], "get");
    assert_string_equal(s.workload_name, "cluster");
    assert_int_equal(s.runners, 1);
    assert_string_equal(s.capacity_type, "on-demand");
    assert_int_equal(s.ninstance_types, 1);
    assert_string_equal(s.instance_types[0], "r7g.large");
    assert_string_equal(s.arch, "arm64");
    assert_int_equal(s.nzones, 0);
    assert_true(s.spread_across_zones);
    assert_string_equal(json_string_value(json_object_get(json_object_get(s.avoid_pod_selector, "matchLabels"),
                                                          "app.kubernetes.io/name")),
                        "valkey");
    assert_string_equal(json_string_value(json_object_get(json_object_get(s.resources, "limits"), "memory")), "1Gi");
    assert_false(s.keep_runner);
    assert_int_equal(s.scheduling_timeout_s, 600);
    assert_int_equal(s.max_runner_retries, 2);
    assert_int_equal(s.generation, 3);
    assert_string_equal(s.auth_secret, "");
    bench_spec_free(&s);
    json_decref(b);
}

static void expect_invalid(const char *spec_json, const char *needle) {
    char doc[2048], err[256];
    snprintf(doc, sizeof doc, "{\"metadata\":{\"name\":\"x\",\"uid\":\"u\"},\"spec\":%s}", spec_json);
    json_t *b = load(doc);
    bench_spec s;
    assert_int_equal(bench_spec_parse(b, &s, err, sizeof err), -1);
    if (!strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
    bench_spec_free(&s);
    json_decref(b);
}

static void test_validation(void **state) {
    (void)state;
    expect_invalid("{}", "spec.target");
    expect_invalid("{\"target\":{\"host\":\"\"}}", "spec.target.host");
    expect_invalid("{\"target\":{\"host\":\"h\",\"mode\":\"sentinel\"}}", "spec.target.mode");
    expect_invalid("{\"target\":{\"host\":\"h\",\"port\":70000}}", "spec.target.port");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"workload\":{\"clients\":0}}", "spec.workload.clients");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"workload\":{\"pipeline\":\"16\"}}", "spec.workload.pipeline");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"workload\":{\"tests\":[]}}", "spec.workload.tests");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"workload\":{\"tests\":[\"flushall\"]}}", "flushall");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"workload\":{\"tests\":[\"set\",\"set\"]}}", "twice");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"runners\":65}", "spec.runners");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"runners\":4,\"workload\":{\"clients\":3}}", "at least spec.runners");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"auth\":{\"passwordKey\":\"p\"}}", "spec.auth.secretName");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"placement\":{\"arch\":\"s390x\"}}", "spec.placement.arch");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"placement\":{\"tolerations\":{}}}", "tolerations");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"placement\":{\"nodeSelector\":{\"a\":1}}}", "nodeSelector.a");
    expect_invalid("{\"target\":{\"host\":\"h\"},\"maxRunnerRetries\":11}", "maxRunnerRetries");
}

static bool dns_label(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1])) return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-')) return false;
    return true;
}

static void test_names_deterministic_and_valid(void **state) {
    (void)state;
    char a[64], b[64], id[32], id2[32], id3[32];
    runner_run_id(3, "", id, sizeof id);
    assert_string_equal(id, "g3");
    runner_run_id(3, "again", id2, sizeof id2);
    runner_run_id(3, "again!", id3, sizeof id3);
    assert_string_not_equal(id2, id3);
    assert_memory_equal(id2, "g3-", 3);

    runner_pod_name("cluster-bench", "g3", 0, 2, a, sizeof a);
    assert_string_equal(a, "cluster-bench-g3-2");
    runner_pod_name("cluster-bench", "g3", 1, 2, a, sizeof a);
    assert_string_equal(a, "cluster-bench-g3-r1-2");

    char longname[254];
    memset(longname, 'a', 253);
    longname[253] = '\0';
    runner_pod_name(longname, id2, 10, 63, a, sizeof a);
    runner_pod_name(longname, id2, 10, 63, b, sizeof b);
    assert_string_equal(a, b);
    assert_true(dns_label(a));
    longname[100] = 'b'; /* same 50-char prefix, different name: different pod name */
    runner_pod_name(longname, id2, 10, 63, b, sizeof b);
    assert_true(dns_label(b));
    assert_string_not_equal(a, b);

    runner_pod_name("bench.v1", "g1", 0, 0, a, sizeof a);
    runner_pod_name("bench-v1", "g1", 0, 0, b, sizeof b);
    assert_true(dns_label(a));
    assert_string_not_equal(a, b);
    /* a name that ends in '-' after cutting */
    char dashy[80];
    memset(dashy, 'x', 79);
    dashy[79] = '\0';
    for (int i = 40; i < 60; i++) dashy[i] = '-';
    runner_pod_name(dashy, "g12345", 0, 5, a, sizeof a);
    assert_true(dns_label(a));

    char lv[64];
    runner_label_value(longname, lv, sizeof lv);
    assert_true(strlen(lv) <= 63);
    runner_label_value("short", lv, sizeof lv);
    assert_string_equal(lv, "short");
}

static void test_split_arithmetic(void **state) {
    (void)state;
    assert_int_equal(runner_share(50, 3, 0), 17);
    assert_int_equal(runner_share(50, 3, 1), 17);
    assert_int_equal(runner_share(50, 3, 2), 16);
    for (int n = 1; n <= 64; n++)
        for (long long total = n; total < 200; total += 7) {
            long long sum = 0, lo = total, hi = 0;
            for (int i = 0; i < n; i++) {
                long long s = runner_share(total, n, i);
                sum += s;
                lo = s < lo ? s : lo;
                hi = s > hi ? s : hi;
                if (i > 0) assert_true(runner_share(total, n, i - 1) >= s);
            }
            assert_int_equal(sum, total);
            assert_true(hi - lo <= 1);
        }
    assert_int_equal(runner_share(500000, 64, 63), 7812);
    assert_int_equal(runner_share(10, 3, 3), 0);
}

/* Looks up "--flag" in args and returns the value after it, or NULL. */
static const char *arg_value(const json_t *args, const char *flag) {
    for (size_t i = 0; i + 1 < json_array_size(args); i++)
        if (!strcmp(json_string_value(json_array_get(args, i)), flag))
            return json_string_value(json_array_get(args, i + 1));
    return NULL;
}

#define J(obj, path) json_path(obj, path)
/* Minimal "a.b.0.c" walker for assertions; keys may hold dots (label keys), so at each
 * step the longest key of the object that prefixes the rest of the path wins. */
static json_t *json_path(json_t *obj, const char *path) {
    while (obj && *path) {
        size_t used = 0;
        json_t *next = NULL;
        if (json_is_array(obj)) {
            next = json_array_get(obj, strtoul(path, NULL, 10));
            used = strcspn(path, ".");
        } else {
            const char *k;
            json_t *v;
            json_object_foreach(obj, k, v) {
                size_t n = strlen(k);
                if (n > used && !strncmp(path, k, n) && (path[n] == '.' || path[n] == '\0')) used = n, next = v;
            }
        }
        obj = next;
        path += used;
        if (*path == '.') path++;
    }
    return obj;
}
static const char *S(json_t *obj, const char *path) {
    const char *s = json_string_value(json_path(obj, path));
    if (!s) fail_msg("no string at %s", path);
    return s;
}

static void test_pod_carries_every_property(void **state) {
    (void)state;
    json_t *b = load(FULL);
    bench_spec s;
    char err[256], id[32];
    assert_int_equal(bench_spec_parse(b, &s, err, sizeof err), 0);
    runner_run_id(s.generation, s.rerun, id, sizeof id);
    json_t *pod = runner_pod_build(&s, id, 0, 1, "operator:img", err, sizeof err);
    assert_non_null(pod);
    char want[64];
    runner_pod_name("b", id, 0, 1, want, sizeof want);
    assert_string_equal(S(pod, "metadata.name"), want);
    assert_string_equal(S(pod, "metadata.namespace"), "bench");
    /* ownership and labels */
    assert_string_equal(S(pod, "metadata.ownerReferences.0.kind"), "ValkeyBenchmark");
    assert_string_equal(S(pod, "metadata.ownerReferences.0.apiVersion"), "valkeybench.io/v1alpha1");
    assert_string_equal(S(pod, "metadata.ownerReferences.0.uid"), "u-2");
    assert_true(json_is_true(J(pod, "metadata.ownerReferences.0.controller")));
    assert_true(json_is_true(J(pod, "metadata.ownerReferences.0.blockOwnerDeletion")));
    json_t *labels = J(pod, "metadata.labels");
    assert_string_equal(json_string_value(json_object_get(labels, RUNNER_LABEL_BENCHMARK)), "b");
    assert_string_equal(json_string_value(json_object_get(labels, RUNNER_LABEL_RUN)), id);
    assert_string_equal(json_string_value(json_object_get(labels, RUNNER_LABEL_INDEX)), "1");
    assert_string_equal(json_string_value(json_object_get(labels, RUNNER_LABEL_MANAGED_BY)), RUNNER_MANAGED_BY);
    assert_string_equal(S(pod, "metadata.annotations.karpenter.sh/do-not-disrupt"), "true");
    /* placement */
    json_t *spec = J(pod, "spec");
    assert_string_equal(S(spec, "restartPolicy"), "Never");
    assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "nodeSelector"),
                                                           "karpenter.sh/capacity-type")), "spot");
    assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "nodeSelector"),
                                                           "kubernetes.io/arch")), "amd64");
    assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "nodeSelector"), "pool")), "bench");
    json_t *exprs = J(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions");
    assert_int_equal(json_array_size(exprs), 2);
    assert_string_equal(S(exprs, "0.key"), "node.kubernetes.io/instance-type");
    assert_string_equal(S(exprs, "0.operator"), "In");
    assert_string_equal(S(exprs, "0.values.1"), "r7g.xlarge");
    assert_string_equal(S(exprs, "1.key"), "topology.kubernetes.io/zone");
    assert_string_equal(S(exprs, "1.values.0"), "us-west-2a");
    json_t *anti = J(spec, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution");
    assert_int_equal(json_array_size(anti), 2);
    assert_string_equal(S(anti, "0.labelSelector.matchLabels.app"), "valkey");
    assert_string_equal(S(anti, "0.topologyKey"), "kubernetes.io/hostname");
    assert_true(json_is_object(J(anti, "0.namespaceSelector")));
    assert_string_equal(S(anti, "1.topologyKey"), "kubernetes.io/hostname");
    assert_string_equal(json_string_value(json_object_get(J(anti, "1.labelSelector.matchLabels"), RUNNER_LABEL_RUN)), id);
    assert_string_equal(json_string_value(json_object_get(J(anti, "1.labelSelector.matchLabels"), RUNNER_LABEL_ATTEMPT)), "0");
    assert_string_equal(json_string_value(json_object_get(labels, RUNNER_LABEL_ATTEMPT)), "0");
    json_t *tsc = J(spec, "topologySpreadConstraints.0");
    assert_int_equal(json_integer_value(json_object_get(tsc, "maxSkew")), 1);
    assert_string_equal(S(tsc, "topologyKey"), "topology.kubernetes.io/zone");
    assert_string_equal(S(tsc, "whenUnsatisfiable"), "DoNotSchedule");
    assert_string_equal(json_string_value(json_object_get(J(tsc, "labelSelector.matchLabels"), RUNNER_LABEL_BENCHMARK)), "b");
    assert_string_equal(S(spec, "tolerations.0.key"), "dedicated");
    assert_string_equal(S(spec, "tolerations.0.effect"), "NoSchedule");
    /* the chart NodePool's taint is tolerated after the user's own */
    assert_int_equal(json_array_size(J(spec, "tolerations")), 2);
    assert_string_equal(S(spec, "tolerations.1.key"), "valkeybench.io/runner");
    assert_string_equal(S(spec, "tolerations.1.operator"), "Exists");
    /* security */
    assert_true(json_is_true(J(spec, "securityContext.runAsNonRoot")));
    assert_int_equal(json_integer_value(J(spec, "securityContext.runAsUser")), 65532);
    assert_string_equal(S(spec, "securityContext.seccompProfile.type"), "RuntimeDefault");
    assert_true(json_is_false(J(spec, "automountServiceAccountToken")));
    json_t *c = J(spec, "containers.0");
    assert_true(json_is_true(J(c, "securityContext.readOnlyRootFilesystem")));
    assert_true(json_is_false(J(c, "securityContext.allowPrivilegeEscalation")));
    assert_true(json_is_true(J(c, "securityContext.runAsNonRoot")));
    assert_string_equal(S(c, "securityContext.capabilities.drop.0"), "ALL");
    assert_string_equal(S(c, "securityContext.seccompProfile.type"), "RuntimeDefault");
    assert_string_equal(S(c, "resources.requests.cpu"), "2");
    assert_string_equal(S(c, "resources.limits.memory"), "2Gi");
    /* image, command, termination message */
    assert_string_equal(S(c, "image"), "registry.example/valkey-bench:1.2");
    assert_string_equal(S(c, "command.0"), "valkey-bench");
    assert_string_equal(S(c, "command.1"), "runner");
    assert_string_equal(S(c, "terminationMessagePath"), RUNNER_TERMINATION_LOG);
    assert_string_equal(S(c, "terminationMessagePolicy"), "FallbackToLogsOnError");
    /* secrets only by reference */
    json_t *env = J(c, "env");
    assert_int_equal(json_array_size(env), 2);
    assert_string_equal(S(env, "0.name"), "VALKEY_PASSWORD");
    assert_string_equal(S(env, "0.valueFrom.secretKeyRef.name"), "valkey-auth");
    assert_string_equal(S(env, "0.valueFrom.secretKeyRef.key"), "pw");
    assert_null(J(env, "0.value"));
    assert_string_equal(S(env, "1.name"), "VALKEY_USERNAME");
    assert_string_equal(S(env, "1.valueFrom.secretKeyRef.key"), "user");
    char *dump = json_dumps(J(c, "args"), 0);
    assert_null(strstr(dump, "pw"));
    assert_null(strstr(dump, "password"));
    free(dump);
    /* workload share of runner 1 of 3: clients 10 -> 4,3,3; requests 1000 -> 334,333,333 */
    json_t *args = J(c, "args");
    assert_string_equal(arg_value(args, "--clients"), "3");
    assert_string_equal(arg_value(args, "--requests"), "333");
    assert_string_equal(arg_value(args, "--threads"), "3");
    assert_string_equal(arg_value(args, "--mode"), "replication");
    assert_string_equal(arg_value(args, "--host"), "valkey");
    assert_string_equal(arg_value(args, "--port"), "6380");
    assert_string_equal(arg_value(args, "--read-from"), "replicas");
    assert_string_equal(arg_value(args, "--tests"), "set,get,incr");
    assert_string_equal(arg_value(args, "--warmup"), "2");
    assert_string_equal(arg_value(args, "--pipeline"), "8");
    assert_string_equal(arg_value(args, "--data-size"), "64");
    assert_string_equal(arg_value(args, "--keyspace-len"), "5000");
    assert_string_equal(arg_value(args, "--runner-index"), "1");
    assert_string_equal(arg_value(args, "--runners"), "3");
    assert_string_equal(arg_value(args, "--start-file"), RUNNER_ANNOTATIONS_FILE);
    assert_string_equal(arg_value(args, "--termination-log"), RUNNER_TERMINATION_LOG);
    char want_sync[128];
    snprintf(want_sync, sizeof want_sync, "bench/b/%s/0", id);
    assert_string_equal(arg_value(args, "--sync-id"), want_sync);
    /* start gate and writable /tmp */
    assert_string_equal(S(spec, "volumes.0.downwardAPI.items.0.fieldRef.fieldPath"), "metadata.annotations");
    assert_string_equal(S(spec, "volumes.0.downwardAPI.items.0.path"), "annotations");
    assert_true(json_is_object(J(spec, "volumes.1.emptyDir")));
    assert_string_equal(S(c, "volumeMounts.0.mountPath"), RUNNER_PODINFO_DIR);
    assert_string_equal(S(c, "volumeMounts.1.mountPath"), "/tmp");
    json_decref(pod);

    json_t *p0 = runner_pod_build(&s, id, 0, 0, "operator:img", err, sizeof err);
    assert_string_equal(arg_value(J(p0, "spec.containers.0.args"), "--clients"), "4");
    assert_string_equal(arg_value(J(p0, "spec.containers.0.args"), "--requests"), "334");
    /* One start line per attempt of the run, the same for every runner of it. */
    char sync[128];
    snprintf(sync, sizeof sync, "bench/b/%s/0", id);
    assert_string_equal(arg_value(J(p0, "spec.containers.0.args"), "--sync-id"), sync);
    json_t *retry = runner_pod_build(&s, id, 2, 0, "operator:img", err, sizeof err);
    snprintf(sync, sizeof sync, "bench/b/%s/2", id);
    assert_string_equal(arg_value(J(retry, "spec.containers.0.args"), "--sync-id"), sync);
    json_decref(retry);
    json_decref(p0);
    assert_null(runner_pod_build(&s, id, 0, 3, "operator:img", err, sizeof err));
    bench_spec_free(&s);
    json_decref(b);
}

static void test_pod_defaults(void **state) {
    (void)state;
    json_t *b = load(MINIMAL);
    bench_spec s;
    char err[256];
    assert_int_equal(bench_spec_parse(b, &s, err, sizeof err), 0);
    json_t *pod = runner_pod_build(&s, "g3", 0, 0, "ghcr.io/x/valkey-bench:0.1", err, sizeof err);
    assert_non_null(pod);
    json_t *c = J(pod, "spec.containers.0");
    assert_string_equal(S(c, "image"), "ghcr.io/x/valkey-bench:0.1");
    assert_int_equal(json_array_size(J(c, "env")), 0);
    assert_string_equal(S(c, "resources.requests.cpu"), "1");
    assert_string_equal(S(c, "resources.requests.memory"), "1Gi");
    assert_string_equal(S(pod, "spec.nodeSelector.karpenter.sh/capacity-type"), "on-demand");
    assert_string_equal(S(pod, "spec.nodeSelector.kubernetes.io/arch"), "arm64");
    json_t *exprs = J(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions");
    assert_int_equal(json_array_size(exprs), 1);
    assert_string_equal(S(exprs, "0.values.0"), "r7g.large");
    assert_string_equal(S(pod, "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution.0.labelSelector.matchLabels.app.kubernetes.io/name"), "valkey");
    assert_null(arg_value(J(c, "args"), "--read-from"));
    assert_string_equal(arg_value(J(c, "args"), "--requests"), "500000");
    assert_string_equal(arg_value(J(c, "args"), "--clients"), "50");
    assert_string_equal(arg_value(J(c, "args"), "--tests"), "set,get");
    assert_null(arg_value(J(c, "args"), "--sync-id")); /* one runner: no one to wait for */
    /* no tolerations in the spec: still the chart NodePool's taint, any value and effect */
    assert_int_equal(json_array_size(J(pod, "spec.tolerations")), 1);
    assert_string_equal(S(pod, "spec.tolerations.0.key"), "valkeybench.io/runner");
    assert_string_equal(S(pod, "spec.tolerations.0.operator"), "Exists");
    assert_null(J(pod, "spec.tolerations.0.effect"));
    assert_null(J(pod, "spec.tolerations.0.value"));
    json_decref(pod);
    /* no image anywhere, no uid: refused */
    assert_null(runner_pod_build(&s, "g3", 0, 0, NULL, err, sizeof err));
    assert_non_null(strstr(err, "image"));
    s.spread_across_zones = false;
    pod = runner_pod_build(&s, "g3", 0, 0, "img", err, sizeof err);
    assert_null(J(pod, "spec.topologySpreadConstraints"));
    assert_non_null(J(pod, "spec.affinity.podAntiAffinity"));
    json_decref(pod);
    s.uid[0] = '\0';
    assert_null(runner_pod_build(&s, "g3", 0, 0, "img", err, sizeof err));
    bench_spec_free(&s);
    json_decref(b);
}

/* The pod's tolerations for placement.tolerations `given` (JSON array text). */
static json_t *tolerations_for(const char *given) {
    char text[1024], err[256];
    snprintf(text, sizeof text,
             "{\"metadata\":{\"name\":\"t\",\"namespace\":\"n\",\"uid\":\"u\",\"generation\":1},"
             "\"spec\":{\"target\":{\"host\":\"h\"},\"placement\":{\"tolerations\":%s}}}",
             given);
    json_t *b = load(text);
    bench_spec s;
    assert_int_equal(bench_spec_parse(b, &s, err, sizeof err), 0);
    json_t *pod = runner_pod_build(&s, "g1", 0, 0, "img", err, sizeof err);
    assert_non_null(pod);
    json_t *tol = json_incref(J(pod, "spec.tolerations"));
    json_decref(pod);
    bench_spec_free(&s);
    json_decref(b);
    return tol;
}

/* The user's entry for the runner taint key, or a toleration of every taint, is kept as
 * written and the default is not added a second time. */
static void test_runner_taint_not_duplicated(void **state) {
    (void)state;
    static const char *covering[] = {
        "[{\"key\":\"valkeybench.io/runner\",\"operator\":\"Equal\",\"value\":\"true\",\"effect\":\"NoSchedule\"}]",
        "[{\"key\":\"x\",\"operator\":\"Exists\"},{\"key\":\"valkeybench.io/runner\",\"operator\":\"Exists\"}]",
        "[{\"operator\":\"Exists\"}]",
        "[{\"key\":\"\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]",
    };
    for (size_t i = 0; i < sizeof covering / sizeof covering[0]; i++) {
        json_t *want = load(covering[i]), *got = tolerations_for(covering[i]);
        if (!json_equal(want, got)) fail_msg("case %zu: tolerations changed to %s", i, json_dumps(got, 0));
        json_decref(want);
        json_decref(got);
    }
    /* another key, or an Exists-less entry with no key, does not cover it */
    json_t *got = tolerations_for("[{\"key\":\"valkeybench.io/runner-pool\",\"operator\":\"Exists\"},"
                                  "{\"operator\":\"Equal\",\"value\":\"v\"}]");
    assert_int_equal(json_array_size(got), 3);
    assert_string_equal(S(got, "2.key"), "valkeybench.io/runner");
    assert_string_equal(S(got, "2.operator"), "Exists");
    json_decref(got);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_applied),
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_names_deterministic_and_valid),
        cmocka_unit_test(test_split_arithmetic),
        cmocka_unit_test(test_pod_carries_every_property),
        cmocka_unit_test(test_pod_defaults),
        cmocka_unit_test(test_runner_taint_not_duplicated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
