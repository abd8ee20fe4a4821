/* output.h: the HDF5 result file (DESIGN.md, "Output file").
 *
 * Layout (K = the number of sweep axes, 0 without a sweep; their dimensions come first):
 *   /                 attributes: infercap_version, git_commit, scenario_name, seed, paths,
 *                     created_utc, command_line, start, step_s, horizon_days, engine,
 *                     scenario_hash, sweep_points, sweep_axes (the axes' names, space-separated)
 *   /scenario         the resolved scenario JSON (a string): the run can be redone from it
 *   /time /quantile /path /stored_path /class [/action] [/bound] and one dimension scale per
 *                     sweep axis (its values; attribute `pointer` names the field)
 *   /series/<name>    [axes..., stored_path, time] float32, the first K paths
 *   /bands/<name>     [axes..., quantile, time] float32, quantiles over all paths
 *   /summary/<name>   [axes..., path] float64 per-path scalars; without a sweep the headline
 *                     figures are attributes of /summary
 *   /headline/<name>  [axes...] (an interval: [axes..., bound]) the headline of each point of
 *                     a sweep; /point_done [axes...] is 1 where a point's results are present
 *                     (a shard's file holds only some)
 *   /inputs/<name>    [axes..., path] float64, each path's draw of every parameter given as a
 *                     distribution (attribute `pointer` names the field)
 *   /autoscale/<name> [axes..., stored_path, action] the autoscaler's actions
 *   /service_curve/<name> [axes..., pool] each pool's service curve: mode (measured or
 *                     closed_form), accelerator, requests_per_s, saturated_requests_per_s,
 *                     slo_utilization, closed_form_batch, replicas and requests measured
 * Every dataset has `units` and `long_name`.  Datasets are chunked (a point's slice at a time)
 * and compressed (shuffle + deflate); points not written read as NaN.  The file is written
 * under a temporary name in the same directory and renamed over OUT.h5 only when complete, so
 * a failed or killed run never leaves a file that looks complete. */
#ifndef IC_OUTPUT_H
#define IC_OUTPUT_H

#include "sim/engine/engine.h"
#include "sim/core/error.h"

struct ic_provenance {
    const char *command_line;
    const char *version;
    const char *git_commit;
};

struct ic_sweep;
struct ic_report;

struct ic_output {
    char path[4096];
    char tmp[4200];
    long long fid; /* hid_t of the open temporary file, or -1 */
    /* The layout: the sweep's axes' sizes (none without a sweep). */
    int n_axes;
    long lead[8];
    long n_points;
    int n_pools; /* pools of /service_curve (set by ic_output_begin) */
};

/* What a result file says about where it came from. */
struct ic_output_meta {
    const char *resolved_json; /* the base scenario, its /sweep included */
    const struct ic_provenance *prov;
    int shard_index, shard_count; /* a shard's file (count > 1) */
};

/* Create the temporary file next to `path` now, so a missing or read-only directory is
 * reported before any simulation runs. */
int ic_output_open(struct ic_output *out, const char *path, struct ic_error *err);
/* Set the layout for a sweep (NULL or no axes: a single point). */
void ic_output_layout(struct ic_output *out, const struct ic_sweep *sw);
/* Write the attributes, the scenario, the dimension scales and every dataset (empty) of a
 * result with the shape of `plan` (every point of a sweep has the same shape). */
int ic_output_begin(struct ic_output *out, const struct ic_plan *plan, const struct ic_sweep *sw,
                    const struct ic_output_meta *meta, struct ic_error *err);
/* Write point k's results and headline (rep: the point's headline as read back from a file;
 * NULL to make it from plan and res). */
int ic_output_put(struct ic_output *out, long point, const struct ic_plan *plan,
                  const struct ic_results *res, const struct ic_report *rep, struct ic_error *err);
/* Mark the file as holding an interrupted run's results (root attribute partial = 1; and
 * completed_until_s, unless NaN: a sweep's missing points are in /point_done). */
int ic_output_mark_partial(struct ic_output *out, double completed_until_s);
/* Close and rename the temporary file to its final name (fsync'd). */
int ic_output_end(struct ic_output *out, struct ic_error *err);
/* A single run: begin, put point 0, end. */
int ic_output_commit(struct ic_output *out, const struct ic_plan *plan,
                     const struct ic_results *res, const char *resolved_json,
                     const struct ic_provenance *prov, struct ic_error *err);
/* Close and delete the temporary file (after a failure). */
void ic_output_abort(struct ic_output *out);

/* Read point k of an open result file (fid, whose layout is `layout`) into res (allocated for
 * `plan`'s shape) and its headline into rep. */
int ic_output_get(long long fid, const struct ic_output *layout, long point,
                  const struct ic_plan *plan, struct ic_results *res, struct ic_report *rep,
                  struct ic_error *err);
/* Is point k in the file: 1 yes, 0 no, -1 unreadable (err says why). */
int ic_output_point_done(long long fid, const struct ic_output *layout, long point,
                         struct ic_error *err);
/* Whether an open result file holds an interrupted run (root attribute partial, checked) and
 * the time it reached (completed_until_s; NaN when not recorded). */
int ic_output_read_partial(long long fid, int *partial, double *until_s, struct ic_error *err);

/* The request engine's file: /requests/<field> [request] per request (arrival, tokens,
 * replica, status, queue delay, TTFT, TPOT, end-to-end latency; the headline as attributes),
 * /replicas/<series> [replica, time] (busy share, KV-cache occupancy, running and waiting),
 * /scenario; then close and rename. */
struct ic_reqrun;
int ic_output_requests(struct ic_output *out, const struct ic_scenario *sc,
                       const struct ic_reqrun *rr, const char *resolved_json,
                       const struct ic_provenance *prov, struct ic_error *err);

/* Print the headline and provenance of a result file to `f` (human text or one JSON object);
 * for a sweep, a line per point. */
int ic_output_info(const char *path, int json, void *file, struct ic_error *err);
/* The same for a file already open (fid; path names it in messages). */
int ic_output_info_open(long long fid, const char *path, int json, void *file,
                        struct ic_error *err);

#endif
