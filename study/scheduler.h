/* scheduler.h: `llmbo bench` as a library call: runs the cells of a bench grid as `llmbo run`
 * processes (at most jobs at a time, this shard's cells only), skipping finished cells and
 * resuming interrupted ones, with a progress line on a terminal. Module-internal (study/); it
 * execs /proc/self/exe, so only the llmbo binary calls it. */
#ifndef LLMBO_SCHEDULER_H
#define LLMBO_SCHEDULER_H

typedef struct llmbo_bench_options {
    const char *config;  /* the bench config file */
    const char *out;     /* output directory (default "bench-out") */
    int jobs;            /* runs at once, >= 1 (default 1) */
    int shard, n_shards; /* run cells whose index mod n_shards is shard - 1 (default 1/1) */
    int quiet;           /* no progress line and no closing summary */
} llmbo_bench_options;

void llmbo_bench_options_default(llmbo_bench_options *o);

/* Outcomes, equal to the llmbo binary's exit codes. */
enum {
    LLMBO_BENCH_OK = 0,        /* every cell of the shard finished */
    LLMBO_BENCH_FAILED = 1,    /* a run failed, an I/O error, or interrupted by a signal */
    LLMBO_BENCH_BAD_CONFIG = 2 /* the config is invalid or the directory holds another bench */
};

/* Runs the bench; messages go to stderr prefixed "llmbo bench: ". Returns an outcome above. */
int llmbo_bench_run(const llmbo_bench_options *o);

#endif
