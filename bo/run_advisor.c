/* run_advisor.c: the run driver's advisor, before the advisor module is part of the build:
 * every strategy that needs it is refused with a clear message. */
#include <stddef.h>
#include "llmbo_common.h"
#include "run_advisor.h"

llmbo_status llmbo_run_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                      llmbo_run_advisor **out, llmbo_error *err)
{
    (void)obj;
    (void)run_dir;
    *out = NULL;
    return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                           "%s: the LLM advisor is not part of this build; use strategy "
                           "\"random\" or \"gp\"",
                           where);
}

void llmbo_run_advisor_free(llmbo_run_advisor *a)
{
    (void)a;
}

const llmbo_advice_schedule *llmbo_run_advisor_schedule(const llmbo_run_advisor *a)
{
    (void)a;
    return NULL;
}

llmbo_advisor_hook llmbo_run_advisor_hook(llmbo_run_advisor *a)
{
    llmbo_advisor_hook h = {0, NULL, NULL, NULL};
    (void)a;
    return h;
}

void llmbo_run_advisor_restore_cost(llmbo_run_advisor *a, const llmbo_cost *cost)
{
    (void)a;
    (void)cost;
}

const char *llmbo_run_advisor_model(const llmbo_run_advisor *a)
{
    (void)a;
    return NULL;
}

const char *llmbo_run_advisor_backend(const llmbo_run_advisor *a)
{
    (void)a;
    return NULL;
}
