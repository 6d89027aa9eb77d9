/* quant.h: tensor element types of the engine: half-precision conversions, dequantisation of a
 * row, quantisation of activations to 8-bit blocks, and the dot product of one weight row with
 * one activation row. Block layouts follow ggml's (ggml-common.h): Q8_0 and Q4_0 blocks of 32
 * with an fp16 scale, Q4_K and Q6_K super-blocks of 256 with 6- or 8-bit sub-block scales.
 * Quantised weights are multiplied with activations quantised to 8-bit blocks (int8 products,
 * integer accumulation): blocks of 32 (llmbo_q8a) for the 32-element types, blocks of 256 with one
 * scale (llmbo_q8k, ggml's Q8_K) for the 256-element super-block types, so that a super-block's
 * integer sums are added in integers before one float multiply; F32/F16/BF16 weights with float
 * activations. */
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

#define LLMBO_QK_K 256 /* elements per super-block activation block */

/* One block of 256 activations: x[i] ~= d * q[i]; bsum[g] = sum of q over elements 16g..16g+15
 * (for the K-quants' minimums and Q6_K's level offset). */
typedef struct llmbo_q8k {
    float d;
    int16_t bsum[LLMBO_QK_K / 16];
    int8_t q[LLMBO_QK_K];
} llmbo_q8k;

/* The activation form a weight type multiplies with. */
typedef enum llmbo_act {
    LLMBO_ACT_F32, /* float rows (F32, F16, BF16) */
    LLMBO_ACT_Q8,  /* llmbo_q8a blocks of 32 (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4) */
    LLMBO_ACT_Q8K  /* llmbo_q8k blocks of 256 (Q2_K..Q6_K, IQ4_XS) */
} llmbo_act;

float llmbo_fp16_to_f32(uint16_t h);
uint16_t llmbo_f32_to_fp16(float f);
float llmbo_bf16_to_f32(uint16_t h);

/* Dequantises n elements (a multiple of the type's block) of a row into y. */
void llmbo_dequant_row(llmbo_ttype t, const void *row, float *y, size_t n);
/* Quantises n floats (a multiple of 32) into n/32 activation blocks. */
void llmbo_quant_act(const float *x, llmbo_q8a *y, size_t n);
/* Quantises n floats (a multiple of 256) into n/256 activation blocks, d = max|x| / 127. */
void llmbo_quant_act_k(const float *x, llmbo_q8k *y, size_t n);
/* 1 if weights of type t take quantised activations (llmbo_q8a or llmbo_q8k), 0 if float ones. */
int llmbo_ttype_quantised(llmbo_ttype t);
/* The activation form of weight type t. */
llmbo_act llmbo_ttype_act(llmbo_ttype t);
/* Dot product of a weight row (n elements of type t) with an activation row: xq (llmbo_q8a or
 * llmbo_q8k blocks, per llmbo_ttype_act) for quantised types, xf for float types (the other may
 * be NULL). */
float llmbo_vec_dot(llmbo_ttype t, const void *row, const float *xf, const void *xq, size_t n);
/* Four dot products of one weight row with four quantised activation rows, the k-th starting
 * k * stride elements after xq (stride a multiple of the form's block), into out[0..3]; the same
 * numbers as four llmbo_vec_dot calls. */
void llmbo_vec_dot4(llmbo_ttype t, const void *row, const void *xq, size_t stride, size_t n,
                    float *out);
/* out[k * out_stride + r] = the dot product of weight row r (rows rows, row_bytes apart from w;
 * n elements of the quantised type t) with activation row k (T rows of n elements, contiguous at
 * xq, in the form llmbo_ttype_act(t) names), for r < rows and k < T: the same numbers as
 * llmbo_vec_dot for each pair. Rows are taken in blocks that stay in the cache while every group
 * of eight tokens (at SIMD level 3 for Q8_0, Q4_K, Q5_K, Q6_K) or four (llmbo_vec_dot4) passes
 * over them. For F16 and BF16 xq is float activations (n floats apart). */
void llmbo_gemm(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                size_t T, size_t n, float *out, size_t out_stride);
/* s[j * ss + p] = llmbo_vec_dot(LLMBO_T_F32, k + p * stride, q + j * qs, NULL, n) * scale for
 * p < np and j < nq (attention's scores of nq queries, a grouped-query attention group, against np
 * cached keys): the same numbers at every SIMD level; with AVX-512 each key is read once for all
 * the queries. */
void llmbo_f32_dots(float *s, size_t ss, const float *k, size_t stride, size_t np, const float *q,
                    size_t qs, size_t nq, size_t n, float scale);
/* o[i] = sum over p = 0..np-1, in that order from 0, of a[p] * v[p * stride + i], for i < n
 * (attention's weighted sum of value rows): each product is rounded to float before it is added
 * (no fused multiply-add), so every SIMD level gives the scalar loop's numbers exactly. */
void llmbo_f32_wsum(float *o, const float *a, const float *v, size_t stride, size_t np, size_t n);
/* llmbo_f32_wsum for nq weight rows at once: o + j * os from a + j * as, for j < nq, the same
 * numbers; with AVX-512 each value row is read once for all of them. */
void llmbo_f32_wsum_n(float *o, size_t os, const float *a, size_t as, const float *v, size_t stride,
                      size_t np, size_t n, size_t nq);
/* x[i] = SiLU(x[i]) u[i] (SiLU(x) = x / (1 + e^-x)) for i < n, with e^-x from a degree-7
 * polynomial (within 2 float ulps of e^-x): the same numbers at every SIMD level. */
void llmbo_silu_mul(float *x, const float *u, size_t n);
/* out[r] = the dot product of weight row r (rows rows, row_bytes apart from w; n elements of the
 * quantised type t) with one activation row xq, for r < rows: the same numbers as llmbo_vec_dot
 * for each row (one-token decode: several rows per pass, the next rows prefetched). */
void llmbo_gemv(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                size_t n, float *out);
/* Rows packed in groups of LLMBO_PACK_ROWS (Q4_K, Q5_K, Q6_K, IQ4_XS, Q8_0; quant.c describes the
 * layouts): one-token decode reads a packed matrix as one stream and serves a group's rows with
 * each vector instruction. The rows after the last whole group stay in the file's layout. */
#define LLMBO_PACK_ROWS 16
/* 1 if a matrix of type t with `rows` rows of n elements can be packed (at least one group). */
int llmbo_pack_ok(llmbo_ttype t, size_t rows, size_t n);
/* Rewrites the LLMBO_PACK_ROWS rows at w (row_bytes apart, the file's layout) into the packed
 * layout in the same bytes; scratch holds LLMBO_PACK_ROWS * row_bytes bytes. */
void llmbo_pack_group(llmbo_ttype t, uint8_t *w, size_t row_bytes, size_t n, uint8_t *scratch);
/* Rows of scratch llmbo_pack_matrix needs: one row block of a matrix in panels. */
#define LLMBO_PACK_SCRATCH_ROWS (4 * LLMBO_PACK_ROWS)
/* Packs the whole groups of a matrix of `rows` rows of n elements at w (row_bytes apart, the
 * file's layout) in place: each group as llmbo_pack_group, and a wide matrix's groups (of Q4_K,
 * Q5_K, Q6_K, IQ4_XS: more than 24 KiB per group) then in panels of columns, row block by row
 * block of llmbo_pack_align(t, n) rows (quant.c). scratch holds LLMBO_PACK_SCRATCH_ROWS *
 * row_bytes bytes. */
void llmbo_pack_matrix(llmbo_ttype t, uint8_t *w, size_t row_bytes, size_t rows, size_t n,
                       uint8_t *scratch);
/* The rows a range of a packed matrix must start at a multiple of (and end at one, or at the
 * matrix's end) for llmbo_gemm_packed: LLMBO_PACK_ROWS, or 4 x that for a matrix in panels. */
size_t llmbo_pack_align(llmbo_ttype t, size_t n);
/* Row r (in its whole groups) of the matrix of `rows` rows of n elements packed at w by
 * llmbo_pack_matrix, back in the file's layout, into row. */
void llmbo_unpack_row(llmbo_ttype t, const uint8_t *w, size_t rows, size_t n, size_t r,
                      uint8_t *row);
/* llmbo_gemm for a matrix packed from its first row (row_bytes the file's bytes per row; its whole
 * groups packed by llmbo_pack_matrix, any rows after them not; T = 1 is one-token decode), or for
 * a range of its rows that starts and ends as llmbo_pack_align says. A (row, token) pair gets
 * the same number for every T and every such range. At SIMD level 3 the
 * packed rows' numbers are not llmbo_vec_dot's on the file's layout (the float steps are taken
 * per block in another order); at the other levels they are, for rows of at most 64 blocks. */
void llmbo_gemm_packed(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                       size_t T, size_t n, float *out, size_t out_stride);
/* Software prefetch in packed one-token decode (llmbo_gemm_packed with T = 1), on (1, the
 * default) or off (0), for every matrix of the process. Whether it pays depends on the machine,
 * not on the model: llmbo_engine_open measures both and sets the faster. The numbers are the same
 * either way. */
void llmbo_quant_set_prefetch(int on);
int llmbo_quant_prefetch(void);
/* Bytes of one row of n elements. */
size_t llmbo_row_bytes(llmbo_ttype t, size_t n);
/* SIMD levels: 0 scalar, 1 AVX2 (with FMA and F16C), 2 AVX-512BW (the 256-element kernels,
 * MXFP4 and the Q8_0 tile; the others stay AVX2), 3 AVX-512 VNNI (Q4_K, Q5_K, Q6_K, MXFP4: one
 * vpdpwssd for a multiply-add-accumulate, the same integer sums; MXFP4's block loads and packed
 * IQ4_XS's codebook by byte permutes where the CPU also has AVX512-VBMI). The level is chosen once,
 * automatically, as the highest the CPU supports, capped by the environment variable LLMBO_SIMD (a
 * digit) when set; llmbo_quant_set_simd (for tests and benchmarks) selects any level up to that, a
 * larger value giving the highest. */
void llmbo_quant_set_simd(int level);
int llmbo_quant_simd(void);
int llmbo_quant_simd_max(void);
/* The kernels that use AVX512-VBMI byte permutes at level 3 (MXFP4, packed IQ4_XS) off (0) or,
 * where the CPU has it, on (1, the default); returns whether they are on. Both give the same
 * numbers; tests compare them. */
int llmbo_quant_set_vbmi(int on);

#endif
