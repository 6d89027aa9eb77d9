/* cost.c: what an advisor call costs. Token prices are USD per million tokens: uncached prompt
 * tokens at "input", cached prompt tokens at "cached_input", completion tokens at "output".
 * Every API we speak counts reasoning (thinking) tokens inside the completion tokens, so they
 * are billed as output without being added twice. Local backends cost CPU time instead:
 * cpu_seconds * price_per_cpu_hour / 3600, kept apart as cpu_dollars. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llmbo_common.h"
#include "llm_impl.h"
#include "fileio.h"

static llmbo_status price_number(const cJSON *obj, const char *key, const char *where, double *out,
                                 llmbo_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s.%s: expected a price >= 0 in USD per million tokens", where,
                               key);
    *out = v->valuedouble;
    return LLMBO_OK;
}

llmbo_status llmbo_price_parse(const cJSON *obj, const char *where, llmbo_price *p,
                               llmbo_error *err)
{
    memset(p, 0, sizeof *p);
    if (!cJSON_IsObject(obj))
        return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                               "%s: expected {\"input\": .., \"cached_input\": .., \"output\": ..}",
                               where);
    const cJSON *e;
    cJSON_ArrayForEach(e, obj)
    {
        if (strcmp(e->string, "input") && strcmp(e->string, "cached_input") &&
            strcmp(e->string, "output") && strcmp(e->string, "vendor") && strcmp(e->string, "note"))
            return llmbo_error_set(err, LLMBO_ERR_CONFIG,
                                   "%s.%s: unknown key (expected input, cached_input, output)",
                                   where, e->string);
    }
    llmbo_status st;
    if ((st = price_number(obj, "input", where, &p->input, err)) ||
        (st = price_number(obj, "output", where, &p->output, err)))
        return st;
    p->cached_input = p->input;
    if (cJSON_GetObjectItemCaseSensitive(obj, "cached_input") &&
        (st = price_number(obj, "cached_input", where, &p->cached_input, err)))
        return st;
    snprintf(p->source, sizeof p->source, "%s", where);
    return LLMBO_OK;
}

/* Longest key of models that equals name, or is a prefix of it followed by '-'. */
static const cJSON *match(const cJSON *models, const char *name)
{
    const cJSON *best = NULL, *m;
    size_t best_len = 0;
    cJSON_ArrayForEach(m, models)
    {
        size_t n = strlen(m->string);
        if (strncmp(name, m->string, n) != 0)
            continue;
        if (name[n] == '\0')
            return m;
        if (name[n] == '-' && n > best_len) {
            best = m;
            best_len = n;
        }
    }
    return best;
}

llmbo_status llmbo_price_lookup(const char *model, const char *price_file, llmbo_price *p,
                                llmbo_error *err)
{
    memset(p, 0, sizeof *p);
    char *text = NULL;
    const char *src = "data/prices.json (built in)";
    if (price_file) {
        text = llmbo_read_file(price_file, NULL, NULL);
        if (!text)
            return llmbo_error_set(err, LLMBO_ERR_IO, "price file %s cannot be read", price_file);
        src = price_file;
    }
    cJSON *root = cJSON_Parse(text ? text : (const char *)llmbo_prices_json);
    llmbo_free(text);
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    if (!cJSON_IsObject(models)) {
        cJSON_Delete(root);
        return llmbo_error_set(err, LLMBO_ERR_FORMAT,
                               "price file %s: expected {\"models\": {\"name\": {\"input\": .., "
                               "\"cached_input\": .., \"output\": ..}}}",
                               src);
    }
    const cJSON *m = match(models, model);
    const char *slash = strrchr(model, '/');
    if (!m && slash)
        m = match(models, slash + 1); /* "openai/gpt-4o" on OpenRouter */
    if (!m) {
        cJSON_Delete(root);
        return llmbo_error_set(err, LLMBO_ERR_NOT_FOUND, "no price for model \"%s\" in %s", model,
                               src);
    }
    char where[256];
    snprintf(where, sizeof where, "%s: models.%s", src, m->string);
    llmbo_status st = llmbo_price_parse(m, where, p, err);
    const cJSON *read = cJSON_GetObjectItemCaseSensitive(root, "read");
    if (st == LLMBO_OK)
        snprintf(p->source, sizeof p->source, "%s: %s (read %s)", src, m->string,
                 cJSON_IsString(read) ? read->valuestring : "?");
    cJSON_Delete(root);
    return st;
}

double llmbo_price_dollars(const llmbo_price *p, long prompt, long cached, long completion)
{
    if (cached > prompt)
        cached = prompt;
    return ((double)(prompt - cached) * p->input + (double)cached * p->cached_input +
            (double)completion * p->output) *
           1e-6;
}

double llmbo_cost_add_call(llmbo_cost *c, const llmbo_price *p, double price_per_cpu_hour,
                           const llmbo_chat_reply *r, double *cpu_dollars)
{
    double d =
        p ? llmbo_price_dollars(p, r->prompt_tokens, r->cached_tokens, r->completion_tokens) : 0.0;
    double cd = r->cpu_seconds * price_per_cpu_hour / 3600.0;
    c->calls++;
    /* Saturating sums: the counts come from servers and files (signed overflow is UB). */
    c->retries = llmbo_count_add(c->retries, r->retries);
    c->prompt_tokens = llmbo_count_add(c->prompt_tokens, r->prompt_tokens);
    c->completion_tokens = llmbo_count_add(c->completion_tokens, r->completion_tokens);
    c->reasoning_tokens = llmbo_count_add(c->reasoning_tokens, r->reasoning_tokens);
    c->cached_tokens = llmbo_count_add(c->cached_tokens, r->cached_tokens);
    c->dollars += d;
    c->seconds += r->seconds;
    c->cpu_seconds += r->cpu_seconds;
    c->cpu_dollars += cd;
    if (cpu_dollars)
        *cpu_dollars = cd;
    return d;
}
