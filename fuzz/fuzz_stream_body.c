/* fuzz_stream_body.c: a streamed (server-sent events) answer body of the OpenAI chat-completions
 * dialect (first byte even) or the Anthropic Messages dialect (odd), fed to the stream decoder in
 * pieces whose sizes come from the second byte (a line, a CRLF or an event split across
 * pieces), then read into a reply with its usage. */
#include "fuzz.h"
#include "llm_impl.h"
#include "sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int anthropic = data[0] & 1;
    size_t step = (size_t)data[1] % 17 + 1;
    const char *body = (const char *)data + 2;
    size_t n = size - 2;
    llmbo_chat_reply r;
    llmbo_error err;
    memset(&r, 0, sizeof r);
    /* Whole at once, then in pieces of step bytes through the decoder the transport uses: both
     * must end the same way. */
    void (*init)(llmbo_chat_stream *) =
        anthropic ? llmbo_anthropic_stream_init : llmbo_openai_stream_init;
    llmbo_status whole = llmbo_chat_stream_parse(init, body, n, &r, &err);
    long tokens = r.prompt_tokens + r.completion_tokens;
    llmbo_chat_reply_clear(&r);
    llmbo_chat_stream cs;
    init(&cs);
    for (size_t i = 0; i < n; i += step)
        llmbo_chat_stream_feed(&cs, body + i, n - i < step ? n - i : step);
    llmbo_status pieces = llmbo_chat_stream_end(&cs, &r, &err);
    llmbo_chat_stream_free(&cs);
    if (pieces != whole || (pieces == LLMBO_OK && r.prompt_tokens + r.completion_tokens != tokens))
        abort(); /* the decoder depends on how the body was cut */
    llmbo_chat_reply_clear(&r);
    return 0;
}
