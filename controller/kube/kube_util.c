#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube_internal.h"

char *kube_strdup0(const char *s) { return s ? strdup(s) : NULL; }

static char *read_stream(FILE *f, const char *path, const char *what, size_t *len, char *err, size_t errlen) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) {
            if (cap > (64u << 20)) {
                snprintf(err, errlen, "%s %s: larger than 64 MiB", what, path);
                free(buf);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s %s: cannot read: %s", what, path, strerror(errno ? errno : EIO));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

char *kube_read_file(const char *path, const char *what, size_t *len, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "%s %s: cannot read: %s", what, path, strerror(e));
        errno = e;
        return NULL;
    }
    return read_stream(f, path, what, len, err, errlen);
}

char *kube_read_regular_file(const char *path, const char *what, size_t *len, char *err, size_t errlen) {
    /* O_NONBLOCK: opening a FIFO named by a hostile config must not hang */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "%s %s: cannot read: %s", what, path, strerror(e));
        errno = e;
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s %s: not a regular file", what, path);
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        snprintf(err, errlen, "%s %s: cannot read: %s", what, path, strerror(errno));
        return NULL;
    }
    return read_stream(f, path, what, len, err, errlen);
}

static int b64_value(int c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

unsigned char *kube_base64_decode(const char *in, size_t *outlen) {
    size_t n = strlen(in);
    unsigned char *out = malloc(n / 4 * 3 + 4);
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)in[i];
        if (isspace(c)) continue;
        if (c == '=') { pad++; continue; }
        int v = b64_value(c);
        if (v < 0 || pad) { free(out); return NULL; }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || bits >= 6) { free(out); return NULL; }
    out[o] = '\0';
    *outlen = o;
    return out;
}

static int parse_digits(const char **p, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p)) return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

int kube_parse_rfc3339(const char *s, time_t *out) {
    struct tm tm = {0};
    int y, mo, d, h, mi, sec;
    const char *p = s;
    if (parse_digits(&p, 4, &y) || *p++ != '-' || parse_digits(&p, 2, &mo) || *p++ != '-' ||
        parse_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (parse_digits(&p, 2, &h) || *p++ != ':' || parse_digits(&p, 2, &mi) || *p++ != ':' ||
        parse_digits(&p, 2, &sec))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p)) p++;
    }
    long offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (parse_digits(&p, 2, &oh) || *p++ != ':' || parse_digits(&p, 2, &om)) return -1;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        return -1;
    }
    if (*p) return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = timegm(&tm) - offset;
    return 0;
}

void kube_one_line(char *dst, size_t n, const char *src) {
    if (n == 0) return;
    size_t o = 0;
    while (*src && isspace((unsigned char)*src)) src++;
    for (; *src && o + 1 < n; src++) {
        if (*src == '\n') {
            const char *q = src;
            while (*q && isspace((unsigned char)*q)) q++;
            if (!*q) break;
            if (o + 2 >= n) break;
            dst[o++] = ';';
            dst[o++] = ' ';
            src = q - 1;
        } else if (*src == '\r' || *src == '\t') {
            dst[o++] = ' ';
        } else {
            dst[o++] = *src;
        }
    }
    while (o > 0 && isspace((unsigned char)dst[o - 1])) o--;
    dst[o] = '\0';
}

void kube_err_sanitize(char *s) {
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) *s = ' ';
}
