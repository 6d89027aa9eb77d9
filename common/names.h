/* names.h: the name column of a static table indexed by a public enum (acquisition functions,
 * initial designs, strategies, pending methods, ...). A row is a struct whose first member is
 * `const char *name` (C11 6.7.2.1: a pointer to a struct converts to a pointer to its first
 * member), and a plain array of names is such a table too. One lookup, one parser and one
 * "a, b, c" list serve every table, so an enum's names, its parser and the "expected one of"
 * messages that list it all come from the table itself. Never installed. */
#ifndef LLMBO_NAMES_H
#define LLMBO_NAMES_H

#include <stddef.h>

typedef struct llmbo_names {
    const void *rows; /* the table: n rows of stride bytes, each starting with its name */
    size_t stride;
    int n;
} llmbo_names;

/* The llmbo_names of a static array (not of a pointer): LLMBO_NAMES_OF(table). */
#define LLMBO_NAMES_OF(table)                                                                      \
    {                                                                                              \
        (table), sizeof(table)[0], (int)(sizeof(table) / sizeof(table)[0])                         \
    }

/* The name of row v; "unknown" outside [0, n). */
const char *llmbo_names_get(const llmbo_names *t, int v);
/* The row whose name is name (exact, case-sensitive); -1 for an unknown name or NULL. */
int llmbo_names_parse(const llmbo_names *t, const char *name);
/* The names in row order joined by ", " into buf (cut at size bytes, always terminated), for
 * "expected one of ..." messages. Returns buf. */
const char *llmbo_names_list(const llmbo_names *t, char *buf, size_t size);

#endif
