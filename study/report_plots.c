/* report_plots.c: the report's SVG plots (regret curves with IQR bands, regret against
 * cumulative advisor cost, cost/regret Pareto fronts per objective and overall; for one run: the
 * best so far with every evaluation, and the parameters against the evaluation) and their
 * optional PNG copies. A new plot is one function here, called from llmbo_report_write_plots
 * (or llmbo_report_run_generate). */
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

void llmbo_report_png(const char *dir, const char *svgname)
{
    /* rsvg-convert (Debian's librsvg2-bin), when installed, gives PNG copies. */
    static int have = -1;
    if (have < 0)
        have = system("command -v rsvg-convert >/dev/null 2>&1") == 0;
    if (!have)
        return;
    char cmd[8192];
    size_t n = strlen(svgname);
    snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s/%.*s.png' '%s/%s' >/dev/null 2>&1", dir,
             (int)(n - 4), svgname, dir, svgname);
    if (strchr(dir, '\'') == NULL && system(cmd) != 0)
        have = 0;
}

static void maybe_png(const report *R, const char *svgname)
{
    llmbo_report_png(R->dir, svgname);
}

const char *llmbo_report_cum_label(int kind)
{
    return kind == CUM_DOLLARS  ? "dollars"
           : kind == CUM_TOKENS ? "tokens (prompt + completion)"
                                : "CPU seconds";
}

/* The median over complete runs of group (o, s) of the cumulative cost of kind k after each of
 * the group's len evaluations (a shorter run keeps its last value) into med (len). Returns the
 * group's largest median. */
static double median_cost(report *R, int o, int s, int k, double *med, double *tmp)
{
    const llmbo_bench *b = R->bench;
    group *g = grp(R, o, s);
    double top = 0.0;
    for (int i = 0; i < g->len; i++) {
        int m = 0;
        for (int r = 0; r < b->n_seed; r++) {
            const run_data *d = &R->runs[(o * b->n_strat + s) * b->n_seed + r];
            if (d->complete && d->n > 0)
                tmp[m++] = d->cum[k][i < d->n ? i : d->n - 1];
        }
        llmbo_sort_doubles(tmp, m);
        med[i] = llmbo_quantile_sorted(tmp, m, 0.5);
        if (med[i] > top)
            top = med[i];
    }
    return top;
}

int llmbo_report_has_cost(report *R, int o)
{
    if (R->cum_kind < 0)
        return 0;
    const llmbo_bench *b = R->bench;
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            const run_data *d = &R->runs[(o * b->n_strat + s) * b->n_seed + r];
            if (d->complete && d->n > 0 && d->cum[R->cum_kind][d->n - 1] > 0)
                return 1;
        }
    return 0;
}

/* Regret (or gap) against the advisor's cumulative cost: per strategy, the median regret after
 * i evaluations against the median cost of those i evaluations. Strategies without a cost are
 * horizontal lines at their final median. Identical curves stay visible: the first strategy's
 * line is the widest and each later one narrower, drawn on top with its own dash pattern and
 * markers at staggered evaluations; every curve is named by a label at its end, placed where it
 * overlaps no other label. */
static llmbo_status plot_cost(report *R, int o, llmbo_error *err)
{
    static const char *const dashes[] = {NULL, "9 4", "3 3", "12 3 3 3", "1 3", "6 2 1 2"};
    const llmbo_bench *b = R->bench;
    int S = b->n_strat, k = R->cum_kind, len = 0;
    for (int s = 0; s < S; s++)
        len = grp(R, o, s)->len > len ? grp(R, o, s)->len : len;
    if (!llmbo_report_has_cost(R, o) || len == 0)
        return LLMBO_OK;
    double *cost = llmbo_malloc((size_t)S * (size_t)len, sizeof(double));
    double *tmp = llmbo_malloc((size_t)b->n_seed + 1, sizeof(double));
    double *y = llmbo_malloc((size_t)len + 2, sizeof(double));
    double *top = llmbo_malloc((size_t)S, sizeof(double));
    llmbo_plot *p = NULL;
    llmbo_status st = LLMBO_OK;
    if (!cost || !tmp || !y || !top) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
        goto done;
    }
    double xhi = 0, lo = INFINITY, hi = -INFINITY;
    int n_costed = 0;
    for (int s = 0; s < S; s++) {
        group *g = grp(R, o, s);
        top[s] = median_cost(R, o, s, k, cost + (size_t)s * len, tmp);
        xhi = fmax(xhi, top[s]);
        n_costed += top[s] > 0;
        for (int i = 0; i < g->len; i++)
            if (isfinite(g->med[i]) && g->med[i] > 0) {
                lo = fmin(lo, g->med[i]);
                hi = fmax(hi, g->med[i]);
            }
    }
    if (!isfinite(lo)) {
        lo = 1e-12;
        hi = 1.0;
    }
    const char *what = R->oi[o].regret_known ? "regret" : "gap";
    char title[512], xlabel[128], ylabel[64], path[4096];
    snprintf(title, sizeof title, "%s: median %s against median advisor cost (%d seeds)",
             b->obj[o].name, what, b->n_seed);
    snprintf(xlabel, sizeof xlabel, "cumulative advisor cost per run (%s)",
             llmbo_report_cum_label(k));
    snprintf(ylabel, sizeof ylabel, "median %s", R->oi[o].regret_known ? "simple regret" : "gap");
    /* Room on the right for the end labels. */
    p = llmbo_plot_create(760, 480, title, xlabel, ylabel, 0.0, xhi * 1.3, 0, lo, hi, 1);
    if (!p) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
        goto done;
    }
    double floor_v = pow(10.0, floor(log10(lo) + 1e-9));
    int c = 0; /* rank among the strategies with a cost */
    for (int s = 0; s < S; s++) {
        group *g = grp(R, o, s);
        if (g->len == 0)
            continue;
        const char *color = llmbo_plot_color(s);
        char label[160];
        if (!(top[s] > 0)) {
            double fx[2] = {0.0, xhi * 1.3}, fy[2] = {fmax(g->final_med, floor_v), 0};
            fy[1] = fy[0];
            llmbo_plot_line(p, fx, fy, 2, color, 1.5, "2 4");
            snprintf(label, sizeof label, "%s (no advisor cost)", b->strat[s].name);
            llmbo_plot_label(p, xhi * 1.3, fy[0], label, color);
            llmbo_plot_legend(p, label, color, -1, "2 4");
            continue;
        }
        double w = 2.0 + 1.6 * (double)(n_costed - 1 - c);
        const char *dash = dashes[c % (int)(sizeof dashes / sizeof dashes[0])];
        const double *cx = cost + (size_t)s * len;
        for (int i = 0; i < g->len; i++)
            y[i] = fmax(g->med[i], floor_v);
        llmbo_plot_line(p, cx, y, g->len, color, w, dash);
        /* Markers at staggered evaluations: about six per curve, shifted per strategy. */
        int every = g->len / 6 > 1 ? g->len / 6 : 1;
        for (int i = (c * every) / (n_costed > 0 ? n_costed : 1); i < g->len; i += every)
            llmbo_plot_marker(p, cx[i], y[i], c % 4, color, 1, NULL);
        llmbo_plot_label(p, cx[g->len - 1], y[g->len - 1], b->strat[s].name, color);
        llmbo_plot_legend(p, b->strat[s].name, color, c % 4, dash ? dash : "");
        c++;
    }
    /* regret falls as cost grows: the bottom-left corner is the emptiest */
    llmbo_plot_legend_corner(p, 1);
    snprintf(path, sizeof path, "%s/cost-%s.svg", R->dir, b->obj[o].dir);
    st = llmbo_plot_write(p, path, err);
done:
    llmbo_plot_free(p);
    llmbo_free(cost);
    llmbo_free(tmp);
    llmbo_free(y);
    llmbo_free(top);
    return st;
}

/* ---- one run ---------------------------------------------------------------------------- */

/* Marker shape of an evaluation's source (init, gp, llm, random). */
static int source_marker(int src)
{
    return src >= 0 && src < 4 ? src : 0;
}

static const char *const source_names[4] = {"init", "gp", "llm", "random"};

/* Every evaluation's value (markers by source) and the best so far (a line). */
llmbo_status llmbo_report_plot_run_best(const char *dir, const run_view *v, llmbo_error *err)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < v->n; i++)
        if (isfinite(v->y[i])) {
            lo = fmin(lo, v->y[i]);
            hi = fmax(hi, v->y[i]);
        }
    if (!isfinite(lo)) {
        lo = 0;
        hi = 1;
    }
    /* A log axis when the values are positive and span more than three decades. */
    int ylog = lo > 0 && hi / lo > 1e3;
    if (!ylog) {
        double pad = 0.05 * (hi - lo) + 1e-12;
        lo -= pad;
        hi += pad;
    }
    char title[512], path[4096];
    snprintf(title, sizeof title, "%s: every evaluation and the best so far",
             v->objective[0] ? v->objective : "run");
    llmbo_plot *p = llmbo_plot_create(760, 480, title, "evaluation", "objective value", 0.5,
                                      v->n + 0.5, 0, lo, hi, ylog);
    double *x = llmbo_malloc((size_t)v->n + 1, sizeof(double));
    if (!p || !x) {
        llmbo_plot_free(p);
        llmbo_free(x);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
    }
    int seen[4] = {0, 0, 0, 0};
    for (int i = 0; i < v->n; i++) {
        x[i] = i + 1;
        int m = source_marker(v->source[i]);
        seen[m] = 1;
        llmbo_plot_marker(p, x[i], v->y[i], m, llmbo_plot_color(m), i == v->best_i, NULL);
    }
    /* The best so far is a staircase: it holds until an evaluation improves it. */
    double *sx = llmbo_malloc(2 * (size_t)v->n + 1, sizeof(double));
    double *sy = llmbo_malloc(2 * (size_t)v->n + 1, sizeof(double));
    if (!sx || !sy) {
        llmbo_free(sx);
        llmbo_free(sy);
        llmbo_plot_free(p);
        llmbo_free(x);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
    }
    int ns = 0;
    for (int i = 0; i < v->n; i++) {
        if (ns > 0 && isfinite(sy[ns - 1])) {
            sx[ns] = x[i];
            sy[ns] = sy[ns - 1];
            ns++;
        }
        sx[ns] = x[i];
        sy[ns++] = v->best[i];
    }
    llmbo_plot_line(p, sx, sy, ns, "#222222", 2.0, NULL);
    llmbo_free(sx);
    llmbo_free(sy);
    if (v->best_i >= 0) {
        char label[96];
        snprintf(label, sizeof label, "best %.6g", v->y[v->best_i]);
        llmbo_plot_label(p, x[v->best_i], v->y[v->best_i], label, "#222222");
    }
    llmbo_plot_legend(p, "best so far", "#222222", -1, NULL);
    for (int m = 0; m < 4; m++)
        if (seen[m])
            llmbo_plot_legend(p, source_names[m], llmbo_plot_color(m), m, NULL);
    llmbo_plot_legend_corner(p, v->maximize ? 3 : 0);
    snprintf(path, sizeof path, "%s/best.svg", dir);
    llmbo_status st = llmbo_plot_write(p, path, err);
    llmbo_plot_free(p);
    llmbo_free(x);
    return st;
}

/* One panel per parameter: its value at each evaluation (markers by source, the best one
 * filled and labelled), on the space's bounds (log scale for log parameters, the choice index
 * for categoricals). */
llmbo_status llmbo_report_plot_run_params(const char *dir, const run_view *v, llmbo_error *err)
{
    llmbo_plot **panels = llmbo_calloc((size_t)v->d, sizeof *panels);
    llmbo_status st = LLMBO_OK;
    if (!panels)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
    for (int j = 0; j < v->d && st == LLMBO_OK; j++) {
        char title[256], ylabel[160];
        snprintf(title, sizeof title, "%s%s", v->names[j],
                 v->cat[j]        ? " (index of the choice)"
                 : v->logscale[j] ? " (log scale)"
                                  : "");
        snprintf(ylabel, sizeof ylabel, "%s", v->names[j]);
        double lo = v->lo[j], hi = v->hi[j];
        if (!v->logscale[j] && !v->cat[j]) {
            double pad = 0.04 * (hi - lo);
            lo -= pad;
            hi += pad;
        }
        panels[j] = llmbo_plot_create(760, 200, title, j == v->d - 1 ? "evaluation" : "", ylabel,
                                      0.5, v->n + 0.5, 0, lo, hi, v->logscale[j]);
        if (!panels[j]) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory plotting");
            break;
        }
        for (int i = 0; i < v->n; i++) {
            int m = source_marker(v->source[i]);
            llmbo_plot_marker(panels[j], i + 1, v->x[(size_t)i * v->d + j], m, llmbo_plot_color(m),
                              i == v->best_i, NULL);
        }
        if (v->best_i >= 0)
            llmbo_plot_label(panels[j], v->best_i + 1, v->x[(size_t)v->best_i * v->d + j], "best",
                             "#222222");
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/params.svg", dir);
    if (st == LLMBO_OK)
        st = llmbo_plots_write_stacked(panels, v->d, path, err);
    for (int j = 0; j < v->d; j++)
        llmbo_plot_free(panels[j]);
    llmbo_free(panels);
    return st;
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
        if (!st && llmbo_report_has_cost(R, o)) {
            st = plot_cost(R, o, err);
            snprintf(name, sizeof name, "cost-%s.svg", b->obj[o].dir);
            if (!st && opt->png)
                maybe_png(R, name);
        }
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
