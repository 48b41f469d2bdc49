/* operator/benchmark_run: see benchmark_run.h. */
#include "operator/benchmark_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "operator/results.h"
#include "operator/runner_pod.h"

static const char *str(const json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static const json_t *at(const json_t *o, const char *a, const char *b) {
    return json_object_get(json_object_get(o, a), b);
}

time_t run_parse_time(const char *s) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                     &tm.tm_sec) != 6)
        return (time_t)-1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

const char *run_action_name(run_action a) {
    static const char *const NAMES[] = {"create", "wait", "release", "running", "collect", "retry", "fail"};
    return (unsigned)a < sizeof NAMES / sizeof *NAMES ? NAMES[a] : "?";
}

bool run_reason_is_final(const char *reason) {
    return !strcmp(reason, "AuthFailed") || !strcmp(reason, "TargetUnreachable") ||
           !strcmp(reason, "InvalidRunnerArguments");
}

static int label_int(const json_t *pod, const char *key) {
    const char *v = json_string_value(at(json_object_get(pod, "metadata"), "labels", key));
    if (!v || !*v) return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return (*end || x < 0 || x > 1000) ? -1 : (int)x;
}

static const json_t *container_state(const json_t *pod) {
    return json_object_get(json_array_get(at(pod, "status", "containerStatuses"), 0), "state");
}

/* Why a pod that has not started is waiting: the scheduler's or the kubelet's words. */
static void waiting_message(const json_t *pod, runner_obs *r) {
    size_t i;
    json_t *c;
    json_array_foreach(at(pod, "status", "conditions"), i, c) {
        if (!strcmp(str(c, "type"), "PodScheduled") && !strcmp(str(c, "status"), "False")) {
            snprintf(r->message, sizeof r->message, "%s", str(c, "message"));
            return;
        }
    }
    const json_t *w = json_object_get(container_state(pod), "waiting");
    if (w) snprintf(r->message, sizeof r->message, "%s: %s", str(w, "reason"), str(w, "message"));
}

/* A failed pod: the runner's own structured error when it wrote one, else the kubelet's. */
static void failure(const json_t *pod, runner_obs *r) {
    const json_t *t = json_object_get(container_state(pod), "terminated");
    const char *msg = str(t, "message");
    snprintf(r->fail_reason, sizeof r->fail_reason, "RunnerFailed");
    if (*msg) {
        runner_result *res = calloc(1, sizeof *res);
        results_msg info;
        char err[256];
        if (res && results_decode_message(msg, strlen(msg), res, &info, err, sizeof err) == 0 &&
            info.kind == RESULTS_MSG_ERROR) {
            snprintf(r->fail_reason, sizeof r->fail_reason, "%s", info.reason);
            snprintf(r->message, sizeof r->message, "%s", info.error);
            free(res);
            return;
        }
        free(res);
    }
    const json_t *st = json_object_get(pod, "status");
    if (!strcmp(str(st, "reason"), "Evicted")) {
        snprintf(r->fail_reason, sizeof r->fail_reason, "RunnerEvicted");
        snprintf(r->message, sizeof r->message, "evicted: %s", str(st, "message"));
    } else if (t) {
        /* FallbackToLogsOnError: the message is the log tail; keep its last line. */
        const char *last = msg;
        for (const char *p = msg; *p; p++)
            if (*p == '\n' && p[1]) last = p + 1;
        snprintf(r->message, sizeof r->message, "exit code %lld (%s)%s%.400s",
                 json_integer_value(json_object_get(t, "exitCode")), str(t, "reason"), *last ? ": " : "", last);
    } else {
        snprintf(r->message, sizeof r->message, "pod failed: %s %s", str(st, "reason"), str(st, "message"));
    }
}

/* Whoever evicted the pod (the Eviction API of a drain or Karpenter, the kubelet, a taint)
 * put a DisruptionTarget condition on it first: that, not what its process said while being
 * killed or that it is going, is why the runner failed. */
static void disruption(const json_t *pod, runner_obs *r) {
    size_t i;
    json_t *c;
    if (!strcmp(r->fail_reason, "RunnerEvicted") || run_reason_is_final(r->fail_reason)) return;
    json_array_foreach(at(pod, "status", "conditions"), i, c) {
        if (!strcmp(str(c, "type"), "DisruptionTarget") && !strcmp(str(c, "status"), "True")) {
            snprintf(r->fail_reason, sizeof r->fail_reason, "RunnerEvicted");
            snprintf(r->message, sizeof r->message, "evicted (%s): %.440s", str(c, "reason"), str(c, "message"));
            return;
        }
    }
}

static void observe_pod(const json_t *pod, runner_obs *r) {
    const json_t *md = json_object_get(pod, "metadata");
    const char *phase = str(json_object_get(pod, "status"), "phase");
    r->exists = true;
    snprintf(r->pod, sizeof r->pod, "%s", str(md, "name"));
    snprintf(r->phase, sizeof r->phase, "%s", *phase ? phase : "Pending");
    snprintf(r->node, sizeof r->node, "%s", str(json_object_get(pod, "spec"), "nodeName"));
    r->scheduled = r->node[0] != '\0';
    r->created = run_parse_time(str(md, "creationTimestamp"));
    r->released = json_is_string(at(md, "annotations", RUNNER_START_ANNOTATION));
    r->terminating = json_object_get(md, "deletionTimestamp") != NULL;
    r->succeeded = !strcmp(phase, "Succeeded");
    r->failed = !strcmp(phase, "Failed");
    r->running = !strcmp(phase, "Running") && json_object_get(container_state(pod), "running");
    if (r->failed) failure(pod, r);
    /* A deleted pod's runner is killed by the delete's SIGTERM and the pod may end Failed
     * before it is gone: the delete, not the exit code it caused, is why it failed. */
    if (r->terminating && !r->succeeded && !run_reason_is_final(r->fail_reason)) {
        char was[sizeof r->message];
        snprintf(was, sizeof was, "%s", r->message);
        r->failed = true;
        snprintf(r->fail_reason, sizeof r->fail_reason, "RunnerDeleted");
        snprintf(r->message, sizeof r->message, "runner pod %s was deleted before it finished%s%.400s%s",
                 str(md, "name"), was[0] ? " (" : "", was, was[0] ? ")" : "");
    } else if (!r->failed && !r->running && !r->succeeded) {
        waiting_message(pod, r);
    }
    if (r->failed) disruption(pod, r);
}

static void set_action(run_obs *o, run_action a, const char *reason, const char *fmt, const char *arg1,
                       const char *arg2) {
    o->action = a;
    snprintf(o->reason, sizeof o->reason, "%s", reason);
    snprintf(o->message, sizeof o->message, fmt, arg1, arg2);
}

/* The first failed runner decides: final reasons fail the run, others retry if allowed. */
static bool decide_failure(const bench_spec *spec, run_obs *o) {
    for (int i = 0; i < o->n; i++) {
        runner_obs *r = &o->runners[i];
        if (!r->failed) continue;
        char att[160], msg[512];
        snprintf(msg, sizeof msg, "%s", r->message);
        if (run_reason_is_final(r->fail_reason) || o->attempt >= spec->max_runner_retries) {
            snprintf(att, sizeof att, "runner %s failed%s", r->pod,
                     run_reason_is_final(r->fail_reason) ? "" : " (no retries left)");
            set_action(o, RUN_FAIL, r->fail_reason, "%s: %s", att, msg);
        } else {
            snprintf(att, sizeof att, "runner %s failed, retrying the run", r->pod);
            set_action(o, RUN_RETRY, r->fail_reason, "%s: %s", att, msg);
        }
        return true;
    }
    return false;
}

/* Not all running yet: wait, unless the oldest pod has waited past the timeout. */
static void decide_waiting(const bench_spec *spec, time_t now, run_obs *o) {
    time_t oldest = now;
    const runner_obs *stuck = NULL;
    for (int i = 0; i < o->n; i++) {
        const runner_obs *r = &o->runners[i];
        if (r->created != (time_t)-1 && r->created < oldest) oldest = r->created;
        if (!r->running && !r->succeeded && (!stuck || (stuck->scheduled && !r->scheduled))) stuck = r;
    }
    long left = (long)(oldest + spec->scheduling_timeout_s - now);
    if (left > 0) {
        int scheduled = 0;
        for (int i = 0; i < o->n; i++) scheduled += o->runners[i].scheduled;
        char counts[64];
        snprintf(counts, sizeof counts, "%d/%d runners scheduled", scheduled, o->n);
        set_action(o, RUN_WAIT, "Scheduling", "%s%s", counts, "");
        if (stuck && stuck->message[0]) {
            size_t n = strlen(o->message);
            snprintf(o->message + n, sizeof o->message - n, "; %s: %s", stuck->pod, stuck->message);
        }
        o->requeue_ms = left * 1000L;
        return;
    }
    char t[64];
    snprintf(t, sizeof t, "%d", spec->scheduling_timeout_s);
    if (stuck && !stuck->scheduled)
        set_action(o, RUN_FAIL, "Unschedulable", "runner pods not scheduled within %ss: %s", t,
                   stuck->message[0] ? stuck->message : "no node fits");
    else
        set_action(o, RUN_FAIL, "RunnerNotStarted", "runner pods not running within %ss: %s", t,
                   stuck && stuck->message[0] ? stuck->message : "containers did not start");
}

void run_observe(const bench_spec *spec, const char *run_id, const json_t *pods, time_t now, run_obs *o) {
    memset(o, 0, sizeof *o);
    o->n = spec->runners < RUN_MAX_RUNNERS ? spec->runners : RUN_MAX_RUNNERS;
    size_t i;
    json_t *pod;
    json_array_foreach(pods, i, pod) {
        if (strcmp(str(at(pod, "metadata", "labels"), RUNNER_LABEL_RUN), run_id)) continue;
        int a = label_int(pod, RUNNER_LABEL_ATTEMPT);
        if (a > o->attempt) o->attempt = a;
    }
    for (int k = 0; k < o->n; k++) {
        runner_pod_name(spec->name, run_id, o->attempt, k, o->runners[k].pod, sizeof o->runners[k].pod);
        snprintf(o->runners[k].phase, sizeof o->runners[k].phase, "Missing");
    }
    json_array_foreach(pods, i, pod) {
        const char *name = str(json_object_get(pod, "metadata"), "name");
        int k = label_int(pod, RUNNER_LABEL_INDEX);
        if (k >= 0 && k < o->n && !strcmp(name, o->runners[k].pod)) observe_pod(pod, &o->runners[k]);
    }
    int missing = 0, released = 0, running = 0, succeeded = 0;
    for (int k = 0; k < o->n; k++) {
        runner_obs *r = &o->runners[k];
        missing += !r->exists, released += r->released, running += r->running, succeeded += r->succeeded;
    }
    /* A released run cannot get a runner back: a lost pod fails the attempt. */
    if (missing && released)
        for (int k = 0; k < o->n; k++)
            if (!o->runners[k].exists) {
                runner_obs *r = &o->runners[k];
                r->failed = true;
                snprintf(r->fail_reason, sizeof r->fail_reason, "RunnerLost");
                char pod[64];
                snprintf(pod, sizeof pod, "%s", r->pod);
                snprintf(r->message, sizeof r->message, "runner pod %s disappeared after the release", pod);
            }
    if (decide_failure(spec, o)) return;
    if (missing) {
        char m[32];
        snprintf(m, sizeof m, "%d", missing);
        set_action(o, RUN_CREATE, "Scheduling", "creating %s runner pod(s)%s", m, "");
    } else if (succeeded == o->n) {
        set_action(o, RUN_COLLECT, "CollectingResults", "all %s runners finished%s", "", "");
        snprintf(o->message, sizeof o->message, "all %d runners finished", o->n);
    } else if (released == o->n) {
        set_action(o, RUN_RUNNING, "RunnersRunning", "%s%s", "", "");
        snprintf(o->message, sizeof o->message, "%d/%d runners finished", succeeded, o->n);
    } else if (running + succeeded == o->n) {
        set_action(o, RUN_RELEASE, "RunnersRunning", "%s%s", "", "");
        snprintf(o->message, sizeof o->message, "all %d runners running, releasing them together", o->n);
    } else {
        decide_waiting(spec, now, o);
    }
}

json_t *run_runners_json(const run_obs *o, const char *(*zone_of)(const char *node, void *ud), void *ud) {
    json_t *arr = json_array();
    for (int k = 0; k < o->n; k++) {
        const runner_obs *r = &o->runners[k];
        const char *zone = r->node[0] && zone_of ? zone_of(r->node, ud) : "";
        json_t *e = json_pack("{s:s, s:s}", "pod", r->pod, "phase", r->phase);
        if (r->node[0]) json_object_set_new(e, "node", json_string(r->node));
        if (zone && *zone) json_object_set_new(e, "zone", json_string(zone));
        if (r->message[0]) json_object_set_new(e, "message", json_string(r->message));
        json_array_append_new(arr, e);
    }
    return arr;
}
