/* fuzz_objective.c: the "objective" value of a config (a name, a built-in with options, or an
 * external objective with its parameter space). Objectives are created, never evaluated, so no
 * fuzzed command runs. */
#include <cJSON.h>
#include "fuzz.h"
#include "objective_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch();
    cJSON *v = cJSON_ParseWithLength((const char *)data, size);
    if (!v)
        return 0;
    llmbo_objective *obj = NULL;
    llmbo_error err;
    if (llmbo_objective_from_json(v, "run.json: objective", 7, &obj, &err) == LLMBO_OK)
        llmbo_objective_free(obj);
    cJSON_Delete(v);
    return 0;
}
