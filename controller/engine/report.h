/* engine/report: every way results leave the engine: the human summary, quiet lines,
 * results.csv (the seed's schema, unchanged), one JSON document (with each test's
 * serialised histogram so results from several runners merge exactly), and the
 * --output directory (summary.txt, raw.txt, results.csv). */
#ifndef VB_ENGINE_REPORT_H
#define VB_ENGINE_REPORT_H

#include <stdio.h>

#include "engine/engine.h"

#define REPORT_CSV_HEADER "workload,mode,test,rps,p50_ms,clients,pipeline,datasize,timestamp"

void report_summary(FILE *out, const engine_config *cfg, const engine_results *res);
void report_quiet(FILE *out, const engine_config *cfg, const engine_results *res);
void report_csv(FILE *out, const engine_config *cfg, const engine_results *res, int header);
/* Per-test percentile ladders and serialised histograms. */
void report_raw(FILE *out, const engine_config *cfg, const engine_results *res);
/* The JSON document (malloc'd, caller frees), or NULL when out of memory. */
char *report_json(const engine_config *cfg, const engine_results *res);
/* Writes summary.txt, raw.txt and results.csv into cfg->output_dir (created if needed). */
int report_write_dir(const engine_config *cfg, const engine_results *res, char *err, size_t errlen);

#endif
