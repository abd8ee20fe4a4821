/* dist.h: per-path parameter distributions.
 *
 * Any numeric scenario parameter declared with type IC_T_DIST may be a plain number or a
 * distribution from which each Monte Carlo path draws its own value once, at the start of the
 * path.  Draw i of parameter P on path p is a pure function of (seed, p, hash of P's JSON
 * Pointer): a single uniform u from its own Philox sub-stream, mapped through the inverse CDF.
 * Inverse-CDF sampling keeps draws monotone in u, so a sweep that changes one parameter's
 * distribution moves each path's draw smoothly (common random numbers). */
#ifndef IC_DIST_H
#define IC_DIST_H

#include <stddef.h>
#include <stdint.h>

#define IC_DIST_CHOICE_MAX 16

#define IC_DIST_KIND_LIST(X)                                                                       \
    X(IC_DIST_FIXED, "fixed")                                                                      \
    X(IC_DIST_UNIFORM, "uniform")                                                                  \
    X(IC_DIST_NORMAL, "normal")                                                                    \
    X(IC_DIST_LOGNORMAL, "lognormal")                                                              \
    X(IC_DIST_TRIANGULAR, "triangular")                                                            \
    X(IC_DIST_CHOICE, "choice")

enum ic_dist_kind {
#define IC_X_DK(name, text) name,
    IC_DIST_KIND_LIST(IC_X_DK)
#undef IC_X_DK
        IC_DIST_KIND_COUNT
};

struct ic_dist {
    int kind;
    /* fixed: a = value; uniform: [a, b]; normal: mean a, sd b; lognormal: median a, sigma b;
     * triangular: min a, mode b, max c; choice: values/weights. */
    double a, b, c;
    int n;
    double values[IC_DIST_CHOICE_MAX];
    double weights[IC_DIST_CHOICE_MAX];
    int integer;   /* round draws to the nearest integer */
    double lo, hi; /* the parameter's range: normal and lognormal draws are clamped to it */
    uint32_t slot; /* random sub-stream: ic_hash32 of the JSON Pointer */
};

const char *ic_dist_kind_name(int kind);
int ic_dist_kind_from_name(const char *name); /* -1 when unknown */

static inline struct ic_dist ic_dist_fixed(double v) {
    struct ic_dist d = {0};
    d.kind = IC_DIST_FIXED;
    d.a = v;
    d.lo = -1e308;
    d.hi = 1e308;
    return d;
}

/* Check the distribution's own parameters and that its support lies in [lo, hi].  Writes a
 * description of the first problem found into why and returns -1, or returns 0. */
int ic_dist_check(const struct ic_dist *d, char *why, size_t whysize);

/* Value of the distribution at uniform u in (0, 1) (the inverse CDF). */
double ic_dist_quantile(const struct ic_dist *d, double u);
/* Draw for a path: ic_dist_quantile at the path's uniform for this parameter. */
double ic_dist_draw(const struct ic_dist *d, uint64_t seed, uint64_t path);
/* Mean of the distribution (before clamping), for reports. */
double ic_dist_mean(const struct ic_dist *d);
int ic_dist_is_random(const struct ic_dist *d);
/* A short description: "2.5", "lognormal(median 3, sigma 0.2)". */
void ic_dist_describe(const struct ic_dist *d, char *buf, size_t size);

#endif
