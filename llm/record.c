/* record.c: canonical form and hash of a chat request, and cassettes (JSON Lines of request/
 * answer pairs) that the replay backend answers from. The hash covers what determines an
 * answer — model, messages and sampling parameters — and not the server's address, so a
 * cassette recorded against one server replays anywhere. cJSON prints a given tree the same way
 * every time, which makes its unformatted output a canonical form. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "utf8.h"
#include "llm_impl.h"
#include "json.h"

uint64_t llmbo_fnv1a64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL; /* FNV 64 prime */
    }
    return h;
}

static const char *kind_name(llmbo_answer_kind k)
{
    return k == LLMBO_ANSWER_POINTS ? "points" : k == LLMBO_ANSWER_RANKING ? "ranking" : "free";
}

static cJSON *add_num_or_null(cJSON *o, const char *key, int set, double v)
{
    return set ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key);
}

cJSON *llmbo_request_canonical(const char *model, const llmbo_chat_request *req)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "model", model ? model : "") != NULL;
    cJSON *msgs = cJSON_AddArrayToObject(o, "messages");
    ok = ok && msgs;
    for (int i = 0; ok && i < req->n_messages; i++) {
        cJSON *m = cJSON_CreateObject();
        ok = m && cJSON_AddItemToArray(msgs, m) &&
             cJSON_AddStringToObject(m, "role", req->messages[i].role) &&
             cJSON_AddStringToObject(m, "content", req->messages[i].content);
    }
    ok = ok && add_num_or_null(o, "temperature", req->temperature >= 0, req->temperature) &&
         add_num_or_null(o, "top_p", req->top_p >= 0, req->top_p) &&
         add_num_or_null(o, "max_tokens", req->max_tokens > 0, req->max_tokens) &&
         add_num_or_null(o, "seed", req->seed >= 0, (double)req->seed);
    if (ok) {
        cJSON *stop = cJSON_AddArrayToObject(o, "stop");
        ok = stop != NULL;
        for (int i = 0; ok && i < req->n_stop; i++) {
            cJSON *s = cJSON_CreateString(req->stop[i]);
            ok = s && cJSON_AddItemToArray(stop, s);
        }
    }
    if (ok) {
        cJSON *f = cJSON_AddObjectToObject(o, "format");
        const llmbo_answer_format *fm = req->format;
        ok = f && cJSON_AddStringToObject(f, "kind", kind_name(fm ? fm->kind : LLMBO_ANSWER_FREE));
        if (ok && fm && fm->kind == LLMBO_ANSWER_POINTS)
            ok = cJSON_AddNumberToObject(f, "n_points", fm->n_points) != NULL;
        if (ok && fm && fm->kind == LLMBO_ANSWER_RANKING)
            ok = cJSON_AddNumberToObject(f, "n_rank", fm->n_rank) &&
                 cJSON_AddNumberToObject(f, "n_choose", fm->n_choose);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

llmbo_status llmbo_request_hash(const char *model, const llmbo_chat_request *req, char hex[17],
                                llmbo_error *err)
{
    cJSON *c = llmbo_request_canonical(model, req);
    char *s = c ? cJSON_PrintUnformatted(c) : NULL;
    cJSON_Delete(c);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "request hash: out of memory");
    snprintf(hex, 17, "%016llx", (unsigned long long)llmbo_fnv1a64(s, strlen(s)));
    cJSON_free(s);
    return LLMBO_OK;
}

cJSON *llmbo_reply_to_json(const llmbo_chat_reply *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok = cJSON_AddStringToObject(o, "content", r->content ? r->content : "") &&
             (r->reasoning ? cJSON_AddStringToObject(o, "reasoning", r->reasoning)
                           : cJSON_AddNullToObject(o, "reasoning")) &&
             cJSON_AddNumberToObject(o, "prompt_tokens", (double)r->prompt_tokens) &&
             cJSON_AddNumberToObject(o, "completion_tokens", (double)r->completion_tokens) &&
             cJSON_AddNumberToObject(o, "reasoning_tokens", (double)r->reasoning_tokens) &&
             cJSON_AddNumberToObject(o, "cached_tokens", (double)r->cached_tokens) &&
             llmbo_json_add_number(o, "seconds", r->seconds) &&
             llmbo_json_add_number(o, "cpu_seconds", r->cpu_seconds) &&
             cJSON_AddNumberToObject(o, "retries", r->retries) &&
             cJSON_AddNumberToObject(o, "http_status", r->http_status);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : 0.0;
}

llmbo_status llmbo_reply_from_json(const cJSON *j, llmbo_chat_reply *r, llmbo_error *err)
{
    memset(r, 0, sizeof *r);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "content");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(j, "reasoning");
    if (!cJSON_IsString(c))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "reply has no \"content\" string");
    r->content = llmbo_strdup(c->valuestring);
    r->reasoning = cJSON_IsString(rs) ? llmbo_strdup(rs->valuestring) : NULL;
    if (!r->content || (cJSON_IsString(rs) && !r->reasoning)) {
        llmbo_chat_reply_clear(r);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "reply: out of memory");
    }
    /* A cassette is a file anyone may edit: counts are clamped, never cast out of range. */
    r->prompt_tokens = llmbo_count_from_double(num(j, "prompt_tokens"));
    r->completion_tokens = llmbo_count_from_double(num(j, "completion_tokens"));
    r->reasoning_tokens = llmbo_count_from_double(num(j, "reasoning_tokens"));
    r->cached_tokens = llmbo_count_from_double(num(j, "cached_tokens"));
    r->seconds = fmax(num(j, "seconds"), 0.0);
    r->cpu_seconds = fmax(num(j, "cpu_seconds"), 0.0);
    long retries = llmbo_count_from_double(num(j, "retries"));
    r->retries = retries > INT_MAX ? INT_MAX : (int)retries;
    long status = llmbo_count_from_double(num(j, "http_status"));
    r->http_status = status > 999 ? 0 : (int)status;
    return LLMBO_OK;
}

/* ---- recorder ---------------------------------------------------------------------------- */

struct llmbo_recorder {
    FILE *f;
    char *path;
    pthread_mutex_t mu;
};

llmbo_status llmbo_recorder_open(const char *path, llmbo_recorder **out, llmbo_error *err)
{
    *out = NULL;
    llmbo_recorder *r = llmbo_calloc(1, sizeof *r);
    if (!r || !(r->path = llmbo_strdup(path))) {
        llmbo_free(r);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "record: out of memory");
    }
    r->f = fopen(path, "a");
    if (!r->f) {
        llmbo_free(r->path);
        llmbo_free(r);
        return llmbo_error_set(err, LLMBO_ERR_IO, "record: cannot open cassette %s for appending",
                               path);
    }
    pthread_mutex_init(&r->mu, NULL);
    *out = r;
    return LLMBO_OK;
}

llmbo_status llmbo_recorder_write(llmbo_recorder *rec, const char *model,
                                  const llmbo_chat_request *req, const llmbo_chat_reply *reply,
                                  llmbo_status st, const llmbo_error *call_err, llmbo_error *err)
{
    char hex[17];
    llmbo_status s = llmbo_request_hash(model, req, hex, err);
    if (s)
        return s;
    cJSON *o = cJSON_CreateObject();
    int ok = o && cJSON_AddStringToObject(o, "hash", hex) &&
             cJSON_AddStringToObject(o, "model", model ? model : "");
    cJSON *canon = ok ? llmbo_request_canonical(model, req) : NULL;
    ok = ok && canon && cJSON_AddItemToObject(o, "request", canon);
    if (!ok)
        cJSON_Delete(canon);
    if (ok && st == LLMBO_OK) {
        cJSON *rj = llmbo_reply_to_json(reply);
        ok = rj && cJSON_AddItemToObject(o, "reply", rj);
        if (!ok)
            cJSON_Delete(rj);
    } else if (ok) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        ok = e && cJSON_AddNumberToObject(e, "status", st) &&
             cJSON_AddStringToObject(e, "message", call_err ? call_err->msg : llmbo_strerror(st)) &&
             llmbo_json_add_number(e, "seconds", reply ? reply->seconds : 0) &&
             cJSON_AddNumberToObject(e, "retries", reply ? reply->retries : 0) &&
             cJSON_AddNumberToObject(e, "http_status", reply ? reply->http_status : 0);
    }
    /* Strict JSON readers reject invalid UTF-8: an answer's stray bytes are kept as \xNN. */
    ok = ok && llmbo_json_escape_utf8(o) == 0;
    char *line = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (!line)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "record: out of memory");
    pthread_mutex_lock(&rec->mu);
    int bad = fprintf(rec->f, "%s\n", line) < 0 || fflush(rec->f) != 0;
    pthread_mutex_unlock(&rec->mu);
    cJSON_free(line);
    if (bad)
        return llmbo_error_set(err, LLMBO_ERR_IO, "record: writing cassette %s failed", rec->path);
    return LLMBO_OK;
}

void llmbo_recorder_close(llmbo_recorder *rec)
{
    if (!rec)
        return;
    fclose(rec->f);
    pthread_mutex_destroy(&rec->mu);
    llmbo_free(rec->path);
    llmbo_free(rec);
}
