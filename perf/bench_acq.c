/* bench_acq.c: time of one acquisition optimisation (llmbo_acq_optimize, default options)
 * against the GP size n and dimension d, for logEI and Thompson sampling. Times are process
 * CPU seconds (median of reps), which other jobs on a shared machine disturb far less than
 * wall time; run with OPENBLAS_NUM_THREADS=1 so that CPU time is also wall time. The reference
 * run in the same invocation is the sweep alone (n_starts = 0: the same pool scored, no
 * L-BFGS), so the ratio column is what the L-BFGS refinement costs on top of the scoring.
 * Usage: [LLMBO_BENCH_WALL=1] bench_acq [reps] [max_n]   (defaults 5, 500; wall clock if set).
 * bench_acq gap: how often the optimiser misses the acquisition maximum, vs n_starts and with
 * merging of L-BFGS runs on or off.
 * Prints Markdown tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "acq.h"

static double fn(const double *x, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++)
        s += sin(5.3 * x[j] + j) + 2.0 * (x[j] - 0.4) * (x[j] - 0.4);
    return s;
}

static int by_value(const void *a, const void *b, const double *y)
{
    double u = y[*(const int *)a], v = y[*(const int *)b];
    return (u > v) - (u < v);
}

/* CPU seconds, or wall seconds when LLMBO_BENCH_WALL=1 is set. */
static int use_wall;
static double clock_s(void)
{
    return use_wall ? llmbo_now() : llmbo_cpu_seconds();
}

static const double *g_y;
static int cmp_idx(const void *a, const void *b)
{
    return by_value(a, b, g_y);
}

/* Median of reps timings of one llmbo_acq_optimize call, in seconds. */
static double time_opt(llmbo_gp *gp, const llmbo_acq_params *p, llmbo_acqopt_options *o, int k,
                       int reps, int *n_out)
{
    int d = llmbo_gp_dim(gp);
    double *U = malloc(sizeof(double) * (size_t)k * d), t[64];
    llmbo_candidate *c = malloc(sizeof *c * (size_t)k);
    for (int i = 0; i < k; i++)
        c[i].u = U + (size_t)i * d;
    llmbo_error err;
    for (int r = 0; r < reps; r++) {
        o->seed = 1000 + (uint64_t)r;
        double t0 = clock_s();
        if (llmbo_acq_optimize(gp, NULL, p, o, NULL, 0, k, c, n_out, &err) != LLMBO_OK)
            fprintf(stderr, "acq_optimize: %s\n", err.msg);
        t[r] = clock_s() - t0;
    }
    for (int i = 1; i < reps; i++) /* insertion sort for the median */
        for (int j = i; j > 0 && t[j] < t[j - 1]; j--) {
            double s = t[j];
            t[j] = t[j - 1];
            t[j - 1] = s;
        }
    free(U);
    free(c);
    return t[reps / 2];
}

/* "gap" mode: how often the default optimiser misses the acquisition's maximum. logEI on a GP
 * fitted to n uniform random points of hartmann6 (20 seeds); the reference maximum comes from
 * a brute-force run in the same invocation (100000-point sweep, 64 starts, 500 evaluations
 * each, 256 perturbations of the best point, no merging). A miss is a log-EI shortfall above
 * 1e-3. Each configuration (n_starts, merging of runs on or off) runs on the same GPs. */
#define GAP_SEEDS   20
#define GAP_CONFIGS 4
static int gap_study(void)
{
    const int d = 6, ns[] = {30, 100};
    const int starts[GAP_CONFIGS] = {8, 16, 32, 32};
    const double merge[GAP_CONFIGS] = {0.05, 0.05, 0.05, 0};
    llmbo_objective *obj;
    llmbo_error err;
    if (llmbo_objective_create("hartmann6", &obj, &err) != LLMBO_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("| n | n_starts | merge | misses / %d | worst log-EI gap | median CPU ms | L-BFGS "
           "evaluations (mean) | runs merged (mean) |\n",
           GAP_SEEDS);
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int ni = 0; ni < 2; ni++) {
        int n = ns[ni], misses[GAP_CONFIGS] = {0};
        double worst[GAP_CONFIGS] = {0}, t[GAP_CONFIGS][GAP_SEEDS], evals[GAP_CONFIGS] = {0},
               merged[GAP_CONFIGS] = {0};
        for (int seed = 1; seed <= GAP_SEEDS; seed++) {
            double *X = malloc(sizeof(double) * (size_t)n * d);
            double *y = malloc(sizeof(double) * (size_t)n);
            llmbo_design(LLMBO_INIT_RANDOM, n, d, (uint64_t)seed, X, &err);
            int bi = 0;
            for (int i = 0; i < n; i++) {
                llmbo_objective_eval(obj, X + (size_t)i * d, &y[i], &err);
                bi = y[i] < y[bi] ? i : bi;
            }
            llmbo_gp *gp = llmbo_gp_create(d, NULL);
            llmbo_gp_fit(gp, X, y, n, 1, &err);
            llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, y[bi], 0, 0};
            llmbo_acqopt_options o, r;
            llmbo_acqopt_options_default(&o, d);
            o.seed = (uint64_t)seed;
            o.anchors = X + (size_t)bi * d;
            o.n_anchors = 1;
            r = o;
            r.seed = 1000 + (uint64_t)seed;
            r.n_sweep = 100000;
            r.n_starts = 64;
            r.max_eval = 500;
            r.n_local = 256;
            r.merge = 0;
            double U[6], R[6];
            llmbo_candidate c = {U, 0, 0, 0}, cr = {R, 0, 0, 0};
            int no;
            llmbo_acq_optimize(gp, NULL, &p, &r, NULL, 0, 1, &cr, &no, &err);
            for (int k = 0; k < GAP_CONFIGS; k++) {
                llmbo_acqopt_stats stats;
                o.n_starts = starts[k];
                o.merge = merge[k];
                o.stats = &stats;
                double t0 = llmbo_cpu_seconds();
                llmbo_acq_optimize(gp, NULL, &p, &o, NULL, 0, 1, &c, &no, &err);
                t[k][seed - 1] = llmbo_cpu_seconds() - t0;
                double gap = cr.acq - c.acq;
                misses[k] += gap > 1e-3;
                worst[k] = gap > worst[k] ? gap : worst[k];
                evals[k] += (double)stats.evals / GAP_SEEDS;
                merged[k] += (double)stats.merged / GAP_SEEDS;
            }
            llmbo_gp_free(gp);
            free(X);
            free(y);
        }
        for (int k = 0; k < GAP_CONFIGS; k++) {
            double *tk = t[k];
            for (int i = 1; i < GAP_SEEDS; i++)
                for (int j = i; j > 0 && tk[j] < tk[j - 1]; j--) {
                    double s = tk[j];
                    tk[j] = tk[j - 1];
                    tk[j - 1] = s;
                }
            printf("| %d | %d | %s | %d | %.3g | %.2f | %.0f | %.1f |\n", n, starts[k],
                   merge[k] > 0 ? "on" : "off", misses[k], worst[k], 1e3 * tk[GAP_SEEDS / 2],
                   evals[k], merged[k]);
        }
        fflush(stdout);
    }
    llmbo_objective_free(obj);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "gap") == 0) {
        llmbo_init();
        return gap_study();
    }
    int reps = argc > 1 ? atoi(argv[1]) : 5, max_n = argc > 2 ? atoi(argv[2]) : 500;
    if (reps < 1 || reps > 64)
        reps = 5;
    llmbo_init();
    const char *w = getenv("LLMBO_BENCH_WALL");
    use_wall = w && strcmp(w, "1") == 0;
    printf("clock: %s\n\n", use_wall ? "wall" : "process CPU");
    const int dims[] = {2, 6, 20}, ns[] = {10, 25, 50, 100, 200, 500};
    printf("| d | n | GP fit (s) | pool pts | sweep only (ms) | logEI opt (ms) | ratio | "
           "TS 512 pts (ms) | TS 1024 pts (ms) |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (int di = 0; di < 3; di++)
        for (int ni = 0; ni < 6 && ns[ni] <= max_n; ni++) {
            int d = dims[di], n = ns[ni];
            double *X = malloc(sizeof(double) * (size_t)n * d), *y = malloc(sizeof(double) * n);
            int *idx = malloc(sizeof(int) * n);
            double *anchors = malloc(sizeof(double) * 5 * (size_t)d);
            llmbo_error err;
            llmbo_design(LLMBO_INIT_SOBOL, n, d, 7, X, &err);
            for (int i = 0; i < n; i++) {
                y[i] = fn(X + (size_t)i * d, d);
                idx[i] = i;
            }
            g_y = y;
            qsort(idx, (size_t)n, sizeof *idx, cmp_idx);
            int na = n < 5 ? n : 5;
            for (int a = 0; a < na; a++)
                memcpy(anchors + (size_t)a * d, X + (size_t)idx[a] * d, sizeof(double) * d);
            llmbo_gp_options go;
            llmbo_gp_options_default(&go);
            llmbo_gp *gp = llmbo_gp_create(d, &go);
            double t0 = clock_s();
            if (llmbo_gp_fit(gp, X, y, n, 1, &err) != LLMBO_OK)
                fprintf(stderr, "fit: %s\n", err.msg);
            double tfit = clock_s() - t0;
            llmbo_acq_params p = {LLMBO_ACQUISITION_LOGEI, y[idx[0]], 0, 0};
            llmbo_acqopt_options o;
            llmbo_acqopt_options_default(&o, d);
            o.anchors = anchors;
            o.n_anchors = na;
            int n_out;
            o.n_starts = 0;
            double tsweep = time_opt(gp, &p, &o, 5, reps, &n_out);
            llmbo_acqopt_options_default(&o, d);
            o.anchors = anchors;
            o.n_anchors = na;
            double topt = time_opt(gp, &p, &o, 5, reps, &n_out);
            p.type = LLMBO_ACQUISITION_TS;
            o.ts_max_points = 512;
            double tts5 = time_opt(gp, &p, &o, 5, reps < 3 ? reps : 3, &n_out);
            o.ts_max_points = 1024;
            double tts10 = time_opt(gp, &p, &o, 5, reps < 3 ? reps : 3, &n_out);
            printf("| %d | %d | %.4f | %d | %.2f | %.2f | %.2f | %.1f | %.1f |\n", d, n, tfit,
                   o.n_sweep + na * o.n_local, 1e3 * tsweep, 1e3 * topt, topt / tsweep, 1e3 * tts5,
                   1e3 * tts10);
            fflush(stdout);
            llmbo_gp_free(gp);
            free(X);
            free(y);
            free(idx);
            free(anchors);
        }
    return 0;
}
