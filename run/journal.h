/* journal.h: a run's journal (docs/formats.md): journal.jsonl appended one line per evaluation
 * and made durable (fflush + fsync) before the next proposal. The line's schema lives here only:
 * llmbo_journal_line writes it (run), llmbo_journal_entry_read reads it back (resume, report),
 * llmbo_journal_last_cost reads the cost a run has reached (the bench scheduler). */
#ifndef LLMBO_JOURNAL_H
#define LLMBO_JOURNAL_H

#include <cJSON.h>
#include "llmbo.h"
#include "fileio.h"
#include "json.h"

typedef struct llmbo_journal llmbo_journal;

/* One journal line. Numbers that may be null in the file (y, best, regret) are NaN here. */
typedef struct llmbo_journal_entry {
    double iter, id;   /* 0, 1, 2, ... in file order; reader: NaN if absent */
    int d;             /* dimension of x */
    double *x;         /* (d) "xv", the point in original units; reader: owned, NULL if absent or
                        * not d numbers */
    int failed;        /* "status" is not "ok" */
    int status_ok;     /* reader: "status" is "ok" or "failed" */
    const char *error; /* why the evaluation failed (NULL when it did not); reader: points into
                        * the line, valid while it lives */
    double y;          /* NaN when failed */
    int source;        /* llmbo_source; reader: -1 if unknown */
    double best;       /* best value so far, NaN before the first success */
    double regret;     /* |best - optimum|, NaN if either is unknown */
    double t_eval;     /* objective seconds of this evaluation (reader: NaN if absent) */
    double t_wall;     /* run wall seconds at this line (reader: NaN if absent) */
    llmbo_cost cost;   /* "advisor": the advisor's cumulative cost */
    int has_cost;      /* reader: the line has an "advisor" object */
    double *theta; /* (d + 2) GP hyperparameters of the proposal, NULL for null; reader: owned */
    int theta_ok;  /* reader: "theta" is absent, null or d + 2 numbers */
} llmbo_journal_entry;

/* The line for e (x named by space's parameters, llmbo_space_point_to_json with exact numbers:
 * categoricals by their choice name). NULL on allocation failure. */
cJSON *llmbo_journal_line(const llmbo_journal_entry *e, const llmbo_space *space);
/* Decodes line into e for an objective of dimension d (d < 0: x and theta are not decoded).
 * Lenient: what is absent or malformed is marked (NaN, NULL, -1, status_ok = 0) for the caller
 * to judge. LLMBO_ERR_NOMEM only. Free with llmbo_journal_entry_clear. */
llmbo_status llmbo_journal_entry_read(const cJSON *line, int d, llmbo_journal_entry *e);
void llmbo_journal_entry_clear(llmbo_journal_entry *e);

/* The line of asked.jsonl for a proposal (docs/formats.md): e's id, x, source, theta and cost;
 * told (n_told): the ids told to the loop since the previous proposal, in tell order, which
 * lets resume replay the asks and tells in their original interleaving; batch: the number of
 * points asked together with it (itself included). NULL on allocation failure.
 * llmbo_journal_entry_read reads its id, x, source, theta and cost back. */
cJSON *llmbo_journal_asked_line(const llmbo_journal_entry *e, const llmbo_space *space,
                                const int64_t *told, int n_told, int batch);
/* An asked line's "batch": 1 when absent, -1 when not a positive integer. */
int llmbo_journal_batch_read(const cJSON *line);
/* Appends n lines with one write, then fflush and fsync. */
llmbo_status llmbo_journal_append_lines(llmbo_journal *j, cJSON *const *lines, int n,
                                        llmbo_error *err);
/* The "told" array of an asked line: *ids (*n, owned) or *n = -1 when it is absent or not an
 * array of non-negative integers. LLMBO_ERR_NOMEM only. */
llmbo_status llmbo_journal_told_read(const cJSON *line, int64_t **ids, int *n);

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

/* The advisor cost a run has reached, from its directory: summary.json if the run finished,
 * else the last complete journal line. LLMBO_ERR_NOT_FOUND if neither can be read. */
llmbo_status llmbo_journal_last_cost(const char *dir, llmbo_cost *cost);

/* What a journal holds so far, counted incrementally while its run appends (llmbo bench's
 * progress): complete lines, failed ones, and the advisor cost of the last line that has one. */
typedef struct llmbo_journal_tally {
    long offset; /* bytes of complete lines read */
    long lines, failed;
    llmbo_cost cost;
    int has_cost;
} llmbo_journal_tally;

void llmbo_journal_tally_init(llmbo_journal_tally *t);
/* Reads the complete lines appended to the journal at path since the last call (a missing file
 * is an empty journal; a file cut shorter is counted again from its start). */
void llmbo_journal_tally_update(const char *path, llmbo_journal_tally *t);

#endif
