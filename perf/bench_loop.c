/* bench_loop.c: seconds per BO iteration (ask = hyperparameter refit + acquisition optimisation,
 * then tell) against the number of observations n, for d = 2 (branin), 6 (hartmann6) and 20
 * (ackley:20), default options (refit every iteration, logEI). For each n the loop gets an
 * initial design of n points (no fitting), then K GP iterations are timed: the first refits
 * from the GP's default hyperparameters (cold), the next ones warm-start from the previous fit as
 * in a running loop (steady state, reported as their mean). The refit alone (public GP API, from
 * the loop's previous hyperparameters) and the acquisition optimisation alone (logEI, default
 * optimiser options, top 5, on that model) are timed separately on the same data.
 * Reference in the same invocation: a 500 x 500 Cholesky factorisation (GSL + CBLAS), so the
 * ratios column carries across machines. Times are CPU seconds of the process (the machine is
 * shared; wall-clock time would measure the other tenants): run with OPENBLAS_NUM_THREADS=1.
 *
 * usage: bench_loop [max_n] (default 500) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_linalg.h>
#include "llmbo.h"
#include "llmbo_common.h"
#include "acq.h"

#define K_WARM 3

static double ref_cholesky(void)
{
    int n = 500;
    gsl_matrix *A = gsl_matrix_alloc((size_t)n, (size_t)n);
    double best = HUGE_VAL;
    for (int rep = 0; rep < 5; rep++) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                gsl_matrix_set(A, (size_t)i, (size_t)j,
                               exp(-0.5 * (i - j) * (i - j) / 400.0) + (i == j ? 1e-3 : 0));
        double t = llmbo_cpu_seconds();
        gsl_linalg_cholesky_decomp1(A);
        t = llmbo_cpu_seconds() - t;
        best = t < best ? t : best;
    }
    gsl_matrix_free(A);
    return best;
}

/* Times the loop at n observations; returns 0 on an error. */
static int bench_point(const char *name, int n, double ref, double *total_out)
{
    llmbo_objective *obj = NULL;
    llmbo_error err;
    if (llmbo_objective_create(name, &obj, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    int d = llmbo_objective_dim(obj);
    llmbo_bo_options o;
    llmbo_bo_options_default(&o);
    o.n_init = n;
    o.seed = 7;
    llmbo_bo *bo = NULL;
    if (llmbo_bo_create(llmbo_objective_space(obj), &o, &bo, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        llmbo_objective_free(obj);
        return 0;
    }
    double *x = malloc(sizeof(double) * (size_t)d);
    double *X = malloc(sizeof(double) * (size_t)(n + K_WARM + 1) * (size_t)d);
    double *Y = malloc(sizeof(double) * (size_t)(n + K_WARM + 1));
    double t_cold = 0, t_warm = 0, t_fit = 0, t_acq = 0;
    int ok = 1;
    for (int i = 0; i < n + 1 + K_WARM && ok; i++) {
        int64_t id;
        double y, t = llmbo_cpu_seconds();
        ok = llmbo_bo_ask(bo, 1, &id, x, NULL, &err) == LLMBO_OK;
        t = llmbo_cpu_seconds() - t;
        if (!ok)
            break;
        if (i == n)
            t_cold = t;
        else if (i > n) {
            t_warm += t / K_WARM;
            /* The same refit alone: from the hyperparameters the loop started from. */
            llmbo_gp_options go = o.gp;
            llmbo_gp *gp = llmbo_gp_create(d, &go);
            double th[64];
            llmbo_bo_theta(bo, id - 1, th);
            llmbo_gp_set_theta(gp, th, &err);
            double tf = llmbo_cpu_seconds();
            llmbo_gp_fit(gp, X, Y, i, 1, &err);
            t_fit += (llmbo_cpu_seconds() - tf) / K_WARM;
            /* The acquisition optimisation alone, on that model, with the loop's defaults. */
            llmbo_acq_params ap;
            llmbo_acqopt_options ao;
            llmbo_candidate cand[5];
            double cu[5 * 64], best = HUGE_VAL;
            int n_out;
            for (int j = 0; j < i; j++)
                best = Y[j] < best ? Y[j] : best;
            memset(&ap, 0, sizeof ap);
            ap.type = LLMBO_ACQUISITION_LOGEI;
            ap.best = best;
            llmbo_acqopt_options_default(&ao, d);
            ao.seed = (uint64_t)i;
            for (int c = 0; c < 5; c++)
                cand[c].u = cu + c * d;
            double ta = llmbo_cpu_seconds();
            llmbo_acq_optimize(gp, llmbo_objective_space(obj), &ap, &ao, NULL, 0, 5, cand, &n_out,
                               &err);
            t_acq += (llmbo_cpu_seconds() - ta) / K_WARM;
            llmbo_gp_free(gp);
        }
        llmbo_objective_eval(obj, x, &y, &err);
        llmbo_space_to_unit(llmbo_objective_space(obj), x, X + (size_t)i * d);
        Y[i] = y;
        llmbo_bo_tell(bo, id, y, 0, &err);
    }
    if (ok) {
        printf("| %d | %d | %.4f | %.4f | %.4f | %.4f | %.1f |\n", d, n, t_cold, t_warm, t_fit,
               t_acq, t_warm / ref);
        fflush(stdout);
        *total_out = t_warm;
    }
    free(x);
    free(X);
    free(Y);
    llmbo_bo_free(bo);
    llmbo_objective_free(obj);
    return ok;
}

int main(int argc, char **argv)
{
    int max_n = argc > 1 ? atoi(argv[1]) : 500;
    static const int ns[] = {10, 25, 50, 100, 200, 300, 500};
    static const char *const names[] = {"branin", "hartmann6", "ackley:20"};
    llmbo_init();
    double ref = ref_cholesky();
    printf("reference: 500 x 500 Cholesky (GSL + CBLAS) %.4f s\n\n", ref);
    printf("| d | n | first ask, cold refit (s) | ask, warm refit (s) | refit alone (s) | "
           "acquisition optimisation alone (s) | ask / reference |\n"
           "|---|---|---|---|---|---|---|\n");
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
            double t;
            if (ns[i] > max_n)
                break;
            if (!bench_point(names[k], ns[i], ref, &t))
                return 1;
        }
    return 0;
}
