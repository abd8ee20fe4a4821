/* sweep.h: parameter sweeps.
 *
 * A scenario's /sweep block (and `--sweep` options, folded into it by the loader) names axes:
 * a field (JSON Pointer) and its values.  The points of the sweep are the Cartesian product of
 * the axes, numbered in row-major order (the last axis varies fastest).  Point k runs the base
 * scenario with one override per axis, `/pointer=value`, through the same readers as `--set`
 * (point 0 from the text, the others by overriding point 0's fields: ic_scenario_override), so
 * every point is validated like a scenario of its own.  Every point uses the scenario's seed
 * and so the same random paths (common random numbers: curves over a sweep are smooth and the
 * capacity solver monotone).  Points must give results of the same shape (paths, output grid,
 * request classes, fields drawn per path), since each axis becomes a leading dimension of
 * every dataset of the result file. */
#ifndef IC_SWEEP_H
#define IC_SWEEP_H

#include "sim/core/error.h"
#include "sim/config/scenario.h"

#define IC_SWEEP_MAX_POINTS 1000000L

struct ic_sweep_axis {
    char pointer[256];
    char name[IC_NAME_MAX]; /* the dimension's name: letters, digits and '_' */
    long n;
    char **values; /* [n] each value as JSON text, ready for "/pointer=VALUE" */
    double *coord; /* [n] the value when every value is a number */
    int numeric;   /* every value is a number: the coordinate is coord, else the text */
    char **labels; /* [n] strings for a string coordinate (a string value without quotes) */
};

struct ic_sweep {
    int n_axes;
    struct ic_sweep_axis axes[IC_SWEEP_MAX_AXES];
    long n_points; /* 1 when there are no axes */
};

/* Expand the scenario's /sweep block into axes.  Errors name the file (label) and the field. */
int ic_sweep_expand(const struct ic_scenario *sc, const char *label, struct ic_sweep *sw,
                    struct ic_error *err);
void ic_sweep_free(struct ic_sweep *sw);

/* The index of point k along each axis. */
void ic_sweep_index(const struct ic_sweep *sw, long k, long idx[IC_SWEEP_MAX_AXES]);

/* The overrides of point k, "/pointer=VALUE" in buf[a] (each of size n), one per axis. */
int ic_sweep_point_sets(const struct ic_sweep *sw, long k, char (*buf)[4352], struct ic_error *err);

/* "accelerators=512, accelerator=nvidia_h100_sxm" (or "" without axes). */
void ic_sweep_point_label(const struct ic_sweep *sw, long k, char *buf, size_t n);

/* FNV-1a 64-bit hash of a text, as 16 hex digits: the identity of a resolved scenario, which
 * shards, parts and resumed runs must share. */
void ic_hash_text(const char *text, char out[17]);

#endif
