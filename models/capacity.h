/* capacity.h: capacity needed by a prefill/decode (P/D) fleet, and its per-role accounting.
 *
 * A P/D fleet serves with two pools of units (DistServe, Zhong et al. 2024, OSDI; DeepSeek's
 * inference system overview of 2025-02-27: prefill units of 4 nodes, decode units of 18): a
 * prefill unit pushes uncached prompt tokens, a decode unit generates output tokens.  Each role
 * has its own work per request (uncached prompt tokens; reasoning + answer tokens) and its own
 * rate per unit (tokens/s, from the performance model or measured), so each role's fleet is
 * sized on its own and the request rate the fleet serves is the smaller of the two.
 *
 * Units needed for an offered load.  A unit serves mu (requests/s, or tokens/s: any rate, the
 * load in the same units) when saturated, and meets the latency objectives up to the
 * utilisation rho (the TTFT objective's binding load for prefill, models/perf.c; 1 for decode,
 * whose TPOT objective is already in the batch behind mu).  Units at utilisation rho serve
 * rho mu each, so the smallest whole number of units that serves the load within the
 * objectives is
 *
 *     n = ceil(load / (rho mu)),   0 when there is no load.
 *
 * This is the fluid view the aggregate engine takes of a step (its queue model, models/queue.h):
 * below rho mu per unit the objectives hold on the mean, above it they do not.  The engine
 * applies it to each output interval's mean offered load ("the capacity-needed curve").
 *
 * Tokens a day to units (the form in which operators publish a day, DeepSeek 2025-02-27): a day
 * of T tokens at a diurnal peak factor of d (peak over mean) is T / 86400 tokens/s on average and
 * d T / 86400 at the peak.  Cost: units x accelerators per unit x price per accelerator-hour x 24;
 * revenue: input tokens at the cached and uncached prices and output tokens at the output price.
 *
 * Plain structs in and out, no state; tests/test_capacity.c checks every equation against hand
 * arithmetic. */
#ifndef IC_CAPACITY_H
#define IC_CAPACITY_H

#include <math.h>

/* The roles of a P/D fleet. */
enum ic_role { IC_ROLE_PREFILL, IC_ROLE_DECODE, IC_ROLE_COUNT };

/* Smallest number of units, each serving mu at saturation and meeting the objectives up to
 * utilisation rho (0 < rho <= 1), that serves `load` (same units as mu) within them.  0 for no
 * load; INFINITY when no unit can serve within the objectives (mu or rho not positive). */
static inline double ic_cap_units_needed(double load, double mu, double rho) {
    if (!(load > 0)) return 0.0;
    double per = mu * rho;
    if (!(per > 0)) return INFINITY;
    /* A relative margin so that a load of exactly k units' worth needs k, not k + 1, after
     * rounding (load and rate are each a product of several factors). */
    return ceil(load / per * (1.0 - 1e-12));
}

/* The utilisation of `units` units each serving mu for an offered load (can exceed 1: overload;
 * NaN with no capacity and no load, INFINITY with no capacity and load). */
static inline double ic_cap_utilization(double load, double units, double mu) {
    double cap = units * mu;
    if (cap > 0) return load / cap;
    return load > 0 ? INFINITY : NAN;
}

/* One role of a day's accounting. */
struct ic_cap_role_in {
    double tokens_per_day; /* the role's work: uncached prompt tokens (prefill), output (decode) */
    double unit_tokens_per_s; /* a unit's saturated rate (measured or modelled), tokens/s */
    double rho;               /* utilisation at which the objectives bind (1: none) */
    double peak_factor;       /* the busiest interval's load over the day's mean (1: flat) */
    double unit_accels;       /* accelerators per unit */
    double accel_hour_usd;    /* all-in price per accelerator-hour */
};
struct ic_cap_role_out {
    double mean_tokens_per_s; /* tokens_per_day / 86400 */
    double units_mean;        /* units the mean load needs, fractional (load / (rho mu)) */
    double units_peak;        /* whole units the peak needs */
    double accels_peak;       /* units_peak x unit_accels */
    double cost_per_day_mean; /* a fleet that follows the load, at units_mean (USD/day) */
    double cost_per_day_peak; /* a flat fleet sized for the peak (USD/day) */
};

static inline struct ic_cap_role_out ic_cap_role_day(const struct ic_cap_role_in *in) {
    struct ic_cap_role_out o;
    double rho = in->rho > 0 ? in->rho : 1.0;
    o.mean_tokens_per_s = in->tokens_per_day / 86400.0;
    o.units_mean =
        in->unit_tokens_per_s > 0 ? o.mean_tokens_per_s / (in->unit_tokens_per_s * rho) : INFINITY;
    o.units_peak =
        ic_cap_units_needed(o.mean_tokens_per_s * in->peak_factor, in->unit_tokens_per_s, rho);
    o.accels_peak = o.units_peak * in->unit_accels;
    o.cost_per_day_mean = o.units_mean * in->unit_accels * in->accel_hour_usd * 24.0;
    o.cost_per_day_peak = o.accels_peak * in->accel_hour_usd * 24.0;
    return o;
}

/* A day's token revenue (USD): input tokens, of which the share cache_hit at the cached price,
 * and output tokens (reasoning included), prices per million tokens. */
static inline double ic_cap_revenue_per_day(double input_per_day, double cache_hit,
                                            double output_per_day, double price_in_mtok,
                                            double price_cached_mtok, double price_out_mtok) {
    return (input_per_day * ((1.0 - cache_hit) * price_in_mtok + cache_hit * price_cached_mtok) +
            output_per_day * price_out_mtok) /
           1e6;
}

/* The cost of a curve of units needed (nodes, or units of a role) at usd_per_unit_h per
 * unit-hour, from its running sums: unit_hours (the sum over intervals of units x the interval's
 * hours), its peak and the hours it spans.  A fleet that follows the curve pays for the
 * unit-hours; a flat fleet sized for the peak pays for the peak over every hour. */
static inline void ic_cap_curve_cost(double unit_hours, double peak_units, double hours,
                                     double usd_per_unit_h, double *follow_usd, double *flat_usd) {
    *follow_usd = unit_hours * usd_per_unit_h;
    *flat_usd = peak_units * hours * usd_per_unit_h;
}

#endif
