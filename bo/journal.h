/* journal.h: the run directory's files (docs/formats.md): journal.jsonl appended one line per
 * evaluation and made durable (fflush + fsync) before the next proposal; whole files such as
 * config.json and summary.json written atomically (temporary file, fsync, rename). */
#ifndef LLMBO_JOURNAL_H
#define LLMBO_JOURNAL_H

#include <cJSON.h>
#include "llmbo.h"
#include "fileio.h"
#include "json.h"

typedef struct llmbo_journal llmbo_journal;

/* Opens path for appending (created if missing). LLMBO_ERR_IO names the path and the reason. */
llmbo_status llmbo_journal_open(const char *path, llmbo_journal **out, llmbo_error *err);
/* Appends line (printed unformatted) and a newline, then fflush and fsync. */
llmbo_status llmbo_journal_append(llmbo_journal *j, const cJSON *line, llmbo_error *err);
void llmbo_journal_close(llmbo_journal *j);

/* Reads every complete line of the journal at path as a JSON object: *lines (n) owned by the
 * caller (free with llmbo_journal_lines_free). A torn last line (no trailing newline: the run
 * was killed while writing it) is ignored and, when repair is set, cut off the file. A missing
 * file is an empty journal. LLMBO_ERR_FORMAT names the line of a malformed complete line. */
llmbo_status llmbo_journal_read(const char *path, int repair, cJSON ***lines, int *n, int *torn,
                                llmbo_error *err);
void llmbo_journal_lines_free(cJSON **lines, int n);

#endif
