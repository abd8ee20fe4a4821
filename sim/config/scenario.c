/* scenario.c: reading, overriding, validating and writing back scenarios.
 *
 * Validation runs in phases before any simulation (DESIGN.md, convention 4):
 *   1. syntax: cJSON parse; a failure is reported as file:line:column;
 *   2. overrides: each --set /pointer=value is applied to the JSON tree (RFC 6901 pointers);
 *   3. types and ranges: the tree is walked against the parameter table (params.c); every
 *      unknown key, wrong type, value out of range or bad distribution is reported with the
 *      file, the JSON Pointer, the value received and what was expected;
 *   4. cross-field rules (output grid vs time step, precision vs accelerator, ...).
 * Phases 3 and 4 collect every problem instead of stopping at the first. */
#include "sim/config/scenario.h"

#include "sim/config/catalog_io.h"
#include "sim/config/jsoncheck.h"
#include "sim/config/params.h"
#include "sim/core/rng.h"
#include "sim/core/stats.h"
#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IC_SCENARIO_MAX_BYTES (16u << 20)
#define PTR_MAX               512

/* Pointer (or pattern) of a child: ptr + "/" + escaped token, or + "/" + index. */
static void ptr_join(char out[PTR_MAX], const char *ptr, const char *tok) {
    ic_pointer_join(out, PTR_MAX, ptr, tok);
}
static void ptr_index(char out[PTR_MAX], const char *ptr, int i) {
    ic_pointer_index(out, PTR_MAX, ptr, i);
}

struct walker {
    const char *label;
    struct ic_diag *diag;
    const struct ic_catalog *cat;
    const struct ic_load_opts *opts;
    const struct ic_diag *created; /* containers that --set created */
};

/* ---- messages ------------------------------------------------------------------------------ */

/* " (from --set)" when the pointer is at or below one given with --set. */
static int under(const char *ptr, const char *prefix, size_t n) {
    return strncmp(ptr, prefix, n) == 0 && (ptr[n] == '\0' || ptr[n] == '/');
}

/* " (from --set)" when the pointer is at or below one given with --set, or is a container that
 * a --set created. */
static const char *origin(const struct walker *w, const char *ptr) {
    /* The last sets, in reverse: a later override of the same field wins. */
    for (int i = w->opts ? w->opts->n_sets - 1 : -1; i >= 0; i--) {
        const char *s = w->opts->sets[i];
        if (under(ptr, s, strcspn(s, "=")))
            return i >= w->opts->n_sets - w->opts->n_point_sets ? " (from the sweep point)"
                   : i < w->opts->n_set_notes && w->opts->set_notes && w->opts->set_notes[i]
                       ? w->opts->set_notes[i]
                       : " (from --set)";
    }
    for (size_t i = 0; w->created && i < w->created->count; i++)
        if (under(ptr, w->created->msgs[i], strlen(w->created->msgs[i]))) return " (from --set)";
    return "";
}

static void bad_value(struct walker *w, const char *ptr, const cJSON *v, const char *expected) {
    char got[96];
    ic_json_describe(v, got, sizeof got);
    ic_diag_add(w->diag, "%s: %s: got %s, expected %s%s", w->label, ptr, got, expected,
                origin(w, ptr));
}

static void range_text(const struct ic_param *p, const char *what, char *buf, size_t n) {
    if (p->type == IC_T_INT && fabs(p->max) < 1e17)
        snprintf(buf, n, "%s in [%.0f, %.0f]%s%s", what, p->min, p->max,
                 p->units && p->units[0] ? " " : "", p->units ? p->units : "");
    else
        snprintf(buf, n, "%s in [%.10g, %.10g]%s%s", what, p->min, p->max,
                 p->units && p->units[0] ? " " : "", p->units ? p->units : "");
}

/* ---- the table's structure ----------------------------------------------------------------- */

/* Length of the parent part of a pattern ("/a/b/c" -> 4, "/a" -> 0). */
static size_t parent_len(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? (size_t)(slash - path) : 0;
}

static int is_child_of(const char *path, const char *parent) {
    size_t n = parent_len(path);
    return strlen(parent) == n && strncmp(path, parent, n) == 0;
}

/* Rows directly inside the array element (or root) `prefix`, at any object depth, but not inside
 * a nested array: these are the rows whose offsets are relative to the same base. */
static int same_base(const char *path, const char *prefix) {
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0 || path[n] != '/') return 0;
    return strstr(path + n, "/*") == NULL;
}

static void *at(void *base, size_t off) {
    return (char *)base + off;
}

static int ic_time_parse_into(const char *s, struct ic_time *t) {
    if (ic_time_parse(s, &t->unix_s, &t->offset_s) != 0) return -1;
    ic_strlcpy(t->text, s, sizeof t->text);
    return 0;
}

static void set_dist_default(const struct ic_param *p, struct ic_dist *d, const char *ptr) {
    *d = ic_dist_fixed(p->def);
    d->lo = p->min;
    d->hi = p->max;
    d->integer = p->type == IC_T_IDIST;
    d->slot = ic_hash32(ptr);
}

/* Concrete pointer of row `p` inside the element whose concrete pointer is `eptr` and whose
 * pattern is `prefix`. */
static void concrete(const char *path, const char *prefix, const char *eptr, char *out, size_t n) {
    ic_strlcpy(out, eptr, n);
    size_t k = strlen(out);
    ic_strlcpy(out + k, path + strlen(prefix), n - k);
}

static int parse_numarr_default(const struct ic_param *p, struct ic_numarr *a) {
    a->n = 0;
    cJSON *j = cJSON_Parse(p->def_str ? p->def_str : "[]");
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (a->n < IC_NUMARR_MAX) a->v[a->n++] = e->valuedouble;
    }
    cJSON_Delete(j);
    return 0;
}

/* Fill defaults for every row with the same base as `prefix` (and, when `under` is not NULL,
 * below the object whose pattern it is). */
static void set_defaults_under(const char *prefix, const char *eptr, void *base,
                               const char *under) {
    size_t nu = under ? strlen(under) : 0;
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (!same_base(p->path, prefix)) continue;
        if (under && (strncmp(p->path, under, nu) != 0 || p->path[nu] != '/')) continue;
        void *dst = at(base, p->offset);
        char ptr[PTR_MAX];
        concrete(p->path, prefix, eptr, ptr, sizeof ptr);
        switch (p->type) {
        case IC_T_NUM:
            *(double *)dst = p->def;
            break;
        case IC_T_INT:
            *(long long *)dst = (long long)p->def;
            break;
        case IC_T_DIST:
        case IC_T_IDIST:
            set_dist_default(p, dst, ptr);
            break;
        case IC_T_STR:
            ic_strlcpy(dst, p->def_str ? p->def_str : "", p->size);
            break;
        case IC_T_ENUM:
            *(int *)dst = (int)p->def;
            break;
        case IC_T_NUMARR:
            parse_numarr_default(p, dst);
            break;
        case IC_T_TIME: {
            struct ic_time *t = dst;
            t->text[0] = '\0';
            t->unix_s = NAN;
            t->offset_s = 0;
            break;
        }
        case IC_T_OBJARR:
            *(int *)dst = 0;
            /* its elements as a fresh load leaves them: none, zeroed */
            if (under) memset(at(base, p->offset2), 0, (size_t)p->max_count * p->size);
            break;
        case IC_T_JSONARR:
            *(char *)dst = '\0';
            break;
        default:
            break;
        }
    }
}

static void set_defaults(const char *prefix, const char *eptr, void *base) {
    set_defaults_under(prefix, eptr, base, NULL);
}

/* ---- typed readers ------------------------------------------------------------------------- */

static int read_number(struct walker *w, const struct ic_param *p, const cJSON *v, const char *ptr,
                       double *out) {
    char exp[160];
    int integer = p->type == IC_T_INT || p->type == IC_T_IDIST;
    const char *what = p->type == IC_T_DIST    ? "a number (or a distribution)"
                       : p->type == IC_T_IDIST ? "an integer (or a distribution)"
                       : integer               ? "an integer"
                                               : "a number";
    range_text(p, what, exp, sizeof exp);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        bad_value(w, ptr, v, exp);
        return -1;
    }
    double x = v->valuedouble;
    if (x < p->min || x > p->max || (integer && x != floor(x))) {
        bad_value(w, ptr, v, exp);
        return -1;
    }
    *out = x == 0 ? 0.0 : x; /* fold -0 */
    return 0;
}

static const char *const dist_keys[IC_DIST_KIND_COUNT][4] = {
    [IC_DIST_FIXED] = {"value"},
    [IC_DIST_UNIFORM] = {"min", "max"},
    [IC_DIST_NORMAL] = {"mean", "sd"},
    [IC_DIST_LOGNORMAL] = {"median", "sigma"},
    [IC_DIST_TRIANGULAR] = {"min", "mode", "max"},
    [IC_DIST_CHOICE] = {"values", "weights"},
};

static void read_dist(struct walker *w, const struct ic_param *p, const cJSON *v, const char *ptr,
                      struct ic_dist *d) {
    set_dist_default(p, d, ptr);
    if (cJSON_IsNumber(v)) {
        double x;
        if (read_number(w, p, v, ptr, &x) == 0) d->a = x;
        return;
    }
    if (!cJSON_IsObject(v)) {
        char exp[200];
        range_text(p, "a number", exp, sizeof exp);
        strncat(exp, " or a distribution object {\"dist\": ...}", sizeof exp - strlen(exp) - 1);
        bad_value(w, ptr, v, exp);
        return;
    }
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(v, "dist");
    char sub[PTR_MAX];
    ptr_join(sub, ptr, "dist");
    int k = cJSON_IsString(kind) ? ic_dist_kind_from_name(kind->valuestring) : -1;
    if (k < 0) {
        if (!kind) {
            ic_diag_add(w->diag,
                        "%s: %s: missing \"dist\" (one of fixed, uniform, normal, lognormal, "
                        "triangular, choice)%s",
                        w->label, ptr, origin(w, ptr));
        } else {
            bad_value(w, sub, kind,
                      "one of \"fixed\", \"uniform\", \"normal\", \"lognormal\", "
                      "\"triangular\", \"choice\"");
        }
        return;
    }
    d->kind = k;
    const char *const *keys = dist_keys[k];
    int bad = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, v) {
        if (strcmp(m->string, "dist") == 0) continue;
        int idx = -1;
        for (int i = 0; i < 4 && keys[i]; i++)
            if (strcmp(keys[i], m->string) == 0) idx = i;
        ptr_join(sub, ptr, m->string);
        if (idx < 0) {
            char dym[200];
            ic_did_you_mean(m->string, keys, 4, dym, sizeof dym);
            ic_diag_add(w->diag, "%s: %s: unknown key \"%s\" in a %s distribution%s%s", w->label,
                        sub, m->string, ic_dist_kind_name(k), dym, origin(w, sub));
            bad = 1;
            continue;
        }
        if (k == IC_DIST_CHOICE) {
            if (!cJSON_IsArray(m) || cJSON_GetArraySize(m) < 1 ||
                cJSON_GetArraySize(m) > IC_DIST_CHOICE_MAX) {
                char exp[96];
                snprintf(exp, sizeof exp, "an array of 1 to %d numbers", IC_DIST_CHOICE_MAX);
                bad_value(w, sub, m, exp);
                bad = 1;
                continue;
            }
            double *dst = idx == 0 ? d->values : d->weights;
            int n = 0;
            const cJSON *e;
            cJSON_ArrayForEach(e, m) {
                if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble)) {
                    char esub[PTR_MAX];
                    ptr_index(esub, sub, n);
                    bad_value(w, esub, e, "a number");
                    bad = 1;
                }
                dst[n++] = e->valuedouble;
            }
            if (idx == 0) d->n = n;
            if (idx == 1 &&
                n != cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "values"))) {
                bad_value(w, sub, m, "as many weights as values");
                bad = 1;
            }
            continue;
        }
        if (!cJSON_IsNumber(m) || !isfinite(m->valuedouble)) {
            bad_value(w, sub, m, "a number");
            bad = 1;
            continue;
        }
        double x = m->valuedouble;
        if (idx == 0) d->a = x;
        if (idx == 1) d->b = x;
        if (idx == 2) d->c = x;
    }
    /* Required parameters of the distribution. */
    for (int i = 0; i < 4 && keys[i]; i++) {
        if (k == IC_DIST_CHOICE && i == 1) break; /* weights are optional */
        if (!cJSON_GetObjectItemCaseSensitive(v, keys[i])) {
            ic_diag_add(w->diag, "%s: %s: a %s distribution needs \"%s\"%s", w->label, ptr,
                        ic_dist_kind_name(k), keys[i], origin(w, ptr));
            bad = 1;
        }
    }
    if (k == IC_DIST_CHOICE && !cJSON_GetObjectItemCaseSensitive(v, "weights"))
        for (int i = 0; i < d->n; i++) d->weights[i] = 1.0;
    if (bad) {
        d->kind = IC_DIST_FIXED;
        d->a = p->def;
        return;
    }
    char why[200];
    if (ic_dist_check(d, why, sizeof why) != 0) {
        char desc[120];
        ic_dist_describe(d, desc, sizeof desc);
        ic_diag_add(w->diag, "%s: %s: got %s, expected %s%s%s%s%s", w->label, ptr, desc, why,
                    p->units[0] ? " (" : "", p->units, p->units[0] ? ")" : "", origin(w, ptr));
        d->kind = IC_DIST_FIXED;
        d->a = p->def;
    }
}

static void read_numarr(struct walker *w, const struct ic_param *p, const cJSON *v, const char *ptr,
                        struct ic_numarr *a) {
    int n = cJSON_GetArraySize(v);
    char exp[160];
    if (p->min_count > 0)
        snprintf(exp, sizeof exp, "an array of %d numbers in [%g, %g]", p->min_count, p->min,
                 p->max);
    else
        snprintf(exp, sizeof exp, "an array of at most %d numbers in [%g, %g]", p->max_count,
                 p->min, p->max);
    if (!cJSON_IsArray(v) || n > p->max_count || (p->min_count > 0 && n != p->min_count)) {
        bad_value(w, ptr, v, exp);
        return;
    }
    a->n = 0;
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, v) {
        char sub[PTR_MAX];
        ptr_index(sub, ptr, i);
        i++;
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || e->valuedouble < p->min ||
            e->valuedouble > p->max) {
            char ex[96];
            snprintf(ex, sizeof ex, "a number in [%g, %g]", p->min, p->max);
            bad_value(w, sub, e, ex);
            continue;
        }
        a->v[a->n++] = e->valuedouble;
    }
}

/* Catalog reference: "key" | {"base": key, overrides...} | {"name": key, fields...}. */
static void read_ref(struct walker *w, const struct ic_param *p, const cJSON *v, const char *ptr,
                     void *dst) {
    int is_accel = p->type == IC_T_ACCEL;
    const char *what = is_accel ? "accelerator" : "model";
    const char *list = is_accel ? "infercap catalog accelerators" : "infercap catalog models";
    const struct ic_field *fields = is_accel ? ic_accel_fields : ic_llm_fields;
    size_t nfields = is_accel ? ic_accel_field_count : ic_llm_field_count;
    char *base = is_accel ? ((struct ic_accel_ref *)dst)->base : ((struct ic_llm_ref *)dst)->base;
    void *entry = is_accel ? (void *)&((struct ic_accel_ref *)dst)->value
                           : (void *)&((struct ic_llm_ref *)dst)->value;
    char *key = entry; /* key is the first member of both entry structs */
    if (is_accel)
        ic_accel_blank(entry);
    else
        ic_llm_blank(entry);
    base[0] = '\0';

    const cJSON *keyv = v, *namev = NULL;
    if (cJSON_IsObject(v)) {
        keyv = cJSON_GetObjectItemCaseSensitive(v, "base");
        namev = cJSON_GetObjectItemCaseSensitive(v, "name");
        if (keyv && namev) {
            ic_diag_add(w->diag,
                        "%s: %s: give either \"base\" (a catalog entry to override) or \"name\" "
                        "(a new entry), not both%s",
                        w->label, ptr, origin(w, ptr));
            return;
        }
        if (!keyv && !namev) {
            ic_diag_add(w->diag,
                        "%s: %s: an %s object needs \"base\" (a catalog key, see `%s`) or "
                        "\"name\" (a new entry)%s",
                        w->label, ptr, what, list, origin(w, ptr));
            return;
        }
    } else if (!cJSON_IsString(v)) {
        char exp[160];
        snprintf(exp, sizeof exp, "a catalog key (see `%s`) or an object", list);
        bad_value(w, ptr, v, exp);
        return;
    }
    if (keyv) {
        char sub[PTR_MAX];
        if (keyv == v)
            ic_strlcpy(sub, ptr, sizeof sub);
        else
            ptr_join(sub, ptr, "base");
        if (!cJSON_IsString(keyv)) {
            bad_value(w, sub, keyv, "a catalog key (string)");
            return;
        }
        const void *found = is_accel ? (const void *)ic_catalog_accel(w->cat, keyv->valuestring)
                                     : (const void *)ic_catalog_llm(w->cat, keyv->valuestring);
        if (!found) {
            size_t n = is_accel ? w->cat->n_accels : w->cat->n_llms;
            const char **cands = calloc(n ? n : 1, sizeof *cands);
            for (size_t i = 0; cands && i < n; i++)
                cands[i] = is_accel ? w->cat->accels[i].key : w->cat->llms[i].key;
            char dym[200];
            ic_did_you_mean(keyv->valuestring, cands, n, dym, sizeof dym);
            char got[96];
            ic_json_describe(keyv, got, sizeof got);
            ic_diag_add(w->diag, "%s: %s: unknown %s %s%s (the keys: `%s`)%s", w->label, sub, what,
                        got, dym, list, origin(w, sub));
            free(cands);
            return;
        }
        memcpy(entry, found, is_accel ? sizeof(struct ic_accelerator) : sizeof(struct ic_llm));
        ic_strlcpy(base, keyv->valuestring, IC_KEY_MAX);
    } else {
        char sub[PTR_MAX];
        ptr_join(sub, ptr, "name");
        if (!cJSON_IsString(namev) || !namev->valuestring[0] ||
            strlen(namev->valuestring) >= IC_KEY_MAX) {
            bad_value(w, sub, namev, "a non-empty name of at most 47 bytes");
            return;
        }
        ic_strlcpy(key, namev->valuestring, IC_KEY_MAX);
    }
    if (cJSON_IsObject(v)) {
        const cJSON *m;
        cJSON_ArrayForEach(m, v) {
            if (strcmp(m->string, "base") == 0 || strcmp(m->string, "name") == 0) continue;
            char sub[PTR_MAX];
            ptr_join(sub, ptr, m->string);
            const struct ic_field *f = ic_field_find(fields, nfields, m->string);
            if (!f) {
                const char *cands[64];
                size_t nc = nfields < 64 ? nfields : 64;
                for (size_t i = 0; i < nc; i++) cands[i] = fields[i].name;
                char dym[200];
                ic_did_you_mean(m->string, cands, nc, dym, sizeof dym);
                ic_diag_add(w->diag, "%s: %s: unknown %s field \"%s\"%s%s", w->label, sub, what,
                            m->string, dym, origin(w, sub));
                continue;
            }
            char why[128];
            if (ic_catalog_read_field(entry, f, m, why, sizeof why) != 0) bad_value(w, sub, m, why);
        }
    }
    for (size_t i = 0; i < nfields; i++) {
        if (!fields[i].required) continue;
        double x = *(double *)((char *)entry + fields[i].offset);
        if (!isfinite(x)) { /* zeros were refused when read */
            ic_diag_add(w->diag,
                        "%s: %s: %s \"%s\" has no %s (%s)%s; give it, e.g. {\"%s\": \"%s\", "
                        "\"%s\": ...}%s",
                        w->label, ptr, what, key, fields[i].name, fields[i].doc,
                        base[0] ? " in the catalog (unsourced)" : "", base[0] ? "base" : "name",
                        key, fields[i].name, origin(w, ptr));
        }
    }
}

/* ---- the walk ------------------------------------------------------------------------------ */

static void walk_object(struct walker *w, const cJSON *obj, const char *pattern, const char *ptr,
                        void *base);

static void read_value(struct walker *w, const struct ic_param *p, const cJSON *v, const char *ptr,
                       void *base) {
    void *dst = at(base, p->offset);
    double x;
    switch (p->type) {
    case IC_T_OBJ:
        if (!cJSON_IsObject(v)) {
            bad_value(w, ptr, v, "an object");
            return;
        }
        walk_object(w, v, p->path, ptr, base);
        return;
    case IC_T_OBJARR: {
        int n = cJSON_GetArraySize(v);
        char exp[96];
        snprintf(exp, sizeof exp, "an array of %d to %d objects", p->min_count, p->max_count);
        if (!cJSON_IsArray(v) || n < p->min_count || n > p->max_count) {
            bad_value(w, ptr, v, exp);
            return;
        }
        char epat[PTR_MAX];
        ptr_join(epat, p->path, "*");
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            char eptr[PTR_MAX];
            ptr_index(eptr, ptr, i);
            void *ebase = at(base, p->offset2 + (size_t)i * p->size);
            set_defaults(epat, eptr, ebase);
            if (!cJSON_IsObject(e))
                bad_value(w, eptr, e, "an object");
            else
                walk_object(w, e, epat, eptr, ebase);
            i++;
        }
        *(int *)dst = n;
        return;
    }
    case IC_T_NUM:
    case IC_T_INT:
        if (read_number(w, p, v, ptr, &x) != 0) return;
        if (p->type == IC_T_NUM)
            *(double *)dst = x;
        else
            *(long long *)dst = (long long)x;
        return;
    case IC_T_DIST:
    case IC_T_IDIST:
        read_dist(w, p, v, ptr, dst);
        return;
    case IC_T_STR: {
        char exp[64];
        snprintf(exp, sizeof exp, "a string of at most %zu bytes", p->size - 1);
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= p->size) {
            bad_value(w, ptr, v, exp);
            return;
        }
        ic_strlcpy(dst, v->valuestring, p->size);
        return;
    }
    case IC_T_ENUM: {
        int k = cJSON_IsString(v) ? ic_param_choice_value(p, v->valuestring) : -1;
        if (k < 0) {
            char exp[200], choices[180];
            ic_param_choices_text(p, ",", choices, sizeof choices);
            snprintf(exp, sizeof exp, "one of: %s", choices);
            bad_value(w, ptr, v, exp);
            return;
        }
        *(int *)dst = k;
        return;
    }
    case IC_T_TIME: {
        struct ic_time *t = dst;
        const char *exp = "an ISO-8601 time with UTC offset, e.g. \"2024-03-18T09:30:00+08:00\"";
        if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof t->text ||
            ic_time_parse_into(v->valuestring, t) != 0) {
            bad_value(w, ptr, v, exp);
            return;
        }
        return;
    }
    case IC_T_NUMARR:
        read_numarr(w, p, v, ptr, dst);
        return;
    case IC_T_ACCEL:
    case IC_T_LLM:
        read_ref(w, p, v, ptr, dst);
        return;
    case IC_T_JSONARR: {
        int n = cJSON_GetArraySize(v);
        char *text = cJSON_IsArray(v) && n >= p->min_count ? cJSON_PrintUnformatted(v) : NULL;
        if (!text || strlen(text) >= p->size) {
            char exp[96];
            snprintf(exp, sizeof exp, "an array of at least %d values, at most %zu bytes of JSON",
                     p->min_count, p->size - 1);
            bad_value(w, ptr, v, exp);
        } else {
            ic_strlcpy(dst, text, p->size);
        }
        free(text);
        return;
    }
    default:
        return;
    }
}

static void walk_object(struct walker *w, const cJSON *obj, const char *pattern, const char *ptr,
                        void *base) {
    const cJSON *c;
    cJSON_ArrayForEach(c, obj) {
        char cptr[PTR_MAX], cpat[PTR_MAX];
        ptr_join(cptr, ptr, c->string);
        ptr_join(cpat, pattern, c->string);
        const struct ic_param *p = strchr(c->string, '/') ? NULL : ic_param_find(cpat);
        if (!p || p->path[strlen(p->path) - 1] == '*') {
            const char *cands[128];
            size_t nc = 0;
            for (size_t i = 0; i < ic_param_count && nc < 128; i++)
                if (is_child_of(ic_params[i].path, pattern))
                    cands[nc++] = ic_params[i].path + strlen(pattern) + 1;
            char dym[200];
            ic_did_you_mean(c->string, cands, nc, dym, sizeof dym);
            ic_diag_add(w->diag, "%s: %s: unknown key \"%s\"%s%s", w->label, cptr, c->string, dym,
                        origin(w, cptr));
            continue;
        }
        read_value(w, p, c, cptr, base);
    }
    /* Required fields and arrays with a default length. */
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (!is_child_of(p->path, pattern)) continue;
        const char *key = p->path + strlen(pattern) + 1;
        if (cJSON_GetObjectItemCaseSensitive(obj, key)) continue;
        char cptr[PTR_MAX];
        ptr_join(cptr, ptr, key);
        /* A prefill/decode fleet is sized by its roles' units, not by /fleet/accelerators. */
        int by_roles = strcmp(p->path, "/fleet/accelerators") == 0 &&
                       cJSON_GetObjectItemCaseSensitive(obj, "roles") != NULL;
        if (p->required && !by_roles) {
            ic_diag_add(w->diag, "%s: %s: missing required %s (%s)", w->label, cptr,
                        ic_param_type_name(p), p->doc);
        } else if (p->type == IC_T_OBJ) {
            /* An absent object still has defaults and required members to report. */
            cJSON *empty = cJSON_CreateObject();
            walk_object(w, empty, p->path, cptr, base);
            cJSON_Delete(empty);
        } else if (p->type == IC_T_OBJARR && p->min_count > 0) {
            char epat[PTR_MAX];
            ptr_join(epat, p->path, "*");
            for (int k = 0; k < p->min_count; k++) {
                char eptr[PTR_MAX];
                ptr_index(eptr, cptr, k);
                void *ebase = at(base, p->offset2 + (size_t)k * p->size);
                set_defaults(epat, eptr, ebase);
                cJSON *empty = cJSON_CreateObject();
                walk_object(w, empty, epat, eptr, ebase);
                cJSON_Delete(empty);
            }
            *(int *)at(base, p->offset) = p->min_count;
        }
    }
}

/* Duplicate keys anywhere in the document (cJSON keeps both and lookups see the first). */
static void check_duplicates(struct walker *w, const cJSON *node, const char *ptr) {
    int i = 0;
    for (const cJSON *c = node->child; c; c = c->next, i++) {
        char cptr[PTR_MAX];
        if (cJSON_IsObject(node)) {
            ptr_join(cptr, ptr, c->string);
            for (const cJSON *d = node->child; d != c; d = d->next)
                if (strcmp(d->string, c->string) == 0) {
                    ic_diag_add(w->diag, "%s: %s: duplicate key \"%s\"%s", w->label, cptr,
                                c->string, origin(w, cptr));
                    break;
                }
        } else {
            ptr_index(cptr, ptr, i);
        }
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) check_duplicates(w, c, cptr);
    }
}

/* ---- --set overrides ----------------------------------------------------------------------- */

/* Decode one RFC 6901 reference token in place ("~1" -> "/", "~0" -> "~"). */
static int unescape_token(char *t) {
    char *o = t;
    for (char *p = t; *p; p++) {
        if (*p == '~') {
            if (p[1] == '0')
                *o++ = '~';
            else if (p[1] == '1')
                *o++ = '/';
            else
                return -1;
            p++;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return 0;
}

static int is_index(const char *t, int *out) {
    if (!*t || (t[0] == '0' && t[1])) return 0;
    long v = 0;
    for (const char *p = t; *p; p++) {
        if (*p < '0' || *p > '9' || v > 100000000) return 0;
        v = v * 10 + (*p - '0');
    }
    *out = (int)v;
    return 1;
}

/* Split off the next reference token of a pointer (empty tokens are keys too, RFC 6901). */
static char *next_token(char **rest) {
    char *t = *rest;
    if (!t) return NULL;
    char *slash = strchr(t, '/');
    if (slash) {
        *slash = '\0';
        *rest = slash + 1;
    } else {
        *rest = NULL;
    }
    return t;
}

static void apply_set(cJSON *root, const char *arg, struct ic_diag *diag, struct ic_diag *created) {
    const char *eq = strchr(arg, '=');
    if (!eq || arg[0] != '/') {
        ic_diag_add(diag,
                    "--set %s: expected /json/pointer=VALUE (e.g. --set /fleet/accelerators=2048)",
                    arg);
        return;
    }
    size_t plen = (size_t)(eq - arg);
    if (plen >= PTR_MAX) {
        ic_diag_add(diag, "--set: pointer longer than %d bytes", PTR_MAX - 1);
        return;
    }
    char ptr[PTR_MAX];
    memcpy(ptr, arg, plen);
    ptr[plen] = '\0';
    const char *text = eq + 1;
    cJSON *val = cJSON_ParseWithOpts(text, NULL, 1);
    if (!val) val = cJSON_CreateString(text); /* not JSON: take it as a string */

    cJSON *node = root;
    char *rest = ptr + 1, *tok = next_token(&rest);
    char done[PTR_MAX] = "";
    while (tok) {
        char *next = next_token(&rest);
        if (unescape_token(tok) != 0) {
            ic_diag_add(diag, "--set %.*s: bad escape in pointer (use ~0 for ~ and ~1 for /)",
                        (int)plen, arg);
            cJSON_Delete(val);
            return;
        }
        if (cJSON_IsObject(node)) {
            cJSON *child = cJSON_GetObjectItemCaseSensitive(node, tok);
            if (!next) {
                if (child)
                    cJSON_ReplaceItemInObjectCaseSensitive(node, tok, val);
                else
                    cJSON_AddItemToObject(node, tok, val);
                return;
            }
            if (!child) {
                /* A missing container: an array when the next token indexes one. */
                int i0;
                if (strcmp(next, "-") == 0 || is_index(next, &i0))
                    child = cJSON_AddArrayToObject(node, tok);
                else
                    child = cJSON_AddObjectToObject(node, tok);
                char cp[PTR_MAX];
                ptr_join(cp, done, tok);
                ic_diag_add(created, "%s", cp);
            }
            node = child;
        } else if (cJSON_IsArray(node)) {
            int idx, n = cJSON_GetArraySize(node);
            if (strcmp(tok, "-") == 0)
                idx = n;
            else if (!is_index(tok, &idx) || idx > n) {
                ic_diag_add(diag,
                            "--set %.*s: %s has %d elements; \"%s\" is not an index "
                            "0..%d (or \"-\" to append)",
                            (int)plen, arg, done[0] ? done : "/", n, tok, n);
                cJSON_Delete(val);
                return;
            }
            if (!next) {
                if (idx == n)
                    cJSON_AddItemToArray(node, val);
                else
                    cJSON_ReplaceItemInArray(node, idx, val);
                return;
            }
            if (idx == n) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddItemToArray(node, o);
                node = o;
                char cp[PTR_MAX];
                ptr_index(cp, done, idx);
                ic_diag_add(created, "%s", cp);
            } else {
                node = cJSON_GetArrayItem(node, idx);
            }
        } else {
            ic_diag_add(diag,
                        "--set %.*s: %s is not an object or array, so it has no member \"%s\"",
                        (int)plen, arg, done, tok);
            cJSON_Delete(val);
            return;
        }
        ic_pointer_append(done, sizeof done, tok);
        tok = next;
    }
    /* Pointer "/" or empty token list: replacing the whole document is not allowed. */
    ic_diag_add(diag, "--set %.*s: cannot replace the whole scenario", (int)plen, arg);
    cJSON_Delete(val);
}

/* Split a --sweep value list at the commas outside strings, brackets and braces. */
static int split_values(const char *spec, cJSON *arr) {
    const char *start = spec;
    int depth = 0, in_str = 0;
    for (const char *c = spec;; c++) {
        if (in_str) {
            if (*c == '\\' && c[1])
                c++;
            else if (*c == '"')
                in_str = 0;
            else if (!*c)
                return -1;
            continue;
        }
        if (*c == '"')
            in_str = 1;
        else if (*c == '[' || *c == '{')
            depth++;
        else if (*c == ']' || *c == '}')
            depth--;
        else if ((*c == ',' && depth == 0) || !*c) {
            size_t n = (size_t)(c - start);
            char *piece = malloc(n + 1);
            if (!piece) return -1;
            memcpy(piece, start, n);
            piece[n] = '\0';
            cJSON *v = n ? cJSON_ParseWithOpts(piece, NULL, 1) : NULL;
            if (!v) v = cJSON_CreateString(piece); /* not JSON: a string */
            free(piece);
            if (!n) {
                cJSON_Delete(v);
                return -1;
            }
            cJSON_AddItemToArray(arr, v);
            if (!*c) return 0;
            start = c + 1;
        }
    }
}

/* lo:hi:n with three numbers; 0 when it is one. */
static int parse_range(const char *s, double v[3]) {
    char *end;
    for (int i = 0; i < 3; i++) {
        v[i] = strtod(s, &end);
        if (end == s || (i < 2 ? *end != ':' : *end != '\0')) return -1;
        s = end + 1;
    }
    return 0;
}

/* --sweep /ptr=SPEC: an axis of /sweep (replacing one with the same pointer, else appended). */
static void apply_sweep(cJSON *root, const char *arg, struct ic_diag *diag) {
    const char *eq = strchr(arg, '=');
    const char *usage = "expected /json/pointer=v1,v2,... or /json/pointer=lo:hi:n or "
                        "/json/pointer=geom:lo:hi:n";
    if (!eq || arg[0] != '/' || !eq[1] || (size_t)(eq - arg) >= 256) {
        ic_diag_add(diag, "--sweep %s: %s", arg, usage);
        return;
    }
    cJSON *axis = cJSON_CreateObject();
    char ptr[256];
    memcpy(ptr, arg, (size_t)(eq - arg));
    ptr[eq - arg] = '\0';
    cJSON_AddStringToObject(axis, "pointer", ptr);
    const char *spec = eq + 1;
    double r[3];
    if (strncmp(spec, "geom:", 5) == 0) {
        if (parse_range(spec + 5, r) != 0) {
            ic_diag_add(diag, "--sweep %s: %s", arg, usage);
            cJSON_Delete(axis);
            return;
        }
        cJSON_AddItemToObject(axis, "geom", cJSON_CreateDoubleArray(r, 3));
    } else if (parse_range(spec, r) == 0) {
        cJSON_AddItemToObject(axis, "linear", cJSON_CreateDoubleArray(r, 3));
    } else {
        cJSON *vals = cJSON_AddArrayToObject(axis, "values");
        if (split_values(spec, vals) != 0) {
            ic_diag_add(diag, "--sweep %s: an empty value or an unclosed string; %s", arg, usage);
            cJSON_Delete(axis);
            return;
        }
    }
    cJSON *sweep = cJSON_GetObjectItemCaseSensitive(root, "sweep");
    if (!sweep) sweep = cJSON_AddArrayToObject(root, "sweep");
    if (!cJSON_IsArray(sweep)) {
        ic_diag_add(diag, "--sweep %s: /sweep is not an array", arg);
        cJSON_Delete(axis);
        return;
    }
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, sweep) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(e, "pointer");
        if (cJSON_IsString(p) && strcmp(p->valuestring, ptr) == 0) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
            if (cJSON_IsString(nm)) cJSON_AddStringToObject(axis, "name", nm->valuestring);
            cJSON_ReplaceItemInArray(sweep, i, axis);
            return;
        }
        i++;
    }
    cJSON_AddItemToArray(sweep, axis);
}

/* ---- cross-field rules --------------------------------------------------------------------- */

/* A cross-field message about the field at ptr: "FILE: PTR: MESSAGE (from --set)". */
static void xdiag(struct walker *w, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void xdiag(struct walker *w, const char *ptr, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ic_diag_add(w->diag, "%s: %s: %s%s", w->label, ptr, msg, origin(w, ptr));
}

static void check_growth(struct walker *w, const struct ic_scenario *sc) {
    const int model = sc->traffic.growth.model;
    const int np = sc->traffic.growth.n_points;
    const struct ic_point *pt = sc->traffic.growth.points;
    if (model == IC_GROWTH_PIECEWISE && np < 1)
        xdiag(w, "/traffic/growth/points", "model \"piecewise\" needs at least one point");
    if (model != IC_GROWTH_PIECEWISE && np > 0)
        xdiag(w, "/traffic/growth/points",
              "points are given but /traffic/growth/model is not \"piecewise\"");
    for (int i = 1; i < np; i++)
        if (!(pt[i].time.unix_s > pt[i - 1].time.unix_s)) {
            char ptr[PTR_MAX];
            ptr_index(ptr, "/traffic/growth/points", i);
            xdiag(w, ptr, "time %s is not after the previous point's %s", pt[i].time.text,
                  pt[i - 1].time.text);
        }
    const struct ic_numarr *mean = &sc->traffic.growth.fit.mean,
                           *cov = &sc->traffic.growth.fit.covariance;
    if (mean->n == 0 && cov->n == 0) return;
    int n = ic_growth_nparams(model);
    if (n == 0) {
        xdiag(w, "/traffic/growth/fit", "model \"piecewise\" has no parameters to fit");
        return;
    }
    if (mean->n != n) {
        xdiag(w, "/traffic/growth/fit/mean", "got %d numbers, expected %d for model %s", mean->n, n,
              ic_growth_model_name(model));
        return;
    }
    if (cov->n != n * n) {
        xdiag(w, "/traffic/growth/fit/covariance", "got %d numbers, expected %d (row-major %dx%d)",
              cov->n, n * n, n, n);
        return;
    }
    double l[IC_GROWTH_MAX_PARAMS * IC_GROWTH_MAX_PARAMS];
    int sym = 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            sym &= fabs(cov->v[i * n + j] - cov->v[j * n + i]) <=
                   1e-9 * (fabs(cov->v[i * n + j]) + fabs(cov->v[j * n + i]) + 1e-300);
    if (!sym)
        xdiag(w, "/traffic/growth/fit/covariance", "expected a symmetric matrix");
    else if (ic_cholesky(n, cov->v, l) != 0)
        xdiag(w, "/traffic/growth/fit/covariance", "expected a positive semi-definite matrix");
}

/* A token-length distribution's own rules. */
static void check_tokens(struct walker *w, const struct ic_token_dist *t, const char *ptr) {
    char sub[PTR_MAX];
    if (t->shape == IC_TOK_HISTOGRAM) {
        int ok = t->edges.n >= 2 && t->weights.n == t->edges.n - 1;
        double sum = 0;
        for (int i = 0; ok && i < t->weights.n; i++) sum += t->weights.v[i];
        for (int i = 1; ok && i < t->edges.n; i++) ok &= t->edges.v[i] > t->edges.v[i - 1];
        if (!ok || !(sum > 0)) {
            ptr_join(sub, ptr, "edges");
            xdiag(w, sub,
                  "shape \"histogram\" needs at least 2 increasing edges and one weight per bin "
                  "with a positive sum (got %d edges, %d weights)",
                  t->edges.n, t->weights.n);
        }
    } else if (t->edges.n > 0 || t->weights.n > 0) {
        ptr_join(sub, ptr, "edges");
        xdiag(w, sub, "edges and weights are given but the shape is not \"histogram\"");
    }
    if (t->shape == IC_TOK_PARETO_LOGNORMAL && !(ic_dist_mean(&t->tail_weight) > 0)) {
        ptr_join(sub, ptr, "tail_weight");
        xdiag(w, sub, "shape \"pareto-lognormal\" needs a tail_weight > 0");
    }
}

static void check_workload(struct walker *w, const struct ic_scenario *sc) {
    for (int c = 0; c < sc->workload.n_classes; c++) {
        const struct ic_class *k = &sc->workload.classes[c];
        char cp[PTR_MAX], sub[PTR_MAX];
        ptr_index(cp, "/workload/classes", c);
        ptr_join(sub, cp, "input_tokens");
        check_tokens(w, &k->input_tokens, sub);
        ptr_join(sub, cp, "output_tokens");
        check_tokens(w, &k->output_tokens, sub);
        ptr_join(sub, cp, "reasoning_tokens");
        check_tokens(w, &k->reasoning_tokens, sub);
        for (int d = 0; d < c; d++)
            if (strcmp(sc->workload.classes[d].name, k->name) == 0) {
                ptr_join(sub, cp, "name");
                xdiag(w, sub, "\"%s\" is the name of class %d too; class names must differ",
                      k->name, d);
            }
    }
    const char *names[IC_MAX_CLASSES];
    for (int c = 0; c < sc->workload.n_classes; c++) names[c] = sc->workload.classes[c].name;
    for (int e = 0; e < sc->traffic.n_events; e++)
        for (int i = 0; i < sc->traffic.events[e].n_mix; i++) {
            const char *cls = sc->traffic.events[e].mix[i].class_name;
            int found = 0;
            for (int c = 0; c < sc->workload.n_classes; c++) found |= strcmp(names[c], cls) == 0;
            if (found) continue;
            char ptr[PTR_MAX], ep[PTR_MAX], mp[PTR_MAX], dym[200];
            ptr_index(ep, "/traffic/events", e);
            ptr_join(mp, ep, "mix");
            ptr_index(ep, mp, i);
            ptr_join(ptr, ep, "class");
            ic_did_you_mean(cls, names, (size_t)sc->workload.n_classes, dym, sizeof dym);
            xdiag(w, ptr, "no request class is named \"%s\"%s", cls, dym);
        }
}

/* A sweep axis: one way of giving its values, a pointer to a field outside /sweep, n >= 1. */
static void check_sweep(struct walker *w, const struct ic_scenario *sc) {
    for (int a = 0; a < sc->sweep.n_axes; a++) {
        const struct ic_sweep_spec *sp = &sc->sweep.axes[a];
        char ptr[PTR_MAX];
        ptr_index(ptr, "/sweep", a);
        int given = (sp->values[0] != '\0') + (sp->linear.n == 3) + (sp->geom.n == 3);
        if (given != 1)
            xdiag(w, ptr, "expected exactly one of \"values\", \"linear\" or \"geom\" (got %d)",
                  given);
        if (sp->pointer[0] != '/' || strncmp(sp->pointer, "/sweep", 6) == 0 ||
            strcmp(sp->pointer, "/seed") == 0 || strcmp(sp->pointer, "/name") == 0) {
            char f[PTR_MAX];
            ptr_join(f, ptr, "pointer");
            xdiag(w, f,
                  "got \"%s\", expected the JSON Pointer of a scenario field (not /sweep, /name "
                  "or /seed: every point shares the seed)",
                  sp->pointer);
        }
        for (int b = 0; b < a; b++)
            if (strcmp(sc->sweep.axes[b].pointer, sp->pointer) == 0) {
                char f[PTR_MAX];
                ptr_join(f, ptr, "pointer");
                xdiag(w, f, "\"%s\" is swept twice (also by /sweep/%d)", sp->pointer, b);
            }
        const struct ic_numarr *r = sp->linear.n == 3 ? &sp->linear : &sp->geom;
        if (r->n == 3) {
            char f[PTR_MAX];
            ptr_join(f, ptr, r == &sp->linear ? "linear" : "geom");
            double n = r->v[2];
            if (n < 1 || n > 100000 || n != floor(n))
                xdiag(w, f, "got n = %g, expected [lo, hi, n] with n an integer from 1 to 100000",
                      n);
            if (r == &sp->geom && !(r->v[0] > 0 && r->v[1] > 0))
                xdiag(w, f, "got [%g, %g, ...], expected lo > 0 and hi > 0 for geometric spacing",
                      r->v[0], r->v[1]);
        }
    }
}

/* The request engine's window lies within the horizon. */
static void check_request_engine(struct walker *w, const struct ic_scenario *sc) {
    const double horizon = sc->horizon_days * 86400.0;
    const struct ic_time *ws = &sc->request_engine.window_start;
    double start = ws->text[0] ? ws->unix_s - sc->start.unix_s : 0.0;
    if (ws->text[0] && (start < 0 || start >= horizon))
        xdiag(w, "/request_engine/window_start",
              "got \"%s\", expected a time within the horizon (%s plus %g days)", ws->text,
              sc->start.text, sc->horizon_days);
    else if (start + sc->request_engine.duration_s > horizon + 1e-6)
        xdiag(w, "/request_engine/duration_s",
              "got %g, expected at most %g s: the window must end by the horizon's end",
              sc->request_engine.duration_s, horizon - start);
}

/* The roles' accelerators: catalog entries by key. */
static void resolve_role_accelerators(struct walker *w, struct ic_scenario *sc) {
    struct ic_role_spec *r[2] = {&sc->fleet.roles.prefill, &sc->fleet.roles.decode};
    const char *name[2] = {"prefill", "decode"};
    for (int k = 0; k < 2; k++) {
        if (!r[k]->accelerator[0]) {
            memset(&r[k]->accel, 0, sizeof r[k]->accel); /* none (after an override too) */
            continue;
        }
        const struct ic_accelerator *a =
            w->cat ? ic_catalog_accel(w->cat, r[k]->accelerator) : NULL;
        char ptr[PTR_MAX];
        snprintf(ptr, sizeof ptr, "/fleet/roles/%s/accelerator", name[k]);
        if (!a)
            xdiag(w, ptr, "unknown accelerator \"%s\" (`infercap catalog accelerators` lists them)",
                  r[k]->accelerator);
        else
            r[k]->accel = *a;
    }
}

/* A prefill/decode fleet (/fleet/roles) and demand as tokens a day (/traffic/tokens_per_day). */
static void check_roles(struct walker *w, const struct ic_scenario *sc) {
    const double in = sc->traffic.tokens_per_day.input, out = sc->traffic.tokens_per_day.output;
    if (out > 0 && !(in > 0))
        xdiag(w, "/traffic/tokens_per_day/input",
              "got 0 with output %g tokens a day, expected the input tokens a day too", out);
    if (in > 0 && sc->engine == IC_ENG_REQUEST)
        xdiag(w, "/traffic/tokens_per_day/input",
              "demand as tokens a day is the aggregate engine's; give the request engine users "
              "(/traffic/growth) or use /engine aggregate");
    if (!ic_scenario_has_roles(sc)) return;
    if (!sc->serving.disaggregated)
        xdiag(w, "/serving/disaggregated",
              "got \"no\" with /fleet/roles, expected \"yes\" (a prefill/decode fleet serves "
              "disaggregated)");
    if (ic_dist_is_random(&sc->fleet.accelerators) || ic_dist_mean(&sc->fleet.accelerators) != 0)
        xdiag(w, "/fleet/accelerators",
              "given with /fleet/roles, expected it left out: the fleet is the roles' units");
    if (sc->fleet.n_pools > 0)
        xdiag(w, "/fleet/pools", "given with /fleet/roles, expected one or the other");
    if (sc->fleet.autoscale.enabled)
        xdiag(w, "/fleet/autoscale/enabled",
              "autoscaling a prefill/decode fleet is not modelled; the capacity-needed curve "
              "(README, \"P/D fleets and capacity needed\") says what a fleet that follows "
              "the load needs");
    if (sc->engine == IC_ENG_REQUEST)
        xdiag(w, "/engine", "the request engine does not model /fleet/roles; use aggregate");
    const struct ic_role_spec *r[2] = {&sc->fleet.roles.prefill, &sc->fleet.roles.decode};
    const char *name[2] = {"prefill", "decode"};
    for (int k = 0; k < 2; k++)
        if (r[k]->accelerator[0] &&
            !isfinite(ic_peak_flops(&r[k]->accel, sc->serving.weight_precision))) {
            char ptr[PTR_MAX];
            snprintf(ptr, sizeof ptr, "/fleet/roles/%s/accelerator", name[k]);
            xdiag(w, ptr,
                  "accelerator \"%s\" has no %s compute; use one that has, or another "
                  "/serving/weight_precision",
                  r[k]->accelerator, ic_precision_name(sc->serving.weight_precision));
        }
}

int ic_scenario_has_roles(const struct ic_scenario *sc) {
    const struct ic_dist *p = &sc->fleet.roles.prefill.units, *d = &sc->fleet.roles.decode.units;
    return ic_dist_is_random(p) || ic_dist_is_random(d) || ic_dist_mean(p) > 0 ||
           ic_dist_mean(d) > 0;
}

int ic_scenario_tokens_per_day(const struct ic_scenario *sc) {
    return sc->traffic.tokens_per_day.input > 0;
}

static void cross_checks(struct walker *w, const struct ic_scenario *sc) {
    check_sweep(w, sc);
    /* A run that would take days is a mistake more often than a plan: 1e13 path-steps is ten
     * days at this machine's ~16 M/s (README, Performance). */
    double path_steps = (double)sc->paths * sc->horizon_days * 86400.0 / sc->step_s;
    if (path_steps > 1e13)
        xdiag(w, "/paths",
              "%lld paths x %.0f steps is %.3g path-steps, more than 1e13; lower /paths or "
              "/horizon_days, or raise /step_s",
              sc->paths, sc->horizon_days * 86400.0 / sc->step_s, path_steps);
    if (sc->engine == IC_ENG_REQUEST) check_request_engine(w, sc);
    /* The name becomes the default output file name: keep it to a safe alphabet. */
    size_t bad_at = strspn(sc->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789-_.");
    if (!sc->name[0] || sc->name[bad_at] || sc->name[0] == '.')
        xdiag(w, "/name",
              "got \"%s\", expected a non-empty name of letters, digits, '-', '_' and '.' (not "
              "starting with '.')",
              sc->name);
    double horizon_s = sc->horizon_days * 86400.0;
    double ratio = sc->output.interval_s / sc->step_s;
    if (fabs(ratio - floor(ratio + 0.5)) > 1e-9 * ratio || ratio < 0.5)
        xdiag(w, "/output/interval_s", "got %g, expected a multiple of /step_s (%g)",
              sc->output.interval_s, sc->step_s);
    if (horizon_s < sc->step_s)
        xdiag(w, "/horizon_days", "%g days is shorter than one step of %g s", sc->horizon_days,
              sc->step_s);
    double steps = horizon_s / sc->step_s;
    if (steps > 1e8)
        xdiag(w, "/step_s",
              "%g s over %g days makes %.3g steps per path, expected at most 1e8; raise /step_s "
              "or shorten /horizon_days",
              sc->step_s, sc->horizon_days, steps);
    const struct ic_numarr *q = &sc->output.quantiles;
    for (int i = 0; i < q->n; i++) {
        char ptr[PTR_MAX];
        ptr_index(ptr, "/output/quantiles", i);
        if (!(q->v[i] > 0 && q->v[i] < 1))
            xdiag(w, ptr, "got %g, expected a value in (0, 1)", q->v[i]);
        if (i > 0 && !(q->v[i] > q->v[i - 1]))
            xdiag(w, ptr, "got %g after %g, expected increasing quantiles", q->v[i], q->v[i - 1]);
    }
    const struct ic_numarr *dw = &sc->traffic.diurnal.weights;
    if (sc->traffic.diurnal.profile == IC_DIURNAL_CUSTOM) {
        double s = 0;
        for (int i = 0; i < dw->n; i++) s += dw->v[i];
        if (dw->n != 24 || !(s > 0))
            xdiag(w, "/traffic/diurnal/weights",
                  "profile \"custom\" needs 24 weights with a positive sum (got %d weights)",
                  dw->n);
    } else if (dw->n > 0) {
        xdiag(w, "/traffic/diurnal/weights",
              "weights are given but /traffic/diurnal/profile is not \"custom\"; set it to "
              "\"custom\" to use them");
    }
    double share = 0;
    for (int i = 0; i < sc->workload.n_classes; i++) {
        const struct ic_dist *d = &sc->workload.classes[i].share;
        share += d->kind == IC_DIST_FIXED ? d->a : ic_dist_mean(d);
    }
    if (sc->workload.n_classes > 0 && !(share > 0))
        xdiag(w, "/workload/classes",
              "the shares sum to 0; give at least one class a positive share");

    check_growth(w, sc);
    check_workload(w, sc);
    const struct ic_numarr *dow = &sc->traffic.diurnal.day_of_week;
    double dsum = 0;
    for (int i = 0; i < dow->n; i++) dsum += dow->v[i];
    if (dow->n > 0 && !(dsum > 0))
        xdiag(w, "/traffic/diurnal/day_of_week", "the weights sum to 0, expected a positive sum");
    int off;
    if (sc->traffic.diurnal.utc_offset[0] &&
        ic_parse_utc_offset(sc->traffic.diurnal.utc_offset, &off) != 0)
        xdiag(w, "/traffic/diurnal/utc_offset",
              "got \"%s\", expected an offset like \"+08:00\" or \"-05:00\"",
              sc->traffic.diurnal.utc_offset);

    const struct ic_accelerator *a = &sc->accelerator.value;
    const struct ic_llm *m = &sc->model.value;
    if (a->key[0] && !isfinite(ic_peak_flops(a, sc->serving.weight_precision)))
        xdiag(w, "/serving/weight_precision",
              "accelerator \"%s\" has no %s compute (the catalog lists none); use bf16 or a "
              "precision it supports",
              a->key, ic_precision_name(sc->serving.weight_precision));
    for (int k = 0; k < sc->fleet.n_pools; k++) {
        const struct ic_pool *po = &sc->fleet.pools[k];
        int wp = po->weight_precision ? po->weight_precision - 1 : sc->serving.weight_precision;
        char ptr[PTR_MAX], pp[PTR_MAX];
        ptr_index(pp, "/fleet/pools", k);
        if (po->accelerator.value.key[0] && !isfinite(ic_peak_flops(&po->accelerator.value, wp))) {
            ptr_join(ptr, pp, "weight_precision");
            xdiag(w, ptr,
                  "accelerator \"%s\" has no %s compute (the catalog lists none); give the pool "
                  "a precision it supports",
                  po->accelerator.value.key, ic_precision_name(wp));
        } else if (po->accelerator.value.key[0] && m->key[0]) {
            struct ic_fit fit;
            ic_perf_fit(m, &po->accelerator.value, wp, sc->serving.memory_utilization,
                        sc->serving.kv_reserve_fraction, 0, 0,
                        (long)sc->serving.accelerators_per_node, &fit);
            ptr_join(ptr, pp, "accelerator");
            if (!fit.ok) xdiag(w, ptr, "%s", fit.why);
        }
    }
    const long long fl = sc->fleet.autoscale.floor, cp = sc->fleet.autoscale.cap;
    if (cp > 0 && fl > cp)
        xdiag(w, "/fleet/autoscale/floor", "got %lld, expected at most the cap (%lld)", fl, cp);
    if (sc->serving.kv_precision == IC_PREC_FP4)
        xdiag(w, "/serving/kv_precision", "got \"fp4\", expected bf16, fp8 or int8");
    if (a->key[0] && m->key[0] && isfinite(a->hbm_gb) && isfinite(m->total_params_b)) {
        struct ic_fit fit;
        ic_perf_fit(m, a, sc->serving.weight_precision, sc->serving.memory_utilization,
                    sc->serving.kv_reserve_fraction, (long)sc->serving.tensor_parallel,
                    (long)sc->serving.pipeline_parallel, (long)sc->serving.accelerators_per_node,
                    &fit);
        if (!fit.ok) xdiag(w, "/serving/tensor_parallel", "%s", fit.why);
        /* With attention data parallelism the replica is attention_dp accelerators (and, with
         * disaggregated units, a unit of each role), whatever the weights alone would need. */
        long long tp = sc->serving.tensor_parallel > 0 ? sc->serving.tensor_parallel : 1;
        long long n =
            sc->serving.attention_dp > 0
                ? tp * (sc->serving.attention_dp / tp > 0 ? sc->serving.attention_dp / tp : 1)
                : fit.accels;
        if (sc->serving.disaggregated && sc->serving.prefill_unit > n) n = sc->serving.prefill_unit;
        if (sc->serving.disaggregated && sc->serving.decode_unit > n) n = sc->serving.decode_unit;
        if ((fit.ok || sc->serving.attention_dp > 0) && sc->serving.expert_parallel > n)
            xdiag(w, "/serving/expert_parallel",
                  "got %lld, expected at most the %lld accelerators of a replica%s",
                  sc->serving.expert_parallel, n,
                  sc->serving.attention_dp > 0 ? " (/serving/attention_dp)" : "");
    }
    check_roles(w, sc);
    if (sc->serving.software[0] && !ic_sw_profile_find(sc->serving.software)) {
        char names[256] = "";
        size_t used = 0;
        for (int i = 0; i < ic_sw_profile_count() && used < sizeof names; i++)
            used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                     ic_sw_profile_at(i)->name);
        xdiag(w, "/serving/software", "got \"%s\", expected a software profile: %s",
              sc->serving.software, names);
    }
}

/* ---- loading ------------------------------------------------------------------------------- */

int ic_scenario_load_string(const char *text, const char *label, const struct ic_load_opts *opts,
                            const struct ic_catalog *cat, struct ic_scenario *sc,
                            struct ic_diag *diag, struct ic_error *err) {
    memset(sc, 0, sizeof *sc);
    cJSON *root = ic_json_parse_checked(text, label, err);
    if (!root) return err->status;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return ic_error_set(err, IC_ERR_INVALID, "%s: the scenario must be a JSON object", label);
    }
    struct ic_diag created;
    ic_diag_init(&created);
    for (int i = 0; opts && i < opts->n_sets; i++) apply_set(root, opts->sets[i], diag, &created);
    for (int i = 0; opts && i < opts->n_sweeps; i++) apply_sweep(root, opts->sweeps[i], diag);

    struct walker w = {label, diag, cat, opts, &created};
    check_duplicates(&w, root, "");
    set_defaults("", "", sc);
    walk_object(&w, root, "", "", sc);
    cJSON_Delete(root);
    if (diag->count == 0) resolve_role_accelerators(&w, sc);
    if (diag->count == 0) cross_checks(&w, sc);
    if (opts && opts->created)
        for (size_t i = 0; i < created.count; i++)
            ic_diag_add(opts->created, "%s", created.msgs[i]);
    ic_diag_free(&created);
    if (diag->count || diag->nomem)
        return ic_error_set(err, IC_ERR_INVALID, "%s: %zu error%s", label, diag->count,
                            diag->count == 1 ? "" : "s");
    return IC_OK;
}

int ic_scenario_load(const char *path, const struct ic_load_opts *opts,
                     const struct ic_catalog *cat, struct ic_scenario *sc, struct ic_diag *diag,
                     struct ic_error *err) {
    char *text;
    size_t len;
    int rc = ic_read_file(path, IC_SCENARIO_MAX_BYTES, &text, &len, err);
    if (rc) return rc;
    if (strlen(text) != len) {
        free(text);
        return ic_error_set(err, IC_ERR_INVALID, "%s: contains a NUL byte; not a JSON text", path);
    }
    rc = ic_scenario_load_string(text, path, opts, cat, sc, diag, err);
    free(text);
    return rc;
}

/* ---- overriding fields of a loaded scenario ------------------------------------------------ */

void ic_scenario_defaults(struct ic_scenario *sc) {
    memset(sc, 0, sizeof *sc);
    struct ic_diag scratch; /* the required fields it lacks */
    ic_diag_init(&scratch);
    struct walker w = {"", &scratch, NULL, NULL, NULL};
    set_defaults("", "", sc);
    cJSON *empty = cJSON_CreateObject();
    walk_object(&w, empty, "", "", sc);
    cJSON_Delete(empty);
    ic_diag_free(&scratch);
}

/* The row of field `ptr` (a concrete pointer) of a loaded scenario and the base its offset is
 * relative to (the scenario, or the array element holding it); NULL when ptr is not one field
 * of it.  With diag, the reason is reported as the loader would (label, origin). */
static const struct ic_param *resolve_field(struct walker *w, struct ic_scenario *sc,
                                            const char *arg, size_t plen, const char *ptr,
                                            void **base, char epat[PTR_MAX], char eptr[PTR_MAX],
                                            char cptr[PTR_MAX], int append, const cJSON *val,
                                            int *applied, struct ic_diag *diag) {
    char pat[PTR_MAX] = "", done[PTR_MAX] = "";
    epat[0] = eptr[0] = '\0';
    void *b = sc;
    const struct ic_param *row = NULL;
    int indexed = 0; /* row is an array and the last token indexed it */
    const char *p = ptr;
    if (*p != '/' || strchr(p, '~')) {
        if (diag)
            ic_diag_add(diag, "--set %.*s: cannot replace the whole scenario or an escaped key",
                        (int)plen, arg);
        return NULL;
    }
    while (*p == '/') {
        p++;
        size_t len = strcspn(p, "/");
        char tok[PTR_MAX];
        if (len >= sizeof tok) return NULL;
        memcpy(tok, p, len);
        tok[len] = '\0';
        p += len;
        if (row && row->type == IC_T_OBJARR && !indexed) {
            int idx, n = *(int *)at(b, row->offset);
            if (strcmp(tok, "-") == 0) idx = n;
            /* An element one past the last is appended, as --set does, when asked. */
            int add = append && (strcmp(tok, "-") == 0 || is_index(tok, &idx)) && idx == n &&
                      n < row->max_count;
            if (!add && (!is_index(tok, &idx) || idx >= n)) {
                if (diag)
                    ic_diag_add(diag,
                                "--set %.*s: %s has %d elements; \"%s\" is not an index 0..%d",
                                (int)plen, arg, done, n, tok, n - 1);
                return NULL;
            }
            char ix[16];
            snprintf(ix, sizeof ix, "%d", idx);
            void *eb = at(b, row->offset2 + (size_t)idx * row->size);
            ic_pointer_append(pat, sizeof pat, "*");
            indexed = 1;
            ic_strlcpy(epat, pat, PTR_MAX);
            ic_strlcpy(eptr, done, PTR_MAX);
            ic_pointer_append(eptr, PTR_MAX, ix);
            if (add && append == 1 && !*p) { /* the element itself, to be appended */
                ic_strlcpy(cptr, eptr, PTR_MAX);
                return row;
            }
            if (add && append == 2) {
                /* A new element, read as the loader reads the object --set makes: the rest of
                 * the pointer down to the value (or the value itself, for the element). */
                set_defaults(epat, eptr, eb);
                cJSON *obj = *p ? cJSON_CreateObject() : cJSON_Duplicate(val, 1), *node = obj;
                for (const char *q = p; node && *q == '/';) {
                    q++;
                    size_t k = strcspn(q, "/");
                    char key[PTR_MAX];
                    snprintf(key, sizeof key, "%.*s", (int)k, q);
                    q += k;
                    cJSON *child = *q ? cJSON_CreateObject() : cJSON_Duplicate(val, 1);
                    if (!child || !cJSON_AddItemToObject(node, key, child)) {
                        cJSON_Delete(child);
                        w->diag->nomem = 1;
                        break;
                    }
                    node = child;
                }
                if (!obj)
                    w->diag->nomem = 1;
                else if (!cJSON_IsObject(obj))
                    bad_value(w, eptr, obj, "an object");
                else
                    walk_object(w, obj, epat, eptr, eb);
                cJSON_Delete(obj);
                *(int *)at(b, row->offset) = n + 1;
                *applied = 1;
                ic_strlcpy(cptr, eptr, PTR_MAX);
                return row;
            }
            b = eb;
            ic_pointer_append(done, PTR_MAX, ix);
            continue;
        } else if (row && row->type != IC_T_OBJ && !indexed) {
            if (diag)
                ic_diag_add(diag,
                            "--set %.*s: %s is not an object or array, so it has no member \"%s\"",
                            (int)plen, arg, done, tok);
            return NULL;
        } else {
            char cpat[PTR_MAX];
            ptr_join(cpat, pat, tok);
            const struct ic_param *r = ic_param_find(cpat);
            if (!r || r->path[strlen(r->path) - 1] == '*') {
                if (diag) {
                    const char *cands[128];
                    size_t nc = 0;
                    for (size_t i = 0; i < ic_param_count && nc < 128; i++)
                        if (is_child_of(ic_params[i].path, pat))
                            cands[nc++] = ic_params[i].path + strlen(pat) + 1;
                    char dym[200], kptr[PTR_MAX];
                    ic_did_you_mean(tok, cands, nc, dym, sizeof dym);
                    ptr_join(kptr, done, tok);
                    ic_diag_add(diag, "%s: %s: unknown key \"%s\"%s%s", w->label, kptr, tok, dym,
                                origin(w, kptr));
                }
                return NULL;
            }
            row = r;
            indexed = 0;
            ic_strlcpy(pat, cpat, sizeof pat);
        }
        ic_pointer_append(done, sizeof done, tok);
    }
    ic_strlcpy(cptr, done, PTR_MAX);
    if (!row || indexed) {
        if (diag)
            ic_diag_add(diag, "--set %.*s: %s: an array element is set field by field", (int)plen,
                        arg, done[0] ? done : "/");
        return NULL;
    }
    *base = b;
    return row;
}

int ic_scenario_override(struct ic_scenario *sc, const char *label, const struct ic_load_opts *opts,
                         int first, const struct ic_diag *created, const struct ic_catalog *cat,
                         int report_unknown, struct ic_diag *diag, struct ic_error *err) {
    struct walker w = {label, diag, cat, opts, created};
    const int n = opts ? opts->n_sets : 0;
    size_t before = diag->count;
    /* Every set is one field of this scenario, or none is applied. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = first < 0 ? 0 : first; i < n; i++) {
            const char *arg = opts->sets[i];
            const char *eq = strchr(arg, '=');
            if (!eq || arg[0] != '/' || (size_t)(eq - arg) >= PTR_MAX) {
                if (!report_unknown) return IC_SCENARIO_RELOAD;
                if (pass == 0) apply_set(NULL, arg, diag, NULL); /* its message */
                continue;
            }
            size_t plen = (size_t)(eq - arg);
            char ptr[PTR_MAX];
            memcpy(ptr, arg, plen);
            ptr[plen] = '\0';
            void *base = NULL;
            char epat[PTR_MAX], eptr[PTR_MAX], cptr[PTR_MAX];
            struct ic_diag *why = pass == 0 && report_unknown ? diag : NULL;
            cJSON *val = NULL;
            if (pass == 1) {
                val = cJSON_ParseWithOpts(eq + 1, NULL, 1);
                if (!val) val = cJSON_CreateString(eq + 1); /* not JSON: a string, as --set */
                if (!val) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
            }
            /* Appending elements only to a scenario built from sets alone: a loaded one may
             * hold what an earlier set appended already. */
            int append = report_unknown ? 1 + pass : 0, applied = 0;
            const struct ic_param *row = resolve_field(&w, sc, arg, plen, ptr, &base, epat, eptr,
                                                       cptr, append, val, &applied, why);
            if (!row && !report_unknown) return IC_SCENARIO_RELOAD;
            if (!row || pass == 0 || applied) {
                if (applied) check_duplicates(&w, val, cptr);
                cJSON_Delete(val);
                continue;
            }
            check_duplicates(&w, val, cptr);
            /* An object or array is replaced whole: what it does not give is the default. */
            if (row->type == IC_T_OBJ) set_defaults_under(epat, eptr, base, row->path);
            if (row->type == IC_T_OBJARR)
                memset(at(base, row->offset2), 0, (size_t)row->max_count * row->size);
            read_value(&w, row, val, cptr, base);
            cJSON_Delete(val);
        }
        if (diag->count > before) break;
    }
    if (diag->count == before) resolve_role_accelerators(&w, sc);
    if (diag->count == before) cross_checks(&w, sc);
    if (diag->count > before || diag->nomem)
        return ic_error_set(err, IC_ERR_INVALID, "%s: %zu error%s", label, diag->count,
                            diag->count == 1 ? "" : "s");
    return IC_OK;
}

/* ---- the resolved scenario ----------------------------------------------------------------- */

static cJSON *emit_dist(const struct ic_dist *d) {
    if (d->kind == IC_DIST_FIXED) return cJSON_CreateNumber(d->a);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "dist", ic_dist_kind_name(d->kind));
    const char *const *keys = dist_keys[d->kind];
    if (d->kind == IC_DIST_CHOICE) {
        cJSON_AddItemToObject(o, "values", cJSON_CreateDoubleArray(d->values, d->n));
        cJSON_AddItemToObject(o, "weights", cJSON_CreateDoubleArray(d->weights, d->n));
        return o;
    }
    const double v[3] = {d->a, d->b, d->c};
    for (int i = 0; i < 3 && keys[i]; i++) cJSON_AddNumberToObject(o, keys[i], v[i]);
    return o;
}

/* Does every member of the object `pattern` hold its default (numbers, and distributions fixed
 * at it; members of other types count as set)? */
static int at_defaults(const char *pattern, const void *base) {
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (!is_child_of(p->path, pattern)) continue;
        const void *src = (const char *)base + p->offset;
        switch (p->type) {
        case IC_T_OBJ:
            if (!at_defaults(p->path, base)) return 0;
            break;
        case IC_T_NUM:
            if (*(const double *)src != p->def) return 0;
            break;
        case IC_T_INT:
            if ((double)*(const long long *)src != p->def) return 0;
            break;
        case IC_T_DIST:
        case IC_T_IDIST: {
            const struct ic_dist *d = src;
            if (d->kind != IC_DIST_FIXED || d->a != p->def) return 0;
            break;
        }
        case IC_T_STR:
            if (strcmp(src, p->def_str ? p->def_str : "") != 0) return 0;
            break;
        default:
            return 0;
        }
    }
    return 1;
}

static void emit_object(const char *pattern, const void *base, cJSON *obj) {
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (!is_child_of(p->path, pattern)) continue;
        const char *key = p->path + strlen(pattern) + 1;
        const void *src = (const char *)base + p->offset;
        cJSON *v = NULL;
        switch (p->type) {
        case IC_T_OBJ:
            if (p->optional && at_defaults(p->path, base)) break; /* not in use: left out */
            v = cJSON_CreateObject();
            emit_object(p->path, base, v);
            break;
        case IC_T_OBJARR: {
            v = cJSON_CreateArray();
            char epat[PTR_MAX];
            ptr_join(epat, p->path, "*");
            int n = *(const int *)src;
            for (int k = 0; k < n; k++) {
                cJSON *e = cJSON_CreateObject();
                emit_object(epat, (const char *)base + p->offset2 + (size_t)k * p->size, e);
                cJSON_AddItemToArray(v, e);
            }
            break;
        }
        case IC_T_NUM:
            v = cJSON_CreateNumber(*(const double *)src);
            break;
        case IC_T_INT: {
            /* in full: cJSON prints 15 digits when they read back within a relative epsilon,
             * which turns the seed 2^53 - 1 into 2^53 - 2 */
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", *(const long long *)src);
            v = cJSON_CreateRaw(buf);
            break;
        }
        case IC_T_DIST:
        case IC_T_IDIST:
            v = emit_dist(src);
            break;
        case IC_T_STR:
            v = cJSON_CreateString(src);
            break;
        case IC_T_ENUM: {
            const char *c = ic_param_choice_name(p, *(const int *)src);
            v = cJSON_CreateString(c ? c : "");
            break;
        }
        case IC_T_TIME: {
            const struct ic_time *t = src;
            if (t->text[0]) v = cJSON_CreateString(t->text); /* empty: not given */
            break;
        }
        case IC_T_NUMARR: {
            const struct ic_numarr *a = src;
            if (a->n > 0) v = cJSON_CreateDoubleArray(a->v, a->n); /* empty: not given */
            break;
        }
        case IC_T_ACCEL: {
            const struct ic_accel_ref *r = src;
            v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, r->base[0] ? "base" : "name",
                                    r->base[0] ? r->base : r->value.key);
            ic_catalog_emit_fields(&r->value, ic_accel_fields, ic_accel_field_count, v);
            break;
        }
        case IC_T_LLM: {
            const struct ic_llm_ref *r = src;
            v = cJSON_CreateObject();
            cJSON_AddStringToObject(v, r->base[0] ? "base" : "name",
                                    r->base[0] ? r->base : r->value.key);
            ic_catalog_emit_fields(&r->value, ic_llm_fields, ic_llm_field_count, v);
            break;
        }
        case IC_T_JSONARR:
            if (*(const char *)src) v = cJSON_Parse(src); /* empty: not given */
            break;
        default:
            break;
        }
        if (v) cJSON_AddItemToObject(obj, key, v);
    }
}

char *ic_scenario_resolved_json(const struct ic_scenario *sc) {
    cJSON *root = cJSON_CreateObject();
    if (!root) return NULL;
    emit_object("", sc, root);
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    return s;
}

long ic_scenario_steps(const struct ic_scenario *sc) {
    return (long)floor(sc->horizon_days * 86400.0 / sc->step_s + 1e-9);
}

long ic_scenario_out_steps(const struct ic_scenario *sc) {
    long per = (long)floor(sc->output.interval_s / sc->step_s + 0.5);
    long n = ic_scenario_steps(sc);
    return per > 0 ? (n + per - 1) / per : n;
}

static void each_dist(const char *pattern, const char *ptr, const void *base, ic_dist_visitor fn,
                      void *ctx) {
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (!is_child_of(p->path, pattern)) continue;
        char cptr[PTR_MAX];
        ptr_join(cptr, ptr, p->path + strlen(pattern) + 1);
        const char *src = (const char *)base + p->offset;
        if (p->type == IC_T_DIST || p->type == IC_T_IDIST) {
            fn(ctx, (const struct ic_dist *)src, cptr, p->units ? p->units : "");
        } else if (p->type == IC_T_OBJ) {
            each_dist(p->path, cptr, base, fn, ctx);
        } else if (p->type == IC_T_OBJARR) {
            char epat[PTR_MAX];
            ptr_join(epat, p->path, "*");
            int n = *(const int *)src;
            for (int k = 0; k < n; k++) {
                char eptr[PTR_MAX];
                ptr_index(eptr, cptr, k);
                each_dist(epat, eptr, (const char *)base + p->offset2 + (size_t)k * p->size, fn,
                          ctx);
            }
        }
    }
}

void ic_scenario_each_dist(const struct ic_scenario *sc, ic_dist_visitor fn, void *ctx) {
    each_dist("", "", sc, fn, ctx);
}
