/* rng.h: counter-based random streams (Philox4x32-10, Random123) and fast samplers.
 *
 * Determinism (DESIGN.md): every random number is a pure function of (scenario seed, path index,
 * stream purpose, sub-stream, draw counter).  The key holds the 64-bit seed; the counter holds
 * {draw block, sub-stream, path, purpose}.  A stream is reset at the start of each path, so the
 * numbers a path sees do not depend on which thread runs it or in which order paths are run, and
 * every point of a sweep sees the same draws (common random numbers).
 *
 * Philox4x32-10: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC11 (2011).  One block gives four 32-bit words = two 53-bit uniforms.
 *
 * Samplers: uniform on (0,1); standard normal (Box-Muller, both values used); Poisson by
 * inversion for small means and by PTRS (Hoermann 1993, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics 12, 39-45) for
 * means >= 10.  PTRS is exact and costs about two uniforms per draw at any mean. */
#ifndef IC_RNG_H
#define IC_RNG_H

#include <stdint.h>

#include <Random123/philox.h>

/* Stream purposes: the fourth counter word.  Never renumber (it would change every result). */
enum ic_stream {
    IC_STREAM_PARAM = 1,     /* per-path parameter draws (sub-stream = parameter slot) */
    IC_STREAM_NOISE = 2,     /* traffic noise (Ornstein-Uhlenbeck increments) */
    IC_STREAM_ARRIVALS = 3,  /* arrival counts (sub-stream = request class) */
    IC_STREAM_FAILURES = 4,  /* accelerator failures and repairs (sub-stream = pool) */
    IC_STREAM_AUTOSCALE = 5, /* lead times of autoscaling orders */
};

struct ic_rng {
    philox4x32_key_t key;
    philox4x32_ctr_t ctr;
    uint32_t buf[4];
    int avail;           /* unread 64-bit halves of buf (0, 1 or 2) */
    int have_normal;     /* Box-Muller produces normals in pairs */
    double spare_normal; /* the second one */
};

static inline void ic_rng_init(struct ic_rng *r, uint64_t seed, uint64_t path, uint32_t purpose,
                               uint32_t substream) {
    r->key.v[0] = (uint32_t)seed;
    r->key.v[1] = (uint32_t)(seed >> 32);
    r->ctr.v[0] = 0;
    r->ctr.v[1] = substream;
    r->ctr.v[2] = (uint32_t)path;
    r->ctr.v[3] = purpose ^ ((uint32_t)(path >> 32) << 8);
    r->avail = 0;
    r->have_normal = 0;
    r->spare_normal = 0.0;
}

static inline uint64_t ic_rng_u64(struct ic_rng *r) {
    if (r->avail == 0) {
        philox4x32_ctr_t out = philox4x32(r->ctr, r->key);
        r->ctr.v[0]++;
        r->buf[0] = out.v[0];
        r->buf[1] = out.v[1];
        r->buf[2] = out.v[2];
        r->buf[3] = out.v[3];
        r->avail = 2;
    }
    int i = 2 - r->avail;
    r->avail--;
    return ((uint64_t)r->buf[2 * i] << 32) | r->buf[2 * i + 1];
}

/* Uniform on the open interval (0, 1) with 53 random bits. */
static inline double ic_rng_uniform(struct ic_rng *r) {
    return ((double)(ic_rng_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

double ic_rng_normal(struct ic_rng *r);
/* Gamma variate of shape a > 0 and scale 1 (Marsaglia and Tsang, "A simple method for
 * generating gamma variables", ACM TOMS 26 (2000) 363-372; a < 1 by boosting a + 1 with
 * U^{1/a}). */
double ic_rng_gamma(struct ic_rng *r, double a);
/* Poisson variate with mean mu >= 0 (returns 0 for mu <= 0). */
double ic_rng_poisson(struct ic_rng *r, double mu);
/* log(k!) for k >= 0, accurate to about 1e-12 relative. */
double ic_log_factorial(double k);

/* 32-bit FNV-1a hash of a string: the sub-stream of a per-path parameter draw is the hash of its
 * JSON Pointer, so adding or reordering parameters never changes the draws of the others. */
uint32_t ic_hash32(const char *s);

#endif
