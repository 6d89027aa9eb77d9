/* llama_tokenize.c: llama.cpp's tokenizer over a corpus, for the side-by-side tokenizer tables
 * of perf/results/engine_formats.md. Reads a file of hex-encoded UTF-8 strings, one per line (the
 * form of `tests/tokenizer_corpus.py hex`), tokenizes each with the model's vocabulary (no BOS,
 * special tokens parsed: as test_tokenizer_real_slow calls llmbo) and prints the ids of each
 * string on one line, the form of tests/tokenize_hf.js. Only the vocabulary is loaded. Built by
 * hand against a llama.cpp checkout (never in CI):
 *   cc -O1 -I LLAMA/include -I LLAMA/ggml/include perf/peers/llama_tokenize.c -L LLAMA/build/bin \
 *      -lllama -lggml -lggml-base -Wl,-rpath,LLAMA/build/bin -o /tmp/llama_tokenize
 *   /tmp/llama_tokenize MODEL.gguf CORPUS.hex > IDS.txt */
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
    if (argc != 3) {
        fprintf(stderr, "usage: llama_tokenize MODEL.gguf CORPUS.hex\n");
        return 2;
    }
    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = 1;
    struct llama_model *model = llama_model_load_from_file(argv[1], mp);
    FILE *f = fopen(argv[2], "r");
    if (!model || !f) {
        fprintf(stderr, "llama_tokenize: cannot read %s or %s\n", argv[1], argv[2]);
        return 1;
    }
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        size_t n = (size_t)len / 2;
        char *s = malloc(n + 1);
        for (size_t i = 0; i < n; i++) {
            unsigned v = 0;
            sscanf(line + 2 * i, "%2x", &v);
            s[i] = (char)v;
        }
        int m = 4 * (int)n + 16;
        llama_token *t = malloc((size_t)m * sizeof *t);
        int k = llama_tokenize(vocab, s, (int)n, t, m, 0, 1);
        for (int i = 0; i < k; i++)
            printf("%s%d", i ? " " : "", (int)t[i]);
        printf("\n");
        free(t);
        free(s);
    }
    free(line);
    fclose(f);
    llama_model_free(model);
    return 0;
}
