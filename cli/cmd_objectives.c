/* cmd_objectives.c: `llmbo objectives [--json]`: lists the built-in objectives with dimension,
 * bounds, sense and known optimum. Variable-dimension functions are shown at their default
 * dimension. The JSON form is an array of {"name", "spec", "dim", "variable_dim", "min_dim",
 * "bounds", "optimal_value", "optimizers", "maximize", "instances", "description"} (plus
 * "parameters" for the semantic objectives); unknown optima are null. Instances (NAME#K) are not
 * listed: they share the optimum value, and `llmbo eval NAME#K` evaluates them. */
#include <stdio.h>
#include <string.h>
#include <cJSON.h>
#include "cli.h"
#include "llmbo.h"
#include "objective_impl.h"

static void objectives_usage(FILE *f)
{
    fprintf(f, "usage: llmbo objectives [--json]\n\n"
               "Lists the built-in objectives: name, dimension, sense (min or max), known optimal\n"
               "value and bounds. Functions defined in any dimension are shown at their default\n"
               "dimension; use NAME:DIM elsewhere (e.g. ackley:10). Functions marked 'yes' under\n"
               "'inst' have instances NAME[:DIM]#K (K >= 1): the function shifted so that its\n"
               "optimiser moves inside the box, optimum value unchanged (docs/objectives.md).\n\n"
               "options:\n"
               "  --json       print a JSON array of {\"name\", \"dim\", \"bounds\", "
               "\"optimal_value\",\n"
               "               \"optimizers\", ...} instead of a table\n"
               "  -h, --help   show this help\n\n"
               "exit codes: 0 success, 1 failure, 2 usage error\n");
}

static const char *type_name(llmbo_param_type t)
{
    switch (t) {
    case LLMBO_PARAM_INTEGER:
        return "integer";
    case LLMBO_PARAM_LOG:
        return "log";
    case LLMBO_PARAM_CATEGORICAL:
        return "categorical";
    default:
        return "continuous";
    }
}

/* Adds one objective's JSON entry to arr; 0 on success. */
static int add_json(cJSON *arr, const llmbo_objective_def *df, const llmbo_objective *obj)
{
    const llmbo_space *sp = llmbo_objective_space(obj);
    int d = llmbo_objective_dim(obj);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o))
        return cJSON_Delete(o), -1;
    int ok = cJSON_AddStringToObject(o, "name", df->name) &&
             cJSON_AddStringToObject(o, "spec", llmbo_objective_name(obj)) &&
             cJSON_AddNumberToObject(o, "dim", d) &&
             cJSON_AddBoolToObject(o, "variable_dim", df->dim == 0) &&
             cJSON_AddNumberToObject(o, "min_dim", df->dim ? df->dim : df->min_dim);
    cJSON *b = ok ? cJSON_AddArrayToObject(o, "bounds") : NULL;
    ok = b != NULL;
    for (int i = 0; ok && i < d; i++) {
        const llmbo_param *p = llmbo_space_param(sp, i);
        double lh[2] = {p->lo, p->hi};
        cJSON *pair = cJSON_CreateDoubleArray(lh, 2);
        ok = pair && cJSON_AddItemToArray(b, pair);
    }
    double v;
    if (ok) {
        if (llmbo_objective_optimal_value(obj, &v))
            ok = cJSON_AddNumberToObject(o, "optimal_value", v) != NULL;
        else
            ok = cJSON_AddNullToObject(o, "optimal_value") != NULL;
    }
    const double *xs;
    int n = llmbo_objective_optimizers(obj, &xs);
    if (ok && n == 0) {
        ok = cJSON_AddNullToObject(o, "optimizers") != NULL;
    } else if (ok) {
        cJSON *opts = cJSON_AddArrayToObject(o, "optimizers");
        ok = opts != NULL;
        for (int k = 0; ok && k < n; k++) {
            cJSON *pt = cJSON_CreateDoubleArray(xs + (size_t)k * d, d);
            ok = pt && cJSON_AddItemToArray(opts, pt);
        }
    }
    ok = ok && cJSON_AddBoolToObject(o, "maximize", llmbo_objective_maximize(obj)) &&
         cJSON_AddBoolToObject(o, "instances", llmbo_objective_has_instances(df->name)) &&
         cJSON_AddStringToObject(o, "description", llmbo_objective_description(obj));
    if (ok && df->params) {
        cJSON *ps = cJSON_AddArrayToObject(o, "parameters");
        ok = ps != NULL;
        for (int i = 0; ok && i < d; i++) {
            const llmbo_param *p = llmbo_space_param(sp, i);
            cJSON *pj = cJSON_CreateObject();
            ok = pj && cJSON_AddItemToArray(ps, pj) &&
                 cJSON_AddStringToObject(pj, "name", p->name) &&
                 cJSON_AddStringToObject(pj, "type", type_name(p->type)) &&
                 cJSON_AddStringToObject(pj, "unit", p->unit ? p->unit : "") &&
                 cJSON_AddStringToObject(pj, "description", p->description ? p->description : "");
        }
    }
    return ok ? 0 : -1;
}

static void print_row(const llmbo_objective_def *df, const llmbo_objective *obj)
{
    const llmbo_space *sp = llmbo_objective_space(obj);
    int d = llmbo_objective_dim(obj);
    char dim[32], opt[40], bounds[160];
    if (df->dim)
        snprintf(dim, sizeof dim, "%d", d);
    else if (df->dim_step > 1)
        snprintf(dim, sizeof dim, "%d (%dk)", d, df->dim_step);
    else
        snprintf(dim, sizeof dim, "%d (>=%d)", d, df->min_dim);
    double v;
    if (llmbo_objective_optimal_value(obj, &v))
        snprintf(opt, sizeof opt, "%.17g", v);
    else
        snprintf(opt, sizeof opt, "unknown");
    /* Uniform bounds print as [lo, hi]^d, others coordinate by coordinate. */
    int uniform = 1;
    for (int i = 1; i < d; i++) {
        const llmbo_param *p = llmbo_space_param(sp, i), *p0 = llmbo_space_param(sp, 0);
        if (p->lo != p0->lo || p->hi != p0->hi || p->type != p0->type)
            uniform = 0;
    }
    const llmbo_param *p0 = llmbo_space_param(sp, 0);
    if (df->params) {
        size_t off = 0;
        bounds[0] = '\0';
        for (int i = 0; i < d && off < sizeof bounds; i++) {
            const llmbo_param *p = llmbo_space_param(sp, i);
            off += (size_t)snprintf(bounds + off, sizeof bounds - off, "%s%s [%g, %g] %s",
                                    i ? ", " : "", p->name, p->lo, p->hi, p->unit ? p->unit : "");
        }
    } else if (uniform) {
        snprintf(bounds, sizeof bounds, "[%g, %g]^%d", p0->lo, p0->hi, d);
    } else {
        size_t off = 0;
        bounds[0] = '\0';
        for (int i = 0; i < d && off < sizeof bounds; i++) {
            const llmbo_param *p = llmbo_space_param(sp, i);
            off += (size_t)snprintf(bounds + off, sizeof bounds - off, "%s[%g, %g]", i ? " x " : "",
                                    p->lo, p->hi);
        }
    }
    printf("%-18s %-9s %-5s %-24s %-4s %s\n", llmbo_objective_name(obj), dim,
           llmbo_objective_maximize(obj) ? "max" : "min", opt,
           llmbo_objective_has_instances(df->name) ? "yes" : "-", bounds);
}

int llmbo_cmd_objectives(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            objectives_usage(stdout);
            return LLMBO_EXIT_OK;
        } else {
            fprintf(stderr, "llmbo objectives: unknown argument '%s'\n\n", argv[i]);
            objectives_usage(stderr);
            return LLMBO_EXIT_USAGE;
        }
    }
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (json && !arr) {
        fprintf(stderr, "llmbo objectives: out of memory\n");
        return LLMBO_EXIT_FAILURE;
    }
    if (!json)
        printf("%-18s %-9s %-5s %-24s %-4s %s\n", "name", "dim", "sense", "optimum", "inst",
               "bounds");
    for (int i = 0; i < llmbo_objective_def_count(); i++) {
        const llmbo_objective_def *df = llmbo_objective_def_at(i);
        llmbo_objective *obj = NULL;
        llmbo_error err = {0};
        if (llmbo_objective_create(df->name, &obj, &err) != LLMBO_OK) {
            fprintf(stderr, "llmbo objectives: %s\n", err.msg);
            cJSON_Delete(arr);
            return LLMBO_EXIT_FAILURE;
        }
        int bad = 0;
        if (json)
            bad = add_json(arr, df, obj) != 0;
        else
            print_row(df, obj);
        llmbo_objective_free(obj);
        if (bad) {
            fprintf(stderr, "llmbo objectives: out of memory\n");
            cJSON_Delete(arr);
            return LLMBO_EXIT_FAILURE;
        }
    }
    if (json) {
        char *s = cJSON_Print(arr);
        cJSON_Delete(arr);
        if (!s) {
            fprintf(stderr, "llmbo objectives: out of memory\n");
            return LLMBO_EXIT_FAILURE;
        }
        printf("%s\n", s);
        cJSON_free(s);
    }
    return LLMBO_EXIT_OK;
}
