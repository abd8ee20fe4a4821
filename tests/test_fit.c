/* test_fit.c: growth-curve calibration: the Jacobian against finite differences, exact
 * recovery of known parameters, coverage of the 95% intervals over synthetic data sets with
 * known lognormal noise, the observations loader's messages, and the Kimi observations of the
 * seed document. */
#include "check.h"
#include "sim/drivers/fit.h"
#include "sim/core/rng.h"
#include "sim/core/timeutil.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_errno.h>

/* 2023-12-15T00:00:00+08:00, the date of the first Kimi observation. */
static double ref_unix;

/* An observation set built in memory: values v at t days after ref_unix, all with relative
 * error `err` (0: none given). */
static void make_set(struct ic_obs_set *s, int n, const double *t, const double *v, double err) {
    ic_obs_set_init(s);
    snprintf(s->path, sizeof s->path, "synthetic");
    snprintf(s->quantity, sizeof s->quantity, "daily_active_users");
    s->obs = calloc((size_t)n, sizeof *s->obs);
    s->n = n;
    s->errors_given = err > 0;
    for (int i = 0; i < n; i++) {
        s->obs[i].unix_s = ref_unix + t[i] * 86400.0;
        s->obs[i].offset_s = 28800;
        s->obs[i].value = v[i];
        s->obs[i].rel_error = err;
    }
}

/* The three test curves, with high-entropy parameters, and the times they are observed at. */
struct design {
    int model;
    double theta[3];
    double launch_days;
    int n;
    double t[32];
    double sigma; /* noise of the coverage study */
};

static void design_curve(const struct design *d, struct ic_growth *g) {
    memset(g, 0, sizeof *g);
    g->model = d->model;
    g->launch_days = d->launch_days;
    ic_growth_set_theta(g, d->theta);
}

static struct design designs[3];

static void init_designs(void) {
    /* Exponential: v0 = 2.385e5, r = 0.0317 per day, 15 dates over 10 weeks. */
    struct design *e = &designs[0];
    e->model = IC_GROWTH_EXPONENTIAL;
    e->theta[0] = log(2.385e5);
    e->theta[1] = 0.0317;
    e->n = 15;
    for (int i = 0; i < e->n; i++) e->t[i] = 4.7 * i + 0.3 * (i % 3);
    e->sigma = 0.15;
    /* Logistic: v0 = 1.237e5, r = 0.0873, K = 2.385e6 (inflection near day 33), 25 dates. */
    struct design *l = &designs[1];
    l->model = IC_GROWTH_LOGISTIC;
    l->theta[0] = log(1.237e5);
    l->theta[1] = 0.0873;
    l->theta[2] = log(2.385e6);
    l->n = 25;
    for (int i = 0; i < l->n; i++) l->t[i] = 3.3 * i + 0.7 * (i % 2);
    l->sigma = 0.08;
    /* Bass: p = 0.00317, q = 0.0713 per day, m = 3.71e6, launched 3.3 days before the
     * reference (peak adoption near day 38), 25 dates. */
    struct design *b = &designs[2];
    b->model = IC_GROWTH_BASS;
    b->theta[0] = log(0.00317);
    b->theta[1] = log(0.0713);
    b->theta[2] = log(3.71e6);
    b->launch_days = -3.3;
    b->n = 25;
    for (int i = 0; i < b->n; i++) b->t[i] = 3.7 * i + 0.4 * (i % 3);
    b->sigma = 0.08;
}

static int fit_design(const struct design *d, const double *v, double err,
                      struct ic_fit_result *r) {
    struct ic_obs_set s;
    make_set(&s, d->n, d->t, v, err);
    struct ic_error e = {0};
    int rc = ic_fit_growth(&s, d->model, ref_unix, 28800, d->launch_days, r, &e);
    if (rc) fprintf(stderr, "fit failed: %s\n", e.msg);
    ic_obs_set_free(&s);
    return rc;
}

static void test_jacobian(void) {
    for (int m = 0; m < 3; m++) {
        const struct design *d = &designs[m];
        int np = ic_growth_nparams(d->model);
        for (int k = 0; k < d->n; k += 4) {
            struct ic_growth g;
            design_curve(d, &g);
            double grad[3], t = d->t[k] + 0.37;
            CHECK(ic_fit_dlog_value(&g, t, grad) == 0);
            for (int j = 0; j < np; j++) {
                double th[3], h = 1e-5;
                memcpy(th, d->theta, sizeof th);
                th[j] += h;
                ic_growth_set_theta(&g, th);
                double up = log(ic_growth_value(&g, t));
                th[j] -= 2 * h;
                ic_growth_set_theta(&g, th);
                double dn = log(ic_growth_value(&g, t));
                double fd = (up - dn) / (2 * h);
                CHECK(fabs(fd - grad[j]) <= 1e-6 * fmax(1.0, fabs(grad[j])));
            }
        }
    }
    /* Outside the domain: Bass before its launch. */
    struct ic_growth g;
    design_curve(&designs[2], &g);
    double grad[3];
    CHECK(ic_fit_dlog_value(&g, -5.0, grad) == -1);
}

/* (a) Data generated exactly from the curve are recovered to 1e-6 relative, with errors given
 * and without (then the scatter is zero and so is the covariance's scale). */
static void test_exact_recovery(void) {
    for (int m = 0; m < 3; m++) {
        const struct design *d = &designs[m];
        struct ic_growth g;
        design_curve(d, &g);
        double v[32];
        for (int i = 0; i < d->n; i++) v[i] = ic_growth_value(&g, d->t[i]);
        for (int with_err = 0; with_err < 2; with_err++) {
            struct ic_fit_result r;
            int rc = fit_design(d, v, with_err ? 0.1 : 0.0, &r);
            CHECK(rc == IC_OK);
            if (rc) continue;
            CHECK(r.np == ic_growth_nparams(d->model) && r.dof == d->n - r.np);
            for (int j = 0; j < r.np; j++) CHECK_NEAR(r.theta[j], d->theta[j], 1e-6);
            CHECK(r.chi2 < 1e-16);
            for (int i = 0; i < d->n; i++) CHECK_NEAR(r.fitted[i], v[i], 1e-8);
            CHECK(r.errors_given == with_err);
            for (int j = 0; j < r.np; j++) CHECK(r.sd[j] > 0 && isfinite(r.sd[j]));
            ic_fit_result_free(&r);
        }
    }
}

/* (b) Coverage: fits to data with multiplicative lognormal noise of known sigma; the 95%
 * intervals theta +- 1.96 sd must cover the truth in 90-99% of 300 data sets, and the mean
 * estimate must lie within a quarter of a standard deviation of the truth.  `scaled`: the fit is
 * not told the errors and estimates them from the scatter (then the normal interval is slightly too
 * narrow for few degrees of freedom, so the design has enough observations). */
static void coverage(const struct design *d, int scaled, uint32_t substream) {
    enum { SETS = 300 };
    int np = ic_growth_nparams(d->model);
    int covered[3] = {0, 0, 0}, failed = 0;
    double sum[3] = {0, 0, 0}, sum2[3] = {0, 0, 0};
    struct ic_growth g;
    design_curve(d, &g);
    for (int k = 0; k < SETS; k++) {
        struct ic_rng rng;
        ic_rng_init(&rng, 20240321, (uint64_t)k, IC_STREAM_NOISE, substream);
        double v[32];
        for (int i = 0; i < d->n; i++)
            v[i] = ic_growth_value(&g, d->t[i]) * exp(d->sigma * ic_rng_normal(&rng));
        struct ic_fit_result r;
        if (fit_design(d, v, scaled ? 0.0 : d->sigma, &r) != IC_OK) {
            failed++;
            continue;
        }
        for (int j = 0; j < np; j++) {
            covered[j] += fabs(r.theta[j] - d->theta[j]) <= 1.96 * r.sd[j];
            sum[j] += r.theta[j];
            sum2[j] += r.theta[j] * r.theta[j];
        }
        ic_fit_result_free(&r);
    }
    CHECK(failed == 0);
    int ok = SETS - failed;
    for (int j = 0; j < np; j++) {
        double frac = (double)covered[j] / ok, mean = sum[j] / ok;
        double sd = sqrt(fmax(0.0, sum2[j] / ok - mean * mean)), se = sd / sqrt((double)ok);
        printf("  %-11s %s %-14s coverage %.3f  mean %.6g truth %.6g (%.2f se)\n",
               ic_fit_model_name(d->model), scaled ? "scaled  " : "unscaled",
               ic_growth_param_name(d->model, j), frac, mean, d->theta[j],
               (mean - d->theta[j]) / se);
        CHECK(frac >= 0.90 && frac <= 0.99);
        /* Nonlinear least squares is biased at order sigma^2; the bias must be small beside
         * the uncertainty the fit reports (a quarter of one standard deviation). */
        CHECK(fabs(mean - d->theta[j]) <= 0.25 * sd);
    }
}

static void test_coverage(void) {
    for (int m = 0; m < 3; m++) coverage(&designs[m], 0, (uint32_t)(m + 1));
    /* The scatter-scaled covariance, on the exponential design with 20 observations. */
    struct design e = designs[0];
    e.n = 20;
    for (int i = 0; i < e.n; i++) e.t[i] = 3.6 * i + 0.2 * (i % 4);
    coverage(&e, 1, 7);
}

/* ---- the loader ---------------------------------------------------------------------------- */

static int load(const char *text, struct ic_obs_set *s, struct ic_error *e) {
    memset(e, 0, sizeof *e);
    return ic_obs_load_string(text, "o.json", s, e);
}

static void test_loader(void) {
    struct ic_obs_set s;
    struct ic_error e;
    /* A good file, every field. */
    const char *good =
        "{\"quantity\": \"weekly_web_visits\", \"source\": \"a note\",\n"
        " \"launch\": \"2023-10-09T00:00:00+08:00\",\n"
        " \"observations\": [\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\", \"value\": 1.237e5, \"error\": 0.2, "
        "\"label\": \"first\"},\n"
        "  {\"date\": \"2023-12-01T12:00:00Z\", \"value\": 9.1e4, \"error\": 0.3}]}\n";
    CHECK(load(good, &s, &e) == IC_OK);
    CHECK(s.n == 2 && s.errors_given && s.has_launch);
    CHECK(strcmp(s.quantity, "weekly_web_visits") == 0 && strcmp(s.source, "a note") == 0);
    CHECK(s.obs[0].value == 1.237e5 && s.obs[1].rel_error == 0.3);
    CHECK(s.obs[0].unix_s == ref_unix && s.obs[0].offset_s == 28800);
    CHECK(strcmp(s.obs[0].label, "first") == 0 && s.obs[1].label[0] == '\0');
    double ru;
    int ro;
    ic_obs_default_reference(&s, &ru, &ro); /* the earliest date, not the first in the file */
    CHECK(ru == s.obs[1].unix_s && ro == 0);
    ic_obs_set_free(&s);
    CHECK(s.obs == NULL && s.n == 0);

    /* Syntax: file:line:column. */
    CHECK(load("{\"quantity\": \"weekly_web_visits\",\n \"observations\": [1,]}", &s, &e) ==
          IC_ERR_PARSE);
    CHECK_STR_CONTAINS(e.msg, "o.json:2:21: JSON syntax error");
    CHECK(s.obs == NULL);

    /* Not an object. */
    CHECK(load("[1, 2]", &s, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: an observations file must be a JSON object");

    /* Every field error at once, each with the pointer, the value received and what was
     * expected. */
    const char *bad =
        "{\"quantity\": \"weekly_web_vists\", \"sorce\": \"x\",\n"
        " \"observations\": [\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\"},\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\", \"value\": -5},\n"
        "  {\"date\": \"2024-02-30T00:00:00+08:00\", \"value\": 4e5},\n"
        "  {\"date\": \"2024-03-15\", \"value\": 1.6e6},\n"
        "  {\"date\": \"2024-03-16T00:00:00+08:00\", \"vaule\": 1.7e6, \"value\": 1.7e6},\n"
        "  {\"date\": \"2024-03-17T00:00:00+08:00\", \"value\": 1.8e6, \"error\": 0},\n"
        "  {\"date\": 20240318, \"value\": \"many\", \"label\": 7}]}\n";
    CHECK(load(bad, &s, &e) == IC_ERR_INVALID);
    CHECK(s.obs == NULL && s.n == 0);
    CHECK_STR_CONTAINS(e.msg, "o.json: /quantity: got \"weekly_web_vists\", expected "
                              "\"weekly_web_visits\" or \"daily_active_users\"; did you mean "
                              "\"weekly_web_visits\"?");
    CHECK_STR_CONTAINS(e.msg, "o.json: /sorce: unknown key \"sorce\"; did you mean \"source\"?");
    CHECK_STR_CONTAINS(e.msg,
                       "o.json: /observations/0/value: missing required number (the observed "
                       "value, > 0)");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/1/value: got -5, expected a number > 0");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/2/date: got \"2024-02-30T00:00:00+08:00\", "
                              "expected an ISO-8601 time with a UTC offset");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/3/date: got \"2024-03-15\", expected an "
                              "ISO-8601 time with a UTC offset");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/4/vaule: unknown key \"vaule\"; did you mean "
                              "\"value\"?");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/5/error: got 0, expected a number > 0 (the "
                              "relative standard deviation");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/6/date: got 20240318, expected an ISO-8601");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/6/value: got \"many\", expected a number > 0");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/6/label: got 7, expected a string");
    /* Mixed presence of "error" (observation 5 gives one, the others do not). */
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations: \"error\" is given for 1 of the 7 "
                              "observations (e.g. /observations/5/error) but missing at "
                              "/observations/0/error; give it for every observation or for none");

    /* Missing required members, duplicates, an empty list. */
    CHECK(load("{\"source\": \"x\", \"source\": \"y\"}", &s, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: /quantity: missing required string");
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations: missing required array");
    CHECK_STR_CONTAINS(e.msg, "o.json: /source: duplicate key \"source\"");
    CHECK(load("{\"quantity\": \"daily_active_users\", \"observations\": []}", &s, &e) ==
          IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations: got an array of 0 elements, expected an "
                              "array of at least one observation");

    /* The file reader: a missing file is an I/O error naming the path. */
    memset(&e, 0, sizeof e);
    CHECK(ic_obs_load("/nonexistent/obs.json", &s, &e) == IC_ERR_IO);
    CHECK_STR_CONTAINS(e.msg, "/nonexistent/obs.json: cannot open");
}

/* Refusals that depend on the curve. */
static void test_fit_refusals(void) {
    struct ic_obs_set s;
    struct ic_error e = {0};
    struct ic_fit_result r;
    const char *two =
        "{\"quantity\": \"weekly_web_visits\", \"observations\": [\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\", \"value\": 1e5, \"error\": 0.2},\n"
        "  {\"date\": \"2024-01-25T00:00:00+08:00\", \"value\": 4e5, \"error\": 0.2}]}";
    CHECK(load(two, &s, &e) == IC_OK);
    /* Too few observations for the curve. */
    CHECK(ic_fit_growth(&s, IC_GROWTH_LOGISTIC, ref_unix, 28800, 0, &r, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations: got 2 observations, expected at least 3 "
                              "for the logistic curve (one per parameter)");
    CHECK(r.fitted == NULL);
    /* Enough for the exponential: errors given, so no degrees of freedom are needed. */
    CHECK(ic_fit_growth(&s, IC_GROWTH_EXPONENTIAL, ref_unix, 28800, 0, &r, &e) == IC_OK);
    CHECK(r.dof == 0 && r.chi2 < 1e-20);
    CHECK_NEAR(r.theta[1], log(4.0) / 41.0, 1e-9);
    CHECK_NEAR(r.sd[1], sqrt(2.0) * 0.2 / 41.0, 1e-9);
    ic_fit_result_free(&r);
    /* Without errors and without degrees of freedom the uncertainty cannot be estimated. */
    s.errors_given = 0;
    CHECK(ic_fit_growth(&s, IC_GROWTH_EXPONENTIAL, ref_unix, 28800, 0, &r, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "leave no degrees of freedom, so the uncertainty cannot be "
                              "estimated from the scatter; give each observation an \"error\"");
    /* Sets built in memory are checked too. */
    s.errors_given = 1;
    s.obs[1].value = 0;
    CHECK(ic_fit_growth(&s, IC_GROWTH_EXPONENTIAL, ref_unix, 28800, 0, &r, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/1: value 0, error 0.2: expected a finite "
                              "value > 0");
    ic_obs_set_free(&s);
    /* Bass: an observation at or before the launch. */
    const char *three =
        "{\"quantity\": \"weekly_web_visits\", \"observations\": [\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\", \"value\": 1e5, \"error\": 0.2},\n"
        "  {\"date\": \"2024-01-25T00:00:00+08:00\", \"value\": 4e5, \"error\": 0.2},\n"
        "  {\"date\": \"2024-03-15T00:00:00+08:00\", \"value\": 1.6e6, \"error\": 0.2}]}";
    CHECK(load(three, &s, &e) == IC_OK);
    CHECK(ic_fit_growth(&s, IC_GROWTH_BASS, ref_unix, 28800, 0.0, &r, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "o.json: /observations/0/date: got 2023-12-15T00:00:00+08:00, "
                              "expected a time after the launch (2023-12-15T00:00:00+08:00)");
    /* Observations on too few distinct dates. */
    s.obs[2].unix_s = s.obs[1].unix_s;
    CHECK(ic_fit_growth(&s, IC_GROWTH_LOGISTIC, ref_unix, 28800, 0, &r, &e) == IC_ERR_INVALID);
    CHECK_STR_CONTAINS(e.msg, "fall on 2 distinct dates; the logistic curve has 3 parameters");
    ic_obs_set_free(&s);
}

/* (d) The Kimi observations of seed 000 (SimilarWeb, quoted by Huajin Securities): weekly web
 * visits about 100k (2023-12-15), 400k (2024-01-25), 1.6M (2024-03-15), 20% each. */
static void check_kimi(const struct ic_obs_set *s) {
    struct ic_fit_result r;
    struct ic_error e = {0};
    double ru;
    int ro;
    ic_obs_default_reference(s, &ru, &ro);
    CHECK(ru == ref_unix && ro == 28800);
    CHECK(ic_fit_growth(s, IC_GROWTH_EXPONENTIAL, ru, ro, 0, &r, &e) == IC_OK);
    CHECK(r.theta[1] > 0.028 && r.theta[1] < 0.033);
    CHECK(r.sd[1] > 0.002 && r.sd[1] < 0.005);
    for (int i = 0; i < s->n; i++) CHECK(fabs(r.fitted[i] / s->obs[i].value - 1.0) < 0.15);
    CHECK(r.dof == 1 && r.errors_given);

    /* The fragment: its shape, and numbers that read back bit for bit. */
    char frag[IC_FIT_FRAGMENT_MAX];
    CHECK(ic_fit_fragment(&r, frag, sizeof frag) > 0);
    CHECK_STR_CONTAINS(frag, "{\"traffic\": {\"growth\": {\"model\": \"exponential\", "
                             "\"quantity\": \"weekly_web_visits\", \"reference_time\": "
                             "\"2023-12-15T00:00:00+08:00\", \"fit\": {\"mean\": [");
    cJSON *j = cJSON_Parse(frag);
    CHECK(j != NULL);
    const cJSON *fit = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "traffic"), "growth"), "fit");
    const cJSON *mean = cJSON_GetObjectItem(fit, "mean"),
                *cov = cJSON_GetObjectItem(fit, "covariance");
    CHECK(cJSON_GetArraySize(mean) == 2 && cJSON_GetArraySize(cov) == 4);
    for (int i = 0; i < 2; i++) CHECK(cJSON_GetArrayItem(mean, i)->valuedouble == r.theta[i]);
    for (int i = 0; i < 4; i++) CHECK(cJSON_GetArrayItem(cov, i)->valuedouble == r.cov[i]);
    CHECK(r.cov[1] == r.cov[2]);
    cJSON_Delete(j);
    CHECK(ic_fit_fragment(&r, frag, 40) == -1);
    ic_fit_result_free(&r);
}

static void test_kimi(void) {
    struct ic_obs_set s;
    struct ic_error e = {0};
    const char *kimi =
        "{\"quantity\": \"weekly_web_visits\", \"observations\": [\n"
        "  {\"date\": \"2023-12-15T00:00:00+08:00\", \"value\": 100000, \"error\": 0.2},\n"
        "  {\"date\": \"2024-01-25T00:00:00+08:00\", \"value\": 400000, \"error\": 0.2},\n"
        "  {\"date\": \"2024-03-15T00:00:00+08:00\", \"value\": 1600000, \"error\": 0.2}]}";
    CHECK(load(kimi, &s, &e) == IC_OK);
    check_kimi(&s);
    ic_obs_set_free(&s);
    /* The same from the file the CLI test uses. */
    const char *src = getenv("IC_SOURCE_DIR");
    if (src) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/fit/kimi-visits.json", src);
        CHECK(ic_obs_load(path, &s, &e) == IC_OK);
        if (s.n) {
            CHECK(s.n == 3);
            CHECK_STR_CONTAINS(s.source, "Huajin Securities");
            check_kimi(&s);
        }
        ic_obs_set_free(&s);
    }
}

/* The Bass fragment names the launch. */
static void test_bass_fragment(void) {
    const struct design *d = &designs[2];
    struct ic_growth g;
    design_curve(d, &g);
    double v[32];
    for (int i = 0; i < d->n; i++) v[i] = ic_growth_value(&g, d->t[i]);
    struct ic_fit_result r;
    CHECK(fit_design(d, v, 0.1, &r) == IC_OK);
    char frag[IC_FIT_FRAGMENT_MAX];
    CHECK(ic_fit_fragment(&r, frag, sizeof frag) > 0);
    /* -3.3 days = 2023-12-11T16:48:00+08:00 */
    CHECK_STR_CONTAINS(frag, "\"model\": \"bass\", \"quantity\": \"daily_active_users\", "
                             "\"reference_time\": \"2023-12-15T00:00:00+08:00\", "
                             "\"launch_time\": \"2023-12-11T16:48:00+08:00\", \"fit\"");
    ic_fit_result_free(&r);
    CHECK(ic_fit_model_from_name("bass") == IC_GROWTH_BASS);
    CHECK(ic_fit_model_from_name("Bass") == -1);
    CHECK(strcmp(ic_fit_model_name(IC_GROWTH_LOGISTIC), "logistic") == 0);
}

int main(void) {
    gsl_set_error_handler_off();
    int off;
    if (ic_time_parse("2023-12-15T00:00:00+08:00", &ref_unix, &off) != 0) return 1;
    init_designs();
    test_jacobian();
    test_exact_recovery();
    test_coverage();
    test_loader();
    test_fit_refusals();
    test_kimi();
    test_bass_fragment();
    return check_report("test_fit");
}
