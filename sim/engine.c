/* engine.c: plan compilation, the per-path time loop of the aggregate engine, and the
 * reduction (see engine.h and DESIGN.md, "The aggregate (fluid) engine").
 *
 * One step of length dt for a path:
 *   1. demand: users(t) (growth curve) x requests/user/day / 86400 x diurnal(t) x events(t)
 *      x exp(x(t) - sigma^2/2), x an Ornstein-Uhlenbeck process in log space (the -sigma^2/2
 *      keeps the mean of the lognormal factor at 1); arrivals ~ Poisson(rate x dt);
 *   2. capacity: replicas up (failures take whole replicas down) x requests/s per replica from
 *      the roofline model for the path's request mix;
 *   3. queue: the fluid queue of models/queue.h (serve, abandon, reject);
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

#include <math.h>
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

static void collect_input(void *ctx, const struct ic_dist *d, const char *pointer,
                          const char *units) {
    struct ic_plan *plan = ctx;
    if (plan->n_inputs >= IC_MAX_INPUTS) return;
    struct ic_input *in = &plan->inputs[plan->n_inputs++];
    in->dist = d;
    in->units = units;
    size_t n = strlen(pointer);
    if (n >= sizeof in->pointer) n = sizeof in->pointer - 1;
    memcpy(in->pointer, pointer, n);
    in->pointer[n] = '\0';
    plan->n_random += ic_dist_is_random(d);
}

int ic_plan_input_index(const struct ic_plan *plan, const struct ic_dist *d) {
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].dist == d) return i;
    return -1;
}

/* The request mix of a path from its draws (or of the plan from fixed values). */
static void make_mix(const struct ic_scenario *sc, const double *shares, const double *in_med,
                     const double *out_med, struct ic_mix *mix) {
    double total = 0;
    mix->n = sc->workload.n_classes;
    for (int c = 0; c < mix->n; c++) total += shares[c];
    for (int c = 0; c < mix->n; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        double si = k->input_tokens.sigma, so = k->output_tokens.sigma;
        mix->share[c] = total > 0 ? shares[c] / total : 0;
        /* Lognormal moments: E[X] = m e^{s^2/2}, E[X^2] = m^2 e^{2 s^2}. */
        mix->in_mean[c] = in_med[c] * exp(0.5 * si * si);
        mix->in_sq_mean[c] = in_med[c] * in_med[c] * exp(2.0 * si * si);
        mix->out_mean[c] = out_med[c] * exp(0.5 * so * so);
        mix->cache_hit[c] = k->prefix_cache_hit;
    }
}

static void perf_params(const struct ic_scenario *sc, long accels, double prefill_mfu,
                        double decode_mbu, struct ic_perf_params *pp) {
    pp->weight_precision = sc->serving.weight_precision;
    pp->kv_precision = sc->serving.kv_precision;
    pp->accels = accels;
    pp->memory_utilization = sc->serving.memory_utilization;
    pp->prefill_mfu = prefill_mfu;
    pp->decode_mbu = decode_mbu;
    pp->step_overhead_s = sc->serving.step_overhead_ms / 1000.0;
    pp->tpot_slo_s = sc->serving.tpot_slo_ms / 1000.0;
    pp->max_batch = (long)sc->serving.max_batch;
}

/* Does any input of the replica's performance vary by path? */
static int perf_is_random(const struct ic_scenario *sc) {
    if (ic_dist_is_random(&sc->serving.prefill_mfu) || ic_dist_is_random(&sc->serving.decode_mbu))
        return 1;
    for (int c = 0; c < sc->workload.n_classes; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        if (ic_dist_is_random(&k->share) || ic_dist_is_random(&k->input_tokens.median) ||
            ic_dist_is_random(&k->output_tokens.median))
            return 1;
    }
    return 0;
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
    ic_scenario_each_dist(sc, collect_input, plan);

    plan->diurnal = malloc((size_t)plan->nsteps * sizeof *plan->diurnal);
    plan->time_s = malloc((size_t)plan->nout * sizeof *plan->time_s);
    if (!plan->diurnal || !plan->time_s) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the time grid (%ld steps)",
                            plan->nsteps);
    }
    double w[24];
    ic_diurnal_weights(sc->traffic.diurnal.profile, sc->traffic.diurnal.weights.v, w);
    /* Local hour of the start: the offset makes the profile follow the users' clock. */
    double local0 = fmod(sc->start.unix_s + sc->start.offset_s, 86400.0);
    if (local0 < 0) local0 += 86400.0;
    for (long i = 0; i < plan->nsteps; i++) {
        double t = (double)i * plan->dt + 0.5 * plan->dt; /* the middle of the step */
        plan->diurnal[i] = ic_diurnal_at(w, fmod(local0 + t, 86400.0) / 3600.0);
    }
    for (long j = 0; j < plan->nout; j++)
        plan->time_s[j] = (double)j * (double)plan->steps_per_out * plan->dt;

    const struct ic_accelerator *a = &sc->accelerator.value;
    const struct ic_llm *m = &sc->model.value;
    ic_perf_fit(m, a, sc->serving.weight_precision, sc->serving.memory_utilization,
                sc->serving.kv_reserve_fraction, (long)sc->serving.accelerators_per_replica,
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
    double sh[IC_MAX_CLASSES], im[IC_MAX_CLASSES], om[IC_MAX_CLASSES];
    for (int c = 0; c < sc->workload.n_classes; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        sh[c] = ic_dist_mean(&k->share);
        im[c] = ic_dist_mean(&k->input_tokens.median);
        om[c] = ic_dist_mean(&k->output_tokens.median);
    }
    struct ic_mix mix;
    make_mix(sc, sh, im, om, &mix);
    struct ic_perf_params pp;
    perf_params(sc, plan->fit.accels, ic_dist_mean(&sc->serving.prefill_mfu),
                ic_dist_mean(&sc->serving.decode_mbu), &pp);
    char why[400];
    if (ic_perf_replica(m, a, &pp, &mix, &plan->perf, why, sizeof why) != 0) {
        ic_plan_free(plan);
        return ic_error_set(err, IC_ERR_INVALID, "/workload: %s", why);
    }
    plan->perf_fixed = !perf_is_random(sc);
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
    r->nq = plan->sc->output.quantiles.n;
    memcpy(r->q, plan->sc->output.quantiles.v, sizeof r->q);
    size_t np = (size_t)r->paths, no = (size_t)r->nout;
    r->series = malloc((size_t)IC_SERIES_COUNT * np * no * sizeof *r->series);
    r->summary = malloc((size_t)IC_SUMMARY_COUNT * np * sizeof *r->summary);
    r->inputs = malloc(((size_t)r->n_inputs + 1) * np * sizeof *r->inputs);
    r->bands = malloc((size_t)IC_SERIES_COUNT * ((size_t)r->nq + 1) * no * sizeof *r->bands);
    if (!r->series || !r->summary || !r->inputs || !r->bands) {
        double mb = ((double)IC_SERIES_COUNT * (double)np * (double)no * 4.0) / 1048576.0;
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
    free(r->summary);
    free(r->inputs);
    free(r->bands);
    memset(r, 0, sizeof *r);
}

/* ---- one path ------------------------------------------------------------------------------ */

struct path_events {
    int n;
    double start_s[IC_MAX_EVENTS], amp[IC_MAX_EVENTS], norm[IC_MAX_EVENTS];
    double rise_s[IC_MAX_EVENTS], decay_s[IC_MAX_EVENTS];
    double a_rise[IC_MAX_EVENTS], a_decay[IC_MAX_EVENTS]; /* per-step factors */
    double r[IC_MAX_EVENTS], d[IC_MAX_EVENTS];            /* e^{-tau/rise}, e^{-tau/decay} */
    int on[IC_MAX_EVENTS];
};

static double draw(const struct ic_plan *plan, const struct ic_dist *d, double *vals) {
    int i = ic_plan_input_index(plan, d);
    return i >= 0 ? vals[i] : d->a;
}

static void run_path(const struct ic_plan *plan, long p, struct ic_results *res, double *vals) {
    const struct ic_scenario *sc = plan->sc;
    uint64_t seed = (uint64_t)sc->seed;
    for (int i = 0; i < plan->n_inputs; i++) {
        vals[i] = ic_dist_draw(plan->inputs[i].dist, seed, (uint64_t)p);
        res->inputs[(size_t)i * (size_t)res->paths + (size_t)p] = vals[i];
    }
    const double dt = plan->dt;

    /* Inputs of this path. */
    int gmodel = sc->traffic.growth.model;
    double u0 = draw(plan, &sc->traffic.growth.initial_users, vals);
    double rate = draw(plan, &sc->traffic.growth.rate_per_day, vals);
    double kcap = draw(plan, &sc->traffic.growth.capacity_users, vals);
    double rpd = draw(plan, &sc->traffic.requests_per_user_per_day, vals);
    double sigma = draw(plan, &sc->traffic.noise.sigma, vals);
    double accels = draw(plan, &sc->fleet.accelerators, vals);
    double repair_s = draw(plan, &sc->fleet.repair_hours, vals) * 3600.0;
    double patience_s = draw(plan, &sc->queue.patience_s, vals);

    struct ic_perf perf_path;
    const struct ic_perf *perf = &plan->perf;
    int feasible = 1;
    if (!plan->perf_fixed) {
        double sh[IC_MAX_CLASSES], im[IC_MAX_CLASSES], om[IC_MAX_CLASSES];
        for (int c = 0; c < sc->workload.n_classes; c++) {
            const struct ic_class *k = &sc->workload.classes[c];
            sh[c] = draw(plan, &k->share, vals);
            im[c] = draw(plan, &k->input_tokens.median, vals);
            om[c] = draw(plan, &k->output_tokens.median, vals);
        }
        struct ic_mix mix;
        make_mix(sc, sh, im, om, &mix);
        struct ic_perf_params pp;
        perf_params(sc, plan->fit.accels, draw(plan, &sc->serving.prefill_mfu, vals),
                    draw(plan, &sc->serving.decode_mbu, vals), &pp);
        char why[8];
        feasible = ic_perf_replica(&sc->model.value, &sc->accelerator.value, &pp, &mix, &perf_path,
                                   why, sizeof why) == 0;
        perf = &perf_path;
    }
    const double mu = feasible ? perf->requests_per_s : 0.0;
    const double tokens_per_req = perf->tokens_per_request;
    const double prefill_mean = feasible ? perf->ttft1_s - perf->step1_s : NAN;
    const long per_replica = plan->fit.accels;

    struct path_events ev;
    ev.n = sc->traffic.n_events;
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
    }

    struct ic_rng rn, ra, rf;
    ic_rng_init(&rn, seed, (uint64_t)p, IC_STREAM_NOISE, 0);
    ic_rng_init(&ra, seed, (uint64_t)p, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&rf, seed, (uint64_t)p, IC_STREAM_FAILURES, 0);

    double phi, innov;
    ic_ou_coeffs(sigma, sc->traffic.noise.corr_time_s, dt, &phi, &innov);
    double x = sigma * ic_rng_normal(&rn); /* start in the stationary distribution */
    const double mean_fix = -0.5 * sigma * sigma;
    const double rate_per_s = rpd / 86400.0;
    const double dt_days = dt / 86400.0;
    /* Growth by recurrence: exponential multiplies by g each step; logistic carries
     * e^{-r t}. */
    const double g = exp(rate * dt_days);
    const double ginv = exp(-rate * dt_days);
    double users = u0, elog = 1.0;
    const double abandon_prob = 1.0 - exp(-dt / patience_s);
    const double fail_per_step = sc->fleet.failure_rate_per_hour * dt / 3600.0;
    const double repair_per_step = dt / repair_s;
    const double thr = sc->queue.degraded_failed_fraction;
    const long outage_min_steps = (long)ceil(sc->queue.outage_min_s / dt - 1e-9);

    double failed = 0, backlog = 0;
    long run = 0, run_start = 0;
    int outage = 0;
    double first_outage = NAN, degraded_steps = 0, outage_steps = 0;
    double sum_arr = 0, sum_served = 0, sum_rej = 0, sum_ab = 0;
    double peak_util = 0, peak_load = 0;

    double acc[IC_SERIES_COUNT];
    int cnt[IC_SERIES_COUNT];
    float *rows[IC_SERIES_COUNT];
    for (int s = 0; s < IC_SERIES_COUNT; s++) {
        rows[s] = ic_series_row(res, s, p);
        acc[s] = 0;
        cnt[s] = 0;
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
            ef *= 1.0 + ev.amp[e] * (1.0 - ev.r[e]) * ev.d[e] * ev.norm[e];
        }
        if (gmodel == IC_GROWTH_LOGISTIC) users = kcap / (1.0 + (kcap / u0 - 1.0) * elog);
        double lambda = users * rate_per_s * plan->diurnal[i] * ef * exp(x + mean_fix);
        double arrivals = ic_rng_poisson(&ra, lambda * dt);
        x = phi * x + innov * ic_rng_normal(&rn);

        /* 2. capacity */
        double healthy = accels - failed;
        double replicas = ic_fleet_replicas_up(accels, failed, per_replica);
        double svc = replicas * mu; /* requests per second */
        double capacity = svc * dt;

        /* 3. queue */
        struct ic_queue_flow f;
        ic_queue_step(&backlog, arrivals, capacity, sc->queue.max_wait_s * svc, abandon_prob, &f);
        double util = capacity > 0 ? f.served / capacity : 0.0;
        double load = capacity > 0 ? arrivals / capacity : (arrivals > 0 ? INFINITY : 0.0);
        double ttft = svc > 0 ? backlog / svc + prefill_mean : NAN;

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

        sum_arr += arrivals;
        sum_served += f.served;
        sum_rej += f.rejected;
        sum_ab += f.abandoned;
        if (util > peak_util) peak_util = util;
        if (load > peak_load) peak_load = load;

        double v[IC_SERIES_COUNT];
        v[IC_S_ACTIVE_USERS] = users;
        v[IC_S_ARRIVALS] = arrivals / dt;
        v[IC_S_DEMAND_TOKENS] = arrivals / dt * tokens_per_req;
        v[IC_S_CAPACITY_TOKENS] = svc * tokens_per_req;
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
        if (++in_bin == plan->steps_per_out || i == plan->nsteps - 1) {
            for (int s = 0; s < IC_SERIES_COUNT; s++) {
                rows[s][j] = cnt[s] ? (float)(acc[s] / cnt[s]) : NAN;
                acc[s] = 0;
                cnt[s] = 0;
            }
            j++;
            in_bin = 0;
        }

        if (gmodel == IC_GROWTH_LOGISTIC)
            elog *= ginv;
        else
            users *= g;
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
    PUT(IC_M_ARRIVED, sum_arr);
    PUT(IC_M_SERVED, sum_served);
    PUT(IC_M_REJECTED, sum_rej);
    PUT(IC_M_ABANDONED, sum_ab);
    PUT(IC_M_LOST, sum_rej + sum_ab);
    PUT(IC_M_PEAK_UTIL, peak_util);
    PUT(IC_M_PEAK_LOAD, peak_load);
    PUT(IC_M_ACCEL_HOURS, hours);
    PUT(IC_M_COST, hours * plan->hour_cost_usd);
    PUT(IC_M_ENERGY, hours * plan->hour_energy_kwh / 1000.0);
    PUT(IC_M_REPLICA_RPS, mu);
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

int ic_results_reduce(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err) {
    size_t np = (size_t)r->paths, no = (size_t)r->nout, nq = (size_t)r->nq;
    int nomem = 0;
    /* Bands: at every output time, quantiles over all paths (NaNs left out). */
#pragma omp parallel
    {
        float *col = malloc(np * sizeof *col);
        if (!col) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(static)
        for (long k = 0; k < (long)(IC_SERIES_COUNT * no); k++) {
            if (!col) continue;
            int s = (int)(k / (long)no);
            size_t j = (size_t)k % no, m = 0;
            for (size_t p = 0; p < np; p++) {
                float v = ic_series_row(r, s, (long)p)[j];
                if (!isnan(v)) col[m++] = v;
            }
            ic_sort_floats(col, m);
            for (size_t q = 0; q < nq; q++)
                r->bands[((size_t)s * nq + q) * no + j] =
                    (float)ic_quantile_sorted_f(col, m, r->q[q]);
        }
        free(col);
    }
    if (nomem) return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the bands");

    struct ic_headline *h = &r->head;
    memset(h, 0, sizeof *h);
    h->paths = r->paths;
    double *tmp = malloc(np * sizeof *tmp);
    if (!tmp) return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the headline");
    const double *out = ic_summary_col(r, IC_M_OUTAGE);
    double lost = 0, frac = 0, cost = 0, hours = 0, energy = 0, degr = 0;
    const double *arr = ic_summary_col(r, IC_M_ARRIVED), *lo = ic_summary_col(r, IC_M_LOST);
    for (size_t p = 0; p < np; p++) {
        h->outages += out[p] > 0.5;
        lost += lo[p];
        frac += arr[p] > 0 ? lo[p] / arr[p] : 0;
        cost += ic_summary_col(r, IC_M_COST)[p];
        hours += ic_summary_col(r, IC_M_ACCEL_HOURS)[p];
        energy += ic_summary_col(r, IC_M_ENERGY)[p];
        degr += ic_summary_col(r, IC_M_DEGRADED_MIN)[p];
    }
    h->p_outage = (double)h->outages / (double)np;
    ic_wilson(h->outages, (long)np, 1.959963984540054, &h->p_lo, &h->p_hi);
    h->lost_mean = lost / (double)np;
    h->lost_fraction_mean = frac / (double)np;
    h->cost_mean_usd = cost / (double)np;
    h->accel_hours_mean = hours / (double)np;
    h->energy_mean_mwh = energy / (double)np;
    h->degraded_minutes_mean = degr / (double)np;

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
