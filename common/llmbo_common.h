/* llmbo_common.h: internal helpers shared by every module: checked allocation (with
 * allocation-failure injection in LLMBO_TESTING builds), error filling, monotonic time.
 * Never installed. */
#ifndef LLMBO_COMMON_H
#define LLMBO_COMMON_H

#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include "llmbo.h"

/* Checked allocation: n * size overflow returns NULL. Memory from these is released with
 * llmbo_free. In LLMBO_TESTING builds llmbo_test_fail_after(k) makes the k-th following call
 * (1-based) and every later one fail until llmbo_test_fail_after(0). */
void *llmbo_malloc(size_t n, size_t size);
void *llmbo_calloc(size_t n, size_t size);
void *llmbo_realloc(void *p, size_t n, size_t size);
void llmbo_free(void *p);
char *llmbo_strdup(const char *s); /* NULL for NULL or on failure */
#ifdef LLMBO_TESTING
void llmbo_test_fail_after(long k);
long llmbo_test_alloc_count(void); /* allocations attempted since the last fail_after call */
#endif

/* Fills err (if non-NULL) with status and a printf-style message; returns status. */
llmbo_status llmbo_error_set(llmbo_error *err, llmbo_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes err->msg with "prefix: " (for adding a file name or key path). */
void llmbo_error_prefix(llmbo_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void llmbo_error_clear(llmbo_error *err);

/* Counts read from outside input (usage tokens in an HTTP answer, numbers in a journal or a
 * cassette) become longs in [0, LLMBO_COUNT_MAX]: NaN, negative and non-finite values give 0,
 * larger ones saturate. Converting a double outside long's range is undefined behaviour, and
 * counts that are summed later need headroom: 2^53 (exact in a double) leaves 1024 of them
 * before 2^63, and llmbo_count_add saturates beyond. */
#if LONG_MAX > 9007199254740992L
#define LLMBO_COUNT_MAX 9007199254740992L
#else
#define LLMBO_COUNT_MAX LONG_MAX
#endif
static inline long llmbo_count_from_double(double v)
{
    if (!(v > 0)) /* also NaN */
        return 0;
    if (v >= (double)LLMBO_COUNT_MAX)
        return LLMBO_COUNT_MAX;
    return (long)v;
}
static inline long llmbo_count_add(long a, long b)
{
    if (a < 0)
        a = 0;
    if (b < 0)
        b = 0;
    return a > LONG_MAX - b ? LONG_MAX : a + b;
}

/* Seconds from a monotonic clock, and CPU seconds of this process. */
double llmbo_now(void);
double llmbo_cpu_seconds(void);

#endif
