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

static void perf_params(const struct ic_plan *plan, const struct ic_pool_plan *pl,
                        double prefill_mfu, double decode_mbu, struct ic_perf_params *pp) {
    const struct ic_scenario *sc = plan->sc;
    double mfu0, mbu0;
    ic_vendor_efficiency(pl->accel, &mfu0, &mbu0);
    pp->weight_precision = pl->weight_precision;
    pp->kv_precision = pl->kv_precision;
    pp->tp = pl->fit.tp;
    pp->pp = pl->fit.pp;
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
        const struct ic_accelerator *a = pl->accel;
        ic_perf_fit(m, a, pl->weight_precision, sc->serving.memory_utilization,
                    sc->serving.kv_reserve_fraction, k ? 0 : (long)sc->serving.tensor_parallel,
                    k ? 0 : (long)sc->serving.pipeline_parallel,
                    (long)sc->serving.accelerators_per_node, &pl->fit);
        if (!pl->fit.ok) {
            ic_plan_free(plan);
            return ic_error_set(err, IC_ERR_INVALID, "pool %d: %s", k, pl->fit.why);
        }
        pl->allin_per_h = sc->fleet.accelerator_hour_usd;
        pl->capex_per_h = a->price_usd_est / (sc->fleet.amortization_years * 8766.0);
        pl->tdp_kw = a->tdp_w / 1000.0;
        if (pl->allin_per_h < 0 && (!isfinite(pl->capex_per_h) || !isfinite(pl->tdp_kw))) {
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
        struct ic_perf_params pp;
        perf_params(plan, pl, ic_dist_mean(pl->mfu), ic_dist_mean(pl->mbu), &pp);
        char why[400];
        int rc = ic_perf_replica(m, a, &pp, &mix, &pl->perf, why, sizeof why);
        int automatic =
            k > 0 || (sc->serving.tensor_parallel == 0 && sc->serving.pipeline_parallel == 0);
        if (automatic) {
            /* Automatic sizing: from the smallest replica that fits, try twice as many
             * accelerators while it raises the throughput per accelerator (a replica that is
             * too small is bound by the TPOT objective or the KV cache). */
            long per_node = (long)sc->serving.accelerators_per_node;
            for (long n = pl->fit.accels * 2; n <= 4 * pl->fit.accels && n <= 4 * per_node;
                 n *= 2) {
                struct ic_fit f2;
                ic_perf_fit(m, a, pl->weight_precision, sc->serving.memory_utilization,
                            sc->serving.kv_reserve_fraction, n < per_node ? n : per_node,
                            n < per_node ? 1 : n / per_node, per_node, &f2);
                if (!f2.ok) break;
                struct ic_pool_plan trial = *pl;
                trial.fit = f2;
                struct ic_perf_params p2;
                struct ic_perf r2;
                char w2[8];
                perf_params(plan, &trial, ic_dist_mean(pl->mfu), ic_dist_mean(pl->mbu), &p2);
                if (ic_perf_replica(m, a, &p2, &mix, &r2, w2, sizeof w2) != 0) continue;
                if (rc != 0 || r2.requests_per_s / (double)n >
                                   1.02 * pl->perf.requests_per_s / (double)pl->fit.accels) {
                    pl->fit = f2;
                    pl->perf = r2;
                    rc = 0;
                }
            }
        }
        if (rc != 0) {
            ic_plan_free(plan);
            return ic_error_set(err, IC_ERR_INVALID, "/workload: %s", why);
        }
        if (sc->serving.ttft_slo_s > 0 && pl->perf.ttft_rho <= 0) {
            ic_plan_free(plan);
            return ic_error_set(err, IC_ERR_INVALID,
                                "/serving/ttft_slo_s: %g s cannot be met on %s at any load (the "
                                "mean prompt alone takes %.3g s to the first token)",
                                sc->serving.ttft_slo_s, a->key, pl->perf.ttft1_s);
        }
    }
    plan->fit = plan->pool[0].fit;
    plan->perf = plan->pool[0].perf;
    plan->hour_cost_usd = plan->pool[0].allin_per_h >= 0
                              ? plan->pool[0].allin_per_h
                              : plan->pool[0].capex_per_h + plan->pool[0].tdp_kw * sc->fleet.pue *
                                                                sc->fleet.electricity_usd_per_kwh;
    plan->hour_energy_kwh = plan->pool[0].tdp_kw * sc->fleet.pue;
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
    r->store_paths = plan->store_paths;
    r->max_actions = (int)plan->sc->fleet.autoscale.max_actions;
    size_t na = (size_t)(r->store_paths * r->max_actions) + 1;
    r->action_time = malloc(na * sizeof *r->action_time);
    r->action_size = malloc(na * sizeof *r->action_size);
    r->action_ready = malloc(na * sizeof *r->action_ready);
    r->class_bands = malloc(nc * nq * no * sizeof *r->class_bands);
    if (!r->series || !r->class_arrivals || !r->summary || !r->inputs || !r->bands ||
        !r->class_bands || !r->action_time || !r->action_size || !r->action_ready) {
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
    free(r->action_time);
    free(r->action_size);
    free(r->action_ready);
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

/* A pending repair: when, and of what (an accelerator or a node). */
struct repair {
    double t;
    int node;
};

/* Per-thread workspace: the draws, and a heap of pending repairs per pool. */
struct workspace {
    double *vals;
    struct repair *heap[IC_MAX_POOLS];
    int cap[IC_MAX_POOLS];
};

/* The state of one pool along a path. */
struct pool_state {
    double accels;       /* in service */
    double failed;       /* failed accelerators */
    double failed_nodes; /* failed nodes */
    double next_fail, next_node_fail;
    int nheap;
    double per_replica;
    double mu; /* requests/s per replica at the current mix */
    double svc_c[IC_MAX_CLASSES], ttft_c[IC_MAX_CLASSES];
    double share;   /* routing share (normalised) */
    double backlog; /* routing by share: the pool's own queue */
    double util;    /* busy fraction this step */
    int feasible;
    double failures, node_failures;
};

static void heap_push(struct workspace *ws, int k, int *n, struct repair r) {
    if (*n == ws->cap[k]) {
        int cap = ws->cap[k] ? 2 * ws->cap[k] : 256;
        struct repair *h = realloc(ws->heap[k], (size_t)cap * sizeof *h);
        if (!h) return; /* out of memory: the repair is dropped (the accelerator stays down) */
        ws->heap[k] = h;
        ws->cap[k] = cap;
    }
    struct repair *h = ws->heap[k];
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2].t > r.t) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = r;
}

static struct repair heap_pop(struct repair *h, int *n) {
    struct repair top = h[0], last = h[--*n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && h[c + 1].t < h[c].t) c++;
        if (h[c].t >= last.t) break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0) h[i] = last;
    return top;
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

/* An exponential waiting time at `rate` per second (infinite at rate 0). */
static double exp_wait(struct ic_rng *r, double rate) {
    return rate > 0 ? -log(ic_rng_uniform(r)) / rate : INFINITY;
}

/* A repair time of mean m: exponential, or lognormal with shape sigma (median m e^{-s^2/2}). */
static double repair_time(struct ic_rng *r, double m, int lognormal, double sigma) {
    if (!lognormal) return -m * log(ic_rng_uniform(r));
    return m * exp(-0.5 * sigma * sigma + sigma * ic_rng_normal(r));
}

/* Failures and repairs of a pool up to time t (continuous time: each failure time is drawn at
 * the current number of healthy units, which is exact for a constant per-unit rate). */
static void pool_events(const struct ic_plan *plan, struct pool_state *ps, int k,
                        struct workspace *ws, struct ic_rng *rf, double t, double repair_s) {
    const struct ic_scenario *sc = plan->sc;
    const double rate = sc->fleet.failure_rate_per_hour / 3600.0;
    const double nrate = sc->fleet.node_failure_rate_per_hour / 3600.0;
    const double per_node = (double)sc->serving.accelerators_per_node;
    const int logn = sc->fleet.repair_shape == 1;
    for (;;) {
        double tr = ps->nheap > 0 ? ws->heap[k][0].t : INFINITY;
        double te = fmin(fmin(ps->next_fail, ps->next_node_fail), tr);
        if (!(te < t)) break;
        if (te == tr) {
            struct repair r = heap_pop(ws->heap[k], &ps->nheap);
            if (r.node)
                ps->failed_nodes = fmax(0, ps->failed_nodes - 1);
            else
                ps->failed = fmax(0, ps->failed - 1);
        } else if (te == ps->next_fail) {
            ps->failed += 1;
            ps->failures += 1;
            heap_push(
                ws, k, &ps->nheap,
                (struct repair){te + repair_time(rf, repair_s, logn, sc->fleet.repair_sigma), 0});
        } else {
            ps->failed_nodes += 1;
            ps->node_failures += 1;
            heap_push(
                ws, k, &ps->nheap,
                (struct repair){te + repair_time(rf, repair_s, logn, sc->fleet.repair_sigma), 1});
        }
        /* The healthy counts changed: draw the next failures afresh (memoryless). */
        double healthy = ps->accels - ps->failed - ps->failed_nodes * per_node;
        double nodes = floor(ps->accels / per_node) - ps->failed_nodes;
        ps->next_fail = te + exp_wait(rf, fmax(healthy, 0) * rate);
        ps->next_node_fail = te + exp_wait(rf, fmax(nodes, 0) * nrate);
    }
}

/* Replicas of a pool with every accelerator healthy: a failed accelerator takes its replica
 * down; a failed node takes down every replica on it (models/fleet.h). */
static double pool_replicas(const struct ic_plan *plan, const struct pool_state *ps) {
    double per_node = (double)plan->sc->serving.accelerators_per_node;
    double total = floor(ps->accels / ps->per_replica);
    double per_failed_node = ceil(per_node / ps->per_replica);
    double down = ps->failed + ps->failed_nodes * per_failed_node;
    return total > down ? total - down : 0;
}

/* Autoscaling state along a path (pool 0). */
struct autoscale {
    int enabled, actions;
    double last_t;
    int n_pending;
    double pending_t[64], pending_n[64];
    double acc_arr, acc_cap;
    double ordered, first_t;
};

static void record_action(struct ic_results *res, long p, int i, double t, double n, double ready) {
    if (p >= res->store_paths || i >= res->max_actions) return;
    size_t k = (size_t)p * (size_t)res->max_actions + (size_t)i;
    res->action_time[k] = t;
    res->action_size[k] = n;
    res->action_ready[k] = ready;
}

static void run_path(const struct ic_plan *plan, long p, struct ic_results *res,
                     struct workspace *ws) {
    const struct ic_scenario *sc = plan->sc;
    const uint64_t seed = (uint64_t)sc->seed;
    const double dt = plan->dt;
    const int nc = plan->n_classes, np = plan->n_pools;
    double *vals = ws->vals;
    for (int i = 0; i < plan->n_inputs; i++)
        if (plan->inputs[i].dist) vals[i] = ic_dist_draw(plan->inputs[i].dist, seed, (uint64_t)p);

    /* Inputs of this path. */
    struct ic_growth g;
    path_growth(plan, seed, p, vals, &g);
    for (int i = 0; i < plan->n_inputs; i++)
        res->inputs[(size_t)i * (size_t)res->paths + (size_t)p] = vals[i];
    const double sigma = draw(plan, &sc->traffic.noise.sigma, vals);
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

    struct ic_mix mix;
    make_mix(plan, vals, &mix);
    double share[IC_MAX_CLASSES], tok_c[IC_MAX_CLASSES], rev_c[IC_MAX_CLASSES];
    const struct ic_scenario_econ {
        double in, cached, out;
    } price = {sc->economics.price_input_per_mtok / 1e6,
               sc->economics.price_cached_input_per_mtok / 1e6,
               sc->economics.price_output_per_mtok / 1e6};
    for (int c = 0; c < nc; c++) {
        share[c] = mix.share[c];
        tok_c[c] = mix.in_mean[c] + mix.out_mean[c] + mix.reason_mean[c];
        rev_c[c] =
            mix.in_mean[c] * ((1 - mix.cache_hit[c]) * price.in + mix.cache_hit[c] * price.cached) +
            (mix.out_mean[c] + mix.reason_mean[c]) * price.out;
    }

    /* Pools: size, performance, routing share, failure clocks. */
    struct pool_state ps[IC_MAX_POOLS];
    struct ic_rng rfail[IC_MAX_POOLS];
    double share_sum = 0;
    for (int k = 0; k < np; k++) {
        const struct ic_pool_plan *pl = &plan->pool[k];
        struct pool_state *s = &ps[k];
        memset(s, 0, sizeof *s);
        s->accels = draw(plan, pl->accelerators, vals);
        s->per_replica = (double)pl->fit.accels;
        s->share = draw(plan, pl->share, vals);
        share_sum += s->share;
        struct ic_perf perf_path;
        const struct ic_perf *perf = &pl->perf;
        s->feasible = 1;
        if (!plan->perf_fixed) {
            struct ic_perf_params pp;
            perf_params(plan, pl, draw(plan, pl->mfu, vals), draw(plan, pl->mbu, vals), &pp);
            char why[8];
            s->feasible = ic_perf_replica(&sc->model.value, pl->accel, &pp, &mix, &perf_path, why,
                                          sizeof why) == 0;
            perf = &perf_path;
        }
        for (int c = 0; c < nc; c++) {
            s->svc_c[c] = perf->service_s[c] / perf->ttft_rho;
            s->ttft_c[c] = perf->ttft_s[c];
        }
        s->mu = s->feasible ? perf->requests_per_s : 0.0;
        ic_rng_init(&rfail[k], seed, (uint64_t)p, IC_STREAM_FAILURES, (uint32_t)k);
        s->next_fail = exp_wait(&rfail[k], s->accels * sc->fleet.failure_rate_per_hour / 3600.0);
        s->next_node_fail =
            exp_wait(&rfail[k], floor(s->accels / (double)sc->serving.accelerators_per_node) *
                                    sc->fleet.node_failure_rate_per_hour / 3600.0);
    }
    for (int k = 0; k < np; k++) ps[k].share = share_sum > 0 ? ps[k].share / share_sum : 0;
    const int by_share = sc->fleet.routing == 1 && np > 1;
    double tokens_per_req = plan->pool[0].perf.tokens_per_request, ttft_extra = 0, rev_per_req = 0;
    for (int c = 0; c < nc; c++) {
        ttft_extra += share[c] * ps[0].ttft_c[c];
        rev_per_req += share[c] * rev_c[c];
    }
    tokens_per_req = 0;
    for (int c = 0; c < nc; c++) tokens_per_req += share[c] * tok_c[c];

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

    struct ic_rng rn, ra, rs;
    ic_rng_init(&rn, seed, (uint64_t)p, IC_STREAM_NOISE, 0);
    ic_rng_init(&ra, seed, (uint64_t)p, IC_STREAM_ARRIVALS, 0);
    ic_rng_init(&rs, seed, (uint64_t)p, IC_STREAM_AUTOSCALE, 0);

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
    const double thr = sc->queue.degraded_failed_fraction;
    const double churn_p = draw(plan, &sc->traffic.churn.probability, vals);
    const long outage_min_steps = (long)ceil(sc->queue.outage_min_s / dt - 1e-9);
    const double pue = sc->fleet.pue, idle = sc->fleet.idle_power_fraction;
    const double kwh_usd = sc->fleet.electricity_usd_per_kwh;

    struct autoscale as = {0};
    as.enabled = sc->fleet.autoscale.enabled;
    as.last_t = -INFINITY;
    as.first_t = NAN;
    for (int i = 0; p < res->store_paths && i < res->max_actions; i++)
        record_action(res, p, i, NAN, NAN, NAN);

    double backlog = 0, pool = 0, retained = 1.0;
    long run = 0, run_start = 0;
    int outage = 0;
    double first_outage = NAN, degraded_steps = 0, outage_steps = 0;
    double sum_new = 0, sum_ret = 0, sum_served = 0, sum_rej = 0, sum_ab = 0, sum_lost = 0;
    double peak_util = 0, peak_load = 0, hours = 0, cost = 0, energy = 0, revenue = 0;

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
        /* 0. fleet: ordered capacity arrives; failures and repairs up to now */
        for (int q = 0; q < as.n_pending;) {
            if (as.pending_t[q] <= t) {
                ps[0].accels += as.pending_n[q];
                ps[0].next_fail = t; /* the healthy count changed: redraw the clocks */
                ps[0].next_node_fail = t;
                as.pending_t[q] = as.pending_t[--as.n_pending];
                as.pending_n[q] = as.pending_n[as.n_pending];
            } else {
                q++;
            }
        }
        for (int k = 0; k < np; k++) pool_events(plan, &ps[k], k, ws, &rfail[k], t, repair_s);

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
            /* Shares move with the events' shapes; the service rates follow the mix. */
            double wsum = 0, tok = 0, tt = 0, rv = 0;
            for (int c = 0; c < nc; c++) share[c] = mix.share[c];
            for (int e = 0; e < ev.n; e++)
                for (int q = 0; q < sc->traffic.events[e].n_mix; q++) {
                    int c = mix_idx[e][q];
                    if (c >= 0) share[c] *= 1.0 + (mix_mult[e][q] - 1.0) * ev.shape[e];
                }
            for (int c = 0; c < nc; c++) wsum += share[c];
            for (int c = 0; c < nc; c++) {
                share[c] = wsum > 0 ? share[c] / wsum : 0;
                tok += share[c] * tok_c[c];
                tt += share[c] * ps[0].ttft_c[c];
                rv += share[c] * rev_c[c];
            }
            for (int k = 0; k < np; k++) {
                double svc = 0;
                for (int c = 0; c < nc; c++) svc += share[c] * ps[k].svc_c[c];
                ps[k].mu = ps[k].feasible && svc > 0 ? 1.0 / svc : 0.0;
            }
            tokens_per_req = tok;
            ttft_extra = tt;
            rev_per_req = rv;
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

        /* 2. capacity, 3. queue(s) */
        double keep = 1.0;
        for (int k = 0; k < n_out; k++)
            if (t >= out_t0[k] && t < out_t1[k]) keep *= out_keep[k];
        double healthy = 0, replicas = 0, provisioned = 0, svc_rate = 0, capacity = 0;
        struct ic_queue_flow f = {0, 0, 0};
        for (int k = 0; k < np; k++) {
            double rep = floor(pool_replicas(plan, &ps[k]) * keep);
            double per_node = (double)sc->serving.accelerators_per_node;
            healthy += ps[k].accels - ps[k].failed - ps[k].failed_nodes * per_node;
            provisioned += ps[k].accels;
            replicas += rep;
            double rate = rep * ps[k].mu;
            svc_rate += rate;
            if (by_share) {
                struct ic_queue_flow fk;
                ic_queue_step(&ps[k].backlog, arrivals * ps[k].share, rate * dt,
                              sc->queue.max_wait_s * rate, abandon_prob, &fk);
                f.served += fk.served;
                f.rejected += fk.rejected;
                f.abandoned += fk.abandoned;
                ps[k].util = rate > 0 ? fk.served / (rate * dt) : 0;
            }
        }
        capacity = svc_rate * dt;
        if (by_share) {
            backlog = 0;
            for (int k = 0; k < np; k++) backlog += ps[k].backlog;
        } else {
            /* Least-loaded routing: one queue over every pool, each busy in proportion. */
            ic_queue_step(&backlog, arrivals, capacity, sc->queue.max_wait_s * svc_rate,
                          abandon_prob, &f);
            double u = capacity > 0 ? f.served / capacity : 0.0;
            for (int k = 0; k < np; k++) ps[k].util = u;
        }
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

        /* 5. economics: power follows utilisation; cost is all-in or capex + energy */
        double kw = 0, usd_h = 0;
        for (int k = 0; k < np; k++) {
            const struct ic_pool_plan *pl = &plan->pool[k];
            double pkw = ps[k].accels * pl->tdp_kw * (idle + (1 - idle) * ps[k].util) * pue;
            kw += pkw;
            usd_h += pl->allin_per_h >= 0 ? ps[k].accels * pl->allin_per_h
                                          : ps[k].accels * pl->capex_per_h + pkw * kwh_usd;
        }
        double rev = f.served * rev_per_req;
        hours += provisioned * dt / 3600.0;
        cost += usd_h * dt / 3600.0;
        energy += kw * dt / 3600.0;
        revenue += rev;

        /* 6. autoscaling (pool 0): evaluate the window's offered load */
        if (as.enabled) {
            as.acc_arr += arrivals;
            as.acc_cap += capacity;
            if ((i + 1) % plan->eval_steps == 0) {
                const double now = t + dt;
                double wload = as.acc_cap > 0 ? as.acc_arr / as.acc_cap : INFINITY;
                double step_n = (double)sc->fleet.autoscale.step_accelerators;
                double on_order = 0;
                for (int q = 0; q < as.n_pending; q++) on_order += as.pending_n[q];
                int may = as.actions < sc->fleet.autoscale.max_actions &&
                          now - as.last_t >= sc->fleet.autoscale.cooldown_s;
                double capn = (double)sc->fleet.autoscale.cap;
                if (may && wload > sc->fleet.autoscale.target_utilization &&
                    (capn <= 0 || ps[0].accels + on_order + step_n <= capn) && as.n_pending < 64) {
                    double lead = sc->fleet.autoscale.lead_time_s *
                                  exp(sc->fleet.autoscale.lead_time_sigma * ic_rng_normal(&rs));
                    as.pending_t[as.n_pending] = now + lead;
                    as.pending_n[as.n_pending++] = step_n;
                    record_action(res, p, as.actions, now, step_n, now + lead);
                    as.actions++;
                    as.last_t = now;
                    as.ordered += step_n;
                    if (isnan(as.first_t)) as.first_t = now;
                } else if (may && wload < sc->fleet.autoscale.scale_in_utilization &&
                           as.n_pending == 0 &&
                           ps[0].accels - step_n >= (double)sc->fleet.autoscale.floor) {
                    ps[0].accels -= step_n;
                    if (ps[0].failed > ps[0].accels) ps[0].failed = ps[0].accels;
                    ps[0].next_fail = now;
                    ps[0].next_node_fail = now;
                    record_action(res, p, as.actions, now, -step_n, now);
                    as.actions++;
                    as.last_t = now;
                }
                as.acc_arr = as.acc_cap = 0;
            }
        }

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
        v[IC_S_PROVISIONED] = provisioned;
        v[IC_S_REPLICAS_UP] = replicas;
        v[IC_S_POWER] = kw;
        v[IC_S_COST_RATE] = usd_h;
        v[IC_S_REVENUE_RATE] = rev / dt * 3600.0;
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

    /* The fleet's full capacity at the busiest hour, in units of the growth quantity. */
    double full = 0;
    for (int k = 0; k < np; k++)
        full += floor(draw(plan, plan->pool[k].accelerators, vals) / ps[k].per_replica) *
                (ps[k].feasible ? plan->pool[k].perf.requests_per_s : 0);
    double fails = 0, nfails = 0;
    for (int k = 0; k < np; k++) {
        fails += ps[k].failures;
        nfails += ps[k].node_failures;
    }
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
    PUT(IC_M_COST, cost);
    PUT(IC_M_ENERGY, energy / 1000.0);
    PUT(IC_M_REVENUE, revenue);
    PUT(IC_M_MARGIN, revenue > 0 ? (revenue - cost) / revenue : NAN);
    PUT(IC_M_FAILURES, fails);
    PUT(IC_M_NODE_FAILURES, nfails);
    PUT(IC_M_ACTIONS, as.actions);
    PUT(IC_M_SCALED_OUT, as.ordered);
    PUT(IC_M_FIRST_ACTION, as.first_t);
    PUT(IC_M_SUSTAINABLE, full / (conversion * plan->diurnal_peak));
    PUT(IC_M_REPLICA_RPS, ps[0].feasible ? plan->pool[0].perf.requests_per_s : 0.0);
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
        struct workspace ws;
        memset(&ws, 0, sizeof ws);
        ws.vals = malloc(((size_t)plan->n_inputs + 1) * sizeof *ws.vals);
        if (!ws.vals) {
#pragma omp atomic write
            nomem = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (long p = 0; p < plan->paths; p++) {
            if (ws.vals) run_path(plan, p, r, &ws);
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
        free(ws.vals);
        for (int k = 0; k < IC_MAX_POOLS; k++) free(ws.heap[k]);
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
    double rev = 0, act = 0;
    for (size_t p = 0; p < np; p++) {
        rev += ic_summary_col(r, IC_M_REVENUE)[p];
        act += ic_summary_col(r, IC_M_ACTIONS)[p];
    }
    h->revenue_mean_usd = rev / n;
    h->margin_mean = rev > 0 ? (rev - cost) / rev : NAN;
    h->actions_mean = act / n;

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
    memcpy(tmp, ic_summary_col(r, IC_M_SUSTAINABLE), np * sizeof *tmp);
    m = ic_sort_finite(tmp, np);
    h->sustainable_q50 = ic_quantile_sorted(tmp, m, 0.5);
    free(tmp);
    (void)plan;
    return IC_OK;
}
