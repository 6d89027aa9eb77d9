/* run.c: one optimisation run from a config (the `llmbo run` verb). Batches of q points are
 * asked together and evaluated in id order; each result is told to the loop and journalled
 * (fsync'ed) before anything else happens, so the journal's lines are in id order and a batch
 * is complete in the journal before the next one is asked. Resume relies on this: full
 * batches are replayed into a fresh loop (llmbo_bo_replay, no computation) and a partial last
 * batch is asked again, which reproduces it for deterministic strategies. Observation noise is
 * reseeded per evaluation from (seed, id) so a resumed run draws the same noise. */
#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "llmbo_common.h"
#include "utf8.h"
#include "config.h"
#include "journal.h"
#include "loop_impl.h"
#include "objective_json.h"
#include "run.h"
#include "advisor.h"

enum { TAG_NOISE = 101 };

typedef struct run {
    llmbo_run_config cfg;
    char where[4200]; /* the config's file name, for messages */
    char *dir;        /* run directory or NULL */
    llmbo_objective *obj;
    const llmbo_space *space;
    int d, maximize, has_opt, progress;
    double opt, noise_sd;
    llmbo_advisor *adv;       /* NULL without an "advisor" object */
    llmbo_advisor_hook inner; /* the advisor's own hook */
    llmbo_advisor_hook hook;  /* what the loop calls: inner, reporting failures on stderr */
    llmbo_bo *bo;
    llmbo_journal *j;
    long n_lines, n_failed;
    double t0, t_offset;
    long n_start;         /* evaluations journalled before this process started (resume) */
    long consecutive;     /* failed evaluations in a row */
    long max_consecutive; /* stop after this many; 0: never */
    int failure_shown;    /* the first failure's reason went to stderr */
    char first_failure[600];
    char progress_text[400]; /* the last progress line, without its live streaming count */
    atomic_flag printing;    /* held while a streaming callback prints (skips, never waits) */
    double t_streamed;       /* when the live count was last printed */
} run;

static void stream_progress(void *ctx, long pieces);

/* ------------------------------------------------------------------------------------------ */
/* JSON pieces */

static void cost_of(const run *r, llmbo_cost *c)
{
    memset(c, 0, sizeof *c);
    if (r->hook.cost)
        r->hook.cost(r->hook.ctx, c);
}

static double num_or(const cJSON *o, const char *k, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static cJSON *num_or_null(int have, double v)
{
    return have ? llmbo_json_number(v) : cJSON_CreateNull();
}

static cJSON *journal_line(run *r, int64_t id, const double *x, int failed, double y,
                           const char *reason, llmbo_source src, double t_eval)
{
    double best = 0, th[64 + 2], *theta = th;
    if (r->d > 64 && !(theta = llmbo_malloc((size_t)r->d + 2, sizeof(double))))
        return NULL;
    int have_best = llmbo_bo_best(r->bo, NULL, &best, NULL) == LLMBO_OK;
    llmbo_journal_entry e = {.iter = (double)r->n_lines,
                             .id = (double)id,
                             .d = r->d,
                             .x = (double *)x,
                             .failed = failed,
                             .error = reason,
                             .y = y,
                             .source = (int)src,
                             .best = have_best ? best : NAN,
                             .regret = have_best && r->has_opt ? fabs(best - r->opt) : NAN,
                             .t_eval = t_eval,
                             .t_wall = r->t_offset + llmbo_now() - r->t0,
                             .theta = llmbo_bo_theta(r->bo, id, theta) ? theta : NULL};
    cost_of(r, &e.cost);
    cJSON *o = llmbo_journal_line(&e, r->space);
    if (theta != th)
        llmbo_free(theta);
    return o;
}

static cJSON *summary_json(run *r, int complete)
{
    cJSON *o = cJSON_CreateObject();
    double best = 0, *bx = llmbo_malloc((size_t)r->d, sizeof(double));
    llmbo_cost c;
    if (!o || !bx) {
        cJSON_Delete(o);
        llmbo_free(bx);
        return NULL;
    }
    int have_best = llmbo_bo_best(r->bo, bx, &best, NULL) == LLMBO_OK;
    const char *model = r->adv ? llmbo_advisor_model(r->adv) : NULL;
    cost_of(r, &c);
    int ok =
        llmbo_json_add(o, "llmbo_version", cJSON_CreateString(LLMBO_VERSION_STRING)) &&
        llmbo_json_add(o, "name",
                       r->cfg.name ? cJSON_CreateString(r->cfg.name) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "objective", cJSON_CreateString(llmbo_objective_name(r->obj))) &&
        llmbo_json_add(o, "strategy",
                       cJSON_CreateString(llmbo_run_strategy_name(r->cfg.strategy))) &&
        /* A random search uses no acquisition: null, not the unused default. */
        llmbo_json_add(o, "acquisition",
                       r->cfg.strategy == LLMBO_RUN_RANDOM
                           ? cJSON_CreateNull()
                           : cJSON_CreateString(llmbo_acquisition_name(r->cfg.acquisition))) &&
        llmbo_json_add(o, "model", model ? cJSON_CreateString(model) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "seed", llmbo_json_number((double)r->cfg.seed)) &&
        llmbo_json_add(o, "budget", llmbo_json_number(r->cfg.budget)) &&
        llmbo_json_add(o, "evaluations", llmbo_json_number((double)r->n_lines)) &&
        llmbo_json_add(o, "failed", llmbo_json_number((double)r->n_failed)) &&
        llmbo_json_add(o, "maximize", cJSON_CreateBool(r->maximize)) &&
        llmbo_json_add(o, "optimal_value", num_or_null(r->has_opt, r->opt)) &&
        llmbo_json_add(o, "best_y", num_or_null(have_best, best)) &&
        llmbo_json_add(o, "best_x",
                       have_best ? llmbo_journal_named_x(r->space, bx) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "best_xv",
                       have_best ? llmbo_json_number_array(bx, r->d) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "final_regret",
                       num_or_null(have_best && r->has_opt, fabs(best - r->opt))) &&
        llmbo_json_add(o, "wall_seconds", llmbo_json_number(r->t_offset + llmbo_now() - r->t0)) &&
        llmbo_json_add(o, "advisor", llmbo_cost_to_json(&c)) &&
        llmbo_json_add(o, "complete", cJSON_CreateBool(complete));
    llmbo_free(bx);
    if (!ok || llmbo_json_escape_utf8(o) < 0) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static llmbo_status write_json_file(const char *dir, const char *name, const cJSON *v,
                                    llmbo_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = cJSON_Print(v);
    if (!text)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    size_t n = strlen(text);
    char *t2 = llmbo_malloc(n + 2, 1);
    llmbo_status st;
    if (!t2) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    } else {
        memcpy(t2, text, n);
        t2[n] = '\n';
        t2[n + 1] = 0;
        st = llmbo_write_file_atomic(path, t2, err);
    }
    llmbo_free(t2);
    cJSON_free(text);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up */

/* The loop's advisor hook: the advisor's own, plus a line on stderr for every failed advice (the
 * loop only counts it), so a user sees why a run fell back: a transport error, an unusable
 * answer, a replay miss. */
static llmbo_status report_advise(void *ctx, const llmbo_advice_request *req,
                                  llmbo_advice_reply *reply, llmbo_error *err)
{
    run *r = ctx;
    llmbo_error local;
    if (!err)
        err = &local;
    llmbo_status st = r->inner.advise(r->inner.ctx, req, reply, err);
    if (st != LLMBO_OK)
        fprintf(stderr, "llmbo: evaluation %d: %s; the loop falls back\n", req->iteration,
                err->msg);
    return st;
}

static void report_cost(void *ctx, llmbo_cost *out)
{
    run *r = ctx;
    r->inner.cost(r->inner.ctx, out);
}

static void run_free(run *r)
{
    llmbo_bo_free(r->bo);
    llmbo_advisor_free(r->adv);
    llmbo_objective_free(r->obj);
    llmbo_journal_close(r->j);
    llmbo_run_config_free(&r->cfg);
    llmbo_free(r->dir);
}

/* The objective's declared observation noise (config "objective": {"noise_std": s}). */
static double declared_noise(const cJSON *objective)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(objective, "noise_std");
    return cJSON_IsObject(objective) && cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble
                                                                                : 0;
}

/* Objective, advisor and loop from r->cfg. Failures are the user's (exit 2). */
static llmbo_status setup(run *r, llmbo_error *err)
{
    char where[4300];
    llmbo_status st;
    snprintf(where, sizeof where, "%s: objective", r->where);
    st = llmbo_objective_from_json(r->cfg.objective, where,
                                   llmbo_bo_mix_seed(r->cfg.seed, 0, TAG_NOISE), &r->obj, err);
    if (st != LLMBO_OK)
        return st;
    if (r->cfg.instance > 0 &&
        (st = llmbo_objective_set_instance(r->obj, r->cfg.instance, err)) != LLMBO_OK) {
        llmbo_error_prefix(err, "%s: instance", r->where);
        return LLMBO_ERR_CONFIG;
    }
    r->space = llmbo_objective_space(r->obj);
    r->d = llmbo_objective_dim(r->obj);
    r->maximize = llmbo_objective_maximize(r->obj);
    r->has_opt = llmbo_objective_optimal_value(r->obj, &r->opt);
    r->noise_sd = declared_noise(r->cfg.objective);
    if (r->cfg.noisy < 0)
        r->cfg.noisy = r->noise_sd > 0;
    /* gp.noise unset: a deterministic objective gets a fixed, tiny noise variance (the GP's
     * default, 1e-6 in standardised units); a noisy one fits it under its prior. Fitting noise
     * on deterministic data lets the LogNormal(-4, 1) prior explain real structure as noise
     * (branin@30: median regret 1.7e-2 fitted vs 4.1e-4 fixed, seeds 0-4). */
    if (r->cfg.noise_fit < 0)
        r->cfg.noise_fit = r->cfg.noisy > 0;
    if (r->cfg.n_init == 0)
        r->cfg.n_init = llmbo_bo_default_n_init(r->d, r->cfg.budget);

    llmbo_bo_options o;
    llmbo_run_config_bo_options(&r->cfg, r->d, &o);
    o.maximize = r->maximize;
    o.problem = llmbo_objective_description(r->obj);
    if (r->cfg.advisor) {
        snprintf(where, sizeof where, "%s: advisor", r->where);
        st = llmbo_advisor_create(r->cfg.advisor, where, r->dir, &r->adv, err);
        if (st == LLMBO_OK && (st = llmbo_advisor_preflight(r->adv, err)) != LLMBO_OK) {
            llmbo_advisor_free(r->adv);
            r->adv = NULL;
        }
        if (st != LLMBO_OK)
            return st;
        llmbo_advisor_get_hook(r->adv, &r->inner);
        llmbo_advisor_set_progress(r->adv, stream_progress, r);
        r->hook = (llmbo_advisor_hook){LLMBO_ADVISOR_HOOK_VERSION, r, report_advise, report_cost};
        o.advisor = r->hook;
        llmbo_advisor_get_schedule(r->adv, &o.schedule);
    }
    st = llmbo_bo_create(r->space, &o, &r->bo, err);
    if (st != LLMBO_OK)
        llmbo_error_prefix(err, "%s", r->where);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation */

static void progress_line(run *r, int final)
{
    if (!r->progress)
        return;
    double best;
    char b[64] = "-", g[64] = "";
    if (llmbo_bo_best(r->bo, NULL, &best, NULL) == LLMBO_OK) {
        snprintf(b, sizeof b, "%.6g", best);
        if (r->has_opt)
            snprintf(g, sizeof g, "  regret %.3g", fabs(best - r->opt));
    }
    /* ETA from this process's own pace (a resumed run's earlier evaluations do not count). */
    double el = llmbo_now() - r->t0;
    long done = r->n_lines - r->n_start, left = r->cfg.budget - r->n_lines;
    char eta[48] = "ETA --";
    if (final)
        eta[0] = '\0';
    else if (done > 0)
        snprintf(eta, sizeof eta, "ETA %.0fs", el / (double)done * (double)left);
    llmbo_cost c;
    cost_of(r, &c);
    char cost[64] = "";
    if (c.calls > 0)
        snprintf(cost, sizeof cost, "  advisor $%.4g (%ld calls)", c.dollars, c.calls);
    snprintf(r->progress_text, sizeof r->progress_text,
             "llmbo run: %ld/%d evaluations  %ld failed  best %s%s%s  %.1fs  %s", r->n_lines,
             r->cfg.budget, r->n_failed, b, g, cost, r->t_offset + el, eta);
    fprintf(stderr, "\r\033[K%s%s", r->progress_text, final ? "\n" : "");
    fflush(stderr);
}

/* A streaming advisor's live token count (text pieces, about one token each), appended to the
 * last progress line at most every 0.1 s. Called from the backend's threads while the loop
 * waits for the advice: it reads nothing of the loop, and a call that finds another printing
 * skips its update instead of waiting. */
static void stream_progress(void *ctx, long pieces)
{
    run *r = ctx;
    if (!r->progress || atomic_flag_test_and_set(&r->printing))
        return;
    double now = llmbo_now();
    if (now - r->t_streamed >= 0.1) {
        r->t_streamed = now;
        fprintf(stderr, "\r\033[K%s  advisor streaming: ~%ld tokens", r->progress_text, pieces);
        fflush(stderr);
    }
    atomic_flag_clear(&r->printing);
}

/* Evaluates proposal id at x, tells the loop and journals the result. */
static llmbo_status evaluate(run *r, int64_t id, const double *x, llmbo_source src,
                             llmbo_error *err)
{
    llmbo_error e;
    double y = NAN;
    if (r->noise_sd > 0)
        llmbo_objective_set_noise(r->obj, r->noise_sd,
                                  llmbo_bo_mix_seed(r->cfg.seed, (uint64_t)id, TAG_NOISE));
    e.msg[0] = 0;
    double t = llmbo_now();
    llmbo_status st = llmbo_objective_eval(r->obj, x, &y, &e);
    double t_eval = llmbo_now() - t;
    int failed = st != LLMBO_OK || !isfinite(y);
    const char *reason = st != LLMBO_OK ? e.msg : "the objective returned a non-finite value";
    if (st != LLMBO_OK && !reason[0])
        reason = llmbo_strerror(st);
    if ((st = llmbo_bo_tell(r->bo, id, y, failed, err)) != LLMBO_OK)
        return st;
    r->n_failed += failed;
    if (r->j) {
        cJSON *line = journal_line(r, id, x, failed, y, reason, src, t_eval);
        if (!line)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory writing the journal");
        st = llmbo_journal_append(r->j, line, err);
        cJSON_Delete(line);
        if (st != LLMBO_OK)
            return st;
    }
    r->n_lines++;
    if (failed) {
        r->consecutive++;
        if (!r->first_failure[0])
            snprintf(r->first_failure, sizeof r->first_failure, "%s", reason);
        if (!r->failure_shown) {
            /* The first failure's reason, in full; later ones only counted in the progress
             * line and the final message (the journal has every reason). */
            fprintf(stderr, "%sllmbo run: evaluation %ld failed: %s\n",
                    r->progress ? "\r\033[K" : "", r->n_lines - 1, reason);
            r->failure_shown = 1;
        }
    } else {
        r->consecutive = 0;
    }
    progress_line(r, 0);
    if (failed && r->max_consecutive > 0 && r->consecutive >= r->max_consecutive)
        return llmbo_error_set(err, LLMBO_ERR_OBJECTIVE,
                               "stopped after %ld failed evaluations in a row (%ld of %ld failed; "
                               "the last: %.300s); fix the objective, then continue with llmbo "
                               "run --resume%s%s, or set --max-failures",
                               r->consecutive, r->n_failed, r->n_lines, reason, r->dir ? " " : "",
                               r->dir ? r->dir : "");
    return LLMBO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Resume */

typedef struct jrec {
    int64_t id;
    double *x; /* (d) */
    llmbo_source src;
    int failed;
    double y;
    double *theta; /* (d + 2) or NULL */
} jrec;

static void jrecs_free(jrec *recs, int n)
{
    if (!recs)
        return;
    for (int i = 0; i < n; i++) {
        llmbo_free(recs[i].x);
        llmbo_free(recs[i].theta);
    }
    llmbo_free(recs);
}

/* Decodes the journal's lines; they must be in id order 0, 1, 2, ... (as run writes them). */
static llmbo_status decode_journal(run *r, const char *path, cJSON **lines, int n, jrec **out,
                                   llmbo_error *err)
{
    jrec *recs = llmbo_calloc(n > 0 ? (size_t)n : 1, sizeof *recs);
    if (!recs)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory reading %s", path);
    for (int i = 0; i < n; i++) {
        jrec *q = &recs[i];
        llmbo_journal_entry e;
        if (llmbo_journal_entry_read(lines[i], r->d, &e) != LLMBO_OK) {
            jrecs_free(recs, n);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory reading %s", path);
        }
        const char *bad = NULL;
        if (e.iter != i || e.id != i)
            bad = "iter and id must both equal the line's index";
        else if (!e.x)
            bad = "xv must be an array of finite numbers of the objective's dimension";
        else if (e.source < 0)
            bad = "unknown source";
        else if (!e.status_ok)
            bad = "status must be \"ok\" or \"failed\"";
        else if (!e.failed && !isfinite(e.y))
            bad = "y must be a finite number for an ok evaluation";
        else if (!isnan(e.t_wall) && (isinf(e.t_wall) || e.t_wall < 0))
            bad = "t_wall must be a finite number of seconds >= 0";
        else if (!e.theta_ok)
            bad = "theta must be null or an array of d + 2 numbers";
        if (bad) {
            llmbo_journal_entry_clear(&e);
            jrecs_free(recs, n);
            return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", path, i + 1, bad);
        }
        q->id = (int64_t)e.id;
        q->x = e.x;
        q->theta = e.theta;
        q->failed = e.failed;
        q->src = (llmbo_source)e.source;
        q->y = e.failed ? NAN : e.y;
    }
    *out = recs;
    return LLMBO_OK;
}

/* Feeds recs[from..to) to the loop as replayed proposals, then their results. */
static llmbo_status replay_range(run *r, const jrec *recs, int from, int to, llmbo_error *err)
{
    llmbo_status st;
    for (int i = from; i < to; i++)
        if ((st = llmbo_bo_replay(r->bo, recs[i].id, recs[i].x, recs[i].src, recs[i].theta, err)) !=
            LLMBO_OK)
            return st;
    for (int i = from; i < to; i++)
        if ((st = llmbo_bo_tell(r->bo, recs[i].id, recs[i].y, recs[i].failed, err)) != LLMBO_OK)
            return st;
    return LLMBO_OK;
}

static int batch_size(const run *r)
{
    long left = r->cfg.budget - llmbo_bo_n_asked(r->bo);
    return left < r->cfg.batch ? (int)left : r->cfg.batch;
}

/* ------------------------------------------------------------------------------------------ */
/* The run */

typedef struct batch {
    int k, next;       /* points in the batch, next to evaluate */
    int64_t *ids;      /* (batch) */
    double *X;         /* (batch, d) */
    llmbo_source *src; /* (batch) */
} batch;

static llmbo_status optimise(run *r, batch *b, llmbo_error *err)
{
    llmbo_status st;
    while (llmbo_bo_n_told(r->bo) < r->cfg.budget) {
        if (b->next >= b->k) {
            b->k = batch_size(r);
            b->next = 0;
            if ((st = llmbo_bo_ask(r->bo, b->k, b->ids, b->X, b->src, err)) != LLMBO_OK)
                return st;
        }
        for (; b->next < b->k; b->next++)
            if ((st = evaluate(r, b->ids[b->next], b->X + (size_t)b->next * r->d, b->src[b->next],
                               err)) != LLMBO_OK)
                return st;
    }
    return LLMBO_OK;
}

/* Rebuilds the loop from the journal in dir; the partial last batch (if any) is left in b. */
static llmbo_status resume(run *r, batch *b, int *user_error, llmbo_error *err)
{
    char path[4300];
    cJSON **lines = NULL;
    int n = 0, torn = 0;
    jrec *recs = NULL;
    llmbo_status st;
    snprintf(path, sizeof path, "%s/journal.jsonl", r->dir);
    if ((st = llmbo_journal_read(path, 1, &lines, &n, &torn, err)) != LLMBO_OK) {
        *user_error = st == LLMBO_ERR_FORMAT;
        return st;
    }
    st = decode_journal(r, path, lines, n, &recs, err);
    if (st != LLMBO_OK) {
        *user_error = st == LLMBO_ERR_FORMAT;
        llmbo_journal_lines_free(lines, n);
        return st;
    }
    if (n > r->cfg.budget) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: %d evaluations exceed the budget %d", path,
                             n, r->cfg.budget);
        *user_error = 1;
        goto done;
    }
    if (n > 0) {
        llmbo_cost c;
        llmbo_cost_from_json(cJSON_GetObjectItemCaseSensitive(lines[n - 1], "advisor"), &c);
        if (r->adv)
            llmbo_advisor_restore_cost(r->adv, &c);
        r->t_offset = num_or(lines[n - 1], "t_wall", 0);
    }
    int q = r->cfg.batch, full = n - n % q, part = n % q;
    for (int b0 = 0; b0 < full && st == LLMBO_OK; b0 += q)
        st = replay_range(r, recs, b0, b0 + q, err);
    if (st != LLMBO_OK)
        goto done;
    b->k = 0;
    b->next = 0;
    if (part > 0) {
        /* Ask the interrupted batch again; a deterministic strategy gives the same points. */
        b->k = batch_size(r);
        if ((st = llmbo_bo_ask(r->bo, b->k, b->ids, b->X, b->src, err)) != LLMBO_OK)
            goto done;
        int same = 1;
        for (int i = 0; i < part; i++)
            same &= b->ids[i] == recs[full + i].id && b->src[i] == recs[full + i].src &&
                    memcmp(b->X + (size_t)i * r->d, recs[full + i].x,
                           (size_t)r->d * sizeof(double)) == 0;
        if (same) {
            for (int i = 0; i < part && st == LLMBO_OK; i++)
                st = llmbo_bo_tell(r->bo, recs[full + i].id, recs[full + i].y,
                                   recs[full + i].failed, err);
            b->next = part;
        } else {
            /* The advisor answered differently this time: keep what the journal holds and
             * complete the batch with fresh proposals. */
            fprintf(stderr, "llmbo run: the interrupted batch was proposed differently on "
                            "resume; continuing from the journal\n");
            llmbo_bo_free(r->bo);
            r->bo = NULL;
            llmbo_bo_options o;
            llmbo_run_config_bo_options(&r->cfg, r->d, &o);
            o.maximize = r->maximize;
            o.problem = llmbo_objective_description(r->obj);
            if (r->adv) {
                o.advisor = r->hook;
                llmbo_advisor_get_schedule(r->adv, &o.schedule);
            }
            if ((st = llmbo_bo_create(r->space, &o, &r->bo, err)) != LLMBO_OK)
                goto done;
            for (int b0 = 0; b0 < full && st == LLMBO_OK; b0 += q)
                st = replay_range(r, recs, b0, b0 + q, err);
            if (st == LLMBO_OK)
                st = replay_range(r, recs, full, n, err);
            if (st != LLMBO_OK)
                goto done;
            b->k = q - part;
            if (b->k > r->cfg.budget - n)
                b->k = r->cfg.budget - n;
            b->next = 0;
            if (b->k > 0 && (st = llmbo_bo_ask(r->bo, b->k, b->ids, b->X, b->src, err)) != LLMBO_OK)
                goto done;
        }
    }
    r->n_lines = n;
    for (int i = 0; i < n; i++)
        r->n_failed += recs[i].failed;
done:
    if (st != LLMBO_OK && !*user_error && st == LLMBO_ERR_INVALID) {
        *user_error = 1;
        llmbo_error_prefix(err, "%s", path);
    }
    jrecs_free(recs, n);
    llmbo_journal_lines_free(lines, n);
    return st;
}

static int file_nonempty(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

/* The marker llmbo writes first into every run directory it creates: a directory without it
 * holds files llmbo did not write, which a new run must not overwrite. */
#define RUN_MARKER ".llmbo-run"

/* Checks that a new run may write into dir: absent, empty, llmbo's own run directory without
 * evaluations, or a bench cell (only the bench's run.json and run.log). Lists what is in the
 * way. */
static llmbo_status check_out_dir(const char *dir, llmbo_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT
                   ? LLMBO_OK
                   : llmbo_error_set(err, LLMBO_ERR_IO, "--out %s: %s", dir, strerror(errno));
    char path[4300], found[300] = "";
    int marker = 0, n_foreign = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
            continue;
        if (strcmp(n, RUN_MARKER) == 0) {
            marker = 1;
            continue;
        }
        if (strcmp(n, "run.log") == 0 || strcmp(n, "run.json") == 0)
            continue; /* written by llmbo bench before it starts the run; never by the run */
        if (n_foreign++ < 4) {
            size_t l = strlen(found);
            snprintf(found + l, sizeof found - l, "%s%s", l ? ", " : "", n);
        }
    }
    closedir(d);
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    if (file_nonempty(path))
        return llmbo_error_set(err, LLMBO_ERR_IO,
                               "%s already holds a run; continue it with --resume %s or choose "
                               "another --out",
                               dir, dir);
    if (n_foreign && !marker)
        return llmbo_error_set(err, LLMBO_ERR_IO,
                               "--out %s: the directory holds files llmbo did not write (%s%s); "
                               "llmbo writes a run only into a new or empty directory or one of "
                               "its own run directories, so nothing of yours is overwritten: "
                               "choose another --out",
                               dir, found, n_foreign > 4 ? ", ..." : "");
    return LLMBO_OK;
}

llmbo_status llmbo_run_exec(const llmbo_run_args *a, int *user_error, llmbo_error *err)
{
    run r;
    batch b;
    llmbo_status st;
    char path[4300];
    memset(&r, 0, sizeof r);
    memset(&b, 0, sizeof b);
    atomic_flag_clear(&r.printing);
    *user_error = 1;
    r.t0 = llmbo_now();
    r.progress = a->progress;
    const char *dir = a->resume_dir ? a->resume_dir : a->out_dir;
    if (dir && !(r.dir = llmbo_strdup(dir)))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");

    if (a->resume_dir) {
        snprintf(r.where, sizeof r.where, "%s/config.json", a->resume_dir);
        st = llmbo_run_config_load(r.where, &r.cfg, err);
    } else {
        snprintf(r.where, sizeof r.where, "%s", a->config_path ? a->config_path : "config");
        st = llmbo_run_config_load(r.where, &r.cfg, err);
        if (st == LLMBO_OK && a->have_seed)
            r.cfg.seed = a->seed;
    }
    if (st != LLMBO_OK)
        goto out;
    if (!a->resume_dir && r.dir) {
        if ((st = check_out_dir(r.dir, err)) != LLMBO_OK ||
            (st = llmbo_mkdir_p(r.dir, err)) != LLMBO_OK)
            goto out;
        snprintf(path, sizeof path, "%s/" RUN_MARKER, r.dir);
        FILE *m = fopen(path, "w");
        if (!m || fputs("written by llmbo run; see docs/formats.md\n", m) < 0 || fclose(m) != 0) {
            if (m)
                fclose(m);
            st = llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
            goto out;
        }
    }
    if ((st = setup(&r, err)) != LLMBO_OK)
        goto out;
    if (a->resume_dir && a->config_path) {
        /* `llmbo run CONFIG --resume DIR` (the README's form): CONFIG must be the run's own
         * config, compared after resolution so defaults written out do not count. */
        llmbo_run_config given;
        memset(&given, 0, sizeof given);
        st = llmbo_run_config_load(a->config_path, &given, err);
        if (st == LLMBO_OK) {
            /* "auto" settings are resolved from the objective at setup, as they were when the
             * run's config.json was written. */
            if (given.noise_fit < 0) {
                given.noise_fit = r.cfg.noise_fit;
                given.noise = r.cfg.noise;
            }
            if (given.noisy < 0)
                given.noisy = r.cfg.noisy;
            cJSON *g = llmbo_run_config_to_json(&given, r.d);
            cJSON *h = llmbo_run_config_to_json(&r.cfg, r.d);
            if (!g || !h)
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            else if (!cJSON_Compare(g, h, 1)) {
                const char *key = "?";
                for (const cJSON *x = h->child; x; x = x->next)
                    if (!cJSON_Compare(x, cJSON_GetObjectItemCaseSensitive(g, x->string), 1)) {
                        key = x->string;
                        break;
                    }
                st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                     "%s is not the config of the run in %s (\"%s\" differs from "
                                     "%s/config.json); resume with llmbo run --resume %s, or start "
                                     "a new run with another --out",
                                     a->config_path, a->resume_dir, key, a->resume_dir,
                                     a->resume_dir);
            }
            cJSON_Delete(g);
            cJSON_Delete(h);
        }
        llmbo_run_config_free(&given);
        if (st != LLMBO_OK)
            goto out;
    }
    b.ids = llmbo_malloc((size_t)r.cfg.batch, sizeof(int64_t));
    b.X = llmbo_malloc((size_t)r.cfg.batch * (size_t)r.d, sizeof(double));
    b.src = llmbo_malloc((size_t)r.cfg.batch, sizeof(llmbo_source));
    if (!b.ids || !b.X || !b.src) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (a->resume_dir) {
        if ((st = resume(&r, &b, user_error, err)) != LLMBO_OK)
            goto out;
    } else if (r.dir) {
        cJSON *resolved = llmbo_run_config_to_json(&r.cfg, r.d);
        if (!resolved) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto out;
        }
        st = write_json_file(r.dir, "config.json", resolved, err);
        cJSON_Delete(resolved);
        if (st != LLMBO_OK)
            goto out;
    }
    if (r.dir) {
        snprintf(path, sizeof path, "%s/journal.jsonl", r.dir);
        if ((st = llmbo_journal_open(path, &r.j, err)) != LLMBO_OK)
            goto out;
    }
    *user_error = 0;
    r.n_start = r.n_lines;
    r.max_consecutive = a->max_consecutive_failures;
    progress_line(&r, 0);
    st = optimise(&r, &b, err);
    progress_line(&r, 1);
    if (st == LLMBO_OK && r.n_lines > 0 && r.n_failed == r.n_lines)
        st = llmbo_error_set(err, LLMBO_ERR_OBJECTIVE,
                             "no evaluation succeeded (%ld of %ld failed; the first: %.300s)",
                             r.n_failed, r.n_lines,
                             r.first_failure[0] ? r.first_failure : "see the journal");
    {
        int complete = st == LLMBO_OK && r.n_lines == r.cfg.budget;
        cJSON *sum = summary_json(&r, complete);
        llmbo_error serr;
        if (!sum) {
            if (st == LLMBO_OK)
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        } else {
            if (r.dir) {
                llmbo_status s2 = write_json_file(r.dir, "summary.json", sum, &serr);
                if (s2 != LLMBO_OK && st == LLMBO_OK) {
                    st = s2;
                    *err = serr;
                }
            }
            if (a->summary_out) {
                char *text = cJSON_Print(sum);
                if (text) {
                    fprintf(a->summary_out, "%s\n", text);
                    fflush(a->summary_out);
                    cJSON_free(text);
                }
            }
            cJSON_Delete(sum);
        }
    }
out:
    llmbo_free(b.ids);
    llmbo_free(b.X);
    llmbo_free(b.src);
    run_free(&r);
    return st;
}
