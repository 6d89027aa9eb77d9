/* utf8.h: text from outside (LLM answers, parameter and objective names) made safe to write
 * where strict readers follow: JSON files (RFC 8259 requires UTF-8) and SVG (XML 1.0). Never
 * installed. */
#ifndef LLMBO_UTF8_H
#define LLMBO_UTF8_H

#include <stddef.h>
#include <cJSON.h>

/* Length of the well-formed UTF-8 sequence at s[0..n) (1 to 4), or 0 if it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
size_t llmbo_utf8_seq_len(const unsigned char *s, size_t n);
/* 1 if s[0..n) is entirely well-formed UTF-8. */
int llmbo_utf8_valid(const char *s, size_t n);
/* A copy of s (llmbo_free) with each byte that is not part of well-formed UTF-8 written as the
 * four characters \xNN, so nothing is lost and the text is valid UTF-8. NULL on no memory. */
char *llmbo_utf8_escape(const char *s);
/* Replaces, in place, every string value and key of the tree j that is not valid UTF-8 by its
 * llmbo_utf8_escape form. Returns 0, or -1 if memory ran out (those strings stay as they were). */
int llmbo_json_escape_utf8(cJSON *j);

#endif
