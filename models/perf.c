/* perf.c: roofline serving model of one replica (see perf.h).
 *
 * Decode (one step produces one token for each of B sequences):
 *   memory time  = (weights read + B c KV bytes per token) / (n x HBM bandwidth x MBU)
 *   compute time = B (2 N_active + 4 L h d_h c) / (n x peak x MFU)
 *   step         = max(memory, compute) + tensor-parallel all-reduces + fixed overhead
 * where c is the mean context of a sequence while it decodes.  Weights read per step: a dense
 * model reads all of them; an MoE model reads its non-routed part plus the experts the batch
 * touches, E (1 - (1 - k/E)^B) of E routed experts per layer when tokens route independently.
 * Prefill of n uncached prompt tokens: 2 N_active n + 2 L h d_h n^2 (causal attention) FLOPs at
 * peak x MFU.  (Kaplan et al. 2020, arXiv:2001.08361, for 2N FLOPs/token; Pope et al. 2022,
 * "Efficiently Scaling Transformer Inference", arXiv:2211.05102, for the memory-bound decode and
 * the all-reduce cost; the MoE expert coverage is the expectation of independent top-k routing.)
 * Tensor-parallel all-reduce: 2 per layer of B x hidden activations (bf16) over a ring, each
 * moving 2 (n-1)/n of the data over the per-direction link bandwidth (half the vendor's
 * bidirectional figure), plus a per-collective latency (IC_ALLREDUCE_LATENCY_S, a guess).
 *
 * Prefill and decode share the replica: the time a request costs is its prefill time plus its
 * share of decode steps (out x step / B).  Adding them ignores the overlap that chunked prefill
 * gets from idle compute in memory-bound decode steps, so it is conservative. */
#include "perf.h"

#include <math.h>
#include <stdio.h>

/* Guess: NCCL small-message all-reduce latency on NVLink is of order 5-10 microseconds. */
#define IC_ALLREDUCE_LATENCY_S 6e-6
/* Fallback when the catalog has no scale-up figure: PCIe 4.0 x16, 64 GB/s both directions. */
#define IC_PCIE4_BIDIR_GBPS 64.0

double ic_precision_bytes(int precision) {
    switch (precision) {
    case IC_PREC_FP8:
    case IC_PREC_INT8:
        return 1.0;
    case IC_PREC_FP4:
        return 0.5;
    default:
        return 2.0;
    }
}

double ic_peak_flops(const struct ic_accelerator *a, int precision) {
    double t;
    switch (precision) {
    case IC_PREC_FP8:
        t = a->fp8_dense_tflops;
        break;
    case IC_PREC_INT8:
        t = a->int8_dense_tops;
        break;
    case IC_PREC_FP4:
        t = a->fp4_dense_tflops;
        break;
    default:
        t = a->bf16_dense_tflops;
        break;
    }
    return isfinite(t) && t > 0 ? t * 1e12 : NAN;
}

void ic_perf_fit(const struct ic_llm *m, const struct ic_accelerator *a, int weight_precision,
                 double memory_utilization, double kv_reserve_fraction, long accels_given,
                 struct ic_fit *out) {
    double w = m->total_params_b * 1e9 * ic_precision_bytes(weight_precision);
    double per = a->hbm_gb * 1e9 * memory_utilization;
    out->weight_bytes = w;
    out->why[0] = '\0';
    if (accels_given > 0) {
        out->accels = accels_given;
        out->usable_bytes = per * (double)accels_given;
        out->ok = w < out->usable_bytes;
        if (!out->ok)
            snprintf(out->why, sizeof out->why,
                     "%s needs %.1f GB for weights, but %ld x %s (%.0f GB x %.2f usable) hold "
                     "%.1f GB; use more accelerators per replica or 0 for automatic",
                     m->key, w / 1e9, accels_given, a->key, a->hbm_gb, memory_utilization,
                     out->usable_bytes / 1e9);
        return;
    }
    long n = 1;
    while (w > (double)n * per * (1.0 - kv_reserve_fraction) && n < 65536) n *= 2;
    out->accels = n;
    out->usable_bytes = per * (double)n;
    out->ok = w <= (double)n * per * (1.0 - kv_reserve_fraction);
    if (!out->ok)
        snprintf(out->why, sizeof out->why, "%s (%.1f GB of weights) does not fit on 65536 x %s",
                 m->key, w / 1e9, a->key);
}

/* Parameters (in units of 1e9) that every token reads regardless of routing, and the routed
 * experts' total.  Derived from total, active, E and k alone: active = fixed + routed k/E and
 * total = fixed + routed. */
static void moe_split(const struct ic_llm *m, double *fixed_b, double *routed_b) {
    double e = m->num_routed_experts, k = m->experts_per_token;
    if (!(e > 1) || !(k > 0) || !(m->active_params_b < m->total_params_b)) {
        *fixed_b = m->total_params_b;
        *routed_b = 0;
        return;
    }
    double f = k / e;
    double fixed = (m->active_params_b - m->total_params_b * f) / (1.0 - f);
    if (fixed < 0) fixed = 0;
    *fixed_b = fixed;
    *routed_b = m->total_params_b - fixed;
}

/* The three terms of a decode step without the fixed overhead. */
static void step_terms(const struct ic_llm *m, const struct ic_accelerator *a,
                       const struct ic_perf_params *p, double batch, double ctx, double *mem_s,
                       double *cmp_s, double *comm_s) {
    double n = (double)p->accels;
    double wb = ic_precision_bytes(p->weight_precision);
    double kvb = m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2.0;
    double fixed_b, routed_b;
    moe_split(m, &fixed_b, &routed_b);
    double touched = 1.0;
    if (routed_b > 0) {
        double f = m->experts_per_token / m->num_routed_experts;
        touched = 1.0 - pow(1.0 - f, batch);
    }
    double weights_read = (fixed_b + routed_b * touched) * 1e9 * wb;
    *mem_s =
        (weights_read + batch * ctx * kvb) / (n * a->hbm_bandwidth_tbps * 1e12 * p->decode_mbu);
    double attn_flops = 4.0 * m->layers * m->num_attention_heads * m->head_dim * ctx;
    double flops = batch * (2.0 * m->active_params_b * 1e9 + attn_flops);
    *cmp_s = flops / (n * ic_peak_flops(a, p->weight_precision) * p->prefill_mfu);
    *comm_s = 0;
    if (p->accels > 1) {
        double bw = isfinite(a->scaleup_bw_gbps) ? a->scaleup_bw_gbps : IC_PCIE4_BIDIR_GBPS;
        double bytes = batch * m->hidden_size * 2.0 * 2.0 * (n - 1.0) / n;
        *comm_s = 2.0 * m->layers * (bytes / (bw * 0.5e9) + IC_ALLREDUCE_LATENCY_S);
    }
}

double ic_perf_step_time(const struct ic_llm *m, const struct ic_accelerator *a,
                         const struct ic_perf_params *p, double batch, double ctx) {
    double mem_s, cmp_s, comm_s;
    step_terms(m, a, p, batch, ctx, &mem_s, &cmp_s, &comm_s);
    return (mem_s > cmp_s ? mem_s : cmp_s) + comm_s + p->step_overhead_s;
}

int ic_perf_replica(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, const struct ic_mix *mix, struct ic_perf *out,
                    char *why, int whysize) {
    double n = (double)p->accels;
    double peak = ic_peak_flops(a, p->weight_precision);
    out->accels = p->accels;
    out->weight_bytes = m->total_params_b * 1e9 * ic_precision_bytes(p->weight_precision);
    out->kv_bytes_per_token =
        m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2.0;
    out->kv_capacity_bytes = n * a->hbm_gb * 1e9 * p->memory_utilization - out->weight_bytes;

    /* Decode-time-weighted context: a sequence spends (reasoning + answer) tokens decoding, at
     * mean context in + (reasoning + answer)/2; reasoning tokens stay in the context for the
     * turn (they are dropped only between turns). */
    double wsum = 0, csum = 0, tokens = 0;
    for (int c = 0; c < mix->n; c++) {
        double dec = mix->out_mean[c] + mix->reason_mean[c];
        double wt = mix->share[c] * dec;
        wsum += wt;
        csum += wt * (mix->in_mean[c] + 0.5 * dec);
        tokens += mix->share[c] * (mix->in_mean[c] + dec);
    }
    double ctx = wsum > 0 ? csum / wsum : 1.0;
    out->decode_context = ctx;
    out->tokens_per_request = tokens;

    double bmem = floor(out->kv_capacity_bytes / (ctx * out->kv_bytes_per_token));
    if (!(bmem >= 1)) {
        snprintf(why, (size_t)whysize,
                 "the KV cache (%.1f GB left after %.1f GB of weights on %ld x %s) holds no "
                 "sequence of the mean context %.0f tokens (%.2f GB)",
                 out->kv_capacity_bytes / 1e9, out->weight_bytes / 1e9, p->accels, a->key, ctx,
                 ctx * out->kv_bytes_per_token / 1e9);
        return -1;
    }
    long bmax = (long)(bmem < (double)p->max_batch ? bmem : (double)p->max_batch);
    int cap_limit = bmem < (double)p->max_batch ? IC_LIMIT_MEMORY : IC_LIMIT_MAX_BATCH;
    long b;
    if (ic_perf_step_time(m, a, p, 1, ctx) > p->tpot_slo_s) {
        b = 1;
        out->limit = IC_LIMIT_SLO_INFEASIBLE;
    } else if (ic_perf_step_time(m, a, p, (double)bmax, ctx) <= p->tpot_slo_s) {
        b = bmax;
        out->limit = cap_limit;
    } else {
        long lo = 1, hi = bmax; /* step(lo) <= slo < step(hi) */
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (ic_perf_step_time(m, a, p, (double)mid, ctx) <= p->tpot_slo_s)
                lo = mid;
            else
                hi = mid;
        }
        b = lo;
        out->limit = IC_LIMIT_SLO;
    }
    out->batch = b;
    out->step_s = ic_perf_step_time(m, a, p, (double)b, ctx);
    out->step1_s = ic_perf_step_time(m, a, p, 1, ctx);
    out->decode_tokens_per_s = (double)b / out->step_s;
    double mem_s, cmp_s, comm_s;
    step_terms(m, a, p, (double)b, ctx, &mem_s, &cmp_s, &comm_s);
    out->compute_bound = cmp_s > mem_s;
    double smean = 0, pmean = 0;
    for (int c = 0; c < mix->n; c++) {
        double hit = mix->cache_hit[c];
        double lin = 2.0 * m->active_params_b * 1e9 * mix->in_mean[c] * (1.0 - hit);
        double quad = 2.0 * m->layers * m->num_attention_heads * m->head_dim * mix->in_sq_mean[c] *
                      (1.0 - hit * hit);
        out->prefill_s[c] = (lin + quad) / (n * peak * p->prefill_mfu);
        double dec = mix->out_mean[c] + mix->reason_mean[c];
        out->service_s[c] = out->prefill_s[c] + dec * out->step_s / (double)b;
        out->ttft_s[c] = out->prefill_s[c] + mix->reason_mean[c] * out->step_s;
        smean += mix->share[c] * out->service_s[c];
        pmean += mix->share[c] * (out->prefill_s[c] + mix->reason_mean[c] * out->step1_s);
    }
    out->service_s_mean = smean;
    out->requests_per_s = smean > 0 ? 1.0 / smean : 0;
    out->tokens_per_s = out->requests_per_s * tokens;
    out->ttft1_s = pmean + out->step1_s; /* prefill, reasoning, then the first answer token */
    return 0;
}

const char *ic_batch_limit_name(int limit) {
    switch (limit) {
    case IC_LIMIT_MEMORY:
        return "memory (KV cache)";
    case IC_LIMIT_MAX_BATCH:
        return "max_batch";
    case IC_LIMIT_SLO:
        return "TPOT SLO";
    default:
        return "TPOT SLO infeasible at batch 1";
    }
}
