/* cmd_bench.c: llmbo bench CONFIG.json [-j N] [--shard I/N] [--out DIR] [-q]: the arguments,
 * then the process scheduler (study/scheduler.h) runs the grid. See docs/bench.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "scheduler.h"

static void bench_usage(FILE *f)
{
    fprintf(f,
            "usage: llmbo bench CONFIG.json [-j N] [--shard I/N] [--out DIR] [-q]\n\n"
            "Runs every (objective, strategy, seed) cell of the bench config as one `llmbo run`\n"
            "process writing DIR/runs/OBJECTIVE/STRATEGY/seed-N/. Finished cells are skipped and\n"
            "interrupted ones resumed, so re-running the same command continues a killed bench.\n\n"
            "  -j N         run N cells at once (default 1)\n"
            "  --shard I/N  run only cells whose index mod N is I-1 (1 <= I <= N); shards may\n"
            "               write into the same DIR; `llmbo report DIR` merges them\n"
            "  --out DIR    output directory (default bench-out)\n"
            "  -q           no progress display\n\n"
            "Then: llmbo report DIR. Config keys: docs/bench.md.\n");
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

int llmbo_cmd_bench(int argc, char **argv)
{
    const char *config = NULL, *out = "bench-out";
    long jobs = 1, shard = 1, n_shards = 1;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            bench_usage(stdout);
            return LLMBO_EXIT_OK;
        } else if (strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strncmp(a, "-j", 2) == 0) {
            const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !parse_int(v, 1, 1024, &jobs)) {
                fprintf(stderr, "llmbo bench: -j: expected a number of processes in 1..1024\n");
                return LLMBO_EXIT_USAGE;
            }
        } else if (strcmp(a, "--shard") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            char buf[64];
            char *slash = NULL;
            if (v) {
                snprintf(buf, sizeof buf, "%s", v);
                slash = strchr(buf, '/');
            }
            if (!slash) {
                fprintf(stderr, "llmbo bench: --shard: expected I/N, e.g. --shard 2/3\n");
                return LLMBO_EXIT_USAGE;
            }
            *slash = '\0';
            if (!parse_int(slash + 1, 1, 1000000, &n_shards) ||
                !parse_int(buf, 1, n_shards, &shard)) {
                fprintf(stderr, "llmbo bench: --shard %s: expected I/N with 1 <= I <= N\n", v);
                return LLMBO_EXIT_USAGE;
            }
        } else if (strcmp(a, "--out") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "llmbo bench: --out needs a directory\n");
                return LLMBO_EXIT_USAGE;
            }
            out = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "llmbo bench: unknown option '%s'\n", a);
            bench_usage(stderr);
            return LLMBO_EXIT_USAGE;
        } else if (config) {
            fprintf(stderr, "llmbo bench: only one CONFIG may be given ('%s' and '%s')\n", config,
                    a);
            return LLMBO_EXIT_USAGE;
        } else {
            config = a;
        }
    }
    if (!config) {
        bench_usage(stderr);
        return LLMBO_EXIT_USAGE;
    }
    llmbo_bench_options o;
    llmbo_bench_options_default(&o);
    o.config = config;
    o.out = out;
    o.jobs = (int)jobs;
    o.shard = (int)shard;
    o.n_shards = (int)n_shards;
    o.quiet = quiet;
    return llmbo_bench_run(&o);
}
