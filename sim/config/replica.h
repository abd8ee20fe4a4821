/* replica.h: a scenario's settings as the performance model's inputs (models/perf.h).
 *
 * The one mapping from the scenario's /serving fields (their defaults are the parameter
 * table's) to struct ic_perf_params, the request mix from /workload, and the two rules that
 * size a replica automatically.  The plan (sim/engine/engine.c) and `infercap perf`
 * (sim/cli/cli_perf.c) both take a replica from here, so a scenario run by `infercap run`
 * serves as `infercap perf` says.  Includes only models/ and sim/core/ besides the scenario. */
#ifndef IC_REPLICA_H
#define IC_REPLICA_H

#include "sim/config/scenario.h"

/* The parameters of a replica of sc->model on `accel` with these weight and KV precisions,
 * tp x pp accelerators (the fit's; /serving/attention_dp sets its own), and a path's
 * /serving/prefill_mfu, decode_mbu and software_efficiency (their means for the plan). */
void ic_replica_params(const struct ic_scenario *sc, const struct ic_accelerator *accel,
                       int weight_precision, int kv_precision, long tp, long pp, double prefill_mfu,
                       double decode_mbu, double sw_eff, struct ic_perf_params *pp_out);

/* A distribution's value where the caller has one (a path's draw); NULL: the mean. */
typedef double (*ic_dist_value_fn)(const void *ctx, const struct ic_dist *d);

/* A token-length distribution as models/workload.h takes it. */
void ic_replica_tokdist(const struct ic_token_dist *t, ic_dist_value_fn value, const void *ctx,
                        struct ic_tokdist *out);

/* The request mix of /workload (shares normalised, token moments up to context_cap tokens;
 * with demand given as /traffic/tokens_per_day, its cache-hit share and its output over input
 * ratio). */
void ic_replica_mix(const struct ic_scenario *sc, double context_cap, ic_dist_value_fn value,
                    const void *ctx, struct ic_mix *mix);

/* Automatic sizing, the plan's rule: from the smallest replica that fits (*fit, with *perf and
 * rc its ic_perf_replica result at params p, whose tp and pp are the fit's), try twice as many
 * accelerators while it raises the throughput per accelerator by 2% (a replica that is too
 * small is bound by the TPOT objective or the KV cache), up to four times the smallest, within
 * a node (pipeline stages only when nothing else fits, issue 14) and while a fleet of `fleet`
 * accelerators can form one.  Updates *fit and *perf; returns the new rc (0: a replica). */
int ic_replica_autosize(const struct ic_llm *m, const struct ic_accelerator *a,
                        const struct ic_perf_params *p, double kv_reserve_fraction,
                        const struct ic_mix *mix, double fleet, struct ic_fit *fit,
                        struct ic_perf *perf, int rc);

/* A pool's replica: from the smallest one that fits (*fit), its parameters (ic_replica_params
 * at the fit, with the means of /serving/prefill_mfu, decode_mbu and software_efficiency given)
 * and its performance at `mix`, sized automatically (ic_replica_autosize) when `automatic`;
 * *fit then becomes the replica the fleet is divided into (what /serving/attention_dp or the
 * disaggregated units make it).  Returns 0, or -1 with the reason in why. */
int ic_replica_build(const struct ic_scenario *sc, const struct ic_accelerator *a,
                     int weight_precision, int kv_precision, double prefill_mfu, double decode_mbu,
                     double sw_eff, const struct ic_mix *mix, int automatic, double fleet,
                     struct ic_fit *fit, struct ic_perf *perf, char *why, int whysize);

/* /serving/ttft_slo_s against a replica of `a` that can meet it at no load (ttft_rho <= 0):
 * IC_OK, or IC_ERR_INVALID with the message in err. */
int ic_replica_check_ttft(const struct ic_scenario *sc, const struct ic_accelerator *a,
                          const struct ic_perf *perf, struct ic_error *err);

/* `infercap perf`'s sizing when an option of the performance model v2 is given (tools/
 * perfcheck.py's figures rest on it): from the smallest replica that fits, twice the tensor
 * parallelism up to a whole node while it raises the throughput per accelerator by 2%.  p and
 * perf hold the plan's replica on entry (rc its status) and the chosen one on return. */
int ic_replica_autosize_node(const struct ic_llm *m, const struct ic_accelerator *a,
                             double kv_reserve_fraction, const struct ic_mix *mix,
                             struct ic_perf_params *p, struct ic_perf *perf, int rc);

#endif
