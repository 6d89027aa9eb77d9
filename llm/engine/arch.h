/* arch.h: the architectures the engine runs, one row each. Everything that differs between
 * architectures (which tensors a layer has, how q and k are normalised, how the router's top-k
 * weights are treated, what the chat prompt adds) is a column of this table; engine.c and
 * generate.c read the row instead of testing the architecture's name. */
#ifndef LLMBO_ARCH_H
#define LLMBO_ARCH_H

#include <stddef.h>

typedef enum llmbo_qk_norm {
    LLMBO_QK_NORM_NONE = 0,
    LLMBO_QK_NORM_HEAD = 1, /* RMS norm of each head of q and k, weights (head_dim) */
    LLMBO_QK_NORM_FULL =
        2, /* RMS norm over the whole q / k projection, weights (q_dim), (kv_dim) */
    LLMBO_QK_NORM_HEAD_ROPED = 3 /* as HEAD, after RoPE rather than before (Hunyuan) */
} llmbo_qk_norm;

typedef struct llmbo_arch_def {
    const char *name; /* general.architecture, and the prefix of its metadata keys */
    int moe;       /* mixture of experts (expert_count, ffn_{gate,up,down}_exps): 0 never, 1 always,
                      2 when the file has expert_count > 0 (llama: Mixtral-style files) */
    int rope_norm; /* RoPE on adjacent pairs (2i, 2i+1), llama's layout; 0: NEOX (i, i + d/2) */
    int qkv_bias;  /* attn_q.bias, attn_k.bias, attn_v.bias */
    llmbo_qk_norm qk_norm; /* attn_q_norm.weight, attn_k_norm.weight */
    int norm_topk;         /* renormalise the top-k router weights to sum 1 (unless the file's
                              expert_weights_norm says otherwise) */
    int think_block;  /* chat prompts end with an empty <think></think> unless thinking is on */
    int multipliers;  /* Granite: embedding_scale (times the embeddings), residual_scale (times
                         each block's output before it joins the residual), attention.scale (the
                         softmax scale instead of 1/sqrt(head size)), logit_scale (divides the
                         logits; required) */
    int mla;          /* DeepSeek-V2/V3 multi-head latent attention: q (plain or through a
                         q_lora_rank bottleneck), a shared latent c_kv (kv_lora_rank) and a
                         rotary key part (rope.dimension_count) are cached instead of K and V;
                         attn_k_b / attn_v_b expand the latent per head. Leading dense layers,
                         shared experts, sigmoid gating, grouped top-k and YaRN come from the
                         file's keys, which any MoE row reads */
    int fused_up;     /* Phi-3: ffn_up holds gate and up (2 n_ff rows, gate first), no ffn_gate */
    int gemma;        /* Gemma 1, 2 or 3 (the version): embeddings times sqrt(n_embd), GELU
                         (tanh form) instead of SiLU; from Gemma 2 on also post_attention_norm
                         and post_ffw_norm on each block's output, sliding-window attention on
                         all layers but every sliding_window_pattern-th (with rope.freq_base_swa
                         there; Gemma 3 without RoPE scaling), final_logit_softcapping; Gemma 2
                         also soft-caps the attention scores (attn_logit_softcapping) and has
                         llama.cpp's defaults: window 4096, pattern 2, caps 50 and 30 */
    int post_norms;   /* 1 OLMo 2 / Olmo 3, 2 EXAONE 4: no norms before attention and FFN; each
                         block's output is RMS-normed (post_attention_norm, post_ffw_norm) before
                         it joins the residual. 3 GLM-4: the same post-norms after the usual
                         pre-norms. The sliding window: every
                         sliding_window_pattern-th layer (4 unless the file says) is global, the
                         others slide. Olmo 3 (when the file has attention.sliding_window): the
                         sliding layers at the global RoPE base without RoPE scaling. EXAONE 4
                         (as llama.cpp, only the 64-layer 32B: window 4096 unless the file says):
                         the sliding layers with the global RoPE, the global layers without RoPE */
    int nope_step;    /* SmolLM3: every nope_step-th layer (il + 1 a multiple) has no RoPE */
    int oai;          /* gpt-oss (llama.cpp's openai-moe): per-head attention sinks (a logit with no
                         value in each softmax's denominator), biases on attn_output, the router
                         and every expert's gate, up and down, the router's top-k logits softmaxed
                         among themselves, SwiGLU clamped (gate at most 7, up within [-7, 7],
                         gate sigmoid(1.702 gate) (up + 1)), the FFN's pre-norm stored as
                         post_attention_norm, and a sliding window (attention.sliding_window,
                         required) on every second layer from the first, at the global RoPE */
    int rope_alpha;   /* Hunyuan: the RoPE base times alpha^(d / (d - 2)) for the file's
                         rope.scaling.alpha (NTK-aware scaling; 0 or absent: none), as llama.cpp's
                         Hunyuan graphs, the only ones that read the key */
    double rope_base; /* rope.freq_base when the file does not say */
    double norm_eps;  /* attention.layer_norm_rms_epsilon when the file does not say */
} llmbo_arch_def;

/* The row named name[0..n), or NULL. */
const llmbo_arch_def *llmbo_arch_find(const char *name, size_t n);
/* The table's names, "qwen2, qwen3, ...", into buf (cut at size bytes, always terminated), for
 * messages and usage texts. Returns buf. */
const char *llmbo_arch_list(char *buf, size_t size);

#endif
