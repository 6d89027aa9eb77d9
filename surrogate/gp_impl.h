/* gp_impl.h: the GP object's layout and the internals shared by gp.c (data, factor, predict,
 * sample) and gp_fit.c (marginal likelihood, gradients, hyperparameter optimisation). Tests may
 * include it; nothing outside surrogate/ and tests/ does.
 * Invariant: when n > 0 and have_factor, L holds chol(K + (sn2 + jitter) I) of the first n rows
 * of X at theta, and alpha = (K + (sn2 + jitter) I)^{-1} (ys - m0). */
#ifndef LLMBO_GP_IMPL_H
#define LLMBO_GP_IMPL_H

#include <stddef.h>
#include "llmbo.h"
#include "kernel.h"

/* Rows of a batch prediction processed with one BLAS-3 triangular solve. */
#define LLMBO_GP_PRED_CHUNK 64
/* Jitter retries: first extra diagonal (times sigma_f^2), growth factor and count. */
#define LLMBO_GP_JITTER_FIRST  1e-10
#define LLMBO_GP_JITTER_GROWTH 10.0
#define LLMBO_GP_JITTER_TRIES  9
/* A factor whose squared pivot falls below this share of the diagonal counts as failed. */
#define LLMBO_GP_PIVOT_MIN 1e-14

struct llmbo_gp {
    int d;
    llmbo_gp_options opt;
    const llmbo_kernel_vtbl *kern;
    double *theta;    /* (d + 2) log l_1..log l_d, log sf2, log sn2 (standardised units) */
    double *lo, *hi;  /* (d + 2) box bounds of theta used by the optimiser */
    double *prior_mu; /* (d + 2) mean of the Normal prior on each theta entry */
    double *prior_sd; /* (d + 2) its standard deviation */

    int n, cap; /* observations held; rows allocated */
    double *X;  /* (cap, d) row-major inputs in [0,1]^d */
    double *XT; /* (d, cap) the same inputs transposed, for vectorised row loops */
    double *y;  /* (cap) outputs, caller's units */
    double *ys; /* (cap) standardised outputs (y - y_mean) / y_sd */
    double y_mean, y_sd;
    double m0; /* constant prior mean of ys: GLS estimate when opt.gls_mean, else opt.prior_mean */
    double *L; /* (cap, cap) row-major, stride cap; lower triangle of the first n rows */
    double *alpha; /* (cap) K^{-1} ys */
    double jitter; /* extra diagonal in the current factor (0 when none was needed) */
    double lml;    /* log marginal likelihood at theta (standardised data) */
    int have_factor;

    /* Refit-policy state. */
    int n_fits;        /* hyperparameter optimisations done */
    int n_at_opt;      /* n at the last optimisation */
    double lml_at_opt; /* lml / n at the last optimisation */
    int fit_evals;     /* objective evaluations in the last optimisation (for benchmarks) */
    int fit_runs;      /* L-BFGS runs in it */

    /* Predict workspace (no allocation in predict). */
    double *w;     /* (d) 1 / l_j^2 at theta */
    double *ks;    /* (cap) k(x, X_i) */
    double *v;     /* (cap) L^{-1} ks, then scratch */
    double *dgv;   /* (cap) dg/dr2 at (x, X_i) */
    double *tmp;   /* (cap) scratch */
    double *batch; /* (LLMBO_GP_PRED_CHUNK, cap) cross covariances of a batch, a row per point */

    /* Fit workspace (gp_fit.c), grown as needed and kept between fits. */
    double *fit_buf;
    size_t fit_len; /* doubles in fit_buf */
};

/* Builds K + (sn2 + jitter) I for the current theta and data into gp->L, factorises it with
 * jitter retries, and sets alpha and lml. */
llmbo_status llmbo_gp_refactor(llmbo_gp *gp, llmbo_error *err);

/* Writes the strict lower triangle of K (without the diagonal term) into A (stride lda). */
typedef void (*llmbo_gp_fill_fn)(void *ctx, double *A, int lda);

/* Factorises K + (diag + jitter) I in A (n, n), stride lda: fill writes the strict lower
 * triangle, the diagonal gets diag + jitter with jitter 0, then the retry ladder scaled by scale
 * (refilling before each retry). On success the lower triangle holds L and *jitter the extra
 * diagonal used. LLMBO_ERR_NUMERIC if every try failed. The strict upper triangle is not read
 * or written. */
llmbo_status llmbo_gp_chol_jitter(double *A, int n, int lda, double diag, double scale,
                                  llmbo_gp_fill_fn fill, void *ctx, double *jitter);

/* Log prior of theta (sum of Normal log densities over the optimised entries); adds its
 * gradient to grad (d + 2) when grad is not NULL. 0 when use_priors is off. */
double llmbo_gp_log_prior(const llmbo_gp *gp, const double *theta, double *grad);

/* The hyperparameter optimisation (gp_fit.c): data and standardisation are already in gp. */
llmbo_status llmbo_gp_optimize(llmbo_gp *gp, llmbo_error *err);

#endif
