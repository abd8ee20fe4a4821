/* traffic.h: demand equations: growth of daily active users, time-of-day profile, surge events,
 * log-space Ornstein-Uhlenbeck noise.  Plain functions of plain numbers; the engine owns the
 * time loop and the random draws. */
#ifndef IC_TRAFFIC_H
#define IC_TRAFFIC_H

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
 * the multiplier reaches exactly `peak` there. */
double ic_event_norm(double rise_s, double decay_s); /* 1 / f_max */
double ic_event_multiplier(double peak, double rise_s, double decay_s, double tau_s);

/* Exact discretisation of dx = -x/tau dt + sigma sqrt(2/tau) dW (stationary sd sigma):
 * x' = phi x + innov_sd Z with phi = e^{-dt/tau}, innov_sd = sigma sqrt(1 - phi^2). */
static inline void ic_ou_coeffs(double sigma, double tau_s, double dt_s, double *phi,
                                double *innov_sd) {
    *phi = exp(-dt_s / tau_s);
    *innov_sd = sigma * sqrt(1.0 - *phi * *phi);
}

#endif
