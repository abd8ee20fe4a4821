/* test_engine.c: the Monte Carlo driver: determinism across thread counts, the expected
 * arrivals of the demand chain, failures in steady state, conservation of requests, and
 * outage detection at the extremes of capacity. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "sim/config/replica.h"
#include "sim/engine/engine.h"
#include "models/queue.h"
#include "sim/core/stats.h"

static struct ic_catalog cat;

struct run {
    struct ic_scenario sc;
    struct ic_plan plan;
    struct ic_results res;
};

static long window = 0; /* engine window (output intervals); 0: automatic */

static int run(const char *text, const char *const *sets, int nsets, int threads, struct run *r) {
    struct ic_error err = {0};
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = sets, .n_sets = nsets};
    int rc = ic_scenario_load_string(text, "e.json", &o, &cat, &r->sc, &d, &err);
    for (size_t i = 0; i < d.count; i++) fprintf(stderr, "%s\n", d.msgs[i]);
    ic_diag_free(&d);
    if (rc) return rc;
    /* These tests check the fluid step's equations on the performance model's closed form
     * (test_service_curve checks the measured curve). */
    r->sc.service_curve.mode = IC_CURVE_CLOSED_FORM;
    struct ic_run_opts ro = {.threads = threads, .window_outputs = window};
    rc = ic_plan_compile(&r->sc, &r->plan, &err);
    if (!rc) rc = ic_results_alloc(&r->plan, &r->res, &err);
    if (!rc) rc = ic_engine_run(&r->plan, &ro, &r->res, &err);
    if (!rc) rc = ic_results_reduce(&r->plan, &r->res, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    return rc;
}

static void done(struct run *r) {
    ic_results_free(&r->res);
    ic_plan_free(&r->plan);
}

static double mean_of(const struct ic_results *r, int m) {
    double s = 0;
    for (long p = 0; p < r->paths; p++) s += ic_summary_col(r, m)[p];
    return s / (double)r->paths;
}

static const char *busy =
    "{\"name\": \"e\", \"seed\": 2385, \"paths\": 37, \"start\": \"2024-03-18T06:00:00+08:00\",\n"
    " \"horizon_days\": 2, \"output\": {\"interval_s\": 1200, \"store_paths\": 5},\n"
    " \"traffic\": {\"growth\": {\"model\": \"logistic\", \"initial\": {\"dist\": "
    "\"lognormal\", \"median\": 300000, \"sigma\": 0.3},\n"
    "   \"rate_per_day\": {\"dist\": \"uniform\", \"min\": 0.1, \"max\": 0.5}, \"capacity\": "
    "2000000},\n"
    "   \"events\": [{\"start\": \"2024-03-18T20:00:00+08:00\", \"peak_multiplier\": {\"dist\": "
    "\"triangular\", \"min\": 1, \"mode\": 2, \"max\": 4}}]},\n"
    " \"workload\": {\"classes\": [{\"name\": \"a\", \"share\": 3}, {\"name\": \"b\", \"share\": "
    "{\"dist\": \"choice\", \"values\": [0.5, 1, 2]}, \"input_tokens\": {\"median\": 8000}}]},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"fleet\": {\"accelerators\": {\"dist\": \"uniform\", \"min\": 20, \"max\": 60}, "
    "\"failure_rate_per_hour\": 0.002}}\n";

static void test_determinism(void) {
    /* Threads 1, 2, 3 and engine windows of 1, 7 and all output intervals: the same numbers. */
    struct run *a = calloc(5, sizeof *a);
    const int threads[5] = {1, 2, 3, 2, 3};
    const long windows[5] = {0, 0, 0, 1, 7};
    for (int t = 0; t < 5; t++) {
        window = windows[t];
        CHECK(run(busy, NULL, 0, threads[t], &a[t]) == 0);
    }
    window = 0;
    size_t no = (size_t)a[0].res.nout;
    size_t ns = (size_t)IC_SERIES_COUNT * 5 * no * sizeof(float);
    size_t nm = (size_t)IC_SUMMARY_COUNT * 37 * sizeof(double);
    size_t ni = (size_t)a[0].res.n_inputs * 37 * sizeof(double);
    size_t nb = (size_t)IC_SERIES_COUNT * 5 * no * sizeof(float);
    size_t nc = (size_t)a[0].res.n_classes * 5 * no * sizeof(float);
    for (int t = 1; t < 5; t++) {
        CHECK(memcmp(a[0].res.series, a[t].res.series, ns) == 0);
        CHECK(memcmp(a[0].res.class_arrivals, a[t].res.class_arrivals, nc) == 0);
        CHECK(memcmp(a[0].res.summary, a[t].res.summary, nm) == 0);
        CHECK(memcmp(a[0].res.inputs, a[t].res.inputs, ni) == 0);
        CHECK(memcmp(a[0].res.bands, a[t].res.bands, nb) == 0);
        CHECK(memcmp(a[0].res.class_bands, a[t].res.class_bands, nc) == 0);
        CHECK(memcmp(&a[0].res.head, &a[t].res.head, sizeof a[0].res.head) == 0);
    }
    /* Some paths have outages and some do not: the test exercises both branches. */
    CHECK(a[0].res.head.outages > 0 && a[0].res.head.outages < 37);
    /* Conservation: arrivals are served, rejected, abandoned, or still waiting (at most the
     * admission limit). */
    const struct ic_results *r = &a[0].res;
    int conserved = 1;
    for (long p = 0; p < r->paths; p++) {
        double left = ic_summary_col(r, IC_M_ARRIVED)[p] - ic_summary_col(r, IC_M_SERVED)[p] -
                      ic_summary_col(r, IC_M_REJECTED)[p] - ic_summary_col(r, IC_M_ABANDONED)[p];
        double limit = 30.0 * 60 * ic_summary_col(r, IC_M_REPLICA_RPS)[p] + 1e-6;
        conserved &= left >= -1e-6 * ic_summary_col(r, IC_M_ARRIVED)[p] && left <= limit;
    }
    CHECK(conserved);
    /* Common random numbers: the same path draws the same inputs when only the fleet changes. */
    struct run b;
    const char *more[] = {"/fleet/accelerators={\"dist\":\"uniform\",\"min\":200,\"max\":240}"};
    CHECK(run(busy, more, 1, 2, &b) == 0);
    int same = 1;
    for (int i = 0; i < r->n_inputs; i++) {
        if (a[0].plan.inputs[i].dist == &a[0].sc.fleet.accelerators) continue;
        same &= memcmp(r->inputs + (size_t)i * 37, b.res.inputs + (size_t)i * 37,
                       37 * sizeof(double)) == 0;
    }
    CHECK(same);
    CHECK(b.res.head.outages < a[0].res.head.outages);
    done(&b);
    for (int t = 0; t < 5; t++) done(&a[t]);
    free(a);
}

/* Flat demand, no noise, no events: expected arrivals are U0 x requests/user/day x days. */
static void test_arrivals(void) {
    const char *flat =
        "{\"name\": \"f\", \"paths\": 64, \"start\": \"2024-01-01T00:00:00Z\", \"horizon_days\": "
        "3, \"traffic\": {\"growth\": {\"initial\": 123456}, \"requests_per_user_per_day\": "
        "2.5, \"diurnal\": {\"profile\": \"cn-consumer\"}, \"noise\": {\"sigma\": 0}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 1000, \"failure_rate_per_hour\": 0}}";
    struct run r;
    CHECK(run(flat, NULL, 0, 2, &r) == 0);
    double expect = 123456 * 2.5 * 3;
    double m = mean_of(&r.res, IC_M_ARRIVED);
    CHECK(fabs(m - expect) < 5 * sqrt(expect / 64));
    CHECK(r.res.head.outages == 0 && mean_of(&r.res, IC_M_LOST) == 0);
    /* With exponential growth the count rises by (e^{rT} - 1) / (r T). */
    const char *g[] = {"/traffic/growth/rate_per_day=0.2", "/traffic/diurnal/profile=flat"};
    done(&r);
    CHECK(run(flat, g, 2, 2, &r) == 0);
    double eg = 123456 * 2.5 * (exp(0.2 * 3) - 1) / 0.2;
    /* Growth is stepped per minute at the start of each step: relative bias below 1e-3. */
    CHECK(fabs(mean_of(&r.res, IC_M_ARRIVED) - eg) < 5 * sqrt(eg / 64) + 1e-3 * eg);
    done(&r);

    /* Failures in steady state: failed share ~ rate x repair / (1 + rate x repair). */
    const char *fl[] = {"/fleet/failure_rate_per_hour=0.01", "/fleet/repair_hours=2",
                        "/horizon_days=20", "/paths=8"};
    CHECK(run(flat, fl, 4, 2, &r) == 0);
    double healthy = 0;
    long cnt = 0;
    for (long p = 0; p < r.res.paths; p++)
        for (long j = r.res.nout / 4; j < r.res.nout; j++) {
            healthy += ic_series_row(&r.res, IC_S_HEALTHY, p)[j];
            cnt++;
        }
    healthy /= (double)cnt;
    CHECK_NEAR(1000 - healthy, 1000 * 0.02 / 1.02, 0.08);
    done(&r);

    /* No capacity at all (every replica down from the start; a fleet of 0 is refused, see
     * test_no_replica): every path is in outage from the first steps. */
    const char *none[] = {"/fleet/outages=[{\"start\": \"2024-01-01T00:00:00Z\", "
                          "\"duration_s\": 1e8, \"fraction\": 1}]"};
    CHECK(run(flat, none, 1, 1, &r) == 0);
    CHECK(r.res.head.outages == r.res.paths && r.res.head.p_hi == 1.0);
    CHECK(r.res.head.first_outage_q[1] == 0);
    CHECK(mean_of(&r.res, IC_M_SERVED) == 0);
    done(&r);
}

/* Mean over paths and over output times [j0, j1) of a stored series. */
static double series_mean(const struct ic_results *r, int s, long j0, long j1) {
    double acc = 0;
    for (long p = 0; p < r->store_paths; p++)
        for (long j = j0; j < j1; j++) acc += ic_series_row(r, s, p)[j];
    return acc / (double)(r->store_paths * (j1 - j0));
}

/* Weekly web visits through the funnel; the visits series shows the curve itself. */
static void test_funnel(void) {
    const char *v =
        "{\"name\": \"v\", \"paths\": 48, \"start\": \"2024-01-01T00:00:00+08:00\", "
        "\"horizon_days\": 3, \"traffic\": {\"growth\": {\"quantity\": \"weekly_web_visits\", "
        "\"initial\": 300000}, \"funnel\": {\"channel_multiplier\": 2.5, \"requests_per_visit\": "
        "4}, \"noise\": {\"sigma\": 0}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 64}}";
    struct run r;
    CHECK(run(v, NULL, 0, 2, &r) == 0);
    double expect = 300000 * 2.5 * 4 / 604800.0 * 3 * 86400;
    CHECK(fabs(mean_of(&r.res, IC_M_NEW) - expect) < 5 * sqrt(expect / 48));
    CHECK_NEAR(series_mean(&r.res, IC_S_VISITS_WEEK, 0, r.res.nout), 300000, 1e-6);
    /* Daily visits across channels: 300,000 x 2.5 / 7. */
    CHECK_NEAR(series_mean(&r.res, IC_S_ACTIVE_USERS, 0, r.res.nout), 300000 * 2.5 / 7, 1e-6);
    /* The classes' arrivals add up to the new arrivals. */
    double by_class = 0, total = 0;
    for (long j = 0; j < r.res.nout; j++) {
        by_class += ic_class_row(&r.res, 0, 3)[j];
        total += ic_series_row(&r.res, IC_S_ARRIVALS, 3)[j];
    }
    CHECK_NEAR(by_class, total, 1e-5);
    done(&r);

    /* Piecewise log-linear growth: the visits series passes through the points. */
    const char *pw[] = {"/traffic/growth/model=piecewise",
                        "/traffic/growth/points=[{\"time\": \"2024-01-01T00:00:00+08:00\", "
                        "\"value\": 100000}, {\"time\": \"2024-01-03T00:00:00+08:00\", \"value\": "
                        "400000}]",
                        "/output/interval_s=60", "/paths=2"};
    CHECK(run(v, pw, 4, 1, &r) == 0);
    /* Output time 1440 (one day in) holds the mean over [24 h, 24 h + 1 min). */
    CHECK_NEAR(ic_series_row(&r.res, IC_S_VISITS_WEEK, 0)[1440], 200000, 1e-6);
    CHECK_NEAR(ic_series_row(&r.res, IC_S_VISITS_WEEK, 1)[2880], 400000, 1e-6);
    done(&r);

    /* Bass diffusion: nothing before the launch. */
    const char *bs[] = {"/traffic/growth/model=bass",
                        "/traffic/growth/launch_time=2024-01-02T00:00:00+08:00",
                        "/traffic/growth/market_size=5e6", "/paths=2"};
    CHECK(run(v, bs, 4, 1, &r) == 0);
    CHECK(ic_series_row(&r.res, IC_S_VISITS_WEEK, 0)[10] == 0);
    CHECK(ic_series_row(&r.res, IC_S_VISITS_WEEK, 0)[r.res.nout - 1] > 0);
    done(&r);
}

/* A demand spike into a near-full fleet: with retries the failures come back, so the load
 * stays high after the spike has passed (a retry storm); with churn the users leave. */
static void test_retry_storm_and_churn(void) {
    const char *sp =
        "{\"name\": \"s\", \"paths\": 16, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.5, \"output\": {\"interval_s\": 600},\n"
        " \"traffic\": {\"growth\": {\"initial\": 2.4e6}, \"requests_per_user_per_day\": 10, "
        "\"diurnal\": {\"profile\": \"flat\"}, \"noise\": {\"sigma\": 0},\n"
        "   \"events\": [{\"start\": \"2024-01-01T03:00:00Z\", \"peak_multiplier\": 2.5, "
        "\"rise_s\": 300, \"decay_s\": 1200}]},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 64, \"failure_rate_per_hour\": 0}, \"queue\": {\"patience_s\": "
        "120}}";
    struct run r0, r1, rc;
    /* Size the fleet at 1.25x the demand (277.8 req/s) from one replica's rate. */
    CHECK(run(sp, NULL, 0, 2, &r0) == 0);
    double mu = r0.plan.perf.requests_per_s;
    done(&r0);
    char fleet[64];
    snprintf(fleet, sizeof fleet, "/fleet/accelerators=%.0f", ceil(1.25 * 277.78 / mu));
    const char *base[] = {fleet};
    const char *retry[] = {fleet, "/traffic/retry/probability=0.9", "/traffic/retry/delay_s=600"};
    const char *churn[] = {fleet, "/traffic/churn/probability=0.5"};
    CHECK(run(sp, base, 1, 2, &r0) == 0);
    CHECK(run(sp, retry, 3, 2, &r1) == 0);
    CHECK(run(sp, churn, 2, 2, &rc) == 0);
    /* Before the spike nothing fails; the spike overloads every path. */
    CHECK(r0.res.head.outages == 16 && mean_of(&r0.res, IC_M_DEGRADED_MIN) > 0);
    CHECK(mean_of(&r0.res, IC_M_RETRIED) == 0 && mean_of(&r1.res, IC_M_RETRIED) > 0);
    /* Hours 5-6: the spike is over (e^{-2h/20min} of it is left) but the retries are not. */
    long j0 = 30, j1 = 36;
    CHECK(series_mean(&r1.res, IC_S_RETRIES, j0, j1) > 1.0);
    CHECK(series_mean(&r1.res, IC_S_ARRIVALS, j0, j1) >
          series_mean(&r0.res, IC_S_ARRIVALS, j0, j1) + 1.0);
    CHECK(mean_of(&r1.res, IC_M_DEGRADED_MIN) > mean_of(&r0.res, IC_M_DEGRADED_MIN));
    /* Requests lost for good: fewer with retries, all of them without. */
    CHECK(mean_of(&r1.res, IC_M_LOST) < mean_of(&r0.res, IC_M_LOST));
    CHECK_NEAR(mean_of(&r0.res, IC_M_LOST),
               mean_of(&r0.res, IC_M_REJECTED) + mean_of(&r0.res, IC_M_ABANDONED), 1e-12);
    /* Churn: users lost in the overload stay lost. */
    CHECK(mean_of(&r0.res, IC_M_USERS_RETAINED) == 1.0);
    double kept = mean_of(&rc.res, IC_M_USERS_RETAINED);
    CHECK(kept < 1.0 && kept > 0.5);
    CHECK(series_mean(&rc.res, IC_S_ACTIVE_USERS, j0, j1) <
          series_mean(&r0.res, IC_S_ACTIVE_USERS, j0, j1));
    done(&r0);
    done(&r1);
    done(&rc);

    /* A capacity outage instead of a spike: half the replicas are gone for 40 minutes.  Once the
     * capacity is back, the retries keep the load above the demand for a while. */
    const char *dip[] = {fleet, "/traffic/events=[]",
                         "/fleet/outages=[{\"start\": \"2024-01-01T03:00:00Z\", \"duration_s\": "
                         "2400, \"fraction\": 0.5}]",
                         "/traffic/retry/probability=0.9", "/traffic/retry/delay_s=900"};
    CHECK(run(sp, dip, 5, 2, &r1) == 0);
    CHECK(run(sp, dip, 3, 2, &r0) == 0); /* the same outage without retries */
    /* 03:40-04:40: capacity is back (the replicas_up series shows it). */
    long k0 = 22, k1 = 28;
    CHECK(series_mean(&r1.res, IC_S_REPLICAS_UP, k0, k1) ==
          series_mean(&r1.res, IC_S_REPLICAS_UP, 0, 18));
    CHECK(series_mean(&r1.res, IC_S_REPLICAS_UP, 19, 21) <
          0.6 * series_mean(&r1.res, IC_S_REPLICAS_UP, 0, 18));
    CHECK(series_mean(&r1.res, IC_S_ARRIVALS, k0, k1) >
          1.05 * series_mean(&r0.res, IC_S_ARRIVALS, k0, k1));
    CHECK(series_mean(&r1.res, IC_S_RETRIES, k0, k1) > 10.0);
    done(&r0);
    done(&r1);
}

/* An event that changes the mix toward long documents slows the fleet without more requests. */
static void test_mix_event(void) {
    const char *mx =
        "{\"name\": \"m\", \"paths\": 8, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 1, \"output\": {\"interval_s\": 600},\n"
        " \"traffic\": {\"growth\": {\"initial\": 1e6}, \"diurnal\": {\"profile\": \"flat\"}, "
        "\"noise\": {\"sigma\": 0},\n"
        "   \"events\": [{\"start\": \"2024-01-01T06:00:00Z\", \"peak_multiplier\": 1, "
        "\"rise_s\": 1800, \"decay_s\": 14400, \"mix\": [{\"class\": \"docs\", "
        "\"share_multiplier\": 8}]}]},\n"
        " \"workload\": {\"classes\": [{\"name\": \"chat\", \"share\": 0.95}, {\"name\": "
        "\"docs\", \"share\": 0.05, \"input_tokens\": {\"median\": 20000, \"sigma\": 0.5}}]},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 64}}";
    struct run a, b;
    const char *nomix[] = {"/traffic/events/0/mix=[]"};
    CHECK(run(mx, NULL, 0, 2, &a) == 0);
    CHECK(run(mx, nomix, 1, 2, &b) == 0);
    /* Same number of requests, more of them long: higher offered load during the event. */
    CHECK(fabs(mean_of(&a.res, IC_M_NEW) / mean_of(&b.res, IC_M_NEW) - 1) < 0.01);
    long j0 = 42, j1 = 60; /* hours 7-10 */
    CHECK(series_mean(&a.res, IC_S_OFFERED_LOAD, j0, j1) >
          1.3 * series_mean(&b.res, IC_S_OFFERED_LOAD, j0, j1));
    CHECK(series_mean(&a.res, IC_S_OFFERED_LOAD, 0, 30) ==
          series_mean(&b.res, IC_S_OFFERED_LOAD, 0, 30));
    double docs_a = 0, docs_b = 0;
    for (long j = j0; j < j1; j++) {
        docs_a += ic_class_row(&a.res, 1, 0)[j];
        docs_b += ic_class_row(&b.res, 1, 0)[j];
    }
    CHECK(docs_a > 3 * docs_b);
    done(&a);
    done(&b);
}

/* Growth parameters drawn from a fitted multivariate normal have its mean and covariance. */
static void test_fitted_growth(void) {
    const char *ft =
        "{\"name\": \"f\", \"paths\": 4000, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.01, \"step_s\": 60, \"output\": {\"interval_s\": 60, "
        "\"store_paths\": 0},\n"
        " \"traffic\": {\"growth\": {\"model\": \"exponential\", \"fit\": {\"mean\": "
        "[11.5, 0.03], \"covariance\": [0.04, -0.0004, -0.0004, 1e-5]}}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 64}}";
    struct run r;
    CHECK(run(ft, NULL, 0, 2, &r) == 0);
    int i0 = -1, i1 = -1;
    for (int i = 0; i < r.plan.n_inputs; i++) {
        if (r.plan.inputs[i].fit_index == 0) i0 = i;
        if (r.plan.inputs[i].fit_index == 1) i1 = i;
    }
    CHECK(i0 >= 0 && i1 >= 0);
    if (i0 >= 0 && i1 >= 0) {
        const double *a = r.res.inputs + (size_t)i0 * 4000, *b = r.res.inputs + (size_t)i1 * 4000;
        double ma = 0, mb = 0, vaa = 0, vbb = 0, vab = 0;
        for (int p = 0; p < 4000; p++) ma += a[p] / 4000, mb += b[p] / 4000;
        for (int p = 0; p < 4000; p++) {
            vaa += (a[p] - ma) * (a[p] - ma) / 4000;
            vbb += (b[p] - mb) * (b[p] - mb) / 4000;
            vab += (a[p] - ma) * (b[p] - mb) / 4000;
        }
        CHECK(fabs(ma - 11.5) < 5 * 0.2 / sqrt(4000));
        CHECK(fabs(mb - 0.03) < 5 * sqrt(1e-5 / 4000));
        CHECK(fabs(vaa / 0.04 - 1) < 0.1 && fabs(vbb / 1e-5 - 1) < 0.1);
        CHECK(fabs(vab / sqrt(vaa * vbb) - (-0.0004 / sqrt(0.04 * 1e-5))) < 0.05);
    }
    done(&r);
}

/* The failure process: 16,384 accelerators at the Llama 3 rate fail about 7.75 times a day;
 * repairs keep on average rate x N x mean repair time of them down (Little's law), whatever
 * the repair-time distribution. */
static void test_failures(void) {
    const char *fl =
        "{\"name\": \"fl\", \"paths\": 40, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 10, \"step_s\": 300, \"output\": {\"interval_s\": 3600, "
        "\"store_paths\": 40},\n"
        " \"traffic\": {\"growth\": {\"initial\": 1000}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 16384, \"repair_hours\": 6}}";
    struct run r;
    CHECK(run(fl, NULL, 0, 2, &r) == 0);
    double want = 16384 * 1.97e-5 * 24 * 10; /* 77.5 */
    double got = mean_of(&r.res, IC_M_FAILURES);
    CHECK(fabs(got - want) < 5 * sqrt(want / 40));
    /* Down on average: 16384 x 1.97e-5/h x 6 h = 1.94 (after the first hours). */
    double down = 16384 - series_mean(&r.res, IC_S_HEALTHY, 24, r.res.nout);
    CHECK(fabs(down - 16384 * 1.97e-5 * 6) < 0.4);
    done(&r);
    const char *ln[] = {"/fleet/repair_shape=lognormal", "/fleet/repair_sigma=1.2"};
    CHECK(run(fl, ln, 2, 2, &r) == 0);
    down = 16384 - series_mean(&r.res, IC_S_HEALTHY, 24, r.res.nout);
    CHECK(fabs(down - 16384 * 1.97e-5 * 6) < 0.4);
    done(&r);
    /* Node failures take eight accelerators and eight single-accelerator replicas down. */
    const char *nd[] = {"/fleet/failure_rate_per_hour=0",
                        "/fleet/node_failure_rate_per_hour=0.001"};
    CHECK(run(fl, nd, 2, 2, &r) == 0);
    double nodes = mean_of(&r.res, IC_M_NODE_FAILURES), expect = 2048 * 0.001 * 240;
    CHECK(fabs(nodes - expect) < 5 * sqrt(expect / 40));
    double hdown = 16384 - series_mean(&r.res, IC_S_HEALTHY, 24, r.res.nout);
    double rdown = 16384 - series_mean(&r.res, IC_S_REPLICAS_UP, 24, r.res.nout);
    CHECK(fabs(hdown - 8 * 2048 * 0.001 * 6) < 1.5 && fabs(rdown - hdown) < 1e-3 * hdown);
    CHECK(mean_of(&r.res, IC_M_FAILURES) == 0);
    done(&r);
}

/* Accelerators that fail alone and with their node are counted once.  Per accelerator, with
 * exponential repairs of rate mu, failures at lam while it and its node are up, and node
 * failures at nu: the node is up a share A = mu / (mu + nu) of the time, and the balance of the
 * four states (node up/down x accelerator up/down) gives P(both up) = A / (1 + lam / (mu +
 * nu / 2)).  Counted twice, an accelerator down on its own and with its node was subtracted
 * twice: the healthy count went negative at these rates (-20 and below) and was low at any. */
static void test_failures_counted_once(void) {
    const char *hi =
        "{\"name\": \"hi\", \"paths\": 40, \"seed\": 7193, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 10, \"step_s\": 300, \"output\": {\"interval_s\": 3600, "
        "\"store_paths\": 40},\n"
        " \"traffic\": {\"growth\": {\"initial\": 1000}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 256, \"repair_hours\": 5.75, \"failure_rate_per_hour\": 0.2385, "
        "\"node_failure_rate_per_hour\": 0.0931}}";
    /* lam, nu (per hour) of each case; mu = 1 / 5.75 h */
    const double rates[2][2] = {{0.2385, 0.0931}, {0.9173, 0.4129}};
    for (int k = 0; k < 2; k++) {
        char s1[80], s2[80];
        snprintf(s1, sizeof s1, "/fleet/failure_rate_per_hour=%g", rates[k][0]);
        snprintf(s2, sizeof s2, "/fleet/node_failure_rate_per_hour=%g", rates[k][1]);
        const char *sets[] = {s1, s2};
        struct run r;
        CHECK(run(hi, sets, 2, 2, &r) == 0);
        const double lam = rates[k][0], mu = 1 / 5.75, nu = rates[k][1];
        const double both_up = mu / (mu + nu) / (1 + lam / (mu + nu / 2)); /* 0.3129, 0.0869 */
        double lowest = INFINITY;
        for (long p = 0; p < r.res.store_paths; p++)
            for (long j = 0; j < r.res.nout; j++) {
                double h = ic_series_row(&r.res, IC_S_HEALTHY, p)[j];
                double up = ic_series_row(&r.res, IC_S_REPLICAS_UP, p)[j];
                if (h < lowest) lowest = h;
                /* single-accelerator replicas: each healthy accelerator is a replica up */
                CHECK(fabs(up - h) < 1e-3);
            }
        CHECK(lowest >= 0);
        /* 256 x 0.3129 = 80.1 and 256 x 0.0869 = 22.2 healthy; the standard error of the mean
         * over 40 paths x 216 h is under 1 (node failures take eight at once, correlated over
         * hours): 4% and 10% are more than three of them. */
        double healthy = series_mean(&r.res, IC_S_HEALTHY, 24, r.res.nout);
        CHECK_NEAR(healthy, 256 * both_up, k == 0 ? 0.04 : 0.10);
        /* The node draws come from each path's failure stream: the same at any thread count. */
        struct run r3;
        CHECK(run(hi, sets, 2, 3, &r3) == 0);
        size_t ns = (size_t)IC_SERIES_COUNT * 40 * (size_t)r.res.nout * sizeof(float);
        CHECK(memcmp(r.res.series, r3.res.series, ns) == 0);
        CHECK(memcmp(r.res.summary, r3.res.summary,
                     (size_t)IC_SUMMARY_COUNT * 40 * sizeof(double)) == 0);
        done(&r3);
        done(&r);
    }
}

/* The headline's quantiles over paths without capacity: an infinite peak load is the median
 * (it was Inf - Inf = NaN, printed "-nan [95% CI inf, inf]"); a NaN where a number is promised
 * makes the quantile NaN rather than that of the other paths; a NaN first-outage time is "no
 * outage" and left out. */
static void test_reduce_infinite(void) {
    struct ic_results r;
    memset(&r, 0, sizeof r);
    r.paths = 4;
    r.summary = calloc((size_t)IC_SUMMARY_COUNT * 4, sizeof *r.summary);
    const double load[4] = {INFINITY, 7.25, INFINITY, INFINITY};
    const double cost[4] = {1.5e4, NAN, 2.5e4, 3.5e4};
    const double first[4] = {NAN, 4260, NAN, 1980};
    for (int p = 0; p < 4; p++) {
        ic_summary_col(&r, IC_M_PEAK_LOAD)[p] = load[p];
        ic_summary_col(&r, IC_M_COST)[p] = cost[p];
        ic_summary_col(&r, IC_M_FIRST_OUTAGE)[p] = first[p];
        ic_summary_col(&r, IC_M_LOST)[p] = 100.0 * (p + 1);
        ic_summary_col(&r, IC_M_SUSTAINABLE)[p] = 2385.0;
    }
    struct ic_error err = {0};
    CHECK(ic_results_reduce(NULL, &r, &err) == 0);
    CHECK(r.head.peak_load_q50 == INFINITY && r.head.peak_load_q95 == INFINITY);
    CHECK(r.head.peak_load_ci[0] == 7.25 && r.head.peak_load_ci[1] == INFINITY);
    CHECK(isnan(r.head.cost_q50) && isnan(r.head.cost_ci[0]) && isnan(r.head.cost_ci[1]));
    CHECK(r.head.first_outage_q[1] == (1980 + 4260) / 2.0);
    CHECK(r.head.lost_q50 == 250 && r.head.sustainable_q50 == 2385);
    free(r.summary);
}

/* The intervals of means are cut at the quantity's bounds: degraded minutes of a mostly healthy
 * set of paths (one of 8 degraded) had a normal interval reaching below 0; a goodput of paths
 * near 1 reached above 1.  By hand: mean 60/8 = 7.5, sample variance (52.5^2 + 7 x 7.5^2) / 7 =
 * 450, standard error sqrt(450/8) = 7.5 = 60/8; the normal interval 7.5 -/+ 14.7, cut to
 * [0, 22.2]. */
static void test_reduce_bounds(void) {
    struct ic_results r;
    memset(&r, 0, sizeof r);
    r.paths = 8;
    r.summary = calloc((size_t)IC_SUMMARY_COUNT * 8, sizeof *r.summary);
    for (int p = 0; p < 8; p++) {
        ic_summary_col(&r, IC_M_DEGRADED_MIN)[p] = p == 3 ? 60 : 0;
        ic_summary_col(&r, IC_M_SERVED)[p] = 100;
        ic_summary_col(&r, IC_M_GOOD)[p] = p == 5 ? 90 : 100;
    }
    struct ic_error err = {0};
    CHECK(ic_results_reduce(NULL, &r, &err) == 0);
    CHECK(r.head.degraded_minutes_mean == 7.5);
    CHECK(r.head.degraded_minutes_ci[0] == 0);
    CHECK(fabs(r.head.degraded_minutes_ci[1] - (7.5 + 1.959963984540054 * 60.0 / 8.0)) < 1e-9);
    CHECK(r.head.good_fraction_ci[1] == 1 && r.head.good_fraction_ci[0] < 0.99);
    CHECK(r.head.good_fraction_ci[0] > 0.9);
    free(r.summary);
}

/* Demand that overflows (2/day for 365 days is e^730: infinite in a double; 10^4x events
 * stacked) saturates at 10^13 users and is an overload on every path, never NaN load that the
 * outage rule does not see (P(outage) was 0). */
static void test_demand_overflow(void) {
    const char *ov =
        "{\"name\": \"ov\", \"paths\": 5, \"seed\": 4411, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 365, \"step_s\": 3600, \"output\": {\"interval_s\": 86400, "
        "\"store_paths\": 5},\n"
        " \"traffic\": {\"growth\": {\"initial\": 2.385e10, \"rate_per_day\": 2}, "
        "\"requests_per_user_per_day\": 7.5},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 64}}";
    struct run r;
    CHECK(run(ov, NULL, 0, 2, &r) == 0);
    CHECK(r.res.head.outages == 5);
    for (long p = 0; p < 5; p++) {
        float *users = ic_series_row(&r.res, IC_S_ACTIVE_USERS, p);
        float *arr = ic_series_row(&r.res, IC_S_ARRIVALS, p);
        /* 2.385e10 e^{2 t} reaches 1e13 after 3.02 days: from day 5 on, saturated (noise and
         * all) at 10^13 users. */
        for (long j = 5; j < r.res.nout; j++) CHECK_NEAR(users[j], 1e13, 1e-6);
        for (long j = 0; j < r.res.nout; j++) CHECK(isfinite(users[j]) && isfinite(arr[j]));
        CHECK(ic_summary_col(&r.res, IC_M_FIRST_OUTAGE)[p] < 86400);
        CHECK(isfinite(ic_summary_col(&r.res, IC_M_NEW)[p]));
    }
    done(&r);
    /* Twelve 10^4x events at once: 10^48 x 1000 users. */
    char evs[2048] = "/traffic/events=[";
    for (int e = 0; e < 12; e++)
        snprintf(evs + strlen(evs), sizeof evs - strlen(evs),
                 "%s{\"start\": \"2024-01-01T05:00:00Z\", \"peak_multiplier\": 10000, "
                 "\"rise_s\": 600}",
                 e ? ", " : "");
    strcat(evs, "]");
    const char *sets[] = {"/horizon_days=1",
                          "/step_s=60",
                          "/output/interval_s=3600",
                          "/traffic/growth/initial=1000",
                          "/traffic/growth/rate_per_day=0",
                          evs};
    CHECK(run(ov, sets, 6, 2, &r) == 0);
    CHECK(r.res.head.outages == 5);
    for (long p = 0; p < 5; p++) {
        float *users = ic_series_row(&r.res, IC_S_ACTIVE_USERS, p);
        CHECK(users[2] < 2000 && users[12] == 1e13f);
        CHECK(ic_summary_col(&r.res, IC_M_FIRST_OUTAGE)[p] >= 5 * 3600);
    }
    done(&r);
    /* The outage rule itself: NaN or infinite demand or failures are degraded. */
    struct ic_queue_flow f = {10, 0, NAN};
    CHECK(ic_queue_degraded(&f, 20, 10, 0.05));
    f.rejected = 0;
    CHECK(!ic_queue_degraded(&f, 10, 10, 0.05));
    CHECK(ic_queue_degraded(&f, NAN, 10, 0.05));
    CHECK(ic_queue_degraded(&f, INFINITY, 10, 0.05));
    CHECK(ic_queue_degraded(&f, 10, NAN, 0.05));
}

/* No requests per user (allowed): users stay the growth curve (they were 0 x inf = NaN),
 * nothing arrives, nothing fails, and any demand is sustainable. */
static void test_zero_requests_per_user(void) {
    const char *zr =
        "{\"name\": \"zr\", \"paths\": 3, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 1, \"step_s\": 120, \"output\": {\"interval_s\": 3600, "
        "\"store_paths\": 3},\n"
        " \"traffic\": {\"growth\": {\"initial\": 238500, \"rate_per_day\": 0.0731}, "
        "\"requests_per_user_per_day\": 0, \"noise\": {\"sigma\": 0}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 8}}";
    struct run r;
    CHECK(run(zr, NULL, 0, 1, &r) == 0);
    CHECK(r.res.head.outages == 0);
    for (long p = 0; p < 3; p++) {
        /* The hour's mean of 238500 e^{0.0731 t}, t at the middle of each 2-minute step. */
        for (long j = 0; j < r.res.nout; j += 7) {
            double want = 0;
            for (int k = 0; k < 30; k++)
                want += 238500 * exp(0.0731 * ((double)j * 3600 + k * 120.0) / 86400.0);
            CHECK_NEAR(ic_series_row(&r.res, IC_S_ACTIVE_USERS, p)[j], want / 30, 1e-5);
            CHECK(ic_series_row(&r.res, IC_S_ARRIVALS, p)[j] == 0);
            CHECK(ic_series_row(&r.res, IC_S_VISITS_WEEK, p)[j] == 0);
        }
        CHECK(ic_summary_col(&r.res, IC_M_NEW)[p] == 0);
        CHECK(ic_summary_col(&r.res, IC_M_SUSTAINABLE)[p] == INFINITY);
    }
    CHECK(r.res.head.sustainable_q50 == INFINITY);
    done(&r);
}

/* The message of a scenario that does not compile ("" when it does). */
static void compile_msg(const char *text, const char *const *sets, int nsets, unsigned flags,
                        char *msg, size_t size) {
    struct ic_error err = {0};
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = sets, .n_sets = nsets};
    struct ic_scenario sc;
    struct ic_plan plan;
    msg[0] = '\0';
    int rc = ic_scenario_load_string(text, "e.json", &o, &cat, &sc, &d, &err);
    ic_diag_free(&d);
    if (rc == 0) rc = ic_plan_compile_ex(&sc, flags | IC_PLAN_CLOSED_FORM, &plan, &err);
    if (rc == 0)
        ic_plan_free(&plan);
    else
        snprintf(msg, size, "%s", err.msg);
}

/* A fleet that cannot form one replica serves nothing and is refused, naming the field, the
 * value and what one replica needs (its medians were -nan [95% CI inf, inf]). */
static void test_no_replica(void) {
    const char *base = "{\"name\": \"nr\", \"paths\": 3, \"start\": \"2024-01-01T00:00:00Z\", "
                       "\"horizon_days\": 0.5, \"model\": \"llama-3.1-8b\", \"accelerator\": "
                       "\"nvidia_h100_sxm\", \"fleet\": {\"accelerators\": 16}}";
    char msg[2048];
    const char *zero[] = {"/fleet/accelerators=0"};
    compile_msg(base, zero, 1, 0, msg, sizeof msg);
    CHECK_STR_CONTAINS(msg, "/fleet/accelerators: got 0, but one replica of llama-3.1-8b on "
                            "nvidia_h100_sxm needs 1 accelerators");
    /* The capacity solver evaluates such candidates instead. */
    compile_msg(base, zero, 1, IC_PLAN_ALLOW_NO_CAPACITY, msg, sizeof msg);
    CHECK(msg[0] == '\0');
    const char *big[] = {"/model=llama-3.1-70b", "/serving/weight_precision=bf16",
                         "/fleet/accelerators=3"};
    compile_msg(base, big, 3, 0, msg, sizeof msg);
    CHECK_STR_CONTAINS(msg, "/fleet/accelerators: got 3, but one replica of llama-3.1-70b");
    CHECK_STR_CONTAINS(msg, "needs 4 accelerators (tensor 4 x pipeline 1");
    const char *tp[] = {"/serving/tensor_parallel=32", "/fleet/accelerators=8"};
    compile_msg(base, tp, 2, 0, msg, sizeof msg);
    CHECK_STR_CONTAINS(msg, "got 8, but one replica of llama-3.1-8b on nvidia_h100_sxm needs 32");
    CHECK_STR_CONTAINS(msg, "/serving/tensor_parallel (32)");
    const char *ds[] = {"/model=deepseek-v3", "/accelerator=nvidia_l20", "/fleet/accelerators=8"};
    compile_msg(base, ds, 3, 0, msg, sizeof msg);
    CHECK_STR_CONTAINS(msg, "/fleet/accelerators: got 8, but one replica of deepseek-v3 on "
                            "nvidia_l20 needs 64");
    /* Drawn per path: judged by the median (uniform 1..5: 3; a replica needs 4). */
    const char *drawn[] = {"/model=llama-3.1-70b", "/serving/weight_precision=bf16",
                           "/fleet/accelerators={\"dist\": \"uniform\", \"min\": 1, \"max\": 5}"};
    compile_msg(base, drawn, 3, 0, msg, sizeof msg);
    CHECK_STR_CONTAINS(msg, "got a median of 3, but");
    /* Automatic sizing never picks a replica larger than the fleet: the 32B distill on Ascend
     * 910B fits on 2 and would take 4 for throughput; 3 of them form one replica of 2. */
    const char *small[] = {"/model=deepseek-r1-distill-qwen-32b", "/accelerator=huawei_ascend_910b",
                           "/fleet/accelerators=3"};
    compile_msg(base, small, 3, 0, msg, sizeof msg);
    CHECK(msg[0] == '\0');
}

/* Autoscaling with a fixed lead time lags a step in demand by that lead time. */
static void test_autoscaling(void) {
    const char *as =
        "{\"name\": \"as\", \"paths\": 6, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.5, \"output\": {\"interval_s\": 60, \"store_paths\": 6},\n"
        " \"traffic\": {\"growth\": {\"initial\": 1.2e6}, \"diurnal\": {\"profile\": "
        "\"flat\"}, \"noise\": {\"sigma\": 0},\n"
        "   \"events\": [{\"start\": \"2024-01-01T02:00:00Z\", \"peak_multiplier\": 2, "
        "\"rise_s\": 1, \"decay_s\": 1e9}]},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
        " \"fleet\": {\"accelerators\": 20, \"failure_rate_per_hour\": 0, \"autoscale\": "
        "{\"enabled\": \"yes\", \"target_utilization\": 0.8, \"evaluation_s\": 300, "
        "\"step_accelerators\": 4, \"lead_time_s\": 3600, \"lead_time_sigma\": 0, "
        "\"cooldown_s\": 0, \"max_actions\": 1}}}";
    struct run r;
    CHECK(run(as, NULL, 0, 1, &r) == 0);
    /* 1.2e6 users x 10 / 86400 = 138.9 req/s; size the fleet for load 0.5 -> the step to 2x
     * gives load 1.0 > 0.8. */
    double mu = r.plan.perf.requests_per_s;
    done(&r);
    char fleet[64];
    snprintf(fleet, sizeof fleet, "/fleet/accelerators=%.0f", ceil(138.9 / 0.5 / mu));
    const char *sets[] = {fleet};
    CHECK(run(as, sets, 1, 1, &r) == 0);
    for (long p = 0; p < r.res.paths; p++) {
        double t = ic_summary_col(&r.res, IC_M_FIRST_ACTION)[p];
        /* The step at 2 h is seen by the evaluation window ending at 2 h 05. */
        CHECK(t == 7500);
        CHECK(ic_summary_col(&r.res, IC_M_ACTIONS)[p] == 1);
        CHECK(r.res.action_ready[(size_t)p * r.res.max_actions] == 7500 + 3600);
        /* Provisioned capacity: the fleet until 3 h 05, four more after. */
        float *prov = ic_series_row(&r.res, IC_S_PROVISIONED, p);
        CHECK(prov[(7500 + 3600) / 60 - 1] == prov[0]);
        CHECK(prov[(7500 + 3600) / 60] == prov[0] + 4);
    }
    done(&r);
}

/* An autoscale floor above the initial fleet holds from the first step (it waited for load
 * to rise above the target, then for the lead time). */
static void test_autoscale_floor(void) {
    const char *fl =
        "{\"name\": \"fl\", \"paths\": 4, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.25, \"output\": {\"interval_s\": 600, \"store_paths\": 4},\n"
        " \"traffic\": {\"growth\": {\"initial\": 5000}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
        " \"fleet\": {\"accelerators\": {\"dist\": \"uniform\", \"min\": 9, \"max\": 31}, "
        "\"failure_rate_per_hour\": 0, \"accelerator_hour_usd\": 2.385, \"autoscale\": "
        "{\"enabled\": \"yes\", \"floor\": 23, \"step_accelerators\": 4, \"lead_time_s\": 7200}}}";
    struct run r;
    CHECK(run(fl, NULL, 0, 1, &r) == 0);
    const double *drawn =
        r.res.inputs +
        (size_t)ic_plan_input_index(&r.plan, &r.sc.fleet.accelerators) * (size_t)r.res.paths;
    int below = 0;
    for (long p = 0; p < 4; p++) {
        double want = drawn[p] > 23 ? drawn[p] : 23;
        below += drawn[p] < 23;
        for (long j = 0; j < r.res.nout; j++)
            CHECK(ic_series_row(&r.res, IC_S_PROVISIONED, p)[j] == (float)want);
        /* 6 h at 2.385 USD per accelerator-hour */
        CHECK_NEAR(ic_summary_col(&r.res, IC_M_COST)[p], want * 6 * 2.385, 1e-9);
        CHECK(ic_summary_col(&r.res, IC_M_ACTIONS)[p] == 0);
    }
    CHECK(below > 0 && below < 4); /* the draws fall on both sides of the floor */
    done(&r);
}

/* Two pools: least-loaded routing pools the capacity; fixed shares overload the small pool. */
static void test_pools_and_economics(void) {
    const char *hp =
        "{\"name\": \"hp\", \"paths\": 4, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.25, \"output\": {\"interval_s\": 600},\n"
        " \"traffic\": {\"growth\": {\"initial\": 8e5}, \"diurnal\": {\"profile\": "
        "\"flat\"}, \"noise\": {\"sigma\": 0}},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
        " \"economics\": {\"price_input_per_mtok\": 0.5, \"price_output_per_mtok\": 2},\n"
        " \"fleet\": {\"accelerators\": 8, \"failure_rate_per_hour\": 0, \"pools\": "
        "[{\"accelerator\": \"huawei_ascend_910b\", \"accelerators\": 8}]}}";
    struct run a, b;
    const char *share[] = {"/fleet/routing=share", "/fleet/routing_share=1",
                           "/fleet/pools/0/routing_share=3"};
    CHECK(run(hp, NULL, 0, 2, &a) == 0);
    CHECK(run(hp, share, 3, 2, &b) == 0);
    CHECK(a.plan.n_pools == 2 && a.plan.pool[1].fit.accels >= 1);
    /* The 910B pool is slower than the H100 pool, per accelerator. */
    double r0 = a.plan.pool[0].perf.requests_per_s / (double)a.plan.pool[0].fit.accels;
    double r1 = a.plan.pool[1].perf.requests_per_s / (double)a.plan.pool[1].fit.accels;
    CHECK(r1 < r0);
    double cap = 8 * r0 + 8 * r1;
    CHECK_NEAR(series_mean(&a.res, IC_S_CAPACITY_TOKENS, 0, a.res.nout) /
                   a.plan.pool[0].perf.tokens_per_request,
               cap, 1e-6);
    /* Demand 92.6 req/s: the pooled fleet copes; three quarters to the 910Bs does not. */
    CHECK(0.75 * 92.6 > 8 * r1 && 92.6 < 0.9 * cap);
    CHECK(a.res.head.outages == 0);
    CHECK(b.res.head.outages == b.res.paths);
    /* Revenue: served requests x (1,000 x e^{1/2} prompt tokens x $0.5 + 250 x e^{0.58}
     * answer tokens x $2) per million (the 128K context cap trims the means by ~1e-5). */
    double per_req = (1000 * exp(0.5) * 0.5 + 250 * exp(0.5 * 1.08 * 1.08) * 2) / 1e6;
    CHECK_NEAR(mean_of(&a.res, IC_M_REVENUE), mean_of(&a.res, IC_M_SERVED) * per_req, 1e-4);
    /* Power between idle and full TDP x PUE: 8 x 700 W + 8 x 400 W = 8.8 kW at 1.58. */
    double kw = series_mean(&a.res, IC_S_POWER, 0, a.res.nout);
    CHECK(kw > 0.3 * 8.8 * 1.58 && kw < 8.8 * 1.58);
    double margin = ic_summary_col(&a.res, IC_M_MARGIN)[0];
    double rev = ic_summary_col(&a.res, IC_M_REVENUE)[0],
           cost = ic_summary_col(&a.res, IC_M_COST)[0];
    CHECK_NEAR(margin, (rev - cost) / rev, 1e-12);
    done(&a);
    done(&b);
    /* An all-in hourly price: cost = accelerator-hours x price. */
    const char *allin[] = {"/fleet/accelerator_hour_usd=2.385"};
    CHECK(run(hp, allin, 1, 1, &a) == 0);
    CHECK_NEAR(mean_of(&a.res, IC_M_COST), 16 * 6 * 2.385, 1e-9);
    done(&a);
}

/* Blocks of paths: a plan that starts at path k (path0) and runs only summaries gives, path for
 * path, the summaries of the full run, whatever the block size; --target-ci is built on it. */
static void test_blocks(void) {
    struct run full;
    CHECK(run(busy, NULL, 0, 2, &full) == 0);
    const long n = full.plan.paths;
    for (long b = 1; b <= 16; b *= 4) {
        for (long k = 0; k < n; k += b) {
            struct ic_plan pc = full.plan;
            pc.path0 = k;
            pc.paths = b < n - k ? b : n - k;
            pc.store_paths = 0;
            struct ic_results r;
            struct ic_error err = {0};
            struct ic_run_opts ro = {.threads = (int)(1 + k % 2), .summaries_only = 1};
            CHECK(ic_results_alloc(&pc, &r, &err) == 0);
            CHECK(ic_engine_run(&pc, &ro, &r, &err) == 0);
            for (int m = 0; m < IC_SUMMARY_COUNT; m++)
                for (long p = 0; p < pc.paths; p++) {
                    double x = ic_summary_col(&r, m)[p], y = ic_summary_col(&full.res, m)[k + p];
                    CHECK(x == y || (isnan(x) && isnan(y)));
                }
            for (int i = 0; i < r.n_inputs; i++)
                CHECK(memcmp(r.inputs + (size_t)i * (size_t)r.paths,
                             full.res.inputs + (size_t)i * (size_t)n + (size_t)k,
                             (size_t)pc.paths * sizeof(double)) == 0);
            ic_results_free(&r);
        }
    }
    done(&full);
}

/* A case whose outage probability is known: an outage of the whole fleet that happens on a path
 * with probability q (a per-path choice of the fraction lost), on a fleet far larger than the
 * demand.  P(outage) = q exactly; the Wilson 95% interval should cover it in about 95% of
 * independent runs, and --target-ci stops at the first block whose interval is narrow enough,
 * the same number of paths at any thread count. */
static const char *known =
    "{\"name\": \"k\", \"paths\": 200, \"start\": \"2024-01-01T00:00:00Z\", \"horizon_days\": "
    "0.5, \"step_s\": 600, \"output\": {\"interval_s\": 3600, \"store_paths\": 0},\n"
    " \"traffic\": {\"growth\": {\"initial\": 1000}},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
    "{\"accelerators\": 64, \"failure_rate_per_hour\": 0, \"outages\": [{\"start\": "
    "\"2024-01-01T03:00:00Z\", \"duration_s\": 7200, \"fraction\": {\"dist\": \"choice\", "
    "\"values\": [0, 1], \"weights\": [0.85, 0.15]}}]}}";

static void test_known_probability(void) {
    int covered = 0, reps = 200;
    char seed[64];
    for (int s = 0; s < reps; s++) {
        snprintf(seed, sizeof seed, "/seed=%d", 1000 + s);
        const char *sets[] = {seed};
        struct run r;
        CHECK(run(known, sets, 1, 1, &r) == 0);
        const struct ic_headline *h = &r.res.head;
        CHECK(h->paths == 200);
        covered += h->p_lo <= 0.15 && 0.15 <= h->p_hi;
        /* the interval is the Wilson interval of what was counted */
        double lo, hi;
        ic_wilson(h->outages, h->paths, 1.959963984540054, &lo, &hi);
        CHECK(lo == h->p_lo && hi == h->p_hi);
        done(&r);
    }
    /* Binomial(200, ~0.95): outside [176, 198] with probability below 1e-4. */
    fprintf(stderr, "  Wilson 95%% interval covered P = 0.15 in %d of %d runs\n", covered, reps);
    CHECK(covered >= 176 && covered <= 198);

    /* --target-ci: width 0.06 needs about 4 x 1.96^2 x 0.15 x 0.85 / 0.06^2 = 544 paths. */
    const char *big[] = {"/paths=100000"};
    long got[3];
    for (int t = 1; t <= 3; t++) {
        struct run r;
        struct ic_error err = {0};
        struct ic_diag d;
        ic_diag_init(&d);
        struct ic_load_opts o = {.sets = big, .n_sets = 1};
        CHECK(ic_scenario_load_string(known, "k.json", &o, &cat, &r.sc, &d, &err) == 0);
        ic_diag_free(&d);
        r.sc.service_curve.mode = IC_CURVE_CLOSED_FORM;
        CHECK(ic_plan_compile(&r.sc, &r.plan, &err) == 0);
        struct ic_run_opts ro = {.threads = t};
        CHECK(ic_engine_target_ci(&r.plan, 0.06, 50 * t, &ro, NULL, NULL, &got[t - 1], &err) == 0);
        ic_plan_free(&r.plan);
    }
    fprintf(stderr, "  --target-ci 0.06: %ld, %ld, %ld paths (blocks of 50, 100, 150)\n", got[0],
            got[1], got[2]);
    for (int t = 0; t < 3; t++) CHECK(got[t] > 350 && got[t] < 900 && got[t] % (50 * (t + 1)) == 0);
    /* Blocks of 50 and 150 must agree on the outage count at 450 and 900 paths etc.: the same
     * paths.  The first block-of-150 stop is at or after the first block-of-50 stop. */
    CHECK(got[2] >= got[0] - 100);
    /* The same block size gives the same answer at any thread count. */
    long again;
    {
        struct run r;
        struct ic_error err = {0};
        struct ic_diag d;
        ic_diag_init(&d);
        struct ic_load_opts o = {.sets = big, .n_sets = 1};
        CHECK(ic_scenario_load_string(known, "k.json", &o, &cat, &r.sc, &d, &err) == 0);
        ic_diag_free(&d);
        r.sc.service_curve.mode = IC_CURVE_CLOSED_FORM;
        CHECK(ic_plan_compile(&r.sc, &r.plan, &err) == 0);
        struct ic_run_opts ro = {.threads = 2};
        CHECK(ic_engine_target_ci(&r.plan, 0.06, 50, &ro, NULL, NULL, &again, &err) == 0);
        ic_plan_free(&r.plan);
    }
    CHECK(again == got[0]);
}

/* The performance model v2 fields (/serving/mtp, software_efficiency, attention_dp, eplb...):
 * the plan (and so both engines, through ic_plan_perf_params) serves with them, and each moves
 * the replica's throughput the way it should. */
static void test_perf_v2_fields(void) {
    const char *v2 =
        "{\"name\": \"v2\", \"seed\": 5, \"paths\": 8, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.25, \"output\": {\"interval_s\": 600, \"store_paths\": 2},\n"
        " \"traffic\": {\"growth\": {\"initial\": 1e5}, \"diurnal\": {\"profile\": \"flat\"}, "
        "\"noise\": {\"sigma\": 0}},\n"
        " \"workload\": {\"classes\": [{\"name\": \"q\", \"input_tokens\": {\"median\": 2000, "
        "\"sigma\": 0}, \"output_tokens\": {\"median\": 500, \"sigma\": 0}}]},\n"
        " \"model\": \"deepseek-v3\", \"accelerator\": \"nvidia_h200_sxm\",\n"
        " \"serving\": {\"weight_precision\": \"fp8\", \"tensor_parallel\": 8},\n"
        " \"fleet\": {\"accelerators\": 64, \"failure_rate_per_hour\": 0}}";
    struct run a, b;
    struct ic_perf_params pp;
    CHECK(run(v2, NULL, 0, 2, &a) == 0);
    const struct ic_perf base = a.plan.perf;
    CHECK(a.plan.perf_fixed && a.plan.fit.accels == 8);
    /* Fixed inputs: every path has the same capacity. */
    const double *sus = ic_summary_col(&a.res, IC_M_SUSTAINABLE);
    for (long p = 1; p < a.res.paths; p++) CHECK(sus[p] == sus[0]);
    const double sus_fixed = sus[0];
    done(&a);

    /* MTP: one draft token raises DeepSeek-V3's decode throughput; the request engine's
     * parameters (ic_plan_perf_params) carry it. */
    const char *mtp[] = {"/serving/mtp=1"};
    CHECK(run(v2, mtp, 1, 2, &b) == 0);
    CHECK(b.plan.perf.decode_tokens_per_s > 1.2 * base.decode_tokens_per_s);
    CHECK(b.plan.perf.tokens_per_step_seq > 1.8);
    ic_plan_perf_params(&b.plan, 0, &pp);
    CHECK(pp.mtp == 1);
    done(&b);

    /* A lower software efficiency lowers the replica's throughput. */
    const char *slow[] = {"/serving/software_efficiency=0.8"};
    CHECK(run(v2, slow, 1, 2, &b) == 0);
    CHECK(b.plan.perf.requests_per_s < 0.97 * base.requests_per_s);
    ic_plan_perf_params(&b.plan, 0, &pp);
    const struct ic_sw_profile *sw = ic_sw_profile_default(&b.sc.accelerator.value);
    CHECK_NEAR(pp.sw.mem_eff, 0.8 * sw->mem_eff, 1e-15);
    CHECK_NEAR(pp.sw.gemm_eff[IC_PREC_FP8], 0.8 * sw->gemm_eff[IC_PREC_FP8], 1e-15);
    done(&b);

    /* Drawn per path: the replica's capacity varies across paths, within what the bounds of
     * the draw give. */
    const char *rnd[] = {"/serving/software_efficiency={\"dist\": \"uniform\", \"min\": 0.7, "
                         "\"max\": 1}"};
    CHECK(run(v2, rnd, 1, 2, &b) == 0);
    CHECK(!b.plan.perf_fixed);
    CHECK(ic_plan_input_index(&b.plan, &b.sc.serving.software_efficiency) >= 0);
    sus = ic_summary_col(&b.res, IC_M_SUSTAINABLE);
    double lo = sus[0], hi = sus[0];
    for (long p = 1; p < b.res.paths; p++) {
        lo = fmin(lo, sus[p]);
        hi = fmax(hi, sus[p]);
    }
    CHECK(hi > 1.02 * lo);
    CHECK(hi <= sus_fixed * (1 + 1e-12) && lo >= 0.6 * sus_fixed);
    done(&b);

    /* A software profile by name. */
    const char *vllm[] = {"/serving/software=\"nvidia-vllm-2025\""};
    CHECK(run(v2, vllm, 1, 2, &b) == 0);
    ic_plan_perf_params(&b.plan, 0, &pp);
    CHECK(pp.sw.name && strcmp(pp.sw.name, "nvidia-vllm-2025") == 0);
    CHECK(b.plan.perf.requests_per_s != base.requests_per_s);
    done(&b);

    /* Experts over 8 accelerators: without a load balancer the hottest one slows every step. */
    const char *ep[] = {"/serving/expert_parallel=8"};
    const char *noeplb[] = {"/serving/expert_parallel=8", "/serving/eplb=\"no\""};
    CHECK(run(v2, ep, 1, 2, &a) == 0);
    CHECK(run(v2, noeplb, 2, 2, &b) == 0);
    CHECK(b.plan.perf.requests_per_s < a.plan.perf.requests_per_s);
    CHECK(b.plan.perf.imbalance > a.plan.perf.imbalance);
    done(&a);
    done(&b);

    /* Attention data parallelism: the replica is attention_dp accelerators in ranks of
     * tensor_parallel, and the fleet is divided into such replicas. */
    const char *adp[] = {"/serving/attention_dp=32", "/serving/expert_parallel=32",
                         "/fleet/accelerators=64"};
    CHECK(run(v2, adp, 3, 2, &b) == 0);
    CHECK(b.plan.fit.accels == 32 && b.plan.perf.accels == 32 && b.plan.perf.attention_dp == 4);
    ic_plan_perf_params(&b.plan, 0, &pp);
    CHECK(pp.attention_dp == 4 && pp.tp == 8 && pp.pp == 1 && pp.ep == 32);
    CHECK_NEAR(ic_summary_col(&b.res, IC_M_SUSTAINABLE)[0] /
                   ic_summary_col(&b.res, IC_M_SUSTAINABLE)[1],
               1, 1e-12);
    done(&b);

    /* Disaggregated units: a replica is one prefill and one decode unit. */
    const char *units[] = {"/serving/disaggregated=\"yes\"", "/serving/prefill_unit=8",
                           "/serving/decode_unit=16", "/fleet/accelerators=48"};
    CHECK(run(v2, units, 4, 2, &b) == 0);
    CHECK(b.plan.fit.accels == 24 && b.plan.perf.prefill_accels == 8 &&
          b.plan.perf.decode_accels == 16);
    done(&b);
}

/* The plan's replica and the one `infercap perf` builds from the same scenario without a plan
 * (sim/config/replica.h) are the same replica, bit for bit: one mapping, one sizing rule. */
static void test_replica_without_plan(void) {
    const char *text =
        "{\"name\": \"r\", \"paths\": 2, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 0.1, \"output\": {\"interval_s\": 600},\n"
        " \"workload\": {\"classes\": [{\"name\": \"a\", \"input_tokens\": {\"median\": 3000}},"
        " {\"name\": \"b\", \"share\": 0.3, \"reasoning_tokens\": {\"median\": 800}}]},\n"
        " \"model\": \"llama-3.1-70b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
        " \"fleet\": {\"accelerators\": 64, \"failure_rate_per_hour\": 0}}";
    const char *cases[][3] = {
        {NULL},
        {"/serving/mtp=1", "/serving/decode_mbu=0.6"},
        {"/serving/tensor_parallel=8"},
        {"/model=\"deepseek-v3\"", "/serving/weight_precision=\"fp8\"",
         "/accelerator=\"nvidia_h200_sxm\""},
        {"/model=\"deepseek-v3\"", "/serving/attention_dp=64", "/serving/expert_parallel=64"},
        {"/serving/disaggregated=\"yes\"", "/serving/prefill_unit=8", "/serving/decode_unit=16"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = 0;
        while (n < 3 && cases[i][n]) n++;
        struct ic_scenario *sc = malloc(sizeof *sc);
        struct ic_diag d;
        struct ic_error err = {0};
        ic_diag_init(&d);
        struct ic_load_opts o = {.sets = cases[i], .n_sets = n};
        CHECK(sc && ic_scenario_load_string(text, "r.json", &o, &cat, sc, &d, &err) == IC_OK);
        ic_diag_free(&d);
        struct ic_plan plan;
        CHECK(ic_plan_compile(sc, &plan, &err) == IC_OK);
        const struct ic_llm *m = &sc->model.value;
        const struct ic_accelerator *a = &sc->accelerator.value;
        struct ic_fit fit;
        ic_perf_fit(m, a, sc->serving.weight_precision, sc->serving.memory_utilization,
                    sc->serving.kv_reserve_fraction, (long)sc->serving.tensor_parallel,
                    (long)sc->serving.pipeline_parallel, (long)sc->serving.accelerators_per_node,
                    &fit);
        struct ic_mix mix;
        ic_replica_mix(sc, m->max_context, NULL, NULL, &mix);
        struct ic_perf r;
        char why[200];
        int automatic = sc->serving.attention_dp <= 0 && sc->serving.tensor_parallel == 0;
        CHECK(ic_replica_build(sc, a, sc->serving.weight_precision, sc->serving.kv_precision,
                               ic_dist_mean(&sc->serving.prefill_mfu),
                               ic_dist_mean(&sc->serving.decode_mbu),
                               ic_dist_mean(&sc->serving.software_efficiency), &mix, automatic, 64,
                               &fit, &r, why, sizeof why) == 0);
        CHECK(fit.accels == plan.fit.accels && fit.tp == plan.fit.tp && fit.pp == plan.fit.pp);
        CHECK(memcmp(&r, &plan.perf, sizeof r) == 0);
        struct ic_perf_params p1, p2;
        ic_plan_perf_params(&plan, 0, &p1);
        ic_replica_params(sc, a, sc->serving.weight_precision, sc->serving.kv_precision, fit.tp,
                          fit.pp, ic_dist_mean(&sc->serving.prefill_mfu),
                          ic_dist_mean(&sc->serving.decode_mbu),
                          ic_dist_mean(&sc->serving.software_efficiency), &p2);
        CHECK(memcmp(&p1, &p2, sizeof p1) == 0);
        /* automatic sizing gave the dense model more than the smallest replica */
        if (i == 0) CHECK(plan.fit.accels > 2);
        ic_plan_free(&plan);
        free(sc);
    }
}

/* A prefill/decode fleet with measured unit rates and demand as tokens a day on a step of the
 * diurnal profile (weights 1 for local hours 0-11, 3 for 12-23: factors 0.5 and 1.5 of the mean;
 * the hours next to the step interpolate, so they are left out).  By hand: 8.64e9 input tokens
 * a day at 50% cache hits are 1e5 tok/s on average, 5e4 uncached; 4.32e9 output tokens 5e4 tok/s.
 * Hours 1-10: prefill 2.5e4 / 1e4 per unit = 2.5 -> 3 units, decode 2.5e4 / 2e4 = 1.25 -> 2;
 * nodes (3 x 2 + 2 x 4) / 8 = 1.75.  Hours 13-22: 7.5e4 -> 8 prefill units, 3.75 -> 4 decode
 * units; nodes (8 x 2 + 4 x 4) / 8 = 4.  The provisioned 10 and 5 units are then busy 0.75 each
 * (0.25 in the morning); each role costs 20 accelerators x $2 x 24 h = $960; revenue 8.64e9 x
 * (0.5 x $1 + 0.5 x $0.5) / 1e6 + 4.32e9 x $4 / 1e6 = $23,760. */
static const char *pd_fleet =
    "{\"name\": \"pd\", \"seed\": 11, \"paths\": 6, \"start\": \"2025-01-01T00:00:00+00:00\",\n"
    " \"horizon_days\": 1, \"output\": {\"interval_s\": 3600, \"store_paths\": 6},\n"
    " \"traffic\": {\"tokens_per_day\": {\"input\": 8.64e9, \"cache_hit_share\": 0.5, "
    "\"output\": 4.32e9},\n"
    "   \"diurnal\": {\"profile\": \"custom\", \"weights\": [1,1,1,1,1,1,1,1,1,1,1,1,3,3,3,3,3,3,"
    "3,3,3,3,3,3]}, \"noise\": {\"sigma\": 0}},\n"
    " \"workload\": {\"classes\": [{\"name\": \"a\", \"input_tokens\": {\"median\": 2000, "
    "\"sigma\": 0.5}, \"output_tokens\": {\"median\": 300, \"sigma\": 0.5}}]},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"serving\": {\"disaggregated\": \"yes\", \"prefill_unit\": 2, \"decode_unit\": 4},\n"
    " \"fleet\": {\"roles\": {\"prefill\": {\"units\": 10, \"measured_tokens_per_s\": 1e4},\n"
    "   \"decode\": {\"units\": 5, \"measured_tokens_per_s\": 2e4}},\n"
    "   \"accelerator_hour_usd\": 2, \"failure_rate_per_hour\": 0},\n"
    " \"economics\": {\"price_input_per_mtok\": 1, \"price_cached_input_per_mtok\": 0.5, "
    "\"price_output_per_mtok\": 4}}\n";

static void test_pd_fleet(void) {
    struct run *r = calloc(2, sizeof *r);
    CHECK(run(pd_fleet, NULL, 0, 1, &r[0]) == 0);
    const struct ic_results *res = &r[0].res;
    CHECK(r[0].plan.roles && r[0].plan.n_pools == 2 && res->n_series == IC_SERIES_ALL &&
          res->n_summary == IC_SUMMARY_ALL);
    CHECK(r[0].plan.pool[0].unit_accels == 2 && r[0].plan.pool[1].unit_accels == 4);
    CHECK(r[0].plan.pool[0].unit_tokens_per_s == 1e4 && r[0].plan.pool[1].unit_tokens_per_s == 2e4);
    for (long p = 0; p < res->store_paths; p++)
        for (long j = 0; j < 24; j++) {
            if (j == 0 || j == 11 || j == 12 || j == 23) continue; /* next to the step */
            int hi = j > 12;
            CHECK(ic_series_row(res, IC_R_PREFILL_NEEDED, p)[j] == (hi ? 8 : 3));
            CHECK(ic_series_row(res, IC_R_DECODE_NEEDED, p)[j] == (hi ? 4 : 2));
            CHECK(ic_series_row(res, IC_R_NODES_NEEDED, p)[j] == (hi ? 4.0f : 1.75f));
            CHECK_NEAR(ic_series_row(res, IC_R_PREFILL_TOKENS, p)[j], hi ? 7.5e4 : 2.5e4, 0.01);
            CHECK_NEAR(ic_series_row(res, IC_R_DECODE_TOKENS, p)[j], hi ? 7.5e4 : 2.5e4, 0.02);
            CHECK_NEAR(ic_series_row(res, IC_R_PREFILL_UTIL, p)[j], hi ? 0.75 : 0.25, 0.01);
            CHECK_NEAR(ic_series_row(res, IC_R_DECODE_UTIL, p)[j], hi ? 0.75 : 0.25, 0.02);
            CHECK(ic_series_row(res, IC_R_PREFILL_COST, p)[j] == 40.0f);
            CHECK(ic_series_row(res, IC_R_DECODE_COST, p)[j] == 40.0f);
            /* the whole prompt's KV (131,072 bytes a token for llama-3.1-8b in bf16) */
            CHECK_NEAR(ic_series_row(res, IC_R_KV_TRANSFER, p)[j],
                       (hi ? 1.5 : 0.5) * 1e5 * 131072 / 1e9, 0.01);
        }
    for (long p = 0; p < res->paths; p++) {
        CHECK(ic_summary_col(res, IC_RM_NODES_PEAK)[p] == 4);
        CHECK(ic_summary_col(res, IC_RM_NODES_MIN)[p] == 1.75);
        CHECK(ic_summary_col(res, IC_RM_PREFILL_PEAK)[p] == 8);
        CHECK(ic_summary_col(res, IC_RM_DECODE_PEAK)[p] == 4);
        CHECK_NEAR(ic_summary_col(res, IC_RM_PREFILL_COST)[p], 960, 1e-9);
        CHECK_NEAR(ic_summary_col(res, IC_RM_DECODE_COST)[p], 960, 1e-9);
        CHECK_NEAR(ic_summary_col(res, IC_M_COST)[p], 1920, 1e-9);
        CHECK_NEAR(ic_summary_col(res, IC_M_REVENUE)[p], 23760, 0.01);
        /* A node at $2 x 8: flat for the peak 4 x 24 h x $16; following the curve, 10 hours at
         * 1.75, 10 at 4 and the four next to the step in between. */
        CHECK_NEAR(ic_summary_col(res, IC_RM_FLAT_COST)[p], 4 * 24 * 16.0, 1e-12);
        double follow = ic_summary_col(res, IC_RM_FOLLOW_COST)[p];
        CHECK(follow >= (10 * 1.75 + 10 * 4 + 4 * 1.75) * 16 - 1e-9 &&
              follow <= (10 * 1.75 + 10 * 4 + 4 * 4) * 16 + 1e-9);
        CHECK_NEAR(ic_summary_col(res, IC_RM_NODES_MEAN)[p], follow / 16 / 24, 1e-12);
        CHECK(ic_summary_col(res, IC_M_OUTAGE)[p] == 0);
    }
    /* The same numbers on 3 threads. */
    CHECK(run(pd_fleet, NULL, 0, 3, &r[1]) == 0);
    CHECK(memcmp(r[0].res.summary, r[1].res.summary,
                 (size_t)IC_SUMMARY_ALL * (size_t)res->paths * sizeof(double)) == 0);
    CHECK(memcmp(r[0].res.bands, r[1].res.bands,
                 (size_t)IC_SERIES_ALL * (size_t)(res->nq + 1) * (size_t)res->nout *
                     sizeof(float)) == 0);
    done(&r[1]);
    /* Too few decode units: decode is the bottleneck, its queue is the fleet's. */
    const char *few[] = {"/fleet/roles/decode/units=3"};
    CHECK(run(pd_fleet, few, 1, 1, &r[1]) == 0);
    CHECK(ic_series_row(&r[1].res, IC_R_DECODE_BACKLOG, 0)[18] > 0);
    CHECK(ic_series_row(&r[1].res, IC_R_PREFILL_BACKLOG, 0)[18] == 0);
    CHECK(ic_series_row(&r[1].res, IC_R_DECODE_NEEDED, 0)[18] == 4); /* needed, not provisioned */
    CHECK(mean_of(&r[1].res, IC_M_OUTAGE) == 1);
    done(&r[1]);
    /* Decode on its own accelerator: its units take the rate the performance model gives the
     * P/D replica on that accelerator (the same as a fleet all on it), prefill keeps the
     * H100's, and each role's cost follows its own accelerator's price. */
    const char *h20[] = {
        "/fleet/roles/decode/accelerator=nvidia_h20", "/fleet/roles/decode/measured_tokens_per_s=0",
        "/fleet/roles/prefill/measured_tokens_per_s=0", "/fleet/accelerator_hour_usd=-1"};
    const char *all_h20[] = {
        "/accelerator=nvidia_h20", "/fleet/roles/decode/measured_tokens_per_s=0",
        "/fleet/roles/prefill/measured_tokens_per_s=0", "/fleet/accelerator_hour_usd=-1"};
    const char *all_h100[] = {"/fleet/roles/decode/measured_tokens_per_s=0",
                              "/fleet/roles/prefill/measured_tokens_per_s=0",
                              "/fleet/accelerator_hour_usd=-1"};
    struct run *m = calloc(3, sizeof *m);
    CHECK(run(pd_fleet, h20, 4, 1, &m[0]) == 0);
    CHECK(run(pd_fleet, all_h20, 4, 1, &m[1]) == 0);
    CHECK(run(pd_fleet, all_h100, 3, 1, &m[2]) == 0);
    CHECK(strcmp(m[0].plan.pool[1].accel->key, "nvidia_h20") == 0 &&
          strcmp(m[0].plan.pool[0].accel->key, "nvidia_h100_sxm") == 0);
    CHECK(m[0].plan.pool[1].unit_tokens_per_s == m[1].plan.pool[1].unit_tokens_per_s);
    CHECK(m[0].plan.pool[0].unit_tokens_per_s == m[2].plan.pool[0].unit_tokens_per_s);
    CHECK(m[0].plan.pool[1].unit_tokens_per_s != m[2].plan.pool[1].unit_tokens_per_s);
    CHECK(m[0].plan.pool[1].capex_per_h == m[1].plan.pool[1].capex_per_h &&
          m[0].plan.pool[1].capex_per_h != m[2].plan.pool[1].capex_per_h);
    CHECK(m[0].plan.pool[0].capex_per_h == m[2].plan.pool[0].capex_per_h);
    for (int i = 0; i < 3; i++) done(&m[i]);
    free(m);
    done(&r[0]);
    free(r);
}

/* The measured service curve (sim/engine/svccurve.h): what the plan holds, the cache, and what
 * the fluid step takes from it. */
static void test_service_curve(void) {
    struct run a, b, c;
    CHECK(run(busy, NULL, 0, 2, &a) == 0); /* closed form (run() sets it) */
    const struct ic_pool_service *s0 = &a.plan.pool[0].svc;
    CHECK(s0->mode == IC_CURVE_CLOSED_FORM);
    CHECK(s0->rps == a.plan.pool[0].perf.requests_per_s && s0->scale == 1.0);
    CHECK(s0->slo_util == a.plan.pool[0].perf.ttft_rho);

    struct ic_error err = {0};
    struct ic_plan p1, p2, p3;
    a.sc.service_curve.mode = IC_CURVE_MEASURED;
    CHECK(ic_plan_compile(&a.sc, &p1, &err) == 0);
    const struct ic_pool_service *m = &p1.pool[0].svc;
    CHECK(m->mode == IC_CURVE_MEASURED);
    CHECK(m->rps > 0 && m->sat_rps == m->rps);
    CHECK_NEAR(m->scale, m->rps / p1.pool[0].perf.requests_per_s, 1e-12);
    CHECK(m->slo_util >= 0 && m->slo_util <= 1);
    CHECK(m->requests >= 10 * a.sc.service_curve.requests);
    /* its memory: the largest run's requests, counted in the plan's estimate (the larger of
     * the curve's and the engine's); none for the closed form */
    CHECK(m->run_max > 0 && m->run_max <= m->requests);
    CHECK(ic_curve_run_bytes(m) >= (double)m->run_max * (double)sizeof(struct ic_request));
    CHECK(ic_curve_run_bytes(s0) == 0);
    CHECK(ic_plan_memory_bytes(&p1, 1, 1) >= ic_curve_run_bytes(m));
    for (int k = 0; k < IC_CURVE_POINTS; k++) {
        CHECK(m->good_share[k] >= 0 && m->good_share[k] <= 1);
        CHECK(m->ttft_p50_s[k] > 0 && m->ttft_p99_s[k] >= m->ttft_p50_s[k]);
        CHECK(m->tpot_p50_s[k] > 0);
    }
    /* the batch fills with the load: TTFT and TPOT grow from 10% to 95% */
    CHECK(m->ttft_mean_s[IC_CURVE_POINTS - 1] > m->ttft_mean_s[2]);
    CHECK(m->tpot_p50_s[IC_CURVE_POINTS - 1] > m->tpot_p50_s[2]);
    CHECK(m->good_sat >= 0 && m->good_sat <= 1);
    /* The TTFT's distribution: ascending by level at every load, its median the curve's p50
     * (the 10th level is 0.50), its 0.99 level the p99; the backlog's wait ratio and rest
     * measured (busy has patience: a backlog over capacity) and ascending. */
    CHECK(ic_ttft_q_level(10) == 0.5 && ic_ttft_q_level(IC_TTFT_QN - 1) == 0.99);
    for (int k = 0; k < IC_CURVE_POINTS; k++) {
        CHECK_NEAR(m->ttft_q_s[10][k], m->ttft_p50_s[k], 1e-9 * m->ttft_p50_s[k]);
        CHECK_NEAR(m->ttft_q_s[IC_TTFT_QN - 1][k], m->ttft_p99_s[k], 1e-9 * m->ttft_p99_s[k]);
        for (int l = 1; l < IC_TTFT_QN; l++) CHECK(m->ttft_q_s[l][k] >= m->ttft_q_s[l - 1][k]);
    }
    /* the backlog's table: ascending by level at every wait, and by wait at every level (a
     * request's wait over the fluid wait is not negative), the TTFT at no wait the rest's */
    CHECK(m->backlog_q_s[IC_TTFT_QN - 1][0] > 0 && m->backlog_q_s[0][0] >= 0);
    for (int k = 0; k < IC_WAIT_POINTS; k++)
        for (int l = 1; l < IC_TTFT_QN; l++) {
            CHECK(m->backlog_q_s[l][k] >= m->backlog_q_s[l - 1][k]);
            if (k > 0) CHECK(m->backlog_q_s[l][k] >= m->backlog_q_s[l][k - 1]);
        }
    /* A step's goodput with a backlog: the share of the TPOT-good within the TTFT objective
     * falls as the wait grows (all of them with no wait, none with a wait of many times the
     * objective), and the closed form's step function is kept. */
    {
        const double slo = 2.0 * m->backlog_q_s[IC_TTFT_QN - 1][0] + 1.0, rate = 10.0;
        double g0 = ic_curve_good(m, 100, 1.0, 1e-9, 1e-9, 600, 600, rate, slo);
        double g1 =
            ic_curve_good(m, 100, 1.0, 0.5 * slo * rate, 0.5 * slo * rate, 600, 600, rate, slo);
        double g2 =
            ic_curve_good(m, 100, 1.0, 1e6 * slo * rate, 1e6 * slo * rate, 600, 600, rate, slo);
        CHECK_NEAR(g0, 100 * m->good_sat, 1e-9);
        CHECK(g1 <= g0 && g2 <= g1 && g2 < 0.05 * 100);
        CHECK(ic_curve_good(s0, 100, 1.0, 2.0 * slo * rate, 2.0 * slo * rate, 600, 600, rate,
                            slo) == 0.0);
        CHECK(ic_curve_good(s0, 100, 1.0, 0.5 * slo * rate, 0.5 * slo * rate, 600, 600, rate,
                            slo) == 100 * s0->good_sat);
        double q[IC_TTFT_QN];
        CHECK(ic_curve_backlog_q(s0, 1.0, q) == -1 && ic_curve_ttft_q(s0, 0.5, q) == -1);
        CHECK(ic_curve_ttft_q(m, 0.5, q) == 0);
        /* the levels back, strictly between the first and last; all at and over the last */
        for (int l = 1; l < IC_TTFT_QN - 1; l++)
            if (q[l] > q[l - 1] && q[l + 1] > q[l])
                CHECK_NEAR(ic_ttft_q_cdf(q, 1.0, 0.0, q[l]), ic_ttft_q_level(l), 1e-9);
        CHECK(ic_ttft_q_cdf(q, 1.0, 0.0, q[IC_TTFT_QN - 1]) == 1.0);
        CHECK(ic_ttft_q_cdf(q, 1.0, 0.0, 0.5 * q[0]) == 0.0);
    }
    /* The group: the fleet's replicas to the nearest of 8, 16, 32, 64 on a log scale (the
     * boundaries at 8 sqrt 2 = 11.3, 22.6, 45.3), no fewer than /service_curve/replicas; a
     * replica of attention ranks measured alone keeps the base. */
    struct ic_req_input rin;
    CHECK(ic_plan_req_input(&p1, 0, &rin, &err) == 0);
    CHECK(m->group == ic_curve_group(&rin.rm, 8, rin.replicas));
    {
        static const long fleet[][2] = {{1, 8},   {8, 8},   {11, 8},  {12, 16},   {22, 16},
                                        {23, 32}, {45, 32}, {46, 64}, {1000, 64}, {100000, 64}};
        for (size_t i = 0; i < sizeof fleet / sizeof fleet[0]; i++)
            CHECK(ic_curve_group(&rin.rm, 8, fleet[i][0]) == fleet[i][1]);
        CHECK(ic_curve_group(&rin.rm, 100, 1000) == 100 && ic_curve_group(&rin.rm, 5, 12) == 10);
        struct ic_replica_model rk = rin.rm;
        rk.ranks = 40; /* more than the base: measured alone */
        CHECK(ic_curve_group(&rk, 8, 1000) == 8);
        rk.ranks = 4; /* a group of replicas of 4 ranks */
        CHECK(ic_curve_group(&rk, 8, 1000) == 64);
    }
    /* The same inputs: from the cache, the same curve; another fleet size of the same group
     * too (the curve is per replica), of another group measured again; another mix measures
     * again. */
    CHECK(ic_plan_compile(&a.sc, &p2, &err) == 0);
    CHECK(p2.pool[0].svc.measure_s == 0 && p2.pool[0].svc.key == m->key);
    CHECK(memcmp(p2.pool[0].svc.ttft_p50_s, m->ttft_p50_s, sizeof m->ttft_p50_s) == 0);
    CHECK(p2.pool[0].svc.rps == m->rps);
    struct ic_scenario s3 = a.sc;
    uint64_t seen[5] = {m->key};
    for (int f = 2, n = 1; f <= 16; f *= 2, n++) {
        s3.fleet.accelerators.a = a.sc.fleet.accelerators.a * f;
        CHECK(ic_plan_compile(&s3, &p3, &err) == 0);
        struct ic_req_input r3;
        CHECK(ic_plan_req_input(&p3, 0, &r3, &err) == 0);
        const int same = ic_curve_group(&r3.rm, 8, r3.replicas) == m->group;
        CHECK(p3.pool[0].svc.group == ic_curve_group(&r3.rm, 8, r3.replicas));
        CHECK((p3.pool[0].svc.key == m->key) == same);
        int before = 0; /* measured at an earlier fleet size: from the cache */
        for (int i = 0; i < n; i++) before |= seen[i] == p3.pool[0].svc.key;
        CHECK((p3.pool[0].svc.measure_s == 0) == before);
        seen[n] = p3.pool[0].svc.key;
        ic_plan_free(&p3);
    }
    s3 = a.sc;
    s3.service_curve.requests = 2000;
    CHECK(ic_plan_compile(&s3, &p3, &err) == 0);
    CHECK(p3.pool[0].svc.key != m->key && p3.pool[0].svc.measure_s > 0);
    ic_plan_free(&p3);
    /* Bursts within a step are the curve's: another key, measured again, and the requests
     * queue longer at the same utilisation. */
    s3 = a.sc;
    s3.traffic.noise.interarrival_cv = 3.0;
    CHECK(ic_plan_compile(&s3, &p3, &err) == 0);
    CHECK(p3.pool[0].svc.key != m->key && p3.pool[0].svc.measure_s > 0);
    ic_plan_free(&p3);
    /* on a group of the same size, the bursts queue: the median TTFT is longer */
    struct ic_plan p4;
    s3.service_curve.replicas = 16;
    CHECK(ic_plan_compile(&s3, &p3, &err) == 0);
    s3.traffic.noise.interarrival_cv = 1.0;
    CHECK(ic_plan_compile(&s3, &p4, &err) == 0);
    const int k90 = (IC_CURVE_POINTS - 1) * 9 / 10; /* at 90% utilisation: 1.30 times */
    CHECK(p3.pool[0].svc.ttft_p50_s[k90] > 1.15 * p4.pool[0].svc.ttft_p50_s[k90]);
    ic_plan_free(&p3);
    ic_plan_free(&p4);
    /* The closed-form flag whatever the mode. */
    CHECK(ic_plan_compile_ex(&a.sc, IC_PLAN_CLOSED_FORM, &p3, &err) == 0);
    CHECK(p3.pool[0].svc.mode == IC_CURVE_CLOSED_FORM);
    ic_plan_free(&p3);

    /* The engine serves by it: the replica's rate, goodput no more than served. */
    CHECK(ic_results_alloc(&p1, &b.res, &err) == 0);
    struct ic_run_opts ro = {.threads = 2};
    CHECK(ic_engine_run(&p1, &ro, &b.res, &err) == 0);
    CHECK(ic_results_reduce(&p1, &b.res, &err) == 0);
    double served = 0, good = 0;
    for (long p = 0; p < b.res.paths; p++) {
        CHECK(ic_summary_col(&b.res, IC_M_REPLICA_RPS)[p] == m->rps);
        double g = ic_summary_col(&b.res, IC_M_GOOD)[p],
               sv = ic_summary_col(&b.res, IC_M_SERVED)[p];
        CHECK(g >= 0 && g <= sv * (1 + 1e-12));
        served += sv;
        good += g;
    }
    CHECK(good > 0 && good < served); /* busy: some steps over capacity */
    /* Same numbers at another thread count (the curve is measured once, the same). */
    CHECK(ic_results_alloc(&p2, &c.res, &err) == 0);
    ro.threads = 1;
    CHECK(ic_engine_run(&p2, &ro, &c.res, &err) == 0);
    CHECK(memcmp(c.res.summary, b.res.summary,
                 sizeof(double) * (size_t)IC_SUMMARY_COUNT * (size_t)b.res.paths) == 0);
    ic_results_free(&b.res);
    ic_results_free(&c.res);
    ic_plan_free(&p1);
    ic_plan_free(&p2);
    done(&a);
}

/* The gamma renewal process of ic_renewal_arrivals: as many arrivals as the steps' means, the
 * inter-arrival times' coefficient of variation the one asked for (1: Poisson), and in a step
 * of twice the mean, twice the arrivals; ascending, deterministic for a stream. */
static void test_renewal_arrivals(void) {
    enum { NS = 400 };
    double mean[NS];
    for (int j = 0; j < NS; j++) mean[j] = j % 2 ? 200.0 : 100.0; /* 60,000 expected */
    const double cvs[] = {1.0, 0.5, 3.0};
    for (int c = 0; c < 3; c++) {
        struct ic_rng g, g2;
        ic_rng_init(&g, 7, 2, IC_STREAM_REQUESTS, 5);
        g2 = g;
        double *t = NULL, *t2 = NULL;
        long n = 0, n2 = 0;
        CHECK(ic_renewal_arrivals(cvs[c], mean, NS, 60.0, 60.0 * NS, &g, &t, &n) == 0);
        CHECK(ic_renewal_arrivals(cvs[c], mean, NS, 60.0, 60.0 * NS, &g2, &t2, &n2) == 0);
        CHECK(n == n2 && memcmp(t, t2, (size_t)n * sizeof *t) == 0);
        /* the count: sd about cv sqrt(60000) */
        CHECK(fabs((double)n - 60000.0) < 5.0 * cvs[c] * sqrt(60000.0));
        long odd = 0, ordered = 1;
        for (long i = 0; i < n; i++) {
            odd += ((long)(t[i] / 60.0)) % 2;
            if (i > 0 && t[i] < t[i - 1]) ordered = 0;
        }
        CHECK(ordered && t[0] >= 0 && t[n - 1] < 60.0 * NS);
        CHECK_NEAR((double)odd / (double)(n - odd), 2.0, 0.1);
        /* the gaps in expected arrivals (the process's own time): mean 1, the CV asked for */
        double s1 = 0, s2 = 0, prev = 0;
        for (long i = 0; i < n; i++) {
            long j = (long)(t[i] / 60.0);
            double lam = 150.0 * (double)(j - j % 2) + (j % 2 ? 100.0 : 0.0) +
                         mean[j] * (t[i] / 60.0 - (double)j);
            if (i > 0) {
                s1 += lam - prev;
                s2 += (lam - prev) * (lam - prev);
            }
            prev = lam;
        }
        double mu = s1 / (double)(n - 1), cv = sqrt(s2 / (double)(n - 1) - mu * mu) / mu;
        CHECK_NEAR(mu, 1.0, 0.05);
        CHECK_NEAR(cv, cvs[c], 0.1);
        free(t);
        free(t2);
    }
}

/* The step's count with /traffic/noise/interarrival_cv: flat demand of m = 400 requests a
 * one-minute step, no noise, one output interval a step; over 8 stored paths x 2,880 steps the
 * count's mean is m and its variance cv^2 m (a stationary renewal process, models/traffic.h),
 * plus d m^2 with over-dispersion d.  The sampling error of a variance over 23,040 steps is
 * under 1.5% (sqrt(2 / n) for a near-normal count; the negative binomial's excess kurtosis at
 * these shapes is under 0.1): 6% is four of them, and Poisson's m (cv 1) is 3 to 9 x off for
 * the cv's tried.  Each classes' count (two classes, 1 : 3) keeps its share of the mean.  The
 * same numbers at 1 and 3 threads. */
static void test_step_count_variance(void) {
    const char *flat =
        "{\"name\": \"v\", \"seed\": 77, \"paths\": 8, \"start\": \"2024-01-01T00:00:00Z\", "
        "\"horizon_days\": 2, \"step_s\": 60, \"output\": {\"interval_s\": 60, \"store_paths\": 8},"
        " \"traffic\": {\"growth\": {\"initial\": 57600}, \"requests_per_user_per_day\": 10, "
        "\"diurnal\": {\"profile\": \"flat\"}, \"noise\": {\"sigma\": 0}},\n"
        " \"workload\": {\"classes\": [{\"name\": \"a\", \"share\": 1}, {\"name\": \"b\", "
        "\"share\": 3}]},\n"
        " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\", \"fleet\": "
        "{\"accelerators\": 1000, \"failure_rate_per_hour\": 0}}";
    const double m = 400.0;
    const struct {
        const char *cv, *d;
        double var;
    } cases[] = {
        {"/traffic/noise/interarrival_cv=1", "/traffic/noise/arrival_dispersion=0", m},
        {"/traffic/noise/interarrival_cv=3", "/traffic/noise/arrival_dispersion=0", 9 * m},
        {"/traffic/noise/interarrival_cv=0.5", "/traffic/noise/arrival_dispersion=0", 0.25 * m},
        {"/traffic/noise/interarrival_cv=2", "/traffic/noise/arrival_dispersion=0.01",
         4 * m + 0.01 * m * m},
        {"/traffic/noise/interarrival_cv=0.3", "/traffic/noise/arrival_dispersion=0.01",
         0.09 * m + 0.01 * m * m},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *sets[] = {cases[c].cv, cases[c].d};
        struct run r, r3;
        CHECK(run(flat, sets, 2, 1, &r) == 0);
        CHECK(run(flat, sets, 2, 3, &r3) == 0);
        const long no = r.res.nout;
        CHECK(no == 2880 && r.res.store_paths == 8);
        double s1 = 0, s2 = 0, sa = 0, n = 0;
        for (long p = 0; p < r.res.store_paths; p++)
            for (long j = 0; j < no; j++) {
                double k = (double)ic_series_row(&r.res, IC_S_ARRIVALS, p)[j] * 60.0;
                s1 += k;
                s2 += k * k;
                sa += (double)ic_class_row(&r.res, 0, p)[j] * 60.0;
                n += 1;
            }
        double mean = s1 / n, var = s2 / n - mean * mean;
        CHECK(fabs(mean - m) < 5.0 * sqrt(cases[c].var / n));
        CHECK(fabs(var / cases[c].var - 1.0) < 0.06);
        CHECK(fabs(sa / s1 - 0.25) < 0.005);
        CHECK(memcmp(r.res.series, r3.res.series,
                     (size_t)r.res.n_series * 8 * (size_t)no * sizeof(float)) == 0);
        if (fabs(var / cases[c].var - 1.0) >= 0.06)
            fprintf(stderr, "%s %s: mean %g variance %g, expected %g\n", cases[c].cv, cases[c].d,
                    mean, var, cases[c].var);
        done(&r);
        done(&r3);
    }
    /* The request engine's gamma renewal process (svccurve.c) has that variance per step too:
     * the engine's count and the requests it stands for agree (cv 3 and 0.5; 4,000 steps, so
     * 10% is over four standard errors). */
    enum { NS = 4000 };
    double *mean = malloc(NS * sizeof *mean);
    long *cnt = calloc(NS, sizeof *cnt);
    for (int j = 0; j < NS; j++) mean[j] = m;
    const double cvs[] = {3.0, 0.5};
    for (int c = 0; c < 2 && mean && cnt; c++) {
        struct ic_rng g;
        ic_rng_init(&g, 11, 2, IC_STREAM_REQUESTS, 9);
        double *t = NULL;
        long n = 0;
        CHECK(ic_renewal_arrivals(cvs[c], mean, NS, 60.0, 60.0 * NS, &g, &t, &n) == 0);
        memset(cnt, 0, NS * sizeof *cnt);
        for (long i = 0; i < n; i++) cnt[(long)(t[i] / 60.0)]++;
        double s1 = 0, s2 = 0;
        for (int j = 0; j < NS; j++) s1 += (double)cnt[j], s2 += (double)cnt[j] * (double)cnt[j];
        double mu = s1 / NS, var = s2 / NS - mu * mu;
        CHECK_NEAR(var / (cvs[c] * cvs[c] * m), 1.0, 0.1);
        free(t);
    }
    free(mean);
    free(cnt);
}

/* The backlog's table from pairs, by hand: three requests whose waits over the fluid wait are
 * 0, 1 and 2 and whose rest of the TTFT is 2.56, 1.28 and 0 s (the shortest wait with the
 * longest rest).  At the table's wait of 1.28 s (k = 8: 10 ms x 2^7) all three take 2.56 s, so
 * every quantile is 2.56 (taken quantile by quantile, comonotone, the median would be the same
 * but the 1% level 0.051 s and the 99% 5.07 s); at 2.56 s (k = 9) they take 2.56, 3.84 and
 * 5.12 s: the median 3.84, the 99% 3.84 + 0.98 x 1.28 (ic_quantile_sorted's linear rule); at
 * 0 the rest's own.  Between the waits, linear: at 1.92 s the median 3.2 s, which three
 * requests at 1.92 s take exactly (2.56, 3.2, 3.84). */
static void test_backlog_table(void) {
    const double r[3] = {0, 1, 2}, v[3] = {2.56, 1.28, 0};
    static struct ic_pool_service m;
    memset(&m, 0, sizeof m);
    m.mode = IC_CURVE_MEASURED;
    CHECK(ic_backlog_wait_s(8) == 1.28 && ic_backlog_wait_s(9) == 2.56);
    CHECK(ic_backlog_table(r, v, 3, m.backlog_q_s) == 0);
    for (int l = 0; l < IC_TTFT_QN; l++) CHECK_NEAR(m.backlog_q_s[l][8], 2.56, 1e-12);
    CHECK_NEAR(m.backlog_q_s[10][9], 3.84, 1e-12);
    CHECK_NEAR(m.backlog_q_s[IC_TTFT_QN - 1][9], 3.84 + 0.98 * 1.28, 1e-12);
    CHECK_NEAR(m.backlog_q_s[10][0], 1.28, 1e-12);
    double q[IC_TTFT_QN];
    CHECK(ic_curve_backlog_q(&m, 1.92, q) == 0);
    CHECK_NEAR(q[10], 3.2, 1e-12);
    CHECK_NEAR(q[0], 0.5 * (2.56 + 2.56 + 0.02 * 1.28), 1e-12);
    /* past the last wait: on the line through the last two (slope: the median ratio, 1) */
    const double wl = ic_backlog_wait_s(IC_WAIT_POINTS - 1);
    CHECK(ic_curve_backlog_q(&m, 2 * wl, q) == 0);
    CHECK_NEAR(q[10], 2 * wl + 1.28, 1e-9 * wl);
    /* all within an objective of 2.6 s at 1.28 s (the comonotone sum: 51% of them) */
    CHECK(ic_curve_backlog_q(&m, 1.28, q) == 0);
    CHECK(ic_ttft_q_cdf(q, 1.0, 0.0, 2.6) == 1.0);
    /* no pairs: the table is left as it was; no table: none */
    CHECK(ic_backlog_table(r, v, 0, m.backlog_q_s) == 0 && m.backlog_q_s[10][9] == 3.84);
    memset(m.backlog_q_s, 0, sizeof m.backlog_q_s);
    CHECK(ic_curve_backlog_q(&m, 1.0, q) == -1);
}

/* The fluid tables by hand (over-dispersed arrivals, sim/engine/svccurve.h).  The fluid wait
 * in a step: 0 to 60 requests at 5 a second is 6 s halfway; a step that drains 60 requests
 * at 180 net a step is empty a third of the way in, 6 s at a sixth.  The table: 100 requests
 * at waits near 1.28 s (k = 8) with TTFTs 0, 0.01, ... 0.99 s, 60 of them good, and 200 near
 * 5.12 s (k = 10) with 5, 5.01, ... 6.99 s, all good; 50 near 20 s are under the bin's minimum
 * of 100 and left out.  Medians 0.495 and 5.995 (ic_quantile_sorted's linear rule); k = 9 half
 * way (3.245, good 0.8); under k = 8 as k = 8; over k = 10 its quantiles plus the added wait
 * (k = 11: 5.995 + 5.12) and its good share.  A step from 0 to 2.56 s of wait (rate 1) is read
 * at the midpoints of eighths, 0.16 to 2.4 s: the first part's median 0.495, the last's
 * 0.495 + 0.875 x 2.75; its good share the mean of the row at those waits, 0.65.  A step that
 * drains 15 requests at 30 net (arrivals 30, capacity 60) waits in its first half (13.125,
 * 9.375, 5.625 and 1.875 s: good 1, 1, 1 and 0.6 + 0.2 x 0.595 / 1.28) and in the second has
 * the curve's good share at 30 / 60 (0.9 here); the draining table is empty, so the rising one
 * stands in. */
static void test_fluid_table(void) {
    CHECK_NEAR(ic_fluid_wait_at(0, 60, 360, 300, 5, 0.5), 6.0, 1e-12);
    CHECK_NEAR(ic_fluid_wait_at(60, 0, 120, 300, 5, 1.0 / 6.0), 6.0, 1e-12);
    CHECK(ic_fluid_wait_at(60, 0, 120, 300, 5, 0.5) == 0.0);
    CHECK(ic_fluid_wait_at(0, 0, 10, 300, 5, 0.5) == 0.0);
    enum { N = 350 };
    static double w[N], t[N];
    static unsigned char ok[N];
    for (int i = 0; i < 100; i++) w[i] = 1.3, t[i] = 0.01 * (99 - i), ok[i] = i < 60;
    for (int i = 0; i < 200; i++) w[100 + i] = 5.0, t[100 + i] = 5.0 + 0.01 * i, ok[100 + i] = 1;
    for (int i = 0; i < 50; i++) w[300 + i] = 20.0, t[300 + i] = 100.0, ok[300 + i] = 0;
    static struct ic_pool_service m;
    memset(&m, 0, sizeof m);
    m.mode = IC_CURVE_MEASURED;
    CHECK(!ic_curve_fluid(&m));
    CHECK(ic_fluid_table(w, t, ok, N, m.rise_q_s, m.rise_good) == 0);
    CHECK(ic_curve_fluid(&m));
    CHECK_NEAR(m.rise_q_s[10][8], 0.495, 1e-12);
    CHECK_NEAR(m.rise_q_s[10][10], 5.995, 1e-12);
    CHECK_NEAR(m.rise_q_s[10][9], 3.245, 1e-12);
    CHECK_NEAR(m.rise_q_s[10][11], 5.995 + 5.12, 1e-12);
    CHECK_NEAR(m.rise_q_s[0][3], m.rise_q_s[0][8], 1e-15);
    CHECK_NEAR(m.rise_q_s[10][0], 0.495, 1e-12);
    CHECK_NEAR(m.rise_good[8], 0.6, 1e-12);
    CHECK_NEAR(m.rise_good[9], 0.8, 1e-12);
    CHECK_NEAR(m.rise_good[0], 0.6, 1e-12);
    CHECK_NEAR(m.rise_good[14], 1.0, 1e-12);
    for (int k = 0; k < IC_WAIT_POINTS; k++)
        for (int l = 1; l < IC_TTFT_QN; l++) CHECK(m.rise_q_s[l][k] >= m.rise_q_s[l - 1][k]);
    for (int k = 0; k < IC_CURVE_POINTS; k++) m.good_share[k] = 0.9;
    double q[IC_STEP_PARTS][IC_TTFT_QN];
    CHECK(ic_curve_step_q(&m, 0, 2.56, 62.56, 60, 1, 1.0, q) == IC_STEP_PARTS);
    CHECK_NEAR(q[0][10], 0.495, 1e-12);
    CHECK_NEAR(q[IC_STEP_PARTS - 1][10], 0.495 + 0.875 * 2.75, 1e-12);
    CHECK_NEAR(ic_curve_good(&m, 100, 1.0, 0, 2.56, 62.56, 60, 1, 10), 65.0, 1e-9);
    const double g = (3.0 + 0.6 + 0.2 * (1.875 - 1.28) / 1.28 + 4 * 0.9) / 8;
    CHECK_NEAR(ic_curve_good(&m, 100, 0.75, 15, 0, 30, 60, 1, 10), 100 * g, 1e-9);
    /* no backlog at either end: one part, the curve at the step's utilisation (none here) */
    CHECK(ic_curve_step_q(&m, 0, 0, 30, 60, 1, 0.5, q) == 0);
    /* no bin full enough: no table */
    CHECK(ic_fluid_table(w + 300, t + 300, ok + 300, 50, m.rise_q_s, m.rise_good) == 0);
    CHECK(!ic_curve_fluid(&m) && m.rise_good[12] == 0.0);
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    test_failures();
    test_fluid_table();
    test_failures_counted_once();
    test_reduce_infinite();
    test_reduce_bounds();
    test_demand_overflow();
    test_zero_requests_per_user();
    test_no_replica();
    test_autoscale_floor();
    test_autoscaling();
    test_pools_and_economics();
    test_determinism();
    test_blocks();
    test_known_probability();
    test_arrivals();
    test_funnel();
    test_retry_storm_and_churn();
    test_mix_event();
    test_fitted_growth();
    test_perf_v2_fields();
    test_replica_without_plan();
    test_pd_fleet();
    test_service_curve();
    test_backlog_table();
    test_renewal_arrivals();
    test_step_count_variance();
    ic_catalog_free(&cat);
    return check_report("test_engine");
}
