/* test_stats.c: Wilson interval (closed form and coverage) and type-7 quantiles. */
#include "check.h"
#include "sim/core/rng.h"
#include "sim/core/stats.h"

int main(void) {
    const double z = 1.959963984540054;
    double lo, hi;
    /* Against the other algebraic form of the Wilson interval:
     * (2k + z^2 -+ z sqrt(z^2 + 4k(1 - k/n))) / (2(n + z^2)). */
    long ks[] = {1, 15, 37, 99};
    for (int i = 0; i < 4; i++) {
        long k = ks[i], n = 100;
        ic_wilson(k, n, z, &lo, &hi);
        double rt = z * sqrt(z * z + 4.0 * k * (1.0 - (double)k / n));
        CHECK_NEAR(lo, (2.0 * k + z * z - rt) / (2.0 * (n + z * z)), 1e-12);
        CHECK_NEAR(hi, (2.0 * k + z * z + rt) / (2.0 * (n + z * z)), 1e-12);
    }
    ic_wilson(0, 50, z, &lo, &hi);
    CHECK(lo == 0 && hi > 0.05 && hi < 0.08);
    ic_wilson(50, 50, z, &lo, &hi);
    CHECK(hi == 1 && lo > 0.92);
    /* Coverage near nominal for p = 0.0731, n = 500 over 4000 replications. */
    struct ic_rng r;
    ic_rng_init(&r, 31337, 0, IC_STREAM_NOISE, 0);
    int covered = 0, reps = 4000;
    for (int rep = 0; rep < reps; rep++) {
        long k = 0;
        for (int t = 0; t < 500; t++) k += ic_rng_uniform(&r) < 0.0731;
        ic_wilson(k, 500, z, &lo, &hi);
        covered += lo <= 0.0731 && 0.0731 <= hi;
    }
    double cov = (double)covered / reps;
    CHECK(cov > 0.93 && cov < 0.97);

    double x[] = {4.0, 1.0, NAN, 3.0, 2.0};
    size_t m = ic_sort_finite(x, 5);
    CHECK(m == 4 && x[0] == 1 && x[3] == 4);
    CHECK_NEAR(ic_quantile_sorted(x, m, 0.25), 1.75, 1e-15); /* numpy.quantile([1,2,3,4], .25) */
    CHECK_NEAR(ic_quantile_sorted(x, m, 0.9), 3.7, 1e-15);
    CHECK(ic_quantile_sorted(x, m, 1.0) == 4 && ic_quantile_sorted(x, m, 0.0) == 1);
    CHECK(isnan(ic_quantile_sorted(x, 0, 0.5)));
    float f[] = {2.5f, 0.5f, 1.5f};
    ic_sort_floats(f, 3);
    CHECK_NEAR(ic_quantile_sorted_f(f, 3, 0.5), 1.5, 1e-7);

    /* Infinities (the load of a path with no capacity): sorted last, and a quantile that falls
     * on or beyond one is infinite, never Inf - Inf = NaN. */
    double y[] = {INFINITY, 2.385, NAN, INFINITY, 0.731, INFINITY};
    m = ic_sort_finite(y, 6);
    CHECK(m == 5 && y[0] == 0.731 && y[1] == 2.385 && isinf(y[2]) && isinf(y[4]));
    CHECK(ic_quantile_sorted(y, m, 0.5) == INFINITY);          /* rank 2: inf */
    CHECK(ic_quantile_sorted(y, m, 0.3) == INFINITY);          /* between 2.385 and inf */
    CHECK_NEAR(ic_quantile_sorted(y, m, 0.125), 1.558, 1e-12); /* 0.731 + 0.5 x 1.654 */
    CHECK(ic_quantile_sorted(y, m, 0.25) == 2.385);
    double all[] = {INFINITY, INFINITY, INFINITY, INFINITY};
    CHECK(ic_quantile_sorted(all, 4, 0.5) == INFINITY);
    CHECK(ic_quantile_sorted(all, 4, 0.95) == INFINITY);
    ic_quantile_ci(all, 4, 0.5, z, &lo, &hi);
    CHECK(lo == INFINITY && hi == INFINITY);
    float g[] = {INFINITY, 1.25f, INFINITY, INFINITY};
    CHECK(ic_quantile_sorted_f((float[]){1.25f, INFINITY, INFINITY, INFINITY}, 4, 0.5) == INFINITY);
    CHECK(ic_quantile_select_f(g, 4, 0.5) == INFINITY);
    float g2[] = {INFINITY, INFINITY, 1.25f, INFINITY, 3.5f};
    double qs[3], ps[3] = {0.1, 0.5, 0.9};
    ic_quantiles_select_f(g2, 5, ps, 3, qs);
    CHECK_NEAR(qs[0], 1.25 + 0.4 * 2.25, 1e-7); /* rank 0.4: between 1.25 and 3.5 */
    CHECK(qs[1] == INFINITY && qs[2] == INFINITY);
    float g3[] = {INFINITY, INFINITY, INFINITY};
    ic_quantiles_select_f(g3, 3, ps, 3, qs);
    CHECK(qs[0] == INFINITY && qs[1] == INFINITY && qs[2] == INFINITY);
    return check_report("test_stats");
}
