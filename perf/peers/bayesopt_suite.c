/* bayesopt_suite.c: BayesOpt (rmcantin/bayesopt, built by hand outside the repository) on the
 * robustness suite through its C API, on llmbo's own objectives and instances. Not built by
 * CMake; no BayesOpt code here. Build (perf/run_suite.sh does this):
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I$BAYESOPT/include -Iinclude -Icommon \
 *      perf/peers/bayesopt_suite.c -o /tmp/bayesopt_suite -Lbuild -lllmbo \
 *      $BAYESOPT/build/lib/libbayesopt.a $BAYESOPT/build/lib/libnlopt.a -lstdc++ -lm
 * Methods: bayesopt (initialize_parameters_to_default: 10 initial samples, relearn every 50)
 * and bayesopt-relearn1 (the same, hyperparameters relearned every iteration). The budget
 * counts the initial samples. The problems come as `--problem SPEC BUDGET SHIFTED` per line of
 * `bench_suite --list --suite NAME`, so the suites are defined in bench_suite.c only. Same CSV
 * as bench_suite.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bayesopt/bayesopt.h>
#include "llmbo.h"
#include "llmbo_common.h"

typedef struct ctx {
    llmbo_objective *obj;
    const double *lo, *hi; /* BayesOpt's box: log(lo), log(hi) for a log parameter */
    const int *logp;       /* 1 where the parameter is LLMBO_PARAM_LOG */
    double sign;           /* -1 for an objective to maximise: BayesOpt minimises sign * y */
    int d, n, cap;
    double *U;
    double best; /* the least sign * y */
} ctx;

static double f(unsigned int n, const double *x, double *grad, void *data)
{
    (void)grad;
    ctx *c = data;
    double y;
    llmbo_error err;
    double xc[64];
    for (unsigned j = 0; j < n; j++) {
        double z = fmin(fmax(x[j], c->lo[j]), c->hi[j]);
        if (c->n < c->cap)
            c->U[(size_t)c->n * n + j] = (z - c->lo[j]) / (c->hi[j] - c->lo[j]);
        xc[j] = c->logp[j] ? exp(z) : z;
    }
    if (llmbo_objective_eval(c->obj, xc, &y, &err) != LLMBO_OK)
        y = 1e300;
    else
        y *= c->sign;
    c->n++;
    c->best = y < c->best ? y : c->best;
    return y;
}

static int near_dups(const double *U, int n, int d)
{
    int c = 0;
    for (int i = 1; i < n; i++)
        for (int k = 0; k < i; k++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                double a = U[(size_t)i * d + j] - U[(size_t)k * d + j];
                s += a * a;
            }
            if (s < 1e-6) {
                c++;
                break;
            }
        }
    return c;
}

int main(int argc, char **argv)
{
    /* The problems, as `bench_suite --list` prints them (perf/run_suite.sh passes them). */
    struct {
        const char *spec;
        int budget, shifted;
    } problems[64];
    int np = 0;
    long s0 = 0, s1 = 19;
    int relearn1 = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seeds") && i + 1 < argc)
            sscanf(argv[++i], "%ld-%ld", &s0, &s1);
        else if (!strcmp(argv[i], "--relearn1"))
            relearn1 = 1;
        else if (!strcmp(argv[i], "--problem") && i + 3 < argc && np < 64) {
            problems[np].spec = argv[i + 1];
            problems[np].budget = atoi(argv[i + 2]);
            problems[np].shifted = atoi(argv[i + 3]);
            np++;
            i += 3;
        } else {
            fprintf(stderr, "usage: bayesopt_suite [--seeds A-B] [--relearn1] "
                            "(--problem SPEC BUDGET SHIFTED)...\n");
            return 2;
        }
    }
    llmbo_init();
    for (int k = 0; k < np; k++) {
        const char *spec0 = problems[k].spec;
        int budget = problems[k].budget, shifted = problems[k].shifted;
        for (long s = s0; s <= s1; s++) {
            char spec[96];
            if (shifted)
                snprintf(spec, sizeof spec, "%s#%ld", spec0, s + 1);
            else
                snprintf(spec, sizeof spec, "%s", spec0);
            llmbo_objective *obj = NULL;
            llmbo_error err;
            if (llmbo_objective_create(spec, &obj, &err) != LLMBO_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            int d = llmbo_objective_dim(obj);
            double lo[64], hi[64], x[64], minf, opt = 0;
            const llmbo_space *sp = llmbo_objective_space(obj);
            int logp[64];
            for (int j = 0; j < d; j++) {
                const llmbo_param *pj = llmbo_space_param(sp, j);
                logp[j] = pj->type == LLMBO_PARAM_LOG;
                lo[j] = logp[j] ? log(pj->lo) : pj->lo;
                hi[j] = logp[j] ? log(pj->hi) : pj->hi;
            }
            llmbo_objective_optimal_value(obj, &opt);
            double sign = llmbo_objective_maximize(obj) ? -1 : 1;
            ctx c = {obj, lo, hi, logp, sign, d, 0, budget + 16, NULL, HUGE_VAL};
            c.U = calloc((size_t)c.cap * (size_t)d, sizeof(double));
            bopt_params p = initialize_parameters_to_default();
            p.n_iterations = (size_t)(budget - (int)p.n_init_samples);
            p.random_seed = (int)s;
            p.verbose_level = -1;
            if (relearn1)
                p.n_iter_relearn = 1;
            double t0 = llmbo_now();
            bayes_optimization(d, f, &c, lo, hi, x, &minf, p);
            if (c.n != budget)
                fprintf(stderr, "%s seed %ld: BayesOpt made %d evaluations, budget %d\n", spec, s,
                        c.n, budget);
            printf("%s,%s,%d,%ld,%.6g,%d,0,%.3f\n", relearn1 ? "bayesopt-relearn1" : "bayesopt",
                   spec0, budget, s, fabs(sign * c.best - opt),
                   near_dups(c.U, c.n < c.cap ? c.n : c.cap, d), llmbo_now() - t0);
            fflush(stdout);
            free(c.U);
            llmbo_objective_free(obj);
        }
    }
    return 0;
}
