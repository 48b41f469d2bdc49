/* CLUSTER NODES of a 3+3 cluster, shared by the unit tests of its parsers (test_parse.c)
 * and of the operator's post-run probe (tests/operator/test_cluster_probe.c). */
#ifndef VB_TESTS_CLUSTER_NODES_SAMPLE_H
#define VB_TESTS_CLUSTER_NODES_SAMPLE_H

/* Captured from a redis-server 7.0 cluster built by tests/harness (ids shortened); nodes
 * come in hash order, as servers list them. Node 127.0.0.1k listens on 22734+k. */
static const char CLUSTER_NODES_SAMPLE[] =
    "90fdcc3e 127.0.0.14:22738@32738 slave 3f48d789 0 1795568839085 2 connected\n"
    "e611eb46 127.0.0.13:22737@32737 slave a7d13c40 0 1795568839085 1 connected\n"
    "a7d13c40 127.0.0.10:22734@32734 myself,master - 0 1795568839000 1 connected 0-5460\n"
    "c0300d45 127.0.0.12:22736@32736 master - 0 1795568838884 3 connected 10922-16383\n"
    "4cfd75b1 127.0.0.15:22739@32739 slave c0300d45 0 1795568839085 3 connected\n"
    "3f48d789 127.0.0.11:22735@32735 master - 0 1795568839589 2 connected 5461-10921\n";

#endif
