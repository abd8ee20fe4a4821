/* calibrate.h: the performance model's efficiencies fitted to a user's own serving benchmarks.
 *
 * A benchmark point is one run of a load generator against one server (one replica): its
 * concurrency C (or batch), mean input and output tokens per request I and O, and what it
 * measured: mean TTFT, mean inter-token latency (ITL or TPOT), output tokens/s and requests/s
 * (any of them).  Readers take a plain CSV, the result JSON of vLLM's serving benchmark
 * (benchmarks/benchmark_serving.py --save-result, `vllm bench serve`) and the profile export
 * JSON of NVIDIA genai-perf or AIPerf.
 *
 * Three parameters of models/perf.c are fitted, each in log space (so they stay positive):
 *   gemm      the GEMM and prefill-attention efficiency, as /serving/prefill_mfu
 *   memory    the weight-streaming and decode-attention efficiency, as /serving/decode_mbu
 *   overhead  the launch/scheduling time per step, as /serving/step_overhead_ms
 * by nonlinear least squares (GSL gsl_multifit_nlinear, trust region with Levenberg-Marquardt)
 * on r = ln(predicted) - ln(measured) for every measured quantity of every point.  Standard
 * errors: C = (J^T J)^{-1} s^2 with s^2 = chi^2 / (n - p) the residual variance (the points
 * carry no errors of their own), in log space; the efficiencies' errors are the value times the
 * log's (delta method).  calibrate.c states the model of a benchmark point.
 *
 * Library only: nothing here prints.  `infercap calibrate` (cli_calibrate.c) is the command. */
#ifndef IC_CALIBRATE_H
#define IC_CALIBRATE_H

#include "sim/core/error.h"
#include "models/perf.h"

#include <stddef.h>

enum ic_calib_format { IC_CALIB_AUTO, IC_CALIB_CSV, IC_CALIB_VLLM, IC_CALIB_GENAI_PERF };
/* The measured quantities, in SI units: seconds, and per second. */
enum ic_calib_qty { IC_CQ_TTFT, IC_CQ_ITL, IC_CQ_OUT_TOK_S, IC_CQ_REQ_S, IC_CQ_N };
enum ic_calib_param { IC_CP_GEMM, IC_CP_MEMORY, IC_CP_OVERHEAD, IC_CP_N };
/* Which statistic of the JSON formats' distributions is read (CSV columns are what they are). */
enum ic_calib_stat { IC_CALIB_MEAN, IC_CALIB_MEDIAN };

#define IC_CALIB_WHERE_MAX 200
#define IC_CALIB_LABEL_MAX 64
#define IC_CALIB_MAX_BYTES (64u << 20)
#define IC_CALIB_FRAG_MAX  256

struct ic_calib_point {
    char where[IC_CALIB_WHERE_MAX];     /* "file:line" (CSV) or "file" / "file/[i]" (JSON) */
    char label[IC_CALIB_LABEL_MAX];     /* CSV "label" column; empty otherwise */
    int format;                         /* enum ic_calib_format it was read as */
    double concurrency;                 /* requests in flight (closed loop), > 0 */
    int concurrency_estimated;          /* 1: from Little's law (an open-loop run), not given */
    double input_tokens, output_tokens; /* per request, means */
    double meas[IC_CQ_N];               /* NAN: not measured */
};

struct ic_calib_set {
    int n, cap;
    struct ic_calib_point *pts;
};

void ic_calib_set_init(struct ic_calib_set *set);
void ic_calib_set_free(struct ic_calib_set *set);

const char *ic_calib_format_name(int format);    /* "csv", "vllm", "genai-perf" */
int ic_calib_format_from_name(const char *name); /* enum, or -1 */
const char *ic_calib_param_name(int param);      /* "gemm", "memory", "overhead" */
int ic_calib_param_from_name(const char *name);  /* enum, or -1 */
const char *ic_calib_qty_name(int q);            /* "ttft", "itl", "output_tokens_per_s", ... */

/* Append the points of a file (format IC_CALIB_AUTO: detected from the content: JSON with
 * "time_to_first_token" etc. objects is genai-perf, JSON with "mean_ttft_ms" etc. is vLLM,
 * anything else CSV).  Errors name the file, the line or JSON Pointer, what was found and
 * what was expected (status IC_ERR_PARSE or IC_ERR_INVALID; IC_ERR_IO for an unreadable
 * file); on failure the set keeps the points it had. */
int ic_calib_read(const char *path, int format, int stat, struct ic_calib_set *set,
                  struct ic_error *err);
int ic_calib_read_string(const char *text, const char *label, int format, int stat,
                         struct ic_calib_set *set, struct ic_error *err);

/* The parameters in force for base: its overrides where set, else its software profile's
 * (overhead: the fixed part plus the per-layer part for the model's layers). */
void ic_calib_values(const struct ic_llm *m, const struct ic_perf_params *base, double v[IC_CP_N]);
/* base with the given parameters as overrides (prefill_mfu, decode_mbu, step_overhead_s);
 * only those with use[k] set are applied (use NULL: all). */
void ic_calib_apply(const struct ic_perf_params *base, const double v[IC_CP_N], const int *use,
                    struct ic_perf_params *out);
/* The model's prediction of a point's quantities under parameters p (NAN where the model does
 * not predict it: TTFT beyond the scheduler's sequence cap, where requests queue). */
void ic_calib_predict(const struct ic_llm *m, const struct ic_accelerator *a,
                      const struct ic_perf_params *p, const struct ic_calib_point *pt,
                      double pred[IC_CQ_N]);

/* Is quantity q of a point one of the fit's residuals: measured, predicted (pred finite), and
 * not requests/s where output tokens/s is measured (the same figure divided by O)? */
int ic_calib_fitted(const struct ic_calib_point *pt, const double pred[IC_CQ_N], int q);

struct ic_calib_result {
    int n;                          /* points */
    int nres;                       /* residuals (measured and predicted quantities) */
    int np;                         /* free parameters */
    int free_[IC_CP_N];             /* 1: fitted */
    double start[IC_CP_N];          /* the base's values (the profile's or the overrides) */
    double value[IC_CP_N];          /* fitted (or fixed) values; overhead in seconds */
    double se[IC_CP_N];             /* standard errors (0 for fixed ones) */
    double se_log[IC_CP_N];         /* of ln value */
    double corr[IC_CP_N * IC_CP_N]; /* correlation of the free ones' logs, row-major over all */
    double chi2;                    /* sum of squared log residuals */
    int dof;                        /* nres - np */
    double rms_rel;                 /* RMS of measured / predicted - 1 over every residual */
    int iterations;
    double (*pred)[IC_CQ_N];      /* n: predictions at the fit (malloc'd) */
    struct ic_perf_params params; /* base with the fitted values applied */
};
void ic_calib_result_free(struct ic_calib_result *r);

/* Fit the parameters not fixed[k] to the points.  IC_ERR_INVALID when the points cannot
 * determine them (no residuals, no more residuals than parameters, a parameter no
 * measurement depends on); IC_ERR_RUNTIME when the minimisation fails or a parameter is left
 * undetermined (its log's standard error above 1).  The GSL error handler must be off. */
int ic_calib_fit(const struct ic_llm *m, const struct ic_accelerator *a,
                 const struct ic_perf_params *base, const struct ic_calib_set *set,
                 const int fixed[IC_CP_N], struct ic_calib_result *out, struct ic_error *err);

/* The scenario fragment: {"serving": {"prefill_mfu": G, "decode_mbu": M, "step_overhead_ms":
 * T}} with the fitted parameters and those the base overrides (what a run would read); the
 * length, or -1 when buf is too small. */
int ic_calib_fragment(const struct ic_calib_result *r, const struct ic_perf_params *base, char *buf,
                      size_t size);

#endif
