/* REST verbs on top of kube_http_do: JSON in, JSON out, Status on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

/* Runs the request and decodes a JSON answer into *out (when out is not NULL). */
static int call_json(kube_client *c, const char *method, const char *url, const char *content_type, json_t *body,
                     json_t **out, kube_status *st) {
    if (out) *out = NULL;
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !payload) {
        kube_status_set(st, 0, "BadRequest", "%s %s: the body cannot be encoded as JSON", method, url);
        return -1;
    }
    kube_http_req req = {.method = method, .url = url, .content_type = content_type, .body = payload,
                         .body_len = payload ? strlen(payload) : 0};
    kube_http_resp resp;
    int rc = kube_http_do(c, &req, &resp, st);
    if (rc == 0 && out && resp.len > 0) {
        json_error_t je;
        *out = json_loadb(resp.body, resp.len, 0, &je);
        if (!*out) {
            kube_status_set(st, resp.code, "InvalidResponse", "%s %s: answer is not JSON: %s", method, url, je.text);
            rc = -1;
        }
    }
    kube_http_resp_free(&resp);
    free(payload);
    return rc;
}

int kube_get(kube_client *c, const kube_resource *r, const char *ns, const char *name, json_t **out,
             kube_status *st) {
    char *url = kube_build_url(c->base, r, ns, name, NULL, NULL, false, NULL, NULL);
    int rc = call_json(c, "GET", url, NULL, NULL, out, st);
    free(url);
    return rc;
}

/* One page; returns its `continue` token (borrowed from *page) through *cont. */
static int list_page(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts,
                     const char *cont, json_t **page, const char **next, kube_status *st) {
    char *url = kube_build_url(c->base, r, ns, NULL, NULL, opts, false, cont, NULL);
    int rc = call_json(c, "GET", url, NULL, NULL, page, st);
    free(url);
    *next = NULL;
    if (rc) return -1;
    if (!json_is_array(json_object_get(*page, "items"))) {
        kube_status_set(st, 200, "InvalidResponse", "LIST %s: answer has no items array", r->plural);
        json_decref(*page);
        *page = NULL;
        return -1;
    }
    *next = json_string_value(json_object_get(json_object_get(*page, "metadata"), "continue"));
    if (*next && !**next) *next = NULL;
    return 0;
}

static int list_all(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts,
                    json_t **out, kube_status *st) {
    json_t *first = NULL;
    const char *cont = NULL;
    if (list_page(c, r, ns, opts, NULL, &first, &cont, st)) return -1;
    json_t *items = json_object_get(first, "items");
    /* The server rejects resourceVersion together with continue: the token carries it. */
    kube_list_opts more = opts ? *opts : (kube_list_opts){0};
    more.resource_version = NULL;
    char *token = cont ? strdup(cont) : NULL;
    while (token) {
        json_t *page;
        const char *next;
        int rc = list_page(c, r, ns, &more, token, &page, &next, st);
        free(token);
        token = NULL;
        if (rc) {
            json_decref(first);
            return -1;
        }
        json_array_extend(items, json_object_get(page, "items"));
        token = next ? strdup(next) : NULL;
        json_decref(page);
    }
    json_t *md = json_object_get(first, "metadata");
    if (json_is_object(md)) {
        json_object_del(md, "continue");
        json_object_del(md, "remainingItemCount");
    }
    *out = first;
    return 0;
}

int kube_list(kube_client *c, const kube_resource *r, const char *ns, const kube_list_opts *opts, json_t **out,
              kube_status *st) {
    *out = NULL;
    int rc = list_all(c, r, ns, opts, out, st);
    /* A continue token expires (410) when its snapshot is compacted away; like client-go's
     * pager, fall back to one unpaginated list. */
    if (rc && kube_is_gone(st) && opts && opts->limit > 0) {
        kube_list_opts whole = *opts;
        whole.limit = 0;
        rc = list_all(c, r, ns, &whole, out, st);
    }
    return rc;
}

int kube_create(kube_client *c, const kube_resource *r, const char *ns, json_t *obj, json_t **out,
                kube_status *st) {
    char *url = kube_build_url(c->base, r, ns, NULL, NULL, NULL, false, NULL, NULL);
    int rc = call_json(c, "POST", url, NULL, obj, out, st);
    free(url);
    return rc;
}

static int put(kube_client *c, const kube_resource *r, const char *ns, const char *name, const char *sub,
               json_t *obj, json_t **out, kube_status *st) {
    char *url = kube_build_url(c->base, r, ns, name, sub, NULL, false, NULL, NULL);
    int rc = call_json(c, "PUT", url, NULL, obj, out, st);
    free(url);
    return rc;
}

int kube_update(kube_client *c, const kube_resource *r, const char *ns, const char *name, json_t *obj,
                json_t **out, kube_status *st) {
    return put(c, r, ns, name, NULL, obj, out, st);
}

int kube_update_status(kube_client *c, const kube_resource *r, const char *ns, const char *name, json_t *obj,
                       json_t **out, kube_status *st) {
    return put(c, r, ns, name, "status", obj, out, st);
}

int kube_patch(kube_client *c, const kube_resource *r, const char *ns, const char *name, const char *subresource,
               kube_patch_type type, json_t *patch, json_t **out, kube_status *st) {
    static const char *const types[] = {"application/merge-patch+json", "application/json-patch+json",
                                        "application/strategic-merge-patch+json"};
    char *url = kube_build_url(c->base, r, ns, name, subresource, NULL, false, NULL, NULL);
    int rc = call_json(c, "PATCH", url, types[type], patch, out, st);
    free(url);
    return rc;
}

int kube_delete(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                kube_propagation propagation, json_t **out, kube_status *st) {
    static const char *const policies[] = {NULL, "Background", "Foreground", "Orphan"};
    json_t *body = NULL;
    if (propagation != KUBE_PROPAGATION_DEFAULT)
        body = json_pack("{s:s, s:s, s:s}", "kind", "DeleteOptions", "apiVersion", "v1", "propagationPolicy",
                         policies[propagation]);
    char *url = kube_build_url(c->base, r, ns, name, NULL, NULL, false, NULL, NULL);
    int rc = call_json(c, "DELETE", url, NULL, body, out, st);
    free(url);
    json_decref(body);
    return rc;
}

int kube_pod_log(kube_client *c, const char *ns, const char *pod, const char *container, char **out,
                 size_t *outlen, kube_status *st) {
    char *extra = NULL;
    if (container) {
        char *e = kube_escape(container);
        if (asprintf(&extra, "container=%s", e) < 0) extra = NULL;
        free(e);
    }
    char *url = kube_build_url(c->base, &KUBE_PODS, ns, pod, "log", NULL, false, NULL, extra);
    free(extra);
    kube_http_req req = {.method = "GET", .url = url, .accept = "*/*"};
    kube_http_resp resp;
    int rc = kube_http_do(c, &req, &resp, st);
    *out = NULL;
    if (outlen) *outlen = 0;
    if (rc == 0) {
        *out = resp.body ? resp.body : strdup("");
        if (outlen) *outlen = resp.len;
        resp.body = NULL;
    }
    kube_http_resp_free(&resp);
    free(url);
    return rc;
}

int kube_request(kube_client *c, const char *method, const char *path, const char *content_type, json_t *body,
                 json_t **out, kube_status *st) {
    char *url;
    if (asprintf(&url, "%s%s%s", c->base, path[0] == '/' ? "" : "/", path) < 0) return -1;
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    kube_http_req req = {.method = method, .url = url, .content_type = content_type, .body = payload,
                         .body_len = payload ? strlen(payload) : 0, .accept = "application/json, */*"};
    kube_http_resp resp;
    int rc = kube_http_do(c, &req, &resp, st);
    if (out) {
        *out = NULL;
        /* Non-JSON answers (/healthz "ok") come back as a JSON string. */
        if (rc == 0 && resp.len > 0 && !(*out = json_loadb(resp.body, resp.len, 0, NULL)))
            *out = json_stringn(resp.body, resp.len);
    }
    kube_http_resp_free(&resp);
    free(payload);
    free(url);
    return rc;
}
