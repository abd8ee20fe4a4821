/* rng.c: samplers on top of the Philox streams (see rng.h for sources). */
#include "rng.h"

#include <math.h>

#define IC_TWO_PI 6.283185307179586476925286766559

double ic_rng_normal(struct ic_rng *r) {
    if (r->have_normal) {
        r->have_normal = 0;
        return r->spare_normal;
    }
    /* Box-Muller (1958): two independent normals from two uniforms. */
    double u1 = ic_rng_uniform(r), u2 = ic_rng_uniform(r);
    double rad = sqrt(-2.0 * log(u1));
    double ang = IC_TWO_PI * u2;
    r->spare_normal = rad * sin(ang);
    r->have_normal = 1;
    return rad * cos(ang);
}

double ic_rng_gamma(struct ic_rng *r, double a) {
    if (a < 1.0) return ic_rng_gamma(r, a + 1.0) * pow(ic_rng_uniform(r), 1.0 / a);
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = ic_rng_normal(r);
            v = 1.0 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = ic_rng_uniform(r);
        if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) return d * v;
    }
}

/* Doornik (2005), Table 2: 128 layers, R = 3.442619855899, V = 9.91256303526217e-3. */
#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

void ic_zig_init(struct ic_zig *z) {
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    z->x[0] = ZIG_V / f;
    z->x[1] = ZIG_R;
    z->x[128] = 0.0;
    for (int i = 2; i < 128; i++) {
        z->x[i] = sqrt(-2.0 * log(ZIG_V / z->x[i - 1] + f));
        f = exp(-0.5 * z->x[i] * z->x[i]);
    }
    for (int i = 0; i < 128; i++) z->r[i] = z->x[i + 1] / z->x[i];
}

double ic_zig_slow(struct ic_rng *r, const struct ic_zig *z, double u, int i) {
    for (;;) {
        if (i == 0) {
            /* The tail beyond R (Marsaglia 1964). */
            double x, y;
            do {
                x = -log(ic_rng_uniform(r)) / ZIG_R;
                y = -log(ic_rng_uniform(r));
            } while (y + y < x * x);
            return u < 0 ? -(ZIG_R + x) : ZIG_R + x;
        }
        /* A wedge: accept under the density. */
        double x0 = u * z->x[i];
        double f0 = exp(-0.5 * (z->x[i] * z->x[i] - x0 * x0));
        double f1 = exp(-0.5 * (z->x[i + 1] * z->x[i + 1] - x0 * x0));
        if (f1 + ic_rng_uniform(r) * (f0 - f1) < 1.0) return x0;
        uint64_t b = ic_rng_u64(r);
        u = ((double)(b >> 11) + 0.5) * 0x1.0p-52 - 1.0;
        i = (int)(b & 0x7F);
        if (fabs(u) < z->r[i]) return u * z->x[i];
    }
}

double ic_log_factorial(double k) {
    static const double small[10] = {1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880};
    if (k < 10) return log(small[(int)k]);
    /* Stirling series to the k^-5 term: error below 1e-12 for k >= 10. */
    double x = k + 1.0, ix = 1.0 / x, ix2 = ix * ix;
    return (x - 0.5) * log(x) - x + 0.91893853320467274178 +
           ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260)));
}

double ic_rng_poisson(struct ic_rng *r, double mu) {
    if (!(mu > 0)) return 0;
    if (mu < 10) {
        /* Inversion by sequential search (Devroye 1986, X.3): at most ~mu + a few steps. */
        double p = exp(-mu), s = p, u = ic_rng_uniform32(r);
        double k = 0;
        while (u > s && k < 1000) {
            k += 1;
            p *= mu / k;
            s += p;
        }
        return k;
    }
    /* PTRS, Hoermann (1993), with the constants of the paper.  The quick acceptance (about 90%
     * of draws at large means) needs two 32-bit uniforms, a square root and a division; the
     * rest is computed only when it is reached. */
    double smu = sqrt(mu), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
    double vr = 0.9277 - 3.6224 / (b - 2.0);
    double log_alpha_mu = NAN, log_mu = 0; /* the slow path's constants, computed once */
    for (;;) {
        double u = ic_rng_uniform32(r) - 0.5, v = ic_rng_uniform32(r);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (isnan(log_alpha_mu)) {
            log_mu = log(mu);
            log_alpha_mu = log(1.1239 + 1.1328 / (b - 3.4)) + mu;
        }
        if (log(v) + log_alpha_mu - log(a / (us * us) + b) <= k * log_mu - ic_log_factorial(k))
            return k;
    }
}

uint32_t ic_hash32(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}
