/* sweep.c: expansion of a scenario's /sweep block into points (see sweep.h). */
#include "sim/config/sweep.h"

#include "sim/config/params.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_index_token(const char *t, size_t n) {
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)t[i])) return 0;
    return 1;
}

/* netCDF-friendly: letters, digits and '_', not starting with a digit. */
static void sanitize(char *s) {
    for (char *c = s; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_') *c = '_';
    if (isdigit((unsigned char)s[0])) {
        size_t n = strlen(s);
        memmove(s + 1, s, n + 1);
        s[0] = '_';
    }
}

/* The last token of the pointer, with its parent when it is an array index ("classes_0"). */
static void short_name(const char *ptr, char *out, size_t n) {
    const char *last = strrchr(ptr, '/');
    last = last ? last + 1 : ptr;
    const char *from = last;
    if (is_index_token(last, strlen(last)) && last - 1 > ptr) {
        const char *prev = last - 2;
        while (prev > ptr && *prev != '/') prev--;
        from = *prev == '/' ? prev + 1 : prev;
    }
    ic_strlcpy(out, from, n);
    sanitize(out);
}

static void full_name(const char *ptr, char *out, size_t n) {
    ic_strlcpy(out, ptr[0] == '/' ? ptr + 1 : ptr, n);
    sanitize(out);
}

static const char *const reserved[] = {"time",  "quantile", "path",  "stored_path",
                                       "class", "action",   "bound", "point"};

static int name_taken(const struct ic_sweep *sw, int upto, const char *name) {
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcmp(name, reserved[i]) == 0) return 1;
    for (int a = 0; a < upto; a++)
        if (strcmp(sw->axes[a].name, name) == 0) return 1;
    return 0;
}

/* Is the field at this pointer integer-valued (its parameter row, array indices as "*")? */
static int integer_field(const char *ptr) {
    char pat[512] = "", tok[256];
    for (const char *s = ptr; *s == '/';) {
        const char *e = strchr(s + 1, '/');
        size_t len = e ? (size_t)(e - s - 1) : strlen(s + 1);
        if (len >= sizeof tok) return 0;
        memcpy(tok, s + 1, len);
        tok[len] = '\0';
        size_t at = strlen(pat);
        snprintf(pat + at, sizeof pat - at, "/%s", is_index_token(tok, len) ? "*" : tok);
        if (!e) break;
        s = e;
    }
    const struct ic_param *p = ic_param_find(pat);
    return p && (p->type == IC_T_INT || p->type == IC_T_IDIST);
}

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int axis_alloc(struct ic_sweep_axis *ax, long n) {
    ax->n = n;
    ax->values = calloc((size_t)n, sizeof *ax->values);
    ax->labels = calloc((size_t)n, sizeof *ax->labels);
    ax->coord = calloc((size_t)n, sizeof *ax->coord);
    return ax->values && ax->labels && ax->coord ? 0 : -1;
}

static int set_number(struct ic_sweep_axis *ax, long i, double v, int integer) {
    char buf[64];
    if (integer) v = floor(v + 0.5);
    snprintf(buf, sizeof buf, "%.17g", v);
    ax->coord[i] = v;
    ax->values[i] = dup_str(buf);
    ax->labels[i] = dup_str(buf);
    return ax->values[i] && ax->labels[i] ? 0 : -1;
}

int ic_sweep_expand(const struct ic_scenario *sc, const char *label, struct ic_sweep *sw,
                    struct ic_error *err) {
    memset(sw, 0, sizeof *sw);
    sw->n_points = 1;
    for (int a = 0; a < sc->sweep.n_axes; a++) {
        const struct ic_sweep_spec *sp = &sc->sweep.axes[a];
        struct ic_sweep_axis *ax = &sw->axes[a];
        sw->n_axes = a + 1;
        ic_strlcpy(ax->pointer, sp->pointer, sizeof ax->pointer);
        const int integer = integer_field(sp->pointer);
        if (sp->values[0]) {
            cJSON *arr = cJSON_Parse(sp->values);
            int n = cJSON_GetArraySize(arr);
            if (!arr || n < 1 || axis_alloc(ax, n) != 0) {
                cJSON_Delete(arr);
                ic_sweep_free(sw);
                return ic_error_set(err, IC_ERR_NOMEM, "%s: /sweep/%d/values: out of memory", label,
                                    a);
            }
            ax->numeric = 1;
            int i = 0;
            const cJSON *e;
            cJSON_ArrayForEach(e, arr) {
                char *text = cJSON_PrintUnformatted(e);
                ax->values[i] = text;
                ax->numeric &= cJSON_IsNumber(e);
                ax->coord[i] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
                ax->labels[i] = dup_str(cJSON_IsString(e) ? e->valuestring : text ? text : "");
                i++;
            }
            cJSON_Delete(arr);
        } else {
            const struct ic_numarr *r = sp->linear.n == 3 ? &sp->linear : &sp->geom;
            const int geom = r == &sp->geom;
            double lo = r->v[0], hi = r->v[1], nn = r->v[2];
            long n = (long)nn;
            if (axis_alloc(ax, n) != 0) {
                ic_sweep_free(sw);
                return ic_error_set(err, IC_ERR_NOMEM, "%s: /sweep/%d: out of memory", label, a);
            }
            ax->numeric = 1;
            for (long i = 0; i < n; i++) {
                double f = n > 1 ? (double)i / (double)(n - 1) : 0.0;
                double v = geom ? lo * pow(hi / lo, f) : lo + (hi - lo) * f;
                if (i == n - 1 && n > 1) v = hi; /* exactly the end the user wrote */
                if (set_number(ax, i, v, integer) != 0) {
                    ic_sweep_free(sw);
                    return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
                }
            }
        }
        for (long i = 0; i < ax->n; i++)
            if (!ax->values[i] || !ax->labels[i]) {
                ic_sweep_free(sw);
                return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
            }
        /* Values must be distinct: an axis is a coordinate. */
        for (long i = 0; i < ax->n; i++)
            for (long j = 0; j < i; j++)
                if (strcmp(ax->values[i], ax->values[j]) == 0) {
                    int rc = ic_error_set(err, IC_ERR_INVALID,
                                          "%s: /sweep/%d: the value %s appears twice%s (an axis "
                                          "needs distinct values)",
                                          label, a, ax->values[i],
                                          sp->values[0] ? "" : " after rounding to integers");
                    ic_sweep_free(sw);
                    return rc;
                }
        if (sp->name[0]) {
            ic_strlcpy(ax->name, sp->name, sizeof ax->name);
            sanitize(ax->name);
            if (name_taken(sw, a, ax->name)) {
                int rc = ic_error_set(err, IC_ERR_INVALID,
                                      "%s: /sweep/%d/name: \"%s\" is taken (by another axis or "
                                      "one of time, quantile, path, stored_path, class, action, "
                                      "bound, point)",
                                      label, a, sp->name);
                ic_sweep_free(sw);
                return rc;
            }
        } else {
            short_name(sp->pointer, ax->name, sizeof ax->name);
            if (name_taken(sw, a, ax->name)) full_name(sp->pointer, ax->name, sizeof ax->name);
            for (int k = 2; name_taken(sw, a, ax->name) && k < 100; k++) {
                char b[IC_NAME_MAX + 8];
                snprintf(b, sizeof b, "%.*s_%d", IC_NAME_MAX - 8, ax->name, k);
                ic_strlcpy(ax->name, b, sizeof ax->name);
            }
        }
        if ((double)sw->n_points * (double)ax->n > (double)IC_SWEEP_MAX_POINTS) {
            ic_sweep_free(sw);
            return ic_error_set(err, IC_ERR_INVALID,
                                "%s: /sweep: more than %ld points; sweep fewer values", label,
                                IC_SWEEP_MAX_POINTS);
        }
        sw->n_points *= ax->n;
    }
    return IC_OK;
}

void ic_sweep_free(struct ic_sweep *sw) {
    for (int a = 0; a < sw->n_axes; a++) {
        struct ic_sweep_axis *ax = &sw->axes[a];
        for (long i = 0; i < ax->n; i++) {
            if (ax->values) free(ax->values[i]);
            if (ax->labels) free(ax->labels[i]);
        }
        free(ax->values);
        free(ax->labels);
        free(ax->coord);
    }
    memset(sw, 0, sizeof *sw);
}

void ic_sweep_index(const struct ic_sweep *sw, long k, long idx[IC_SWEEP_MAX_AXES]) {
    for (int a = sw->n_axes - 1; a >= 0; a--) {
        idx[a] = k % sw->axes[a].n;
        k /= sw->axes[a].n;
    }
}

int ic_sweep_point_sets(const struct ic_sweep *sw, long k, char (*buf)[4352],
                        struct ic_error *err) {
    long idx[IC_SWEEP_MAX_AXES];
    ic_sweep_index(sw, k, idx);
    for (int a = 0; a < sw->n_axes; a++) {
        int len = snprintf(buf[a], sizeof buf[a], "%s=%s", sw->axes[a].pointer,
                           sw->axes[a].values[idx[a]]);
        if (len < 0 || (size_t)len >= sizeof buf[a])
            return ic_error_set(err, IC_ERR_INVALID, "sweep value of %s too long",
                                sw->axes[a].pointer);
    }
    return IC_OK;
}

void ic_sweep_point_label(const struct ic_sweep *sw, long k, char *buf, size_t n) {
    long idx[IC_SWEEP_MAX_AXES];
    ic_sweep_index(sw, k, idx);
    buf[0] = '\0';
    for (int a = 0; a < sw->n_axes; a++) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, "%s%s=%s", a ? ", " : "", sw->axes[a].name,
                 sw->axes[a].labels[idx[a]]);
    }
}

void ic_hash_text(const char *text, char out[17]) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        h ^= *c;
        h *= 1099511628211ull;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}
