/* kube/httpd: the operator's small HTTP endpoint (/healthz, /readyz, /metrics) served with
 * libwebsockets on its own service thread. One server may listen on several addresses
 * (controller-runtime's separate metrics and health ports); every address serves the
 * same handler. GET/HEAD only; answers are produced whole by the handler. */
#ifndef VB_KUBE_HTTPD_H
#define VB_KUBE_HTTPD_H

#include <stddef.h>

typedef struct kube_httpd kube_httpd;

/* Called on the service thread for each request. Returns the HTTP status; *body gets a
 * malloc'd body (freed by the server), *content_type a static string. */
typedef int (*kube_http_fn)(const char *path, char **body, const char **content_type, void *ud);

/* "host:port", ":port" or "port"; host "" or "0.0.0.0" means all interfaces.
 * Returns 0, or -1 on a malformed address. */
int kube_parse_listen_addr(const char *addr, char *host, size_t hostlen, int *port);

/* Listens on each address (port 0 picks a free port) and starts serving.
 * Returns NULL with err filled when an address is malformed or cannot be bound. */
kube_httpd *kube_httpd_start(const char *const *addrs, int naddrs, kube_http_fn fn, void *ud, char *err,
                             size_t errlen);
/* The port address i actually listens on. */
int kube_httpd_port(kube_httpd *h, int i);
void kube_httpd_stop(kube_httpd *h);

#endif
