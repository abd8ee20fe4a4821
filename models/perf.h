/* perf.h: serving performance of one model replica (a first roofline; issue #4 deepens it).
 *
 * A replica is a group of accelerators holding one copy of the weights (tensor parallel).  For
 * a request mix it gives the largest decode batch that fits in memory and meets the TPOT
 * objective, the decode step time at that batch, the prefill time per class, and so the
 * replica-seconds each request costs. */
#ifndef IC_PERF_H
#define IC_PERF_H

#include "catalog.h"

#define IC_PERF_MAX_CLASSES 16

enum ic_precision { IC_PREC_BF16, IC_PREC_FP8, IC_PREC_INT8, IC_PREC_FP4 };

/* Bytes per element of a precision (bf16 2, fp8 1, int8 1, fp4 0.5). */
double ic_precision_bytes(int precision);
/* Dense peak of the accelerator at a precision, in FLOP/s; NaN when the catalog has none. */
double ic_peak_flops(const struct ic_accelerator *a, int precision);

/* Does the model fit, and on how many accelerators? */
struct ic_fit {
    int ok;
    long accels;         /* accelerators per replica */
    double weight_bytes; /* all weights at the chosen precision */
    double usable_bytes; /* accels x device memory x memory utilisation */
    char why[320];
};
void ic_perf_fit(const struct ic_llm *m, const struct ic_accelerator *a, int weight_precision,
                 double memory_utilization, double kv_reserve_fraction, long accels_given,
                 struct ic_fit *out);

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

struct ic_perf_params {
    int weight_precision, kv_precision;
    long accels; /* per replica (from ic_perf_fit) */
    double memory_utilization;
    double prefill_mfu, decode_mbu;
    double step_overhead_s;
    double tpot_slo_s;
    long max_batch;
};

enum ic_batch_limit {
    IC_LIMIT_MEMORY,        /* KV cache full */
    IC_LIMIT_MAX_BATCH,     /* scheduler cap */
    IC_LIMIT_SLO,           /* a larger batch would break the TPOT objective */
    IC_LIMIT_SLO_INFEASIBLE /* even batch 1 breaks it */
};

struct ic_perf {
    long accels;
    double weight_bytes, kv_bytes_per_token, kv_capacity_bytes;
    double decode_context; /* decode-time-weighted mean context per sequence, tokens */
    long batch;
    int limit;         /* enum ic_batch_limit */
    int compute_bound; /* decode step limited by compute rather than memory bandwidth */
    double step_s;     /* decode step time at `batch` */
    double step1_s;    /* at batch 1: inter-token latency at concurrency 1 */
    double decode_tokens_per_s;
    double prefill_s[IC_PERF_MAX_CLASSES];
    double service_s[IC_PERF_MAX_CLASSES]; /* replica-seconds per request of the class */
    double ttft_s[IC_PERF_MAX_CLASSES];    /* to the first answer token at the operating batch:
                                              prefill + reasoning tokens x step */
    double service_s_mean;
    double requests_per_s;     /* per replica, saturated */
    double tokens_per_request; /* input + reasoning + output, mix mean */
    double tokens_per_s;       /* per replica, input + reasoning + output */
    double ttft1_s;            /* mean prefill + one step, concurrency 1 */
};

/* Decode step time for `batch` sequences of mean context `ctx` tokens. */
double ic_perf_step_time(const struct ic_llm *m, const struct ic_accelerator *a,
                         const struct ic_perf_params *p, double batch, double ctx);

/* Everything above for one replica.  Returns 0, or -1 when the mix leaves no room for a single
 * sequence in the KV cache (why says so). */
int ic_perf_replica(const struct ic_llm *m, const struct ic_accelerator *a,
                    const struct ic_perf_params *p, const struct ic_mix *mix, struct ic_perf *out,
                    char *why, int whysize);

const char *ic_batch_limit_name(int limit);

#endif
