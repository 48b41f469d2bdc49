/* topology/placement: the address -> (pod, node, zone) map of check.h, by hand or from
 * Kubernetes Pods and Nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topology/check.h"

int placement_map_add(topo_placement_map *m, const char *addr, const char *pod, const char *node, const char *zone) {
    if (!addr || !*addr || strlen(addr) >= sizeof m->items[0].addr) return -1;
    topo_placement *p = NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].addr, addr) == 0) p = &m->items[i];
    if (!p) {
        if (m->n == m->cap) {
            size_t cap = m->cap ? m->cap * 2 : 8;
            topo_placement *items = realloc(m->items, cap * sizeof *items);
            if (!items) return -1;
            m->items = items;
            m->cap = cap;
        }
        p = &m->items[m->n++];
    }
    memset(p, 0, sizeof *p);
    p->ready = -1;
    snprintf(p->addr, sizeof p->addr, "%s", addr);
    snprintf(p->pod, sizeof p->pod, "%s", pod ? pod : "");
    snprintf(p->node, sizeof p->node, "%s", node ? node : "");
    snprintf(p->zone, sizeof p->zone, "%s", zone ? zone : "");
    return 0;
}

const topo_placement *placement_map_find(const topo_placement_map *m, const char *host, int port) {
    if (!m || !host || !*host) return NULL;
    char hp[TOPO_HOST_MAX + 8];
    snprintf(hp, sizeof hp, "%s:%d", host, port);
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].addr, hp) == 0) return &m->items[i];
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->items[i].addr, host) == 0) return &m->items[i];
    return NULL;
}

void placement_map_free(topo_placement_map *m) {
    free(m->items);
    memset(m, 0, sizeof *m);
}

static const json_t *items_of(const json_t *list) {
    if (json_is_array(list)) return list;
    const json_t *items = json_object_get(list, "items");
    return json_is_array(items) ? items : NULL;
}

static const char *str_at(const json_t *o, const char *a, const char *b) {
    const json_t *v = json_object_get(json_object_get(o, a), b);
    return json_is_string(v) ? json_string_value(v) : "";
}

static const char *zone_of_node(const json_t *nodes, const char *name, const char *label) {
    size_t i;
    const json_t *n;
    if (!*name) return "";
    json_array_foreach(nodes, i, n) {
        if (strcmp(str_at(n, "metadata", "name"), name) != 0) continue;
        const json_t *z = json_object_get(json_object_get(json_object_get(n, "metadata"), "labels"), label);
        return json_is_string(z) ? json_string_value(z) : "";
    }
    return "";
}

static int pod_ready(const json_t *pod) {
    const json_t *conds = json_object_get(json_object_get(pod, "status"), "conditions");
    size_t i;
    const json_t *c;
    json_array_foreach(conds, i, c) {
        const json_t *type = json_object_get(c, "type"), *status = json_object_get(c, "status");
        if (json_is_string(type) && strcmp(json_string_value(type), "Ready") == 0)
            return json_is_string(status) && strcmp(json_string_value(status), "True") == 0;
    }
    return -1;
}

static int add_pod_ip(topo_placement_map *m, const char *ip, const json_t *pod, const char *node, const char *zone) {
    if (!*ip) return 0;
    if (placement_map_add(m, ip, str_at(pod, "metadata", "name"), node, zone)) return -1;
    topo_placement *p = (topo_placement *)placement_map_find(m, ip, 0);
    if (p) {
        snprintf(p->phase, sizeof p->phase, "%s", str_at(pod, "status", "phase"));
        p->ready = pod_ready(pod);
    }
    return 1;
}

int placement_map_from_kube(topo_placement_map *m, const json_t *pods, const json_t *nodes, const char *zone_label,
                            char *err, size_t errlen) {
    const json_t *pod_items = items_of(pods), *node_items = items_of(nodes);
    if (!pod_items || !node_items) {
        if (err && errlen) snprintf(err, errlen, "expected lists of Pods and Nodes");
        return -1;
    }
    if (!zone_label || !*zone_label) zone_label = "topology.kubernetes.io/zone";
    int mapped = 0;
    size_t i;
    const json_t *pod;
    json_array_foreach(pod_items, i, pod) {
        if (!json_is_object(pod)) continue;
        const char *node = str_at(pod, "spec", "nodeName");
        const char *zone = zone_of_node(node_items, node, zone_label);
        int any = add_pod_ip(m, str_at(pod, "status", "podIP"), pod, node, zone);
        const json_t *ips = json_object_get(json_object_get(pod, "status"), "podIPs");
        size_t k;
        const json_t *ipo;
        json_array_foreach(ips, k, ipo) {
            const json_t *ipv = json_object_get(ipo, "ip");
            int r = json_is_string(ipv) ? add_pod_ip(m, json_string_value(ipv), pod, node, zone) : 0;
            if (r < 0) any = -1;
            else if (r > 0 && any == 0) any = 1;
        }
        if (any < 0) {
            if (err && errlen) snprintf(err, errlen, "out of memory or bad pod address");
            return -1;
        }
        mapped += any > 0;
    }
    return mapped;
}
