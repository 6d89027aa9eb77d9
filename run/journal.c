/* journal.c: durable run files. A journal line is complete only with its newline: the newline
 * is written last, in the same fwrite, so a kill leaves at worst one torn final line, which
 * llmbo_journal_read drops (and cuts off) on resume. fsync after every line makes a line that
 * was followed by a new proposal survive a power cut as well as a kill. */
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "llmbo_common.h"
#include "fileio.h"
#include "json.h"
#include "strbuf.h"
#include "utf8.h"
#include "strbuf.h"
#include "objective_json.h"
#include "journal.h"

struct llmbo_journal {
    FILE *f;
    char *path;
};

llmbo_status llmbo_journal_open(const char *path, llmbo_journal **out, llmbo_error *err)
{
    *out = NULL;
    llmbo_journal *j = llmbo_calloc(1, sizeof *j);
    if (!j || !(j->path = llmbo_strdup(path))) {
        llmbo_free(j);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
    }
    if (!(j->f = fopen(path, "ab"))) {
        llmbo_status st = llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot open for appending: %s",
                                          path, strerror(errno));
        llmbo_free(j->path);
        llmbo_free(j);
        return st;
    }
    *out = j;
    return LLMBO_OK;
}

llmbo_status llmbo_journal_append(llmbo_journal *j, const cJSON *line, llmbo_error *err)
{
    char *s = cJSON_PrintUnformatted(line);
    if (!s)
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory printing a line", j->path);
    size_t n = strlen(s);
    char *buf = llmbo_malloc(n + 2, 1);
    if (!buf) {
        cJSON_free(s);
        return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", j->path);
    }
    memcpy(buf, s, n);
    buf[n] = '\n';
    cJSON_free(s);
    int ok = fwrite(buf, 1, n + 1, j->f) == n + 1 && fflush(j->f) == 0 && fsync(fileno(j->f)) == 0;
    llmbo_free(buf);
    if (!ok)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: write failed: %s", j->path, strerror(errno));
    return LLMBO_OK;
}

void llmbo_journal_close(llmbo_journal *j)
{
    if (!j)
        return;
    if (j->f)
        fclose(j->f);
    llmbo_free(j->path);
    llmbo_free(j);
}

void llmbo_journal_lines_free(cJSON **lines, int n)
{
    if (!lines)
        return;
    for (int i = 0; i < n; i++)
        cJSON_Delete(lines[i]);
    llmbo_free(lines);
}

llmbo_status llmbo_journal_read(const char *path, int repair, cJSON ***lines, int *n, int *torn,
                                llmbo_error *err)
{
    *lines = NULL;
    *n = 0;
    if (torn)
        *torn = 0;
    if (!llmbo_path_exists(path))
        return LLMBO_OK;
    llmbo_error rerr;
    size_t len;
    char *buf = llmbo_read_file(path, &len, &rerr);
    if (!buf) {
        if (err)
            *err = rerr;
        return rerr.status;
    }
    llmbo_status st = LLMBO_OK;
    /* The complete part ends at the last newline. */
    size_t complete = len;
    while (complete > 0 && buf[complete - 1] != '\n')
        complete--;
    if (complete < len) {
        if (torn)
            *torn = 1;
        if (repair && truncate(path, (off_t)complete) != 0) {
            llmbo_free(buf);
            return llmbo_error_set(err, LLMBO_ERR_IO, "%s: cannot cut the torn last line: %s", path,
                                   strerror(errno));
        }
    }
    int cap_lines = 0, count = 0, lineno = 0;
    cJSON **out = NULL;
    size_t pos = 0;
    while (pos < complete && st == LLMBO_OK) {
        size_t e = pos;
        while (buf[e] != '\n')
            e++;
        lineno++;
        buf[e] = 0;
        const char *endp = NULL;
        cJSON *obj = e > pos ? cJSON_ParseWithOpts(buf + pos, &endp, 1) : NULL;
        if (!cJSON_IsObject(obj)) {
            cJSON_Delete(obj);
            st = llmbo_error_set(err, LLMBO_ERR_FORMAT,
                                 "%s: line %d: not a JSON object (corrupt journal)", path, lineno);
            break;
        }
        if (count == cap_lines) {
            cap_lines = cap_lines ? 2 * cap_lines : 256;
            cJSON **nl = llmbo_realloc(out, (size_t)cap_lines, sizeof *nl);
            if (!nl) {
                cJSON_Delete(obj);
                st = llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            out = nl;
        }
        out[count++] = obj;
        pos = e + 1;
    }
    llmbo_free(buf);
    if (st != LLMBO_OK) {
        llmbo_journal_lines_free(out, count);
        return st;
    }
    *lines = out;
    *n = count;
    return LLMBO_OK;
}

/* The last complete line of the journal at path (at most the final 16 KiB are read: a line is
 * far shorter), parsed; NULL if there is none. */
static cJSON *last_line(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char buf[16384];
    long size = 0;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    long from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    size_t n = 0;
    if (size > 0 && fseek(f, from, SEEK_SET) == 0)
        n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] != '\n') /* drop a torn last line */
        buf[--n] = '\0';
    if (n > 0)
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    return cJSON_Parse(line ? line + 1 : buf);
}

llmbo_status llmbo_journal_last_cost(const char *dir, llmbo_cost *cost)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    cJSON *j = NULL;
    if (llmbo_path_exists(path)) {
        j = llmbo_json_read_file(path, NULL);
    } else {
        snprintf(path, sizeof path, "%s/journal.jsonl", dir);
        j = last_line(path);
    }
    if (!j)
        return LLMBO_ERR_NOT_FOUND;
    llmbo_cost_from_json(cJSON_GetObjectItemCaseSensitive(j, "advisor"), cost);
    cJSON_Delete(j);
    return LLMBO_OK;
}

void llmbo_journal_tally_init(llmbo_journal_tally *t)
{
    memset(t, 0, sizeof *t);
}

/* Reads only what was appended since the last call: a bench polls every running cell's journal
 * twice a second, so rereading whole journals would grow with the budget. */
void llmbo_journal_tally_update(const char *path, llmbo_journal_tally *t)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < t->offset) /* cut back (a torn line repaired): count again from the start */
        llmbo_journal_tally_init(t);
    if (size <= t->offset || fseek(f, t->offset, SEEK_SET) != 0) {
        fclose(f);
        return;
    }
    char buf[16384];
    llmbo_strbuf line = LLMBO_STRBUF_INIT;
    long pos = t->offset;
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        const char *p = buf, *end = buf + n, *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
            llmbo_strbuf_add(&line, p, (size_t)(nl - p));
            p = nl + 1;
            pos += (long)line.len + 1;
            cJSON *j = line.s && !line.oom ? cJSON_Parse(line.s) : NULL;
            line.len = 0;
            if (line.s)
                line.s[0] = '\0';
            if (!j)
                continue; /* not a line of the run's: llmbo run --resume reports it */
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
            t->lines++;
            t->failed += !(cJSON_IsString(st) && strcmp(st->valuestring, "ok") == 0);
            const cJSON *adv = cJSON_GetObjectItemCaseSensitive(j, "advisor");
            if (cJSON_IsObject(adv)) {
                llmbo_cost_from_json(adv, &t->cost);
                t->has_cost = 1;
            }
            cJSON_Delete(j);
        }
        llmbo_strbuf_add(&line, p, (size_t)(end - p));
    }
    t->offset = pos; /* a torn last line stays unread until its newline arrives */
    llmbo_strbuf_free(&line);
    fclose(f);
}

/* ---- the line's schema ---- */

cJSON *llmbo_journal_line(const llmbo_journal_entry *e, const llmbo_space *space)
{
    cJSON *o = cJSON_CreateObject();
    int ok =
        o && llmbo_json_add(o, "iter", llmbo_json_number(e->iter)) &&
        llmbo_json_add(o, "id", llmbo_json_number(e->id)) &&
        llmbo_json_add(o, "x", llmbo_space_point_to_json(space, e->x, llmbo_json_number)) &&
        llmbo_json_add(o, "xv", llmbo_json_number_array(e->x, e->d)) &&
        llmbo_json_add(o, "y", llmbo_json_number(e->failed ? NAN : e->y)) &&
        llmbo_json_add(o, "status", cJSON_CreateString(e->failed ? "failed" : "ok")) &&
        llmbo_json_add(o, "error",
                       e->failed ? cJSON_CreateString(e->error ? e->error : "")
                                 : cJSON_CreateNull()) &&
        llmbo_json_add(o, "source",
                       cJSON_CreateString(llmbo_source_name((llmbo_source)e->source))) &&
        llmbo_json_add(o, "best", llmbo_json_number(e->best)) &&
        llmbo_json_add(o, "regret", llmbo_json_number(e->regret)) &&
        llmbo_json_add(o, "t_eval", llmbo_json_number(e->t_eval)) &&
        llmbo_json_add(o, "t_wall", llmbo_json_number(e->t_wall)) &&
        llmbo_json_add(o, "advisor", llmbo_cost_to_json(&e->cost)) &&
        llmbo_json_add(o, "theta",
                       e->theta ? llmbo_json_number_array(e->theta, e->d + 2) : cJSON_CreateNull());
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *llmbo_journal_asked_line(const llmbo_journal_entry *e, const llmbo_space *space,
                                const int64_t *told, int n_told, int batch)
{
    cJSON *o = cJSON_CreateObject(), *t = cJSON_CreateArray();
    int ok = o && t;
    for (int i = 0; ok && i < n_told; i++)
        ok = cJSON_AddItemToArray(t, llmbo_json_number((double)told[i]));
    ok = ok && llmbo_json_add(o, "id", llmbo_json_number(e->id)) &&
         llmbo_json_add(o, "x", llmbo_space_point_to_json(space, e->x, llmbo_json_number)) &&
         llmbo_json_add(o, "xv", llmbo_json_number_array(e->x, e->d)) &&
         llmbo_json_add(o, "source",
                        cJSON_CreateString(llmbo_source_name((llmbo_source)e->source))) &&
         llmbo_json_add(o, "theta",
                        e->theta ? llmbo_json_number_array(e->theta, e->d + 2)
                                 : cJSON_CreateNull()) &&
         llmbo_json_add(o, "told", t) && llmbo_json_add(o, "batch", llmbo_json_number(batch)) &&
         llmbo_json_add(o, "advisor", llmbo_cost_to_json(&e->cost));
    if (!ok) {
        if (!o || !cJSON_GetObjectItemCaseSensitive(o, "told"))
            cJSON_Delete(t);
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int llmbo_journal_batch_read(const cJSON *line)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(line, "batch");
    if (!b)
        return 1;
    return llmbo_json_is_int(b, 1, 1e9) ? (int)b->valuedouble : -1;
}

llmbo_status llmbo_journal_append_lines(llmbo_journal *j, cJSON *const *lines, int n,
                                        llmbo_error *err)
{
    llmbo_strbuf b = LLMBO_STRBUF_INIT;
    for (int i = 0; i < n; i++) {
        char *s = cJSON_PrintUnformatted(lines[i]);
        if (s) {
            llmbo_strbuf_puts(&b, s);
            llmbo_strbuf_puts(&b, "\n");
        }
        cJSON_free(s);
        if (!s || b.oom) {
            llmbo_strbuf_free(&b);
            return llmbo_error_set(err, LLMBO_ERR_NOMEM, "%s: out of memory", j->path);
        }
    }
    int ok = n == 0 || (fwrite(b.s, 1, b.len, j->f) == b.len && fflush(j->f) == 0 &&
                        fsync(fileno(j->f)) == 0);
    llmbo_strbuf_free(&b);
    if (!ok)
        return llmbo_error_set(err, LLMBO_ERR_IO, "%s: write failed: %s", j->path, strerror(errno));
    return LLMBO_OK;
}

llmbo_status llmbo_journal_told_read(const cJSON *line, int64_t **ids, int *n)
{
    *ids = NULL;
    *n = -1;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(line, "told");
    if (!cJSON_IsArray(t))
        return LLMBO_OK;
    int k = cJSON_GetArraySize(t);
    for (const cJSON *v = t->child; v; v = v->next)
        if (!llmbo_json_is_int(v, 0, 9007199254740992.0))
            return LLMBO_OK;
    if (!(*ids = llmbo_malloc(k > 0 ? (size_t)k : 1, sizeof(int64_t))))
        return LLMBO_ERR_NOMEM;
    int i = 0;
    for (const cJSON *v = t->child; v; v = v->next)
        (*ids)[i++] = (int64_t)v->valuedouble;
    *n = k;
    return LLMBO_OK;
}

static double num_or_nan(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* *out (n, allocated) from an array of exactly n finite numbers; NULL otherwise. */
static llmbo_status read_vec(const cJSON *a, int n, double **out)
{
    *out = NULL;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return LLMBO_OK;
    for (const cJSON *v = a->child; v; v = v->next)
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return LLMBO_OK;
    if (!(*out = llmbo_malloc(n > 0 ? (size_t)n : 1, sizeof(double))))
        return LLMBO_ERR_NOMEM;
    int i = 0;
    for (const cJSON *v = a->child; v; v = v->next)
        (*out)[i++] = v->valuedouble;
    return LLMBO_OK;
}

llmbo_status llmbo_journal_entry_read(const cJSON *line, int d, llmbo_journal_entry *e)
{
    memset(e, 0, sizeof *e);
    e->d = d;
    e->iter = num_or_nan(line, "iter");
    e->id = num_or_nan(line, "id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(line, "status");
    e->failed = cJSON_IsString(st) && strcmp(st->valuestring, "ok") != 0;
    e->status_ok = cJSON_IsString(st) &&
                   (strcmp(st->valuestring, "ok") == 0 || strcmp(st->valuestring, "failed") == 0);
    e->y = num_or_nan(line, "y");
    const cJSON *why = cJSON_GetObjectItemCaseSensitive(line, "error");
    e->error = e->failed && cJSON_IsString(why) ? why->valuestring : NULL;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(line, "source");
    e->source = cJSON_IsString(src) ? llmbo_source_parse(src->valuestring) : -1;
    e->best = num_or_nan(line, "best");
    e->regret = num_or_nan(line, "regret");
    e->t_eval = num_or_nan(line, "t_eval");
    e->t_wall = num_or_nan(line, "t_wall");
    const cJSON *adv = cJSON_GetObjectItemCaseSensitive(line, "advisor");
    e->has_cost = cJSON_IsObject(adv);
    llmbo_cost_from_json(adv, &e->cost);
    e->theta_ok = 1;
    if (d < 0)
        return LLMBO_OK;
    if (read_vec(cJSON_GetObjectItemCaseSensitive(line, "xv"), d, &e->x))
        return LLMBO_ERR_NOMEM;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(line, "theta");
    if (th && !cJSON_IsNull(th)) {
        if (read_vec(th, d + 2, &e->theta)) {
            llmbo_journal_entry_clear(e);
            return LLMBO_ERR_NOMEM;
        }
        e->theta_ok = e->theta != NULL;
    }
    return LLMBO_OK;
}

void llmbo_journal_entry_clear(llmbo_journal_entry *e)
{
    llmbo_free(e->x);
    llmbo_free(e->theta);
    e->x = e->theta = NULL;
}
