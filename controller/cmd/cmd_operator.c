/* valkey-bench operator: runs the controllers (see operator/operator.h) in a manager with
 * leader election, informers and the /healthz /readyz /metrics endpoint, until SIGTERM
 * or SIGINT, then stops gracefully (in-flight reconciles finish, the Lease is released). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "kube/config.h"
#include "kube/httpd.h"
#include "kube/manager.h"
#include "operator/operator.h"

int cmd_operator(int argc, char **argv);

#define MAX_NAMESPACES 64

typedef struct operator_flags {
    const char *kubeconfig, *context;
    char *namespaces[MAX_NAMESPACES + 1];
    int nnamespaces;
    bool leader_elect;
    const char *lease_name, *lease_namespace, *identity;
    long lease_ms, renew_ms, retry_ms, resync_ms;
    int workers;
    const char *metrics_addr, *health_addr;
    char http_addr[96];
    const char *log_format, *log_level;
} operator_flags;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: valkey-bench operator [flags]\n\n"
            "Runs the valkey-bench-operator controllers (ValkeyBenchmark, ValkeyTopologyCheck).\n\n"
            "Flags:\n"
            "  --kubeconfig PATH        kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)\n"
            "  --context NAME           kubeconfig context (default: current-context)\n"
            "  --namespace NS[,NS...]   watch only these namespaces; repeatable (default: all namespaces)\n"
            "                           (alias: --watch-namespaces)\n"
            "  --leader-elect[=BOOL]    elect a leader through a Lease before reconciling (default: true)\n"
            "  --lease-name NAME        leader election Lease name (default: valkey-bench-operator)\n"
            "  --lease-namespace NS     namespace of the Lease (default: $POD_NAMESPACE, else the\n"
            "                           kubeconfig/in-cluster namespace; alias: --leader-election-namespace)\n"
            "  --lease-duration DUR     Lease duration (default: 15s)\n"
            "  --renew-deadline DUR     give up leading when not renewed for this long (default: 10s)\n"
            "  --retry-period DUR       interval between Lease attempts (default: 2s)\n"
            "  --identity ID            leader election identity (default: <hostname>_<pid>)\n"
            "  --workers N              reconcile workers per controller (default: 2)\n"
            "  --resync DUR             periodic informer resync, 0 to disable (default: 0)\n"
            "  --metrics-addr ADDR      /metrics listen address (default: :8080)\n"
            "  --health-addr ADDR       /healthz and /readyz listen address (default: :8081)\n"
            "  --http-port N            serve all three endpoints on this one port instead (0: any free port)\n"
            "  --http-bind-address ADDR serve all three endpoints on this one address (e.g. :8080)\n"
            "  --log-format FMT         logfmt or json (default: logfmt)\n"
            "  --log-level LEVEL        debug, info, warn or error (default: info)\n"
            "  --help                   show this help\n\n"
            "DUR is a number with an optional unit: ms, s (default), m.\n"
            "SIGTERM/SIGINT stop gracefully: in-flight reconciles finish, the Lease is released, exit 0.\n");
}

/* "500ms", "2s", "1m", "15" (seconds). Returns milliseconds or -1. */
static long parse_duration_ms(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return -1;
    if (*end == '\0' || strcmp(end, "s") == 0) return (long)(v * 1000);
    if (strcmp(end, "ms") == 0) return (long)v;
    if (strcmp(end, "m") == 0) return (long)(v * 60000);
    return -1;
}

static int parse_bool(const char *s, bool *out) {
    if (!s || !strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) *out = true;
    else if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) *out = false;
    else return -1;
    return 0;
}

static int add_namespaces(operator_flags *f, const char *list) {
    char *copy = strdup(list), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!*tok) continue;
        if (f->nnamespaces == MAX_NAMESPACES) {
            free(copy);
            return -1;
        }
        f->namespaces[f->nnamespaces++] = strdup(tok);
    }
    free(copy);
    return 0;
}

enum {
    OPT_KUBECONFIG = 1000, OPT_CONTEXT, OPT_NAMESPACE, OPT_LEADER_ELECT, OPT_LEASE_NAME, OPT_LEASE_NS,
    OPT_LEASE_DURATION, OPT_RENEW_DEADLINE, OPT_RETRY_PERIOD, OPT_IDENTITY, OPT_WORKERS, OPT_RESYNC,
    OPT_METRICS_ADDR, OPT_HEALTH_ADDR, OPT_HTTP_PORT, OPT_HTTP_BIND, OPT_LOG_FORMAT, OPT_LOG_LEVEL, OPT_HELP
};

static const struct option long_opts[] = {
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"watch-namespaces", required_argument, NULL, OPT_NAMESPACE}, /* alias used by the manifests */
    {"leader-elect", optional_argument, NULL, OPT_LEADER_ELECT},
    {"lease-name", required_argument, NULL, OPT_LEASE_NAME},
    {"lease-namespace", required_argument, NULL, OPT_LEASE_NS},
    {"leader-election-namespace", required_argument, NULL, OPT_LEASE_NS}, /* alias */
    {"lease-duration", required_argument, NULL, OPT_LEASE_DURATION},
    {"renew-deadline", required_argument, NULL, OPT_RENEW_DEADLINE},
    {"retry-period", required_argument, NULL, OPT_RETRY_PERIOD},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"resync", required_argument, NULL, OPT_RESYNC},
    {"metrics-addr", required_argument, NULL, OPT_METRICS_ADDR},
    {"health-addr", required_argument, NULL, OPT_HEALTH_ADDR},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"http-bind-address", required_argument, NULL, OPT_HTTP_BIND},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to continue, else the exit code. */
static int parse_flags(int argc, char **argv, operator_flags *f) {
    f->leader_elect = true;
    f->lease_ms = 15000, f->renew_ms = 10000, f->retry_ms = 2000;
    f->workers = 2;
    f->metrics_addr = ":8080", f->health_addr = ":8081";
    f->log_format = "logfmt", f->log_level = "info";
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        long *dur = NULL;
        switch (c) {
        case OPT_KUBECONFIG: f->kubeconfig = optarg; break;
        case OPT_CONTEXT: f->context = optarg; break;
        case OPT_NAMESPACE:
            if (add_namespaces(f, optarg) != 0) {
                fprintf(stderr, "valkey-bench operator: at most %d namespaces\n", MAX_NAMESPACES);
                return 2;
            }
            break;
        case OPT_LEADER_ELECT:
            /* "--leader-elect false" as well as "--leader-elect=false" */
            if (!optarg && optind < argc && parse_bool(argv[optind], &f->leader_elect) == 0) {
                optind++;
                break;
            }
            if (parse_bool(optarg, &f->leader_elect) != 0) {
                fprintf(stderr, "valkey-bench operator: --leader-elect wants true or false, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_LEASE_NAME: f->lease_name = optarg; break;
        case OPT_LEASE_NS: f->lease_namespace = optarg; break;
        case OPT_IDENTITY: f->identity = optarg; break;
        case OPT_LEASE_DURATION: dur = &f->lease_ms; break;
        case OPT_RENEW_DEADLINE: dur = &f->renew_ms; break;
        case OPT_RETRY_PERIOD: dur = &f->retry_ms; break;
        case OPT_RESYNC: dur = &f->resync_ms; break;
        case OPT_WORKERS:
            f->workers = atoi(optarg);
            if (f->workers < 1 || f->workers > 64) {
                fprintf(stderr, "valkey-bench operator: --workers must be between 1 and 64\n");
                return 2;
            }
            break;
        case OPT_METRICS_ADDR: f->metrics_addr = optarg; break;
        case OPT_HEALTH_ADDR: f->health_addr = optarg; break;
        case OPT_HTTP_PORT: {
            char *end;
            long p = strtol(optarg, &end, 10);
            if (*end || p < 0 || p > 65535) {
                fprintf(stderr, "valkey-bench operator: --http-port wants a port number\n");
                return 2;
            }
            snprintf(f->http_addr, sizeof f->http_addr, ":%ld", p);
            break;
        }
        case OPT_HTTP_BIND: {
            char host[64];
            int port;
            if (kube_parse_listen_addr(optarg, host, sizeof host, &port) != 0) {
                fprintf(stderr, "valkey-bench operator: --http-bind-address wants host:port or :port\n");
                return 2;
            }
            snprintf(f->http_addr, sizeof f->http_addr, "%s", optarg);
            break;
        }
        case OPT_LOG_FORMAT: f->log_format = optarg; break;
        case OPT_LOG_LEVEL: f->log_level = optarg; break;
        case OPT_HELP: usage(stdout); return 0;
        default:
            fprintf(stderr, "valkey-bench operator: unknown or incomplete flag '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        if (dur && (*dur = parse_duration_ms(optarg)) < 0) {
            fprintf(stderr, "valkey-bench operator: bad duration '%s' (e.g. 500ms, 2s, 1m)\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "valkey-bench operator: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (f->leader_elect && !(f->retry_ms < f->renew_ms && f->renew_ms < f->lease_ms)) {
        fprintf(stderr, "valkey-bench operator: need --retry-period < --renew-deadline < --lease-duration\n");
        return 2;
    }
    return -1;
}

static int run(operator_flags *f) {
    char err[1024] = "";
    kube_config *cfg = NULL;
    kube_config_opts co = {.kubeconfig_path = f->kubeconfig, .context = f->context};
    if (kube_config_load(&co, &cfg, err, sizeof err) != 0) {
        log_error("cannot load the Kubernetes configuration", "error", err);
        return 1;
    }
    const char *listen[2];
    int nlisten = 0;
    if (f->http_addr[0]) {
        listen[nlisten++] = f->http_addr;
    } else {
        listen[nlisten++] = f->metrics_addr;
        if (strcmp(f->health_addr, f->metrics_addr) != 0) listen[nlisten++] = f->health_addr;
    }
    const char *lease_ns = f->lease_namespace ? f->lease_namespace : getenv("POD_NAMESPACE");
    kube_manager_opts mo = {.namespaces = f->nnamespaces ? (const char *const *)f->namespaces : NULL,
                            .workers = f->workers, .leader_elect = f->leader_elect, .lease_name = f->lease_name,
                            .lease_namespace = lease_ns, .identity = f->identity, .lease_duration_ms = f->lease_ms,
                            .renew_deadline_ms = f->renew_ms, .retry_period_ms = f->retry_ms,
                            .listen_addrs = listen, .nlisten = nlisten, .resync_ms = f->resync_ms,
                            .component = "valkey-bench-operator"};
    kube_manager *m = kube_manager_new(cfg, &mo, err, sizeof err);
    int rc = 1;
    if (!m) {
        log_error("cannot create the manager", "error", err);
        goto out;
    }
    if (operator_register_controllers(m, err, sizeof err) != 0) {
        log_error("cannot register the controllers", "error", err);
        goto out;
    }
    char nctrl[16];
    snprintf(nctrl, sizeof nctrl, "%d", operator_controller_count());
    log_info("operator starting", "server", cfg->server, "controllers", nctrl,
             "namespaces", f->nnamespaces ? "selected" : "all", "leader_elect", f->leader_elect ? "true" : "false");
    if (kube_manager_start(m, err, sizeof err) != 0) {
        log_error("cannot start the manager", "error", err);
        goto out;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    log_info("signal received, stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    kube_manager_stop(m);
    rc = 0;
out:
    kube_manager_free(m);
    if (cfg) kube_config_free(cfg);
    return rc;
}

int cmd_operator(int argc, char **argv) {
    operator_flags f;
    memset(&f, 0, sizeof f);
    int rc = parse_flags(argc, argv, &f);
    if (rc < 0) {
        log_level level;
        log_format format;
        if (log_parse_level(f.log_level, &level) != 0 || log_parse_format(f.log_format, &format) != 0) {
            fprintf(stderr, "valkey-bench operator: --log-level is debug|info|warn|error, --log-format logfmt|json\n");
            rc = 2;
        } else {
            log_configure(level, format, NULL);
            /* Block the stop signals in every thread the manager starts; run() waits for them. */
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGTERM);
            sigaddset(&set, SIGINT);
            pthread_sigmask(SIG_BLOCK, &set, NULL);
            signal(SIGPIPE, SIG_IGN);
            rc = run(&f);
        }
    }
    for (int i = 0; i < f.nnamespaces; i++) free(f.namespaces[i]);
    return rc;
}
