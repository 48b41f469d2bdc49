/* `run`'s flags: defaults, parsing with a precise rejection for every bad value, usage. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/engine.h"
#include "engine/workload.h"

void engine_config_defaults(engine_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->seed.host, sizeof cfg->seed.host, "127.0.0.1");
    cfg->seed.port = 6379;
    cfg->clients = 50;
    cfg->requests = 500000;
    cfg->datasize = 256;
    cfg->pipeline = 16;
    cfg->threads = 4;
    cfg->keyspace = 1000000;
    cfg->tests[0] = workload_find("set");
    cfg->tests[1] = workload_find("get");
    cfg->tests[2] = workload_find("incr");
    cfg->ntests = 3;
    cfg->mode = ENGINE_STANDALONE;
    cfg->read_from = READ_FROM_PRIMARY;
    cfg->timeout_s = 10;
}

void engine_config_free(engine_config *cfg) {
    if (cfg->password) {
        explicit_bzero(cfg->password, strlen(cfg->password));
        free(cfg->password);
        cfg->password = NULL;
    }
}

void engine_config_usage(FILE *out) {
    fprintf(out,
            "Usage: valkey-bench run [flags]\n\n"
            "Runs a pipelined load against Valkey/Redis (standalone, replication or cluster) and\n"
            "prints requests/s and latency percentiles per test.\n\n"
            "Target:\n"
            "  -h, --host HOST          server, primary or any cluster node (default 127.0.0.1)\n"
            "  -p, --port PORT          port (default 6379)\n"
            "      --mode MODE          standalone|cluster|replication (default standalone)\n"
            "      --cluster            same as --mode cluster\n"
            "      --read-from WHERE    replication mode reads: primary|replicas|any (default primary)\n"
            "      --replica HOST:PORT  a replica to read from (repeatable; default: discovered from\n"
            "                           the primary's INFO replication)\n"
            "      --user USER          ACL user (default: the default user)\n"
            "      --password-file F    file holding the password (default: $VALKEY_PASSWORD, else none)\n"
            "  -a PASSWORD              password on the command line (visible in ps: prefer the above)\n"
            "      --timeout SECONDS    connect timeout and longest wait for a reply (default 10)\n\n"
            "Load:\n"
            "  -c CLIENTS               parallel clients (default 50)\n"
            "  -n REQUESTS              requests per test (default 500000)\n"
            "      --duration SECONDS   run each test this long instead of -n (default off)\n"
            "      --warmup SECONDS     unmeasured load before each test (default 0)\n"
            "  -d BYTES                 value size (default 256)\n"
            "  -P PIPELINE              requests per batch (default 16)\n"
            "      --threads N          client threads (default 4)\n"
            "  -r KEYSPACE              keys are key:<uniform random below KEYSPACE> (default 1000000)\n"
            "  -t TESTS                 comma list of tests (default set,get,incr); available:\n"
            "                           ");
    for (int i = 0; i < workload_ntests; i++) fprintf(out, "%s%s", workload_tests[i].name, i + 1 < workload_ntests ? "," : "\n");
    fprintf(out,
            "      --seed N             random seed for keys (default: from the clock)\n\n"
            "Output:\n"
            "      --workload-name STR  tag for the CSV and summary (default: the mode)\n"
            "      --output DIR         write summary.txt, raw.txt and results.csv to DIR (default none)\n"
            "      --csv                print results.csv rows instead of the summary\n"
            "      --json               print one JSON document instead of the summary\n"
            "  -q                       quiet: one line per test\n"
            "      --help               this help\n\n"
            "Latency is timed per request, from the write of its batch to the read that delivered\n"
            "its own reply; rps is completed requests / elapsed nanoseconds. Exit codes: 0 success,\n"
            "1 the run failed or was cut short (partial results are printed), 2 bad flags.\n");
}

static int reject(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_u64(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                     size_t errlen) {
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-' || *s == '+')
        return reject(err, errlen, "%s: '%s' is not a whole number", flag, s ? s : "");
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return reject(err, errlen, "%s: '%s' is not a whole number", flag, s);
    if (errno == ERANGE || v < min || v > max)
        return reject(err, errlen, "%s: %s is out of range (%llu..%llu)", flag, s, (unsigned long long)min,
                      (unsigned long long)max);
    *out = v;
    return 0;
}

static int parse_seconds(const char *flag, const char *s, double min, double max, double *out, char *err,
                         size_t errlen) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || v != v)
        return reject(err, errlen, "%s: '%s' is not a number of seconds", flag, s);
    if (v < min || v > max) return reject(err, errlen, "%s: %s is out of range (%g..%g seconds)", flag, s, min, max);
    *out = v;
    return 0;
}

static int parse_endpoint(const char *flag, const char *s, engine_endpoint *ep, char *err, size_t errlen) {
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return reject(err, errlen, "%s: '%s' is not host:port", flag, s);
    size_t hlen = (size_t)(colon - s);
    if (hlen >= sizeof ep->host) return reject(err, errlen, "%s: host too long", flag);
    uint64_t port;
    if (parse_u64(flag, colon + 1, 1, 65535, &port, err, errlen) != 0) return -1;
    memcpy(ep->host, s, hlen);
    ep->host[hlen] = '\0';
    ep->port = (int)port;
    return 0;
}

static int parse_tests(const char *s, engine_config *cfg, char *err, size_t errlen) {
    cfg->ntests = 0;
    char name[64];
    for (const char *p = s;;) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof name) return reject(err, errlen, "-t: empty or overlong test name in '%s'", s);
        memcpy(name, p, n);
        name[n] = '\0';
        int idx = workload_find(name);
        if (idx < 0) return reject(err, errlen, "-t: unknown test '%s' (see --help for the list)", name);
        for (int i = 0; i < cfg->ntests; i++)
            if (cfg->tests[i] == idx) return reject(err, errlen, "-t: test '%s' listed twice", name);
        if (cfg->ntests == ENGINE_MAX_TESTS) return reject(err, errlen, "-t: too many tests");
        cfg->tests[cfg->ntests++] = idx;
        if (!p[n]) break;
        p += n + 1;
    }
    return 0;
}

static int read_password_file(const char *path, engine_config *cfg, char *err, size_t errlen) {
    FILE *f = fopen(path, "r");
    if (!f) return reject(err, errlen, "--password-file: cannot open %s: %s", path, strerror(errno));
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    int too_long = !feof(f);
    fclose(f);
    if (too_long) return reject(err, errlen, "--password-file: %s is longer than %zu bytes", path, sizeof buf - 1);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) n--;
    buf[n] = '\0';
    if (n == 0) return reject(err, errlen, "--password-file: %s is empty", path);
    engine_config_free(cfg);
    cfg->password = strdup(buf);
    explicit_bzero(buf, sizeof buf);
    return cfg->password ? 0 : reject(err, errlen, "out of memory");
}

enum {
    OPT_USER = 1000, OPT_PASSWORD_FILE, OPT_THREADS, OPT_MODE, OPT_CLUSTER, OPT_READ_FROM, OPT_REPLICA,
    OPT_DURATION, OPT_WARMUP, OPT_TIMEOUT, OPT_WORKLOAD, OPT_OUTPUT, OPT_CSV, OPT_JSON, OPT_HELP, OPT_SEED,
};

static const struct option long_opts[] = {
    {"host", required_argument, NULL, 'h'},
    {"port", required_argument, NULL, 'p'},
    {"user", required_argument, NULL, OPT_USER},
    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"mode", required_argument, NULL, OPT_MODE},
    {"cluster", no_argument, NULL, OPT_CLUSTER},
    {"read-from", required_argument, NULL, OPT_READ_FROM},
    {"replica", required_argument, NULL, OPT_REPLICA},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"workload-name", required_argument, NULL, OPT_WORKLOAD},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"csv", no_argument, NULL, OPT_CSV},
    {"json", no_argument, NULL, OPT_JSON},
    {"seed", required_argument, NULL, OPT_SEED},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

#define NOT_MINE 2

/* Where to connect and how: one flag; 0, -1 rejected, NOT_MINE. */
static int apply_target(engine_config *cfg, int opt, const char *arg, const char *password_file[1], char *err,
                        size_t errlen) {
    uint64_t v;
    switch (opt) {
    case 'h':
        if (!*arg || strlen(arg) >= sizeof cfg->seed.host) return reject(err, errlen, "-h: bad host '%s'", arg);
        snprintf(cfg->seed.host, sizeof cfg->seed.host, "%s", arg);
        return 0;
    case 'p':
        if (parse_u64("-p", arg, 1, 65535, &v, err, errlen) != 0) return -1;
        cfg->seed.port = (int)v;
        return 0;
    case 'a':
        engine_config_free(cfg);
        cfg->password = strdup(arg);
        cfg->password_on_cmdline = 1;
        return cfg->password ? 0 : reject(err, errlen, "out of memory");
    case OPT_USER:
        if (!*arg || strlen(arg) >= sizeof cfg->user) return reject(err, errlen, "--user: bad user name");
        snprintf(cfg->user, sizeof cfg->user, "%s", arg);
        return 0;
    case OPT_PASSWORD_FILE:
        password_file[0] = arg;
        return 0;
    case OPT_MODE:
        if (strcmp(arg, "standalone") == 0)
            cfg->mode = ENGINE_STANDALONE;
        else if (strcmp(arg, "cluster") == 0)
            cfg->mode = ENGINE_CLUSTER;
        else if (strcmp(arg, "replication") == 0)
            cfg->mode = ENGINE_REPLICATION;
        else
            return reject(err, errlen, "--mode: '%s' is not standalone, cluster or replication", arg);
        return 0;
    case OPT_CLUSTER:
        cfg->mode = ENGINE_CLUSTER;
        return 0;
    case OPT_READ_FROM:
        if (strcmp(arg, "primary") == 0)
            cfg->read_from = READ_FROM_PRIMARY;
        else if (strcmp(arg, "replicas") == 0)
            cfg->read_from = READ_FROM_REPLICAS;
        else if (strcmp(arg, "any") == 0)
            cfg->read_from = READ_FROM_ANY;
        else
            return reject(err, errlen, "--read-from: '%s' is not primary, replicas or any", arg);
        return 0;
    case OPT_REPLICA:
        if (cfg->nreplicas == ENGINE_MAX_REPLICAS)
            return reject(err, errlen, "--replica: more than %d replicas", ENGINE_MAX_REPLICAS);
        return parse_endpoint("--replica", arg, &cfg->replicas[cfg->nreplicas++], err, errlen);
    case OPT_TIMEOUT:
        return parse_seconds("--timeout", arg, 0.1, 3600, &cfg->timeout_s, err, errlen);
    default:
        return NOT_MINE;
    }
}

/* The load and the output: one flag; 0, 1 for --help, -1 rejected. */
static int apply(engine_config *cfg, int opt, const char *arg, const char *password_file[1], char *err,
                 size_t errlen) {
    int rc = apply_target(cfg, opt, arg, password_file, err, errlen);
    if (rc != NOT_MINE) return rc;
    switch (opt) {
    case 'c':
        return parse_u64("-c", arg, 1, 100000, &cfg->clients, err, errlen);
    case 'n':
        return parse_u64("-n", arg, 1, UINT64_MAX / 2, &cfg->requests, err, errlen);
    case 'd':
        return parse_u64("-d", arg, 1, 64 * 1024 * 1024, &cfg->datasize, err, errlen);
    case 'P':
        return parse_u64("-P", arg, 1, 10000, &cfg->pipeline, err, errlen);
    case 'r':
        return parse_u64("-r", arg, 1, 1000000000000ULL, &cfg->keyspace, err, errlen);
    case 't':
        return parse_tests(arg, cfg, err, errlen);
    case 'q':
        cfg->quiet = 1;
        return 0;
    case OPT_THREADS:
        return parse_u64("--threads", arg, 1, 256, &cfg->threads, err, errlen);
    case OPT_DURATION:
        if (parse_seconds("--duration", arg, 0.001, 86400 * 7, &cfg->duration_s, err, errlen) != 0) return -1;
        return 0;
    case OPT_WARMUP:
        return parse_seconds("--warmup", arg, 0, 86400, &cfg->warmup_s, err, errlen);
    case OPT_WORKLOAD:
        if (!*arg || strlen(arg) >= sizeof cfg->workload || strpbrk(arg, ",\n\r\""))
            return reject(err, errlen, "--workload-name: must be 1..%zu characters without , \" or newlines",
                          sizeof cfg->workload - 1);
        snprintf(cfg->workload, sizeof cfg->workload, "%s", arg);
        return 0;
    case OPT_OUTPUT:
        if (!*arg || strlen(arg) >= sizeof cfg->output_dir) return reject(err, errlen, "--output: bad directory");
        snprintf(cfg->output_dir, sizeof cfg->output_dir, "%s", arg);
        return 0;
    case OPT_CSV:
        cfg->csv = 1;
        return 0;
    case OPT_JSON:
        cfg->json = 1;
        return 0;
    case OPT_SEED:
        return parse_u64("--seed", arg, 1, UINT64_MAX, &cfg->seed_rng, err, errlen);
    case OPT_HELP:
        engine_config_usage(stdout);
        return 1;
    default:
        return reject(err, errlen, "internal: unhandled flag");
    }
}

int engine_config_parse(engine_config *cfg, int argc, char **argv, char *err, size_t errlen) {
    const char *password_file[1] = {NULL};
    opterr = 0;
    optind = 0; /* GNU: full re-initialisation, so tests can parse repeatedly */
    int opt;
    while ((opt = getopt_long(argc, argv, ":h:p:a:c:n:d:P:r:t:q", long_opts, NULL)) != -1) {
        if (opt == '?') {
            if (optopt)
                return reject(err, errlen, "unknown flag -%c (see 'valkey-bench run --help')", optopt);
            return reject(err, errlen, "unknown flag %s (see 'valkey-bench run --help')", argv[optind - 1]);
        }
        if (opt == ':') return reject(err, errlen, "flag %s needs a value", argv[optind - 1]);
        int rc = apply(cfg, opt, optarg, password_file, err, errlen);
        if (rc != 0) return rc;
    }
    if (optind < argc) return reject(err, errlen, "unexpected argument '%s'", argv[optind]);
    if (cfg->csv && cfg->json) return reject(err, errlen, "--csv and --json are exclusive");
    if (cfg->threads > cfg->clients)
        return reject(err, errlen, "--threads (%llu) must not exceed -c (%llu)", (unsigned long long)cfg->threads,
                      (unsigned long long)cfg->clients);
    if (cfg->nreplicas && cfg->mode != ENGINE_REPLICATION)
        return reject(err, errlen, "--replica only applies to --mode replication");
    if (cfg->read_from != READ_FROM_PRIMARY && cfg->mode != ENGINE_REPLICATION)
        return reject(err, errlen, "--read-from only applies to --mode replication");
    if (password_file[0]) {
        if (cfg->password_on_cmdline) return reject(err, errlen, "-a and --password-file are exclusive");
        if (read_password_file(password_file[0], cfg, err, errlen) != 0) return -1;
    } else if (!cfg->password) {
        const char *env = getenv("VALKEY_PASSWORD");
        if (env && *env) {
            cfg->password = strdup(env);
            if (!cfg->password) return reject(err, errlen, "out of memory");
        }
    }
    if (cfg->user[0] && !cfg->password)
        return reject(err, errlen, "--user needs a password (VALKEY_PASSWORD or --password-file)");
    if (cfg->password_on_cmdline)
        fprintf(stderr, "valkey-bench: warning: -a puts the password in the process list; "
                        "prefer VALKEY_PASSWORD or --password-file\n");
    if (!cfg->workload[0]) snprintf(cfg->workload, sizeof cfg->workload, "%s", engine_mode_name(cfg->mode));
    return 0;
}
