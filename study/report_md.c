/* report_md.c: report.md: inputs, per-objective tables, overall ranking and Pareto front. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "report_impl.h"

/* A number for tables: 4 significant digits (whole numbers from 1000 on, e.g. token counts),
 * "-" for NaN, "inf" for infinity. */
static void sb_num(llmbo_strbuf *b, double v)
{
    if (isnan(v))
        llmbo_strbuf_printf(b, "-");
    else if (isinf(v))
        llmbo_strbuf_printf(b, v > 0 ? "inf" : "-inf");
    else if (fabs(v) >= 1000.0 && fabs(v) < 1e15)
        llmbo_strbuf_printf(b, "%.0f", v);
    else
        llmbo_strbuf_printf(b, "%.4g", v == 0.0 ? 0.0 : v);
}

/* Markdown table cell text: '|' escaped. */
static void sb_md(llmbo_strbuf *b, const char *s)
{
    for (; *s; s++)
        llmbo_strbuf_printf(b, *s == '|' ? "\\|" : *s == '\n' ? " " : "%c", *s);
}

static void md_range(llmbo_strbuf *sb, double med, double q25, double q75)
{
    sb_num(sb, med);
    llmbo_strbuf_printf(sb, " [");
    sb_num(sb, q25);
    llmbo_strbuf_printf(sb, ", ");
    sb_num(sb, q75);
    llmbo_strbuf_printf(sb, "]");
}

/* Distinct non-empty strings of one run_data field over all runs, comma separated. */
static void md_distinct(report *R, llmbo_strbuf *sb, size_t offset)
{
    int first = 1;
    for (int i = 0; i < R->n_cells; i++) {
        const char *v = (const char *)&R->runs[i] + offset;
        if (!v[0])
            continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp((const char *)&R->runs[j] + offset, v) == 0;
        if (seen)
            continue;
        llmbo_strbuf_printf(sb, "%s`%s`", first ? "" : ", ", v);
        first = 0;
    }
    if (first)
        llmbo_strbuf_printf(sb, "none");
}

static void md_inputs(report *R, llmbo_strbuf *sb)
{
    const llmbo_bench *b = R->bench;
    llmbo_strbuf_printf(sb, "## Inputs\n\n");
    llmbo_strbuf_printf(sb,
                        "- llmbo version of this report: %s; of the runs: ", LLMBO_VERSION_STRING);
    md_distinct(R, sb, offsetof(run_data, version));
    llmbo_strbuf_printf(sb, "\n- grid: %d objective%s x %d strateg%s x %d seed%s = %d run%s (%s)\n",
                        b->n_obj, b->n_obj == 1 ? "" : "s", b->n_strat,
                        b->n_strat == 1 ? "y" : "ies", b->n_seed, b->n_seed == 1 ? "" : "s",
                        R->n_cells, R->n_cells == 1 ? "" : "s",
                        R->has_manifest ? "from bench.json" : "scanned from runs/, no bench.json");
    llmbo_strbuf_printf(
        sb, "- runs complete: %d, interrupted (journal without summary): %d, missing: %d\n",
        R->n_complete, R->n_incomplete, R->n_missing);
    llmbo_strbuf_printf(sb, "- seeds:");
    for (int r = 0; r < b->n_seed; r++)
        llmbo_strbuf_printf(sb, " %ld", b->seeds[r]);
    llmbo_strbuf_printf(sb, "\n- advisor models: ");
    md_distinct(R, sb, offsetof(run_data, model));
    llmbo_strbuf_printf(sb, "; backends: ");
    md_distinct(R, sb, offsetof(run_data, backend));
    llmbo_strbuf_printf(sb, "\n- advisor prices (price table and the date it was read): ");
    md_distinct(R, sb, offsetof(run_data, price_date));
    llmbo_strbuf_printf(sb, "\n- Pareto cost axis: %s per run (mean over seeds)\n", R->cost_label);
    llmbo_strbuf_printf(
        sb, "\nObjectives:\n\n| objective | budget | optimum | metric |\n|---|---|---|---|\n");
    for (int o = 0; o < b->n_obj; o++) {
        llmbo_strbuf_printf(sb, "| ");
        sb_md(sb, b->obj[o].name);
        llmbo_strbuf_printf(sb, " | ");
        if (b->obj[o].budget > 0)
            llmbo_strbuf_printf(sb, "%d", b->obj[o].budget);
        else
            sb_num(sb, grp(R, o, 0)->len ? (double)grp(R, o, 0)->len : NAN);
        llmbo_strbuf_printf(sb, " | ");
        if (isnan(R->oi[o].optimal_value))
            llmbo_strbuf_printf(sb, "unknown");
        else
            llmbo_strbuf_printf(sb, "%.10g (%s)", R->oi[o].optimal_value,
                                R->oi[o].maximize ? "max" : "min");
        llmbo_strbuf_printf(sb, " | %s |\n",
                            R->oi[o].regret_known ? "simple regret"
                                                  : "gap to the best value found");
    }
    if (b->config) {
        llmbo_strbuf_printf(sb, "\nStrategies (run-config keys of each variant):\n\n"
                                "| strategy | keys |\n|---|---|\n");
        for (int s = 0; s < b->n_strat; s++) {
            char *txt = b->strat[s].entry ? cJSON_PrintUnformatted(b->strat[s].entry) : NULL;
            llmbo_strbuf_printf(sb, "| ");
            sb_md(sb, b->strat[s].name);
            llmbo_strbuf_printf(sb, " | `");
            sb_md(sb, txt ? txt : "{}");
            llmbo_strbuf_printf(sb, "` |\n");
            cJSON_free(txt);
        }
        char *cfg = cJSON_Print(b->config);
        if (cfg) {
            llmbo_strbuf_printf(
                sb, "\nBench config (as recorded in bench.json):\n\n```json\n%s\n```\n", cfg);
            cJSON_free(cfg);
        }
    }
}

/* The answer to the user's question first: per objective, the best value any finished run found,
 * the strategy and seed that found it, and its parameters. */
static void md_best(report *R, llmbo_strbuf *sb)
{
    const llmbo_bench *b = R->bench;
    llmbo_strbuf_printf(sb, "## Best found\n\n| objective | best value | found by | parameters "
                            "|\n|---|---|---|---|\n");
    for (int o = 0; o < b->n_obj; o++) {
        const group *best = NULL;
        int bs = -1;
        for (int s = 0; s < b->n_strat; s++) {
            const group *g = grp(R, o, s);
            if (isnan(g->best_y))
                continue;
            if (!best ||
                (R->oi[o].maximize ? g->best_y > best->best_y : g->best_y < best->best_y)) {
                best = g;
                bs = s;
            }
        }
        llmbo_strbuf_printf(sb, "| ");
        sb_md(sb, b->obj[o].name);
        if (!best) {
            llmbo_strbuf_printf(sb, " | **none: no finished run evaluated it successfully** | - | "
                                    "- |\n");
            continue;
        }
        llmbo_strbuf_printf(sb, " | %.10g (%s) | ", best->best_y,
                            R->oi[o].maximize ? "max" : "min");
        sb_md(sb, b->strat[bs].name);
        llmbo_strbuf_printf(sb, ", seed %ld | `", best->best_seed);
        sb_md(sb, best->best_x ? best->best_x : "?");
        llmbo_strbuf_printf(sb, "` |\n");
    }
    llmbo_strbuf_printf(sb, "\n");
}

/* Strategies whose runs never evaluated successfully: said before any table, with the first
 * reason, so nobody reads a rank into a column of failures. */
static void md_no_success(report *R, llmbo_strbuf *sb)
{
    const llmbo_bench *b = R->bench;
    int any = 0;
    for (int o = 0; o < b->n_obj; o++)
        for (int s = 0; s < b->n_strat; s++) {
            const group *g = grp(R, o, s);
            if (!g->no_success)
                continue;
            if (!any)
                llmbo_strbuf_printf(sb, "## WARNING: no successful evaluation\n\n"
                                        "These strategies never evaluated the objective "
                                        "successfully in any finished run. They have no regret, "
                                        "no rank and are on no Pareto front; fix the objective "
                                        "(or its command) and run the bench again.\n\n");
            any = 1;
            const char *why = "";
            for (int r = 0; r < b->n_seed && !why[0]; r++)
                why = R->runs[(o * b->n_strat + s) * b->n_seed + r].first_error;
            llmbo_strbuf_printf(sb, "- **");
            sb_md(sb, b->strat[s].name);
            llmbo_strbuf_printf(sb, "** on **");
            sb_md(sb, b->obj[o].name);
            llmbo_strbuf_printf(sb, "**: %d run%s, every evaluation failed; the first reason: ",
                                g->runs, g->runs == 1 ? "" : "s");
            sb_md(sb, why[0] ? why : "(not recorded)");
            llmbo_strbuf_printf(sb, "\n");
        }
    if (any)
        llmbo_strbuf_printf(sb, "\n");
}

/* Strategies whose advisor failed some requests: said before any table, with counts and the
 * first reason, since their runs complete and rank like the others while part (or all) of their
 * decisions were the loop's fallback, not the advisor's. */
static void md_advisor_failures(report *R, llmbo_strbuf *sb)
{
    const llmbo_bench *b = R->bench;
    int any = 0;
    for (int o = 0; o < b->n_obj; o++)
        for (int s = 0; s < b->n_strat; s++) {
            double calls = 0, failed = 0;
            int runs = 0, with = 0;
            const char *why = "";
            for (int r = 0; r < b->n_seed; r++) {
                const run_data *d = &R->runs[(o * b->n_strat + s) * b->n_seed + r];
                if (!d->complete)
                    continue;
                double f = d->cost[C_FALLBACK] + d->cost[C_ERRORS];
                calls += d->cost[C_VALID] + d->cost[C_REPAIRED] + f;
                failed += f;
                runs++;
                with += f > 0;
                if (f > 0 && !why[0])
                    why = d->adv_error;
            }
            if (failed <= 0)
                continue;
            if (!any)
                llmbo_strbuf_printf(sb, "## WARNING: advisor requests failed\n\n"
                                        "In these strategies the advisor gave no usable advice "
                                        "for some requests; the loop made those decisions itself "
                                        "(its fallback), so their rows measure the advisor only "
                                        "in part.\n\n");
            any = 1;
            llmbo_strbuf_printf(sb, "- **");
            sb_md(sb, b->strat[s].name);
            llmbo_strbuf_printf(sb, "** on **");
            sb_md(sb, b->obj[o].name);
            llmbo_strbuf_printf(sb,
                                "**: %.0f of %.0f requests failed (%.0f %%), in %d of %d runs%s",
                                failed, calls, calls > 0 ? 100.0 * failed / calls : 100.0, with,
                                runs, failed >= calls ? " (**no advice at all**)" : "");
            llmbo_strbuf_printf(sb, "; the first reason: ");
            sb_md(sb, why[0] ? why : "(not recorded)");
            llmbo_strbuf_printf(sb, "\n");
        }
    if (any)
        llmbo_strbuf_printf(sb, "\n");
}

llmbo_status llmbo_report_write_md(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(&sb, "# llmbo bench report%s%s\n\n", b->title ? ": " : "",
                        b->title ? b->title : "");
    md_best(R, &sb);
    md_no_success(R, &sb);
    md_advisor_failures(R, &sb);
    llmbo_strbuf_printf(
        &sb,
        "Regret is the simple regret |best - optimum| after each evaluation (with observation "
        "noise on a built-in objective: |f(x_best) - optimum|, f noise-free at the best observed "
        "point; for an objective whose optimum is unknown: the gap to the best value any run of "
        "this bench found). "
        "Figures are the median over seeds with the interquartile range [25%%, 75%%] "
        "(linear-interpolation quantiles). nAUC is the normalised area under the log10 "
        "regret curve: 1 = no progress below the objective's reference regret (the worst "
        "regret after the first evaluation over all runs), 0 = %g decades below it from the "
        "start; lower is better. Ranks order strategies by median final regret per objective "
        "(ties share the average rank). A strategy is on the Pareto front (P) if no other "
        "has both lower-or-equal cost and lower-or-equal median final regret, one of them "
        "strictly. Costs are means per run. Definitions: docs/bench.md. Timings are in "
        "timing.csv only (they differ between executions).\n\n",
        LLMBO_AUC_DECADES);
    md_inputs(R, &sb);

    llmbo_strbuf_printf(
        &sb,
        "\n## Overall\n\n| strategy | average rank | mean nAUC | cost per run (%s) | "
        "Pareto |\n|---|---|---|---|---|\n",
        R->cost_label);
    for (int s = 0; s < S; s++) {
        llmbo_strbuf_printf(&sb, "| ");
        sb_md(&sb, b->strat[s].name);
        llmbo_strbuf_printf(&sb, " | ");
        sb_num(&sb, R->avg_rank[s]);
        llmbo_strbuf_printf(&sb, " | ");
        sb_num(&sb, R->mean_auc[s]);
        llmbo_strbuf_printf(&sb, " | ");
        sb_num(&sb, R->cost_overall[s]);
        llmbo_strbuf_printf(&sb, " | %s |\n", R->pareto_overall[s] ? "P" : "");
    }
    llmbo_strbuf_printf(&sb, "\n![cost versus average rank](pareto-overall.svg)\n");

    for (int o = 0; o < b->n_obj; o++) {
        llmbo_strbuf_printf(&sb, "\n## ");
        sb_md(&sb, b->obj[o].name);
        llmbo_strbuf_printf(&sb,
                            "\n\n| strategy | runs | final %s | nAUC | rank | calls | tokens "
                            "prompt/completion/reasoning | dollars | outcomes valid/repaired/"
                            "fallback/errors | failed evals | P |\n"
                            "|---|---|---|---|---|---|---|---|---|---|---|\n",
                            R->oi[o].regret_known ? "regret" : "gap");
        for (int s = 0; s < S; s++) {
            group *g = grp(R, o, s);
            llmbo_strbuf_printf(&sb, "| ");
            sb_md(&sb, b->strat[s].name);
            llmbo_strbuf_printf(&sb, " | %d", g->runs);
            if (g->incomplete || g->missing)
                llmbo_strbuf_printf(&sb, " (+%d unfinished)", g->incomplete + g->missing);
            if (g->no_success)
                llmbo_strbuf_printf(&sb, " **(no successful evaluation)**");
            llmbo_strbuf_printf(&sb, " | ");
            md_range(&sb, g->final_med, g->final_q25, g->final_q75);
            llmbo_strbuf_printf(&sb, " | ");
            md_range(&sb, g->auc_med, g->auc_q25, g->auc_q75);
            llmbo_strbuf_printf(&sb, " | ");
            sb_num(&sb, g->rank);
            llmbo_strbuf_printf(&sb, " | ");
            sb_num(&sb, g->cost[C_CALLS]);
            llmbo_strbuf_printf(&sb, " | ");
            sb_num(&sb, g->cost[2]);
            llmbo_strbuf_printf(&sb, "/");
            sb_num(&sb, g->cost[3]);
            llmbo_strbuf_printf(&sb, "/");
            sb_num(&sb, g->cost[4]);
            llmbo_strbuf_printf(&sb, " | ");
            sb_num(&sb, g->cost[C_DOLLARS]);
            llmbo_strbuf_printf(&sb, " | ");
            for (int k = 7; k < 11; k++) {
                sb_num(&sb, g->cost[k]);
                llmbo_strbuf_printf(&sb, k < 10 ? "/" : "");
            }
            llmbo_strbuf_printf(&sb, " | ");
            sb_num(&sb, g->failed);
            llmbo_strbuf_printf(&sb, " | %s |\n", g->pareto ? "P" : "");
        }
        llmbo_strbuf_printf(&sb,
                            "\n![%s regret](regret-%s.svg)\n![%s cost vs regret](pareto-%s.svg)\n",
                            b->obj[o].name, b->obj[o].dir, b->obj[o].name, b->obj[o].dir);
        if (llmbo_report_has_cost(R, o))
            llmbo_strbuf_printf(&sb, "![%s regret against cumulative %s](cost-%s.svg)%s\n",
                                b->obj[o].name, llmbo_report_cum_label(R->cum_kind), b->obj[o].dir,
                                R->cum_kind == CUM_CPU
                                    ? "\n\n(The cost axis is the local engine's CPU seconds: "
                                      "this plot differs between executions.)"
                                    : "");
        else
            llmbo_strbuf_printf(&sb,
                                "\nNo plot of %s against cost: no strategy has an advisor "
                                "cost here (dollars, tokens or CPU seconds).\n",
                                R->oi[o].regret_known ? "regret" : "gap");
    }
    if (R->n_incomplete + R->n_missing > 0) {
        llmbo_strbuf_printf(&sb, "\n## Unfinished runs (left out of the statistics)\n\n");
        for (int i = 0; i < R->n_cells; i++) {
            if (R->runs[i].complete)
                continue;
            char cp[1024];
            llmbo_bench_cell_path(b, i, cp, sizeof cp);
            llmbo_strbuf_printf(&sb, "- %s: %s\n", cp,
                                R->runs[i].present ? "interrupted (no summary.json)" : "not run");
        }
    }
    llmbo_status st = llmbo_report_write_file(R, "report.md", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}
