/* report.c: headline text and JSON (see report.h). */
#include "sim/io/report.h"

#include "sim/engine/reqresult.h"
#include "sim/engine/svccurve.h"

#include "sim/core/timeutil.h"
#include "sim/core/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define F1(key, member)                                                                            \
    { key, offsetof(struct ic_headline, member), 1, 0 }
#define F2(key, member)                                                                            \
    { key, offsetof(struct ic_headline, member), 2, 0 }
/* Figures added after the first result files: read as NaN from a file without them. */
#define F1_LATER(key, member)                                                                      \
    { key, offsetof(struct ic_headline, member), 1, 1 }
#define F2_LATER(key, member)                                                                      \
    { key, offsetof(struct ic_headline, member), 2, 1 }
const struct ic_headline_field ic_headline_fields[] = {
    F2("first_outage_s_p50_ci95", first_outage_ci),
    F1("lost_requests_mean", lost_mean),
    F2("lost_requests_mean_ci95", lost_mean_ci),
    F1("lost_requests_p50", lost_q50),
    F2("lost_requests_p50_ci95", lost_ci),
    F1("lost_requests_p95", lost_q95),
    F1("lost_fraction_mean", lost_fraction_mean),
    F2("lost_fraction_mean_ci95", lost_fraction_ci),
    F1_LATER("good_fraction_mean", good_fraction_mean),
    F2_LATER("good_fraction_mean_ci95", good_fraction_ci),
    F1("peak_offered_load_p50", peak_load_q50),
    F2("peak_offered_load_p50_ci95", peak_load_ci),
    F1("peak_offered_load_p95", peak_load_q95),
    F1("degraded_minutes_mean", degraded_minutes_mean),
    F2("degraded_minutes_mean_ci95", degraded_minutes_ci),
    F1("revenue_usd_mean", revenue_mean_usd),
    F2("revenue_usd_mean_ci95", revenue_ci),
    F1("gross_margin", margin_mean),
    F2("gross_margin_ci95", margin_ci),
    F1("sustainable_demand_p50", sustainable_q50),
    F2("sustainable_demand_p50_ci95", sustainable_ci),
    F1("autoscale_actions_mean", actions_mean),
    F2("autoscale_actions_mean_ci95", actions_ci),
    F1("cost_usd_mean", cost_mean_usd),
    F2("cost_usd_mean_ci95", cost_mean_ci),
    F1("cost_usd_p50", cost_q50),
    F2("cost_usd_p50_ci95", cost_ci),
    F1("accelerator_hours_mean", accel_hours_mean),
    F2("accelerator_hours_mean_ci95", accel_hours_ci),
    F1("energy_mwh_mean", energy_mean_mwh),
    F2("energy_mwh_mean_ci95", energy_ci),
};
#undef F1
#undef F2
#undef F1_LATER
#undef F2_LATER
const int ic_headline_nfields = (int)(sizeof ic_headline_fields / sizeof ic_headline_fields[0]);

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of a summary column over paths, NaN left out (NaN when none). */
static double column_median(const struct ic_results *r, int m) {
    const double *col = ic_summary_col(r, m);
    double *v = malloc(((size_t)r->paths + 1) * sizeof *v);
    if (!v) return NAN;
    size_t n = 0;
    for (long p = 0; p < r->paths; p++)
        if (!isnan(col[p])) v[n++] = col[p];
    qsort(v, n, sizeof *v, cmp_double);
    double med = n == 0 ? NAN : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    free(v);
    return med;
}

void ic_report_from_run(const struct ic_plan *plan, const struct ic_results *r,
                        struct ic_report *rep) {
    const struct ic_scenario *sc = plan->sc;
    memset(rep, 0, sizeof *rep);
    ic_strlcpy(rep->scenario, sc->name, sizeof rep->scenario);
    ic_strlcpy(rep->accelerator, sc->accelerator.value.key, sizeof rep->accelerator);
    ic_strlcpy(rep->model, sc->model.value.key, sizeof rep->model);
    ic_strlcpy(rep->start, sc->start.text, sizeof rep->start);
    rep->offset_s = sc->start.offset_s;
    rep->start_unix_s = sc->start.unix_s;
    rep->seed = sc->seed;
    rep->horizon_days = sc->horizon_days;
    rep->step_s = sc->step_s;
    rep->accelerators_mean = ic_dist_mean(&sc->fleet.accelerators);
    rep->accels_per_replica = plan->fit.accels;
    rep->replica_rps = plan->pool[0].svc.rps; /* the service curve's (engine.h) */
    rep->replica_batch = (double)plan->perf.batch;
    const struct ic_pool_service *svc = &plan->pool[0].svc;
    ic_strlcpy(rep->curve_mode, ic_curve_mode_name(svc->mode), sizeof rep->curve_mode);
    ic_strlcpy(rep->curve_asked, ic_curve_mode_name(sc->service_curve.mode),
               sizeof rep->curve_asked);
    const int measured = svc->mode == IC_CURVE_MEASURED;
    rep->curve_sat_rps = measured ? svc->sat_rps : NAN;
    rep->curve_slo_util = measured ? svc->slo_util : NAN;
    rep->curve_replicas = measured ? svc->group : 0;
    rep->curve_requests = measured ? svc->requests : 0;
    ic_strlcpy(rep->curve_cache, ic_curve_cache_phrase(svc), sizeof rep->curve_cache);
    rep->n_pools = plan->n_pools;
    for (int k = 0; k < plan->n_pools && k < IC_MAX_POOLS; k++) {
        const struct ic_pool_plan *pl = &plan->pool[k];
        struct ic_report_pool *rp = &rep->pool[k];
        const int m = pl->svc.mode == IC_CURVE_MEASURED;
        ic_strlcpy(rp->mode, ic_curve_mode_name(pl->svc.mode), sizeof rp->mode);
        ic_strlcpy(rp->accelerator, pl->accel ? pl->accel->key : "", sizeof rp->accelerator);
        rp->accelerators = pl->role >= 0      ? ic_dist_mean(pl->units) * pl->unit_accels
                           : pl->accelerators ? ic_dist_mean(pl->accelerators)
                                              : NAN;
        rp->rps = pl->svc.rps;
        rp->sat_rps = m ? pl->svc.sat_rps : NAN;
        rp->slo_util = m ? pl->svc.slo_util : NAN;
        rp->batch = (double)pl->perf.batch;
        rp->replicas = m ? pl->svc.group : 0;
        rp->requests = m ? pl->svc.requests : 0;
    }
    if (!measured && sc->service_curve.mode == IC_CURVE_MEASURED) {
        /* what the request engine refused (svccurve.h: it keeps the closed form then) */
        struct ic_req_input in;
        struct ic_error e = {0};
        if (ic_plan_req_input(plan, 0, &in, &e) != IC_OK)
            ic_strlcpy(rep->curve_why, e.msg, sizeof rep->curve_why);
    }
    rep->h = r->head;
    rep->weekly_visits = plan->weekly_visits;
    rep->tokens_per_day = ic_scenario_tokens_per_day(sc);
    rep->path_steps = (double)plan->paths * (double)plan->nsteps;
    rep->threads = r->threads;
    rep->partial = r->partial != 0;
    rep->completed_until_s = !r->partial                      ? sc->horizon_days * 86400.0
                             : r->completed_nout < plan->nout ? plan->time_s[r->completed_nout]
                                                              : sc->horizon_days * 86400.0;
    if (plan->roles && r->n_summary >= IC_SUMMARY_ALL) {
        rep->roles = 1;
        rep->accelerators_mean = 0;
        for (int q = 0; q < 2; q++) {
            rep->role_units[q] = ic_dist_mean(plan->pool[q].units);
            rep->role_unit_accels[q] = plan->pool[q].unit_accels;
            rep->role_unit_tok_s[q] = plan->pool[q].unit_tokens_per_s;
            const struct ic_role_spec *rs = q ? &sc->fleet.roles.decode : &sc->fleet.roles.prefill;
            rep->role_measured[q] = rs->measured_tokens_per_s > 0;
            ic_strlcpy(rep->role_accel[q], plan->pool[q].accel->key, sizeof rep->role_accel[q]);
            rep->accelerators_mean += rep->role_units[q] * rep->role_unit_accels[q];
        }
        rep->nodes_needed_q50[0] = column_median(r, IC_RM_NODES_MEAN);
        rep->nodes_needed_q50[1] = column_median(r, IC_RM_NODES_PEAK);
        rep->nodes_needed_q50[2] = column_median(r, IC_RM_NODES_MIN);
        rep->cost_follow_q50 = column_median(r, IC_RM_FOLLOW_COST);
        rep->cost_flat_q50 = column_median(r, IC_RM_FLAT_COST);
    }
}

/* "PARTIAL: ... to DATE": an interrupted run's figures are not the horizon's. */
static void partial_until(const struct ic_report *rep, char *buf, size_t n) {
    if (isfinite(rep->completed_until_s) && isfinite(rep->start_unix_s)) {
        ic_time_format(rep->start_unix_s + rep->completed_until_s, rep->offset_s, buf, (int)n);
        if (strlen(buf) >= 16) {
            buf[16] = '\0';
            buf[10] = ' ';
        }
    } else {
        snprintf(buf, n, "an unknown time");
    }
}

static void fmt_time(const struct ic_report *rep, double s, char *buf, int n) {
    if (!isfinite(s)) {
        snprintf(buf, (size_t)n, "n/a");
        return;
    }
    ic_time_format(rep->start_unix_s + s, rep->offset_s, buf, n);
    buf[16] = '\0'; /* minutes are enough: "YYYY-MM-DDTHH:MM" */
    buf[10] = ' ';
}

/* Half the width of a 95% interval (0 when unknown). */
static double hw(const double ci[2]) {
    double w = 0.5 * (ci[1] - ci[0]);
    return isfinite(w) ? w : 0.0;
}

void ic_report_print(FILE *f, const struct ic_report *rep) {
    const struct ic_headline *h = &rep->h;
    fprintf(f, "%s: %ld paths, seed %lld, %g days from %s\n", rep->scenario, h->paths, rep->seed,
            rep->horizon_days, rep->start);
    if (rep->partial) {
        char u[48];
        partial_until(rep, u, sizeof u);
        fprintf(f,
                "  PARTIAL    the run was stopped: every figure below covers only the time to %s "
                "(%.4g of %g days), not the whole horizon\n",
                u, rep->completed_until_s / 86400.0, rep->horizon_days);
    }
    if (rep->roles) {
        /* the roles may run on accelerators of their own: name the fleet's only if both share it */
        const int one = strcmp(rep->role_accel[0], rep->role_accel[1]) == 0;
        fprintf(f, "  fleet      %.0f %s%s serving %s in prefill and decode units\n",
                rep->accelerators_mean, one ? "x " : "accelerators",
                !one                    ? ""
                : rep->role_accel[0][0] ? rep->role_accel[0]
                                        : rep->accelerator,
                rep->model);
        static const char *const rn[2] = {"prefill", "decode"};
        fprintf(f, "  roles     ");
        for (int q = 0; q < 2; q++)
            fprintf(f, "%s %s %.4g units of %.0f%s%s (%.4g %s tokens/s each, %s)", q ? "," : "",
                    rn[q], rep->role_units[q], rep->role_unit_accels[q], one ? "" : " x ",
                    one ? "" : rep->role_accel[q], rep->role_unit_tok_s[q],
                    q ? "generated" : "uncached prompt",
                    rep->role_measured[q] ? "measured" : "performance model");
        fprintf(f, "\n");
        fprintf(f,
                "  nodes needed  mean %.1f, peak %.0f, minimum %.0f (medians over paths); a fleet "
                "following the curve $%.4g against $%.4g flat for its peak\n",
                rep->nodes_needed_q50[0], rep->nodes_needed_q50[1], rep->nodes_needed_q50[2],
                rep->cost_follow_q50, rep->cost_flat_q50);
    } else {
        fprintf(f, "  fleet      %.0f x %s serving %s: %ld per replica, %.4g req/s per replica\n",
                rep->accelerators_mean, rep->accelerator, rep->model, rep->accels_per_replica,
                rep->replica_rps);
    }
    /* The service curve the fluid queue serves by: the closed form's batch is the operating
     * point only when the curve is the closed form. */
    if (strcmp(rep->curve_mode, "measured") == 0) {
        fprintf(f,
                "  service curve  measured by the request engine (%ld requests on %ld "
                "replica%s%s%s): %.4g req/s per replica saturated, objectives met up to %.3g of "
                "it; closed-form batch %.0f not used\n",
                rep->curve_requests, rep->curve_replicas, rep->curve_replicas == 1 ? "" : "s",
                rep->curve_cache[0] ? "; " : "", rep->curve_cache, rep->curve_sat_rps,
                rep->curve_slo_util, rep->replica_batch);
    } else if (strcmp(rep->curve_mode, "closed_form") == 0) {
        char why[400] = "";
        if (strcmp(rep->curve_asked, "measured") == 0)
            snprintf(why, sizeof why, "; measured was asked for but not possible (%s)",
                     rep->curve_why[0] ? rep->curve_why
                                       : "the request engine gave no saturated rate");
        if (rep->roles)
            fprintf(f,
                    "  service curve  closed form of the performance model for latencies and "
                    "goodput by load (each role serves at its units' tokens/s)%s\n",
                    why);
        else
            fprintf(f,
                    "  service curve  closed form of the performance model: batch %.0f per "
                    "replica%s\n",
                    rep->replica_batch, why);
    } else {
        fprintf(f,
                "  service curve  not recorded in this file (closed-form batch %.0f per replica, "
                "the operating point only if the curve was the closed form)\n",
                rep->replica_batch);
    }
    /* A fleet of several pools (/fleet/pools): each further pool's curve. */
    for (int k = 1; !rep->roles && k < rep->n_pools && k < IC_MAX_POOLS; k++) {
        const struct ic_report_pool *p = &rep->pool[k];
        if (strcmp(p->mode, "measured") == 0)
            fprintf(f,
                    "  pool %d     %.0f x %s: %.4g req/s per replica, service curve measured (%ld "
                    "requests on %ld replica%s; closed-form batch %.0f not used)\n",
                    k, p->accelerators, p->accelerator, p->rps, p->requests, p->replicas,
                    p->replicas == 1 ? "" : "s", p->batch);
        else
            fprintf(f,
                    "  pool %d     %.0f x %s: %.4g req/s per replica, service curve %s (batch %.0f "
                    "per replica)\n",
                    k, p->accelerators, p->accelerator, p->rps,
                    p->mode[0] ? p->mode : "not recorded", p->batch);
    }
    fprintf(f, "  P(outage)  %.3f  [95%% CI %.3f, %.3f]  (%ld of %ld paths)\n", h->p_outage,
            h->p_lo, h->p_hi, h->outages, h->paths);
    if (h->outages > 0) {
        char a[40], b[40], c[40];
        fmt_time(rep, h->first_outage_q[0], a, sizeof a);
        fmt_time(rep, h->first_outage_q[1], b, sizeof b);
        fmt_time(rep, h->first_outage_q[2], c, sizeof c);
        char l[40], u[40];
        fmt_time(rep, h->first_outage_ci[0], l, sizeof l);
        fmt_time(rep, h->first_outage_ci[1], u, sizeof u);
        /* the interval's ends without the year ("MM-DD HH:MM"), n/a as such */
        const char *ls = strlen(l) >= 16 ? l + 5 : l, *us = strlen(u) >= 16 ? u + 5 : u;
        fprintf(f, "  first outage  median %s [95%% CI %s, %s]  (p10 %s, p90 %s)\n", b, ls, us, a,
                c);
    }
    /* Means with +- half their 95% interval, medians with the interval itself. */
    fprintf(f,
            "  lost requests  mean %.4g +- %.2g (%.2f%% +- %.2f%% of new requests), median %.4g "
            "[95%% CI %.4g, %.4g], p95 %.4g\n",
            h->lost_mean, hw(h->lost_mean_ci), 100.0 * h->lost_fraction_mean,
            100.0 * hw(h->lost_fraction_ci), h->lost_q50, h->lost_ci[0], h->lost_ci[1],
            h->lost_q95);
    if (isfinite(h->good_fraction_mean))
        fprintf(f,
                "  goodput    %.2f%% +- %.2f%% of served requests within the TTFT and TPOT "
                "objectives (mean over paths)\n",
                100.0 * h->good_fraction_mean, 100.0 * hw(h->good_fraction_ci));
    fprintf(f,
            "  peak offered load  median %.2f [95%% CI %.2f, %.2f], p95 %.2f;  degraded %.0f +- "
            "%.2g min per path (mean)\n",
            h->peak_load_q50, h->peak_load_ci[0], h->peak_load_ci[1], h->peak_load_q95,
            h->degraded_minutes_mean, hw(h->degraded_minutes_ci));
    fprintf(f,
            "  cost  $%.4g +- %.2g per path (mean; median $%.6g [95%% CI %.6g, %.6g]), %.4g +- "
            "%.2g accelerator-hours, %.4g +- %.2g MWh\n",
            h->cost_mean_usd, hw(h->cost_mean_ci), h->cost_q50, h->cost_ci[0], h->cost_ci[1],
            h->accel_hours_mean, hw(h->accel_hours_ci), h->energy_mean_mwh, hw(h->energy_ci));
    if (h->revenue_mean_usd > 0)
        fprintf(f, "  revenue  $%.4g +- %.2g per path (mean), gross margin %.1f%% +- %.1f%%\n",
                h->revenue_mean_usd, hw(h->revenue_ci), 100.0 * h->margin_mean,
                100.0 * hw(h->margin_ci));
    fprintf(f,
            "  sustainable  %.4g [95%% CI %.4g, %.4g] %s at the busiest hour (median path, whole "
            "fleet healthy)\n",
            h->sustainable_q50, h->sustainable_ci[0], h->sustainable_ci[1],
            rep->tokens_per_day  ? "times the tokens a day"
            : rep->weekly_visits ? "weekly web visits"
                                 : "daily active users");
    if (h->actions_mean > 0)
        fprintf(f, "  autoscaling  %.2f +- %.2g actions per path (mean)\n", h->actions_mean,
                hw(h->actions_ci));
    if (rep->engine_s > 0)
        fprintf(f,
                "  engine  %.3g path-steps in %.2f s (%.3g M/s on %d thread%s); reduction and "
                "write %.2f s\n",
                rep->path_steps, rep->engine_s, rep->path_steps / rep->engine_s / 1e6, rep->threads,
                rep->threads == 1 ? "" : "s", rep->write_s);
    if (rep->peak_rss_bytes > 0)
        fprintf(f, "  memory  peak %.1f MiB resident (estimated %.1f MiB)\n",
                rep->peak_rss_bytes / 1048576.0, rep->memory_bytes / 1048576.0);
}

static void add_num(cJSON *o, const char *k, double v) {
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

void *ic_report_json(const struct ic_report *rep) {
    const struct ic_headline *h = &rep->h;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scenario", rep->scenario);
    if (rep->file[0]) cJSON_AddStringToObject(o, "file", rep->file);
    cJSON_AddNumberToObject(o, "paths", (double)h->paths);
    cJSON_AddNumberToObject(o, "seed", (double)rep->seed);
    cJSON_AddStringToObject(o, "start", rep->start);
    add_num(o, "horizon_days", rep->horizon_days);
    cJSON_AddBoolToObject(o, "partial", rep->partial != 0);
    if (rep->partial) {
        add_num(o, "completed_until_s", rep->completed_until_s);
        char u[48];
        if (isfinite(rep->completed_until_s) && isfinite(rep->start_unix_s)) {
            ic_time_format(rep->start_unix_s + rep->completed_until_s, rep->offset_s, u, sizeof u);
            cJSON_AddStringToObject(o, "completed_until", u);
        } else {
            cJSON_AddNullToObject(o, "completed_until");
        }
    }
    cJSON_AddStringToObject(o, "accelerator", rep->accelerator);
    cJSON_AddStringToObject(o, "model", rep->model);
    add_num(o, "accelerators_mean", rep->accelerators_mean);
    cJSON_AddNumberToObject(o, "accelerators_per_replica", (double)rep->accels_per_replica);
    add_num(o, "replica_requests_per_s", rep->replica_rps);
    cJSON *sv = cJSON_AddObjectToObject(o, "service_curve");
    if (sv) {
        if (rep->curve_mode[0])
            cJSON_AddStringToObject(sv, "mode", rep->curve_mode);
        else
            cJSON_AddNullToObject(sv, "mode"); /* a file from before it was recorded */
        if (rep->curve_asked[0])
            cJSON_AddStringToObject(sv, "requested_mode", rep->curve_asked);
        else
            cJSON_AddNullToObject(sv, "requested_mode");
        if (rep->curve_why[0]) cJSON_AddStringToObject(sv, "closed_form_reason", rep->curve_why);
        add_num(sv, "requests_per_s", rep->replica_rps);
        add_num(sv, "saturated_requests_per_s", rep->curve_sat_rps);
        add_num(sv, "slo_utilization", rep->curve_slo_util);
        /* unknown (null) in a file from before the curve was recorded */
        add_num(sv, "replicas", rep->curve_mode[0] ? (double)rep->curve_replicas : NAN);
        add_num(sv, "requests", rep->curve_mode[0] ? (double)rep->curve_requests : NAN);
        /* the closed form's batch, the operating point only when mode is closed_form */
        add_num(sv, "closed_form_batch", rep->replica_batch);
        /* every pool's (/service_curve in the file; pool 0 is the above) */
        cJSON *pa = rep->n_pools > 0 ? cJSON_AddArrayToObject(sv, "pools") : NULL;
        for (int k = 0; pa && k < rep->n_pools && k < IC_MAX_POOLS; k++) {
            const struct ic_report_pool *p = &rep->pool[k];
            cJSON *x = cJSON_CreateObject();
            if (!x) break;
            cJSON_AddStringToObject(x, "mode", p->mode);
            cJSON_AddStringToObject(x, "accelerator", p->accelerator);
            add_num(x, "accelerators", p->accelerators);
            add_num(x, "requests_per_s", p->rps);
            add_num(x, "saturated_requests_per_s", p->sat_rps);
            add_num(x, "slo_utilization", p->slo_util);
            add_num(x, "closed_form_batch", p->batch);
            cJSON_AddNumberToObject(x, "replicas", (double)p->replicas);
            cJSON_AddNumberToObject(x, "requests", (double)p->requests);
            cJSON_AddItemToArray(pa, x);
        }
    }
    if (rep->roles) {
        static const char *const rn[2] = {"prefill", "decode"};
        cJSON *ro = cJSON_AddObjectToObject(o, "roles");
        for (int q = 0; ro && q < 2; q++) {
            cJSON *x = cJSON_AddObjectToObject(ro, rn[q]);
            if (!x) continue;
            add_num(x, "units", rep->role_units[q]);
            add_num(x, "unit_accelerators", rep->role_unit_accels[q]);
            add_num(x, "unit_tokens_per_s", rep->role_unit_tok_s[q]);
            cJSON_AddStringToObject(x, "unit_rate",
                                    rep->role_measured[q] ? "measured" : "performance_model");
            cJSON_AddStringToObject(x, "accelerator",
                                    rep->role_accel[q][0] ? rep->role_accel[q] : rep->accelerator);
        }
        add_num(o, "nodes_needed_mean_p50", rep->nodes_needed_q50[0]);
        add_num(o, "nodes_needed_peak_p50", rep->nodes_needed_q50[1]);
        add_num(o, "nodes_needed_min_p50", rep->nodes_needed_q50[2]);
        add_num(o, "cost_follow_curve_usd_p50", rep->cost_follow_q50);
        add_num(o, "cost_flat_peak_usd_p50", rep->cost_flat_q50);
    }
    cJSON_AddNumberToObject(o, "outage_paths", (double)h->outages);
    add_num(o, "outage_probability", h->p_outage);
    cJSON *ci = cJSON_AddArrayToObject(o, "outage_probability_ci95");
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(h->p_lo));
    cJSON_AddItemToArray(ci, cJSON_CreateNumber(h->p_hi));
    static const char *const fq[3] = {"first_outage_s_p10", "first_outage_s_p50",
                                      "first_outage_s_p90"};
    for (int k = 0; k < 3; k++) add_num(o, fq[k], h->first_outage_q[k]);
    char t[40];
    if (isfinite(h->first_outage_q[1])) {
        ic_time_format(rep->start_unix_s + h->first_outage_q[1], rep->offset_s, t, sizeof t);
        cJSON_AddStringToObject(o, "first_outage_p50", t);
    } else {
        cJSON_AddNullToObject(o, "first_outage_p50");
    }
    /* the unit of sustainable_demand_p50 (below) */
    cJSON_AddStringToObject(o, "sustainable_demand_units",
                            rep->tokens_per_day  ? "multiples of the tokens a day"
                            : rep->weekly_visits ? "weekly web visits"
                                                 : "daily active users");
    for (int i = 0; i < ic_headline_nfields; i++) {
        const struct ic_headline_field *fd = &ic_headline_fields[i];
        const double *v = (const double *)((const char *)h + fd->offset);
        if (fd->n == 1) {
            add_num(o, fd->key, v[0]);
            continue;
        }
        cJSON *pair = cJSON_AddArrayToObject(o, fd->key);
        for (int k = 0; k < fd->n; k++)
            cJSON_AddItemToArray(pair,
                                 isfinite(v[k]) ? cJSON_CreateNumber(v[k]) : cJSON_CreateNull());
    }
    if (rep->memory_bytes > 0)
        cJSON_AddNumberToObject(o, "memory_estimate_bytes", rep->memory_bytes);
    if (rep->peak_rss_bytes > 0)
        cJSON_AddNumberToObject(o, "peak_memory_bytes", rep->peak_rss_bytes);
    if (rep->engine_s > 0) {
        cJSON_AddNumberToObject(o, "engine_seconds", rep->engine_s);
        cJSON_AddNumberToObject(o, "write_seconds", rep->write_s);
        cJSON_AddNumberToObject(o, "path_steps", rep->path_steps);
        cJSON_AddNumberToObject(o, "threads", rep->threads);
    }
    if (rep->version[0]) cJSON_AddStringToObject(o, "infercap_version", rep->version);
    if (rep->git_commit[0]) cJSON_AddStringToObject(o, "git_commit", rep->git_commit);
    if (rep->created_utc[0]) cJSON_AddStringToObject(o, "created_utc", rep->created_utc);
    if (rep->command_line[0]) cJSON_AddStringToObject(o, "command_line", rep->command_line);
    return o;
}

void ic_report_print_json(FILE *f, const struct ic_report *rep) {
    cJSON *o = ic_report_json(rep);
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    if (s) fprintf(f, "%s\n", s);
    free(s);
    cJSON_Delete(o);
}

/* ---- the request engine's headline (moved from sim/drivers/reqrun.c) ---- */

static void print_latency(FILE *f, const char *name, const struct ic_latency *l, double unit,
                          const char *u) {
    if (l->n == 0) {
        fprintf(f, "  %-6s none\n", name);
        return;
    }
    fprintf(f,
            "  %-6s mean %.4g %s; p50 %.4g [%.4g, %.4g], p90 %.4g [%.4g, %.4g], p99 %.4g "
            "[%.4g, %.4g]\n",
            name, l->mean * unit, u, l->q[0] * unit, l->ci[0][0] * unit, l->ci[0][1] * unit,
            l->q[1] * unit, l->ci[1][0] * unit, l->ci[1][1] * unit, l->q[2] * unit,
            l->ci[2][0] * unit, l->ci[2][1] * unit);
}

static cJSON *latency_json(const struct ic_latency *l) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)l->n);
    if (l->n == 0) return o;
    cJSON_AddNumberToObject(o, "mean", l->mean);
    static const char *const k[3] = {"p50", "p90", "p99"};
    for (int i = 0; i < 3; i++) {
        char key[16];
        cJSON_AddNumberToObject(o, k[i], l->q[i]);
        snprintf(key, sizeof key, "%s_ci95", k[i]);
        cJSON_AddItemToObject(o, key, cJSON_CreateDoubleArray(l->ci[i], 2));
    }
    return o;
}

void ic_reqrun_print(FILE *f, const struct ic_reqrun *rr, int json) {
    const struct ic_req_headline *h = &rr->h;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "engine", "request");
        cJSON_AddStringToObject(o, "source", rr->source);
        cJSON_AddStringToObject(o, "accelerator", rr->accelerator);
        cJSON_AddStringToObject(o, "model", rr->model);
        cJSON_AddNumberToObject(o, "replicas", (double)rr->cfg.replicas);
        cJSON_AddNumberToObject(o, "accelerators_per_replica", (double)rr->accels_per_replica);
        cJSON_AddStringToObject(o, "routing", ic_routing_name(rr->cfg.routing));
        cJSON_AddNumberToObject(o, "window_s", h->window_s);
        cJSON_AddNumberToObject(o, "requests", (double)h->requests);
        cJSON_AddNumberToObject(o, "served", (double)h->served);
        cJSON_AddNumberToObject(o, "rejected", (double)h->rejected);
        cJSON_AddNumberToObject(o, "abandoned", (double)h->abandoned);
        cJSON_AddNumberToObject(o, "unfinished", (double)h->unfinished);
        cJSON_AddNumberToObject(o, "preemptions", (double)h->preemptions);
        cJSON_AddNumberToObject(o, "throughput_rps", h->throughput_rps);
        cJSON_AddNumberToObject(o, "goodput_rps", h->goodput_rps);
        cJSON_AddNumberToObject(o, "good_fraction", h->good_fraction);
        double g[2] = {h->good_lo, h->good_hi};
        cJSON_AddItemToObject(o, "good_fraction_ci95", cJSON_CreateDoubleArray(g, 2));
        cJSON_AddNumberToObject(o, "ttft_slo_s", rr->ttft_slo_s);
        cJSON_AddNumberToObject(o, "tpot_slo_s", rr->tpot_slo_s);
        cJSON_AddItemToObject(o, "ttft_s", latency_json(&h->ttft));
        cJSON_AddItemToObject(o, "tpot_s", latency_json(&h->tpot));
        cJSON_AddItemToObject(o, "e2e_s", latency_json(&h->e2e));
        cJSON_AddItemToObject(o, "queue_s", latency_json(&h->queue));
        cJSON_AddNumberToObject(o, "busy_mean", h->busy_mean);
        cJSON_AddNumberToObject(o, "kv_occupancy_mean", h->kv_mean);
        cJSON_AddNumberToObject(o, "iterations", rr->stats.iterations);
        cJSON_AddNumberToObject(o, "segments", rr->stats.segments);
        cJSON_AddNumberToObject(
            o, "mean_decode_batch",
            rr->stats.iterations > 0 ? rr->stats.decode_tokens / rr->stats.iterations : 0);
        cJSON_AddNumberToObject(
            o, "mean_prefill_tokens",
            rr->stats.iterations > 0 ? rr->stats.prefill_tokens / rr->stats.iterations : 0);
        cJSON_AddNumberToObject(o, "mean_iteration_s",
                                rr->stats.iterations > 0 ? rr->stats.busy_s / rr->stats.iterations
                                                         : 0);
        cJSON_AddNumberToObject(o, "engine_seconds", rr->engine_s);
        char *s = cJSON_PrintUnformatted(o);
        if (s) fprintf(f, "%s\n", s);
        free(s);
        cJSON_Delete(o);
        return;
    }
    fprintf(f, "request engine: %s\n", rr->source);
    fprintf(f, "  fleet  %ld replicas of %ld x %s serving %s, %s routing\n", rr->cfg.replicas,
            rr->accels_per_replica, rr->accelerator, rr->model, ic_routing_name(rr->cfg.routing));
    fprintf(f,
            "  requests  %ld: served %ld, rejected %ld, abandoned %ld, unfinished %ld; %ld "
            "preemptions\n",
            h->requests, h->served, h->rejected, h->abandoned, h->unfinished, h->preemptions);
    char slo[96] = "";
    if (rr->ttft_slo_s > 0)
        snprintf(slo, sizeof slo, "TTFT <= %g s and TPOT <= %g ms", rr->ttft_slo_s,
                 rr->tpot_slo_s * 1000);
    else
        snprintf(slo, sizeof slo, "TPOT <= %g ms", rr->tpot_slo_s * 1000);
    /* good_fraction is over every request of the window (reqresult.h), not over the served */
    fprintf(f,
            "  throughput %.4g req/s; goodput %.4g req/s (%.1f%% [95%% CI %.1f, %.1f] of all %ld "
            "requests, served within %s)\n",
            h->throughput_rps, h->goodput_rps, 100 * h->good_fraction, 100 * h->good_lo,
            100 * h->good_hi, h->requests, slo);
    print_latency(f, "TTFT", &h->ttft, 1, "s");
    print_latency(f, "TPOT", &h->tpot, 1000, "ms");
    print_latency(f, "E2E", &h->e2e, 1, "s");
    print_latency(f, "queue", &h->queue, 1, "s");
    fprintf(f, "  replicas  busy %.1f%%, KV cache %.1f%% (means over the window)\n",
            100 * h->busy_mean, 100 * h->kv_mean);
    if (rr->engine_s > 0)
        fprintf(f,
                "  engine  %ld requests, %.3g iterations in %.3g segments, %.2f s (%.3g M "
                "requests/s)\n",
                h->requests, rr->stats.iterations, rr->stats.segments, rr->engine_s,
                rr->engine_s > 0 ? (double)h->requests / rr->engine_s / 1e6 : 0.0);
}
