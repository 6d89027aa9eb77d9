/* design_impl.h: internals shared by design.c and acqopt.c (bo/ only). */
#ifndef LLMBO_DESIGN_IMPL_H
#define LLMBO_DESIGN_IMPL_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* A seeded MT19937 generator; stream separates independent uses of one seed. NULL when GSL's
 * allocation fails. Release with gsl_rng_free. */
gsl_rng *llmbo_design_rng(uint64_t seed, uint64_t stream);

#endif
