/* fleet.c: cost and energy of accelerator-hours (see fleet.h for the sources). */
#include "models/fleet.h"

#include <math.h>

#define IC_HOURS_PER_YEAR 8766.0 /* 365.25 days */

double ic_fleet_hour_energy_kwh(const struct ic_accelerator *a, double pue) {
    return a->tdp_w / 1000.0 * pue;
}

double ic_fleet_hour_cost(const struct ic_accelerator *a, const struct ic_cost_params *c) {
    if (c->accelerator_hour_usd >= 0) return c->accelerator_hour_usd;
    double capex = a->price_usd_est / (c->amortization_years * IC_HOURS_PER_YEAR);
    double energy = ic_fleet_hour_energy_kwh(a, c->pue) * c->electricity_usd_per_kwh;
    return capex + energy; /* NaN propagates when a figure is missing */
}
