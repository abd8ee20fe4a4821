/* params.c: the scenario parameter table (see params.h).
 *
 * Defaults cite their source in the doc text or in the comment above the row; a default that is
 * a guess says "guess".  Units use SI seconds unless the name says otherwise. */
#include "sim/config/params.h"

#include "sim/config/scenario.h"
#include "models/fleet.h"

#include <stdio.h>
#include <string.h>

/* The scenario's own enumerations (scenario.h); the others are in models/. */
IC_ENUM_TABLE(ic_quantities,
              {"daily_active_users", IC_QTY_DAILY_ACTIVE_USERS,
               "daily active users, x requests_per_user_per_day"},
              {"weekly_web_visits", IC_QTY_WEEKLY_WEB_VISITS,
               "weekly web visits as SimilarWeb reports them, x the funnel"});
IC_ENUM_TABLE(ic_yes_nos, {"no", IC_NO, "off"}, {"yes", IC_YES, "on"});
IC_ENUM_TABLE(ic_overlaps, {"auto", IC_OVERLAP_AUTO, "with attention_dp and expert_parallel"},
              {"no", IC_OVERLAP_NO, "never"}, {"yes", IC_OVERLAP_YES, "always"});
IC_ENUM_TABLE(ic_repair_shapes, {"exponential", IC_REPAIR_EXPONENTIAL, "memoryless"},
              {"lognormal", IC_REPAIR_LOGNORMAL, "lognormal of shape repair_sigma"});
IC_ENUM_TABLE(ic_engine_kinds,
              {"aggregate", IC_ENG_AGGREGATE, "fluid load over the whole horizon, many paths"},
              {"request", IC_ENG_REQUEST, "every request of a window, one path"});
IC_ENUM_TABLE(ic_curve_modes,
              {"measured", IC_CURVE_MEASURED,
               "the request engine on the pool's mix at offered loads, cached"},
              {"closed_form", IC_CURVE_CLOSED_FORM, "the performance model's equations alone"});
IC_ENUM_TABLE(ic_pool_precisions, {"inherit", IC_POOL_PREC_INHERIT, "/serving's"},
              {"bf16", 1 + IC_PREC_BF16, "bfloat16"}, {"fp8", 1 + IC_PREC_FP8, "8-bit float"},
              {"int8", 1 + IC_PREC_INT8, "8-bit integer"}, {"fp4", 1 + IC_PREC_FP4, "4-bit float"});

const char *ic_quantity_name(int quantity) {
    return ic_enum_name(&ic_quantities, quantity);
}
const char *ic_yes_no_name(int yes) {
    return ic_enum_name(&ic_yes_nos, yes);
}
const char *ic_overlap_name(int overlap) {
    return ic_enum_name(&ic_overlaps, overlap);
}
const char *ic_repair_shape_name(int shape) {
    return ic_enum_name(&ic_repair_shapes, shape);
}
const char *ic_engine_kind_name(int engine) {
    return ic_enum_name(&ic_engine_kinds, engine);
}
const char *ic_curve_mode_name(int mode) {
    return ic_enum_name(&ic_curve_modes, mode);
}
const char *ic_pool_precision_name(int precision) {
    return ic_enum_name(&ic_pool_precisions, precision);
}

#define SC(f)    offsetof(struct ic_scenario, f)
#define EV(f)    offsetof(struct ic_event, f)
#define CL(f)    offsetof(struct ic_class, f)
#define SZ(t, f) sizeof(((t *)0)->f)
#define SW(f)    offsetof(struct ic_sweep_spec, f)

#define OBJ(p, d)                                                                                  \
    { .path = p, .type = IC_T_OBJ, .doc = d }
/* An optional block (see struct ic_param, optional). */
#define OPTOBJ(p, d)                                                                               \
    { .path = p, .type = IC_T_OBJ, .doc = d, .optional = 1 }
#define OBJARR(p, cnt, first, esz, mx, mn, d)                                                      \
    {                                                                                              \
        .path = p, .type = IC_T_OBJARR, .offset = cnt, .offset2 = first, .size = esz,              \
        .max_count = mx, .min_count = mn, .doc = d                                                 \
    }
#define NUM(p, off, df, lo, hi, u, d)                                                              \
    {                                                                                              \
        .path = p, .type = IC_T_NUM, .offset = off, .def = df, .min = lo, .max = hi, .units = u,   \
        .doc = d                                                                                   \
    }
#define INT(p, off, df, lo, hi, u, d)                                                              \
    {                                                                                              \
        .path = p, .type = IC_T_INT, .offset = off, .def = df, .min = lo, .max = hi, .units = u,   \
        .doc = d                                                                                   \
    }
#define DIST(p, off, df, lo, hi, u, d, req)                                                        \
    {                                                                                              \
        .path = p, .type = IC_T_DIST, .offset = off, .def = df, .min = lo, .max = hi, .units = u,  \
        .doc = d, .required = req                                                                  \
    }
#define IDIST(p, off, df, lo, hi, u, d, req)                                                       \
    {                                                                                              \
        .path = p, .type = IC_T_IDIST, .offset = off, .def = df, .min = lo, .max = hi, .units = u, \
        .doc = d, .required = req                                                                  \
    }
#define STR(p, off, sz, df, d, req)                                                                \
    {                                                                                              \
        .path = p, .type = IC_T_STR, .offset = off, .size = sz, .def_str = df, .doc = d,           \
        .required = req                                                                            \
    }
#define ENUM(p, off, df, ch, d)                                                                    \
    { .path = p, .type = IC_T_ENUM, .offset = off, .def = df, .choices = &(ch), .doc = d }
#define TIME(p, off, d)                                                                            \
    { .path = p, .type = IC_T_TIME, .offset = off, .doc = d, .required = 1 }
#define OTIME(p, off, d)                                                                           \
    { .path = p, .type = IC_T_TIME, .offset = off, .doc = d }
#define NUMARR(p, off, dfjson, exact, lo, hi, u, d)                                                \
    {                                                                                              \
        .path = p, .type = IC_T_NUMARR, .offset = off, .def_str = dfjson, .min_count = exact,      \
        .max_count = IC_NUMARR_MAX, .min = lo, .max = hi, .units = u, .doc = d                     \
    }
#define PT(f) offsetof(struct ic_point, f)
#define OU(f) offsetof(struct ic_outage, f)
#define PO(f) offsetof(struct ic_pool, f)
#define MX(f) offsetof(struct ic_mix_change, f)
/* The rows of one token-length distribution of a request class. */
#define TOK(p, fld, med_def, med_min, sig_def, what, med_doc, sig_doc)                             \
    OBJ(p, what " length: see models/workload.h for the shapes"),                                  \
        ENUM(p "/shape", CL(fld.shape), IC_TOK_LOGNORMAL, ic_token_shapes,                         \
             "lognormal; a lognormal body with a Pareto tail; or an empirical histogram"),         \
        DIST(p "/median", CL(fld.median), med_def, med_min, 1e7, "tokens", med_doc, 0),            \
        DIST(p "/sigma", CL(fld.sigma), sig_def, 0, 5, "", sig_doc, 0),                            \
        DIST(p "/tail_weight", CL(fld.tail_weight), 0, 0, 0.999, "",                               \
             "pareto-lognormal: share of requests in the Pareto tail", 0),                         \
        DIST(p "/tail_xmin", CL(fld.tail_xmin), 8192, 1, 1e8, "tokens",                            \
             "pareto-lognormal: where the tail starts", 0),                                        \
        DIST(p "/tail_alpha", CL(fld.tail_alpha), 1.5, 0.05, 20, "",                               \
             "pareto-lognormal: tail index (smaller: heavier)", 0),                                \
        NUMARR(p "/edges", CL(fld.edges), "[]", 0, 0, 1e8, "tokens",                               \
               "histogram: bin edges, increasing (one more than the weights)"),                    \
        NUMARR(p "/weights", CL(fld.weights), "[]", 0, 0, 1e15, "",                                \
               "histogram: weight of each bin (uniform within it)")
#define REF(p, t, off, d)                                                                          \
    { .path = p, .type = t, .offset = off, .doc = d, .required = 1 }

const struct ic_param ic_params[] = {
    STR("/name", SC(name), SZ(struct ic_scenario, name), NULL,
        "scenario name (letters, digits, '-', '_', '.'), stored in every result file", 1),
    STR("/description", SC(description), SZ(struct ic_scenario, description), "",
        "what question the scenario answers", 0),
    /* 2^53 - 1: every integer up to it is exact in JSON's doubles (a larger one would be
     * silently rounded to another seed) */
    INT("/seed", SC(seed), 1, 0, 9007199254740991.0, "",
        "random seed: same scenario and seed give the same numbers at any thread count"),
    INT("/paths", SC(paths), 1000, 1, 100000000, "paths", "Monte Carlo paths"),
    TIME("/start", SC(start),
         "simulated start time, ISO-8601 with UTC offset (the offset sets local time of day)"),
    NUM("/horizon_days", SC(horizon_days), 14, 0.001, 366, "days", "simulated duration"),
    NUM("/step_s", SC(step_s), 60, 1, 86400, "s", "time step of the aggregate engine"),

    OBJ("/output", "what the result file keeps"),
    NUM("/output/interval_s", SC(output.interval_s), 3600, 1, 31622400, "s",
        "output grid: series and bands are means over intervals of this length (a multiple of "
        "step_s)"),
    INT("/output/store_paths", SC(output.store_paths), 16, 0, 1000000, "paths",
        "how many paths (the first ones) keep full time series in /series"),
    NUMARR("/output/quantiles", SC(output.quantiles), "[0.05, 0.25, 0.5, 0.75, 0.95]", 0, 0, 1, "",
           "quantiles of the bands in /bands (each in (0, 1), increasing)"),

    OBJ("/traffic", "user demand"),
    OBJ("/traffic/growth", "growth of the demand quantity (daily active users or weekly visits)"),
    ENUM("/traffic/growth/model", SC(traffic.growth.model), IC_GROWTH_EXPONENTIAL, ic_growth_models,
         "exponential v0 e^{rt}; logistic (Verhulst 1838); Bass diffusion (Bass 1969); "
         "piecewise log-linear through points"),
    ENUM("/traffic/growth/quantity", SC(traffic.growth.quantity), IC_QTY_DAILY_ACTIVE_USERS,
         ic_quantities,
         "what the curve counts: daily active users (x requests_per_user_per_day), or weekly web "
         "visits as SimilarWeb reports them (x the funnel)"),
    OTIME("/traffic/growth/reference_time", SC(traffic.growth.reference_time),
          "time at which the curve has its initial value (default: the start)"),
    OTIME("/traffic/growth/launch_time", SC(traffic.growth.launch_time),
          "Bass: the launch, when there are no adopters yet (default: the reference time)"),
    DIST("/traffic/growth/initial", SC(traffic.growth.initial), 1e6, 1e-3, 1e11, "",
         "exponential, logistic: value at the reference time (users, or visits per week)", 0),
    DIST("/traffic/growth/rate_per_day", SC(traffic.growth.rate_per_day), 0, -2, 2, "1/day",
         "exponential, logistic: growth rate r (ln 2 / doubling time in days)", 0),
    DIST("/traffic/growth/capacity", SC(traffic.growth.capacity), 1e9, 1, 1e12, "",
         "logistic: saturation level K", 0),
    /* Guesses for a consumer app adopted over weeks; Bass (1969) found p ~ 0.03 and q ~ 0.4
     * per YEAR for consumer durables, far slower than viral software. */
    DIST("/traffic/growth/p_per_day", SC(traffic.growth.p_per_day), 0.002, 1e-7, 1, "1/day",
         "Bass: coefficient of innovation (default: guess)", 0),
    DIST("/traffic/growth/q_per_day", SC(traffic.growth.q_per_day), 0.08, 0, 10, "1/day",
         "Bass: coefficient of imitation (default: guess)", 0),
    DIST("/traffic/growth/market_size", SC(traffic.growth.market_size), 1e8, 1, 1e12, "",
         "Bass: market size m (users, or visits per week)", 0),
    OBJARR("/traffic/growth/points", SC(traffic.growth.n_points), SC(traffic.growth.points),
           sizeof(struct ic_point), IC_GROWTH_MAX_POINTS, 0,
           "piecewise: observed (time, value) points, times increasing"),
    TIME("/traffic/growth/points/*/time", PT(time), "time of the observation"),
    NUM("/traffic/growth/points/*/value", PT(value), 1, 1e-9, 1e12, "", "observed value"),
    OBJ("/traffic/growth/fit", "fitted parameters and covariance from `infercap fit`: each path "
                               "draws the parameters from this multivariate normal (replacing "
                               "initial, rate_per_day, capacity, p/q/market_size)"),
    NUMARR("/traffic/growth/fit/mean", SC(traffic.growth.fit.mean), "[]", 0, -1e6, 1e6, "",
           "fitted parameters (ln initial, rate, ln capacity / ln p, ln q, ln m)"),
    NUMARR("/traffic/growth/fit/covariance", SC(traffic.growth.fit.covariance), "[]", 0, -1e6, 1e6,
           "", "their covariance, row-major"),
    /* Guess: public figures give visits, not requests; consumer chat apps see a few to tens of
     * requests per active user per day.  Calibrate per scenario. */
    DIST("/traffic/requests_per_user_per_day", SC(traffic.requests_per_user_per_day), 10, 0, 1e5,
         "requests/user/day", "requests each daily active user sends per day (default: guess)", 0),
    OPTOBJ(
        "/traffic/tokens_per_day",
        "demand as tokens a day, as operators publish it (input > 0: replaces the growth curve's "
        "level; the diurnal profile, events and noise shape it, its mean over a day being the "
        "daily total / 86400; the classes keep the lengths and mix)"),
    NUM("/traffic/tokens_per_day/input", SC(traffic.tokens_per_day.input), 0, 0, 1e18, "tokens/day",
        "prompt tokens a day, cache hits included (0: demand from the growth curve)"),
    NUM("/traffic/tokens_per_day/cache_hit_share", SC(traffic.tokens_per_day.cache_hit_share), -1,
        -1, 1, "", "share of the prompt tokens that hit the prefix cache (-1: the classes')"),
    NUM("/traffic/tokens_per_day/output", SC(traffic.tokens_per_day.output), 0, 0, 1e18,
        "tokens/day",
        "output tokens a day, reasoning included (0: the classes' output over input ratio)"),
    OBJ("/traffic/funnel", "weekly web visits -> requests (quantity weekly_web_visits)"),
    /* Guess: SimilarWeb counts web visits only; apps and mini-programs are not in them. */
    DIST("/traffic/funnel/channel_multiplier", SC(traffic.funnel.channel_multiplier), 1, 1, 1e3,
         "x", "all visits (web, apps, mini-programs) per web visit (default: guess)", 0),
    /* Guess: a chat session (a SimilarWeb visit) holds a few prompts. */
    DIST("/traffic/funnel/requests_per_visit", SC(traffic.funnel.requests_per_visit), 5, 0.01, 1e4,
         "requests", "requests per visit (session) (default: guess)", 0),
    OBJ("/traffic/diurnal", "time-of-day and day-of-week profile, in the users' local time"),
    ENUM("/traffic/diurnal/profile", SC(traffic.diurnal.profile), IC_DIURNAL_CN_CONSUMER,
         ic_diurnal_profiles,
         "built-in hourly profile, or custom (then weights apply); see models/traffic.c"),
    NUMARR("/traffic/diurnal/weights", SC(traffic.diurnal.weights), "[]", 24, 0, 1e6, "",
           "24 hourly weights (local hours 0-23), normalised to mean 1; used by profile custom"),
    NUMARR("/traffic/diurnal/day_of_week", SC(traffic.diurnal.day_of_week), "[]", 7, 0, 1e6, "",
           "7 weights, Monday first, normalised to mean 1 (default: the profile's)"),
    STR("/traffic/diurnal/utc_offset", SC(traffic.diurnal.utc_offset),
        SZ(struct ic_scenario, traffic.diurnal.utc_offset), "",
        "the users' UTC offset, \"+HH:MM\" (default: the start's offset)", 0),
    OBJ("/traffic/noise", "log-space Ornstein-Uhlenbeck noise on demand"),
    /* Guess: 10% short-term demand fluctuation; correlation of about an hour. */
    DIST("/traffic/noise/sigma", SC(traffic.noise.sigma), 0.1, 0, 3, "",
         "stationary standard deviation of log demand (default: guess)", 0),
    DIST("/traffic/noise/corr_time_s", SC(traffic.noise.corr_time_s), 3600, 1, 1e8, "s",
         "correlation time of the noise (default: guess)", 0),
    DIST("/traffic/noise/arrival_dispersion", SC(traffic.noise.arrival_dispersion), 0, 0, 100, "",
         "over-dispersion d of arrivals: negative binomial with variance mean + d mean^2 "
         "(0: Poisson)",
         0),
    /* Within a step, arrivals form a gamma renewal process: inter-arrival times of mean 1/rate
     * and coefficient of variation cv (shape 1/cv^2).  BurstGPT (Wang et al., "BurstGPT: A
     * Real-World Workload Dataset to Optimize LLM Serving Systems", arXiv:2401.17644) fits gamma
     * inter-arrival times to Azure OpenAI ChatGPT and GPT-4 traces and finds them burstier than
     * Poisson (cv > 1).  Default 1: Poisson, as before. */
    NUM("/traffic/noise/interarrival_cv", SC(traffic.noise.interarrival_cv), 1, 0.1, 20, "",
        "burstiness within a step: coefficient of variation of the inter-arrival times, a gamma "
        "renewal process (1: Poisson; > 1: bursts; < 1: more regular). The request engine's "
        "arrivals and the service curve the aggregate engine serves by are drawn with it, and "
        "the aggregate engine's count per step has its variance, cv^2 x the mean"),
    OBJ("/traffic/retry", "failed requests that come back"),
    DIST("/traffic/retry/probability", SC(traffic.retry.probability), 0, 0, 1, "",
         "chance that a rejected or abandoned request is retried", 0),
    DIST("/traffic/retry/delay_s", SC(traffic.retry.delay_s), 30, 0.1, 1e7, "s",
         "mean delay before a retry (exponential)", 0),
    OBJ("/traffic/churn", "users who leave after failures"),
    DIST("/traffic/churn/probability", SC(traffic.churn.probability), 0, 0, 1, "",
         "chance that a user whose request fails for good leaves the user base", 0),
    OBJARR("/traffic/events", SC(traffic.n_events), SC(traffic.events), sizeof(struct ic_event),
           IC_MAX_EVENTS, 0, "launches, virality, competitor outages: multiplicative surges"),
    STR("/traffic/events/*/name", EV(name), SZ(struct ic_event, name), "", "label", 0),
    TIME("/traffic/events/*/start", EV(start), "when the surge starts"),
    DIST("/traffic/events/*/peak_multiplier", EV(peak_multiplier), 2, 0, 1e4, "x",
         "demand multiplier at the surge's peak (1: no effect; < 1: a dip)", 1),
    DIST("/traffic/events/*/rise_s", EV(rise_s), 3600, 1, 1e8, "s", "rise time constant", 0),
    DIST("/traffic/events/*/decay_s", EV(decay_s), 86400, 1, 1e9, "s", "decay time constant", 0),
    OBJARR("/traffic/events/*/mix", EV(n_mix), EV(mix), sizeof(struct ic_mix_change),
           IC_MAX_CLASSES, 0, "change of the request mix during the event"),
    STR("/traffic/events/*/mix/*/class", MX(class_name), SZ(struct ic_mix_change, class_name), NULL,
        "name of a request class", 1),
    DIST("/traffic/events/*/mix/*/share_multiplier", MX(share_multiplier), 1, 0, 1e4, "x",
         "the class's share is multiplied by this at the event's peak (then renormalised)", 0),

    OBJ("/workload", "request classes"),
    OBJARR("/workload/classes", SC(workload.n_classes), SC(workload.classes),
           sizeof(struct ic_class), IC_MAX_CLASSES, 1,
           "request classes (default: one chat class with the defaults below)"),
    STR("/workload/classes/*/name", CL(name), SZ(struct ic_class, name), "chat", "label", 0),
    DIST("/workload/classes/*/share", CL(share), 1, 0, 1e9, "",
         "relative share of requests (shares are normalised to sum to 1)", 0),
    /* Guess: multi-turn chat prompts carry the conversation history (LMSYS-Chat-1M's single
     * prompts average ~70 tokens, arXiv:2309.11998, unverified); 1,000 tokens is a guess.
     * Outputs: shared/reference/catalog.md, simulator guidance: non-reasoning chat output
     * lognormal, median ~200-300, p90 ~1K -> median 250, sigma ln(4)/1.2816 = 1.08. */
    TOK("/workload/classes/*/input_tokens", input_tokens, 1000, 1, 1.0, "prompt",
        "median prompt tokens (default: guess)", "lognormal shape (default: guess)"),
    TOK("/workload/classes/*/output_tokens", output_tokens, 250, 1, 1.08, "answer",
        "median answer tokens (catalog.md guidance: median 200-300)",
        "lognormal shape (catalog.md guidance: p90 ~1K at median 250)"),
    /* Reasoning (test-time compute): catalog.md lists DeepSeek-R1 at ~12K (R1) and ~23K
     * (R1-0528) mean tokens per AIME problem, and 5-20x the non-reasoning length on simple
     * queries; default none. */
    TOK("/workload/classes/*/reasoning_tokens", reasoning_tokens, 0, 0, 1.0, "reasoning",
        "median reasoning tokens before the answer (0: none; catalog.md: R1 ~12K on hard math)",
        "lognormal shape"),
    DIST("/workload/classes/*/prefix_cache_hit", CL(prefix_cache_hit), 0, 0, 0.999, "",
         "fraction of prompt tokens served from the prefix cache", 0),

    DIST("/workload/reasoning_multiplier", SC(workload.reasoning_multiplier), 1, 0, 1e4, "x",
         "thinking-budget multiplier: scales every class's reasoning tokens", 0),

    REF("/model", IC_T_LLM, SC(model),
        "LLM: a key of `infercap catalog models`, or {\"base\": key, field: value...} to "
        "override fields, or {\"name\": new_key, every required field...}"),
    REF("/accelerator", IC_T_ACCEL, SC(accelerator),
        "accelerator: a key of `infercap catalog accelerators`, or {\"base\": key, ...} "
        "overrides, or {\"name\": new_key, ...} an inline entry"),

    OBJ("/serving", "how each replica serves"),
    ENUM("/serving/weight_precision", SC(serving.weight_precision), IC_PREC_BF16, ic_precisions,
         "precision of weights and of matrix compute"),
    ENUM("/serving/kv_precision", SC(serving.kv_precision), IC_PREC_BF16, ic_precisions,
         "precision of the KV cache (fp8 halves its bytes)"),
    INT("/serving/tensor_parallel", SC(serving.tensor_parallel), 0, 0, 4096, "accelerators",
        "tensor-parallel degree; 0: chosen with pipeline_parallel (smallest power of two that "
        "fits, tensor parallel within a node first)"),
    INT("/serving/pipeline_parallel", SC(serving.pipeline_parallel), 0, 0, 4096, "stages",
        "pipeline stages; 0: automatic"),
    INT("/serving/expert_parallel", SC(serving.expert_parallel), 1, 1, 4096, "accelerators",
        "MoE: experts spread over this many accelerators with all-to-all dispatch (1: experts "
        "sliced by tensor parallelism)"),
    /* HGX/DGX servers and Ascend Atlas 800 nodes hold 8 accelerators. */
    INT("/serving/accelerators_per_node", SC(serving.accelerators_per_node), 8, 1, 1024,
        "accelerators", "accelerators sharing the scale-up link (8 in HGX and Atlas 800 nodes)"),
    /* Guess: one 400 Gb/s NIC per accelerator, the usual rail-optimised H100 cluster. */
    NUM("/serving/scaleout_gbps", SC(serving.scaleout_gbps), 50, 0.1, 1e4, "GB/s",
        "per-accelerator network bandwidth beyond the node (default: 400 Gb/s, a guess)"),
    /* vLLM's default gpu_memory_utilization is 0.9 (vLLM engine arguments documentation). */
    NUM("/serving/memory_utilization", SC(serving.memory_utilization), 0.9, 0.05, 1, "",
        "fraction of device memory the server may use (vLLM default 0.9)"),
    NUM("/serving/kv_reserve_fraction", SC(serving.kv_reserve_fraction), 0.3, 0, 0.95, "",
        "when sizing replicas, share of usable memory kept for KV cache (default: guess)"),
    DIST("/serving/prefill_mfu", SC(serving.prefill_mfu), 0, 0, 1, "",
         "GEMM and prefill-attention efficiency (fraction of peak), overriding the software "
         "profile's per-operator figures; 0: the vendor family's profile (models/perf.c)",
         0),
    DIST("/serving/decode_mbu", SC(serving.decode_mbu), 0, 0, 1, "",
         "memory-bandwidth efficiency of weight streaming and decode attention, overriding the "
         "software profile; 0: the vendor family's profile (models/perf.c)",
         0),
    NUM("/serving/step_overhead_ms", SC(serving.step_overhead_ms), -1, -1, 1000, "ms",
        "time per step for launches and scheduling; -1: the software profile's, which grows "
        "with the layers (models/perf.c)"),
    NUM("/serving/tpot_slo_ms", SC(serving.tpot_slo_ms), 50, 1, 1e5, "ms",
        "time-per-output-token objective, a request's mean time per token after the first "
        "(MLPerf LoadGen's and vLLM's TPOT), met by 99% of requests: the batch is the largest "
        "that meets it (default: guess, 20 tokens/s)"),
    NUM("/serving/ttft_slo_s", SC(serving.ttft_slo_s), 0, 0, 1e5, "s",
        "time-to-first-token objective at load: capacity is the throughput at which it still "
        "holds (0: none)"),
    /* vLLM's default max_num_seqs is 256 (vLLM engine arguments documentation). */
    INT("/serving/max_batch", SC(serving.max_batch), 256, 1, 1048576, "sequences",
        "largest decode batch (vLLM default max_num_seqs 256)"),
    /* Guess within the range vLLM uses for max_num_batched_tokens with chunked prefill. */
    INT("/serving/max_batched_tokens", SC(serving.max_batched_tokens), 8192, 16, 1e7, "tokens",
        "tokens per step, decode plus prefill chunk (default: guess)"),
    ENUM("/serving/disaggregated", SC(serving.disaggregated), IC_NO, ic_yes_nos,
         "separate prefill and decode pools (DistServe, Splitwise)"),
    NUM("/serving/prefill_fraction", SC(serving.prefill_fraction), 0, 0, 0.99, "",
        "disaggregated: share of accelerators that prefill; 0: balanced to the mix"),
    /* Performance model v2 (models/perf.h): the defaults are models/perf.c's
     * (ic_perf_params_defaults), each cited there; `infercap perf` sets these fields from its
     * options of the same names. */
    STR("/serving/software", SC(serving.software), SZ(struct ic_scenario, serving.software), "",
        "serving-software efficiency profile (`infercap perf --help` lists them: "
        "nvidia-trtllm-2025, nvidia-vllm-2025, nvidia-sglang-2025, amd-rocm-2025, "
        "huawei-cann-2025, generic-guess); \"\": the accelerator vendor family's (models/perf.c)",
        0),
    /* MLPerf Inference shows +44% on the same H100s from one software round to the next
     * (issue 14): the spread is real but scenario-specific, so the default is none. */
    DIST("/serving/software_efficiency", SC(serving.software_efficiency), 1, 0.05, 3, "x",
         "per-path uncertainty on the software: multiplies the profile's GEMM and memory "
         "efficiencies (each capped at 1; not an explicit prefill_mfu or decode_mbu).  The "
         "default 1 is no uncertainty; state your own spread, e.g. {\"dist\": \"uniform\", "
         "\"min\": 0.8, \"max\": 1.2}",
         0),
    INT("/serving/attention_dp", SC(serving.attention_dp), 0, 0, 65536, "accelerators",
        "MoE served at scale: attention data-parallel over this many accelerators, in "
        "attention_dp / tensor_parallel ranks of tensor_parallel (default 1) each; the replica "
        "is those accelerators, one pipeline stage, experts over expert_parallel, and is not "
        "sized automatically (0: no attention data parallelism)"),
    INT("/serving/mtp", SC(serving.mtp), 0, 0, 16, "tokens",
        "draft tokens per decode step (multi-token prediction / speculative decoding; 0: none)"),
    NUM("/serving/mtp_accept", SC(serving.mtp_accept), 0, 0, 1, "",
        "acceptance rate of each draft token (0: the model's, models/perf.c: 0.85 for MLA "
        "models after the DeepSeek-V3 report, arXiv:2412.19437; 0.7 otherwise, a guess)"),
    /* DeepSeek's EPLB (github.com/deepseek-ai/EPLB) runs in production MoE serving. */
    ENUM("/serving/eplb", SC(serving.eplb), IC_YES, ic_yes_nos,
         "an expert-parallel load balancer runs (DeepSeek EPLB); no: expert imbalance as "
         "measured without one"),
    NUM("/serving/expert_imbalance", SC(serving.expert_imbalance), 0, 0, 100, "x",
        "MoE: hottest accelerator's expert load over the mean, forced (0: the model's, from "
        "eplb and expert_parallel, models/perf.c)"),
    ENUM("/serving/overlap", SC(serving.overlap), IC_OVERLAP_AUTO, ic_overlaps,
         "two-micro-batch overlap of all-to-all and compute (auto: with attention_dp and "
         "expert_parallel, as SGLang and DeepSeek serve)"),
    INT("/serving/node_limit", SC(serving.node_limit), 0, 0, 4096, "nodes",
        "MoE: most nodes a token's experts span (DeepSeek-V3: 4; 0: no limit)"),
    ENUM("/serving/admission", SC(serving.admission), IC_ADMIT_PROFILE, ic_admissions,
         "how the KV cache admits sequences: the software profile's way, reserving prompt + "
         "output per sequence (TensorRT-LLM), or allocating on demand (vLLM)"),
    NUM("/serving/kv_fraction", SC(serving.kv_fraction), 1, 0.01, 1, "",
        "share of the memory left after weights and the runtime reserve given to the KV cache "
        "(default 1, models/perf.c)"),
    ENUM("/serving/attention_precision", SC(serving.attention_precision), IC_PREC_BF16,
         ic_attention_precisions,
         "precision of the attention kernels (fp8 where the accelerator has it)"),
    ENUM("/serving/max_throughput", SC(serving.max_throughput), IC_NO, ic_yes_nos,
         "no latency objective: the batch is set by memory and the scheduler caps (benchmarks' "
         "offline mode)"),
    INT("/serving/prefill_unit", SC(serving.prefill_unit), 0, 0, 65536, "accelerators",
        "disaggregated: accelerators per prefill unit (0: the replica); a replica is one prefill "
        "and one decode unit"),
    INT("/serving/decode_unit", SC(serving.decode_unit), 0, 0, 65536, "accelerators",
        "disaggregated: accelerators per decode unit (0: the replica)"),
    /* SGLang's scheduler (v0.4; python/sglang/global_config.py, srt/managers/schedule_policy.py,
     * schedule_batch.py ScheduleBatch.retract_decode, scheduler.py update_running_batch), which
     * the request engine follows on attention data-parallel ranks (sim/engine/reqsim.h); the
     * defaults are its own at schedule_conservativeness 1. */
    NUM("/serving/new_token_ratio_init", SC(serving.new_token_ratio_init), 0.7, 0, 1, "",
        "attention ranks: a rank admits a prompt while its KV holds the running sequences' KV, "
        "this share of their remaining output tokens, and the prompt with its own output; the "
        "share it starts at, and returns to when the replica idles (SGLang "
        "SGLANG_INIT_NEW_TOKEN_RATIO 0.7)"),
    NUM("/serving/new_token_ratio_min", SC(serving.new_token_ratio_min), 0.098, 0, 1, "",
        "attention ranks: the share the ratio falls to, by an equal step each decode step "
        "(SGLang: 0.14 x the initial 0.7)"),
    NUM("/serving/new_token_ratio_decay_steps", SC(serving.new_token_ratio_decay_steps), 600, 1,
        1e9, "steps",
        "attention ranks: decode steps from the initial ratio to the minimum (SGLang "
        "SGLANG_NEW_TOKEN_RATIO_DECAY_STEPS 600)"),
    NUM("/serving/retract_decode_steps", SC(serving.retract_decode_steps), 20, 0, 1e6, "steps",
        "attention ranks: a rank out of KV retracts (preempts, to recompute) its sequences with "
        "the fewest tokens generated until its free KV holds this many decode steps of the rest, "
        "and sets its ratio to their generated plus these steps' tokens over their total "
        "(SGLang retract_decode_steps 20)"),
    NUM("/serving/clip_max_new_tokens", SC(serving.clip_max_new_tokens), 4096, 1, 1e9, "tokens",
        "attention ranks: a sequence's remaining output counted in the reservation at most this "
        "(SGLang CLIP_MAX_NEW_TOKENS_ESTIMATION 4096)"),

    OBJ("/fleet", "accelerators, failures, cost"),
    IDIST("/fleet/accelerators", SC(fleet.accelerators), 0, 0, 1e8, "accelerators",
          "accelerators serving the model (with /fleet/roles: not given, the roles' units)", 1),
    OBJARR("/fleet/outages", SC(fleet.n_outages), SC(fleet.outages), sizeof(struct ic_outage),
           IC_MAX_EVENTS, 0, "windows in which a share of the replicas is out of service"),
    STR("/fleet/outages/*/name", OU(name), SZ(struct ic_outage, name), "", "label", 0),
    TIME("/fleet/outages/*/start", OU(start), "when the capacity is lost"),
    DIST("/fleet/outages/*/duration_s", OU(duration_s), 3600, 1, 1e8, "s",
         "how long until it is back", 0),
    DIST("/fleet/outages/*/fraction", OU(fraction), 1, 0, 1, "",
         "share of the replicas out of service", 0),
    /* Llama 3 (arXiv:2407.21783, Table 5): 419 unexpected interruptions in 54 days on 16,384
     * H100 GPUs -> 419 / (16384 x 54 x 24 h) = 1.97e-5 per accelerator-hour. */
    NUM("/fleet/failure_rate_per_hour", SC(fleet.failure_rate_per_hour), 1.97e-5, 0, 1,
        "1/(accelerator h)", "failure rate per accelerator (Llama 3 paper, 16,384 H100s)"),
    DIST("/fleet/repair_hours", SC(fleet.repair_hours), 3, 0.001, 1e5, "h",
         "mean time to bring a failed accelerator or node back (default: guess)", 0),
    ENUM("/fleet/repair_shape", SC(fleet.repair_shape), IC_REPAIR_EXPONENTIAL, ic_repair_shapes,
         "distribution of repair times around their mean"),
    NUM("/fleet/repair_sigma", SC(fleet.repair_sigma), 1.0, 0.01, 5, "",
        "lognormal repair times: shape (default: guess)"),
    NUM("/fleet/node_failure_rate_per_hour", SC(fleet.node_failure_rate_per_hour), 0, 0, 1,
        "1/(node h)", "failures that take a whole node (accelerators_per_node) down (0: none)"),
    NUM("/fleet/accelerator_hour_usd", SC(fleet.accelerator_hour_usd), -1, -1, 1e5, "USD/h",
        "cost per accelerator-hour; -1: price / amortisation + energy at TDP x PUE"),
    /* Guess: servers are commonly depreciated over 4-6 years. */
    NUM("/fleet/amortization_years", SC(fleet.amortization_years), 4, 0.1, 30, "years",
        "amortisation period of the purchase price (default: guess)"),
    /* Uptime Institute Global Data Center Survey 2023: average PUE 1.58. */
    NUM("/fleet/pue", SC(fleet.pue), 1.58, 1, 4, "",
        "power usage effectiveness (Uptime Institute 2023 survey average)"),
    NUM("/fleet/electricity_usd_per_kwh", SC(fleet.electricity_usd_per_kwh), 0.08, 0, 10, "USD/kWh",
        "electricity price (default: guess)"),
    /* Guess: an idle accelerator in a serving node still draws a fair share of its board
     * power (memory, fans, host); power = TDP x (idle + (1 - idle) x utilisation). */
    NUM("/fleet/idle_power_fraction", SC(fleet.idle_power_fraction), 0.3, 0, 1, "",
        "share of TDP drawn at zero utilisation (default: guess)"),
    ENUM("/fleet/routing", SC(fleet.routing), IC_FLEET_LEAST_LOADED, ic_fleet_routings,
         "heterogeneous fleets: one queue over every pool, or fixed shares of the arrivals"),
    DIST("/fleet/routing_share", SC(fleet.routing_share), 1, 0, 1e6, "",
         "routing share: the weight of pool 0 (/accelerator)", 0),
    OBJARR("/fleet/pools", SC(fleet.n_pools), SC(fleet.pools), sizeof(struct ic_pool),
           IC_MAX_POOLS - 1, 0,
           "more pools of other accelerators serving the same model (pool 0 is /accelerator)"),
    STR("/fleet/pools/*/name", PO(name), SZ(struct ic_pool, name), "", "label", 0),
    REF("/fleet/pools/*/accelerator", IC_T_ACCEL, PO(accelerator),
        "accelerator of the pool (as /accelerator)"),
    IDIST("/fleet/pools/*/accelerators", PO(accelerators), 0, 0, 1e8, "accelerators",
          "accelerators in the pool", 1),
    DIST("/fleet/pools/*/routing_share", PO(routing_share), 1, 0, 1e6, "",
         "routing share: the pool's weight", 0),
    ENUM("/fleet/pools/*/weight_precision", PO(weight_precision), IC_POOL_PREC_INHERIT,
         ic_pool_precisions, "weights and compute (inherit: /serving's)"),
    ENUM("/fleet/pools/*/kv_precision", PO(kv_precision), IC_POOL_PREC_INHERIT, ic_pool_precisions,
         "KV cache (inherit: /serving's)"),
    DIST("/fleet/pools/*/prefill_mfu", PO(prefill_mfu), 0, 0, 1, "",
         "as /serving/prefill_mfu (0: vendor default)", 0),
    DIST("/fleet/pools/*/decode_mbu", PO(decode_mbu), 0, 0, 1, "",
         "as /serving/decode_mbu (0: vendor default)", 0),
    OPTOBJ(
        "/fleet/roles",
        "a prefill/decode fleet (with /serving/disaggregated yes): units of each role, unit sizes "
        "/serving/prefill_unit and /serving/decode_unit; replaces /fleet/accelerators"),
    OBJ("/fleet/roles/prefill", "the prefill units"),
    IDIST("/fleet/roles/prefill/units", SC(fleet.roles.prefill.units), 0, 0, 1e6, "units",
          "prefill units in the fleet", 0),
    NUM("/fleet/roles/prefill/measured_tokens_per_s", SC(fleet.roles.prefill.measured_tokens_per_s),
        0, 0, 1e12, "tokens/s",
        "a prefill unit's measured uncached prompt tokens/s at saturation (your benchmark, or "
        "infercap calibrate's model); 0: the performance model"),
    STR("/fleet/roles/prefill/accelerator", SC(fleet.roles.prefill.accelerator),
        SZ(struct ic_role_spec, accelerator), "",
        "catalog key of the prefill units' accelerator (\"\": /accelerator)", 0),
    OBJ("/fleet/roles/decode", "the decode units"),
    IDIST("/fleet/roles/decode/units", SC(fleet.roles.decode.units), 0, 0, 1e6, "units",
          "decode units in the fleet", 0),
    NUM("/fleet/roles/decode/measured_tokens_per_s", SC(fleet.roles.decode.measured_tokens_per_s),
        0, 0, 1e12, "tokens/s",
        "a decode unit's measured output tokens/s (reasoning + answer) at the TPOT objective; 0: "
        "the performance model"),
    STR("/fleet/roles/decode/accelerator", SC(fleet.roles.decode.accelerator),
        SZ(struct ic_role_spec, accelerator), "",
        "catalog key of the decode units' accelerator (\"\": /accelerator)", 0),
    OBJ("/fleet/autoscale", "orders and releases capacity of pool 0 as the load moves"),
    ENUM("/fleet/autoscale/enabled", SC(fleet.autoscale.enabled), IC_NO, ic_yes_nos, "autoscaling"),
    NUM("/fleet/autoscale/target_utilization", SC(fleet.autoscale.target_utilization), 0.7, 0.01,
        10, "", "order capacity when the window's mean offered load exceeds this"),
    NUM("/fleet/autoscale/scale_in_utilization", SC(fleet.autoscale.scale_in_utilization), 0, 0, 10,
        "", "release capacity when the window's mean offered load is below this (0: never)"),
    NUM("/fleet/autoscale/evaluation_s", SC(fleet.autoscale.evaluation_s), 300, 1, 1e8, "s",
        "evaluation window"),
    INT("/fleet/autoscale/step_accelerators", SC(fleet.autoscale.step_accelerators), 64, 1, 1e8,
        "accelerators", "size of one action"),
    INT("/fleet/autoscale/floor", SC(fleet.autoscale.floor), 0, 0, 1e8, "accelerators",
        "never fewer"),
    INT("/fleet/autoscale/cap", SC(fleet.autoscale.cap), 0, 0, 1e8, "accelerators",
        "never more, counting capacity on order (0: no cap)"),
    /* Guesses: a cloud burst takes minutes to hours; a purchase takes weeks. */
    NUM("/fleet/autoscale/lead_time_s", SC(fleet.autoscale.lead_time_s), 3600, 0, 1e9, "s",
        "median time from an order to capacity in service (cloud burst: minutes to hours; "
        "procurement: weeks)"),
    NUM("/fleet/autoscale/lead_time_sigma", SC(fleet.autoscale.lead_time_sigma), 0.5, 0, 5, "",
        "lognormal spread of the lead time of each action (0: always the median)"),
    NUM("/fleet/autoscale/cooldown_s", SC(fleet.autoscale.cooldown_s), 900, 0, 1e9, "s",
        "minimum time between actions"),
    INT("/fleet/autoscale/max_actions", SC(fleet.autoscale.max_actions), 20, 0, 64, "actions",
        "most actions a path may take"),

    OBJ("/economics", "token revenue"),
    NUM("/economics/price_input_per_mtok", SC(economics.price_input_per_mtok), 0, 0, 1e4,
        "USD/Mtoken", "price of uncached prompt tokens (0: no revenue counted)"),
    NUM("/economics/price_cached_input_per_mtok", SC(economics.price_cached_input_per_mtok), 0, 0,
        1e4, "USD/Mtoken", "price of prompt tokens served from the prefix cache"),
    /* OpenAI's reasoning guide: reasoning tokens are billed as output tokens (catalog.md). */
    NUM("/economics/price_output_per_mtok", SC(economics.price_output_per_mtok), 0, 0, 1e4,
        "USD/Mtoken", "price of output tokens; reasoning tokens are billed as output"),

    OBJ("/queue", "admission, patience, outage definition"),
    /* Guess.  Kimi answered overload with "429 engine is overloaded" early rejections. */
    NUM("/queue/max_wait_s", SC(queue.max_wait_s), 30, 0, 1e7, "s",
        "admission control rejects a request whose expected wait exceeds this (default: guess)"),
    DIST("/queue/patience_s", SC(queue.patience_s), 60, 0.1, 1e7, "s",
         "mean patience of a waiting user (exponential; default: guess)", 0),
    NUM("/queue/degraded_failed_fraction", SC(queue.degraded_failed_fraction), 0.05, 0, 1, "",
        "a step is degraded when more than this share of its arrivals fail (default: guess)"),
    ENUM("/queue/degraded_counts_slo_misses", SC(queue.degraded_slo), IC_NO, ic_yes_nos,
         "yes: requests served outside the TTFT and TPOT objectives (the goodput series' "
         "complement) count as failed in the degraded test; no: only rejected and abandoned"),
    NUM("/queue/outage_min_s", SC(queue.outage_min_s), 600, 0, 1e8, "s",
        "an outage is a run of degraded steps at least this long (default: guess)"),

    ENUM("/engine", SC(engine), IC_ENG_AGGREGATE, ic_engine_kinds,
         "aggregate: minutes of fluid load over the whole horizon, many paths; request: every "
         "request of a window (/request_engine) through continuous batching, one path"),
    OBJ("/request_engine", "the request-level engine's window and routing (engine: request)"),
    OTIME("/request_engine/window_start", SC(request_engine.window_start),
          "start of the window (default: the scenario's start); the demand before it is run "
          "by the aggregate engine to reach the window's state"),
    NUM("/request_engine/duration_s", SC(request_engine.duration_s), 3600, 1, 31 * 86400.0, "s",
        "length of the window"),
    ENUM("/request_engine/routing", SC(request_engine.routing), IC_ROUTE_LEAST_OUTSTANDING,
         ic_routings,
         "how arriving requests pick a replica (least-outstanding: the one with fewest "
         "requests waiting or running)"),
    NUM("/request_engine/interval_s", SC(request_engine.interval_s), 60, 0.001, 86400, "s",
        "output grid of the replicas' time series"),
    INT("/request_engine/max_requests", SC(request_engine.max_requests), 50000000, 1, 1e9,
        "requests", "refuse a window with more requests than this (memory: ~100 bytes each)"),
    NUM("/request_engine/drain_s", SC(request_engine.drain_s), 600, 0, 86400, "s",
        "after the window, time given to requests still running to finish (replay too)"),

    OBJ("/service_curve",
        "where the aggregate engine's service rate, TTFT and goodput by load come from"),
    ENUM("/service_curve/mode", SC(service_curve.mode), IC_CURVE_MEASURED, ic_curve_modes,
         "measured: each pool's curve from the request engine on the scenario's mix (served "
         "rate, TTFT, TPOT and goodput by load); closed_form: the performance model's "
         "equations (the rate under the objectives, a Little's-law TTFT)"),
    /* Guesses sized for speed: 8 replicas, the smallest group (a fleet of more is measured on
     * 16, 32 or 64: ic_curve_group, as the least-outstanding router pools the queue better over
     * more replicas; README, "Two engines"), 10000 requests per load point
     * give the median TTFT to a few percent (the goodput near saturation, where it falls
     * steeply, to about ten points: README, "Two engines"). */
    INT("/service_curve/replicas", SC(service_curve.replicas), 8, 1, 1024, "replicas",
        "measured: the smallest group the curve is measured on: a pool of more replicas is "
        "measured on this many times the power of two nearest its replicas, to 64 (a replica "
        "of more attention ranks than this: alone)"),
    INT("/service_curve/requests", SC(service_curve.requests), 10000, 100, 1e7, "requests",
        "measured: requests per offered load (a run doubles until it settles, to 32 times "
        "this a load and 100 times in all)"),

    OBJARR("/sweep", SC(sweep.n_axes), SC(sweep.axes), sizeof(struct ic_sweep_spec),
           IC_SWEEP_MAX_AXES, 0,
           "axes of a parameter sweep: every point of their Cartesian product is run with the "
           "same random paths, and each axis becomes a leading dimension of the result"),
    STR("/sweep/*/pointer", SW(pointer), SZ(struct ic_sweep_spec, pointer), NULL,
        "the JSON Pointer of the field swept, e.g. /fleet/accelerators", 1),
    STR("/sweep/*/name", SW(name), SZ(struct ic_sweep_spec, name), "",
        "the dimension's name in the result file (default: from the pointer)", 0),
    {.path = "/sweep/*/values",
     .type = IC_T_JSONARR,
     .offset = SW(values),
     .size = SZ(struct ic_sweep_spec, values),
     .min_count = 1,
     .max_count = 100000,
     .doc = "the values, any JSON (numbers, strings, objects); or give linear or geom"},
    NUMARR("/sweep/*/linear", SW(linear), "[]", 3, -1e300, 1e300, "",
           "[lo, hi, n]: n values evenly spaced from lo to hi"),
    NUMARR("/sweep/*/geom", SW(geom), "[]", 3, -1e300, 1e300, "",
           "[lo, hi, n]: n values geometrically spaced from lo to hi (both > 0)"),
};
const size_t ic_param_count = sizeof ic_params / sizeof ic_params[0];

const struct ic_param *ic_param_find(const char *pattern) {
    for (size_t i = 0; i < ic_param_count; i++)
        if (strcmp(ic_params[i].path, pattern) == 0) return &ic_params[i];
    return NULL;
}

const char *ic_param_type_name(const struct ic_param *p) {
    switch (p->type) {
    case IC_T_OBJ:
        return "object";
    case IC_T_OBJARR:
        return "array of objects";
    case IC_T_NUM:
        return "number";
    case IC_T_INT:
        return "integer";
    case IC_T_DIST:
        return "number or distribution";
    case IC_T_IDIST:
        return "integer or distribution";
    case IC_T_STR:
        return "string";
    case IC_T_ENUM:
        return "string (choice)";
    case IC_T_TIME:
        return "ISO-8601 time";
    case IC_T_NUMARR:
        return "array of numbers";
    case IC_T_ACCEL:
        return "accelerator";
    case IC_T_LLM:
        return "model";
    case IC_T_JSONARR:
        return "array of JSON values";
    default:
        return "?";
    }
}

int ic_param_choice_value(const struct ic_param *p, const char *s) {
    return p->choices ? ic_enum_value(p->choices, s) : -1;
}

const char *ic_param_choice_name(const struct ic_param *p, int value) {
    return p->choices ? ic_enum_name(p->choices, value) : NULL;
}

void ic_param_choices_text(const struct ic_param *p, const char *sep, char *buf, size_t size) {
    if (size) buf[0] = '\0';
    if (p->choices) ic_enum_join(p->choices, sep, buf, size);
}
