/* engine/ev: a minimal readiness event loop (one per thread), in the style of Valkey's
 * ae: the loop maps fds to a handler and its data; the platform part (epoll) lives
 * alone in ev_epoll.c. Level-triggered. Not thread-safe: one loop per thread. */
#ifndef VB_ENGINE_EV_H
#define VB_ENGINE_EV_H

#define EV_READABLE 1
#define EV_WRITABLE 2

typedef struct ev_loop ev_loop;
/* mask: the EV_* events that fired (an error or hang-up reports as readable, so the
 * handler's read sees it). */
typedef void ev_handler(ev_loop *loop, int fd, void *data, int mask);

ev_loop *ev_create(void);
void ev_free(ev_loop *loop);
/* Registers fd with mask; a second call changes the mask (0 keeps it registered). */
int ev_set(ev_loop *loop, int fd, int mask, ev_handler *handler, void *data);
void ev_del(ev_loop *loop, int fd);
/* Waits up to timeout_ms for events and dispatches them; returns how many, -1 on error. */
int ev_poll(ev_loop *loop, int timeout_ms);

#endif
