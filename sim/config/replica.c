/* replica.c: a scenario's settings as the performance model's inputs (see replica.h). */
#include "sim/config/replica.h"

#include <math.h>
#include <string.h>

void ic_replica_params(const struct ic_scenario *sc, const struct ic_accelerator *accel,
                       int weight_precision, int kv_precision, long tp, long pp, double prefill_mfu,
                       double decode_mbu, double sw_eff, struct ic_perf_params *p) {
    /* The software profile of the accelerator's vendor family, then the scenario's fields; the
     * old MFU/MBU pair and a set step overhead override the profile (models/perf.h). */
    ic_perf_params_defaults(p, accel);
    p->weight_precision = weight_precision;
    p->kv_precision = kv_precision;
    p->tp = tp;
    p->pp = pp;
    p->ep = (long)sc->serving.expert_parallel;
    p->per_node = (long)sc->serving.accelerators_per_node;
    p->scaleout_gbps = sc->serving.scaleout_gbps;
    p->memory_utilization = sc->serving.memory_utilization;
    p->prefill_mfu = prefill_mfu > 0 ? prefill_mfu : 0;
    p->decode_mbu = decode_mbu > 0 ? decode_mbu : 0;
    p->step_overhead_s =
        sc->serving.step_overhead_ms >= 0 ? sc->serving.step_overhead_ms / 1000.0 : -1;
    p->tpot_slo_s = sc->serving.tpot_slo_ms / 1000.0;
    p->ttft_slo_s = sc->serving.ttft_slo_s;
    p->max_batch = (long)sc->serving.max_batch;
    p->max_batched_tokens = (long)sc->serving.max_batched_tokens;
    p->disaggregated = sc->serving.disaggregated;
    p->prefill_fraction = sc->serving.prefill_fraction;
    /* Version 2.  The scenario loader has checked the profile's name. */
    const struct ic_sw_profile *sw =
        sc->serving.software[0] ? ic_sw_profile_find(sc->serving.software) : NULL;
    if (sw) p->sw = *sw;
    if (sw_eff != 1.0 && sw_eff > 0) {
        for (int i = 0; i < 4; i++) p->sw.gemm_eff[i] = fmin(1.0, p->sw.gemm_eff[i] * sw_eff);
        p->sw.mem_eff = fmin(1.0, p->sw.mem_eff * sw_eff);
    }
    if (sc->serving.attention_dp > 0) {
        /* Attention data-parallel over attention_dp accelerators in ranks of tensor_parallel
         * (as `infercap perf --attention-dp` has always counted them): one pipeline stage,
         * the replica's size set by the field rather than by the weights. */
        long rank = sc->serving.tensor_parallel > 0 ? (long)sc->serving.tensor_parallel : 1;
        long dp = (long)sc->serving.attention_dp / rank;
        p->attention_dp = dp > 0 ? dp : 1;
        p->tp = rank;
        p->pp = 1;
    }
    p->eplb = sc->serving.eplb;
    if (sc->serving.expert_imbalance > 0) p->imbalance = sc->serving.expert_imbalance;
    p->overlap =
        sc->serving.overlap == IC_OVERLAP_AUTO ? -1 : sc->serving.overlap == IC_OVERLAP_YES;
    if (sc->serving.node_limit > 0) p->node_limit = (long)sc->serving.node_limit;
    p->mtp = (long)sc->serving.mtp;
    if (sc->serving.mtp_accept > 0) p->mtp_accept = sc->serving.mtp_accept;
    p->max_throughput = sc->serving.max_throughput;
    p->admission = sc->serving.admission;
    p->kv_fraction = sc->serving.kv_fraction;
    p->attn_precision = sc->serving.attention_precision;
    p->prefill_unit = (long)sc->serving.prefill_unit;
    p->decode_unit = (long)sc->serving.decode_unit;
    p->ratio_init = sc->serving.new_token_ratio_init;
    p->ratio_min = sc->serving.new_token_ratio_min;
    p->ratio_decay_steps = sc->serving.new_token_ratio_decay_steps;
    p->retract_steps = sc->serving.retract_decode_steps;
    p->clip_tokens = sc->serving.clip_max_new_tokens;
}

static double value(ic_dist_value_fn fn, const void *ctx, const struct ic_dist *d) {
    return fn ? fn(ctx, d) : ic_dist_mean(d);
}

void ic_replica_tokdist(const struct ic_token_dist *t, ic_dist_value_fn fn, const void *ctx,
                        struct ic_tokdist *out) {
    memset(out, 0, sizeof *out);
    out->shape = t->shape;
    out->median = value(fn, ctx, &t->median);
    out->sigma = value(fn, ctx, &t->sigma);
    out->tail_weight = value(fn, ctx, &t->tail_weight);
    out->tail_xmin = value(fn, ctx, &t->tail_xmin);
    out->tail_alpha = value(fn, ctx, &t->tail_alpha);
    out->nbins = t->weights.n < IC_HIST_MAX_BINS ? t->weights.n : IC_HIST_MAX_BINS;
    for (int i = 0; i <= out->nbins && i < t->edges.n; i++) out->edges[i] = t->edges.v[i];
    for (int i = 0; i < out->nbins; i++) out->weights[i] = t->weights.v[i];
}

void ic_replica_mix(const struct ic_scenario *sc, double context_cap, ic_dist_value_fn fn,
                    const void *ctx, struct ic_mix *mix) {
    double total = 0, share[IC_MAX_CLASSES];
    double mult = value(fn, ctx, &sc->workload.reasoning_multiplier);
    mix->n = sc->workload.n_classes;
    for (int c = 0; c < mix->n; c++) {
        share[c] = value(fn, ctx, &sc->workload.classes[c].share);
        total += share[c];
    }
    for (int c = 0; c < mix->n; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        struct ic_tokdist t;
        double sq;
        mix->share[c] = total > 0 ? share[c] / total : 0;
        ic_replica_tokdist(&k->input_tokens, fn, ctx, &t);
        ic_tokdist_moments(&t, 1.0, context_cap, &mix->in_mean[c], &mix->in_sq_mean[c]);
        ic_replica_tokdist(&k->output_tokens, fn, ctx, &t);
        ic_tokdist_moments(&t, 1.0, context_cap, &mix->out_mean[c], &sq);
        ic_replica_tokdist(&k->reasoning_tokens, fn, ctx, &t);
        ic_tokdist_moments(&t, mult, context_cap, &mix->reason_mean[c], &sq);
        mix->cache_hit[c] = value(fn, ctx, &k->prefix_cache_hit);
    }
    /* Demand as tokens a day: its cache-hit share replaces the classes', and its output over
     * input ratio scales every class's reasoning and answer (the classes keep their shape). */
    const double tin = sc->traffic.tokens_per_day.input, tout = sc->traffic.tokens_per_day.output;
    if (tin > 0) {
        double in = 0, dec = 0;
        for (int c = 0; c < mix->n; c++) {
            if (sc->traffic.tokens_per_day.cache_hit_share >= 0)
                mix->cache_hit[c] = sc->traffic.tokens_per_day.cache_hit_share;
            in += mix->share[c] * mix->in_mean[c];
            dec += mix->share[c] * (mix->out_mean[c] + mix->reason_mean[c]);
        }
        double f = tout > 0 && in > 0 && dec > 0 ? tout / tin * in / dec : 1.0;
        for (int c = 0; c < mix->n; c++) {
            mix->out_mean[c] *= f;
            mix->reason_mean[c] *= f;
        }
    }
}

int ic_replica_autosize(const struct ic_llm *m, const struct ic_accelerator *a,
                        const struct ic_perf_params *p, double kv_reserve_fraction,
                        const struct ic_mix *mix, double fleet, struct ic_fit *fit,
                        struct ic_perf *perf, int rc) {
    const long per_node = p->per_node;
    for (long n = fit->accels * 2; n <= 4 * fit->accels && n <= per_node && (double)n <= fleet;
         n *= 2) {
        struct ic_fit f2;
        ic_perf_fit(m, a, p->weight_precision, p->memory_utilization, kv_reserve_fraction,
                    n < per_node ? n : per_node, n < per_node ? 1 : n / per_node, per_node, &f2);
        if (!f2.ok) break;
        struct ic_perf_params p2 = *p;
        struct ic_perf r2;
        char w2[8];
        p2.tp = f2.tp;
        p2.pp = f2.pp;
        if (ic_perf_replica(m, a, &p2, mix, &r2, w2, sizeof w2) != 0) continue;
        if (rc != 0 ||
            r2.requests_per_s / (double)n > 1.02 * perf->requests_per_s / (double)fit->accels) {
            *fit = f2;
            *perf = r2;
            rc = 0;
        }
    }
    return rc;
}

int ic_replica_autosize_node(const struct ic_llm *m, const struct ic_accelerator *a,
                             double kv_reserve_fraction, const struct ic_mix *mix,
                             struct ic_perf_params *p, struct ic_perf *perf, int rc) {
    struct ic_fit f0;
    ic_perf_fit(m, a, p->weight_precision, p->memory_utilization, kv_reserve_fraction, 0, 0,
                p->per_node, &f0);
    if (f0.ok && f0.pp == 1 && f0.tp < p->tp) {
        struct ic_perf_params p1 = *p;
        struct ic_perf r1;
        char w1[8];
        p1.tp = f0.tp;
        if (ic_perf_replica(m, a, &p1, mix, &r1, w1, sizeof w1) == 0) {
            *perf = r1;
            *p = p1;
            rc = 0;
        }
    }
    for (long tp = p->tp * 2; tp <= p->per_node; tp *= 2) {
        struct ic_perf_params p2 = *p;
        struct ic_perf r2;
        char w2[8];
        p2.tp = tp;
        if (ic_perf_replica(m, a, &p2, mix, &r2, w2, sizeof w2) != 0) continue;
        if (rc != 0 || r2.requests_per_s / (double)r2.accels >
                           1.02 * perf->requests_per_s / (double)perf->accels) {
            *perf = r2;
            *p = p2;
            rc = 0;
        }
    }
    return rc;
}

int ic_replica_build(const struct ic_scenario *sc, const struct ic_accelerator *a,
                     int weight_precision, int kv_precision, double prefill_mfu, double decode_mbu,
                     double sw_eff, const struct ic_mix *mix, int automatic, double fleet,
                     struct ic_fit *fit, struct ic_perf *perf, char *why, int whysize) {
    const struct ic_llm *m = &sc->model.value;
    struct ic_perf_params p;
    ic_replica_params(sc, a, weight_precision, kv_precision, fit->tp, fit->pp, prefill_mfu,
                      decode_mbu, sw_eff, &p);
    int rc = ic_perf_replica(m, a, &p, mix, perf, why, whysize);
    if (automatic)
        rc = ic_replica_autosize(m, a, &p, sc->serving.kv_reserve_fraction, mix, fleet, fit, perf,
                                 rc);
    if (rc != 0) return rc;
    if (sc->serving.attention_dp > 0 || perf->accels != fit->accels) {
        /* The replica the model serves with (attention_dp, disaggregated units) is what the
         * fleet is divided into. */
        fit->tp = perf->tp;
        fit->pp = perf->pp;
        fit->accels = perf->accels;
    }
    return 0;
}

int ic_replica_check_ttft(const struct ic_scenario *sc, const struct ic_accelerator *a,
                          const struct ic_perf *perf, struct ic_error *err) {
    if (sc->serving.ttft_slo_s > 0 && perf->ttft_rho <= 0)
        return ic_error_set(err, IC_ERR_INVALID,
                            "/serving/ttft_slo_s: %g s cannot be met on %s at any load (the "
                            "mean prompt alone takes %.3g s to the first token)",
                            sc->serving.ttft_slo_s, a->key, perf->ttft1_s);
    return IC_OK;
}
