/* run_advisor.h: the run driver's view of the advisor module (llm/advisor.h), kept to one file
 * so the driver's logic does not depend on which advisor features a build has. */
#ifndef LLMBO_RUN_ADVISOR_H
#define LLMBO_RUN_ADVISOR_H

#include <cJSON.h>
#include "llmbo.h"

typedef struct llmbo_run_advisor llmbo_run_advisor;

/* Creates the advisor from the config's "advisor" object (where prefixes messages), logging to
 * run_dir/advisor.jsonl when run_dir is not NULL. Statuses as llmbo_advisor_create. */
llmbo_status llmbo_run_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                      llmbo_run_advisor **out, llmbo_error *err);
void llmbo_run_advisor_free(llmbo_run_advisor *a);
/* The schedule and the hook for the loop; the cost restore for --resume; names for summaries. */
const llmbo_advice_schedule *llmbo_run_advisor_schedule(const llmbo_run_advisor *a);
llmbo_advisor_hook llmbo_run_advisor_hook(llmbo_run_advisor *a);
void llmbo_run_advisor_restore_cost(llmbo_run_advisor *a, const llmbo_cost *cost);
const char *llmbo_run_advisor_model(const llmbo_run_advisor *a);
const char *llmbo_run_advisor_backend(const llmbo_run_advisor *a);

#endif
