/* test_perf.c: the replica model against hand calculations (Llama-3.1-70B on H100 at TP2 and
 * DeepSeek-V3 across two nodes), and its responses to the objectives and to precision. */
#include "sim/config/catalog_io.h"
#include "check.h"
#include "models/perf.h"

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
    CHECK_STR_CONTAINS(fit.why, "2 pipeline stages were added"); /* never silently */
    ic_perf_fit(l70, h100, IC_PREC_BF16, 0.9, 0.3, 4, 0, 8, &fit);
    CHECK(fit.ok && fit.tp == 4 && fit.pp == 1 && !fit.why[0]);

    /* ---- Llama-3.1-70B on H100 at TP2, FP8 weights (hand calculation, no software profile:
     * the old MFU/MBU pair, 6 us collectives, full link rates, no overhead) ---- */
    struct ic_perf_params p = params(2, 1, IC_PREC_FP8);
    struct ic_mix mix = chat(2000, 400);
    struct ic_perf r;
    CHECK(ic_perf_replica(l70, h100, &p, &mix, &r, why, sizeof why) == 0);
    /* Body at FP8, embeddings and LM head (2 x 128,256 x 8,192) at BF16. */
    const double emb = 2.0 * 128256 * 8192, body = 70.6e9 - emb;
    CHECK_NEAR(r.weight_bytes, body + 2 * emb, 1e-12);
    CHECK(r.kv_bytes_per_token == 327680); /* 2 x 80 layers x 8 kv heads x 128 x 2 B */
    /* KV cache: 2 x 80 GB x 0.9 - weights, no reserve, over (2000 + 400/2) x 327,680 B. */
    CHECK(r.batch_memory == (long)floor((144e9 - body - 2 * emb) / (2200 * 327680.0)));
    /* Batch-1 step, operator by operator (each the larger of memory and compute): GEMMs read
     * half the body per GPU; the BF16 LM head half its table; decode attention the KV of 2,200
     * tokens over two GPUs (8 KV heads split); elementwise passes over one token; 2 x 80
     * all-reduces of 8,192 x 2 B over half of 900 GB/s. */
    const double bw = 3.35e12 * 0.7;
    double gemm = body / 2 / bw, lmh = emb / 2 * 2 / 2 / bw, att = 2200 * 327680.0 / 2 / bw;
    double elem = (8.0 * 8192 * 80 + 3.0 / 2 * 28672 * 80) * 2 / bw;
    double comm = 160 * (8192 * 2.0 * 2 * 0.5 / 450e9 + 6e-6);
    CHECK_NEAR(r.step1_s, gemm + lmh + att + elem + comm, 1e-12);
    double ops[8];
    ic_perf_step_ops(l70, h100, &p, 1, 2200, 0, 0, ops);
    CHECK_NEAR(ops[IC_OP_GEMM], gemm, 1e-12);
    CHECK_NEAR(ops[IC_OP_LM_HEAD], lmh, 1e-12);
    CHECK_NEAR(ops[IC_OP_ATTN_DECODE], att, 1e-12);
    CHECK_NEAR(ops[IC_OP_ELEMENTWISE], elem, 1e-12);
    CHECK_NEAR(ops[IC_OP_COMM], comm, 1e-12);
    CHECK(ops[IC_OP_OVERHEAD] == 0 && ops[IC_OP_EXPERT] == 0 && ops[IC_OP_ATTN_PREFILL] == 0);
    /* Prefill of one 2,000-token prompt alone: the GEMMs compute-bound at FP8 (2 x body x 2000
     * at 2 x 1978.9 TFLOP/s x 0.55, times the small-M factor at M = 2000: 0.854 at 1,024 and
     * 1 at 4,096, linear in log2 M); prefill attention at the BF16 peak (not FP8's): 2 x 80 x
     * 64 x 256 x 2000 x 1000 FLOPs over 2 x 989.4 TFLOP/s x 0.55; the LM head for one token. */
    double fm = 0.854 + (1.0 - 0.854) * (log2(2000.0) - 10.0) / 2.0;
    double pg = 2 * body / 2 * 2000 / (1978.9e12 * 0.55 * fm);
    double pa = 2.0 * 80 * 64 * 256 / 2 * 2000 * 1000 / (989.4e12 * 0.55);
    double pe = 2000 * (8.0 * 8192 * 80 + 3.0 / 2 * 28672 * 80) * 2 / bw;
    double pc = 160 * (2000 * 8192 * 2.0 * 2 * 0.5 / 450e9 + 6e-6);
    ic_perf_step_ops(l70, h100, &p, 0, 0, 2000, 1000, ops);
    CHECK_NEAR(ops[IC_OP_GEMM], pg, 1e-12);
    CHECK_NEAR(ops[IC_OP_ATTN_PREFILL], pa, 1e-12);
    CHECK_NEAR(ops[IC_OP_ELEMENTWISE], pe, 1e-12);
    CHECK_NEAR(r.prefill_s[0], pg + pa + pe + lmh + pc, 1e-9);
    CHECK_NEAR(r.decode_context, 2200, 1e-12);
    /* The KV cache binds before the objective: the whole cache runs, within the TPOT. */
    CHECK(r.batch <= r.batch_memory && r.step_s <= 0.05);
    /* With FP8 KV the cache holds more than the objective allows: the TPOT binds, and one more
     * sequence (with its share of prefill) would break it. */
    struct ic_perf_params pk = p;
    pk.kv_precision = IC_PREC_FP8;
    CHECK(ic_perf_replica(l70, h100, &pk, &mix, &r, why, sizeof why) == 0);
    CHECK(r.limit == IC_LIMIT_SLO && r.step_s <= 0.05 && r.batch < r.batch_memory);
    /* The prompts (5 tokens per decode token) arrive whole, 2,000 at a time: a share
     * q = 5 (b + 1) / 2000 of the steps carries one, and the 99th-percentile request's mean
     * over its 400 steps (mean + 2.326 sqrt(q (1 - q) / 400) (step with - without)) breaks the
     * objective. */
    double b1 = (double)r.batch + 1, q1 = 5.0 * b1 / 2000;
    CHECK(q1 < 1);
    double s1a = ic_perf_step(l70, h100, &pk, b1, 2200, 0, 0, NULL, NULL);
    double s1b = ic_perf_step(l70, h100, &pk, b1, 2200, 2000, 1000, NULL, NULL);
    CHECK((1 - q1) * s1a + q1 * s1b + 2.326 * sqrt(q1 * (1 - q1) / 400) * (s1b - s1a) > 0.05);
    CHECK_NEAR(r.step_s,
               (1 - 5.0 * r.batch / 2000) *
                       ic_perf_step(l70, h100, &pk, r.batch, 2200, 0, 0, NULL, NULL) +
                   5.0 * r.batch / 2000 *
                       ic_perf_step(l70, h100, &pk, r.batch, 2200, 2000, 1000, NULL, NULL),
               1e-12);
    CHECK_NEAR(r.requests_per_s_sat, r.batch / r.step_s / 400, 1e-12);
    CHECK(r.requests_per_s == r.requests_per_s_sat); /* no TTFT objective */

    /* ---- DeepSeek-V3 (MoE, MLA) at FP8 on 16 H100s: tp 8 x pp 2 ---- */
    ic_perf_fit(dsv3, h100, IC_PREC_FP8, 0.9, 0.3, 0, 0, 8, &fit);
    CHECK(fit.ok && fit.accels == 16 && fit.tp == 8 && fit.pp == 2);
    struct ic_perf_params pd = params(8, 2, IC_PREC_FP8);
    CHECK(ic_perf_replica(dsv3, h100, &pd, &mix, &r, why, sizeof why) == 0);
    /* 671e9 less the two 129,280 x 7,168 tables at FP8, the tables at BF16. */
    const double demb = 2.0 * 129280 * 7168;
    CHECK_NEAR(r.weight_bytes, 671e9 + demb, 1e-12);
    CHECK(r.kv_bytes_per_token == 70272); /* 61 x (512 + 64) x 2 B: MLA's compressed cache */
    /* Batch 1 reads only the active experts of the body: the routed part's k/E share. */
    double fixed = (37e9 - demb - (671e9 - demb) * 8 / 256) / (1 - 8.0 / 256);
    double routed = 671e9 - demb - fixed;
    ic_perf_step_ops(dsv3, h100, &pd, 2, 0, 0, 0, ops);
    CHECK_NEAR(ops[IC_OP_GEMM], fixed / 8 / (3.35e12 * 0.7), 1e-9);
    CHECK_NEAR(ops[IC_OP_EXPERT], routed / 2 / 8 * (8.0 / 256) / (3.35e12 * 0.7) * 2, 1e-9);
    /* A large batch touches nearly every expert. */
    ic_perf_step_ops(dsv3, h100, &pd, 8192, 0, 0, 0, ops);
    CHECK(ops[IC_OP_EXPERT] > 0.99 * routed / 16 / (3.35e12 * 0.7) * 2);
    /* MLA attention: absorbed decode over 512 + 64 and 512 dims, 128 heads, 61 layers, at BF16;
     * at one token per sequence the latent cache read (10,000 x 70,272 B) outweighs it. */
    ic_perf_step_ops(dsv3, h100, &pd, 2, 10000, 0, 0, ops);
    CHECK_NEAR(ops[IC_OP_ATTN_DECODE], 10000 * 70272.0 / (3.35e12 * 0.7), 1e-9);
    CHECK(ops[IC_OP_ATTN_DECODE] > 10000 * 2.0 * 61 * 128 * (576 + 512) / 8 / (989.4e12 * 0.55));

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

    /* ---- version 2: profiles, admission, MTP, MoE at scale, units ---- */
    /* The profile's per-layer launch overhead: 80 layers x 40 us + 0.1 ms on TensorRT-LLM. */
    struct ic_perf_params pv;
    ic_perf_params_defaults(&pv, h100);
    pv.tp = 2;
    pv.weight_precision = pv.kv_precision = IC_PREC_FP8;
    ic_perf_step_ops(l70, h100, &pv, 1, 2200, 0, 0, ops);
    CHECK_NEAR(ops[IC_OP_OVERHEAD], 1e-4 + 80 * 4e-5, 1e-12);
    /* Admission: reserving prompt + output holds (2000 + 400) tokens per sequence, on demand
     * the mean 2,200: the batches are in that ratio. */
    struct ic_perf ra, ro;
    pv.admission = IC_ADMIT_RESERVE;
    CHECK(ic_perf_replica(l70, h100, &pv, &mix, &ra, why, sizeof why) == 0);
    pv.admission = IC_ADMIT_ON_DEMAND;
    CHECK(ic_perf_replica(l70, h100, &pv, &mix, &ro, why, sizeof why) == 0);
    CHECK_NEAR(ra.kv_capacity_bytes, ro.kv_capacity_bytes, 1e-12);
    CHECK(ra.batch_memory == (long)floor(ra.kv_capacity_bytes / (2400 * 163840.0)));
    CHECK(ro.batch_memory == (long)floor(ro.kv_capacity_bytes / (2200 * 163840.0)));
    /* KV budget: 2 x (80 GB x 0.9 - 2 GB reserve) - weights, times the fraction. */
    CHECK_NEAR(ro.kv_capacity_bytes, 2 * (72e9 - 2e9) - (body + 2 * emb), 1e-12);
    pv.kv_fraction = 0.5;
    CHECK(ic_perf_replica(l70, h100, &pv, &mix, &ro, why, sizeof why) == 0);
    CHECK_NEAR(ro.kv_capacity_bytes, 0.5 * (2 * 70e9 - (body + 2 * emb)), 1e-12);
    pv.kv_fraction = 1;
    /* Maximum throughput: no objective binds; the batch is the cap (memory here). */
    pv.tpot_slo_s = 0.001;
    pv.max_throughput = 1;
    CHECK(ic_perf_replica(l70, h100, &pv, &mix, &ro, why, sizeof why) == 0);
    CHECK(ro.limit == IC_LIMIT_MEMORY && ro.batch == ro.batch_memory);
    pv.max_throughput = 0;
    pv.tpot_slo_s = 0.05;
    /* MTP: one draft token accepted at 0.85 (DeepSeek-V3's default) gives 1.85 tokens per
     * step; two at 0.6 give 1 + 0.6 + 0.36. */
    struct ic_perf_params pm = params(8, 2, IC_PREC_FP8);
    pm.mtp = 1;
    CHECK(ic_perf_replica(dsv3, h100, &pm, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.tokens_per_step_seq, 1.85, 1e-12);
    CHECK_NEAR(r.decode_tokens_per_s, r.batch * 1.85 / r.step_s, 1e-12);
    pm.mtp = 2;
    pm.mtp_accept = 0.6;
    CHECK(ic_perf_replica(dsv3, h100, &pm, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.tokens_per_step_seq, 1.96, 1e-12);
    /* MoE all-to-all, within a node: DeepSeek-V3 on 8 H800 with attention data-parallel 8 and
     * experts over 8, 64 decode sequences (8 per rank), no overlap: per MoE layer each rank
     * sends 8 tokens x 8 experts x 7/8 remote x 7,168 x (1 B FP8 dispatch + 2 B BF16 combine)
     * over half of 400 GB/s, plus two latencies; 58 MoE layers. */
    struct ic_perf_params pe2 = params(1, 1, IC_PREC_FP8);
    pe2.attention_dp = 8;
    pe2.ep = 8;
    pe2.overlap = 0;
    pe2.imbalance = 1;
    ic_perf_step_ops(dsv3, h800, &pe2, 64, 0, 0, 0, ops);
    double a2a = 58 * (8.0 * 8 * 7 / 8 * 7168 * 3 / 200e9 + 2 * 6e-6);
    CHECK_NEAR(ops[IC_OP_COMM], a2a, 1e-12);
    /* Each accelerator holds 32 experts and serves 64 x 8 / 8 = 64 token-expert pairs. */
    double touched = 1 - pow(1 - 8.0 / 256, 64);
    CHECK_NEAR(ops[IC_OP_EXPERT], routed / 8 * touched / (3.35e12 * 0.7), 1e-9);
    /* Imbalance scales the expert work; overlap hides 0.50 of the shorter side. */
    pe2.imbalance = 1.5;
    double ops2[8];
    ic_perf_step_ops(dsv3, h800, &pe2, 64, 0, 0, 0, ops2);
    CHECK_NEAR(ops2[IC_OP_EXPERT], 1.5 * ops[IC_OP_EXPERT], 1e-12);
    /* Unequal ranks (struct ic_rank_load): the busiest rank's 12 of the 64 sequences at twice
     * the context make its rank-local operators: attention reads 12 x 4,000 tokens where the
     * even spread reads 8 x 2,000 (3x), the all-to-all sends 12 tokens' experts, not 8 (1.5x,
     * latencies apart); the routed experts still see all 64 tokens.  The even spread given as
     * the busiest rank is the step without one. */
    {
        double o0[8], o1[8], o2[8];
        ic_perf_step_ops(dsv3, h800, &pe2, 64, 2000, 0, 0, o0);
        struct ic_rank_load even = {8, 2000, 0, 0}, busy = {12, 4000, 0, 0};
        ic_perf_step_ranks_ops(dsv3, h800, &pe2, 64, 2000, 0, 0, &even, o1);
        ic_perf_step_ranks_ops(dsv3, h800, &pe2, 64, 2000, 0, 0, &busy, o2);
        for (int i = 0; i < 8; i++) CHECK_NEAR(o1[i], o0[i], 1e-12);
        CHECK_NEAR(o2[IC_OP_ATTN_DECODE], 3 * o0[IC_OP_ATTN_DECODE], 1e-12);
        CHECK_NEAR(o2[IC_OP_EXPERT], o0[IC_OP_EXPERT], 1e-12);
        CHECK_NEAR(o2[IC_OP_COMM] - 58 * 2 * 6e-6, 1.5 * (o0[IC_OP_COMM] - 58 * 2 * 6e-6), 1e-9);
    }
    pe2.imbalance = 1;
    pe2.overlap = 1;
    ic_perf_step_ops(dsv3, h800, &pe2, 64, 0, 0, 0, ops2);
    /* Two micro-batches: each reads the (memory-bound) dense weights, and the experts its 32
     * tokens touch, once; each pays its own dispatch and combine latencies. */
    CHECK_NEAR(ops2[IC_OP_GEMM], 2 * ops[IC_OP_GEMM], 1e-12);
    double touched2 = 1 - pow(1 - 8.0 / 256, 32);
    CHECK_NEAR(ops2[IC_OP_EXPERT], 2 * routed / 8 * touched2 / (3.35e12 * 0.7), 1e-9);
    double a2a2 = 58 * (8.0 * 8 * 7 / 8 * 7168 * 3 / 200e9 + 4 * 6e-6);
    double body_ops = 0;
    for (int i = 0; i < IC_OP_COMM; i++) body_ops += ops2[i];
    CHECK_NEAR(ops2[IC_OP_COMM], a2a2 > body_ops ? a2a2 - 0.50 * body_ops : 0.50 * a2a2, 1e-12);
    /* Across nodes in decode (DeepEP low-latency mode): one copy per remote expert, at the
     * share of the network DeepEP's own low-latency figures give (0.81 at EP16, below the
     * SGLang profile's 0.90), plus the profile's 20 us per dispatch and per combine. */
    {
        struct ic_perf_params pl = params(1, 1, IC_PREC_FP8);
        pl.sw = *ic_sw_profile_find("nvidia-sglang-2025");
        pl.attention_dp = 16;
        pl.ep = 16;
        pl.overlap = 0;
        pl.imbalance = 1;
        double o[8];
        ic_perf_step_ops(dsv3, h800, &pl, 128, 0, 0, 0, o);
        double t_out = 8.0 * 8 / 2 * 7168 * 3 / (50e9 * 0.81);
        double t_up = 8.0 * 8 / 2 * 7168 * 3 / (200e9 * 0.8);
        CHECK_NEAR(o[IC_OP_COMM], 58 * (fmax(t_out, t_up) + 2 * 20e-6), 1e-12);
    }
    /* Without a balancer the hottest accelerator carries 3.29x (decode), with EPLB 1.047.
     * (Replicas of 16: eight copies of 82 GB of experts would not fit 8 H800s.) */
    pe2.attention_dp = 16;
    pe2.ep = 16;
    pe2.imbalance = 0;
    pe2.eplb = 1;
    CHECK(ic_perf_replica(dsv3, h800, &pe2, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.imbalance, 1.047, 1e-12);
    pe2.eplb = 0;
    CHECK(ic_perf_replica(dsv3, h800, &pe2, &mix, &r, why, sizeof why) == 0);
    CHECK_NEAR(r.imbalance, 3.29, 1e-12);
    /* Prefill keeps more imbalance than decode under EPLB (few independent prompts per step):
     * a step of prompt tokens only (16 ranks x 4,096) has its expert GEMMs 1.239x those at
     * perfect balance with EPLB and 1.973x without; a decode step 1.047x and 3.29x.  The
     * expert operator is the imbalance times max(weight reads, FLOPs) at balance, so the
     * ratios are exact. */
    {
        double ob[8], oi[8];
        pe2.imbalance = 1;
        ic_perf_step_ops(dsv3, h800, &pe2, 0, 0, 16 * 4096.0, 2048, ob);
        pe2.imbalance = 0;
        pe2.eplb = 1;
        ic_perf_step_ops(dsv3, h800, &pe2, 0, 0, 16 * 4096.0, 2048, oi);
        CHECK_NEAR(oi[IC_OP_EXPERT], 1.239 * ob[IC_OP_EXPERT], 1e-12);
        pe2.eplb = 0;
        ic_perf_step_ops(dsv3, h800, &pe2, 0, 0, 16 * 4096.0, 2048, oi);
        CHECK_NEAR(oi[IC_OP_EXPERT], 1.973 * ob[IC_OP_EXPERT], 1e-12);
        pe2.imbalance = 1;
        ic_perf_step_ops(dsv3, h800, &pe2, 16 * 128.0, 2000, 0, 0, ob);
        pe2.imbalance = 0;
        ic_perf_step_ops(dsv3, h800, &pe2, 16 * 128.0, 2000, 0, 0, oi);
        CHECK_NEAR(oi[IC_OP_EXPERT], 3.29 * ob[IC_OP_EXPERT], 1e-12);
        pe2.eplb = 1;
        ic_perf_step_ops(dsv3, h800, &pe2, 16 * 128.0, 2000, 0, 0, oi);
        CHECK_NEAR(oi[IC_OP_EXPERT], 1.047 * ob[IC_OP_EXPERT], 1e-12);
        /* A step mostly of prompt tokens counts as prefill, mostly of decode tokens as decode. */
        ic_perf_step_ops(dsv3, h800, &pe2, 16.0, 2000, 16 * 4096.0, 2048, oi);
        pe2.imbalance = 1;
        ic_perf_step_ops(dsv3, h800, &pe2, 16.0, 2000, 16 * 4096.0, 2048, ob);
        CHECK_NEAR(oi[IC_OP_EXPERT], 1.239 * ob[IC_OP_EXPERT], 1e-12);
        pe2.imbalance = 0;
    }
    /* Disaggregated units: a prefill unit's rate per accelerator is a full chunk per rank over
     * the step; the replica is one unit of each role, served at the slower role's pace. */
    pe2.eplb = 1;
    pe2.disaggregated = 1;
    pe2.max_throughput = 1;
    pe2.prefill_unit = 16;
    pe2.decode_unit = 32;
    CHECK(ic_perf_replica(dsv3, h800, &pe2, &mix, &r, why, sizeof why) == 0);
    double pstep = ic_perf_step(dsv3, h800, &pe2, 0, 0, 8192.0 * 16, 1000, NULL, NULL);
    CHECK_NEAR(r.prefill_tok_s_per_accel, 8192.0 * 16 / pstep / 16, 1e-12);
    CHECK(r.accels == 48 && r.prefill_accels == 16 && r.decode_accels == 32);
    CHECK_NEAR(r.requests_per_s_sat,
               fmin(16 * r.prefill_tok_s_per_accel / 2000, 32 * r.decode_tok_s_per_accel / 400),
               1e-12);
    /* A pipeline adds prefill throughput (every stage busy with its own chunk), it does not
     * halve it per stage: pp 2 x 8192 tokens per step over 16 accelerators. */
    struct ic_perf_params pq2 = params(8, 2, IC_PREC_FP8);
    pq2.disaggregated = 1;
    struct ic_perf q2;
    CHECK(ic_perf_replica(dsv3, h100, &pq2, &mix, &q2, why, sizeof why) == 0);
    CHECK_NEAR(q2.prefill_tok_s_per_accel,
               8192.0 * 2 / ic_perf_step(dsv3, h100, &pq2, 0, 0, 8192.0 * 2, 1000, NULL, NULL) / 16,
               1e-12);

    /* AMD's GEMMs run at the max-achievable rate AMD publishes (hipBLASLt MAF: 1,273 TFLOP/s
     * FP8 on MI300X, 1,519 on MI325X, against the same 2,614.9 datasheet peak), times the
     * profile's share of it (0.91).  A compute-bound step of 8,192 prompt tokens on one
     * accelerator: the dense GEMMs take 2 x 68.98e9 x 8,192 FLOPs over 0.91 x 1,273e12 and
     * 0.91 x 1,519e12 FLOP/s (weights 69 GB at 5.3 or 6 TB/s take far less). */
    {
        const struct ic_accelerator *mi300 = ic_catalog_accel(&cat, "amd_mi300x");
        const struct ic_accelerator *mi325 = ic_catalog_accel(&cat, "amd_mi325x");
        const struct ic_llm *l2 = ic_catalog_llm(&cat, "llama-2-70b");
        CHECK(mi300 && mi325 && l2);
        struct ic_perf_params pamd;
        ic_perf_params_defaults(&pamd, mi300);
        CHECK(strcmp(pamd.sw.name, "amd-rocm-2025") == 0 && pamd.sw.gemm_eff[IC_PREC_FP8] == 0.91);
        pamd.weight_precision = IC_PREC_FP8;
        double oa[8], ob[8];
        ic_perf_step_ops(l2, mi300, &pamd, 0, 0, 8192, 4096, oa);
        ic_perf_step_ops(l2, mi325, &pamd, 0, 0, 8192, 4096, ob);
        /* llama-2-70b is dense: the GEMMs hold the body, the parameters less the embeddings. */
        double body70 = l2->total_params_b - 2.0 * l2->vocab_size * l2->hidden_size / 1e9;
        CHECK_NEAR(oa[IC_OP_GEMM], 2 * body70 * 1e9 * 8192 / (0.91 * 1273e12), 1e-12);
        CHECK_NEAR(ob[IC_OP_GEMM], 2 * body70 * 1e9 * 8192 / (0.91 * 1519e12), 1e-12);
        /* An efficiency given by hand stays a share of the datasheet peak. */
        pamd.prefill_mfu = 0.5;
        ic_perf_step_ops(l2, mi300, &pamd, 0, 0, 8192, 4096, oa);
        CHECK_NEAR(oa[IC_OP_GEMM], 2 * body70 * 1e9 * 8192 / (0.5 * 2614.9e12), 1e-12);
        /* NVIDIA's profiles stay shares of the datasheet peak (0.77 FP8 on H100). */
        ic_perf_params_defaults(&pamd, h100);
        pamd.weight_precision = IC_PREC_FP8;
        ic_perf_step_ops(l2, h100, &pamd, 0, 0, 8192, 4096, oa);
        CHECK_NEAR(oa[IC_OP_GEMM], 2 * body70 * 1e9 * 8192 / (0.77 * 1978.9e12), 1e-12);
    }

    /* The TPOT objective judges the 99th-percentile request's mean step: the mean step plus
     * 2.326 standard deviations of the mean over the request's steps, a share q of which carry
     * a prompt chunk.  Llama-3.1-70B FP8 on 2 H100, 300-token prompts and answers, a budget of
     * 512 tokens, at most 200 sequences.  At batch 200: decode context 300 + 150 = 450, prefix
     * context 150, prompt tokens per decode token 300/300 = 1, so the mean step carries 200
     * prompt tokens, as 300-token chunks (min(300, 512 - 200)) on q = 2/3 of the steps; a
     * request decodes in 300 steps, so sd = sqrt(2/9 / 300) (step(300) - step(0)). */
    {
        struct ic_perf_params pq = params(2, 1, IC_PREC_FP8);
        pq.max_batched_tokens = 512;
        pq.max_batch = 200;
        struct ic_mix m300 = chat(300, 300);
        double s0 = ic_perf_step(l70, h100, &pq, 200, 450, 0, 0, NULL, NULL);
        double sc = ic_perf_step(l70, h100, &pq, 200, 450, 300, 150, NULL, NULL);
        double mean = s0 / 3 + 2 * sc / 3;
        double judged = mean + 2.326 * sqrt(2.0 / 9.0 / 300.0) * (sc - s0);
        CHECK(sc > s0 * 1.1 && judged > mean * 1.005);
        struct ic_perf rc;
        /* Just over the judged step: batch 200, the sequence cap; just under: fewer. */
        pq.tpot_slo_s = judged * 1.001;
        CHECK(ic_perf_replica(l70, h100, &pq, &m300, &rc, why, sizeof why) == 0);
        CHECK(rc.batch == 200 && rc.limit == IC_LIMIT_MAX_BATCH);
        CHECK_NEAR(rc.step_s, mean, 1e-9);
        pq.tpot_slo_s = judged * 0.999;
        CHECK(ic_perf_replica(l70, h100, &pq, &m300, &rc, why, sizeof why) == 0);
        CHECK(rc.batch < 200 && rc.limit == IC_LIMIT_SLO);
        /* Between the mean and the judged step: the spread alone costs sequences. */
        pq.tpot_slo_s = 0.5 * (mean + judged);
        CHECK(ic_perf_replica(l70, h100, &pq, &m300, &rc, why, sizeof why) == 0);
        CHECK(rc.batch < 200);
    }

    /* Vendor families and precisions. */
    double mfu, mbu;
    ic_vendor_efficiency(a910, &mfu, &mbu);
    CHECK(mfu == 0.68 && mbu == 0.75); /* huawei-cann-2025, BF16 GEMM (no FP8 on 910B) */
    ic_vendor_efficiency(h100, &mfu, &mbu);
    CHECK(mfu == 0.77 && mbu == 0.85); /* nvidia-trtllm-2025 */
    CHECK(strcmp(ic_sw_profile_default(h100)->name, "nvidia-trtllm-2025") == 0);
    CHECK(ic_sw_profile_find("amd-rocm-2025") && !ic_sw_profile_find("nvidia-2019"));
    for (int i = 0; i < ic_sw_profile_count(); i++) CHECK(ic_sw_profile_at(i)->source[0]);
    CHECK(isnan(ic_peak_flops(a910, IC_PREC_FP8)));
    CHECK_NEAR(ic_peak_flops(h100, IC_PREC_FP8), 1978.9e12, 1e-12);
    ic_catalog_free(&cat);
    return check_report("test_perf");
}
