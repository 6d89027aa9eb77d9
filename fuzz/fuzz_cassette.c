/* fuzz_cassette.c: a replay cassette (JSON Lines of recorded answers and errors). The harness
 * replaces every "HASHHASHHASHHASH" in the input by the hash of its fixed request, so recorded
 * replies and errors are found and read, not only the line syntax. */
#include <cJSON.h>
#include "fuzz.h"
#include "backend.h"
#include "llm_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_scratch();
    llmbo_chat_message m = {"user", "Rank the candidates."};
    llmbo_chat_request req = {&m, 1, -1, -1, 0, 3, NULL, 0, NULL, 0, NULL, NULL, 0};
    char hex[17];
    llmbo_error err;
    if (llmbo_request_hash("m", &req, hex, &err) != LLMBO_OK)
        return 0;
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    for (char *p = strstr(text, "HASHHASHHASHHASH"); p; p = strstr(p + 16, "HASHHASHHASHHASH"))
        memcpy(p, hex, 16);
    const char *path = fuzz_write(0, dir, "cassette.jsonl", text, size);
    free(text);
    char cfg[700];
    snprintf(cfg, sizeof cfg, "{\"backend\": \"replay\", \"model\": \"m\", \"cassette\": \"%s\"}",
             path);
    cJSON *j = cJSON_Parse(cfg);
    llmbo_backend_config bc = {j, "run.json: advisor", "m", NULL};
    llmbo_backend b = {llmbo_backend_find("replay"), NULL};
    if (b.vt && b.vt->create(&bc, &b.state, &err) == LLMBO_OK) {
        for (int i = 0; i < 3; i++) {
            llmbo_chat_reply r;
            memset(&r, 0, sizeof r);
            b.vt->complete(b.state, &req, &r, &err);
            llmbo_chat_reply_clear(&r);
        }
        b.vt->destroy(b.state);
    }
    cJSON_Delete(j);
    return 0;
}
