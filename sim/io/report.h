/* report.h: the headline of a run, printed after `infercap run` and by `infercap info` (which
 * reads it back from the result file), as text or as one JSON object.  Every probability is
 * given with its 95% interval and the number of paths, so no figure is quoted without its
 * error. */
#ifndef IC_REPORT_H
#define IC_REPORT_H

#include "sim/engine/engine.h"

#include <stdio.h>

struct ic_report {
    char scenario[IC_NAME_MAX];
    char accelerator[IC_KEY_MAX];
    char model[IC_KEY_MAX];
    char start[40];
    int offset_s;
    double start_unix_s;
    long long seed;
    double horizon_days, step_s;
    double accelerators_mean; /* fleet size (mean when it is a distribution) */
    long accels_per_replica;
    double replica_rps;   /* requests/s per replica the fluid queue serves, at mean inputs */
    double replica_batch; /* the performance model's closed-form batch of one replica: the
                             operating point only when the service curve is the closed form */
    /* Pool 0's service curve (sim/engine/svccurve.h): the mode it was filled by ("measured",
     * "closed_form"; "" in a file from before it was recorded), the mode the scenario asked for,
     * and what a measured curve measured: the saturated requests/s per replica, the largest
     * utilisation of it meeting the objectives, the replicas of the measured group and the
     * requests run (0 and NaN in closed form). */
    char curve_mode[24], curve_asked[24];
    char curve_why[256]; /* measured asked for, closed form used: why ("" when not known) */
    double curve_sat_rps, curve_slo_util;
    long curve_replicas, curve_requests;
    /* What the curve caches did in this run (ic_curve_cache_phrase; "" in a file: not stored,
     * a curve from the cache being the one measured) */
    char curve_cache[96];
    /* Every pool's service curve (pool 0 is the one above; a P/D fleet's pools are its
     * prefill and decode units), stored as /service_curve/<name> [axes..., pool]. */
    int n_pools;
    struct ic_report_pool {
        char mode[24], accelerator[IC_KEY_MAX];
        double accelerators;                  /* in the pool (mean) */
        double rps, sat_rps, slo_util, batch; /* sat_rps, slo_util: NaN in closed form */
        long replicas, requests;              /* 0 in closed form */
    } pool[IC_MAX_POOLS];
    /* Timing of this run (not stored in the file: results must not depend on it). */
    double engine_s, write_s; /* 0: unknown */
    double path_steps;
    int threads;
    int weekly_visits;     /* the growth quantity is weekly web visits */
    long tokens_per_day;   /* demand is tokens a day (sustainable: multiples of the day) */
    double memory_bytes;   /* the run's estimated peak memory (0: unknown) */
    double peak_rss_bytes; /* its measured peak resident memory (0: unknown) */
    /* An interrupted run: its figures cover the horizon only to completed_until_s (seconds
     * from the start; NaN when not known). */
    int partial;
    double completed_until_s;
    char version[64], git_commit[64], created_utc[40], command_line[1024], file[4096];
    struct ic_headline h;
    /* A prefill/decode fleet (stored in the result file, read back by info): each role's
     * units (mean), accelerators per unit, tokens/s per unit and whether that rate is the
     * scenario's measured_tokens_per_s (else the performance model's), its accelerator, and the
     * capacity-needed curve's medians over paths. */
    long roles;
    double role_units[2], role_unit_accels[2], role_unit_tok_s[2];
    long role_measured[2];
    char role_accel[2][IC_KEY_MAX];
    double nodes_needed_q50[3]; /* the curve's mean, peak and minimum (medians over paths) */
    double cost_follow_q50, cost_flat_q50;
};

/* The headline's figures that are stored under the same key as a number (n = 1) or a pair
 * (n = 2, a 95% interval) in the JSON object and as attributes of /summary: one list for the
 * writer, the reader and the JSON. */
struct ic_headline_field {
    const char *key;
    size_t offset; /* of the first double in struct ic_headline */
    int n;
    int since; /* 0: in every result file; 1: added later (goodput), NaN when a file lacks it */
};
extern const struct ic_headline_field ic_headline_fields[];
extern const int ic_headline_nfields;

void ic_report_from_run(const struct ic_plan *plan, const struct ic_results *r,
                        struct ic_report *rep);
void ic_report_print(FILE *f, const struct ic_report *rep);
void ic_report_print_json(FILE *f, const struct ic_report *rep);
/* The JSON object of ic_report_print_json (a cJSON *, for the caller to add to or delete). */
void *ic_report_json(const struct ic_report *rep);

/* The request engine's headline (sim/engine/reqresult.h) as text, or as one JSON object. */
struct ic_reqrun;
void ic_reqrun_print(FILE *f, const struct ic_reqrun *rr, int json);

#endif
