/* fuzz_http_body.c: an HTTP answer body of the OpenAI chat-completions dialect (first byte
 * even) or the Anthropic Messages dialect (odd), with usage counts and reasoning fields. */
#include "fuzz.h"
#include "llm_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *body = fuzz_text(data + 1, size - 1);
    if (!body)
        return 0;
    llmbo_chat_reply r;
    llmbo_error err;
    memset(&r, 0, sizeof r);
    if (data[0] & 1)
        llmbo_anthropic_parse(body, &r, &err);
    else
        llmbo_openai_parse(body, &r, &err);
    llmbo_chat_reply_clear(&r);
    free(body);
    return 0;
}
