/* iq_grids.h: the codebooks of the GGUF types IQ2_XXS, IQ2_XS, IQ2_S (8 magnitudes from
 * {8, 25, 43} per entry), IQ3_XXS ({4, 12, ..., 52, 62}: 4 per entry), IQ3_S ({1, 3, ..., 15}: 4
 * per entry) and IQ1_S / IQ1_M ({-1, 0, 1}: 8 per entry). Entry i of a book is code[i]: element
 * j's level index in bits [2j, 2j + 2) (8-element books) or [3j, 3j + 3) (4-element books), an
 * index into the book's value list. Generated from ggml's tables by iq_grids_gen.py. */
#ifndef LLMBO_IQ_GRIDS_H
#define LLMBO_IQ_GRIDS_H

#include <stdint.h>

extern const uint16_t llmbo_iq2xxs_codes[256];
extern const uint16_t llmbo_iq2xs_codes[512];
extern const uint16_t llmbo_iq2s_codes[1024];
extern const uint16_t llmbo_iq3xxs_codes[256];
extern const uint16_t llmbo_iq3s_codes[512];
extern const uint16_t llmbo_iq1s_codes[2048];

#endif
