/* crosscheck.c: the same steady demand through both engines (see crosscheck.h). */
#include "sim/drivers/crosscheck.h"

#include "models/queue.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"
#include "sim/engine/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most requests a load's run may double to, over its first run's. */
#define IC_XCHECK_MAX_FACTOR 16
/* Over capacity, the time the fluid queue takes to fill to its bound, which patience (the
 * backlog where abandonment, backlog / patience per second, takes the excess) or admission
 * control (max_wait x the rate) sets, whichever is smaller: min(patience, max_wait x rate /
 * excess) seconds; a queue whose bound a run does not reach has no steady state in it (none
 * at all without patience or admission control, as tests/python/data/steady.json's, with
 * both at 1e7 s).  0 at or under capacity. */
static double queue_fill_s(const struct ic_req_input *in, double offered, double rate) {
    if (!(offered > rate)) return 0.0;
    const double pat = in->patience_s > 0 ? in->patience_s : INFINITY;
    return fmin(pat, in->max_wait_s * rate / (offered - rate));
}

struct wv {
    double v, w;
};
static int cmp_wv(const void *a, const void *b) {
    double x = ((const struct wv *)a)->v, y = ((const struct wv *)b)->v;
    return x < y ? -1 : x > y;
}
/* The weighted p-quantile of n values (sorted here). */
static double wquantile(struct wv *a, long n, double p) {
    double tot = 0, acc = 0;
    for (long i = 0; i < n; i++) tot += a[i].w;
    if (!(tot > 0)) return NAN;
    qsort(a, (size_t)n, sizeof *a, cmp_wv);
    for (long i = 0; i < n; i++) {
        acc += a[i].w;
        if (acc >= p * tot) return a[i].v;
    }
    return a[n - 1].v;
}

/* One step of the aggregate side's TTFT mixture: its served weight and its TTFT quantiles at
 * the levels ic_ttft_q_level(). */
struct mix_step {
    double w;
    const double *q;
};
/* The p-quantile over all requests of a mixture of steps: the x at which the served-weighted
 * sum of the steps' shares at or under x (ic_ttft_q_cdf) reaches p (bisection; every step's
 * distribution is continuous and increasing between its first and last level). */
static double mix_quantile(const struct mix_step *m, long n, double p) {
    double lo = INFINITY, hi = -INFINITY, tot = 0;
    for (long j = 0; j < n; j++) {
        lo = fmin(lo, m[j].q[0]);
        hi = fmax(hi, m[j].q[IC_TTFT_QN - 1]);
        tot += m[j].w;
    }
    if (!(tot > 0) || !(hi >= lo)) return NAN;
    for (int it = 0; it < 100 && hi - lo > 1e-9 * fmax(1.0, hi); it++) {
        double x = 0.5 * (lo + hi), acc = 0;
        for (long j = 0; j < n; j++) acc += m[j].w * ic_ttft_q_cdf(m[j].q, 1.0, 0.0, x);
        if (acc >= p * tot)
            hi = x;
        else
            lo = x;
    }
    return hi;
}

/* The aggregate engine's serve step over the step counts, one queue over the replicas, its
 * goodput as the engine's (sim/engine/svccurve.h, ic_curve_good).  Its TTFT quantiles, over
 * all the requests served: with a measured curve, the quantiles of the mixture over the steps
 * of each step's distribution (weighted by its served, ic_curve_step_q): below capacity the
 * curve's at the step's utilisation, with a backlog left the step's wait times the measured
 * ratio to it, and with over-dispersed arrivals and a backlog at either end the fluid tables
 * by part of the step; with the closed form (no distribution), the served-weighted median of
 * the steps' p50 (and 99th percentile of their p99), each plus its backlog's wait. */
static void aggregate_side(const struct ic_xcheck *x, const struct ic_req_input *in,
                           const double *counts, long nsteps, double window, double warm,
                           struct ic_xcheck_side *s) {
    const struct ic_pool_service *svc = &x->svc;
    const double rate = x->capacity_rps, dt = in->step_s > 0 ? in->step_s : window;
    double backlog = 0, served = 0, good = 0, arrived = 0, w = 0, tpot = 0;
    const size_t ns = (size_t)(nsteps > 0 ? nsteps : 1);
    struct wv *q50 = malloc(ns * sizeof *q50);
    struct wv *q99 = malloc(ns * sizeof *q99);
    struct mix_step *mx = malloc(ns * IC_STEP_PARTS * sizeof *mx);
    double(*qs)[IC_TTFT_QN] = malloc(ns * IC_STEP_PARTS * sizeof *qs);
    int mixture = 1;
    long nq = 0, nm = 0;
    for (long j = 0; q50 && q99 && mx && qs && j < nsteps; j++) {
        double t0 = (double)j * dt, len = fmin(dt, window - t0);
        if (!(len > 0)) break;
        double abandon = in->patience_s > 0 ? 1.0 - exp(-len / in->patience_s) : 0.0;
        struct ic_queue_flow f;
        const double b0 = backlog;
        ic_queue_step(&backlog, counts[j], rate * len, in->max_wait_s * rate, abandon, &f);
        /* the part of the step after the warm up */
        double part = t0 >= warm ? 1.0 : (t0 + len > warm ? (t0 + len - warm) / len : 0.0);
        if (part <= 0) continue;
        double util = rate > 0 ? f.served / (rate * len) : 0.0;
        double wait = rate > 0 ? backlog / rate : 0.0;
        served += part * f.served;
        arrived += part * counts[j];
        good += part * ic_curve_good(svc, f.served, util, b0, backlog, counts[j], rate * len, rate,
                                     in->ttft_slo_s);
        double wt = part * f.served;
        w += wt;
        int parts =
            mixture ? ic_curve_step_q(svc, b0, backlog, counts[j], rate * len, rate, util, qs + nm)
                    : 0;
        for (int k = 0; k < parts; k++, nm++) mx[nm] = (struct mix_step){wt / parts, qs[nm]};
        if (parts == 0) mixture = 0;
        q50[nq] = (struct wv){wait + ic_curve_at(svc->ttft_p50_s, util), wt};
        q99[nq++] = (struct wv){wait + ic_curve_at(svc->ttft_p99_s, util), wt};
        tpot += wt * (backlog > 0 ? svc->tpot_sat_s : ic_curve_at(svc->tpot_p50_s, util));
    }
    s->served_rps = served / (window - warm);
    s->good_share = arrived > 0 ? good / arrived : NAN;
    if (mixture && mx && qs) {
        s->ttft_p50_s = mix_quantile(mx, nm, 0.5);
        s->ttft_p99_s = mix_quantile(mx, nm, 0.99);
    } else {
        s->ttft_p50_s = q50 ? wquantile(q50, nq, 0.5) : NAN;
        s->ttft_p99_s = q99 ? wquantile(q99, nq, 0.99) : NAN;
    }
    s->tpot_p50_s = w > 0 ? tpot / w : NAN;
    free(q50);
    free(q99);
    free(mx);
    free(qs);
}

/* A trace's requests at `rate`: its arrival times scaled by its own rate over `rate` (its
 * burstiness kept), repeated end to end until `window`; per step counts. */
static int trace_requests(const struct ic_trace *t, const struct ic_req_input *in, double rate,
                          double window, uint64_t stream, struct ic_request **req, long *n,
                          double **counts, long *nsteps, struct ic_error *err) {
    const double span = t->arrival_s[t->n - 1] - t->arrival_s[0];
    const double period = span * (double)t->n / (double)(t->n - 1); /* one more gap */
    const double scale = ((double)t->n / period) / rate;
    const double dt = in->step_s > 0 ? in->step_s : window;
    long ns = (long)ceil(window / dt - 1e-9), cap = (long)(rate * window * 1.1) + 64, m = 0;
    if (ns < 1) ns = 1;
    struct ic_request *r = calloc((size_t)cap, sizeof *r);
    double *cnt = calloc((size_t)ns, sizeof *cnt);
    if (!r || !cnt) {
        free(r);
        free(cnt);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", cap);
    }
    struct ic_rng g;
    ic_rng_init(&g, in->seed, 0, IC_STREAM_REQUESTS, (uint32_t)stream);
    for (long c = 0;; c++) {
        for (long i = 0; i < t->n; i++) {
            double a = ((double)c * period + t->arrival_s[i] - t->arrival_s[0]) * scale;
            if (a >= window) goto done;
            if (ic_requests_reserve(&r, &cap, m + 1) != 0) {
                free(r);
                free(cnt);
                return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", 2 * cap);
            }
            struct ic_request *q = &r[m++];
            q->arrival_s = a;
            q->input = t->input[i];
            q->output = t->output[i];
            q->patience_s =
                in->patience_s > 0 ? -log(ic_rng_uniform(&g)) * in->patience_s : INFINITY;
            long j = (long)(a / dt);
            cnt[j < ns ? j : ns - 1] += 1;
        }
    }
done:
    *req = r;
    *n = m;
    *counts = cnt;
    *nsteps = ns;
    return IC_OK;
}

int ic_crosscheck(const struct ic_scenario *sc, const struct ic_xcheck_opts *opts,
                  struct ic_xcheck *x, struct ic_error *err) {
    memset(x, 0, sizeof *x);
    struct ic_plan plan;
    int rc = ic_plan_compile(sc, &plan, err);
    if (rc != IC_OK) return rc;
    rc = ic_plan_req_input(&plan, 0, &x->in, err);
    /* The curve the aggregate engine serves by: the plan's (engine.h, struct ic_pool_plan) */
    x->svc = plan.pool[0].svc;
    x->curve_s = x->svc.measure_s;
    const struct ic_trace *t = opts->trace;
    if (rc == IC_OK && t) {
        /* The trace's mix: the curve measured on its lengths (as the plan's is on the
         * scenario's mix); the closed form stays the scenario's. */
        if (t->n < 2 || !(t->arrival_s[t->n - 1] > t->arrival_s[0]))
            rc = ic_error_set(err, IC_ERR_INVALID,
                              "the trace needs two requests at different times");
        x->in.sample_in = t->input;
        x->in.sample_out = t->output;
        x->in.n_sample = t->n;
        x->in.dispersion = 0;
    }
    /* The curve the aggregate engine would serve a fleet of the run's replicas by: measured on
     * that fleet's group (ic_curve_group), which --replicas may change. */
    const long base = (long)sc->service_curve.replicas;
    const long want = opts->replicas > 0 ? opts->replicas : x->in.replicas;
    const long g = ic_curve_group(&x->in.rm, base, want);
    if (rc == IC_OK && sc->service_curve.mode == IC_CURVE_MEASURED &&
        (t || g != ic_curve_group(&x->in.rm, base, x->in.replicas))) {
        double t0 = ic_monotonic_s();
        rc = ic_service_curve_measure(&x->in, plan.pool[0].perf.requests_per_s_sat,
                                      plan.pool[0].perf.requests_per_s, g,
                                      (long)sc->service_curve.requests, &x->svc, err);
        x->curve_s = ic_monotonic_s() - t0;
    }
    ic_strlcpy(x->accelerator, plan.pool[0].accel->key, sizeof x->accelerator);
    ic_strlcpy(x->model, sc->model.value.key, sizeof x->model);
    ic_plan_free(&plan);
    if (rc != IC_OK) return rc;
    const struct ic_req_input *in = &x->in;
    x->replicas = opts->replicas > 0 ? opts->replicas : in->replicas;
    if (x->replicas < 1)
        return ic_error_set(err, IC_ERR_INVALID, "/fleet/accelerators: the fleet forms no replica");
    /* Disaggregated in whole replicas per role: the request engine runs whole units, so the
     * replicas are rounded up (to at most twice) to the count whose units are nearest the
     * replica's shares, as the curve's group is; else the aggregate engine's capacity (replicas
     * x the rate) holds a share of a unit the request engine does not have (Wanka's 16
     * replicas are 12 prefill and 4 decode units against shares of 11.5 and 4.5: 11% less
     * decode). */
    x->replicas_requested = x->replicas;
    if (in->rm.disaggregated && !(in->rm.prefill_units == 1 && in->rm.decode_units == 1))
        x->replicas = ic_pd_replicas(&in->rm, x->replicas, 2 * x->replicas);
    ic_reqsim_units(&in->rm, x->replicas, &x->prefill_units, &x->decode_units);
    x->capacity_rps = (double)x->replicas * x->svc.rps;
    /* Admission control by the rate the aggregate engine serves at (svccurve.c does the same
     * when it measures the curve). */
    if (x->svc.mode == IC_CURVE_MEASURED) x->in.rm.capacity_rps = x->svc.rps;
    if (!(x->capacity_rps > 0))
        return ic_error_set(err, IC_ERR_INVALID, "/workload: the replica serves nothing");
    static const double def[] = {0.3, 0.5, 0.7, 0.9, 1.1, 1.3};
    x->n = opts->n_loads > 0 ? opts->n_loads : (int)(sizeof def / sizeof def[0]);
    if (x->n > IC_XCHECK_MAX_LOADS) x->n = IC_XCHECK_MAX_LOADS;
    const long nreq = opts->requests > 0 ? opts->requests : 20000;
    for (int i = 0; i < x->n; i++) {
        struct ic_xcheck_row *r = &x->row[i];
        r->load = opts->n_loads > 0 ? opts->loads[i] : def[i];
        /* nreq requests and at least 20 request latencies; the first tenth (at least two
         * latencies) warms the replicas up */
        const double rate = r->load * x->capacity_rps;
        double window = fmax((double)nreq / rate, 20.0 * in->latency_s);
        long first_n = 0; /* the first run's requests (20 latencies may hold more than nreq) */
        /* The largest window a load may double to, and whether the queue fills to its bound
         * well within it (four times): else the goodput of the halves is not asked to agree,
         * as a queue still growing never gives it (the row says so). */
        const double fill_s = queue_fill_s(in, rate, x->capacity_rps);
        const int bounded = !(fill_s > 0) || 4.0 * fill_s <= window * IC_XCHECK_MAX_FACTOR;
        r->settle = t || in->dispersion > 0 ? IC_XCHECK_UNCHECKED
                    : bounded               ? IC_XCHECK_SETTLED
                                            : IC_XCHECK_UNBOUNDED;
        r->queue_fill_s = fill_s;
    again:;
        const double warm = fmax(0.1 * window, 2.0 * in->latency_s);
        struct ic_request *req;
        double *counts;
        long n, nsteps;
        if (t)
            rc = trace_requests(t, in, rate, window, 100 + (uint64_t)i, &req, &n, &counts, &nsteps,
                                err);
        else
            rc = ic_req_input_steady(in, rate, window, 1, 100 + (uint64_t)i, &req, &n, &counts,
                                     &nsteps, err);
        if (rc != IC_OK) return rc;
        struct ic_reqsim_config cfg = {
            .replicas = x->replicas,
            .routing = in->routing,
            .max_wait_s = in->max_wait_s,
            .horizon_s = 1.25 * window,
            .seed = in->seed,
        };
        cfg.interval_s = cfg.horizon_s;
        struct ic_reqsim_series series;
        struct ic_reqsim_stats stats;
        memset(&series, 0, sizeof series);
        double t0 = ic_monotonic_s();
        rc = ic_reqsim_run(&cfg, &in->rm, req, n, &series, &stats, err);
        x->engine_s += ic_monotonic_s() - t0;
        /* Until the request engine's run settles, the window doubles, to at most
         * IC_XCHECK_MAX_FACTOR x the first run's requests: the completions per second of its
         * read window's halves agree (ic_req_settled: long requests fill the replicas
         * slowly), and so do their goodput shares (ic_req_good_settled: a queue over capacity
         * builds for minutes) unless the queue's bound is out of reach (above); not with
         * arrivals over-dispersed per step, or a trace's, whose halves differ by the steps'
         * draws.  A run that reaches the cap unsettled says so (IC_XCHECK_CAPPED). */
        int settled = 1;
        if (rc == IC_OK && r->settle != IC_XCHECK_UNCHECKED)
            settled =
                ic_req_settled(in, req, n, warm, window) &&
                (r->settle == IC_XCHECK_UNBOUNDED || ic_req_good_settled(in, req, n, warm, window));
        const int room = 2 * n <= IC_XCHECK_MAX_FACTOR * (first_n > 0 ? first_n : n);
        if (!settled && !room) r->settle = IC_XCHECK_CAPPED;
        if (!settled && room) {
            if (first_n == 0) first_n = n;
            ic_reqsim_series_free(&series);
            free(req);
            free(counts);
            window *= 2.0;
            goto again;
        }
        if (rc == IC_OK) {
            struct ic_req_point pt;
            ic_req_point_stats(in, req, n, warm, window, &pt);
            r->offered_rps = pt.offered_rps;
            r->requests = pt.requests;
            r->requests_run = n;
            r->req = (struct ic_xcheck_side){pt.served_rps, pt.good_share, pt.ttft_p50_s,
                                             pt.ttft_p99_s, pt.tpot_p50_s};
            aggregate_side(x, in, counts, nsteps, window, warm, &r->agg);
        }
        ic_reqsim_series_free(&series);
        free(req);
        free(counts);
        if (rc != IC_OK) return rc;
        if (opts->progress) opts->progress(opts->ctx, i + 1, x->n);
    }
    return IC_OK;
}
