/* queue.h: the fluid queue of the aggregate engine, one time step at a time.
 *
 * Within a step of length dt: arrivals join the backlog; the fleet serves up to its capacity
 * (replicas up x requests per second per replica x dt); each request still waiting abandons
 * with probability 1 - e^{-dt/patience} (exponential patience, memoryless, so the waiting time
 * already spent does not matter); admission control then rejects whatever makes the expected
 * wait of the newest request, backlog / service rate, exceed the limit (early rejection, as
 * Kimi's "429 engine is overloaded").  A step is degraded when the failed share (rejected +
 * abandoned) of its arrivals exceeds a threshold, or when there is demand and no capacity.  An
 * outage is a run of consecutive degraded steps at least outage_min_s long (its minimum
 * duration, ceil(outage_min_s / dt) steps; every degraded step is one when it is 0); the steps of
 * such a run count as outage from its first, and the first outage starts at its first step.
 * Time to first token is estimated as the wait of the backlog (backlog / service rate), plus the
 * first token alone (prefill, at the current mix), plus the wait on the iterations of the running
 * batch, which grows with the utilisation (models/perf.c, ttft_wait_s, tabulated over
 * utilisation 0..1; checked against the request engine, README, "Two engines").
 *
 * Plain numbers in and out; called by the aggregate engine (sim/engine.c), which owns the time
 * loop. */
#ifndef IC_QUEUE_H
#define IC_QUEUE_H

#include <math.h>

struct ic_queue_flow {
    double served, abandoned, rejected;
};

/* Advance the backlog by one step. */
static inline void ic_queue_step(double *backlog, double arrivals, double capacity,
                                 double max_backlog, double abandon_prob, struct ic_queue_flow *f) {
    double q = *backlog + arrivals;
    double served = q < capacity ? q : capacity;
    q -= served;
    double abandoned = q * abandon_prob;
    q -= abandoned;
    double rejected = 0;
    if (q > max_backlog) {
        rejected = q - max_backlog;
        q = max_backlog;
    }
    *backlog = q;
    f->served = served;
    f->abandoned = abandoned;
    f->rejected = rejected;
}

static inline int ic_queue_degraded(const struct ic_queue_flow *f, double arrivals, double capacity,
                                    double threshold) {
    if (arrivals <= 0) return 0;
    if (!(capacity > 0)) return 1;
    /* Demand or failures that are not finite numbers (an overflow upstream) are an overload:
     * the comparison is written so that NaN lands on the degraded side. */
    if (!(arrivals < INFINITY)) return 1;
    return !(f->rejected + f->abandoned <= threshold * arrivals);
}

/* The outage rule's state along a path. */
struct ic_outage_run {
    long run, run_start; /* the current run of degraded steps: length, first step */
    int outage;          /* an outage happened */
    double first_outage; /* start of the first outage, s (NaN: none) */
    double degraded_steps, outage_steps;
};

/* The minimum outage duration in steps of dt (a hair under a whole number of steps rounds down,
 * so that 300 s at dt 60 s is 5 steps despite rounding). */
static inline long ic_outage_min_steps(double outage_min_s, double dt) {
    return (long)ceil(outage_min_s / dt - 1e-9);
}

/* Step i (of length dt), degraded or not, through the outage rule. */
static inline void ic_outage_step(struct ic_outage_run *o, int degraded, long i, long min_steps,
                                  double dt) {
    if (degraded) {
        if (o->run == 0) o->run_start = i;
        o->run++;
        o->degraded_steps += 1;
        if (o->run == min_steps || (min_steps <= 0 && o->run == 1)) {
            o->outage_steps += (double)o->run;
            if (!o->outage) o->first_outage = (double)o->run_start * dt;
            o->outage = 1;
        } else if (o->run > min_steps) {
            o->outage_steps += 1;
        }
    } else {
        o->run = 0;
    }
}

/* Time to first token at a backlog, a service rate (> 0, requests/s), the first token alone, and
 * a utilisation: the batch's wait interpolated in w[0..n-1] over utilisation 0..1 (n >= 2). */
static inline double ic_queue_ttft(double backlog, double svc_rate, double ttft_alone,
                                   const double *w, int n, double util) {
    double busy = util < 1.0 ? (util > 0 ? util : 0.0) : 1.0;
    double xu = busy * (n - 1);
    int k0 = xu >= n - 1 ? n - 2 : (int)xu;
    return backlog / svc_rate + ttft_alone + w[k0] + (w[k0 + 1] - w[k0]) * (xu - (double)k0);
}

/* Requests of a step served within the objectives: the served share that meets them at the
 * step's utilisation (good_share, from the pool's service curve, sim/engine/svccurve.h); with a
 * backlog left, the replicas run saturated and the share is good_sat (the TPOT objective at
 * full batches), and none when the backlog's wait alone (backlog / service rate) breaks the
 * TTFT objective (ttft_slo_s 0: none): a step function of the wait, as the fluid backlog has
 * one wait for all.  The closed form's; a measured service curve has the request engine's
 * spread of the TTFT in a backlog instead (sim/engine/svccurve.h, ic_curve_good). */
static inline double ic_queue_good(double served, double good_share, double good_sat,
                                   double backlog, double svc_rate, double ttft_slo_s) {
    if (!(backlog > 0)) return served * good_share;
    if (ttft_slo_s > 0 && svc_rate > 0 && backlog / svc_rate > ttft_slo_s) return 0.0;
    return served * good_sat;
}

#endif
