/* workload.h: what requests ask for: token-length distributions of a request class (prompt,
 * answer, reasoning), their moments under the model's context cap, and their quantiles (for
 * sampling single requests).
 *
 * Shapes:
 *   lognormal         median m, shape s: the usual fit to chat prompt and answer lengths;
 *   pareto-lognormal  a lognormal body with weight 1 - w and a Pareto tail (x_min, alpha) with
 *                     weight w: long documents and pasted files give prompts a power-law tail;
 *   histogram         weights over bins [e_0, e_1), ..., uniform within a bin: an empirical
 *                     distribution from a trace.
 * The fluid engine needs E[X] and E[X^2] (prefill attention is quadratic in the prompt); both
 * are computed in closed form for min(X, cap), a request longer than the context being cut to
 * it. */
#ifndef IC_WORKLOAD_H
#define IC_WORKLOAD_H

#include "sim/core/enumtab.h"

#define IC_HIST_MAX_BINS 31

enum ic_token_shape { IC_TOK_LOGNORMAL, IC_TOK_PARETO_LOGNORMAL, IC_TOK_HISTOGRAM };
extern const struct ic_enum_table ic_token_shapes; /* "lognormal", "pareto-lognormal", ... */
const char *ic_token_shape_name(int shape);

struct ic_tokdist {
    int shape;          /* enum ic_token_shape */
    double median;      /* lognormal body: median (0: always 0 tokens) */
    double sigma;       /* lognormal body: shape */
    double tail_weight; /* pareto-lognormal: weight w of the tail */
    double tail_xmin, tail_alpha;
    int nbins;                          /* histogram */
    double edges[IC_HIST_MAX_BINS + 1]; /* increasing, nbins + 1 of them */
    double weights[IC_HIST_MAX_BINS];   /* >= 0, any positive sum */
};

/* E[min(sX, cap)] and E[min(sX, cap)^2] for X of the distribution and a scale s >= 0 (the
 * thinking-budget multiplier for reasoning tokens; 1 otherwise). */
void ic_tokdist_moments(const struct ic_tokdist *d, double scale, double cap, double *mean,
                        double *sq_mean);
/* A draw of min(sX, cap) from a uniform u in (0, 1) (for sampling single requests; a mixture
 * picks its component with u, so the map is not monotone in u). */
double ic_tokdist_sample(const struct ic_tokdist *d, double scale, double cap, double u);

#endif
