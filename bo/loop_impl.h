/* loop_impl.h: internals of the ask/tell loop shared with the run driver and the tests. */
#ifndef LLMBO_LOOP_IMPL_H
#define LLMBO_LOOP_IMPL_H

#include <stdint.h>
#include "llmbo.h"
#include "names.h"

/* The seed of the generator used for purpose tag of proposal id (splitmix64 mixing). */
uint64_t llmbo_bo_mix_seed(uint64_t seed, uint64_t id, uint64_t tag);
/* The default initial design size of a strategy (llmbo_bo_options.n_init): for gp and gp+llm
 * max(d + 1, min(LLMBO_BO_GP_INIT, LLMBO_BO_GP_INIT_D d, budget / 2)), else d + 1; at least 2, at
 * most budget when budget > 0. */
int llmbo_bo_default_n_init(int d, int budget, llmbo_strategy strategy);

/* What a strategy needs and does beyond its propose function (the strategy table in loop.c). */
enum {
    LLMBO_STRATEGY_USES_GP = 1u,       /* after the design, proposals come from the GP: each
                                          records the refit's hyperparameters, which a replay
                                          restores */
    LLMBO_STRATEGY_NEEDS_ADVISOR = 2u, /* needs an advisor hook (a run config: an "advisor"
                                          object, which the other strategies reject) */
    LLMBO_STRATEGY_WARMSTART = 4u      /* the advisor is asked for the initial design (warm
                                          start) whatever the schedule says */
};
/* The flags of strategy s; 0 outside the enum. */
unsigned llmbo_strategy_flags(llmbo_strategy s);
/* The names of the strategy and pending-method tables (common/names.h). */
extern const llmbo_names llmbo_strategy_names;
extern const llmbo_names llmbo_pending_names;
extern const llmbo_names llmbo_batch_step_names;

/* For tests: the models the acquisition of the next proposal (id n_asked) sees, without a
 * refit (the base model is brought up to date at its hyperparameters): *base the base GP
 * (borrowed; NULL before the GP has proposed a point), *fantasy the base model conditioned on
 * the fantasies at the pending and failed points (the caller frees it; NULL when there are none,
 * or with only pending points under LLMBO_PENDING_LP), *best the incumbent the acquisition uses
 * (a believer's: the fantasy values of pending points count as observed). */
llmbo_status llmbo_bo_acq_models(llmbo_bo *bo, llmbo_gp **base, llmbo_gp **fantasy, double *best,
                                 llmbo_error *err);

#endif
