/* traffic.c: demand equations (see traffic.h).
 *
 * The built-in "cn-consumer" profile is a GUESS at the shape of Chinese consumer internet
 * traffic: a trough around 04:00, a late-morning peak and the highest load at 20:00-22:00 local
 * time.  "us-enterprise" is a GUESS at office-hours work traffic: low at night, rising from
 * 08:00 to a plateau from 10:00 to 16:00, fading in the evening.  Replace either with measured
 * hourly weights (profile "custom") when you have them. */
#include "models/traffic.h"

#include <stddef.h>

IC_ENUM_TABLE(ic_growth_models, {"exponential", IC_GROWTH_EXPONENTIAL, "v0 e^{rt}"},
              {"logistic", IC_GROWTH_LOGISTIC, "Verhulst (1838), saturating at K"},
              {"bass", IC_GROWTH_BASS,
               "Bass (1969) diffusion: innovation p, imitation q, market m"},
              {"piecewise", IC_GROWTH_PIECEWISE, "log-linear through observed points"});
IC_ENUM_TABLE(ic_diurnal_profiles, {"flat", IC_DIURNAL_FLAT, "the same every hour"},
              {"cn-consumer", IC_DIURNAL_CN_CONSUMER, "Chinese consumer internet (guess)"},
              {"us-enterprise", IC_DIURNAL_US_ENTERPRISE, "US working hours"},
              {"custom", IC_DIURNAL_CUSTOM, "the 24 weights given"});

const char *ic_growth_model_name(int model) {
    return ic_enum_name(&ic_growth_models, model);
}
const char *ic_diurnal_profile_name(int profile) {
    return ic_enum_name(&ic_diurnal_profiles, profile);
}

static const double cn_consumer[24] = {
    0.75, 0.45, 0.28, 0.20, 0.17, 0.20, 0.35, 0.60, 0.95, 1.25, 1.40, 1.40,
    1.15, 1.15, 1.30, 1.35, 1.30, 1.20, 1.15, 1.25, 1.40, 1.45, 1.30, 1.05,
};

static const double us_enterprise[24] = {
    0.25, 0.20, 0.18, 0.18, 0.20, 0.25, 0.40, 0.70, 1.10, 1.50, 1.70, 1.75,
    1.60, 1.70, 1.75, 1.70, 1.55, 1.25, 0.95, 0.80, 0.70, 0.60, 0.45, 0.33,
};

void ic_diurnal_weights(int profile, const double *custom, double out[24]) {
    double s = 0;
    for (int h = 0; h < 24; h++) {
        switch (profile) {
        case IC_DIURNAL_CUSTOM:
            out[h] = custom[h];
            break;
        case IC_DIURNAL_CN_CONSUMER:
            out[h] = cn_consumer[h];
            break;
        case IC_DIURNAL_US_ENTERPRISE:
            out[h] = us_enterprise[h];
            break;
        default:
            out[h] = 1.0;
        }
        s += out[h];
    }
    for (int h = 0; h < 24; h++) out[h] *= 24.0 / s;
}

void ic_day_of_week_weights(int profile, const double *custom, double out[7]) {
    double s = 0;
    for (int d = 0; d < 7; d++) {
        out[d] = custom ? custom[d] : (profile == IC_DIURNAL_US_ENTERPRISE && d >= 5 ? 0.35 : 1.0);
        s += out[d];
    }
    for (int d = 0; d < 7; d++) out[d] *= 7.0 / s;
}

double ic_diurnal_at(const double w[24], double local_hour) {
    double x = local_hour - 0.5; /* weights sit at the centres of their hours */
    x -= 24.0 * floor(x / 24.0);
    int h = (int)x;
    if (h > 23) h = 23;
    double f = x - h;
    return w[h] * (1.0 - f) + w[(h + 1) % 24] * f;
}

double ic_event_norm(double rise_s, double decay_s) {
    double tau = rise_s * log1p(decay_s / rise_s);
    double fmax = (1.0 - exp(-tau / rise_s)) * exp(-tau / decay_s);
    return fmax > 0 ? 1.0 / fmax : 0.0;
}

double ic_growth_value(const struct ic_growth *g, double t) {
    switch (g->model) {
    case IC_GROWTH_LOGISTIC:
        return g->capacity / (1.0 + (g->capacity / g->v0 - 1.0) * exp(-g->rate_per_day * t));
    case IC_GROWTH_BASS: {
        double s = t - g->launch_days;
        if (s <= 0) return 0.0;
        double e = exp(-(g->p + g->q) * s);
        return g->market * (1.0 - e) / (1.0 + g->q / g->p * e);
    }
    case IC_GROWTH_PIECEWISE: {
        int n = g->npoints;
        if (n <= 0) return 0.0;
        if (n == 1) return exp(g->log_v[0]);
        int k = 0; /* segment [k, k+1] holding t, or the nearest one */
        while (k < n - 2 && t > g->t_days[k + 1]) k++;
        double slope = (g->log_v[k + 1] - g->log_v[k]) / (g->t_days[k + 1] - g->t_days[k]);
        return exp(g->log_v[k] + slope * (t - g->t_days[k]));
    }
    default:
        return g->v0 * exp(g->rate_per_day * t);
    }
}

int ic_growth_nparams(int model) {
    switch (model) {
    case IC_GROWTH_EXPONENTIAL:
        return 2;
    case IC_GROWTH_LOGISTIC:
    case IC_GROWTH_BASS:
        return 3;
    default:
        return 0;
    }
}

const char *ic_growth_param_name(int model, int i) {
    static const char *const names[][3] = {
        [IC_GROWTH_EXPONENTIAL] = {"ln_initial", "rate_per_day", NULL},
        [IC_GROWTH_LOGISTIC] = {"ln_initial", "rate_per_day", "ln_capacity"},
        [IC_GROWTH_BASS] = {"ln_p_per_day", "ln_q_per_day", "ln_market_size"},
        [IC_GROWTH_PIECEWISE] = {NULL, NULL, NULL},
    };
    if (model < 0 || model > IC_GROWTH_PIECEWISE || i < 0 || i >= ic_growth_nparams(model))
        return NULL;
    return names[model][i];
}

void ic_growth_set_theta(struct ic_growth *g, const double *th) {
    switch (g->model) {
    case IC_GROWTH_LOGISTIC:
        g->capacity = exp(th[2]);
        /* fall through */
    case IC_GROWTH_EXPONENTIAL:
        g->v0 = exp(th[0]);
        g->rate_per_day = th[1];
        break;
    case IC_GROWTH_BASS:
        g->p = exp(th[0]);
        g->q = exp(th[1]);
        g->market = exp(th[2]);
        break;
    default:
        break;
    }
}

void ic_growth_get_theta(const struct ic_growth *g, double *th) {
    switch (g->model) {
    case IC_GROWTH_LOGISTIC:
        th[2] = log(g->capacity);
        /* fall through */
    case IC_GROWTH_EXPONENTIAL:
        th[0] = log(g->v0);
        th[1] = g->rate_per_day;
        break;
    case IC_GROWTH_BASS:
        th[0] = log(g->p);
        th[1] = log(g->q);
        th[2] = log(g->market);
        break;
    default:
        break;
    }
}
