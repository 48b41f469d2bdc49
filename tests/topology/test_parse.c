/* Unit tests for topology's parsers: CLUSTER INFO, CLUSTER NODES, INFO replication/server
 * and the CLUSTER SHARDS reply, on real server output and on malformed variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/topology.h"
#include "cluster_nodes_sample.h"

#define NODES CLUSTER_NODES_SAMPLE

static void test_cluster_info(void **state) {
    (void)state;
    const char text[] = "cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16380\r\n"
                        "cluster_slots_pfail:4\r\ncluster_slots_fail:0\r\ncluster_known_nodes:6\r\ncluster_size:3\r\n"
                        "cluster_current_epoch:6\r\n";
    topo_cluster_info ci;
    char err[128];
    assert_int_equal(topo_parse_cluster_info(text, strlen(text), &ci, err, sizeof err), 0);
    assert_true(ci.valid);
    assert_string_equal(ci.state, "ok");
    assert_int_equal(ci.slots_assigned, 16384);
    assert_int_equal(ci.slots_ok, 16380);
    assert_int_equal(ci.slots_pfail, 4);
    assert_int_equal(ci.known_nodes, 6);
    assert_int_equal(ci.size, 3);
    const char bad[] = "cluster_slots_ok:16384\r\ncluster_size:x\r\n";
    assert_int_equal(topo_parse_cluster_info(bad, strlen(bad), &ci, err, sizeof err), -1);
    assert_false(ci.valid);
    assert_int_equal(topo_parse_cluster_info("", 0, &ci, err, sizeof err), -1);
}

static void test_cluster_nodes_real_output(void **state) {
    (void)state;
    topology t;
    topology_init(&t, TOPO_CLUSTER);
    size_t skipped = 99;
    char err[128];
    assert_int_equal(topo_parse_cluster_nodes(NODES, strlen(NODES), &t, &skipped, err, sizeof err), 0);
    assert_int_equal(skipped, 0);
    assert_int_equal(t.nnodes, 6);
    int p0 = topology_find_id(&t, "a7d13c40"), r0 = topology_find_id(&t, "e611eb46");
    assert_true(p0 >= 0 && r0 >= 0);
    assert_true(t.nodes[p0].is_primary);
    assert_true(t.nodes[p0].flags & TOPO_FLAG_MYSELF);
    assert_string_equal(t.nodes[p0].host, "127.0.0.10");
    assert_int_equal(t.nodes[p0].port, 22734);
    assert_int_equal(t.nodes[p0].slot_count, 5461);
    assert_int_equal(t.nodes[p0].bus_connected, 1);
    assert_false(t.nodes[r0].is_primary);
    assert_int_equal(t.nodes[r0].primary, p0);
    assert_int_equal(t.nodes[r0].slot_count, 0);
    unsigned total = 0;
    for (size_t i = 0; i < t.nnodes; i++) total += t.nodes[i].slot_count;
    assert_int_equal(total, 16384);
    assert_int_equal(topology_find_addr(&t, "127.0.0.15", 22739), topology_find_id(&t, "4cfd75b1"));
    /* Sorted by address, links follow the nodes. */
    topology_sort(&t);
    for (size_t i = 0; i < t.nnodes; i++) {
        char want[16];
        snprintf(want, sizeof want, "127.0.0.%zu", 10 + i);
        assert_string_equal(t.nodes[i].host, want);
    }
    assert_int_equal(t.nodes[3].primary, 0); /* e611eb46 (127.0.0.13) follows a7d13c40 (127.0.0.10) */
    assert_int_equal(t.nodes[5].primary, 2);
    topology_free(&t);
}

static void test_cluster_nodes_flags_and_shapes(void **state) {
    (void)state;
    const char text[] =
        /* fail and pfail, several ranges, a single slot and migration markers */
        "p1 10.0.0.1:7000@17000 master,fail - 0 0 1 disconnected 0-99 200 300-400 [401->-p2] [402-<-p2]\n"
        "p2 10.0.0.2:7000@17000,valkey-1.example master,fail? - 0 0 2 connected 101-199\n"
        /* IPv6 address, nofailover */
        "r1 2001:db8::7:7001@17001 slave,nofailover p1 0 0 1 connected\n"
        /* handshake with no address, replica of an unknown primary */
        "h1 :0@0 slave,handshake,noaddr zz 0 0 0 disconnected\n"
        /* malformed: too few fields, bad port, two roles, slot out of range, reversed
         * range, replica holding slots, duplicate id, id too long */
        "x1 10.0.0.9:7000@17000 master - 0 0\n"
        "x2 10.0.0.9:99999@17000 master - 0 0 1 connected\n"
        "x3 10.0.0.9:7000@17000 master,slave - 0 0 1 connected\n"
        "x4 10.0.0.9:7000@17000 master - 0 0 1 connected 16384\n"
        "x5 10.0.0.9:7000@17000 master - 0 0 1 connected 9-3\n"
        "x6 10.0.0.9:7000@17000 slave p1 0 0 1 connected 5\n"
        "p1 10.0.0.9:7000@17000 master - 0 0 1 connected\n"
        "0123456789012345678901234567890123456789012345678901 10.0.0.9:7000@17000 master - 0 0 1 connected\n"
        "x7 10.0.0.9:7000@17000 master - 0 0 1 connected 0-16383 0-16383\n"
        "\n";
    topology t;
    topology_init(&t, TOPO_CLUSTER);
    size_t skipped = 0;
    char err[128];
    assert_int_equal(topo_parse_cluster_nodes(text, strlen(text), &t, &skipped, err, sizeof err), 0);
    assert_int_equal(t.nnodes, 4);
    assert_int_equal(skipped, 9);
    const topo_node *p1 = &t.nodes[topology_find_id(&t, "p1")];
    assert_true(p1->flags & TOPO_FLAG_FAIL);
    assert_int_equal(p1->bus_connected, 0);
    assert_int_equal(p1->nranges, 3);
    assert_int_equal(p1->slot_count, 100 + 1 + 101);
    const topo_node *p2 = &t.nodes[topology_find_id(&t, "p2")];
    assert_true(p2->flags & TOPO_FLAG_PFAIL);
    assert_string_equal(p2->host, "10.0.0.2");
    const topo_node *r1 = &t.nodes[topology_find_id(&t, "r1")];
    assert_string_equal(r1->host, "2001:db8::7");
    assert_int_equal(r1->port, 7001);
    assert_true(r1->flags & TOPO_FLAG_NOFAILOVER);
    assert_int_equal(r1->primary, topology_find_id(&t, "p1"));
    const topo_node *h1 = &t.nodes[topology_find_id(&t, "h1")];
    assert_true(h1->flags & TOPO_FLAG_HANDSHAKE);
    assert_true(h1->flags & TOPO_FLAG_NOADDR);
    assert_string_equal(h1->host, "");
    assert_int_equal(h1->primary, -1);
    topology_free(&t);

    topology_init(&t, TOPO_CLUSTER);
    assert_int_equal(topo_parse_cluster_nodes("garbage\n", 8, &t, NULL, err, sizeof err), -1);
    assert_int_equal(t.nnodes, 0);
    topology_free(&t);
}

static void test_info_replication_primary(void **state) {
    (void)state;
    const char text[] = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n"
                        "slave0:ip=10.0.0.13,port=6379,state=online,offset=1234,lag=0\r\n"
                        "slave1:ip=10.0.0.14,port=6380,state=wait_bgsave,offset=0,lag=7\r\n"
                        "slave2:ip=10.0.0.15\r\n" /* no port: ignored */
                        "slaveX:ip=1.2.3.4,port=1\r\n"
                        "master_failover_state:no-failover\r\nmaster_repl_offset:1300\r\n";
    topo_replication_info ri;
    char err[128];
    assert_int_equal(topo_parse_replication_info(text, strlen(text), &ri, err, sizeof err), 0);
    assert_true(ri.is_primary);
    assert_int_equal(ri.connected_replicas, 2);
    assert_int_equal(ri.nreplicas, 2);
    assert_string_equal(ri.replicas[0].host, "10.0.0.13");
    assert_int_equal(ri.replicas[0].port, 6379);
    assert_string_equal(ri.replicas[0].state, "online");
    assert_int_equal(ri.replicas[0].offset, 1234);
    assert_int_equal(ri.replicas[1].lag_s, 7);
    assert_string_equal(ri.replicas[1].state, "wait_bgsave");
    assert_int_equal(ri.offset, 1300);
    assert_int_equal(ri.master_link_up, -1);
}

static void test_info_replication_replica_and_zone(void **state) {
    (void)state;
    const char text[] = "# Replication\r\nrole:slave\r\nmaster_host:10.0.0.10\r\nmaster_port:6379\r\n"
                        "master_link_status:down\r\nslave_read_repl_offset:90\r\nslave_repl_offset:88\r\n"
                        "master_repl_offset:88\r\n# Server\r\navailability_zone:us-west-2b\r\n";
    topo_replication_info ri;
    char err[128];
    assert_int_equal(topo_parse_replication_info(text, strlen(text), &ri, err, sizeof err), 0);
    assert_false(ri.is_primary);
    assert_string_equal(ri.master_host, "10.0.0.10");
    assert_int_equal(ri.master_port, 6379);
    assert_int_equal(ri.master_link_up, 0);
    assert_int_equal(ri.offset, 88);
    assert_string_equal(ri.zone, "us-west-2b");
    const char noroles[] = "# Server\r\nredis_version:7.0.15\r\n";
    assert_int_equal(topo_parse_replication_info(noroles, strlen(noroles), &ri, err, sizeof err), -1);
    assert_true(strlen(err) > 0);
}

/* RESP2 bytes -> reply through hiredis' own reader, as the network would give it. */
static redisReply *resp(const char *bytes) {
    redisReader *r = redisReaderCreate();
    void *reply = NULL;
    assert_int_equal(redisReaderFeed(r, bytes, strlen(bytes)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(r, &reply), REDIS_OK);
    redisReaderFree(r);
    assert_non_null(reply);
    return reply;
}

static void test_cluster_shards_merge(void **state) {
    (void)state;
    topology t;
    topology_init(&t, TOPO_CLUSTER);
    char err[128];
    const char nodes[] = "aa 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-16383\n";
    assert_int_equal(topo_parse_cluster_nodes(nodes, strlen(nodes), &t, NULL, err, sizeof err), 0);
    /* One shard: slots [0,16383], primary aa (known) in us-east-1a, replica bb (unknown to
     * CLUSTER NODES) in us-east-1b. */
    redisReply *r = resp("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*2\r\n"
                         "*10\r\n$2\r\nid\r\n$2\r\naa\r\n$4\r\nport\r\n:7000\r\n$2\r\nip\r\n$8\r\n10.0.0.1\r\n"
                         "$4\r\nrole\r\n$6\r\nmaster\r\n$17\r\navailability-zone\r\n$10\r\nus-east-1a\r\n"
                         "*12\r\n$2\r\nid\r\n$2\r\nbb\r\n$4\r\nport\r\n:7001\r\n$2\r\nip\r\n$8\r\n10.0.0.2\r\n"
                         "$4\r\nrole\r\n$7\r\nreplica\r\n$6\r\nhealth\r\n$7\r\nloading\r\n"
                         "$18\r\nreplication-offset\r\n:42\r\n");
    assert_int_equal(topo_merge_cluster_shards(r, &t, err, sizeof err), 0);
    freeReplyObject(r);
    assert_int_equal(t.nnodes, 2);
    int aa = topology_find_id(&t, "aa"), bb = topology_find_id(&t, "bb");
    assert_string_equal(t.nodes[aa].zone, "us-east-1a");
    assert_int_equal(t.nodes[aa].slot_count, 16384); /* not doubled by the shard's slots */
    assert_string_equal(t.nodes[bb].health, "loading");
    assert_int_equal(t.nodes[bb].offset, 42);
    assert_int_equal(t.nodes[bb].primary, aa);
    assert_string_equal(t.nodes[bb].host, "10.0.0.2");

    /* Wrong shapes are refused, not crashed on. */
    const char *bad[] = {
        ":1\r\n",
        "*1\r\n:1\r\n",
        "*1\r\n*2\r\n$5\r\nnodes\r\n:3\r\n",
        "*1\r\n*2\r\n$5\r\nnodes\r\n*1\r\n*2\r\n$2\r\nid\r\n:5\r\n",
        ("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:9\r\n:3\r\n$5\r\nnodes\r\n*1\r\n*8\r\n$2\r\nid\r\n$2\r\ncc\r\n"
         "$2\r\nip\r\n$1\r\nx\r\n$4\r\nport\r\n:1\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = resp(bad[i]);
        assert_int_equal(topo_merge_cluster_shards(r, &t, err, sizeof err), -1);
        freeReplyObject(r);
    }
    assert_int_equal(topo_merge_cluster_shards(NULL, &t, err, sizeof err), -1);
    topology_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_info),
        cmocka_unit_test(test_cluster_nodes_real_output),
        cmocka_unit_test(test_cluster_nodes_flags_and_shapes),
        cmocka_unit_test(test_info_replication_primary),
        cmocka_unit_test(test_info_replication_replica_and_zone),
        cmocka_unit_test(test_cluster_shards_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
