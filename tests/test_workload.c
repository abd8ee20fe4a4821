/* test_workload.c: token-length distributions: capped moments against numerical integration,
 * sampling against the moments, and the thinking-budget scaling. */
#include "check.h"
#include "sim/core/rng.h"
#include "models/workload.h"

/* E[min(sX,c)^k] by integrating the sampling map over a fine grid of u (the map picks the
 * mixture component by u, so the integral over u is still the expectation). */
static double numeric(const struct ic_tokdist *d, double s, double cap, int k) {
    const int n = 2000000;
    double acc = 0;
    for (int i = 0; i < n; i++) {
        double x = ic_tokdist_sample(d, s, cap, (i + 0.5) / n);
        acc += k == 1 ? x : x * x;
    }
    return acc / n;
}

static void compare(const struct ic_tokdist *d, double s, double cap, double tol) {
    double m1, m2;
    ic_tokdist_moments(d, s, cap, &m1, &m2);
    CHECK_NEAR(m1, numeric(d, s, cap, 1), tol);
    CHECK_NEAR(m2, numeric(d, s, cap, 2), tol);
}

int main(void) {
    struct ic_tokdist ln = {.shape = IC_TOK_LOGNORMAL, .median = 1500, .sigma = 1.0};
    double m1, m2;
    /* Uncapped: E = m e^{s^2/2}, E[X^2] = m^2 e^{2 s^2}. */
    ic_tokdist_moments(&ln, 1.0, 1e30, &m1, &m2);
    CHECK_NEAR(m1, 1500 * exp(0.5), 1e-12);
    CHECK_NEAR(m2, 1500.0 * 1500 * exp(2.0), 1e-12);
    /* Capped at a context of 8,192 tokens, and against quadrature. */
    compare(&ln, 1.0, 8192, 2e-4);
    ic_tokdist_moments(&ln, 1.0, 8192, &m1, &m2);
    CHECK(m1 < 1500 * exp(0.5) && m2 < 1500.0 * 1500 * exp(2.0));

    /* Pareto-lognormal: a heavy tail (alpha 1.3 has no finite variance without the cap). */
    struct ic_tokdist pl = {.shape = IC_TOK_PARETO_LOGNORMAL,
                            .median = 900,
                            .sigma = 0.8,
                            .tail_weight = 0.07,
                            .tail_xmin = 12000,
                            .tail_alpha = 1.3};
    compare(&pl, 1.0, 131072, 2e-3);
    struct ic_tokdist pl2 = pl;
    pl2.tail_alpha = 2.0; /* the logarithmic case of the second moment */
    compare(&pl2, 1.0, 131072, 2e-3);
    struct ic_tokdist pl1 = pl;
    pl1.tail_alpha = 1.0; /* the logarithmic case of the first moment */
    compare(&pl1, 1.0, 131072, 2e-3);

    /* Histogram: uniform within bins; the cap cuts the last bin. */
    struct ic_tokdist h = {.shape = IC_TOK_HISTOGRAM, .nbins = 3};
    double e[] = {0, 512, 4096, 65536}, w[] = {5, 3, 1};
    memcpy(h.edges, e, sizeof e);
    memcpy(h.weights, w, sizeof w);
    ic_tokdist_moments(&h, 1.0, 1e9, &m1, &m2);
    CHECK_NEAR(m1, (5 * 256.0 + 3 * 2304.0 + 1 * 34816.0) / 9, 1e-12);
    compare(&h, 1.0, 32768, 1e-5);

    /* The thinking-budget multiplier scales the mean exactly while the cap is far: doubling it
     * doubles the mean reasoning tokens. */
    struct ic_tokdist r = {.shape = IC_TOK_LOGNORMAL, .median = 2385, .sigma = 0.9};
    double a1, a2, b1, b2;
    ic_tokdist_moments(&r, 1.0, 1e12, &a1, &a2);
    ic_tokdist_moments(&r, 2.0, 1e12, &b1, &b2);
    CHECK_NEAR(b1, 2 * a1, 1e-12);
    CHECK_NEAR(b2, 4 * a2, 1e-12);
    /* Near the context cap the growth saturates. */
    ic_tokdist_moments(&r, 32.0, 65536, &b1, &b2);
    CHECK(b1 < 32 * a1 && b1 <= 65536);
    compare(&r, 8.0, 65536, 1e-4);
    /* Zero median (no reasoning) and zero multiplier give zero. */
    struct ic_tokdist none = {.shape = IC_TOK_LOGNORMAL, .median = 0, .sigma = 1};
    ic_tokdist_moments(&none, 3.0, 1e9, &m1, &m2);
    CHECK(m1 == 0 && m2 == 0);
    ic_tokdist_moments(&r, 0.0, 1e9, &m1, &m2);
    CHECK(m1 == 0 && m2 == 0);

    /* Random draws average to the moments. */
    struct ic_rng g;
    ic_rng_init(&g, 5, 0, IC_STREAM_ARRIVALS, 0);
    const int n = 400000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double x = ic_tokdist_sample(&pl, 1.0, 131072, ic_rng_uniform(&g));
        s += x;
        s2 += x * x;
    }
    ic_tokdist_moments(&pl, 1.0, 131072, &m1, &m2);
    double sd = sqrt(m2 - m1 * m1);
    CHECK(fabs(s / n - m1) < 5 * sd / sqrt(n));
    return check_report("test_workload");
}
