/* output.h: the HDF5 result file (DESIGN.md, "Output file").
 *
 * Layout:
 *   /                 attributes: infercap_version, git_commit, scenario_name, seed, paths,
 *                     created_utc, command_line, start, step_s, horizon_days, engine
 *   /scenario         the resolved scenario JSON (a string): the run can be redone from it
 *   /time /quantile /path /stored_path   dimension scales (netCDF/xarray see named dimensions)
 *   /series/<name>    [stored_path, time] float32, the first K paths
 *   /bands/<name>     [quantile, time] float32, quantiles over all paths
 *   /summary/<name>   [path] float64 per-path scalars; headline figures as attributes of
 *                     /summary
 *   /inputs/<name>    [path] float64, each path's draw of every parameter given as a
 *                     distribution (attribute `pointer` names the field)
 * Every dataset has `units` and `long_name`.  Datasets are chunked and compressed (shuffle +
 * deflate).  The file is written under a temporary name in the same directory and renamed
 * over OUT.h5 only when complete, so a failed or killed run never leaves a file that looks
 * complete. */
#ifndef IC_OUTPUT_H
#define IC_OUTPUT_H

#include "engine.h"
#include "error.h"

struct ic_provenance {
    const char *command_line;
    const char *version;
    const char *git_commit;
};

struct ic_output {
    char path[4096];
    char tmp[4200];
    long long fid; /* hid_t of the open temporary file, or -1 */
};

/* Create the temporary file next to `path` now, so a missing or read-only directory is
 * reported before any simulation runs. */
int ic_output_open(struct ic_output *out, const char *path, struct ic_error *err);
/* Write everything, close, and rename the temporary file to its final name. */
int ic_output_commit(struct ic_output *out, const struct ic_plan *plan,
                     const struct ic_results *res, const char *resolved_json,
                     const struct ic_provenance *prov, struct ic_error *err);
/* Close and delete the temporary file (after a failure). */
void ic_output_abort(struct ic_output *out);

/* Print the headline and provenance of a result file to `f` (human text or one JSON object). */
int ic_output_info(const char *path, int json, void *file, struct ic_error *err);

#endif
