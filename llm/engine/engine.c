/* engine.c: the transformer forward pass of the local engine, llama2.c-style: one file, read top
 * to bottom — thread pool, weights, buffers, kernels, the layer loop. What differs between
 * architectures is a row of the table in arch.c (biases, QK-norm per head or over the whole
 * projection, MoE and the top-k renormalisation), read here, never tested by name:
 *   qwen2     dense, q/k/v biases;                      RoPE NEOX layout
 *   qwen3     dense, RMS QK-norm per head (head_dim from attention.key_length)
 *   qwen3moe  qwen3 attention, MoE: softmax router, top-k, weights renormalised to sum 1
 *   olmoe     RMS QK-norm over the whole q / k projection, MoE without renormalisation
 *   llama     RoPE on adjacent pairs; Mixtral-style experts when the file has them
 *   granitemoe  llama attention, MoE, Granite's embedding/residual/attention/logit multipliers
 *   deepseek2 multi-head latent attention with a compressed cache (latent + rotary key part),
 *             leading dense layers, shared experts, softmax or sigmoid routing with groups, YaRN
 * Activations are float32; quantised weights meet activations quantised to int8 blocks. Shapes
 * are written (tokens, features) row-major; T is the number of tokens in the current batch. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine.h"
#include "quant.h"
#include "tokenizer.h"
#include "llmbo_common.h"

/* ----------------------------------------------------------------------------------------------
 * Thread pool: n-1 persistent workers plus the caller. A job is a function and a number of
 * chunks; every thread that is running claims chunks one at a time from a shared counter until
 * none are left, and the caller returns when all chunks are finished. Claiming (rather than a
 * fixed share per thread) keeps a job moving when a worker is late to wake or descheduled on a
 * shared machine: the threads that run take its chunks, and a forward pass issues a few hundred
 * jobs per token. A chunk's result never depends on which thread ran it (a thread index is only
 * used to pick scratch memory), so results do not depend on the thread count or timing.
 *
 * A job's chunks are cut into one contiguous range per thread, in thread order. Each thread
 * claims from its own range first and then from the others' (the next thread's first), so when
 * all run each reads one stretch of the weights (a stream the prefetchers follow across chunks)
 * and only the end of a job is shared out. A range's counter holds (job sequence << 24) | next
 * chunk. A claim is a compare-and-swap on it, so a thread that read a finished job's word cannot
 * claim a chunk of the next one; the job's function, argument and chunk count sit in a slot of a
 * small ring indexed by the sequence, which the caller writes only for a newer job than any a
 * claim can succeed on. Workers spin briefly between jobs, then sleep on a condition variable
 * (woken only when one sleeps).
 * -------------------------------------------------------------------------------------------- */

typedef void (*pool_fn)(void *arg, long chunk, int ith);

#define POOL_CHUNK_BITS 24
#define POOL_MAX_CHUNKS ((1L << POOL_CHUNK_BITS) - 1)
#define POOL_SLOTS      4

typedef struct pool_slot {
    _Atomic(pool_fn) fn;
    _Atomic(void *) arg;
    atomic_long n;
} pool_slot;

typedef struct pool {
    int n;
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t seq;        /* the caller's latest job */
    atomic_long done;    /* chunks finished of the current job */
    atomic_int sleepers; /* workers waiting on cv */
    atomic_int stop;
    long jobs, handoffs, chunks; /* counters (llmbo_engine_pool_stats), the caller's only */
    atomic_long worker_chunks;   /* chunks run by the workers */
    pool_slot slot[POOL_SLOTS];
    struct pool_arg {
        /* thread ith's range of the current job: (sequence << POOL_CHUNK_BITS) | next chunk */
        _Atomic uint64_t work;
        char pad[56]; /* the counters on separate cache lines */
        struct pool *p;
        int ith;
    } * args;
} pool;

static void cpu_relax(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_ia32_pause();
#endif
}

/* The first chunk of thread j's range of a job of n chunks. */
static long pool_home(const pool *p, long n, int j)
{
    return n * j / p->n;
}

/* Claims and runs chunks of job `seq` until it has none left or a newer job has started: thread
 * ith's own range first, then the others' in turn. */
static void pool_claim(pool *p, uint64_t seq, int ith)
{
    const pool_slot *s = &p->slot[seq % POOL_SLOTS];
    for (int k = 0; k < p->n; k++) {
        int j = (ith + k) % p->n;
        _Atomic uint64_t *ctr = &p->args[j].work;
        uint64_t w = atomic_load_explicit(ctr, memory_order_acquire);
        for (;;) {
            if (w >> POOL_CHUNK_BITS != seq)
                break;
            long c = (long)(w & POOL_MAX_CHUNKS);
            pool_fn fn = atomic_load_explicit(&s->fn, memory_order_relaxed);
            void *arg = atomic_load_explicit(&s->arg, memory_order_relaxed);
            if (c >= pool_home(p, atomic_load_explicit(&s->n, memory_order_relaxed), j + 1))
                break;
            /* Success means the word was still (seq, c): job seq is current and its slot
             * intact. */
            if (atomic_compare_exchange_weak_explicit(ctr, &w, w + 1, memory_order_acq_rel,
                                                      memory_order_acquire)) {
                fn(arg, c, ith);
                if (ith > 0) /* counted before `done`, which the caller reads after the job */
                    atomic_fetch_add_explicit(&p->worker_chunks, 1, memory_order_relaxed);
                atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
                w = atomic_load_explicit(ctr, memory_order_acquire);
            }
        }
    }
}

static void *pool_worker(void *v)
{
    struct pool_arg *a = v;
    pool *p = a->p;
    uint64_t seen = 0;
    for (;;) {
        int spins = 0;
        uint64_t seq;
        while ((seq = atomic_load(&a->work) >> POOL_CHUNK_BITS) == seen && !atomic_load(&p->stop) &&
               spins < 4000) {
            cpu_relax();
            spins++;
        }
        if (seq == seen && !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            atomic_fetch_add(&p->sleepers, 1);
            while ((seq = atomic_load(&a->work) >> POOL_CHUNK_BITS) == seen &&
                   !atomic_load(&p->stop))
                pthread_cond_wait(&p->cv, &p->mu);
            atomic_fetch_sub(&p->sleepers, 1);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop))
            return NULL;
        seen = seq;
        pool_claim(p, seq, a->ith);
    }
}

/* Runs fn(arg, c, ith) for every chunk c in [0, n_chunks) on the pool's threads (ith is the
 * running thread's index, 0 the caller) and returns when all have finished. */
static void pool_run(pool *p, pool_fn fn, void *arg, long n_chunks)
{
    p->jobs++;
    if (p->n == 1 || n_chunks <= 1) {
        for (long c = 0; c < n_chunks; c++)
            fn(arg, c, 0);
        return;
    }
    p->handoffs++;
    p->chunks += n_chunks;
    uint64_t seq = ++p->seq;
    pool_slot *s = &p->slot[seq % POOL_SLOTS];
    atomic_store_explicit(&s->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&s->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&s->n, n_chunks, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    for (int j = p->n - 1; j >= 0; j--) /* seq_cst: ordered before the next load */
        atomic_store(&p->args[j].work,
                     seq << POOL_CHUNK_BITS | (uint64_t)pool_home(p, n_chunks, j));
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    pool_claim(p, seq, 0);
    /* Only chunks other threads are running remain. Spin briefly, then yield: on an
     * oversubscribed machine a spinning waiter would steal the core the other thread needs. */
    for (int spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < n_chunks; spins++) {
        if (spins < 2000)
            cpu_relax();
        else
            sched_yield();
    }
}

static void pool_stop(pool *p)
{
    if (!p->th)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        if (p->args[i].p)
            pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    llmbo_free(p->th);
    llmbo_free(p->args);
    p->th = NULL;
}

static llmbo_status pool_start(pool *p, int n, llmbo_error *err)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->worker_chunks, 0);
    for (int i = 0; i < POOL_SLOTS; i++) {
        atomic_init(&p->slot[i].fn, NULL);
        atomic_init(&p->slot[i].arg, NULL);
        atomic_init(&p->slot[i].n, 0);
    }
    if (n == 1)
        return LLMBO_OK;
    p->th = llmbo_calloc((size_t)n, sizeof *p->th);
    p->args = llmbo_calloc((size_t)n, sizeof *p->args);
    if (!p->th || !p->args) {
        llmbo_free(p->th);
        llmbo_free(p->args);
        p->th = NULL;
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory for the thread pool");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < n; i++)
        atomic_init(&p->args[i].work, 0);
    for (int i = 1; i < n; i++) {
        p->args[i].ith = i;
        p->args[i].p = p;
        if (pthread_create(&p->th[i], NULL, pool_worker, &p->args[i]) != 0) {
            p->args[i].p = NULL;
            pool_stop(p);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "cannot start worker thread %d", i);
        }
    }
    return LLMBO_OK;
}

/* ----------------------------------------------------------------------------------------------
 * Weights
 * -------------------------------------------------------------------------------------------- */

/* A weight matrix (rows outputs x cols inputs), optionally a stack of n_mat experts. */
typedef struct wmat {
    const uint8_t *data;
    llmbo_ttype type;
    int rows, cols, n_mat;
    size_t row_bytes, mat_bytes;
    size_t mat_stride; /* bytes from one matrix of the stack to the next (mat_bytes or more: the
                        * copy interleaves a MoE layer's experts, llmbo_gguf_copy_grouped) */
    const llmbo_gguf_tensor *src; /* the whole tensor it is (load_mat), NULL for a part of one */
    int packed; /* rows rewritten in groups of LLMBO_PACK_ROWS (pack_weights; quant.h) */
} wmat;

typedef struct layer {
    const float *attn_norm;       /* (n_embd), NULL without pre-norms (OLMo 2) */
    wmat wq, wk, wv, wo;          /* (n_head*hd, n_embd), (kv_dim, n_embd) x2, (n_embd, q_dim) */
    const float *bq, *bk, *bv;    /* q, k, v biases (qwen2; any row's file may have them) or NULL */
    const float *q_norm, *k_norm; /* qwen3: (hd); olmoe: (q_dim), (kv_dim); else NULL */
    const float *ffn_norm;        /* (n_embd), NULL without pre-norms */
    wmat gate, up, down;          /* dense FFN: (n_ff, n_embd) x2, (n_embd, n_ff) */
    wmat router;                  /* (n_expert, n_embd) */
    wmat gate_exps, up_exps, down_exps; /* (n_expert) x (n_ff_exp, n_embd) / (n_embd, n_ff_exp) */
    wmat gate_sh, up_sh, down_sh;       /* shared expert, data NULL if absent */
    wmat gate_inp_sh;                   /* (1, n_embd) sigmoid gate of the shared expert or NULL */
    int n_ff_sh;
    int attn_forms, ffn_forms; /* activation forms the attention and FFN inputs are read in */
    int dense;                 /* dense FFN (a dense model, or a MoE model's leading layers) */
    const float *exp_bias;     /* (n_expert) expert-selection bias (DeepSeek-V3) or NULL */
    int swa;                   /* Gemma 2/3, Olmo 3: a sliding-window layer */
    int nope;                  /* SmolLM3: a layer without RoPE */
    const float *attn_post_norm, *ffn_post_norm; /* Gemma 2/3, OLMo 2: block output norms */
    /* gpt-oss: attn_output's bias (n_embd), the sinks (n_head), the router's bias (n_expert), the
     * experts' biases (n_expert x n_ff_exp for gate and up, n_expert x n_embd for down) */
    const float *bo, *sinks, *router_b, *gate_exps_b, *up_exps_b, *down_exps_b;
    /* MLA (deepseek2); wq is the plain q projection when q_lora_rank is 0 */
    wmat wq_a, wq_b;        /* (q_lora, n_embd), (q_dim, q_lora) */
    const float *q_a_norm;  /* (q_lora) */
    wmat wkv_a;             /* (kv_lora + n_rot, n_embd): latent c_kv and the rotary key part */
    const float *kv_a_norm; /* (kv_lora) */
    wmat wk_b;              /* n_head x (kv_lora, n_nope): q_nope -> latent space (absorbed) */
    wmat wv_b;              /* n_head x (v_dim, kv_lora): attended latent -> value head */
} layer;

/* The activation forms a quantised-weight product reads (bit 1: blocks of 32, bit 2: blocks of
 * 256), so a row is quantised only into the forms its consumers take. */
#define ACT_A 1
#define ACT_K 2

static int act_forms(const wmat *w)
{
    if (!w->data || !llmbo_ttype_quantised(w->type))
        return 0;
    return llmbo_ttype_act(w->type) == LLMBO_ACT_Q8K ? ACT_K : ACT_A;
}

/* Quantised copies of (T, cols) float rows in both activation forms: a (T, cols/32) blocks of 32,
 * k (T, cols/256) blocks of 256 (filled when cols is a multiple of 256); a weight type reads the
 * one llmbo_ttype_act names. */
typedef struct qrows {
    llmbo_q8a *a;
    llmbo_q8k *k;
} qrows;

/* Room for n rows of up to cols elements in both forms (NULL members when out of memory). */
static qrows qrows_alloc(size_t n, int cols)
{
    qrows q = {llmbo_malloc(n * (size_t)(cols / LLMBO_QK + 1), sizeof(llmbo_q8a)),
               llmbo_malloc(n * (size_t)(cols / LLMBO_QK_K + 1), sizeof(llmbo_q8k))};
    if (!q.a || !q.k) {
        llmbo_free(q.a);
        llmbo_free(q.k);
        q.a = NULL, q.k = NULL;
    }
    return q;
}

/* Matrix products: a job is a list of items, each out (T, rows) = in (T, cols) . W^T for one
 * (possibly expert-indexed) matrix. The rows of all items are split into equal contiguous ranges,
 * one per thread; each weight row is read once and met with every token of the batch. */
typedef struct mm_item {
    const wmat *w;
    int mat; /* expert index for stacked weights */
    int T;
    const float *xf; /* (T, cols) float input (float weight types) */
    qrows xq;        /* quantised input (quantised types; .a NULL otherwise) */
    float *out;      /* (T, out_stride) */
    int out_stride;
} mm_item;

struct llmbo_engine {
    llmbo_gguf *gguf;
    llmbo_tokenizer *tok;
    llmbo_hparams hp;
    int q_dim, kv_dim, o_dim, n_ctx, n_batch, max_in; /* o_dim: attn_output's input width */
    wmat tok_embd, output;
    const float *output_norm;
    const float *rope_freqs; /* (n_rot / 2) frequency divisors (Llama 3.1, Phi-3's LongRoPE) or
                                NULL */
    layer *layers;
    pool pool;
    int fine; /* llmbo_engine_options.fine_chunks */

    /* KV cache: (n_layer, n_head_kv, n_ctx, head_dim) each (kv_head_rows). MLA caches the normed
     * latent c_kv and the rotated key part, (n_layer, n_ctx, kv_lora + n_rot), in k_cache and has
     * no v_cache. */
    float *k_cache, *v_cache;
    float *rope_cos, *rope_sin;         /* (n_ctx, n_rot/2) */
    float *rope_cos_swa, *rope_sin_swa; /* the sliding layers' tables (Gemma 2/3) or NULL */
    int32_t *cache_tok;                 /* (n_ctx) token ids held in the cache */
    int n_cached, last_processed;

    /* Activations for a batch of up to n_batch tokens (B = n_batch). */
    float *x;          /* (B, n_embd) residual stream */
    float *xb;         /* (B, max_in) normed input of a matmul */
    qrows xq;          /* xb quantised (B rows of max_in) */
    float *q, *k, *v;  /* (B, q_dim), (B, kv_dim), (B, kv_dim) */
    float *att_out;    /* (B, o_dim) */
    float *mla_qn;     /* MLA: (n_head, B, n_nope) q_nope gathered per head */
    float *mla_qabs;   /* (n_head, B, kv_lora) q_nope absorbed into the latent space */
    float *mla_olat;   /* (n_head, B, kv_lora) attention output in the latent space */
    float *mla_qa;     /* (B, q_lora) q's bottleneck */
    qrows mla_q8;      /* (n_head, B) rows of max(kv_lora, n_nope): quantised copies of the above */
    float *router_sel; /* (n_expert) selection scores of one token */
    mm_item *items;    /* (max_items) matmul items: one per head (MLA), two per expert (MoE) */
    long *mm_first;    /* (max_items + 1) a matmul's first chunk of each item */
    int *mm_rows_per;  /* (max_items) its rows per chunk of each item */
    int n_packed;      /* weight matrices packed in groups of rows (pack_weights) */
    int pf_how;        /* packed decode's prefetch: 0 kept, 1 measured, 2 LLMBO_PREFETCH */
    double pf_sec[2];  /* choose_prefetch: best pass with prefetch off, on (seconds) */
    size_t pf_bytes;   /* the bytes each pass read */
    uint8_t *embd_row; /* (tok_embd.row_bytes) a packed token_embd row in the file's layout */
    float *att;        /* (n_threads, att_stride) attention scores and a tile's queries, outputs */
    float *hb, *hb2;   /* (B, max_ff) or (S, n_ff_exp) FFN hidden */
    float *ffn_out;    /* (B, n_embd) */
    float *router;     /* (B, n_expert) */
    int *sel;          /* (B, n_expert_used) selected experts */
    float *sel_w;      /* (B, n_expert_used) their weights */
    /* MoE slots (a token's K expert assignments, numbered by expert, then token): S = B * K */
    int *ex_tok;   /* (S) the slot's token */
    float *ex_w;   /* (S) its router weight */
    int *ex_slot;  /* (B, K) a token's slots */
    int *ex_first; /* (n_expert + 1) an expert's first slot */
    int *ex_next;  /* (n_expert + 1) slot counters while filling */
    float *ex_x;   /* (S, n_embd) gathered float inputs, then the down outputs */
    qrows ex_xq;   /* S rows of max_in: gathered inputs, then the down inputs */
    float *logits; /* (n_vocab) */
    float *trace;  /* caller's (n_layer, n_embd) or NULL */
};

/* ----------------------------------------------------------------------------------------------
 * Loading
 * -------------------------------------------------------------------------------------------- */

static llmbo_status find_tensor(const llmbo_gguf *g, const char *name, int optional,
                                const llmbo_gguf_tensor **out, llmbo_error *err)
{
    *out = llmbo_gguf_find_tensor(g, name);
    if (!*out && !optional)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "tensor '%s' missing", name);
    return LLMBO_OK;
}

/* A matrix of shape (cols, rows[, n_mat]) in GGUF order (ne[0] = cols). */
static llmbo_status load_mat(const llmbo_gguf *g, const char *name, int optional, int cols,
                             int rows, int n_mat, wmat *w, llmbo_error *err)
{
    const llmbo_gguf_tensor *t;
    llmbo_status st = find_tensor(g, name, optional, &t, err);
    memset(w, 0, sizeof *w);
    if (st || !t)
        return st;
    int want_dims = n_mat > 1 ? 3 : 2;
    if (t->ne[0] != (uint64_t)cols || (rows > 0 && t->ne[1] != (uint64_t)rows) ||
        t->ne[2] != (uint64_t)n_mat || t->ne[3] != 1 || t->n_dims > want_dims)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tensor '%s' has shape [%llu, %llu, %llu], expected [%d, %d, %d]",
                               name, (unsigned long long)t->ne[0], (unsigned long long)t->ne[1],
                               (unsigned long long)t->ne[2], cols, rows, n_mat);
    if (t->ne[1] > INT32_MAX)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "tensor '%s' is too large", name);
    if (llmbo_ttype_quantised(t->type) && cols % LLMBO_QK)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "tensor '%s': row length %d", name, cols);
    w->data = t->data;
    w->type = t->type;
    w->cols = cols;
    w->rows = (int)t->ne[1];
    w->n_mat = n_mat;
    w->row_bytes = llmbo_row_bytes(t->type, (size_t)cols);
    w->mat_bytes = w->row_bytes * (size_t)w->rows;
    w->mat_stride = n_mat > 1 ? (size_t)t->mat_stride : w->mat_bytes;
    if (w->mat_stride < w->mat_bytes) /* gguf.c sets it; a check, not an expected failure */
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "tensor '%s': matrix stride %zu < %zu", name,
                               w->mat_stride, w->mat_bytes);
    w->src = t;
    return LLMBO_OK;
}

/* Rows [r0, r0 + n) of a one-matrix weight, as a weight of its own (fused tensors: Phi-3's
 * attn_qkv and ffn_up). */
static wmat mat_rows(const wmat *w, int r0, int n)
{
    wmat v = *w;
    v.data = w->data + (size_t)r0 * w->row_bytes;
    v.src = NULL;
    v.rows = n;
    v.mat_bytes = w->row_bytes * (size_t)n;
    v.mat_stride = v.mat_bytes;
    return v;
}

/* An F32 tensor of m rows of n elements (m 1: a vector). */
static llmbo_status load_f32(const llmbo_gguf *g, const char *name, int optional, int n, int m,
                             const float **v, llmbo_error *err)
{
    const llmbo_gguf_tensor *t;
    llmbo_status st = find_tensor(g, name, optional, &t, err);
    *v = NULL;
    if (st || !t)
        return st;
    if (t->type != LLMBO_T_F32 || t->ne[0] != (uint64_t)n || t->ne[1] != (uint64_t)m ||
        t->ne[2] != 1 || t->ne[3] != 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "tensor '%s' must be F32 [%d, %d] (is %s [%llu, %llu, %llu])", name,
                               n, m, llmbo_ttype_name(t->type), (unsigned long long)t->ne[0],
                               (unsigned long long)t->ne[1], (unsigned long long)t->ne[2]);
    *v = t->data;
    return LLMBO_OK;
}

static llmbo_status load_vec(const llmbo_gguf *g, const char *name, int optional, int n,
                             const float **v, llmbo_error *err)
{
    return load_f32(g, name, optional, n, 1, v, err);
}

static llmbo_status get_int(const llmbo_gguf *g, const char *arch, const char *key, int optional,
                            int def, int *v, llmbo_error *err)
{
    char full[128];
    uint64_t u;
    snprintf(full, sizeof full, "%s.%s", arch, key);
    llmbo_status st = llmbo_gguf_get_u64(g, full, &u, err);
    if (st == LLMBO_ERR_NOT_FOUND && optional) {
        llmbo_error_clear(err);
        *v = def;
        return LLMBO_OK;
    }
    if (st)
        return st;
    if (u > (1u << 30))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "metadata '%s' = %llu is out of range", full,
                               (unsigned long long)u);
    *v = (int)u;
    return LLMBO_OK;
}

/* A float key arch.key: def when absent; a present value must be finite and in (0, 1e6] (a
 * multiplier of 0 or 1e30 would silently zero or overflow every activation). */
static llmbo_status get_scale(const llmbo_gguf *g, const char *arch, const char *key, int optional,
                              double def, double *v, llmbo_error *err)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    *v = def;
    if (!llmbo_gguf_find_kv(g, full)) {
        if (optional)
            return LLMBO_OK;
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "metadata '%s' missing", full);
    }
    llmbo_status st = llmbo_gguf_get_f64(g, full, v, err);
    if (st)
        return st;
    if (!(*v > 0 && *v <= 1e6))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "metadata '%s' = %g is out of range (0, 1e6]",
                               full, *v);
    return LLMBO_OK;
}

/* Every width a tensor shape is checked against, and every product of header values, must be
 * computed without overflow: a header saying head_count = 2^28 + 2 once made n_head * head_dim
 * wrap in int to the real tensor width, passed every shape check and overran the attention
 * buffers. Products are formed in 64 bits and bounded by LLMBO_MAX_DIM, far above any real
 * model (the largest vocabularies have ~2^18 tokens) and low enough that every index the forward
 * pass forms (batch x width, heads x batch) fits its type. */
#define LLMBO_MAX_DIM   (1 << 24)
#define LLMBO_MAX_CTX   (1 << 24)
#define LLMBO_MAX_BATCH 4096
#define LLMBO_PI        3.14159265358979323846

static llmbo_status check_dims(const llmbo_hparams *hp, llmbo_error *err)
{
    const struct {
        const char *what;
        int64_t v;
    } dims[] = {
        {"embedding_length", hp->n_embd},
        {"feed_forward_length", hp->n_ff},
        {"expert_feed_forward_length", hp->n_ff_exp},
        {"expert_count", hp->n_expert},
        {"attention.head_count x head size", (int64_t)hp->n_head * hp->head_dim},
        {"attention.head_count_kv x head size", (int64_t)hp->n_head_kv * hp->head_dim},
        {"attention.head_count x value size", (int64_t)hp->n_head * hp->v_dim},
        {"attention.head_count x kv_lora_rank", (int64_t)hp->n_head * hp->kv_lora},
        {"attention.kv_lora_rank + rotary dims", (int64_t)hp->kv_lora + hp->n_rot},
        {"attention.q_lora_rank", hp->q_lora},
    };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i].v > LLMBO_MAX_DIM)
            return llmbo_error_set(
                err, LLMBO_ERR_FORMAT, "metadata %s.%s = %lld exceeds the supported maximum %d",
                hp->arch_name, dims[i].what, (long long)dims[i].v, LLMBO_MAX_DIM);
    return LLMBO_OK;
}

/* A float key arch.key within [lo, hi]: def when absent. */
static llmbo_status get_float(const llmbo_gguf *g, const char *arch, const char *key, double def,
                              double lo, double hi, double *v, llmbo_error *err)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", arch, key);
    *v = def;
    if (!llmbo_gguf_find_kv(g, full))
        return LLMBO_OK;
    llmbo_status st = llmbo_gguf_get_f64(g, full, v, err);
    if (st)
        return st;
    if (!(*v >= lo && *v <= hi))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "metadata '%s' = %g is out of range [%g, %g]",
                               full, *v, lo, hi);
    return LLMBO_OK;
}

/* Multi-head latent attention (deepseek2). The file describes the latent as one MQA head
 * (head_count_kv 1, key_length = kv_lora_rank + rotary dims, value_length = kv_lora_rank) and the
 * per-head sizes after expansion in key_length_mla / value_length_mla; files converted before
 * attn_kv_b was split into attn_k_b / attn_v_b have no key_length_mla. */
static llmbo_status read_mla(const llmbo_gguf *g, llmbo_hparams *hp, llmbo_error *err)
{
    const char *n = hp->arch_name;
    int klen, vlen, kmla, vmla;
    char key[128];
    snprintf(key, sizeof key, "%s.attention.key_length_mla", n);
    if (!llmbo_gguf_find_kv(g, key))
        return llmbo_error_set(
            err, LLMBO_ERR_UNSUPPORTED,
            "metadata '%s' missing: a deepseek2 file from before llama.cpp split "
            "attn_kv_b into attn_k_b / attn_v_b is not supported (convert again)",
            key);
    llmbo_status st;
    if ((st = get_int(g, n, "attention.kv_lora_rank", 0, 0, &hp->kv_lora, err)) ||
        (st = get_int(g, n, "attention.q_lora_rank", 1, 0, &hp->q_lora, err)) ||
        (st = get_int(g, n, "rope.dimension_count", 0, 0, &hp->n_rot, err)) ||
        (st = get_int(g, n, "attention.key_length_mla", 0, 0, &kmla, err)) ||
        (st = get_int(g, n, "attention.value_length_mla", 0, 0, &vmla, err)) ||
        (st = get_int(g, n, "attention.key_length", 1, hp->kv_lora + hp->n_rot, &klen, err)) ||
        (st = get_int(g, n, "attention.value_length", 1, hp->kv_lora, &vlen, err)))
        return st;
    if (hp->n_head_kv != 1 || hp->kv_lora < 1 || hp->n_rot < 2 || hp->n_rot % 2 ||
        kmla <= hp->n_rot || vmla < 1 || (int64_t)klen != (int64_t)hp->kv_lora + hp->n_rot ||
        vlen != hp->kv_lora)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "inconsistent %s attention sizes: head_count_kv %d (must be 1), "
                               "kv_lora_rank %d, rope.dimension_count %d (even, >= 2), "
                               "key_length_mla %d (> rotary dims), value_length_mla %d, "
                               "key_length %d (must be kv_lora_rank + rotary dims), value_length "
                               "%d (must be kv_lora_rank)",
                               n, hp->n_head_kv, hp->kv_lora, hp->n_rot, kmla, vmla, klen, vlen);
    hp->head_dim = kmla;
    hp->v_dim = vmla;
    return LLMBO_OK;
}

/* The MoE keys beyond expert_count / expert_used_count (DeepSeek's; absent in the other rows'
 * files, where the defaults reproduce their routing). */
static llmbo_status read_moe_extras(const llmbo_gguf *g, llmbo_hparams *hp, llmbo_error *err)
{
    const char *n = hp->arch_name;
    llmbo_status st;
    if ((st = get_int(g, n, "leading_dense_block_count", 1, 0, &hp->n_dense_lead, err)) ||
        (st = get_int(g, n, "interleave_moe_layer_step", 1, 1, &hp->moe_step, err)) ||
        (st = get_int(g, n, "expert_shared_count", 1, 0, &hp->n_expert_shared, err)) ||
        (st = get_int(g, n, "expert_gating_func", 1, 1, &hp->gating, err)) ||
        (st = get_int(g, n, "expert_group_count", 1, 0, &hp->n_group, err)) ||
        (st = get_int(g, n, "expert_group_used_count", 1, 0, &hp->n_group_used, err)) ||
        (st = get_float(g, n, "expert_weights_scale", 1.0, 0.0, 1e6, &hp->expert_scale, err)))
        return st;
    if (hp->expert_scale == 0.0) /* llama.cpp: 0 means no scaling */
        hp->expert_scale = 1.0;
    if (hp->gating == 0) /* "none": the files written before the key existed (softmax) */
        hp->gating = 1;
    if (hp->arch->oai) /* llama.cpp's openai-moe graph: the row's, whatever the file says */
        hp->gating = 3;
    else if (hp->gating != 1 && hp->gating != 2)
        return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                               "%s.expert_gating_func %d not supported (1 softmax, 2 sigmoid are)",
                               n, hp->gating);
    if (hp->n_dense_lead > hp->n_layer)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s.leading_dense_block_count %d exceeds block_count %d", n,
                               hp->n_dense_lead, hp->n_layer);
    if (hp->n_dense_lead > 0 && hp->n_ff < 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s has %d leading dense layers but no feed_forward_length", n,
                               hp->n_dense_lead);
    if (hp->moe_step < 1 || hp->moe_step > hp->n_layer)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s.interleave_moe_layer_step %d is outside 1..block_count (%d)", n,
                               hp->moe_step, hp->n_layer);
    if (hp->moe_step > 1 && hp->n_ff < 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s has dense layers between its MoE layers "
                               "(interleave_moe_layer_step %d) but no feed_forward_length",
                               n, hp->moe_step);
    if ((int64_t)hp->n_ff_exp * hp->n_expert_shared > LLMBO_MAX_DIM)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s: %d shared experts of width %d exceed the supported maximum", n,
                               hp->n_expert_shared, hp->n_ff_exp);
    if (hp->n_group > 1) {
        int per = hp->n_expert / hp->n_group;
        if (hp->n_expert % hp->n_group || per < 2 || hp->n_group_used < 1 ||
            hp->n_group_used > hp->n_group || (int64_t)hp->n_group_used * per < hp->n_expert_used)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "inconsistent expert groups: %d experts in %d groups, %d groups "
                                   "used, %d experts used",
                                   hp->n_expert, hp->n_group, hp->n_group_used, hp->n_expert_used);
    }
    return LLMBO_OK;
}

/* YaRN's magnitude factor for a context extension by `scale` (DeepSeek's yarn_get_mscale). */
static double yarn_mscale(double scale, double m)
{
    return scale <= 1.0 ? 1.0 : 0.1 * m * log(scale) + 1.0;
}

/* RoPE scaling (rope.scaling.*) as llama.cpp d32676d applies it: type none, linear (frequencies
 * times 1/factor) or yarn (Peng et al. 2023, "YaRN", eq. 17-19: per-dimension ramp between
 * interpolation and extrapolation over the correction dimensions of beta_fast 32 / beta_slow 1,
 * cos and sin times 1 + 0.1 ln factor). deepseek2 moves YaRN's magnitude into the softmax scale
 * (mscale^2 / sqrt(key head size), mscale = 1 + 0.1 mscale_all_dim ln factor, stored as
 * yarn_log_multiplier = 0.1 mscale_all_dim) and leaves cos and sin unscaled. */
static llmbo_status read_rope_scaling(const llmbo_gguf *g, llmbo_hparams *hp, llmbo_error *err)
{
    const char *n = hp->arch_name;
    char key[128];
    llmbo_status st;
    double factor, log_mul = 0.0, attn_factor;
    hp->rope_fs = hp->rope_mscale = 1.0;
    hp->rope_yarn = 0;
    hp->yarn_orig_ctx = hp->n_ctx_train;
    snprintf(key, sizeof key, "%s.rope.scaling.type", n);
    const llmbo_gguf_kv *kt = llmbo_gguf_find_kv(g, key);
    int type = 1; /* llama.cpp's default: linear (with factor 1 unless the file says) */
    if (kt) {
        llmbo_gguf_str ts;
        if ((st = llmbo_gguf_get_str(g, key, &ts, err)))
            return st;
        type = llmbo_gguf_str_eq(ts, "none")     ? 0
               : llmbo_gguf_str_eq(ts, "linear") ? 1
               : llmbo_gguf_str_eq(ts, "yarn")   ? 2
                                                 : -1;
        if (type < 0)
            return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                   "%s = '%.*s' not supported (none, linear, yarn are)", key,
                                   (int)(ts.n > 32 ? 32 : ts.n), ts.p);
    }
    if ((st = get_float(g, n, "rope.scaling.factor", 0.0, 0.0, 1e4, &factor, err)) ||
        (st = get_float(g, n, "rope.scaling.attn_factor", 1.0, 1e-3, 1e3, &attn_factor, err)) ||
        (st = get_int(g, n, "rope.scaling.original_context_length", 1, hp->n_ctx_train,
                      &hp->yarn_orig_ctx, err)))
        return st;
    if (factor == 0.0)
        factor = 1.0;
    if (factor < 1.0 || hp->yarn_orig_ctx < 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s.rope.scaling.factor %g (must be >= 1) or "
                               "original_context_length %d invalid",
                               n, factor, hp->yarn_orig_ctx);
    if (hp->arch->mla &&
        (st = get_float(g, n, "rope.scaling.yarn_log_multiplier", 0.0, 0.0, 10.0, &log_mul, err)))
        return st;
    log_mul /= 0.1; /* the converter stores 0.1 * mscale_all_dim */
    if (type == 0)
        factor = 1.0;
    hp->rope_fs = 1.0 / factor;
    hp->rope_yarn = type == 2;
    double lnf = log(factor), af = 1.0;
    if (hp->rope_yarn) {
        if (log_mul != 0.0)
            af = yarn_mscale(factor, hp->arch->mla && log_mul != 1.0 ? log_mul : 1.0) /
                 yarn_mscale(factor, log_mul);
        else
            af = yarn_mscale(factor, 1.0);
        af /= 1.0 + 0.1 * lnf;
    }
    af *= attn_factor;
    hp->rope_mscale = af * (hp->rope_yarn ? 1.0 + 0.1 * lnf : 1.0);
    if (hp->arch->mla) {
        double m = af * (1.0 + 0.1 * lnf) * (1.0 + 0.1 * log_mul * lnf);
        hp->att_scale = m * m / sqrt((double)hp->head_dim);
    }
    return LLMBO_OK;
}

static llmbo_status read_hparams(const llmbo_gguf *g, llmbo_hparams *hp, llmbo_error *err)
{
    llmbo_gguf_str a;
    llmbo_status st = llmbo_gguf_get_str(g, "general.architecture", &a, err);
    if (st)
        return st;
    hp->arch = llmbo_arch_find(a.p, a.n);
    if (!hp->arch) {
        char names[256];
        return llmbo_error_set(
            err, LLMBO_ERR_UNSUPPORTED, "architecture '%.*s' not supported (%s are)",
            (int)(a.n > 64 ? 64 : a.n), a.p, llmbo_arch_list(names, sizeof names));
    }
    snprintf(hp->arch_name, sizeof hp->arch_name, "%s", hp->arch->name);
    const char *n = hp->arch_name;
    int moe = hp->arch->moe == 1;
    if (hp->arch->moe == 2) {
        char key[128];
        snprintf(key, sizeof key, "%s.expert_count", n);
        const llmbo_gguf_kv *kx = llmbo_gguf_find_kv(g, key);
        moe = kx && kx->i > 0;
    }
    if ((st = get_int(g, n, "embedding_length", 0, 0, &hp->n_embd, err)) ||
        (st = get_int(g, n, "block_count", 0, 0, &hp->n_layer, err)) ||
        (st = get_int(g, n, "attention.head_count", 0, 0, &hp->n_head, err)) ||
        (st = get_int(g, n, "attention.head_count_kv", 1, hp->n_head, &hp->n_head_kv, err)) ||
        (st = get_int(g, n, "feed_forward_length", moe, 0, &hp->n_ff, err)) ||
        (st = get_int(g, n, "context_length", 1, 4096, &hp->n_ctx_train, err)) ||
        (st = get_int(g, n, "nextn_predict_layers", 1, 0, &hp->n_nextn, err)))
        return st;
    /* multi-token-prediction layers come last in block_count and are not run (as llama.cpp) */
    if (hp->n_nextn >= hp->n_layer)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "%s.nextn_predict_layers %d invalid (0 to "
                               "block_count - 1 = %d)",
                               n, hp->n_nextn, hp->n_layer - 1);
    hp->n_layer -= hp->n_nextn;
    if (hp->n_ctx_train < 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "metadata '%s.context_length' = 0: a model's context holds at least "
                               "one token",
                               n);
    if (hp->n_head < 1 || hp->n_head_kv < 1 || hp->n_head % hp->n_head_kv || hp->n_embd < 1 ||
        hp->n_layer < 1)
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "inconsistent sizes: n_embd %d, n_layer %d, n_head %d, n_head_kv %d",
                               hp->n_embd, hp->n_layer, hp->n_head, hp->n_head_kv);
    if (hp->arch->mla) {
        if ((st = read_mla(g, hp, err)))
            return st;
    } else {
        if ((st = get_int(g, n, "attention.key_length", 1, hp->n_embd / hp->n_head, &hp->head_dim,
                          err)))
            return st;
        int vlen;
        if ((st = get_int(g, n, "attention.value_length", 1, hp->head_dim, &vlen, err)))
            return st;
        int rope_dims;
        if ((st = get_int(g, n, "rope.dimension_count", 1, hp->head_dim, &rope_dims, err)))
            return st;
        /* M-RoPE (the vision-language GLM-4.1V / Qwen2-VL layouts): position sections */
        char key[128];
        snprintf(key, sizeof key, "%s.rope.dimension_sections", n);
        const llmbo_gguf_kv *ks = llmbo_gguf_find_kv(g, key);
        if (ks && ks->type == LLMBO_GGUF_ARRAY && ks->arr_type != LLMBO_GGUF_STRING &&
            ks->arr_type != LLMBO_GGUF_ARRAY) {
            int nonzero = 0;
            for (uint64_t i = 0; i < ks->arr_n && i < 4; i++)
                nonzero |= llmbo_gguf_arr_int(g, ks, i) != 0;
            if (nonzero)
                return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                       "%s: multi-section RoPE (M-RoPE, vision-language models) "
                                       "is not supported",
                                       key);
        }
        if (vlen != hp->head_dim || hp->head_dim < 2 || hp->head_dim % 2)
            return llmbo_error_set(
                err, LLMBO_ERR_UNSUPPORTED,
                "head sizes key %d / value %d not supported (must be equal, even)", hp->head_dim,
                vlen);
        /* partial rotary embeddings (Phi-4-mini: 96 of 128): the first rope_dims of each head */
        if (rope_dims < 2 || rope_dims % 2 || rope_dims > hp->head_dim)
            return llmbo_error_set(
                err, LLMBO_ERR_FORMAT,
                "%s.rope.dimension_count %d invalid (even, 2 to the head size %d)", n, rope_dims,
                hp->head_dim);
        hp->v_dim = hp->head_dim;
        hp->n_rot = rope_dims;
    }
    if (moe) {
        if ((st = get_int(g, n, "expert_count", 0, 0, &hp->n_expert, err)) ||
            (st = get_int(g, n, "expert_used_count", 0, 0, &hp->n_expert_used, err)) ||
            (st = get_int(g, n, "expert_feed_forward_length", 1, hp->n_ff, &hp->n_ff_exp, err)))
            return st;
        if (hp->n_expert < 1 || hp->n_expert_used < 1 || hp->n_expert_used > hp->n_expert ||
            hp->n_ff_exp < 1)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                   "inconsistent MoE sizes: %d experts, %d used, ff %d",
                                   hp->n_expert, hp->n_expert_used, hp->n_ff_exp);
        if ((st = read_moe_extras(g, hp, err)))
            return st;
    }
    /* The row says whether the top-k router weights are renormalised (qwen3moe yes, olmoe no); a
     * file may say otherwise through expert_weights_norm. */
    hp->norm_topk = hp->arch->norm_topk;
    char key[128];
    snprintf(key, sizeof key, "%s.expert_weights_norm", n);
    const llmbo_gguf_kv *kvn = llmbo_gguf_find_kv(g, key);
    if (kvn && kvn->type == LLMBO_GGUF_BOOL)
        hp->norm_topk = kvn->u != 0;
    snprintf(key, sizeof key, "%s.rope.freq_base", n);
    hp->rope_base = hp->arch->rope_base;
    if (llmbo_gguf_find_kv(g, key) && (st = llmbo_gguf_get_f64(g, key, &hp->rope_base, err)))
        return st;
    snprintf(key, sizeof key, "%s.attention.layer_norm_rms_epsilon", n);
    hp->norm_eps = hp->arch->norm_eps;
    if (llmbo_gguf_find_kv(g, key) && (st = llmbo_gguf_get_f64(g, key, &hp->norm_eps, err)))
        return st;
    if (!(hp->rope_base > 0) || !(hp->norm_eps >= 0))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "invalid rope.freq_base or norm epsilon");
    if (hp->arch->rope_alpha && hp->head_dim > 2) {
        double alpha;
        if ((st = get_float(g, n, "rope.scaling.alpha", 0.0, 0.0, 1e6, &alpha, err)))
            return st;
        if (alpha > 0.0)
            hp->rope_base *= pow(alpha, (double)hp->head_dim / (double)(hp->head_dim - 2));
    }
    hp->embd_scale = hp->resid_scale = hp->logit_scale = 1.0;
    hp->att_scale = 1.0 / sqrt((double)hp->head_dim);
    if ((st = read_rope_scaling(g, hp, err)))
        return st;
    if (hp->arch->multipliers) {
        int on = 1;
        snprintf(key, sizeof key, "%s.rope.scaling.finetuned", n);
        const llmbo_gguf_kv *kf = llmbo_gguf_find_kv(g, key);
        if (kf && kf->type == LLMBO_GGUF_BOOL)
            on = kf->u != 0;
        if (!on) /* Granite's switch for RoPE: off means none at all */
            return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                   "%s = false (attention without RoPE) is not supported", key);
        if ((st = get_scale(g, n, "embedding_scale", 1, 1.0, &hp->embd_scale, err)) ||
            (st = get_scale(g, n, "residual_scale", 1, 1.0, &hp->resid_scale, err)) ||
            (st = get_scale(g, n, "attention.scale", 1, hp->att_scale, &hp->att_scale, err)) ||
            (st = get_scale(g, n, "logit_scale", 0, 1.0, &hp->logit_scale, err)))
            return st;
    }
    /* The sliding window (every swa_period-th layer global), read by the rows that have one,
     * with llama.cpp's defaults: Gemma 2 window 4096 every second layer, Gemma 3 pattern 6,
     * Olmo 3 pattern 4 (no window unless the file says), EXAONE 4 only for the 64-layer 32B,
     * window 4096 and pattern 4 */
    int g2 = hp->arch->gemma == 2, pn = hp->arch->post_norms;
    /* gpt-oss: the window is required (as llama.cpp), every second layer global */
    if (hp->arch->oai &&
        ((st = get_int(g, n, "attention.sliding_window", 0, 0, &hp->n_swa, err)) ||
         (st = get_int(g, n, "attention.sliding_window_pattern", 1, 2, &hp->swa_period, err))))
        return st;
    if ((hp->arch->gemma >= 2 || pn == 1 || (pn == 2 && hp->n_layer + hp->n_nextn == 64)) &&
        ((st = get_int(g, n, "attention.sliding_window", 1, g2 || pn == 2 ? 4096 : 0, &hp->n_swa,
                       err)) ||
         (st = get_int(g, n, "attention.sliding_window_pattern", 1,
                       g2                     ? 2
                       : hp->arch->gemma == 3 ? 6
                                              : 4,
                       &hp->swa_period, err))))
        return st;
    /* The sliding layers' RoPE. Olmo 3 (llama.cpp's olmo2 graph, and Hugging Face's Olmo3): the
     * global base (a rope.freq_base_swa key is not read, as llama.cpp d32676d does not) with
     * neither RoPE scaling nor YaRN's magnitude. EXAONE 4: the global tables (its global layers
     * have no RoPE). Gemma below. */
    hp->rope_base_swa = pn == 1 ? hp->rope_base : 10000.0;
    hp->rope_fs_swa = 1.0;
    hp->rope_mscale_swa = pn == 1 ? 1.0 : hp->rope_mscale;
    if (hp->arch->gemma) {
        /* llama.cpp's gemma2 and gemma3 graphs: embeddings times sqrt(n_embd); q scaled by
         * 1/sqrt(head size), or 1/sqrt(n_embd/n_head) for the 27B models (46 and 62 layers);
         * Gemma 2's sliding layers at the global RoPE, attention scores capped at 50, logits at
         * 30 */
        hp->embd_scale = sqrt((double)hp->n_embd);
        if (hp->arch->gemma >= 2 && hp->n_layer == (g2 ? 46 : 62))
            hp->att_scale = 1.0 / sqrt((double)hp->n_embd / hp->n_head);
        if (g2)
            hp->rope_fs_swa = hp->rope_fs;
        if ((hp->arch->gemma >= 2 &&
             (st = get_float(g, n, "rope.freq_base_swa", g2 ? hp->rope_base : 10000.0, 1e-3, 1e12,
                             &hp->rope_base_swa, err))) ||
            (st = get_float(g, n, "final_logit_softcapping", g2 ? 30.0 : 0.0, 0.0, 1e6,
                            &hp->logit_softcap, err)) ||
            (g2 && (st = get_float(g, n, "attn_logit_softcapping", 50.0, 1e-3, 1e6,
                                   &hp->att_softcap, err))))
            return st;
    }
    return check_dims(hp, err);
}

static llmbo_status load_layer(llmbo_engine *e, int il, llmbo_error *err)
{
    const llmbo_gguf *g = e->gguf;
    const llmbo_hparams *hp = &e->hp;
    layer *L = &e->layers[il];
    char nm[96];
    llmbo_status st;
    int E = hp->n_embd, hd = hp->head_dim;
#define NAME(s) (snprintf(nm, sizeof nm, "blk.%d." s, il), nm)
    /* Biases (and sinks) the row does not apply: refused rather than ignored. gpt-oss applies
     * the first five; no row applies the dense FFN's. */
    static const char *const no_bias[] = {
        "attn_output.bias",   "attn_sinks.weight", "ffn_gate_inp.bias",
        "ffn_gate_exps.bias", "ffn_up_exps.bias",  "ffn_down_exps.bias",
        "ffn_gate.bias",      "ffn_up.bias",       "ffn_down.bias"};
    for (size_t k = hp->arch->oai ? 6 : 0; k < sizeof no_bias / sizeof no_bias[0]; k++) {
        const llmbo_gguf_tensor *tb;
        snprintf(nm, sizeof nm, "blk.%d.%s", il, no_bias[k]);
        if ((st = find_tensor(g, nm, 1, &tb, err)))
            return st;
        if (tb)
            return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                                   "tensor '%s': %s files with this tensor are not supported", nm,
                                   hp->arch->name);
    }
    int pre = hp->arch->post_norms == 0 || hp->arch->post_norms == 3;
    char fnm[96]; /* gpt-oss stores the FFN's pre-norm as post_attention_norm */
    snprintf(fnm, sizeof fnm, "blk.%d.%s", il,
             hp->arch->oai ? "post_attention_norm.weight" : "ffn_norm.weight");
    if ((pre && ((st = load_vec(g, NAME("attn_norm.weight"), 0, E, &L->attn_norm, err)) ||
                 (st = load_vec(g, fnm, 0, E, &L->ffn_norm, err)))) ||
        (st = load_mat(g, NAME("attn_output.weight"), 0, e->o_dim, E, 1, &L->wo, err)))
        return st;
    if (hp->arch->mla) {
        int n_nope = hp->head_dim - hp->n_rot;
        if (hp->q_lora > 0) {
            if ((st = load_mat(g, NAME("attn_q_a.weight"), 0, E, hp->q_lora, 1, &L->wq_a, err)) ||
                (st =
                     load_vec(g, NAME("attn_q_a_norm.weight"), 0, hp->q_lora, &L->q_a_norm, err)) ||
                (st = load_mat(g, NAME("attn_q_b.weight"), 0, hp->q_lora, e->q_dim, 1, &L->wq_b,
                               err)))
                return st;
        } else if ((st = load_mat(g, NAME("attn_q.weight"), 0, E, e->q_dim, 1, &L->wq, err))) {
            return st;
        }
        if ((st = load_mat(g, NAME("attn_kv_a_mqa.weight"), 0, E, e->kv_dim, 1, &L->wkv_a, err)) ||
            (st = load_vec(g, NAME("attn_kv_a_norm.weight"), 0, hp->kv_lora, &L->kv_a_norm, err)) ||
            (st = load_mat(g, NAME("attn_k_b.weight"), 0, n_nope, hp->kv_lora, hp->n_head, &L->wk_b,
                           err)) ||
            (st = load_mat(g, NAME("attn_v_b.weight"), 0, hp->kv_lora, hp->v_dim, hp->n_head,
                           &L->wv_b, err)))
            return st;
    } else {
        /* q, k and v fused in one tensor (Phi-3), else three */
        wmat qkv;
        if ((st = load_mat(g, NAME("attn_qkv.weight"), 1, E, e->q_dim + 2 * e->kv_dim, 1, &qkv,
                           err)))
            return st;
        /* q, k and v biases: required where the row says so, else applied when the file has
         * them (llama.cpp reads them for any architecture with this attention) */
        int opt = !hp->arch->qkv_bias;
        if (qkv.data) {
            const float *b;
            L->wq = mat_rows(&qkv, 0, e->q_dim);
            L->wk = mat_rows(&qkv, e->q_dim, e->kv_dim);
            L->wv = mat_rows(&qkv, e->q_dim + e->kv_dim, e->kv_dim);
            if ((st = load_vec(g, NAME("attn_qkv.bias"), 1, e->q_dim + 2 * e->kv_dim, &b, err)))
                return st;
            if (b) {
                L->bq = b;
                L->bk = b + e->q_dim;
                L->bv = b + e->q_dim + e->kv_dim;
            }
        } else if ((st = load_mat(g, NAME("attn_q.weight"), 0, E, e->q_dim, 1, &L->wq, err)) ||
                   (st = load_mat(g, NAME("attn_k.weight"), 0, E, e->kv_dim, 1, &L->wk, err)) ||
                   (st = load_mat(g, NAME("attn_v.weight"), 0, E, e->kv_dim, 1, &L->wv, err)) ||
                   (st = load_vec(g, NAME("attn_q.bias"), opt, e->q_dim, &L->bq, err)) ||
                   (st = load_vec(g, NAME("attn_k.bias"), opt, e->kv_dim, &L->bk, err)) ||
                   (st = load_vec(g, NAME("attn_v.bias"), opt, e->kv_dim, &L->bv, err))) {
            return st;
        }
    }
    if (hp->arch->qk_norm != LLMBO_QK_NORM_NONE) {
        int full = hp->arch->qk_norm == LLMBO_QK_NORM_FULL;
        if ((st = load_vec(g, NAME("attn_q_norm.weight"), 0, full ? e->q_dim : hd, &L->q_norm,
                           err)) ||
            (st = load_vec(g, NAME("attn_k_norm.weight"), 0, full ? e->kv_dim : hd, &L->k_norm,
                           err)))
            return st;
    }
    if (hp->arch->gemma >= 2 || hp->arch->post_norms) {
        /* every swa_period-th layer is global (llama.cpp's set_swa_pattern; 0: all slide) */
        L->swa = hp->n_swa > 0 && (hp->swa_period == 0 || il % hp->swa_period < hp->swa_period - 1);
        if ((st = load_vec(g, NAME("post_attention_norm.weight"), 0, E, &L->attn_post_norm, err)) ||
            (st = load_vec(g, NAME("post_ffw_norm.weight"), 0, E, &L->ffn_post_norm, err)))
            return st;
    }
    if (hp->arch->oai) {
        int X = hp->n_expert, F = hp->n_ff_exp;
        L->swa = hp->swa_period == 0 || il % hp->swa_period < hp->swa_period - 1;
        if ((st = load_vec(g, NAME("attn_output.bias"), 0, E, &L->bo, err)) ||
            (st = load_vec(g, NAME("attn_sinks.weight"), 0, hp->n_head, &L->sinks, err)) ||
            (st = load_vec(g, NAME("ffn_gate_inp.bias"), 0, X, &L->router_b, err)) ||
            (st = load_f32(g, NAME("ffn_gate_exps.bias"), 0, F, X, &L->gate_exps_b, err)) ||
            (st = load_f32(g, NAME("ffn_up_exps.bias"), 0, F, X, &L->up_exps_b, err)) ||
            (st = load_f32(g, NAME("ffn_down_exps.bias"), 0, E, X, &L->down_exps_b, err)))
            return st;
    }
    /* no RoPE: SmolLM3's every nope_step-th layer, EXAONE 4 32B's global layers */
    L->nope = hp->arch->post_norms == 2
                  ? hp->n_swa > 0 && !L->swa
                  : hp->arch->nope_step > 0 && (il + 1) % hp->arch->nope_step == 0;
    L->dense = hp->n_expert == 0 || il < hp->n_dense_lead ||
               (hp->moe_step > 1 && (il + 1) % hp->moe_step != 0);
    if (L->dense && hp->arch->fused_up) {
        wmat gu;
        if ((st = load_mat(g, NAME("ffn_up.weight"), 0, E, 2 * hp->n_ff, 1, &gu, err)) ||
            (st = load_mat(g, NAME("ffn_down.weight"), 0, hp->n_ff, E, 1, &L->down, err)))
            return st;
        L->gate = mat_rows(&gu, 0, hp->n_ff);
        L->up = mat_rows(&gu, hp->n_ff, hp->n_ff);
    } else if (L->dense) {
        if ((st = load_mat(g, NAME("ffn_gate.weight"), 0, E, hp->n_ff, 1, &L->gate, err)) ||
            (st = load_mat(g, NAME("ffn_up.weight"), 0, E, hp->n_ff, 1, &L->up, err)) ||
            (st = load_mat(g, NAME("ffn_down.weight"), 0, hp->n_ff, E, 1, &L->down, err)))
            return st;
    } else {
        int X = hp->n_expert, F = hp->n_ff_exp;
        if ((st = load_mat(g, NAME("ffn_gate_inp.weight"), 0, E, X, 1, &L->router, err)) ||
            (st = load_mat(g, NAME("ffn_gate_exps.weight"), 0, E, F, X, &L->gate_exps, err)) ||
            (st = load_mat(g, NAME("ffn_up_exps.weight"), 0, E, F, X, &L->up_exps, err)) ||
            (st = load_mat(g, NAME("ffn_down_exps.weight"), 0, F, E, X, &L->down_exps, err)))
            return st;
        /* Shared expert: n_expert_shared of width n_ff_exp when the file counts them, else
         * optional with its width from the tensor. */
        int sh = hp->n_expert_shared > 0;
        if ((st = load_mat(g, NAME("ffn_gate_shexp.weight"), !sh, E,
                           sh ? F * hp->n_expert_shared : 0, 1, &L->gate_sh, err)) ||
            (st = load_vec(g, NAME("exp_probs_b.bias"), 1, X, &L->exp_bias, err)))
            return st;
        if (L->gate_sh.data) {
            L->n_ff_sh = L->gate_sh.rows;
            if ((st = load_mat(g, NAME("ffn_up_shexp.weight"), 0, E, L->n_ff_sh, 1, &L->up_sh,
                               err)) ||
                (st = load_mat(g, NAME("ffn_down_shexp.weight"), 0, L->n_ff_sh, E, 1, &L->down_sh,
                               err)) ||
                (st = load_mat(g, NAME("ffn_gate_inp_shexp.weight"), 1, E, 1, 1, &L->gate_inp_sh,
                               err)))
                return st;
        }
    }
#undef NAME
    L->attn_forms = act_forms(&L->wq) | act_forms(&L->wk) | act_forms(&L->wv) |
                    act_forms(&L->wq_a) | act_forms(&L->wkv_a);
    L->ffn_forms = act_forms(&L->gate) | act_forms(&L->up) | act_forms(&L->router) |
                   act_forms(&L->gate_exps) | act_forms(&L->up_exps) | act_forms(&L->gate_sh) |
                   act_forms(&L->up_sh);
    return LLMBO_OK;
}

void llmbo_engine_options_default(llmbo_engine_options *opt)
{
    opt->n_ctx = 0;
    opt->n_threads = 0;
    opt->n_batch = 0;
    opt->fine_chunks = 0;
}

static void rope_tables(llmbo_engine *e);

/* Attention's tile: the query rows (token x head of one KV head's group) scored and summed
 * together, ATT_QUERIES or one group if larger (att_worker). */
#define ATT_QUERIES 6

static int att_tile_rows(const llmbo_hparams *hp)
{
    int group = hp->n_head / hp->n_head_kv;
    return group > ATT_QUERIES ? group : group * (ATT_QUERIES / group);
}

/* Floats of one thread's attention scratch: a score row of n_ctx per query row of a tile, then the
 * tile's queries and outputs (head_dim each). */
static size_t att_stride(const llmbo_hparams *hp, size_t n_ctx)
{
    size_t rows = (size_t)att_tile_rows(hp);
    return rows * n_ctx + 2 * rows * (size_t)hp->head_dim;
}

static llmbo_status alloc_buffers(llmbo_engine *e, int n_threads, llmbo_error *err)
{
    const llmbo_hparams *hp = &e->hp;
    size_t B = (size_t)e->n_batch, C = (size_t)e->n_ctx, hd2 = (size_t)hp->n_rot / 2;
    size_t H = (size_t)hp->n_head;
    int max_ff = hp->n_ff > hp->n_ff_exp ? hp->n_ff : hp->n_ff_exp;
    for (int il = 0; il < hp->n_layer; il++)
        if (e->layers[il].n_ff_sh > max_ff)
            max_ff = e->layers[il].n_ff_sh;
    e->max_in = hp->n_embd;
    if (e->q_dim > e->max_in)
        e->max_in = e->q_dim;
    if (e->o_dim > e->max_in)
        e->max_in = e->o_dim;
    if (hp->q_lora > e->max_in)
        e->max_in = hp->q_lora;
    if (max_ff > e->max_in)
        e->max_in = max_ff;
    /* n_layer is bounded by the file's tensor count, the widths by LLMBO_MAX_DIM and the context
     * and batch by llmbo_engine_open; the cache size is still checked before it is formed. */
    if (C > SIZE_MAX / (size_t)hp->n_layer / ((size_t)e->kv_dim + 1))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM,
                               "KV cache of %d layers x %d positions x %d "
                               "is too large",
                               hp->n_layer, e->n_ctx, e->kv_dim);
    size_t kv = (size_t)hp->n_layer * C * (size_t)e->kv_dim;
    int X = hp->n_expert ? hp->n_expert : 1, K = hp->n_expert_used ? hp->n_expert_used : 1;
    int mla = hp->arch->mla;
    size_t lat = mla ? (size_t)hp->kv_lora : 0, nope = mla ? (size_t)(hp->head_dim - hp->n_rot) : 0;
    e->k_cache = llmbo_malloc(kv, sizeof(float));
    e->v_cache = mla ? NULL : llmbo_malloc(kv, sizeof(float));
    e->rope_cos = llmbo_malloc(C * hd2, sizeof(float));
    e->rope_sin = llmbo_malloc(C * hd2, sizeof(float));
    /* EXAONE 4 and gpt-oss: the sliding layers with the global tables */
    int swa_tab = hp->n_swa > 0 && hp->arch->post_norms != 2 && !hp->arch->oai;
    if (swa_tab) {
        e->rope_cos_swa = llmbo_malloc(C * hd2, sizeof(float));
        e->rope_sin_swa = llmbo_malloc(C * hd2, sizeof(float));
    }
    e->cache_tok = llmbo_malloc(C, sizeof(int32_t));
    e->x = llmbo_malloc(B * (size_t)hp->n_embd, sizeof(float));
    e->xb = llmbo_malloc(B * (size_t)e->max_in, sizeof(float));
    e->xq = qrows_alloc(B, e->max_in);
    e->q = llmbo_malloc(B * (size_t)e->q_dim, sizeof(float));
    e->k = llmbo_malloc(B * (size_t)e->kv_dim, sizeof(float));
    e->v = llmbo_malloc(B * (size_t)e->kv_dim, sizeof(float));
    e->att_out = llmbo_malloc(B * (size_t)e->o_dim, sizeof(float));
    e->att = llmbo_malloc((size_t)n_threads, att_stride(hp, C) * sizeof(float));
    size_t S = B * (size_t)K, hid = B * (size_t)max_ff;
    if (hp->n_expert && S * (size_t)hp->n_ff_exp > hid)
        hid = S * (size_t)hp->n_ff_exp;
    e->hb = llmbo_malloc(hid, sizeof(float));
    e->hb2 = llmbo_malloc(hid, sizeof(float));
    e->ffn_out = llmbo_malloc(B * (size_t)hp->n_embd, sizeof(float));
    e->router = llmbo_malloc(B * (size_t)X, sizeof(float));
    e->router_sel = llmbo_malloc((size_t)X, sizeof(float));
    e->sel = llmbo_malloc(B * (size_t)K, sizeof(int));
    e->sel_w = llmbo_malloc(B * (size_t)K, sizeof(float));
    e->ex_tok = llmbo_malloc(S, sizeof(int));
    e->ex_w = llmbo_malloc(S, sizeof(float));
    e->ex_slot = llmbo_malloc(S, sizeof(int));
    e->ex_first = llmbo_malloc((size_t)X + 1, sizeof(int));
    e->ex_next = llmbo_malloc((size_t)X + 1, sizeof(int));
    e->ex_x = llmbo_malloc(S * (size_t)hp->n_embd, sizeof(float));
    e->ex_xq = qrows_alloc(S, e->max_in);
    size_t max_items = 2 * (size_t)X + 2 > H ? 2 * (size_t)X + 2 : H;
    e->items = llmbo_malloc(max_items, sizeof *e->items);
    e->mm_first = llmbo_malloc(max_items + 1, sizeof(long));
    e->mm_rows_per = llmbo_malloc(max_items, sizeof(int));
    e->logits = llmbo_malloc((size_t)hp->n_vocab, sizeof(float));
    int mla_ok = 1;
    if (mla) {
        size_t wide = lat > nope ? lat : nope;
        e->mla_qn = llmbo_malloc(H * B * nope, sizeof(float));
        e->mla_qabs = llmbo_malloc(H * B * lat, sizeof(float));
        e->mla_olat = llmbo_malloc(H * B * lat, sizeof(float));
        e->mla_qa = llmbo_malloc(B * (size_t)(hp->q_lora > 0 ? hp->q_lora : 1), sizeof(float));
        e->mla_q8 = qrows_alloc(H * B, wide);
        mla_ok = e->mla_qn && e->mla_qabs && e->mla_olat && e->mla_qa && e->mla_q8.a;
    }
    if (!e->k_cache || (!mla && !e->v_cache) || !e->rope_cos || !e->rope_sin || !e->cache_tok ||
        (swa_tab && (!e->rope_cos_swa || !e->rope_sin_swa)) || !e->x || !e->xb || !e->xq.a ||
        !e->q || !e->k || !e->v || !e->att_out || !e->att || !e->hb || !e->hb2 || !e->ffn_out ||
        !e->router || !e->router_sel || !e->sel || !e->sel_w || !e->ex_tok || !e->ex_w ||
        !e->ex_slot || !e->ex_first || !e->ex_next || !e->ex_x || !e->ex_xq.a || !e->items ||
        !e->mm_first || !e->mm_rows_per || !e->logits || !mla_ok)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM,
                               "out of memory for the KV cache and activations (n_ctx %d)",
                               e->n_ctx);
    rope_tables(e);
    return LLMBO_OK;
}

/* A RoPE table pair (n_ctx, n_rot/2): pair i turns by pos * base^(-2i/n_rot) (over a divisor
 * from freqs: Llama 3.1's rope_freqs, Phi-3's LongRoPE factors), scaled by fs; with YaRN the
 * high-frequency pairs (below the correction dimension of beta_fast = 32 rotations over the
 * original context) keep their unscaled angle and a linear ramp joins them to the interpolated
 * ones (beta_slow = 1); cos and sin carry mscale. */
static void rope_table(const llmbo_engine *e, float *cs, float *sn, double base, double fs,
                       double mscale, const float *freqs, int yarn)
{
    const llmbo_hparams *hp = &e->hp;
    size_t C = (size_t)e->n_ctx, hd2 = (size_t)hp->n_rot / 2;
    double nd = (double)hp->n_rot, lo = 0, hi = 0;
    if (yarn) {
        /* the dimension pair that turns `rot` times over the original context */
        double lb = 2.0 * log(base), oc = (double)hp->yarn_orig_ctx;
        lo = floor(nd * log(oc / (32.0 * 2.0 * LLMBO_PI)) / lb);
        hi = ceil(nd * log(oc / (1.0 * 2.0 * LLMBO_PI)) / lb);
        lo = lo > 0 ? lo : 0;
        hi = hi < nd - 1 ? hi : nd - 1;
    }
    for (size_t i = 0; i < hd2; i++) {
        double inv = pow(base, -2.0 * (double)i / nd), mix = 0.0;
        if (freqs)
            inv /= (double)freqs[i];
        if (yarn) {
            double y = ((double)i - lo) / (hi - lo > 0.001 ? hi - lo : 0.001);
            mix = 1.0 - (y < 0 ? 0 : y > 1 ? 1 : y);
        }
        for (size_t p = 0; p < C; p++) {
            double ext = (double)p * inv, th = fs * ext * (1.0 - mix) + ext * mix;
            cs[p * hd2 + i] = (float)(cos(th) * mscale);
            sn[p * hd2 + i] = (float)(sin(th) * mscale);
        }
    }
}

/* The RoPE tables; Gemma's sliding layers have their own, with their own base and scale
 * (llama.cpp's freq_base_swa and freq_scale_swa: 1 for Gemma 3, the global one for Gemma 2). */
static void rope_tables(llmbo_engine *e)
{
    const llmbo_hparams *hp = &e->hp;
    rope_table(e, e->rope_cos, e->rope_sin, hp->rope_base, hp->rope_fs, hp->rope_mscale,
               e->rope_freqs, hp->rope_yarn);
    if (e->rope_cos_swa)
        rope_table(e, e->rope_cos_swa, e->rope_sin_swa, hp->rope_base_swa, hp->rope_fs_swa,
                   hp->rope_mscale_swa, NULL, 0);
}

/* The item i < n whose chunks [first[i], first[i + 1]) hold chunk c (first ascending). */
static int chunk_owner(const long *first, int n, long c)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (first[mid] <= c)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* One chunk of pack_weights per matrix of a stack (an expert), each thread with its own scratch. */
typedef struct pack_job {
    wmat *const *w;
    int n;
    const long *first; /* (n + 1) the first chunk of each matrix */
    uint8_t *scratch;  /* (threads x scratch_bytes) */
    size_t scratch_bytes;
} pack_job;

static void pack_worker(void *arg, long c, int ith)
{
    const pack_job *j = arg;
    int lo = chunk_owner(j->first, j->n, c);
    const wmat *w = j->w[lo];
    uint8_t *d = (uint8_t *)(uintptr_t)w->data + (size_t)(c - j->first[lo]) * w->mat_stride;
    llmbo_pack_matrix(w->type, d, w->row_bytes, (size_t)w->rows, (size_t)w->cols,
                      j->scratch + (size_t)ith * j->scratch_bytes);
}

/* The weight matrices a packed layout may hold, in the order a token reads them: each layer's,
 * then the output matrix when it is not token_embd, then token_embd. cand holds
 * weight_mats_max(e) pointers (some to matrices without data); returns how many it filled. */
enum { PER_LAYER = 16 };

static size_t weight_mats_max(const llmbo_engine *e)
{
    return (size_t)e->hp.n_layer * PER_LAYER + 2;
}

static size_t weight_mats(llmbo_engine *e, wmat **cand)
{
    size_t n = 0;
    for (int il = 0; il < e->hp.n_layer; il++) {
        layer *L = &e->layers[il];
        wmat *ws[PER_LAYER] = {&L->wq,      &L->wk,        &L->wv,      &L->wo,
                               &L->gate,    &L->up,        &L->down,    &L->gate_exps,
                               &L->up_exps, &L->down_exps, &L->gate_sh, &L->up_sh,
                               &L->down_sh, &L->wq_a,      &L->wq_b,    &L->wkv_a};
        for (int k = 0; k < PER_LAYER; k++)
            cand[n++] = ws[k];
    }
    if (e->output.src != e->tok_embd.src)
        cand[n++] = &e->output;
    cand[n++] = &e->tok_embd; /* the output matrix too when tied (a copy of this wmat) */
    return n;
}

/* Rewrites the weight matrices whose type has a packed layout (llmbo_pack_ok: Q4_K, Q5_K, Q6_K,
 * IQ4_XS, Q8_0) into it, in the copy of the weights (llmbo_gguf_copy_data; the file's mapping is
 * never written), on the engine's threads, unless LLMBO_PACK=0. Whole tensors only: not the parts
 * of fused tensors, not MLA's per-head stacks. A packed matrix is read by llmbo_gemm_packed (matmul
 * keeps its row chunks in whole groups); token_embd's rows are looked up through embd_row (with
 * tied embeddings it is the output matrix too). Returns the number of tensors packed. */
static int pack_weights(llmbo_engine *e)
{
    const char *env = getenv("LLMBO_PACK");
    if (!e->gguf->copy || (env && env[0] == '0'))
        return 0;
    size_t n_cand = weight_mats_max(e), scratch_bytes = 0;
    wmat **cand = llmbo_calloc(n_cand, sizeof *cand);
    long *first = llmbo_calloc(n_cand + 1, sizeof *first);
    e->embd_row = llmbo_malloc(1, e->tok_embd.row_bytes);
    if (!cand || !first || !e->embd_row) {
        llmbo_free(cand);
        llmbo_free(first);
        return 0;
    }
    size_t n = weight_mats(e, cand);
    int keep = 0;
    for (size_t i = 0; i < n; i++) {
        wmat *w = cand[i];
        if (w->data && w->src && llmbo_pack_ok(w->type, (size_t)w->rows, (size_t)w->cols)) {
            first[keep + 1] = first[keep] + w->n_mat;
            cand[keep++] = w;
            if (w->row_bytes > scratch_bytes)
                scratch_bytes = w->row_bytes;
        }
    }
    scratch_bytes *= LLMBO_PACK_SCRATCH_ROWS;
    uint8_t *scratch = keep ? llmbo_malloc((size_t)e->pool.n, scratch_bytes) : NULL;
    int packed = 0;
    if (scratch && llmbo_gguf_copy_writable(e->gguf, 1) == 0) {
        pack_job job = {cand, keep, first, scratch, scratch_bytes};
        pool_run(&e->pool, pack_worker, &job, first[keep]);
        for (int i = 0; i < keep; i++)
            cand[i]->packed = 1;
        packed = keep;
        llmbo_gguf_copy_writable(e->gguf, 0);
        if (e->output.src == e->tok_embd.src) /* tied */
            e->output.packed = e->tok_embd.packed;
    }
    llmbo_free(scratch);
    llmbo_free(first);
    llmbo_free(cand);
    return packed;
}

/* Packed one-token decode's software prefetch (llmbo_quant_set_prefetch), chosen at load by
 * measuring: the packed matrices' first PF_WINDOW bytes, in the order a token reads them, are read
 * as one-token products PF_ROUNDS times with prefetch off and PF_ROUNDS times on, by turns, on the
 * calling thread, and the setting whose best pass was faster is kept. On one host prefetch made
 * decode 30 % faster, on a later one of the same CPU family 1.1-1.6x slower (quant.c, PACK_PF).
 * LLMBO_PREFETCH=0 or 1 sets it instead; with less than PF_MIN bytes packed (the weights mostly
 * fit in the caches: the passes would time the caches, not the memory) the setting is left as it
 * is. The activations are zero blocks: the kernels' work does not depend on the values, and no
 * number the engine computes depends on the setting. */
#define PF_WINDOW ((size_t)96 << 20)
#define PF_MIN    ((size_t)48 << 20)
#define PF_ROUNDS 3

/* Seconds of one pass over the first PF_WINDOW bytes of the n packed matrices w. */
static double prefetch_pass(wmat *const *w, int n, qrows xq, float *out)
{
    double t0 = llmbo_now();
    size_t done = 0;
    for (int i = 0; i < n && done < PF_WINDOW; i++) {
        const void *x =
            llmbo_ttype_act(w[i]->type) == LLMBO_ACT_Q8K ? (const void *)xq.k : (const void *)xq.a;
        for (int m = 0; m < w[i]->n_mat && done < PF_WINDOW; m++, done += w[i]->mat_bytes)
            llmbo_gemm_packed(w[i]->type, w[i]->data + (size_t)m * w[i]->mat_stride,
                              w[i]->row_bytes, (size_t)w[i]->rows, x, 1, (size_t)w[i]->cols, out,
                              0);
    }
    return llmbo_now() - t0;
}

static void choose_prefetch(llmbo_engine *e)
{
    const char *env = getenv("LLMBO_PREFETCH");
    if (env && (env[0] == '0' || env[0] == '1') && env[1] == '\0') {
        llmbo_quant_set_prefetch(env[0] == '1');
        e->pf_how = 2;
        return;
    }
    size_t n_cand = weight_mats_max(e), bytes = 0;
    int n = 0, cols = 0, rows = 0;
    wmat **w = llmbo_calloc(n_cand, sizeof *w);
    if (!w)
        return;
    size_t nc = weight_mats(e, w);
    for (size_t i = 0; i < nc; i++)
        if (w[i]->packed && bytes < PF_WINDOW) {
            w[n++] = w[i];
            bytes += (size_t)w[i]->n_mat * w[i]->mat_bytes;
            cols = w[i]->cols > cols ? w[i]->cols : cols;
            rows = w[i]->rows > rows ? w[i]->rows : rows;
        }
    qrows xq = {NULL, NULL};
    float *out = NULL;
    if (bytes >= PF_MIN) {
        xq = qrows_alloc(1, cols);
        out = llmbo_malloc((size_t)rows, sizeof *out);
    }
    if (xq.a && out) {
        memset(xq.a, 0, (size_t)(cols / LLMBO_QK + 1) * sizeof *xq.a);
        memset(xq.k, 0, (size_t)(cols / LLMBO_QK_K + 1) * sizeof *xq.k);
        e->pf_sec[0] = e->pf_sec[1] = HUGE_VAL;
        for (int r = 0; r < 2 * PF_ROUNDS; r++) {
            llmbo_quant_set_prefetch(r & 1);
            double t = prefetch_pass(w, n, xq, out);
            e->pf_sec[r & 1] = t < e->pf_sec[r & 1] ? t : e->pf_sec[r & 1];
        }
        llmbo_quant_set_prefetch(e->pf_sec[1] < e->pf_sec[0]);
        e->pf_bytes = bytes < PF_WINDOW ? bytes : PF_WINDOW;
        e->pf_how = 1;
    }
    llmbo_free(xq.a);
    llmbo_free(xq.k);
    llmbo_free(out);
    llmbo_free(w);
}

int llmbo_engine_prefetch(const llmbo_engine *e, int *how, double sec[2], size_t *bytes)
{
    *how = e->pf_how;
    sec[0] = e->pf_sec[0];
    sec[1] = e->pf_sec[1];
    *bytes = e->pf_bytes;
    return llmbo_quant_prefetch();
}

/* The copy of the weights in 2 MiB pages (llmbo_gguf_copy_grouped), each MoE layer's gate, up
 * and down experts interleaved: one expert's three matrices are then one run of memory, which a
 * token reads from start to end (ffn_moe), where three separate runs of 288-512 KiB (granite
 * 1B-A400M's experts) read at 0.84 of a whole pass and one run of 864 KiB at 0.90 (the packed Q4_K
 * kernel, one thread, random order; perf/results/engine_speed_quiet.md, "Stop 36"). Layers whose
 * expert tensors are missing or of other counts are left to load_layer's messages. */
static void copy_weights(llmbo_gguf *g, int n_layer)
{
    static const char *const kind[3] = {"ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"};
    /* a layer has several tensors: a larger count is refused after the copy (llmbo_engine_open) */
    int ok = n_layer > 0 && (uint64_t)n_layer <= g->n_tensors;
    llmbo_gguf_group *gr = ok ? llmbo_calloc((size_t)n_layer, sizeof *gr) : NULL;
    size_t n = 0;
    for (int il = 0; gr && il < n_layer; il++) {
        for (int k = 0; k < 3; k++) {
            char name[64];
            snprintf(name, sizeof name, "blk.%d.%s.weight", il, kind[k]);
            const llmbo_gguf_tensor *t = llmbo_gguf_find_tensor(g, name);
            if (t)
                gr[n].t[gr[n].n++] = t;
        }
        if (gr[n].n > 1)
            n++;
        else
            gr[n].n = 0;
    }
    llmbo_gguf_copy_grouped(g, 1, gr, n);
    llmbo_free(gr);
}

llmbo_status llmbo_engine_open(const char *path, const llmbo_engine_options *opt_in,
                               llmbo_engine **out, llmbo_error *err)
{
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    if (opt_in)
        opt = *opt_in;
    *out = NULL;
    llmbo_engine *e = llmbo_calloc(1, sizeof *e);
    if (!e)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    e->pool.n = 1;
    llmbo_status st = llmbo_gguf_open(path, &e->gguf, err);
    if (st)
        goto fail_noprefix;
    const llmbo_gguf *g = e->gguf;
    llmbo_hparams *hp = &e->hp;
    if ((st = read_hparams(g, hp, err)))
        goto fail;
    /* 2 MiB pages unless LLMBO_HUGEPAGES=0; before any tensor pointer is taken: they move */
    copy_weights(e->gguf, hp->n_layer);
    e->q_dim = hp->n_head * hp->head_dim;
    e->kv_dim = hp->arch->mla ? hp->kv_lora + hp->n_rot : hp->n_head_kv * hp->head_dim;
    e->o_dim = hp->n_head * hp->v_dim;
    const llmbo_gguf_tensor *te;
    if ((st = find_tensor(g, "token_embd.weight", 0, &te, err)))
        goto fail;
    if (te->ne[1] > INT32_MAX || te->ne[1] < 1) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "token_embd.weight has a bad vocabulary size");
        goto fail;
    }
    hp->n_vocab = (int)te->ne[1];
    if ((st = load_mat(g, "token_embd.weight", 0, hp->n_embd, hp->n_vocab, 1, &e->tok_embd, err)) ||
        (st = load_vec(g, "output_norm.weight", 0, hp->n_embd, &e->output_norm, err)) ||
        (st = load_mat(g, "output.weight", 1, hp->n_embd, hp->n_vocab, 1, &e->output, err)))
        goto fail;
    if (!e->output.data)
        e->output = e->tok_embd; /* tied embeddings */
    /* Frequency divisors: Llama 3.1's rope_freqs, else LongRoPE's (Phi-3) long or short factors,
     * chosen once n_ctx is known. */
    static const char *const rope_div[3] = {"rope_freqs.weight", "rope_factors_long.weight",
                                            "rope_factors_short.weight"};
    const float *div[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++) {
        if ((st = load_vec(g, rope_div[k], 1, hp->n_rot / 2, &div[k], err)))
            goto fail;
        for (int i = 0; div[k] && i < hp->n_rot / 2; i++)
            if (!(div[k][i] > 0) || !isfinite(div[k][i])) {
                st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s[%d] = %g is not a positive number",
                                     rope_div[k], i, (double)div[k][i]);
                goto fail;
            }
    }
    e->rope_freqs = div[0];
    /* block_count comes from the header: a layer has several tensors, so a count above the
     * file's tensor count (or a last layer without tensors) is refused before the layer table is
     * allocated (a huge count once allocated 22 GB first). */
    char last[64];
    snprintf(last, sizeof last, "blk.%d.attn_output.weight", hp->n_layer - 1);
    if ((uint64_t)hp->n_layer > g->n_tensors) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                             "metadata %s.block_count = %d exceeds the file's %llu tensors",
                             hp->arch_name, hp->n_layer, (unsigned long long)g->n_tensors);
        goto fail;
    }
    if (!llmbo_gguf_find_tensor(g, last)) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                             "metadata %s.block_count = %d but tensor '%s' is missing",
                             hp->arch_name, hp->n_layer, last);
        goto fail;
    }
    e->layers = llmbo_calloc((size_t)hp->n_layer, sizeof *e->layers);
    if (!e->layers) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (int il = 0; il < hp->n_layer; il++)
        if ((st = load_layer(e, il, err)))
            goto fail;
    if ((st = llmbo_tokenizer_create(g, &e->tok, err)))
        goto fail;
    if (llmbo_tokenizer_n_vocab(e->tok) > hp->n_vocab) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                             "tokenizer has %d tokens but token_embd.weight only %d rows",
                             llmbo_tokenizer_n_vocab(e->tok), hp->n_vocab);
        goto fail;
    }
    e->n_ctx = opt.n_ctx > 0 ? opt.n_ctx : (hp->n_ctx_train < 4096 ? hp->n_ctx_train : 4096);
    if (e->n_ctx < 1)
        e->n_ctx = 4096;
    if (!e->rope_freqs) /* llama.cpp: the long factors when the context exceeds the original */
        e->rope_freqs = e->n_ctx > hp->yarn_orig_ctx ? div[1] : div[2];
    e->n_batch = opt.n_batch > 0 ? opt.n_batch : 64;
    e->fine = opt.fine_chunks != 0;
    if (e->n_ctx > LLMBO_MAX_CTX || e->n_batch > LLMBO_MAX_BATCH || opt.n_threads > 1024) {
        st = llmbo_error_set(err, LLMBO_ERR_INVALID,
                             "n_ctx %d, n_batch %d or threads %d too large (at most %d, %d, 1024)",
                             e->n_ctx, e->n_batch, opt.n_threads, LLMBO_MAX_CTX, LLMBO_MAX_BATCH);
        goto fail;
    }
    int nt = opt.n_threads;
    if (nt <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        nt = c > 0 ? (int)(c > 64 ? 64 : c) : 1;
    }
    llmbo_quant_simd();
    if ((st = alloc_buffers(e, nt, err)))
        goto fail;
    if ((st = pool_start(&e->pool, nt, err)))
        goto fail;
    e->n_packed = pack_weights(e);
    if (e->n_packed)
        choose_prefetch(e);
    *out = e;
    return LLMBO_OK;
fail:
    llmbo_error_prefix(err, "%s", path);
fail_noprefix:
    llmbo_engine_free(e);
    return st;
}

void llmbo_engine_free(llmbo_engine *e)
{
    if (!e)
        return;
    pool_stop(&e->pool);
    llmbo_tokenizer_free(e->tok);
    llmbo_gguf_close(e->gguf);
    void *bufs[] = {e->layers,
                    e->k_cache,
                    e->v_cache,
                    e->rope_cos,
                    e->rope_sin,
                    e->cache_tok,
                    e->x,
                    e->xb,
                    e->xq.a,
                    e->q,
                    e->k,
                    e->v,
                    e->att_out,
                    e->att,
                    e->hb,
                    e->hb2,
                    e->ffn_out,
                    e->router,
                    e->sel,
                    e->sel_w,
                    e->ex_tok,
                    e->ex_w,
                    e->ex_x,
                    e->ex_xq.a,
                    e->logits,
                    e->router_sel,
                    e->mla_qn,
                    e->mla_qabs,
                    e->mla_olat,
                    e->mla_qa,
                    e->mla_q8.a,
                    e->items,
                    e->xq.k,
                    e->ex_xq.k,
                    e->mla_q8.k,
                    e->ex_slot,
                    e->ex_first,
                    e->ex_next,
                    e->mm_first,
                    e->mm_rows_per,
                    e->rope_cos_swa,
                    e->rope_sin_swa,
                    e->embd_row};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        llmbo_free(bufs[i]);
    llmbo_free(e);
}

const llmbo_hparams *llmbo_engine_hparams(const llmbo_engine *e)
{
    return &e->hp;
}

int llmbo_engine_n_packed(const llmbo_engine *e)
{
    return e->n_packed;
}

const llmbo_gguf *llmbo_engine_gguf(const llmbo_engine *e)
{
    return e->gguf;
}

llmbo_tokenizer *llmbo_engine_tokenizer(llmbo_engine *e)
{
    return e->tok;
}

int llmbo_engine_n_ctx(const llmbo_engine *e)
{
    return e->n_ctx;
}

size_t llmbo_engine_cache_bytes(const llmbo_engine *e)
{
    return (size_t)e->hp.n_layer * (size_t)e->n_ctx * (size_t)e->kv_dim * (e->v_cache ? 2 : 1) *
           sizeof(float);
}

void llmbo_engine_pool_stats(const llmbo_engine *e, llmbo_engine_pool_counts *s)
{
    s->jobs = e->pool.jobs;
    s->handoffs = e->pool.handoffs;
    s->chunks = e->pool.chunks;
    s->worker_chunks = atomic_load(&((llmbo_engine *)e)->pool.worker_chunks);
}

void llmbo_engine_set_trace(llmbo_engine *e, float *buf)
{
    e->trace = buf;
}

void llmbo_engine_reset(llmbo_engine *e)
{
    e->n_cached = 0;
}

int llmbo_engine_last_processed(const llmbo_engine *e)
{
    return e->last_processed;
}

/* ----------------------------------------------------------------------------------------------
 * Kernels
 * -------------------------------------------------------------------------------------------- */

static void rmsnorm(float *o, const float *x, const float *w, int n, double eps)
{
    /* four sums, elements i mod 4, so the additions are four chains, not one */
    double s4[4] = {0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
        for (int k = 0; k < 4; k++)
            s4[k] += (double)x[i + k] * x[i + k];
    for (; i < n; i++)
        s4[0] += (double)x[i] * x[i];
    double ss = (s4[0] + s4[1]) + (s4[2] + s4[3]);
    float s = (float)(1.0 / sqrt(ss / n + eps));
    for (i = 0; i < n; i++)
        o[i] = x[i] * s * w[i];
}

/* Each of `rows` rows of n floats at x plus the bias b (n); nothing when b is NULL. */
static void add_bias(float *x, const float *b, size_t rows, size_t n)
{
    for (size_t r = 0; b && r < rows; r++)
        for (size_t i = 0; i < n; i++)
            x[r * n + i] += b[i];
}

/* x += s * y: a block's output joins the residual stream (s is Granite's residual_scale). */
static void residual_add(float *x, const float *y, size_t n, float s)
{
    if (s == 1.0f) {
        for (size_t i = 0; i < n; i++)
            x[i] += y[i];
        return;
    }
    for (size_t i = 0; i < n; i++)
        x[i] += s * y[i];
}

/* GELU in its tanh form (ggml's and Gemma's; llama.cpp reads it from an F16 table). */
static float gelu(float x)
{
    return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * x * (1.0f + 0.044715f * x * x)));
}

/* Runs rows [r0, r1) of one item: each weight row is read once and met with every token (for
 * quantised inputs llmbo_gemm: four tokens at a time, the same numbers as one at a time). */
static void mm_rows(const mm_item *it, long r0, long r1)
{
    const wmat *w = it->w;
    const uint8_t *mat = w->data + (size_t)it->mat * w->mat_stride;
    size_t cols = (size_t)w->cols;
    /* the quantised input rows, in the weight type's activation form */
    const void *xq = NULL;
    if (it->xq.a)
        xq = llmbo_ttype_act(w->type) == LLMBO_ACT_Q8K ? (const void *)it->xq.k
                                                       : (const void *)it->xq.a;
    if (xq && w->packed) /* groups of rows (r0 and r1 as llmbo_pack_align says: matmul) */
        llmbo_gemm_packed(w->type, mat + (size_t)r0 * w->row_bytes, w->row_bytes,
                          (size_t)(r1 > r0 ? r1 - r0 : 0), xq, (size_t)it->T, cols, it->out + r0,
                          (size_t)it->out_stride);
    else if (xq && it->T == 1) /* one token (decode): several rows per pass */
        llmbo_gemv(w->type, mat + (size_t)r0 * w->row_bytes, w->row_bytes,
                   (size_t)(r1 > r0 ? r1 - r0 : 0), xq, cols, it->out + r0);
    else if (xq) /* quantised: row blocks that stay in the cache, four tokens per pass */
        llmbo_gemm(w->type, mat + (size_t)r0 * w->row_bytes, w->row_bytes,
                   (size_t)(r1 > r0 ? r1 - r0 : 0), xq, (size_t)it->T, cols, it->out + r0,
                   (size_t)it->out_stride);
    else if (w->type == LLMBO_T_F16 || w->type == LLMBO_T_BF16) /* the same, float activations */
        llmbo_gemm(w->type, mat + (size_t)r0 * w->row_bytes, w->row_bytes,
                   (size_t)(r1 > r0 ? r1 - r0 : 0), it->xf, (size_t)it->T, cols, it->out + r0,
                   (size_t)it->out_stride);
    else
        for (long r = r0; r < r1; r++)
            for (int t = 0; t < it->T; t++)
                it->out[(size_t)t * it->out_stride + r] = llmbo_vec_dot(
                    w->type, mat + (size_t)r * w->row_bytes, it->xf + (size_t)t * cols, NULL, cols);
}

/* A matmul job: item k's rows are cut into chunks of rows_per[k] rows, numbered from first[k]
 * (first[n_items] is the chunk count). */
typedef struct mm_job {
    const mm_item *items;
    int n_items;
    const long *first;
    const int *rows_per;
} mm_job;

static void mm_worker(void *arg, long c, int ith)
{
    const mm_job *job = arg;
    (void)ith;
    int lo = chunk_owner(job->first, job->n_items, c);
    const mm_item *it = &job->items[lo];
    long r0 = (c - job->first[lo]) * job->rows_per[lo], r1 = r0 + job->rows_per[lo];
    mm_rows(it, r0, r1 < it->w->rows ? r1 : it->w->rows);
}

/* Smallest chunk worth a claim, in weight elements x (tokens + 2): 64 rows of 1024 for one
 * token, a few microseconds of work against a fraction of one for the claim. */
#define MM_MIN_CHUNK (64.0 * 1024 * 3)

/* out = in . W^T for every item, in one job. Work is cut into chunks of about equal cost (rows x
 * (tokens + 2) x cols: a row's read and its per-token products), about 8 per thread, so items
 * with few tokens (a MoE expert's) and items with many balance, and threads that run claim what
 * a late one has not; a single chunk runs on the caller with no hand-off at all. */
static void matmul(llmbo_engine *e, const mm_item *items, int n_items)
{
    int nth = e->pool.n;
    double total = 0;
    for (int k = 0; k < n_items; k++)
        total += (double)items[k].w->rows * (items[k].T + 2) * items[k].w->cols;
    double target = total / (8.0 * nth);
    if (target < MM_MIN_CHUNK)
        target = MM_MIN_CHUNK;
    if (e->fine)
        target = 0;
    long n = 0;
    for (int k = 0; k < n_items; k++) {
        int rows = items[k].w->rows;
        double cost = (double)rows * (items[k].T + 2) * items[k].w->cols;
        long nc = nth == 1 ? 1 : e->fine ? rows : (long)(cost / target + 0.5);
        nc = nc > rows ? rows : nc;
        nc = nc < 1 ? 1 : nc;
        e->mm_rows_per[k] = rows > nc ? (int)((rows + nc - 1) / nc) : 1;
        if (items[k].w->packed) { /* whole groups, or row blocks of a matrix in panels */
            int a = (int)llmbo_pack_align(items[k].w->type, (size_t)items[k].w->cols);
            e->mm_rows_per[k] = (e->mm_rows_per[k] + a - 1) / a * a;
        }
        e->mm_first[k] = n;
        n += (rows + e->mm_rows_per[k] - 1) / e->mm_rows_per[k];
    }
    e->mm_first[n_items] = n;
    mm_job job = {items, n_items, e->mm_first, e->mm_rows_per};
    pool_run(&e->pool, mm_worker, &job, n);
}

/* Fills the input fields of an item for matrix w from float rows xf (T, stride = w->cols) and
 * their quantised copy xq. */
static mm_item item(const wmat *w, int mat, int T, const float *xf, qrows xq, float *out)
{
    mm_item it = {w, mat, T, NULL, {NULL, NULL}, out, w->rows};
    if (llmbo_ttype_quantised(w->type))
        it.xq = xq;
    else
        it.xf = xf;
    return it;
}

/* Quantises one row of cols floats into the forms in `forms` (the 256 form only when cols is a
 * multiple of 256: no weight type that reads it has other widths). */
static void quantise_row(const float *x, qrows xq, size_t t, int cols, int forms)
{
    if (forms & ACT_A)
        llmbo_quant_act(x, xq.a + t * (size_t)(cols / LLMBO_QK), (size_t)cols);
    if ((forms & ACT_K) && cols % LLMBO_QK_K == 0)
        llmbo_quant_act_k(x, xq.k + t * (size_t)(cols / LLMBO_QK_K), (size_t)cols);
}

/* Row-wise work before a product, split over the pool by rows: rmsnorm of src into x (w set), or
 * x = silu(x) * up (up set), or nothing; then x's rows quantised into `forms`. A row is a few
 * operations per element against a few per element and weight row in the product that reads it,
 * but for a batch it was the one part of a layer left on one thread. */
typedef struct rows_job {
    float *x;         /* (T, cols) */
    const float *src; /* (T, cols) rmsnorm input or NULL */
    const float *w;   /* (cols) rmsnorm weight */
    const float *up;  /* (T, cols) SwiGLU's up projection or NULL */
    qrows xq;         /* T rows of cols */
    int T, cols, forms, per;
    double eps;
    int act; /* with up: ACT_SILU, ACT_GELU (tanh form, Gemma) or ACT_OAI (gpt-oss's clamped form)
              */
} rows_job;

enum { ACT_SILU, ACT_GELU, ACT_OAI };

/* gpt-oss's SwiGLU (llama.cpp's swiglu_oai with alpha 1.702, limit 7): gate x clamped above at 7,
 * up y to [-7, 7], x sigmoid(1.702 x) (y + 1). */
static float swiglu_oai(float x, float y)
{
    x = x < 7.0f ? x : 7.0f;
    y = y < -7.0f ? -7.0f : y > 7.0f ? 7.0f : y;
    return x / (1.0f + expf(-1.702f * x)) * (y + 1.0f);
}

/* x = act(x) * u over one row of n (the gated activations: ACT_SILU, ACT_GELU, ACT_OAI). */
static void act_row(float *x, const float *u, int n, int act)
{
    if (act == ACT_GELU)
        for (int i = 0; i < n; i++)
            x[i] = gelu(x[i]) * u[i];
    else if (act == ACT_OAI)
        for (int i = 0; i < n; i++)
            x[i] = swiglu_oai(x[i], u[i]);
    else
        llmbo_silu_mul(x, u, (size_t)n);
}

static void rows_worker(void *arg, long c, int ith)
{
    const rows_job *j = arg;
    (void)ith;
    long t1 = (c + 1) * j->per < j->T ? (c + 1) * j->per : j->T;
    for (long t = c * j->per; t < t1; t++) {
        float *x = j->x + (size_t)t * j->cols;
        if (j->src)
            rmsnorm(x, j->src + (size_t)t * j->cols, j->w, j->cols, j->eps);
        if (j->up)
            act_row(x, j->up + (size_t)t * j->cols, j->cols, j->act);
        quantise_row(x, j->xq, (size_t)t, j->cols, j->forms);
    }
}

/* Chunks of whole rows, at least 16384 elements each (less is not worth a hand-off: one token's
 * row runs on the caller), about four per thread. */
static void run_rows(llmbo_engine *e, rows_job *j)
{
    long per = (j->T + 4L * e->pool.n - 1) / (4L * e->pool.n),
         least = (16384 + j->cols - 1) / j->cols;
    j->per = e->fine ? 1 : (int)(per > least ? per : least);
    pool_run(&e->pool, rows_worker, j, (j->T + j->per - 1) / j->per);
}

/* T rows of cols floats quantised into `forms` of xq. */
static void quantise_rows(llmbo_engine *e, float *x, qrows xq, int T, int cols, int forms)
{
    if (!forms)
        return;
    rows_job j = {x, NULL, NULL, NULL, xq, T, cols, forms, 0, 0.0, 0};
    run_rows(e, &j);
}

/* Attention for T new tokens at positions pos0.. (keys/values already in the cache). A chunk is
 * `per` consecutive (tile, KV head) pairs, taken latest tokens first: the causal triangle's long
 * rows are claimed early and the short ones fill in at the end. A pair is the query heads that
 * share the KV head (grouped-query attention) for a tile of consecutive tokens, up to ATT_QUERIES
 * query rows (one token in decode), scored and summed together, so each cached key and value row
 * is read once for all of them (MLA: a (token, head) pair). */
typedef struct att_job {
    llmbo_engine *e;
    int layer, T, pos0, per, tile; /* tile: tokens per tile (MHA) */
} att_job;

static long att_chunks(llmbo_engine *e, att_job *j, int row, long items)
{
    /* about 16k multiply-adds per chunk at the longest position, at least one item */
    long per = 16384L / ((long)(j->pos0 + j->T) * row + 1);
    per = per < 1 || e->fine ? 1 : per;
    j->per = (int)per;
    return (items + per - 1) / per;
}

/* The first position a query at n_pos (its position + 1) sees: a sliding layer sees the last n_swa
 * (llama.cpp: p0 > p1 - n_swa). */
static int att_first(const llmbo_hparams *hp, int swa, int n_pos)
{
    return swa && n_pos > hp->n_swa ? n_pos - hp->n_swa : 0;
}

/* Where KV head h of layer il starts in k_cache and v_cache (multi-head attention): each layer
 * holds its heads one after another, each head's rows n_ctx x head_dim, so one head's keys (and
 * values) over the positions it reads are one run of memory, not one head_dim in every kv_dim.
 * In decode the cache is read from memory: a token streams far more weights than the caches
 * hold. */
static size_t kv_head_rows(const llmbo_engine *e, int il, int h)
{
    return ((size_t)il * (size_t)e->hp.n_head_kv + (size_t)h) * (size_t)e->n_ctx *
           (size_t)e->hp.head_dim;
}

/* A tile's rows span the key range of its longest one; a row's weights outside its own range (a
 * later token's positions; before a sliding window's start) are zero, which leaves its sums the
 * numbers of its own range: llmbo_f32_dots scores each (key, query) pair alone, and adding a zero
 * product changes no nonzero sum. */
static void att_worker(void *arg, long c, int ith)
{
    const att_job *j = arg;
    llmbo_engine *e = j->e;
    const llmbo_hparams *hp = &e->hp;
    int hd = hp->head_dim, group = hp->n_head / hp->n_head_kv, nkv = hp->n_head_kv;
    size_t C = (size_t)e->n_ctx, R = (size_t)att_tile_rows(hp);
    float *att = e->att + (size_t)ith * att_stride(hp, C); /* query row r's scores at r * C */
    float *qt = att + R * C, *ot = qt + R * (size_t)hd;    /* the tile's queries and outputs */
    float scale = (float)hp->att_scale;
    int swa = e->layers[j->layer].swa;
    float cap = (float)hp->att_softcap;
    const float *sinks = e->layers[j->layer].sinks;
    long n_tiles = (j->T + j->tile - 1) / j->tile;
    long W = n_tiles * nkv, w1 = W - c * j->per, w0 = w1 - j->per;
    for (long w = w0 > 0 ? w0 : 0; w < w1; w++) {
        int t0 = (int)(w / nkv) * j->tile, kvh = (int)(w % nkv), h0 = kvh * group;
        int nt = j->T - t0 < j->tile ? j->T - t0 : j->tile, rows = nt * group;
        int lo = j->pos0 + t0 + 1, hi = j->pos0 + t0 + nt; /* the first and last token's n_pos */
        int first = att_first(hp, swa, lo);
        size_t np = (size_t)(hi - first);
        for (int t = 0; t < nt; t++)
            memcpy(qt + (size_t)t * group * hd,
                   e->q + (size_t)(t0 + t) * e->q_dim + (size_t)h0 * hd,
                   (size_t)group * hd * sizeof(float));
        size_t kv_at = kv_head_rows(e, j->layer, kvh) + (size_t)first * hd;
        llmbo_f32_dots(att + first, C, e->k_cache + kv_at, (size_t)hd, np, qt, (size_t)hd,
                       (size_t)rows, (size_t)hd, scale);
        for (int r = 0; r < rows; r++) {
            float *a = att + (size_t)r * C, mx = -INFINITY;
            int h = h0 + r % group, n_pos = lo + r / group;
            int f = att_first(hp, swa, n_pos);
            for (int p = f; p < n_pos; p++) {
                if (cap > 0) /* Gemma 2: the score soft-capped before the softmax */
                    a[p] = cap * tanhf(a[p] / cap);
                mx = a[p] > mx ? a[p] : mx;
            }
            /* gpt-oss: the head's sink, a logit without a value, joins the softmax's
             * denominator */
            if (sinks && sinks[h] > mx)
                mx = sinks[h];
            float sum = sinks ? expf(sinks[h] - mx) : 0.0f;
            for (int p = f; p < n_pos; p++) {
                a[p] = expf(a[p] - mx);
                sum += a[p];
            }
            for (int p = f; p < n_pos; p++)
                a[p] /= sum;
            for (int p = first; p < f; p++)
                a[p] = 0.0f;
            for (int p = n_pos; p < hi; p++)
                a[p] = 0.0f;
        }
        llmbo_f32_wsum_n(ot, (size_t)hd, att + first, C, e->v_cache + kv_at, (size_t)hd, np,
                         (size_t)hd, (size_t)rows);
        for (int t = 0; t < nt; t++)
            memcpy(e->att_out + (size_t)(t0 + t) * e->q_dim + (size_t)h0 * hd,
                   ot + (size_t)t * group * hd, (size_t)group * hd * sizeof(float));
    }
}

/* Rotates the first n_rot dimensions of n_heads vectors spaced `stride` floats apart (swa: with
 * the sliding layers' tables). */
static void rope(const llmbo_engine *e, float *v, int n_heads, int stride, int pos, int swa)
{
    int h2 = e->hp.n_rot / 2;
    const float *c = (swa ? e->rope_cos_swa : e->rope_cos) + (size_t)pos * h2,
                *s = (swa ? e->rope_sin_swa : e->rope_sin) + (size_t)pos * h2;
    if (e->hp.arch->rope_norm) { /* adjacent pairs (2i, 2i + 1) */
        for (int h = 0; h < n_heads; h++) {
            float *x = v + (size_t)h * stride;
            for (int i = 0; i < h2; i++) {
                float a = x[2 * i], b = x[2 * i + 1];
                x[2 * i] = a * c[i] - b * s[i];
                x[2 * i + 1] = a * s[i] + b * c[i];
            }
        }
        return;
    }
    for (int h = 0; h < n_heads; h++) {
        float *x = v + (size_t)h * stride;
        for (int i = 0; i < h2; i++) {
            float a = x[i], b = x[i + h2];
            x[i] = a * c[i] - b * s[i];
            x[i + h2] = a * s[i] + b * c[i];
        }
    }
}

/* ----------------------------------------------------------------------------------------------
 * Multi-head latent attention (DeepSeek-V2, arXiv:2405.04434 section 2.1, with the "absorbed"
 * evaluation): per position the cache holds c_kv = norm(W_dkv x) (kv_lora) and the rotated key
 * part k_pe (n_rot), shared by all heads. Head h scores position p with
 *   (W_kb[h] q_nope[h]) . c_kv[p] + q_pe[h] . k_pe[p]
 * (W_kb[h] q_nope[h] is q_nope's product with the head's key up-projection, moved to the query
 * side) and outputs W_vb[h] sum_p a_p c_kv[p]. K and V are never expanded.
 * -------------------------------------------------------------------------------------------- */

static void mla_att_worker(void *arg, long chunk, int ith)
{
    const att_job *j = arg; /* the same job as att_worker's */
    llmbo_engine *e = j->e;
    const llmbo_hparams *hp = &e->hp;
    int R = hp->kv_lora, nr = hp->n_rot, nope = hp->head_dim - nr, T = j->T;
    float *att = e->att + (size_t)ith * e->n_ctx;
    const float *kc = e->k_cache + (size_t)j->layer * e->n_ctx * e->kv_dim;
    float scale = (float)hp->att_scale;
    long W = (long)T * hp->n_head, w1 = W - chunk * j->per, w0 = w1 - j->per;
    for (long w = w0 > 0 ? w0 : 0; w < w1; w++) {
        int t = (int)(w / hp->n_head), h = (int)(w % hp->n_head);
        int n_pos = j->pos0 + t + 1;
        const float *qa = e->mla_qabs + ((size_t)h * T + t) * R;
        const float *qp = e->q + (size_t)t * e->q_dim + (size_t)h * hp->head_dim + nope;
        float mx = -INFINITY;
        for (int p = 0; p < n_pos; p++) {
            const float *c = kc + (size_t)p * e->kv_dim;
            float s = llmbo_vec_dot(LLMBO_T_F32, c, qa, NULL, (size_t)R) +
                      llmbo_vec_dot(LLMBO_T_F32, c + R, qp, NULL, (size_t)nr);
            att[p] = s * scale;
            mx = att[p] > mx ? att[p] : mx;
        }
        float sum = 0.0f;
        for (int p = 0; p < n_pos; p++) {
            att[p] = expf(att[p] - mx);
            sum += att[p];
        }
        float *o = e->mla_olat + ((size_t)h * T + t) * R;
        memset(o, 0, (size_t)R * sizeof(float));
        for (int p = 0; p < n_pos; p++) {
            const float *c = kc + (size_t)p * e->kv_dim;
            float a = att[p] / sum;
            for (int i = 0; i < R; i++)
                o[i] += a * c[i];
        }
    }
}

/* One matmul job of n_head items: head h's rows in (T, cols) at in + h*T*cols (quantised copy at
 * xq + h*T*cols/32 when w is quantised) times matrix h of the stack w into out + h*out_off with
 * row stride out_stride. */
static void per_head(llmbo_engine *e, const wmat *w, int T, float *in, float *out, size_t out_off,
                     int out_stride)
{
    int H = e->hp.n_head, cols = w->cols;
    quantise_rows(e, in, e->mla_q8, H * T, cols, act_forms(w));
    for (int h = 0; h < H; h++) {
        qrows xq = {e->mla_q8.a + (size_t)h * T * (cols / LLMBO_QK),
                    e->mla_q8.k + (size_t)h * T * (cols / LLMBO_QK_K)};
        e->items[h] = item(w, h, T, in + (size_t)h * T * cols, xq, out + h * out_off);
        e->items[h].out_stride = out_stride;
    }
    matmul(e, e->items, H);
}

/* Attention of layer il for T tokens at pos0..: xb / xq hold the normed input; writes
 * att_out (T, n_head * v_dim). */
static void attention_mla(llmbo_engine *e, const layer *L, int il, int T, int pos0)
{
    const llmbo_hparams *hp = &e->hp;
    int H = hp->n_head, hd = hp->head_dim, nr = hp->n_rot, nope = hd - nr, R = hp->kv_lora;
    if (L->wq_a.data) { /* q through its bottleneck: W_qb norm(W_qa x) */
        mm_item a[2] = {item(&L->wq_a, 0, T, e->xb, e->xq, e->mla_qa),
                        item(&L->wkv_a, 0, T, e->xb, e->xq, e->k)};
        matmul(e, a, 2);
        rows_job nq = {e->mla_qa,  e->mla_qa,           L->q_a_norm, NULL,         e->xq, T,
                       hp->q_lora, act_forms(&L->wq_b), 0,           hp->norm_eps, 0};
        run_rows(e, &nq);
        mm_item b = item(&L->wq_b, 0, T, e->mla_qa, e->xq, e->q);
        matmul(e, &b, 1);
    } else {
        mm_item a[2] = {item(&L->wq, 0, T, e->xb, e->xq, e->q),
                        item(&L->wkv_a, 0, T, e->xb, e->xq, e->k)};
        matmul(e, a, 2);
    }
    for (int t = 0; t < T; t++) {
        float *q = e->q + (size_t)t * e->q_dim, *kv = e->k + (size_t)t * e->kv_dim;
        rmsnorm(kv, kv, L->kv_a_norm, R, hp->norm_eps);
        rope(e, kv + R, 1, nr, pos0 + t, 0);
        rope(e, q + nope, H, hd, pos0 + t, 0);
        memcpy(e->k_cache + ((size_t)il * e->n_ctx + (size_t)(pos0 + t)) * e->kv_dim, kv,
               (size_t)e->kv_dim * sizeof(float));
        for (int h = 0; h < H; h++)
            memcpy(e->mla_qn + ((size_t)h * T + t) * nope, q + (size_t)h * hd,
                   (size_t)nope * sizeof(float));
    }
    per_head(e, &L->wk_b, T, e->mla_qn, e->mla_qabs, (size_t)T * R, R);
    att_job j = {e, il, T, pos0, 0, 1};
    pool_run(&e->pool, mla_att_worker, &j, att_chunks(e, &j, R + nr, (long)T * hp->n_head));
    per_head(e, &L->wv_b, T, e->mla_olat, e->att_out, (size_t)hp->v_dim, e->o_dim);
}

/* ----------------------------------------------------------------------------------------------
 * Feed-forward blocks
 * -------------------------------------------------------------------------------------------- */

/* out (T, n_embd) = down(silu(gate x) * up x) for a dense FFN (or the shared expert); x is xb
 * with its quantised copy xq already filled. */
static void ffn_dense(llmbo_engine *e, const wmat *gate, const wmat *up, const wmat *down, int T,
                      float *out)
{
    int F = gate->rows;
    mm_item gu[2] = {item(gate, 0, T, e->xb, e->xq, e->hb), item(up, 0, T, e->xb, e->xq, e->hb2)};
    matmul(e, gu, 2);
    rows_job sw = {e->hb,
                   NULL,
                   NULL,
                   e->hb2,
                   e->xq,
                   T,
                   F,
                   act_forms(down),
                   0,
                   0.0,
                   e->hp.arch->gemma ? ACT_GELU : ACT_SILU};
    run_rows(e, &sw);
    mm_item d = item(down, 0, T, e->hb, e->xq, out);
    matmul(e, &d, 1);
}

/* Mixture of experts: router scores (softmax over all experts, or a sigmoid each), optionally
 * shifted by a selection bias and restricted to the best expert groups; top-k by the shifted
 * score, weights from the unshifted one, optionally renormalised and scaled (llama.cpp's
 * build_moe_ffn). Tokens are grouped by expert so each expert's weights are read once per batch.
 * Adds the weighted expert outputs into e->ffn_out (T, n_embd), which the caller zeroes. */
static void route(llmbo_engine *e, const layer *L, int t)
{
    const llmbo_hparams *hp = &e->hp;
    int X = hp->n_expert, K = hp->n_expert_used;
    float *p = e->router + (size_t)t * X, *sel_s = e->router_sel;
    if (L->router_b)
        for (int x = 0; x < X; x++)
            p[x] += L->router_b[x];
    /* gating 3 (gpt-oss): the logits select; the weights are their softmax over the selected
     * (below) */
    if (hp->gating == 2) {
        for (int x = 0; x < X; x++)
            p[x] = 1.0f / (1.0f + expf(-p[x]));
    } else if (hp->gating != 3) {
        float mx = -INFINITY, sum = 0.0f;
        for (int x = 0; x < X; x++)
            mx = p[x] > mx ? p[x] : mx;
        for (int x = 0; x < X; x++)
            sum += (p[x] = expf(p[x] - mx));
        for (int x = 0; x < X; x++)
            p[x] /= sum;
    }
    for (int x = 0; x < X; x++)
        sel_s[x] = L->exp_bias ? p[x] + L->exp_bias[x] : p[x];
    if (hp->n_group > 1) { /* keep the n_group_used groups with the largest top-2 sums */
        int G = hp->n_group, per = X / G;
        for (int pick = 0; pick < G - hp->n_group_used; pick++) {
            int worst = -1;
            float worst_s = INFINITY;
            for (int gi = 0; gi < G; gi++) {
                const float *gs = sel_s + (size_t)gi * per;
                if (gs[0] == -INFINITY)
                    continue; /* already dropped */
                float a = -INFINITY, b = -INFINITY;
                for (int i = 0; i < per; i++)
                    if (gs[i] > a) {
                        b = a;
                        a = gs[i];
                    } else if (gs[i] > b) {
                        b = gs[i];
                    }
                if (a + b < worst_s || worst < 0) { /* ties: the later group goes */
                    worst_s = a + b;
                    worst = gi;
                } else if (a + b == worst_s) {
                    worst = gi;
                }
            }
            for (int i = 0; i < per; i++)
                sel_s[(size_t)worst * per + i] = -INFINITY;
        }
    }
    int *sel = e->sel + (size_t)t * K;
    float *w = e->sel_w + (size_t)t * K, wsum = 0.0f;
    for (int k = 0; k < K; k++) { /* top-k by selection; ties go to the lower index */
        int best = -1;
        for (int x = 0; x < X; x++) {
            int taken = 0;
            for (int j = 0; j < k; j++)
                taken |= sel[j] == x;
            if (!taken && (best < 0 || sel_s[x] > sel_s[best]))
                best = x;
        }
        sel[k] = best;
        w[k] = p[best];
        wsum += w[k];
    }
    if (hp->gating == 3) {
        float mx = w[0]; /* the top logit */
        wsum = 0.0f;
        for (int k = 0; k < K; k++)
            wsum += (w[k] = expf(w[k] - mx));
        for (int k = 0; k < K; k++)
            w[k] /= wsum;
    }
    if (hp->norm_topk)
        for (int k = 0; k < K; k++)
            w[k] /= wsum > 6.103515625e-5f ? wsum : 6.103515625e-5f;
    if (hp->expert_scale != 1.0)
        for (int k = 0; k < K; k++)
            w[k] *= (float)hp->expert_scale;
}

/* The weighted sum of each token's expert outputs, added to ffn_out in ascending expert order
 * (so the sum does not depend on how the work was split). */
typedef struct combine_job {
    llmbo_engine *e;
    int per, T;
} combine_job;

/* o[i] += w s[i] for i < n. o and s do not overlap, so the compiler may take four at a time in a
 * vector (each element's numbers are the same). */
static void add_scaled(float *restrict o, const float *restrict s, float w, int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        o[i] += w * s[i];
        o[i + 1] += w * s[i + 1];
        o[i + 2] += w * s[i + 2];
        o[i + 3] += w * s[i + 3];
    }
    for (; i < n; i++)
        o[i] += w * s[i];
}

static void combine_worker(void *arg, long c, int ith)
{
    const combine_job *j = arg;
    llmbo_engine *e = j->e;
    int K = e->hp.n_expert_used, E = e->hp.n_embd;
    (void)ith;
    long t1 = (c + 1) * j->per < j->T ? (c + 1) * j->per : j->T;
    for (long t = c * j->per; t < t1; t++) {
        int *sl = e->ex_slot + (size_t)t * K; /* slots are numbered in expert order */
        for (int a = 1; a < K; a++)
            for (int b = a; b > 0 && sl[b - 1] > sl[b]; b--) {
                int s = sl[b];
                sl[b] = sl[b - 1];
                sl[b - 1] = s;
            }
        float *o = e->ffn_out + (size_t)t * E;
        for (int k = 0; k < K; k++) /* ffn_out and ex_x are separate buffers */
            add_scaled(o, e->ex_x + (size_t)sl[k] * E, e->ex_w[sl[k]], E);
    }
}

/* One token's experts (decode), one chunk each: an expert's gate and up products, the gated
 * activation and its quantised copy, and its down product, all on the thread that claims it, so
 * its three matrices are read one after another (the copy lays them out as one run of memory:
 * copy_weights) and a layer's experts take one hand-off instead of two and a step between them on
 * the caller alone. The numbers are those of the batched path (the same row kernels, activation
 * and quantisation, each slot in its own rows). */
typedef struct expert_job {
    llmbo_engine *e;
    const layer *L;
} expert_job;

static void expert_worker(void *arg, long c, int ith)
{
    const expert_job *j = arg;
    llmbo_engine *e = j->e;
    const layer *L = j->L;
    int K = e->hp.n_expert_used, E = e->hp.n_embd, F = e->hp.n_ff_exp, x = 0;
    (void)ith;
    for (int k = 0; k < K; k++) /* slot c's expert */
        if (e->ex_slot[k] == c)
            x = e->sel[k];
    float *h = e->hb + (size_t)c * F, *h2 = e->hb2 + (size_t)c * F, *o = e->ex_x + (size_t)c * E;
    mm_item gu[2] = {item(&L->gate_exps, x, 1, e->xb, e->xq, h),
                     item(&L->up_exps, x, 1, e->xb, e->xq, h2)};
    mm_rows(&gu[0], 0, F);
    mm_rows(&gu[1], 0, F);
    if (L->gate_exps_b) { /* gpt-oss: each expert's own biases */
        add_bias(h, L->gate_exps_b + (size_t)x * F, 1, (size_t)F);
        add_bias(h2, L->up_exps_b + (size_t)x * F, 1, (size_t)F);
    }
    act_row(h, h2, F, e->hp.arch->oai ? ACT_OAI : ACT_SILU);
    qrows hq = {e->ex_xq.a + (size_t)c * (size_t)(F / LLMBO_QK),
                e->ex_xq.k + (size_t)c * (size_t)(F / LLMBO_QK_K)};
    quantise_row(h, hq, 0, F, act_forms(&L->down_exps));
    mm_item d = item(&L->down_exps, x, 1, h, hq, o);
    mm_rows(&d, 0, E);
    if (L->down_exps_b)
        add_bias(o, L->down_exps_b + (size_t)x * E, 1, (size_t)E);
}

/* All experts of a layer in four jobs whatever the number of experts used: the gate and up
 * products of every selected expert (each over the tokens routed to it), SwiGLU and the
 * quantisation of the down inputs, the down products, the weighted sums. A token's K
 * assignments are "slots", numbered by expert then token: slot rows hold the gathered inputs,
 * the hidden activations and the down outputs. */
static void ffn_moe(llmbo_engine *e, const layer *L, int T)
{
    const llmbo_hparams *hp = &e->hp;
    int X = hp->n_expert, K = hp->n_expert_used, E = hp->n_embd, F = hp->n_ff_exp;
    mm_item r = item(&L->router, 0, T, e->xb, e->xq, e->router);
    matmul(e, &r, 1);
    for (int t = 0; t < T; t++)
        route(e, L, t);
    /* slots: counting sort of the (token, k) assignments by expert */
    int *first = e->ex_first;
    memset(first, 0, (size_t)(X + 1) * sizeof(int));
    for (int i = 0; i < T * K; i++)
        first[e->sel[i] + 1]++;
    for (int x = 0; x < X; x++)
        first[x + 1] += first[x];
    for (int x = 0; x <= X; x++)
        e->ex_next[x] = first[x];
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++) {
            int s = e->ex_next[e->sel[(size_t)t * K + k]]++;
            e->ex_tok[s] = t;
            e->ex_w[s] = e->sel_w[(size_t)t * K + k];
            e->ex_slot[(size_t)t * K + k] = s;
        }
    /* one token: an expert per chunk, while that leaves each thread two or more */
    if (T == 1 && (e->pool.n == 1 || K >= 2 * e->pool.n)) {
        expert_job ej = {e, L};
        pool_run(&e->pool, expert_worker, &ej, K);
        combine_job cj = {e, 1, 1};
        combine_worker(&cj, 0, 0);
        return;
    }
    int in_forms = act_forms(&L->gate_exps) | act_forms(&L->up_exps);
    int in_float =
        !llmbo_ttype_quantised(L->gate_exps.type) || !llmbo_ttype_quantised(L->up_exps.type);
    size_t ra = (size_t)(E / LLMBO_QK), rk = (size_t)(E / LLMBO_QK_K);
    for (int s = 0; s < T * K; s++) {
        size_t t = (size_t)e->ex_tok[s];
        if (in_float)
            memcpy(e->ex_x + (size_t)s * E, e->xb + t * E, (size_t)E * sizeof(float));
        if (in_forms & ACT_A)
            memcpy(e->ex_xq.a + s * ra, e->xq.a + t * ra, ra * sizeof(llmbo_q8a));
        if ((in_forms & ACT_K) && E % LLMBO_QK_K == 0)
            memcpy(e->ex_xq.k + s * rk, e->xq.k + t * rk, rk * sizeof(llmbo_q8k));
    }
    int n = 0;
    for (int x = 0; x < X; x++) {
        int s0 = first[x], m = first[x + 1] - s0;
        if (!m)
            continue;
        qrows xq = {e->ex_xq.a + (size_t)s0 * ra, e->ex_xq.k + (size_t)s0 * rk};
        const float *xf = e->ex_x + (size_t)s0 * E;
        e->items[n++] = item(&L->gate_exps, x, m, xf, xq, e->hb + (size_t)s0 * F);
        e->items[n++] = item(&L->up_exps, x, m, xf, xq, e->hb2 + (size_t)s0 * F);
    }
    matmul(e, e->items, n);
    for (int x = 0; L->gate_exps_b && x < X; x++) { /* gpt-oss: each expert's own biases */
        size_t s0 = (size_t)first[x], m = (size_t)(first[x + 1] - first[x]);
        add_bias(e->hb + s0 * F, L->gate_exps_b + (size_t)x * F, m, (size_t)F);
        add_bias(e->hb2 + s0 * F, L->up_exps_b + (size_t)x * F, m, (size_t)F);
    }
    rows_job sw = {e->hb,
                   NULL,
                   NULL,
                   e->hb2,
                   e->ex_xq,
                   T * K,
                   F,
                   act_forms(&L->down_exps),
                   0,
                   0.0,
                   hp->arch->oai ? ACT_OAI : ACT_SILU};
    run_rows(e, &sw);
    /* the down outputs go to ex_x: its inputs were consumed by gate and up */
    ra = (size_t)(F / LLMBO_QK), rk = (size_t)(F / LLMBO_QK_K);
    n = 0;
    for (int x = 0; x < X; x++) {
        int s0 = first[x], m = first[x + 1] - s0;
        if (!m)
            continue;
        qrows xq = {e->ex_xq.a + (size_t)s0 * ra, e->ex_xq.k + (size_t)s0 * rk};
        e->items[n++] =
            item(&L->down_exps, x, m, e->hb + (size_t)s0 * F, xq, e->ex_x + (size_t)s0 * E);
    }
    matmul(e, e->items, n);
    for (int x = 0; L->down_exps_b && x < X; x++)
        add_bias(e->ex_x + (size_t)first[x] * E, L->down_exps_b + (size_t)x * E,
                 (size_t)(first[x + 1] - first[x]), (size_t)E);
    combine_job cj = {e, 0, T};
    long per = (T + 4L * e->pool.n - 1) / (4L * e->pool.n), least = 16384 / ((long)K * E) + 1;
    cj.per = e->fine ? 1 : (int)(per > least ? per : least);
    pool_run(&e->pool, combine_worker, &cj, (T + cj.per - 1) / cj.per);
}

/* RMS norm of each head of one token's q and k by the layer's per-head weights. */
static void qk_head_norm(const llmbo_engine *e, const layer *L, float *q, float *k)
{
    const llmbo_hparams *hp = &e->hp;
    int hd = hp->head_dim;
    for (int h = 0; h < hp->n_head; h++)
        rmsnorm(q + (size_t)h * hd, q + (size_t)h * hd, L->q_norm, hd, hp->norm_eps);
    for (int h = 0; h < hp->n_head_kv; h++)
        rmsnorm(k + (size_t)h * hd, k + (size_t)h * hd, L->k_norm, hd, hp->norm_eps);
}

/* Multi-head / grouped-query attention of layer il for T tokens at pos0..: xb / xq hold the
 * normed input; writes att_out (T, q_dim). */
static void attention_mha(llmbo_engine *e, const layer *L, int il, int T, int pos0)
{
    const llmbo_hparams *hp = &e->hp;
    int hd = hp->head_dim;
    mm_item qkv[3] = {item(&L->wq, 0, T, e->xb, e->xq, e->q),
                      item(&L->wk, 0, T, e->xb, e->xq, e->k),
                      item(&L->wv, 0, T, e->xb, e->xq, e->v)};
    matmul(e, qkv, 3);
    for (int t = 0; t < T; t++) {
        float *q = e->q + (size_t)t * e->q_dim, *k = e->k + (size_t)t * e->kv_dim;
        float *v = e->v + (size_t)t * e->kv_dim;
        add_bias(q, L->bq, 1, (size_t)e->q_dim);
        add_bias(k, L->bk, 1, (size_t)e->kv_dim);
        add_bias(v, L->bv, 1, (size_t)e->kv_dim);
        if (hp->arch->qk_norm == LLMBO_QK_NORM_FULL) { /* over the whole projection */
            rmsnorm(q, q, L->q_norm, e->q_dim, hp->norm_eps);
            rmsnorm(k, k, L->k_norm, e->kv_dim, hp->norm_eps);
        } else if (hp->arch->qk_norm == LLMBO_QK_NORM_HEAD) { /* per head */
            qk_head_norm(e, L, q, k);
        }
        if (!L->nope) {
            rope(e, q, hp->n_head, hd, pos0 + t, L->swa && e->rope_cos_swa);
            rope(e, k, hp->n_head_kv, hd, pos0 + t, L->swa && e->rope_cos_swa);
        }
        if (hp->arch->qk_norm == LLMBO_QK_NORM_HEAD_ROPED)
            qk_head_norm(e, L, q, k);
        for (int h = 0; h < hp->n_head_kv; h++) { /* head-major: kv_head_rows */
            size_t at = kv_head_rows(e, il, h) + (size_t)(pos0 + t) * (size_t)hd;
            memcpy(e->k_cache + at, k + (size_t)h * hd, (size_t)hd * sizeof(float));
            memcpy(e->v_cache + at, v + (size_t)h * hd, (size_t)hd * sizeof(float));
        }
    }
    int group = hp->n_head / hp->n_head_kv, tile = att_tile_rows(hp) / group;
    att_job aj = {e, il, T, pos0, 0, tile < T ? tile : T};
    long n_tiles = (T + aj.tile - 1) / aj.tile;
    pool_run(&e->pool, att_worker, &aj,
             att_chunks(e, &aj, 2 * hd * group * aj.tile, n_tiles * hp->n_head_kv));
}

/* ----------------------------------------------------------------------------------------------
 * Forward pass over one batch
 * -------------------------------------------------------------------------------------------- */

/* A block's output rows (T of ffn_out) RMS-normed in place by its post-norm w (Gemma 2/3,
 * OLMo 2, EXAONE 4, GLM-4); nothing when the block has none. */
static void post_norm(llmbo_engine *e, const float *w, int T)
{
    size_t E = (size_t)e->hp.n_embd;
    for (int t = 0; w && t < T; t++)
        rmsnorm(e->ffn_out + (size_t)t * E, e->ffn_out + (size_t)t * E, w, (int)E, e->hp.norm_eps);
}

/* The rmsnorm source of a block's input rows: the residual stream x, or, for a block without a
 * pre-norm (w NULL: OLMo 2), NULL after x is copied into xb as it is. */
static const float *pre_norm(llmbo_engine *e, const float *w, int T)
{
    if (w)
        return e->x;
    memcpy(e->xb, e->x, (size_t)T * e->hp.n_embd * sizeof(float));
    return NULL;
}

/* Row `tok` of token_embd in the file's layout (unpacked into e->embd_row when it is packed). */
static const uint8_t *embd_row(llmbo_engine *e, int tok)
{
    const wmat *w = &e->tok_embd;
    int g = tok / LLMBO_PACK_ROWS * LLMBO_PACK_ROWS;
    if (!w->packed || g + LLMBO_PACK_ROWS > w->rows)
        return w->data + (size_t)tok * w->row_bytes;
    llmbo_unpack_row(w->type, w->data, (size_t)w->rows, (size_t)w->cols, (size_t)tok, e->embd_row);
    return e->embd_row;
}

static void forward_batch(llmbo_engine *e, const int32_t *tokens, int T, int pos0, int want_logits)
{
    const llmbo_hparams *hp = &e->hp;
    int E = hp->n_embd;
    for (int t = 0; t < T; t++)
        llmbo_dequant_row(e->tok_embd.type, embd_row(e, tokens[t]), e->x + (size_t)t * E,
                          (size_t)E);
    if (hp->embd_scale != 1.0)
        for (size_t i = 0; i < (size_t)T * E; i++)
            e->x[i] *= (float)hp->embd_scale;

    for (int il = 0; il < hp->n_layer; il++) {
        const layer *L = &e->layers[il];
        /* Attention: xb = norm(x) (x without a pre-norm); q, k, v projections. */
        run_rows(e, &(rows_job){e->xb, pre_norm(e, L->attn_norm, T), L->attn_norm, NULL, e->xq, T,
                                E, L->attn_forms, 0, hp->norm_eps, 0});
        if (hp->arch->mla)
            attention_mla(e, L, il, T, pos0);
        else
            attention_mha(e, L, il, T, pos0);
        quantise_rows(e, e->att_out, e->xq, T, e->o_dim, act_forms(&L->wo));
        mm_item o = item(&L->wo, 0, T, e->att_out, e->xq, e->ffn_out);
        matmul(e, &o, 1);
        add_bias(e->ffn_out, L->bo, (size_t)T, (size_t)E);
        post_norm(e, L->attn_post_norm, T);
        residual_add(e->x, e->ffn_out, (size_t)T * E, (float)hp->resid_scale);

        /* Feed-forward: xb = norm(x); dense FFN or experts (+ shared expert). */
        run_rows(e, &(rows_job){e->xb, pre_norm(e, L->ffn_norm, T), L->ffn_norm, NULL, e->xq, T, E,
                                L->ffn_forms, 0, hp->norm_eps, 0});
        if (L->dense) {
            ffn_dense(e, &L->gate, &L->up, &L->down, T, e->ffn_out);
        } else {
            memset(e->ffn_out, 0, (size_t)T * E * sizeof(float));
            ffn_moe(e, L, T);
            if (L->gate_sh.data) {
                /* ffn_dense overwrites xq with its down-projection input: re-quantise after. */
                float *sh = e->ex_x;
                float gate_v[1];
                ffn_dense(e, &L->gate_sh, &L->up_sh, &L->down_sh, T, sh);
                for (int t = 0; t < T; t++) {
                    float g = 1.0f;
                    if (L->gate_inp_sh.data) {
                        const float *xr = e->xb + (size_t)t * E;
                        quantise_row(xr, e->xq, 0, E, act_forms(&L->gate_inp_sh));
                        const void *xq = llmbo_ttype_act(L->gate_inp_sh.type) == LLMBO_ACT_Q8K
                                             ? (const void *)e->xq.k
                                             : (const void *)e->xq.a;
                        gate_v[0] = llmbo_vec_dot(L->gate_inp_sh.type, L->gate_inp_sh.data, xr, xq,
                                                  (size_t)E);
                        g = 1.0f / (1.0f + expf(-gate_v[0]));
                    }
                    for (int j = 0; j < E; j++)
                        e->ffn_out[(size_t)t * E + j] += g * sh[(size_t)t * E + j];
                }
            }
        }
        post_norm(e, L->ffn_post_norm, T);
        residual_add(e->x, e->ffn_out, (size_t)T * E, (float)hp->resid_scale);
        if (e->trace)
            memcpy(e->trace + (size_t)il * E, e->x + (size_t)(T - 1) * E,
                   (size_t)E * sizeof(float));
    }

    if (!want_logits)
        return;
    float *last = e->xb;
    rmsnorm(last, e->x + (size_t)(T - 1) * E, e->output_norm, E, hp->norm_eps);
    quantise_row(last, e->xq, 0, E, act_forms(&e->output));
    mm_item lo = item(&e->output, 0, 1, last, e->xq, e->logits);
    matmul(e, &lo, 1);
    if (hp->logit_scale != 1.0)
        for (int i = 0; i < hp->n_vocab; i++)
            e->logits[i] /= (float)hp->logit_scale;
    if (hp->logit_softcap > 0)
        for (int i = 0; i < hp->n_vocab; i++)
            e->logits[i] =
                (float)(hp->logit_softcap * tanh((double)e->logits[i] / hp->logit_softcap));
}

llmbo_status llmbo_engine_eval(llmbo_engine *e, const int32_t *tokens, int n, const float **logits,
                               llmbo_error *err)
{
    if (n < 1 || n > e->n_ctx)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "sequence of %d tokens does not fit the context of %d", n, e->n_ctx);
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= e->hp.n_vocab)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "token id %d at position %d is outside the vocabulary (%d)",
                                   (int)tokens[i], i, e->hp.n_vocab);
    /* Reuse the longest cached prefix; the last position is always recomputed for its logits. */
    int p = 0;
    while (p < e->n_cached && p < n - 1 && e->cache_tok[p] == tokens[p])
        p++;
    e->last_processed = n - p;
    while (p < n) {
        int T = n - p < e->n_batch ? n - p : e->n_batch;
        forward_batch(e, tokens + p, T, p, p + T == n);
        memcpy(e->cache_tok + p, tokens + p, (size_t)T * sizeof(int32_t));
        p += T;
        e->n_cached = p;
    }
    *logits = e->logits;
    return LLMBO_OK;
}
