/* fuzz_tokenizer.c: text given to the local engine's tokenizers (prompts carry user-written
 * parameter names and descriptions, and an LLM's own answers): encoded with and without special
 * tokens against the vocabularies of fuzz/data/tokenizer.gguf (a generated qwen3 byte-level BPE
 * tokenizer), fuzz/data/tokenizer_spm.gguf (a SentencePiece BPE model trained by
 * tests/spm_reference.py), fuzz/data/tokenizer_gpt4o.gguf and tokenizer_tekken.gguf (generated
 * vocabularies naming the gpt-4o and tekken pre-tokenizers: cased words with backtracking).
 * LLMBO_FUZZ_TOKENIZER names another file to use instead of all four. */
#include "fuzz.h"
#include "gguf.h"
#include "tokenizer.h"

static llmbo_gguf *g[4];
static llmbo_tokenizer *tok[4];
static int n_tok;

static void open_tokenizer(const char *path)
{
    llmbo_error err;
    if (llmbo_gguf_open(path, &g[n_tok], &err) != LLMBO_OK ||
        llmbo_tokenizer_create(g[n_tok], &tok[n_tok], &err) != LLMBO_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, err.msg);
        abort();
    }
    n_tok++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!n_tok) {
        fuzz_scratch();
        const char *path = getenv("LLMBO_FUZZ_TOKENIZER");
        if (path) {
            open_tokenizer(path);
        } else {
            open_tokenizer(LLMBO_FUZZ_DATA_DIR "/tokenizer.gguf");
            open_tokenizer(LLMBO_FUZZ_DATA_DIR "/tokenizer_spm.gguf");
            open_tokenizer(LLMBO_FUZZ_DATA_DIR "/tokenizer_gpt4o.gguf");
            open_tokenizer(LLMBO_FUZZ_DATA_DIR "/tokenizer_tekken.gguf");
        }
    }
    for (int k = 0; k < n_tok; k++) {
        int32_t *ids = NULL;
        int n = 0, cap = 0;
        llmbo_error err;
        llmbo_tokenizer_encode(tok[k], (const char *)data, size, 1, &ids, &n, &cap, &err);
        n = 0;
        llmbo_tokenizer_encode(tok[k], (const char *)data, size, 0, &ids, &n, &cap, &err);
        for (int i = 0; i < n; i++) {
            size_t len;
            (void)llmbo_tokenizer_piece(tok[k], ids[i], &len);
        }
        llmbo_free(ids);
    }
    return 0;
}
