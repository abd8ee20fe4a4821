/* cli_calibrate.c: `infercap calibrate`, the performance model's efficiencies fitted to the
 * user's own serving benchmarks (calibrate.h).  It builds a one-class scenario text from its
 * options and loads it through the scenario loader (so the model, the
 * accelerator, the precisions and the replica size are checked and defaulted as a run would),
 * then fits on the replica's parameters and prints the fit, the residual of every measured
 * value and the scenario fragment; -o writes the fragment (atomically: a temporary renamed into
 * place). */
#include "sim/cli/cli_calibrate.h"
#include "sim/drivers/calibrate.h"
#include "sim/cli/cli_common.h"
#include "sim/config/catalog_io.h"
#include "sim/engine/engine.h"
#include "sim/config/scenario.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage_calibrate =
    "usage: infercap calibrate FILE... --model M --accelerator A [options]\n"
    "\n"
    "Fit the performance model's efficiencies to measured serving benchmarks of one replica of\n"
    "model M on accelerator A: the GEMM efficiency (/serving/prefill_mfu), the memory-bandwidth\n"
    "efficiency (/serving/decode_mbu) and the per-step overhead (/serving/step_overhead_ms), by\n"
    "nonlinear least squares on the log of every measured value.  Prints the estimates with\n"
    "their standard errors, the residual of every value, and the scenario fragment to merge.\n"
    "\n"
    "FILE (several may be given; the format is detected from the content):\n"
    "  CSV         a header line naming the columns, then one line per benchmark point:\n"
    "              concurrency (or batch), input_tokens, output_tokens (means per request),\n"
    "              and any of ttft_ms (or ttft_s), itl_ms (or tpot_ms), output_tokens_per_s,\n"
    "              requests_per_s (empty: not measured); optional label.  # starts a comment.\n"
    "  vLLM        the result JSON of benchmarks/benchmark_serving.py --save-result (vllm\n"
    "              bench serve): max_concurrency, mean_ttft_ms, mean_tpot_ms, output_throughput,\n"
    "              total_input_tokens, total_output_tokens, completed, ...\n"
    "  genai-perf  the profile export JSON of genai-perf or AIPerf: time_to_first_token,\n"
    "              inter_token_latency, output_token_throughput ({\"avg\": ...}), input/output\n"
    "              sequence lengths and input_config's concurrency\n"
    "  A JSON array of such results is read element by element.\n"
    "\n"
    "options:\n"
    "  --model M              catalog key (`infercap catalog models`)\n"
    "  --accelerator A        catalog key (`infercap catalog accelerators`)\n"
    "  --tp N, --pp N         the benchmarked server's tensor-parallel degree and pipeline\n"
    "                         stages (default: the smallest replica that fits)\n"
    "  --precision P          weights: bf16, fp8, int8 or fp4 (default bf16)\n"
    "  --kv-precision P       KV cache: bf16, fp8 or int8 (default bf16)\n"
    "  --software PROFILE     serving-software profile for what is not fitted (default: the\n"
    "                         vendor family's; e.g. nvidia-vllm-2025)\n"
    "  --max-batch N          the server's cap on running sequences (default 256)\n"
    "  --max-batched-tokens N the server's cap on tokens per step (default 8192)\n"
    "  --fix P[=V]            do not fit P (gemm, memory or overhead): keep the profile's value,\n"
    "                         or V (overhead in ms); may be repeated\n"
    "  --format F             csv, vllm or genai-perf for every file (default: detected)\n"
    "  --statistic S          mean (default) or median of the JSON formats' latencies\n"
    "  --set /ptr=VALUE       any other scenario field of the replica\n"
    "  --json                 one JSON object on stdout\n"
    "  -o FRAGMENT.json       write the scenario fragment there\n"
    "  -h, --help             this help\n"
    "\n"
    "The model of a point (closed loop with C requests in flight): batch min(C, max batch),\n"
    "decode context input + output/2; ITL = the mean step with the others' prompts in chunks;\n"
    "TTFT = the prompt's prefill riding on the others' decode + its first step (+ half a step\n"
    "of waiting when C > 1); throughput by Little's law, C x output / (TTFT + (output-1) ITL).\n"
    "sim/drivers/calibrate.c states it in full.\n"
    "\n"
    "exit status: 0 success, 1 runtime failure (no convergence, I/O), 2 invalid input or usage\n";

static int cal_usage(int full, const char *fmt, const char *a, const char *b) {
    return ic_cli_usage_error("calibrate", usage_calibrate, full, fmt, a, b);
}

/* A value in the unit it is shown in: ms for latencies. */
static double shown(int q, double v) {
    return q == IC_CQ_TTFT || q == IC_CQ_ITL ? 1e3 * v : v;
}
static const char *shown_name(int q) {
    static const char *const n[] = {"ttft_ms", "itl_ms", "output_tok_s", "requests_s"};
    return q >= 0 && q < IC_CQ_N ? n[q] : "?";
}
static const char *const field_names[] = {"/serving/prefill_mfu", "/serving/decode_mbu",
                                          "/serving/step_overhead_ms"};

static void fmt_param(int k, double v, double se, char *buf, size_t n) {
    if (k == IC_CP_OVERHEAD)
        snprintf(buf, n, "%.3g ± %.2g ms", 1e3 * v, 1e3 * se);
    else
        snprintf(buf, n, "%.3g ± %.2g", v, se);
}

static void print_text(const struct ic_calib_set *set, const struct ic_calib_result *r,
                       const struct ic_perf_params *base, const char *model, const char *accel,
                       int nfiles, const char *const *files, const int *first_pt,
                       const char *fragment) {
    int nf[4] = {0};
    for (int i = 0; i < set->n; i++) nf[set->pts[i].format]++;
    printf("calibrate: %s on %s, %s weights, %s KV cache, tp %ld x pp %ld, software %s\n", model,
           accel, ic_precision_name(base->weight_precision), ic_precision_name(base->kv_precision),
           base->tp > 0 ? base->tp : 1, base->pp > 0 ? base->pp : 1,
           base->sw.name ? base->sw.name : "none");
    printf("  points      %d from %d file%s (", set->n, nfiles, nfiles == 1 ? "" : "s");
    int first = 1;
    for (int f = IC_CALIB_CSV; f <= IC_CALIB_GENAI_PERF; f++)
        if (nf[f]) {
            printf("%s%s %d", first ? "" : ", ", ic_calib_format_name(f), nf[f]);
            first = 0;
        }
    printf("); %d measured value%s fitted\n", r->nres, r->nres == 1 ? "" : "s");
    printf("  converged   after %d iteration%s (trust region, Levenberg-Marquardt, on log "
           "residuals)\n",
           r->iterations, r->iterations == 1 ? "" : "s");

    printf("\nparameters (estimate ± standard error)\n");
    for (int k = 0; k < IC_CP_N; k++) {
        char est[64], st[64];
        if (r->free_[k])
            fmt_param(k, r->value[k], r->se[k], est, sizeof est);
        else if (k == IC_CP_OVERHEAD)
            snprintf(est, sizeof est, "%.3g ms (fixed)", 1e3 * r->value[k]);
        else
            snprintf(est, sizeof est, "%.3g (fixed)", r->value[k]);
        if (k == IC_CP_OVERHEAD)
            snprintf(st, sizeof st, "%.3g ms", 1e3 * r->start[k]);
        else
            snprintf(st, sizeof st, "%.3g", r->start[k]);
        printf("  %-9s %-22s start %-10s %s\n", ic_calib_param_name(k), est, st, field_names[k]);
    }
    if (r->np > 1) {
        printf("\ncorrelation (of the logs)\n  %-9s", "");
        for (int j = 0; j < IC_CP_N; j++)
            if (r->free_[j]) printf(" %9s", ic_calib_param_name(j));
        printf("\n");
        for (int i = 0; i < IC_CP_N; i++) {
            if (!r->free_[i]) continue;
            printf("  %-9s", ic_calib_param_name(i));
            for (int j = 0; j < IC_CP_N; j++)
                if (r->free_[j]) printf(" %9.3f", r->corr[i * IC_CP_N + j]);
            printf("\n");
        }
    }

    printf("\npoints (residual = measured / predicted - 1)\n");
    printf("  %-24s %6s %6s %6s  %-12s %9s %9s %8s  %s\n", "where", "conc", "input", "output",
           "quantity", "measured", "predicted", "residual", "label");
    int f = 0;
    for (int i = 0; i < set->n; i++) {
        const struct ic_calib_point *pt = &set->pts[i];
        while (f + 1 < nfiles && i >= first_pt[f + 1]) f++;
        /* The file's name without its directory, and the line or element. */
        const char *file = files[f], *base_name = strrchr(file, '/');
        base_name = base_name ? base_name + 1 : file;
        char where[IC_CALIB_WHERE_MAX + 8], conc[24];
        size_t flen = strlen(file);
        snprintf(where, sizeof where, "%s%s", base_name,
                 strncmp(pt->where, file, flen) == 0 ? pt->where + flen : "");
        snprintf(conc, sizeof conc, "%s%.4g", pt->concurrency_estimated ? "~" : "",
                 pt->concurrency);
        int row = 0;
        for (int q = 0; q < IC_CQ_N; q++) {
            if (!isfinite(pt->meas[q])) continue;
            double pr = r->pred[i][q];
            if (q == IC_CQ_REQ_S && isfinite(pt->meas[IC_CQ_OUT_TOK_S])) continue;
            if (row)
                printf("  %-24s %6s %6s %6s  ", "", "", "", "");
            else
                printf("  %-24s %6s %6.4g %6.4g  ", where, conc, pt->input_tokens,
                       pt->output_tokens);
            if (isfinite(pr)) {
                double res = 100.0 * (pt->meas[q] / pr - 1.0);
                if (fabs(res) < 0.05) res = 0.0;
                printf("%-12s %9.4g %9.4g %+7.1f%%", shown_name(q), shown(q, pt->meas[q]),
                       shown(q, pr), res);
            } else {
                printf("%-12s %9.4g %9s %8s", shown_name(q), shown(q, pt->meas[q]), "-",
                       "(queued)");
            }
            printf("%s%s\n", !row && pt->label[0] ? "  " : "", !row ? pt->label : "");
            row = 1;
        }
    }
    int est = 0;
    for (int i = 0; i < set->n; i++) est += set->pts[i].concurrency_estimated;
    if (est)
        printf("  ~: concurrency estimated by Little's law (an open-loop run: requests/s x mean "
               "latency)\n");
    int queued = 0;
    for (int i = 0; i < set->n; i++)
        if (isfinite(set->pts[i].meas[IC_CQ_TTFT]) && !isfinite(r->pred[i][IC_CQ_TTFT])) queued++;
    if (queued)
        printf("  (queued): concurrency above --max-batch %ld: TTFT holds queueing the model does "
               "not predict; not fitted\n",
               base->max_batch);

    printf("\nRMS relative error %.2g%% over %d values; chi^2 = %.4g for %d degree%s of freedom "
           "(the scatter, sd %.3g in log space, sets the standard errors)\n",
           100.0 * r->rms_rel, r->nres, r->chi2, r->dof, r->dof == 1 ? "" : "s",
           sqrt(r->chi2 / r->dof));
    printf("\nscenario fragment:\n%s\n", fragment);
}

static int print_json(const struct ic_calib_set *set, const struct ic_calib_result *r,
                      const struct ic_perf_params *base, const char *model, const char *accel,
                      const char *fragment) {
    cJSON *o = cJSON_CreateObject();
    if (!o) return -1;
    cJSON_AddStringToObject(o, "model", model);
    cJSON_AddStringToObject(o, "accelerator", accel);
    cJSON_AddStringToObject(o, "weight_precision", ic_precision_name(base->weight_precision));
    cJSON_AddStringToObject(o, "kv_precision", ic_precision_name(base->kv_precision));
    cJSON_AddNumberToObject(o, "tp", (double)(base->tp > 0 ? base->tp : 1));
    cJSON_AddNumberToObject(o, "pp", (double)(base->pp > 0 ? base->pp : 1));
    cJSON_AddStringToObject(o, "software", base->sw.name ? base->sw.name : "none");
    cJSON_AddNumberToObject(o, "iterations", r->iterations);
    cJSON *params = cJSON_AddArrayToObject(o, "parameters");
    for (int k = 0; k < IC_CP_N; k++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", ic_calib_param_name(k));
        cJSON_AddStringToObject(p, "field", field_names[k]);
        double f = k == IC_CP_OVERHEAD ? 1e3 : 1.0;
        cJSON_AddStringToObject(p, "unit", k == IC_CP_OVERHEAD ? "ms" : "fraction");
        cJSON_AddNumberToObject(p, "estimate", f * r->value[k]);
        cJSON_AddNumberToObject(p, "se", f * r->se[k]);
        cJSON_AddNumberToObject(p, "se_log", r->se_log[k]);
        cJSON_AddBoolToObject(p, "fixed", !r->free_[k]);
        cJSON_AddNumberToObject(p, "start", f * r->start[k]);
        cJSON_AddItemToArray(params, p);
    }
    cJSON *corr = cJSON_AddArrayToObject(o, "correlation");
    for (int i = 0; i < IC_CP_N; i++)
        cJSON_AddItemToArray(corr, cJSON_CreateDoubleArray(r->corr + i * IC_CP_N, IC_CP_N));
    cJSON_AddNumberToObject(o, "measured_values", r->nres);
    cJSON_AddNumberToObject(o, "chi2", r->chi2);
    cJSON_AddNumberToObject(o, "dof", r->dof);
    cJSON_AddNumberToObject(o, "rms_relative_error", r->rms_rel);
    cJSON *pts = cJSON_AddArrayToObject(o, "points");
    for (int i = 0; i < set->n; i++) {
        const struct ic_calib_point *pt = &set->pts[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "where", pt->where);
        if (pt->label[0]) cJSON_AddStringToObject(e, "label", pt->label);
        cJSON_AddStringToObject(e, "format", ic_calib_format_name(pt->format));
        cJSON_AddNumberToObject(e, "concurrency", pt->concurrency);
        cJSON_AddBoolToObject(e, "concurrency_estimated", pt->concurrency_estimated);
        cJSON_AddNumberToObject(e, "input_tokens", pt->input_tokens);
        cJSON_AddNumberToObject(e, "output_tokens", pt->output_tokens);
        cJSON *res = cJSON_AddArrayToObject(e, "residuals");
        for (int q = 0; q < IC_CQ_N; q++) {
            if (!isfinite(pt->meas[q])) continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "quantity", ic_calib_qty_name(q));
            cJSON_AddStringToObject(x, "unit", q <= IC_CQ_ITL ? "s" : "1/s");
            cJSON_AddNumberToObject(x, "measured", pt->meas[q]);
            cJSON_AddBoolToObject(x, "fitted", ic_calib_fitted(pt, r->pred[i], q));
            if (isfinite(r->pred[i][q])) {
                cJSON_AddNumberToObject(x, "predicted", r->pred[i][q]);
                cJSON_AddNumberToObject(x, "relative_error", pt->meas[q] / r->pred[i][q] - 1.0);
            } else {
                cJSON_AddNullToObject(x, "predicted");
                cJSON_AddNullToObject(x, "relative_error");
            }
            cJSON_AddItemToArray(res, x);
        }
        cJSON_AddItemToArray(pts, e);
    }
    cJSON_AddRawToObject(o, "fragment", fragment);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return -1;
    printf("%s\n", s);
    cJSON_free(s);
    return 0;
}

/* Write the fragment to path through a temporary renamed into place. */
static int write_fragment(const char *path, const char *fragment, struct ic_error *err) {
    char tmp[4200];
    ic_temp_name(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "w");
    if (!f) return ic_error_set(err, IC_ERR_IO, "-o %s: %s", path, strerror(errno));
    int e = 0;
    if (fprintf(f, "%s\n", fragment) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0)
        e = errno ? errno : EIO;
    if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) {
        remove(tmp);
        return ic_error_set(err, IC_ERR_IO, "-o %s: not written: %s", path, strerror(e));
    }
    return IC_OK;
}

static int cal_number(const char *opt, const char *arg, double *x) {
    char *end;
    *x = strtod(arg, &end);
    if (end == arg || *end || !isfinite(*x) || !(*x > 0)) {
        cal_usage(0, "%s: got \"%s\", expected a positive number", opt, arg);
        return -1;
    }
    return 0;
}

int ic_cli_calibrate(int argc, char **argv) {
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"accelerator", required_argument, 0, 'a'},
                                             {"tp", required_argument, 0, 't'},
                                             {"pp", required_argument, 0, 'p'},
                                             {"precision", required_argument, 0, 'P'},
                                             {"kv-precision", required_argument, 0, 'K'},
                                             {"software", required_argument, 0, 'w'},
                                             {"max-batch", required_argument, 0, 'B'},
                                             {"max-batched-tokens", required_argument, 0, 'T'},
                                             {"fix", required_argument, 0, 'f'},
                                             {"format", required_argument, 0, 'F'},
                                             {"statistic", required_argument, 0, 's'},
                                             {"set", required_argument, 0, 'S'},
                                             {"json", no_argument, 0, 'J'},
                                             {"output", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *model = NULL, *accel = NULL, *software = NULL, *out_path = NULL;
    const char *sets[256];
    int nsets = 0, json = 0, format = IC_CALIB_AUTO, stat = IC_CALIB_MEAN, c;
    int fixed[IC_CP_N] = {0};
    double fixv[IC_CP_N] = {0}, x;
    cJSON *serving = cJSON_CreateObject();
    if (!serving) {
        fputs("infercap: calibrate: out of memory\n", stderr);
        return 1;
    }
    int rc = 2, *first_pt = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        const char *opt = argv[optind - 1];
        switch (c) {
        case 'm':
            model = optarg;
            break;
        case 'a':
            accel = optarg;
            break;
        case 'w':
            if (!ic_sw_profile_find(optarg)) {
                char names[6][40];
                const char *cands[6];
                int np = ic_sw_profile_count() < 6 ? ic_sw_profile_count() : 6;
                for (int i = 0; i < np; i++) {
                    ic_strlcpy(names[i], ic_sw_profile_at(i)->name, sizeof names[i]);
                    cands[i] = names[i];
                }
                char dym[200];
                ic_did_you_mean(optarg, cands, (size_t)np, dym, sizeof dym);
                cal_usage(0, "--software: no profile \"%s\"%s", optarg, dym);
                goto out;
            }
            software = optarg;
            break;
        case 'P':
        case 'K':
            cJSON_DeleteItemFromObjectCaseSensitive(serving,
                                                    c == 'P' ? "weight_precision" : "kv_precision");
            cJSON_AddStringToObject(serving, c == 'P' ? "weight_precision" : "kv_precision",
                                    optarg);
            break;
        case 't':
        case 'p':
        case 'B':
        case 'T': {
            if (cal_number(opt, optarg, &x)) goto out;
            const char *key = c == 't'   ? "tensor_parallel"
                              : c == 'p' ? "pipeline_parallel"
                              : c == 'B' ? "max_batch"
                                         : "max_batched_tokens";
            cJSON_DeleteItemFromObjectCaseSensitive(serving, key);
            cJSON_AddNumberToObject(serving, key, x);
            break;
        }
        case 'f': {
            char name[32];
            ic_strlcpy(name, optarg, sizeof name);
            char *eq = strchr(name, '=');
            if (eq) *eq = '\0';
            int k = ic_calib_param_from_name(name);
            if (k < 0) {
                static const char *const pn[] = {"gemm", "memory", "overhead"};
                char dym[200];
                ic_did_you_mean(name, pn, 3, dym, sizeof dym);
                cal_usage(0, "--fix: got \"%s\", expected gemm, memory or overhead[=VALUE]%s",
                          optarg, dym);
                goto out;
            }
            fixed[k] = 1;
            if (eq) {
                const char *v = strchr(optarg, '=') + 1;
                if (cal_number("--fix", v, &x)) goto out;
                if (k != IC_CP_OVERHEAD && x > 1) {
                    cal_usage(0, "--fix %s: an efficiency is a fraction of the peak, at most 1%s",
                              optarg, "");
                    goto out;
                }
                fixv[k] = k == IC_CP_OVERHEAD ? x / 1e3 : x;
            }
            break;
        }
        case 'F':
            format = ic_calib_format_from_name(optarg);
            if (format <= IC_CALIB_AUTO && strcmp(optarg, "auto") != 0) {
                cal_usage(0, "--format: got \"%s\", expected csv, vllm or genai-perf%s", optarg,
                          "");
                goto out;
            }
            if (format < 0) format = IC_CALIB_AUTO;
            break;
        case 's':
            if (strcmp(optarg, "mean") == 0) {
                stat = IC_CALIB_MEAN;
            } else if (strcmp(optarg, "median") == 0) {
                stat = IC_CALIB_MEDIAN;
            } else {
                cal_usage(0, "--statistic: got \"%s\", expected mean or median%s", optarg, "");
                goto out;
            }
            break;
        case 'S':
            if (nsets >= 256) {
                cal_usage(1, "too many --set options (at most %s)%s", "256", "");
                goto out;
            }
            sets[nsets++] = optarg;
            break;
        case 'J':
            json = 1;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'h':
            fputs(usage_calibrate, stdout);
            rc = 0;
            goto out;
        case ':':
            cal_usage(1, "%s needs a value%s", opt, "");
            goto out;
        default: {
            static const char *const opts[] = {
                "--model",    "--accelerator", "--tp",
                "--pp",       "--precision",   "--kv-precision",
                "--software", "--max-batch",   "--max-batched-tokens",
                "--fix",      "--format",      "--statistic",
                "--set",      "--json",        "--output",
                "--help"};
            char dym[200] = "", shortopt[8];
            const char *bad = argv[optind - 1];
            if (optopt) {
                snprintf(shortopt, sizeof shortopt, "-%c", optopt);
                bad = shortopt;
            }
            ic_did_you_mean(bad, opts, sizeof opts / sizeof opts[0], dym, sizeof dym);
            cal_usage(1, "unknown option \"%s\"%s", bad, dym);
            goto out;
        }
        }
    }
    int nfiles = argc - optind;
    const char *const *files = (const char *const *)argv + optind;
    if (nfiles < 1) {
        cal_usage(1, "expected one or more benchmark files%s%s", "", "");
        goto out;
    }
    if (!model || !accel) {
        cal_usage(1, "--model and --accelerator are required%s%s", "", "");
        goto out;
    }
    first_pt = calloc((size_t)nfiles, sizeof *first_pt);
    if (!first_pt) {
        fputs("infercap: calibrate: out of memory\n", stderr);
        rc = 1;
        goto out;
    }
    struct ic_error err = {0};
    if (out_path && ic_check_output_path("-o", out_path, files, (size_t)nfiles, &err) != IC_OK) {
        rc = ic_cli_fail(&err);
        goto out;
    }

    /* The replica: a one-class scenario through the loader, compiled into a plan.  (`infercap
     * perf` now sets its fields without a text or a plan, sim/config/replica.h.) */
    cJSON *root = cJSON_Parse(
        "{\"name\": \"calibrate\", \"paths\": 1, \"horizon_days\": 0.001, \"step_s\": 60, "
        "\"output\": {\"interval_s\": 60, \"store_paths\": 0}, \"start\": "
        "\"2025-01-01T00:00:00Z\", \"fleet\": {\"accelerators\": 1048576}, \"workload\": "
        "{\"classes\": [{\"name\": \"request\"}]}}");
    if (!root) {
        fputs("infercap: calibrate: out of memory\n", stderr);
        rc = 1;
        goto out;
    }
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddStringToObject(root, "accelerator", accel);
    cJSON_AddItemToObject(root, "serving", serving);
    serving = NULL;
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    struct ic_catalog cat;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag diag;
    ic_diag_init(&diag);
    if (!text || !sc || ic_catalog_builtin(&cat, &err)) {
        fprintf(stderr, "infercap: calibrate: %s\n", err.msg[0] ? err.msg : "out of memory");
        free(text);
        free(sc);
        rc = 1;
        goto out;
    }
    struct ic_load_opts lo = {.sets = sets, .n_sets = nsets};
    int st = ic_scenario_load_string(text, "infercap calibrate", &lo, &cat, sc, &diag, &err);
    struct ic_calib_set set;
    ic_calib_set_init(&set);
    if (st != IC_OK) {
        for (size_t i = 0; i < diag.count; i++) fprintf(stderr, "%s\n", diag.msgs[i]);
        if (!diag.count) fprintf(stderr, "infercap: calibrate: %s\n", err.msg);
        rc = ic_status_exit_code(st);
    } else {
        struct ic_plan plan;
        st = ic_plan_compile(sc, &plan, &err);
        if (st != IC_OK) {
            rc = ic_cli_fail(&err);
        } else {
            struct ic_perf_params base;
            ic_plan_perf_params(&plan, 0, &base);
            if (software) base.sw = *ic_sw_profile_find(software);
            if (fixv[IC_CP_GEMM] > 0) base.prefill_mfu = fixv[IC_CP_GEMM];
            if (fixv[IC_CP_MEMORY] > 0) base.decode_mbu = fixv[IC_CP_MEMORY];
            if (fixv[IC_CP_OVERHEAD] > 0) base.step_overhead_s = fixv[IC_CP_OVERHEAD];
            rc = 0;
            for (int i = 0; i < nfiles && rc == 0; i++) {
                first_pt[i] = set.n;
                if (ic_calib_read(files[i], format, stat, &set, &err) != IC_OK)
                    rc = ic_cli_fail(&err);
            }
            struct ic_calib_result r;
            if (rc == 0 && ic_calib_fit(&sc->model.value, &sc->accelerator.value, &base, &set,
                                        fixed, &r, &err) != IC_OK)
                rc = ic_cli_fail(&err);
            else if (rc == 0) {
                char fragment[IC_CALIB_FRAG_MAX];
                int above = 0;
                for (int k = 0; k < IC_CP_OVERHEAD; k++)
                    if (r.free_[k] && r.value[k] > 1) above = 1;
                if (ic_calib_fragment(&r, &base, fragment, sizeof fragment) < 0) {
                    fputs("infercap: calibrate: the scenario fragment does not fit its buffer\n",
                          stderr);
                    rc = 1;
                } else if (json) {
                    if (print_json(&set, &r, &base, model, accel, fragment)) {
                        fputs("infercap: calibrate: out of memory\n", stderr);
                        rc = 1;
                    }
                } else {
                    print_text(&set, &r, &base, model, accel, nfiles, files, first_pt, fragment);
                }
                if (above)
                    fprintf(stderr,
                            "infercap: calibrate: warning: a fitted efficiency is above 1 (the "
                            "scenario fields' range): the model misses something in these "
                            "benchmarks (check --tp, --precision, --max-batch and the model)\n");
                if (rc == 0 && out_path) {
                    if (above) {
                        fprintf(stderr,
                                "infercap: calibrate: -o %s: not written: a scenario "
                                "cannot take an efficiency above 1\n",
                                out_path);
                        rc = 1;
                    } else if (write_fragment(out_path, fragment, &err) != IC_OK) {
                        rc = ic_cli_fail(&err);
                    }
                }
                ic_calib_result_free(&r);
            }
            ic_plan_free(&plan);
        }
    }
    ic_calib_set_free(&set);
    ic_diag_free(&diag);
    ic_catalog_free(&cat);
    free(sc);
    free(text);
out:
    free(first_pt);
    cJSON_Delete(serving);
    return rc;
}
