/* options_json.c: the loop's options from the JSON text of a run config's loop keys (every key
 * of docs/config.md but "objective"; "budget" optional), for programs that drive ask/tell over
 * their own space, such as the Python package. It reuses the run config's parser, so keys,
 * defaults and messages ("WHERE: gp.kernel: ...") are those of `llmbo run`. */
#include <string.h>
#include "llmbo_common.h"
#include "config.h"
#include "loop_impl.h"

llmbo_status llmbo_bo_options_from_json(const char *json, const char *where, int d,
                                        llmbo_bo_options *opt, int *batch, llmbo_error *err)
{
    llmbo_run_config cfg;
    llmbo_status st;
    where = where ? where : "options";
    if (!json || !opt)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: NULL argument", where);
    if (d < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: dimension %d < 1", where, d);
    cJSON *root = cJSON_ParseWithLengthOpts(json, strlen(json) + 1, NULL, 1);
    if (!root || !cJSON_IsObject(root)) {
        /* The run config's parser words syntax errors (line, column) and non-objects. */
        cJSON_Delete(root);
        st = llmbo_run_config_parse(json, where, &cfg, err);
        llmbo_run_config_free(&cfg);
        return st != LLMBO_OK
                   ? st
                   : llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: expected an object", where);
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "objective")) {
        cJSON_Delete(root);
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: objective: not a loop option (the loop is given its space)",
                               where);
    }
    /* A placeholder objective, and the largest budget the parser takes when none is given (so
     * init.n is only checked against a real one); both are dropped from the result below. */
    int has_budget = cJSON_GetObjectItemCaseSensitive(root, "budget") != NULL;
    char *text = NULL;
    if (!cJSON_AddStringToObject(root, "objective", "options") ||
        (!has_budget && !cJSON_AddNumberToObject(root, "budget", 1e9)) ||
        !(text = cJSON_PrintUnformatted(root))) {
        cJSON_Delete(root);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    }
    cJSON_Delete(root);
    st = llmbo_run_config_parse(text, where, &cfg, err);
    cJSON_free(text);
    if (st == LLMBO_OK) {
        llmbo_run_config_bo_options(&cfg, d, opt);
        if (!has_budget) {
            opt->budget = 0;
            opt->n_init = cfg.n_init > 0 ? cfg.n_init : llmbo_bo_default_n_init(d, 0);
        }
        if (batch)
            *batch = cfg.batch;
    }
    llmbo_run_config_free(&cfg);
    return st;
}
