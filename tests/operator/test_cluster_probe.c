/* Unit tests for operator/cluster_probe's verdict (cluster_probe_judge) on topologies
 * parsed from CLUSTER NODES text the way topology_inspect reads them; the probe against
 * real servers is it_cluster_probe.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../topology/cluster_nodes_sample.h"
#include "operator/cluster_probe.h"

#define HEALTHY CLUSTER_NODES_SAMPLE

/* Slots 0-99 unassigned; migration markers are not ownership. */
static const char HOLE[] =
    "a7d13c40 127.0.0.10:22734@32734 myself,master - 0 0 1 connected 100-5460 [5460->-3f48d789]\n"
    "3f48d789 127.0.0.11:22735@32735 master - 0 0 2 connected 5461-10921 [99-<-a7d13c40]\n"
    "c0300d45 127.0.0.12:22736@32736 master - 0 0 3 connected 10922-16383\n";

/* Two primaries both claiming 8000-8191 (a seed mid-failover), one serving nothing. */
static const char OVERLAP[] = "a 10.0.0.1:6379@16379 myself,master - 0 0 1 connected 0-8191\n"
                              "b 10.0.0.2:6379@16379 master - 0 0 2 connected 8000-16383\n"
                              "c 10.0.0.3:6379@16379 master - 0 0 3 connected\n";

/* What inspection found at one node, unlike the default (reachable, agrees). */
typedef struct finding {
    const char *host;
    int reachable, view_agrees;
    const char *error;
} finding;

typedef struct probe_case {
    const char *nodes;
    finding found[3];
    unsigned covered;
    bool agree;
    const char *message;
} probe_case;

static const probe_case CASES[] = {
    {HEALTHY, {{0}}, 16384, true, "all 16384 slots covered, nodes agree"},
    /* the first problem in address order is named */
    {HEALTHY,
     {{"127.0.0.14", 0, -1, "cannot connect to 127.0.0.14:22738: Connection refused"}, {"127.0.0.12", 0, -1, NULL}},
     16384, false, "all 16384 slots covered, but cannot ask node 127.0.0.12:22736 (not inspected)"},
    {HEALTHY, {{"127.0.0.14", 0, -1, "cannot connect to 127.0.0.14:22738: Connection refused"}}, 16384, false,
     "all 16384 slots covered, but cannot ask node 127.0.0.14:22738 (cannot connect to 127.0.0.14:22738: Connection "
     "refused)"},
    {HEALTHY, {{"127.0.0.15", 1, 0, NULL}, {"127.0.0.13", 1, 0, NULL}}, 16384, false,
     "all 16384 slots covered, but node 127.0.0.13:22737 disagrees about slots"},
    /* reachable, but its CLUSTER NODES could not be read or compared */
    {HEALTHY, {{"127.0.0.15", 1, -1, NULL}}, 16384, false,
     "all 16384 slots covered, but node 127.0.0.15:22739 disagrees about slots"},
    {HOLE, {{0}}, 16284, true, "16284 of 16384 slots covered"},
    {HOLE, {{"127.0.0.11", 1, 0, NULL}}, 16284, false,
     "16284 of 16384 slots covered; node 127.0.0.11:22735 disagrees about slots"},
    {OVERLAP, {{0}}, 16384, true, "all 16384 slots covered, nodes agree"},
};

/* c->nodes parsed and sorted as topology_inspect leaves them, with c->found applied. */
static void load(const probe_case *c, probe_result *p) {
    memset(p, 0, sizeof *p);
    topology_init(&p->topo, TOPO_CLUSTER);
    char err[128];
    assert_int_equal(topo_parse_cluster_nodes(c->nodes, strlen(c->nodes), &p->topo, NULL, err, sizeof err), 0);
    topology_sort(&p->topo);
    for (size_t i = 0; i < p->topo.nnodes; i++) {
        topo_node *n = &p->topo.nodes[i];
        n->reachable = 1;
        n->view_agrees = 1;
        for (size_t k = 0; k < sizeof c->found / sizeof c->found[0]; k++) {
            const finding *f = &c->found[k];
            if (!f->host || strcmp(f->host, n->host) != 0) continue;
            n->reachable = f->reachable;
            n->view_agrees = f->view_agrees;
            if (f->error) snprintf(n->error, sizeof n->error, "%s", f->error);
        }
    }
}

static void test_verdicts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const probe_case *c = &CASES[i];
        probe_result p;
        load(c, &p);
        cluster_probe_judge(&p);
        if (p.slots_covered != c->covered || p.nodes_agree != c->agree || strcmp(p.message, c->message) != 0)
            fail_msg("case %zu: covered %u agree %d message \"%s\"; wanted %u %d \"%s\"", i, p.slots_covered,
                     p.nodes_agree, p.message, c->covered, c->agree, c->message);
        assert_int_equal(p.all_slots_covered, c->covered == 16384);
        cluster_probe_free(&p);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
