/* run.h: one run of a scenario, the pipeline behind `infercap run`: load, compile, run (a
 * single run, --target-ci blocks, checkpoints and --resume, the request engine's window, or a
 * sweep through sweeprun), reduce, write.  The pieces (loading, the output-name checks, the
 * memory limit, the request engine's run and write) are what `validate`, `replay` and `merge`
 * call too.
 *
 * Nothing here prints: notices, warnings and progress go to the callbacks of struct
 * ic_run_hooks, and what the caller prints afterwards (the headline) is in struct
 * ic_run_outcome.  Signals stay the caller's: the hooks ask whether to stop, name the temporary
 * output to delete, and say when the run becomes cooperative (stops at the next block). */
#ifndef IC_RUN_H
#define IC_RUN_H

#include "sim/config/catalog_io.h"
#include "sim/config/scenario.h"
#include "sim/core/error.h"
#include "sim/drivers/reqrun.h"
#include "sim/drivers/sweeprun.h"
#include "sim/engine/engine.h"
#include "sim/io/report.h"

#include <stddef.h>

/* The built-in catalog and the scenario `file` with the user's overrides: *out (allocated, to
 * free) and *cat (to free) on success.  On failure nothing is left to free but *diag, which
 * holds every validation message when the status is IC_ERR_INVALID (else err says why). */
int ic_run_load(const char *file, const struct ic_load_opts *opts, struct ic_catalog *cat,
                struct ic_scenario **out, struct ic_diag *diag, struct ic_error *err);

/* Refuse, before any work, an output that would destroy what it is written over: an input of
 * the command or something not a regular file (util.h).  With `family`, also the files a run
 * derives from the output's name: its checkpoint OUT.ckpt and a sweep's work directory
 * OUT.points. */
int ic_run_check_outputs(const char *out, const char *const *inputs, size_t n, int family,
                         struct ic_error *err);

/* The memory a run may take: max_memory when > 0, else 80% of physical memory (0: unknown). */
double ic_run_memory_limit(double max_memory);

struct ic_run_hooks {
    void *ctx;                /* passed to the callbacks below */
    int (*should_stop)(void); /* asked between blocks, windows and points (NULL: never) */
    void (*temp_output)(const char *path); /* the temporary output being written (NULL: none) */
    void (*cooperative)(int on); /* the run now stops at the next block (a single run, sweeps) */
    /* A notice or warning, one line without its newline ("resuming from ...", "warning: ..."). */
    void (*note)(void *ctx, const char *line);
    void (*progress_begin)(void *ctx); /* the engine starts (the progress bar's clock) */
    ic_progress_fn progress;           /* the engine's progress (NULL: none) */
    ic_block_fn block;                 /* each block of --target-ci (NULL: none) */
    void (*sweep_line)(void *ctx, const char *line); /* a sweep's progress lines */
};

struct ic_run_request {
    const char *file;                /* the scenario file (named in messages) */
    const struct ic_load_opts *load; /* the user's --set and --sweep (for the sweep's points) */
    const struct ic_catalog *cat;
    struct ic_scenario *sc;   /* loaded (ic_run_load); --target-ci sets its /paths */
    const char *out_path;     /* NULL: NAME.h5 */
    const char *command_line; /* for the provenance record */
    int threads;              /* 0: all cores */
    int quiet;                /* no notices of resuming, no sweep progress, no block lines */
    int resume;
    int shard_index, shard_count; /* --shard I/N (count 0: none) */
    int mpi;                      /* started by an MPI launcher: the sweep goes back (IC_RUN_MPI) */
    double target_ci;             /* > 0: --target-ci */
    long block_paths;             /* paths per block of --target-ci */
    double max_memory;            /* bytes; <= 0: ic_run_memory_limit's default */
    double checkpoint_every_min;  /* < 0: not given */
    long window_outputs;          /* 0: automatic */
    struct ic_run_hooks hooks;
};

enum ic_run_kind {
    IC_RUN_SINGLE,  /* the aggregate engine, one run */
    IC_RUN_SWEEP,   /* a sweep (or a shard of one) in this process */
    IC_RUN_REQUEST, /* the request engine's window */
    IC_RUN_MPI      /* a sweep for the caller to run across MPI ranks (outcome.sweep) */
};

struct ic_run_outcome {
    int kind;
    const char *out_path; /* the request's, or def_out */
    char def_out[IC_NAME_MAX + 8];
    /* IC_RUN_SINGLE, when `reported`: the headline, and the checkpoints (when `checkpointed`) */
    int reported;
    struct ic_report rep;
    int checkpointed;
    int ckpt_saved;
    long ckpt_resumed_from;
    double ckpt_save_s;
    char ckpt_path[4200];
    long nout;
    /* interrupted (status IC_ERR_INTERRUPTED): the output holds the run to `until` */
    int partial;
    char until[48];
    /* IC_RUN_SWEEP */
    long points_run;
    double sweep_s;
    /* IC_RUN_REQUEST, when `have_reqrun`: the run (its headline) */
    int have_reqrun;
    struct ic_reqrun rr;
    /* IC_RUN_MPI: the sweep, ready for ic_mpi_sweep */
    struct ic_sweep_run sweep;
};

/* Run the request: every check first (output names, --shard, --checkpoint-every, memory),
 * then the run and its output file.  Returns the status; an interrupted single run returns
 * IC_ERR_INTERRUPTED with its partial output written and out->reported, out->partial set.
 * Free the outcome with ic_run_outcome_free whatever the status. */
int ic_run_pipeline(const struct ic_run_request *req, struct ic_run_outcome *out,
                    struct ic_error *err);
void ic_run_outcome_free(struct ic_run_outcome *out);

/* The request engine: run rr and write it to out_path (a signal deletes the temporary output:
 * hooks->temp_output).  Used by the pipeline and by `infercap replay`. */
int ic_run_request_engine_write(struct ic_reqrun *rr, const struct ic_scenario *sc,
                                const char *out_path, const char *command_line,
                                const struct ic_run_hooks *hooks, struct ic_error *err);

#endif
