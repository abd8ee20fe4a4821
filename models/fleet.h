/* fleet.h: a pool's accelerators along a path: failures of accelerators and of nodes, repairs,
 * replicas up, capacity outages, power and cost.
 *
 * Failures: each healthy accelerator fails at a constant rate (default from the Llama 3 paper,
 * arXiv:2407.21783: 419 unexpected interruptions in 54 days on 16,384 H100s), and each node
 * (accelerators_per_node of them) at its own rate; failure times are drawn in continuous time at
 * the current healthy counts (exact for a constant per-unit rate, memoryless).  A failed unit is
 * repaired after a drawn time of mean repair_s: exponential, or lognormal of shape sigma (median
 * repair_s e^{-sigma^2/2}); pending repairs wait in a binary heap on their completion times.
 * Each accelerator is down at most once: one already failed when its node fails is not counted
 * again (it moves to `masked`), and comes back as failed when its node is repaired.
 *
 * Blast radius: a failed accelerator takes its whole replica down, and a failed node every
 * replica on it (ceil(per_node / per_replica) of them); replicas up = total - (failed +
 * failed_nodes x per_failed_node), at least 0.  Counting each failure as a different replica
 * is exact while failures are few against replicas and pessimistic when they cluster.
 *
 * A capacity outage (a region or a provider lost for a while) keeps a share of the replicas in
 * [start, end); overlapping windows multiply.
 *
 * Power and cost: power follows utilisation, TDP x (idle + (1 - idle) x utilisation) x PUE per
 * accelerator; cost per accelerator-hour is all-in when given, else the purchase price amortised
 * linearly over the amortisation period (8,766 h a year) plus the energy at the electricity
 * price.
 *
 * Plain structs and numbers; the random draws of the failure process come from the caller's
 * generator (sim/rng.h), the pool's own stream.  Called by the aggregate engine (sim/engine.c);
 * the time loop is the engine's. */
#ifndef IC_FLEET_H
#define IC_FLEET_H

#include "sim/core/enumtab.h"
#include "sim/core/rng.h"

/* How arrivals are spread over the pools of a heterogeneous fleet (/fleet/routing), and, in the
 * request-level engine, over the replicas (/request_engine/routing). */
enum ic_fleet_routing { IC_FLEET_LEAST_LOADED, IC_FLEET_SHARE };
enum ic_routing { IC_ROUTE_ROUND_ROBIN, IC_ROUTE_LEAST_OUTSTANDING, IC_ROUTE_POWER_OF_TWO };
extern const struct ic_enum_table ic_fleet_routings;
extern const struct ic_enum_table ic_routings;
const char *ic_fleet_routing_name(int routing);
const char *ic_routing_name(int routing);

#define IC_HOURS_PER_YEAR 8766.0 /* 365.25 days */

/* A pending repair: when, and of what (an accelerator, or a node when `node`). */
struct ic_repair {
    double t;
    int node;
};

/* The failure process's constants. */
struct ic_fleet_params {
    double per_node;                   /* accelerators per node */
    double failure_rate_per_hour;      /* per healthy accelerator */
    double node_failure_rate_per_hour; /* per healthy node */
    double repair_s;                   /* mean repair time */
    int repair_lognormal;              /* 0 exponential, 1 lognormal of shape repair_sigma */
    double repair_sigma;
};

/* The accelerators of one pool along a path. */
struct ic_fleet_pool {
    double accels;       /* in service */
    double failed;       /* failed accelerators not on a failed node */
    double masked;       /* failed accelerators on a failed node (down with it: counted once) */
    double failed_nodes; /* failed nodes */
    double next_fail, next_node_fail, next_event;
    struct ic_repair *heap; /* pending repairs (a binary heap on t) */
    int nheap, cap;
    double per_replica, total_replicas, per_failed_node;
    double failures, node_failures; /* counts so far */
    struct ic_rng rf;               /* the pool's failure stream */
};

/* Draw the pool's next failure times afresh at its current healthy counts, from time t. */
void ic_fleet_clocks(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double t);

/* Failures and repairs of the pool strictly before time t.  Returns 0, or -1 when a repair could
 * not be queued (out of memory: the failure is counted, its repair is not; the caller cannot go
 * on with this pool). */
int ic_fleet_events(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double t);

/* After the pool's size changes (accels): its replicas. */
void ic_fleet_resize(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl);

/* Accelerators added to the pool (n < 0: taken out) at time t: its replicas and failure clocks
 * follow; failed ones taken out leave with the rest (failed stays at most accels). */
void ic_fleet_add(const struct ic_fleet_params *fp, struct ic_fleet_pool *fl, double n, double t);

/* Frees the pending repairs. */
void ic_fleet_free(struct ic_fleet_pool *fl);

/* Replicas up (the blast radius above). */
static inline double ic_fleet_replicas(const struct ic_fleet_pool *fl) {
    double down = fl->failed + fl->failed_nodes * fl->per_failed_node;
    return fl->total_replicas > down ? fl->total_replicas - down : 0;
}

/* Healthy accelerators. */
static inline double ic_fleet_healthy(const struct ic_fleet_pool *fl, double per_node) {
    return fl->accels - fl->failed - fl->failed_nodes * per_node;
}

/* The share of replicas the capacity outages keep at time t: windows [t0[k], t1[k]) keeping
 * keep[k] each. */
static inline double ic_fleet_outage_keep(int n, const double *t0, const double *t1,
                                          const double *keep, double t) {
    double k = 1.0;
    for (int i = 0; i < n; i++)
        if (t >= t0[i] && t < t1[i]) k *= keep[i];
    return k;
}

/* Replicas up under an outage that keeps the share `keep` (whole replicas). */
static inline double ic_fleet_replicas_kept(double replicas, double keep) {
    return keep < 1.0 ? floor(replicas * keep) : replicas;
}

/* Power at the wall, kW, of `accels` accelerators of TDP tdp_kw busy the fraction `util`. */
static inline double ic_fleet_power_kw(double accels, double tdp_kw, double idle, double util,
                                       double pue) {
    return accels * tdp_kw * (idle + (1 - idle) * util) * pue;
}

/* Amortised purchase price per accelerator-hour. */
static inline double ic_fleet_capex_per_h(double price_usd, double amortization_years) {
    return price_usd / (amortization_years * IC_HOURS_PER_YEAR);
}

/* Cost per hour, USD, of `accels` accelerators drawing power_kw: all-in per accelerator-hour
 * when allin_per_h >= 0, else capex plus energy. */
static inline double ic_fleet_cost_per_h(double accels, double allin_per_h, double capex_per_h,
                                         double power_kw, double usd_per_kwh) {
    return allin_per_h >= 0 ? accels * allin_per_h : accels * capex_per_h + power_kw * usd_per_kwh;
}

#endif
