/* crosscheck.h: the same steady demand through both engines (`infercap crosscheck`).
 *
 * For each offered load (a share of the aggregate engine's capacity, replicas x the pool's
 * service rate, sim/engine/svccurve.h) the requests of a steady window are drawn from pool 0's
 * mix at the inputs' means (struct ic_req_input), with the scenario's arrival process: per
 * step of /step_s a count of mean rate x step, times a gamma draw of variance
 * /traffic/noise/arrival_dispersion when it is set, at uniform times within the step, or with
 * /traffic/noise/interarrival_cv other than 1 a gamma renewal process at the steps' rates
 * (ic_req_input_steady).
 *   request engine    every request through the replicas (sim/engine/reqsim.h)
 *   aggregate engine  the same counts per step through the fluid queue (models/queue.h) at the
 *                     pool's service curve: served, TTFT and TPOT by utilisation, goodput
 *                     (ic_queue_good), as the engine's serve step takes them
 * Both are read over the requests that arrived after the first tenth of the window (the warm
 * up); the request engine gets a quarter of the window more to finish them.  The window
 * doubles, to at most 16 times the first run's requests, until the request engine's run
 * settles: the completions per second and the goodput shares of its read window's halves
 * agree (row.settle says whether they did, and why not: a queue over capacity without
 * patience or admission control in reach grows through any run; with over-dispersed steps or
 * a trace the halves differ by design and the window is not doubled).  Served rate is
 * completions per second in the read part of the window; goodput the share of arrivals served
 * within the TTFT and TPOT objectives; TTFT p50/p99 and TPOT p50 over the requests served
 * (the aggregate engine's: the curve at each step's utilisation, plus its backlog's wait,
 * weighted by the served).  With a trace (opts->trace), its requests instead.  Deterministic
 * for a seed. */
#ifndef IC_CROSSCHECK_H
#define IC_CROSSCHECK_H

#include "sim/config/scenario.h"
#include "sim/core/error.h"
#include "sim/engine/svccurve.h"
#include "sim/io/trace.h"

#define IC_XCHECK_MAX_LOADS 32

struct ic_xcheck_opts {
    int n_loads; /* 0: 0.3, 0.5, 0.7, 0.9, 1.1, 1.3 */
    double loads[IC_XCHECK_MAX_LOADS];
    long requests; /* per load (0: 20000) */
    long replicas; /* 0: the fleet's (pool 0 at its mean size) */
    /* A trace (may be NULL): its lengths are the mix (the curve is measured on them; no prefix
     * cache, no reasoning), and its arrivals, time-scaled to each load's rate and repeated end
     * to end, are the arrival process. */
    const struct ic_trace *trace;
    void (*progress)(void *ctx, int done, int total);
    void *ctx;
};

/* One engine's figures at one load. */
struct ic_xcheck_side {
    double served_rps, good_share, ttft_p50_s, ttft_p99_s, tpot_p50_s;
};

/* Whether a load's request-engine run settled (crosscheck.c): the completions per second and
 * the goodput shares of its read window's two halves agree, its window doubling to at most 16
 * times the first run's requests. */
enum ic_xcheck_settle {
    IC_XCHECK_SETTLED,   /* both agree */
    IC_XCHECK_CAPPED,    /* they did not at 16 times: the window's figures, not a steady state's */
    IC_XCHECK_UNBOUNDED, /* over capacity with a queue whose bound (patience, admission control)
                            it does not reach in 16 times the window: it grows through the run
                            and never settles; the completions' rule alone */
    IC_XCHECK_UNCHECKED, /* over-dispersed steps or a trace: the halves differ by design, not
                            doubled */
};

struct ic_xcheck_row {
    double load, offered_rps; /* offered: the arrivals per second drawn */
    long requests;            /* read (arrived in the read window) */
    long requests_run;        /* in the request engine's last run (doubled until settled) */
    int settle;               /* enum ic_xcheck_settle */
    double queue_fill_s;      /* over capacity: the fluid queue's time to fill to its bound, min(
                                 patience, max_wait x capacity / excess); 0 at or under capacity */
    struct ic_xcheck_side agg, req;
};

struct ic_xcheck {
    int n;
    struct ic_xcheck_row row[IC_XCHECK_MAX_LOADS];
    long replicas;           /* run (disaggregated: rounded to whole units, ic_pd_replicas) */
    long replicas_requested; /* asked for */
    long prefill_units, decode_units; /* disaggregated: the request engine's units (else the
                                         replicas and 0) */
    double capacity_rps;              /* the aggregate engine's: replicas x svc.rps */
    struct ic_pool_service svc;
    struct ic_req_input in;
    double curve_s;  /* seconds measuring the curve (0: closed form or cached) */
    double engine_s; /* seconds in the request engine */
    char accelerator[IC_KEY_MAX], model[IC_KEY_MAX];
};

int ic_crosscheck(const struct ic_scenario *sc, const struct ic_xcheck_opts *opts,
                  struct ic_xcheck *x, struct ic_error *err);

#endif
