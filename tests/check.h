/* check.h: a minimal test harness.  CHECK records a failure with its location and goes on, so
 * one run reports every broken expectation; CHECK_NEAR compares with a relative tolerance. */
#ifndef IC_CHECK_H
#define IC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, rel)                                                                      \
    do {                                                                                           \
        double check_a_ = (a), check_b_ = (b);                                                     \
        check_count++;                                                                             \
        if (!(fabs(check_a_ - check_b_) <= (rel)*fmax(fabs(check_a_), fabs(check_b_)) ||           \
              check_a_ == check_b_)) {                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.17g, %s = %.17g (rel tol %g)\n",     \
                    __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(rel));                \
        }                                                                                          \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                            \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!strstr((hay), (needle))) {                                                            \
            check_failures++;                                                                      \
            fprintf(stderr, "%s:%d: expected \"%s\" in:\n%s\n", __FILE__, __LINE__, (needle),      \
                    (hay));                                                                        \
        }                                                                                          \
    } while (0)

static inline int check_report(const char *name) {
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
