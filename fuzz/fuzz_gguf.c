/* fuzz_gguf.c: a GGUF model file: header, metadata and tensor table read from memory, the
 * tokenizer built from its vocabulary, then the same bytes opened as a model by the engine (a
 * small context, one thread). */
#include "fuzz.h"
#include "gguf.h"
#include "tokenizer.h"
#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch();
    llmbo_gguf *g = NULL;
    llmbo_error err;
    if (llmbo_gguf_open_buffer(data, size, &g, &err) != LLMBO_OK)
        return 0;
    llmbo_tokenizer *tok = NULL;
    if (llmbo_tokenizer_create(g, &tok, &err) == LLMBO_OK) {
        int32_t *ids = NULL;
        int n = 0, cap = 0;
        llmbo_tokenizer_encode(tok, "<|im_start|>user\nhi there 123<|im_end|>", 39, 1, &ids, &n,
                               &cap, &err);
        llmbo_free(ids);
        llmbo_tokenizer_free(tok);
    }
    llmbo_gguf_close(g);
    const char *path = fuzz_write(0, dir, "model.gguf", data, size);
    llmbo_engine_options opt;
    llmbo_engine_options_default(&opt);
    opt.n_ctx = 32;
    opt.n_threads = 1;
    opt.n_batch = 4;
    llmbo_engine *eng = NULL;
    if (llmbo_engine_open(path, &opt, &eng, &err) == LLMBO_OK)
        llmbo_engine_free(eng);
    return 0;
}
