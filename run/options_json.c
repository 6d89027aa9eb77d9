/* options_json.c: the loop's options from the JSON text of a run config's loop keys (every key
 * of docs/config.md but "objective"; "budget" optional), for programs that drive ask/tell over
 * their own space, such as the Python package. The run config's parser reads them
 * (llmbo_run_config_parse_options), so keys, defaults and messages ("WHERE: gp.kernel: ...")
 * are those of `llmbo run`. */
#include "llmbo_common.h"
#include "config.h"

llmbo_status llmbo_bo_options_from_json(const char *json, const char *where, int d,
                                        llmbo_bo_options *opt, int *batch, llmbo_error *err)
{
    llmbo_run_config cfg;
    where = where ? where : "options";
    if (!json || !opt)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: NULL argument", where);
    if (d < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: dimension %d < 1", where, d);
    llmbo_status st = llmbo_run_config_parse_options(json, where, &cfg, err);
    if (st == LLMBO_OK) {
        llmbo_run_config_bo_options(&cfg, d, opt);
        if (batch)
            *batch = cfg.batch;
    }
    llmbo_run_config_free(&cfg);
    return st;
}
