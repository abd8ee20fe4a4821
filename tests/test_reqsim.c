/* test_reqsim.c: the request engine against a reference that steps one iteration at a time.
 *
 * The engine jumps over runs of identical iterations in closed form; the reference below
 * walks every iteration with an explicit list of sequences, the same policy written the
 * plain way (admission at iteration boundaries, first come first served, the batch cap and
 * the KV rule; chunked prefill; reasoning then answer tokens; LIFO preemption with recompute
 * when the cache fills; abandonment; admission control).  Every request's admission, first
 * token and finish times must agree to 1e-9 relative, on random workloads that exercise all
 * of it.  Then the engine's own properties: routing, the time series, and speed counters. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "sim/engine/reqsim.h"
#include "sim/core/rng.h"

static struct ic_catalog cat;

static struct ic_replica_model model(const char *llm, const char *accel, double kv_tokens,
                                     long max_batch, long max_tokens) {
    struct ic_replica_model rm;
    memset(&rm, 0, sizeof rm);
    rm.m = ic_catalog_llm(&cat, llm);
    rm.a = ic_catalog_accel(&cat, accel);
    rm.pp.weight_precision = IC_PREC_FP8;
    rm.pp.kv_precision = IC_PREC_FP8;
    rm.pp.tp = 1;
    rm.pp.pp = 1;
    rm.pp.ep = 1;
    rm.pp.per_node = 8;
    rm.pp.scaleout_gbps = 50;
    rm.pp.memory_utilization = 0.9;
    rm.pp.prefill_mfu = 0.55;
    rm.pp.decode_mbu = 0.7;
    rm.pp.step_overhead_s = 0.003;
    rm.pp.max_batch = max_batch;
    rm.pp.max_batched_tokens = max_tokens;
    rm.kv_tokens = kv_tokens;
    rm.max_batch = max_batch;
    rm.max_tokens = max_tokens;
    rm.capacity_rps = 5;
    return rm;
}

/* ---- the reference: one iteration at a time ---------------------------------------------- */

enum { W, PF, DC, DONE };
struct ref_req {
    int state;
    double in_eff, rem, gen; /* ranks: gen, generated when decoding started (or so far, waiting) */
    long order;              /* admission order, for LIFO preemption */
    long dstart, rank;       /* ranks (reference_ranks) only */
};

/* The references' arrival: request `next` joins the queue wq[wh..wh+*wn) unless admission
 * control rejects it (the live waiting count over the rate beyond max_wait). */
static void ref_arrive(const struct ic_reqsim_config *cfg, const struct ic_replica_model *rm,
                       struct ic_request *rq, struct ref_req *rr, long *wq, long wh, long *wn,
                       long next) {
    long live = 0;
    for (long k = 0; k < *wn; k++) {
        long q = wq[wh + k];
        live +=
            rr[q].state == W && rq[q].status == IC_REQ_UNFINISHED &&
            (isnan(rq[q].admit_s) ? rq[q].arrival_s + rq[q].patience_s > rq[next].arrival_s : 1);
    }
    if ((double)live / rm->capacity_rps > cfg->max_wait_s) {
        rq[next].status = IC_REQ_REJECTED;
        rr[next].state = DONE;
    } else {
        wq[wh + (*wn)++] = next;
    }
}

/* The references' abandonment at t: a waiting request never admitted whose patience ran out. */
static void ref_abandon(struct ic_request *rq, struct ref_req *rr, const long *wq, long wh, long wn,
                        double t) {
    for (long k = 0; k < wn; k++) {
        long q = wq[wh + k];
        if (rr[q].state == W && isnan(rq[q].admit_s) && rq[q].arrival_s + rq[q].patience_s <= t) {
            rq[q].status = IC_REQ_ABANDONED;
            rr[q].state = DONE;
        }
    }
}

/* The references' finish: request q served at t. */
static void ref_served(struct ic_request *rq, struct ref_req *rr, long q, double t) {
    rq[q].finish_s = t;
    rq[q].status = IC_REQ_SERVED;
    rr[q].state = DONE;
}

/* The references' prefill: *tok more of the chunk to the prompt first admitted among those
 * prefilling (on replica r; r < 0: any).  The prompt whose prefill it finished, with its first
 * generated token counted; -1 when it took the chunk without finishing one; -2 when none is
 * prefilling. */
static long ref_prefill(const struct ic_request *rq, struct ref_req *rr, long n, long r,
                        double *tok) {
    long h = -1;
    for (long q = 0; q < n; q++)
        if ((r < 0 || rq[q].replica == r) && rr[q].state == PF &&
            (h < 0 || rr[q].order < rr[h].order))
            h = q;
    if (h < 0) return -2;
    double use = *tok < rr[h].rem ? *tok : rr[h].rem;
    rr[h].rem -= use;
    *tok -= use;
    if (!(rr[h].rem <= 1e-9)) return -1;
    rr[h].gen += 1;
    return h;
}

/* The references' prompt chunk of P tokens over the prompts prefilling (on replica r; r < 0:
 * any) in admission order, head the first: its attention context, the token-weighted mean of
 * its pieces' c (p + c/2) over each piece's own prefix p (within the head's prompt alone: the
 * head's prefix plus half the chunk). */
static double ref_chunk_ctx(const struct ic_request *rq, const struct ref_req *rr, long n, long r,
                            double P, long head) {
    double left = P, sum = 0, pctx = 0;
    long after = -1; /* the admission order of the last piece */
    while (left > 0) {
        long h = -1;
        for (long q = 0; q < n; q++)
            if ((r < 0 || rq[q].replica == r) && rr[q].state == PF && rr[q].order > after &&
                (h < 0 || rr[q].order < rr[h].order))
                h = q;
        if (h < 0) break;
        double c = left < rr[h].rem ? left : rr[h].rem, p = rr[h].in_eff - rr[h].rem;
        if (h == head && c >= P) return p + 0.5 * P;
        sum += c * (p + 0.5 * c);
        left -= c;
        after = rr[h].order;
        pctx = sum / (P - left);
    }
    return pctx;
}

static void reference(const struct ic_reqsim_config *cfg, const struct ic_replica_model *rm,
                      struct ic_request *rq, long n) {
    struct ref_req *rr = calloc((size_t)n, sizeof *rr);
    for (long i = 0; i < n; i++) {
        rq[i].admit_s = rq[i].first_token_s = rq[i].finish_s = NAN;
        rq[i].status = IC_REQ_UNFINISHED;
        rq[i].preemptions = 0;
        rr[i].in_eff = rq[i].input;
        rq[i].replica = (int32_t)(i % cfg->replicas); /* round robin */
    }
    for (long r = 0; r < cfg->replicas; r++) {
        long *wq = malloc((size_t)(2 * n + 1) * sizeof *wq), wh = (long)n, wn = 0; /* deque */
        long order = 0, next = 0;
        double t = 0;
        for (;;) {
            /* arrivals up to t join the queue (admission control on the waiting count) */
            while (next < n && (rq[next].replica != r || rq[next].arrival_s <= t)) {
                if (rq[next].replica == r && rq[next].arrival_s <= cfg->horizon_s)
                    ref_arrive(cfg, rm, rq, rr, wq, wh, &wn, next);
                next++;
            }
            ref_abandon(rq, rr, wq, wh, wn, t); /* abandonment */
            /* the running set */
            double b = 0, S = 0, U = 0, running = 0;
            for (long q = 0; q < n; q++) {
                if (rq[q].replica != r) continue;
                if (rr[q].state == DC) b++, S += rq[q].input + rr[q].gen;
                if (rr[q].state == DC) U += rq[q].input + rr[q].gen;
                if (rr[q].state == PF) U += rr[q].in_eff;
                running += rr[q].state == DC || rr[q].state == PF;
            }
            /* admission, first come first served */
            while (wn > 0) {
                long q = wq[wh];
                if (rr[q].state != W || rq[q].status != IC_REQ_UNFINISHED) {
                    wh++, wn--;
                    continue;
                }
                if (!(running < (double)rm->max_batch && U + rr[q].in_eff + b + 1 <= rm->kv_tokens))
                    break;
                wh++, wn--;
                if (isnan(rq[q].admit_s)) rq[q].admit_s = t;
                rr[q].rem = rr[q].in_eff - rq[q].cached;
                if (rr[q].rem < 1) rr[q].rem = 1;
                rr[q].state = PF;
                rr[q].order = order++;
                U += rr[q].in_eff;
                running++;
            }
            /* preemption when the next iteration's decode tokens do not fit */
            while (b > 0 && U + b > rm->kv_tokens) {
                long v = -1;
                for (long q = 0; q < n; q++)
                    if (rq[q].replica == r && (rr[q].state == DC || rr[q].state == PF) &&
                        (v < 0 || rr[q].order > rr[v].order))
                        v = q;
                if (rr[v].state == DC) {
                    double ctx = rq[v].input + rr[v].gen;
                    b--, S -= ctx, U -= ctx;
                    rr[v].in_eff = rq[v].input + rr[v].gen;
                } else {
                    U -= rr[v].in_eff;
                }
                rr[v].state = W;
                rq[v].preemptions++;
                wq[--wh] = v, wn++;
                running--;
            }
            /* the prefill chunk: FCFS over admitted requests in admission order; its attention
             * context the token-weighted mean of its pieces', each over its own prefix */
            double prem = 0, pctx = 0;
            long head = -1;
            for (long q = 0; q < n; q++)
                if (rq[q].replica == r && rr[q].state == PF) {
                    prem += rr[q].rem;
                    if (head < 0 || rr[q].order < rr[head].order) head = q;
                }
            double B = (double)rm->max_tokens, P = 0;
            if (head >= 0 && B - b >= 1) {
                P = B - b < prem ? B - b : prem;
                pctx = ref_chunk_ctx(rq, rr, n, r, P, head);
            }
            if (b == 0 && P == 0) {
                /* idle: jump to the next arrival for this replica */
                long q = next;
                while (q < n && rq[q].replica != r) q++;
                if (q >= n || rq[q].arrival_s > cfg->horizon_s) break;
                if (rq[q].arrival_s > t) t = rq[q].arrival_s;
                continue;
            }
            double step =
                ic_perf_step(rm->m, rm->a, &rm->pp, b, b > 0 ? S / b : 0, P, pctx, NULL, NULL);
            if (t + step > cfg->horizon_s) break;
            t += step;
            /* decode: one token each */
            for (long q = 0; q < n; q++) {
                if (rq[q].replica != r || rr[q].state != DC) continue;
                rr[q].gen += 1;
                long total = (long)rq[q].reasoning + rq[q].output;
                if (isnan(rq[q].first_token_s) && rr[q].gen >= rq[q].reasoning + 1)
                    rq[q].first_token_s = t;
                if (rr[q].gen >= (double)total) ref_served(rq, rr, q, t);
            }
            /* prefill: the chunk in admission order; a finished prompt makes a token */
            double tok = P;
            while (tok > 0) {
                long h = ref_prefill(rq, rr, n, r, &tok);
                if (h == -2) break;
                if (h < 0) continue;
                long total = (long)rq[h].reasoning + rq[h].output;
                if (isnan(rq[h].first_token_s) && rr[h].gen >= rq[h].reasoning + 1)
                    rq[h].first_token_s = t;
                if (rr[h].gen >= (double)total)
                    ref_served(rq, rr, h, t);
                else
                    rr[h].state = DC;
            }
        }
        free(wq);
    }
    free(rr);
}

/* ---- the reference with attention ranks and SGLang's KV policy --------------------------- */

/* One replica of rm->ranks attention ranks (pp.attention_dp the same), one iteration at a time,
 * as sim/engine/reqsim.h describes them: each prompt placed on the rank with the least KV in
 * use among those whose reservation takes it (the running sequences' KV and the step's decode
 * tokens, the ratio x their clipped remaining output, the prompts admitted in the same round in
 * full, the prompt and its own clipped output: under the rank's KV; an empty rank takes any
 * prompt it holds); every rank whose next decode tokens do not fit retracts its decoding
 * sequences with the fewest tokens generated (then the longest prompt, then the last admitted),
 * at least one and never the last, until its free KV holds retract_steps tokens for each of the
 * rest, to the back of the queue, and sets its ratio to (their generated + retract_steps each)
 * / their total; the ratio decays each iteration the rank decodes (not the one after it
 * retracts) and starts over when the replica idles; the prompts in one FIFO over the ranks as
 * lanes; each step priced at the busiest rank. */
static long rk_iters(double tps, double tokens) {
    if (tps == 1.0) return (long)ceil(tokens - 1e-9);
    return (long)ceil(tokens / tps - 1e-9);
}

struct rk_sort {
    double gen, input;
    long order, q;
};
static int rk_sort_cmp(const void *pa, const void *pb) {
    const struct rk_sort *a = pa, *b = pb;
    if (a->gen != b->gen) return a->gen < b->gen ? -1 : 1;
    if (a->input != b->input) return a->input > b->input ? -1 : 1;
    return a->order > b->order ? -1 : a->order < b->order;
}

static void reference_ranks(const struct ic_reqsim_config *cfg, const struct ic_replica_model *rm,
                            struct ic_request *rq, long n) {
    const long nr = (long)rm->ranks;
    const double kvr = rm->kv_tokens, tps = rm->tokens_per_step > 1 ? rm->tokens_per_step : 1;
    const double dtok = 1.0 + (double)rm->pp.mtp, clip = rm->pp.clip_tokens;
    const double rmin = rm->pp.ratio_min, steps = rm->pp.retract_steps;
    const double decay = (rm->pp.ratio_init - rmin) / rm->pp.ratio_decay_steps;
    struct ref_req *rr = calloc((size_t)n, sizeof *rr);
    struct rk_sort *cs = malloc((size_t)n * sizeof *cs);
    double *U = calloc((size_t)nr, sizeof *U), *C = calloc((size_t)nr, sizeof *C);
    double *X = calloc((size_t)nr, sizeof *X), *bk = calloc((size_t)nr, sizeof *bk);
    double *Sk = calloc((size_t)nr, sizeof *Sk), *nk = calloc((size_t)nr, sizeof *nk);
    double *ratio = malloc((size_t)nr * sizeof *ratio);
    int *retr = calloc((size_t)nr, sizeof *retr);
    for (long k = 0; k < nr; k++) ratio[k] = rm->pp.ratio_init;
    for (long i = 0; i < n; i++) {
        rq[i].admit_s = rq[i].first_token_s = rq[i].finish_s = NAN;
        rq[i].status = IC_REQ_UNFINISHED;
        rq[i].preemptions = 0;
        rq[i].replica = 0;
        rr[i].in_eff = rq[i].input;
    }
    long wcap = 4 * n + 16, *wq = malloc((size_t)wcap * sizeof *wq), wh = 0, wn = 0; /* a queue */
    long order = 0, next = 0, it = 0;
    double t = 0;
    for (;;) {
        while (next < n && rq[next].arrival_s <= t) {
            if (rq[next].arrival_s <= cfg->horizon_s)
                ref_arrive(cfg, rm, rq, rr, wq, wh, &wn, next);
            next++;
        }
        ref_abandon(rq, rr, wq, wh, wn, t);
        /* each rank's load as of this boundary */
        double b = 0, S = 0, running = 0;
        for (long k = 0; k < nr; k++) U[k] = C[k] = X[k] = bk[k] = Sk[k] = nk[k] = 0;
        for (long q = 0; q < n; q++) {
            const double total = (double)rq[q].reasoning + rq[q].output;
            const long k = rr[q].rank;
            if (rr[q].state == DC) {
                const double g = rr[q].gen + (double)(it - rr[q].dstart) * tps;
                const double ctx = rq[q].input + g;
                b++, S += ctx, bk[k]++, Sk[k] += ctx, U[k] += ctx, nk[k]++;
                C[k] += fmin(total - g, clip);
            } else if (rr[q].state == PF) {
                U[k] += rr[q].in_eff, nk[k]++;
                C[k] += fmin(total - rr[q].gen, clip);
            }
            running += rr[q].state == DC || rr[q].state == PF;
        }
        /* admission, first come first served, one round */
        while (wn > 0) {
            long q = wq[wh];
            if (rr[q].state != W || rq[q].status != IC_REQ_UNFINISHED) {
                wh++, wn--;
                continue;
            }
            const double in = rr[q].in_eff;
            const double own = fmin((double)rq[q].reasoning + rq[q].output - rr[q].gen, clip);
            if (running == 0 && in + 1 > kvr) {
                wh++, wn--;
                rq[q].status = IC_REQ_REJECTED;
                rr[q].state = DONE;
                continue;
            }
            long best = -1;
            if (running < (double)rm->max_batch * (double)nr && in + 1 <= kvr)
                for (long k = 0; k < nr; k++) {
                    if (!(nk[k] < (double)rm->max_batch)) continue;
                    if (nk[k] < 0.5 ? !(in + 1 <= kvr)
                                    : !(U[k] + 0 * bk[k] * tps + bk[k] * tps +
                                            ratio[k] * (C[k] - 0 * tps) + X[k] + (in + own) - kvr <
                                        0))
                        continue;
                    if (best < 0 || U[k] < U[best] || (U[k] == U[best] && nk[k] < nk[best]))
                        best = k;
                }
            if (best < 0) break;
            wh++, wn--;
            if (isnan(rq[q].admit_s)) rq[q].admit_s = t;
            rr[q].rem = rr[q].in_eff - rq[q].cached;
            if (rr[q].rem < 1) rr[q].rem = 1;
            rr[q].state = PF;
            rr[q].order = order++;
            rr[q].rank = best;
            U[best] += in, nk[best]++, C[best] += own, X[best] += (1 - ratio[best]) * own;
            running++;
        }
        /* retraction, rank by rank */
        for (long k = 0; k < nr; k++) {
            retr[k] = 0;
            if (!(bk[k] > 0 && U[k] + bk[k] * tps > kvr)) continue;
            retr[k] = 1;
            long m = 0;
            for (long q = 0; q < n; q++)
                if (rr[q].state == DC && rr[q].rank == k)
                    cs[m++] = (struct rk_sort){rr[q].gen + (double)(it - rr[q].dstart) * tps,
                                               rq[q].input, rr[q].order, q};
            qsort(cs, (size_t)m, sizeof *cs, rk_sort_cmp);
            long i = 0;
            for (int first = 1; first || kvr - U[k] < (double)(m - i) * steps; first = 0) {
                if (m - i <= 1) break;
                long v = cs[i++].q;
                double g = rr[v].gen + (double)(it - rr[v].dstart) * tps, ctx = rq[v].input + g;
                b--, S -= ctx, bk[k]--, Sk[k] -= ctx, U[k] -= ctx, nk[k]--, running--;
                rr[v].in_eff = ctx, rr[v].gen = g, rr[v].state = W;
                rq[v].preemptions++;
                if (wh + wn == wcap) wq = realloc(wq, (size_t)(wcap *= 2) * sizeof *wq);
                wq[wh + wn++] = v;
            }
            while (i < m && U[k] + bk[k] * tps > kvr) {
                long v = cs[i++].q;
                double g = rr[v].gen + (double)(it - rr[v].dstart) * tps, ctx = rq[v].input + g;
                b--, S -= ctx, bk[k]--, Sk[k] -= ctx, U[k] -= ctx, nk[k]--, running--;
                rr[v].in_eff = ctx, rr[v].gen = g, rr[v].state = W;
                rq[v].preemptions++;
                if (wh + wn == wcap) wq = realloc(wq, (size_t)(wcap *= 2) * sizeof *wq);
                wq[wh + wn++] = v;
            }
            double gs = 0, ts = 0;
            for (long c = i; c < m; c++) {
                gs += cs[c].gen;
                ts += (double)rq[cs[c].q].reasoning + rq[cs[c].q].output;
            }
            if (i < m && ts > 0) ratio[k] = fmin(1.0, (gs + steps * (double)(m - i)) / ts);
        }
        /* the prefill chunk over the ranks as lanes, FCFS in admission order */
        double prem = 0, npf = 0, P = 0, c = 0, pctx = 0;
        for (long q = 0; q < n; q++)
            if (rr[q].state == PF) prem += rr[q].rem, npf++;
        const double room = (double)rm->max_tokens - b * dtok / (double)nr;
        if (npf > 0 && room >= 1) {
            double lanes = (double)nr < npf ? (double)nr : npf;
            c = room < prem / lanes ? room : prem / lanes;
            P = c * lanes;
            long head = -1;
            for (long q = 0; q < n; q++)
                if (rr[q].state == PF && (head < 0 || rr[q].order < rr[head].order)) head = q;
            pctx = ref_chunk_ctx(rq, rr, n, -1, P, head);
        }
        if (b == 0 && P == 0) {
            for (long k = 0; k < nr; k++) ratio[k] = rm->pp.ratio_init;
            if (next >= n || rq[next].arrival_s > cfg->horizon_s) break;
            if (rq[next].arrival_s > t) t = rq[next].arrival_s;
            continue;
        }
        long m = 0;
        for (long k = 1; k < nr; k++)
            if (Sk[k] > Sk[m] || (Sk[k] == Sk[m] && bk[k] > bk[m])) m = k;
        struct ic_rank_load l = {bk[m], bk[m] > 0 ? Sk[m] / bk[m] : 0, c, pctx};
        double step = ic_perf_step_ranks(rm->m, rm->a, &rm->pp, b, b > 0 ? S / b : 0, P, pctx, &l,
                                         NULL, NULL);
        if (t + step > cfg->horizon_s) break;
        t += step;
        it++;
        for (long k = 0; k < nr; k++)
            if (bk[k] > 0 && !retr[k]) ratio[k] = fmax(ratio[k] - decay, rmin);
        /* decode: the first answer token and the last at their iterations */
        for (long q = 0; q < n; q++) {
            if (rr[q].state != DC) continue;
            const double total = (double)rq[q].reasoning + rq[q].output;
            const double lr = (double)rq[q].reasoning - rr[q].gen;
            if (isnan(rq[q].first_token_s) && lr >= 0 && it == rr[q].dstart + rk_iters(tps, lr + 1))
                rq[q].first_token_s = t;
            if (it == rr[q].dstart + rk_iters(tps, total - rr[q].gen)) ref_served(rq, rr, q, t);
        }
        /* prefill: the chunk in admission order; a finished prompt makes a token */
        double tok = P;
        while (tok > 0) {
            long h = ref_prefill(rq, rr, n, -1, &tok);
            if (h == -2) break;
            if (h < 0) continue;
            const double total = (double)rq[h].reasoning + rq[h].output;
            if (rr[h].gen >= total) {
                if (isnan(rq[h].first_token_s)) rq[h].first_token_s = t;
                ref_served(rq, rr, h, t);
            } else {
                rr[h].state = DC;
                rr[h].dstart = it;
                if (isnan(rq[h].first_token_s) && (double)rq[h].reasoning - rr[h].gen < 0)
                    rq[h].first_token_s = t;
            }
        }
    }
    free(wq);
    free(rr);
    free(cs);
    free(U), free(C), free(X), free(bk), free(Sk), free(nk), free(ratio), free(retr);
}

/* ---- random workloads ------------------------------------------------------------------- */

static struct ic_request *workload(long n, double rate, uint64_t seed, int long_prompts) {
    struct ic_request *rq = calloc((size_t)n, sizeof *rq);
    struct ic_rng g;
    ic_rng_init(&g, seed, 1, IC_STREAM_REQUESTS, 1);
    double t = 0;
    for (long i = 0; i < n; i++) {
        t += -log(ic_rng_uniform(&g)) / rate;
        rq[i].arrival_s = t;
        rq[i].input = (int32_t)(50 + ic_rng_uniform(&g) * (long_prompts ? 6000 : 900));
        rq[i].output = (int32_t)(1 + ic_rng_uniform(&g) * 300);
        rq[i].reasoning = ic_rng_uniform(&g) < 0.3 ? (int32_t)(ic_rng_uniform(&g) * 200) : 0;
        rq[i].cached = ic_rng_uniform(&g) < 0.5 ? rq[i].input / 3 : 0;
        rq[i].patience_s = ic_rng_uniform(&g) < 0.5 ? 5 + 60 * ic_rng_uniform(&g) : INFINITY;
    }
    return rq;
}

static int close_enough(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return fabs(a - b) <= 1e-9 * (1 + fabs(a));
}

/* The engine against a reference (`ref`: one iteration at a time) on the same workload of n
 * requests at `rate` (workload seed wseed): every request's status, admission, first token,
 * finish and preemptions to 1e-9.  The engine's preemptions; *st its stats. */
typedef void (*ref_fn)(const struct ic_reqsim_config *, const struct ic_replica_model *,
                       struct ic_request *, long);
static long against(const char *what, struct ic_reqsim_config *cfg,
                    const struct ic_replica_model *rm, long n, double rate, uint64_t wseed,
                    int long_prompts, ref_fn ref, struct ic_reqsim_stats *st) {
    struct ic_request *a = workload(n, rate, wseed, long_prompts);
    struct ic_request *b = malloc((size_t)n * sizeof *b);
    memcpy(b, a, (size_t)n * sizeof *b);
    cfg->horizon_s = a[n - 1].arrival_s + 3600;
    struct ic_reqsim_series ser;
    struct ic_error err = {0};
    CHECK(ic_reqsim_run(cfg, rm, a, n, &ser, st, &err) == IC_OK);
    ref(cfg, rm, b, n);
    long bad = 0, served = 0, pre = 0, aband = 0, rej = 0;
    for (long i = 0; i < n; i++) {
        int ok = a[i].status == b[i].status && close_enough(a[i].admit_s, b[i].admit_s) &&
                 close_enough(a[i].first_token_s, b[i].first_token_s) &&
                 (a[i].status != IC_REQ_SERVED || close_enough(a[i].finish_s, b[i].finish_s)) &&
                 a[i].preemptions == b[i].preemptions;
        if (!ok && bad++ < 3)
            fprintf(stderr,
                    "  %s: request %ld: status %d/%d admit %.9g/%.9g first %.9g/%.9g finish "
                    "%.9g/%.9g preempted %d/%d\n",
                    what, i, a[i].status, b[i].status, a[i].admit_s, b[i].admit_s,
                    a[i].first_token_s, b[i].first_token_s, a[i].finish_s, b[i].finish_s,
                    a[i].preemptions, b[i].preemptions);
        served += a[i].status == IC_REQ_SERVED;
        pre += a[i].preemptions;
        aband += a[i].status == IC_REQ_ABANDONED;
        rej += a[i].status == IC_REQ_REJECTED;
    }
    fprintf(stderr,
            "  %s: %ld requests, %ld served, %ld rejected, %ld abandoned, %ld preemptions; "
            "%.0f iterations in %.0f segments; %ld differ\n",
            what, n, served, rej, aband, pre, st->iterations, st->segments, bad);
    CHECK(bad == 0);
    ic_reqsim_series_free(&ser);
    free(a);
    free(b);
    return pre;
}

static void compare(const char *what, long n, double rate, double kv, long max_batch,
                    long max_tokens, long replicas, double max_wait, int long_prompts) {
    struct ic_replica_model rm =
        model("llama-3.1-8b", "nvidia_h100_sxm", kv, max_batch, max_tokens);
    struct ic_reqsim_config cfg = {.replicas = replicas,
                                   .routing = IC_ROUTE_ROUND_ROBIN,
                                   .max_wait_s = max_wait,
                                   .horizon_s = 1e9,
                                   .interval_s = 60,
                                   .seed = 3};
    struct ic_reqsim_stats st;
    (void)against(what, &cfg, &rm, n, rate, 11, long_prompts, reference, &st);
}

static void test_against_reference(void) {
    /* light load: mostly alone; heavy load: queues, batches; small cache: preemptions */
    compare("light", 300, 0.5, 400000, 64, 2048, 1, 1e9, 0);
    compare("heavy", 600, 12, 400000, 48, 1024, 2, 1e9, 0);
    compare("small cache", 400, 8, 20000, 64, 2048, 1, 1e9, 1);
    compare("admission control", 500, 30, 200000, 16, 512, 1, 4, 0);
}

/* The engine against reference_ranks: one replica of `ranks` attention ranks of kv_rank KV
 * tokens each, SGLang's KV policy with the given constants. */
static void compare_ranks(const char *what, long n, double rate, double kv_rank, long max_batch,
                          long max_tokens, long ranks, double tps, double ratio_init,
                          double decay_steps, double clip, double retract_steps, double max_wait) {
    struct ic_replica_model rm =
        model("llama-3.1-8b", "nvidia_h100_sxm", kv_rank, max_batch, max_tokens);
    rm.ranks = (double)ranks;
    rm.pp.attention_dp = ranks;
    rm.tokens_per_step = tps;
    rm.pp.ratio_init = ratio_init;
    rm.pp.ratio_min = 0.14 * ratio_init;
    rm.pp.ratio_decay_steps = decay_steps;
    rm.pp.clip_tokens = clip;
    rm.pp.retract_steps = retract_steps;
    struct ic_reqsim_config cfg = {.replicas = 1,
                                   .routing = IC_ROUTE_ROUND_ROBIN,
                                   .max_wait_s = max_wait,
                                   .horizon_s = 1e9,
                                   .interval_s = 60,
                                   .seed = 3};
    struct ic_reqsim_stats st;
    long pre = against(what, &cfg, &rm, n, rate, 13, 0, reference_ranks, &st);
    CHECK(pre == st.preemptions);
}

static void test_ranks_against_reference(void) {
    /* light: the ratio decays between arrivals and starts over when idle; heavy: queues and
     * a blocked prompt admitted mid-run as the ratio decays; small caches: retractions (a
     * short decay so the ratio reaches its minimum, a clip under the outputs); multi-token
     * prediction; admission control */
    compare_ranks("ranks light", 300, 1, 40000, 64, 2048, 4, 1, 0.7, 600, 4096, 20, 1e9);
    compare_ranks("ranks heavy", 600, 14, 12000, 48, 1024, 4, 1, 0.7, 600, 4096, 20, 1e9);
    compare_ranks("ranks retract", 500, 30, 2500, 64, 2048, 3, 1, 0.7, 50, 150, 20, 1e9);
    compare_ranks("ranks retract mtp", 500, 30, 2500, 64, 2048, 3, 1.8, 0.5, 80, 120, 5, 1e9);
    compare_ranks("ranks no reserve", 400, 30, 2500, 64, 2048, 4, 1, 0, 1, 1, 0, 1e9);
    compare_ranks("ranks admission control", 500, 30, 8000, 16, 512, 2, 1, 0.7, 600, 4096, 20, 4);
}

static void test_series_and_routing(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 64, 2048);
    long n = 4000;
    struct ic_request *rq = workload(n, 40, 5, 0);
    for (long i = 0; i < n; i++) rq[i].patience_s = INFINITY;
    for (int routing = 0; routing < 3; routing++) {
        struct ic_reqsim_config cfg = {.replicas = 4,
                                       .routing = routing,
                                       .max_wait_s = 1e9,
                                       .horizon_s = rq[n - 1].arrival_s + 600,
                                       .interval_s = 10,
                                       .seed = 9};
        struct ic_reqsim_series ser;
        struct ic_reqsim_stats st;
        struct ic_error err = {0};
        CHECK(ic_reqsim_run(&cfg, &rm, rq, n, &ser, &st, &err) == IC_OK);
        long per[4] = {0}, served = 0;
        double busy = 0;
        for (long i = 0; i < n; i++) {
            per[rq[i].replica]++;
            served += rq[i].status == IC_REQ_SERVED;
            CHECK(rq[i].first_token_s >= rq[i].admit_s && rq[i].finish_s >= rq[i].first_token_s);
        }
        for (long k = 0; k < 4 * ser.nout; k++) {
            CHECK(ser.busy[k] >= 0 && ser.busy[k] <= 1 + 1e-6);
            CHECK(ser.kv[k] >= 0 && ser.kv[k] <= 1 + 1e-6);
            busy += ser.busy[k];
        }
        CHECK(served == n);
        /* round robin splits exactly; the others balance */
        if (routing == IC_ROUTE_ROUND_ROBIN) CHECK(per[0] == n / 4 && per[3] == n / 4);
        for (int r = 0; r < 4; r++) CHECK(per[r] > n / 8);
        fprintf(stderr, "  %s: per replica %ld %ld %ld %ld, mean busy %.3f, %.0f iterations\n",
                ic_routing_name(routing), per[0], per[1], per[2], per[3],
                busy / (4.0 * (double)ser.nout), st.iterations);
        ic_reqsim_series_free(&ser);
    }
    free(rq);
}

/* Requests through one replica, nothing rejected for waiting, nobody giving up early enough to
 * matter: the status of the run; *stats (if not NULL) the run's counts. */
static int one_replica_stats(const struct ic_replica_model *rm, struct ic_request *q, long n,
                             struct ic_reqsim_stats *stats) {
    struct ic_reqsim_config cfg = {.replicas = 1,
                                   .routing = IC_ROUTE_ROUND_ROBIN,
                                   .max_wait_s = 1e9,
                                   .horizon_s = 1e6,
                                   .interval_s = 1e6,
                                   .seed = 1};
    struct ic_reqsim_series ser;
    struct ic_reqsim_stats st;
    memset(&ser, 0, sizeof ser);
    memset(&st, 0, sizeof st);
    struct ic_error err = {0};
    int rc = ic_reqsim_run(&cfg, rm, q, n, &ser, &st, &err);
    if (stats) *stats = st;
    ic_reqsim_series_free(&ser);
    return rc;
}

/* A request arriving at 0 that waits as long as it takes. */
static struct ic_request patient_request(int32_t input, int32_t output) {
    struct ic_request q;
    memset(&q, 0, sizeof q);
    q.input = input;
    q.output = output;
    q.patience_s = INFINITY;
    return q;
}

/* The same; *iterations (if not NULL) the batch iterations it took. */
static int one_replica(const struct ic_replica_model *rm, struct ic_request *q, long n,
                       double *iterations) {
    struct ic_reqsim_stats st;
    int rc = one_replica_stats(rm, q, n, &st);
    if (iterations) *iterations = st.iterations;
    return rc;
}

/* One request alone, n answer tokens: the iterations it takes and its time per output token. */
static void alone(const struct ic_replica_model *rm, int32_t input, int32_t output, double *tpot,
                  double *ttft, double *iterations) {
    struct ic_request q;
    memset(&q, 0, sizeof q);
    q.input = input;
    q.output = output;
    q.patience_s = INFINITY;
    CHECK(one_replica(rm, &q, 1, iterations) == IC_OK);
    CHECK(q.status == IC_REQ_SERVED);
    *tpot = (q.finish_s - q.first_token_s) / (output - 1);
    *ttft = q.first_token_s - q.arrival_s;
}

/* Multi-token prediction: at acceptance k (tokens per step) and the same step cost, a sequence
 * decodes in ceil((n - 1) / k) iterations after its first token, and its TPOT is the step / k. */
static void test_mtp(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 64, 2048);
    double tpot1, ttft1, it1;
    alone(&rm, 500, 1001, &tpot1, &ttft1, &it1);
    CHECK(it1 == 1 + 1000); /* the prefill iteration (first token), then 1000 */
    const double ks[] = {1.85, 2.0, 2.7};
    for (int i = 0; i < 3; i++) {
        struct ic_replica_model mk = rm;
        mk.tokens_per_step = ks[i];
        double tpot, ttft, it;
        alone(&mk, 500, 1001, &tpot, &ttft, &it);
        CHECK(it == 1 + ceil(1000 / ks[i]));
        CHECK_NEAR(ttft, ttft1, 1e-12); /* the prefill is the same */
        /* the step grows with the context only (k times faster per iteration): within 1% */
        CHECK_NEAR(tpot1 / tpot, 1000.0 / ceil(1000 / ks[i]), 0.01);
        fprintf(stderr, "  mtp: %.2f tokens per step: %.0f iterations, TPOT %.3f ms (%.3f ms)\n",
                ks[i], it, 1e3 * tpot, 1e3 * tpot1);
    }
}

/* Attention data parallelism: the caps are each rank's, so two ranks admit twice the sequences
 * of one; a prompt runs on one rank (its chunks at a rank's budget), so alone it takes as long
 * as on one rank of the same step; a prompt larger than a rank's KV cache is refused. */
static void test_attention_dp(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 4, 512);
    const long n = 20;
    long admitted[3] = {0};
    for (int ranks = 1; ranks <= 2; ranks++) {
        struct ic_replica_model mr = rm;
        mr.ranks = ranks;
        struct ic_request rq[20];
        memset(rq, 0, sizeof rq);
        for (long i = 0; i < n; i++) {
            rq[i].input = 100;
            rq[i].output = 2000;
            rq[i].patience_s = INFINITY;
        }
        CHECK(one_replica(&mr, rq, n, NULL) == IC_OK);
        /* running together: admitted before the first finishes */
        double first = INFINITY;
        for (long i = 0; i < n; i++) first = fmin(first, rq[i].finish_s);
        for (long i = 0; i < n; i++) {
            admitted[ranks] += rq[i].admit_s < first;
            CHECK(rq[i].status == IC_REQ_SERVED);
        }
    }
    CHECK(admitted[1] == 4);
    CHECK(admitted[2] == 2 * admitted[1]);
    /* a lone 1,500-token prompt at a 512-token budget: three chunks, one rank's either way */
    double tpot1, ttft1, it1, tpot2, ttft2, it2;
    alone(&rm, 1500, 10, &tpot1, &ttft1, &it1);
    struct ic_replica_model m2 = rm;
    m2.ranks = 2;
    alone(&m2, 1500, 10, &tpot2, &ttft2, &it2);
    CHECK(it1 == 3 + 9 && it2 == it1);
    CHECK_NEAR(ttft2, ttft1, 1e-12);
    /* a prompt the pool of two ranks would hold but one rank does not: refused */
    m2.kv_tokens = 1000;
    struct ic_request q = patient_request(1500, 10);
    CHECK(one_replica(&m2, &q, 1, NULL) == IC_OK);
    CHECK(q.status == IC_REQ_REJECTED);
    fprintf(stderr, "  attention dp: admitted at once %ld (1 rank), %ld (2 ranks)\n", admitted[1],
            admitted[2]);
}

/* Prefill/decode disaggregation.  A lone request: TTFT = its prefill step on the prefill unit
 * + the KV transfer + the decode unit's first iteration (the prompt's last token), by hand.  A
 * load: arrivals only on the prefill units, every prompt token prefilled once (its uncached
 * part on a prefill unit, its last token on a decode unit), every decode token once. */
static void test_disaggregated(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 64, 2048);
    rm.disaggregated = 1;
    rm.prefill_units = rm.decode_units = 1;
    rm.kv_transfer_s_per_token = 1e-4;
    rm.decode = (struct ic_unit_model){rm.pp, rm.kv_tokens, rm.max_batch, rm.max_tokens, 1};
    double tpot, ttft, it;
    alone(&rm, 1000, 10, &tpot, &ttft, &it);
    const double pre = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 1000, 500, NULL, NULL);
    const double first = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 1, 999.5, NULL, NULL);
    CHECK_NEAR(ttft, pre + 1000 * 1e-4 + first, 1e-12);
    CHECK(it == 1 + 1 + 9); /* prefill, the decode unit's first token, nine more */
    fprintf(stderr, "  disaggregated: TTFT %.4f s = prefill %.4f + transfer 0.1 + first %.4f\n",
            ttft, pre, first);
    /* units of 10 replicas at 30% prefill */
    struct ic_replica_model m3 = rm;
    m3.prefill_units = 0.3;
    m3.decode_units = 0.7;
    long np, nd;
    CHECK(ic_reqsim_units(&m3, 10, &np, &nd) == 10 && np == 3 && nd == 7);
    CHECK(ic_reqsim_units(&m3, 1, &np, &nd) == 2 && np == 1 && nd == 1);
    /* a load through 3 + 7 units */
    long n = 3000;
    struct ic_request *rq = workload(n, 20, 7, 0);
    double uncached = 0, decode = 0;
    for (long i = 0; i < n; i++) {
        rq[i].patience_s = INFINITY;
        uncached += rq[i].input - rq[i].cached;
        decode += rq[i].reasoning + rq[i].output - 1;
    }
    struct ic_reqsim_config cfg = {.replicas = 10,
                                   .routing = IC_ROUTE_LEAST_OUTSTANDING,
                                   .max_wait_s = 1e9,
                                   .horizon_s = rq[n - 1].arrival_s + 3600,
                                   .interval_s = 60,
                                   .seed = 5};
    struct ic_reqsim_series ser;
    struct ic_reqsim_stats st;
    struct ic_error err = {0};
    CHECK(ic_reqsim_run(&cfg, &m3, rq, n, &ser, &st, &err) == IC_OK);
    long served = 0, on_prefill = 0;
    for (long i = 0; i < n; i++) {
        served += rq[i].status == IC_REQ_SERVED;
        on_prefill += rq[i].replica >= 0 && rq[i].replica < 3;
        CHECK(rq[i].first_token_s >= rq[i].admit_s + rq[i].input * 1e-4);
    }
    CHECK(served == n && on_prefill == n && st.preemptions == 0);
    CHECK(ser.replicas == 10);
    CHECK_NEAR(st.prefill_tokens, uncached + (double)n, 1e-9);
    CHECK_NEAR(st.decode_tokens, decode, 1e-9);
    double busy[2] = {0, 0};
    for (long r = 0; r < 10; r++)
        for (long j = 0; j < ser.nout; j++) busy[r >= 3] += ser.busy[r * ser.nout + j];
    fprintf(stderr, "  disaggregated: %ld served; busy prefill %.3f, decode %.3f\n", served,
            busy[0] / (3.0 * (double)ser.nout), busy[1] / (7.0 * (double)ser.nout));
    ic_reqsim_series_free(&ser);
    free(rq);
}

/* A chunk of several prompts pays each one's attention over its own prefix.  A 2,048-token
 * prompt fills the first iteration (budget 2,048) alone; two short prompts arrive during it: B
 * of 1,300 tokens, 1,000 of them from the prefix cache, and C of 200.  The second iteration is
 * their 300 + 200 = 500 uncached tokens: B's 300 attend over 1,000 + 150 tokens on average and
 * C's 200 over 100 (causal: a piece of c tokens after a prefix of p, c (p + c/2)), so the
 * chunk's mean attention context is (300 x 1,150 + 200 x 100) / 500 = 730 tokens, where the
 * head's prefix plus half the chunk would be 1,000 + 250 = 1,250. */
static void test_chunk_of_prompts(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 64, 2048);
    struct ic_request q[3];
    memset(q, 0, sizeof q);
    const int32_t input[3] = {2048, 1300, 200}, cached[3] = {0, 1000, 0};
    for (int i = 0; i < 3; i++) {
        q[i].arrival_s = i == 0 ? 0 : 1e-4 * i;
        q[i].input = input[i];
        q[i].cached = cached[i];
        q[i].output = i == 0 ? 1 : 2; /* A done at its prefill: no decode beside the chunk */
        q[i].patience_s = INFINITY;
    }
    CHECK(one_replica(&rm, q, 3, NULL) == IC_OK);
    const double first = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 2048, 1024, NULL, NULL);
    const double chunk = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 500, 730, NULL, NULL);
    const double head = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 500, 1250, NULL, NULL);
    CHECK(first > 2e-4); /* B and C arrive during the first iteration */
    CHECK_NEAR(q[0].first_token_s, first, 1e-12);
    CHECK(q[1].admit_s == first && q[2].admit_s == first);
    CHECK_NEAR(q[1].first_token_s, first + chunk, 1e-12);
    CHECK_NEAR(q[2].first_token_s, first + chunk, 1e-12);
    /* the two prices differ by more than the check's tolerance */
    CHECK(head - chunk > 1e-6);
    fprintf(stderr, "  chunk of prompts: second iteration %.4f ms (head's prefix: %.4f ms)\n",
            1e3 * chunk, 1e3 * head);
}

/* Back-pressure from the decode role to the prefill role (DistServe, Mooncake; reqsim.c): a
 * decode unit with room for two sequences, and three 1,000-token prompts at once.  The first
 * is prefilled alone (admitted at 0), the second in the next step (admitted at the end of the
 * first's), both then decode; the third is not prefilled until the first finishes and frees a
 * slot: admitted then, prefilled alone, its KV transferred, and its first token on the decode
 * unit (idle again by then, the second having finished), by hand.  With patience shorter than
 * that wait it leaves at the front door, and no prefill work is spent on it. */
static void test_back_pressure(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 64, 2048);
    rm.disaggregated = 1;
    rm.prefill_units = rm.decode_units = 1;
    rm.kv_transfer_s_per_token = 1e-4;
    rm.decode = (struct ic_unit_model){rm.pp, rm.kv_tokens, 2, rm.max_tokens, 1};
    const double pre = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 1000, 500, NULL, NULL);
    const double first = ic_perf_step(rm.m, rm.a, &rm.pp, 0, 0, 1, 999.5, NULL, NULL);
    for (int patient = 1; patient >= 0; patient--) {
        struct ic_request q[3];
        memset(q, 0, sizeof q);
        for (int i = 0; i < 3; i++) {
            q[i].input = 1000;
            q[i].output = 10;
            q[i].patience_s = INFINITY;
        }
        if (!patient) q[2].patience_s = 0.15;
        struct ic_reqsim_stats st;
        CHECK(one_replica_stats(&rm, q, 3, &st) == IC_OK);
        CHECK(q[0].status == IC_REQ_SERVED && q[1].status == IC_REQ_SERVED);
        CHECK(q[0].admit_s == 0);
        CHECK_NEAR(q[1].admit_s, pre, 1e-12);
        CHECK_NEAR(q[0].first_token_s, pre + 0.1 + first, 1e-12);
        const double f0 = q[0].finish_s;
        CHECK(q[1].finish_s > f0 && f0 > 0.15);
        if (patient) {
            CHECK(q[2].status == IC_REQ_SERVED);
            CHECK(q[2].admit_s == f0); /* not before a decode slot frees */
            CHECK(q[1].finish_s < f0 + pre + 0.1);
            CHECK_NEAR(q[2].first_token_s, f0 + pre + 0.1 + first, 1e-12);
            CHECK_NEAR(st.prefill_tokens, 3000 + 3, 1e-9);
            fprintf(stderr,
                    "  back-pressure: third prompt admitted at %.4f s (first finish), TTFT "
                    "%.4f s = %.4f + prefill %.4f + transfer 0.1 + first %.4f\n",
                    q[2].admit_s, q[2].first_token_s, f0, pre, first);
        } else {
            CHECK(q[2].status == IC_REQ_ABANDONED && isnan(q[2].admit_s));
            CHECK_NEAR(q[2].finish_s, 0.15, 1e-12);
            CHECK_NEAR(st.prefill_tokens, 2000 + 2, 1e-9); /* none spent on it */
        }
    }
}

/* Attention ranks placed one by one (sim/engine/reqsim.h).  Three equal requests at once on two
 * ranks: the least-KV rule puts two on rank 0 and one on rank 1, and every decode step waits
 * for rank 0's two sequences: on a dense model (no routed experts, every operator rank-local)
 * the TPOT is that of two sequences on one rank, where pooling the ranks would price 1.5 per
 * rank; a fourth request, on rank 1, leaves the steps as they were.  And a prompt the pool
 * has room for but neither rank: it waits for the first to finish. */
static void test_rank_placement(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 400000, 4, 512);
    double tpot[5];
    for (int n = 1; n <= 4; n++) {
        struct ic_replica_model mr = rm;
        mr.ranks = n >= 3 ? 2 : 1; /* 1, 2 requests on one rank; 3, 4 on two */
        /* request 0 takes the first iteration alone (one token, then gone), so that the n
         * arriving with it are admitted together at its end */
        struct ic_request rq[5];
        memset(rq, 0, sizeof rq);
        for (int i = 0; i <= n; i++) {
            rq[i].input = 100;
            rq[i].output = i ? 500 : 1;
            rq[i].patience_s = INFINITY;
        }
        CHECK(one_replica(&mr, rq, n + 1, NULL) == IC_OK);
        for (int i = 0; i <= n; i++) CHECK(rq[i].status == IC_REQ_SERVED);
        /* they decode side by side, from the same iteration */
        for (int i = 2; i <= n; i++) CHECK_NEAR(rq[i].finish_s, rq[1].finish_s, 1e-12);
        tpot[n] = (rq[1].finish_s - rq[1].first_token_s) / (rq[1].output - 1);
    }
    CHECK(close_enough(tpot[3], tpot[2])); /* the busiest rank's two sequences */
    CHECK(close_enough(tpot[4], tpot[3])); /* rank 1's second changes nothing */
    CHECK(tpot[3] > tpot[1] * (1 + 1e-6)); /* not the pool's 1.5 a rank */
    fprintf(stderr, "  rank placement: TPOT %.4f ms (1 on a rank), %.4f (2), %.4f (3 on 2 ranks)\n",
            1e3 * tpot[1], 1e3 * tpot[2], 1e3 * tpot[3]);
    /* ranks of 1,000 KV tokens: 600-token prompts on rank 0 and rank 1, then a 500-token one
     * (1,700 of the pool's 2,000) fits neither rank and waits for a finish */
    struct ic_replica_model m2 = rm;
    m2.ranks = 2;
    m2.kv_tokens = 1000;
    struct ic_request q[3];
    memset(q, 0, sizeof q);
    const int32_t in[3] = {600, 600, 500}, out[3] = {50, 80, 10};
    for (int i = 0; i < 3; i++) {
        q[i].input = in[i];
        q[i].output = out[i];
        q[i].patience_s = INFINITY;
    }
    CHECK(one_replica(&m2, q, 3, NULL) == IC_OK);
    for (int i = 0; i < 3; i++) CHECK(q[i].status == IC_REQ_SERVED);
    CHECK(q[0].admit_s == 0 && q[1].admit_s < q[0].finish_s); /* one on each rank */
    CHECK_NEAR(q[2].admit_s, q[0].finish_s, 1e-12);           /* rank 0 frees first */
    /* a 900-token prompt alone fits one rank */
    struct ic_request one = patient_request(900, 10);
    CHECK(one_replica(&m2, &one, 1, NULL) == IC_OK);
    CHECK(one.status == IC_REQ_SERVED);
}

/* SGLang's reservation on attention ranks, by hand.  Two ranks of 4,000 KV tokens, the ratio
 * fixed at 0.5 (initial = minimum), the clip above every output.  A (prompt 1,500, output
 * 800), B (200, 3,000) and C (300, n) arrive together.  A goes to rank 0 (both empty, the lower
 * index).  B on rank 0 would need 1,500 + 800 (A's output, in full in its own round) + 200 +
 * 3,000 > 4,000: rank 1 (empty) takes it.  C on rank 1 in that round: 200 + 3,000 (B's output
 * in full) + 300 + n >= 4,000 (at the ratio, 200 + 1,500 + 300 + n, it would fit for n <
 * 2,000): it waits.  After the first iteration (A and B decoding, g tokens each) rank 1 holds
 * 200 + g, the step's 1 and 0.5 x (3,000 - g) to come: C fits while 0.5 g + n - 1,999 < 0, so
 * at n = 1,998 when g = 1, the end of the first iteration (A's first token), and at n = 1,999
 * never (B's growth, one token an iteration, outruns its reservation's fall, half a token);
 * nor does rank 0 (0.5 g + n - 1,799 >= 0): C waits until A finishes and rank 0 is empty.
 * vLLM's rule on one cache (the prompt and the step's tokens) admits it at once. */
static void test_rank_reservation(void) {
    struct ic_replica_model rm = model("llama-3.1-8b", "nvidia_h100_sxm", 4000, 64, 2048);
    rm.ranks = 2;
    rm.pp.attention_dp = 2;
    rm.pp.ratio_init = rm.pp.ratio_min = 0.5;
    rm.pp.ratio_decay_steps = 600;
    rm.pp.retract_steps = 20;
    rm.pp.clip_tokens = 4096;
    for (int32_t n = 1998; n <= 1999; n++) {
        /* Z takes the first iteration alone (one token, then gone): A, B and C, arriving
         * during it, meet one round at its end */
        struct ic_request q[4] = {patient_request(100, 1), patient_request(1500, 800),
                                  patient_request(200, 3000), patient_request(300, n)};
        for (int i = 1; i < 4; i++) q[i].arrival_s = 1e-4;
        CHECK(one_replica(&rm, q, 4, NULL) == IC_OK);
        for (int i = 0; i < 4; i++) CHECK(q[i].status == IC_REQ_SERVED);
        const double t1 = q[0].finish_s;
        CHECK(t1 > 1e-4 && q[1].admit_s == t1 && q[2].admit_s == t1);
        CHECK(q[1].first_token_s > t1 && q[1].first_token_s == q[2].first_token_s);
        if (n == 1998)
            CHECK(q[3].admit_s == q[1].first_token_s);
        else
            CHECK(q[3].admit_s == q[1].finish_s);
        fprintf(stderr,
                "  rank reservation: C of %d output tokens admitted at %.4f s (A's first token "
                "%.4f s, its finish %.4f s)\n",
                n, q[3].admit_s, q[1].first_token_s, q[1].finish_s);
    }
    struct ic_replica_model pooled = rm;
    pooled.ranks = 1;
    pooled.pp.attention_dp = 1;
    pooled.kv_tokens = 8000;
    struct ic_request q[4] = {patient_request(100, 1), patient_request(1500, 800),
                              patient_request(200, 3000), patient_request(300, 1999)};
    for (int i = 1; i < 4; i++) q[i].arrival_s = 1e-4;
    CHECK(one_replica(&pooled, q, 4, NULL) == IC_OK);
    CHECK(q[3].admit_s == q[0].finish_s);
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    test_against_reference();
    test_ranks_against_reference();
    test_series_and_routing();
    test_mtp();
    test_attention_dp();
    test_rank_placement();
    test_rank_reservation();
    test_disaggregated();
    test_chunk_of_prompts();
    test_back_pressure();
    ic_catalog_free(&cat);
    return check_report("test_reqsim");
}
