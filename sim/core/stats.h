/* stats.h: the statistics of the reduction: binomial confidence intervals and sample
 * quantiles.  Pure functions; the callers pass data in path order. */
#ifndef IC_STATS_H
#define IC_STATS_H

#include <stddef.h>

/* The two-sided 95% normal quantile: every 95% interval infercap reports uses it. */
#define IC_Z95 1.959963984540054

/* Wilson score interval for k successes in n trials at normal quantile z (1.959964 for 95%):
 * E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
 * JASA 22 (1927) 209-212.  Unlike the Wald interval it stays inside [0, 1] and keeps close to
 * nominal coverage when k is 0 or n. */
void ic_wilson(long k, long n, double z, double *lo, double *hi);

/* Quantile p of n sorted values, linear interpolation between order statistics (Hyndman and
 * Fan 1996, definition 7, the default of R and NumPy).  NaN for n == 0. */
double ic_quantile_sorted(const double *x, size_t n, double p);
double ic_quantile_sorted_f(const float *x, size_t n, double p);

/* The same quantile of n unsorted values by selection (Hoare's quickselect, O(n)); the values
 * are reordered. */
double ic_quantile_select_f(float *x, size_t n, double p);
/* Several increasing quantiles at once: each selection works on what the previous one left
 * above its rank, so the cost stays near one selection. */
void ic_quantiles_select_f(float *x, size_t n, const double *p, int np, double *out);

/* Distribution-free 95% (z = 1.96) interval of the p-quantile from n sorted values: the order
 * statistics of ranks np -/+ z sqrt(np(1-p)) (the normal approximation to the binomial count
 * below the quantile; W. J. Conover, "Practical Nonparametric Statistics", 3rd ed., 1999, 3.2).
 * NaN when n == 0. */
void ic_quantile_ci(const double *sorted, size_t n, double p, double z, double *lo, double *hi);

/* Sort doubles (NaNs removed first); returns the number of non-NaN values left in x. */
size_t ic_sort_finite(double *x, size_t n);
void ic_sort_floats(float *x, size_t n);

/* Cholesky factor L (row-major, lower) of a symmetric positive semi-definite n x n matrix A:
 * A = L L^T.  Zero pivots (a degenerate direction) give a zero column.  Returns -1 when A is
 * not positive semi-definite (a pivot below -1e-12 of the diagonal scale). */
int ic_cholesky(int n, const double *a, double *l);

#endif
