/* resume_tear.c: an LD_PRELOAD library for diagnostics (perf/results/resume.md), never linked into
 * llmbo. A write of several lines to asked.jsonl (a batch's proposals) is split after its first
 * line with a 20 ms pause between the two parts, so a SIGKILL in that pause leaves what the kernel
 * leaves when it stops a write at a page boundary: the batch's first line alone. It widens a window
 * of microseconds so that tests/e2e_resume.sh's random kills land in it.
 *     gcc -O2 -shared -fPIC -o resume_tear.so perf/resume_tear.c -ldl
 *     LD_PRELOAD=$PWD/resume_tear.so ctest -R e2e_resume */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    static size_t (*real)(const void *, size_t, size_t, FILE *);
    if (!real)
        real = (size_t(*)(const void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fwrite");
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fileno(f));
    ssize_t k = readlink(link, path, sizeof path - 1);
    const char *nl = size == 1 ? memchr(p, '\n', n) : NULL;
    if (k > 0 && nl && (size_t)(nl - (const char *)p) + 1 < n) {
        path[k] = 0;
        size_t l = strlen(path);
        if (l >= 11 && strcmp(path + l - 11, "asked.jsonl") == 0) {
            size_t first = (size_t)(nl - (const char *)p) + 1;
            size_t a = real(p, 1, first, f);
            fflush(f);
            usleep(20000);
            return a + real((const char *)p + first, 1, n - first, f);
        }
    }
    return real(p, size, n, f);
}
