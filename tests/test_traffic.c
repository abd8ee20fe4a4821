/* test_traffic.c: growth, diurnal profile, events, Ornstein-Uhlenbeck coefficients. */
#include "check.h"
#include "traffic.h"

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

    /* Growth. */
    CHECK_NEAR(ic_growth_users(IC_GROWTH_EXPONENTIAL, 6e5, log(2) / 24.5, 0, 24.5), 1.2e6, 1e-12);
    CHECK_NEAR(ic_growth_users(IC_GROWTH_LOGISTIC, 6e5, 0.3, 5e7, 0), 6e5, 1e-12);
    CHECK_NEAR(ic_growth_users(IC_GROWTH_LOGISTIC, 6e5, 0.3, 5e7, 500), 5e7, 1e-9);
    /* Logistic midpoint: K/2 at t = ln(K/U0 - 1) / r. */
    double tm = log(5e7 / 6e5 - 1) / 0.3;
    CHECK_NEAR(ic_growth_users(IC_GROWTH_LOGISTIC, 6e5, 0.3, 5e7, tm), 2.5e7, 1e-12);

    /* OU: the exact discretisation keeps the stationary variance. */
    double phi, innov;
    ic_ou_coeffs(0.137, 3600, 60, &phi, &innov);
    CHECK_NEAR(phi, exp(-60.0 / 3600), 1e-15);
    CHECK_NEAR(phi * phi * 0.137 * 0.137 + innov * innov, 0.137 * 0.137, 1e-14);
    return check_report("test_traffic");
}
