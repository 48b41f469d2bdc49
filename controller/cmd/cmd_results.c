/* valkey-bench results / compare: a finished ValkeyBenchmark's results from the API,
 * as a table, as the seed's results.csv (--csv), or two of them side by side. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client.h"
#include "kube/config.h"
#include "operator/bench_report.h"
#include "operator/benchmark_controller.h"

int cmd_results(int argc, char **argv);
int cmd_compare(int argc, char **argv);

typedef struct results_flags {
    const char *kubeconfig, *context, *namespace_;
    bool csv, json;
    const char *names[2];
    int nnames;
} results_flags;

static int parse(const char *cmd, int argc, char **argv, results_flags *f, int want) {
    enum { KUBECONFIG = 1000, CONTEXT, CSV, JSON, HELP };
    static const struct option opts[] = {
        {"namespace", required_argument, NULL, 'n'}, {"kubeconfig", required_argument, NULL, KUBECONFIG},
        {"context", required_argument, NULL, CONTEXT}, {"csv", no_argument, NULL, CSV},
        {"json", no_argument, NULL, JSON}, {"help", no_argument, NULL, HELP}, {NULL, 0, NULL, 0},
    };
    memset(f, 0, sizeof *f);
    opterr = 0;
    optind = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":n:", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': f->namespace_ = optarg; break;
        case KUBECONFIG: f->kubeconfig = optarg; break;
        case CONTEXT: f->context = optarg; break;
        case CSV: f->csv = true; break;
        case JSON: f->json = true; break;
        case HELP:
            printf("Usage: valkey-bench %s %s [-n NAMESPACE] [--kubeconfig F] [--context C]%s\n"
                   "A name may be NAMESPACE/NAME.%s\n",
                   cmd, want == 1 ? "NAME" : "A B", want == 1 ? " [--csv | --json]" : "",
                   want == 1 ? " --csv prints the seed's results.csv rows." : " Prints the seed's side-by-side table; speedups are A relative to B.");
            return 1;
        default:
            fprintf(stderr, "valkey-bench %s: bad flag %s\n", cmd, argv[optind - 1]);
            return -1;
        }
    }
    for (; optind < argc && f->nnames < 2; optind++) f->names[f->nnames++] = argv[optind];
    if (f->nnames != want || optind < argc) {
        fprintf(stderr, "valkey-bench %s: expected %s (see --help)\n", cmd, want == 1 ? "one benchmark name" : "two benchmark names");
        return -1;
    }
    return 0;
}

static json_t *fetch(kube_client *c, const char *def_ns, const char *ref, const char *cmd) {
    char ns[256], name[256];
    const char *slash = strchr(ref, '/');
    if (slash) {
        snprintf(ns, sizeof ns, "%.*s", (int)(slash - ref), ref);
        snprintf(name, sizeof name, "%s", slash + 1);
    } else {
        snprintf(ns, sizeof ns, "%s", def_ns);
        snprintf(name, sizeof name, "%s", ref);
    }
    json_t *b = NULL;
    kube_status st = {0};
    if (kube_get(c, &VB_BENCHMARKS, ns, name, &b, &st) != 0) {
        fprintf(stderr, "valkey-bench %s: ValkeyBenchmark %s/%s: %s\n", cmd, ns, name, st.message);
        kube_status_clear(&st);
        return NULL;
    }
    return b;
}

static kube_client *connect_api(const results_flags *f, const char *cmd, kube_config **cfg) {
    char err[1024];
    kube_config_opts o = {.kubeconfig_path = f->kubeconfig, .context = f->context};
    if (kube_config_load(&o, cfg, err, sizeof err) != 0) {
        fprintf(stderr, "valkey-bench %s: %s\n", cmd, err);
        return NULL;
    }
    kube_client *c = kube_client_new(*cfg, err, sizeof err);
    if (!c) {
        fprintf(stderr, "valkey-bench %s: %s\n", cmd, err);
        kube_config_free(*cfg);
    }
    return c;
}

static int run(const char *cmd, int argc, char **argv, int want) {
    results_flags f;
    int rc = parse(cmd, argc, argv, &f, want);
    if (rc != 0) return rc > 0 ? 0 : 2;
    kube_config *cfg = NULL;
    kube_client *c = connect_api(&f, cmd, &cfg);
    if (!c) return 1;
    const char *ns = f.namespace_ ? f.namespace_ : cfg->namespace_ ? cfg->namespace_ : "default";
    json_t *a = fetch(c, ns, f.names[0], cmd), *b = want == 2 && a ? fetch(c, ns, f.names[1], cmd) : NULL;
    char err[512];
    int code = 1;
    if (a && want == 1) {
        if (f.json) {
            json_t *st = json_object_get(a, "status");
            char *s = json_dumps(st ? st : json_null(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            printf("%s\n", s);
            free(s);
            code = 0;
        } else {
            code = (f.csv ? bench_report_csv(stdout, a, true, err, sizeof err) : bench_report_table(stdout, a, err, sizeof err)) < 0;
        }
    } else if (a && b) {
        code = bench_report_compare(stdout, a, b, err, sizeof err) < 0;
    }
    if (code && (a && (want == 1 || b))) fprintf(stderr, "valkey-bench %s: %s\n", cmd, err);
    json_decref(a);
    json_decref(b);
    kube_client_free(c);
    kube_config_free(cfg);
    return code;
}

int cmd_results(int argc, char **argv) {
    return run("results", argc, argv, 1);
}

int cmd_compare(int argc, char **argv) {
    return run("compare", argc, argv, 2);
}
