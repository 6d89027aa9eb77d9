/* design.c: initial designs in [0,1]^d: digitally shifted Sobol (Halton with a random rotation
 * above 40 dimensions), Latin hypercube and uniform random, all deterministic for a seed.
 * GSL's Sobol generator yields k / 2^30 exactly, so the digital shift works on the exact
 * binary fraction. See acq.h for the contract and why the first Sobol point is kept. */
#include <string.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "llmbo_common.h"
#include "acq.h"
#include "design_impl.h"

#define SOBOL_MAX_DIM  40
#define HALTON_MAX_DIM 1229

/* splitmix64 (Steele, Lea, Flood 2014): spreads all 64 seed bits over the 32 that MT19937's
 * seeding keeps, so seeds differing only in high bits give different streams. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

gsl_rng *llmbo_design_rng(uint64_t seed, uint64_t stream)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r) {
        /* MT19937 treats seed 0 as its default seed 4357; the hash makes 0 unlikely anyway. */
        gsl_rng_set(r, (unsigned long)(splitmix64(seed ^ splitmix64(stream)) & 0xffffffffUL));
    }
    return r;
}

static llmbo_status design_sobol(int n, int d, uint64_t seed, double *out, llmbo_error *err)
{
    if (d > HALTON_MAX_DIM)
        return llmbo_error_set(err, LLMBO_ERR_UNSUPPORTED,
                               "design: sobol/halton supports d <= %d (got d = %d)", HALTON_MAX_DIM,
                               d);
    gsl_rng *r = llmbo_design_rng(seed, 1);
    const gsl_qrng_type *T = d <= SOBOL_MAX_DIM ? gsl_qrng_sobol : gsl_qrng_halton;
    gsl_qrng *q = r ? gsl_qrng_alloc(T, (unsigned)d) : NULL;
    double *shift = q ? llmbo_malloc((size_t)d, sizeof *shift) : NULL;
    if (!shift) {
        gsl_qrng_free(q);
        gsl_rng_free(r);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "design: out of memory");
    }
    /* One shift per dimension: a 32-bit word (Sobol, XOR) or a uniform (Halton, mod 1). */
    for (int j = 0; j < d; j++)
        shift[j] = d <= SOBOL_MAX_DIM ? (double)gsl_rng_get(r) : gsl_rng_uniform(r);
    for (int i = 0; i < n; i++) {
        double *row = out + (size_t)i * d;
        /* GSL's generators start at index 1; index 0 is the origin. */
        if (i == 0)
            memset(row, 0, (size_t)d * sizeof *row);
        else
            gsl_qrng_get(q, row);
        for (int j = 0; j < d; j++) {
            if (d <= SOBOL_MAX_DIM) {
                /* row[j] = k / 2^30 exactly: as a 32-bit fraction, k << 2. */
                uint32_t f = (uint32_t)(row[j] * 4294967296.0);
                row[j] = (double)(f ^ (uint32_t)shift[j]) / 4294967296.0;
            } else {
                double v = row[j] + shift[j];
                row[j] = v >= 1 ? v - 1 : v;
            }
        }
    }
    llmbo_free(shift);
    gsl_qrng_free(q);
    gsl_rng_free(r);
    return LLMBO_OK;
}

static llmbo_status design_lhs(int n, int d, uint64_t seed, double *out, llmbo_error *err)
{
    gsl_rng *r = llmbo_design_rng(seed, 2);
    int *perm = r ? llmbo_malloc((size_t)n, sizeof *perm) : NULL;
    if (!perm) {
        gsl_rng_free(r);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "design: out of memory");
    }
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < n; i++)
            perm[i] = i;
        gsl_ran_shuffle(r, perm, (size_t)n, sizeof *perm);
        for (int i = 0; i < n; i++) {
            double v = (perm[i] + gsl_rng_uniform(r)) / n;
            /* (k + u) / n rounds up to (k + 1) / n only for u within an ulp of 1: keep it in
             * stratum k. */
            if (v >= (double)(perm[i] + 1) / n)
                v = (double)perm[i] / n;
            out[(size_t)i * d + j] = v;
        }
    }
    llmbo_free(perm);
    gsl_rng_free(r);
    return LLMBO_OK;
}

static llmbo_status design_random(int n, int d, uint64_t seed, double *out, llmbo_error *err)
{
    gsl_rng *r = llmbo_design_rng(seed, 3);
    if (!r)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "design: out of memory");
    for (size_t i = 0; i < (size_t)n * (size_t)d; i++)
        out[i] = gsl_rng_uniform(r);
    gsl_rng_free(r);
    return LLMBO_OK;
}

/* The design table: one row per llmbo_init_design (see acq.h). */
static const llmbo_design_def designs[] = {
    [LLMBO_INIT_SOBOL] = {"sobol", design_sobol},
    [LLMBO_INIT_LHS] = {"lhs", design_lhs},
    [LLMBO_INIT_RANDOM] = {"random", design_random},
};

const llmbo_names llmbo_design_names = LLMBO_NAMES_OF(designs);

const char *llmbo_init_design_name(llmbo_init_design t)
{
    return llmbo_names_get(&llmbo_design_names, (int)t);
}

int llmbo_init_design_parse(const char *name)
{
    return llmbo_names_parse(&llmbo_design_names, name);
}

llmbo_status llmbo_design(llmbo_init_design type, int n, int d, uint64_t seed, double *out,
                          llmbo_error *err)
{
    if (n < 1 || d < 1 || !out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "design: need n >= 1 points, dimension d >= 1 and an output "
                               "array (got n = %d, d = %d%s)",
                               n, d, out ? "" : ", out = NULL");
    if ((int)type < 0 || (int)type >= llmbo_design_names.n)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "design: unknown design type %d", (int)type);
    return designs[type].generate(n, d, seed, out, err);
}
