/* json.c: cJSON getters that name the key's path, key checks, exact numbers (see json.h). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "json.h"
#include "names.h"

int llmbo_json_is_int(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
           v->valuedouble == floor(v->valuedouble) && v->valuedouble >= lo && v->valuedouble <= hi;
}

const char *llmbo_json_describe(const cJSON *v, char *buf, size_t n)
{
    if (cJSON_IsNumber(v))
        snprintf(buf, n, "%.15g", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, n, "\"%.40s%s\"", v->valuestring, strlen(v->valuestring) > 40 ? "..." : "");
    else if (cJSON_IsTrue(v))
        snprintf(buf, n, "true");
    else if (cJSON_IsFalse(v))
        snprintf(buf, n, "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, n, "null");
    else if (cJSON_IsArray(v))
        snprintf(buf, n, "an array");
    else if (cJSON_IsObject(v))
        snprintf(buf, n, "an object");
    else
        snprintf(buf, n, "an invalid value");
    return buf;
}

/* LLMBO_OK if ok, else the CONFIG error "WHERE.KEY: expected WHAT". */
static llmbo_status expect(int ok, const char *where, const char *key, const char *what,
                           llmbo_error *err)
{
    if (ok)
        return LLMBO_OK;
    return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s.%s: expected %s", where, key, what);
}

llmbo_status llmbo_json_get_int(const cJSON *obj, const char *where, const char *key, int lo,
                                int hi, int *out, llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char what[96];
    snprintf(what, sizeof what, "a whole number in [%d, %d]", lo, hi);
    llmbo_status st = v ? expect(llmbo_json_is_int(v, lo, hi), where, key, what, err) : LLMBO_OK;
    if (v && !st)
        *out = (int)v->valuedouble;
    return st;
}

llmbo_status llmbo_json_get_number(const cJSON *obj, const char *where, const char *key, double lo,
                                   double hi, double *out, llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char what[96];
    snprintf(what, sizeof what, "a number in [%g, %g]", lo, hi);
    int ok = cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= lo &&
             v->valuedouble <= hi;
    llmbo_status st = v ? expect(ok, where, key, what, err) : LLMBO_OK;
    if (v && !st)
        *out = v->valuedouble;
    return st;
}

llmbo_status llmbo_json_get_bool(const cJSON *obj, const char *where, const char *key, int *out,
                                 llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    llmbo_status st = v ? expect(cJSON_IsBool(v), where, key, "true or false", err) : LLMBO_OK;
    if (v && !st)
        *out = cJSON_IsTrue(v);
    return st;
}

llmbo_status llmbo_json_get_string(const cJSON *obj, const char *where, const char *key,
                                   const char **out, llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    llmbo_status st = v ? expect(cJSON_IsString(v), where, key, "a string", err) : LLMBO_OK;
    if (v && !st)
        *out = v->valuestring;
    return st;
}

llmbo_status llmbo_json_get_nonempty(const cJSON *obj, const char *where, const char *key,
                                     const char **out, llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    int ok = cJSON_IsString(v) && v->valuestring[0];
    llmbo_status st = v ? expect(ok, where, key, "a non-empty string", err) : LLMBO_OK;
    if (v && !st)
        *out = v->valuestring;
    return st;
}

llmbo_status llmbo_json_dup_string(const cJSON *obj, const char *where, const char *key,
                                   const char *def, char **out, llmbo_error *err)
{
    const char *s = def;
    llmbo_status st = llmbo_json_get_string(obj, where, key, &s, err);
    if (st)
        return st;
    *out = NULL;
    if (s && !(*out = llmbo_strdup(s)))
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", where);
    return LLMBO_OK;
}

const char *llmbo_json_key_list(const char *const *allowed, char *buf, size_t n)
{
    llmbo_names t = {allowed, sizeof allowed[0], 0};
    while (allowed[t.n])
        t.n++;
    return llmbo_names_list(&t, buf, n);
}

llmbo_status llmbo_json_check_keys(const cJSON *obj, const char *where, const char *const *allowed,
                                   llmbo_error *err)
{
    const char *w = where ? where : "";
    const char *sep = w[0] ? ": " : "";
    for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, it->string) == 0;
        if (!known) {
            char list[512];
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s%sunknown key \"%s\"; expected one of %s", w, sep, it->string,
                                   llmbo_json_key_list(allowed, list, sizeof list));
        }
        for (const cJSON *o = obj->child; o != it; o = o->next)
            if (strcmp(o->string, it->string) == 0)
                return llmbo_error_set(err, LLMBO_ERR_CONFIG, "%s%sduplicate key \"%s\"", w, sep,
                                       it->string);
    }
    return LLMBO_OK;
}

cJSON *llmbo_json_number(double v)
{
    if (!isfinite(v))
        return cJSON_CreateNull();
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return cJSON_CreateRaw(buf);
}

cJSON *llmbo_json_number_array(const double *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++) {
        cJSON *x = llmbo_json_number(v[i]);
        if (!x || !cJSON_AddItemToArray(a, x)) {
            cJSON_Delete(x);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

int llmbo_json_exact_numbers(cJSON *tree)
{
    if (!tree)
        return 1;
    for (cJSON *c = tree->child, *next; c; c = next) {
        next = c->next;
        if (!cJSON_IsNumber(c)) {
            if (!llmbo_json_exact_numbers(c))
                return 0;
            continue;
        }
        cJSON *x = llmbo_json_number(c->valuedouble); /* parsed, so finite */
        if (!x)
            return 0;
        /* The key moves to the replacement; cJSON_ReplaceItemViaPointer frees c. */
        x->string = c->string;
        x->type |= c->type & cJSON_StringIsConst;
        c->string = NULL;
        c->type &= ~cJSON_StringIsConst;
        cJSON_ReplaceItemViaPointer(tree, c, x);
    }
    return 1;
}

cJSON *llmbo_json_add_number(cJSON *o, const char *key, double v)
{
    cJSON *x = llmbo_json_number(v);
    return llmbo_json_add(o, key, x) ? x : NULL;
}

int llmbo_json_add(cJSON *o, const char *key, cJSON *v)
{
    if (!v)
        return 0;
    if (!cJSON_AddItemToObject(o, key, v)) {
        cJSON_Delete(v);
        return 0;
    }
    return 1;
}

cJSON *llmbo_json_read_file(const char *path, llmbo_error *err)
{
    size_t len;
    char *text = llmbo_read_file(path, &len, err);
    if (!text)
        return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j)
        llmbo_error_set(err, LLMBO_ERR_PARSE, "%s: invalid JSON near byte %ld", path,
                        end ? (long)(end - text) : 0L);
    llmbo_free(text);
    return j;
}

/* ---- the advisor cost record ---- */

typedef struct cost_field {
    const char *key;
    size_t offset;
    int is_long; /* a long counter, else a double */
} cost_field;

#define COST_LONG(m)                                                                               \
    {                                                                                              \
#m, offsetof(llmbo_cost, m), 1                                                             \
    }
#define COST_DOUBLE(m)                                                                             \
    {                                                                                              \
#m, offsetof(llmbo_cost, m), 0                                                             \
    }
static const cost_field cost_fields[] = {COST_LONG(calls),
                                         COST_LONG(retries),
                                         COST_LONG(prompt_tokens),
                                         COST_LONG(completion_tokens),
                                         COST_LONG(reasoning_tokens),
                                         COST_LONG(cached_tokens),
                                         COST_DOUBLE(dollars),
                                         COST_DOUBLE(seconds),
                                         COST_DOUBLE(cpu_seconds),
                                         COST_DOUBLE(cpu_dollars),
                                         COST_LONG(valid),
                                         COST_LONG(repaired),
                                         COST_LONG(fallback),
                                         COST_LONG(errors)};
#define N_COST_FIELDS (sizeof cost_fields / sizeof cost_fields[0])

cJSON *llmbo_cost_to_json(const llmbo_cost *c)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t k = 0; o && k < N_COST_FIELDS; k++) {
        const char *m = (const char *)c + cost_fields[k].offset;
        double v = cost_fields[k].is_long ? (double)*(const long *)(const void *)m
                                          : *(const double *)(const void *)m;
        if (!llmbo_json_add_number(o, cost_fields[k].key, v)) {
            cJSON_Delete(o);
            return NULL;
        }
    }
    return o;
}

void llmbo_cost_from_json(const cJSON *o, llmbo_cost *c)
{
    memset(c, 0, sizeof *c);
    if (!cJSON_IsObject(o))
        return;
    for (size_t k = 0; k < N_COST_FIELDS; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, cost_fields[k].key);
        /* A journal is a file anyone may edit: counts are clamped (a cast of 4e19 to long is
         * undefined behaviour) and amounts that are not finite read as 0, so that no inf
         * reaches summary.json. */
        double x = cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble > 0
                       ? v->valuedouble
                       : 0.0;
        char *m = (char *)c + cost_fields[k].offset;
        if (cost_fields[k].is_long)
            *(long *)(void *)m = llmbo_count_from_double(x);
        else
            *(double *)(void *)m = x;
    }
}

long llmbo_cost_failed(const llmbo_cost *c, long *asked)
{
    long failed = c->fallback + c->errors;
    if (asked)
        *asked = c->valid + c->repaired + failed;
    return failed;
}
