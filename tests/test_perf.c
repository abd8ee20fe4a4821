/* test_perf.c: the roofline replica model against hand-computed figures. */
#include "catalog_io.h"
#include "check.h"
#include "perf.h"

static struct ic_catalog cat;

static struct ic_perf_params params(long accels) {
    struct ic_perf_params p = {IC_PREC_BF16, IC_PREC_BF16, accels, 0.9, 0.45, 0.6, 3e-3, 0.05, 256};
    return p;
}

static struct ic_mix chat(double in, double out) {
    struct ic_mix m = {0};
    m.n = 1;
    m.share[0] = 1;
    m.in_mean[0] = in;
    m.in_sq_mean[0] = in * in;
    m.out_mean[0] = out;
    return m;
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const struct ic_accelerator *h100 = ic_catalog_accel(&cat, "nvidia_h100_sxm");
    const struct ic_accelerator *h800 = ic_catalog_accel(&cat, "nvidia_h800_sxm");
    const struct ic_llm *l8 = ic_catalog_llm(&cat, "llama-3.1-8b");
    const struct ic_llm *l70 = ic_catalog_llm(&cat, "llama-3.1-70b");
    const struct ic_llm *dsv3 = ic_catalog_llm(&cat, "deepseek-v3");
    const struct ic_llm *k2 = ic_catalog_llm(&cat, "kimi-k2");
    CHECK(h100 && h800 && l8 && l70 && dsv3 && k2);
    CHECK(cat.n_accels >= 20 && cat.n_llms >= 10);

    /* Replica size: 70.6B x 2 B = 141.2 GB; 80 GB x 0.9 x (1 - 0.3) = 50.4 GB per H100 -> 4. */
    struct ic_fit fit;
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 0, &fit);
    CHECK(fit.ok && fit.accels == 4);
    CHECK_NEAR(fit.weight_bytes, 141.2e9, 1e-12);
    /* Kimi K2 at FP8: 1000 GB / 50.4 GB -> 32 H800s. */
    ic_perf_fit(k2, h800, IC_PREC_FP8, 0.9, 0.3, 0, &fit);
    CHECK(fit.ok && fit.accels == 32);
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 1, &fit);
    CHECK(!fit.ok);
    CHECK_STR_CONTAINS(fit.why, "141.2 GB");

    /* Decode step of Llama-3.1-8B on one H100 at batch 1, context 1000: memory bound.
     * (16.06e9 B of weights + 1000 x 131072 B of KV) / (3.35e12 B/s x 0.6) + 3 ms. */
    struct ic_perf_params p = params(1);
    double step = ic_perf_step_time(l8, h100, &p, 1, 1000);
    CHECK_NEAR(step, (8.03e9 * 2 + 1000 * 131072.0) / (3.35e12 * 0.6) + 3e-3, 1e-12);
    /* At batch 200 the KV term has grown 200-fold. */
    CHECK_NEAR(ic_perf_step_time(l8, h100, &p, 200, 1000),
               (8.03e9 * 2 + 200 * 1000 * 131072.0) / (3.35e12 * 0.6) + 3e-3, 1e-12);

    /* A tighter TPOT objective gives a smaller batch and less throughput. */
    struct ic_mix mix = chat(2000, 400);
    struct ic_perf loose, tight;
    char why[400];
    CHECK(ic_perf_replica(l8, h100, &p, &mix, &loose, why, sizeof why) == 0);
    struct ic_perf_params pt = p;
    pt.tpot_slo_s = 0.015;
    CHECK(ic_perf_replica(l8, h100, &pt, &mix, &tight, why, sizeof why) == 0);
    CHECK(tight.batch < loose.batch);
    CHECK(tight.decode_tokens_per_s < loose.decode_tokens_per_s);
    CHECK(tight.requests_per_s < loose.requests_per_s);
    CHECK(tight.limit == IC_LIMIT_SLO && tight.step_s <= 0.015);
    CHECK(ic_perf_step_time(l8, h100, &pt, (double)tight.batch + 1, tight.decode_context) > 0.015);
    pt.tpot_slo_s = 0.005; /* below the 3 ms overhead + 8 ms of weights */
    CHECK(ic_perf_replica(l8, h100, &pt, &mix, &tight, why, sizeof why) == 0);
    CHECK(tight.limit == IC_LIMIT_SLO_INFEASIBLE && tight.batch == 1);

    /* Memory-limited batch: FP8 KV cache holds twice the sequences. */
    struct ic_perf_params pm = params(4);
    pm.tpot_slo_s = 10;
    pm.max_batch = 100000;
    struct ic_mix longctx = chat(30000, 500);
    struct ic_perf b16, b8;
    CHECK(ic_perf_replica(l70, h100, &pm, &longctx, &b16, why, sizeof why) == 0);
    pm.kv_precision = IC_PREC_FP8;
    CHECK(ic_perf_replica(l70, h100, &pm, &longctx, &b8, why, sizeof why) == 0);
    CHECK(b16.limit == IC_LIMIT_MEMORY && b8.limit == IC_LIMIT_MEMORY);
    /* KV capacity 4 x 72 GB - 141.2 GB = 146.8 GB over 30250 tokens x 327680 B (x 1/2). */
    CHECK(b16.batch == (long)floor(146.8e9 / (30250 * 327680.0)));
    CHECK(b8.batch == (long)floor(146.8e9 / (30250 * 163840.0)));

    /* MoE: at batch 1 DeepSeek-V3 reads only its 37B active parameters; a large batch touches
     * nearly all 671B. */
    struct ic_perf_params pe = params(1);
    pe.weight_precision = IC_PREC_FP8;
    pe.step_overhead_s = 0;
    CHECK_NEAR(ic_perf_step_time(dsv3, h100, &pe, 1, 0), 37e9 / (3.35e12 * 0.6), 1e-9);
    double big = ic_perf_step_time(dsv3, h100, &pe, 4096, 0);
    CHECK(big > 0.99 * 671e9 / (3.35e12 * 0.6) || big > 4096 * 2 * 37e9 / (1978.9e12 * 0.45));

    /* Prefill: the attention term makes a 64k prompt cost more than twice a 32k one. */
    struct ic_mix m32 = chat(32768, 100), m64 = chat(65536, 100);
    struct ic_perf q32, q64;
    CHECK(ic_perf_replica(l70, h100, &pm, &m32, &q32, why, sizeof why) == 0);
    CHECK(ic_perf_replica(l70, h100, &pm, &m64, &q64, why, sizeof why) == 0);
    CHECK(q64.prefill_s[0] > 2.2 * q32.prefill_s[0]);
    /* Linear term by hand: 2 x 70.6e9 x 32768 FLOPs + 2 x 80 x 64 x 128 x 32768^2. */
    CHECK_NEAR(q32.prefill_s[0],
               (2 * 70.6e9 * 32768 + 2.0 * 80 * 64 * 128 * 32768.0 * 32768.0) /
                   (4 * 989.4e12 * 0.45),
               1e-12);

    /* No room for a single sequence: the model barely fits two GPUs. */
    struct ic_perf_params p2 = params(2);
    struct ic_perf none;
    CHECK(ic_perf_replica(l70, h100, &p2, &longctx, &none, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "holds no sequence");

    /* Reasoning tokens are decode work the user waits for: they add to the service time and to
     * the time to the first answer token, and lengthen the decode context. */
    struct ic_mix rz = chat(2000, 400);
    struct ic_perf p0, p1;
    CHECK(ic_perf_replica(l8, h100, &p, &rz, &p0, why, sizeof why) == 0);
    rz.reason_mean[0] = 3000;
    CHECK(ic_perf_replica(l8, h100, &p, &rz, &p1, why, sizeof why) == 0);
    CHECK_NEAR(p1.decode_context, 2000 + 0.5 * 3400, 1e-12);
    CHECK(p1.requests_per_s < 0.5 * p0.requests_per_s);
    CHECK_NEAR(p1.ttft_s[0], p1.prefill_s[0] + 3000 * p1.step_s, 1e-12);
    CHECK_NEAR(p1.tokens_per_request, 5400, 1e-12);

    CHECK(isnan(ic_peak_flops(ic_catalog_accel(&cat, "huawei_ascend_910b"), IC_PREC_FP8)));
    CHECK_NEAR(ic_peak_flops(h100, IC_PREC_FP8), 1978.9e12, 1e-12);
    ic_catalog_free(&cat);
    return check_report("test_perf");
}
