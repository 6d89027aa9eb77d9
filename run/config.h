/* config.h: the run configuration (one JSON object; every key in docs/config.md), parsed with
 * cJSON into a struct, and written back fully resolved as DIR/config.json. Every error message
 * starts with the file name and the key path ("run.json: gp.kernel: ..."). */
#ifndef LLMBO_CONFIG_H
#define LLMBO_CONFIG_H

#include <cJSON.h>
#include "llmbo.h"

/* "dispatch": when results of parallel evaluations are told to the loop. */
typedef enum llmbo_run_dispatch {
    LLMBO_DISPATCH_ORDERED = 0, /* "ordered": in id order (proposals independent of timing) */
    LLMBO_DISPATCH_ASYNC = 1    /* "async": as they arrive (no worker waits) */
} llmbo_run_dispatch;

/* Upper bound of "workers" (and -j): threads and child processes at once. */
#define LLMBO_RUN_MAX_WORKERS 256

typedef struct llmbo_run_config {
    char *name;        /* "name", or NULL */
    char *description; /* "description", or NULL */
    cJSON *objective;  /* owned copy of the "objective" value (string or object) */
    int instance;      /* "instance": 0 (the function as defined) or K >= 1 (shifted optimum) */
    int budget;
    llmbo_strategy strategy;
    llmbo_acquisition acquisition;
    uint64_t seed;
    llmbo_init_design design;
    int n_init;         /* 0: the default for the objective's dimension (resolved at run time) */
    cJSON *init_from;   /* owned "init.from": array of file names (journals, CSVs), or NULL */
    cJSON *init_points; /* owned "init.points": array of {"name": value} objects, or NULL */
    int init_counted;   /* "init.counted": imported observations count against the budget */
    llmbo_kernel_type kernel;
    int priors, refit_every, restarts, max_eval;
    int noise_fit;      /* 1: "fit", 0: fixed, -1: "auto" (fit only if noisy) */
    double noise;       /* fixed noise variance when noise_fit = 0 */
    double noise_floor; /* lower bound of the fitted noise variance */
    int batch;
    int workers;                 /* evaluations at once (>= 1) */
    llmbo_run_dispatch dispatch; /* "dispatch" */
    llmbo_pending_method pending;
    llmbo_batch_step batch_step; /* "batch_step": a synchronous batch's geometry (off) */
    int tail;  /* "tail": the last tail proposals asked one at a time, nothing pending (0) */
    int noisy; /* 1, 0, or -1: not given (the run resolves it from the objective's noise_std) */
    double xi;
    int acq_sweep, acq_starts, candidates; /* 0: the defaults (resolved at run time) */
    double dup_tol;                        /* "acq.dup_tol": llmbo_bo_options.dup_tol */
    int stall_window;                      /* "acq.stall_window": llmbo_bo_options.stall_window */
    int warp;                              /* "gp.warp": llmbo_bo_options.y_warp */
    cJSON *advisor;                        /* owned copy of the "advisor" object, or NULL */
} llmbo_run_config;

/* Parses text (a whole config file) into cfg, which the caller frees with
 * llmbo_run_config_free (also after a failure). where names the file in messages. Statuses:
 * LLMBO_ERR_PARSE (JSON syntax, with line and column), LLMBO_ERR_CONFIG (anything else). */
llmbo_status llmbo_run_config_parse(const char *text, const char *where, llmbo_run_config *cfg,
                                    llmbo_error *err);
/* Parses the loop keys of a config (every key but "objective", which is an error here; budget
 * optional: absent leaves cfg->budget 0, and init.n is then not bounded by it), for programs that
 * drive the loop over their own space. Keys, defaults and messages are those of
 * llmbo_run_config_parse; cfg->objective stays NULL. */
llmbo_status llmbo_run_config_parse_options(const char *text, const char *where,
                                            llmbo_run_config *cfg, llmbo_error *err);
/* Reads path and parses it; messages name path. LLMBO_ERR_IO if it cannot be read. */
llmbo_status llmbo_run_config_load(const char *path, llmbo_run_config *cfg, llmbo_error *err);
void llmbo_run_config_free(llmbo_run_config *cfg);

/* The loop's options for an objective of dimension d (advisor hook and schedule not set); a
 * budget of 0 (none given) leaves the loop's budget unknown and the design size uncapped. */
void llmbo_run_config_bo_options(const llmbo_run_config *cfg, int d, llmbo_bo_options *o);

/* The resolved config as a new JSON object (every key, defaults filled in for dimension d),
 * which llmbo_run_config_parse reads back to the same struct. NULL on allocation failure. */
cJSON *llmbo_run_config_to_json(const llmbo_run_config *cfg, int d);

/* Kernel names "se", "matern12", "matern32", "matern52". */
const char *llmbo_kernel_name(llmbo_kernel_type k);

#endif
