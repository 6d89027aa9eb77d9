/* report_load.c: the report's inputs: each run's journal, summary and advisor call log, and
 * the grid of a directory without bench.json (its runs/ tree scanned in name order). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "report_impl.h"
#include "journal.h"
/* ------------------------------------------------------------------------------------------ */
/* Loading runs                                                                                */
/* ------------------------------------------------------------------------------------------ */

void llmbo_report_run_clear(run_data *r)
{
    llmbo_free(r->regret);
    llmbo_free(r->best);
    llmbo_free(r->metric);
    cJSON_free(r->best_x);
    for (int k = 0; k < N_CUM; k++)
        llmbo_free(r->cum[k]);
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
 * fixed phrase. With why, the same pass goes on to the first failed call's reason (its "error"),
 * for a run whose cost counts failed calls. */
static void read_advisor_log(const char *rundir, char *price, size_t n_price, char *why,
                             size_t n_why)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/advisor.jsonl", rundir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    for (int first = 1; (first || (why && !why[0])) && (len = getline(&line, &cap, f)) > 0;
         first = 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(j, "price_source");
        if (first && price && cJSON_IsString(src) && !price[0]) {
            if (strstr(src->valuestring, "(read "))
                snprintf(price, n_price, "%s", src->valuestring);
            else
                snprintf(price, n_price, "prices given in the run config");
        }
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
        if (why && !why[0] && cJSON_IsString(e) && e->valuestring[0])
            snprintf(why, n_why, "%s", e->valuestring);
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
}

void llmbo_report_first_advisor_error(const char *rundir, char *dst, size_t n)
{
    read_advisor_log(rundir, NULL, 0, dst, n);
}

/* o printed unformatted with its numbers exact (llmbo_json_number: cJSON alone keeps 15
 * digits), so the report's parameters evaluate to the reported value. NULL on allocation
 * failure. */
static char *exact_text(const cJSON *o)
{
    cJSON *c = cJSON_CreateObject();
    int ok = c != NULL;
    for (const cJSON *v = o->child; v && ok; v = v->next)
        ok = v->string && llmbo_json_add(c, v->string,
                                         cJSON_IsNumber(v) ? llmbo_json_number(v->valuedouble)
                                                           : cJSON_Duplicate(v, 1));
    char *text = ok ? cJSON_PrintUnformatted(c) : NULL;
    cJSON_Delete(c);
    return text;
}

llmbo_status llmbo_report_load_run(const char *rundir, const cJSON *bench_cfg, run_data *r,
                                   llmbo_error *err)
{
    char path[4096];
    memset(r, 0, sizeof *r);
    r->optimal_value = NAN;
    r->best_y = NAN;
    snprintf(path, sizeof path, "%s/summary.json", rundir);
    r->complete = llmbo_path_exists(path);
    cJSON *summary = NULL;
    const cJSON *last_adv = NULL;
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
    cJSON **lines = NULL;
    int n_lines = 0;
    llmbo_status st = llmbo_journal_read(path, 0, &lines, &n_lines, NULL, err);
    if (st != LLMBO_OK) {
        cJSON_Delete(summary);
        return st;
    }
    r->regret = llmbo_malloc((size_t)n_lines + 1, sizeof(double));
    r->best = llmbo_malloc((size_t)n_lines + 1, sizeof(double));
    r->metric = llmbo_malloc((size_t)n_lines + 1, sizeof(double));
    int cum_ok = 1;
    for (int k = 0; k < N_CUM; k++)
        cum_ok &= (r->cum[k] = llmbo_calloc((size_t)n_lines + 1, sizeof(double))) != NULL;
    if (!r->regret || !r->best || !r->metric || !cum_ok) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    /* A torn last line (a run killed while writing it) is left out: the run resumes from before
     * it. */
    for (int i = 0; i < n_lines; i++) {
        llmbo_journal_entry e;
        llmbo_journal_entry_read(lines[i], -1, &e); /* d < 0: nothing allocated */
        r->regret[r->n] = e.regret;
        r->best[r->n] = e.best;
        if (!isnan(e.regret))
            r->regret_known = 1;
        r->failed += e.failed;
        if (e.failed && !r->first_error[0])
            snprintf(r->first_error, sizeof r->first_error, "%s", e.error ? e.error : "");
        if (!isnan(e.t_eval))
            r->obj_seconds += e.t_eval;
        if (!isnan(e.t_wall))
            r->wall_seconds = e.t_wall;
        if (e.has_cost)
            last_adv = lines[i];
        for (int k = 0; k < N_CUM; k++)
            r->cum[k][r->n] = r->n > 0 ? r->cum[k][r->n - 1] : 0.0;
        if (e.has_cost) {
            r->cum[CUM_DOLLARS][r->n] = e.cost.dollars;
            r->cum[CUM_TOKENS][r->n] =
                (double)e.cost.prompt_tokens + (double)e.cost.completion_tokens;
            r->cum[CUM_CPU][r->n] = e.cost.cpu_seconds;
        }
        r->n++;
    }
    if (last_adv)
        read_cost(cJSON_GetObjectItemCaseSensitive(last_adv, "advisor"), r->cost, r->timing);
    if (summary) {
        const cJSON *adv = cJSON_GetObjectItemCaseSensitive(summary, "advisor");
        if (cJSON_IsObject(adv))
            read_cost(adv, r->cost, r->timing);
        r->optimal_value = num_or_nan(cJSON_GetObjectItemCaseSensitive(summary, "optimal_value"));
        r->maximize = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(summary, "maximize"));
        r->best_y = num_or_nan(cJSON_GetObjectItemCaseSensitive(summary, "best_y"));
        const cJSON *bx = cJSON_GetObjectItemCaseSensitive(summary, "best_x");
        if (!isnan(r->best_y) && cJSON_IsObject(bx) && !(r->best_x = exact_text(bx))) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", rundir);
            goto done;
        }
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
    read_advisor_log(rundir, r->price_date, sizeof r->price_date,
                     r->cost[C_FALLBACK] + r->cost[C_ERRORS] > 0 ? r->adv_error : NULL,
                     sizeof r->adv_error);
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
    llmbo_journal_lines_free(lines, n_lines);
    cJSON_Delete(summary);
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

llmbo_status llmbo_report_scan_grid(const char *dir, llmbo_bench **out, llmbo_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/runs", dir);
    int n_obj = 0;
    char **objs = list_dirs(path, &n_obj);
    if (n_obj == 0) {
        free_names(objs, n_obj);
        return llmbo_error_set(err, LLMBO_ERR_IO,
                               "%s: no bench.json and no runs/OBJECTIVE/ "
                               "directories: not a bench directory (nor a run directory: no "
                               "journal.jsonl)",
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
