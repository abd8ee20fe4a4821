/* reqsim.c: the request-level engine (see reqsim.h for the model and its sources).
 *
 * Data structures.  Each replica keeps a FIFO of waiting requests (preempted ones go back to
 * its front), a FIFO of admitted requests still in prefill, the decoding sequences as a count
 * b and a sum of contexts S (tokens), and a min-heap of the iterations at which a decoding
 * sequence ends its reasoning or finishes.  The replicas sit in a min-heap keyed by the time of
 * their next event, and, for least-outstanding routing, in a second heap keyed by their
 * outstanding requests.  Entries of requests that were preempted or abandoned are left in
 * place and skipped when met (lazy deletion, with a per-request stamp).
 *
 * A segment is a run of k iterations of fixed composition: b decode tokens and P prefill
 * tokens each.  Iteration i has context S + i b and prefill attention context q0 + i P, so its
 * memory time and compute time are affine in i; its step is their maximum plus the fixed
 * communication and overhead (ic_perf_step), and the time of the first j iterations is a sum
 * of at most two arithmetic series.  k ends at the first of: a decoding sequence's event, the
 * head prefill request's last whole chunk (a chunk that finishes it and reaches into the next
 * prompts is a segment of one iteration, each prompt's piece priced over its own prefix:
 * chunk_context), the KV cache filling (each rank's, with attention ranks that decode), an
 * arrival that can be admitted at the next iteration boundary (with attention ranks that
 * decode, the first boundary at which a rank's reservation takes the waiting head: it falls as
 * the ratio decays, first_fit), the end of the window.  (Context grows by b x the accepted tokens
 * per step with multi-token prediction; with attention ranks each request sits on one rank
 * and the step is priced at the busiest rank's load, sim/engine/reqsim.h, and k also ends
 * before another rank's decode context passes the busiest's.)  Per event O(log n), and O(ranks)
 * with attention ranks (placement, the busiest rank, the ranks' growth per segment).
 *
 * Disaggregated: the replicas are units, prefill units first; a prompt finished on one is a
 * transfer in flight (a min-heap by arrival time at the decode side, a third kind of event
 * beside arrivals and segment ends), then a waiting request of the decode unit with the fewest
 * outstanding requests, admitted with one prompt token left to push (the first token).
 *
 * Back-pressure from the decode role to the prefill role: a prefill unit admits a new prompt
 * only while the decode role has room for it, so over capacity the queue waits at the front
 * door (patience and admission control act there) and no prefill work is spent on a request
 * the decode side cannot take.  Room: the decode units' KV tokens in use (and the next
 * iteration's), as of each one's last iteration boundary, plus the KV of every prompt
 * committed to the role and not yet admitted by a decode unit (in prefill, in transfer, or
 * waiting at a decode unit), plus this prompt, within the role's KV tokens; and the running
 * and committed sequences within its batch caps.  An idle decode role with nothing committed
 * takes any prompt; the prompts go to the decode role in the order they arrived (one queue at
 * the front door).  After DistServe (Zhong et al., OSDI 2024, arXiv:2401.09670, section 4.3,
 * "combat burstiness": the decode instance pulls a prompt's KV from the prefill instance when
 * it has room, the prefill instance's memory the buffer, so a full decode side stops the
 * prefill side) and Mooncake's early rejection (Qin et al., arXiv:2407.00079, section 7:
 * admission judged by the decode side's load too, so that no prefill is spent on a request the
 * decode side cannot take).  The buffer here is the decode role's free KV, no more: a guess,
 * tighter than DistServe's (prefill units' memory, not modelled), and what keeps the wait at
 * the front door where patience acts. */
#include "sim/engine/reqsim.h"

#include "sim/core/rng.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_WAITING, ST_PREFILL, ST_DECODE, ST_DONE, ST_TRANSFER };
enum { ROLE_BOTH, ROLE_PREFILL, ROLE_DECODE };

/* What one kind of replica (or a disaggregated unit) serves with. */
struct unit {
    const struct ic_perf_params *pp;
    double kv_rank;   /* a rank's KV tokens (a prompt must fit one rank) */
    double kv, maxb;  /* the replica's KV tokens and running sequences: a rank's x ranks */
    double B;         /* a rank's token budget per iteration */
    double ranks;     /* attention data-parallel ranks (1: none) */
    double dpp;       /* the ranks the performance parameters describe (pp->attention_dp) */
    long nr;          /* the ranks requests are placed on: ranks rounded (at least 1) */
    double maxb_rank; /* a rank's running sequences */
    int role;
    /* attention ranks that decode: each rank admits and retracts as SGLang's scheduler does
     * (reqsim.h); its constants (models/perf.h) */
    int policy;
    double ratio_init, ratio_min, ratio_decay, retract_steps, clip;
};
enum { EV_REASONED, EV_FINISH, EV_CLIP };

/* Per-request engine state (beside the caller's struct ic_request). */
struct rstate {
    double in_eff; /* prompt to (re)compute: the prompt, and what was generated before a
                      preemption */
    double rem;    /* prefill tokens still to push */
    double gen;    /* tokens generated (reasoning + answer) at the start of decoding */
    long dstart;   /* the iteration decoding started */
    int32_t state;
    int32_t stamp;   /* bumped on preemption: older heap entries are stale */
    int32_t handoff; /* disaggregated: its prompt's KV came from a prefill unit */
    int32_t rank;    /* attention data parallelism: the rank it runs on */
    int32_t tail;    /* rank policy, decoding: its remaining output is under the clip (counted
                        in full, falling a token a token), not the clip */
};

struct dev {
    long key; /* iteration */
    int32_t req, stamp;
    int32_t kind;
};

struct deque {
    int64_t *v; /* a request and its stamp: (stamp << 32) | request */
    long cap, head, n;
};

static int64_t tag(int32_t req, int32_t stamp) {
    return (int64_t)((uint64_t)(uint32_t)stamp << 32 | (uint32_t)req);
}
static int32_t tag_req(int64_t x) {
    return (int32_t)(uint32_t)((uint64_t)x & 0xffffffffu);
}
static int32_t tag_stamp(int64_t x) {
    return (int32_t)(uint32_t)((uint64_t)x >> 32);
}

struct replica {
    const struct unit *u;
    /* the segment in progress */
    double t0;      /* its start (an iteration boundary) */
    long i0;        /* the iteration count at its start */
    long k;         /* its iterations */
    double t_end;   /* t0 + T(k) */
    double b, S, U; /* decoding sequences, their context, KV tokens in use at t0 */
    double P;       /* prefill tokens per iteration */
    double q0, dq;  /* their mean attention context in the first iteration, its growth per one */
    double c;       /* the busiest rank's prefill chunk (attention data parallelism; else P) */
    double M0, M1, C0, C1, K;
    /* attention data parallelism (u->nr > 1): each rank's decoding sequences, their context,
     * its KV tokens in use and its running sequences (prefill and decode), as of t0; the rank
     * the segment's step is priced at (the busiest by decode attention) */
    double *rk_b, *rk_S, *rk_U, *rk_n;
    long busiest;
    /* the rank policy (u->policy), each rank's, as of t0: its running sequences' remaining
     * output tokens, each clipped (rk_C), the decoding ones under the clip (rk_nt, their sum
     * falling by rk_nt x the tokens per step an iteration), its new_token_ratio, the rest of
     * the reservation of the prompts admitted in this round (SGLang counts them in full until
     * the next round), and whether it retracted at t0 (its ratio is then not decayed by the
     * segment's first iteration) */
    double *rk_C, *rk_nt, *rk_ratio, *rk_X, *rk_retr;
    int x_dirty;
    /* queues */
    struct deque waiting, prefill;
    long n_waiting;     /* waiting and not abandoned */
    double prefill_rem; /* sum of rem over the prefill FIFO */
    long n_prefill;     /* live entries of the prefill FIFO */
    struct dev *heap;
    long heap_n, heap_cap;
    int64_t *stack; /* running requests (tagged) in admission order (LIFO preemption) */
    long stack_n, stack_cap;
    /* abandonment: the waiting requests' deadlines */
    double *dl_t;
    int32_t *dl_r;
    long dl_n, dl_cap;
    /* prefix cache (replay): an open-addressing set of block ids */
    int64_t *pc;
    long pc_n, pc_cap;
    /* series */
    double acc_t;
    int pending_admit; /* an arrival may be admitted at the next iteration boundary */
    /* disaggregated */
    int blocked;        /* prefill unit: its front prompt waits for room on the decode role */
    double d_used, d_b; /* decode unit: its KV tokens in use (and the next iteration's) and
                           sequences, as last added to the role's sums */
};

struct sim {
    const struct ic_reqsim_config *cfg;
    const struct ic_replica_model *rm;
    struct ic_request *req;
    struct rstate *rs;
    long n;
    struct replica *rep;
    long R;
    /* replicas by next event time */
    long *eh;     /* heap of replica ids */
    long *eh_pos; /* position of each replica in eh */
    /* replicas by outstanding requests */
    long *oh, *oh_pos;
    long *outstanding;
    long rr;
    struct ic_rng rng;
    double *acc_busy, *acc_kv, *acc_run, *acc_wait; /* [replica][time] seconds x value */
    long nout;
    struct ic_reqsim_stats *stats;
    int nomem;
    double tps;  /* answer tokens per sequence per iteration (multi-token prediction; 1: none) */
    double dtok; /* budget tokens per decoding sequence per iteration: 1 + drafts */
    struct unit unit[2]; /* colocated or prefill; decode */
    long Ra;             /* replicas arrivals are routed over (the first Ra) */
    double arrival_rps;  /* admission control's service rate of one of them */
    /* disaggregated: KV transfers in flight, a min-heap by time */
    double *xt;
    int32_t *xr;
    long xn, xcap;
    /* disaggregated back-pressure: the decode role's KV tokens and batch, what its units use
     * (sums of each unit's d_used, d_b), and the prompts committed to it and not yet admitted
     * by a decode unit (count, KV tokens); prefill units blocked on it */
    double d_kv, d_maxb, d_used, d_b, pend_tok;
    long pend_n, n_blocked;
    const struct replica *waking; /* the prefill unit wake_blocked plans */
    /* the rank policy's retraction candidates (scratch) */
    struct cand *cand;
    long cand_cap;
};

/* A sequence a rank may retract: SGLang's order (ScheduleBatch.retract_decode: the fewest
 * tokens generated first, then the longest prompt, then the last admitted). */
struct cand {
    double gen, input;
    long pos; /* in the replica's admission stack */
    int32_t req;
    int32_t rank;
};

/* Iterations that produce `tokens` more tokens of a sequence. */
static long iters(const struct sim *s, double tokens) {
    if (s->tps == 1.0) return (long)ceil(tokens - 1e-9);
    return (long)ceil(tokens / s->tps - 1e-9);
}

/* ---- small containers ---------------------------------------------------------------------- */

static int grow(void **p, long *cap, long need, size_t size) {
    if (need <= *cap) return 0;
    long c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int dq_push_back(struct deque *d, int64_t x) {
    if (d->n == d->cap) {
        long c = d->cap ? 2 * d->cap : 16;
        int64_t *v = malloc((size_t)c * sizeof *v);
        if (!v) return -1;
        for (long i = 0; i < d->n; i++) v[i] = d->v[(d->head + i) % d->cap];
        free(d->v);
        d->v = v;
        d->cap = c;
        d->head = 0;
    }
    d->v[(d->head + d->n) % d->cap] = x;
    d->n++;
    return 0;
}

static int dq_push_front(struct deque *d, int64_t x) {
    if (dq_push_back(d, x) != 0) return -1; /* grows if needed, then rotate x to the front */
    d->n--;
    d->head = (d->head + d->cap - 1) % d->cap;
    d->v[d->head] = x;
    d->n++;
    return 0;
}

static int64_t dq_front(const struct deque *d) {
    return d->v[d->head];
}

static void dq_pop_front(struct deque *d) {
    d->head = (d->head + 1) % d->cap;
    d->n--;
}

/* decode-event heap (min by iteration) */
static int dh_push(struct sim *s, struct replica *r, struct dev e) {
    if (grow((void **)&r->heap, &r->heap_cap, r->heap_n + 1, sizeof *r->heap) != 0) {
        s->nomem = 1;
        return -1;
    }
    long i = r->heap_n++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (r->heap[p].key <= e.key) break;
        r->heap[i] = r->heap[p];
        i = p;
    }
    r->heap[i] = e;
    return 0;
}

static void dh_pop(struct replica *r) {
    struct dev last = r->heap[--r->heap_n];
    long i = 0, n = r->heap_n;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && r->heap[c + 1].key < r->heap[c].key) c++;
        if (last.key <= r->heap[c].key) break;
        r->heap[i] = r->heap[c];
        i = c;
    }
    if (n > 0) r->heap[i] = last;
}

/* A heap of times and requests in two arrays: twice its capacity (first when empty); 0, or -1
 * out of memory (the heap as it was). */
static int heap_grow(double **t, int32_t **r, long *cap, long first) {
    long c = *cap ? 2 * *cap : first;
    double *nt = realloc(*t, (size_t)c * sizeof *nt);
    if (!nt) return -1;
    *t = nt;
    int32_t *nr = realloc(*r, (size_t)c * sizeof *nr);
    if (!nr) return -1;
    *r = nr;
    *cap = c;
    return 0;
}

/* deadline heap (min by time) */
static void dl_push(struct sim *s, struct replica *r, double t, int32_t q) {
    if (r->dl_n == r->dl_cap && heap_grow(&r->dl_t, &r->dl_r, &r->dl_cap, 16)) {
        s->nomem = 1;
        return;
    }
    long i = r->dl_n++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (r->dl_t[p] <= t) break;
        r->dl_t[i] = r->dl_t[p];
        r->dl_r[i] = r->dl_r[p];
        i = p;
    }
    r->dl_t[i] = t;
    r->dl_r[i] = q;
}

static void dl_pop(struct replica *r) {
    double t = r->dl_t[--r->dl_n];
    int32_t q = r->dl_r[r->dl_n];
    long i = 0, n = r->dl_n;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && r->dl_t[c + 1] < r->dl_t[c]) c++;
        if (t <= r->dl_t[c]) break;
        r->dl_t[i] = r->dl_t[c];
        r->dl_r[i] = r->dl_r[c];
        i = c;
    }
    if (n > 0) {
        r->dl_t[i] = t;
        r->dl_r[i] = q;
    }
}

/* indexed heaps over replicas: by next event time, and by outstanding requests */
static int eh_less(const struct sim *s, long a, long b) {
    double ta = s->rep[a].t_end, tb = s->rep[b].t_end;
    return ta < tb || (ta == tb && a < b);
}

static int oh_less(const struct sim *s, long a, long b) {
    return s->outstanding[a] < s->outstanding[b] ||
           (s->outstanding[a] == s->outstanding[b] && a < b);
}

static void heap_fix(struct sim *s, long *h, long *pos, long n, long i,
                     int (*less)(const struct sim *, long, long)) {
    long x = h[i];
    while (i > 0 && less(s, x, h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        pos[h[i]] = i;
        i = (i - 1) / 2;
    }
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && less(s, h[c + 1], h[c])) c++;
        if (!less(s, h[c], x)) break;
        h[i] = h[c];
        pos[h[i]] = i;
        i = c;
    }
    h[i] = x;
    pos[x] = i;
}

static void set_outstanding(struct sim *s, long r, long delta) {
    s->outstanding[r] += delta;
    if (s->cfg->routing == IC_ROUTE_LEAST_OUTSTANDING && r < s->Ra)
        heap_fix(s, s->oh, s->oh_pos, s->Ra, s->oh_pos[r], oh_less);
}

/* ---- prefix cache (replay) ------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static int pc_has(const struct replica *r, int64_t h) {
    if (!r->pc_cap) return 0;
    long m = r->pc_cap - 1;
    for (long i = (long)(mix64((uint64_t)h) & (uint64_t)m);; i = (i + 1) & m) {
        if (r->pc[i] == INT64_MIN) return 0;
        if (r->pc[i] == h) return 1;
    }
}

static int pc_add(struct replica *r, int64_t h) {
    if (h == INT64_MIN) return 0; /* the empty-slot marker: never a block id we keep */
    if (2 * (r->pc_n + 1) > r->pc_cap) {
        long cap = r->pc_cap ? 2 * r->pc_cap : 1024;
        int64_t *nv = malloc((size_t)cap * sizeof *nv);
        if (!nv) return -1;
        for (long i = 0; i < cap; i++) nv[i] = INT64_MIN;
        for (long i = 0; i < r->pc_cap; i++)
            if (r->pc[i] != INT64_MIN) {
                long j = (long)(mix64((uint64_t)r->pc[i]) & (uint64_t)(cap - 1));
                while (nv[j] != INT64_MIN) j = (j + 1) & (cap - 1);
                nv[j] = r->pc[i];
            }
        free(r->pc);
        r->pc = nv;
        r->pc_cap = cap;
    }
    long m = r->pc_cap - 1;
    for (long i = (long)(mix64((uint64_t)h) & (uint64_t)m);; i = (i + 1) & m) {
        if (r->pc[i] == h) return 0;
        if (r->pc[i] == INT64_MIN) {
            r->pc[i] = h;
            r->pc_n++;
            return 0;
        }
    }
}

/* ---- the step time of a segment ------------------------------------------------------------- */

/* Iteration i of the segment: max(M0 + M1 i, C0 + C1 i) + K.  Time of the first j. */
static double sum_affine(double a, double c, double i1, double i2) {
    /* sum of a + c i for i in [i1, i2) */
    double n = i2 - i1;
    return n <= 0 ? 0 : n * a + c * n * (i1 + i2 - 1.0) * 0.5;
}

static double seg_time(const struct replica *r, double j) {
    if (j <= 0) return 0;
    double D0 = r->M0 - r->C0, D1 = r->M1 - r->C1;
    double total = r->K * j;
    /* where memory and compute swap (D0 + D1 i changes sign) */
    double cross = D1 != 0 ? -D0 / D1 : (D0 >= 0 ? INFINITY : -INFINITY);
    double ic = ceil(cross);
    if (ic < 0) ic = 0;
    if (ic > j) ic = j;
    if (D1 > 0 || (D1 == 0 && D0 < 0)) {
        /* compute first (while D < 0), memory after */
        total += sum_affine(r->C0, r->C1, 0, ic) + sum_affine(r->M0, r->M1, ic, j);
    } else {
        /* memory first (while D >= 0), compute after */
        total += sum_affine(r->M0, r->M1, 0, ic) + sum_affine(r->C0, r->C1, ic, j);
    }
    return total;
}

/* Set the step coefficients of the segment from two evaluations of the performance model. */
static void seg_coefficients(const struct sim *s, struct replica *r) {
    const struct ic_replica_model *rm = s->rm;
    double mem0, cmp0, mem1, cmp1;
    /* the step of the performance parameters' replica (dpp ranks) at this replica's load per
     * rank: its batch per rank, the busiest rank's chunk on every rank */
    const struct unit *u = r->u;
    double b = r->b, bc = u->ranks == u->dpp ? b : b * u->dpp / u->ranks, pc = r->c * u->dpp;
    double t0;
    if (r->rk_b) {
        /* ranks placed one by one: the rank-local operators at the busiest rank's load (its
         * sequences and context, and a prompt chunk if any rank has one: a guess that the
         * busiest carries one), the routed experts at the whole replica's tokens
         * (models/perf.c, struct ic_rank_load): every rank waits for the busiest at each MoE
         * layer's all-to-all (TensorRT-LLM's attention-DP balance note: "the iteration time is
         * dominated by the slowest rank"; DeepSeek's inference system overview, Day 6, balances
         * the core-attention work across its ranks for this reason) */
        const double bm = r->rk_b[r->busiest], Sm = r->rk_S[r->busiest];
        const double pt = r->P * u->dpp / u->ranks; /* the replica's prompt tokens */
        struct ic_rank_load l0 = {bm, bm > 0 ? Sm / bm : 0, r->c, r->q0};
        struct ic_rank_load l1 = {bm, bm > 0 ? (Sm + bm * s->tps) / bm : 0, r->c, r->q0 + r->dq};
        t0 = ic_perf_step_ranks(rm->m, rm->a, u->pp, bc, b > 0 ? r->S / b : 0, pt, r->q0, &l0,
                                &mem0, &cmp0);
        ic_perf_step_ranks(rm->m, rm->a, u->pp, bc, b > 0 ? (r->S + b * s->tps) / b : 0, pt,
                           r->q0 + r->dq, &l1, &mem1, &cmp1);
    } else {
        t0 = ic_perf_step(rm->m, rm->a, u->pp, bc, b > 0 ? r->S / b : 0, pc, r->q0, &mem0, &cmp0);
        ic_perf_step(rm->m, rm->a, u->pp, bc, b > 0 ? (r->S + b * s->tps) / b : 0, pc,
                     r->q0 + r->dq, &mem1, &cmp1);
    }
    r->M0 = mem0;
    r->M1 = mem1 - mem0;
    r->C0 = cmp0;
    r->C1 = cmp1 - cmp0;
    r->K = t0 - (mem0 > cmp0 ? mem0 : cmp0);
}

/* ---- series --------------------------------------------------------------------------------- */

/* Add value x over [ta, tb) to acc[replica][interval] (seconds x value). */
static void accumulate(struct sim *s, double *acc, long r, double ta, double tb, double xa,
                       double xb) {
    const double dt = s->cfg->interval_s;
    if (!(tb > ta)) return;
    long j0 = (long)(ta / dt), j1 = (long)(tb / dt);
    if (j0 < 0) j0 = 0;
    for (long j = j0; j <= j1 && j < s->nout; j++) {
        double a = ta > (double)j * dt ? ta : (double)j * dt;
        double b = tb < (double)(j + 1) * dt ? tb : (double)(j + 1) * dt;
        if (b <= a) continue;
        /* x is linear from xa at ta to xb at tb: its integral over [a, b] */
        double fa = xa + (xb - xa) * (a - ta) / (tb - ta);
        double fb = xa + (xb - xa) * (b - ta) / (tb - ta);
        acc[r * s->nout + j] += 0.5 * (fa + fb) * (b - a);
    }
}

/* The running and waiting counts, piecewise constant, up to time t. */
static void accumulate_counts(struct sim *s, long ri, double t) {
    struct replica *r = &s->rep[ri];
    if (t > s->cfg->horizon_s) t = s->cfg->horizon_s;
    if (t > r->acc_t) {
        double run = r->b + (double)r->n_prefill, w = (double)r->n_waiting;
        accumulate(s, s->acc_run, ri, r->acc_t, t, run, run);
        accumulate(s, s->acc_wait, ri, r->acc_t, t, w, w);
        r->acc_t = t;
    }
}

/* ---- attention ranks ------------------------------------------------------------------------ */

/* A request's share of its rank's load changes (attention data parallelism; nothing with one
 * rank, where the replica's sums are the rank's). */
static void rk_add(struct replica *r, int32_t rank, double db, double dS, double dU, double dn) {
    if (!r->rk_b) return;
    r->rk_b[rank] += db;
    r->rk_S[rank] += dS;
    r->rk_U[rank] += dU;
    r->rk_n[rank] += dn;
    if (r->rk_n[rank] < 0.5) {
        r->rk_b[rank] = r->rk_S[rank] = r->rk_U[rank] = r->rk_n[rank] = 0;
        if (r->rk_C) r->rk_C[rank] = r->rk_nt[rank] = 0;
    }
}

/* The rank policy: a running sequence's share of its rank's remaining output tokens changes. */
static void rk_res(struct replica *r, int32_t rank, double dC, double dnt) {
    if (!r->rk_C) return;
    r->rk_C[rank] += dC;
    r->rk_nt[rank] += dnt;
    if (r->rk_n[rank] < 0.5) r->rk_C[rank] = r->rk_nt[rank] = 0;
}

static long decode_total(const struct ic_request *q) {
    return (long)q->reasoning + (long)q->output;
}

/* The rank policy: request qi's remaining output tokens as its rank's reservation counts them
 * while it waits or prefills (clipped: SGLang's min(max_new_tokens - generated, 4096)). */
static double own_tokens(const struct sim *s, const struct unit *u, int32_t qi) {
    const double rem = (double)decode_total(&s->req[qi]) - s->rs[qi].gen;
    return rem < u->clip ? rem : u->clip;
}

/* The same, decoding, at iteration it: the clip, or (under it) what is left. */
static double decode_tokens_left(const struct sim *s, int32_t qi, long it) {
    const struct rstate *st = &s->rs[qi];
    return (double)decode_total(&s->req[qi]) - (st->gen + (double)(it - st->dstart) * s->tps);
}

/* The rank policy (reqsim.h): rank k's reservation after j more iterations of the segment
 * (its composition fixed) with a request of `need` tokens (its prompt and its own clipped
 * output) placed on it, less the rank's KV: it admits the request while this is negative
 * (SGLang's PrefillAdder: a request of extend + clipped max_new tokens is refused when they
 * reach the budget left, rem_total_tokens, after the running requests' clipped remaining
 * tokens x new_token_ratio; the step's decode tokens taken first, as with its mixed chunks).
 * j = 0: now, with the prompts admitted in this round counted in full. */
static double rank_slack(const struct sim *s, const struct replica *r, long k, double j,
                         double need) {
    const struct unit *u = r->u;
    const double B = r->rk_b[k] * s->tps, D = r->rk_nt[k] * s->tps;
    double rho = r->rk_ratio[k];
    if (j > 0 && r->rk_b[k] > 0) {
        const double nd = j - r->rk_retr[k];
        if (nd > 0) rho = fmax(rho - nd * u->ratio_decay, u->ratio_min);
    }
    return r->rk_U[k] + j * B + B + rho * (r->rk_C[k] - j * D) + (j > 0 ? 0 : r->rk_X[k]) + need -
           u->kv_rank;
}

/* May rank k take a request of prompt `in` (and `need` with its own clipped output) after j
 * more iterations?  An empty rank takes any prompt it holds (SGLang would refuse a prompt whose
 * clipped output does not fit an idle pool, forever: a guard, not its behaviour). */
static int rank_takes(const struct sim *s, const struct replica *r, long k, double j, double in,
                      double need) {
    const struct unit *u = r->u;
    if (!(r->rk_n[k] < u->maxb_rank)) return 0;
    if (r->rk_n[k] < 0.5) return in + 1 <= u->kv_rank;
    return rank_slack(s, r, k, j, need) < 0;
}

/* The rank a request needing `need` KV tokens is placed on: of the ranks with room for it (a
 * sequence under the rank's cap, its prompt and the next iteration's decode tokens in the
 * rank's cache), the one with the fewest KV tokens in use, then the fewest sequences, then the
 * lowest index; -1: none.  DeepSeek's decode load balancer balances the KV cache use (the
 * core-attention work) and the request count across its data-parallel ranks (DeepSeek-V3/R1
 * inference system overview, github.com/deepseek-ai/open-infra-index, Day 6); SGLang's DP
 * controller dispatches round robin by default, or to the shortest queue (SGLang v0.4,
 * --load-balance-method).  Least KV in use at admission is a guess at the effect of such a
 * balancer, with the rank chosen when the replica admits the request.  With the rank policy
 * (reqsim.h) room is its reservation's (rank_takes).  O(ranks). */
static long pick_rank(const struct sim *s, const struct replica *r, int32_t qi) {
    const struct unit *u = r->u;
    if (!r->rk_b) return 0;
    const double need = s->rs[qi].in_eff, tps = s->tps, kv = u->kv_rank, mb = u->maxb_rank;
    const double *const rn = r->rk_n, *const rU = r->rk_U, *const rb = r->rk_b;
    long best = -1;
    if (u->policy) {
        /* rank_takes at j = 0, its expression term for term (a hot loop) */
        const double full = need + own_tokens(s, u, qi);
        const int empty_takes = need + 1 <= kv;
        const double *const rr = r->rk_ratio, *const rC = r->rk_C, *const rX = r->rk_X;
        for (long k = 0; k < u->nr; k++) {
            const double n = rn[k];
            if (!(n < mb) ||
                (n < 0.5 ? !empty_takes
                         : !(rU[k] + rb[k] * tps + rr[k] * rC[k] + rX[k] + full - kv < 0)))
                continue;
            if (best < 0 || rU[k] < rU[best] || (rU[k] == rU[best] && n < rn[best])) best = k;
        }
        return best;
    }
    for (long k = 0; k < u->nr; k++) {
        if (!(rn[k] < mb) || !(rU[k] + need + rb[k] * tps + 1 <= kv)) continue;
        if (best < 0 || rU[k] < rU[best] || (rU[k] == rU[best] && rn[k] < rn[best])) best = k;
    }
    return best;
}

/* The first iteration boundary j in [lo, hi] of the segment (its composition fixed) at which
 * some rank takes request qi (rank_takes), or LONG_MAX.  A rank's reservation after j
 * iterations is quadratic in j while its ratio decays (its KV grows by B = b x tokens per step
 * an iteration, its remaining tokens fall by D = the decoding under the clip x tokens per step,
 * its ratio by the decay) and then linear, never falling (B >= ratio x D): the first j of each
 * piece from its roots, checked by rank_takes itself.  O(ranks). */
static long first_fit(const struct sim *s, const struct replica *r, int32_t qi, long lo, long hi) {
    const struct unit *u = r->u;
    const struct rstate *st = &s->rs[qi];
    if (lo > hi || !(r->b + (double)r->n_prefill < u->maxb) || !(st->in_eff + 1 <= u->kv_rank))
        return LONG_MAX;
    const double in = st->in_eff, need = in + own_tokens(s, u, qi);
    long best = LONG_MAX;
    for (long k = 0; k < u->nr && best > lo; k++) {
        if (!(r->rk_n[k] < u->maxb_rank)) continue;
        const long top = hi < best - 1 ? hi : best - 1;
        if (rank_takes(s, r, k, (double)lo, in, need)) {
            best = lo;
            break;
        }
        if (!(r->rk_b[k] > 0) || r->rk_n[k] < 0.5) continue; /* the same at every j */
        const double B = r->rk_b[k] * s->tps, D = r->rk_nt[k] * s->tps, C = r->rk_C[k];
        const double dl = u->ratio_decay;
        /* ratio(j) = max(rp - dl j, ratio_min) */
        const double rp = r->rk_ratio[k] + r->rk_retr[k] * dl;
        const double j1 = dl > 0 ? floor((rp - u->ratio_min) / dl) : 1e18; /* quadratic to here */
        const double a0 = r->rk_U[k] + B + need - u->kv_rank;
        long found = LONG_MAX;
        if ((double)lo <= j1) {
            /* the quadratic piece: its first root x (the reservation under the KV after it) */
            const double c2 = dl * D, c1 = B - rp * D - dl * C, c0 = a0 + rp * C;
            double x = NAN;
            if (c2 > 0) {
                const double disc = c1 * c1 - 4 * c2 * c0;
                if (disc > 0) {
                    const double qq = -0.5 * (c1 + copysign(sqrt(disc), c1));
                    x = fmin(qq / c2, qq != 0 ? c0 / qq : qq / c2);
                }
            } else if (c1 < 0) {
                x = -c0 / c1;
            }
            if (x <= j1 && x < (double)top) {
                long j = x < (double)lo ? lo : (long)floor(x) + 1;
                if (j > lo && rank_takes(s, r, k, (double)(j - 1), in, need)) j--; /* rounding */
                for (int tries = 0; tries < 3 && j <= top; tries++, j++)
                    if (rank_takes(s, r, k, (double)j, in, need)) {
                        found = j;
                        break;
                    }
            }
        }
        if (found == LONG_MAX && j1 + 1 <= (double)top) {
            /* the linear piece never falls: its first iteration or none */
            const long j = j1 + 1 > (double)lo ? (long)(j1 + 1) : lo;
            if (rank_takes(s, r, k, (double)j, in, need)) found = j;
        }
        if (found < best) best = found;
    }
    return best;
}

/* ---- events --------------------------------------------------------------------------------- */

/* Is the stack entry e still a running request (not finished, preempted or moved since)? */
static int stack_live(const struct sim *s, int64_t e) {
    const struct rstate *st = &s->rs[tag_req(e)];
    return tag_stamp(e) == st->stamp && (st->state == ST_DECODE || st->state == ST_PREFILL);
}

static void stack_push(struct sim *s, struct replica *r, int32_t q) {
    /* drop the entries of requests no longer running, in order, when they are half the stack
     * (amortised O(1); the running ones keep their order, so LIFO preemption is unchanged) */
    if (r->stack_n >= 64 && (double)r->stack_n >= 2.0 * (r->b + (double)r->n_prefill)) {
        long w = 0;
        for (long i = 0; i < r->stack_n; i++)
            if (stack_live(s, r->stack[i])) r->stack[w++] = r->stack[i];
        r->stack_n = w;
    }
    if (grow((void **)&r->stack, &r->stack_cap, r->stack_n + 1, sizeof *r->stack) != 0) {
        s->nomem = 1;
        return;
    }
    r->stack[r->stack_n++] = tag(q, s->rs[q].stamp);
}

/* A sequence that finished its prefill at the end of iteration it (time t) starts decoding:
 * that iteration produced its first token. */
static void start_decode(struct sim *s, long ri, int32_t qi, long it, double t) {
    struct replica *r = &s->rep[ri];
    struct ic_request *q = &s->req[qi];
    struct rstate *st = &s->rs[qi];
    long total = decode_total(q);
    const double waited = r->rk_C ? own_tokens(s, r->u, qi) : 0; /* its reservation so far */
    st->gen += 1;
    if (st->gen >= (double)total) {
        rk_res(r, st->rank, -waited, 0);
        /* one token in all: done */
        if (isnan(q->first_token_s)) q->first_token_s = t;
        q->finish_s = t;
        q->status = IC_REQ_SERVED;
        st->state = ST_DONE;
        r->U -= st->in_eff;
        rk_add(r, st->rank, 0, 0, -st->in_eff, -1);
        set_outstanding(s, ri, -1);
        return;
    }
    st->state = ST_DECODE;
    st->dstart = it;
    r->b += 1;
    r->S += (double)q->input + st->gen; /* its context: the prompt and every token so far */
    r->U += 1;
    rk_add(r, st->rank, 1, (double)q->input + st->gen, 1, 0);
    if (r->rk_C) {
        /* the rank policy: its remaining output, clipped, then (under the clip) falling */
        const double left = (double)total - st->gen;
        st->tail = left <= r->u->clip;
        rk_res(r, st->rank, (st->tail ? left : r->u->clip) - waited, st->tail);
        if (!st->tail)
            dh_push(s, r, (struct dev){it + iters(s, left - r->u->clip), qi, st->stamp, EV_CLIP});
    }
    /* the first answer token: now, or after the reasoning tokens */
    double left_reason = (double)q->reasoning - st->gen;
    if (isnan(q->first_token_s)) {
        if (left_reason < 0)
            q->first_token_s = t;
        else
            dh_push(s, r, (struct dev){it + iters(s, left_reason + 1), qi, st->stamp, EV_REASONED});
    }
    dh_push(s, r, (struct dev){it + iters(s, (double)total - st->gen), qi, st->stamp, EV_FINISH});
}

/* Disaggregated: a prompt done on prefill unit ri at time t leaves it; its KV cache (the whole
 * context) reaches a decode unit after the transfer. */
static void transfer(struct sim *s, long ri, int32_t qi, double t) {
    struct replica *r = &s->rep[ri];
    struct rstate *st = &s->rs[qi];
    r->U -= st->in_eff;
    rk_add(r, st->rank, 0, 0, -st->in_eff, -1);
    set_outstanding(s, ri, -1);
    st->state = ST_TRANSFER;
    st->stamp++; /* its entries on the prefill unit are stale */
    double at = t + st->in_eff * s->rm->kv_transfer_s_per_token;
    if (s->xn == s->xcap && heap_grow(&s->xt, &s->xr, &s->xcap, 64)) {
        s->nomem = 1;
        return;
    }
    /* a min-heap by (time, request) */
    long i = s->xn++;
    while (i > 0) {
        long p = (i - 1) / 2;
        if (s->xt[p] < at || (s->xt[p] == at && s->xr[p] < qi)) break;
        s->xt[i] = s->xt[p];
        s->xr[i] = s->xr[p];
        i = p;
    }
    s->xt[i] = at;
    s->xr[i] = qi;
}

static void transfer_pop(struct sim *s) {
    double t = s->xt[--s->xn];
    int32_t q = s->xr[s->xn];
    long i = 0, n = s->xn;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n &&
            (s->xt[c + 1] < s->xt[c] || (s->xt[c + 1] == s->xt[c] && s->xr[c + 1] < s->xr[c])))
            c++;
        if (t < s->xt[c] || (t == s->xt[c] && q < s->xr[c])) break;
        s->xt[i] = s->xt[c];
        s->xr[i] = s->xr[c];
        i = c;
    }
    if (n > 0) {
        s->xt[i] = t;
        s->xr[i] = q;
    }
}

/* Waiting requests whose patience ran out by time t leave. */
static void purge_abandoned(struct sim *s, long ri, double t) {
    struct replica *r = &s->rep[ri];
    while (r->dl_n > 0 && r->dl_t[0] <= t) {
        int32_t qi = r->dl_r[0];
        double when = r->dl_t[0];
        dl_pop(r);
        struct ic_request *q = &s->req[qi];
        if (s->rs[qi].state == ST_WAITING && q->status == IC_REQ_UNFINISHED && isnan(q->admit_s)) {
            accumulate_counts(s, ri, when);
            q->status = IC_REQ_ABANDONED;
            q->finish_s = when;
            s->rs[qi].state = ST_DONE;
            r->n_waiting--;
            set_outstanding(s, ri, -1);
        }
    }
}

/* Does the front waiting request fit the replica (or unit) now?  *rank: the rank it goes to. */
static int fits_on(const struct sim *s, const struct replica *r, int32_t qi, long *rank) {
    const struct rstate *st = &s->rs[qi];
    /* its prompt, and room for the next iteration's decode tokens of everyone running */
    *rank = -1;
    if (r->u->policy) /* each rank's reservation (rank_takes) */
        return r->b + (double)r->n_prefill < r->u->maxb && st->in_eff + 1 <= r->u->kv_rank &&
               (*rank = pick_rank(s, r, qi)) >= 0;
    return r->b + (double)r->n_prefill < r->u->maxb &&
           r->U + st->in_eff + r->b * s->tps + 1 <= r->u->kv &&
           st->in_eff + 1 <= r->u->kv_rank &&  /* and on one rank */
           (*rank = pick_rank(s, r, qi)) >= 0; /* with room on one */
}

static int fits(const struct sim *s, const struct replica *r, int32_t qi) {
    long rank;
    return fits_on(s, r, qi, &rank);
}

/* Disaggregated back-pressure (the rule and its sources at the top): has the decode role room
 * for request qi's prompt? */
static int decode_room(const struct sim *s, int32_t qi) {
    if (s->pend_n == 0 && s->d_b < 0.5) return 1; /* an idle decode role takes any prompt */
    return s->d_b + (double)s->pend_n < s->d_maxb &&
           s->d_used + s->pend_tok + s->rs[qi].in_eff + 1 <= s->d_kv;
}

/* Can the front waiting request be admitted now?  (A prefill unit: while prefill units are
 * blocked on the decode role, only the one woken for it, wake_blocked, so that prompts go to
 * the decode role in the order they arrived, as from one queue at the front door.) */
static int can_admit_on(const struct sim *s, const struct replica *r, int32_t qi, long *rank) {
    *rank = -1;
    return (r->u->role != ROLE_PREFILL ||
            ((s->n_blocked == 0 || r == s->waking) && decode_room(s, qi))) &&
           fits_on(s, r, qi, rank);
}

static int can_admit(const struct sim *s, const struct replica *r, int32_t qi) {
    long rank;
    return can_admit_on(s, r, qi, &rank);
}

static void set_blocked(struct sim *s, struct replica *r, int v) {
    if (r->blocked != v) s->n_blocked += v ? 1 : -1;
    r->blocked = v;
}

/* A prompt committed to the decode role (+1) or admitted by a decode unit (-1). */
static void commit(struct sim *s, double tokens, int sign) {
    s->pend_n += sign;
    s->pend_tok += sign * tokens;
    if (s->pend_n == 0) s->pend_tok = 0; /* no rounding left over */
}

/* The prompt tokens a replica's prefix cache holds for request qi (replay), and remember its
 * blocks. */
static double prefix_hit(struct sim *s, struct replica *r, int32_t qi) {
    const struct ic_request *q = &s->req[qi];
    if (!s->cfg->hashes) return q->cached;
    long hit = 0;
    int prefix = 1;
    for (long h = q->hash_start; h < q->hash_end; h++) {
        if (prefix && pc_has(r, s->cfg->hashes[h]))
            hit++;
        else
            prefix = 0;
        if (pc_add(r, s->cfg->hashes[h]) != 0) s->nomem = 1;
    }
    double tokens = (double)hit * (double)s->cfg->block_tokens;
    return tokens < (double)q->input - 1 ? tokens : (double)q->input - 1;
}

static void admit(struct sim *s, long ri, double t) {
    struct replica *r = &s->rep[ri];
    if (r->u->role == ROLE_PREFILL) set_blocked(s, r, 0);
    if (r->x_dirty) { /* a new round: last round's prompts count at the ratio now */
        memset(r->rk_X, 0, (size_t)r->u->nr * sizeof *r->rk_X);
        r->x_dirty = 0;
    }
    while (r->waiting.n > 0) {
        int32_t qi = tag_req(dq_front(&r->waiting));
        struct ic_request *q = &s->req[qi];
        struct rstate *st = &s->rs[qi];
        if (st->state != ST_WAITING || q->status != IC_REQ_UNFINISHED) {
            dq_pop_front(&r->waiting); /* abandoned while waiting */
            continue;
        }
        long rank;
        if (!can_admit_on(s, r, qi, &rank)) {
            /* a prompt larger than the whole cache can never run */
            if (r->b + (double)r->n_prefill == 0 && st->in_eff + 1 > r->u->kv_rank) {
                if (r->u->role == ROLE_DECODE) commit(s, st->in_eff, -1);
                dq_pop_front(&r->waiting);
                accumulate_counts(s, ri, t);
                q->status = IC_REQ_REJECTED;
                q->finish_s = t;
                st->state = ST_DONE;
                r->n_waiting--;
                set_outstanding(s, ri, -1);
                continue;
            }
            if (r->u->role == ROLE_PREFILL && fits(s, r, qi)) set_blocked(s, r, 1);
            break;
        }
        dq_pop_front(&r->waiting);
        accumulate_counts(s, ri, t);
        r->n_waiting--;
        if (r->u->role == ROLE_PREFILL)
            commit(s, st->in_eff, +1);
        else if (r->u->role == ROLE_DECODE)
            commit(s, st->in_eff, -1);
        if (st->handoff) {
            /* from a prefill unit: the last prompt token makes the first token */
            st->rem = 1;
            st->handoff = 0;
        } else if (isnan(q->admit_s)) {
            q->admit_s = t;
            double hit = prefix_hit(s, r, qi);
            q->cache_hit_tokens = (int32_t)hit;
            st->rem = st->in_eff - hit;
        } else {
            st->rem = st->in_eff - q->cache_hit_tokens; /* recompute after a preemption */
        }
        if (st->rem < 1) st->rem = 1; /* the last prompt token makes the first answer token */
        st->state = ST_PREFILL;
        r->U += st->in_eff;
        st->rank = (int32_t)rank;
        rk_add(r, st->rank, 0, 0, st->in_eff, 1);
        if (r->rk_C) {
            /* the rank policy: its remaining output joins the rank's, in full for this round */
            const double own = own_tokens(s, r->u, qi);
            rk_res(r, st->rank, own, 0);
            r->rk_X[rank] += (1 - r->rk_ratio[rank]) * own;
            r->x_dirty = 1;
        }
        if (dq_push_back(&r->prefill, tag(qi, st->stamp)) != 0) s->nomem = 1;
        r->n_prefill++;
        r->prefill_rem += st->rem;
        stack_push(s, r, qi);
    }
}

/* Preempt running request qi at iteration boundary it (time t): it waits again, at the front
 * of the queue (vLLM) or its back (SGLang's retraction), and later recomputes its prompt and
 * what it had generated. */
static void preempt(struct sim *s, long ri, int32_t qi, long it, double t, int back) {
    struct replica *r = &s->rep[ri];
    struct rstate *st = &s->rs[qi];
    struct ic_request *q = &s->req[qi];
    if (st->state == ST_DECODE) {
        double gen = st->gen + (double)(it - st->dstart) * s->tps;
        double ctx = (double)q->input + gen;
        if (r->rk_C)
            rk_res(r, st->rank, -(st->tail ? decode_tokens_left(s, qi, it) : r->u->clip),
                   -st->tail);
        r->b -= 1;
        r->S -= ctx;
        r->U -= ctx;
        rk_add(r, st->rank, -1, -ctx, -ctx, -1);
        st->in_eff = (double)q->input + gen; /* the prompt and what it said so far */
        st->gen = gen;
    } else {
        if (r->rk_C) rk_res(r, st->rank, -own_tokens(s, r->u, qi), 0);
        r->U -= st->in_eff;
        r->prefill_rem -= st->rem;
        r->n_prefill--;
        rk_add(r, st->rank, 0, 0, -st->in_eff, -1);
    }
    accumulate_counts(s, ri, t);
    if (r->u->role == ROLE_DECODE) commit(s, st->in_eff, +1); /* it waits there again */
    st->state = ST_WAITING;
    st->stamp++;
    q->preemptions++;
    r->n_waiting++;
    if ((back ? dq_push_back : dq_push_front)(&r->waiting, tag(qi, st->stamp)) != 0) s->nomem = 1;
    s->stats->preemptions++;
}

/* Preempt the most recently admitted running request (vLLM's v0 scheduler). */
static int preempt_one(struct sim *s, long ri, long it, double t) {
    struct replica *r = &s->rep[ri];
    while (r->stack_n > 0) {
        int64_t e = r->stack[--r->stack_n];
        if (!stack_live(s, e)) continue; /* finished or preempted since: a stale entry */
        preempt(s, ri, tag_req(e), it, t, 0);
        return 1;
    }
    return 0;
}

static int cand_cmp(const void *pa, const void *pb) {
    const struct cand *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    if (a->gen != b->gen) return a->gen < b->gen ? -1 : 1;
    if (a->input != b->input) return a->input > b->input ? -1 : 1;
    return a->pos > b->pos ? -1 : a->pos < b->pos;
}

/* The rank policy (reqsim.h): every rank whose decoding sequences' next tokens do not fit its
 * KV retracts as SGLang's ScheduleBatch.retract_decode does (v0.4): its decoding sequences in
 * the order of struct cand, at least one and never the last, until its free KV holds
 * retract_steps tokens for each of the rest, each to the back of the queue to recompute
 * (Scheduler.update_running_batch: waiting_queue.extend); then its ratio is their generated
 * tokens plus retract_steps each over their total (SGLang: over their max_new_tokens, which
 * the engine takes to be the request's length), at most 1, and its next iteration does not
 * decay it.  (Should a last sequence still not fit, it goes too.)  O(running log running). */
static void retract_ranks(struct sim *s, long ri, double t) {
    struct replica *r = &s->rep[ri];
    const struct unit *u = r->u;
    const long it = r->i0;
    int any = 0;
    for (long k = 0; k < u->nr; k++)
        if (r->rk_b[k] > 0 && r->rk_U[k] + r->rk_b[k] * s->tps > u->kv_rank)
            r->rk_retr[k] = 1, any = 1;
    if (!any) return;
    long n = 0;
    for (long i = 0; i < r->stack_n; i++) {
        const int64_t e = r->stack[i];
        const int32_t qi = tag_req(e);
        const struct rstate *st = &s->rs[qi];
        if (!stack_live(s, e) || st->state != ST_DECODE || !(r->rk_retr[st->rank] > 0)) continue;
        if (grow((void **)&s->cand, &s->cand_cap, n + 1, sizeof *s->cand) != 0) {
            s->nomem = 1;
            return;
        }
        s->cand[n++] = (struct cand){st->gen + (double)(it - st->dstart) * s->tps,
                                     (double)s->req[qi].input, i, qi, st->rank};
    }
    qsort(s->cand, (size_t)n, sizeof *s->cand, cand_cmp);
    for (long a = 0, b; a < n; a = b) {
        const int32_t k = s->cand[a].rank;
        for (b = a; b < n && s->cand[b].rank == k; b++) {
        }
        long i = a;
        do {
            if (b - i <= 1) break;
            preempt(s, ri, s->cand[i++].req, it, t, 1);
        } while (u->kv_rank - r->rk_U[k] < (double)(b - i) * u->retract_steps);
        while (i < b && r->rk_U[k] + r->rk_b[k] * s->tps > u->kv_rank)
            preempt(s, ri, s->cand[i++].req, it, t, 1);
        double gen = 0, total = 0;
        for (long c = i; c < b; c++) {
            gen += s->cand[c].gen;
            total += (double)decode_total(&s->req[s->cand[c].req]);
        }
        if (i < b && total > 0)
            r->rk_ratio[k] = fmin(1.0, (gen + u->retract_steps * (double)(b - i)) / total);
    }
}

/* The end of a segment's first j iterations (time t): apply what they did. */
static void advance(struct sim *s, long ri, long j, double t) {
    struct replica *r = &s->rep[ri];
    accumulate_counts(s, ri, t);
    if (j > 0) {
        accumulate(s, s->acc_busy, ri, r->t0, t, 1.0, 1.0);
        double kv = r->u->kv;
        accumulate(s, s->acc_kv, ri, r->t0, t, r->U / kv, (r->U + (double)j * r->b * s->tps) / kv);
        s->stats->iterations += (double)j;
        s->stats->segments += 1;
        s->stats->decode_tokens += (double)j * r->b * s->tps;
        s->stats->prefill_tokens += (double)j * r->P;
        s->stats->busy_s += t - r->t0;
    }
    r->S += (double)j * r->b * s->tps;
    r->U += (double)j * r->b * s->tps;
    if (r->rk_b)
        for (long k = 0; k < r->u->nr; k++) {
            r->rk_S[k] += (double)j * r->rk_b[k] * s->tps;
            r->rk_U[k] += (double)j * r->rk_b[k] * s->tps;
            if (!r->rk_C || j < 1) continue;
            /* the rank policy: the remaining tokens under the clip fall; the ratio decays by a
             * step each iteration the rank decodes, but the first after a retraction (SGLang's
             * update_running_batch: max(ratio - decay, min)) */
            if (r->rk_nt[k] > 0) r->rk_C[k] -= (double)j * r->rk_nt[k] * s->tps;
            const double nd = (double)j - r->rk_retr[k];
            if (r->rk_b[k] > 0 && nd > 0 && r->rk_ratio[k] != r->u->ratio_min)
                r->rk_ratio[k] = fmax(r->rk_ratio[k] - nd * r->u->ratio_decay, r->u->ratio_min);
            r->rk_retr[k] = 0;
        }
    long it = r->i0 + j;
    /* prefill: j chunks of P tokens, first come first served */
    double tokens = (double)j * r->P;
    while (tokens > 0 && r->prefill.n > 0) {
        int64_t e = dq_front(&r->prefill);
        int32_t qi = tag_req(e);
        struct rstate *st = &s->rs[qi];
        if (st->state != ST_PREFILL || tag_stamp(e) != st->stamp) {
            dq_pop_front(&r->prefill);
            continue;
        }
        double use = tokens < st->rem ? tokens : st->rem;
        st->rem -= use;
        r->prefill_rem -= use;
        tokens -= use;
        if (st->rem <= 1e-9) {
            dq_pop_front(&r->prefill);
            r->n_prefill--;
            if (r->u->role == ROLE_PREFILL)
                transfer(s, ri, qi, t);
            else
                start_decode(s, ri, qi, it, t);
        }
    }
    if (r->prefill_rem < 1e-9) r->prefill_rem = 0;
    r->i0 = it;
    r->t0 = t;
    /* decoding sequences whose reasoning ends or which finish at this iteration */
    while (r->heap_n > 0 && r->heap[0].key <= it) {
        struct dev e = r->heap[0];
        dh_pop(r);
        struct rstate *st = &s->rs[e.req];
        struct ic_request *q = &s->req[e.req];
        if (e.stamp != st->stamp || st->state != ST_DECODE) continue;
        if (e.kind == EV_REASONED) {
            if (isnan(q->first_token_s)) q->first_token_s = t;
            continue;
        }
        if (e.kind == EV_CLIP) { /* its remaining output is under the clip from now */
            rk_res(r, st->rank, decode_tokens_left(s, e.req, it) - r->u->clip, 1);
            st->tail = 1;
            continue;
        }
        if (r->rk_C)
            rk_res(r, st->rank, -(st->tail ? decode_tokens_left(s, e.req, it) : r->u->clip),
                   -st->tail);
        double ctx = (double)q->input + st->gen + (double)(it - st->dstart) * s->tps;
        r->b -= 1;
        r->S -= ctx;
        r->U -= ctx;
        rk_add(r, st->rank, -1, -ctx, -ctx, -1);
        if (isnan(q->first_token_s)) q->first_token_s = t;
        q->finish_s = t;
        q->status = IC_REQ_SERVED;
        st->state = ST_DONE;
        set_outstanding(s, ri, -1);
    }
    if (r->b < 0.5) r->b = 0, r->S = 0;
}

/* End the segment at the first iteration boundary at or after time ta. */
/* The first iteration boundary hi of r's segment (1..k) at or after dt seconds into it:
 * T(hi - 1) < dt <= T(hi), by bisection on seg_time (k when none is earlier). */
static long boundary_at(const struct replica *r, double dt) {
    long lo = 0, hi = r->k;
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (seg_time(r, (double)mid) < dt)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

static void truncate_at(struct replica *r, double ta) {
    if (r->k <= 1) return;
    double dt = ta - r->t0;
    if (dt <= 0) return;
    const long hi = boundary_at(r, dt);
    if (hi < r->k) {
        r->k = hi;
        r->t_end = r->t0 + seg_time(r, (double)hi);
    }
}

/* The mean attention context per token of the next iteration's P prefill tokens, which are
 * taken first come first served from the prefill FIFO: a prompt's piece of c tokens after a
 * prefix of p (its cached and already prefilled tokens) attends causally over p + c/2 tokens on
 * average, its attention FLOPs proportional to c (p + c/2) (Dao et al., "FlashAttention",
 * NeurIPS 2022, arXiv:2205.14135: causal attention of a chunk against its prefix; models/perf.c
 * prices prefill attention as prefill tokens x pctx), so a chunk that spans several prompts
 * pays their pieces' sum, each over its own prefix, not the head's prefix plus half the chunk.
 * With attention ranks the prefill queue is the replica's (reqsim.h): the mean over the tokens
 * of all of its lanes.  O(pieces): the prompts the chunk reaches, which it mostly finishes. */
static double chunk_context(const struct sim *s, const struct replica *r, double P) {
    const struct deque *d = &r->prefill;
    double left = P, sum = 0;
    for (long k = 0; k < d->n && left > 0; k++) {
        int64_t e = d->v[(d->head + k) % d->cap];
        const struct rstate *st = &s->rs[tag_req(e)];
        if (st->state != ST_PREFILL || tag_stamp(e) != st->stamp) continue; /* stale */
        double c = left < st->rem ? left : st->rem, p = st->in_eff - st->rem;
        if (k == 0 && c >= P) return p + 0.5 * P; /* within the head's prompt */
        sum += c * (p + 0.5 * c);
        left -= c;
    }
    return P - left > 0 ? sum / (P - left) : 0;
}

/* Plan the next segment of replica ri, which stands at an iteration boundary at time t. */
static void plan(struct sim *s, long ri, double t) {
    struct replica *r = &s->rep[ri];
    r->pending_admit = 0;
    for (;;) {
        purge_abandoned(s, ri, t);
        admit(s, ri, t);
        if (r->u->policy) {
            /* each rank retracts its own (SGLang admits, then checks the decode's memory) */
            retract_ranks(s, ri, t);
            break;
        }
        /* the next iteration needs b more KV tokens: preempt until they fit */
        if (r->b > 0 && r->U + r->b * s->tps > r->u->kv && preempt_one(s, ri, r->i0, t)) continue;
        break;
    }
    if (r->u->role == ROLE_DECODE) {
        /* the decode role's use as of this boundary (back-pressure): its sequences, those
         * pushing their last prompt token included */
        const double used = r->U + r->b * s->tps, seqs = r->b + (double)r->n_prefill;
        s->d_used += used - r->d_used;
        s->d_b += seqs - r->d_b;
        r->d_used = used;
        r->d_b = seqs;
    }
    const struct unit *u = r->u;
    double B = u->B;
    r->P = 0;
    r->c = 0;
    r->q0 = 0;
    r->dq = 0;
    /* drop stale entries at the front of the prefill FIFO */
    while (r->prefill.n > 0) {
        int64_t e = dq_front(&r->prefill);
        const struct rstate *st = &s->rs[tag_req(e)];
        if (st->state == ST_PREFILL && tag_stamp(e) == st->stamp) break;
        dq_pop_front(&r->prefill);
    }
    double head_rem = 0;
    /* the budget a rank's decode tokens leave it */
    const double room = B - r->b * s->dtok / u->ranks;
    if (r->prefill.n > 0 && room >= 1) {
        int32_t h = tag_req(dq_front(&r->prefill));
        head_rem = s->rs[h].rem;
        /* a prompt on one rank: as many chunks at once as ranks with a prompt (first come
         * first served over the queue at their sum) */
        double lanes = u->ranks < (double)r->n_prefill ? u->ranks : (double)r->n_prefill;
        if (lanes < 1) lanes = 1;
        r->c = room < r->prefill_rem / lanes ? room : r->prefill_rem / lanes;
        r->P = u->ranks == 1 ? r->c : r->c * lanes;
        /* attention context of the next chunk, each prompt's piece over its own prefix; while
         * the chunks are the head's alone it grows by a chunk an iteration */
        r->q0 = chunk_context(s, r, r->P);
        r->dq = r->P;
    }
    if (r->b <= 0 && r->P <= 0) {
        r->k = 0;
        r->t_end = INFINITY; /* idle until an arrival */
        if (u->policy)       /* SGLang's idle scheduler starts its ratio over */
            for (long q = 0; q < u->nr; q++) r->rk_ratio[q] = u->ratio_init, r->rk_retr[q] = 0;
        return;
    }
    long k = LONG_MAX;
    if (r->heap_n > 0) {
        long d = r->heap[0].key - r->i0;
        if (d < 1) d = 1;
        if (d < k) k = d;
    }
    if (r->P > 0) {
        /* the chunks wholly within the head's prompt; the one that finishes it with pieces of
         * the next prompts (priced by chunk_context), or a last, shorter one as the queue
         * empties, is its own segment of one iteration */
        long d = (long)floor(head_rem / r->P + 1e-12);
        if (d < 1) d = 1;
        if (d < k) k = d;
    }
    if (r->b > 0 && !u->policy) {
        long d = (long)floor((u->kv - r->U) / (r->b * s->tps));
        if (d < 1) d = 1;
        if (d < k) k = d;
    }
    if (r->rk_b) {
        /* attention ranks: the busiest rank by decode attention
         * (its context, which the attention's memory and FLOPs both follow), the segment
         * ending before another, with more sequences, overtakes it (the step is priced at the
         * busiest, seg_coefficients) */
        long m = 0;
        for (long q = 1; q < u->nr; q++)
            if (r->rk_S[q] > r->rk_S[m] || (r->rk_S[q] == r->rk_S[m] && r->rk_b[q] > r->rk_b[m]))
                m = q;
        r->busiest = m;
        long fill = -1; /* the rank policy: the rank whose own KV cache fills first */
        for (long q = 0; q < u->nr; q++) {
            if (!(r->rk_b[q] > 0)) continue;
            if (u->policy && (fill < 0 || (u->kv_rank - r->rk_U[q]) * r->rk_b[fill] <
                                              (u->kv_rank - r->rk_U[fill]) * r->rk_b[q]))
                fill = q;
            if (r->rk_b[q] > r->rk_b[m]) {
                /* rank q is the busiest from iteration x = (S_m - S_q) / ((b_q - b_m) tps) on
                 * (at x they tie, and it has more sequences; ceil, not floor + 1: a tie at a
                 * whole x was priced at m; less a rounding's margin: an early end is only a
                 * segment more) */
                double x = (r->rk_S[m] - r->rk_S[q]) / ((r->rk_b[q] - r->rk_b[m]) * s->tps);
                long dx = x < 1e15 ? (long)ceil(x - 1e-9) : LONG_MAX;
                if (dx < 1) dx = 1;
                if (dx < k) k = dx;
            }
        }
        if (fill >= 0) {
            long d = (long)floor((u->kv_rank - r->rk_U[fill]) / (r->rk_b[fill] * s->tps));
            if (d < 1) d = 1;
            if (d < k) k = d;
        }
    }
    if (k == LONG_MAX) k = 1;
    if (u->policy) {
        /* a waiting prompt no rank takes now: the first iteration one does (its reservation
         * falls as the ratio decays) */
        while (r->waiting.n > 0) {
            int32_t h = tag_req(dq_front(&r->waiting));
            if (s->rs[h].state == ST_WAITING && s->req[h].status == IC_REQ_UNFINISHED) break;
            dq_pop_front(&r->waiting);
        }
        if (r->waiting.n > 0) {
            long d = first_fit(s, r, tag_req(dq_front(&r->waiting)), 1, k);
            if (d < k) k = d;
        }
    }
    seg_coefficients(s, r);
    /* the end of the window */
    double left = s->cfg->horizon_s - t;
    if (seg_time(r, (double)k) > left) {
        long lo = 0, hi = k; /* T(lo) <= left < T(hi) */
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (seg_time(r, (double)mid) <= left)
                lo = mid;
            else
                hi = mid;
        }
        k = hi;
    }
    r->k = k;
    r->t_end = t + seg_time(r, (double)k);
    /* A blocked request at the head of the queue whose patience runs out unblocks the ones
     * behind it: end the segment at the first iteration boundary after that. */
    while (r->waiting.n > 0) {
        int32_t h = tag_req(dq_front(&r->waiting));
        if (s->rs[h].state == ST_WAITING && s->req[h].status == IC_REQ_UNFINISHED) break;
        dq_pop_front(&r->waiting);
    }
    if (r->waiting.n > 0) {
        const struct ic_request *h = &s->req[tag_req(dq_front(&r->waiting))];
        double dl = h->arrival_s + h->patience_s;
        if (isnan(h->admit_s) && dl < r->t_end) truncate_at(r, dl);
    }
}

/* An arrival at time ta that replica ri could admit: end its segment at the first iteration
 * boundary at or after ta. */
static void interrupt(struct sim *s, long ri, double ta) {
    struct replica *r = &s->rep[ri];
    if (r->pending_admit) return;
    truncate_at(r, ta);
    r->pending_admit = 1;
}

/* The rank policy: request qi arrived at time ta at the empty queue of busy replica ri: end
 * its segment at the first iteration boundary at or after ta at which a rank takes it
 * (first_fit), if one in the segment does. */
static void interrupt_fit(struct sim *s, long ri, int32_t qi, double ta) {
    struct replica *r = &s->rep[ri];
    if (r->pending_admit || r->k < 1) return;
    const long j = first_fit(s, r, qi, boundary_at(r, ta - r->t0), r->k);
    if (j > r->k) return;
    if (j < r->k) {
        r->k = j;
        r->t_end = r->t0 + seg_time(r, (double)j);
    }
    r->pending_admit = 1;
}

/* An arrival (or a prompt handed over) at time ta joins replica ri's queue, which it heads:
 * end the segment where it may be admitted. */
static void wake_for(struct sim *s, long ri, int32_t qi, double ta) {
    struct replica *r = &s->rep[ri];
    if (r->u->policy)
        interrupt_fit(s, ri, qi, ta);
    else if (can_admit(s, r, qi))
        interrupt(s, ri, ta);
    else
        return;
    heap_fix(s, s->eh, s->eh_pos, s->R, s->eh_pos[ri], eh_less);
}

/* Disaggregated back-pressure: room on the decode role (its units' use fell at time t) goes to
 * the idle prefill units blocked on it, the one whose front prompt arrived first first, as one
 * queue at the front door would (a busy blocked unit admits at its next iteration boundary). */
static void wake_blocked(struct sim *s, double t) {
    while (s->n_blocked > 0) {
        long best = -1;
        double first = INFINITY;
        for (long i = 0; i < s->Ra; i++) {
            struct replica *r = &s->rep[i];
            if (!r->blocked || r->t_end != INFINITY) continue;
            purge_abandoned(s, i, t);
            while (r->waiting.n > 0) { /* drop the abandoned at the front */
                int32_t h = tag_req(dq_front(&r->waiting));
                if (s->rs[h].state == ST_WAITING && s->req[h].status == IC_REQ_UNFINISHED) break;
                dq_pop_front(&r->waiting);
            }
            if (r->waiting.n == 0) {
                set_blocked(s, r, 0);
                continue;
            }
            double a = s->req[tag_req(dq_front(&r->waiting))].arrival_s;
            if (a < first) first = a, best = i;
        }
        if (best < 0 || !decode_room(s, tag_req(dq_front(&s->rep[best].waiting)))) return;
        struct replica *r = &s->rep[best];
        const long before = s->pend_n;
        r->t0 = t;
        s->waking = r;
        plan(s, best, t);
        s->waking = NULL;
        heap_fix(s, s->eh, s->eh_pos, s->R, s->eh_pos[best], eh_less);
        if (s->pend_n == before) return; /* nothing admitted */
    }
}

/* ---- the run -------------------------------------------------------------------------------- */

static long route(struct sim *s) {
    const long R = s->Ra;
    switch (s->cfg->routing) {
    case IC_ROUTE_LEAST_OUTSTANDING:
        return s->oh[0];
    case IC_ROUTE_POWER_OF_TWO: {
        if (R == 1) return 0;
        long a = (long)(ic_rng_u64(&s->rng) % (uint64_t)R);
        long b = (long)(ic_rng_u64(&s->rng) % (uint64_t)(R - 1));
        if (b >= a) b++;
        return s->outstanding[b] < s->outstanding[a] ? b : a;
    }
    default:
        return s->rr++ % R;
    }
}

double ic_reqsim_memory_bytes(const struct ic_reqsim_config *cfg, long n, long n_hashes,
                              double *nout) {
    /* As ic_reqsim_run sizes them, in double so that nothing overflows. */
    double intervals = cfg->interval_s > 0 ? ceil(cfg->horizon_s / cfg->interval_s - 1e-9) : 1;
    if (!(intervals >= 1)) intervals = 1;
    if (nout) *nout = intervals;
    double R = (double)(cfg->replicas > 0 ? cfg->replicas : 1);
    double per_cell = 4.0 * sizeof(double) + 4.0 * sizeof(float); /* accumulators + series */
    double per_replica = sizeof(struct replica) + 5.0 * sizeof(long);
    /* each request: its own record and state, and at most one entry in each queue at a time
     * (waiting or prefill deque, decode heap, running stack, deadline arrays), doubling */
    double per_request = sizeof(struct ic_request) + sizeof(struct rstate) +
                         2.0 * (2 * sizeof(int64_t) + sizeof(struct dev) + sizeof(int64_t) +
                                sizeof(double) + sizeof(int32_t));
    double per_hash = 4.0 * sizeof(int64_t); /* the open-addressing caches at half load, grown */
    return R * intervals * per_cell + R * per_replica + (double)n * per_request +
           (double)n_hashes * per_hash;
}

void ic_reqsim_series_free(struct ic_reqsim_series *s) {
    free(s->busy);
    free(s->kv);
    free(s->running);
    free(s->waiting);
    memset(s, 0, sizeof *s);
}

static void sim_free(struct sim *s) {
    for (long i = 0; s->rep && i < s->R; i++) {
        struct replica *r = &s->rep[i];
        free(r->waiting.v);
        free(r->prefill.v);
        free(r->heap);
        free(r->stack);
        free(r->dl_t);
        free(r->dl_r);
        free(r->pc);
        free(r->rk_b);
    }
    free(s->rep);
    free(s->rs);
    free(s->eh);
    free(s->eh_pos);
    free(s->oh);
    free(s->oh_pos);
    free(s->outstanding);
    free(s->acc_busy);
    free(s->acc_kv);
    free(s->acc_run);
    free(s->acc_wait);
    free(s->xt);
    free(s->xr);
    free(s->cand);
}

long ic_reqsim_units(const struct ic_replica_model *rm, long replicas, long *prefill,
                     long *decode) {
    if (!rm->disaggregated) {
        *prefill = replicas;
        *decode = 0;
        return replicas;
    }
    double p = floor((double)replicas * rm->prefill_units + 0.5);
    double d = floor((double)replicas * rm->decode_units + 0.5);
    *prefill = p >= 1 ? (long)fmin(p, 1e9) : 1;
    *decode = d >= 1 ? (long)fmin(d, 1e9) : 1;
    return *prefill + *decode;
}

static void unit_init(struct unit *u, const struct ic_perf_params *pp, double kv_rank,
                      long max_batch, long max_tokens, double ranks, int role) {
    u->pp = pp;
    u->ranks = ranks > 0 ? ranks : 1.0;
    u->dpp = pp->attention_dp > 1 ? (double)pp->attention_dp : 1.0;
    u->kv_rank = kv_rank;
    u->kv = kv_rank * u->ranks;
    u->maxb = (double)max_batch * u->ranks;
    u->nr = u->ranks >= 1.5 ? (long)floor(u->ranks + 0.5) : 1;
    u->maxb_rank = (double)max_batch;
    u->B = (double)max_tokens;
    u->role = role;
    /* the rank policy: attention ranks that decode (a prefill unit's sequences do not grow) */
    u->policy = u->nr > 1 && role != ROLE_PREFILL;
    u->ratio_init = pp->ratio_init;
    u->ratio_min = pp->ratio_min;
    u->ratio_decay =
        pp->ratio_decay_steps > 0 ? (pp->ratio_init - pp->ratio_min) / pp->ratio_decay_steps : 0;
    u->retract_steps = pp->retract_steps;
    u->clip = pp->clip_tokens > 0 ? pp->clip_tokens : INFINITY;
}

size_t ic_reqsim_state_bytes(void) {
    return sizeof(struct rstate);
}

int ic_reqsim_run(const struct ic_reqsim_config *cfg, const struct ic_replica_model *rm,
                  struct ic_request *req, long n, struct ic_reqsim_series *series,
                  struct ic_reqsim_stats *stats, struct ic_error *err) {
    memset(series, 0, sizeof *series);
    memset(stats, 0, sizeof *stats);
    if (cfg->replicas < 1)
        return ic_error_set(err, IC_ERR_INVALID, "the request engine needs at least one replica");
    if (!(rm->kv_tokens >= 1) || rm->max_batch < 1 || rm->max_tokens < 1)
        return ic_error_set(err, IC_ERR_INVALID,
                            "the replica has no room: KV cache %g tokens, batch %ld, token "
                            "budget %ld",
                            rm->kv_tokens, rm->max_batch, rm->max_tokens);
    if (rm->disaggregated &&
        (!(rm->decode.kv_tokens >= 1) || rm->decode.max_batch < 1 || rm->decode.max_tokens < 1 ||
         !(rm->prefill_units > 0) || !(rm->decode_units > 0)))
        return ic_error_set(err, IC_ERR_INVALID,
                            "the decode unit has no room: KV cache %g tokens, batch %ld, token "
                            "budget %ld, %g prefill and %g decode units per replica",
                            rm->decode.kv_tokens, rm->decode.max_batch, rm->decode.max_tokens,
                            rm->prefill_units, rm->decode_units);
    struct sim s;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.rm = rm;
    s.req = req;
    s.n = n;
    long np, nd;
    s.R = ic_reqsim_units(rm, cfg->replicas, &np, &nd);
    s.Ra = np;
    s.stats = stats;
    s.tps = rm->tokens_per_step > 1 ? rm->tokens_per_step : 1.0;
    s.dtok = 1.0 + (rm->pp.mtp > 0 ? (double)rm->pp.mtp : 0.0);
    unit_init(&s.unit[0], &rm->pp, rm->kv_tokens, rm->max_batch, rm->max_tokens, rm->ranks,
              rm->disaggregated ? ROLE_PREFILL : ROLE_BOTH);
    unit_init(&s.unit[1], &rm->decode.pp, rm->decode.kv_tokens, rm->decode.max_batch,
              rm->decode.max_tokens, rm->decode.ranks, ROLE_DECODE);
    /* admission control: a prefill unit's share of the replicas' rate */
    s.arrival_rps = rm->disaggregated ? rm->capacity_rps * (double)cfg->replicas / (double)np
                                      : rm->capacity_rps;
    s.d_kv = (double)nd * s.unit[1].kv;
    s.d_maxb = (double)nd * s.unit[1].maxb;
    s.nout = (long)ceil(cfg->horizon_s / cfg->interval_s - 1e-9);
    if (s.nout < 1) s.nout = 1;
    size_t nr = (size_t)s.R, ns = nr * (size_t)s.nout;
    s.rep = calloc(nr, sizeof *s.rep);
    s.rs = calloc((size_t)(n > 0 ? n : 1), sizeof *s.rs);
    s.eh = malloc(nr * sizeof *s.eh);
    s.eh_pos = malloc(nr * sizeof *s.eh_pos);
    s.oh = malloc(nr * sizeof *s.oh);
    s.oh_pos = malloc(nr * sizeof *s.oh_pos);
    s.outstanding = calloc(nr, sizeof *s.outstanding);
    s.acc_busy = calloc(ns, sizeof(double));
    s.acc_kv = calloc(ns, sizeof(double));
    s.acc_run = calloc(ns, sizeof(double));
    s.acc_wait = calloc(ns, sizeof(double));
    if (!s.rep || !s.rs || !s.eh || !s.eh_pos || !s.oh || !s.oh_pos || !s.outstanding ||
        !s.acc_busy || !s.acc_kv || !s.acc_run || !s.acc_wait) {
        sim_free(&s);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for %ld requests on %ld replicas", n,
                            s.R);
    }
    for (long i = 0; i < s.R; i++) {
        s.rep[i].u = &s.unit[i < s.Ra ? 0 : 1];
        s.rep[i].t_end = INFINITY;
        const long nrk = s.rep[i].u->nr;
        if (nrk > 1) {
            const int pol = s.rep[i].u->policy;
            double *v = calloc((size_t)((pol ? 9 : 4) * nrk), sizeof *v);
            if (!v) s.nomem = 1;
            s.rep[i].rk_b = v;
            s.rep[i].rk_S = v ? v + nrk : NULL;
            s.rep[i].rk_U = v ? v + 2 * nrk : NULL;
            s.rep[i].rk_n = v ? v + 3 * nrk : NULL;
            if (v && pol) {
                s.rep[i].rk_C = v + 4 * nrk;
                s.rep[i].rk_nt = v + 5 * nrk;
                s.rep[i].rk_ratio = v + 6 * nrk;
                s.rep[i].rk_X = v + 7 * nrk;
                s.rep[i].rk_retr = v + 8 * nrk;
                for (long k = 0; k < nrk; k++) s.rep[i].rk_ratio[k] = s.rep[i].u->ratio_init;
            }
        }
        s.eh[i] = s.oh[i] = i;
        s.eh_pos[i] = s.oh_pos[i] = i;
    }
    ic_rng_init(&s.rng, cfg->seed, 0, IC_STREAM_REQUESTS, 0); /* routing */
    for (long i = 0; i < n; i++) {
        struct ic_request *q = &req[i];
        q->admit_s = q->first_token_s = q->finish_s = NAN;
        q->replica = -1;
        q->preemptions = 0;
        q->status = IC_REQ_UNFINISHED;
        q->cache_hit_tokens = 0;
        s.rs[i].in_eff = q->input;
        s.rs[i].state = ST_WAITING;
    }

    long next = 0;
    for (;;) {
        if (s.nomem) break;
        long ri = s.eh[0];
        double te = s.rep[ri].t_end;
        double ta = next < n ? req[next].arrival_s : INFINITY;
        double tx = s.xn > 0 ? s.xt[0] : INFINITY;
        if (ta > cfg->horizon_s) ta = INFINITY;
        if (te > cfg->horizon_s) te = INFINITY;
        if (tx > cfg->horizon_s) tx = INFINITY;
        if (ta == INFINITY && te == INFINITY && tx == INFINITY) break;
        if (tx <= ta && tx <= te) {
            /* a KV transfer lands: the decode unit with the fewest requests takes it */
            int32_t qi = s.xr[0];
            transfer_pop(&s);
            long r = s.Ra;
            for (long i = s.Ra + 1; i < s.R; i++)
                if (s.outstanding[i] < s.outstanding[r]) r = i;
            struct replica *rp = &s.rep[r];
            s.rs[qi].state = ST_WAITING;
            s.rs[qi].handoff = 1;
            accumulate_counts(&s, r, tx);
            if (dq_push_back(&rp->waiting, tag(qi, 0)) != 0) s.nomem = 1;
            rp->n_waiting++;
            set_outstanding(&s, r, +1);
            if (rp->t_end == INFINITY) {
                rp->t0 = tx;
                plan(&s, r, tx);
                heap_fix(&s, s.eh, s.eh_pos, s.R, s.eh_pos[r], eh_less);
                if (s.n_blocked > 0) wake_blocked(&s, tx);
            } else if (rp->n_waiting == 1) {
                wake_for(&s, r, qi, tx);
            }
            continue;
        }
        if (ta <= te) {
            /* an arrival: route it, admission control, and wake or interrupt the replica */
            struct ic_request *q = &req[next];
            long r = route(&s);
            struct replica *rp = &s.rep[r];
            q->replica = (int32_t)r;
            purge_abandoned(&s, r, ta);
            double wait = (double)rp->n_waiting / s.arrival_rps;
            if (wait > cfg->max_wait_s) {
                q->status = IC_REQ_REJECTED;
                q->finish_s = ta;
                s.rs[next].state = ST_DONE;
            } else {
                accumulate_counts(&s, r, ta);
                if (dq_push_back(&rp->waiting, tag((int32_t)next, 0)) != 0) s.nomem = 1;
                rp->n_waiting++;
                set_outstanding(&s, r, +1);
                if (isfinite(q->patience_s)) dl_push(&s, rp, ta + q->patience_s, (int32_t)next);
                if (rp->t_end == INFINITY) {
                    /* idle: it starts at once */
                    rp->t0 = ta;
                    plan(&s, r, ta);
                    heap_fix(&s, s.eh, s.eh_pos, s.R, s.eh_pos[r], eh_less);
                } else if (rp->n_waiting == 1) {
                    wake_for(&s, r, (int32_t)next, ta);
                }
            }
            next++;
            continue;
        }
        /* the replica's segment ends */
        struct replica *rp = &s.rep[ri];
        advance(&s, ri, rp->k, te);
        plan(&s, ri, te);
        heap_fix(&s, s.eh, s.eh_pos, s.R, s.eh_pos[ri], eh_less);
        if (rp->u->role == ROLE_DECODE && s.n_blocked > 0) wake_blocked(&s, te);
    }
    /* the window ends: the time series to its end */
    for (long i = 0; i < s.R; i++) {
        struct replica *r = &s.rep[i];
        if (r->t_end != INFINITY && r->t0 < cfg->horizon_s)
            accumulate(&s, s.acc_busy, i, r->t0, cfg->horizon_s, 1.0, 1.0);
        accumulate_counts(&s, i, cfg->horizon_s);
    }
    if (s.nomem) {
        sim_free(&s);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory in the request engine");
    }
    series->replicas = s.R;
    series->nout = s.nout;
    series->busy = malloc(ns * sizeof(float));
    series->kv = malloc(ns * sizeof(float));
    series->running = malloc(ns * sizeof(float));
    series->waiting = malloc(ns * sizeof(float));
    if (!series->busy || !series->kv || !series->running || !series->waiting) {
        ic_reqsim_series_free(series);
        sim_free(&s);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory for the replicas' series");
    }
    for (long j = 0; j < s.nout; j++) {
        double a = (double)j * cfg->interval_s, b = a + cfg->interval_s;
        if (b > cfg->horizon_s) b = cfg->horizon_s;
        double w = b > a ? b - a : 1.0;
        for (long i = 0; i < s.R; i++) {
            size_t k = (size_t)i * (size_t)s.nout + (size_t)j;
            series->busy[k] = (float)(s.acc_busy[k] / w);
            series->kv[k] = (float)(s.acc_kv[k] / w);
            series->running[k] = (float)(s.acc_run[k] / w);
            series->waiting[k] = (float)(s.acc_wait[k] / w);
        }
    }
    sim_free(&s);
    return IC_OK;
}
