/* fileio.h: whole-file reading and the one atomic-write policy of llmbo. Every file that must
 * survive a crash whole (run summaries, bench manifests, reports) is written by
 * llmbo_write_file_atomic: a temporary file beside it, fsync of the file, rename over the
 * target, fsync of the directory (so the rename itself is durable). Never installed. */
#ifndef LLMBO_FILEIO_H
#define LLMBO_FILEIO_H

#include <stddef.h>
#include "llmbo.h"

/* The whole file as a NUL-terminated string (owned, llmbo_free), its length in *len if len is
 * non-NULL (the text may hold NUL bytes: compare *len with strlen to reject them). NULL with
 * err filled ("PATH: cannot open: REASON", "PATH: read error", out of memory) on failure. */
char *llmbo_read_file(const char *path, size_t *len, llmbo_error *err);

/* Replaces path with text atomically and durably (see above). The temporary file is
 * PATH.tmp.PID, so processes writing the same path do not clobber each other's temporary. */
llmbo_status llmbo_write_file_atomic(const char *path, const char *text, llmbo_error *err);

/* mkdir -p: creates path and its missing parents (mode 0777 before umask). Succeeds if path
 * already is a directory. */
llmbo_status llmbo_mkdir_p(const char *path, llmbo_error *err);

/* 1 if path exists (any file type), else 0. */
int llmbo_path_exists(const char *path);

#endif
