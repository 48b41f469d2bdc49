/* The epoll backend of ev.h. */
#include "engine/ev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EV_BATCH 256

typedef struct ev_file {
    int mask;
    ev_handler *handler;
    void *data;
} ev_file;

struct ev_loop {
    int epfd;
    ev_file *files; /* indexed by fd */
    int nfiles;
    struct epoll_event events[EV_BATCH];
};

ev_loop *ev_create(void) {
    ev_loop *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) {
        free(l);
        return NULL;
    }
    return l;
}

void ev_free(ev_loop *l) {
    if (!l) return;
    close(l->epfd);
    free(l->files);
    free(l);
}

static int grow(ev_loop *l, int fd) {
    if (fd < l->nfiles) return 0;
    int n = l->nfiles ? l->nfiles : 64;
    while (n <= fd) n *= 2;
    ev_file *f = realloc(l->files, (size_t)n * sizeof *f);
    if (!f) return -1;
    memset(f + l->nfiles, 0, (size_t)(n - l->nfiles) * sizeof *f);
    l->files = f;
    l->nfiles = n;
    return 0;
}

int ev_set(ev_loop *l, int fd, int mask, ev_handler *handler, void *data) {
    if (fd < 0 || grow(l, fd) != 0) return -1;
    ev_file *f = &l->files[fd];
    int op = f->handler ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (f->handler && f->mask == mask) {
        f->handler = handler;
        f->data = data;
        return 0;
    }
    struct epoll_event ee = {0};
    if (mask & EV_READABLE) ee.events |= EPOLLIN;
    if (mask & EV_WRITABLE) ee.events |= EPOLLOUT;
    ee.data.fd = fd;
    if (epoll_ctl(l->epfd, op, fd, &ee) != 0) return -1;
    f->mask = mask;
    f->handler = handler;
    f->data = data;
    return 0;
}

void ev_del(ev_loop *l, int fd) {
    if (fd < 0 || fd >= l->nfiles || !l->files[fd].handler) return;
    struct epoll_event ee = {0};
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, &ee);
    memset(&l->files[fd], 0, sizeof l->files[fd]);
}

int ev_poll(ev_loop *l, int timeout_ms) {
    int n = epoll_wait(l->epfd, l->events, EV_BATCH, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        struct epoll_event *e = &l->events[i];
        int fd = e->data.fd;
        /* A handler may have removed this fd (or another one) meanwhile. */
        if (fd >= l->nfiles || !l->files[fd].handler) continue;
        int mask = 0;
        if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) mask |= EV_READABLE;
        if (e->events & EPOLLOUT) mask |= EV_WRITABLE;
        ev_file *f = &l->files[fd];
        f->handler(l, fd, f->data, mask & (f->mask | EV_READABLE));
    }
    return n;
}
