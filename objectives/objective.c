/* objective.c: the llmbo_objective object. A built-in objective is a row of the definition
 * table (builtin.c) instantiated at a dimension, with its space and known optimisers copied out;
 * an external one runs a command per evaluation (external.c). Observation noise and the checks
 * on inputs and outputs are applied here, in one place, for both kinds. The noise of the k-th
 * noisy evaluation depends only on (seed, k), not on a stream's history, so a resumed run that
 * sets the index to the evaluations already done draws what the uninterrupted run would have.
 * An instance k >= 1 ("ackley:5#3") is the function translated so that its optimiser moves to a
 * point drawn from (base name, k) inside the box: f_k(x) = f(x - s), optimum value unchanged. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "llmbo_common.h"
#include "objective_impl.h"

struct llmbo_objective {
    const llmbo_objective_def *def; /* NULL for an external objective */
    char *name;                     /* canonical: "branin", "ackley:10", or the external's name */
    char *description;
    int dim;
    llmbo_space *space;
    int maximize;
    int has_opt;
    double opt_value;
    int n_opt;
    double *xopt; /* (n_opt, dim) known optimisers */
    double noise_sd;
    uint64_t noise_seed, noise_index; /* evaluation k draws its noise from hash(seed, k) */
    gsl_rng *rng;                     /* noise generator, allocated by set_noise when sd > 0 */
    int rng_failed; /* set_noise could not allocate its generator: evaluations fail */
    char *command;  /* external: run by /bin/sh -c */
    double timeout_s;
    long instance; /* 0: the function as defined; k >= 1: shifted by shift */
    double *shift; /* (dim) translation s of instance k; NULL for instance 0 */
    double *xbuf;  /* (dim) scratch for x - s, so evaluation does not allocate */
};

/* Levenshtein distance of two short strings (names), capped at 99. */
static int edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > 63 || nb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= nb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

static llmbo_status unknown_name(const char *name, llmbo_error *err)
{
    const char *best = NULL;
    int bestd = 3; /* suggest only names within two edits */
    for (int i = 0; i < llmbo_objective_def_count(); i++) {
        int dd = edit_distance(name, llmbo_objective_def_at(i)->name);
        if (dd < bestd) {
            bestd = dd;
            best = llmbo_objective_def_at(i)->name;
        }
    }
    if (best)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND,
                               "unknown objective \"%s\" (did you mean \"%s\"?)", name, best);
    return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND,
                           "unknown objective \"%s\" (see 'llmbo objectives' for the list)", name);
}

/* Parses "name" or "name:DIM" into the table row and the dimension. */
static llmbo_status parse_spec(const char *spec, const llmbo_objective_def **def, int *dim,
                               llmbo_error *err)
{
    char name[64];
    const char *colon = strchr(spec, ':');
    if (strchr(spec, '#'))
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%.80s\": at most one \"#INSTANCE\" suffix", spec);
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (n == 0)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "empty objective name in \"%s\"", spec);
    if (n >= sizeof name)
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "unknown objective \"%.60s...\"", spec);
    memcpy(name, spec, n);
    name[n] = '\0';
    *def = llmbo_objective_def_find(name);
    if (!*def)
        return unknown_name(name, err);
    const llmbo_objective_def *df = *def;
    if (!colon) {
        *dim = df->dim ? df->dim : df->default_dim;
        return LLMBO_OK;
    }
    const char *ds = colon + 1;
    char *end = NULL;
    errno = 0;
    long d = isdigit((unsigned char)ds[0]) ? strtol(ds, &end, 10) : -1;
    if (d < 0 || !end || *end != '\0' || errno == ERANGE)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": dimension \"%s\" is not a positive integer", spec,
                               ds);
    if (df->dim) {
        if (d != df->dim)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "objective \"%s\": %s is defined in dimension %d only", spec,
                                   df->name, df->dim);
    } else if (d < df->min_dim || d > LLMBO_OBJECTIVE_MAX_DIM || d % df->dim_step != 0) {
        if (df->dim_step > 1)
            return llmbo_error_set(err, LLMBO_ERR_INVALID,
                                   "objective \"%s\": dimension must be a multiple of %d in "
                                   "[%d, %d]",
                                   spec, df->dim_step, df->min_dim, LLMBO_OBJECTIVE_MAX_DIM);
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": dimension must be in [%d, %d]", spec, df->min_dim,
                               LLMBO_OBJECTIVE_MAX_DIM);
    }
    *dim = (int)d;
    return LLMBO_OK;
}

static llmbo_status builtin_space(const llmbo_objective_def *df, int d, llmbo_space *space,
                                  llmbo_error *err)
{
    for (int i = 0; i < d; i++) {
        llmbo_status st;
        if (df->params) {
            st = llmbo_space_add(space, &df->params[i], err);
        } else {
            char name[16];
            snprintf(name, sizeof name, "x%d", i + 1);
            llmbo_param p = {.name = name, .type = LLMBO_PARAM_CONTINUOUS};
            if (df->bounds) {
                p.lo = df->bounds[i][0];
                p.hi = df->bounds[i][1];
            } else if (df->dim_bounds) {
                df->dim_bounds(d, &p.lo, &p.hi);
            } else {
                p.lo = df->lo;
                p.hi = df->hi;
            }
            st = llmbo_space_add(space, &p, err);
        }
        if (st != LLMBO_OK)
            return st;
    }
    return LLMBO_OK;
}

/* Parses the "#K" instance suffix of spec (s points at the '#'). */
static llmbo_status parse_instance(const char *spec, const char *s, long *k, llmbo_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = isdigit((unsigned char)s[1]) ? strtol(s + 1, &end, 10) : -1;
    if (v < 0 || !end || *end != '\0' || errno == ERANGE || v > LLMBO_OBJECTIVE_MAX_INSTANCE)
        return llmbo_error_set(
            err, LLMBO_ERR_INVALID,
            "objective \"%.80s\": instance \"%.20s\" is not an integer in [0, %d]", spec, s + 1,
            LLMBO_OBJECTIVE_MAX_INSTANCE);
    *k = v;
    return LLMBO_OK;
}

llmbo_status llmbo_objective_create(const char *spec, llmbo_objective **out, llmbo_error *err)
{
    if (!out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_create: NULL out");
    *out = NULL;
    if (!spec)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_create: NULL name");
    const llmbo_objective_def *df = NULL;
    int d = 0;
    long instance = 0;
    llmbo_status st;
    const char *hash = strchr(spec, '#');
    if (hash) {
        char base[128];
        if ((st = parse_instance(spec, hash, &instance, err)) != LLMBO_OK)
            return st;
        if ((size_t)(hash - spec) >= sizeof base)
            return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "unknown objective \"%.60s...\"",
                                   spec);
        memcpy(base, spec, (size_t)(hash - spec));
        base[hash - spec] = '\0';
        st = parse_spec(base, &df, &d, err);
    } else {
        st = parse_spec(spec, &df, &d, err);
    }
    if (st != LLMBO_OK)
        return st;
    llmbo_objective *o = llmbo_calloc(1, sizeof *o);
    if (!o)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    o->def = df;
    o->dim = d;
    o->maximize = df->maximize;
    char name[96];
    if (df->dim)
        snprintf(name, sizeof name, "%s", df->name);
    else
        snprintf(name, sizeof name, "%s:%d", df->name, d);
    o->name = llmbo_strdup(name);
    o->description = llmbo_strdup(df->description);
    o->space = llmbo_space_create();
    if (!o->name || !o->description || !o->space) {
        llmbo_objective_free(o);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    st = builtin_space(df, d, o->space, err);
    if (st != LLMBO_OK) {
        llmbo_objective_free(o);
        return st;
    }
    if (df->optimum) {
        int n = df->optimum(d, &o->opt_value, NULL);
        if (n > 0) {
            o->xopt = llmbo_malloc((size_t)n * (size_t)d, sizeof(double));
            if (!o->xopt) {
                llmbo_objective_free(o);
                return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            }
            df->optimum(d, &o->opt_value, o->xopt);
            o->n_opt = n;
            o->has_opt = 1;
        }
    } else if (df->n_opt > 0) {
        o->xopt = llmbo_malloc((size_t)df->n_opt * (size_t)d, sizeof(double));
        if (!o->xopt) {
            llmbo_objective_free(o);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        }
        memcpy(o->xopt, df->xopt, (size_t)df->n_opt * (size_t)d * sizeof(double));
        o->n_opt = df->n_opt;
        o->opt_value = df->fstar;
        o->has_opt = 1;
    }
    if (instance > 0 && (st = llmbo_objective_set_instance(o, instance, err)) != LLMBO_OK) {
        llmbo_objective_free(o);
        return st;
    }
    *out = o;
    return LLMBO_OK;
}

/* Functions whose tabulated optimum is their unique global minimiser over all of R^d (sums of
 * squares, convex bowls, bowls with ripples), so a translated copy keeps the optimum value and
 * has exactly one optimiser: the translated one. Functions with several optimisers (branin,
 * dixon_price) or whose value outside the box is not known to stay above the optimum
 * (hartmann, shekel, michalewicz, schwefel, ...) have no instances. */
static const char *const shiftable[] = {"ackley",
                                        "levy",
                                        "rosenbrock",
                                        "griewank",
                                        "rastrigin",
                                        "styblinski_tang",
                                        "sphere",
                                        "zakharov",
                                        "sum_squares",
                                        "powell",
                                        "three_hump_camel",
                                        "goldstein_price",
                                        "beale",
                                        "booth",
                                        "matyas",
                                        "levy13",
                                        "trid"};

int llmbo_objective_has_instances(const char *name)
{
    for (size_t i = 0; name && i < sizeof shiftable / sizeof shiftable[0]; i++)
        if (strcmp(name, shiftable[i]) == 0)
            return 1;
    return 0;
}

/* FNV-1a of a string: the base name enters the instance's seed, so ackley:5#3 and levy:4#3 are
 * unrelated draws. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t mix64(uint64_t z);

llmbo_status llmbo_objective_set_instance(llmbo_objective *obj, long instance, llmbo_error *err)
{
    if (!obj)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_set_instance: NULL objective");
    if (instance < 0 || instance > LLMBO_OBJECTIVE_MAX_INSTANCE)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": instance %ld is not an integer in [0, %d]",
                               obj->name, instance, LLMBO_OBJECTIVE_MAX_INSTANCE);
    if (obj->instance > 0)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": the instance is already set", obj->name);
    if (instance == 0)
        return LLMBO_OK;
    if (!obj->def || !llmbo_objective_has_instances(obj->def->name) || obj->n_opt != 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": has no instances (only built-ins whose optimum "
                               "is their unique global minimum: %s, %s, %s, ...; "
                               "'llmbo objectives' marks them)",
                               obj->name, shiftable[0], shiftable[1], shiftable[2]);
    int d = obj->dim;
    double *shift = llmbo_malloc((size_t)d, sizeof(double));
    double *xbuf = llmbo_malloc((size_t)d, sizeof(double));
    char name[128];
    snprintf(name, sizeof name, "%s#%ld", obj->name, instance);
    char *nm = llmbo_strdup(name);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!shift || !xbuf || !nm || !r) {
        llmbo_free(shift);
        llmbo_free(xbuf);
        llmbo_free(nm);
        if (r)
            gsl_rng_free(r);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    uint64_t h = mix64(fnv1a(obj->name) ^ mix64((uint64_t)instance * 0x9e3779b97f4a7c15ULL));
    gsl_rng_set(r, (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL));
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(obj->space, j);
        double w = p->hi - p->lo;
        /* The new optimiser is uniform in the middle 80% of the box (COCO's BBOB draws its
         * optima in [-4, 4] of [-5, 5]), so it is never on an edge. The shift is rounded to a
         * multiple of 2^-20 of the width's binade so that x* - s reproduces the original
         * optimiser exactly for the simple optima (0, 1) and the optimum value is exact there. */
        double target = p->lo + (0.1 + 0.8 * gsl_rng_uniform(r)) * w;
        double s = target - obj->xopt[j];
        double q = ldexp(1.0, ilogb(w) - 20);
        shift[j] = nearbyint(s / q) * q;
        obj->xopt[j] += shift[j];
    }
    gsl_rng_free(r);
    llmbo_free(obj->name);
    obj->name = nm;
    obj->shift = shift;
    obj->xbuf = xbuf;
    obj->instance = instance;
    return LLMBO_OK;
}

long llmbo_objective_instance(const llmbo_objective *obj)
{
    return obj ? obj->instance : 0;
}

llmbo_status llmbo_objective_create_external(const char *command, const llmbo_space *space,
                                             double timeout_s, int maximize, llmbo_objective **out,
                                             llmbo_error *err)
{
    if (!out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_create_external: NULL out");
    *out = NULL;
    if (!command || !command[0])
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "external objective: empty command");
    if (!space || llmbo_space_dim(space) < 1)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "external objective \"%s\": needs at least one parameter", command);
    if (isnan(timeout_s))
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "external objective \"%s\": timeout is NaN",
                               command);
    llmbo_objective *o = llmbo_calloc(1, sizeof *o);
    if (!o)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    o->dim = llmbo_space_dim(space);
    o->maximize = maximize ? 1 : 0;
    o->timeout_s = timeout_s > 0 ? timeout_s : 0;
    o->name = llmbo_strdup("external");
    o->description = llmbo_strdup("external command objective");
    o->command = llmbo_strdup(command);
    o->space = llmbo_space_create();
    if (!o->name || !o->description || !o->command || !o->space) {
        llmbo_objective_free(o);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < o->dim; i++) {
        llmbo_status st = llmbo_space_add(o->space, llmbo_space_param(space, i), err);
        if (st != LLMBO_OK) {
            llmbo_objective_free(o);
            return st;
        }
    }
    *out = o;
    return LLMBO_OK;
}

llmbo_status llmbo_objective_set_info(llmbo_objective *obj, const char *name,
                                      const char *description, llmbo_error *err)
{
    char *n = name ? llmbo_strdup(name) : NULL;
    char *d = description ? llmbo_strdup(description) : NULL;
    if ((name && !n) || (description && !d)) {
        llmbo_free(n);
        llmbo_free(d);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    if (n) {
        llmbo_free(obj->name);
        obj->name = n;
    }
    if (d) {
        llmbo_free(obj->description);
        obj->description = d;
    }
    return LLMBO_OK;
}

void llmbo_objective_free(llmbo_objective *obj)
{
    if (!obj)
        return;
    llmbo_free(obj->name);
    llmbo_free(obj->description);
    llmbo_free(obj->xopt);
    llmbo_free(obj->command);
    llmbo_free(obj->shift);
    llmbo_free(obj->xbuf);
    llmbo_space_free(obj->space);
    if (obj->rng)
        gsl_rng_free(obj->rng);
    llmbo_free(obj);
}

void llmbo_objective_set_noise(llmbo_objective *obj, double sd, uint64_t seed)
{
    if (!obj)
        return;
    obj->rng_failed = 0;
    if (!(sd > 0) || !isfinite(sd)) {
        obj->noise_sd = 0;
        return;
    }
    if (!obj->rng)
        obj->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!obj->rng) {
        obj->rng_failed = 1;
        return;
    }
    obj->noise_seed = seed;
    obj->noise_index = 0;
    obj->noise_sd = sd;
}

void llmbo_objective_set_noise_index(llmbo_objective *obj, uint64_t k)
{
    if (obj)
        obj->noise_index = k;
}

uint64_t llmbo_objective_noise_index(const llmbo_objective *obj)
{
    return obj ? obj->noise_index : 0;
}

/* SplitMix64's finaliser (Steele, Lea & Flood 2014): spreads (seed, k) over 64 bits, so the
 * generator seeds of consecutive evaluations are unrelated. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double llmbo_objective_noise(const llmbo_objective *obj)
{
    return obj ? obj->noise_sd : 0;
}

const char *llmbo_objective_name(const llmbo_objective *obj)
{
    return obj ? obj->name : NULL;
}

const char *llmbo_objective_description(const llmbo_objective *obj)
{
    return obj ? obj->description : NULL;
}

int llmbo_objective_dim(const llmbo_objective *obj)
{
    return obj ? obj->dim : 0;
}

const llmbo_space *llmbo_objective_space(const llmbo_objective *obj)
{
    return obj ? obj->space : NULL;
}

int llmbo_objective_maximize(const llmbo_objective *obj)
{
    return obj ? obj->maximize : 0;
}

int llmbo_objective_optimal_value(const llmbo_objective *obj, double *value)
{
    if (!obj || !obj->has_opt)
        return 0;
    if (value)
        *value = obj->opt_value;
    return 1;
}

int llmbo_objective_optimizers(const llmbo_objective *obj, const double **xs)
{
    if (xs)
        *xs = obj ? obj->xopt : NULL;
    return obj ? obj->n_opt : 0;
}

/* The built-in function's value at x (original units), shifted through buf (dim) when the
 * objective has a shift; a non-finite value is an error. */
static llmbo_status builtin_value(const llmbo_objective *obj, const double *x, double *buf,
                                  double *v, llmbo_error *err)
{
    if (obj->shift) {
        for (int j = 0; j < obj->dim; j++)
            buf[j] = x[j] - obj->shift[j];
        x = buf;
    }
    *v = obj->def->f(x, obj->dim);
    if (!isfinite(*v))
        return llmbo_error_set(err, LLMBO_ERR_OBJECTIVE,
                               "objective \"%s\": the function returned %g", obj->name, *v);
    return LLMBO_OK;
}

llmbo_status llmbo_objective_eval(llmbo_objective *obj, const double *x, double *y,
                                  llmbo_error *err)
{
    if (!obj || !x || !y)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_eval: NULL argument");
    *y = NAN;
    if (obj->rng_failed)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM,
                               "objective \"%s\": noise generator could not be allocated",
                               obj->name);
    llmbo_status st = llmbo_space_check(obj->space, x, err);
    if (st != LLMBO_OK) {
        llmbo_error_prefix(err, "objective \"%s\"", obj->name);
        return st;
    }
    double v;
    if (obj->def)
        st = builtin_value(obj, x, obj->xbuf, &v, err);
    else
        st = llmbo_external_eval(obj->command, obj->space, obj->timeout_s, x, &v, err);
    if (st != LLMBO_OK)
        return st;
    if (obj->noise_sd > 0) {
        /* mt19937 uses 32 bits of its seed: fold the high half of the hash in. */
        uint64_t h = mix64(obj->noise_seed + 0x9e3779b97f4a7c15ULL * (obj->noise_index + 1));
        gsl_rng_set(obj->rng, (unsigned long)((h ^ (h >> 32)) & 0xffffffffUL));
        obj->noise_index++;
        v += gsl_ran_gaussian(obj->rng, obj->noise_sd);
    }
    *y = v;
    return LLMBO_OK;
}

llmbo_status llmbo_objective_eval_noise_free(const llmbo_objective *obj, const double *x, double *y,
                                             llmbo_error *err)
{
    if (!obj || !x || !y)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_eval_noise_free: NULL argument");
    *y = NAN;
    if (!obj->def)
        return llmbo_error_set(err, LLMBO_ERR_INVALID,
                               "objective \"%s\": no noise-free value (an external objective)",
                               obj->name);
    llmbo_status st = llmbo_space_check(obj->space, x, err);
    if (st != LLMBO_OK) {
        llmbo_error_prefix(err, "objective \"%s\"", obj->name);
        return st;
    }
    double v, *buf = NULL;
    /* a buffer of its own: obj->xbuf belongs to llmbo_objective_eval */
    if (obj->shift && !(buf = llmbo_malloc((size_t)obj->dim, sizeof(double))))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "objective \"%s\": out of memory", obj->name);
    st = builtin_value(obj, x, buf, &v, err);
    llmbo_free(buf);
    if (st != LLMBO_OK)
        return st;
    *y = v;
    return LLMBO_OK;
}

int llmbo_objective_count(void)
{
    return llmbo_objective_def_count();
}

const char *llmbo_objective_builtin_name(int i)
{
    const llmbo_objective_def *df = llmbo_objective_def_at(i);
    return df ? df->name : NULL;
}
