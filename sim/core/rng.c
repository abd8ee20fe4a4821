/* rng.c: samplers on top of the Philox streams (see rng.h for sources). */
#include "sim/core/rng.h"

#include <math.h>
#include <string.h>

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

/* Inversion by sequential search (Devroye 1986, X.3) for mu < 10, from one uniform: at most
 * ~mu + a few steps. */
static double poisson_inversion(double mu, double u) {
    double p = exp(-mu), s = p;
    double k = 0;
    while (u > s && k < 1000) {
        k += 1;
        p *= mu / k;
        s += p;
    }
    return k;
}

/* PTRS, Hoermann (1993), "The transformed rejection method for generating Poisson random
 * variables", with the constants of the paper; mu >= 10.  The first attempt's uniforms (u - 0.5
 * and v) are given; later attempts draw from the stream.  The quick acceptance (about 80% of
 * draws at large means) needs a square root and two divisions; the rest is computed only when
 * it is reached. */
static double ptrs(struct ic_rng *r, double mu, double u, double v) {
    double smu = sqrt(mu), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
    double vr = 0.9277 - 3.6224 / (b - 2.0);
    double alpha = 0; /* the slow path's constant, computed once */
    for (;; u = ic_rng_uniform32(r) - 0.5, v = ic_rng_uniform32(r)) {
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + mu + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (alpha == 0) alpha = 1.1239 + 1.1328 / (b - 3.4);
        /* Accept when log(v alpha / (a/us^2 + b)) <= k log(mu) - mu - log(k!).  For k >= 10
         * the right side is written with Stirling's series for log(k!) around k + 1, as
         * k log1p((mu - k - 1)/(k + 1)) - log(k + 1)/2 + (k + 1 - mu) - log(2 pi)/2 - series:
         * three logarithms in all instead of five, and no cancellation between two terms of
         * size k log(mu). */
        double lhs = log(v * alpha / (a / (us * us) + b)), rhs;
        if (k >= 10) {
            double x = k + 1.0, ix = 1.0 / x, ix2 = ix * ix;
            rhs = k * log1p((mu - x) * ix) - 0.5 * log(x) + (x - mu) - 0.91893853320467274178 -
                  ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260)));
        } else {
            rhs = k * log(mu) - mu - ic_log_factorial(k);
        }
        if (lhs <= rhs) return k;
    }
}

double ic_rng_poisson(struct ic_rng *r, double mu) {
    if (!(mu > 0)) return 0;
    if (mu < 10) return poisson_inversion(mu, ic_rng_uniform32(r));
    double u = ic_rng_uniform32(r) - 0.5;
    return ptrs(r, mu, u, ic_rng_uniform32(r));
}

/* floor(x) for |x| < 2^51 without a branch or a library call, so that a loop of them
 * vectorises: adding and subtracting 1.5 x 2^52 rounds to the nearest integer (the default
 * rounding mode), then one is taken off where that went up.  (Not folded away: the build does
 * not allow reassociation.) */
static inline double floor_small(double x) {
    const double c = 6755399441055744.0;
    double t = (x + c) - c;
    return t - (t > x ? 1.0 : 0.0);
}

void ic_rng_poisson_at(const struct ic_rng *s, uint64_t i0, const double *mu, double *k, int n) {
    enum { B = 64 };
    for (int j0 = 0; j0 < n; j0 += B) {
        const int m = n - j0 < B ? n - j0 : B;
        double *kc = k + j0;
        double mc[B], u[B], v[B], quick[B];
        int slow[B], ns = 0;
        memcpy(mc, mu + j0, (size_t)m * sizeof *mc); /* mu and k may be one array */
        /* Draw i's first word: word i mod 4 of block i / 4 of the stream.  Its high half is u,
         * its low half v (the order in which ic_rng_uniform32 hands out the halves). */
        philox4x64_ctr_t ctr = s->ctr, out = {{0, 0, 0, 0}};
        uint64_t pos = i0 + (uint64_t)j0;
        for (int i = 0; i < m; i++, pos++) {
            if (i == 0 || (pos & 3) == 0) {
                ctr.v[0] = pos >> 2;
                out = philox4x64(ctr, s->key);
            }
            uint64_t w = out.v[pos & 3];
            u[i] = ((double)(uint32_t)(w >> 32) + 0.5) * 0x1.0p-32 - 0.5;
            v[i] = ((double)(uint32_t)w + 0.5) * 0x1.0p-32;
        }
        /* The first attempt of every draw at once, without branches. */
        for (int i = 0; i < m; i++) {
            double x = mc[i], smu = sqrt(x), b = 0.931 + 2.53 * smu, a = -0.059 + 0.02483 * b;
            double vr = 0.9277 - 3.6224 / (b - 2.0);
            double us = 0.5 - fabs(u[i]);
            kc[i] = floor_small((2.0 * a / us + b) * u[i] + x + 0.43);
            quick[i] = ((us >= 0.07) & (v[i] <= vr) & (x >= 10) & (x < 0x1.0p50)) ? 1.0 : 0.0;
        }
        for (int i = 0; i < m; i++) {
            slow[ns] = i;
            ns += quick[i] == 0;
        }
        /* The rest one by one: small means by inversion from v, the others through the whole
         * of PTRS from their first attempt's uniforms, drawing any further attempts from draw
         * i's own continuation stream (the top bit of the sub-stream word set, the counter
         * starting at i x 2^20). */
        for (int j = 0; j < ns; j++) {
            int i = slow[j];
            double x = mc[i];
            if (!(x > 0)) {
                kc[i] = 0;
            } else if (x < 10) {
                kc[i] = poisson_inversion(x, v[i]);
            } else {
                struct ic_rng c = *s;
                c.ctr.v[1] |= 1ull << 63;
                c.ctr.v[0] = (i0 + (uint64_t)(j0 + i)) << 20;
                c.pos = 4;
                c.have_half = 0;
                kc[i] = ptrs(&c, x, u[i], v[i]);
            }
        }
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
