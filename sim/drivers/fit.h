/* fit.h: calibration of a growth curve (models/traffic.h) to dated observations of the demand
 * quantity, by weighted nonlinear least squares in log space.
 *
 * Observations y_i at times t_i (days since a reference time) with relative errors sigma_i:
 *   residual_i = (ln g(t_i; theta) - ln y_i) / sigma_i,    chi^2 = sum_i residual_i^2,
 * with theta the curve's unbounded parameters (ic_growth_nparams: exponential [ln v0, r],
 * logistic [ln v0, r, ln K], Bass [ln p, ln q, ln m] with the launch time given).  The
 * minimum is found by GSL's trust-region Levenberg-Marquardt (gsl_multifit_nlinear) from
 * several starting points derived from the data.  Near the minimum the Gauss-Newton
 * approximation gives the covariance of theta: C = (J^T J)^{-1}, J the Jacobian of the
 * residuals; when the observations carry no errors (sigma_i = 1) C is scaled by the residual
 * variance chi^2 / (n - p).  Source: GSL reference manual, "Nonlinear Least-Squares Fitting"
 * (gsl_multifit_nlinear_covar and its discussion of the covariance matrix of best-fit
 * parameters).
 *
 * Called by: sim/cli/cli_fit.c (`infercap fit`); the tests; later, the engine may draw
 * theta ~ N(mean, C) per path from a scenario's "fit" fragment.  The GSL error handler must be
 * off (main does this) so that GSL reports failures by status instead of aborting. */
#ifndef IC_FIT_H
#define IC_FIT_H

#include "sim/core/error.h"
#include "models/traffic.h"

#include <stddef.h>

#define IC_OBS_LABEL_MAX    80
#define IC_OBS_SOURCE_MAX   512
#define IC_OBS_QUANTITY_MAX 32
#define IC_OBS_MAX_BYTES    (16u << 20)
#define IC_FIT_FRAGMENT_MAX 2048

/* One dated observation. */
struct ic_obs {
    double unix_s;    /* time of the observation, seconds since 1970-01-01 UTC */
    int offset_s;     /* UTC offset it was written with, seconds east */
    double value;     /* observed quantity, > 0 */
    double rel_error; /* relative (log-space) standard deviation; 0 when not given */
    char label[IC_OBS_LABEL_MAX];
};

/* An observations file (see ic_obs_load for its format). */
struct ic_obs_set {
    char path[256];                     /* file name (or label), for messages */
    char quantity[IC_OBS_QUANTITY_MAX]; /* "weekly_web_visits" or "daily_active_users" */
    char source[IC_OBS_SOURCE_MAX];     /* free text; empty when not given */
    int has_launch;                     /* "launch" given (Bass curves) */
    double launch_unix_s;               /* the launch time, when has_launch */
    int launch_offset_s;                /* its UTC offset */
    int errors_given;                   /* every observation gives "error" (else none does) */
    int n;                              /* observations */
    struct ic_obs *obs;                 /* n of them, in file order (malloc'd; set_free frees) */
};

void ic_obs_set_init(struct ic_obs_set *set);
void ic_obs_set_free(struct ic_obs_set *set);

/* Read an observations file:
 *   {"quantity": "weekly_web_visits" | "daily_active_users",      (required)
 *    "source": "free text",                                       (optional)
 *    "launch": "2023-11-16T00:00:00+08:00",                       (optional; Bass curves)
 *    "observations": [{"date": ISO-8601 with offset, "value": > 0,
 *                      "error": > 0 (optional), "label": "text" (optional)}, ...]}
 * Syntax errors give file:line:column; field errors give the file, the JSON Pointer, the value
 * received and what was expected, every one found (one line each in err->msg).  "error" must be
 * given for every observation or for none.  On failure the set is left empty. */
int ic_obs_load(const char *path, struct ic_obs_set *set, struct ic_error *err);
/* The same from text in memory; `label` names it in messages. */
int ic_obs_load_string(const char *text, const char *label, struct ic_obs_set *set,
                       struct ic_error *err);

/* The default reference time: the earliest observation's date and its UTC offset. */
void ic_obs_default_reference(const struct ic_obs_set *set, double *unix_s, int *offset_s);

/* Curve names on the command line and in scenarios: "exponential", "logistic", "bass". */
const char *ic_fit_model_name(int model);
int ic_fit_model_from_name(const char *name); /* enum ic_growth_model, or -1 */

/* The result of a fit. */
struct ic_fit_result {
    int model;                          /* enum ic_growth_model */
    int np;                             /* parameters (ic_growth_nparams) */
    int n;                              /* observations */
    char quantity[IC_OBS_QUANTITY_MAX]; /* copied from the observations */
    double theta[IC_GROWTH_MAX_PARAMS]; /* estimate, in the space of ic_growth_set_theta */
    double cov[IC_GROWTH_MAX_PARAMS * IC_GROWTH_MAX_PARAMS];  /* covariance, row-major np x np */
    double corr[IC_GROWTH_MAX_PARAMS * IC_GROWTH_MAX_PARAMS]; /* correlation, row-major */
    double sd[IC_GROWTH_MAX_PARAMS]; /* sqrt of the covariance's diagonal */
    double chi2;                     /* sum of squared (weighted) residuals */
    int dof;                         /* n - np */
    int errors_given;                /* 1: sigma_i from the file, C unscaled */
    double cov_scale;                /* factor applied to (J^T J)^{-1}: 1 or chi2/dof */
    int iterations;                  /* iterations of the winning start */
    double ref_unix_s;               /* t = 0 */
    int ref_offset_s;                /* UTC offset for printing times */
    double launch_days;              /* Bass: launch, days after the reference */
    struct ic_growth curve;          /* the fitted curve (theta applied) */
    double *t_days;                  /* n: observation times, days since the reference */
    double *fitted;                  /* n: the fitted curve at each observation */
};

void ic_fit_result_free(struct ic_fit_result *r);

/* Fit `model` (exponential, logistic or Bass) to the observations, with t = 0 at ref_unix_s
 * (ref_offset_s is kept for printing) and, for Bass, the launch at launch_days (ignored by the
 * other curves).  Returns IC_ERR_INVALID when the observations cannot determine the curve (fewer
 * than its parameters, no degrees of freedom left to estimate the scatter when no errors are
 * given, a Bass observation not after the launch), IC_ERR_RUNTIME when the minimisation does not
 * converge or the parameters are not identifiable.  `out` is owned by the caller
 * (ic_fit_result_free) on success and left empty on failure. */
int ic_fit_growth(const struct ic_obs_set *set, int model, double ref_unix_s, int ref_offset_s,
                  double launch_days, struct ic_fit_result *out, struct ic_error *err);

/* Derivatives of ln g(t) with respect to theta (np of them) for the curve g; returns 0, or -1
 * where ln g is not finite (Bass before its launch, a logistic curve past its pole). */
int ic_fit_dlog_value(const struct ic_growth *g, double t_days, double *grad);

/* The scenario fragment, one line of JSON, numbers with 17 significant digits:
 *   {"traffic": {"growth": {"model": M, "quantity": Q, "reference_time": T,
 *    ["launch_time": T,] "fit": {"mean": [theta], "covariance": [row-major np*np]}}}}
 * Returns the length written, or -1 when buf is too small. */
int ic_fit_fragment(const struct ic_fit_result *r, char *buf, size_t size);

/* What a time must look like, for messages ("an ISO-8601 time with a UTC offset, e.g. ...").
 * The curves' names are the growth models' (ic_growth_model_name, models/traffic.h). */
extern const char *const ic_fit_time_expected;

#endif
