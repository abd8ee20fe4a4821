/* engine.c: plan compilation, the per-path time loop of the aggregate engine, and the
 * reduction (see engine.h and DESIGN.md, "The aggregate (fluid) engine").
 *
 * One step of length dt for a path:
 *   1. demand: base(t) = G(t) x conversion x events(t) x exp(x(t) - sigma^2/2) x churn(t), where
 *      G is the growth curve of the demand quantity, conversion turns it into requests per
 *      second (daily active users x requests/user/day / 86400, or weekly web visits x channel
 *      multiplier x requests/visit / 604800), x is an Ornstein-Uhlenbeck process in log space
 *      (the -sigma^2/2 keeps the mean of the lognormal factor at 1), and churn(t) is the share
 *      of users not yet driven away by failures; the request rate is base(t) x diurnal(t).
 *      Arrivals of class c ~ Poisson(rate x share_c(t) x dt), with a gamma-distributed common
 *      factor of mean 1 and variance d when arrivals are over-dispersed (a negative binomial,
 *      variance mean + d mean^2), and with the variance of a renewal process of gaps of
 *      coefficient of variation cv (/traffic/noise/interarrival_cv) given the step's mean,
 *      cv^2 x the mean; share_c(t) moves with events that change the mix.  Retries
 *      of earlier failures return from a pool at rate 1/delay.  Demand saturates at 10^13
 *      units of the growth quantity (IC_MAX_DEMAND_UNITS), and a saturated step is degraded:
 *      an overflow is an overload, never NaN.  (models/traffic.h)
 *   2. capacity: replicas up (failures take whole replicas down) x requests/s per replica from
 *      the roofline model at the current mix, less the capacity outages (models/fleet.h);
 *   3. queue: the fluid queue of models/queue.h (serve, abandon, reject); a failed request is
 *      retried with probability p (into the pool) or lost, and its user leaves with the churn
 *      probability (models/traffic.h);
 *   4. outage: degraded steps (NaN or infinite demand among them); an outage is a run of them
 *      at least outage_min_s long (models/queue.h);
 *   5. fleet: failures of accelerators and of nodes in continuous time (models/fleet.h), each
 *      accelerator down at most once (one already failed when its node fails is not counted
 *      again), repairs after a drawn repair time; cost and energy accrue on every accelerator;
 *   6. autoscaling of pool 0 on the offered load of each evaluation window (models/autoscale.h);
 *      an autoscale floor holds from the start.
 * A prefill/decode fleet (/fleet/roles) is two pools, its prefill units (pool 0) and its decode
 * units (pool 1), each failing and costing as a pool of units; a request needs both, so the
 * fleet serves the smaller of the two pools' rates, and each output interval records the units
 * of each role its offered load needs (models/capacity.h).  Demand given as tokens a day
 * (/traffic/tokens_per_day) sets the request rate's level: input tokens a day over the mix's
 * mean prompt, a constant in place of the growth curve, shaped by the diurnal profile (mean 1
 * over a day), events and noise; its cache-hit share and output tokens set the mix's.
 * The engine owns the time loop, the random streams and the bookkeeping; the models own the
 * equations (path_advance is the loop of their calls).
 * Series are averaged over each output interval (NaN values, e.g. TTFT with no capacity, are
 * left out of the average). */
#include "sim/engine/engine.h"

#include "sim/config/replica.h"

#include "models/autoscale.h"
#include "models/capacity.h"
#include "models/fleet.h"
#include "models/queue.h"
#include "models/traffic.h"
#include "sim/core/rng.h"
#include "sim/core/stats.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <errno.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define IC_X_N(e, n, u, l) n,
#define IC_X_U(e, n, u, l) u,
#define IC_X_L(e, n, u, l) l,
const char *const ic_series_names[IC_SERIES_ALL] = {IC_SERIES_LIST(IC_X_N)
                                                        IC_ROLE_SERIES_LIST(IC_X_N)};
const char *const ic_series_units[IC_SERIES_ALL] = {IC_SERIES_LIST(IC_X_U)
                                                        IC_ROLE_SERIES_LIST(IC_X_U)};
const char *const ic_series_long[IC_SERIES_ALL] = {IC_SERIES_LIST(IC_X_L)
                                                       IC_ROLE_SERIES_LIST(IC_X_L)};
const char *const ic_summary_names[IC_SUMMARY_ALL] = {IC_SUMMARY_LIST(IC_X_N)
                                                          IC_ROLE_SUMMARY_LIST(IC_X_N)};
const char *const ic_summary_units[IC_SUMMARY_ALL] = {IC_SUMMARY_LIST(IC_X_U)
                                                          IC_ROLE_SUMMARY_LIST(IC_X_U)};
const char *const ic_summary_long[IC_SUMMARY_ALL] = {IC_SUMMARY_LIST(IC_X_L)
                                                         IC_ROLE_SUMMARY_LIST(IC_X_L)};
#undef IC_X_N
#undef IC_X_U
#undef IC_X_L

/* ---- plan ---------------------------------------------------------------------------------- */

static void add_input(struct ic_plan *plan, const struct ic_dist *d, int fit_index,
                      const char *pointer, const char *units) {
    if (plan->n_inputs >= IC_MAX_INPUTS) return;
    struct ic_input *in = &plan->inputs[plan->n_inputs++];
    in->dist = d;
    in->fit_index = fit_index;
    in->units = units;
    size_t n = strlen(pointer);
    if (n >= sizeof in->pointer) n = sizeof in->pointer - 1;
    memcpy(in->pointer, pointer, n);
    in->pointer[n] = '\0';
    plan->n_random += d ? ic_dist_is_random(d) : 1;
}

static void collect_input(void *ctx, const struct ic_dist *d, const char *pointer,
                          const char *units) {
    add_input(ctx, d, -1, pointer, units);
}

int ic_plan_input_index(const struct ic_plan *plan, const struct ic_dist *d) {
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].dist == d) return i;
    return -1;
}

/* A path's value of an input: its draw when vals is given, else the distribution's mean. */
static double value_of(const struct ic_plan *plan, const struct ic_dist *d, const double *vals) {
    if (!vals) return ic_dist_mean(d);
    int i = ic_plan_input_index(plan, d);
    return i >= 0 ? vals[i] : d->a;
}

/* A path's draws (vals) as sim/config/replica.h's value function. */
struct path_values {
    const struct ic_plan *plan;
    const double *vals;
};

static double path_value(const void *ctx, const struct ic_dist *d) {
    const struct path_values *pv = ctx;
    return value_of(pv->plan, d, pv->vals);
}

static void make_tokdist(const struct ic_plan *plan, const struct ic_token_dist *t,
                         const double *vals, struct ic_tokdist *out) {
    struct path_values pv = {plan, vals};
    ic_replica_tokdist(t, vals ? path_value : NULL, &pv, out);
}

void ic_plan_class_tokens(const struct ic_plan *plan, int c, struct ic_tokdist *in,
                          struct ic_tokdist *out, struct ic_tokdist *reason, double *reason_scale,
                          double *cache_hit) {
    const struct ic_scenario *sc = plan->sc;
    const struct ic_class *k = &sc->workload.classes[c];
    make_tokdist(plan, &k->input_tokens, NULL, in);
    make_tokdist(plan, &k->output_tokens, NULL, out);
    make_tokdist(plan, &k->reasoning_tokens, NULL, reason);
    *reason_scale = value_of(plan, &sc->workload.reasoning_multiplier, NULL);
    *cache_hit = value_of(plan, &k->prefix_cache_hit, NULL);
}

/* The request mix of a path from its draws (vals), or of the plan from the inputs' means. */
static void make_mix(const struct ic_plan *plan, const double *vals, struct ic_mix *mix) {
    struct path_values pv = {plan, vals};
    ic_replica_mix(plan->sc, plan->context_cap, vals ? path_value : NULL, &pv, mix);
}

/* Requests a second, on average over a day, of demand given as tokens a day: input tokens over
 * the mix's mean prompt (0 when demand comes from the growth curve). */
static double tokens_per_day_rps(const struct ic_plan *plan, const struct ic_mix *mix) {
    const double tin = plan->sc->traffic.tokens_per_day.input;
    if (!(tin > 0)) return 0;
    double in = 0;
    for (int c = 0; c < mix->n; c++) in += mix->share[c] * mix->in_mean[c];
    return in > 0 ? tin / in / 86400.0 : 0;
}

/* A pool's service from the performance model's answer for its replica: requests/s saturated
 * (mu), the utilisation at which the objectives bind (rho), each class's replica-seconds at that
 * utilisation (svc_c) and, for a role, a unit's tokens/s.  The one place a pool's rate is
 * derived (struct ic_pool_plan).  A pool of replicas: the replica's throughput and TTFT load
 * (models/perf.c).  A role's unit (models/capacity.h): its tokens/s, measured or the model's per
 * accelerator x the unit's accelerators, over the role's tokens per request (uncached prompt,
 * or reasoning + answer); prefill is bound by the TTFT objective (the model's load for it),
 * decode by none beyond the TPOT objective already in its batch. */
static void pool_service(const struct ic_plan *plan, const struct ic_pool_plan *pl,
                         const struct ic_perf *perf, const struct ic_mix *mix, double *mu,
                         double *rho, double *svc_c, double *unit_tok_s) {
    const struct ic_scenario *sc = plan->sc;
    if (pl->role < 0) {
        /* svc.scale: the measured service curve's rate over the closed form's (1 in closed
         * form), so that the fluid step serves svc.rps per replica at the base mix. */
        const double scale = pl->svc.scale;
        *mu = perf->requests_per_s_sat * scale;
        *rho = perf->ttft_rho;
        for (int c = 0; c < mix->n; c++) svc_c[c] = perf->service_s[c] / perf->ttft_rho / scale;
        *unit_tok_s = 0;
        return;
    }
    const int pre = pl->role == IC_ROLE_PREFILL;
    const double measured = pre ? sc->fleet.roles.prefill.measured_tokens_per_s
                                : sc->fleet.roles.decode.measured_tokens_per_s;
    const double tok = measured > 0 ? measured
                                    : pl->unit_accels * (pre ? perf->prefill_tok_s_per_accel
                                                             : perf->decode_tok_s_per_accel);
    const double work = pre ? perf->unc_tokens : perf->dec_tokens;
    *unit_tok_s = tok;
    *mu = work > 0 ? tok / work : INFINITY;
    *rho = pre ? perf->ttft_rho : 1.0;
    for (int c = 0; c < mix->n; c++) {
        double wc = pre ? mix->in_mean[c] * (1.0 - mix->cache_hit[c])
                        : mix->out_mean[c] + mix->reason_mean[c];
        svc_c[c] = tok > 0 && *rho > 0 ? wc / (tok * *rho) : INFINITY;
    }
}

/* A pool's replica parameters (sim/config/replica.h, the one mapping from the scenario, which
 * `infercap perf` uses too).  sw_eff is the path's /serving/software_efficiency (1: none). */
static void perf_params(const struct ic_plan *plan, const struct ic_pool_plan *pl,
                        double prefill_mfu, double decode_mbu, double sw_eff,
                        struct ic_perf_params *pp) {
    ic_replica_params(plan->sc, pl->accel, pl->weight_precision, pl->kv_precision, pl->fit.tp,
                      pl->fit.pp, prefill_mfu, decode_mbu, sw_eff, pp);
}

void ic_plan_perf_params(const struct ic_plan *plan, int pool, struct ic_perf_params *pp) {
    const struct ic_pool_plan *pl = &plan->pool[pool];
    perf_params(plan, pl, ic_dist_mean(pl->mfu), ic_dist_mean(pl->mbu), ic_dist_mean(pl->swe), pp);
}

/* Does any input of the replica's performance vary by path?  (Everything under /workload and
 * /serving feeds it.) */
static int perf_is_random(const struct ic_plan *plan) {
    for (int i = 0; i < plan->n_inputs; i++) {
        const struct ic_input *in = &plan->inputs[i];
        if (in->dist && ic_dist_is_random(in->dist) &&
            (strncmp(in->pointer, "/workload/", 10) == 0 ||
             strncmp(in->pointer, "/serving/", 9) == 0 || strstr(in->pointer, "_mfu") ||
             strstr(in->pointer, "_mbu")))
            return 1;
    }
    return 0;
}

/* Hour-of-day weights x day-of-week weights at the users' local time, per step. */
static void plan_diurnal(const struct ic_scenario *sc, struct ic_plan *plan) {
    double w[24], dow[7];
    const struct ic_numarr *dw = &sc->traffic.diurnal.day_of_week;
    ic_diurnal_weights(sc->traffic.diurnal.profile, sc->traffic.diurnal.weights.v, w);
    ic_day_of_week_weights(sc->traffic.diurnal.profile, dw->n == 7 ? dw->v : NULL, dow);
    int offset = sc->start.offset_s;
    if (sc->traffic.diurnal.utc_offset[0])
        (void)ic_parse_utc_offset(sc->traffic.diurnal.utc_offset, &offset);
    for (long i = 0; i < plan->nsteps; i++) {
        /* The middle of the step, in local seconds since 1970-01-01 (a Thursday). */
        double local = sc->start.unix_s + offset + ((double)i + 0.5) * plan->dt;
        double day = floor(local / 86400.0);
        double hour = (local - day * 86400.0) / 3600.0;
        int weekday = (int)(((long long)day + 3) % 7); /* Monday = 0 */
        if (weekday < 0) weekday += 7;
        plan->diurnal[i] = ic_diurnal_at(w, hour) * dow[weekday];
    }
}

static void plan_growth(const struct ic_scenario *sc, struct ic_plan *plan) {
    const double start = sc->start.unix_s;
    const struct ic_time *ref = &sc->traffic.growth.reference_time;
    double ref_s = ref->text[0] ? ref->unix_s : start;
    const struct ic_time *launch = &sc->traffic.growth.launch_time;
    plan->growth_ref_days = (start - ref_s) / 86400.0;
    memset(&plan->growth, 0, sizeof plan->growth);
    plan->growth.model = sc->traffic.growth.model;
    plan->growth.launch_days = launch->text[0] ? (launch->unix_s - ref_s) / 86400.0 : 0.0;
    plan->growth.npoints = sc->traffic.growth.n_points;
    plan->growth.t_days = plan->growth_t;
    plan->growth.log_v = plan->growth_logv;
    for (int i = 0; i < plan->growth.npoints; i++) {
        plan->growth_t[i] = (sc->traffic.growth.points[i].time.unix_s - ref_s) / 86400.0;
        plan->growth_logv[i] = log(sc->traffic.growth.points[i].value);
    }
    const struct ic_numarr *mean = &sc->traffic.growth.fit.mean;
    plan->fit_n = mean->n;
    for (int i = 0; i < mean->n; i++) plan->fit_mean[i] = mean->v[i];
    if (plan->fit_n > 0)
        (void)ic_cholesky(plan->fit_n, sc->traffic.growth.fit.covariance.v, plan->fit_chol);
    for (int i = 0; i < plan->fit_n; i++) {
        char ptr[160];
        snprintf(ptr, sizeof ptr, "/traffic/growth/fit/%s",
                 ic_growth_param_name(plan->growth.model, i));
        add_input(plan, NULL, i, ptr, "");
    }
}

/* The fleet size a pool is judged by: its value, or its median when drawn per path (paths
 * below one replica then have no capacity, an outage, which is a legitimate answer for them). */
static double typical_fleet(const struct ic_dist *d) {
    double v = ic_dist_is_random(d) ? ic_dist_quantile(d, 0.5) : d->a;
    return d->integer ? floor(v + 0.5) : v;
}

/* A pool whose fleet cannot form one replica: the fields, the value, what is needed. */
static int no_replica_error(const struct ic_scenario *sc, int k, const struct ic_pool_plan *pl,
                            double fleet, struct ic_error *err) {
    char field[64], given[200];
    if (k == 0)
        snprintf(field, sizeof field, "/fleet/accelerators");
    else
        snprintf(field, sizeof field, "/fleet/pools/%d/accelerators", k - 1);
    if (k == 0 && (sc->serving.tensor_parallel > 0 || sc->serving.pipeline_parallel > 0))
        snprintf(given, sizeof given,
                 "as /serving/tensor_parallel (%lld) and "
                 "/serving/pipeline_parallel (%lld) set it",
                 (long long)sc->serving.tensor_parallel, (long long)sc->serving.pipeline_parallel);
    else
        snprintf(given, sizeof given,
                 "the fewest whose memory holds the %.1f GB of weights and "
                 "the KV reserve",
                 pl->fit.weight_bytes / 1e9);
    return ic_error_set(err, IC_ERR_INVALID,
                        "%s: got %s%g, but one replica of %s on %s needs %ld accelerators "
                        "(tensor %ld x pipeline %ld, %s): this fleet serves nothing; give it at "
                        "least %ld, or a smaller model or a larger accelerator",
                        field, ic_dist_is_random(pl->accelerators) ? "a median of " : "", fleet,
                        sc->model.value.key, pl->accel->key, pl->fit.accels, pl->fit.tp, pl->fit.pp,
                        given, pl->fit.accels);
}

int ic_plan_compile(const struct ic_scenario *sc, struct ic_plan *plan, struct ic_error *err) {
    return ic_plan_compile_ex(sc, 0, plan, err);
}

/* A pool's cost per accelerator-hour (all-in, or capex from the price and energy from the TDP,
 * models/fleet.h).  0 when it has neither an all-in price nor the price and TDP to derive one. */
static int pool_costs(const struct ic_scenario *sc, const struct ic_accelerator *a,
                      struct ic_pool_plan *pl) {
    pl->allin_per_h = sc->fleet.accelerator_hour_usd;
    pl->capex_per_h = ic_fleet_capex_per_h(a->price_usd_est, sc->fleet.amortization_years);
    pl->tdp_kw = a->tdp_w / 1000.0;
    return !(pl->allin_per_h < 0 && (!isfinite(pl->capex_per_h) || !isfinite(pl->tdp_kw)));
}

int ic_plan_compile_ex(const struct ic_scenario *sc, unsigned flags, struct ic_plan *plan,
                       struct ic_error *err) {
    memset(plan, 0, sizeof *plan);
    plan->sc = sc;
    plan->paths = (long)sc->paths;
    plan->dt = sc->step_s;
    plan->nsteps = ic_scenario_steps(sc);
    plan->steps_per_out = (long)floor(sc->output.interval_s / sc->step_s + 0.5);
    plan->nout = ic_scenario_out_steps(sc);
    plan->store_paths =
        sc->output.store_paths < sc->paths ? (long)sc->output.store_paths : (long)sc->paths;
    plan->n_classes = sc->workload.n_classes;
    plan->weekly_visits = sc->traffic.growth.quantity == IC_QTY_WEEKLY_WEB_VISITS;
    plan->roles = ic_scenario_has_roles(sc);
    plan->n_series = IC_SERIES_COUNT + (plan->roles ? IC_ROLE_SERIES_COUNT : 0);
    plan->n_summary = IC_SUMMARY_COUNT + (plan->roles ? IC_ROLE_SUMMARY_COUNT : 0);
    ic_scenario_each_dist(sc, collect_input, plan);
    plan_growth(sc, plan);

    plan->diurnal = malloc((size_t)plan->nsteps * sizeof *plan->diurnal);
    plan->time_s = malloc((size_t)plan->nout * sizeof *plan->time_s);
    if (!plan->diurnal || !plan->time_s) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the time grid (%ld steps)",
                            plan->nsteps);
    }
    plan_diurnal(sc, plan);
    ic_zig_init(&plan->zig);
    for (long j = 0; j < plan->nout; j++)
        plan->time_s[j] = (double)j * (double)plan->steps_per_out * plan->dt;
    for (int e = 0; e < sc->traffic.n_events; e++)
        plan->has_mix_events |= sc->traffic.events[e].n_mix > 0;

    const struct ic_llm *m = &sc->model.value;
    plan->context_cap = m->max_context;
    plan->diurnal_peak = 0;
    for (long i = 0; i < plan->nsteps; i++)
        if (plan->diurnal[i] > plan->diurnal_peak) plan->diurnal_peak = plan->diurnal[i];
    plan->eval_steps = (long)ceil(sc->fleet.autoscale.evaluation_s / plan->dt - 1e-9);
    if (plan->eval_steps < 1) plan->eval_steps = 1;

    /* Pools: 0 is /accelerator with /fleet/accelerators, then /fleet/pools. */
    plan->n_pools = 1 + sc->fleet.n_pools;
    for (int k = 0; k < plan->n_pools; k++) {
        struct ic_pool_plan *pl = &plan->pool[k];
        pl->role = -1;
        if (k == 0) {
            pl->accel = &sc->accelerator.value;
            pl->accelerators = &sc->fleet.accelerators;
            pl->share = &sc->fleet.routing_share;
            pl->mfu = &sc->serving.prefill_mfu;
            pl->mbu = &sc->serving.decode_mbu;
            pl->weight_precision = sc->serving.weight_precision;
            pl->kv_precision = sc->serving.kv_precision;
        } else {
            const struct ic_pool *po = &sc->fleet.pools[k - 1];
            pl->accel = &po->accelerator.value;
            pl->accelerators = &po->accelerators;
            pl->share = &po->routing_share;
            pl->mfu = &po->prefill_mfu;
            pl->mbu = &po->decode_mbu;
            pl->weight_precision =
                po->weight_precision ? po->weight_precision - 1 : sc->serving.weight_precision;
            pl->kv_precision = po->kv_precision ? po->kv_precision - 1 : sc->serving.kv_precision;
        }
        pl->swe = &sc->serving.software_efficiency;
        const struct ic_accelerator *a = pl->accel;
        ic_perf_fit(m, a, pl->weight_precision, sc->serving.memory_utilization,
                    sc->serving.kv_reserve_fraction, k ? 0 : (long)sc->serving.tensor_parallel,
                    k ? 0 : (long)sc->serving.pipeline_parallel,
                    (long)sc->serving.accelerators_per_node, &pl->fit);
        if (!pl->fit.ok) {
            ic_plan_free(plan);
            if (k > 0)
                return ic_error_set(err, IC_ERR_INVALID, "/fleet/pools/%d/accelerator: %s", k - 1,
                                    pl->fit.why);
            return ic_error_set(err, IC_ERR_INVALID, "%s: %s",
                                sc->serving.tensor_parallel > 0 || sc->serving.pipeline_parallel > 0
                                    ? "/serving/tensor_parallel, /serving/pipeline_parallel"
                                    : "/model, /accelerator",
                                pl->fit.why);
        }
        const double fleet = typical_fleet(pl->accelerators);
        if (!pool_costs(sc, a, pl)) {
            ic_plan_free(plan);
            return ic_error_set(err, IC_ERR_INVALID,
                                "/fleet/accelerator_hour_usd: accelerator \"%s\" has no %s%s to "
                                "derive a cost from; set /fleet/accelerator_hour_usd or give the "
                                "accelerator a price_usd_est and tdp_w",
                                a->key, isfinite(a->price_usd_est) ? "tdp_w" : "price_usd_est",
                                k == 0 && sc->accelerator.base[0] ? " in the catalog" : "");
        }
        /* The replica's performance at the mean (or fixed) inputs: the answer when nothing
         * about it is random, and otherwise a check that typical paths are feasible. */
        struct ic_mix mix;
        make_mix(plan, NULL, &mix);
        char why[400];
        /* With attention data parallelism the replica is what /serving/attention_dp says
         * (sim/config/replica.h), never sized automatically, as `infercap perf --attention-dp`. */
        int automatic =
            sc->serving.attention_dp <= 0 &&
            (k > 0 || (sc->serving.tensor_parallel == 0 && sc->serving.pipeline_parallel == 0));
        if (ic_replica_build(sc, a, pl->weight_precision, pl->kv_precision, ic_dist_mean(pl->mfu),
                             ic_dist_mean(pl->mbu), ic_dist_mean(pl->swe), &mix, automatic, fleet,
                             &pl->fit, &pl->perf, why, sizeof why) != 0) {
            ic_plan_free(plan);
            return ic_error_set(err, IC_ERR_INVALID, "/workload: %s", why);
        }
        if (!(flags & IC_PLAN_ALLOW_NO_CAPACITY) && !plan->roles &&
            fleet < (double)pl->fit.accels) {
            ic_plan_free(plan);
            return no_replica_error(sc, k, pl, fleet, err);
        }
        if (ic_replica_check_ttft(sc, a, &pl->perf, err) != IC_OK) {
            ic_plan_free(plan);
            return err->status;
        }
        /* The service curve the fluid step serves by (sim/engine/svccurve.h). */
        int mode = flags & IC_PLAN_CLOSED_FORM ? IC_CURVE_CLOSED_FORM : sc->service_curve.mode;
        int rc = ic_service_curve(plan, k, mode, &pl->svc, err);
        if (rc != IC_OK) {
            ic_plan_free(plan);
            return rc;
        }
    }
    if (plan->roles) {
        /* A prefill/decode fleet: its prefill units are pool 0, its decode units pool 1, both
         * of the replica the model serves with (one unit of each role, models/perf.c). */
        plan->pool[1] = plan->pool[0];
        plan->pool[0].role = IC_ROLE_PREFILL;
        plan->pool[0].units = &sc->fleet.roles.prefill.units;
        plan->pool[0].unit_accels = (double)plan->pool[0].perf.prefill_accels;
        plan->pool[1].role = IC_ROLE_DECODE;
        plan->pool[1].units = &sc->fleet.roles.decode.units;
        plan->pool[1].unit_accels = (double)plan->pool[0].perf.decode_accels;
        plan->n_pools = 2;
        const struct ic_role_spec *rs[2] = {&sc->fleet.roles.prefill, &sc->fleet.roles.decode};
        for (int q = 0; q < 2; q++) {
            if (!rs[q]->accelerator[0]) continue;
            /* A role on its own accelerator: the P/D replica on that accelerator gives the
             * role's rate per accelerator (the same /serving layout and unit sizes), and the
             * accelerator its price and power. */
            struct ic_pool_plan *pl = &plan->pool[q];
            const struct ic_accelerator *a = &rs[q]->accel;
            const char *field =
                q ? "/fleet/roles/decode/accelerator" : "/fleet/roles/prefill/accelerator";
            pl->accel = a;
            ic_perf_fit(m, a, pl->weight_precision, sc->serving.memory_utilization,
                        sc->serving.kv_reserve_fraction, (long)sc->serving.tensor_parallel,
                        (long)sc->serving.pipeline_parallel,
                        (long)sc->serving.accelerators_per_node, &pl->fit);
            struct ic_mix mix;
            make_mix(plan, NULL, &mix);
            struct ic_perf_params pp;
            perf_params(plan, pl, ic_dist_mean(pl->mfu), ic_dist_mean(pl->mbu),
                        ic_dist_mean(pl->swe), &pp);
            char why[400] = "";
            if (!pl->fit.ok && sc->serving.attention_dp <= 0) {
                ic_plan_free(plan);
                return ic_error_set(err, IC_ERR_INVALID, "%s: %s", field, pl->fit.why);
            }
            if (ic_perf_replica(m, a, &pp, &mix, &pl->perf, why, sizeof why) != 0) {
                ic_plan_free(plan);
                return ic_error_set(err, IC_ERR_INVALID, "%s: %s", field, why);
            }
            pl->unit_accels = (double)(q ? pl->perf.decode_accels : pl->perf.prefill_accels);
            if (!pool_costs(sc, a, pl)) {
                ic_plan_free(plan);
                return ic_error_set(err, IC_ERR_INVALID,
                                    "%s: accelerator \"%s\" has no price or TDP to derive a cost "
                                    "from; set /fleet/accelerator_hour_usd",
                                    field, a->key);
            }
        }
    }
    {
        struct ic_mix mix;
        double svc[IC_MAX_CLASSES];
        make_mix(plan, NULL, &mix);
        for (int k = 0; k < plan->n_pools; k++) {
            struct ic_pool_plan *pl = &plan->pool[k];
            pool_service(plan, pl, &pl->perf, &mix, &pl->mu, &pl->rho_slo, svc,
                         &pl->unit_tokens_per_s);
        }
    }
    plan->fit = plan->pool[0].fit;
    plan->perf = plan->pool[0].perf;
    plan->perf_fixed = !perf_is_random(plan);
    return IC_OK;
}

void ic_plan_free(struct ic_plan *plan) {
    free(plan->diurnal);
    free(plan->time_s);
    plan->diurnal = NULL;
    plan->time_s = NULL;
}

/* ---- results ------------------------------------------------------------------------------- */

int ic_results_alloc(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err) {
    memset(r, 0, sizeof *r);
    r->paths = plan->paths;
    r->nout = plan->nout;
    r->n_inputs = plan->n_inputs;
    r->n_classes = plan->n_classes;
    r->n_series = plan->n_series;
    r->n_summary = plan->n_summary;
    r->nq = plan->sc->output.quantiles.n;
    memcpy(r->q, plan->sc->output.quantiles.v, sizeof r->q);
    size_t np = (size_t)r->paths, no = (size_t)r->nout, nc = (size_t)r->n_classes;
    size_t nq = (size_t)r->nq + 1;
    size_t ns = (size_t)plan->store_paths;
    /* calloc: every byte defined (a checkpoint saves the arrays whole); the pages of what is
     * never written are not touched. */
    r->series = calloc((size_t)r->n_series * ns * no + 1, sizeof *r->series);
    r->class_arrivals = calloc(nc * ns * no + 1, sizeof *r->class_arrivals);
    r->summary = calloc((size_t)r->n_summary * np + 1, sizeof *r->summary);
    r->inputs = calloc(((size_t)r->n_inputs + 1) * np, sizeof *r->inputs);
    r->bands = calloc((size_t)r->n_series * nq * no, sizeof *r->bands);
    r->store_paths = plan->store_paths;
    r->max_actions = (int)plan->sc->fleet.autoscale.max_actions;
    size_t na = (size_t)(r->store_paths * r->max_actions) + 1;
    r->action_time = calloc(na, sizeof *r->action_time);
    r->action_size = calloc(na, sizeof *r->action_size);
    r->action_ready = calloc(na, sizeof *r->action_ready);
    r->class_bands = calloc(nc * nq * no + 1, sizeof *r->class_bands);
    if (!r->series || !r->class_arrivals || !r->summary || !r->inputs || !r->bands ||
        !r->class_bands || !r->action_time || !r->action_size || !r->action_ready) {
        ic_results_free(r);
        return ic_error_set(err, IC_ERR_NOMEM,
                            "out of memory for the results of %ld paths x %ld output times; lower "
                            "/paths, /output/store_paths or raise /output/interval_s",
                            plan->paths, plan->nout);
    }
    return IC_OK;
}

void ic_results_free(struct ic_results *r) {
    free(r->series);
    free(r->class_arrivals);
    free(r->summary);
    free(r->inputs);
    free(r->bands);
    free(r->class_bands);
    free(r->action_time);
    free(r->action_size);
    free(r->action_ready);
    memset(r, 0, sizeof *r);
}

/* ---- one path ------------------------------------------------------------------------------
 *
 * A path's state lives in a struct path_state so the engine can step every path through a
 * window of output intervals, compute the bands of that window from all paths, and go on: the
 * memory for series is then paths x window, not paths x horizon.  The state holds everything a
 * step reads or writes; per-path constants (draws and what follows from them) are computed once
 * in path_init.  Results do not depend on the window length. */

/* An event's state on a path: its shape (models/traffic.h) and the shifts of the mix it
 * brings. */
struct ev_state {
    struct ic_event_state s;
    int n_mix;
    int mix_idx[IC_MAX_CLASSES];
    double mix_mult[IC_MAX_CLASSES];
};

/* The state of one pool along a path. */
struct pool_state {
    struct ic_fleet_pool fl; /* its accelerators, failures and repairs (models/fleet.h) */
    double mu;               /* requests/s per replica at the current mix */
    double svc_c[IC_MAX_CLASSES], ttft1_c[IC_MAX_CLASSES];
    double ttft_wait[IC_PERF_LOAD_POINTS]; /* beyond ttft1 by utilisation (models/perf.h) */
    double share;                          /* routing share (normalised) */
    double backlog;                        /* routing by share: the pool's own queue */
    double util;                           /* busy fraction this step */
    int feasible;
    double full_rps0; /* the initial fleet's replicas x requests/s, every accelerator healthy */
    double mu_sat, rho_slo; /* pool_service at the path's draws and the base mix */
    double unit_tok_s;      /* a role's unit: tokens/s */
    double rate;            /* requests/s of the replicas (units) up this step */
    double usd_h;           /* cost per hour this step */
};

/* Autoscaling along a path (pool 0): its actions and the orders still to arrive. */
#define IC_AUTOSCALE_MAX_PENDING 64
struct autoscale {
    int actions, n_pending;
    double last_t, ordered, first_t;
    double pending_t[IC_AUTOSCALE_MAX_PENDING], pending_n[IC_AUTOSCALE_MAX_PENDING];
    double acc_arr, acc_cap;
};

/* What a path carries from step to step. */
struct path_vars {
    double x;                  /* the noise, log space */
    double backlog;            /* the queue (least-loaded routing) */
    double retry_pool;         /* failed requests waiting to retry */
    double retained;           /* the share of users not driven away */
    struct ic_growth_walk gw;  /* the growth curve along the steps (models/traffic.h) */
    struct ic_outage_run orun; /* the outage rule (models/queue.h) */
    double sum_new, sum_ret, sum_served, sum_rej, sum_ab, sum_lost, peak_util, peak_load;
    double sum_good;
    double hours, cost, energy, revenue;
    /* A prefill/decode fleet: each role's cost, and the nodes-needed curve's running sums. */
    double role_cost[2], node_hours, curve_hours, nodes_peak, nodes_min, units_peak[2];
    double unit_hours[2];
};

struct path_state {
    long p;
    struct ic_growth g;
    double conversion, req_per_user_day, visits_per_request;
    double p_retry, retry_return, abandon_prob, churn_p, disp;
    double cv; /* /traffic/noise/interarrival_cv: the renewal variance of a step's count */
    struct ic_fleet_params fp; /* the failure process (models/fleet.h) */
    double phi, innov, mean_fix;
    struct ic_rng rn, ra, rs;
    int by_share;
    struct path_vars v;
    double tokens_per_req, ttft_lo, rev_per_req;    /* ttft_lo: alone */
    double unc_per_req, dec_per_req, kv_gb_per_req; /* a P/D fleet's work per request */
    double share[IC_MAX_CLASSES], base_share[IC_MAX_CLASSES];
    double tok_c[IC_MAX_CLASSES], rev_c[IC_MAX_CLASSES];
    struct autoscale as;
    struct ic_autoscale_params ap; /* the autoscaler's rule (models/autoscale.h) */
    double out_t0[IC_MAX_EVENTS], out_t1[IC_MAX_EVENTS], out_keep[IC_MAX_EVENTS];
    struct pool_state ps[IC_MAX_POOLS];
    struct ev_state ev[]; /* n_events of them */
};

static size_t path_state_size(const struct ic_plan *plan) {
    size_t n =
        sizeof(struct path_state) + (size_t)plan->sc->traffic.n_events * sizeof(struct ev_state);
    return (n + 63) / 64 * 64; /* one state per cache line boundary */
}

static double draw(const struct ic_plan *plan, const struct ic_dist *d, const double *vals) {
    return value_of(plan, d, vals);
}

/* The growth curve of path p: the distributions' draws, or the fitted multivariate normal. */
static void path_growth(const struct ic_plan *plan, uint64_t seed, long p, double *vals,
                        struct ic_growth *g) {
    const struct ic_scenario *sc = plan->sc;
    *g = plan->growth;
    g->v0 = draw(plan, &sc->traffic.growth.initial, vals);
    g->rate_per_day = draw(plan, &sc->traffic.growth.rate_per_day, vals);
    g->capacity = draw(plan, &sc->traffic.growth.capacity, vals);
    g->p = draw(plan, &sc->traffic.growth.p_per_day, vals);
    g->q = draw(plan, &sc->traffic.growth.q_per_day, vals);
    g->market = draw(plan, &sc->traffic.growth.market_size, vals);
    if (plan->fit_n == 0) return;
    /* theta = mean + L z, z standard normal from this path's parameter sub-stream. */
    struct ic_rng r;
    ic_rng_init(&r, seed, (uint64_t)p, IC_STREAM_PARAM, ic_hash32("/traffic/growth/fit"));
    double z[IC_GROWTH_MAX_PARAMS], th[IC_GROWTH_MAX_PARAMS];
    for (int i = 0; i < plan->fit_n; i++) z[i] = gsl_cdf_ugaussian_Pinv(ic_rng_uniform(&r));
    for (int i = 0; i < plan->fit_n; i++) {
        th[i] = plan->fit_mean[i];
        for (int k = 0; k <= i; k++) th[i] += plan->fit_chol[i * plan->fit_n + k] * z[k];
    }
    ic_growth_set_theta(g, th);
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].fit_index >= 0) vals[i] = th[plan->inputs[i].fit_index];
}

static void record_action(struct ic_results *res, long p, int i, double t, double n, double ready) {
    if (p >= res->store_paths || i >= res->max_actions) return;
    size_t k = (size_t)p * (size_t)res->max_actions + (size_t)i;
    res->action_time[k] = t;
    res->action_size[k] = n;
    res->action_ready[k] = ready;
}

/* Draws and per-path constants. */
static void path_init(const struct ic_plan *plan, long p, struct ic_results *res, double *vals,
                      struct path_state *st) {
    const struct ic_scenario *sc = plan->sc;
    const uint64_t seed = (uint64_t)sc->seed;
    const uint64_t gp = (uint64_t)(plan->path0 + p); /* the path's global index: its draws */
    const double dt = plan->dt;
    const int nc = plan->n_classes, np = plan->n_pools;
    memset(st, 0, sizeof *st);
    st->p = p;
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].dist) vals[i] = ic_dist_draw(plan->inputs[i].dist, seed, gp);
    path_growth(plan, seed, (long)gp, vals, &st->g);
    if (plan->sc->traffic.tokens_per_day.input > 0) {
        /* Demand as tokens a day: a constant level (conversion below), not the growth curve. */
        st->g = plan->growth;
        st->g.model = IC_GROWTH_EXPONENTIAL;
        st->g.v0 = 1.0;
        st->g.rate_per_day = 0.0;
    }
    for (int i = 0; i < plan->n_inputs; i++)
        res->inputs[(size_t)i * (size_t)res->paths + (size_t)p] = vals[i];
    const double sigma = draw(plan, &sc->traffic.noise.sigma, vals);
    const double channel = draw(plan, &sc->traffic.funnel.channel_multiplier, vals);
    const double per_visit = draw(plan, &sc->traffic.funnel.requests_per_visit, vals);
    const double per_user_day = draw(plan, &sc->traffic.requests_per_user_per_day, vals);
    /* Requests per second per unit of the growth quantity, and requests per user per day (to
     * count users for churn: one visit a day per user in the visits funnel). */
    st->conversion = plan->weekly_visits ? channel * per_visit / 604800.0 : per_user_day / 86400.0;
    struct ic_mix mix;
    make_mix(plan, vals, &mix);
    if (sc->traffic.tokens_per_day.input > 0) st->conversion = tokens_per_day_rps(plan, &mix);
    st->req_per_user_day = plan->weekly_visits ? per_visit : per_user_day;
    st->visits_per_request = 604800.0 / (channel * per_visit);
    st->p_retry = draw(plan, &sc->traffic.retry.probability, vals);
    st->retry_return = 1.0 - exp(-dt / draw(plan, &sc->traffic.retry.delay_s, vals));
    st->abandon_prob = 1.0 - exp(-dt / draw(plan, &sc->queue.patience_s, vals));
    st->churn_p = draw(plan, &sc->traffic.churn.probability, vals);
    st->disp = draw(plan, &sc->traffic.noise.arrival_dispersion, vals);
    st->cv = fabs(sc->traffic.noise.interarrival_cv - 1.0) > 1e-12
                 ? sc->traffic.noise.interarrival_cv
                 : 1.0;
    st->fp.per_node = (double)sc->serving.accelerators_per_node;
    st->fp.failure_rate_per_hour = sc->fleet.failure_rate_per_hour;
    st->fp.node_failure_rate_per_hour = sc->fleet.node_failure_rate_per_hour;
    st->fp.repair_s = draw(plan, &sc->fleet.repair_hours, vals) * 3600.0;
    st->fp.repair_lognormal = sc->fleet.repair_shape == IC_REPAIR_LOGNORMAL;
    st->fp.repair_sigma = sc->fleet.repair_sigma;

    const double price_in = sc->economics.price_input_per_mtok / 1e6;
    const double price_cached = sc->economics.price_cached_input_per_mtok / 1e6;
    const double price_out = sc->economics.price_output_per_mtok / 1e6;
    for (int c = 0; c < nc; c++) {
        st->share[c] = st->base_share[c] = mix.share[c];
        st->tok_c[c] = mix.in_mean[c] + mix.out_mean[c] + mix.reason_mean[c];
        st->rev_c[c] =
            mix.in_mean[c] * ((1 - mix.cache_hit[c]) * price_in + mix.cache_hit[c] * price_cached) +
            (mix.out_mean[c] + mix.reason_mean[c]) * price_out;
    }

    /* Pools: size, performance, routing share, failure clocks. */
    double share_sum = 0;
    for (int k = 0; k < np; k++) {
        const struct ic_pool_plan *pl = &plan->pool[k];
        struct pool_state *s = &st->ps[k];
        s->fl.accels = pl->role >= 0 ? draw(plan, pl->units, vals) * pl->unit_accels
                                     : draw(plan, pl->accelerators, vals);
        /* An autoscale floor above the initial fleet holds from the start: a planner who sets
         * a floor commits to keeping at least that much provisioned (and paying for it), so
         * it is not an action that waits for load to rise, a lead time or a cooldown.  (It
         * used to be applied only by the next scale-out, leaving the path under its floor.) */
        if (k == 0 && sc->fleet.autoscale.enabled &&
            s->fl.accels < (double)sc->fleet.autoscale.floor)
            s->fl.accels = (double)sc->fleet.autoscale.floor;
        s->fl.per_replica = pl->role >= 0 ? pl->unit_accels : (double)pl->fit.accels;
        ic_fleet_resize(&st->fp, &s->fl);
        s->share = draw(plan, pl->share, vals);
        share_sum += s->share;
        struct ic_perf perf_path;
        const struct ic_perf *perf = &pl->perf;
        s->feasible = 1;
        if (!plan->perf_fixed) {
            struct ic_perf_params pp;
            perf_params(plan, pl, draw(plan, pl->mfu, vals), draw(plan, pl->mbu, vals),
                        draw(plan, pl->swe, vals), &pp);
            char why[8];
            s->feasible = ic_perf_replica(&sc->model.value, pl->accel, &pp, &mix, &perf_path, why,
                                          sizeof why) == 0;
            perf = &perf_path;
        }
        /* The service curve: measured, the TTFT by load is the plan's measured mean beyond the
         * first token alone; closed form, the path's own.  The rate comes from pool_service(),
         * which scales a measured pool by the path's closed-form rate over the plan's (a
         * path's random performance is not measured again). */
        const struct ic_pool_service *svc = &pl->svc;
        if (svc->mode == IC_CURVE_MEASURED)
            for (int j = 0; j < IC_PERF_LOAD_POINTS; j++)
                s->ttft_wait[j] = svc->ttft_mean_s[j] - pl->perf.ttft1_s;
        else
            memcpy(s->ttft_wait, perf->ttft_wait_s, sizeof s->ttft_wait);
        pool_service(plan, pl, perf, &mix, &s->mu_sat, &s->rho_slo, s->svc_c, &s->unit_tok_s);
        for (int c = 0; c < nc; c++) s->ttft1_c[c] = perf->ttft1_c[c];
        s->mu = s->feasible ? s->rho_slo * s->mu_sat : 0.0;
        s->full_rps0 = floor(s->fl.accels / s->fl.per_replica) * s->mu;
        ic_rng_init(&s->fl.rf, seed, gp, IC_STREAM_FAILURES, (uint32_t)k);
        ic_fleet_clocks(&st->fp, &s->fl, 0.0);
    }
    for (int k = 0; k < np; k++) st->ps[k].share = share_sum > 0 ? st->ps[k].share / share_sum : 0;
    st->by_share = sc->fleet.routing == IC_FLEET_SHARE && np > 1 && !plan->roles;
    if (plan->roles) {
        /* A P/D fleet's work per request at the path's mix: uncached prompt tokens (prefill),
         * reasoning + answer (decode), and the prompt's KV cache moved between them. */
        const struct ic_perf *pf = &plan->pool[0].perf;
        for (int c = 0; c < nc; c++) {
            st->unc_per_req += mix.share[c] * mix.in_mean[c] * (1.0 - mix.cache_hit[c]);
            st->dec_per_req += mix.share[c] * (mix.out_mean[c] + mix.reason_mean[c]);
            st->kv_gb_per_req += mix.share[c] * mix.in_mean[c] * pf->kv_bytes_per_token / 1e9;
        }
        st->v.nodes_min = INFINITY;
    }
    for (int c = 0; c < nc; c++) {
        st->tokens_per_req += st->share[c] * st->tok_c[c];
        st->ttft_lo += st->share[c] * st->ps[0].ttft1_c[c];
        st->rev_per_req += st->share[c] * st->rev_c[c];
    }

    for (int e = 0; e < sc->traffic.n_events; e++) {
        const struct ic_event *x = &sc->traffic.events[e];
        struct ev_state *ev = &st->ev[e];
        memset(ev, 0, sizeof *ev);
        ic_event_init(&ev->s, x->start.unix_s - sc->start.unix_s,
                      draw(plan, &x->peak_multiplier, vals), draw(plan, &x->rise_s, vals),
                      draw(plan, &x->decay_s, vals), dt);
        ev->n_mix = x->n_mix;
        for (int i = 0; i < x->n_mix; i++) {
            ev->mix_mult[i] = draw(plan, &x->mix[i].share_multiplier, vals);
            ev->mix_idx[i] = -1;
            for (int c = 0; c < nc; c++)
                if (strcmp(sc->workload.classes[c].name, x->mix[i].class_name) == 0)
                    ev->mix_idx[i] = c;
        }
    }
    /* Capacity outages: [start, end) windows and the share of replicas kept. */
    for (int k = 0; k < sc->fleet.n_outages; k++) {
        const struct ic_outage *o = &sc->fleet.outages[k];
        st->out_t0[k] = o->start.unix_s - sc->start.unix_s;
        st->out_t1[k] = st->out_t0[k] + draw(plan, &o->duration_s, vals);
        st->out_keep[k] = 1.0 - draw(plan, &o->fraction, vals);
    }

    ic_rng_init(&st->rn, seed, gp, IC_STREAM_NOISE, 0);
    ic_rng_init(&st->ra, seed, gp, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&st->rs, seed, gp, IC_STREAM_AUTOSCALE, 0);
    ic_ou_coeffs(sigma, draw(plan, &sc->traffic.noise.corr_time_s, vals), dt, &st->phi, &st->innov);
    st->v.x = sigma * ic_rng_normal_zig(&st->rn, &plan->zig); /* the stationary distribution */
    st->mean_fix = -0.5 * sigma * sigma;
    /* Growth by recurrence where the curve allows it: exponential multiplies by e^{r dt}
     * each step; logistic carries e^{-r t}; Bass and piecewise are evaluated. */
    ic_growth_walk_init(&st->g, &st->v.gw, plan->growth_ref_days, dt);
    st->v.retained = 1.0;
    st->v.orun.first_outage = NAN;
    st->as.last_t = -INFINITY;
    st->ap = (struct ic_autoscale_params){
        .target_utilization = sc->fleet.autoscale.target_utilization,
        .scale_in_utilization = sc->fleet.autoscale.scale_in_utilization,
        .cooldown_s = sc->fleet.autoscale.cooldown_s,
        .step = (double)sc->fleet.autoscale.step_accelerators,
        .floor = (double)sc->fleet.autoscale.floor,
        .cap = (double)sc->fleet.autoscale.cap,
        .max_actions = sc->fleet.autoscale.max_actions,
        .lead_time_s = sc->fleet.autoscale.lead_time_s,
        .lead_time_sigma = sc->fleet.autoscale.lead_time_sigma,
        .max_pending = IC_AUTOSCALE_MAX_PENDING,
    };
    st->as.first_t = NAN;
    for (int i = 0; p < res->store_paths && i < res->max_actions; i++)
        record_action(res, p, i, NAN, NAN, NAN);
}

/* The most demand a path can have, in units of the growth quantity (users, or weekly visits):
 * a thousand times the world's population.  In-range inputs can overflow a double (0.3/day
 * for a year, a growth fit with a large mean, stacked 10^4x events) or float32 series; the
 * demand then saturates here and the step counts as overloaded, so an overflow reads as an
 * outage, never as NaN load that the outage rule cannot see ("P(outage) 0"). */
#define IC_MAX_DEMAND_UNITS 1e13

/* Where a step's means go: per output interval of the window, rows of the window buffer. */
struct window {
    float *buf;        /* [row][path][w] */
    long paths, w, j0; /* window length in output intervals, first interval */
};

static inline float *wrow(const struct window *win, int row, long p) {
    return win->buf + ((size_t)row * (size_t)win->paths + (size_t)p) * (size_t)win->w;
}

/* The demand of a chunk of steps is computed first, then the fleet and queue through it: the
 * demand does not depend on the queue unless users churn (then a chunk is one step), and a tight
 * demand loop lets the processor overlap the draws of consecutive steps. */
enum { CHUNK = 256 };

/* A path's constants for a window of steps. */
struct step_consts {
    double dt, inv_dt, dt_h, thr, max_wait, pue, idle, kwh_usd, per_node, ttft_slo;
    const struct ic_pool_service *svc0; /* pool 0's service curve: goodput by load */
    double users_per_base, base_max, base_factor;
    long outage_min_steps, chunk;
    int nc, np, ne, n_out, no_requests, degraded_slo;
    int roles, ns;        /* a prefill/decode fleet; series kept */
    double unit_usd_h[2]; /* a P/D fleet: a unit of each role's cost per hour at full power */
    double scaleout_gbps; /* per accelerator */
};

/* A chunk of steps' demand, ahead of the fleet and the queue. */
struct demand {
    double base[CHUNK], fresh[CHUNK], units[CHUNK], cls[IC_MAX_CLASSES][CHUNK];
    unsigned char sat[CHUNK];
    double tok[CHUNK], ttft1[CHUNK], rev[CHUNK], mu[IC_MAX_POOLS][CHUNK];
};

/* One step's figures, for the totals and the series. */
struct step_out {
    double arrivals, returned, capacity, svc_rate, backlog, healthy, replicas, provisioned;
    double backlog0; /* at the step's start */
    struct ic_queue_flow f;
    double lost, util, load, kw, usd_h, rev;
    double good; /* served within the objectives (models/queue.h, ic_queue_good) */
};

/* The series' sums over the current output interval. */
struct series {
    double acc[IC_SERIES_ALL], cacc[IC_MAX_CLASSES], scale[IC_SERIES_ALL];
    int cnt[IC_SERIES_ALL];
    long in_bin, j;
};

static inline void step_consts(const struct ic_plan *plan, const struct path_state *st,
                               struct step_consts *k) {
    const struct ic_scenario *sc = plan->sc;
    k->dt = plan->dt;
    k->inv_dt = 1.0 / k->dt;
    k->dt_h = k->dt / 3600.0;
    k->thr = sc->queue.degraded_failed_fraction;
    k->max_wait = sc->queue.max_wait_s;
    k->pue = sc->fleet.pue;
    k->idle = sc->fleet.idle_power_fraction;
    k->kwh_usd = sc->fleet.electricity_usd_per_kwh;
    k->per_node = (double)sc->serving.accelerators_per_node;
    k->ttft_slo = sc->serving.ttft_slo_s;
    k->degraded_slo = sc->queue.degraded_slo == IC_YES;
    k->svc0 = &plan->pool[0].svc;
    k->users_per_base = 86400.0 / st->req_per_user_day;
    /* The request rate at IC_MAX_DEMAND_UNITS (0 when requests per unit are zero). */
    k->base_max = st->conversion > 0 ? IC_MAX_DEMAND_UNITS * st->conversion : 0.0;
    k->base_factor = st->conversion * exp(st->mean_fix);
    k->outage_min_steps = ic_outage_min_steps(sc->queue.outage_min_s, k->dt);
    k->chunk = st->churn_p > 0 ? 1 : CHUNK;
    k->nc = plan->n_classes;
    k->np = plan->n_pools;
    k->ne = sc->traffic.n_events;
    k->n_out = sc->fleet.n_outages;
    /* With no requests per user (allowed: a product not yet serving) the users cannot be
     * counted back from the requests (0 x inf): they are the growth quantity itself, and the
     * visits that follow from requests are none. */
    k->no_requests = !(st->conversion > 0);
    k->roles = plan->roles;
    k->scaleout_gbps = sc->serving.scaleout_gbps;
    k->ns = plan->n_series;
    for (int q = 0; plan->roles && q < 2; q++) {
        /* The curve's cost: a unit of each role at full power (all-in, or capex + energy). */
        const struct ic_pool_plan *pl = &plan->pool[q];
        double kw = ic_fleet_power_kw(pl->unit_accels, pl->tdp_kw, k->idle, 1.0, k->pue);
        k->unit_usd_h[q] =
            ic_fleet_cost_per_h(pl->unit_accels, pl->allin_per_h, pl->capex_per_h, kw, k->kwh_usd);
    }
}

static inline void series_init(const struct ic_plan *plan, const struct path_state *st,
                               const struct step_consts *k, long i0, struct series *sr) {
    for (int s = 0; s < IC_SERIES_ALL; s++) sr->acc[s] = 0, sr->cnt[s] = 0, sr->scale[s] = 1.0;
    for (int c = 0; c < k->nc; c++) sr->cacc[c] = 0;
    double *scale = sr->scale;
    scale[IC_S_ACTIVE_USERS] = k->no_requests ? 1.0 : k->users_per_base;
    scale[IC_S_VISITS_WEEK] = k->no_requests ? 0.0 : st->visits_per_request;
    scale[IC_S_ARRIVALS] = scale[IC_S_RETRIES] = scale[IC_S_DEMAND_TOKENS] = k->inv_dt;
    scale[IC_S_SERVED] = scale[IC_S_REJECTED] = scale[IC_S_ABANDONED] = k->inv_dt;
    scale[IC_S_GOODPUT] = k->inv_dt;
    scale[IC_S_REVENUE_RATE] = k->inv_dt * 3600.0;
    scale[IC_R_PREFILL_TOKENS] = scale[IC_R_DECODE_TOKENS] = scale[IC_R_KV_TRANSFER] = k->inv_dt;
    sr->in_bin = 0;
    sr->j = i0 / plan->steps_per_out;
}

/* Shares move with the events' shapes; the service rates follow the mix. */
static inline void mix_step(struct path_state *st, const struct step_consts *k, struct demand *d,
                            long si) {
    const int nc = k->nc;
    struct pool_state *ps = st->ps;
    double tok = 0, tt1 = 0, rv = 0;
    for (int c = 0; c < nc; c++) st->share[c] = st->base_share[c];
    for (int e = 0; e < k->ne; e++)
        ic_mix_shift(st->share, st->ev[e].n_mix, st->ev[e].mix_idx, st->ev[e].mix_mult,
                     st->ev[e].s.shape);
    ic_mix_normalise(st->share, nc);
    for (int c = 0; c < nc; c++) {
        tok += st->share[c] * st->tok_c[c];
        tt1 += st->share[c] * ps[0].ttft1_c[c];
        rv += st->share[c] * st->rev_c[c];
    }
    for (int q = 0; q < k->np; q++) {
        double svc = 0;
        for (int c = 0; c < nc; c++) svc += st->share[c] * ps[q].svc_c[c];
        ps[q].mu = ps[q].feasible && svc > 0 ? 1.0 / svc : 0.0;
    }
    d->tok[si] = tok;
    d->ttft1[si] = tt1;
    d->rev[si] = rv;
    for (int q = 0; q < k->np; q++) d->mu[q][si] = ps[q].mu;
}

/* 1. demand at step i (models/traffic.h): events, mix, growth, noise, the classes' means. */
static inline void demand_step(const struct ic_plan *plan, struct path_state *st,
                               const struct step_consts *k, struct path_vars *v, struct demand *d,
                               long i, long si) {
    const double t = (double)i * k->dt;
    double ef = 1.0;
    for (int e = 0; e < k->ne; e++) ef *= ic_event_step(&st->ev[e].s, t);
    if (plan->has_mix_events) mix_step(st, k, d, si);
    const double gval = ic_growth_walk_value(&st->g, &v->gw, t);
    double base = ic_demand_rate(gval, k->base_factor, ef, v->x, v->retained);
    /* Saturate (NaN too: an overflowing factor times a zero); nothing to saturate when no
     * requests are made. */
    d->sat[si] = !(base <= k->base_max) && k->base_max > 0;
    if (d->sat[si]) base = k->base_max;
    if (k->no_requests)
        d->units[si] =
            fmin(gval * ef * exp(v->x + st->mean_fix) * v->retained, IC_MAX_DEMAND_UNITS);
    double lambda = base * plan->diurnal[i] * k->dt;
    if (st->disp > 0) lambda *= ic_rng_gamma(&st->ra, 1.0 / st->disp) * st->disp;
    /* The renewal process's variance, cv^2 x the mean (models/traffic.h): over-dispersed by a
     * common gamma factor of the classes' means, or under-dispersed, the count itself. */
    if (st->cv > 1.0 && lambda > 0) {
        const double a = ic_renewal_mix_shape(lambda, st->cv);
        lambda *= ic_rng_gamma(&st->ra, a) / a;
    } else if (st->cv < 1.0) {
        const double z = ic_rng_normal_zig(&st->ra, &plan->zig);
        lambda = ic_renewal_count_under(lambda, st->cv, z, ic_rng_uniform(&st->ra));
    }
    /* the classes' means now, their counts for the whole chunk (chunk_arrivals; with cv < 1
     * the counts already, the total's shares) */
    for (int c = 0; c < k->nc; c++) d->cls[c][si] = k->nc == 1 ? lambda : lambda * st->share[c];
    d->base[si] = base;
    v->x = ic_ou_step(v->x, st->phi, st->innov, ic_rng_normal_zig(&st->rn, &plan->zig));
    ic_growth_walk_next(&st->g, &v->gw);
}

/* Arrivals: Poisson counts of the chunk's means, class by class (not with an under-dispersed
 * renewal process, whose counts demand_step drew). */
static inline void chunk_arrivals(const struct ic_plan *plan, const struct path_state *st,
                                  const struct step_consts *k, struct demand *d, long c0, int n) {
    for (int c = 0; c < k->nc && !(st->cv < 1.0); c++) {
        /* class c's counts: positions = steps of sub-stream c + 1 of the arrivals stream */
        struct ic_rng rc;
        ic_rng_init(&rc, (uint64_t)plan->sc->seed, (uint64_t)(plan->path0 + st->p),
                    IC_STREAM_ARRIVALS, (uint32_t)c + 1);
        ic_rng_poisson_at(&rc, (uint64_t)c0, d->cls[c], d->cls[c], n);
    }
    for (int si = 0; si < n; si++) {
        double fresh = 0;
        for (int c = 0; c < k->nc; c++) fresh += d->cls[c][si];
        d->fresh[si] = fresh;
    }
}

/* 0. fleet (models/fleet.h): ordered capacity arrives; failures and repairs up to t.  Returns
 * -1 when out of memory. */
static inline int fleet_step(struct path_state *st, int np, double t) {
    struct autoscale *as = &st->as;
    for (int q = 0; q < as->n_pending;) {
        if (as->pending_t[q] <= t) {
            ic_fleet_add(&st->fp, &st->ps[0].fl, as->pending_n[q], t);
            as->pending_t[q] = as->pending_t[--as->n_pending];
            as->pending_n[q] = as->pending_n[as->n_pending];
        } else {
            q++;
        }
    }
    for (int q = 0; q < np; q++)
        if (st->ps[q].fl.next_event < t && ic_fleet_events(&st->fp, &st->ps[q].fl, t) != 0)
            return -1;
    return 0;
}

/* 2. capacity (models/fleet.h), 3. queue(s) (models/queue.h): routing by share gives each pool
 * its own queue; least-loaded routing one queue over every pool, each busy in proportion. */
static inline void serve_step(struct path_state *st, const struct step_consts *k,
                              struct path_vars *v, double t, struct step_out *o) {
    struct pool_state *ps = st->ps;
    const double arrivals = o->arrivals, dt = k->dt;
    double keep = ic_fleet_outage_keep(k->n_out, st->out_t0, st->out_t1, st->out_keep, t);
    double healthy = 0, replicas = 0, provisioned = 0, svc_rate = 0;
    struct ic_queue_flow f = {0, 0, 0};
    o->backlog0 = v->backlog;
    for (int q = 0; q < k->np; q++) {
        double rep = ic_fleet_replicas_kept(ic_fleet_replicas(&ps[q].fl), keep);
        healthy += ic_fleet_healthy(&ps[q].fl, k->per_node);
        provisioned += ps[q].fl.accels;
        replicas += rep;
        double rate = rep * ps[q].mu;
        ps[q].rate = rate;
        svc_rate += rate;
        if (st->by_share) {
            struct ic_queue_flow fk;
            ic_queue_step(&ps[q].backlog, arrivals * ps[q].share, rate * dt, k->max_wait * rate,
                          st->abandon_prob, &fk);
            f.served += fk.served;
            f.rejected += fk.rejected;
            f.abandoned += fk.abandoned;
            ps[q].util = rate > 0 ? fk.served / (rate * dt) : 0;
        }
    }
    if (k->roles) svc_rate = fmin(ps[0].rate, ps[1].rate); /* a request needs both roles */
    double capacity = svc_rate * dt;
    if (st->by_share) {
        v->backlog = 0;
        for (int q = 0; q < k->np; q++) v->backlog += ps[q].backlog;
    } else {
        ic_queue_step(&v->backlog, arrivals, capacity, k->max_wait * svc_rate, st->abandon_prob,
                      &f);
        double u = capacity > 0 ? f.served / capacity : 0.0;
        for (int q = 0; q < k->np; q++) ps[q].util = u;
        if (k->roles) /* each role busy in proportion to its own rate */
            for (int q = 0; q < 2; q++)
                ps[q].util = ps[q].rate > 0 ? f.served / (ps[q].rate * dt) : 0;
    }
    double inv_cap = capacity > 0 ? 1.0 / capacity : 0.0;
    o->util = f.served * inv_cap;
    o->load = capacity > 0 ? arrivals * inv_cap : (arrivals > 0 ? INFINITY : 0.0);
    o->capacity = capacity;
    o->svc_rate = svc_rate;
    o->backlog = v->backlog;
    o->healthy = healthy;
    o->replicas = replicas;
    o->provisioned = provisioned;
    o->f = f;
}

/* 5. economics (models/fleet.h): power follows utilisation; cost is all-in or capex + energy. */
static inline void economics_step(const struct ic_plan *plan, struct path_state *st,
                                  const struct step_consts *k, struct path_vars *v,
                                  struct step_out *o) {
    double kw = 0, usd_h = 0;
    for (int q = 0; q < k->np; q++) {
        const struct ic_pool_plan *pl = &plan->pool[q];
        struct pool_state *ps = &st->ps[q];
        double pkw = ic_fleet_power_kw(ps->fl.accels, pl->tdp_kw, k->idle, ps->util, k->pue);
        kw += pkw;
        ps->usd_h =
            ic_fleet_cost_per_h(ps->fl.accels, pl->allin_per_h, pl->capex_per_h, pkw, k->kwh_usd);
        usd_h += ps->usd_h;
    }
    if (k->roles)
        for (int q = 0; q < 2; q++) v->role_cost[q] += st->ps[q].usd_h * k->dt_h;
    o->kw = kw;
    o->usd_h = usd_h;
    o->rev = o->f.served * st->rev_per_req;
    v->hours += o->provisioned * k->dt_h;
    v->cost += usd_h * k->dt_h;
    v->energy += kw * k->dt_h;
    v->revenue += o->rev;
}

/* 6. autoscaling (pool 0, models/autoscale.h): at the end of each evaluation window, the
 * window's offered load decides; the orders wait in the pending list (fleet_step). */
static inline void autoscale_step(const struct ic_plan *plan, struct path_state *st,
                                  struct ic_results *res, long i, double t, double dt,
                                  const struct step_out *o) {
    struct autoscale *as = &st->as;
    as->acc_arr += o->arrivals;
    as->acc_cap += o->capacity;
    if ((i + 1) % plan->eval_steps != 0) return;
    const double now = t + dt;
    const struct ic_autoscale_params *a = &st->ap;
    double on_order = 0;
    for (int q = 0; q < as->n_pending; q++) on_order += as->pending_n[q];
    enum ic_autoscale_action act =
        ic_autoscale_decide(a, ic_autoscale_load(as->acc_arr, as->acc_cap), now, as->last_t,
                            as->actions, st->ps[0].fl.accels, on_order, as->n_pending);
    if (act == IC_AUTOSCALE_OUT) {
        double lead = ic_autoscale_lead(a, ic_rng_normal(&st->rs));
        as->pending_t[as->n_pending] = now + lead;
        as->pending_n[as->n_pending++] = a->step;
        record_action(res, st->p, as->actions, now, a->step, now + lead);
        as->actions++;
        as->last_t = now;
        as->ordered += a->step;
        if (isnan(as->first_t)) as->first_t = now;
    } else if (act == IC_AUTOSCALE_IN) {
        ic_fleet_add(&st->fp, &st->ps[0].fl, -a->step, now);
        record_action(res, st->p, as->actions, now, -a->step, now);
        as->actions++;
        as->last_t = now;
    }
    as->acc_arr = as->acc_cap = 0;
}

/* The path's totals and peaks. */
static inline void totals_step(struct path_vars *v, double fresh, const struct step_out *o) {
    v->sum_new += fresh;
    v->sum_ret += o->returned;
    v->sum_served += o->f.served;
    v->sum_good += o->good;
    v->sum_rej += o->f.rejected;
    v->sum_ab += o->f.abandoned;
    v->sum_lost += o->lost;
    if (o->util > v->peak_util) v->peak_util = o->util;
    if (o->load > v->peak_load) v->peak_load = o->load;
}

/* Series: sums over the output interval (NaN values left out of the mean), with the constant
 * factors (per second, users per unit of demand) applied at the end of the interval (scale[]);
 * at its end, the means go to the window's rows. */
/* A prefill/decode fleet's step: each role's utilisation, cost and work; the queue counts
 * against the bottleneck role (the one with the smaller rate). */
static inline void role_series_step(const struct path_state *st, const struct step_consts *k,
                                    struct series *sr, const struct step_out *o) {
    double *acc = sr->acc;
    const struct pool_state *ps = st->ps;
    acc[IC_R_PREFILL_UTIL] += ps[0].util;
    acc[IC_R_DECODE_UTIL] += ps[1].util;
    acc[ps[0].rate <= ps[1].rate ? IC_R_PREFILL_BACKLOG : IC_R_DECODE_BACKLOG] += o->backlog;
    acc[IC_R_PREFILL_COST] += ps[0].usd_h;
    acc[IC_R_DECODE_COST] += ps[1].usd_h;
    acc[IC_R_PREFILL_TOKENS] += o->arrivals * st->unc_per_req;
    acc[IC_R_DECODE_TOKENS] += o->arrivals * st->dec_per_req;
    acc[IC_R_KV_TRANSFER] += o->arrivals * st->kv_gb_per_req;
    /* GB/s over the prefill units' scale-out links (GB/s per accelerator, up ones only). */
    double link = (ps[0].fl.accels - ps[0].fl.failed) * k->scaleout_gbps;
    acc[IC_R_KV_LINK_UTIL] += link > 0 ? o->arrivals * k->inv_dt * st->kv_gb_per_req / link : 0;
}

/* At the end of an output interval: the units of each role its mean offered load (new requests:
 * a fleet that meets its load has no failures to retry) needs within the objectives
 * (models/capacity.h), the nodes they make, and the curve's running sums for the summaries. */
static inline void role_series_end(const struct path_state *st, const struct step_consts *k,
                                   struct series *sr, struct path_vars *v) {
    double *acc = sr->acc;
    const double n = (double)sr->in_bin;
    const double load = (acc[IC_S_ARRIVALS] - acc[IC_S_RETRIES]) * k->inv_dt / n;
    const struct pool_state *ps = st->ps;
    double units[2];
    for (int q = 0; q < 2; q++) {
        units[q] = ic_cap_units_needed(load, ps[q].mu_sat, ps[q].rho_slo);
        if (units[q] > v->units_peak[q]) v->units_peak[q] = units[q];
        v->unit_hours[q] += units[q] * n * k->dt_h;
    }
    double nodes =
        (units[0] * ps[0].fl.per_replica + units[1] * ps[1].fl.per_replica) / k->per_node;
    acc[IC_R_PREFILL_NEEDED] = units[0] * n; /* the means below divide by n */
    acc[IC_R_DECODE_NEEDED] = units[1] * n;
    acc[IC_R_NODES_NEEDED] = nodes * n;
    const double hours = n * k->dt_h;
    v->node_hours += nodes * hours;
    v->curve_hours += hours;
    if (nodes > v->nodes_peak) v->nodes_peak = nodes;
    if (nodes < v->nodes_min) v->nodes_min = nodes;
}

static inline void series_step(const struct ic_plan *plan, const struct path_state *st,
                               const struct step_consts *k, struct series *sr,
                               const struct demand *d, long si, const struct step_out *o, long i,
                               const struct window *win, struct path_vars *v) {
    double *acc = sr->acc;
    int *cnt = sr->cnt;
    for (int c = 0; c < k->nc; c++) sr->cacc[c] += d->cls[c][si];
    acc[IC_S_ACTIVE_USERS] += k->no_requests ? d->units[si] : d->base[si];
    acc[IC_S_ARRIVALS] += o->arrivals;
    acc[IC_S_RETRIES] += o->returned;
    acc[IC_S_DEMAND_TOKENS] += o->arrivals * st->tokens_per_req;
    acc[IC_S_CAPACITY_TOKENS] += o->svc_rate * st->tokens_per_req;
    acc[IC_S_SERVED] += o->f.served;
    acc[IC_S_GOODPUT] += o->good;
    acc[IC_S_UTILIZATION] += o->util;
    if (o->capacity > 0) {
        acc[IC_S_OFFERED_LOAD] += o->load;
        cnt[IC_S_OFFERED_LOAD]++;
    }
    acc[IC_S_BACKLOG] += o->backlog;
    acc[IC_S_REJECTED] += o->f.rejected;
    acc[IC_S_ABANDONED] += o->f.abandoned;
    if (o->svc_rate > 0) {
        acc[IC_S_TTFT] += ic_queue_ttft(o->backlog, o->svc_rate, st->ttft_lo, st->ps[0].ttft_wait,
                                        IC_PERF_LOAD_POINTS, o->util);
        cnt[IC_S_TTFT]++;
    }
    acc[IC_S_HEALTHY] += o->healthy;
    acc[IC_S_PROVISIONED] += o->provisioned;
    acc[IC_S_REPLICAS_UP] += o->replicas;
    acc[IC_S_POWER] += o->kw;
    acc[IC_S_COST_RATE] += o->usd_h;
    acc[IC_S_REVENUE_RATE] += o->rev;
    if (k->roles) role_series_step(st, k, sr, o);
    sr->in_bin++;
    if (sr->in_bin < plan->steps_per_out && i != plan->nsteps - 1) return;
    const long jj = win ? sr->j - win->j0 : 0, p = st->p;
    acc[IC_S_VISITS_WEEK] = acc[IC_S_ACTIVE_USERS];
    if (k->roles) role_series_end(st, k, sr, v);
    for (int s = 0; s < k->ns; s++) {
        int n = (s == IC_S_OFFERED_LOAD || s == IC_S_TTFT) ? cnt[s] : (int)sr->in_bin;
        if (win) wrow(win, s, p)[jj] = n ? (float)(acc[s] * sr->scale[s] / n) : NAN;
        acc[s] = 0;
        cnt[s] = 0;
    }
    for (int c = 0; c < k->nc; c++) {
        if (win) wrow(win, k->ns + c, p)[jj] = (float)(sr->cacc[c] / (k->dt * (double)sr->in_bin));
        sr->cacc[c] = 0;
    }
    sr->j++;
    sr->in_bin = 0;
}

/* Step a path from step i0 to i1 (both on output-interval boundaries, or i1 the last step): the
 * steps of the file's top comment, each a model's equations.  Returns 0, or -1 when out of
 * memory (a repair could not be queued). */
static int path_advance(const struct ic_plan *plan, struct path_state *st, long i0, long i1,
                        const struct window *win, struct ic_results *res) {
    struct step_consts k;
    step_consts(plan, st, &k);
    struct path_vars v = st->v; /* in locals (registers) through the window */
    struct series sr;
    series_init(plan, st, &k, i0, &sr);
    struct demand d;
    for (long c0 = i0; c0 < i1; c0 += k.chunk) {
        const long c1 = c0 + k.chunk < i1 ? c0 + k.chunk : i1;
        for (long i = c0; i < c1; i++) demand_step(plan, st, &k, &v, &d, i, i - c0);
        chunk_arrivals(plan, st, &k, &d, c0, (int)(c1 - c0));
        for (long i = c0; i < c1; i++) {
            const long si = i - c0;
            const double t = (double)i * k.dt;
            struct step_out o;
            if (fleet_step(st, k.np, t) != 0) return -1;
            if (plan->has_mix_events) {
                st->tokens_per_req = d.tok[si];
                st->ttft_lo = d.ttft1[si];
                st->rev_per_req = d.rev[si];
                for (int q = 0; q < k.np; q++) st->ps[q].mu = d.mu[q][si];
            }
            o.returned = ic_retry_return(&v.retry_pool, st->retry_return);
            o.arrivals = d.fresh[si] + o.returned;
            serve_step(st, &k, &v, t, &o);
            o.good = ic_curve_good(k.svc0, o.f.served, o.util, o.backlog0, o.backlog, o.arrivals,
                                   o.capacity, o.svc_rate, k.ttft_slo);
            /* A failed request is retried or lost for good; its user leaves with the churn
             * probability (users now = daily requests / requests per user per day). */
            o.lost = ic_retry_fail(&v.retry_pool, st->p_retry, o.f.rejected + o.f.abandoned);
            if (st->churn_p > 0 && d.base[si] > 0)
                v.retained =
                    ic_churn_step(v.retained, st->churn_p, o.lost, d.base[si] * k.users_per_base);
            /* 4. outage (models/queue.h) */
            struct ic_queue_flow fd = o.f;
            if (k.degraded_slo) fd.rejected += o.f.served - o.good; /* served outside the SLOs */
            ic_outage_step(&v.orun,
                           d.sat[si] || ic_queue_degraded(&fd, o.arrivals, o.capacity, k.thr), i,
                           k.outage_min_steps, k.dt);
            economics_step(plan, st, &k, &v, &o);
            if (plan->sc->fleet.autoscale.enabled) autoscale_step(plan, st, res, i, t, k.dt, &o);
            totals_step(&v, d.fresh[si], &o);
            series_step(plan, st, &k, &sr, &d, si, &o, i, win, &v);
        }
    }
    st->v = v;
    return 0;
}

/* Per-path summaries; frees what the path allocated. */
static void path_finish(const struct ic_plan *plan, struct path_state *st, struct ic_results *res) {
    const int np = plan->n_pools;
    const long p = st->p;
    double full = 0, fails = 0, nfails = 0;
    for (int k = 0; k < np; k++) {
        /* a P/D fleet serves the smaller of its roles' rates */
        full = plan->roles && k == 1 ? fmin(full, st->ps[k].full_rps0) : full + st->ps[k].full_rps0;
        fails += st->ps[k].fl.failures;
        nfails += st->ps[k].fl.node_failures;
        ic_fleet_free(&st->ps[k].fl);
    }
    double *col;
#define PUT(m, val)                                                                                \
    do {                                                                                           \
        col = ic_summary_col(res, m);                                                              \
        col[p] = (val);                                                                            \
    } while (0)
    PUT(IC_M_OUTAGE, st->v.orun.outage);
    PUT(IC_M_FIRST_OUTAGE, st->v.orun.first_outage);
    PUT(IC_M_DEGRADED_MIN, st->v.orun.degraded_steps * plan->dt / 60.0);
    PUT(IC_M_OUTAGE_MIN, st->v.orun.outage_steps * plan->dt / 60.0);
    PUT(IC_M_NEW, st->v.sum_new);
    PUT(IC_M_RETRIED, st->v.sum_ret);
    PUT(IC_M_ARRIVED, st->v.sum_new + st->v.sum_ret);
    PUT(IC_M_SERVED, st->v.sum_served);
    PUT(IC_M_GOOD, st->v.sum_good);
    PUT(IC_M_REJECTED, st->v.sum_rej);
    PUT(IC_M_ABANDONED, st->v.sum_ab);
    PUT(IC_M_LOST, st->v.sum_lost);
    PUT(IC_M_PEAK_UTIL, st->v.peak_util);
    PUT(IC_M_PEAK_LOAD, st->v.peak_load);
    PUT(IC_M_USERS_RETAINED, st->v.retained);
    PUT(IC_M_ACCEL_HOURS, st->v.hours);
    PUT(IC_M_COST, st->v.cost);
    PUT(IC_M_ENERGY, st->v.energy / 1000.0);
    PUT(IC_M_REVENUE, st->v.revenue);
    PUT(IC_M_MARGIN, st->v.revenue > 0 ? (st->v.revenue - st->v.cost) / st->v.revenue : NAN);
    PUT(IC_M_FAILURES, fails);
    PUT(IC_M_NODE_FAILURES, nfails);
    PUT(IC_M_ACTIONS, st->as.actions);
    PUT(IC_M_SCALED_OUT, st->as.ordered);
    PUT(IC_M_FIRST_ACTION, st->as.first_t);
    /* The fleet's full capacity at the busiest hour, in units of the growth quantity. */
    /* (Any demand is sustainable when users make no requests.) */
    PUT(IC_M_SUSTAINABLE,
        st->conversion > 0 ? full / (st->conversion * plan->diurnal_peak) : INFINITY);
    PUT(IC_M_REPLICA_RPS, st->ps[0].feasible ? plan->pool[0].svc.rps : 0.0);
    if (plan->roles) {
        const struct path_vars *v = &st->v;
        double follow = NAN, flat = NAN;
        if (v->curve_hours > 0) {
            /* Each role's units: following the curve, and flat at the role's own peak. */
            struct step_consts k;
            step_consts(plan, st, &k);
            follow = flat = 0;
            for (int q = 0; q < 2; q++) {
                double fq, lq;
                ic_cap_curve_cost(v->unit_hours[q], v->units_peak[q], v->curve_hours,
                                  k.unit_usd_h[q], &fq, &lq);
                follow += fq;
                flat += lq;
            }
        }
        PUT(IC_RM_NODES_MEAN, v->curve_hours > 0 ? v->node_hours / v->curve_hours : NAN);
        PUT(IC_RM_NODES_PEAK, v->curve_hours > 0 ? v->nodes_peak : NAN);
        PUT(IC_RM_NODES_MIN, v->curve_hours > 0 ? v->nodes_min : NAN);
        PUT(IC_RM_PREFILL_PEAK, v->units_peak[0]);
        PUT(IC_RM_DECODE_PEAK, v->units_peak[1]);
        PUT(IC_RM_PREFILL_COST, v->role_cost[0]);
        PUT(IC_RM_DECODE_COST, v->role_cost[1]);
        PUT(IC_RM_FOLLOW_COST, follow);
        PUT(IC_RM_FLAT_COST, flat);
        PUT(IC_RM_PREFILL_UNIT_RATE, st->ps[0].unit_tok_s);
        PUT(IC_RM_DECODE_UNIT_RATE, st->ps[1].unit_tok_s);
    }
#undef PUT
}

/* Quantiles over all paths at each output time of a window: rows [row][path][w] -> bands
 * [row][quantile][nout] at j0.. (NaNs left out).  Selection, not sorting: O(paths) per time.
 * The window is read in tiles of BAND_TILE output times, so that each path's run of a row is one
 * cache line rather than one line per time (a 20x speed-up when the output interval is the
 * step and the window is wide). */
#define BAND_TILE 16
static int window_bands(const struct window *win, long ncols, int row0, int nrows, int nq,
                        const double *q, long nout, float *bands, int threads) {
    size_t np = (size_t)win->paths, w = (size_t)win->w, nc = (size_t)ncols;
    size_t ntiles = (nc + BAND_TILE - 1) / BAND_TILE;
    int nomem = 0;
#pragma omp parallel num_threads(threads)
    {
        float *col = malloc((np ? np : 1) * BAND_TILE * sizeof *col);
        if (!col) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long k = 0; k < (long)((size_t)nrows * ntiles); k++) {
            if (!col) continue;
            size_t r = (size_t)k / ntiles, j0 = (size_t)k % ntiles * BAND_TILE;
            size_t nt = nc - j0 < BAND_TILE ? nc - j0 : BAND_TILE, m[BAND_TILE] = {0};
            float lo[BAND_TILE], hi[BAND_TILE];
            for (size_t t = 0; t < BAND_TILE; t++) lo[t] = INFINITY, hi[t] = -INFINITY;
            const float *src = win->buf + (size_t)(row0 + (int)r) * np * w + j0;
            for (size_t p = 0; p < np; p++, src += w)
                for (size_t t = 0; t < nt; t++) {
                    float v = src[t];
                    if (!isnan(v)) {
                        col[t * np + m[t]++] = v;
                        lo[t] = v < lo[t] ? v : lo[t];
                        hi[t] = v > hi[t] ? v : hi[t];
                    }
                }
            for (size_t t = 0; t < nt; t++) {
                double qs[IC_NUMARR_MAX];
                if (m[t] > 0 && lo[t] == hi[t]) /* the same on every path: no selection */
                    for (int i = 0; i < nq; i++) qs[i] = lo[t];
                else
                    ic_quantiles_select_f(col + t * np, m[t], q, nq, qs);
                for (int i = 0; i < nq; i++)
                    bands[(r * (size_t)nq + (size_t)i) * (size_t)nout + (size_t)win->j0 + j0 + t] =
                        (float)qs[i];
            }
        }
        free(col);
    }
    return nomem ? -1 : 0;
}

long ic_plan_window(const struct ic_plan *plan, long window_outputs) {
    if (window_outputs > 0) return window_outputs < plan->nout ? window_outputs : plan->nout;
    /* A window buffer of at most IC_WINDOW_BYTES. */
    double per = (double)(plan->n_series + plan->n_classes) * (double)plan->paths * 4.0;
    double w = floor(IC_WINDOW_BYTES / per);
    if (w < 1) w = 1;
    return w < (double)plan->nout ? (long)w : plan->nout;
}

int ic_default_threads(void) {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* The program, its libraries, thread stacks and HDF5's buffers: a 10-path Kimi run with its
 * service curve read from the cache peaks at 24.0 MiB resident, of which 5.8 MiB is counted by
 * ic_plan_memory_bytes (measured 2026-12-04, tests/python/test_scale.py's case; 15.5 MiB before
 * the curve's memory was counted on its own). */
#define IC_PROGRAM_BYTES (18.0 * 1048576.0)

double ic_plan_memory_bytes(const struct ic_plan *plan, long window, int threads) {
    if (threads < 1) threads = ic_default_threads();
    const struct ic_scenario *sc = plan->sc;
    double paths = (double)plan->paths, nout = (double)plan->nout;
    double rows = plan->n_series + plan->n_classes, nq = sc->output.quantiles.n;
    double store = (double)plan->store_paths;
    double bytes = 0;
    bytes += paths * (double)path_state_size(plan);                        /* path states */
    bytes += rows * paths * (double)window * 4.0;                          /* the window buffer */
    bytes += paths * (plan->n_summary * 8.0 + (plan->n_inputs + 1) * 8.0); /* per-path data */
    bytes += rows * store * nout * 4.0;                                    /* stored series */
    bytes += rows * nq * nout * 4.0;                                       /* bands */
    bytes += 3.0 * store * (double)sc->fleet.autoscale.max_actions * 8.0;
    bytes += (double)plan->nsteps * 8.0 + nout * 8.0; /* the plan's tables */
    bytes += BAND_TILE * paths * 4.0 * threads;       /* band workspaces: a tile per thread */
    /* The service curves measured by this process ran before the engine and freed what they
     * held: the peak is the larger of the two. */
    double curve = 0;
    for (int k = 0; k < plan->n_pools; k++)
        curve = fmax(curve, ic_curve_run_bytes(&plan->pool[k].svc));
    bytes = fmax(bytes, curve);
    bytes += IC_PROGRAM_BYTES;
    return bytes;
}

/* ---- checkpoints ---------------------------------------------------------------------------
 *
 * The file: a header (magic, key, shapes, the output intervals complete), the path states as
 * they are in memory (their heap pointers are meaningless and rebuilt), each pool's pending
 * repairs, the result arrays whole, and an FNV-1a hash of everything before it. */

uint64_t ic_fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

#define CKPT_MAGIC "ICCKPT01"

struct ckpt_header {
    char magic[8];
    uint64_t key, state_size;
    int64_t paths, nout, store_paths, n_inputs, nq, n_classes, max_actions, n_pools, reached;
};

struct ckpt_io {
    FILE *f;
    uint64_t h;
    int bad;
};

static void ck_put(struct ckpt_io *io, const void *p, size_t n) {
    if (io->bad || n == 0) return;
    io->h = ic_fnv1a(io->h, p, n);
    if (fwrite(p, 1, n, io->f) != n) io->bad = 1;
}

static void ck_get(struct ckpt_io *io, void *p, size_t n) {
    if (io->bad || n == 0) return;
    if (fread(p, 1, n, io->f) != n) {
        io->bad = 1;
        return;
    }
    io->h = ic_fnv1a(io->h, p, n);
}

/* The result arrays, in file order, with their sizes in bytes. */
static int ckpt_arrays(const struct ic_results *r, void *ptr[9], size_t len[9]) {
    size_t np = (size_t)r->paths, no = (size_t)r->nout, nc = (size_t)r->n_classes;
    size_t nq = (size_t)r->nq + 1, ns = (size_t)r->store_paths;
    size_t na = ns * (size_t)r->max_actions;
    void *p[9] = {r->series,      r->class_arrivals, r->summary,     r->inputs,      r->bands,
                  r->class_bands, r->action_time,    r->action_size, r->action_ready};
    size_t l[9] = {(size_t)r->n_series * ns * no * sizeof(float),
                   nc * ns * no * sizeof(float),
                   (size_t)r->n_summary * np * sizeof(double),
                   (size_t)r->n_inputs * np * sizeof(double),
                   (size_t)r->n_series * nq * no * sizeof(float),
                   nc * nq * no * sizeof(float),
                   na * sizeof(double),
                   na * sizeof(double),
                   na * sizeof(double)};
    memcpy(ptr, p, sizeof p);
    memcpy(len, l, sizeof l);
    return 9;
}

static void ckpt_fill_header(const struct ic_plan *plan, const struct ic_results *r, uint64_t key,
                             size_t ssize, long reached, struct ckpt_header *h) {
    memset(h, 0, sizeof *h);
    memcpy(h->magic, CKPT_MAGIC, 8);
    h->key = key;
    h->state_size = ssize;
    h->paths = plan->paths;
    h->nout = plan->nout;
    h->store_paths = r->store_paths;
    h->n_inputs = r->n_inputs;
    h->nq = r->nq;
    h->n_classes = r->n_classes;
    h->max_actions = r->max_actions;
    h->n_pools = plan->n_pools;
    h->reached = reached;
}

/* Save every path's state at output interval `reached` (all paths are there). */
static int ckpt_save(const struct ic_plan *plan, struct ic_checkpoint *ck, const char *states,
                     size_t ssize, long reached, const struct ic_results *r, struct ic_error *err) {
    double t0 = ic_monotonic_s();
    char tmp[4200];
    /* PATH.tmp-PID: a killed writer's leftover is told from a live one's and removed by the
     * next run (ic_clean_stale_temporaries). */
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", ck->path, (long)getpid()) >= (int)sizeof tmp)
        return ic_error_set(err, IC_ERR_IO, "%s: checkpoint path too long", ck->path);
    struct ckpt_io io = {fopen(tmp, "wb"), IC_FNV_INIT, 0};
    if (!io.f) return ic_error_set(err, IC_ERR_IO, "%s: %s", tmp, strerror(errno));
    struct ckpt_header h;
    ckpt_fill_header(plan, r, ck->key, ssize, reached, &h);
    ck_put(&io, &h, sizeof h);
    ck_put(&io, states, (size_t)plan->paths * ssize);
    for (long p = 0; p < plan->paths && !io.bad; p++) {
        const struct path_state *st = (const struct path_state *)(states + (size_t)p * ssize);
        for (int k = 0; k < plan->n_pools; k++)
            for (int i = 0; i < st->ps[k].fl.nheap; i++) { /* field by field: no padding bytes */
                ck_put(&io, &st->ps[k].fl.heap[i].t, sizeof(double));
                ck_put(&io, &st->ps[k].fl.heap[i].node, sizeof(int));
            }
    }
    void *ptr[9];
    size_t len[9];
    int na = ckpt_arrays(r, ptr, len);
    for (int i = 0; i < na; i++) ck_put(&io, ptr[i], len[i]);
    uint64_t sum = io.h;
    ck_put(&io, &sum, sizeof sum);
    int e = 0;
    if (io.bad || fflush(io.f) != 0 || fsync(fileno(io.f)) != 0) e = errno ? errno : EIO;
    if (fclose(io.f) != 0 && !e) e = errno ? errno : EIO;
    if (!e && rename(tmp, ck->path) != 0) e = errno;
    if (e) {
        remove(tmp);
        return ic_error_set(err, IC_ERR_IO, "%s: checkpoint not written: %s", ck->path,
                            strerror(e));
    }
    ck->saved++;
    ck->save_s += ic_monotonic_s() - t0;
    return IC_OK;
}

/* Load a checkpoint into the (zeroed) states and the results; *reached: where it stopped. */
static int ckpt_load(const struct ic_plan *plan, struct ic_checkpoint *ck, char *states,
                     size_t ssize, struct ic_results *r, long *reached, struct ic_error *err) {
    struct ckpt_io io = {fopen(ck->path, "rb"), IC_FNV_INIT, 0};
    if (!io.f) return ic_error_set(err, IC_ERR_IO, "%s: %s", ck->path, strerror(errno));
    struct ckpt_header h, want;
    ck_get(&io, &h, sizeof h);
    ckpt_fill_header(plan, r, ck->key, ssize, 0, &want);
    int rc = IC_OK;
    if (io.bad || memcmp(h.magic, CKPT_MAGIC, 8) != 0) {
        rc = ic_error_set(err, IC_ERR_INVALID, "%s: not an infercap checkpoint", ck->path);
    } else if (h.key != want.key || h.state_size != want.state_size) {
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "%s: the checkpoint is of a different run (scenario, overrides, seed, "
                          "paths or infercap build differ); run without --resume after deleting "
                          "it, or resume with what made it",
                          ck->path);
    } else {
        want.reached = h.reached;
        if (memcmp(&h, &want, sizeof h) != 0 || h.reached <= 0 || h.reached > plan->nout)
            rc = ic_error_set(err, IC_ERR_INVALID, "%s: the checkpoint's shapes do not match",
                              ck->path);
    }
    if (rc != IC_OK) {
        fclose(io.f);
        return rc;
    }
    ck_get(&io, states, (size_t)plan->paths * ssize);
    for (long p = 0; p < plan->paths; p++) { /* pointers: rebuilt below, or into the plan */
        struct path_state *st = (struct path_state *)(states + (size_t)p * ssize);
        st->g.t_days = plan->growth.t_days;
        st->g.log_v = plan->growth.log_v;
        for (int k = 0; k < plan->n_pools; k++) {
            st->ps[k].fl.heap = NULL;
            st->ps[k].fl.cap = 0;
            if (io.bad || st->p != p || st->ps[k].fl.nheap < 0) io.bad = 1;
            if (io.bad) st->ps[k].fl.nheap = 0;
        }
    }
    for (long p = 0; p < plan->paths && !io.bad; p++) {
        struct path_state *st = (struct path_state *)(states + (size_t)p * ssize);
        for (int k = 0; k < plan->n_pools && !io.bad; k++) {
            struct pool_state *ps = &st->ps[k];
            int n = ps->fl.nheap;
            if (n == 0) continue;
            ps->fl.heap = malloc((size_t)n * sizeof *ps->fl.heap);
            if (!ps->fl.heap) {
                ps->fl.nheap = 0;
                io.bad = 2;
                break;
            }
            ps->fl.cap = n;
            for (int i = 0; i < n; i++) {
                ck_get(&io, &ps->fl.heap[i].t, sizeof(double));
                ck_get(&io, &ps->fl.heap[i].node, sizeof(int));
            }
        }
    }
    void *ptr[9];
    size_t len[9];
    int na = ckpt_arrays(r, ptr, len);
    for (int i = 0; i < na; i++) ck_get(&io, ptr[i], len[i]);
    uint64_t want_sum = io.h, sum = 0;
    ck_get(&io, &sum, sizeof sum);
    if (!io.bad && (sum != want_sum || fgetc(io.f) != EOF)) io.bad = 1;
    fclose(io.f);
    if (io.bad) {
        for (long p = 0; p < plan->paths; p++) {
            struct path_state *st = (struct path_state *)(states + (size_t)p * ssize);
            for (int k = 0; k < plan->n_pools; k++) {
                free(st->ps[k].fl.heap);
                st->ps[k].fl.heap = NULL;
                st->ps[k].fl.nheap = 0;
            }
        }
        return io.bad == 2 ? ic_error_set(err, IC_ERR_NOMEM, "out of memory for the checkpoint")
                           : ic_error_set(err, IC_ERR_INVALID,
                                          "%s: the checkpoint is truncated or corrupt", ck->path);
    }
    *reached = h.reached;
    ck->resumed_from = h.reached;
    return IC_OK;
}

/* A save that failed: counted, and why, for the caller to tell (the library does not print). */
static void ckpt_failed(struct ic_checkpoint *ck, const struct ic_error *e) {
    ck->failed++;
    ic_strlcpy(ck->why, e->msg, sizeof ck->why);
}

int ic_engine_run(const struct ic_plan *plan, const struct ic_run_opts *opts, struct ic_results *r,
                  struct ic_error *err) {
    int threads = opts && opts->threads > 0 ? opts->threads : ic_default_threads();
#ifndef _OPENMP
    threads = 1;
#endif
    r->threads = threads;
    const long paths = plan->paths, nout = plan->nout, spo = plan->steps_per_out;
    const int series = !(opts && opts->summaries_only);
    const long w = series ? ic_plan_window(plan, opts ? opts->window_outputs : 0) : plan->nout;
    const int rows = plan->n_series + plan->n_classes;
    const int nser = plan->n_series;
    const size_t ssize = path_state_size(plan);
    char *states = calloc((size_t)paths ? (size_t)paths : 1, ssize);
    struct window win = {
        series ? malloc((size_t)rows * (size_t)paths * (size_t)w * sizeof(float) + 1) : NULL, paths,
        w, 0};
    if (!states || (series && !win.buf)) {
        free(states);
        free(win.buf);
        return ic_error_set(err, IC_ERR_NOMEM,
                            "out of memory for %ld path states and a window of %ld output times",
                            paths, w);
    }
#define STATE(p) ((struct path_state *)(states + (size_t)(p)*ssize))
    int nomem = 0;
    struct ic_checkpoint *ck = opts && series ? opts->checkpoint : NULL;
    long start = 0;
    if (ck && ck->resume) {
        int rc = ckpt_load(plan, ck, states, ssize, r, &start, err);
        if (rc != IC_OK) {
            free(states);
            free(win.buf);
            return rc;
        }
    } else
#pragma omp parallel num_threads(threads)
    {
        double *vals = malloc(((size_t)plan->n_inputs + 1) * sizeof *vals);
        if (!vals) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 16)
        for (long p = 0; p < paths; p++)
            if (vals) path_init(plan, p, r, vals, STATE(p));
        free(vals);
    }
    if (nomem) {
        free(states);
        free(win.buf);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for per-thread workspace");
    }
    const long nwin = (nout + w - 1) / w;
    long done = start / w * paths, reached = nout;
    double last_save = ic_monotonic_s();
    r->partial = 0;
    for (long j0 = start; j0 < nout && !nomem; j0 += w) {
        if (j0 > start && opts && opts->should_stop && opts->should_stop()) {
            reached = j0; /* every path has stepped to here */
            r->partial = 1;
            struct ic_error e2 = {0};
            if (ck && ckpt_save(plan, ck, states, ssize, reached, r, &e2) != IC_OK)
                ckpt_failed(ck, &e2);
            break;
        }
        win.j0 = j0;
        long j1 = win.j0 + w < nout ? win.j0 + w : nout;
        long i0 = win.j0 * spo, i1 = j1 * spo < plan->nsteps ? j1 * spo : plan->nsteps;
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
        for (long p = 0; p < paths; p++) {
            if (path_advance(plan, STATE(p), i0, i1, series ? &win : NULL, r) != 0) {
#pragma omp atomic write
                nomem = 2;
            }
            long d;
#pragma omp atomic capture
            d = ++done;
            if (opts && opts->progress && (d & 63) == 0) {
#pragma omp critical(ic_progress)
                opts->progress(opts->progress_ctx, (long)((double)d / (double)nwin), paths);
            }
        }
        /* Keep the stored paths' rows; reduce the window to bands. */
        if (!series) continue;
        for (int row = 0; row < rows; row++)
            for (long p = 0; p < r->store_paths; p++) {
                float *dst = row < nser ? ic_series_row(r, row, p) : ic_class_row(r, row - nser, p);
                memcpy(dst + win.j0, wrow(&win, row, p), (size_t)(j1 - win.j0) * sizeof(float));
            }
        if (window_bands(&win, j1 - win.j0, 0, nser, r->nq, r->q, nout, r->bands, threads) ||
            window_bands(&win, j1 - win.j0, nser, plan->n_classes, r->nq, r->q, nout,
                         r->class_bands, threads))
            nomem = 1;
        if (ck && !nomem && j1 < nout && ic_monotonic_s() - last_save >= ck->every_s) {
            /* A failed save (disk full) does not end the run: the previous checkpoint stays. */
            struct ic_error e2 = {0};
            if (ckpt_save(plan, ck, states, ssize, j1, r, &e2) != IC_OK) ckpt_failed(ck, &e2);
            last_save = ic_monotonic_s();
        }
    }
    r->completed_nout = reached;
    if (r->partial) {
        /* What was not reached is unknown, not zero. */
        const size_t nq = (size_t)r->nq, nc = (size_t)plan->n_classes;
        for (long j = reached; j < nout; j++) {
            for (size_t k = 0; k < (size_t)nser * nq; k++)
                r->bands[k * (size_t)nout + (size_t)j] = NAN;
            for (size_t k = 0; k < nc * nq; k++) r->class_bands[k * (size_t)nout + (size_t)j] = NAN;
            for (long p = 0; p < r->store_paths; p++) {
                for (int s = 0; s < nser; s++) ic_series_row(r, s, p)[j] = NAN;
                for (size_t c = 0; c < nc; c++) ic_class_row(r, (int)c, p)[j] = NAN;
            }
        }
    }
#pragma omp parallel for schedule(static) num_threads(threads)
    for (long p = 0; p < paths; p++) path_finish(plan, STATE(p), r);
#undef STATE
    free(states);
    free(win.buf);
    if (nomem)
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %s",
                            nomem == 2 ? "the pending repairs" : "the bands");
    if (opts && opts->progress) opts->progress(opts->progress_ctx, paths, paths);
    return IC_OK;
}

int ic_engine_target_ci(const struct ic_plan *plan, double width, long block,
                        const struct ic_run_opts *opts, ic_block_fn report, void *ctx,
                        long *paths_out, struct ic_error *err) {
    long total = 0, outages = 0;
    struct ic_plan pc = *plan; /* its pointers still lead into `plan`, which outlives it */
    struct ic_run_opts o = {0};
    if (opts) o = *opts;
    o.summaries_only = 1;
    o.progress = NULL;
    if (block < 1) block = 1;
    while (total < plan->paths) {
        pc.path0 = total;
        pc.paths = block < plan->paths - total ? block : plan->paths - total;
        pc.store_paths = 0;
        struct ic_results r;
        int rc = ic_results_alloc(&pc, &r, err);
        if (rc == IC_OK) rc = ic_engine_run(&pc, &o, &r, err);
        if (rc != IC_OK) {
            ic_results_free(&r);
            return rc;
        }
        for (long p = 0; p < pc.paths; p++) outages += ic_summary_col(&r, IC_M_OUTAGE)[p] > 0.5;
        ic_results_free(&r);
        total += pc.paths;
        double lo, hi;
        ic_wilson(outages, total, IC_Z95, &lo, &hi);
        if (report) report(ctx, total, outages, lo, hi);
        if (hi - lo < width) break;
    }
    *paths_out = total;
    return IC_OK;
}

/* ---- reduction ----------------------------------------------------------------------------- */

/* The 95% interval of the mean of x (+- 1.96 standard errors; a point for n < 2), shifted by
 * `shift` and scaled by `scale` (the delta method's margin). */
static void mean_ci(const double *x, size_t n, double shift, double scale, double ci[2]) {
    double m = 0, ss = 0;
    for (size_t i = 0; i < n; i++) m += x[i];
    m /= n ? (double)n : 1.0;
    for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    double hw = n < 2 ? 0 : IC_Z95 * sqrt(ss / ((double)n - 1) / (double)n);
    if (hw <= 1e-12 * fabs(m)) hw = 0; /* a constant, but for the rounding of its sum */
    ci[0] = shift + scale * (m - hw);
    ci[1] = shift + scale * (m + hw);
}

/* The normal interval of a mean cut at the bounds of the quantity (a count, a cost or a share
 * cannot be below 0 nor a share above 1): with most paths at 0 (degraded minutes of a healthy
 * fleet) the normal interval reaches below 0, where the mean cannot lie. */
static void mean_ci_in(const double *x, size_t n, double lo, double hi, double ci[2]) {
    mean_ci(x, n, 0, 1, ci);
    for (int k = 0; k < 2; k++) ci[k] = ci[k] < lo ? lo : ci[k] > hi ? hi : ci[k];
}

/* A summary column sorted into tmp (NaNs removed); the number of values, or 0 (no quantile)
 * when NaN does not mean "none" for it and the column holds one. */
static size_t sorted_col(const double *col, size_t np, double *tmp, int nan_is_none) {
    memcpy(tmp, col, np * sizeof *tmp);
    size_t m = ic_sort_finite(tmp, np);
    return m < np && !nan_is_none ? 0 : m;
}

int ic_results_reduce(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err) {
    size_t np = (size_t)r->paths;

    struct ic_headline *h = &r->head;
    memset(h, 0, sizeof *h);
    h->paths = r->paths;
    double *tmp = malloc((np ? np : 1) * sizeof *tmp);
    if (!tmp) return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the headline");
    const double *out = ic_summary_col(r, IC_M_OUTAGE);
    double lost = 0, frac = 0, cost = 0, hours = 0, energy = 0, degr = 0;
    const double *fresh = ic_summary_col(r, IC_M_NEW), *lo = ic_summary_col(r, IC_M_LOST);
    for (size_t p = 0; p < np; p++) {
        h->outages += out[p] > 0.5;
        lost += lo[p];
        frac += fresh[p] > 0 ? lo[p] / fresh[p] : 0;
        cost += ic_summary_col(r, IC_M_COST)[p];
        hours += ic_summary_col(r, IC_M_ACCEL_HOURS)[p];
        energy += ic_summary_col(r, IC_M_ENERGY)[p];
        degr += ic_summary_col(r, IC_M_DEGRADED_MIN)[p];
    }
    double n = (double)np;
    h->p_outage = (double)h->outages / n;
    ic_wilson(h->outages, (long)np, IC_Z95, &h->p_lo, &h->p_hi);
    h->lost_mean = lost / n;
    h->lost_fraction_mean = frac / n;
    h->cost_mean_usd = cost / n;
    h->accel_hours_mean = hours / n;
    h->energy_mean_mwh = energy / n;
    h->degraded_minutes_mean = degr / n;
    double rev = 0, act = 0;
    for (size_t p = 0; p < np; p++) {
        rev += ic_summary_col(r, IC_M_REVENUE)[p];
        act += ic_summary_col(r, IC_M_ACTIONS)[p];
    }
    h->revenue_mean_usd = rev / n;
    h->margin_mean = rev > 0 ? (rev - cost) / rev : NAN;
    h->actions_mean = act / n;
    mean_ci_in(lo, np, 0, INFINITY, h->lost_mean_ci);
    for (size_t p = 0; p < np; p++) tmp[p] = fresh[p] > 0 ? lo[p] / fresh[p] : 0;
    mean_ci_in(tmp, np, 0, 1, h->lost_fraction_ci);
    /* Goodput: the share of each path's served requests that met the TTFT and TPOT objectives
     * (by the pool's service curve), over the paths that served any. */
    {
        const double *good = ic_summary_col(r, IC_M_GOOD), *served = ic_summary_col(r, IC_M_SERVED);
        size_t m = 0;
        double sum = 0;
        for (size_t p = 0; p < np; p++)
            if (served[p] > 0) {
                tmp[m] = good[p] / served[p];
                sum += tmp[m++];
            }
        h->good_fraction_mean = m ? sum / (double)m : NAN;
        h->good_fraction_ci[0] = h->good_fraction_ci[1] = NAN;
        if (m) mean_ci_in(tmp, m, 0, 1, h->good_fraction_ci);
    }
    mean_ci_in(ic_summary_col(r, IC_M_COST), np, 0, INFINITY, h->cost_mean_ci);
    mean_ci_in(ic_summary_col(r, IC_M_ACCEL_HOURS), np, 0, INFINITY, h->accel_hours_ci);
    mean_ci_in(ic_summary_col(r, IC_M_ENERGY), np, 0, INFINITY, h->energy_ci);
    mean_ci_in(ic_summary_col(r, IC_M_DEGRADED_MIN), np, 0, INFINITY, h->degraded_minutes_ci);
    mean_ci_in(ic_summary_col(r, IC_M_REVENUE), np, 0, INFINITY, h->revenue_ci);
    mean_ci_in(ic_summary_col(r, IC_M_ACTIONS), np, 0, INFINITY, h->actions_ci);
    h->margin_ci[0] = h->margin_ci[1] = NAN;
    if (rev > 0) {
        /* margin = 1 - C/R, a ratio of means; delta method: the standard error of C/R is that
         * of the mean of c - (C/R) r, over R (the means' ratio sits at the centre). */
        double ratio = cost / rev;
        for (size_t p = 0; p < np; p++)
            tmp[p] = ic_summary_col(r, IC_M_COST)[p] - ratio * ic_summary_col(r, IC_M_REVENUE)[p];
        double c[2];
        mean_ci(tmp, np, 0, n / rev, c); /* centred on 0: the interval of C/R - ratio */
        h->margin_ci[0] = h->margin_mean - c[1];
        h->margin_ci[1] = h->margin_mean - c[0];
    }

    /* Quantiles of the per-path summaries (infinities sort last: the load of a path without
     * capacity).  A NaN first-outage time means "no outage" and such paths are left out; any
     * other NaN would be a number that means nothing, so a column holding one gets NaN
     * quantiles, not those of the other paths. */
    size_t m = sorted_col(ic_summary_col(r, IC_M_FIRST_OUTAGE), np, tmp, 1);
    static const double fq[3] = {0.1, 0.5, 0.9};
    for (int k = 0; k < 3; k++) h->first_outage_q[k] = ic_quantile_sorted(tmp, m, fq[k]);
    ic_quantile_ci(tmp, m, 0.5, IC_Z95, &h->first_outage_ci[0], &h->first_outage_ci[1]);
    m = sorted_col(lo, np, tmp, 0);
    h->lost_q50 = ic_quantile_sorted(tmp, m, 0.5);
    h->lost_q95 = ic_quantile_sorted(tmp, m, 0.95);
    ic_quantile_ci(tmp, m, 0.5, IC_Z95, &h->lost_ci[0], &h->lost_ci[1]);
    m = sorted_col(ic_summary_col(r, IC_M_COST), np, tmp, 0);
    h->cost_q50 = ic_quantile_sorted(tmp, m, 0.5);
    ic_quantile_ci(tmp, m, 0.5, IC_Z95, &h->cost_ci[0], &h->cost_ci[1]);
    m = sorted_col(ic_summary_col(r, IC_M_PEAK_LOAD), np, tmp, 0);
    h->peak_load_q50 = ic_quantile_sorted(tmp, m, 0.5);
    h->peak_load_q95 = ic_quantile_sorted(tmp, m, 0.95);
    ic_quantile_ci(tmp, m, 0.5, IC_Z95, &h->peak_load_ci[0], &h->peak_load_ci[1]);
    m = sorted_col(ic_summary_col(r, IC_M_SUSTAINABLE), np, tmp, 0);
    h->sustainable_q50 = ic_quantile_sorted(tmp, m, 0.5);
    ic_quantile_ci(tmp, m, 0.5, IC_Z95, &h->sustainable_ci[0], &h->sustainable_ci[1]);
    free(tmp);
    (void)plan;
    return IC_OK;
}
