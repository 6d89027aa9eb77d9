/* backends.c: the static table of built-in backends, looked up by name (no runtime registry),
 * the reply destructor, and the batch runner that drives one backend from several threads. */
#include <pthread.h>
#include <string.h>
#include "llmbo_common.h"
#include "backend.h"

extern const llmbo_backend_vtbl llmbo_backend_openai;
extern const llmbo_backend_vtbl llmbo_backend_anthropic;
extern const llmbo_backend_vtbl llmbo_backend_replay;
extern const llmbo_backend_vtbl llmbo_backend_local;

static const llmbo_backend_vtbl *const builtin[] = {
    &llmbo_backend_openai, &llmbo_backend_anthropic, &llmbo_backend_replay,
    &llmbo_backend_local, /* llm/backend_local.c: the in-process engine (llm/engine/) */
};

const llmbo_backend_vtbl *llmbo_backend_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (strcmp(builtin[i]->name, name) == 0)
            return builtin[i];
    return NULL;
}

int llmbo_backend_count(void)
{
    return (int)(sizeof builtin / sizeof builtin[0]);
}

const llmbo_backend_vtbl *llmbo_backend_at(int i)
{
    return i >= 0 && i < llmbo_backend_count() ? builtin[i] : NULL;
}

static int listed(const char *const *keys, const char *k)
{
    for (int i = 0; keys && keys[i]; i++)
        if (strcmp(keys[i], k) == 0)
            return 1;
    return 0;
}

int llmbo_backend_accepts_key(const llmbo_backend_vtbl *vt, const char *key)
{
    if (listed(vt->config_keys, key))
        return strcmp(key, LLMBO_BACKEND_KEYS_OF_ALL) != 0;
    if (!listed(vt->config_keys, LLMBO_BACKEND_KEYS_OF_ALL))
        return 0;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
        if (builtin[i] != vt && listed(builtin[i]->config_keys, key))
            return 1;
    return 0;
}

void llmbo_chat_reply_clear(llmbo_chat_reply *reply)
{
    if (!reply)
        return;
    llmbo_free(reply->content);
    llmbo_free(reply->reasoning);
    memset(reply, 0, sizeof *reply);
}

/* ---- batch ------------------------------------------------------------------------------- */

typedef struct batch {
    const llmbo_backend *b;
    const llmbo_chat_request *reqs;
    llmbo_chat_reply *replies;
    llmbo_status *status;
    llmbo_error *errs;
    int n, next;
    pthread_mutex_t mu;
} batch;

static void *batch_worker(void *arg)
{
    batch *bt = arg;
    for (;;) {
        pthread_mutex_lock(&bt->mu);
        int i = bt->next++;
        pthread_mutex_unlock(&bt->mu);
        if (i >= bt->n)
            return NULL;
        memset(&bt->replies[i], 0, sizeof bt->replies[i]);
        bt->status[i] = bt->b->vt->complete(bt->b->state, &bt->reqs[i], &bt->replies[i],
                                            bt->errs ? &bt->errs[i] : NULL);
    }
}

llmbo_status llmbo_backend_complete_batch(const llmbo_backend *b, const llmbo_chat_request *reqs,
                                          int n, int max_parallel, llmbo_chat_reply *replies,
                                          llmbo_status *status, llmbo_error *errs)
{
    batch bt = {b, reqs, replies, status, errs, n, 0, PTHREAD_MUTEX_INITIALIZER};
    int nt = max_parallel < n ? max_parallel : n;
    if (nt <= 1) {
        batch_worker(&bt);
        return LLMBO_OK;
    }
    pthread_t *th = llmbo_calloc((size_t)nt, sizeof *th);
    if (!th)
        return LLMBO_ERR_NOMEM;
    int started = 0;
    for (; started < nt; started++)
        if (pthread_create(&th[started], NULL, batch_worker, &bt) != 0)
            break;
    if (started == 0)
        batch_worker(&bt); /* no thread could start: do the work here */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    llmbo_free(th);
    pthread_mutex_destroy(&bt.mu);
    return LLMBO_OK;
}
