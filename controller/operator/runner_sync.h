/* operator/runner_sync: the start line that the runner pods of one run share.
 *
 * The controller releases a run's runners once all are Running, but each pod learns of
 * the release when its kubelet refreshes the downward-API file: on a real cluster that
 * is seconds apart from node to node, longer than one of the seed's tests lasts. So
 * before every test each runner also waits at a barrier kept in the target itself,
 * which all runners reach within a round trip:
 *
 *   INCR  valkeybench:sync:{<id>}:<test>:n       arrive; the N-th runner to arrive
 *   RPUSH valkeybench:sync:{<id>}:<test>:go x N-1  lets the others go and DELs :n,
 *   BLPOP valkeybench:sync:{<id>}:<test>:go 1      while the others wait for a token.
 *
 * Every key expires after an hour should a runner die in between, and none is left
 * behind by a run that completes (a list whose last token is popped is gone). <id>
 * names the run's attempt, so a retry never meets an earlier attempt's counts. Both
 * keys share the hash tag: in cluster mode they live on one node, reached by following
 * MOVED/ASK from the seed. */
#ifndef VB_OPERATOR_RUNNER_SYNC_H
#define VB_OPERATOR_RUNNER_SYNC_H

#include <stddef.h>

#include "engine/engine.h"

#define RUNNER_SYNC_PREFIX "valkeybench:sync:"

typedef struct runner_sync {
    const engine_config *cfg; /* target and credentials */
    const char *id;           /* the run attempt's id (--sync-id) */
    int runners;              /* how many meet at each start line */
    double timeout_s;         /* longest wait for the others at one start line */
    void *ctx;                /* redisContext of the node holding the keys (lazily) */
    int failed;               /* a start line failed: the runners are not in step */
} runner_sync;

/* engine_config.start_line for a runner_sync *arg: returns once all runners reached the
 * start line of test `test`; -1 with err on a timeout, an interruption (engine_stop) or
 * an error from the target. */
int runner_sync_start_line(void *arg, int test, const char *name, char *err, size_t errlen);
void runner_sync_close(runner_sync *s);

#endif
