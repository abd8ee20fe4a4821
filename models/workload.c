/* workload.c: token-length distributions (see workload.h).
 *
 * Capped moments in closed form.  For a lognormal with mu = ln m and cap c:
 *   E[min(X,c)]   = e^{mu + s^2/2} Phi((ln c - mu - s^2)/s) + c (1 - Phi((ln c - mu)/s))
 *   E[min(X,c)^2] = e^{2mu + 2s^2} Phi((ln c - mu - 2s^2)/s) + c^2 (1 - Phi((ln c - mu)/s))
 * (partial moments of the lognormal, e.g. Johnson, Kotz and Balakrishnan, "Continuous
 * Univariate Distributions", vol. 1, ch. 14).  For a Pareto(x_m, alpha) and c > x_m:
 *   E[min(X,c)^k] = alpha x_m^alpha (c^{k-alpha} - x_m^{k-alpha}) / (k - alpha) + c^k (x_m/c)^alpha
 * (with the logarithmic limit at alpha = k).  A histogram bin [a, b) with uniform mass gives
 * (b^{k+1} - a^{k+1}) / ((k+1)(b - a)) below the cap, and the cap above it. */
#include "models/workload.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

IC_ENUM_TABLE(ic_token_shapes, {"lognormal", IC_TOK_LOGNORMAL, "lognormal of the median and sigma"},
              {"pareto-lognormal", IC_TOK_PARETO_LOGNORMAL, "a lognormal body with a Pareto tail"},
              {"histogram", IC_TOK_HISTOGRAM, "an empirical histogram (edges, weights)"});

const char *ic_token_shape_name(int shape) {
    return ic_enum_name(&ic_token_shapes, shape);
}

static void lognormal_moments(double m, double s, double c, double *m1, double *m2) {
    if (!(m > 0)) {
        *m1 = *m2 = 0;
        return;
    }
    if (!(s > 0)) {
        double x = m < c ? m : c;
        *m1 = x;
        *m2 = x * x;
        return;
    }
    double mu = log(m), lc = log(c);
    double above = gsl_cdf_ugaussian_Q((lc - mu) / s);
    *m1 = exp(mu + 0.5 * s * s) * gsl_cdf_ugaussian_P((lc - mu - s * s) / s) + c * above;
    *m2 = exp(2 * mu + 2 * s * s) * gsl_cdf_ugaussian_P((lc - mu - 2 * s * s) / s) + c * c * above;
}

/* E[min(X,c)^k] of a Pareto(xm, alpha), k = 1 or 2. */
static double pareto_moment(double xm, double a, double c, int k) {
    if (c <= xm) return pow(c, k);
    double tail = pow(c, k) * pow(xm / c, a);
    double body = fabs(a - k) < 1e-12 ? a * pow(xm, a) * log(c / xm)
                                      : a * pow(xm, a) * (pow(c, k - a) - pow(xm, k - a)) / (k - a);
    return body + tail;
}

static void histogram_moments(const struct ic_tokdist *d, double c, double *m1, double *m2) {
    double w = 0, s1 = 0, s2 = 0;
    for (int i = 0; i < d->nbins; i++) {
        double a = d->edges[i], b = d->edges[i + 1], p = d->weights[i];
        w += p;
        if (b <= a || p <= 0) continue;
        /* Split the bin at the cap: uniform below it, the cap above. */
        double lo = a < c ? a : c, hi = b < c ? b : c;
        double below = (hi - lo) / (b - a), over = 1.0 - below;
        double e1 = hi > lo ? 0.5 * (lo + hi) : 0,
               e2 = hi > lo ? (lo * lo + lo * hi + hi * hi) / 3 : 0;
        s1 += p * (below * e1 + over * c);
        s2 += p * (below * e2 + over * c * c);
    }
    *m1 = w > 0 ? s1 / w : 0;
    *m2 = w > 0 ? s2 / w : 0;
}

void ic_tokdist_moments(const struct ic_tokdist *d, double s, double cap, double *mean,
                        double *sq_mean) {
    if (!(s > 0)) {
        *mean = *sq_mean = 0;
        return;
    }
    /* min(sX, cap) = s min(X, cap/s). */
    double c = cap / s, m1, m2;
    switch (d->shape) {
    case IC_TOK_PARETO_LOGNORMAL: {
        double b1, b2, w = d->tail_weight;
        lognormal_moments(d->median, d->sigma, c, &b1, &b2);
        m1 = (1 - w) * b1 + w * pareto_moment(d->tail_xmin, d->tail_alpha, c, 1);
        m2 = (1 - w) * b2 + w * pareto_moment(d->tail_xmin, d->tail_alpha, c, 2);
        break;
    }
    case IC_TOK_HISTOGRAM:
        histogram_moments(d, c, &m1, &m2);
        break;
    default:
        lognormal_moments(d->median, d->sigma, c, &m1, &m2);
        break;
    }
    *mean = s * m1;
    *sq_mean = s * s * m2;
}

static double lognormal_q(double m, double s, double u) {
    return m > 0 ? m * exp(s * gsl_cdf_ugaussian_Pinv(u)) : 0.0;
}

double ic_tokdist_sample(const struct ic_tokdist *d, double s, double cap, double u) {
    double x;
    switch (d->shape) {
    case IC_TOK_PARETO_LOGNORMAL: {
        double w = d->tail_weight;
        if (u < w) /* the tail, with u / w uniform on (0, 1) */
            x = d->tail_xmin * pow(1.0 - u / w, -1.0 / d->tail_alpha);
        else
            x = lognormal_q(d->median, d->sigma, (u - w) / (1.0 - w));
        break;
    }
    case IC_TOK_HISTOGRAM: {
        double tot = 0, acc = 0;
        for (int i = 0; i < d->nbins; i++) tot += d->weights[i];
        x = d->nbins > 0 ? d->edges[d->nbins] : 0;
        for (int i = 0; i < d->nbins; i++) {
            double p = d->weights[i] / tot;
            if (p > 0 && u < acc + p) {
                x = d->edges[i] + (u - acc) / p * (d->edges[i + 1] - d->edges[i]);
                break;
            }
            acc += p;
        }
        break;
    }
    default:
        x = lognormal_q(d->median, d->sigma, u);
        break;
    }
    x *= s > 0 ? s : 0.0;
    return x < cap ? x : cap;
}
