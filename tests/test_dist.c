/* test_dist.c: per-path parameter distributions: inverse CDFs, checks, determinism, moments. */
#include "check.h"
#include "sim/core/dist.h"

#include <gsl/gsl_cdf.h>

static struct ic_dist mk(int kind, double a, double b, double c) {
    struct ic_dist d = ic_dist_fixed(0);
    d.kind = kind;
    d.a = a;
    d.b = b;
    d.c = c;
    d.slot = 4242;
    return d;
}

int main(void) {
    char why[200];
    struct ic_dist u = mk(IC_DIST_UNIFORM, 2.385, 7.12, 0);
    CHECK_NEAR(ic_dist_quantile(&u, 0.3), 2.385 + 0.3 * (7.12 - 2.385), 1e-15);
    CHECK(ic_dist_check(&u, why, sizeof why) == 0);
    struct ic_dist n = mk(IC_DIST_NORMAL, 3.7, 0.45, 0);
    CHECK_NEAR(ic_dist_quantile(&n, 0.5), 3.7, 1e-15);
    CHECK_NEAR(ic_dist_quantile(&n, 0.975), 3.7 + 0.45 * 1.959963984540054, 1e-12);
    struct ic_dist ln = mk(IC_DIST_LOGNORMAL, 600000, 0.15, 0);
    CHECK_NEAR(ic_dist_quantile(&ln, 0.5), 600000, 1e-14);
    CHECK_NEAR(ic_dist_quantile(&ln, 0.8413447460685429), 600000 * exp(0.15), 1e-9);
    /* Triangular: CDF at the mode is (mode - min) / (max - min). */
    struct ic_dist tr = mk(IC_DIST_TRIANGULAR, 1.5, 2.25, 6.0);
    CHECK_NEAR(ic_dist_quantile(&tr, 0.75 / 4.5), 2.25, 1e-12);
    CHECK_NEAR(ic_dist_quantile(&tr, 1e-12), 1.5, 1e-5);
    CHECK(ic_dist_check(&tr, why, sizeof why) == 0);
    struct ic_dist ch = mk(IC_DIST_CHOICE, 0, 0, 0);
    ch.n = 3;
    ch.values[0] = 512, ch.values[1] = 1024, ch.values[2] = 2048;
    ch.weights[0] = 1, ch.weights[1] = 2, ch.weights[2] = 1;
    CHECK(ic_dist_quantile(&ch, 0.2) == 512);
    CHECK(ic_dist_quantile(&ch, 0.26) == 1024);
    CHECK(ic_dist_quantile(&ch, 0.74) == 1024);
    CHECK(ic_dist_quantile(&ch, 0.76) == 2048);
    CHECK_NEAR(ic_dist_mean(&ch), 1152, 1e-15);

    /* Parameter checks say what is wrong. */
    struct ic_dist bad = mk(IC_DIST_LOGNORMAL, 5, 0, 0);
    CHECK(ic_dist_check(&bad, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "sigma > 0");
    bad = mk(IC_DIST_UNIFORM, 3, 3, 0);
    CHECK(ic_dist_check(&bad, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "min < max");
    bad = mk(IC_DIST_TRIANGULAR, 1, 7, 6);
    CHECK(ic_dist_check(&bad, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "mode");
    bad = mk(IC_DIST_UNIFORM, -1, 3, 0);
    bad.lo = 0;
    bad.hi = 10;
    CHECK(ic_dist_check(&bad, why, sizeof why) != 0);
    CHECK_STR_CONTAINS(why, "within [0, 10]");
    bad = ch;
    bad.weights[0] = bad.weights[1] = bad.weights[2] = 0;
    CHECK(ic_dist_check(&bad, why, sizeof why) != 0);

    /* Normal draws are clamped to the parameter's range; integer parameters are rounded. */
    struct ic_dist cl = mk(IC_DIST_NORMAL, 0.5, 10, 0);
    cl.lo = 0.01;
    cl.hi = 1;
    CHECK(ic_dist_quantile(&cl, 0.001) == 0.01 && ic_dist_quantile(&cl, 0.999) == 1);
    struct ic_dist in = mk(IC_DIST_UNIFORM, 100, 200, 0);
    in.integer = 1;
    CHECK(ic_dist_quantile(&in, 0.3337) == 133);

    /* Draws: deterministic per (seed, path, slot); a path's draw does not depend on others. */
    CHECK(ic_dist_draw(&ln, 7, 11) == ic_dist_draw(&ln, 7, 11));
    CHECK(ic_dist_draw(&ln, 7, 11) != ic_dist_draw(&ln, 7, 12));
    CHECK(ic_dist_draw(&ln, 7, 11) != ic_dist_draw(&ln, 8, 11));
    struct ic_dist ln2 = ln;
    ln2.slot = 4243;
    CHECK(ic_dist_draw(&ln, 7, 11) != ic_dist_draw(&ln2, 7, 11));
    /* Moments over many paths: lognormal mean median e^{s^2/2}, sd of the mean known. */
    const int np = 40000;
    double s = 0, s2 = 0;
    for (int p = 0; p < np; p++) {
        double x = ic_dist_draw(&ln, 2024, (uint64_t)p);
        s += x;
        s2 += x * x;
    }
    double mean = s / np, var = s2 / np - mean * mean;
    CHECK(fabs(mean - ic_dist_mean(&ln)) < 5 * sqrt(var / np));
    /* Common random numbers: the same path's uniform drives both distributions, so the draws
     * are comonotone: a higher median gives a higher draw on every path. */
    struct ic_dist hi = ln;
    hi.a = 700000;
    int mono = 1;
    for (int p = 0; p < 1000; p++)
        mono &= ic_dist_draw(&hi, 5, (uint64_t)p) > ic_dist_draw(&ln, 5, (uint64_t)p);
    CHECK(mono);
    struct ic_dist fx = ic_dist_fixed(2.385);
    CHECK(ic_dist_draw(&fx, 1, 1) == 2.385 && !ic_dist_is_random(&fx));
    CHECK(ic_dist_kind_from_name("triangular") == IC_DIST_TRIANGULAR);
    CHECK(ic_dist_kind_from_name("gamma") == -1);
    return check_report("test_dist");
}
