/* test_capacity.c: the capacity-needed equation (models/capacity.h) on a step demand, and the
 * per-role accounting of a day against hand arithmetic on DeepSeek's published day of
 * 2025-02-27 (../shared/reference/serving_measurements.md, 2a). */
#include "check.h"
#include "models/capacity.h"

static void test_units_needed(void) {
    /* A unit serves 3,000 tokens/s saturated and meets the objectives up to 80%: 2,400 each. */
    const double mu = 3000, rho = 0.8;
    CHECK(ic_cap_units_needed(0, mu, rho) == 0);
    CHECK(ic_cap_units_needed(1, mu, rho) == 1);
    CHECK(ic_cap_units_needed(2400, mu, rho) == 1); /* exactly one unit's worth */
    CHECK(ic_cap_units_needed(2401, mu, rho) == 2);
    CHECK(ic_cap_units_needed(9600, mu, rho) == 4);
    CHECK(ic_cap_units_needed(9600.5, mu, rho) == 5);
    CHECK(ic_cap_units_needed(10000, mu, rho) == 5); /* 4.17 -> 5 */
    CHECK(ic_cap_units_needed(10000, mu, 1.0) == 4); /* no latency objective: 3.33 -> 4 */
    CHECK(isinf(ic_cap_units_needed(1, 0, rho)));    /* no unit can serve */
    CHECK(isinf(ic_cap_units_needed(1, mu, 0)));     /* the objective binds at no load */
    CHECK(ic_cap_units_needed(0, 0, 0) == 0);        /* nothing to serve */
    /* A rate that is a product of factors: 0.1 x 3 units' worth is 3 units, not 4. */
    CHECK(ic_cap_units_needed(0.1 * 3 * 7.0, 0.1 * 7.0, 1.0) == 3);

    CHECK_NEAR(ic_cap_utilization(4800, 4, 3000), 0.4, 1e-15);
    CHECK(isinf(ic_cap_utilization(1, 0, 3000)) && isnan(ic_cap_utilization(0, 0, 3000)));

    /* A step demand: 0 tokens/s for two hours, then 10,000 for four.  The curve is 0, 0, 5, 5,
     * 5, 5 units (by hand: 10,000 / 2,400 = 4.17 -> 5); following it costs 20 unit-hours, a
     * flat fleet for the peak 5 x 6 = 30. */
    const double load[6] = {0, 0, 1e4, 1e4, 1e4, 1e4};
    double unit_h = 0, peak = 0;
    for (int i = 0; i < 6; i++) {
        double n = ic_cap_units_needed(load[i], mu, rho);
        CHECK(n == (i < 2 ? 0 : 5));
        unit_h += n * 1.0;
        peak = n > peak ? n : peak;
    }
    double follow, flat;
    ic_cap_curve_cost(unit_h, peak, 6.0, 16.0, &follow, &flat); /* a unit of 8 at $2/h */
    CHECK(follow == 20 * 16.0 && flat == 30 * 16.0);
}

static void test_deepseek_day(void) {
    /* DeepSeek's day: 608e9 input tokens (56.3% cache hits), 168e9 output tokens, about 73.7k
     * input tok/s per prefill node (cache hits included) and 14.8k output tok/s per decode
     * node, as day averages; prefill units of 4 nodes, decode units of 18, 8 H800 a node at
     * $2 per GPU-hour.  By hand: 608e9 / 86400 = 7.037e6 tok/s / 73.7e3 = 95.48 prefill nodes;
     * 168e9 / 86400 = 1.944e6 / 14.8e3 = 131.38 decode nodes; 226.86 in all against the
     * published 226.75 average (the published rates are rounded); cost 226.75 x 8 x 24 x $2 =
     * $87,072 a day (published: $87,072). */
    struct ic_cap_role_in pre = {.tokens_per_day = 608e9,
                                 .unit_tokens_per_s = 4 * 73.7e3,
                                 .rho = 1,
                                 .peak_factor = 1,
                                 .unit_accels = 32,
                                 .accel_hour_usd = 2};
    struct ic_cap_role_in dec = pre;
    dec.tokens_per_day = 168e9;
    dec.unit_tokens_per_s = 18 * 14.8e3;
    dec.unit_accels = 144;
    struct ic_cap_role_out p = ic_cap_role_day(&pre), d = ic_cap_role_day(&dec);
    CHECK_NEAR(p.mean_tokens_per_s, 608e9 / 86400, 1e-15);
    CHECK_NEAR(p.units_mean * 4, 95.48, 1e-3);
    CHECK_NEAR(d.units_mean * 18, 131.38, 1e-3);
    CHECK_NEAR(p.units_mean * 4 + d.units_mean * 18, 226.75, 1e-3);
    CHECK(p.units_peak == 24 && d.units_peak == 8); /* 23.87 -> 24, 7.30 -> 8 */
    CHECK(p.accels_peak == 24 * 32 && d.accels_peak == 8 * 144);
    CHECK_NEAR(p.cost_per_day_mean + d.cost_per_day_mean, 226.86 * 8 * 24 * 2, 1e-4);
    CHECK(p.cost_per_day_peak == 24 * 32 * 2 * 24.0);
    /* At a diurnal peak 1.5 x the mean the prefill peak needs ceil(35.8) = 36 units. */
    pre.peak_factor = 1.5;
    CHECK(ic_cap_role_day(&pre).units_peak == 36);
    /* The TTFT objective binding at 60%: 23.87 / 0.6 = 39.8 units of mean load. */
    pre.peak_factor = 1;
    pre.rho = 0.6;
    CHECK_NEAR(ic_cap_role_day(&pre).units_mean, 608e9 / 86400 / (4 * 73.7e3) / 0.6, 1e-15);

    /* Revenue at R1's prices ($0.14 / M cached input, $0.55 / M input, $2.19 / M output):
     * 342e9 x 0.14 + 266e9 x 0.55 + 168e9 x 2.19 = 47,880 + 146,300 + 367,920 = $562,100 (the
     * published $562,027 is from unrounded token counts). */
    double rev = ic_cap_revenue_per_day(608e9, 342.0 / 608.0, 168e9, 0.55, 0.14, 2.19);
    CHECK_NEAR(rev, 562100, 1e-12);
    CHECK_NEAR(rev, 562027, 2e-4);
}

int main(void) {
    test_units_needed();
    test_deepseek_day();
    return check_report("test_capacity");
}
