/* fit.c: calibration of growth curves to dated observations (see fit.h for the model).
 *
 * The residuals are in log space, r_i = (ln g(t_i; theta) - ln y_i) / sigma_i, because the
 * observations of a growing product (web visits, active users) have errors that scale with
 * the value: "about 100k" and "over 1.6M" are both uncertain by a similar factor.  The curves
 * themselves come from models/traffic.c (ic_growth_value); this file adds their derivatives
 * with respect to theta, which give the Jacobian, the starting points and the driver.
 *
 * Minimisation: GSL gsl_multifit_nlinear, trust region with Levenberg-Marquardt steps and
 * More's scaling (GSL reference manual, "Nonlinear Least-Squares Fitting").  Where a trial
 * step leaves the curve's domain (a logistic curve past its pole, values that overflow) the
 * residuals are set very large, so the step is rejected and the trust region shrinks.
 * Starting points: exponential, the weighted log-linear regression (the problem is linear in
 * theta, so this is already the answer); logistic, for K a few multiples of the largest value,
 * the regression of the logit ln(y / (K - y)), which is linear in t exactly for a logistic
 * curve; Bass, for market sizes and ratios q/p on a grid, the regression through the origin of
 * -ln((1 - F) / (1 + (q/p) F)) = (p + q) s with F = y / m, which inverts the Bass curve.  Every
 * start is run and the converged fit with the smallest chi^2 is kept.
 *
 * Convergence is judged on the result, not only on GSL's stopping rule: the residual vector
 * must be orthogonal to every column of the Jacobian (the cosine test of MINPACK: J. J. More,
 * B. S. Garbow, K. E. Hillstrom, "User guide for MINPACK-1", ANL-80-74, 1980), or the residuals
 * must vanish (exact data).
 *
 * Covariance: the Gauss-Newton approximation C = (J^T J)^{-1} at the minimum
 * (gsl_multifit_nlinear_covar).  With errors given, the residuals are in units of their
 * standard deviations and C is used as is; without, sigma_i = 1 and C is scaled by the
 * residual variance s^2 = chi^2 / (n - p), which needs n > p.
 *
 * Other modules call ic_obs_load, ic_fit_growth, ic_fit_fragment; `infercap fit` is in
 * sim/cli/cli_fit.c. */
#include "sim/drivers/fit.h"

#include "sim/config/jsoncheck.h"
#include "sim/config/scenario.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PTR_MAX 128
#define NP_MAX  IC_GROWTH_MAX_PARAMS

/* Residual of a trial point outside the curve's domain: large enough that a step there is
 * always rejected, small enough that its square stays finite. */
#define FIT_PENALTY 1e30
#define FIT_MAXITER 1000
#define FIT_XTOL    1e-10
#define FIT_GTOL    1e-10
/* The cosine between the residual vector and any Jacobian column at an accepted minimum. */
#define FIT_COS_TOL    1e-5
#define FIT_MAX_STARTS 16
/* Smallest allowed ratio of the correlation matrix's extreme eigenvalues. */
#define FIT_RCOND_MIN 1e-9

const char *ic_fit_model_name(int model) {
    if (model < IC_GROWTH_EXPONENTIAL || model > IC_GROWTH_BASS) return "?";
    return ic_growth_model_name(model);
}

int ic_fit_model_from_name(const char *name) {
    int m = ic_enum_value(&ic_growth_models, name);
    return m >= IC_GROWTH_EXPONENTIAL && m <= IC_GROWTH_BASS ? m : -1;
}

/* ---- the observations file ----------------------------------------------------------------- */

void ic_obs_set_init(struct ic_obs_set *set) {
    memset(set, 0, sizeof *set);
}

void ic_obs_set_free(struct ic_obs_set *set) {
    free(set->obs);
    ic_obs_set_init(set);
}

struct reader {
    const char *label;
    struct ic_diag *diag;
};

/* Pointer (or pattern) of a child: ptr + "/" + escaped token, or + "/" + index. */
static void ptr_join(char out[PTR_MAX], const char *ptr, const char *tok) {
    ic_pointer_join(out, PTR_MAX, ptr, tok);
}
static void ptr_index(char out[PTR_MAX], const char *ptr, int i) {
    ic_pointer_index(out, PTR_MAX, ptr, i);
}

static void bad_value(struct reader *r, const char *ptr, const cJSON *v, const char *expected) {
    char got[96];
    ic_json_describe(v, got, sizeof got);
    ic_diag_add(r->diag, "%s: %s: got %s, expected %s", r->label, ptr, got, expected);
}

static void unknown_key(struct reader *r, const char *ptr, const char *key,
                        const char *const *cands, size_t n) {
    char dym[200];
    ic_did_you_mean(key, cands, n, dym, sizeof dym);
    ic_diag_add(r->diag, "%s: %s: unknown key \"%s\"%s", r->label, ptr, key, dym);
}

/* Duplicate keys anywhere in the document (cJSON keeps both and lookups see the first). */
static void check_duplicates(struct reader *r, const cJSON *node, const char *ptr) {
    int i = 0;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        char cptr[PTR_MAX];
        if (cJSON_IsObject(node)) {
            ptr_join(cptr, ptr, c->string);
            for (const cJSON *d = node->child; d != c; d = d->next)
                if (strcmp(d->string, c->string) == 0) {
                    ic_diag_add(r->diag, "%s: %s: duplicate key \"%s\"", r->label, cptr, c->string);
                    break;
                }
        } else {
            ptr_index(cptr, ptr, i);
        }
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) check_duplicates(r, c, cptr);
    }
}

const char *const ic_fit_time_expected =
    "an ISO-8601 time with a UTC offset, e.g. \"2024-03-15T00:00:00+08:00\"";

static int read_time(struct reader *r, const cJSON *v, const char *ptr, double *unix_s,
                     int *offset_s) {
    if (!cJSON_IsString(v) || ic_time_parse(v->valuestring, unix_s, offset_s) != 0) {
        bad_value(r, ptr, v, ic_fit_time_expected);
        return -1;
    }
    return 0;
}

static int read_positive(struct reader *r, const cJSON *v, const char *ptr, const char *what,
                         double *out) {
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !(v->valuedouble > 0)) {
        bad_value(r, ptr, v, what);
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

static int read_string(struct reader *r, const cJSON *v, const char *ptr, char *dst, size_t size) {
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size) {
        char exp[64];
        snprintf(exp, sizeof exp, "a string of at most %zu bytes", size - 1);
        bad_value(r, ptr, v, exp);
        return -1;
    }
    ic_strlcpy(dst, v->valuestring, size);
    return 0;
}

static void read_observation(struct reader *r, const cJSON *o, const char *ptr, struct ic_obs *ob,
                             int *has_error) {
    static const char *const keys[] = {"date", "value", "error", "label"};
    *has_error = 0;
    if (!cJSON_IsObject(o)) {
        bad_value(r, ptr, o,
                  "an object {\"date\": TIME, \"value\": V, \"error\": E (optional), "
                  "\"label\": TEXT (optional)}");
        return;
    }
    int seen_date = 0, seen_value = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, o) {
        char cptr[PTR_MAX];
        ptr_join(cptr, ptr, c->string);
        if (strcmp(c->string, "date") == 0) {
            seen_date = 1;
            read_time(r, c, cptr, &ob->unix_s, &ob->offset_s);
        } else if (strcmp(c->string, "value") == 0) {
            seen_value = 1;
            read_positive(r, c, cptr, "a number > 0 (the observed value)", &ob->value);
        } else if (strcmp(c->string, "error") == 0) {
            *has_error = 1;
            read_positive(r, c, cptr,
                          "a number > 0 (the relative standard deviation, e.g. 0.2 for 20%)",
                          &ob->rel_error);
        } else if (strcmp(c->string, "label") == 0) {
            read_string(r, c, cptr, ob->label, sizeof ob->label);
        } else {
            unknown_key(r, cptr, c->string, keys, 4);
        }
    }
    char cptr[PTR_MAX];
    if (!seen_date) {
        ptr_join(cptr, ptr, "date");
        ic_diag_add(r->diag, "%s: %s: missing required time (%s)", r->label, cptr,
                    ic_fit_time_expected);
    }
    if (!seen_value) {
        ptr_join(cptr, ptr, "value");
        ic_diag_add(r->diag, "%s: %s: missing required number (the observed value, > 0)", r->label,
                    cptr);
    }
}

static void read_observations(struct reader *r, const cJSON *v, struct ic_obs_set *set) {
    int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
    if (n < 1) {
        bad_value(r, "/observations", v, "an array of at least one observation");
        return;
    }
    set->obs = calloc((size_t)n, sizeof *set->obs);
    if (!set->obs) {
        r->diag->nomem = 1;
        return;
    }
    set->n = n;
    int with = 0, first_with = -1, first_without = -1, i = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, v) {
        char ptr[PTR_MAX];
        ptr_index(ptr, "/observations", i);
        int has_error;
        read_observation(r, o, ptr, &set->obs[i], &has_error);
        if (has_error) {
            with++;
            if (first_with < 0) first_with = i;
        } else if (first_without < 0) {
            first_without = i;
        }
        i++;
    }
    if (with > 0 && with < n)
        ic_diag_add(r->diag,
                    "%s: /observations: \"error\" is given for %d of the %d observations (e.g. "
                    "/observations/%d/error) but missing at /observations/%d/error; give it for "
                    "every observation or for none (then the scatter of the fit estimates it)",
                    r->label, with, n, first_with, first_without);
    set->errors_given = with == n;
}

int ic_obs_load_string(const char *text, const char *label, struct ic_obs_set *set,
                       struct ic_error *err) {
    static const char *const keys[] = {"quantity", "source", "launch", "observations"};
    ic_obs_set_init(set);
    cJSON *root = ic_json_parse_checked(text, label, err);
    if (!root) return err->status;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: an observations file must be a JSON object {\"quantity\": ..., "
                            "\"observations\": [...]}",
                            label);
    }
    ic_strlcpy(set->path, label, sizeof set->path);
    struct ic_diag diag;
    ic_diag_init(&diag);
    struct reader r = {label, &diag};
    check_duplicates(&r, root, "");
    int seen_quantity = 0, seen_obs = 0;
    /* the scenario's names (/traffic/growth/quantity), in the order messages list them */
    const char *const quantities[] = {ic_quantity_name(IC_QTY_WEEKLY_WEB_VISITS),
                                      ic_quantity_name(IC_QTY_DAILY_ACTIVE_USERS)};
    const cJSON *c;
    cJSON_ArrayForEach(c, root) {
        char ptr[PTR_MAX];
        ptr_join(ptr, "", c->string);
        if (strcmp(c->string, "quantity") == 0) {
            seen_quantity = 1;
            int ok = 0;
            for (size_t i = 0; cJSON_IsString(c) && i < 2; i++)
                if (strcmp(c->valuestring, quantities[i]) == 0) ok = 1;
            if (ok) {
                ic_strlcpy(set->quantity, c->valuestring, sizeof set->quantity);
            } else {
                char exp[512], dym[200] = "";
                if (cJSON_IsString(c))
                    ic_did_you_mean(c->valuestring, quantities, 2, dym, sizeof dym);
                snprintf(exp, sizeof exp, "\"%s\" or \"%s\"%s", quantities[0], quantities[1], dym);
                bad_value(&r, ptr, c, exp);
            }
        } else if (strcmp(c->string, "source") == 0) {
            read_string(&r, c, ptr, set->source, sizeof set->source);
        } else if (strcmp(c->string, "launch") == 0) {
            if (read_time(&r, c, ptr, &set->launch_unix_s, &set->launch_offset_s) == 0)
                set->has_launch = 1;
        } else if (strcmp(c->string, "observations") == 0) {
            seen_obs = 1;
            read_observations(&r, c, set);
        } else {
            unknown_key(&r, ptr, c->string, keys, 4);
        }
    }
    if (!seen_quantity)
        ic_diag_add(&diag, "%s: /quantity: missing required string (\"%s\" or \"%s\")", label,
                    quantities[0], quantities[1]);
    if (!seen_obs)
        ic_diag_add(&diag,
                    "%s: /observations: missing required array of observations ({\"date\": "
                    "TIME, \"value\": V})",
                    label);
    cJSON_Delete(root);
    int rc = ic_diag_to_error(&diag, err);
    ic_diag_free(&diag);
    if (rc) ic_obs_set_free(set);
    return rc;
}

int ic_obs_load(const char *path, struct ic_obs_set *set, struct ic_error *err) {
    ic_obs_set_init(set);
    char *text;
    size_t len;
    int rc = ic_read_file(path, IC_OBS_MAX_BYTES, &text, &len, err);
    if (rc) return rc;
    if (strlen(text) != len) {
        free(text);
        return ic_error_set(err, IC_ERR_INVALID, "%s: contains a NUL byte; not a JSON text", path);
    }
    rc = ic_obs_load_string(text, path, set, err);
    free(text);
    return rc;
}

void ic_obs_default_reference(const struct ic_obs_set *set, double *unix_s, int *offset_s) {
    *unix_s = 0;
    *offset_s = 0;
    for (int i = 0; i < set->n; i++)
        if (i == 0 || set->obs[i].unix_s < *unix_s) {
            *unix_s = set->obs[i].unix_s;
            *offset_s = set->obs[i].offset_s;
        }
}

/* ---- the curves' derivatives --------------------------------------------------------------- */

int ic_fit_dlog_value(const struct ic_growth *g, double t, double *grad) {
    switch (g->model) {
    case IC_GROWTH_EXPONENTIAL:
        /* ln g = ln v0 + r t */
        grad[0] = 1.0;
        grad[1] = t;
        return 0;
    case IC_GROWTH_LOGISTIC: {
        /* ln g = ln K - ln D, D = 1 + (c - 1) E, c = K / v0 = e^{theta2 - theta0}, E = e^{-r t} */
        double c = g->capacity / g->v0, e = exp(-g->rate_per_day * t);
        double d = 1.0 + (c - 1.0) * e;
        if (!(d > 0) || !isfinite(d) || !isfinite(c * e)) return -1;
        double w = c * e / d;
        grad[0] = w;
        grad[1] = (c - 1.0) * t * e / d;
        grad[2] = 1.0 - w;
        return 0;
    }
    case IC_GROWTH_BASS: {
        /* ln g = ln m + ln(1 - E) - ln(1 + (q/p) E), E = e^{-(p+q) s}; d/dtheta0 = p d/dp,
         * d/dtheta1 = q d/dq. */
        double s = t - g->launch_days;
        if (!(s > 0)) return -1;
        double p = g->p, q = g->q, a = p + q;
        double e = exp(-a * s), one_minus_e = -expm1(-a * s);
        double d = 1.0 + q / p * e;
        if (!(one_minus_e > 0) || !isfinite(d)) return -1;
        double h = s * e / one_minus_e; /* d ln(1 - E) / d(p + q) */
        grad[0] = p * h + q * e * (1.0 / p + s) / d;
        grad[1] = q * h - q / p * e * (1.0 - q * s) / d;
        grad[2] = 1.0;
        return 0;
    }
    default:
        return -1;
    }
}

/* ---- least squares ------------------------------------------------------------------------- */

struct fit_data {
    int model, n, np;
    double launch_days;
    const double *t, *lny, *sigma;
};

static void curve_at(const struct fit_data *d, const gsl_vector *x, struct ic_growth *g) {
    memset(g, 0, sizeof *g);
    g->model = d->model;
    g->launch_days = d->launch_days;
    double th[NP_MAX];
    for (int j = 0; j < d->np; j++) th[j] = gsl_vector_get(x, (size_t)j);
    ic_growth_set_theta(g, th);
}

static int resid_f(const gsl_vector *x, void *params, gsl_vector *f) {
    const struct fit_data *d = params;
    struct ic_growth g;
    curve_at(d, x, &g);
    for (int i = 0; i < d->n; i++) {
        double v = ic_growth_value(&g, d->t[i]);
        double r = v > 0 && isfinite(v) ? (log(v) - d->lny[i]) / d->sigma[i] : FIT_PENALTY;
        gsl_vector_set(f, (size_t)i, isfinite(r) ? r : FIT_PENALTY);
    }
    return GSL_SUCCESS;
}

static int resid_df(const gsl_vector *x, void *params, gsl_matrix *J) {
    const struct fit_data *d = params;
    struct ic_growth g;
    curve_at(d, x, &g);
    for (int i = 0; i < d->n; i++) {
        double grad[NP_MAX];
        int ok = ic_fit_dlog_value(&g, d->t[i], grad) == 0;
        for (int j = 0; j < d->np; j++) {
            double v = ok ? grad[j] / d->sigma[i] : 0.0;
            gsl_matrix_set(J, (size_t)i, (size_t)j, isfinite(v) ? v : 0.0);
        }
    }
    return GSL_SUCCESS;
}

/* Weighted least-squares line z = a + b x; b = 0 when the x are all equal. */
static void linreg(const double *x, const double *z, const double *w, int n, double *a, double *b) {
    double sw = 0, sx = 0, sz = 0;
    for (int i = 0; i < n; i++) {
        sw += w[i];
        sx += w[i] * x[i];
        sz += w[i] * z[i];
    }
    double mx = sx / sw, mz = sz / sw, sxx = 0, sxz = 0;
    for (int i = 0; i < n; i++) {
        sxx += w[i] * (x[i] - mx) * (x[i] - mx);
        sxz += w[i] * (x[i] - mx) * (z[i] - mz);
    }
    *b = sxx > 0 ? sxz / sxx : 0.0;
    *a = mz - *b * mx;
}

/* Starting points for the model (see the header comment); returns how many. */
static int starts(const struct fit_data *d, double th[FIT_MAX_STARTS][NP_MAX], double *work) {
    int n = d->n, k = 0;
    double *w = work, *z = work + n;
    double ymax = 0;
    for (int i = 0; i < n; i++) {
        w[i] = 1.0 / (d->sigma[i] * d->sigma[i]);
        ymax = fmax(ymax, exp(d->lny[i]));
    }
    if (d->model == IC_GROWTH_EXPONENTIAL) {
        linreg(d->t, d->lny, w, n, &th[0][0], &th[0][1]);
        return 1;
    }
    static const double mults[] = {1.25, 2.0, 4.0, 16.0};
    if (d->model == IC_GROWTH_LOGISTIC) {
        for (int m = 0; m < 4; m++) {
            double K = mults[m] * ymax, c0, r;
            for (int i = 0; i < n; i++) {
                double y = exp(d->lny[i]);
                z[i] = log(y / (K - y));
            }
            linreg(d->t, z, w, n, &c0, &r);
            /* logit(v0 / K) = c0, so ln v0 = ln K - ln(1 + e^{-c0}) */
            th[k][0] = log(K) - log1p(exp(-c0));
            th[k][1] = r;
            th[k][2] = log(K);
            if (isfinite(th[k][0]) && isfinite(r)) k++;
        }
        return k;
    }
    static const double ratios[] = {0.3, 3.0, 30.0, 300.0};
    for (int m = 0; m < 4; m++)
        for (int c = 0; c < 4; c++) {
            double M = mults[m] * ymax, ratio = ratios[c], num = 0, den = 0;
            for (int i = 0; i < n; i++) {
                double F = exp(d->lny[i]) / M, s = d->t[i] - d->launch_days;
                double zi = log1p(ratio * F) - log1p(-F);
                num += w[i] * zi * s;
                den += w[i] * s * s;
            }
            double a = num / den;
            if (!(a > 0) || !isfinite(a)) continue;
            th[k][0] = log(a / (1.0 + ratio));
            th[k][1] = log(a * ratio / (1.0 + ratio));
            th[k][2] = log(M);
            k++;
        }
    return k;
}

/* Did the minimisation end at a stationary point?  The cosine test, or residuals that vanish
 * in log space (exact data: the cosine of round-off noise means nothing). */
static int stationary(const struct fit_data *d, const gsl_vector *f, const gsl_matrix *J,
                      double chi2) {
    double ss = 0;
    for (int i = 0; i < d->n; i++) {
        double e = gsl_vector_get(f, (size_t)i) * d->sigma[i];
        ss += e * e;
    }
    if (ss <= 1e-24 * d->n) return 1;
    double fn = sqrt(chi2);
    for (size_t j = 0; j < J->size2; j++) {
        gsl_vector_const_view col = gsl_matrix_const_column(J, j);
        double g, cn = gsl_blas_dnrm2(&col.vector);
        gsl_blas_ddot(&col.vector, f, &g);
        if (cn > 0 && fabs(g) > FIT_COS_TOL * cn * fn) return 0;
    }
    return 1;
}

/* Smallest and largest eigenvalues of a correlation matrix; -1 when GSL fails. */
static int corr_eigen_range(const double *corr, int np, double *lmin, double *lmax) {
    double a[NP_MAX * NP_MAX];
    memcpy(a, corr, sizeof(double) * (size_t)(np * np));
    gsl_matrix_view m = gsl_matrix_view_array(a, (size_t)np, (size_t)np);
    double ev[NP_MAX];
    gsl_vector_view e = gsl_vector_view_array(ev, (size_t)np);
    gsl_eigen_symm_workspace *w = gsl_eigen_symm_alloc((size_t)np);
    *lmin = *lmax = NAN;
    if (!w) return -1;
    int rc = gsl_eigen_symm(&m.matrix, &e.vector, w);
    gsl_eigen_symm_free(w);
    if (rc) return -1;
    *lmin = gsl_vector_min(&e.vector);
    *lmax = gsl_vector_max(&e.vector);
    return 0;
}

void ic_fit_result_free(struct ic_fit_result *r) {
    free(r->t_days);
    free(r->fitted);
    memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Checks that need the model but not the minimisation; IC_OK or IC_ERR_INVALID. */
static int fit_preconditions(const struct ic_obs_set *set, int model, int np, const double *t,
                             double *work, double ref_unix_s, int ref_offset_s, double launch_days,
                             struct ic_error *err) {
    const char *name = ic_fit_model_name(model);
    /* Sets built in memory skip the loader's checks. */
    for (int i = 0; i < set->n; i++) {
        const struct ic_obs *o = &set->obs[i];
        if (!(o->value > 0) || !isfinite(o->value) || !isfinite(o->unix_s) ||
            (set->errors_given && (!(o->rel_error > 0) || !isfinite(o->rel_error))))
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: /observations/%d: value %g, error %g: expected a finite "
                                "value > 0 and, when errors are given, an error > 0",
                                set->path, i, o->value, o->rel_error);
    }
    if (set->n < np)
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: /observations: got %d observation%s, expected at least %d for the "
                            "%s curve (one per parameter)",
                            set->path, set->n, set->n == 1 ? "" : "s", np, name);
    /* Distinct dates, counted on a sorted copy in `work` (n doubles). */
    memcpy(work, t, sizeof *work * (size_t)set->n);
    qsort(work, (size_t)set->n, sizeof *work, cmp_double);
    int distinct = 0;
    for (int i = 0; i < set->n; i++) distinct += i == 0 || work[i] != work[i - 1];
    if (distinct < np)
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: /observations: the observations fall on %d distinct date%s; the "
                            "%s curve has %d parameters and needs at least %d dates",
                            set->path, distinct, distinct == 1 ? "" : "s", name, np, np);
    if (!set->errors_given && set->n == np)
        return ic_error_set(
            err, IC_ERR_INVALID,
            "%s: /observations: %d observations for the %d parameters of the %s curve leave no "
            "degrees of freedom, so the uncertainty cannot be estimated from the scatter; give "
            "each observation an \"error\" (its relative standard deviation, e.g. 0.2) or add "
            "observations",
            set->path, set->n, np, name);
    if (model == IC_GROWTH_BASS) {
        if (!isfinite(launch_days))
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: the bass curve needs the launch time (\"launch\" in the file "
                                "or --launch)",
                                set->path);
        for (int i = 0; i < set->n; i++)
            if (!(t[i] > launch_days)) {
                char when[48], launch[48];
                ic_time_format(set->obs[i].unix_s, set->obs[i].offset_s, when, sizeof when);
                ic_time_format(ref_unix_s + launch_days * 86400.0, ref_offset_s, launch,
                               sizeof launch);
                return ic_error_set(err, IC_ERR_INVALID,
                                    "%s: /observations/%d/date: got %s, expected a time after the "
                                    "launch (%s): the bass curve is zero until then",
                                    set->path, i, when, launch);
            }
    }
    return IC_OK;
}

int ic_fit_growth(const struct ic_obs_set *set, int model, double ref_unix_s, int ref_offset_s,
                  double launch_days, struct ic_fit_result *out, struct ic_error *err) {
    memset(out, 0, sizeof *out);
    int np = ic_growth_nparams(model), n = set->n;
    if (model < IC_GROWTH_EXPONENTIAL || model > IC_GROWTH_BASS || np < 1)
        return ic_error_set(err, IC_ERR_INVALID, "%s: cannot fit a curve of kind %d", set->path,
                            model);
    if (n < 1) return ic_error_set(err, IC_ERR_INVALID, "%s: no observations", set->path);
    double *buf = malloc((size_t)n * 5 * sizeof *buf);
    if (!buf) return ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", set->path);
    double *t = buf, *lny = buf + n, *sigma = buf + 2 * n, *work = buf + 3 * n;
    for (int i = 0; i < n; i++) {
        t[i] = (set->obs[i].unix_s - ref_unix_s) / 86400.0;
        lny[i] = log(set->obs[i].value);
        sigma[i] = set->errors_given ? set->obs[i].rel_error : 1.0;
    }
    int rc = fit_preconditions(set, model, np, t, work, ref_unix_s, ref_offset_s, launch_days, err);
    if (rc) {
        free(buf);
        return rc;
    }

    struct fit_data d = {model, n, np, model == IC_GROWTH_BASS ? launch_days : 0.0, t, lny, sigma};
    double th0[FIT_MAX_STARTS][NP_MAX];
    int nstart = starts(&d, th0, work);

    gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
    params.trs = gsl_multifit_nlinear_trs_lm;
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, (size_t)n, (size_t)np);
    gsl_matrix *J = gsl_matrix_alloc((size_t)n, (size_t)np);
    gsl_matrix *cov = gsl_matrix_alloc((size_t)np, (size_t)np);
    gsl_vector *f = gsl_vector_alloc((size_t)n);
    if (!w || !J || !cov || !f) {
        rc = ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", set->path);
        goto done;
    }
    gsl_multifit_nlinear_fdf fdf = {0};
    fdf.f = resid_f;
    fdf.df = resid_df;
    fdf.n = (size_t)n;
    fdf.p = (size_t)np;
    fdf.params = &d;

    double best_chi2 = INFINITY, best[NP_MAX] = {0}, last_chi2 = INFINITY, last[NP_MAX] = {0};
    int best_iter = 0, last_status = GSL_SUCCESS;
    for (int s = 0; s < nstart; s++) {
        gsl_vector_view x0 = gsl_vector_view_array(th0[s], (size_t)np);
        if (gsl_multifit_nlinear_init(&x0.vector, &fdf, w) != GSL_SUCCESS) continue;
        int info;
        int status =
            gsl_multifit_nlinear_driver(FIT_MAXITER, FIT_XTOL, FIT_GTOL, 0.0, NULL, NULL, &info, w);
        gsl_vector *x = gsl_multifit_nlinear_position(w);
        resid_f(x, &d, f);
        resid_df(x, &d, J);
        double chi2;
        gsl_blas_ddot(f, f, &chi2);
        int ok = isfinite(chi2) && chi2 < FIT_PENALTY;
        if (ok && chi2 < last_chi2) { /* the best of the failed runs, for the message */
            last_chi2 = chi2;
            for (int j = 0; j < np; j++) last[j] = gsl_vector_get(x, (size_t)j);
            last_status = status;
        }
        if (!ok || !stationary(&d, f, J, chi2)) continue;
        if (chi2 < best_chi2) {
            best_chi2 = chi2;
            for (int j = 0; j < np; j++) best[j] = last[j];
            best_iter = (int)gsl_multifit_nlinear_niter(w);
        }
    }
    if (!isfinite(best_chi2)) {
        char at[160] = "";
        size_t used = 0;
        for (int j = 0; j < np && used < sizeof at; j++)
            used += (size_t)snprintf(at + used, sizeof at - used, "%s%s = %.4g", j ? ", " : "",
                                     ic_growth_param_name(model, j), last[j]);
        rc = ic_error_set(err, IC_ERR_RUNTIME,
                          "%s: the %s fit did not converge from any of %d starting points (the "
                          "closest %s at %s); the observations may not determine this curve (a "
                          "logistic or bass curve needs data that bend toward saturation): try "
                          "--curve exponential, or add observations",
                          set->path, ic_fit_model_name(model), nstart,
                          last_status == GSL_SUCCESS ? "stopped short of a minimum"
                          : last_status == GSL_EMAXITER || last_status == GSL_ENOPROG
                              ? "made no more progress"
                              : gsl_strerror(last_status),
                          at);
        goto done;
    }

    /* Covariance at the best point. */
    gsl_vector_view xb = gsl_vector_view_array(best, (size_t)np);
    resid_f(&xb.vector, &d, f);
    resid_df(&xb.vector, &d, J);
    if (gsl_multifit_nlinear_covar(J, 0.0, cov) != GSL_SUCCESS) {
        rc = ic_error_set(err, IC_ERR_RUNTIME, "%s: the covariance of the %s fit failed", set->path,
                          ic_fit_model_name(model));
        goto done;
    }
    int dof = n - np;
    double scale = set->errors_given ? 1.0 : best_chi2 / dof;
    for (int i = 0; i < np; i++) {
        double v = gsl_matrix_get(cov, (size_t)i, (size_t)i) * scale;
        if (!(v > 0) || !isfinite(v)) {
            rc = ic_error_set(err, IC_ERR_RUNTIME,
                              "%s: the %s fit's parameter %s is not determined by the "
                              "observations (variance %g); try a simpler curve or more "
                              "observations",
                              set->path, ic_fit_model_name(model), ic_growth_param_name(model, i),
                              v);
            goto done;
        }
    }

    out->model = model;
    out->np = np;
    out->n = n;
    ic_strlcpy(out->quantity, set->quantity, sizeof out->quantity);
    for (int i = 0; i < np; i++) {
        out->theta[i] = best[i];
        for (int j = 0; j < np; j++)
            out->cov[i * np + j] = gsl_matrix_get(cov, (size_t)i, (size_t)j) * scale;
    }
    /* Symmetrise exactly: the fragment's covariance must be symmetric to the last bit. */
    for (int i = 0; i < np; i++)
        for (int j = 0; j < i; j++) {
            double m = 0.5 * (out->cov[i * np + j] + out->cov[j * np + i]);
            out->cov[i * np + j] = out->cov[j * np + i] = m;
        }
    for (int i = 0; i < np; i++) out->sd[i] = sqrt(out->cov[i * np + i]);
    for (int i = 0; i < np; i++)
        for (int j = 0; j < np; j++)
            out->corr[i * np + j] = i == j ? 1.0 : out->cov[i * np + j] / (out->sd[i] * out->sd[j]);
    /* A near-singular correlation matrix: parameters that only a combination of them is
     * determined (a Bass or logistic curve fitted to data that show no saturation runs toward
     * the exponential limit, with ln p and ln m, or ln K, sliding together). */
    double lmin, lmax;
    if (corr_eigen_range(out->corr, np, &lmin, &lmax) || !(lmin > FIT_RCOND_MIN * lmax)) {
        int bi = 0, bj = 1;
        for (int i = 0; i < np; i++)
            for (int j = 0; j < i; j++)
                if (fabs(out->corr[i * np + j]) > fabs(out->corr[bi * np + bj])) {
                    bi = j;
                    bj = i;
                }
        rc = ic_error_set(err, IC_ERR_RUNTIME,
                          "%s: the %s fit is degenerate: the observations determine only a "
                          "combination of its parameters (%s and %s have correlation %.9f; the "
                          "correlation matrix's eigenvalues range from %.3g to %.3g); try a "
                          "simpler curve (e.g. --curve exponential) or more observations",
                          set->path, ic_fit_model_name(model), ic_growth_param_name(model, bi),
                          ic_growth_param_name(model, bj), out->corr[bi * np + bj], lmin, lmax);
        memset(out, 0, sizeof *out);
        goto done;
    }
    out->chi2 = best_chi2;
    out->dof = dof;
    out->errors_given = set->errors_given;
    out->cov_scale = scale;
    out->iterations = best_iter;
    out->ref_unix_s = ref_unix_s;
    out->ref_offset_s = ref_offset_s;
    out->launch_days = model == IC_GROWTH_BASS ? launch_days : 0.0;
    out->curve.model = model;
    out->curve.launch_days = out->launch_days;
    ic_growth_set_theta(&out->curve, out->theta);
    out->t_days = malloc((size_t)n * sizeof *out->t_days);
    out->fitted = malloc((size_t)n * sizeof *out->fitted);
    if (!out->t_days || !out->fitted) {
        ic_fit_result_free(out);
        rc = ic_error_set(err, IC_ERR_NOMEM, "%s: out of memory", set->path);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        out->t_days[i] = t[i];
        out->fitted[i] = ic_growth_value(&out->curve, t[i]);
    }
    rc = IC_OK;

done:
    gsl_vector_free(f);
    gsl_matrix_free(cov);
    gsl_matrix_free(J);
    if (w) gsl_multifit_nlinear_free(w);
    free(buf);
    return rc;
}

/* ---- the scenario fragment ----------------------------------------------------------------- */

int ic_fit_fragment(const struct ic_fit_result *r, char *buf, size_t size) {
    char ref[48], launch[48];
    ic_time_format(r->ref_unix_s, r->ref_offset_s, ref, sizeof ref);
    size_t used = 0;
#define APPEND(...)                                                                                \
    do {                                                                                           \
        int k_ = snprintf(buf + used, used < size ? size - used : 0, __VA_ARGS__);                 \
        if (k_ < 0) return -1;                                                                     \
        used += (size_t)k_;                                                                        \
    } while (0)
    APPEND("{\"traffic\": {\"growth\": {\"model\": \"%s\", \"quantity\": \"%s\", "
           "\"reference_time\": \"%s\"",
           ic_fit_model_name(r->model), r->quantity, ref);
    if (r->model == IC_GROWTH_BASS) {
        ic_time_format(r->ref_unix_s + r->launch_days * 86400.0, r->ref_offset_s, launch,
                       sizeof launch);
        APPEND(", \"launch_time\": \"%s\"", launch);
    }
    APPEND(", \"fit\": {\"mean\": [");
    for (int i = 0; i < r->np; i++) APPEND("%s%.17g", i ? ", " : "", r->theta[i]);
    APPEND("], \"covariance\": [");
    for (int i = 0; i < r->np * r->np; i++) APPEND("%s%.17g", i ? ", " : "", r->cov[i]);
    APPEND("]}}}}");
#undef APPEND
    return used < size ? (int)used : -1;
}
