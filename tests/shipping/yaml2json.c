/* yaml2json: prints the YAML documents of a file (or stdin) as one JSON array, so the
 * shipping tests can inspect CRDs, manifests and Argo CD testdata with python3's stdlib.
 * Plain scalars are resolved the way Kubernetes' YAML reader does for the files we ship
 * (null, booleans, integers, floats); quoted and block scalars stay strings.
 * Usage: yaml2json [FILE]   exit 1 with one line on stderr on a parse error. */
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_ANCHORS 256

struct anchor {
  char *name;
  json_t *value;
};

struct reader {
  yaml_parser_t parser;
  struct anchor anchors[MAX_ANCHORS];
  int nanchors;
  char err[256];
};

static int match(const char *re, const char *s) {
  regex_t rx;
  if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0) return 0;
  int ok = regexec(&rx, s, 0, NULL, 0) == 0;
  regfree(&rx);
  return ok;
}

static json_t *resolve_plain(const char *s) {
  if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
    return json_null();
  if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) return json_true();
  if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) return json_false();
  if (match("^[-+]?[0-9]+$", s)) {
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno == 0) return json_integer(v);
  }
  if (match("^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$", s))
    return json_real(strtod(s, NULL));
  return json_string(s);
}

static int remember(struct reader *r, const yaml_char_t *anchor, json_t *v) {
  if (!anchor) return 0;
  if (r->nanchors == MAX_ANCHORS) {
    snprintf(r->err, sizeof r->err, "too many anchors");
    return -1;
  }
  r->anchors[r->nanchors].name = strdup((const char *)anchor);
  r->anchors[r->nanchors].value = json_incref(v);
  r->nanchors++;
  return 0;
}

static json_t *parse_node(struct reader *r, yaml_event_t *ev);

static int next(struct reader *r, yaml_event_t *ev) {
  if (!yaml_parser_parse(&r->parser, ev)) {
    snprintf(r->err, sizeof r->err, "line %zu: %s", r->parser.problem_mark.line + 1,
             r->parser.problem ? r->parser.problem : "parse error");
    return -1;
  }
  return 0;
}

static json_t *parse_scalar(struct reader *r, yaml_event_t *ev) {
  const char *text = (const char *)ev->data.scalar.value;
  const char *tag = (const char *)ev->data.scalar.tag;
  json_t *v;
  if (tag && !strcmp(tag, YAML_STR_TAG))
    v = json_stringn(text, ev->data.scalar.length);
  else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
    v = resolve_plain(text);
  else
    v = json_stringn(text, ev->data.scalar.length);
  if (!v) {
    snprintf(r->err, sizeof r->err, "line %zu: invalid scalar", ev->start_mark.line + 1);
    return NULL;
  }
  if (remember(r, ev->data.scalar.anchor, v) < 0) { json_decref(v); return NULL; }
  return v;
}

static json_t *parse_sequence(struct reader *r, yaml_event_t *start) {
  json_t *arr = json_array();
  if (remember(r, start->data.sequence_start.anchor, arr) < 0) { json_decref(arr); return NULL; }
  for (;;) {
    yaml_event_t ev;
    if (next(r, &ev) < 0) { json_decref(arr); return NULL; }
    if (ev.type == YAML_SEQUENCE_END_EVENT) { yaml_event_delete(&ev); return arr; }
    json_t *item = parse_node(r, &ev);
    yaml_event_delete(&ev);
    if (!item) { json_decref(arr); return NULL; }
    json_array_append_new(arr, item);
  }
}

static json_t *parse_mapping(struct reader *r, yaml_event_t *start) {
  json_t *obj = json_object();
  if (remember(r, start->data.mapping_start.anchor, obj) < 0) { json_decref(obj); return NULL; }
  for (;;) {
    yaml_event_t kev;
    if (next(r, &kev) < 0) { json_decref(obj); return NULL; }
    if (kev.type == YAML_MAPPING_END_EVENT) { yaml_event_delete(&kev); return obj; }
    if (kev.type != YAML_SCALAR_EVENT) {
      snprintf(r->err, sizeof r->err, "line %zu: only scalar mapping keys are supported",
               kev.start_mark.line + 1);
      yaml_event_delete(&kev); json_decref(obj); return NULL;
    }
    char *key = strdup((const char *)kev.data.scalar.value);
    size_t line = kev.start_mark.line + 1;
    yaml_event_delete(&kev);
    yaml_event_t vev;
    if (next(r, &vev) < 0) { free(key); json_decref(obj); return NULL; }
    json_t *val = parse_node(r, &vev);
    yaml_event_delete(&vev);
    if (!val) { free(key); json_decref(obj); return NULL; }
    if (json_object_get(obj, key)) {
      snprintf(r->err, sizeof r->err, "line %zu: duplicate key \"%s\"", line, key);
      json_decref(val); free(key); json_decref(obj); return NULL;
    }
    json_object_set_new(obj, key, val);
    free(key);
  }
}

static json_t *parse_node(struct reader *r, yaml_event_t *ev) {
  switch (ev->type) {
  case YAML_SCALAR_EVENT: return parse_scalar(r, ev);
  case YAML_SEQUENCE_START_EVENT: return parse_sequence(r, ev);
  case YAML_MAPPING_START_EVENT: return parse_mapping(r, ev);
  case YAML_ALIAS_EVENT:
    for (int i = r->nanchors - 1; i >= 0; i--)
      if (!strcmp(r->anchors[i].name, (const char *)ev->data.alias.anchor))
        return json_deep_copy(r->anchors[i].value);
    snprintf(r->err, sizeof r->err, "line %zu: unknown alias", ev->start_mark.line + 1);
    return NULL;
  default:
    snprintf(r->err, sizeof r->err, "line %zu: unexpected event", ev->start_mark.line + 1);
    return NULL;
  }
}

/* Reads every document; an empty document (only comments) is skipped, like kubectl does. */
static json_t *parse_stream(struct reader *r) {
  json_t *docs = json_array();
  for (;;) {
    yaml_event_t ev;
    if (next(r, &ev) < 0) { json_decref(docs); return NULL; }
    yaml_event_type_t type = ev.type;
    if (type == YAML_STREAM_END_EVENT) { yaml_event_delete(&ev); return docs; }
    if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT ||
        type == YAML_DOCUMENT_START_EVENT) { yaml_event_delete(&ev); continue; }
    json_t *doc = parse_node(r, &ev);
    yaml_event_delete(&ev);
    if (!doc) { json_decref(docs); return NULL; }
    if (json_is_null(doc)) json_decref(doc);
    else json_array_append_new(docs, doc);
  }
}

int main(int argc, char **argv) {
  FILE *in = stdin;
  if (argc > 2) { fprintf(stderr, "usage: yaml2json [FILE]\n"); return 2; }
  if (argc == 2 && !(in = fopen(argv[1], "rb"))) {
    fprintf(stderr, "yaml2json: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct reader r = {0};
  yaml_parser_initialize(&r.parser);
  yaml_parser_set_input_file(&r.parser, in);
  json_t *docs = parse_stream(&r);
  yaml_parser_delete(&r.parser);
  for (int i = 0; i < r.nanchors; i++) { free(r.anchors[i].name); json_decref(r.anchors[i].value); }
  if (in != stdin) fclose(in);
  if (!docs) {
    fprintf(stderr, "yaml2json: %s: %s\n", argc == 2 ? argv[1] : "stdin", r.err);
    return 1;
  }
  json_dumpf(docs, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
  fputc('\n', stdout);
  json_decref(docs);
  return 0;
}
