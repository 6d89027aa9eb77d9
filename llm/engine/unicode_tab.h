/* unicode_tab.h: Unicode category tables for the pre-tokenizer (generated into unicode_tab.c by
 * unicode_gen.py) and the classification helpers built on them. */
#ifndef LLMBO_UNICODE_TAB_H
#define LLMBO_UNICODE_TAB_H

#include <stddef.h>
#include <stdint.h>

extern const uint32_t llmbo_uni_letter[][2];
extern const size_t llmbo_uni_letter_n;
extern const uint32_t llmbo_uni_number[][2];
extern const size_t llmbo_uni_number_n;
extern const uint32_t llmbo_uni_punct[][2];
extern const size_t llmbo_uni_punct_n;
extern const uint32_t llmbo_uni_symbol[][2];
extern const size_t llmbo_uni_symbol_n;
extern const uint32_t llmbo_uni_mark[][2];
extern const size_t llmbo_uni_mark_n;
extern const uint32_t llmbo_uni_lower[][2]; /* Ll */
extern const size_t llmbo_uni_lower_n;
extern const uint32_t llmbo_uni_upper[][2]; /* Lu and Lt */
extern const size_t llmbo_uni_upper_n;

#endif
