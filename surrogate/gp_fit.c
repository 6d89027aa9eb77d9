/* gp_fit.c: hyperparameter fitting of the GP: log marginal likelihood (R&W eq. 2.30) with its
 * analytic gradient 0.5 tr((alpha alpha' - K^{-1}) dK/dtheta) (R&W eq. 5.9), Normal priors on
 * the log hyperparameters (MAP), and NLopt L-BFGS from screened starts inside box bounds.
 * Speed: an evaluation is one pass over the n(n-1)/2 pairs (distances, profiles and K in
 * vectorised row loops, gp_pairs.c), GSL's Cholesky, GSL's level-3 triangular inverse for K^{-1},
 * and one more pass over the pairs for all d + 2 gradient traces at once (never d dense dK/dtheta
 * matrices). The pair profiles are kept for the jitter retries and the gradient. No allocation
 * happens inside an evaluation. */
#include <math.h>
#include <string.h>
#include <nlopt.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "llmbo_common.h"
#include "gp_impl.h"
#include "gp_pairs.h"

#define LOG_2PI 1.8378770664093453
/* Relative tolerance on the objective that ends an L-BFGS run. */
/* Isotropic start candidates screened besides the prior-based ones. */
#define FIT_ISO_STARTS 4
/* L-BFGS stops when an iteration improves the objective by less than FIT_FTOL_ABS nats (or the
 * relative tolerances): far below what changes the posterior, and it saves the last few O(n^3)
 * evaluations of the slow tail. */
#define FIT_FTOL_REL 1e-7
#define FIT_FTOL_ABS 1e-3
#define FIT_XTOL_REL 1e-5

typedef struct fit_ws {
    llmbo_gp *gp;
    int n, d, np;     /* observations, dimension, optimised entries of theta */
    const double *X;  /* (n, d) inputs */
    const double *ys; /* (n) standardised outputs */
    int with_prior;   /* add log priors to the objective */
    size_t npairs;    /* n (n - 1) / 2; pair p = i (i - 1) / 2 + k for k < i */
    double *XT;       /* (d, n) the inputs transposed, for the row loops of gp_pairs.c */
    double *g, *dg;   /* (npairs) profile and its derivative dg/dr2 of every pair */
    double *row;      /* (n) scratch: one row's r2, then its gradient weights */
    double *K;        /* (n, n) lower K, then its factor, then lower K^{-1} */
    double *alpha;    /* (n) */
    double *w;        /* (d) 1 / l_j^2 */
    double *theta;    /* (d + 2) full theta of the current evaluation */
    double *grad;     /* (d + 2) gradient of the full theta */
    double *best;     /* (d + 2) best theta seen */
    double best_f;    /* its objective (to minimise) */
    double sf2;       /* signal variance of the current evaluation */
    int n_eval;
} fit_ws;

/* Carves the workspace out of gp->fit_buf, which is grown here and kept for the next fit
 * (repeated fits in a BO loop then touch no fresh pages). */
static llmbo_status ws_init(fit_ws *ws, llmbo_gp *gp, const double *X, const double *ys, int n,
                            int with_prior, llmbo_error *err)
{
    int d = gp->d;
    memset(ws, 0, sizeof *ws);
    ws->gp = gp;
    ws->X = X;
    ws->ys = ys;
    ws->n = n;
    ws->d = d;
    ws->np = gp->opt.fit_noise ? d + 2 : d + 1;
    ws->with_prior = with_prior;
    ws->npairs = (size_t)n * (n - 1) / 2;
    ws->best_f = HUGE_VAL;
    size_t np = ws->npairs > 0 ? ws->npairs : 1;
    size_t need = 2 * np + (size_t)n * (d + 2) + (size_t)n * n + 4 * ((size_t)d + 2);
    if (need > gp->fit_len) {
        double *buf = llmbo_malloc(need, sizeof(double));
        if (!buf)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM,
                                   "gp: out of memory for the fit workspace (n = %d)", n);
        llmbo_free(gp->fit_buf);
        gp->fit_buf = buf;
        gp->fit_len = need;
    }
    ws->g = gp->fit_buf;
    ws->dg = ws->g + np;
    ws->XT = ws->dg + np;
    ws->row = ws->XT + (size_t)d * n;
    ws->alpha = ws->row + n;
    ws->K = ws->alpha + n;
    ws->w = ws->K + (size_t)n * n;
    ws->theta = ws->w + (d + 2);
    ws->grad = ws->theta + (d + 2);
    ws->best = ws->grad + (d + 2);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++)
            ws->XT[(size_t)j * n + i] = X[(size_t)i * d + j];
    return LLMBO_OK;
}

double llmbo_gp_log_prior(const llmbo_gp *gp, const double *theta, double *grad)
{
    if (!gp->opt.use_priors)
        return 0.0;
    int np = gp->opt.fit_noise ? gp->d + 2 : gp->d + 1;
    double lp = 0.0;
    for (int j = 0; j < np; j++) {
        double s = gp->prior_sd[j], z = (theta[j] - gp->prior_mu[j]) / s;
        lp += -0.5 * z * z - log(s) - 0.5 * LOG_2PI;
        if (grad)
            grad[j] += -z / s;
    }
    return lp;
}

/* Strict lower triangle of K from the pair profiles. */
static void fill_pairs(void *ctx, double *A, int lda)
{
    fit_ws *ws = ctx;
    const double *g = ws->g;
    for (int i = 1; i < ws->n; i++) {
        double *Ai = A + (size_t)i * lda;
        for (int k = 0; k < i; k++)
            Ai[k] = ws->sf2 * g[k];
        g += i;
    }
}

/* Objective at ws->theta: log marginal likelihood (+ log prior); its gradient into ws->grad when
 * want_grad. Returns NAN if K could not be factorised. */
static double ws_eval(fit_ws *ws, int want_grad)
{
    llmbo_gp *gp = ws->gp;
    int n = ws->n, d = ws->d;
    const double *theta = ws->theta;
    double sf2 = exp(theta[d]), sn2 = exp(theta[d + 1]);
    for (int j = 0; j < d; j++)
        ws->w[j] = exp(-2.0 * theta[j]);
    ws->n_eval++;

    /* Profiles of all pairs, row by row, then the strict lower triangle of K from them. */
    double *K = ws->K;
    for (int i = 1; i < n; i++) {
        size_t off = (size_t)i * (i - 1) / 2;
        llmbo_pairs_r2(i, d, ws->X + (size_t)i * d, ws->XT, n, ws->w, ws->row);
        gp->kern->profile_batch(i, ws->row, ws->g + off, want_grad ? ws->dg + off : NULL);
    }
    ws->sf2 = sf2;
    fill_pairs(ws, K, n);
    double jitter;
    if (llmbo_gp_chol_jitter(K, n, n, sf2 + sn2, sf2, fill_pairs, ws, &jitter) != LLMBO_OK)
        return NAN;
    memcpy(ws->alpha, ws->ys, (size_t)n * sizeof(double));
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, K, n, ws->alpha, 1);
    if (gp->opt.gls_mean) {
        /* The GLS mean profiled out: L^{-1}(ys - m0) = a - m0 b with a = L^{-1} ys, b = L^{-1} 1
         * (row is free until the gradient). The gradient below is then the profiled
         * likelihood's too: m0 maximises the likelihood, so dlml/dm0 = 0 (envelope theorem). */
        double *b = ws->row;
        for (int i = 0; i < n; i++)
            b[i] = 1.0;
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, K, n, b, 1);
        double m0 = cblas_ddot(n, b, 1, ws->alpha, 1) / cblas_ddot(n, b, 1, b, 1);
        cblas_daxpy(n, -m0, b, 1, ws->alpha, 1);
    } else if (gp->opt.prior_mean != 0.0) {
        /* A fixed prior mean m0: alpha = K^{-1} (ys - m0), and the gradient below is the usual
         * one (m0 does not depend on theta). */
        double *b = ws->row;
        for (int i = 0; i < n; i++)
            b[i] = 1.0;
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, K, n, b, 1);
        cblas_daxpy(n, -gp->opt.prior_mean, b, 1, ws->alpha, 1);
    }
    double quad = cblas_ddot(n, ws->alpha, 1, ws->alpha, 1), logdet = 0.0;
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, n, K, n, ws->alpha, 1);
    for (int i = 0; i < n; i++)
        logdet += log(K[(size_t)i * n + i]);
    double f = -0.5 * quad - logdet - 0.5 * n * LOG_2PI;

    if (want_grad) {
        /* K^{-1} = L^{-T} L^{-1} in the lower triangle (level-3 triangular inverse). */
        gsl_matrix_view m = gsl_matrix_view_array(K, (size_t)n, (size_t)n);
        gsl_linalg_tri_invert(CblasLower, CblasNonUnit, &m.matrix);
        gsl_linalg_tri_LTL(&m.matrix);
        /* With W = alpha alpha' - K^{-1} (R&W eq. 5.9), over the pairs k < i (the 0.5 of the
         * trace cancels the symmetry): dK_ik/dlog l_j = -2 sf2 g'_ik w_j (x_ij - x_kj)^2 and
         * dK_ik/dlog sf2 = sf2 g_ik; the diagonal adds tr(W) to sf2 and sn2. */
        const double *a = ws->alpha;
        double *gr = ws->grad, tr_w = 0.0, sum_wg = 0.0;
        for (int j = 0; j < d; j++)
            gr[j] = 0.0;
        for (int i = 0; i < n; i++) {
            const double *Ki = K + (size_t)i * n;
            size_t off = (size_t)i * (i - 1) / 2;
            if (i > 0)
                sum_wg += llmbo_pairs_grad_row(i, d, a[i], a, Ki, ws->g + off, ws->dg + off,
                                               ws->X + (size_t)i * d, ws->XT, n, ws->row, gr);
            tr_w += a[i] * a[i] - Ki[i];
        }
        for (int j = 0; j < d; j++)
            gr[j] *= -2.0 * sf2 * ws->w[j];
        gr[d] = 0.5 * sf2 * (tr_w + 2.0 * sum_wg);
        gr[d + 1] = 0.5 * sn2 * tr_w;
    }
    if (ws->with_prior)
        f += llmbo_gp_log_prior(gp, theta, want_grad ? ws->grad : NULL);
    return f;
}

/* NLopt objective: minimise -(lml + log prior) over the first np entries of theta. */
static double nlopt_objective(unsigned np, const double *x, double *grad, void *data)
{
    fit_ws *ws = data;
    memcpy(ws->theta, x, np * sizeof(double));
    double f = ws_eval(ws, grad != NULL);
    if (!isfinite(f)) {
        /* A failed factorisation: a large value steers the line search back. */
        if (grad)
            memset(grad, 0, np * sizeof(double));
        return 1e300;
    }
    if (grad)
        for (unsigned j = 0; j < np; j++)
            grad[j] = -ws->grad[j];
    if (-f < ws->best_f) {
        ws->best_f = -f;
        memcpy(ws->best, ws->theta, (size_t)(ws->d + 2) * sizeof(double));
    }
    return -f;
}

static void clip(const llmbo_gp *gp, double *theta)
{
    for (int j = 0; j < gp->d + 2; j++)
        theta[j] = fmin(fmax(theta[j], gp->lo[j]), gp->hi[j]);
}

/* Start candidates: (d + 2) each, into starts; returns how many. The first is the previous
 * optimum (or the prior modes on a first fit). */
static int make_starts(llmbo_gp *gp, double *starts)
{
    int d = gp->d, ns = 0;
    double *c = starts;
    memcpy(c, gp->theta, (size_t)(d + 2) * sizeof(double));
    if (gp->n_fits == 0) {
        for (int j = 0; j < d + 2; j++)
            c[j] = fmin(fmax(gp->prior_mu[j], gp->lo[j]), gp->hi[j]);
        if (!gp->opt.use_priors)
            for (int j = 0; j < d; j++)
                c[j] = log(0.5 * sqrt((double)d));
    }
    clip(gp, c);
    ns++;
    if (gp->n_fits > 0) { /* the prior modes as well */
        c = starts + (size_t)ns * (d + 2);
        for (int j = 0; j < d + 2; j++)
            c[j] = gp->prior_mu[j];
        clip(gp, c);
        ns++;
    }
    /* Isotropic lengthscales at a ladder of scales relative to the cube's diagonal, unit signal,
     * the noise at its prior mode: cheap to screen, and one of them is usually far closer to
     * the optimum than the (long) prior-mode lengthscales, which saves many L-BFGS steps. */
    static const double scales[FIT_ISO_STARTS] = {0.04, 0.12, 0.35, 1.0};
    for (int t = 0; t < FIT_ISO_STARTS; t++) {
        c = starts + (size_t)ns * (d + 2);
        for (int j = 0; j < d; j++)
            c[j] = log(scales[t] * sqrt((double)d));
        c[d] = 0.0;
        c[d + 1] = gp->prior_mu[d + 1];
        clip(gp, c);
        ns++;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return ns;
    gsl_rng_set(rng, (unsigned long)(gp->opt.seed + 0x9e3779b97f4a7c15ULL * (gp->n_fits + 1)));
    for (int r = 0; r < gp->opt.n_restarts; r++) {
        c = starts + (size_t)ns * (d + 2);
        for (int j = 0; j < d + 2; j++)
            c[j] = gp->prior_mu[j] + gp->prior_sd[j] * gsl_ran_gaussian_ziggurat(rng, 1.0);
        clip(gp, c);
        ns++;
    }
    gsl_rng_free(rng);
    return ns;
}

/* One stage: screens the ns starts by objective value (one Cholesky each, no gradient), then
 * runs L-BFGS from the best `runs` of them, each start overwritten by its run's end point, whose
 * index goes to ran (runs entries). The best point seen is left in ws->best. Returns the number
 * of runs made. */
static int run_stage(fit_ws *ws, nlopt_opt opt, double *starts, double *score, int ns, int runs,
                     int *ran)
{
    int made = 0;
    int d = ws->d;
    for (int s = 0; s < ns; s++) {
        memcpy(ws->theta, starts + (size_t)s * (d + 2), (size_t)(d + 2) * sizeof(double));
        double f = ws_eval(ws, 0);
        score[s] = isfinite(f) ? -f : HUGE_VAL;
        if (score[s] < ws->best_f) {
            ws->best_f = score[s];
            memcpy(ws->best, ws->theta, (size_t)(d + 2) * sizeof(double));
        }
    }
    nlopt_set_min_objective(opt, nlopt_objective, ws);
    for (int run = 0; run < runs; run++) {
        int s = -1;
        for (int t = 0; t < ns; t++)
            if (score[t] < HUGE_VAL && (s < 0 || score[t] < score[s]))
                s = t;
        if (s < 0)
            break;
        score[s] = HUGE_VAL;
        ran[made++] = s;
        double *x = starts + (size_t)s * (d + 2), fmin;
        memcpy(ws->theta, x, (size_t)(d + 2) * sizeof(double)); /* keeps the fixed noise entry */
        nlopt_optimize(opt, x, &fmin); /* failures are fine: the best point seen is kept */
        ws->gp->fit_runs++;
    }
    return made;
}

/* Leave-one-out log predictive density (standardised units) of the data at ws->theta, from
 * one factorisation and K^{-1} (R&W eq. 5.10-5.12: the held-out residual of point i is
 * alpha_i / [K^{-1}]_ii and its variance 1 / [K^{-1}]_ii, with alpha = K^{-1} (ys - m0)).
 * With the GLS mean, m0 is the estimate from all n points. -inf if K cannot be factorised. */
static double ws_loo(fit_ws *ws)
{
    if (!isfinite(ws_eval(ws, 1)))
        return -HUGE_VAL;
    double lp = 0.0;
    for (int i = 0; i < ws->n; i++) {
        double kii = ws->K[(size_t)i * ws->n + i], r = ws->alpha[i] / kii;
        if (!(kii > 0))
            return -HUGE_VAL;
        lp += 0.5 * log(kii) - 0.5 * r * r * kii - 0.5 * LOG_2PI;
    }
    return lp;
}

/* A half-degenerate fit at gp->theta: some lengthscale within 1% of its lower bound (every
 * difference along it explained as ripple) and another within 1% of its upper bound (the model
 * linear along it). */
static int half_degenerate(const llmbo_gp *gp)
{
    int at_lo = 0, at_hi = 0;
    for (int j = 0; j < gp->d; j++) {
        at_lo |= gp->theta[j] <= gp->lo[j] + 0.01;
        at_hi |= gp->theta[j] >= gp->hi[j] - 0.01;
    }
    return at_lo && at_hi;
}

llmbo_status llmbo_gp_optimize(llmbo_gp *gp, llmbo_error *err)
{
    int d = gp->d, n = gp->n;
    fit_ws ws;
    int max_starts = gp->opt.n_restarts + 2 + FIT_ISO_STARTS;
    double *starts = llmbo_malloc((size_t)max_starts * (d + 4), sizeof(double));
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, gp->opt.fit_noise ? d + 2 : d + 1);
    llmbo_status st = LLMBO_OK;
    if (!starts || !opt) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory for the optimiser");
        goto done;
    }
    double *score = starts + (size_t)max_starts * (d + 2);
    int ns = make_starts(gp, starts);
    gp->fit_runs = 0;
    gp->fit_evals = 0;
    nlopt_set_lower_bounds(opt, gp->lo);
    nlopt_set_upper_bounds(opt, gp->hi);
    nlopt_set_maxeval(opt, gp->opt.max_eval);
    nlopt_set_ftol_rel(opt, FIT_FTOL_REL);
    nlopt_set_xtol_rel(opt, FIT_XTOL_REL);
    nlopt_set_ftol_abs(opt, FIT_FTOL_ABS);
    st = ws_init(&ws, gp, gp->X, gp->ys, n, gp->opt.use_priors, err);
    if (st != LLMBO_OK)
        goto done;
    /* L-BFGS from the best screened start, and from the next best for every four random starts:
     * a warm refit usually starts at the previous optimum and converges in a few evaluations.
     * With loo_modes, from the best loo_modes starts (at least that many). */
    int runs = 1 + gp->opt.n_restarts / 4, *ran = (int *)(score + max_starts);
    if (gp->opt.loo_modes > runs)
        runs = gp->opt.loo_modes;
    if (runs > max_starts)
        runs = max_starts;
    int made = run_stage(&ws, opt, starts, score, ns, runs, ran);
    if (!(ws.best_f < HUGE_VAL)) {
        gp->fit_evals += ws.n_eval;
        st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                             "gp: no hyperparameters gave a positive definite covariance (n = %d)",
                             n);
        goto done;
    }
    memcpy(gp->theta, ws.best, (size_t)(d + 2) * sizeof(double));
    if (gp->opt.loo_modes > 0 && made > 1 && (!gp->opt.loo_mixed_only || half_degenerate(gp))) {
        /* The runs' end points compete by leave-one-out predictive density instead of the
         * posterior: a mode that explains every difference as ripple (lengthscales at the floor)
         * with the rest of the coordinates linear (at the cap) can have the higher evidence and
         * still predict held-out points badly (R&W section 5.4.2). */
        double best_loo = -HUGE_VAL;
        for (int r = 0; r < made; r++) {
            memcpy(ws.theta, starts + (size_t)ran[r] * (d + 2), (size_t)(d + 2) * sizeof(double));
            double lp = ws_loo(&ws);
            if (lp > best_loo) {
                best_loo = lp;
                memcpy(gp->theta, ws.theta, (size_t)(d + 2) * sizeof(double));
            }
        }
    }
    gp->fit_evals += ws.n_eval;
done:
    if (opt)
        nlopt_destroy(opt);
    llmbo_free(starts);
    return st;
}

llmbo_status llmbo_gp_log_marginal_likelihood_grad(llmbo_gp *gp, const double *theta,
                                                   int with_prior, double *value, double *grad,
                                                   llmbo_error *err)
{
    if (!gp || !theta || gp->n < 1)
        return llmbo_error_set(err, LLMBO_ERR_STATE, "gp: no data to evaluate a likelihood on");
    int d = gp->d;
    for (int j = 0; j < d + 2; j++)
        if (!isfinite(theta[j]) || fabs(theta[j]) > 700.0)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "gp: theta[%d] = %g is not a finite log value", j, theta[j]);
    fit_ws ws;
    llmbo_status st = ws_init(&ws, gp, gp->X, gp->ys, gp->n, with_prior && gp->opt.use_priors, err);
    if (st != LLMBO_OK)
        return st;
    memcpy(ws.theta, theta, (size_t)(d + 2) * sizeof(double));
    double f = ws_eval(&ws, grad != NULL);
    if (!isfinite(f)) {
        st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                             "gp: covariance not positive definite at this theta");
    } else {
        if (value)
            *value = f;
        if (grad)
            memcpy(grad, ws.grad, (size_t)(d + 2) * sizeof(double));
    }
    return st;
}

/* Log density of the slice sampler at ws->theta: the fitting objective (log marginal likelihood
 * plus log prior when use_priors), -inf outside the optimiser's box or where K cannot be
 * factorised. */
static double slice_logp(fit_ws *ws)
{
    const llmbo_gp *gp = ws->gp;
    for (int j = 0; j < ws->np; j++)
        if (ws->theta[j] < gp->lo[j] || ws->theta[j] > gp->hi[j])
            return -HUGE_VAL;
    double f = ws_eval(ws, 0);
    return isfinite(f) ? f : -HUGE_VAL;
}

/* Most stepping-out steps on either side of a slice interval (Neal 2003, Fig. 3, m). */
#define SLICE_MAX_STEPS 8
/* Shrinkage steps before a coordinate update gives up and keeps its value (never reached on a
 * proper density; it bounds the work on a degenerate one). */
#define SLICE_MAX_SHRINK 64

llmbo_status llmbo_gp_slice_sample(llmbo_gp *gp, int ns, int n_burn, int thin, double width,
                                   uint64_t seed, double *out, llmbo_error *err)
{
    if (!gp || gp->n < 1)
        return llmbo_error_set(err, LLMBO_ERR_STATE, "gp: no data to sample hyperparameters on");
    if (ns < 1 || n_burn < 0 || thin < 1 || !(width > 0) || !isfinite(width) || !out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "gp: slice sampling needs ns >= 1 (got %d), n_burn >= 0 (%d), "
                               "thin >= 1 (%d), a finite width > 0 (%g) and an output array",
                               ns, n_burn, thin, width);
    int d = gp->d;
    fit_ws ws;
    llmbo_status st = ws_init(&ws, gp, gp->X, gp->ys, gp->n, gp->opt.use_priors, err);
    if (st != LLMBO_OK)
        return st;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory for the slice sampler");
    gsl_rng_set(rng, (unsigned long)seed);
    /* The chain starts at the GP's theta (clipped into the box: the density is zero outside). */
    double *th = ws.theta;
    memcpy(th, gp->theta, (size_t)(d + 2) * sizeof(double));
    clip(gp, th);
    double lp = slice_logp(&ws);
    if (!(lp > -HUGE_VAL)) {
        gsl_rng_free(rng);
        return llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                               "gp: the hyperparameter posterior is zero at the starting theta");
    }
    int sweeps = n_burn + ns * thin, kept = 0;
    for (int s = 0; s < sweeps; s++) {
        /* One sweep: a univariate slice-sampling update of every fitted entry in turn, with
         * stepping out and shrinkage (Neal 2003, "Slice sampling", Ann. Stat. 31, Figs. 3 and
         * 5), which leaves the posterior invariant. The fixed noise entry is not touched. */
        for (int j = 0; j < ws.np; j++) {
            double x0 = th[j];
            double logy = lp + log(gsl_rng_uniform_pos(rng)); /* the slice's height */
            double l = x0 - width * gsl_rng_uniform(rng), r = l + width;
            int jl = (int)floor(SLICE_MAX_STEPS * gsl_rng_uniform(rng));
            int kr = SLICE_MAX_STEPS - 1 - jl;
            for (; jl > 0; jl--) {
                th[j] = l;
                if (!(slice_logp(&ws) > logy))
                    break;
                l -= width;
            }
            for (; kr > 0; kr--) {
                th[j] = r;
                if (!(slice_logp(&ws) > logy))
                    break;
                r += width;
            }
            int accepted = 0;
            for (int t = 0; t < SLICE_MAX_SHRINK; t++) {
                double x1 = l + (r - l) * gsl_rng_uniform(rng);
                th[j] = x1;
                double lp1 = slice_logp(&ws);
                if (lp1 > logy) {
                    lp = lp1;
                    accepted = 1;
                    break;
                }
                if (x1 < x0)
                    l = x1;
                else
                    r = x1;
            }
            if (!accepted)
                th[j] = x0;
        }
        if (s >= n_burn && (s - n_burn + 1) % thin == 0)
            memcpy(out + (size_t)kept++ * (d + 2), th, (size_t)(d + 2) * sizeof(double));
    }
    gsl_rng_free(rng);
    return LLMBO_OK;
}
