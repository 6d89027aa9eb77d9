/* bench_suite.c: llmbo's side of the robustness suite of issue 11 (perf/run_suite.sh runs the
 * peers beside it). One CSV line per run: method, objective spec, budget, seed, final simple
 * regret, near-duplicates (evaluations within 1e-3, Euclidean, of an earlier one in the unit
 * cube), stagnation escapes, seconds. Variants are option sets of the ask/tell loop; centred
 * objectives run as instance seed + 1 (a different shifted optimum per seed, the same for every
 * method). LLMBO_SUITE_TRACE=1 prints every evaluation to stderr (index, regret of y, regret
 * of the best so far, the point in the unit cube, and after "| ls" the lengthscales and signal
 * variance of the model that proposed it). --time-ask instead times ask+tell at n = 100,
 * d = 6 with a refit every iteration (wall seconds, and the process's CPU seconds, which other
 * tenants of a shared machine disturb less).
 *
 * usage: bench_suite [--variant NAME] [--seeds A-B] [--suite main|extra|wide] [--only SPEC]
 *        bench_suite --time-ask [--variant NAME]
 * variants: gp (the defaults), gp-hsN (the acquisition averaged over N samples of the
 * hyperparameter posterior), gp-x (exploration of a stagnant loop under a second GP, gate
 * 0.01, off by default), gp-xG-F (the same with gate G and lengthscale factor F), gp-r4 (no
 * trust region: the round-4 default), gp-r3 (nor the
 * refit of degenerate fits), gp-trW-R (trust region window W, radius R), gp-nocap (no lengthscale
 * cap), gp-nostall (no stagnation escape), gp-nogls (the sample mean throughout: the round-2
 * default), gp-glsF (the GLS mean from fraction F of the budget on), gp-noise (a fitted noise
 * variance), gp-nugget (that and the best posterior mean as the incumbent), gp-old (the loop before
 * issue 11: no duplicate guard, no escape, no output warp, the GP module's lengthscale prior),
 * gp-guard (gp-old plus guard and escape), gp-noescape, gp-warp, gp-lsS, gp-warp-lsS (tuning
 * variants of the first round, see set_variant), gp-initN (an initial design of N points
 * instead of d + 1), gp-initfF (max(d + 1, F budget) points), gp-lhsN (a Latin hypercube of N
 * points, BayesOpt's design; 0: d + 1), gp-looK, gp-loomK, gp-dupT, gp-floorF, gp-capC (round 8a,
 * see set_variant), gp-smC (a stagnant loop's prior mean C standard deviations above the data:
 * llmbo_bo_options.stall_mean, round 9), gp-fmC (the same when a proposal lies on a face the
 * incumbent is not near: face_mean, 2 by default since round 9; gp-fm0 is the loop before),
 * gp-rnF[-gG][-initN] (the ripple as noise: a refit with G (default 1; 0 = all d) lengthscales at
 * the floor redone with a fitted noise variance of at least F, llmbo_bo_options.ripple_noise,
 * round 10; optionally an initial design of N points), gp-d1 (the default with the d + 1 design
 * of the loop before the lead's check after round 10; gp-old and gp-fm0 keep d + 1 too),
 * gp-feF[-mB][-initd4] (the last round(F budget) proposals maximise the acquisition in the
 * trust region's box around the incumbent, with -mB instead minimise the lower confidence bound
 * m - sqrt(B) s there, -m0: the posterior mean: llmbo_bo_options.final_exploit, final_mean,
 * final_beta, round 11; optionally gp-initd4's design), gp-fcF[-rQ] (the same phase, a proposal
 * remade there only when it would refine another basin already found, a success among the best
 * fraction Q, default 0.2, of the values, and with W > 0 (default 10) the loop went back and
 * forth between the two within the last W evaluations: final_commit, final_rank,
 * final_window, round 12),
 * gp-initd4 (max(d + 1, min(12, 4 d, budget / 2)) design points), random
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo.h"
#include "llmbo_common.h"

typedef struct problem {
    const char *spec;
    int budget;
    int shifted; /* run as instance seed + 1 */
} problem;

static const problem suite_main[] = {{"branin", 30, 0},     {"hartmann3", 40, 0},
                                     {"hartmann6", 100, 0}, {"ackley:5", 100, 1},
                                     {"levy:4", 60, 1},     {"rosenbrock:4", 60, 1}};
/* Functions no issue names, for the overfitting check. */
static const problem suite_extra[] = {
    {"shekel5", 60, 0}, {"styblinski_tang:4", 60, 1}, {"six_hump_camel", 30, 0}};
/* A wider audit no issue names: 1 to 10 dimensions, plateaus, needles, ridges, many minima. */
static const problem suite_wide[] = {
    {"ackley:1", 20, 1},      {"levy:1", 20, 1},          {"rastrigin:1", 20, 1},
    {"schwefel:1", 20, 0},    {"michalewicz:1", 15, 0},   {"goldstein_price", 30, 1},
    {"michalewicz:2", 30, 0}, {"drop_wave", 40, 0},       {"eggholder", 40, 0},
    {"holder_table", 30, 0},  {"easom", 40, 0},           {"bukin6", 40, 0},
    {"rastrigin:2", 40, 1},   {"griewank:2", 30, 1},      {"beale", 30, 1},
    {"schwefel:2", 40, 0},    {"ackley:3", 50, 1},        {"pid", 30, 0},
    {"shekel10", 60, 0},      {"powell:4", 60, 1},        {"reaction", 40, 0},
    {"michalewicz:5", 60, 0}, {"cosine8", 80, 0},         {"ackley:10", 100, 1},
    {"levy:10", 100, 1},      {"rosenbrock:10", 100, 1},  {"styblinski_tang:10", 100, 1},
    {"zakharov:10", 100, 1},  {"dixon_price:10", 100, 0}, {"michalewicz:10", 100, 0}};

static double init_frac; /* gp-initfF: F, applied by run_one, which knows d */
static int init_d1;      /* gp-d1, gp-fm0, gp-old: the d + 1 design, applied by run_one */
static int init_d4;      /* gp-initd4: max(d + 1, min(12, 4 d, budget / 2)), applied by run_one */

static int set_variant(const char *v, llmbo_bo_options *o)
{
    if (strcmp(v, "gp") == 0)
        return 1;
    if (strcmp(v, "gp-d1") == 0) { /* the default with the design before round 10's check */
        init_d1 = 1;
        return 1;
    }
    if (strcmp(v, "gp-x") == 0) { /* exploration under a second GP, the measured setting */
        o->explore_gate = 0.01;
        return 1;
    }
    if (strncmp(v, "gp-x", 4) == 0) { /* exploration gate G, lengthscale factor F: gp-xG-F */
        char *e;
        o->explore_gate = strtod(v + 4, &e);
        if (*e == '-')
            o->explore_ls = atof(e + 1);
        return o->explore_gate > 0 && o->explore_ls > 0 && o->explore_ls <= 1;
    }
    if (strcmp(v, "gp-r4") == 0) { /* no trust region: the round-4 default */
        o->tr_window = 0;
        o->explore_gate = 0;
        return 1;
    }
    if (strcmp(v, "gp-r3") == 0) { /* no refit of degenerate fits either: the round-3 default */
        o->degen_ls = 0;
        o->tr_window = 0;
        o->explore_gate = 0;
        return 1;
    }
    if (strncmp(v, "gp-degen", 8) == 0) { /* degenerate fits refitted with the floor L */
        o->tr_window = 0;
        o->explore_gate = 0;
        o->degen_ls = atof(v + 8);
        return o->degen_ls >= LLMBO_GP_LS_MIN;
    }
    if (strncmp(v, "gp-tr", 5) == 0) { /* trust region with window W and radius R: gp-trW-R */
        char *e;
        o->tr_window = (int)strtol(v + 5, &e, 10);
        if (*e == '-')
            o->tr_radius = atof(e + 1);
        return o->tr_window > 0 && o->tr_radius > 0;
    }
    if (strncmp(v, "gp-hs", 5) == 0) { /* acquisition averaged over N hyperparameter samples */
        char *e;
        o->hyper_samples = (int)strtol(v + 5, &e, 10);
        return *e == '\0' && o->hyper_samples > 0 && o->hyper_samples <= 64;
    }
    if (strcmp(v, "gp-wsel") == 0) { /* the warp centre chosen by likelihood (y_warp 2) */
        o->y_warp = 2;
        return 1;
    }
    if (strcmp(v, "gp-wmed") == 0) { /* the median warp centre (y_warp 1) */
        o->y_warp = 1;
        return 1;
    }
    if (strcmp(v, "gp-initd4") == 0) { /* max(d + 1, min(12, 4 d, budget / 2)) design points */
        init_d4 = 1;
        return 1;
    }
    if (strncmp(v, "gp-initf", 8) == 0) { /* a design of max(d + 1, F budget) points */
        init_frac = atof(v + 8);
        return init_frac > 0 && init_frac < 1;
    }
    if (strncmp(v, "gp-lhs", 6) == 0) { /* a Latin hypercube of N points (0: d + 1): gp-lhsN */
        o->design = LLMBO_INIT_LHS;
        o->n_init = atoi(v + 6);
        return 1;
    }
    if (strncmp(v, "gp-init", 7) == 0) { /* an initial design of N points: gp-initN */
        char *e;
        o->n_init = (int)strtol(v + 7, &e, 10);
        return *e == '\0' && o->n_init > 0;
    }
    if (strcmp(v, "gp-nocap") == 0) { /* the default without the lengthscale cap */
        o->gp.ls_max = 100;
        return 1;
    }
    if (strcmp(v, "gp-nogls") == 0) { /* the sample mean throughout (round-2 default) */
        o->gls_from = 0;
        return 1;
    }
    if (strncmp(v, "gp-gls", 6) == 0) { /* the GLS mean from fraction F of the budget on */
        o->gls_from = atof(v + 6);
        return o->gls_from > 0;
    }
    if (strcmp(v, "gp-noise") == 0) { /* the default with a fitted noise variance */
        o->gp.fit_noise = 1;
        return 1;
    }
    if (strcmp(v, "gp-nugget") == 0) { /* a fitted noise variance (nugget) and the best posterior
                                          mean as EI's incumbent */
        o->gp.fit_noise = 1;
        o->noisy = 1;
        return 1;
    }
    if (strncmp(v, "gp-dup", 6) == 0) { /* the duplicate guard's tolerance T: gp-dupT */
        o->dup_tol = atof(v + 6);
        return o->dup_tol > 0 && o->dup_tol < 0.5;
    }
    if (strncmp(v, "gp-floor", 8) == 0) { /* a fixed lengthscale floor F: gp-floorF */
        o->gp.ls_min = atof(v + 8);
        return o->gp.ls_min >= LLMBO_GP_LS_MIN;
    }
    if (strncmp(v, "gp-cap", 6) == 0) { /* lengthscales capped at C box widths: gp-capC */
        o->gp.ls_max = atof(v + 6);
        return o->gp.ls_max > LLMBO_GP_LS_MIN;
    }
    if (strncmp(v, "gp-loom", 7) == 0) { /* the same, only for a half-degenerate fit */
        o->gp.loo_modes = atoi(v + 7);
        o->gp.loo_mixed_only = 1;
        return o->gp.loo_modes > 0 && o->gp.loo_modes <= 64;
    }
    if (strncmp(v, "gp-loo", 6) == 0) { /* K fit modes chosen by leave-one-out: gp-looK */
        o->gp.loo_modes = atoi(v + 6);
        return o->gp.loo_modes > 0 && o->gp.loo_modes <= 64;
    }
    if (strncmp(v, "gp-rn", 5) == 0) { /* the ripple as noise: gp-rnF[-gG][-initN] */
        char *e;
        o->ripple_noise = strtod(v + 5, &e);
        if (strncmp(e, "-g", 2) == 0)
            o->ripple_gate = (int)strtol(e + 2, &e, 10);
        if (strncmp(e, "-init", 5) == 0)
            o->n_init = (int)strtol(e + 5, &e, 10);
        return *e == '\0' && o->ripple_noise > 0 && o->ripple_noise < 1 && o->ripple_gate >= 0 &&
               o->n_init >= 0;
    }
    if (strncmp(v, "gp-fc", 5) == 0) { /* only against a second basin: gp-fcF[-rQ][-wW] */
        char *e;
        o->final_exploit = strtod(v + 5, &e);
        o->final_commit = 1;
        if (strncmp(e, "-r", 2) == 0)
            o->final_rank = strtod(e + 2, &e);
        if (strncmp(e, "-w", 2) == 0)
            o->final_window = (int)strtol(e + 2, &e, 10);
        return *e == '\0' && o->final_exploit > 0 && o->final_exploit < 1 && o->final_rank > 0 &&
               o->final_rank <= 1 && o->final_window >= 0;
    }
    if (strncmp(v, "gp-fe", 5) == 0) { /* final exploitation: gp-feF[-mB][-initd4] */
        char *e;
        o->final_exploit = strtod(v + 5, &e);
        if (strncmp(e, "-m", 2) == 0) {
            o->final_mean = 1;
            o->final_beta = strtod(e + 2, &e);
        }
        if (strcmp(e, "-initd4") == 0) {
            init_d4 = 1;
            e += 7;
        }
        return *e == '\0' && o->final_exploit > 0 && o->final_exploit < 1 && o->final_beta >= 0;
    }
    if (strncmp(v, "gp-fm", 5) == 0) { /* a bare face's pessimistic mean C: gp-fmC */
        o->face_mean = atof(v + 5);    /* gp-fm0: the loop before it became the default */
        init_d1 = o->face_mean == 0;
        return o->face_mean >= 0 && o->face_mean <= 100;
    }
    if (strncmp(v, "gp-sm", 5) == 0) { /* a stagnant loop's pessimistic mean C: gp-smC */
        o->stall_mean = atof(v + 5);
        return o->stall_mean > 0 && o->stall_mean <= 100;
    }
    if (strcmp(v, "gp-nostall") == 0) { /* the default without the stagnation escape */
        o->stall_window = 0;
        return 1;
    }
    /* The variants below keep the lengthscale bound of the loop before the cap (100) and the
     * sample mean of the loop before round 3. */
    o->gp.ls_max = 100;
    o->gls_from = 0;
    o->degen_ls = 0;
    o->tr_window = 0;
    o->explore_gate = 0;
    if (strcmp(v, "gp-old") == 0) { /* the loop before issue 11 */
        init_d1 = 1;
        o->dup_tol = 0;
        o->stall_window = 0;
        o->y_warp = 0;
        o->gp.ls_prior_shift = 0;
        return 1;
    }
    if (strcmp(v, "gp-guard") == 0) { /* issue 11's guard and escape on the old model */
        o->y_warp = 0;
        o->gp.ls_prior_shift = 0;
        return 1;
    }
    if (strcmp(v, "gp-noescape") == 0) { /* gp-guard without the escape */
        o->stall_window = 0;
        o->y_warp = 0;
        o->gp.ls_prior_shift = 0;
        return 1;
    }
    /* Tuning variants on the old model (no warp, the GP module's prior) plus the guard:
     * gp-warp, gp-lsS (log-lengthscale prior mean shifted by -ln S), gp-warp-lsS. */
    if (strcmp(v, "gp-warp") == 0) {
        o->gp.ls_prior_shift = 0;
        return 1;
    }
    if (strncmp(v, "gp-warp-ls", 10) == 0) {
        o->gp.ls_prior_shift = -log(atof(v + 10));
        return atof(v + 10) > 0;
    }
    if (strncmp(v, "gp-ls", 5) == 0) {
        double f = atof(v + 5);
        o->y_warp = 0;
        o->gp.ls_prior_shift = -log(f);
        return f > 0;
    }
    if (strcmp(v, "random") == 0) {
        o->strategy = LLMBO_STRATEGY_RANDOM;
        return 1;
    }
    return 0;
}

static int near_dups(const double *U, int n, int d)
{
    int c = 0;
    for (int i = 1; i < n; i++) {
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
    }
    return c;
}

/* One run; prints its CSV line. time_from >= 0: also returns the mean wall and process CPU
 * seconds of the asks and tells from that evaluation on in *t_iter and *c_iter. */
static int run_one(const char *variant, const problem *pb, long seed, int time_from, double *t_iter,
                   double *c_iter)
{
    char spec[96];
    if (pb->shifted)
        snprintf(spec, sizeof spec, "%s#%ld", pb->spec, seed + 1);
    else
        snprintf(spec, sizeof spec, "%s", pb->spec);
    llmbo_objective *obj = NULL;
    llmbo_error err;
    if (llmbo_objective_create(spec, &obj, &err) != LLMBO_OK) {
        fprintf(stderr, "%s: %s\n", spec, err.msg);
        return 1;
    }
    int d = llmbo_objective_dim(obj);
    const llmbo_space *sp = llmbo_objective_space(obj);
    double opt = 0;
    llmbo_objective_optimal_value(obj, &opt);
    llmbo_bo_options o;
    llmbo_bo_options_default(&o);
    o.budget = pb->budget;
    o.seed = (uint64_t)seed;
    o.maximize = llmbo_objective_maximize(obj);
    set_variant(variant, &o);
    if (init_frac > 0 && (int)(init_frac * o.budget) > d + 1)
        o.n_init = (int)(init_frac * o.budget);
    if (init_d1 && o.n_init == 0)
        o.n_init = d + 1 < 2 ? 2 : d + 1;
    if (init_d4 && o.n_init == 0) {
        int m = 4 * d < 12 ? 4 * d : 12;
        m = m < o.budget / 2 ? m : o.budget / 2;
        o.n_init = m > d + 1 ? m : d + 1;
    }
    llmbo_bo *bo = NULL;
    double t0 = llmbo_now(), ti = 0, ci = 0;
    if (llmbo_bo_create(sp, &o, &bo, &err) != LLMBO_OK) {
        fprintf(stderr, "bo_create: %s\n", err.msg);
        llmbo_objective_free(obj);
        return 1;
    }
    double *x = malloc(sizeof(double) * (size_t)d);
    double *U = malloc(sizeof(double) * (size_t)d * (size_t)pb->budget);
    int rc = 0;
    for (int i = 0; i < pb->budget; i++) {
        int64_t id;
        double y, t1 = llmbo_now(), c1 = llmbo_cpu_seconds();
        if (llmbo_bo_ask(bo, 1, &id, x, NULL, &err) != LLMBO_OK) {
            fprintf(stderr, "%s seed %ld: ask: %s\n", spec, seed, err.msg);
            rc = 1;
            break;
        }
        int failed = llmbo_objective_eval(obj, x, &y, &err) != LLMBO_OK;
        llmbo_bo_tell(bo, id, y, failed, &err);
        if (time_from >= 0 && i >= time_from) {
            ti += llmbo_now() - t1;
            ci += llmbo_cpu_seconds() - c1;
        }
        llmbo_space_to_unit(sp, x, U + (size_t)i * d);
        if (getenv("LLMBO_SUITE_TRACE")) {
            double b = NAN;
            llmbo_bo_best(bo, NULL, &b, NULL);
            fprintf(stderr, "%d %.6g %.6g", i, y - opt, b - opt);
            for (int j = 0; j < d; j++)
                fprintf(stderr, " %.3f", U[(size_t)i * d + j]);
            double th[66];
            if (d <= 64 && llmbo_bo_theta(bo, id, th) == 1) {
                fprintf(stderr, " | ls");
                for (int j = 0; j < d; j++)
                    fprintf(stderr, " %.3g", exp(th[j]));
                fprintf(stderr, " sf2 %.3g", exp(th[d]));
            }
            fprintf(stderr, "\n");
        }
    }
    double best = NAN;
    llmbo_bo_best(bo, NULL, &best, NULL);
    llmbo_bo_stats stats;
    llmbo_bo_get_stats(bo, &stats);
    if (!rc)
        printf("llmbo-%s,%s,%d,%ld,%.6g,%d,%ld,%.3f\n", variant, pb->spec, pb->budget, seed,
               fabs(best - opt), near_dups(U, pb->budget, d), stats.escapes, llmbo_now() - t0);
    fflush(stdout);
    if (getenv("LLMBO_SUITE_DEGEN"))
        fprintf(stderr,
                "%s seed %ld: %ld degenerate refits, %ld trust-region proposals, %ld explorations, "
                "%ld pessimistic, %ld ripple fits\n",
                spec, seed, stats.degenerate, stats.trust, stats.explore, stats.pessimism,
                stats.ripple);
    if (t_iter && c_iter && time_from >= 0) {
        *t_iter = ti / (pb->budget - time_from);
        *c_iter = ci / (pb->budget - time_from);
    }
    free(x);
    free(U);
    llmbo_bo_free(bo);
    llmbo_objective_free(obj);
    return rc;
}

int main(int argc, char **argv)
{
    const char *variant = "gp", *only = NULL;
    long s0 = 0, s1 = 19;
    int extra = 0, time_ask = 0, list = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc)
            variant = argv[++i];
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%ld-%ld", &s0, &s1) == 2)
            i++;
        else if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc &&
                 (extra = !strcmp(argv[i + 1], "main")    ? 0
                          : !strcmp(argv[i + 1], "extra") ? 1
                          : !strcmp(argv[i + 1], "wide")  ? 2
                                                          : -1) >= 0)
            i++;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--time-ask") == 0)
            time_ask = 1;
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else {
            fprintf(stderr, "usage: bench_suite [--variant gp|gp-old|gp-guard|...|random] "
                            "[--seeds A-B] [--suite main|extra|wide] [--only SPEC] [--time-ask] "
                            "[--list]\n");
            return 2;
        }
    }
    llmbo_bo_options probe;
    llmbo_bo_options_default(&probe);
    if (!set_variant(variant, &probe)) {
        fprintf(stderr, "bench_suite: unknown variant %s\n", variant);
        return 2;
    }
    llmbo_init();
    if (time_ask) {
        /* Seconds per ask+tell over evaluations 90..99 of hartmann6@100 (n = 90..99 successes,
         * d = 6, refit every iteration), five seeds. */
        problem pb = {"hartmann6", 100, 0};
        double sum = 0, csum = 0;
        for (long s = 0; s < 5; s++) {
            double t = 0, c = 0;
            if (run_one(variant, &pb, s, 90, &t, &c))
                return 1;
            sum += t;
            csum += c;
        }
        printf("seconds per iteration at n = 90..99, d = 6: %.4f (process CPU %.4f)\n", sum / 5,
               csum / 5);
        return 0;
    }
    const problem *ps = extra == 2 ? suite_wide : extra ? suite_extra : suite_main;
    int np = extra == 2 ? (int)(sizeof suite_wide / sizeof *suite_wide)
             : extra    ? (int)(sizeof suite_extra / sizeof *suite_extra)
                        : (int)(sizeof suite_main / sizeof *suite_main);
    int rc = 0;
    for (int k = 0; k < np; k++) {
        if (only && strcmp(only, ps[k].spec) != 0)
            continue;
        if (list) { /* the suite for the peers' drivers (perf/run_suite.sh): spec budget shifted */
            printf("%s %d %d\n", ps[k].spec, ps[k].budget, ps[k].shifted);
            continue;
        }
        for (long s = s0; s <= s1; s++)
            rc |= run_one(variant, &ps[k], s, -1, NULL, NULL);
    }
    return rc;
}
