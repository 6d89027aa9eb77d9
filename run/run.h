/* run.h: one optimisation run driven by a config file (the `llmbo run` verb): objective,
 * advisor and loop from the config, synchronous batches of `batch` points evaluated in id
 * order, each result journalled durably before the next proposal, summary at the end, and
 * --resume from a run directory. docs/formats.md describes the files. */
#ifndef LLMBO_RUN_H
#define LLMBO_RUN_H

#include <stdint.h>
#include <stdio.h>
#include "llmbo.h"

typedef struct llmbo_run_args {
    const char *config_path; /* the config file; NULL when resuming */
    const char *out_dir;     /* run directory to create; NULL: no files */
    const char *resume_dir;  /* run directory to continue; NULL for a new run */
    int have_seed;           /* 1: seed overrides the config's (new runs only) */
    uint64_t seed;
    int progress;                  /* 1: redraw a progress line on stderr */
    long max_consecutive_failures; /* stop after this many failed evaluations in a row; 0: never */
    FILE *summary_out;             /* the summary JSON is printed here at the end; NULL: nowhere */
} llmbo_run_args;

/* Runs (or resumes) one optimisation. On failure err names the problem; *user_error is set to 1
 * when it lies in the user's input (config, objective, advisor settings, run directory
 * contents: exit code 2) and 0 for a failure during the run (exit code 1). Objective failures
 * are journalled as failed evaluations and the run goes on; the first one's reason is printed
 * on stderr (later ones are counted). LLMBO_ERR_OBJECTIVE (exit code 3) when the run stopped
 * after max_consecutive_failures failures in a row, or ended with no successful evaluation. */
llmbo_status llmbo_run_exec(const llmbo_run_args *a, int *user_error, llmbo_error *err);

#endif
