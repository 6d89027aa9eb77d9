/* fuzz_tokenizer.c: text given to the local engine's tokenizer (prompts carry user-written
 * parameter names and descriptions, and an LLM's own answers): encoded with and without special
 * tokens against the vocabulary of fuzz/data/tokenizer.gguf (a generated qwen3 tokenizer). */
#include "fuzz.h"
#include "gguf.h"
#include "tokenizer.h"

static llmbo_gguf *g;
static llmbo_tokenizer *tok;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tok) {
        fuzz_scratch();
        const char *path = getenv("LLMBO_FUZZ_TOKENIZER");
        llmbo_error err;
        if (!path)
            path = LLMBO_FUZZ_DATA_DIR "/tokenizer.gguf";
        if (llmbo_gguf_open(path, &g, &err) != LLMBO_OK ||
            llmbo_tokenizer_create(g, &tok, &err) != LLMBO_OK) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err.msg);
            abort();
        }
    }
    int32_t *ids = NULL;
    int n = 0, cap = 0;
    llmbo_error err;
    llmbo_tokenizer_encode(tok, (const char *)data, size, 1, &ids, &n, &cap, &err);
    n = 0;
    llmbo_tokenizer_encode(tok, (const char *)data, size, 0, &ids, &n, &cap, &err);
    for (int i = 0; i < n; i++) {
        size_t len;
        (void)llmbo_tokenizer_piece(tok, ids[i], &len);
    }
    llmbo_free(ids);
    return 0;
}
