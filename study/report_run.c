/* report_run.c: llmbo report RUN_DIR for one run directory (journal.jsonl, with config.json and
 * summary.json when present): report.md (the run, its best value and parameters, the advisor's
 * cost) and the plots best.svg (every evaluation and the best so far) and params.svg (each
 * parameter against the evaluation). The parameter space comes from the run's config.json; a
 * journal without it gives names from its lines and axes from the data. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "report_impl.h"
#include "journal.h"
#include "config.h"
#include "objective_json.h"

void llmbo_run_view_clear(run_view *v)
{
    llmbo_free(v->y);
    llmbo_free(v->best);
    llmbo_free(v->x);
    llmbo_free(v->source);
    llmbo_free(v->cat);
    for (int j = 0; v->names && j < v->d; j++)
        llmbo_free(v->names[j]);
    llmbo_free(v->names);
    llmbo_free(v->lo);
    llmbo_free(v->hi);
    llmbo_free(v->logscale);
    llmbo_objective_free(v->obj);
    memset(v, 0, sizeof *v);
}

/* The space of the run's config.json (NULL if it has none or it cannot be built). */
static llmbo_objective *config_objective(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    if (!llmbo_path_exists(path))
        return NULL;
    llmbo_run_config cfg;
    llmbo_objective *obj = NULL;
    if (llmbo_run_config_load(path, &cfg, NULL) == LLMBO_OK)
        llmbo_objective_from_json(cfg.objective, path, cfg.seed, &obj, NULL);
    llmbo_run_config_free(&cfg);
    return obj;
}

static llmbo_status view_alloc(run_view *v, int n, int d)
{
    v->n = n;
    v->d = d;
    v->y = llmbo_calloc((size_t)n + 1, sizeof(double));
    v->best = llmbo_calloc((size_t)n + 1, sizeof(double));
    v->source = llmbo_calloc((size_t)n + 1, sizeof(int));
    v->x = llmbo_calloc((size_t)n * (size_t)d + 1, sizeof(double));
    v->names = llmbo_calloc((size_t)d + 1, sizeof(char *));
    v->lo = llmbo_calloc((size_t)d + 1, sizeof(double));
    v->hi = llmbo_calloc((size_t)d + 1, sizeof(double));
    v->logscale = llmbo_calloc((size_t)d + 1, sizeof(int));
    v->cat = llmbo_calloc((size_t)d + 1, sizeof(int));
    return v->y && v->best && v->source && v->x && v->names && v->lo && v->hi && v->logscale &&
                   v->cat
               ? LLMBO_OK
               : LLMBO_ERR_NOMEM;
}

llmbo_status llmbo_run_view_load(const char *dir, run_view *v, llmbo_error *err)
{
    memset(v, 0, sizeof *v);
    char path[4096];
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    cJSON **lines = NULL;
    int n = 0;
    llmbo_status st = llmbo_journal_read(path, 0, &lines, &n, NULL, err);
    if (st != LLMBO_OK)
        return st;
    if (n == 0) {
        llmbo_journal_lines_free(lines, n);
        return llmbo_error_set(err, LLMBO_ERR_PARSE, "%s: no evaluations yet", path);
    }
    v->obj = config_objective(dir);
    const llmbo_space *space = v->obj ? llmbo_objective_space(v->obj) : NULL;
    const cJSON *named0 = cJSON_GetObjectItemCaseSensitive(lines[0], "x");
    int d = space ? llmbo_space_dim(space) : cJSON_GetArraySize(named0);
    if (d < 1 || (st = view_alloc(v, n, d)) != LLMBO_OK) {
        llmbo_journal_lines_free(lines, n);
        return d < 1 ? llmbo_error_set(err, LLMBO_ERR_PARSE, "%s:1: no parameters (\"x\")", path)
                     : llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    }
    v->maximize = v->obj ? llmbo_objective_maximize(v->obj) : 0;
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = space ? llmbo_space_param(space, j) : NULL;
        const cJSON *k = space ? NULL : cJSON_GetArrayItem(named0, j);
        v->names[j] = llmbo_strdup(p ? p->name : k && k->string ? k->string : "x");
        if (!v->names[j]) {
            llmbo_journal_lines_free(lines, n);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
        }
        v->lo[j] = p ? p->lo : NAN;
        v->hi[j] = p ? p->hi : NAN;
        v->logscale[j] = p && p->type == LLMBO_PARAM_LOG;
        v->cat[j] = p && p->type == LLMBO_PARAM_CATEGORICAL ? p->n_choices : 0;
        if (v->cat[j]) {
            v->lo[j] = -0.5;
            v->hi[j] = v->cat[j] - 0.5;
        }
    }
    v->best_i = -1;
    for (int i = 0; i < n; i++) {
        llmbo_journal_entry e;
        st = llmbo_journal_entry_read(lines[i], d, &e);
        if (st != LLMBO_OK) {
            llmbo_journal_lines_free(lines, n);
            return llmbo_error_set(err, st, "%s: out of memory", path);
        }
        v->y[i] = e.failed ? NAN : e.y;
        v->best[i] = e.best;
        v->source[i] = e.source;
        for (int j = 0; j < d; j++)
            v->x[(size_t)i * d + j] = e.x ? e.x[j] : NAN;
        if (!isnan(e.regret))
            v->final_regret = e.regret, v->regret_known = 1;
        v->failed += e.failed || !isfinite(v->y[i]);
        if (e.has_cost)
            v->cost = e.cost;
        if (isfinite(v->y[i]) && (v->best_i < 0 || (v->maximize ? v->y[i] > v->y[v->best_i]
                                                                : v->y[i] < v->y[v->best_i])))
            v->best_i = i;
        llmbo_journal_entry_clear(&e);
    }
    if (v->best_i >= 0) {
        /* The numbers printed exactly (llmbo_json_number: cJSON's own printer may round). */
        cJSON *bx = cJSON_CreateObject();
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(lines[v->best_i], "x"))
        {
            cJSON *c =
                cJSON_IsNumber(it) ? llmbo_json_number(it->valuedouble) : cJSON_Duplicate(it, 1);
            if (bx && c && it->string && cJSON_AddItemToObject(bx, it->string, c))
                continue;
            cJSON_Delete(c);
        }
        char *t = bx ? cJSON_PrintUnformatted(bx) : NULL;
        snprintf(v->best_x, sizeof v->best_x, "%s", t ? t : "");
        cJSON_free(t);
        cJSON_Delete(bx);
    }
    llmbo_journal_lines_free(lines, n);
    /* Without a space, each axis spans its data. */
    for (int j = 0; j < d; j++) {
        if (!isnan(v->lo[j]))
            continue;
        double lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++) {
            double t = v->x[(size_t)i * d + j];
            if (isfinite(t)) {
                lo = fmin(lo, t);
                hi = fmax(hi, t);
            }
        }
        v->lo[j] = isfinite(lo) ? lo : 0.0;
        v->hi[j] = isfinite(hi) ? hi : 1.0;
    }
    /* The run's name and settings from summary.json or config.json, if there. */
    static const char *const files[] = {"summary.json", "config.json"};
    for (size_t f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[f]);
        cJSON *j = llmbo_path_exists(path) ? llmbo_json_read_file(path, NULL) : NULL;
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "objective");
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "strategy");
        const cJSON *seed = cJSON_GetObjectItemCaseSensitive(j, "seed");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "maximize");
        if (!v->objective[0] && cJSON_IsString(o))
            snprintf(v->objective, sizeof v->objective, "%s", o->valuestring);
        if (!v->strategy[0] && cJSON_IsString(s))
            snprintf(v->strategy, sizeof v->strategy, "%s", s->valuestring);
        if (!v->has_seed && cJSON_IsNumber(seed)) {
            v->seed = seed->valuedouble;
            v->has_seed = 1;
        }
        if (!v->obj && cJSON_IsBool(m))
            v->maximize = cJSON_IsTrue(m);
        v->complete |= f == 0 && j != NULL;
        cJSON_Delete(j);
    }
    if (!v->objective[0] && v->obj)
        snprintf(v->objective, sizeof v->objective, "%s", llmbo_objective_name(v->obj));
    return LLMBO_OK;
}

static const char *source_name(int s)
{
    static const char *const names[] = {"init", "gp", "llm", "random"};
    return s >= 0 && s < 4 ? names[s] : "unknown";
}

llmbo_status llmbo_report_run_generate(const char *dir, const llmbo_report_options *opt,
                                       llmbo_error *err)
{
    run_view v;
    llmbo_status st = llmbo_run_view_load(dir, &v, err);
    if (st != LLMBO_OK) {
        llmbo_run_view_clear(&v);
        return st;
    }
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(&sb, "# llmbo run report: %s\n\n", v.objective[0] ? v.objective : dir);
    llmbo_strbuf_printf(&sb, "- run directory: `%s` (%s)\n", dir,
                        v.complete ? "finished: summary.json present"
                                   : "unfinished: no summary.json yet");
    llmbo_strbuf_printf(&sb, "- strategy: %s; seed: ", v.strategy[0] ? v.strategy : "unknown");
    if (v.has_seed)
        llmbo_strbuf_printf(&sb, "%.0f\n", v.seed);
    else
        llmbo_strbuf_printf(&sb, "unknown\n");
    llmbo_strbuf_printf(&sb, "- evaluations: %d, failed: %ld (%s)\n", v.n, v.failed,
                        v.maximize ? "maximised" : "minimised");
    if (v.best_i >= 0) {
        llmbo_strbuf_printf(&sb, "- best value: %.17g at evaluation %d (source %s)\n",
                            v.y[v.best_i], v.best_i + 1, source_name(v.source[v.best_i]));
        llmbo_strbuf_printf(&sb, "- best parameters: `%s`\n", v.best_x);
    } else {
        llmbo_strbuf_printf(&sb, "- best value: none (no evaluation succeeded)\n");
    }
    if (v.regret_known)
        llmbo_strbuf_printf(&sb, "- simple regret after the last evaluation: %.6g\n",
                            v.final_regret);
    long adv_asked, adv_failed = llmbo_cost_failed(&v.cost, &adv_asked);
    if (v.cost.calls > 0 || adv_failed > 0)
        llmbo_strbuf_printf(&sb,
                            "- advisor: %ld calls, %ld prompt + %ld completion tokens (%ld "
                            "reasoning), $%.6g\n",
                            v.cost.calls, v.cost.prompt_tokens, v.cost.completion_tokens,
                            v.cost.reasoning_tokens, v.cost.dollars);
    if (adv_failed > 0) {
        /* said in the report, not only in the run's stderr: those decisions were the loop's */
        llmbo_strbuf_printf(
            &sb,
            "- **%sadvisor requests failed: %ld of %ld**; the loop made those "
            "decisions itself (its fallback)%s; the first reason: ",
            adv_failed >= adv_asked ? "WARNING: every one of the " : "", adv_failed, adv_asked,
            adv_failed >= adv_asked ? ", so no point of this run is the advisor's" : "");
        char why[256] = "";
        llmbo_report_first_advisor_error(dir, why, sizeof why);
        for (const char *c = why[0] ? why : "(not recorded in advisor.jsonl)"; *c; c++)
            llmbo_strbuf_printf(&sb, "%c", *c == '\n' ? ' ' : *c);
        llmbo_strbuf_printf(&sb, "\n");
    }
    llmbo_strbuf_printf(&sb, "\n## Best value so far\n\nEvery evaluation (marker shape and colour "
                             "by source) and the best value found up to it (line).\n\n"
                             "![best so far](best.svg)\n\n## Parameters\n\nEach parameter "
                             "against the evaluation; the best evaluation is labelled.\n\n"
                             "![parameters](params.svg)\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", dir);
    if (sb.oom)
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    else
        st = llmbo_write_file_atomic(path, sb.s, err);
    llmbo_strbuf_free(&sb);
    if (st == LLMBO_OK)
        st = llmbo_report_plot_run_best(dir, &v, err);
    if (st == LLMBO_OK)
        st = llmbo_report_plot_run_params(dir, &v, err);
    if (st == LLMBO_OK && opt->png) {
        llmbo_report_png(dir, "best.svg");
        llmbo_report_png(dir, "params.svg");
    }
    if (st == LLMBO_OK && !opt->quiet)
        fprintf(stderr,
                "report: one run, %d evaluations; wrote %s/report.md, best.svg and "
                "params.svg\n",
                v.n, dir);
    llmbo_run_view_clear(&v);
    return st;
}
