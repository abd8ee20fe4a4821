/* test_traffic.c: growth, diurnal profile, events, Ornstein-Uhlenbeck coefficients. */
#include "check.h"
#include "sim/core/rng.h"
#include "models/traffic.h"

#include <stdlib.h>

int main(void) {
    double w[24];
    for (int prof = IC_DIURNAL_FLAT; prof <= IC_DIURNAL_CN_CONSUMER; prof++) {
        ic_diurnal_weights(prof, NULL, w);
        double s = 0;
        for (int h = 0; h < 24; h++) s += w[h];
        CHECK_NEAR(s / 24, 1.0, 1e-14);
        /* The interpolated profile also averages to 1 over a day, and is continuous across
         * midnight. */
        double integral = 0;
        const int n = 1440 * 4;
        for (int i = 0; i < n; i++) integral += ic_diurnal_at(w, 24.0 * (i + 0.5) / n);
        CHECK_NEAR(integral / n, 1.0, 1e-12);
        CHECK_NEAR(ic_diurnal_at(w, 23.999999), ic_diurnal_at(w, 0.0), 1e-5);
        CHECK_NEAR(ic_diurnal_at(w, 24.0 + 7.5), ic_diurnal_at(w, 7.5), 1e-15);
    }
    ic_diurnal_weights(IC_DIURNAL_CN_CONSUMER, NULL, w);
    CHECK(w[4] < 0.3 && w[21] > 1.3); /* night trough, evening peak */
    CHECK_NEAR(ic_diurnal_at(w, 21.5), w[21], 1e-15);
    double custom[24];
    for (int h = 0; h < 24; h++) custom[h] = h == 9 ? 3.0 : 1.0;
    ic_diurnal_weights(IC_DIURNAL_CUSTOM, custom, w);
    CHECK_NEAR(w[9], 3.0 * 24 / 26, 1e-14);

    /* Events: 1 before the start, exactly the peak at tau* = rise ln(1 + decay/rise). */
    double rise = 86400 * 1.7, decay = 604800, peak = 2.385;
    CHECK(ic_event_multiplier(peak, rise, decay, -1.0) == 1.0);
    double tstar = rise * log1p(decay / rise);
    CHECK_NEAR(ic_event_multiplier(peak, rise, decay, tstar), peak, 1e-12);
    CHECK(ic_event_multiplier(peak, rise, decay, tstar * 0.9) < peak);
    CHECK(ic_event_multiplier(peak, rise, decay, tstar * 1.1) < peak);
    CHECK(ic_event_multiplier(peak, rise, decay, 1e9) < 1.0 + 1e-6);
    CHECK_NEAR(ic_event_multiplier(0.4, rise, decay, tstar), 0.4, 1e-12); /* a dip */

    /* Growth curves at known values. */
    struct ic_growth g = {.model = IC_GROWTH_EXPONENTIAL, .v0 = 6e5, .rate_per_day = log(2) / 24.5};
    CHECK_NEAR(ic_growth_value(&g, 24.5), 1.2e6, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, -24.5), 3e5, 1e-12);
    g = (struct ic_growth){
        .model = IC_GROWTH_LOGISTIC, .v0 = 6e5, .rate_per_day = 0.3, .capacity = 5e7};
    CHECK_NEAR(ic_growth_value(&g, 0), 6e5, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, 500), 5e7, 1e-9);
    /* Logistic midpoint: K/2 at t = ln(K/v0 - 1) / r. */
    double tm = log(5e7 / 6e5 - 1) / 0.3;
    CHECK_NEAR(ic_growth_value(&g, tm), 2.5e7, 1e-12);
    /* Bass: zero before the launch; m (1 - e^{-(p+q)s}) / (1 + (q/p) e^{-(p+q)s}) after; the
     * adoption rate peaks at s* = ln(q/p) / (p + q) with F(s*) = (q - p) / 2q. */
    g = (struct ic_growth){
        .model = IC_GROWTH_BASS, .p = 0.003, .q = 0.11, .market = 2.2e7, .launch_days = 5};
    CHECK(ic_growth_value(&g, 4.9) == 0);
    double s1 = 10;
    double e1 = exp(-(0.113) * s1);
    CHECK_NEAR(ic_growth_value(&g, 5 + s1), 2.2e7 * (1 - e1) / (1 + 0.11 / 0.003 * e1), 1e-12);
    double sstar = log(0.11 / 0.003) / 0.113;
    CHECK_NEAR(ic_growth_value(&g, 5 + sstar), 2.2e7 * (0.11 - 0.003) / 0.22, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, 5 + 1e4), 2.2e7, 1e-12);
    /* Piecewise log-linear: through the points, geometric in between, extended at the end
     * segments' rates. */
    const double pt[3] = {0, 41, 91}, pv[3] = {log(1e5), log(4e5), log(1.6e6)};
    g = (struct ic_growth){.model = IC_GROWTH_PIECEWISE, .npoints = 3, .t_days = pt, .log_v = pv};
    CHECK_NEAR(ic_growth_value(&g, 41), 4e5, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, 20.5), 2e5, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, 141), 1.6e6 * 4, 1e-12);
    CHECK_NEAR(ic_growth_value(&g, -41), 2.5e4, 1e-12);
    /* theta round trip */
    double th[3] = {log(6e5), 0.031, log(5e7)}, back[3];
    g = (struct ic_growth){.model = IC_GROWTH_LOGISTIC};
    ic_growth_set_theta(&g, th);
    ic_growth_get_theta(&g, back);
    CHECK_NEAR(back[0], th[0], 1e-15);
    CHECK(back[1] == th[1]);
    CHECK_NEAR(back[2], th[2], 1e-15);
    CHECK(ic_growth_nparams(IC_GROWTH_BASS) == 3 && ic_growth_nparams(IC_GROWTH_PIECEWISE) == 0);
    CHECK(strcmp(ic_growth_param_name(IC_GROWTH_LOGISTIC, 2), "ln_capacity") == 0);

    /* OU: the exact discretisation keeps the stationary variance. */
    double phi, innov;
    ic_ou_coeffs(0.137, 3600, 60, &phi, &innov);
    CHECK_NEAR(phi, exp(-60.0 / 3600), 1e-15);
    CHECK_NEAR(phi * phi * 0.137 * 0.137 + innov * innov, 0.137 * 0.137, 1e-14);
    /* Simulated OU in log space: stationary variance sigma^2 and lag-k autocorrelation
     * e^{-k dt/tau}, within sampling error (the effective sample size shrinks with the
     * correlation time: n (1 - phi) / (1 + phi)). */
    {
        const double sigma = 0.137, tau = 1800, dt = 60;
        ic_ou_coeffs(sigma, tau, dt, &phi, &innov);
        struct ic_rng r;
        ic_rng_init(&r, 2024, 0, IC_STREAM_NOISE, 0);
        const long n = 2000000;
        const int lag = 15;
        double *xs = malloc((size_t)n * sizeof *xs);
        double x = sigma * ic_rng_normal(&r), s2 = 0, c = 0;
        for (long i = 0; i < n; i++) {
            xs[i] = x;
            s2 += x * x;
            x = phi * x + innov * ic_rng_normal(&r);
        }
        for (long i = lag; i < n; i++) c += xs[i] * xs[i - lag];
        double var = s2 / n, rho = c / (double)(n - lag) / var;
        double neff = n * (1 - phi) / (1 + phi);
        CHECK(fabs(var - sigma * sigma) < 5 * sigma * sigma * sqrt(2.0 / neff));
        CHECK(fabs(rho - exp(-lag * dt / tau)) < 5 * sqrt(1.0 / neff));
        free(xs);
    }

    /* Day-of-week weights: mean 1; us-enterprise weekends low; custom normalised. */
    double dow[7], cu[7] = {1, 1, 1, 1, 2, 3, 3};
    ic_day_of_week_weights(IC_DIURNAL_US_ENTERPRISE, NULL, dow);
    CHECK_NEAR(dow[0], 7.0 / 5.7, 1e-14);
    CHECK_NEAR(dow[6], 0.35 * 7.0 / 5.7, 1e-14);
    ic_day_of_week_weights(IC_DIURNAL_CN_CONSUMER, NULL, dow);
    CHECK(dow[3] == 1.0 && dow[5] == 1.0);
    ic_day_of_week_weights(IC_DIURNAL_FLAT, cu, dow);
    CHECK_NEAR(dow[5], 3.0 * 7 / 12, 1e-14);
    ic_diurnal_weights(IC_DIURNAL_US_ENTERPRISE, NULL, w);
    CHECK(w[3] < 0.25 && w[14] > 1.5);
    return check_report("test_traffic");
}
