/* tokenizer.h: byte-level BPE tokenizer read from GGUF metadata (tokenizer.ggml.model = "gpt2":
 * tokens, merges, token types, BOS/EOS ids) with the pre-tokenizer named by tokenizer.ggml.pre
 * (qwen2, llama3, or the GPT-2 pattern for gpt2/olmo), special tokens matched in the text, and
 * decoding of ids back to bytes. */
#ifndef LLMBO_TOKENIZER_H
#define LLMBO_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>
#include "llmbo.h"
#include "gguf.h"

typedef struct llmbo_tokenizer llmbo_tokenizer;

llmbo_status llmbo_tokenizer_create(const llmbo_gguf *g, llmbo_tokenizer **out, llmbo_error *err);
void llmbo_tokenizer_free(llmbo_tokenizer *tok);

int llmbo_tokenizer_n_vocab(const llmbo_tokenizer *tok);
int llmbo_tokenizer_bos(const llmbo_tokenizer *tok);     /* -1 if none */
int llmbo_tokenizer_eos(const llmbo_tokenizer *tok);     /* -1 if none */
int llmbo_tokenizer_add_bos(const llmbo_tokenizer *tok); /* tokenizer.ggml.add_bos_token */
/* 1 for control / user-defined tokens (matched as a whole, never produced by BPE merges). */
int llmbo_tokenizer_is_special(const llmbo_tokenizer *tok, int id);
/* 1 for tokens that end generation (EOS, <|im_end|>, <|endoftext|>, ...). */
int llmbo_tokenizer_is_eog(const llmbo_tokenizer *tok, int id);
/* The bytes of token id (special tokens: their literal text). Not NUL-terminated. */
const char *llmbo_tokenizer_piece(const llmbo_tokenizer *tok, int id, size_t *len);
/* The id of the token whose text (as stored, e.g. "<|im_end|>") equals s, or -1. */
int llmbo_tokenizer_find(const llmbo_tokenizer *tok, const char *s);
/* Name of the pre-tokenizer in use. */
const char *llmbo_tokenizer_pre(const llmbo_tokenizer *tok);

/* Appends the tokens of text[0..len) to *ids (realloc'ed through llmbo_realloc; *n and *cap are
 * updated). parse_special: 1 to recognise special tokens' text in the input. */
llmbo_status llmbo_tokenizer_encode(const llmbo_tokenizer *tok, const char *text, size_t len,
                                    int parse_special, int32_t **ids, int *n, int *cap,
                                    llmbo_error *err);
/* Pre-tokenizer alone: calls fn for each piece [start, end) of text (for tests). */
void llmbo_tokenizer_split(const llmbo_tokenizer *tok, const char *text, size_t len,
                           void (*fn)(void *ctx, size_t start, size_t end), void *ctx);

#endif
