/* advisor.h: the LLM advisor's module interface beyond llmbo.h (where the advisor's public API
 * lives: create from JSON text, hook, schedule, cost, pre-flight, free): creation from a parsed
 * cJSON object (the run driver has one) and the cost restore of a resumed run. It never sees
 * the GP. */
#ifndef LLMBO_ADVISOR_H
#define LLMBO_ADVISOR_H

#include <cJSON.h>
#include "llmbo.h"

/* As llmbo_advisor_create_json, from obj (the config's "advisor" object; where, e.g.
 * "run.json: advisor", prefixes every error message), the call log in run_dir/advisor.jsonl when
 * run_dir is not NULL. */
llmbo_status llmbo_advisor_create(const cJSON *obj, const char *where, const char *run_dir,
                                  llmbo_advisor **out, llmbo_error *err);
/* Calls fn (NULL: none) while a streaming backend ("stream": true) receives an answer, with the
 * count of text pieces (about one token each) received so far in the current advice, over its
 * parallel samples: the live token count of a progress line. fn may be called from the
 * backend's worker threads, one at a time or concurrently, and must be thread-safe. */
/* Gives the advisor the run's seed: a local engine's sampler mixes it into its seed, so the
 * same prompt sampled at temperature > 0 in runs of different seeds gets different answers
 * (a model alone would otherwise follow one trajectory in every seed: its first prompts do not
 * depend on the seed). Servers do not see it. */
void llmbo_advisor_set_run_seed(llmbo_advisor *adv, uint64_t seed);
void llmbo_advisor_set_progress(llmbo_advisor *adv, void (*fn)(void *ctx, long pieces), void *ctx);
/* Restores the cumulative cost of a resumed run: cost from its journal's last line, plus the
 * calls advisor.jsonl logged after it (an advice cut short by the kill: billed, never
 * journalled), which are also returned in *orphans. Returns the number of such calls; later
 * calls are numbered after them. */
long llmbo_advisor_restore_cost(llmbo_advisor *adv, const llmbo_cost *cost, llmbo_cost *orphans);

#endif
