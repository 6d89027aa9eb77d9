/* space.c: parameter spaces. Each parameter owns one coordinate of the unit cube: continuous
 * linearly, log parameters through log(x), integers through the n+1 equal cells of [lo-0.5,
 * hi+0.5] and categoricals through k equal cells, so rounding in the cube is uniform. */
#include <math.h>
#include <string.h>
#include "llmbo_common.h"

struct llmbo_space {
    int dim, cap;
    llmbo_param *p; /* (cap) owned copies: every string is llmbo_strdup'ed */
};

llmbo_space *llmbo_space_create(void)
{
    return llmbo_calloc(1, sizeof(llmbo_space));
}

static void param_free(llmbo_param *p)
{
    llmbo_free((char *)p->name);
    llmbo_free((char *)p->unit);
    llmbo_free((char *)p->description);
    if (p->choices) {
        for (int i = 0; i < p->n_choices; i++)
            llmbo_free((char *)p->choices[i]);
        llmbo_free((void *)p->choices);
    }
}

void llmbo_space_free(llmbo_space *space)
{
    if (!space)
        return;
    for (int i = 0; i < space->dim; i++)
        param_free(&space->p[i]);
    llmbo_free(space->p);
    llmbo_free(space);
}

llmbo_status llmbo_space_add(llmbo_space *space, const llmbo_param *param, llmbo_error *err)
{
    if (!space || !param)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "space_add: NULL argument");
    if (!param->name || !param->name[0])
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "parameter %d: empty name", space->dim);
    for (int i = 0; i < space->dim; i++)
        if (strcmp(space->p[i].name, param->name) == 0)
            return llmbo_error_set(err, LLMBO_ERR_INVALID, "parameter \"%s\": duplicate name",
                                   param->name);
    switch (param->type) {
    case LLMBO_PARAM_CONTINUOUS:
    case LLMBO_PARAM_INTEGER:
    case LLMBO_PARAM_LOG:
        if (isfinite(param->lo) && param->lo == param->hi)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": bounds [%.17g, %.17g] leave nothing to "
                                   "optimise; leave a fixed value out of the space",
                                   param->name, param->lo, param->hi);
        if (!isfinite(param->lo) || !isfinite(param->hi) || !(param->lo < param->hi))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": bounds [%g, %g] must be finite with lo < hi",
                                   param->name, param->lo, param->hi);
        if (!isfinite(param->hi - param->lo))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": bounds [%g, %g]: the width hi - lo overflows "
                                   "a double",
                                   param->name, param->lo, param->hi);
        if (param->type == LLMBO_PARAM_LOG && !(param->lo > 0))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": log scale needs lo > 0 (got %g)", param->name,
                                   param->lo);
        if (param->type == LLMBO_PARAM_INTEGER &&
            (param->lo != floor(param->lo) || param->hi != floor(param->hi)))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": integer bounds must be whole numbers",
                                   param->name);
        if (param->type == LLMBO_PARAM_INTEGER &&
            (fabs(param->lo) > LLMBO_SPACE_INT_MAX || fabs(param->hi) > LLMBO_SPACE_INT_MAX))
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": integer bounds must be within +-2^53 "
                                   "(whole numbers a double holds exactly)",
                                   param->name);
        break;
    case LLMBO_PARAM_CATEGORICAL:
        if (param->n_choices < 1 || !param->choices)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "parameter \"%s\": a categorical needs at least one choice",
                                   param->name);
        for (int i = 0; i < param->n_choices; i++) {
            if (!param->choices[i])
                return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                       "parameter \"%s\": choice %d is NULL", param->name, i);
            for (int j = 0; j < i; j++)
                if (strcmp(param->choices[i], param->choices[j]) == 0)
                    return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                           "parameter \"%s\": duplicate choice \"%s\"", param->name,
                                           param->choices[i]);
        }
        break;
    default:
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "parameter \"%s\": unknown type %d",
                               param->name, (int)param->type);
    }
    if (space->dim == space->cap) {
        int cap = space->cap ? 2 * space->cap : 8;
        llmbo_param *np = llmbo_realloc(space->p, (size_t)cap, sizeof *np);
        if (!np)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        space->p = np;
        space->cap = cap;
    }
    llmbo_param c = *param;
    c.name = llmbo_strdup(param->name);
    c.unit = llmbo_strdup(param->unit);
    c.description = llmbo_strdup(param->description);
    c.choices = NULL;
    int ok = c.name && (!param->unit || c.unit) && (!param->description || c.description);
    if (ok && param->type == LLMBO_PARAM_CATEGORICAL) {
        char **ch = llmbo_calloc((size_t)param->n_choices, sizeof *ch);
        ok = ch != NULL;
        for (int i = 0; ok && i < param->n_choices; i++) {
            ch[i] = llmbo_strdup(param->choices[i]);
            ok = ch[i] != NULL;
        }
        c.choices = (const char *const *)ch;
        if (param->type == LLMBO_PARAM_CATEGORICAL) {
            c.lo = 0;
            c.hi = param->n_choices - 1;
        }
    } else {
        c.n_choices = 0;
    }
    if (!ok) {
        param_free(&c);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    space->p[space->dim++] = c;
    return LLMBO_OK;
}

int llmbo_space_dim(const llmbo_space *space)
{
    return space ? space->dim : 0;
}

const llmbo_param *llmbo_space_param(const llmbo_space *space, int i)
{
    if (!space || i < 0 || i >= space->dim)
        return NULL;
    return &space->p[i];
}

static double clamp01(double u)
{
    if (!(u >= 0)) /* also maps NaN to 0 */
        return 0;
    return u > 1 ? 1 : u;
}

void llmbo_space_to_unit(const llmbo_space *space, const double *x, double *u)
{
    for (int i = 0; i < space->dim; i++) {
        const llmbo_param *p = &space->p[i];
        switch (p->type) {
        case LLMBO_PARAM_LOG:
            u[i] = (log(x[i]) - log(p->lo)) / (log(p->hi) - log(p->lo));
            break;
        case LLMBO_PARAM_INTEGER:
            u[i] = (x[i] - p->lo + 0.5) / (p->hi - p->lo + 1);
            break;
        case LLMBO_PARAM_CATEGORICAL:
            u[i] = (x[i] + 0.5) / p->n_choices;
            break;
        default:
            u[i] = (x[i] - p->lo) / (p->hi - p->lo);
        }
        u[i] = clamp01(u[i]);
    }
}

void llmbo_space_from_unit(const llmbo_space *space, const double *u, double *x)
{
    for (int i = 0; i < space->dim; i++) {
        const llmbo_param *p = &space->p[i];
        double v = clamp01(u[i]);
        switch (p->type) {
        case LLMBO_PARAM_LOG:
            /* exp(log(lo)) need not round back to lo: pin the ends exactly. */
            x[i] = exp(log(p->lo) + v * (log(p->hi) - log(p->lo)));
            if (x[i] < p->lo || v == 0)
                x[i] = p->lo;
            if (x[i] > p->hi || v == 1)
                x[i] = p->hi;
            break;
        case LLMBO_PARAM_INTEGER: {
            double k = floor(v * (p->hi - p->lo + 1));
            if (k > p->hi - p->lo)
                k = p->hi - p->lo;
            x[i] = p->lo + k;
            break;
        }
        case LLMBO_PARAM_CATEGORICAL: {
            double k = floor(v * p->n_choices);
            x[i] = k > p->n_choices - 1 ? p->n_choices - 1 : k;
            break;
        }
        default:
            x[i] = p->lo + v * (p->hi - p->lo);
        }
    }
}

void llmbo_space_round_unit(const llmbo_space *space, double *u)
{
    for (int i = 0; i < space->dim; i++) {
        const llmbo_param *p = &space->p[i];
        double cells;
        if (p->type == LLMBO_PARAM_INTEGER)
            cells = p->hi - p->lo + 1;
        else if (p->type == LLMBO_PARAM_CATEGORICAL)
            cells = p->n_choices;
        else {
            u[i] = clamp01(u[i]);
            continue;
        }
        double k = floor(clamp01(u[i]) * cells);
        if (k > cells - 1)
            k = cells - 1;
        u[i] = (k + 0.5) / cells;
    }
}

llmbo_status llmbo_space_check(const llmbo_space *space, const double *x, llmbo_error *err)
{
    for (int i = 0; i < space->dim; i++) {
        const llmbo_param *p = &space->p[i];
        if (!isfinite(x[i]))
            return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: value is not finite", p->name);
        if (x[i] < p->lo || x[i] > p->hi) {
            if (p->type == LLMBO_PARAM_CATEGORICAL)
                return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: choice index %g outside 0..%d",
                                       p->name, x[i], p->n_choices - 1);
            return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: %.10g outside bounds [%g, %g]",
                                   p->name, x[i], p->lo, p->hi);
        }
        if ((p->type == LLMBO_PARAM_INTEGER || p->type == LLMBO_PARAM_CATEGORICAL) &&
            x[i] != floor(x[i]))
            return llmbo_error_set(err, LLMBO_ERR_INVALID, "%s: %.10g is not a whole number",
                                   p->name, x[i]);
    }
    return LLMBO_OK;
}
