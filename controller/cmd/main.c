/* valkey-bench: one binary, several subcommands (see commands.h). */
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"

int cmd_run(int argc, char **argv);
int cmd_runner(int argc, char **argv);
int cmd_results(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_operator(int argc, char **argv);
int cmd_verify(int argc, char **argv);

const command commands[] = {
    {"run", "run a pipelined load against Valkey and print rps and latency", cmd_run},
    {"runner", "run one runner pod's share of a ValkeyBenchmark (started by the operator)", cmd_runner},
    {"results", "print a finished ValkeyBenchmark's results (table, --csv as the seed's results.csv)", cmd_results},
    {"compare", "print two ValkeyBenchmarks side by side with the speedup column", cmd_compare},
    {"operator", "run the Kubernetes operator (controllers, leader election, /metrics)", cmd_operator},
    {"verify", "check a cluster's health and that every primary has a replica in another zone", cmd_verify},
    {NULL, NULL, NULL},
};

static void usage(FILE *out) {
    fprintf(out,
            "valkey-bench: measure Valkey in cluster and replication mode, on Kubernetes or locally.\n\n"
            "Usage: valkey-bench <command> [flags]\n\nCommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'valkey-bench <command> --help' for the flags of a command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    for (const command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->main(argc - 1, argv + 1);
    fprintf(stderr, "valkey-bench: unknown command '%s' (see 'valkey-bench --help')\n", argv[1]);
    return 2;
}
