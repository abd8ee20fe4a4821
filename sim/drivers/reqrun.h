/* reqrun.h: a run of the request-level engine (sim/engine/reqsim.h) from a scenario or a trace.
 *
 * From a scenario (engine "request"): the aggregate engine runs path 0 from the scenario's
 * start to the end of the window with one output per step, and its new arrivals of each
 * request class in each step of the window become requests at uniform times within the step
 * (so the demand model, its events, diurnal profile, noise and request mix are the aggregate
 * engine's own); each request's prompt, reasoning and answer lengths are drawn from its
 * class's token distributions at the inputs' means, its patience from an exponential with the
 * mean /queue/patience_s.  The replicas are pool 0's, as many as its accelerators make; they
 * neither fail nor scale during the window.
 * From a trace (`infercap replay`): the trace's requests, one class "trace", the prefix cache
 * from Mooncake's hash_ids; the scenario gives the model, the accelerator, the fleet, the
 * serving parameters and the queue.  The run and its headline are struct ic_reqrun
 * (sim/engine/reqresult.h); ic_reqrun_print (sim/io/report.h) prints it. */
#ifndef IC_REQRUN_H
#define IC_REQRUN_H

#include "sim/config/catalog_io.h"
#include "sim/engine/reqresult.h"
#include "sim/engine/reqsim.h"
#include "sim/config/scenario.h"
#include "sim/io/trace.h"

#include <stdio.h>

/* Build the requests of a scenario's window.  The scenario must have engine "request". */
int ic_reqrun_from_scenario(const struct ic_scenario *sc, int threads, struct ic_reqrun *rr,
                            struct ic_error *err);

/* Build the requests of a trace (replay) on the scenario's fleet. */
int ic_reqrun_from_trace(const struct ic_scenario *sc, const struct ic_trace *t,
                         const char *trace_label, struct ic_reqrun *rr, struct ic_error *err);

/* The bytes running and writing rr need (an upper estimate; ic_reqsim_memory_bytes plus the
 * writer's buffers). */
double ic_reqrun_memory_bytes(const struct ic_reqrun *rr);

/* Refuse (IC_ERR_INVALID, naming what to change) a run estimated to need more than limit
 * bytes (limit <= 0: no limit).  `span` names what sets the window ("the trace's span",
 * "/request_engine/duration_s"), `shorten` how to shorten it. */
int ic_reqrun_check_memory(const struct ic_reqrun *rr, double limit, const char *span,
                           const char *shorten, struct ic_error *err);

/* Run the requests through the replicas and compute the headline. */
int ic_reqrun_run(struct ic_reqrun *rr, struct ic_error *err);

void ic_reqrun_free(struct ic_reqrun *rr);

#endif
