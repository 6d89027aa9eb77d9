/* alloc.c: llmbo's own allocations. Overflow-checked; in LLMBO_TESTING builds a countdown makes
 * the k-th allocation fail so one test can sweep every allocation site (as SQLite's oom tests
 * and Lua's failnext do). The countdown is a process-wide test hook, not used in production. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"

#ifdef LLMBO_TESTING
#include <stdatomic.h>
/* atomic: the engine's pool threads allocate too (a test's count must not race with them) */
static atomic_long fail_countdown; /* 0: never fail; k > 0: the k-th call from now fails */
static atomic_long alloc_count;

void llmbo_test_fail_after(long k)
{
    atomic_store(&fail_countdown, k);
    atomic_store(&alloc_count, 0);
}

long llmbo_test_alloc_count(void)
{
    return atomic_load(&alloc_count);
}

static int should_fail(void)
{
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    long f = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    for (;;) {
        if (f <= 0)
            return 0;
        if (f == 1)
            return 1; /* stays at 1: every later call fails too, like a real OOM condition */
        if (atomic_compare_exchange_weak_explicit(&fail_countdown, &f, f - 1, memory_order_relaxed,
                                                  memory_order_relaxed))
            return 0;
    }
}
#else
static int should_fail(void)
{
    return 0;
}
#endif

void *llmbo_malloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return malloc(n * size != 0 ? n * size : 1);
}

void *llmbo_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *llmbo_realloc(void *p, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    if (should_fail())
        return NULL;
    return realloc(p, n * size != 0 ? n * size : 1);
}

void llmbo_free(void *p)
{
    free(p);
}

char *llmbo_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = llmbo_malloc(n, 1);
    if (d)
        memcpy(d, s, n);
    return d;
}
