/* solve.c: the capacity solver: the smallest value of a field (typically /fleet/accelerators)
 * for which the estimated outage probability is at or under a target P.
 *
 * A candidate value v is evaluated by loading the scenario with "/field=v" added to the
 * overrides (after the first candidate, by setting the field on the first one's loaded scenario
 * and checking the cross-field rules again, without reading the text), compiling the plan and
 * running every path (summaries only); P-hat(v) is the
 * share of paths with an outage, with its Wilson 95% interval.  Every candidate runs the same
 * seed, so path i meets the same demand, surges and failures at every v (common random
 * numbers): a larger fleet can only serve more of the same load, so P-hat is monotone in v up
 * to the rare path whose outcome the fleet size changes in a non-monotone way (replica
 * rounding, autoscaling thresholds), and bisection on it is sound.  Evaluations are cached by
 * grid index, since the searches below revisit values.
 *
 * The searches work on grid indices k (value lo + k x step):
 *   1. an upper bound: from the scenario's current value (or lo) double until P-hat <= P
 *      (or take --hi);
 *   2. the answer: bisection between the largest evaluated index that fails and the smallest
 *      above it that meets P.  The bracket always holds an evaluated failing index below the
 *      answer, so when the bisection closes, answer - step has been evaluated and fails: the
 *      answer is a crossing P-hat(answer - step) > P >= P-hat(answer) even where noise makes
 *      P-hat non-monotone;
 *   3. the 95% range: the same bisection on "the interval's lower end <= P" (the smallest
 *      value P could be met at) and "its upper end <= P" (the smallest value it is met at
 *      with 95% confidence).
 *
 * Other modules call ic_solve_run, ic_solve_sweep (one solve per point of a Cartesian product
 * of --sweep axes), ic_solve_axis_parse and ic_solve_cheapest. */
#include "sim/drivers/solve.h"

#include "sim/config/sweep.h"

#include "sim/config/catalog_io.h"
#include "sim/engine/engine.h"
#include "sim/config/params.h"
#include "sim/config/scenario.h"
#include "sim/core/stats.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOUBLINGS 40
#define MAX_VALUE     1073741824.0 /* 2^30: the upward search gives up beyond it */
#define MAX_SWEEP_PTS 10000L
#define MAX_BASE_SETS 512

/* ---- the field ----------------------------------------------------------------------------- */

/* The parameter-table row of a concrete pointer: array indices become "*". */
static const struct ic_param *field_row(const char *pointer) {
    char pat[512];
    size_t n = 0;
    const char *p = pointer;
    while (*p && n + 2 < sizeof pat) {
        if (*p == '/') {
            pat[n++] = *p++;
            size_t len = strcspn(p, "/");
            int digits = len > 0 && strspn(p, "0123456789") == len;
            if (digits) {
                pat[n++] = '*';
            } else {
                if (n + len + 1 >= sizeof pat) return NULL;
                memcpy(pat + n, p, len);
                n += len;
            }
            p += len;
        } else {
            return NULL;
        }
    }
    pat[n] = '\0';
    return *p ? NULL : ic_param_find(pat);
}

static int is_integer(double x) {
    return isfinite(x) && x == floor(x);
}

void ic_solve_format(double v, int integer, char *buf, size_t n) {
    if (integer && fabs(v) < 9e15)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.10g", v);
}

/* The field's type and the grid: checks what needs no scenario.  The scenario's value of the
 * field is not needed here (only the upward search starts from it). */
struct grid {
    int integer;
    double lo, step, hi; /* hi: NaN unless --hi */
    double vmin, vmax;   /* the parameter table's range */
    long k_hi;           /* --hi's index, or the index of the largest value the table allows */
};

static int check_grid(const struct ic_solve_problem *pb, struct grid *g, struct ic_error *err) {
    memset(g, 0, sizeof *g);
    const char *ptr = pb->pointer;
    if (!ptr || ptr[0] != '/')
        return ic_error_set(err, IC_ERR_USAGE,
                            "--for: got \"%s\", expected a JSON Pointer such as "
                            "/fleet/accelerators",
                            ptr ? ptr : "");
    if (strchr(ptr, '='))
        return ic_error_set(err, IC_ERR_USAGE, "--for %s: a pointer cannot hold '='", ptr);
    const struct ic_param *row = field_row(ptr);
    if (!row)
        return ic_error_set(err, IC_ERR_USAGE,
                            "--for %s: not a scenario field (`infercap params` lists them)", ptr);
    if (row->type != IC_T_NUM && row->type != IC_T_INT && row->type != IC_T_DIST &&
        row->type != IC_T_IDIST)
        return ic_error_set(err, IC_ERR_USAGE,
                            "--for %s: the field is not numeric (type: %s); the solver needs a "
                            "number that lowers the outage risk as it grows",
                            ptr, ic_param_type_name(row));
    double P = pb->max_outage_prob;
    if (!(P >= 0 && P < 1))
        return ic_error_set(err, IC_ERR_USAGE, "--max-outage-prob: got %g, expected 0 <= P < 1", P);
    g->integer = row->type == IC_T_INT || row->type == IC_T_IDIST;
    g->vmin = row->min;
    g->vmax = row->max;
    g->hi = NAN;
    if (pb->has_step) {
        if (!(pb->step > 0) || !isfinite(pb->step))
            return ic_error_set(err, IC_ERR_USAGE, "--step: got %g, expected a number > 0",
                                pb->step);
        if (g->integer && !is_integer(pb->step))
            return ic_error_set(err, IC_ERR_USAGE,
                                "--step: got %g, expected an integer (%s is an integer field)",
                                pb->step, ptr);
        g->step = pb->step;
    } else if (g->integer) {
        g->step = 1;
    } else if (pb->has_hi) {
        /* A real field without a step: a thousand steps up to --hi. */
        double lo = pb->has_lo ? pb->lo : 0;
        if (!(pb->hi > lo))
            return ic_error_set(err, IC_ERR_USAGE, "--hi: got %g, expected more than --lo (%g)",
                                pb->hi, lo);
        g->step = (pb->hi - lo) / 1000.0;
    } else {
        return ic_error_set(err, IC_ERR_USAGE,
                            "%s is a real-valued field: give --step (the grid's spacing) or --hi "
                            "(then the step is a thousandth of the range)",
                            ptr);
    }
    if (pb->has_lo) {
        if (!isfinite(pb->lo))
            return ic_error_set(err, IC_ERR_USAGE, "--lo: got %g, expected a number", pb->lo);
        if (g->integer && !is_integer(pb->lo))
            return ic_error_set(err, IC_ERR_USAGE,
                                "--lo: got %g, expected an integer (%s is an integer field)",
                                pb->lo, ptr);
        g->lo = pb->lo;
    } else {
        g->lo = g->step;
        if (g->lo < g->vmin) g->lo = g->integer ? ceil(g->vmin) : g->vmin;
    }
    if (g->lo < g->vmin || g->lo > g->vmax)
        return ic_error_set(err, IC_ERR_USAGE, "--lo: got %g, expected %g <= lo <= %g (%s)", g->lo,
                            g->vmin, g->vmax, ptr);
    double top = g->vmax;
    if (pb->has_hi) {
        if (!isfinite(pb->hi) || pb->hi < g->lo)
            return ic_error_set(err, IC_ERR_USAGE, "--hi: got %g, expected at least lo (%g)",
                                pb->hi, g->lo);
        if (pb->hi > g->vmax)
            return ic_error_set(err, IC_ERR_USAGE, "--hi: got %g, above the maximum of %s (%g)",
                                pb->hi, ptr, g->vmax);
        g->hi = top = pb->hi;
    }
    double kh = floor((top - g->lo) / g->step + 1e-9);
    g->k_hi = kh > 4e18 ? (long)4e18 : (long)kh;
    return IC_OK;
}

int ic_solve_check(const struct ic_solve_problem *pb, int *integer, struct ic_error *err) {
    struct grid g;
    int rc = check_grid(pb, &g, err);
    if (rc == IC_OK && integer) *integer = g.integer;
    return rc;
}

/* ---- evaluations --------------------------------------------------------------------------- */

struct cached {
    long k;
    struct ic_solve_eval e;
};

struct solver {
    const struct ic_solve_problem *pb;
    struct grid g;
    const char **sets;  /* the problem's overrides, then the candidate's */
    const char **notes; /* where each came from in messages: the candidate's " (from --for)" */
    char cand[600];
    struct cached *cache;
    long n, cap;
    struct ic_scenario *sc; /* workspace for loading */
    /* The first candidate as loaded from the text, and the containers its overrides created:
     * later candidates copy it and override the one field (ic_scenario_override). */
    struct ic_scenario *first;
    struct ic_diag created;
    int have_first;
    struct ic_diag *diag;
    struct ic_error *err;
};

/* Grid values; the largest is held to the table's maximum, which lo + k x step may pass by a
 * rounding error for a real step. */
static double value_of(const struct solver *s, long k) {
    double v = s->g.lo + (double)k * s->g.step;
    return v > s->g.vmax ? s->g.vmax : v;
}

static const struct ic_solve_eval *cached_eval(const struct solver *s, long k) {
    for (long i = 0; i < s->n; i++)
        if (s->cache[i].k == k) return &s->cache[i].e;
    return NULL;
}

/* Load the scenario with the problem's overrides plus `extra` (may be NULL).  A candidate
 * (extra) after the first is the first one's scenario with the field set again, without
 * reading the text (the same scenario, bit for bit); the text is read again only when the
 * field is not one the scenario holds (an array element it lacks, say). */
static int load(struct solver *s, const char *extra) {
    const struct ic_solve_problem *pb = s->pb;
    int n = pb->n_sets;
    if (extra) s->sets[n++] = extra;
    struct ic_load_opts o = {.sets = s->sets,
                             .n_sets = n,
                             .set_notes = extra ? s->notes : pb->set_notes,
                             .n_set_notes = extra ? n : pb->n_set_notes};
    if (extra && s->have_first) {
        memcpy(s->sc, s->first, sizeof *s->sc);
        int rc = ic_scenario_override(s->sc, pb->label, &o, pb->n_sets, &s->created, pb->cat, 0,
                                      s->diag, s->err);
        if (rc != IC_SCENARIO_RELOAD) return rc;
    }
    if (extra && !s->have_first && s->first) o.created = &s->created;
    int rc = ic_scenario_load_string(pb->text, pb->label, &o, pb->cat, s->sc, s->diag, s->err);
    if (rc == IC_OK && extra && !s->have_first && s->first && !s->created.nomem) {
        memcpy(s->first, s->sc, sizeof *s->sc);
        s->have_first = 1;
    }
    return rc;
}

static int evaluate(struct solver *s, long k, const struct ic_solve_eval **out) {
    if ((*out = cached_eval(s, k))) return IC_OK;
    double v = value_of(s, k);
    char num[64];
    if (s->g.integer)
        snprintf(num, sizeof num, "%.0f", v);
    else
        snprintf(num, sizeof num, "%.17g", v);
    snprintf(s->cand, sizeof s->cand, "%s=%s", s->pb->pointer, num);
    int rc = load(s, s->cand);
    struct ic_plan plan;
    struct ic_results res;
    memset(&res, 0, sizeof res);
    int compiled = 0;
    if (rc == IC_OK) {
        /* A candidate below one replica is evaluated (every path an outage), not refused. */
        rc = ic_plan_compile_ex(s->sc, IC_PLAN_ALLOW_NO_CAPACITY, &plan, s->err);
        compiled = rc == IC_OK;
    }
    if (rc == IC_OK) {
        plan.store_paths = 0;
        rc = ic_results_alloc(&plan, &res, s->err);
    }
    if (rc == IC_OK) {
        struct ic_run_opts ro = {.threads = s->pb->threads, .summaries_only = 1};
        rc = ic_engine_run(&plan, &ro, &res, s->err);
    }
    struct ic_solve_eval e = {.value = v};
    if (rc == IC_OK) {
        const double *outage = ic_summary_col(&res, IC_M_OUTAGE);
        const double *cost = ic_summary_col(&res, IC_M_COST);
        double sum = 0;
        e.paths = res.paths;
        for (long p = 0; p < res.paths; p++) {
            e.outages += outage[p] > 0.5;
            sum += cost[p];
        }
        e.p = e.paths ? (double)e.outages / (double)e.paths : 0;
        ic_wilson(e.outages, e.paths, IC_Z95, &e.p_lo, &e.p_hi);
        e.cost_usd = e.paths ? sum / (double)e.paths : 0;
        e.cost_usd_per_day =
            s->sc->horizon_days > 0 ? e.cost_usd / s->sc->horizon_days : e.cost_usd;
    }
    ic_results_free(&res);
    if (compiled) ic_plan_free(&plan);
    if (rc != IC_OK) {
        /* The base scenario loaded, so the candidate value itself is at fault (a cross-field
         * rule, say): its messages go into err, after the value. */
        if (rc == IC_ERR_INVALID && s->diag->count) {
            ic_diag_to_error(s->diag, s->err);
            ic_diag_free(s->diag);
            ic_diag_init(s->diag);
        }
        ic_error_prefix(s->err, "at %s: ", s->cand);
        return rc;
    }
    if (s->n == s->cap) {
        long cap = s->cap ? 2 * s->cap : 64;
        struct cached *c = realloc(s->cache, (size_t)cap * sizeof *c);
        if (!c) return ic_error_set(s->err, IC_ERR_NOMEM, "out of memory");
        s->cache = c;
        s->cap = cap;
    }
    s->cache[s->n].k = k;
    s->cache[s->n].e = e;
    *out = &s->cache[s->n++].e;
    if (s->pb->progress) s->pb->progress(s->pb->progress_ctx, s->pb->pointer, s->g.integer, *out);
    return IC_OK;
}

/* The three conditions searched for: P-hat, the interval's lower end, its upper end <= P. */
enum which { MEETS, PLAUSIBLE, CONFIDENT };

static int holds(const struct solver *s, const struct ic_solve_eval *e, enum which w) {
    double P = s->pb->max_outage_prob;
    return w == MEETS ? e->p <= P : w == PLAUSIBLE ? e->p_lo <= P : e->p_hi <= P;
}

/* The index of half the value of index k (at least one step below it, at least 0). */
static long halved(const struct solver *s, long k) {
    double v = value_of(s, k) / 2;
    double nk = floor((v - s->g.lo) / s->g.step + 1e-9);
    if (!(nk > 0)) return 0;
    return nk >= (double)k ? k - 1 : (long)nk;
}

/* The smallest index where `w` holds, by bisection below b0 (where it holds): the bracket is
 * the largest evaluated index below b0 where it fails and the smallest evaluated index above
 * that where it holds.  When no evaluated index below b0 fails, halve the value from b0 until
 * one does (or index 0 holds): the answer is usually near b0, and this costs no more than
 * evaluating lo would. */
static int find_first(struct solver *s, enum which w, long b0, long *out) {
    const struct ic_solve_eval *e;
    long a = -1;
    for (long i = 0; i < s->n; i++)
        if (s->cache[i].k < b0 && s->cache[i].k > a && !holds(s, &s->cache[i].e, w))
            a = s->cache[i].k;
    while (a < 0) {
        if (b0 == 0) {
            *out = 0;
            return IC_OK;
        }
        long h = halved(s, b0);
        int rc = evaluate(s, h, &e);
        if (rc) return rc;
        if (holds(s, e, w))
            b0 = h;
        else
            a = h;
    }
    long b = b0;
    for (long i = 0; i < s->n; i++)
        if (s->cache[i].k > a && s->cache[i].k < b && holds(s, &s->cache[i].e, w))
            b = s->cache[i].k;
    while (b - a > 1) {
        long m = a + (b - a) / 2;
        int rc = evaluate(s, m, &e);
        if (rc) return rc;
        if (holds(s, e, w))
            b = m;
        else
            a = m;
    }
    *out = b;
    return IC_OK;
}

/* The next index up: twice the value (at least one step), at most k_hi. */
static long doubled(const struct solver *s, long k) {
    double v = value_of(s, k);
    double nk = ceil((2 * v - s->g.lo) / s->g.step - 1e-9);
    long next = nk > (double)s->g.k_hi ? s->g.k_hi : (long)nk;
    return next > k ? next : k + 1;
}

/* Search upward from index k (where `w` fails) by doubling until it holds: *found is 0 when
 * the limit (k_hi, 2^30 or 40 doublings) is reached first, with the reason in `why`. */
static int search_up(struct solver *s, enum which w, long k, long *out, int *found, char *why,
                     size_t nwhy) {
    const struct ic_solve_eval *e;
    char v[48];
    for (int d = 0;; d++) {
        int rc = evaluate(s, k, &e);
        if (rc) return rc;
        if (holds(s, e, w)) {
            *out = k;
            *found = 1;
            return IC_OK;
        }
        ic_solve_format(e->value, s->g.integer, v, sizeof v);
        const char *what = w == MEETS ? "P(outage)" : "the upper end of its 95% interval";
        double got = w == MEETS ? e->p : e->p_hi;
        if (k >= s->g.k_hi || d >= MAX_DOUBLINGS || e->value >= MAX_VALUE) {
            *found = 0;
            if (k >= s->g.k_hi && isfinite(s->g.hi))
                snprintf(why, nwhy,
                         "not reachable up to hi: %s is %.4g at %s = %s (--hi), above %g", what,
                         got, s->pb->pointer, v, s->pb->max_outage_prob);
            else if (k >= s->g.k_hi)
                snprintf(why, nwhy,
                         "not reachable: %s is %.4g at %s = %s, the field's maximum, above %g",
                         what, got, s->pb->pointer, v, s->pb->max_outage_prob);
            else
                snprintf(why, nwhy,
                         "gave up after %d doublings: %s is still %.4g at %s = %s, above %g "
                         "(does the risk fall as %s grows?  --hi searches further)",
                         d, what, got, s->pb->pointer, v, s->pb->max_outage_prob, s->pb->pointer);
            return IC_OK;
        }
        k = doubled(s, k);
    }
}

/* The value of the field in the resolved scenario, when it is a plain number. */
static int current_value(const struct ic_scenario *sc, const char *pointer, double *out) {
    char *text = ic_scenario_resolved_json(sc);
    if (!text) return -1;
    cJSON *root = cJSON_Parse(text);
    free(text);
    cJSON *node = root;
    char tok[256];
    const char *p = pointer;
    while (node && *p == '/') {
        p++;
        size_t len = strcspn(p, "/"), n = 0;
        for (size_t i = 0; i < len && n + 1 < sizeof tok; i++) {
            if (p[i] == '~' && i + 1 < len && (p[i + 1] == '0' || p[i + 1] == '1')) {
                tok[n++] = p[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                tok[n++] = p[i];
            }
        }
        tok[n] = '\0';
        p += len;
        if (cJSON_IsArray(node)) {
            char *end;
            long idx = strtol(tok, &end, 10);
            node = *end || end == tok ? NULL : cJSON_GetArrayItem(node, (int)idx);
        } else {
            node = cJSON_GetObjectItemCaseSensitive(node, tok);
        }
    }
    int rc = -1;
    if (node && cJSON_IsNumber(node) && isfinite(node->valuedouble)) {
        *out = node->valuedouble;
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

int ic_solve_run(const struct ic_solve_problem *pb, struct ic_solve_result *res,
                 struct ic_diag *diag, struct ic_error *err) {
    memset(res, 0, sizeof *res);
    res->answer = res->plausible = res->confident = NAN;
    struct solver s = {.pb = pb, .diag = diag, .err = err};
    int rc = check_grid(pb, &s.g, err);
    if (rc) return rc;
    if (pb->n_sets < 0 || pb->n_sets > MAX_BASE_SETS)
        return ic_error_set(err, IC_ERR_USAGE, "too many overrides (at most %d)", MAX_BASE_SETS);
    s.sets = malloc(((size_t)pb->n_sets + 1) * sizeof *s.sets);
    s.notes = malloc(((size_t)pb->n_sets + 1) * sizeof *s.notes);
    s.sc = malloc(sizeof *s.sc);
    s.first = malloc(sizeof *s.first); /* without it, every candidate reads the text */
    ic_diag_init(&s.created);
    if (!s.sets || !s.notes || !s.sc) {
        free(s.sets);
        free(s.notes);
        free(s.sc);
        free(s.first);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < pb->n_sets; i++) {
        s.sets[i] = pb->sets[i];
        s.notes[i] = i < pb->n_set_notes ? pb->set_notes[i] : NULL;
    }
    s.notes[pb->n_sets] = " (from --for)";
    res->integer = s.g.integer;
    res->lo = s.g.lo;
    res->step = s.g.step;
    res->hi = isfinite(s.g.hi) ? s.g.hi : NAN;

    /* The base scenario first: its own errors are reported as they are, not as a candidate's. */
    double cur = NAN;
    rc = load(&s, NULL);
    if (rc == IC_OK) {
        res->paths = (long)s.sc->paths;
        res->seed = s.sc->seed;
        res->horizon_days = s.sc->horizon_days;
        ic_strlcpy(res->name, s.sc->name, sizeof res->name);
        if (current_value(s.sc, pb->pointer, &cur)) cur = NAN;
        /* A candidate run is one point; the scenario's own sweep would be silently dropped. */
        if (s.sc->sweep.n_axes > 0)
            rc = ic_error_set(err, IC_ERR_USAGE,
                              "%s: /sweep: solve takes its points from --sweep, not from the "
                              "scenario's /sweep block (give the axes as --sweep, or --set "
                              "/sweep=[] to solve the base scenario)",
                              pb->label);
    }

    /* 1. An upper bound where P-hat <= P. */
    long k_true = 0;
    int found = 0;
    if (rc == IC_OK) {
        long k0 = 0;
        if (isfinite(s.g.hi)) {
            k0 = s.g.k_hi;
        } else if (isfinite(cur) && cur > s.g.lo) {
            double kc = floor((cur - s.g.lo) / s.g.step + 0.5);
            k0 = kc > (double)s.g.k_hi ? s.g.k_hi : (long)kc;
        }
        rc = search_up(&s, MEETS, k0, &k_true, &found, res->reason, sizeof res->reason);
    }
    /* 2. The answer, by bisection below it; answer - step is then evaluated and fails. */
    long k_ans = 0;
    if (rc == IC_OK && found) rc = find_first(&s, MEETS, k_true, &k_ans);
    if (rc == IC_OK && found) {
        const struct ic_solve_eval *e;
        res->found = 1;
        res->answer = value_of(&s, k_ans);
        rc = evaluate(&s, k_ans, &e);
        if (rc == IC_OK) res->at = *e;
        if (rc == IC_OK && k_ans > 0) {
            rc = evaluate(&s, k_ans - 1, &e);
            if (rc == IC_OK) {
                res->has_below = 1;
                res->below = *e;
            }
        }
    }
    /* 3. The 95% range. */
    if (rc == IC_OK && found) {
        long k;
        rc = find_first(&s, PLAUSIBLE, k_ans, &k);
        if (rc == IC_OK) res->plausible = value_of(&s, k);
    }
    if (rc == IC_OK && found) {
        /* Start from the smallest evaluated index at or above the answer whose upper end is
         * under P, if any (below the answer, noise may have left one: not a bracket); else go
         * up from the largest evaluated one, unless even zero outages in these many paths
         * leave the upper end above P.  The bisection's lower end is then at least
         * answer - step, which fails, so the confident end is at least the answer. */
        long b0 = -1, top = k_ans;
        for (long i = 0; i < s.n; i++) {
            if (s.cache[i].k >= k_ans && holds(&s, &s.cache[i].e, CONFIDENT) &&
                (b0 < 0 || s.cache[i].k < b0))
                b0 = s.cache[i].k;
            if (s.cache[i].k > top) top = s.cache[i].k;
        }
        double lo0, hi0;
        ic_wilson(0, res->at.paths, IC_Z95, &lo0, &hi0);
        int cfound = b0 >= 0;
        if (!cfound && hi0 <= pb->max_outage_prob)
            rc = search_up(&s, CONFIDENT, top, &b0, &cfound, res->range_note,
                           sizeof res->range_note);
        else if (!cfound)
            snprintf(res->range_note, sizeof res->range_note,
                     "with %ld paths even no outage leaves the upper end of the 95%% interval at "
                     "%.4g, above %g: more paths needed",
                     res->at.paths, hi0, pb->max_outage_prob);
        if (rc == IC_OK && cfound) rc = find_first(&s, CONFIDENT, b0, &b0);
        if (rc == IC_OK && cfound) {
            res->confident_found = 1;
            res->confident = value_of(&s, b0);
        }
    }
    res->evaluations = s.n;
    free(s.cache);
    free(s.sets);
    free(s.notes);
    free(s.sc);
    free(s.first);
    ic_diag_free(&s.created);
    return rc;
}

/* ---- sweeps -------------------------------------------------------------------------------- */

int ic_solve_axes(const struct ic_solve_problem *pb, const char *const *sweeps, int n_sweeps,
                  struct ic_solve_axis *axes, int *n_axes, struct ic_diag *diag,
                  struct ic_error *err) {
    *n_axes = 0;
    struct ic_scenario *sc = malloc(sizeof *sc);
    if (!sc) return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    struct ic_load_opts o = {.sets = pb->sets,
                             .n_sets = pb->n_sets,
                             .sweeps = sweeps,
                             .n_sweeps = n_sweeps,
                             .set_notes = pb->set_notes,
                             .n_set_notes = pb->n_set_notes};
    int rc = ic_scenario_load_string(pb->text, pb->label, &o, pb->cat, sc, diag, err);
    struct ic_sweep sw;
    memset(&sw, 0, sizeof sw);
    if (rc == IC_OK) rc = ic_sweep_expand(sc, pb->label, &sw, err);
    for (int a = 0; rc == IC_OK && a < sw.n_axes; a++) {
        const struct ic_sweep_axis *sa = &sw.axes[a];
        /* An axis over the field solved for is what the solver searches: not a point. */
        if (strcmp(sa->pointer, pb->pointer) == 0) continue;
        struct ic_solve_axis *ax = &axes[*n_axes];
        memset(ax, 0, sizeof *ax);
        ic_strlcpy(ax->pointer, sa->pointer, sizeof ax->pointer);
        ax->values = calloc((size_t)sa->n, sizeof *ax->values);
        ax->labels = calloc((size_t)sa->n, sizeof *ax->labels);
        (*n_axes)++;
        if (!ax->values || !ax->labels) {
            rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
            break;
        }
        ax->n = (int)sa->n;
        for (long i = 0; i < sa->n; i++) {
            ax->values[i] = strdup(sa->values[i]);
            ax->labels[i] = strdup(sa->labels[i]);
            if (!ax->values[i] || !ax->labels[i])
                rc = ic_error_set(err, IC_ERR_NOMEM, "out of memory");
        }
    }
    if (rc != IC_OK)
        for (int a = 0; a < *n_axes; a++) ic_solve_axis_free(&axes[a]);
    if (rc != IC_OK) *n_axes = 0;
    ic_sweep_free(&sw);
    free(sc);
    return rc;
}

void ic_solve_axis_free(struct ic_solve_axis *ax) {
    for (int i = 0; i < ax->n; i++) {
        if (ax->values) free(ax->values[i]);
        if (ax->labels) free(ax->labels[i]);
    }
    free(ax->values);
    free(ax->labels);
    ax->values = ax->labels = NULL;
    ax->n = 0;
}

int ic_solve_sweep(const struct ic_solve_problem *pb, const struct ic_solve_axis *axes, int n_axes,
                   struct ic_solve_point **points, long *n_points, struct ic_error *err) {
    *points = NULL;
    *n_points = 0;
    if (n_axes < 0 || n_axes > IC_SOLVE_MAX_AXES)
        return ic_error_set(err, IC_ERR_USAGE, "too many --sweep axes (at most %d)",
                            IC_SOLVE_MAX_AXES);
    if (pb->n_sets < 0 || pb->n_sets > MAX_BASE_SETS)
        return ic_error_set(err, IC_ERR_USAGE, "too many overrides (at most %d)", MAX_BASE_SETS);
    long n = 1;
    for (int a = 0; a < n_axes; a++) {
        if (axes[a].n < 1)
            return ic_error_set(err, IC_ERR_USAGE, "--sweep %s: no values", axes[a].pointer);
        n *= axes[a].n;
        if (n > MAX_SWEEP_PTS)
            return ic_error_set(err, IC_ERR_USAGE, "--sweep: more than %ld points", MAX_SWEEP_PTS);
    }
    struct ic_solve_point *pts = calloc((size_t)n, sizeof *pts);
    const char **sets = malloc(((size_t)pb->n_sets + IC_SOLVE_MAX_AXES) * sizeof *sets);
    if (!pts || !sets) {
        free(pts);
        free(sets);
        return ic_error_set(err, IC_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < pb->n_sets; i++) sets[i] = pb->sets[i];
    for (long k = 0; k < n; k++) {
        struct ic_solve_point *pt = &pts[k];
        long rest = k;
        /* Row-major: the last axis varies fastest. */
        int idx[IC_SOLVE_MAX_AXES];
        for (int a = n_axes - 1; a >= 0; a--) {
            const struct ic_solve_axis *ax = &axes[a];
            idx[a] = (int)(rest % ax->n);
            snprintf(pt->sets[a], sizeof pt->sets[a], "%s=%s", ax->pointer, ax->values[idx[a]]);
            rest /= ax->n;
        }
        pt->n_sets = n_axes;
        for (int a = 0; a < n_axes; a++) {
            size_t used = strlen(pt->label);
            snprintf(pt->label + used, sizeof pt->label - used, "%s%s=%s", a ? ", " : "",
                     axes[a].pointer,
                     axes[a].labels ? axes[a].labels[idx[a]] : axes[a].values[idx[a]]);
            sets[pb->n_sets + a] = pt->sets[a];
        }
        if (n_axes > 0 && pb->point_start) pb->point_start(pb->progress_ctx, k, n, pt->label);
        struct ic_solve_problem q = *pb;
        q.sets = sets;
        q.n_sets = pb->n_sets + n_axes;
        struct ic_diag diag;
        struct ic_error e = {0};
        ic_diag_init(&diag);
        pt->status = ic_solve_run(&q, &pt->res, &diag, &e);
        if (pt->status != IC_OK) {
            /* Every message, one per line, as `infercap run` prints them. */
            if (diag.count == 0) ic_strlcpy(pt->error, e.msg, sizeof pt->error);
            for (size_t i = 0; i < diag.count; i++) {
                size_t used = strlen(pt->error);
                snprintf(pt->error + used, sizeof pt->error - used, "%s%s", i ? "\n" : "",
                         diag.msgs[i]);
            }
        }
        ic_diag_free(&diag);
    }
    free(sets);
    *points = pts;
    *n_points = n;
    return IC_OK;
}

long ic_solve_cheapest(const struct ic_solve_point *points, long n_points) {
    long best = -1;
    for (long k = 0; k < n_points; k++) {
        const struct ic_solve_point *p = &points[k];
        if (p->status != IC_OK || !p->res.found) continue;
        if (best < 0 || p->res.at.cost_usd_per_day < points[best].res.at.cost_usd_per_day) best = k;
    }
    return best;
}
