/* engine_util.h: helpers shared by the engine tests: run the Python model writer and numpy
 * reference (tests/gguf_writer.py, tests/ref_forward.py, with $LLMBO_PYTHON), temp paths. */
#ifndef LLMBO_ENGINE_UTIL_H
#define LLMBO_ENGINE_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char eu_dir[256];

static inline const char *eu_python(void)
{
    const char *p = getenv("LLMBO_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

static inline const char *eu_src(void)
{
    const char *p = getenv("LLMBO_SOURCE_DIR");
    return p && *p ? p : "..";
}

static inline const char *eu_tmpdir(void)
{
    if (!eu_dir[0]) {
        snprintf(eu_dir, sizeof eu_dir, "/tmp/llmbo_engine_test_XXXXXX");
        if (!mkdtemp(eu_dir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return eu_dir;
}

static inline void eu_cleanup(void)
{
    char cmd[512];
    if (!eu_dir[0])
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", eu_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", eu_dir);
}

/* Writes a model: returns its path in a static buffer rotation, or NULL on failure. */
static inline const char *eu_model(const char *arch, const char *type, const char *extra)
{
    static char paths[8][512];
    static int k;
    char *path = paths[k++ % 8], cmd[2048];
    snprintf(path, 512, "%s/%s_%s_%d.gguf", eu_tmpdir(), arch, type, k);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/gguf_writer.py' --arch %s --type %s --out '%s' %s",
             eu_python(), eu_src(), arch, type, path, extra ? extra : "");
    if (system(cmd) != 0) {
        fprintf(stderr, "model writer failed: %s\n", cmd);
        return NULL;
    }
    return path;
}

static inline void eu_join(const int *t, int n, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < n && o + 16 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%d", i ? "," : "", t[i]);
}

/* Reference forward: fills hidden (n_layer * n_embd) and logits (n_vocab). 0 on success. act NULL
 * keeps float64 activations; "llmbo" (or "ggml") rounds the input of every quantised-weight
 * product as that engine does (tests/ref_forward.py act_round). */
static inline int eu_ref_logits_act(const char *model, const int *toks, int n, const char *act,
                                    float *hidden, size_t n_hidden, float *logits, size_t n_vocab)
{
    char list[4096], out[600], cmd[6000];
    eu_join(toks, n, list, sizeof list);
    snprintf(out, sizeof out, "%s.ref%s%s.bin", model, act ? "." : "", act ? act : "");
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref_forward.py' logits '%s' %s '%s' %s", eu_python(),
             eu_src(), model, list, out, act ? act : "");
    if (system(cmd) != 0)
        return -1;
    FILE *f = fopen(out, "rb");
    if (!f)
        return -1;
    int ok = fread(hidden, sizeof(float), n_hidden, f) == n_hidden &&
             fread(logits, sizeof(float), n_vocab, f) == n_vocab;
    fclose(f);
    return ok ? 0 : -1;
}

static inline int eu_ref_logits(const char *model, const int *toks, int n, float *hidden,
                                size_t n_hidden, float *logits, size_t n_vocab)
{
    return eu_ref_logits_act(model, toks, n, NULL, hidden, n_hidden, logits, n_vocab);
}

/* Runs a command and reads comma-separated ints from its first output line. Returns count. */
static inline int eu_read_ints(const char *cmd, int *out, int cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char line[65536];
    int n = 0;
    if (fgets(line, sizeof line, p)) {
        char *s = line;
        while (*s && *s != '\n' && n < cap) {
            out[n++] = (int)strtol(s, &s, 10);
            if (*s == ',')
                s++;
        }
    }
    if (pclose(p) != 0)
        return -1;
    return n;
}

#endif
