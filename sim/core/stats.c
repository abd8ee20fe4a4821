/* stats.c: confidence intervals and quantiles (see stats.h for sources). */
#include "sim/core/stats.h"

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

/* The point a fraction f in [0, 1) of the way from order statistic a to b (a <= b).  An
 * infinite end is the answer as it stands: a + f (b - a) would give NaN for two equal
 * infinities (the median of paths that all have infinite load) and for -inf and +inf; between
 * a finite and an infinite one, any f > 0 lies at the infinity (and -inf wins a tie of both,
 * which no caller meets: loads and times are never -inf). */
static double between(double a, double b, double f) {
    if (f <= 0 || a == b || isinf(a)) return a;
    if (isinf(b)) return b;
    return a + f * (b - a);
}

double ic_quantile_sorted(const double *x, size_t n, double p) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i >= n - 1) return x[n - 1];
    return between(x[i], x[i + 1], h - (double)i);
}

double ic_quantile_sorted_f(const float *x, size_t n, double p) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i >= n - 1) return x[n - 1];
    return between(x[i], x[i + 1], h - (double)i);
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

int ic_cholesky(int n, const double *a, double *l) {
    double scale = 0;
    for (int i = 0; i < n; i++) scale = fmax(scale, fabs(a[i * n + i]));
    for (int i = 0; i < n * n; i++) l[i] = 0;
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
        if (d < -1e-12 * (scale > 0 ? scale : 1)) return -1;
        double ljj = d > 0 ? sqrt(d) : 0;
        l[j * n + j] = ljj;
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
            l[i * n + j] = ljj > 0 ? s / ljj : 0;
        }
    }
    return 0;
}

/* Partially order x so that x[k] is the k-th smallest and nothing before it is larger. */
static void select_k(float *x, size_t lo, size_t n, size_t k) {
    size_t hi = n - 1;
    while (hi > lo) {
        /* Median of three as the pivot. */
        size_t mid = lo + (hi - lo) / 2;
        float a = x[lo], b = x[mid], c = x[hi];
        float pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot) i++;
            while (x[j] > pivot) j--;
            if (i <= j) {
                float t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
}

double ic_quantile_select_f(float *x, size_t n, double p) {
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t i = (size_t)floor(h);
    if (i >= n - 1) i = n - 1;
    select_k(x, 0, n, i);
    double lo = x[i];
    if (i + 1 >= n || h == (double)i) return lo;
    /* The next order statistic is the smallest of the part above i. */
    float nxt = x[i + 1];
    for (size_t k = i + 2; k < n; k++)
        if (x[k] < nxt) nxt = x[k];
    return between(lo, nxt, h - (double)i);
}

void ic_quantiles_select_f(float *x, size_t n, const double *p, int np, double *out) {
    size_t from = 0; /* everything below `from` is <= x[from - 1] and already placed */
    for (int q = 0; q < np; q++) {
        if (n == 0) {
            out[q] = NAN;
            continue;
        }
        double h = (double)(n - 1) * p[q];
        size_t i = (size_t)floor(h);
        if (i >= n - 1) i = n - 1;
        if (i >= from) select_k(x, from, n, i);
        double lo = x[i];
        if (i + 1 >= n || h == (double)i) {
            out[q] = lo;
        } else {
            /* The next order statistic: the smallest above rank i; put it at i + 1. */
            size_t m = i + 1;
            for (size_t k = i + 2; k < n; k++)
                if (x[k] < x[m]) m = k;
            float t = x[i + 1];
            x[i + 1] = x[m];
            x[m] = t;
            out[q] = between(lo, x[i + 1], h - (double)i);
        }
        from = i + 1;
    }
}

void ic_quantile_ci(const double *x, size_t n, double p, double z, double *lo, double *hi) {
    if (n == 0) {
        *lo = *hi = NAN;
        return;
    }
    double np = (double)n * p, half = z * sqrt(np * (1.0 - p));
    double l = floor(np - half), u = ceil(np + half); /* 1-based ranks */
    if (l < 1) l = 1;
    if (u > (double)n) u = (double)n;
    *lo = x[(size_t)l - 1];
    *hi = x[(size_t)u - 1];
}
