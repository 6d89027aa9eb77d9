/* journal.c: durable run files. A journal line is complete only with its newline: the newline
 * is written last, in the same fwrite, so a kill leaves at worst one torn final line, which
 * llmbo_journal_read drops (and cuts off) on resume. fsync after every line makes a line that
 * was followed by a new proposal survive a power cut as well as a kill. */
#include <errno.h>
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
