/* sweeprun.h: running a sweep, in one process, in shards, or on MPI ranks; merging shards.
 *
 * Every point's result is first written as a complete result file of its own, under its
 * final name only when complete, in a work directory next to the output (OUT.h5.points/).  The
 * output is then assembled from those files, point by point, into one file whose datasets
 * have the sweep's axes as leading dimensions, and the work directory is removed.  So:
 *   - a sweep that is killed keeps every point it finished; `--resume` reruns only the rest,
 *     and ends with the same file as a run that was never interrupted;
 *   - `--shard I/N` runs the points k with k mod N = I and assembles a partial file (the
 *     other points NaN, /point_done 0); `infercap merge` checks that parts belong together
 *     (same scenario hash) and cover every point once, and writes the whole file;
 *   - MPI ranks take points one at a time from a shared counter (dynamic load balancing),
 *     write their point files into the shared work directory, and rank 0 assembles.
 * The numbers of a point depend only on the scenario, the point and the seed, and pass
 * through the same point files in every case, so all of these give bit-identical datasets. */
#ifndef IC_SWEEPRUN_H
#define IC_SWEEPRUN_H

#include "sim/config/catalog_io.h"
#include "sim/core/error.h"
#include "sim/config/scenario.h"
#include "sim/config/sweep.h"

/* Where the points to run come from: all (NULL), or a function that hands out the next point
 * index (-1: no more), e.g. an MPI shared counter. */
typedef long (*ic_next_point_fn)(void *ctx);

struct ic_sweep_run {
    const char *file;                /* the scenario file (named in messages) */
    const struct ic_load_opts *load; /* the user's --set and --sweep */
    const struct ic_catalog *cat;
    const char *out_path;
    const char *command_line;
    int threads;
    int quiet; /* no progress lines */
    /* Where the progress lines go (one line each, without its newline; NULL: nowhere): the
     * sweep's size and work directory, each point finished, a point file not usable. */
    void (*progress)(void *ctx, const char *line);
    void *progress_ctx;
    int resume;                  /* keep the finished points of an interrupted run */
    int shard_index;             /* --shard I/N: this process runs points k with k mod N == I */
    int shard_count;             /* 0 or 1: all points */
    ic_next_point_fn next_point; /* dynamic scheduling (MPI); overrides the shard's set */
    void *next_ctx;
    int rank;                 /* for messages */
    int (*should_stop)(void); /* asked between points and between windows of a point */
    int partial_ok; /* assemble what is finished (an interrupted run), keep the work dir */
    /* Where ic_sweep_begin keeps the descriptor of the work directory's lock (flock on
     * OUT.h5.points/lock), which the caller holds until the output is assembled and then
     * releases with ic_sweep_unlock: a second run of the same sweep (e.g. two --resume) is
     * refused while it is held.  NULL: no lock (MPI ranks share the directory). */
    int *lock_fd;
};

/* Release the work directory's lock (fd from ic_sweep_begin; -1: none). */
void ic_sweep_unlock(int fd);

/* A sweep in three steps: (1) check every point (loads, compiles, same shape; errors name the
 * point and the field) and make the work directory (or, with resume, check that it is this
 * scenario's); (2) run points (this process's share; points already finished are skipped);
 * (3) assemble run->out_path from the point files and remove the work directory.  One process
 * does all three; with MPI, rank 0 does (1) and (3) and every rank (2).  *points_run is the
 * number of points this process computed. */
int ic_sweep_begin(const struct ic_sweep_run *run, long *n_points, struct ic_error *err);
int ic_sweep_run_points(const struct ic_sweep_run *run, long *points_run, struct ic_error *err);

/* Check every point of the sweep (loads, compiles, same shape) without running; *n_points is
 * the sweep's size. */
int ic_sweep_validate(const struct ic_sweep_run *run, long *n_points, struct ic_error *err);

/* Step (3), after every process has run its points. */
int ic_sweep_assemble(const struct ic_sweep_run *run, struct ic_error *err);

/* The tag of a point file (an open file, checked reads): the base scenario's hash, the
 * point's index, the hash of its index and overrides, and its partial flag. */
int ic_sweep_read_point_tag(long long fid, char hash[40], long long *index, char phash[40],
                            long long *partial, struct ic_error *err);

/* `infercap merge`: the parts of a sharded sweep into one file. */
int ic_sweep_merge(const char *const *parts, int n_parts, const char *out_path,
                   const char *command_line, const struct ic_catalog *cat, struct ic_error *err);

#endif
