/* fleet.h: accelerator failures, replicas up, cost and energy.
 *
 * Failures: each healthy accelerator fails at a constant rate (default from the Llama 3 paper,
 * arXiv:2407.21783: 419 unexpected interruptions in 54 days on 16,384 H100s); a failed
 * accelerator is repaired after an exponential time.  A failure takes its whole replica down
 * (blast radius): with F failed accelerators spread over R replicas, and F small against R, each
 * failure lands in a different replica, so min(F, R) replicas are down.  That is exact for the
 * first failure in each replica and an upper bound (pessimistic) when failures cluster.
 *
 * Cost per accelerator-hour, when not given: purchase price amortised linearly over the
 * amortisation period (8,766 h a year) plus energy at board power x PUE x electricity price
 * (power is taken at TDP whether busy or idle: serving fleets are rarely power-capped when
 * idle, so this is an upper bound). */
#ifndef IC_FLEET_H
#define IC_FLEET_H

#include "models/catalog.h"

struct ic_cost_params {
    double accelerator_hour_usd; /* < 0: derive */
    double amortization_years;
    double pue;
    double electricity_usd_per_kwh;
};

/* USD per accelerator-hour; NaN when it must be derived and the catalog has no price or no
 * TDP. */
double ic_fleet_hour_cost(const struct ic_accelerator *a, const struct ic_cost_params *c);
/* kWh drawn per accelerator-hour at the wall (TDP x PUE); NaN without a TDP. */
double ic_fleet_hour_energy_kwh(const struct ic_accelerator *a, double pue);

/* Replicas serving with `failed` accelerators down among `total` (see the blast radius above). */
static inline double ic_fleet_replicas_up(double total_accels, double failed, long per_replica) {
    double r =
        total_accels >= (double)per_replica ? (double)((long long)total_accels / per_replica) : 0.0;
    double down = failed < r ? failed : r;
    return r - down;
}

#endif
