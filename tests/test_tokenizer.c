/* test_tokenizer.c: the byte-level BPE tokenizer against the Python reference in
 * tests/ref_forward.py (pre-tokenizer as a `re` pattern with Unicode classes from unicodedata,
 * plain rank-ordered BPE) on a generated vocabulary, for the qwen2 (also as deepseek-r1-qwen),
 * llama3 (whole-piece tokens not merged; also as falcon3, and as smaug-bpe with merges),
 * deepseek-v3 (three staged patterns), deepseek-llm (six staged patterns), deepseek-coder (five),
 * refact (digits apart, then gpt2; also as smollm), default (llama.cpp's four patterns for a file
 * that names no pre-tokenizer), gpt-4o and tekken (the case classes of their tokenizer.json) and
 * gpt2 (olmo) pre-tokenizers: identical ids on texts with
 * contractions, digits, multi-byte UTF-8 (accents, CJK, Cyrillic, emoji), whitespace runs, newlines
 * and special tokens; decode(encode(s)) == s. */
#include "check.h"
#include "engine_util.h"
#include "gguf.h"
#include "tokenizer.h"
#include "llmbo_common.h"

/* Long single pieces (filled in main): the merge loop is a heap over adjacent pairs; these runs
 * give it long chains of equal-rank merges and many stale candidates. */
static char run_spaces[712], run_letters[604], run_words[604], run_emoji[604], run_mixed[604];

static const char *const texts[] = {
    run_spaces,
    run_letters,
    run_words,
    run_emoji,
    run_mixed,
    "Hello world",
    "I'm here, you're there; we'll see. It's OK",
    "I'M SHOUTING 'LL 'Re 'x",
    "The learning rate is 0.5 and batch 2024!! 1234567",
    "r\xc3\xa9sum\xc3\xa9 na\xc3\xafve caf\xc3\xa9 \xc3\xbc"
    "ber stra\xc3\x9f"
    "e",
    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83"
    "\x88 \xe4\xb8\xad\xe6\x96\x87 \xd0\xb4\xd0\xb0\xd0\xbd\xd0\xbd\xd1\x8b\xd0\xb5",
    "emoji\xf0\x9f\x99\x82\xf0\x9f\x99\x82 x1 x2",
    "{\"points\": [{\"x1\": 0.5, \"x2\": -3.75}]}",
    "line1\n\nline2\r\n  indented\t\ttabs   \n",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
    "   leading spaces and trailing   ",
    "a\xc2\xa0"
    "b\xe3\x80\x80"
    "c",
    "\xd9\xa1\xd9\xa2\xd9\xa3 \xe2\x85\xab \xc2\xbd",
    "((hello)) --world-- .... ?!x",
    "~/path ~~x~~ a~b $5+3=8 ^_^ `cmd` |pipe| \xe2\x86\x92 \xe2\x88\x91",
    "12345 \xe4\xb8\xad\xe6\x96\x87\xe3\x81\x8b\xe3\x82\xab\xe6\xbc\xa2 x\xcc\x81y .abc ,Abc "
    "\xc2\xbd",
    " \n \n\n x",
    /* deepseek-llm's classes: Greek, fullwidth forms, Hangul, Devanagari (inside its 0800-4E00
     * range), curly quotes, ideographic space, a letter outside its list (U+01BB), digits. */
    "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac "
    "\xef\xbc\xa6\xef\xbd\x95\xef\xbc\x8c"
    "\xef\xbd\x97 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
    "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d "
    "\xe2\x80\x98q\xe2\x80\x99 \xe3\x80\x80x \xc6\xbb"
    "b 42x7 \xd9\xa1\xd9\xa2  \n  ",
    "",
};
#define N_TEXTS ((int)(sizeof texts / sizeof texts[0]))

static void check_model(const char *arch, const char *extra, const char *expect_pre)
{
    char ex[256];
    snprintf(ex, sizeof ex, "--merges 300 %s", extra);
    const char *path = eu_model(arch, "f32", ex);
    CHECK(path != NULL, "%s model written", arch);
    if (!path)
        return;
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    CHECK_OK(llmbo_gguf_open(path, &g, &err));
    if (!g)
        return;
    CHECK_OK(llmbo_tokenizer_create(g, &tok, &err));
    if (!tok) {
        llmbo_gguf_close(g);
        return;
    }
    CHECK(strcmp(llmbo_tokenizer_pre(tok), expect_pre) == 0, "%s uses the %s pre-tokenizer", arch,
          llmbo_tokenizer_pre(tok));
    /* Texts, NUL-separated, for the reference. */
    char tf[600], cmd[2000];
    snprintf(tf, sizeof tf, "%s.texts", path);
    FILE *f = fopen(tf, "wb");
    for (int i = 0; i < N_TEXTS; i++)
        fwrite(texts[i], 1, strlen(texts[i]) + (i + 1 < N_TEXTS), f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref_forward.py' tokenize '%s' '%s'", eu_python(),
             eu_src(), path, tf);
    FILE *p = popen(cmd, "r");
    char line[16384];
    for (int i = 0; i < N_TEXTS; i++) {
        int32_t *ids = NULL;
        int n = 0, cap = 0;
        CHECK_OK(llmbo_tokenizer_encode(tok, texts[i], strlen(texts[i]), 1, &ids, &n, &cap, &err));
        char mine[16384];
        mine[0] = 0;
        size_t o = 0;
        for (int k = 0; k < n; k++)
            o += (size_t)snprintf(mine + o, sizeof mine - o, "%s%d", k ? "," : "", (int)ids[k]);
        if (!p || !fgets(line, sizeof line, p))
            line[0] = 0;
        line[strcspn(line, "\n")] = 0;
        CHECK(strcmp(mine, line) == 0, "%s text %d: engine [%s] reference [%s]", arch, i, mine,
              line);
        /* Round trip through the token pieces. */
        char back[4096];
        size_t bn = 0;
        for (int k = 0; k < n; k++) {
            size_t len;
            const char *s = llmbo_tokenizer_piece(tok, ids[k], &len);
            memcpy(back + bn, s, len);
            bn += len;
        }
        CHECK(bn == strlen(texts[i]) && memcmp(back, texts[i], bn) == 0,
              "%s text %d decodes back to itself", arch, i);
        llmbo_free(ids);
    }
    CHECK(p && pclose(p) == 0, "%s reference tokenizer ran", arch);
    /* Merges shorten text; specials are single tokens only when parsed. */
    int32_t *ids = NULL;
    int n = 0, cap = 0;
    const char *s = "<|im_end|>";
    CHECK_OK(llmbo_tokenizer_encode(tok, s, strlen(s), 1, &ids, &n, &cap, &err));
    CHECK(n == 1 && ids[0] == llmbo_tokenizer_find(tok, "<|im_end|>") &&
              llmbo_tokenizer_is_eog(tok, ids[0]) && llmbo_tokenizer_is_special(tok, ids[0]),
          "<|im_end|> is one special end-of-generation token");
    n = 0;
    CHECK_OK(llmbo_tokenizer_encode(tok, s, strlen(s), 0, &ids, &n, &cap, &err));
    CHECK(n > 1, "<|im_end|> without special parsing is plain text (%d tokens)", n);
    llmbo_free(ids);
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

/* The 480 strings of tests/tokenizer_corpus.py through the pre-tokenizers that no npm package has
 * a real vocabulary for (deepseek-llm: DeepSeek-V2; refact: Granite 3.x), against the Python
 * reference's `re` patterns, on a generated vocabulary. */
static void corpus_vs_reference(const char *pre)
{
    char extra[128], hex[600], txt[600], cmd[2400];
    snprintf(extra, sizeof extra, "--merges 300 --pre %s", pre);
    const char *path = eu_model("qwen3", "f32", extra);
    snprintf(hex, sizeof hex, "%s/corpus_%s.hex", eu_tmpdir(), pre);
    snprintf(txt, sizeof txt, "%s/corpus_%s.txt", eu_tmpdir(), pre);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tokenizer_corpus.py' hex > '%s'", eu_python(),
             eu_src(), hex);
    CHECK(path && system(cmd) == 0, "%s: model and corpus written", pre);
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    if (!path || llmbo_gguf_open(path, &g, &err) || llmbo_tokenizer_create(g, &tok, &err)) {
        CHECK(0, "%s: tokenizer: %s", pre, err.msg);
        llmbo_gguf_close(g);
        return;
    }
    /* hex lines -> NUL-separated texts for the reference, and kept for the engine */
    FILE *in = fopen(hex, "r"), *out = fopen(txt, "wb");
    static char corpus[480][2048];
    static size_t lens[480];
    char line[4200];
    int n = 0;
    while (in && out && n < 480 && fgets(line, sizeof line, in)) {
        size_t L = strcspn(line, "\n") / 2;
        for (size_t i = 0; i < L && i < sizeof corpus[0]; i++) {
            unsigned v = 0;
            sscanf(line + 2 * i, "%2x", &v);
            corpus[n][i] = (char)v;
        }
        lens[n] = L < sizeof corpus[0] ? L : sizeof corpus[0];
        if (n)
            fputc(0, out);
        fwrite(corpus[n], 1, lens[n], out);
        n++;
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    CHECK(n == 480, "%s: 480 corpus strings read (%d)", pre, n);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref_forward.py' tokenize '%s' '%s'", eu_python(),
             eu_src(), path, txt);
    FILE *p = popen(cmd, "r");
    int same = 0, first_bad = -1;
    static char ref[65536], mine[65536];
    for (int i = 0; i < n; i++) {
        int32_t *ids = NULL;
        int m = 0, cap = 0;
        size_t o = 0;
        mine[0] = 0;
        if (llmbo_tokenizer_encode(tok, corpus[i], lens[i], 1, &ids, &m, &cap, &err) == LLMBO_OK)
            for (int k = 0; k < m && o + 16 < sizeof mine; k++)
                o += (size_t)snprintf(mine + o, sizeof mine - o, "%s%d", k ? "," : "", (int)ids[k]);
        llmbo_free(ids);
        if (!p || !fgets(ref, sizeof ref, p))
            ref[0] = 0;
        ref[strcspn(ref, "\n")] = 0;
        if (strcmp(mine, ref) == 0)
            same++;
        else if (first_bad < 0)
            first_bad = i;
    }
    CHECK(p && pclose(p) == 0, "%s: reference tokenizer ran", pre);
    CHECK(same == n,
          "%s: %d of %d corpus strings tokenized as the reference (first difference: "
          "string %d)",
          pre, same, n, first_bad);
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

/* The SentencePiece tokenizer (tokenizer.ggml.model "llama") against the sentencepiece library:
 * tests/spm_reference.py trains a BPE model with the options of Llama's tokenizer.model (byte
 * fallback for the 2 % rarest characters, whitespace-only pieces, digits split), gguf_writer.py
 * writes its pieces, scores and types as llama.cpp's converter does, and every string of the corpus
 * and of texts[] must give the library's ids (no BOS; special tokens not parsed, as the library
 * never parses them). The pieces of the ids must spell the text back, after the prefixed space.
 * noprefix: a model trained without the dummy prefix, written with add_space_prefix false. */
static void check_spm(int noprefix)
{
    const char *tag = noprefix ? "sentencepiece (no space prefix)" : "sentencepiece";
    char model[600], hex[600], ref[600], extra[800], cmd[2400];
    snprintf(model, sizeof model, "%s/spm%d.model", eu_tmpdir(), noprefix);
    snprintf(hex, sizeof hex, "%s/spm%d.hex", eu_tmpdir(), noprefix);
    snprintf(ref, sizeof ref, "%s/spm%d.ref", eu_tmpdir(), noprefix);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/spm_reference.py' train '%s'%s", eu_python(),
             eu_src(), model, noprefix ? " noprefix" : "");
    CHECK(system(cmd) == 0, "%s: model trained by the sentencepiece library", tag);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tokenizer_corpus.py' hex > '%s'", eu_python(),
             eu_src(), hex);
    CHECK(system(cmd) == 0, "%s: corpus written", tag);
    FILE *f = fopen(hex, "a");
    for (int i = 0; f && i < N_TEXTS; i++) {
        for (const unsigned char *c = (const unsigned char *)texts[i]; *c; c++)
            fprintf(f, "%02x", *c);
        if (texts[i][0])
            fputc('\n', f);
    }
    if (f)
        fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/spm_reference.py' encode '%s' '%s' > '%s'",
             eu_python(), eu_src(), model, hex, ref);
    CHECK(system(cmd) == 0, "%s: reference ids written", tag);
    snprintf(extra, sizeof extra, "--spm-model '%s' --embd 32 --heads 2 --kv-heads 1 --ff 32",
             model);
    const char *path = eu_model("llama", "f32", extra);
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    if (!path || llmbo_gguf_open(path, &g, &err) || llmbo_tokenizer_create(g, &tok, &err)) {
        CHECK(0, "%s: tokenizer: %s", tag, err.msg);
        llmbo_gguf_close(g);
        return;
    }
    CHECK(strcmp(llmbo_tokenizer_pre(tok), "sentencepiece") == 0 && llmbo_tokenizer_add_bos(tok) &&
              llmbo_tokenizer_bos(tok) == 1 && llmbo_tokenizer_eos(tok) == 2,
          "%s: the vocabulary type, BOS 1 (added) and EOS 2 are read", tag);
    FILE *fh = fopen(hex, "r"), *fr = fopen(ref, "r");
    static char line[8192], want[65536], mine[65536], text[4096], back[8192], expect[4100];
    int total = 0, same = 0, spelled = 0, first_bad = -1;
    while (fh && fr && fgets(line, sizeof line, fh)) {
        size_t L = strcspn(line, "\n") / 2;
        for (size_t i = 0; i < L && i < sizeof text; i++) {
            unsigned v = 0;
            sscanf(line + 2 * i, "%2x", &v);
            text[i] = (char)v;
        }
        L = L < sizeof text ? L : sizeof text;
        if (!fgets(want, sizeof want, fr))
            want[0] = 0;
        want[strcspn(want, "\n")] = 0;
        int32_t *ids = NULL;
        int m = 0, cap = 0;
        size_t o = 0, b = 0;
        mine[0] = 0;
        if (llmbo_tokenizer_encode(tok, text, L, 0, &ids, &m, &cap, &err) == LLMBO_OK)
            for (int k = 0; k < m && o + 16 < sizeof mine; k++) {
                o += (size_t)snprintf(mine + o, sizeof mine - o, "%s%d", k ? " " : "", (int)ids[k]);
                size_t pl;
                const char *pc = llmbo_tokenizer_piece(tok, ids[k], &pl);
                if (b + pl < sizeof back) {
                    memcpy(back + b, pc, pl);
                    b += pl;
                }
            }
        llmbo_free(ids);
        total++;
        if (strcmp(mine, want) == 0)
            same++;
        else if (first_bad < 0) {
            first_bad = total - 1;
            printf("  %s: string %d (%.*s): llmbo [%.200s] sentencepiece [%.200s]\n", tag,
                   first_bad, (int)(L > 60 ? 60 : L), text, mine, want);
        }
        /* The text spelled back: a space first (the prefix), and a U+2581 in the text comes back
         * as the space it stands for in the vocabulary (as in llama.cpp). */
        size_t e = 0;
        if (!noprefix)
            expect[e++] = ' ';
        for (size_t i = 0; i < L;)
            if (i + 3 <= L && memcmp(text + i, "\xe2\x96\x81", 3) == 0) {
                expect[e++] = ' ';
                i += 3;
            } else {
                expect[e++] = text[i++];
            }
        spelled += b == e && memcmp(back, expect, e) == 0;
    }
    if (fh)
        fclose(fh);
    if (fr)
        fclose(fr);
    CHECK(total >= 480 + N_TEXTS - 1 && same == total,
          "%s: %d of %d strings tokenized as the sentencepiece library (first difference: %d)", tag,
          same, total, first_bad);
    CHECK(spelled == total, "%s: the pieces spell %d of %d strings back", tag, spelled, total);
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

/* Files named for Phi-3 get llama.cpp's right-strip of whitespace after special tokens (the
 * models' tokenizer.json says rstrip), except after <|endoftext|>; other files keep it. */
static void check_rstrip(void)
{
    static const char *const names[2] = {"'general.name=str:Phi 3 mini (Phi3)'",
                                         "'general.name=str:Qwen 3'"};
    for (int k = 0; k < 2; k++) {
        char extra[200];
        snprintf(extra, sizeof extra, "--merges 300 --chat-tokens phi3 --set %s", names[k]);
        const char *path = eu_model("qwen3", "f32", extra);
        llmbo_gguf *g = NULL;
        llmbo_tokenizer *tok = NULL;
        llmbo_error err = {0};
        if (!path || llmbo_gguf_open(path, &g, &err) || llmbo_tokenizer_create(g, &tok, &err)) {
            CHECK(0, "rstrip model %d: %s", k, err.msg);
            llmbo_gguf_close(g);
            continue;
        }
        static const char *const txt[3] = {"<|user|>\n \tHi<|end|>\n<|assistant|>\n",
                                           "<|user|>Hi<|end|><|assistant|>", "<|endoftext|> x"};
        char got[3][256];
        for (int i = 0; i < 3; i++) {
            int32_t *ids = NULL;
            int n = 0, cap = 0;
            CHECK_OK(llmbo_tokenizer_encode(tok, txt[i], strlen(txt[i]), 1, &ids, &n, &cap, &err));
            eu_join(ids, n, got[i], sizeof got[i]);
            if (i == 2)
                CHECK(n >= 2 && ids[1] != llmbo_tokenizer_find(tok, "x"),
                      "the space after <|endoftext|> is kept (%s)", got[i]);
            llmbo_free(ids);
        }
        CHECK((strcmp(got[0], got[1]) == 0) == (k == 0),
              "%s: whitespace after special tokens %s ([%s] vs [%s])", names[k],
              k == 0 ? "dropped" : "kept", got[0], got[1]);
        llmbo_tokenizer_free(tok);
        llmbo_gguf_close(g);
    }
}

static void fill(char *dst, size_t cap, const char *unit)
{
    size_t u = strlen(unit), o = 0;
    while (o + u < cap - 8) {
        memcpy(dst + o, unit, u);
        o += u;
    }
    memcpy(dst + o, "end", 4);
}

/* Without tokenizer.ggml.add_bos_token a tekken vocabulary adds its BOS (llama.cpp's default for
 * it), others do not. */
static void check_add_bos_default(const char *pre, int want)
{
    char extra[256];
    snprintf(extra, sizeof extra,
             "--merges 50 --pre %s --set tokenizer.ggml.bos_token_id=u32:0 "
             "--unset tokenizer.ggml.add_bos_token",
             pre);
    const char *path = eu_model("qwen3", "f32", extra);
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    CHECK(path && llmbo_gguf_open(path, &g, &err) == LLMBO_OK &&
              llmbo_tokenizer_create(g, &tok, &err) == LLMBO_OK,
          "%s vocabulary without add_bos_token: %s", pre, err.msg);
    if (tok)
        CHECK(llmbo_tokenizer_add_bos(tok) == want, "%s: BOS added %d (want %d)", pre,
              llmbo_tokenizer_add_bos(tok), want);
    /* GLM-4 has none at all (its template opens with [gMASK]<sop>), as in llama.cpp */
    if (tok && !strcmp(pre, "glm4"))
        CHECK(llmbo_tokenizer_bos(tok) == -1, "glm4: no BOS token (%d)", llmbo_tokenizer_bos(tok));
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

/* The tokens a file names as end of turn / end of message end generation (GLM-4: <|user|>,
 * <|observation|>); an ordinary token is no end. */
static void check_eot_keys(void)
{
    const char *path = eu_model("qwen3", "f32",
                                "--merges 50 --set tokenizer.ggml.eot_token_id=u32:70 "
                                "--set tokenizer.ggml.eom_token_id=u32:71");
    llmbo_gguf *g = NULL;
    llmbo_tokenizer *tok = NULL;
    llmbo_error err = {0};
    CHECK(path && llmbo_gguf_open(path, &g, &err) == LLMBO_OK &&
              llmbo_tokenizer_create(g, &tok, &err) == LLMBO_OK,
          "vocabulary with eot/eom ids: %s", err.msg);
    if (tok)
        CHECK(llmbo_tokenizer_is_eog(tok, 70) && llmbo_tokenizer_is_eog(tok, 71) &&
                  !llmbo_tokenizer_is_eog(tok, 72),
              "eot_token_id and eom_token_id end generation, token 72 does not");
    llmbo_tokenizer_free(tok);
    llmbo_gguf_close(g);
}

int main(void)
{
    fill(run_spaces, sizeof run_spaces, " ");
    fill(run_letters, sizeof run_letters, "a");
    fill(run_words, sizeof run_words, "the");
    fill(run_emoji, sizeof run_emoji, "\xf0\x9f\x99\x82");
    fill(run_mixed, sizeof run_mixed, "ab  \xc3\xa9\t");
    check_model("qwen3", "", "qwen2");
    check_model("olmoe", "", "gpt2");
    check_model("qwen3", "--pre deepseek-r1-qwen", "qwen2");
    check_model("qwen3", "--pre llama-bpe", "llama3");
    check_model("qwen3", "--pre deepseek-v3", "deepseek-v3");
    check_model("qwen3", "--pre deepseek-llm", "deepseek-llm");
    check_model("qwen3", "--pre refact", "refact");
    check_model("qwen3", "--pre smollm", "refact");
    check_model("qwen3", "--pre deepseek-coder", "deepseek-coder");
    check_model("qwen3", "--pre default", "default");
    check_model("qwen3", "--unset tokenizer.ggml.pre", "default");
    check_model("qwen3", "--pre falcon3", "llama3");
    check_model("qwen3", "--pre smaug-bpe", "llama3"); /* llama3's pattern, merges not ignored */
    check_model("qwen3", "--pre exaone4", "gpt2");
    check_model("qwen3", "--pre glm4", "llama3"); /* llama3's pattern, merges not ignored */
    check_model("qwen3", "--pre gpt-4o", "gpt-4o");
    check_model("qwen3", "--pre tekken", "tekken");
    corpus_vs_reference("deepseek-llm");
    corpus_vs_reference("refact");
    corpus_vs_reference("deepseek-coder");
    corpus_vs_reference("default");
    corpus_vs_reference("gpt-4o");
    corpus_vs_reference("tekken");
    check_add_bos_default("tekken", 1);
    check_add_bos_default("gpt-4o", 0);
    check_add_bos_default("glm4", 0);
    check_eot_keys();
    check_rstrip();
    check_spm(0);
    check_spm(1);
    eu_cleanup();
    return check_summary();
}
