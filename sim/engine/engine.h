/* engine.h: the Monte Carlo driver of the aggregate (fluid) engine.
 *
 *   plan = ic_plan_compile(scenario)   precompute what no path changes (time grid, diurnal
 *                                      table, replica size, costs, and the replica's service
 *                                      rate when no input to it is random)
 *   ic_engine_run(plan, results)       OpenMP over paths; each path draws its inputs, then
 *                                      steps time (DESIGN.md, "The aggregate engine")
 *   ic_results_reduce(results)         bands and headline, in path order
 *
 * Every path writes only its own rows of the result arrays, and the reduction reads them in path
 * order, so results are identical at any thread count. */
#ifndef IC_ENGINE_H
#define IC_ENGINE_H

#include "models/fleet.h"
#include "models/perf.h"
#include "sim/core/rng.h"
#include "sim/config/scenario.h"
#include "sim/engine/svccurve.h"

#include <stdint.h>

/* Series kept on the output grid: name, units, long name. */
#define IC_SERIES_LIST(X)                                                                          \
    X(IC_S_ACTIVE_USERS, "active_users", "users",                                                  \
      "daily active users (with weekly_web_visits: daily visits across all channels), after "      \
      "events, noise and churn")                                                                   \
    X(IC_S_VISITS_WEEK, "visits_per_week", "visits/week",                                          \
      "weekly web visits (with daily_active_users: implied by the funnel), after events, noise "   \
      "and churn, before the time-of-day profile")                                                 \
    X(IC_S_ARRIVALS, "arrivals_per_s", "1/s", "requests arriving per second (new and retries)")    \
    X(IC_S_RETRIES, "retries_per_s", "1/s", "retried requests arriving per second")                \
    X(IC_S_DEMAND_TOKENS, "demand_tokens_per_s", "tokens/s",                                       \
      "tokens (input + reasoning + output) of arriving requests per second")                       \
    X(IC_S_CAPACITY_TOKENS, "capacity_tokens_per_s", "tokens/s",                                   \
      "tokens per second the healthy replicas can serve at the SLO batch")                         \
    X(IC_S_SERVED, "served_per_s", "1/s", "requests served per second")                            \
    X(IC_S_UTILIZATION, "utilization", "1", "busy fraction of the healthy replicas")               \
    X(IC_S_OFFERED_LOAD, "offered_load", "1", "arrivals / service capacity (above 1: overload)")   \
    X(IC_S_BACKLOG, "backlog_requests", "requests", "requests waiting at the end of each step")    \
    X(IC_S_REJECTED, "rejected_per_s", "1/s", "requests rejected by admission control per second") \
    X(IC_S_ABANDONED, "abandoned_per_s", "1/s", "waiting requests abandoned per second")           \
    X(IC_S_TTFT, "ttft_s", "s",                                                                    \
      "estimated time to the first answer token: queue wait + prefill + reasoning")                \
    X(IC_S_GOODPUT, "goodput_per_s", "1/s",                                                        \
      "requests served within the TTFT and TPOT objectives per second (pool 0's service curve "    \
      "at the step's utilisation)")                                                                \
    X(IC_S_HEALTHY, "accelerators_healthy", "accelerators", "accelerators not failed")             \
    X(IC_S_PROVISIONED, "accelerators_provisioned", "accelerators",                                \
      "accelerators in service (after autoscaling), failed or not")                                \
    X(IC_S_REPLICAS_UP, "replicas_up", "replicas", "replicas with every accelerator healthy")      \
    X(IC_S_POWER, "power_kw", "kW",                                                                \
      "power at the wall: TDP x (idle + (1 - idle) x utilisation) x PUE")                          \
    X(IC_S_COST_RATE, "cost_usd_per_h", "USD/h", "fleet cost per hour")                            \
    X(IC_S_REVENUE_RATE, "revenue_usd_per_h", "USD/h", "token revenue per hour of served requests")

/* Series of a prefill/decode fleet (/fleet/roles), kept only when it has roles: they follow
 * the others (indices from IC_SERIES_COUNT).  The capacity-needed curve (models/capacity.h): for
 * each output interval, the fewest units of each role that serve its mean offered load (new
 * requests) within the objectives. */
#define IC_ROLE_SERIES_LIST(X)                                                                     \
    X(IC_R_PREFILL_NEEDED, "prefill_units_needed", "units",                                        \
      "prefill units the interval's offered load needs within the objectives")                     \
    X(IC_R_DECODE_NEEDED, "decode_units_needed", "units",                                          \
      "decode units the interval's offered load needs within the objectives")                      \
    X(IC_R_NODES_NEEDED, "nodes_needed", "nodes",                                                  \
      "nodes of the units needed: (prefill units x prefill unit + decode units x decode unit) / "  \
      "accelerators per node")                                                                     \
    X(IC_R_PREFILL_UTIL, "prefill_utilization", "1", "busy fraction of the prefill units up")      \
    X(IC_R_DECODE_UTIL, "decode_utilization", "1", "busy fraction of the decode units up")         \
    X(IC_R_PREFILL_BACKLOG, "prefill_backlog_requests", "requests",                                \
      "requests waiting while prefill is the bottleneck role (else 0)")                            \
    X(IC_R_DECODE_BACKLOG, "decode_backlog_requests", "requests",                                  \
      "requests waiting while decode is the bottleneck role (else 0)")                             \
    X(IC_R_PREFILL_COST, "prefill_cost_usd_per_h", "USD/h", "cost per hour of the prefill units")  \
    X(IC_R_DECODE_COST, "decode_cost_usd_per_h", "USD/h", "cost per hour of the decode units")     \
    X(IC_R_PREFILL_TOKENS, "prefill_tokens_per_s", "tokens/s",                                     \
      "uncached prompt tokens arriving per second (prefill work)")                                 \
    X(IC_R_DECODE_TOKENS, "decode_tokens_per_s", "tokens/s",                                       \
      "reasoning + answer tokens arriving per second (decode work)")                               \
    X(IC_R_KV_TRANSFER, "kv_transfer_gb_per_s", "GB/s",                                            \
      "KV cache of the arriving prompts moved from prefill to decode units")                       \
    X(IC_R_KV_LINK_UTIL, "kv_link_utilization", "1",                                               \
      "KV transfer over the prefill units' scale-out bandwidth (/serving/scaleout_gbps)")

enum ic_series {
#define IC_X_SER(e, n, u, l) e,
    IC_SERIES_LIST(IC_X_SER) IC_SERIES_COUNT,
    IC_R_BEFORE_FIRST_ = IC_SERIES_COUNT - 1,
    IC_ROLE_SERIES_LIST(IC_X_SER) IC_SERIES_ALL
#undef IC_X_SER
};
#define IC_ROLE_SERIES_COUNT (IC_SERIES_ALL - IC_SERIES_COUNT)

/* Per-path scalars. */
#define IC_SUMMARY_LIST(X)                                                                         \
    X(IC_M_OUTAGE, "outage", "1", "1 if the path has an outage, else 0")                           \
    X(IC_M_FIRST_OUTAGE, "first_outage_s", "s",                                                    \
      "start of the first outage since the scenario start (NaN: none)")                            \
    X(IC_M_DEGRADED_MIN, "degraded_minutes", "min", "minutes in degraded steps")                   \
    X(IC_M_OUTAGE_MIN, "outage_minutes", "min", "minutes in outages")                              \
    X(IC_M_NEW, "requests_new", "requests", "new requests (not retries)")                          \
    X(IC_M_RETRIED, "requests_retried", "requests", "retries that arrived")                        \
    X(IC_M_ARRIVED, "requests_arrived", "requests", "requests that arrived: new + retries")        \
    X(IC_M_SERVED, "requests_served", "requests", "requests served")                               \
    X(IC_M_GOOD, "requests_good", "requests",                                                      \
      "requests served within the TTFT and TPOT objectives (goodput)")                             \
    X(IC_M_REJECTED, "requests_rejected", "requests", "requests rejected by admission control")    \
    X(IC_M_ABANDONED, "requests_abandoned", "requests", "requests abandoned while waiting")        \
    X(IC_M_LOST, "requests_lost", "requests",                                                      \
      "rejected or abandoned and not retried: lost for good")                                      \
    X(IC_M_PEAK_UTIL, "peak_utilization", "1", "highest step busy fraction")                       \
    X(IC_M_PEAK_LOAD, "peak_offered_load", "1", "highest step offered load")                       \
    X(IC_M_USERS_RETAINED, "users_retained", "1", "share of the user base left after churn")       \
    X(IC_M_ACCEL_HOURS, "accelerator_hours", "h", "accelerator-hours of the fleet")                \
    X(IC_M_COST, "cost_usd", "USD", "fleet cost over the horizon")                                 \
    X(IC_M_ENERGY, "energy_mwh", "MWh", "energy at the wall")                                      \
    X(IC_M_REVENUE, "revenue_usd", "USD", "token revenue of the served requests")                  \
    X(IC_M_MARGIN, "gross_margin", "1", "(revenue - cost) / revenue (NaN without revenue)")        \
    X(IC_M_FAILURES, "accelerator_failures", "failures", "accelerator failures")                   \
    X(IC_M_NODE_FAILURES, "node_failures", "failures", "node failures")                            \
    X(IC_M_ACTIONS, "autoscale_actions", "actions", "autoscaling actions (out and in)")            \
    X(IC_M_SCALED_OUT, "scaled_out_accelerators", "accelerators", "accelerators ordered")          \
    X(IC_M_FIRST_ACTION, "first_action_s", "s", "time of the first autoscaling order (NaN: none)") \
    X(IC_M_SUSTAINABLE, "sustainable_demand", "1",                                                 \
      "growth quantity (users, or weekly visits; with tokens a day, multiples of the day) the "    \
      "whole fleet serves at the busiest hour")                                                    \
    X(IC_M_REPLICA_RPS, "replica_requests_per_s", "1/s",                                           \
      "requests/s one replica of pool 0 serves at the base mix (its service curve's rate)")

/* Per-path scalars of a prefill/decode fleet (only with /fleet/roles; after the others). */
#define IC_ROLE_SUMMARY_LIST(X)                                                                    \
    X(IC_RM_NODES_MEAN, "nodes_needed_mean", "nodes",                                              \
      "mean of the nodes-needed curve over the horizon (the daily average over a day)")            \
    X(IC_RM_NODES_PEAK, "nodes_needed_peak", "nodes", "highest output interval of the curve")      \
    X(IC_RM_NODES_MIN, "nodes_needed_min", "nodes", "lowest output interval of the curve")         \
    X(IC_RM_PREFILL_PEAK, "prefill_units_needed_peak", "units", "most prefill units needed")       \
    X(IC_RM_DECODE_PEAK, "decode_units_needed_peak", "units", "most decode units needed")          \
    X(IC_RM_PREFILL_COST, "prefill_cost_usd", "USD", "cost of the prefill units")                  \
    X(IC_RM_DECODE_COST, "decode_cost_usd", "USD", "cost of the decode units")                     \
    X(IC_RM_FOLLOW_COST, "cost_follow_curve_usd", "USD",                                           \
      "cost of a fleet that follows the nodes-needed curve, interval by interval")                 \
    X(IC_RM_FLAT_COST, "cost_flat_peak_usd", "USD",                                                \
      "cost of a flat fleet of each role's peak units over the horizon")                           \
    X(IC_RM_PREFILL_UNIT_RATE, "prefill_unit_tokens_per_s", "tokens/s",                            \
      "a prefill unit's uncached prompt tokens/s at saturation (measured or modelled)")            \
    X(IC_RM_DECODE_UNIT_RATE, "decode_unit_tokens_per_s", "tokens/s",                              \
      "a decode unit's output tokens/s at saturation (measured or modelled)")

enum ic_summary {
#define IC_X_SUM(e, n, u, l) e,
    IC_SUMMARY_LIST(IC_X_SUM) IC_SUMMARY_COUNT,
    IC_RM_BEFORE_FIRST_ = IC_SUMMARY_COUNT - 1,
    IC_ROLE_SUMMARY_LIST(IC_X_SUM) IC_SUMMARY_ALL
#undef IC_X_SUM
};
#define IC_ROLE_SUMMARY_COUNT (IC_SUMMARY_ALL - IC_SUMMARY_COUNT)

/* Names, units and long names of every series and summary, those of roles included. */
extern const char *const ic_series_names[IC_SERIES_ALL];
extern const char *const ic_series_units[IC_SERIES_ALL];
extern const char *const ic_series_long[IC_SERIES_ALL];
extern const char *const ic_summary_names[IC_SUMMARY_ALL];
extern const char *const ic_summary_units[IC_SUMMARY_ALL];
extern const char *const ic_summary_long[IC_SUMMARY_ALL];

#define IC_MAX_INPUTS 512

/* A per-path input: a distribution field, or (dist NULL) a component of the fitted growth
 * parameters, with its JSON Pointer. */
struct ic_input {
    const struct ic_dist *dist;
    int fit_index; /* >= 0: component of /traffic/growth/fit */
    char pointer[160];
    const char *units; /* from the parameter table */
};

/* One pool of a (possibly heterogeneous) fleet, or one role of a prefill/decode fleet. */
struct ic_pool_plan {
    int role;                    /* -1: a pool of whole replicas; else enum ic_role (units) */
    const struct ic_dist *units; /* a role's units (its accelerators: units x unit_accels) */
    double unit_accels;          /* a role's accelerators per unit */
    /* The pool's service, at the inputs' means and the base mix: requests/s one replica (or
     * unit) serves saturated, and the utilisation at which the objectives bind.  Both come
     * from pool_service() in engine.c, the one place a pool's rate is derived; the fluid queue
     * serves mu x rho_slo per replica and the capacity-needed curve divides by it. */
    double mu, rho_slo;
    double unit_tokens_per_s; /* a role's unit: prefill uncached prompt or decode output tok/s */
    const struct ic_accelerator *accel;
    const struct ic_dist *accelerators, *share, *mfu, *mbu;
    const struct ic_dist *swe; /* /serving/software_efficiency (every pool) */
    int weight_precision, kv_precision;
    struct ic_fit fit;
    struct ic_perf perf; /* at the inputs' means */
    /* The one place for what the fluid step serves (sim/engine/svccurve.h): svc.rps, the
     * requests/s per replica; svc.sat_rps x svc.slo_util, the most per replica that meets the
     * objectives; TTFT, TPOT and goodput by utilisation.  /service_curve/mode: measured by the
     * request engine, or the closed form of perf. */
    struct ic_pool_service svc;
    double allin_per_h; /* all-in cost per accelerator-hour, or < 0 */
    double capex_per_h; /* amortised price per accelerator-hour */
    double tdp_kw;
};

struct ic_plan {
    const struct ic_scenario *sc;
    long paths;
    long path0; /* global index of the first path (blocks of paths); 0 normally */
    long nsteps, nout, steps_per_out;
    double dt;
    double *diurnal; /* per step */
    double *time_s;  /* start of each output interval, seconds since the scenario start */
    struct ic_fit fit;
    struct ic_perf perf; /* valid when perf_fixed */
    int perf_fixed;
    long store_paths;
    int n_inputs;
    struct ic_input inputs[IC_MAX_INPUTS];
    int n_random; /* inputs that vary by path */
    int n_classes;
    double context_cap;      /* tokens (the model's context) */
    double growth_ref_days;  /* the start, in days after the growth reference time */
    struct ic_growth growth; /* the curve's fixed parts (model, launch, points) */
    double growth_t[IC_GROWTH_MAX_POINTS], growth_logv[IC_GROWTH_MAX_POINTS];
    struct ic_zig zig; /* normal sampler tables */
    int fit_n;         /* fitted growth parameters (0: none) */
    double fit_mean[IC_GROWTH_MAX_PARAMS], fit_chol[IC_GROWTH_MAX_PARAMS * IC_GROWTH_MAX_PARAMS];
    int has_mix_events; /* some event changes the request mix */
    int n_pools;
    struct ic_pool_plan pool[IC_MAX_POOLS];
    double diurnal_peak; /* the largest diurnal factor */
    long eval_steps;     /* autoscaling: steps per evaluation window */
    int weekly_visits;   /* quantity: weekly web visits (else daily active users) */
    int roles;           /* a prefill/decode fleet: pool 0 its prefill units, pool 1 decode */
    int n_series;        /* series kept: IC_SERIES_COUNT, + IC_ROLE_SERIES_COUNT with roles */
    int n_summary;       /* summaries: IC_SUMMARY_COUNT, + IC_ROLE_SUMMARY_COUNT with roles */
};

/* Compile a scenario.  Refused (IC_ERR_INVALID, naming the fields): a model that fits no
 * replica on its accelerator, and a fleet or pool whose size (its median when drawn per path)
 * cannot form one replica, since it would serve nothing and every figure of the run would be
 * that of no capacity. */
int ic_plan_compile(const struct ic_scenario *sc, struct ic_plan *plan, struct ic_error *err);
/* The same with flags: IC_PLAN_ALLOW_NO_CAPACITY accepts a fleet that forms no replica (the
 * capacity solver evaluates such candidates: every path is then an outage). */
#define IC_PLAN_ALLOW_NO_CAPACITY 1u
/* IC_PLAN_CLOSED_FORM: the closed-form service curve whatever /service_curve/mode says (for
 * callers that read only the replica, such as replay). */
#define IC_PLAN_CLOSED_FORM 2u
int ic_plan_compile_ex(const struct ic_scenario *sc, unsigned flags, struct ic_plan *plan,
                       struct ic_error *err);
void ic_plan_free(struct ic_plan *plan);
/* Index of a distribution field in plan->inputs, or -1. */
int ic_plan_input_index(const struct ic_plan *plan, const struct ic_dist *d);

struct ic_headline {
    long paths;
    long outages;
    double p_outage, p_lo, p_hi; /* Wilson 95% interval */
    double first_outage_q[3];    /* p10, p50, p90 of first-outage time among paths with one */
    double first_outage_ci[2];   /* 95% interval of its median (order statistics) */
    double lost_ci[2];           /* 95% interval of the median lost requests */
    double cost_q50, cost_ci[2]; /* median cost and its 95% interval */
    double lost_mean, lost_q50, lost_q95;
    double lost_fraction_mean; /* lost / arrived */
    double good_fraction_mean; /* served within the objectives / served (paths that served) */
    double peak_load_q50, peak_load_q95;
    double cost_mean_usd, accel_hours_mean, energy_mean_mwh;
    double degraded_minutes_mean;
    double revenue_mean_usd, margin_mean; /* margin: NaN without revenue */
    double sustainable_q50;               /* growth quantity the fleet serves at the peak */
    double actions_mean;
    /* 95% intervals of the rest: means +- 1.96 standard errors (the margin's by the delta
     * method), medians by order statistics. */
    double lost_mean_ci[2], lost_fraction_ci[2], cost_mean_ci[2], accel_hours_ci[2];
    double energy_ci[2], degraded_minutes_ci[2], revenue_ci[2], margin_ci[2], actions_ci[2];
    double peak_load_ci[2], sustainable_ci[2], good_fraction_ci[2];
};

struct ic_results {
    long paths, nout;
    int n_classes;
    int n_series, n_summary; /* the plan's: series and summaries kept */
    float *series;           /* [series][path][time], n_series of them */
    float *class_arrivals;   /* [class][path][time]: arrivals per second by request class */
    float *class_bands;      /* [class][quantile][time] */
    double *summary;         /* [summary][path], n_summary of them */
    double *inputs;          /* [input][path]: each path's draw of every distribution field */
    int n_inputs;
    int nq;
    double q[IC_NUMARR_MAX];
    float *bands;    /* [series][quantile][time], n_series of them */
    int max_actions; /* autoscaling: actions recorded per stored path */
    long store_paths;
    double *action_time;  /* [stored_path][action]: when each action was taken (NaN: none) */
    double *action_size;  /* accelerators (+ ordered, - released) */
    double *action_ready; /* when the capacity was in service (or released) */
    int threads;          /* threads the engine ran on */
    int partial;          /* stopped early (should_stop): outputs from completed_nout on are NaN,
                             summaries are to that time */
    long completed_nout;
    struct ic_headline head;
};

typedef void (*ic_progress_fn)(void *ctx, long done, long total);

/* Checkpoints of a single run: the state of every path and the results so far, saved at the
 * end of an engine window (all paths at the same output time) to `path` (written to path.tmp,
 * flushed to disk, then renamed: a kill leaves the previous checkpoint whole).  A run resumed
 * from one gives the same numbers as one never stopped.  The file is native binary for this
 * build only: `key` (a hash of the resolved scenario and the build) must match to resume. */
struct ic_checkpoint {
    const char *path;
    double every_s;    /* wall-clock seconds between saves (0: after every window) */
    int resume;        /* load `path` first and go on from there */
    uint64_t key;      /* identifies the run */
    int saved;         /* out: checkpoints written */
    long resumed_from; /* out: output intervals complete in the checkpoint loaded */
    double save_s;     /* out: seconds spent writing checkpoints */
    int failed;        /* out: saves that failed (the run goes on, the previous one stays) */
    char why[256];     /* out: why the last failed save failed, for the caller to tell */
};

struct ic_run_opts {
    int threads;              /* 0: OpenMP default */
    long window_outputs;      /* output intervals per engine window (0: automatic); results do not
                                 depend on it */
    int summaries_only;       /* no series and no bands (the path blocks of --target-ci) */
    int (*should_stop)(void); /* asked between windows: stop there (results partial) */
    struct ic_checkpoint *checkpoint; /* NULL: none; saved on a stop too */
    ic_progress_fn progress;
    void *progress_ctx;
};

/* The engine steps every path through a window of output intervals at a time, then reduces the
 * window to bands: memory grows with paths x window, not paths x horizon.  The automatic window
 * keeps its buffer under IC_WINDOW_BYTES. */
#define IC_WINDOW_BYTES (256.0 * 1048576.0)
long ic_plan_window(const struct ic_plan *plan, long window_outputs);
/* For the request engine: the token-length distributions of class c at the inputs' means
 * (reasoning drawn with *reason_scale as its scale), and its prefix-cache hit share. */
void ic_plan_class_tokens(const struct ic_plan *plan, int c, struct ic_tokdist *in,
                          struct ic_tokdist *out, struct ic_tokdist *reason, double *reason_scale,
                          double *cache_hit);
/* The serving parameters of a pool's replicas at the inputs' means. */
void ic_plan_perf_params(const struct ic_plan *plan, int pool, struct ic_perf_params *pp);

/* Estimated peak memory of a run (bytes), for refusing runs that would not fit. */
double ic_plan_memory_bytes(const struct ic_plan *plan, long window, int threads);

/* The threads a run with threads = 0 uses (OpenMP's default; 1 without OpenMP). */
int ic_default_threads(void);

int ic_results_alloc(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err);
void ic_results_free(struct ic_results *r);

/* Run every path.  Results are a pure function of the scenario (and seed), whatever
 * opts->threads is. */
int ic_engine_run(const struct ic_plan *plan, const struct ic_run_opts *opts, struct ic_results *r,
                  struct ic_error *err);

/* --target-ci: run blocks of `block` paths (summaries only) until the Wilson 95% interval of
 * the outage probability is narrower than `width`, or plan->paths are done; *paths_out is the
 * number of paths that took (a multiple of the block, or all).  Deterministic for a seed: the
 * paths are the same whatever the block size, and the blocks are run in order.  `report` (may
 * be NULL) is told each block's running count. */
typedef void (*ic_block_fn)(void *ctx, long paths, long outages, double lo, double hi);
int ic_engine_target_ci(const struct ic_plan *plan, double width, long block,
                        const struct ic_run_opts *opts, ic_block_fn report, void *ctx,
                        long *paths_out, struct ic_error *err);

/* Bands (quantiles over paths at each output time) and the headline. */
int ic_results_reduce(const struct ic_plan *plan, struct ic_results *r, struct ic_error *err);

/* 64-bit FNV-1a of n bytes, continuing from h (start with IC_FNV_INIT). */
#define IC_FNV_INIT 14695981039346656037ULL
uint64_t ic_fnv1a(uint64_t h, const void *data, size_t n);

/* The series of a stored path (path < store_paths). */
static inline float *ic_series_row(const struct ic_results *r, int s, long path) {
    return r->series + ((size_t)s * (size_t)r->store_paths + (size_t)path) * (size_t)r->nout;
}
static inline float *ic_class_row(const struct ic_results *r, int c, long path) {
    return r->class_arrivals +
           ((size_t)c * (size_t)r->store_paths + (size_t)path) * (size_t)r->nout;
}
static inline double *ic_summary_col(const struct ic_results *r, int m) {
    return r->summary + (size_t)m * (size_t)r->paths;
}

#endif
