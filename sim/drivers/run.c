/* run.c: the run pipeline (run.h): load, compile, run, reduce, write; it prints nothing. */
#include "sim/drivers/run.h"
#include "sim/core/version.h"

#include "sim/core/timeutil.h"
#include "sim/core/util.h"
#include "sim/io/output.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the pieces ----------------------------------------------------------------------------- */

int ic_run_load(const char *file, const struct ic_load_opts *opts, struct ic_catalog *cat,
                struct ic_scenario **out, struct ic_diag *diag, struct ic_error *err) {
    *out = NULL;
    struct ic_scenario *sc = malloc(sizeof *sc);
    if (!sc) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    if (ic_catalog_builtin(cat, err)) {
        free(sc);
        return err->status;
    }
    int rc = ic_scenario_load(file, opts, cat, sc, diag, err);
    if (rc != IC_OK) {
        free(sc);
        ic_catalog_free(cat);
        return rc;
    }
    *out = sc;
    return IC_OK;
}

int ic_run_check_outputs(const char *out, const char *const *inputs, size_t n, int family,
                         struct ic_error *err) {
    char ckpt[4200], points[4200];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", out ? out : "");
    snprintf(points, sizeof points, "%s.points", out ? out : "");
    /* An existing checkpoint is an input of a resumed run. */
    const char *ckpt_input[] = {ckpt};
    int rc = ic_check_output_path("-o", out, inputs, n, err);
    if (rc == IC_OK && family) rc = ic_check_output_path("-o", out, ckpt_input, 1, err);
    if (rc == IC_OK && family) rc = ic_check_output_path("the checkpoint", ckpt, inputs, n, err);
    if (rc == IC_OK && family) rc = ic_check_work_dir(points, inputs, n, err);
    return rc;
}

double ic_run_memory_limit(double max_memory) {
    if (max_memory > 0) return max_memory;
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? 0.8 * (double)pages * (double)size : 0;
}

static void note(const struct ic_run_hooks *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(const struct ic_run_hooks *h, const char *fmt, ...) {
    if (!h->note) return;
    char line[IC_ERROR_MSG_MAX + 4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    h->note(h->ctx, line);
}

static void temp_output(const struct ic_run_hooks *h, const char *path) {
    if (h->temp_output) h->temp_output(path);
}

int ic_run_request_engine_write(struct ic_reqrun *rr, const struct ic_scenario *sc,
                                const char *out_path, const char *command_line,
                                const struct ic_run_hooks *hooks, struct ic_error *err) {
    struct ic_output out;
    out.fid = -1;
    out.tmp[0] = '\0';
    int rc = ic_output_open(&out, out_path, err);
    if (rc == IC_OK) temp_output(hooks, out.tmp); /* a signal stops at once and deletes it */
    if (rc == IC_OK) rc = ic_reqrun_run(rr, err);
    char *resolved = rc == IC_OK ? ic_scenario_resolved_json(sc) : NULL;
    if (rc == IC_OK && !resolved) rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    struct ic_provenance prov = {command_line, IC_VERSION, ic_git_commit};
    if (rc == IC_OK)
        rc = ic_output_requests(&out, sc, rr, resolved, &prov, err);
    else if (out.fid >= 0)
        ic_output_abort(&out);
    temp_output(hooks, NULL);
    free(resolved);
    return rc;
}

/* ---- the request engine ------------------------------------------------------------------- */

static int run_request_engine(const struct ic_run_request *req, struct ic_run_outcome *out,
                              struct ic_error *err) {
    const struct ic_scenario *sc = req->sc;
    out->kind = IC_RUN_REQUEST;
    if (ic_reqrun_from_scenario(sc, req->threads, &out->rr, err) != IC_OK) {
        ic_error_prefix(err, "%s: ", req->file);
        return err->status;
    }
    out->have_reqrun = 1;
    struct ic_reqrun *rr = &out->rr;
    rr->cfg.horizon_s = rr->window_s + sc->request_engine.drain_s;
    if (ic_reqrun_check_memory(rr, ic_run_memory_limit(req->max_memory),
                               "/request_engine/duration_s", "lower /request_engine/duration_s",
                               err) != IC_OK) {
        ic_error_prefix(err, "%s: ", req->file);
        return err->status;
    }
    return ic_run_request_engine_write(rr, sc, out->out_path, req->command_line, &req->hooks, err);
}

/* ---- sweeps ------------------------------------------------------------------------------- */

/* A sweep (or a shard of one): every point validated, run into the work directory, then
 * assembled. */
static int run_sweep(const struct ic_run_request *req, struct ic_run_outcome *out,
                     struct ic_error *err) {
    const struct ic_scenario *sc = req->sc;
    out->kind = IC_RUN_SWEEP;
    /* The memory a point needs (every point has the same shape). */
    struct ic_plan plan;
    int rc = ic_plan_compile(sc, &plan, err);
    if (rc == IC_OK) {
        double est = ic_plan_memory_bytes(&plan, ic_plan_window(&plan, 0), req->threads);
        double limit = ic_run_memory_limit(req->max_memory);
        if (limit > 0 && est > limit)
            rc = ic_error_set(err, IC_ERR_INVALID,
                              "%s: each point needs about %.2f GiB, more than the limit of %.2f "
                              "GiB (--max-memory); lower /paths (now %ld) or /output/store_paths "
                              "(now %ld), or raise /output/interval_s (now %g s)",
                              req->file, est / 1073741824.0, limit / 1073741824.0, plan.paths,
                              plan.store_paths, sc->output.interval_s);
        ic_plan_free(&plan);
    }
    if (rc != IC_OK) return rc;
    struct ic_sweep_run run = {.file = req->file,
                               .load = req->load,
                               .cat = req->cat,
                               .out_path = out->out_path,
                               .command_line = req->command_line,
                               .threads = req->threads,
                               .quiet = req->quiet,
                               .progress = req->hooks.sweep_line,
                               .progress_ctx = req->hooks.ctx,
                               .resume = req->resume,
                               .shard_index = req->shard_index,
                               .shard_count = req->shard_count,
                               .rank = 0};
    if (req->mpi) {
        if (req->shard_count > 1)
            return ic_error_set(err, IC_ERR_USAGE,
                                "--shard and MPI split the points two ways; use one");
        out->kind = IC_RUN_MPI;
        out->sweep = run;
        return IC_OK;
    }
    long n_points = 0;
    double t0 = ic_monotonic_s();
    int lock_fd = -1;
    run.should_stop = req->hooks.should_stop;
    run.lock_fd = &lock_fd;
    rc = ic_sweep_begin(&run, &n_points, err);
    if (rc == IC_OK) rc = ic_sweep_run_points(&run, &out->points_run, err);
    if (rc == IC_ERR_INTERRUPTED) {
        /* what is finished, marked partial; the work dir stays for --resume */
        run.partial_ok = 1;
        rc = ic_sweep_assemble(&run, err);
        if (rc == IC_ERR_INTERRUPTED) err->status = IC_ERR_INTERRUPTED;
    } else if (rc == IC_OK) {
        rc = ic_sweep_assemble(&run, err);
    }
    ic_sweep_unlock(lock_fd);
    out->sweep_s = ic_monotonic_s() - t0;
    return rc;
}

/* ---- a single run ------------------------------------------------------------------------- */

/* Blocks of paths (summaries only) until the interval is narrow enough; then the plan proper
 * with that many paths, which are the same paths.  The plan is compiled on success only. */
static int compile_plan(const struct ic_run_request *req, struct ic_plan *plan, double *mem_est,
                        struct ic_error *err) {
    struct ic_scenario *sc = req->sc;
    int status = ic_plan_compile(sc, plan, err);
    if (status == IC_OK && req->target_ci > 0) {
        long n = 0;
        struct ic_run_opts bo = {.threads = req->threads};
        status = ic_engine_target_ci(plan, req->target_ci, req->block_paths, &bo, req->hooks.block,
                                     req->hooks.ctx, &n, err);
        ic_plan_free(plan);
        if (status == IC_OK) {
            sc->paths = n;
            status = ic_plan_compile(sc, plan, err);
        }
    }
    if (status == IC_OK) {
        *mem_est = ic_plan_memory_bytes(plan, ic_plan_window(plan, 0), req->threads);
        double limit = ic_run_memory_limit(req->max_memory);
        if (limit > 0 && *mem_est > limit) {
            status = ic_error_set(
                err, IC_ERR_INVALID,
                "the run needs about %.2f GiB, more than the limit of %.2f GiB (--max-memory); "
                "lower /paths (now %ld) or /output/store_paths (now %ld), or raise "
                "/output/interval_s (now %g s)",
                *mem_est / 1073741824.0, limit / 1073741824.0, plan->paths, plan->store_paths,
                sc->output.interval_s);
            ic_plan_free(plan);
        }
    }
    return status;
}

/* Checkpoints: OUT.h5.ckpt.  One left by an earlier run is continued with --resume and never
 * silently replaced. */
static int setup_checkpoint(const struct ic_run_request *req, struct ic_run_outcome *out,
                            struct ic_checkpoint *ckpt, struct ic_error *err) {
    const char *path = out->ckpt_path;
    snprintf(out->ckpt_path, sizeof out->ckpt_path, "%s.ckpt", out->out_path);
    /* The temporaries of a checkpoint writer that was killed (OUT.h5.ckpt.tmp-PID). */
    ic_clean_stale_temporaries(path);
    int exists = access(path, F_OK) == 0;
    if (req->checkpoint_every_min < 0 && !req->resume) {
        if (exists)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s holds a checkpoint of an earlier run: continue it with "
                                "--resume, or delete it to start again",
                                path);
        return IC_OK;
    }
    out->checkpointed = 1;
    ckpt->path = path;
    ckpt->every_s = req->checkpoint_every_min >= 0 ? 60.0 * req->checkpoint_every_min : 1800.0;
    char *key_json = ic_scenario_resolved_json(req->sc);
    if (!key_json) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    ckpt->key = ic_fnv1a(IC_FNV_INIT, key_json, strlen(key_json));
    ckpt->key = ic_fnv1a(ckpt->key, IC_VERSION, strlen(IC_VERSION));
    ckpt->key = ic_fnv1a(ckpt->key, ic_git_commit, strlen(ic_git_commit));
    free(key_json);
    if (access(path, F_OK) == 0) {
        ckpt->resume = req->resume;
        if (!req->resume)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s holds a checkpoint of an earlier run: continue it with "
                                "--resume, or delete it to start again",
                                path);
        if (!req->quiet) note(&req->hooks, "resuming from %s", path);
    } else if (req->resume && !req->quiet) {
        note(&req->hooks, "no checkpoint %s: starting from the beginning", path);
    }
    return IC_OK;
}

/* Run the compiled plan into the open output, reduce and write; fills the headline. */
static int run_write(const struct ic_run_request *req, struct ic_run_outcome *out,
                     const struct ic_plan *plan, struct ic_checkpoint *ckpt, double mem_est,
                     struct ic_results *res, struct ic_error *err) {
    const struct ic_run_hooks *h = &req->hooks;
    struct ic_output output;
    output.fid = -1;
    output.tmp[0] = '\0';
    double engine_s = 0;
    int status = ic_output_open(&output, out->out_path, err);
    if (status == IC_OK) temp_output(h, output.tmp);
    if (status == IC_OK) status = ic_results_alloc(plan, res, err);
    if (status == IC_OK) {
        if (h->progress_begin) h->progress_begin(h->ctx);
        double t0 = ic_monotonic_s();
        struct ic_run_opts ro = {.threads = req->threads,
                                 .window_outputs = req->window_outputs,
                                 .progress = h->progress,
                                 .progress_ctx = h->ctx,
                                 .should_stop = h->should_stop,
                                 .checkpoint = out->checkpointed ? ckpt : NULL};
        status = ic_engine_run(plan, &ro, res, err);
        engine_s = ic_monotonic_s() - t0;
        if (out->checkpointed && ckpt->failed)
            note(h, "warning: %d checkpoint save%s failed, the last: %s", ckpt->failed,
                 ckpt->failed == 1 ? "" : "s", ckpt->why);
    }
    double t_reduce = ic_monotonic_s();
    if (status == IC_OK) status = ic_results_reduce(plan, res, err);
    if (status == IC_OK) {
        char *resolved = ic_scenario_resolved_json(req->sc);
        struct ic_provenance prov = {req->command_line, IC_VERSION, ic_git_commit};
        status = resolved ? ic_output_commit(&output, plan, res, resolved, &prov, err)
                          : ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        free(resolved);
    }
    if (status != IC_OK) ic_output_abort(&output);
    temp_output(h, NULL);
    if (status != IC_OK) return status;
    struct ic_report *rep = &out->rep;
    ic_report_from_run(plan, res, rep);
    ic_strlcpy(rep->file, out->out_path, sizeof rep->file);
    rep->engine_s = engine_s;
    rep->memory_bytes = mem_est;
    rep->write_s = ic_monotonic_s() - t_reduce;
    rep->peak_rss_bytes = ic_peak_rss_bytes();
    out->reported = 1;
    out->ckpt_saved = ckpt->saved;
    out->ckpt_resumed_from = ckpt->resumed_from;
    out->ckpt_save_s = ckpt->save_s;
    out->nout = plan->nout;
    if (out->checkpointed && !res->partial && remove(out->ckpt_path) != 0 && errno != ENOENT)
        note(h, "warning: %s: %s", out->ckpt_path, strerror(errno));
    if (res->partial) {
        const struct ic_scenario *sc = req->sc;
        double until = res->completed_nout < plan->nout ? plan->time_s[res->completed_nout]
                                                        : sc->horizon_days * 86400.0;
        ic_time_format(sc->start.unix_s + until, sc->start.offset_s, out->until, sizeof out->until);
        out->partial = 1;
        err->status = IC_ERR_INTERRUPTED;
        return IC_ERR_INTERRUPTED;
    }
    return IC_OK;
}

static int run_single(const struct ic_run_request *req, struct ic_run_outcome *out,
                      struct ic_error *err) {
    struct ic_plan plan;
    double mem_est = 0;
    int status = compile_plan(req, &plan, &mem_est, err);
    if (status != IC_OK) {
        ic_error_prefix(err, "%s: ", req->file);
        return status;
    }
    struct ic_checkpoint ckpt = {0};
    status = setup_checkpoint(req, out, &ckpt, err);
    if (status != IC_OK) {
        ic_error_prefix(err, "%s: ", req->file);
        ic_plan_free(&plan);
        return status;
    }
    struct ic_results res;
    memset(&res, 0, sizeof res);
    status = run_write(req, out, &plan, &ckpt, mem_est, &res, err);
    ic_plan_free(&plan);
    ic_results_free(&res);
    return status;
}

/* ---- the pipeline ------------------------------------------------------------------------- */

int ic_run_pipeline(const struct ic_run_request *req, struct ic_run_outcome *out,
                    struct ic_error *err) {
    const struct ic_scenario *sc = req->sc;
    memset(out, 0, sizeof *out);
    out->kind = IC_RUN_SINGLE;
    snprintf(out->def_out, sizeof out->def_out, "%s.h5", sc->name);
    out->out_path = req->out_path ? req->out_path : out->def_out;
    const char *inputs[] = {req->file};
    int rc = ic_run_check_outputs(out->out_path, inputs, 1, sc->engine != IC_ENG_REQUEST, err);
    if (rc != IC_OK) return rc;
    if (req->shard_count > 1 && sc->sweep.n_axes == 0)
        /* shard 0 would run everything and the others write empty "complete" files */
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: --shard %d/%d splits the points of a sweep, and this scenario "
                            "has no sweep (add /sweep or --sweep, or run without --shard)",
                            req->file, req->shard_index, req->shard_count);
    int swept = sc->sweep.n_axes > 0 || req->shard_count > 1 || req->mpi;
    if (req->checkpoint_every_min >= 0 &&
        (swept || req->target_ci > 0 || sc->engine == IC_ENG_REQUEST))
        return ic_error_set(err, IC_ERR_INVALID,
                            "%s: --checkpoint-every applies to a single run of the aggregate "
                            "engine (a sweep resumes by points with --resume; --target-ci and "
                            "the request engine do not checkpoint)",
                            req->file);
    if (sc->engine == IC_ENG_REQUEST) {
        if (sc->sweep.n_axes > 0 || req->shard_count > 1 || req->target_ci > 0)
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: the request engine runs one window: no sweep, --shard or "
                                "--target-ci",
                                req->file);
        return run_request_engine(req, out, err);
    }
    /* The aggregate engine stops at the next block on a first signal and writes what is
     * complete. */
    if (req->hooks.cooperative) req->hooks.cooperative(1);
    if (swept) {
        if (req->target_ci > 0)
            return ic_error_set(err, IC_ERR_INVALID,
                                "--target-ci applies to a single run, not a sweep");
        return run_sweep(req, out, err);
    }
    return run_single(req, out, err);
}

void ic_run_outcome_free(struct ic_run_outcome *out) {
    if (out->have_reqrun) ic_reqrun_free(&out->rr);
    out->have_reqrun = 0;
}
