/* perf.h: serving performance of one model replica.
 *
 * A replica is a group of tp x pp accelerators holding one copy of the weights (tensor, pipeline
 * and optionally expert parallel).  It serves with iteration-level (continuous) batching and
 * chunked prefill: every step decodes one token for each of b running sequences and pushes p
 * prompt tokens through prefill.  The model gives, for a request mix: the largest batch that
 * fits in memory, keeps time per output token (TPOT) under its objective and the step under the
 * scheduler's token budget; the step time there; the saturated throughput; the time to first
 * token (TTFT) at concurrency 1 and at load; and, with a TTFT objective, the throughput at which
 * it still holds.  models/perf.c has the equations and their sources. */
#ifndef IC_PERF_H
#define IC_PERF_H

#include "models/catalog.h"
#include "sim/core/enumtab.h"

#define IC_PERF_MAX_CLASSES 16

enum ic_precision { IC_PREC_BF16, IC_PREC_FP8, IC_PREC_INT8, IC_PREC_FP4 };
/* Their names ("bf16", "fp8", "int8", "fp4"); the attention kernels take bf16 or fp8. */
extern const struct ic_enum_table ic_precisions;
extern const struct ic_enum_table ic_attention_precisions;
const char *ic_precision_name(int precision);

/* Bytes per element of a precision (bf16 2, fp8 1, int8 1, fp4 0.5). */
double ic_precision_bytes(int precision);
/* Dense peak of the accelerator at a precision, in FLOP/s; NaN when the catalog has none. */
double ic_peak_flops(const struct ic_accelerator *a, int precision);

/* A serving-software efficiency profile: what one vendor family's serving stack of one
 * generation reaches, per operator class.  models/perf.c lists the profiles and the measurement
 * row or kernel benchmark behind every figure. */
struct ic_sw_profile {
    const char *name;           /* e.g. "nvidia-trtllm-2025" */
    double gemm_eff[4];         /* per enum ic_precision: fraction of the dense peak in GEMMs */
    double attn_prefill_eff;    /* prefill attention: fraction of the attention precision's peak */
    double attn_decode_eff;     /* decode attention: fraction of HBM bandwidth reading the KV */
    double mem_eff;             /* weight and activation streaming: fraction of HBM bandwidth */
    double step_overhead_s;     /* fixed launch/scheduling time per step */
    double layer_overhead_s;    /* launch time per layer per step (grows with the layers) */
    double allreduce_latency_s; /* per collective */
    double a2a_latency_s;       /* per dispatch or combine */
    double scaleup_eff;         /* achieved fraction of the scale-up link's per-direction rate */
    double scaleout_eff;        /* achieved fraction of the network's rate */
    int admission_reserve;      /* 1: reserve prompt + output per sequence (TensorRT-LLM) */
    const char *source;         /* where the figures come from */
};

/* The profile of that name, or NULL. */
const struct ic_sw_profile *ic_sw_profile_find(const char *name);
/* The default profile of an accelerator's vendor family. */
const struct ic_sw_profile *ic_sw_profile_default(const struct ic_accelerator *a);
/* All profiles, for listings: the count and the i-th. */
int ic_sw_profile_count(void);
const struct ic_sw_profile *ic_sw_profile_at(int i);

/* Default efficiencies by vendor family, as the old single pair: the default profile's GEMM
 * efficiency at FP8 (BF16 where the chip has no FP8) and its weight-streaming efficiency. */
void ic_vendor_efficiency(const struct ic_accelerator *a, double *prefill_mfu, double *decode_mbu);

/* Does the model fit, and on how many accelerators? */
struct ic_fit {
    int ok;
    long accels;         /* accelerators per replica: tp x pp */
    long tp, pp;         /* tensor and pipeline parallel degrees */
    double weight_bytes; /* all weights at the chosen precision */
    double usable_bytes; /* accels x device memory x memory utilisation */
    char why[320];
};
/* Replica size: tp and pp as given (0: choose); automatic sizing takes the smallest power of
 * two whose memory holds the weights and keeps kv_reserve_fraction of it for the KV cache,
 * with tp up to the accelerators of a node and pipeline stages beyond. */
void ic_perf_fit(const struct ic_llm *m, const struct ic_accelerator *a, int weight_precision,
                 double memory_utilization, double kv_reserve_fraction, long tp_given,
                 long pp_given, long per_node, struct ic_fit *out);

/* The request mix as the performance model needs it: per-class means. */
struct ic_mix {
    int n;
    double share[IC_PERF_MAX_CLASSES]; /* normalised to sum 1 */
    double in_mean[IC_PERF_MAX_CLASSES];
    double in_sq_mean[IC_PERF_MAX_CLASSES];  /* E[n^2] of prompt tokens (attention is quadratic) */
    double out_mean[IC_PERF_MAX_CLASSES];    /* answer tokens */
    double reason_mean[IC_PERF_MAX_CLASSES]; /* reasoning tokens, decoded before the answer */
    double cache_hit[IC_PERF_MAX_CLASSES];
};

enum ic_admission { IC_ADMIT_PROFILE, IC_ADMIT_ON_DEMAND, IC_ADMIT_RESERVE };
extern const struct ic_enum_table ic_admissions; /* "profile", "on-demand", "reserve" */
const char *ic_admission_name(int admission);

/* Everything the step and replica equations take.  A field left 0 falls back to a neutral
 * value (efficiencies to prefill_mfu / decode_mbu, degrees to 1), so a struct zeroed and filled
 * with the old fields still works; ic_perf_params_defaults fills the new ones. */
struct ic_perf_params {
    int weight_precision, kv_precision;
    long tp, pp, ep;      /* parallel degrees (ep: experts spread over ep accelerators; 1: none) */
    long per_node;        /* accelerators per node: tp beyond it crosses the scale-out network */
    double scaleout_gbps; /* per-accelerator scale-out (network) bandwidth, GB/s */
    double memory_utilization;
    double prefill_mfu, decode_mbu; /* > 0: overrides of the profile (GEMM and prefill attention;
                                       weight streaming and decode attention) */
    double step_overhead_s;         /* >= 0: replaces the profile's launch/scheduling overhead */
    double tpot_slo_s;
    double ttft_slo_s;       /* 0: none */
    long max_batch;          /* running sequences */
    long max_batched_tokens; /* tokens per step (decode + prefill chunk) */
    int disaggregated;       /* separate prefill and decode pools */
    double prefill_fraction; /* disaggregated: share of accelerators doing prefill; 0: balanced */
    /* ---- version 2 (ic_perf_params_defaults) ---- */
    struct ic_sw_profile sw; /* efficiencies; sw.name NULL: the old MFU/MBU pair alone */
    int attn_precision;      /* attention kernels' precision (BF16; FP8 where asked and present) */
    long attention_dp;       /* attention data-parallel ranks per replica (1: none) */
    int eplb;                /* 1: an expert-parallel load balancer runs (DeepSeek EPLB) */
    double imbalance;        /* > 0: hottest accelerator's expert load over the mean, forced */
    int overlap;             /* 1: two micro-batches overlap all-to-alls with compute; -1 auto */
    long mtp;                /* draft tokens per step (multi-token prediction); 0: none */
    double mtp_accept;       /* acceptance rate of each draft token; 0: the model's default */
    int max_throughput;      /* 1: no latency objective (benchmark offline mode) */
    int admission;           /* enum ic_admission */
    double kv_fraction;      /* share of free memory (after weights and reserve) for KV; 0: 1 */
    double reserve_gb;       /* runtime reserve per accelerator (activations, workspace) */
    long prefill_unit;       /* disaggregated: accelerators per prefill unit (0: the replica) */
    long decode_unit;        /* disaggregated: accelerators per decode unit (0: the replica) */
    long node_limit;         /* MoE: most nodes a token's experts span (0: no limit) */
    /* The request engine's KV admission on attention data-parallel ranks (SGLang's scheduler,
     * sim/engine/reqsim.h; the performance model does not use them): a rank admits a prompt
     * while its KV holds the running sequences' KV plus new_token_ratio x their remaining
     * output tokens (each at most clip_tokens) plus the prompt and its own output; the ratio
     * starts at ratio_init, falls by (ratio_init - ratio_min) / ratio_decay_steps a decode step
     * to ratio_min, and is raised after a rank retracts sequences to free retract_steps decode
     * steps of its growth. */
    double ratio_init, ratio_min, ratio_decay_steps, retract_steps, clip_tokens;
};

/* Fill every field with its default for accelerator a (profile by vendor family). */
void ic_perf_params_defaults(struct ic_perf_params *p, const struct ic_accelerator *a);

enum ic_batch_limit {
    IC_LIMIT_MEMORY,        /* KV cache full */
    IC_LIMIT_MAX_BATCH,     /* scheduler cap on sequences */
    IC_LIMIT_TOKEN_BUDGET,  /* scheduler cap on tokens per step */
    IC_LIMIT_SLO,           /* a larger batch would break the TPOT objective */
    IC_LIMIT_SLO_INFEASIBLE /* even batch 1 breaks it */
};

#define IC_PERF_LOAD_POINTS 21

struct ic_perf {
    long accels, tp, pp, ep;
    double weight_bytes, kv_bytes_per_token, kv_capacity_bytes;
    double decode_context;   /* decode-time-weighted mean context per sequence, tokens */
    double dec_tokens;       /* decode tokens (reasoning + answer) per request, mix mean */
    double unc_tokens;       /* uncached prompt tokens per request, mix mean */
    long batch_memory;       /* sequences the KV cache holds */
    long batch;              /* running sequences at the operating point */
    double prefill_per_step; /* prompt tokens per step at the operating point */
    int limit;               /* enum ic_batch_limit */
    int compute_bound;       /* the step is limited by compute rather than memory bandwidth */
    double step_s;           /* step time at the operating point = TPOT there */
    double step1_s;          /* decode step at batch 1: inter-token latency at concurrency 1 */
    double prefill_share;    /* share of the step time the prefill tokens add */
    double decode_tokens_per_s;
    double prefill_s[IC_PERF_MAX_CLASSES]; /* TTFT part of prefill at concurrency 1 */
    double service_s[IC_PERF_MAX_CLASSES]; /* replica-seconds per request of the class */
    double ttft_s[IC_PERF_MAX_CLASSES];    /* to the first answer token at saturation */
    double ttft1_c[IC_PERF_MAX_CLASSES];   /* the same at concurrency 1 */
    /* Mean wait for the first token beyond ttft1_c at load u = k / (IC_PERF_LOAD_POINTS - 1)
     * of requests_per_s (the same for every class: it is the iterations it waits on). */
    double ttft_wait_s[IC_PERF_LOAD_POINTS];
    double service_s_mean;
    double requests_per_s_sat; /* saturated, under the TPOT objective */
    double ttft_rho;           /* load at which the TTFT objective still holds (1: no limit) */
    double requests_per_s;     /* under both objectives: the replica's capacity */
    double tokens_per_request; /* input + reasoning + output, mix mean */
    double tokens_per_s;       /* at capacity, input + reasoning + output */
    double ttft1_s;            /* prefill, reasoning and the first answer token, concurrency 1 */
    double kv_transfer_s;      /* disaggregated: moving the prompt's KV to the decode pool */
    /* ---- version 2 ---- */
    long attention_dp;
    double tokens_per_step_seq;     /* decode tokens per sequence per step (1 + accepted drafts) */
    double imbalance;               /* expert-load factor used */
    double prefill_tok_s_per_accel; /* a prefill unit's prompt tokens/s per accelerator */
    double decode_tok_s_per_accel;  /* a decode unit's output tokens/s per accelerator */
    long prefill_accels, decode_accels; /* disaggregated: unit sizes */
    double step_ops[8];                 /* the step's operator times at the operating point, s */
};

enum ic_perf_op {
    IC_OP_GEMM,
    IC_OP_EXPERT,
    IC_OP_LM_HEAD,
    IC_OP_ATTN_DECODE,
    IC_OP_ATTN_PREFILL,
    IC_OP_ELEMENTWISE,
    IC_OP_COMM,
    IC_OP_OVERHEAD
};
const char *ic_perf_op_name(int op);

/* The step broken into its operators (enum ic_perf_op), per accelerator. */
double ic_perf_step_ops(const struct ic_llm *m, const struct ic_accelerator *a,
                        const struct ic_perf_params *p, double batch, double ctx, double prefill,
                        double pctx, double ops[8]);

/* Attention data parallelism with unequal ranks: the busiest attention rank's load (its
 * decoding sequences, their mean context, its prefill tokens and their mean prefix context).
 * The step's rank-local operators are priced at it, the routed experts at the whole step's
 * tokens (every rank waits for the busiest at each MoE layer's all-to-all).  NULL: the load
 * spread evenly over the ranks, as ic_perf_step_ops. */
struct ic_rank_load {
    double b, ctx, pf, pctx;
};
double ic_perf_step_ranks_ops(const struct ic_llm *m, const struct ic_accelerator *a,
                              const struct ic_perf_params *p, double batch, double ctx,
                              double prefill, double pctx, const struct ic_rank_load *busy,
                              double ops[8]);
double ic_perf_step_ranks(const struct ic_llm *m, const struct ic_accelerator *a,
                          const struct ic_perf_params *p, double batch, double ctx, double prefill,
                          double pctx, const struct ic_rank_load *busy, double *mem_s,
                          double *cmp_s);

/* Time of one step decoding `batch` sequences at mean context `ctx` while pushing `prefill`
 * prompt tokens at mean prefix context `pctx` through prefill.  Extra outputs (may be NULL):
 * the memory and compute terms. */
double ic_perf_step(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, double batch, double ctx, double prefill,
                    double pctx, double *mem_s, double *cmp_s);

/* Everything above for one replica.  Returns 0, or -1 when the mix leaves no room for a single
 * sequence in the KV cache (why says so). */
int ic_perf_replica(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, const struct ic_mix *mix, struct ic_perf *out,
                    char *why, int whysize);

const char *ic_batch_limit_name(int limit);

/* The parameters of a disaggregated role's unit of n accelerators (0: the replica's own), as
 * ic_perf_replica takes them: attention data-parallel over what tensor and pipeline parallelism
 * leave, experts over the unit when they were spread. */
void ic_perf_unit_params(const struct ic_perf_params *p, long n, struct ic_perf_params *unit);

#endif
