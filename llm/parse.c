/* parse.c: getting advice out of what real models write. Reasoning blocks are cut out first
 * (<think>, <thinking>, <reasoning>; also the tail of a "...</think>" whose opening tag was in
 * the prompt template, and an unclosed block cut off by max_tokens). Then balanced {...} spans
 * are located with a string-aware brace counter and handed to cJSON; the last span that parses
 * is the answer, which skips code fences and prose. Nested fragments of a span that fails to
 * parse are never used: a syntax error in the answer is reported as such. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "llm_impl.h"

/* ---- reasoning blocks -------------------------------------------------------------------- */

static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == needle[i])
            i++;
        if (i == n)
            return hay;
    }
    return NULL;
}

static const char *const tags[] = {"think", "thinking", "reasoning"};

/* Earliest opening tag at or after p: sets *tag and returns its position, or NULL. One pass
 * over the text, so an answer of many blocks is split in linear time (searching each tag to
 * the end of the text from every block made 4,000 empty blocks take seconds). */
static const char *next_open(const char *p, int *tag)
{
    for (const char *q = strchr(p, '<'); q; q = strchr(q + 1, '<')) {
        for (int t = 0; t < 3; t++) {
            size_t n = strlen(tags[t]), i = 0;
            while (i < n && tolower((unsigned char)q[1 + i]) == tags[t][i])
                i++;
            if (i == n && q[1 + n] == '>') {
                *tag = t;
                return q;
            }
        }
    }
    return NULL;
}

/* Splits text into answer (outside blocks) and reasoning (inside). */
static llmbo_status strip_reasoning(const char *text, llmbo_strbuf *answer, llmbo_strbuf *reason,
                                    int *blocks)
{
    *blocks = 0;
    const char *p = text;
    /* A closing tag before any opening one: the block was opened by the prompt template. */
    for (int t = 0; t < 3; t++) {
        char open[16], close[16];
        snprintf(open, sizeof open, "<%s>", tags[t]);
        snprintf(close, sizeof close, "</%s>", tags[t]);
        const char *c = find_ci(p, close), *o = find_ci(p, open);
        if (c && (!o || c < o)) {
            llmbo_strbuf_add(reason, p, (size_t)(c - p));
            p = c + strlen(close);
            (*blocks)++;
            break;
        }
    }
    for (;;) {
        int t = 0;
        const char *o = next_open(p, &t);
        if (!o) {
            llmbo_strbuf_add(answer, p, strlen(p));
            break;
        }
        llmbo_strbuf_add(answer, p, (size_t)(o - p));
        char close[16];
        snprintf(close, sizeof close, "</%s>", tags[t]);
        const char *body = o + strlen(tags[t]) + 2;
        const char *c = find_ci(body, close);
        (*blocks)++;
        if (reason->len)
            llmbo_strbuf_add(reason, "\n", 1);
        if (!c) { /* unclosed: cut off by the token limit; everything after is reasoning */
            llmbo_strbuf_add(reason, body, strlen(body));
            break;
        }
        llmbo_strbuf_add(reason, body, (size_t)(c - body));
        p = c + strlen(close);
    }
    if (!answer->s)
        llmbo_strbuf_add(answer, "", 0);
    return answer->oom || reason->oom ? LLMBO_ERR_NOMEM : LLMBO_OK;
}

/* ---- JSON spans -------------------------------------------------------------------------- */

/* End (one past the closing bracket) of the balanced span starting at s[0] in {'{', '['}, or
 * NULL if it never closes. Brackets inside strings do not count. */
static const char *span_end(const char *s)
{
    int depth = 0, in_str = 0;
    for (const char *p = s; *p; p++) {
        if (in_str) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_str = 0;
            continue;
        }
        if (*p == '"')
            in_str = 1;
        else if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']') {
            if (--depth == 0)
                return p + 1;
        }
    }
    return NULL;
}

/* Scans the top-level balanced spans ({...} or [...]) of text left to right and parses each
 * with cJSON. Returns the last one that parses as an object, else the last that parses as an
 * array, else NULL with *bad_start / *bad_off locating the syntax error of the last span. */
static cJSON *last_span(const char *text, const char **bad_start, size_t *bad_off)
{
    cJSON *obj = NULL, *arr = NULL;
    const char *p = text;
    *bad_start = NULL;
    while ((p = strpbrk(p, "{[")) != NULL) {
        const char *e = span_end(p);
        if (!e) {
            if (!obj && !arr) {
                *bad_start = p;
                *bad_off = strlen(p);
            }
            break;
        }
        const char *end_ptr = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(p, (size_t)(e - p), &end_ptr, 0);
        if (cJSON_IsObject(j)) {
            cJSON_Delete(obj);
            obj = j;
        } else if (j) {
            cJSON_Delete(arr);
            arr = j;
        } else if (*p == '{' || (!obj && !arr)) {
            *bad_start = p;
            *bad_off = end_ptr && end_ptr >= p ? (size_t)(end_ptr - p) : 0;
        }
        p = e;
    }
    if (obj) {
        cJSON_Delete(arr);
        *bad_start = NULL;
        return obj;
    }
    if (arr)
        *bad_start = NULL;
    return arr;
}

llmbo_status llmbo_answer_extract(const char *text, cJSON **json, char **think, int *n_think,
                                  llmbo_error *err)
{
    *json = NULL;
    if (think)
        *think = NULL;
    if (n_think)
        *n_think = 0;
    if (!text)
        text = "";
    llmbo_strbuf ans = {0}, rea = {0};
    int blocks = 0;
    if (strip_reasoning(text, &ans, &rea, &blocks) != LLMBO_OK) {
        llmbo_free(ans.s);
        llmbo_free(rea.s);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "answer: out of memory");
    }
    const char *bad = NULL;
    size_t bad_off = 0;
    cJSON *j = last_span(ans.s, &bad, &bad_off);
    llmbo_status st = LLMBO_OK;
    if (!j && bad) {
        size_t blen = strlen(bad);
        size_t at = bad_off < blen ? bad_off : blen;
        size_t from = at > 20 ? at - 20 : 0;
        char near[48];
        size_t k = 0;
        for (size_t i = from; i < blen && k < sizeof near - 1 && i < at + 20; i++)
            near[k++] = (bad[i] == '\n' || bad[i] == '\r' || bad[i] == '\t') ? ' ' : bad[i];
        near[k] = '\0';
        st = llmbo_error_set(err, LLMBO_ERR_PARSE,
                             "the answer's JSON is not valid: syntax error at byte %zu of the "
                             "block starting at byte %zu of the answer, near \"%s\"",
                             at, (size_t)(bad - ans.s), near);
    } else if (!j) {
        st = llmbo_error_set(err, LLMBO_ERR_PARSE, "the answer contains no JSON object%s",
                             blocks ? " outside its reasoning" : "");
    }
    *json = j;
    if (n_think)
        *n_think = blocks;
    if (think && rea.len) {
        *think = rea.s;
        rea.s = NULL;
    }
    llmbo_free(ans.s);
    llmbo_free(rea.s);
    return st;
}

/* ---- validation -------------------------------------------------------------------------- */

typedef struct problems {
    char msg[900];
    size_t len;
    int n;
} problems;

static void problem(problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(problems *p, const char *fmt, ...)
{
    p->n++;
    if (p->n > 6) {
        if (p->n == 7 && p->len + 8 < sizeof p->msg)
            p->len += (size_t)snprintf(p->msg + p->len, sizeof p->msg - p->len, "; ...");
        return;
    }
    if (p->len + 3 >= sizeof p->msg)
        return;
    if (p->len) {
        p->len += (size_t)snprintf(p->msg + p->len, sizeof p->msg - p->len, "; ");
        if (p->len >= sizeof p->msg)
            p->len = sizeof p->msg - 1;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p->msg + p->len, sizeof p->msg - p->len, fmt, ap);
    va_end(ap);
    if (w > 0)
        p->len += (size_t)w;
    if (p->len >= sizeof p->msg)
        p->len = sizeof p->msg - 1;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

/* Checks one coordinate value v of parameter prm; on success *out holds it in original units. */
static int check_value(const llmbo_param *prm, const cJSON *v, int ip, double *out, problems *pr)
{
    if (prm->type == LLMBO_PARAM_CATEGORICAL) {
        if (!cJSON_IsString(v)) {
            problem(pr, "point %d: %s must be one of the choice names (a string), got %s", ip,
                    prm->name, type_name(v));
            return 0;
        }
        for (int c = 0; c < prm->n_choices; c++)
            if (strcmp(v->valuestring, prm->choices[c]) == 0) {
                *out = c;
                return 1;
            }
        problem(pr, "point %d: %s = \"%.40s\" is not one of its choices", ip, prm->name,
                v->valuestring);
        return 0;
    }
    if (!cJSON_IsNumber(v)) {
        problem(pr, "point %d: %s must be a number, got %s", ip, prm->name, type_name(v));
        return 0;
    }
    double x = v->valuedouble;
    if (!isfinite(x)) {
        problem(pr, "point %d: %s is not finite", ip, prm->name);
        return 0;
    }
    /* A bound computed in floating point (a step frame's -u_best, say) may lie a rounding error
     * inside the decimal a model writes for it: values within 1e-9 of the range (the tolerance
     * of llmbo_points_same) beyond a bound are that bound. */
    double tol = 1e-9 * (prm->hi > prm->lo ? prm->hi - prm->lo : 1.0);
    if (x < prm->lo - tol || x > prm->hi + tol) {
        problem(pr, "point %d: %s = %.10g is outside its bounds [%.10g, %.10g]", ip, prm->name, x,
                prm->lo, prm->hi);
        return 0;
    }
    x = x < prm->lo ? prm->lo : x > prm->hi ? prm->hi : x;
    if (prm->type == LLMBO_PARAM_INTEGER && x != floor(x)) {
        problem(pr, "point %d: %s = %.10g must be a whole number", ip, prm->name, x);
        return 0;
    }
    *out = x;
    return 1;
}

int llmbo_points_same(const llmbo_space *space, const double *a, const double *b)
{
    int d = llmbo_space_dim(space);
    for (int j = 0; j < d; j++) {
        const llmbo_param *p = llmbo_space_param(space, j);
        double scale = p->type == LLMBO_PARAM_CATEGORICAL ? 1.0 : fabs(p->hi - p->lo);
        if (fabs(a[j] - b[j]) > 1e-9 * (scale > 0 ? scale : 1.0))
            return 0;
    }
    return 1;
}

llmbo_status llmbo_answer_points(const cJSON *root, const llmbo_space *space, int n_want,
                                 const double *hist_x, int n_hist, double *x, int *n_x,
                                 int *n_extra, llmbo_error *err)
{
    *n_x = 0;
    if (n_extra)
        *n_extra = 0;
    int d = llmbo_space_dim(space);
    const cJSON *pts = NULL;
    int single = 0;
    if (cJSON_IsArray(root))
        pts = root;
    else if (cJSON_IsObject(root)) {
        pts = cJSON_GetObjectItemCaseSensitive(root, "points");
        if (!pts && cJSON_GetObjectItemCaseSensitive(root, llmbo_space_param(space, 0)->name)) {
            pts = root; /* a single point written without the wrapper */
            single = 1;
        }
    }
    if (!pts)
        return llmbo_error_set(
            err, LLMBO_ERR_VALIDATION,
            "the answer has no \"points\" array (expected {\"points\": [{\"%s\": "
            "...}, ...]})",
            llmbo_space_param(space, 0)->name);
    if (!single && !cJSON_IsArray(pts))
        return llmbo_error_set(err, LLMBO_ERR_VALIDATION, "\"points\" must be an array, got %s",
                               type_name(pts));
    int n_got = single ? 1 : cJSON_GetArraySize(pts);
    if (n_got < n_want)
        return llmbo_error_set(err, LLMBO_ERR_VALIDATION,
                               "the answer has %d point%s, %d %s asked for", n_got,
                               n_got == 1 ? "" : "s", n_want, n_want == 1 ? "was" : "were");
    problems pr = {{0}, 0, 0};
    for (int i = 0; i < n_want; i++) {
        const cJSON *pt = single ? pts : cJSON_GetArrayItem(pts, i);
        double *xi = x + (size_t)i * (size_t)d;
        int ok = 1;
        if (cJSON_IsArray(pt)) {
            int m = cJSON_GetArraySize(pt);
            if (m != d) {
                problem(&pr, "point %d has %d coordinates, the space has %d", i, m, d);
                continue;
            }
            for (int j = 0; j < d; j++)
                ok &= check_value(llmbo_space_param(space, j), cJSON_GetArrayItem(pt, j), i, &xi[j],
                                  &pr);
        } else if (cJSON_IsObject(pt)) {
            const cJSON *e;
            cJSON_ArrayForEach(e, pt)
            {
                int known = 0;
                for (int j = 0; j < d && !known; j++)
                    known = strcmp(e->string, llmbo_space_param(space, j)->name) == 0;
                if (!known) {
                    problem(&pr, "point %d: \"%.40s\" is not a parameter", i, e->string);
                    ok = 0;
                }
            }
            for (int j = 0; j < d; j++) {
                const llmbo_param *prm = llmbo_space_param(space, j);
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(pt, prm->name);
                if (!v) {
                    problem(&pr, "point %d: %s is missing", i, prm->name);
                    ok = 0;
                    continue;
                }
                ok &= check_value(prm, v, i, &xi[j], &pr);
            }
        } else {
            problem(&pr, "point %d must be an object of parameter values, got %s", i,
                    type_name(pt));
            continue;
        }
        if (!ok)
            continue;
        for (int h = 0; h < n_hist; h++)
            if (llmbo_points_same(space, xi, hist_x + (size_t)h * (size_t)d)) {
                problem(&pr, "point %d repeats evaluation #%d", i, h);
                ok = 0;
                break;
            }
        for (int k = 0; ok && k < i; k++)
            if (llmbo_points_same(space, xi, x + (size_t)k * (size_t)d)) {
                problem(&pr, "point %d repeats point %d", i, k);
                break;
            }
    }
    if (pr.n)
        return llmbo_error_set(err, LLMBO_ERR_VALIDATION, "%s", pr.msg);
    *n_x = n_want;
    if (n_extra)
        *n_extra = n_got - n_want;
    return LLMBO_OK;
}

llmbo_status llmbo_answer_ranking(const cJSON *root, int n_cand, int n_want, int *order,
                                  int *n_order, llmbo_error *err)
{
    *n_order = 0;
    const cJSON *arr = NULL;
    int need = n_want < n_cand ? n_want : n_cand;
    if (need < 1)
        need = 1;
    if (cJSON_IsArray(root))
        arr = root;
    else if (cJSON_IsObject(root)) {
        arr = cJSON_GetObjectItemCaseSensitive(root, "ranking");
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(root, "choice");
        if (!arr && ch) {
            if (!cJSON_IsNumber(ch) || ch->valuedouble != floor(ch->valuedouble) ||
                ch->valuedouble < 0 || ch->valuedouble >= n_cand)
                return llmbo_error_set(err, LLMBO_ERR_VALIDATION,
                                       "\"choice\" must be a candidate index from 0 to %d",
                                       n_cand - 1);
            if (need > 1)
                return llmbo_error_set(err, LLMBO_ERR_VALIDATION,
                                       "a single \"choice\" was given, %d indices were asked for",
                                       need);
            order[0] = ch->valueint;
            *n_order = 1;
            return LLMBO_OK;
        }
    }
    if (!cJSON_IsArray(arr))
        return llmbo_error_set(err, LLMBO_ERR_VALIDATION,
                               "the answer has no \"ranking\" array (expected {\"ranking\": [i, j, "
                               "...]} with candidate indices)");
    int m = cJSON_GetArraySize(arr);
    problems pr = {{0}, 0, 0};
    if (m < need)
        problem(&pr, "the ranking has %d entr%s, at least %d %s asked for", m, m == 1 ? "y" : "ies",
                need, need == 1 ? "was" : "were");
    if (m > n_cand)
        problem(&pr, "the ranking has %d entries but there are only %d candidates", m, n_cand);
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (k >= n_cand)
            break;
        if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) ||
            e->valuedouble != floor(e->valuedouble)) {
            problem(&pr, "ranking entry %d is %s, not a whole number", k, type_name(e));
        } else if (e->valuedouble < 0 || e->valuedouble >= n_cand) {
            problem(&pr, "ranking entry %d = %.10g is not a candidate index (0 to %d)", k,
                    e->valuedouble, n_cand - 1);
        } else {
            int v = (int)e->valuedouble, dup = 0;
            for (int i = 0; i < k; i++)
                dup |= order[i] == v;
            if (dup)
                problem(&pr, "candidate %d appears twice in the ranking", v);
            order[k] = v;
        }
        k++;
    }
    if (pr.n)
        return llmbo_error_set(err, LLMBO_ERR_VALIDATION, "%s", pr.msg);
    *n_order = k;
    return LLMBO_OK;
}

/* ---- schema ------------------------------------------------------------------------------ */

static cJSON *param_schema(const llmbo_param *p)
{
    cJSON *s = cJSON_CreateObject();
    if (!s)
        return NULL;
    int ok;
    if (p->type == LLMBO_PARAM_CATEGORICAL) {
        cJSON *en = cJSON_CreateStringArray(p->choices, p->n_choices);
        ok = cJSON_AddStringToObject(s, "type", "string") && en &&
             cJSON_AddItemToObject(s, "enum", en);
        if (!ok && en && !cJSON_GetObjectItemCaseSensitive(s, "enum"))
            cJSON_Delete(en);
    } else {
        ok = cJSON_AddStringToObject(s, "type",
                                     p->type == LLMBO_PARAM_INTEGER ? "integer" : "number") &&
             cJSON_AddNumberToObject(s, "minimum", p->lo) &&
             cJSON_AddNumberToObject(s, "maximum", p->hi);
    }
    if (!ok) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

cJSON *llmbo_answer_schema(const llmbo_answer_format *fmt)
{
    if (!fmt || fmt->kind == LLMBO_ANSWER_FREE)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *props = root ? cJSON_AddObjectToObject(root, "properties") : NULL;
    int ok = props && cJSON_AddStringToObject(root, "type", "object") &&
             cJSON_AddFalseToObject(root, "additionalProperties");
    const char *key = fmt->kind == LLMBO_ANSWER_POINTS ? "points" : "ranking";
    cJSON *req = ok ? cJSON_CreateStringArray(&key, 1) : NULL;
    ok = ok && req && cJSON_AddItemToObject(root, "required", req);
    cJSON *arr = ok ? cJSON_AddObjectToObject(props, key) : NULL;
    ok = ok && arr && cJSON_AddStringToObject(arr, "type", "array");
    cJSON *items = ok ? cJSON_AddObjectToObject(arr, "items") : NULL;
    ok = ok && items;
    if (ok && fmt->kind == LLMBO_ANSWER_RANKING) {
        ok = cJSON_AddStringToObject(items, "type", "integer") &&
             cJSON_AddNumberToObject(items, "minimum", 0) &&
             cJSON_AddNumberToObject(items, "maximum", fmt->n_rank - 1) &&
             cJSON_AddNumberToObject(arr, "minItems", fmt->n_choose) &&
             cJSON_AddNumberToObject(arr, "maxItems", fmt->n_rank);
    } else if (ok) {
        int d = llmbo_space_dim(fmt->space);
        cJSON *ip = cJSON_AddObjectToObject(items, "properties");
        cJSON *ireq = cJSON_AddArrayToObject(items, "required");
        ok = ip && ireq && cJSON_AddStringToObject(items, "type", "object") &&
             cJSON_AddFalseToObject(items, "additionalProperties") &&
             cJSON_AddNumberToObject(arr, "minItems", fmt->n_points) &&
             cJSON_AddNumberToObject(arr, "maxItems", fmt->n_points);
        for (int j = 0; ok && j < d; j++) {
            const llmbo_param *p = llmbo_space_param(fmt->space, j);
            cJSON *ps = param_schema(p);
            cJSON *nm = cJSON_CreateString(p->name);
            ok = ps && nm && cJSON_AddItemToObject(ip, p->name, ps);
            if (!ok) {
                cJSON_Delete(ps);
                cJSON_Delete(nm);
                break;
            }
            ok = cJSON_AddItemToArray(ireq, nm);
        }
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
