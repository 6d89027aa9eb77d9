/* gp_fit.c: the GP surrogate on its own, through the public header only. Fits a Matern-5/2 GP
 * to 30 noisy samples of a 2-d function on the unit square, prints the fitted hyperparameters,
 * predictions with their uncertainty, and the gradient the acquisition optimiser would use.
 * Run: ./example_gp_fit */
#include <math.h>
#include <stdio.h>
#include "llmbo.h"

static double f(const double *x)
{
    return sin(6.0 * x[0]) + 0.5 * cos(3.0 * x[1]) + x[0] * x[1];
}

int main(void)
{
    enum { N = 30, D = 2 };
    double X[N * D], y[N];
    unsigned s = 12345u; /* a small LCG keeps the example free of other libraries */
    for (int i = 0; i < N * D; i++) {
        s = s * 1103515245u + 12345u;
        X[i] = (s >> 8) / 16777216.0;
    }
    for (int i = 0; i < N; i++)
        y[i] = f(X + i * D) + 0.01 * sin(37.0 * i);

    llmbo_gp_options opt;
    llmbo_gp_options_default(&opt); /* Matern 5/2, fitted noise, BoTorch-like priors */
    llmbo_gp *gp = llmbo_gp_create(D, &opt);
    if (!gp) {
        fprintf(stderr, "gp_fit: could not create the GP\n");
        return 1;
    }
    llmbo_error err;
    if (llmbo_gp_fit(gp, X, y, N, 1, &err) != LLMBO_OK) {
        fprintf(stderr, "gp_fit: %s\n", err.msg);
        llmbo_gp_free(gp);
        return 1;
    }
    double ls[D], sf2, sn2;
    llmbo_gp_get_hyper(gp, ls, &sf2, &sn2);
    printf("lengthscales %.4f %.4f, signal variance %.4f, noise variance %.2e\n", ls[0], ls[1], sf2,
           sn2);
    printf("log marginal likelihood %.4f\n", llmbo_gp_log_marginal_likelihood(gp));
    printf("%8s %8s %10s %10s %10s\n", "x0", "x1", "true", "mean", "std");
    for (int k = 0; k < 5; k++) {
        double x[D] = {0.1 + 0.2 * k, 0.9 - 0.15 * k}, mean, var;
        llmbo_gp_predict(gp, x, &mean, &var, NULL, NULL);
        printf("%8.3f %8.3f %10.4f %10.4f %10.4f\n", x[0], x[1], f(x), mean, sqrt(var));
    }
    double x[D] = {0.5, 0.5}, mean, var, dmean[D], dvar[D];
    llmbo_gp_predict(gp, x, &mean, &var, dmean, dvar);
    printf("at (0.5, 0.5): dmean/dx = (%.4f, %.4f), dvar/dx = (%.4f, %.4f)\n", dmean[0], dmean[1],
           dvar[0], dvar[1]);
    /* A new observation: O(n^2) update with the hyperparameters kept. */
    double xn[D] = {0.5, 0.5};
    if (llmbo_gp_add(gp, xn, f(xn), &err) != LLMBO_OK)
        fprintf(stderr, "gp_fit: %s\n", err.msg);
    llmbo_gp_predict(gp, x, &mean, &var, NULL, NULL);
    printf("after adding (0.5, 0.5): mean %.4f (true %.4f), std %.2e\n", mean, f(x), sqrt(var));
    llmbo_gp_free(gp);
    return 0;
}
