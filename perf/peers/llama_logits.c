/* llama_logits.c: llama.cpp's logits at the last position of a prompt, for the side-by-side
 * checks of docs/engine.md (the same file and prompt through `llmbo generate -n 0 --dump-logits`).
 * One thread, F32 KV cache, the whole prompt in one batch. Built by hand against a llama.cpp
 * checkout (never in CI):
 *   cc -O1 -I LLAMA/include -I LLAMA/ggml/include perf/peers/llama_logits.c -L LLAMA/build/bin \
 *      -lllama -lggml -lggml-base -Wl,-rpath,LLAMA/build/bin -o /tmp/llama_logits
 *   /tmp/llama_logits MODEL.gguf PROMPT OUT.f32 [N]  (writes n_vocab float32; with N, then
 *   generates up to N tokens greedily, stopping at an end-of-generation token, and prints them) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"

static void quiet(enum ggml_log_level level, const char *text, void *user)
{
    (void)user;
    if (level >= GGML_LOG_LEVEL_ERROR)
        fputs(text, stderr);
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: llama_logits MODEL.gguf PROMPT OUT.f32 [N]\n");
        return 2;
    }
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "llama_logits: %s did not load\n", argv[1]);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 256;
    cp.n_batch = 256;
    cp.n_ubatch = 256;
    cp.n_threads = cp.n_threads_batch = 1;
    cp.type_k = cp.type_v = GGML_TYPE_F32;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    llama_token toks[256];
    int n = llama_tokenize(vocab, argv[2], (int)strlen(argv[2]), toks, 256, 1, 1);
    if (!ctx || n <= 0 || llama_decode(ctx, llama_batch_get_one(toks, n))) {
        fprintf(stderr, "llama_logits: evaluation failed (%d tokens)\n", n);
        return 1;
    }
    int nv = llama_vocab_n_tokens(vocab);
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(llama_get_logits_ith(ctx, -1), sizeof(float), (size_t)nv, f) != (size_t)nv) {
        fprintf(stderr, "llama_logits: cannot write %s\n", argv[3]);
        return 1;
    }
    fclose(f);
    int gen = argc == 5 ? atoi(argv[4]) : 0;
    for (int i = 0; i < gen; i++) {
        const float *lg = llama_get_logits_ith(ctx, -1);
        llama_token best = 0;
        for (int v = 1; v < nv; v++)
            best = lg[v] > lg[best] ? v : best;
        if (llama_vocab_is_eog(vocab, best))
            break;
        char piece[256];
        int len = llama_token_to_piece(vocab, best, piece, sizeof piece, 0, 1);
        if (len > 0)
            fwrite(piece, 1, (size_t)len, stdout);
        if (llama_decode(ctx, llama_batch_get_one(&best, 1))) {
            fprintf(stderr, "llama_logits: decode failed after %d tokens\n", i);
            return 1;
        }
    }
    if (!gen)
        printf("%d tokens, %d logits\n", n, nv);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
