/* gp.c: Gaussian-process regression on the unit cube: data and standardisation, the Cholesky
 * factor with adaptive jitter, O(n^2) rank-one extension, prediction with input gradients, batch
 * prediction and joint posterior samples. Rasmussen & Williams 2006, Algorithm 2.1 (predictive
 * mean and variance through L and alpha) and eq. 2.30 (log marginal likelihood).
 * The factor and all workspaces live in caller-visible buffers sized at fit/add time, so predict
 * never allocates; hyperparameter fitting lives in gp_fit.c. */
#include <math.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_cblas.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "llmbo_common.h"
#include "gp_impl.h"
#include "gp_pairs.h"

#define LOG_2PI 1.8378770664093453

void llmbo_gp_options_default(llmbo_gp_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->kernel = LLMBO_KERNEL_MATERN52;
    opt->fit_noise = 1;
    opt->noise = 1e-6;
    opt->noise_floor = 1e-4;
    opt->use_priors = 1;
    opt->n_restarts = 3;
    opt->max_eval = 200;
    opt->seed = 20240917u;
    opt->ls_max = 100.0;
}

double llmbo_gp_ls_max(const llmbo_gp_options *opt, int d)
{
    /* 0: 3 box widths up to d = 5, growing like the prior's mode beyond (1.25 sqrt(d)), so a
     * high-dimensional GP can still call a coordinate irrelevant. */
    if (opt->ls_max == 0.0)
        return fmax(3.0, 1.25 * sqrt((double)d));
    return opt->ls_max;
}

/* Priors and bounds of theta; see the contract in llmbo.h. */
static void set_priors_and_bounds(llmbo_gp *gp)
{
    int d = gp->d;
    double fixed = log(fmax(gp->opt.noise, 1e-300));
    for (int j = 0; j < d; j++) {
        gp->prior_mu[j] = M_SQRT2 + 0.5 * log((double)d) + gp->opt.ls_prior_shift;
        gp->prior_sd[j] = sqrt(3.0);
        gp->lo[j] = log(gp->opt.ls_min > 0 ? gp->opt.ls_min : LLMBO_GP_LS_MIN);
        gp->hi[j] = log(llmbo_gp_ls_max(&gp->opt, d));
    }
    gp->prior_mu[d] = 0.0;
    gp->prior_sd[d] = 1.5;
    gp->lo[d] = log(1e-2);
    gp->hi[d] = log(1e2);
    if (gp->opt.fit_noise) {
        gp->prior_mu[d + 1] = -4.0;
        gp->prior_sd[d + 1] = 1.0;
        gp->lo[d + 1] = log(gp->opt.noise_floor);
        gp->hi[d + 1] = log(10.0);
    } else {
        gp->prior_mu[d + 1] = fixed;
        gp->prior_sd[d + 1] = 1.0;
        gp->lo[d + 1] = gp->hi[d + 1] = fixed;
    }
}

/* Starting theta: the prior modes (clipped to the bounds). */
static void theta_center(const llmbo_gp *gp, double *theta)
{
    int d = gp->d;
    for (int j = 0; j < d + 2; j++)
        theta[j] = fmin(fmax(gp->prior_mu[j], gp->lo[j]), gp->hi[j]);
    if (!gp->opt.use_priors) {
        /* Without priors start from a moderate lengthscale and unit signal. */
        for (int j = 0; j < d; j++)
            theta[j] = log(0.5 * sqrt((double)d));
        theta[d] = 0.0;
        theta[d + 1] = gp->opt.fit_noise ? fmax(log(1e-3), gp->lo[d + 1]) : gp->lo[d + 1];
    }
}

llmbo_gp *llmbo_gp_create(int d, const llmbo_gp_options *opt)
{
    llmbo_gp_options def;
    if (!opt) {
        llmbo_gp_options_default(&def);
        opt = &def;
    }
    if (d < 1 || !llmbo_kernel_get(opt->kernel) || !(opt->noise_floor > 0.0) ||
        !(opt->noise_floor < 1.0) || !isfinite(opt->noise) || opt->noise < 0.0 ||
        !(fabs(opt->ls_prior_shift) <= 10.0) || opt->n_restarts < 0 || opt->max_eval < 1 ||
        !(opt->ls_max == 0.0 || (opt->ls_max > LLMBO_GP_LS_MIN && opt->ls_max <= 1e4)) ||
        !(opt->ls_min == 0.0 ||
          (opt->ls_min >= LLMBO_GP_LS_MIN && opt->ls_min < llmbo_gp_ls_max(opt, d))) ||
        opt->loo_modes < 0 || opt->loo_modes > 64 ||
        (opt->loo_mixed_only != 0 && opt->loo_mixed_only != 1) ||
        !(fabs(opt->prior_mean) <= 100.0) || (opt->prior_mean != 0.0 && opt->gls_mean))
        return NULL;
    /* A failed Cholesky must come back as a status, not abort the process. */
    gsl_set_error_handler_off();
    llmbo_gp *gp = llmbo_calloc(1, sizeof *gp);
    if (!gp)
        return NULL;
    gp->d = d;
    gp->opt = *opt;
    gp->kern = llmbo_kernel_get(opt->kernel);
    gp->theta = llmbo_malloc((size_t)6 * (d + 2) + d, sizeof(double));
    if (!gp->theta) {
        llmbo_free(gp);
        return NULL;
    }
    gp->lo = gp->theta + (d + 2);
    gp->hi = gp->lo + (d + 2);
    gp->prior_mu = gp->hi + (d + 2);
    gp->prior_sd = gp->prior_mu + (d + 2);
    gp->w = gp->prior_sd + (d + 2);
    gp->y_mean = 0.0;
    gp->y_sd = 1.0;
    set_priors_and_bounds(gp);
    theta_center(gp, gp->theta);
    for (int j = 0; j < d; j++)
        gp->w[j] = exp(-2.0 * gp->theta[j]);
    return gp;
}

static void free_rows(llmbo_gp *gp)
{
    llmbo_free(gp->X);
    llmbo_free(gp->L);
    llmbo_free(gp->y);
    llmbo_free(gp->batch);
}

void llmbo_gp_free(llmbo_gp *gp)
{
    if (!gp)
        return;
    free_rows(gp);
    llmbo_free(gp->fit_buf);
    llmbo_free(gp->theta);
    llmbo_free(gp);
}

/* Grows the row capacity to at least cap, keeping the first n rows of X, y, ys, alpha and L.
 * All new buffers are allocated before anything is released, so a failure changes nothing. */
static llmbo_status reserve(llmbo_gp *gp, int cap, llmbo_error *err)
{
    if (cap <= gp->cap)
        return LLMBO_OK;
    int d = gp->d, n = gp->n;
    double *X = llmbo_malloc((size_t)cap * d * 2, sizeof(double)); /* X, then XT */
    double *vec = llmbo_malloc((size_t)cap * 7, sizeof(double));
    double *L = llmbo_malloc((size_t)cap * cap, sizeof(double));
    double *batch = llmbo_malloc((size_t)cap * LLMBO_GP_PRED_CHUNK, sizeof(double));
    if (!X || !vec || !L || !batch) {
        llmbo_free(X);
        llmbo_free(vec);
        llmbo_free(L);
        llmbo_free(batch);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory for %d observations", cap);
    }
    if (n > 0) {
        memcpy(X, gp->X, (size_t)n * d * sizeof(double));
        for (int j = 0; j < d; j++)
            memcpy(X + (size_t)cap * d + (size_t)j * cap, gp->XT + (size_t)j * gp->cap,
                   (size_t)n * sizeof(double));
        memcpy(vec, gp->y, (size_t)n * sizeof(double));
        memcpy(vec + cap, gp->ys, (size_t)n * sizeof(double));
        memcpy(vec + 2 * (size_t)cap, gp->alpha, (size_t)n * sizeof(double));
        for (int i = 0; i < n; i++)
            memcpy(L + (size_t)i * cap, gp->L + (size_t)i * gp->cap, (size_t)n * sizeof(double));
    }
    free_rows(gp);
    gp->X = X;
    gp->XT = X + (size_t)cap * d;
    gp->L = L;
    gp->batch = batch;
    gp->y = vec;
    gp->ys = vec + cap;
    gp->alpha = vec + 2 * (size_t)cap;
    gp->ks = vec + 3 * (size_t)cap;
    gp->v = vec + 4 * (size_t)cap;
    gp->dgv = vec + 5 * (size_t)cap;
    gp->tmp = vec + 6 * (size_t)cap;
    gp->cap = cap;
    return LLMBO_OK;
}

/* Copies rows [from, to) of X into the transposed copy XT. */
static void sync_xt(llmbo_gp *gp, int from, int to)
{
    for (int i = from; i < to; i++)
        for (int j = 0; j < gp->d; j++)
            gp->XT[(size_t)j * gp->cap + i] = gp->X[(size_t)i * gp->d + j];
}

llmbo_status llmbo_gp_chol_jitter(double *A, int n, int lda, double diag, double scale,
                                  llmbo_gp_fill_fn fill, void *ctx, double *jitter)
{
    gsl_matrix_view m = gsl_matrix_view_array_with_tda(A, (size_t)n, (size_t)n, (size_t)lda);
    double jit = 0.0;
    for (int t = 0; t <= LLMBO_GP_JITTER_TRIES; t++) {
        if (t > 0) { /* decomp1 overwrote the lower triangle */
            fill(ctx, A, lda);
            jit = scale * LLMBO_GP_JITTER_FIRST * pow(LLMBO_GP_JITTER_GROWTH, t - 1);
        }
        for (int i = 0; i < n; i++)
            A[(size_t)i * lda + i] = diag + jit;
        if (gsl_linalg_cholesky_decomp1(&m.matrix) != GSL_SUCCESS)
            continue;
        /* GSL only rejects pivots <= 0; a pivot lost in rounding (exact duplicates without
         * noise) would pass and blow alpha up, so it counts as a failure too. */
        double min_pivot = LLMBO_GP_PIVOT_MIN * (diag + jit);
        int i = 0;
        while (i < n && A[(size_t)i * lda + i] * A[(size_t)i * lda + i] >= min_pivot)
            i++;
        if (i == n) {
            *jitter = jit;
            return LLMBO_OK;
        }
    }
    return LLMBO_ERR_NUMERIC;
}

/* alpha = L^{-T} L^{-1} (ys - m0) and lml from the factor in gp->L (stride cap). With gls_mean,
 * m0 = (b.a) / (b.b) for a = L^{-1} ys, b = L^{-1} 1, i.e. 1'K^{-1}ys / 1'K^{-1}1 (R&W section
 * 2.7, the mean's ML estimate), and lml is the likelihood with m0 profiled out; otherwise m0 is
 * the fixed opt.prior_mean (0: the sample mean, as ys is centred). */
static void solve_alpha(llmbo_gp *gp)
{
    int n = gp->n, lda = gp->cap;
    memcpy(gp->alpha, gp->ys, (size_t)n * sizeof(double));
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, gp->L, lda, gp->alpha, 1);
    gp->m0 = gp->opt.prior_mean;
    if (gp->opt.gls_mean || gp->m0 != 0.0) {
        double *b = gp->tmp; /* (n) predict scratch, free here */
        for (int i = 0; i < n; i++)
            b[i] = 1.0;
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, gp->L, lda, b, 1);
        if (gp->opt.gls_mean)
            gp->m0 = cblas_ddot(n, b, 1, gp->alpha, 1) / cblas_ddot(n, b, 1, b, 1);
        cblas_daxpy(n, -gp->m0, b, 1, gp->alpha, 1);
    }
    double quad = cblas_ddot(n, gp->alpha, 1, gp->alpha, 1), logdet = 0.0;
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, n, gp->L, lda, gp->alpha, 1);
    for (int i = 0; i < n; i++)
        logdet += log(gp->L[(size_t)i * lda + i]);
    gp->lml = -0.5 * quad - logdet - 0.5 * n * LOG_2PI;
}

/* Scaled squared distance between x and row i of X with weights w = 1 / l^2. */
static double r2_point(int d, const double *w, const double *a, const double *b)
{
    double r2 = 0.0;
    for (int j = 0; j < d; j++) {
        double t = a[j] - b[j];
        r2 += w[j] * t * t;
    }
    return r2;
}

/* Strict lower triangle of K for the current data and theta (gp->w must be current). */
static void fill_data(void *ctx, double *A, int lda)
{
    llmbo_gp *gp = ctx;
    int d = gp->d;
    double sf2 = exp(gp->theta[d]);
    for (int i = 1; i < gp->n; i++) {
        const double *xi = gp->X + (size_t)i * d;
        double *Ai = A + (size_t)i * lda;
        for (int k = 0; k < i; k++)
            Ai[k] = sf2 * gp->kern->profile(r2_point(d, gp->w, xi, gp->X + (size_t)k * d), NULL);
    }
}

llmbo_status llmbo_gp_refactor(llmbo_gp *gp, llmbo_error *err)
{
    int n = gp->n, d = gp->d, lda = gp->cap;
    double sf2 = exp(gp->theta[d]), sn2 = exp(gp->theta[d + 1]);
    for (int j = 0; j < d; j++)
        gp->w[j] = exp(-2.0 * gp->theta[j]);
    gp->have_factor = 0;
    fill_data(gp, gp->L, lda);
    if (llmbo_gp_chol_jitter(gp->L, n, lda, sf2 + sn2, sf2, fill_data, gp, &gp->jitter) != LLMBO_OK)
        return llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                               "gp: covariance matrix of %d points is not positive definite even "
                               "with jitter %g",
                               n,
                               sf2 * LLMBO_GP_JITTER_FIRST *
                                   pow(LLMBO_GP_JITTER_GROWTH, LLMBO_GP_JITTER_TRIES - 1));
    solve_alpha(gp);
    gp->have_factor = 1;
    return LLMBO_OK;
}

static llmbo_status check_point(const llmbo_gp *gp, const double *x, int row, llmbo_error *err)
{
    for (int j = 0; j < gp->d; j++)
        if (!isfinite(x[j]) || x[j] < -1e-9 || x[j] > 1.0 + 1e-9)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "gp: input X[%d][%d] = %g is not in the unit cube [0, 1]", row,
                                   j, x[j]);
    return LLMBO_OK;
}

static void standardise(llmbo_gp *gp)
{
    int n = gp->n;
    double mean = 0.0, var = 0.0;
    for (int i = 0; i < n; i++)
        mean += gp->y[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (gp->y[i] - mean) * (gp->y[i] - mean);
    var /= n;
    double sd = sqrt(var);
    /* A constant y (or one point) has no scale: keep unit scale, as scikit-learn does. */
    if (!(sd > 1e-12 * fmax(1.0, fabs(mean))))
        sd = 1.0;
    gp->y_mean = mean;
    gp->y_sd = sd;
    for (int i = 0; i < n; i++)
        gp->ys[i] = (gp->y[i] - mean) / sd;
}

/* Saved state for rolling back a failed fit. */
typedef struct gp_saved {
    int n;
    double y_mean, y_sd;
    double *X, *y, *theta;
} gp_saved;

llmbo_status llmbo_gp_fit(llmbo_gp *gp, const double *X, const double *y, int n, int optimize,
                          llmbo_error *err)
{
    if (!gp || !X || !y || n < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "gp: fit needs n >= 1 points (got %d)", n);
    int d = gp->d;
    for (int i = 0; i < n; i++) {
        llmbo_status st = check_point(gp, X + (size_t)i * d, i, err);
        if (st != LLMBO_OK)
            return st;
        if (!isfinite(y[i]) || fabs(y[i]) > LLMBO_GP_Y_LIMIT)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "gp: output y[%d] = %g is not finite or beyond +-%g (rescale "
                                   "the outputs)",
                                   i, y[i], LLMBO_GP_Y_LIMIT);
    }
    /* Keep a copy of the old data so a failure leaves the GP as it was. */
    gp_saved old = {gp->n, gp->y_mean, gp->y_sd, NULL, NULL, NULL};
    old.theta = llmbo_malloc((size_t)d + 2, sizeof(double));
    if (!old.theta)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory");
    memcpy(old.theta, gp->theta, (size_t)(d + 2) * sizeof(double));
    if (old.n > 0) {
        old.X = llmbo_malloc((size_t)old.n * (d + 1), sizeof(double));
        if (!old.X) {
            llmbo_free(old.theta);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory");
        }
        old.y = old.X + (size_t)old.n * d;
        memcpy(old.X, gp->X, (size_t)old.n * d * sizeof(double));
        memcpy(old.y, gp->y, (size_t)old.n * sizeof(double));
    }
    llmbo_status st = reserve(gp, n, err);
    if (st == LLMBO_OK) {
        memcpy(gp->X, X, (size_t)n * d * sizeof(double));
        memcpy(gp->y, y, (size_t)n * sizeof(double));
        gp->n = n;
        sync_xt(gp, 0, n);
        standardise(gp);
        if (optimize)
            st = llmbo_gp_optimize(gp, err);
        if (st == LLMBO_OK)
            st = llmbo_gp_refactor(gp, err);
        if (st == LLMBO_OK && optimize) {
            gp->n_fits++;
            gp->n_at_opt = n;
            gp->lml_at_opt = gp->lml / n;
        }
        if (st != LLMBO_OK) {
            /* Roll back: old data fit in the (grown) buffers. */
            gp->n = old.n;
            gp->y_mean = old.y_mean;
            gp->y_sd = old.y_sd;
            memcpy(gp->theta, old.theta, (size_t)(d + 2) * sizeof(double));
            if (old.n > 0) {
                memcpy(gp->X, old.X, (size_t)old.n * d * sizeof(double));
                sync_xt(gp, 0, old.n);
                memcpy(gp->y, old.y, (size_t)old.n * sizeof(double));
                for (int i = 0; i < old.n; i++)
                    gp->ys[i] = (gp->y[i] - gp->y_mean) / gp->y_sd;
                if (llmbo_gp_refactor(gp, NULL) != LLMBO_OK)
                    gp->have_factor = 0;
            } else {
                gp->have_factor = 0;
            }
        }
    }
    llmbo_free(old.X);
    llmbo_free(old.theta);
    return st;
}

llmbo_status llmbo_gp_add(llmbo_gp *gp, const double *x, double y, llmbo_error *err)
{
    if (!gp || !x)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "gp: add needs a point");
    if (!gp->have_factor || gp->n == 0)
        return llmbo_gp_fit(gp, x, &y, 1, 0, err);
    int n = gp->n, d = gp->d;
    llmbo_status st = check_point(gp, x, n, err);
    if (st != LLMBO_OK)
        return st;
    if (!isfinite(y) || fabs(y) > LLMBO_GP_Y_LIMIT)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "gp: output y[%d] = %g is not finite or beyond +-%g (rescale the "
                               "outputs)",
                               n, y, LLMBO_GP_Y_LIMIT);
    if (n + 1 > gp->cap) {
        st = reserve(gp, 2 * gp->cap > n + 1 ? 2 * gp->cap : n + 1, err);
        if (st != LLMBO_OK)
            return st;
    }
    int lda = gp->cap;
    double sf2 = exp(gp->theta[d]), sn2 = exp(gp->theta[d + 1]);
    /* New row of L: l = L^{-1} k(X, x), l_nn = sqrt(k(x, x) + sn2 + jitter - l.l). */
    double *row = gp->L + (size_t)n * lda;
    for (int i = 0; i < n; i++)
        row[i] = sf2 * gp->kern->profile(r2_point(d, gp->w, x, gp->X + (size_t)i * d), NULL);
    cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, gp->L, lda, row, 1);
    double schur = sf2 + sn2 + gp->jitter - cblas_ddot(n, row, 1, row, 1);
    memcpy(gp->X + (size_t)n * d, x, (size_t)d * sizeof(double));
    sync_xt(gp, n, n + 1);
    gp->y[n] = y;
    gp->ys[n] = (y - gp->y_mean) / gp->y_sd;
    gp->n = n + 1;
    /* The extension is only trusted when the new pivot keeps a healthy share of the diagonal;
     * otherwise refactorise, which brings the jitter ladder. */
    if (schur > 1e-10 * (sf2 + sn2)) {
        row[n] = sqrt(schur);
        solve_alpha(gp);
        return LLMBO_OK;
    }
    st = llmbo_gp_refactor(gp, err);
    if (st != LLMBO_OK) {
        gp->n = n;
        if (llmbo_gp_refactor(gp, NULL) != LLMBO_OK)
            gp->have_factor = 0;
    }
    return st;
}

int llmbo_gp_n(const llmbo_gp *gp)
{
    return gp ? gp->n : 0;
}

int llmbo_gp_dim(const llmbo_gp *gp)
{
    return gp ? gp->d : 0;
}

void llmbo_gp_get_theta(const llmbo_gp *gp, double *theta)
{
    memcpy(theta, gp->theta, (size_t)(gp->d + 2) * sizeof(double));
}

llmbo_status llmbo_gp_set_theta(llmbo_gp *gp, const double *theta, llmbo_error *err)
{
    int d = gp->d;
    for (int j = 0; j < d + 2; j++)
        if (!isfinite(theta[j]) || fabs(theta[j]) > 700.0)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "gp: theta[%d] = %g is not a finite log value", j, theta[j]);
    double *saved = llmbo_malloc((size_t)d + 2, sizeof(double));
    if (!saved)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory");
    memcpy(saved, gp->theta, (size_t)(d + 2) * sizeof(double));
    memcpy(gp->theta, theta, (size_t)(d + 2) * sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (gp->n > 0) {
        st = llmbo_gp_refactor(gp, err);
        if (st != LLMBO_OK) {
            memcpy(gp->theta, saved, (size_t)(d + 2) * sizeof(double));
            if (llmbo_gp_refactor(gp, NULL) != LLMBO_OK)
                gp->have_factor = 0;
        }
    } else {
        for (int j = 0; j < d; j++)
            gp->w[j] = exp(-2.0 * gp->theta[j]);
    }
    llmbo_free(saved);
    return st;
}

double llmbo_gp_log_marginal_likelihood(const llmbo_gp *gp)
{
    return gp->have_factor ? gp->lml : 0.0;
}

double llmbo_gp_log_posterior(const llmbo_gp *gp)
{
    return llmbo_gp_log_marginal_likelihood(gp) + llmbo_gp_log_prior(gp, gp->theta, NULL);
}

void llmbo_gp_get_hyper(const llmbo_gp *gp, double *lengthscales, double *signal_var,
                        double *noise_var)
{
    int d = gp->d;
    double s2 = gp->y_sd * gp->y_sd;
    if (lengthscales)
        for (int j = 0; j < d; j++)
            lengthscales[j] = exp(gp->theta[j]);
    if (signal_var)
        *signal_var = exp(gp->theta[d]) * s2;
    if (noise_var)
        *noise_var = exp(gp->theta[d + 1]) * s2;
}

void llmbo_gp_get_bounds(const llmbo_gp *gp, double *lo, double *hi)
{
    size_t sz = (size_t)(gp->d + 2) * sizeof(double);
    if (lo)
        memcpy(lo, gp->lo, sz);
    if (hi)
        memcpy(hi, gp->hi, sz);
}

int llmbo_gp_needs_refit(const llmbo_gp *gp, int every, double lml_drop)
{
    if (gp->n_fits == 0 || !gp->have_factor)
        return 1;
    if (every > 0 && gp->n - gp->n_at_opt >= every)
        return 1;
    if (lml_drop > 0.0 && gp->n > 0 && gp->lml / gp->n < gp->lml_at_opt - lml_drop)
        return 1;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Prediction. mean = ks' alpha; var = sf2 - |L^{-1} ks|^2 (Algorithm 2.1). Gradients:
 * dks_i/dx_j = 2 sf2 g'(r2_i) w_j (x_j - X_ij); dmean = dks' alpha; dvar = -2 dks' K^{-1} ks.
 * ------------------------------------------------------------------------------------------- */
void llmbo_gp_predict(llmbo_gp *gp, const double *x, double *mean, double *var, double *dmean,
                      double *dvar)
{
    int d = gp->d, n = gp->have_factor ? gp->n : 0, lda = gp->cap;
    double sf2 = exp(gp->theta[d]);
    double s = gp->y_sd;
    if (n == 0) {
        if (mean)
            *mean = gp->y_mean;
        if (var)
            *var = sf2 * s * s;
        for (int j = 0; j < d; j++) {
            if (dmean)
                dmean[j] = 0.0;
            if (dvar)
                dvar[j] = 0.0;
        }
        return;
    }
    int want_dg = dmean || dvar;
    /* k(x, X_i) for all i through the vectorised row loops of gp_pairs.c. */
    llmbo_pairs_r2(n, d, x, gp->XT, lda, gp->w, gp->tmp);
    gp->kern->profile_batch(n, gp->tmp, gp->ks, want_dg ? gp->dgv : NULL);
    for (int i = 0; i < n; i++)
        gp->ks[i] *= sf2;
    double mu = cblas_ddot(n, gp->ks, 1, gp->alpha, 1);
    double vs = 0.0;
    if (var || dvar) {
        memcpy(gp->v, gp->ks, (size_t)n * sizeof(double));
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, n, gp->L, lda, gp->v, 1);
        vs = sf2 - cblas_ddot(n, gp->v, 1, gp->v, 1);
    }
    int clamped = !(vs > 0.0);
    if (clamped)
        vs = 0.0;
    if (mean)
        *mean = gp->y_mean + s * (gp->m0 + mu);
    if (var)
        *var = s * s * vs;
    if (!want_dg)
        return;
    if (dvar && !clamped) /* tmp = K^{-1} ks */
        cblas_dtrsv(CblasRowMajor, CblasLower, CblasTrans, CblasNonUnit, n, gp->L, lda, gp->v, 1);
    for (int j = 0; j < d; j++) {
        if (dmean)
            dmean[j] = 0.0;
        if (dvar)
            dvar[j] = 0.0;
    }
    for (int i = 0; i < n; i++) {
        const double *xi = gp->X + (size_t)i * d;
        double c = 2.0 * sf2 * gp->dgv[i];
        double a = c * gp->alpha[i] * s;
        double b = (dvar && !clamped) ? -2.0 * c * gp->v[i] * s * s : 0.0;
        for (int j = 0; j < d; j++) {
            double t = gp->w[j] * (x[j] - xi[j]);
            if (dmean)
                dmean[j] += a * t;
            if (dvar)
                dvar[j] += b * t;
        }
    }
}

void llmbo_gp_predict_batch(llmbo_gp *gp, const double *Xs, int m, double *mean, double *var)
{
    int d = gp->d, n = gp->have_factor ? gp->n : 0, lda = gp->cap;
    double sf2 = exp(gp->theta[d]);
    double s = gp->y_sd;
    if (n == 0) {
        for (int p = 0; p < m; p++) {
            if (mean)
                mean[p] = gp->y_mean;
            if (var)
                var[p] = sf2 * s * s;
        }
        return;
    }
    for (int p0 = 0; p0 < m; p0 += LLMBO_GP_PRED_CHUNK) {
        int c = m - p0 < LLMBO_GP_PRED_CHUNK ? m - p0 : LLMBO_GP_PRED_CHUNK;
        /* B (c, n), stride lda: B[p][i] = k(Xs_p, X_i), one point's row at a time through the
         * vectorised loops of gp_pairs.c, exactly as llmbo_gp_predict computes ks. */
        double *B = gp->batch;
        for (int p = 0; p < c; p++) {
            double *Bp = B + (size_t)p * lda;
            llmbo_pairs_r2(n, d, Xs + (size_t)(p0 + p) * d, gp->XT, lda, gp->w, gp->tmp);
            gp->kern->profile_batch(n, gp->tmp, Bp, NULL);
            for (int i = 0; i < n; i++)
                Bp[i] *= sf2;
        }
        if (mean) {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, c, n, 1.0, B, lda, gp->alpha, 1, 0.0,
                        mean + p0, 1);
            for (int p = 0; p < c; p++)
                mean[p0 + p] = gp->y_mean + s * (gp->m0 + mean[p0 + p]);
        }
        if (var) {
            /* Row p of B L^{-T} is (L^{-1} ks_p)': one BLAS-3 solve for the chunk. */
            cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, c, n, 1.0,
                        gp->L, lda, B, lda);
            for (int p = 0; p < c; p++) {
                const double *Bp = B + (size_t)p * lda;
                double vs = sf2 - cblas_ddot(n, Bp, 1, Bp, 1);
                var[p0 + p] = vs > 0.0 ? s * s * vs : 0.0;
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Joint posterior samples: mean m = Ks alpha, covariance C = Kss - V'V with V = L^{-1} Ks'
 * (n, m); f = m + chol(C + jitter) z, z ~ N(0, I), un-standardised.
 * ------------------------------------------------------------------------------------------- */
llmbo_status llmbo_gp_sample(llmbo_gp *gp, const double *Xs, int m, int ns, uint64_t seed,
                             double *out, llmbo_error *err)
{
    if (!gp || !Xs || !out || m < 1 || ns < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "gp: sample needs m >= 1 points and ns >= 1 samples (got %d, %d)", m,
                               ns);
    int d = gp->d, n = gp->have_factor ? gp->n : 0, lda = gp->cap;
    for (int p = 0; p < m; p++)
        for (int j = 0; j < d; j++)
            if (!isfinite(Xs[(size_t)p * d + j]))
                return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                       "gp: sample point Xs[%d][%d] is not finite", p, j);
    double sf2 = exp(gp->theta[d]);
    double *V = llmbo_malloc((size_t)(n > 0 ? n : 1) * m, sizeof(double));
    double *C = llmbo_malloc((size_t)m * m, sizeof(double));
    double *mu = llmbo_malloc((size_t)m * 2, sizeof(double));
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    llmbo_status st = LLMBO_OK;
    if (!V || !C || !mu || !rng) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory for %d sample points", m);
        goto done;
    }
    double *z = mu + m;
    for (int p = 0; p < m; p++) {
        const double *xp = Xs + (size_t)p * d;
        for (int q = 0; q < p; q++) {
            double c = sf2 * gp->kern->profile(r2_point(d, gp->w, xp, Xs + (size_t)q * d), NULL);
            C[(size_t)p * m + q] = c;
            C[(size_t)q * m + p] = c;
        }
        C[(size_t)p * m + p] = sf2;
        mu[p] = 0.0;
    }
    if (n > 0) {
        for (int i = 0; i < n; i++)
            for (int p = 0; p < m; p++)
                V[(size_t)i * m + p] =
                    sf2 * gp->kern->profile(
                              r2_point(d, gp->w, gp->X + (size_t)i * d, Xs + (size_t)p * d), NULL);
        cblas_dgemv(CblasRowMajor, CblasTrans, n, m, 1.0, V, m, gp->alpha, 1, 0.0, mu, 1);
        cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, n, m, 1.0,
                    gp->L, lda, V, m);
        /* C -= V'V on the lower triangle, then mirror it to the upper one. */
        cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, m, n, -1.0, V, m, 1.0, C, m);
        for (int p = 0; p < m; p++)
            for (int q = 0; q < p; q++)
                C[(size_t)q * m + p] = C[(size_t)p * m + q];
    }
    /* The posterior covariance is often singular to rounding (points near data or each other):
     * the jitter ladder starts at 1e-10 sigma_f^2 and keeps the mean diagonal. */
    double diag_mean = 0.0, jit;
    for (int p = 0; p < m; p++)
        diag_mean += fmax(C[(size_t)p * m + p], 0.0);
    diag_mean /= m;
    /* Unlike K, the diagonal differs per row, so the retries keep their own copy of it. */
    {
        gsl_matrix_view cv = gsl_matrix_view_array(C, (size_t)m, (size_t)m);
        double *diag = z; /* z is free until the draws */
        for (int p = 0; p < m; p++)
            diag[p] = C[(size_t)p * m + p];
        int ok = 0;
        jit = 0.0;
        for (int t = 0; t <= LLMBO_GP_JITTER_TRIES + 2 && !ok; t++) {
            if (t > 0) {
                for (int p = 0; p < m; p++)
                    for (int q = 0; q < p; q++)
                        C[(size_t)p * m + q] = C[(size_t)q * m + p];
                jit = fmax(diag_mean, 1e-300) * LLMBO_GP_JITTER_FIRST *
                      pow(LLMBO_GP_JITTER_GROWTH, t - 1);
            }
            for (int p = 0; p < m; p++)
                C[(size_t)p * m + p] = fmax(diag[p], 0.0) + jit;
            ok = gsl_linalg_cholesky_decomp1(&cv.matrix) == GSL_SUCCESS;
        }
        if (!ok) {
            st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                                 "gp: posterior covariance of %d points is not positive definite",
                                 m);
            goto done;
        }
    }
    gsl_rng_set(rng, (unsigned long)seed);
    for (int s = 0; s < ns; s++) {
        double *o = out + (size_t)s * m;
        for (int p = 0; p < m; p++)
            z[p] = gsl_ran_gaussian_ziggurat(rng, 1.0);
        cblas_dtrmv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, m, C, m, z, 1);
        for (int p = 0; p < m; p++)
            o[p] = gp->y_mean + gp->y_sd * (gp->m0 + mu[p] + z[p]);
    }
done:
    if (rng)
        gsl_rng_free(rng);
    llmbo_free(V);
    llmbo_free(C);
    llmbo_free(mu);
    return st;
}

llmbo_status llmbo_gp_loo(const llmbo_gp *gp, double *mean, double *var, double *logp,
                          llmbo_error *err)
{
    if (!gp || gp->n < 1 || !gp->have_factor)
        return llmbo_error_set(err, LLMBO_ERR_STATE, "gp: no fitted data for leave-one-out");
    int n = gp->n;
    double *A = llmbo_malloc((size_t)n * n, sizeof(double));
    if (!A)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "gp: out of memory for leave-one-out");
    for (int i = 0; i < n; i++)
        memcpy(A + (size_t)i * n, gp->L + (size_t)i * gp->cap, (size_t)(i + 1) * sizeof(double));
    /* K^{-1} = L^{-T} L^{-1} in the lower triangle; only its diagonal is needed. */
    gsl_matrix_view m = gsl_matrix_view_array(A, (size_t)n, (size_t)n);
    gsl_linalg_tri_invert(CblasLower, CblasNonUnit, &m.matrix);
    gsl_linalg_tri_LTL(&m.matrix);
    double lp = 0.0, s2 = gp->y_sd * gp->y_sd;
    for (int i = 0; i < n; i++) {
        double kii = A[(size_t)i * n + i], r = gp->alpha[i] / kii; /* held-out residual */
        double mu = gp->y[i] - gp->y_sd * r, v = s2 / kii;
        if (mean)
            mean[i] = mu;
        if (var)
            var[i] = v;
        lp += -0.5 * log(2.0 * M_PI * v) - 0.5 * (gp->y_sd * r) * (gp->y_sd * r) / v;
    }
    llmbo_free(A);
    if (logp)
        *logp = lp;
    return LLMBO_OK;
}
