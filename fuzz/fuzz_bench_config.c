/* fuzz_bench_config.c: a bench config (llmbo bench CONFIG.json): parsed, validated (every
 * objective and every strategy's run config), and its cells' configs built. */
#include <cJSON.h>
#include "fuzz.h"
#include "grid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch();
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (!root)
        return 0;
    llmbo_bench *b = NULL;
    llmbo_error err;
    if (llmbo_bench_parse(root, "bench.json", &b, &err) == LLMBO_OK &&
        llmbo_bench_validate(b, "bench.json", &err) == LLMBO_OK) {
        int n = llmbo_bench_n_cells(b);
        for (int c = 0; c < n && c < 64; c++) {
            cJSON *cell = llmbo_bench_cell_config(b, c);
            char path[512];
            llmbo_bench_cell_path(b, c, path, sizeof path);
            cJSON_Delete(cell);
        }
        cJSON *m = llmbo_bench_manifest(b);
        cJSON_Delete(m);
    }
    llmbo_bench_free(b);
    cJSON_Delete(root);
    return 0;
}
