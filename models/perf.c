/* perf.c: roofline serving model of one replica (see perf.h).
 *
 * One step of a replica with tp x pp accelerators decodes b sequences (one token each, at mean
 * context c) and pushes p prompt tokens (at mean prefix context c_p) through prefill.  With pp
 * pipeline stages, pp micro-batches of b/pp sequences and p/pp prompt tokens are in flight, so a
 * token passes every stage once per step:
 *   stage memory  = (weights read / pp + KV read of the stage) / (tp x HBM bandwidth x MBU)
 *   stage compute = (2 N_active (b + p) + attention) / pp / (tp x peak x MFU)     [per micro-batch]
 *   stage         = max(memory, compute) + tensor-parallel all-reduces + expert all-to-alls
 *   step          = pp x stage + (pp - 1) x stage-to-stage transfer + fixed overhead
 * Weights read per step: a dense model reads all of them; an MoE model reads its non-routed part
 * plus the experts the micro-batch touches, E (1 - (1 - k/E)^t) of E routed experts for t tokens
 * routed independently.  Attention: 2 L h (d_qk + d_v) FLOPs per token per context token; MLA
 * decodes in the absorbed form (d_qk = kv_lora_rank + rope dim, d_v = kv_lora_rank; DeepSeek-V3
 * technical report, arXiv:2412.19437) and prefills in the expanded one (d_qk = head_dim,
 * d_v = v_head_dim); GQA and MHA use head_dim for both.  The KV read per step is the cache of the
 * running sequences at its real precision.  A tensor-parallel layer all-reduces its activations
 * twice (attention and MLP): a ring moves 2 (tp-1)/tp of tokens x hidden x 2 bytes over the
 * per-direction link (half the vendor's bidirectional scale-up figure; the scale-out network
 * beyond a node), plus a per-collective latency (IC_ALLREDUCE_LATENCY_S, a guess).  Expert
 * parallelism sends each token's activations to its k experts and back (two all-to-alls per MoE
 * layer).  (Kaplan et al. 2020, arXiv:2001.08361, for 2N FLOPs per token; Pope et al. 2022,
 * "Efficiently Scaling Transformer Inference", arXiv:2211.05102, for memory-bound decode,
 * partitioning and its communication.)
 *
 * Batching (Agrawal et al. 2024, "Taming throughput-latency tradeoff in LLM inference with
 * Sarathi-Serve", OSDI, for chunked prefill piggybacked on decode steps): at saturation the
 * prompt tokens per step keep pace with the decode tokens, p = b x (uncached prompt tokens) /
 * (decode tokens) per request, so prefill rides on memory-bound decode steps nearly for free and
 * costs compute when it dominates.  The batch b is the largest that (1) fits the KV cache,
 * (2) keeps the step (the TPOT) under its objective, (3) stays under the scheduler's caps on
 * sequences and on tokens per step.  Saturated throughput: b / (step x decode tokens per
 * request).  TTFT at load: a prompt is pushed through at the step's prefill budget, one after
 * another, like a single server with service time s_p = 1 / throughput and load rho:
 * TTFT ~ step + s_p / (1 - rho) + reasoning x step (an M/D/1-style wait, conservative); a TTFT
 * objective therefore holds only up to rho* = 1 - s_p / (SLO - step - reasoning x step), and the
 * replica's capacity is rho* x the saturated throughput.  A tighter TPOT objective lowers b; a
 * tighter TTFT objective lowers rho*: throughput falls with either.
 *
 * Prefill/decode disaggregation (Zhong et al. 2024, "DistServe", OSDI; Patel et al. 2024,
 * "Splitwise", ISCA): a share f of the accelerators only prefills (steps full of prompt tokens),
 * the rest only decodes; throughput is min(f x prefill rate, (1 - f) x decode rate), balanced by
 * default, and the prompt's KV cache crosses the scale-out network to the decode pool. */
#include "perf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

/* Default efficiencies by vendor family: GUESSES.  Well-tuned NVIDIA serving stacks
 * (TensorRT-LLM, vLLM, SGLang) reach about half of dense peak in prefill and 60-80% of HBM
 * bandwidth in decode; AMD's ROCm stack and Huawei's CANN are younger, and the other domestic
 * stacks younger still, so their defaults are lower.  Calibrate per deployment: the efficiencies
 * are scenario parameters (/serving/prefill_mfu, /serving/decode_mbu). */
void ic_vendor_efficiency(const struct ic_accelerator *a, double *mfu, double *mbu) {
    if (strncmp(a->vendor, "NVIDIA", 6) == 0) {
        *mfu = 0.55;
        *mbu = 0.70;
    } else if (strncmp(a->vendor, "AMD", 3) == 0) {
        *mfu = 0.45;
        *mbu = 0.60;
    } else if (strncmp(a->vendor, "Huawei", 6) == 0) {
        *mfu = 0.40;
        *mbu = 0.55;
    } else {
        *mfu = 0.30;
        *mbu = 0.45;
    }
}

void ic_perf_fit(const struct ic_llm *m, const struct ic_accelerator *a, int weight_precision,
                 double memory_utilization, double kv_reserve_fraction, long tp_given,
                 long pp_given, long per_node, struct ic_fit *out) {
    double w = m->total_params_b * 1e9 * ic_precision_bytes(weight_precision);
    double per = a->hbm_gb * 1e9 * memory_utilization;
    if (per_node < 1) per_node = 8;
    out->weight_bytes = w;
    out->why[0] = '\0';
    if (tp_given > 0 || pp_given > 0) {
        long tp = tp_given > 0 ? tp_given : 1, pp = pp_given > 0 ? pp_given : 1;
        /* One degree given: the other is the smallest that fits. */
        if (tp_given <= 0)
            while (w > (double)(tp * pp) * per * (1.0 - kv_reserve_fraction) && tp < per_node)
                tp *= 2;
        if (pp_given <= 0)
            while (w > (double)(tp * pp) * per * (1.0 - kv_reserve_fraction) && pp < 4096) pp *= 2;
        out->tp = tp;
        out->pp = pp;
        out->accels = tp * pp;
        out->usable_bytes = per * (double)out->accels;
        out->ok = w < out->usable_bytes;
        if (!out->ok)
            snprintf(out->why, sizeof out->why,
                     "%s needs %.1f GB for weights, but %ld x %s (tp %ld x pp %ld, %.0f GB x %.2f "
                     "usable) hold %.1f GB; use more accelerators per replica or 0 for automatic",
                     m->key, w / 1e9, out->accels, a->key, tp, pp, a->hbm_gb, memory_utilization,
                     out->usable_bytes / 1e9);
        return;
    }
    long n = 1;
    while (w > (double)n * per * (1.0 - kv_reserve_fraction) && n < 65536) n *= 2;
    out->accels = n;
    out->tp = n < per_node ? n : per_node;
    out->pp = n / out->tp;
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

static int is_mla(const struct ic_llm *m) {
    return strcmp(m->attention, "MLA") == 0;
}

/* Attention FLOPs per token per context token, all layers: decode and prefill forms. */
static double attn_flops(const struct ic_llm *m, int prefill) {
    double dqk = m->head_dim, dv = m->head_dim;
    if (is_mla(m) && isfinite(m->kv_lora_rank) && m->kv_lora_rank > 0) {
        if (prefill) {
            dv = isfinite(m->v_head_dim) && m->v_head_dim > 0 ? m->v_head_dim : m->head_dim;
        } else {
            double rope = isfinite(m->qk_rope_head_dim) ? m->qk_rope_head_dim : 0;
            dqk = m->kv_lora_rank + rope;
            dv = m->kv_lora_rank;
        }
    }
    return 2.0 * m->layers * m->num_attention_heads * (dqk + dv);
}

/* Per-direction bandwidth of a link among `group` accelerators, bytes/s. */
static double link_bw(const struct ic_accelerator *a, const struct ic_perf_params *p, long group) {
    if (group > p->per_node) return p->scaleout_gbps * 1e9;
    double bidir = isfinite(a->scaleup_bw_gbps) ? a->scaleup_bw_gbps : IC_PCIE4_BIDIR_GBPS;
    return bidir * 0.5e9;
}

double ic_perf_step(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, double b, double ctx, double pf, double pctx,
                    double *mem_out, double *cmp_out) {
    const double tp = (double)p->tp, pp = (double)p->pp;
    const double wb = ic_precision_bytes(p->weight_precision);
    const double kvb = m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2;
    const double bm = b / pp, pm = pf / pp, tok = bm + pm; /* one micro-batch */
    double fixed_b, routed_b;
    moe_split(m, &fixed_b, &routed_b);
    double touched = 1.0;
    if (routed_b > 0 && tok > 0)
        touched = 1.0 - pow(1.0 - m->experts_per_token / m->num_routed_experts, tok);
    double weights = (fixed_b + routed_b * (tok > 0 ? touched : 0)) * 1e9 * wb / pp;
    /* Decode reads each running sequence's KV; a prefill chunk reads its prefix's KV once for
     * all its tokens, which is small beside the weights and is neglected. */
    double kv = bm * ctx * kvb / pp;
    double mem = (weights + kv) / (tp * a->hbm_bandwidth_tbps * 1e12 * p->decode_mbu);
    double flops = (2.0 * m->active_params_b * 1e9 * tok + attn_flops(m, 0) * bm * ctx +
                    attn_flops(m, 1) * pm * pctx) /
                   pp;
    double cmp = flops / (tp * ic_peak_flops(a, p->weight_precision) * p->prefill_mfu);
    double comm = 0, act = tok * m->hidden_size * 2.0; /* bf16 activations of the micro-batch */
    if (p->tp > 1)
        comm += 2.0 * m->layers / pp *
                (act * 2.0 * (tp - 1.0) / tp / link_bw(a, p, p->tp) + IC_ALLREDUCE_LATENCY_S);
    if (p->ep > 1 && routed_b > 0) {
        double moe_layers =
            m->layers - (isfinite(m->first_dense_layers) ? m->first_dense_layers : 0);
        double ep = (double)p->ep;
        comm += moe_layers / pp *
                (act * m->experts_per_token * 2.0 * (ep - 1.0) / ep / link_bw(a, p, p->ep) +
                 2.0 * IC_ALLREDUCE_LATENCY_S);
    }
    double stage = (mem > cmp ? mem : cmp) + comm;
    double hop = p->pp > 1
                     ? (pp - 1.0) * (act / link_bw(a, p, p->tp * p->pp) + IC_ALLREDUCE_LATENCY_S)
                     : 0.0;
    if (mem_out) *mem_out = pp * mem;
    if (cmp_out) *cmp_out = pp * cmp;
    return pp * stage + hop + p->step_overhead_s;
}

double ic_perf_step_time(const struct ic_llm *m, const struct ic_accelerator *a,
                         const struct ic_perf_params *p, double batch, double ctx) {
    return ic_perf_step(m, a, p, batch, ctx, 0, 0, NULL, NULL);
}

/* Latency of pushing one prompt of n uncached tokens (prefix context pctx) through prefill
 * alone, in chunks of the token budget. */
static double prefill_alone(const struct ic_llm *m, const struct ic_accelerator *a,
                            const struct ic_perf_params *p, double n, double pctx) {
    if (!(n > 0)) return 0;
    double chunks = ceil(n / (double)p->max_batched_tokens);
    double chunk = n / chunks;
    /* A lone request is a single micro-batch: scale by pp so the step sees it whole. */
    return chunks * ic_perf_step(m, a, p, 0, 0, chunk * (double)p->pp, pctx, NULL, NULL);
}

/* Largest batch in [1, cap] whose step (with prefill at `ratio` tokens per decode token) meets
 * the objective; the step is increasing in the batch. */
static long largest_batch(const struct ic_llm *m, const struct ic_accelerator *a,
                          const struct ic_perf_params *p, long cap, double ctx, double ratio,
                          double pctx, double slo) {
    if (ic_perf_step(m, a, p, (double)cap, ctx, ratio * (double)cap, pctx, NULL, NULL) <= slo)
        return cap;
    long lo = 1, hi = cap; /* step(lo) <= slo < step(hi) */
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (ic_perf_step(m, a, p, (double)mid, ctx, ratio * (double)mid, pctx, NULL, NULL) <= slo)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

int ic_perf_replica(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, const struct ic_mix *mix, struct ic_perf *out,
                    char *why, int whysize) {
    memset(out, 0, sizeof *out);
    const double n = (double)(p->tp * p->pp);
    out->accels = p->tp * p->pp;
    out->tp = p->tp;
    out->pp = p->pp;
    out->ep = p->ep;
    out->weight_bytes = m->total_params_b * 1e9 * ic_precision_bytes(p->weight_precision);
    out->kv_bytes_per_token =
        m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2.0;
    out->kv_capacity_bytes = n * a->hbm_gb * 1e9 * p->memory_utilization - out->weight_bytes;

    /* Mix means.  Decode-time-weighted context: a sequence spends (reasoning + answer) tokens
     * decoding, at mean context in + (reasoning + answer)/2; reasoning tokens stay in the
     * context for the turn.  Prefill tokens attend, on average, to the cached prefix plus half
     * of the uncached part: E[n^2 (1 - h^2)/2] / E[n (1 - h)]. */
    double wsum = 0, csum = 0, tokens = 0, unc = 0, dec = 0, psum = 0;
    for (int c = 0; c < mix->n; c++) {
        double d = mix->out_mean[c] + mix->reason_mean[c], h = mix->cache_hit[c];
        wsum += mix->share[c] * d;
        csum += mix->share[c] * d * (mix->in_mean[c] + 0.5 * d);
        tokens += mix->share[c] * (mix->in_mean[c] + d);
        unc += mix->share[c] * mix->in_mean[c] * (1.0 - h);
        dec += mix->share[c] * d;
        psum += mix->share[c] * mix->in_sq_mean[c] * (1.0 - h * h) * 0.5;
    }
    const double ctx = wsum > 0 ? csum / wsum : 1.0;
    const double pctx = unc > 0 ? psum / unc : 0.0;
    if (dec < 1e-9) dec = 1e-9;
    out->decode_context = ctx;
    out->tokens_per_request = tokens;
    out->dec_tokens = dec;
    out->unc_tokens = unc;

    double bmem = floor(out->kv_capacity_bytes / (ctx * out->kv_bytes_per_token));
    if (!(bmem >= 1)) {
        snprintf(why, (size_t)whysize,
                 "the KV cache (%.1f GB left after %.1f GB of weights on %ld x %s) holds no "
                 "sequence of the mean context %.0f tokens (%.2f GB)",
                 out->kv_capacity_bytes / 1e9, out->weight_bytes / 1e9, out->accels, a->key, ctx,
                 ctx * out->kv_bytes_per_token / 1e9);
        return -1;
    }
    out->batch_memory = (long)fmin(bmem, 1e12);
    const double ratio = p->disaggregated ? 0.0 : unc / dec;
    /* Caps: memory, sequences, and tokens per step ((b + p)/pp per micro-batch). */
    double cap = bmem;
    out->limit = IC_LIMIT_MEMORY;
    if ((double)p->max_batch < cap) {
        cap = (double)p->max_batch;
        out->limit = IC_LIMIT_MAX_BATCH;
    }
    double budget_cap = floor((double)p->max_batched_tokens * (double)p->pp / (1.0 + ratio));
    if (budget_cap < cap) {
        cap = budget_cap;
        out->limit = IC_LIMIT_TOKEN_BUDGET;
    }
    if (cap < 1) cap = 1;
    long b;
    out->step1_s = ic_perf_step(m, a, p, (double)p->pp, ctx, 0, 0, NULL, NULL);
    if (ic_perf_step(m, a, p, 1, ctx, ratio, pctx, NULL, NULL) > p->tpot_slo_s) {
        b = 1;
        out->limit = IC_LIMIT_SLO_INFEASIBLE;
    } else {
        b = largest_batch(m, a, p, (long)cap, ctx, ratio, pctx, p->tpot_slo_s);
        if (b < (long)cap) out->limit = IC_LIMIT_SLO;
    }
    out->batch = b;
    out->prefill_per_step = ratio * (double)b;
    double mem_s, cmp_s;
    out->step_s =
        ic_perf_step(m, a, p, (double)b, ctx, out->prefill_per_step, pctx, &mem_s, &cmp_s);
    out->compute_bound = cmp_s > mem_s;
    double decode_only = ic_perf_step(m, a, p, (double)b, ctx, 0, 0, NULL, NULL);
    out->prefill_share = out->step_s > 0 ? (out->step_s - decode_only) / out->step_s : 0;
    out->decode_tokens_per_s = (double)b / out->step_s;

    double reason = 0;
    for (int c = 0; c < mix->n; c++) reason += mix->share[c] * mix->reason_mean[c];
    double sp; /* service time of one prompt at the full prefill rate: the TTFT queue's */
    if (p->disaggregated) {
        /* Prefill pool: steps full of prompt tokens; decode pool: decode-only steps. */
        double tp_pre = prefill_alone(m, a, p, (double)p->max_batched_tokens, pctx);
        double pre_rate = (double)p->max_batched_tokens / tp_pre; /* prompt tokens/s */
        double mu_p = pre_rate / fmax(unc, 1e-9), mu_d = out->decode_tokens_per_s / dec;
        double f = p->prefill_fraction > 0 ? p->prefill_fraction : mu_d / (mu_p + mu_d);
        out->requests_per_s_sat = fmin(f * mu_p, (1.0 - f) * mu_d);
        out->kv_transfer_s = 0;
        double in = 0;
        for (int c = 0; c < mix->n; c++) in += mix->share[c] * mix->in_mean[c];
        out->kv_transfer_s = in * out->kv_bytes_per_token / (p->scaleout_gbps * 1e9 * n);
        sp = unc / (f * pre_rate);
        for (int c = 0; c < mix->n; c++) {
            double dc = mix->out_mean[c] + mix->reason_mean[c];
            double uc = mix->in_mean[c] * (1.0 - mix->cache_hit[c]);
            /* Replica-seconds: prompt tokens at the prefill pool's rate, decode tokens at the
             * decode pool's; at the balanced split these add up to 1 / throughput. */
            out->service_s[c] = uc / pre_rate + dc / out->decode_tokens_per_s;
        }
    } else {
        out->requests_per_s_sat = out->decode_tokens_per_s / dec;
        sp = 1.0 / out->requests_per_s_sat;
        /* What each class costs: its cost alone (the replica serving only that class), scaled
         * so that the mix's costs add up to the mix's throughput.  When events shift the mix,
         * the engine weighs these, so a shift toward long prompts slows the fleet. */
        double alone[IC_PERF_MAX_CLASSES], sum = 0;
        for (int c = 0; c < mix->n; c++) {
            alone[c] = sp;
            if (mix->n > 1) {
                struct ic_mix one = {0};
                struct ic_perf r1;
                char w1[8];
                one.n = 1;
                one.share[0] = 1;
                one.in_mean[0] = mix->in_mean[c];
                one.in_sq_mean[0] = mix->in_sq_mean[c];
                one.out_mean[0] = mix->out_mean[c];
                one.reason_mean[0] = mix->reason_mean[c];
                one.cache_hit[0] = mix->cache_hit[c];
                if (ic_perf_replica(m, a, p, &one, &r1, w1, sizeof w1) == 0)
                    alone[c] = 1.0 / r1.requests_per_s_sat;
            }
            sum += mix->share[c] * alone[c];
        }
        for (int c = 0; c < mix->n; c++) out->service_s[c] = alone[c] * (sum > 0 ? sp / sum : 1);
    }
    double smean = 0, t1 = 0;
    for (int c = 0; c < mix->n; c++) {
        double uc = mix->in_mean[c] * (1.0 - mix->cache_hit[c]);
        double pc = mix->in_mean[c] * mix->cache_hit[c] + 0.5 * uc;
        out->prefill_s[c] = prefill_alone(m, a, p, uc, pc) + out->kv_transfer_s;
        out->ttft_s[c] = out->step_s + (unc > 0 ? sp * uc / unc : 0) +
                         mix->reason_mean[c] * out->step_s + out->kv_transfer_s;
        out->ttft1_c[c] = out->prefill_s[c] + mix->reason_mean[c] * out->step1_s + out->step1_s;
        if (out->ttft1_c[c] > out->ttft_s[c]) out->ttft1_c[c] = out->ttft_s[c];
        smean += mix->share[c] * out->service_s[c];
        t1 += mix->share[c] * (out->prefill_s[c] + mix->reason_mean[c] * out->step1_s);
    }
    out->service_s_mean = smean;
    out->ttft1_s = t1 + out->step1_s; /* prefill, reasoning, then the first answer token */

    /* The TTFT objective: the load at which the mean wait still meets it. */
    out->ttft_rho = 1.0;
    if (p->ttft_slo_s > 0) {
        double room = p->ttft_slo_s - out->step_s * (1.0 + reason) - out->kv_transfer_s;
        double rho = room > 0 ? 1.0 - sp / room : 0.0;
        out->ttft_rho = rho < 0 ? 0 : (rho > 1 ? 1 : rho);
    }
    out->requests_per_s = out->ttft_rho * out->requests_per_s_sat;
    out->tokens_per_s = out->requests_per_s * tokens;
    return 0;
}

const char *ic_batch_limit_name(int limit) {
    switch (limit) {
    case IC_LIMIT_MEMORY:
        return "memory (KV cache)";
    case IC_LIMIT_MAX_BATCH:
        return "max_batch";
    case IC_LIMIT_TOKEN_BUDGET:
        return "tokens per step";
    case IC_LIMIT_SLO:
        return "TPOT SLO";
    default:
        return "TPOT SLO infeasible at batch 1";
    }
}
