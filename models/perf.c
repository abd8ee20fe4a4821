/* perf.c: serving model of one replica (see perf.h), operator by operator.
 *
 * One step of a replica decodes b sequences (one token each, or 1 + d verify tokens with d
 * multi-token-prediction drafts, at mean context c) and pushes p prompt tokens (at mean prefix
 * context c_p) through prefill.  The replica is attention_dp x tp x pp accelerators: each
 * attention data-parallel rank serves b/dp sequences; with pp pipeline stages pp micro-batches
 * are in flight, so a token passes every stage once per step.  The step is a SUM over the
 * operators of the layer stack, each the larger of its own memory time and its own compute time
 * (real kernels do not overlap one operator's weight reads with another's arithmetic):
 *   dense GEMMs    weights / (HBM x mem_eff)  vs  2 N_fixed t / (peak[weight precision] x eff)
 *   expert GEMMs   touched experts' weights    vs  2 N_routed (k/E) t_group / shards, x imbalance,
 *                  at a grouped-GEMM efficiency that falls with the tokens per expert (DeepGEMM)
 *   LM head        vocab x hidden at BF16 (not quantised in real checkpoints)
 *   decode attn    the KV cache at its precision / (HBM x attn_decode_eff)  vs  its FLOPs
 *   prefill attn   FLOPs at the attention kernel's precision (BF16 unless FP8 attention), not
 *                  the FP8/FP4 GEMM peak
 *   elementwise    norms, residuals, rotary, activation: passes over the activations (memory)
 *   communication  tensor-parallel all-reduces (latency + link), expert dispatch/combine
 *                  all-to-alls over scale-up and network (latency + bandwidth), partly hidden
 *                  by two-micro-batch overlap; pipeline hops.  With two micro-batches each
 *                  streams the GEMM weights and pays the all-to-all latencies on its own
 *   overhead       launch/scheduling: a fixed part and a part per layer
 * Efficiencies come from a named software profile per vendor family (below), each figure from a
 * calibrate row of tests/perf/measurements.json, a cited kernel benchmark, or marked GUESS.
 * Weights read per step: the non-routed body and the embeddings' LM head always; routed experts
 * only when a token reaches them, E (1 - (1 - k/E)^t) of E for t tokens routed independently.
 * Attention: 2 L h (d_qk + d_v) FLOPs per token per context token; MLA decodes in the absorbed
 * form (d_qk = kv_lora_rank + rope dim, d_v = kv_lora_rank; DeepSeek-V3 technical report,
 * arXiv:2412.19437) and prefills in the expanded one.  (Kaplan et al. 2020, arXiv:2001.08361,
 * for 2N FLOPs per token; Pope et al. 2022, arXiv:2211.05102, for memory-bound decode,
 * partitioning and its communication; DeepSeek's inference-system overview and DeepEP for
 * attention data-parallelism, wide expert parallelism and two-batch overlap.)
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
 * tighter TTFT objective lowers rho*: throughput falls with either.  The TPOT objective is a
 * request's mean time per output token at the 99th percentile over requests (MLPerf LoadGen's
 * and vLLM's TPOT): the mean step plus the spread of the prompt chunks a request's steps carry
 * (judged_step).  KV admission: on demand
 * (vLLM's paged cache: a sequence holds its current context) or reserving prompt + whole
 * output (TensorRT-LLM's default); the KV budget is kv_fraction of what remains after the
 * weights and a runtime reserve.  Maximum-throughput mode drops the latency objectives.
 *
 * Prefill/decode disaggregation (Zhong et al. 2024, "DistServe", OSDI; Patel et al. 2024,
 * "Splitwise", ISCA): a share f of the accelerators only prefills (steps full of prompt tokens),
 * the rest only decodes; throughput is min(f x prefill rate, (1 - f) x decode rate), balanced by
 * default, and the prompt's KV cache crosses the scale-out network to the decode pool.  Each
 * role may have its own unit size (DeepSeek: prefill units of 4 nodes, decode units of 18); a
 * prefill unit's rate counts every pipeline stage and attention rank busy with its own chunk. */
#include "models/perf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

IC_ENUM_TABLE(ic_precisions, {"bf16", IC_PREC_BF16, "bfloat16, 2 bytes"},
              {"fp8", IC_PREC_FP8, "8-bit float, 1 byte"}, {"int8", IC_PREC_INT8, "8-bit integer"},
              {"fp4", IC_PREC_FP4, "4-bit float, half a byte"});
IC_ENUM_TABLE(ic_attention_precisions, {"bf16", IC_PREC_BF16, "bfloat16 kernels"},
              {"fp8", IC_PREC_FP8, "fp8 kernels, where the accelerator has them"});
IC_ENUM_TABLE(ic_admissions, {"profile", IC_ADMIT_PROFILE, "the software profile's way"},
              {"on-demand", IC_ADMIT_ON_DEMAND, "KV blocks allocated as tokens come (vLLM)"},
              {"reserve", IC_ADMIT_RESERVE,
               "prompt + output reserved per sequence (TensorRT-LLM)"});

const char *ic_precision_name(int precision) {
    return ic_enum_name(&ic_precisions, precision);
}
const char *ic_admission_name(int admission) {
    return ic_enum_name(&ic_admissions, admission);
}

/* Fallback when the catalog has no scale-up figure: PCIe 4.0 x16, 64 GB/s both directions. */
#define IC_PCIE4_BIDIR_GBPS 64.0
/* Elementwise passes per token per layer (RMSNorm twice, two residual adds, rotary embedding,
 * KV-cache write: about 8 reads or writes of the hidden vector; the gated activation reads two
 * intermediate vectors and writes one: 3).  A count of passes, not a fit; fused kernels do
 * fewer. */
#define IC_ELEM_HIDDEN_PASSES 8.0
#define IC_ELEM_INTER_PASSES  3.0
/* Share of the shorter of (all-to-all, compute) that two-micro-batch overlap hides: the
 * communication kernels take SMs from the compute, so the overlap is partial.  Set by the
 * calibrate row sglang-tbo-prefill-gain (SGLang: two-batch overlap +27-35% in prefill; 1.31
 * taken) on SGLang's own configuration, sglang-h100-prefill-4k (DeepSeek-V3, 4,096-token
 * prompts, EP32 on 4 x 8 H100, with the EPLB prefill imbalance below): 0.50 (0.48 on DeepSeek's
 * H800 profile row with the old 1.047 imbalance; 0.5 before the DeepGEMM figures and the
 * per-micro-batch weight reads).  Taken for decode too: DeepSeek's profile-data README says the
 * decode all-to-all holds no SMs, but also that the step waits for it after the computation,
 * and no calibrate row measures the decode overlap (ASSUMPTION: as in prefill). */
#define IC_TBO_OVERLAP 0.50

/* ---- software profiles -----------------------------------------------------------------------
 *
 * Each figure names the row of tests/perf/measurements.json ('calibrate' rows only) or the
 * kernel benchmark it comes from; GUESS marks the rest.  The check rows never set a figure.
 *
 * nvidia-trtllm-2025 (TensorRT-LLM as in NIM 1.8 and MLPerf v5.0):
 *   gemm FP8 0.77 (the large-M rate; smaller GEMMs lose grouped_gemm_factor): least squares
 *     in the log over nim-h100-tp2-c1-ttft (406.8 ms for a 5,000-token prompt on TP2) and
 *     mlperf-v5.0-h100-offline (31,307 tok/s), which pull apart: at 0.77 the model is 16% short
 *     of the first's TTFT and 15% short of the second's throughput (0.72 before the small-M
 *     factor, 2026-12).
 *   gemm BF16 0.70: cuBLAS BF16 GEMM on H100 reaches ~700 of 989 TFLOP/s at large shapes
 *     (NVIDIA Hopper tuning guide / SemiAnalysis GEMM benchmarks, Dec 2024); FP4 0.5 GUESS.
 *   attention prefill 0.60: FlashAttention-3 (Shah et al. 2024, arXiv:2407.08608) forward BF16
 *     on H100, 500-660 TFLOP/s causal at 2k-16k heads of 128: 0.5-0.67 of peak.
 *   memory 0.85: GUESS inside the kernel benchmarks (HBM3 stream copies reach ~0.9 of the
 *     datasheet; decode GEMVs less).  attention decode 0.80: GUESS (paged KV reads).
 *   overhead 3.3 ms per step as 40 us per layer plus 0.1 ms: nim-h100-tp2-c1-itl (18.58 ms,
 *     client-measured, so streaming is inside it), with memory 0.85.
 *   all-reduce latency 8 us: NCCL/TensorRT-LLM one-shot all-reduce of small messages on NVLink
 *     (nccl-tests, 5-10 us); scale-up 0.80 of the link (nccl-tests all_reduce busbw ~360 of
 *     450 GB/s on H100); scale-out 0.90 (DeepEP README: 43-47 GB/s over 400 Gb/s RDMA).
 *   admission: reserve prompt + output (TensorRT-LLM's GUARANTEED_NO_EVICT default).
 * nvidia-vllm-2025 (vLLM 0.6-0.9): as TensorRT-LLM for kernels (vLLM uses cuBLAS, CUTLASS and
 *   FlashAttention); overhead 78 us per layer: vllm-h200-8b-tp1-b8 (6.5 ms per token for
 *   Llama-3.1-8B, 32 layers, 3.9 ms of it weights at 0.85); on-demand paged admission.
 * nvidia-sglang-2025 (SGLang with DeepEP and DeepGEMM, DeepSeek's own stack): the FP8 GEMMs
 *   are DeepGEMM's, whose README (github.com/deepseek-ai/DeepGEMM at 327ec92, 2025-04-09)
 *   times exactly DeepSeek-V3's six dense shapes per layer on H800 SXM5 (N x K = 2112 x 7168,
 *   24576 x 1536, 32768 x 512, 7168 x 16384, 4096 x 7168, 7168 x 2048):
 *   gemm FP8 0.66: at M = 4096 (prefill) 1,127, 1,212, 775, 1,520, 1,410 and 1,168 TFLOPS,
 *     over the layer's FLOPs 1,307 of 1,979 TFLOPS.
 *   memory 0.69: at M = 64 (a decode micro-batch of 64 sequences) 206-336 TFLOPS, 100.1 us for
 *     the layer's 231 MB of FP8 weights: 2.31 of H800's 3.35 TB/s (the model's memory term
 *     counts weights only; with activations DeepGEMM's own column gives 2.43 TB/s, 0.73).
 *     At M = 128 the same reckoning gives 0.63.
 *   Other kernels as TensorRT-LLM; overhead as vLLM's (GUESS: the same Python scheduler
 *   design); a2a latency 20 us (DeepEP low-latency kernels: 77-194 us for 128 tokens, of
 *   which a fixed part).
 * amd-rocm-2025 (ROCm 6.x, vLLM/SGLang on MI300X/MI325X): GEMM efficiencies are shares of the
 *   chip's max-achievable rate (gemm_rate_fraction: AMD's published hipBLASLt MAF, which is the
 *   datasheet peak at the clock the chip holds under dense matrix work, 0.49 of it on a 750 W
 *   MI300X in FP8 and 0.58 on a 1,000 W MI325X).  gemm FP8 0.91 of it: mlperf-v5.1-mi325x-offline
 *   (34,520 tok/s on 8 MI325X; 0.53 of the datasheet peak); BF16 and INT8 as FP8, FP4 0.73
 *   (GUESS, in the old proportion 0.40 : 0.50).  Until 2026-12 FP8 0.50 and BF16 0.55 of the
 *   datasheet peak for both chips (SemiAnalysis GEMM benchmarks, Dec 2024), which put the MI300X
 *   above its own max-achievable rate and the MI325X below it.  memory 0.80: Chips and Cheese
 *   MI300X microbenchmarks (~4.3 of 5.3 TB/s); attention prefill 0.45 and overheads: GUESS.
 * huawei-cann-2025 (CANN 8 on Ascend 910B/910C): gemm INT8 and BF16 and prefill attention 0.68
 *   set, as one figure, by cm384-910c-prefill
 *   (6,688 tok/s per 910C prefilling DeepSeek-R1 at INT8, EP320 with EPLB, so with the EPLB
 *   prefill imbalance 1.239 of imbalance() below; 0.595 with the old 1.047, 0.575 before the
 *   grouped-GEMM factor, per-micro-batch weight reads and the first EPLB refit); the rest GUESS.
 * generic-guess: other vendors; every figure a GUESS below the NVIDIA ones. */
static const struct ic_sw_profile profiles[] = {
    {"nvidia-trtllm-2025",
     {0.70, 0.77, 0.72, 0.50},
     0.60,
     0.80,
     0.85,
     1.0e-4,
     4.0e-5,
     8e-6,
     2.0e-5,
     0.80,
     0.90,
     1,
     "nim-h100-tp2-c1-ttft, nim-h100-tp2-c1-itl, mlperf-v5.0-h100-offline; FlashAttention-3"},
    {"nvidia-vllm-2025",
     {0.70, 0.77, 0.72, 0.50},
     0.60,
     0.80,
     0.85,
     0.0,
     7.8e-5,
     8e-6,
     2.0e-5,
     0.80,
     0.90,
     0,
     "vllm-h200-8b-tp1-b8; kernels as nvidia-trtllm-2025"},
    {"nvidia-sglang-2025",
     {0.70, 0.66, 0.72, 0.50},
     0.60,
     0.80,
     0.69,
     0.0,
     7.8e-5,
     8e-6,
     2.0e-5,
     0.80,
     0.90,
     0,
     "DeepGEMM README (FP8 GEMM, weight streaming); other kernels as nvidia-trtllm-2025, "
     "overhead as nvidia-vllm-2025; DeepEP"},
    {"amd-rocm-2025",
     {0.91, 0.91, 0.91, 0.73},
     0.45,
     0.70,
     0.80,
     1.0e-4,
     6.0e-5,
     1.2e-5,
     3.0e-5,
     0.70,
     0.80,
     0,
     "AMD max-achievable FLOPs (hipBLASLt, 2025-02); mlperf-v5.1-mi325x-offline; Chips and "
     "Cheese; rest GUESS"},
    {"huawei-cann-2025",
     {0.68, 0.45, 0.68, 0.45},
     0.68,
     0.65,
     0.75,
     1.0e-4,
     6.0e-5,
     1.5e-5,
     3.0e-5,
     0.70,
     0.80,
     0,
     "cm384-910c-prefill (GEMM); rest GUESS"},
    {"generic-guess",
     {0.35, 0.35, 0.35, 0.35},
     0.30,
     0.55,
     0.60,
     2.0e-4,
     8.0e-5,
     2.0e-5,
     4.0e-5,
     0.60,
     0.70,
     0,
     "GUESS"},
};

int ic_sw_profile_count(void) {
    return (int)(sizeof profiles / sizeof profiles[0]);
}
const struct ic_sw_profile *ic_sw_profile_at(int i) {
    return i >= 0 && i < ic_sw_profile_count() ? &profiles[i] : NULL;
}
const struct ic_sw_profile *ic_sw_profile_find(const char *name) {
    for (int i = 0; i < ic_sw_profile_count(); i++)
        if (strcmp(profiles[i].name, name) == 0) return &profiles[i];
    return NULL;
}
const struct ic_sw_profile *ic_sw_profile_default(const struct ic_accelerator *a) {
    if (strncmp(a->vendor, "NVIDIA", 6) == 0) return &profiles[0];
    if (strncmp(a->vendor, "AMD", 3) == 0) return &profiles[3];
    if (strncmp(a->vendor, "Huawei", 6) == 0) return &profiles[4];
    return &profiles[5];
}

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

/* The dense GEMM rate a chip sustains at best, as a fraction of its datasheet peak, where the
 * vendor publishes it: AMD's "Max-Achievable FLOPs" (MAF; rocm.blogs.amd.com, "Measuring
 * Max-Achievable FLOPs - Part 2", 2025-02-28, hipBLASLt-bench at an optimal shape, normally
 * distributed data, warm device, cold caches): MI300X 1,273 TFLOP/s FP8 at a median 1,230 MHz
 * and 708 BF16 at 1,207 MHz, MI325X 1,519 FP8 at 1,464 MHz and 843 BF16 at 1,447 MHz, against
 * the same 2,614.9 / 1,307.4 TFLOP/s datasheet peaks (at 2,100 MHz).  The gap is the clock: under
 * dense matrix work the 750 W MI300X slows to 1.23 GHz, the 1,000 W MI325X to 1.46 GHz, so the
 * MI325X sustains 19% more on the same silicon.  The AMD profile's GEMM efficiencies are shares
 * of this rate (a software property); the power-limited clock is the chip's.  INT8 and FP4 as
 * FP8 (GUESS: the same matrix cores and clock); other AMD chips (MI355X) as the MI300X, the
 * lower of the two (GUESS: no MAF published for them).  Other vendors: 1 (their profiles'
 * efficiencies are shares of the datasheet peak, fitted on their own rows). */
static double gemm_rate_fraction(const struct ic_accelerator *a, int precision) {
    if (strncmp(a->vendor, "AMD", 3) != 0) return 1.0;
    int bf16 = precision == IC_PREC_BF16;
    if (strcmp(a->key, "amd_mi325x") == 0) return bf16 ? 843.0 / 1307.4 : 1519.0 / 2614.9;
    return bf16 ? 708.0 / 1307.4 : 1273.0 / 2614.9;
}

/* Peak of the GEMMs: the datasheet's, at the rate the chip sustains under dense matrix work.
 * An efficiency given by hand (prefill_mfu) or the old pair without a profile stays a share of
 * the datasheet peak, as it always was. */
static double gemm_peak(const struct ic_accelerator *a, const struct ic_perf_params *p,
                        int precision) {
    double f = p->sw.name && !(p->prefill_mfu > 0) ? gemm_rate_fraction(a, precision) : 1.0;
    return ic_peak_flops(a, precision) * f;
}

void ic_vendor_efficiency(const struct ic_accelerator *a, double *mfu, double *mbu) {
    const struct ic_sw_profile *s = ic_sw_profile_default(a);
    *mfu =
        isnan(ic_peak_flops(a, IC_PREC_FP8)) ? s->gemm_eff[IC_PREC_BF16] : s->gemm_eff[IC_PREC_FP8];
    *mbu = s->mem_eff;
}

void ic_perf_params_defaults(struct ic_perf_params *p, const struct ic_accelerator *a) {
    memset(p, 0, sizeof *p);
    p->tp = p->pp = p->ep = 1;
    p->per_node = 8;
    p->scaleout_gbps = 50;
    p->memory_utilization = 0.9;
    p->step_overhead_s = -1;
    p->tpot_slo_s = 0.05;
    p->max_batch = 256;
    p->max_batched_tokens = 8192;
    p->sw = *ic_sw_profile_default(a);
    p->attn_precision = IC_PREC_BF16;
    p->attention_dp = 1;
    p->eplb = 1;
    p->overlap = -1;
    p->admission = IC_ADMIT_PROFILE;
    p->kv_fraction = 1.0;
    /* SGLang's scheduler constants (python/sglang/global_config.py: SGLANG_INIT_NEW_TOKEN_RATIO
     * 0.7, SGLANG_MIN_NEW_TOKEN_RATIO_FACTOR 0.14 of it, SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS 600,
     * retract_decode_steps 20; managers/schedule_policy.py: CLIP_MAX_NEW_TOKENS_ESTIMATION
     * 4096; SGLang v0.4, the release DeepSeek's R1 serving recipes of early 2025 name), at
     * schedule_conservativeness 1 (its default). */
    p->ratio_init = 0.7;
    p->ratio_min = 0.7 * 0.14;
    p->ratio_decay_steps = 600;
    p->retract_steps = 20;
    p->clip_tokens = 4096;
    /* GUESS: activations and workspace of a serving process, beside weights and KV. */
    p->reserve_gb = 2.0;
}

static double weight_bytes(const struct ic_llm *m, int precision);

void ic_perf_fit(const struct ic_llm *m, const struct ic_accelerator *a, int weight_precision,
                 double memory_utilization, double kv_reserve_fraction, long tp_given,
                 long pp_given, long per_node, struct ic_fit *out) {
    double w = weight_bytes(m, weight_precision);
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
        /* Stages are never added silently: say why when the given tp needed them. */
        if (out->ok && pp_given <= 0 && pp > 1)
            snprintf(out->why, sizeof out->why,
                     "note: %s needs %.1f GB for weights; tp %ld holds %.1f GB of it (keeping "
                     "%.0f%% for the KV cache), so %ld pipeline stages were added (give "
                     "pipeline_parallel, or a larger tensor_parallel, to choose otherwise)",
                     m->key, w / 1e9, tp, (double)tp * per * (1.0 - kv_reserve_fraction) / 1e9,
                     100 * kv_reserve_fraction, pp);
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
    if (out->ok && out->pp > 1)
        snprintf(out->why, sizeof out->why,
                 "note: %s (%.1f GB of weights) does not fit one node of %ld x %s with room for "
                 "the KV cache, so the replica spans %ld pipeline stages",
                 m->key, w / 1e9, per_node, a->key, out->pp);
    if (!out->ok)
        snprintf(out->why, sizeof out->why, "%s (%.1f GB of weights) does not fit on 65536 x %s",
                 m->key, w / 1e9, a->key);
}

/* Embedding and LM-head parameters (1e9): vocab x hidden each, one table when tied.  Real
 * checkpoints keep them in BF16 even when the body is quantised. */
static double embed_b(const struct ic_llm *m) {
    if (!(m->vocab_size > 0) || !(m->hidden_size > 0)) return 0;
    return 2.0 * m->vocab_size * m->hidden_size / 1e9;
}

/* Body parameters (1e9, embeddings excluded) that every token reads regardless of routing, and
 * the routed experts' total.  Derived from total, active, E and k alone: active = fixed +
 * routed k/E and total = fixed + routed. */
static void moe_split(const struct ic_llm *m, double *fixed_b, double *routed_b) {
    double e = m->num_routed_experts, k = m->experts_per_token, emb = embed_b(m);
    double total = m->total_params_b - emb, active = m->active_params_b - emb;
    if (!(total > 0)) total = m->total_params_b, active = m->active_params_b, emb = 0;
    if (!(e > 1) || !(k > 0) || !(active < total)) {
        *fixed_b = total;
        *routed_b = 0;
        return;
    }
    double f = k / e;
    double fixed = (active - total * f) / (1.0 - f);
    if (fixed < 0) fixed = 0;
    *fixed_b = fixed;
    *routed_b = total - fixed;
}

/* All weights of one copy of the model: the body at the weight precision, embeddings and LM
 * head at BF16. */
static double weight_bytes(const struct ic_llm *m, int precision) {
    double fixed, routed;
    moe_split(m, &fixed, &routed);
    return (fixed + routed) * 1e9 * ic_precision_bytes(precision) + embed_b(m) * 2e9;
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

/* The efficiencies in force: the profile, or the old pair where a profile is absent, with the
 * pair overriding the profile where it is set. */
struct eff {
    double gemm, gemm_bf16, attn_p, attn_d, mem, ovh_step, ovh_layer, ar_lat, a2a_lat, up, out;
};
static void effs(const struct ic_perf_params *p, struct eff *e) {
    const struct ic_sw_profile *s = &p->sw;
    if (s->name) {
        e->gemm = s->gemm_eff[p->weight_precision];
        e->gemm_bf16 = s->gemm_eff[IC_PREC_BF16];
        e->attn_p = s->attn_prefill_eff;
        e->attn_d = s->attn_decode_eff;
        e->mem = s->mem_eff;
        e->ovh_step = s->step_overhead_s;
        e->ovh_layer = s->layer_overhead_s;
        e->ar_lat = s->allreduce_latency_s;
        e->a2a_lat = s->a2a_latency_s;
        e->up = s->scaleup_eff;
        e->out = s->scaleout_eff;
    } else {
        /* No profile: the old model's figures (6 us collectives, full link rates). */
        e->gemm = e->gemm_bf16 = e->attn_p = p->prefill_mfu;
        e->attn_d = e->mem = p->decode_mbu;
        e->ovh_step = e->ovh_layer = 0;
        e->ar_lat = e->a2a_lat = 6e-6;
        e->up = e->out = 1.0;
    }
    if (p->prefill_mfu > 0) e->gemm = e->gemm_bf16 = e->attn_p = p->prefill_mfu;
    if (p->decode_mbu > 0) e->attn_d = e->mem = p->decode_mbu;
    if (p->step_overhead_s >= 0 && (p->step_overhead_s > 0 || !s->name)) {
        e->ovh_step = p->step_overhead_s;
        e->ovh_layer = 0;
    }
}

/* Per-direction bandwidth of a link among `group` accelerators, bytes/s. */
static double link_bw(const struct ic_accelerator *a, const struct ic_perf_params *p, long group,
                      const struct eff *e) {
    if (group > p->per_node) return p->scaleout_gbps * 1e9 * e->out;
    double bidir = isfinite(a->scaleup_bw_gbps) ? a->scaleup_bw_gbps : IC_PCIE4_BIDIR_GBPS;
    return bidir * 0.5e9 * e->up;
}

static double dmax(double x, double y) {
    return x > y ? x : y;
}
static long lmax1(long x) {
    return x > 1 ? x : 1;
}

/* The attention kernels' precision: FP8 only where asked and the chip has it. */
static int attn_prec(const struct ic_accelerator *a, const struct ic_perf_params *p) {
    return p->attn_precision != IC_PREC_BF16 && !isnan(ic_peak_flops(a, p->attn_precision))
               ? p->attn_precision
               : IC_PREC_BF16;
}

/* Mean accepted tokens per step per sequence with n draft tokens each accepted with rate r
 * (a draft counts only if all before it were accepted): 1 + r + r^2 + ... + r^n. */
static double mtp_tokens(const struct ic_llm *m, const struct ic_perf_params *p) {
    if (p->mtp <= 0) return 1.0;
    /* DeepSeek-V3 technical report (arXiv:2412.19437, 5.4.3): the second token is accepted
     * 85-90% of the time; other models: GUESS 0.7. */
    double r = p->mtp_accept > 0 ? p->mtp_accept : (is_mla(m) ? 0.85 : 0.7);
    double t = 1, x = 1;
    for (long i = 0; i < p->mtp; i++) t += (x *= r);
    return t;
}

/* Expert-load imbalance: the hottest accelerator's expert work over the mean, read as the
 * factor on the expert GEMMs and the all-to-alls (every rank waits for the hottest at each
 * dispatch and combine).  Fitted, through the whole step, on the SGLang large-EP rows
 * (lmsys.org/blog/2025-05-05-large-scale-ep; all calibrate rows of tests/perf/measurements.json):
 *   prefill with EPLB 1.239: sglang-ideal-balance-prefill, 59,337 tok/s per node with simulated
 *     perfect balance over 50,302 with EPLB, both at 4,096-token prompts and 16,384 tokens per
 *     device on 4 x 8 H100 (1.1796 through the step on sglang-h100-prefill-4k's configuration).
 *     Until 2026-12 the row paired 59,337 with the 1K run's 57,674 (1.0288): a 4.7% factor that
 *     was then used in both phases.
 *   prefill without a balancer 1.973: sglang-eplb-prefill-gain (EPLB 1.49x faster), on the same
 *     configuration.
 *   decode without a balancer 3.29: sglang-eplb-decode-gain (2.54x), on
 *     sglang-h100-decode-9nodes' configuration.
 *   decode with EPLB 1.047: no row measures it (GUESS: the figure used for both phases before).
 * Why prefill keeps far more imbalance under EPLB than decode: EPLB places experts for the
 * long-run mean load, and a step departs from the mean by the noise of its independent routing
 * units.  A decode step routes one token each of b x ranks independent sequences (256 x 72 =
 * 18,432 in the 9-node run); a prefill step's 16,384 tokens per device are four 4,096-token
 * prompts, whose tokens pick correlated experts (one document, one topic): 128 prompts over the
 * 32 ranks, so the hottest device's share strays further from the mean (the blog: "larger
 * batches reduce random fluctuations in expert usage").  DeepSeek's own profile simulates
 * absolutely balanced routing (github.com/deepseek-ai/profile-data): its rows run at 1. */
#define IC_IMB_EPLB_PREFILL   1.239
#define IC_IMB_EPLB_DECODE    1.047
#define IC_IMB_NOEPLB_PREFILL 1.973
#define IC_IMB_NOEPLB_DECODE  3.29
static double imbalance(const struct ic_perf_params *p, int decode) {
    if (p->imbalance > 0) return p->imbalance;
    if (p->ep <= 1) return 1.0;
    if (p->eplb) return decode ? IC_IMB_EPLB_DECODE : IC_IMB_EPLB_PREFILL;
    return decode ? IC_IMB_NOEPLB_DECODE : IC_IMB_NOEPLB_PREFILL;
}

/* Grouped (MoE expert) GEMM compute efficiency at m tokens per expert, relative to the same
 * GEMMs at large m.  DeepGEMM's README (github.com/deepseek-ai/DeepGEMM, tables as of commit
 * 327ec92, 2025-04-09; H800 SXM5, FP8, DeepSeek-V3's expert shapes N x K = 4096 x 7168 (gate
 * and up) and 7168 x 2048 (down)):
 *   contiguous layout (prefill), m = 4096-8192 per group: 1,346 and 1,214 TFLOPS
 *   masked layout (decode), m = 1024: 1,233 and 925; m = 512: 1,040 and 916; m = 256: 932 and
 *   815 TFLOPS (at m = 256 also 2,064 and 2,047 GB/s: neither at the compute nor at the
 *   memory roof; the roofline's max(memory, compute) would put it about 35% faster).
 * Taken over one expert's FLOPs (2/3 gate and up, 1/3 down): 1,299, 1,110, 995 and 889 TFLOPS,
 * i.e. 1.0, 0.854, 0.766 and 0.685 of the large-m rate at m = 4096, 1024, 512 and 256;
 * interpolated in log2 m between them, held at 0.685 below 256 (the memory term binds there)
 * and at 1 above 4096.  ASSUMPTION: other vendors' grouped GEMMs lose as much at small m (the
 * loss comes from fixed per-tile pipeline fill and wave quantisation, not from DeepGEMM). */
static double grouped_gemm_factor(double m) {
    static const double lm[] = {8.0, 9.0, 10.0, 12.0}; /* log2 of 256, 512, 1024, 4096 */
    static const double f[] = {0.685, 0.766, 0.854, 1.0};
    if (!(m > 256.0)) return f[0];
    if (m >= 4096.0) return 1.0;
    double x = log2(m);
    for (int i = 0; i < 3; i++)
        if (x <= lm[i + 1]) return f[i] + (f[i + 1] - f[i]) * (x - lm[i]) / (lm[i + 1] - lm[i]);
    return 1.0;
}

/* The share of the network's rate that DeepEP's low-latency (decode) kernels reach at ep ranks
 * of 8 per node.  DeepEP's README (github.com/deepseek-ai/DeepEP, docs/legacy.md, "Low-latency
 * kernels with pure RDMA": H800, CX7 400 Gb/s InfiniBand at ~50 GB/s, 128 tokens per rank,
 * 7168 hidden, top-8, FP8 dispatch and BF16 combine) gives dispatch + combine latencies of
 * 118 + 195 us at EP16, 155 + 273 at EP32, 173 + 314 at EP64, 192 + 369 at EP128 and 194 + 360
 * at EP256.  Counted as this model counts them (one copy per remote expert, 1 + 2 bytes per
 * hidden element: 128 x 8 x (nodes - 1)/nodes x 7168 x 3 bytes) and less the profile's fixed
 * 20 us per dispatch and per combine, the network moves 40.3, 42.6, 43.1, 39.6 and 41.5 GB/s:
 * 0.81, 0.85, 0.86, 0.79 and 0.83 of 50 GB/s, below the 0.90 of the normal kernels
 * (docs/legacy.md: 43-58 GB/s).  Interpolated in log2 ep, held at the ends. */
static double lowlat_net_eff(double ep) {
    static const double le[] = {4.0, 5.0, 6.0, 7.0, 8.0}; /* log2 of 16 ... 256 */
    static const double f[] = {0.81, 0.85, 0.86, 0.79, 0.83};
    double x = log2(ep);
    if (x <= le[0]) return f[0];
    for (int i = 0; i < 4; i++)
        if (x <= le[i + 1]) return f[i] + (f[i + 1] - f[i]) * (x - le[i]) / (le[i + 1] - le[i]);
    return f[4];
}

double ic_perf_step_ops(const struct ic_llm *m, const struct ic_accelerator *a,
                        const struct ic_perf_params *p, double b, double ctx, double pf,
                        double pctx, double ops[8]) {
    return ic_perf_step_ranks_ops(m, a, p, b, ctx, pf, pctx, NULL, ops);
}

double ic_perf_step_ranks_ops(const struct ic_llm *m, const struct ic_accelerator *a,
                              const struct ic_perf_params *p, double b, double ctx, double pf,
                              double pctx, const struct ic_rank_load *busy, double ops[8]) {
    struct eff e;
    effs(p, &e);
    const long tpl = lmax1(p->tp), ppl = lmax1(p->pp), dpl = lmax1(p->attention_dp);
    const double tp = (double)tpl, pp = (double)ppl, dp = (double)dpl;
    const long ep = lmax1(p->ep);
    const double wb = ic_precision_bytes(p->weight_precision);
    const double kvb = m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2;
    const double bw = a->hbm_bandwidth_tbps * 1e12;
    const double peak = gemm_peak(a, p, p->weight_precision);
    const double peak16 = gemm_peak(a, p, IC_PREC_BF16);
    const double peak_attn = ic_peak_flops(a, attn_prec(a, p));
    const double layers = m->layers / pp;
    const double draft = p->mtp > 0 ? (double)p->mtp : 0;
    /* One micro-batch of one attention rank: b sequences each verifying 1 + draft tokens.
     * With the ranks unequal (busy), the rank-local operators (attention, dense GEMMs, LM
     * head, elementwise, the all-to-all's send) are the busiest rank's, which every rank waits
     * for at each MoE layer's all-to-all; the routed experts take the whole replica's tokens. */
    const double bm = (busy ? busy->b : b / dp) / pp, dtok = bm * (1.0 + draft);
    const double pm = (busy ? busy->pf : pf / dp) / pp;
    const double tok = dtok + pm;
    const double tok_all = busy ? (b / dp * (1.0 + draft) + pf / dp) / pp : tok; /* mean */
    if (busy) ctx = busy->ctx, pctx = busy->pctx;
    double fixed_b, routed_b;
    moe_split(m, &fixed_b, &routed_b);
    for (int i = 0; i < 8; i++) ops[i] = 0;
    /* Two micro-batches (DeepSeek, SGLang two-batch overlap; see Communication below): each
     * runs the whole layer stack on its own, so every weight-streaming GEMM reads its weights
     * once per micro-batch (DeepSeek's profile-data README: prefill and decode both use two
     * micro-batches), and an expert sees half the step's tokens at a time. */
    const int overlap = p->overlap >= 0 ? p->overlap : (dpl > 1 && ep > 1);
    const double nmb = overlap ? 2.0 : 1.0;
    if (!(tok > 0) && !(tok_all > 0)) {
        ops[IC_OP_OVERHEAD] = e.ovh_step + e.ovh_layer * m->layers;
        return ops[IC_OP_OVERHEAD];
    }
    const double moe_layers =
        routed_b > 0 ? m->layers - (isfinite(m->first_dense_layers) ? m->first_dense_layers : 0)
                     : 0;
    /* Dense GEMMs (attention projections, dense MLPs, shared experts, router): their weights
     * once per step, 2 FLOPs per weight per token, at the weight precision's peak times the
     * profile's efficiency, which holds for large M (the tokens of a micro-batch); below
     * M = 4096 a GEMM's tiles fill the chip less, by the same factor as DeepGEMM's grouped
     * GEMMs at m rows (grouped_gemm_factor: 0.685 at 256, 0.854 at 1,024), the only cited
     * Hopper FP8 compute figures at a few hundred rows.  ASSUMPTION: a dense GEMM of M rows
     * loses as much as a group of m = M rows (both from per-tile pipeline fill and wave
     * quantisation), on every vendor's chips. */
    double fw = fixed_b * 1e9 / pp / tp;
    ops[IC_OP_GEMM] = dmax(nmb * fw * wb / (bw * e.mem),
                           2.0 * fw * tok / (peak * e.gemm * grouped_gemm_factor(tok / nmb)));
    /* Routed experts.  Without expert parallelism they are sliced by tensor parallelism and see
     * this rank's tokens; with it each accelerator holds E/ep of them and serves its share of
     * every rank's tokens (times the hottest accelerator's imbalance).  An expert's weights are
     * read once per step if any token reaches it: E (1 - (1 - k/E)^t) of E for t tokens. */
    if (routed_b > 0) {
        double E = m->num_routed_experts, k = m->experts_per_token;
        double shards = ep > 1 ? (double)ep : tp;
        double gtok = ep > 1 ? tok_all * dp * tp : tok; /* tokens reaching the expert group */
        double imb = imbalance(p, pm < dtok);
        double per_expert = gtok * k / E; /* tokens per expert */
        /* Per micro-batch: the share of experts touched and the tokens each one's GEMM sees. */
        double touched = 1.0 - pow(1.0 - k / E, gtok / nmb);
        double rw = routed_b * 1e9 / pp / shards;
        double mem = nmb * rw * touched * wb / (bw * e.mem);
        double geff = e.gemm * grouped_gemm_factor(per_expert / nmb);
        double cmp = 2.0 * (routed_b * 1e9 / pp / E) * per_expert * (E / shards) / (peak * geff);
        ops[IC_OP_EXPERT] = imb * dmax(mem, cmp);
    }
    /* LM head: BF16 (not quantised in real checkpoints), for the decode tokens and the last
     * token of each prompt in the chunk (about one per chunk).  With stages it runs on the
     * last one, which the others wait for. */
    if (m->vocab_size > 0) {
        double lw = m->vocab_size * m->hidden_size / tp;
        double lt = dtok + (pm > 0 ? 1 : 0);
        ops[IC_OP_LM_HEAD] = dmax(lw * 2.0 / (bw * e.mem), 2.0 * lw * lt / (peak16 * e.gemm_bf16));
    }
    /* Decode attention over the KV cache: the cache read at its precision (MLA's latent cache
     * is read whole by every tensor-parallel rank; GQA/MHA heads split over them), the FLOPs at
     * the attention precision; each sequence's verify tokens share the read. */
    if (bm > 0 && ctx > 0) {
        double kvsplit = is_mla(m) ? 1.0 : (m->num_kv_heads >= tp ? tp : m->num_kv_heads);
        double mem = bm * ctx * kvb / pp / kvsplit / (bw * e.attn_d);
        double cmp = attn_flops(m, 0) / pp / tp * dtok * ctx / (peak_attn * e.attn_p);
        ops[IC_OP_ATTN_DECODE] = dmax(mem, cmp);
    }
    /* Prefill attention: compute at the attention kernel's precision (BF16 unless FP8 attention
     * is asked), not the FP8/FP4 GEMM peak; the prefix KV read once per chunk. */
    if (pm > 0) {
        double cmp = attn_flops(m, 1) / pp / tp * pm * pctx / (peak_attn * e.attn_p);
        double mem = pctx * kvb / pp / (bw * e.attn_d);
        ops[IC_OP_ATTN_PREFILL] = dmax(mem, cmp);
    }
    /* Elementwise passes (norms, residuals, rotary, activation) over the activations, BF16. */
    {
        double inter = m->intermediate_size > 0 ? m->intermediate_size : 4 * m->hidden_size;
        double dense_layers = m->layers - moe_layers;
        double moe_inter =
            moe_layers > 0
                ? (m->moe_intermediate_size > 0 ? m->moe_intermediate_size : inter) *
                      (m->experts_per_token + (m->shared_experts > 0 ? m->shared_experts : 0))
                : 0;
        double per_tok =
            IC_ELEM_HIDDEN_PASSES * m->hidden_size * m->layers +
            IC_ELEM_INTER_PASSES / tp * (inter * dense_layers + moe_inter * moe_layers);
        ops[IC_OP_ELEMENTWISE] = tok * per_tok / pp * 2.0 / (bw * e.mem);
    }
    /* Communication.  Tensor parallelism: two all-reduces per layer of the micro-batch's BF16
     * activations; a ring moves 2 (tp - 1)/tp of them, plus a latency per collective. */
    double act = tok * m->hidden_size * 2.0, comm = 0, a2a = 0;
    if (tpl > 1)
        comm += 2.0 * layers * (act * 2.0 * (tp - 1.0) / tp / link_bw(a, p, tpl, &e) + e.ar_lat);
    /* Expert parallelism: dispatch (FP8 when the weights are 8-bit or less, else BF16) and
     * combine (BF16) per MoE layer.  Beyond a node, a token crosses the network once per remote
     * node it needs when the kernel forwards within nodes (DeepEP normal mode, prefill), and
     * once per remote expert otherwise (low-latency mode, decode); node-limited routing caps
     * the nodes.  Scale-up and network run side by side: the slower sets the time.  The
     * low-latency kernels move less than the normal ones (lowlat_net_eff: DeepEP's own figures);
     * a profile whose network figure is lower keeps its own.  With two micro-batches each runs
     * its own dispatch and combine, so the fixed latency is paid twice per layer. */
    if (ep > 1 && routed_b > 0) {
        double k = m->experts_per_token, disp = wb <= 1.0 ? 1.0 : 2.0, per = disp + 2.0;
        double ml = moe_layers / pp, nodes = (double)ep / (double)p->per_node;
        double imb = imbalance(p, pm < dtok);
        double up = 0, out = 0, net_eff = e.out;
        if (ep <= p->per_node) {
            up = tok * k * (ep - 1.0) / ep * m->hidden_size * per;
        } else {
            double remote;
            if (pm >= dtok) {
                double lim = p->node_limit > 0 ? (double)p->node_limit : nodes;
                double d = nodes * (1.0 - pow(1.0 - 1.0 / nodes, k));
                if (d > lim) d = lim;
                remote = d * (nodes - 1.0) / nodes;
            } else {
                remote = k * (nodes - 1.0) / nodes;
                net_eff = fmin(e.out, lowlat_net_eff((double)ep));
            }
            out = tok * remote * m->hidden_size * per;
            up = tok * k / nodes * m->hidden_size * per;
        }
        double t_up = up / link_bw(a, p, 2, &e);
        double t_out = out > 0 ? out / (p->scaleout_gbps * 1e9 * net_eff) : 0;
        a2a = ml * (imb * dmax(t_up, t_out) + 2.0 * nmb * e.a2a_lat);
    }
    /* Two micro-batches (DeepSeek, SGLang two-batch overlap) hide the all-to-alls behind the
     * other micro-batch's compute: the step is the larger of the two, not their sum. */
    double compute_ops = 0;
    for (int i = 0; i < IC_OP_COMM; i++) compute_ops += ops[i];
    if (overlap && a2a > 0)
        ops[IC_OP_COMM] = comm + (a2a > compute_ops ? a2a - compute_ops : 0) +
                          (1.0 - IC_TBO_OVERLAP) * (a2a < compute_ops ? a2a : compute_ops);
    else
        ops[IC_OP_COMM] = comm + a2a;
    /* Pipeline: pp micro-batches pass every stage once per step, plus the hops. */
    double stage = compute_ops + ops[IC_OP_COMM];
    double hop = ppl > 1 ? (pp - 1.0) * (act / link_bw(a, p, tpl * ppl, &e) + e.ar_lat) : 0.0;
    for (int i = 0; i <= IC_OP_COMM; i++) ops[i] *= pp;
    ops[IC_OP_COMM] += hop;
    ops[IC_OP_OVERHEAD] = e.ovh_step + e.ovh_layer * m->layers * (1.0 + draft / m->layers);
    return pp * stage + hop + ops[IC_OP_OVERHEAD];
}

/* The step.  mem_s and cmp_s (may be NULL) both receive the operators' part of it (the step
 * less communication and overhead): each operator is already the larger of its own memory and
 * compute times, so callers that take max(mem, cmp) + the rest get the step back exactly. */
double ic_perf_step(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, double b, double ctx, double pf, double pctx,
                    double *mem_out, double *cmp_out) {
    double ops[8];
    double t = ic_perf_step_ops(m, a, p, b, ctx, pf, pctx, ops);
    double body = t - ops[IC_OP_COMM] - ops[IC_OP_OVERHEAD];
    if (mem_out) *mem_out = body;
    if (cmp_out) *cmp_out = body;
    return t;
}

double ic_perf_step_ranks(const struct ic_llm *m, const struct ic_accelerator *a,
                          const struct ic_perf_params *p, double b, double ctx, double pf,
                          double pctx, const struct ic_rank_load *busy, double *mem_out,
                          double *cmp_out) {
    double ops[8];
    double t = ic_perf_step_ranks_ops(m, a, p, b, ctx, pf, pctx, busy, ops);
    double body = t - ops[IC_OP_COMM] - ops[IC_OP_OVERHEAD];
    if (mem_out) *mem_out = body;
    if (cmp_out) *cmp_out = body;
    return t;
}

const char *ic_perf_op_name(int op) {
    static const char *const n[] = {"gemm",         "expert_gemm", "lm_head",       "attn_decode",
                                    "attn_prefill", "elementwise", "communication", "overhead"};
    return op >= 0 && op < 8 ? n[op] : "?";
}

/* Latency of pushing one prompt of n uncached tokens (prefix context pctx) through prefill
 * alone, in chunks of the token budget (per attention rank: every rank is taken alike). */
static double prefill_alone(const struct ic_llm *m, const struct ic_accelerator *a,
                            const struct ic_perf_params *p, double n, double pctx) {
    if (!(n > 0)) return 0;
    double chunks = ceil(n / (double)p->max_batched_tokens);
    double chunk = n / chunks;
    /* A lone request is a single micro-batch: scale by pp so the step sees it whole. */
    double scale = (double)lmax1(p->pp) * (double)lmax1(p->attention_dp);
    return chunks * ic_perf_step(m, a, p, 0, 0, chunk * scale, pctx, NULL, NULL);
}

/* The mean step when prompts arrive in chunks: with p prompt tokens per step on average and
 * chunks of C > p tokens, a share q = p/C of the steps carries a whole chunk and the rest none,
 * so the mean step is (1 - q) step(b, 0) + q step(b, C): the mean of the per-operator maxima,
 * not the maximum at the mean (which would hide the prompt's GEMMs under the decode's weight
 * reads).  With C <= p every step carries prefill and the two agree. */
static double mean_step(const struct ic_llm *m, const struct ic_accelerator *a,
                        const struct ic_perf_params *p, double b, double ctx, double pf,
                        double pctx, double chunk, double ops[8]) {
    if (!(pf > 0) || !(chunk > pf)) return ic_perf_step_ops(m, a, p, b, ctx, pf, pctx, ops);
    double q = pf / chunk, o0[8], o1[8];
    double t0 = ic_perf_step_ops(m, a, p, b, ctx, 0, 0, o0);
    double t1 = ic_perf_step_ops(m, a, p, b, ctx, chunk, pctx, o1);
    for (int i = 0; i < 8; i++) ops[i] = (1.0 - q) * o0[i] + q * o1[i];
    return (1.0 - q) * t0 + q * t1;
}

/* The chunk a prompt reaches a step in: whole, up to the token budget left beside the decode
 * tokens (per attention rank), for the replica's dp ranks together. */
static double prompt_chunk(const struct ic_perf_params *p, double b, double unc) {
    double dp = (double)lmax1(p->attention_dp);
    double left = (double)p->max_batched_tokens * (double)lmax1(p->pp) -
                  b / dp * (1.0 + (p->mtp > 0 ? (double)p->mtp : 0));
    return fmin(unc, fmax(left, 1.0)) * dp;
}

/* The step the TPOT objective judges.  A request's TPOT is its mean time per output token after
 * the first, (end - first token) / (tokens - 1), judged at the 99th percentile over requests:
 * MLPerf LoadGen keeps one TPOT per sample and takes its 99th percentile (mlcommons/inference,
 * loadgen/results.cc: ProcessTokenLatencies, PerfConstraintsMet), and vLLM's serving benchmark
 * reports the same per-request mean as TPOT (its per-token gaps are ITL); the request engine
 * judges each request so (sim/engine/svccurve.c).  Over the L steps a request decodes in, a
 * share q of the steps carries a prompt chunk (mean_step), so its mean step is the mean step
 * with a binomial spread: sd = sqrt(q (1 - q) / L) (step(b, C) - step(b, 0)), and the 99th
 * percentile request (normal approximation, z = 2.326) sees mean + 2.326 sd.  L is the mix's
 * mean number of decode steps; shorter requests spread more, longer ones less (the request
 * engine measures the whole distribution).  Until 2026-12 the judged step was the mean step
 * plus one more 256-token chunk (a guess for a per-step percentile), which held MLPerf's
 * H200 Interactive/Server ratio at 0.78 against the measured 0.59 (README). */
static double judged_step(const struct ic_llm *m, const struct ic_accelerator *a,
                          const struct ic_perf_params *p, double b, double ctx, double ratio,
                          double pctx, double unc, double steps) {
    double ops[8];
    double pf = ratio * b, chunk = prompt_chunk(p, b, unc);
    double t = mean_step(m, a, p, b, ctx, pf, pctx, chunk, ops);
    if (!(pf > 0) || !(chunk > pf)) return t; /* every step alike: no spread */
    double q = pf / chunk;
    double t0 = ic_perf_step(m, a, p, b, ctx, 0, 0, NULL, NULL);
    double t1 = ic_perf_step(m, a, p, b, ctx, chunk, pctx, NULL, NULL);
    return t + 2.326 * sqrt(q * (1.0 - q) / fmax(steps, 1.0)) * (t1 - t0);
}

/* Largest batch in [1, cap] whose TPOT-judged step meets the objective; the step is increasing
 * in the batch. */
static long largest_batch(const struct ic_llm *m, const struct ic_accelerator *a,
                          const struct ic_perf_params *p, long cap, double ctx, double ratio,
                          double pctx, double unc, double steps, double slo) {
    if (judged_step(m, a, p, (double)cap, ctx, ratio, pctx, unc, steps) <= slo) return cap;
    long lo = 1, hi = cap; /* step(lo) <= slo < step(hi) */
    while (hi - lo > 1) {
        long mid = lo + (hi - lo) / 2;
        if (judged_step(m, a, p, (double)mid, ctx, ratio, pctx, unc, steps) <= slo)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Prompt tokens per second per accelerator of a unit that only prefills: every attention rank
 * and pipeline stage busy with a full chunk (a pipeline adds throughput, not only latency). */
static double prefill_rate_per_accel(const struct ic_llm *m, const struct ic_accelerator *a,
                                     const struct ic_perf_params *p, double pctx) {
    double scale = (double)lmax1(p->pp) * (double)lmax1(p->attention_dp);
    double pf = (double)p->max_batched_tokens * scale;
    double t = ic_perf_step(m, a, p, 0, 0, pf, pctx, NULL, NULL);
    double n = scale * (double)lmax1(p->tp);
    return pf / t / n;
}

/* The parameters of a disaggregated role's unit of n accelerators: attention data-parallel
 * over what tensor and pipeline parallelism leave, experts over the unit when they were spread. */
static struct ic_perf_params unit_params(const struct ic_perf_params *p, long n) {
    struct ic_perf_params u = *p;
    if (n <= 0) return u;
    long group = lmax1(p->tp) * lmax1(p->pp);
    if (lmax1(p->attention_dp) > 1 || lmax1(p->ep) > 1) {
        u.attention_dp = n / group > 1 ? n / group : 1;
        if (lmax1(p->ep) > 1) u.ep = n;
    }
    return u;
}

/* The replica; with_curve 0 leaves ttft_wait_s at zero (the per-class costs below need only the
 * throughput, and the curve is most of the work of a call). */
static int replica(const struct ic_llm *m, const struct ic_accelerator *a,
                   const struct ic_perf_params *p0, const struct ic_mix *mix, struct ic_perf *out,
                   char *why, int whysize, int with_curve);

int ic_perf_replica(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p0, const struct ic_mix *mix, struct ic_perf *out,
                    char *why, int whysize) {
    return replica(m, a, p0, mix, out, why, whysize, 1);
}

static int replica(const struct ic_llm *m, const struct ic_accelerator *a,
                   const struct ic_perf_params *p0, const struct ic_mix *mix, struct ic_perf *out,
                   char *why, int whysize, int with_curve) {
    memset(out, 0, sizeof *out);
    struct ic_perf_params pv = *p0;
    const struct ic_perf_params *p = &pv;
    if (pv.max_throughput) {
        pv.tpot_slo_s = INFINITY;
        pv.ttft_slo_s = 0;
    }
    const long dpl = lmax1(p->attention_dp);
    const double n = (double)(lmax1(p->tp) * lmax1(p->pp) * dpl);
    out->accels = lmax1(p->tp) * lmax1(p->pp) * dpl;
    out->tp = lmax1(p->tp);
    out->pp = lmax1(p->pp);
    out->ep = lmax1(p->ep);
    out->attention_dp = dpl;
    out->weight_bytes = weight_bytes(m, p->weight_precision);
    out->kv_bytes_per_token =
        m->kv_cache_bytes_per_token_bf16 * ic_precision_bytes(p->kv_precision) / 2.0;
    /* Memory: each attention rank holds the non-routed weights (over its tp x pp); routed
     * experts are spread over ep accelerators (copied as often as the replica holds ep), or
     * sliced like the rest without expert parallelism.  The KV cache gets kv_fraction of what
     * remains after the weights and a runtime reserve per accelerator. */
    double fixed_b, routed_b;
    moe_split(m, &fixed_b, &routed_b);
    double wb = ic_precision_bytes(p->weight_precision);
    double copies_fixed = (double)dpl;
    double copies_routed = out->ep > 1 ? n / (double)out->ep : (double)dpl;
    if (copies_routed < 1) copies_routed = 1;
    double footprint = copies_fixed * (fixed_b * 1e9 * wb + embed_b(m) * 2e9) +
                       copies_routed * routed_b * 1e9 * wb;
    double kvf = p->kv_fraction > 0 ? p->kv_fraction : 1.0;
    out->kv_capacity_bytes =
        kvf * (n * a->hbm_gb * 1e9 * p->memory_utilization - footprint - n * p->reserve_gb * 1e9);

    /* Mix means.  Decode-time-weighted context: a sequence spends (reasoning + answer) tokens
     * decoding, at mean context in + (reasoning + answer)/2; reasoning tokens stay in the
     * context for the turn.  Prefill tokens attend, on average, to the cached prefix plus half
     * of the uncached part: E[n^2 (1 - h^2)/2] / E[n (1 - h)]. */
    double wsum = 0, csum = 0, tokens = 0, unc = 0, dec = 0, psum = 0, full = 0;
    for (int c = 0; c < mix->n; c++) {
        double d = mix->out_mean[c] + mix->reason_mean[c], h = mix->cache_hit[c];
        wsum += mix->share[c] * d;
        csum += mix->share[c] * d * (mix->in_mean[c] + 0.5 * d);
        tokens += mix->share[c] * (mix->in_mean[c] + d);
        unc += mix->share[c] * mix->in_mean[c] * (1.0 - h);
        dec += mix->share[c] * d;
        psum += mix->share[c] * mix->in_sq_mean[c] * (1.0 - h * h) * 0.5;
        full += mix->share[c] * d * (mix->in_mean[c] + d);
    }
    const double ctx = wsum > 0 ? csum / wsum : 1.0;
    const double pctx = unc > 0 ? psum / unc : 0.0;
    if (dec < 1e-9) dec = 1e-9;
    out->decode_context = ctx;
    out->tokens_per_request = tokens;
    out->dec_tokens = dec;
    out->unc_tokens = unc;
    out->imbalance = imbalance(p, 1);
    const double tps = mtp_tokens(m, p);
    out->tokens_per_step_seq = tps;

    /* Admission: on demand (vLLM's paged cache) holds each sequence's current context, ctx on
     * average; reserving (TensorRT-LLM's default) holds prompt + whole output from the start. */
    int reserve = p->admission == IC_ADMIT_RESERVE ||
                  (p->admission == IC_ADMIT_PROFILE && p->sw.name && p->sw.admission_reserve);
    double seq_tokens = reserve && wsum > 0 ? full / wsum : ctx;
    double bmem = floor(out->kv_capacity_bytes / (seq_tokens * out->kv_bytes_per_token));
    if (!(bmem >= 1)) {
        snprintf(why, (size_t)whysize,
                 "the KV cache (%.1f GB left after %.1f GB of weights on %ld x %s) holds no "
                 "sequence of the mean context %.0f tokens (%.2f GB)",
                 out->kv_capacity_bytes / 1e9, footprint / 1e9, out->accels, a->key, seq_tokens,
                 seq_tokens * out->kv_bytes_per_token / 1e9);
        return -1;
    }
    out->batch_memory = (long)fmin(bmem, 1e12);
    /* Prompt tokens per decode sequence per step that keep pace with the decoding. */
    const double ratio = p->disaggregated ? 0.0 : unc * tps / dec;
    /* Caps: memory, sequences, and tokens per step ((b + p)/pp per micro-batch); the
     * scheduler's caps hold per attention rank. */
    double cap = bmem;
    out->limit = IC_LIMIT_MEMORY;
    if ((double)p->max_batch * (double)dpl < cap) {
        cap = (double)p->max_batch * (double)dpl;
        out->limit = IC_LIMIT_MAX_BATCH;
    }
    double budget_cap = floor((double)p->max_batched_tokens * (double)lmax1(p->pp) * (double)dpl /
                              (1.0 + (p->mtp > 0 ? (double)p->mtp : 0) + ratio));
    if (budget_cap < cap) {
        cap = budget_cap;
        out->limit = IC_LIMIT_TOKEN_BUDGET;
    }
    if (cap < 1) cap = 1;
    /* The TPOT objective is judged on the 99th-percentile request's mean step (judged_step),
     * per accepted token; a request decodes in dec / tps steps. */
    double steps = dec / tps;
    double slo = p->tpot_slo_s * tps;
    long b;
    out->step1_s = ic_perf_step(m, a, p, (double)(lmax1(p->pp) * dpl), ctx, 0, 0, NULL, NULL) / tps;
    if (judged_step(m, a, p, (double)dpl, ctx, ratio, pctx, unc, steps) > slo) {
        b = dpl;
        out->limit = IC_LIMIT_SLO_INFEASIBLE;
    } else {
        b = largest_batch(m, a, p, (long)cap, ctx, ratio, pctx, unc, steps, slo);
        if (b < (long)cap) out->limit = IC_LIMIT_SLO;
    }
    out->batch = b;
    out->prefill_per_step = ratio * (double)b;
    double ops[8];
    out->step_s = mean_step(m, a, p, (double)b, ctx, out->prefill_per_step, pctx,
                            prompt_chunk(p, (double)b, unc), ops);
    memcpy(out->step_ops, ops, sizeof ops);
    {
        /* Compute-bound: the dense GEMMs' FLOPs take longer than their weight reads. */
        struct eff e;
        effs(p, &e);
        double tok =
            ((double)b * (1.0 + (p->mtp > 0 ? (double)p->mtp : 0)) + out->prefill_per_step) /
            (double)dpl / (double)lmax1(p->pp);
        out->compute_bound = 2.0 * tok / (gemm_peak(a, p, p->weight_precision) * e.gemm) >
                             wb / (a->hbm_bandwidth_tbps * 1e12 * e.mem);
    }
    double decode_only = ic_perf_step(m, a, p, (double)b, ctx, 0, 0, NULL, NULL);
    out->prefill_share = out->step_s > 0 ? (out->step_s - decode_only) / out->step_s : 0;
    out->decode_tokens_per_s = (double)b * tps / out->step_s;
    out->decode_tok_s_per_accel = out->decode_tokens_per_s / n;

    double reason = 0;
    for (int c = 0; c < mix->n; c++) reason += mix->share[c] * mix->reason_mean[c];
    double sp; /* service time of one prompt at the full prefill rate: the TTFT queue's */
    if (p->disaggregated) {
        /* Prefill units: steps full of prompt tokens; decode units: decode-only steps.  Each
         * role has its own unit size (and so attention ranks and expert spread). */
        struct ic_perf_params pu = unit_params(p, p->prefill_unit);
        long pn = p->prefill_unit > 0 ? p->prefill_unit : out->accels;
        long dn = p->decode_unit > 0 ? p->decode_unit : out->accels;
        double pre_acc = prefill_rate_per_accel(m, a, &pu, pctx); /* prompt tok/s per accel */
        out->prefill_tok_s_per_accel = pre_acc;
        out->prefill_accels = pn;
        out->decode_accels = dn;
        double dec_acc = out->decode_tok_s_per_accel;
        if (p->decode_unit > 0 && p->decode_unit != out->accels) {
            /* The decode unit differs from the replica the batch was found for: the batch per
             * accelerator stays, the unit's own expert spread and attention ranks apply. */
            struct ic_perf_params du = unit_params(p, p->decode_unit);
            double bu = (double)b / n * (double)dn;
            double st = ic_perf_step(m, a, &du, bu, ctx, 0, 0, NULL, NULL);
            dec_acc = bu * tps / st / (double)dn;
            out->decode_tok_s_per_accel = dec_acc;
        }
        double mu_p = pre_acc / fmax(unc, 1e-9), mu_d = dec_acc / dec; /* requests/s/accel */
        double f = p->prefill_fraction > 0 ? p->prefill_fraction : mu_d / (mu_p + mu_d);
        double per_acc = fmin(f * mu_p, (1.0 - f) * mu_d);
        if (p->prefill_unit > 0 || p->decode_unit > 0) {
            /* The replica is one unit of each role. */
            out->accels = pn + dn;
            out->requests_per_s_sat = fmin((double)pn * mu_p, (double)dn * mu_d);
        } else {
            out->requests_per_s_sat = per_acc * n;
        }
        double in = 0;
        for (int c = 0; c < mix->n; c++) in += mix->share[c] * mix->in_mean[c];
        out->kv_transfer_s = in * out->kv_bytes_per_token / (p->scaleout_gbps * 1e9 * n);
        double pre_rate = pre_acc * (double)out->accels; /* the replica's prompt tokens/s */
        sp = unc / (f * pre_rate);
        double dec_rate = dec_acc * (double)out->accels;
        for (int c = 0; c < mix->n; c++) {
            double dc = mix->out_mean[c] + mix->reason_mean[c];
            double uc = mix->in_mean[c] * (1.0 - mix->cache_hit[c]);
            /* Replica-seconds: prompt tokens at the prefill rate, decode tokens at the decode
             * rate; at the balanced split these add up to 1 / throughput. */
            out->service_s[c] = uc / pre_rate + dc / dec_rate;
        }
    } else {
        out->prefill_tok_s_per_accel =
            out->prefill_per_step > 0 ? out->prefill_per_step / out->step_s / n : 0;
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
                if (replica(m, a, p, &one, &r1, w1, sizeof w1, 0) == 0)
                    alone[c] = 1.0 / r1.requests_per_s_sat;
            }
            sum += mix->share[c] * alone[c];
        }
        for (int c = 0; c < mix->n; c++) out->service_s[c] = alone[c] * (sum > 0 ? sp / sum : 1);
    }
    const double tpot = out->step_s / tps;
    double smean = 0, t1 = 0;
    for (int c = 0; c < mix->n; c++) {
        double uc = mix->in_mean[c] * (1.0 - mix->cache_hit[c]);
        double pc = mix->in_mean[c] * mix->cache_hit[c] + 0.5 * uc;
        out->prefill_s[c] = prefill_alone(m, a, p, uc, pc) + out->kv_transfer_s;
        out->ttft_s[c] = out->step_s + (unc > 0 ? sp * uc / unc : 0) + mix->reason_mean[c] * tpot +
                         out->kv_transfer_s;
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
        double room = p->ttft_slo_s - out->step_s - reason * tpot - out->kv_transfer_s;
        double rho = room > 0 ? 1.0 - sp / room : 0.0;
        out->ttft_rho = rho < 0 ? 0 : (rho > 1 ? 1 : rho);
    }
    out->requests_per_s = out->ttft_rho * out->requests_per_s_sat;
    out->tokens_per_s = out->requests_per_s * tokens;

    /* The wait beyond TTFT alone at load u (requests/s u * requests_per_s).  The running batch
     * b follows Little's law, b = lambda (decode tokens / tokens per step) S(b), with S(b) the
     * mean step at that batch carrying its share of prompt tokens (a fixed point, found by
     * bisection; it reaches the operating batch at u = 1).  An arrival waits for
     * the rest of the iteration in progress (half of one: iterations at a load are of near
     * equal length) and its own iteration is longer than alone by the running batch:
     * 1.5 (S(b) - S(1)), S(1) the step of the request alone.  Checked against the request engine at
     * 30-70% load (tests/python/test_engines.py).  Disaggregated: in proportion to the load up to
     * the saturated TTFT. */
    double ttft_sat = 0;
    for (int c = 0; c < mix->n; c++) ttft_sat += mix->share[c] * (out->ttft_s[c] - out->ttft1_c[c]);
    const double s0 = out->step1_s * tps; /* the step of a request alone */
    out->ttft_wait_s[0] = 0;
    for (int k = 1; with_curve && k < IC_PERF_LOAD_POINTS; k++) {
        double u = (double)k / (IC_PERF_LOAD_POINTS - 1);
        if (p->disaggregated) {
            out->ttft_wait_s[k] = u * fmax(ttft_sat, 0.0);
            continue;
        }
        /* lam dec/tps S(b) - b falls from >= 0 at b = 0 to <= 0 at the operating batch. */
        double lam = u * out->requests_per_s_sat * out->ttft_rho, lo = 0, hi = (double)b;
        for (int it = 0; it < 40 && hi - lo > 1e-6 * fmax(1.0, hi); it++) {
            double mid = 0.5 * (lo + hi);
            double sm =
                mean_step(m, a, p, mid, ctx, ratio * mid, pctx, prompt_chunk(p, mid, unc), ops);
            if (lam * dec / tps * sm > mid)
                lo = mid;
            else
                hi = mid;
        }
        double bb = 0.5 * (lo + hi);
        double sb = mean_step(m, a, p, bb, ctx, ratio * bb, pctx, prompt_chunk(p, bb, unc), ops);
        out->ttft_wait_s[k] = 1.5 * fmax(sb - s0, 0.0);
    }
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

void ic_perf_unit_params(const struct ic_perf_params *p, long n, struct ic_perf_params *unit) {
    *unit = unit_params(p, n);
}
