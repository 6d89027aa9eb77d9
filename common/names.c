/* names.c: lookups in the name column of an enum's table (see names.h). */
#include <stdio.h>
#include <string.h>
#include "names.h"

static const char *row_name(const llmbo_names *t, int i)
{
    return *(const char *const *)(const void *)((const char *)t->rows + (size_t)i * t->stride);
}

const char *llmbo_names_get(const llmbo_names *t, int v)
{
    return v >= 0 && v < t->n ? row_name(t, v) : "unknown";
}

int llmbo_names_parse(const llmbo_names *t, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < t->n; i++)
        if (strcmp(row_name(t, i), name) == 0)
            return i;
    return -1;
}

const char *llmbo_names_list(const llmbo_names *t, char *buf, size_t size)
{
    size_t off = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i < t->n && off < size; i++) {
        int w = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", row_name(t, i));
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}
