/* autoscale.h: the autoscaler's decision, a threshold rule on the offered load.
 *
 * At the end of each evaluation window the autoscaler looks at the window's offered load
 * (arrivals / capacity over the window; infinite when there was no capacity) and:
 *   - scales out by `step` accelerators when the load is above target_utilization, an action is
 *     allowed (fewer than max_actions so far and cooldown_s since the last one), the order would
 *     not take the fleet (in service + on order) above `cap` (0: no cap), and fewer than
 *     max_pending orders are outstanding; the order arrives after a lead time, lognormal of
 *     median lead_time_s and shape lead_time_sigma (procurement and provisioning, GUESSED);
 *   - else scales in by `step` at once when the load is below scale_in_utilization, an action
 *     is allowed, nothing is on order and the fleet stays at or above `floor`.
 * A threshold rule in fixed steps with a cooldown against flapping (the scenario's
 * /fleet/autoscale, README); its thresholds, steps and lead times are the planner's inputs.
 *
 * Plain numbers in and out; the engine (sim/engine.c) owns the time loop, the pending orders and
 * the draws of the lead time. */
#ifndef IC_AUTOSCALE_H
#define IC_AUTOSCALE_H

#include <math.h>

struct ic_autoscale_params {
    double target_utilization, scale_in_utilization, cooldown_s;
    double step, floor, cap; /* accelerators; cap 0: none */
    long long max_actions;
    double lead_time_s, lead_time_sigma;
    int max_pending;
};

enum ic_autoscale_action { IC_AUTOSCALE_NONE, IC_AUTOSCALE_OUT, IC_AUTOSCALE_IN };

/* The offered load of a window: arrivals / capacity (infinite without capacity). */
static inline double ic_autoscale_load(double arrivals, double capacity) {
    return capacity > 0 ? arrivals / capacity : INFINITY;
}

/* The decision at time `now` at a window's load, with `actions` taken so far (the last at
 * last_t), `accels` in service, `on_order` accelerators in n_pending outstanding orders. */
static inline enum ic_autoscale_action ic_autoscale_decide(const struct ic_autoscale_params *a,
                                                           double load, double now, double last_t,
                                                           int actions, double accels,
                                                           double on_order, int n_pending) {
    int may = actions < a->max_actions && now - last_t >= a->cooldown_s;
    if (may && load > a->target_utilization &&
        (a->cap <= 0 || accels + on_order + a->step <= a->cap) && n_pending < a->max_pending)
        return IC_AUTOSCALE_OUT;
    if (may && load < a->scale_in_utilization && n_pending == 0 && accels - a->step >= a->floor)
        return IC_AUTOSCALE_IN;
    return IC_AUTOSCALE_NONE;
}

/* An order's lead time at a standard normal draw z. */
static inline double ic_autoscale_lead(const struct ic_autoscale_params *a, double z) {
    return a->lead_time_s * exp(a->lead_time_sigma * z);
}

#endif
