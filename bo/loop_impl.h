/* loop_impl.h: internals of the ask/tell loop shared with the run driver and the tests. */
#ifndef LLMBO_LOOP_IMPL_H
#define LLMBO_LOOP_IMPL_H

#include <stdint.h>
#include "llmbo.h"

/* The seed of the generator used for purpose tag of proposal id (splitmix64 mixing). */
uint64_t llmbo_bo_mix_seed(uint64_t seed, uint64_t id, uint64_t tag);
/* The default initial design size: d + 1 (at least 2), at most budget when budget > 0. */
int llmbo_bo_default_n_init(int d, int budget);

#endif
