/* traffic.c: demand equations (see traffic.h).
 *
 * The built-in "cn-consumer" profile is a GUESS at the shape of Chinese consumer internet
 * traffic: a trough around 04:00, a late-morning peak and the highest load at 20:00-22:00 local
 * time.  Replace it with measured hourly weights (profile "custom") when you have them. */
#include "traffic.h"

static const double cn_consumer[24] = {
    0.75, 0.45, 0.28, 0.20, 0.17, 0.20, 0.35, 0.60, 0.95, 1.25, 1.40, 1.40,
    1.15, 1.15, 1.30, 1.35, 1.30, 1.20, 1.15, 1.25, 1.40, 1.45, 1.30, 1.05,
};

void ic_diurnal_weights(int profile, const double *custom, double out[24]) {
    double s = 0;
    for (int h = 0; h < 24; h++) {
        out[h] = profile == IC_DIURNAL_CUSTOM        ? custom[h]
                 : profile == IC_DIURNAL_CN_CONSUMER ? cn_consumer[h]
                                                     : 1.0;
        s += out[h];
    }
    for (int h = 0; h < 24; h++) out[h] *= 24.0 / s;
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

double ic_event_multiplier(double peak, double rise_s, double decay_s, double tau_s) {
    if (tau_s < 0) return 1.0;
    double f = (1.0 - exp(-tau_s / rise_s)) * exp(-tau_s / decay_s);
    return 1.0 + (peak - 1.0) * f * ic_event_norm(rise_s, decay_s);
}
