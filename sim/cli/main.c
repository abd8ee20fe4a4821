/* main.c: the `infercap` command line.  It parses arguments, calls library functions, prints,
 * and picks the exit code (0 success, 1 runtime failure, 2 usage or invalid input, 3
 * interrupted); every feature is a library call that the tests make too. */
#include "sim/config/catalog_io.h"
#include "sim/core/version.h"
#include "sim/cli/cli_calibrate.h"
#include "sim/cli/cli_common.h"
#include "sim/cli/cli_crosscheck.h"
#include "sim/cli/cli_perf.h"
#include "sim/cli/cli_solve.h"
#include "sim/cli/cli_fit.h"
#include "sim/engine/engine.h"
#include "sim/engine/svccurve.h"
#include "sim/io/h5in.h"
#include "sim/io/output.h"
#include "sim/config/params.h"
#include "sim/io/report.h"
#include "sim/config/scenario.h"
#include "sim/config/sweep.h"
#include "sim/drivers/sweeprun.h"
#include "sim/cli/interrupt.h"
#include "sim/core/timeutil.h"
#include "sim/drivers/reqrun.h"
#include "sim/drivers/run.h"
#include "sim/io/trace.h"
#include "sim/cli/mpi_sweep.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 256

static const char *usage_main =
    "infercap: GPU inference-demand capacity simulator (Monte Carlo)\n"
    "\n"
    "usage: infercap COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO       simulate a scenario and write an HDF5 result file\n"
    "  validate SCENARIO  check a scenario without running it (every error is listed)\n"
    "  params             every scenario parameter: type, default, range, units, doc\n"
    "  catalog accelerators|models   the built-in catalogs\n"
    "  info OUT.h5        headline and provenance of a result file\n"
    "  fit OBS.json       fit a growth curve to observations; prints the scenario fragment\n"
    "  perf --model M --accelerator A   what one replica delivers (the calculator)\n"
    "  calibrate FILE... --model M --accelerator A   fit the model's efficiencies to benchmarks\n"
    "  solve SCENARIO --for /ptr --max-outage-prob P   smallest fleet with P(outage) <= P\n"
    "  merge PART.h5... -o OUT.h5   the shards of a sweep (run --shard I/N) into one file\n"
    "  replay SCENARIO --trace FILE   a request trace through the request-level engine\n"
    "  crosscheck SCENARIO   the same steady demand through both engines, side by side\n"
    "\n"
    "  infercap COMMAND --help   options of a command\n"
    "  infercap --version        version and the git commit it was built from\n"
    "\n"
    "Measured service curves are cached on disk across runs, in $INFERCAP_CACHE_DIR, else\n"
    "$XDG_CACHE_HOME/infercap, else ~/.cache/infercap; INFERCAP_CACHE_DIR=off, or --no-cache\n"
    "anywhere on a command line, turns it off.\n";

static const char *usage_run =
    "usage: infercap run SCENARIO [options]\n"
    "\n"
    "Simulate SCENARIO (a JSON file) over many Monte Carlo paths and write the result.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5      result file (default: NAME.h5, NAME from the scenario)\n"
    "  -n, --paths N            number of paths (overrides /paths)\n"
    "  -s, --seed S             random seed (overrides /seed)\n"
    "  -t, --threads T          OpenMP threads (default: all cores); results do not depend "
    "on it\n"
    "      --set /ptr=VALUE     override any field by JSON Pointer; VALUE is JSON or a string\n"
    "                           (repeatable), e.g. --set /fleet/accelerators=2048\n"
    "      --target-ci WIDTH    run blocks of paths until the 95% interval of P(outage) is\n"
    "                           narrower than WIDTH (at most /paths); deterministic for a seed\n"
    "      --block-paths N      paths per block for --target-ci (default 1000)\n"
    "      --max-memory SIZE    refuse runs estimated to need more (e.g. 2G, 512M; default 80%\n"
    "                           of physical memory)\n"
    "      --sweep /ptr=SPEC    add an axis to the sweep (repeatable): SPEC is v1,v2,... (JSON\n"
    "                           or strings), lo:hi:n (evenly spaced) or geom:lo:hi:n; every\n"
    "                           point of the product runs with the same random paths\n"
    "      --shard I/N          run the points k with k mod N = I of a sweep and write a\n"
    "                           partial file (combine with `infercap merge`)\n"
    "      --resume             continue an interrupted run: a sweep keeps the points finished\n"
    "                           in OUT.h5.points/ and runs the rest; a single run goes on from\n"
    "                           its checkpoint OUT.h5.ckpt (none: from the beginning), saving\n"
    "                           new ones every 30 minutes unless --checkpoint-every says\n"
    "      --checkpoint-every MIN  single runs: save every path's state to OUT.h5.ckpt every\n"
    "                           MIN minutes (at the next engine window; 0: after each) and when\n"
    "                           interrupted; removed when the run completes.  Resumed runs give\n"
    "                           the same numbers as uninterrupted ones\n"
    "      --window-outputs N   output intervals per engine window (default: what fits in 256\n"
    "                           MiB); results do not depend on it, checkpoints fall between\n"
    "                           windows\n"
    "  -q, --quiet              no progress bar and no headline text\n"
    "      --json               print the headline as one JSON object on stdout\n"
    "  -h, --help               this help\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 invalid input or usage, 3 interrupted (the\n"
    "output holds what was complete, marked partial)\n";

static const char *usage_validate =
    "usage: infercap validate SCENARIO [--set /ptr=VALUE]... [--sweep /ptr=SPEC]...\n"
    "\n"
    "Check SCENARIO without running it: syntax (file:line:column), every field's type and\n"
    "range, cross-field rules, and that the model fits the accelerators; with a sweep, every\n"
    "point.  Every error found is printed, one per line.  Exit status 0 when valid, 2 when\n"
    "not.\n";

static const char *usage_params =
    "usage: infercap params [--json]\n"
    "\n"
    "List every scenario parameter (JSON Pointer, type, default, range, units, doc), from the\n"
    "one parameter table the loader uses.\n";

static const char *usage_catalog =
    "usage: infercap catalog accelerators|models [--json]\n"
    "\n"
    "List the built-in catalog (compiled from models/data/*.json).  Each entry keeps its source\n"
    "and a confidence grade; '-' marks a figure no public source gives.\n";

static const char *usage_info =
    "usage: infercap info OUT.h5 [--json]\n"
    "\n"
    "Print the headline figures and provenance stored in a result file: the lines `infercap\n"
    "run` printed (a P/D fleet's roles and nodes needed, the service curve and whether it was\n"
    "measured), read from the file, not recomputed; a sweep's table of points; a request-\n"
    "engine run's headline.  Files from older versions lack some lines, never fail for it.\n"
    "\n"
    "options:\n"
    "      --json   one JSON object on stdout (the keys of `run --json`)\n"
    "  -h, --help   this help\n";

/* ---- shared helpers ------------------------------------------------------------------------ */

static int fail(const struct ic_error *err) {
    fprintf(stderr, "infercap: %s\n", err->msg);
    return ic_status_exit_code(err->status);
}

static int usage_error(const char *usage, const char *fmt, const char *arg) {
    fprintf(stderr, "infercap: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}

/* The command line as typed, quoted for a POSIX shell where needed, for the provenance record.
 * It must be taken before getopt_long reorders argv. */
static void join_args(int argc, char **argv, char *buf, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used + 4 < n; i++) {
        const char *a = argv[i];
        int plain =
            a[0] != '\0' && a[strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789-_./=:,+@%")] == '\0';
        if (i) buf[used++] = ' ';
        if (!plain) buf[used++] = '\'';
        for (const char *c = a; *c && used + 6 < n; c++) {
            if (*c == '\'' && !plain) { /* ' -> '\'' */
                memcpy(buf + used, "'\\''", 4);
                used += 4;
            } else {
                buf[used++] = *c;
            }
        }
        if (!plain) buf[used++] = '\'';
        buf[used] = '\0';
    }
}

struct load_args {
    const char *sets[MAX_SETS];
    const char *notes[MAX_SETS]; /* where each set came from (NULL: --set) */
    int n_sets;
    const char *sweeps[IC_SWEEP_MAX_AXES * 4];
    int n_sweeps;
    char owned[4][64]; /* --paths and --seed become overrides */
    int n_owned;
};

static int add_set(struct load_args *la, const char *s) {
    if (la->n_sets >= MAX_SETS) return -1;
    la->sets[la->n_sets++] = s;
    return 0;
}

/* --paths N and --seed S: overrides that messages name by their option (`note`). */
static int add_owned_set(struct load_args *la, const char *ptr, const char *val, const char *note) {
    if (la->n_owned >= 4) return -1;
    snprintf(la->owned[la->n_owned], sizeof la->owned[0], "%s=%s", ptr, val);
    if (la->n_sets < MAX_SETS) la->notes[la->n_sets] = note;
    return add_set(la, la->owned[la->n_owned++]);
}

static struct ic_load_opts load_opts(const struct load_args *la) {
    struct ic_load_opts lo = {.sets = la->sets,
                              .n_sets = la->n_sets,
                              .sweeps = la->sweeps,
                              .n_sweeps = la->n_sweeps,
                              .set_notes = la->notes,
                              .n_set_notes = la->n_sets};
    return lo;
}

/* Load catalog and scenario (ic_run_load; allocated: *out, to free); print every validation
 * message.  Returns an exit code, or -1 on success. */
static int load(const char *file, const struct load_args *la, struct ic_catalog *cat,
                struct ic_scenario **out) {
    struct ic_error err = {0};
    struct ic_diag diag;
    ic_diag_init(&diag);
    struct ic_load_opts opts = load_opts(la);
    int rc = ic_run_load(file, &opts, cat, out, &diag, &err);
    if (rc == IC_OK) {
        ic_diag_free(&diag);
        return -1;
    }
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

/* The output-name checks (ic_run_check_outputs).  Returns an exit code, or -1 when every name
 * is safe. */
static int check_outputs(const char *out, const char *const *inputs, size_t n, int family) {
    struct ic_error err = {0};
    return ic_run_check_outputs(out, inputs, n, family, &err) == IC_OK ? -1 : fail(&err);
}

/* ---- progress bar -------------------------------------------------------------------------- */

/* What `run` shows while it runs (struct ic_run_hooks's ctx). */
struct run_ui {
    double t0, last; /* the progress bar */
    int shown;
    int quiet; /* no --target-ci block lines (--quiet or --json) */
};

static void progress_begin(void *ctx) {
    struct run_ui *p = ctx;
    p->t0 = ic_monotonic_s();
    p->last = 0;
    p->shown = 0;
}

static void fmt_dur(double s, char *buf, size_t n) {
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress_cb(void *ctx, long done, long total) {
    struct run_ui *p = ctx;
    double t = ic_monotonic_s();
    if (done < total && t - p->last < 0.2) return;
    p->last = t;
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    char bar[31];
    int fill = (int)(frac * 30.0);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
    bar[30] = '\0';
    char el[48], eta[48];
    fmt_dur(t - p->t0, el, sizeof el);
    if (frac > 0)
        fmt_dur((t - p->t0) * (1.0 - frac) / frac, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    fprintf(stderr, "\r  [%s] %3.0f%%  %ld/%ld paths  %s elapsed  ETA %s ", bar, 100.0 * frac, done,
            total, el, eta);
    p->shown = 1;
    if (done >= total) fprintf(stderr, "\n");
}

/* A sweep's progress lines (struct ic_sweep_run's progress), to stderr. */
static void sweep_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "%s\n", line);
}

/* The pipeline's notices and warnings, to stderr. */
static void note_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "infercap: %s\n", line);
}

/* "2G", "512M", "64k" or bytes; <= 0 when malformed. */
static double parse_size(const char *s) {
    char *end;
    double x = strtod(s, &end);
    if (end == s || !(x > 0)) return -1;
    double mult = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024.0;
        end++;
        break;
    case 'm':
    case 'M':
        mult = 1048576.0;
        end++;
        break;
    case 'g':
    case 'G':
        mult = 1073741824.0;
        end++;
        break;
    case 't':
    case 'T':
        mult = 1099511627776.0;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'B' || *end == 'b') end++;
    return *end ? -1 : x * mult;
}

static void block_cb(void *ctx, long paths, long outages, double lo, double hi) {
    const struct run_ui *b = ctx;
    if (!b->quiet)
        fprintf(stderr,
                "  --target-ci: %ld paths, %ld outages, P(outage) 95%% CI [%.4f, %.4f] "
                "(width %.4f)\n",
                paths, outages, lo, hi, hi - lo);
}

/* ---- run ----------------------------------------------------------------------------------- */

struct run_options {
    struct load_args la;
    const char *file, *out_path;
    int threads, quiet, json, shard_i, shard_n, resume;
    double target_ci, max_memory, ckpt_every; /* ckpt_every < 0: not given */
    long block, window_outputs;
};

/* `run`'s command line into *o.  Returns an exit code, or -1 to go on. */
static int parse_run_options(int argc, char **argv, struct run_options *o) {
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"paths", required_argument, 0, 'n'},
                                             {"seed", required_argument, 0, 's'},
                                             {"threads", required_argument, 0, 't'},
                                             {"set", required_argument, 0, 'S'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"json", no_argument, 0, 'J'},
                                             {"target-ci", required_argument, 0, 'C'},
                                             {"block-paths", required_argument, 0, 'B'},
                                             {"max-memory", required_argument, 0, 'M'},
                                             {"sweep", required_argument, 0, 'W'},
                                             {"shard", required_argument, 0, 'D'},
                                             {"resume", no_argument, 0, 'R'},
                                             {"checkpoint-every", required_argument, 0, 'K'},
                                             {"window-outputs", required_argument, 0, 'w'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->ckpt_every = -1;
    o->block = 1000;
    struct load_args *la = &o->la;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:n:s:t:qh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o':
            o->out_path = optarg;
            break;
        case 'n':
            strtol(optarg, &end, 10);
            if (*end || end == optarg)
                return usage_error(usage_run, "--paths: got \"%s\", expected an integer", optarg);
            add_owned_set(la, "/paths", optarg, " (from --paths)");
            break;
        case 's':
            strtoll(optarg, &end, 10);
            if (*end || end == optarg)
                return usage_error(usage_run, "--seed: got \"%s\", expected an integer", optarg);
            add_owned_set(la, "/seed", optarg, " (from --seed)");
            break;
        case 't':
            o->threads = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o->threads < 1 || o->threads > 4096)
                return usage_error(
                    usage_run, "--threads: got \"%s\", expected an integer from 1 to 4096", optarg);
            break;
        case 'S':
            if (add_set(la, optarg))
                return usage_error(usage_run, "too many --set options (at most %s)", "256");
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'J':
            o->json = 1;
            break;
        case 'C':
            o->target_ci = strtod(optarg, &end);
            if (*end || end == optarg || !(o->target_ci > 0 && o->target_ci < 1))
                return usage_error(usage_run,
                                   "--target-ci: got \"%s\", expected an interval width in (0, 1)",
                                   optarg);
            break;
        case 'B':
            o->block = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->block < 1)
                return usage_error(usage_run,
                                   "--block-paths: got \"%s\", expected a positive "
                                   "integer",
                                   optarg);
            break;
        case 'M':
            o->max_memory = parse_size(optarg);
            if (!(o->max_memory > 0))
                return usage_error(usage_run,
                                   "--max-memory: got \"%s\", expected a size such as 2G, 512M "
                                   "or 1000000000",
                                   optarg);
            break;
        case 'W':
            if (la->n_sweeps >= (int)(sizeof la->sweeps / sizeof la->sweeps[0]))
                return usage_error(usage_run, "--sweep: too many (%s)", optarg);
            la->sweeps[la->n_sweeps++] = optarg;
            break;
        case 'D': {
            char slash;
            if (sscanf(optarg, "%d/%d%c", &o->shard_i, &o->shard_n, &slash) != 2 ||
                o->shard_n < 1 || o->shard_i < 0 || o->shard_i >= o->shard_n)
                return usage_error(usage_run,
                                   "--shard: got \"%s\", expected I/N with 0 <= I < N, e.g. 0/4",
                                   optarg);
            break;
        }
        case 'R':
            o->resume = 1;
            break;
        case 'K':
            o->ckpt_every = strtod(optarg, &end);
            if (*end || end == optarg || !(o->ckpt_every >= 0 && o->ckpt_every <= 1e6))
                return usage_error(usage_run,
                                   "--checkpoint-every: got \"%s\", expected minutes (0 to 1e6; "
                                   "0: after every window)",
                                   optarg);
            break;
        case 'w':
            o->window_outputs = strtol(optarg, &end, 10);
            if (*end || end == optarg || o->window_outputs < 1)
                return usage_error(
                    usage_run, "--window-outputs: got \"%s\", expected a positive integer", optarg);
            break;
        case 'h':
            fputs(usage_run, stdout);
            return 0;
        default:
            fprintf(stderr, "\n%s", usage_run);
            return 2;
        }
    }
    if (optind != argc - 1)
        return usage_error(usage_run, "run: expected one SCENARIO file%s",
                           optind < argc - 1 ? ", got more" : "");
    o->file = argv[optind];
    return -1;
}

static void print_reqrun(const struct ic_reqrun *rr, const char *out_path, int json, int quiet);

/* The headline of a run (or what stopped it); returns the exit code. */
static int print_run(const struct run_options *o, const struct ic_run_outcome *out, int status,
                     const struct ic_error *err) {
    if (out->kind == IC_RUN_SINGLE && out->reported) {
        if (o->json) {
            ic_report_print_json(stdout, &out->rep);
        } else if (!o->quiet) {
            ic_report_print(stdout, &out->rep);
            if (out->checkpointed && (out->ckpt_saved || out->ckpt_resumed_from))
                printf("  checkpoints  resumed at output %ld of %ld; %d written in %.2f s%s\n",
                       out->ckpt_resumed_from, out->nout, out->ckpt_saved, out->ckpt_save_s,
                       out->partial ? "" : " (removed: the run is complete)");
            printf("  wrote %s\n", out->out_path);
        }
    }
    if (out->partial) {
        int saved = out->checkpointed && out->ckpt_saved;
        fprintf(stderr,
                "infercap: interrupted: %s holds the run to %s, marked partial (its figures are "
                "to then)%s%s%s\n",
                out->out_path, out->until, saved ? "; continue it with --resume (" : "",
                saved ? out->ckpt_path : "", saved ? ")" : "");
        return ic_status_exit_code(IC_ERR_INTERRUPTED);
    }
    if (status != IC_OK) return fail(err);
    struct ic_error err2 = {0};
    if (out->kind == IC_RUN_REQUEST) {
        print_reqrun(&out->rr, out->out_path, o->json, o->quiet);
    } else if (out->kind == IC_RUN_SWEEP && (!o->quiet || o->json)) {
        if (!o->json)
            printf("%ld point%s run in %.1f s%s\n", out->points_run,
                   out->points_run == 1 ? "" : "s", out->sweep_s,
                   o->resume ? " (the others resumed)" : "");
        if (ic_output_info(out->out_path, o->json, stdout, &err2) != IC_OK) return fail(&err2);
    }
    return 0;
}

static int cmd_run(int argc, char **argv, const char *cmdline) {
    struct run_options o;
    int rc = parse_run_options(argc, argv, &o);
    if (rc >= 0) return rc;
    struct ic_catalog cat;
    struct ic_scenario *sc;
    rc = load(o.file, &o.la, &cat, &sc);
    if (rc >= 0) return rc;
    struct run_ui ui = {.quiet = o.quiet || o.json};
    struct ic_load_opts lo = load_opts(&o.la);
    struct ic_run_request req = {.file = o.file,
                                 .load = &lo,
                                 .cat = &cat,
                                 .sc = sc,
                                 .out_path = o.out_path,
                                 .command_line = cmdline,
                                 .threads = o.threads,
                                 .quiet = o.quiet || o.json,
                                 .resume = o.resume,
                                 .shard_index = o.shard_i,
                                 .shard_count = o.shard_n,
                                 .mpi = ic_mpi_launched(),
                                 .target_ci = o.target_ci,
                                 .block_paths = o.block,
                                 .max_memory = o.max_memory,
                                 .checkpoint_every_min = o.ckpt_every,
                                 .window_outputs = o.window_outputs,
                                 .hooks = {.ctx = &ui,
                                           .should_stop = ic_interrupted,
                                           .temp_output = ic_interrupt_temp,
                                           .cooperative = ic_interrupt_cooperative,
                                           .note = note_line,
                                           .progress_begin = progress_begin,
                                           .block = block_cb,
                                           .sweep_line = sweep_line}};
    if (!o.quiet && isatty(STDERR_FILENO)) req.hooks.progress = progress_cb;
    struct ic_run_outcome *out = malloc(sizeof *out);
    if (!out) {
        rc = ic_status_exit_code(IC_ERR_NOMEM);
    } else {
        struct ic_error err = {0};
        int status = ic_run_pipeline(&req, out, &err);
        if (status == IC_OK && out->kind == IC_RUN_MPI)
            rc = ic_mpi_sweep(&out->sweep, o.json, o.quiet);
        else
            rc = print_run(&o, out, status, &err);
        ic_run_outcome_free(out);
        free(out);
    }
    ic_catalog_free(&cat);
    free(sc);
    return rc;
}

/* ---- merge ---------------------------------------------------------------------------------- */

static const char *usage_merge =
    "usage: infercap merge PART.h5... -o OUT.h5\n"
    "\n"
    "Combine the partial files of a sharded sweep (`infercap run --shard I/N`) into one result.\n"
    "The parts must be results of the same scenario (the same resolved JSON, so the same sweep,\n"
    "seed and overrides) and hold every point exactly once; otherwise nothing is written and\n"
    "the message names the missing or repeated points.  The merged file's datasets are\n"
    "identical to those of the same sweep run in one process.\n"
    "\n"
    "options:\n"
    "  -o, --output OUT.h5   the merged file (required)\n"
    "  -q, --quiet           do not print the merged file's table\n"
    "  -h, --help            this help\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 invalid input, 3 interrupted (SIGINT or\n"
    "SIGTERM stops at once; no output)\n";

static int cmd_merge(int argc, char **argv, const char *cmdline) {
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *out_path = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out_path = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage_merge, stdout);
            return 0;
        default:
            fprintf(stderr, "\n%s", usage_merge);
            return 2;
        }
    }
    if (!out_path) return usage_error(usage_merge, "merge: %s", "-o OUT.h5 is required");
    if (optind >= argc) return usage_error(usage_merge, "merge: %s", "expected PART files");
    int rc0 =
        check_outputs(out_path, (const char *const *)argv + optind, (size_t)(argc - optind), 0);
    if (rc0 >= 0) return rc0;
    struct ic_catalog cat;
    struct ic_error err = {0};
    if (ic_catalog_builtin(&cat, &err)) return fail(&err);
    /* A signal stops merge at once and deletes the temporary output it may have begun. */
    char tmp[4200];
    ic_temp_name(out_path, tmp, sizeof tmp);
    ic_interrupt_temp(tmp);
    int rc = ic_sweep_merge((const char *const *)argv + optind, argc - optind, out_path, cmdline,
                            &cat, &err);
    ic_interrupt_temp(NULL);
    ic_catalog_free(&cat);
    if (rc != IC_OK) return fail(&err);
    if (!quiet && ic_output_info(out_path, 0, stdout, &err) != IC_OK) return fail(&err);
    return 0;
}

/* ---- validate ------------------------------------------------------------------------------ */

static int cmd_validate(int argc, char **argv) {
    static const struct option longopts[] = {{"set", required_argument, 0, 'S'},
                                             {"sweep", required_argument, 0, 'W'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    struct load_args la;
    memset(&la, 0, sizeof la);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'S') {
            if (add_set(&la, optarg))
                return usage_error(usage_validate, "too many --set options (at most %s)", "256");
        } else if (c == 'W') {
            if (la.n_sweeps >= (int)(sizeof la.sweeps / sizeof la.sweeps[0]))
                return usage_error(usage_validate, "--sweep: too many (%s)", optarg);
            la.sweeps[la.n_sweeps++] = optarg;
        } else if (c == 'h') {
            fputs(usage_validate, stdout);
            return 0;
        } else {
            fprintf(stderr, "\n%s", usage_validate);
            return 2;
        }
    }
    if (optind != argc - 1)
        return usage_error(usage_validate, "validate: expected one SCENARIO file%s", "");
    const char *file = argv[optind];
    struct ic_catalog cat;
    struct ic_scenario *sc;
    int rc = load(file, &la, &cat, &sc);
    if (rc >= 0) return rc;
    struct ic_error err = {0};
    struct ic_plan plan;
    rc = ic_plan_compile(sc, &plan, &err);
    long n_points = 1;
    if (rc == IC_OK && sc->sweep.n_axes > 0) {
        /* Every point of the sweep loads, compiles and has the same shape. */
        struct ic_load_opts lo = load_opts(&la);
        struct ic_sweep_run run = {.file = file, .load = &lo, .cat = &cat, .out_path = "x"};
        if (ic_sweep_validate(&run, &n_points, &err) != IC_OK) {
            ic_plan_free(&plan);
            ic_catalog_free(&cat);
            free(sc);
            fprintf(stderr, "%s\n", err.msg);
            return ic_status_exit_code(err.status);
        }
    }
    if (rc == IC_OK) {
        printf("%s: valid: scenario \"%s\", %lld paths x %ld steps of %g s, %ld output times\n",
               file, sc->name, sc->paths, plan.nsteps, sc->step_s, plan.nout);
        const struct ic_pool_service *svc = &plan.pool[0].svc;
        /* the closed form's batch and rate are the operating point only when the curve is */
        printf("  replica: %ld x %s for %s; closed form%s: batch %ld (%s), %.3g req/s, %.4g "
               "tokens/s\n",
               plan.fit.accels, sc->accelerator.value.key, sc->model.value.key,
               svc->mode == IC_CURVE_MEASURED ? " (not used: the service curve is measured)" : "",
               plan.perf.batch, ic_batch_limit_name(plan.perf.limit), plan.perf.requests_per_s,
               plan.perf.tokens_per_s);
        if (plan.roles)
            for (int q = 0; q < 2; q++)
                printf("  %s units: %.0f x %s, %.4g %s tokens/s each (%s), %.4g req/s each\n",
                       q ? "decode" : "prefill", plan.pool[q].unit_accels, plan.pool[q].accel->key,
                       plan.pool[q].unit_tokens_per_s, q ? "generated" : "uncached prompt",
                       (q ? sc->fleet.roles.decode.measured_tokens_per_s
                          : sc->fleet.roles.prefill.measured_tokens_per_s) > 0
                           ? "measured"
                           : "performance model",
                       plan.pool[q].mu * plan.pool[q].rho_slo);
        const char *cache = ic_curve_cache_phrase(svc);
        printf("  service curve (%s%s%s): %.3g req/s per replica, the objectives met up to %.3g "
               "req/s\n",
               ic_curve_mode_name(svc->mode), cache[0] ? ", " : "", cache, svc->rps,
               svc->slo_util * svc->sat_rps);
        struct ic_req_input rin;
        struct ic_error why = {0};
        if (svc->mode != IC_CURVE_MEASURED && sc->service_curve.mode == IC_CURVE_MEASURED &&
            ic_plan_req_input(&plan, 0, &rin, &why) != IC_OK)
            printf("    measured was asked for but not possible (%s)\n", why.msg);
        printf("  %d parameter%s drawn per path\n", plan.n_random, plan.n_random == 1 ? "" : "s");
        if (sc->sweep.n_axes > 0) printf("  a sweep of %ld points, every one valid\n", n_points);
        ic_plan_free(&plan);
    } else {
        fprintf(stderr, "%s: %s\n", file, err.msg);
    }
    ic_catalog_free(&cat);
    free(sc);
    return rc == IC_OK ? 0 : ic_status_exit_code(rc);
}

/* ---- params -------------------------------------------------------------------------------- */

static void param_default(const struct ic_param *p, char *buf, size_t n) {
    switch (p->type) {
    case IC_T_NUM:
    case IC_T_INT:
    case IC_T_DIST:
    case IC_T_IDIST:
        if (p->required)
            snprintf(buf, n, "(required)");
        else
            snprintf(buf, n, "%.10g", p->def);
        break;
    case IC_T_STR:
        snprintf(buf, n, p->required ? "(required)" : "\"%s\"", p->def_str ? p->def_str : "");
        break;
    case IC_T_ENUM: {
        const char *c = ic_param_choice_name(p, (int)p->def);
        snprintf(buf, n, "%s", c ? c : "");
        break;
    }
    case IC_T_NUMARR:
        snprintf(buf, n, "%s", p->def_str ? p->def_str : "[]");
        break;
    case IC_T_TIME:
    case IC_T_ACCEL:
    case IC_T_LLM:
        snprintf(buf, n, "(required)");
        break;
    case IC_T_OBJARR:
        snprintf(buf, n, p->min_count ? "[%d element]" : "[]", p->min_count);
        break;
    default:
        buf[0] = '\0';
    }
}

static int has_range(const struct ic_param *p) {
    return p->type == IC_T_NUM || p->type == IC_T_INT || p->type == IC_T_DIST ||
           p->type == IC_T_IDIST || p->type == IC_T_NUMARR;
}

static int cmd_params(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_params, stdout);
            return 0;
        } else {
            return usage_error(usage_params, "params: unknown option \"%s\"", argv[i]);
        }
    }
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < ic_param_count; i++) {
            const struct ic_param *p = &ic_params[i];
            cJSON *o = cJSON_CreateObject();
            char def[256];
            param_default(p, def, sizeof def);
            cJSON_AddStringToObject(o, "path", p->path);
            cJSON_AddStringToObject(o, "type", ic_param_type_name(p));
            cJSON_AddBoolToObject(o, "required", p->required);
            if (has_range(p) && !p->required && p->type != IC_T_NUMARR)
                cJSON_AddNumberToObject(o, "default", p->def);
            else if (!p->required)
                cJSON_AddStringToObject(o, "default", def);
            if (has_range(p)) {
                cJSON_AddNumberToObject(o, "min", p->min);
                cJSON_AddNumberToObject(o, "max", p->max);
            }
            if (p->choices) {
                char choices[256];
                ic_param_choices_text(p, "|", choices, sizeof choices);
                cJSON_AddStringToObject(o, "choices", choices);
            }
            cJSON_AddStringToObject(o, "units", p->units ? p->units : "");
            cJSON_AddStringToObject(o, "doc", p->doc ? p->doc : "");
            cJSON_AddItemToArray(arr, o);
        }
        char *s = cJSON_Print(arr);
        printf("%s\n", s);
        free(s);
        cJSON_Delete(arr);
        return 0;
    }
    printf("Scenario parameters (JSON Pointer; \"*\" is an array index).  Types marked\n"
           "\"distribution\" also take {\"dist\": fixed|uniform|normal|lognormal|triangular|"
           "choice, ...}.\n\n");
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        char def[256], range[96] = "", choices[256];
        param_default(p, def, sizeof def);
        ic_param_choices_text(p, "|", choices, sizeof choices);
        if (has_range(p)) snprintf(range, sizeof range, "  range [%g, %g]", p->min, p->max);
        printf("%s\n    %s%s%s%s%s%s%s%s\n    %s\n", p->path, ic_param_type_name(p),
               def[0] ? "; default " : "", def, range, p->units && p->units[0] ? "  units " : "",
               p->units ? p->units : "", p->choices ? "  choices " : "", choices, p->doc);
    }
    printf("\nFields of /accelerator and /model objects: see `infercap catalog accelerators|"
           "models --json`.\n");
    return 0;
}

/* ---- catalog ------------------------------------------------------------------------------- */

static void num(char *buf, size_t n, double v, const char *fmt) {
    if (isfinite(v))
        snprintf(buf, n, fmt, v);
    else
        snprintf(buf, n, "-");
}

static int cmd_catalog(int argc, char **argv) {
    int json = 0, which = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_catalog, stdout);
            return 0;
        } else if (strcmp(argv[i], "accelerators") == 0 && which < 0)
            which = 0;
        else if (strcmp(argv[i], "models") == 0 && which < 0)
            which = 1;
        else
            return usage_error(usage_catalog, "catalog: unexpected argument \"%s\"", argv[i]);
    }
    if (which < 0)
        return usage_error(usage_catalog, "catalog: say which: accelerators or models%s", "");
    struct ic_catalog cat;
    struct ic_error err = {0};
    if (ic_catalog_builtin(&cat, &err)) return fail(&err);
    if (json) {
        char *s = ic_catalog_json(&cat, which);
        printf("%s\n", s ? s : "{}");
        free(s);
    } else if (which == 0) {
        printf("%-24s %-10s %8s %8s %6s %7s %7s %6s %8s  %s\n", "key", "vendor", "BF16TF", "FP8TF",
               "HBM_GB", "BW_TB/s", "UP_GB/s", "TDP_W", "USD_est", "conf.");
        for (size_t i = 0; i < cat.n_accels; i++) {
            const struct ic_accelerator *a = &cat.accels[i];
            char b[8][24];
            num(b[0], 24, a->bf16_dense_tflops, "%.0f");
            num(b[1], 24, a->fp8_dense_tflops, "%.0f");
            num(b[2], 24, a->hbm_gb, "%.0f");
            num(b[3], 24, a->hbm_bandwidth_tbps, "%.2f");
            num(b[4], 24, a->scaleup_bw_gbps, "%.0f");
            num(b[5], 24, a->tdp_w, "%.0f");
            num(b[6], 24, a->price_usd_est, "%.0f");
            /* The vendor's Latin name only: "MetaX (...)" -> "MetaX", cut at 10 bytes. */
            char vendor[11];
            const char *paren = strstr(a->vendor, " (");
            size_t vn = paren ? (size_t)(paren - a->vendor) : strlen(a->vendor);
            ic_strlcpy(vendor, a->vendor, vn + 1 < sizeof vendor ? vn + 1 : sizeof vendor);
            printf("%-24s %-10s %8s %8s %6s %7s %7s %6s %8s  %s\n", a->key, vendor, b[0], b[1],
                   b[2], b[3], b[4], b[5], b[6], a->confidence);
        }
        printf("\nDense peaks; prices are estimates; '-' = no public source.  Sources: --json.\n");
    } else {
        printf("%-30s %8s %8s %6s %5s %10s %8s  %s\n", "key", "params_B", "active_B", "layers",
               "attn", "KV_B/tok", "ctx", "conf.");
        for (size_t i = 0; i < cat.n_llms; i++) {
            const struct ic_llm *m = &cat.llms[i];
            printf("%-30s %8.1f %8.1f %6.0f %5s %10.0f %8.0f  %s\n", m->key, m->total_params_b,
                   m->active_params_b, m->layers, m->attention, m->kv_cache_bytes_per_token_bf16,
                   m->max_context, m->confidence);
        }
        printf("\nKV bytes per token at BF16, all layers.  Sources: --json.\n");
    }
    ic_catalog_free(&cat);
    return 0;
}

/* ---- the request engine: run (engine "request") and replay ------------------------------- */

/* The headline of a request-engine run written to out_path. */
static void print_reqrun(const struct ic_reqrun *rr, const char *out_path, int json, int quiet) {
    if (json) {
        ic_reqrun_print(stdout, rr, 1);
    } else if (!quiet) {
        ic_reqrun_print(stdout, rr, 0);
        printf("  wrote %s\n", out_path);
    }
}

static const char *usage_replay =
    "usage: infercap replay SCENARIO --trace FILE [options]\n"
    "\n"
    "Replay a request trace through the request-level engine (continuous batching, chunked\n"
    "prefill, paged KV cache with preemption, prefix cache) on the scenario's fleet: its\n"
    "model, accelerator, /fleet/accelerators, /serving and /queue; /request_engine/routing and\n"
    "drain_s.  Writes per-request latencies and per-replica series to an HDF5 file.\n"
    "\n"
    "options:\n"
    "      --trace FILE         the trace (required)\n"
    "      --format F           mooncake (JSON lines: timestamp ms, input_length,\n"
    "                           output_length, hash_ids), azure (CSV: TIMESTAMP,\n"
    "                           ContextTokens, GeneratedTokens) or csv (arrival s, input tokens,\n"
    "                           output tokens); default from the file: .jsonl/.json mooncake,\n"
    "                           a CSV whose header names TIMESTAMP azure, else csv\n"
    "      --time-scale X       multiply arrival times by X (0.5: twice the load; default 1)\n"
    "  -o, --output OUT.h5      result file (default: NAME-replay.h5)\n"
    "      --set /ptr=VALUE     override a scenario field (repeatable)\n"
    "      --max-memory SIZE    refuse replays estimated to need more (e.g. 2G, 512M; default\n"
    "                           80% of physical memory): the replicas' series grow with the\n"
    "                           trace's span / /request_engine/interval_s x replicas\n"
    "  -q, --quiet              no headline text\n"
    "      --json               print the headline as one JSON object\n"
    "  -h, --help               this help\n"
    "\n"
    "exit status: 0 success, 1 runtime failure, 2 invalid input (the trace's bad rows are\n"
    "named with their line), 3 interrupted (SIGINT or SIGTERM stops at once; no output)\n";

static int cmd_replay(int argc, char **argv, const char *cmdline) {
    static const struct option longopts[] = {{"trace", required_argument, 0, 'T'},
                                             {"format", required_argument, 0, 'F'},
                                             {"time-scale", required_argument, 0, 'X'},
                                             {"output", required_argument, 0, 'o'},
                                             {"set", required_argument, 0, 'S'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"json", no_argument, 0, 'J'},
                                             {"max-memory", required_argument, 0, 'M'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    struct load_args la;
    memset(&la, 0, sizeof la);
    const char *trace = NULL, *out_path = NULL;
    int format = -1, quiet = 0, json = 0, c;
    double scale = 1, max_memory = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'T':
            trace = optarg;
            break;
        case 'F':
            format = ic_trace_format_parse(optarg);
            if (format < 0)
                return usage_error(usage_replay,
                                   "--format: got \"%s\", expected mooncake, azure or csv", optarg);
            break;
        case 'X':
            scale = strtod(optarg, &end);
            if (*end || end == optarg || !(scale > 0) || !isfinite(scale))
                return usage_error(usage_replay, "--time-scale: got \"%s\", expected a number > 0",
                                   optarg);
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'M':
            max_memory = parse_size(optarg);
            if (!(max_memory > 0))
                return usage_error(usage_replay,
                                   "--max-memory: got \"%s\", expected a size such as 2G, 512M "
                                   "or 1000000000",
                                   optarg);
            break;
        case 'S':
            if (add_set(&la, optarg))
                return usage_error(usage_replay, "too many --set options (at most %s)", "256");
            break;
        case 'q':
            quiet = 1;
            break;
        case 'J':
            json = 1;
            break;
        case 'h':
            fputs(usage_replay, stdout);
            return 0;
        default:
            fprintf(stderr, "\n%s", usage_replay);
            return 2;
        }
    }
    if (optind != argc - 1)
        return usage_error(usage_replay, "replay: expected one SCENARIO file%s", "");
    if (!trace) return usage_error(usage_replay, "replay: %s is required", "--trace FILE");
    const char *file = argv[optind];
    struct ic_catalog cat;
    struct ic_scenario *sc;
    int rc = load(file, &la, &cat, &sc);
    if (rc >= 0) return rc;
    if (format < 0) format = ic_trace_format_guess(trace);
    struct ic_error err = {0};
    struct ic_trace t;
    memset(&t, 0, sizeof t);
    char def_out[IC_NAME_MAX + 16];
    snprintf(def_out, sizeof def_out, "%s-replay.h5", sc->name);
    if (!out_path) out_path = def_out;
    const char *inputs[] = {file, trace};
    rc = check_outputs(out_path, inputs, 2, 0);
    if (rc >= 0) {
        ic_catalog_free(&cat);
        free(sc);
        return rc;
    }
    rc = ic_trace_read(trace, format, scale, sc->request_engine.max_requests, &t, &err);
    struct ic_reqrun rr;
    memset(&rr, 0, sizeof rr);
    if (rc == IC_OK) {
        static const char *const names[] = {"mooncake", "azure", "csv"};
        char label[4300];
        snprintf(label, sizeof label, "%s (%s%s%g)", trace, names[format],
                 scale != 1 ? ", time scale " : "", scale != 1 ? scale : 0.0);
        if (scale == 1) snprintf(label, sizeof label, "%s (%s)", trace, names[format]);
        rc = ic_reqrun_from_trace(sc, &t, label, &rr, &err);
        if (rc != IC_OK) ic_error_prefix(&err, "%s: ", file);
    }
    if (rc == IC_OK) {
        /* The replicas' series grow with the trace's span: refuse before running. */
        rc = ic_reqrun_check_memory(&rr, ic_run_memory_limit(max_memory), "the trace's span",
                                    "replay a shorter trace (or with --time-scale below 1)", &err);
        if (rc != IC_OK) ic_error_prefix(&err, "%s: ", file);
    }
    if (rc == IC_OK) {
        struct ic_run_hooks hooks = {.temp_output = ic_interrupt_temp};
        rc = ic_run_request_engine_write(&rr, sc, out_path, cmdline, &hooks, &err);
    }
    if (rc == IC_OK)
        print_reqrun(&rr, out_path, json, quiet);
    else
        rc = fail(&err);
    ic_reqrun_free(&rr);
    ic_trace_free(&t);
    ic_catalog_free(&cat);
    free(sc);
    return rc;
}

/* ---- info ---------------------------------------------------------------------------------- */

static int cmd_info(int argc, char **argv) {
    int json = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_info, stdout);
            return 0;
        } else if (argv[i][0] == '-' || file)
            return usage_error(usage_info, "info: unexpected argument \"%s\"", argv[i]);
        else
            file = argv[i];
    }
    if (!file) return usage_error(usage_info, "info: expected a result file%s", "");
    struct ic_error err = {0};
    if (ic_output_info(file, json, stdout, &err)) return fail(&err);
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    /* Library-global settings, before any parallel region (DESIGN.md, convention 6). */
    gsl_set_error_handler_off();
    ic_interrupt_install();
    /* No HDF5 clean-up at exit: after a failed write (a full disk) the library's own exit
     * handler would try to close the broken file again and crash; the OS frees everything. */
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (ic_h5in_init() != 0) {
        fputs("infercap: cannot set up the HDF5 reader\n", stderr);
        return 1;
    }

    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    ic_cli_curve_cache(&argc, argv);
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("infercap %s (git %s)\n", IC_VERSION, ic_git_commit);
        return 0;
    }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    int sub_argc = argc - 1;
    char **sub_argv = argv + 1;
    if (strcmp(cmd, "run") == 0) {
        char cmdline[4096];
        join_args(argc, argv, cmdline, sizeof cmdline);
        return cmd_run(sub_argc, sub_argv, cmdline);
    }
    if (strcmp(cmd, "replay") == 0) {
        char cmdline[4096];
        join_args(argc, argv, cmdline, sizeof cmdline);
        return cmd_replay(sub_argc, sub_argv, cmdline);
    }
    if (strcmp(cmd, "merge") == 0) {
        char cmdline[4096];
        join_args(argc, argv, cmdline, sizeof cmdline);
        return cmd_merge(sub_argc, sub_argv, cmdline);
    }
    if (strcmp(cmd, "validate") == 0) return cmd_validate(sub_argc, sub_argv);
    if (strcmp(cmd, "params") == 0) return cmd_params(sub_argc, sub_argv);
    if (strcmp(cmd, "catalog") == 0) return cmd_catalog(sub_argc, sub_argv);
    if (strcmp(cmd, "info") == 0) return cmd_info(sub_argc, sub_argv);
    if (strcmp(cmd, "fit") == 0) return ic_cli_fit(sub_argc, sub_argv);
    if (strcmp(cmd, "perf") == 0) return ic_cli_perf(sub_argc, sub_argv);
    if (strcmp(cmd, "calibrate") == 0) return ic_cli_calibrate(sub_argc, sub_argv);
    if (strcmp(cmd, "solve") == 0) return ic_cli_solve(sub_argc, sub_argv);
    if (strcmp(cmd, "crosscheck") == 0) return ic_cli_crosscheck(sub_argc, sub_argv);
    static const char *const cmds[] = {"run",   "validate", "params",    "catalog",
                                       "info",  "fit",      "perf",      "solve",
                                       "merge", "replay",   "calibrate", "crosscheck"};
    char dym[200];
    ic_did_you_mean(cmd, cmds, sizeof cmds / sizeof cmds[0], dym, sizeof dym);
    fprintf(stderr, "infercap: unknown command \"%s\"%s\n\n%s", cmd, dym, usage_main);
    return 2;
}
