/* acq.h: acquisition functions, initial designs and the acquisition optimiser (bo/ internal).
 * All points here live in the unit cube; the GP predicts in the loop's internal sense, which is
 * minimisation (the loop negates values of maximised objectives before the GP sees them). */
#ifndef LLMBO_ACQ_H
#define LLMBO_ACQ_H

#include <stdint.h>
#include "llmbo.h"

typedef enum llmbo_acq_type {
    LLMBO_ACQ_EI = 0,
    LLMBO_ACQ_LOGEI = 1,
    LLMBO_ACQ_PI = 2,  /* evaluated as log PI */
    LLMBO_ACQ_UCB = 3, /* for minimisation: -(mean - sqrt(beta) * std), so larger is better */
    LLMBO_ACQ_TS = 4   /* Thompson sampling: handled by the optimiser via joint samples */
} llmbo_acq_type;

/* Parses "ei", "logei", "pi", "ucb", "ts"; returns -1 if unknown. */
int llmbo_acq_parse(const char *name);
const char *llmbo_acq_name(llmbo_acq_type t);

/* Closed forms in terms of z = (best - mean) / std for minimisation. log_h(z) = log(phi(z) +
 * z Phi(z)), computed stably for very negative z (Ament et al. 2023, eq. 9); dlog_h its
 * derivative. */
double llmbo_log_h(double z);
double llmbo_dlog_h(double z);

typedef struct llmbo_acq_params {
    llmbo_acq_type type;
    double best; /* incumbent (minimisation sense, caller's y units) */
    double beta; /* UCB exploration weight (see llmbo_ucb_beta) */
    double xi;   /* EI/PI improvement margin, default 0 */
} llmbo_acq_params;

/* UCB beta schedule (Srinivas et al. 2010, Thm. 1 form): beta_t = 2 log(d t^2 pi^2 / (6 delta))
 * scaled by 0.2 as in common practice; documented in the README. t >= 1. */
double llmbo_ucb_beta(int d, int t);

/* Value (larger is better) of the acquisition at x (d) and, if grad is not NULL, its gradient
 * with respect to x. Uses llmbo_gp_predict; does not allocate. Not for LLMBO_ACQ_TS. */
double llmbo_acq_eval(llmbo_gp *gp, const llmbo_acq_params *p, const double *x, double *grad);

/* Initial designs: n points in [0,1]^d, row-major (n, d). Sobol is scrambled with a random
 * digital shift seeded by seed (GSL's Sobol generator underneath). */
typedef enum llmbo_design_type {
    LLMBO_DESIGN_SOBOL = 0,
    LLMBO_DESIGN_LHS = 1,
    LLMBO_DESIGN_RANDOM = 2
} llmbo_design_type;
int llmbo_design_parse(const char *name); /* "sobol", "lhs", "random"; -1 if unknown */
llmbo_status llmbo_design(llmbo_design_type type, int n, int d, uint64_t seed, double *out,
                          llmbo_error *err);

/* The acquisition optimiser: a quasi-random sweep of n_sweep points, L-BFGS (NLopt) from the
 * best n_starts within [0,1]^d, and rounding through the space for integer and categorical
 * parameters (the acquisition is evaluated at the rounded point). Returns up to k distinct
 * candidates sorted by acquisition value, best first. Extra points (e.g. advisor proposals in
 * pool mode, unit cube, (n_extra, d)) join the pool and are scored like the others. */
typedef struct llmbo_acqopt_options {
    int n_sweep;     /* default 512 * ... (documented in acq.c) */
    int n_starts;    /* default 8 */
    int max_eval;    /* L-BFGS evaluations per start, default 100 */
    double min_dist; /* candidates closer than this (unit cube, inf-norm) are duplicates */
    uint64_t seed;
} llmbo_acqopt_options;
void llmbo_acqopt_options_default(llmbo_acqopt_options *o, int d);

typedef struct llmbo_candidate {
    double *u; /* (d) unit cube, owned by the candidate list */
    double mean, std, acq;
} llmbo_candidate;

/* Fills out[0..*n_out-1] (caller array of k candidates whose u arrays point at caller storage
 * of k*d doubles). space may be NULL (all continuous). For LLMBO_ACQ_TS the candidates are the
 * minimisers of joint posterior samples over the sweep. */
llmbo_status llmbo_acq_optimize(llmbo_gp *gp, const llmbo_space *space, const llmbo_acq_params *p,
                                const llmbo_acqopt_options *o, const double *extra, int n_extra,
                                int k, llmbo_candidate *out, int *n_out, llmbo_error *err);

#endif
