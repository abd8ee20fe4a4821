/* reqresult.h: what a run of the request-level engine holds and its headline (struct ic_reqrun),
 * filled by sim/drivers/reqrun.c, written by sim/io/output.c and printed by sim/io/report.c.
 * Types only: they live in the engine layer so that I/O can read them without the drivers. */
#ifndef IC_REQRESULT_H
#define IC_REQRESULT_H

#include "sim/config/scenario.h"
#include "sim/engine/reqsim.h"

#include <stdint.h>

/* A quantile summary of one latency: mean, p50, p90, p99 and the 95% interval of each
 * quantile (order statistics), over the requests it applies to. */
struct ic_latency {
    long n;
    double mean, q[3], ci[3][2];
};

struct ic_req_headline {
    long requests, served, rejected, abandoned, unfinished, preemptions, good;
    double window_s;
    double throughput_rps;   /* served per second of the window */
    double goodput_rps;      /* served within the TTFT and TPOT objectives, per second */
    double good_fraction;    /* good / requests */
    double good_lo, good_hi; /* Wilson 95% interval of the good fraction */
    struct ic_latency ttft, tpot, e2e, queue;
    double busy_mean, kv_mean; /* over replicas and the window */
};

struct ic_reqrun {
    struct ic_request *req;
    long n;
    const int64_t *hashes; /* replay: the trace's prefix blocks (not owned) */
    struct ic_replica_model rm;
    struct ic_reqsim_config cfg;
    struct ic_reqsim_series series;
    struct ic_reqsim_stats stats;
    double window_start_unix; /* the window's start (unix seconds; replay: the scenario start) */
    int offset_s;             /* the scenario's UTC offset, for printing */
    double window_s;
    double ttft_slo_s, tpot_slo_s; /* 0: none */
    int n_classes;
    char class_names[IC_MAX_CLASSES][IC_NAME_MAX];
    char source[512];
    char accelerator[IC_KEY_MAX], model[IC_KEY_MAX];
    long accels_per_replica;
    double engine_s;
    struct ic_req_headline h;
};

#endif
