/* kube/leader: leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package with the LeaseLock.
 *
 * A candidate tries every retry period to take the Lease: it may when the Lease does not
 * exist, has no holder, or has not changed for leaseDurationSeconds as seen on this
 * process's monotonic clock (so clock skew between machines does not matter). The leader
 * renews every retry period; if it cannot renew for renew_deadline it stops leading at
 * once (on_stopped_leading) and becomes a candidate again. stop() releases a held Lease
 * (holder cleared, leaseDurationSeconds 1) so another replica takes over without waiting.
 * Times written into the Lease are MicroTime: UTC with exactly six fractional digits. */
#ifndef VB_KUBE_LEADER_H
#define VB_KUBE_LEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "kube/client.h"

typedef struct kube_leader kube_leader;

typedef struct kube_leader_opts {
    const char *lease_namespace;
    const char *lease_name;
    const char *identity;        /* unique per replica, e.g. "<hostname>_<random>" */
    long lease_duration_ms;      /* 0: 15000 */
    long renew_deadline_ms;      /* 0: 10000 */
    long retry_period_ms;        /* 0: 2000 */
    /* Called on the election thread; keep them short. */
    void (*on_started_leading)(void *ud);
    void (*on_stopped_leading)(void *ud);
    void (*on_new_leader)(const char *identity, void *ud); /* holder seen changing ("" = none) */
    void *ud;
} kube_leader_opts;

kube_leader *kube_leader_new(kube_client *client, const kube_leader_opts *opts, char *err, size_t errlen);
int kube_leader_start(kube_leader *l, char *err, size_t errlen);
bool kube_leader_is_leader(kube_leader *l);
/* Makes a waiting candidate try again now (e.g. a watch saw the Lease released). */
void kube_leader_poke(kube_leader *l);
/* Stops the election; a held Lease is released first (on_stopped_leading is called). */
void kube_leader_stop(kube_leader *l);
void kube_leader_free(kube_leader *l);

/* Formats t as a Kubernetes MicroTime ("2026-11-25T00:22:13.951293Z"). buf >= 32 bytes. */
void kube_format_microtime(const struct timespec *t, char *buf, size_t len);

#endif
