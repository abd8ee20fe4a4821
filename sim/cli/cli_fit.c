/* cli_fit.c: `infercap fit`, a growth curve fitted to dated observations (sim/drivers/fit.h):
 * the options, and the fit printed as text or JSON. */
#include "sim/cli/cli_fit.h"
#include "sim/core/stats.h"

#include "sim/cli/cli_common.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"
#include "sim/drivers/fit.h"
#include "models/traffic.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *usage_fit =
    "usage: infercap fit OBSERVATIONS.json --curve exponential|logistic|bass [options]\n"
    "\n"
    "Fit a growth curve to dated observations of the demand quantity by nonlinear least\n"
    "squares in log space, and print the estimate, its uncertainty, and the scenario fragment\n"
    "(traffic.growth.fit: mean and covariance of the parameters) to paste into a scenario.\n"
    "\n"
    "options:\n"
    "      --curve C          exponential  [ln_initial, rate_per_day]\n"
    "                         logistic     [ln_initial, rate_per_day, ln_capacity]\n"
    "                         bass         [ln_p_per_day, ln_q_per_day, ln_market_size]\n"
    "      --reference TIME   t = 0 of the curve (default: the earliest observation's date)\n"
    "      --launch TIME      bass: the launch, when the curve starts from zero (default:\n"
    "                         \"launch\" in the file)\n"
    "      --json             print one JSON object on stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "TIME is ISO-8601 with a UTC offset, e.g. 2024-03-15T00:00:00+08:00.\n"
    "\n"
    "OBSERVATIONS.json:\n"
    "  {\"quantity\": \"weekly_web_visits\" | \"daily_active_users\",\n"
    "   \"source\": \"where the numbers come from\",        (optional)\n"
    "   \"launch\": TIME,                                  (optional; bass)\n"
    "   \"observations\": [{\"date\": TIME, \"value\": 100000, \"error\": 0.2, \"label\": "
    "\"...\"}]}\n"
    "  \"error\" is the relative (log-space) standard deviation of an observation; give it for\n"
    "  every observation or for none.  Without it the scatter about the fit estimates the\n"
    "  uncertainty, which needs more observations than the curve has parameters.\n"
    "\n"
    "exit status: 0 success, 1 runtime failure (no convergence, I/O), 2 invalid input or usage\n";

static int fit_usage_error(int full, const char *fmt, const char *a, const char *b) {
    return ic_cli_usage_error("fit", usage_fit, full, fmt, a, b);
}

/* The natural-scale reading of parameter i, e.g. "doubling time 22.8 days". */
static void natural(const struct ic_fit_result *r, int i, char *name, size_t nsize, double *value,
                    char *text, size_t tsize) {
    double th = r->theta[i];
    const char *pn = ic_growth_param_name(r->model, i);
    *value = exp(th);
    if (strcmp(pn, "rate_per_day") == 0) {
        double v = th != 0 ? log(2.0) / fabs(th) : INFINITY;
        snprintf(name, nsize, "%s", th >= 0 ? "doubling_time_days" : "halving_time_days");
        *value = v;
        if (th == 0)
            snprintf(text, tsize, "flat");
        else
            snprintf(text, tsize, "%s time %.3g days", th > 0 ? "doubling" : "halving", v);
        return;
    }
    const char *label = strcmp(pn, "ln_initial") == 0     ? "initial"
                        : strcmp(pn, "ln_capacity") == 0  ? "capacity"
                        : strcmp(pn, "ln_p_per_day") == 0 ? "p_per_day"
                        : strcmp(pn, "ln_q_per_day") == 0 ? "q_per_day"
                                                          : "market_size";
    snprintf(name, nsize, "%s", label);
    double lo = exp(th - IC_Z95 * r->sd[i]), hi = exp(th + IC_Z95 * r->sd[i]);
    snprintf(text, tsize, "%s %.3g; 95%% %.3g to %.3g", label, *value, lo, hi);
}

static const char *curve_formula(int model) {
    switch (model) {
    case IC_GROWTH_LOGISTIC:
        return "v(t) = K / (1 + (K/v0 - 1) exp(-r t)); v0 = exp(ln_initial), r = rate_per_day, "
               "K = exp(ln_capacity)";
    case IC_GROWTH_BASS:
        return "v(t) = m (1 - exp(-(p+q) s)) / (1 + (q/p) exp(-(p+q) s)), s = t - launch;\n"
               "              p = exp(ln_p_per_day), q = exp(ln_q_per_day), m = "
               "exp(ln_market_size)";
    default:
        return "v(t) = exp(ln_initial + rate_per_day t)";
    }
}

/* A count as digits up to 1e10, otherwise in exponent form. */
static void fmt_count(double v, char *buf, size_t n) {
    if (v >= 0.5 && v < 1e10)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.4g", v);
}

/* Print text after a label, wrapped at 100 columns with continuation lines indented to the
 * label's width. */
static void print_wrapped(const char *label, const char *text) {
    const int indent = 14, width = 100;
    printf("  %-*s", indent - 2, label);
    int col = indent;
    const char *p = text;
    while (*p) {
        size_t k = strcspn(p, " ");
        if (col > indent && col + 1 + (int)k > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", (int)k, p);
        col += (int)k;
        p += k;
        while (*p == ' ') p++;
    }
    putchar('\n');
}

static void print_text(const struct ic_obs_set *set, const struct ic_fit_result *r,
                       const char *fragment) {
    char ref[48], when[48];
    int np = r->np;
    ic_time_format(r->ref_unix_s, r->ref_offset_s, ref, sizeof ref);
    printf("%s: %s curve of %s, %d observation%s\n", set->path, ic_fit_model_name(r->model),
           r->quantity, r->n, r->n == 1 ? "" : "s");
    if (set->source[0]) print_wrapped("source", set->source);
    printf("  curve       %s\n", curve_formula(r->model));
    printf("  time        t in days since %s (reference)\n", ref);
    if (r->model == IC_GROWTH_BASS) {
        ic_time_format(r->ref_unix_s + r->launch_days * 86400.0, r->ref_offset_s, when,
                       sizeof when);
        printf("  launch      %s (t = %.4g days)\n", when, r->launch_days);
    }
    printf("  converged   after %d iteration%s (trust region, Levenberg-Marquardt)\n",
           r->iterations, r->iterations == 1 ? "" : "s");

    printf("\nparameters (estimate ± sd)\n");
    for (int i = 0; i < np; i++) {
        char name[32], text[128], est[64];
        double v;
        natural(r, i, name, sizeof name, &v, text, sizeof text);
        snprintf(est, sizeof est, "%.4g ± %.2g", r->theta[i], r->sd[i]);
        printf("  %-16s %-22s (%s)\n", ic_growth_param_name(r->model, i), est, text);
    }

    printf("\ncorrelation\n  %-16s", "");
    for (int j = 0; j < np; j++) printf(" %15s", ic_growth_param_name(r->model, j));
    printf("\n");
    for (int i = 0; i < np; i++) {
        printf("  %-16s", ic_growth_param_name(r->model, i));
        for (int j = 0; j < np; j++) printf(" %15.3f", r->corr[i * np + j]);
        printf("\n");
    }

    printf("\nobservations (residual = observed / fitted - 1)\n");
    printf("  %-25s %8s %11s %11s %9s  %s\n", "date", "t_days", "observed", "fitted", "residual",
           "label");
    for (int i = 0; i < r->n; i++) {
        const struct ic_obs *o = &set->obs[i];
        char ov[32], fv[32];
        ic_time_format(o->unix_s, r->ref_offset_s, when, sizeof when);
        fmt_count(o->value, ov, sizeof ov);
        fmt_count(r->fitted[i], fv, sizeof fv);
        double res = 100.0 * (o->value / r->fitted[i] - 1.0);
        if (fabs(res) < 0.05) res = 0.0; /* no "-0.0%" */
        printf("  %-25s %8.2f %11s %11s %+8.1f%%  %s\n", when, r->t_days[i], ov, fv, res, o->label);
    }

    printf("\n");
    if (r->errors_given) {
        if (r->dof > 0)
            printf("chi^2 = %.4g for %d degree%s of freedom (p = %.3g); errors from the file, "
                   "covariance unscaled\n",
                   r->chi2, r->dof, r->dof == 1 ? "" : "s", gsl_cdf_chisq_Q(r->chi2, r->dof));
        else
            printf("chi^2 = %.4g for 0 degrees of freedom (the curve passes through every "
                   "observation); errors from the file, covariance unscaled\n",
                   r->chi2);
    } else {
        printf("chi^2 = %.4g for %d degree%s of freedom; no errors in the file: the scatter "
               "about the fit (sd %.3g in log space) sets the uncertainty (covariance scaled by "
               "chi^2/dof = %.4g)\n",
               r->chi2, r->dof, r->dof == 1 ? "" : "s", sqrt(r->cov_scale), r->cov_scale);
    }
    printf("\nscenario fragment:\n%s\n", fragment);
}

static int print_json(const struct ic_obs_set *set, const struct ic_fit_result *r,
                      const char *fragment) {
    char ref[48], when[48];
    int np = r->np;
    cJSON *o = cJSON_CreateObject();
    if (!o) return -1;
    ic_time_format(r->ref_unix_s, r->ref_offset_s, ref, sizeof ref);
    cJSON_AddStringToObject(o, "file", set->path);
    cJSON_AddStringToObject(o, "curve", ic_fit_model_name(r->model));
    cJSON_AddStringToObject(o, "quantity", r->quantity);
    if (set->source[0]) cJSON_AddStringToObject(o, "source", set->source);
    cJSON_AddStringToObject(o, "reference_time", ref);
    if (r->model == IC_GROWTH_BASS) {
        ic_time_format(r->ref_unix_s + r->launch_days * 86400.0, r->ref_offset_s, when,
                       sizeof when);
        cJSON_AddStringToObject(o, "launch_time", when);
        cJSON_AddNumberToObject(o, "launch_days", r->launch_days);
    }
    cJSON_AddNumberToObject(o, "iterations", r->iterations);
    cJSON *params = cJSON_AddArrayToObject(o, "parameters");
    for (int i = 0; i < np; i++) {
        char name[32], text[128];
        double v;
        natural(r, i, name, sizeof name, &v, text, sizeof text);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "name", ic_growth_param_name(r->model, i));
        cJSON_AddNumberToObject(p, "estimate", r->theta[i]);
        cJSON_AddNumberToObject(p, "sd", r->sd[i]);
        cJSON *nat = cJSON_AddObjectToObject(p, "natural");
        cJSON_AddStringToObject(nat, "name", name);
        if (isfinite(v))
            cJSON_AddNumberToObject(nat, "value", v);
        else
            cJSON_AddNullToObject(nat, "value");
        cJSON_AddStringToObject(nat, "text", text);
        cJSON_AddItemToArray(params, p);
    }
    cJSON *cov = cJSON_AddArrayToObject(o, "covariance");
    cJSON *corr = cJSON_AddArrayToObject(o, "correlation");
    for (int i = 0; i < np; i++) {
        cJSON_AddItemToArray(cov, cJSON_CreateDoubleArray(r->cov + i * np, np));
        cJSON_AddItemToArray(corr, cJSON_CreateDoubleArray(r->corr + i * np, np));
    }
    cJSON_AddNumberToObject(o, "chi2", r->chi2);
    cJSON_AddNumberToObject(o, "dof", r->dof);
    cJSON_AddBoolToObject(o, "errors_given", r->errors_given);
    cJSON_AddNumberToObject(o, "covariance_scale", r->cov_scale);
    if (r->errors_given && r->dof > 0)
        cJSON_AddNumberToObject(o, "chi2_p_value", gsl_cdf_chisq_Q(r->chi2, r->dof));
    cJSON *obs = cJSON_AddArrayToObject(o, "observations");
    for (int i = 0; i < r->n; i++) {
        const struct ic_obs *ob = &set->obs[i];
        cJSON *e = cJSON_CreateObject();
        ic_time_format(ob->unix_s, r->ref_offset_s, when, sizeof when);
        cJSON_AddStringToObject(e, "date", when);
        cJSON_AddNumberToObject(e, "t_days", r->t_days[i]);
        cJSON_AddNumberToObject(e, "value", ob->value);
        if (r->errors_given) cJSON_AddNumberToObject(e, "error", ob->rel_error);
        cJSON_AddNumberToObject(e, "fitted", r->fitted[i]);
        cJSON_AddNumberToObject(e, "residual_pct", 100.0 * (ob->value / r->fitted[i] - 1.0));
        if (ob->label[0]) cJSON_AddStringToObject(e, "label", ob->label);
        cJSON_AddItemToArray(obs, e);
    }
    /* Raw, so its numbers keep the 17 digits they were printed with. */
    cJSON_AddRawToObject(o, "fragment", fragment);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    if (!s) return -1;
    printf("%s\n", s);
    cJSON_free(s);
    return 0;
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE"; NULL when argv[*i] is not it.
 * *missing is set when the value is absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, int *missing) {
    size_t k = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, k) != 0) return NULL;
    if (a[k] == '=') return a + k + 1;
    if (a[k] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int ic_cli_fit(int argc, char **argv) {
    static const char *const opts[] = {"--curve", "--reference", "--launch", "--json", "--help"};
    const char *file = NULL, *curve = NULL, *reference = NULL, *launch = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_fit, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if ((v = opt_value(argc, argv, &i, "--curve", &missing)) || missing) {
            if (missing) return fit_usage_error(1, "%s needs a value%s", a, "");
            curve = v;
        } else if ((v = opt_value(argc, argv, &i, "--reference", &missing)) || missing) {
            if (missing) return fit_usage_error(1, "%s needs a value%s", a, "");
            reference = v;
        } else if ((v = opt_value(argc, argv, &i, "--launch", &missing)) || missing) {
            if (missing) return fit_usage_error(1, "%s needs a value%s", a, "");
            launch = v;
        } else if (a[0] == '-' && a[1] != '\0') {
            char dym[200];
            ic_did_you_mean(a, opts, 5, dym, sizeof dym);
            return fit_usage_error(1, "unknown option \"%s\"%s", a, dym);
        } else if (file) {
            return fit_usage_error(1, "unexpected argument \"%s\"%s", a,
                                   "; give one observations file");
        } else {
            file = a;
        }
    }
    if (!file) return fit_usage_error(1, "expected an observations file%s%s", "", "");
    if (!curve)
        return fit_usage_error(1, "expected --curve exponential, logistic or bass%s%s", "", "");
    int model = ic_fit_model_from_name(curve);
    if (model < 0) {
        char dym[200];
        const char *names[IC_GROWTH_BASS + 1];
        for (int m = IC_GROWTH_EXPONENTIAL; m <= IC_GROWTH_BASS; m++)
            names[m] = ic_growth_model_name(m);
        ic_did_you_mean(curve, names, IC_GROWTH_BASS + 1, dym, sizeof dym);
        return fit_usage_error(0, "unknown curve \"%s\"%s (expected exponential, logistic or bass)",
                               curve, dym);
    }
    double ref_unix = 0, launch_unix = 0;
    int ref_off = 0, launch_off = 0;
    if (reference && ic_time_parse(reference, &ref_unix, &ref_off) != 0)
        return fit_usage_error(0, "--reference: got \"%s\", expected %s", reference,
                               ic_fit_time_expected);
    if (launch && ic_time_parse(launch, &launch_unix, &launch_off) != 0)
        return fit_usage_error(0, "--launch: got \"%s\", expected %s", launch,
                               ic_fit_time_expected);
    if (launch && model != IC_GROWTH_BASS)
        return fit_usage_error(0, "--launch applies to the bass curve only, not to %s%s", curve,
                               "");

    struct ic_error err = {0};
    struct ic_obs_set set;
    if (ic_obs_load(file, &set, &err)) return ic_cli_fail(&err);
    if (!reference) ic_obs_default_reference(&set, &ref_unix, &ref_off);
    double launch_days = NAN;
    if (model == IC_GROWTH_BASS) {
        if (!launch && set.has_launch) launch_unix = set.launch_unix_s;
        if (!launch && !set.has_launch) {
            ic_obs_set_free(&set);
            return fit_usage_error(0,
                                   "the bass curve needs the launch time: give --launch TIME or "
                                   "\"launch\" in %s%s",
                                   file, "");
        }
        launch_days = (launch_unix - ref_unix) / 86400.0;
    }

    struct ic_fit_result r;
    if (ic_fit_growth(&set, model, ref_unix, ref_off, launch_days, &r, &err)) {
        ic_obs_set_free(&set);
        return ic_cli_fail(&err);
    }
    char fragment[IC_FIT_FRAGMENT_MAX];
    int rc = 0;
    if (ic_fit_fragment(&r, fragment, sizeof fragment) < 0) {
        fprintf(stderr, "infercap: fit: the scenario fragment does not fit its buffer\n");
        rc = 1;
    } else if (json) {
        if (print_json(&set, &r, fragment)) {
            fprintf(stderr, "infercap: fit: out of memory\n");
            rc = 1;
        }
    } else {
        print_text(&set, &r, fragment);
    }
    ic_fit_result_free(&r);
    ic_obs_set_free(&set);
    return rc;
}
