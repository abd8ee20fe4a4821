/* test_perf.c: the replica model against hand calculations (Llama-3.1-70B on H100 at TP2 and
 * DeepSeek-V3 across two nodes), and its responses to the objectives and to precision. */
#include "catalog_io.h"
#include "check.h"
#include "perf.h"

static struct ic_catalog cat;

/* Parameters with round efficiencies for hand checks. */
static struct ic_perf_params params(long tp, long pp, int wprec) {
    struct ic_perf_params p = {0};
    p.weight_precision = wprec;
    p.kv_precision = IC_PREC_BF16;
    p.tp = tp;
    p.pp = pp;
    p.ep = 1;
    p.per_node = 8;
    p.scaleout_gbps = 50;
    p.memory_utilization = 0.9;
    p.prefill_mfu = 0.55;
    p.decode_mbu = 0.7;
    p.step_overhead_s = 0;
    p.tpot_slo_s = 0.05;
    p.max_batch = 100000;
    p.max_batched_tokens = 8192;
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
    const struct ic_accelerator *a910 = ic_catalog_accel(&cat, "huawei_ascend_910b");
    const struct ic_llm *l8 = ic_catalog_llm(&cat, "llama-3.1-8b");
    const struct ic_llm *l70 = ic_catalog_llm(&cat, "llama-3.1-70b");
    const struct ic_llm *dsv3 = ic_catalog_llm(&cat, "deepseek-v3");
    const struct ic_llm *k2 = ic_catalog_llm(&cat, "kimi-k2");
    CHECK(h100 && h800 && a910 && l8 && l70 && dsv3 && k2);
    CHECK(cat.n_accels >= 20 && cat.n_llms >= 10);
    char why[400];

    /* ---- replica sizing ---- */
    /* 70.6B x 2 B = 141.2 GB; 80 GB x 0.9 x (1 - 0.3) = 50.4 GB per H100 -> 4, all tensor
     * parallel. */
    struct ic_fit fit;
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 0, 0, 8, &fit);
    CHECK(fit.ok && fit.accels == 4 && fit.tp == 4 && fit.pp == 1);
    CHECK_NEAR(fit.weight_bytes, 141.2e9, 1e-12);
    /* Kimi K2 at FP8: 1000 GB / 50.4 GB -> 32 H800s: tensor parallel 8 in a node, 4 stages. */
    ic_perf_fit(k2, h800, IC_PREC_FP8, 0.9, 0.3, 0, 0, 8, &fit);
    CHECK(fit.ok && fit.accels == 32 && fit.tp == 8 && fit.pp == 4);
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 1, 1, 8, &fit);
    CHECK(!fit.ok);
    CHECK_STR_CONTAINS(fit.why, "141.2 GB");
    /* Tensor parallel given, stages chosen: tp 2 needs 2 stages at BF16. */
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 2, 0, 8, &fit);
    CHECK(fit.ok && fit.tp == 2 && fit.pp == 2);

    /* ---- Llama-3.1-70B on H100 at TP2, FP8 weights (hand calculation) ---- */
    struct ic_perf_params p = params(2, 1, IC_PREC_FP8);
    struct ic_mix mix = chat(2000, 400);
    struct ic_perf r;
    CHECK(ic_perf_replica(l70, h100, &p, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.weight_bytes, 70.6e9, 1e-12);
    CHECK(r.kv_bytes_per_token == 327680); /* 2 x 80 layers x 8 kv heads x 128 x 2 B */
    /* KV cache: 2 x 80 GB x 0.9 - 70.6 GB = 73.4 GB over (2000 + 400/2) x 327,680 B. */
    CHECK(r.batch_memory == (long)floor(73.4e9 / (2200 * 327680.0)));
    /* Batch-1 inter-token latency bound: the weights over two HBMs at 70% (15.06 ms), plus
     * the KV of 2,200 tokens, plus 2 x 80 all-reduces of 8,192 x 2 B over half of 900 GB/s. */
    double mem = (70.6e9 + 2200 * 327680.0) / (2 * 3.35e12 * 0.7);
    double comm = 160 * (8192 * 2.0 * 2 * 0.5 / 450e9 + 6e-6);
    CHECK_NEAR(r.step1_s, mem + comm, 1e-12);
    CHECK(r.step1_s > 0.015 && r.step1_s < 0.018);
    /* Prefill of one 2,000-token prompt alone: 2 x 70.6e9 x 2000 + attention 2 x 80 x 64 x
     * (128 + 128) x 2000 x 1000 FLOPs at 2 x 1978.9 TFLOP/s x 0.55, against the weights read
     * once (compute wins). */
    double flops = 2 * 70.6e9 * 2000 + 2.0 * 80 * 64 * 256 * 2000 * 1000;
    double cmp = flops / (2 * 1978.9e12 * 0.55);
    double comm_p = 160 * (2000 * 8192 * 2.0 * 2 * 0.5 / 450e9 + 6e-6);
    CHECK(cmp > 70.6e9 / (2 * 3.35e12 * 0.7));
    CHECK_NEAR(r.prefill_s[0], cmp + comm_p, 1e-12);
    CHECK_NEAR(r.decode_context, 2200, 1e-12);
    /* The KV cache binds before the objective: the whole cache runs, within the TPOT. */
    CHECK(r.batch == r.batch_memory && r.limit == IC_LIMIT_MEMORY && r.step_s <= 0.05);
    /* With FP8 KV the cache holds more than the objective allows: the TPOT binds, and one more
     * sequence (with its share of prefill) would break it. */
    struct ic_perf_params pk = p;
    pk.kv_precision = IC_PREC_FP8;
    CHECK(ic_perf_replica(l70, h100, &pk, &mix, &r, why, sizeof why) == 0);
    CHECK(r.limit == IC_LIMIT_SLO && r.step_s <= 0.05 && r.batch < r.batch_memory);
    CHECK(ic_perf_step(l70, h100, &pk, (double)r.batch + 1, 2200, 5.0 * (r.batch + 1), 1000, NULL,
                       NULL) > 0.05);
    CHECK_NEAR(r.requests_per_s_sat, r.batch / r.step_s / 400, 1e-12);
    CHECK(r.requests_per_s == r.requests_per_s_sat); /* no TTFT objective */

    /* ---- DeepSeek-V3 (MoE, MLA) at FP8 on 16 H100s: tp 8 x pp 2 ---- */
    ic_perf_fit(dsv3, h100, IC_PREC_FP8, 0.9, 0.3, 0, 0, 8, &fit);
    CHECK(fit.ok && fit.accels == 16 && fit.tp == 8 && fit.pp == 2);
    struct ic_perf_params pd = params(8, 2, IC_PREC_FP8);
    CHECK(ic_perf_replica(dsv3, h100, &pd, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.weight_bytes, 671e9, 1e-12);
    CHECK(r.kv_bytes_per_token == 70272); /* 61 x (512 + 64) x 2 B: MLA's compressed cache */
    /* KV cache 16 x 72 GB - 671 GB = 481 GB. */
    CHECK(r.batch_memory == (long)floor(481e9 / (2200 * 70272.0)));
    /* Batch 1 reads only the active experts: 37e9 B over 8 HBMs (the two stages in turn). */
    double m1, c1;
    ic_perf_step(dsv3, h100, &pd, 2, 0, 0, 0, &m1, &c1);
    CHECK_NEAR(m1, 37e9 / (8 * 3.35e12 * 0.7), 1e-9);
    /* A large batch touches nearly every expert. */
    ic_perf_step(dsv3, h100, &pd, 8192, 0, 0, 0, &m1, &c1);
    CHECK(m1 > 0.99 * 671e9 / (16 * 3.35e12 * 0.7) * 2);
    /* MLA attention: absorbed decode over 512 + 64 and 512 dims, 128 heads, 61 layers. */
    double c0, cc;
    ic_perf_step(dsv3, h100, &pd, 2, 0, 0, 0, NULL, &c0);
    ic_perf_step(dsv3, h100, &pd, 2, 10000, 0, 0, NULL, &cc);
    CHECK_NEAR(cc - c0, 10000 * 2.0 * 61 * 128 * (576 + 512) / (8 * 1978.9e12 * 0.55), 1e-9);

    /* ---- responses ---- */
    /* A tighter TPOT objective gives a smaller batch and less throughput. */
    struct ic_perf loose, tight;
    struct ic_perf_params p8 = params(1, 1, IC_PREC_BF16);
    p8.step_overhead_s = 3e-3;
    CHECK(ic_perf_replica(l8, h100, &p8, &mix, &loose, why, sizeof why) == 0);
    p8.tpot_slo_s = 0.015;
    CHECK(ic_perf_replica(l8, h100, &p8, &mix, &tight, why, sizeof why) == 0);
    CHECK(tight.batch < loose.batch);
    CHECK(tight.requests_per_s < loose.requests_per_s);
    CHECK(tight.limit == IC_LIMIT_SLO && tight.step_s <= 0.015);
    p8.tpot_slo_s = 0.005; /* below the 3 ms overhead + 8 ms of weights */
    CHECK(ic_perf_replica(l8, h100, &p8, &mix, &tight, why, sizeof why) == 0);
    CHECK(tight.limit == IC_LIMIT_SLO_INFEASIBLE && tight.batch == 1);
    /* A tighter TTFT objective lowers the load the replica may carry. */
    struct ic_perf t2, t1;
    p8.tpot_slo_s = 0.05;
    p8.ttft_slo_s = 2.0;
    CHECK(ic_perf_replica(l8, h100, &p8, &mix, &t2, why, sizeof why) == 0);
    p8.ttft_slo_s = 0.5;
    CHECK(ic_perf_replica(l8, h100, &p8, &mix, &t1, why, sizeof why) == 0);
    CHECK(t2.ttft_rho < 1 && t1.ttft_rho < t2.ttft_rho);
    CHECK(t1.requests_per_s < t2.requests_per_s && t2.requests_per_s < loose.requests_per_s);
    CHECK_NEAR(t2.requests_per_s, t2.ttft_rho * t2.requests_per_s_sat, 1e-12);
    /* FP8 weights raise throughput on a chip with FP8 (H100). */
    struct ic_perf b16, f8;
    struct ic_perf_params q = params(4, 1, IC_PREC_BF16);
    CHECK(ic_perf_replica(l70, h100, &q, &mix, &b16, why, sizeof why) == 0);
    q.weight_precision = IC_PREC_FP8;
    CHECK(ic_perf_replica(l70, h100, &q, &mix, &f8, why, sizeof why) == 0);
    CHECK(f8.requests_per_s > 1.2 * b16.requests_per_s);
    /* FP8 KV cache holds twice the sequences. */
    q.kv_precision = IC_PREC_FP8;
    CHECK(ic_perf_replica(l70, h100, &q, &mix, &r, why, sizeof why) == 0);
    CHECK(r.batch_memory >= 2 * f8.batch_memory - 1);

    /* Prefill rides on memory-bound decode steps nearly for free: at a small batch (far from
     * compute-bound) short prompts add little to the step; long prompts cost throughput. */
    struct ic_mix shortp = chat(300, 400), longp = chat(30000, 400);
    struct ic_perf rs, rl;
    struct ic_perf_params qs = q;
    qs.max_batch = 32;
    CHECK(ic_perf_replica(l70, h100, &qs, &shortp, &rs, why, sizeof why) == 0);
    CHECK(!rs.compute_bound && rs.prefill_share < 0.1);
    CHECK(ic_perf_replica(l70, h100, &q, &longp, &rl, why, sizeof why) == 0);
    CHECK(rl.requests_per_s < 0.2 * f8.requests_per_s);
    /* A mix: each class costs what it costs alone, scaled so the mix adds up. */
    struct ic_mix two = chat(2000, 400);
    two.n = 2;
    two.share[0] = 0.9;
    two.share[1] = 0.1;
    two.in_mean[1] = 30000;
    two.in_sq_mean[1] = 30000.0 * 30000;
    two.out_mean[1] = 400;
    struct ic_perf rm;
    CHECK(ic_perf_replica(l70, h100, &q, &two, &rm, why, sizeof why) == 0);
    CHECK_NEAR(0.9 * rm.service_s[0] + 0.1 * rm.service_s[1], 1 / rm.requests_per_s_sat, 1e-12);
    CHECK(rm.service_s[1] > 3 * rm.service_s[0]);
    CHECK(rm.ttft_s[1] > rm.ttft_s[0]);

    /* The attention term makes a 64k prompt more than twice as slow as a 32k one. */
    struct ic_mix m32 = chat(32768, 100), m64 = chat(65536, 100);
    struct ic_perf q32, q64;
    CHECK(ic_perf_replica(l70, h100, &q, &m32, &q32, why, sizeof why) == 0);
    CHECK(ic_perf_replica(l70, h100, &q, &m64, &q64, why, sizeof why) == 0);
    CHECK(q64.prefill_s[0] > 2.2 * q32.prefill_s[0]);

    /* Reasoning tokens are decode work the user waits for. */
    struct ic_mix rz = chat(2000, 400);
    struct ic_perf r0, r1;
    CHECK(ic_perf_replica(l8, h100, &p8, &rz, &r0, why, sizeof why) == 0);
    rz.reason_mean[0] = 3000;
    CHECK(ic_perf_replica(l8, h100, &p8, &rz, &r1, why, sizeof why) == 0);
    CHECK_NEAR(r1.decode_context, 2000 + 0.5 * 3400, 1e-12);
    CHECK(r1.requests_per_s_sat < 0.5 * r0.requests_per_s_sat);
    CHECK(r1.ttft_s[0] > r0.ttft_s[0] + 3000 * r1.step_s * 0.999);
    CHECK_NEAR(r1.tokens_per_request, 5400, 1e-12);

    /* Disaggregation: balanced pools; an unbalanced split loses throughput; the KV transfer
     * adds to the time to first token. */
    struct ic_perf_params pdg = params(4, 1, IC_PREC_FP8);
    pdg.disaggregated = 1;
    struct ic_perf dg, dgu;
    CHECK(ic_perf_replica(l70, h100, &pdg, &mix, &dg, why, sizeof why) == 0);
    pdg.prefill_fraction = 0.9;
    CHECK(ic_perf_replica(l70, h100, &pdg, &mix, &dgu, why, sizeof why) == 0);
    CHECK(dgu.requests_per_s < dg.requests_per_s);
    CHECK_NEAR(dg.kv_transfer_s, 2000 * 327680.0 / (50e9 * 4), 1e-12);
    CHECK_NEAR(dg.service_s_mean, 1 / dg.requests_per_s_sat, 1e-9);

    /* No room for a single sequence: the model barely fits two GPUs. */
    struct ic_perf_params p2 = params(2, 1, IC_PREC_BF16);
    struct ic_perf none;
    CHECK(ic_perf_replica(l70, h100, &p2, &longp, &none, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "holds no sequence");

    /* Vendor families and precisions. */
    double mfu, mbu;
    ic_vendor_efficiency(a910, &mfu, &mbu);
    CHECK(mfu == 0.40 && mbu == 0.55);
    ic_vendor_efficiency(h100, &mfu, &mbu);
    CHECK(mfu == 0.55 && mbu == 0.70);
    CHECK(isnan(ic_peak_flops(a910, IC_PREC_FP8)));
    CHECK_NEAR(ic_peak_flops(h100, IC_PREC_FP8), 1978.9e12, 1e-12);
    ic_catalog_free(&cat);
    return check_report("test_perf");
}
