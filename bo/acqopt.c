/* acqopt.c: the acquisition optimiser. A pool of candidate points (a scrambled Sobol sweep,
 * Gaussian perturbations of the anchors at three scales, as BoTorch samples around the best
 * points, and caller-supplied extras) is scored; the best n_starts of the pool's own points
 * seed NLopt's L-BFGS in [0,1]^d, and after them each extra that ranks with them (so extras add
 * runs and never displace one); the refined points join the pool, and the top k distinct
 * points are returned.
 * Integer and categorical coordinates are optimised relaxed, then rounded to their cells and
 * re-scored there. In continuous spaces a run that climbs into the close neighbourhood of an
 * earlier run's end point, below its value, is stopped there (merged): it is on the slope of a
 * maximum already found (MLSL's reasoning, Rinnooy Kan & Timmer 1987). Thompson sampling
 * replaces scoring by joint posterior samples over the pool. One workspace allocation per call;
 * the NLopt objective never allocates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <nlopt.h>
#include <gsl/gsl_randist.h>
#include "llmbo_common.h"
#include "acq.h"
#include "design_impl.h"

void llmbo_acqopt_options_default(llmbo_acqopt_options *o, int d)
{
    memset(o, 0, sizeof *o);
    int n = 256 * (d < 1 ? 1 : d);
    o->n_sweep = n < 512 ? 512 : n > 2048 ? 2048 : n;
    o->n_starts = 32; /* see perf/results/acq.md, "gap" table */
    o->max_eval = 100;
    o->min_dist = 1e-3;
    o->seed = 0;
    o->anchors = NULL;
    o->n_anchors = 0;
    o->n_local = 32;
    o->pending = NULL;
    o->n_pending = 0;
    o->ts_max_points = 1024;
    o->cand_sep = 0.05;
    o->merge = 0;
    o->stats = NULL;
    o->lp = NULL;
    o->box_lo = NULL;
    o->box_hi = NULL;
    o->models = NULL;
    o->n_models = 0;
}

/* The local penalty at u (0 without balls); grad (d) gets its gradient when not NULL. */
static double lp_pen(const llmbo_lp_balls *lp, int d, const double *u, double *grad)
{
    return lp && lp->n > 0 ? llmbo_lp_log_penalty(lp, d, u, grad) : 0.0;
}

typedef struct scored {
    double v; /* acquisition value (larger is better), -HUGE_VAL if unusable */
    int i;    /* row in the pool */
} scored;

/* Best first; ties broken by pool row so the order is fully deterministic. */
static int scored_cmp(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->v > y->v)
        return -1;
    if (x->v < y->v)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Largest merge radius (unit cube); below it, llmbo_acqopt_options.merge lengthscales. Two
 * maxima of a GP's acquisition lie more than a fraction of a lengthscale apart, so a point this
 * close to an earlier end point and below it is still climbing towards that maximum, which the
 * earlier run already holds to the optimiser's tolerance. */
#define MERGE_MAX 1e-2

/* Entries ordered per call of sort_upto beyond the ones asked for. */
#define SORT_BLOCK 64

static void swap_scored(scored *a, scored *b)
{
    scored t = *a;
    *a = *b;
    *b = t;
}

/* Lazy ordering of S (n entries): S[0..*sorted) holds the *sorted best entries in order and no
 * later entry is better. Extends that prefix to at least need entries: a quickselect (Hoare
 * partitions, median-of-three pivots) brings the next block of best entries forward, and only
 * the block is sorted. scored_cmp is a strict total order, so the prefix is exactly what a full
 * qsort would give, at O(n) instead of O(n log n) when only the top of the pool is read. */
static void sort_upto(scored *S, int n, int *sorted, int need)
{
    int lo = *sorted;
    if (need <= lo)
        return;
    int want = need - lo < SORT_BLOCK ? lo + SORT_BLOCK : need;
    if (want >= n) {
        qsort(S + lo, (size_t)(n - lo), sizeof *S, scored_cmp);
        *sorted = n;
        return;
    }
    int a = lo, b = n - 1, t = want - 1; /* place the t-th best at t */
    while (a < b) {
        int m = a + (b - a) / 2;
        if (scored_cmp(&S[m], &S[a]) < 0)
            swap_scored(&S[m], &S[a]);
        if (scored_cmp(&S[b], &S[a]) < 0)
            swap_scored(&S[b], &S[a]);
        if (scored_cmp(&S[b], &S[m]) < 0)
            swap_scored(&S[b], &S[m]);
        scored pivot = S[m];
        int i = a, j = b;
        while (i <= j) {
            while (scored_cmp(&S[i], &pivot) < 0)
                i++;
            while (scored_cmp(&S[j], &pivot) > 0)
                j--;
            if (i <= j)
                swap_scored(&S[i++], &S[j--]);
        }
        if (t <= j)
            b = j;
        else if (t >= i)
            a = i;
        else
            break;
    }
    qsort(S + lo, (size_t)(want - lo), sizeof *S, scored_cmp);
    *sorted = want;
}

typedef struct objective_ctx {
    llmbo_gp *gp;
    const llmbo_acq_params *p;
    double *work;        /* (2 d) dmean, dvar scratch */
    nlopt_opt opt;       /* the running optimiser, stopped on a merge */
    const double *ends;  /* (n_ends, d) end points of the earlier runs; NULL: no merging */
    const double *end_v; /* (n_ends) their acquisition values */
    int n_ends;
    const double *rad; /* (d) merge radius per coordinate */
    long evals;
    int merged; /* the current run was stopped by a merge */
    const llmbo_lp_balls *lp;
    double *pg;              /* (d) penalty gradient scratch */
    llmbo_gp *const *models; /* NULL, or n_models hyperparameter samples (acq averaged) */
    int n_models;
    double *mwork; /* LLMBO_ACQ_MIX_WORK(d, n_models) scratch */
} objective_ctx;

/* The acquisition at x: gp's, or the average over the option's models. */
static double acq_at(llmbo_gp *gp, const llmbo_acq_params *p, llmbo_gp *const *models, int n_models,
                     const double *x, double *grad, double *work, double *mwork)
{
    if (models && n_models > 0)
        return llmbo_acq_eval_mix(models, n_models, p, x, grad, mwork);
    return llmbo_acq_eval_ws(gp, p, x, grad, work);
}

/* 1 if u lies within rad_j of e in every coordinate j. */
static int within(const double *u, const double *e, const double *rad, int d)
{
    for (int j = 0; j < d; j++)
        if (!(fabs(u[j] - e[j]) < rad[j]))
            return 0;
    return 1;
}

static double objective(unsigned n, const double *x, double *grad, void *data)
{
    objective_ctx *c = data;
    double v = acq_at(c->gp, c->p, c->models, c->n_models, x, grad, c->work, c->mwork);
    c->evals++;
    if (isfinite(v) && c->lp && c->lp->n > 0) {
        v += llmbo_lp_log_penalty(c->lp, (int)n, x, grad ? c->pg : NULL);
        if (grad)
            for (unsigned j = 0; j < n; j++)
                grad[j] += c->pg[j];
    }
    if (!isfinite(v)) {
        /* Keep L-BFGS's line search in finite arithmetic. */
        if (grad)
            for (unsigned j = 0; j < n; j++)
                grad[j] = 0;
        return -1e300;
    }
    for (int e = 0; c->ends && e < c->n_ends; e++)
        if (v <= c->end_v[e] && within(x, c->ends + (size_t)e * n, c->rad, (int)n)) {
            nlopt_force_stop(c->opt);
            c->merged = 1;
            break;
        }
    return v;
}

/* Minimum inf-norm separation of L-BFGS starting points (first choice). */
#define START_SEP 0.05

static int space_is_discrete(const llmbo_space *space)
{
    for (int j = 0; j < llmbo_space_dim(space); j++) {
        llmbo_param_type t = llmbo_space_param(space, j)->type;
        if (t == LLMBO_PARAM_INTEGER || t == LLMBO_PARAM_CATEGORICAL)
            return 1;
    }
    return 0;
}

static double inf_dist(const double *a, const double *b, int d)
{
    double m = 0;
    for (int j = 0; j < d; j++) {
        double t = fabs(a[j] - b[j]);
        if (t > m)
            m = t;
    }
    return m;
}

/* 1 if u is closer than min_dist (inf-norm) to one of the n rows of A; an exact match counts
 * even when min_dist is 0. A row is abandoned at its first coordinate that is far enough. */
static int near_any(const double *u, const double *A, int n, int d, double min_dist)
{
    for (int i = 0; i < n; i++) {
        const double *a = A + (size_t)i * d;
        int j = 0;
        while (j < d && fabs(u[j] - a[j]) < min_dist)
            j++;
        if (j == d || inf_dist(u, a, d) == 0)
            return 1;
    }
    return 0;
}

static void clamp_unit(double *u, int d)
{
    for (int j = 0; j < d; j++)
        u[j] = !(u[j] >= 0) ? 0 : u[j] > 1 ? 1 : u[j];
}

/* Clamps u into the optimiser's box (the unit cube unless box_lo/box_hi are set). */
static void clamp_box(const llmbo_acqopt_options *o, double *u, int d)
{
    if (!o->box_lo) {
        clamp_unit(u, d);
        return;
    }
    for (int j = 0; j < d; j++)
        u[j] = !(u[j] >= o->box_lo[j]) ? o->box_lo[j] : u[j] > o->box_hi[j] ? o->box_hi[j] : u[j];
}

static llmbo_status check_args(llmbo_gp *gp, const llmbo_space *space, const llmbo_acq_params *p,
                               const llmbo_acqopt_options *o, const double *extra, int n_extra,
                               int k, const llmbo_candidate *out, const int *n_out,
                               llmbo_error *err)
{
    if (!gp || !p || !o || !out || !n_out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: NULL argument (gp, params, options, out and n_out "
                               "are required)");
    int d = llmbo_gp_dim(gp);
    if (space && llmbo_space_dim(space) != d)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: space has %d parameters but the GP has dimension %d",
                               llmbo_space_dim(space), d);
    const llmbo_acq_def *a = llmbo_acq_get(p->type);
    if (!a)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "acq_optimize: unknown acquisition %d",
                               (int)p->type);
    if (!isfinite(p->best) && (a->flags & LLMBO_ACQ_NEEDS_BEST))
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: incumbent best = %g is not finite", p->best);
    if (k < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "acq_optimize: k = %d, need k >= 1", k);
    for (int i = 0; i < k; i++)
        if (!out[i].u)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "acq_optimize: out[%d].u is NULL (needs d doubles)", i);
    if (o->n_sweep < 0 || o->n_starts < 0 || o->n_local < 0 || o->n_anchors < 0 ||
        o->n_pending < 0 || n_extra < 0)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: negative count (n_sweep %d, n_starts %d, n_local "
                               "%d, n_anchors %d, n_pending %d, n_extra %d)",
                               o->n_sweep, o->n_starts, o->n_local, o->n_anchors, o->n_pending,
                               n_extra);
    if ((o->n_anchors > 0 && !o->anchors) || (o->n_pending > 0 && !o->pending) ||
        (n_extra > 0 && !extra))
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: anchors, pending or extra points counted but NULL");
    if (o->n_starts > 0 && o->max_eval < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "acq_optimize: max_eval = %d, need >= 1",
                               o->max_eval);
    if (!(o->min_dist >= 0) || !(o->cand_sep >= 0) || !(o->merge >= 0))
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: min_dist = %g, cand_sep = %g, merge = %g, need all "
                               ">= 0",
                               o->min_dist, o->cand_sep, o->merge);
    if (o->lp && (p->type != LLMBO_ACQUISITION_LOGEI || o->lp->n < 0 ||
                  (o->lp->n > 0 && (!o->lp->c || !o->lp->r || !o->lp->s))))
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: local penalisation needs the logei acquisition and "
                               "n >= 0 balls with centres, radii and widths");
    for (int j = 0; o->lp && j < o->lp->n; j++)
        if (!isfinite(o->lp->r[j]) || !(o->lp->s[j] > 0) || !isfinite(o->lp->s[j]))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "acq_optimize: local penalisation ball %d has radius %g and "
                                   "width %g (need a finite radius and a finite width > 0)",
                                   j, o->lp->r[j], o->lp->s[j]);
    if (!o->box_lo != !o->box_hi)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: box_lo and box_hi must be both set or both NULL");
    for (int j = 0; o->box_lo && j < d; j++)
        if (!(o->box_lo[j] >= 0 && o->box_lo[j] <= o->box_hi[j] && o->box_hi[j] <= 1))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "acq_optimize: box coordinate %d is [%g, %g], need 0 <= lo <= "
                                   "hi <= 1",
                                   j, o->box_lo[j], o->box_hi[j]);
    if (o->n_models < 0 || (o->n_models > 0 && !o->models))
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "acq_optimize: n_models = %d with models %s",
                               o->n_models, o->models ? "set" : "NULL");
    for (int m = 0; o->models && m < o->n_models; m++)
        if (!o->models[m] || llmbo_gp_dim(o->models[m]) != d)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "acq_optimize: model %d is NULL or not of dimension %d", m, d);
    if ((a->flags & LLMBO_ACQ_JOINT) && o->ts_max_points < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: ts_max_points = %d, need >= 1", o->ts_max_points);
    const double *sets[2] = {extra, o->anchors};
    int counts[2] = {n_extra, o->n_anchors};
    const char *names[2] = {"extra", "anchor"};
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < (size_t)counts[s] * d; i++)
            if (!isfinite(sets[s][i]))
                return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                       "acq_optimize: %s point %d, coordinate %d is not finite",
                                       names[s], (int)(i / d), (int)(i % d));
    long total = (long)o->n_sweep + (long)o->n_anchors * o->n_local + n_extra;
    if (total < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: empty candidate pool (n_sweep, anchors x n_local "
                               "and extra are all zero)");
    if (total > 100000000L)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "acq_optimize: candidate pool of %ld points is too large", total);
    return LLMBO_OK;
}

/* Pool rows, in this order: extra, anchor perturbations, then the Sobol sweep, at most cap rows
 * in all (TS caps the pool; everything else takes it whole). Returns the number of rows. */
static llmbo_status fill_pool(const llmbo_acqopt_options *o, int d, const double *extra,
                              int n_extra, long cap, double *P, int *n_rows, llmbo_error *err)
{
    long n = 0;
    for (int i = 0; i < n_extra && n < cap; i++, n++) {
        memcpy(P + n * d, extra + (size_t)i * d, (size_t)d * sizeof *P);
        clamp_box(o, P + n * d, d);
    }
    if (o->n_anchors > 0 && o->n_local > 0 && n < cap) {
        static const double sd[3] = {1e-3, 1e-2, 1e-1};
        gsl_rng *r = llmbo_design_rng(o->seed, 4);
        if (!r)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "acq_optimize: out of memory");
        for (int a = 0; a < o->n_anchors; a++)
            for (int l = 0; l < o->n_local && n < cap; l++, n++) {
                for (int j = 0; j < d; j++)
                    P[n * d + j] = o->anchors[(size_t)a * d + j] + gsl_ran_gaussian(r, sd[l % 3]);
                clamp_box(o, P + n * d, d);
            }
        gsl_rng_free(r);
    }
    long ns = o->n_sweep < cap - n ? o->n_sweep : cap - n;
    if (ns > 0) {
        llmbo_status st = llmbo_design(LLMBO_INIT_SOBOL, (int)ns, d, o->seed, P + n * d, err);
        if (st != LLMBO_OK)
            return st;
        for (long i = n; o->box_lo && i < n + ns; i++)
            for (int j = 0; j < d; j++)
                P[i * d + j] = o->box_lo[j] + (o->box_hi[j] - o->box_lo[j]) * P[i * d + j];
        n += ns;
    }
    *n_rows = (int)n;
    return LLMBO_OK;
}

/* Copies u into c with the GP's pointwise prediction there. p == NULL keeps acq as given
 * (Thompson sampling); otherwise acq is recomputed from the pointwise prediction, so that it is
 * exactly llmbo_acq_eval at u (the pool was scored by batch prediction, equal to rounding). */
static void fill_candidate(llmbo_gp *gp, const llmbo_acq_params *p, const llmbo_lp_balls *lp,
                           const double *u, int d, double acq, llmbo_candidate *c)
{
    double mean, var;
    memcpy(c->u, u, (size_t)d * sizeof *u);
    llmbo_gp_predict(gp, u, &mean, &var, NULL, NULL);
    c->mean = mean;
    c->std = var > 0 ? sqrt(var) : 0;
    c->acq =
        p ? llmbo_acq_from_pred(p, d, mean, var, NULL, NULL, NULL) + lp_pen(lp, d, u, NULL) : acq;
}

/* Insertion sort of the n candidates by acq, best first, swapping contents (each out[i].u
 * stays the caller's i-th row); tmp holds d doubles. Stable, and n is small. */
static void sort_candidates(llmbo_candidate *c, int n, int d, double *tmp)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && c[j].acq > c[j - 1].acq; j--) {
            llmbo_candidate t = c[j];
            memcpy(tmp, c[j].u, (size_t)d * sizeof *tmp);
            memcpy(c[j].u, c[j - 1].u, (size_t)d * sizeof *tmp);
            memcpy(c[j - 1].u, tmp, (size_t)d * sizeof *tmp);
            c[j].mean = c[j - 1].mean;
            c[j].std = c[j - 1].std;
            c[j].acq = c[j - 1].acq;
            c[j - 1].mean = t.mean;
            c[j - 1].std = t.std;
            c[j - 1].acq = t.acq;
        }
}

/* Thompson sampling: k joint samples over the (capped, distinct) pool; each sample gives the
 * point where it is smallest, among points not within min_dist of those already taken or of
 * pending points. */
static llmbo_status optimize_ts(llmbo_gp *gp, const llmbo_space *space, const llmbo_acq_params *p,
                                const llmbo_acqopt_options *o, const double *extra, int n_extra,
                                int k, llmbo_candidate *out, int *n_out, llmbo_error *err)
{
    (void)p;
    int d = llmbo_gp_dim(gp);
    long total = (long)o->n_sweep + (long)o->n_anchors * o->n_local + n_extra;
    long m = total < o->ts_max_points ? total : o->ts_max_points;
    /* Workspace: pool (m, d), samples (k, m), taken rows (k, d). */
    double *P = llmbo_malloc((size_t)(m * d + (long)k * m + (long)k * d), sizeof *P);
    scored *S = P ? llmbo_malloc((size_t)k, sizeof *S) : NULL;
    if (!S) {
        llmbo_free(P);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "acq_optimize: out of memory");
    }
    double *samp = P + m * d, *taken = samp + (long)k * m;
    int n_rows;
    llmbo_status st = fill_pool(o, d, extra, n_extra, m, P, &n_rows, err);
    if (st != LLMBO_OK)
        goto done;
    if (space && space_is_discrete(space))
        for (int i = 0; i < n_rows; i++)
            llmbo_space_round_unit(space, P + (size_t)i * d);
    /* Coinciding rows would make the joint covariance singular: keep the first of each. */
    int m2 = 0;
    for (int i = 0; i < n_rows; i++) {
        const double *u = P + (size_t)i * d;
        if (near_any(u, P, m2, d, 1e-12))
            continue;
        memmove(P + (size_t)m2 * d, u, (size_t)d * sizeof *P);
        m2++;
    }
    st = llmbo_gp_sample(gp, P, m2, k, o->seed, samp, err);
    if (st != LLMBO_OK) {
        llmbo_error_prefix(err, "acq_optimize (Thompson sampling)");
        goto done;
    }
    int n = 0;
    double sep = fmax(o->min_dist, o->cand_sep);
    for (int s = 0; s < k; s++) {
        const double *f = samp + (size_t)s * m2;
        int best = -1;
        for (int i = 0; i < m2; i++) {
            if (!isfinite(f[i]) || (best >= 0 && f[i] >= f[best]))
                continue;
            const double *u = P + (size_t)i * d;
            if (near_any(u, taken, n, d, sep) ||
                near_any(u, o->pending, o->n_pending, d, o->min_dist))
                continue;
            best = i;
        }
        if (best < 0)
            continue;
        memcpy(taken + (size_t)n * d, P + (size_t)best * d, (size_t)d * sizeof *P);
        S[n].v = -f[best];
        S[n].i = n;
        n++;
    }
    if (n == 0) {
        st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                             "acq_optimize: Thompson samples gave no usable point");
        goto done;
    }
    qsort(S, (size_t)n, sizeof *S, scored_cmp);
    for (int i = 0; i < n; i++)
        fill_candidate(gp, NULL, NULL, taken + (size_t)S[i].i * d, d, S[i].v, &out[i]);
    *n_out = n;
done:
    llmbo_free(S);
    llmbo_free(P);
    return st;
}

llmbo_status llmbo_acq_optimize(llmbo_gp *gp, const llmbo_space *space, const llmbo_acq_params *p,
                                const llmbo_acqopt_options *o, const double *extra, int n_extra,
                                int k, llmbo_candidate *out, int *n_out, llmbo_error *err)
{
    if (n_out)
        *n_out = 0;
    if (o && o->stats)
        memset(o->stats, 0, sizeof *o->stats);
    llmbo_status st = check_args(gp, space, p, o, extra, n_extra, k, out, n_out, err);
    if (st != LLMBO_OK)
        return st;
    if (llmbo_acq_get(p->type)->flags & LLMBO_ACQ_JOINT)
        return optimize_ts(gp, space, p, o, extra, n_extra, k, out, n_out, err);

    int d = llmbo_gp_dim(gp);
    int discrete = space && space_is_discrete(space);
    long total = (long)o->n_sweep + (long)o->n_anchors * o->n_local + n_extra;
    /* Starts: up to n_starts from the optimiser's own pool rows (anchors' perturbations, sweep),
     * chosen as if there were no extras, plus each extra that would have qualified, so that an
     * extra never displaces one of the pool's own starts: with extras the runs of the own
     * starts are exactly those without them, and the best point found can only improve. */
    long own = total - n_extra;
    int n_own = o->n_starts < own ? o->n_starts : (int)own;
    int n_starts = n_own + n_extra;
    long rows = total + n_starts;
    /* Workspace: pool (rows, d), NLopt point x (d), predict scratch (2 d), polish bounds
     * lb, ub (2 d), accepted (k, d), starting points (n_starts, d), pool means and variances
     * (2 rows), merge radii (d), run end values (n_starts), penalty gradient (d). */
    int n_models = o->models ? o->n_models : 0;
    size_t n_mwork = n_models > 0 ? LLMBO_ACQ_MIX_WORK(d, n_models) : 0;
    double *P = llmbo_malloc(
        (size_t)(rows * d + 7L * d + (long)(k + n_starts) * d + 2 * rows + n_starts) + n_mwork,
        sizeof *P);
    scored *S = P ? llmbo_malloc((size_t)rows, sizeof *S) : NULL;
    nlopt_opt opt = NULL, polish = NULL;
    if (!S) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "acq_optimize: out of memory");
        goto done;
    }
    double *x = P + rows * d, *work = x + d, *lb = work + 2 * d, *ub = lb + d, *acc = ub + d,
           *starts = acc + (size_t)k * d, *pmean = starts + (size_t)n_starts * d,
           *pvar = pmean + rows, *rad = pvar + rows, *end_v = rad + d, *pg = end_v + n_starts,
           *mwork = pg + d;
    int n_pool;
    st = fill_pool(o, d, extra, n_extra, total, P, &n_pool, err);
    if (st != LLMBO_OK)
        goto done;

    /* Score the pool (at the rounded points in mixed spaces), predicting in one batch: the
     * GP's BLAS-3 solves make this several times cheaper than point by point. */
    if (discrete)
        for (int i = 0; i < n_pool; i++)
            llmbo_space_round_unit(space, P + (size_t)i * d);
    if (n_models > 0) {
        /* The models' average (llmbo_acq_eval_mix's arithmetic), one batch per model: the
         * running log-sum-exp (log-scale rows) or sum lives in S[i].v. */
        int logscale = (llmbo_acq_get(p->type)->flags & LLMBO_ACQ_LOG) != 0;
        for (int i = 0; i < n_pool; i++) {
            S[i].v = logscale ? -HUGE_VAL : 0.0;
            S[i].i = i;
        }
        for (int m = 0; m < n_models; m++) {
            llmbo_gp_predict_batch(o->models[m], P, n_pool, pmean, pvar);
            for (int i = 0; i < n_pool; i++) {
                double v = llmbo_acq_from_pred(p, d, pmean[i], pvar[i], NULL, NULL, NULL);
                if (!logscale) {
                    S[i].v += v;
                } else if (v > -HUGE_VAL) {
                    double hi = fmax(S[i].v, v), lo = fmin(S[i].v, v);
                    S[i].v = hi + log1p(exp(lo - hi));
                }
            }
        }
        for (int i = 0; i < n_pool; i++)
            S[i].v = (logscale ? S[i].v - log((double)n_models) : S[i].v / n_models) +
                     lp_pen(o->lp, d, P + (size_t)i * d, NULL);
    } else {
        llmbo_gp_predict_batch(gp, P, n_pool, pmean, pvar);
        for (int i = 0; i < n_pool; i++) {
            S[i].v = llmbo_acq_from_pred(p, d, pmean[i], pvar[i], NULL, NULL, NULL) +
                     lp_pen(o->lp, d, P + (size_t)i * d, NULL);
            S[i].i = i;
        }
    }
    int sorted = 0;
    sort_upto(S, n_pool, &sorted, 1);

    /* L-BFGS from the best distinct starting points. */
    int n_rows = n_pool;
    if (n_starts > 0 && S[0].v > -HUGE_VAL) {
        /* In a mixed space the relaxed optimum is rounded, then polished: L-BFGS again over
         * the continuous coordinates only, the discrete ones fixed (lb = ub) at their cells. */
        int n_cont = 0;
        for (int j = 0; discrete && j < d; j++) {
            llmbo_param_type pt = llmbo_space_param(space, j)->type;
            n_cont += pt != LLMBO_PARAM_INTEGER && pt != LLMBO_PARAM_CATEGORICAL;
        }
        opt = nlopt_create(NLOPT_LD_LBFGS, (unsigned)d);
        objective_ctx ctx = {gp, p, work,  opt, NULL,      end_v,    0,    rad,
                             0,  0, o->lp, pg,  o->models, n_models, mwork};
        if (!discrete && o->merge > 0) {
            llmbo_gp_get_hyper(gp, rad, NULL, NULL);
            for (int j = 0; j < d; j++)
                rad[j] = fmin(MERGE_MAX, o->merge * rad[j]);
            ctx.ends = P + (size_t)n_pool * d;
        }
        if (opt && n_cont > 0)
            polish = nlopt_create(NLOPT_LD_LBFGS, (unsigned)d);
        if (!opt || (n_cont > 0 && !polish)) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "acq_optimize: out of memory (NLopt)");
            goto done;
        }
        nlopt_opt both[2] = {opt, polish};
        for (int b = 0; b < 2 && both[b]; b++) {
            if (o->box_lo) {
                nlopt_set_lower_bounds(both[b], o->box_lo);
                nlopt_set_upper_bounds(both[b], o->box_hi);
            } else {
                nlopt_set_lower_bounds1(both[b], 0.0);
                nlopt_set_upper_bounds1(both[b], 1.0);
            }
            nlopt_set_max_objective(both[b], objective, &ctx);
            nlopt_set_maxeval(both[b], o->max_eval);
            nlopt_set_ftol_rel(both[b], 1e-10);
            nlopt_set_xtol_rel(both[b], 1e-8);
        }
        /* Starts: the best pool points at least START_SEP apart, so that the runs explore
         * different basins instead of all climbing the best one (the top of the pool is
         * usually one cluster); then, if that leaves too few, the best distinct ones. */
        int n_st = 0;
        double v_last = HUGE_VAL; /* the value of the own starts' worst */
        for (int pass = 0; pass < 2 && n_st < n_own; pass++) {
            double sep = pass == 0 ? fmax(START_SEP, o->min_dist) : o->min_dist;
            for (int s = 0; s < n_pool && n_st < n_own; s++) {
                sort_upto(S, n_pool, &sorted, s + 1);
                if (!(S[s].v > -HUGE_VAL))
                    break;
                const double *u0 = P + (size_t)S[s].i * d;
                if (S[s].i < n_extra || near_any(u0, starts, n_st, d, sep))
                    continue;
                memcpy(starts + (size_t)n_st * d, u0, (size_t)d * sizeof *x);
                n_st++;
                v_last = fmin(v_last, S[s].v);
            }
        }
        /* The extras (pool rows 0 .. n_extra - 1) that rank with the own starts (at least the
         * worst one's value, or any finite value when the own starts are fewer than n_own)
         * and lie START_SEP from every start: their runs come after the own ones. */
        int n_own_st = n_st;
        for (int s = 0; s < n_pool && n_extra > 0; s++) {
            if (S[s].i >= n_extra || !(S[s].v > -HUGE_VAL) ||
                (n_own_st == n_own && S[s].v < v_last))
                continue;
            const double *u0 = P + (size_t)S[s].i * d;
            if (near_any(u0, starts, n_st, d, fmax(START_SEP, o->min_dist)))
                continue;
            memcpy(starts + (size_t)n_st * d, u0, (size_t)d * sizeof *x);
            n_st++;
        }
        for (int s = 0; s < n_st; s++) {
            memcpy(x, starts + (size_t)s * d, (size_t)d * sizeof *x);
            double fval;
            ctx.merged = 0;
            /* x holds the best point found whatever the result code (a merge is a forced
             * stop); only running out of memory inside NLopt is an error. */
            if (nlopt_optimize(opt, x, &fval) == NLOPT_OUT_OF_MEMORY) {
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "acq_optimize: out of memory (NLopt)");
                goto done;
            }
            clamp_box(o, x, d);
            if (discrete) {
                llmbo_space_round_unit(space, x);
                if (polish) {
                    for (int j = 0; j < d; j++) {
                        llmbo_param_type pt = llmbo_space_param(space, j)->type;
                        int fixed = pt == LLMBO_PARAM_INTEGER || pt == LLMBO_PARAM_CATEGORICAL;
                        lb[j] = fixed ? x[j] : o->box_lo ? o->box_lo[j] : 0.0;
                        ub[j] = fixed ? x[j] : o->box_hi ? o->box_hi[j] : 1.0;
                    }
                    if (nlopt_set_lower_bounds(polish, lb) < 0 ||
                        nlopt_set_upper_bounds(polish, ub) < 0) {
                        st = llmbo_error_set(err, LLMBO_ERR_NOMEM,
                                             "acq_optimize: out of memory (NLopt)");
                        goto done;
                    }
                    if (nlopt_optimize(polish, x, &fval) == NLOPT_OUT_OF_MEMORY) {
                        st = llmbo_error_set(err, LLMBO_ERR_NOMEM,
                                             "acq_optimize: out of memory (NLopt)");
                        goto done;
                    }
                    clamp_box(o, x, d);
                    llmbo_space_round_unit(space, x);
                }
            }
            double *row = P + (size_t)n_rows * d;
            memcpy(row, x, (size_t)d * sizeof *x);
            S[n_rows].v = acq_at(gp, p, o->models, n_models, row, NULL, work, mwork) +
                          lp_pen(o->lp, d, row, NULL);
            S[n_rows].i = n_rows;
            end_v[n_rows - n_pool] = S[n_rows].v;
            ctx.n_ends = ++n_rows - n_pool;
            if (o->stats) {
                o->stats->runs++;
                o->stats->merged += ctx.merged;
            }
        }
        if (o->stats)
            o->stats->evals = ctx.evals;
        sorted = 0; /* the end points are appended unordered */
        sort_upto(S, n_rows, &sorted, 1);
    }
    if (!(S[0].v > -HUGE_VAL)) {
        st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                             "acq_optimize: the %s acquisition is not finite at any of %d "
                             "points (check the GP and the incumbent)",
                             llmbo_acquisition_name(p->type), n_rows);
        goto done;
    }

    /* Greedy selection of k distinct points, best first. */
    int n = 0;
    double sep = fmax(o->min_dist, o->cand_sep);
    for (int s = 0; s < n_rows && n < k; s++) {
        sort_upto(S, n_rows, &sorted, s + 1);
        if (!(S[s].v > -HUGE_VAL))
            break;
        const double *u = P + (size_t)S[s].i * d;
        if (near_any(u, acc, n, d, sep) || near_any(u, o->pending, o->n_pending, d, o->min_dist))
            continue;
        memcpy(acc + (size_t)n * d, u, (size_t)d * sizeof *u);
        if (n_models > 0)
            fill_candidate(gp, NULL, NULL, u, d,
                           acq_at(gp, p, o->models, n_models, u, NULL, work, mwork) +
                               lp_pen(o->lp, d, u, NULL),
                           &out[n]);
        else
            fill_candidate(gp, p, o->lp, u, d, S[s].v, &out[n]);
        n++;
    }
    sort_candidates(out, n, d, x);
    *n_out = n;
    if (n == 0)
        st = llmbo_error_set(err, LLMBO_ERR_NUMERIC,
                             "acq_optimize: every candidate is within min_dist = %g of a pending "
                             "point",
                             o->min_dist);
done:
    nlopt_destroy(polish);
    nlopt_destroy(opt);
    llmbo_free(S);
    llmbo_free(P);
    return st;
}
