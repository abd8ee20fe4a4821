/* reqrun.c: requests from a scenario's window or a trace, through the request engine, and the
 * headline of what happened (see reqrun.h). */
#include "sim/drivers/reqrun.h"

#include "sim/engine/engine.h"
#include "sim/engine/svccurve.h"
#include "sim/core/rng.h"
#include "sim/core/stats.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The replicas: pool 0's, as many as its accelerators make, from the plan's input to the
 * request engine (sim/engine/svccurve.h).  m and a: the caller's scenario's (it outlives the
 * plan, which may have been compiled from a copy). */
static int setup_replicas(const struct ic_scenario *sc, const struct ic_plan *plan,
                          struct ic_req_input *in, struct ic_reqrun *rr, struct ic_error *err) {
    if (plan->n_pools > 1)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/fleet/pools: the request engine serves one pool (give the fleet "
                            "as /accelerator and /fleet/accelerators)");
    int rc = ic_plan_req_input(plan, 0, in, err);
    if (rc != IC_OK) return rc;
    in->rm.m = &sc->model.value;
    in->rm.a = &sc->accelerator.value;
    rr->rm = in->rm;
    if (in->replicas < 1)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/fleet/accelerators: %g accelerators make no replica of %ld",
                            ic_dist_mean(&sc->fleet.accelerators), in->accels_per_replica);
    rr->cfg.replicas = in->replicas;
    rr->cfg.routing = in->routing;
    rr->cfg.max_wait_s = in->max_wait_s;
    rr->cfg.interval_s = sc->request_engine.interval_s;
    rr->cfg.seed = in->seed;
    rr->ttft_slo_s = in->ttft_slo_s;
    rr->tpot_slo_s = in->tpot_slo_s;
    rr->offset_s = sc->start.offset_s;
    rr->accels_per_replica = in->accels_per_replica;
    ic_strlcpy(rr->accelerator, sc->accelerator.value.key, sizeof rr->accelerator);
    ic_strlcpy(rr->model, sc->model.value.key, sizeof rr->model);
    return IC_OK;
}

static int cmp_arrival(const void *a, const void *b) {
    double x = ((const struct ic_request *)a)->arrival_s;
    double y = ((const struct ic_request *)b)->arrival_s;
    return x < y ? -1 : x > y;
}

/* The window's requests when arrivals within a step are a gamma renewal process
 * (/traffic/noise/interarrival_cv != 1): the process at the steps' rates (path 0's, all
 * classes), each request's class by its step's class rates.  rr->req grows as needed (the
 * count is random, not the rounded rates). */
static int bursty_window(const struct ic_plan *plan, const struct ic_results *res,
                         const struct ic_req_input *in, long j0, long j1, double ws, double we,
                         struct ic_rng *g, long cap, struct ic_reqrun *rr, long *n,
                         struct ic_error *err) {
    const double dt = plan->dt;
    const int nc = plan->n_classes;
    const long ns = j1 > j0 ? j1 - j0 : 0;
    double *mean = calloc((size_t)(ns > 0 ? ns : 1), sizeof *mean), *at = NULL;
    long na = 0, m = 0; /* cap: what rr->req holds */
    if (!mean) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    for (long j = 0; j < ns; j++)
        for (int c = 0; c < nc; c++) mean[j] += ic_class_row(res, c, 0)[j0 + j] * dt;
    struct ic_rng gr;
    ic_rng_init(&gr, (uint64_t)plan->sc->seed, 2, IC_STREAM_REQUESTS, 1);
    int bad =
        ic_renewal_arrivals(in->interarrival_cv, mean, ns, dt, (double)ns * dt, &gr, &at, &na) != 0;
    free(mean);
    for (long i = 0; !bad && i < na; i++) {
        const double a = (double)j0 * dt + at[i];
        if (a < ws || a >= we) continue;
        const long j = j0 + (long)(at[i] / dt);
        double tot = 0, acc = 0;
        for (int c = 0; c < nc; c++) tot += ic_class_row(res, c, 0)[j < j1 ? j : j1 - 1];
        const double u = ic_rng_uniform(g) * tot;
        int cls = nc - 1;
        for (int c = 0; c < nc; c++) {
            acc += ic_class_row(res, c, 0)[j < j1 ? j : j1 - 1];
            if (u < acc) {
                cls = c;
                break;
            }
        }
        if (ic_requests_reserve(&rr->req, &cap, m + 1) != 0) {
            bad = 1;
            break;
        }
        struct ic_request *q = &rr->req[m++];
        ic_req_input_lengths(in, cls, g, q);
        q->arrival_s = a - ws;
    }
    free(at);
    *n = m;
    if (bad) return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", na);
    return IC_OK;
}

int ic_reqrun_from_scenario(const struct ic_scenario *sc, int threads, struct ic_reqrun *rr,
                            struct ic_error *err) {
    memset(rr, 0, sizeof *rr);
    const double start = sc->start.unix_s, horizon = sc->horizon_days * 86400.0;
    double ws = sc->request_engine.window_start.text[0]
                    ? sc->request_engine.window_start.unix_s - start
                    : 0.0;
    double we = ws + sc->request_engine.duration_s;
    if (ws < 0 || we > horizon + 1e-6)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/request_engine: the window [%g s, %g s] after the start is not "
                            "within the horizon (%g days)",
                            ws, we, sc->horizon_days);
    /* Path 0 of the aggregate engine to the window's end, one output per step. */
    struct ic_scenario *s2 = malloc(sizeof *s2);
    if (!s2) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    *s2 = *sc;
    s2->paths = 1;
    s2->output.store_paths = 1;
    s2->output.interval_s = sc->step_s;
    s2->engine = 0;
    s2->sweep.n_axes = 0;
    s2->horizon_days = ceil(we / sc->step_s - 1e-9) * sc->step_s / 86400.0;
    struct ic_plan plan;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    int rc = ic_plan_compile(s2, &plan, err), have_plan = rc == IC_OK;
    if (rc == IC_OK) rc = ic_results_alloc(&plan, &res, err);
    struct ic_run_opts ro = {.threads = threads};
    if (rc == IC_OK) rc = ic_engine_run(&plan, &ro, &res, err);
    struct ic_req_input in;
    if (rc == IC_OK) rc = setup_replicas(sc, &plan, &in, rr, err);
    /* Count, then draw the requests of the window. */
    const double dt = sc->step_s;
    const int nc = plan.n_classes;
    long total = 0, j0 = (long)floor(ws / dt), j1 = rc == IC_OK ? res.nout : 0;
    if (j0 < 0) j0 = 0;
    if (rc == IC_OK)
        for (long j = j0; j < j1; j++)
            for (int c = 0; c < nc; c++) total += lround(ic_class_row(&res, c, 0)[j] * dt);
    if (rc == IC_OK && total > sc->request_engine.max_requests)
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "/request_engine/max_requests: the window has about %ld requests, "
                          "more than %lld; shorten /request_engine/duration_s or raise the "
                          "limit",
                          total, sc->request_engine.max_requests);
    if (rc == IC_OK) {
        rr->req = calloc((size_t)(total > 0 ? total : 1), sizeof *rr->req);
        if (!rr->req) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", total);
    }
    if (rc == IC_OK) {
        for (int c = 0; c < nc; c++)
            ic_strlcpy(rr->class_names[c], sc->workload.classes[c].name, IC_NAME_MAX);
        rr->n_classes = nc;
        struct ic_rng g;
        ic_rng_init(&g, (uint64_t)sc->seed, 0, IC_STREAM_REQUESTS, 1);
        long n = 0;
        if (fabs(in.interarrival_cv - 1.0) > 1e-12)
            rc = bursty_window(&plan, &res, &in, j0, j1, ws, we, &g, total > 0 ? total : 1, rr, &n,
                               err);
        for (long j = j0; rc == IC_OK && fabs(in.interarrival_cv - 1.0) <= 1e-12 && j < j1; j++) {
            double t0 = (double)j * dt;
            long first = n;
            for (int c = 0; c < nc; c++) {
                long k = lround(ic_class_row(&res, c, 0)[j] * dt);
                for (long i = 0; i < k; i++) {
                    double at = t0 + ic_rng_uniform(&g) * dt;
                    struct ic_request *q = &rr->req[n];
                    ic_req_input_lengths(&in, c, &g, q);
                    if (at < ws || at >= we) continue; /* the step straddles the window's edge */
                    q->arrival_s = at - ws;
                    n++;
                }
            }
            qsort(rr->req + first, (size_t)(n - first), sizeof *rr->req, cmp_arrival);
        }
        rr->n = n;
        rr->window_s = sc->request_engine.duration_s;
        rr->window_start_unix = start + ws;
        snprintf(rr->source, sizeof rr->source,
                 "the scenario's demand (path 0 of the aggregate engine) from %g h after the start "
                 "for %g s",
                 ws / 3600.0, rr->window_s);
    }
    ic_results_free(&res);
    if (have_plan) ic_plan_free(&plan);
    free(s2);
    if (rc != IC_OK) ic_reqrun_free(rr);
    return rc;
}

int ic_reqrun_from_trace(const struct ic_scenario *sc, const struct ic_trace *t,
                         const char *trace_label, struct ic_reqrun *rr, struct ic_error *err) {
    memset(rr, 0, sizeof *rr);
    /* The plan of the scenario as it is: the request engine takes pool 0's input from it. */
    struct ic_plan plan;
    int rc = ic_plan_compile_ex(sc, IC_PLAN_CLOSED_FORM, &plan, err), have_plan = rc == IC_OK;
    struct ic_req_input in;
    if (rc == IC_OK) rc = setup_replicas(sc, &plan, &in, rr, err);
    if (rc == IC_OK) {
        rr->req = calloc((size_t)(t->n > 0 ? t->n : 1), sizeof *rr->req);
        if (!rr->req) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests", t->n);
    }
    if (rc == IC_OK) {
        const double patience = in.patience_s;
        struct ic_rng g;
        ic_rng_init(&g, (uint64_t)sc->seed, 0, IC_STREAM_REQUESTS, 1);
        for (long i = 0; i < t->n; i++) {
            struct ic_request *q = &rr->req[i];
            q->arrival_s = t->arrival_s[i];
            q->input = t->input[i];
            q->output = t->output[i];
            q->hash_start = t->hash_start[i];
            q->hash_end = t->hash_start[i + 1];
            q->patience_s = patience > 0 ? -log(ic_rng_uniform(&g)) * patience : INFINITY;
        }
        rr->n = t->n;
        rr->hashes = t->n_hashes > 0 ? t->hashes : NULL;
        rr->n_classes = 1;
        ic_strlcpy(rr->class_names[0], "trace", IC_NAME_MAX);
        rr->window_s = t->n > 0 && t->arrival_s[t->n - 1] > 1 ? t->arrival_s[t->n - 1] : 1;
        rr->window_start_unix = sc->start.unix_s;
        snprintf(rr->source, sizeof rr->source, "trace %s", trace_label);
    }
    if (have_plan) ic_plan_free(&plan);
    if (rc != IC_OK) ic_reqrun_free(rr);
    rr->cfg.horizon_s = rr->window_s + sc->request_engine.drain_s;
    return rc;
}

/* ---- the headline --------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void latency(double *v, long n, struct ic_latency *l) {
    static const double p[3] = {0.5, 0.9, 0.99};
    memset(l, 0, sizeof *l);
    l->n = n;
    if (n == 0) {
        l->mean = NAN;
        for (int k = 0; k < 3; k++) l->q[k] = l->ci[k][0] = l->ci[k][1] = NAN;
        return;
    }
    double s = 0;
    for (long i = 0; i < n; i++) s += v[i];
    l->mean = s / (double)n;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    for (int k = 0; k < 3; k++) {
        l->q[k] = ic_quantile_sorted(v, (size_t)n, p[k]);
        ic_quantile_ci(v, (size_t)n, p[k], IC_Z95, &l->ci[k][0], &l->ci[k][1]);
    }
}

static int headline(struct ic_reqrun *rr, struct ic_error *err) {
    struct ic_req_headline *h = &rr->h;
    memset(h, 0, sizeof *h);
    long n = rr->n;
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    h->requests = n;
    h->window_s = rr->window_s;
    for (long i = 0; i < n; i++) {
        const struct ic_request *q = &rr->req[i];
        h->served += q->status == IC_REQ_SERVED;
        h->rejected += q->status == IC_REQ_REJECTED;
        h->abandoned += q->status == IC_REQ_ABANDONED;
        h->unfinished += q->status == IC_REQ_UNFINISHED;
        h->preemptions += q->preemptions;
        if (q->status != IC_REQ_SERVED) continue;
        double ttft = q->first_token_s - q->arrival_s;
        double tpot = q->output > 1 ? (q->finish_s - q->first_token_s) / (q->output - 1) : 0;
        h->good += (rr->ttft_slo_s <= 0 || ttft <= rr->ttft_slo_s) &&
                   (rr->tpot_slo_s <= 0 || tpot <= rr->tpot_slo_s);
    }
    h->throughput_rps = (double)h->served / rr->window_s;
    h->goodput_rps = (double)h->good / rr->window_s;
    h->good_fraction = n > 0 ? (double)h->good / (double)n : NAN;
    ic_wilson(h->good, n, IC_Z95, &h->good_lo, &h->good_hi);
    long m = 0;
    for (long i = 0; i < n; i++)
        if (rr->req[i].status == IC_REQ_SERVED)
            v[m++] = rr->req[i].first_token_s - rr->req[i].arrival_s;
    latency(v, m, &h->ttft);
    m = 0;
    for (long i = 0; i < n; i++)
        if (rr->req[i].status == IC_REQ_SERVED && rr->req[i].output > 1)
            v[m++] = (rr->req[i].finish_s - rr->req[i].first_token_s) / (rr->req[i].output - 1);
    latency(v, m, &h->tpot);
    m = 0;
    for (long i = 0; i < n; i++)
        if (rr->req[i].status == IC_REQ_SERVED) v[m++] = rr->req[i].finish_s - rr->req[i].arrival_s;
    latency(v, m, &h->e2e);
    m = 0;
    for (long i = 0; i < n; i++)
        if (!isnan(rr->req[i].admit_s)) v[m++] = rr->req[i].admit_s - rr->req[i].arrival_s;
    latency(v, m, &h->queue);
    free(v);
    /* replicas over the window (not the drain after it) */
    const struct ic_reqsim_series *s = &rr->series;
    long jw = (long)ceil(rr->window_s / rr->cfg.interval_s - 1e-9);
    if (jw > s->nout) jw = s->nout;
    double busy = 0, kv = 0;
    for (long r = 0; r < s->replicas; r++)
        for (long j = 0; j < jw; j++) {
            busy += s->busy[r * s->nout + j];
            kv += s->kv[r * s->nout + j];
        }
    double cells = (double)s->replicas * (double)(jw > 0 ? jw : 1);
    h->busy_mean = busy / cells;
    h->kv_mean = kv / cells;
    return IC_OK;
}

double ic_reqrun_memory_bytes(const struct ic_reqrun *rr) {
    long n_hashes = rr->n > 0 && rr->hashes ? rr->req[rr->n - 1].hash_end : 0;
    double nout = 1;
    double sim = ic_reqsim_memory_bytes(&rr->cfg, rr->n, n_hashes, &nout);
    /* the writer: the time scale, one column of doubles and one of int32 at a time */
    return sim + (nout + 1) * sizeof(double) + (double)rr->n * (sizeof(double) + sizeof(int32_t));
}

int ic_reqrun_check_memory(const struct ic_reqrun *rr, double limit, const char *span,
                           const char *shorten, struct ic_error *err) {
    double need = ic_reqrun_memory_bytes(rr), nout = 1;
    ic_reqsim_memory_bytes(&rr->cfg, 0, 0, &nout);
    if (!(limit > 0) || need <= limit) return IC_OK;
    return ic_error_set(
        err, IC_ERR_INVALID,
        "the request engine needs about %.2f GiB, more than the limit of %.2f GiB "
        "(--max-memory): %ld replicas x %.0f output intervals of %g s over %.4g days (%s plus "
        "/request_engine/drain_s = %g s) and %ld requests; raise /request_engine/interval_s, "
        "lower /fleet/accelerators, %s, or raise --max-memory",
        need / 1073741824.0, limit / 1073741824.0, rr->cfg.replicas, nout, rr->cfg.interval_s,
        rr->cfg.horizon_s / 86400.0, span, rr->cfg.horizon_s - rr->window_s, rr->n, shorten);
}

int ic_reqrun_run(struct ic_reqrun *rr, struct ic_error *err) {
    rr->cfg.hashes = rr->hashes;
    rr->cfg.block_tokens = IC_TRACE_BLOCK_TOKENS;
    if (!(rr->cfg.horizon_s > 0)) rr->cfg.horizon_s = rr->window_s;
    double t0 = ic_monotonic_s();
    int rc = ic_reqsim_run(&rr->cfg, &rr->rm, rr->req, rr->n, &rr->series, &rr->stats, err);
    rr->engine_s = ic_monotonic_s() - t0;
    if (rc == IC_OK) rc = headline(rr, err);
    return rc;
}

void ic_reqrun_free(struct ic_reqrun *rr) {
    free(rr->req);
    rr->req = NULL;
    rr->n = 0;
    ic_reqsim_series_free(&rr->series);
}
