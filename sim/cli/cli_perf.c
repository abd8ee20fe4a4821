/* cli_perf.c: `infercap perf`, the single-replica calculator.  Its options are scenario fields
 * (/serving, the request class): each is set on a scenario of the parameter table's defaults
 * through the table (ic_scenario_override: every option checked against the table, every
 * default the table's, the loader's messages), with no scenario text and no plan; the replica
 * comes from the performance model (models/perf.c) through the mapping the plan uses too
 * (sim/config/replica.h), and is printed. */
#include "sim/cli/cli_perf.h"

#include "sim/config/catalog_io.h"
#include "sim/config/replica.h"
#include "sim/config/scenario.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage_perf =
    "usage: infercap perf --model M --accelerator A [options]\n"
    "\n"
    "What one replica of model M on accelerator A delivers: accelerators per replica, the\n"
    "batch the KV cache holds, TTFT and inter-token latency at concurrency 1, saturated\n"
    "throughput under the objectives, and what limits it.\n"
    "\n"
    "options:\n"
    "  --model M              catalog key (`infercap catalog models`)\n"
    "  --accelerator A        catalog key (`infercap catalog accelerators`)\n"
    "  --tp N, --pp N         tensor-parallel degree and pipeline stages (default: smallest\n"
    "                         replica that fits)\n"
    "  --ep N                 expert-parallel degree (MoE; default 1)\n"
    "  --precision P          weights: bf16, fp8, int8 or fp4 (default bf16)\n"
    "  --kv-precision P       KV cache: bf16, fp8 or int8 (default bf16)\n"
    "  --input-tokens L       prompt tokens per request (default 1000)\n"
    "  --output-tokens L      answer tokens per request (default 250)\n"
    "  --reasoning-tokens L   reasoning tokens before the answer (default 0)\n"
    "  --cache-hit F          prefix cache-hit fraction of the prompt (default 0)\n"
    "  --tpot-slo-ms Y        time-per-output-token objective: a request's mean time per\n"
    "                         token after the first, at the 99th percentile (default 50)\n"
    "  --ttft-slo-s X         time-to-first-token objective at load (default: none)\n"
    "  --max-batch N          scheduler cap on running sequences (default 256)\n"
    "  --disaggregated        separate prefill and decode pools\n"
    "  --prefill-unit N       disaggregated: accelerators per prefill unit\n"
    "  --decode-unit N        disaggregated: accelerators per decode unit\n"
    "  --attention-dp N       attention data-parallel ranks (MoE served at scale, with --ep)\n"
    "  --no-eplb              no expert-parallel load balancer (imbalance as measured without)\n"
    "  --imbalance X          hottest accelerator's expert load over the mean (forced)\n"
    "  --overlap yes|no       two-micro-batch overlap of all-to-all and compute (default: with\n"
    "                         attention-dp and ep)\n"
    "  --node-limit N         MoE: most nodes a token's experts span (DeepSeek-V3: 4)\n"
    "  --mtp N                draft tokens per step (multi-token prediction)\n"
    "  --mtp-accept R         acceptance rate of each draft token (default: the model's)\n"
    "  --max-throughput       no latency objective: batch set by memory and scheduler caps\n"
    "  --max-batched-tokens N scheduler cap on tokens per step (per attention rank)\n"
    "  --software PROFILE     serving-software profile (default: the vendor family's):\n"
    "                         nvidia-trtllm-2025, nvidia-vllm-2025, nvidia-sglang-2025,\n"
    "                         amd-rocm-2025, huawei-cann-2025, generic-guess\n"
    "  --admission P          KV admission: reserve (prompt + output) or on-demand\n"
    "  --kv-fraction F        share of free memory (after weights, reserve) for the KV cache\n"
    "  --attn-precision P     attention kernels: bf16 (default) or fp8\n"
    "  --set /ptr=VALUE       any other scenario field (e.g. /serving/decode_mbu=0.6; /fleet's\n"
    "                         do not apply to one replica)\n"
    "  --json                 one JSON object on stdout\n"
    "  -h, --help             this help\n"
    "\n"
    "Each option is a scenario field under /serving (`infercap params`), so a scenario run by\n"
    "`infercap run` serves the same way: --software: software, --attention-dp: attention_dp,\n"
    "--no-eplb: eplb \"no\", --imbalance: expert_imbalance, --overlap: overlap, --node-limit:\n"
    "node_limit, --mtp: mtp, --mtp-accept: mtp_accept, --max-throughput: max_throughput \"yes\",\n"
    "--admission: admission, --kv-fraction: kv_fraction, --attn-precision: attention_precision,\n"
    "--prefill-unit and --decode-unit: prefill_unit and decode_unit, and so on (--tp:\n"
    "tensor_parallel, --ep: expert_parallel, --disaggregated: disaggregated \"yes\").  The\n"
    "request lengths are the one class of /workload/classes, with sigma 0.\n";

/* What the options say beyond the scenario: the request (for the sizing of `infercap perf`'s
 * own rule) and whether an option of the performance model v2 was given. */
struct extras {
    int any;
    double in, out, reason, hit;
};

/* The options as "/pointer=VALUE" sets, in order: the fixed fields of the one-class scenario
 * and the options (the first n_opts, whose messages name the field alone), then --set's (whose
 * messages say "(from --set)"). */
#define MAX_SETS 320
struct sets {
    char *v[MAX_SETS];
    const char *note[MAX_SETS];
    int n, n_opts, serving; /* serving: an option set a /serving field */
    int nomem;
};

/* Add "/pointer=VALUE" (value JSON text), replacing an earlier set of the same pointer (the
 * last one given wins, as it has always done). */
static void add_set(struct sets *s, const char *pointer, const char *json, const char *note) {
    const char *slash = pointer[0] == '/' ? "" : "/";
    size_t plen = strlen(slash) + strlen(pointer), n = plen + strlen(json) + 2;
    char *v = malloc(n);
    if (!v || s->n >= MAX_SETS) {
        free(v);
        s->nomem = 1;
        return;
    }
    snprintf(v, n, "%s%s=%s", slash, pointer, json);
    for (int i = 0; i < s->n; i++)
        if (strncmp(s->v[i], v, plen + 1) == 0) {
            free(s->v[i]);
            memmove(&s->v[i], &s->v[i + 1], (size_t)(s->n - i - 1) * sizeof s->v[0]);
            memmove(&s->note[i], &s->note[i + 1], (size_t)(s->n - i - 1) * sizeof s->note[0]);
            s->n--;
            if (i < s->n_opts) s->n_opts--;
            break;
        }
    s->v[s->n] = v;
    s->note[s->n++] = note;
    if (note) s->n_opts = s->n; /* the options come before every --set */
    if (note && strncmp(v, "/serving/", 9) == 0) s->serving = 1;
}

static void add_string(struct sets *s, const char *pointer, const char *value) {
    cJSON *j = cJSON_CreateString(value);
    char *text = j ? cJSON_PrintUnformatted(j) : NULL;
    if (text)
        add_set(s, pointer, text, "");
    else
        s->nomem = 1;
    free(text);
    cJSON_Delete(j);
}

static void add_number(struct sets *s, const char *pointer, double x) {
    char num[40];
    snprintf(num, sizeof num, "%.17g", x);
    add_set(s, pointer, num, "");
}

static void sets_free(struct sets *s) {
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    s->n = 0;
}

static int number_arg(const char *opt, const char *arg, double *out) {
    char *end;
    double x = strtod(arg, &end);
    if (end == arg || *end || !isfinite(x)) {
        fprintf(stderr, "infercap perf: %s: got \"%s\", expected a number\n\n%s", opt, arg,
                usage_perf);
        return -1;
    }
    *out = x;
    return 0;
}

static void print_text(const struct ic_scenario *sc, const struct ic_perf *r,
                       const struct ic_perf_params *pp) {
    double mfu, mbu;
    ic_vendor_efficiency(&sc->accelerator.value, &mfu, &mbu);
    double pm = ic_dist_mean(&sc->serving.prefill_mfu), bm = ic_dist_mean(&sc->serving.decode_mbu);
    printf("%s on %s, %s weights, %s KV cache\n", sc->model.value.key, sc->accelerator.value.key,
           ic_precision_name(sc->serving.weight_precision),
           ic_precision_name(sc->serving.kv_precision));
    printf("  replica      %ld accelerators (tp %ld x pp %ld%s)%s\n", r->accels, r->tp, r->pp,
           r->ep > 1 ? ", experts over ep" : "",
           sc->serving.disaggregated ? ", prefill and decode disaggregated" : "");
    int reserve = pp->admission == IC_ADMIT_RESERVE ||
                  (pp->admission == IC_ADMIT_PROFILE && pp->sw.name && pp->sw.admission_reserve);
    printf("  memory       weights %.1f GB; KV cache %.1f GB at %.0f B/token = %ld sequences (%s; "
           "mean context %.0f tokens)\n",
           r->weight_bytes / 1e9, r->kv_capacity_bytes / 1e9, r->kv_bytes_per_token,
           r->batch_memory, reserve ? "each reserving prompt + output" : "allocated on demand",
           r->decode_context);
    printf("  software     %s%s: GEMM %.2f of peak, memory %.2f of bandwidth, overhead %.2f ms "
           "per step\n",
           pp->sw.name ? pp->sw.name : "none", pm > 0 || bm > 0 ? " (MFU/MBU overridden)" : "",
           pm > 0 ? pm : pp->sw.gemm_eff[pp->weight_precision], bm > 0 ? bm : pp->sw.mem_eff,
           1e3 * r->step_ops[IC_OP_OVERHEAD]);
    (void)mfu;
    (void)mbu;
    if (r->attention_dp > 1 || r->ep > 1)
        printf("  parallel     attention data-parallel %ld, experts over %ld, imbalance %.3f\n",
               r->attention_dp, r->ep, r->imbalance);
    if (r->tokens_per_step_seq > 1)
        printf("  MTP          %.2f tokens per sequence per step\n", r->tokens_per_step_seq);
    printf("  step ops    ");
    for (int i = 0; i < 8; i++)
        printf(" %s %.2f ms%s", ic_perf_op_name(i), 1e3 * r->step_ops[i], i < 7 ? "," : "\n");
    if (sc->serving.disaggregated)
        printf("  roles        prefill %.4g prompt tok/s per accelerator (%ld per unit), decode "
               "%.4g tok/s per accelerator (%ld per unit)\n",
               r->prefill_tok_s_per_accel, r->prefill_accels, r->decode_tok_s_per_accel,
               r->decode_accels);
    printf("  alone        TTFT %.3f s, inter-token latency %.1f ms (%.0f tokens/s)\n", r->ttft1_s,
           1e3 * r->step1_s, 1.0 / r->step1_s);
    printf("  saturated    batch %ld (limited by %s), step %.1f ms (%s-bound), prefill %.0f "
           "tokens/step\n",
           r->batch, ic_batch_limit_name(r->limit), 1e3 * r->step_s,
           r->compute_bound ? "compute" : "bandwidth", r->prefill_per_step);
    printf("               %.4g requests/s, %.4g decode tokens/s, %.4g tokens/s in + out\n",
           r->requests_per_s_sat, r->decode_tokens_per_s,
           r->requests_per_s_sat * r->tokens_per_request);
    if (sc->serving.ttft_slo_s > 0)
        printf("  TTFT SLO     %.3g s holds up to load %.2f: %.4g requests/s%s\n",
               sc->serving.ttft_slo_s, r->ttft_rho, r->requests_per_s,
               r->ttft_rho <= 0 ? " (cannot be met)" : "");
    printf("  capacity     %.4g requests/s, %.4g tokens/s per replica; %.4g requests/s per "
           "accelerator\n",
           r->requests_per_s, r->tokens_per_s, r->requests_per_s / (double)r->accels);
    if (r->kv_transfer_s > 0) printf("  KV transfer  %.3f s per request\n", r->kv_transfer_s);
}

static void print_json(const struct ic_scenario *sc, const struct ic_perf *r,
                       const struct ic_perf_params *pp) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "model", sc->model.value.key);
    cJSON_AddStringToObject(o, "accelerator", sc->accelerator.value.key);
    cJSON_AddNumberToObject(o, "accelerators_per_replica", (double)r->accels);
    cJSON_AddNumberToObject(o, "tp", (double)r->tp);
    cJSON_AddNumberToObject(o, "pp", (double)r->pp);
    cJSON_AddNumberToObject(o, "ep", (double)r->ep);
    cJSON_AddNumberToObject(o, "weight_bytes", r->weight_bytes);
    cJSON_AddNumberToObject(o, "kv_bytes_per_token", r->kv_bytes_per_token);
    cJSON_AddNumberToObject(o, "kv_capacity_bytes", r->kv_capacity_bytes);
    cJSON_AddNumberToObject(o, "batch_memory", (double)r->batch_memory);
    cJSON_AddNumberToObject(o, "batch", (double)r->batch);
    cJSON_AddStringToObject(o, "batch_limit", ic_batch_limit_name(r->limit));
    cJSON_AddStringToObject(o, "step_bound", r->compute_bound ? "compute" : "bandwidth");
    cJSON_AddNumberToObject(o, "step_s", r->step_s);
    cJSON_AddNumberToObject(o, "ttft_concurrency1_s", r->ttft1_s);
    cJSON_AddNumberToObject(o, "itl_concurrency1_s", r->step1_s);
    cJSON_AddNumberToObject(o, "requests_per_s_saturated", r->requests_per_s_sat);
    cJSON_AddNumberToObject(o, "ttft_slo_load", r->ttft_rho);
    cJSON_AddNumberToObject(o, "requests_per_s", r->requests_per_s);
    cJSON_AddNumberToObject(o, "decode_tokens_per_s", r->decode_tokens_per_s);
    cJSON_AddNumberToObject(o, "tokens_per_s", r->tokens_per_s);
    cJSON_AddNumberToObject(o, "ttft_saturated_s", r->ttft_s[0]);
    cJSON_AddNumberToObject(o, "kv_transfer_s", r->kv_transfer_s);
    cJSON *tl = cJSON_AddArrayToObject(o, "ttft_by_load"); /* [utilisation, mean TTFT s] */
    for (int k = 0; k < IC_PERF_LOAD_POINTS; k += 2) {
        cJSON *pt = cJSON_CreateArray();
        cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)k / (IC_PERF_LOAD_POINTS - 1)));
        cJSON_AddItemToArray(pt, cJSON_CreateNumber(r->ttft1_s + r->ttft_wait_s[k]));
        cJSON_AddItemToArray(tl, pt);
    }
    cJSON_AddStringToObject(o, "software", pp->sw.name ? pp->sw.name : "none");
    cJSON_AddNumberToObject(o, "attention_dp", (double)r->attention_dp);
    cJSON_AddNumberToObject(o, "expert_imbalance", r->imbalance);
    cJSON_AddNumberToObject(o, "tokens_per_step_per_sequence", r->tokens_per_step_seq);
    cJSON_AddNumberToObject(o, "tpot_s", r->step_s / r->tokens_per_step_seq);
    cJSON_AddNumberToObject(o, "decode_tokens_per_s_per_accelerator", r->decode_tok_s_per_accel);
    cJSON_AddNumberToObject(o, "prefill_tokens_per_s_per_accelerator", r->prefill_tok_s_per_accel);
    cJSON *ops = cJSON_AddObjectToObject(o, "step_ops_s");
    for (int i = 0; i < 8; i++) cJSON_AddNumberToObject(ops, ic_perf_op_name(i), r->step_ops[i]);
    if (sc->serving.disaggregated) {
        cJSON *roles = cJSON_AddObjectToObject(o, "roles");
        cJSON *pr = cJSON_AddObjectToObject(roles, "prefill");
        cJSON_AddNumberToObject(pr, "unit_accelerators", (double)r->prefill_accels);
        cJSON_AddNumberToObject(pr, "input_tokens_per_s_per_accelerator",
                                r->prefill_tok_s_per_accel);
        cJSON_AddNumberToObject(pr, "input_tokens_per_s_per_unit",
                                r->prefill_tok_s_per_accel * (double)r->prefill_accels);
        cJSON *dr = cJSON_AddObjectToObject(roles, "decode");
        cJSON_AddNumberToObject(dr, "unit_accelerators", (double)r->decode_accels);
        cJSON_AddNumberToObject(dr, "output_tokens_per_s_per_accelerator",
                                r->decode_tok_s_per_accel);
        cJSON_AddNumberToObject(dr, "output_tokens_per_s_per_unit",
                                r->decode_tok_s_per_accel * (double)r->decode_accels);
    }
    char *s = cJSON_PrintUnformatted(o);
    printf("%s\n", s ? s : "{}");
    free(s);
    cJSON_Delete(o);
}

/* Whether `infercap perf`'s own sizing applies: nothing sets the replica's size, and it has
 * one pipeline stage. */
static int automatic_node(const struct ic_scenario *sc, const struct ic_perf_params *pp) {
    return sc->serving.tensor_parallel == 0 && sc->serving.pipeline_parallel == 0 &&
           sc->serving.attention_dp <= 0 && pp->pp == 1;
}

int ic_cli_perf(int argc, char **argv) {
    static const struct option longopts[] = {{"model", required_argument, 0, 'm'},
                                             {"accelerator", required_argument, 0, 'a'},
                                             {"tp", required_argument, 0, 't'},
                                             {"pp", required_argument, 0, 'p'},
                                             {"ep", required_argument, 0, 'e'},
                                             {"precision", required_argument, 0, 'P'},
                                             {"kv-precision", required_argument, 0, 'K'},
                                             {"input-tokens", required_argument, 0, 'i'},
                                             {"output-tokens", required_argument, 0, 'o'},
                                             {"reasoning-tokens", required_argument, 0, 'r'},
                                             {"cache-hit", required_argument, 0, 'c'},
                                             {"tpot-slo-ms", required_argument, 0, 'T'},
                                             {"ttft-slo-s", required_argument, 0, 'F'},
                                             {"max-batch", required_argument, 0, 'B'},
                                             {"disaggregated", no_argument, 0, 'D'},
                                             {"prefill-unit", required_argument, 0, 1001},
                                             {"decode-unit", required_argument, 0, 1002},
                                             {"attention-dp", required_argument, 0, 1003},
                                             {"no-eplb", no_argument, 0, 1004},
                                             {"imbalance", required_argument, 0, 1005},
                                             {"overlap", required_argument, 0, 1006},
                                             {"node-limit", required_argument, 0, 1007},
                                             {"mtp", required_argument, 0, 1008},
                                             {"mtp-accept", required_argument, 0, 1009},
                                             {"max-throughput", no_argument, 0, 1010},
                                             {"max-batched-tokens", required_argument, 0, 1011},
                                             {"software", required_argument, 0, 1012},
                                             {"admission", required_argument, 0, 1013},
                                             {"kv-fraction", required_argument, 0, 1014},
                                             {"attn-precision", required_argument, 0, 1015},
                                             {"set", required_argument, 0, 'S'},
                                             {"json", no_argument, 0, 'J'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    /* The one-class scenario `infercap perf` has always described, then the options. */
    struct sets S = {0};
    static const char *const fixed[][2] = {
        {"/name", "\"perf\""},
        {"/paths", "1"},
        {"/horizon_days", "0.001"},
        {"/step_s", "60"},
        {"/output/interval_s", "60"},
        {"/output/store_paths", "0"},
        {"/start", "\"2025-01-01T00:00:00Z\""},
        {"/workload/classes/0/name", "\"request\""},
        {"/workload/classes/0/input_tokens/sigma", "0"},
        {"/workload/classes/0/output_tokens/sigma", "0"},
        {"/workload/classes/0/reasoning_tokens/sigma", "0"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        add_set(&S, fixed[i][0], fixed[i][1], "");
    const char *user_sets[256];
    int nsets = 0, json = 0, c, rc = 2, have_model = 0, have_accel = 0;
    double x = 0;
    struct extras ex = {0};
    ex.in = 1000;
    ex.out = 250;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            add_string(&S, "model", optarg);
            have_model = 1;
            break;
        case 'a':
            add_string(&S, "accelerator", optarg);
            have_accel = 1;
            break;
        case 'P':
            add_string(&S, "serving/weight_precision", optarg);
            break;
        case 'K':
            add_string(&S, "serving/kv_precision", optarg);
            break;
        case 'D':
            add_string(&S, "serving/disaggregated", "yes");
            break;
        case 'S':
            if (nsets < 256) user_sets[nsets++] = optarg;
            break;
        case 1004:
            add_string(&S, "serving/eplb", "no");
            ex.any = 1;
            break;
        case 1010:
            add_string(&S, "serving/max_throughput", "yes");
            ex.any = 1;
            break;
        case 1012:
            if (!ic_sw_profile_find(optarg)) {
                fprintf(stderr, "infercap perf: --software: no profile \"%s\"\n\n%s", optarg,
                        usage_perf);
                sets_free(&S);
                return 2;
            }
            add_string(&S, "serving/software", optarg);
            ex.any = 1;
            break;
        case 1006:
        case 1013:
        case 1015: {
            const char *ok = c == 1006 ? "yes|no" : c == 1013 ? "reserve|on-demand" : "bf16|fp8";
            /* the scenario's names, less the default ways (auto, profile) */
            int v = ic_enum_value(c == 1006   ? &ic_overlaps
                                  : c == 1013 ? &ic_admissions
                                              : &ic_attention_precisions,
                                  optarg);
            if (v < 0 || (c == 1006 && v == IC_OVERLAP_AUTO) ||
                (c == 1013 && v == IC_ADMIT_PROFILE)) {
                fprintf(stderr, "infercap perf: %s: got \"%s\", expected %s\n\n%s",
                        argv[optind - 1], optarg, ok, usage_perf);
                sets_free(&S);
                return 2;
            }
            add_string(&S,
                       c == 1006   ? "serving/overlap"
                       : c == 1013 ? "serving/admission"
                                   : "serving/attention_precision",
                       optarg);
            ex.any = 1;
            break;
        }
        case 1001:
        case 1002:
        case 1003:
        case 1005:
        case 1007:
        case 1008:
        case 1009:
        case 1011:
        case 1014:
            if (number_arg(argv[optind - 1], optarg, &x) || x < 0) {
                if (x < 0)
                    fprintf(stderr, "infercap perf: %s must not be negative\n", argv[optind - 1]);
                sets_free(&S);
                return 2;
            }
            ex.any = 1;
            if (c == 1011) {
                add_number(&S, "serving/max_batched_tokens", x);
            } else if (c == 1014) {
                /* 0 has always meant the whole share, the field's default */
                if (x > 0) add_number(&S, "serving/kv_fraction", x);
            } else {
                const char *field = c == 1001   ? "serving/prefill_unit"
                                    : c == 1002 ? "serving/decode_unit"
                                    : c == 1003 ? "serving/attention_dp"
                                    : c == 1005 ? "serving/expert_imbalance"
                                    : c == 1007 ? "serving/node_limit"
                                    : c == 1008 ? "serving/mtp"
                                                : "serving/mtp_accept";
                /* counts are whole (the option has always truncated them) */
                int whole = c != 1005 && c != 1009;
                add_number(&S, field, whole ? (double)(long)x : x);
            }
            break;
        case 'J':
            json = 1;
            break;
        case 'h':
            fputs(usage_perf, stdout);
            sets_free(&S);
            return 0;
        case 't':
        case 'p':
        case 'e':
        case 'i':
        case 'o':
        case 'r':
        case 'c':
        case 'T':
        case 'F':
        case 'B': {
            const char *name = argv[optind - 1];
            if (number_arg(name, optarg, &x)) {
                sets_free(&S);
                return 2;
            }
            const char *path = c == 't'   ? "serving/tensor_parallel"
                               : c == 'p' ? "serving/pipeline_parallel"
                               : c == 'e' ? "serving/expert_parallel"
                               : c == 'T' ? "serving/tpot_slo_ms"
                               : c == 'F' ? "serving/ttft_slo_s"
                               : c == 'B' ? "serving/max_batch"
                                          : NULL;
            if (c == 'e') {
                /* 0 has always meant the default, 1 */
                if (x > 0) add_number(&S, path, x);
                break;
            }
            if (c == 'i') ex.in = x;
            if (c == 'o') ex.out = x;
            if (c == 'r') ex.reason = x;
            if (c == 'c') ex.hit = x;
            if (path) {
                add_number(&S, path, x);
            } else if (c == 'c') {
                add_number(&S, "workload/classes/0/prefix_cache_hit", x);
            } else {
                add_number(&S,
                           c == 'i'   ? "workload/classes/0/input_tokens/median"
                           : c == 'o' ? "workload/classes/0/output_tokens/median"
                                      : "workload/classes/0/reasoning_tokens/median",
                           x);
            }
            break;
        }
        default:
            fprintf(stderr, "\n%s", usage_perf);
            sets_free(&S);
            return 2;
        }
    }
    if (optind != argc || !have_model || !have_accel) {
        fprintf(stderr, "infercap perf: %s\n\n%s",
                optind != argc ? "unexpected argument" : "--model and --accelerator are required",
                usage_perf);
        sets_free(&S);
        return 2;
    }
    for (int i = 0; i < nsets; i++) {
        /* --set's own value text, as the loader would take it */
        const char *eq = strchr(user_sets[i], '=');
        if (!eq || user_sets[i][0] != '/') { /* malformed: kept as given, for its message */
            char *v = S.n < MAX_SETS ? malloc(strlen(user_sets[i]) + 1) : NULL;
            if (v) {
                strcpy(v, user_sets[i]);
                S.note[S.n] = NULL;
                S.v[S.n++] = v;
            } else {
                S.nomem = 1;
            }
            continue;
        }
        char ptr[512];
        snprintf(ptr, sizeof ptr, "%.*s", (int)(eq - user_sets[i]), user_sets[i]);
        add_set(&S, ptr, eq + 1, NULL);
    }
    struct ic_catalog cat;
    struct ic_error err = {0};
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag diag, created;
    ic_diag_init(&diag);
    ic_diag_init(&created);
    if (S.nomem || !sc || ic_catalog_builtin(&cat, &err)) {
        fprintf(stderr, "infercap perf: %s\n", err.msg[0] ? err.msg : "out of memory");
        sets_free(&S);
        free(sc);
        return 1;
    }
    /* The objects a --set creates name it in messages, as when the options were a scenario
     * text: those the one-class scenario did not hold. */
    static const char *const held[] = {"/output",
                                       "/fleet",
                                       "/workload",
                                       "/workload/classes",
                                       "/workload/classes/0",
                                       "/workload/classes/0/input_tokens",
                                       "/workload/classes/0/output_tokens",
                                       "/workload/classes/0/reasoning_tokens"};
    for (int i = S.n_opts; i < S.n; i++) {
        const char *v = S.v[i], *eq = strchr(v, '=');
        for (const char *q = strchr(v + 1, '/'); q && eq && q < eq; q = strchr(q + 1, '/')) {
            int n = (int)(q - v), known = S.serving && n == 8 && strncmp(v, "/serving", 8) == 0;
            for (size_t k = 0; k < sizeof held / sizeof held[0] && !known; k++)
                known = (int)strlen(held[k]) == n && strncmp(v, held[k], (size_t)n) == 0;
            for (size_t k = 0; k < created.count && !known; k++)
                known = (int)strlen(created.msgs[k]) == n &&
                        strncmp(v, created.msgs[k], (size_t)n) == 0;
            if (!known) ic_diag_add(&created, "%.*s", n, v);
        }
    }
    ic_scenario_defaults(sc);
    const char *set_v[MAX_SETS];
    for (int i = 0; i < S.n; i++) set_v[i] = S.v[i];
    struct ic_load_opts opts = {
        .sets = set_v, .n_sets = S.n, .set_notes = S.note, .n_set_notes = S.n_opts};
    int st = ic_scenario_override(sc, "infercap perf", &opts, 0, &created, &cat, 1, &diag, &err);
    const struct ic_llm *m = &sc->model.value;
    const struct ic_accelerator *a = &sc->accelerator.value;
    struct ic_fit fit;
    struct ic_perf r;
    struct ic_perf_params pp;
    if (st == IC_OK) {
        /* The replica as a scenario's plan has it (sim/config/replica.h): the smallest that
         * fits, its performance at the request, sized automatically unless /serving sets the
         * size. */
        ic_perf_fit(m, a, sc->serving.weight_precision, sc->serving.memory_utilization,
                    sc->serving.kv_reserve_fraction, (long)sc->serving.tensor_parallel,
                    (long)sc->serving.pipeline_parallel, (long)sc->serving.accelerators_per_node,
                    &fit);
        if (!fit.ok)
            st = ic_error_set(&err, IC_ERR_INVALID, "%s: %s",
                              sc->serving.tensor_parallel > 0 || sc->serving.pipeline_parallel > 0
                                  ? "/serving/tensor_parallel, /serving/pipeline_parallel"
                                  : "/model, /accelerator",
                              fit.why);
    }
    if (st == IC_OK) {
        struct ic_mix mix;
        char why[400];
        const double mfu = ic_dist_mean(&sc->serving.prefill_mfu);
        const double mbu = ic_dist_mean(&sc->serving.decode_mbu);
        const double swe = ic_dist_mean(&sc->serving.software_efficiency);
        ic_replica_mix(sc, m->max_context, NULL, NULL, &mix);
        int automatic = sc->serving.attention_dp <= 0 && sc->serving.tensor_parallel == 0 &&
                        sc->serving.pipeline_parallel == 0;
        if (ic_replica_build(sc, a, sc->serving.weight_precision, sc->serving.kv_precision, mfu,
                             mbu, swe, &mix, automatic, INFINITY, &fit, &r, why, sizeof why) != 0)
            st = ic_error_set(&err, IC_ERR_INVALID, "/workload: %s", why);
        if (st == IC_OK) st = ic_replica_check_ttft(sc, a, &r, &err);
        if (st == IC_OK)
            ic_replica_params(sc, a, sc->serving.weight_precision, sc->serving.kv_precision, fit.tp,
                              fit.pp, mfu, mbu, swe, &pp);
    }
    if (st == IC_OK) {
        rc = 0;
        if (ex.any && automatic_node(sc, &pp)) {
            /* How `infercap perf` has sized a replica when an option of the performance model
             * v2 is given (sim/config/replica.h, ic_replica_autosize_node), at the request the
             * options give.  The plan's sizing stops at four times the smallest replica.  Every
             * scenario's stored answers rest on the plan's rule and tools/perfcheck.py's
             * figures on this one, so both stay and no number moves.  With
             * /serving/attention_dp neither sizes automatically: the replica is the
             * attention_dp accelerators. */
            struct ic_mix mix = {0};
            mix.n = 1;
            mix.share[0] = 1;
            mix.in_mean[0] = ex.in;
            mix.in_sq_mean[0] = ex.in * ex.in;
            mix.out_mean[0] = ex.out;
            mix.reason_mean[0] = ex.reason;
            mix.cache_hit[0] = ex.hit;
            rc = ic_replica_autosize_node(m, a, sc->serving.kv_reserve_fraction, &mix, &pp, &r, rc);
        }
        if (rc == 0 && fit.why[0] && r.pp > 1) fprintf(stderr, "%s\n", fit.why);
        if (rc == 0) {
            if (json)
                print_json(sc, &r, &pp);
            else
                print_text(sc, &r, &pp);
        }
    } else if (diag.count) {
        /* Messages name the scenario fields behind the options. */
        for (size_t i = 0; i < diag.count; i++) fprintf(stderr, "%s\n", diag.msgs[i]);
        rc = ic_status_exit_code(st);
    } else {
        fprintf(stderr, "infercap perf: %s\n", err.msg);
        rc = ic_status_exit_code(st);
    }
    ic_diag_free(&diag);
    ic_diag_free(&created);
    ic_catalog_free(&cat);
    sets_free(&S);
    free(sc);
    return rc;
}
