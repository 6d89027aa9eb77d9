/* report_plots.c: the report's SVG plots (regret curves with IQR bands, cost/regret Pareto
 * fronts per objective and overall) and their optional PNG copies. A new plot is one function
 * here, called from llmbo_report_write_plots. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "report_impl.h"
#include "svg.h"

/* Notes on a plot of objective o (o < 0: every objective) for strategies without a successful
 * evaluation, which the plot cannot show: without them a reader sees empty axes, or a front
 * without the strategy, and no reason. */
static void plot_notes(report *R, int o, llmbo_plot *p)
{
    const llmbo_bench *b = R->bench;
    char note[200];
    int n = 0, shown = 0;
    for (int s = 0; s < b->n_strat; s++) {
        int none = 0;
        for (int k = o < 0 ? 0 : o; k < (o < 0 ? b->n_obj : o + 1); k++)
            none |= grp(R, k, s)->no_success;
        if (!none)
            continue;
        if (shown < 3) {
            snprintf(note, sizeof note, "%s: no successful evaluation%s", b->strat[s].name,
                     o < 0 ? " on some objective" : " (see report.md)");
            llmbo_plot_note(p, note);
            shown++;
        }
        n++;
    }
    if (n > shown) {
        snprintf(note, sizeof note, "and %d more strategies without a successful evaluation",
                 n - shown);
        llmbo_plot_note(p, note);
    }
}

/* Regret (or best value) curves of one objective: median lines with IQR bands. */
static llmbo_status plot_regret(report *R, int o, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    const objective_info *oi = &R->oi[o];
    int S = b->n_strat, known = oi->regret_known;
    int len = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < S; s++) {
        group *g = grp(R, o, s);
        if (g->len > len)
            len = g->len;
        for (int i = 0; i < g->len && !g->no_success; i++) {
            const double *v[3] = {known ? g->q25 : g->bq25, known ? g->med : g->bmed,
                                  known ? g->q75 : g->bq75};
            for (int k = 0; k < 3; k++) {
                double x = v[k][i];
                if (!isfinite(x) || (known && !(x > 0.0)))
                    continue;
                if (x < lo)
                    lo = x;
                if (x > hi)
                    hi = x;
            }
        }
    }
    if (len == 0)
        return LLMBO_OK;
    if (!isfinite(lo)) {
        lo = known ? 1e-12 : 0.0;
        hi = known ? 1.0 : 1.0;
    }
    char title[512], path[4096];
    if (known)
        snprintf(title, sizeof title, "%s: simple regret (median, IQR over %d seeds)",
                 b->obj[o].name, b->n_seed);
    else
        snprintf(title, sizeof title, "%s: best value (median, IQR over %d seeds)", b->obj[o].name,
                 b->n_seed);
    llmbo_plot *p =
        llmbo_plot_create(760, 480, title, "evaluations", known ? "simple regret" : "best value", 1,
                          len, 0, lo, hi, known);
    double *x = llmbo_malloc((size_t)len, sizeof(double));
    double *y0 = llmbo_malloc((size_t)len, sizeof(double));
    double *y1 = llmbo_malloc((size_t)len, sizeof(double));
    double *y2 = llmbo_malloc((size_t)len, sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (!p || !x || !y0 || !y1 || !y2) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
        goto done;
    }
    /* Values below the axis floor (including a regret of exactly 0) sit on the floor. */
    double floor_v = known ? pow(10.0, floor(log10(lo) + 1e-9)) : -INFINITY;
    for (int pass = 0; pass < 2; pass++)
        for (int s = 0; s < S; s++) {
            group *g = grp(R, o, s);
            if (g->no_success)
                continue;
            const double *m = known ? g->med : g->bmed, *a = known ? g->q25 : g->bq25,
                         *c = known ? g->q75 : g->bq75;
            for (int i = 0; i < g->len; i++) {
                x[i] = i + 1;
                y0[i] = a[i] < floor_v ? floor_v : a[i];
                y1[i] = m[i] < floor_v ? floor_v : m[i];
                y2[i] = c[i] < floor_v ? floor_v : c[i];
            }
            if (pass == 0)
                llmbo_plot_band(p, x, y0, y2, g->len, llmbo_plot_color(s));
            else
                llmbo_plot_line(p, x, y1, g->len, llmbo_plot_color(s), 2.0, NULL);
        }
    plot_notes(R, o, p);
    for (int s = 0; s < S; s++) {
        char label[160];
        snprintf(label, sizeof label, "%s%s", b->strat[s].name,
                 grp(R, o, s)->no_success ? " (no successful evaluation)" : "");
        llmbo_plot_legend(p, label, llmbo_plot_color(s), -1, NULL);
    }
    /* regret curves fall from the top left: the bottom-left corner is the emptiest */
    llmbo_plot_legend_corner(p, known ? 1 : 3);
    snprintf(path, sizeof path, "%s/regret-%s.svg", R->dir, b->obj[o].dir);
    st = llmbo_plot_write(p, path, err);
done:
    llmbo_plot_free(p);
    llmbo_free(x);
    llmbo_free(y0);
    llmbo_free(y1);
    llmbo_free(y2);
    return st;
}

/* Cost versus performance scatter with the Pareto front drawn as a staircase. */
static llmbo_status plot_pareto(report *R, int o, const char *title, const char *ylabel, int ylog,
                                const double *cost, const double *perf, const int *front,
                                const char *file, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int s = 0; s < S; s++) {
        if (isfinite(cost[s])) {
            xlo = fmin(xlo, cost[s]);
            xhi = fmax(xhi, cost[s]);
        }
        if (isfinite(perf[s]) && (!ylog || perf[s] > 0.0)) {
            ylo = fmin(ylo, perf[s]);
            yhi = fmax(yhi, perf[s]);
        }
    }
    if (!isfinite(xlo)) /* nothing to place: the frame and the notes say why */
        xlo = xhi = 0.0;
    /* The cost axis is linear and starts at 0: classical strategies cost nothing. */
    if (!(xhi > 0.0))
        xhi = 1.0;
    xhi *= 1.15;
    xlo = 0.0;
    if (!isfinite(ylo)) {
        ylo = ylog ? 1e-12 : 0.0;
        yhi = 1.0;
    }
    if (!ylog) {
        double pad = 0.08 * (yhi - ylo) + 0.05;
        ylo -= pad;
        yhi += pad;
    }
    char xlabel[128], path[4096];
    snprintf(xlabel, sizeof xlabel, "advisor cost per run (%s)", R->cost_label);
    llmbo_plot *p = llmbo_plot_create(760, 480, title, xlabel, ylabel, xlo, xhi, 0, ylo, yhi, ylog);
    if (!p)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
    double floor_v = ylog ? pow(10.0, floor(log10(ylo) + 1e-9)) : -INFINITY;
    /* front points sorted by cost: staircase through them */
    int nf = 0;
    double fx[2 * 64 + 2], fy[2 * 64 + 2];
    int idx[64];
    for (int s = 0; s < S && nf < 64; s++)
        if (front[s])
            idx[nf++] = s;
    for (int i = 1; i < nf; i++)
        for (int j = i;
             j > 0 && (cost[idx[j]] < cost[idx[j - 1]] ||
                       (cost[idx[j]] == cost[idx[j - 1]] && perf[idx[j]] > perf[idx[j - 1]]));
             j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    int m = 0;
    for (int i = 0; i < nf; i++) {
        double yv = fmax(perf[idx[i]], floor_v);
        if (m > 0) {
            fx[m] = cost[idx[i]];
            fy[m] = fy[m - 1];
            m++;
        }
        fx[m] = cost[idx[i]];
        fy[m] = yv;
        m++;
    }
    if (m > 0) {
        fx[m] = xhi;
        fy[m] = fy[m - 1];
        m++;
        llmbo_plot_line(p, fx, fy, m, "#444444", 1.5, "6 4");
    }
    for (int s = 0; s < S; s++) {
        if (!isfinite(cost[s]) || isnan(perf[s]))
            continue; /* no successful evaluation: a note, not a marker on the axis */
        char label[160];
        snprintf(label, sizeof label, "%s%s", b->strat[s].name, front[s] ? " *" : "");
        llmbo_plot_marker(p, cost[s], fmax(perf[s], floor_v), s % 4, llmbo_plot_color(s), front[s],
                          label);
    }
    plot_notes(R, o, p);
    for (int s = 0; s < S; s++)
        llmbo_plot_legend(p, b->strat[s].name, llmbo_plot_color(s), s % 4, NULL);
    llmbo_plot_legend(p, "Pareto front (filled, *)", "#444444", -1, "6 4");
    snprintf(path, sizeof path, "%s/%s", R->dir, file);
    llmbo_status st = llmbo_plot_write(p, path, err);
    llmbo_plot_free(p);
    return st;
}

static void maybe_png(const report *R, const char *svgname)
{
    /* rsvg-convert (Debian's librsvg2-bin), when installed, gives PNG copies. */
    static int have = -1;
    if (have < 0)
        have = system("command -v rsvg-convert >/dev/null 2>&1") == 0;
    if (!have)
        return;
    char cmd[8192];
    size_t n = strlen(svgname);
    snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s/%.*s.png' '%s/%s' >/dev/null 2>&1", R->dir,
             (int)(n - 4), svgname, R->dir, svgname);
    if (strchr(R->dir, '\'') == NULL && system(cmd) != 0)
        have = 0;
}

llmbo_status llmbo_report_write_plots(report *R, const llmbo_report_options *opt, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    double *perf = llmbo_malloc((size_t)S, sizeof(double));
    double *cost = llmbo_malloc((size_t)S, sizeof(double));
    int *front = llmbo_malloc((size_t)S, sizeof(int));
    llmbo_status st = LLMBO_OK;
    if (!perf || !cost || !front) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    char name[1024], title[512];
    for (int o = 0; o < b->n_obj && !st; o++) {
        st = plot_regret(R, o, err);
        snprintf(name, sizeof name, "regret-%s.svg", b->obj[o].dir);
        if (!st && opt->png)
            maybe_png(R, name);
        for (int s = 0; s < S; s++) {
            perf[s] = grp(R, o, s)->final_med;
            cost[s] = grp(R, o, s)->cost_axis;
            front[s] = grp(R, o, s)->pareto;
        }
        snprintf(title, sizeof title, "%s: cost vs median final %s", b->obj[o].name,
                 R->oi[o].regret_known ? "regret" : "gap");
        snprintf(name, sizeof name, "pareto-%s.svg", b->obj[o].dir);
        if (!st)
            st = plot_pareto(R, o, title,
                             R->oi[o].regret_known ? "median final regret" : "median gap", 1, cost,
                             perf, front, name, err);
        if (!st && opt->png)
            maybe_png(R, name);
    }
    if (!st)
        st = plot_pareto(R, -1, "all objectives: cost vs average rank",
                         "average rank (lower is better)", 0, R->cost_overall, R->avg_rank,
                         R->pareto_overall, "pareto-overall.svg", err);
    if (!st && opt->png)
        maybe_png(R, "pareto-overall.svg");
done:
    llmbo_free(perf);
    llmbo_free(cost);
    llmbo_free(front);
    return st;
}
