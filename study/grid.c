/* grid.c: bench configs and grids (see grid.h and docs/bench.md). A cell's run config is the
 * deep merge of the top-level defaults, then the strategy's keys, then the objective entry's keys
 * (so per-objective settings such as the budget are shared by every strategy: a fair
 * comparison), plus "objective" and "seed". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "llmbo_common.h"
#include "json.h"
#include "grid.h"
#include "config.h"
#include "objective_json.h"

/* Top-level keys of a run config (docs/config.md) that a bench may set as defaults, per strategy
 * or per objective. Their values are validated by `llmbo run` itself. */
static const char *const run_keys[] = {"description", "objective",   "instance", "budget",
                                       "strategy",    "acquisition", "seed",     "init",
                                       "gp",          "batch",       "pending",  "noisy",
                                       "acq",         "advisor",     "workers",  "dispatch"};

static int is_run_key(const char *k)
{
    for (size_t i = 0; i < sizeof run_keys / sizeof run_keys[0]; i++)
        if (strcmp(k, run_keys[i]) == 0)
            return 1;
    return 0;
}

static int is_safe_name(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static char *safe_label(const char *s)
{
    char *d = llmbo_strdup(s);
    if (!d)
        return NULL;
    for (char *p = d; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            *p = '-';
    }
    if (d[0] == '.')
        d[0] = '_';
    return d;
}

/* dst <- dst merged with src: objects merge key by key, anything else replaces. */
static int deep_merge(cJSON *dst, const cJSON *src)
{
    for (const cJSON *it = src->child; it; it = it->next) {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(dst, it->string);
        if (cur && cJSON_IsObject(cur) && cJSON_IsObject(it)) {
            if (!deep_merge(cur, it))
                return 0;
            continue;
        }
        cJSON *dup = cJSON_Duplicate(it, 1);
        if (!dup)
            return 0;
        if (cur)
            cJSON_ReplaceItemInObjectCaseSensitive(dst, it->string, dup);
        else
            cJSON_AddItemToObject(dst, it->string, dup);
    }
    return 1;
}

void llmbo_bench_free(llmbo_bench *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n_obj; i++) {
        llmbo_free(b->obj[i].name);
        llmbo_free(b->obj[i].dir);
        cJSON_Delete(b->obj[i].entry);
    }
    for (int i = 0; i < b->n_strat; i++) {
        llmbo_free(b->strat[i].name);
        cJSON_Delete(b->strat[i].entry);
    }
    llmbo_free(b->obj);
    llmbo_free(b->strat);
    llmbo_free(b->seeds);
    llmbo_free(b->title);
    cJSON_Delete(b->config);
    cJSON_Delete(b->defaults);
    llmbo_free(b);
}

static llmbo_status nomem(llmbo_error *err, const char *where)
{
    return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
}

/* Copies the run-config keys of an entry (an object) into a new object, rejecting unknown keys
 * and the keys in `banned` (a NULL-terminated list with a reason each). */
static llmbo_status copy_run_keys(const cJSON *entry, const char *where, const char *path,
                                  const char *const *skip, const char *const *banned,
                                  const char *ban_reason, cJSON **out, llmbo_error *err)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return nomem(err, where);
    for (const cJSON *it = entry->child; it; it = it->next) {
        int skipped = 0;
        for (int k = 0; skip && skip[k]; k++)
            skipped |= strcmp(it->string, skip[k]) == 0;
        if (skipped)
            continue;
        for (int k = 0; banned && banned[k]; k++) {
            if (strcmp(it->string, banned[k]) == 0) {
                cJSON_Delete(o);
                return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s.%s: %s", where, path,
                                       it->string, ban_reason);
            }
        }
        if (!is_run_key(it->string)) {
            cJSON_Delete(o);
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s.%s: unknown key", where, path,
                                   it->string);
        }
        cJSON *dup = cJSON_Duplicate(it, 1);
        if (!dup) {
            cJSON_Delete(o);
            return nomem(err, where);
        }
        cJSON_AddItemToObject(o, it->string, dup);
    }
    *out = o;
    return LLMBO_OK;
}

static llmbo_status check_budget(const cJSON *entry, const char *where, const char *path,
                                 int *budget, llmbo_error *err)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(entry, "budget");
    if (!b)
        return LLMBO_OK;
    if (!llmbo_json_is_int(b, 1, 1e7))
        return llmbo_error_set(
            err, LLMBO_ERR_CONFIG,
            "%s: %sbudget: expected a positive integer number of evaluations, at most "
            "10000000",
            where, path);
    *budget = (int)b->valuedouble;
    return LLMBO_OK;
}

static llmbo_status parse_objectives(llmbo_bench *b, const cJSON *arr, const char *where,
                                     llmbo_error *err)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: objectives: expected a non-empty array of objective names or "
                               "objects",
                               where);
    int n = cJSON_GetArraySize(arr);
    b->obj = llmbo_calloc((size_t)n, sizeof *b->obj);
    if (!b->obj)
        return nomem(err, where);
    int default_budget = 0;
    llmbo_status st = check_budget(b->defaults, where, "", &default_budget, err);
    if (st)
        return st;
    static const char *const skip[] = {"name", NULL};
    static const char *const banned[] = {"strategy", "seed", NULL};
    int i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        llmbo_bench_objective *o = &b->obj[i];
        b->n_obj = i + 1;
        char path[64];
        snprintf(path, sizeof path, "objectives[%d]", i);
        const char *name = NULL;
        char built[256];
        if (cJSON_IsString(it)) {
            name = it->valuestring;
            o->entry = cJSON_CreateObject();
            if (!o->entry || !cJSON_AddStringToObject(o->entry, "objective", name))
                return nomem(err, where);
        } else if (cJSON_IsObject(it)) {
            const cJSON *obj = cJSON_GetObjectItemCaseSensitive(it, "objective");
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
            if (!obj)
                return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s.objective: missing", where,
                                       path);
            if (nm && !cJSON_IsString(nm))
                return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s.name: expected a string",
                                       where, path);
            const cJSON *inner = cJSON_GetObjectItemCaseSensitive(obj, "name");
            const cJSON *dim = cJSON_GetObjectItemCaseSensitive(obj, "dim");
            if (cJSON_IsString(obj)) {
                name = nm ? nm->valuestring : obj->valuestring;
            } else if (cJSON_IsObject(obj) && nm) {
                name = nm->valuestring;
            } else if (cJSON_IsObject(obj) && cJSON_IsString(inner)) {
                /* a built-in given as {"name": "ackley", "dim": 5}: "ackley:5" */
                if (cJSON_IsNumber(dim))
                    snprintf(built, sizeof built, "%s:%.17g", inner->valuestring,
                             dim->valuedouble); /* no (int) cast: dim may be 1e300 */
                else
                    snprintf(built, sizeof built, "%s", inner->valuestring);
                name = built;
            } else if (cJSON_IsObject(obj))
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s: %s.name: required when objective is an object", where,
                                       path);
            else
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s: %s.objective: expected a name or an object", where,
                                       path);
            st = copy_run_keys(it, where, path, skip, banned,
                               "not allowed in an objective entry (set it per strategy or with "
                               "seeds)",
                               &o->entry, err);
            if (st)
                return st;
        } else {
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: %s: expected an objective name or an object", where, path);
        }
        if (!*name)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s: empty objective name", where,
                                   path);
        o->name = llmbo_strdup(name);
        o->dir = safe_label(name);
        if (!o->name || !o->dir)
            return nomem(err, where);
        o->budget = default_budget;
        char bpath[80];
        snprintf(bpath, sizeof bpath, "%s.", path);
        st = check_budget(o->entry, where, bpath, &o->budget, err);
        if (st)
            return st;
        for (int j = 0; j < i; j++)
            if (strcmp(b->obj[j].dir, o->dir) == 0)
                return llmbo_error_set(
                    err, LLMBO_ERR_CONFIG,
                    "%s: %s: objective \"%s\" appears twice (as objectives[%d]); "
                    "give one a different \"name\"",
                    where, path, name, j);
    }
    return LLMBO_OK;
}

static llmbo_status parse_strategies(llmbo_bench *b, const cJSON *arr, const char *where,
                                     llmbo_error *err)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: strategies: expected a non-empty array of objects with a "
                               "\"name\"",
                               where);
    int n = cJSON_GetArraySize(arr);
    b->strat = llmbo_calloc((size_t)n, sizeof *b->strat);
    if (!b->strat)
        return nomem(err, where);
    static const char *const skip[] = {"name", NULL};
    static const char *const banned[] = {"objective", "seed", NULL};
    int i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        llmbo_bench_strategy *s = &b->strat[i];
        b->n_strat = i + 1;
        char path[64];
        snprintf(path, sizeof path, "strategies[%d]", i);
        if (!cJSON_IsObject(it))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: %s: expected an object such as {\"name\": \"gp-ei\", "
                                   "\"strategy\": \"gp\", \"acquisition\": \"ei\"}",
                                   where, path);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (!cJSON_IsString(nm))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s.name: %s", where, path,
                                   nm ? "expected a string" : "missing");
        if (!is_safe_name(nm->valuestring))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: %s.name: \"%s\" must be non-empty and use only letters, "
                                   "digits, '.', '_' and '-' (it names a directory)",
                                   where, path, nm->valuestring);
        for (int j = 0; j < i; j++)
            if (strcmp(b->strat[j].name, nm->valuestring) == 0)
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s: %s.name: \"%s\" is already the name of strategies[%d]",
                                       where, path, nm->valuestring, j);
        s->name = llmbo_strdup(nm->valuestring);
        if (!s->name)
            return nomem(err, where);
        llmbo_status st = copy_run_keys(it, where, path, skip, banned,
                                        "not allowed in a strategy (objectives and seeds are "
                                        "the grid's other axes)",
                                        &s->entry, err);
        if (st)
            return st;
        int dummy = 0;
        char bpath[80];
        snprintf(bpath, sizeof bpath, "%s.", path);
        st = check_budget(s->entry, where, bpath, &dummy, err);
        if (st)
            return st;
    }
    return LLMBO_OK;
}

static llmbo_status parse_seeds(llmbo_bench *b, const cJSON *v, const char *where, llmbo_error *err)
{
    if (llmbo_json_is_int(v, 1, 1e6)) {
        b->n_seed = (int)v->valuedouble;
        b->seeds = llmbo_malloc((size_t)b->n_seed, sizeof(long));
        if (!b->seeds)
            return nomem(err, where);
        for (int i = 0; i < b->n_seed; i++)
            b->seeds[i] = i;
        return LLMBO_OK;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: seeds: expected a positive count or a non-empty array of "
                               "non-negative integers",
                               where);
    int n = cJSON_GetArraySize(v);
    b->seeds = llmbo_malloc((size_t)n, sizeof(long));
    if (!b->seeds)
        return nomem(err, where);
    int i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        if (!llmbo_json_is_int(it, 0, 9007199254740991.0))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: seeds[%d]: expected a non-negative integer", where, i);
        b->seeds[i] = (long)it->valuedouble;
        for (int j = 0; j < i; j++)
            if (b->seeds[j] == b->seeds[i])
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s: seeds[%d]: %ld is already seeds[%d]", where, i,
                                       b->seeds[i], j);
        b->n_seed = i + 1;
    }
    return LLMBO_OK;
}

llmbo_status llmbo_bench_parse(const cJSON *root, const char *where, llmbo_bench **out,
                               llmbo_error *err)
{
    *out = NULL;
    if (!cJSON_IsObject(root))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: expected a JSON object", where);
    llmbo_bench *b = llmbo_calloc(1, sizeof *b);
    if (!b)
        return nomem(err, where);
    llmbo_status st = LLMBO_OK;
    b->config = cJSON_Duplicate(root, 1);
    b->defaults = cJSON_CreateObject();
    if (!b->config || !b->defaults) {
        st = nomem(err, where);
        goto fail;
    }
    const cJSON *objectives = NULL, *strategies = NULL, *seeds = NULL;
    for (const cJSON *it = root->child; it; it = it->next) {
        const char *k = it->string;
        /* Duplicate keys are errors, as in a run config (a second "name" leaked the first).
         * Unknown keys stop the loop, so this scan is over a handful of known keys. */
        for (const cJSON *prev = root->child; prev != it; prev = prev->next)
            if (strcmp(prev->string, k) == 0) {
                st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: duplicate key \"%s\"", where, k);
                goto fail;
            }
        if (strcmp(k, "objectives") == 0) {
            objectives = it;
        } else if (strcmp(k, "strategies") == 0) {
            strategies = it;
        } else if (strcmp(k, "seeds") == 0) {
            seeds = it;
        } else if (strcmp(k, "name") == 0) {
            if (!cJSON_IsString(it)) {
                st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: name: expected a string", where);
                goto fail;
            }
            b->title = llmbo_strdup(it->valuestring);
            if (!b->title) {
                st = nomem(err, where);
                goto fail;
            }
        } else if (strcmp(k, "advisor_concurrency") == 0) {
            if (!llmbo_json_is_int(it, 0, 1e6)) {
                st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                     "%s: advisor_concurrency: expected a non-negative integer "
                                     "(0: no limit)",
                                     where);
                goto fail;
            }
            b->advisor_concurrency = (int)it->valuedouble;
        } else if (strcmp(k, "objective") == 0 || strcmp(k, "seed") == 0) {
            st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s: a bench config uses \"%ss\"",
                                 where, k, k);
            goto fail;
        } else if (is_run_key(k)) {
            cJSON *dup = cJSON_Duplicate(it, 1);
            if (!dup) {
                st = nomem(err, where);
                goto fail;
            }
            cJSON_AddItemToObject(b->defaults, k, dup);
        } else {
            st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s: unknown key", where, k);
            goto fail;
        }
    }
    if (!objectives || !strategies || !seeds) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: %s: missing", where,
                             !objectives   ? "objectives"
                             : !strategies ? "strategies"
                                           : "seeds");
        goto fail;
    }
    if ((st = check_budget(b->defaults, where, "", &(int){0}, err)) ||
        (st = parse_objectives(b, objectives, where, err)) ||
        (st = parse_strategies(b, strategies, where, err)) ||
        (st = parse_seeds(b, seeds, where, err)))
        goto fail;
    if ((double)b->n_obj * b->n_strat * b->n_seed > 1e7) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: the grid has more than 1e7 cells", where);
        goto fail;
    }
    *out = b;
    return LLMBO_OK;
fail:
    llmbo_bench_free(b);
    return st;
}

llmbo_status llmbo_bench_load(const char *path, llmbo_bench **out, llmbo_error *err)
{
    *out = NULL;
    size_t len = 0;
    char *text = llmbo_read_file(path, &len, err);
    if (!text)
        return err ? err->status : LLMBO_ERR_IO;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        long off = end ? (long)(end - text) : 0;
        llmbo_free(text);
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: invalid JSON near byte %ld", path, off);
    }
    llmbo_free(text);
    llmbo_status st = llmbo_bench_parse(root, path, out, err);
    cJSON_Delete(root);
    return st;
}

int llmbo_bench_n_cells(const llmbo_bench *b)
{
    return b->n_obj * b->n_strat * b->n_seed;
}

void llmbo_bench_cell_index(const llmbo_bench *b, int cell, int *o, int *s, int *r)
{
    *r = cell % b->n_seed;
    *s = (cell / b->n_seed) % b->n_strat;
    *o = cell / (b->n_seed * b->n_strat);
}

int llmbo_bench_cell_in_shard(int cell, int shard, int n_shards)
{
    return n_shards <= 1 || cell % n_shards == shard - 1;
}

cJSON *llmbo_bench_cell_config(const llmbo_bench *b, int cell)
{
    int o, s, r;
    llmbo_bench_cell_index(b, cell, &o, &s, &r);
    cJSON *c = cJSON_Duplicate(b->defaults, 1);
    if (!c)
        return NULL;
    if (!deep_merge(c, b->strat[s].entry) || !deep_merge(c, b->obj[o].entry) ||
        !cJSON_AddNumberToObject(c, "seed", (double)b->seeds[r])) {
        cJSON_Delete(c);
        return NULL;
    }
    /* Key order of the written config: objective first, seed second, then the rest. */
    cJSON *out = cJSON_CreateObject();
    int ok = out != NULL;
    const char *first[] = {"objective", "seed"};
    for (int k = 0; ok && k < 2; k++) {
        cJSON *dup = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, first[k]), 1);
        ok = dup != NULL;
        if (dup)
            cJSON_AddItemToObject(out, first[k], dup);
    }
    for (const cJSON *it = c->child; ok && it; it = it->next) {
        if (strcmp(it->string, "objective") == 0 || strcmp(it->string, "seed") == 0)
            continue;
        cJSON *dup = cJSON_Duplicate(it, 1);
        ok = dup != NULL;
        if (dup)
            cJSON_AddItemToObject(out, it->string, dup);
    }
    cJSON_Delete(c);
    if (!ok) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

llmbo_status llmbo_bench_validate(const llmbo_bench *b, const char *where, llmbo_error *err)
{
    char w[1024];
    for (int o = 0; o < b->n_obj; o++) {
        snprintf(w, sizeof w, "%s: objectives[%d] (%s): objective", where, o, b->obj[o].name);
        llmbo_objective *obj = NULL;
        llmbo_status st = llmbo_objective_from_json(
            cJSON_GetObjectItemCaseSensitive(b->obj[o].entry, "objective"), w, 0, &obj, err);
        llmbo_objective_free(obj);
        if (st)
            return st;
        for (int s = 0; s < b->n_strat; s++) {
            /* the seed does not change what is valid: check seed index 0 of each pair */
            cJSON *c = llmbo_bench_cell_config(b, (o * b->n_strat + s) * b->n_seed);
            char *text = c ? cJSON_Print(c) : NULL;
            cJSON_Delete(c);
            if (!text)
                return nomem(err, where);
            snprintf(w, sizeof w, "%s: run config of objective %s, strategy %s", where,
                     b->obj[o].name, b->strat[s].name);
            llmbo_run_config cfg;
            st = llmbo_run_config_parse(text, w, &cfg, err);
            llmbo_run_config_free(&cfg);
            cJSON_free(text);
            if (st)
                return st == LLMBO_ERR_NOMEM ? st : LLMBO_ERR_CONFIG;
        }
    }
    return LLMBO_OK;
}

int llmbo_bench_cell_uses_advisor(const llmbo_bench *b, int cell)
{
    cJSON *c = llmbo_bench_cell_config(b, cell);
    if (!c)
        return 1; /* the cautious answer */
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(c, "advisor");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(c, "strategy");
    int uses = adv && !cJSON_IsNull(adv) && adv->type != cJSON_False;
    if (uses && cJSON_IsString(st) &&
        (strcmp(st->valuestring, "random") == 0 || strcmp(st->valuestring, "gp") == 0))
        uses = 0;
    cJSON_Delete(c);
    return uses;
}

void llmbo_bench_cell_path(const llmbo_bench *b, int cell, char *buf, size_t n)
{
    int o, s, r;
    llmbo_bench_cell_index(b, cell, &o, &s, &r);
    snprintf(buf, n, "runs/%s/%s/seed-%ld", b->obj[o].dir, b->strat[s].name, b->seeds[r]);
}

cJSON *llmbo_bench_manifest(const llmbo_bench *b)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return NULL;
    int ok = cJSON_AddStringToObject(m, "llmbo_version", LLMBO_VERSION_STRING) != NULL;
    cJSON *cfg = cJSON_Duplicate(b->config, 1);
    ok &= cfg != NULL;
    if (cfg)
        cJSON_AddItemToObject(m, "bench", cfg);
    cJSON *objs = cJSON_AddArrayToObject(m, "objectives");
    cJSON *strats = cJSON_AddArrayToObject(m, "strategies");
    cJSON *seeds = cJSON_AddArrayToObject(m, "seeds");
    ok &= objs && strats && seeds;
    for (int i = 0; ok && i < b->n_obj; i++) {
        cJSON *o = cJSON_CreateObject();
        ok &= o != NULL;
        if (!o)
            break;
        cJSON_AddItemToArray(objs, o);
        ok &= cJSON_AddStringToObject(o, "name", b->obj[i].name) != NULL;
        ok &= cJSON_AddStringToObject(o, "dir", b->obj[i].dir) != NULL;
        if (b->obj[i].budget > 0)
            ok &= cJSON_AddNumberToObject(o, "budget", b->obj[i].budget) != NULL;
    }
    for (int i = 0; ok && i < b->n_strat; i++) {
        cJSON *s = cJSON_CreateString(b->strat[i].name);
        ok &= s != NULL;
        if (s)
            cJSON_AddItemToArray(strats, s);
    }
    for (int i = 0; ok && i < b->n_seed; i++) {
        cJSON *s = cJSON_CreateNumber((double)b->seeds[i]);
        ok &= s != NULL;
        if (s)
            cJSON_AddItemToArray(seeds, s);
    }
    ok = ok && cJSON_AddNumberToObject(m, "cells", llmbo_bench_n_cells(b)) != NULL;
    if (!ok) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

llmbo_status llmbo_bench_from_manifest(const cJSON *manifest, const char *where, llmbo_bench **out,
                                       llmbo_error *err)
{
    *out = NULL;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(manifest, "bench");
    if (!cJSON_IsObject(cfg))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: bench: missing or not an object", where);
    char w[512];
    snprintf(w, sizeof w, "%s: bench", where);
    return llmbo_bench_parse(cfg, w, out, err);
}
