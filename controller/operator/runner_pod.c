/* operator/runner_pod: see runner_pod.h. */
#include "operator/runner_pod.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t fnv1a(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

void runner_run_id(long long generation, const char *rerun, char *out, size_t cap) {
    if (rerun && *rerun)
        snprintf(out, cap, "g%lld-%06x", generation, fnv1a(rerun) & 0xffffff);
    else
        snprintf(out, cap, "g%lld", generation);
}

/* Copies at most `max` chars of name as DNS-label characters, without a trailing '-'. */
static size_t label_prefix(const char *name, size_t max, char *out) {
    size_t n = 0;
    for (; name[n] && n < max; n++) {
        unsigned char c = (unsigned char)name[n];
        out[n] = isalnum(c) ? (char)tolower(c) : '-';
    }
    while (n > 0 && out[n - 1] == '-') n--;
    out[n] = '\0';
    return n;
}

void runner_pod_name(const char *bench, const char *run_id, int attempt, int index, char *out,
                     size_t cap) {
    char suffix[64], prefix[64];
    if (attempt > 0)
        snprintf(suffix, sizeof suffix, "-%s-r%d-%d", run_id, attempt, index);
    else
        snprintf(suffix, sizeof suffix, "-%s-%d", run_id, index);
    size_t room = 63 - strlen(suffix);
    bool dotted = strchr(bench, '.') != NULL;
    if (strlen(bench) <= room && !dotted) {
        label_prefix(bench, room, prefix);
    } else {
        /* Cut (or '.'-rewritten) names get a hash of the full name, so that "a.b" and
         * "a-b", or two long names sharing a prefix, still differ. */
        label_prefix(bench, room - 7, prefix);
        size_t n = strlen(prefix);
        snprintf(prefix + n, sizeof prefix - n, "-%06x", fnv1a(bench) & 0xffffff);
    }
    snprintf(out, cap, "%s%s", prefix, suffix);
}

void runner_label_value(const char *name, char *out, size_t cap) {
    if (strlen(name) <= 63) {
        snprintf(out, cap, "%s", name);
        return;
    }
    char prefix[64];
    size_t n = 0;
    for (; n < 55; n++) prefix[n] = name[n];
    while (n > 0 && !isalnum((unsigned char)prefix[n - 1])) n--;
    prefix[n] = '\0';
    snprintf(out, cap, "%s-%06x", prefix, fnv1a(name) & 0xffffff);
}

void runner_selector(const bench_spec *spec, const char *run_id, char *out, size_t cap) {
    char bench[64];
    runner_label_value(spec->name, bench, sizeof bench);
    if (run_id)
        snprintf(out, cap, "%s=%s,%s=%s", RUNNER_LABEL_BENCHMARK, bench, RUNNER_LABEL_RUN, run_id);
    else
        snprintf(out, cap, "%s=%s", RUNNER_LABEL_BENCHMARK, bench);
}

long long runner_share(long long total, int n, int index) {
    if (n <= 0 || index < 0 || index >= n) return 0;
    return total / n + (index < total % n ? 1 : 0);
}

/* The labels that select the runners of one attempt of a run: spread and anti-affinity
 * count only these, so the terminated pods of a failed attempt never block a retry. */
static json_t *run_labels(const bench_spec *spec, const char *run_id, int attempt) {
    char bench[64], att[16];
    runner_label_value(spec->name, bench, sizeof bench);
    snprintf(att, sizeof att, "%d", attempt);
    return json_pack("{s:s, s:s, s:s}", RUNNER_LABEL_BENCHMARK, bench, RUNNER_LABEL_RUN, run_id,
                     RUNNER_LABEL_ATTEMPT, att);
}

static json_t *str_array(const char (*tab)[64], int n) {
    json_t *a = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(a, json_string(tab[i]));
    return a;
}

/* capacityType and arch through nodeSelector (exact labels Karpenter sets); the lists
 * (instance types, zones) through required node affinity, which can say "In". The
 * user's extra nodeSelector is merged in last: an explicit key is the more specific wish. */
static json_t *node_placement(const bench_spec *spec, json_t *pod_spec) {
    json_t *ns = json_pack("{s:s, s:s}", "karpenter.sh/capacity-type", spec->capacity_type,
                           "kubernetes.io/arch", spec->arch);
    json_object_update(ns, spec->node_selector);
    json_object_set_new(pod_spec, "nodeSelector", ns);
    json_t *exprs = json_array();
    if (spec->ninstance_types > 0)
        json_array_append_new(exprs, json_pack("{s:s, s:s, s:o}", "key", "node.kubernetes.io/instance-type",
                                               "operator", "In", "values",
                                               str_array(spec->instance_types, spec->ninstance_types)));
    if (spec->nzones > 0)
        json_array_append_new(exprs, json_pack("{s:s, s:s, s:o}", "key", "topology.kubernetes.io/zone",
                                               "operator", "In", "values",
                                               str_array(spec->zones, spec->nzones)));
    if (json_array_size(exprs) == 0) {
        json_decref(exprs);
        return NULL;
    }
    return json_pack("{s:{s:[{s:o}]}}", "requiredDuringSchedulingIgnoredDuringExecution",
                     "nodeSelectorTerms", "matchExpressions", exprs);
}

/* Never on a node that runs a Valkey pod (they live in another namespace, hence the
 * empty namespaceSelector = all namespaces), nor two runners of the run on one node. */
static json_t *pod_anti_affinity(const bench_spec *spec, const char *run_id, int attempt) {
    return json_pack("{s:[{s:O, s:{}, s:s}, {s:{s:o}, s:s}]}", "requiredDuringSchedulingIgnoredDuringExecution",
                     "labelSelector", spec->avoid_pod_selector, "namespaceSelector", "topologyKey",
                     "kubernetes.io/hostname", "labelSelector", "matchLabels", run_labels(spec, run_id, attempt),
                     "topologyKey", "kubernetes.io/hostname");
}

static void add_arg(json_t *args, const char *flag, const char *value) {
    json_array_append_new(args, json_string(flag));
    if (value) json_array_append_new(args, json_string(value));
}

static void add_arg_ll(json_t *args, const char *flag, long long v) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", v);
    add_arg(args, flag, buf);
}

static json_t *runner_args(const bench_spec *spec, const char *run_id, int attempt, int index) {
    json_t *args = json_array();
    long long clients = runner_share(spec->clients, spec->runners, index);
    long long threads = spec->threads < clients ? spec->threads : clients;
    char tests[BENCH_MAX_TESTS * 32 + 1] = "";
    for (int i = 0; i < spec->ntests; i++) {
        if (i) strcat(tests, ",");
        strcat(tests, spec->tests[i]);
    }
    add_arg(args, "--mode", spec->mode);
    add_arg(args, "--host", spec->host);
    add_arg_ll(args, "--port", spec->port);
    if (!strcmp(spec->mode, "replication")) add_arg(args, "--read-from", spec->read_from);
    add_arg_ll(args, "--clients", clients);
    if (spec->duration_s > 0)
        add_arg_ll(args, "--duration", spec->duration_s);
    else
        add_arg_ll(args, "--requests", runner_share(spec->requests, spec->runners, index));
    add_arg_ll(args, "--pipeline", spec->pipeline);
    add_arg_ll(args, "--data-size", spec->data_size);
    add_arg_ll(args, "--threads", threads);
    add_arg_ll(args, "--keyspace-len", spec->keyspace_len);
    add_arg(args, "--tests", tests);
    if (spec->warmup_s > 0) add_arg_ll(args, "--warmup", spec->warmup_s);
    add_arg(args, "--workload-name", spec->workload_name);
    add_arg_ll(args, "--runner-index", index);
    add_arg_ll(args, "--runners", spec->runners);
    add_arg(args, "--start-file", RUNNER_ANNOTATIONS_FILE);
    if (spec->runners > 1) { /* every test starts together (runner_sync.h), per attempt */
        char sync_id[512];
        snprintf(sync_id, sizeof sync_id, "%s/%s/%s/%d", spec->namespace_, spec->name, run_id, attempt);
        add_arg(args, "--sync-id", sync_id);
    }
    add_arg(args, "--termination-log", RUNNER_TERMINATION_LOG);
    return args;
}

static json_t *runner_env(const bench_spec *spec) {
    json_t *env = json_array();
    if (!spec->auth_secret[0]) return env;
    json_array_append_new(env, json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", "VALKEY_PASSWORD", "valueFrom",
                                         "secretKeyRef", "name", spec->auth_secret, "key",
                                         spec->password_key));
    if (spec->username_key[0])
        json_array_append_new(env, json_pack("{s:s, s:{s:{s:s, s:s}}}", "name", "VALKEY_USERNAME",
                                             "valueFrom", "secretKeyRef", "name", spec->auth_secret, "key",
                                             spec->username_key));
    return env;
}

static json_t *runner_container(const bench_spec *spec, const char *image, const char *run_id, int attempt,
                                int index) {
    return json_pack(
        "{s:s, s:s, s:s, s:[s,s], s:o, s:o, s:O, s:s, s:s,"
        " s:{s:b, s:b, s:b, s:i, s:i, s:{s:[s]}, s:{s:s}},"
        " s:[{s:s, s:s, s:b}, {s:s, s:s}]}",
        "name", RUNNER_CONTAINER, "image", image, "imagePullPolicy", "IfNotPresent", "command",
        "valkey-bench", "runner", "args", runner_args(spec, run_id, attempt, index), "env", runner_env(spec), "resources",
        spec->resources, "terminationMessagePath", RUNNER_TERMINATION_LOG, "terminationMessagePolicy",
        "FallbackToLogsOnError", "securityContext", "runAsNonRoot", 1, "readOnlyRootFilesystem", 1,
        "allowPrivilegeEscalation", 0, "runAsUser", RUNNER_UID, "runAsGroup", RUNNER_UID, "capabilities",
        "drop", "ALL", "seccompProfile", "type", "RuntimeDefault", "volumeMounts", "name", "podinfo",
        "mountPath", RUNNER_PODINFO_DIR, "readOnly", 1, "name", "tmp", "mountPath", "/tmp");
}

/* spec.placement.tolerations plus RUNNER_TAINT_KEY's (see runner_pod.h); a user entry
 * for that key wins, even a narrower one, so it is never listed twice. */
static json_t *runner_tolerations(json_t *user) {
    json_t *out = json_array(), *t;
    bool covered = false;
    size_t i;
    json_array_foreach(user, i, t) {
        const char *key = json_string_value(json_object_get(t, "key"));
        const char *op = json_string_value(json_object_get(t, "operator"));
        if (key && *key ? !strcmp(key, RUNNER_TAINT_KEY) : op && !strcmp(op, "Exists")) covered = true;
        json_array_append(out, t);
    }
    if (!covered) json_array_append_new(out, json_pack("{s:s, s:s}", "key", RUNNER_TAINT_KEY, "operator", "Exists"));
    return out;
}

json_t *runner_pod_build(const bench_spec *spec, const char *run_id, int attempt, int index,
                         const char *default_image, char *err, size_t errlen) {
    const char *image = spec->image[0] ? spec->image : default_image;
    if (!image || !*image) {
        snprintf(err, errlen, "no runner image: spec.image is empty and the operator's image is unknown");
        return NULL;
    }
    if (!spec->uid[0]) {
        snprintf(err, errlen, "benchmark %s has no metadata.uid; cannot own a pod", spec->name);
        return NULL;
    }
    if (index < 0 || index >= spec->runners) {
        snprintf(err, errlen, "runner index %d outside 0..%d", index, spec->runners - 1);
        return NULL;
    }
    char name[64], idx[16];
    runner_pod_name(spec->name, run_id, attempt, index, name, sizeof name);
    snprintf(idx, sizeof idx, "%d", index);
    json_t *labels = run_labels(spec, run_id, attempt);
    json_object_set_new(labels, RUNNER_LABEL_INDEX, json_string(idx));
    json_object_set_new(labels, RUNNER_LABEL_MANAGED_BY, json_string(RUNNER_MANAGED_BY));
    json_object_set_new(labels, "app.kubernetes.io/name", json_string("valkey-bench-runner"));

    json_t *pod_spec = json_pack(
        "{s:s, s:b, s:b, s:i, s:{s:b, s:i, s:i, s:i, s:{s:s}}, s:[o], s:o,"
        " s:[{s:s, s:{s:[{s:s, s:{s:s}}]}}, {s:s, s:{}}]}",
        "restartPolicy", "Never", "automountServiceAccountToken", 0, "enableServiceLinks", 0,
        "terminationGracePeriodSeconds", 10, "securityContext", "runAsNonRoot", 1, "runAsUser", RUNNER_UID,
        "runAsGroup", RUNNER_UID, "fsGroup", RUNNER_UID, "seccompProfile", "type", "RuntimeDefault",
        "containers", runner_container(spec, image, run_id, attempt, index), "tolerations", runner_tolerations(spec->tolerations),
        "volumes", "name", "podinfo", "downwardAPI", "items", "path", "annotations", "fieldRef", "fieldPath",
        "metadata.annotations", "name", "tmp", "emptyDir");
    json_t *affinity = json_pack("{s:o}", "podAntiAffinity", pod_anti_affinity(spec, run_id, attempt));
    json_t *node_aff = node_placement(spec, pod_spec);
    if (node_aff) json_object_set_new(affinity, "nodeAffinity", node_aff);
    json_object_set_new(pod_spec, "affinity", affinity);
    if (spec->spread_across_zones)
        json_object_set_new(pod_spec, "topologySpreadConstraints",
                            json_pack("[{s:i, s:s, s:s, s:{s:o}}]", "maxSkew", 1, "topologyKey",
                                      "topology.kubernetes.io/zone", "whenUnsatisfiable", "DoNotSchedule",
                                      "labelSelector", "matchLabels", run_labels(spec, run_id, attempt)));

    json_t *pod = json_pack(
        "{s:s, s:s, s:{s:s, s:s, s:o, s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]}, s:o}", "apiVersion", "v1",
        "kind", "Pod", "metadata", "name", name, "namespace", spec->namespace_, "labels", labels,
        "annotations", "karpenter.sh/do-not-disrupt", "true", "ownerReferences", "apiVersion",
        "valkeybench.io/v1alpha1", "kind", "ValkeyBenchmark", "name", spec->name, "uid", spec->uid,
        "controller", 1, "blockOwnerDeletion", 1, "spec", pod_spec);
    if (!pod) snprintf(err, errlen, "internal error building runner pod %s", name);
    return pod;
}
