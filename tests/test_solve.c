/* test_solve.c: the capacity solver.  The answer is checked against fresh engine runs (P-hat at
 * the answer at or under P, one step below above it), the 95% range against the Wilson
 * intervals at its ends and one step below them, the answer is the same at 1 and 2 threads,
 * a sweep over two accelerators gives what each single solve gives, a failing sweep point
 * leaves the others alone, and bad options are refused with messages naming them. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "sim/engine/engine.h"
#include "sim/drivers/solve.h"
#include "sim/core/stats.h"

static struct ic_catalog cat;

/* Llama 3.1 8B on H100s for two days of lognormal demand around 2M daily users: the answer
 * at P = 0.1 is some tens of accelerators (one per replica). */
static const char *scen =
    "{\"name\": \"solve-test\", \"seed\": 4711, \"paths\": 400, \"start\": "
    "\"2025-03-03T00:00:00+08:00\",\n"
    " \"horizon_days\": 2, \"step_s\": 300, \"output\": {\"interval_s\": 3600, \"store_paths\": "
    "0},\n"
    " \"traffic\": {\"growth\": {\"initial\": {\"dist\": \"lognormal\", \"median\": 2000000, "
    "\"sigma\": 0.25},\n"
    "   \"rate_per_day\": {\"dist\": \"uniform\", \"min\": 0, \"max\": 0.05}}, \"diurnal\": "
    "{\"profile\": \"cn-consumer\"}},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"fleet\": {\"accelerators\": 16, \"failure_rate_per_hour\": 0.001}}\n";

static struct ic_solve_problem problem(const char *pointer, double P, int threads) {
    struct ic_solve_problem pb = {.text = scen,
                                  .label = "s.json",
                                  .cat = &cat,
                                  .pointer = pointer,
                                  .max_outage_prob = P,
                                  .threads = threads};
    return pb;
}

/* An independent evaluation: a fresh load, compile, run and reduction, counting through the
 * headline (not the solver's own loop).  Returns the outage count, or -1. */
static long fresh_outages(const char *const *extra, int n_extra, const char *field, double v,
                          long *paths) {
    char set[128];
    snprintf(set, sizeof set, "%s=%.17g", field, v);
    const char *sets[8];
    int n = 0;
    for (int i = 0; i < n_extra && n < 7; i++) sets[n++] = extra[i];
    sets[n++] = set;
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_error err = {0};
    struct ic_diag d;
    ic_diag_init(&d);
    struct ic_load_opts o = {.sets = sets, .n_sets = n};
    long k = -1;
    if (sc && ic_scenario_load_string(scen, "s.json", &o, &cat, sc, &d, &err) == IC_OK) {
        struct ic_plan plan;
        struct ic_results res;
        if (ic_plan_compile(sc, &plan, &err) == IC_OK) {
            struct ic_run_opts ro = {.threads = 2};
            if (ic_results_alloc(&plan, &res, &err) == IC_OK) {
                if (ic_engine_run(&plan, &ro, &res, &err) == IC_OK &&
                    ic_results_reduce(&plan, &res, &err) == IC_OK) {
                    k = res.head.outages;
                    *paths = res.head.paths;
                }
                ic_results_free(&res);
            }
            ic_plan_free(&plan);
        }
    }
    for (size_t i = 0; i < d.count; i++) fprintf(stderr, "%s\n", d.msgs[i]);
    if (k < 0) fprintf(stderr, "fresh evaluation failed: %s\n", err.msg);
    ic_diag_free(&d);
    free(sc);
    return k;
}

static void wilson(long k, long n, double *lo, double *hi) {
    ic_wilson(k, n, 1.959963984540054, lo, hi);
}

/* The solver's claims about a result, checked against fresh runs. */
static void check_result(const struct ic_solve_result *r, const char *const *extra, int n_extra,
                         const char *field, double P) {
    CHECK(r->found);
    if (!r->found) return;
    long n, k_at, k_below;
    k_at = fresh_outages(extra, n_extra, field, r->answer, &n);
    CHECK(n == r->paths && k_at == r->at.outages);
    CHECK((double)k_at / (double)n <= P);
    CHECK(r->has_below && r->below.value == r->answer - r->step);
    k_below = fresh_outages(extra, n_extra, field, r->answer - r->step, &n);
    CHECK(k_below == r->below.outages);
    CHECK((double)k_below / (double)n > P);
    CHECK(r->at.p == (double)r->at.outages / (double)r->at.paths);
    CHECK(r->at.cost_usd > 0 && r->at.cost_usd_per_day * r->horizon_days == r->at.cost_usd);

    /* The range: the plausible end's interval reaches down to P and one step below does not;
     * the confident end's interval lies at or under P and one step below does not. */
    CHECK(r->plausible <= r->answer && r->answer <= r->confident && r->confident_found);
    double lo, hi;
    long k = fresh_outages(extra, n_extra, field, r->plausible, &n);
    wilson(k, n, &lo, &hi);
    CHECK(lo <= P);
    if (r->plausible > r->lo) {
        k = fresh_outages(extra, n_extra, field, r->plausible - r->step, &n);
        wilson(k, n, &lo, &hi);
        CHECK(lo > P);
    }
    k = fresh_outages(extra, n_extra, field, r->confident, &n);
    wilson(k, n, &lo, &hi);
    CHECK(hi <= P);
    k = fresh_outages(extra, n_extra, field, r->confident - r->step, &n);
    wilson(k, n, &lo, &hi);
    CHECK(hi > P);
}

static void test_single(struct ic_solve_result *h100) {
    struct ic_solve_problem pb = problem("/fleet/accelerators", 0.1, 2);
    struct ic_diag d;
    struct ic_error err = {0};
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, h100, &d, &err) == IC_OK);
    ic_diag_free(&d);
    fprintf(stderr, "  H100: answer %g (range [%g, %g]), P-hat %ld/%ld, below %ld/%ld, %ld runs\n",
            h100->answer, h100->plausible, h100->confident, h100->at.outages, h100->at.paths,
            h100->below.outages, h100->below.paths, h100->evaluations);
    CHECK(h100->integer && h100->step == 1 && h100->lo == 1);
    CHECK(h100->paths == 400 && h100->seed == 4711 && h100->horizon_days == 2);
    CHECK(strcmp(h100->name, "solve-test") == 0);
    /* "some tens of accelerators": the scenario is sized so; far from it, it has changed. */
    CHECK(h100->answer >= 20 && h100->answer <= 80);
    /* Doubling from the scenario's 16, then bisections: a few dozen runs at most. */
    CHECK(h100->evaluations >= 5 && h100->evaluations <= 40);
    check_result(h100, NULL, 0, "/fleet/accelerators", 0.1);

    /* One thread: the same paths, so the same search and the same answer. */
    struct ic_solve_result one;
    pb.threads = 1;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &one, &d, &err) == IC_OK);
    ic_diag_free(&d);
    CHECK(one.answer == h100->answer && one.plausible == h100->plausible &&
          one.confident == h100->confident);
    CHECK(one.at.outages == h100->at.outages && one.at.cost_usd == h100->at.cost_usd);
    CHECK(one.evaluations == h100->evaluations);

    /* --hi and --lo: the same answer from a given bracket. */
    struct ic_solve_result br;
    pb.has_hi = 1;
    pb.hi = 97;
    pb.has_lo = 1;
    pb.lo = 5;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &br, &d, &err) == IC_OK);
    ic_diag_free(&d);
    CHECK(br.found && br.answer == h100->answer && br.lo == 5);
}

static void test_limits(const struct ic_solve_result *h100) {
    struct ic_diag d;
    struct ic_error err = {0};
    struct ic_solve_result r;
    /* Not reachable up to --hi: one run, no answer, a reason that says so. */
    struct ic_solve_problem pb = problem("/fleet/accelerators", 0.1, 2);
    pb.has_hi = 1;
    pb.hi = h100->answer - 3;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_OK);
    ic_diag_free(&d);
    CHECK(!r.found && r.evaluations == 1);
    CHECK_STR_CONTAINS(r.reason, "not reachable up to hi");

    /* --lo above the answer: lo itself, with nothing below it. */
    pb.has_hi = 0;
    pb.has_lo = 1;
    pb.lo = h100->answer + 7;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_OK);
    ic_diag_free(&d);
    CHECK(r.found && r.answer == h100->answer + 7 && !r.has_below);

    /* P = 0 with 400 paths: an answer (no outage at all), but the upper end of the interval
     * of 0 outages in 400 paths is 0.0095 > 0, so no confident end. */
    pb = problem("/fleet/accelerators", 0, 2);
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_OK);
    ic_diag_free(&d);
    CHECK(r.found && r.at.outages == 0 && r.below.outages > 0 && !r.confident_found);
    CHECK_STR_CONTAINS(r.range_note, "more paths needed");
    CHECK(r.answer > h100->answer);

    /* A real-valued field: the decode bandwidth efficiency (the default for NVIDIA is 0.70) on
     * a few more accelerators than the H100 answer, on a grid of 0.02 from 0.2. */
    char fleet[64];
    snprintf(fleet, sizeof fleet, "/fleet/accelerators=%g", h100->answer + 3);
    const char *sets[] = {fleet};
    pb = problem("/serving/decode_mbu", 0.1, 2);
    pb.sets = sets;
    pb.n_sets = 1;
    pb.has_step = 1;
    pb.step = 0.02;
    pb.has_lo = 1;
    pb.lo = 0.2;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_OK);
    ic_diag_free(&d);
    fprintf(stderr, "  decode MBU with %g H100s: answer %.4g (range [%.4g, %.4g]), %ld runs\n",
            h100->answer + 3, r.answer, r.plausible, r.confident, r.evaluations);
    CHECK(!r.integer && r.step == 0.02);
    CHECK(r.found && r.answer > 0.2 && r.answer < 0.9);
    if (r.found) {
        double k = (r.answer - 0.2) / 0.02;
        CHECK(fabs(k - floor(k + 0.5)) < 1e-6);
        long n;
        long k_at = fresh_outages(sets, 1, "/serving/decode_mbu", r.answer, &n);
        long k_below = fresh_outages(sets, 1, "/serving/decode_mbu", r.answer - 0.02, &n);
        CHECK((double)k_at / (double)n <= 0.1 && (double)k_below / (double)n > 0.1);
    }
}

/* The axes of --sweep options (as `run` takes them), or of the scenario's /sweep block. */
static int axes_of(const char *sweep_arg, const char *set, struct ic_solve_axis *ax) {
    struct ic_error err = {0};
    struct ic_solve_problem pb = problem("/fleet/accelerators", 0.1, 1);
    const char *sweeps[] = {sweep_arg}, *sets[] = {set};
    pb.sets = sets;
    pb.n_sets = set ? 1 : 0;
    struct ic_diag d;
    ic_diag_init(&d);
    int n = 0;
    int rc = ic_solve_axes(&pb, sweeps, sweep_arg ? 1 : 0, ax, &n, &d, &err);
    ic_diag_free(&d);
    return rc == IC_OK ? n : -1;
}

static void test_sweep(const struct ic_solve_result *h100) {
    struct ic_error err = {0};
    struct ic_solve_axis ax;
    CHECK(axes_of("/accelerator=nvidia_h100_sxm,huawei_ascend_910b", NULL, &ax) == 1);
    CHECK(ax.n == 2 && strcmp(ax.pointer, "/accelerator") == 0);
    CHECK(strcmp(ax.values[0], "\"nvidia_h100_sxm\"") == 0 &&
          strcmp(ax.labels[0], "nvidia_h100_sxm") == 0);
    struct ic_solve_problem pb = problem("/fleet/accelerators", 0.1, 2);
    const char *clear[] = {"/sweep=[]"};
    pb.sets = clear;
    pb.n_sets = 1;
    struct ic_solve_point *pts;
    long n;
    CHECK(ic_solve_sweep(&pb, &ax, 1, &pts, &n, &err) == IC_OK);
    CHECK(n == 2);
    if (n != 2) return;
    CHECK(pts[0].status == IC_OK && pts[1].status == IC_OK);
    CHECK(strcmp(pts[0].label, "/accelerator=nvidia_h100_sxm") == 0);
    CHECK(pts[0].res.answer == h100->answer && pts[0].res.confident == h100->confident);

    /* The 910B point equals its own single solve with the override given by --set. */
    const char *sets[] = {"/accelerator=huawei_ascend_910b"};
    pb.sets = sets;
    pb.n_sets = 1;
    struct ic_solve_result a910;
    struct ic_diag d;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &a910, &d, &err) == IC_OK);
    ic_diag_free(&d);
    fprintf(stderr, "  910B: answer %g (range [%g, %g]), $%.0f per day against $%.0f\n",
            a910.answer, a910.plausible, a910.confident, a910.at.cost_usd_per_day,
            h100->at.cost_usd_per_day);
    CHECK(pts[1].res.answer == a910.answer && pts[1].res.plausible == a910.plausible &&
          pts[1].res.at.outages == a910.at.outages);
    check_result(&a910, sets, 1, "/fleet/accelerators", 0.1);
    /* The 910B serves fewer requests per chip (INT8/BF16 peaks and bandwidth well below the
     * H100's), so it needs more of them. */
    CHECK(a910.answer > h100->answer);
    long best = ic_solve_cheapest(pts, n);
    CHECK(best == (pts[0].res.at.cost_usd_per_day <= pts[1].res.at.cost_usd_per_day ? 0 : 1));
    free(pts);
    ic_solve_axis_free(&ax);

    /* A point that fails (an unknown accelerator) keeps its message; the others go on. */
    CHECK(axes_of("/accelerator=no_such_chip,nvidia_h100_sxm", NULL, &ax) == 1);
    pb = problem("/fleet/accelerators", 0.1, 2);
    CHECK(ic_solve_sweep(&pb, &ax, 1, &pts, &n, &err) == IC_OK);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(pts[0].status == IC_ERR_INVALID);
        CHECK_STR_CONTAINS(pts[0].error, "unknown accelerator \"no_such_chip\"");
        CHECK(pts[1].status == IC_OK && pts[1].res.answer == h100->answer);
        CHECK(ic_solve_cheapest(pts, n) == 1);
    }
    free(pts);
    ic_solve_axis_free(&ax);
}

static void test_options(void) {
    struct ic_error err = {0};
    struct ic_solve_axis ax[2];
    /* The axes come from the loader: lo:hi:n forms, and the scenario's own /sweep block with
     * a --sweep added. */
    CHECK(axes_of("/queue/max_wait_s=10:40:4", NULL, ax) == 1);
    CHECK(ax[0].n == 4 && strcmp(ax[0].values[3], "40") == 0);
    ic_solve_axis_free(&ax[0]);
    /* An axis over the field solved for is what the search covers: left out. */
    CHECK(axes_of("/fleet/accelerators=8:32:4", NULL, ax) == 0);
    CHECK(axes_of("/accelerator=nvidia_h100_sxm,nvidia_h20",
                  "/sweep=[{\"pointer\": \"/traffic/growth/rate_per_day\", \"values\": [0, 0.1]}]",
                  ax) == 2);
    CHECK(strcmp(ax[0].pointer, "/traffic/growth/rate_per_day") == 0 && ax[1].n == 2);
    ic_solve_axis_free(&ax[0]);
    ic_solve_axis_free(&ax[1]);
    CHECK(axes_of("/fleet/accelerators=1,,2", NULL, ax) == -1);
    CHECK(axes_of("fleet=1", NULL, ax) == -1);

    int integer = -1;
    struct ic_solve_problem pb = problem("/fleet/accelerators", 0.1, 1);
    CHECK(ic_solve_check(&pb, &integer, &err) == IC_OK && integer == 1);
    pb.pointer = "/accelerator";
    CHECK(ic_solve_check(&pb, NULL, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "/accelerator");
    CHECK_STR_CONTAINS(err.msg, "not numeric");
    pb.pointer = "/fleet/acelerators";
    CHECK(ic_solve_check(&pb, NULL, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "not a scenario field");
    /* Array elements are found through the table's "*" rows. */
    pb.pointer = "/fleet/pools/0/accelerators";
    CHECK(ic_solve_check(&pb, &integer, &err) == IC_OK && integer == 1);
    pb.pointer = "/serving/decode_mbu";
    CHECK(ic_solve_check(&pb, &integer, &err) == IC_ERR_USAGE); /* real: needs --step or --hi */
    pb.has_step = 1;
    pb.step = 0.05;
    CHECK(ic_solve_check(&pb, &integer, &err) == IC_OK && integer == 0);
    pb.pointer = "/fleet/accelerators";
    pb.step = 2.5;
    CHECK(ic_solve_check(&pb, NULL, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "--step");
    pb.step = 4;
    pb.max_outage_prob = 1.2;
    CHECK(ic_solve_check(&pb, NULL, &err) == IC_ERR_USAGE);
    pb.max_outage_prob = 0.1;
    pb.has_hi = 1;
    pb.hi = 2e8; /* above the table's maximum */
    CHECK(ic_solve_check(&pb, NULL, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "--hi");

    /* An invalid base scenario: its messages, every one, in the diagnostics. */
    const char *bad[] = {"/horizon_days=-1", "/fleet/failure_rate_per_hour=\"x\""};
    pb = problem("/fleet/accelerators", 0.1, 1);
    pb.sets = bad;
    pb.n_sets = 2;
    struct ic_solve_result r;
    struct ic_diag d;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_ERR_INVALID);
    CHECK(d.count == 2 && r.evaluations == 0);
    ic_diag_free(&d);

    /* A candidate is one point: a /sweep block left in the candidates' scenario is refused
     * (the CLI clears it after taking its axes), naming --sweep. */
    const char *swept[] = {"/sweep=[{\"pointer\": \"/fleet/accelerators\", \"values\": [4, 8]}]"};
    pb.sets = swept;
    pb.n_sets = 1;
    ic_diag_init(&d);
    CHECK(ic_solve_run(&pb, &r, &d, &err) == IC_ERR_USAGE);
    CHECK_STR_CONTAINS(err.msg, "--sweep");
    CHECK(r.evaluations == 0);
    ic_diag_free(&d);
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    struct ic_solve_result h100;
    test_options();
    test_single(&h100);
    test_limits(&h100);
    test_sweep(&h100);
    ic_catalog_free(&cat);
    return check_report("test_solve");
}
