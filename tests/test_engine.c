/* test_engine.c: the Monte Carlo driver: determinism across thread counts, the expected
 * arrivals of the demand chain, failures in steady state, conservation of requests, and
 * outage detection at the extremes of capacity. */
#include "catalog_io.h"
#include "check.h"
#include "engine.h"

static struct ic_catalog cat;

struct run {
    struct ic_scenario sc;
    struct ic_plan plan;
    struct ic_results res;
};

static int run(const char *text, const char *const *sets, int nsets, int threads, struct run *r) {
    struct ic_error err = {0};
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {sets, nsets};
    int rc = ic_scenario_load_string(text, "e.json", &o, &cat, &r->sc, &d, &err);
    for (size_t i = 0; i < d.count; i++) fprintf(stderr, "%s\n", d.msgs[i]);
    ic_diag_free(&d);
    if (rc) return rc;
    struct ic_run_opts ro = {threads, NULL, NULL};
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
    " \"traffic\": {\"growth\": {\"model\": \"logistic\", \"initial_users\": {\"dist\": "
    "\"lognormal\", \"median\": 300000, \"sigma\": 0.3},\n"
    "   \"rate_per_day\": {\"dist\": \"uniform\", \"min\": 0.1, \"max\": 0.5}, \"capacity_users\": "
    "2000000},\n"
    "   \"events\": [{\"start\": \"2024-03-18T20:00:00+08:00\", \"peak_multiplier\": {\"dist\": "
    "\"triangular\", \"min\": 1, \"mode\": 2, \"max\": 4}}]},\n"
    " \"workload\": {\"classes\": [{\"name\": \"a\", \"share\": 3}, {\"name\": \"b\", \"share\": "
    "{\"dist\": \"choice\", \"values\": [0.5, 1, 2]}, \"input_tokens\": {\"median\": 8000}}]},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"fleet\": {\"accelerators\": {\"dist\": \"uniform\", \"min\": 20, \"max\": 60}, "
    "\"failure_rate_per_hour\": 0.002}}\n";

static void test_determinism(void) {
    struct run *a = calloc(3, sizeof *a);
    for (int t = 0; t < 3; t++) CHECK(run(busy, NULL, 0, t + 1, &a[t]) == 0);
    size_t ns = (size_t)IC_SERIES_COUNT * 37 * (size_t)a[0].res.nout * sizeof(float);
    size_t nm = (size_t)IC_SUMMARY_COUNT * 37 * sizeof(double);
    size_t ni = (size_t)a[0].res.n_inputs * 37 * sizeof(double);
    size_t nb = (size_t)IC_SERIES_COUNT * 5 * (size_t)a[0].res.nout * sizeof(float);
    for (int t = 1; t < 3; t++) {
        CHECK(memcmp(a[0].res.series, a[t].res.series, ns) == 0);
        CHECK(memcmp(a[0].res.summary, a[t].res.summary, nm) == 0);
        CHECK(memcmp(a[0].res.inputs, a[t].res.inputs, ni) == 0);
        CHECK(memcmp(a[0].res.bands, a[t].res.bands, nb) == 0);
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
    for (int t = 0; t < 3; t++) done(&a[t]);
    free(a);
}

/* Flat demand, no noise, no events: expected arrivals are U0 x requests/user/day x days. */
static void test_arrivals(void) {
    const char *flat =
        "{\"name\": \"f\", \"paths\": 64, \"start\": \"2024-01-01T00:00:00Z\", \"horizon_days\": "
        "3, \"traffic\": {\"growth\": {\"initial_users\": 123456}, \"requests_per_user_per_day\": "
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

    /* No capacity at all: every path is in outage from the first steps. */
    const char *none[] = {"/fleet/accelerators=0"};
    CHECK(run(flat, none, 1, 1, &r) == 0);
    CHECK(r.res.head.outages == r.res.paths && r.res.head.p_hi == 1.0);
    CHECK(r.res.head.first_outage_q[1] == 0);
    CHECK(mean_of(&r.res, IC_M_SERVED) == 0);
    done(&r);
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    test_determinism();
    test_arrivals();
    ic_catalog_free(&cat);
    return check_report("test_engine");
}
