/* test_gp_slow.c: long-running GP checks. A BO-like sequence of 300 observations handled with
 * add() and the refit policy: after every step the incrementally extended factor must equal a
 * full refactorisation with the same hyperparameters and standardisation (rounding errors of
 * the O(n^2) extension must not accumulate), and every refit must not lose objective value
 * against the previous hyperparameters. Also a larger hyperparameter-recovery run in d = 3. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "check.h"
#include "llmbo.h"
#include "gp_impl.h"

static double branin01(const double *u)
{
    double x = 15.0 * u[0] - 5.0, y = 15.0 * u[1];
    double t = y - 5.1 / (4 * M_PI * M_PI) * x * x + 5.0 / M_PI * x - 6.0;
    return t * t + 10.0 * (1 - 1.0 / (8 * M_PI)) * cos(x) + 10.0;
}

static void test_add_chain(void)
{
    const int n_max = 300, d = 2;
    double *X = malloc(sizeof(double) * n_max * d), *y = malloc(sizeof(double) * n_max);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2718);
    for (int i = 0; i < n_max * d; i++)
        X[i] = gsl_rng_uniform(rng);
    for (int i = 0; i < n_max; i++)
        y[i] = branin01(X + i * d) + 0.1 * gsl_ran_gaussian(rng, 1.0);
    llmbo_gp *gp = llmbo_gp_create(d, NULL);
    CHECK_OK(llmbo_gp_fit(gp, X, y, 10, 1, NULL));
    int refits = 0, worst_step = -1, monotone = 1, failures = 0;
    double worst = 0.0;
    for (int n = 11; n <= n_max; n++) {
        failures += llmbo_gp_add(gp, X + (n - 1) * d, y[n - 1], NULL) != LLMBO_OK;
        if (llmbo_gp_needs_refit(gp, 10, 0.5)) {
            /* The previous optimum is among the starts: the refit objective cannot be lower
             * than the previous hyperparameters' on the new data. */
            double before;
            failures += llmbo_gp_fit(gp, X, y, n, 0, NULL) != LLMBO_OK;
            before = llmbo_gp_log_posterior(gp);
            failures += llmbo_gp_fit(gp, X, y, n, 1, NULL) != LLMBO_OK;
            if (llmbo_gp_log_posterior(gp) < before - 1e-9)
                monotone = 0;
            refits++;
            continue;
        }
        /* Compare with a full refactorisation at the same theta and standardisation. */
        llmbo_gp *ref = llmbo_gp_create(d, NULL);
        double th[4];
        llmbo_gp_get_theta(gp, th);
        failures += llmbo_gp_fit(ref, X, y, n, 0, NULL) != LLMBO_OK;
        ref->y_mean = gp->y_mean;
        ref->y_sd = gp->y_sd;
        for (int i = 0; i < n; i++)
            ref->ys[i] = (y[i] - gp->y_mean) / gp->y_sd;
        failures += llmbo_gp_set_theta(ref, th, NULL) != LLMBO_OK;
        double xq[2] = {0.3 + 0.001 * n, 0.7 - 0.001 * n}, m1, v1, m2, v2;
        llmbo_gp_predict(gp, xq, &m1, &v1, NULL, NULL);
        llmbo_gp_predict(ref, xq, &m2, &v2, NULL, NULL);
        double e = fmax(fabs(m1 - m2) / fmax(1.0, fabs(m2)), fabs(v1 - v2) / fmax(1e-12, v2));
        e = fmax(
            e, fabs(llmbo_gp_log_marginal_likelihood(gp) - llmbo_gp_log_marginal_likelihood(ref)) /
                   fmax(1.0, fabs(llmbo_gp_log_marginal_likelihood(ref))));
        if (e > worst) {
            worst = e;
            worst_step = n;
        }
        llmbo_gp_free(ref);
    }
    printf("  add chain: %d refits, worst relative difference %.3g at n = %d\n", refits, worst,
           worst_step);
    CHECK(failures == 0, "every add, fit and set_theta of the chain succeeded (%d failed)",
          failures);
    CHECK(worst < 1e-8, "300-step add chain equals refactorisation (worst %g at n = %d)", worst,
          worst_step);
    CHECK(refits >= 25, "the policy refitted every 10 additions (%d refits)", refits);
    CHECK(monotone, "no refit lost objective value against the previous hyperparameters");
    llmbo_gp_free(gp);
    gsl_rng_free(rng);
    free(X);
    free(y);
}

/* d = 3 recovery with n = 300 and four draws: lengthscales within 35% in every draw. */
static void test_recovery_3d(void)
{
    const int n = 300, d = 3;
    const double ls[3] = {0.15, 0.3, 0.5}, sf2 = 1.7, sn2 = 0.005;
    double *X = malloc(sizeof(double) * n * d), *f = malloc(sizeof(double) * n);
    double *y = malloc(sizeof(double) * n), logsum[3] = {0, 0, 0};
    for (int r = 1; r <= 4; r++) {
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(rng, 100u + r);
        for (int i = 0; i < n * d; i++)
            X[i] = gsl_rng_uniform(rng);
        llmbo_gp *truth = llmbo_gp_create(d, NULL);
        double th[5] = {log(ls[0]), log(ls[1]), log(ls[2]), log(sf2), log(sn2)};
        CHECK_OK(llmbo_gp_set_theta(truth, th, NULL));
        CHECK_OK(llmbo_gp_sample(truth, X, n, 1, 31u * r, f, NULL));
        for (int i = 0; i < n; i++)
            y[i] = f[i] + sqrt(sn2) * gsl_ran_gaussian(rng, 1.0);
        llmbo_gp *gp = llmbo_gp_create(d, NULL);
        CHECK_OK(llmbo_gp_fit(gp, X, y, n, 1, NULL));
        double l[3];
        llmbo_gp_get_hyper(gp, l, NULL, NULL);
        printf("  3-d recovery draw %d: l = %.4f %.4f %.4f\n", r, l[0], l[1], l[2]);
        for (int j = 0; j < d; j++) {
            CHECK_NEAR(l[j], ls[j], 0.35, 0.0);
            logsum[j] += log(l[j] / ls[j]);
        }
        llmbo_gp_free(gp);
        llmbo_gp_free(truth);
        gsl_rng_free(rng);
    }
    for (int j = 0; j < d; j++)
        CHECK_NEAR(exp(logsum[j] / 4), 1.0, 0.15, 0.0);
    free(X);
    free(f);
    free(y);
}

int main(void)
{
    test_add_chain();
    test_recovery_3d();
    return check_summary();
}
