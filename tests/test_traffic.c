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

    /* Events, as the engine steps them (recurrence): 1 before the start and at it, the closed
     * form 1 + (peak - 1) f(tau) / f_max at every step, the peak at tau* = rise ln(1 +
     * decay/rise), 1 long after; a dip below 1 too. */
    double rise = 86400 * 1.7, decay = 604800, peak = 2.385, step = 60, start = 3 * step + 17;
    double tstar = rise * log1p(decay / rise);
    for (int dip = 0; dip < 2; dip++) {
        double pk = dip ? 0.4 : peak;
        struct ic_event_state ev;
        ic_event_init(&ev, start, pk, rise, decay, step);
        double best = 1.0, best_t = -1, worst_rel = 0, norm = ic_event_norm(rise, decay);
        long n = (long)(60 * 86400 / step);
        for (long i = 0; i < n; i++) {
            double t = (double)i * step, m = ic_event_step(&ev, t);
            if (t < start) {
                CHECK(m == 1.0 && ev.shape == 0.0);
                continue;
            }
            double tau = t - start;
            double closed = 1.0 + (pk - 1.0) * (1.0 - exp(-tau / rise)) * exp(-tau / decay) * norm;
            double rel = fabs(m - closed) / closed;
            if (rel > worst_rel) worst_rel = rel;
            if (dip ? m < best : m > best) best = m, best_t = tau;
            if (i == 4) CHECK(ev.on && tau == step - 17); /* the first step after the start */
        }
        CHECK(worst_rel < 1e-12);            /* the recurrence stays on the closed form */
        CHECK_NEAR(best, pk, 1e-9);          /* reaches the peak (or the dip) ... */
        CHECK(fabs(best_t - tstar) <= step); /* ... at tau* */
        CHECK(fabs(ic_event_step(&ev, (double)n * step) - 1.0) < 0.07 * fabs(pk - 1.0));
    }
    /* Mix shifts: only the named classes move, by 1 + (mult - 1) shape; then normalised. */
    double share[3] = {0.5, 0.3, 0.2};
    int idx[2] = {1, -1};
    double mult[2] = {3.0, 10.0};
    ic_mix_shift(share, 2, idx, mult, 0.5);
    CHECK(share[0] == 0.5 && share[1] == 0.3 * 2.0 && share[2] == 0.2);
    ic_mix_normalise(share, 3);
    CHECK_NEAR(share[0] + share[1] + share[2], 1.0, 1e-15);
    CHECK_NEAR(share[1], 0.6 / 1.3, 1e-15);
    double zero[2] = {0, 0};
    ic_mix_normalise(zero, 2);
    CHECK(zero[0] == 0 && zero[1] == 0);

    /* Retries and churn. */
    double pool = 100;
    CHECK(ic_retry_return(&pool, 0.25) == 25 && pool == 75);
    CHECK(ic_retry_fail(&pool, 0.4, 10) == 6 && pool == 79);
    CHECK(ic_churn_step(0.5, 0.1, 20, 100) == 0.5 * (1.0 - 0.02));
    CHECK(ic_churn_step(0.5, 1.0, 200, 100) == 0.0); /* never below 0 */

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

    /* The growth walk (the engine's recurrences) follows the curve: exponential and logistic by
     * recurrence, Bass evaluated; the first step is the curve at the reference time exactly. */
    {
        struct ic_growth gs[3] = {
            {.model = IC_GROWTH_EXPONENTIAL, .v0 = 6e5, .rate_per_day = 0.05},
            {.model = IC_GROWTH_LOGISTIC, .v0 = 6e5, .rate_per_day = 0.3, .capacity = 5e7},
            {.model = IC_GROWTH_BASS, .p = 0.01, .q = 0.3, .market = 1e7, .launch_days = -3},
        };
        for (int m = 0; m < 3; m++) {
            struct ic_growth_walk gw;
            const double t0 = 2.5, dts = 300;
            ic_growth_walk_init(&gs[m], &gw, t0, dts);
            double worst = 0;
            for (long i = 0; i < 100 * 288; i++) {
                double v = ic_growth_walk_value(&gs[m], &gw, (double)i * dts);
                double want = ic_growth_value(&gs[m], t0 + (double)i * dts / 86400.0);
                if (i == 0) CHECK(v == ic_growth_value(&gs[m], t0));
                double rel = fabs(v - want) / want;
                if (rel > worst) worst = rel;
                ic_growth_walk_next(&gs[m], &gw);
            }
            CHECK(worst < 1e-11);
        }
    }

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
            x = ic_ou_step(x, phi, innov, ic_rng_normal(&r));
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
