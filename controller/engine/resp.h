/* engine/resp: classify RESP replies without building them.
 *
 * Wraps hiredis's redisReader with a redisReplyObjectFunctions table whose functions
 * return static markers instead of allocating reply objects: the engine only needs to
 * know, per reply, "success", "error", "MOVED" or "ASK" (with the redirect's target).
 * Parsing stays in hiredis; the socket I/O is the caller's. */
#ifndef VB_ENGINE_RESP_H
#define VB_ENGINE_RESP_H

#include <stddef.h>

typedef enum { REPLY_OK = 0, REPLY_ERROR, REPLY_MOVED, REPLY_ASK } reply_kind;

typedef struct resp_redirect {
    unsigned slot;
    char host[256]; /* empty when the server left it out (same host as the connection) */
    int port;
} resp_redirect;

typedef struct resp_reader {
    void *reader;            /* redisReader */
    resp_redirect redirect;  /* target of the last MOVED/ASK reply */
    char error[128];         /* the last error reply (truncated) */
} resp_reader;

/* Parses "MOVED <slot> <host>:<port>" / "ASK <slot> <host>:<port>" (the error text
 * without the leading '-'). Returns REPLY_MOVED/REPLY_ASK with out filled, else
 * REPLY_ERROR (any other or malformed error). */
reply_kind resp_parse_redirect(const char *s, size_t len, resp_redirect *out);

int resp_reader_init(resp_reader *r);
void resp_reader_free(resp_reader *r);
/* Appends received bytes. 0, or -1 when out of memory. */
int resp_reader_feed(resp_reader *r, const char *data, size_t len);
/* Next complete reply: 1 with *kind set, 0 when more bytes are needed, -1 on a
 * protocol error (error holds hiredis's message). */
int resp_reader_next(resp_reader *r, reply_kind *kind);

#endif
