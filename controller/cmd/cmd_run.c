/* valkey-bench run: the load engine from the command line. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/commands.h"
#include "engine/engine.h"
#include "engine/report.h"

static void on_signal(int sig) {
    (void)sig;
    engine_stop();
}

int cmd_run(int argc, char **argv) {
    engine_config cfg;
    char err[1024];
    engine_config_defaults(&cfg);
    int prc = engine_config_parse(&cfg, argc, argv, err, sizeof err);
    if (prc != 0) {
        engine_config_free(&cfg);
        if (prc > 0) return 0;
        fprintf(stderr, "valkey-bench run: %s\n", err);
        return 2;
    }
    /* First Ctrl-C: stop and print what was measured; a second one kills. */
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    engine_results res;
    int rc = engine_run(&cfg, &res, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "valkey-bench run: %s\n", err);
        engine_results_free(&res);
        engine_config_free(&cfg);
        return 1;
    }
    if (cfg.json) {
        char *doc = report_json(&cfg, &res);
        if (doc) printf("%s\n", doc);
        free(doc);
    } else if (cfg.csv) {
        report_csv(stdout, &cfg, &res, 1);
    } else if (cfg.quiet) {
        report_quiet(stdout, &cfg, &res);
    } else {
        report_summary(stdout, &cfg, &res);
    }
    fflush(stdout);
    int exit_code = rc == 0 ? 0 : 1;
    if (cfg.output_dir[0] && report_write_dir(&cfg, &res, err, sizeof err) != 0) {
        fprintf(stderr, "valkey-bench run: %s\n", err);
        exit_code = 1;
    }
    if (res.partial) fprintf(stderr, "valkey-bench run: %s (results above are partial)\n", res.error);
    engine_results_free(&res);
    engine_config_free(&cfg);
    return exit_code;
}
