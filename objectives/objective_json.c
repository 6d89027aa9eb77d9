/* objective_json.c: the config's "objective" value and parameter lists, validated key by key.
 * Messages follow one pattern, "<where><.key path>: <what was expected>", so a user can find
 * the offending key; the exact texts are tabulated in docs/objectives.md and tested. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "json.h"
#include "objective_impl.h"
#include "objective_json.h"

/* Any failure but an allocation failure is a configuration error here. */
static llmbo_status as_config(llmbo_status st)
{
    return st == LLMBO_ERR_NOMEM ? st : LLMBO_ERR_CONFIG;
}

/* Optional string member: NULL if absent; error if present but not a string. */
static llmbo_status opt_string(const cJSON *obj, const char *path, const char *key,
                               const char **out, llmbo_error *err)
{
    *out = NULL;
    return llmbo_json_get_string(obj, path, key, out, err);
}

static const char *const param_types[] = {"continuous", "integer", "log", "categorical"};

static llmbo_status param_from_json(const cJSON *pj, const char *path, llmbo_space *space,
                                    llmbo_error *err)
{
    static const char *const keys[] = {"name", "type",        "bounds", "choices",
                                       "unit", "description", NULL};
    if (!cJSON_IsObject(pj))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected an object with \"name\" and \"bounds\" or \"choices\"",
                               path);
    llmbo_status st = llmbo_json_check_keys(pj, path, keys, err);
    if (st != LLMBO_OK)
        return st;
    llmbo_param p = {0};
    const char *type = NULL;
    if ((st = opt_string(pj, path, "name", &p.name, err)) != LLMBO_OK ||
        (st = opt_string(pj, path, "type", &type, err)) != LLMBO_OK ||
        (st = opt_string(pj, path, "unit", &p.unit, err)) != LLMBO_OK ||
        (st = opt_string(pj, path, "description", &p.description, err)) != LLMBO_OK)
        return st;
    if (!p.name || !p.name[0])
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.name: expected a non-empty string", path);
    for (int i = 0; i < llmbo_space_dim(space); i++)
        if (strcmp(llmbo_space_param(space, i)->name, p.name) == 0)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.name: duplicate parameter name \"%s\"", path, p.name);
    p.type = LLMBO_PARAM_CONTINUOUS;
    if (type) {
        int found = 0;
        for (int i = 0; i < 4; i++)
            if (strcmp(type, param_types[i]) == 0) {
                p.type = (llmbo_param_type)i;
                found = 1;
            }
        if (!found)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.type: unknown value \"%s\"; expected one of continuous, "
                                   "integer, log, categorical",
                                   path, type);
    }
    const cJSON *bounds = cJSON_GetObjectItemCaseSensitive(pj, "bounds");
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(pj, "choices");
    if (p.type == LLMBO_PARAM_CATEGORICAL) {
        if (bounds)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.bounds: not allowed for a categorical parameter (use "
                                   "\"choices\")",
                                   path);
        int n = cJSON_IsArray(choices) ? cJSON_GetArraySize(choices) : 0;
        if (n < 1)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.choices: expected a non-empty array of strings", path);
        const char **ch = llmbo_calloc((size_t)n, sizeof *ch);
        if (!ch)
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        int i = 0;
        for (const cJSON *c = choices->child; c; c = c->next, i++) {
            if (!cJSON_IsString(c)) {
                llmbo_free((void *)ch);
                return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.choices[%d]: expected a string",
                                       path, i);
            }
            for (int j = 0; j < i; j++)
                if (strcmp(ch[j], c->valuestring) == 0) {
                    llmbo_free((void *)ch);
                    return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                           "%s.choices[%d]: duplicate choice \"%s\"", path, i,
                                           c->valuestring);
                }
            ch[i] = c->valuestring;
        }
        p.n_choices = n;
        p.choices = ch;
        st = llmbo_space_add(space, &p, err);
        llmbo_free((void *)ch);
        if (st != LLMBO_OK) {
            llmbo_error_prefix(err, "%s", path);
            return as_config(st);
        }
        return LLMBO_OK;
    }
    if (choices)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.choices: only allowed for a categorical parameter", path);
    if (!cJSON_IsArray(bounds) || cJSON_GetArraySize(bounds) != 2 ||
        !cJSON_IsNumber(cJSON_GetArrayItem(bounds, 0)) ||
        !cJSON_IsNumber(cJSON_GetArrayItem(bounds, 1)))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.bounds: expected an array of two numbers",
                               path);
    p.lo = cJSON_GetArrayItem(bounds, 0)->valuedouble;
    p.hi = cJSON_GetArrayItem(bounds, 1)->valuedouble;
    if (isfinite(p.lo) && p.lo == p.hi)
        return llmbo_error_set(
            err, LLMBO_ERR_CONFIG,
            "%s.bounds: lo = hi = %.17g leaves nothing to optimise; a value that "
            "stays fixed is not a parameter: leave it out of parameters",
            path, p.lo);
    if (!isfinite(p.lo) || !isfinite(p.hi) || !(p.lo < p.hi))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.bounds: expected finite [lo, hi] with lo < hi (got [%g, %g])",
                               path, p.lo, p.hi);
    if (!isfinite(p.hi - p.lo))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.bounds: the width hi - lo overflows a double (got [%g, %g])",
                               path, p.lo, p.hi);
    if (p.type == LLMBO_PARAM_LOG && !(p.lo > 0))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.bounds: a log parameter needs lo > 0 (got %g)", path, p.lo);
    if (p.type == LLMBO_PARAM_INTEGER && (p.lo != floor(p.lo) || p.hi != floor(p.hi)))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.bounds: an integer parameter needs whole-number bounds (got "
                               "[%g, %g])",
                               path, p.lo, p.hi);
    if (p.type == LLMBO_PARAM_INTEGER &&
        (fabs(p.lo) > LLMBO_SPACE_INT_MAX || fabs(p.hi) > LLMBO_SPACE_INT_MAX))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.bounds: an integer parameter needs bounds within +-2^53 = "
                               "+-9007199254740992 (got [%g, %g])",
                               path, p.lo, p.hi);
    st = llmbo_space_add(space, &p, err);
    if (st != LLMBO_OK) {
        llmbo_error_prefix(err, "%s", path);
        return as_config(st);
    }
    return LLMBO_OK;
}

llmbo_status llmbo_space_from_json(const cJSON *arr, const char *where, llmbo_space **out,
                                   llmbo_error *err)
{
    if (!out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "space_from_json: NULL out");
    *out = NULL;
    if (!where)
        where = "parameters";
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected a non-empty array of parameter objects", where);
    llmbo_space *space = llmbo_space_create();
    if (!space)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    int i = 0;
    for (const cJSON *c = arr->child; c; c = c->next, i++) {
        char path[512];
        snprintf(path, sizeof path, "%s[%d]", where, i);
        llmbo_status st = param_from_json(c, path, space, err);
        if (st != LLMBO_OK) {
            llmbo_space_free(space);
            return st;
        }
    }
    *out = space;
    return LLMBO_OK;
}

/* noise_std: optional number >= 0. */
static llmbo_status noise_from_json(const cJSON *obj, const char *where, double *sd,
                                    llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "noise_std");
    *sd = 0;
    if (!v)
        return LLMBO_OK;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || !isfinite(v->valuedouble))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.noise_std: expected a finite number >= 0",
                               where);
    *sd = v->valuedouble;
    return LLMBO_OK;
}

static llmbo_status builtin_from_json(const cJSON *v, const char *where, llmbo_objective **out,
                                      double *noise, llmbo_error *err)
{
    static const char *const keys[] = {"type", "name", "dim", "noise_std", NULL};
    llmbo_status st = llmbo_json_check_keys(v, where, keys, err);
    if (st != LLMBO_OK)
        return st;
    const char *name;
    if ((st = opt_string(v, where, "name", &name, err)) != LLMBO_OK)
        return st;
    if (!name)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected \"name\" (a built-in objective) or \"type\": "
                               "\"external\"",
                               where);
    if ((st = noise_from_json(v, where, noise, err)) != LLMBO_OK)
        return st;
    const cJSON *dim = cJSON_GetObjectItemCaseSensitive(v, "dim");
    char spec[128];
    if (dim) {
        if (!cJSON_IsNumber(dim) || dim->valuedouble != floor(dim->valuedouble) ||
            dim->valuedouble < 1 || dim->valuedouble > LLMBO_OBJECTIVE_MAX_DIM)
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.dim: expected an integer in [1, %d]",
                                   where, LLMBO_OBJECTIVE_MAX_DIM);
        if (strchr(name, ':'))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.dim: the dimension is already given in name \"%s\"", where,
                                   name);
        snprintf(spec, sizeof spec, "%.100s:%d", name, (int)dim->valuedouble);
    } else {
        snprintf(spec, sizeof spec, "%.120s", name);
    }
    st = llmbo_objective_create(spec, out, err);
    if (st != LLMBO_OK) {
        llmbo_error_prefix(err, "%s", where);
        return as_config(st);
    }
    return LLMBO_OK;
}

static llmbo_status external_from_json(const cJSON *v, const char *where, llmbo_objective **out,
                                       double *noise, llmbo_error *err)
{
    static const char *const keys[] = {"type",        "name",      "command",
                                       "parameters",  "timeout",   "maximize",
                                       "description", "noise_std", NULL};
    llmbo_status st = llmbo_json_check_keys(v, where, keys, err);
    if (st != LLMBO_OK)
        return st;
    const char *command, *name, *desc;
    if ((st = opt_string(v, where, "command", &command, err)) != LLMBO_OK ||
        (st = opt_string(v, where, "name", &name, err)) != LLMBO_OK ||
        (st = opt_string(v, where, "description", &desc, err)) != LLMBO_OK)
        return st;
    if (!command || !command[0])
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.command: expected a non-empty string (run by /bin/sh -c)",
                               where);
    if (name && !name[0])
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.name: expected a non-empty string",
                               where);
    double timeout = 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "timeout");
    if (t) {
        if (!cJSON_IsNumber(t) || !(t->valuedouble > 0) || !isfinite(t->valuedouble))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.timeout: expected a number of seconds > 0", where);
        timeout = t->valuedouble;
    }
    int maximize = 0;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "maximize");
    if (m) {
        if (!cJSON_IsBool(m))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.maximize: expected true or false",
                                   where);
        maximize = cJSON_IsTrue(m);
    }
    if ((st = noise_from_json(v, where, noise, err)) != LLMBO_OK)
        return st;
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(v, "parameters");
    char path[512];
    snprintf(path, sizeof path, "%s.parameters", where);
    if (!params)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected a non-empty array of parameter objects", path);
    llmbo_space *space = NULL;
    if ((st = llmbo_space_from_json(params, path, &space, err)) != LLMBO_OK)
        return st;
    st = llmbo_objective_create_external(command, space, timeout, maximize, out, err);
    llmbo_space_free(space);
    if (st == LLMBO_OK)
        st = llmbo_objective_set_info(*out, name, desc, err);
    if (st != LLMBO_OK) {
        llmbo_objective_free(*out);
        *out = NULL;
        if (st != LLMBO_ERR_NOMEM)
            llmbo_error_prefix(err, "%s", where);
        return as_config(st);
    }
    return LLMBO_OK;
}

llmbo_status llmbo_objective_from_json(const cJSON *v, const char *where, uint64_t seed,
                                       llmbo_objective **out, llmbo_error *err)
{
    if (!out)
        return llmbo_error_set(err, LLMBO_ERR_INVALID, "objective_from_json: NULL out");
    *out = NULL;
    if (!where)
        where = "objective";
    if (!v)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s: missing", where);
    if (cJSON_IsString(v)) {
        llmbo_status st = llmbo_objective_create(v->valuestring, out, err);
        if (st != LLMBO_OK) {
            llmbo_error_prefix(err, "%s", where);
            return as_config(st);
        }
        return LLMBO_OK;
    }
    if (!cJSON_IsObject(v))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected a name string (\"branin\", \"ackley:5\") or an object",
                               where);
    const char *type = NULL;
    llmbo_status st = opt_string(v, where, "type", &type, err);
    if (st != LLMBO_OK)
        return st;
    double noise = 0;
    if (!type || strcmp(type, "builtin") == 0)
        st = builtin_from_json(v, where, out, &noise, err);
    else if (strcmp(type, "external") == 0)
        st = external_from_json(v, where, out, &noise, err);
    else
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.type: unknown value \"%s\"; expected one of builtin, external",
                               where, type);
    if (st != LLMBO_OK)
        return st;
    if (noise > 0) {
        llmbo_objective_set_noise(*out, noise, seed);
        if (llmbo_objective_noise(*out) != noise) {
            llmbo_objective_free(*out);
            *out = NULL;
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        }
    }
    return LLMBO_OK;
}

cJSON *llmbo_space_point_to_json(const llmbo_space *space, const double *x,
                                 cJSON *(*number)(double))
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    for (int i = 0; i < llmbo_space_dim(space); i++) {
        const llmbo_param *p = llmbo_space_param(space, i);
        cJSON *v;
        if (p->type == LLMBO_PARAM_CATEGORICAL) {
            int k = (int)x[i];
            v = cJSON_CreateString(k >= 0 && k < p->n_choices ? p->choices[k] : "?");
        } else {
            v = number(x[i]);
        }
        if (!v || !cJSON_AddItemToObject(o, p->name, v)) {
            cJSON_Delete(v);
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}
