/* fuzz_import_csv.c: a warm-start CSV file ("init.from"), read into a space with a continuous,
 * an integer, a log-scaled and a categorical parameter; every accepted point must lie in the
 * space and every value be finite or failed. */
#include <math.h>
#include <stdlib.h>
#include "fuzz.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const choices[] = {"water", "ethanol", "toluene, dry"};
    llmbo_space *space = llmbo_space_create();
    if (!space)
        return 0;
    llmbo_param p[4] = {
        {.name = "temperature", .type = LLMBO_PARAM_CONTINUOUS, .lo = 20, .hi = 110},
        {.name = "stirring", .type = LLMBO_PARAM_INTEGER, .lo = 100, .hi = 1000},
        {.name = "rate", .type = LLMBO_PARAM_LOG, .lo = 1e-4, .hi = 1},
        {.name = "solvent", .type = LLMBO_PARAM_CATEGORICAL, .n_choices = 3, .choices = choices}};
    for (int i = 0; i < 4; i++)
        if (llmbo_space_add(space, &p[i], NULL) != LLMBO_OK) {
            llmbo_space_free(space);
            return 0;
        }
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        llmbo_import im;
        llmbo_error err;
        llmbo_import_init(&im, 4);
        if (llmbo_import_csv(text, size, "fuzz.csv", space, &im, &err) == LLMBO_OK)
            for (int i = 0; i < im.n; i++) {
                if (llmbo_space_check(space, im.X + 4 * i, NULL) != LLMBO_OK ||
                    (!im.failed[i] && !isfinite(im.y[i])))
                    abort();
            }
        llmbo_import_free(&im);
        free(text);
    }
    llmbo_space_free(space);
    return 0;
}
