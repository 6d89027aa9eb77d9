/* acq.h: acquisition functions, initial designs and the acquisition optimiser (bo/ internal).
 * All points here live in the unit cube; the GP predicts in the loop's internal sense, which is
 * minimisation (the loop negates values of maximised objectives before the GP sees them).
 * Every acquisition value is "larger is better". References: Ament et al. 2023, "Unexpected
 * Improvements to Expected Improvement" (logEI, eq. 9); Srinivas et al. 2010 (UCB). */
#ifndef LLMBO_ACQ_H
#define LLMBO_ACQ_H

#include <stdint.h>
#include "llmbo.h"
#include "names.h"

/* The acquisition table (bo/acq.c): one row per llmbo_acquisition, indexed by it. A row's
 * value function gets the prediction at a point in the loop's (minimisation) sense, its std s
 * = sqrt(var) > 0 and z = (best - xi - mean) / s, and returns the value (larger is better);
 * it stores in *cm and *cs the value's derivatives with respect to the mean and to s, from
 * which llmbo_acq_from_pred forms the gradient in x. A row without a value function is chosen
 * by the optimiser from joint posterior samples (LLMBO_ACQ_JOINT: Thompson sampling). */
struct llmbo_acq_params;
enum {
    LLMBO_ACQ_NEEDS_BEST = 1u, /* uses the incumbent p->best, which must then be finite */
    LLMBO_ACQ_JOINT = 2u,      /* no value function: minimisers of joint posterior samples */
    LLMBO_ACQ_LOG = 4u         /* the value is the log of a probability or an expectation */
};
typedef struct llmbo_acq_def {
    const char *name; /* the run config's "acquisition" value; first member (common/names.h) */
    unsigned flags;   /* LLMBO_ACQ_* above */
    double (*value)(const struct llmbo_acq_params *p, double mean, double s, double z, double *cm,
                    double *cs);
} llmbo_acq_def;

/* The row of a; NULL outside the enum. */
const llmbo_acq_def *llmbo_acq_get(llmbo_acquisition a);
/* The table's names, for parsers and "expected one of" messages (common/names.h). */
extern const llmbo_names llmbo_acq_names;

/* Closed forms in terms of z = (best - mean) / std for minimisation. log_h(z) = log(phi(z) +
 * z Phi(z)), computed stably for very negative z (Ament et al. 2023, eq. 9); dlog_h its
 * derivative, Phi(z) / h(z). Both are finite and dlog_h > 0 for every finite z (for z below
 * about -1e154, where z^2 overflows, log_h is -inf); log_h(z) ~ -z^2/2 - log(2 pi)/2 -
 * 2 log|z| and dlog_h(z) ~ |z| + 2/|z| as z -> -inf. No underflow: for z <= -4 both come from
 * the continued fraction of Mills' ratio, which has no cancellation. */
double llmbo_log_h(double z);
double llmbo_dlog_h(double z);
/* log Phi(z) (standard normal CDF) and its derivative phi(z)/Phi(z), finite for all finite z
 * (again up to z^2 overflow), accurate to a few ulps far into the lower tail. */
double llmbo_log_Phi(double z);
double llmbo_dlog_Phi(double z);

typedef struct llmbo_acq_params {
    llmbo_acquisition type;
    /* Incumbent (minimisation sense, caller's y units). With exact observations the best
     * observed value; in noisy settings (a fitted noise variance) the caller passes the best
     * posterior mean over the observed points instead, which a single lucky noisy observation
     * cannot drag down (the "plug-in" incumbent of noisy EI). */
    double best;
    double beta; /* UCB exploration weight (see llmbo_ucb_beta) */
    double xi;   /* EI/PI improvement margin, default 0: z = (best - xi - mean) / std */
} llmbo_acq_params;

/* UCB beta schedule (Srinivas et al. 2010, Thm. 1 form): beta_t = 0.2 * 2 log(d t^2 pi^2 /
 * (6 delta)) with delta = 0.1, i.e. the theorem's rate scaled by 0.2 as in common practice
 * (the theoretical constant over-explores badly). t >= 1 is the BO iteration (evaluations so
 * far plus one); d the dimension. Values of d or t below 1 are treated as 1. */
double llmbo_ucb_beta(int d, int t);

/* Value (larger is better) of the acquisition at x (d) and, if grad is not NULL, its gradient
 * with respect to x. Uses llmbo_gp_predict. The posterior variance is floored at
 * LLMBO_ACQ_VAR_FLOOR (where the floor is active the variance's gradient is taken as zero, the
 * gradient of the floored function). Not for a LLMBO_ACQ_JOINT row (returns -HUGE_VAL). Never NaN
 * for finite x: a NaN prediction scores -HUGE_VAL with a zero gradient. llmbo_acq_eval does not
 * allocate for d <= LLMBO_ACQ_STACK_DIM; above that it needs 2 d doubles of scratch from
 * llmbo_malloc when grad is requested (an allocation failure scores -HUGE_VAL with a zero
 * gradient). llmbo_acq_eval_ws never allocates: work holds 2 d doubles. */
#define LLMBO_ACQ_VAR_FLOOR 1e-30
#define LLMBO_ACQ_STACK_DIM 128
double llmbo_acq_eval(llmbo_gp *gp, const llmbo_acq_params *p, const double *x, double *grad);
double llmbo_acq_eval_ws(llmbo_gp *gp, const llmbo_acq_params *p, const double *x, double *grad,
                         double *work);
/* The acquisition averaged over m >= 1 models (the GP under m hyperparameter samples, one
 * data set: Snoek, Larochelle & Adams 2012, eq. 3's integrated acquisition): the mean of the
 * models' values, and for a LLMBO_ACQ_LOG row the log of the mean of exp(value) (EI values are
 * averaged, not their logs); the gradient (d, may be NULL) likewise. m = 1 is exactly
 * llmbo_acq_eval_ws. work holds 4 d + m doubles. Never allocates. */
#define LLMBO_ACQ_MIX_WORK(d, m) (4 * (size_t)(d) + (size_t)(m))
double llmbo_acq_eval_mix(llmbo_gp *const *gps, int m, const llmbo_acq_params *p, const double *x,
                          double *grad, double *work);
/* The same, from a prediction already made: mean, var and (when grad is not NULL) their
 * gradients dmean, dvar (d) at the point. */
double llmbo_acq_from_pred(const llmbo_acq_params *p, int d, double mean, double var,
                           const double *dmean, const double *dvar, double *grad);

/* Local penalisation of a batch (Gonzalez, Dai, Hennig & Lawrence 2016, "Batch Bayesian
 * Optimization via Local Penalization", eqs. 2-4, in the minimisation sense): a point x_j being
 * evaluated excludes a ball around it whose radius r_j = (mu(x_j) - M) / L is random through
 * mu, so the penaliser is the probability that x lies outside it,
 *   phi_j(x) = Phi((|x - x_j| - r_j) / s_j),  s_j = sigma(x_j) / L,
 * with |.| the Euclidean distance in the unit cube, M the best observed value, L a Lipschitz
 * constant of the objective (estimated as the largest posterior-mean gradient norm). On the
 * log scale the penalised logEI is logEI(x) + sum_j log phi_j(x). */
typedef struct llmbo_lp_balls {
    int n;           /* number of balls */
    const double *c; /* (n, d) centres, unit cube */
    const double *r; /* (n) radii r_j (may be negative) */
    const double *s; /* (n) widths s_j > 0 */
} llmbo_lp_balls;
/* sum_j log phi_j(x) (<= 0) and, if grad is not NULL, its gradient (d), which is set (not
 * added to); at a centre the term's gradient is taken as zero (the subgradient 0). */
double llmbo_lp_log_penalty(const llmbo_lp_balls *b, int d, const double *x, double *grad);

/* Initial designs: n points in [0,1]^d, row-major (n, d). Deterministic for a seed.
 * - SOBOL: the Sobol sequence (GSL's direction numbers, d <= 40) with a random digital shift:
 *   each coordinate's 32-bit binary fraction is XORed with a seeded random 32-bit word (one
 *   per dimension). GSL's generator skips the sequence's first point, the origin; we put it
 *   back as point 0: after the shift it is an ordinary random point, and with it the first
 *   2^m points form a digital net (one point in each 1/2^m slab of every coordinate, a
 *   (0,m,2)-net in the first two), which dropping it would break (Owen 2020, "On dropping the
 *   first Sobol' point"). For 40 < d <= 1229 the Halton sequence (GSL, again from index 0)
 *   with a seeded random shift modulo 1 (Cranley-Patterson rotation) is used instead; larger
 *   d is LLMBO_ERR_UNSUPPORTED.
 * - LHS: Latin hypercube, each coordinate an independent random permutation of the n strata
 *   [k/n, (k+1)/n), with a uniform position inside the stratum.
 * - RANDOM: independent uniforms.
 * Each is one row of the design table (bo/design.c), indexed by llmbo_init_design: its name
 * and its generator, which llmbo_design calls with n >= 1, d >= 1 and out checked.
 * Statuses: LLMBO_ERR_INVALID (n < 1, d < 1, out NULL, a type outside the enum),
 * LLMBO_ERR_NOMEM, LLMBO_ERR_UNSUPPORTED (d too large for the design). */
typedef struct llmbo_design_def {
    const char *name; /* the run config's "init.design" value; first member (common/names.h) */
    llmbo_status (*generate)(int n, int d, uint64_t seed, double *out, llmbo_error *err);
} llmbo_design_def;
extern const llmbo_names llmbo_design_names;
llmbo_status llmbo_design(llmbo_init_design type, int n, int d, uint64_t seed, double *out,
                          llmbo_error *err);

/* What one optimisation spent (llmbo_acqopt_options.stats). */
typedef struct llmbo_acqopt_stats {
    long evals; /* acquisition evaluations (with gradient) inside L-BFGS */
    int runs;   /* L-BFGS runs (starts) */
    int merged; /* runs stopped by merging */
} llmbo_acqopt_stats;

/* The acquisition optimiser: a quasi-random sweep of n_sweep points plus Gaussian perturbations
 * of the anchors (e.g. the best observed points), L-BFGS (NLopt) from the best n_starts within
 * [0,1]^d, and rounding through the space for integer and categorical parameters (the
 * acquisition is evaluated at the rounded point). Returns up to k distinct candidates sorted
 * by acquisition value, best first. Extra points (e.g. advisor proposals in pool mode, unit
 * cube, (n_extra, d), clamped to it) join the pool and are scored like the others. */
typedef struct llmbo_acqopt_options {
    int n_sweep;     /* Sobol sweep size; default clamp(256 d, 512, 2048) */
    int n_starts;    /* L-BFGS starts; default 32 (runs converge in ~10-30 evaluations) */
    int max_eval;    /* L-BFGS evaluations per start, default 100 */
    double min_dist; /* candidates closer than this (unit cube, inf-norm) are duplicates;
                        default 1e-3 */
    uint64_t seed;
    /* Members below were appended; *_default sets them. */
    const double *anchors; /* (n_anchors, d) unit cube, points to perturb (best observed) */
    int n_anchors;
    int n_local;           /* perturbations per anchor, default 32; std cycles over
                              0.001, 0.01, 0.1 of the cube side, then clamped to [0,1] */
    const double *pending; /* (n_pending, d) unit cube: points being evaluated; candidates */
    int n_pending;         /* closer than min_dist to one of them are dropped */
    int ts_max_points;     /* TS: cap on the joint-sample set (sweep + local), default 1024 */
    double cand_sep;       /* candidates closer than max(cand_sep, min_dist) (inf-norm) to a
                              better one are dropped; default 0.05, so that the top-k list an
                              advisor ranks holds different places, not one optimum and its
                              near-copies (with 1e-3 the runners-up were often 0.001 from the
                              best, with equal logEI). Pending points use min_dist only. */
    double merge; /* continuous spaces: an L-BFGS run that comes within min(merge l_j, 0.01)
                     in every coordinate j (l: the GP's lengthscales) of an earlier run's end
                     point, below its value, stops there (it is climbing a maximum already
                     found); default 0 (off). perf/results/acq.md, "gap" table */
    llmbo_acqopt_stats *stats; /* if not NULL, filled by each call (benchmarks and tests) */

    /* NULL (default), or local penalisation: the acquisition (which must be logEI) plus
     * llmbo_lp_log_penalty everywhere (pool, L-BFGS, the candidates' acq). */
    const llmbo_lp_balls *lp;
    const double *box_lo; /* (d) with box_hi: optimise over the box [box_lo, box_hi] inside */
    const double *box_hi; /* the unit cube instead of the whole cube (a trust region); both
                             NULL (the default) or both set with 0 <= lo <= hi <= 1 */
    /* NULL (default), or n_models GPs on the same data as gp under other hyperparameters
     * (samples of their posterior): every acquisition value is then llmbo_acq_eval_mix over
     * these models (gp itself only gives the candidates' mean and std and the merge radii). */
    llmbo_gp *const *models;
    int n_models;
} llmbo_acqopt_options;
void llmbo_acqopt_options_default(llmbo_acqopt_options *o, int d);

typedef struct llmbo_candidate {
    double *u; /* (d) unit cube, caller storage */
    double mean, std, acq;
} llmbo_candidate;

/* Fills out[0..*n_out-1] (caller array of k candidates whose u arrays point at caller storage
 * of k*d doubles). space may be NULL (all continuous); otherwise its dimension must equal the
 * GP's. mean and std are the GP's prediction at the candidate, acq its acquisition value.
 * For a LLMBO_ACQ_JOINT acquisition (TS) the candidates are the minimisers of k joint posterior
 * samples over at most ts_max_points sweep/local/extra points (distinct after rounding), drawn with
 * o->seed; acq is then minus the sample's minimum (larger is better, like the other acquisitions)
 * and the list is sorted by it. *n_out < k happens when fewer distinct points exist. Statuses:
 * LLMBO_ERR_INVALID (bad arguments, named in err), LLMBO_ERR_NOMEM, LLMBO_ERR_NUMERIC (no finite
 * acquisition value anywhere), errors of llmbo_gp_sample. Allocates its workspace once per call;
 * the NLopt objective does not allocate. */
llmbo_status llmbo_acq_optimize(llmbo_gp *gp, const llmbo_space *space, const llmbo_acq_params *p,
                                const llmbo_acqopt_options *o, const double *extra, int n_extra,
                                int k, llmbo_candidate *out, int *n_out, llmbo_error *err);

#endif
