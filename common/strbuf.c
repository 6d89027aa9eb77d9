/* strbuf.c: the growable string (see strbuf.h). Capacity doubles from 256 bytes, so n appends
 * cost O(total length) copies. */
#include <stdio.h>
#include <string.h>
#include "llmbo_common.h"
#include "strbuf.h"

/* Makes room for extra more bytes plus the NUL; 0 after an allocation failure. */
static int reserve(llmbo_strbuf *b, size_t extra)
{
    if (b->oom)
        return 0;
    if (extra > (size_t)-1 - b->len - 1) {
        b->oom = 1;
        return 0;
    }
    if (b->len + extra + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *ns = llmbo_realloc(b->s, cap, 1);
    if (!ns) {
        b->oom = 1;
        return 0;
    }
    b->s = ns;
    b->cap = cap;
    return 1;
}

void llmbo_strbuf_add(llmbo_strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void llmbo_strbuf_puts(llmbo_strbuf *b, const char *s)
{
    llmbo_strbuf_add(b, s, strlen(s));
}

void llmbo_strbuf_vprintf(llmbo_strbuf *b, const char *fmt, va_list ap)
{
    if (b->oom)
        return;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)n;
}

void llmbo_strbuf_printf(llmbo_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    llmbo_strbuf_vprintf(b, fmt, ap);
    va_end(ap);
}

void llmbo_strbuf_free(llmbo_strbuf *b)
{
    llmbo_free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
