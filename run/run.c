/* run.c: one optimisation run from a config (the `llmbo run`, `llmbo ask` and `llmbo tell`
 * verbs). Every proposal is appended (fsync'ed) to DIR/asked.jsonl before it is evaluated,
 * with the ids told to the loop since the previous proposal; every result is appended to
 * DIR/journal.jsonl as soon as it arrives. Resume replays the two files into a fresh loop in
 * their original interleaving of asks and tells (llmbo_bo_replay, no computation), so the
 * rebuilt loop proposes what the uninterrupted one would have; proposals without a result (in
 * flight when the run was killed, or asked by `llmbo ask`) are evaluated again at the same
 * point and id. Up to `workers` evaluations run at once, each in its own thread with its own
 * objective instance (an external objective is a child process per evaluation). "dispatch":
 * "ordered" tells results in id order, so the loop's state at every ask, and with it every
 * proposal, does not depend on which evaluation finishes first; "async" tells each result as
 * it arrives. Observation noise is reseeded per evaluation from (seed, id). */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "llmbo_common.h"
#include "utf8.h"
#include "strbuf.h"
#include "config.h"
#include "journal.h"
#include "fileio.h"
#include "loop_impl.h"
#include "objective_json.h"
#include "objective_impl.h"
#include "run.h"
#include "advisor.h"
#include "import.h"

enum { TAG_NOISE = 101 };

/* State of proposal id in the run's tables. */
enum { S_NONE = 0, S_QUEUED, S_RUNNING, S_ARRIVED, S_TOLD };

struct run;

/* One evaluation slot. Objectives are not thread-safe (noise generator, shift buffer): each
 * worker owns an instance. */
typedef struct worker {
    struct run *r;
    llmbo_objective *obj;
    pthread_t th;
    int busy, done, threaded;
    int64_t id;
    double *x; /* (d) */
    double y, t_eval;
    int failed;
    long seq; /* completion order */
    char reason[600];
} worker;

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
    llmbo_journal *j;     /* journal.jsonl */
    llmbo_journal *asked; /* asked.jsonl */
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
    llmbo_cost cost0; /* the cost recorded last in the run's files (no advisor in this process) */

    /* Tables over proposal ids 0 .. total-1. */
    int total;             /* evaluations of the run */
    long n_asked;          /* proposals in asked.jsonl (and in the loop) */
    unsigned char *state;  /* (total) S_* */
    double *X;             /* (total, d) proposed points */
    llmbo_source *src;     /* (total) */
    double *theta;         /* (total, d + 2) hyperparameters of the proposing model */
    unsigned char *has_th; /* (total) */
    double *Y;             /* (total) results (objective's sense) of arrived proposals */
    unsigned char *yfail;  /* (total) */
    int64_t *arrived;      /* (total) ARRIVED ids in arrival order */
    int n_arrived;         /* entries of arrived */
    int64_t *told_since;   /* (total) ids told since the last ask, in tell order */
    int n_told_since;      /* entries of told_since */
    int have_best;         /* best so far over journalled successes, in journal order */
    double best;
    double *best_x;    /* (d) */
    double best_clean; /* a noisy built-in objective: its noise-free value at best_x (the regret
                          is measured on it), else best */

    /* Warm start ("init.from", "init.points"). */
    int n_data;       /* imported observations (source "data"), ids 0 .. n_data-1 */
    llmbo_import imp; /* a new run's imported observations */
    int fresh_ok;     /* llmbo run --resume: a directory with nothing asked yet starts
                         as the new run it was (fresh) */
    int fresh;
    double *pts;              /* (n_pts, d) a new run's init.points */
    int n_pts;                /* entries of pts */
    unsigned char *need_line; /* (total) imported results asked.jsonl holds but the journal
                                 lacks (a kill during the import): written on open */

    /* Workers. */
    int n_workers, ordered;
    worker *wk; /* (n_workers) */
    int n_running;
    long seq;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int sync_ok;

    /* Held while the run is open (run_begin .. run_end). */
    int lock;       /* the directory's lock (lock_dir), -1: none */
    int workers;    /* > 0: overrides the config's "workers" (-j) */
    cJSON **legacy; /* asked.jsonl's lines to rewrite on open (load_dir), or NULL */
    int n_legacy;   /* entries of legacy */
} run;

static void stream_progress(void *ctx, long pieces);

/* ------------------------------------------------------------------------------------------ */
/* JSON pieces */

static void cost_of(const run *r, llmbo_cost *c)
{
    if (r->hook.cost) {
        memset(c, 0, sizeof *c);
        r->hook.cost(r->hook.ctx, c);
    } else {
        *c = r->cost0;
    }
}

static cJSON *num_or_null(int have, double v)
{
    return have ? llmbo_json_number(v) : cJSON_CreateNull();
}

static double *theta_of(const run *r, int64_t id)
{
    return r->has_th[id] ? r->theta + (size_t)id * ((size_t)r->d + 2) : NULL;
}

static double regret_of(const run *r);

static cJSON *journal_line(run *r, int64_t id, int failed, double y, const char *reason,
                           double t_eval)
{
    llmbo_journal_entry e = {.iter = (double)r->n_lines,
                             .id = (double)id,
                             .d = r->d,
                             .x = r->X + (size_t)id * r->d,
                             .failed = failed,
                             .error = reason,
                             .y = y,
                             .source = (int)r->src[id],
                             .best = r->have_best ? r->best : NAN,
                             .regret = regret_of(r),
                             .t_eval = t_eval,
                             .t_wall = r->t_offset + llmbo_now() - r->t0,
                             .theta = theta_of(r, id)};
    cost_of(r, &e.cost);
    return llmbo_journal_line(&e, r->space);
}

/* The model's name for summary.json: the advisor's, or the config's when this process made no
 * advisor (llmbo tell). */
static const char *model_name(const run *r)
{
    if (r->adv)
        return llmbo_advisor_model(r->adv);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->cfg.advisor, "model");
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

static cJSON *summary_json(run *r, int complete)
{
    cJSON *o = cJSON_CreateObject();
    llmbo_cost c;
    if (!o)
        return NULL;
    int have_best = r->have_best;
    double best = r->best;
    const char *model = model_name(r);
    cost_of(r, &c);
    int ok =
        llmbo_json_add(o, "llmbo_version", cJSON_CreateString(LLMBO_VERSION_STRING)) &&
        llmbo_json_add(o, "name",
                       r->cfg.name ? cJSON_CreateString(r->cfg.name) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "objective", cJSON_CreateString(llmbo_objective_name(r->obj))) &&
        llmbo_json_add(o, "strategy", cJSON_CreateString(llmbo_strategy_name(r->cfg.strategy))) &&
        /* A random search uses no acquisition: null, not the unused default. */
        llmbo_json_add(o, "acquisition",
                       r->cfg.strategy == LLMBO_STRATEGY_RANDOM
                           ? cJSON_CreateNull()
                           : cJSON_CreateString(llmbo_acquisition_name(r->cfg.acquisition))) &&
        llmbo_json_add(o, "model", model ? cJSON_CreateString(model) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "seed", llmbo_json_number((double)r->cfg.seed)) &&
        llmbo_json_add(o, "budget", llmbo_json_number(r->cfg.budget)) &&
        llmbo_json_add(o, "evaluations", llmbo_json_number((double)r->n_lines)) &&
        llmbo_json_add(o, "failed", llmbo_json_number((double)r->n_failed)) &&
        llmbo_json_add(o, "imported", llmbo_json_number((double)r->n_data)) &&
        llmbo_json_add(o, "maximize", cJSON_CreateBool(r->maximize)) &&
        llmbo_json_add(o, "optimal_value", num_or_null(r->has_opt, r->opt)) &&
        llmbo_json_add(o, "best_y", num_or_null(have_best, best)) &&
        llmbo_json_add(o, "best_x",
                       have_best ? llmbo_space_point_to_json(r->space, r->best_x, llmbo_json_number)
                                 : cJSON_CreateNull()) &&
        llmbo_json_add(o, "best_xv",
                       have_best ? llmbo_json_number_array(r->best_x, r->d) : cJSON_CreateNull()) &&
        llmbo_json_add(o, "final_regret", num_or_null(have_best && r->has_opt, regret_of(r))) &&
        llmbo_json_add(o, "wall_seconds", llmbo_json_number(r->t_offset + llmbo_now() - r->t0)) &&
        llmbo_json_add(o, "advisor", llmbo_cost_to_json(&c)) &&
        llmbo_json_add(o, "complete", cJSON_CreateBool(complete));
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
    if (r->wk) {
        for (int w = 1; w < r->n_workers; w++)
            llmbo_objective_free(r->wk[w].obj);
        for (int w = 0; w < r->n_workers; w++)
            llmbo_free(r->wk[w].x);
        llmbo_free(r->wk);
    }
    if (r->sync_ok) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
    }
    llmbo_objective_free(r->obj);
    llmbo_journal_close(r->j);
    llmbo_journal_close(r->asked);
    llmbo_run_config_free(&r->cfg);
    llmbo_free(r->dir);
    llmbo_free(r->state);
    llmbo_free(r->X);
    llmbo_free(r->src);
    llmbo_free(r->theta);
    llmbo_free(r->has_th);
    llmbo_free(r->Y);
    llmbo_free(r->yfail);
    llmbo_free(r->arrived);
    llmbo_free(r->told_since);
    llmbo_free(r->best_x);
    llmbo_free(r->need_line);
    llmbo_free(r->pts);
    llmbo_import_free(&r->imp);
}

/* The objective's declared observation noise (config "objective": {"noise_std": s}). */
static double declared_noise(const cJSON *objective)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(objective, "noise_std");
    return cJSON_IsObject(objective) && cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble
                                                                                : 0;
}

static llmbo_status make_objective(run *r, llmbo_objective **out, llmbo_error *err)
{
    char where[4300];
    snprintf(where, sizeof where, "%s: objective", r->where);
    llmbo_status st = llmbo_objective_from_json(
        r->cfg.objective, where, llmbo_bo_mix_seed(r->cfg.seed, 0, TAG_NOISE), out, err);
    if (st != LLMBO_OK)
        return st;
    if (r->cfg.instance > 0 &&
        (st = llmbo_objective_set_instance(*out, r->cfg.instance, err)) != LLMBO_OK) {
        llmbo_error_prefix(err, "%s: instance", r->where);
        return LLMBO_ERR_CONFIG;
    }
    return LLMBO_OK;
}

static llmbo_status read_init_points(run *r, llmbo_error *err);

/* A new run's warm-start data: init.from's observations into r->imp, init.points into
 * r->pts; the budget's room checked. */
static llmbo_status read_init(run *r, llmbo_error *err)
{
    llmbo_status st;
    llmbo_import_init(&r->imp, r->d);
    for (const cJSON *f = r->cfg.init_from ? r->cfg.init_from->child : NULL; f; f = f->next)
        if ((st = llmbo_import_path(f->valuestring, r->space, &r->imp, err)) != LLMBO_OK) {
            llmbo_error_prefix(err, "%s: init.from", r->where);
            return st == LLMBO_ERR_NOMEM ? st : LLMBO_ERR_CONFIG;
        }
    if ((st = read_init_points(r, err)) != LLMBO_OK)
        return st;
    r->n_data = r->imp.n;
    if (r->cfg.init_counted && r->n_data + r->n_pts > r->cfg.budget)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: init.from: %d imported observations and %d init.points exceed "
                               "the budget %d (init.counted is true: imported observations count "
                               "against it)",
                               r->where, r->n_data, r->n_pts, r->cfg.budget);
    return LLMBO_OK;
}

/* init.points into r->pts (r->n_pts). */
static llmbo_status read_init_points(run *r, llmbo_error *err)
{
    llmbo_status st;
    char where[4400];
    r->n_pts = r->cfg.init_points ? cJSON_GetArraySize(r->cfg.init_points) : 0;
    if (r->n_pts > 0 && !(r->pts = llmbo_malloc((size_t)r->n_pts * (size_t)r->d, sizeof(double))))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    int i = 0;
    for (const cJSON *q = r->cfg.init_points ? r->cfg.init_points->child : NULL; q;
         q = q->next, i++) {
        snprintf(where, sizeof where, "%s: init.points[%d]", r->where, i);
        if ((st = llmbo_import_named(q, where, r->space, r->pts + (size_t)i * r->d, err)) !=
            LLMBO_OK)
            return st == LLMBO_ERR_NOMEM ? st : LLMBO_ERR_CONFIG;
    }
    return LLMBO_OK;
}

/* Objective, tables, workers, and (with_loop) advisor and loop from r->cfg. A new run
 * (new_run) reads its warm-start data; a resumed one has r->n_data set already. Failures are
 * the user's (exit 2). */
static llmbo_status setup(run *r, int with_loop, int new_run, llmbo_error *err)
{
    char where[4300];
    llmbo_status st;
    if ((st = make_objective(r, &r->obj, err)) != LLMBO_OK)
        return st;
    r->space = llmbo_objective_space(r->obj);
    r->d = llmbo_objective_dim(r->obj);
    if (new_run && (st = read_init(r, err)) != LLMBO_OK)
        return st;
    /* The budget counts new evaluations unless init.counted. */
    r->total = r->cfg.budget + (r->cfg.init_counted ? 0 : r->n_data);
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
        r->cfg.n_init = llmbo_bo_default_n_init(r->d, r->cfg.budget, r->cfg.strategy);

    size_t n = (size_t)r->total, d = (size_t)r->d;
    r->state = llmbo_calloc(n, 1);
    r->X = llmbo_calloc(n * d, sizeof(double));
    r->src = llmbo_calloc(n, sizeof(llmbo_source));
    r->theta = llmbo_calloc(n * (d + 2), sizeof(double));
    r->has_th = llmbo_calloc(n, 1);
    r->Y = llmbo_calloc(n, sizeof(double));
    r->yfail = llmbo_calloc(n, 1);
    r->arrived = llmbo_calloc(n, sizeof(int64_t));
    r->told_since = llmbo_calloc(n, sizeof(int64_t));
    r->best_x = llmbo_calloc(d, sizeof(double));
    r->need_line = llmbo_calloc(n, 1);
    r->n_workers = r->cfg.workers;
    r->ordered = r->cfg.dispatch == LLMBO_DISPATCH_ORDERED;
    r->wk = llmbo_calloc((size_t)r->n_workers, sizeof(worker));
    if (!r->state || !r->X || !r->src || !r->theta || !r->has_th || !r->Y || !r->yfail ||
        !r->arrived || !r->told_since || !r->best_x || !r->wk || !r->need_line)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    for (int w = 0; w < r->n_workers; w++) {
        r->wk[w].r = r;
        if (!(r->wk[w].x = llmbo_calloc(d, sizeof(double))))
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        if (w == 0)
            r->wk[w].obj = r->obj;
        else if ((st = make_objective(r, &r->wk[w].obj, err)) != LLMBO_OK)
            return st;
    }
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "cannot create a mutex");
    if (pthread_cond_init(&r->cv, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "cannot create a condition variable");
    }
    r->sync_ok = 1;
    if (!with_loop)
        return LLMBO_OK;

    llmbo_bo_options o;
    llmbo_run_config_bo_options(&r->cfg, r->d, &o);
    o.maximize = r->maximize;
    o.problem = llmbo_objective_description(r->obj);
    o.budget = r->total;
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
        llmbo_advisor_set_run_seed(r->adv, r->cfg.seed);
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
/* Results */

static void progress_line(run *r, int final)
{
    if (!r->progress)
        return;
    char b[64] = "-", g[64] = "", wk[48] = "";
    if (r->have_best) {
        snprintf(b, sizeof b, "%.6g", r->best);
        if (r->has_opt)
            snprintf(g, sizeof g, "  regret %.3g", regret_of(r));
    }
    if (r->n_workers > 1 && !final)
        snprintf(wk, sizeof wk, "  %d running", r->n_running);
    /* ETA from this process's own pace (a resumed run's earlier evaluations do not count). */
    double el = llmbo_now() - r->t0;
    long done = r->n_lines - r->n_start, left = r->total - r->n_lines;
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
             "llmbo run: %ld/%d evaluations  %ld failed  best %s%s%s%s  %.1fs  %s", r->n_lines,
             r->total, r->n_failed, b, g, cost, wk, r->t_offset + el, eta);
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

/* Folds a journalled result into the best so far (journal order). */
static void note_best(run *r, int64_t id, double y, int failed)
{
    if (failed)
        return;
    int better = !r->have_best || (r->maximize ? y > r->best : y < r->best);
    if (better) {
        r->have_best = 1;
        r->best = y;
        memcpy(r->best_x, r->X + (size_t)id * r->d, (size_t)r->d * sizeof(double));
        /* With observation noise the best observed value is biased low (the luckiest draw of
         * many); the regret of the incumbent is its noise-free value's. */
        r->best_clean = y;
        if (r->has_opt && llmbo_objective_noise(r->obj) > 0 &&
            llmbo_objective_eval_noise_free(r->obj, r->best_x, &r->best_clean, NULL) != LLMBO_OK)
            r->best_clean = NAN;
    }
}

/* The simple regret of the incumbent (the best observed point): |f(x_best) - optimum|, f
 * noise-free for a noisy built-in objective. NaN without an optimum or a best. */
static double regret_of(const run *r)
{
    return r->have_best && r->has_opt ? fabs(r->best_clean - r->opt) : NAN;
}

/* Result of proposal id arrived: journal it (durable before anything else happens), then it
 * waits in r->arrived to be told. LLMBO_ERR_OBJECTIVE when max_consecutive failures in a
 * row are reached (the result is journalled first). */
static llmbo_status record(run *r, int64_t id, double y, int failed, const char *reason,
                           double t_eval, llmbo_error *err);

static llmbo_status arrive(run *r, int64_t id, double y, int failed, const char *reason,
                           double t_eval, llmbo_error *err)
{
    r->state[id] = S_ARRIVED;
    r->Y[id] = failed ? NAN : y;
    r->yfail[id] = (unsigned char)failed;
    r->arrived[r->n_arrived++] = id;
    return record(r, id, y, failed, reason, t_eval, err);
}

/* The journal line of an arrived result, and the counters and messages that go with it. */
static llmbo_status record(run *r, int64_t id, double y, int failed, const char *reason,
                           double t_eval, llmbo_error *err)
{
    llmbo_status st;
    note_best(r, id, y, failed);
    r->n_failed += failed;
    if (r->j) {
        cJSON *line = journal_line(r, id, failed, y, reason, t_eval);
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

static llmbo_status tell_one(run *r, int k, llmbo_error *err)
{
    int64_t id = r->arrived[k];
    llmbo_status st = llmbo_bo_tell(r->bo, id, r->Y[id], r->yfail[id], err);
    if (st != LLMBO_OK)
        return st;
    r->state[id] = S_TOLD;
    r->told_since[r->n_told_since++] = id;
    memmove(r->arrived + k, r->arrived + k + 1, (size_t)(r->n_arrived - k - 1) * sizeof(int64_t));
    r->n_arrived--;
    return LLMBO_OK;
}

/* Tells the loop one result that may be told now: the first to arrive ("async"), or the lowest
 * id if every lower id is told ("ordered"). *told = 1 if it did. */
static llmbo_status tell_next(run *r, int *told, llmbo_error *err)
{
    *told = 0;
    if (r->n_arrived == 0)
        return LLMBO_OK;
    int k = 0;
    if (r->ordered) {
        int64_t lowest = -1;
        for (long i = 0; i < r->n_asked && lowest < 0; i++)
            if (r->state[i] != S_TOLD)
                lowest = i;
        for (k = 0; k < r->n_arrived && r->arrived[k] != lowest; k++)
            ;
        if (k == r->n_arrived)
            return LLMBO_OK;
    }
    *told = 1;
    return tell_one(r, k, err);
}

/* Tells every result that may be told now. */
static llmbo_status tell_ready(run *r, llmbo_error *err)
{
    llmbo_status st;
    for (int told = 1; told;)
        if ((st = tell_next(r, &told, err)) != LLMBO_OK)
            return st;
    return LLMBO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Proposals */

/* The asked.jsonl line of proposal id (told: the ids told before its ask; batch: the points
 * asked with it). NULL on allocation failure. */
static cJSON *asked_line(run *r, int64_t id, const int64_t *told, int n_told, int batch)
{
    llmbo_journal_entry e = {.id = (double)id,
                             .d = r->d,
                             .x = r->X + (size_t)id * r->d,
                             .source = (int)r->src[id],
                             .theta = theta_of(r, id)};
    cost_of(r, &e.cost);
    return llmbo_journal_asked_line(&e, r->space, told, n_told, batch);
}

/* Asks k points into the tables at ids r->n_asked ... (the loop's next ids). */
static llmbo_status ask_into(run *r, int k, llmbo_error *err)
{
    llmbo_status st;
    int64_t *ids = llmbo_malloc((size_t)k, sizeof(int64_t));
    llmbo_source *src = llmbo_malloc((size_t)k, sizeof(llmbo_source));
    double *X = llmbo_malloc((size_t)k * (size_t)r->d, sizeof(double));
    if (!ids || !src || !X) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = llmbo_bo_ask(r->bo, k, ids, X, src, err)) != LLMBO_OK)
        goto done;
    for (int i = 0; i < k; i++) {
        int64_t id = ids[i];
        if (id != r->n_asked + i || id >= r->total) {
            st = llmbo_error_set(err, LLMBO_ERR_STATE, "the loop proposed id %lld, expected %ld",
                                 (long long)id, r->n_asked + i);
            goto done;
        }
        memcpy(r->X + (size_t)id * r->d, X + (size_t)i * r->d, (size_t)r->d * sizeof(double));
        r->src[id] = src[i];
        r->has_th[id] =
            (unsigned char)llmbo_bo_theta(r->bo, id, r->theta + (size_t)id * ((size_t)r->d + 2));
    }
done:
    llmbo_free(ids);
    llmbo_free(src);
    llmbo_free(X);
    return st;
}

/* Asks k points, records them in asked.jsonl with one write (durable before any is evaluated)
 * and queues them. The first line carries the ids told since the previous ask. */
static llmbo_status ask_some(run *r, int k, llmbo_error *err)
{
    llmbo_status st = ask_into(r, k, err);
    if (st != LLMBO_OK)
        return st;
    if (r->asked) {
        cJSON **lines = llmbo_calloc((size_t)k, sizeof *lines);
        if (!lines)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        for (int i = 0; i < k && st == LLMBO_OK; i++)
            if (!(lines[i] = asked_line(r, r->n_asked + i, r->told_since,
                                        i == 0 ? r->n_told_since : 0, k)))
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        if (st == LLMBO_OK)
            st = llmbo_journal_append_lines(r->asked, lines, k, err);
        for (int i = 0; i < k; i++)
            cJSON_Delete(lines[i]);
        llmbo_free(lines);
        if (st != LLMBO_OK)
            return st;
    }
    for (int i = 0; i < k; i++)
        r->state[r->n_asked + i] = S_QUEUED;
    r->n_asked += k;
    r->n_told_since = 0;
    return LLMBO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Workers */

static void evaluate_in(worker *w)
{
    run *r = w->r;
    llmbo_error e;
    double y = NAN;
    if (r->noise_sd > 0)
        llmbo_objective_set_noise(w->obj, r->noise_sd,
                                  llmbo_bo_mix_seed(r->cfg.seed, (uint64_t)w->id, TAG_NOISE));
    e.msg[0] = 0;
    double t = llmbo_now();
    llmbo_status st = llmbo_objective_eval(w->obj, w->x, &y, &e);
    w->t_eval = llmbo_now() - t;
    w->failed = st != LLMBO_OK || !isfinite(y);
    w->y = y;
    const char *reason = st != LLMBO_OK ? e.msg : "the objective returned a non-finite value";
    if (st != LLMBO_OK && !reason[0])
        reason = llmbo_strerror(st);
    snprintf(w->reason, sizeof w->reason, "%s", reason);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    evaluate_in(w);
    pthread_mutex_lock(&w->r->mu);
    w->done = 1;
    w->seq = ++w->r->seq;
    pthread_cond_signal(&w->r->cv);
    pthread_mutex_unlock(&w->r->mu);
    return NULL;
}

/* Starts evaluating proposal id on a free worker. With one worker the evaluation runs here,
 * in the calling thread. */
static llmbo_status start(run *r, int64_t id, llmbo_error *err)
{
    worker *w = NULL;
    for (int i = 0; i < r->n_workers && !w; i++)
        if (!r->wk[i].busy)
            w = &r->wk[i];
    if (!w)
        return llmbo_error_set(err, LLMBO_ERR_STATE, "no free worker");
    w->id = id;
    memcpy(w->x, r->X + (size_t)id * r->d, (size_t)r->d * sizeof(double));
    w->busy = 1;
    w->done = 0;
    r->state[id] = S_RUNNING;
    r->n_running++;
    if (r->n_workers == 1) {
        evaluate_in(w);
        w->done = 1;
        w->seq = ++r->seq;
        w->threaded = 0;
        return LLMBO_OK;
    }
    int e = pthread_create(&w->th, NULL, worker_main, w);
    if (e != 0) {
        /* No thread: evaluate here rather than fail the run. */
        evaluate_in(w);
        w->done = 1;
        w->seq = ++r->seq;
        w->threaded = 0;
        return LLMBO_OK;
    }
    w->threaded = 1;
    return LLMBO_OK;
}

/* Waits for the next finished evaluation (the earliest finished first) and hands it to
 * arrive(). */
static llmbo_status collect(run *r, llmbo_error *err)
{
    worker *w = NULL;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        for (int i = 0; i < r->n_workers; i++)
            if (r->wk[i].busy && r->wk[i].done && (!w || r->wk[i].seq < w->seq))
                w = &r->wk[i];
        if (w)
            break;
        pthread_cond_wait(&r->cv, &r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    if (w->threaded)
        pthread_join(w->th, NULL);
    w->busy = 0;
    r->n_running--;
    return arrive(r, w->id, w->y, w->failed, w->reason, w->t_eval, err);
}

/* The first id of the sequential tail ("tail": the last cfg.tail proposals of the budget are
 * asked one at a time, once every earlier point is told, so the last refinement steps use every
 * result; perf/results/parallel.md round 6); total when there is none. */
static long tail_start(const run *r)
{
    return r->cfg.tail >= r->total ? 0 : r->total - r->cfg.tail;
}

/* Keeps up to max(workers, batch) points pending and every worker busy until every proposal of
 * the budget is told. "ordered": one result is told at a time, each followed by the asks it
 * allows, so the interleaving of tells and asks is a function of the ids alone. On an error the
 * evaluations in flight are waited for and journalled. */
/* The size of the next ask, or 0 when the pending points leave no room for it. A proposal
 * after the initial design also waits until every design point is told: with several workers
 * the first model-based points would otherwise be chosen from a fraction of the design, the
 * rest fantasised (hartmann6, 4 workers, budget 40, seeds 0-9: median final regret 0.87
 * with this rule, 1.05 without, 0.36 with one worker; perf/results/parallel.md). One worker
 * never waits here (nothing is pending when it asks). */
static int next_ask(const run *r, int cap)
{
    long told = llmbo_bo_n_told(r->bo), pending = r->n_asked - told;
    int k = r->cfg.batch, n_init = llmbo_bo_n_init(r->bo);
    long tail_from = tail_start(r);
    if (r->n_asked >= tail_from)
        return pending > 0 || r->n_asked >= r->total ? 0 : 1; /* the tail: alone */
    if (k > tail_from - r->n_asked) {
        if (r->cfg.tail > 0 && pending + k > cap) /* cut short by the tail: waits as whole */
            return 0;
        k = (int)(tail_from - r->n_asked);
    }
    if (pending > 0 && r->n_asked >= n_init && told < n_init)
        return 0;
    return k > 0 && pending + k <= cap ? k : 0;
}

static llmbo_status drive(run *r, llmbo_error *err)
{
    llmbo_status st = LLMBO_OK;
    int cap = r->n_workers > r->cfg.batch ? r->n_workers : r->cfg.batch;
    for (;;) {
        for (int k; (k = next_ask(r, cap)) > 0;)
            if ((st = ask_some(r, k, err)) != LLMBO_OK)
                goto drain;
        for (long i = 0; i < r->n_asked && r->n_running < r->n_workers; i++)
            if (r->state[i] == S_QUEUED && (st = start(r, i, err)) != LLMBO_OK)
                goto drain;
        int told = 0;
        if ((st = r->ordered ? tell_next(r, &told, err) : tell_ready(r, err)) != LLMBO_OK)
            goto drain;
        if (r->ordered && told)
            continue;
        if (llmbo_bo_n_told(r->bo) >= r->total)
            return LLMBO_OK;
        if (!r->ordered && next_ask(r, cap) > 0)
            continue; /* async: what was told allows more asks */
        if (r->n_running == 0) {
            st = llmbo_error_set(err, LLMBO_ERR_STATE,
                                 "internal error: nothing to evaluate with %ld of %d told",
                                 llmbo_bo_n_told(r->bo), r->total);
            break;
        }
        if ((st = collect(r, err)) != LLMBO_OK)
            goto drain;
    }
drain:
    while (r->n_running > 0) {
        llmbo_error e2;
        collect(r, &e2);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Resume: the run directory's files into the tables (and the loop) */

/* asked.jsonl lines for a journal written before asked.jsonl existed: that driver asked
 * batches of `batch` points and told each batch, in id order, before asking the next. NULL
 * entries on allocation failure. */
static llmbo_status legacy_asked(run *r, const char *path, cJSON **jl, int n, cJSON ***out,
                                 llmbo_error *err)
{
    cJSON **al = llmbo_calloc(n > 0 ? (size_t)n : 1, sizeof *al);
    int64_t *told = llmbo_malloc((size_t)r->cfg.batch, sizeof(int64_t));
    if (!al || !told) {
        llmbo_free(al);
        llmbo_free(told);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    llmbo_status st = LLMBO_OK;
    int q = r->cfg.batch;
    for (int i = 0; i < n && st == LLMBO_OK; i++) {
        llmbo_journal_entry e;
        if (llmbo_journal_entry_read(jl[i], r->d, &e) != LLMBO_OK) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            break;
        }
        if (e.iter != i || e.id != i || !e.x || e.source < 0 || !e.theta_ok) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d: a journal without asked.jsonl must hold ids 0, 1, "
                                 "2, ... in order, each with xv, source and theta",
                                 path, i + 1);
        } else {
            int nt = i >= q && i % q == 0 ? q : 0;
            for (int k = 0; k < nt; k++)
                told[k] = i - q + k;
            /* Printed and parsed back: exact numbers are raw JSON until they are parsed. */
            cJSON *line = llmbo_journal_asked_line(&e, r->space, told, nt, q);
            char *text = line ? cJSON_PrintUnformatted(line) : NULL;
            cJSON_Delete(line);
            if (!text || !(al[i] = cJSON_Parse(text)))
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            cJSON_free(text);
        }
        llmbo_journal_entry_clear(&e);
    }
    llmbo_free(told);
    if (st != LLMBO_OK) {
        llmbo_journal_lines_free(al, n);
        return st;
    }
    *out = al;
    return LLMBO_OK;
}

/* Reads DIR/asked.jsonl and DIR/journal.jsonl (torn last lines cut off) into the tables: every
 * proposal with its result (ARRIVED) or without (QUEUED). With the loop (r->bo), replays the
 * proposals and the tells recorded between them; the results told after the last proposal wait
 * in r->arrived, in journal order. *rewrite (n_rewrite), when not NULL, is the whole content
 * asked.jsonl must get before anything is appended (made up for a journal without one, or with
 * a batch cut short completed); the caller writes it. Every complaint names the file and
 * line. */
static llmbo_status load_dir(run *r, cJSON ***rewrite, int *n_rewrite, llmbo_error *err)
{
    char apath[4300], jpath[4300];
    cJSON **al = NULL, **jl = NULL;
    int na = 0, nj = 0;
    llmbo_status st;
    int64_t *told = NULL;
    int *line_of = NULL; /* (total) journal line (1-based) of each id's result, 0: none */
    *rewrite = NULL;
    *n_rewrite = 0;
    snprintf(apath, sizeof apath, "%s/asked.jsonl", r->dir);
    snprintf(jpath, sizeof jpath, "%s/journal.jsonl", r->dir);
    if ((st = llmbo_journal_read(jpath, 1, &jl, &nj, NULL, err)) != LLMBO_OK ||
        (st = llmbo_journal_read(apath, 1, &al, &na, NULL, err)) != LLMBO_OK)
        goto done;
    if (na == 0 && nj > 0) {
        llmbo_journal_lines_free(al, 0);
        al = NULL;
        if ((st = legacy_asked(r, jpath, jl, nj, &al, err)) != LLMBO_OK)
            goto done;
        na = nj;
        if (!(*rewrite = llmbo_calloc((size_t)na, sizeof **rewrite))) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto done;
        }
        *n_rewrite = na;
        for (int i = 0; i < na; i++)
            if (!((*rewrite)[i] = cJSON_Duplicate(al[i], 1))) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
    }
    if (na > r->total) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: %d proposals exceed the budget %d", apath,
                             na, r->total);
        goto done;
    }
    if (!(line_of = llmbo_calloc((size_t)r->total, sizeof(int)))) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* The proposals. */
    for (int i = 0; i < na; i++) {
        llmbo_journal_entry e;
        if (llmbo_journal_entry_read(al[i], r->d, &e) != LLMBO_OK) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto done;
        }
        const char *bad = NULL;
        if (e.id != i)
            bad = "id must equal the line's index (0, 1, 2, ...)";
        else if (!e.x)
            bad = "xv must be an array of finite numbers of the objective's dimension";
        else if (e.source < 0)
            bad = "unknown source";
        else if (!e.theta_ok)
            bad = "theta must be null or an array of d + 2 numbers";
        else if (llmbo_space_check(r->space, e.x, err) != LLMBO_OK)
            bad = err->msg;
        if (!bad) {
            memcpy(r->X + (size_t)i * r->d, e.x, (size_t)r->d * sizeof(double));
            r->src[i] = (llmbo_source)e.source;
            r->has_th[i] = e.theta != NULL;
            if (e.theta)
                memcpy(r->theta + (size_t)i * ((size_t)r->d + 2), e.theta,
                       ((size_t)r->d + 2) * sizeof(double));
            r->state[i] = S_QUEUED;
            if (e.has_cost)
                r->cost0 = e.cost;
            if (e.source == LLMBO_SOURCE_DATA) {
                if (!e.status_ok || (!e.failed && !isfinite(e.y)))
                    bad = "an imported observation (source \"data\") must carry its status and "
                          "y";
                r->Y[i] = e.failed ? NAN : e.y;
                r->yfail[i] = (unsigned char)e.failed;
                r->need_line[i] = 1;
            }
        }
        llmbo_journal_entry_clear(&e);
        if (bad) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", bad);
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", apath, i + 1, msg);
            goto done;
        }
    }
    r->n_asked = na;
    /* The results, in arrival order. */
    for (int i = 0; i < nj; i++) {
        llmbo_journal_entry e;
        if (llmbo_journal_entry_read(jl[i], r->d, &e) != LLMBO_OK) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto done;
        }
        const char *bad = NULL;
        char buf[200];
        int64_t id = (int64_t)e.id;
        if (e.iter != i)
            bad = "iter must equal the line's index (0, 1, 2, ...)";
        else if (!(e.id >= 0 && e.id < na && e.id == floor(e.id))) {
            snprintf(buf, sizeof buf, "id %g was never proposed (asked.jsonl holds ids 0 to %d)",
                     e.id, na - 1);
            bad = buf;
        } else if (line_of[id]) {
            snprintf(buf, sizeof buf, "id %lld already has a result on line %d", (long long)id,
                     line_of[id]);
            bad = buf;
        } else if (!e.x)
            bad = "xv must be an array of finite numbers of the objective's dimension";
        else if (memcmp(e.x, r->X + (size_t)id * r->d, (size_t)r->d * sizeof(double)))
            bad = "xv differs from the proposal's in asked.jsonl";
        else if (e.source != (int)r->src[id])
            bad = "source differs from the proposal's in asked.jsonl";
        else if (!e.status_ok)
            bad = "status must be \"ok\" or \"failed\"";
        else if (!e.failed && !isfinite(e.y))
            bad = "y must be a finite number for an ok evaluation";
        else if (!isnan(e.t_wall) && (isinf(e.t_wall) || e.t_wall < 0))
            bad = "t_wall must be a finite number of seconds >= 0";
        if (!bad) {
            line_of[id] = i + 1;
            r->need_line[id] = 0;
            r->state[id] = S_ARRIVED;
            r->Y[id] = e.failed ? NAN : e.y;
            r->yfail[id] = (unsigned char)e.failed;
            r->arrived[r->n_arrived++] = id;
            note_best(r, id, e.y, e.failed);
            r->n_failed += e.failed;
            if (e.failed && e.error && !r->first_failure[0]) /* quoted if none succeeds */
                snprintf(r->first_failure, sizeof r->first_failure, "%s", e.error);
            r->n_lines++;
            if (!isnan(e.t_wall) && e.t_wall > r->t_offset)
                r->t_offset = e.t_wall;
        }
        llmbo_journal_entry_clear(&e);
        if (bad) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", jpath, i + 1, bad);
            goto done;
        }
    }
    /* Imported observations whose journal lines a kill prevented: arrived (lines written on
     * open). */
    for (int i = 0; i < na; i++)
        if (r->need_line[i]) {
            r->state[i] = S_ARRIVED;
            r->arrived[r->n_arrived++] = i;
        }
    if (!r->bo)
        goto done;
    /* Replay the asks and the tells between them, group by group (the points of one ask). */
    for (int i = 0; i < na;) {
        int k = llmbo_journal_batch_read(al[i]), m = 0;
        while (m < k && i + m < na && llmbo_journal_batch_read(al[i + m]) == k)
            m++;
        if (k < 1 || (m < k && i + m < na)) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d: batch must be the number of points asked together, "
                                 "the same on each of their lines",
                                 apath, i + m + 1);
            goto done;
        }
        for (int g = 0; g < m; g++) {
            int nt;
            if ((st = llmbo_journal_told_read(al[i + g], &told, &nt)) != LLMBO_OK) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
            if (nt < 0 || (g > 0 && nt > 0)) {
                st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                     "%s: line %d: told must be an array of proposal ids (empty "
                                     "but on the first line of a batch)",
                                     apath, i + g + 1);
                goto done;
            }
            for (int t = 0; t < nt; t++) {
                int a = 0;
                while (a < r->n_arrived && r->arrived[a] != told[t])
                    a++;
                if (a == r->n_arrived && r->state[told[t]] != S_TOLD) {
                    /* The journal lost results the proposals after this line saw (it was cut
                     * by hand, or lost lines a crash did not make durable): those proposals
                     * are dropped and asked again, unless one of them has a result. */
                    for (int id = i; id < na; id++)
                        if (line_of[id]) {
                            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                                 "%s: line %d: told id %lld has no result in "
                                                 "journal.jsonl, but the later id %d has one "
                                                 "(line %d)",
                                                 apath, i + g + 1, (long long)told[t], id,
                                                 line_of[id]);
                            goto done;
                        }
                    for (int id = i; id < na; id++)
                        r->state[id] = S_NONE;
                    r->n_asked = i;
                    cJSON **rw = llmbo_calloc(i > 0 ? (size_t)i : 1, sizeof *rw);
                    int ok = rw != NULL;
                    for (int h = 0; h < i && ok; h++)
                        ok = (rw[h] = cJSON_Duplicate(al[h], 1)) != NULL;
                    if (!ok) {
                        llmbo_journal_lines_free(rw, i);
                        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                        goto done;
                    }
                    llmbo_journal_lines_free(*rewrite, *n_rewrite);
                    *rewrite = rw;
                    *n_rewrite = i;
                    goto replayed;
                }
                if (a == r->n_arrived) {
                    st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                         "%s: line %d: told id %lld was told before", apath,
                                         i + g + 1, (long long)told[t]);
                    goto done;
                }
                if ((st = tell_one(r, a, err)) != LLMBO_OK)
                    goto done;
            }
            llmbo_free(told);
            told = NULL;
        }
        r->n_told_since = 0;
        if (m < k) {
            /* A batch cut short by a kill while it was written (or a journal from before
             * asked.jsonl cut inside a batch): ask it again; a deterministic strategy gives the
             * same points, so the results already journalled for some of them are kept. */
            r->n_asked = i;
            if ((st = ask_into(r, k, err)) != LLMBO_OK)
                goto done;
            r->n_asked = i + k;
            for (int g = 0; g < k; g++)
                if (r->state[i + g] != S_ARRIVED)
                    r->state[i + g] = S_QUEUED;
            for (int g = 0; g < m; g++) {
                llmbo_journal_entry e;
                if (llmbo_journal_entry_read(al[i + g], r->d, &e) != LLMBO_OK) {
                    st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                    goto done;
                }
                int same =
                    e.x && e.source == (int)r->src[i + g] &&
                    memcmp(e.x, r->X + (size_t)(i + g) * r->d, (size_t)r->d * sizeof(double)) == 0;
                llmbo_journal_entry_clear(&e);
                if (!same && line_of[i + g]) {
                    st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                         "%s: line %d: the batch interrupted here is proposed "
                                         "differently on resume (an advisor answered "
                                         "differently?), and journal.jsonl line %d holds a result "
                                         "for its old point %d; this run cannot be resumed",
                                         apath, i + g + 1, line_of[i + g], i + g);
                    goto done;
                }
            }
            /* asked.jsonl is rewritten whole: the complete lines before the batch, then it. */
            cJSON **rw = llmbo_calloc((size_t)(i + k), sizeof *rw);
            if (!rw) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
            int ok = 1;
            for (int g = 0; g < i && ok; g++)
                ok = (rw[g] = cJSON_Duplicate(al[g], 1)) != NULL;
            if (ok && (st = llmbo_journal_told_read(al[i], &told, &k)) != LLMBO_OK)
                ok = 0;
            for (int g = 0; g < r->n_asked - i && ok; g++)
                ok = (rw[i + g] = asked_line(r, i + g, told, g == 0 && k > 0 ? k : 0,
                                             (int)(r->n_asked - i))) != NULL;
            llmbo_free(told);
            told = NULL;
            if (!ok) {
                llmbo_journal_lines_free(rw, (int)r->n_asked);
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
                goto done;
            }
            if (*rewrite)
                llmbo_journal_lines_free(*rewrite, *n_rewrite);
            *rewrite = rw;
            *n_rewrite = (int)r->n_asked;
            break;
        }
        for (int g = 0; g < m; g++)
            if ((st = llmbo_bo_replay(r->bo, i + g, r->X + (size_t)(i + g) * r->d, r->src[i + g],
                                      theta_of(r, i + g), err)) != LLMBO_OK) {
                llmbo_error_prefix(err, "%s: line %d", apath, i + g + 1);
                goto done;
            }
        i += m;
    }
replayed:
    if (r->adv) {
        llmbo_cost orphans;
        if (llmbo_advisor_restore_cost(r->adv, &r->cost0, &orphans) > 0)
            fprintf(stderr,
                    "%sllmbo run: %ld advisor call%s of an advice the interruption cut short "
                    "(in advisor.jsonl, after the last recorded proposal) added to the cost: "
                    "%ld prompt + %ld completion tokens, $%.6f\n",
                    r->progress ? "\r\033[K" : "", orphans.calls, orphans.calls == 1 ? "" : "s",
                    orphans.prompt_tokens, orphans.completion_tokens, orphans.dollars);
    }
done:
    llmbo_free(told);
    llmbo_free(line_of);
    if (st != LLMBO_OK) {
        llmbo_journal_lines_free(*rewrite, *n_rewrite);
        *rewrite = NULL;
        *n_rewrite = 0;
    }
    llmbo_journal_lines_free(al, na);
    llmbo_journal_lines_free(jl, nj);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* The run directory */

static int file_nonempty(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0;
}

/* The marker llmbo writes first into every run directory it creates: a directory without it
 * holds files llmbo did not write, which a new run must not overwrite. */
#define RUN_MARKER ".llmbo-run"
/* The lock file: a process that writes the run's files holds a write lock on it (fcntl). */
#define RUN_LOCK ".lock"

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
    snprintf(path, sizeof path, "%s/asked.jsonl", dir);
    int has_asked = file_nonempty(path);
    snprintf(path, sizeof path, "%s/journal.jsonl", dir);
    if (file_nonempty(path) || has_asked)
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

/* Creates dir as a new run directory (checked by check_out_dir) with its marker. */
static llmbo_status make_run_dir(const char *dir, llmbo_error *err)
{
    char path[4300];
    llmbo_status st;
    if ((st = check_out_dir(dir, err)) != LLMBO_OK || (st = llmbo_mkdir_p(dir, err)) != LLMBO_OK)
        return st;
    snprintf(path, sizeof path, "%s/" RUN_MARKER, dir);
    /* fclose once whatever happens (on a full disk fputs or fclose fails: closing the stream a
     * second time freed it twice). */
    FILE *m = fopen(path, "w");
    int bad = !m, why = errno;
    if (m) {
        bad = fputs("written by llmbo run; see docs/formats.md\n", m) < 0;
        why = errno;
        if (fclose(m) != 0 && !bad) {
            bad = 1;
            why = errno;
        }
    }
    if (bad)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot write: %s", path, strerror(why));
    return LLMBO_OK;
}

/* Takes the run directory's lock (one writer at a time: a run, an ask or a tell). wait_s > 0:
 * retry that long. Returns the lock's file descriptor (closing it releases the lock), or -1
 * with err naming the process that holds it. */
static int lock_dir(const char *dir, double wait_s, llmbo_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/" RUN_LOCK, dir);
    int fd = open(path, O_RDWR | O_CREAT, 0666);
    if (fd < 0) {
        llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    double t0 = llmbo_now();
    for (;;) {
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return fd;
        if (errno != EACCES && errno != EAGAIN) {
            llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (llmbo_now() - t0 >= wait_s) {
            memset(&fl, 0, sizeof fl);
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            long pid = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? (long)fl.l_pid : -1;
            llmbo_error_set(err, LLMBO_ERR_IO,
                            "%s is in use by another llmbo process (pid %ld): one run, ask or "
                            "tell at a time writes a run directory",
                            dir, pid);
            close(fd);
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Opens the run's files for appending, replacing asked.jsonl by rewrite (n_rewrite lines)
 * first when it is not NULL. The lines were parsed back from the run's files: their numbers are
 * printed exactly again, or the proposals kept would change in their last bits (cJSON prints 15
 * digits when that is close), and the next resume would refuse the journal's points as
 * differing from them. */
static llmbo_status open_files(run *r, cJSON **rewrite, int n_rewrite, llmbo_error *err)
{
    char path[4300];
    llmbo_status st;
    snprintf(path, sizeof path, "%s/asked.jsonl", r->dir);
    if (rewrite) {
        llmbo_strbuf b = LLMBO_STRBUF_INIT;
        for (int i = 0; i < n_rewrite; i++) {
            char *t =
                llmbo_json_exact_numbers(rewrite[i]) ? cJSON_PrintUnformatted(rewrite[i]) : NULL;
            if (t) {
                llmbo_strbuf_puts(&b, t);
                llmbo_strbuf_puts(&b, "\n");
            } else {
                b.oom = 1;
            }
            cJSON_free(t);
        }
        st = b.oom ? llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory")
                   : llmbo_write_file_atomic(path, b.s ? b.s : "", err);
        llmbo_strbuf_free(&b);
        if (st != LLMBO_OK)
            return st;
    }
    if ((st = llmbo_journal_open(path, &r->asked, err)) != LLMBO_OK)
        return st;
    snprintf(path, sizeof path, "%s/journal.jsonl", r->dir);
    return llmbo_journal_open(path, &r->j, err);
}

/* Imported observations recorded in dir/asked.jsonl (source "data"): they extend the budget of
 * a run whose init.counted is false. 0 when the file is missing or unreadable (load_dir then
 * says what is wrong). */
static int count_data(const char *dir)
{
    char path[4300];
    cJSON **lines = NULL;
    int n = 0, m = 0;
    snprintf(path, sizeof path, "%s/asked.jsonl", dir);
    if (llmbo_journal_read(path, 0, &lines, &n, NULL, NULL) != LLMBO_OK)
        return 0;
    for (int i = 0; i < n; i++) {
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(lines[i], "source");
        m += cJSON_IsString(src) && strcmp(src->valuestring, "data") == 0;
    }
    llmbo_journal_lines_free(lines, n);
    return m;
}

/* Loads the config at config_path (its seed overridden when have_seed) and sets up; new_run:
 * the directory is new (its warm-start data is read), else r->dir's. */
static llmbo_status open_run(run *r, const char *config_path, int with_loop, int new_run,
                             int have_seed, uint64_t seed, llmbo_error *err)
{
    llmbo_status st;
    snprintf(r->where, sizeof r->where, "%s", config_path);
    if ((st = llmbo_run_config_load(r->where, &r->cfg, err)) != LLMBO_OK)
        return st;
    if (have_seed)
        r->cfg.seed = seed;
    if (r->workers > 0)
        r->cfg.workers = r->workers;
    if (!new_run)
        r->n_data = count_data(r->dir);
    return setup(r, with_loop, new_run, err);
}

/* A new run's warm start, before its first proposal: the imported observations as proposals
 * of source "data" (asked.jsonl lines carrying their values, one batch) with their journal
 * lines, told to the loop in id order; then init.points as one batch of proposals of source
 * "init", evaluated first. */
static llmbo_status seed_points(run *r, llmbo_error *err);

static llmbo_status seed_run(run *r, llmbo_error *err)
{
    llmbo_status st = LLMBO_OK;
    int m = r->n_data;
    cJSON **lines = llmbo_calloc(m > 0 ? (size_t)m : 1, sizeof *lines);
    if (!lines)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    for (int i = 0; i < m && st == LLMBO_OK; i++) {
        memcpy(r->X + (size_t)i * r->d, r->imp.X + (size_t)i * r->d, (size_t)r->d * sizeof(double));
        r->src[i] = LLMBO_SOURCE_DATA;
        if ((st = llmbo_bo_replay(r->bo, i, r->X + (size_t)i * r->d, LLMBO_SOURCE_DATA, NULL,
                                  err)) != LLMBO_OK)
            break;
        lines[i] = asked_line(r, i, NULL, 0, m);
        if (!lines[i] ||
            !llmbo_json_add(lines[i], "y",
                            r->imp.failed[i] ? cJSON_CreateNull()
                                             : llmbo_json_number(r->imp.y[i])) ||
            !llmbo_json_add(lines[i], "status",
                            cJSON_CreateString(r->imp.failed[i] ? "failed" : "ok")))
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    if (st == LLMBO_OK && r->asked)
        st = llmbo_journal_append_lines(r->asked, lines, m, err);
    for (int i = 0; i < m; i++)
        cJSON_Delete(lines[i]);
    if (st == LLMBO_OK) {
        r->n_asked = m;
        int shown = r->failure_shown;
        r->failure_shown = 1;
        for (int i = 0; i < m && st == LLMBO_OK; i++)
            st = arrive(r, i, r->imp.y[i], r->imp.failed[i], "imported as failed", NAN, err);
        r->failure_shown = shown;
        r->consecutive = 0;
    }
    if (st == LLMBO_OK)
        st = tell_ready(r, err);
    llmbo_free(lines);
    return st == LLMBO_OK ? seed_points(r, err) : st;
}

/* init.points as one batch of proposals of source "init" after the imported observations (ids
 * n_data ...): a new run's, or a resumed one's whose warm start stopped between the two. */
static llmbo_status seed_points(run *r, llmbo_error *err)
{
    llmbo_status st = LLMBO_OK;
    int m = r->n_data, p = r->n_pts;
    cJSON **lines = llmbo_calloc(p > 0 ? (size_t)p : 1, sizeof *lines);
    if (!lines)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    for (int j = 0; j < p && st == LLMBO_OK; j++) {
        int id = m + j;
        memcpy(r->X + (size_t)id * r->d, r->pts + (size_t)j * r->d, (size_t)r->d * sizeof(double));
        r->src[id] = LLMBO_SOURCE_INIT;
        if ((st = llmbo_bo_replay(r->bo, id, r->X + (size_t)id * r->d, LLMBO_SOURCE_INIT, NULL,
                                  err)) != LLMBO_OK)
            break;
        if (!(lines[j] = asked_line(r, id, r->told_since, j == 0 ? r->n_told_since : 0, p)))
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    if (st == LLMBO_OK && p > 0 && r->asked)
        st = llmbo_journal_append_lines(r->asked, lines, p, err);
    if (st == LLMBO_OK && p > 0) {
        for (int j = 0; j < p; j++)
            r->state[m + j] = S_QUEUED;
        r->n_asked = m + p;
        r->n_told_since = 0;
    }
    for (int j = 0; j < p; j++)
        cJSON_Delete(lines[j]);
    llmbo_free(lines);
    return st;
}

/* Journal lines for imported observations that asked.jsonl holds and the journal lacks. */
static llmbo_status write_missing(run *r, llmbo_error *err)
{
    llmbo_status st = LLMBO_OK;
    for (long id = 0; id < r->n_asked && st == LLMBO_OK; id++)
        if (r->need_line[id]) {
            r->need_line[id] = 0;
            st = record(r, id, r->Y[id], r->yfail[id], "imported as failed", NAN, err);
        }
    r->consecutive = 0;
    return st;
}

/* The closing word on the advisor when some of its calls gave no advice: the per-call lines
 * scroll away, and a run whose every advisor call failed is the fallback's run, not the
 * advisor's. Counts over the whole run (resumed parts included). */
static void advisor_failures_line(const run *r)
{
    if (!r->hook.cost)
        return;
    llmbo_cost c;
    cost_of(r, &c);
    long asked, failed = llmbo_cost_failed(&c, &asked);
    if (failed <= 0)
        return;
    if (failed >= asked)
        fprintf(stderr,
                "llmbo: WARNING: every advisor request failed (%ld of %ld): no point of this run "
                "came from the advisor; its decisions are the loop's fallback (see the reasons "
                "above or advisor.jsonl)\n",
                failed, asked);
    else
        fprintf(stderr,
                "llmbo: %ld of %ld advisor requests failed; the loop made those decisions itself "
                "(its fallback)\n",
                failed, asked);
}

static llmbo_status write_summary(run *r, int complete, FILE *out, llmbo_error *err)
{
    cJSON *sum = summary_json(r, complete);
    llmbo_status st = LLMBO_OK;
    if (!sum)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    if (r->dir)
        st = write_json_file(r->dir, "summary.json", sum, err);
    if (out) {
        char *text = cJSON_Print(sum);
        if (text) {
            fprintf(out, "%s\n", text);
            fflush(out);
            cJSON_free(text);
        }
    }
    cJSON_Delete(sum);
    return st;
}

/* `llmbo run CONFIG --resume DIR`: CONFIG must be the run's own config, compared after
 * resolution so defaults written out do not count. */
static llmbo_status check_same_config(run *r, const char *config_path, const char *dir,
                                      llmbo_error *err)
{
    llmbo_run_config given;
    memset(&given, 0, sizeof given);
    llmbo_status st = llmbo_run_config_load(config_path, &given, err);
    if (st == LLMBO_OK) {
        /* "auto" settings are resolved from the objective at setup, as they were when the
         * run's config.json was written. */
        if (given.noise_fit < 0) {
            given.noise_fit = r->cfg.noise_fit;
            given.noise = r->cfg.noise;
        }
        if (given.noisy < 0)
            given.noisy = r->cfg.noisy;
        given.workers = r->cfg.workers; /* -j may differ */
        cJSON *g = llmbo_run_config_to_json(&given, r->d);
        cJSON *h = llmbo_run_config_to_json(&r->cfg, r->d);
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
                                 config_path, dir, key, dir, dir);
        }
        cJSON_Delete(g);
        cJSON_Delete(h);
    }
    llmbo_run_config_free(&given);
    return st;
}

/* Writes DIR/config.json, the resolved config of a new run directory. */
static llmbo_status write_config(run *r, llmbo_error *err)
{
    cJSON *resolved = llmbo_run_config_to_json(&r->cfg, r->d);
    /* exact numbers: a resume that starts afresh reads init.points back from this file */
    if (!resolved || !llmbo_json_exact_numbers(resolved)) {
        cJSON_Delete(resolved);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    llmbo_status st = write_json_file(r->dir, "config.json", resolved, err);
    cJSON_Delete(resolved);
    return st;
}

/* The start of run, ask and tell: a zeroed run for directory dir (NULL: none), no lock held. */
static llmbo_status run_begin(run *r, const char *dir, llmbo_error *err)
{
    memset(r, 0, sizeof *r);
    atomic_flag_clear(&r->printing);
    r->lock = -1;
    r->t0 = llmbo_now();
    if (dir && !(r->dir = llmbo_strdup(dir)))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    return LLMBO_OK;
}

/* The end of run, ask and tell: everything run_begin and the opening took, the lock last. */
static void run_end(run *r)
{
    int lock = r->lock;
    llmbo_journal_lines_free(r->legacy, r->n_legacy);
    run_free(r);
    if (lock >= 0)
        close(lock);
}

/* dir/name holds no complete line (absent or empty, or a torn first line); a file that exists
 * but cannot be read counts as holding lines, so loading it reports why. */
static int no_lines(const char *dir, const char *name)
{
    char path[4300];
    cJSON **lines = NULL;
    int n = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!llmbo_path_exists(path))
        return 1;
    if (llmbo_journal_read(path, 0, &lines, &n, NULL, NULL) != LLMBO_OK)
        return 0;
    llmbo_journal_lines_free(lines, n);
    return n == 0;
}

/* A kill can tear a write (the kernel stops it at a page boundary): a warm-start batch whose
 * asked.jsonl lines stop short of its "batch" count would be asked again from the loop, which
 * gives its own points, not the imported observations or init.points. Cuts asked.jsonl back to
 * the last whole warm-start batch (the data batch, or nothing), before anything else of the
 * run was asked or journalled; then the warm start resumes from the config (open_existing's
 * fresh start, or llmbo_run_exec's init.points). */
static llmbo_status trim_torn_warm_start(const char *dir, llmbo_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/asked.jsonl", dir);
    if (!llmbo_path_exists(path))
        return LLMBO_OK;
    size_t len = 0;
    char *text = llmbo_read_file(path, &len, err);
    if (!text)
        return err ? err->status : LLMBO_ERR_IO;
    /* the complete lines at the start that belong to the warm start: the data batch (n_data
     * of data_batch lines, ending at end_data), then the first batch of source init */
    size_t off = 0, keep, end_data = 0;
    int n_data = 0, data_batch = 0, n_init = 0, init_batch = 0, other = 0;
    while (off < len && !other) {
        char *nl = memchr(text + off, '\n', len - off);
        if (!nl)
            break;
        cJSON *o = cJSON_ParseWithLength(text + off, (size_t)(nl - (text + off)));
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(o, "source");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "batch");
        const char *sv = cJSON_IsString(src) ? src->valuestring : "";
        int batch = cJSON_IsNumber(b) ? (int)b->valuedouble : 0;
        if (strcmp(sv, "data") == 0 && n_init == 0) {
            data_batch = n_data == 0 ? batch : data_batch;
            if (++n_data == data_batch)
                end_data = (size_t)(nl + 1 - text);
        } else if (strcmp(sv, "init") == 0 && n_init == 0 && n_data == data_batch) {
            init_batch = batch;
            n_init = 1;
        } else if (strcmp(sv, "init") == 0 && n_init > 0 && n_init < init_batch) {
            n_init++;
        } else {
            other = 1;
        }
        cJSON_Delete(o);
        off = (size_t)(nl + 1 - text);
    }
    llmbo_free(text);
    /* torn: the data batch short (keep nothing), or the first batch after it short (keep the
     * data: init.points' batch is asked again from the config, a design batch from the loop) */
    if (other)
        return LLMBO_OK;
    if (n_data < data_batch)
        keep = 0;
    else if (n_init > 0 && n_init < init_batch)
        keep = end_data;
    else
        return LLMBO_OK;
    /* the journal holds lines of the whole data batch at most (they follow its asked write) */
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)keep) != 0 || fsync(fd) != 0) {
        if (fd >= 0)
            close(fd);
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot cut its torn warm start: %s", path,
                               strerror(errno));
    }
    close(fd);
    return LLMBO_OK;
}

/* Opens the run that exists in r->dir (run --resume, ask, tell): takes the directory's lock,
 * waiting up to lock_wait seconds for another process to finish; loads DIR/config.json (-j:
 * r->workers) and sets up, with the loop when with_loop; checks that config_path, if not NULL,
 * is that run's config; reads the run's files (asked.jsonl lines to rewrite: r->legacy). A
 * damaged file is LLMBO_ERR_FORMAT. */
static llmbo_status open_existing(run *r, double lock_wait, int with_loop, const char *config_path,
                                  llmbo_error *err)
{
    char path[4300];
    llmbo_status st;
    snprintf(path, sizeof path, "%s/config.json", r->dir);
    if ((r->lock = lock_dir(r->dir, lock_wait, err)) < 0)
        return err->status;
    /* Killed after config.json and before its first batch reached asked.jsonl: nothing was
     * asked, so the run starts as the new run it was, warm start (init.from read again,
     * init.points) included. */
    if (r->fresh_ok && (st = trim_torn_warm_start(r->dir, err)) != LLMBO_OK)
        return st;
    r->fresh = r->fresh_ok && no_lines(r->dir, "asked.jsonl") && no_lines(r->dir, "journal.jsonl");
    if ((st = open_run(r, path, with_loop, r->fresh, 0, 0, err)) != LLMBO_OK)
        return st;
    if (config_path && (st = check_same_config(r, config_path, r->dir, err)) != LLMBO_OK)
        return st;
    st = load_dir(r, &r->legacy, &r->n_legacy, err);
    if (st == LLMBO_ERR_INVALID || st == LLMBO_ERR_STATE)
        st = LLMBO_ERR_FORMAT;
    return st;
}

llmbo_status llmbo_run_exec(const llmbo_run_args *a, int *user_error, llmbo_error *err)
{
    run r;
    llmbo_status st;
    *user_error = 1;
    if ((st = run_begin(&r, a->resume_dir ? a->resume_dir : a->out_dir, err)) != LLMBO_OK)
        return st;
    r.progress = a->progress;
    r.workers = a->workers;
    if (a->resume_dir) {
        r.fresh_ok = 1;
        if ((st = open_existing(&r, 0, 1, a->config_path, err)) != LLMBO_OK)
            goto out;
    } else {
        snprintf(r.where, sizeof r.where, "%s", a->config_path ? a->config_path : "config");
        if ((st = llmbo_run_config_load(r.where, &r.cfg, err)) != LLMBO_OK)
            goto out;
        if (a->have_seed)
            r.cfg.seed = a->seed;
        if (a->workers > 0)
            r.cfg.workers = a->workers;
        if (r.dir) {
            if ((st = make_run_dir(r.dir, err)) != LLMBO_OK)
                goto out;
            if ((r.lock = lock_dir(r.dir, 0, err)) < 0) {
                st = err->status;
                goto out;
            }
        }
        if ((st = setup(&r, 1, 1, err)) != LLMBO_OK ||
            (r.dir && (st = write_config(&r, err)) != LLMBO_OK))
            goto out;
    }
    if (r.dir && (st = open_files(&r, r.legacy, r.n_legacy, err)) != LLMBO_OK)
        goto out;
    *user_error = 0;
    if ((st = a->resume_dir && !r.fresh ? write_missing(&r, err) : seed_run(&r, err)) != LLMBO_OK)
        goto out;
    /* Killed between the warm start's two batches (the imported observations recorded, the
     * init.points not yet asked): ask them now, as the uninterrupted run did next. */
    if (a->resume_dir && !r.fresh && r.n_data > 0 && r.n_asked == r.n_data && r.cfg.init_points &&
        cJSON_GetArraySize(r.cfg.init_points) > 0) {
        /* the observations told first, so the points' asked line names them as the new run's */
        if ((st = tell_ready(&r, err)) != LLMBO_OK ||
            (st = read_init_points(&r, err)) != LLMBO_OK || (st = seed_points(&r, err)) != LLMBO_OK)
            goto out;
    }
    r.n_start = r.n_lines;
    r.max_consecutive = a->max_consecutive_failures;
    progress_line(&r, 0);
    st = drive(&r, err);
    progress_line(&r, 1);
    if (st == LLMBO_OK && r.n_lines > 0 && r.n_failed == r.n_lines)
        st = llmbo_error_set(err, LLMBO_ERR_OBJECTIVE,
                             "no evaluation succeeded (%ld of %ld failed; the first: %.300s)",
                             r.n_failed, r.n_lines,
                             r.first_failure[0] ? r.first_failure : "see the journal");
    if (st == LLMBO_OK)
        advisor_failures_line(&r);
    {
        llmbo_error serr;
        llmbo_status s2 =
            write_summary(&r, st == LLMBO_OK && r.n_lines == r.total, a->summary_out, &serr);
        if (s2 != LLMBO_OK && st == LLMBO_OK) {
            st = s2;
            *err = serr;
        }
    }
out:
    run_end(&r);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Ask and tell from the shell */

#define ASKTELL_LOCK_WAIT_S 30.0

/* One line {"id", "x", "xv", "source"} for proposal id. */
static llmbo_status print_point(run *r, long id, FILE *out, llmbo_error *err)
{
    const double *x = r->X + (size_t)id * r->d;
    cJSON *o = cJSON_CreateObject();
    int ok = o && llmbo_json_add(o, "id", llmbo_json_number((double)id)) &&
             llmbo_json_add(o, "x", llmbo_space_point_to_json(r->space, x, llmbo_json_number)) &&
             llmbo_json_add(o, "xv", llmbo_json_number_array(x, r->d)) &&
             llmbo_json_add(o, "source", cJSON_CreateString(llmbo_source_name(r->src[id]))) &&
             llmbo_json_escape_utf8(o) >= 0;
    char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    return LLMBO_OK;
}

/* ask and tell need DIR/config.json: "DIR holds no run" without it. */
static llmbo_status holds_run(const run *r, llmbo_error *err)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/config.json", r->dir);
    if (llmbo_path_exists(path))
        return LLMBO_OK;
    return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                           "%s holds no run (no config.json); start one with llmbo ask %s "
                           "--config CONFIG.json",
                           r->dir, r->dir);
}

llmbo_status llmbo_run_ask(const llmbo_ask_args *a, int *user_error, llmbo_error *err)
{
    run r;
    llmbo_status st;
    int created = a->config_path != NULL;
    *user_error = 1;
    if ((st = run_begin(&r, a->dir, err)) != LLMBO_OK)
        return st;
    if (created) {
        char path[4300];
        snprintf(path, sizeof path, "%s/config.json", a->dir);
        if (llmbo_path_exists(path)) {
            st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                 "%s already holds a run (its config.json); ask it without "
                                 "--config",
                                 a->dir);
            goto out;
        }
        if ((st = make_run_dir(a->dir, err)) != LLMBO_OK)
            goto out;
        if ((r.lock = lock_dir(a->dir, ASKTELL_LOCK_WAIT_S, err)) < 0) {
            st = err->status;
            goto out;
        }
        if ((st = open_run(&r, a->config_path, 1, 1, a->have_seed, a->seed, err)) != LLMBO_OK ||
            (st = write_config(&r, err)) != LLMBO_OK)
            goto out;
    } else {
        if ((st = holds_run(&r, err)) != LLMBO_OK ||
            (st = open_existing(&r, ASKTELL_LOCK_WAIT_S, !a->pending_only, NULL, err)) != LLMBO_OK)
            goto out;
        if (a->pending_only) {
            /* The points asked and not yet told: what a script killed between ask and tell (or
             * a person who lost the printout) still has to evaluate. */
            *user_error = 0;
            for (long id = 0; id < r.n_asked && st == LLMBO_OK; id++)
                if (r.state[id] == S_QUEUED)
                    st = print_point(&r, id, a->out, err);
            fflush(a->out);
            goto out;
        }
    }
    if ((st = open_files(&r, r.legacy, r.n_legacy, err)) != LLMBO_OK ||
        (st = created ? seed_run(&r, err) : write_missing(&r, err)) != LLMBO_OK)
        goto out;
    /* Results told since the last ask enter the loop now, in the order they were told. */
    r.ordered = 0;
    if ((st = tell_ready(&r, err)) != LLMBO_OK)
        goto out;
    if (a->n > r.total - r.n_asked) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s: %ld of the budget's %d points are asked already; %d more would "
                             "exceed it",
                             a->dir, r.n_asked, r.total, a->n);
        goto out;
    }
    long pending = r.n_asked - llmbo_bo_n_told(r.bo);
    if (r.n_asked + a->n > tail_start(&r) && (a->n > 1 || pending > 0)) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s: ids from %ld on are the sequential tail (\"tail\": %d), asked "
                             "one at a time with nothing pending; %ld point(s) pending, %d asked: "
                             "tell the pending points and ask with -n 1",
                             a->dir, tail_start(&r), r.cfg.tail, pending, a->n);
        goto out;
    }
    *user_error = 0;
    long first = r.n_asked;
    int n = a->n;
    if (created && r.n_pts > 0) {
        /* A new run's init.points come first. */
        first = r.n_data;
        n -= r.n_pts;
    }
    if (n > 0 && (st = ask_some(&r, n, err)) != LLMBO_OK)
        goto out;
    for (long id = first; id < r.n_asked && st == LLMBO_OK; id++)
        st = print_point(&r, id, a->out, err);
    fflush(a->out);
out:
    run_end(&r);
    return st;
}

llmbo_status llmbo_run_tell(const llmbo_tell_args *a, int *user_error, llmbo_error *err)
{
    run r;
    llmbo_status st;
    *user_error = 1;
    if ((st = run_begin(&r, a->dir, err)) != LLMBO_OK)
        return st;
    if ((st = holds_run(&r, err)) != LLMBO_OK ||
        (st = open_existing(&r, ASKTELL_LOCK_WAIT_S, 0, NULL, err)) != LLMBO_OK)
        goto out;
    if (a->id < 0 || a->id >= r.n_asked) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s: id %lld was never asked (asked so far: %ld; ids 0 to %ld)",
                             a->dir, (long long)a->id, r.n_asked, r.n_asked - 1);
        goto out;
    }
    if (r.state[a->id] != S_QUEUED) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s: id %lld already has a result in journal.jsonl; each point is "
                             "told once",
                             a->dir, (long long)a->id);
        goto out;
    }
    if (!a->failed && !isfinite(a->y)) {
        st =
            llmbo_error_set(err, LLMBO_ERR_CONFIG,
                            "value %g is not finite; tell a failed evaluation with --failed", a->y);
        goto out;
    }
    if ((st = open_files(&r, r.legacy, r.n_legacy, err)) != LLMBO_OK ||
        (st = write_missing(&r, err)) != LLMBO_OK)
        goto out;
    *user_error = 0;
    r.failure_shown = 1; /* the teller knows */
    if ((st = arrive(&r, a->id, a->y, a->failed,
                     a->reason ? a->reason : "reported as failed (llmbo tell --failed)", NAN,
                     err)) != LLMBO_OK)
        goto out;
    if (r.n_lines == r.total)
        st = write_summary(&r, 1, NULL, err);
    if (st == LLMBO_OK && a->out) {
        fprintf(a->out,
                "{\"id\":%lld,\"evaluations\":%ld,\"budget\":%d,\"best\":", (long long)a->id,
                r.n_lines, r.total);
        if (r.have_best)
            fprintf(a->out, "%.17g", r.best);
        else
            fprintf(a->out, "null");
        if (r.have_best && r.has_opt)
            fprintf(a->out, ",\"regret\":%.17g", regret_of(&r));
        fprintf(a->out, "}\n");
        fflush(a->out);
    }
out:
    run_end(&r);
    return st;
}
