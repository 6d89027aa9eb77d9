/* import.h: warm-start data for a run (config "init.from" and "init.points"): observations from
 * earlier journals (a journal.jsonl or a run directory) and CSV files of named parameters and
 * values, and points given by name, read into points of a space. Every complaint names the
 * file (or key path) and line; a point outside the space is refused, never clamped. */
#ifndef LLMBO_IMPORT_H
#define LLMBO_IMPORT_H

#include <cJSON.h>
#include "llmbo.h"

/* Observations read so far: X (n, d) in original units, y (n) in the objective's own sense
 * (NaN where failed), failed (n). */
typedef struct llmbo_import {
    int n, cap, d;
    double *X;
    double *y;
    unsigned char *failed;
} llmbo_import;

/* Empties im for a space of dimension d (no allocation). */
void llmbo_import_init(llmbo_import *im, int d);
void llmbo_import_free(llmbo_import *im);

/* Appends the observations of a CSV text (len bytes, where names it): a header row naming
 * every parameter of space once and one value column "value" (or "y"), in any order; then
 * one row per observation. Fields may be quoted ("..." with "" for a quote); categoricals are
 * given by choice name, integers as whole numbers; a value "failed" records a failed
 * evaluation. Blank lines are skipped. LLMBO_ERR_FORMAT names where, the line and the column;
 * LLMBO_ERR_NOMEM. */
llmbo_status llmbo_import_csv(const char *text, size_t len, const char *where,
                              const llmbo_space *space, llmbo_import *im, llmbo_error *err);

/* Appends the evaluations of an llmbo journal (every complete line; its named "x" is matched to
 * space by parameter name, "status" failed records a failure). */
llmbo_status llmbo_import_journal(const char *path, const llmbo_space *space, llmbo_import *im,
                                  llmbo_error *err);

/* Appends the observations of path: a CSV file when its name ends in ".csv", the journal of a
 * run directory when it is a directory, otherwise a journal. LLMBO_ERR_IO when it cannot be
 * read. */
llmbo_status llmbo_import_path(const char *path, const llmbo_space *space, llmbo_import *im,
                               llmbo_error *err);

/* x (d) from {"name": value, ...} naming every parameter of space once (categoricals by choice
 * name). LLMBO_ERR_FORMAT names where and the parameter: missing, unknown, wrong type, outside
 * the space. */
llmbo_status llmbo_import_named(const cJSON *obj, const char *where, const llmbo_space *space,
                                double *x, llmbo_error *err);

#endif
