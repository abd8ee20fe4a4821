/* svccurve.c: the request engine's input from a plan, steady arrivals, and a pool's service
 * curve (see svccurve.h). */
#include "sim/engine/svccurve.h"

#include "sim/core/stats.h"
#include "sim/core/timeutil.h"
#include "sim/core/version.h"
#include "sim/engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A role's unit of the replica: its parameters (models/perf.c's), its ranks and its KV cache
 * per rank (the performance model's for the unit: the cache does not depend on the mix). */
static int role_unit(const struct ic_replica_model *rm, long accels, struct ic_perf_params *pp,
                     double *ranks, double *kv_rank, struct ic_error *err) {
    ic_perf_unit_params(&rm->pp, accels, pp);
    *ranks = (double)(pp->attention_dp > 1 ? pp->attention_dp : 1);
    struct ic_mix one = {.n = 1, .share = {1}, .in_mean = {1}, .in_sq_mean = {1}, .out_mean = {1}};
    struct ic_perf perf;
    char why[256];
    if (ic_perf_replica(rm->m, rm->a, pp, &one, &perf, why, sizeof why) != 0)
        return ic_error_set(err, IC_ERR_INVALID, "/serving/disaggregated: a unit of %ld: %s",
                            accels, why);
    *kv_rank = perf.kv_capacity_bytes / perf.kv_bytes_per_token / *ranks;
    return IC_OK;
}

/* Prefill/decode disaggregation (sim/engine/reqsim.h): the fields of rm become the prefill
 * unit's, rm->decode the decode unit's, as models/perf.c sizes them: with /serving/prefill_unit
 * or decode_unit a replica is one unit of each; else each role runs the replica's own layout
 * and a replica is the closed form's split of it, f to prefill (/serving/prefill_fraction, or
 * balanced: f = mu_d / (mu_p + mu_d) of the roles' requests/s per accelerator). */
static int disaggregated(const struct ic_pool_plan *pl, struct ic_replica_model *rm,
                         struct ic_error *err) {
    const struct ic_perf *perf = &pl->perf;
    const struct ic_perf_params p = rm->pp;
    rm->disaggregated = 1;
    int rc = role_unit(rm, p.prefill_unit, &rm->pp, &rm->ranks, &rm->kv_tokens, err);
    if (rc == IC_OK)
        rc = role_unit(rm, p.decode_unit, &rm->decode.pp, &rm->decode.ranks, &rm->decode.kv_tokens,
                       err);
    if (rc != IC_OK) return rc;
    rm->decode.max_batch = rm->max_batch;
    rm->decode.max_tokens = rm->max_tokens;
    if (p.prefill_unit > 0 || p.decode_unit > 0) {
        rm->prefill_units = rm->decode_units = 1;
    } else {
        double mu_p = perf->prefill_tok_s_per_accel / fmax(perf->unc_tokens, 1e-9);
        double mu_d = perf->decode_tok_s_per_accel / fmax(perf->dec_tokens, 1e-9);
        double f = p.prefill_fraction > 0 ? p.prefill_fraction : mu_d / (mu_p + mu_d);
        if (!(f > 0 && f < 1)) f = 0.5;
        if (f * rm->ranks >= 1 && (1 - f) * rm->ranks >= 1) {
            /* attention ranks: a replica is f of its ranks prefilling and the rest decoding
             * (each at the replica's step for its load per rank) */
            rm->prefill_units = rm->decode_units = 1;
            rm->decode.ranks = (1 - f) * rm->ranks;
            rm->ranks *= f;
        } else {
            /* whole replicas in each role, f of them prefilling */
            rm->prefill_units = f;
            rm->decode_units = 1.0 - f;
        }
    }
    /* the prompt's KV over the scale-out network, as models/perf.c's kv_transfer_s: the
     * replica's accelerators each sending their share */
    double n = (double)((p.tp > 1 ? p.tp : 1) * (p.pp > 1 ? p.pp : 1) *
                        (p.attention_dp > 1 ? p.attention_dp : 1));
    rm->kv_transfer_s_per_token =
        p.scaleout_gbps > 0 ? perf->kv_bytes_per_token / (p.scaleout_gbps * 1e9 * n) : 0.0;
    return IC_OK;
}

int ic_plan_req_input(const struct ic_plan *plan, int pool, struct ic_req_input *in,
                      struct ic_error *err) {
    const struct ic_scenario *sc = plan->sc;
    memset(in, 0, sizeof *in);
    const struct ic_pool_plan *pl = &plan->pool[pool];
    struct ic_replica_model *rm = &in->rm;
    rm->m = &sc->model.value;
    rm->a = pl->accel;
    ic_plan_perf_params(plan, pool, &rm->pp);
    rm->kv_tokens = pl->perf.kv_capacity_bytes / pl->perf.kv_bytes_per_token;
    rm->max_batch = rm->pp.max_batch;
    rm->max_tokens = rm->pp.max_batched_tokens;
    rm->capacity_rps = pl->perf.requests_per_s;
    /* multi-token prediction: the accepted tokens per step (models/perf.c, mtp_tokens) */
    rm->tokens_per_step = pl->perf.tokens_per_step_seq;
    /* attention data parallelism: the caps are each rank's (models/perf.c), the KV cache the
     * replica's over its ranks */
    rm->ranks = (double)(rm->pp.attention_dp > 1 ? rm->pp.attention_dp : 1);
    rm->kv_tokens /= rm->ranks;
    if (sc->serving.disaggregated) {
        int rc = disaggregated(pl, rm, err);
        if (rc != IC_OK) return rc;
    }
    in->accels_per_replica = pl->fit.accels;
    in->replicas = (long)floor(ic_dist_mean(pl->accelerators) / (double)pl->fit.accels + 1e-9);
    const int nc = plan->n_classes;
    in->n_classes = nc;
    double total = 0;
    for (int c = 0; c < nc; c++) {
        in->share[c] = ic_dist_mean(&sc->workload.classes[c].share);
        total += in->share[c];
        ic_plan_class_tokens(plan, c, &in->in[c], &in->out[c], &in->reason[c], &in->reason_scale[c],
                             &in->cache_hit[c]);
    }
    for (int c = 0; c < nc; c++) in->share[c] = total > 0 ? in->share[c] / total : 1.0 / nc;
    in->context_cap = plan->context_cap;
    /* Demand as tokens a day: its cache-hit share replaces the classes', and its output over
     * input ratio scales every class's reasoning and answer, as in the performance model's mix
     * (sim/config/replica.c, ic_replica_mix). */
    const double tin = sc->traffic.tokens_per_day.input, tout = sc->traffic.tokens_per_day.output;
    if (tin > 0) {
        double inm = 0, dec = 0, m1, o1, r1, sq;
        for (int c = 0; c < nc; c++) {
            if (sc->traffic.tokens_per_day.cache_hit_share >= 0)
                in->cache_hit[c] = sc->traffic.tokens_per_day.cache_hit_share;
            ic_tokdist_moments(&in->in[c], 1.0, in->context_cap, &m1, &sq);
            ic_tokdist_moments(&in->out[c], 1.0, in->context_cap, &o1, &sq);
            ic_tokdist_moments(&in->reason[c], in->reason_scale[c], in->context_cap, &r1, &sq);
            inm += in->share[c] * m1;
            dec += in->share[c] * (o1 + r1);
        }
        double f = tout > 0 && inm > 0 && dec > 0 ? tout / tin * inm / dec : 1.0;
        for (int c = 0; c < nc; c++) {
            in->out_scale[c] = f;
            in->reason_scale[c] *= f;
        }
    }
    in->patience_s = ic_dist_mean(&sc->queue.patience_s);
    in->max_wait_s = sc->queue.max_wait_s;
    in->routing = sc->request_engine.routing;
    in->ttft_slo_s = sc->serving.ttft_slo_s;
    in->tpot_slo_s = sc->serving.tpot_slo_ms / 1000.0;
    in->step_s = plan->dt;
    in->dispersion = ic_dist_mean(&sc->traffic.noise.arrival_dispersion);
    in->interarrival_cv = sc->traffic.noise.interarrival_cv;
    in->seed = (uint64_t)sc->seed;
    in->latency_s = pl->perf.ttft1_s + pl->perf.dec_tokens * pl->perf.step_s;
    return IC_OK;
}

static int32_t tokens(const struct ic_tokdist *d, double scale, double cap, double u, int min) {
    double x = floor(ic_tokdist_sample(d, scale, cap, u) + 0.5);
    return x < min ? min : (int32_t)x;
}

void ic_req_input_lengths(const struct ic_req_input *in, int c, struct ic_rng *g,
                          struct ic_request *q) {
    const double cap = in->context_cap;
    q->cls = c;
    q->input = tokens(&in->in[c], 1.0, cap, ic_rng_uniform(g), 1);
    q->output = tokens(&in->out[c], in->out_scale[c] > 0 ? in->out_scale[c] : 1.0, cap,
                       ic_rng_uniform(g), 1);
    q->reasoning = tokens(&in->reason[c], in->reason_scale[c], cap, ic_rng_uniform(g), 0);
    q->cached = (int32_t)floor(in->cache_hit[c] * (double)q->input);
    q->patience_s = in->patience_s > 0 ? -log(ic_rng_uniform(g)) * in->patience_s : INFINITY;
}

void ic_req_input_draw(const struct ic_req_input *in, struct ic_rng *g, struct ic_request *q) {
    if (in->n_sample > 0) {
        /* a request of the sample (a trace's lengths) */
        long i = (long)(ic_rng_uniform(g) * (double)in->n_sample);
        if (i >= in->n_sample) i = in->n_sample - 1;
        q->cls = 0;
        q->input = in->sample_in[i];
        q->output = in->sample_out[i];
        q->reasoning = q->cached = 0;
        q->patience_s = in->patience_s > 0 ? -log(ic_rng_uniform(g)) * in->patience_s : INFINITY;
        return;
    }
    double u = ic_rng_uniform(g), acc = 0;
    int c = in->n_classes - 1;
    for (int k = 0; k < in->n_classes; k++) {
        acc += in->share[k];
        if (u < acc) {
            c = k;
            break;
        }
    }
    ic_req_input_lengths(in, c, g, q);
}

static int cmp_arrival(const void *a, const void *b) {
    double x = ((const struct ic_request *)a)->arrival_s;
    double y = ((const struct ic_request *)b)->arrival_s;
    return x < y ? -1 : x > y;
}

int ic_renewal_arrivals(double cv, const double *mean, long nsteps, double dt, double duration_s,
                        struct ic_rng *g, double **t, long *n) {
    *t = NULL;
    *n = 0;
    double total = 0;
    for (long j = 0; j < nsteps; j++) total += mean[j] > 0 ? mean[j] : 0;
    long cap = (long)(total * 1.2) + 64, m = 0;
    double *a = malloc((size_t)cap * sizeof *a);
    if (!a) return -1;
    const double shape = 1.0 / (cv * cv), scale = cv * cv; /* mean 1 */
    /* s: the next arrival in expected arrivals from the start; base: those before step j */
    double s = ic_rng_uniform(g) * ic_rng_gamma(g, shape + 1.0) * scale, base = 0;
    for (long j = 0; j < nsteps; j++) {
        const double mj = mean[j] > 0 ? mean[j] : 0;
        const double t0 = (double)j * dt, len = fmin(dt, duration_s - t0);
        if (!(len > 0)) break;
        while (s < base + mj) {
            if (m == cap) {
                double *a2 = realloc(a, (size_t)(2 * cap) * sizeof *a2);
                if (!a2) {
                    free(a);
                    return -1;
                }
                a = a2;
                cap *= 2;
            }
            double x = t0 + (s - base) / mj * len;
            a[m++] = x < t0 + len ? x : t0 + len * (1.0 - 1e-12);
            s += ic_rng_gamma(g, shape) * scale;
        }
        base += mj;
    }
    *t = a;
    *n = m;
    return 0;
}

int ic_req_input_steady(const struct ic_req_input *in, double rate, double duration_s,
                        int dispersion, uint64_t stream, struct ic_request **req, long *n,
                        double **step_counts, long *nsteps, struct ic_error *err) {
    *req = NULL;
    *n = 0;
    if (step_counts) *step_counts = NULL;
    const double dt = in->step_s > 0 ? in->step_s : duration_s;
    long ns = (long)ceil(duration_s / dt - 1e-9);
    if (ns < 1) ns = 1;
    struct ic_rng g, ga;
    ic_rng_init(&g, in->seed, 0, IC_STREAM_REQUESTS, (uint32_t)stream);
    ic_rng_init(&ga, in->seed, 1, IC_STREAM_REQUESTS, (uint32_t)stream);
    long cap = (long)(rate * duration_s * 1.2) + 64, m = 0;
    struct ic_request *r = calloc((size_t)cap, sizeof *r);
    double *cnt = step_counts ? calloc((size_t)ns, sizeof *cnt) : NULL;
    if (!r || (step_counts && !cnt)) {
        free(r);
        free(cnt);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", cap);
    }
    if (fabs(in->interarrival_cv - 1.0) > 1e-12 && in->interarrival_cv > 0) {
        /* A gamma renewal process within the steps (the step means drawn as below) */
        double *mean = calloc((size_t)ns, sizeof *mean), *at = NULL;
        long na = 0;
        int bad = !mean;
        for (long j = 0; !bad && j < ns; j++) {
            double t0 = (double)j * dt, len = fmin(dt, duration_s - t0);
            mean[j] = rate * len;
            if (dispersion && in->dispersion > 0)
                mean[j] *= ic_rng_gamma(&ga, 1.0 / in->dispersion) * in->dispersion;
        }
        struct ic_rng gr;
        ic_rng_init(&gr, in->seed, 2, IC_STREAM_REQUESTS, (uint32_t)stream);
        if (!bad)
            bad = ic_renewal_arrivals(in->interarrival_cv, mean, ns, dt, duration_s, &gr, &at,
                                      &na) != 0;
        free(mean);
        if (!bad) bad = ic_requests_reserve(&r, &cap, na) != 0;
        if (bad) {
            free(at);
            free(r);
            free(cnt);
            return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", na);
        }
        for (long i = 0; i < na; i++) {
            struct ic_request *q = &r[i];
            q->arrival_s = at[i];
            ic_req_input_draw(in, &g, q);
            long j = (long)(at[i] / dt);
            if (cnt) cnt[j < ns ? j : ns - 1] += 1;
        }
        free(at);
        *req = r;
        *n = na;
        if (step_counts) *step_counts = cnt;
        if (nsteps) *nsteps = ns;
        return IC_OK;
    }
    for (long j = 0; j < ns; j++) {
        double t0 = (double)j * dt, len = fmin(dt, duration_s - t0);
        double mean = rate * len;
        if (dispersion && in->dispersion > 0)
            mean *= ic_rng_gamma(&ga, 1.0 / in->dispersion) * in->dispersion;
        long k = (long)ic_rng_poisson(&ga, mean);
        if (ic_requests_reserve(&r, &cap, m + k) != 0) {
            free(r);
            free(cnt);
            return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", m + k);
        }
        for (long i = 0; i < k; i++) {
            struct ic_request *q = &r[m + i];
            q->arrival_s = t0 + ic_rng_uniform(&g) * len;
            ic_req_input_draw(in, &g, q);
        }
        qsort(r + m, (size_t)k, sizeof *r, cmp_arrival);
        m += k;
        if (cnt) cnt[j] = (double)k;
    }
    *req = r;
    *n = m;
    if (step_counts) *step_counts = cnt;
    if (nsteps) *nsteps = ns;
    return IC_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void ic_req_point_stats(const struct ic_req_input *in, const struct ic_request *req, long n,
                        double warm_s, double window_s, struct ic_req_point *pt) {
    memset(pt, 0, sizeof *pt);
    double *tt = malloc((size_t)(n > 0 ? n : 1) * sizeof *tt);
    double *tp = malloc((size_t)(n > 0 ? n : 1) * sizeof *tp);
    long arrived = 0, finished = 0, good = 0, nt = 0, np = 0, tpot_ok = 0;
    double sum_tt = 0;
    for (long i = 0; i < n; i++) {
        const struct ic_request *q = &req[i];
        if (q->status != IC_REQ_SERVED && (q->arrival_s < warm_s || q->arrival_s >= window_s))
            continue;
        arrived += q->arrival_s >= warm_s && q->arrival_s < window_s;
        if (q->status != IC_REQ_SERVED) continue;
        double ttft = q->first_token_s - q->arrival_s;
        double tpot = q->output > 1 ? (q->finish_s - q->first_token_s) / (q->output - 1) : 0;
        if (q->finish_s >= warm_s && q->finish_s < window_s) {
            /* the rates: what finished in the window */
            int ok = in->tpot_slo_s <= 0 || tpot <= in->tpot_slo_s;
            finished++;
            tpot_ok += ok;
            good += ok && (in->ttft_slo_s <= 0 || ttft <= in->ttft_slo_s);
        }
        if (q->arrival_s < warm_s || q->arrival_s >= window_s) continue;
        /* the latencies: what arrived in the window */
        if (tt) tt[nt++] = ttft;
        sum_tt += ttft;
        if (tp && q->output > 1) tp[np++] = tpot;
    }
    const double span = window_s - warm_s;
    pt->requests = arrived;
    pt->offered_rps = span > 0 ? (double)arrived / span : NAN;
    pt->served_rps = span > 0 ? (double)finished / span : NAN;
    /* the share of arrivals served within the objectives: the share served (completions over
     * arrivals in the window, at most 1) x the share of the served that met them.  The good
     * completions over the arrivals, a ratio of two counts of different requests, read 100.3%
     * on a steady run below capacity; over capacity the two are the same. */
    pt->good_share = arrived > 0 ? fmin(1.0, (double)finished / (double)arrived) *
                                       (finished > 0 ? (double)good / (double)finished : 0)
                                 : NAN;
    pt->served_good_share = finished > 0 ? (double)good / (double)finished : NAN;
    pt->tpot_ok_share = finished > 0 ? (double)tpot_ok / (double)finished : NAN;
    pt->ttft_mean_s = nt > 0 ? sum_tt / (double)nt : NAN;
    pt->ttft_p50_s = pt->ttft_p99_s = pt->tpot_p50_s = NAN;
    if (tt && nt > 0) {
        qsort(tt, (size_t)nt, sizeof *tt, cmp_double);
        pt->ttft_p50_s = ic_quantile_sorted(tt, (size_t)nt, 0.5);
        pt->ttft_p99_s = ic_quantile_sorted(tt, (size_t)nt, 0.99);
        for (int l = 0; l < IC_TTFT_QN; l++)
            pt->ttft_q_s[l] = ic_quantile_sorted(tt, (size_t)nt, ic_ttft_q_level(l));
    }
    if (tp && np > 0) {
        qsort(tp, (size_t)np, sizeof *tp, cmp_double);
        pt->tpot_p50_s = ic_quantile_sorted(tp, (size_t)np, 0.5);
    }
    free(tt);
    free(tp);
}

/* ---- the service curve ----------------------------------------------------------------------- */

static void closed_form(const struct ic_perf *perf, struct ic_pool_service *svc) {
    memset(svc, 0, sizeof *svc);
    svc->mode = IC_CURVE_CLOSED_FORM;
    svc->rps = perf->requests_per_s;
    svc->sat_rps = perf->requests_per_s_sat;
    svc->slo_util = perf->ttft_rho;
    svc->scale = 1.0;
    /* By utilisation of rps (the rate under both objectives), as ttft_wait_s is tabulated.
     * The closed form has the mean alone: it stands for the median too; it has no tail, and it
     * counts every request served under capacity as within the objectives. */
    for (int k = 0; k < IC_CURVE_POINTS; k++) {
        svc->ttft_mean_s[k] = svc->ttft_p50_s[k] = perf->ttft1_s + perf->ttft_wait_s[k];
        svc->ttft_p99_s[k] = NAN;
        svc->tpot_p50_s[k] = perf->step_s;
        svc->good_share[k] = 1.0;
    }
    svc->good_sat = 1.0;
    svc->tpot_sat_s = perf->step_s;
}

/* Whether a run settled: the completions per second of the two halves of its read window agree
 * within 3%, or within four standard deviations of the difference of two counts of half the
 * requests each (2 / sqrt(n) relative), whichever is wider.  A run  of long requests (reasoning,
 * test-time compute) whose replicas are still filling up serves less in its first half. */
/* The stats of the two halves of [warm_s, window_s). */
static void halves(const struct ic_req_input *in, const struct ic_request *req, long n,
                   double warm_s, double window_s, struct ic_req_point *a, struct ic_req_point *b) {
    const double mid = 0.5 * (warm_s + window_s);
    ic_req_point_stats(in, req, n, warm_s, mid, a);
    ic_req_point_stats(in, req, n, mid, window_s, b);
}

int ic_req_settled(const struct ic_req_input *in, const struct ic_request *req, long n,
                   double warm_s, double window_s) {
    struct ic_req_point a, b;
    halves(in, req, n, warm_s, window_s, &a, &b);
    const long k = a.requests + b.requests;
    if (k < 2 || !(a.served_rps + b.served_rps > 0)) return 1;
    const double tol = fmax(0.03, 4.0 * 2.0 / sqrt((double)k));
    return fabs(a.served_rps - b.served_rps) <= tol * 0.5 * (a.served_rps + b.served_rps);
}

int ic_req_good_settled(const struct ic_req_input *in, const struct ic_request *req, long n,
                        double warm_s, double window_s) {
    struct ic_req_point a, b;
    halves(in, req, n, warm_s, window_s, &a, &b);
    if (a.requests < 1 || b.requests < 1 || isnan(a.good_share) || isnan(b.good_share)) return 1;
    const double na = (double)a.requests, nb = (double)b.requests;
    const double p = (a.good_share * na + b.good_share * nb) / (na + nb);
    const double sd = sqrt(fmax(p * (1 - p), 0.0) * (1 / na + 1 / nb));
    return fabs(a.good_share - b.good_share) <= fmax(0.05, 4 * sd);
}

int ic_backlog_table(const double *ratio, const double *rest, long m,
                     double q[IC_TTFT_QN][IC_WAIT_POINTS]) {
    if (m < 1) return 0;
    double *x = malloc((size_t)m * sizeof *x);
    if (!x) return -1;
    for (int k = 0; k < IC_WAIT_POINTS; k++) {
        const double w = ic_backlog_wait_s(k);
        for (long i = 0; i < m; i++) x[i] = ratio[i] * w + rest[i];
        qsort(x, (size_t)m, sizeof *x, cmp_double);
        for (int l = 0; l < IC_TTFT_QN; l++)
            q[l][k] = ic_quantile_sorted(x, (size_t)m, ic_ttft_q_level(l));
    }
    free(x);
    return 0;
}

int ic_fluid_table(const double *wait, const double *ttft, const unsigned char *good, long m,
                   double q[IC_TTFT_QN][IC_WAIT_POINTS], double gs[IC_WAIT_POINTS]) {
    long cnt[IC_WAIT_POINTS] = {0}, start[IC_WAIT_POINTS + 1];
    double *x = malloc((size_t)(m > 0 ? m : 1) * sizeof *x);
    int *bin = malloc((size_t)(m > 0 ? m : 1) * sizeof *bin);
    if (!x || !bin) {
        free(x);
        free(bin);
        return -1;
    }
    for (long i = 0; i < m; i++) {
        /* nearest on a log scale: ic_backlog_wait_s(k) = 0.01 x 2^(k-1) */
        double k = wait[i] > 0 ? 1.0 + floor(log2(wait[i] / 0.01) + 0.5) : 1.0;
        bin[i] = k < 1 ? 1 : k > IC_WAIT_POINTS - 1 ? IC_WAIT_POINTS - 1 : (int)k;
        cnt[bin[i]]++;
    }
    start[0] = 0;
    for (int k = 0; k < IC_WAIT_POINTS; k++) start[k + 1] = start[k] + cnt[k];
    long fill[IC_WAIT_POINTS];
    memcpy(fill, start, sizeof fill);
    long ngood[IC_WAIT_POINTS] = {0};
    for (long i = 0; i < m; i++) {
        x[fill[bin[i]]++] = ttft[i];
        ngood[bin[i]] += good[i] != 0;
    }
    int full[IC_WAIT_POINTS] = {0}, first = -1, last = -1;
    double t[IC_TTFT_QN + 1][IC_WAIT_POINTS]; /* the last row: the good shares */
    memset(t, 0, sizeof t);
    for (int k = 1; k < IC_WAIT_POINTS; k++) {
        if (cnt[k] < IC_FLUID_BIN_MIN) continue;
        t[IC_TTFT_QN][k] = (double)ngood[k] / (double)cnt[k];
        qsort(x + start[k], (size_t)cnt[k], sizeof *x, cmp_double);
        for (int l = 0; l < IC_TTFT_QN; l++)
            t[l][k] = ic_quantile_sorted(x + start[k], (size_t)cnt[k], ic_ttft_q_level(l));
        full[k] = 1;
        if (first < 0) first = k;
        last = k;
    }
    free(x);
    free(bin);
    for (int k = 0; first >= 0 && k < IC_WAIT_POINTS; k++) {
        if (full[k]) continue;
        int lo = k - 1, hi = k + 1;
        while (lo >= first && !full[lo]) lo--;
        while (hi <= last && !full[hi]) hi++;
        for (int l = 0; l <= IC_TTFT_QN; l++) {
            if (k < first)
                t[l][k] = t[l][first];
            else if (k > last)
                t[l][k] = t[l][last] +
                          (l < IC_TTFT_QN ? ic_backlog_wait_s(k) - ic_backlog_wait_s(last) : 0.0);
            else
                t[l][k] = t[l][lo] + (t[l][hi] - t[l][lo]) * (double)(k - lo) / (double)(hi - lo);
        }
    }
    memcpy(q, t, IC_TTFT_QN * sizeof t[0]);
    memcpy(gs, t[IC_TTFT_QN], sizeof t[0]);
    return 0;
}

int ic_curve_step_q(const struct ic_pool_service *svc, double b0, double b1, double arrivals,
                    double capacity, double rate, double util, double q[][IC_TTFT_QN]) {
    if (svc->mode != IC_CURVE_MEASURED) return 0;
    if ((b0 > 0 || b1 > 0) && ic_curve_fluid(svc)) {
        const int rising = arrivals > capacity;
        const double u = capacity > 0 ? fmin(arrivals / capacity, 1.0) : 1.0;
        for (int k = 0; k < IC_STEP_PARTS; k++) {
            double w =
                ic_fluid_wait_at(b0, b1, arrivals, capacity, rate, (k + 0.5) / IC_STEP_PARTS);
            int rc = w > 0 ? ic_wait_table_q(rising ? svc->rise_q_s : svc->fall_q_s, w, q[k]) : 1;
            if (rc < 0) rc = ic_wait_table_q(rising ? svc->fall_q_s : svc->rise_q_s, w, q[k]);
            if (rc != 0 && ic_curve_ttft_q(svc, u, q[k]) != 0) return 0;
        }
        return IC_STEP_PARTS;
    }
    int rc = b1 > 0 && rate > 0 ? ic_curve_backlog_q(svc, b1 / rate, q[0])
                                : ic_curve_ttft_q(svc, util, q[0]);
    return rc == 0 ? 1 : 0;
}

double ic_curve_good_fluid(const struct ic_pool_service *svc, double b0, double b1, double arrivals,
                           double capacity, double rate) {
    int rising = arrivals > capacity;
    if (!((rising ? svc->rise_q_s : svc->fall_q_s)[IC_TTFT_QN - 1][1] > 0))
        rising = !rising; /* that one empty: the other */
    const double *gs = rising ? svc->rise_good : svc->fall_good;
    const double u = capacity > 0 ? fmin(arrivals / capacity, 1.0) : 1.0;
    double good = 0;
    for (int k = 0; k < IC_STEP_PARTS; k++) {
        double w = ic_fluid_wait_at(b0, b1, arrivals, capacity, rate, (k + 0.5) / IC_STEP_PARTS);
        good += w > 0 ? ic_wait_row_at(gs, w) : ic_curve_at(svc->good_share, u);
    }
    return good / IC_STEP_PARTS;
}

/* With arrivals over-dispersed per step: each served request of the run that arrived in
 * [warm_s, window_s) with the aggregate engine's fluid queue (its steps' backlogs on the run's
 * own step counts at svc_rate, under its patience and admission control) holding a wait at its
 * arrival (ic_fluid_wait_at), by that wait, its TTFT and whether it met both objectives, into
 * rise and rise_good (steps whose arrivals exceed the service) or fall and fall_good (the
 * others) through ic_fluid_table. */
static void fluid_quantiles(const struct ic_req_input *in, const struct ic_request *req, long n,
                            const double *counts, long nsteps, double svc_rate, double warm_s,
                            double window_s, double rise[IC_TTFT_QN][IC_WAIT_POINTS],
                            double fall[IC_TTFT_QN][IC_WAIT_POINTS], double *rise_good,
                            double *fall_good) {
    const double dt = in->step_s > 0 ? in->step_s : window_s;
    const size_t ns = (size_t)(nsteps > 0 ? nsteps : 1), nn = (size_t)(n > 0 ? n : 1);
    double *b = malloc((ns + 1) * sizeof *b);
    double *w[2] = {malloc(nn * sizeof(double)), malloc(nn * sizeof(double))};
    double *t[2] = {malloc(nn * sizeof(double)), malloc(nn * sizeof(double))};
    unsigned char *ok[2] = {malloc(nn), malloc(nn)};
    long m[2] = {0, 0};
    if (b && w[0] && w[1] && t[0] && t[1] && ok[0] && ok[1]) {
        b[0] = 0;
        for (long j = 0; j < nsteps; j++) {
            double len = fmin(dt, window_s - (double)j * dt);
            if (!(len > 0)) len = dt; /* the drain after the window: not read */
            double abandon = in->patience_s > 0 ? 1.0 - exp(-len / in->patience_s) : 0.0;
            struct ic_queue_flow f;
            b[j + 1] = b[j];
            ic_queue_step(&b[j + 1], counts[j], svc_rate * len, in->max_wait_s * svc_rate, abandon,
                          &f);
        }
        for (long i = 0; i < n; i++) {
            const struct ic_request *x = &req[i];
            if (x->status != IC_REQ_SERVED || x->arrival_s < warm_s || x->arrival_s >= window_s)
                continue;
            long j = (long)(x->arrival_s / dt);
            if (j >= nsteps) j = nsteps - 1;
            const double len = fmin(dt, window_s - (double)j * dt), cap = svc_rate * len;
            const double wt = ic_fluid_wait_at(b[j], b[j + 1], counts[j], cap, svc_rate,
                                               (x->arrival_s - (double)j * dt) / len);
            if (!(wt > 0)) continue;
            const int r = counts[j] > cap;
            const double ttft = x->first_token_s - x->arrival_s;
            const double tpot =
                x->output > 1 ? (x->finish_s - x->first_token_s) / (x->output - 1) : 0;
            w[r][m[r]] = wt;
            ok[r][m[r]] = (in->tpot_slo_s <= 0 || tpot <= in->tpot_slo_s) &&
                          (in->ttft_slo_s <= 0 || ttft <= in->ttft_slo_s);
            t[r][m[r]++] = ttft;
        }
        /* out of memory: left without a table */
        (void)ic_fluid_table(w[1], t[1], ok[1], m[1], rise, rise_good);
        (void)ic_fluid_table(w[0], t[0], ok[0], m[0], fall, fall_good);
    }
    free(b);
    for (int r = 0; r < 2; r++) {
        free(w[r]);
        free(t[r]);
        free(ok[r]);
    }
}

/* Over capacity: the TTFT of the served requests split into their wait for admission to a
 * replica (admit - arrival) and the rest (first token - admit), the wait over their step's
 * fluid wait, the backlog at the step's end over svc_rate as the aggregate engine's step has
 * it (sim/drivers/crosscheck.c, aggregate_side; the engine's serve step), on the run's own
 * step counts under its patience and admission control, over the requests that arrived in
 * [warm_s, window_s) in steps that left a backlog: their pairs' table (ic_backlog_table) into
 * q, left 0 when none did. */
static void backlog_quantiles(const struct ic_req_input *in, const struct ic_request *req, long n,
                              const double *counts, long nsteps, double svc_rate, double warm_s,
                              double window_s, double q[IC_TTFT_QN][IC_WAIT_POINTS]) {
    const double dt = in->step_s > 0 ? in->step_s : window_s;
    double *wait = malloc((size_t)(nsteps > 0 ? nsteps : 1) * sizeof *wait);
    double *r = malloc((size_t)(n > 0 ? n : 1) * sizeof *r);
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    double backlog = 0;
    long m = 0;
    for (long j = 0; wait && j < nsteps; j++) {
        double len = fmin(dt, window_s - (double)j * dt);
        if (!(len > 0)) len = dt; /* the drain after the window: not read */
        double abandon = in->patience_s > 0 ? 1.0 - exp(-len / in->patience_s) : 0.0;
        struct ic_queue_flow f;
        ic_queue_step(&backlog, counts[j], svc_rate * len, in->max_wait_s * svc_rate, abandon, &f);
        wait[j] = backlog / svc_rate;
    }
    for (long i = 0; wait && r && v && i < n; i++) {
        const struct ic_request *x = &req[i];
        if (x->status != IC_REQ_SERVED || x->arrival_s < warm_s || x->arrival_s >= window_s)
            continue;
        long j = (long)(x->arrival_s / dt);
        if (j >= nsteps) j = nsteps - 1;
        if (!(wait[j] > 0)) continue;
        r[m] = (x->admit_s - x->arrival_s) / wait[j];
        v[m++] = x->first_token_s - x->admit_s;
    }
    if (m > 0) (void)ic_backlog_table(r, v, m, q); /* out of memory: left without a table */
    free(wait);
    free(r);
    free(v);
}

/* One offered load through a group of replicas: requests/s in total.  The window holds nreq
 * requests and at least `lats` request latencies (in->latency_s); the first tenth (at least a
 * fifth of those latencies) warms the replicas up and is not read; with drain_share > 0 the
 * replicas get that share of the window more to finish.  Until the run settles, the window
 * doubles: settle 1, its completions per second (ic_req_settled); 2, its goodput too
 * (ic_req_good_settled); 0, never; to at most IC_CURVE_POINT_MAX x nreq requests a point
 * and while the curve has run fewer than IC_CURVE_MAX x nreq in all (*ran), each times the
 * group's replicas over IC_CURVE_CAP_REPLICAS (at least 1): requests, not seconds, so that the
 * curve is the same on any machine. */
/* The tables a run is read for besides its point (tab may be NULL: none), at the service rate
 * wait_rate (requests/s of the group): backlog_quantiles() into backlog; with `dispersed`, the
 * run's steps over-dispersed as the scenario's, and fluid_quantiles() into rise and fall. */
struct probe_tables {
    double wait_rate;
    int dispersed;
    double (*backlog)[IC_WAIT_POINTS], (*rise)[IC_WAIT_POINTS], (*fall)[IC_WAIT_POINTS];
    double *rise_good, *fall_good;
};
static int measure_point(const struct ic_req_input *in, long replicas, double rate, long nreq,
                         double lats, uint64_t stream, double drain_share, int settle,
                         struct ic_req_point *pt, long *ran, long *run_max,
                         const struct probe_tables *tab, struct ic_error *err) {
    double window = fmax((double)nreq / rate, lats * in->latency_s);
    const double cap = (double)nreq * fmax(1.0, (double)replicas / IC_CURVE_CAP_REPLICAS);
    for (;;) {
        struct ic_request *req;
        long n, nsteps = 0;
        double *counts = NULL;
        int rc = ic_req_input_steady(in, rate, window, tab && tab->dispersed, stream, &req, &n,
                                     tab ? &counts : NULL, tab ? &nsteps : NULL, err);
        if (rc != IC_OK) return rc;
        *ran += n;
        if (run_max && n > *run_max) *run_max = n;
        struct ic_reqsim_config cfg = {
            .replicas = replicas,
            .routing = in->routing,
            .max_wait_s = in->max_wait_s,
            .horizon_s = window + drain_share * window,
            .seed = in->seed ^ stream,
        };
        cfg.interval_s = cfg.horizon_s; /* one interval: the replicas' series are not read */
        struct ic_reqsim_series series;
        struct ic_reqsim_stats stats;
        memset(&series, 0, sizeof series);
        rc = ic_reqsim_run(&cfg, &in->rm, req, n, &series, &stats, err);
        const double warm = fmax(0.1 * window, 0.2 * lats * in->latency_s);
        int again = 0;
        if (rc == IC_OK) {
            ic_req_point_stats(in, req, n, warm, window, pt);
            if (tab && tab->backlog)
                backlog_quantiles(in, req, n, counts, nsteps, tab->wait_rate, warm, window,
                                  tab->backlog);
            if (tab && tab->rise)
                fluid_quantiles(in, req, n, counts, nsteps, tab->wait_rate, warm, window, tab->rise,
                                tab->fall, tab->rise_good, tab->fall_good);
            again = settle > 0 &&
                    !(ic_req_settled(in, req, n, warm, window) &&
                      (settle < 2 || ic_req_good_settled(in, req, n, warm, window))) &&
                    2 * n <= (long)(IC_CURVE_POINT_MAX * cap) &&
                    *ran + 2 * n <= (long)(IC_CURVE_MAX * cap);
        }
        ic_reqsim_series_free(&series);
        free(req);
        free(counts);
        if (rc != IC_OK || !again) return rc;
        window *= 2.0;
    }
}

/* The steps of the over-dispersed probe (ic_service_curve_measure): four hours of one-minute
 * steps. */
#define FLUID_STEPS 240

/* The in-process cache of measured curves. */
#define CACHE_SIZE 64
static struct {
    uint64_t key;
    struct ic_pool_service svc;
} cache[CACHE_SIZE];
static int cache_n, cache_next;

/* What a curve depends on, fed to a hash in pieces. */
typedef void (*feed_fn)(void *h, const void *data, size_t n);

static void key_material(const struct ic_req_input *in0, long g, long nreq, feed_fn feed, void *h) {
    struct ic_req_input in = *in0;
    in.replicas = 0; /* the group's size, not the fleet's */
    /* in.dispersion is hashed: the fluid tables are measured on over-dispersed steps (the
     * burstiness within a step, in.interarrival_cv, is the curve's too) */
    in.patience_s = in.patience_s > 0 ? in.patience_s : 0;
    in.rm.m = NULL; /* hashed by content below */
    in.rm.a = NULL;
    in.rm.capacity_rps = 0;              /* follows from the rest */
    in.sample_in = in.sample_out = NULL; /* hashed by content below */
    /* the software profiles' names and sources: by content, not address */
    in.rm.pp.sw.name = in.rm.pp.sw.source = NULL;
    in.rm.decode.pp.sw.name = in.rm.decode.pp.sw.source = NULL;
    feed(h, &in, sizeof in);
    const char *text[4] = {in0->rm.pp.sw.name, in0->rm.pp.sw.source, in0->rm.decode.pp.sw.name,
                           in0->rm.decode.pp.sw.source};
    for (int i = 0; i < 4; i++) feed(h, text[i] ? text[i] : "", text[i] ? strlen(text[i]) + 1 : 1);
    if (in0->n_sample > 0) {
        feed(h, in0->sample_in, (size_t)in0->n_sample * sizeof *in0->sample_in);
        feed(h, in0->sample_out, (size_t)in0->n_sample * sizeof *in0->sample_out);
    }
    feed(h, in0->rm.m, sizeof *in0->rm.m);
    feed(h, in0->rm.a, sizeof *in0->rm.a);
    feed(h, &g, sizeof g);
    feed(h, &nreq, sizeof nreq);
}

static void feed64(void *h, const void *data, size_t n) {
    *(uint64_t *)h = ic_fnv1a(*(uint64_t *)h, data, n);
}

static uint64_t curve_key(const struct ic_req_input *in, long g, long nreq) {
    uint64_t h = IC_FNV_INIT;
    key_material(in, g, nreq, feed64, &h);
    return h;
}

static int cache_get(uint64_t key, struct ic_pool_service *svc) {
    int hit = 0;
#pragma omp critical(ic_svccurve_cache)
    for (int i = 0; i < cache_n; i++)
        if (cache[i].key == key) {
            *svc = cache[i].svc;
            hit = 1;
            break;
        }
    return hit;
}

static void cache_put(uint64_t key, const struct ic_pool_service *svc) {
#pragma omp critical(ic_svccurve_cache)
    {
        cache[cache_next].key = key;
        cache[cache_next].svc = *svc;
        cache_next = (cache_next + 1) % CACHE_SIZE;
        if (cache_n < CACHE_SIZE) cache_n++;
    }
}

/* ---- The on-disk cache of measured curves (svccurve.h) ------------------------------------- */

/* The file format's version: bump it when the curve's fields or their meaning change. */
#define DISK_FORMAT "infercap service curve 4"

static char disk_dir[3072]; /* "": off */
static int disk_build = 0;  /* 0: not yet identified, 1: identified, -1: cannot be */
static uint64_t disk_build_hi, disk_build_lo;
static unsigned long disk_seq; /* temporary files of this process */

/* FNV-1a, 128 bits (Fowler, Noll, Vo; the IETF draft draft-eastlake-fnv: offset basis
 * 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 2^8 + 0x3b), with two 64-bit halves. */
struct h128 {
    uint64_t hi, lo;
};
static void feed128(void *hv, const void *data, size_t n) {
    struct h128 *h = hv;
    const unsigned char *b = data;
    uint64_t hi = h->hi, lo = h->lo;
    for (size_t i = 0; i < n; i++) {
        lo ^= b[i];
        /* (hi, lo) x (2^88 + 0x13b) mod 2^128 */
        uint64_t t = (lo & 0xffffffffu) * 0x13bu, u = (lo >> 32) * 0x13bu;
        uint64_t nlo = t + (u << 32);
        hi = hi * 0x13bu + (u >> 32) + (nlo < t) + (lo << 24);
        lo = nlo;
    }
    h->hi = hi;
    h->lo = lo;
}
static struct h128 h128_init(void) {
    return (struct h128){0x6c62272e07bb0142ULL, 0x62b821756295c58dULL};
}

int ic_curve_cache_set_dir(const char *dir) {
    disk_dir[0] = '\0';
    if (!dir || !dir[0]) return 0;
    if (strlen(dir) + 64 >= sizeof disk_dir) return -1;
    memcpy(disk_dir, dir, strlen(dir) + 1);
    return 0;
}

const char *ic_curve_cache_dir(void) {
    return disk_dir[0] ? disk_dir : NULL;
}

/* The build, as what the curve's numbers depend on besides the key: the version and git
 * commit; for a commit with changes beside it, or none known, the executable's bytes too
 * (Linux's /proc/self/exe; elsewhere such a build does not use the cache). */
static int identify_build(void) {
    struct h128 h = h128_init();
    feed128(&h, DISK_FORMAT, strlen(DISK_FORMAT));
    feed128(&h, IC_VERSION, strlen(IC_VERSION) + 1);
    feed128(&h, ic_git_commit, strlen(ic_git_commit) + 1);
    if (strcmp(ic_git_commit, "unknown") == 0 || strstr(ic_git_commit, "-dirty")) {
        FILE *f = fopen("/proc/self/exe", "rb");
        if (!f) return -1;
        unsigned char buf[1 << 16];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, f)) > 0) feed128(&h, buf, k);
        int bad = ferror(f);
        fclose(f);
        if (bad) return -1;
    }
    disk_build_hi = h.hi;
    disk_build_lo = h.lo;
    return 1;
}

/* The path of the curve's file and its key (32 hex digits); 0, or -1 when the cache is off. */
static int disk_path(const struct ic_req_input *in, long g, long nreq, char *path, size_t n,
                     char key[33]) {
    if (!disk_dir[0]) return -1;
    int build;
#pragma omp critical(ic_svccurve_cache)
    {
        if (disk_build == 0) disk_build = identify_build();
        build = disk_build;
    }
    if (build < 0) return -1;
    struct h128 h = h128_init();
    uint64_t b[2] = {disk_build_hi, disk_build_lo};
    feed128(&h, b, sizeof b);
    key_material(in, g, nreq, feed128, &h);
    snprintf(key, 33, "%016" PRIx64 "%016" PRIx64, h.hi, h.lo);
    int w = snprintf(path, n, "%s/curve-%s.txt", disk_dir, key);
    return w > 0 && (size_t)w < n ? 0 : -1;
}

/* The numbers of a curve, in the file's order. */
#define DISK_SCALARS 6
#define DISK_TABLES  (7 + 4 * IC_TTFT_QN)
_Static_assert(IC_TTFT_QN == 21 && IC_WAIT_POINTS == IC_CURVE_POINTS,
               "the tables are stored as rows of IC_CURVE_POINTS, named below");
static void disk_fields(struct ic_pool_service *m, double *sc[DISK_SCALARS],
                        double *tab[DISK_TABLES]) {
    double *s[DISK_SCALARS] = {&m->rps,   &m->sat_rps,  &m->slo_util,
                               &m->scale, &m->good_sat, &m->tpot_sat_s};
    double *t[5] = {m->ttft_mean_s, m->ttft_p50_s, m->ttft_p99_s, m->tpot_p50_s, m->good_share};
    memcpy(sc, s, sizeof s);
    memcpy(tab, t, sizeof t);
    for (int l = 0; l < IC_TTFT_QN; l++) {
        tab[5 + l] = m->ttft_q_s[l];
        tab[5 + IC_TTFT_QN + l] = m->backlog_q_s[l];
        tab[5 + 2 * IC_TTFT_QN + l] = m->rise_q_s[l];
        tab[5 + 3 * IC_TTFT_QN + l] = m->fall_q_s[l];
    }
    tab[5 + 4 * IC_TTFT_QN] = m->rise_good;
    tab[6 + 4 * IC_TTFT_QN] = m->fall_good;
}
static const char *const disk_scalar_names[DISK_SCALARS] = {"rps",   "sat_rps",  "slo_util",
                                                            "scale", "good_sat", "tpot_sat_s"};
static const char *const disk_table_names[DISK_TABLES] = {
    "ttft_mean_s", "ttft_p50_s",  "ttft_p99_s",  "tpot_p50_s",  "good_share",  "ttft_q00",
    "ttft_q01",    "ttft_q02",    "ttft_q03",    "ttft_q04",    "ttft_q05",    "ttft_q06",
    "ttft_q07",    "ttft_q08",    "ttft_q09",    "ttft_q10",    "ttft_q11",    "ttft_q12",
    "ttft_q13",    "ttft_q14",    "ttft_q15",    "ttft_q16",    "ttft_q17",    "ttft_q18",
    "ttft_q19",    "ttft_q20",    "backlog_q00", "backlog_q01", "backlog_q02", "backlog_q03",
    "backlog_q04", "backlog_q05", "backlog_q06", "backlog_q07", "backlog_q08", "backlog_q09",
    "backlog_q10", "backlog_q11", "backlog_q12", "backlog_q13", "backlog_q14", "backlog_q15",
    "backlog_q16", "backlog_q17", "backlog_q18", "backlog_q19", "backlog_q20", "rise_q00",
    "rise_q01",    "rise_q02",    "rise_q03",    "rise_q04",    "rise_q05",    "rise_q06",
    "rise_q07",    "rise_q08",    "rise_q09",    "rise_q10",    "rise_q11",    "rise_q12",
    "rise_q13",    "rise_q14",    "rise_q15",    "rise_q16",    "rise_q17",    "rise_q18",
    "rise_q19",    "rise_q20",    "fall_q00",    "fall_q01",    "fall_q02",    "fall_q03",
    "fall_q04",    "fall_q05",    "fall_q06",    "fall_q07",    "fall_q08",    "fall_q09",
    "fall_q10",    "fall_q11",    "fall_q12",    "fall_q13",    "fall_q14",    "fall_q15",
    "fall_q16",    "fall_q17",    "fall_q18",    "fall_q19",    "fall_q20",    "rise_good",
    "fall_good"};

static uint64_t dbits(double x) {
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static double bitsd(uint64_t u) {
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* A line of a cache file, added to the hash its check line holds. */
static char *read_line(char *line, int n, FILE *f, struct h128 *sum) {
    if (!fgets(line, n, f)) return NULL;
    feed128(sum, line, strlen(line));
    return line;
}

/* Read the curve of key from path into *m: 1 read, 0 no file, -1 a file that is not a whole
 * curve of this key (ignored). */
static int disk_read(const char *path, const char *key, struct ic_pool_service *m) {
    FILE *f = fopen(path, "r");
    if (!f) return errno == ENOENT ? 0 : -1;
    char line[1024], want[128];
    int ok = 1;
    struct h128 sum = h128_init();
    memset(m, 0, sizeof *m);
    double *sc[DISK_SCALARS], *tab[DISK_TABLES];
    disk_fields(m, sc, tab);
    ok = ok && read_line(line, sizeof line, f, &sum) && strcmp(line, DISK_FORMAT "\n") == 0;
    snprintf(want, sizeof want, "key %s\n", key);
    ok = ok && read_line(line, sizeof line, f, &sum) && strcmp(line, want) == 0;
    for (int i = 0; ok && i < DISK_SCALARS; i++) {
        char name[32];
        uint64_t u;
        int end = 0;
        ok = read_line(line, sizeof line, f, &sum) &&
             sscanf(line, "%31s %" SCNx64 "%n", name, &u, &end) == 2 &&
             strcmp(name, disk_scalar_names[i]) == 0 && line[end] == '\n';
        if (ok) *sc[i] = bitsd(u);
    }
    for (int i = 0; ok && i < DISK_TABLES; i++) {
        char name[32];
        int pos = 0;
        ok = read_line(line, sizeof line, f, &sum) && sscanf(line, "%31s%n", name, &pos) == 1 &&
             strcmp(name, disk_table_names[i]) == 0;
        for (int k = 0; ok && k < IC_CURVE_POINTS; k++) {
            uint64_t u;
            int end = 0;
            ok = sscanf(line + pos, " %" SCNx64 "%n", &u, &end) == 1;
            pos += end;
            if (ok) tab[i][k] = bitsd(u);
        }
        ok = ok && line[pos] == '\n';
    }
    long req = -1;
    uint64_t key64 = 0;
    ok = ok && read_line(line, sizeof line, f, &sum) && sscanf(line, "requests %ld", &req) == 1 &&
         req >= 0;
    ok = ok && read_line(line, sizeof line, f, &sum) && sscanf(line, "key64 %" SCNx64, &key64) == 1;
    /* the check: the hash of every line above, so a changed number is caught too */
    snprintf(want, sizeof want, "check %016" PRIx64 "%016" PRIx64 "\n", sum.hi, sum.lo);
    ok = ok && fgets(line, sizeof line, f) && strcmp(line, want) == 0;
    ok = ok && fgets(line, sizeof line, f) && strcmp(line, "end\n") == 0 &&
         !fgets(line, sizeof line, f) && !ferror(f);
    fclose(f);
    if (!ok) return -1;
    m->requests = req;
    m->key = key64;
    m->mode = IC_CURVE_MEASURED;
    return 1;
}

/* mkdir -p: 0, or -1. */
static int make_dirs(const char *dir) {
    char p[sizeof disk_dir];
    size_t n = strlen(dir);
    if (n >= sizeof p) return -1;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) return -1;
        p[i] = c;
    }
    return 0;
}

/* Write the curve to path: a temporary file in the same directory, renamed over it (atomic:
 * a concurrent reader sees the old file, the new one or none).  0, or -1. */
static int disk_write(const char *path, const char *key, const struct ic_pool_service *m0) {
    if (make_dirs(disk_dir) != 0) return -1;
    unsigned long seq;
#pragma omp critical(ic_svccurve_cache)
    seq = disk_seq++;
    char tmp[sizeof disk_dir + 128];
    snprintf(tmp, sizeof tmp, "%s/.curve-%s.%ld.%lu.tmp", disk_dir, key, (long)getpid(), seq);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    struct ic_pool_service m = *m0;
    double *sc[DISK_SCALARS], *tab[DISK_TABLES];
    disk_fields(&m, sc, tab);
    char buf[65536]; /* a curve is about 33 kB */
    size_t n = 0;
#define PUT(...) n += (size_t)snprintf(buf + n, n < sizeof buf ? sizeof buf - n : 0, __VA_ARGS__)
    PUT("%s\nkey %s\n", DISK_FORMAT, key);
    for (int i = 0; i < DISK_SCALARS; i++)
        PUT("%s %016" PRIx64 "\n", disk_scalar_names[i], dbits(*sc[i]));
    for (int i = 0; i < DISK_TABLES; i++) {
        PUT("%s", disk_table_names[i]);
        for (int k = 0; k < IC_CURVE_POINTS; k++) PUT(" %016" PRIx64, dbits(tab[i][k]));
        PUT("\n");
    }
    PUT("requests %ld\nkey64 %016" PRIx64 "\n", m.requests, m.key);
    struct h128 sum = h128_init();
    if (n < sizeof buf) feed128(&sum, buf, n);
    PUT("check %016" PRIx64 "%016" PRIx64 "\nend\n", sum.hi, sum.lo);
#undef PUT
    int bad = n >= sizeof buf || fwrite(buf, 1, n, f) != n;
    bad |= ferror(f);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

const char *ic_curve_cache_phrase(const struct ic_pool_service *svc) {
    if (svc->mode != IC_CURVE_MEASURED) return "";
    switch (svc->disk) {
    case IC_CURVE_DISK_HIT:
        return "read from the curve cache";
    case IC_CURVE_DISK_STORED:
        return "measured and stored in the curve cache";
    case IC_CURVE_DISK_BAD:
        return "measured: a damaged or foreign curve-cache file was ignored and replaced";
    case IC_CURVE_DISK_UNWRITTEN:
        return "measured: the curve cache could not be written";
    case IC_CURVE_DISK_SEEN:
        return svc->source == IC_CURVE_SRC_DISK ? "read from the curve cache" : "";
    default:
        return "";
    }
}

/* The largest utilisation u at which the curve t (increasing) is at most lim, interpolated
 * between the points (lim <= 0: no limit, 1). */
static double largest_within(const double *t, double lim) {
    if (!(lim > 0)) return 1.0;
    double best = 0.0;
    for (int k = 0; k < IC_CURVE_POINTS; k++) {
        double u = (double)k / (IC_CURVE_POINTS - 1);
        if (t[k] > lim) {
            if (k > 0 && t[k - 1] <= lim)
                best = u - (1.0 / (IC_CURVE_POINTS - 1)) * (t[k] - lim) / (t[k] - t[k - 1]);
            break;
        }
        best = u;
    }
    return best;
}

double ic_curve_run_bytes(const struct ic_pool_service *svc) {
    if (svc->mode != IC_CURVE_MEASURED || svc->run_max <= 0) return 0;
    /* the requests and the engine's state of each; measured on a 10-path `run` with the curve
     * cache off against one reading it (2026-12-04): Kimi's curve, 92,502 requests in its
     * largest run, added 10.3 MiB at the peak, small.json's (265,798) about 35 MiB, 117-138
     * bytes a request against these 152 (the statistics' sorted copies and the requests'
     * array, grown by doubling, come and go around it) */
    const double per = (double)sizeof(struct ic_request) + (double)ic_reqsim_state_bytes();
    return (double)svc->run_max * per;
}

int ic_service_curve(const struct ic_plan *plan, int pool, int mode, struct ic_pool_service *svc,
                     struct ic_error *err) {
    const struct ic_pool_plan *pl = &plan->pool[pool];
    closed_form(&pl->perf, svc);
    if (mode != IC_CURVE_MEASURED) return IC_OK;
    struct ic_req_input in;
    struct ic_error e2 = {0};
    if (ic_plan_req_input(plan, pool, &in, &e2) != IC_OK) {
        /* A pool the request engine cannot take (a role's unit that holds no sequence) keeps
         * the closed form (svc->mode says so). */
        return IC_OK;
    }
    if (!(pl->perf.requests_per_s_sat > 0) || !(pl->perf.requests_per_s > 0)) return IC_OK;
    const long g = ic_curve_group(&in.rm, (long)plan->sc->service_curve.replicas, in.replicas);
    return ic_service_curve_measure(&in, pl->perf.requests_per_s_sat, pl->perf.requests_per_s, g,
                                    (long)plan->sc->service_curve.requests, svc, err);
}

/* The prefill lanes (ranks of the smaller role) a replica of attention ranks is measured with,
 * at the least.  A prompt is pushed through on one rank, so the ranks are the prefill queue's
 * servers, and a queue of fewer servers at the same utilisation waits longer (Erlang C).
 * Measured on DeepSeek R1's replica (40 prefill ranks) against the request engine on the whole
 * replica, TTFT p50 0.89-0.95 s at 30-90% load (`infercap crosscheck
 * scenarios/deepseek-r1-2025-01.json --replicas 1`, this constant varied): the curve at 8 lanes
 * (the old rule, /service_curve/replicas) 2.0-2.6 s, at 16 1.2-1.7 s, at 32 1.0-1.2 s, at all
 * 40 0.93-1.02 s (1.6 M requests a curve, 2.8 s here, against 0.3 M and 0.5 s at 8).  48: the
 * ready DeepSeek replicas (40 and 32 prefill ranks) whole; a guess beyond them. */
#define RANK_LANES 48.0

/* The share of its ranks a replica of attention ranks is measured at, so that its smaller role
 * has max(g, RANK_LANES) ranks, or all of them (1); *one: whether the replica is measured
 * alone (its smaller role has more than g ranks; see ic_service_curve_measure). */
static double rank_scale(const struct ic_replica_model *rm, long g, int *one) {
    *one = 0;
    double small = rm->ranks;
    if (rm->disaggregated && rm->prefill_units == 1 && rm->decode_units == 1)
        small = fmin(rm->ranks, rm->decode.ranks);
    else if (rm->disaggregated)
        return 1; /* whole replicas in each role */
    if (!(small > (double)g)) return 1.0;
    *one = 1;
    const double lanes = fmax((double)g, RANK_LANES);
    return small > lanes ? lanes / small : 1.0;
}

long ic_curve_group(const struct ic_replica_model *rm, long base, long replicas) {
    int one;
    (void)rank_scale(rm, base, &one);
    if (one) return base; /* measured alone, at RANK_LANES of its ranks or all */
    long g = base;
    /* replicas >= g sqrt 2: nearer 2g than g on a log scale */
    while (2 * g <= IC_CURVE_GROUP_MAX && replicas * replicas >= 2 * g * g) g *= 2;
    return g;
}

long ic_pd_replicas(const struct ic_replica_model *rm, long lo, long hi) {
    if (!rm->disaggregated) return lo;
    long best = lo;
    double best_err = INFINITY;
    for (long k = lo; k <= hi; k++) {
        long np, nd;
        ic_reqsim_units(rm, k, &np, &nd);
        double e = fmax(fabs((double)np / ((double)k * rm->prefill_units) - 1.0),
                        fabs((double)nd / ((double)k * rm->decode_units) - 1.0));
        if (e < best_err - 0.005) best_err = e, best = k;
    }
    return best;
}

/* A disaggregated group: g to 3g replicas, the size whose whole prefill and decode units are
 * nearest the replicas' shares of each (a group short of one role measures the rounding, not
 * the replica). */
static long pd_group(const struct ic_replica_model *rm, long g) {
    return ic_pd_replicas(rm, g, 3 * g);
}

int ic_service_curve_measure(const struct ic_req_input *in0, double closed_sat_rps,
                             double closed_rps, long g0, long nreq, struct ic_pool_service *svc,
                             struct ic_error *err) {
    struct ic_req_input in = *in0;
    long g = pd_group(&in.rm, g0);
    /* Attention data parallelism: each request sits on one rank and every step is the
     * replica's at its busiest rank's load (sim/engine/reqsim.h), so a replica of fewer ranks
     * serves about the same per rank, with about the same latencies, at its share of the rate
     * (R1's curve at 48 of its 70 prefill ranks, 162.3 req/s a replica, against 162.8 and
     * 161.0 served by the whole replica at 110% and 130% of it in `crosscheck`).  A DeepSeek
     * replica of 176 ranks holds some 20,000 sequences: its steady state would take millions of
     * requests per load. So one replica is measured, at the share of its ranks that leaves its
     * smaller role (the prefill) at least RANK_LANES ranks (prompts queue over its ranks as lanes,
     * and fewer lanes overstate the queue) or all of them, and its rates scaled back up. */
    int one;
    const double rk = rank_scale(&in.rm, g, &one);
    if (one) g = 1;
    in.rm.ranks *= rk;
    in.rm.decode.ranks *= rk;
    in.rm.capacity_rps *= rk;
    closed_sat_rps *= rk;
    closed_rps *= rk;
    /* The saturated probe doubles only until its completions per second settle, not on
     * anything else: without patience its backlog grows with the window, and a longer run
     * serves less (KV pressure of the waiting long prompts), not the rate of a fleet whose
     * queue is bounded by patience and admission control. */
    const uint64_t key = curve_key(&in, g, nreq);
    struct ic_pool_service m;
    if (cache_get(key, &m)) {
        m.measure_s = 0;
        if (m.source == IC_CURVE_SRC_MEASURED) m.source = IC_CURVE_SRC_MEMORY;
        if (m.disk != IC_CURVE_DISK_OFF) m.disk = IC_CURVE_DISK_SEEN;
        *svc = m;
        return IC_OK;
    }
    /* the on-disk cache: the curve as another process measured it */
    char path[sizeof disk_dir + 64], dkey[33];
    int disk = IC_CURVE_DISK_OFF;
    if (disk_path(&in, g, nreq, path, sizeof path, dkey) == 0) {
        int r = disk_read(path, dkey, &m);
        if (r == 1 && m.key == key) {
            m.group = g;   /* in the key, not the file */
            m.run_max = 0; /* not measured here */
            m.source = IC_CURVE_SRC_DISK;
            m.disk = IC_CURVE_DISK_HIT;
            cache_put(key, &m);
            *svc = m;
            return IC_OK;
        }
        disk = r == 0 ? IC_CURVE_DISK_STORED : IC_CURVE_DISK_BAD;
    }
    const double t0 = ic_monotonic_s();
    memset(&m, 0, sizeof m);
    m.mode = IC_CURVE_MEASURED;
    m.group = g;
    m.key = key;
    m.source = IC_CURVE_SRC_MEASURED;
    /* The saturated rate: the completions per second after the warm up (saturated, a request
     * takes several times its latency at the operating point: 50 of those, 10 to warm up) at
     * twice the
     * performance model's rate, and again at twice the last offered while the replicas kept up
     * (served 95% or more of it: the closed form can be far below the request engine), with
     * nobody giving up and nothing rejected (so that the requests served are the mix's, not the
     * short ones that got through: the aggregate engine applies patience and admission control
     * to its backlog itself). */
    struct ic_req_point pt;
    struct ic_req_input sat_in = in;
    sat_in.patience_s = 0;
    sat_in.max_wait_s = 1e12;
    double offered = 2.0 * closed_sat_rps * (double)g;
    /* a replica of thousands of sequences (attention data parallelism) fills within a couple
     * of latencies: 15 of them, 3 to warm up */
    const double sat_lats = one ? 15 : 50;
    int rc = IC_OK;
    for (int it = 0; it < 6; it++, offered *= 2.0) {
        rc = measure_point(&sat_in, g, offered, nreq, sat_lats, 2, 0.0, 1, &pt, &m.requests,
                           &m.run_max, NULL, err);
        if (rc != IC_OK) return rc;
        if (!(pt.served_rps >= 0.95 * pt.offered_rps)) break;
    }
    const double sat = pt.served_rps / (double)g;
    if (!(sat > 0)) return IC_OK;
    const double sat_full = sat / rk; /* the whole replica's */
    m.sat_rps = m.rps = sat_full;
    m.scale = sat / closed_rps;
    /* Admission control judges a replica's queue by the rate it serves at, the measured one,
     * as the aggregate engine does (its queue holds max_wait x the measured rate), not by the
     * closed form's. */
    in.rm.capacity_rps = sat;
    /* Saturated as a fleet over capacity runs, under the scenario's own patience and
     * admission control: 15% over the rate just measured, the share of the served within the
     * TPOT objective and the median TPOT. */
    const struct probe_tables over = {sat * (double)g, 0, m.backlog_q_s, NULL, NULL, NULL, NULL};
    rc = measure_point(&in, g, 1.15 * sat * (double)g, nreq, sat_lats, 1, 0.0, 0, &pt, &m.requests,
                       &m.run_max, &over, err);
    if (rc != IC_OK) return rc;
    m.good_sat = isnan(pt.tpot_ok_share) ? 0.0 : pt.tpot_ok_share;
    m.tpot_sat_s = pt.tpot_p50_s;
    /* Arrivals over-dispersed per step: a step's backlog comes and goes within minutes, and a
     * step that starts one finds the replicas as the load before left them, not saturated; in
     * the long-context mix of tests/crosscheck (`infercap crosscheck
     * tests/crosscheck/longctx-bursty.json`, 70%) a quarter of the requests of such steps were
     * served within the median TTFT against a tenth by the steady probe's table above.  So the
     * TTFT is measured against the aggregate engine's own fluid wait at each arrival, on the
     * scenario's steps at 90% of the rate (a guess: a mean under the rate, so that the queue
     * has a steady state, with backlogs of every size; the distributions by wait came out
     * within about 20% of each other at 70%, 90% and 110% there), FLUID_STEPS steps of them, in
     * 4 to IC_CURVE_POINT_MAX x nreq requests (a group of fast replicas runs fewer steps). */
    if (in.dispersion > 0 && in.step_s > 0) {
        const double fr = 0.9 * sat * (double)g;
        const long nf = (long)fmin(fmax(4.0 * (double)nreq, fr * in.step_s * FLUID_STEPS),
                                   (double)IC_CURVE_POINT_MAX * (double)nreq);
        const struct probe_tables fl = {sat * (double)g, 1,           NULL,       m.rise_q_s,
                                        m.fall_q_s,      m.rise_good, m.fall_good};
        rc = measure_point(&in, g, fr, nf, sat_lats, 40, 0.0, 0, &pt, &m.requests, &m.run_max, &fl,
                           err);
        if (rc != IC_OK) return rc;
    }
    /* Offered loads of 10%, 20%, ... 90% of it, and 95% for 100% (at 100% the queue has no
     * steady state; the aggregate engine adds its backlog's wait itself), the points between
     * them interpolated (the curves are smooth below saturation; half the requests of
     * measuring every point). */
    for (int k = 2; k < IC_CURVE_POINTS; k += 2) {
        double u = k == IC_CURVE_POINTS - 1 ? 0.95 : (double)k / (IC_CURVE_POINTS - 1);
        rc = measure_point(&in, g, u * sat * (double)g, nreq, 10, 3 + (uint64_t)k, 0.25, 2, &pt,
                           &m.requests, &m.run_max, NULL, err);
        if (rc != IC_OK) return rc;
        m.ttft_mean_s[k] = pt.ttft_mean_s;
        m.ttft_p50_s[k] = pt.ttft_p50_s;
        m.ttft_p99_s[k] = pt.ttft_p99_s;
        m.tpot_p50_s[k] = pt.tpot_p50_s;
        m.good_share[k] = pt.served_good_share;
        for (int l = 0; l < IC_TTFT_QN; l++) m.ttft_q_s[l][k] = pt.ttft_q_s[l];
    }
    double *tab[5 + IC_TTFT_QN] = {m.ttft_mean_s, m.ttft_p50_s, m.ttft_p99_s, m.tpot_p50_s,
                                   m.good_share};
    for (int l = 0; l < IC_TTFT_QN; l++) tab[5 + l] = m.ttft_q_s[l];
    for (int t = 0; t < 5 + IC_TTFT_QN; t++) {
        double *v = tab[t];
        /* a load that served nothing in the window (NaN): the next lighter one's */
        for (int k = 4; k < IC_CURVE_POINTS; k += 2)
            if (isnan(v[k])) v[k] = v[k - 2];
        v[0] = v[2]; /* idle: the lightest load measured stands for it */
        for (int k = 1; k < IC_CURVE_POINTS; k += 2) v[k] = 0.5 * (v[k - 1] + v[k + 1]);
    }
    /* The largest utilisation at which the mean TTFT and the median TPOT meet their
     * objectives, as the closed form defines its operating point (the TPOT objective at the
     * batch) and ttft_rho (the mean wait, models/perf.c), between the measured points. */
    m.slo_util = fmin(largest_within(m.ttft_mean_s, in.ttft_slo_s),
                      largest_within(m.tpot_p50_s, in.tpot_slo_s));
    m.measure_s = ic_monotonic_s() - t0;
    if (disk != IC_CURVE_DISK_OFF)
        m.disk = disk_write(path, dkey, &m) == 0 ? disk : IC_CURVE_DISK_UNWRITTEN;
    cache_put(key, &m);
    *svc = m;
    return IC_OK;
}

int ic_requests_reserve(struct ic_request **r, long *cap, long need) {
    if (need <= *cap) return 0;
    long nc = *cap > 0 ? *cap : 1024;
    while (nc < need) nc *= 2;
    struct ic_request *r2 = realloc(*r, (size_t)nc * sizeof *r2);
    if (!r2) return -1;
    memset(r2 + *cap, 0, (size_t)(nc - *cap) * sizeof *r2);
    *r = r2;
    *cap = nc;
    return 0;
}
