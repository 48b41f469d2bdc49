/* valkey-bench verify: the standalone ValkeyTopologyCheck. Inspects a cluster or a
 * primary with its replicas, prints the verify-cluster.sh style report (or the status
 * JSON with --json) and exits 0 only on PASS, 1 on FAIL, 2 on a usage error. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "kube/client.h"
#include "kube/config.h"
#include "topology/check.h"
#include "topology/topology.h"

typedef struct {
    topo_options topo;
    topo_requirements req;
    topo_placement_map zones;
    int json;
    int host_given;
    char password[1024];
    char user[256];
    char seed[TOPO_HOST_MAX + 8];
    /* the Kubernetes form: pods by selector, their nodes' zones, the auth Secret */
    const char *kubeconfig, *context, *ns, *selector, *zone_label, *secret, *secret_key, *secret_user_key;
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
            "      --help               this help\n"
            "\nKubernetes form (node addresses mapped to Pods, their Nodes and zones):\n"
            "  -l, --selector SEL       label selector of the Valkey pods (enables this form)\n"
            "  -n, --namespace NS       their namespace        [default: the kubeconfig context's]\n"
            "      --kubeconfig F       kubeconfig file [default: $KUBECONFIG, ~/.kube/config, in-cluster]\n"
            "      --context C          kubeconfig context     [default: current-context]\n"
            "      --zone-label L       Node label holding the zone [default topology.kubernetes.io/zone]\n"
            "      --secret NAME        Secret holding the password (instead of a password flag)\n"
            "      --secret-key KEY     its key for the password [default password]\n"
            "      --secret-user-key K  its key for the ACL user [default: none]\n"
            "                           Without -h, the first ready pod is the seed.\n"
);
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
       OPT_JSON, OPT_HELP, OPT_KUBECONFIG, OPT_CONTEXT, OPT_ZONE_LABEL, OPT_SECRET, OPT_SECRET_KEY, OPT_SECRET_USER_KEY };

/* Cross-flag rules and where the password comes from; -1 means "go on". */
static int finish_args(verify_args *a, const char *pwfile, const char *pw_flag) {
    if (!a->selector && (a->kubeconfig || a->context || a->ns || a->zone_label || a->secret))
        return bad_usage("the Kubernetes flags need --selector", NULL);
    if (a->selector && a->zones.n) return bad_usage("--zone and --selector exclude each other", NULL);
    if (a->secret && (pwfile || pw_flag)) return bad_usage("--secret and a password flag exclude each other", NULL);
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
    a->req.require_mapping = a->zones.n > 0 || a->selector;
    return -1; /* go on */
}

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
        {"selector", required_argument, NULL, 'l'},    {"namespace", required_argument, NULL, 'n'},
        {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"zone-label", required_argument, NULL, OPT_ZONE_LABEL},
        {"secret", required_argument, NULL, OPT_SECRET},
        {"secret-key", required_argument, NULL, OPT_SECRET_KEY},
        {"secret-user-key", required_argument, NULL, OPT_SECRET_USER_KEY},
        {NULL, 0, NULL, 0},
    };
    const char *pwfile = NULL, *pw_flag = NULL;
    optind = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h:p:a:l:n:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            a->topo.host = optarg;
            a->host_given = 1;
            break;
        case 'l': a->selector = optarg; break;
        case 'n': a->ns = optarg; break;
        case OPT_KUBECONFIG: a->kubeconfig = optarg; break;
        case OPT_CONTEXT: a->context = optarg; break;
        case OPT_ZONE_LABEL: a->zone_label = optarg; break;
        case OPT_SECRET: a->secret = optarg; break;
        case OPT_SECRET_KEY: a->secret_key = optarg; break;
        case OPT_SECRET_USER_KEY: a->secret_user_key = optarg; break;
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
    return finish_args(a, pwfile, pw_flag);
}

/* Messages are bounded lines; truncation is fine, so format through va_list. */
__attribute__((format(printf, 3, 4))) static void errf(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int b64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Secret data is standard base64 with padding. -1 on anything else or overflow. */
static int b64_decode(const char *s, char *out, size_t cap) {
    size_t o = 0;
    unsigned acc = 0, bits = 0;
    for (; *s && *s != '='; s++) {
        int v = b64_value((unsigned char)*s);
        if (v < 0) return -1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o + 1 >= cap) return -1;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    out[o] = '\0';
    return memchr(out, '\0', o) ? -1 : 0;
}

static int secret_value(const json_t *secret, const char *key, char *out, size_t cap, char *err, size_t errlen) {
    const json_t *v = json_object_get(json_object_get(secret, "data"), key);
    if (!json_is_string(v) || b64_decode(json_string_value(v), out, cap)) {
        errf(err, errlen, "Secret has no usable key %s", key);
        return -1;
    }
    return 0;
}

/* Lists the selected pods and all nodes into a.zones, picks a seed pod when -h was not
 * given, and reads the password from the Secret when asked. */
static int load_from_kube(verify_args *a, char *err, size_t errlen) {
    kube_config_opts o = {a->kubeconfig, a->context, false};
    kube_config *cfg = NULL;
    if (kube_config_load(&o, &cfg, err, errlen)) return -1;
    kube_client *c = kube_client_new(cfg, err, errlen);
    const char *ns = a->ns ? a->ns : cfg->namespace_;
    json_t *pods = NULL, *nodes = NULL, *secret = NULL;
    kube_status st;
    memset(&st, 0, sizeof st);
    kube_list_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.label_selector = a->selector;
    int rc = -1;
    if (!c) goto out;
    if (kube_list(c, &KUBE_PODS, ns, &lo, &pods, &st)) {
        errf(err, errlen, "cannot list pods (%s) in namespace %s: %s", a->selector, ns, st.message);
        goto out;
    }
    if (kube_list(c, &KUBE_NODES, NULL, NULL, &nodes, &st)) {
        errf(err, errlen, "cannot list nodes: %s", st.message);
        goto out;
    }
    int mapped = placement_map_from_kube(&a->zones, pods, nodes, a->zone_label, err, errlen);
    if (mapped < 0) goto out;
    if (mapped == 0) {
        errf(err, errlen, "no pod with an IP matches %s in namespace %s", a->selector, ns);
        goto out;
    }
    if (!a->host_given) {
        /* The first ready pod by name, so repeated runs start from the same node. */
        const topo_placement *best = NULL;
        for (size_t i = 0; i < a->zones.n; i++) {
            const topo_placement *p = &a->zones.items[i];
            if (!best || (p->ready == 1 && best->ready != 1) ||
                (p->ready == best->ready && strcmp(p->pod, best->pod) < 0))
                best = p;
        }
        errf(a->seed, sizeof a->seed, "%s", best->addr);
        a->topo.host = a->seed;
    }
    if (a->secret) {
        if (kube_get(c, &KUBE_SECRETS, ns, a->secret, &secret, &st)) {
            errf(err, errlen, "cannot read Secret %s/%s: %s", ns, a->secret, st.message);
            goto out;
        }
        if (secret_value(secret, a->secret_key ? a->secret_key : "password", a->password, sizeof a->password, err,
                         errlen))
            goto out;
        a->topo.password = a->password;
        if (a->secret_user_key) {
            if (secret_value(secret, a->secret_user_key, a->user, sizeof a->user, err, errlen)) goto out;
            a->topo.user = a->user;
        }
    }
    rc = 0;
out:
    json_decref(pods);
    json_decref(nodes);
    json_decref(secret);
    kube_status_clear(&st);
    if (c) kube_client_free(c);
    kube_config_free(cfg);
    return rc;
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
    if (a.selector && load_from_kube(&a, err, sizeof err)) {
        /* No pods or no API server: nothing to check against, which is a FAIL. */
        printf("VERIFY: FAIL — %s\n", err);
        placement_map_free(&a.zones);
        memset(a.password, 0, sizeof a.password);
        return 1;
    }
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
        topo_render_report(stdout, &t, &a.zones, &v);
    }
    fflush(stdout);
    rc = v.passed ? 0 : 1;
    topo_verdict_free(&v);
    topology_free(&t);
    placement_map_free(&a.zones);
    memset(a.password, 0, sizeof a.password);
    return rc;
}
