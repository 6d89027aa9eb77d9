/* report_impl.h: what the report's files share (study/report_*.c): the per-run data loaded from
 * a bench directory, the per-(objective, strategy) aggregates, and the functions that load,
 * aggregate and write them. Module-internal (study/). */
#ifndef LLMBO_REPORT_IMPL_H
#define LLMBO_REPORT_IMPL_H

#include "llmbo.h"
#include "strbuf.h"
#include "json.h"
#include "grid.h"
#include "report.h"

/* Columns of cost[]: the cost record's deterministic counters (report_csv.c names them). */
#define N_COST       11
#define C_CALLS      0
#define C_PROMPT     2
#define C_COMPLETION 3
#define C_DOLLARS    6
#define C_VALID      7 /* outcomes of the advisor's requests: each ends in one of these four */
#define C_REPAIRED   8
#define C_FALLBACK   9  /* no usable answer */
#define C_ERRORS     10 /* the backend failed (or was unreachable at start: no call made) */
/* timing[]: the cost record's seconds, cpu_seconds, cpu_dollars */
#define N_TIME 3

/* Cumulative cost kinds of the regret-against-cost plot (run_data.cum). */
#define N_CUM       3
#define CUM_DOLLARS 0
#define CUM_TOKENS  1 /* prompt + completion */
#define CUM_CPU     2 /* CPU seconds of a local engine (timing: not reproducible) */

typedef struct run_data {
    int present;    /* journal.jsonl exists */
    int complete;   /* summary.json exists */
    int n;          /* journal lines */
    double *regret; /* (n) journal "regret" (NaN for null) */
    double *best;   /* (n) journal "best" (NaN for null) */
    double *metric; /* (n) regret, or gap to the bench's best value when the optimum is unknown */
    double *cum[N_CUM]; /* (n) the advisor's cumulative cost after each evaluation, by kind */
    int regret_known;
    int maximize;
    double optimal_value; /* NaN if unknown */
    double cost[N_COST];
    double timing[N_TIME];
    double obj_seconds, wall_seconds;
    long failed;
    double best_y;         /* summary.json "best_y" (NaN if null or absent) */
    char *best_x;          /* owned: summary.json "best_x" printed unformatted, or NULL */
    char first_error[256]; /* the first failed evaluation's reason (journal "error") */
    char adv_error[256];   /* the first failed advisor call's reason (advisor.jsonl "error") */
    char version[32];
    char model[128];
    char backend[64];
    char price_date[192]; /* where the advisor's prices came from, with the table's date */
} run_data;

typedef struct group {
    int runs, incomplete, missing;
    int len;                    /* longest complete run */
    double *med, *q25, *q75;    /* (len) quantiles of the metric after each evaluation */
    double *bmed, *bq25, *bq75; /* (len) quantiles of the best value (unknown optimum) */
    double final_med, final_q25, final_q75;
    double auc_med, auc_q25, auc_q75;
    double best_med;     /* median of the final best values */
    double cost[N_COST]; /* means per complete run */
    double timing[N_TIME];
    double obj_seconds, wall_seconds, evals, failed;
    double cost_axis; /* the Pareto cost of this group */
    double rank;
    int pareto;
    int ok_runs;        /* complete runs with at least one successful evaluation */
    int no_success;     /* complete runs exist and none has a successful evaluation: no statistics,
                           no rank, not on any Pareto front */
    double best_y;      /* the best value any complete run found (NaN if none) */
    long best_seed;     /* the seed of the run that found it */
    const char *best_x; /* its parameters (JSON text owned by the run's run_data), or NULL */
} group;

typedef struct objective_info {
    int regret_known;
    int maximize;
    double optimal_value;
    double r_ref;    /* the AUC reference: worst first-evaluation metric over all runs */
    double best_all; /* best value over all runs (unknown optimum) */
} objective_info;

typedef struct report {
    const char *dir;
    llmbo_bench *bench;
    int has_manifest;
    int n_cells;
    run_data *runs; /* (n_cells) */
    group *g;       /* (n_obj * n_strat) */
    objective_info *oi;
    double *avg_rank, *mean_auc, *cost_overall; /* (n_strat) */
    int *pareto_overall;
    llmbo_report_cost cost_kind;
    const char *cost_label;
    int cum_kind; /* the regret-against-cost plots' axis (CUM_*), -1: no run has a cost */
    int n_complete, n_incomplete, n_missing;
} report;

/* The group of objective o and strategy s. */
static inline group *grp(report *R, int o, int s)
{
    return &R->g[o * R->bench->n_strat + s];
}

/* ---- report_load.c: runs and the grid ---- */
/* Loads the run in rundir (journal, summary, advisor call log); bench_cfg is the cell's config
 * when bench.json is present. A missing run is not an error (present = 0). */
llmbo_status llmbo_report_load_run(const char *rundir, const cJSON *bench_cfg, run_data *r,
                                   llmbo_error *err);
void llmbo_report_run_clear(run_data *r);
/* The first failed advisor call's reason in rundir: the first line of its call log
 * (advisor.jsonl) with an "error" string, into dst (left as it is if there is none). */
void llmbo_report_first_advisor_error(const char *rundir, char *dst, size_t n);
/* The grid of a directory without bench.json, from its runs/OBJ/STRATEGY/seed-N tree. */
llmbo_status llmbo_report_scan_grid(const char *dir, llmbo_bench **out, llmbo_error *err);

/* ---- report_stats.c: aggregation ---- */
llmbo_status llmbo_report_aggregate(report *R, llmbo_error *err);

/* ---- report_csv.c, report_md.c, report_plots.c: outputs ---- */
/* Writes b (a finished buffer) to R->dir/name atomically. */
llmbo_status llmbo_report_write_file(const report *R, const char *name, llmbo_strbuf *b,
                                     llmbo_error *err);
llmbo_status llmbo_report_write_summary_csv(report *R, llmbo_error *err);
llmbo_status llmbo_report_write_timing_csv(report *R, llmbo_error *err);
llmbo_status llmbo_report_write_md(report *R, llmbo_error *err);
llmbo_status llmbo_report_write_plots(report *R, const llmbo_report_options *opt, llmbo_error *err);
/* 1 if some complete run of objective o has a cost of kind R->cum_kind (its cost plot exists). */
int llmbo_report_has_cost(report *R, int o);
/* The axis name of a cost kind ("dollars", "tokens (prompt + completion)", "CPU seconds"). */
const char *llmbo_report_cum_label(int kind);
/* PNG copy of dir/svgname with rsvg-convert, when installed. */
void llmbo_report_png(const char *dir, const char *svgname);

/* ---- report_run.c: the report of one run directory ---- */
typedef struct run_view {
    int n, d;
    double *y;       /* (n) value, NaN for a failed evaluation */
    double *best;    /* (n) the journal's best so far (NaN before the first success) */
    int *source;     /* (n) llmbo_source, -1 if unknown */
    double *x;       /* (n, d) row-major points */
    char **names;    /* (d) parameter names */
    double *lo, *hi; /* (d) axis ranges: the space's bounds, or the data's */
    int *logscale;   /* (d) log-scale parameter */
    int *cat;        /* (d) number of choices of a categorical (x is its index), else 0 */
    int maximize, best_i, regret_known, has_seed, complete;
    long failed;
    double final_regret, seed;
    llmbo_cost cost; /* the advisor's cumulative cost at the last line */
    char objective[256], strategy[64];
    char best_x[2048];    /* the best evaluation's "x" (named parameters) as JSON */
    llmbo_objective *obj; /* from config.json, or NULL */
} run_view;
llmbo_status llmbo_run_view_load(const char *dir, run_view *v, llmbo_error *err);
void llmbo_run_view_clear(run_view *v);
/* llmbo report DIR where DIR is one run (journal.jsonl, no bench.json, no runs/). */
llmbo_status llmbo_report_run_generate(const char *dir, const llmbo_report_options *opt,
                                       llmbo_error *err);
/* report_plots.c: dir/best.svg and dir/params.svg of one run. */
llmbo_status llmbo_report_plot_run_best(const char *dir, const run_view *v, llmbo_error *err);
llmbo_status llmbo_report_plot_run_params(const char *dir, const run_view *v, llmbo_error *err);

#endif
