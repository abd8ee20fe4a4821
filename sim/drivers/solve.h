/* solve.h: the capacity solver behind `infercap solve` (see solve.c).
 *
 * Given a scenario and a field whose growth lowers the outage risk (typically
 * /fleet/accelerators), find the smallest value on a grid lo + k x step for which the estimated
 * outage probability is at or under a target P, with the range of values the Monte Carlo
 * error leaves plausible.  Every candidate runs the same seed, so the same random paths
 * (common random numbers), which keeps the estimate (nearly) monotone in the field and the
 * bisection sound.
 *
 *   struct ic_solve_problem pb = {text, label, &cat, "/fleet/accelerators", 0.01, ...};
 *   struct ic_solve_result r;
 *   ic_solve_run(&pb, &r, &diag, &err);          one solve
 *   ic_solve_sweep(&pb, axes, n_axes, &points);  one solve per point of a Cartesian product */
#ifndef IC_SOLVE_H
#define IC_SOLVE_H

#include "sim/core/error.h"

#include <stddef.h>

struct ic_catalog;

/* One evaluated candidate: the outage count over the paths, its Wilson 95% interval, and the
 * fleet cost. */
struct ic_solve_eval {
    double value;
    long paths, outages;
    double p, p_lo, p_hi;    /* outages / paths and its Wilson 95% interval */
    double cost_usd;         /* mean cost per path over the horizon */
    double cost_usd_per_day; /* cost_usd / horizon_days */
};

typedef void (*ic_solve_progress_fn)(void *ctx, const char *pointer, int integer,
                                     const struct ic_solve_eval *e);

struct ic_solve_problem {
    const char *text;  /* the scenario (JSON text) */
    const char *label; /* its name in messages (the file name) */
    const struct ic_catalog *cat;
    const char *pointer;    /* the field solved for */
    double max_outage_prob; /* P, in [0, 1) */
    int has_lo, has_hi, has_step;
    double lo, hi, step;     /* when has_*: the user's values */
    const char *const *sets; /* overrides of the base scenario ("/ptr=VALUE"), --paths and
                                --seed included */
    int n_sets;
    /* Where the first n_set_notes sets came from, as messages say it (" (from --paths)"); a
     * NULL entry, or a set beyond them: " (from --set)". */
    const char *const *set_notes;
    int n_set_notes;
    int threads;                   /* 0: OpenMP's default */
    ic_solve_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    /* ic_solve_sweep: told (with progress_ctx) before each point of a sweep with axes; may be
     * NULL. */
    void (*point_start)(void *ctx, long k, long n, const char *label);
};

struct ic_solve_result {
    int found;        /* 0: no grid value up to the limit meets P (reason says why) */
    char reason[512]; /* when !found */
    int integer;      /* the field takes integers */
    double lo, step;  /* the grid */
    double hi;        /* the largest value evaluated or allowed by --hi */
    long paths;       /* paths per candidate */
    long long seed;   /* the seed every candidate runs */
    double horizon_days;
    char name[64];              /* the scenario's name */
    double answer;              /* the smallest grid value found with P-hat <= P */
    struct ic_solve_eval at;    /* the evaluation at the answer */
    int has_below;              /* 0 when the answer is lo itself */
    struct ic_solve_eval below; /* at answer - step: P-hat > P */
    /* The 95% range: the smallest grid value whose Wilson interval's lower end is <= P
     * (plausible) and the smallest whose upper end is <= P (confident). */
    double plausible, confident;
    int confident_found;  /* 0: no value up to the limit has an upper end <= P (more paths
                             needed when even zero outages leave it above P) */
    char range_note[512]; /* why, when !confident_found */
    long evaluations;     /* engine runs (distinct candidates) */
};

/* Check what needs no scenario: the field is a numeric scenario field, P, --lo, --hi and --step
 * (IC_ERR_USAGE with a message naming the option or the pointer).  *integer (may be NULL):
 * whether the field takes integers. */
int ic_solve_check(const struct ic_solve_problem *pb, int *integer, struct ic_error *err);

/* Solve one problem.  Returns IC_OK (result filled, found or not), IC_ERR_INVALID (the base
 * scenario or a candidate is invalid: the messages are in diag, or err when diag is empty),
 * IC_ERR_USAGE (a bad pointer, bound or step: err), or a runtime status. */
int ic_solve_run(const struct ic_solve_problem *pb, struct ic_solve_result *res,
                 struct ic_diag *diag, struct ic_error *err);

/* A sweep axis "--sweep /ptr=v1,v2,...": each value as written, JSON text or a bare string
 * (the loader takes a value that is not JSON as a string, as for --set). */
#define IC_SOLVE_MAX_AXES 8
struct ic_solve_axis {
    char pointer[256];
    int n;
    char **values; /* [n] JSON text, for "/pointer=VALUE" */
    char **labels; /* [n] for people (strings without their quotes) */
};

/* The axes to solve over: the scenario's /sweep block with the --sweep options (sweeps, the
 * forms `infercap run` takes) folded in, as the loader expands them.  pb->sets: the user's
 * overrides; for the solves, the caller then appends "/sweep=[]", so that each candidate is
 * one point.  An axis over the field solved for is left out: it is what the solver searches. */
int ic_solve_axes(const struct ic_solve_problem *pb, const char *const *sweeps, int n_sweeps,
                  struct ic_solve_axis *axes, int *n_axes, struct ic_diag *diag,
                  struct ic_error *err);
void ic_solve_axis_free(struct ic_solve_axis *ax);

/* One point of a sweep and its solve. */
struct ic_solve_point {
    char sets[IC_SOLVE_MAX_AXES][512]; /* "/ptr=VALUE" per axis */
    int n_sets;
    char label[512];              /* "/accelerator=nvidia_h100_sxm, ..." */
    int status;                   /* IC_OK, or the failure's status */
    char error[IC_ERROR_MSG_MAX]; /* when status != IC_OK: every message, one per line */
    struct ic_solve_result res;
};

/* Solve every point of the Cartesian product of the axes (the last varies fastest); a point
 * that fails keeps its error and the others go on.  *points (malloc'd; caller frees) holds
 * *n_points entries.  Returns IC_OK unless the sweep itself cannot be set up (too many
 * points, memory, too many overrides); failures of single points are in their status. */
int ic_solve_sweep(const struct ic_solve_problem *pb, const struct ic_solve_axis *axes, int n_axes,
                   struct ic_solve_point **points, long *n_points, struct ic_error *err);

/* The point whose answer costs least per day (-1 when none was found). */
long ic_solve_cheapest(const struct ic_solve_point *points, long n_points);

/* A value of the field as text: an integer without decimals, or %.10g. */
void ic_solve_format(double v, int integer, char *buf, size_t n);

#endif
