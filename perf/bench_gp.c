/* bench_gp.c: speed of the GP surrogate: a cold fit with hyperparameter optimisation (Matern-5/2
 * ARD, default options: priors, 3 screened random starts, one L-BFGS run), a warm refit from the
 * previous optimum, single-point prediction with and without gradients and batch prediction,
 * for each n and d asked. Data: X uniform on [0,1]^d (GSL mt19937, seed 1000 n + d),
 * y = sum_j sin(3 (j + 1) x_j) / (j + 1) + 0.01 N(0, 1). Prints one tab-separated row per
 * (n, d) (fit times: wall and process CPU seconds); --dump DIR writes the data so
 * perf/gp_sklearn.py can fit the same points. Usage: bench_gp [--n 50,100,...] [--d 2,6,20]
 * [--reps R] [--dump DIR] [--header] Driver: perf/run_gp_bench.sh; results: perf/results/gp.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "llmbo.h"
#include "llmbo_common.h"
#include "gp_impl.h"

#define N_PRED 1000

static int parse_list(const char *s, int *out, int max)
{
    int k = 0;
    while (*s && k < max) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1)
            return -1;
        out[k++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return -1;
    }
    return k;
}

static void make_data(int n, int d, double *X, double *y)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1000ul * n + d);
    for (int i = 0; i < n * d; i++)
        X[i] = gsl_rng_uniform(rng);
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int j = 0; j < d; j++)
            s += sin(3.0 * (j + 1) * X[i * d + j]) / (j + 1);
        y[i] = s + 0.01 * gsl_ran_gaussian(rng, 1.0);
    }
    gsl_rng_free(rng);
}

static int dump(const char *dir, int n, int d, const double *X, const double *y, const double *Xs)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/gp_n%d_d%d.txt", dir, n, d);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_gp: cannot write %s\n", path);
        return -1;
    }
    fprintf(f, "%d %d %d\n", n, d, N_PRED);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++)
            fprintf(f, "%.17g ", X[i * d + j]);
        fprintf(f, "%.17g\n", y[i]);
    }
    for (int i = 0; i < N_PRED; i++) {
        for (int j = 0; j < d; j++)
            fprintf(f, "%.17g%c", Xs[i * d + j], j + 1 < d ? ' ' : '\n');
    }
    return fclose(f) == 0 ? 0 : -1;
}

static int bench_one(int n, int d, int reps, const char *dir)
{
    double *X = malloc(sizeof(double) * n * d), *y = malloc(sizeof(double) * n);
    double *Xs = malloc(sizeof(double) * N_PRED * d), *mb = malloc(sizeof(double) * N_PRED * 2);
    double *g = malloc(sizeof(double) * d * 2);
    if (!X || !y || !Xs || !mb || !g) {
        fprintf(stderr, "bench_gp: out of memory\n");
        return 1;
    }
    make_data(n, d, X, y);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7ul * n + d);
    for (int i = 0; i < N_PRED * d; i++)
        Xs[i] = gsl_rng_uniform(rng);
    gsl_rng_free(rng);
    if (dir && dump(dir, n, d, X, y, Xs) != 0)
        return 1;

    double t_fit = HUGE_VAL, c_fit = HUGE_VAL, t_warm = HUGE_VAL, lml = 0.0, lpost = 0.0;
    int evals = 0, evals_warm = 0;
    llmbo_gp *gp = NULL;
    llmbo_error err;
    for (int r = 0; r < reps; r++) {
        llmbo_gp_free(gp);
        gp = llmbo_gp_create(d, NULL);
        if (!gp)
            return 1;
        double t0 = llmbo_now(), c0 = llmbo_cpu_seconds();
        if (llmbo_gp_fit(gp, X, y, n, 1, &err) != LLMBO_OK) {
            fprintf(stderr, "bench_gp: fit failed: %s\n", err.msg);
            return 1;
        }
        t_fit = fmin(t_fit, llmbo_now() - t0);
        c_fit = fmin(c_fit, llmbo_cpu_seconds() - c0);
        evals = gp->fit_evals;
        t0 = llmbo_now();
        if (llmbo_gp_fit(gp, X, y, n, 1, &err) != LLMBO_OK) {
            fprintf(stderr, "bench_gp: refit failed: %s\n", err.msg);
            return 1;
        }
        t_warm = fmin(t_warm, llmbo_now() - t0);
        evals_warm = gp->fit_evals;
    }
    lml = llmbo_gp_log_marginal_likelihood(gp);
    lpost = llmbo_gp_log_posterior(gp);
    /* Prediction: best of 3 sweeps over the 1000 points. */
    double t_pred = HUGE_VAL, t_grad = HUGE_VAL, t_batch = HUGE_VAL, sink = 0.0;
    for (int r = 0; r < 3; r++) {
        double t0 = llmbo_now();
        for (int i = 0; i < N_PRED; i++) {
            double m, v;
            llmbo_gp_predict(gp, Xs + (size_t)i * d, &m, &v, NULL, NULL);
            sink += m + v;
        }
        t_pred = fmin(t_pred, llmbo_now() - t0);
        t0 = llmbo_now();
        for (int i = 0; i < N_PRED; i++) {
            double m, v;
            llmbo_gp_predict(gp, Xs + (size_t)i * d, &m, &v, g, g + d);
            sink += m + v + g[0];
        }
        t_grad = fmin(t_grad, llmbo_now() - t0);
        t0 = llmbo_now();
        llmbo_gp_predict_batch(gp, Xs, N_PRED, mb, mb + N_PRED);
        t_batch = fmin(t_batch, llmbo_now() - t0);
        sink += mb[0];
    }
    printf("%d\t%d\t%.6f\t%.6f\t%d\t%.6f\t%d\t%.3f\t%.3f\t%.3f\t%.6f\t%.6f\n", n, d, t_fit, c_fit,
           evals, t_warm, evals_warm, 1e6 * t_pred / N_PRED, 1e6 * t_grad / N_PRED,
           1e6 * t_batch / N_PRED, lml, lpost + 0.0 * sink);
    fflush(stdout);
    llmbo_gp_free(gp);
    free(X);
    free(y);
    free(Xs);
    free(mb);
    free(g);
    return 0;
}

int main(int argc, char **argv)
{
    int ns[16] = {50, 100, 200, 500, 1000, 2000}, nn = 6;
    int ds[16] = {2, 6, 20}, nd = 3, reps = 0, header = 0;
    const char *dir = NULL;
    for (int a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--n") && a + 1 < argc)
            nn = parse_list(argv[++a], ns, 16);
        else if (!strcmp(argv[a], "--d") && a + 1 < argc)
            nd = parse_list(argv[++a], ds, 16);
        else if (!strcmp(argv[a], "--reps") && a + 1 < argc)
            reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--dump") && a + 1 < argc)
            dir = argv[++a];
        else if (!strcmp(argv[a], "--header"))
            header = 1;
        else {
            fprintf(stderr, "usage: bench_gp [--n LIST] [--d LIST] [--reps R] [--dump DIR] "
                            "[--header]\n");
            return 2;
        }
    }
    if (nn < 1 || nd < 1) {
        fprintf(stderr, "bench_gp: bad --n or --d list\n");
        return 2;
    }
    if (header)
        printf("n\td\tfit_s\tfit_cpu_s\tevals\twarm_s\twarm_evals\tpredict_us\tpredict_grad_us\t"
               "batch_us\tlml\tlog_post\n");
    for (int a = 0; a < nd; a++)
        for (int b = 0; b < nn; b++) {
            /* Best of 3 cold fits up to n = 500, one beyond. */
            int r = reps > 0 ? reps : (ns[b] <= 500 ? 3 : 1);
            if (bench_one(ns[b], ds[a], r, dir) != 0)
                return 1;
        }
    return 0;
}
