/* run_advisor.c: the run driver's advisor: a thin wrapper over the LLM advisor (llm/advisor.h),
 * so the driver's logic stays independent of the advisor module's own API. The wrapper's hook
 * reports every failed advice on stderr (the loop itself only counts it), so a user sees why a
 * run fell back: a transport error, an unusable answer, a replay miss. */
#include <stdio.h>
#include "llmbo_common.h"
#include "advisor.h"
#include "run_advisor.h"

struct llmbo_run_advisor {
    llmbo_advisor *adv;
    llmbo_advisor_hook inner;
};

static llmbo_status report_advise(void *ctx, const llmbo_advice_request *req,
                                  llmbo_advice_reply *reply, llmbo_error *err)
{
    llmbo_run_advisor *a = ctx;
    llmbo_error local;
    if (!err)
        err = &local;
    llmbo_status st = a->inner.advise(a->inner.ctx, req, reply, err);
    if (st != LLMBO_OK)
        fprintf(stderr, "llmbo: evaluation %d: %s; the loop falls back\n", req->iteration,
                err->msg);
    return st;
}

static void report_cost(void *ctx, llmbo_cost *out)
{
    llmbo_run_advisor *a = ctx;
    a->inner.cost(a->inner.ctx, out);
}

llmbo_status llmbo_run_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                      llmbo_run_advisor **out, llmbo_error *err)
{
    *out = NULL;
    llmbo_run_advisor *a = llmbo_calloc(1, sizeof *a);
    if (!a)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    llmbo_status st = llmbo_advisor_create(obj, where, run_dir, &a->adv, err);
    if (st == LLMBO_OK && (st = llmbo_advisor_preflight(a->adv, err)) != LLMBO_OK)
        llmbo_advisor_free(a->adv);
    if (st != LLMBO_OK) {
        llmbo_free(a);
        return st;
    }
    a->inner = llmbo_advisor_hook_get(a->adv);
    *out = a;
    return LLMBO_OK;
}

void llmbo_run_advisor_free(llmbo_run_advisor *a)
{
    if (!a)
        return;
    llmbo_advisor_free(a->adv);
    llmbo_free(a);
}

const llmbo_advice_schedule *llmbo_run_advisor_schedule(const llmbo_run_advisor *a)
{
    return a ? llmbo_advisor_schedule(a->adv) : NULL;
}

llmbo_advisor_hook llmbo_run_advisor_hook(llmbo_run_advisor *a)
{
    if (!a) {
        llmbo_advisor_hook h = {0, NULL, NULL, NULL};
        return h;
    }
    llmbo_advisor_hook h = {LLMBO_ADVISOR_HOOK_VERSION, a, report_advise, report_cost};
    return h;
}

void llmbo_run_advisor_restore_cost(llmbo_run_advisor *a, const llmbo_cost *cost)
{
    if (a)
        llmbo_advisor_restore_cost(a->adv, cost);
}

const char *llmbo_run_advisor_model(const llmbo_run_advisor *a)
{
    return a ? llmbo_advisor_model(a->adv) : NULL;
}

const char *llmbo_run_advisor_backend(const llmbo_run_advisor *a)
{
    return a ? llmbo_advisor_backend_name(a->adv) : NULL;
}
