/* fuzz_external_stdout.c: what an external objective's command prints on stdout (a number or
 * {"value": number}), read as llmbo reads it after the command exits. */
#include "fuzz.h"
#include "objective_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    double y = 0;
    llmbo_error err;
    llmbo_external_parse("./objective.py", (const char *)data, size, &y, &err);
    return 0;
}
