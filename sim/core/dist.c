/* dist.c: per-path parameter distributions (see dist.h).
 *
 * Inverse CDFs: normal via GSL's gsl_cdf_ugaussian_Pinv (Wichura 1988, AS241, ~1e-16
 * relative accuracy); lognormal as exp of a normal quantile; triangular in closed form;
 * weighted choice by the cumulative weights. */
#include "sim/core/dist.h"

#include "sim/core/rng.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const kind_names[] = {
#define IC_X_DK(name, text) text,
    IC_DIST_KIND_LIST(IC_X_DK)
#undef IC_X_DK
};

const char *ic_dist_kind_name(int kind) {
    return kind >= 0 && kind < IC_DIST_KIND_COUNT ? kind_names[kind] : "?";
}

int ic_dist_kind_from_name(const char *name) {
    for (int k = 0; k < IC_DIST_KIND_COUNT; k++)
        if (strcmp(kind_names[k], name) == 0) return k;
    return -1;
}

static int fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

int ic_dist_check(const struct ic_dist *d, char *why, size_t n) {
    double lo = d->lo, hi = d->hi;
    switch (d->kind) {
    case IC_DIST_FIXED:
        if (!isfinite(d->a)) return fail(why, n, "a finite number (got %g)", d->a);
        if (d->a < lo || d->a > hi) return fail(why, n, "a value in [%g, %g]", lo, hi);
        return 0;
    case IC_DIST_UNIFORM:
        if (!(d->a < d->b)) return fail(why, n, "min < max (got min %g, max %g)", d->a, d->b);
        if (d->a < lo || d->b > hi) return fail(why, n, "min and max within [%g, %g]", lo, hi);
        return 0;
    case IC_DIST_NORMAL:
        if (!(d->b > 0)) return fail(why, n, "sd > 0 (got %g)", d->b);
        if (d->a < lo || d->a > hi) return fail(why, n, "a mean within [%g, %g]", lo, hi);
        return 0;
    case IC_DIST_LOGNORMAL:
        if (!(d->a > 0)) return fail(why, n, "median > 0 (got %g)", d->a);
        if (!(d->b > 0)) return fail(why, n, "sigma > 0 (got %g)", d->b);
        if (d->a < lo || d->a > hi) return fail(why, n, "a median within [%g, %g]", lo, hi);
        return 0;
    case IC_DIST_TRIANGULAR:
        if (!(d->a < d->c)) return fail(why, n, "min < max (got min %g, max %g)", d->a, d->c);
        if (!(d->a <= d->b && d->b <= d->c))
            return fail(why, n, "min <= mode <= max (got mode %g)", d->b);
        if (d->a < lo || d->c > hi) return fail(why, n, "min and max within [%g, %g]", lo, hi);
        return 0;
    case IC_DIST_CHOICE: {
        if (d->n < 1) return fail(why, n, "at least one value");
        double s = 0;
        for (int i = 0; i < d->n; i++) {
            if (!(d->weights[i] >= 0) || !isfinite(d->weights[i]))
                return fail(why, n, "weights >= 0 (got %g)", d->weights[i]);
            if (d->values[i] < lo || d->values[i] > hi)
                return fail(why, n, "values within [%g, %g]", lo, hi);
            s += d->weights[i];
        }
        if (!(s > 0)) return fail(why, n, "weights with a positive sum (got %g)", s);
        return 0;
    }
    default:
        return fail(why, n, "a known distribution");
    }
}

static double clamp(double x, double lo, double hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

double ic_dist_quantile(const struct ic_dist *d, double u) {
    double x;
    switch (d->kind) {
    case IC_DIST_UNIFORM:
        x = d->a + (d->b - d->a) * u;
        break;
    case IC_DIST_NORMAL:
        x = clamp(d->a + d->b * gsl_cdf_ugaussian_Pinv(u), d->lo, d->hi);
        break;
    case IC_DIST_LOGNORMAL:
        x = clamp(d->a * exp(d->b * gsl_cdf_ugaussian_Pinv(u)), d->lo, d->hi);
        break;
    case IC_DIST_TRIANGULAR: {
        double a = d->a, m = d->b, c = d->c, f = (m - a) / (c - a);
        x = u < f ? a + sqrt(u * (c - a) * (m - a)) : c - sqrt((1 - u) * (c - a) * (c - m));
        break;
    }
    case IC_DIST_CHOICE: {
        double s = 0, acc = 0;
        for (int i = 0; i < d->n; i++) s += d->weights[i];
        x = d->values[d->n - 1];
        for (int i = 0; i < d->n; i++) {
            acc += d->weights[i];
            if (u * s < acc) {
                x = d->values[i];
                break;
            }
        }
        break;
    }
    default:
        x = d->a;
        break;
    }
    return d->integer ? floor(x + 0.5) : x;
}

double ic_dist_draw(const struct ic_dist *d, uint64_t seed, uint64_t path) {
    if (d->kind == IC_DIST_FIXED) return d->integer ? floor(d->a + 0.5) : d->a;
    struct ic_rng r;
    ic_rng_init(&r, seed, path, IC_STREAM_PARAM, d->slot);
    return ic_dist_quantile(d, ic_rng_uniform(&r));
}

double ic_dist_mean(const struct ic_dist *d) {
    switch (d->kind) {
    case IC_DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case IC_DIST_NORMAL:
        return d->a;
    case IC_DIST_LOGNORMAL:
        return d->a * exp(0.5 * d->b * d->b);
    case IC_DIST_TRIANGULAR:
        return (d->a + d->b + d->c) / 3.0;
    case IC_DIST_CHOICE: {
        double s = 0, m = 0;
        for (int i = 0; i < d->n; i++) {
            s += d->weights[i];
            m += d->weights[i] * d->values[i];
        }
        return s > 0 ? m / s : NAN;
    }
    default:
        return d->a;
    }
}

int ic_dist_is_random(const struct ic_dist *d) {
    return d->kind != IC_DIST_FIXED;
}

void ic_dist_describe(const struct ic_dist *d, char *buf, size_t size) {
    switch (d->kind) {
    case IC_DIST_UNIFORM:
        snprintf(buf, size, "uniform(%g, %g)", d->a, d->b);
        break;
    case IC_DIST_NORMAL:
        snprintf(buf, size, "normal(mean %g, sd %g)", d->a, d->b);
        break;
    case IC_DIST_LOGNORMAL:
        snprintf(buf, size, "lognormal(median %g, sigma %g)", d->a, d->b);
        break;
    case IC_DIST_TRIANGULAR:
        snprintf(buf, size, "triangular(%g, %g, %g)", d->a, d->b, d->c);
        break;
    case IC_DIST_CHOICE:
        snprintf(buf, size, "choice of %d values", d->n);
        break;
    default:
        snprintf(buf, size, "%g", d->a);
        break;
    }
}
