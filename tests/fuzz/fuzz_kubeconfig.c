/* Fuzz target: the kubeconfig YAML parser and resolver (libyaml tree, merged lookups,
 * -data fields written to temp files, exec/user/cluster validation). Never runs plugins. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* the first byte picks an explicit context or current-context */
    const char *context = NULL;
    if (size > 0 && (data[0] & 1)) context = "a";
    kube_config *cfg = calloc(1, sizeof *cfg);
    char err[512];
    int rc = kube_kubeconfig_load_buffer((const char *)data, size, "/nonexistent-vb-fuzz/kubeconfig", context, cfg,
                                         err, sizeof err);
    if (rc == 0 && !cfg->server) abort(); /* success always yields a server */
    if (rc != 0 && (!err[0] || strchr(err, '\n'))) abort(); /* errors are one non-empty line */
    kube_config_free(cfg);
    return 0;
}
