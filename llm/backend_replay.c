/* backend_replay.c: answers from a cassette recorded by the "record" key (record.c) without any
 * network or cost. Requests are matched by hash of model, messages and parameters; when one
 * request occurs several times (same prompt at several iterations) the recorded answers are
 * given back in their recorded order, the last one repeating once they run out. Recorded
 * transport errors are reproduced as errors, so a replayed run takes the same fallbacks as the
 * recorded one. Cursor updates are under a mutex: complete() is thread-safe. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "backend.h"
#include "llm_impl.h"

typedef struct entry {
    uint64_t hash;
    int line;     /* 1-based line in the cassette */
    cJSON *reply; /* owned: the "reply" object, or NULL for a recorded error */
    llmbo_status err_status;
    char *err_msg;
    cJSON *err_meta; /* owned: the "error" object (seconds, retries, http_status) */
    int used;
} entry;

typedef struct replay_state {
    char *path, *model;
    entry *e; /* (n) in file order */
    int n;
    pthread_mutex_t mu;
} replay_state;

/* Besides its cassette, replay accepts (and ignores) every key the other backends declare, so
 * a recorded config replays by changing "backend" and adding "cassette", nothing else. */
static const char *const replay_keys[] = {"cassette", LLMBO_BACKEND_KEYS_OF_ALL, NULL};

static void replay_destroy(void *state)
{
    replay_state *s = state;
    if (!s)
        return;
    for (int i = 0; i < s->n; i++) {
        cJSON_Delete(s->e[i].reply);
        cJSON_Delete(s->e[i].err_meta);
        llmbo_free(s->e[i].err_msg);
    }
    llmbo_free(s->e);
    llmbo_free(s->path);
    llmbo_free(s->model);
    pthread_mutex_destroy(&s->mu);
    llmbo_free(s);
}

static llmbo_status load(replay_state *s, FILE *f, llmbo_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, cap_e = 0;
    llmbo_status st = LLMBO_OK;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        cJSON *o = cJSON_Parse(line);
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(o, "hash");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reply");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
        char *end = NULL;
        uint64_t hv = cJSON_IsString(h) ? strtoull(h->valuestring, &end, 16) : 0;
        if (!o || !cJSON_IsString(h) || strlen(h->valuestring) != 16 || *end ||
            (!cJSON_IsObject(r) && !cJSON_IsObject(e))) {
            cJSON_Delete(o);
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "replay: cassette %s line %d: expected {\"hash\": 16 hex digits, "
                                 "\"reply\" or \"error\": {...}}",
                                 s->path, lineno);
            break;
        }
        if (s->n == cap_e) {
            int nc = cap_e ? 2 * cap_e : 16;
            entry *ne = llmbo_realloc(s->e, (size_t)nc, sizeof *ne);
            if (!ne) {
                cJSON_Delete(o);
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "replay: out of memory");
                break;
            }
            s->e = ne;
            cap_e = nc;
        }
        entry *en = &s->e[s->n];
        memset(en, 0, sizeof *en);
        en->hash = hv;
        en->line = lineno;
        if (cJSON_IsObject(r)) {
            en->reply = cJSON_DetachItemFromObjectCaseSensitive(o, "reply");
        } else {
            const cJSON *es = cJSON_GetObjectItemCaseSensitive(e, "status");
            const cJSON *em = cJSON_GetObjectItemCaseSensitive(e, "message");
            en->err_status = cJSON_IsNumber(es) && es->valueint > 0 ? (llmbo_status)es->valueint
                                                                    : LLMBO_ERR_HTTP;
            en->err_msg = llmbo_strdup(cJSON_IsString(em) ? em->valuestring : "recorded error");
            en->err_meta = cJSON_DetachItemFromObjectCaseSensitive(o, "error");
        }
        cJSON_Delete(o);
        if ((cJSON_IsObject(r) && !en->reply) || (!cJSON_IsObject(r) && !en->err_msg)) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "replay: out of memory");
            break;
        }
        s->n++;
    }
    free(line); /* getline allocates with malloc */
    return st;
}

static llmbo_status replay_create(const llmbo_backend_config *cfg, void **state, llmbo_error *err)
{
    *state = NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cfg->json, "cassette");
    if (!cJSON_IsString(c) || !c->valuestring[0])
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.cassette: the replay backend needs the path of a cassette "
                               "(written by \"record\")",
                               cfg->where);
    replay_state *s = llmbo_calloc(1, sizeof *s);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
    pthread_mutex_init(&s->mu, NULL);
    s->path = llmbo_strdup(c->valuestring);
    s->model = llmbo_strdup(cfg->model);
    if (!s->path || !s->model) {
        replay_destroy(s);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", cfg->where);
    }
    FILE *f = fopen(s->path, "r");
    if (!f) {
        llmbo_status st =
            llmbo_error_set(err, LLMBO_ERR_IO, "%s.cassette: cannot open %s", cfg->where, s->path);
        replay_destroy(s);
        return st;
    }
    llmbo_status st = load(s, f, err);
    fclose(f);
    if (st) {
        replay_destroy(s);
        return st;
    }
    *state = s;
    return LLMBO_OK;
}

static llmbo_status replay_complete(void *state, const llmbo_chat_request *req,
                                    llmbo_chat_reply *reply, llmbo_error *err)
{
    replay_state *s = state;
    memset(reply, 0, sizeof *reply);
    char hex[17];
    llmbo_status st = llmbo_request_hash(s->model, req, hex, err);
    if (st)
        return st;
    uint64_t h = strtoull(hex, NULL, 16);
    pthread_mutex_lock(&s->mu);
    entry *pick = NULL, *last = NULL;
    for (int i = 0; i < s->n; i++) {
        if (s->e[i].hash != h)
            continue;
        last = &s->e[i];
        if (!s->e[i].used) {
            pick = &s->e[i];
            break;
        }
    }
    if (!pick)
        pick = last;
    if (pick)
        pick->used = 1;
    pthread_mutex_unlock(&s->mu);
    if (!pick)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND,
                               "replay: no recorded answer for request hash %s (cassette %s has "
                               "%d entr%s)",
                               hex, s->path, s->n, s->n == 1 ? "y" : "ies");
    if (!pick->reply) {
        /* The failed call's time and retries, so a replayed run accounts what the original
         * spent; "content" is absent, which llmbo_reply_from_json rejects, so read directly. */
        const cJSON *m = pick->err_meta;
        const cJSON *sec = cJSON_GetObjectItemCaseSensitive(m, "seconds");
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive(m, "retries");
        const cJSON *hs = cJSON_GetObjectItemCaseSensitive(m, "http_status");
        /* A cassette may be edited by hand: no negative or infinite time reaches the cost. */
        reply->seconds =
            cJSON_IsNumber(sec) && isfinite(sec->valuedouble) ? fmax(sec->valuedouble, 0) : 0;
        reply->retries = cJSON_IsNumber(ret) && ret->valueint > 0 ? ret->valueint : 0;
        reply->http_status = cJSON_IsNumber(hs) && hs->valueint > 0 ? hs->valueint : 0;
        return llmbo_error_set(err, pick->err_status, "replay (recorded error, %s line %d): %s",
                               s->path, pick->line, pick->err_msg);
    }
    st = llmbo_reply_from_json(pick->reply, reply, err);
    if (st)
        llmbo_error_prefix(err, "replay: cassette %s line %d", s->path, pick->line);
    return st;
}

const llmbo_backend_vtbl llmbo_backend_replay = {LLMBO_BACKEND_VTBL_VERSION,
                                                 "replay",
                                                 replay_create,
                                                 replay_complete,
                                                 replay_destroy,
                                                 replay_keys,
                                                 NULL};
