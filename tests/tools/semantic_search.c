/* semantic_search.c: the dense searches behind the best known values of the semantic objectives
 * (pid, reaction, krr) recorded in objectives/semantic.c and docs/objectives.md. A grid in the
 * unit cube of each objective's space (log parameters on a log grid), then NLopt BOBYQA (xtol_rel
 * 1e-12) from the 5 best grid points. Not part of the build; run it with
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Icommon -Iobjectives \
 *      tests/tools/semantic_search.c -Lbuild -l:libllmbo.a -lnlopt -lgsl -lopenblas -lcjson \
 *      -lcurl -lm -o /tmp/semsearch && /tmp/semsearch */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <gsl/gsl_errno.h>
#include <nlopt.h>
#include "objective_impl.h"

static llmbo_objective *cur;
static double sign;

static double f_unit(unsigned n, const double *u, double *grad, void *data)
{
    (void)grad;
    (void)data;
    double x[8], y;
    llmbo_space_from_unit(llmbo_objective_space(cur), u, x);
    (void)n;
    if (llmbo_objective_eval(cur, x, &y, NULL) != LLMBO_OK)
        return 1e300;
    return sign * y;
}

typedef struct pt {
    double u[8], f;
} pt;

static int cmp(const void *a, const void *b)
{
    double fa = ((const pt *)a)->f, fb = ((const pt *)b)->f;
    return (fa > fb) - (fa < fb);
}

static void search(const char *name, int per_dim)
{
    llmbo_error err;
    llmbo_objective_create(name, &cur, &err);
    int d = llmbo_objective_dim(cur);
    sign = llmbo_objective_maximize(cur) ? -1 : 1;
    long n = 1;
    for (int i = 0; i < d; i++)
        n *= per_dim;
    pt *pts = malloc((size_t)n * sizeof *pts);
    for (long k = 0; k < n; k++) {
        long r = k;
        for (int i = 0; i < d; i++) {
            pts[k].u[i] = (r % per_dim) / (double)(per_dim - 1);
            r /= per_dim;
        }
        pts[k].f = f_unit((unsigned)d, pts[k].u, NULL, NULL);
    }
    qsort(pts, (size_t)n, sizeof *pts, cmp);
    printf("%s: grid %d^%d = %ld points, best grid value %.10g\n", name, per_dim, d, n,
           sign * pts[0].f);
    double best = INFINITY, bu[8];
    for (int s = 0; s < 5; s++) {
        double lo[8], hi[8], u[8], f;
        for (int i = 0; i < d; i++)
            lo[i] = 0, hi[i] = 1, u[i] = pts[s].u[i];
        nlopt_opt o = nlopt_create(NLOPT_LN_BOBYQA, (unsigned)d);
        nlopt_set_lower_bounds(o, lo);
        nlopt_set_upper_bounds(o, hi);
        nlopt_set_min_objective(o, f_unit, NULL);
        nlopt_set_xtol_rel(o, 1e-12);
        nlopt_set_maxeval(o, 20000);
        nlopt_optimize(o, u, &f);
        nlopt_destroy(o);
        if (f < best) {
            best = f;
            for (int i = 0; i < d; i++)
                bu[i] = u[i];
        }
    }
    double x[8];
    llmbo_space_from_unit(llmbo_objective_space(cur), bu, x);
    printf("%s: best x = {", name);
    for (int i = 0; i < d; i++)
        printf("%s%.17g", i ? ", " : "", x[i]);
    double y;
    llmbo_objective_eval(cur, x, &y, NULL);
    printf("}  value = %.17g\n", y);
    free(pts);
    llmbo_objective_free(cur);
}

int main(void)
{
    gsl_set_error_handler_off();
    search("pid", 60);
    search("reaction", 24);
    search("krr", 300);
    return 0;
}
