/* fuzz_run_config.c: a run config file (llmbo run CONFIG.json), objective and advisor sections
 * included, through the parser `llmbo run` uses. */
#include "fuzz.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch();
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    llmbo_run_config cfg;
    llmbo_error err;
    memset(&cfg, 0, sizeof cfg);
    if (llmbo_run_config_parse(text, "run.json", &cfg, &err) == LLMBO_OK) {
        cJSON *j = llmbo_run_config_to_json(&cfg, 2);
        cJSON_Delete(j);
    }
    llmbo_run_config_free(&cfg);
    free(text);
    return 0;
}
