/* fuzz_prices.c: a price file (the advisor's "price_file", same format as data/prices.json),
 * looked up for plain, vendor-prefixed and dated model names. */
#include "fuzz.h"
#include "llm_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch();
    const char *path = fuzz_write(0, dir, "prices.json", data, size);
    static const char *const models[] = {"gpt-4o", "openai/gpt-4o-mini", "deepseek-chat",
                                         "claude-3-5-sonnet-20241022", "m"};
    for (int i = 0; i < 5; i++) {
        llmbo_price p;
        llmbo_error err;
        if (llmbo_price_lookup(models[i], path, &p, &err) == LLMBO_OK)
            (void)llmbo_price_dollars(&p, 1000, 100, 50);
    }
    return 0;
}
