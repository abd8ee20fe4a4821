/* shape.h: what the shape of a run's result depends on (paths, output grid, stored paths,
 * quantiles, request classes, fields drawn per path), to check that every point of a sweep
 * gives results of the same shape (see sim/config/sweep.h).  Moved from sweep.h: it reads the
 * engine's plan, so it belongs to the engine layer. */
#ifndef IC_SHAPE_H
#define IC_SHAPE_H

#include "sim/engine/engine.h"

#include <stddef.h>

/* What a result's shape depends on, to check that every point of a sweep has the same. */
struct ic_shape {
    long paths, nout, store_paths, max_actions;
    int nq, n_classes, n_inputs;
    int roles; /* a prefill/decode fleet: its series and summaries */
};
void ic_shape_of(const struct ic_plan *plan, struct ic_shape *s);
/* 0 when equal; otherwise a message saying what differs (e.g. "the output grid (24 vs 48
 * times)") in buf. */
int ic_shape_compare(const struct ic_plan *a, const struct ic_plan *b, char *buf, size_t n);

#endif
