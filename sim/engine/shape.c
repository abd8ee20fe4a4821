/* shape.c: comparing the shapes of two plans' results (see shape.h). */
#include "sim/engine/shape.h"

#include <stdio.h>
#include <string.h>

void ic_shape_of(const struct ic_plan *plan, struct ic_shape *s) {
    s->paths = plan->paths;
    s->nout = plan->nout;
    s->store_paths = plan->store_paths;
    s->max_actions = (long)plan->sc->fleet.autoscale.max_actions;
    s->nq = plan->sc->output.quantiles.n;
    s->n_classes = plan->n_classes;
    s->n_inputs = plan->n_inputs;
    s->roles = plan->roles;
}

/* The inputs written to /inputs: fields drawn at random, and the fitted growth. */
static int written_input(const struct ic_input *in) {
    return !in->dist || ic_dist_is_random(in->dist);
}

int ic_shape_compare(const struct ic_plan *a, const struct ic_plan *b, char *buf, size_t n) {
    const struct ic_scenario *x = a->sc, *y = b->sc;
    if (a->paths != b->paths) {
        snprintf(buf, n, "the number of paths (%ld vs %ld)", a->paths, b->paths);
        return 1;
    }
    if (a->nout != b->nout) {
        snprintf(buf, n, "the output grid (%ld vs %ld times)", a->nout, b->nout);
        return 1;
    }
    for (long j = 0; j < a->nout; j++)
        if (a->time_s[j] != b->time_s[j]) {
            snprintf(buf, n, "the output times (%g s vs %g s at index %ld)", a->time_s[j],
                     b->time_s[j], j);
            return 1;
        }
    if (a->store_paths != b->store_paths) {
        snprintf(buf, n, "the stored paths (%ld vs %ld)", a->store_paths, b->store_paths);
        return 1;
    }
    if (x->output.quantiles.n != y->output.quantiles.n ||
        memcmp(x->output.quantiles.v, y->output.quantiles.v,
               (size_t)x->output.quantiles.n * sizeof(double)) != 0) {
        snprintf(buf, n, "the quantiles of the bands");
        return 1;
    }
    if (a->n_classes != b->n_classes) {
        snprintf(buf, n, "the request classes (%d vs %d)", a->n_classes, b->n_classes);
        return 1;
    }
    for (int c = 0; c < a->n_classes; c++)
        if (strcmp(x->workload.classes[c].name, y->workload.classes[c].name) != 0) {
            snprintf(buf, n, "the name of request class %d (\"%s\" vs \"%s\")", c,
                     x->workload.classes[c].name, y->workload.classes[c].name);
            return 1;
        }
    if (a->roles != b->roles) {
        snprintf(buf, n, "a prefill/decode fleet (/fleet/roles) in one, not the other");
        return 1;
    }
    if (x->fleet.autoscale.max_actions != y->fleet.autoscale.max_actions) {
        snprintf(buf, n, "/fleet/autoscale/max_actions");
        return 1;
    }
    int i = 0, j = 0;
    for (;;) {
        while (i < a->n_inputs && !written_input(&a->inputs[i])) i++;
        while (j < b->n_inputs && !written_input(&b->inputs[j])) j++;
        int ea = i >= a->n_inputs, eb = j >= b->n_inputs;
        if (ea && eb) break;
        if (ea != eb || strcmp(a->inputs[i].pointer, b->inputs[j].pointer) != 0) {
            snprintf(buf, n,
                     "the fields drawn per path (%s is a distribution in one, not the other)",
                     ea ? b->inputs[j].pointer : a->inputs[i].pointer);
            return 1;
        }
        i++;
        j++;
    }
    return 0;
}
