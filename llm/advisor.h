/* advisor.h: what bo/ sees of the LLM advisor. An advisor is created from the config's
 * "advisor" object; it exposes its schedule (mode, every k, phase, gate) and a plain
 * llmbo_advisor_hook that the loop calls. It never sees the GP. */
#ifndef LLMBO_ADVISOR_H
#define LLMBO_ADVISOR_H

#include <cJSON.h>
#include "llmbo.h"

typedef struct llmbo_advisor llmbo_advisor;

/* Parses and validates obj (the config's "advisor" object; where = "run.json: advisor" is used
 * as the prefix of every error message), creates the backend, and opens run_dir/advisor.jsonl
 * for the call log when run_dir is not NULL. problem is the objective's plain description.
 * Unknown keys are LLMBO_ERR_CONFIG. */
llmbo_status llmbo_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                  llmbo_advisor **out, llmbo_error *err);
void llmbo_advisor_free(llmbo_advisor *adv);
/* Pre-flight, run once before the first evaluation: checks the backend can be reached (HTTP:
 * a connection to the server, no request, no tokens). Unreachable with "on_unreachable":
 * "fail" (the default) is LLMBO_ERR_CONFIG naming the server and the policy; with "fallback"
 * a warning goes to stderr, LLMBO_OK is returned and every advice then fails at once (counted
 * as a transport error, the loop falls back). */
llmbo_status llmbo_advisor_preflight(llmbo_advisor *adv, llmbo_error *err);
/* The schedule parsed from the config. */
const llmbo_advice_schedule *llmbo_advisor_schedule(const llmbo_advisor *adv);
/* The hook to hand to the loop; valid while adv lives. */
llmbo_advisor_hook llmbo_advisor_hook_get(llmbo_advisor *adv);
/* Restores cumulative cost (when a run is resumed from its journal). */
void llmbo_advisor_restore_cost(llmbo_advisor *adv, const llmbo_cost *cost);
/* Model name and backend name, for summaries and reports. */
const char *llmbo_advisor_model(const llmbo_advisor *adv);
const char *llmbo_advisor_backend_name(const llmbo_advisor *adv);
/* Copies the cumulative cost (what the hook's cost callback reports). */
void llmbo_advisor_cost(const llmbo_advisor *adv, llmbo_cost *out);

#endif
