/* operator/bench_spec: see bench_spec.h. */
#include "operator/bench_spec.h"

#include <stdio.h>
#include <string.h>

static const char *const TESTS[] = {"set", "get", "incr", "ping", "lpush", "rpush", "lpop",
                                    "rpop", "sadd", "hset", "mset", NULL};

static bool one_of(const char *s, const char *const *set) {
    for (; *set; set++)
        if (!strcmp(s, *set)) return true;
    return false;
}

/* A string field: absent -> def; present but not a string, or too long -> error. */
static int get_str(const json_t *obj, const char *key, const char *def, char *out, size_t cap,
                   const char *path, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    const char *s = def;
    if (v && !json_is_null(v)) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "%s.%s: must be a string", path, key);
            return -1;
        }
        s = json_string_value(v);
    }
    if (strlen(s) >= cap) {
        snprintf(err, errlen, "%s.%s: longer than %zu characters", path, key, cap - 1);
        return -1;
    }
    snprintf(out, cap, "%s", s);
    return 0;
}

static int get_enum(const json_t *obj, const char *key, const char *def, const char *const *set,
                    char *out, size_t cap, const char *path, char *err, size_t errlen) {
    if (get_str(obj, key, def, out, cap, path, err, errlen) != 0) return -1;
    if (!one_of(out, set)) {
        snprintf(err, errlen, "%s.%s: unsupported value \"%s\"", path, key, out);
        return -1;
    }
    return 0;
}

static int get_int(const json_t *obj, const char *key, long long def, long long min, long long max,
                   long long *out, const char *path, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    long long x = def;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v)) {
            snprintf(err, errlen, "%s.%s: must be an integer", path, key);
            return -1;
        }
        x = json_integer_value(v);
    }
    if (x < min || x > max) {
        snprintf(err, errlen, "%s.%s: %lld is outside %lld..%lld", path, key, x, min, max);
        return -1;
    }
    *out = x;
    return 0;
}

static int get_bool(const json_t *obj, const char *key, bool def, bool *out, const char *path,
                    char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    *out = def;
    if (v && !json_is_null(v)) {
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "%s.%s: must be a boolean", path, key);
            return -1;
        }
        *out = json_is_true(v);
    }
    return 0;
}

/* A list of strings into a fixed table; `def` (may be NULL) when absent. */
static int get_str_list(const json_t *obj, const char *key, const char *def, char *tab, size_t width,
                        int maxn, int *n, const char *path, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    *n = 0;
    if (!v || json_is_null(v)) {
        if (def) snprintf(tab, width, "%s", def), *n = 1;
        return 0;
    }
    if (!json_is_array(v) || (int)json_array_size(v) > maxn) {
        snprintf(err, errlen, "%s.%s: must be a list of at most %d strings", path, key, maxn);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        const char *s = json_string_value(e);
        if (!s || !*s || strlen(s) >= width) {
            snprintf(err, errlen, "%s.%s[%zu]: must be a non-empty string shorter than %zu", path, key,
                     i, width);
            return -1;
        }
        snprintf(tab + (size_t)*n * width, width, "%s", s);
        (*n)++;
    }
    return 0;
}

/* An object/array passed through to the pod; `def_json` when absent. */
static int get_json(const json_t *obj, const char *key, const char *def_json, bool want_array,
                    json_t **out, const char *path, char *err, size_t errlen) {
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = json_loads(def_json, 0, NULL);
        return 0;
    }
    if (want_array ? !json_is_array(v) : !json_is_object(v)) {
        snprintf(err, errlen, "%s.%s: must be %s", path, key, want_array ? "a list" : "an object");
        return -1;
    }
    *out = json_deep_copy(v);
    return 0;
}

static int parse_meta(const json_t *bench, bench_spec *s, char *err, size_t errlen) {
    json_t *md = json_object_get(bench, "metadata");
    if (!json_is_object(md)) {
        snprintf(err, errlen, "metadata: missing");
        return -1;
    }
    if (get_str(md, "name", "", s->name, sizeof s->name, "metadata", err, errlen) ||
        get_str(md, "namespace", "default", s->namespace_, sizeof s->namespace_, "metadata", err, errlen) ||
        get_str(md, "uid", "", s->uid, sizeof s->uid, "metadata", err, errlen))
        return -1;
    if (!s->name[0]) {
        snprintf(err, errlen, "metadata.name: missing");
        return -1;
    }
    json_t *gen = json_object_get(md, "generation");
    s->generation = json_is_integer(gen) ? json_integer_value(gen) : 1;
    const char *rerun = json_string_value(json_object_get(json_object_get(md, "annotations"),
                                                          "valkeybench.io/rerun"));
    snprintf(s->rerun, sizeof s->rerun, "%s", rerun ? rerun : "");
    return 0;
}

static int parse_target_auth(const json_t *spec, bench_spec *s, char *err, size_t errlen) {
    static const char *const MODES[] = {"cluster", "replication", "standalone", NULL};
    static const char *const READ_FROM[] = {"primary", "replicas", "any", NULL};
    json_t *t = json_object_get(spec, "target");
    long long port;
    if (!json_is_object(t)) {
        snprintf(err, errlen, "spec.target: required");
        return -1;
    }
    if (get_enum(t, "mode", "cluster", MODES, s->mode, sizeof s->mode, "spec.target", err, errlen) ||
        get_str(t, "host", "", s->host, sizeof s->host, "spec.target", err, errlen) ||
        get_int(t, "port", 6379, 1, 65535, &port, "spec.target", err, errlen) ||
        get_enum(t, "readFrom", "primary", READ_FROM, s->read_from, sizeof s->read_from, "spec.target",
                 err, errlen))
        return -1;
    if (!s->host[0]) {
        snprintf(err, errlen, "spec.target.host: required");
        return -1;
    }
    s->port = (int)port;
    json_t *a = json_object_get(spec, "auth");
    if (!a || json_is_null(a)) return 0;
    if (!json_is_object(a)) {
        snprintf(err, errlen, "spec.auth: must be an object");
        return -1;
    }
    if (get_str(a, "secretName", "", s->auth_secret, sizeof s->auth_secret, "spec.auth", err, errlen) ||
        get_str(a, "passwordKey", "password", s->password_key, sizeof s->password_key, "spec.auth", err,
                errlen) ||
        get_str(a, "usernameKey", "", s->username_key, sizeof s->username_key, "spec.auth", err, errlen))
        return -1;
    if (!s->auth_secret[0]) {
        snprintf(err, errlen, "spec.auth.secretName: required");
        return -1;
    }
    return 0;
}

static int parse_workload(const json_t *spec, bench_spec *s, char *err, size_t errlen) {
    json_t *w = json_object_get(spec, "workload");
    const char *p = "spec.workload";
    long long clients, pipeline, dsize, threads, dur, warm;
    if (w && !json_is_null(w) && !json_is_object(w)) {
        snprintf(err, errlen, "%s: must be an object", p);
        return -1;
    }
    if (get_int(w, "requests", 500000, 1, (1LL << 53), &s->requests, p, err, errlen) ||
        get_int(w, "clients", 50, 1, 10000, &clients, p, err, errlen) ||
        get_int(w, "pipeline", 16, 1, 1024, &pipeline, p, err, errlen) ||
        get_int(w, "dataSize", 256, 1, 1048576, &dsize, p, err, errlen) ||
        get_int(w, "threads", 4, 1, 64, &threads, p, err, errlen) ||
        get_int(w, "keyspaceLen", 1000000, 1, (1LL << 53), &s->keyspace_len, p, err, errlen) ||
        get_int(w, "durationSeconds", 0, 0, 86400 * 7, &dur, p, err, errlen) ||
        get_int(w, "warmupSeconds", 0, 0, 86400, &warm, p, err, errlen))
        return -1;
    s->clients = (int)clients, s->pipeline = (int)pipeline, s->data_size = (int)dsize;
    s->threads = (int)threads, s->duration_s = (int)dur, s->warmup_s = (int)warm;
    if (get_str_list(w, "tests", NULL, &s->tests[0][0], sizeof s->tests[0], BENCH_MAX_TESTS, &s->ntests,
                     p, err, errlen))
        return -1;
    if (s->ntests == 0 && !json_object_get(w, "tests")) {
        snprintf(s->tests[0], sizeof s->tests[0], "set");
        snprintf(s->tests[1], sizeof s->tests[1], "get");
        s->ntests = 2;
    }
    if (s->ntests == 0) {
        snprintf(err, errlen, "%s.tests: must name at least one test", p);
        return -1;
    }
    for (int i = 0; i < s->ntests; i++) {
        if (!one_of(s->tests[i], TESTS)) {
            snprintf(err, errlen, "%s.tests[%d]: unsupported test \"%s\"", p, i, s->tests[i]);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(s->tests[i], s->tests[j])) {
                snprintf(err, errlen, "%s.tests[%d]: \"%s\" listed twice", p, i, s->tests[i]);
                return -1;
            }
    }
    return 0;
}

static int parse_placement(const json_t *spec, bench_spec *s, char *err, size_t errlen) {
    static const char *const CAPACITY[] = {"on-demand", "spot", NULL};
    static const char *const ARCH[] = {"arm64", "amd64", NULL};
    json_t *pl = json_object_get(spec, "placement");
    const char *p = "spec.placement";
    if (pl && !json_is_null(pl) && !json_is_object(pl)) {
        snprintf(err, errlen, "%s: must be an object", p);
        return -1;
    }
    if (get_enum(pl, "capacityType", "on-demand", CAPACITY, s->capacity_type, sizeof s->capacity_type, p,
                 err, errlen) ||
        get_enum(pl, "arch", "arm64", ARCH, s->arch, sizeof s->arch, p, err, errlen) ||
        get_str_list(pl, "instanceTypes", "r7g.large", &s->instance_types[0][0],
                     sizeof s->instance_types[0], 16, &s->ninstance_types, p, err, errlen) ||
        get_str_list(pl, "zones", NULL, &s->zones[0][0], sizeof s->zones[0], 16, &s->nzones, p, err,
                     errlen) ||
        get_bool(pl, "spreadAcrossZones", true, &s->spread_across_zones, p, err, errlen) ||
        get_json(pl, "avoidPodSelector", "{\"matchLabels\":{\"app.kubernetes.io/name\":\"valkey\"}}", false,
                 &s->avoid_pod_selector, p, err, errlen) ||
        get_json(pl, "nodeSelector", "{}", false, &s->node_selector, p, err, errlen) ||
        get_json(pl, "tolerations", "[]", true, &s->tolerations, p, err, errlen) ||
        get_json(pl, "resources",
                 "{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},\"limits\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}",
                 false, &s->resources, p, err, errlen))
        return -1;
    const char *k;
    json_t *v;
    json_object_foreach(s->node_selector, k, v) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "%s.nodeSelector.%s: must be a string", p, k);
            return -1;
        }
    }
    return 0;
}

int bench_spec_parse(const json_t *bench, bench_spec *s, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    if (!json_is_object(bench)) {
        snprintf(err, errlen, "not a ValkeyBenchmark object");
        return -1;
    }
    json_t *spec = json_object_get(bench, "spec");
    long long runners, timeout, retries;
    if (parse_meta(bench, s, err, errlen)) return -1;
    if (!json_is_object(spec)) {
        snprintf(err, errlen, "spec: missing");
        return -1;
    }
    if (parse_target_auth(spec, s, err, errlen) || parse_workload(spec, s, err, errlen) ||
        parse_placement(spec, s, err, errlen) ||
        get_str(spec, "workloadName", "", s->workload_name, sizeof s->workload_name, "spec", err, errlen) ||
        get_int(spec, "runners", 1, 1, 64, &runners, "spec", err, errlen) ||
        get_str(spec, "image", "", s->image, sizeof s->image, "spec", err, errlen) ||
        get_bool(spec, "keepRunner", false, &s->keep_runner, "spec", err, errlen) ||
        get_str(spec, "requireTopologyCheck", "", s->require_topology_check,
                sizeof s->require_topology_check, "spec", err, errlen) ||
        get_int(spec, "schedulingTimeoutSeconds", 600, 1, 86400, &timeout, "spec", err, errlen) ||
        get_int(spec, "maxRunnerRetries", 2, 0, 10, &retries, "spec", err, errlen))
        return -1;
    s->runners = (int)runners, s->scheduling_timeout_s = (int)timeout, s->max_runner_retries = (int)retries;
    if (!s->workload_name[0]) snprintf(s->workload_name, sizeof s->workload_name, "%s", s->mode);
    if (s->clients < s->runners) {
        snprintf(err, errlen, "spec.workload.clients (%d) must be at least spec.runners (%d)", s->clients,
                 s->runners);
        return -1;
    }
    if (s->duration_s == 0 && s->requests < s->runners) {
        snprintf(err, errlen, "spec.workload.requests (%lld) must be at least spec.runners (%d)",
                 s->requests, s->runners);
        return -1;
    }
    return 0;
}

void bench_spec_free(bench_spec *s) {
    json_decref(s->avoid_pod_selector);
    json_decref(s->node_selector);
    json_decref(s->tolerations);
    json_decref(s->resources);
    s->avoid_pod_selector = s->node_selector = s->tolerations = s->resources = NULL;
}
