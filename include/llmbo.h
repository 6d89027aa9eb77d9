/* llmbo.h: the one public header of libllmbo, LLM-in-the-loop Bayesian optimisation in C11.
 * Shows no GSL, NLopt, curl or cJSON type. Objects are opaque handles with _create/_free (free
 * of NULL does nothing); option structs are filled by *_default() and then adjusted. Functions
 * that can fail return an llmbo_status and, when given one, fill a caller-owned llmbo_error.
 * Unless a contract says otherwise an object may be used by one thread at a time. */
#ifndef LLMBO_H
#define LLMBO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LLMBO_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------------------------------------
 * Status codes and errors. Append-only: values never change meaning.
 * ------------------------------------------------------------------------------------------- */
typedef enum llmbo_status {
    LLMBO_OK = 0,
    LLMBO_ERR_NOMEM = 1,        /* an allocation failed */
    LLMBO_ERR_INVALID = 2,      /* an argument is out of its documented domain */
    LLMBO_ERR_CONFIG = 3,       /* a configuration file or object is malformed */
    LLMBO_ERR_IO = 4,           /* reading or writing a file failed */
    LLMBO_ERR_NUMERIC = 5,      /* a numerical failure (matrix not positive definite, NaN) */
    LLMBO_ERR_PARSE = 6,        /* text (JSON, an LLM answer) could not be parsed */
    LLMBO_ERR_HTTP = 7,         /* transport or HTTP protocol failure */
    LLMBO_ERR_TIMEOUT = 8,      /* an operation exceeded its time limit */
    LLMBO_ERR_OBJECTIVE = 9,    /* an objective evaluation failed (crash, NaN, garbage) */
    LLMBO_ERR_NOT_FOUND = 10,   /* a named thing (objective, backend, cassette entry) is unknown */
    LLMBO_ERR_FORMAT = 11,      /* a binary file (GGUF) is malformed or truncated */
    LLMBO_ERR_UNSUPPORTED = 12, /* valid input that this build does not support */
    LLMBO_ERR_BACKEND = 13,     /* an advisor backend answered unusably */
    LLMBO_ERR_STATE = 14,       /* a call made in the wrong state (tell of an unknown id) */
    LLMBO_ERR_VALIDATION = 15   /* an advisor's answer failed validation */
} llmbo_status;

/* A short, static, human-readable name of a status; never NULL. */
const char *llmbo_strerror(llmbo_status status);

/* Caller-owned detailed error: message names what and where (file, key path, byte offset). */
typedef struct llmbo_error {
    llmbo_status status;
    char msg[1024];
} llmbo_error;

/* Process-wide set-up: turns off GSL's aborting error handler and initialises curl. Idempotent;
 * call once before other threads use the library (the llmbo binary does). */
llmbo_status llmbo_init(void);

/* ---------------------------------------------------------------------------------------------
 * Parameter spaces. Values of a point are held in "original units" as doubles: continuous and
 * log parameters as themselves, integers as whole numbers, categoricals as the choice index.
 * The optimiser works in the unit cube [0,1]^d, one coordinate per parameter.
 * ------------------------------------------------------------------------------------------- */
typedef enum llmbo_param_type {
    LLMBO_PARAM_CONTINUOUS = 0,
    LLMBO_PARAM_INTEGER = 1,
    LLMBO_PARAM_LOG = 2, /* continuous, mapped to the cube through log(x); lo > 0 */
    LLMBO_PARAM_CATEGORICAL = 3
} llmbo_param_type;

/* Largest |bound| of an integer parameter: 2^53, beyond which a double skips whole numbers. */
#define LLMBO_SPACE_INT_MAX 9007199254740992.0

typedef struct llmbo_param {
    const char *name; /* required, unique in a space */
    llmbo_param_type type;
    double lo, hi;              /* bounds (ignored for categoricals): finite, lo < hi, hi - lo
                                   finite; integers within +-LLMBO_SPACE_INT_MAX */
    int n_choices;              /* categoricals: number of choices */
    const char *const *choices; /* categoricals: (n_choices) names */
    const char *unit;           /* optional, e.g. "degC"; NULL if none */
    const char *description;    /* optional, shown to advisors; NULL if none */
} llmbo_param;

typedef struct llmbo_space llmbo_space;

/* Creates an empty space. Returns NULL on allocation failure. */
llmbo_space *llmbo_space_create(void);
void llmbo_space_free(llmbo_space *space);
/* Adds a parameter; strings are copied. LLMBO_ERR_INVALID names the problem in err. */
llmbo_status llmbo_space_add(llmbo_space *space, const llmbo_param *param, llmbo_error *err);
int llmbo_space_dim(const llmbo_space *space);
/* The i-th parameter (0 <= i < dim); pointers stay valid until the space is freed. */
const llmbo_param *llmbo_space_param(const llmbo_space *space, int i);
/* Original units -> unit cube. x and u are (dim). */
void llmbo_space_to_unit(const llmbo_space *space, const double *x, double *u);
/* Unit cube -> original units, rounding integers and categoricals. u is clamped to [0,1]. */
void llmbo_space_from_unit(const llmbo_space *space, const double *u, double *x);
/* Snaps u to the cube coordinates of its rounded point (integers, categoricals). In place. */
void llmbo_space_round_unit(const llmbo_space *space, double *u);
/* Checks a point in original units: finite, within bounds, integer/choice valid. */
llmbo_status llmbo_space_check(const llmbo_space *space, const double *x, llmbo_error *err);

/* ---------------------------------------------------------------------------------------------
 * Objectives: built-in benchmark functions ("branin", "ackley:10"), semantic simulations, and
 * external commands. Values are reported as the function defines them; llmbo_objective_maximize
 * tells the sense, and the loop handles it.
 * ------------------------------------------------------------------------------------------- */
typedef struct llmbo_objective llmbo_objective;

/* Creates a built-in objective from "name", "name:DIM", or either with an instance suffix
 * "#K" ("ackley:5#3", see llmbo_objective_set_instance). LLMBO_ERR_NOT_FOUND for an unknown
 * name, LLMBO_ERR_INVALID for a bad dimension or instance. */
llmbo_status llmbo_objective_create(const char *spec, llmbo_objective **out, llmbo_error *err);
/* Turns a built-in objective into its instance K (0 <= K <= 1000000; 0 leaves it unchanged):
 * the function translated by a shift s drawn from (name, K) alone, f_K(x) = f(x - s), whose
 * optimiser is uniform in the middle 80% of every coordinate's range; the optimum value is
 * kept and llmbo_objective_optimizers reports the moved optimiser. The name gains "#K". Only for
 * built-ins whose optimum is their unique global minimum over R^d (llmbo_objective_has_instances);
 * LLMBO_ERR_INVALID otherwise, for an out-of-range K, or when an instance is already set. */
llmbo_status llmbo_objective_set_instance(llmbo_objective *obj, long instance, llmbo_error *err);
long llmbo_objective_instance(const llmbo_objective *obj); /* 0 unless an instance is set */
/* 1 if the built-in named name (without ":DIM") has instances. */
int llmbo_objective_has_instances(const char *name);
/* Creates an external-command objective: command is run by /bin/sh once per evaluation, gets
 * {"name": value, ...} on stdin and must print a number or {"value": number} on stdout. The
 * space is copied. timeout_s <= 0 means no limit. */
llmbo_status llmbo_objective_create_external(const char *command, const llmbo_space *space,
                                             double timeout_s, int maximize, llmbo_objective **out,
                                             llmbo_error *err);
void llmbo_objective_free(llmbo_objective *obj);
/* Adds N(0, sd^2) observation noise drawn from a generator seeded with seed. */
void llmbo_objective_set_noise(llmbo_objective *obj, double sd, uint64_t seed);
const char *llmbo_objective_name(const llmbo_objective *obj); /* canonical, "ackley:10" */
const char *llmbo_objective_description(const llmbo_objective *obj);
int llmbo_objective_dim(const llmbo_objective *obj);
const llmbo_space *llmbo_objective_space(const llmbo_objective *obj);
int llmbo_objective_maximize(const llmbo_objective *obj); /* 1 if larger is better */
/* 1 and *value set if the optimal value is known (for the objective's sense). */
int llmbo_objective_optimal_value(const llmbo_objective *obj, double *value);
/* Number of known global optimisers (0 if none is known); *xs (may be NULL) is set to the
 * (n, dim) row-major optimisers in original units, owned by obj. */
int llmbo_objective_optimizers(const llmbo_objective *obj, const double **xs);
/* Evaluates at x (original units). LLMBO_ERR_OBJECTIVE (with the reason in err) for a failed
 * evaluation: crash, timeout, non-zero exit, garbage or non-finite output. */
llmbo_status llmbo_objective_eval(llmbo_objective *obj, const double *x, double *y,
                                  llmbo_error *err);

/* Enumeration of the built-in table, for listings. */
int llmbo_objective_count(void);
const char *llmbo_objective_builtin_name(int i);

/* ---------------------------------------------------------------------------------------------
 * Gaussian-process surrogate on inputs in the unit cube. The GP standardises outputs itself and
 * predicts in the caller's units. Hyperparameters are held in log space:
 * theta = [log l_1 .. log l_d, log sigma_f^2, log sigma_n^2] (standardised-output units).
 *
 * Model: y_s = f(x) + eps, f ~ GP(0, sigma_f^2 g(r)), eps ~ N(0, sigma_n^2), with
 * r^2 = sum_j (x_j - x'_j)^2 / l_j^2, y_s = (y - mean(y)) / std(y) (population std; 1 when y is
 * constant). Fitting maximises the log marginal likelihood plus, by default, log priors (MAP):
 *   log l_j       ~ N(sqrt(2) + ln(d)/2 + ls_prior_shift, 3)   (BoTorch's dimension-scaled
 *                 LogNormal prior, mean shifted by the option, default 0)
 *   log sigma_f^2 ~ N(0, 1.5^2)
 *   log sigma_n^2 ~ N(-4, 1)
 * within bounds l_j in [ls_min, ls_max] (default [0.025, 100]), sigma_f^2 in [1e-2, 1e2],
 * sigma_n^2 in [noise_floor, 10].
 * Starts: the previous optimum (or the prior modes on a first fit), the prior modes, four
 * isotropic lengthscale scales, and n_restarts points drawn from the priors (seeded); each is
 * screened by its objective value (one Cholesky), then L-BFGS (NLopt, analytic gradients) runs
 * from the best one, plus from the next best for every 4 random starts, each run capped at
 * max_eval evaluations and stopped when an iteration gains less than 1e-3 nats (with loo_modes,
 * from the best loo_modes starts, the winner chosen by leave-one-out density). The fit workspace
 * (about n^2 (d/2 + 2.5) doubles) is kept for the next fit until llmbo_gp_free.
 *
 * Refit policy. fit(optimize = 1) refits hyperparameters and standardisation (O(n^3) per
 * likelihood evaluation); fit(optimize = 0) keeps theta and refactorises (one O(n^3)); add()
 * keeps theta and the standardisation constants and costs O(n^2). A BO loop typically calls
 * add() after each evaluation and fit(all data, optimize = 1) when llmbo_gp_needs_refit() says
 * so (e.g. every 5 additions, or when the per-point likelihood has dropped).
 * ------------------------------------------------------------------------------------------- */
typedef enum llmbo_kernel_type {
    LLMBO_KERNEL_SE = 0,
    LLMBO_KERNEL_MATERN12 = 1,
    LLMBO_KERNEL_MATERN32 = 2,
    LLMBO_KERNEL_MATERN52 = 3
} llmbo_kernel_type;

typedef struct llmbo_gp_options {
    llmbo_kernel_type kernel; /* default MATERN52 */
    int fit_noise;            /* 1: noise variance fitted (>= noise_floor); 0: fixed at noise */
    double noise;             /* fixed noise variance (standardised units) when fit_noise = 0,
                                 default 1e-6; 0 means noise-free (held as 1e-300, with jitter
                                 added only when K is numerically singular) */
    double noise_floor;       /* lower bound of fitted noise variance, default 1e-4 */
    int use_priors;           /* 1: MAP with BoTorch-like priors (default); 0: plain ML-II */
    double ls_prior_shift;    /* added to the mean of every log-lengthscale prior, default 0 */
    int n_restarts;           /* random starts besides the previous optimum, default 3 */
    int max_eval;             /* likelihood evaluations per L-BFGS run, default 200 */
    uint64_t seed;            /* for restart points */
    double ls_max;            /* upper bound of every lengthscale (unit-cube widths), default
                                 100; 0 = max(3, 1.25 sqrt(d)) (the BO loop's default: a GP
                                 whose lengthscale far exceeds the box believes the function
                                 linear in that coordinate and pins the optimum on a face) */
    int gls_mean;             /* 1: the constant prior mean is estimated from the data by
                                 generalised least squares, m0 = 1'K^{-1}y / 1'K^{-1}1 (the
                                 marginal likelihood's maximiser over the mean, profiled out in
                                 fitting); 0 (default): the sample mean */
    double ls_min;            /* lower bound of every lengthscale (unit-cube widths); 0
                                 (default) = LLMBO_GP_LS_MIN */
    int loo_modes;            /* 0 (default): the fit keeps the highest posterior it found;
                                 K > 0: L-BFGS runs from the best max(K, the usual count)
                                 screened starts and the end point with the highest
                                 leave-one-out log predictive density (llmbo_gp_loo) wins.
                                 At most 64 */
    int loo_mixed_only;       /* with loo_modes: 1 = the leave-one-out choice is made only when
                                 the best-posterior mode is half-degenerate (a lengthscale within
                                 1% of the lower bound and another within 1% of the upper);
                                 otherwise that mode stays. Default 0 */
    double prior_mean;        /* without gls_mean: the constant prior mean, in standard
                                 deviations of the (warped) outputs above their sample mean,
                                 in fitting and prediction; 0 (default) = the sample mean. A
                                 positive value is pessimistic for minimisation: far from the
                                 data the posterior mean rises towards it. |prior_mean| <= 100;
                                 nonzero together with gls_mean is out of domain */
} llmbo_gp_options;

/* Smallest lengthscale a fit may choose (unit-cube widths). */
#define LLMBO_GP_LS_MIN 0.025
/* Largest |y| a GP accepts: beyond it the outputs' variance could overflow a double. The BO
 * loop compresses its models' values beyond LLMBO_BO_Y_LIMIT (below) to stay within it. */
#define LLMBO_GP_Y_LIMIT 1e103

void llmbo_gp_options_default(llmbo_gp_options *opt);
/* The lengthscale upper bound that options opt give in dimension d (resolves ls_max = 0). */
double llmbo_gp_ls_max(const llmbo_gp_options *opt, int d);

typedef struct llmbo_gp llmbo_gp;

/* Creates a GP for inputs of dimension d. NULL on allocation failure, d < 1, or options out of
 * their domain (unknown kernel, noise_floor not in (0, 1), n_restarts < 0, max_eval < 1). opt
 * may be NULL for the defaults. Turns GSL's aborting error handler off (as llmbo_init does). */
llmbo_gp *llmbo_gp_create(int d, const llmbo_gp_options *opt);
void llmbo_gp_free(llmbo_gp *gp);
/* Sets the data (X (n, d) row-major in [0,1]^d, y (n)), copying it. If optimize is nonzero the
 * hyperparameters are refitted, otherwise the current ones are kept. n >= 1; X finite, y finite
 * and within +-LLMBO_GP_Y_LIMIT.
 * LLMBO_ERR_INVALID names the bad entry; LLMBO_ERR_NUMERIC if no jitter made K positive
 * definite; LLMBO_ERR_NOMEM. On error the GP keeps its previous data and factor. */
llmbo_status llmbo_gp_fit(llmbo_gp *gp, const double *X, const double *y, int n, int optimize,
                          llmbo_error *err);
/* Adds one observation keeping hyperparameters and normalisation: O(n^2) Cholesky extension
 * (a full refactorisation with jitter if the extension is not positive definite). Before any
 * fit it behaves as fit(x, y, 1, 0). On error the GP is unchanged. */
llmbo_status llmbo_gp_add(llmbo_gp *gp, const double *x, double y, llmbo_error *err);
int llmbo_gp_n(const llmbo_gp *gp);
int llmbo_gp_dim(const llmbo_gp *gp);
/* Copies theta (d + 2) out / in. Setting refactorises the current data. Values outside the
 * bounds are accepted (bounds apply to the optimiser only); non-finite ones are
 * LLMBO_ERR_INVALID. */
void llmbo_gp_get_theta(const llmbo_gp *gp, double *theta);
llmbo_status llmbo_gp_set_theta(llmbo_gp *gp, const double *theta, llmbo_error *err);
/* Log marginal likelihood of the standardised data at the current theta (no prior terms). */
double llmbo_gp_log_marginal_likelihood(const llmbo_gp *gp);
/* Posterior mean and variance of the latent f at x (d), in the caller's y units; the gradients
 * dmean, dvar (d) may be NULL. Does not allocate. Never returns NaN for finite x. */
void llmbo_gp_predict(llmbo_gp *gp, const double *x, double *mean, double *var, double *dmean,
                      double *dvar);
/* Joint posterior samples of f at Xs (m, d): out (ns, m), drawn with the given seed. */
llmbo_status llmbo_gp_sample(llmbo_gp *gp, const double *Xs, int m, int ns, uint64_t seed,
                             double *out, llmbo_error *err);

/* Posterior mean and variance at m points Xs (m, d) into mean (m) and var (m) (either may be
 * NULL), using BLAS-3 solves in chunks; equal to m calls of llmbo_gp_predict. Does not
 * allocate. */
void llmbo_gp_predict_batch(llmbo_gp *gp, const double *Xs, int m, double *mean, double *var);
/* Hyperparameters in natural units: lengthscales (d) in unit-cube units, the signal and noise
 * variances in the caller's y units (squared). Any pointer may be NULL. */
void llmbo_gp_get_hyper(const llmbo_gp *gp, double *lengthscales, double *signal_var,
                        double *noise_var);
/* The optimiser's box bounds of theta (d + 2 each). */
void llmbo_gp_get_bounds(const llmbo_gp *gp, double *lo, double *hi);
/* The fitting objective at the current theta: log marginal likelihood plus log prior (when
 * use_priors). */
double llmbo_gp_log_posterior(const llmbo_gp *gp);
/* Log marginal likelihood (plus log prior if with_prior) of the current data at theta (d + 2)
 * and its gradient (d + 2, may be NULL), analytic (Rasmussen & Williams eq. 5.9). Leaves the
 * GP's theta and factor unchanged; allocates O(n^2) workspace. With fit_noise = 0 the last
 * gradient entry is still d/dlog sigma_n^2. */
llmbo_status llmbo_gp_log_marginal_likelihood_grad(llmbo_gp *gp, const double *theta,
                                                   int with_prior, double *value, double *grad,
                                                   llmbo_error *err);
/* Draws ns samples of theta (d + 2, as llmbo_gp_get_theta) from the hyperparameter posterior
 * p(theta | data), proportional to exp(log marginal likelihood + log prior) (the fitting
 * objective, llmbo_gp_log_posterior) truncated to the optimiser's box (llmbo_gp_get_bounds), by
 * univariate slice sampling with stepping out and shrinkage (Neal 2003), one update of every
 * fitted entry per sweep (a fixed noise variance stays fixed). The chain starts at the GP's
 * current theta (clipped into the box), runs n_burn sweeps, then keeps one state every thin
 * sweeps; width (log units) is the initial slice interval. out (ns, d + 2). Deterministic for a
 * seed. Leaves the GP's theta, factor and data unchanged. Cost: about 5 (d + 1) Cholesky
 * factorisations per sweep. Statuses: LLMBO_ERR_STATE (no data), LLMBO_ERR_INVALID (ns < 1,
 * n_burn < 0, thin < 1, width not finite and positive, out NULL), LLMBO_ERR_NUMERIC (the
 * posterior is zero at the start), LLMBO_ERR_NOMEM. */
llmbo_status llmbo_gp_slice_sample(llmbo_gp *gp, int ns, int n_burn, int thin, double width,
                                   uint64_t seed, double *out, llmbo_error *err);
/* Leave-one-out predictions of the GP's own data at its current theta and factor, in closed
 * form from K^{-1} (Rasmussen & Williams 2006, eq. 5.12): for each observation i the
 * predictive mean mean[i] and variance var[i] (caller's units) of y_i under the model of the
 * other n - 1 points with the same hyperparameters, standardisation and constant mean; *logp
 * the sum of log N(y_i; mean[i], var[i]) (R&W eq. 5.10). mean, var (n each) and logp may be
 * NULL. Allocates O(n^2). Statuses: LLMBO_ERR_STATE (no data or no factor), LLMBO_ERR_NOMEM. */
llmbo_status llmbo_gp_loo(const llmbo_gp *gp, double *mean, double *var, double *logp,
                          llmbo_error *err);
/* Refit policy helper: 1 if the hyperparameters should be re-optimised now, i.e. at least
 * `every` observations were added since the last optimisation (every <= 0 disables this test),
 * or the log marginal likelihood per observation fell by more than lml_drop since then
 * (lml_drop <= 0 disables it), or no optimisation has been done yet. */
int llmbo_gp_needs_refit(const llmbo_gp *gp, int every, double lml_drop);

/* ---------------------------------------------------------------------------------------------
 * Advisor hook: how the loop asks an advisor (an LLM, or any other decision-maker) for advice.
 * The advisor sees only this plain description of the optimisation: the space, the history in
 * original units and the GP's candidates with their predictions. It never sees the GP.
 * ------------------------------------------------------------------------------------------- */
typedef enum llmbo_advice_mode {
    LLMBO_ADVICE_RANK = 0,     /* order the candidates, best first */
    LLMBO_ADVICE_PROPOSE = 1,  /* propose n_want points, evaluated directly */
    LLMBO_ADVICE_POOL = 2,     /* propose n_want points that join the acquisition's pool */
    LLMBO_ADVICE_WARMSTART = 3 /* propose n_want initial points from the description alone */
} llmbo_advice_mode;

typedef enum llmbo_advice_outcome {
    LLMBO_OUTCOME_VALID = 0,          /* first answer was valid */
    LLMBO_OUTCOME_REPAIRED = 1,       /* valid after one repair request */
    LLMBO_OUTCOME_FALLBACK = 2,       /* no usable answer: the loop falls back to the GP's choice */
    LLMBO_OUTCOME_TRANSPORT_ERROR = 3 /* the backend could not be reached: fallback as well */
} llmbo_advice_outcome;

typedef struct llmbo_advice_request {
    llmbo_advice_mode mode;
    const llmbo_space *space; /* parameter names, types, bounds, units, descriptions */
    const char *problem;      /* plain-language description of the objective; may be NULL */
    int maximize;             /* 1 if larger y is better */
    int n_hist;               /* evaluations so far */
    const double *hist_x;     /* (n_hist, d) original units */
    const double *hist_y;     /* (n_hist) values; entries with hist_failed[i] != 0 are NaN */
    const int *hist_failed;   /* (n_hist) nonzero for failed evaluations */
    int iteration;            /* evaluations done (including pending) */
    int budget;               /* total evaluations */
    int n_cand;               /* RANK/POOL: GP candidates */
    const double *cand_x;     /* (n_cand, d) original units */
    const double *cand_mean;  /* (n_cand) predicted mean, caller's y units */
    const double *cand_std;   /* (n_cand) predicted standard deviation */
    const double *cand_acq;   /* (n_cand) acquisition value (larger is better) */
    int n_want;               /* RANK: how many to choose; others: points to propose */
} llmbo_advice_request;

typedef struct llmbo_advice_reply {
    int *order;  /* RANK: caller-allocated (n_cand); filled with candidate indices */
    int n_order; /* RANK: entries filled (>= 1 on success) */
    double *x;   /* PROPOSE/POOL/WARMSTART: caller-allocated (n_want, d), original units */
    int n_x;     /* points filled */
    llmbo_advice_outcome outcome;
} llmbo_advice_reply;

/* Cumulative advisor cost, as journalled. Counters only grow. */
typedef struct llmbo_cost {
    long calls, retries;
    long prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens;
    double dollars;     /* API price of the tokens */
    double seconds;     /* wall-clock seconds spent waiting for the advisor */
    double cpu_seconds; /* local backends: CPU seconds used */
    double cpu_dollars; /* local backends: cpu_seconds times the configured CPU-hour price */
    long valid, repaired, fallback, errors; /* outcome counts */
} llmbo_cost;

typedef struct llmbo_advisor_hook {
    int version; /* LLMBO_ADVISOR_HOOK_VERSION */
    void *ctx;
    /* Fills reply for req. A non-OK status means no advice (the loop falls back and counts an
     * error); outcome says how the advice was obtained. */
    llmbo_status (*advise)(void *ctx, const llmbo_advice_request *req, llmbo_advice_reply *reply,
                           llmbo_error *err);
    /* Copies the cumulative cost; may be NULL (then the cost is zero). */
    void (*cost)(void *ctx, llmbo_cost *out);
} llmbo_advisor_hook;
#define LLMBO_ADVISOR_HOOK_VERSION 1

/* How a strategy schedules its advisor (parsed by the advisor's config, applied by the loop). */
typedef struct llmbo_advice_schedule {
    llmbo_advice_mode mode; /* rank, propose, pool; warm-start is the flag below */
    int warmstart;          /* 1: the advisor also proposes the initial design */
    int every;              /* consult the advisor every k-th proposal (1 = always) */
    double phase_start;     /* only within [phase_start, phase_end) of the budget, as fractions */
    double phase_end;
    int adaptive;     /* 1: bandit gate between GP and advisor by delivered improvement */
    int n_candidates; /* RANK/POOL: GP candidates shown (top-K) */
    int n_propose;    /* PROPOSE/POOL/WARMSTART: points asked per call */
    int gp_rules;     /* RANK: 1 = the candidates shown are made under the loop's own proposal
                         rules (trust region, face_mean, stagnation escape, ...), as in pool
                         mode, where they always apply; 0 (default) = the rules stand aside
                         while the advisor ranks */
} llmbo_advice_schedule;

/* ---------------------------------------------------------------------------------------------
 * The BO loop (ask/tell).
 * ------------------------------------------------------------------------------------------- */
/* Ask/tell Bayesian optimisation over a parameter space. The loop minimises internally: for a
 * maximised objective (options.maximize = 1) it negates every told value before the GP sees it,
 * and reports best values, advisor histories and candidate means back in the objective's own
 * sense. Points are exchanged in original units.
 *
 * Proposals. Each point returned by llmbo_bo_ask gets an id: 0, 1, 2, ... in the order asked.
 * Ids below n_init come from the initial design (or the advisor's warm start); later ids come
 * from the strategy. Every random choice behind proposal k is drawn from generators seeded by
 * (seed, k), never from a running stream, and the GP is refitted from the previous
 * hyperparameters recorded with each proposal, so a loop rebuilt with llmbo_bo_replay from a
 * journal proposes exactly what the uninterrupted loop would have proposed.
 *
 * Pending points. Points asked but not yet told are pending. The GP that chooses the next point
 * is conditioned on a fantasy value at each pending point (options.pending): the kriging
 * believer (default) uses the GP's posterior mean there, the constant liars the minimum, mean
 * or maximum of the successful values so far. The conditioned model keeps the model's
 * hyperparameters and output scaling (the believer's mean is the model's own), and a fantasy
 * below the best observed value is the incumbent, as if observed. Local penalisation (lp)
 * conditions on nothing: the acquisition is penalised around each pending point instead. A
 * batch ask(q > 1) chooses its points one after the other, each conditioned on (or penalised
 * around) the earlier ones. Fantasies are never stored: the model is rebuilt from the real
 * data at the next ask.
 *
 * Failures. A point told with failed = 1 stays in the history (the advisor sees it as failed,
 * it counts in llmbo_bo_n_failed) but never enters the GP's data or its hyperparameter fit; it
 * stops being pending. So that the loop does not propose a failing point again and again, the
 * acquisition sees each failed point as a fantasy at the worst successful value so far (the
 * model used to choose the next point is conditioned on it, like a pending point), and
 * candidates next to it are dropped. */
/* Strategies (names in parentheses: the run config's "strategy" values). Each is one row of the
 * strategy table in bo/loop.c. */
typedef enum llmbo_strategy {
    LLMBO_STRATEGY_RANDOM = 0,    /* ("random") uniform random points after the initial design */
    LLMBO_STRATEGY_GP = 1,        /* ("gp") GP + acquisition; an advisor hook, if one is set, is
                                     consulted per schedule */
    LLMBO_STRATEGY_ADVISOR = 2,   /* ("llm") the advisor proposes every point (warm start, then
                                     propose mode); on a fallback a design point or a random
                                     point. Needs an advisor hook */
    LLMBO_STRATEGY_GP_ADVISOR = 3 /* ("gp+llm") as GP, but needs an advisor hook */
} llmbo_strategy;

/* Acquisition functions (larger is better; see bo/acq.h for the formulas), one row each of the
 * acquisition table in bo/acq.c. */
typedef enum llmbo_acquisition {
    LLMBO_ACQUISITION_EI = 0,
    LLMBO_ACQUISITION_LOGEI = 1,
    LLMBO_ACQUISITION_PI = 2,
    LLMBO_ACQUISITION_UCB = 3,
    LLMBO_ACQUISITION_TS = 4
} llmbo_acquisition;

/* Initial designs in the unit cube: scrambled Sobol, Latin hypercube, independent uniforms; one
 * row each of the design table in bo/design.c. */
typedef enum llmbo_init_design {
    LLMBO_INIT_SOBOL = 0,
    LLMBO_INIT_LHS = 1,
    LLMBO_INIT_RANDOM = 2
} llmbo_init_design;

/* Fantasy values at pending points (see above). */
typedef enum llmbo_pending_method {
    LLMBO_PENDING_KB = 0,      /* kriging believer: the posterior mean */
    LLMBO_PENDING_CL_MIN = 1,  /* constant liar: the best (internal minimum) value so far */
    LLMBO_PENDING_CL_MEAN = 2, /* constant liar: the mean of the successful values */
    LLMBO_PENDING_CL_MAX = 3,  /* constant liar: the worst value so far */
    LLMBO_PENDING_LP = 4       /* local penalisation: no fantasy; the acquisition (logei only)
                                  is penalised around each pending point (bo/acq.h) */
} llmbo_pending_method;

/* Batch geometry of an ask of q > 1 points (llmbo_bo_options.batch_step). */
typedef enum llmbo_batch_step {
    LLMBO_BATCH_STEP_OFF = 0,   /* every point of the batch from the acquisition (pending) */
    LLMBO_BATCH_STEP_RADII = 1, /* the first point from the acquisition, point k = 1 .. q - 1 a
                                   low posterior mean in a trust region of half-width
                                   tr_radius 2^(k-1) around the incumbent */
    LLMBO_BATCH_STEP_TS = 2     /* the first point from the acquisition, point k = 1 .. q - 1
                                   where one joint posterior sample (Thompson sampling) of the
                                   model with the batch's earlier points pending is smallest */
} llmbo_batch_step;

/* Who proposed a point; journalled as "init", "gp", "llm", "random", "warmstart", "data".
 * "warmstart": the advisor proposed the initial design; "data": an observation imported from
 * earlier results (a run's "init.from"), told to the loop before its first proposal. */
typedef enum llmbo_source {
    LLMBO_SOURCE_INIT = 0,
    LLMBO_SOURCE_GP = 1,
    LLMBO_SOURCE_LLM = 2,
    LLMBO_SOURCE_RANDOM = 3,
    LLMBO_SOURCE_WARMSTART = 4,
    LLMBO_SOURCE_DATA = 5
} llmbo_source;

/* Static lower-case names of the enums above ("unknown" outside them), and their parsers
 * (-1 for an unknown or NULL name). */
const char *llmbo_source_name(llmbo_source s);
int llmbo_source_parse(const char *name);
const char *llmbo_strategy_name(llmbo_strategy s);
int llmbo_strategy_parse(const char *name);
const char *llmbo_acquisition_name(llmbo_acquisition a);
int llmbo_acquisition_parse(const char *name);
const char *llmbo_init_design_name(llmbo_init_design t);
int llmbo_init_design_parse(const char *name);
const char *llmbo_pending_name(llmbo_pending_method m);
int llmbo_pending_parse(const char *name);
const char *llmbo_batch_step_name(llmbo_batch_step b);
int llmbo_batch_step_parse(const char *name);

typedef struct llmbo_bo_options {
    llmbo_strategy strategy;       /* default LLMBO_STRATEGY_GP */
    llmbo_acquisition acquisition; /* default LLMBO_ACQUISITION_LOGEI */
    llmbo_init_design design;      /* default LLMBO_INIT_SOBOL */
    int n_init;                    /* initial design size; 0 (default): for the GP strategies
                                      (gp, gp+llm) max(d + 1, min(LLMBO_BO_GP_INIT, 4 d,
                                      budget / 2)),
                                      for random and llm d + 1; at least 2, at most budget when
                                      a budget is set */
    int budget;          /* total evaluations planned, initial design included; 0 = unknown. Used
                            by the advice schedule's phase, the UCB beta schedule and gls_from
                            only: ask never refuses to propose beyond it */
    llmbo_gp_options gp; /* llmbo_gp_options_default, but with the noise variance fixed at
                            LLMBO_BO_NOISE_FREE_VAR (fit_noise = 0): the right choice for
                            noise-free objectives; set fit_noise = 1 (and noisy = 1) for noisy
                            ones; ls_prior_shift = -ln 4 (a 4 times shorter lengthscale
                            prior); and ls_max = 0 (lengthscales at most max(3, 1.25 sqrt(d))
                            box widths). Its seed is replaced per refit */
    int refit_every;     /* refit hyperparameters when this many successes arrived since the
                            last refit (default 1: every ask); in between the GP is extended
                            with llmbo_gp_add at fixed hyperparameters */
    llmbo_pending_method pending; /* default LLMBO_PENDING_KB */
    uint64_t seed;                /* default 0 */
    int maximize;                 /* 1: larger y is better (default 0) */
    int noisy;        /* 1: observations are noisy; the incumbent (for EI/PI and llmbo_bo_incumbent)
                         is the best posterior mean over the observed points (default 0) */
    double xi;        /* EI/PI improvement margin, default 0 */
    int n_candidates; /* GP candidates computed per proposal (top-K), default 5; an advisor in
                         rank or pool mode gets max(this, schedule.n_candidates) */
    int acq_sweep;    /* acquisition optimiser sweep size; 0 = the optimiser's default */
    int acq_starts;   /* L-BFGS starts; 0 = the optimiser's default */
    double dup_tol;   /* no GP proposal lies within dup_tol (inf-norm, unit cube) of an evaluated,
                         failed or pending point, unless every candidate does (a discrete space
                         whose configurations are all evaluated); default 1e-3, 0 disables */
    int stall_window; /* stagnation escape: when, among the last 2 stall_window GP proposals
                         since the previous escape (or advisor point or failure), stall_window
                         landed within LLMBO_BO_STALL_RADIUS of an earlier point without
                         improving the incumbent by more than LLMBO_BO_STALL_GAIN of the
                         observed range, and the next candidate is again that close, a random
                         point of a box around the incumbent is evaluated instead, widest in the
                         coordinates with the longest lengthscales (LLMBO_BO_ESCAPE_RADIUS;
                         source "random"); a uniform point of the cube if 8 draws all lie within
                         dup_tol of earlier points. Default 3; 0 disables */
    int y_warp;       /* 1 (default): the GP sees its outputs above their median compressed
                         logarithmically (values at or below it unchanged); 2: the centre is
                         the median or the lower quartile, chosen at each refit of >= 8
                         successes by the likelihood of the data (docs/acquisition.md); 0 off */
    double gls_from;  /* from this fraction of the budget on (a model of n >= gls_from budget
                         points, pending fantasies included), the GP's constant mean is its GLS
                         estimate (llmbo_gp_options.gls_mean) instead of the sample mean;
                         default 0.75; 0 never, and never when budget is 0 */
    double degen_ls;  /* a refit whose every lengthscale sits at the lower bound (a model that
                         relates no two points) is redone with every lengthscale at least
                         degen_ls box widths; default LLMBO_BO_DEGEN_LS; 0 never */
    int tr_window;    /* trust region of a stagnant loop: when tr_window evaluations in a row
                         improved the incumbent by at most LLMBO_BO_TR_GAIN of the observed
                         range, the next 2 tr_window GP proposals maximise the acquisition
                         inside a box around the incumbent of half-width tr_radius l_j /
                         (geometric mean of the lengthscales) in coordinate j (l of the last
                         refit); an improvement closes the region and re-arms the count; if
                         none comes, the loop proposes globally again until one does. Default
                         5; 0 disables */
    double tr_radius; /* the trust region's half-width scale (unit cube), in (0, 1]; default
                         0.2 */
    double explore_gate;        /* exploration of a stagnant loop (off by default): while the trust
                                   region's count (tr_window > 0) says stagnant, each GP proposal of a
                                   sequential loop (not one an advisor chooses: rank mode without
                                   schedule.gp_rules, propose mode) first maximises the acquisition
                                   (logei or ei) over the whole cube under a second GP, the last
                                   refit's hyperparameters with every lengthscale times explore_ls,
                                   and takes that point if its expected improvement is at least
                                   explore_gate times the observed range of values; otherwise the
                                   regular proposal. In [0, 1]; default 0 (off); 0.01 is the measured
                                   setting (perf/results/suite.md, round 6) */
    double explore_ls;          /* lengthscale factor of that second GP, in (0, 1]; default
                                   LLMBO_BO_EXPLORE_LS */
    int hyper_samples;          /* integrated acquisition (off by default): when > 0, each GP
                                   proposal of a loop with no points in flight maximises the
                                   acquisition averaged over this many samples of the GP's
                                   hyperparameter posterior (llmbo_gp_slice_sample from the
                                   refit's MAP theta, LLMBO_BO_HYPER_BURN sweeps of burn-in, one
                                   sample per sweep, seeded per proposal) instead of the MAP
                                   model's (Snoek et al. 2012); EI values are averaged, not their
                                   logs. At most 64; default 0 (the MAP model). perf/results/
                                   suite.md, round 7, has its measured effect */
    double stall_mean;          /* pessimistic mean of a stagnant loop (off by default): when
                                   > 0, while the trust region's count (tr_window > 0) says
                                   stagnant, each GP proposal of a sequential loop (not one an
                                   advisor chooses) maximises the acquisition under the base model's
                                   hyperparameters and data with the constant prior mean
                                   stall_mean standard deviations above the sample mean
                                   (llmbo_gp_options.prior_mean), so that the regions far from
                                   every evaluated point (the box's faces and corners) look
                                   poor rather than average and exploration goes between the
                                   points. In [0, 100]; default 0. perf/results/suite.md, round
                                   9, has its measured effect */
    double face_mean;           /* pessimistic mean on a bare face (default 2): when > 0 and
                                   the acquisition's best point (not one an advisor chooses; in
                                   pool mode the advisor's points are judged with the GP's; not
                                   a later slot of batch_step) lies on a face of the box (a
                                   continuous coordinate within LLMBO_BO_FACE_EPS of a bound)
                                   that the incumbent is farther than LLMBO_BO_FACE_SUPPORT
                                   from, the acquisition is maximised again under the base
                                   model's hyperparameters and data with the constant prior
                                   mean face_mean standard deviations above the sample mean
                                   (then the failed and pending points fantasised as in the
                                   loop's model), and that point is taken (not with
                                   hyper_samples' averaged models, nor under stall_mean's). In
                                   [0, 100]; 0 turns it off; default 2. perf/results/suite.md,
                                   round 9 and "face_mean after failures" */
    llmbo_advisor_hook advisor; /* advise == NULL (default): no advisor */
    llmbo_advice_schedule schedule; /* default: rank, no warm start, every 1, phase [0, 1), not
                                       adaptive, 5 candidates, 1 proposal */
    const char *problem;            /* plain description for the advisor; copied; may be NULL */
    /* batch_step: the geometry of an ask of q > 1 points (a synchronous batch).
     * LLMBO_BATCH_STEP_OFF (default) proposes each point from the acquisition with the earlier
     * ones pending. RADII, once batch_step_from of the budget has been told as successes,
     * proposes the first point as OFF does and point k = 1 .. q - 1 as the lowest posterior mean
     * (base model) the acquisition optimiser finds in the box around the incumbent of half-width
     * tr_radius 2^(k-1) l_j / (geometric mean of l) in coordinate j, outside the duplicate guard
     * (a parallel trust-region step at q - 1 radii; docs/config.md, perf/results/parallel.md
     * round 5). TS, from the same point on, proposes the first point as OFF does and point
     * k = 1 .. q - 1 as the minimiser, over the acquisition optimiser's candidate pool in the
     * whole cube, of one joint posterior sample of the model conditioned on the batch's earlier
     * points (pending: kb by default), each drawn with the proposal's own seed: a batch spread
     * where the model is unsure (perf/results/parallel.md round 7). batch_step_from: a fraction
     * of the budget in [0, 1], default 0.2; with budget 0 from the first ask. */
    llmbo_batch_step batch_step;
    double batch_step_from;
    double ripple_noise; /* the ripple as noise (off by default): when > 0, a refit with at least
                            ripple_gate lengthscales at (within 1% of) their lower bound is
                            redone with the noise variance fitted, at least ripple_noise
                            (standardised-output units; in (gp.noise, 1)), with the same seed
                            and start points; the degen_ls refit then applies to that fit. Under
                            such a model the acquisition's incumbent is the best posterior mean over
                            the evaluated points (as with noisy), for that proposal only. A
                            short-period ripple on a smooth trend (shifted ackley's cosine term)
                            is what such a fit sees at the floor; with a noise variance it can
                            see the trend. Default 0; perf/results/suite.md, round 10 */
    int ripple_gate;     /* lengthscales at the lower bound that make a refit a ripple fit, in
                            [0, 64]; 0 means all d (full degeneracy only). Default 1 */
    /* final_exploit: a final exploitation phase (off by default). When > 0 and budget > 0, the
     * last round(final_exploit budget) proposals of the budget (ids from budget minus that on)
     * that no advisor is consulted for are made inside the box around the incumbent of
     * half-width tr_radius l_j / (geometric mean of l) in coordinate j (the trust region's box),
     * outside the duplicate guard, with no stagnation escape, face_mean, stall_mean, exploration
     * or hyperparameter samples: the loop's acquisition maximised in that box, or with
     * final_mean = 1 the lower confidence bound m - sqrt(final_beta) s minimised there (the
     * posterior mean with final_beta 0). Simple regret is what the end of a budget is for: an
     * expected-improvement loop on a function with several equal minima (branin) can spend its
     * last evaluations on all of them and refine none. final_exploit in [0, 1), default 0;
     * final_mean 0 or 1, default 0; final_beta finite and >= 0, default 0.
     * perf/results/suite.md, round 11. */
    double final_exploit;
    int final_mean;
    double final_beta;
    /* final_commit: the final exploitation phase only where a proposal would refine another
     * basin already found (off by default). With final_commit = 1 and final_exploit > 0, a
     * proposal of the phase is first made by the loop's own rules, as without the phase; it is
     * remade in the incumbent's box as above only when it lies outside that box and inside the
     * box of the same shape around another success whose value ranks among the best
     * max(2, ceil(final_rank n)) of the n successes: when the loop would spend the evaluation
     * on a second basin it has already found about as good (branin's equal minima); with
     * final_window w > 0 only when, among the last w evaluations, one lies in that success's box
     * and a later one in the incumbent's (the loop goes back and forth between the two).
     * Proposals into regions with no such success (a basin not yet found) keep their place.
     * With an advisor the option is ignored (the advisor would be consulted twice): the phase
     * applies as with final_commit 0. final_commit 0 or 1, default 0; final_rank in (0, 1],
     * default 0.2; final_window >= 0, default 10. perf/results/suite.md, round 12. */
    int final_commit;
    double final_rank;
    int final_window;
} llmbo_bo_options;

/* The loop's models see a told value y beyond +-LLMBO_BO_Y_LIMIT = L as sign(y) L (1 +
 * log(|y| / L)), monotone and within +-482 L for any double (a penalty of DBL_MAX, say, or a
 * maximised objective's huge values, would otherwise overflow the GP's standardisation); the
 * incumbent, the advisor's history and the journal keep the values as told. */
#define LLMBO_BO_Y_LIMIT 1e100
/* Fixed noise variance (standardised-output units) of the default, noise-free GP. */
#define LLMBO_BO_NOISE_FREE_VAR 1e-6
/* Stagnation escape (llmbo_bo_options.stall_window): "next to an earlier point" is an inf-norm
 * distance below this in the unit cube; "no improvement" is a gain below this fraction of the
 * range of the observed values. */
#define LLMBO_BO_STALL_RADIUS 1e-2
#define LLMBO_BO_STALL_GAIN   1e-4
/* The escape's box around the incumbent: half-width this times l_j / (geometric mean of the
 * lengthscales) in coordinate j (unit cube). */
#define LLMBO_BO_ESCAPE_RADIUS 0.02
/* A face of the box "the incumbent is not near" (llmbo_bo_options.face_mean): a proposal's
 * coordinate within FACE_EPS of a bound while the incumbent's is farther than FACE_SUPPORT
 * (unit cube). */
#define LLMBO_BO_FACE_EPS     1e-6
#define LLMBO_BO_FACE_SUPPORT 0.05
/* Lengthscale floor of the refit of a degenerate fit (llmbo_bo_options.degen_ls). */
#define LLMBO_BO_DEGEN_LS 0.1
/* Initial design size of the GP strategies when n_init is 0 (see llmbo_bo_options.n_init): at
 * most LLMBO_BO_GP_INIT points, and at most LLMBO_BO_GP_INIT_D per dimension. */
#define LLMBO_BO_GP_INIT   12
#define LLMBO_BO_GP_INIT_D 4
/* Trust region (llmbo_bo_options.tr_window): "no improvement" is a gain of at most this
 * fraction of the range of the observed values. */
#define LLMBO_BO_TR_GAIN 1e-3
/* Burn-in sweeps of the hyperparameter slice sampler (llmbo_bo_options.hyper_samples), and
 * its initial interval width (log units). */
#define LLMBO_BO_HYPER_BURN  2
#define LLMBO_BO_HYPER_WIDTH 1.0
/* Lengthscale factor of the second GP of a stagnant loop (llmbo_bo_options.explore_ls). */
#define LLMBO_BO_EXPLORE_LS 0.5

void llmbo_bo_options_default(llmbo_bo_options *opt);

/* Fills opt from the JSON text of a run config's loop keys (docs/config.md): strategy,
 * acquisition, seed, init, gp, batch, pending, noisy, acq, budget (optional here; absent means
 * unknown, 0) and advisor, with the run config's defaults, resolved for dimension d. The keys
 * and messages are those of `llmbo run`: LLMBO_ERR_PARSE for JSON syntax (line and column),
 * LLMBO_ERR_CONFIG naming the key path ("WHERE: init.design: unknown value ..."; where may be
 * NULL for "options"), also for an "objective" key (the caller gives the loop its space).
 * *batch (may be NULL) gets the "batch" key (default 1). The advisor object is only checked to
 * be present exactly when the strategy needs one (llm, gp+llm): the caller creates the advisor
 * from it and sets opt->advisor and opt->schedule. opt->maximize and opt->problem keep their
 * defaults. On error opt may be partly filled. */
llmbo_status llmbo_bo_options_from_json(const char *json, const char *where, int d,
                                        llmbo_bo_options *opt, int *batch, llmbo_error *err);

/* Counters of the advisor's use by the loop. */
typedef struct llmbo_bo_stats {
    long consulted;  /* advisor calls made by the loop */
    long used;       /* calls whose advice was taken (a point with source llm/warmstart) */
    long fallbacks;  /* calls that ended with the GP's (or design's, or a random) choice */
    long errors;     /* of those, calls whose hook returned a non-OK status */
    long gate_gp;    /* adaptive gate decisions for the GP */
    long gate_llm;   /* adaptive gate decisions for the advisor */
    long escapes;    /* stagnation escapes proposed by this object (not counted on replay) */
    long degenerate; /* refits redone with the degen_ls floor (not counted on replay) */
    long trust;      /* GP proposals made inside the trust region (not counted on replay) */
    long explore;    /* GP proposals taken from the second GP of a stagnant loop
                        (explore_gate; not counted on replay) */
    long pessimism;  /* GP proposals made under a pessimistic mean (face_mean, stall_mean;
                        not counted on replay) */
    long ripple;     /* refits redone with a fitted noise variance (ripple_noise; not counted
                        on replay) */
    long exploit;    /* proposals of the final exploitation phase (final_exploit; not counted
                        on replay) */
} llmbo_bo_stats;

typedef struct llmbo_bo llmbo_bo;

/* Creates a loop over space (copied: the caller may free it afterwards) with opt (copied; NULL
 * for the defaults). The initial design is drawn here. LLMBO_ERR_INVALID names a bad option
 * (an advisor strategy without a hook, a schedule outside its domain, an empty space),
 * LLMBO_ERR_NOMEM. *out is NULL on failure. */
llmbo_status llmbo_bo_create(const llmbo_space *space, const llmbo_bo_options *opt, llmbo_bo **out,
                             llmbo_error *err);
void llmbo_bo_free(llmbo_bo *bo);

/* Proposes q >= 1 points: X (q, d) in original units, ids (q) and, if sources is not NULL,
 * sources (q). The points become pending. May fit the GP and call the advisor. Statuses:
 * LLMBO_ERR_INVALID (q < 1, NULL arrays), LLMBO_ERR_NOMEM, LLMBO_ERR_NUMERIC (the GP could not
 * be fitted), errors of the acquisition optimiser; advisor failures are not errors (the loop
 * falls back and counts them in llmbo_bo_stats). On an error no point became pending. */
llmbo_status llmbo_bo_ask(llmbo_bo *bo, int q, int64_t *ids, double *X, llmbo_source *sources,
                          llmbo_error *err);

/* Reports the result of pending point id, in any order. failed = 1 marks a failed evaluation
 * (y is ignored); otherwise y must be finite (as the objective defines it, not negated).
 * LLMBO_ERR_STATE for an id that was never asked or was already told, LLMBO_ERR_INVALID for a
 * non-finite y with failed = 0. */
llmbo_status llmbo_bo_tell(llmbo_bo *bo, int64_t id, double y, int failed, llmbo_error *err);

/* Registers, without any computation, a proposal made by an earlier loop with the same space
 * and options: it becomes pending exactly as if ask had returned it. Calls must follow the
 * original interleaving of asks and tells (a batch's replays before its tells). id must be the
 * next id; theta (d + 2) is the GP hyperparameter vector recorded with the proposal
 * (llmbo_bo_theta), or NULL when it had none. LLMBO_ERR_STATE for an out-of-order id,
 * LLMBO_ERR_INVALID for a point outside the space. */
llmbo_status llmbo_bo_replay(llmbo_bo *bo, int64_t id, const double *x, llmbo_source source,
                             const double *theta, llmbo_error *err);

/* The GP hyperparameters (d + 2, see llmbo_gp_get_theta) of the model that proposed id: 1 and
 * theta filled, or 0 when no GP was involved (design, random, advisor-only points) or id is
 * unknown. */
int llmbo_bo_theta(const llmbo_bo *bo, int64_t id, double *theta);

int llmbo_bo_dim(const llmbo_bo *bo);
int llmbo_bo_n_init(const llmbo_bo *bo); /* the resolved initial design size */
long llmbo_bo_n_asked(const llmbo_bo *bo);
long llmbo_bo_n_told(const llmbo_bo *bo);
long llmbo_bo_n_failed(const llmbo_bo *bo);
long llmbo_bo_n_pending(const llmbo_bo *bo);

/* Best successful observation in the objective's own sense: x (d, may be NULL), y and id (may
 * be NULL). LLMBO_ERR_STATE when nothing succeeded yet. */
llmbo_status llmbo_bo_best(const llmbo_bo *bo, double *x, double *y, int64_t *id);

/* The incumbent: for noisy options the observed point with the best GP posterior mean (mean
 * in the objective's sense), otherwise the same as llmbo_bo_best. Uses the model of the last
 * ask extended by the later successes, without refitting its hyperparameters (a refit outside
 * ask would not be replayable); before the first GP ask it fits one. LLMBO_ERR_STATE when
 * nothing succeeded yet, LLMBO_ERR_NOMEM, LLMBO_ERR_NUMERIC. */
llmbo_status llmbo_bo_incumbent(llmbo_bo *bo, double *x, double *mean, llmbo_error *err);

void llmbo_bo_get_stats(const llmbo_bo *bo, llmbo_bo_stats *out);

/* ---------------------------------------------------------------------------------------------
 * LLM advisors: a large language model behind one of the backends (an OpenAI-compatible or the
 * Anthropic HTTP API, the local engine, or a replay of recorded answers), prompted with the
 * loop's plain description and parsed and validated into advice. Configured by the JSON of a
 * run config's "advisor" object (docs/advisor.md); handed to the loop as an llmbo_advisor_hook
 * with its schedule. An advisor may serve several loops one after the other (its cost
 * accumulates) and must outlive them. One thread at a time, except that its hook may be called
 * by the loop while the caller does nothing else with the advisor.
 * ------------------------------------------------------------------------------------------- */
typedef struct llmbo_advisor llmbo_advisor;

/* Creates an advisor from json, the text of an "advisor" object such as
 *   {"backend": "replay", "cassette": "answers.jsonl", "model": "m", "mode": "rank"}.
 * where prefixes every error message (NULL: "advisor"); log_dir, when not NULL, receives the
 * call log log_dir/advisor.jsonl (prompts, answers, costs; never the API key). API keys are read
 * from the environment variable the object names. No network traffic happens here (see
 * llmbo_advisor_preflight). Statuses: LLMBO_ERR_PARSE (not JSON), LLMBO_ERR_CONFIG (unknown key,
 * bad value: err names the key path), LLMBO_ERR_IO (cassette, template, price or log file),
 * LLMBO_ERR_NOMEM, LLMBO_ERR_INVALID (NULL json or out). *out is NULL on failure. */
llmbo_status llmbo_advisor_create_json(const char *json, const char *where, const char *log_dir,
                                       llmbo_advisor **out, llmbo_error *err);
void llmbo_advisor_free(llmbo_advisor *adv);
/* Checks once that the backend can be reached (HTTP: a connection, no request, no tokens).
 * Unreachable with "on_unreachable": "fail" (the default) is LLMBO_ERR_CONFIG naming the server;
 * with "fallback" a warning goes to stderr, LLMBO_OK is returned and every advice then fails at
 * once (the loop falls back to the GP). Local and replay backends always succeed. */
llmbo_status llmbo_advisor_preflight(llmbo_advisor *adv, llmbo_error *err);
/* The hook for llmbo_bo_options.advisor; valid while adv lives. */
void llmbo_advisor_get_hook(llmbo_advisor *adv, llmbo_advisor_hook *out);
/* The schedule parsed from the object (mode, every, phase, gate, candidates), for
 * llmbo_bo_options.schedule. */
void llmbo_advisor_get_schedule(const llmbo_advisor *adv, llmbo_advice_schedule *out);
/* The cumulative cost so far: calls, tokens, dollars, seconds, outcome counts. */
void llmbo_advisor_get_cost(const llmbo_advisor *adv, llmbo_cost *out);
/* The model's name and the backend's name ("openai", "anthropic", "local", "replay"); static
 * while adv lives. */
const char *llmbo_advisor_model(const llmbo_advisor *adv);
const char *llmbo_advisor_backend_name(const llmbo_advisor *adv);

#ifdef __cplusplus
}
#endif
#endif /* LLMBO_H */
