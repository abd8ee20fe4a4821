/* stats.c: confidence intervals and quantiles (see stats.h for sources). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

void ic_wilson(long k, long n, double z, double *lo, double *hi) {
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *lo = k == 0 ? 0.0 : centre - half;
    *hi = k == n ? 1.0 : centre + half;
}

double ic_quantile_sorted(const double *x, size_t n, double p) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i >= n - 1) return x[n - 1];
    return x[i] + (h - (double)i) * (x[i + 1] - x[i]);
}

double ic_quantile_sorted_f(const float *x, size_t n, double p) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i >= n - 1) return x[n - 1];
    return x[i] + (h - (double)i) * ((double)x[i + 1] - x[i]);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

size_t ic_sort_finite(double *x, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i])) x[m++] = x[i];
    qsort(x, m, sizeof *x, cmp_double);
    return m;
}

void ic_sort_floats(float *x, size_t n) {
    qsort(x, n, sizeof *x, cmp_float);
}
