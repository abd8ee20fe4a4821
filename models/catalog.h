/* catalog.h: accelerator and LLM catalog entries as plain C structs.
 *
 * The data live in models/data/accelerators.json and models/data/llms.json, built from
 * shared/reference/catalog.json; every entry keeps its source URL and a confidence grade, and a
 * figure nobody could source is NaN here (null in the JSON).  The JSON is compiled into the
 * binary; sim/config/catalog_io.c turns it into these structs (model code never sees JSON).
 *
 * The field tables below (ic_accel_fields, ic_llm_fields) list every field once with its JSON
 * name, units and doc: the JSON reader, scenario overrides, `infercap catalog` and
 * `infercap params` all come from them. */
#ifndef IC_CATALOG_H
#define IC_CATALOG_H

#include <stddef.h>

#define IC_KEY_MAX    48
#define IC_TEXT_MAX   128
#define IC_SOURCE_MAX 512

struct ic_accelerator {
    char key[IC_KEY_MAX];
    char vendor[IC_TEXT_MAX];
    char full_name[IC_TEXT_MAX];
    char memory_type[IC_TEXT_MAX];
    char confidence[16];
    char source[IC_SOURCE_MAX];
    double bf16_dense_tflops; /* dense (no 2:4 sparsity) peak, TFLOP/s */
    double fp8_dense_tflops;  /* NaN: no FP8 in hardware */
    double int8_dense_tops;
    double fp4_dense_tflops;
    double hbm_gb;             /* device memory, GB (1e9 B) */
    double hbm_bandwidth_tbps; /* TB/s (1e12 B/s) */
    double scaleup_bw_gbps;    /* vendor-quoted per-accelerator scale-up bandwidth, GB/s */
    double tdp_w;
    double launch_year;
    double price_usd_est; /* ESTIMATE: no vendor publishes list prices */
};

struct ic_llm {
    char key[IC_KEY_MAX];
    char family[IC_TEXT_MAX];
    char attention[16]; /* "GQA", "MHA" or "MLA" */
    char confidence[16];
    char source[IC_SOURCE_MAX];
    double total_params_b;
    double active_params_b;
    double layers;
    double hidden_size;
    double intermediate_size;
    double moe_intermediate_size;
    double num_routed_experts; /* 0 for dense models */
    double experts_per_token;
    double shared_experts;
    double first_dense_layers;
    double num_attention_heads;
    double num_kv_heads;
    double head_dim;
    double kv_lora_rank;
    double qk_rope_head_dim;
    double v_head_dim;
    double kv_cache_bytes_per_token_bf16;
    double max_context;
    double vocab_size;
};

enum ic_field_type { IC_F_NUM, IC_F_TEXT };

struct ic_field {
    const char *name; /* JSON key */
    int type;         /* enum ic_field_type */
    size_t offset;
    size_t size;  /* text capacity */
    int required; /* 1: a simulation needs it (an override must supply it if the catalog lacks it)
                   */
    const char *units;
    const char *doc;
};

extern const struct ic_field ic_accel_fields[];
extern const size_t ic_accel_field_count;
extern const struct ic_field ic_llm_fields[];
extern const size_t ic_llm_field_count;

struct ic_catalog {
    struct ic_accelerator *accels;
    size_t n_accels;
    struct ic_llm *llms;
    size_t n_llms;
};

void ic_catalog_free(struct ic_catalog *cat);
const struct ic_accelerator *ic_catalog_accel(const struct ic_catalog *cat, const char *key);
const struct ic_llm *ic_catalog_llm(const struct ic_catalog *cat, const char *key);
const struct ic_field *ic_field_find(const struct ic_field *fields, size_t n, const char *name);

/* Initialise an entry with every number NaN and every text empty. */
void ic_accel_blank(struct ic_accelerator *a);
void ic_llm_blank(struct ic_llm *m);

#endif
