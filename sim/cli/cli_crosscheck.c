/* cli_crosscheck.c: `infercap crosscheck`, the same steady demand through both engines.  It
 * parses the options, calls the library (sim/drivers/crosscheck.c) and prints a table, or one
 * JSON object with --json. */
#include "sim/cli/cli_crosscheck.h"

#include "sim/cli/cli_common.h"
#include "sim/config/catalog_io.h"
#include "sim/drivers/crosscheck.h"
#include "sim/drivers/run.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SETS 256

static const char *usage_crosscheck =
    "usage: infercap crosscheck SCENARIO [options]\n"
    "\n"
    "The same steady demand through both engines, at offered loads of 30% to 130% of the\n"
    "aggregate engine's capacity (replicas x the pool's service rate, /service_curve): the\n"
    "requests of pool 0's mix at the inputs' means, arriving as the scenario's arrival process\n"
    "(per step a count over-dispersed by /traffic/noise/arrival_dispersion; within a step\n"
    "Poisson, or a gamma renewal process by /traffic/noise/interarrival_cv),\n"
    "through the request engine, and their counts per step through the aggregate engine's\n"
    "fluid queue at the pool's service curve.  For each load: served rate, goodput (share of\n"
    "arrivals served within /serving/ttft_slo_s and /serving/tpot_slo_ms), TTFT p50 and p99\n"
    "and TPOT p50 of each engine, and their differences.\n"
    "\n"
    "options:\n"
    "      --loads L1,L2,...    offered loads, shares of capacity (default\n"
    "                           0.3,0.5,0.7,0.9,1.1,1.3)\n"
    "      --requests N         requests per load (default 20000; at least 20 request\n"
    "                           latencies, doubled until the request engine's run settles,\n"
    "                           to 16 times: the completions per second and the goodput of\n"
    "                           its read window's halves agree, the goodput within 5 points;\n"
    "                           a run that does not, or whose queue over capacity never\n"
    "                           reaches its bound, is named under the table)\n"
    "      --replicas R         replicas (default: the fleet's, /fleet/accelerators; a\n"
    "                           disaggregated pool of whole replicas per role: rounded up,\n"
    "                           to at most 2R, to whole units nearest the replica's shares)\n"
    "      --trace FILE         a request trace instead of the scenario's mix and arrivals: its\n"
    "                           prompt and answer lengths are the mix (the curve is measured on\n"
    "                           them; no prefix cache), its arrivals, scaled in time to each\n"
    "                           load's rate and repeated, the arrival process\n"
    "      --format F           the trace's format: mooncake, azure or csv (default: from the\n"
    "                           name, .jsonl and .json mooncake, else from the header)\n"
    "      --set /ptr=VALUE     override any field by JSON Pointer (repeatable), e.g.\n"
    "                           --set /service_curve/mode=closed_form\n"
    "      --json               one JSON object on stdout\n"
    "  -q, --quiet              no progress lines\n"
    "  -h, --help               this help\n"
    "\n"
    "example:\n"
    "  infercap crosscheck scenarios/kimi-2024-03.json --replicas 16\n";

static void progress(void *ctx, int done, int total) {
    (void)ctx;
    fprintf(stderr, "\rcrosscheck: load %d of %d", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

static double pct(double a, double b) {
    return b != 0 && isfinite(a) && isfinite(b) ? 100.0 * (a - b) / b : NAN;
}

static void print_table(const struct ic_xcheck *x) {
    printf("crosscheck: %ld replicas of %ld x %s serving %s, %s routing\n", x->replicas,
           x->in.accels_per_replica, x->accelerator, x->model, ic_routing_name(x->in.routing));
    if (x->decode_units > 0)
        printf("  disaggregated: %ld prefill and %ld decode units%s\n", x->prefill_units,
               x->decode_units,
               x->replicas != x->replicas_requested
                   ? " (replicas rounded up to whole units nearest the replica's shares)"
                   : "");
    printf("  aggregate capacity %.4g req/s (%.4g per replica, %s service curve", x->capacity_rps,
           x->svc.rps, ic_curve_mode_name(x->svc.mode));
    if (x->svc.mode == IC_CURVE_MEASURED) {
        const char *cache = ic_curve_cache_phrase(&x->svc);
        if (x->svc.source == IC_CURVE_SRC_DISK)
            printf(": %ld requests, %s", x->svc.requests, cache);
        else
            printf(": %ld requests in %.2f s%s%s", x->svc.requests, x->curve_s,
                   cache[0] ? "; " : "", cache);
    }
    printf("); SLO utilisation %.3f\n", x->svc.slo_util);
    char ttft[32] = "none", tpot[32] = "none";
    if (x->in.ttft_slo_s > 0) snprintf(ttft, sizeof ttft, "%.3g s", x->in.ttft_slo_s);
    if (x->in.tpot_slo_s > 0) snprintf(tpot, sizeof tpot, "%.3g ms", x->in.tpot_slo_s * 1000.0);
    printf("  objectives: TTFT %s, TPOT %s\n", ttft, tpot);
    printf("\n%5s %9s | %9s %9s %6s | %6s %6s %5s | %8s %8s %6s | %8s %8s | %7s %7s\n", "load",
           "offered", "served A", "served R", "diff", "good A", "good R", "pts", "TTFT50 A",
           "TTFT50 R", "diff", "TTFT99 A", "TTFT99 R", "TPOT50A", "TPOT50R");
    printf("%5s %9s | %9s %9s %6s | %6s %6s %5s | %8s %8s %6s | %8s %8s | %7s %7s\n", "", "req/s",
           "req/s", "req/s", "%", "%", "%", "", "s", "s", "%", "s", "s", "ms", "ms");
    for (int i = 0; i < x->n; i++) {
        const struct ic_xcheck_row *r = &x->row[i];
        printf("%4.0f%% %9.4g | %9.4g %9.4g %+6.1f | %6.1f %6.1f %+5.1f | %8.3g %8.3g %+6.1f | "
               "%8.3g %8.3g | %7.3g %7.3g\n",
               100 * r->load, r->offered_rps, r->agg.served_rps, r->req.served_rps,
               pct(r->agg.served_rps, r->req.served_rps), 100 * r->agg.good_share,
               100 * r->req.good_share, 100 * (r->agg.good_share - r->req.good_share),
               r->agg.ttft_p50_s, r->req.ttft_p50_s, pct(r->agg.ttft_p50_s, r->req.ttft_p50_s),
               r->agg.ttft_p99_s, r->req.ttft_p99_s, 1000 * r->agg.tpot_p50_s,
               1000 * r->req.tpot_p50_s);
    }
    printf("\n  A: aggregate engine, R: request engine; diff: A against R; %.2f s in the request "
           "engine\n",
           x->engine_s);
    int unchecked = 0;
    for (int i = 0; i < x->n; i++) {
        const struct ic_xcheck_row *r = &x->row[i];
        if (r->settle == IC_XCHECK_CAPPED)
            printf("  %.0f%%: the request engine's run did not settle in %ld requests (16 times "
                   "the first run's): its halves' completions or goodput still differ; its "
                   "figures are the window's, not a steady state's\n",
                   100 * r->load, r->requests_run);
        else if (r->settle == IC_XCHECK_UNBOUNDED)
            printf("  %.0f%%: over capacity the queue would fill to its bound (patience %.3g s, "
                   "admission control %.3g s) in %.3g s, beyond the run: it grows through the "
                   "window and never settles; the request engine's goodput and TTFT are the "
                   "window's\n",
                   100 * r->load, x->in.patience_s, x->in.max_wait_s, r->queue_fill_s);
        unchecked |= r->settle == IC_XCHECK_UNCHECKED;
    }
    if (unchecked)
        printf("  the request engine's runs are not doubled to settle: with %s the halves of a "
               "window differ by design\n",
               x->in.dispersion > 0 ? "over-dispersed steps" : "a trace's arrivals");
}

static const char *settle_name(int s) {
    switch (s) {
    case IC_XCHECK_SETTLED:
        return "yes";
    case IC_XCHECK_CAPPED:
        return "capped";
    case IC_XCHECK_UNBOUNDED:
        return "unbounded";
    default:
        return "unchecked";
    }
}

static void add_num(cJSON *o, const char *k, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *side_json(const struct ic_xcheck_side *s) {
    cJSON *o = cJSON_CreateObject();
    add_num(o, "served_rps", s->served_rps);
    add_num(o, "goodput_share", s->good_share);
    add_num(o, "ttft_p50_s", s->ttft_p50_s);
    add_num(o, "ttft_p99_s", s->ttft_p99_s);
    add_num(o, "tpot_p50_s", s->tpot_p50_s);
    return o;
}

static void print_json(const struct ic_xcheck *x) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "accelerator", x->accelerator);
    cJSON_AddStringToObject(o, "model", x->model);
    cJSON_AddNumberToObject(o, "replicas", (double)x->replicas);
    cJSON_AddNumberToObject(o, "replicas_requested", (double)x->replicas_requested);
    cJSON_AddNumberToObject(o, "prefill_units", (double)x->prefill_units);
    cJSON_AddNumberToObject(o, "decode_units", (double)x->decode_units);
    cJSON_AddNumberToObject(o, "capacity_rps", x->capacity_rps);
    cJSON *c = cJSON_AddObjectToObject(o, "service_curve");
    cJSON_AddStringToObject(c, "mode", ic_curve_mode_name(x->svc.mode));
    add_num(c, "rps", x->svc.rps);
    add_num(c, "sat_rps", x->svc.sat_rps);
    add_num(c, "slo_util", x->svc.slo_util);
    cJSON_AddNumberToObject(c, "requests", (double)x->svc.requests);
    cJSON_AddNumberToObject(c, "measure_s", x->curve_s);
    cJSON_AddBoolToObject(c, "from_cache", x->svc.source == IC_CURVE_SRC_DISK);
    add_num(o, "ttft_slo_s", x->in.ttft_slo_s);
    add_num(o, "tpot_slo_s", x->in.tpot_slo_s);
    cJSON_AddNumberToObject(o, "request_engine_s", x->engine_s);
    cJSON *rows = cJSON_AddArrayToObject(o, "loads");
    for (int i = 0; i < x->n; i++) {
        const struct ic_xcheck_row *r = &x->row[i];
        cJSON *e = cJSON_CreateObject();
        add_num(e, "load", r->load);
        add_num(e, "offered_rps", r->offered_rps);
        cJSON_AddNumberToObject(e, "requests", (double)r->requests);
        cJSON_AddNumberToObject(e, "requests_run", (double)r->requests_run);
        cJSON_AddStringToObject(e, "settled", settle_name(r->settle));
        add_num(e, "queue_fill_s", r->queue_fill_s);
        cJSON_AddItemToObject(e, "aggregate", side_json(&r->agg));
        cJSON_AddItemToObject(e, "request", side_json(&r->req));
        cJSON *d = cJSON_AddObjectToObject(e, "difference");
        add_num(d, "served_pct", pct(r->agg.served_rps, r->req.served_rps));
        add_num(d, "goodput_points", 100 * (r->agg.good_share - r->req.good_share));
        add_num(d, "ttft_p50_pct", pct(r->agg.ttft_p50_s, r->req.ttft_p50_s));
        cJSON_AddItemToArray(rows, e);
    }
    char *s = cJSON_Print(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

static int parse_loads(const char *s, struct ic_xcheck_opts *o) {
    o->n_loads = 0;
    while (*s) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !(v > 0) || v > 100 || o->n_loads >= IC_XCHECK_MAX_LOADS) return -1;
        o->loads[o->n_loads++] = v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return o->n_loads > 0 ? 0 : -1;
}

int ic_cli_crosscheck(int argc, char **argv) {
    static const struct option longopts[] = {
        {"loads", required_argument, 0, 'L'},    {"requests", required_argument, 0, 'N'},
        {"replicas", required_argument, 0, 'R'}, {"set", required_argument, 0, 'S'},
        {"trace", required_argument, 0, 'T'},    {"format", required_argument, 0, 'F'},
        {"json", no_argument, 0, 'J'},           {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
    struct ic_xcheck_opts xo;
    memset(&xo, 0, sizeof xo);
    const char *sets[MAX_SETS];
    int n_sets = 0, json = 0, quiet = 0, c, format = -1;
    const char *trace = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'L':
            if (parse_loads(optarg, &xo))
                return ic_cli_usage_error("crosscheck", usage_crosscheck, 0,
                                          "--loads: got \"%s\"%s, expected shares of capacity "
                                          "such as 0.3,0.7,1.1",
                                          optarg, "");
            break;
        case 'N':
            xo.requests = strtol(optarg, &end, 10);
            if (*end || end == optarg || xo.requests < 100 || xo.requests > 100000000)
                return ic_cli_usage_error("crosscheck", usage_crosscheck, 0,
                                          "--requests: got \"%s\"%s, expected 100 to 1e8", optarg,
                                          "");
            break;
        case 'R':
            xo.replicas = strtol(optarg, &end, 10);
            if (*end || end == optarg || xo.replicas < 1 || xo.replicas > 1000000)
                return ic_cli_usage_error("crosscheck", usage_crosscheck, 0,
                                          "--replicas: got \"%s\"%s, expected a count >= 1", optarg,
                                          "");
            break;
        case 'T':
            trace = optarg;
            break;
        case 'F':
            format = ic_trace_format_parse(optarg);
            if (format < 0)
                return ic_cli_usage_error("crosscheck", usage_crosscheck, 0,
                                          "--format: got \"%s\"%s, expected mooncake, azure or csv",
                                          optarg, "");
            break;
        case 'S':
            if (n_sets >= MAX_SETS)
                return ic_cli_usage_error("crosscheck", usage_crosscheck, 0,
                                          "too many --set options (at most %s)%s", "256", "");
            sets[n_sets++] = optarg;
            break;
        case 'J':
            json = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage_crosscheck, stdout);
            return 0;
        default:
            fprintf(stderr, "\n%s", usage_crosscheck);
            return 2;
        }
    }
    if (optind != argc - 1)
        return ic_cli_usage_error("crosscheck", usage_crosscheck, 1,
                                  "expected one SCENARIO file%s%s", "", "");
    const char *file = argv[optind];
    struct ic_catalog cat;
    struct ic_scenario *sc = NULL;
    struct ic_error err = {0};
    struct ic_diag diag;
    ic_diag_init(&diag);
    struct ic_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.sets = sets;
    lo.n_sets = n_sets;
    int rc = ic_run_load(file, &lo, &cat, &sc, &diag, &err);
    if (rc != IC_OK) {
        if (rc == IC_ERR_INVALID && diag.count > 0) {
            for (size_t i = 0; i < diag.count; i++) fprintf(stderr, "%s\n", diag.msgs[i]);
            fprintf(stderr, "infercap: %s: %zu error%s\n", file, diag.count,
                    diag.count == 1 ? "" : "s");
        } else {
            fprintf(stderr, "infercap: %s\n", err.msg);
        }
        ic_diag_free(&diag);
        return ic_status_exit_code(rc);
    }
    ic_diag_free(&diag);
    if (!quiet && !json && isatty(STDERR_FILENO)) xo.progress = progress; /* \r: a terminal's */
    struct ic_trace t;
    memset(&t, 0, sizeof t);
    if (trace) {
        rc = ic_trace_read(trace, format >= 0 ? format : ic_trace_format_guess(trace), 1.0,
                           sc->request_engine.max_requests, &t, &err);
        xo.trace = &t;
    }
    struct ic_xcheck *x = rc == IC_OK ? malloc(sizeof *x) : NULL;
    if (rc == IC_OK && !x) rc = ic_error_set(&err, IC_ERR_NOMEM, "out of memory");
    if (rc == IC_OK) {
        rc = ic_crosscheck(sc, &xo, x, &err);
        if (rc != IC_OK) ic_error_prefix(&err, "%s: ", file);
    }
    if (rc == IC_OK) {
        if (json)
            print_json(x);
        else
            print_table(x);
    }
    free(x);
    ic_trace_free(&t);
    ic_catalog_free(&cat);
    free(sc);
    return rc == IC_OK ? 0 : ic_cli_fail(&err);
}
