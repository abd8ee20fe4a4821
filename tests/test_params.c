/* test_params.c: walks the whole parameter table (sim/config/params.c).  For every row: a numeric
 * default lies in [min, max]; an ENUM default indexes one of its choices; through --set, a value
 * just outside each finite bound is refused with a message naming the field, the bound itself is
 * accepted, and the value round-trips through the resolved scenario (loaded again, it gives the
 * same value and the same resolved JSON).  Rows under arrays ("*") are set on element 0 of a
 * base scenario that has one element in every array.  And every enumeration table the ENUM rows
 * use (sim/core/enumtab.h): values and names distinct, its name function giving each name, and
 * each choice loading as its named constant. */
#include "check.h"
#include "sim/config/catalog_io.h"
#include "sim/config/params.h"
#include "sim/config/scenario.h"
#include "models/fleet.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>

static struct ic_catalog cat;

/* Like tests/python/data/steady.json, with one element in every array of the table but
 * /traffic/growth/points (only with model piecewise, and then at least two: see companions). */
static const char *base =
    "{\"name\": \"t\", \"seed\": 17, \"paths\": 20, \"start\": \"2025-01-06T00:00:00Z\",\n"
    " \"horizon_days\": 0.125, \"step_s\": 60,\n"
    " \"output\": {\"interval_s\": 600, \"store_paths\": 1},\n"
    " \"traffic\": {\"growth\": {\"initial\": 1000000, \"rate_per_day\": 0},\n"
    "   \"requests_per_user_per_day\": 10, \"diurnal\": {\"profile\": \"flat\"},\n"
    "   \"noise\": {\"sigma\": 0},\n"
    "   \"events\": [{\"name\": \"e\", \"start\": \"2025-01-06T01:00:00Z\",\n"
    "     \"peak_multiplier\": 2, \"mix\": [{\"class\": \"chat\", \"share_multiplier\": 1}]}]},\n"
    " \"workload\": {\"classes\": [{\"name\": \"chat\",\n"
    "   \"input_tokens\": {\"median\": 1000, \"sigma\": 0.6},\n"
    "   \"output_tokens\": {\"median\": 250, \"sigma\": 0.6}}]},\n"
    " \"queue\": {\"max_wait_s\": 10000000.0, \"patience_s\": 10000000.0},\n"
    " \"model\": \"llama-3.1-8b\", \"accelerator\": \"nvidia_h100_sxm\",\n"
    " \"fleet\": {\"accelerators\": 8, \"failure_rate_per_hour\": 0,\n"
    "   \"outages\": [{\"name\": \"o\", \"start\": \"2025-01-06T02:00:00Z\"}],\n"
    "   \"pools\": [{\"name\": \"p\", \"accelerator\": \"nvidia_h100_sxm\", \"accelerators\": "
    "8}]},\n"
    " \"request_engine\": {\"window_start\": \"2025-01-06T01:00:00Z\", \"duration_s\": 1200,\n"
    "   \"drain_s\": 0},\n"
    " \"sweep\": [{\"pointer\": \"/fleet/accelerators\", \"values\": [8, 16]}]}\n";

/* Settings that a row's value cannot load without (each a cross-field rule of the loader, not a
 * range), set before the row's own: `key` is the row ("/a/b"), every row under a folder ("/a/"),
 * or one choice of an ENUM row ("/a/b=\"choice\""). */
#define HIST "{\"shape\": \"histogram\", \"edges\": [1, 10], \"weights\": [1]}"
static const struct {
    const char *key;
    const char *extra[4];
} companions[] = {
    /* interval_s a multiple of step_s, the horizon at least a step */
    {"/step_s", {"/output/interval_s=86400", "/horizon_days=1"}},
    {"/output/interval_s", {"/step_s=1", "/horizon_days=366"}},
    /* store_paths at most paths */
    {"/output/store_paths", {"/paths=1000000"}},
    /* points only with model piecewise, which needs some */
    {"/traffic/growth/points/",
     {"/traffic/growth/model=\"piecewise\"",
      "/traffic/growth/points=[{\"time\": \"2025-01-05T00:00:00Z\", \"value\": 1000000}, "
      "{\"time\": \"2025-01-07T00:00:00Z\", \"value\": 1000000}]"}},
    {"/traffic/growth/model=\"piecewise\"",
     {"/traffic/growth/points=[{\"time\": \"2025-01-05T00:00:00Z\", \"value\": 1000000}]"}},
    {"/traffic/diurnal/profile=\"custom\"",
     {"/traffic/diurnal/weights=[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"}},
    /* the shares must not all be 0 */
    {"/workload/classes/*/share", {"/workload/classes/-={\"name\": \"b\"}"}},
    {"/workload/classes/*/input_tokens/shape=\"pareto-lognormal\"",
     {"/workload/classes/0/input_tokens/tail_weight=0.1"}},
    {"/workload/classes/*/output_tokens/shape=\"pareto-lognormal\"",
     {"/workload/classes/0/output_tokens/tail_weight=0.1"}},
    {"/workload/classes/*/reasoning_tokens/shape=\"pareto-lognormal\"",
     {"/workload/classes/0/reasoning_tokens/tail_weight=0.1"}},
    {"/workload/classes/*/input_tokens/shape=\"histogram\"",
     {"/workload/classes/0/input_tokens=" HIST}},
    {"/workload/classes/*/output_tokens/shape=\"histogram\"",
     {"/workload/classes/0/output_tokens=" HIST}},
    {"/workload/classes/*/reasoning_tokens/shape=\"histogram\"",
     {"/workload/classes/0/reasoning_tokens=" HIST}},
    /* fp4 compute: an accelerator that has it, for /serving and the pool that inherits it */
    {"/serving/weight_precision=\"fp4\"",
     {"/accelerator=\"nvidia_b200_hgx\"", "/fleet/pools/0/accelerator=\"nvidia_b200_hgx\""}},
    {"/fleet/pools/*/weight_precision=\"fp4\"", {"/fleet/pools/0/accelerator=\"nvidia_b200_hgx\""}},
    /* experts over at most the accelerators of a replica */
    {"/serving/expert_parallel",
     {"/model=\"deepseek-v3\"", "/serving/weight_precision=\"fp8\"", "/serving/attention_dp=4096"}},
    /* a prefill/decode fleet: disaggregated, a unit of each role, no /fleet/accelerators or
     * pools */
    {"/fleet/roles/",
     {"/serving/disaggregated=\"yes\"",
      "/fleet/roles={\"prefill\": {\"units\": 1}, \"decode\": {\"units\": 1}}",
      "/fleet/accelerators=0", "/fleet/pools=[]"}},
    /* output tokens a day with input tokens a day */
    {"/traffic/tokens_per_day/", {"/traffic/tokens_per_day/input=1e9"}},
};

/* Rows (or ENUM choices) that cannot be checked this way, with the reason.  Rows of other types
 * (strings, times, arrays, catalog references) have no range or choices to walk. */
static const struct {
    const char *path, *why;
} skipped[] = {
    /* (an ENUM choice: "row=\"choice\"") */
    {"/serving/kv_precision=\"fp4\"",
     "the loader refuses an fp4 KV cache for /serving (\"expected bf16, fp8 or int8\")"},
};

static int is_skipped(const char *path) {
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (strcmp(skipped[i].path, path) == 0) return 1;
    return 0;
}

static int load(const char *const *sets, int nsets, struct ic_scenario *sc, struct ic_diag *diag) {
    struct ic_error err = {0};
    struct ic_load_opts o = {.sets = sets, .n_sets = nsets};
    ic_diag_init(diag);
    return ic_scenario_load_string(base, "t.json", &o, &cat, sc, diag, &err);
}

static int load_text(const char *text, struct ic_scenario *sc, struct ic_diag *diag) {
    struct ic_error err = {0};
    struct ic_load_opts o = {0};
    ic_diag_init(diag);
    return ic_scenario_load_string(text, "r.json", &o, &cat, sc, diag, &err);
}

static char *joined(const struct ic_diag *d) {
    static char buf[8192];
    buf[0] = '\0';
    for (size_t i = 0; i < d->count; i++) {
        strncat(buf, d->msgs[i], sizeof buf - strlen(buf) - 2);
        strcat(buf, "\n");
    }
    return buf;
}

/* The row's pattern with every "*" replaced by 0. */
static void concrete(const char *pattern, char *out, size_t n) {
    size_t j = 0;
    for (const char *s = pattern; *s && j + 1 < n; s++) out[j++] = *s == '*' ? '0' : *s;
    out[j] = '\0';
}

/* The JSON value at a pointer (no escapes in the table's keys). */
static const cJSON *at(const cJSON *root, const char *ptr) {
    char buf[256];
    ic_strlcpy(buf, ptr, sizeof buf);
    const cJSON *v = root;
    for (char *tok = strtok(buf + 1, "/"); tok && v; tok = strtok(NULL, "/"))
        v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, atoi(tok))
                             : cJSON_GetObjectItemCaseSensitive(v, tok);
    return v;
}

/* Load the base with ptr=value (and the row's companions); -1 if refused. */
static int set_one(const char *path, const char *ptr, const char *value, struct ic_scenario *sc,
                   struct ic_diag *d) {
    static char set[512], key[600];
    const char *sets[6];
    int n = 0;
    snprintf(set, sizeof set, "%s=%s", ptr, value);
    snprintf(key, sizeof key, "%s=%s", path, value);
    for (size_t i = 0; i < sizeof companions / sizeof companions[0]; i++) {
        const char *c = companions[i].key;
        size_t len = strlen(c);
        if (strcmp(c, path) == 0 || strcmp(c, key) == 0 ||
            (c[len - 1] == '/' && strncmp(c, path, len) == 0))
            for (int k = 0; k < 4 && companions[i].extra[k]; k++)
                sets[n++] = companions[i].extra[k];
    }
    sets[n++] = set; /* last: the companions may set whole arrays the row's set goes into */
    return load(sets, n, sc, d) == IC_OK ? 0 : -1;
}

/* Resolved JSON of sc, loaded again: the same JSON; the value at ptr is returned parsed. */
static cJSON *round_trip(const char *path, struct ic_scenario *sc, struct ic_scenario *sc2,
                         const char *ptr) {
    struct ic_diag d;
    char *r1 = ic_scenario_resolved_json(sc);
    CHECK(r1 != NULL);
    if (!r1) return NULL;
    int rc = load_text(r1, sc2, &d);
    if (rc != IC_OK) fprintf(stderr, "%s: resolved scenario refused:\n%s", path, joined(&d));
    CHECK(rc == IC_OK);
    ic_diag_free(&d);
    char *r2 = rc == IC_OK ? ic_scenario_resolved_json(sc2) : NULL;
    if (!r2 || strcmp(r1, r2) != 0) fprintf(stderr, "%s: resolved JSON differs on reload\n", path);
    CHECK(r2 && strcmp(r1, r2) == 0);
    cJSON *root = cJSON_Parse(r1);
    free(r1);
    free(r2);
    cJSON *v = root ? cJSON_Duplicate(at(root, ptr), 1) : NULL;
    if (!v) fprintf(stderr, "%s: not in the resolved scenario\n", path);
    CHECK(v != NULL);
    cJSON_Delete(root);
    return v;
}

/* The resolved value of a numeric row: a number, or a fixed distribution's value. */
static int resolved_number(const cJSON *v, double *out) {
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return 0;
    }
    return -1;
}

static int checked_rows, bound_checks;

/* Is the row inside an optional block (struct ic_param, optional), which the resolved JSON
 * leaves out while every member holds its default? */
static int in_optional_block(const char *path) {
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *q = &ic_params[i];
        size_t n = strlen(q->path);
        if (q->optional && strncmp(path, q->path, n) == 0 && path[n] == '/') return 1;
    }
    return 0;
}

static void check_numeric(const struct ic_param *p, struct ic_scenario *sc,
                          struct ic_scenario *sc2) {
    char ptr[256], val[64], need[400];
    struct ic_diag d;
    concrete(p->path, ptr, sizeof ptr);
    int integer = p->type == IC_T_INT || p->type == IC_T_IDIST;
    if (!(p->def >= p->min && p->def <= p->max))
        fprintf(stderr, "%s: default %g outside [%g, %g]\n", p->path, p->def, p->min, p->max);
    CHECK(p->def >= p->min && p->def <= p->max);
    CHECK(p->min <= p->max);
    snprintf(need, sizeof need, "t.json: %s: got ", ptr);
    for (int side = 0; side < 2; side++) {
        double b = side ? p->max : p->min;
        if (!isfinite(b)) continue;
        bound_checks++;
        /* just outside */
        double step = integer ? 1 : fmax(fabs(b) * 1e-9, 1e-12);
        double out = side ? b + step : b - step;
        snprintf(val, sizeof val, "%.17g", out);
        int rc = set_one(p->path, ptr, val, sc, &d);
        if (rc == 0)
            fprintf(stderr, "%s: %s accepted, outside [%g, %g]\n", p->path, val, p->min, p->max);
        CHECK(rc != 0);
        if (rc != 0) CHECK_STR_CONTAINS(joined(&d), need);
        ic_diag_free(&d);
        /* the bound itself */
        snprintf(val, sizeof val, "%.17g", b);
        rc = set_one(p->path, ptr, val, sc, &d);
        if (rc != 0) fprintf(stderr, "%s: bound %s refused:\n%s", p->path, val, joined(&d));
        CHECK(rc == 0);
        ic_diag_free(&d);
        if (rc != 0) continue;
        /* the default in an optional block all at its defaults: the block is left out */
        if (b == p->def && in_optional_block(p->path)) {
            char *r1 = ic_scenario_resolved_json(sc);
            CHECK(r1 && load_text(r1, sc2, &d) == IC_OK);
            ic_diag_free(&d);
            free(r1);
            continue;
        }
        cJSON *v = round_trip(p->path, sc, sc2, ptr);
        double got = NAN;
        if (v && resolved_number(v, &got) != 0)
            fprintf(stderr, "%s: resolved value is not a number\n", p->path);
        if (v && got != b) fprintf(stderr, "%s: set %.17g, resolved %.17g\n", p->path, b, got);
        CHECK(v && got == b);
        cJSON_Delete(v);
    }
}

static void check_enum(const struct ic_param *p, struct ic_scenario *sc, struct ic_scenario *sc2) {
    char ptr[256], val[96], need[400];
    struct ic_diag d;
    concrete(p->path, ptr, sizeof ptr);
    const struct ic_enum_table *t = p->choices;
    CHECK(t->count >= 2);
    if (!ic_param_choice_name(p, (int)p->def) || p->def != (int)p->def)
        fprintf(stderr, "%s: default %g is not one of its choices\n", p->path, p->def);
    CHECK(ic_param_choice_name(p, (int)p->def) != NULL && p->def == (int)p->def);
    for (int k = 0; k < t->count; k++) {
        const char *choice = t->entries[k].name;
        snprintf(val, sizeof val, "\"%s\"", choice);
        char key[400];
        snprintf(key, sizeof key, "%s=%s", p->path, val);
        if (is_skipped(key)) continue;
        int rc = set_one(p->path, ptr, val, sc, &d);
        if (rc != 0) fprintf(stderr, "%s: choice %s refused:\n%s", p->path, val, joined(&d));
        CHECK(rc == 0);
        ic_diag_free(&d);
        if (rc != 0) continue;
        /* the named constant is what the scenario holds */
        if (!strchr(p->path, '*'))
            CHECK(*(const int *)((const char *)sc + p->offset) == t->entries[k].value);
        cJSON *v = round_trip(p->path, sc, sc2, ptr);
        CHECK(v && cJSON_IsString(v) && strcmp(v->valuestring, choice) == 0);
        cJSON_Delete(v);
    }
    snprintf(need, sizeof need, "t.json: %s: got \"no-such-choice\", expected one of: ", ptr);
    CHECK(set_one(p->path, ptr, "\"no-such-choice\"", sc, &d) != 0);
    CHECK_STR_CONTAINS(joined(&d), need);
    ic_diag_free(&d);
}

/* Every enumeration table the parameter table uses, with its name function. */
static const struct {
    const struct ic_enum_table *table;
    const char *(*name)(int);
} enums[] = {
    {&ic_growth_models, ic_growth_model_name},
    {&ic_quantities, ic_quantity_name},
    {&ic_diurnal_profiles, ic_diurnal_profile_name},
    {&ic_token_shapes, ic_token_shape_name},
    {&ic_precisions, ic_precision_name},
    {&ic_attention_precisions, ic_precision_name}, /* a subset of the precisions */
    {&ic_pool_precisions, ic_pool_precision_name},
    {&ic_admissions, ic_admission_name},
    {&ic_overlaps, ic_overlap_name},
    {&ic_yes_nos, ic_yes_no_name},
    {&ic_repair_shapes, ic_repair_shape_name},
    {&ic_fleet_routings, ic_fleet_routing_name},
    {&ic_routings, ic_routing_name},
    {&ic_engine_kinds, ic_engine_kind_name},
    {&ic_curve_modes, ic_curve_mode_name},
};

static void check_enum_tables(void) {
    const int ne = (int)(sizeof enums / sizeof enums[0]);
    for (int e = 0; e < ne; e++) {
        const struct ic_enum_table *t = enums[e].table;
        CHECK(t->count >= 2);
        for (int i = 0; i < t->count; i++) {
            const struct ic_enum_entry *x = &t->entries[i];
            CHECK(x->name && x->name[0] && x->doc && x->doc[0] && x->value >= 0);
            for (int j = 0; j < i; j++) { /* values and names distinct */
                CHECK(t->entries[j].value != x->value);
                CHECK(strcmp(t->entries[j].name, x->name) != 0);
            }
            const char *got = enums[e].name(x->value);
            if (!got || strcmp(got, x->name) != 0)
                fprintf(stderr, "enum table %d: value %d named \"%s\", its function says \"%s\"\n",
                        e, x->value, x->name, got ? got : "(null)");
            CHECK(got && strcmp(got, x->name) == 0);
            CHECK(ic_enum_value(t, x->name) == x->value);
            CHECK(ic_enum_name(t, x->value) == x->name);
        }
        CHECK(ic_enum_value(t, "no-such-name") == -1);
    }
    /* every ENUM row's table is one of them */
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (p->type != IC_T_ENUM) continue;
        int found = 0;
        for (int e = 0; e < ne; e++) found |= enums[e].table == p->choices;
        if (!found) fprintf(stderr, "%s: its choices are not in enums[]\n", p->path);
        CHECK(found);
    }
    /* the precision subsets have the precisions' values */
    for (int i = 0; i < ic_attention_precisions.count; i++)
        CHECK(ic_enum_value(&ic_precisions, ic_attention_precisions.entries[i].name) ==
              ic_attention_precisions.entries[i].value);
    for (int i = 1; i < ic_pool_precisions.count; i++)
        CHECK(ic_enum_value(&ic_precisions, ic_pool_precisions.entries[i].name) + 1 ==
              ic_pool_precisions.entries[i].value);
    /* choices joined as `infercap params` lists them */
    char buf[128];
    ic_enum_join(&ic_growth_models, "|", buf, sizeof buf);
    CHECK(strcmp(buf, "exponential|logistic|bass|piecewise") == 0);
    ic_enum_join(&ic_growth_models, "|", buf, 8);
    CHECK(strcmp(buf, "exponen") == 0);
}

int main(void) {
    struct ic_error err;
    if (ic_catalog_builtin(&cat, &err)) return 1;
    struct ic_scenario *sc = malloc(sizeof *sc), *sc2 = malloc(sizeof *sc2);
    struct ic_diag d;

    /* The base loads, and has one element in every array of the table. */
    int rc = load(NULL, 0, sc, &d);
    if (rc != IC_OK) fprintf(stderr, "base refused:\n%s", joined(&d));
    CHECK(rc == IC_OK);
    ic_diag_free(&d);
    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        if (p->type != IC_T_OBJARR || strchr(p->path, '*')) continue;
        if (strcmp(p->path, "/traffic/growth/points") == 0) continue; /* see base */
        char *r = ic_scenario_resolved_json(sc);
        cJSON *root = cJSON_Parse(r);
        char ptr[256];
        concrete(p->path, ptr, sizeof ptr);
        const cJSON *a = at(root, ptr);
        if (!(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 1))
            fprintf(stderr, "base: %s should have one element\n", p->path);
        CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 1);
        cJSON_Delete(root);
        free(r);
    }

    for (size_t i = 0; i < ic_param_count; i++) {
        const struct ic_param *p = &ic_params[i];
        CHECK(ic_param_find(p->path) == p); /* each path once */
        if (is_skipped(p->path)) continue;
        switch (p->type) {
        case IC_T_NUM:
        case IC_T_INT:
        case IC_T_DIST:
        case IC_T_IDIST:
            check_numeric(p, sc, sc2);
            checked_rows++;
            break;
        case IC_T_ENUM:
            CHECK(p->choices != NULL);
            check_enum(p, sc, sc2);
            checked_rows++;
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        printf("not checked: %s: %s\n", skipped[i].path, skipped[i].why);
    check_enum_tables();
    printf("test_params: %d rows checked, %d finite bounds\n", checked_rows, bound_checks);
    CHECK(checked_rows > 100);

    free(sc);
    free(sc2);
    ic_catalog_free(&cat);
    return check_report("test_params");
}
