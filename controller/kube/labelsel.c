#include "kube/labelsel.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS } sel_op;

typedef struct requirement {
    char *key;
    sel_op op;
    char **values;
    size_t nvalues;
} requirement;

struct kube_labelsel {
    requirement *reqs;
    size_t n;
};

static bool name_char(char c) {
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '/';
}

static void skip_ws(const char **p) {
    while (**p == ' ' || **p == '\t') (*p)++;
}

static char *read_name(const char **p) {
    const char *s = *p;
    while (name_char(**p)) (*p)++;
    return strndup(s, (size_t)(*p - s));
}

void kube_labelsel_free(kube_labelsel *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->reqs[i].key);
        for (size_t j = 0; j < s->reqs[i].nvalues; j++) free(s->reqs[i].values[j]);
        free(s->reqs[i].values);
    }
    free(s->reqs);
    free(s);
}

static void add_value(requirement *r, char *v) {
    r->values = realloc(r->values, (r->nvalues + 1) * sizeof *r->values);
    r->values[r->nvalues++] = v;
}

/* Parses "(a, b, c)" at *p into r's values. */
static int parse_set(const char **p, requirement *r) {
    skip_ws(p);
    if (**p != '(') return -1;
    (*p)++;
    for (;;) {
        skip_ws(p);
        add_value(r, read_name(p));
        skip_ws(p);
        if (**p == ',') { (*p)++; continue; }
        if (**p == ')') { (*p)++; return 0; }
        return -1;
    }
}

static int parse_requirement(const char **p, requirement *r) {
    skip_ws(p);
    if (**p == '!') {
        (*p)++;
        skip_ws(p);
        r->op = OP_NOT_EXISTS;
        r->key = read_name(p);
        return r->key[0] ? 0 : -1;
    }
    r->key = read_name(p);
    if (!r->key[0]) return -1;
    skip_ws(p);
    if (**p == '\0' || **p == ',') {
        r->op = OP_EXISTS;
        return 0;
    }
    if (**p == '=' || (**p == '!' && (*p)[1] == '=')) {
        r->op = **p == '!' ? OP_NE : OP_EQ;
        *p += (**p == '!' || (*p)[1] == '=') ? 2 : 1;
        skip_ws(p);
        add_value(r, read_name(p));
        return 0;
    }
    if (strncmp(*p, "notin", 5) == 0 && !name_char((*p)[5])) {
        r->op = OP_NOTIN;
        *p += 5;
        return parse_set(p, r);
    }
    if (strncmp(*p, "in", 2) == 0 && !name_char((*p)[2])) {
        r->op = OP_IN;
        *p += 2;
        return parse_set(p, r);
    }
    return -1;
}

kube_labelsel *kube_labelsel_parse(const char *sel, char *err, size_t errlen) {
    kube_labelsel *s = calloc(1, sizeof *s);
    if (!sel) return s;
    const char *p = sel;
    skip_ws(&p);
    while (*p) {
        s->reqs = realloc(s->reqs, (s->n + 1) * sizeof *s->reqs);
        requirement *r = &s->reqs[s->n++];
        memset(r, 0, sizeof *r);
        if (parse_requirement(&p, r) != 0) goto bad;
        skip_ws(&p);
        if (*p == ',') {
            p++;
            skip_ws(&p);
            if (!*p) goto bad;
        } else if (*p) {
            goto bad;
        }
    }
    return s;
bad:
    if (err) snprintf(err, errlen, "invalid label selector \"%s\" near offset %d", sel, (int)(p - sel));
    kube_labelsel_free(s);
    return NULL;
}

static bool in_values(const requirement *r, const char *v) {
    for (size_t i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0) return true;
    return false;
}

int kube_labelsel_matches(const kube_labelsel *s, json_t *labels) {
    if (!s) return 1;
    for (size_t i = 0; i < s->n; i++) {
        const requirement *r = &s->reqs[i];
        json_t *jv = labels ? json_object_get(labels, r->key) : NULL;
        const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
        bool ok;
        switch (r->op) {
        case OP_EQ: ok = v && strcmp(v, r->values[0]) == 0; break;
        case OP_NE: ok = !v || strcmp(v, r->values[0]) != 0; break;
        case OP_IN: ok = v && in_values(r, v); break;
        case OP_NOTIN: ok = !v || !in_values(r, v); break;
        case OP_EXISTS: ok = v != NULL; break;
        default: ok = v == NULL; break;
        }
        if (!ok) return 0;
    }
    return 1;
}
