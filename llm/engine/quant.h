/* quant.h: tensor element types of the engine: half-precision conversions, dequantisation of a
 * row, quantisation of activations to 8-bit blocks, and the dot product of one weight row with
 * one activation row. Block layouts follow ggml's (ggml-common.h): Q8_0 and Q4_0 blocks of 32
 * with an fp16 scale, Q4_K and Q6_K super-blocks of 256 with 6- or 8-bit sub-block scales.
 * Quantised weights are multiplied with activations quantised to Q8 blocks (int8 products,
 * integer accumulation); F32/F16/BF16 weights with float activations. */
#ifndef LLMBO_QUANT_H
#define LLMBO_QUANT_H

#include <stddef.h>
#include <stdint.h>
#include "gguf.h"

#define LLMBO_QK 32 /* elements per activation block */

/* One block of 32 activations: x[i] ~= d * q[i]; s = d * sum(q) (for Q4_K's minimums). */
typedef struct llmbo_q8a {
    float d;
    float s;
    int8_t q[LLMBO_QK];
} llmbo_q8a;

float llmbo_fp16_to_f32(uint16_t h);
uint16_t llmbo_f32_to_fp16(float f);
float llmbo_bf16_to_f32(uint16_t h);

/* Dequantises n elements (a multiple of the type's block) of a row into y. */
void llmbo_dequant_row(llmbo_ttype t, const void *row, float *y, size_t n);
/* Quantises n floats (a multiple of 32) into n/32 activation blocks. */
void llmbo_quant_act(const float *x, llmbo_q8a *y, size_t n);
/* 1 if weights of type t take quantised activations (llmbo_q8a), 0 if float ones. */
int llmbo_ttype_quantised(llmbo_ttype t);
/* Dot product of a weight row (n elements of type t) with an activation row: xq for quantised
 * types, xf for float types (the other may be NULL). */
float llmbo_vec_dot(llmbo_ttype t, const void *row, const float *xf, const llmbo_q8a *xq, size_t n);
/* Four dot products of one weight row with four activation rows xq[0..3] (each n/32 blocks apart
 * by stride blocks), into out[0..3]; the same numbers as four llmbo_vec_dot calls. */
void llmbo_vec_dot4(llmbo_ttype t, const void *row, const llmbo_q8a *xq, size_t stride, size_t n,
                    float *out);
/* Bytes of one row of n elements. */
size_t llmbo_row_bytes(llmbo_ttype t, size_t n);
/* Selects the SIMD kernels (done once, automatically; exposed for tests): 0 forces scalar. */
void llmbo_quant_set_simd(int on);
int llmbo_quant_simd(void);

#endif
