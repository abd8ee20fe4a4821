/* reqsim.h: the request-level (discrete-event) engine.
 *
 * Requests arrive, are routed to replicas and are served with iteration-level continuous
 * batching as vLLM and SGLang do (Yu et al., "Orca", OSDI 2022; Kwon et al., "vLLM: Efficient
 * Memory Management for LLM Serving with PagedAttention", SOSP 2023; Agrawal et al.,
 * "Sarathi-Serve", OSDI 2024): every iteration decodes one token of each running sequence (the
 * accepted tokens per step with multi-token prediction) and
 * pushes prompt chunks through prefill up to a token budget (chunked prefill, first come first
 * served); a request is admitted when the running sequences are fewer than the cap and the KV
 * cache holds its prompt; when the cache runs out a running sequence is preempted (the most
 * recently admitted, as vLLM does) and later recomputed from its prompt and what it had
 * generated; prompt blocks already in a replica's prefix cache skip prefill.  Admission control
 * rejects a request whose expected wait would exceed the limit, and waiting requests abandon
 * when their patience runs out, as in the aggregate engine (models/queue.h).
 *
 * The time of an iteration is the performance model's step (models/perf.h, ic_perf_step) for
 * its batch, its decode context and its prefill tokens.  Between two events (an arrival, a
 * prefill or a reasoning phase or a request finishing, the cache filling) the composition of
 * the iterations is fixed and the step time is max(affine, affine) in the iteration index (the
 * context grows by one token per sequence per iteration), so the engine jumps over a whole run
 * of iterations at once in closed form: the work per request is O(log n) whatever its length,
 * and the work per iteration does not grow with the batch.
 *
 * Multi-token prediction, attention data parallelism and prefill/decode disaggregation: see
 * struct ic_replica_model.
 *
 * Times are seconds from the start of the window; every draw is a function of the seed. */
#ifndef IC_REQSIM_H
#define IC_REQSIM_H

#include "sim/core/error.h"
#include "models/catalog.h"
#include "models/fleet.h"
#include "models/perf.h"

#include <stdint.h>

/* enum ic_routing and ic_routing_name: models/fleet.h */
enum ic_req_status { IC_REQ_SERVED, IC_REQ_REJECTED, IC_REQ_ABANDONED, IC_REQ_UNFINISHED };

/* One request: what arrives (filled by the caller) and what happened (filled by the engine). */
struct ic_request {
    /* in */
    double arrival_s;
    double patience_s; /* waits at most this long for admission (INFINITY: forever) */
    int32_t input, output, reasoning; /* prompt tokens; answer tokens; reasoning tokens first */
    int32_t cached;                   /* prompt tokens served from the prefix cache (fixed) */
    int32_t cls;                      /* request class */
    long hash_start, hash_end;        /* prefix blocks in the caller's hash array (replay) */
    /* out */
    double admit_s;       /* admitted to a replica (queue delay = admit - arrival) */
    double first_token_s; /* the first answer token (TTFT = this - arrival) */
    double finish_s;      /* the last token */
    int32_t replica;
    int32_t preemptions;
    int32_t status;           /* enum ic_req_status */
    int32_t cache_hit_tokens; /* prefix-cache tokens skipped (fixed cached, or from hashes) */
};

/* A disaggregated replica's decode unit (its own parallel layout, caps and cache; the fields
 * as in struct ic_replica_model). */
struct ic_unit_model {
    struct ic_perf_params pp;
    double kv_tokens; /* a rank's */
    long max_batch;   /* a rank's */
    long max_tokens;  /* a rank's */
    double ranks;
};

/* A replica's serving parameters (every replica alike). */
struct ic_replica_model {
    const struct ic_llm *m;
    const struct ic_accelerator *a;
    struct ic_perf_params pp;
    double kv_tokens;    /* KV cache capacity, tokens */
    long max_batch;      /* running sequences */
    long max_tokens;     /* tokens per iteration (decode + prefill chunk) */
    double capacity_rps; /* the replica's requests/s (admission control's service rate) */
    /* Multi-token prediction: answer tokens each decoding sequence gains per iteration, the
     * mean accepted (1 + the accepted drafts, models/perf.c mtp_tokens); 0 or 1: one.  The
     * iteration's cost with pp.mtp draft tokens per sequence is the step's (ic_perf_step), and
     * a sequence takes 1 + pp.mtp tokens of the budget.  Deterministic: a sequence needing n
     * tokens decodes for ceil(n / tokens_per_step) iterations (the expected acceptance). */
    double tokens_per_step;
    /* Attention data parallelism (DeepSeek-style: each attention rank holds its own sequences
     * and KV cache, experts spread over the replica): ranks > 1 makes kv_tokens, max_batch and
     * max_tokens each rank's, as models/perf.c takes the scheduler's caps per attention rank.
     * Each admitted request is placed on one rank (round(ranks) of them), the one with the
     * fewest KV tokens in use among those with room for its prompt, the next iteration's
     * decode tokens and a sequence under the rank's cap (sim/engine/reqsim.c, pick_rank:
     * DeepSeek's decode load balancer balances KV use across its ranks; a guess at its
     * effect), and its KV and sequence are counted there until it finishes, is preempted or
     * moves to a decode unit; a prompt no rank has room for waits.  The step is the
     * performance model's for the whole replica (the MoE all-to-alls synchronise every rank
     * each step) with its rank-local operators (attention, dense GEMMs, LM head, the
     * all-to-all's send) at the busiest rank's load, the one with the most decode context
     * (attention's memory and FLOPs follow it), and the routed experts at the replica's
     * tokens (models/perf.h, struct ic_rank_load).  Prompts: a prompt is pushed through on its
     * rank, at most min(ranks, prompts in prefill) chunks of up to a rank's budget at once (the
     * prefill queue is the replica's, served over the ranks as lanes), and the busiest rank is
     * taken to carry the largest chunk (a guess: the prefill's lanes are not tied to ranks).
     * KV on ranks that decode (a replica, a decode unit; a prefill unit's sequences do not
     * grow) follows SGLang's scheduler (v0.4, the engine DeepSeek's ranks are served with in
     * the open: srt/managers/schedule_policy.py PrefillAdder, schedule_batch.py
     * ScheduleBatch.retract_decode, scheduler.py update_running_batch; its constants
     * python/sglang/global_config.py), each rank its own scheduler: a rank takes a prompt while
     * its running sequences' KV, the step's decode tokens, new_token_ratio x their remaining
     * output tokens (each at most clip_tokens, 4,096), the prompt and its own remaining output
     * (clipped, in full, as are those of the prompts admitted in the same round) stay under its
     * KV (an empty rank takes any prompt it holds), placed by least KV in use among the ranks
     * that take it; its ratio starts at 0.7, falls by (0.7 - 0.098) / 600 each step it decodes
     * to 0.098, and starts over when the replica idles; a rank whose next decode tokens do not
     * fit retracts its decoding sequences with the fewest tokens generated (then the longest
     * prompt, the last admitted) to the back of the queue, to recompute, at least one and never
     * the last, until its free KV holds 20 tokens for each of the rest, and sets its ratio to
     * (their generated + 20 each) / their total tokens, which its next step does not decay
     * (models/perf.h, struct ic_perf_params: ratio_init ... clip_tokens; /serving/
     * new_token_ratio_init ... clip_max_new_tokens).  The remaining output is the request's
     * own (SGLang knows only its max_new_tokens, usually larger: a request's length is the
     * engine's to know, and the ratio's to discount).  Plain replicas keep vLLM's v0 rule
     * (above).  Not modelled: the prompt budget left by each rank's own decode tokens (the
     * mean rank's).  0 or 1: one rank, the replica as one batch, exactly as before ranks
     * were placed.  May be fractional (a role's share of a replica): the pool's caps are ranks
     * x a rank's, the placement over the nearest whole number of ranks. */
    double ranks;
    /* Prefill/decode disaggregation (DistServe, Splitwise; models/perf.c): disaggregated 1
     * makes the fields above a prefill unit's, which only prefills (steps of prompt chunks up to
     * its token budget, no decoding), and `decode` the decode unit's, which only decodes.  A
     * replica is prefill_units of the one and decode_units of the other (one each for
     * /serving/prefill_unit and decode_unit; else the replica's own layout in each role, in the
     * closed form's balanced split f and 1 - f); a run of R replicas has round(R x
     * prefill_units) prefill units (at least one) and round(R x decode_units) decode units, the
     * prefill units first, then the decode units (the series' replicas).  Arrivals are routed
     * over the prefill units; a prompt done there moves its KV cache (its whole context) to the
     * decode unit with the fewest requests, in kv_transfer_s_per_token x its tokens, and the
     * decode unit's first iteration with it makes the first token (TTFT = queue + prefill +
     * transfer + a decode step, as the closed form's).  A request preempted on a decode unit
     * recomputes there. */
    int disaggregated;
    double prefill_units, decode_units; /* per replica */
    double kv_transfer_s_per_token;
    struct ic_unit_model decode;
};

/* Prefill and decode units of a run of `replicas` replicas (disaggregated; else the replicas
 * and 0).  Returns all units. */
long ic_reqsim_units(const struct ic_replica_model *rm, long replicas, long *prefill, long *decode);

struct ic_reqsim_config {
    long replicas;
    int routing;           /* enum ic_routing */
    double max_wait_s;     /* admission control: reject when the expected wait exceeds it */
    double horizon_s;      /* the window; requests still running at its end are UNFINISHED */
    double interval_s;     /* output grid of the replicas' time series */
    uint64_t seed;         /* power-of-two choices */
    const int64_t *hashes; /* prefix block ids (replay), or NULL: requests' own `cached` */
    int block_tokens;      /* tokens per prefix block (hashes) */
};

/* Per replica, per output interval: busy fraction, mean KV-cache occupancy (share of the
 * cache), mean running and waiting sequences. */
struct ic_reqsim_series {
    long replicas, nout;
    float *busy, *kv, *running, *waiting; /* [replica][time] */
};

struct ic_reqsim_stats {
    double iterations;                    /* batch iterations simulated */
    double segments;                      /* runs of identical iterations the engine jumped over */
    double decode_tokens, prefill_tokens; /* summed over iterations */
    double busy_s;                        /* replica-seconds with a batch running */
    long preemptions;
};

/* The engine's own memory per request of a run (its state beside the caller's struct
 * ic_request), for memory estimates. */
size_t ic_reqsim_state_bytes(void);

/* Run the requests (sorted by arrival) through the replicas.  series is allocated here
 * (ic_reqsim_series_free). */
int ic_reqsim_run(const struct ic_reqsim_config *cfg, const struct ic_replica_model *rm,
                  struct ic_request *req, long n, struct ic_reqsim_series *series,
                  struct ic_reqsim_stats *stats, struct ic_error *err);
void ic_reqsim_series_free(struct ic_reqsim_series *s);

/* The bytes ic_reqsim_run needs for n requests (n_hashes prefix blocks) under cfg, an upper
 * estimate: its per-replica accumulators and series (replicas x horizon / interval), the
 * per-request state and the replicas' queues when every request waits at once, the prefix
 * caches.  *nout: the output intervals (may be NULL). */
double ic_reqsim_memory_bytes(const struct ic_reqsim_config *cfg, long n, long n_hashes,
                              double *nout);

#endif
