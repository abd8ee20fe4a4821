/* queue.h: the fluid queue of the aggregate engine, one time step at a time.
 *
 * Within a step of length dt: arrivals join the backlog; the fleet serves up to its capacity
 * (replicas up x requests per second per replica x dt); each request still waiting abandons
 * with probability 1 - e^{-dt/patience} (exponential patience, memoryless, so the waiting time
 * already spent does not matter); admission control then rejects whatever makes the expected
 * wait of the newest request, backlog / service rate, exceed the limit (early rejection, as
 * Kimi's "429 engine is overloaded").  A step is degraded when the failed share (rejected +
 * abandoned) of its arrivals exceeds a threshold, or when there is demand and no capacity.
 * Time to first token is estimated as the wait of the backlog plus the mean prefill time. */
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

#endif
