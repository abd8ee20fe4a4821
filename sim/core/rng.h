/* rng.h: counter-based random streams (Philox4x32-10, Random123) and fast samplers.
 *
 * Determinism (DESIGN.md): every random number is a pure function of (scenario seed, path index,
 * stream purpose, sub-stream, draw counter).  The key holds the 64-bit seed; the counter holds
 * {draw block, sub-stream, path, purpose}.  A stream is reset at the start of each path, so the
 * numbers a path sees do not depend on which thread runs it or in which order paths are run, and
 * every point of a sweep sees the same draws (common random numbers).
 *
 * Philox4x64-10: Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC11 (2011).  One block gives four 64-bit words.  (DESIGN.md names Philox4x32-10; the 4x64
 * variant of the same family gives twice the bits per nanosecond on x86-64, where a 64 x 64 ->
 * 128-bit multiply is one instruction, and the engine's step loop is bound by its draws.)
 *
 * Samplers: uniform on (0,1); standard normal (Box-Muller, both values used); Poisson by
 * inversion for small means and by PTRS (Hoermann 1993, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics 12, 39-45) for
 * means >= 10.  PTRS is exact and costs about two uniforms per draw at any mean. */
#ifndef IC_RNG_H
#define IC_RNG_H

#include <math.h>
#include <stdint.h>

#include <Random123/philox.h>

/* Stream purposes: the fourth counter word.  Never renumber (it would change every result). */
enum ic_stream {
    IC_STREAM_PARAM = 1,     /* per-path parameter draws (sub-stream = parameter slot) */
    IC_STREAM_NOISE = 2,     /* traffic noise (Ornstein-Uhlenbeck increments) */
    IC_STREAM_ARRIVALS = 3,  /* arrival counts (sub-stream = request class) */
    IC_STREAM_FAILURES = 4,  /* accelerator failures and repairs (sub-stream = pool) */
    IC_STREAM_AUTOSCALE = 5, /* lead times of autoscaling orders */
    IC_STREAM_REQUESTS = 6,  /* the request engine (sub-stream: 0 routing, 1 requests) */
};

struct ic_rng {
    philox4x64_key_t key;
    philox4x64_ctr_t ctr;
    uint64_t buf[4];
    int pos;       /* next unread word of buf (4: empty) */
    int have_half; /* a 32-bit half of a word is left for ic_rng_u32 */
    uint32_t half;
    int have_normal;     /* Box-Muller produces normals in pairs */
    double spare_normal; /* the second one */
};

static inline void ic_rng_init(struct ic_rng *r, uint64_t seed, uint64_t path, uint32_t purpose,
                               uint32_t substream) {
    r->key.v[0] = seed;
    r->key.v[1] = 0x9E3779B97F4A7C15ull; /* a fixed second key word (the golden ratio) */
    r->ctr.v[0] = 0;
    r->ctr.v[1] = substream;
    r->ctr.v[2] = path;
    r->ctr.v[3] = purpose;
    r->pos = 4;
    r->have_half = 0;
    r->half = 0;
    r->have_normal = 0;
    r->spare_normal = 0.0;
}

/* 64 random bits: one word of a block, four to a block. */
static inline uint64_t ic_rng_u64(struct ic_rng *r) {
    if (r->pos == 4) {
        philox4x64_ctr_t out = philox4x64(r->ctr, r->key);
        r->ctr.v[0]++;
        r->buf[0] = out.v[0];
        r->buf[1] = out.v[1];
        r->buf[2] = out.v[2];
        r->buf[3] = out.v[3];
        r->pos = 0;
    }
    return r->buf[r->pos++];
}

/* 32 random bits: half a word. */
static inline uint32_t ic_rng_u32(struct ic_rng *r) {
    if (r->have_half) {
        r->have_half = 0;
        return r->half;
    }
    uint64_t w = ic_rng_u64(r);
    r->half = (uint32_t)w;
    r->have_half = 1;
    return (uint32_t)(w >> 32);
}

/* Uniform on the open interval (0, 1) with 32 random bits: enough where a draw only chooses
 * among outcomes far coarser than 2^-32 (the Poisson sampler's). */
static inline double ic_rng_uniform32(struct ic_rng *r) {
    return ((double)ic_rng_u32(r) + 0.5) * 0x1.0p-32;
}

/* Uniform on the open interval (0, 1) with 53 random bits. */
static inline double ic_rng_uniform(struct ic_rng *r) {
    return ((double)(ic_rng_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

double ic_rng_normal(struct ic_rng *r);

/* Ziggurat tables for the fast normal sampler (Doornik 2005, "An improved ziggurat method to
 * generate normal random samples", 128 layers; after Marsaglia and Tsang 2000).  Built once in
 * a plan and only read afterwards. */
struct ic_zig {
    double x[129]; /* layer edges, x[0] = V / f(R) (the base strip's width), x[1] = R, x[128] = 0 */
    double r[128]; /* x[i+1] / x[i]: the share of a layer inside the next one */
};
void ic_zig_init(struct ic_zig *z);
double ic_zig_slow(struct ic_rng *r, const struct ic_zig *z, double u, int i);

/* Standard normal from one 64-bit draw in ~99% of calls: 53 bits give u in (-1, 1), the low 7
 * bits the layer; the rest (the wedges and the tail) goes to ic_zig_slow. */
static inline double ic_rng_normal_zig(struct ic_rng *r, const struct ic_zig *z) {
    uint64_t b = ic_rng_u64(r);
    double u = ((double)(b >> 11) + 0.5) * 0x1.0p-52 - 1.0;
    int i = (int)(b & 0x7F);
    if (fabs(u) < z->r[i]) return u * z->x[i];
    return ic_zig_slow(r, z, u, i);
}
/* Gamma variate of shape a > 0 and scale 1 (Marsaglia and Tsang, "A simple method for
 * generating gamma variables", ACM TOMS 26 (2000) 363-372; a < 1 by boosting a + 1 with
 * U^{1/a}). */
double ic_rng_gamma(struct ic_rng *r, double a);
/* Poisson variate with mean mu >= 0 (returns 0 for mu <= 0). */
double ic_rng_poisson(struct ic_rng *r, double mu);
/* Poisson variates k[j] with means mu[j] for the positions i0 + j (j < n) of stream s (an
 * initialised stream; its state is not used or changed): the same distribution as calls of
 * ic_rng_poisson, several times faster.  Draw i's first attempt takes word i of the stream, so
 * every draw is a function of its position alone (the same whatever the calls are split into);
 * the first attempts of a call are made at once, in a loop that vectorises, and the ~20% that
 * need more are finished one by one from a continuation stream of their own.  mu and k may be
 * the same array. */
void ic_rng_poisson_at(const struct ic_rng *s, uint64_t i0, const double *mu, double *k, int n);
/* log(k!) for k >= 0, accurate to about 1e-12 relative. */
double ic_log_factorial(double k);

/* 32-bit FNV-1a hash of a string: the sub-stream of a per-path parameter draw is the hash of its
 * JSON Pointer, so adding or reordering parameters never changes the draws of the others. */
uint32_t ic_hash32(const char *s);

#endif
