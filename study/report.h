/* report.h: aggregation of a bench directory into summary.csv, report.md, timing.csv and SVG
 * plots (llmbo report DIR), and the statistics it is built from. Everything except timing.csv
 * is a pure function of the journals' deterministic fields, so a bench run in one process and
 * the same bench run as shards and merged give byte-identical reports. See docs/bench.md.
 * Module-internal (study/). */
#ifndef LLMBO_REPORT_H
#define LLMBO_REPORT_H

#include "llmbo.h"

/* Decades below the reference regret that the normalised log-regret AUC spans (see
 * llmbo_log_regret_auc). */
#define LLMBO_AUC_DECADES 8.0

/* The p-quantile (0 <= p <= 1) of n >= 1 ascending values, linear interpolation between order
 * statistics (Hyndman & Fan type 7, numpy's default): h = (n-1) p, q = v[floor h] + (h - floor h)
 * (v[floor h + 1] - v[floor h]). +Inf values are allowed (a missing value counts as worst). NaN
 * for n < 1. */
double llmbo_quantile_sorted(const double *sorted, int n, double p);

/* Sorts v (n) ascending in place; NaN sorts after +Inf. */
void llmbo_sort_doubles(double *v, int n);

/* Ranks of v (n) with 1 for the smallest; ties get the average of the ranks they span; NaN
 * entries get rank NaN and are not counted. */
void llmbo_average_ranks(const double *v, int n, double *rank);

/* on_front[i] = 1 if no j has cost[j] <= cost[i] and perf[j] <= perf[i] with one of them strict
 * (lower is better on both); entries with a NaN coordinate are never on the front and never
 * dominate. Returns the number on the front. */
int llmbo_pareto_front(const double *cost, const double *perf, int n, int *on_front);

/* Normalised area under the log10 regret curve of one run: the mean over its n evaluations of
 * clamp(1 + log10(r_i / r_ref) / LLMBO_AUC_DECADES, 0, 1), where r_ref > 0 is the objective's
 * reference regret. 1 means no progress below r_ref, 0 means regret <= r_ref * 1e-8 from the first
 * evaluation on. A NaN r_i (no successful evaluation yet) counts as 1. NaN if n < 1 or r_ref is
 * not positive. */
double llmbo_log_regret_auc(const double *r, int n, double r_ref);

/* Options of llmbo report. */
typedef enum llmbo_report_cost {
    LLMBO_COST_AUTO = 0, /* dollars if any run spent any, otherwise tokens */
    LLMBO_COST_DOLLARS = 1,
    LLMBO_COST_TOKENS = 2, /* prompt + completion tokens */
    LLMBO_COST_CALLS = 3
} llmbo_report_cost;

typedef struct llmbo_report_options {
    llmbo_report_cost cost; /* the cost axis of the Pareto fronts */
    int png;                /* 1: also convert the SVG plots with rsvg-convert if available */
    int quiet;              /* 1: no messages on stderr */
} llmbo_report_options;

void llmbo_report_options_default(llmbo_report_options *opt);

/* Reads dir/bench.json (or, without it, every dir/runs/OBJ/STRATEGY/seed-N directory), all
 * journals and summaries, and writes dir/summary.csv, dir/report.md, dir/timing.csv and the plots
 * dir/regret-OBJ.svg, dir/pareto-OBJ.svg, dir/pareto-overall.svg. Runs without summary.json are
 * listed as incomplete and left out of the statistics. LLMBO_ERR_IO / LLMBO_ERR_PARSE name the
 * file (and line) that could not be read. */
llmbo_status llmbo_report_generate(const char *dir, const llmbo_report_options *opt,
                                   llmbo_error *err);

#endif
