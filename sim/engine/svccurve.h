/* svccurve.h: what the request engine needs from a compiled plan, and a pool's service curve
 * measured with it.
 *
 * struct ic_req_input is everything the request engine takes about one pool, built from the
 * plan (no copy of the scenario): the replica (performance parameters, KV cache, scheduler
 * caps), the request mix at the inputs' means (class shares, token-length distributions,
 * prefix-cache hits, reasoning), the queue (patience, admission control), the routing, the
 * objectives and the arrival process (step, over-dispersion).  The request-engine runs from a
 * scenario or a trace (sim/drivers/reqrun.c), the cross-check (sim/drivers/crosscheck.c) and
 * the service curve below all start from it.
 *
 * The service curve (struct ic_pool_service, one per pool in the plan) is what the aggregate
 * engine's fluid step takes from the serving model: the service rate per replica, the largest
 * utilisation of it that meets the objectives, and by utilisation 0..1 the mean, median and
 * 99th-percentile time to first token, the median time per output token and the share of
 * requests served within the objectives (goodput).  "closed_form" fills it from the
 * performance model's equations (models/perf.c: the rate under the TPOT and TTFT objectives,
 * the Little's-law TTFT table); "measured" (the default, /service_curve/mode) runs the request
 * engine on a group of replicas (ic_curve_group: /service_curve/replicas times the power of two
 * nearest the pool's replicas, to 64) on the pool's own mix at offered loads
 * of 5% to 100% of the saturated rate it measures first, with the scenario's arrivals within
 * a step (/traffic/noise/interarrival_cv: Poisson, or a gamma renewal process whose bursts
 * queue requests inside the step; the aggregate engine draws the step's count, over-dispersed
 * or not, itself).  The group's size takes four values, so a capacity search measures at most
 * four curves: measured curves
 * are cached in-process by a hash of what they depend on, and on disk across processes when a
 * cache directory is set (ic_curve_cache_set_dir).  Multi-token prediction, attention
 * data parallelism and disaggregated units are the request engine's (sim/engine/reqsim.h); a
 * replica of attention ranks is measured at a few of its ranks and its rates scaled up (see
 * ic_service_curve_measure), and a disaggregated replica of whole replicas per role on the
 * group nearest its balanced split.  Deterministic: its own random
 * stream (IC_STREAM_REQUESTS, sub-stream 2) from the scenario's seed. */
#ifndef IC_SVCCURVE_H
#define IC_SVCCURVE_H

#include "models/perf.h"
#include "models/queue.h"
#include "models/workload.h"
#include "sim/config/scenario.h"
#include "sim/core/error.h"
#include "sim/core/rng.h"
#include "sim/engine/reqsim.h"

#include <math.h>
#include <stdint.h>

struct ic_plan;

/* Points of the curve over utilisation u = k / (IC_CURVE_POINTS - 1) of the service rate. */
#define IC_CURVE_POINTS IC_PERF_LOAD_POINTS
/* A run of the curve doubles until it settles (ic_req_settled), to at most IC_CURVE_POINT_MAX x
 * /service_curve/requests requests, and the curve to IC_CURVE_MAX x that in all: the budget of a
 * plan compile, in requests so that the curve does not depend on the machine.  Both are for
 * IC_CURVE_CAP_REPLICAS replicas, and a larger group's scale with it (g / 8 times), so that its
 * runs may double to as many request latencies: with the budget of 8 replicas, ttc-scaling's
 * curve on 64 could not double its point at 70% (a first window of 10 latencies already held
 * more than 32 x 10,000 requests), and read its TPOT p50 there at 56.8 ms against the request
 * engine's settled 62 ms on the same 64 replicas (goodput within the 50 ms objective 17.6%
 * against 3.1%; with four times the budget 62.3 ms and 4.2%). */
/* The largest group a curve is measured on (ic_curve_group). */
#define IC_CURVE_GROUP_MAX    64
#define IC_CURVE_POINT_MAX    32
#define IC_CURVE_MAX          100
#define IC_CURVE_CAP_REPLICAS 8

/* Levels of the TTFT quantiles a measured curve records: 0.01, 0.05, 0.10, ... 0.95, 0.99. */
#define IC_TTFT_QN 21
static inline double ic_ttft_q_level(int l) {
    return l == 0 ? 0.01 : l == IC_TTFT_QN - 1 ? 0.99 : 0.05 * l;
}

/* The waits (s) at which a measured curve holds the TTFT quantiles of a step with a backlog:
 * 0, then 10 ms doubling to 5,243 s (1.5 hours), IC_WAIT_POINTS in all. */
#define IC_WAIT_POINTS 21
static inline double ic_backlog_wait_s(int k) {
    return k == 0 ? 0.0 : 0.01 * ldexp(1.0, k - 1);
}

/* enum ic_curve_mode and its names: sim/config/scenario.h */

/* Everything the request engine takes about one pool. */
struct ic_req_input {
    struct ic_replica_model rm; /* the replica (rm.capacity_rps: the closed-form rate) */
    long accels_per_replica;
    long replicas; /* the pool's, at its (mean) size */
    int n_classes;
    double share[IC_MAX_CLASSES]; /* normalised */
    struct ic_tokdist in[IC_MAX_CLASSES], out[IC_MAX_CLASSES], reason[IC_MAX_CLASSES];
    double reason_scale[IC_MAX_CLASSES], cache_hit[IC_MAX_CLASSES];
    double out_scale[IC_MAX_CLASSES]; /* answer lengths' scale (0: 1) */
    double context_cap;               /* tokens */
    double patience_s;                /* mean (<= 0: none) */
    double max_wait_s;                /* admission control */
    int routing;                      /* enum ic_routing */
    double ttft_slo_s, tpot_slo_s;    /* 0: none */
    double step_s;                    /* the aggregate engine's step */
    double dispersion;                /* arrival over-dispersion per step (0: Poisson) */
    double interarrival_cv;           /* within a step: gamma renewal (1: Poisson) */
    double latency_s; /* a request's time in the replica at the operating point, closed form
                         (TTFT alone + decode tokens x TPOT): what a run must last to be steady */
    uint64_t seed;
    /* n_sample > 0: requests are drawn uniformly from these prompt and answer lengths (a
     * trace's) instead of the classes: no reasoning, nothing cached. */
    const int32_t *sample_in, *sample_out;
    long n_sample;
};

/* The input of pool `pool` of a compiled plan: multi-token prediction, attention data
 * parallelism and disaggregated units as sim/engine/reqsim.h models them (a role's unit is the
 * performance model's, its KV cache ic_perf_replica's for the unit).  Demand as tokens a day
 * sets the mix's cache hits and answer lengths as the performance model's mix does. */
int ic_plan_req_input(const struct ic_plan *plan, int pool, struct ic_req_input *in,
                      struct ic_error *err);

/* One request of class c: its lengths, cached prompt and patience (in that order of draws). */
void ic_req_input_lengths(const struct ic_req_input *in, int c, struct ic_rng *g,
                          struct ic_request *q);
/* One request's class (by the shares), then its lengths (its arrival is the caller's). */
void ic_req_input_draw(const struct ic_req_input *in, struct ic_rng *g, struct ic_request *q);

/* Steady arrivals at `rate` requests/s for `duration_s`: per step of in->step_s a mean of
 * rate x step (x a gamma draw of mean 1 and variance in->dispersion when `dispersion`); with
 * in->interarrival_cv 1 a Poisson count at uniform times within the step, otherwise the gamma
 * renewal process of ic_renewal_arrivals at those step means; each request drawn from the mix.
 * *req is allocated (free()).  step_counts (may be NULL): the count of each step, allocated. */
int ic_req_input_steady(const struct ic_req_input *in, double rate, double duration_s,
                        int dispersion, uint64_t stream, struct ic_request **req, long *n,
                        double **step_counts, long *nsteps, struct ic_error *err);

/* Arrival times of a stationary gamma renewal process whose inter-arrival times have
 * coefficient of variation cv (shape 1/cv^2), time-changed so that step j, [j dt, (j+1) dt)
 * cut at duration_s, expects mean[j] arrivals (its rate mean[j] / the step's length): the
 * process runs in units of expected arrivals, so a burst may cross a step's edge.  The first
 * arrival is at the forward recurrence time (a uniform share of a length-biased interval,
 * Gamma(shape + 1)), so the process is stationary from the start.  Ascending; *t allocated
 * (free()); draws from g alone.  0, or -1 out of memory. */
int ic_renewal_arrivals(double cv, const double *mean, long nsteps, double dt, double duration_s,
                        struct ic_rng *g, double **t, long *n);

/* What one run of requests through the request engine gave in [warm_s, window_s): the rates
 * of the requests that finished in it (served, and good: within the objectives) over the
 * arrivals in it, and the latencies of those that arrived in it and were served. */
struct ic_req_point {
    double offered_rps, served_rps;
    double good_share;        /* min(1, finished / arrived) x good / finished */
    double served_good_share; /* good finished / finished */
    double tpot_ok_share;     /* finished within the TPOT objective / finished */
    double ttft_mean_s, ttft_p50_s, ttft_p99_s, tpot_p50_s;
    double ttft_q_s[IC_TTFT_QN]; /* at the levels ic_ttft_q_level() */
    long requests;
};
void ic_req_point_stats(const struct ic_req_input *in, const struct ic_request *req, long n,
                        double warm_s, double window_s, struct ic_req_point *pt);

/* Whether a run of requests settled over [warm_s, window_s): the completions per second of the
 * window's two halves agree within 3% or four standard deviations of two counts' difference. */
int ic_req_settled(const struct ic_req_input *in, const struct ic_request *req, long n,
                   double warm_s, double window_s);

/* Whether the goodput shares (served within the objectives over the arrivals) of the two
 * halves of [warm_s, window_s) agree: within 5 points (half the cross-check's target of 10:
 * the whole window's share is then within about 2.5 points of its later half's), or four
 * standard deviations of the difference of two binomial shares of the halves' arrivals,
 * whichever is wider.  Near the knee a run's goodput relaxes more slowly than its completions
 * (Kimi's curve at 90% of its rate), and over capacity a queue under patience or admission
 * control builds for minutes while the completions already agree (Wanka's P/D fleet at 110%:
 * its decode units start empty and serve up to 12% over their steady rate).  The binomial
 * term takes no account of the queue's own slow swings near the knee, which the 5 points
 * cover. */
int ic_req_good_settled(const struct ic_req_input *in, const struct ic_request *req, long n,
                        double warm_s, double window_s);

/* A pool's service curve (see the top of the file). */
struct ic_pool_service {
    int mode;        /* enum ic_curve_mode it was filled by */
    double rps;      /* requests/s per replica the fluid queue serves */
    double sat_rps;  /* saturated requests/s per replica */
    double slo_util; /* largest utilisation of sat_rps at which the mean TTFT and the median
                        TPOT meet their objectives (closed form: ttft_rho, the TPOT objective
                        being met at sat_rps by its batch) */
    double scale;    /* rps / the performance model's requests_per_s (per-path scaling) */
    double ttft_mean_s[IC_CURVE_POINTS], ttft_p50_s[IC_CURVE_POINTS], ttft_p99_s[IC_CURVE_POINTS];
    double tpot_p50_s[IC_CURVE_POINTS];
    double good_share[IC_CURVE_POINTS]; /* of the served, the share within the objectives */
    double good_sat;   /* saturated (a backlog waits): share of the served within the TPOT
                          objective (the backlog's wait judges the TTFT, models/queue.h) */
    double tpot_sat_s; /* saturated: median TPOT */
    /* The TTFT's distribution, for the pooled quantiles of a mixture of steps and the share
     * within the objective: its quantiles at the levels ic_ttft_q_level() by utilisation
     * (ttft_q_s[l][k]); and with a backlog left, measured over capacity (the probe of
     * good_sat), at the waits ic_backlog_wait_s(k) (backlog_q_s[l][k]): the quantiles of
     * r x W + v over the probe's served requests, r a request's wait for admission over its
     * step's fluid wait (the backlog at the step's end over the service rate, as the aggregate
     * engine's step has it) and v the rest of its TTFT (admission to first token), each
     * request's own pair (ic_backlog_table): the request engine's spread in a backlog (short
     * prompts pass long ones, patience and admission control cut the queue), which one wait
     * for all does not have (ic_curve_backlog_q). */
    double ttft_q_s[IC_TTFT_QN][IC_CURVE_POINTS];
    double backlog_q_s[IC_TTFT_QN][IC_WAIT_POINTS];
    /* With arrivals over-dispersed per step (/traffic/noise/arrival_dispersion > 0), measured
     * on the scenario's own steps (ic_fluid_table): the TTFT quantiles at the waits
     * ic_backlog_wait_s(k) of the aggregate engine's fluid queue at a request's arrival
     * (ic_fluid_wait_at), in steps whose arrivals exceed the service (rise_q_s) and in steps
     * that drain (fall_q_s); all 0 without dispersion (ic_curve_step_q). */
    double rise_q_s[IC_TTFT_QN][IC_WAIT_POINTS];
    double fall_q_s[IC_TTFT_QN][IC_WAIT_POINTS];
    double rise_good[IC_WAIT_POINTS], fall_good[IC_WAIT_POINTS]; /* their shares served within
                                                                     both objectives */
    long requests;                                               /* measured: requests run */
    long run_max;     /* measured in this process: the most requests one run held (0: read from
                         disk; for the memory estimate, ic_curve_run_bytes) */
    long group;       /* measured: the replicas it ran on (1: a replica of attention ranks
                         measured alone, at a share of its ranks) */
    double measure_s; /* measured: seconds it took (0: from the cache) */
    uint64_t key;     /* measured: the cache key */
    int source;       /* measured: enum ic_curve_source, where this process got it */
    int disk;         /* measured: enum ic_curve_disk, what the on-disk cache did */
};

/* Where a measured curve came from in this process (not stored in result files: a curve from
 * either cache is bit for bit the one measured). */
enum ic_curve_source {
    IC_CURVE_SRC_NONE,     /* closed form */
    IC_CURVE_SRC_MEASURED, /* measured now */
    IC_CURVE_SRC_MEMORY,   /* the in-process cache (measured earlier by this process) */
    IC_CURVE_SRC_DISK      /* the on-disk cache */
};
/* What the on-disk cache did for a measured curve. */
enum ic_curve_disk {
    IC_CURVE_DISK_OFF,       /* no cache directory (or a build it cannot identify) */
    IC_CURVE_DISK_HIT,       /* read from it */
    IC_CURVE_DISK_STORED,    /* not there: measured and stored */
    IC_CURVE_DISK_BAD,       /* a file there was unreadable or not this curve's: ignored,
                                measured, and replaced */
    IC_CURVE_DISK_UNWRITTEN, /* measured, but the file could not be written */
    IC_CURVE_DISK_SEEN       /* from the in-process cache: the disk not consulted again */
};

/* The on-disk cache of measured curves: a directory (created when first written) holding one
 * small text file per curve, named by a 128-bit hash of what the curve depends on (the
 * request engine's input, the group and request counts, the file format's version and the
 * build: version and git commit, and for a build from a modified tree or an unknown commit
 * the executable's bytes), holding that hash again and every number of the curve as the hex
 * of its bits, so that a curve read back is the one measured, bit for bit.  Written to a
 * temporary file and renamed, so a concurrent process reads a whole file or none; a file that
 * cannot be read, or is not this curve's, is ignored and the curve measured (a run never fails
 * for the cache).  Process-wide: set before any parallel region.  NULL or "" turns it off (the
 * default; the CLI sets it from INFERCAP_CACHE_DIR, XDG_CACHE_HOME or HOME).  0, or -1 when
 * the path is too long (the cache is then off). */
int ic_curve_cache_set_dir(const char *dir);
/* The directory in use, or NULL when off. */
const char *ic_curve_cache_dir(void);
/* A phrase for what the caches did for svc ("" when it was measured with no disk cache), for
 * the CLI's headline: "read from the curve cache", "measured and stored in the curve cache",
 * "measured; the curve cache file could not be written", ... */
const char *ic_curve_cache_phrase(const struct ic_pool_service *svc);

/* The memory the measurement of svc took at its peak (bytes): its largest run's requests, each
 * with the request engine's state and the sorted latencies of its statistics; 0 for a curve
 * not measured by this process. */
double ic_curve_run_bytes(const struct ic_pool_service *svc);

/* The curve of pool `pool`: closed form from plan->pool[pool].perf, or measured (cached). */
int ic_service_curve(const struct ic_plan *plan, int pool, int mode, struct ic_pool_service *svc,
                     struct ic_error *err);

/* The measurement itself, on any input (the crosscheck's trace mix): a group of g replicas,
 * nreq requests per load; closed_sat_rps and closed_rps, the performance model's rates per
 * replica, start the probe for saturation and give svc->scale. */
/* Disaggregated (rm->disaggregated): the replica count from lo to hi whose whole prefill and
 * decode units (ic_reqsim_units) are nearest the replicas' shares of each, the smallest of
 * those within half a percent of the best; else lo.  A run of units short of one role's share
 * serves that role's shortfall less than its replicas x the replica's rate. */
long ic_pd_replicas(const struct ic_replica_model *rm, long lo, long hi);

/* The group a pool of `replicas` replicas has its curve measured on, from base
 * (/service_curve/replicas): base times the power of two nearest the pool's replicas on a log
 * scale (base, 2 base, 4 base, ... up to IC_CURVE_GROUP_MAX; no fewer than base), as more
 * replicas under least-outstanding routing pool the queue better (Erlang C: c servers at the
 * same load wait less than one); a capacity search then measures at most four curves.  A
 * replica of attention ranks measured alone (its smaller role has more than base ranks) keeps
 * base: its ranks are its lanes (see ic_service_curve_measure). */
long ic_curve_group(const struct ic_replica_model *rm, long base, long replicas);

int ic_service_curve_measure(const struct ic_req_input *in, double closed_sat_rps,
                             double closed_rps, long g, long nreq, struct ic_pool_service *svc,
                             struct ic_error *err);

/* Interpolate a curve table at utilisation u (clamped to 0..1). */
static inline double ic_curve_at(const double *t, double u) {
    double x = (u < 1.0 ? (u > 0 ? u : 0.0) : 1.0) * (IC_CURVE_POINTS - 1);
    int k = x >= IC_CURVE_POINTS - 1 ? IC_CURVE_POINTS - 2 : (int)x;
    return t[k] + (t[k + 1] - t[k]) * (x - (double)k);
}

/* The share at or under x of the distribution whose quantiles at the levels ic_ttft_q_level()
 * are q[0..IC_TTFT_QN-1] (ascending), scaled by `scale` and shifted by `shift`: linear between
 * the levels, 0 under the first level's value (at the first level: 0.01) and 1 at or over the
 * last (0.99). */
static inline double ic_ttft_q_cdf(const double *q, double scale, double shift, double x) {
    double y = x - shift;
    if (!(y >= q[0] * scale)) return 0.0;
    if (y >= q[IC_TTFT_QN - 1] * scale) return 1.0;
    int l = 0;
    while (l < IC_TTFT_QN - 2 && y >= q[l + 1] * scale) l++;
    double a = q[l] * scale, b = q[l + 1] * scale;
    double p0 = ic_ttft_q_level(l), p1 = ic_ttft_q_level(l + 1);
    return b > a ? p0 + (p1 - p0) * (y - a) / (b - a) : p1;
}

/* The TTFT quantiles of a step at utilisation u with no backlog (the curve's at u,
 * interpolated level by level), into q[IC_TTFT_QN]; 0, or -1 when the curve has none (closed
 * form). */
static inline int ic_curve_ttft_q(const struct ic_pool_service *svc, double u, double *q) {
    if (svc->mode != IC_CURVE_MEASURED || !(svc->ttft_q_s[IC_TTFT_QN - 1][0] > 0)) return -1;
    for (int l = 0; l < IC_TTFT_QN; l++) q[l] = ic_curve_at(svc->ttft_q_s[l], u);
    return 0;
}

/* The TTFT quantiles of a step that left a backlog whose wait (backlog / service rate) is
 * wait_s, into q[IC_TTFT_QN]: the measured table (backlog_q_s) between its waits, level by
 * level, linear in the wait, and past the last on the line through the last two.  Each served
 * request of the probe is one pair (its wait over the fluid wait, the rest of its TTFT), so
 * the table holds how the two go together as they did in the request engine: on Kimi's mix a
 * short prompt both passes the long ones in the queue and is served sooner, on Wanka's P/D
 * fleet a long queue comes with busy prefill units.  (Until 2026-12-03 the two were added
 * quantile by quantile, comonotone: Wanka's goodput at 110% in `infercap crosscheck
 * scenarios/wanka-h100-vs-ascend910b.json --replicas 16` was 18.1% against the request
 * engine's 7.6%; on the request engine's own run, the share within its 3 s TTFT objective
 * would be 23.8% comonotone, 13.9% independent, and is 10.3%.)  0, or -1 when the curve has
 * none (closed form, or no backlog in its probe). */
static inline int ic_wait_table_q(const double t[IC_TTFT_QN][IC_WAIT_POINTS], double wait_s,
                                  double *q) {
    if (!(t[IC_TTFT_QN - 1][1] > 0)) return -1;
    int k = 0;
    while (k < IC_WAIT_POINTS - 2 && wait_s > ic_backlog_wait_s(k + 1)) k++;
    const double w0 = ic_backlog_wait_s(k), w1 = ic_backlog_wait_s(k + 1);
    const double f = (fmax(wait_s, 0.0) - w0) / (w1 - w0);
    for (int l = 0; l < IC_TTFT_QN; l++) q[l] = fmax(t[l][k] + (t[l][k + 1] - t[l][k]) * f, 0.0);
    return 0;
}
/* A row over the waits ic_backlog_wait_s(k) at wait_s, linear between them (held past the
 * last). */
static inline double ic_wait_row_at(const double *row, double wait_s) {
    int k = 0;
    while (k < IC_WAIT_POINTS - 2 && wait_s > ic_backlog_wait_s(k + 1)) k++;
    const double w0 = ic_backlog_wait_s(k), w1 = ic_backlog_wait_s(k + 1);
    const double f = fmin((fmax(wait_s, 0.0) - w0) / (w1 - w0), 1.0);
    return row[k] + (row[k + 1] - row[k]) * f;
}
static inline int ic_curve_backlog_q(const struct ic_pool_service *svc, double wait_s, double *q) {
    if (svc->mode != IC_CURVE_MEASURED) return -1;
    return ic_wait_table_q(svc->backlog_q_s, wait_s, q);
}

/* The aggregate engine's fluid wait (s) at share x (0..1) into a step that started with a
 * backlog of b0 requests and left b1 (models/queue.h, ic_queue_step), `arrivals` arriving and
 * `capacity` served at most, at `rate` requests/s: linear from b0 to b1, and in a step that
 * drains (b0 > 0 = b1) down to 0 where the service has caught up, b0 / (capacity - arrivals)
 * into the step, then 0.  The curve's fluid tables (rise_q_s, fall_q_s) are read at it. */
static inline double ic_fluid_wait_at(double b0, double b1, double arrivals, double capacity,
                                      double rate, double x) {
    if (!(rate > 0)) return 0.0;
    double b = b0 + (b1 - b0) * x;
    if (b0 > 0 && !(b1 > 0)) {
        const double d = capacity - arrivals, x0 = d > b0 ? b0 / d : 1.0;
        b = x < x0 ? b0 * (1.0 - x / x0) : 0.0;
    }
    return b > 0 ? b / rate : 0.0;
}

/* The parts a step with a backlog is read in with the fluid tables: its requests' arrivals at
 * the midpoints of IC_STEP_PARTS equal shares of the step. */
#define IC_STEP_PARTS 8

/* Whether the curve holds the fluid tables (arrivals over-dispersed per step). */
static inline int ic_curve_fluid(const struct ic_pool_service *svc) {
    return svc->mode == IC_CURVE_MEASURED &&
           (svc->rise_q_s[IC_TTFT_QN - 1][1] > 0 || svc->fall_q_s[IC_TTFT_QN - 1][1] > 0);
}

/* The TTFT quantiles of an aggregate engine's step (b0, b1, arrivals, capacity, rate as
 * ic_fluid_wait_at; util its served over its capacity) as an equal mixture of parts, into
 * q[0..n-1], n returned (at most IC_STEP_PARTS; 0 when the curve has no distribution: closed
 * form).  With the fluid tables and a backlog at either end: a part per IC_STEP_PARTS share of
 * the step, the rising or draining table (by arrivals against capacity; the other if that one
 * is empty) at the part's fluid wait, or where that is 0 the curve at arrivals / capacity;
 * else one part: with a backlog left, the backlog table at b1 / rate (ic_curve_backlog_q),
 * else the curve at util. */
int ic_curve_step_q(const struct ic_pool_service *svc, double b0, double b1, double arrivals,
                    double capacity, double rate, double util, double q[][IC_TTFT_QN]);

/* The table of ic_pool_service.backlog_q_s from m served requests' pairs: ratio[i] (wait for
 * admission over the step's fluid wait) and rest[i] (admission to first token); the quantiles
 * of ratio[i] x W + rest[i] at each wait W of ic_backlog_wait_s().  0, or -1 out of memory
 * (q unchanged); m = 0 leaves q unchanged. */
int ic_backlog_table(const double *ratio, const double *rest, long m,
                     double q[IC_TTFT_QN][IC_WAIT_POINTS]);

/* The TTFT table of ic_pool_service.rise_q_s or fall_q_s, and its row of good shares, from m
 * served requests: wait[i], the fluid wait at its arrival (ic_fluid_wait_at, > 0), ttft[i],
 * and good[i] (1: within both objectives): the requests binned by the wait point nearest on a
 * log scale (ic_backlog_wait_s(k), k >= 1: those under 7 ms at 10 ms), each bin of
 * IC_FLUID_BIN_MIN or more its quantiles at the levels ic_ttft_q_level() and its share good;
 * between such bins linear in k, under the first the first's (and at wait 0); over the last,
 * the last's quantiles plus the difference of the waits (a longer queue ahead, beyond what was
 * measured) and its share good.  0, -1 out of memory (q and gs unchanged); no bin full enough
 * leaves q and gs all 0 (no table). */
#define IC_FLUID_BIN_MIN 100
int ic_fluid_table(const double *wait, const double *ttft, const unsigned char *good, long m,
                   double q[IC_TTFT_QN][IC_WAIT_POINTS], double gs[IC_WAIT_POINTS]);

/* Share of a fluid step's served within the objectives (ic_curve_good with the fluid tables). */
double ic_curve_good_fluid(const struct ic_pool_service *svc, double b0, double b1, double arrivals,
                           double capacity, double rate);

/* Requests of a step served within the objectives (models/queue.h, ic_queue_good); with a
 * backlog left and a measured curve, the share of the TPOT-good (good_sat) whose TTFT
 * (ic_curve_backlog_q at the step's wait) is within the TTFT objective, the two taken as
 * independent, instead of ic_queue_good's all or nothing by the one wait.  With the fluid
 * tables (over-dispersed arrivals) and a backlog at either end of the step (b0 at its start,
 * b1 at its end, `arrivals` and `capacity` as ic_queue_step's), by part of the step
 * (ic_curve_step_q): a part with a fluid wait, its table's good share there (rise_good or
 * fall_good: measured with the scenario's objectives); one without, the curve's good share at
 * arrivals / capacity. */
static inline double ic_curve_good(const struct ic_pool_service *svc, double served, double util,
                                   double b0, double b1, double arrivals, double capacity,
                                   double svc_rate, double ttft_slo_s) {
    double q[IC_TTFT_QN];
    if ((b0 > 0 || b1 > 0) && svc_rate > 0 && ic_curve_fluid(svc))
        return served * ic_curve_good_fluid(svc, b0, b1, arrivals, capacity, svc_rate);
    if (b1 > 0 && ttft_slo_s > 0 && svc_rate > 0 && ic_curve_backlog_q(svc, b1 / svc_rate, q) == 0)
        return served * svc->good_sat * ic_ttft_q_cdf(q, 1.0, 0.0, ttft_slo_s);
    return ic_queue_good(served, ic_curve_at(svc->good_share, util), svc->good_sat, b1, svc_rate,
                         ttft_slo_s);
}

/* Room for `need` requests in *r, whose capacity is *cap: doubled until it holds them, the new
 * ones zeroed.  0, or -1 out of memory (*r and *cap unchanged). */
int ic_requests_reserve(struct ic_request **r, long *cap, long need);

#endif
