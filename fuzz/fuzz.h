/* fuzz.h: shared by the libFuzzer harnesses (fuzz_*.c). Each harness defines
 * LLVMFuzzerTestOneInput; built with -DLLMBO_FUZZ=ON (clang) it is a libFuzzer binary, otherwise
 * driver.c runs it over its seed corpus as a regression test. Harnesses that need files write
 * them under one per-process scratch directory. */
#ifndef LLMBO_FUZZ_H
#define LLMBO_FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "llmbo.h"
#include "llmbo_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data[0..size) as a NUL-terminated string (malloc'ed; the fuzzer's buffer is not terminated). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

static char fuzz_scratch_dir[256];

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static inline void fuzz_scratch_remove(void)
{
    nftw(fuzz_scratch_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A scratch directory for this process, created once ($TMPDIR or /tmp), removed at exit. */
static inline const char *fuzz_scratch(void)
{
    if (!fuzz_scratch_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_scratch_dir, sizeof fuzz_scratch_dir, "%s/llmbo-fuzz-XXXXXX",
                 t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_scratch_dir))
            abort();
        atexit(fuzz_scratch_remove);
        llmbo_init();
    }
    return fuzz_scratch_dir;
}

/* Writes n bytes to dir/name; returns the path (static buffer per slot 0..3), aborts on error. */
static inline const char *fuzz_write(int slot, const char *dir, const char *name, const void *p,
                                     size_t n)
{
    static char paths[4][512];
    char *path = paths[slot & 3];
    snprintf(path, sizeof paths[0], "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        abort();
    return path;
}

#endif
