/* report.c: llmbo report DIR. Loads every run of a bench directory (bench.json gives the grid and
 * its order; without it the runs/ tree is scanned in name order), aggregates per objective and
 * strategy (median and interquartile range over seeds, type-7 quantiles), ranks strategies per
 * objective, finds cost/regret Pareto fronts, and writes summary.csv, report.md, timing.csv and
 * SVG plots. Only deterministic journal fields reach summary.csv, report.md and the plots; wall
 * and CPU times go to timing.csv alone, so sharded and single-process benches report the same
 * bytes. Definitions: docs/bench.md. */
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "report_impl.h"

void llmbo_report_options_default(llmbo_report_options *opt)
{
    opt->cost = LLMBO_COST_AUTO;
    opt->png = 1;
    opt->quiet = 0;
}

static void report_free(report *R)
{
    for (int i = 0; R->runs && i < R->n_cells; i++)
        llmbo_report_run_clear(&R->runs[i]);
    llmbo_free(R->runs);
    if (R->g && R->bench)
        for (int i = 0; i < R->bench->n_obj * R->bench->n_strat; i++) {
            group *g = &R->g[i];
            llmbo_free(g->med);
            llmbo_free(g->q25);
            llmbo_free(g->q75);
            llmbo_free(g->bmed);
            llmbo_free(g->bq25);
            llmbo_free(g->bq75);
        }
    llmbo_free(R->g);
    llmbo_free(R->oi);
    llmbo_free(R->avg_rank);
    llmbo_free(R->mean_auc);
    llmbo_free(R->cost_overall);
    llmbo_free(R->pareto_overall);
    llmbo_bench_free(R->bench);
}

llmbo_status llmbo_report_generate(const char *dir, const llmbo_report_options *opt_in,
                                   llmbo_error *err)
{
    llmbo_report_options opt;
    if (opt_in)
        opt = *opt_in;
    else
        llmbo_report_options_default(&opt);
    report R;
    memset(&R, 0, sizeof R);
    R.dir = dir;
    char path[4096];
    llmbo_status st;
    snprintf(path, sizeof path, "%s/bench.json", dir);
    char runs[4096], journal[4096];
    snprintf(runs, sizeof runs, "%s/runs", dir);
    snprintf(journal, sizeof journal, "%s/journal.jsonl", dir);
    if (!llmbo_path_exists(path) && !llmbo_path_exists(runs) && llmbo_path_exists(journal))
        return llmbo_report_run_generate(dir, &opt, err);
    if (llmbo_path_exists(path)) {
        cJSON *m = llmbo_json_read_file(path, err);
        if (!m)
            return err ? err->status : LLMBO_ERR_PARSE;
        st = llmbo_bench_from_manifest(m, path, &R.bench, err);
        cJSON_Delete(m);
        R.has_manifest = 1;
    } else {
        st = llmbo_report_scan_grid(dir, &R.bench, err);
    }
    if (st)
        return st;
    const llmbo_bench *b = R.bench;
    R.n_cells = llmbo_bench_n_cells(b);
    int S = b->n_strat;
    R.runs = llmbo_calloc((size_t)R.n_cells, sizeof *R.runs);
    R.g = llmbo_calloc((size_t)b->n_obj * (size_t)S, sizeof *R.g);
    R.oi = llmbo_calloc((size_t)b->n_obj, sizeof *R.oi);
    R.avg_rank = llmbo_calloc((size_t)S, sizeof(double));
    R.mean_auc = llmbo_calloc((size_t)S, sizeof(double));
    R.cost_overall = llmbo_calloc((size_t)S, sizeof(double));
    R.pareto_overall = llmbo_calloc((size_t)S, sizeof(int));
    if (!R.runs || !R.g || !R.oi || !R.avg_rank || !R.mean_auc || !R.cost_overall ||
        !R.pareto_overall) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    int any_dollars = 0;
    for (int i = 0; i < R.n_cells; i++) {
        char cp[2048], rd[4096];
        llmbo_bench_cell_path(b, i, cp, sizeof cp);
        snprintf(rd, sizeof rd, "%s/%s", dir, cp);
        cJSON *cell_cfg = b->config ? llmbo_bench_cell_config(b, i) : NULL;
        st = llmbo_report_load_run(rd, cell_cfg, &R.runs[i], err);
        cJSON_Delete(cell_cfg);
        if (st)
            goto done;
        R.n_complete += R.runs[i].complete;
        R.n_incomplete += R.runs[i].present && !R.runs[i].complete;
        R.n_missing += !R.runs[i].present && !R.runs[i].complete;
        any_dollars |= R.runs[i].complete && R.runs[i].cost[C_DOLLARS] > 0.0;
    }
    /* The regret-against-cost axis: dollars if any run spent any, else tokens, else the local
     * engine's CPU seconds. */
    R.cum_kind = -1;
    for (int k = N_CUM - 1; k >= 0; k--)
        for (int i = 0; i < R.n_cells; i++)
            if (R.runs[i].complete && R.runs[i].n > 0 && R.runs[i].cum[k][R.runs[i].n - 1] > 0)
                R.cum_kind = k;
    R.cost_kind = opt.cost;
    if (R.cost_kind == LLMBO_COST_AUTO)
        R.cost_kind = any_dollars ? LLMBO_COST_DOLLARS : LLMBO_COST_TOKENS;
    R.cost_label = R.cost_kind == LLMBO_COST_DOLLARS  ? "dollars"
                   : R.cost_kind == LLMBO_COST_TOKENS ? "tokens"
                                                      : "calls";
    if ((st = llmbo_report_aggregate(&R, err)) || (st = llmbo_report_write_summary_csv(&R, err)) ||
        (st = llmbo_report_write_timing_csv(&R, err)) || (st = llmbo_report_write_md(&R, err)) ||
        (st = llmbo_report_write_plots(&R, &opt, err)))
        goto done;
    for (int o = 0; o < b->n_obj && !opt.quiet; o++)
        for (int s = 0; s < S; s++)
            if (grp(&R, o, s)->no_success)
                fprintf(stderr,
                        "report: WARNING: strategy %s on %s: no successful evaluation in %d "
                        "finished run%s; no rank, no Pareto front (see report.md)\n",
                        b->strat[s].name, b->obj[o].name, grp(&R, o, s)->runs,
                        grp(&R, o, s)->runs == 1 ? "" : "s");
    if (!opt.quiet)
        fprintf(stderr,
                "report: %d runs complete, %d interrupted, %d missing; wrote %s/report.md, "
                "summary.csv, timing.csv and plots\n",
                R.n_complete, R.n_incomplete, R.n_missing, dir);
done:
    report_free(&R);
    return st;
}
