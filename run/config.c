/* config.c: the run configuration. One JSON object parsed with cJSON; unknown or duplicate keys
 * are errors; every message starts "FILE: key.path: " and says what was expected and what was
 * found. Defaults live here and are documented key by key in docs/config.md. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "json.h"
#include "names.h"
#include "acq.h"
#include "config.h"
#include "journal.h"
#include "loop_impl.h"

static const char *const kernel_names[] = {"se", "matern12", "matern32", "matern52"};
static const char *const dispatch_names[] = {"ordered", "async"};    /* llmbo_run_dispatch */
static const char *const warp_names[] = {"off", "median", "select"}; /* llmbo_bo_options.y_warp */
static const llmbo_names kernels = LLMBO_NAMES_OF(kernel_names);
static const llmbo_names dispatches = LLMBO_NAMES_OF(dispatch_names);
static const llmbo_names warps = LLMBO_NAMES_OF(warp_names);

const char *llmbo_kernel_name(llmbo_kernel_type k)
{
    return llmbo_names_get(&kernels, (int)k);
}

/* ------------------------------------------------------------------------------------------ */
/* Messages */

typedef struct pctx {
    const char *where;
    llmbo_error *err;
} pctx;

static llmbo_status fail(const pctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static llmbo_status fail(const pctx *c, const char *path, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (path && path[0])
        return llmbo_error_set(c->err, LLMBO_ERR_CONFIG, "%s: %s: %s", c->where, path, msg);
    return llmbo_error_set(c->err, LLMBO_ERR_CONFIG, "%s: %s", c->where, msg);
}

static void join_path(char *out, size_t n, const char *parent, const char *key)
{
    if (parent && parent[0])
        snprintf(out, n, "%s.%s", parent, key);
    else
        snprintf(out, n, "%s", key);
}

/* Unknown and duplicate keys of obj (whose own path is path). allowed is NULL-terminated. */
static llmbo_status check_keys(const pctx *c, const cJSON *obj, const char *path,
                               const char *const *allowed)
{
    char where[512];
    if (path && path[0])
        snprintf(where, sizeof where, "%s: %s", c->where, path);
    else
        snprintf(where, sizeof where, "%s", c->where);
    return llmbo_json_check_keys(obj, where, allowed, c->err);
}

/* ------------------------------------------------------------------------------------------ */
/* Typed getters: a missing key keeps the default already in *out. */

/* The CONFIG error "WHERE: PARENT.KEY: expected WHAT, got V". */
static llmbo_status mismatch(const pctx *c, const char *parent, const char *key, const cJSON *v,
                             const char *what)
{
    char path[128], got[80];
    join_path(path, sizeof path, parent, key);
    return fail(c, path, "expected %s, got %s", what, llmbo_json_describe(v, got, sizeof got));
}

static llmbo_status get_int(const pctx *c, const cJSON *obj, const char *parent, const char *key,
                            int min, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *what = min == 1 ? "a positive integer" : "a non-negative integer";
    if (v && cJSON_IsNumber(v) && v->valuedouble > 1e9 && v->valuedouble == floor(v->valuedouble))
        what = min == 1 ? "a positive integer of at most 1000000000"
                        : "a non-negative integer of at most 1000000000";
    if (v && !llmbo_json_is_int(v, min, 1e9))
        return mismatch(c, parent, key, v, what);
    if (v)
        *out = (int)v->valuedouble;
    return LLMBO_OK;
}

static llmbo_status get_bool(const pctx *c, const cJSON *obj, const char *parent, const char *key,
                             int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v && !cJSON_IsBool(v))
        return mismatch(c, parent, key, v, "true or false");
    if (v)
        *out = cJSON_IsTrue(v);
    return LLMBO_OK;
}

/* A number >= 0 (strict > 0 when positive is set). */
static llmbo_status get_num(const pctx *c, const cJSON *obj, const char *parent, const char *key,
                            int positive, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    int ok = cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0 &&
             !(positive && v->valuedouble == 0);
    if (v && !ok)
        return mismatch(c, parent, key, v,
                        positive ? "a positive number" : "a non-negative number");
    if (v)
        *out = v->valuedouble;
    return LLMBO_OK;
}

/* One of the names of a table (common/names.h), which the messages list. */
static llmbo_status get_enum(const pctx *c, const cJSON *obj, const char *parent, const char *key,
                             const llmbo_names *names, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char path[128], got[80], list[256];
    if (!v)
        return LLMBO_OK;
    join_path(path, sizeof path, parent, key);
    llmbo_names_list(names, list, sizeof list);
    if (!cJSON_IsString(v))
        return fail(c, path, "expected a string (one of %s), got %s", list,
                    llmbo_json_describe(v, got, sizeof got));
    int i = llmbo_names_parse(names, v->valuestring);
    if (i < 0)
        return fail(c, path, "unknown value %s; expected one of %s",
                    llmbo_json_describe(v, got, sizeof got), list);
    *out = i;
    return LLMBO_OK;
}

/* gp.warp: false ("off"), true (the loop's default warp), "median" or "select". */
static llmbo_status get_warp(const pctx *c, const cJSON *gp, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(gp, "warp");
    if (cJSON_IsBool(v)) {
        llmbo_bo_options def;
        llmbo_bo_options_default(&def);
        *out = cJSON_IsTrue(v) ? (def.y_warp ? def.y_warp : 1) : 0;
        return LLMBO_OK;
    }
    if (v && !cJSON_IsString(v))
        return mismatch(c, "gp", "warp", v, "true, false or one of off, median, select");
    return get_enum(c, gp, "gp", "warp", &warps, out);
}

static llmbo_status get_string(const pctx *c, const cJSON *obj, const char *key, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return LLMBO_OK;
    if (!cJSON_IsString(v))
        return mismatch(c, NULL, key, v, "a string");
    llmbo_free(*out);
    if (!(*out = llmbo_strdup(v->valuestring)))
        return llmbo_error_set(c->err, LLMBO_ERR_NOMEM, "%s: out of memory", c->where);
    return LLMBO_OK;
}

static const cJSON *get_object(const pctx *c, const cJSON *obj, const char *key, llmbo_status *st)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *st = v && !cJSON_IsObject(v) ? mismatch(c, NULL, key, v, "an object") : LLMBO_OK;
    return *st ? NULL : v;
}

/* ------------------------------------------------------------------------------------------ */
/* Parse */

static void defaults(llmbo_run_config *cfg)
{
    llmbo_gp_options go;
    llmbo_gp_options_default(&go);
    memset(cfg, 0, sizeof *cfg);
    cfg->strategy = LLMBO_STRATEGY_GP;
    cfg->acquisition = LLMBO_ACQUISITION_LOGEI;
    cfg->design = LLMBO_INIT_SOBOL;
    cfg->kernel = go.kernel;
    cfg->priors = go.use_priors;
    cfg->refit_every = 1;
    cfg->restarts = go.n_restarts;
    cfg->max_eval = go.max_eval;
    cfg->noise_fit = -1; /* "auto": fixed for deterministic objectives, fitted if noisy */
    cfg->noise = LLMBO_BO_NOISE_FREE_VAR;
    cfg->noise_floor = go.noise_floor;
    llmbo_bo_options bo_def;
    llmbo_bo_options_default(&bo_def);
    cfg->dup_tol = bo_def.dup_tol;
    cfg->stall_window = bo_def.stall_window;
    cfg->warp = bo_def.y_warp;
    cfg->batch = 1;
    cfg->workers = 1;
    cfg->dispatch = LLMBO_DISPATCH_ORDERED;
    cfg->pending = LLMBO_PENDING_KB;
    cfg->batch_step = LLMBO_BATCH_STEP_OFF;
    cfg->noisy = -1;
    cfg->candidates = 5;
}

/* Line and column (1-based) of byte offset off in text. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static llmbo_status parse_gp(const pctx *c, const cJSON *gp, llmbo_run_config *cfg)
{
    static const char *const keys[] = {"kernel",      "priors",   "refit_every",
                                       "restarts",    "max_eval", "noise",
                                       "noise_floor", "warp",     NULL};
    llmbo_status st;
    int k = (int)cfg->kernel;
    if ((st = check_keys(c, gp, "gp", keys)) != LLMBO_OK ||
        (st = get_enum(c, gp, "gp", "kernel", &kernels, &k)) != LLMBO_OK ||
        (st = get_bool(c, gp, "gp", "priors", &cfg->priors)) != LLMBO_OK ||
        (st = get_warp(c, gp, &cfg->warp)) != LLMBO_OK ||
        (st = get_int(c, gp, "gp", "refit_every", 1, &cfg->refit_every)) != LLMBO_OK ||
        (st = get_int(c, gp, "gp", "restarts", 0, &cfg->restarts)) != LLMBO_OK ||
        (st = get_int(c, gp, "gp", "max_eval", 1, &cfg->max_eval)) != LLMBO_OK ||
        (st = get_num(c, gp, "gp", "noise_floor", 1, &cfg->noise_floor)) != LLMBO_OK)
        return st;
    cfg->kernel = (llmbo_kernel_type)k;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(gp, "noise");
    if (v) {
        char got[80];
        if (cJSON_IsString(v) && strcmp(v->valuestring, "fit") == 0) {
            cfg->noise_fit = 1;
        } else if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
            cfg->noise_fit = -1;
        } else if (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0) {
            cfg->noise_fit = 0;
            cfg->noise = v->valuedouble;
        } else {
            return fail(c, "gp.noise", "expected \"auto\", \"fit\" or a positive number, got %s",
                        llmbo_json_describe(v, got, sizeof got));
        }
    }
    return LLMBO_OK;
}

/* The strategies that take an advisor, quoted and joined by "or": "\"llm\" or \"gp+llm\"". */
static const char *advisor_strategies(char *buf, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (int s = 0; s < llmbo_strategy_names.n && off < n; s++)
        if (llmbo_strategy_flags((llmbo_strategy)s) & LLMBO_STRATEGY_NEEDS_ADVISOR) {
            int w = snprintf(buf + off, n - off, "%s\"%s\"", off ? " or " : "",
                             llmbo_strategy_name((llmbo_strategy)s));
            if (w < 0)
                break;
            off += (size_t)w;
        }
    return buf;
}

/* The keys of the config's top level: where the run's objective and budget come from, and the
 * loop's own (parse_loop). A loop-options object (llmbo_run_config_parse_options) takes the same
 * keys but "objective", and its "budget" is optional. */
static const char *const run_keys[] = {
    "name",    "description", "objective", "instance",   "budget",  "strategy", "acquisition",
    "seed",    "init",        "gp",        "batch",      "pending", "noisy",    "acq",
    "advisor", "workers",     "dispatch",  "batch_step", "tail",    NULL};
static const char *const option_keys[] = {
    "name",    "description", "instance",   "budget",  "strategy", "acquisition", "seed",
    "init",    "gp",          "batch",      "pending", "noisy",    "acq",         "advisor",
    "workers", "dispatch",    "batch_step", "tail",    NULL};

/* The loop's keys: strategy, acquisition, seed, init, gp, batch, pending, batch_step, noisy, acq
 * and advisor. init.n is checked against the budget when one was given (cfg->budget > 0). */
static llmbo_status parse_loop(const pctx *c, const cJSON *root, llmbo_run_config *cfg)
{
    static const char *const init_keys[] = {"design", "n", "from", "points", "counted", NULL};
    static const char *const acq_keys[] = {"xi",      "sweep",        "starts", "candidates",
                                           "dup_tol", "stall_window", NULL};
    llmbo_status st;
    char got[80];
    int v;

    v = (int)cfg->strategy;
    if ((st = get_enum(c, root, "", "strategy", &llmbo_strategy_names, &v)) != LLMBO_OK)
        return st;
    cfg->strategy = (llmbo_strategy)v;
    v = (int)cfg->acquisition;
    if ((st = get_enum(c, root, "", "acquisition", &llmbo_acq_names, &v)) != LLMBO_OK)
        return st;
    cfg->acquisition = (llmbo_acquisition)v;

    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    if (seed) {
        /* Integers a double holds exactly, so the resolved config reads back the same. */
        if (!llmbo_json_is_int(seed, 0, 9007199254740992.0))
            return fail(c, "seed", "expected a non-negative integer below 2^53, got %s",
                        llmbo_json_describe(seed, got, sizeof got));
        cfg->seed = (uint64_t)seed->valuedouble;
    }

    const cJSON *init = get_object(c, root, "init", &st);
    if (st != LLMBO_OK)
        return st;
    if (init) {
        v = (int)cfg->design;
        if ((st = check_keys(c, init, "init", init_keys)) != LLMBO_OK ||
            (st = get_enum(c, init, "init", "design", &llmbo_design_names, &v)) != LLMBO_OK ||
            (st = get_int(c, init, "init", "n", 1, &cfg->n_init)) != LLMBO_OK)
            return st;
        cfg->design = (llmbo_init_design)v;
        if ((st = get_bool(c, init, "init", "counted", &cfg->init_counted)) != LLMBO_OK)
            return st;
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(init, "from");
        if (from) {
            if (!cJSON_IsArray(from))
                return fail(c, "init.from",
                            "expected an array of file names (journals, run directories or CSV "
                            "files), got %s",
                            llmbo_json_describe(from, got, sizeof got));
            int i = 0;
            for (const cJSON *f = from->child; f; f = f->next, i++)
                if (!cJSON_IsString(f) || !f->valuestring[0]) {
                    char path[64];
                    snprintf(path, sizeof path, "init.from[%d]", i);
                    return fail(c, path, "expected a non-empty file name, got %s",
                                llmbo_json_describe(f, got, sizeof got));
                }
            if (!(cfg->init_from = cJSON_Duplicate(from, 1)))
                return llmbo_error_set(c->err, LLMBO_ERR_NOMEM, "%s: out of memory", c->where);
        }
        const cJSON *pts = cJSON_GetObjectItemCaseSensitive(init, "points");
        if (pts) {
            if (!cJSON_IsArray(pts))
                return fail(c, "init.points",
                            "expected an array of points {\"name\": value, ...}, got %s",
                            llmbo_json_describe(pts, got, sizeof got));
            int i = 0;
            for (const cJSON *q = pts->child; q; q = q->next, i++)
                if (!cJSON_IsObject(q)) {
                    char path[64];
                    snprintf(path, sizeof path, "init.points[%d]", i);
                    return fail(c, path, "expected an object {\"name\": value, ...}, got %s",
                                llmbo_json_describe(q, got, sizeof got));
                }
            if (cfg->budget > 0 && i > cfg->budget)
                return fail(c, "init.points", "%d points exceed the budget (%d)", i, cfg->budget);
            if (!(cfg->init_points = cJSON_Duplicate(pts, 1)))
                return llmbo_error_set(c->err, LLMBO_ERR_NOMEM, "%s: out of memory", c->where);
        }
        if (cfg->budget > 0 && cfg->n_init > cfg->budget)
            return fail(c, "init.n", "expected at most the budget (%d), got %d", cfg->budget,
                        cfg->n_init);
    }

    const cJSON *gp = get_object(c, root, "gp", &st);
    if (st != LLMBO_OK || (gp && (st = parse_gp(c, gp, cfg)) != LLMBO_OK))
        return st;

    if ((st = get_int(c, root, "", "batch", 1, &cfg->batch)) != LLMBO_OK ||
        (st = get_int(c, root, "", "workers", 1, &cfg->workers)) != LLMBO_OK ||
        (st = get_int(c, root, "", "tail", 0, &cfg->tail)) != LLMBO_OK)
        return st;
    if (cfg->workers > LLMBO_RUN_MAX_WORKERS)
        return fail(c, "workers", "expected at most %d, got %d", LLMBO_RUN_MAX_WORKERS,
                    cfg->workers);
    v = (int)cfg->dispatch;
    if ((st = get_enum(c, root, "", "dispatch", &dispatches, &v)) != LLMBO_OK)
        return st;
    cfg->dispatch = (llmbo_run_dispatch)v;
    v = (int)cfg->pending;
    if ((st = get_enum(c, root, "", "pending", &llmbo_pending_names, &v)) != LLMBO_OK)
        return st;
    cfg->pending = (llmbo_pending_method)v;
    v = (int)cfg->batch_step;
    if ((st = get_enum(c, root, "", "batch_step", &llmbo_batch_step_names, &v)) != LLMBO_OK)
        return st;
    cfg->batch_step = (llmbo_batch_step)v;
    if ((st = get_bool(c, root, "", "noisy", &cfg->noisy)) != LLMBO_OK)
        return st;

    const cJSON *acq = get_object(c, root, "acq", &st);
    if (st != LLMBO_OK)
        return st;
    if (acq && ((st = check_keys(c, acq, "acq", acq_keys)) != LLMBO_OK ||
                (st = get_num(c, acq, "acq", "xi", 0, &cfg->xi)) != LLMBO_OK ||
                (st = get_int(c, acq, "acq", "sweep", 1, &cfg->acq_sweep)) != LLMBO_OK ||
                (st = get_int(c, acq, "acq", "starts", 1, &cfg->acq_starts)) != LLMBO_OK ||
                (st = get_int(c, acq, "acq", "candidates", 1, &cfg->candidates)) != LLMBO_OK ||
                (st = get_num(c, acq, "acq", "dup_tol", 0, &cfg->dup_tol)) != LLMBO_OK ||
                (st = get_int(c, acq, "acq", "stall_window", 0, &cfg->stall_window)) != LLMBO_OK))
        return st;
    if (cfg->dup_tol >= 0.5)
        return fail(c, "acq.dup_tol", "expected a number in [0, 0.5), got %g", cfg->dup_tol);

    const cJSON *adv = get_object(c, root, "advisor", &st);
    if (st != LLMBO_OK)
        return st;
    int needs = (llmbo_strategy_flags(cfg->strategy) & LLMBO_STRATEGY_NEEDS_ADVISOR) != 0;
    if (needs && !adv)
        return fail(c, "advisor", "missing: strategy \"%s\" needs an advisor object",
                    llmbo_strategy_name(cfg->strategy));
    if (!needs && adv) {
        char list[256];
        return fail(c, "advisor", "not used by strategy \"%s\"; remove it or use %s",
                    llmbo_strategy_name(cfg->strategy), advisor_strategies(list, sizeof list));
    }
    if (adv && !(cfg->advisor = cJSON_Duplicate(adv, 1)))
        return llmbo_error_set(c->err, LLMBO_ERR_NOMEM, "%s: out of memory", c->where);
    return LLMBO_OK;
}

/* The top level of a run config (run = 1: objective and budget required) or of a loop-options
 * object (run = 0: no objective, the budget optional), in the order the keys are documented. */
static llmbo_status parse_top(const pctx *c, const cJSON *root, int run, llmbo_run_config *cfg)
{
    llmbo_status st;
    char got[80];
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "objective");
    if (!run && obj)
        return fail(c, "objective", "not a loop option (the loop is given its space)");
    if ((st = check_keys(c, root, "", run ? run_keys : option_keys)) != LLMBO_OK ||
        (st = get_string(c, root, "name", &cfg->name)) != LLMBO_OK ||
        (st = get_string(c, root, "description", &cfg->description)) != LLMBO_OK)
        return st;
    if (run && !obj)
        return fail(c, "objective",
                    "missing (required): a built-in name such as \"branin\" or "
                    "an object");
    if (run && !(cJSON_IsString(obj) && obj->valuestring[0]) && !cJSON_IsObject(obj))
        return fail(c, "objective", "expected a name string or an object, got %s",
                    llmbo_json_describe(obj, got, sizeof got));
    if (run && !(cfg->objective = cJSON_Duplicate(obj, 1)))
        return llmbo_error_set(c->err, LLMBO_ERR_NOMEM, "%s: out of memory", c->where);
    if ((st = get_int(c, root, "", "instance", 0, &cfg->instance)) != LLMBO_OK)
        return st;
    if (run && !cJSON_GetObjectItemCaseSensitive(root, "budget"))
        return fail(c, "budget", "missing (required): the total number of evaluations");
    if ((st = get_int(c, root, "", "budget", 1, &cfg->budget)) != LLMBO_OK)
        return st;
    return parse_loop(c, root, cfg);
}

/* Parses text as JSON and its top-level object with parse_top; the PARSE error names the line
 * and column of a syntax error. */
static llmbo_status parse_text(const char *text, const char *where, int run, llmbo_run_config *cfg,
                               llmbo_error *err)
{
    pctx c = {where ? where : "config", err};
    const char *end = NULL;
    defaults(cfg);
    if (!text)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: no text", c.where);
    /* The length includes the terminator: cJSON checks for it when asked to reject trailing
     * garbage. */
    cJSON *root = cJSON_ParseWithLengthOpts(text, strlen(text) + 1, &end, 1);
    if (!root) {
        int line, col;
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        char near[32];
        size_t k = 0;
        line_col(text, off, &line, &col);
        while (k < 20 && text[off + k] && text[off + k] != '\n' && text[off + k] != '\r') {
            near[k] = text[off + k];
            k++;
        }
        near[k] = 0;
        if (k == 0 && !text[off])
            return llmbo_error_set(err, LLMBO_ERR_PARSE,
                                   "%s: line %d, column %d: JSON syntax error at the end of the "
                                   "input",
                                   c.where, line, col);
        if (k == 0) {
            /* Nothing left on the line: show what precedes the position instead. */
            size_t b = off;
            while (b > 0 && off - b < 20 && text[b - 1] != '\n')
                b--;
            while (b < off && (text[b] == ' ' || text[b] == '\t'))
                b++;
            return llmbo_error_set(err, LLMBO_ERR_PARSE,
                                   "%s: line %d, column %d: JSON syntax error at the end of the "
                                   "line, after '%.*s'",
                                   c.where, line, col, (int)(off - b), text + b);
        }
        return llmbo_error_set(err, LLMBO_ERR_PARSE,
                               "%s: line %d, column %d: JSON syntax error near '%s'", c.where, line,
                               col, near);
    }
    llmbo_status st;
    if (!cJSON_IsObject(root)) {
        char got[80];
        st = fail(&c, "", "expected a JSON object at the top level, got %s",
                  llmbo_json_describe(root, got, sizeof got));
    } else {
        st = parse_top(&c, root, run, cfg);
    }
    cJSON_Delete(root);
    return st;
}

llmbo_status llmbo_run_config_parse(const char *text, const char *where, llmbo_run_config *cfg,
                                    llmbo_error *err)
{
    return parse_text(text, where, 1, cfg, err);
}

llmbo_status llmbo_run_config_parse_options(const char *text, const char *where,
                                            llmbo_run_config *cfg, llmbo_error *err)
{
    return parse_text(text, where, 0, cfg, err);
}

llmbo_status llmbo_run_config_load(const char *path, llmbo_run_config *cfg, llmbo_error *err)
{
    defaults(cfg);
    size_t len;
    char *buf = llmbo_read_file(path, &len, err);
    if (!buf)
        return err ? err->status : LLMBO_ERR_IO;
    llmbo_status st;
    if (strlen(buf) != len)
        st = llmbo_error_set(err, LLMBO_ERR_PARSE, "%s: contains a NUL byte", path);
    else
        st = llmbo_run_config_parse(buf, path, cfg, err);
    llmbo_free(buf);
    return st;
}

void llmbo_run_config_free(llmbo_run_config *cfg)
{
    if (!cfg)
        return;
    llmbo_free(cfg->name);
    llmbo_free(cfg->description);
    cJSON_Delete(cfg->objective);
    cJSON_Delete(cfg->advisor);
    cJSON_Delete(cfg->init_from);
    cJSON_Delete(cfg->init_points);
    memset(cfg, 0, sizeof *cfg);
}

/* ------------------------------------------------------------------------------------------ */
/* Options and the resolved config */

void llmbo_run_config_bo_options(const llmbo_run_config *cfg, int d, llmbo_bo_options *o)
{
    llmbo_acqopt_options ao;
    llmbo_bo_options_default(o);
    llmbo_acqopt_options_default(&ao, d);
    o->strategy = cfg->strategy;
    o->acquisition = cfg->acquisition;
    o->design = cfg->design;
    o->budget = cfg->budget;
    o->n_init =
        cfg->n_init > 0 ? cfg->n_init : llmbo_bo_default_n_init(d, cfg->budget, cfg->strategy);
    o->gp.kernel = cfg->kernel;
    o->gp.use_priors = cfg->priors;
    o->gp.n_restarts = cfg->restarts;
    o->gp.max_eval = cfg->max_eval;
    o->gp.fit_noise = cfg->noise_fit < 0 ? cfg->noisy > 0 : cfg->noise_fit;
    o->gp.noise = cfg->noise;
    o->gp.noise_floor = cfg->noise_floor;
    o->refit_every = cfg->refit_every;
    o->pending = cfg->pending;
    o->batch_step = cfg->batch_step;
    o->seed = cfg->seed;
    o->noisy = cfg->noisy > 0;
    o->xi = cfg->xi;
    o->n_candidates = cfg->candidates;
    o->acq_sweep = cfg->acq_sweep > 0 ? cfg->acq_sweep : ao.n_sweep;
    o->acq_starts = cfg->acq_starts > 0 ? cfg->acq_starts : ao.n_starts;
    o->dup_tol = cfg->dup_tol;
    o->stall_window = cfg->stall_window;
    o->y_warp = cfg->warp;
}

cJSON *llmbo_run_config_to_json(const llmbo_run_config *cfg, int d)
{
    llmbo_bo_options o;
    llmbo_run_config_bo_options(cfg, d, &o);
    cJSON *r = cJSON_CreateObject(), *init = NULL, *gp = NULL, *acq = NULL, *x;
    if (!r)
        return NULL;
    int ok = 1;
    if (cfg->name)
        ok &= cJSON_AddStringToObject(r, "name", cfg->name) != NULL;
    if (cfg->description)
        ok &= cJSON_AddStringToObject(r, "description", cfg->description) != NULL;
    x = cJSON_Duplicate(cfg->objective, 1);
    ok &= x && cJSON_AddItemToObject(r, "objective", x);
    if (cfg->instance > 0)
        ok &= llmbo_json_add_number(r, "instance", cfg->instance) != NULL;
    ok &= llmbo_json_add_number(r, "budget", cfg->budget) != NULL;
    ok &= cJSON_AddStringToObject(r, "strategy", llmbo_strategy_name(cfg->strategy)) != NULL;
    ok &=
        cJSON_AddStringToObject(r, "acquisition", llmbo_acquisition_name(cfg->acquisition)) != NULL;
    ok &= llmbo_json_add_number(r, "seed", (double)cfg->seed) != NULL;
    ok &= (init = cJSON_AddObjectToObject(r, "init")) != NULL;
    if (init) {
        ok &= cJSON_AddStringToObject(init, "design", llmbo_init_design_name(cfg->design)) != NULL;
        ok &= llmbo_json_add_number(init, "n", o.n_init) != NULL;
        if (cfg->init_from) {
            x = cJSON_Duplicate(cfg->init_from, 1);
            ok &= x && cJSON_AddItemToObject(init, "from", x);
        }
        if (cfg->init_points) {
            x = cJSON_Duplicate(cfg->init_points, 1);
            ok &= x && cJSON_AddItemToObject(init, "points", x);
        }
        if (cfg->init_from)
            ok &= cJSON_AddBoolToObject(init, "counted", cfg->init_counted) != NULL;
    }
    ok &= (gp = cJSON_AddObjectToObject(r, "gp")) != NULL;
    if (gp) {
        ok &= cJSON_AddStringToObject(gp, "kernel", llmbo_kernel_name(cfg->kernel)) != NULL;
        ok &= cJSON_AddBoolToObject(gp, "priors", cfg->priors) != NULL;
        ok &= llmbo_json_add_number(gp, "refit_every", cfg->refit_every) != NULL;
        ok &= llmbo_json_add_number(gp, "restarts", cfg->restarts) != NULL;
        ok &= llmbo_json_add_number(gp, "max_eval", cfg->max_eval) != NULL;
        if (cfg->noise_fit != 0)
            ok &= cJSON_AddStringToObject(gp, "noise", cfg->noise_fit > 0 ? "fit" : "auto") != NULL;
        else
            ok &= llmbo_json_add_number(gp, "noise", cfg->noise) != NULL;
        ok &= llmbo_json_add_number(gp, "noise_floor", cfg->noise_floor) != NULL;
        ok &= cJSON_AddStringToObject(gp, "warp", llmbo_names_get(&warps, cfg->warp)) != NULL;
    }
    ok &= llmbo_json_add_number(r, "batch", cfg->batch) != NULL;
    ok &= llmbo_json_add_number(r, "workers", cfg->workers) != NULL;
    ok &= cJSON_AddStringToObject(r, "dispatch",
                                  llmbo_names_get(&dispatches, (int)cfg->dispatch)) != NULL;
    ok &= cJSON_AddStringToObject(r, "pending", llmbo_pending_name(cfg->pending)) != NULL;
    if (cfg->batch_step != LLMBO_BATCH_STEP_OFF) /* absent in the configs from before it */
        ok &= cJSON_AddStringToObject(r, "batch_step", llmbo_batch_step_name(cfg->batch_step)) !=
              NULL;
    if (cfg->tail > 0) /* likewise */
        ok &= llmbo_json_add_number(r, "tail", cfg->tail) != NULL;
    ok &= cJSON_AddBoolToObject(r, "noisy", cfg->noisy > 0) != NULL;
    ok &= (acq = cJSON_AddObjectToObject(r, "acq")) != NULL;
    if (acq) {
        ok &= llmbo_json_add_number(acq, "xi", cfg->xi) != NULL;
        ok &= llmbo_json_add_number(acq, "sweep", o.acq_sweep) != NULL;
        ok &= llmbo_json_add_number(acq, "starts", o.acq_starts) != NULL;
        ok &= llmbo_json_add_number(acq, "candidates", cfg->candidates) != NULL;
        ok &= llmbo_json_add_number(acq, "dup_tol", cfg->dup_tol) != NULL;
        ok &= llmbo_json_add_number(acq, "stall_window", cfg->stall_window) != NULL;
    }
    if (cfg->advisor) {
        x = cJSON_Duplicate(cfg->advisor, 1);
        ok &= x && cJSON_AddItemToObject(r, "advisor", x);
    }
    if (!ok) {
        cJSON_Delete(r);
        return NULL;
    }
    return r;
}
