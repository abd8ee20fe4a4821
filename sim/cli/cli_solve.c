/* cli_solve.c: `infercap solve`, the capacity solver's command line.  It parses the options,
 * hands the problem to the library (solve.c: the searches, the evaluations, the sweep), and
 * prints: one progress line per evaluated value on stderr, the answer (or a table over the
 * points of a --sweep) on stdout, or one JSON object with --json.
 *
 * Exit status: 0 when every point has an answer; 1 when some point has none (not reachable
 * up to --hi, or the search gave up) or, in a sweep, when some points failed and others did
 * not; 2 for usage errors and invalid scenarios (every validation message is printed). */
#include "sim/cli/cli_solve.h"
#include "sim/core/timeutil.h"

#include "sim/config/catalog_io.h"
#include "sim/drivers/solve.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SETS       256
#define SCENARIO_BYTES (16u << 20)

static const char *usage_solve =
    "usage: infercap solve SCENARIO --for /pointer --max-outage-prob P [options]\n"
    "\n"
    "The smallest value of a field (typically /fleet/accelerators) for which the outage\n"
    "probability stays at or under P, with its 95% range.  Every candidate runs the same\n"
    "seed, so the same random paths (common random numbers): the estimate is then (nearly)\n"
    "monotone in the field, and the search bisects on it.  The answer A has P-hat(A) <= P\n"
    "and P-hat(A - step) > P; the range runs from the smallest value whose 95% interval\n"
    "reaches down to P to the smallest whose interval lies at or under P.\n"
    "\n"
    "options:\n"
    "      --for /ptr               the field solved for (a number whose growth lowers the risk)\n"
    "      --max-outage-prob P      the target: P(outage) <= P, 0 <= P < 1\n"
    "      --lo A                   the smallest value tried (default: the step)\n"
    "      --hi B                   the largest value tried (default: double from the\n"
    "                               scenario's value until P is met)\n"
    "      --step S                 the grid's spacing (default 1 for integer fields; real\n"
    "                               fields need --step, or --hi for a thousandth of the range)\n"
    "      --sweep /ptr=SPEC        solve for each point (repeatable: every combination), SPEC\n"
    "                               as for `run`: v1,v2,... (JSON or strings), lo:hi:n or\n"
    "                               geom:lo:hi:n; the scenario's own /sweep block counts too\n"
    "  -n, --paths N                paths per candidate (overrides /paths)\n"
    "  -s, --seed S                 random seed (overrides /seed)\n"
    "  -t, --threads T              OpenMP threads (default: all cores); results do not\n"
    "                               depend on it\n"
    "      --set /ptr=VALUE         override any field by JSON Pointer (repeatable)\n"
    "      --json                   one JSON object on stdout\n"
    "  -q, --quiet                  no progress lines\n"
    "  -h, --help                   this help\n"
    "\n"
    "example:\n"
    "  infercap solve scenarios/wanka-h100-vs-ascend910b.json --for /fleet/accelerators \\\n"
    "      --max-outage-prob 0.05 --sweep /accelerator=nvidia_h100_sxm,huawei_ascend_910b\n"
    "\n"
    "exit status: 0 answered, 1 no answer up to the limit (or some sweep points failed),\n"
    "2 invalid input or usage\n";

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "infercap solve: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage_solve);
    return 2;
}

static int number_arg(const char *opt, const char *arg, double *out) {
    char *end;
    double x = strtod(arg, &end);
    if (end == arg || *end || !isfinite(x)) {
        fprintf(stderr, "infercap solve: %s: got \"%s\", expected a number\n\n%s", opt, arg,
                usage_solve);
        return -1;
    }
    *out = x;
    return 0;
}

struct progress {
    int quiet;
};

static void progress_cb(void *ctx, const char *pointer, int integer,
                        const struct ic_solve_eval *e) {
    const struct progress *pr = ctx;
    if (pr->quiet) return;
    char v[48];
    ic_solve_format(e->value, integer, v, sizeof v);
    fprintf(stderr, "  %s = %s: %ld of %ld paths have an outage, P = %.3g [%.3g, %.3g]\n", pointer,
            v, e->outages, e->paths, e->p, e->p_lo, e->p_hi);
}

static void point_cb(void *ctx, long k, long n, const char *label) {
    const struct progress *pr = ctx;
    if (!pr->quiet) fprintf(stderr, "point %ld of %ld: %s\n", k + 1, n, label);
}

/* ---- text ---------------------------------------------------------------------------------- */

static void print_eval(const char *pointer, const struct ic_solve_result *r,
                       const struct ic_solve_eval *e) {
    char v[48];
    ic_solve_format(e->value, r->integer, v, sizeof v);
    printf("  %s = %s: %ld of %ld paths have an outage, P = %.3g [95%% CI %.3g, %.3g]; cost "
           "$%.4g per day ($%.4g per path over %g day%s)\n",
           pointer, v, e->outages, e->paths, e->p, e->p_lo, e->p_hi, e->cost_usd_per_day,
           e->cost_usd, r->horizon_days, r->horizon_days == 1 ? "" : "s");
}

static void range_text(const struct ic_solve_result *r, char *buf, size_t n) {
    char a[48], b[48];
    ic_solve_format(r->plausible, r->integer, a, sizeof a);
    if (r->confident_found)
        ic_solve_format(r->confident, r->integer, b, sizeof b);
    else
        snprintf(b, sizeof b, "?");
    snprintf(buf, n, "[%s, %s]", a, b);
}

static void print_single(const char *pointer, double P, const struct ic_solve_result *r,
                         double secs) {
    char v[48], rng[112];
    printf("%s: the smallest %s with P(outage) <= %g (%ld paths, seed %lld)\n", r->name, pointer, P,
           r->paths, r->seed);
    if (!r->found) {
        printf("  %s\n", r->reason);
    } else {
        ic_solve_format(r->answer, r->integer, v, sizeof v);
        range_text(r, rng, sizeof rng);
        printf("  answer %s (95%% range %s)\n", v, rng);
        print_eval(pointer, r, &r->at);
        if (r->has_below)
            print_eval(pointer, r, &r->below);
        else
            printf("  (the smallest value tried, --lo, already meets P)\n");
        if (!r->confident_found) printf("  range: %s\n", r->range_note);
    }
    printf("  %ld value%s evaluated in %.1f s (the same paths at each: common random numbers)\n",
           r->evaluations, r->evaluations == 1 ? "" : "s", secs);
}

static void print_table(const char *pointer, double P, const struct ic_solve_point *pts, long n,
                        double secs) {
    int w = 5;
    long evals = 0;
    for (long k = 0; k < n; k++) {
        int len = (int)strlen(pts[k].label);
        if (len > w) w = len;
        evals += pts[k].res.evaluations;
    }
    if (w > 60) w = 60;
    const struct ic_solve_result *first = NULL;
    for (long k = 0; k < n && !first; k++)
        if (pts[k].status == IC_OK) first = &pts[k].res;
    printf("%s: the smallest %s with P(outage) <= %g, at %ld point%s", first ? first->name : "",
           pointer, P, n, n == 1 ? "" : "s");
    if (first) printf(" (%ld paths, seed %lld)", first->paths, first->seed);
    printf("\n  %-*s  %10s  %-23s  %-24s  %12s\n", w, "point", "answer", "95% range",
           "P(outage) [95% CI]", "cost per day");
    for (long k = 0; k < n; k++) {
        const struct ic_solve_point *p = &pts[k];
        const struct ic_solve_result *r = &p->res;
        if (p->status != IC_OK) {
            /* The first line of the error; all of them follow the table. */
            size_t len = strcspn(p->error, "\n");
            printf("  %-*s  error: %.*s\n", w, p->label, (int)len, p->error);
            continue;
        }
        if (!r->found) {
            printf("  %-*s  %10s  %s\n", w, p->label, "none", r->reason);
            continue;
        }
        char v[48], rng[112], pc[96], cost[48];
        ic_solve_format(r->answer, r->integer, v, sizeof v);
        range_text(r, rng, sizeof rng);
        snprintf(pc, sizeof pc, "%.3g [%.3g, %.3g]", r->at.p, r->at.p_lo, r->at.p_hi);
        snprintf(cost, sizeof cost, "$%.4g", r->at.cost_usd_per_day);
        printf("  %-*s  %10s  %-23s  %-24s  %12s\n", w, p->label, v, rng, pc, cost);
    }
    long best = ic_solve_cheapest(pts, n);
    if (best >= 0) {
        char v[48];
        ic_solve_format(pts[best].res.answer, pts[best].res.integer, v, sizeof v);
        printf("  cheapest: %s, %s = %s at $%.4g per day\n", pts[best].label, pointer, v,
               pts[best].res.at.cost_usd_per_day);
    }
    for (long k = 0; k < n; k++)
        if (pts[k].status != IC_OK) fprintf(stderr, "%s: %s\n", pts[k].label, pts[k].error);
    printf("  %ld value%s evaluated in %.1f s (the same paths at each: common random numbers)\n",
           evals, evals == 1 ? "" : "s", secs);
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static cJSON *eval_json(const struct ic_solve_eval *e) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "value", e->value);
    cJSON_AddNumberToObject(o, "paths", (double)e->paths);
    cJSON_AddNumberToObject(o, "outages", (double)e->outages);
    cJSON_AddNumberToObject(o, "p_outage", e->p);
    const double ci[2] = {e->p_lo, e->p_hi};
    cJSON_AddItemToObject(o, "p_outage_ci95", cJSON_CreateDoubleArray(ci, 2));
    cJSON_AddNumberToObject(o, "cost_usd_mean", e->cost_usd);
    cJSON_AddNumberToObject(o, "cost_usd_per_day", e->cost_usd_per_day);
    return o;
}

static void print_json(const char *pointer, double P, const struct ic_solve_point *pts, long n,
                       double secs) {
    cJSON *o = cJSON_CreateObject();
    const struct ic_solve_result *first = NULL;
    long evals = 0;
    for (long k = 0; k < n; k++) {
        if (!first && pts[k].status == IC_OK) first = &pts[k].res;
        evals += pts[k].res.evaluations;
    }
    cJSON_AddStringToObject(o, "pointer", pointer);
    cJSON_AddNumberToObject(o, "max_outage_prob", P);
    if (first) {
        cJSON_AddStringToObject(o, "scenario_name", first->name);
        cJSON_AddNumberToObject(o, "paths", (double)first->paths);
        cJSON_AddNumberToObject(o, "seed", (double)first->seed);
        cJSON_AddNumberToObject(o, "step", first->step);
        cJSON_AddNumberToObject(o, "lo", first->lo);
        cJSON_AddBoolToObject(o, "integer", first->integer);
    } else {
        cJSON_AddNullToObject(o, "paths");
        cJSON_AddNullToObject(o, "seed");
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "points");
    for (long k = 0; k < n; k++) {
        const struct ic_solve_point *p = &pts[k];
        const struct ic_solve_result *r = &p->res;
        cJSON *q = cJSON_CreateObject();
        cJSON *ov = cJSON_AddObjectToObject(q, "overrides");
        for (int a = 0; a < p->n_sets; a++) {
            char ptr[512];
            ic_strlcpy(ptr, p->sets[a], sizeof ptr);
            char *eq = strchr(ptr, '=');
            if (!eq) continue;
            *eq = '\0';
            cJSON *v = cJSON_Parse(eq + 1); /* as the loader reads it: JSON, else a string */
            cJSON_AddItemToObject(ov, ptr, v ? v : cJSON_CreateString(eq + 1));
        }
        if (p->status != IC_OK) {
            cJSON_AddBoolToObject(q, "found", 0);
            cJSON_AddStringToObject(q, "error", p->error);
            cJSON_AddItemToArray(arr, q);
            continue;
        }
        cJSON_AddBoolToObject(q, "found", r->found);
        if (r->found) {
            cJSON_AddNumberToObject(q, "answer", r->answer);
            cJSON *rg = cJSON_AddArrayToObject(q, "range");
            cJSON_AddItemToArray(rg, cJSON_CreateNumber(r->plausible));
            cJSON_AddItemToArray(rg, r->confident_found ? cJSON_CreateNumber(r->confident)
                                                        : cJSON_CreateNull());
            if (!r->confident_found) cJSON_AddStringToObject(q, "range_note", r->range_note);
            cJSON_AddItemToObject(q, "at_answer", eval_json(&r->at));
            if (r->has_below)
                cJSON_AddItemToObject(q, "below_answer", eval_json(&r->below));
            else
                cJSON_AddNullToObject(q, "below_answer");
            cJSON_AddNumberToObject(q, "cost_usd_per_day", r->at.cost_usd_per_day);
        } else {
            cJSON_AddNullToObject(q, "answer");
            cJSON_AddStringToObject(q, "reason", r->reason);
        }
        cJSON_AddNumberToObject(q, "evaluations_count", (double)r->evaluations);
        cJSON_AddItemToArray(arr, q);
    }
    long best = ic_solve_cheapest(pts, n);
    if (best >= 0)
        cJSON_AddNumberToObject(o, "cheapest_point", (double)best);
    else
        cJSON_AddNullToObject(o, "cheapest_point");
    cJSON_AddNumberToObject(o, "evaluations_count", (double)evals);
    cJSON_AddNumberToObject(o, "seconds", secs);
    char *s = cJSON_PrintUnformatted(o);
    printf("%s\n", s ? s : "{}");
    free(s);
    cJSON_Delete(o);
}

/* ---- the command --------------------------------------------------------------------------- */

int ic_cli_solve(int argc, char **argv) {
    static const struct option longopts[] = {
        {"for", required_argument, 0, 'f'},     {"max-outage-prob", required_argument, 0, 'P'},
        {"lo", required_argument, 0, 'L'},      {"hi", required_argument, 0, 'H'},
        {"step", required_argument, 0, 'D'},    {"sweep", required_argument, 0, 'W'},
        {"paths", required_argument, 0, 'n'},   {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 't'}, {"set", required_argument, 0, 'S'},
        {"json", no_argument, 0, 'J'},          {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0}};
    struct ic_solve_problem pb = {0};
    const char *sets[MAX_SETS + 1], *notes[MAX_SETS + 1] = {0};
    const char *sweeps[IC_SOLVE_MAX_AXES];
    char owned[2][64];
    int n_owned = 0, n_sweeps = 0, json = 0, quiet = 0, has_p = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:qh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'f':
            pb.pointer = optarg;
            break;
        case 'P':
            if (number_arg("--max-outage-prob", optarg, &pb.max_outage_prob)) return 2;
            has_p = 1;
            break;
        case 'L':
            if (number_arg("--lo", optarg, &pb.lo)) return 2;
            pb.has_lo = 1;
            break;
        case 'H':
            if (number_arg("--hi", optarg, &pb.hi)) return 2;
            pb.has_hi = 1;
            break;
        case 'D':
            if (number_arg("--step", optarg, &pb.step)) return 2;
            pb.has_step = 1;
            break;
        case 'W':
            if (n_sweeps >= IC_SOLVE_MAX_AXES)
                return usage_error("too many --sweep options (at most %s)", "8");
            sweeps[n_sweeps++] = optarg;
            break;
        case 'n':
        case 's':
            strtoll(optarg, &end, 10);
            if (*end || end == optarg)
                return usage_error(c == 'n' ? "--paths: got \"%s\", expected an integer"
                                            : "--seed: got \"%s\", expected an integer",
                                   optarg);
            /* Two slots: a repeated option overrides the earlier one, as the loader applies
             * overrides in order. */
            if (n_owned >= 2 || pb.n_sets >= MAX_SETS)
                return usage_error("too many --paths/--seed/--set options%s", "");
            snprintf(owned[n_owned], sizeof owned[0], "%s=%s", c == 'n' ? "/paths" : "/seed",
                     optarg);
            notes[pb.n_sets] = c == 'n' ? " (from --paths)" : " (from --seed)";
            sets[pb.n_sets++] = owned[n_owned++];
            break;
        case 't':
            pb.threads = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || pb.threads < 1 || pb.threads > 4096)
                return usage_error("--threads: got \"%s\", expected an integer from 1 to 4096",
                                   optarg);
            break;
        case 'S':
            if (pb.n_sets >= MAX_SETS)
                return usage_error("too many --set options (at most %s)", "256");
            sets[pb.n_sets++] = optarg;
            break;
        case 'J':
            json = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage_solve, stdout);
            return 0;
        default:
            fprintf(stderr, "\n%s", usage_solve);
            return 2;
        }
    }
    if (optind != argc - 1)
        return usage_error(optind < argc ? "expected one SCENARIO file, got \"%s\" and more"
                                         : "expected one SCENARIO file%s",
                           optind < argc ? argv[optind] : "");
    if (!pb.pointer)
        return usage_error("--for /pointer is required (e.g. %s)", "/fleet/accelerators");
    if (!has_p) return usage_error("--max-outage-prob P is required (e.g. %s)", "0.01");
    pb.sets = sets;
    pb.set_notes = notes;
    pb.n_set_notes = pb.n_sets;
    struct ic_error err = {0};
    if (ic_solve_check(&pb, NULL, &err)) return usage_error("%s", err.msg);

    struct ic_solve_axis axes[IC_SOLVE_MAX_AXES];
    int n_axes = 0, rc = 0;
    const char *file = argv[optind];
    char *text = NULL;
    size_t len = 0;
    struct ic_catalog cat;
    int have_cat = 0;
    if (rc == 0 && ic_read_file(file, SCENARIO_BYTES, &text, &len, &err)) {
        fprintf(stderr, "infercap: %s\n", err.msg);
        rc = ic_status_exit_code(err.status);
    }
    if (rc == 0 && strlen(text) != len) {
        fprintf(stderr, "infercap: %s: contains a NUL byte; not a JSON text\n", file);
        rc = 2;
    }
    if (rc == 0) {
        if (ic_catalog_builtin(&cat, &err)) {
            fprintf(stderr, "infercap: %s\n", err.msg);
            rc = ic_status_exit_code(err.status);
        } else {
            have_cat = 1;
        }
    }
    if (rc == 0) {
        /* The axes: the scenario's /sweep with the --sweep options, as `run` reads them; then
         * every candidate is one point of it ("/sweep=[]" after the user's overrides). */
        pb.text = text;
        pb.label = file;
        pb.cat = &cat;
        struct ic_diag d;
        ic_diag_init(&d);
        if (ic_solve_axes(&pb, sweeps, n_sweeps, axes, &n_axes, &d, &err) != IC_OK) {
            for (size_t i = 0; i < d.count; i++) fprintf(stderr, "%s\n", d.msgs[i]);
            if (d.count)
                fprintf(stderr, "infercap: %s: %zu error%s\n", file, d.count,
                        d.count == 1 ? "" : "s");
            else
                fprintf(stderr, "infercap: %s\n", err.msg);
            rc = ic_status_exit_code(err.status);
        }
        ic_diag_free(&d);
        sets[pb.n_sets++] = "/sweep=[]";
    }
    if (rc == 0) {
        struct progress pr = {quiet || json};
        pb.text = text;
        pb.label = file;
        pb.cat = &cat;
        pb.progress = progress_cb;
        pb.progress_ctx = &pr;
        pb.point_start = point_cb;
        struct ic_solve_point *pts = NULL;
        long n = 0;
        double t0 = ic_monotonic_s();
        if (ic_solve_sweep(&pb, axes, n_axes, &pts, &n, &err)) {
            fprintf(stderr, "infercap solve: %s\n", err.msg);
            rc = ic_status_exit_code(err.status);
        } else {
            double secs = ic_monotonic_s() - t0;
            long failed = 0, unanswered = 0;
            for (long k = 0; k < n; k++) {
                failed += pts[k].status != IC_OK;
                unanswered += pts[k].status == IC_OK && !pts[k].res.found;
            }
            if (n_axes == 0 && failed) {
                /* No sweep: the scenario's own errors, every one, as `infercap run` prints
                 * them. */
                fprintf(stderr, "%s\n", pts[0].error);
                if (pts[0].status == IC_ERR_INVALID) {
                    long lines = 1;
                    for (const char *q = pts[0].error; *q; q++) lines += *q == '\n';
                    fprintf(stderr, "infercap: %s: %ld error%s\n", file, lines,
                            lines == 1 ? "" : "s");
                }
                rc = ic_status_exit_code(pts[0].status);
            } else {
                if (json)
                    print_json(pb.pointer, pb.max_outage_prob, pts, n, secs);
                else if (n_axes == 0)
                    print_single(pb.pointer, pb.max_outage_prob, &pts[0].res, secs);
                else
                    print_table(pb.pointer, pb.max_outage_prob, pts, n, secs);
                /* Every point failed alike (a syntax error, say): that point's exit status. */
                if (failed == n)
                    rc = ic_status_exit_code(pts[0].status);
                else if (failed || unanswered)
                    rc = 1;
            }
        }
        free(pts);
    }
    for (int i = 0; i < n_axes; i++) ic_solve_axis_free(&axes[i]);
    if (have_cat) ic_catalog_free(&cat);
    free(text);
    return rc;
}
