/* report_csv.c: summary.csv (deterministic fields) and timing.csv (wall and CPU times only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "report_impl.h"
#include "fileio.h"

/* Deterministic cost counters (journal/summary "advisor" object), then the timing ones. */
static const char *const cost_keys[N_COST] = {
    "calls",         "retries", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "dollars", "valid",         "repaired",          "fallback",
    "errors"};

/* A number for CSV: full precision (%.10g), empty for NaN. */
static void sb_csv(llmbo_strbuf *b, double v)
{
    if (isnan(v))
        llmbo_strbuf_printf(b, ",");
    else if (isinf(v))
        llmbo_strbuf_printf(b, ",%s", v > 0 ? "inf" : "-inf");
    else
        llmbo_strbuf_printf(b, ",%.10g", v == 0.0 ? 0.0 : v);
}

static void sb_csv_str(llmbo_strbuf *b, const char *s)
{
    int quote = strpbrk(s, ",\"\n") != NULL;
    llmbo_strbuf_printf(b, quote ? "\"" : "");
    for (; *s; s++)
        llmbo_strbuf_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    llmbo_strbuf_printf(b, quote ? "\"" : "");
}

/* ------------------------------------------------------------------------------------------ */
/* Outputs                                                                                     */
/* ------------------------------------------------------------------------------------------ */

llmbo_status llmbo_report_write_file(const report *R, const char *name, llmbo_strbuf *b,
                                     llmbo_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", R->dir, name);
    if (b->oom || !b->s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    return llmbo_write_file_atomic(path, b->s, err);
}

llmbo_status llmbo_report_write_summary_csv(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(
        &sb, "objective,strategy,runs,incomplete,missing,metric,evaluations,failed_evals,"
             "final_median,final_q25,final_q75,best_median,auc_median,auc_q25,auc_q75,"
             "rank,avg_rank,pareto,pareto_overall,cost_metric,cost_per_run");
    for (int k = 0; k < N_COST; k++)
        llmbo_strbuf_printf(&sb, ",%s", cost_keys[k]);
    llmbo_strbuf_printf(&sb, ",no_success,best_y,best_seed,best_x\n");
    for (int o = 0; o < b->n_obj; o++)
        for (int s = 0; s < b->n_strat; s++) {
            group *g = grp(R, o, s);
            sb_csv_str(&sb, b->obj[o].name);
            llmbo_strbuf_printf(&sb, ",");
            sb_csv_str(&sb, b->strat[s].name);
            llmbo_strbuf_printf(&sb, ",%d,%d,%d,%s", g->runs, g->incomplete, g->missing,
                                R->oi[o].regret_known ? "regret" : "gap");
            sb_csv(&sb, g->runs ? g->evals : NAN);
            sb_csv(&sb, g->runs ? g->failed : NAN);
            sb_csv(&sb, g->final_med);
            sb_csv(&sb, g->final_q25);
            sb_csv(&sb, g->final_q75);
            sb_csv(&sb, g->best_med);
            sb_csv(&sb, g->auc_med);
            sb_csv(&sb, g->auc_q25);
            sb_csv(&sb, g->auc_q75);
            sb_csv(&sb, g->rank);
            sb_csv(&sb, R->avg_rank[s]);
            llmbo_strbuf_printf(&sb, ",%d,%d,%s", g->pareto, R->pareto_overall[s], R->cost_label);
            sb_csv(&sb, g->cost_axis);
            for (int k = 0; k < N_COST; k++)
                sb_csv(&sb, g->runs ? g->cost[k] : NAN);
            /* The best point this strategy found (over its seeds), its parameters as JSON. */
            llmbo_strbuf_printf(&sb, ",%d", g->no_success);
            sb_csv(&sb, g->best_y);
            sb_csv(&sb, isnan(g->best_y) ? NAN : (double)g->best_seed);
            llmbo_strbuf_printf(&sb, ",");
            if (g->best_x)
                sb_csv_str(&sb, g->best_x);
            llmbo_strbuf_printf(&sb, "\n");
        }
    llmbo_status st = llmbo_report_write_file(R, "summary.csv", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}

llmbo_status llmbo_report_write_timing_csv(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(&sb, "objective,strategy,runs,objective_seconds,advisor_seconds,"
                             "advisor_cpu_seconds,advisor_cpu_dollars,wall_seconds\n");
    for (int o = 0; o < b->n_obj; o++)
        for (int s = 0; s < b->n_strat; s++) {
            group *g = grp(R, o, s);
            sb_csv_str(&sb, b->obj[o].name);
            llmbo_strbuf_printf(&sb, ",");
            sb_csv_str(&sb, b->strat[s].name);
            llmbo_strbuf_printf(&sb, ",%d", g->runs);
            sb_csv(&sb, g->runs ? g->obj_seconds : NAN);
            for (int k = 0; k < N_TIME; k++)
                sb_csv(&sb, g->runs ? g->timing[k] : NAN);
            sb_csv(&sb, g->runs ? g->wall_seconds : NAN);
            llmbo_strbuf_printf(&sb, "\n");
        }
    llmbo_status st = llmbo_report_write_file(R, "timing.csv", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}
