/* test_rng.c: Philox streams and samplers: determinism, moments, and the Poisson sampler's
 * distribution against the exact probabilities (chi-square). */
#include "check.h"
#include "sim/core/rng.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

static void test_determinism(void) {
    struct ic_rng a, b, c;
    ic_rng_init(&a, 2385, 17, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&b, 2385, 17, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&c, 2385, 18, IC_STREAM_ARRIVALS, 0);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ic_rng_u64(&a), y = ic_rng_u64(&b), z = ic_rng_u64(&c);
        same &= x == y;
        differ += x != z;
    }
    CHECK(same);
    CHECK(differ == 1000);
    /* Purpose and sub-stream separate streams too. */
    struct ic_rng d, e;
    ic_rng_init(&d, 2385, 17, IC_STREAM_NOISE, 0);
    ic_rng_init(&e, 2385, 17, IC_STREAM_NOISE, 1);
    CHECK(ic_rng_u64(&d) != ic_rng_u64(&e));
    /* Seeds above 2^32 matter. */
    struct ic_rng f, g;
    ic_rng_init(&f, 1, 0, 1, 0);
    ic_rng_init(&g, 1 + (1ull << 32), 0, 1, 0);
    CHECK(ic_rng_u64(&f) != ic_rng_u64(&g));
}

static void test_uniform_normal(void) {
    struct ic_rng r;
    ic_rng_init(&r, 77, 3, IC_STREAM_NOISE, 0);
    const int n = 1000000;
    double s = 0, s2 = 0, lo = 1, hi = 0, ns = 0, ns2 = 0, ns4 = 0;
    for (int i = 0; i < n; i++) {
        double u = ic_rng_uniform(&r);
        s += u;
        s2 += u * u;
        if (u < lo) lo = u;
        if (u > hi) hi = u;
        double z = ic_rng_normal(&r);
        ns += z;
        ns2 += z * z;
        ns4 += z * z * z * z;
    }
    CHECK(lo > 0 && hi < 1);
    CHECK(fabs(s / n - 0.5) < 5 * sqrt(1.0 / 12 / n));
    CHECK(fabs(s2 / n - 1.0 / 3) < 5 * sqrt(4.0 / 45 / n));
    CHECK(fabs(ns / n) < 5 / sqrt(n));
    CHECK(fabs(ns2 / n - 1) < 5 * sqrt(2.0 / n));
    CHECK(fabs(ns4 / n - 3) < 5 * sqrt(96.0 / n));
}

/* n draws of Poisson(mu) from r: one by one (ic_rng_poisson), or with batched != 0 through
 * ic_rng_poisson_at in calls of varying length (1 to 300) at consecutive positions. */
static double *poisson_draws(struct ic_rng *r, double mu, int n, int batched) {
    double *k = malloc((size_t)n * sizeof *k);
    if (!batched) {
        for (int i = 0; i < n; i++) k[i] = ic_rng_poisson(r, mu);
        return k;
    }
    for (int i = 0; i < n; i++) k[i] = mu;
    for (int i = 0, len = 1; i < n; i += len, len = len * 7 % 301 + 1)
        ic_rng_poisson_at(r, (uint64_t)i, k + i, k + i, len < n - i ? len : n - i);
    return k;
}

static int batched_draws; /* 1: the Poisson checks below use ic_rng_poisson_at */

/* Sample mean and variance of Poisson draws within 5 standard errors. */
static void poisson_moments(double mu, int n) {
    struct ic_rng r;
    ic_rng_init(&r, 1234567, (uint64_t)(mu * 1000), IC_STREAM_ARRIVALS, 0);
    double s = 0, s2 = 0;
    int integral = 1;
    double *draws = poisson_draws(&r, mu, n, batched_draws);
    for (int i = 0; i < n; i++) {
        double k = draws[i];
        integral &= k == floor(k) && k >= 0;
        s += k;
        s2 += k * k;
    }
    free(draws);
    double mean = s / n, var = s2 / n - mean * mean;
    CHECK(integral);
    if (fabs(mean - mu) >= 5 * sqrt(mu / n)) fprintf(stderr, "poisson mu=%g: mean %g\n", mu, mean);
    CHECK(fabs(mean - mu) < 5 * sqrt(mu / n));
    /* Var of the sample variance of a Poisson: (mu + 2 mu^2) / n approximately. */
    CHECK(fabs(var - mu) < 5 * sqrt((mu + 2 * mu * mu) / n));
}

/* Chi-square goodness of fit of Poisson(mu) draws to the exact pmf. */
static void poisson_chi2(double mu, int n) {
    struct ic_rng r;
    ic_rng_init(&r, 99, (uint64_t)(mu * 7), IC_STREAM_ARRIVALS, 3);
    int kmax = (int)(mu + 10 * sqrt(mu) + 20);
    double *obs = calloc((size_t)kmax + 1, sizeof *obs);
    double *draws = poisson_draws(&r, mu, n, batched_draws);
    for (int i = 0; i < n; i++) {
        double k = draws[i];
        obs[k > kmax ? kmax : (int)k] += 1;
    }
    free(draws);
    /* Pool bins so that every expected count is at least 10. */
    double chi2 = 0, eacc = 0, oacc = 0;
    int df = -1;
    for (int k = 0; k <= kmax; k++) {
        double p = k < kmax ? gsl_ran_poisson_pdf((unsigned)k, mu)
                            : gsl_cdf_poisson_Q((unsigned)kmax - 1, mu);
        eacc += p * n;
        oacc += obs[k];
        if (eacc >= 10 || k == kmax) {
            chi2 += (oacc - eacc) * (oacc - eacc) / (eacc > 0 ? eacc : 1);
            df++;
            eacc = oacc = 0;
        }
    }
    double pval = gsl_cdf_chisq_Q(chi2, df);
    if (pval < 1e-4) fprintf(stderr, "poisson mu=%g: chi2 %g df %d p %g\n", mu, chi2, df, pval);
    CHECK(pval > 1e-4);
    free(obs);
}

/* Gamma(a, 1): mean a, variance a; and the negative binomial built from it (the engine's
 * over-dispersed arrivals): Poisson(mu G d) with G ~ Gamma(1/d) has mean mu and variance
 * mu + d mu^2. */
static void test_gamma_negbin(void) {
    const double shapes[] = {0.37, 1.0, 2.385, 40.0};
    for (int k = 0; k < 4; k++) {
        struct ic_rng r;
        ic_rng_init(&r, 8, (uint64_t)k, IC_STREAM_ARRIVALS, 9);
        double a = shapes[k], s = 0, s2 = 0;
        const int n = 300000;
        int positive = 1;
        for (int i = 0; i < n; i++) {
            double g = ic_rng_gamma(&r, a);
            positive &= g > 0;
            s += g;
            s2 += g * g;
        }
        double mean = s / n, var = s2 / n - mean * mean;
        CHECK(positive);
        CHECK(fabs(mean - a) < 5 * sqrt(a / n));
        /* Var of the sample variance of a gamma: (mu4 - var^2)/n, mu4 = 3a^2 + 6a. */
        CHECK(fabs(var - a) < 5 * sqrt((3 * a * a + 6 * a - a * a) / n));
    }
    const double mu = 412.5, d = 0.03;
    struct ic_rng r;
    ic_rng_init(&r, 8, 99, IC_STREAM_ARRIVALS, 1);
    double s = 0, s2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double k = ic_rng_poisson(&r, mu * ic_rng_gamma(&r, 1.0 / d) * d);
        s += k;
        s2 += k * k;
    }
    double mean = s / n, var = s2 / n - mean * mean, want = mu + d * mu * mu;
    CHECK(fabs(mean - mu) < 5 * sqrt(want / n));
    CHECK(fabs(var - want) < 0.03 * want);
}

int main(void) {
    test_determinism();
    test_gamma_negbin();
    test_uniform_normal();
    const double mus[] = {0.0371, 0.41, 3.7, 9.99, 10.0, 23.4, 377.5, 6712.3, 1.2e6};
    for (size_t i = 0; i < sizeof mus / sizeof mus[0]; i++) poisson_moments(mus[i], 200000);
    poisson_chi2(2.385, 200000);
    poisson_chi2(10.3, 200000);
    poisson_chi2(57.2, 200000);
    poisson_chi2(6712.3, 200000);
    /* The same checks of the batched sampler, and that its draws depend on their positions
     * only: one call of 1000 equals calls of any lengths over the same positions, and means
     * that change from draw to draw (every branch of the sampler in one call) come out right. */
    batched_draws = 1;
    for (size_t i = 0; i < sizeof mus / sizeof mus[0]; i++) poisson_moments(mus[i], 200000);
    poisson_chi2(2.385, 200000);
    poisson_chi2(10.3, 200000);
    poisson_chi2(57.2, 200000);
    poisson_chi2(6712.3, 200000);
    poisson_chi2(1.3e5, 200000);
    {
        struct ic_rng r;
        ic_rng_init(&r, 5, 6, IC_STREAM_ARRIVALS, 2);
        double one[1000], split[1000], mix[3000];
        for (int i = 0; i < 1000; i++) one[i] = split[i] = 9.5 + (i % 5) * 1000.0;
        ic_rng_poisson_at(&r, 77, one, one, 1000);
        for (int i = 0, len = 1; i < 1000; i += len, len = len % 97 + 3)
            ic_rng_poisson_at(&r, 77 + (uint64_t)i, split + i, split + i,
                              len < 1000 - i ? len : 1000 - i);
        CHECK(memcmp(one, split, sizeof one) == 0);
        const double m3[3] = {3.7, 23.4, 6712.3};
        double s1[3] = {0}, s2[3] = {0};
        for (int rep = 0; rep < 100; rep++) {
            for (int i = 0; i < 3000; i++) mix[i] = i % 7 == 6 ? 0.0 : m3[i % 3];
            ic_rng_poisson_at(&r, (uint64_t)rep * 3000, mix, mix, 3000);
            for (int i = 0; i < 3000; i++) {
                if (i % 7 == 6) {
                    CHECK(mix[i] == 0);
                    continue;
                }
                s1[i % 3] += mix[i];
                s2[i % 3] += 1;
            }
        }
        for (int j = 0; j < 3; j++) CHECK(fabs(s1[j] / s2[j] - m3[j]) < 5 * sqrt(m3[j] / s2[j]));
    }
    CHECK(ic_rng_poisson(NULL, 0.0) == 0);
    CHECK(ic_rng_poisson(NULL, -1.0) == 0);
    for (double k = 0; k < 200; k += 7)
        CHECK_NEAR(ic_log_factorial(k), gsl_sf_lnfact((unsigned)k), 1e-12);
    CHECK_NEAR(ic_log_factorial(1e6), gsl_sf_lnfact(1000000), 1e-14);
    /* FNV-1a reference values (Fowler, Noll, Vo). */
    CHECK(ic_hash32("") == 2166136261u);
    CHECK(ic_hash32("a") == 0xe40c292cu);
    return check_report("test_rng");
}
