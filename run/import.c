/* import.c: warm-start observations from journals and CSV files (import.h). The CSV reader
 * follows RFC 4180 (comma separator, optional double quotes, "" inside quotes, CRLF or LF) and
 * is strict: every parameter once, one value column, no unknown column, the same number of
 * fields on every row; it never reads past len and keeps no line longer than the input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "json.h"
#include "strbuf.h"
#include "journal.h"
#include "import.h"

void llmbo_import_init(llmbo_import *im, int d)
{
    memset(im, 0, sizeof *im);
    im->d = d;
}

void llmbo_import_free(llmbo_import *im)
{
    if (!im)
        return;
    llmbo_free(im->X);
    llmbo_free(im->y);
    llmbo_free(im->failed);
    llmbo_import_init(im, im->d);
}

static llmbo_status push(llmbo_import *im, const double *x, double y, int failed)
{
    if (im->n == im->cap) {
        int cap = im->cap ? 2 * im->cap : 16;
        double *X = llmbo_realloc(im->X, (size_t)cap * (size_t)im->d, sizeof(double));
        if (!X)
            return LLMBO_ERR_NOMEM;
        im->X = X;
        double *y2 = llmbo_realloc(im->y, (size_t)cap, sizeof(double));
        if (!y2)
            return LLMBO_ERR_NOMEM;
        im->y = y2;
        unsigned char *f = llmbo_realloc(im->failed, (size_t)cap, 1);
        if (!f)
            return LLMBO_ERR_NOMEM;
        im->failed = f;
        im->cap = cap;
    }
    memcpy(im->X + (size_t)im->n * im->d, x, (size_t)im->d * sizeof(double));
    im->y[im->n] = failed ? NAN : y;
    im->failed[im->n] = (unsigned char)failed;
    im->n++;
    return LLMBO_OK;
}

/* A number filling the whole of s (surrounding blanks allowed): 1 and *v, else 0. */
static int parse_number(const char *s, double *v)
{
    char *end;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s)
        return 0;
    *v = strtod(s, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    return *end == '\0' && isfinite(*v); /* an underflow (ERANGE, finite) is a number */
}

/* Parameter i's value from a CSV field or a JSON value into x[i]. */
static llmbo_status param_value(const llmbo_param *p, const char *text, const cJSON *json,
                                double *xi, char *why, size_t n)
{
    if (p->type == LLMBO_PARAM_CATEGORICAL) {
        const char *name = json ? (cJSON_IsString(json) ? json->valuestring : NULL) : text;
        for (int k = 0; name && k < p->n_choices; k++)
            if (strcmp(name, p->choices[k]) == 0) {
                *xi = k;
                return LLMBO_OK;
            }
        size_t l = (size_t)snprintf(why, n, "expected one of the choices");
        for (int k = 0; k < p->n_choices && l < n; k++)
            l += (size_t)snprintf(why + l, n - l, "%s \"%s\"", k ? "," : "", p->choices[k]);
        return LLMBO_ERR_FORMAT;
    }
    int ok = json ? cJSON_IsNumber(json) && isfinite(json->valuedouble) : parse_number(text, xi);
    if (json && ok)
        *xi = json->valuedouble;
    if (!ok) {
        snprintf(why, n, "expected a number");
        return LLMBO_ERR_FORMAT;
    }
    return LLMBO_OK;
}

/* The point x is inside space; otherwise why says which parameter is out (space's message). */
static int in_space(const llmbo_space *space, const double *x, char *why, size_t n)
{
    llmbo_error e;
    if (llmbo_space_check(space, x, &e) == LLMBO_OK)
        return 1;
    snprintf(why, n, "%s (outside the space: the point is refused)", e.msg);
    return 0;
}

llmbo_status llmbo_import_named(const cJSON *obj, const char *where, const llmbo_space *space,
                                double *x, llmbo_error *err)
{
    int d = llmbo_space_dim(space);
    char why[400];
    if (!cJSON_IsObject(obj))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: expected an object {\"name\": value}",
                               where);
    for (const cJSON *v = obj->child; v; v = v->next) {
        int found = 0;
        for (int i = 0; i < d && !found; i++)
            found = strcmp(v->string, llmbo_space_param(space, i)->name) == 0;
        if (!found)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: unknown parameter \"%.100s\"", where,
                                   v->string);
    }
    for (int i = 0; i < d; i++) {
        const llmbo_param *p = llmbo_space_param(space, i);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, p->name);
        if (!v)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: parameter \"%s\" is missing", where,
                                   p->name);
        if (param_value(p, NULL, v, &x[i], why, sizeof why) != LLMBO_OK)
            return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: parameter \"%s\": %s", where,
                                   p->name, why);
    }
    if (!in_space(space, x, why, sizeof why))
        return llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: %s", where, why);
    return LLMBO_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* CSV */

typedef struct csv {
    const char *s;
    size_t len, pos;
    int line;           /* 1-based line of the current position */
    llmbo_strbuf field; /* the field being read */
} csv;

/* Reads one field into c->field. *end: 0 more fields follow on this row, 1 the row ended, 2 the
 * input ended. Returns 0, or -1 for a malformed quoted field (why filled). */
static int csv_field(csv *c, int *end, char *why, size_t n)
{
    c->field.len = 0;
    if (c->field.s)
        c->field.s[0] = '\0';
    int quoted = c->pos < c->len && c->s[c->pos] == '"';
    if (quoted) {
        int start = c->line;
        c->pos++;
        for (;;) {
            if (c->pos >= c->len) {
                snprintf(why, n, "a quoted field opened on line %d is never closed", start);
                return -1;
            }
            char ch = c->s[c->pos++];
            if (ch == '"') {
                if (c->pos < c->len && c->s[c->pos] == '"') {
                    llmbo_strbuf_add(&c->field, "\"", 1);
                    c->pos++;
                    continue;
                }
                break;
            }
            if (ch == '\n')
                c->line++;
            llmbo_strbuf_add(&c->field, &ch, 1);
        }
        if (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
            c->s[c->pos] != '\r') {
            snprintf(why, n, "text after a closing quote");
            return -1;
        }
    } else {
        size_t b = c->pos;
        while (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
               c->s[c->pos] != '\r') {
            if (c->s[c->pos] == '"') {
                snprintf(why, n, "a quote inside an unquoted field");
                return -1;
            }
            c->pos++;
        }
        llmbo_strbuf_add(&c->field, c->s + b, c->pos - b);
    }
    if (c->field.oom) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    if (c->pos >= c->len) {
        *end = 2;
    } else if (c->s[c->pos] == ',') {
        c->pos++;
        *end = 0;
    } else {
        if (c->s[c->pos] == '\r')
            c->pos++;
        if (c->pos < c->len && c->s[c->pos] == '\n')
            c->pos++;
        c->line++;
        *end = c->pos >= c->len ? 2 : 1;
    }
    return 0;
}

/* Skips blank lines (and a UTF-8 byte order mark at the start). */
static void csv_skip_blank(csv *c)
{
    if (c->pos == 0 && c->len >= 3 && memcmp(c->s, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
    while (c->pos < c->len && (c->s[c->pos] == '\n' || c->s[c->pos] == '\r')) {
        if (c->s[c->pos] == '\n')
            c->line++;
        c->pos++;
    }
}

static void trim(char *s)
{
    size_t n = strlen(s), b = 0;
    while (b < n && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (n > b && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    memmove(s, s + b, n - b);
    s[n - b] = '\0';
}

llmbo_status llmbo_import_csv(const char *text, size_t len, const char *where,
                              const llmbo_space *space, llmbo_import *im, llmbo_error *err)
{
    int d = llmbo_space_dim(space), end = 0, ncol = 0, rows = 0;
    int *col = NULL; /* (ncol) parameter index of each column, d for the value column */
    double *x = llmbo_calloc(d > 0 ? (size_t)d : 1, sizeof(double));
    int *seen = llmbo_calloc((size_t)d + 1, sizeof(int));
    char why[400];
    llmbo_status st = LLMBO_OK;
    csv c = {text, len, 0, 1, LLMBO_STRBUF_INIT};
    llmbo_strbuf_puts(&c.field, "-"); /* allocated from here on: fields are never NULL */
    c.field.len = 0;
    if (!x || !seen || c.field.oom) {
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
        goto done;
    }
    csv_skip_blank(&c);
    if (c.field.s)
        c.field.s[0] = '\0';
    if (c.pos >= len) {
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                             "%s: empty; expected a header row naming the parameters and a "
                             "\"value\" column",
                             where);
        goto done;
    }
    /* The header. */
    int hline = c.line;
    do {
        if (csv_field(&c, &end, why, sizeof why) < 0) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", where, c.line, why);
            goto done;
        }
        trim(c.field.s);
        int k = -1;
        for (int i = 0; i < d && k < 0; i++)
            if (strcmp(c.field.s, llmbo_space_param(space, i)->name) == 0)
                k = i;
        if (k < 0 && (strcmp(c.field.s, "value") == 0 || strcmp(c.field.s, "y") == 0))
            k = d;
        if (k < 0) {
            size_t l = (size_t)snprintf(why, sizeof why, "the parameters");
            for (int i = 0; i < d && l < sizeof why; i++)
                l += (size_t)snprintf(why + l, sizeof why - l, "%s %s", i ? "," : "",
                                      llmbo_space_param(space, i)->name);
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d, column %d: unknown column \"%.80s\"; expected %s "
                                 "and \"value\"",
                                 where, hline, ncol + 1, c.field.s, why);
            goto done;
        }
        if (seen[k]) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d, column %d: \"%s\" repeated",
                                 where, hline, ncol + 1, c.field.s);
            goto done;
        }
        seen[k] = ncol + 1;
        int *c2 = llmbo_realloc(col, (size_t)ncol + 1, sizeof(int));
        if (!c2) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto done;
        }
        col = c2;
        col[ncol++] = k;
    } while (end == 0);
    for (int k = 0; k <= d; k++)
        if (!seen[k]) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: no column \"%s\"", where,
                                 hline, k < d ? llmbo_space_param(space, k)->name : "value");
            goto done;
        }
    /* The rows. */
    while (end != 2) {
        csv_skip_blank(&c);
        if (c.pos >= len)
            break;
        int line = c.line, k = 0, failed = 0;
        double y = NAN;
        do {
            if (csv_field(&c, &end, why, sizeof why) < 0) {
                st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", where, c.line, why);
                goto done;
            }
            if (k >= ncol) {
                st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                     "%s: line %d: more than the header's %d fields", where, line,
                                     ncol);
                goto done;
            }
            int p = col[k];
            if (p == d) {
                trim(c.field.s);
                if (strcmp(c.field.s, "failed") == 0)
                    failed = 1;
                else if (!parse_number(c.field.s, &y)) {
                    st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                         "%s: line %d, column %d (value): expected a finite "
                                         "number or \"failed\", got \"%.40s\"",
                                         where, line, k + 1, c.field.s);
                    goto done;
                }
            } else {
                const llmbo_param *pp = llmbo_space_param(space, p);
                if (pp->type != LLMBO_PARAM_CATEGORICAL)
                    trim(c.field.s);
                if (param_value(pp, c.field.s, NULL, &x[p], why, sizeof why) != LLMBO_OK) {
                    st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                         "%s: line %d, column %d (%s): %s, got \"%.40s\"", where,
                                         line, k + 1, pp->name, why, c.field.s);
                    goto done;
                }
            }
            k++;
        } while (end == 0);
        if (k < ncol) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %d fields, the header has %d",
                                 where, line, k, ncol);
            goto done;
        }
        if (!in_space(space, x, why, sizeof why)) {
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: line %d: %s", where, line, why);
            goto done;
        }
        if (push(im, x, y, failed) != LLMBO_OK) {
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
            goto done;
        }
        rows++;
    }
    if (rows == 0)
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: no rows after the header", where);
done:
    llmbo_strbuf_free(&c.field);
    llmbo_free(col);
    llmbo_free(x);
    llmbo_free(seen);
    return st;
}

/* ------------------------------------------------------------------------------------------ */
/* Journals */

llmbo_status llmbo_import_journal(const char *path, const llmbo_space *space, llmbo_import *im,
                                  llmbo_error *err)
{
    cJSON **lines = NULL;
    int n = 0;
    llmbo_status st = llmbo_journal_read(path, 0, &lines, &n, NULL, err);
    if (st != LLMBO_OK)
        return st;
    double *x = llmbo_calloc((size_t)llmbo_space_dim(space) + 1, sizeof(double));
    if (!x)
        st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n && st == LLMBO_OK; i++) {
        char where[4400];
        snprintf(where, sizeof where, "%s: line %d: x", path, i + 1);
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(lines[i], "status");
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(lines[i], "y");
        int failed = cJSON_IsString(status) && strcmp(status->valuestring, "failed") == 0;
        if (!cJSON_IsString(status) || (!failed && strcmp(status->valuestring, "ok") != 0))
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d: status must be \"ok\" or \"failed\"", path, i + 1);
        else if (!failed && !(cJSON_IsNumber(y) && isfinite(y->valuedouble)))
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d: y must be a finite number for an ok evaluation",
                                 path, i + 1);
        else if ((st = llmbo_import_named(cJSON_GetObjectItemCaseSensitive(lines[i], "x"), where,
                                          space, x, err)) == LLMBO_OK &&
                 push(im, x, failed ? NAN : y->valuedouble, failed) != LLMBO_OK)
            st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "out of memory");
    }
    if (st == LLMBO_OK && n == 0)
        st = llmbo_error_set(err, LLMBO_ERR_FORMAT, "%s: no evaluations to import", path);
    llmbo_free(x);
    llmbo_journal_lines_free(lines, n);
    return st;
}

llmbo_status llmbo_import_path(const char *path, const llmbo_space *space, llmbo_import *im,
                               llmbo_error *err)
{
    struct stat sb;
    size_t n = strlen(path);
    if (stat(path, &sb) != 0)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) {
        char j[4300];
        snprintf(j, sizeof j, "%s/journal.jsonl", path);
        if (!llmbo_path_exists(j))
            return llmbo_error_set(err, LLMBO_ERR_IO, "%s: a directory without journal.jsonl",
                                   path);
        return llmbo_import_journal(j, space, im, err);
    }
    if (n >= 4 && strcmp(path + n - 4, ".csv") == 0) {
        size_t len;
        char *text = llmbo_read_file(path, &len, err);
        if (!text)
            return err ? err->status : LLMBO_ERR_IO;
        llmbo_status st = llmbo_import_csv(text, len, path, space, im, err);
        llmbo_free(text);
        return st;
    }
    return llmbo_import_journal(path, space, im, err);
}
