/* traffic.h: demand equations: growth of daily active users, time-of-day profile, surge events,
 * log-space Ornstein-Uhlenbeck noise.  Plain functions of plain numbers; the engine owns the
 * time loop and the random draws. */
#ifndef IC_TRAFFIC_H
#define IC_TRAFFIC_H

#include <math.h>

enum ic_growth_model { IC_GROWTH_EXPONENTIAL, IC_GROWTH_LOGISTIC };
enum ic_diurnal_profile { IC_DIURNAL_FLAT, IC_DIURNAL_CN_CONSUMER, IC_DIURNAL_CUSTOM };

/* Hourly weights (local hours 0..23) of a profile, normalised to mean 1.  `custom` is read for
 * IC_DIURNAL_CUSTOM only. */
void ic_diurnal_weights(int profile, const double *custom, double out[24]);

/* Profile value at a local time of day (hours in [0, 24)): piecewise linear between the centres
 * of the hours, periodic, so its mean over a day is exactly the mean of the weights (1). */
double ic_diurnal_at(const double w[24], double local_hour);

/* Users at time t (days since start): exponential U0 exp(r t) or logistic (Verhulst)
 * K / (1 + (K/U0 - 1) exp(-r t)). */
static inline double ic_growth_users(int model, double u0, double r_per_day, double k,
                                     double t_days) {
    if (model == IC_GROWTH_LOGISTIC) return k / (1.0 + (k / u0 - 1.0) * exp(-r_per_day * t_days));
    return u0 * exp(r_per_day * t_days);
}

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
