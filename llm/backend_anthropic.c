/* backend_anthropic.c: the Anthropic Messages API (POST {base_url}/messages): x-api-key and
 * anthropic-version headers, the system prompt as a top-level field, answers as content blocks
 * ("text", "thinking", "redacted_thinking"), usage as input_tokens (uncached part),
 * cache_creation_input_tokens, cache_read_input_tokens and output_tokens (thinking included).
 * The state is immutable after create, so complete() is thread-safe. */
#include <math.h>
#include <string.h>
#include "llmbo_common.h"
#include "backend.h"
#include "http.h"
#include "llm_impl.h"

typedef struct anthropic_state {
    char *url, *model, *key;
    char **headers; /* (n_headers) x-api-key (if a key is set), anthropic-version, extras */
    int n_headers;
    int max_tokens;      /* default when the request sets none (the API requires one) */
    int thinking_budget; /* > 0: extended thinking with this budget_tokens */
    int stream;          /* 1: "stream": true, answers read as server-sent events */
    llmbo_http *http;
} anthropic_state;

static const char *const anthropic_keys[] = {
    "base_url",          "api_key_env",     "headers",
    "anthropic_version", "thinking_budget", "default_max_tokens",
    "timeout",           "connect_timeout", "max_retries",
    "backoff",           "backoff_max",     "max_response_bytes",
    "concurrency",       "stream",          NULL};

static void anthropic_destroy(void *state)
{
    anthropic_state *s = state;
    if (!s)
        return;
    llmbo_free(s->url);
    llmbo_free(s->model);
    if (s->key) {
        memset(s->key, 0, strlen(s->key));
        llmbo_free(s->key);
    }
    if (s->headers && s->n_headers > 0 && s->headers[0])
        memset(s->headers[0], 0, strlen(s->headers[0]));
    llmbo_http_lines_free(s->headers, s->n_headers);
    llmbo_http_free(s->http);
    llmbo_free(s);
}

static llmbo_status add_line(anthropic_state *s, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    char *l = llmbo_malloc(len, 1);
    if (!l)
        return LLMBO_ERR_NOMEM;
    snprintf(l, len, "%s: %s", name, value);
    s->headers[s->n_headers++] = l;
    return LLMBO_OK;
}

static llmbo_status anthropic_create(const llmbo_backend_config *cfg, void **state,
                                     llmbo_error *err)
{
    *state = NULL;
    anthropic_state *s = llmbo_calloc(1, sizeof *s);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
    s->max_tokens = 4096;
    llmbo_status st;
    char **extra = NULL;
    int n_extra = 0;
    llmbo_http_options ho;
    llmbo_http_options_default(&ho);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(cfg->json, "anthropic_version");
    if (ver && (!cJSON_IsString(ver) || strpbrk(ver->valuestring, "\r\n"))) {
        st = llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.anthropic_version: expected a string",
                             cfg->where);
        goto fail;
    }
    if ((st = llmbo_http_url(cfg->json, cfg->where, "ANTHROPIC_BASE_URL", "/v1/messages",
                             "https://api.anthropic.com/v1", "/messages", &s->url, err)) ||
        (st = llmbo_http_api_key(cfg->json, cfg->where, "ANTHROPIC_API_KEY", &s->key, err)) ||
        (st = llmbo_http_extra_headers(cfg->json, cfg->where, &extra, &n_extra, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "thinking_budget", 0, 1000000,
                                 &s->thinking_budget, err)) ||
        (st = llmbo_json_get_int(cfg->json, cfg->where, "default_max_tokens", 1, 1000000,
                                 &s->max_tokens, err)) ||
        (st = llmbo_json_get_bool(cfg->json, cfg->where, "stream", &s->stream, err)) ||
        (st = llmbo_http_options_parse(cfg->json, cfg->where, &ho, err)))
        goto fail;
    s->model = llmbo_strdup(cfg->model);
    s->http = llmbo_http_create(&ho);
    s->headers = llmbo_calloc((size_t)n_extra + 2, sizeof *s->headers);
    if (!s->model || !s->http || !s->headers ||
        (s->key && add_line(s, "x-api-key", s->key) != LLMBO_OK) ||
        add_line(s, "anthropic-version", ver ? ver->valuestring : "2023-06-01") != LLMBO_OK) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
        goto fail;
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
    anthropic_destroy(s);
    return st;
}

static char *anthropic_body(const anthropic_state *s, const llmbo_chat_request *req)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "model", s->model);
    int max_tokens = req->max_tokens > 0 ? req->max_tokens : s->max_tokens;
    if (s->thinking_budget > 0 && max_tokens <= s->thinking_budget)
        max_tokens = s->thinking_budget + 1024; /* the API requires max_tokens > budget */
    ok = ok && cJSON_AddNumberToObject(o, "max_tokens", max_tokens);
    /* System messages become the top-level "system" field, joined by blank lines. */
    size_t sys_len = 0;
    for (int i = 0; i < req->n_messages; i++)
        if (strcmp(req->messages[i].role, "system") == 0)
            sys_len += strlen(req->messages[i].content) + 2;
    if (ok && sys_len) {
        char *sys = llmbo_malloc(sys_len + 1, 1);
        ok = sys != NULL;
        if (ok) {
            sys[0] = '\0';
            for (int i = 0; i < req->n_messages; i++)
                if (strcmp(req->messages[i].role, "system") == 0) {
                    if (sys[0])
                        strcat(sys, "\n\n");
                    strcat(sys, req->messages[i].content);
                }
            ok = cJSON_AddStringToObject(o, "system", sys) != NULL;
            llmbo_free(sys);
        }
    }
    cJSON *msgs = ok ? cJSON_AddArrayToObject(o, "messages") : NULL;
    ok = ok && msgs;
    for (int i = 0; ok && i < req->n_messages; i++) {
        if (strcmp(req->messages[i].role, "system") == 0)
            continue;
        cJSON *m = cJSON_CreateObject();
        ok = m && cJSON_AddItemToArray(msgs, m) &&
             cJSON_AddStringToObject(m, "role", req->messages[i].role) &&
             cJSON_AddStringToObject(m, "content", req->messages[i].content);
    }
    /* With extended thinking the API accepts neither temperature nor top_p. */
    if (ok && req->temperature >= 0 && s->thinking_budget == 0)
        ok = cJSON_AddNumberToObject(o, "temperature", req->temperature) != NULL;
    if (ok && req->top_p >= 0 && s->thinking_budget == 0)
        ok = cJSON_AddNumberToObject(o, "top_p", req->top_p) != NULL;
    if (ok && req->n_stop > 0) {
        cJSON *stop = cJSON_AddArrayToObject(o, "stop_sequences");
        ok = stop != NULL;
        for (int i = 0; ok && i < req->n_stop; i++) {
            cJSON *x = cJSON_CreateString(req->stop[i]);
            ok = x && cJSON_AddItemToArray(stop, x);
        }
    }
    if (ok && s->thinking_budget > 0) {
        cJSON *t = cJSON_AddObjectToObject(o, "thinking");
        ok = t && cJSON_AddStringToObject(t, "type", "enabled") &&
             cJSON_AddNumberToObject(t, "budget_tokens", s->thinking_budget);
    }
    if (ok && s->stream)
        ok = cJSON_AddTrueToObject(o, "stream") != NULL;
    char *body = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return body;
}

/* A usage count: 0 when absent or not a number, saturated when absurd (1e300). */
static long unum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? llmbo_count_from_double(v->valuedouble) : 0;
}

/* Appends the "field" strings of blocks of the given type, separated by newlines. */
static char *join_blocks(const cJSON *content, const char *type, const char *field, int *found)
{
    size_t len = 1;
    const cJSON *b;
    *found = 0;
    cJSON_ArrayForEach(b, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "type");
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(b, field);
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && cJSON_IsString(x)) {
            len += strlen(x->valuestring) + 1;
            (*found)++;
        }
    }
    char *out = llmbo_malloc(len, 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    cJSON_ArrayForEach(b, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "type");
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(b, field);
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && cJSON_IsString(x)) {
            if (out[0])
                strcat(out, "\n");
            strcat(out, x->valuestring);
        }
    }
    return out;
}

static void anthropic_usage(const cJSON *u, llmbo_chat_reply *reply);

llmbo_status llmbo_anthropic_parse(const char *body, llmbo_chat_reply *reply, llmbo_error *err)
{
    cJSON *root = cJSON_Parse(body);
    if (!root)
        return llmbo_error_set(err, LLMBO_ERR_BACKEND,
                               "anthropic: the server's answer is not JSON (starts with \"%.60s\")",
                               body);
    llmbo_status st = LLMBO_OK;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    if (!cJSON_IsArray(content)) {
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "error"), "message");
        st = llmbo_error_set(err, LLMBO_ERR_BACKEND, "anthropic: answer has no content array%s%s",
                             cJSON_IsString(em) ? ": " : "",
                             cJSON_IsString(em) ? em->valuestring : "");
        goto done;
    }
    int n_text, n_think;
    reply->content = join_blocks(content, "text", "text", &n_text);
    char *think = join_blocks(content, "thinking", "thinking", &n_think);
    if (!reply->content || !think) {
        llmbo_free(think);
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "anthropic: out of memory");
        goto done;
    }
    if (n_think)
        reply->reasoning = think;
    else
        llmbo_free(think);
    anthropic_usage(cJSON_GetObjectItemCaseSensitive(root, "usage"), reply);
done:
    cJSON_Delete(root);
    return st;
}

/* One event of a streamed answer. message_start carries the input usage, content blocks arrive
 * as content_block_start (text or thinking) and content_block_delta pieces, message_delta the
 * final usage (output_tokens, cumulative; newer versions repeat the input counts), message_stop
 * ends it, an error event aborts it; ping and event types added later are skipped. */
static llmbo_status anthropic_event(llmbo_chat_stream *cs, const char *event, const cJSON *data,
                                    llmbo_error *err)
{
    if (!cJSON_IsObject(data))
        return llmbo_error_set(err, LLMBO_ERR_BACKEND, "expected a JSON object");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(data, "type");
    const char *type = cJSON_IsString(t) ? t->valuestring : event;
    if (strcmp(type, "error") == 0) {
        const cJSON *em = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(data, "error"), "message");
        return llmbo_error_set(err, LLMBO_ERR_BACKEND, "the server reported an error: %s",
                               cJSON_IsString(em) ? em->valuestring : "(no message)");
    }
    const cJSON *u = NULL;
    if (strcmp(type, "message_start") == 0) {
        u = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(data, "message"),
                                             "usage");
    } else if (strcmp(type, "content_block_start") == 0) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(data, "content_block");
        const cJSON *bt = cJSON_GetObjectItemCaseSensitive(b, "type");
        int text = cJSON_IsString(bt) && strcmp(bt->valuestring, "text") == 0;
        int think = cJSON_IsString(bt) && strcmp(bt->valuestring, "thinking") == 0;
        llmbo_strbuf *dst = text ? &cs->content : think ? &cs->reasoning : NULL;
        const cJSON *x = cJSON_GetObjectItemCaseSensitive(b, text ? "text" : "thinking");
        /* Blocks are joined with newlines, as the non-streamed answer's blocks are. */
        if (dst && dst->len > 0)
            llmbo_strbuf_puts(dst, "\n");
        cs->n_think += think;
        if (dst && cJSON_IsString(x) && x->valuestring[0])
            llmbo_chat_stream_piece(cs, dst, x->valuestring);
    } else if (strcmp(type, "content_block_delta") == 0) {
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(data, "delta");
        const cJSON *dt = cJSON_GetObjectItemCaseSensitive(d, "type");
        const cJSON *x = NULL;
        llmbo_strbuf *dst = NULL;
        if (cJSON_IsString(dt) && strcmp(dt->valuestring, "text_delta") == 0) {
            x = cJSON_GetObjectItemCaseSensitive(d, "text");
            dst = &cs->content;
        } else if (cJSON_IsString(dt) && strcmp(dt->valuestring, "thinking_delta") == 0) {
            x = cJSON_GetObjectItemCaseSensitive(d, "thinking");
            dst = &cs->reasoning;
        }
        if (dst && cJSON_IsString(x) && x->valuestring[0])
            llmbo_chat_stream_piece(cs, dst, x->valuestring);
    } else if (strcmp(type, "message_delta") == 0) {
        u = cJSON_GetObjectItemCaseSensitive(data, "usage");
    } else if (strcmp(type, "message_stop") == 0) {
        cs->done = 1;
    }
    /* Usage counts: later events' values replace earlier ones key by key. */
    if (cJSON_IsObject(u)) {
        if (!cs->usage && !(cs->usage = cJSON_CreateObject()))
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        const cJSON *k;
        cJSON_ArrayForEach(k, u)
        {
            cJSON *v = cJSON_Duplicate(k, 1);
            if (!v)
                return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            cJSON_DeleteItemFromObjectCaseSensitive(cs->usage, k->string);
            if (!cJSON_AddItemToObject(cs->usage, k->string, v)) {
                cJSON_Delete(v);
                return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            }
        }
    }
    return LLMBO_OK;
}

static llmbo_status anthropic_stream_reply(llmbo_chat_stream *cs, llmbo_chat_reply *reply,
                                           llmbo_error *err)
{
    reply->content = llmbo_strdup(cs->content.s ? cs->content.s : "");
    if (cs->n_think)
        reply->reasoning = llmbo_strdup(cs->reasoning.s ? cs->reasoning.s : "");
    if (!reply->content || (cs->n_think && !reply->reasoning))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    anthropic_usage(cs->usage, reply);
    return LLMBO_OK;
}

void llmbo_anthropic_stream_init(llmbo_chat_stream *cs)
{
    llmbo_chat_stream_init(cs, "anthropic", "event: message_stop", anthropic_event,
                           anthropic_stream_reply);
}

/* The usage object of an answer, streamed or not, into reply's token counts. */
static void anthropic_usage(const cJSON *u, llmbo_chat_reply *reply)
{
    long in = unum(u, "input_tokens"), cread = unum(u, "cache_read_input_tokens"),
         cwrite = unum(u, "cache_creation_input_tokens");
    /* input_tokens counts only the uncached part: the prompt is the sum of the three. */
    reply->prompt_tokens = llmbo_count_add(llmbo_count_add(in, cread), cwrite);
    reply->cached_tokens = cread;
    reply->completion_tokens = unum(u, "output_tokens");
}

static llmbo_status anthropic_complete(void *state, const llmbo_chat_request *req,
                                       llmbo_chat_reply *reply, llmbo_error *err)
{
    anthropic_state *s = state;
    memset(reply, 0, sizeof *reply);
    char *body = anthropic_body(s, req);
    if (!body)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM,
                               "anthropic: out of memory building the request");
    if (!s->stream)
        return llmbo_http_chat(s->http, s->url, s->headers, s->n_headers, s->key, body,
                               req->deadline, llmbo_anthropic_parse, NULL, reply, err);
    llmbo_chat_stream cs;
    llmbo_anthropic_stream_init(&cs);
    cs.on_progress = req->on_progress;
    cs.progress_ctx = req->progress_ctx;
    llmbo_status st = llmbo_http_chat(s->http, s->url, s->headers, s->n_headers, s->key, body,
                                      req->deadline, llmbo_anthropic_parse, &cs, reply, err);
    llmbo_chat_stream_free(&cs);
    return st;
}

static llmbo_status anthropic_preflight(void *state, llmbo_error *err)
{
    anthropic_state *s = state;
    return llmbo_http_preflight(s->http, s->url, err);
}

const llmbo_backend_vtbl llmbo_backend_anthropic = {
    LLMBO_BACKEND_VTBL_VERSION, "anthropic",    anthropic_create,   anthropic_complete,
    anthropic_destroy,          anthropic_keys, anthropic_preflight};
