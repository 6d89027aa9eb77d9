/* test_bo_quality_slow.c: optimisation quality over 10 seeds, the GP loop with logEI (default
 * options) against random search in the same run. Floors from issue 4: median simple regret
 * branin@30 <= 1e-3, hartmann6@100 <= 0.05, ackley:5@100 (a shifted instance per seed, issue 11)
 * clearly below random search (the GP's median below random search's lower quartile). Issue 11: no
 * GP run evaluates a point within 1e-3 (Euclidean, unit cube) of an earlier one, and no hartmann6
 * GP run ends worse than random search's median (on branin one of these seeds does:
 * bench/results/suite.md). Prints median and IQR per objective and strategy. Objectives and their
 * known optima come from the objectives module, whose own tests check them against published
 * values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "llmbo.h"
#include "llmbo_common.h"

#define N_SEEDS 10

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Quantile q of sorted v (n) by linear interpolation (numpy's default). */
static double quantile(const double *v, int n, double q)
{
    double h = (n - 1) * q;
    int lo = (int)floor(h);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (h - lo) * (v[hi] - v[lo]);
}

static int total_near_dups;

/* One run: returns the final simple regret, or NAN on an error. Names ending in '#' run the
 * instance seed + 1. Adds the run's near-duplicates to total_near_dups. */
static double run_once(const char *name0, llmbo_strategy strategy, int budget, uint64_t seed,
                       double *seconds)
{
    llmbo_objective *obj = NULL;
    llmbo_error err;
    char name[64];
    size_t len = strlen(name0);
    if (len > 0 && name0[len - 1] == '#')
        snprintf(name, sizeof name, "%s%llu", name0, (unsigned long long)seed + 1);
    else
        snprintf(name, sizeof name, "%s", name0);
    if (llmbo_objective_create(name, &obj, &err) != LLMBO_OK) {
        printf("objective %s: %s\n", name, err.msg);
        return NAN;
    }
    double opt = 0;
    llmbo_objective_optimal_value(obj, &opt);
    int d = llmbo_objective_dim(obj);
    llmbo_bo_options o;
    llmbo_bo_options_default(&o);
    o.strategy = strategy;
    o.budget = budget;
    o.seed = seed;
    o.maximize = llmbo_objective_maximize(obj);
    llmbo_bo *bo = NULL;
    double regret = NAN, t0 = llmbo_now();
    if (llmbo_bo_create(llmbo_objective_space(obj), &o, &bo, &err) != LLMBO_OK) {
        printf("bo_create: %s\n", err.msg);
        goto done;
    }
    double *x = malloc(sizeof(double) * (size_t)d);
    double *U = malloc(sizeof(double) * (size_t)d * (size_t)budget);
    for (int i = 0; i < budget; i++) {
        int64_t id;
        double y;
        if (llmbo_bo_ask(bo, 1, &id, x, NULL, &err) != LLMBO_OK) {
            printf("ask: %s\n", err.msg);
            free(x);
            goto done;
        }
        int failed = llmbo_objective_eval(obj, x, &y, &err) != LLMBO_OK;
        llmbo_bo_tell(bo, id, y, failed, &err);
        double *u = U + (size_t)i * d;
        llmbo_space_to_unit(llmbo_objective_space(obj), x, u);
        for (int k = 0; k < i && strategy == LLMBO_STRATEGY_GP; k++) {
            double s2 = 0;
            for (int j = 0; j < d; j++)
                s2 += (u[j] - U[(size_t)k * d + j]) * (u[j] - U[(size_t)k * d + j]);
            if (s2 < 1e-6) {
                total_near_dups++;
                break;
            }
        }
    }
    free(x);
    free(U);
    double best;
    if (llmbo_bo_best(bo, NULL, &best, NULL) == LLMBO_OK)
        regret = fabs(best - opt);
done:
    *seconds = llmbo_now() - t0;
    llmbo_bo_free(bo);
    llmbo_objective_free(obj);
    return regret;
}

typedef struct summary {
    double med, q1, q3, worst, seconds;
} summary;

static summary over_seeds(const char *name, llmbo_strategy s, int budget)
{
    double r[N_SEEDS], secs = 0;
    summary out;
    for (int k = 0; k < N_SEEDS; k++) {
        double t;
        r[k] = run_once(name, s, budget, (uint64_t)(1000 + k), &t);
        secs += t;
    }
    qsort(r, N_SEEDS, sizeof r[0], cmp);
    out.med = quantile(r, N_SEEDS, 0.5);
    out.q1 = quantile(r, N_SEEDS, 0.25);
    out.q3 = quantile(r, N_SEEDS, 0.75);
    out.seconds = secs / N_SEEDS;
    out.worst = r[N_SEEDS - 1];
    printf("| %s@%d | %s | %.3g | %.3g – %.3g | %.3g | %s |\n", name, budget,
           s == LLMBO_STRATEGY_GP ? "gp logei" : "random", out.med, out.q1, out.q3, r[N_SEEDS - 1],
           "");
    printf("  runs: ");
    for (int k = 0; k < N_SEEDS; k++)
        printf("%.3g ", r[k]);
    printf("(sorted); %.2f s per run\n", out.seconds);
    return out;
}

int main(void)
{
    llmbo_init();
    printf("| objective@budget | strategy | median regret | IQR | worst | "
           "|\n|---|---|---|---|---|---|\n");
    summary g, r;
    g = over_seeds("branin", LLMBO_STRATEGY_GP, 30);
    r = over_seeds("branin", LLMBO_STRATEGY_RANDOM, 30);
    CHECK(g.med <= 1e-3, "branin@30: median regret %.3g <= 1e-3 (random %.3g)", g.med, r.med);
    g = over_seeds("hartmann6", LLMBO_STRATEGY_GP, 100);
    r = over_seeds("hartmann6", LLMBO_STRATEGY_RANDOM, 100);
    CHECK(g.med <= 0.05, "hartmann6@100: median regret %.3g <= 0.05 (random %.3g)", g.med, r.med);
    CHECK(g.worst < r.med, "hartmann6@100: worst GP run %.3g below random's median %.3g", g.worst,
          r.med);
    g = over_seeds("ackley:5#", LLMBO_STRATEGY_GP, 100);
    r = over_seeds("ackley:5#", LLMBO_STRATEGY_RANDOM, 100);
    /* With the optimum shifted off the centre about a quarter of the GP runs never find the
     * funnel (bench/results/suite.md), so the floor is on the median. */
    CHECK(g.med < r.q1,
          "ackley:5 (shifted)@100: GP median %.3g below random's lower quartile %.3g "
          "(upper quartiles %.3g vs %.3g)",
          g.med, r.q1, g.q3, r.q3);
    CHECK(total_near_dups == 0,
          "no GP evaluation within 1e-3 of an earlier one in any run (%d found)", total_near_dups);
    return check_summary();
}
