/* backend.h: the one small interface every advisor backend implements (OpenAI-compatible HTTP,
 * Anthropic, replay, the local engine). A versioned table of function pointers plus an instance;
 * built-ins are looked up by name in a static table (backends.c). A new backend is one .c file
 * plus one table line. */
#ifndef LLMBO_BACKEND_H
#define LLMBO_BACKEND_H

#include <cJSON.h>
#include "llmbo.h"

#define LLMBO_BACKEND_VTBL_VERSION 2

typedef struct llmbo_chat_message {
    const char *role; /* "system", "user", "assistant" */
    const char *content;
} llmbo_chat_message;

/* Constraint on the answer, for backends that can enforce it (response_format, or the local
 * engine's constrained decoding). */
typedef enum llmbo_answer_kind {
    LLMBO_ANSWER_FREE = 0,
    LLMBO_ANSWER_POINTS = 1, /* {"points": [{name: number, ...}, ...]} with n_points points */
    LLMBO_ANSWER_RANKING = 2 /* {"ranking": [i, j, ...]} with indices in 0..n_rank-1 */
} llmbo_answer_kind;

typedef struct llmbo_answer_format {
    llmbo_answer_kind kind;
    const llmbo_space *space; /* POINTS: names and bounds of each coordinate */
    int n_points;             /* POINTS: how many points */
    int n_rank;               /* RANKING: number of candidates */
    int n_choose;             /* RANKING: how many indices to return */
} llmbo_answer_format;

typedef struct llmbo_chat_request {
    const llmbo_chat_message *messages;
    int n_messages;
    double temperature; /* < 0: backend default */
    double top_p;       /* < 0: backend default */
    int max_tokens;     /* <= 0: backend default */
    long seed;          /* < 0: none */
    const char *const *stop;
    int n_stop;
    const llmbo_answer_format *format; /* may be NULL */
    double deadline; /* llmbo_now() time by which the call must end, retries and waits
                      * included (the advisor's per-advice deadline); 0: none */
    /* A streaming backend calls this (may be NULL) with the count of text pieces received so
     * far in the current attempt, as they arrive, from the calling thread. */
    void (*on_progress)(void *ctx, long pieces);
    void *progress_ctx;
    /* 0: none. Otherwise mixed into a local sampler's seed (the advisor passes the run's seed
     * here), so runs with different seeds sample different answers to the same prompt. Not sent
     * to servers and not in the request hash: a server's sampling is the server's. */
    uint64_t salt;
} llmbo_chat_request;

typedef struct llmbo_chat_reply {
    char *content;   /* owned by the reply: the answer text (reasoning removed if separate) */
    char *reasoning; /* owned: separate reasoning text (e.g. reasoning_content), or NULL */
    long prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens;
    double seconds;     /* wall time of the call including retries */
    double cpu_seconds; /* local backends */
    int retries;
    int http_status; /* last HTTP status (0 for non-HTTP backends) */
} llmbo_chat_reply;

void llmbo_chat_reply_clear(llmbo_chat_reply *reply); /* frees owned strings, zeroes */

/* Backend configuration: the advisor config object minus the advisor-level keys. */
typedef struct llmbo_backend_config {
    const cJSON *json;   /* the "advisor" object from the config */
    const char *where;   /* "run.json: advisor" for error messages */
    const char *model;   /* model name */
    const char *run_dir; /* run directory or NULL */
} llmbo_backend_config;

typedef struct llmbo_backend_vtbl {
    int version;      /* LLMBO_BACKEND_VTBL_VERSION; members are only appended */
    const char *name; /* "openai", "anthropic", "local", "replay" */
    llmbo_status (*create)(const llmbo_backend_config *cfg, void **state, llmbo_error *err);
    llmbo_status (*complete)(void *state, const llmbo_chat_request *req, llmbo_chat_reply *reply,
                             llmbo_error *err);
    void (*destroy)(void *state);
    /* Appended in version 1, may be NULL: NULL-terminated list of the advisor-object keys this
     * backend reads itself (e.g. "base_url"), so the advisor can reject every other unknown
     * key with its key path. The entry LLMBO_BACKEND_KEYS_OF_ALL also accepts every key another
     * built-in backend declares (replay: a recorded config replays by changing "backend"). */
    const char *const *config_keys;
    /* Appended in version 2, may be NULL: a cheap check that the backend can be reached (for
     * HTTP, a TCP/TLS connection to the server, no request and no tokens), run once before the
     * first evaluation. LLMBO_ERR_HTTP / LLMBO_ERR_TIMEOUT say why not. */
    llmbo_status (*preflight)(void *state, llmbo_error *err);
} llmbo_backend_vtbl;

typedef struct llmbo_backend {
    const llmbo_backend_vtbl *vt;
    void *state;
} llmbo_backend;

/* Looks a built-in backend up by name; NULL if unknown. */
const llmbo_backend_vtbl *llmbo_backend_find(const char *name);
/* A config_keys entry: the keys every built-in backend declares are accepted too. */
#define LLMBO_BACKEND_KEYS_OF_ALL "*"
/* 1 if key is an advisor-object key that vt reads, by its own list or by the union of every
 * built-in backend's lists when vt's list holds LLMBO_BACKEND_KEYS_OF_ALL. */
int llmbo_backend_accepts_key(const llmbo_backend_vtbl *vt, const char *key);

/* Built-in backends by index (0 <= i < llmbo_backend_count()), for listings and messages. */
int llmbo_backend_count(void);
const llmbo_backend_vtbl *llmbo_backend_at(int i);

/* Runs n independent requests on one backend with at most max_parallel threads (<= 1: one after
 * the other in the caller's thread). replies (n) and status (n) are filled per request; errs (n)
 * may be NULL. Requires a thread-safe backend: every built-in one is (see docs/advisor.md).
 * Returns LLMBO_ERR_NOMEM if the threads could not be set up, else LLMBO_OK (look at status). */
llmbo_status llmbo_backend_complete_batch(const llmbo_backend *b, const llmbo_chat_request *reqs,
                                          int n, int max_parallel, llmbo_chat_reply *replies,
                                          llmbo_status *status, llmbo_error *errs);

#endif
