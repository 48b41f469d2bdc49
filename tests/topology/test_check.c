/* Unit tests for topology/check: the verdict on hand-built topologies, its report and
 * its status JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/check.h"

/* A healthy 3+3 cluster: primary i at 10.0.0.(1+i), its replica at 10.0.0.(4+i), and
 * pods valkey-<k> on nodes node-<k>. */
static void make_cluster(topology *t, topo_placement_map *m, const char *zones[6]) {
    topology_init(t, TOPO_CLUSTER);
    snprintf(t->seed, sizeof t->seed, "10.0.0.1:6379");
    t->info = (topo_cluster_info){1, "ok", 16384, 16384, 0, 0, 6, 3};
    memset(m, 0, sizeof *m);
    const unsigned lo[3] = {0, 5461, 10922}, hi[3] = {5460, 10921, 16383};
    for (int k = 0; k < 6; k++) {
        topo_node *n = topology_add_node(t);
        assert_non_null(n);
        snprintf(n->id, sizeof n->id, "id%d", k);
        snprintf(n->host, sizeof n->host, "10.0.0.%d", k + 1);
        n->port = 6379;
        n->reachable = 1;
        n->bus_connected = 1;
        n->offset = 1000;
        if (k < 3) {
            n->is_primary = 1;
            n->ranges = malloc(sizeof *n->ranges);
            assert_non_null(n->ranges);
            n->ranges[0] = (topo_range){lo[k], hi[k]};
            n->nranges = 1;
            n->slot_count = hi[k] - lo[k] + 1;
        } else {
            snprintf(n->primary_id, sizeof n->primary_id, "id%d", k - 3);
            n->link_up = 1;
            n->lag_s = 0;
            n->offset = 990;
        }
        char addr[32], pod[32], node[32];
        snprintf(addr, sizeof addr, "10.0.0.%d", k + 1);
        snprintf(pod, sizeof pod, "valkey-%d", k);
        snprintf(node, sizeof node, "node-%d", k);
        assert_int_equal(placement_map_add(m, addr, pod, node, zones ? zones[k] : NULL), 0);
    }
    topology_link(t);
}

static const char *GOOD[6] = {"us-west-2a", "us-west-2b", "us-west-2c", "us-west-2b", "us-west-2c", "us-west-2a"};

static const topo_check *find_check(const topo_verdict *v, const char *name) {
    for (size_t i = 0; i < v->nchecks; i++)
        if (strcmp(v->checks[i].name, name) == 0) return &v->checks[i];
    return NULL;
}

static void expect_failed(const topo_verdict *v, const char *name, const char *needle) {
    const topo_check *c = find_check(v, name);
    if (!c) fail_msg("no check %s", name);
    if (c->passed) fail_msg("check %s passed: %s", name, c->message);
    if (needle && !strstr(c->message, needle)) fail_msg("check %s message lacks '%s': %s", name, needle, c->message);
    assert_false(v->passed);
}

static void evaluate(const topology *t, const topo_placement_map *m, const topo_requirements *req, topo_verdict *v) {
    topo_requirements def;
    topo_requirements_default(&def);
    assert_int_equal(topo_evaluate(t, m, req ? req : &def, v), 0);
}

static char *render_with(const topology *t, const topo_placement_map *m, const topo_verdict *v) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    topo_render_report(f, t, m, v);
    fclose(f);
    return buf;
}
#define render(t, v) render_with((t), &m, (v))

static void test_cross_zone_cluster_passes(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    evaluate(&t, &m, NULL, &v);
    for (size_t i = 0; i < v.nchecks; i++)
        if (!v.checks[i].passed) fail_msg("%s failed: %s", v.checks[i].name, v.checks[i].message);
    assert_true(v.passed);
    assert_int_equal(v.nprimaries, 3);
    assert_int_equal(v.cross_zone_primaries, 3);
    assert_string_equal(v.primaries[0].pod, "valkey-0");
    assert_int_equal(v.primaries[0].slots, 5461);
    assert_int_equal(v.primaries[0].nreplicas, 1);
    assert_string_equal(v.primaries[0].replicas[0].pod, "valkey-3");
    assert_int_equal(v.primaries[0].replicas[0].cross_zone, 1);
    assert_int_equal(v.primaries[0].replicas[0].lag_bytes, 10);
    assert_string_equal(topo_verdict_first_failure(&v), "");
    char *report = render(&t, &v);
    assert_non_null(strstr(report, "=== Pods ==="));
    assert_non_null(strstr(report, "=== cluster info ===\ncluster_state:ok\ncluster_slots_assigned:16384\n"));
    assert_non_null(strstr(report, "=== Topology + primary↔replica AZ pairing ==="));
    assert_non_null(strstr(report, "PRIMARY valkey-0 us-west-2a"));
    assert_non_null(strstr(report, "replica valkey-3 us-west-2b cross-AZ ✓"));
    assert_non_null(strstr(report, "VERIFY: PASS — cluster_state=ok"));
    assert_non_null(strstr(report, "all primary↔replica pairs are cross-AZ"));
    free(report);
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_same_zone_replica_fails_naming_it(void **state) {
    (void)state;
    const char *zones[6] = {"a", "b", "c", "a", "c", "a"}; /* valkey-3 shares valkey-0's zone */
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, zones);
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "replicaInDifferentZone", "primary valkey-0 has no replica in another zone: replica valkey-3 is also in a");
    assert_int_equal(v.cross_zone_primaries, 2);
    assert_true(find_check(&v, "minReplicasPerPrimary")->passed);
    char *report = render(&t, &v);
    assert_non_null(strstr(report, "replica valkey-3 a same-AZ ✗"));
    assert_non_null(strstr(report, "VERIFY: FAIL — replicaInDifferentZone: primary valkey-0"));
    free(report);
    topo_verdict_free(&v);
    /* Not required: PASS. */
    topo_requirements req;
    topo_requirements_default(&req);
    req.replica_other_zone = 0;
    evaluate(&t, &m, &req, &v);
    assert_true(v.passed);
    assert_null(find_check(&v, "replicaInDifferentZone"));
    assert_non_null(strstr(v.summary, "cross-zone placement not required"));
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_unreachable_replica_fails(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    topo_node *r = &t.nodes[4]; /* replica of valkey-1 */
    r->reachable = 0;
    r->link_up = -1;
    snprintf(r->error, sizeof r->error, "cannot connect to 10.0.0.5:6379: Connection refused");
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "reachable", "valkey-4 (10.0.0.5:6379) unreachable: cannot connect");
    expect_failed(&v, "minReplicasPerPrimary", "primary valkey-1 has 0 healthy replicas, needs 1: replica valkey-4 unreachable");
    expect_failed(&v, "replicaInDifferentZone", "valkey-1");
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_primary_without_replica_fails(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    /* valkey-5 is gone from the cluster: its primary has no replica at all. */
    free(t.nodes[5].ranges);
    t.nnodes--;
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "minReplicasPerPrimary", "primary valkey-2 has 0 healthy replicas, needs 1 (no replica at all)");
    char *report = render(&t, &v);
    assert_non_null(strstr(report, "(no replica) ✗"));
    free(report);
    topo_verdict_free(&v);
    /* min 0 and no zone requirement: PASS without replicas. */
    topo_requirements req;
    topo_requirements_default(&req);
    req.min_replicas = 0;
    req.replica_other_zone = 0;
    evaluate(&t, &m, &req, &v);
    assert_true(v.passed);
    topo_verdict_free(&v);
    /* min 2 fails everywhere. */
    req.min_replicas = 2;
    evaluate(&t, &m, &req, &v);
    expect_failed(&v, "minReplicasPerPrimary", "primary valkey-0 has 1 healthy replica, needs 2");
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_uncovered_slots_and_state(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    t.nodes[0].ranges[0].end = 99; /* slots 100-5460 deleted */
    t.nodes[0].slot_count = 100;
    t.info.slots_assigned = t.info.slots_ok = 16384 - 5361;
    snprintf(t.info.state, sizeof t.info.state, "fail");
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "allSlotsCovered", "slots 100-5460 not assigned to any primary");
    expect_failed(&v, "allSlotsCovered", "CLUSTER INFO reports 11023 assigned");
    expect_failed(&v, "clusterStateOk", "cluster_state is fail");
    assert_true(find_check(&v, "replicaInDifferentZone")->passed);
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_failed_primary_owning_slots(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    t.nodes[2].flags |= TOPO_FLAG_FAIL;
    t.info.slots_fail = 5462;
    t.info.slots_ok = 16384 - 5462;
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "allSlotsCovered", "slots 10922-16383 served by primary valkey-2 (10.0.0.3:6379) which is flagged fail");
    expect_failed(&v, "nodesHealthy", "primary valkey-2 (10.0.0.3:6379) is flagged fail by the cluster");
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_nodes_disagreeing_on_slots(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    for (size_t i = 0; i < t.nnodes; i++) t.nodes[i].view_agrees = 1;
    evaluate(&t, &m, NULL, &v);
    assert_true(v.passed);
    assert_non_null(strstr(find_check(&v, "nodesAgree")->message, "6 nodes agree"));
    topo_verdict_free(&v);
    t.nodes[4].view_agrees = 0;
    snprintf(t.nodes[4].view_diff, sizeof t.nodes[4].view_diff, "sees 100 slots differently from the seed");
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "nodesAgree", "valkey-4 (10.0.0.5:6379) sees 100 slots differently from the seed");
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_mapping_and_zone_agreement(void **state) {
    (void)state;
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, GOOD);
    snprintf(t.nodes[3].host, sizeof t.nodes[3].host, "10.9.9.9"); /* no pod has this address */
    snprintf(t.nodes[1].zone, sizeof t.nodes[1].zone, "us-west-2c"); /* Valkey says c, Kubernetes b */
    snprintf(t.nodes[2].zone, sizeof t.nodes[2].zone, "us-west-2c"); /* agrees */
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "podsMapped", "no pod has the address of replica 10.9.9.9:6379");
    expect_failed(&v, "zonesAgree", "valkey-1 (10.0.0.2:6379) says availability-zone us-west-2c but runs in zone us-west-2b");
    /* The unmapped replica has no zone at all. */
    expect_failed(&v, "replicaInDifferentZone", "zone of replica 10.9.9.9:6379 is unknown");
    assert_string_equal(v.primaries[1].valkey_zone, "us-west-2c");
    topo_verdict_free(&v);
    topo_requirements req;
    topo_requirements_default(&req);
    req.require_mapping = 0;
    req.zones_agree = 0;
    snprintf(t.nodes[3].zone, sizeof t.nodes[3].zone, "us-west-2b"); /* Valkey's own zone fills in */
    evaluate(&t, &m, &req, &v);
    assert_null(find_check(&v, "podsMapped"));
    assert_null(find_check(&v, "zonesAgree"));
    assert_true(v.passed);
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_seed_failure_is_a_verdict(void **state) {
    (void)state;
    topology t;
    topology_init(&t, TOPO_CLUSTER);
    snprintf(t.seed, sizeof t.seed, "10.0.0.1:6379");
    snprintf(t.error, sizeof t.error, "authentication failed at 10.0.0.1:6379: WRONGPASS invalid username-password pair");
    topo_placement_map m = {0};
    topo_verdict v;
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "reachable", "authentication failed at 10.0.0.1:6379: WRONGPASS");
    char *report = render(&t, &v);
    assert_non_null(strstr(report, "VERIFY: FAIL — reachable: authentication failed at 10.0.0.1:6379"));
    topo_verdict_free(&v);
    free(report);
    /* An error that does not name the seed gets it prefixed. */
    snprintf(t.error, sizeof t.error, "out of memory");
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "reachable", "cannot inspect 10.0.0.1:6379: out of memory");
    report = render(&t, &v);
    free(report);
    json_t *j = topo_verdict_to_json(&v);
    assert_string_equal(json_string_value(json_object_get(j, "result")), "FAIL");
    json_decref(j);
    topo_verdict_free(&v);
    topology_free(&t);
}

static void test_replication_mode(void **state) {
    (void)state;
    topology t;
    topology_init(&t, TOPO_REPLICATION);
    snprintf(t.seed, sizeof t.seed, "valkey-primary:6379");
    topo_placement_map m = {0};
    const char *zones[4] = {"a", "a", "b", "c"};
    for (int k = 0; k < 4; k++) {
        topo_node *n = topology_add_node(&t);
        snprintf(n->host, sizeof n->host, "10.1.0.%d", k + 1);
        n->port = 6379;
        n->reachable = 1;
        n->is_primary = k == 0;
        n->primary = k == 0 ? -1 : 0;
        n->link_up = k == 0 ? -1 : 1;
        n->offset = k == 0 ? 500 : 480;
        snprintf(n->repl_state, sizeof n->repl_state, "%s", k == 0 ? "" : "online");
        char pod[16];
        snprintf(pod, sizeof pod, "valkey-%d", k);
        placement_map_add(&m, n->host, pod, "n", zones[k]);
    }
    topo_verdict v;
    evaluate(&t, &m, NULL, &v);
    assert_true(v.passed);
    assert_null(find_check(&v, "clusterStateOk"));
    assert_int_equal(v.nprimaries, 1);
    assert_int_equal(v.primaries[0].nreplicas, 3);
    assert_int_equal(v.primaries[0].replicas[0].cross_zone, 0);
    assert_int_equal(v.primaries[0].replicas[1].lag_bytes, 20);
    assert_non_null(strstr(v.summary, "every primary has a replica in another AZ"));
    char *report = render(&t, &v);
    assert_non_null(strstr(report, "=== replication info ===\nrole:master"));
    assert_non_null(strstr(report, "replica valkey-2 b cross-AZ ✓"));
    free(report);
    topo_verdict_free(&v);

    /* Both cross-zone replicas broken: one link down, one still syncing. */
    t.nodes[2].link_up = 0;
    snprintf(t.nodes[3].repl_state, sizeof t.nodes[3].repl_state, "wait_bgsave");
    evaluate(&t, &m, NULL, &v);
    expect_failed(&v, "nodesHealthy", "replica valkey-2 (10.1.0.3:6379): replication link down");
    expect_failed(&v, "nodesHealthy", "replica valkey-3 (10.1.0.4:6379): replication state wait_bgsave");
    expect_failed(&v, "replicaInDifferentZone", "primary valkey-0 has no replica in another zone: replica valkey-1 is also in a");
    assert_true(find_check(&v, "minReplicasPerPrimary")->passed);
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_json_status_shape(void **state) {
    (void)state;
    const char *zones[6] = {"a", "b", "c", "a", "c", "\xff\xfe"}; /* not UTF-8: still valid JSON */
    topology t;
    topo_placement_map m;
    topo_verdict v;
    make_cluster(&t, &m, zones);
    snprintf(t.nodes[0].zone, sizeof t.nodes[0].zone, "a");
    evaluate(&t, &m, NULL, &v);
    json_t *j = topo_verdict_to_json(&v);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "result")), "FAIL");
    assert_string_equal(json_string_value(json_object_get(j, "crossZonePairs")), "2/3");
    assert_int_equal(json_integer_value(json_object_get(j, "primaries")), 3);
    json_t *ci = json_object_get(j, "clusterInfo");
    assert_string_equal(json_string_value(json_object_get(ci, "state")), "ok");
    assert_int_equal(json_integer_value(json_object_get(ci, "slotsOk")), 16384);
    assert_int_equal(json_integer_value(json_object_get(ci, "knownNodes")), 6);
    json_t *checks = json_object_get(j, "checks");
    assert_int_equal(json_array_size(checks), v.nchecks);
    assert_true(json_is_boolean(json_object_get(json_array_get(checks, 0), "passed")));
    assert_true(strlen(json_string_value(json_object_get(j, "firstFailure"))) > 0);
    json_t *p0 = json_array_get(json_object_get(j, "topology"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "pod")), "valkey-0");
    assert_string_equal(json_string_value(json_object_get(p0, "valkeyZone")), "a");
    assert_int_equal(json_integer_value(json_object_get(p0, "slots")), 5461);
    json_t *r0 = json_array_get(json_object_get(p0, "replicas"), 0);
    assert_true(json_is_false(json_object_get(r0, "crossZone")));
    assert_true(json_is_true(json_object_get(r0, "linkUp")));
    assert_int_equal(json_integer_value(json_object_get(r0, "lagBytes")), 10);
    json_t *p2 = json_array_get(json_object_get(j, "topology"), 2);
    json_t *r2 = json_array_get(json_object_get(p2, "replicas"), 0);
    assert_string_equal(json_string_value(json_object_get(r2, "zone")), "??");
    char *dump = json_dumps(j, 0);
    assert_non_null(dump);
    free(dump);
    json_decref(j);
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&m);
}

static void test_placement_from_kube(void **state) {
    (void)state;
    json_error_t je;
    json_t *pods = json_loads(
        "{\"items\":["
        "{\"metadata\":{\"name\":\"valkey-0\"},\"spec\":{\"nodeName\":\"n-a\"},\"status\":{\"phase\":\"Running\","
        "\"podIP\":\"10.0.0.1\",\"podIPs\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"fd00::1\"}],"
        "\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"},{\"type\":\"Ready\",\"status\":\"True\"}]}},"
        "{\"metadata\":{\"name\":\"valkey-1\"},\"spec\":{\"nodeName\":\"n-b\"},\"status\":{\"phase\":\"Running\","
        "\"podIP\":\"10.0.0.2\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}]}},"
        "{\"metadata\":{\"name\":\"valkey-2\"},\"spec\":{\"nodeName\":\"n-c\"},\"status\":{\"phase\":\"Pending\"}},"
        "{\"metadata\":{\"name\":\"valkey-3\"},\"spec\":{\"nodeName\":\"n-unlabelled\"},\"status\":{\"podIP\":\"10.0.0.4\"}},"
        "7]}",
        0, &je);
    json_t *nodes = json_loads("[{\"metadata\":{\"name\":\"n-a\",\"labels\":{\"topology.kubernetes.io/zone\":\"za\","
                               "\"custom/zone\":\"ca\"}}},"
                               "{\"metadata\":{\"name\":\"n-b\",\"labels\":{\"topology.kubernetes.io/zone\":\"zb\"}}},"
                               "{\"metadata\":{\"name\":\"n-unlabelled\"}}]",
                               0, &je);
    assert_non_null(pods);
    assert_non_null(nodes);
    topo_placement_map m = {0};
    char err[128];
    assert_int_equal(placement_map_from_kube(&m, pods, nodes, NULL, err, sizeof err), 3);
    const topo_placement *p = placement_map_find(&m, "10.0.0.1", 6379);
    assert_non_null(p);
    assert_string_equal(p->pod, "valkey-0");
    assert_string_equal(p->node, "n-a");
    assert_string_equal(p->zone, "za");
    assert_string_equal(p->phase, "Running");
    assert_int_equal(p->ready, 1);
    assert_string_equal(placement_map_find(&m, "fd00::1", 6379)->pod, "valkey-0");
    assert_int_equal(placement_map_find(&m, "10.0.0.2", 1)->ready, 0);
    assert_string_equal(placement_map_find(&m, "10.0.0.4", 1)->zone, ""); /* node has no zone label */
    assert_int_equal(placement_map_find(&m, "10.0.0.4", 1)->ready, -1);
    placement_map_free(&m);
    assert_int_equal(placement_map_from_kube(&m, pods, nodes, "custom/zone", err, sizeof err), 3);
    assert_string_equal(placement_map_find(&m, "10.0.0.1", 1)->zone, "ca");
    placement_map_free(&m);
    json_t *bad = json_string("x");
    assert_int_equal(placement_map_from_kube(&m, bad, nodes, NULL, err, sizeof err), -1);
    assert_int_equal(placement_map_from_kube(&m, pods, bad, NULL, err, sizeof err), -1);
    json_decref(bad);
    json_decref(pods);
    json_decref(nodes);
    placement_map_free(&m);
}

static void test_check_status_with_unreachable_seed(void **state) {
    (void)state;
    topo_options o = {.host = "127.0.0.1", .port = 1, .mode = TOPO_CLUSTER, .timeout_ms = 500};
    topo_requirements req;
    topo_requirements_default(&req);
    json_t *pods = json_loads("{\"items\":[]}", 0, NULL), *nodes = json_loads("{\"items\":[]}", 0, NULL);
    int passed = 1;
    json_t *st = topo_check_status(&o, pods, nodes, NULL, &req, &passed);
    assert_non_null(st);
    assert_false(passed);
    assert_string_equal(json_string_value(json_object_get(st, "result")), "FAIL");
    const char *first = json_string_value(json_object_get(st, "firstFailure"));
    assert_string_equal(first, "no selected pod has an IP");
    json_t *checks = json_object_get(st, "checks");
    assert_int_equal(json_array_size(checks), 2);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(checks, 1), "message")),
                           "cannot connect to 127.0.0.1:1"));
    json_decref(st);
    json_decref(pods);
    json_decref(nodes);
}

static void test_placement_map(void **state) {
    (void)state;
    topo_placement_map m = {0};
    assert_int_equal(placement_map_add(&m, "10.0.0.1", "p", "n", "a"), 0);
    assert_int_equal(placement_map_add(&m, "10.0.0.1:7000", "q", NULL, "b"), 0);
    assert_int_equal(placement_map_add(&m, "10.0.0.1", "p2", "n", "c"), 0); /* replaces */
    assert_int_equal(placement_map_add(&m, "", "x", "x", "x"), -1);
    assert_int_equal(m.n, 2);
    assert_string_equal(placement_map_find(&m, "10.0.0.1", 7000)->pod, "q");
    assert_string_equal(placement_map_find(&m, "10.0.0.1", 6379)->zone, "c");
    assert_null(placement_map_find(&m, "10.0.0.2", 6379));
    assert_null(placement_map_find(&m, "", 6379));
    placement_map_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cross_zone_cluster_passes),
        cmocka_unit_test(test_same_zone_replica_fails_naming_it),
        cmocka_unit_test(test_unreachable_replica_fails),
        cmocka_unit_test(test_primary_without_replica_fails),
        cmocka_unit_test(test_uncovered_slots_and_state),
        cmocka_unit_test(test_failed_primary_owning_slots),
        cmocka_unit_test(test_nodes_disagreeing_on_slots),
        cmocka_unit_test(test_mapping_and_zone_agreement),
        cmocka_unit_test(test_seed_failure_is_a_verdict),
        cmocka_unit_test(test_replication_mode),
        cmocka_unit_test(test_json_status_shape),
        cmocka_unit_test(test_placement_map),
        cmocka_unit_test(test_placement_from_kube),
        cmocka_unit_test(test_check_status_with_unreachable_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
