/* calibrate.c: benchmark readers and the least-squares fit of the performance model's
 * efficiencies (see calibrate.h).
 *
 * The model of a benchmark point.  A load generator keeps C requests in flight (closed loop,
 * no think time: vLLM's --max-concurrency, genai-perf's --concurrency), each with a prompt of
 * I tokens and an answer of O tokens (the run's means).  The server is one replica with
 * continuous batching and chunked prefill, as models/perf.c models it:
 *   running batch      b = min(C, max_batch); beyond the scheduler's sequence cap the rest
 *                      queue, and TTFT (which then holds the queueing) is not fitted
 *   decode context     ctx = I + O/2 (perf.c: in + answer/2 at the decode-time-weighted mean)
 *   prefill context    pctx = I/2 (perf.c: E[n^2]/2 / E[n] for a prompt of n = I, no cache)
 *   ITL (= TPOT)       the mean decode step while the other b - 1 requests' prompts arrive:
 *                      p = (b - 1) I / O prompt tokens per step, in chunks of
 *                      c = min(I, token budget - b); a share q = p / c of the steps carries a
 *                      chunk: ITL = (1 - q) S(b, ctx, 0) + q S(b, ctx, c, pctx) (perf.c
 *                      mean_step; S = ic_perf_step, the operator sum of perf.c), and
 *                      S(b, ctx, p, pctx) when c <= p.  At C = 1 the prompt never overlaps
 *                      a decode and ITL = S(1, ctx).
 *   TTFT               the prompt in k = ceil(I / budget) chunks, each riding on the other
 *                      b - 1 sequences' decode step, then its first decode step (perf.c's
 *                      ttft1_c = prefill + step1), plus half a step of waiting for the step
 *                      in progress when C > 1:
 *                      TTFT = k S(b - 1, ctx, I/k, pctx) + (1 + [C > 1]/2) ITL
 *   throughput         Little's law over the closed loop: each request takes
 *                      E2E = TTFT + (O - 1) ITL and b are served at once, so
 *                      requests/s = b / E2E and output tokens/s = b O / E2E.
 * Open-loop runs (a request rate, no concurrency limit) are read with C = requests/s x mean
 * end-to-end latency (Little's law on the measured figures) and flagged as estimated.  The KV
 * cache's limit on b is not modelled: a benchmark whose concurrency the cache cannot hold
 * queues (and preempts), which the fit will show as large residuals at those points.
 *
 * The fit: theta = ln(gemm, memory, overhead_s) of the free parameters; the residuals
 * ln(predicted) - ln(measured) of every measured quantity; GSL's trust-region
 * Levenberg-Marquardt (gsl_multifit_nlinear) with a central-difference Jacobian, from the
 * profile's values and from half and twice them; the least chi^2 wins.  Covariance: GSL
 * reference manual, "Nonlinear Least-Squares Fitting", gsl_multifit_nlinear_covar, scaled by
 * chi^2 / (n - p) since the points carry no errors of their own. */
#include "sim/drivers/calibrate.h"

#include "sim/config/jsoncheck.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const format_names[] = {"auto", "csv", "vllm", "genai-perf"};
static const char *const param_names[] = {"gemm", "memory", "overhead"};
static const char *const qty_names[] = {"ttft", "itl", "output_tokens_per_s", "requests_per_s"};

const char *ic_calib_format_name(int f) {
    return f >= 0 && f < 4 ? format_names[f] : "?";
}
int ic_calib_format_from_name(const char *name) {
    for (int i = 0; i < 4; i++)
        if (strcmp(name, format_names[i]) == 0) return i;
    if (strcmp(name, "aiperf") == 0) return IC_CALIB_GENAI_PERF;
    return -1;
}
const char *ic_calib_param_name(int k) {
    return k >= 0 && k < IC_CP_N ? param_names[k] : "?";
}
int ic_calib_param_from_name(const char *name) {
    for (int i = 0; i < IC_CP_N; i++)
        if (strcmp(name, param_names[i]) == 0) return i;
    return -1;
}
const char *ic_calib_qty_name(int q) {
    return q >= 0 && q < IC_CQ_N ? qty_names[q] : "?";
}

void ic_calib_set_init(struct ic_calib_set *set) {
    memset(set, 0, sizeof *set);
}
void ic_calib_set_free(struct ic_calib_set *set) {
    free(set->pts);
    memset(set, 0, sizeof *set);
}

static struct ic_calib_point *new_point(struct ic_calib_set *set) {
    if (set->n == set->cap) {
        int cap = set->cap ? 2 * set->cap : 16;
        struct ic_calib_point *p = realloc(set->pts, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        set->pts = p;
        set->cap = cap;
    }
    struct ic_calib_point *pt = &set->pts[set->n++];
    memset(pt, 0, sizeof *pt);
    for (int q = 0; q < IC_CQ_N; q++) pt->meas[q] = NAN;
    return pt;
}

/* ---- CSV ----------------------------------------------------------------------------------- */

enum col {
    COL_CONC,
    COL_BATCH,
    COL_IN,
    COL_OUT,
    COL_TTFT_MS,
    COL_TTFT_S,
    COL_ITL_MS,
    COL_TPOT_MS,
    COL_OUT_TOK_S,
    COL_REQ_S,
    COL_LABEL,
    COL_N
};
static const char *const col_names[COL_N] = {
    "concurrency", "batch",   "input_tokens",        "output_tokens",  "ttft_ms", "ttft_s",
    "itl_ms",      "tpot_ms", "output_tokens_per_s", "requests_per_s", "label"};

#define CSV_MAX_COLS 64

/* Trim white space (and a CR), in place. */
static char *trim_space(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    size_t k = strlen(s);
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t' || s[k - 1] == '\r')) s[--k] = '\0';
    return s;
}

/* A field: trimmed, and one pair of double quotes around it removed. */
static char *trim(char *s) {
    s = trim_space(s);
    size_t k = strlen(s);
    if (k >= 2 && s[0] == '"' && s[k - 1] == '"') {
        s[k - 1] = '\0';
        s++;
    }
    return s;
}

/* Split a line on commas (no quoted commas); returns the count, or -1 beyond max. */
static int split(char *line, char **fields, int max) {
    int n = 0;
    char *s = line;
    for (;;) {
        if (n >= max) return -1;
        char *c = strchr(s, ',');
        if (c) *c = '\0';
        fields[n++] = trim(s);
        if (!c) break;
        s = c + 1;
    }
    return n;
}

static int parse_positive(const char *s, double *v) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end || !isfinite(x) || !(x > 0)) return -1;
    *v = x;
    return 0;
}

static int read_csv(char *text, const char *label, struct ic_calib_set *set, struct ic_diag *d) {
    int colmap[CSV_MAX_COLS], have[COL_N], ncols = 0, line = 0, header = 0;
    for (int k = 0; k < COL_N; k++) have[k] = -1;
    char *save = text;
    int start_n = set->n;
    while (save) {
        char *ln = save, *nl = strchr(save, '\n');
        if (nl) {
            *nl = '\0';
            save = nl + 1;
        } else {
            save = NULL;
        }
        line++;
        char *t = trim_space(ln);
        if (!*t || t[0] == '#') continue;
        char *f[CSV_MAX_COLS];
        int nf = split(t, f, CSV_MAX_COLS);
        if (nf < 0) {
            ic_diag_add(d, "%s:%d: more than %d columns", label, line, CSV_MAX_COLS);
            return -1;
        }
        if (!header) {
            header = 1;
            ncols = nf;
            for (int i = 0; i < nf; i++) {
                int k = -1;
                for (int j = 0; j < COL_N; j++)
                    if (strcasecmp(f[i], col_names[j]) == 0) k = j;
                colmap[i] = k;
                if (k < 0) {
                    char dym[200];
                    ic_did_you_mean(f[i], col_names, COL_N, dym, sizeof dym);
                    ic_diag_add(d,
                                "%s:%d: column %d: unknown column \"%s\"%s (expected concurrency "
                                "or batch, input_tokens, output_tokens, ttft_ms or ttft_s, itl_ms "
                                "or tpot_ms, output_tokens_per_s, requests_per_s, label)",
                                label, line, i + 1, f[i], dym);
                } else if (have[k] >= 0) {
                    ic_diag_add(d, "%s:%d: column \"%s\" given twice (columns %d and %d)", label,
                                line, col_names[k], have[k] + 1, i + 1);
                } else {
                    have[k] = i;
                }
            }
            static const int pairs[][2] = {
                {COL_CONC, COL_BATCH}, {COL_TTFT_MS, COL_TTFT_S}, {COL_ITL_MS, COL_TPOT_MS}};
            for (int p = 0; p < 3; p++)
                if (have[pairs[p][0]] >= 0 && have[pairs[p][1]] >= 0)
                    ic_diag_add(d, "%s:%d: give one of the columns \"%s\" and \"%s\", not both",
                                label, line, col_names[pairs[p][0]], col_names[pairs[p][1]]);
            if (have[COL_CONC] < 0 && have[COL_BATCH] < 0)
                ic_diag_add(d, "%s:%d: the header has no column \"concurrency\" (or \"batch\")",
                            label, line);
            if (have[COL_IN] < 0)
                ic_diag_add(d, "%s:%d: the header has no column \"input_tokens\"", label, line);
            if (have[COL_OUT] < 0)
                ic_diag_add(d, "%s:%d: the header has no column \"output_tokens\"", label, line);
            if (have[COL_TTFT_MS] < 0 && have[COL_TTFT_S] < 0 && have[COL_ITL_MS] < 0 &&
                have[COL_TPOT_MS] < 0 && have[COL_OUT_TOK_S] < 0 && have[COL_REQ_S] < 0)
                ic_diag_add(d,
                            "%s:%d: the header has no measured column (ttft_ms, ttft_s, itl_ms, "
                            "tpot_ms, output_tokens_per_s or requests_per_s)",
                            label, line);
            if (d->count) return -1;
            continue;
        }
        if (nf != ncols) {
            ic_diag_add(d, "%s:%d: %d field%s, expected %d (one per header column)", label, line,
                        nf, nf == 1 ? "" : "s", ncols);
            continue;
        }
        struct ic_calib_point *pt = new_point(set);
        if (!pt) {
            ic_diag_add(d, "%s: out of memory", label);
            return -1;
        }
        snprintf(pt->where, sizeof pt->where, "%s:%d", label, line);
        pt->format = IC_CALIB_CSV;
        int bad = 0, measured = 0;
        for (int i = 0; i < nf; i++) {
            int k = colmap[i];
            if (k == COL_LABEL) {
                ic_strlcpy(pt->label, f[i], sizeof pt->label);
                continue;
            }
            int required = k == COL_CONC || k == COL_BATCH || k == COL_IN || k == COL_OUT;
            if (!f[i][0]) {
                if (required) {
                    ic_diag_add(d, "%s:%d: column \"%s\": empty, expected a positive number", label,
                                line, col_names[k]);
                    bad = 1;
                }
                continue;
            }
            double v;
            if (parse_positive(f[i], &v) != 0) {
                const char *unit = k == COL_TTFT_MS || k == COL_ITL_MS || k == COL_TPOT_MS
                                       ? " (milliseconds)"
                                   : k == COL_TTFT_S             ? " (seconds)"
                                   : k == COL_IN || k == COL_OUT ? " (tokens per request)"
                                                                 : "";
                ic_diag_add(d, "%s:%d: column \"%s\": got \"%s\", expected a positive number%s",
                            label, line, col_names[k], f[i], unit);
                bad = 1;
                continue;
            }
            switch (k) {
            case COL_CONC:
            case COL_BATCH:
                pt->concurrency = v;
                break;
            case COL_IN:
                pt->input_tokens = v;
                break;
            case COL_OUT:
                pt->output_tokens = v;
                break;
            case COL_TTFT_MS:
                pt->meas[IC_CQ_TTFT] = v / 1e3;
                break;
            case COL_TTFT_S:
                pt->meas[IC_CQ_TTFT] = v;
                break;
            case COL_ITL_MS:
            case COL_TPOT_MS:
                pt->meas[IC_CQ_ITL] = v / 1e3;
                break;
            case COL_OUT_TOK_S:
                pt->meas[IC_CQ_OUT_TOK_S] = v;
                break;
            default:
                pt->meas[IC_CQ_REQ_S] = v;
                break;
            }
            if (k >= COL_TTFT_MS && k <= COL_REQ_S) measured = 1;
        }
        if (!bad && !measured) {
            ic_diag_add(d,
                        "%s:%d: no measured value in this row (fill at least one of the "
                        "measured columns)",
                        label, line);
            bad = 1;
        }
        if (bad) set->n--;
    }
    if (!header) {
        ic_diag_add(d,
                    "%s: empty: expected a header line naming the columns, then one line per "
                    "benchmark point",
                    label);
        return -1;
    }
    if (set->n == start_n && !d->count)
        ic_diag_add(d, "%s: a header but no benchmark points", label);
    return d->count ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

/* A number member: 1 found, 0 absent or null, -1 present but not a number (reported). */
static int json_num(const cJSON *o, const char *key, const char *where, const char *ptr, double *v,
                    struct ic_diag *d) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!c || cJSON_IsNull(c)) return 0;
    if (cJSON_IsNumber(c) && isfinite(c->valuedouble)) {
        *v = c->valuedouble;
        return 1;
    }
    if (cJSON_IsString(c)) { /* vLLM writes request_rate "inf" */
        char *end;
        double x = strtod(c->valuestring, &end);
        if (end != c->valuestring && !*end) {
            *v = x;
            return 1;
        }
    }
    ic_diag_add(d, "%s: %s/%s: expected a number", where, ptr, key);
    return -1;
}

/* A positive number member, reported when present but not positive. */
static int json_pos(const cJSON *o, const char *key, const char *where, const char *ptr, double *v,
                    struct ic_diag *d) {
    int r = json_num(o, key, where, ptr, v, d);
    if (r == 1 && !(*v > 0)) {
        ic_diag_add(d, "%s: %s/%s: got %g, expected a positive number", where, ptr, key, *v);
        return -1;
    }
    return r;
}

static void read_vllm(const cJSON *o, const char *where, const char *ptr, int stat,
                      struct ic_calib_point *pt, struct ic_diag *d) {
    size_t before = d->count;
    double completed = 0, tin = 0, tout = 0, mc = 0, rate = INFINITY, v;
    int has_c = json_pos(o, "completed", where, ptr, &completed, d);
    int has_in = json_pos(o, "total_input_tokens", where, ptr, &tin, d);
    int has_out = json_pos(o, "total_output_tokens", where, ptr, &tout, d);
    int has_mc = json_pos(o, "max_concurrency", where, ptr, &mc, d);
    (void)json_num(o, "request_rate", where, ptr, &rate, d);
    if (has_c == 0)
        ic_diag_add(d, "%s: %s/completed: missing, expected the number of completed requests",
                    where, ptr);
    if (has_in == 0)
        ic_diag_add(d,
                    "%s: %s/total_input_tokens: missing, expected the prompt tokens of all "
                    "requests",
                    where, ptr);
    if (has_out == 0)
        ic_diag_add(d,
                    "%s: %s/total_output_tokens: missing, expected the generated tokens of all "
                    "requests",
                    where, ptr);
    const char *ttft_k = stat == IC_CALIB_MEDIAN ? "median_ttft_ms" : "mean_ttft_ms";
    const char *tpot_k = stat == IC_CALIB_MEDIAN ? "median_tpot_ms" : "mean_tpot_ms";
    const char *itl_k = stat == IC_CALIB_MEDIAN ? "median_itl_ms" : "mean_itl_ms";
    const char *e2e_k = stat == IC_CALIB_MEDIAN ? "median_e2el_ms" : "mean_e2el_ms";
    if (json_pos(o, ttft_k, where, ptr, &v, d) == 1) pt->meas[IC_CQ_TTFT] = v / 1e3;
    if (json_pos(o, tpot_k, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_ITL] = v / 1e3;
    else if (json_pos(o, itl_k, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_ITL] = v / 1e3;
    if (json_pos(o, "output_throughput", where, ptr, &v, d) == 1) pt->meas[IC_CQ_OUT_TOK_S] = v;
    if (json_pos(o, "request_throughput", where, ptr, &v, d) == 1) pt->meas[IC_CQ_REQ_S] = v;
    if (d->count > before) return;
    pt->input_tokens = tin / completed;
    pt->output_tokens = tout / completed;
    if (has_mc == 1 && !isfinite(rate)) {
        pt->concurrency = fmin(mc, completed);
    } else {
        /* Open loop: Little's law on the measured figures. */
        double e2e = NAN;
        if (json_pos(o, e2e_k, where, ptr, &v, d) == 1)
            e2e = v / 1e3;
        else if (isfinite(pt->meas[IC_CQ_TTFT]) && isfinite(pt->meas[IC_CQ_ITL]))
            e2e = pt->meas[IC_CQ_TTFT] + (pt->output_tokens - 1) * pt->meas[IC_CQ_ITL];
        if (!isfinite(e2e) || !isfinite(pt->meas[IC_CQ_REQ_S])) {
            ic_diag_add(d,
                        "%s: %s/max_concurrency: missing (an open-loop run), and the concurrency "
                        "cannot be estimated: expected request_throughput and %s (or %s and %s)",
                        where, ptr, e2e_k, ttft_k, tpot_k);
            return;
        }
        pt->concurrency = pt->meas[IC_CQ_REQ_S] * e2e;
        pt->concurrency_estimated = 1;
    }
}

/* A genai-perf / AIPerf metric: {"unit": "ms", "avg": x, "p50": y, ...}; 1 found (in SI units:
 * seconds for time units), 0 absent, -1 malformed (reported). */
static int genai_metric(const cJSON *o, const char *key, int stat, const char *where,
                        const char *ptr, double *v, struct ic_diag *d) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!m || cJSON_IsNull(m)) return 0;
    char p2[160];
    snprintf(p2, sizeof p2, "%s/%s", ptr, key);
    if (!cJSON_IsObject(m)) {
        ic_diag_add(d, "%s: %s: expected an object {\"unit\": ..., \"avg\": ...}", where, p2);
        return -1;
    }
    const char *sk = stat == IC_CALIB_MEDIAN ? "p50" : "avg";
    int r = json_pos(m, sk, where, p2, v, d);
    if (r == 0 && stat == IC_CALIB_MEAN) r = json_pos(m, "mean", where, p2, v, d);
    if (r == 0) {
        ic_diag_add(d, "%s: %s/%s: missing, expected a positive number", where, p2, sk);
        return -1;
    }
    if (r < 0) return -1;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(m, "unit");
    if (cJSON_IsString(u)) {
        const char *s = u->valuestring;
        if (strcmp(s, "ms") == 0)
            *v /= 1e3;
        else if (strcmp(s, "us") == 0)
            *v /= 1e6;
        else if (strcmp(s, "ns") == 0)
            *v /= 1e9;
    }
    return 1;
}

static void read_genai(const cJSON *o, const char *where, const char *ptr, int stat,
                       struct ic_calib_point *pt, struct ic_diag *d) {
    size_t before = d->count;
    double v, in = NAN, out = NAN, conc = NAN, lat = NAN;
    if (genai_metric(o, "time_to_first_token", stat, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_TTFT] = v;
    if (genai_metric(o, "inter_token_latency", stat, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_ITL] = v;
    /* Throughputs are single figures: "avg" whatever the statistic. */
    if (genai_metric(o, "output_token_throughput", IC_CALIB_MEAN, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_OUT_TOK_S] = v;
    if (genai_metric(o, "request_throughput", IC_CALIB_MEAN, where, ptr, &v, d) == 1)
        pt->meas[IC_CQ_REQ_S] = v;
    if (genai_metric(o, "input_sequence_length", IC_CALIB_MEAN, where, ptr, &v, d) == 1) in = v;
    if (genai_metric(o, "output_sequence_length", IC_CALIB_MEAN, where, ptr, &v, d) == 1) out = v;
    if (genai_metric(o, "request_latency", IC_CALIB_MEAN, where, ptr, &v, d) == 1) lat = v;
    /* The input configuration: concurrency where genai-perf (flat, or under
     * perf_analyzer.stimulus) and AIPerf (under loadgen) keep it; lengths as fallbacks. */
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(o, "input_config");
    if (cJSON_IsObject(ic)) {
        char p2[160];
        snprintf(p2, sizeof p2, "%s/input_config", ptr);
        const cJSON *pa = cJSON_GetObjectItemCaseSensitive(ic, "perf_analyzer");
        const cJSON *st =
            cJSON_IsObject(pa) ? cJSON_GetObjectItemCaseSensitive(pa, "stimulus") : NULL;
        const cJSON *lg = cJSON_GetObjectItemCaseSensitive(ic, "loadgen");
        if (json_pos(ic, "concurrency", where, p2, &v, d) == 1) conc = v;
        char p3[200];
        snprintf(p3, sizeof p3, "%s/perf_analyzer/stimulus", p2);
        if (cJSON_IsObject(st) && json_pos(st, "concurrency", where, p3, &v, d) == 1) conc = v;
        snprintf(p3, sizeof p3, "%s/loadgen", p2);
        if (cJSON_IsObject(lg) && json_pos(lg, "concurrency", where, p3, &v, d) == 1) conc = v;
        if (!isfinite(in) && json_pos(ic, "synthetic_input_tokens_mean", where, p2, &v, d) == 1)
            in = v;
        if (!isfinite(out) && json_pos(ic, "output_tokens_mean", where, p2, &v, d) == 1) out = v;
    }
    if (!isfinite(in))
        ic_diag_add(d,
                    "%s: %s/input_sequence_length: missing, expected {\"avg\": prompt tokens "
                    "per request} (or input_config/synthetic_input_tokens_mean)",
                    where, ptr);
    if (!isfinite(out))
        ic_diag_add(d,
                    "%s: %s/output_sequence_length: missing, expected {\"avg\": output tokens "
                    "per request} (or input_config/output_tokens_mean)",
                    where, ptr);
    if (d->count > before) return;
    pt->input_tokens = in;
    pt->output_tokens = out;
    if (isfinite(conc)) {
        pt->concurrency = conc;
    } else if (isfinite(lat) && isfinite(pt->meas[IC_CQ_REQ_S])) {
        pt->concurrency = lat * pt->meas[IC_CQ_REQ_S]; /* Little's law */
        pt->concurrency_estimated = 1;
    } else {
        ic_diag_add(d,
                    "%s: %s/input_config/concurrency: missing (also under perf_analyzer/stimulus "
                    "or loadgen), and no request_latency and request_throughput to estimate it",
                    where, ptr);
    }
}

static int looks_genai(const cJSON *o) {
    /* Names vLLM does not use; request_throughput it writes as a number. */
    static const char *const k[] = {"time_to_first_token", "inter_token_latency",
                                    "output_token_throughput", "input_sequence_length"};
    for (int i = 0; i < 4; i++)
        if (cJSON_GetObjectItemCaseSensitive(o, k[i])) return 1;
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "request_throughput"));
}
static int looks_vllm(const cJSON *o) {
    static const char *const k[] = {"mean_ttft_ms", "mean_tpot_ms", "output_throughput",
                                    "total_output_tokens", "max_concurrency"};
    for (int i = 0; i < 5; i++)
        if (cJSON_GetObjectItemCaseSensitive(o, k[i])) return 1;
    return 0;
}

static void read_json_object(const cJSON *o, const char *label, const char *ptr, int format,
                             int stat, struct ic_calib_set *set, struct ic_diag *d) {
    char where[IC_CALIB_WHERE_MAX];
    if (ptr[0])
        snprintf(where, sizeof where, "%s%s", label, ptr);
    else
        ic_strlcpy(where, label, sizeof where);
    if (!cJSON_IsObject(o)) {
        ic_diag_add(d, "%s: %s: expected a benchmark result object", label, ptr[0] ? ptr : "/");
        return;
    }
    int f = format;
    if (f == IC_CALIB_AUTO || f == IC_CALIB_CSV)
        f = looks_genai(o) ? IC_CALIB_GENAI_PERF : looks_vllm(o) ? IC_CALIB_VLLM : -1;
    if (f < 0) {
        ic_diag_add(d,
                    "%s: %s: neither a vLLM serving-benchmark result (mean_ttft_ms, "
                    "output_throughput, total_output_tokens, ...) nor a genai-perf/AIPerf profile "
                    "export (time_to_first_token: {\"avg\": ...}, ...); give --format",
                    label, ptr[0] ? ptr : "/");
        return;
    }
    struct ic_calib_point *pt = new_point(set);
    if (!pt) {
        ic_diag_add(d, "%s: out of memory", label);
        return;
    }
    ic_strlcpy(pt->where, where, sizeof pt->where);
    pt->format = f;
    size_t before = d->count;
    if (f == IC_CALIB_VLLM)
        read_vllm(o, label, ptr, stat, pt, d);
    else
        read_genai(o, label, ptr, stat, pt, d);
    int measured = 0;
    for (int q = 0; q < IC_CQ_N; q++)
        if (isfinite(pt->meas[q])) measured = 1;
    if (d->count == before && !measured)
        ic_diag_add(d, "%s: %s: no measured TTFT, inter-token latency or throughput", label,
                    ptr[0] ? ptr : "/");
    if (d->count > before) set->n--;
}

static int read_json(const char *text, const char *label, int format, int stat,
                     struct ic_calib_set *set, struct ic_diag *d, struct ic_error *err) {
    cJSON *root = ic_json_parse_checked(text, label, err);
    if (!root) return err->status;
    if (cJSON_IsArray(root)) {
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, root) {
            char ptr[32];
            snprintf(ptr, sizeof ptr, "/%d", i++);
            read_json_object(c, label, ptr, format, stat, set, d);
        }
        if (i == 0) ic_diag_add(d, "%s: an empty array: no benchmark results", label);
    } else {
        read_json_object(root, label, "", format, stat, set, d);
    }
    cJSON_Delete(root);
    return IC_OK;
}

int ic_calib_read_string(const char *text, const char *label, int format, int stat,
                         struct ic_calib_set *set, struct ic_error *err) {
    int start_n = set->n;
    const char *s = text;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
    int json = format == IC_CALIB_VLLM || format == IC_CALIB_GENAI_PERF ||
               (format == IC_CALIB_AUTO && (*s == '{' || *s == '['));
    struct ic_diag diag;
    ic_diag_init(&diag);
    int rc = IC_OK;
    if (json) {
        rc = read_json(text, label, format, stat, set, &diag, err);
    } else {
        char *copy = strdup(text);
        if (!copy) {
            rc = ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", label);
        } else {
            (void)read_csv(copy, label, set, &diag);
            free(copy);
        }
    }
    if (rc == IC_OK) {
        rc = ic_diag_to_error(&diag, err);
        if (rc == IC_OK && diag.nomem) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    ic_diag_free(&diag);
    if (rc) set->n = start_n;
    return rc;
}

int ic_calib_read(const char *path, int format, int stat, struct ic_calib_set *set,
                  struct ic_error *err) {
    char *buf;
    size_t len;
    int rc = ic_read_file(path, IC_CALIB_MAX_BYTES, &buf, &len, err);
    if (rc) return rc;
    if (strlen(buf) != len) {
        free(buf);
        return ic_error_set(err, IC_ERR_INVALID, "%s: holds a NUL byte: not a text file", path);
    }
    rc = ic_calib_read_string(buf, path, format, stat, set, err);
    free(buf);
    return rc;
}

/* ---- the model of a benchmark point -------------------------------------------------------- */

void ic_calib_values(const struct ic_llm *m, const struct ic_perf_params *p, double v[IC_CP_N]) {
    const struct ic_sw_profile *s = &p->sw;
    v[IC_CP_GEMM] = p->prefill_mfu > 0 ? p->prefill_mfu
                    : s->name          ? s->gemm_eff[p->weight_precision]
                                       : p->prefill_mfu;
    v[IC_CP_MEMORY] = p->decode_mbu > 0 ? p->decode_mbu : s->name ? s->mem_eff : p->decode_mbu;
    /* As perf.c's effs(): a set overhead replaces the profile's (fixed + per layer). */
    if (p->step_overhead_s >= 0 && (p->step_overhead_s > 0 || !s->name))
        v[IC_CP_OVERHEAD] = p->step_overhead_s;
    else
        v[IC_CP_OVERHEAD] = s->step_overhead_s + s->layer_overhead_s * m->layers;
}

void ic_calib_apply(const struct ic_perf_params *base, const double v[IC_CP_N], const int *use,
                    struct ic_perf_params *out) {
    *out = *base;
    if (!use || use[IC_CP_GEMM]) out->prefill_mfu = v[IC_CP_GEMM];
    if (!use || use[IC_CP_MEMORY]) out->decode_mbu = v[IC_CP_MEMORY];
    if (!use || use[IC_CP_OVERHEAD]) out->step_overhead_s = v[IC_CP_OVERHEAD];
}

static double step(const struct ic_llm *m, const struct ic_accelerator *a,
                   const struct ic_perf_params *p, double b, double ctx, double pf, double pctx) {
    return ic_perf_step(m, a, p, b, ctx, pf, pctx, NULL, NULL);
}

void ic_calib_predict(const struct ic_llm *m, const struct ic_accelerator *a,
                      const struct ic_perf_params *p, const struct ic_calib_point *pt,
                      double pred[IC_CQ_N]) {
    const double C = pt->concurrency, I = pt->input_tokens, O = fmax(pt->output_tokens, 1.0);
    const double cap = p->max_batch > 0 ? (double)p->max_batch : C;
    const double b = fmax(fmin(C, cap), 1.0);
    const double ctx = I + 0.5 * O, pctx = 0.5 * I;
    const double stages = p->pp > 1 ? (double)p->pp : 1.0;
    const double budget = p->max_batched_tokens > 0 ? (double)p->max_batched_tokens : 8192.0;
    /* ITL: the mean decode step while the others' prompts arrive in chunks (perf.c
     * mean_step and prompt_chunk). */
    const double pf = (b - 1.0) * I / O;
    const double chunk = fmin(I, fmax(budget * stages - b, 1.0));
    double itl;
    if (!(pf > 0) || !(chunk > pf)) {
        itl = step(m, a, p, b, ctx, pf, pctx);
    } else {
        double q = pf / chunk;
        itl = (1.0 - q) * step(m, a, p, b, ctx, 0, 0) + q * step(m, a, p, b, ctx, chunk, pctx);
    }
    /* TTFT: the prompt's chunks riding on the others' decode (perf.c prefill_alone at b = 1),
     * its first decode step, and half a step of waiting when others are running. */
    const double k = fmax(ceil(I / budget), 1.0);
    const double others = b - 1.0;
    double ttft = k * step(m, a, p, others, others > 0 ? ctx : 0, I / k * stages, pctx) +
                  (C > 1 ? 1.5 : 1.0) * itl;
    double e2e = ttft + (O - 1.0) * itl;
    pred[IC_CQ_TTFT] = C > cap ? NAN : ttft;
    pred[IC_CQ_ITL] = itl;
    pred[IC_CQ_OUT_TOK_S] = b * O / e2e;
    pred[IC_CQ_REQ_S] = b / e2e;
}

/* ---- the fit -------------------------------------------------------------------------------- */

#define CAL_MAXITER 200
#define CAL_XTOL    1e-10
#define CAL_GTOL    1e-12
/* A parameter whose log has a standard error above this is not determined (a factor e). */
#define CAL_SE_LOG_MAX 1.0

struct cal_data {
    const struct ic_llm *m;
    const struct ic_accelerator *a;
    const struct ic_perf_params *base;
    const struct ic_calib_set *set;
    int idx[IC_CP_N]; /* free parameter j is enum idx[j] */
    int np;
    double fixed_v[IC_CP_N];
    int nres;
    int *res_pt, *res_q; /* residual i: point and quantity */
};

static void cal_params(const struct cal_data *d, const gsl_vector *x, struct ic_perf_params *p) {
    double v[IC_CP_N];
    int use[IC_CP_N] = {0};
    for (int k = 0; k < IC_CP_N; k++) v[k] = d->fixed_v[k];
    for (int j = 0; j < d->np; j++) {
        v[d->idx[j]] = exp(gsl_vector_get(x, (size_t)j));
        use[d->idx[j]] = 1;
    }
    ic_calib_apply(d->base, v, use, p);
}

static int cal_f(const gsl_vector *x, void *params, gsl_vector *f) {
    const struct cal_data *d = params;
    struct ic_perf_params p;
    cal_params(d, x, &p);
    int last = -1;
    double pred[IC_CQ_N] = {0};
    for (int i = 0; i < d->nres; i++) {
        const struct ic_calib_point *pt = &d->set->pts[d->res_pt[i]];
        if (d->res_pt[i] != last) {
            ic_calib_predict(d->m, d->a, &p, pt, pred);
            last = d->res_pt[i];
        }
        double y = pred[d->res_q[i]];
        double r = y > 0 && isfinite(y) ? log(y) - log(pt->meas[d->res_q[i]]) : 1e3;
        gsl_vector_set(f, (size_t)i, r);
    }
    return GSL_SUCCESS;
}

int ic_calib_fitted(const struct ic_calib_point *pt, const double pred[IC_CQ_N], int q) {
    if (!isfinite(pt->meas[q]) || !isfinite(pred[q])) return 0;
    /* Requests/s carries what output tokens/s does (divided by O): counted once. */
    return q != IC_CQ_REQ_S || !isfinite(pt->meas[IC_CQ_OUT_TOK_S]);
}

/* The first free parameter no residual depends on at x (its Jacobian column is zero, or
 * negligible beside the others'), or -1; the workspace is left initialised at x. */
static int flat_param(gsl_multifit_nlinear_workspace *w, gsl_multifit_nlinear_fdf *fdf,
                      gsl_vector *x, int np) {
    if (gsl_multifit_nlinear_init(x, fdf, w) != GSL_SUCCESS) return -1;
    gsl_matrix *J = gsl_multifit_nlinear_jac(w);
    double colmax = 0, coln[IC_CP_N];
    for (int j = 0; j < np; j++) {
        gsl_vector_view c = gsl_matrix_column(J, (size_t)j);
        coln[j] = gsl_blas_dnrm2(&c.vector);
        if (coln[j] > colmax) colmax = coln[j];
    }
    for (int j = 0; j < np; j++)
        if (!(coln[j] > 1e-6 * colmax) || !(coln[j] > 1e-9)) return j;
    return -1;
}

static int flat_error(const struct cal_data *d, int j, struct ic_error *err) {
    const char *pn = ic_calib_param_name(d->idx[j]);
    return ic_error_set(err, IC_ERR_INVALID,
                        "no measurement depends on the %s parameter (%s): fix it with --fix %s, "
                        "or add points that exercise it (TTFT of long prompts for gemm, "
                        "inter-token latency at several batch sizes for memory and overhead)",
                        pn,
                        d->idx[j] == IC_CP_GEMM     ? "every step is bandwidth-bound"
                        : d->idx[j] == IC_CP_MEMORY ? "every step is compute-bound"
                                                    : "the steps are long",
                        pn);
}

void ic_calib_result_free(struct ic_calib_result *r) {
    free(r->pred);
    r->pred = NULL;
}

int ic_calib_fit(const struct ic_llm *m, const struct ic_accelerator *a,
                 const struct ic_perf_params *base, const struct ic_calib_set *set,
                 const int fixed[IC_CP_N], struct ic_calib_result *out, struct ic_error *err) {
    memset(out, 0, sizeof *out);
    struct cal_data d = {m, a, base, set, {0}, 0, {0}, 0, NULL, NULL};
    double start[IC_CP_N];
    ic_calib_values(m, base, start);
    for (int k = 0; k < IC_CP_N; k++) {
        d.fixed_v[k] = start[k];
        if (!fixed || !fixed[k]) d.idx[d.np++] = k;
    }
    if (d.np == 0)
        return ic_error_set(err, IC_ERR_INVALID, "every parameter is fixed: nothing to fit");
    if (set->n < 1) return ic_error_set(err, IC_ERR_INVALID, "no benchmark points");
    for (int k = 0; k < IC_CP_N; k++)
        if (!(start[k] > 0) || !isfinite(start[k]))
            return ic_error_set(err, IC_ERR_INVALID,
                                "the starting %s value %g is not positive (the software profile "
                                "gives none): set it with --fix %s=VALUE or fit it",
                                ic_calib_param_name(k), start[k], ic_calib_param_name(k));
    /* The residuals: every measured quantity the model predicts. */
    struct ic_perf_params p0;
    ic_calib_apply(base, start, NULL, &p0);
    int maxres = set->n * IC_CQ_N;
    int *ibuf = malloc((size_t)maxres * 2 * sizeof *ibuf);
    out->pred = malloc((size_t)set->n * sizeof *out->pred);
    if (!ibuf || !out->pred) {
        free(ibuf);
        ic_calib_result_free(out);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    d.res_pt = ibuf;
    d.res_q = ibuf + maxres;
    for (int i = 0; i < set->n; i++) {
        double pred[IC_CQ_N];
        ic_calib_predict(m, a, &p0, &set->pts[i], pred);
        for (int q = 0; q < IC_CQ_N; q++) {
            if (!ic_calib_fitted(&set->pts[i], pred, q)) continue;
            d.res_pt[d.nres] = i;
            d.res_q[d.nres++] = q;
        }
    }
    int rc = IC_OK;
    const size_t n = (size_t)d.nres, np = (size_t)d.np;
    gsl_multifit_nlinear_workspace *w = NULL;
    gsl_matrix *cov = NULL;
    if (d.nres <= d.np) {
        rc = ic_error_set(err, IC_ERR_INVALID,
                          "%d measured value%s for %d free parameter%s: the fit needs more "
                          "measurements than parameters (add points, or fix parameters with "
                          "--fix)",
                          d.nres, d.nres == 1 ? "" : "s", d.np, d.np == 1 ? "" : "s");
        goto done;
    }
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    fp.trs = gsl_multifit_nlinear_trs_lm;
    fp.fdtype = GSL_MULTIFIT_NLINEAR_CTRDIFF;
    w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, np);
    cov = gsl_matrix_alloc(np, np);
    if (!w || !cov) {
        rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        goto done;
    }
    gsl_multifit_nlinear_fdf fdf = {0};
    fdf.f = cal_f;
    fdf.df = NULL; /* finite differences */
    fdf.n = n;
    fdf.p = np;
    fdf.params = &d;
    static const double scale[] = {1.0, 0.5, 2.0};
    double best[IC_CP_N] = {0}, best_chi2 = INFINITY;
    int best_iter = 0, last_status = GSL_SUCCESS;
    for (int s = 0; s < 3; s++) {
        double x0[IC_CP_N];
        for (int j = 0; j < d.np; j++) x0[j] = log(start[d.idx[j]] * scale[s]);
        gsl_vector_view xv = gsl_vector_view_array(x0, np);
        if (gsl_multifit_nlinear_init(&xv.vector, &fdf, w) != GSL_SUCCESS) continue;
        int info;
        int status =
            gsl_multifit_nlinear_driver(CAL_MAXITER, CAL_XTOL, CAL_GTOL, 0.0, NULL, NULL, &info, w);
        double chi2;
        gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &chi2);
        if (status != GSL_SUCCESS && status != GSL_ENOPROG) {
            last_status = status;
            continue;
        }
        if (isfinite(chi2) && chi2 < best_chi2) {
            best_chi2 = chi2;
            for (int j = 0; j < d.np; j++)
                best[j] = gsl_vector_get(gsl_multifit_nlinear_position(w), (size_t)j);
            best_iter = (int)gsl_multifit_nlinear_niter(w);
        }
    }
    if (!isfinite(best_chi2)) {
        double x0[IC_CP_N];
        for (int j = 0; j < d.np; j++) x0[j] = log(start[d.idx[j]]);
        gsl_vector_view xv = gsl_vector_view_array(x0, np);
        int flat = flat_param(w, &fdf, &xv.vector, d.np);
        if (flat >= 0) {
            rc = flat_error(&d, flat, err);
            goto done;
        }
        rc = ic_error_set(err, IC_ERR_RUNTIME,
                          "the fit did not converge from any of 3 starting points (%s); check "
                          "the model, accelerator, --tp and precision match the benchmark",
                          gsl_strerror(last_status));
        goto done;
    }
    /* A parameter run off by three orders of magnitude: the others absorb what it does (the
     * overhead into the memory term when no point has short steps), so it is not determined. */
    for (int j = 0; j < d.np; j++) {
        int k = d.idx[j];
        if (fabs(best[j] - log(start[k])) > log(1e3)) {
            rc = ic_error_set(err, IC_ERR_RUNTIME,
                              "the fit drives the %s parameter to %.3g (from %.3g): the "
                              "measurements cannot tell it apart from the others; fix it with "
                              "--fix %s (or --fix %s=VALUE), or add points that exercise it (TTFT "
                              "of long prompts for gemm, inter-token latency at several batch "
                              "sizes for memory and overhead)",
                              ic_calib_param_name(k), exp(best[j]), start[k],
                              ic_calib_param_name(k), ic_calib_param_name(k));
            goto done;
        }
    }
    /* The Jacobian at the best point: init evaluates it there. */
    gsl_vector_view xb = gsl_vector_view_array(best, np);
    int flat = flat_param(w, &fdf, &xb.vector, d.np);
    if (flat >= 0) {
        rc = flat_error(&d, flat, err);
        goto done;
    }
    gsl_matrix *J = gsl_multifit_nlinear_jac(w);
    if (gsl_multifit_nlinear_covar(J, 0.0, cov) != GSL_SUCCESS) {
        rc = ic_error_set(err, IC_ERR_RUNTIME, "the covariance of the fit failed");
        goto done;
    }
    int dof = d.nres - d.np;
    double s2 = best_chi2 / dof;
    for (int j = 0; j < d.np; j++) {
        int k = d.idx[j];
        double var = gsl_matrix_get(cov, (size_t)j, (size_t)j) * s2;
        out->se_log[k] = sqrt(var);
        if (!isfinite(var) || out->se_log[k] > CAL_SE_LOG_MAX) {
            rc = ic_error_set(err, IC_ERR_RUNTIME,
                              "the measurements do not determine the %s parameter (%.4g with a "
                              "standard error of a factor %.3g): fix it with --fix %s, or add "
                              "points that exercise it",
                              ic_calib_param_name(k), exp(best[j]),
                              isfinite(var) ? exp(out->se_log[k]) : INFINITY,
                              ic_calib_param_name(k));
            goto done;
        }
    }
    out->n = set->n;
    out->nres = d.nres;
    out->np = d.np;
    out->chi2 = best_chi2;
    out->dof = dof;
    out->iterations = best_iter;
    for (int k = 0; k < IC_CP_N; k++) {
        out->start[k] = start[k];
        out->value[k] = start[k];
        out->corr[k * IC_CP_N + k] = 1.0;
    }
    for (int j = 0; j < d.np; j++) {
        int k = d.idx[j];
        out->free_[k] = 1;
        out->value[k] = exp(best[j]);
        out->se[k] = out->value[k] * out->se_log[k];
        for (int i = 0; i < d.np; i++) {
            double c = gsl_matrix_get(cov, (size_t)j, (size_t)i) /
                       sqrt(gsl_matrix_get(cov, (size_t)j, (size_t)j) *
                            gsl_matrix_get(cov, (size_t)i, (size_t)i));
            out->corr[k * IC_CP_N + d.idx[i]] = c;
        }
    }
    ic_calib_apply(base, out->value, out->free_, &out->params);
    double ss = 0;
    for (int i = 0; i < set->n; i++)
        ic_calib_predict(m, a, &out->params, &set->pts[i], out->pred[i]);
    for (int i = 0; i < d.nres; i++) {
        double e = set->pts[d.res_pt[i]].meas[d.res_q[i]] / out->pred[d.res_pt[i]][d.res_q[i]] - 1;
        ss += e * e;
    }
    out->rms_rel = sqrt(ss / d.nres);

done:
    if (cov) gsl_matrix_free(cov);
    if (w) gsl_multifit_nlinear_free(w);
    free(ibuf);
    if (rc) ic_calib_result_free(out);
    return rc;
}

int ic_calib_fragment(const struct ic_calib_result *r, const struct ic_perf_params *base, char *buf,
                      size_t size) {
    int w[IC_CP_N];
    w[IC_CP_GEMM] = r->free_[IC_CP_GEMM] || base->prefill_mfu > 0;
    w[IC_CP_MEMORY] = r->free_[IC_CP_MEMORY] || base->decode_mbu > 0;
    w[IC_CP_OVERHEAD] = r->free_[IC_CP_OVERHEAD] || base->step_overhead_s > 0;
    static const char *const field[] = {"prefill_mfu", "decode_mbu", "step_overhead_ms"};
    size_t used = 0;
    int first = 1, k_;
    k_ = snprintf(buf, size, "{\"serving\": {");
    if (k_ < 0) return -1;
    used += (size_t)k_;
    for (int k = 0; k < IC_CP_N; k++) {
        if (!w[k]) continue;
        double v = k == IC_CP_OVERHEAD ? 1e3 * r->value[k] : r->value[k];
        k_ = snprintf(buf + used, used < size ? size - used : 0, "%s\"%s\": %.6g",
                      first ? "" : ", ", field[k], v);
        if (k_ < 0) return -1;
        used += (size_t)k_;
        first = 0;
    }
    k_ = snprintf(buf + used, used < size ? size - used : 0, "}}");
    if (k_ < 0) return -1;
    used += (size_t)k_;
    return used < size ? (int)used : -1;
}
