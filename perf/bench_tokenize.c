/* bench_tokenize.c: llmbo's tokenizer on a corpus, the llmbo side of the tokenizer tables in
 * perf/results/engine_formats.md (perf/peers/llama_tokenize.c is llama.cpp's side).
 *   bench_tokenize MODEL.gguf CORPUS.hex        ids of each hex-encoded string, one line each (no
 *                                               BOS, special tokens parsed), as llama_tokenize
 *   bench_tokenize MODEL.gguf --time FILE       seconds and token count of one encode of FILE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gguf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int encode_file(const llmbo_tokenizer *tok, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) {
        fprintf(stderr, "bench_tokenize: cannot read %s\n", path);
        return 1;
    }
    long n = ftell(f);
    rewind(f);
    char *s = malloc(n > 0 ? (size_t)n : 1);
    if (!s || fread(s, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_tokenize: cannot read %s\n", path);
        return 1;
    }
    fclose(f);
    int32_t *ids = NULL;
    int m = 0, cap = 0;
    llmbo_error err;
    double t0 = now();
    llmbo_status st = llmbo_tokenizer_encode(tok, s, (size_t)n, 1, &ids, &m, &cap, &err);
    double t1 = now();
    if (st)
        fprintf(stderr, "bench_tokenize: %s\n", err.msg);
    else
        printf("%ld bytes, %d tokens, %.3f s\n", n, m, t1 - t0);
    llmbo_free(ids);
    free(s);
    return st != LLMBO_OK;
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && !strcmp(argv[2], "--time"))) {
        fprintf(stderr, "usage: bench_tokenize MODEL.gguf CORPUS.hex | MODEL.gguf --time FILE\n");
        return 2;
    }
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err;
    if (llmbo_gguf_open(argv[1], &g, &err) || llmbo_tokenizer_create(g, &tok, &err)) {
        fprintf(stderr, "bench_tokenize: %s\n", err.msg);
        return 1;
    }
    int rc = 0;
    if (argc == 4) {
        rc = encode_file(tok, argv[3]);
    } else {
        FILE *f = fopen(argv[2], "r");
        char *line = NULL;
        size_t lcap = 0;
        ssize_t len;
        while (f && (len = getline(&line, &lcap, f)) > 0) {
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
            size_t n = (size_t)len / 2;
            char *s = malloc(n + 1);
            for (size_t i = 0; s && i < n; i++) {
                unsigned v = 0;
                sscanf(line + 2 * i, "%2x", &v);
                s[i] = (char)v;
            }
            int32_t *ids = NULL;
            int m = 0, cap = 0;
            if (s && llmbo_tokenizer_encode(tok, s, n, 1, &ids, &m, &cap, &err) != LLMBO_OK)
                rc = 1;
            for (int i = 0; i < m; i++)
                printf("%s%d", i ? " " : "", (int)ids[i]);
            printf("\n");
            llmbo_free(ids);
            free(s);
        }
        free(line);
        if (f)
            fclose(f);
        else
            rc = 1;
    }
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
    return rc;
}
