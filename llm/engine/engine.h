/* engine.h: llmbo's local inference engine. Loads a GGUF model (the architectures of arch.c)
 * in-process and evaluates token sequences with a KV cache that is reused across calls: eval()
 * compares the new sequence with the cached token ids and only processes the new suffix, in
 * batches (matrix-matrix products over the batch's tokens; in MoE layers, tokens grouped by
 * expert). All buffers are sized at open: evaluation does not allocate. One thread at a time may
 * use an engine (it runs its own worker pool). */
#ifndef LLMBO_ENGINE_H
#define LLMBO_ENGINE_H

#include <stdint.h>
#include "llmbo.h"
#include "arch.h"
#include "gguf.h"

typedef struct llmbo_engine llmbo_engine;
typedef struct llmbo_tokenizer llmbo_tokenizer;

typedef struct llmbo_engine_options {
    int n_ctx;       /* KV cache length in tokens; <= 0: min(model's context_length, 4096) */
    int n_threads;   /* <= 0: the number of online CPUs */
    int n_batch;     /* tokens per batched forward pass; <= 0: 64 */
    int fine_chunks; /* tests: cut every parallel job into its smallest pieces (one matrix row,
                      * one activation row, one (token, head) pair), so that small models take
                      * every hand-off path of the thread pool; 0 in normal use */
} llmbo_engine_options;

void llmbo_engine_options_default(llmbo_engine_options *opt);

/* Hyperparameters read from the metadata. */
typedef struct llmbo_hparams {
    const llmbo_arch_def *arch; /* the architecture's row (arch.h) */
    char arch_name[32];
    int n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx_train;
    int n_expert, n_expert_used, n_ff_exp; /* 0 for dense models */
    int norm_topk;                         /* renormalise the top-k router weights */
    double rope_base, norm_eps;
    double embd_scale;   /* multiplies the token embeddings (Granite; else 1) */
    double resid_scale;  /* multiplies each block's output before the residual add (else 1) */
    double att_scale;    /* softmax scale of q.k (default 1/sqrt(head size)) */
    double logit_scale;  /* divides the logits (Granite; else 1) */
    int n_rot;           /* rotary dimensions per head (rope.dimension_count) */
    int v_dim;           /* value head size (head_dim except in MLA) */
    int kv_lora, q_lora; /* MLA: width of the cached latent c_kv; of q's bottleneck (0: none) */
    int n_dense_lead;    /* MoE: leading layers with a dense FFN (leading_dense_block_count) */
    int moe_step;        /* MoE: every moe_step-th layer has experts, the others a dense FFN
                          * (interleave_moe_layer_step, default 1) */
    int n_expert_shared; /* MoE: shared experts (one FFN of n_ff_exp x this width) */
    int gating; /* MoE router: 1 softmax, 2 sigmoid (expert_gating_func), 3 softmax of the top-k
                   logits (gpt-oss) */
    double expert_scale; /* multiplies the routed weights (expert_weights_scale; 1 if absent) */
    int n_group, n_group_used; /* grouped top-k: experts in n_group groups, the best n_group_used
                                  groups (by the sum of their two best scores) are eligible */
    double rope_fs;            /* RoPE frequency scale 1/rope.scaling.factor (1: none) */
    int rope_yarn;             /* YaRN: interpolation ramped between the correction dimensions */
    int yarn_orig_ctx;         /* rope.scaling.original_context_length */
    double rope_mscale;        /* multiplies RoPE's cos and sin (YaRN's magnitude correction) */
    int n_swa;                 /* Gemma 2/3, Olmo 3: sliding window (attention.sliding_window) */
    int swa_period;            /* every swa_period-th layer attends globally, the others slide */
    double rope_base_swa;      /* RoPE base of the sliding layers (rope.freq_base_swa) */
    double rope_fs_swa;        /* their frequency scale (Gemma 3: 1; Gemma 2: rope_fs) */
    double rope_mscale_swa;    /* their cos/sin magnitude (Olmo 3: 1; Gemma: rope_mscale) */
    double logit_softcap;      /* logits = c tanh(logits / c) (final_logit_softcapping), 0: off */
    double att_softcap;        /* scores = c tanh(scores / c) (Gemma 2's attn_logit_softcapping) */
    int n_nextn; /* multi-token-prediction layers after n_layer (nextn_predict_layers), not run */
} llmbo_hparams;

/* Opens path: validates the file, the architecture, every tensor's presence, type and shape, and
 * the tokenizer; allocates the KV cache and activations. Errors name the file and the problem. */
llmbo_status llmbo_engine_open(const char *path, const llmbo_engine_options *opt,
                               llmbo_engine **out, llmbo_error *err);
void llmbo_engine_free(llmbo_engine *eng);

const llmbo_hparams *llmbo_engine_hparams(const llmbo_engine *eng);
/* The open file: its metadata, and tensors whose data may be the engine's copy in the packed
 * layout (llmbo_engine_n_packed), not the file's bytes: read sizes and metadata from it, not the
 * weights. */
const llmbo_gguf *llmbo_engine_gguf(const llmbo_engine *eng);
/* How many weight tensors the engine rewrote in groups of LLMBO_PACK_ROWS rows at load (the Q4_K,
 * Q5_K, Q6_K, IQ4_XS and Q8_0 matrices of the 2 MiB-page copy, unless LLMBO_PACK=0; quant.h): 0
 * when the weights are mapped from the file. */
int llmbo_engine_n_packed(const llmbo_engine *eng);
/* Software prefetch in packed one-token decode (quant.h llmbo_quant_set_prefetch) as the last
 * engine opened left it: 1 on, 0 off. *how: 1 when this engine chose it by timing passes over
 * *bytes of its packed weights with prefetch off and on (sec[0] and sec[1]: the best pass of
 * each), 2 when LLMBO_PREFETCH (0 or 1) set it, 0 when it was left as it was (nothing or too
 * little packed to measure). */
int llmbo_engine_prefetch(const llmbo_engine *eng, int *how, double sec[2], size_t *bytes);
llmbo_tokenizer *llmbo_engine_tokenizer(llmbo_engine *eng);
int llmbo_engine_n_ctx(const llmbo_engine *eng);
/* Bytes of the KV cache: n_layer x n_ctx x (2 n_head_kv head_dim), or for multi-head latent
 * attention n_layer x n_ctx x (kv_lora_rank + rotary dims), floats. */
size_t llmbo_engine_cache_bytes(const llmbo_engine *eng);

/* Evaluates tokens[0..n) and sets *logits to the (n_vocab) logits of position n-1 (valid until
 * the next call). The cached prefix shared with the previous sequence is reused; only the rest is
 * processed. LLMBO_ERR_INVALID for n < 1, n > n_ctx or a token id out of range. */
llmbo_status llmbo_engine_eval(llmbo_engine *eng, const int32_t *tokens, int n,
                               const float **logits, llmbo_error *err);
/* Forgets the cached sequence (the next eval recomputes from position 0). */
void llmbo_engine_reset(llmbo_engine *eng);
/* Tokens processed by the last eval call (n minus the reused prefix). */
int llmbo_engine_last_processed(const llmbo_engine *eng);
/* Thread-pool counters since the engine was opened (for benchmarks): jobs the forward passes ran
 * through the pool, how many of those were handed to the workers (more than one chunk and more
 * than one thread; the others ran on the calling thread alone), the chunks of the handed-off jobs
 * and how many of them the worker threads ran (the rest ran on the calling thread). Call it
 * between evaluations, from the thread that evaluates. */
typedef struct llmbo_engine_pool_counts {
    long jobs, handoffs, chunks, worker_chunks;
} llmbo_engine_pool_counts;
void llmbo_engine_pool_stats(const llmbo_engine *eng, llmbo_engine_pool_counts *s);
/* When buf is non-NULL, each eval writes the residual stream of its last position after each
 * layer into buf, (n_layer, n_embd) row-major. */
void llmbo_engine_set_trace(llmbo_engine *eng, float *buf);

#endif
