#include <stdio.h>

#include "operator/benchmark_controller.h"
#include "operator/operator.h"
#include "operator/topologycheck_controller.h"

typedef struct registration {
    const char *name;
    operator_register_fn fn;
} registration;

/* One line per kind, e.g. {"valkeybenchmark", benchmark_controller_register}. */
static const registration table[] = {
    {"valkeybenchmark", benchmark_controller_register},
    {"valkeytopologycheck", topologycheck_controller_register},
    {NULL, NULL},
};

int operator_register_controllers(kube_manager *m, char *err, size_t errlen) {
    for (const registration *r = table; r->name; r++) {
        char why[512] = "";
        if (r->fn(m, why, sizeof why) != 0) {
            snprintf(err, errlen, "registering controller %s: %s", r->name, why);
            return -1;
        }
    }
    return 0;
}

int operator_controller_count(void) {
    int n = 0;
    for (const registration *r = table; r->name; r++) n++;
    return n;
}
