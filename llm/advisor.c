/* advisor.c: the LLM advisor behind the loop's plain advisor hook. One advice = build the
 * prompt from the request, ask the backend, extract and validate the answer; an invalid answer
 * gets one repair request quoting the error, then the advice falls back (the loop uses the GP's
 * choice). Every backend call is accounted (tokens, dollars, seconds, retries, outcome) and
 * logged as one line of RUN_DIR/advisor.jsonl; with "record" it is also appended to a cassette.
 * An advisor is used by one thread at a time; its backend may be shared by several threads. */
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "utf8.h"
#include "advisor.h"
#include "backend.h"
#include "llm_impl.h"
#include "fileio.h"

struct llmbo_advisor {
    char *where, *model;
    const llmbo_backend_vtbl *vt;
    llmbo_backend be;
    llmbo_advice_schedule sched;
    llmbo_prompt_options po;
    char *texts[6]; /* owned template texts: system, 4 modes, repair (NULL: built-in) */
    double temperature, top_p;
    int max_tokens;
    long seed;
    uint64_t salt; /* the run's seed, mixed into a local sampler's (llmbo_advisor_set_run_seed) */
    char **stop;
    int n_stop;
    int repair;
    int samples; /* point modes: parallel requests per advice */
    llmbo_price price;
    int priced; /* 0: tokens are free (local engine) */
    double price_per_cpu_hour;
    llmbo_cost cost;
    FILE *log;
    char *log_path;
    llmbo_recorder *rec;
    long n_advice;
    double deadline;          /* seconds one advice may take in all (attempts, waits, repair) */
    int fallback_unreachable; /* "on_unreachable": "fallback" */
    int unreachable;          /* the pre-flight failed and the policy is fallback: no calls */
    char unreachable_msg[600];
    /* Live count of a streaming backend: text pieces received so far in this advice, over its
     * parallel samples (each sample's stream adds what it gained since it last reported). */
    void (*progress)(void *ctx, long pieces);
    void *progress_ctx;
    atomic_long live;
};

/* One request's share of the live count. */
typedef struct live_slot {
    llmbo_advisor *adv;
    long last; /* pieces this request reported last (a retried stream restarts from 0) */
} live_slot;

static void on_stream_progress(void *ctx, long pieces)
{
    live_slot *ls = ctx;
    long total = atomic_fetch_add(&ls->adv->live, pieces - ls->last) + (pieces - ls->last);
    ls->last = pieces;
    ls->adv->progress(ls->adv->progress_ctx, total);
}

void llmbo_advisor_set_run_seed(llmbo_advisor *adv, uint64_t seed)
{
    /* Any fixed odd constant keeps a run seed of 0 distinct from "no salt". */
    if (adv)
        adv->salt = seed ^ 0x9e3779b97f4a7c15ULL;
}

void llmbo_advisor_set_progress(llmbo_advisor *adv, void (*fn)(void *ctx, long pieces), void *ctx)
{
    adv->progress = fn;
    adv->progress_ctx = ctx;
}

/* The advisor object's keys: the schedule's (parse_schedule), then the rest. */
static const char *const schedule_keys[] = {"mode",      "every",        "phase",
                                            "adaptive",  "n_candidates", "n_propose",
                                            "warmstart", "gp_rules",     NULL};
static const char *const advisor_keys[] = {
    "system",     "repair",    "history",     "history_n",      "seed",
    "record",     "templates", "model",       "on_unreachable", "price_per_cpu_hour",
    "price",      "digits",    "temperature", "answer",         "stop",
    "price_file", "top_p",     "backend",     "template_dir",   "max_tokens",
    "deadline",   "samples",   NULL};

static const char *const template_names[6] = {"system", "rank",      "propose",
                                              "pool",   "warmstart", "repair"};

static const char *mode_name(llmbo_advice_mode m)
{
    switch (m) {
    case LLMBO_ADVICE_RANK:
        return "rank";
    case LLMBO_ADVICE_PROPOSE:
        return "propose";
    case LLMBO_ADVICE_POOL:
        return "pool";
    case LLMBO_ADVICE_WARMSTART:
        return "warmstart";
    }
    return "unknown";
}

llmbo_status llmbo_advisor_preflight(llmbo_advisor *adv, llmbo_error *err)
{
    /* A server that is not running fails the run here, before the first evaluation, instead
     * of every advice retrying and silently falling back. */
    if (adv->vt->version < 2 || !adv->vt->preflight)
        return LLMBO_OK;
    llmbo_error perr;
    llmbo_error_clear(&perr);
    if (adv->vt->preflight(adv->be.state, &perr) == LLMBO_OK)
        return LLMBO_OK;
    if (!adv->fallback_unreachable)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: the %s server is unreachable: %s; start it or fix base_url, "
                               "or set \"on_unreachable\": \"fallback\" to run without advice",
                               adv->where, adv->vt->name, perr.msg);
    adv->unreachable = 1;
    snprintf(adv->unreachable_msg, sizeof adv->unreachable_msg,
             "the %s server was unreachable at start (%s); \"on_unreachable\": \"fallback\": "
             "no advice in this run",
             adv->vt->name, perr.msg);
    fprintf(stderr, "llmbo: warning: %s: %s\n", adv->where, adv->unreachable_msg);
    return LLMBO_OK;
}

void llmbo_advisor_free(llmbo_advisor *adv)
{
    if (!adv)
        return;
    if (adv->vt && adv->be.state)
        adv->vt->destroy(adv->be.state);
    for (int i = 0; i < 6; i++)
        llmbo_free(adv->texts[i]);
    for (int i = 0; i < adv->n_stop; i++)
        llmbo_free(adv->stop[i]);
    llmbo_free(adv->stop);
    if (adv->log)
        fclose(adv->log);
    llmbo_recorder_close(adv->rec);
    llmbo_free(adv->log_path);
    llmbo_free(adv->where);
    llmbo_free(adv->model);
    llmbo_free(adv);
}

/* ---- config ------------------------------------------------------------------------------ */

static int listed(const char *const *keys, const char *k)
{
    for (int i = 0; keys && keys[i]; i++)
        if (strcmp(keys[i], k) == 0)
            return 1;
    return 0;
}

/* Loads template i from path into adv->texts[i] and checks its placeholders. */
static llmbo_status load_template(llmbo_advisor *adv, int i, const char *path, const char *key,
                                  llmbo_error *err)
{
    char *t = llmbo_read_file(path, NULL, NULL);
    if (!t)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s.%s: cannot read template file %s", adv->where,
                               key, path);
    char where[512];
    snprintf(where, sizeof where, "%s.%s (%s)", adv->where, key, path);
    llmbo_status st = llmbo_template_check(t, where, err);
    if (st) {
        llmbo_free(t);
        return st;
    }
    llmbo_free(adv->texts[i]);
    adv->texts[i] = t;
    return LLMBO_OK;
}

static llmbo_status parse_templates(llmbo_advisor *adv, const cJSON *obj, llmbo_error *err)
{
    const char *dir = NULL;
    llmbo_status st;
    if ((st = llmbo_json_get_nonempty(obj, adv->where, "template_dir", &dir, err)))
        return st;
    if (dir) {
        for (int i = 0; i < 6; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.txt", dir, template_names[i]);
            FILE *f = fopen(path, "rb");
            if (!f)
                continue; /* templates absent from the directory stay built in */
            fclose(f);
            if ((st = load_template(adv, i, path, "template_dir", err)))
                return st;
        }
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "templates");
    if (t) {
        if (!cJSON_IsObject(t))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.templates: expected {\"rank\": \"file\", ...}", adv->where);
        const cJSON *e;
        cJSON_ArrayForEach(e, t)
        {
            int i = -1;
            for (int k = 0; k < 6; k++)
                if (strcmp(e->string, template_names[k]) == 0)
                    i = k;
            if (i < 0)
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s.templates.%s: unknown template (expected system, rank, "
                                       "propose, pool, warmstart, repair)",
                                       adv->where, e->string);
            if (!cJSON_IsString(e))
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s.templates.%s: expected a file path", adv->where,
                                       e->string);
            char key[64];
            snprintf(key, sizeof key, "templates.%s", e->string);
            if ((st = load_template(adv, i, e->valuestring, key, err)))
                return st;
        }
    }
    const char *sys = NULL;
    if ((st = llmbo_json_get_nonempty(obj, adv->where, "system", &sys, err)))
        return st;
    if (sys) {
        char where[512];
        snprintf(where, sizeof where, "%s.system", adv->where);
        if ((st = llmbo_template_check(sys, where, err)))
            return st;
        llmbo_free(adv->texts[0]);
        if (!(adv->texts[0] = llmbo_strdup(sys)))
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", adv->where);
    }
    adv->po.system = adv->texts[0];
    for (int m = 0; m < 4; m++)
        adv->po.templates[m] = adv->texts[1 + m];
    adv->po.repair = adv->texts[5];
    return LLMBO_OK;
}

static llmbo_status parse_schedule(llmbo_advisor *adv, const cJSON *obj, llmbo_error *err)
{
    llmbo_advice_schedule *s = &adv->sched;
    const char *w = adv->where;
    s->mode = LLMBO_ADVICE_RANK;
    s->warmstart = 0;
    s->every = 1;
    s->phase_start = 0;
    s->phase_end = 1;
    s->adaptive = 0;
    s->n_candidates = 5;
    s->n_propose = 1;
    s->gp_rules = 0;
    const char *mode = NULL;
    llmbo_status st;
    if ((st = llmbo_json_get_nonempty(obj, w, "mode", &mode, err)))
        return st;
    int warm_only = 0;
    if (mode) {
        if (strcmp(mode, "rank") == 0)
            s->mode = LLMBO_ADVICE_RANK;
        else if (strcmp(mode, "propose") == 0)
            s->mode = LLMBO_ADVICE_PROPOSE;
        else if (strcmp(mode, "pool") == 0)
            s->mode = LLMBO_ADVICE_POOL;
        else if (strcmp(mode, "warmstart") == 0 || strcmp(mode, "warm-start") == 0)
            warm_only = 1;
        else
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.mode: unknown value \"%s\"; expected one of rank, propose, "
                                   "pool, warmstart",
                                   w, mode);
    }
    if ((st = llmbo_json_get_int(obj, w, "every", 1, 1000000, &s->every, err)) ||
        (st = llmbo_json_get_bool(obj, w, "adaptive", &s->adaptive, err)) ||
        (st = llmbo_json_get_int(obj, w, "n_candidates", 1, 1000, &s->n_candidates, err)) ||
        (st = llmbo_json_get_int(obj, w, "n_propose", 1, 1000, &s->n_propose, err)) ||
        (st = llmbo_json_get_bool(obj, w, "warmstart", &s->warmstart, err)) ||
        (st = llmbo_json_get_bool(obj, w, "gp_rules", &s->gp_rules, err)))
        return st;
    if (s->gp_rules && (s->mode == LLMBO_ADVICE_PROPOSE || warm_only))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.gp_rules: only for mode rank (pool mode always keeps the loop's "
                               "rules; in %s mode the advisor's point is evaluated as it is)",
                               w, warm_only ? "warmstart" : "propose");
    const cJSON *ph = cJSON_GetObjectItemCaseSensitive(obj, "phase");
    if (ph) {
        const cJSON *a = cJSON_GetArrayItem(ph, 0), *b = cJSON_GetArrayItem(ph, 1);
        if (!cJSON_IsArray(ph) || cJSON_GetArraySize(ph) != 2 || !cJSON_IsNumber(a) ||
            !cJSON_IsNumber(b) || !(a->valuedouble >= 0) || !(b->valuedouble <= 1) ||
            !(a->valuedouble < b->valuedouble))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.phase: expected [start, end] with 0 <= start < end <= 1 "
                                   "(fractions of the budget)",
                                   w);
        s->phase_start = a->valuedouble;
        s->phase_end = b->valuedouble;
    }
    if (warm_only) {
        /* Warm start only: the advisor proposes the initial design and is never consulted
         * again. The loop's schedule has no "never", so the phase is made empty for every
         * proposal after the first (id / budget >= 1e-9 for id >= 1). */
        if (ph || cJSON_GetObjectItemCaseSensitive(obj, "every"))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s: mode \"warmstart\" takes neither \"every\" nor \"phase\"",
                                   w);
        s->warmstart = 1;
        s->mode = LLMBO_ADVICE_PROPOSE;
        s->phase_start = 0;
        s->phase_end = 1e-9;
    }
    return LLMBO_OK;
}

static llmbo_status parse_sampling(llmbo_advisor *adv, const cJSON *obj, llmbo_error *err)
{
    const char *w = adv->where;
    llmbo_status st;
    adv->temperature = -1;
    adv->top_p = -1;
    adv->max_tokens = 0;
    adv->seed = -1;
    adv->repair = 1;
    double seed = -1;
    if ((st = llmbo_json_get_number(obj, w, "temperature", 0, 10, &adv->temperature, err)) ||
        (st = llmbo_json_get_number(obj, w, "top_p", 0, 1, &adv->top_p, err)) ||
        (st = llmbo_json_get_int(obj, w, "max_tokens", 1, 10000000, &adv->max_tokens, err)) ||
        (st = llmbo_json_get_number(obj, w, "seed", 0, 9007199254740992.0, &seed, err)) ||
        (st = llmbo_json_get_bool(obj, w, "repair", &adv->repair, err)))
        return st;
    adv->samples = 1;
    if ((st = llmbo_json_get_int(obj, w, "samples", 1, 64, &adv->samples, err)))
        return st;
    /* Five attempts of 120 s plus backoff made one advice take about 615 s. */
    adv->deadline = 300;
    if ((st = llmbo_json_get_number(obj, w, "deadline", 0.001, 86400, &adv->deadline, err)))
        return st;
    const cJSON *ou = cJSON_GetObjectItemCaseSensitive(obj, "on_unreachable");
    if (ou) {
        if (!cJSON_IsString(ou) ||
            (strcmp(ou->valuestring, "fail") != 0 && strcmp(ou->valuestring, "fallback") != 0))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.on_unreachable: unknown value; expected one of fail, "
                                   "fallback",
                                   w);
        adv->fallback_unreachable = strcmp(ou->valuestring, "fallback") == 0;
    }
    if (seed >= 0) {
        if (seed != floor(seed))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.seed: expected a whole number", w);
        adv->seed = (long)seed;
    }
    const cJSON *stop = cJSON_GetObjectItemCaseSensitive(obj, "stop");
    if (stop) {
        if (cJSON_IsString(stop)) {
            adv->stop = llmbo_calloc(1, sizeof *adv->stop);
            if (!adv->stop || !(adv->stop[0] = llmbo_strdup(stop->valuestring)))
                return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", w);
            adv->n_stop = 1;
        } else if (cJSON_IsArray(stop)) {
            int n = cJSON_GetArraySize(stop);
            adv->stop = llmbo_calloc((size_t)(n ? n : 1), sizeof *adv->stop);
            if (!adv->stop)
                return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", w);
            const cJSON *e;
            cJSON_ArrayForEach(e, stop)
            {
                if (!cJSON_IsString(e) || !e->valuestring[0])
                    return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                           "%s.stop[%d]: expected a non-empty string", w,
                                           adv->n_stop);
                if (!(adv->stop[adv->n_stop] = llmbo_strdup(e->valuestring)))
                    return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", w);
                adv->n_stop++;
            }
        } else {
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.stop: expected a string or an array of strings", w);
        }
    }
    /* history: "all" | "best" | "latest", with history_n; or {"select": .., "n": ..}. */
    llmbo_prompt_options_default(&adv->po);
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(obj, "history");
    const cJSON *sel = h;
    const cJSON *hn = cJSON_GetObjectItemCaseSensitive(obj, "history_n");
    if (cJSON_IsObject(h)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, h)
        {
            if (strcmp(e->string, "select") && strcmp(e->string, "n"))
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s.history.%s: unknown key (expected select, n)", w,
                                       e->string);
        }
        sel = cJSON_GetObjectItemCaseSensitive(h, "select");
        if (cJSON_GetObjectItemCaseSensitive(h, "n")) {
            if (hn)
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "%s: give history.n or history_n, not both", w);
            if ((st = llmbo_json_get_int(h, w, "n", 1, 100000000, &adv->po.history_n, err)))
                return st;
        }
    }
    if (sel) {
        const char *v = cJSON_IsString(sel) ? sel->valuestring : "";
        if (strcmp(v, "all") == 0)
            adv->po.history = LLMBO_HISTORY_ALL;
        else if (strcmp(v, "best") == 0)
            adv->po.history = LLMBO_HISTORY_BEST;
        else if (strcmp(v, "latest") == 0)
            adv->po.history = LLMBO_HISTORY_LATEST;
        else
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.history: expected \"all\", \"best\" or \"latest\" (or "
                                   "{\"select\": .., \"n\": ..})",
                                   w);
    }
    if ((st = llmbo_json_get_int(obj, w, "history_n", 1, 100000000, &adv->po.history_n, err)) ||
        (st = llmbo_json_get_int(obj, w, "digits", 1, 17, &adv->po.digits, err)))
        return st;
    /* answer: "absolute" (coordinates), "step" (propose and pool answers after the first
     * evaluation are steps from the best point in fractions of each range; see step_map) or
     * "unit" (as step, and point answers before the first evaluation, the warm start's, are
     * positions as fractions of each range: steps from the lower corner) or "anchored" (as unit,
     * and each step names its origin, "from": "best" or "mean"; see step_map). */
    const char *ans = "absolute";
    if ((st = llmbo_json_get_string(obj, w, "answer", &ans, err)))
        return st;
    if (strcmp(ans, "step") == 0)
        adv->po.step = 1;
    else if (strcmp(ans, "unit") == 0)
        adv->po.step = 2;
    else if (strcmp(ans, "anchored") == 0)
        adv->po.step = 3;
    else if (strcmp(ans, "absolute") != 0)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.answer: expected \"absolute\", \"step\", \"unit\" or "
                               "\"anchored\", got \"%.40s\"",
                               w, ans);
    return LLMBO_OK;
}

static llmbo_status parse_price(llmbo_advisor *adv, const cJSON *obj, llmbo_error *err)
{
    const char *w = adv->where;
    llmbo_status st;
    const char *price_file = NULL;
    adv->price_per_cpu_hour = 0;
    if ((st = llmbo_json_get_number(obj, w, "price_per_cpu_hour", 0, 1e6, &adv->price_per_cpu_hour,
                                    err)) ||
        (st = llmbo_json_get_nonempty(obj, w, "price_file", &price_file, err)))
        return st;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(obj, "price");
    if (p) {
        char where[512];
        snprintf(where, sizeof where, "%s.price", w);
        if ((st = llmbo_price_parse(p, where, &adv->price, err)))
            return st;
        adv->priced = 1;
        return LLMBO_OK;
    }
    st = llmbo_price_lookup(adv->model, price_file, &adv->price, err);
    if (st == LLMBO_OK) {
        adv->priced = 1;
        return LLMBO_OK;
    }
    if (st == LLMBO_ERR_NOT_FOUND && strcmp(adv->vt->name, "local") == 0) {
        /* The local engine costs CPU time (price_per_cpu_hour), not tokens. */
        memset(&adv->price, 0, sizeof adv->price);
        snprintf(adv->price.source, sizeof adv->price.source, "local engine: tokens are free");
        adv->priced = 0;
        return LLMBO_OK;
    }
    if (st == LLMBO_ERR_NOT_FOUND)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.price: no price is known for model \"%s\"; add \"price\": "
                               "{\"input\": .., \"cached_input\": .., \"output\": ..} in USD per "
                               "million tokens (zeros for a free local server)",
                               w, adv->model);
    llmbo_error_prefix(err, "%s.price_file", w);
    return st;
}

llmbo_status llmbo_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                  llmbo_advisor **out, llmbo_error *err)
{
    *out = NULL;
    if (!where)
        where = "advisor";
    if (!cJSON_IsObject(obj))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected an object with at least \"backend\" and \"model\"",
                               where);
    llmbo_advisor *adv = llmbo_calloc(1, sizeof *adv);
    if (!adv || !(adv->where = llmbo_strdup(where))) {
        llmbo_free(adv);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    }
    llmbo_status st;
    const char *backend = NULL, *model = NULL, *record = NULL;
    if ((st = llmbo_json_get_nonempty(obj, where, "backend", &backend, err)) ||
        (st = llmbo_json_get_nonempty(obj, where, "model", &model, err)))
        goto fail;
    if (!backend || !model) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.%s: required key is missing", where,
                             backend ? "model" : "backend");
        goto fail;
    }
    adv->vt = llmbo_backend_find(backend);
    if (!adv->vt) {
        char names[256] = "";
        for (int i = 0; i < llmbo_backend_count(); i++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof names - l, "%s%s", i ? ", " : "", llmbo_backend_at(i)->name);
        }
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s.backend: unknown value \"%s\"; expected one of %s", where, backend,
                             names);
        goto fail;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, obj)
    {
        for (const cJSON *f = obj->child; f != e; f = f->next)
            if (strcmp(f->string, e->string) == 0) {
                st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.%s: key given twice", where,
                                     e->string);
                goto fail;
            }
        if (!listed(advisor_keys, e->string) && !listed(schedule_keys, e->string) &&
            !llmbo_backend_accepts_key(adv->vt, e->string)) {
            st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                 "%s.%s: unknown key for the %s backend (see docs/advisor.md)",
                                 where, e->string, adv->vt->name);
            goto fail;
        }
    }
    if (!(adv->model = llmbo_strdup(model))) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
        goto fail;
    }
    if ((st = parse_schedule(adv, obj, err)) || (st = parse_sampling(adv, obj, err)) ||
        (st = parse_templates(adv, obj, err)) || (st = parse_price(adv, obj, err)) ||
        (st = llmbo_json_get_nonempty(obj, where, "record", &record, err)))
        goto fail;
    llmbo_backend_config bc = {obj, where, adv->model, run_dir};
    if ((st = adv->vt->create(&bc, &adv->be.state, err)))
        goto fail;
    adv->be.vt = adv->vt;
    if (record && (st = llmbo_recorder_open(record, &adv->rec, err))) {
        llmbo_error_prefix(err, "%s.record", where);
        goto fail;
    }
    if (run_dir) {
        size_t n = strlen(run_dir) + 16;
        adv->log_path = llmbo_malloc(n, 1);
        if (!adv->log_path) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
            goto fail;
        }
        snprintf(adv->log_path, n, "%s/advisor.jsonl", run_dir);
        adv->log = fopen(adv->log_path, "a");
        if (!adv->log) {
            st = llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot open the call log %s", where,
                                 adv->log_path);
            goto fail;
        }
    }
    *out = adv;
    return LLMBO_OK;
fail:
    llmbo_advisor_free(adv);
    return st;
}

llmbo_status llmbo_advisor_create_json(const char *json, const char *where, const char *log_dir,
                                       llmbo_advisor **out, llmbo_error *err)
{
    if (!out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: NULL argument",
                               where ? where : "advisor");
    *out = NULL;
    if (!where)
        where = "advisor";
    if (!json)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: NULL argument", where);
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithOpts(json, &end, 1);
    if (!obj)
        return llmbo_error_set(err, LLMBO_ERR_PARSE, "%s: invalid JSON near byte %ld", where,
                               end ? (long)(end - json) : 0L);
    llmbo_status st = llmbo_advisor_create(obj, where, log_dir, out, err);
    cJSON_Delete(obj);
    return st;
}

void llmbo_advisor_get_schedule(const llmbo_advisor *adv, llmbo_advice_schedule *out)
{
    *out = adv->sched;
}

const char *llmbo_advisor_model(const llmbo_advisor *adv)
{
    return adv->model;
}

const char *llmbo_advisor_backend_name(const llmbo_advisor *adv)
{
    return adv->vt->name;
}

static long log_count(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? llmbo_count_from_double(v->valuedouble) : 0;
}

static double log_amount(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0 ? v->valuedouble
                                                                               : 0.0;
}

long llmbo_advisor_restore_cost(llmbo_advisor *adv, const llmbo_cost *cost, llmbo_cost *orphans)
{
    adv->cost = *cost;
    memset(orphans, 0, sizeof *orphans);
    /* Every advice ends in exactly one outcome, so the advice numbers in advisor.jsonl of a
     * resumed run continue where the interrupted run stopped. */
    adv->n_advice = cost->valid + cost->repaired + cost->fallback + cost->errors;
    /* Calls logged after the last journalled evaluation belong to an advice the kill cut short
     * (say its first answer was invalid and the repair request was in flight). The server billed
     * them: their tokens join the cost, and the call numbers continue after them, so none is
     * counted twice or lost and no number repeats. A torn last line (killed while writing it)
     * is skipped. */
    char *text = adv->log_path ? llmbo_read_file(adv->log_path, NULL, NULL) : NULL;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        cJSON *o = cJSON_Parse(line);
        long call = log_count(o, "call");
        if (o && call > cost->calls + orphans->calls) {
            const cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "tokens");
            llmbo_chat_reply r;
            memset(&r, 0, sizeof r);
            r.prompt_tokens = log_count(tok, "prompt");
            r.completion_tokens = log_count(tok, "completion");
            r.reasoning_tokens = log_count(tok, "reasoning");
            r.cached_tokens = log_count(tok, "cached");
            r.seconds = log_amount(o, "seconds");
            r.cpu_seconds = log_amount(o, "cpu_seconds");
            long retries = log_count(o, "retries");
            r.retries = retries > INT_MAX ? INT_MAX : (int)retries;
            llmbo_cost_add_call(orphans, NULL, 0.0, &r, NULL);
            orphans->calls = call - cost->calls; /* numbers skipped by a lost line count too */
            orphans->dollars += log_amount(o, "dollars");
            orphans->cpu_dollars += log_amount(o, "cpu_dollars");
        }
        cJSON_Delete(o);
    }
    llmbo_free(text);
    if (orphans->calls > 0) {
        llmbo_cost *c = &adv->cost;
        c->calls = llmbo_count_add(c->calls, orphans->calls);
        c->retries = llmbo_count_add(c->retries, orphans->retries);
        c->prompt_tokens = llmbo_count_add(c->prompt_tokens, orphans->prompt_tokens);
        c->completion_tokens = llmbo_count_add(c->completion_tokens, orphans->completion_tokens);
        c->reasoning_tokens = llmbo_count_add(c->reasoning_tokens, orphans->reasoning_tokens);
        c->cached_tokens = llmbo_count_add(c->cached_tokens, orphans->cached_tokens);
        c->dollars += orphans->dollars;
        c->seconds += orphans->seconds;
        c->cpu_seconds += orphans->cpu_seconds;
        c->cpu_dollars += orphans->cpu_dollars;
    }
    return orphans->calls;
}

void llmbo_advisor_get_cost(const llmbo_advisor *adv, llmbo_cost *out)
{
    *out = adv->cost;
}

/* ---- one advice -------------------------------------------------------------------------- */

typedef struct call_log {
    int attempt;
    const llmbo_chat_request *req;
    const llmbo_chat_reply *reply;
    llmbo_status call_status;
    const char *call_error;
    const cJSON *parsed;
    const char *think;
    int n_think;
    const char *verdict; /* "valid", "invalid", "repaired", "fallback", "transport_error" */
    const char *error;
    const llmbo_advice_request *areq;
    const llmbo_advice_reply *areply; /* result when the verdict is valid/repaired */
    double dollars, cpu_dollars;
} call_log;

static cJSON *result_json(const llmbo_advisor *adv, const call_log *c)
{
    const llmbo_advice_request *r = c->areq;
    const llmbo_advice_reply *a = c->areply;
    if (!a)
        return cJSON_CreateNull();
    if (r->mode == LLMBO_ADVICE_RANK)
        return cJSON_CreateIntArray(a->order, a->n_order);
    int d = llmbo_space_dim(r->space);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; arr && i < a->n_x; i++) {
        cJSON *p = cJSON_CreateDoubleArray(a->x + (size_t)i * (size_t)d, d);
        if (!p || !cJSON_AddItemToArray(arr, p)) {
            cJSON_Delete(p);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    (void)adv;
    return arr;
}

/* One line of advisor.jsonl. Failures to log do not fail the advice (the journal is the
 * record that matters); they are reported once on the advisor's error, not here. */
static void log_call(llmbo_advisor *adv, const call_log *c)
{
    if (!adv->log)
        return;
    char hex[17] = "";
    llmbo_request_hash(adv->model, c->req, hex, NULL);
    const llmbo_chat_reply *rp = c->reply;
    cJSON *o = cJSON_CreateObject();
    cJSON *msgs = cJSON_CreateArray();
    for (int i = 0; msgs && i < c->req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        if (!m || !cJSON_AddItemToArray(msgs, m)) {
            cJSON_Delete(m);
            break;
        }
        cJSON_AddStringToObject(m, "role", c->req->messages[i].role);
        cJSON_AddStringToObject(m, "content", c->req->messages[i].content);
    }
    if (!o || !msgs) {
        cJSON_Delete(o);
        cJSON_Delete(msgs);
        return;
    }
    cJSON_AddNumberToObject(o, "call", (double)adv->cost.calls);
    cJSON_AddNumberToObject(o, "advice", (double)adv->n_advice);
    cJSON_AddNumberToObject(o, "attempt", c->attempt);
    cJSON_AddNumberToObject(o, "iteration", c->areq->iteration);
    cJSON_AddStringToObject(o, "mode", mode_name(c->areq->mode));
    cJSON_AddStringToObject(o, "backend", adv->vt->name);
    cJSON_AddStringToObject(o, "model", adv->model);
    cJSON_AddStringToObject(o, "hash", hex);
    cJSON_AddItemToObject(o, "messages", msgs);
    if (rp->content)
        cJSON_AddStringToObject(o, "raw", rp->content);
    else
        cJSON_AddNullToObject(o, "raw");
    if (rp->reasoning)
        cJSON_AddStringToObject(o, "reasoning", rp->reasoning);
    else if (c->think)
        cJSON_AddStringToObject(o, "reasoning", c->think);
    else
        cJSON_AddNullToObject(o, "reasoning");
    cJSON_AddNumberToObject(o, "think_blocks", c->n_think);
    cJSON_AddItemToObject(o, "parsed",
                          c->parsed ? cJSON_Duplicate(c->parsed, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "result", result_json(adv, c));
    cJSON_AddStringToObject(o, "outcome", c->verdict);
    if (c->error)
        cJSON_AddStringToObject(o, "error", c->error);
    else
        cJSON_AddNullToObject(o, "error");
    cJSON *tok = cJSON_AddObjectToObject(o, "tokens");
    if (tok) {
        cJSON_AddNumberToObject(tok, "prompt", (double)rp->prompt_tokens);
        cJSON_AddNumberToObject(tok, "completion", (double)rp->completion_tokens);
        cJSON_AddNumberToObject(tok, "reasoning", (double)rp->reasoning_tokens);
        cJSON_AddNumberToObject(tok, "cached", (double)rp->cached_tokens);
    }
    cJSON_AddNumberToObject(o, "dollars", c->dollars);
    cJSON_AddNumberToObject(o, "cpu_seconds", rp->cpu_seconds);
    cJSON_AddNumberToObject(o, "cpu_dollars", c->cpu_dollars);
    cJSON_AddNumberToObject(o, "seconds", rp->seconds);
    cJSON_AddNumberToObject(o, "retries", rp->retries);
    cJSON_AddNumberToObject(o, "http_status", rp->http_status);
    cJSON_AddStringToObject(o, "price_source", adv->price.source);
    /* Strict JSON readers reject invalid UTF-8: an answer's stray bytes are kept as \xNN. */
    llmbo_json_escape_utf8(o);
    char *line = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (line) {
        fprintf(adv->log, "%s\n", line);
        fflush(adv->log);
        cJSON_free(line);
    }
}

/* Records (with "record") and accounts one finished backend call. A failure to write the
 * cassette turns a successful call into an error: a run asked to record must not silently
 * lose its cassette. */
static llmbo_status account_call(llmbo_advisor *adv, const llmbo_chat_request *req,
                                 llmbo_chat_reply *reply, llmbo_status st, llmbo_error *cerr,
                                 double *dollars, double *cpu_dollars)
{
    if (adv->rec) {
        llmbo_error rerr;
        llmbo_status rs = llmbo_recorder_write(adv->rec, adv->model, req, reply, st, cerr, &rerr);
        if (rs != LLMBO_OK && st == LLMBO_OK) {
            st = rs;
            *cerr = rerr;
        }
    }
    *dollars = llmbo_cost_add_call(&adv->cost, adv->priced ? &adv->price : NULL,
                                   adv->price_per_cpu_hour, reply, cpu_dollars);
    return st;
}

/* Appends the points of x (n, d) that repeat neither each other nor pool[0..*n_pool) to pool
 * (capacity cap points). */
static void merge_points(const llmbo_space *space, double *pool, int *n_pool, int cap,
                         const double *x, int n)
{
    int d = llmbo_space_dim(space);
    for (int i = 0; i < n && *n_pool < cap; i++) {
        const double *xi = x + (size_t)i * (size_t)d;
        int dup = 0;
        for (int k = 0; k < *n_pool && !dup; k++)
            dup = llmbo_points_same(space, xi, pool + (size_t)k * (size_t)d);
        if (!dup) {
            memcpy(pool + (size_t)*n_pool * (size_t)d, xi, (size_t)d * sizeof(double));
            (*n_pool)++;
        }
    }
}

/* ---- step answers ("answer": "step") -------------------------------------------------------
 * A small model copies the incumbent's digits badly; a step is easy to write. The model writes,
 * for each continuous (or log-scale) parameter, a step s_j from the best point in fractions of
 * the range, and the point evaluated is x = from_unit(u_best + s) (u_best: the best point in the
 * unit box, exact, not the rounded digits of the prompt). Integer and categorical parameters
 * stay absolute. The answer format (and so a local model's constrained decoder) bounds s_j to
 * [-u_best_j, 1 - u_best_j], so the point lies in the box; advisor.jsonl logs the model's steps
 * ("parsed") beside the point they map to ("result"). With "answer": "unit" a points request
 * before the first successful evaluation uses the same frame from the unit box's lower corner
 * (u = 0): its values are positions in [0, 1] as fractions of each range. */
typedef struct step_frame {
    llmbo_space *space; /* the step space: continuous and log parameters as [-u_j, 1 - u_j] */
    double *u;          /* (d) the best point in the unit box */
    double *m;          /* (d) "anchored": the mean of the shown evaluations in the unit box */
    double *tmp, *out;  /* (d) scratch: a point in the unit box, and in original units */
    int anchored;       /* 1: the step space's first key is "from" ("best" 0, "mean" 1) */
} step_frame;

static void step_frame_free(step_frame *f)
{
    llmbo_space_free(f->space);
    llmbo_free(f->u);
    llmbo_free(f->m);
    llmbo_free(f->tmp);
    llmbo_free(f->out);
    memset(f, 0, sizeof *f);
}

static int steps_param(const llmbo_param *p)
{
    return p->type == LLMBO_PARAM_CONTINUOUS || p->type == LLMBO_PARAM_LOG;
}

/* The key of an anchored step's origin, and its values (0: the best point, 1: the mean). */
static const char *const anchor_choices[] = {"best", "mean"};
#define ANCHOR_KEY "from"

static llmbo_status step_frame_make(const llmbo_prompt_options *po, const llmbo_advice_request *r,
                                    step_frame *f, llmbo_error *err)
{
    int d = llmbo_space_dim(r->space), bi = llmbo_prompt_best_index(r);
    f->space = llmbo_space_create();
    f->u = llmbo_malloc((size_t)d, sizeof *f->u);
    f->m = llmbo_malloc((size_t)d, sizeof *f->m);
    f->tmp = llmbo_malloc((size_t)d, sizeof *f->tmp);
    f->out = llmbo_malloc((size_t)d, sizeof *f->out);
    if (!f->space || !f->u || !f->m || !f->tmp || !f->out) {
        step_frame_free(f);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "advisor: out of memory");
    }
    if (bi >= 0)
        llmbo_space_to_unit(r->space, r->hist_x + (size_t)bi * (size_t)d, f->u);
    else
        memset(f->u, 0, (size_t)d * sizeof *f->u); /* "unit": from the lower corner */
    memcpy(f->m, f->u, (size_t)d * sizeof *f->m);
    f->anchored = po->step == 3 && bi >= 0;
    if (f->anchored) {
        if (llmbo_prompt_mean_unit(po, r, f->m) < 0) {
            step_frame_free(f);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "advisor: out of memory");
        }
        for (int j = 0; j < d; j++)
            if (strcmp(llmbo_space_param(r->space, j)->name, ANCHOR_KEY) == 0) {
                step_frame_free(f);
                return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                       "advisor: \"answer\": \"anchored\" writes the key \"%s\" "
                                       "in each point, but parameter %d is named \"%s\"",
                                       ANCHOR_KEY, j, ANCHOR_KEY);
            }
        llmbo_param a = {ANCHOR_KEY, LLMBO_PARAM_CATEGORICAL, 0, 0, 2, anchor_choices, NULL, NULL};
        llmbo_status st = llmbo_space_add(f->space, &a, err);
        if (st) {
            step_frame_free(f);
            return st;
        }
    }
    for (int j = 0; j < d; j++) {
        llmbo_param p = *llmbo_space_param(r->space, j);
        if (steps_param(&p)) {
            /* anchored: bounds for either origin; the mapped point is kept in the box */
            p.type = LLMBO_PARAM_CONTINUOUS;
            p.lo = -(f->u[j] > f->m[j] ? f->u[j] : f->m[j]);
            p.hi = 1.0 - (f->u[j] < f->m[j] ? f->u[j] : f->m[j]);
        }
        llmbo_status st = llmbo_space_add(f->space, &p, err);
        if (st) {
            step_frame_free(f);
            return st;
        }
    }
    return LLMBO_OK;
}

/* Maps the steps of x (n points of the step space; integer and categorical entries absolute) to
 * points (n, d) in place and checks them against the history and each other. An anchored step
 * (x's rows start with "from") is added to its origin, the best point or the shown mean, and
 * the point then moved onto the box where it leaves it. LLMBO_ERR_VALIDATION names a repeat. */
static llmbo_status step_map(const step_frame *f, const llmbo_advice_request *r, double *x, int n,
                             llmbo_error *err)
{
    int d = llmbo_space_dim(r->space), a = f->anchored, w = d + a;
    for (int i = 0; i < n; i++) {
        const double *si = x + (size_t)i * (size_t)w; /* read before the row below is written */
        const double *o = a && si[0] == 1.0 ? f->m : f->u;
        for (int j = 0; j < d; j++) {
            double t = o[j] + si[a + j];
            t = t < 0 ? 0 : t > 1 ? 1 : t;
            f->tmp[j] = steps_param(llmbo_space_param(r->space, j)) ? t : 0.0;
        }
        llmbo_space_from_unit(r->space, f->tmp, f->out);
        double *xi = x + (size_t)i * (size_t)d;
        for (int j = 0; j < d; j++)
            xi[j] = steps_param(llmbo_space_param(r->space, j)) ? f->out[j] : si[a + j];
        for (int h = 0; h < r->n_hist; h++)
            if (llmbo_points_same(r->space, xi, r->hist_x + (size_t)h * (size_t)d))
                return llmbo_error_set(err, LLMBO_ERR_VALIDATION,
                                       "point %d (a step from the %s point) repeats evaluation "
                                       "#%d",
                                       i, o == f->m ? "mean" : "best", h);
        for (int k = 0; k < i; k++)
            if (llmbo_points_same(r->space, xi, x + (size_t)k * (size_t)d))
                return llmbo_error_set(err, LLMBO_ERR_VALIDATION, "point %d repeats point %d", i,
                                       k);
    }
    return LLMBO_OK;
}

/* Validates one answer and logs the call. Points go to x (n_want, d), a ranking to
 * reply->order. Returns the validation status; *verr holds its message. */
static llmbo_status judge(llmbo_advisor *adv, const llmbo_advice_request *r, const step_frame *sf,
                          call_log *cl, llmbo_advice_reply *reply, double *x, int *n_x,
                          const char *verdict_ok, const char *verdict_bad, llmbo_error *verr)
{
    cJSON *parsed = NULL;
    char *think = NULL;
    int n_think = 0, n_extra = 0;
    llmbo_error_clear(verr);
    llmbo_status vs = llmbo_answer_extract(cl->reply->content, &parsed, &think, &n_think, verr);
    if (vs == LLMBO_OK && r->mode == LLMBO_ADVICE_RANK)
        vs =
            llmbo_answer_ranking(parsed, r->n_cand, r->n_want, reply->order, &reply->n_order, verr);
    else if (vs == LLMBO_OK && sf) {
        vs = llmbo_answer_points(parsed, sf->space, r->n_want, NULL, 0, x, n_x, &n_extra, verr);
        if (vs == LLMBO_OK)
            vs = step_map(sf, r, x, *n_x, verr);
    } else if (vs == LLMBO_OK)
        vs = llmbo_answer_points(parsed, r->space, r->n_want, r->hist_x, r->n_hist, x, n_x,
                                 &n_extra, verr);
    llmbo_advice_reply shown = *reply;
    shown.x = x;
    shown.n_x = *n_x;
    cl->parsed = parsed;
    cl->think = think;
    cl->n_think = n_think;
    cl->verdict = vs == LLMBO_OK ? verdict_ok : verdict_bad;
    cl->error = vs == LLMBO_OK ? NULL : verr->msg;
    cl->areply = vs == LLMBO_OK ? &shown : NULL;
    log_call(adv, cl);
    if (vs != LLMBO_OK) {
        reply->n_order = 0;
        *n_x = 0;
    }
    cJSON_Delete(parsed);
    llmbo_free(think);
    return vs;
}

/* One advice. Rank mode and samples = 1: one request, then one repair request if the answer
 * is invalid. Point modes with samples = k > 1: k requests at once (seeds seed + i), the valid
 * answers' points pooled in sample order without repeats; the repair is only asked for when no
 * sample gave a usable point. */
static llmbo_status advisor_advise(void *ctx, const llmbo_advice_request *r,
                                   llmbo_advice_reply *reply, llmbo_error *err)
{
    llmbo_advisor *adv = ctx;
    adv->n_advice++;
    reply->n_order = 0;
    reply->n_x = 0;
    reply->outcome = LLMBO_OUTCOME_FALLBACK;
    if (!r || !r->space || r->n_want < 1 ||
        (r->mode == LLMBO_ADVICE_RANK ? (r->n_cand < 1 || !reply->order || !r->cand_x)
                                      : !reply->x)) {
        adv->cost.fallback++;
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "advisor: the request lacks candidates, points or output arrays");
    }
    if (adv->unreachable) {
        adv->cost.errors++;
        reply->outcome = LLMBO_OUTCOME_TRANSPORT_ERROR;
        return llmbo_error_set(err, LLMBO_ERR_HTTP, "advisor (%s %s): %s", adv->vt->name,
                               adv->model, adv->unreachable_msg);
    }
    int rank = r->mode == LLMBO_ADVICE_RANK;
    int k = rank ? 1 : adv->samples;
    double deadline = llmbo_now() + adv->deadline;
    size_t d = (size_t)llmbo_space_dim(r->space), per = (size_t)r->n_want * (d + 1); /* + from */
    char *sys = NULL, *usr = NULL, *repair_msg = NULL;
    llmbo_chat_request *reqs = llmbo_calloc((size_t)k, sizeof *reqs);
    llmbo_chat_reply *reps = llmbo_calloc((size_t)k + 1, sizeof *reps); /* + the repair */
    llmbo_status *cs = llmbo_calloc((size_t)k, sizeof *cs);
    llmbo_error *cerr = llmbo_calloc((size_t)k, sizeof *cerr);
    double *xs = llmbo_calloc((size_t)(k + 1) * per, sizeof *xs);  /* per sample + repair */
    live_slot *slots = llmbo_calloc((size_t)k + 1, sizeof *slots); /* per sample + repair */
    step_frame sframe = {0}, *sf = NULL;
    llmbo_status st = !reqs || !reps || !cs || !cerr || !xs || !slots
                          ? llmbo_error_set(err, LLMBO_ERR_NOMEM, "advisor: out of memory")
                          : llmbo_prompt_build(&adv->po, r, &sys, &usr, err);
    if (!st && llmbo_prompt_step_answer(&adv->po, r) &&
        !(st = step_frame_make(&adv->po, r, &sframe, err)))
        sf = &sframe;
    if (st) {
        adv->cost.fallback++;
        goto done;
    }
    llmbo_answer_format fmt = {rank ? LLMBO_ANSWER_RANKING : LLMBO_ANSWER_POINTS,
                               sf ? sf->space : r->space, r->n_want, r->n_cand,
                               r->n_want < r->n_cand ? r->n_want : r->n_cand};
    llmbo_chat_message msgs[4] = {{"system", sys}, {"user", usr}, {"assistant", ""}, {"user", ""}};
    atomic_store(&adv->live, 0);
    for (int i = 0; i <= k; i++)
        slots[i] = (live_slot){adv, 0};
    for (int i = 0; i < k; i++) {
        llmbo_chat_request q = {msgs,
                                2,
                                adv->temperature,
                                adv->top_p,
                                adv->max_tokens,
                                adv->seed,
                                (const char *const *)adv->stop,
                                adv->n_stop,
                                &fmt,
                                deadline,
                                adv->progress ? on_stream_progress : NULL,
                                &slots[i],
                                adv->salt};
        if (k > 1)
            q.seed = (adv->seed >= 0 ? adv->seed : 0) + i;
        reqs[i] = q;
    }
    if (k == 1)
        cs[0] = adv->vt->complete(adv->be.state, &reqs[0], &reps[0], &cerr[0]);
    else if (llmbo_backend_complete_batch(&adv->be, reqs, k, k, reps, cs, cerr) != LLMBO_OK) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "advisor: out of memory");
        adv->cost.fallback++;
        goto done;
    }

    /* Sequentially, in sample order: record, account, judge, pool. */
    int pooled = 0, n_transport = 0, first_bad = -1;
    llmbo_error bad_err, verr;
    llmbo_error_clear(&bad_err);
    for (int i = 0; i < k; i++) {
        double dollars = 0, cpu_dollars = 0;
        cs[i] = account_call(adv, &reqs[i], &reps[i], cs[i], &cerr[i], &dollars, &cpu_dollars);
        call_log cl = {0, &reqs[i], &reps[i], cs[i], NULL, NULL,    NULL,
                       0, NULL,     NULL,     r,     NULL, dollars, cpu_dollars};
        if (cs[i] != LLMBO_OK) {
            n_transport++;
            cl.verdict = "transport_error";
            cl.error = cerr[i].msg;
            log_call(adv, &cl);
            continue;
        }
        int n_x = 0;
        double *xi = xs + (size_t)i * per;
        llmbo_status vs = judge(adv, r, sf, &cl, reply, xi, &n_x, "valid",
                                adv->repair && k == 1 ? "invalid" : "fallback", &verr);
        if (vs == LLMBO_OK && rank) {
            pooled = reply->n_order;
        } else if (vs == LLMBO_OK) {
            merge_points(r->space, reply->x, &pooled, r->n_want, xi, n_x);
        } else if (first_bad < 0) {
            first_bad = i;
            bad_err = verr;
        }
    }
    if (pooled > 0) {
        reply->outcome = LLMBO_OUTCOME_VALID;
        if (!rank)
            reply->n_x = pooled;
        adv->cost.valid++;
        st = LLMBO_OK;
        goto done;
    }
    if (first_bad < 0) { /* every sample failed in transport */
        adv->cost.errors++;
        reply->outcome = LLMBO_OUTCOME_TRANSPORT_ERROR;
        st = llmbo_error_set(err, cs[0], "advisor (%s %s): %s", adv->vt->name, adv->model,
                             cerr[0].msg);
        goto done;
    }
    if (!adv->repair) {
        adv->cost.fallback++;
        reply->outcome = LLMBO_OUTCOME_FALLBACK;
        st = llmbo_error_set(err, LLMBO_ERR_VALIDATION, "advisor (%s %s): unusable answer: %s",
                             adv->vt->name, adv->model, bad_err.msg);
        goto done;
    }

    /* Repair: the conversation of the first invalid sample, its answer and the error quoted. */
    repair_msg = llmbo_prompt_repair(&adv->po, bad_err.msg);
    if (!repair_msg) {
        adv->cost.fallback++;
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "advisor: out of memory");
        goto done;
    }
    msgs[2].content = reps[first_bad].content ? reps[first_bad].content : "";
    msgs[3].content = repair_msg;
    llmbo_chat_request rq = reqs[first_bad];
    rq.n_messages = 4;
    rq.progress_ctx = &slots[k];
    llmbo_chat_reply *rr = &reps[k];
    llmbo_error rerr;
    llmbo_error_clear(&rerr);
    double dollars = 0, cpu_dollars = 0;
    llmbo_status rs = adv->vt->complete(adv->be.state, &rq, rr, &rerr);
    rs = account_call(adv, &rq, rr, rs, &rerr, &dollars, &cpu_dollars);
    call_log cl = {1, &rq, rr, rs, NULL, NULL, NULL, 0, NULL, NULL, r, NULL, dollars, cpu_dollars};
    if (rs != LLMBO_OK) {
        cl.verdict = "transport_error";
        cl.error = rerr.msg;
        log_call(adv, &cl);
        adv->cost.errors++;
        reply->outcome = LLMBO_OUTCOME_TRANSPORT_ERROR;
        st = llmbo_error_set(err, rs, "advisor (%s %s): repair request: %s", adv->vt->name,
                             adv->model, rerr.msg);
        goto done;
    }
    int n_x = 0;
    double *xr = xs + (size_t)k * per;
    llmbo_status vs = judge(adv, r, sf, &cl, reply, xr, &n_x, "repaired", "fallback", &verr);
    if (vs == LLMBO_OK) {
        if (!rank) {
            merge_points(r->space, reply->x, &pooled, r->n_want, xr, n_x);
            reply->n_x = pooled;
        }
        reply->outcome = LLMBO_OUTCOME_REPAIRED;
        adv->cost.repaired++;
        st = LLMBO_OK;
    } else {
        reply->outcome = LLMBO_OUTCOME_FALLBACK;
        adv->cost.fallback++;
        st = llmbo_error_set(err, vs == LLMBO_ERR_NOMEM ? vs : LLMBO_ERR_VALIDATION,
                             "advisor (%s %s): unusable answer after a repair request: %s",
                             adv->vt->name, adv->model, verr.msg);
    }
done:
    step_frame_free(&sframe);
    for (int i = 0; reps && i <= k; i++)
        llmbo_chat_reply_clear(&reps[i]);
    llmbo_free(reqs);
    llmbo_free(reps);
    llmbo_free(cs);
    llmbo_free(cerr);
    llmbo_free(xs);
    llmbo_free(slots);
    llmbo_free(repair_msg);
    llmbo_free(sys);
    llmbo_free(usr);
    return st;
}

static void advisor_cost_cb(void *ctx, llmbo_cost *out)
{
    *out = ((llmbo_advisor *)ctx)->cost;
}

void llmbo_advisor_get_hook(llmbo_advisor *adv, llmbo_advisor_hook *out)
{
    out->version = LLMBO_ADVISOR_HOOK_VERSION;
    out->ctx = adv;
    out->advise = advisor_advise;
    out->cost = advisor_cost_cb;
}
