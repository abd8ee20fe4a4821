/* cli_perf.c: `infercap perf`, the single-replica calculator.  It builds a one-class scenario
 * from its options, loads it through the scenario loader (so every option is checked against
 * the parameter table and every default is the table's), compiles the plan, and prints the
 * replica the performance model (models/perf.c) sees. */
#include "cli_perf.h"

#include "catalog_io.h"
#include "engine.h"
#include "scenario.h"
#include "util.h"

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
    "  --tpot-slo-ms Y        time-per-output-token objective (default 50)\n"
    "  --ttft-slo-s X         time-to-first-token objective at load (default: none)\n"
    "  --max-batch N          scheduler cap on running sequences (default 256)\n"
    "  --disaggregated        separate prefill and decode pools\n"
    "  --set /ptr=VALUE       any other scenario field (e.g. /serving/decode_mbu=0.6)\n"
    "  --json                 one JSON object on stdout\n"
    "  -h, --help             this help\n";

static void add_set(cJSON *root, const char *path, cJSON *v) {
    /* path like "serving/tensor_parallel": create the objects on the way. */
    char buf[128];
    ic_strlcpy(buf, path, sizeof buf);
    cJSON *node = root;
    char *save = buf, *slash;
    while ((slash = strchr(save, '/'))) {
        *slash = '\0';
        cJSON *child = cJSON_GetObjectItemCaseSensitive(node, save);
        if (!child) child = cJSON_AddObjectToObject(node, save);
        node = child;
        save = slash + 1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(node, save);
    cJSON_AddItemToObject(node, save, v);
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

static void print_text(const struct ic_plan *plan) {
    const struct ic_scenario *sc = plan->sc;
    const struct ic_perf *r = &plan->perf;
    static const char *const prec[] = {"bf16", "fp8", "int8", "fp4"};
    double mfu, mbu;
    ic_vendor_efficiency(&sc->accelerator.value, &mfu, &mbu);
    double pm = ic_dist_mean(&sc->serving.prefill_mfu), bm = ic_dist_mean(&sc->serving.decode_mbu);
    printf("%s on %s, %s weights, %s KV cache\n", sc->model.value.key, sc->accelerator.value.key,
           prec[sc->serving.weight_precision], prec[sc->serving.kv_precision]);
    printf("  replica      %ld accelerators (tp %ld x pp %ld%s)%s\n", r->accels, r->tp, r->pp,
           r->ep > 1 ? ", experts over ep" : "",
           sc->serving.disaggregated ? ", prefill and decode disaggregated" : "");
    printf("  memory       weights %.1f GB; KV cache %.1f GB at %.0f B/token = %ld sequences of "
           "%.0f tokens\n",
           r->weight_bytes / 1e9, r->kv_capacity_bytes / 1e9, r->kv_bytes_per_token,
           r->batch_memory, r->decode_context);
    printf("  efficiency   prefill MFU %.2f, decode MBU %.2f%s\n", pm > 0 ? pm : mfu,
           bm > 0 ? bm : mbu, pm > 0 || bm > 0 ? "" : " (vendor defaults: guesses)");
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

static void print_json(const struct ic_plan *plan) {
    const struct ic_scenario *sc = plan->sc;
    const struct ic_perf *r = &plan->perf;
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
    char *s = cJSON_PrintUnformatted(o);
    printf("%s\n", s ? s : "{}");
    free(s);
    cJSON_Delete(o);
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
                                             {"set", required_argument, 0, 'S'},
                                             {"json", no_argument, 0, 'J'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    /* The fleet is a placeholder large enough for any replica (a run refuses a fleet that
     * cannot form one, and automatic sizing stops at the fleet's size). */
    cJSON *root =
        cJSON_Parse("{\"name\": \"perf\", \"paths\": 1, \"horizon_days\": 0.001, "
                    "\"step_s\": 60, \"output\": {\"interval_s\": 60, \"store_paths\": "
                    "0}, \"start\": \"2025-01-01T00:00:00Z\", \"fleet\": "
                    "{\"accelerators\": 1048576}, \"workload\": {\"classes\": [{\"name\": "
                    "\"request\", \"input_tokens\": {\"sigma\": 0}, \"output_tokens\": "
                    "{\"sigma\": 0}, \"reasoning_tokens\": {\"sigma\": 0}}]}}");
    cJSON *cls =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
                               cJSON_GetObjectItemCaseSensitive(root, "workload"), "classes"),
                           0);
    const char *sets[256];
    int nsets = 0, json = 0, c, rc = 2;
    double x;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            add_set(root, "model", cJSON_CreateString(optarg));
            break;
        case 'a':
            add_set(root, "accelerator", cJSON_CreateString(optarg));
            break;
        case 'P':
            add_set(root, "serving/weight_precision", cJSON_CreateString(optarg));
            break;
        case 'K':
            add_set(root, "serving/kv_precision", cJSON_CreateString(optarg));
            break;
        case 'D':
            add_set(root, "serving/disaggregated", cJSON_CreateString("yes"));
            break;
        case 'S':
            if (nsets < 256) sets[nsets++] = optarg;
            break;
        case 'J':
            json = 1;
            break;
        case 'h':
            fputs(usage_perf, stdout);
            cJSON_Delete(root);
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
                cJSON_Delete(root);
                return 2;
            }
            const char *path = c == 't'   ? "serving/tensor_parallel"
                               : c == 'p' ? "serving/pipeline_parallel"
                               : c == 'e' ? "serving/expert_parallel"
                               : c == 'T' ? "serving/tpot_slo_ms"
                               : c == 'F' ? "serving/ttft_slo_s"
                               : c == 'B' ? "serving/max_batch"
                                          : NULL;
            if (path) {
                add_set(root, path, cJSON_CreateNumber(x));
            } else if (c == 'c') {
                cJSON_DeleteItemFromObjectCaseSensitive(cls, "prefix_cache_hit");
                cJSON_AddNumberToObject(cls, "prefix_cache_hit", x);
            } else {
                const char *key = c == 'i'   ? "input_tokens"
                                  : c == 'o' ? "output_tokens"
                                             : "reasoning_tokens";
                cJSON *t = cJSON_GetObjectItemCaseSensitive(cls, key);
                cJSON_DeleteItemFromObjectCaseSensitive(t, "median");
                cJSON_AddNumberToObject(t, "median", x);
            }
            break;
        }
        default:
            fprintf(stderr, "\n%s", usage_perf);
            cJSON_Delete(root);
            return 2;
        }
    }
    if (optind != argc || !cJSON_GetObjectItemCaseSensitive(root, "model") ||
        !cJSON_GetObjectItemCaseSensitive(root, "accelerator")) {
        fprintf(stderr, "infercap perf: %s\n\n%s",
                optind != argc ? "unexpected argument" : "--model and --accelerator are required",
                usage_perf);
        cJSON_Delete(root);
        return 2;
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    struct ic_catalog cat;
    struct ic_error err = {0};
    struct ic_scenario *sc = malloc(sizeof *sc);
    struct ic_diag diag;
    ic_diag_init(&diag);
    if (!text || !sc || ic_catalog_builtin(&cat, &err)) {
        fprintf(stderr, "infercap perf: %s\n", err.msg[0] ? err.msg : "out of memory");
        free(text);
        free(sc);
        return 1;
    }
    struct ic_load_opts opts = {.sets = sets, .n_sets = nsets};
    int st = ic_scenario_load_string(text, "infercap perf", &opts, &cat, sc, &diag, &err);
    if (st == IC_OK) {
        struct ic_plan plan;
        st = ic_plan_compile(sc, &plan, &err);
        if (st == IC_OK) {
            if (json)
                print_json(&plan);
            else
                print_text(&plan);
            ic_plan_free(&plan);
            rc = 0;
        } else {
            fprintf(stderr, "infercap perf: %s\n", err.msg);
            rc = ic_status_exit_code(st);
        }
    } else {
        /* Messages name the scenario fields behind the options. */
        for (size_t i = 0; i < diag.count; i++) fprintf(stderr, "%s\n", diag.msgs[i]);
        if (!diag.count) fprintf(stderr, "infercap perf: %s\n", err.msg);
        rc = ic_status_exit_code(st);
    }
    ic_diag_free(&diag);
    ic_catalog_free(&cat);
    free(sc);
    free(text);
    return rc;
}
