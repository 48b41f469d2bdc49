/* valkey-bench verify: the standalone ValkeyTopologyCheck. Inspects a cluster or a
 * primary with its replicas, prints the verify-cluster.sh style report (or the status
 * JSON with --json) and exits 0 only on PASS, 1 on FAIL, 2 on a usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "topology/check.h"
#include "topology/topology.h"

typedef struct {
    topo_options topo;
    topo_requirements req;
    topo_placement_map zones;
    int json;
    char password[1024];
} verify_args;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: valkey-bench verify [flags]\n\n"
            "Checks that a Valkey deployment is healthy and that every primary has a replica in\n"
            "another availability zone, printing the verify-cluster.sh report. Exit 0 on PASS,\n"
            "1 on FAIL (including unreachable nodes and refused authentication), 2 on usage errors.\n\n"
            "Flags:\n"
            "  -h, --host HOST          a node to start from: any node (cluster) or the primary\n"
            "                           (replication)                      [default 127.0.0.1]\n"
            "  -p, --port PORT          its port                           [default 6379]\n"
            "      --mode MODE          cluster | replication              [default cluster]\n"
            "      --cluster            alias for --mode cluster\n"
            "      --zone ADDR=ZONE     zone of the node at ADDR (ip, or ip:port); repeatable.\n"
            "                           When given, every node must be listed. Without it, zones\n"
            "                           come from Valkey's own availability-zone setting.\n"
            "      --user USER          ACL user for AUTH                  [default: none]\n"
            "      --password-file F    file holding the password (first line)\n"
            "                           [default: $VALKEY_PASSWORD when set, else no AUTH]\n"
            "  -a PASSWORD              the password (visible in the process list: avoid)\n"
            "      --min-replicas N     healthy replicas each primary needs (0-10) [default 1]\n"
            "      --no-cross-zone      do not require a replica in another zone [default: required]\n"
            "      --no-zone-agreement  do not fail when Valkey's availability-zone differs from\n"
            "                           the --zone map [default: fail]\n"
            "      --timeout MS         connect and command timeout per node [default 2000]\n"
            "      --json               print the check's status JSON instead of the report\n"
            "      --help               this help\n");
}

static int bad_usage(const char *msg, const char *arg) {
    fprintf(stderr, "valkey-bench verify: %s%s%s (see 'valkey-bench verify --help')\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 2;
}

static int parse_int(const char *s, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

static int read_password_file(const char *path, char *buf, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (!fgets(buf, (int)cap, f)) buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int add_zone(verify_args *a, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) return -1;
    char addr[TOPO_HOST_MAX + 8];
    size_t n = (size_t)(eq - spec);
    if (n >= sizeof addr) return -1;
    memcpy(addr, spec, n);
    addr[n] = '\0';
    if (strlen(eq + 1) >= TOPO_ZONE_MAX) return -1;
    return placement_map_add(&a->zones, addr, NULL, NULL, eq + 1);
}

enum { OPT_MODE = 256, OPT_CLUSTER, OPT_ZONE, OPT_USER, OPT_PWFILE, OPT_MINREP, OPT_NOCROSS, OPT_NOAGREE, OPT_TIMEOUT,
       OPT_JSON, OPT_HELP };

static int parse_args(int argc, char **argv, verify_args *a) {
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'h'},        {"port", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, OPT_MODE},   {"cluster", no_argument, NULL, OPT_CLUSTER},
        {"zone", required_argument, NULL, OPT_ZONE},   {"user", required_argument, NULL, OPT_USER},
        {"password-file", required_argument, NULL, OPT_PWFILE},
        {"min-replicas", required_argument, NULL, OPT_MINREP},
        {"no-cross-zone", no_argument, NULL, OPT_NOCROSS},
        {"no-zone-agreement", no_argument, NULL, OPT_NOAGREE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},         {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *pwfile = NULL, *pw_flag = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h:p:a:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': a->topo.host = optarg; break;
        case 'p':
            if (parse_int(optarg, 1, 65535, &a->topo.port)) return bad_usage("bad port", optarg);
            break;
        case 'a': pw_flag = optarg; break;
        case OPT_MODE:
            if (strcmp(optarg, "cluster") == 0) a->topo.mode = TOPO_CLUSTER;
            else if (strcmp(optarg, "replication") == 0) a->topo.mode = TOPO_REPLICATION;
            else return bad_usage("--mode must be cluster or replication", optarg);
            break;
        case OPT_CLUSTER: a->topo.mode = TOPO_CLUSTER; break;
        case OPT_ZONE:
            if (add_zone(a, optarg)) return bad_usage("--zone wants ADDR=ZONE", optarg);
            break;
        case OPT_USER: a->topo.user = optarg; break;
        case OPT_PWFILE: pwfile = optarg; break;
        case OPT_MINREP:
            if (parse_int(optarg, 0, 10, &a->req.min_replicas)) return bad_usage("--min-replicas must be 0-10", optarg);
            break;
        case OPT_NOCROSS: a->req.replica_other_zone = 0; break;
        case OPT_NOAGREE: a->req.zones_agree = 0; break;
        case OPT_TIMEOUT:
            if (parse_int(optarg, 1, 600000, &a->topo.timeout_ms)) return bad_usage("--timeout must be 1-600000 ms", optarg);
            break;
        case OPT_JSON: a->json = 1; break;
        case OPT_HELP: usage(stdout); return 0;
        case ':': return bad_usage("missing value for", argv[optind - 1]);
        default: return bad_usage("unknown flag", argv[optind - 1]);
        }
    }
    if (optind < argc) return bad_usage("unexpected argument", argv[optind]);
    if (pwfile) {
        if (read_password_file(pwfile, a->password, sizeof a->password))
            return bad_usage("cannot read --password-file", pwfile);
        a->topo.password = a->password;
    } else if (pw_flag) {
        fprintf(stderr, "valkey-bench verify: warning: -a puts the password in the process list; "
                        "prefer --password-file or VALKEY_PASSWORD\n");
        a->topo.password = pw_flag;
    } else if (getenv("VALKEY_PASSWORD") && *getenv("VALKEY_PASSWORD")) {
        a->topo.password = getenv("VALKEY_PASSWORD");
    }
    a->req.require_mapping = a->zones.n > 0;
    return -1; /* go on */
}

int cmd_verify(int argc, char **argv) {
    verify_args a;
    memset(&a, 0, sizeof a);
    a.topo.host = "127.0.0.1";
    a.topo.port = 6379;
    a.topo.mode = TOPO_CLUSTER;
    topo_requirements_default(&a.req);
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        placement_map_free(&a.zones);
        return rc;
    }

    topology t;
    char err[TOPO_ERR_MAX];
    topology_inspect(&a.topo, &t, err, sizeof err); /* a failed seed is part of the verdict */
    topo_verdict v;
    if (topo_evaluate(&t, &a.zones, &a.req, &v)) {
        fprintf(stderr, "valkey-bench verify: out of memory\n");
        topology_free(&t);
        placement_map_free(&a.zones);
        return 1;
    }
    if (a.json) {
        json_t *j = topo_verdict_to_json(&v);
        char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
        if (s) printf("%s\n", s);
        free(s);
        json_decref(j);
    } else {
        topo_render_report(stdout, &t, &v);
    }
    fflush(stdout);
    rc = v.passed ? 0 : 1;
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&a.zones);
    memset(a.password, 0, sizeof a.password);
    return rc;
}
