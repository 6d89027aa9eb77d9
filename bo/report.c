/* report.c: llmbo report DIR. Loads every run of a bench directory (bench.json gives the grid and
 * its order; without it the runs/ tree is scanned in name order), aggregates per objective and
 * strategy (median and interquartile range over seeds, type-7 quantiles), ranks strategies per
 * objective, finds cost/regret Pareto fronts, and writes summary.csv, report.md, timing.csv and
 * SVG plots. Only deterministic journal fields reach summary.csv, report.md and the plots; wall
 * and CPU times go to timing.csv alone, so sharded and single-process benches report the same
 * bytes. Definitions: docs/bench.md. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "strbuf.h"
#include "json.h"
#include "bench.h"
#include "report.h"
#include "svg.h"

/* ------------------------------------------------------------------------------------------ */
/* Statistics                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

void llmbo_sort_doubles(double *v, int n)
{
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double llmbo_quantile_sorted(const double *v, int n, double p)
{
    if (n < 1 || isnan(p))
        return NAN;
    if (p <= 0.0)
        return v[0];
    if (p >= 1.0)
        return v[n - 1];
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    double w = h - lo;
    if (w == 0.0 || lo + 1 >= n)
        return v[lo];
    if (isinf(v[lo + 1]) || isinf(v[lo]))
        return v[lo] + (v[lo + 1] > v[lo] ? INFINITY : 0.0);
    return v[lo] + w * (v[lo + 1] - v[lo]);
}

void llmbo_average_ranks(const double *v, int n, double *rank)
{
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            rank[i] = NAN;
            continue;
        }
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            if (isnan(v[j]))
                continue;
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        /* ranks less+1 .. less+equal, averaged */
        rank[i] = less + (equal + 1) / 2.0;
    }
}

int llmbo_pareto_front(const double *cost, const double *perf, int n, int *on_front)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = !isnan(cost[i]) && !isnan(perf[i]);
        for (int j = 0; on_front[i] && j < n; j++) {
            if (j == i || isnan(cost[j]) || isnan(perf[j]))
                continue;
            if (cost[j] <= cost[i] && perf[j] <= perf[i] &&
                (cost[j] < cost[i] || perf[j] < perf[i]))
                on_front[i] = 0;
        }
        count += on_front[i];
    }
    return count;
}

double llmbo_log_regret_auc(const double *r, int n, double r_ref)
{
    if (n < 1 || !(r_ref > 0.0) || !isfinite(r_ref))
        return NAN;
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        double t;
        if (isnan(r[i]) || isinf(r[i]))
            t = 1.0;
        else if (r[i] <= 0.0)
            t = 0.0;
        else
            t = 1.0 + log10(r[i] / r_ref) / LLMBO_AUC_DECADES;
        s += t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    }
    return s / n;
}

void llmbo_report_options_default(llmbo_report_options *opt)
{
    opt->cost = LLMBO_COST_AUTO;
    opt->png = 1;
    opt->quiet = 0;
}

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

/* Markdown table cell text: '|' escaped. */
static void sb_md(llmbo_strbuf *b, const char *s)
{
    for (; *s; s++)
        llmbo_strbuf_printf(b, *s == '|' ? "\\|" : *s == '\n' ? " " : "%c", *s);
}

/* ------------------------------------------------------------------------------------------ */
/* Loading runs                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* Deterministic cost counters (journal/summary "advisor" object), then the timing ones. */
static const char *const cost_keys[] = {
    "calls",         "retries", "prompt_tokens", "completion_tokens", "reasoning_tokens",
    "cached_tokens", "dollars", "valid",         "repaired",          "fallback",
    "errors"};
#define N_COST       11
#define C_CALLS      0
#define C_PROMPT     2
#define C_COMPLETION 3
#define C_DOLLARS    6
/* timing[]: the cost record's seconds, cpu_seconds, cpu_dollars */
#define N_TIME 3

typedef struct run_data {
    int present;    /* journal.jsonl exists */
    int complete;   /* summary.json exists */
    int n;          /* journal lines */
    double *regret; /* (n) journal "regret" (NaN for null) */
    double *best;   /* (n) journal "best" (NaN for null) */
    double *metric; /* (n) regret, or gap to the bench's best value when the optimum is unknown */
    int regret_known;
    int maximize;
    double optimal_value; /* NaN if unknown */
    double cost[N_COST];
    double timing[N_TIME];
    double obj_seconds, wall_seconds;
    long failed;
    char version[32];
    char model[128];
    char backend[64];
    char price_date[192]; /* where the advisor's prices came from, with the table's date */
} run_data;

static void run_data_clear(run_data *r)
{
    llmbo_free(r->regret);
    llmbo_free(r->best);
    llmbo_free(r->metric);
    memset(r, 0, sizeof *r);
}

static double num_or_nan(const cJSON *v)
{
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The cost record's counters into the report's columns (cost_keys, time_keys order). */
static void read_cost(const cJSON *adv, double *cost, double *timing)
{
    llmbo_cost c;
    llmbo_cost_from_json(adv, &c);
    const double v[N_COST] = {(double)c.calls,
                              (double)c.retries,
                              (double)c.prompt_tokens,
                              (double)c.completion_tokens,
                              (double)c.reasoning_tokens,
                              (double)c.cached_tokens,
                              c.dollars,
                              (double)c.valid,
                              (double)c.repaired,
                              (double)c.fallback,
                              (double)c.errors};
    memcpy(cost, v, sizeof v);
    if (timing) {
        timing[0] = c.seconds;
        timing[1] = c.cpu_seconds;
        timing[2] = c.cpu_dollars;
    }
}

static void copy_json_str(char *dst, size_t n, const cJSON *v)
{
    if (cJSON_IsString(v) && !dst[0])
        snprintf(dst, n, "%s", v->valuestring);
}

/* Looks for the price-table date under the names the advisor may use. */
static void find_price_date(char *dst, size_t n, const cJSON *obj)
{
    static const char *const keys[] = {"price_table_date", "prices_date", "price_date",
                                       "prices_read"};
    if (!cJSON_IsObject(obj))
        return;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        copy_json_str(dst, n, cJSON_GetObjectItemCaseSensitive(obj, keys[k]));
}

/* The price source of a run's advisor, from the first line of its call log (advisor.jsonl,
 * "price_source"): "TABLE: MODEL (read DATE)" for a price table, which is kept; a price given in
 * the config names the run's own file, which would differ between directories, so it becomes a
 * fixed phrase. */
static void read_price_source(const char *rundir, char *dst, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/advisor.jsonl", rundir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    fclose(f);
    cJSON *j = len > 0 ? cJSON_ParseWithLength(line, (size_t)len) : NULL;
    free(line);
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "price_source");
    if (cJSON_IsString(src) && !dst[0]) {
        if (strstr(src->valuestring, "(read "))
            snprintf(dst, n, "%s", src->valuestring);
        else
            snprintf(dst, n, "prices given in the run config");
    }
    cJSON_Delete(j);
}

static llmbo_status load_run(const char *rundir, const cJSON *bench_cfg, run_data *r,
                             llmbo_error *err)
{
    char path[4096];
    memset(r, 0, sizeof *r);
    r->optimal_value = NAN;
    snprintf(path, sizeof path, "%s/summary.json", rundir);
    r->complete = llmbo_path_exists(path);
    cJSON *summary = NULL, *last_adv = NULL;
    char *text = NULL;
    if (r->complete) {
        summary = llmbo_json_read_file(path, err);
        if (!summary)
            return err ? err->status : LLMBO_ERR_PARSE;
    }
    snprintf(path, sizeof path, "%s/journal.jsonl", rundir);
    r->present = llmbo_path_exists(path);
    if (!r->present) {
        cJSON_Delete(summary);
        if (r->complete)
            return llmbo_error_set(err, LLMBO_ERR_IO, "%s: missing (summary.json exists)", path);
        return LLMBO_OK;
    }
    size_t len;
    text = llmbo_read_file(path, &len, err);
    if (!text) {
        cJSON_Delete(summary);
        return err ? err->status : LLMBO_ERR_IO;
    }
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    r->regret = llmbo_malloc((size_t)lines + 1, sizeof(double));
    r->best = llmbo_malloc((size_t)lines + 1, sizeof(double));
    r->metric = llmbo_malloc((size_t)lines + 1, sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (!r->regret || !r->best || !r->metric) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    char *p = text;
    int lineno = 0;
    while (*p) {
        char *nl = strchr(p, '\n');
        lineno++;
        if (!nl && !r->complete)
            break; /* a line cut short by a kill: the run resumes from before it */
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *j = cJSON_ParseWithLength(p, l);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            st = llmbo_error_set(err, LLMBO_ERR_PARSE, "%s:%d: not a JSON object", path, lineno);
            goto done;
        }
        r->regret[r->n] = num_or_nan(cJSON_GetObjectItemCaseSensitive(j, "regret"));
        r->best[r->n] = num_or_nan(cJSON_GetObjectItemCaseSensitive(j, "best"));
        if (!isnan(r->regret[r->n]))
            r->regret_known = 1;
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (cJSON_IsString(status) && strcmp(status->valuestring, "ok") != 0)
            r->failed++;
        double te = num_or_nan(cJSON_GetObjectItemCaseSensitive(j, "t_eval"));
        if (!isnan(te))
            r->obj_seconds += te;
        double tw = num_or_nan(cJSON_GetObjectItemCaseSensitive(j, "t_wall"));
        if (!isnan(tw))
            r->wall_seconds = tw;
        cJSON *adv = cJSON_DetachItemFromObjectCaseSensitive(j, "advisor");
        if (adv) {
            cJSON_Delete(last_adv);
            last_adv = adv;
        }
        cJSON_Delete(j);
        r->n++;
        p = nl ? nl + 1 : p + l;
    }
    if (last_adv)
        read_cost(last_adv, r->cost, r->timing);
    if (summary) {
        const cJSON *adv = cJSON_GetObjectItemCaseSensitive(summary, "advisor");
        if (cJSON_IsObject(adv))
            read_cost(adv, r->cost, r->timing);
        r->optimal_value = num_or_nan(cJSON_GetObjectItemCaseSensitive(summary, "optimal_value"));
        r->maximize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(summary, "maximize"));
        double w = num_or_nan(cJSON_GetObjectItemCaseSensitive(summary, "wall_seconds"));
        if (!isnan(w))
            r->wall_seconds = w;
        copy_json_str(r->version, sizeof r->version,
                      cJSON_GetObjectItemCaseSensitive(summary, "llmbo_version"));
        copy_json_str(r->model, sizeof r->model,
                      cJSON_GetObjectItemCaseSensitive(summary, "model"));
        find_price_date(r->price_date, sizeof r->price_date, summary);
        find_price_date(r->price_date, sizeof r->price_date, adv);
    }
    read_price_source(rundir, r->price_date, sizeof r->price_date);
    /* The resolved run config names the advisor's backend and model. */
    snprintf(path, sizeof path, "%s/config.json", rundir);
    if (!llmbo_path_exists(path))
        snprintf(path, sizeof path, "%s/run.json", rundir);
    cJSON *own = llmbo_path_exists(path) ? llmbo_json_read_file(path, NULL) : NULL;
    const cJSON *cfg = own ? own : bench_cfg; /* else the cell config bench.json implies */
    if (cfg) {
        const cJSON *adv = cJSON_GetObjectItemCaseSensitive(cfg, "advisor");
        const cJSON *strategy = cJSON_GetObjectItemCaseSensitive(cfg, "strategy");
        int classical = cJSON_IsString(strategy) && (strcmp(strategy->valuestring, "random") == 0 ||
                                                     strcmp(strategy->valuestring, "gp") == 0);
        if (cJSON_IsObject(adv) && !classical) {
            copy_json_str(r->model, sizeof r->model,
                          cJSON_GetObjectItemCaseSensitive(adv, "model"));
            copy_json_str(r->backend, sizeof r->backend,
                          cJSON_GetObjectItemCaseSensitive(adv, "backend"));
            find_price_date(r->price_date, sizeof r->price_date, adv);
        }
    }
    cJSON_Delete(own);
done:
    cJSON_Delete(last_adv);
    cJSON_Delete(summary);
    llmbo_free(text);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Grid without bench.json: scan runs/OBJ/STRATEGY/seed-N                                      */
/* ------------------------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* Sorted names of the subdirectories of path (NULL-terminated, caller frees); *n gets the count. */
static char **list_dirs(const char *path, int *n)
{
    *n = 0;
    DIR *d = opendir(path);
    if (!d)
        return NULL;
    int cap = 16;
    char **v = llmbo_malloc((size_t)cap + 1, sizeof(char *));
    struct dirent *e;
    while (v && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        DIR *t = opendir(sub);
        if (!t)
            continue;
        closedir(t);
        if (*n == cap) {
            char **nv = llmbo_realloc(v, (size_t)cap * 2 + 1, sizeof(char *));
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        v[*n] = llmbo_strdup(e->d_name);
        if (v[*n])
            (*n)++;
    }
    closedir(d);
    if (v) {
        qsort(v, (size_t)*n, sizeof *v, cmp_str);
        v[*n] = NULL;
    }
    return v;
}

static void free_names(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        llmbo_free(v[i]);
    llmbo_free(v);
}

static llmbo_status scan_grid(const char *dir, llmbo_bench **out, llmbo_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/runs", dir);
    int n_obj = 0;
    char **objs = list_dirs(path, &n_obj);
    if (n_obj == 0) {
        free_names(objs, n_obj);
        return llmbo_error_set(err, LLMBO_ERR_IO,
                               "%s: no bench.json and no runs/OBJECTIVE/ "
                               "directories: not a bench directory",
                               dir);
    }
    llmbo_bench *b = llmbo_calloc(1, sizeof *b);
    char **strats = NULL;
    int n_strat = 0;
    long *seeds = NULL;
    int n_seed = 0, cap_seed = 0;
    llmbo_status st = LLMBO_OK;
    if (!b)
        goto oom;
    for (int o = 0; o < n_obj; o++) {
        snprintf(path, sizeof path, "%s/runs/%s", dir, objs[o]);
        int ns = 0;
        char **ss = list_dirs(path, &ns);
        for (int s = 0; s < ns; s++) {
            int known = 0;
            for (int k = 0; k < n_strat; k++)
                known |= strcmp(strats[k], ss[s]) == 0;
            if (!known) {
                char **nv = llmbo_realloc(strats, (size_t)n_strat + 1, sizeof(char *));
                if (!nv) {
                    free_names(ss, ns);
                    goto oom;
                }
                strats = nv;
                strats[n_strat] = llmbo_strdup(ss[s]);
                if (!strats[n_strat]) {
                    free_names(ss, ns);
                    goto oom;
                }
                n_strat++;
            }
            char p2[4096];
            snprintf(p2, sizeof p2, "%s/%s", path, ss[s]);
            int nr = 0;
            char **rs = list_dirs(p2, &nr);
            for (int r = 0; r < nr; r++) {
                char *end;
                if (strncmp(rs[r], "seed-", 5) != 0)
                    continue;
                long sd = strtol(rs[r] + 5, &end, 10);
                if (*end || end == rs[r] + 5)
                    continue;
                int dup = 0;
                for (int k = 0; k < n_seed; k++)
                    dup |= seeds[k] == sd;
                if (dup)
                    continue;
                if (n_seed == cap_seed) {
                    cap_seed = cap_seed ? 2 * cap_seed : 16;
                    long *nv = llmbo_realloc(seeds, (size_t)cap_seed, sizeof(long));
                    if (!nv) {
                        free_names(rs, nr);
                        free_names(ss, ns);
                        goto oom;
                    }
                    seeds = nv;
                }
                seeds[n_seed++] = sd;
            }
            free_names(rs, nr);
        }
        free_names(ss, ns);
    }
    if (n_strat == 0 || n_seed == 0) {
        st = llmbo_error_set(err, LLMBO_ERR_IO,
                             "%s/runs: no runs/OBJECTIVE/STRATEGY/seed-N directories", dir);
        goto fail;
    }
    if (n_strat > 1)
        qsort(strats, (size_t)n_strat, sizeof *strats, cmp_str);
    qsort(seeds, (size_t)n_seed, sizeof *seeds, cmp_long);
    b->obj = llmbo_calloc((size_t)n_obj, sizeof *b->obj);
    b->strat = llmbo_calloc((size_t)n_strat, sizeof *b->strat);
    if (!b->obj || !b->strat)
        goto oom;
    for (int o = 0; o < n_obj; o++) {
        b->obj[o].name = llmbo_strdup(objs[o]);
        b->obj[o].dir = llmbo_strdup(objs[o]);
        b->n_obj = o + 1;
        if (!b->obj[o].name || !b->obj[o].dir)
            goto oom;
    }
    for (int s = 0; s < n_strat; s++) {
        b->strat[s].name = strats[s];
        strats[s] = NULL;
        b->n_strat = s + 1;
    }
    b->seeds = seeds;
    seeds = NULL;
    b->n_seed = n_seed;
    free_names(objs, n_obj);
    free_names(strats, n_strat);
    *out = b;
    return LLMBO_OK;
oom:
    st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory scanning runs", dir);
fail:
    free_names(objs, n_obj);
    free_names(strats, n_strat);
    llmbo_free(seeds);
    llmbo_bench_free(b);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Aggregation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

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
    int n_complete, n_incomplete, n_missing;
} report;

static group *grp(report *R, int o, int s)
{
    return &R->g[o * R->bench->n_strat + s];
}

static run_data *run_at(report *R, int o, int s, int r)
{
    return &R->runs[(o * R->bench->n_strat + s) * R->bench->n_seed + r];
}

static double cost_of(const report *R, const double *cost)
{
    switch (R->cost_kind) {
    case LLMBO_COST_TOKENS:
        return cost[C_PROMPT] + cost[C_COMPLETION];
    case LLMBO_COST_CALLS:
        return cost[C_CALLS];
    default:
        return cost[C_DOLLARS];
    }
}

static void objective_prepare(report *R, int o)
{
    const llmbo_bench *b = R->bench;
    objective_info *oi = &R->oi[o];
    oi->optimal_value = NAN;
    oi->best_all = NAN;
    oi->r_ref = NAN;
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            if (!d->complete)
                continue;
            oi->regret_known |= d->regret_known;
            oi->maximize |= d->maximize;
            if (!isnan(d->optimal_value))
                oi->optimal_value = d->optimal_value;
        }
    /* Best value over every complete run: the reference of the gap when the optimum is unknown. */
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            if (!d->complete || d->n == 0 || isnan(d->best[d->n - 1]))
                continue;
            double v = d->best[d->n - 1];
            if (isnan(oi->best_all) || (oi->maximize ? v > oi->best_all : v < oi->best_all))
                oi->best_all = v;
        }
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            for (int i = 0; i < d->n; i++)
                d->metric[i] = oi->regret_known ? d->regret[i] : fabs(d->best[i] - oi->best_all);
            if (!d->complete)
                continue;
            /* reference: the worst metric after the first successful evaluation */
            for (int i = 0; i < d->n; i++) {
                if (isnan(d->metric[i]))
                    continue;
                if (isnan(oi->r_ref) || d->metric[i] > oi->r_ref)
                    oi->r_ref = d->metric[i];
                break;
            }
        }
}

static llmbo_status group_compute(report *R, int o, int s, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    group *g = grp(R, o, s);
    int nr = b->n_seed;
    double *fin = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *auc = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *bst = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *col = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *bcol = llmbo_malloc((size_t)nr + 1, sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (!fin || !auc || !bst || !col || !bcol) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    int k = 0;
    for (int r = 0; r < nr; r++) {
        run_data *d = run_at(R, o, s, r);
        if (!d->present && !d->complete) {
            g->missing++;
            continue;
        }
        if (!d->complete) {
            g->incomplete++;
            continue;
        }
        g->runs++;
        if (d->n > g->len)
            g->len = d->n;
        double f = d->n ? d->metric[d->n - 1] : NAN;
        fin[k] = isnan(f) ? INFINITY : f;
        auc[k] = llmbo_log_regret_auc(d->metric, d->n, R->oi[o].r_ref);
        bst[k] = d->n ? d->best[d->n - 1] : NAN;
        for (int c = 0; c < N_COST; c++)
            g->cost[c] += d->cost[c];
        for (int c = 0; c < N_TIME; c++)
            g->timing[c] += d->timing[c];
        g->obj_seconds += d->obj_seconds;
        g->wall_seconds += d->wall_seconds;
        g->evals += d->n;
        g->failed += (double)d->failed;
        k++;
    }
    g->final_med = g->final_q25 = g->final_q75 = NAN;
    g->auc_med = g->auc_q25 = g->auc_q75 = g->best_med = NAN;
    g->rank = NAN;
    if (k > 0) {
        for (int c = 0; c < N_COST; c++)
            g->cost[c] /= k;
        for (int c = 0; c < N_TIME; c++)
            g->timing[c] /= k;
        g->obj_seconds /= k;
        g->wall_seconds /= k;
        g->evals /= k;
        g->failed /= k;
        llmbo_sort_doubles(fin, k);
        llmbo_sort_doubles(auc, k);
        g->final_med = llmbo_quantile_sorted(fin, k, 0.5);
        g->final_q25 = llmbo_quantile_sorted(fin, k, 0.25);
        g->final_q75 = llmbo_quantile_sorted(fin, k, 0.75);
        g->auc_med = llmbo_quantile_sorted(auc, k, 0.5);
        g->auc_q25 = llmbo_quantile_sorted(auc, k, 0.25);
        g->auc_q75 = llmbo_quantile_sorted(auc, k, 0.75);
        int kb = 0;
        for (int i = 0; i < k; i++)
            if (!isnan(bst[i]))
                bst[kb++] = bst[i];
        llmbo_sort_doubles(bst, kb);
        g->best_med = llmbo_quantile_sorted(bst, kb, 0.5);
    }
    g->cost_axis = k > 0 ? cost_of(R, g->cost) : NAN;
    if (g->len > 0) {
        size_t L = (size_t)g->len;
        g->med = llmbo_malloc(L, sizeof(double));
        g->q25 = llmbo_malloc(L, sizeof(double));
        g->q75 = llmbo_malloc(L, sizeof(double));
        g->bmed = llmbo_malloc(L, sizeof(double));
        g->bq25 = llmbo_malloc(L, sizeof(double));
        g->bq75 = llmbo_malloc(L, sizeof(double));
        if (!g->med || !g->q25 || !g->q75 || !g->bmed || !g->bq25 || !g->bq75) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
            goto done;
        }
        for (int i = 0; i < g->len; i++) {
            int m = 0, mb = 0;
            for (int r = 0; r < nr; r++) {
                run_data *d = run_at(R, o, s, r);
                if (!d->complete || d->n <= i)
                    continue;
                col[m++] = isnan(d->metric[i]) ? INFINITY : d->metric[i];
                if (!isnan(d->best[i]))
                    bcol[mb++] = d->best[i];
            }
            llmbo_sort_doubles(col, m);
            llmbo_sort_doubles(bcol, mb);
            g->med[i] = llmbo_quantile_sorted(col, m, 0.5);
            g->q25[i] = llmbo_quantile_sorted(col, m, 0.25);
            g->q75[i] = llmbo_quantile_sorted(col, m, 0.75);
            g->bmed[i] = llmbo_quantile_sorted(bcol, mb, 0.5);
            g->bq25[i] = llmbo_quantile_sorted(bcol, mb, 0.25);
            g->bq75[i] = llmbo_quantile_sorted(bcol, mb, 0.75);
        }
    }
done:
    llmbo_free(fin);
    llmbo_free(auc);
    llmbo_free(bst);
    llmbo_free(col);
    llmbo_free(bcol);
    return st;
}

static llmbo_status aggregate(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    for (int o = 0; o < b->n_obj; o++) {
        objective_prepare(R, o);
        for (int s = 0; s < S; s++) {
            llmbo_status st = group_compute(R, o, s, err);
            if (st)
                return st;
        }
    }
    double *v = llmbo_malloc((size_t)S, sizeof(double));
    double *c = llmbo_malloc((size_t)S, sizeof(double));
    double *rk = llmbo_malloc((size_t)S, sizeof(double));
    int *front = llmbo_malloc((size_t)S, sizeof(int));
    int *nrank = llmbo_calloc((size_t)S, sizeof(int));
    int *ncost = llmbo_calloc((size_t)S, sizeof(int));
    if (!v || !c || !rk || !front || !nrank || !ncost) {
        llmbo_free(v);
        llmbo_free(c);
        llmbo_free(rk);
        llmbo_free(front);
        llmbo_free(nrank);
        llmbo_free(ncost);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
    }
    for (int s = 0; s < S; s++)
        R->avg_rank[s] = R->mean_auc[s] = R->cost_overall[s] = 0.0;
    for (int o = 0; o < b->n_obj; o++) {
        for (int s = 0; s < S; s++) {
            v[s] = grp(R, o, s)->final_med;
            c[s] = grp(R, o, s)->cost_axis;
        }
        llmbo_average_ranks(v, S, rk);
        llmbo_pareto_front(c, v, S, front);
        for (int s = 0; s < S; s++) {
            group *g = grp(R, o, s);
            g->rank = rk[s];
            g->pareto = front[s];
            if (!isnan(rk[s])) {
                R->avg_rank[s] += rk[s];
                R->mean_auc[s] += g->auc_med;
                nrank[s]++;
            }
            if (!isnan(c[s])) {
                R->cost_overall[s] += c[s];
                ncost[s]++;
            }
        }
    }
    for (int s = 0; s < S; s++) {
        R->avg_rank[s] = nrank[s] ? R->avg_rank[s] / nrank[s] : NAN;
        R->mean_auc[s] = nrank[s] ? R->mean_auc[s] / nrank[s] : NAN;
        R->cost_overall[s] = ncost[s] ? R->cost_overall[s] / ncost[s] : NAN;
    }
    llmbo_pareto_front(R->cost_overall, R->avg_rank, S, R->pareto_overall);
    llmbo_free(v);
    llmbo_free(c);
    llmbo_free(rk);
    llmbo_free(front);
    llmbo_free(nrank);
    llmbo_free(ncost);
    return LLMBO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Outputs                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static llmbo_status write_buf(const report *R, const char *name, llmbo_strbuf *b, llmbo_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", R->dir, name);
    if (b->oom || !b->s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    return llmbo_write_file_atomic(path, b->s, err);
}

static llmbo_status write_summary_csv(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(
        &sb, "objective,strategy,runs,incomplete,missing,metric,evaluations,failed_evals,"
             "final_median,final_q25,final_q75,best_median,auc_median,auc_q25,auc_q75,"
             "rank,avg_rank,pareto,pareto_overall,cost_metric,cost_per_run");
    for (int k = 0; k < N_COST; k++)
        llmbo_strbuf_printf(&sb, ",%s", cost_keys[k]);
    llmbo_strbuf_printf(&sb, "\n");
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
            llmbo_strbuf_printf(&sb, "\n");
        }
    llmbo_status st = write_buf(R, "summary.csv", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}

static llmbo_status write_timing_csv(report *R, llmbo_error *err)
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
    llmbo_status st = write_buf(R, "timing.csv", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}

/* Regret (or best value) curves of one objective: median lines with IQR bands. */
static llmbo_status plot_regret(report *R, int o, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    const objective_info *oi = &R->oi[o];
    int S = b->n_strat, known = oi->regret_known;
    int len = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < S; s++) {
        group *g = grp(R, o, s);
        if (g->len > len)
            len = g->len;
        for (int i = 0; i < g->len; i++) {
            const double *v[3] = {known ? g->q25 : g->bq25, known ? g->med : g->bmed,
                                  known ? g->q75 : g->bq75};
            for (int k = 0; k < 3; k++) {
                double x = v[k][i];
                if (!isfinite(x) || (known && !(x > 0.0)))
                    continue;
                if (x < lo)
                    lo = x;
                if (x > hi)
                    hi = x;
            }
        }
    }
    if (len == 0)
        return LLMBO_OK;
    if (!isfinite(lo)) {
        lo = known ? 1e-12 : 0.0;
        hi = known ? 1.0 : 1.0;
    }
    char title[512], path[4096];
    if (known)
        snprintf(title, sizeof title, "%s: simple regret (median, IQR over %d seeds)",
                 b->obj[o].name, b->n_seed);
    else
        snprintf(title, sizeof title, "%s: best value (median, IQR over %d seeds)", b->obj[o].name,
                 b->n_seed);
    llmbo_plot *p =
        llmbo_plot_create(760, 480, title, "evaluations", known ? "simple regret" : "best value", 1,
                          len, 0, lo, hi, known);
    double *x = llmbo_malloc((size_t)len, sizeof(double));
    double *y0 = llmbo_malloc((size_t)len, sizeof(double));
    double *y1 = llmbo_malloc((size_t)len, sizeof(double));
    double *y2 = llmbo_malloc((size_t)len, sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (!p || !x || !y0 || !y1 || !y2) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
        goto done;
    }
    /* Values below the axis floor (including a regret of exactly 0) sit on the floor. */
    double floor_v = known ? pow(10.0, floor(log10(lo) + 1e-9)) : -INFINITY;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < S; s++) {
            group *g = grp(R, o, s);
            const double *m = known ? g->med : g->bmed, *a = known ? g->q25 : g->bq25,
                         *c = known ? g->q75 : g->bq75;
            for (int i = 0; i < g->len; i++) {
                x[i] = i + 1;
                y0[i] = a[i] < floor_v ? floor_v : a[i];
                y1[i] = m[i] < floor_v ? floor_v : m[i];
                y2[i] = c[i] < floor_v ? floor_v : c[i];
            }
            if (pass == 0)
                llmbo_plot_band(p, x, y0, y2, g->len, llmbo_plot_color(s));
            else
                llmbo_plot_line(p, x, y1, g->len, llmbo_plot_color(s), 2.0, NULL);
        }
    for (int s = 0; s < S; s++)
        llmbo_plot_legend(p, b->strat[s].name, llmbo_plot_color(s), -1, NULL);
    /* regret curves fall from the top left: the bottom-left corner is the emptiest */
    llmbo_plot_legend_corner(p, known ? 1 : 3);
    snprintf(path, sizeof path, "%s/regret-%s.svg", R->dir, b->obj[o].dir);
    st = llmbo_plot_write(p, path, err);
done:
    llmbo_plot_free(p);
    llmbo_free(x);
    llmbo_free(y0);
    llmbo_free(y1);
    llmbo_free(y2);
    return st;
}

/* Cost versus performance scatter with the Pareto front drawn as a staircase. */
static llmbo_status plot_pareto(report *R, const char *title, const char *ylabel, int ylog,
                                const double *cost, const double *perf, const int *front,
                                const char *file, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < S; s++) {
        if (isfinite(cost[s])) {
            xlo = fmin(xlo, cost[s]);
            xhi = fmax(xhi, cost[s]);
        }
        if (isfinite(perf[s]) && (!ylog || perf[s] > 0.0)) {
            ylo = fmin(ylo, perf[s]);
            yhi = fmax(yhi, perf[s]);
        }
    }
    if (!isfinite(xlo))
        return LLMBO_OK;
    /* The cost axis is linear and starts at 0: classical strategies cost nothing. */
    if (!(xhi > 0.0))
        xhi = 1.0;
    xhi *= 1.15;
    xlo = 0.0;
    if (!isfinite(ylo)) {
        ylo = ylog ? 1e-12 : 0.0;
        yhi = 1.0;
    }
    if (!ylog) {
        double pad = 0.08 * (yhi - ylo) + 0.05;
        ylo -= pad;
        yhi += pad;
    }
    char xlabel[128], path[4096];
    snprintf(xlabel, sizeof xlabel, "advisor cost per run (%s)", R->cost_label);
    llmbo_plot *p = llmbo_plot_create(760, 480, title, xlabel, ylabel, xlo, xhi, 0, ylo, yhi, ylog);
    if (!p)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
    double floor_v = ylog ? pow(10.0, floor(log10(ylo) + 1e-9)) : -INFINITY;
    /* front points sorted by cost: staircase through them */
    int nf = 0;
    double fx[2 * 64 + 2], fy[2 * 64 + 2];
    int idx[64];
    for (int s = 0; s < S && nf < 64; s++)
        if (front[s])
            idx[nf++] = s;
    for (int i = 1; i < nf; i++)
        for (int j = i;
             j > 0 && (cost[idx[j]] < cost[idx[j - 1]] ||
                       (cost[idx[j]] == cost[idx[j - 1]] && perf[idx[j]] > perf[idx[j - 1]]));
             j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    int m = 0;
    for (int i = 0; i < nf; i++) {
        double yv = fmax(perf[idx[i]], floor_v);
        if (m > 0) {
            fx[m] = cost[idx[i]];
            fy[m] = fy[m - 1];
            m++;
        }
        fx[m] = cost[idx[i]];
        fy[m] = yv;
        m++;
    }
    if (m > 0) {
        fx[m] = xhi;
        fy[m] = fy[m - 1];
        m++;
        llmbo_plot_line(p, fx, fy, m, "#444444", 1.5, "6 4");
    }
    for (int s = 0; s < S; s++) {
        char label[160];
        snprintf(label, sizeof label, "%s%s", b->strat[s].name, front[s] ? " *" : "");
        llmbo_plot_marker(p, cost[s], fmax(perf[s], floor_v), s % 4, llmbo_plot_color(s), front[s],
                          label);
    }
    for (int s = 0; s < S; s++)
        llmbo_plot_legend(p, b->strat[s].name, llmbo_plot_color(s), s % 4, NULL);
    llmbo_plot_legend(p, "Pareto front (filled, *)", "#444444", -1, "6 4");
    snprintf(path, sizeof path, "%s/%s", R->dir, file);
    llmbo_status st = llmbo_plot_write(p, path, err);
    llmbo_plot_free(p);
    return st;
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
    llmbo_strbuf_printf(sb, "\n- grid: %d objectives x %d strategies x %d seeds = %d runs (%s)\n",
                        b->n_obj, b->n_strat, b->n_seed, R->n_cells,
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

static llmbo_status write_report_md(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    llmbo_strbuf sb = LLMBO_STRBUF_INIT;
    llmbo_strbuf_printf(&sb, "# llmbo bench report%s%s\n\n", b->title ? ": " : "",
                        b->title ? b->title : "");
    llmbo_strbuf_printf(
        &sb,
        "Regret is the simple regret |best - optimum| after each evaluation (for an objective "
        "whose optimum is unknown: the gap to the best value any run of this bench found). "
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
    llmbo_status st = write_buf(R, "report.md", &sb, err);
    llmbo_strbuf_free(&sb);
    return st;
}

static void maybe_png(const report *R, const char *svgname)
{
    /* rsvg-convert (Debian's librsvg2-bin), when installed, gives PNG copies. */
    static int have = -1;
    if (have < 0)
        have = system("command -v rsvg-convert >/dev/null 2>&1") == 0;
    if (!have)
        return;
    char cmd[8192];
    size_t n = strlen(svgname);
    snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s/%.*s.png' '%s/%s' >/dev/null 2>&1", R->dir,
             (int)(n - 4), svgname, R->dir, svgname);
    if (strchr(R->dir, '\'') == NULL && system(cmd) != 0)
        have = 0;
}

static llmbo_status write_plots(report *R, const llmbo_report_options *opt, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    double *perf = llmbo_malloc((size_t)S, sizeof(double));
    double *cost = llmbo_malloc((size_t)S, sizeof(double));
    int *front = llmbo_malloc((size_t)S, sizeof(int));
    llmbo_status st = LLMBO_OK;
    if (!perf || !cost || !front) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    char name[1024], title[512];
    for (int o = 0; o < b->n_obj && !st; o++) {
        st = plot_regret(R, o, err);
        snprintf(name, sizeof name, "regret-%s.svg", b->obj[o].dir);
        if (!st && opt->png)
            maybe_png(R, name);
        for (int s = 0; s < S; s++) {
            perf[s] = grp(R, o, s)->final_med;
            cost[s] = grp(R, o, s)->cost_axis;
            front[s] = grp(R, o, s)->pareto;
        }
        snprintf(title, sizeof title, "%s: cost vs median final %s", b->obj[o].name,
                 R->oi[o].regret_known ? "regret" : "gap");
        snprintf(name, sizeof name, "pareto-%s.svg", b->obj[o].dir);
        if (!st)
            st = plot_pareto(R, title, R->oi[o].regret_known ? "median final regret" : "median gap",
                             1, cost, perf, front, name, err);
        if (!st && opt->png)
            maybe_png(R, name);
    }
    if (!st)
        st = plot_pareto(R, "all objectives: cost vs average rank",
                         "average rank (lower is better)", 0, R->cost_overall, R->avg_rank,
                         R->pareto_overall, "pareto-overall.svg", err);
    if (!st && opt->png)
        maybe_png(R, "pareto-overall.svg");
done:
    llmbo_free(perf);
    llmbo_free(cost);
    llmbo_free(front);
    return st;
}

static void report_free(report *R)
{
    for (int i = 0; R->runs && i < R->n_cells; i++)
        run_data_clear(&R->runs[i]);
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
    if (llmbo_path_exists(path)) {
        cJSON *m = llmbo_json_read_file(path, err);
        if (!m)
            return err ? err->status : LLMBO_ERR_PARSE;
        st = llmbo_bench_from_manifest(m, path, &R.bench, err);
        cJSON_Delete(m);
        R.has_manifest = 1;
    } else {
        st = scan_grid(dir, &R.bench, err);
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
        st = load_run(rd, cell_cfg, &R.runs[i], err);
        cJSON_Delete(cell_cfg);
        if (st)
            goto done;
        R.n_complete += R.runs[i].complete;
        R.n_incomplete += R.runs[i].present && !R.runs[i].complete;
        R.n_missing += !R.runs[i].present && !R.runs[i].complete;
        any_dollars |= R.runs[i].complete && R.runs[i].cost[C_DOLLARS] > 0.0;
    }
    R.cost_kind = opt.cost;
    if (R.cost_kind == LLMBO_COST_AUTO)
        R.cost_kind = any_dollars ? LLMBO_COST_DOLLARS : LLMBO_COST_TOKENS;
    R.cost_label = R.cost_kind == LLMBO_COST_DOLLARS  ? "dollars"
                   : R.cost_kind == LLMBO_COST_TOKENS ? "tokens"
                                                      : "calls";
    if ((st = aggregate(&R, err)) || (st = write_summary_csv(&R, err)) ||
        (st = write_timing_csv(&R, err)) || (st = write_report_md(&R, err)) ||
        (st = write_plots(&R, &opt, err)))
        goto done;
    if (!opt.quiet)
        fprintf(stderr,
                "report: %d runs complete, %d interrupted, %d missing; wrote %s/report.md, "
                "summary.csv, timing.csv and plots\n",
                R.n_complete, R.n_incomplete, R.n_missing, dir);
done:
    report_free(&R);
    return st;
}
