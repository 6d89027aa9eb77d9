/* bench_pool_oracle.c: GP-BO vs GP-BO + a synthetic advisor in pool mode, paired by seed
 * (perf/results/distill.md, round 9: can pool mode's advisor drag GP-BO down, can a good one
 * help?). The advisor knows the objective's first minimiser: "near:S" proposes it plus Gaussian
 * noise of S box widths in each coordinate (clamped to the box), "random" a uniform point, "far"
 * the corner farthest from it. One CSV line per seed: spec, kind, seed, GP-BO's final regret,
 * GP-BO + advisor's, advisor points evaluated as they are (source llm).
 * usage: bench_pool_oracle SPEC BUDGET SEED0 SEED1 KIND */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "llmbo.h"

typedef struct {
    const double *xstar;
    const char *kind;
    gsl_rng *r;
} oracle;

static llmbo_status advise(void *ctx, const llmbo_advice_request *req, llmbo_advice_reply *rep,
                           llmbo_error *err)
{
    (void)err;
    oracle *o = ctx;
    int d = llmbo_space_dim(req->space);
    double u[64], us[64];
    llmbo_space_to_unit(req->space, o->xstar, us);
    for (int j = 0; j < d; j++) {
        if (strncmp(o->kind, "near:", 5) == 0)
            u[j] = fmin(1, fmax(0, us[j] + gsl_ran_gaussian(o->r, atof(o->kind + 5))));
        else if (strcmp(o->kind, "random") == 0)
            u[j] = gsl_rng_uniform(o->r);
        else
            u[j] = us[j] < 0.5 ? 1 : 0;
    }
    llmbo_space_from_unit(req->space, u, rep->x);
    rep->n_x = 1;
    rep->outcome = LLMBO_OUTCOME_VALID;
    return LLMBO_OK;
}

static double run(const char *spec, int budget, long seed, oracle *orc, int *n_llm)
{
    llmbo_objective *obj;
    llmbo_error err;
    if (llmbo_objective_create(spec, &obj, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    const llmbo_space *sp = llmbo_objective_space(obj);
    int d = llmbo_objective_dim(obj);
    double opt = 0, x[64], y, best = NAN;
    llmbo_objective_optimal_value(obj, &opt);
    const double *xs = NULL;
    if (d > 64 || llmbo_objective_optimizers(obj, &xs) < 1) {
        fprintf(stderr, "%s: no known minimiser, or more than 64 dimensions\n", spec);
        exit(1);
    }
    llmbo_bo_options o;
    llmbo_bo_options_default(&o);
    o.budget = budget;
    o.seed = (uint64_t)seed;
    if (orc) {
        orc->xstar = xs;
        orc->r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(orc->r, (unsigned long)seed + 77);
        o.strategy = LLMBO_STRATEGY_GP_ADVISOR;
        o.advisor.version = LLMBO_ADVISOR_HOOK_VERSION;
        o.advisor.ctx = orc;
        o.advisor.advise = advise;
        o.schedule.mode = LLMBO_ADVICE_POOL;
    }
    llmbo_bo *bo;
    if (llmbo_bo_create(sp, &o, &bo, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    *n_llm = 0;
    for (int i = 0; i < budget; i++) {
        int64_t id;
        llmbo_source src;
        if (llmbo_bo_ask(bo, 1, &id, x, &src, &err) != LLMBO_OK) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        *n_llm += src == LLMBO_SOURCE_LLM;
        int f = llmbo_objective_eval(obj, x, &y, &err) != LLMBO_OK;
        llmbo_bo_tell(bo, id, y, f, &err);
    }
    llmbo_bo_best(bo, NULL, &best, NULL);
    llmbo_bo_free(bo);
    llmbo_objective_free(obj);
    if (orc)
        gsl_rng_free(orc->r);
    return fabs(best - opt);
}

int main(int argc, char **argv)
{
    if (argc != 6 || atoi(argv[2]) < 2 ||
        (strncmp(argv[5], "near:", 5) != 0 && strcmp(argv[5], "random") != 0 &&
         strcmp(argv[5], "far") != 0)) {
        fprintf(stderr, "usage: bench_pool_oracle SPEC BUDGET SEED0 SEED1 near:S|random|far\n");
        return 2;
    }
    llmbo_init();
    int budget = atoi(argv[2]);
    for (long s = atol(argv[3]); s <= atol(argv[4]); s++) {
        oracle orc = {NULL, argv[5], NULL};
        int n0, n1;
        double g = run(argv[1], budget, s, NULL, &n0);
        double p = run(argv[1], budget, s, &orc, &n1);
        printf("%s,%s,%ld,%.6g,%.6g,%d\n", argv[1], argv[5], s, g, p, n1);
    }
    return 0;
}
