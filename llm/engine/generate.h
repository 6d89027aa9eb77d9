/* generate.h: text generation on top of the engine: chat prompt formatting (ChatML; Qwen3's empty
 * <think></think> block when thinking is off), sampling (greedy, temperature, top-k, top-p,
 * seeded), stop strings and end-of-generation tokens, a token budget for <think> reasoning, and
 * decoding constrained to a JSON answer format (constrain.h) where forced runs of text are appended
 * without sampling and evaluated in one batched pass. */
#ifndef LLMBO_GENERATE_H
#define LLMBO_GENERATE_H

#include <stdint.h>
#include "constrain.h"
#include "engine.h"

typedef struct llmbo_gen_options {
    int max_tokens;     /* sampled tokens of free text / reasoning; <= 0: 256 */
    double temperature; /* <= 0: greedy */
    int top_k;          /* <= 0: no top-k cut */
    double top_p;       /* >= 1 or <= 0: no nucleus cut */
    uint64_t seed;
    const char *const *stop; /* stop strings (free text), may be NULL */
    int n_stop;
    int think_budget;         /* >= 0: generation starts inside <think> (gpt-oss: the analysis
                                 channel); at most this many tokens of reasoning before "</think>"
                                 (gpt-oss: <|end|> and the final channel's header) is forced;
                                 < 0: no reasoning */
    const llmbo_cons *format; /* NULL: free text */
    float *first_logits;      /* if non-NULL, (n_vocab) logits of the last prompt position */
} llmbo_gen_options;

void llmbo_gen_options_default(llmbo_gen_options *o);

typedef struct llmbo_gen_result {
    char *text;      /* owned (llmbo_free): the answer */
    char *reasoning; /* owned: text inside <think>...</think>, or NULL */
    int n_prompt;    /* prompt tokens */
    int n_processed; /* prompt tokens actually evaluated (the rest came from the cache) */
    int n_sampled;   /* tokens chosen by sampling */
    int n_forced;    /* tokens appended without sampling (constrained literals, forced </think>) */
    int n_reasoning; /* tokens inside the think block */
    int n_evals;     /* forward passes (batched passes count once) */
    int hit_limit;   /* 1 if max_tokens (or the context) ended free text early */
} llmbo_gen_result;

void llmbo_gen_result_clear(llmbo_gen_result *r);

/* Generates a continuation of prompt (token ids). On success fills *r (the caller clears it). */
llmbo_status llmbo_generate(llmbo_engine *eng, const int32_t *prompt, int n_prompt,
                            const llmbo_gen_options *opt, llmbo_gen_result *r, llmbo_error *err);

/* Formats a chat (roles "system", "user", "assistant") into prompt text with the model's template
 * and the assistant header appended. think: for Qwen3-family models, 0 appends the empty
 * "<think>\n\n</think>\n\n" block (thinking off), 1 leaves the model to think. Owned result. */
llmbo_status llmbo_chat_format(const llmbo_engine *eng, const char *const *roles,
                               const char *const *contents, int n, int think, char **out,
                               llmbo_error *err);

/* Tokenises prompt text (special tokens parsed, BOS prepended when the model asks for it). */
llmbo_status llmbo_engine_tokenize(llmbo_engine *eng, const char *text, int32_t **ids, int *n,
                                   llmbo_error *err);

#endif
