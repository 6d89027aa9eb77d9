/* strbuf.h: the one growable NUL-terminated string of llmbo (prompts, answers, reports, SVG).
 * An allocation failure sets oom and makes every later append a no-op, so a builder checks oom
 * once at the end instead of after every append. Never installed. */
#ifndef LLMBO_STRBUF_H
#define LLMBO_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct llmbo_strbuf {
    char *s;    /* (cap) NUL-terminated text, or NULL while empty; free with llmbo_strbuf_free */
    size_t len; /* bytes of text, NUL excluded */
    size_t cap;
    int oom; /* an append failed: the text is incomplete */
} llmbo_strbuf;

#define LLMBO_STRBUF_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Appends n bytes of s (which need not be NUL-terminated). */
void llmbo_strbuf_add(llmbo_strbuf *b, const char *s, size_t n);
/* Appends the NUL-terminated string s. */
void llmbo_strbuf_puts(llmbo_strbuf *b, const char *s);
/* Appends printf-style formatted text. */
void llmbo_strbuf_printf(llmbo_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void llmbo_strbuf_vprintf(llmbo_strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Releases the text and empties b (b itself is the caller's). */
void llmbo_strbuf_free(llmbo_strbuf *b);

#endif
