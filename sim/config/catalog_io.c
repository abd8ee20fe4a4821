/* catalog_io.c: JSON reading and writing of catalog entries (see catalog_io.h). */
#include "sim/config/catalog_io.h"

#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ic_catalog_read_field(void *entry, const struct ic_field *f, const cJSON *v, char *why,
                          size_t whysize) {
    char *dst = (char *)entry + f->offset;
    if (f->type == IC_F_NUM) {
        if (cJSON_IsNull(v)) {
            *(double *)dst = NAN;
            return 0;
        }
        /* A figure the simulation needs must be positive; the others may be 0. */
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
            (f->required && v->valuedouble == 0)) {
            snprintf(why, whysize, "a number %s 0%s%s",
                     f->required ? ">" : ">=", f->units[0] ? " in " : "", f->units);
            return -1;
        }
        *(double *)dst = v->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(v)) {
        snprintf(why, whysize, "a string");
        return -1;
    }
    if (strlen(v->valuestring) >= f->size) {
        snprintf(why, whysize, "a string of at most %zu bytes", f->size - 1);
        return -1;
    }
    ic_strlcpy(dst, v->valuestring, f->size);
    return 0;
}

void ic_catalog_emit_fields(const void *entry, const struct ic_field *fields, size_t n,
                            cJSON *obj) {
    for (size_t i = 0; i < n; i++) {
        const char *src = (const char *)entry + fields[i].offset;
        if (fields[i].type == IC_F_NUM) {
            double x = *(const double *)src;
            if (isfinite(x)) cJSON_AddNumberToObject(obj, fields[i].name, x);
        } else if (src[0]) {
            cJSON_AddStringToObject(obj, fields[i].name, src);
        }
    }
}

/* Read one section ("accelerators" or "llms") into an array of entries. */
static int read_section(const char *text, const char *section, const struct ic_field *fields,
                        size_t nfields, size_t entry_size, size_t key_size, void (*blank)(void *),
                        void **out, size_t *count, struct ic_error *err) {
    cJSON *root = cJSON_Parse(text);
    if (!root) return ic_error_set(err, IC_ERR_RUNTIME, "built-in %s catalog: bad JSON", section);
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(root, section);
    int n = cJSON_GetArraySize(sec);
    char *arr = calloc((size_t)(n > 0 ? n : 1), entry_size);
    if (!cJSON_IsObject(sec) || !arr) {
        cJSON_Delete(root);
        free(arr);
        return ic_error_set(err, IC_ERR_RUNTIME, "built-in %s catalog: no section", section);
    }
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, sec) {
        char *entry = arr + k * entry_size;
        blank(entry);
        ic_strlcpy(entry, e->string, key_size); /* key is the first member of both structs */
        for (size_t i = 0; i < nfields; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, fields[i].name);
            char why[128];
            if (v && !cJSON_IsNull(v) &&
                ic_catalog_read_field(entry, &fields[i], v, why, sizeof why) != 0) {
                ic_error_set(err, IC_ERR_RUNTIME, "built-in %s catalog: %s/%s: expected %s",
                             section, e->string, fields[i].name, why);
                cJSON_Delete(root);
                free(arr);
                return IC_ERR_RUNTIME;
            }
        }
        k++;
    }
    cJSON_Delete(root);
    *out = arr;
    *count = k;
    return IC_OK;
}

static void blank_accel(void *p) {
    ic_accel_blank(p);
}
static void blank_llm(void *p) {
    ic_llm_blank(p);
}

int ic_catalog_builtin(struct ic_catalog *cat, struct ic_error *err) {
    memset(cat, 0, sizeof *cat);
    void *a = NULL, *m = NULL;
    int rc = read_section(ic_embedded_accelerators_json, "accelerators", ic_accel_fields,
                          ic_accel_field_count, sizeof(struct ic_accelerator), IC_KEY_MAX,
                          blank_accel, &a, &cat->n_accels, err);
    if (rc) return rc;
    cat->accels = a;
    rc = read_section(ic_embedded_llms_json, "llms", ic_llm_fields, ic_llm_field_count,
                      sizeof(struct ic_llm), IC_KEY_MAX, blank_llm, &m, &cat->n_llms, err);
    if (rc) {
        ic_catalog_free(cat);
        return rc;
    }
    cat->llms = m;
    return IC_OK;
}

char *ic_catalog_json(const struct ic_catalog *cat, int models) {
    cJSON *root = cJSON_CreateObject();
    cJSON *sec = cJSON_AddObjectToObject(root, models ? "models" : "accelerators");
    size_t n = models ? cat->n_llms : cat->n_accels;
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (models)
            ic_catalog_emit_fields(&cat->llms[i], ic_llm_fields, ic_llm_field_count, o);
        else
            ic_catalog_emit_fields(&cat->accels[i], ic_accel_fields, ic_accel_field_count, o);
        cJSON_AddItemToObject(sec, models ? cat->llms[i].key : cat->accels[i].key, o);
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}
