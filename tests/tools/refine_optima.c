/* refine_optima.c: the throwaway program that refined the published, rounded optima of the
 * built-in objectives to full double precision; its output was pasted into objectives/builtin.c.
 * Multi-dimensional optima: NLopt LN_BOBYQA (xtol_rel 1e-15) started at the published point,
 * within the bounds. One-dimensional ones (Michalewicz per coordinate, Schwefel, Styblinski-Tang):
 * a dense grid then GSL's Brent minimiser to 1e-15. Not part of the build; run it with
 *   cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Icommon -Iobjectives \
 *      tests/tools/refine_optima.c -Lbuild -l:libllmbo.a -lnlopt -lgsl -lopenblas -lcjson \
 *      -lcurl -lm -o /tmp/refine && /tmp/refine */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_min.h>
#include <nlopt.h>
#include "objective_impl.h"

#define PI 3.14159265358979323846

static const llmbo_objective_def *cur;

static double nl_f(unsigned n, const double *x, double *grad, void *data)
{
    (void)grad;
    (void)data;
    return cur->f(x, (int)n);
}

static void refine(const char *name, const double *x0, int d)
{
    llmbo_objective *obj = NULL;
    llmbo_error err;
    if (llmbo_objective_create(name, &obj, &err) != LLMBO_OK) {
        printf("%s: %s\n", name, err.msg);
        return;
    }
    cur = llmbo_objective_def_find(name);
    const llmbo_space *sp = llmbo_objective_space(obj);
    double lo[16], hi[16], x[16], f;
    for (int i = 0; i < d; i++) {
        lo[i] = llmbo_space_param(sp, i)->lo;
        hi[i] = llmbo_space_param(sp, i)->hi;
        x[i] = x0[i];
    }
    for (int pass = 0; pass < 3; pass++) {
        nlopt_opt o = nlopt_create(pass == 1 ? NLOPT_LN_NELDERMEAD : NLOPT_LN_BOBYQA, (unsigned)d);
        nlopt_set_lower_bounds(o, lo);
        nlopt_set_upper_bounds(o, hi);
        nlopt_set_min_objective(o, nl_f, NULL);
        nlopt_set_xtol_rel(o, 1e-15);
        nlopt_set_maxeval(o, 200000);
        double step[16];
        for (int i = 0; i < d; i++)
            step[i] = 1e-4 * (hi[i] - lo[i]);
        nlopt_set_initial_step(o, step);
        nlopt_optimize(o, x, &f);
        nlopt_destroy(o);
    }
    printf("%-16s x = {", name);
    for (int i = 0; i < d; i++)
        printf("%s%.17g", i ? ", " : "", x[i]);
    printf("}  f = %.17g\n", cur->f(x, d));
    llmbo_objective_free(obj);
}

typedef struct oned {
    double (*g)(double t, int i);
    int i;
} oned;

static double gsl_g(double t, void *p)
{
    const oned *o = p;
    return o->g(t, o->i);
}

static double brent_min(double (*g)(double, int), int i, double a, double b, double *fmin)
{
    int n = 200001, best = 0;
    double fb = INFINITY;
    for (int k = 0; k < n; k++) {
        double v = g(a + (b - a) * k / (n - 1), i);
        if (v < fb)
            fb = v, best = k;
    }
    double h = (b - a) / (n - 1), m = a + h * best;
    double l = best > 0 ? m - h : a, u = best < n - 1 ? m + h : b;
    oned od = {g, i};
    gsl_function F = {gsl_g, &od};
    gsl_min_fminimizer *s = gsl_min_fminimizer_alloc(gsl_min_fminimizer_brent);
    if (g(m, i) >= g(l, i) || g(m, i) >= g(u, i)) {
        *fmin = g(m, i);
        gsl_min_fminimizer_free(s);
        return m; /* on the boundary */
    }
    gsl_min_fminimizer_set(s, &F, m, l, u);
    for (int it = 0; it < 200; it++) {
        gsl_min_fminimizer_iterate(s);
        if (gsl_min_test_interval(gsl_min_fminimizer_x_lower(s), gsl_min_fminimizer_x_upper(s),
                                  1e-15, 0) == GSL_SUCCESS)
            break;
    }
    double x = gsl_min_fminimizer_x_minimum(s);
    *fmin = gsl_min_fminimizer_f_minimum(s);
    gsl_min_fminimizer_free(s);
    return x;
}

static double mich(double t, int i)
{
    return -sin(t) * pow(sin(i * t * t / PI), 20);
}

static double schw(double t, int i)
{
    (void)i;
    return -t * sin(sqrt(fabs(t)));
}

static double styb(double t, int i)
{
    (void)i;
    return 0.5 * (pow(t, 4) - 16 * t * t + 5 * t);
}

int main(void)
{
    gsl_set_error_handler_off();
    refine("hartmann3", (const double[]){0.114614, 0.555649, 0.852547}, 3);
    refine("hartmann6", (const double[]){0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573},
           6);
    refine("six_hump_camel", (const double[]){0.0898, -0.7126}, 2);
    refine("six_hump_camel", (const double[]){-0.0898, 0.7126}, 2);
    refine("shekel5", (const double[]){4, 4, 4, 4}, 4);
    refine("shekel7", (const double[]){4, 4, 4, 4}, 4);
    refine("shekel10", (const double[]){4, 4, 4, 4}, 4);
    refine("eggholder", (const double[]){512, 404.2319}, 2);
    refine("holder_table", (const double[]){8.05502, 9.66459}, 2);
    refine("holder_table", (const double[]){-8.05502, -9.66459}, 2);
    refine("holder_table", (const double[]){-8.05502, 9.66459}, 2);
    refine("holder_table", (const double[]){8.05502, -9.66459}, 2);
    double f, sum = 0;
    for (int i = 1; i <= 10; i++) {
        double x = brent_min(mich, i, 0, PI, &f);
        sum += f;
        printf("michalewicz i=%d x = %.17g  g = %.17g  sum = %.17g\n", i, x, f, sum);
    }
    double xs = brent_min(schw, 0, 400, 450, &f);
    printf("schwefel x = %.17g  max t sin(sqrt t) = %.17g\n", xs, -f);
    double xt = brent_min(styb, 0, -5, 0, &f);
    printf("styblinski_tang x = %.17g  f = %.17g\n", xt, f);
    return 0;
}
