/* kube/labelsel: label selectors evaluated locally (the informer cache's list by label).
 *
 * Syntax as kubectl/apimachinery: comma-separated requirements, all must hold:
 *   key=value  key==value  key!=value  key in (a,b)  key notin (a,b)  key  !key
 * `!=` and `notin` also match objects without the key. An empty selector matches all. */
#ifndef VB_KUBE_LABELSEL_H
#define VB_KUBE_LABELSEL_H

#include <jansson.h>
#include <stddef.h>

typedef struct kube_labelsel kube_labelsel;

/* Parses sel; returns NULL with err filled on a syntax error. NULL/"" selects everything. */
kube_labelsel *kube_labelsel_parse(const char *sel, char *err, size_t errlen);
void kube_labelsel_free(kube_labelsel *s);
/* labels: the object's metadata.labels (may be NULL). Returns 1 on match, 0 otherwise. */
int kube_labelsel_matches(const kube_labelsel *s, json_t *labels);

#endif
