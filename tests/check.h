/* check.h: the tests' assertions. Each check prints a file:line PASS/FAIL line; check_summary()
 * prints "N passed, N failed" and returns the exit status (non-zero on any failure). */
#ifndef LLMBO_CHECK_H
#define LLMBO_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
            printf("%s:%d: PASS: ", __FILE__, __LINE__);                                           \
        } else {                                                                                   \
            check_failed++;                                                                        \
            printf("%s:%d: FAIL: ", __FILE__, __LINE__);                                           \
        }                                                                                          \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
    } while (0)

/* |a - b| <= atol + rtol * |b|, and both finite (or both the same infinity). */
#define CHECK_NEAR(a, b, rtol, atol)                                                               \
    do {                                                                                           \
        double check_a_ = (a), check_b_ = (b);                                                     \
        int check_ok_ =                                                                            \
            (check_a_ == check_b_) || fabs(check_a_ - check_b_) <= (atol) + (rtol)*fabs(check_b_); \
        CHECK(check_ok_, "%s = %.17g vs %s = %.17g (rtol %g, atol %g)", #a, check_a_, #b,          \
              check_b_, (double)(rtol), (double)(atol));                                           \
    } while (0)

#define CHECK_OK(expr)                                                                             \
    do {                                                                                           \
        int check_st_ = (int)(expr);                                                               \
        CHECK(check_st_ == 0, "%s returned %d", #expr, check_st_);                                 \
    } while (0)

static int check_summary(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}
#endif
