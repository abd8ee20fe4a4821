/* traffic.h: demand equations: growth of daily active users, time-of-day profile, surge events
 * and the shifts of the workload mix they bring, log-space Ornstein-Uhlenbeck noise, retries of
 * failed requests and the churn of users they drive away.  Plain functions of plain numbers
 * (per-step state in plain structs), the per-step ones static inline.  The aggregate engine
 * (sim/engine.c) steps them and owns the time loop and the random draws; the scenario and the fit
 * (sim/scenario.c, sim/fit.c) use the growth curves and profiles. */
#ifndef IC_TRAFFIC_H
#define IC_TRAFFIC_H

#include "sim/core/enumtab.h"

#include <math.h>

enum ic_growth_model {
    IC_GROWTH_EXPONENTIAL,
    IC_GROWTH_LOGISTIC,
    IC_GROWTH_BASS,
    IC_GROWTH_PIECEWISE
};
enum ic_diurnal_profile {
    IC_DIURNAL_FLAT,
    IC_DIURNAL_CN_CONSUMER,
    IC_DIURNAL_US_ENTERPRISE,
    IC_DIURNAL_CUSTOM
};
/* Their names (/traffic/growth/model, /traffic/diurnal/profile). */
extern const struct ic_enum_table ic_growth_models;
extern const struct ic_enum_table ic_diurnal_profiles;
const char *ic_growth_model_name(int model);
const char *ic_diurnal_profile_name(int profile);

#define IC_GROWTH_MAX_POINTS 64
#define IC_GROWTH_MAX_PARAMS 3

/* A growth curve of the demand quantity (daily active users or weekly web visits), with time in
 * days since a reference time. */
struct ic_growth {
    int model;           /* enum ic_growth_model */
    double v0;           /* exponential, logistic: value at the reference time */
    double rate_per_day; /* exponential, logistic: growth rate r */
    double capacity;     /* logistic: saturation level K */
    double p, q;         /* Bass: coefficients of innovation and imitation, 1/day */
    double market;       /* Bass: market size m */
    double launch_days;  /* Bass: launch (no adopters yet), days after the reference time */
    int npoints;         /* piecewise: points (time, log value), times increasing */
    const double *t_days, *log_v; /* the caller's arrays of npoints */
};

/* Value of the curve at t days after the reference time:
 *   exponential  v0 e^{r t}
 *   logistic     K / (1 + (K/v0 - 1) e^{-r t})                        (Verhulst 1838)
 *   Bass         m (1 - e^{-(p+q) s}) / (1 + (q/p) e^{-(p+q) s}), s = t - launch >= 0, else 0
 *                (F. M. Bass, "A new product growth for model consumer durables", Management
 *                Science 15 (1969) 215-227: cumulative adopters, who stay active)
 *   piecewise    log-linear interpolation between the points, extended beyond the first and
 *                last points at the growth rate of the nearest segment. */
double ic_growth_value(const struct ic_growth *g, double t_days);

/* The parameters a fit estimates, in the space where they are unbounded and close to normal:
 *   exponential  [ln v0, r]            logistic  [ln v0, r, ln K]
 *   Bass         [ln p, ln q, ln m]    (launch time given, not fitted)
 * Returns the number of parameters (0 for piecewise: its points are the data). */
int ic_growth_nparams(int model);
const char *ic_growth_param_name(int model, int i);
/* Set the curve's parameters from theta (see above); other fields are left as they are. */
void ic_growth_set_theta(struct ic_growth *g, const double *theta);
void ic_growth_get_theta(const struct ic_growth *g, double *theta);

/* Hourly weights (local hours 0..23) of a profile, normalised to mean 1.  `custom` is read for
 * IC_DIURNAL_CUSTOM only. */
void ic_diurnal_weights(int profile, const double *custom, double out[24]);

/* Day-of-week weights (Monday first) normalised to mean 1: `custom` when given (7 values),
 * else the profile's (us-enterprise: weekends at 0.35 of a weekday, a guess; others flat). */
void ic_day_of_week_weights(int profile, const double *custom, double out[7]);

/* Profile value at a local time of day (hours in [0, 24)): piecewise linear between the centres
 * of the hours, periodic, so its mean over a day is exactly the mean of the weights (1). */
double ic_diurnal_at(const double w[24], double local_hour);

/* Surge event: multiplier 1 + (peak - 1) f(tau) / f_max with f(tau) = (1 - e^{-tau/rise})
 * e^{-tau/decay} for tau = t - start >= 0 (a first-order rise and an exponential decay, the
 * shape of a product launch or a media spike).  f peaks at tau* = rise ln(1 + decay/rise), so
 * the multiplier reaches exactly `peak` there.
 *
 * Along a path the engine steps the shape by recurrence: e^{-tau/rise} and e^{-tau/decay} are
 * evaluated at the first step at or after the start and multiplied by e^{-dt/rise} and
 * e^{-dt/decay} each step after (two multiplications a step instead of two exponentials; the
 * last bits drift from the closed form, under 1e-12 relative over 60 days of minute steps:
 * tests/test_traffic.c). */
double ic_event_norm(double rise_s, double decay_s); /* 1 / f_max */

struct ic_event_state {
    double start, amp, norm, rise, decay, a_rise, a_decay; /* constants (amp = peak - 1) */
    double r, d, shape; /* e^{-tau/rise}, e^{-tau/decay}, f(tau) / f_max (0 before the start) */
    int on;             /* started */
};

/* An event starting at start_s (s) on a grid of steps dt_s. */
static inline void ic_event_init(struct ic_event_state *ev, double start_s, double peak,
                                 double rise_s, double decay_s, double dt_s) {
    ev->start = start_s;
    ev->amp = peak - 1.0;
    ev->rise = rise_s;
    ev->decay = decay_s;
    ev->norm = ic_event_norm(rise_s, decay_s);
    ev->a_rise = exp(-dt_s / rise_s);
    ev->a_decay = exp(-dt_s / decay_s);
    ev->r = ev->d = ev->shape = 0;
    ev->on = 0;
}

/* The event's multiplier at t, the next step after the previous call's (one call a step, t
 * increasing by dt); ev->shape is then f(tau) / f_max, for the shifts of the mix. */
static inline double ic_event_step(struct ic_event_state *ev, double t) {
    double tau = t - ev->start;
    if (tau < 0) return 1.0;
    if (!ev->on) {
        ev->r = exp(-tau / ev->rise);
        ev->d = exp(-tau / ev->decay);
        ev->on = 1;
    } else {
        ev->r *= ev->a_rise;
        ev->d *= ev->a_decay;
    }
    ev->shape = (1.0 - ev->r) * ev->d * ev->norm;
    return 1.0 + ev->amp * ev->shape;
}

/* Shift of the workload mix by an event: the share of class idx[q] is multiplied by
 * 1 + (mult[q] - 1) x shape (the event's shape, 0..1); classes idx < 0 are left alone.  The
 * caller normalises the shares after every event's shift (ic_mix_normalise). */
static inline void ic_mix_shift(double *share, int n, const int *idx, const double *mult,
                                double shape) {
    for (int q = 0; q < n; q++) {
        int c = idx[q];
        if (c >= 0) share[c] *= 1.0 + (mult[q] - 1.0) * shape;
    }
}

/* Shares normalised to sum 1 (all 0 when they sum to 0). */
static inline void ic_mix_normalise(double *share, int nc) {
    double wsum = 0;
    for (int c = 0; c < nc; c++) wsum += share[c];
    for (int c = 0; c < nc; c++) share[c] = wsum > 0 ? share[c] / wsum : 0;
}

/* The growth curve along a path's steps of dt: by recurrence where the curve allows it
 * (exponential multiplies by step = e^{r dt} each step; logistic carries elog = e^{-r t} and
 * divides it by step), otherwise evaluated (Bass, piecewise) at t0 + t days. */
struct ic_growth_walk {
    double value, elog, step, t0_days;
};

static inline void ic_growth_walk_init(const struct ic_growth *g, struct ic_growth_walk *w,
                                       double t0_days, double dt_s) {
    w->t0_days = t0_days;
    w->step = exp(g->rate_per_day * dt_s / 86400.0);
    w->value = ic_growth_value(g, t0_days);
    w->elog = exp(-g->rate_per_day * t0_days);
}

/* The value at the step at t seconds (the current step). */
static inline double ic_growth_walk_value(const struct ic_growth *g, struct ic_growth_walk *w,
                                          double t_s) {
    if (g->model == IC_GROWTH_LOGISTIC)
        w->value = g->capacity / (1.0 + (g->capacity / g->v0 - 1.0) * w->elog);
    else if (g->model != IC_GROWTH_EXPONENTIAL)
        w->value = ic_growth_value(g, w->t0_days + t_s / 86400.0);
    return w->value;
}

/* On to the next step. */
static inline void ic_growth_walk_next(const struct ic_growth *g, struct ic_growth_walk *w) {
    if (g->model == IC_GROWTH_LOGISTIC)
        w->elog /= w->step;
    else if (g->model == IC_GROWTH_EXPONENTIAL)
        w->value *= w->step;
}

/* Requests per second before the time of day: growth value x conversion factor x events x the
 * lognormal noise factor e^x x the share of users retained. */
static inline double ic_demand_rate(double growth, double factor, double events, double x,
                                    double retained) {
    return growth * factor * events * exp(x) * retained;
}

/* Retries: of the pool of failed requests waiting to retry, the share return_prob (1 -
 * e^{-dt/delay}) returns this step; returns how many. */
static inline double ic_retry_return(double *pool, double return_prob) {
    double returned = *pool * return_prob;
    *pool -= returned;
    return returned;
}

/* A step's failed requests: the share p_retry joins the retry pool, the rest is lost for good;
 * returns the lost. */
static inline double ic_retry_fail(double *pool, double p_retry, double failures) {
    double retry = p_retry * failures, lost = failures - retry;
    *pool += retry;
    return lost;
}

/* Churn: each request lost for good costs its user (of `users` now) with probability churn_p;
 * the share of users retained after the step. */
static inline double ic_churn_step(double retained, double churn_p, double lost, double users) {
    return retained * fmax(0.0, 1.0 - churn_p * lost / users);
}

/* A step's arrival count from a stationary renewal process whose gaps have coefficient of
 * variation cv (/traffic/noise/interarrival_cv: the gamma renewal process of the request engine
 * and of the measured service curve, sim/engine/svccurve.h).  The count N in a window of
 * length t has mean lambda t and, for t much longer than the mean gap, variance
 * Var N ~ cv^2 lambda t (D. R. Cox, "Renewal Theory", Methuen 1962: N_t is asymptotically
 * normal of mean t / mu and variance sigma^2 t / mu^3 for gaps of mean mu and variance sigma^2).
 * The aggregate engine draws each step's count with that variance, given the step's mean m (after
 * the over-dispersion's common gamma factor, so the count's variance is cv^2 E[m] + d E[m]^2
 * over both, as the request engine's arrivals: svccurve.c, ic_req_input_steady):
 *   cv > 1  a Poisson count of mean m G, G gamma of mean 1 and shape m / (cv^2 - 1): a negative
 *           binomial of variance m + m^2 (cv^2 - 1) / m = cv^2 m, the classes' Poisson counts
 *           mixed by the one factor (ic_renewal_mix_shape);
 *   cv < 1  under-dispersed: the normal of mean m and variance cv^2 m, cut at 0 and rounded to a
 *           whole count at random (up with the probability of its fraction, so the mean is
 *           kept; the rounding adds f (1 - f) <= 1/4 to the variance, f the fraction), the total
 *           of the classes, shared by their shares (ic_renewal_count_under).
 * A step with m well under one expected gap falls outside the asymptotics (the count is then 0
 * or 1 whatever cv is), as does the correlation of neighbouring steps' counts (bounded, where
 * the variance grows with m): both matter only at a few requests a step.  The rounding and the
 * normal for cv < 1 are a choice (a binomial would do as well), not fitted. */
static inline double ic_renewal_mix_shape(double m, double cv) {
    return m / (cv * cv - 1.0);
}

/* cv < 1: the count of mean m from a standard normal z and a uniform u in (0, 1). */
static inline double ic_renewal_count_under(double m, double cv, double z, double u) {
    if (!(m > 0)) return 0.0;
    double x = m + cv * sqrt(m) * z;
    if (!(x > 0)) return 0.0;
    double f = floor(x);
    return f + (u < x - f ? 1.0 : 0.0);
}

/* Exact discretisation of dx = -x/tau dt + sigma sqrt(2/tau) dW (stationary sd sigma):
 * x' = phi x + innov_sd Z with phi = e^{-dt/tau}, innov_sd = sigma sqrt(1 - phi^2) (Z drawn by the
 * caller, ic_ou_step). */
static inline void ic_ou_coeffs(double sigma, double tau_s, double dt_s, double *phi,
                                double *innov_sd) {
    *phi = exp(-dt_s / tau_s);
    *innov_sd = sigma * sqrt(1.0 - *phi * *phi);
}

static inline double ic_ou_step(double x, double phi, double innov_sd, double z) {
    return phi * x + innov_sd * z;
}

#endif
