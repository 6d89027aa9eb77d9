/* arch.c: the architecture table (see arch.h). */
#include <string.h>
#include "arch.h"
#include "names.h"

static const llmbo_arch_def archs[] = {
    /* name, moe, rope_norm, qkv_bias, qk_norm, norm_topk, think_block, multipliers, mla,
     * fused_up, gemma, post_norms, nope_step, oai, rope_base, norm_eps */
    {"qwen2", 0, 0, 1, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    {"qwen3", 0, 0, 0, LLMBO_QK_NORM_HEAD, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    {"qwen3moe", 1, 0, 0, LLMBO_QK_NORM_HEAD, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    {"olmoe", 1, 0, 0, LLMBO_QK_NORM_FULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    /* Qwen1.5-MoE-A2.7B, Qwen2-57B-A14B: qwen2's attention (q/k/v biases, NEOX RoPE), softmax
     * router with the top-k weights not renormalised, and a shared expert of its own width behind
     * a sigmoid gate (ffn_gate_inp_shexp). */
    {"qwen2moe", 1, 0, 1, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    /* Llama 1-3 and DeepSeek-R1-Distill-Llama; Mixtral is stored as llama with experts (softmax
     * router, top-k renormalised). Llama 3.1's rope_freqs.weight divides the frequencies. */
    {"llama", 2, 1, 0, LLMBO_QK_NORM_NONE, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-5},
    /* IBM Granite 3.x MoE (granite-3.0-1b-a400m, 3b-a800m): llama's attention and RoPE, softmax
     * router with the top-k renormalised, optional shared expert, and Granite's four scalar
     * multipliers. */
    {"granitemoe", 1, 1, 0, LLMBO_QK_NORM_NONE, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    /* IBM Granite 3.x dense (granite-3.x-2b/8b): granitemoe's attention and multipliers with a
     * dense SwiGLU (biases, which no Granite 3.x file has, are refused at load). */
    {"granite", 0, 1, 0, LLMBO_QK_NORM_NONE, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    /* DeepSeek-V2 / V2-Lite / V3 layout (llama.cpp's deepseek2, MLA with attn_k_b / attn_v_b):
     * RoPE on adjacent pairs of the rotary part only, top-k not renormalised unless the file says
     * expert_weights_norm. */
    {"deepseek2", 1, 1, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10000.0, 1e-6},
    /* Phi-3 / Phi-3.5 mini and medium: llama-like with NEOX RoPE, q/k/v fused in attn_qkv and
     * gate/up fused in ffn_up, LongRoPE's rope_factors_long/short (chosen by the context size
     * against the original one, as llama.cpp) and rope.scaling.attn_factor. The sliding window
     * some files declare is ignored, as llama.cpp d32676d does. */
    {"phi3", 0, 0, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 10000.0, 1e-5},
    /* Gemma 3 (270M-27B text; the norm weights carry Gemma's +1 in the file): NEOX RoPE, per-head
     * QK-norm, tied embeddings, and the behaviours of the gemma field. */
    {"gemma3", 0, 0, 0, LLMBO_QK_NORM_HEAD, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 10000.0, 1e-6},
    /* Gemma 1 (2B, 7B): the Gemma embedding scale and GELU, no post norms, no sliding window. */
    {"gemma", 0, 0, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 10000.0, 1e-6},
    /* Gemma 2 (2B, 9B, 27B): Gemma 3 without QK-norm, with soft-capped attention scores. */
    {"gemma2", 0, 0, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 10000.0, 1e-6},
    /* OLMo 2 (1B-32B) and Olmo 3 (7B, 32B, with a sliding window): post-norms only, QK-norm over
     * the whole q and k projections, NEOX RoPE, dense SwiGLU. */
    {"olmo2", 0, 0, 0, LLMBO_QK_NORM_FULL, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 10000.0, 1e-6},
    /* EXAONE 4.0 (1.2B, 32B): OLMo 2's post-norms with per-head QK-norm, NEOX RoPE. */
    {"exaone4", 0, 0, 0, LLMBO_QK_NORM_HEAD, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 10000.0, 1e-5},
    /* GLM-4-0414 and GLM-Z1 (9B, 32B): pre- and post-norms around attention and FFN, RoPE on
     * adjacent pairs of the first half of each head, gate and up fused in ffn_up, q/k/v biases. */
    {"glm4", 0, 1, 1, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 1, 0, 3, 0, 0, 0, 10000.0, 1e-5},
    /* SmolLM3 (3B): llama's layout and RoPE, with no RoPE on every fourth layer. */
    {"smollm3", 0, 1, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 10000.0, 1e-6},
    /* ERNIE 4.5 dense (Baidu's ERNIE-4.5-0.3B): llama's layout, RoPE on adjacent pairs, dense
     * SwiGLU, RMS norm (the optional attn_output bias, which the 0.3B files do not have, is
     * refused at load). */
    {"ernie4_5", 0, 1, 0, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-5},
    /* ERNIE 4.5 MoE (ERNIE-4.5-21B-A3B, 300B-A47B): ernie4_5's attention; experts on every
     * interleave_moe_layer_step-th layer after the leading dense ones, a softmax router with an
     * optional selection bias (exp_probs_b) and the top-k renormalised, an ungated shared
     * expert. */
    {"ernie4_5-moe", 1, 1, 0, LLMBO_QK_NORM_NONE, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10000.0, 1e-5},
    /* Tencent Hunyuan dense (0.5B, 1.8B, 4B, 7B): NEOX RoPE with the base raised by
     * rope.scaling.alpha (rope_alpha), per-head QK-norm after RoPE, dense SwiGLU. */
    {"hunyuan-dense", 0, 0, 0, LLMBO_QK_NORM_HEAD_ROPED, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 10000.0,
     1e-5},
    /* gpt-oss (20B, 120B): NEOX RoPE (YaRN from the file), q/k/v biases, and the behaviours of the
     * oai field. */
    {"gpt-oss", 1, 0, 1, LLMBO_QK_NORM_NONE, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 10000.0, 1e-5},
};

const llmbo_arch_def *llmbo_arch_find(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++)
        if (strlen(archs[i].name) == n && memcmp(archs[i].name, name, n) == 0)
            return &archs[i];
    return NULL;
}

const char *llmbo_arch_list(char *buf, size_t size)
{
    static const llmbo_names names = LLMBO_NAMES_OF(archs);
    return llmbo_names_list(&names, buf, size);
}
