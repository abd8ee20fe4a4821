/* catalog.c: field tables and look-ups for the accelerator and LLM catalogs (see catalog.h).
 * Units and conventions follow shared/reference/catalog.md: compute figures are dense, memory is
 * decimal GB, bandwidth TB/s; KV bytes per token are for BF16 cache summed over all layers. */
#include "models/catalog.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A_NUM(f, req, u, d)                                                                        \
    { #f, IC_F_NUM, offsetof(struct ic_accelerator, f), 0, req, u, d }
#define A_TXT(f, d)                                                                                \
    {                                                                                              \
#f, IC_F_TEXT, offsetof(struct ic_accelerator, f),                                         \
            sizeof(((struct ic_accelerator *)0)->f), 0, "", d                                      \
    }

const struct ic_field ic_accel_fields[] = {
    A_TXT(vendor, "vendor"),
    A_TXT(full_name, "product name"),
    A_TXT(memory_type, "memory technology"),
    A_TXT(confidence, "confidence of the figures: high, medium, low, none"),
    A_TXT(source, "primary source of the figures"),
    A_NUM(bf16_dense_tflops, 1, "TFLOP/s", "dense BF16/FP16 matrix peak"),
    A_NUM(fp8_dense_tflops, 0, "TFLOP/s", "dense FP8 peak (null: not supported)"),
    A_NUM(int8_dense_tops, 0, "TOP/s", "dense INT8 peak"),
    A_NUM(fp4_dense_tflops, 0, "TFLOP/s", "dense FP4 peak (null: not supported)"),
    A_NUM(hbm_gb, 1, "GB", "device memory"),
    A_NUM(hbm_bandwidth_tbps, 1, "TB/s", "device memory bandwidth"),
    A_NUM(scaleup_bw_gbps, 0, "GB/s", "vendor-quoted scale-up (NVLink/xGMI/HCCS) bandwidth"),
    A_NUM(tdp_w, 0, "W", "board power"),
    A_NUM(launch_year, 0, "year", "year of launch"),
    A_NUM(price_usd_est, 0, "USD", "unit price ESTIMATE (no vendor list prices exist)"),
};
const size_t ic_accel_field_count = sizeof ic_accel_fields / sizeof ic_accel_fields[0];

#define M_NUM(f, req, u, d)                                                                        \
    { #f, IC_F_NUM, offsetof(struct ic_llm, f), 0, req, u, d }
#define M_TXT(f, d)                                                                                \
    { #f, IC_F_TEXT, offsetof(struct ic_llm, f), sizeof(((struct ic_llm *)0)->f), 0, "", d }

const struct ic_field ic_llm_fields[] = {
    M_TXT(family, "model family"),
    M_TXT(attention, "attention kind: GQA, MHA or MLA"),
    M_TXT(confidence, "confidence of the figures"),
    M_TXT(source, "primary source (model config)"),
    M_NUM(total_params_b, 1, "1e9 params", "total parameters"),
    M_NUM(active_params_b, 1, "1e9 params", "parameters active per token (MoE: routed subset)"),
    M_NUM(layers, 1, "layers", "transformer layers"),
    M_NUM(hidden_size, 1, "", "model width"),
    M_NUM(intermediate_size, 0, "", "dense MLP width"),
    M_NUM(moe_intermediate_size, 0, "", "width of one routed expert's MLP"),
    M_NUM(num_routed_experts, 0, "experts", "routed experts per MoE layer (0: dense)"),
    M_NUM(experts_per_token, 0, "experts", "routed experts chosen per token"),
    M_NUM(shared_experts, 0, "experts", "always-active shared experts"),
    M_NUM(first_dense_layers, 0, "layers", "leading dense layers of an MoE model"),
    M_NUM(num_attention_heads, 1, "heads", "query heads"),
    M_NUM(num_kv_heads, 0, "heads", "key/value heads (GQA)"),
    M_NUM(head_dim, 1, "", "query/key head dimension"),
    M_NUM(kv_lora_rank, 0, "", "MLA compressed KV rank"),
    M_NUM(qk_rope_head_dim, 0, "", "MLA decoupled RoPE key dimension"),
    M_NUM(v_head_dim, 0, "", "MLA value head dimension"),
    M_NUM(kv_cache_bytes_per_token_bf16, 1, "B/token", "KV cache per token, all layers, BF16"),
    M_NUM(max_context, 1, "tokens", "context window"),
    M_NUM(vocab_size, 0, "tokens", "vocabulary size"),
};
const size_t ic_llm_field_count = sizeof ic_llm_fields / sizeof ic_llm_fields[0];

const struct ic_field *ic_field_find(const struct ic_field *fields, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0) return &fields[i];
    return NULL;
}

static void blank(void *entry, const struct ic_field *fields, size_t n, size_t total) {
    memset(entry, 0, total);
    for (size_t i = 0; i < n; i++)
        if (fields[i].type == IC_F_NUM) *(double *)((char *)entry + fields[i].offset) = NAN;
}

void ic_accel_blank(struct ic_accelerator *a) {
    blank(a, ic_accel_fields, ic_accel_field_count, sizeof *a);
}
void ic_llm_blank(struct ic_llm *m) {
    blank(m, ic_llm_fields, ic_llm_field_count, sizeof *m);
}

void ic_catalog_free(struct ic_catalog *cat) {
    free(cat->accels);
    free(cat->llms);
    memset(cat, 0, sizeof *cat);
}

const struct ic_accelerator *ic_catalog_accel(const struct ic_catalog *cat, const char *key) {
    for (size_t i = 0; i < cat->n_accels; i++)
        if (strcmp(cat->accels[i].key, key) == 0) return &cat->accels[i];
    return NULL;
}

const struct ic_llm *ic_catalog_llm(const struct ic_catalog *cat, const char *key) {
    for (size_t i = 0; i < cat->n_llms; i++)
        if (strcmp(cat->llms[i].key, key) == 0) return &cat->llms[i];
    return NULL;
}
