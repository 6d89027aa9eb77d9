/* run.h: one optimisation run driven by a config file (the `llmbo run`, `llmbo ask` and
 * `llmbo tell` verbs): objective, advisor and loop from the config, up to `workers`
 * evaluations at once, every proposal and every result journalled durably as it happens,
 * summary at the end, and --resume from a run directory. docs/formats.md describes the
 * files. */
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
    int workers;                   /* > 0: overrides the config's "workers" (-j) */
} llmbo_run_args;

/* Runs (or resumes) one optimisation. On failure err names the problem; *user_error is set to 1
 * when it lies in the user's input (config, objective, advisor settings, run directory
 * contents: exit code 2) and 0 for a failure during the run (exit code 1). Objective failures
 * are journalled as failed evaluations and the run goes on; the first one's reason is printed
 * on stderr (later ones are counted). LLMBO_ERR_OBJECTIVE (exit code 3) when the run stopped
 * after max_consecutive_failures failures in a row, or ended with no successful evaluation. */
llmbo_status llmbo_run_exec(const llmbo_run_args *a, int *user_error, llmbo_error *err);

/* `llmbo ask DIR [-n Q]`: proposes n points of the run in dir and records them in
 * DIR/asked.jsonl as pending (durable, under the directory's lock), then prints each as one
 * JSON line {"id", "x" (named), "xv", "source"} on out. With config_path, dir is created as a
 * new run directory first (seed overrides the config's when have_seed). With pending_only, asks
 * nothing and prints the pending points instead (in id order). Results told since the
 * last ask are told to the loop first. *user_error as for llmbo_run_exec. */
typedef struct llmbo_ask_args {
    const char *dir;
    const char *config_path; /* non-NULL: create dir from this config */
    int have_seed;
    uint64_t seed;
    int n;            /* points to ask, >= 1 */
    int pending_only; /* 1: ask nothing; print the points asked and not yet told */
    FILE *out;        /* the points, one JSON line each */
} llmbo_ask_args;
llmbo_status llmbo_run_ask(const llmbo_ask_args *a, int *user_error, llmbo_error *err);

/* `llmbo tell DIR ID VALUE|--failed`: records the result of pending point id in
 * DIR/journal.jsonl (durable, under the lock); writes DIR/summary.json when it completes the
 * budget; prints {"id", "evaluations", "budget", "best"[, "regret"]} on out (may be NULL).
 * Errors name the id: never asked, already told, a non-finite value. */
typedef struct llmbo_tell_args {
    const char *dir;
    int64_t id;
    double y;
    int failed;
    const char *reason; /* for a failed evaluation; NULL: a default */
    FILE *out;
} llmbo_tell_args;
llmbo_status llmbo_run_tell(const llmbo_tell_args *a, int *user_error, llmbo_error *err);

#endif
