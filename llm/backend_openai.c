/* backend_openai.c: the OpenAI-compatible chat-completions dialect (POST {base_url}/chat/
 * completions), spoken by OpenAI, DeepSeek, OpenRouter, vLLM, llama.cpp's server, Ollama and LM
 * Studio. Usage fields of all of them are read: prompt/completion tokens, reasoning tokens
 * (completion_tokens_details), cached tokens (prompt_tokens_details, or DeepSeek's
 * prompt_cache_hit_tokens), and separate reasoning text (DeepSeek's reasoning_content,
 * OpenRouter's reasoning). The state is immutable after create, so complete() is thread-safe. */
#include <math.h>
#include <string.h>
#include "llmbo_common.h"
#include "backend.h"
#include "http.h"
#include "llm_impl.h"

enum { RF_NONE = 0, RF_JSON_OBJECT = 1, RF_JSON_SCHEMA = 2 };

typedef struct openai_state {
    char *url, *model, *key;
    char **headers; /* (n_headers) "Name: value", the Authorization line first if a key is set */
    int n_headers;
    int response_format;
    char *max_tokens_key;   /* "max_tokens" or "max_completion_tokens" */
    char *reasoning_effort; /* o-series / OpenRouter, or NULL */
    int stream;             /* 1: "stream": true, answers read as server-sent events */
    llmbo_http *http;
} openai_state;

static const char *const openai_keys[] = {
    "base_url",       "api_key_env",      "headers",     "response_format",
    "max_tokens_key", "reasoning_effort", "timeout",     "connect_timeout",
    "max_retries",    "backoff",          "backoff_max", "max_response_bytes",
    "concurrency",    "stream",           NULL};

static void openai_destroy(void *state)
{
    openai_state *s = state;
    if (!s)
        return;
    llmbo_free(s->url);
    llmbo_free(s->model);
    if (s->key) {
        memset(s->key, 0, strlen(s->key));
        llmbo_free(s->key);
    }
    llmbo_http_lines_free(s->headers, s->n_headers);
    llmbo_free(s->max_tokens_key);
    llmbo_free(s->reasoning_effort);
    llmbo_http_free(s->http);
    llmbo_free(s);
}

static llmbo_status openai_create(const llmbo_backend_config *cfg, void **state, llmbo_error *err)
{
    *state = NULL;
    openai_state *s = llmbo_calloc(1, sizeof *s);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
    llmbo_status st;
    char **extra = NULL;
    int n_extra = 0;
    llmbo_http_options ho;
    llmbo_http_options_default(&ho);
    if ((st = llmbo_http_url(cfg->json, cfg->where, "OPENAI_BASE_URL", "/chat/completions",
                             "https://api.openai.com/v1", "/chat/completions", &s->url, err)) ||
        (st = llmbo_http_api_key(cfg->json, cfg->where, "OPENAI_API_KEY", &s->key, err)) ||
        (st = llmbo_http_extra_headers(cfg->json, cfg->where, &extra, &n_extra, err)) ||
        (st = llmbo_json_dup_string(cfg->json, cfg->where, "max_tokens_key", "max_tokens",
                                    &s->max_tokens_key, err)) ||
        (st = llmbo_json_dup_string(cfg->json, cfg->where, "reasoning_effort", NULL,
                                    &s->reasoning_effort, err)) ||
        (st = llmbo_json_get_bool(cfg->json, cfg->where, "stream", &s->stream, err)) ||
        (st = llmbo_http_options_parse(cfg->json, cfg->where, &ho, err)))
        goto fail;
    if (strcmp(s->max_tokens_key, "max_tokens") != 0 &&
        strcmp(s->max_tokens_key, "max_completion_tokens") != 0) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                             "%s.max_tokens_key: expected \"max_tokens\" or "
                             "\"max_completion_tokens\"",
                             cfg->where);
        goto fail;
    }
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(cfg->json, "response_format");
    if (rf) {
        const char *v = cJSON_IsString(rf) ? rf->valuestring : "";
        if (strcmp(v, "none") == 0)
            s->response_format = RF_NONE;
        else if (strcmp(v, "json_object") == 0)
            s->response_format = RF_JSON_OBJECT;
        else if (strcmp(v, "json_schema") == 0)
            s->response_format = RF_JSON_SCHEMA;
        else {
            st = llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                 "%s.response_format: expected \"none\", \"json_object\" or "
                                 "\"json_schema\"",
                                 cfg->where);
            goto fail;
        }
    }
    s->model = llmbo_strdup(cfg->model);
    s->http = llmbo_http_create(&ho);
    s->headers = llmbo_calloc((size_t)n_extra + 1, sizeof *s->headers);
    if (!s->model || !s->http || !s->headers) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
        goto fail;
    }
    if (s->key) {
        size_t len = strlen(s->key) + 32;
        if (!(s->headers[0] = llmbo_malloc(len, 1))) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
            goto fail;
        }
        snprintf(s->headers[0], len, "Authorization: Bearer %s", s->key);
        s->n_headers = 1;
    }
    for (int i = 0; i < n_extra; i++) {
        s->headers[s->n_headers++] = extra[i];
        extra[i] = NULL;
    }
    llmbo_http_lines_free(extra, n_extra);
    llmbo_http_warn_plaintext_key(s->url, s->key, cfg->where);
    *state = s;
    return LLMBO_OK;
fail:
    llmbo_http_lines_free(extra, n_extra);
    openai_destroy(s);
    return st;
}

/* Body of a chat-completions request. */
static char *openai_body(const openai_state *s, const llmbo_chat_request *req)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "model", s->model);
    cJSON *msgs = ok ? cJSON_AddArrayToObject(o, "messages") : NULL;
    ok = ok && msgs;
    for (int i = 0; ok && i < req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        ok = m && cJSON_AddItemToArray(msgs, m) &&
             cJSON_AddStringToObject(m, "role", req->messages[i].role) &&
             cJSON_AddStringToObject(m, "content", req->messages[i].content);
    }
    if (ok && req->temperature >= 0)
        ok = cJSON_AddNumberToObject(o, "temperature", req->temperature) != NULL;
    if (ok && req->top_p >= 0)
        ok = cJSON_AddNumberToObject(o, "top_p", req->top_p) != NULL;
    if (ok && req->max_tokens > 0)
        ok = cJSON_AddNumberToObject(o, s->max_tokens_key, req->max_tokens) != NULL;
    if (ok && req->seed >= 0)
        ok = cJSON_AddNumberToObject(o, "seed", (double)req->seed) != NULL;
    if (ok && req->n_stop > 0) {
        cJSON *stop = cJSON_AddArrayToObject(o, "stop");
        ok = stop != NULL;
        for (int i = 0; ok && i < req->n_stop; i++) {
            cJSON *x = cJSON_CreateString(req->stop[i]);
            ok = x && cJSON_AddItemToArray(stop, x);
        }
    }
    if (ok && s->reasoning_effort)
        ok = cJSON_AddStringToObject(o, "reasoning_effort", s->reasoning_effort) != NULL;
    int want_format = req->format && req->format->kind != LLMBO_ANSWER_FREE;
    if (ok && want_format && s->response_format == RF_JSON_OBJECT) {
        cJSON *rf = cJSON_AddObjectToObject(o, "response_format");
        ok = rf && cJSON_AddStringToObject(rf, "type", "json_object");
    } else if (ok && want_format && s->response_format == RF_JSON_SCHEMA) {
        cJSON *rf = cJSON_AddObjectToObject(o, "response_format");
        cJSON *js = rf ? cJSON_AddObjectToObject(rf, "json_schema") : NULL;
        cJSON *schema = js ? llmbo_answer_schema(req->format) : NULL;
        ok = rf && js && schema && cJSON_AddStringToObject(rf, "type", "json_schema") &&
             cJSON_AddStringToObject(js, "name", "advice") &&
             cJSON_AddItemToObject(js, "schema", schema);
        if (!ok)
            cJSON_Delete(schema);
    }
    if (ok && s->stream) {
        /* The usage arrives in a last chunk with empty choices, only when asked for. */
        cJSON *so = cJSON_AddObjectToObject(o, "stream_options");
        ok = cJSON_AddTrueToObject(o, "stream") && so && cJSON_AddTrueToObject(so, "include_usage");
    } else {
        ok = ok && cJSON_AddFalseToObject(o, "stream");
    }
    char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return body;
}

/* A usage count: 0 when absent or not a number, saturated when absurd (1e300). */
static long usage_num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? llmbo_count_from_double(v->valuedouble) : 0;
}

/* Text of a message's content: a string, or an array of {"type": "text", "text": ...} parts. */
static char *content_text(const cJSON *c)
{
    if (cJSON_IsString(c))
        return llmbo_strdup(c->valuestring);
    if (cJSON_IsNull(c) || !c)
        return llmbo_strdup("");
    if (!cJSON_IsArray(c))
        return NULL;
    size_t len = 1;
    const cJSON *p;
    cJSON_ArrayForEach(p, c)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t))
            len += strlen(t->valuestring);
    }
    char *out = llmbo_malloc(len, 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    cJSON_ArrayForEach(p, c)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t))
            strcat(out, t->valuestring);
    }
    return out;
}

static void openai_usage(const cJSON *u, llmbo_chat_reply *reply);

llmbo_status llmbo_openai_parse(const char *body, llmbo_chat_reply *reply, llmbo_error *err)
{
    cJSON *root = cJSON_Parse(body);
    if (!root)
        return llmbo_error_set(err, LLMBO_ERR_BACKEND,
                               "openai: the server's answer is not JSON (starts with \"%.60s\")",
                               body);
    llmbo_status st = LLMBO_OK;
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(choices, 0), "message");
    if (!cJSON_IsObject(msg)) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(e, "message");
        st = llmbo_error_set(err, LLMBO_ERR_BACKEND, "openai: answer has no choices[0].message%s%s",
                             cJSON_IsString(em) ? ": " : "",
                             cJSON_IsString(em) ? em->valuestring : "");
        goto done;
    }
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "content");
    reply->content = content_text(c);
    if (!reply->content) {
        st = llmbo_error_set(err, LLMBO_ERR_BACKEND,
                             "openai: choices[0].message.content is neither text nor null");
        goto done;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(msg, "reasoning_content");
    if (!cJSON_IsString(r))
        r = cJSON_GetObjectItemCaseSensitive(msg, "reasoning");
    if (cJSON_IsString(r) && r->valuestring[0] &&
        !(reply->reasoning = llmbo_strdup(r->valuestring)))
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "openai: out of memory");
    openai_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), reply);
done:
    cJSON_Delete(root);
    return st;
}

/* One event of a streamed answer: choices[0].delta carries content and reasoning pieces, the
 * last chunk the usage (stream_options.include_usage), "[DONE]" (data NULL) ends it. */
static llmbo_status openai_event(llmbo_chat_stream *cs, const char *event, const cJSON *data,
                                 llmbo_error *err)
{
    (void)event;
    if (!data) {
        cs->done = 1;
        return LLMBO_OK;
    }
    if (!cJSON_IsObject(data))
        return llmbo_error_set(err, LLMBO_ERR_BACKEND, "expected a JSON object");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(data, "error");
    if (e && !cJSON_IsNull(e)) {
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(e, "message");
        return llmbo_error_set(err, LLMBO_ERR_BACKEND, "the server reported an error: %s",
                               cJSON_IsString(em) ? em->valuestring : "(no message)");
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(data, "choices");
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(choices, 0), "delta");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(delta, "content");
    if (cJSON_IsString(c) && c->valuestring[0])
        llmbo_chat_stream_piece(cs, &cs->content, c->valuestring);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(delta, "reasoning_content");
    if (!cJSON_IsString(r))
        r = cJSON_GetObjectItemCaseSensitive(delta, "reasoning");
    if (cJSON_IsString(r) && r->valuestring[0])
        llmbo_chat_stream_piece(cs, &cs->reasoning, r->valuestring);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(data, "usage");
    if (cJSON_IsObject(u)) {
        cJSON_Delete(cs->usage);
        if (!(cs->usage = cJSON_Duplicate(u, 1)))
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    return LLMBO_OK;
}

static llmbo_status openai_stream_reply(llmbo_chat_stream *cs, llmbo_chat_reply *reply,
                                        llmbo_error *err)
{
    reply->content = llmbo_strdup(cs->content.s ? cs->content.s : "");
    if (cs->reasoning.len > 0)
        reply->reasoning = llmbo_strdup(cs->reasoning.s);
    if (!reply->content || (cs->reasoning.len > 0 && !reply->reasoning))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    openai_usage(cs->usage, reply);
    return LLMBO_OK;
}

void llmbo_openai_stream_init(llmbo_chat_stream *cs)
{
    llmbo_chat_stream_init(cs, "openai", "data: [DONE]", openai_event, openai_stream_reply);
}

/* The usage object of an answer, streamed or not, into reply's token counts. */
static void openai_usage(const cJSON *u, llmbo_chat_reply *reply)
{
    reply->prompt_tokens = usage_num(u, "prompt_tokens");
    reply->completion_tokens = usage_num(u, "completion_tokens");
    reply->reasoning_tokens = usage_num(
        cJSON_GetObjectItemCaseSensitive(u, "completion_tokens_details"), "reasoning_tokens");
    reply->cached_tokens =
        usage_num(cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details"), "cached_tokens");
    if (cJSON_GetObjectItemCaseSensitive(u, "prompt_cache_hit_tokens")) {
        /* DeepSeek: prompt_tokens = prompt_cache_hit_tokens + prompt_cache_miss_tokens. */
        reply->cached_tokens = usage_num(u, "prompt_cache_hit_tokens");
        long miss = usage_num(u, "prompt_cache_miss_tokens");
        if (reply->prompt_tokens == 0)
            reply->prompt_tokens = llmbo_count_add(reply->cached_tokens, miss);
    }
    if (reply->cached_tokens > reply->prompt_tokens)
        reply->cached_tokens = reply->prompt_tokens;
}

static llmbo_status openai_complete(void *state, const llmbo_chat_request *req,
                                    llmbo_chat_reply *reply, llmbo_error *err)
{
    openai_state *s = state;
    memset(reply, 0, sizeof *reply);
    char *body = openai_body(s, req);
    if (!body)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "openai: out of memory building the request");
    if (!s->stream)
        return llmbo_http_chat(s->http, s->url, s->headers, s->n_headers, s->key, body,
                               req->deadline, llmbo_openai_parse, NULL, reply, err);
    llmbo_chat_stream cs;
    llmbo_openai_stream_init(&cs);
    cs.on_progress = req->on_progress;
    cs.progress_ctx = req->progress_ctx;
    llmbo_status st = llmbo_http_chat(s->http, s->url, s->headers, s->n_headers, s->key, body,
                                      req->deadline, llmbo_openai_parse, &cs, reply, err);
    llmbo_chat_stream_free(&cs);
    return st;
}

static llmbo_status openai_preflight(void *state, llmbo_error *err)
{
    openai_state *s = state;
    return llmbo_http_preflight(s->http, s->url, err);
}

const llmbo_backend_vtbl llmbo_backend_openai = {LLMBO_BACKEND_VTBL_VERSION,
                                                 "openai",
                                                 openai_create,
                                                 openai_complete,
                                                 openai_destroy,
                                                 openai_keys,
                                                 openai_preflight};
