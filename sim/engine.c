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
 *      variance mean + d mean^2); share_c(t) moves with events that change the mix.  Retries
 *      of earlier failures return from a pool at rate 1/delay.
 *   2. capacity: replicas up (failures take whole replicas down) x requests/s per replica from
 *      the roofline model at the current mix;
 *   3. queue: the fluid queue of models/queue.h (serve, abandon, reject); a failed request is
 *      retried with probability p (into the pool) or lost, and its user leaves with the churn
 *      probability;
 *   4. outage: degraded steps; an outage is a run of them at least outage_min_s long;
 *   5. fleet: failures ~ Poisson(healthy x rate x dt), repairs ~ Poisson(failed x dt / mean
 *      repair time) (capped at the failed count); cost and energy accrue on every accelerator.
 * Series are averaged over each output interval (NaN values, e.g. TTFT with no capacity, are
 * left out of the average). */
#include "engine.h"

#include "../models/queue.h"
#include "../models/traffic.h"
#include "rng.h"
#include "stats.h"
#include "timeutil.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define IC_X_N(e, n, u, l) n,
#define IC_X_U(e, n, u, l) u,
#define IC_X_L(e, n, u, l) l,
const char *const ic_series_names[IC_SERIES_COUNT] = {IC_SERIES_LIST(IC_X_N)};
const char *const ic_series_units[IC_SERIES_COUNT] = {IC_SERIES_LIST(IC_X_U)};
const char *const ic_series_long[IC_SERIES_COUNT] = {IC_SERIES_LIST(IC_X_L)};
const char *const ic_summary_names[IC_SUMMARY_COUNT] = {IC_SUMMARY_LIST(IC_X_N)};
const char *const ic_summary_units[IC_SUMMARY_COUNT] = {IC_SUMMARY_LIST(IC_X_U)};
const char *const ic_summary_long[IC_SUMMARY_COUNT] = {IC_SUMMARY_LIST(IC_X_L)};
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

static void make_tokdist(const struct ic_plan *plan, const struct ic_token_dist *t,
                         const double *vals, struct ic_tokdist *out) {
    memset(out, 0, sizeof *out);
    out->shape = t->shape;
    out->median = value_of(plan, &t->median, vals);
    out->sigma = value_of(plan, &t->sigma, vals);
    out->tail_weight = value_of(plan, &t->tail_weight, vals);
    out->tail_xmin = value_of(plan, &t->tail_xmin, vals);
    out->tail_alpha = value_of(plan, &t->tail_alpha, vals);
    out->nbins = t->weights.n < IC_HIST_MAX_BINS ? t->weights.n : IC_HIST_MAX_BINS;
    for (int i = 0; i <= out->nbins && i < t->edges.n; i++) out->edges[i] = t->edges.v[i];
    for (int i = 0; i < out->nbins; i++) out->weights[i] = t->weights.v[i];
}

/* The request mix of a path from its draws (vals), or of the plan from the inputs' means. */
static void make_mix(const struct ic_plan *plan, const double *vals, struct ic_mix *mix) {
    const struct ic_scenario *sc = plan->sc;
    double total = 0, share[IC_MAX_CLASSES];
    double mult = value_of(plan, &sc->workload.reasoning_multiplier, vals);
    mix->n = sc->workload.n_classes;
    for (int c = 0; c < mix->n; c++) {
        share[c] = value_of(plan, &sc->workload.classes[c].share, vals);
        total += share[c];
    }
    for (int c = 0; c < mix->n; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        struct ic_tokdist t;
        double sq;
        mix->share[c] = total > 0 ? share[c] / total : 0;
        make_tokdist(plan, &k->input_tokens, vals, &t);
        ic_tokdist_moments(&t, 1.0, plan->context_cap, &mix->in_mean[c], &mix->in_sq_mean[c]);
        make_tokdist(plan, &k->output_tokens, vals, &t);
        ic_tokdist_moments(&t, 1.0, plan->context_cap, &mix->out_mean[c], &sq);
        make_tokdist(plan, &k->reasoning_tokens, vals, &t);
        ic_tokdist_moments(&t, mult, plan->context_cap, &mix->reason_mean[c], &sq);
        mix->cache_hit[c] = value_of(plan, &k->prefix_cache_hit, vals);
    }
}

static void perf_params(const struct ic_plan *plan, double prefill_mfu, double decode_mbu,
                        struct ic_perf_params *pp) {
    const struct ic_scenario *sc = plan->sc;
    double mfu0, mbu0;
    ic_vendor_efficiency(&sc->accelerator.value, &mfu0, &mbu0);
    pp->weight_precision = sc->serving.weight_precision;
    pp->kv_precision = sc->serving.kv_precision;
    pp->tp = plan->fit.tp;
    pp->pp = plan->fit.pp;
    pp->ep = (long)sc->serving.expert_parallel;
    pp->per_node = (long)sc->serving.accelerators_per_node;
    pp->scaleout_gbps = sc->serving.scaleout_gbps;
    pp->memory_utilization = sc->serving.memory_utilization;
    pp->prefill_mfu = prefill_mfu > 0 ? prefill_mfu : mfu0;
    pp->decode_mbu = decode_mbu > 0 ? decode_mbu : mbu0;
    pp->step_overhead_s = sc->serving.step_overhead_ms / 1000.0;
    pp->tpot_slo_s = sc->serving.tpot_slo_ms / 1000.0;
    pp->ttft_slo_s = sc->serving.ttft_slo_s;
    pp->max_batch = (long)sc->serving.max_batch;
    pp->max_batched_tokens = (long)sc->serving.max_batched_tokens;
    pp->disaggregated = sc->serving.disaggregated;
    pp->prefill_fraction = sc->serving.prefill_fraction;
}

/* Does any input of the replica's performance vary by path?  (Everything under /workload and
 * /serving feeds it.) */
static int perf_is_random(const struct ic_plan *plan) {
    for (int i = 0; i < plan->n_inputs; i++) {
        const struct ic_input *in = &plan->inputs[i];
        if (in->dist && ic_dist_is_random(in->dist) &&
            (strncmp(in->pointer, "/workload/", 10) == 0 ||
             strncmp(in->pointer, "/serving/", 9) == 0))
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
    for (int i = 0; i < plan->growth.npoints; i++) {
        plan->growth.t_days[i] = (sc->traffic.growth.points[i].time.unix_s - ref_s) / 86400.0;
        plan->growth.log_v[i] = log(sc->traffic.growth.points[i].value);
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

int ic_plan_compile(const struct ic_scenario *sc, struct ic_plan *plan, struct ic_error *err) {
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
    for (long j = 0; j < plan->nout; j++)
        plan->time_s[j] = (double)j * (double)plan->steps_per_out * plan->dt;
    for (int e = 0; e < sc->traffic.n_events; e++)
        plan->has_mix_events |= sc->traffic.events[e].n_mix > 0;

    const struct ic_accelerator *a = &sc->accelerator.value;
    const struct ic_llm *m = &sc->model.value;
    plan->context_cap = m->max_context;
    ic_perf_fit(m, a, sc->serving.weight_precision, sc->serving.memory_utilization,
                sc->serving.kv_reserve_fraction, (long)sc->serving.tensor_parallel,
                (long)sc->serving.pipeline_parallel, (long)sc->serving.accelerators_per_node,
                &plan->fit);
    if (!plan->fit.ok) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_INVALID, "%s", plan->fit.why);
    }
    struct ic_cost_params cp = {sc->fleet.accelerator_hour_usd, sc->fleet.amortization_years,
                                sc->fleet.pue, sc->fleet.electricity_usd_per_kwh};
    plan->hour_cost_usd = ic_fleet_hour_cost(a, &cp);
    plan->hour_energy_kwh = ic_fleet_hour_energy_kwh(a, sc->fleet.pue);
    if (!isfinite(plan->hour_cost_usd)) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_INVALID,
                            "/fleet/accelerator_hour_usd: accelerator \"%s\" has no %s%s to "
                            "derive a cost from; set /fleet/accelerator_hour_usd or give the "
                            "accelerator a price_usd_est and tdp_w",
                            a->key, isfinite(a->price_usd_est) ? "tdp_w" : "price_usd_est",
                            sc->accelerator.base[0] ? " in the catalog" : "");
    }

    /* The replica's performance at the mean (or fixed) inputs: it is the answer when nothing
     * about it is random, and otherwise checks that typical paths are feasible. */
    struct ic_mix mix;
    make_mix(plan, NULL, &mix);
    struct ic_perf_params pp;
    perf_params(plan, ic_dist_mean(&sc->serving.prefill_mfu), ic_dist_mean(&sc->serving.decode_mbu),
                &pp);
    char why[400];
    if (ic_perf_replica(m, a, &pp, &mix, &plan->perf, why, sizeof why) != 0) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_INVALID, "/workload: %s", why);
    }
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
    r->nq = plan->sc->output.quantiles.n;
    memcpy(r->q, plan->sc->output.quantiles.v, sizeof r->q);
    size_t np = (size_t)r->paths, no = (size_t)r->nout, nc = (size_t)r->n_classes;
    size_t nq = (size_t)r->nq + 1;
    r->series = malloc((size_t)IC_SERIES_COUNT * np * no * sizeof *r->series);
    r->class_arrivals = malloc(nc * np * no * sizeof *r->class_arrivals);
    r->summary = malloc((size_t)IC_SUMMARY_COUNT * np * sizeof *r->summary);
    r->inputs = malloc(((size_t)r->n_inputs + 1) * np * sizeof *r->inputs);
    r->bands = malloc((size_t)IC_SERIES_COUNT * nq * no * sizeof *r->bands);
    r->class_bands = malloc(nc * nq * no * sizeof *r->class_bands);
    if (!r->series || !r->class_arrivals || !r->summary || !r->inputs || !r->bands ||
        !r->class_bands) {
        double mb = ((double)(IC_SERIES_COUNT + nc) * (double)np * (double)no * 4.0) / 1048576.0;
        ic_results_free(r);
        return ic_error_set(err, IC_ERR_NOMEM,
                            "out of memory: %ld paths x %ld output times need %.0f MiB of series; "
                            "lower /paths or raise /output/interval_s",
                            plan->paths, plan->nout, mb);
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
    memset(r, 0, sizeof *r);
}

/* ---- one path ------------------------------------------------------------------------------ */

struct path_events {
    int n;
    double start_s[IC_MAX_EVENTS], amp[IC_MAX_EVENTS], norm[IC_MAX_EVENTS];
    double rise_s[IC_MAX_EVENTS], decay_s[IC_MAX_EVENTS];
    double a_rise[IC_MAX_EVENTS], a_decay[IC_MAX_EVENTS]; /* per-step factors */
    double r[IC_MAX_EVENTS], d[IC_MAX_EVENTS];            /* e^{-tau/rise}, e^{-tau/decay} */
    double shape[IC_MAX_EVENTS];                          /* normalised shape in [0, 1] */
    int on[IC_MAX_EVENTS];
};

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

static void run_path(const struct ic_plan *plan, long p, struct ic_results *res, double *vals) {
    const struct ic_scenario *sc = plan->sc;
    const uint64_t seed = (uint64_t)sc->seed;
    const double dt = plan->dt;
    const int nc = plan->n_classes;
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].dist) vals[i] = ic_dist_draw(plan->inputs[i].dist, seed, (uint64_t)p);

    /* Inputs of this path. */
    struct ic_growth g;
    path_growth(plan, seed, p, vals, &g);
    for (int i = 0; i < plan->n_inputs; i++)
        res->inputs[(size_t)i * (size_t)res->paths + (size_t)p] = vals[i];
    const double sigma = draw(plan, &sc->traffic.noise.sigma, vals);
    const double accels = draw(plan, &sc->fleet.accelerators, vals);
    const double repair_s = draw(plan, &sc->fleet.repair_hours, vals) * 3600.0;
    const double patience_s = draw(plan, &sc->queue.patience_s, vals);
    const double p_retry = draw(plan, &sc->traffic.retry.probability, vals);
    const double retry_delay_s = draw(plan, &sc->traffic.retry.delay_s, vals);
    const double channel = draw(plan, &sc->traffic.funnel.channel_multiplier, vals);
    const double per_visit = draw(plan, &sc->traffic.funnel.requests_per_visit, vals);
    const double per_user_day = draw(plan, &sc->traffic.requests_per_user_per_day, vals);
    /* Requests per second per unit of the growth quantity, and requests per user per day (to
     * count users for churn: one visit a day per user in the visits funnel). */
    const double conversion =
        plan->weekly_visits ? channel * per_visit / 604800.0 : per_user_day / 86400.0;
    const double req_per_user_day = plan->weekly_visits ? per_visit : per_user_day;
    const double visits_per_request = 604800.0 / (channel * per_visit);

    struct ic_perf perf_path;
    const struct ic_perf *perf = &plan->perf;
    int feasible = 1;
    struct ic_mix mix;
    make_mix(plan, vals, &mix);
    if (!plan->perf_fixed) {
        struct ic_perf_params pp;
        perf_params(plan, draw(plan, &sc->serving.prefill_mfu, vals),
                    draw(plan, &sc->serving.decode_mbu, vals), &pp);
        char why[8];
        feasible = ic_perf_replica(&sc->model.value, &sc->accelerator.value, &pp, &mix, &perf_path,
                                   why, sizeof why) == 0;
        perf = &perf_path;
    }
    /* Per class: replica-seconds, tokens and time to first answer token of one request. */
    double svc_c[IC_MAX_CLASSES], tok_c[IC_MAX_CLASSES], ttft_c[IC_MAX_CLASSES];
    double share[IC_MAX_CLASSES];
    for (int c = 0; c < nc; c++) {
        svc_c[c] = perf->service_s[c];
        ttft_c[c] = perf->ttft_s[c];
        tok_c[c] = mix.in_mean[c] + mix.out_mean[c] + mix.reason_mean[c];
        share[c] = mix.share[c];
    }
    double mu = feasible ? perf->requests_per_s : 0.0;
    double tokens_per_req = perf->tokens_per_request;
    double ttft_extra = 0;
    for (int c = 0; c < nc; c++) ttft_extra += share[c] * ttft_c[c];
    const long per_replica = plan->fit.accels;

    struct path_events ev;
    ev.n = sc->traffic.n_events;
    int mix_idx[IC_MAX_EVENTS][IC_MAX_CLASSES];
    double mix_mult[IC_MAX_EVENTS][IC_MAX_CLASSES];
    for (int e = 0; e < ev.n; e++) {
        const struct ic_event *x = &sc->traffic.events[e];
        ev.start_s[e] = x->start.unix_s - sc->start.unix_s;
        ev.amp[e] = draw(plan, &x->peak_multiplier, vals) - 1.0;
        ev.rise_s[e] = draw(plan, &x->rise_s, vals);
        ev.decay_s[e] = draw(plan, &x->decay_s, vals);
        ev.norm[e] = ic_event_norm(ev.rise_s[e], ev.decay_s[e]);
        ev.a_rise[e] = exp(-dt / ev.rise_s[e]);
        ev.a_decay[e] = exp(-dt / ev.decay_s[e]);
        ev.on[e] = 0;
        ev.shape[e] = 0;
        for (int i = 0; i < x->n_mix; i++) {
            mix_mult[e][i] = draw(plan, &x->mix[i].share_multiplier, vals);
            mix_idx[e][i] = -1;
            for (int c = 0; c < nc; c++)
                if (strcmp(sc->workload.classes[c].name, x->mix[i].class_name) == 0)
                    mix_idx[e][i] = c;
        }
    }

    /* Capacity outages: [start, end) windows and the share of replicas kept. */
    int n_out = sc->fleet.n_outages;
    double out_t0[IC_MAX_EVENTS], out_t1[IC_MAX_EVENTS], out_keep[IC_MAX_EVENTS];
    for (int k = 0; k < n_out; k++) {
        const struct ic_outage *o = &sc->fleet.outages[k];
        out_t0[k] = o->start.unix_s - sc->start.unix_s;
        out_t1[k] = out_t0[k] + draw(plan, &o->duration_s, vals);
        out_keep[k] = 1.0 - draw(plan, &o->fraction, vals);
    }

    struct ic_rng rn, ra, rf;
    ic_rng_init(&rn, seed, (uint64_t)p, IC_STREAM_NOISE, 0);
    ic_rng_init(&ra, seed, (uint64_t)p, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&rf, seed, (uint64_t)p, IC_STREAM_FAILURES, 0);

    double phi, innov;
    ic_ou_coeffs(sigma, draw(plan, &sc->traffic.noise.corr_time_s, vals), dt, &phi, &innov);
    double x = sigma * ic_rng_normal(&rn); /* start in the stationary distribution */
    const double mean_fix = -0.5 * sigma * sigma;
    const double disp = draw(plan, &sc->traffic.noise.arrival_dispersion, vals);
    const double dt_days = dt / 86400.0;
    /* Growth by recurrence where the curve allows it: exponential multiplies by e^{r dt}
     * each step; logistic carries e^{-r t}; Bass and piecewise are evaluated. */
    const double t0 = plan->growth_ref_days;
    const double gstep = exp(g.rate_per_day * dt_days);
    double gval = ic_growth_value(&g, t0), elog = exp(-g.rate_per_day * t0);
    const double abandon_prob = 1.0 - exp(-dt / patience_s);
    const double retry_return = 1.0 - exp(-dt / retry_delay_s);
    const double fail_per_step = sc->fleet.failure_rate_per_hour * dt / 3600.0;
    const double repair_per_step = dt / repair_s;
    const double thr = sc->queue.degraded_failed_fraction;
    const double churn_p = draw(plan, &sc->traffic.churn.probability, vals);
    const long outage_min_steps = (long)ceil(sc->queue.outage_min_s / dt - 1e-9);

    double failed = 0, backlog = 0, pool = 0, retained = 1.0;
    long run = 0, run_start = 0;
    int outage = 0;
    double first_outage = NAN, degraded_steps = 0, outage_steps = 0;
    double sum_new = 0, sum_ret = 0, sum_served = 0, sum_rej = 0, sum_ab = 0, sum_lost = 0;
    double peak_util = 0, peak_load = 0;

    double acc[IC_SERIES_COUNT], cacc[IC_MAX_CLASSES];
    int cnt[IC_SERIES_COUNT];
    float *rows[IC_SERIES_COUNT], *crows[IC_MAX_CLASSES];
    for (int s = 0; s < IC_SERIES_COUNT; s++) {
        rows[s] = ic_series_row(res, s, p);
        acc[s] = 0;
        cnt[s] = 0;
    }
    for (int c = 0; c < nc; c++) {
        crows[c] = ic_class_row(res, c, p);
        cacc[c] = 0;
    }
    long j = 0, in_bin = 0;

    for (long i = 0; i < plan->nsteps; i++) {
        double t = (double)i * dt;
        /* 1. demand */
        double ef = 1.0;
        for (int e = 0; e < ev.n; e++) {
            double tau = t - ev.start_s[e];
            if (tau < 0) continue;
            if (!ev.on[e]) {
                ev.r[e] = exp(-tau / ev.rise_s[e]);
                ev.d[e] = exp(-tau / ev.decay_s[e]);
                ev.on[e] = 1;
            } else {
                ev.r[e] *= ev.a_rise[e];
                ev.d[e] *= ev.a_decay[e];
            }
            ev.shape[e] = (1.0 - ev.r[e]) * ev.d[e] * ev.norm[e];
            ef *= 1.0 + ev.amp[e] * ev.shape[e];
        }
        if (plan->has_mix_events) {
            /* Shares move with the events' shapes; the service rate follows the mix. */
            double wsum = 0, svc = 0, tok = 0, tt = 0;
            for (int c = 0; c < nc; c++) share[c] = mix.share[c];
            for (int e = 0; e < ev.n; e++)
                for (int k = 0; k < sc->traffic.events[e].n_mix; k++) {
                    int c = mix_idx[e][k];
                    if (c >= 0) share[c] *= 1.0 + (mix_mult[e][k] - 1.0) * ev.shape[e];
                }
            for (int c = 0; c < nc; c++) wsum += share[c];
            for (int c = 0; c < nc; c++) {
                share[c] = wsum > 0 ? share[c] / wsum : 0;
                svc += share[c] * svc_c[c];
                tok += share[c] * tok_c[c];
                tt += share[c] * ttft_c[c];
            }
            mu = feasible && svc > 0 ? 1.0 / svc : 0.0;
            tokens_per_req = tok;
            ttft_extra = tt;
        }
        if (g.model == IC_GROWTH_LOGISTIC)
            gval = g.capacity / (1.0 + (g.capacity / g.v0 - 1.0) * elog);
        else if (g.model != IC_GROWTH_EXPONENTIAL)
            gval = ic_growth_value(&g, t0 + t / 86400.0);
        double base = gval * conversion * ef * exp(x + mean_fix) * retained;
        double lambda = base * plan->diurnal[i];
        double gam = disp > 0 ? ic_rng_gamma(&ra, 1.0 / disp) * disp : 1.0;
        double fresh = 0;
        for (int c = 0; c < nc; c++) {
            double a = ic_rng_poisson(&ra, lambda * share[c] * gam * dt);
            cacc[c] += a / dt;
            fresh += a;
        }
        double returned = pool * retry_return;
        pool -= returned;
        double arrivals = fresh + returned;
        x = phi * x + innov * ic_rng_normal(&rn);

        /* 2. capacity */
        double healthy = accels - failed;
        double replicas = ic_fleet_replicas_up(accels, failed, per_replica);
        for (int k = 0; k < n_out; k++)
            if (t >= out_t0[k] && t < out_t1[k]) replicas = floor(replicas * out_keep[k]);
        double svc_rate = replicas * mu; /* requests per second */
        double capacity = svc_rate * dt;

        /* 3. queue, retries, churn */
        struct ic_queue_flow f;
        ic_queue_step(&backlog, arrivals, capacity, sc->queue.max_wait_s * svc_rate, abandon_prob,
                      &f);
        double failures = f.rejected + f.abandoned;
        double retry = p_retry * failures, lost = failures - retry;
        pool += retry;
        if (churn_p > 0 && base > 0) {
            /* Users now = daily requests / requests per user per day; each request lost for
             * good costs its user with the churn probability. */
            double users = base * 86400.0 / req_per_user_day;
            retained *= fmax(0.0, 1.0 - churn_p * lost / users);
        }
        double util = capacity > 0 ? f.served / capacity : 0.0;
        double load = capacity > 0 ? arrivals / capacity : (arrivals > 0 ? INFINITY : 0.0);
        double ttft = svc_rate > 0 ? backlog / svc_rate + ttft_extra : NAN;

        /* 4. outage */
        if (ic_queue_degraded(&f, arrivals, capacity, thr)) {
            if (run == 0) run_start = i;
            run++;
            degraded_steps += 1;
            if (run == outage_min_steps || (outage_min_steps <= 0 && run == 1)) {
                outage_steps += (double)run;
                if (!outage) first_outage = (double)run_start * dt;
                outage = 1;
            } else if (run > outage_min_steps) {
                outage_steps += 1;
            }
        } else {
            run = 0;
        }

        /* 5. fleet: failures and repairs for the next step */
        double fails = ic_rng_poisson(&rf, healthy * fail_per_step);
        double repairs = ic_rng_poisson(&rf, failed * repair_per_step);
        failed += (fails < healthy ? fails : healthy) - (repairs < failed ? repairs : failed);

        sum_new += fresh;
        sum_ret += returned;
        sum_served += f.served;
        sum_rej += f.rejected;
        sum_ab += f.abandoned;
        sum_lost += lost;
        if (util > peak_util) peak_util = util;
        if (load > peak_load) peak_load = load;

        double v[IC_SERIES_COUNT];
        v[IC_S_ACTIVE_USERS] = base * 86400.0 / req_per_user_day;
        v[IC_S_VISITS_WEEK] = base * visits_per_request;
        v[IC_S_ARRIVALS] = arrivals / dt;
        v[IC_S_RETRIES] = returned / dt;
        v[IC_S_DEMAND_TOKENS] = arrivals / dt * tokens_per_req;
        v[IC_S_CAPACITY_TOKENS] = svc_rate * tokens_per_req;
        v[IC_S_SERVED] = f.served / dt;
        v[IC_S_UTILIZATION] = util;
        v[IC_S_OFFERED_LOAD] = capacity > 0 ? load : NAN;
        v[IC_S_BACKLOG] = backlog;
        v[IC_S_REJECTED] = f.rejected / dt;
        v[IC_S_ABANDONED] = f.abandoned / dt;
        v[IC_S_TTFT] = ttft;
        v[IC_S_HEALTHY] = healthy;
        v[IC_S_REPLICAS_UP] = replicas;
        for (int s = 0; s < IC_SERIES_COUNT; s++) {
            if (!isnan(v[s])) {
                acc[s] += v[s];
                cnt[s]++;
            }
        }
        in_bin++;
        if (in_bin == plan->steps_per_out || i == plan->nsteps - 1) {
            for (int s = 0; s < IC_SERIES_COUNT; s++) {
                rows[s][j] = cnt[s] ? (float)(acc[s] / cnt[s]) : NAN;
                acc[s] = 0;
                cnt[s] = 0;
            }
            for (int c = 0; c < nc; c++) {
                crows[c][j] = (float)(cacc[c] / (double)in_bin);
                cacc[c] = 0;
            }
            j++;
            in_bin = 0;
        }

        if (g.model == IC_GROWTH_LOGISTIC)
            elog /= gstep;
        else if (g.model == IC_GROWTH_EXPONENTIAL)
            gval *= gstep;
    }

    double hours = accels * (double)plan->nsteps * dt / 3600.0;
    double *col;
#define PUT(m, val)                                                                                \
    do {                                                                                           \
        col = ic_summary_col(res, m);                                                              \
        col[p] = (val);                                                                            \
    } while (0)
    PUT(IC_M_OUTAGE, outage);
    PUT(IC_M_FIRST_OUTAGE, first_outage);
    PUT(IC_M_DEGRADED_MIN, degraded_steps * dt / 60.0);
    PUT(IC_M_OUTAGE_MIN, outage_steps * dt / 60.0);
    PUT(IC_M_NEW, sum_new);
    PUT(IC_M_RETRIED, sum_ret);
    PUT(IC_M_ARRIVED, sum_new + sum_ret);
    PUT(IC_M_SERVED, sum_served);
    PUT(IC_M_REJECTED, sum_rej);
    PUT(IC_M_ABANDONED, sum_ab);
    PUT(IC_M_LOST, sum_lost);
    PUT(IC_M_PEAK_UTIL, peak_util);
    PUT(IC_M_PEAK_LOAD, peak_load);
    PUT(IC_M_USERS_RETAINED, retained);
    PUT(IC_M_ACCEL_HOURS, hours);
    PUT(IC_M_COST, hours * plan->hour_cost_usd);
    PUT(IC_M_ENERGY, hours * plan->hour_energy_kwh / 1000.0);
    PUT(IC_M_REPLICA_RPS, feasible ? perf->requests_per_s : 0.0);
#undef PUT
}

int ic_engine_run(const struct ic_plan *plan, const struct ic_run_opts *opts, struct ic_results *r,
                  struct ic_error *err) {
    long done = 0;
    int nomem = 0;
    int threads = opts && opts->threads > 0 ? opts->threads : 0;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    r->threads = threads;
#pragma omp parallel num_threads(threads)
    {
        double *vals = malloc(((size_t)plan->n_inputs + 1) * sizeof *vals);
        if (!vals) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long p = 0; p < plan->paths; p++) {
            if (vals) run_path(plan, p, r, vals);
            long d;
#pragma omp atomic capture
            d = ++done;
#ifdef _OPENMP
            if (opts && opts->progress && omp_get_thread_num() == 0)
                opts->progress(opts->progress_ctx, d, plan->paths);
#else
            if (opts && opts->progress) opts->progress(opts->progress_ctx, d, plan->paths);
#endif
        }
        free(vals);
    }
    if (nomem) return ic_error_set(err, IC_ERR_NOMEM, "out of memory for per-thread workspace");
    if (opts && opts->progress) opts->progress(opts->progress_ctx, plan->paths, plan->paths);
    return IC_OK;
}

/* ---- reduction ----------------------------------------------------------------------------- */

/* Quantiles over paths at every output time of `nrows` row sets (NaNs left out). */
static int bands_of(const float *rows, int nrows, long paths, long nout, int nq, const double *q,
                    float *bands) {
    size_t np = (size_t)paths, no = (size_t)nout;
    int nomem = 0;
#pragma omp parallel
    {
        float *col = malloc((np ? np : 1) * sizeof *col);
        if (!col) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (long k = 0; k < (long)((size_t)nrows * no); k++) {
            if (!col) continue;
            size_t s = (size_t)k / no, j = (size_t)k % no, m = 0;
            for (size_t p = 0; p < np; p++) {
                float v = rows[(s * np + p) * no + j];
                if (!isnan(v)) col[m++] = v;
            }
            ic_sort_floats(col, m);
            for (int i = 0; i < nq; i++)
                bands[(s * (size_t)nq + (size_t)i) * no + j] =
                    (float)ic_quantile_sorted_f(col, m, q[i]);
        }
        free(col);
    }
    return nomem ? -1 : 0;
}

int ic_results_reduce(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err) {
    size_t np = (size_t)r->paths;
    if (bands_of(r->series, IC_SERIES_COUNT, r->paths, r->nout, r->nq, r->q, r->bands) ||
        bands_of(r->class_arrivals, r->n_classes, r->paths, r->nout, r->nq, r->q, r->class_bands))
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the bands");

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
    ic_wilson(h->outages, (long)np, 1.959963984540054, &h->p_lo, &h->p_hi);
    h->lost_mean = lost / n;
    h->lost_fraction_mean = frac / n;
    h->cost_mean_usd = cost / n;
    h->accel_hours_mean = hours / n;
    h->energy_mean_mwh = energy / n;
    h->degraded_minutes_mean = degr / n;

    memcpy(tmp, ic_summary_col(r, IC_M_FIRST_OUTAGE), np * sizeof *tmp);
    size_t m = ic_sort_finite(tmp, np);
    static const double fq[3] = {0.1, 0.5, 0.9};
    for (int k = 0; k < 3; k++) h->first_outage_q[k] = ic_quantile_sorted(tmp, m, fq[k]);
    memcpy(tmp, lo, np * sizeof *tmp);
    m = ic_sort_finite(tmp, np);
    h->lost_q50 = ic_quantile_sorted(tmp, m, 0.5);
    h->lost_q95 = ic_quantile_sorted(tmp, m, 0.95);
    memcpy(tmp, ic_summary_col(r, IC_M_PEAK_LOAD), np * sizeof *tmp);
    m = ic_sort_finite(tmp, np);
    h->peak_load_q50 = ic_quantile_sorted(tmp, m, 0.5);
    h->peak_load_q95 = ic_quantile_sorted(tmp, m, 0.95);
    free(tmp);
    (void)plan;
    return IC_OK;
}
