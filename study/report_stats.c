/* report_stats.c: the report's statistics (type-7 quantiles, average ranks, Pareto fronts, the
 * normalised log-regret AUC) and the aggregation of runs into per-(objective, strategy) groups. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "llmbo_common.h"
#include "report_impl.h"
/* ------------------------------------------------------------------------------------------ */
/* Statistics                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

void llmbo_sort_doubles(double *v, int n)
{
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, cmp_double);
}

double llmbo_quantile_sorted(const double *v, int n, double p)
{
    if (n < 1 || isnan(p))
        return NAN;
    if (p <= 0.0)
        return v[0];
    if (p >= 1.0)
        return v[n - 1];
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    double w = h - lo;
    if (w == 0.0 || lo + 1 >= n)
        return v[lo];
    if (isinf(v[lo + 1]) || isinf(v[lo]))
        return v[lo] + (v[lo + 1] > v[lo] ? INFINITY : 0.0);
    return v[lo] + w * (v[lo + 1] - v[lo]);
}

void llmbo_average_ranks(const double *v, int n, double *rank)
{
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) {
            rank[i] = NAN;
            continue;
        }
        int less = 0, equal = 0;
        for (int j = 0; j < n; j++) {
            if (isnan(v[j]))
                continue;
            less += v[j] < v[i];
            equal += v[j] == v[i];
        }
        /* ranks less+1 .. less+equal, averaged */
        rank[i] = less + (equal + 1) / 2.0;
    }
}

int llmbo_pareto_front(const double *cost, const double *perf, int n, int *on_front)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        on_front[i] = !isnan(cost[i]) && !isnan(perf[i]);
        for (int j = 0; on_front[i] && j < n; j++) {
            if (j == i || isnan(cost[j]) || isnan(perf[j]))
                continue;
            if (cost[j] <= cost[i] && perf[j] <= perf[i] &&
                (cost[j] < cost[i] || perf[j] < perf[i]))
                on_front[i] = 0;
        }
        count += on_front[i];
    }
    return count;
}

double llmbo_log_regret_auc(const double *r, int n, double r_ref)
{
    if (n < 1 || !(r_ref > 0.0) || !isfinite(r_ref))
        return NAN;
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        double t;
        if (isnan(r[i]) || isinf(r[i]))
            t = 1.0;
        else if (r[i] <= 0.0)
            t = 0.0;
        else
            t = 1.0 + log10(r[i] / r_ref) / LLMBO_AUC_DECADES;
        s += t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
    }
    return s / n;
}

static run_data *run_at(report *R, int o, int s, int r)
{
    return &R->runs[(o * R->bench->n_strat + s) * R->bench->n_seed + r];
}

static double cost_of(const report *R, const double *cost)
{
    switch (R->cost_kind) {
    case LLMBO_COST_TOKENS:
        return cost[C_PROMPT] + cost[C_COMPLETION];
    case LLMBO_COST_CALLS:
        return cost[C_CALLS];
    default:
        return cost[C_DOLLARS];
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Aggregation                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static void objective_prepare(report *R, int o)
{
    const llmbo_bench *b = R->bench;
    objective_info *oi = &R->oi[o];
    oi->optimal_value = NAN;
    oi->best_all = NAN;
    oi->r_ref = NAN;
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            if (!d->complete)
                continue;
            oi->regret_known |= d->regret_known;
            oi->maximize |= d->maximize;
            if (!isnan(d->optimal_value))
                oi->optimal_value = d->optimal_value;
        }
    /* Best value over every complete run: the reference of the gap when the optimum is unknown. */
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            if (!d->complete || d->n == 0 || isnan(d->best[d->n - 1]))
                continue;
            double v = d->best[d->n - 1];
            if (isnan(oi->best_all) || (oi->maximize ? v > oi->best_all : v < oi->best_all))
                oi->best_all = v;
        }
    for (int s = 0; s < b->n_strat; s++)
        for (int r = 0; r < b->n_seed; r++) {
            run_data *d = run_at(R, o, s, r);
            for (int i = 0; i < d->n; i++)
                d->metric[i] = oi->regret_known ? d->regret[i] : fabs(d->best[i] - oi->best_all);
            if (!d->complete)
                continue;
            /* reference: the worst metric after the first successful evaluation */
            for (int i = 0; i < d->n; i++) {
                if (isnan(d->metric[i]))
                    continue;
                if (isnan(oi->r_ref) || d->metric[i] > oi->r_ref)
                    oi->r_ref = d->metric[i];
                break;
            }
        }
}

static llmbo_status group_compute(report *R, int o, int s, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    group *g = grp(R, o, s);
    int nr = b->n_seed;
    double *fin = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *auc = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *bst = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *col = llmbo_malloc((size_t)nr + 1, sizeof(double));
    double *bcol = llmbo_malloc((size_t)nr + 1, sizeof(double));
    llmbo_status st = LLMBO_OK;
    if (!fin || !auc || !bst || !col || !bcol) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    int k = 0;
    g->best_y = NAN;
    for (int r = 0; r < nr; r++) {
        run_data *d = run_at(R, o, s, r);
        if (!d->present && !d->complete) {
            g->missing++;
            continue;
        }
        if (!d->complete) {
            g->incomplete++;
            continue;
        }
        g->runs++;
        if (d->n > g->len)
            g->len = d->n;
        double f = d->n ? d->metric[d->n - 1] : NAN;
        fin[k] = isnan(f) ? INFINITY : f;
        auc[k] = llmbo_log_regret_auc(d->metric, d->n, R->oi[o].r_ref);
        bst[k] = d->n ? d->best[d->n - 1] : NAN;
        for (int c = 0; c < N_COST; c++)
            g->cost[c] += d->cost[c];
        for (int c = 0; c < N_TIME; c++)
            g->timing[c] += d->timing[c];
        g->obj_seconds += d->obj_seconds;
        g->wall_seconds += d->wall_seconds;
        g->evals += d->n;
        g->failed += (double)d->failed;
        g->ok_runs += d->n > d->failed;
        if (!isnan(d->best_y) &&
            (isnan(g->best_y) || (d->maximize ? d->best_y > g->best_y : d->best_y < g->best_y))) {
            g->best_y = d->best_y;
            g->best_seed = b->seeds[r];
            g->best_x = d->best_x;
        }
        k++;
    }
    g->final_med = g->final_q25 = g->final_q75 = NAN;
    g->auc_med = g->auc_q25 = g->auc_q75 = g->best_med = NAN;
    g->rank = NAN;
    /* Runs that never evaluated successfully have no regret to compare: such a strategy is left
     * out of the statistics, ranks and fronts, and the report says so loudly. */
    g->no_success = k > 0 && g->ok_runs == 0;
    if (k > 0) {
        for (int c = 0; c < N_COST; c++)
            g->cost[c] /= k;
        for (int c = 0; c < N_TIME; c++)
            g->timing[c] /= k;
        g->obj_seconds /= k;
        g->wall_seconds /= k;
        g->evals /= k;
        g->failed /= k;
    }
    if (k > 0 && !g->no_success) {
        llmbo_sort_doubles(fin, k);
        llmbo_sort_doubles(auc, k);
        g->final_med = llmbo_quantile_sorted(fin, k, 0.5);
        g->final_q25 = llmbo_quantile_sorted(fin, k, 0.25);
        g->final_q75 = llmbo_quantile_sorted(fin, k, 0.75);
        g->auc_med = llmbo_quantile_sorted(auc, k, 0.5);
        g->auc_q25 = llmbo_quantile_sorted(auc, k, 0.25);
        g->auc_q75 = llmbo_quantile_sorted(auc, k, 0.75);
        int kb = 0;
        for (int i = 0; i < k; i++)
            if (!isnan(bst[i]))
                bst[kb++] = bst[i];
        llmbo_sort_doubles(bst, kb);
        g->best_med = llmbo_quantile_sorted(bst, kb, 0.5);
    }
    g->cost_axis = k > 0 && !g->no_success ? cost_of(R, g->cost) : NAN;
    if (g->len > 0) {
        size_t L = (size_t)g->len;
        g->med = llmbo_malloc(L, sizeof(double));
        g->q25 = llmbo_malloc(L, sizeof(double));
        g->q75 = llmbo_malloc(L, sizeof(double));
        g->bmed = llmbo_malloc(L, sizeof(double));
        g->bq25 = llmbo_malloc(L, sizeof(double));
        g->bq75 = llmbo_malloc(L, sizeof(double));
        if (!g->med || !g->q25 || !g->q75 || !g->bmed || !g->bq25 || !g->bq75) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
            goto done;
        }
        for (int i = 0; i < g->len; i++) {
            int m = 0, mb = 0;
            for (int r = 0; r < nr; r++) {
                run_data *d = run_at(R, o, s, r);
                if (!d->complete || d->n <= i)
                    continue;
                col[m++] = isnan(d->metric[i]) ? INFINITY : d->metric[i];
                if (!isnan(d->best[i]))
                    bcol[mb++] = d->best[i];
            }
            llmbo_sort_doubles(col, m);
            llmbo_sort_doubles(bcol, mb);
            g->med[i] = llmbo_quantile_sorted(col, m, 0.5);
            g->q25[i] = llmbo_quantile_sorted(col, m, 0.25);
            g->q75[i] = llmbo_quantile_sorted(col, m, 0.75);
            g->bmed[i] = llmbo_quantile_sorted(bcol, mb, 0.5);
            g->bq25[i] = llmbo_quantile_sorted(bcol, mb, 0.25);
            g->bq75[i] = llmbo_quantile_sorted(bcol, mb, 0.75);
        }
    }
done:
    llmbo_free(fin);
    llmbo_free(auc);
    llmbo_free(bst);
    llmbo_free(col);
    llmbo_free(bcol);
    return st;
}

llmbo_status llmbo_report_aggregate(report *R, llmbo_error *err)
{
    const llmbo_bench *b = R->bench;
    int S = b->n_strat;
    for (int o = 0; o < b->n_obj; o++) {
        objective_prepare(R, o);
        for (int s = 0; s < S; s++) {
            llmbo_status st = group_compute(R, o, s, err);
            if (st)
                return st;
        }
    }
    double *v = llmbo_malloc((size_t)S, sizeof(double));
    double *c = llmbo_malloc((size_t)S, sizeof(double));
    double *rk = llmbo_malloc((size_t)S, sizeof(double));
    int *front = llmbo_malloc((size_t)S, sizeof(int));
    int *nrank = llmbo_calloc((size_t)S, sizeof(int));
    int *ncost = llmbo_calloc((size_t)S, sizeof(int));
    if (!v || !c || !rk || !front || !nrank || !ncost) {
        llmbo_free(v);
        llmbo_free(c);
        llmbo_free(rk);
        llmbo_free(front);
        llmbo_free(nrank);
        llmbo_free(ncost);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "report: out of memory");
    }
    for (int s = 0; s < S; s++)
        R->avg_rank[s] = R->mean_auc[s] = R->cost_overall[s] = 0.0;
    for (int o = 0; o < b->n_obj; o++) {
        for (int s = 0; s < S; s++) {
            v[s] = grp(R, o, s)->final_med;
            c[s] = grp(R, o, s)->cost_axis;
        }
        llmbo_average_ranks(v, S, rk);
        llmbo_pareto_front(c, v, S, front);
        for (int s = 0; s < S; s++) {
            group *g = grp(R, o, s);
            g->rank = rk[s];
            g->pareto = front[s];
            if (!isnan(rk[s])) {
                R->avg_rank[s] += rk[s];
                R->mean_auc[s] += g->auc_med;
                nrank[s]++;
            }
            if (!isnan(c[s])) {
                R->cost_overall[s] += c[s];
                ncost[s]++;
            }
        }
    }
    for (int s = 0; s < S; s++) {
        R->avg_rank[s] = nrank[s] ? R->avg_rank[s] / nrank[s] : NAN;
        R->mean_auc[s] = nrank[s] ? R->mean_auc[s] / nrank[s] : NAN;
        R->cost_overall[s] = ncost[s] ? R->cost_overall[s] / ncost[s] : NAN;
    }
    llmbo_pareto_front(R->cost_overall, R->avg_rank, S, R->pareto_overall);
    llmbo_free(v);
    llmbo_free(c);
    llmbo_free(rk);
    llmbo_free(front);
    llmbo_free(nrank);
    llmbo_free(ncost);
    return LLMBO_OK;
}
