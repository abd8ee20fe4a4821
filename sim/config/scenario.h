/* scenario.h: the typed scenario, as read from a scenario file (JSON) with defaults filled in.
 *
 * Every field is declared once in the parameter table (params.c) with its JSON Pointer, type,
 * default, range, units and doc; the loader, the validator, `infercap params`, and the resolved
 * JSON written into each result file all come from that table.  Fields of type struct ic_dist
 * may be distributions drawn once per Monte Carlo path. */
#ifndef IC_SCENARIO_H
#define IC_SCENARIO_H

#include "models/catalog.h"
#include "models/perf.h"
#include "models/traffic.h"
#include "models/workload.h"
#include "sim/core/dist.h"
#include "sim/core/enumtab.h"
#include "sim/core/error.h"

#include <stdint.h>

#define IC_NAME_MAX    64
#define IC_DESC_MAX    1024
#define IC_NUMARR_MAX  32
#define IC_MAX_EVENTS  32
#define IC_MAX_CLASSES 16

struct ic_time {
    char text[40]; /* as written, ISO-8601 with offset */
    double unix_s;
    int offset_s; /* seconds east of UTC */
};

struct ic_numarr {
    int n;
    double v[IC_NUMARR_MAX];
};

/* A catalog reference: a key, or a key with overrides ("base"), or a new inline entry ("name"). */
struct ic_accel_ref {
    char base[IC_KEY_MAX]; /* catalog key the entry started from ("" for an inline entry) */
    struct ic_accelerator value;
};
struct ic_llm_ref {
    char base[IC_KEY_MAX];
    struct ic_llm value;
};

/* An event's change of the request mix: the class's share is multiplied by up to
 * share_multiplier, following the event's shape. */
struct ic_mix_change {
    char class_name[IC_NAME_MAX];
    struct ic_dist share_multiplier;
};

struct ic_event {
    char name[IC_NAME_MAX];
    struct ic_time start;
    struct ic_dist peak_multiplier;
    struct ic_dist rise_s;
    struct ic_dist decay_s;
    int n_mix;
    struct ic_mix_change mix[IC_MAX_CLASSES];
};

/* A token-length distribution as written in the scenario (models/workload.h has the maths). */
struct ic_token_dist {
    int shape;             /* enum ic_token_shape */
    struct ic_dist median; /* lognormal body median (may vary by path) */
    struct ic_dist sigma;  /* lognormal body shape */
    struct ic_dist tail_weight, tail_xmin, tail_alpha;
    struct ic_numarr edges, weights;
};

struct ic_class {
    char name[IC_NAME_MAX];
    struct ic_dist share;
    struct ic_token_dist input_tokens;
    struct ic_token_dist output_tokens;
    struct ic_token_dist reasoning_tokens;
    struct ic_dist prefix_cache_hit;
};

/* A window in which a share of the replicas is out of service (a data-centre incident, a
 * network partition, maintenance). */
struct ic_outage {
    char name[IC_NAME_MAX];
    struct ic_time start;
    struct ic_dist duration_s;
    struct ic_dist fraction;
};

/* An extra pool of a heterogeneous fleet (pool 0 is /accelerator with /fleet/accelerators). */
struct ic_pool {
    char name[IC_NAME_MAX];
    struct ic_accel_ref accelerator;
    struct ic_dist accelerators;
    struct ic_dist routing_share;
    int weight_precision; /* 0: as /serving; else enum ic_precision + 1 */
    int kv_precision;
    struct ic_dist prefill_mfu, decode_mbu; /* 0: the vendor family's default */
};

#define IC_MAX_POOLS 8

/* One role of a prefill/decode fleet (/fleet/roles): how many units, and optionally a unit's
 * measured rate in place of the performance model's. */
struct ic_role_spec {
    struct ic_dist units;
    double measured_tokens_per_s; /* 0: the performance model */
    char accelerator[IC_KEY_MAX]; /* catalog key; "": /accelerator */
    struct ic_accelerator accel;  /* its catalog entry, resolved at load (accelerator given) */
};

/* One axis of a parameter sweep as written: the field (a JSON Pointer) and its values, given
 * as a JSON array ("values"), or as [lo, hi, n] spaced evenly ("linear") or geometrically
 * ("geom").  sim/config/sweep.h expands the axes into points. */
#define IC_SWEEP_MAX_AXES   8
#define IC_SWEEP_VALUES_MAX 4096
struct ic_sweep_spec {
    char pointer[256];
    char name[IC_NAME_MAX];
    char values[IC_SWEEP_VALUES_MAX]; /* the "values" array as JSON text ("" when absent) */
    struct ic_numarr linear, geom;
};

struct ic_point {
    struct ic_time time;
    double value;
};

/* The scenario's own enumerations; each has its table of names (defined in params.c, where the
 * rows that take them are), and a *_name() function from it. */
enum ic_quantity { IC_QTY_DAILY_ACTIVE_USERS, IC_QTY_WEEKLY_WEB_VISITS };
enum ic_yes_no { IC_NO, IC_YES };
enum ic_overlap { IC_OVERLAP_AUTO, IC_OVERLAP_NO, IC_OVERLAP_YES };
enum ic_repair_shape { IC_REPAIR_EXPONENTIAL, IC_REPAIR_LOGNORMAL };
enum ic_engine_kind { IC_ENG_AGGREGATE, IC_ENG_REQUEST };
/* Where the aggregate engine's service curve comes from (sim/engine/svccurve.h). */
enum ic_curve_mode { IC_CURVE_MEASURED, IC_CURVE_CLOSED_FORM };
/* A pool's precision: 0 inherits /serving's, else enum ic_precision + 1. */
enum { IC_POOL_PREC_INHERIT = 0 };
extern const struct ic_enum_table ic_quantities;
extern const struct ic_enum_table ic_yes_nos;
extern const struct ic_enum_table ic_overlaps;
extern const struct ic_enum_table ic_repair_shapes;
extern const struct ic_enum_table ic_engine_kinds;
extern const struct ic_enum_table ic_curve_modes;
extern const struct ic_enum_table ic_pool_precisions;
const char *ic_quantity_name(int quantity);
const char *ic_yes_no_name(int yes);
const char *ic_overlap_name(int overlap);
const char *ic_repair_shape_name(int shape);
const char *ic_engine_kind_name(int engine);
const char *ic_curve_mode_name(int mode);
const char *ic_pool_precision_name(int precision);

struct ic_scenario {
    char name[IC_NAME_MAX];
    char description[IC_DESC_MAX];
    long long seed;
    long long paths;
    struct ic_time start;
    double horizon_days;
    double step_s;
    struct {
        double interval_s;
        long long store_paths;
        struct ic_numarr quantiles;
    } output;
    struct {
        struct {
            int model;                     /* enum ic_growth_model */
            int quantity;                  /* enum ic_quantity */
            struct ic_time reference_time; /* empty: the start */
            struct ic_time launch_time;    /* Bass; empty: the reference time */
            struct ic_dist initial;
            struct ic_dist rate_per_day;
            struct ic_dist capacity;
            struct ic_dist p_per_day, q_per_day, market_size;
            int n_points;
            struct ic_point points[IC_GROWTH_MAX_POINTS];
            struct {
                struct ic_numarr mean, covariance;
            } fit;
        } growth;
        struct ic_dist requests_per_user_per_day;
        struct {
            struct ic_dist channel_multiplier;
            struct ic_dist requests_per_visit;
        } funnel;
        struct {
            int profile; /* enum ic_diurnal_profile */
            struct ic_numarr weights;
            struct ic_numarr day_of_week;
            char utc_offset[8];
        } diurnal;
        struct {
            struct ic_dist sigma;
            struct ic_dist corr_time_s;
            struct ic_dist arrival_dispersion;
            double interarrival_cv; /* within a step: gamma renewal; 1: Poisson */
        } noise;
        struct {
            struct ic_dist probability;
            struct ic_dist delay_s;
        } retry;
        struct {
            struct ic_dist probability;
        } churn;
        int n_events;
        struct ic_event events[IC_MAX_EVENTS];
        struct {
            double input; /* > 0: demand as tokens a day (replaces the growth curve's level) */
            double cache_hit_share; /* < 0: the classes' prefix_cache_hit */
            double output;
        } tokens_per_day;
    } traffic;
    struct {
        int n_classes;
        struct ic_class classes[IC_MAX_CLASSES];
        struct ic_dist reasoning_multiplier;
    } workload;
    struct ic_llm_ref model;
    struct ic_accel_ref accelerator;
    struct {
        int weight_precision; /* enum ic_precision */
        int kv_precision;
        long long tensor_parallel;   /* 0: automatic */
        long long pipeline_parallel; /* 0: automatic */
        long long expert_parallel;   /* 1: experts are tensor-sliced */
        long long accelerators_per_node;
        double scaleout_gbps;
        double memory_utilization;
        double kv_reserve_fraction;
        struct ic_dist prefill_mfu; /* 0: the vendor family's default */
        struct ic_dist decode_mbu;
        double step_overhead_ms;
        double tpot_slo_ms;
        double ttft_slo_s; /* 0: none */
        long long max_batch;
        long long max_batched_tokens;
        int disaggregated;
        double prefill_fraction;
        /* Performance model v2 (models/perf.h, struct ic_perf_params): */
        char software[32];                  /* profile name; "": the vendor family's */
        struct ic_dist software_efficiency; /* x the profile's GEMM and memory efficiencies */
        long long attention_dp;             /* accelerators of attention data parallelism; 0 */
        long long mtp;                      /* draft tokens per step; 0: none */
        double mtp_accept;                  /* 0: the model's */
        int eplb;                           /* 0 no, 1 yes */
        double expert_imbalance;            /* 0: the model's */
        int overlap;                        /* 0 auto, 1 no, 2 yes */
        long long node_limit;               /* 0: no limit */
        int admission;                      /* enum ic_admission */
        double kv_fraction;
        int attention_precision;             /* enum ic_precision: bf16 or fp8 */
        int max_throughput;                  /* 0 no, 1 yes */
        long long prefill_unit, decode_unit; /* 0: the replica */
        /* the request engine's KV admission on attention ranks (models/perf.h) */
        double new_token_ratio_init, new_token_ratio_min, new_token_ratio_decay_steps;
        double retract_decode_steps, clip_max_new_tokens;
    } serving;
    struct {
        struct ic_dist accelerators;
        double failure_rate_per_hour;
        struct ic_dist repair_hours;
        double accelerator_hour_usd; /* < 0: derived from price, power and amortisation */
        double amortization_years;
        double pue;
        double electricity_usd_per_kwh;
        double idle_power_fraction;
        double node_failure_rate_per_hour;
        int repair_shape; /* 0 exponential, 1 lognormal */
        double repair_sigma;
        int n_outages;
        struct ic_outage outages[IC_MAX_EVENTS];
        int routing; /* 0 least-loaded, 1 share */
        struct ic_dist routing_share;
        int n_pools;
        struct ic_pool pools[IC_MAX_POOLS - 1];
        struct {
            struct ic_role_spec prefill, decode;
        } roles;
        struct {
            int enabled;
            double target_utilization;
            double scale_in_utilization;
            double evaluation_s;
            long long step_accelerators;
            long long floor, cap;
            double lead_time_s, lead_time_sigma;
            double cooldown_s;
            long long max_actions;
        } autoscale;
    } fleet;
    struct {
        double price_input_per_mtok;
        double price_cached_input_per_mtok;
        double price_output_per_mtok;
    } economics;
    struct {
        double max_wait_s;
        struct ic_dist patience_s;
        double degraded_failed_fraction;
        int degraded_slo; /* enum ic_yes_no: requests served outside the objectives fail too */
        double outage_min_s;
    } queue;
    struct {
        int n_axes;
        struct ic_sweep_spec axes[IC_SWEEP_MAX_AXES];
    } sweep;
    int engine; /* 0 aggregate, 1 request */
    struct {
        struct ic_time window_start; /* "" text: the scenario's start */
        double duration_s;
        int routing; /* enum ic_routing */
        double interval_s;
        long long max_requests;
        double drain_s;
    } request_engine;
    struct {
        int mode;           /* enum ic_curve_mode */
        long long replicas; /* measured: replicas of the group */
        long long requests; /* measured: requests per load point */
    } service_curve;
};

struct ic_catalog;

/* Options for loading: overrides given on the command line as "/json/pointer=VALUE". */
struct ic_load_opts {
    const char *const *sets;
    int n_sets;
    /* --sweep /ptr=SPEC: an axis added to /sweep (replacing one on the same pointer); SPEC is
     * v1,v2,... (each JSON or a bare string), lo:hi:n or geom:lo:hi:n. */
    const char *const *sweeps;
    int n_sweeps;
    int n_point_sets; /* the last sets are a sweep point's values (named so in messages) */
    /* Where the first n_set_notes sets came from, as messages say it (" (from --paths)"); a
     * NULL entry, or a set beyond them, is " (from --set)". */
    const char *const *set_notes;
    int n_set_notes;
    /* When not NULL, receives the containers the sets created (their pointers), which
     * ic_scenario_override needs to name an override's origin as the load would. */
    struct ic_diag *created;
};

/* Load a scenario file, apply the overrides, fill defaults, check every field and the
 * cross-field rules.  Every problem found is added to diag (messages name the file, the JSON
 * Pointer, the value received and what was expected).  Returns IC_OK, IC_ERR_PARSE (syntax:
 * err holds file:line:column), IC_ERR_IO, or IC_ERR_INVALID (diag holds the messages). */
int ic_scenario_load(const char *path, const struct ic_load_opts *opts,
                     const struct ic_catalog *cat, struct ic_scenario *sc, struct ic_diag *diag,
                     struct ic_error *err);

/* The same from a string in memory; `label` names it in messages. */
int ic_scenario_load_string(const char *text, const char *label, const struct ic_load_opts *opts,
                            const struct ic_catalog *cat, struct ic_scenario *sc,
                            struct ic_diag *diag, struct ic_error *err);

/* A scenario of the table's defaults alone: what loading "{}" gives (the arrays that have a
 * minimum length get their default elements), the required fields left empty.  Fields are
 * then given with ic_scenario_override, without a scenario text. */
void ic_scenario_defaults(struct ic_scenario *sc);

/* Override fields of a loaded scenario in place, without reading the scenario text again:
 * opts->sets[first..n_sets-1] ("/pointer=VALUE", as --set), each read into its field through
 * the parameter table with the loader's own readers and messages, then the cross-field rules
 * checked again.  opts (every set, the notes, n_point_sets) and `created` (what the load
 * recorded in opts->created; may be NULL) name each message's origin as the load would.  When
 * sc was loaded with opts->sets[0..first-1] and loading it with every set succeeds, the result
 * is the scenario that load gives, bit for bit.
 * Returns IC_OK; IC_ERR_INVALID (diag holds the messages); or IC_SCENARIO_RELOAD, leaving sc
 * unchanged, when a set is not one field of the loaded scenario (an object or array, an
 * element the scenario does not have, an unknown key, an escaped token): only loading the
 * text again can apply it.  With report_unknown, those are reported into diag instead (as the
 * loader reports an unknown key) and IC_ERR_INVALID returned. */
#define IC_SCENARIO_RELOAD (-1)
int ic_scenario_override(struct ic_scenario *sc, const char *label, const struct ic_load_opts *opts,
                         int first, const struct ic_diag *created, const struct ic_catalog *cat,
                         int report_unknown, struct ic_diag *diag, struct ic_error *err);

/* The fully resolved scenario (every field, defaults included, catalog entries expanded) as a
 * JSON string (malloc'd; caller frees).  Loading it again gives an identical scenario. */
char *ic_scenario_resolved_json(const struct ic_scenario *sc);

/* Visit every distribution field of the scenario with its concrete JSON Pointer. */
typedef void (*ic_dist_visitor)(void *ctx, const struct ic_dist *d, const char *pointer,
                                const char *units);
void ic_scenario_each_dist(const struct ic_scenario *sc, ic_dist_visitor fn, void *ctx);

/* Does the scenario have a prefill/decode fleet (/fleet/roles with units of either role)? */
int ic_scenario_has_roles(const struct ic_scenario *sc);
/* Is demand given as tokens a day (/traffic/tokens_per_day/input > 0)? */
int ic_scenario_tokens_per_day(const struct ic_scenario *sc);

/* Derived sizes. */
long ic_scenario_steps(const struct ic_scenario *sc);
long ic_scenario_out_steps(const struct ic_scenario *sc);

#endif
