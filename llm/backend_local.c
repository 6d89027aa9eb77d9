/* backend_local.c: the "local" advisor backend: llmbo's in-process engine (llm/engine/) on a GGUF
 * file. The chat is formatted with the model's template, the answer is decoded under the request's
 * answer format (points within bounds, or a ranking), and the cost is CPU-seconds and tokens.
 * Successive calls reuse the KV cache of the common prompt prefix. Calls are serialised (one
 * engine, one KV cache). Config keys: model_path (default: the advisor's "model"), n_ctx, threads,
 * n_batch, top_k, think, think_budget. */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include "backend.h"
#include "constrain.h"
#include "engine.h"
#include "generate.h"
#include "llmbo_common.h"
#include "json.h"
#include "llm_impl.h"

static const char *const local_keys[] = {"model_path", "n_ctx",        "threads", "n_batch",
                                         "top_k",      "think_budget", "think",   NULL};

typedef struct local_state {
    llmbo_engine *eng;
    pthread_mutex_t mu;
    int top_k, think, think_budget;
} local_state;

/* splitmix64's finaliser over a ^ b's mix (Steele, Lea, Flood 2014): a sampler seed from two. */
static uint64_t mix_seed(uint64_t a, uint64_t b)
{
    uint64_t z = a ^ (b * 0x9e3779b97f4a7c15ULL + 0xbf58476d1ce4e5b9ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void local_destroy(void *state)
{
    local_state *s = state;
    if (!s)
        return;
    llmbo_engine_free(s->eng);
    pthread_mutex_destroy(&s->mu);
    llmbo_free(s);
}

static llmbo_status local_create(const llmbo_backend_config *cfg, void **state, llmbo_error *err)
{
    *state = NULL;
    const char *path = cfg->model;
    const cJSON *mp = cJSON_GetObjectItemCaseSensitive(cfg->json, "model_path");
    if (mp) {
        if (!cJSON_IsString(mp) || !mp->valuestring[0])
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.model_path: expected the path of a GGUF file", cfg->where);
        path = mp->valuestring;
    }
    if (!path || !path[0])
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: the local backend needs \"model_path\" (or \"model\") naming "
                               "a GGUF file",
                               cfg->where);
    llmbo_engine_options eo;
    llmbo_engine_options_default(&eo);
    local_state *s = llmbo_calloc(1, sizeof *s);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
    s->top_k = 40;
    s->think_budget = 512;
    llmbo_status st;
    if ((st = llmbo_json_get_int(cfg->json, cfg->where, "n_ctx", 16, 1 << 20, &eo.n_ctx, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "threads", 1, 256, &eo.n_threads, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "n_batch", 1, 4096, &eo.n_batch, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "top_k", 0, 1 << 24, &s->top_k, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "think_budget", 0, 1 << 20,
                                 &s->think_budget, err))) {
        llmbo_free(s);
        return st;
    }
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(cfg->json, "think");
    if (th && !cJSON_IsBool(th)) {
        llmbo_free(s);
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.think: expected true or false",
                               cfg->where);
    }
    s->think = th && cJSON_IsTrue(th);
    if ((st = llmbo_engine_open(path, &eo, &s->eng, err))) {
        llmbo_error_prefix(err, "%s.model_path", cfg->where);
        llmbo_free(s);
        return st == LLMBO_ERR_NOMEM ? st : LLMBO_ERR_CONFIG;
    }
    pthread_mutex_init(&s->mu, NULL);
    *state = s;
    return LLMBO_OK;
}

/* The request's answer format as an automaton spec; arrays owned by the caller's buffers. */
typedef struct spec_buf {
    const char **names;
    double *lo, *hi;
    int *integer, *n_choices;
    const char *const **choices;
} spec_buf;

static void spec_buf_free(spec_buf *b)
{
    llmbo_free(b->names);
    llmbo_free(b->lo);
    llmbo_free(b->hi);
    llmbo_free(b->integer);
    llmbo_free(b->n_choices);
    llmbo_free(b->choices);
}

static llmbo_status make_spec(const llmbo_answer_format *f, llmbo_cons_spec *sp, spec_buf *b,
                              llmbo_error *err)
{
    memset(sp, 0, sizeof *sp);
    memset(b, 0, sizeof *b);
    if (f->kind == LLMBO_ANSWER_RANKING) {
        sp->kind = LLMBO_CONS_RANKING;
        sp->n_rank = f->n_rank;
        sp->n_choose = f->n_choose;
        return LLMBO_OK;
    }
    int d = f->space ? llmbo_space_dim(f->space) : 0;
    if (d < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "local: points format without a space");
    b->names = llmbo_calloc((size_t)d, sizeof *b->names);
    b->lo = llmbo_calloc((size_t)d, sizeof *b->lo);
    b->hi = llmbo_calloc((size_t)d, sizeof *b->hi);
    b->integer = llmbo_calloc((size_t)d, sizeof *b->integer);
    b->n_choices = llmbo_calloc((size_t)d, sizeof *b->n_choices);
    b->choices = llmbo_calloc((size_t)d, sizeof *b->choices);
    if (!b->names || !b->lo || !b->hi || !b->integer || !b->n_choices || !b->choices)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "local: out of memory");
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(f->space, j);
        b->names[j] = p->name;
        b->lo[j] = p->lo;
        b->hi[j] = p->hi;
        b->integer[j] = p->type == LLMBO_PARAM_INTEGER;
        if (p->type == LLMBO_PARAM_CATEGORICAL) {
            b->n_choices[j] = p->n_choices;
            b->choices[j] = p->choices;
            b->lo[j] = 0;
            b->hi[j] = p->n_choices - 1;
        }
    }
    sp->kind = LLMBO_CONS_POINTS;
    sp->n_points = f->n_points;
    sp->dim = d;
    sp->names = b->names;
    sp->lo = b->lo;
    sp->hi = b->hi;
    sp->integer = b->integer;
    sp->n_choices = b->n_choices;
    sp->choices = b->choices;
    return LLMBO_OK;
}

static llmbo_status local_complete(void *state, const llmbo_chat_request *req,
                                   llmbo_chat_reply *reply, llmbo_error *err)
{
    local_state *s = state;
    memset(reply, 0, sizeof *reply);
    if (!req || req->n_messages < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "local: empty chat request");
    pthread_mutex_lock(&s->mu);
    double t0 = llmbo_now(), c0 = llmbo_cpu_seconds();
    const char **roles = llmbo_calloc((size_t)req->n_messages, sizeof *roles);
    const char **contents = llmbo_calloc((size_t)req->n_messages, sizeof *contents);
    char *prompt = NULL;
    int32_t *ids = NULL;
    int n = 0;
    llmbo_cons *cons = NULL;
    llmbo_cons_spec sp;
    spec_buf sb = {0};
    llmbo_gen_result r = {0};
    llmbo_status st = LLMBO_OK;
    if (!roles || !contents) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "local: out of memory");
        goto out;
    }
    for (int i = 0; i < req->n_messages; i++) {
        roles[i] = req->messages[i].role ? req->messages[i].role : "user";
        contents[i] = req->messages[i].content ? req->messages[i].content : "";
    }
    if ((st =
             llmbo_chat_format(s->eng, roles, contents, req->n_messages, s->think, &prompt, err)) ||
        (st = llmbo_engine_tokenize(s->eng, prompt, &ids, &n, err)))
        goto out;
    if (req->format && req->format->kind != LLMBO_ANSWER_FREE) {
        if ((st = make_spec(req->format, &sp, &sb, err)) ||
            (st = llmbo_cons_create(&sp, &cons, err)))
            goto out;
    }
    llmbo_gen_options go;
    llmbo_gen_options_default(&go);
    go.temperature = req->temperature >= 0 ? req->temperature : 0.0;
    go.top_p = req->top_p > 0 ? req->top_p : 1.0;
    go.top_k = s->top_k;
    go.max_tokens = req->max_tokens > 0 ? req->max_tokens : 512;
    /* The prompt's hash seeds the sampler, mixed with the request's seed and salt (the run's
     * seed) when they are set: the same prompt, seed and salt give the same answer (replays and
     * resumes agree), successive calls of a loop, whose prompts differ, do not all draw the same
     * random stream (a peaked model would otherwise repeat one answer), nor do the parallel
     * samples of one advice (seeds seed + i) or runs of different seeds. */
    go.seed = llmbo_fnv1a64(prompt, strlen(prompt));
    if (req->seed >= 0)
        go.seed = mix_seed(go.seed, (uint64_t)req->seed);
    if (req->salt)
        go.seed = mix_seed(go.seed, req->salt);
    go.stop = req->stop;
    go.n_stop = req->n_stop;
    go.format = cons;
    go.think_budget = s->think ? s->think_budget : -1;
    if (n >= llmbo_engine_n_ctx(s->eng)) {
        st = llmbo_error_set(err, LLMBO_ERR_BACKEND,
                             "local: the prompt has %d tokens, the context holds %d (raise n_ctx)",
                             n, llmbo_engine_n_ctx(s->eng));
        goto out;
    }
    if ((st = llmbo_generate(s->eng, ids, n, &go, &r, err))) {
        if (st != LLMBO_ERR_NOMEM)
            st = LLMBO_ERR_BACKEND;
        llmbo_error_prefix(err, "local");
        goto out;
    }
    reply->content = r.text;
    reply->reasoning = r.reasoning;
    r.text = r.reasoning = NULL;
    reply->prompt_tokens = r.n_prompt;
    reply->completion_tokens = r.n_sampled + r.n_forced;
    reply->reasoning_tokens = r.n_reasoning;
    reply->cached_tokens = r.n_prompt - r.n_processed;
out:
    reply->seconds = llmbo_now() - t0;
    reply->cpu_seconds = llmbo_cpu_seconds() - c0;
    pthread_mutex_unlock(&s->mu);
    llmbo_gen_result_clear(&r);
    llmbo_cons_free(cons);
    spec_buf_free(&sb);
    llmbo_free(ids);
    llmbo_free(prompt);
    llmbo_free(roles);
    llmbo_free(contents);
    return st;
}

const llmbo_backend_vtbl llmbo_backend_local = {LLMBO_BACKEND_VTBL_VERSION,
                                                "local",
                                                local_create,
                                                local_complete,
                                                local_destroy,
                                                local_keys,
                                                NULL};
