/* objective_impl.h: internals of objectives/ shared by its .c files and the tests: the
 * definition table of built-in objectives (NLopt testfuncs style: one static const row per
 * function) and the layout of an llmbo_objective. Never installed. */
#ifndef LLMBO_OBJECTIVE_IMPL_H
#define LLMBO_OBJECTIVE_IMPL_H

#include "llmbo.h"

/* Largest dimension accepted for a variable-dimension function ("ackley:DIM"). */
#define LLMBO_OBJECTIVE_MAX_DIM 1000
/* Largest objective instance number ("ackley:5#K", config "instance"). */
#define LLMBO_OBJECTIVE_MAX_INSTANCE 1000000

typedef struct llmbo_objective_def {
    const char *name;        /* lower case, unique */
    const char *description; /* one plain sentence, shown to advisors */
    const char *source;      /* where the formula, constants and optimum come from */
    int dim;                 /* fixed dimension, or 0: any d >= min_dim that is a multiple of
                                dim_step (written "name:DIM", default_dim when omitted) */
    int default_dim, min_dim, dim_step;
    double lo, hi;                       /* bounds of every coordinate, unless bounds != NULL */
    const double (*bounds)[2];           /* (dim) per-coordinate [lo, hi] of a fixed-dim function */
    const llmbo_param *params;           /* (dim) named parameters of a semantic objective, or NULL
                                            for coordinates named x1..xd */
    int maximize;                        /* 1 if the function is maximised by definition */
    double (*f)(const double *x, int d); /* the function; x has d coordinates */
    /* Optimum of a fixed-dim function: n_opt optimisers xopt (n_opt, dim) with value fstar;
     * n_opt = 0 means the optimum is unknown. */
    double fstar;
    int n_opt;
    const double *xopt;
    /* Optimum of a variable-dim function (NULL for fixed-dim ones): returns the number n of
     * known optimisers at dimension d (0 if the optimum is unknown there), sets *value and, when
     * xs is not NULL, fills xs (n, d). */
    int (*optimum)(int d, double *value, double *xs);
    /* Bounds that depend on the dimension (trid: [-d^2, d^2]); NULL: lo, hi. */
    void (*dim_bounds)(int d, double *lo, double *hi);
} llmbo_objective_def;

/* The built-in table. */
int llmbo_objective_def_count(void);
const llmbo_objective_def *llmbo_objective_def_at(int i);
const llmbo_objective_def *llmbo_objective_def_find(const char *name);

/* Semantic objectives (semantic.c). */
double llmbo_semantic_pid(const double *x, int d);
double llmbo_semantic_reaction(const double *x, int d);
double llmbo_semantic_krr(const double *x, int d);
extern const llmbo_param llmbo_semantic_pid_params[3];
extern const llmbo_param llmbo_semantic_reaction_params[4];
extern const llmbo_param llmbo_semantic_krr_params[2];
/* Best known points and values, from the dense searches recorded in semantic.c. */
extern const double llmbo_semantic_pid_best[3];
extern const double llmbo_semantic_reaction_best[4];
extern const double llmbo_semantic_krr_best[2];
#define LLMBO_PID_BEST      0.92363713390466606
#define LLMBO_REACTION_BEST 81.548520946551491
#define LLMBO_KRR_BEST      0.1529319054870531
/* The krr dataset: xtr, ytr (40) training and xva, yva (100) validation samples. 0 on success. */
int llmbo_semantic_krr_data(double *xtr, double *ytr, double *xva, double *yva);

/* Replaces the name and/or the description (NULL keeps the current one); strings are copied. */
llmbo_status llmbo_objective_set_info(llmbo_objective *obj, const char *name,
                                      const char *description, llmbo_error *err);
/* Standard deviation of the observation noise (0 if none). */
double llmbo_objective_noise(const llmbo_objective *obj);
/* Index of the next noisy evaluation (0 after set_noise; each successful evaluation with noise
 * adds 1). A resumed run sets it to the number of successful evaluations already journalled, so
 * it draws the same noise as an uninterrupted run. */
void llmbo_objective_set_noise_index(llmbo_objective *obj, uint64_t k);
uint64_t llmbo_objective_noise_index(const llmbo_objective *obj);
/* The noise-free value of a built-in objective at x (original units), for the regret of a noisy
 * run: no noise drawn, the noise index unchanged, no state of obj written (safe beside another
 * thread's llmbo_objective_eval of the same obj). An external objective: LLMBO_ERR_INVALID (its
 * noise-free value would need another run of its command). */
llmbo_status llmbo_objective_eval_noise_free(const llmbo_objective *obj, const double *x, double *y,
                                             llmbo_error *err);

/* External objectives (external.c): runs command once, x in original units of space. */
llmbo_status llmbo_external_eval(const char *command, const llmbo_space *space, double timeout_s,
                                 const double *x, double *y, llmbo_error *err);
/* The same command's stdout out[0..len) read as its value (a number, or {"value": number});
 * stdout past 1 MiB or holding a NUL byte is refused. For tests and the fuzz harness. */
llmbo_status llmbo_external_parse(const char *command, const char *out, size_t len, double *y,
                                  llmbo_error *err);

#endif
