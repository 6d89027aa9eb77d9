/* quant.c: dequantisation and dot products for F32, F16, BF16, Q4_0, Q8_0 and (two shared scalar
 * paths) the other quantised types. The 32-element types meet activations quantised per 32
 * (llmbo_q8a), the 256-element super-block types (Q2_K..Q6_K, IQ4_XS) activations quantised per
 * 256 (llmbo_q8k). Every kernel has a portable scalar form; on x86-64 with GCC/Clang, AVX2 forms
 * of all of them (F32, F16, BF16, the 32-element types, Q2_K..Q6_K, the IQ types) are compiled with
 * a target attribute and chosen at run time when the CPU has AVX2, FMA and F16C, so the default
 * (non -march=native) build is fast too. Block layouts: ggml's ggml-common.h; the integer
 * identities used per block are written next to each kernel. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "quant.h"
#include "iq_grids.h"
#include "llmbo_common.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LLMBO_X86_DISPATCH 1
#include <cpuid.h>
#include <immintrin.h>
#endif

/* ----------------------------------------------------------------------------------------------
 * Half precision
 * -------------------------------------------------------------------------------------------- */

float llmbo_fp16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t llmbo_f32_to_fp16(float f)
{
    /* Round to nearest even, via the float's bits. */
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t man = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff)
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    if (exp >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)h;
}

float llmbo_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static float rd_half(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return llmbo_fp16_to_f32(h);
}

size_t llmbo_row_bytes(llmbo_ttype t, size_t n)
{
    return n / llmbo_ttype_block(t) * llmbo_ttype_block_bytes(t);
}

int llmbo_ttype_quantised(llmbo_ttype t)
{
    return t != LLMBO_T_F32 && t != LLMBO_T_F16 && t != LLMBO_T_BF16;
}

/* ----------------------------------------------------------------------------------------------
 * K-quant unpacking helpers
 * -------------------------------------------------------------------------------------------- */

/* Q4_K: sub-block j (0..7) has a 6-bit scale and a 6-bit minimum packed into 12 bytes: the first
 * four of each in the low 6 bits of bytes 0-3 / 4-7, the last four split between the low or high
 * nibble of bytes 8-11 and the top two bits of bytes 0-7. */
static void q4k_scale_min(int j, const uint8_t *s, int *sc, int *m)
{
    if (j < 4) {
        *sc = s[j] & 63;
        *m = s[j + 4] & 63;
    } else {
        *sc = (s[j + 4] & 0xf) | ((s[j - 4] >> 6) << 4);
        *m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
}

/* Q6_K: element e (0..255) of a super-block. Halves of 128 use 64 bytes of ql and 32 of qh; within
 * a half, element k*32+l takes the low (k even) or high (k odd) nibble of ql[l + 32*(k&1)] and two
 * bits of qh[l] at shift 2k. Returns the signed value in [-32, 31]; its scale is scales[e/16]. */
static void q6k_unpack(const uint8_t *blk, int8_t *q)
{
    const uint8_t *ql = blk, *qh = blk + 128;
    for (int h = 0; h < 2; h++) {
        for (int l = 0; l < 32; l++) {
            int hb = qh[h * 32 + l];
            q[h * 128 + l] = (int8_t)(((ql[h * 64 + l] & 0xf) | ((hb & 3) << 4)) - 32);
            q[h * 128 + l + 32] =
                (int8_t)(((ql[h * 64 + l + 32] & 0xf) | (((hb >> 2) & 3) << 4)) - 32);
            q[h * 128 + l + 64] = (int8_t)(((ql[h * 64 + l] >> 4) | (((hb >> 4) & 3) << 4)) - 32);
            q[h * 128 + l + 96] =
                (int8_t)(((ql[h * 64 + l + 32] >> 4) | (((hb >> 6) & 3) << 4)) - 32);
        }
    }
}

/* ----------------------------------------------------------------------------------------------
 * The other quantised types share two scalar paths: a block decodes to integer levels q and, per
 * group of 16 elements, a scale a and an offset b, so that y = a * q + b. A dot product with
 * activation blocks is then, per group, a_d * (a * sum(q qa) + b * sum(qa)) with integer sums:
 * dot_generic for Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4 (blocks of 32), dot_k_generic for Q2_K, Q3_K,
 * Q4_K, Q5_K, Q6_K, IQ4_XS (super-blocks of 256; the reference of their SIMD forms). Layouts:
 * ggml-common.h.
 * -------------------------------------------------------------------------------------------- */

typedef struct qgroups {
    int8_t q[256];
    float a[16], b[16];
} qgroups;

/* IQ4_NL / IQ4_XS codebook: 4-bit index -> level. */
static const int8_t iq4_levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};

/* The IQ1/IQ2/IQ3 codebooks' level values (iq_grids.h). */
/* MXFP4's E2M1 codes (OCP Microscaling spec v1.0: sign bit 3, then 0, 0.5, 1, 1.5, 2, 3, 4, 6)
 * doubled, as ggml stores them, so the block scale 2^(e - 127) is halved: 2^(e - 128). */
static const int8_t fp4_levels[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/* An E8M0 byte e as 2^(e - 128) (the halved scale; 255, the spec's NaN, is read as 2^127 like
 * ggml), built from its IEEE bits rather than by ldexpf, a libm call per block: biased exponent
 * e - 1 for e >= 2, the subnormals 2^-127 and 2^-128 (mantissa bit 22 or 21) for e 1 and 0. */
static float e8m0_half(uint8_t e)
{
    uint32_t bits = e >= 2 ? (uint32_t)(e - 1) << 23 : 0x00200000u << e;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static const int8_t iq2_levels[3] = {8, 25, 43};
static const int8_t iq3xxs_levels[8] = {4, 12, 20, 28, 36, 44, 52, 62};
static const int8_t iq3s_levels[8] = {1, 3, 5, 7, 9, 11, 13, 15};

static uint32_t rd_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A 7-bit sign field names 8 signs: the eighth makes the count of minus signs even. */
static unsigned iq_signs7(unsigned s7)
{
    unsigned par = s7 ^ (s7 >> 4);
    par ^= par >> 2;
    par ^= par >> 1;
    return s7 | (par & 1) << 7;
}

/* IQ1's levels -1, 0, 1 shifted by +1/8 or -1/8, times 8 so that they stay integers: 8 g +- 1. */
static const int8_t iq1_levels_up[3] = {-7, 1, 9}, iq1_levels_down[3] = {-9, -1, 7};

/* A codebook entry as bytes, element j in byte j: 8 elements of 2-bit level indices into lv... */
static uint64_t iq_expand8(uint16_t code, const int8_t *lv)
{
    uint64_t v = 0;
    for (int j = 0; j < 8; j++)
        v |= (uint64_t)(uint8_t)lv[(code >> (2 * j)) & 3] << (8 * j);
    return v;
}

/* ...or 4 elements of 3-bit ones. */
static uint32_t iq_expand4(uint16_t code, const int8_t *lv)
{
    uint32_t v = 0;
    for (int j = 0; j < 4; j++)
        v |= (uint32_t)(uint8_t)lv[(code >> (3 * j)) & 7] << (8 * j);
    return v;
}

/* The n elements of an expanded entry v, negated where signs' bit j is set. */
static void iq_signed_entry(uint64_t v, unsigned signs, int n, int8_t *q)
{
    for (int j = 0; j < n; j++) {
        int x = (int8_t)(uint8_t)(v >> (8 * j));
        q[j] = (int8_t)((signs >> j) & 1 ? -x : x);
    }
}

static void iq2_entry(uint16_t code, unsigned signs, int8_t *q)
{
    iq_signed_entry(iq_expand8(code, iq2_levels), signs, 8, q);
}

static void iq3_entry(uint16_t code, const int8_t *lv, unsigned signs, int8_t *q)
{
    iq_signed_entry(iq_expand4(code, lv), signs, 4, q);
}

/* An IQ1 entry's levels shifted down by 1/8 when neg, else up. */
static void iq1_entry(uint16_t code, int neg, int8_t *q)
{
    iq_signed_entry(iq_expand8(code, neg ? iq1_levels_down : iq1_levels_up), 0, 8, q);
}

/* Decodes one block of type t at p into g (32 elements for the 32-blocks, else 256). */
static void decode_block(llmbo_ttype t, const uint8_t *p, qgroups *g)
{
    switch (t) {
    case LLMBO_T_Q4_1: { /* y = d q + m; byte i: element i (low nibble), i + 16 (high) */
        float d = rd_half(p), m = rd_half(p + 2);
        for (int i = 0; i < 16; i++) {
            g->q[i] = (int8_t)(p[4 + i] & 0xf);
            g->q[i + 16] = (int8_t)(p[4 + i] >> 4);
        }
        g->a[0] = g->a[1] = d;
        g->b[0] = g->b[1] = m;
        return;
    }
    case LLMBO_T_Q5_0:
    case LLMBO_T_Q5_1: { /* fifth bit of element j is bit j of the 32-bit qh; Q5_0 offset 16 */
        int one = t == LLMBO_T_Q5_1;
        float d = rd_half(p), m = one ? rd_half(p + 2) : 0.0f;
        const uint8_t *qh = p + 2 + 2 * one, *qs = qh + 4;
        uint32_t h =
            (uint32_t)qh[0] | (uint32_t)qh[1] << 8 | (uint32_t)qh[2] << 16 | (uint32_t)qh[3] << 24;
        int off = one ? 0 : 16;
        for (int i = 0; i < 16; i++) {
            g->q[i] = (int8_t)(((qs[i] & 0xf) | (((h >> i) & 1) << 4)) - off);
            g->q[i + 16] = (int8_t)(((qs[i] >> 4) | (((h >> (i + 16)) & 1) << 4)) - off);
        }
        g->a[0] = g->a[1] = d;
        g->b[0] = g->b[1] = m;
        return;
    }
    case LLMBO_T_IQ4_NL: {
        float d = rd_half(p);
        for (int i = 0; i < 16; i++) {
            g->q[i] = iq4_levels[p[2 + i] & 0xf];
            g->q[i + 16] = iq4_levels[p[2 + i] >> 4];
        }
        g->a[0] = g->a[1] = d;
        g->b[0] = g->b[1] = 0.0f;
        return;
    }
    case LLMBO_T_MXFP4: { /* e, then 16 bytes: element i in the low nibble, i + 16 in the high */
        float d = e8m0_half(p[0]);
        for (int i = 0; i < 16; i++) {
            g->q[i] = fp4_levels[p[1 + i] & 0xf];
            g->q[i + 16] = fp4_levels[p[1 + i] >> 4];
        }
        g->a[0] = g->a[1] = d;
        g->b[0] = g->b[1] = 0.0f;
        return;
    }
    case LLMBO_T_Q2_K: { /* scales[16] (scale low nibble, min high), qs[64], d, dmin. Group gi
                          * (16 elements) of half n, shift j: bits 2j of qs[32n + 16(gi&1) + l] */
        const uint8_t *sc = p, *qs = p + 16;
        float d = rd_half(p + 80), dmin = rd_half(p + 82);
        for (int gi = 0; gi < 16; gi++) {
            int n = gi / 8, j = (gi % 8) / 2, hf = gi % 2;
            for (int l = 0; l < 16; l++)
                g->q[gi * 16 + l] = (int8_t)((qs[32 * n + 16 * hf + l] >> (2 * j)) & 3);
            g->a[gi] = d * (float)(sc[gi] & 0xf);
            g->b[gi] = -dmin * (float)(sc[gi] >> 4);
        }
        return;
    }
    case LLMBO_T_Q3_K: { /* hmask[32], qs[64], scales[12] (16 x 6 bits, offset 32), d. Level
                          * = 2 bits of qs - 4 unless the element's hmask bit is set */
        const uint8_t *hm = p, *qs = p + 32, *s = p + 96;
        float d = rd_half(p + 108);
        int sc[16];
        for (int i = 0; i < 16; i++) {
            int lo = i < 8 ? s[i] & 0xf : s[i - 8] >> 4;
            int hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
            sc[i] = (lo | hi << 4) - 32;
        }
        for (int gi = 0; gi < 16; gi++) {
            int n = gi / 8, j = (gi % 8) / 2, hf = gi % 2, bit = 4 * n + j;
            for (int l = 0; l < 16; l++) {
                int k = 16 * hf + l;
                int v = (qs[32 * n + k] >> (2 * j)) & 3;
                g->q[gi * 16 + l] = (int8_t)(v - ((hm[k] >> bit) & 1 ? 0 : 4));
            }
            g->a[gi] = d * (float)sc[gi];
            g->b[gi] = 0.0f;
        }
        return;
    }
    case LLMBO_T_Q5_K: { /* d, dmin, Q4_K's 12 scale bytes, qh[32], qs[128]: sub-block j (32
                          * elements) takes nibbles of qs[32(j/2) + l] and bit j of qh[l] */
        float d = rd_half(p), dmin = rd_half(p + 2);
        const uint8_t *sc = p + 4, *qh = p + 16, *qs = p + 48;
        for (int j = 0; j < 8; j++) {
            int s, m;
            q4k_scale_min(j, sc, &s, &m);
            const uint8_t *q = qs + (j / 2) * 32;
            for (int l = 0; l < 32; l++) {
                int v = (j & 1) ? (q[l] >> 4) : (q[l] & 0xf);
                g->q[j * 32 + l] = (int8_t)(v | (((qh[l] >> j) & 1) << 4));
            }
            g->a[2 * j] = g->a[2 * j + 1] = d * (float)s;
            g->b[2 * j] = g->b[2 * j + 1] = -dmin * (float)m;
        }
        return;
    }
    case LLMBO_T_Q4_K: { /* d, dmin, 12 scale bytes, qs[128]: sub-block j takes the low (j even)
                          * or high (j odd) nibbles of qs[32(j/2) + l] */
        float d = rd_half(p), dmin = rd_half(p + 2);
        for (int j = 0; j < 8; j++) {
            int s, m;
            q4k_scale_min(j, p + 4, &s, &m);
            const uint8_t *q = p + 16 + (j / 2) * 32;
            for (int l = 0; l < 32; l++)
                g->q[j * 32 + l] = (int8_t)((j & 1) ? (q[l] >> 4) : (q[l] & 0xf));
            g->a[2 * j] = g->a[2 * j + 1] = d * (float)s;
            g->b[2 * j] = g->b[2 * j + 1] = -dmin * (float)m;
        }
        return;
    }
    case LLMBO_T_Q6_K: { /* ql[128], qh[64], int8 scales[16], d */
        const int8_t *sc = (const int8_t *)(p + 192);
        float d = rd_half(p + 208);
        q6k_unpack(p, g->q);
        for (int gi = 0; gi < 16; gi++) {
            g->a[gi] = d * (float)sc[gi];
            g->b[gi] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ4_XS: { /* d, scales_h (2 bits each), scales_l[4] (4 bits each), qs[128] */
        float d = rd_half(p);
        unsigned sh = (unsigned)p[2] | (unsigned)p[3] << 8;
        const uint8_t *sl = p + 4, *qs = p + 8;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((sl[ib / 2] >> (4 * (ib % 2))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
            for (int i = 0; i < 16; i++) {
                g->q[ib * 32 + i] = iq4_levels[qs[ib * 16 + i] & 0xf];
                g->q[ib * 32 + i + 16] = iq4_levels[qs[ib * 16 + i] >> 4];
            }
            g->a[2 * ib] = g->a[2 * ib + 1] = d * (float)(ls - 32);
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ2_XXS: { /* d; per 32: 4 index bytes, then 4 x 7 sign bits and a 4-bit scale
                             * s in one u32: y = d (s + 1/2) / 4 * level */
        float d = rd_half(p);
        for (int ib = 0; ib < 8; ib++) {
            const uint8_t *b = p + 2 + 8 * ib;
            uint32_t aux = rd_u32le(b + 4);
            for (int l = 0; l < 4; l++)
                iq2_entry(llmbo_iq2xxs_codes[b[l]], iq_signs7((aux >> (7 * l)) & 127),
                          g->q + 32 * ib + 8 * l);
            g->a[2 * ib] = g->a[2 * ib + 1] = d * (0.5f + (float)(aux >> 28)) * 0.25f;
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ2_XS: { /* d; qs[32] u16 (9-bit index, 7 sign bits); scales[8] (a nibble per
                            * 16 elements) */
        float d = rd_half(p);
        for (int ib = 0; ib < 8; ib++) {
            for (int l = 0; l < 4; l++) {
                unsigned v = (unsigned)p[2 + 8 * ib + 2 * l] | (unsigned)p[3 + 8 * ib + 2 * l] << 8;
                iq2_entry(llmbo_iq2xs_codes[v & 511], iq_signs7(v >> 9), g->q + 32 * ib + 8 * l);
            }
            int sc = p[66 + ib];
            g->a[2 * ib] = d * (0.5f + (float)(sc & 0xf)) * 0.25f;
            g->a[2 * ib + 1] = d * (0.5f + (float)(sc >> 4)) * 0.25f;
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ2_S: { /* d; qs[32] low index bits; signs[32]; qh[8] (2 high bits per entry);
                           * scales[8] as IQ2_XS */
        float d = rd_half(p);
        const uint8_t *qs = p + 2, *sg = p + 34, *qh = p + 66, *sc = p + 74;
        for (int ib = 0; ib < 8; ib++) {
            for (int l = 0; l < 4; l++) {
                unsigned idx = qs[4 * ib + l] | (((unsigned)qh[ib] << (8 - 2 * l)) & 0x300);
                iq2_entry(llmbo_iq2s_codes[idx], sg[4 * ib + l], g->q + 32 * ib + 8 * l);
            }
            g->a[2 * ib] = d * (0.5f + (float)(sc[ib] & 0xf)) * 0.25f;
            g->a[2 * ib + 1] = d * (0.5f + (float)(sc[ib] >> 4)) * 0.25f;
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ3_XXS: { /* d; qs[64] indices (2 entries of 4 per 8 elements); per 32 one u32
                             * of 4 x 7 sign bits and a 4-bit scale s: y = d (s + 1/2) / 2 */
        float d = rd_half(p);
        const uint8_t *qs = p + 2;
        for (int ib = 0; ib < 8; ib++) {
            uint32_t aux = rd_u32le(p + 66 + 4 * ib);
            for (int l = 0; l < 4; l++) {
                unsigned sg = iq_signs7((aux >> (7 * l)) & 127);
                int8_t *q = g->q + 32 * ib + 8 * l;
                iq3_entry(llmbo_iq3xxs_codes[qs[8 * ib + 2 * l]], iq3xxs_levels, sg, q);
                iq3_entry(llmbo_iq3xxs_codes[qs[8 * ib + 2 * l + 1]], iq3xxs_levels, sg >> 4,
                          q + 4);
            }
            g->a[2 * ib] = g->a[2 * ib + 1] = d * (0.5f + (float)(aux >> 28)) * 0.5f;
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ3_S: { /* d; qs[64] low index bits; qh[8] (9th bits, one byte per 32);
                           * signs[32]; scales[4] (a nibble per 32: y = d (1 + 2 s)) */
        float d = rd_half(p);
        const uint8_t *qs = p + 2, *qh = p + 66, *sg = p + 74, *sc = p + 106;
        for (int ib = 0; ib < 8; ib++) {
            for (int l = 0; l < 4; l++) {
                unsigned i1 = qs[8 * ib + 2 * l] | (((unsigned)qh[ib] << (8 - 2 * l)) & 256);
                unsigned i2 = qs[8 * ib + 2 * l + 1] | (((unsigned)qh[ib] << (7 - 2 * l)) & 256);
                int8_t *q = g->q + 32 * ib + 8 * l;
                iq3_entry(llmbo_iq3s_codes[i1], iq3s_levels, sg[4 * ib + l], q);
                iq3_entry(llmbo_iq3s_codes[i2], iq3s_levels, (unsigned)sg[4 * ib + l] >> 4, q + 4);
            }
            int s = (sc[ib / 2] >> (4 * (ib % 2))) & 0xf;
            g->a[2 * ib] = g->a[2 * ib + 1] = d * (float)(1 + 2 * s);
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ1_S: { /* d; qs[32] low index bits; qh[8] u16: 4 x 3 high bits, a 3-bit
                           * scale s, the shift's sign: y = d (2 s + 1) (level +- 1/8) */
        float d = rd_half(p);
        for (int ib = 0; ib < 8; ib++) {
            unsigned h = (unsigned)p[34 + 2 * ib] | (unsigned)p[35 + 2 * ib] << 8;
            for (int l = 0; l < 4; l++) {
                unsigned idx = p[2 + 4 * ib + l] | ((h >> (3 * l)) & 7) << 8;
                iq1_entry(llmbo_iq1s_codes[idx], (h & 0x8000) != 0, g->q + 32 * ib + 8 * l);
            }
            float dl = d * (float)(2 * ((h >> 12) & 7) + 1);
            g->a[2 * ib] = g->a[2 * ib + 1] = dl * 0.125f;
            g->b[2 * ib] = g->b[2 * ib + 1] = 0.0f;
        }
        return;
    }
    case LLMBO_T_IQ1_M: { /* qs[32] low index bits; qh[16] (per 8 elements 3 high bits and the
                           * shift's sign); scales[8]: 3-bit scales per 16 and, in the top
                           * nibbles of its four u16, the fp16 d */
        const uint8_t *qs = p, *qh = p + 32, *scb = p + 48;
        unsigned sc[4];
        for (int k = 0; k < 4; k++)
            sc[k] = (unsigned)scb[2 * k] | (unsigned)scb[2 * k + 1] << 8;
        float d = llmbo_fp16_to_f32((uint16_t)((sc[0] >> 12) | ((sc[1] >> 8) & 0xf0) |
                                               ((sc[2] >> 4) & 0xf00) | (sc[3] & 0xf000)));
        for (int ib = 0; ib < 8; ib++) {
            for (int l = 0; l < 4; l++) {
                unsigned h = qh[2 * ib + l / 2] >> (4 * (l % 2));
                unsigned idx = qs[4 * ib + l] | (h & 7) << 8;
                iq1_entry(llmbo_iq1s_codes[idx], (h & 8) != 0, g->q + 32 * ib + 8 * l);
            }
            for (int k = 0; k < 2; k++) {
                unsigned s = (sc[ib / 2] >> (6 * (ib % 2) + 3 * k)) & 7;
                g->a[2 * ib + k] = d * (float)(2 * s + 1) * 0.125f;
                g->b[2 * ib + k] = 0.0f;
            }
        }
        return;
    }
    default:
        memset(g, 0, sizeof *g);
        return;
    }
}

static void dequant_generic(llmbo_ttype t, const uint8_t *p, float *y, size_t n)
{
    size_t blk = llmbo_ttype_block(t), bytes = llmbo_ttype_block_bytes(t);
    qgroups g;
    for (size_t b = 0; b < n / blk; b++, p += bytes) {
        decode_block(t, p, &g);
        for (size_t e = 0; e < blk; e++)
            y[b * blk + e] = g.a[e / 16] * (float)g.q[e] + g.b[e / 16];
    }
}

static float dot_generic(llmbo_ttype t, const uint8_t *p, const llmbo_q8a *x, size_t n)
{
    size_t blk = llmbo_ttype_block(t), bytes = llmbo_ttype_block_bytes(t);
    qgroups g;
    float sum = 0.0f;
    for (size_t b = 0; b < n / blk; b++, p += bytes, x += blk / 32) {
        decode_block(t, p, &g);
        for (size_t gi = 0; gi < blk / 16; gi++) {
            const llmbo_q8a *xa = &x[gi / 2];
            const int8_t *qa = xa->q + 16 * (gi % 2), *q = g.q + 16 * gi;
            int isum = 0, qsum = 0;
            for (int l = 0; l < 16; l++) {
                isum += q[l] * qa[l];
                qsum += qa[l];
            }
            sum += xa->d * (g.a[gi] * (float)isum + g.b[gi] * (float)qsum);
        }
    }
    return sum;
}

/* The 256-element types with Q8_K activations (one scale yd per 256): per group of 16,
 * yd * (a * sum(q qa) + b * bsum) with integer sums. The scalar reference of every K kernel. */
static float dot_k_generic(llmbo_ttype t, const uint8_t *p, const llmbo_q8k *y, size_t nsb)
{
    size_t bytes = llmbo_ttype_block_bytes(t);
    qgroups g;
    float sum = 0.0f;
    for (size_t b = 0; b < nsb; b++, p += bytes, y++) {
        decode_block(t, p, &g);
        float blk = 0.0f;
        for (int gi = 0; gi < 16; gi++) {
            const int8_t *qa = y->q + 16 * gi, *q = g.q + 16 * gi;
            int isum = 0;
            for (int l = 0; l < 16; l++)
                isum += q[l] * qa[l];
            blk += g.a[gi] * (float)isum + g.b[gi] * (float)y->bsum[gi];
        }
        sum += y->d * blk;
    }
    return sum;
}

/* ----------------------------------------------------------------------------------------------
 * Dequantisation
 * -------------------------------------------------------------------------------------------- */

void llmbo_dequant_row(llmbo_ttype t, const void *row, float *y, size_t n)
{
    const uint8_t *p = row;
    switch (t) {
    case LLMBO_T_F32:
        memcpy(y, row, n * 4);
        return;
    case LLMBO_T_F16:
        for (size_t i = 0; i < n; i++)
            y[i] = rd_half(p + 2 * i);
        return;
    case LLMBO_T_BF16:
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            y[i] = llmbo_bf16_to_f32(h);
        }
        return;
    case LLMBO_T_Q8_0:
        for (size_t b = 0; b < n / 32; b++, p += 34) {
            float d = rd_half(p);
            for (int i = 0; i < 32; i++)
                y[b * 32 + i] = d * (float)(int8_t)p[2 + i];
        }
        return;
    case LLMBO_T_Q4_0:
        /* Byte i holds element i (low nibble) and element i + 16 (high nibble), offset by 8. */
        for (size_t b = 0; b < n / 32; b++, p += 18) {
            float d = rd_half(p);
            for (int i = 0; i < 16; i++) {
                y[b * 32 + i] = d * (float)((p[2 + i] & 0xf) - 8);
                y[b * 32 + i + 16] = d * (float)((p[2 + i] >> 4) - 8);
            }
        }
        return;
    case LLMBO_T_Q4_K:
        /* Sub-block j: y = d * sc_j * q - dmin * m_j; pairs of sub-blocks share 32 bytes of qs
         * (low nibbles the first, high nibbles the second). */
        for (size_t b = 0; b < n / 256; b++, p += 144) {
            float d = rd_half(p), dmin = rd_half(p + 2);
            const uint8_t *sc = p + 4, *qs = p + 16;
            for (int j = 0; j < 8; j++) {
                int s, m;
                q4k_scale_min(j, sc, &s, &m);
                const uint8_t *q = qs + (j / 2) * 32;
                for (int l = 0; l < 32; l++) {
                    int v = (j & 1) ? (q[l] >> 4) : (q[l] & 0xf);
                    y[b * 256 + j * 32 + l] = d * (float)s * (float)v - dmin * (float)m;
                }
            }
        }
        return;
    case LLMBO_T_Q6_K:
        for (size_t b = 0; b < n / 256; b++, p += 210) {
            int8_t q[256];
            q6k_unpack(p, q);
            const int8_t *sc = (const int8_t *)(p + 192);
            float d = rd_half(p + 208);
            for (int e = 0; e < 256; e++)
                y[b * 256 + e] = d * (float)sc[e / 16] * (float)q[e];
        }
        return;
    default:
        dequant_generic(t, p, y, n);
        return;
    }
}

/* ----------------------------------------------------------------------------------------------
 * Activation quantisation: symmetric int8 blocks of 32, d = max|x| / 127.
 * -------------------------------------------------------------------------------------------- */

static void q8a_block(const float *xb, llmbo_q8a *y)
{
    float amax = 0.0f;
    for (int i = 0; i < LLMBO_QK; i++) {
        float a = fabsf(xb[i]);
        amax = a > amax ? a : amax;
    }
    float d = amax / 127.0f, id = d > 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int i = 0; i < LLMBO_QK; i++) {
        int q = (int)lrintf(xb[i] * id);
        y->q[i] = (int8_t)q;
        sum += q;
    }
    y->d = d;
    y->s = d * (float)sum;
}

/* Q8_K: one scale per 256 (what ggml's K-quant dot products take), so a super-block's integer
 * sums need no float multiply per sub-block. */
static void q8k_block(const float *xb, llmbo_q8k *y)
{
    float amax = 0.0f;
    for (int i = 0; i < LLMBO_QK_K; i++) {
        float a = fabsf(xb[i]);
        amax = a > amax ? a : amax;
    }
    float d = amax / 127.0f, id = d > 0.0f ? 1.0f / d : 0.0f;
    for (int g = 0; g < LLMBO_QK_K / 16; g++) {
        int sum = 0;
        for (int i = 16 * g; i < 16 * g + 16; i++) {
            int q = (int)lrintf(xb[i] * id);
            y->q[i] = (int8_t)q;
            sum += q;
        }
        y->bsum[g] = (int16_t)sum;
    }
    y->d = d;
}

llmbo_act llmbo_ttype_act(llmbo_ttype t)
{
    if (!llmbo_ttype_quantised(t))
        return LLMBO_ACT_F32;
    return llmbo_ttype_block(t) == LLMBO_QK_K ? LLMBO_ACT_Q8K : LLMBO_ACT_Q8;
}

/* ----------------------------------------------------------------------------------------------
 * Scalar dot products
 * -------------------------------------------------------------------------------------------- */

static float dot_f32(const float *w, const float *x, size_t n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float w4[4];
        memcpy(w4, w + i, sizeof w4);
        s0 += w4[0] * x[i];
        s1 += w4[1] * x[i + 1];
        s2 += w4[2] * x[i + 2];
        s3 += w4[3] * x[i + 3];
    }
    for (; i < n; i++)
        s0 += w[i] * x[i];
    return (s0 + s1) + (s2 + s3);
}

static float dot_q8_0(const uint8_t *p, const llmbo_q8a *x, size_t nb)
{
    float sum = 0.0f;
    for (size_t b = 0; b < nb; b++, p += 34) {
        int isum = 0;
        for (int i = 0; i < 32; i++)
            isum += (int8_t)p[2 + i] * x[b].q[i];
        sum += rd_half(p) * x[b].d * (float)isum;
    }
    return sum;
}

static float dot_q4_0(const uint8_t *p, const llmbo_q8a *x, size_t nb)
{
    float sum = 0.0f;
    for (size_t b = 0; b < nb; b++, p += 18) {
        int isum = 0;
        for (int i = 0; i < 16; i++)
            isum += ((p[2 + i] & 0xf) - 8) * x[b].q[i] + ((p[2 + i] >> 4) - 8) * x[b].q[i + 16];
        sum += rd_half(p) * x[b].d * (float)isum;
    }
    return sum;
}

/* ----------------------------------------------------------------------------------------------
 * AVX2 kernels (x86-64, chosen at run time)
 * -------------------------------------------------------------------------------------------- */

static int simd_on = -1;              /* -1: not decided yet */
static _Atomic int pack_prefetch = 1; /* llmbo_quant_set_prefetch */

#ifdef LLMBO_X86_DISPATCH
#define AVX2_FN __attribute__((target("avx2,fma,f16c")))

AVX2_FN static float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* The sum of the eight int32 lanes of v (exact as long as it fits). */
AVX2_FN static int hsum8_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

AVX2_FN static float half_avx(const uint8_t *p)
{
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/* Signed int8 x int8 over 32 lanes -> 8 int32 partial sums: maddubs needs an unsigned operand, so
 * multiply |w| by sign(w) * a (the product is unchanged). */
AVX2_FN static __m256 dot32_i8(__m256i w, __m256i a)
{
    __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(a, w));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

AVX2_FN static float dot_q4_0_avx2(const uint8_t *p, const llmbo_q8a *x, size_t nb)
{
    const __m128i m4 = _mm_set1_epi8(0xf);
    const __m256i off = _mm256_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++, p += 18) {
        __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
        __m128i lo = _mm_and_si128(raw, m4), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m4);
        __m256i w = _mm256_sub_epi8(_mm256_set_m128i(hi, lo), off);
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)x[b].q);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half_avx(p) * x[b].d), dot32_i8(w, a), acc);
    }
    return hsum8(acc);
}

AVX2_FN static float dot_f32_avx2(const float *w, const float *x, size_t n)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum8(_mm256_add_ps(a0, a1));
    for (; i < n; i++)
        s += w[i] * x[i];
    return s;
}

/* The 256-element kernels below (Q4_K, Q5_K, Q6_K, IQ4_XS, with Q8_K activations) and IQ4_NL take
 * NT activation rows (1, 4 or 8, k * stride blocks apart) per pass over the weights: a block's
 * levels are unpacked into registers once and met with every row. Each is an always-inline body
 * instantiated with NT = 1 (llmbo_vec_dot), NT = 4 (llmbo_vec_dot4) and, with AVX-512's 32 vector
 * registers, NT = 8 (llmbo_gemm), so a row's accumulation order, hence its result, is the same in
 * all. A super-block's products are summed exactly in
 * int32 lanes (scales applied as int16 multipliers) and meet the float scales once per 256
 * elements; only the order of the float sums of super-block results differs from the scalar
 * form (tests/test_quant.c bounds that difference). */
#define AVX2_INL __attribute__((target("avx2,fma,f16c"), always_inline)) static inline

/* Signed levels w (|w| <= 127) times signed activations, as dot32_i8, weighted by int16 scales. */
AVX2_INL __m256i mul_s8s8_sc(__m256i wabs, __m256i w, __m256i a, __m256i sc)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(a, w)), sc);
}

AVX2_INL __m256i load_q(const llmbo_q8a *x)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)x->q);
}

AVX2_INL __m256i load32(const int8_t *q)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)q);
}

/* Each int32 lane of x (small signed values) as two equal int16 halves: a _mm256_madd_epi16
 * multiplier that weights both members of a pair. */
AVX2_INL __m256i dup16(__m256i x)
{
    return _mm256_or_si256(_mm256_and_si256(x, _mm256_set1_epi32(0xffff)),
                           _mm256_slli_epi32(x, 16));
}

/* The int16 multiplier of lanes 0-3 from lane i, of lanes 4-7 from lane j (of a dup16 vector). */
AVX2_INL __m256i pick2(__m256i v, int i, int j)
{
    return _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(i, i, i, i, j, j, j, j));
}

/* All eight 6-bit scales and minimums of a Q4_K/Q5_K super-block at once (the layout of
 * q4k_scale_min, on 32-bit words: bytes 0-3, 4-7, 8-11 are w0, w1, w2; a right shift by 6 of a
 * word brings each byte's top two bits to its bits 0-1): bytes 0-7 of the result are the scales,
 * 8-15 the minimums. */
AVX2_INL __m128i q4k_scales16(const uint8_t *s)
{
    uint32_t w[3];
    memcpy(w, s, 12);
    return _mm_setr_epi32((int)(w[0] & 0x3f3f3f3fu),
                          (int)((w[2] & 0x0f0f0f0fu) | ((w[0] >> 6) & 0x03030303u) << 4),
                          (int)(w[1] & 0x3f3f3f3fu),
                          (int)(((w[2] >> 4) & 0x0f0f0f0fu) | ((w[1] >> 6) & 0x03030303u) << 4));
}

/* acc + the sc-weighted pair sums of u (unsigned levels, at most 63) times a (pairs summed with
 * no int16 saturation: 2 * 63 * 127 < 32767): _mm256_madd_epi16 of the int16 sums with the
 * scales, then an add; with VNNI (SIMD level 3) one vpdpwssd does
 * both (the same exact int32 sums). Inline assembly (EVEX-encoded: AVX-512 VNNI with VL), so the
 * bodies need no VNNI target; the VNNI = 1 instances run only when the CPU has it. */
AVX2_INL __m256i madd_acc(__m256i acc, __m256i u, __m256i a, __m256i sc, const int VNNI)
{
    __m256i p16 = _mm256_maddubs_epi16(u, a);
    if (!VNNI)
        return _mm256_add_epi32(acc, _mm256_madd_epi16(p16, sc));
    __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(p16), "v"(sc));
    return acc;
}

/* The float step of a super-block: acc + d yd (its exact int32 sums) and, for the types with
 * minimums (MIN: Q2_K, Q4_K, Q5_K), - dmin yd (the minimums times the 16 group sums, one
 * _mm256_madd_epi16). */
AVX2_INL __m256 ksb_step(__m256 acc, float d, float dmin, const llmbo_q8k *yb, __m256i sumi,
                         __m256i mins, const int MIN)
{
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d * yb->d), _mm256_cvtepi32_ps(sumi), acc);
    if (!MIN)
        return acc;
    __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)yb->bsum);
    __m256 mi = _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, bs));
    return _mm256_fnmadd_ps(_mm256_set1_ps(dmin * yb->d), mi, acc);
}

/* Q4_K and (FIVE) Q5_K: sub-block j (32 elements) meets activation elements 32j..32j+31:
 * d yd sum_j sc_j isum_j - dmin yd sum_j m_j (bsum_2j + bsum_2j+1), the second as one
 * _mm256_madd_epi16 of the minimums (each twice) with the 16 group sums. Q5_K's fifth bit is bit j
 * of qh[l]: shifting the 32 qh bytes right by one per sub-block brings bit j to bit 0 (bits
 * entering from the neighbouring byte reach bit 0 only after 8 shifts); a left shift by 4 and a
 * mask place it at 16. */
AVX2_INL void q45k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                        const int NT, const int FIVE, const int VNNI)
{
    const __m256i m4 = _mm256_set1_epi8(0xf), m16 = _mm256_set1_epi8(16);
    const __m128i twice = _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    const size_t bytes = FIVE ? 176 : 144;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += bytes) {
        float d = half_avx(p), dmin = half_avx(p + 2);
        __m128i sm = q4k_scales16(p + 4);
        __m256i scd = dup16(_mm256_cvtepu8_epi32(sm));
        __m256i mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(sm, twice));
        const uint8_t *qs = p + (FIVE ? 48 : 16);
        __m256i hb = FIVE ? _mm256_loadu_si256((const __m256i *)(const void *)(p + 16))
                          : _mm256_setzero_si256();
        __m256i sumi[8];
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++)
            sumi[k] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int jj = 0; jj < 4; jj++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * jj));
            __m256i lo = _mm256_and_si256(raw, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
            if (FIVE) {
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hb, 4), m16));
                hb = _mm256_srli_epi16(hb, 1);
                hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hb, 4), m16));
                hb = _mm256_srli_epi16(hb, 1);
            }
            __m256i s0 = pick2(scd, 2 * jj, 2 * jj), s1 = pick2(scd, 2 * jj + 1, 2 * jj + 1);
#pragma GCC unroll 8
            for (int k = 0; k < NT; k++) {
                const int8_t *q = y[(size_t)k * stride + b].q + 64 * jj;
                sumi[k] = madd_acc(madd_acc(sumi[k], lo, load32(q), s0, VNNI), hi, load32(q + 32),
                                   s1, VNNI);
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++)
            acc[k] = ksb_step(acc[k], d, dmin, &y[(size_t)k * stride + b], sumi[k], mins, 1);
    }
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

AVX2_INL void q4k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                       const int NT, const int VNNI)
{
    q45k_body(p, y, stride, nsb, out, NT, 0, VNNI);
}

AVX2_INL void q5k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                       const int NT, const int VNNI)
{
    q45k_body(p, y, stride, nsb, out, NT, 1, VNNI);
}

/* Q6_K: half h of a super-block (activation elements 128h..128h+127, sub-blocks j = 4h..4h+3) is
 * ql[64h..64h+63] and qh[32h..32h+31]; sub-block 4h+k takes the low (k = 0, 1) or high (k = 2, 3)
 * nibbles of the first or second 32 ql bytes and bits 2k, 2k+1 of qh (q6k_unpack). The unsigned
 * levels u = q + 32 (0..63) meet the activations directly, and the offset comes back as
 * 32 sum_g sc_g bsum_g (one _mm256_madd_epi16 of the 16 scales with the 16 group sums),
 * subtracted from the exact integer sums. The two groups of 16 in a sub-block have their own int8
 * scale: lanes 0-7 of the pair sums hold the first group, 8-15 the second. */
AVX2_INL void q6k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                       const int NT, const int VNNI)
{
    const __m256i m4 = _mm256_set1_epi8(0xf), m30 = _mm256_set1_epi8(0x30);
    __m256 acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += 210) {
        float d = half_avx(p + 208);
        __m128i sc8 = _mm_loadu_si128((const __m128i *)(const void *)(p + 192));
        __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
        __m256i scd[2] = {dup16(_mm256_cvtepi8_epi32(sc8)),
                          dup16(_mm256_cvtepi8_epi32(_mm_srli_si128(sc8, 8)))};
        __m256i sumi[8];
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            __m256i bs =
                _mm256_loadu_si256((const __m256i *)(const void *)y[(size_t)k * stride + b].bsum);
            sumi[k] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                       _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
        }
#pragma GCC unroll 8
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = p + 64 * h, *qh = p + 128 + 32 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)(const void *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(const void *)(ql + 32));
            __m256i hv = _mm256_loadu_si256((const __m256i *)(const void *)qh);
            __m256i u[4];
            u[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                   _mm256_and_si256(_mm256_slli_epi16(hv, 4), m30));
            u[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_and_si256(_mm256_slli_epi16(hv, 2), m30));
            u[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                   _mm256_and_si256(hv, m30));
            u[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_and_si256(_mm256_srli_epi16(hv, 2), m30));
#pragma GCC unroll 8
            for (int q = 0; q < 4; q++) {
                int j = 4 * h + q, g = (2 * j) % 8;
                __m256i scv = pick2(scd[h], g, g + 1);
#pragma GCC unroll 8
                for (int k = 0; k < NT; k++) {
                    const int8_t *qa = y[(size_t)k * stride + b].q + 32 * j;
                    sumi[k] = madd_acc(sumi[k], u[q], load32(qa), scv, VNNI);
                }
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * y[(size_t)k * stride + b].d),
                                     _mm256_cvtepi32_ps(sumi[k]), acc[k]);
    }
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

/* dot32_i8 as an int32 vector: the int8 products' sums of four; with VNNI one vpdpbusd (|w| as
 * the unsigned operand) instead of maddubs and a madd with ones (the same sums: a pair of
 * products is at most 2 * 128 * 127 < 32768, so maddubs never saturates). */
AVX2_INL __m256i dot32_i8_i32(__m256i w, __m256i a, const int VNNI)
{
    __m256i u = _mm256_sign_epi8(w, w), s = _mm256_sign_epi8(a, w);
    if (!VNNI)
        return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
    __m256i acc = _mm256_setzero_si256();
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
    return acc;
}

/* Q8_0, one row against NT activation rows (k * stride blocks apart): each weight block is loaded
 * and its scale converted once. Per token even blocks go into one sum and odd ones into another
 * (two independent chains), then hsum8 of their sum: NT = 1 and NT = 4 give the same numbers. */
AVX2_INL void q8_0_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                        const int NT, const int VNNI)
{
    __m256 a0[4], a1[4];
    for (int k = 0; k < NT; k++)
        a0[k] = a1[k] = _mm256_setzero_ps();
    size_t b = 0;
    for (; b + 2 <= nb; b += 2, p += 68) {
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 2));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 36));
        float d0 = half_avx(p), d1 = half_avx(p + 34);
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            const llmbo_q8a *xk = x + (size_t)k * stride;
            __m256 f0 = _mm256_cvtepi32_ps(dot32_i8_i32(w0, load_q(&xk[b]), VNNI));
            __m256 f1 = _mm256_cvtepi32_ps(dot32_i8_i32(w1, load_q(&xk[b + 1]), VNNI));
            a0[k] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * xk[b].d), f0, a0[k]);
            a1[k] = _mm256_fmadd_ps(_mm256_set1_ps(d1 * xk[b + 1].d), f1, a1[k]);
        }
    }
    for (; b < nb; b++, p += 34) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(p + 2));
        float d = half_avx(p);
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            const llmbo_q8a *xk = x + (size_t)k * stride;
            __m256 f = _mm256_cvtepi32_ps(dot32_i8_i32(w, load_q(&xk[b]), VNNI));
            a0[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * xk[b].d), f, a0[k]);
        }
    }
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(_mm256_add_ps(a0[k], a1[k]));
}

AVX2_FN static float q8_0_1(const uint8_t *p, const void *x, size_t n)
{
    float o;
    q8_0_body(p, (const llmbo_q8a *)x, 0, n / 32, &o, 1, 0);
    return o;
}

AVX2_FN static void q8_0_4(const uint8_t *p, const void *x, size_t stride, size_t n, float *out)
{
    q8_0_body(p, (const llmbo_q8a *)x, stride / 32, n / 32, out, 4, 0);
}

/* Q4_1, Q5_0, Q5_1 (the types llama.cpp's K presets fall back to for rows whose length is not a
 * multiple of 256: gpt-oss's 2880, SmolLM2's 960): 32 nibbles (element i low nibble of byte i,
 * i + 16 the high one), for the 5-bit types a fifth bit from the 32-bit qh (bit i, element i:
 * byte i / 8 broadcast to eight lanes, tested against its bit), levels 0..31 (Q5_0: minus 16,
 * signed) times the int8 activations; the types with a minimum m add m * s, s the activation
 * block's d * sum(q). */
AVX2_INL void q01_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                       const int NT, const int FIVE, const int MIN)
{
    const __m128i m4 = _mm_set1_epi8(0xf);
    const __m256i one = _mm256_set1_epi16(1), sixteen = _mm256_set1_epi8(16);
    const __m256i bytesel = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                             2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    const size_t bytes = 2 + 2 * (size_t)MIN + 4 * (size_t)FIVE + 16;
    __m256 acc[4];
    float macc[4];
    for (int k = 0; k < NT; k++) {
        acc[k] = _mm256_setzero_ps();
        macc[k] = 0.0f;
    }
    for (size_t b = 0; b < nb; b++, p += bytes) {
        float d = half_avx(p), m = MIN ? half_avx(p + 2) : 0.0f;
        const uint8_t *qs = p + bytes - 16;
        __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)qs);
        __m256i q =
            _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), m4), _mm_and_si128(raw, m4));
        if (FIVE) {
            uint32_t h;
            memcpy(&h, p + 2 + 2 * MIN, 4);
            __m256i hb = _mm256_shuffle_epi8(_mm256_set1_epi32((int)h), bytesel);
            hb = _mm256_cmpeq_epi8(_mm256_and_si256(hb, bit), bit);
            q = _mm256_or_si256(q, _mm256_and_si256(hb, sixteen));
        }
        __m256i w = FIVE && !MIN ? _mm256_sub_epi8(q, sixteen) : q;
        for (int k = 0; k < NT; k++) {
            const llmbo_q8a *xb = x + (size_t)k * stride + b;
            __m256i i = MIN ? _mm256_madd_epi16(_mm256_maddubs_epi16(q, load_q(xb)), one)
                            : mul_s8s8_sc(_mm256_sign_epi8(w, w), w, load_q(xb), one);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * xb->d), _mm256_cvtepi32_ps(i), acc[k]);
            if (MIN)
                macc[k] += m * xb->s;
        }
    }
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]) + macc[k];
}

AVX2_INL void q4_1_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                        const int NT)
{
    q01_body(p, x, stride, nb, out, NT, 0, 1);
}

AVX2_INL void q5_0_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                        const int NT)
{
    q01_body(p, x, stride, nb, out, NT, 1, 0);
}

AVX2_INL void q5_1_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                        const int NT)
{
    q01_body(p, x, stride, nb, out, NT, 1, 1);
}

/* IQ4_NL / MXFP4 blocks of 32: 16 bytes, element i in the low nibble of byte i, i + 16 in the high
 * one, each a 4-bit index into the codebook (a byte shuffle). Returns the signed levels. */
AVX2_INL __m256i levels32(const uint8_t *qs, const int8_t *levels)
{
    const __m128i m4 = _mm_set1_epi8(0xf);
    const __m256i tab =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)levels));
    __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)qs);
    __m128i lo = _mm_and_si128(raw, m4), hi = _mm_and_si128(_mm_srli_epi16(raw, 4), m4);
    return _mm256_shuffle_epi8(tab, _mm256_set_m128i(hi, lo));
}

/* IQ4_XS super-block scales: the eight 6-bit ls (4-bit part nibble ib of scales_l at bit 4 ib,
 * 2-bit part bits 2 ib of scales_h) minus 32, by variable shifts, each duplicated for pick2. */
AVX2_INL __m256i iq4xs_scales(const uint8_t *p)
{
    const __m256i sh4 = _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28);
    const __m256i sh2 = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    uint32_t sl;
    memcpy(&sl, p + 4, 4);
    int sh = p[2] | p[3] << 8;
    __m256i lo4 =
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)sl), sh4), _mm256_set1_epi32(15));
    __m256i hi2 =
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(sh), sh2), _mm256_set1_epi32(3));
    return dup16(
        _mm256_sub_epi32(_mm256_or_si256(lo4, _mm256_slli_epi32(hi2, 4)), _mm256_set1_epi32(32)));
}

/* IQ4_XS: 8 blocks of 32 per super-block, 6-bit block scales (ls - 32, iq4xs_scales) times the
 * fp16 d. 32 bytes of qs are two blocks: the codebook lookup runs on the low and high nibbles of
 * both, and lane permutes reorder them. */
AVX2_INL void iq4xs_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb,
                         float *out, const int NT)
{
    const __m256i m4 = _mm256_set1_epi8(0xf);
    const __m256i tab =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)iq4_levels));
    __m256 acc[4];
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += 136) {
        float d = half_avx(p);
        __m256i scd = iq4xs_scales(p);
        __m256i sumi[4];
        for (int k = 0; k < NT; k++)
            sumi[k] = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int ib = 0; ib < 8; ib += 2) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(p + 8 + 16 * ib));
            __m256i lo = _mm256_shuffle_epi8(tab, _mm256_and_si256(raw, m4));
            __m256i hi = _mm256_shuffle_epi8(tab, _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4));
            __m256i w[2] = {_mm256_permute2x128_si256(lo, hi, 0x20),
                            _mm256_permute2x128_si256(lo, hi, 0x31)};
            for (int i = 0; i < 2; i++) {
                __m256i wabs = _mm256_sign_epi8(w[i], w[i]);
                __m256i scv = pick2(scd, ib + i, ib + i);
                for (int k = 0; k < NT; k++) {
                    const int8_t *qa = y[(size_t)k * stride + b].q + 32 * (ib + i);
                    sumi[k] = _mm256_add_epi32(sumi[k], mul_s8s8_sc(wabs, w[i], load32(qa), scv));
                }
            }
        }
        for (int k = 0; k < NT; k++)
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * y[(size_t)k * stride + b].d),
                                     _mm256_cvtepi32_ps(sumi[k]), acc[k]);
    }
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

/* IQ4_NL (MX 0: blocks of 32 with an fp16 scale, then 16 bytes of codebook indices) and MXFP4
 * (MX 1: IQ4_NL's layout with an E8M0 scale byte and the doubled E2M1 levels, the scale halved). */
AVX2_INL void nl4_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                       const int NT, const int MX)
{
    const __m256i one = _mm256_set1_epi16(1);
    __m256 acc[4];
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nb; b++, p += MX ? 17 : 18) {
        float d = MX ? e8m0_half(p[0]) : half_avx(p);
        __m256i w = levels32(p + (MX ? 1 : 2), MX ? fp4_levels : iq4_levels);
        __m256i wabs = _mm256_sign_epi8(w, w);
        for (int k = 0; k < NT; k++) {
            const llmbo_q8a *xb = x + (size_t)k * stride + b;
            __m256i i = mul_s8s8_sc(wabs, w, load_q(xb), one);
            acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(d * xb->d), _mm256_cvtepi32_ps(i), acc[k]);
        }
    }
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

AVX2_INL void iq4nl_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                         const int NT)
{
    nl4_body(p, x, stride, nb, out, NT, 0);
}

AVX2_INL void mxfp4_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb, float *out,
                         const int NT)
{
    nl4_body(p, x, stride, nb, out, NT, 1);
}

/* One and four rows of each (activation blocks ATYPE of blk elements; stride in elements): NT is
 * a constant in every instantiation. */
#define KQ_INSTANCES(name, ATYPE, blk)                                                             \
    AVX2_FN static float name##_1(const uint8_t *p, const void *x, size_t n)                       \
    {                                                                                              \
        float o;                                                                                   \
        name##_body(p, (const ATYPE *)x, 0, n / (blk), &o, 1);                                     \
        return o;                                                                                  \
    }                                                                                              \
    AVX2_FN static void name##_4(const uint8_t *p, const void *x, size_t stride, size_t n,         \
                                 float *out)                                                       \
    {                                                                                              \
        name##_body(p, (const ATYPE *)x, stride / (blk), n / (blk), out, 4);                       \
    }
KQ_INSTANCES(iq4xs, llmbo_q8k, 256)
KQ_INSTANCES(iq4nl, llmbo_q8a, 32)
KQ_INSTANCES(mxfp4, llmbo_q8a, 32)
KQ_INSTANCES(q4_1, llmbo_q8a, 32)
KQ_INSTANCES(q5_0, llmbo_q8a, 32)
KQ_INSTANCES(q5_1, llmbo_q8a, 32)

/* Q2_K..Q6_K at AVX2: one row and one token (llmbo_vec_dot), one row and four tokens
 * (llmbo_vec_dot4). */
#define KQ_AVX2(name)                                                                              \
    AVX2_FN static float name##_1(const uint8_t *p, const void *x, size_t n)                       \
    {                                                                                              \
        float o;                                                                                   \
        name##_body(p, (const llmbo_q8k *)x, 0, n / 256, &o, 1, 0);                                \
        return o;                                                                                  \
    }                                                                                              \
    AVX2_FN static void name##_4(const uint8_t *p, const void *x, size_t stride, size_t n,         \
                                 float *out)                                                       \
    {                                                                                              \
        name##_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 4, 0);                    \
    }

/* Q3_K's sixteen 6-bit scales minus 32 as int8 (12 bytes, on 32-bit words w0, w1, w2: scale i's
 * low four bits are nibble i / 8 of byte i % 8, its top two bits bits 2 (i / 4) of byte 8 + i % 4;
 * the form of the scalar decode_block on four scales per word). */
AVX2_INL __m128i q3k_scales16(const uint8_t *s)
{
    uint32_t w[3];
    memcpy(w, s, 12);
    const uint32_t m4 = 0x0f0f0f0fu, m2 = 0x03030303u;
    __m128i v = _mm_setr_epi32((int)((w[0] & m4) | (w[2] & m2) << 4),
                               (int)((w[1] & m4) | ((w[2] >> 2) & m2) << 4),
                               (int)(((w[0] >> 4) & m4) | ((w[2] >> 4) & m2) << 4),
                               (int)(((w[1] >> 4) & m4) | ((w[2] >> 6) & m2) << 4));
    return _mm_sub_epi8(v, _mm_set1_epi8(32));
}

/* The sixteen group scales of a Q2_K (low nibbles of scales[16]; *mn8 the minimums, the high
 * nibbles) or (THREE) Q3_K super-block (q3k_scales16; no minimums) as int8. */
AVX2_INL __m128i q23k_scales(const uint8_t *p, __m128i *mn8, const int THREE)
{
    if (THREE) {
        *mn8 = _mm_setzero_si128();
        return q3k_scales16(p + 96);
    }
    __m128i raw = _mm_loadu_si128((const __m128i *)(const void *)p), mf = _mm_set1_epi8(0xf);
    *mn8 = _mm_and_si128(_mm_srli_epi16(raw, 4), mf);
    return _mm_and_si128(raw, mf);
}

/* Q2_K and (THREE) Q3_K: 2-bit levels in qs, the 32 bytes of half h holding, at shift 2j, the 32
 * consecutive elements 128h + 32j.. (groups 8h + 2j and 8h + 2j + 1), so one shift and mask give
 * the unsigned levels of a whole group pair, met with the activations as in q6k_body (int16 scale
 * per group of 16, lanes 0-3 and 4-7 of the int32 pair sums). Q2_K: scale = low nibble, minimum =
 * high nibble of scales[g], y = d sc q - dmin m: the minimums come back as one _mm256_madd_epi16
 * with the 16 group sums. Q3_K: the level's third bit is bit 4h + j of hmask[l] (l the byte in the
 * 32), the signed level u - 4 with u = q | bit << 2 (0..7), so the offset is
 * -4 sum_g sc_g bsum_g, set as the starting integer sum. */
AVX2_INL void q23k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                        const int NT, const int THREE, const int VNNI)
{
    const __m256i m3 = _mm256_set1_epi8(3), m4b = _mm256_set1_epi8(4);
    const size_t bytes = THREE ? 110 : 84;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += bytes) {
        float d = half_avx(p + (THREE ? 108 : 80)), dmin = THREE ? 0.0f : half_avx(p + 82);
        __m128i mn8, sc8 = q23k_scales(p, &mn8, THREE);
        __m256i scd[2] = {dup16(_mm256_cvtepi8_epi32(sc8)),
                          dup16(_mm256_cvtepi8_epi32(_mm_srli_si128(sc8, 8)))};
        __m256i sc16 = _mm256_cvtepi8_epi16(sc8), mins = _mm256_cvtepu8_epi16(mn8);
        const uint8_t *qs = p + (THREE ? 32 : 16);
        __m256i hm =
            THREE ? _mm256_loadu_si256((const __m256i *)(const void *)p) : _mm256_setzero_si256();
        __m256i sumi[8];
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            sumi[k] = _mm256_setzero_si256();
            if (THREE) {
                __m256i bs = _mm256_loadu_si256(
                    (const __m256i *)(const void *)y[(size_t)k * stride + b].bsum);
                sumi[k] =
                    _mm256_sub_epi32(sumi[k], _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 2));
            }
        }
#pragma GCC unroll 8
        for (int h = 0; h < 2; h++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * h));
#pragma GCC unroll 8
            for (int j = 0; j < 4; j++) {
                __m256i u = _mm256_and_si256(_mm256_srli_epi16(raw, 2 * j), m3);
                if (THREE) { /* bit 4h + j of each hmask byte to bit 2 (16-bit shifts: the bits
                              * crossing between the two bytes of a lane are masked off) */
                    int bit = 4 * h + j;
                    __m256i hb =
                        bit >= 2 ? _mm256_srli_epi16(hm, bit - 2) : _mm256_slli_epi16(hm, 2 - bit);
                    u = _mm256_or_si256(u, _mm256_and_si256(hb, m4b));
                }
                __m256i scv = pick2(scd[h], 2 * j, 2 * j + 1);
#pragma GCC unroll 8
                for (int k = 0; k < NT; k++) {
                    const int8_t *qa = y[(size_t)k * stride + b].q + 128 * h + 32 * j;
                    sumi[k] = madd_acc(sumi[k], u, load32(qa), scv, VNNI);
                }
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++)
            acc[k] = ksb_step(acc[k], d, dmin, &y[(size_t)k * stride + b], sumi[k], mins, !THREE);
    }
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

AVX2_INL void q2k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                       const int NT, const int VNNI)
{
    q23k_body(p, y, stride, nsb, out, NT, 0, VNNI);
}

AVX2_INL void q3k_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb, float *out,
                       const int NT, const int VNNI)
{
    q23k_body(p, y, stride, nsb, out, NT, 1, VNNI);
}

KQ_AVX2(q4k)
KQ_AVX2(q5k)
KQ_AVX2(q6k)
KQ_AVX2(q2k)
KQ_AVX2(q3k)

/* AVX-512BW forms of the 256-element kernels: the AVX2 bodies' arithmetic on 64 elements (two
 * sub-blocks) per instruction, chosen at run time when the CPU and OS support AVX-512F/BW (level 2
 * of llmbo_quant_simd). Each 512-bit vector holds sub-block pair (2i, 2i+1) in its low and high
 * 256 bits, so its activations are 64 consecutive bytes of the Q8_K row; the int16 multipliers
 * come from one lane permute of the scales per pair. */
#define AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
#define AVX512_INL                                                                                 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c"), always_inline)) static inline

/* hsum8 of the sum of v's two 256-bit halves: two eight-lane chains kept side by side in one
 * 16-lane vector, summed as the AVX2 kernels sum theirs. */
AVX512_INL float hsum_halves(__m512 v)
{
    __m256 lo = _mm512_castps512_ps256(v);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return hsum8(_mm256_add_ps(lo, hi));
}

/* x as a 512-bit vector whose high 256 bits are y. */
AVX512_INL __m512i cat256(__m256i x, __m256i y)
{
    return _mm512_inserti64x4(_mm512_castsi256_si512(x), y, 1);
}

/* Lanes of v (dup16 scales, up to 16 int32 lanes) picked per 128-bit quarter: a, b, c, d. */
AVX512_INL __m512i pick4(__m512i v, int a, int b, int c, int d)
{
    return _mm512_permutexvar_epi32(
        _mm512_setr_epi32(a, a, a, a, b, b, b, b, c, c, c, c, d, d, d, d), v);
}

AVX512_INL __m512i load64(const int8_t *q)
{
    return _mm512_loadu_si512((const void *)q);
}

AVX512_INL __m512i madd_u8s8(__m512i u, __m512i a, __m512i sc)
{
    return _mm512_madd_epi16(_mm512_maddubs_epi16(u, a), sc);
}

AVX512_INL __m512i dup16_512(__m512i x)
{
    return _mm512_or_si512(_mm512_and_si512(x, _mm512_set1_epi32(0xffff)),
                           _mm512_slli_epi32(x, 16));
}

/* The 512-bit form of madd_acc. */
AVX512_INL __m512i madd_acc512(__m512i acc, __m512i u, __m512i a, __m512i sc, const int VNNI)
{
    __m512i p16 = _mm512_maddubs_epi16(u, a);
    if (!VNNI)
        return _mm512_add_epi32(acc, _mm512_madd_epi16(p16, sc));
    __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(p16), "v"(sc));
    return acc;
}

/* Software prefetch for a kernel over R rows rb bytes apart, at a super-block of `bytes` bytes:
 * the same super-block of the R rows GEMV_PF_GROUPS groups later, line by line. R interleaved
 * rows are R streams that the hardware prefetcher follows worse than one (without this, 0.7-0.8x
 * the one-row loop's speed on matrices out of the cache). A prefetch never faults, past the end
 * of the matrix included. */
#define GEMV_PF_GROUPS 3 /* how many groups of R rows ahead (measured: 1 and 2 are too close) */
AVX512_INL void prefetch_next(const uint8_t *p, size_t rb, size_t bytes, const int R)
{
    const uint8_t *q = p + (size_t)GEMV_PF_GROUPS * R * rb;
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        for (size_t o = 0; o < bytes; o += 64)
            _mm_prefetch((const char *)(q + (size_t)r * rb + o), _MM_HINT_T0);
}

/* The low and high 256 bits of x added: the AVX2 bodies' int32 lanes (lane l of sub-block 2jj
 * and of 2jj + 1 land in the same AVX2 lane), so the float steps that follow are theirs and the
 * results equal the AVX2 kernels' exactly (llmbo_gemm's tiles mix both forms). */
AVX512_INL __m256i fold256(__m512i x)
{
    return _mm256_add_epi32(_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64(x, 1));
}

/* q4k_scales16's 16 bytes in each 128-bit quarter, unpacked in vector registers: the 12 scale
 * bytes (and 4 bytes of the block that follow, ignored) broadcast to every quarter as words
 * (w0, w1, w2, -); the quarter's dwords 0 and 2 are w0 & 0x3f3f3f3f and w1 & 0x3f3f3f3f, 1 and 3
 * take w2's low and high nibbles with the top two bits of w0's and w1's bytes above them. The same
 * bytes as q4k_scales16 (integer steps only), in 7 vector operations instead of about 16 scalar
 * ones and the inserts per row and super-block. */
AVX512_INL __m512i q4k_scales512(const uint8_t *s)
{
    const __m512i cnt = _mm512_set_epi32(4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0);
    const __m512i lo = _mm512_set4_epi32(0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f);
    const __m512i hi = _mm512_set4_epi32(0x30303030, 0, 0x30303030, 0);
    __m512i v = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)s));
    __m512i a = _mm512_shuffle_epi32(v, (_MM_PERM_ENUM)_MM_SHUFFLE(2, 1, 2, 0));
    __m512i b = _mm512_shuffle_epi32(v, (_MM_PERM_ENUM)_MM_SHUFFLE(1, 1, 0, 0));
    return _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi32(a, cnt), lo),
                           _mm512_and_si512(_mm512_srli_epi32(b, 2), hi));
}

/* From q4k_scales512's vector: the madd multiplier of pair jj (quarters 0-1: scale 2jj, 2-3:
 * scale 2jj + 1, each as two equal int16 halves of every dword: pick4(dup16(scales)) of the
 * one-row form) by one in-lane byte shuffle, and the minimums each twice as int16
 * (_mm256_cvtepu8_epi16 of the `twice` shuffle). */
AVX512_INL __m512i q4k_pair_scale(__m512i sm, int jj)
{
    const char z = (char)0x80, a = (char)(2 * jj), c = (char)(2 * jj + 1);
    return _mm512_shuffle_epi8(sm, _mm512_set_epi8(z, c, z, c, z, c, z, c, z, c, z, c, z, c, z, c,
                                                   z, c, z, c, z, c, z, c, z, c, z, c, z, c, z, c,
                                                   z, a, z, a, z, a, z, a, z, a, z, a, z, a, z, a,
                                                   z, a, z, a, z, a, z, a, z, a, z, a, z, a, z, a));
}

AVX512_INL __m256i q4k_mins_twice(__m512i sm)
{
    const char z = (char)0x80;
    return _mm256_shuffle_epi8(_mm512_castsi512_si256(sm),
                               _mm256_set_epi8(z, 15, z, 15, z, 14, z, 14, z, 13, z, 13, z, 12, z,
                                               12, z, 11, z, 11, z, 10, z, 10, z, 9, z, 9, z, 8, z,
                                               8));
}

/* Q4_K / Q5_K, R rows (rb bytes apart) and one token: pair jj is the 32 qs bytes' low nibbles
 * (sub-block 2jj) and high nibbles (2jj+1); Q5_K's fifth bits are bits 2jj and 2jj+1 of qh, from
 * qh and qh >> 1 in the two halves. Each row's arithmetic is the one-row form's (R = 1), so every
 * R gives the same numbers; R > 1 runs independent rows side by side (their latency chains
 * overlap, the activations are loaded once) and prefetches the rows that follow. */
AVX512_INL void q45k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb,
                             float *out, const int R, const int FIVE, const int VNNI)
{
    const __m512i m4 = _mm512_set1_epi8(0xf), m16 = _mm512_set1_epi8(16);
    const __m512i nib_shift =
        _mm512_setr_epi64(0, 0, 0, 0, 0x0004000400040004LL, 0x0004000400040004LL,
                          0x0004000400040004LL, 0x0004000400040004LL);
    const size_t bytes = FIVE ? 176 : 144;
    __m256 acc[4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        acc[r] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += bytes) {
        if (R > 1)
            prefetch_next(p, rb, bytes, R);
        __m512i sumi[4];
        __m128 dmd[4]; /* d yd, dmin yd of row r: both fp16 fields converted, multiplied at once */
        __m256i mins[4];
        const __m128 yd = _mm_set1_ps(y[b].d);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const uint8_t *pr = p + (size_t)r * rb;
            uint32_t dbits;
            memcpy(&dbits, pr, 4);
            dmd[r] = _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi32_si128((int)dbits)), yd);
            __m512i sm = q4k_scales512(pr + 4);
            mins[r] = q4k_mins_twice(sm);
            const uint8_t *qs = pr + (FIVE ? 48 : 16);
            __m512i h2 = _mm512_setzero_si512();
            if (FIVE) {
                __m256i hb = _mm256_loadu_si256((const __m256i *)(const void *)(pr + 16));
                h2 = cat256(hb, _mm256_srli_epi16(hb, 1));
            }
            sumi[r] = _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int jj = 0; jj < 4; jj++) {
                __m512i raw = _mm512_broadcast_i64x4(
                    _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * jj)));
                __m512i w = _mm512_and_si512(_mm512_srlv_epi16(raw, nib_shift), m4);
                if (FIVE)
                    w = _mm512_or_si512(
                        w,
                        _mm512_and_si512(_mm512_slli_epi16(_mm512_srli_epi16(h2, 2 * jj), 4), m16));
                sumi[r] =
                    madd_acc512(sumi[r], w, load64(y[b].q + 64 * jj), q4k_pair_scale(sm, jj), VNNI);
            }
        }
        __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)y[b].bsum);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            __m256 mi = _mm256_cvtepi32_ps(_mm256_madd_epi16(mins[r], bs));
            acc[r] = _mm256_fmadd_ps(_mm256_broadcastss_ps(dmd[r]),
                                     _mm256_cvtepi32_ps(fold256(sumi[r])), acc[r]);
            acc[r] = _mm256_fnmadd_ps(_mm256_broadcastss_ps(_mm_movehdup_ps(dmd[r])), mi, acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        out[r] = hsum8(acc[r]);
}

AVX512_INL float q45k_dot512(const uint8_t *p, const llmbo_q8k *y, size_t nsb, const int FIVE,
                             const int VNNI)
{
    float o;
    q45k_rows512(p, 0, y, nsb, &o, 1, FIVE, VNNI);
    return o;
}

/* Q6_K, R rows (rb bytes apart; R = 1: llmbo_vec_dot) and one token: half h is
 * ql[64h..64h+63] (both 32-byte rows at once) and qh[32h..]; sub-blocks 4h, 4h+1 take the low
 * nibbles with qh bits 0-1 and 2-3, sub-blocks 4h+2, 4h+3 the high nibbles with qh bits 4-5 and
 * 6-7 (q6k_body). Four groups of 16 per vector: one scale per 128-bit quarter. Each row's
 * arithmetic is the same for every R (q45k_rows512). */
AVX512_INL void q6k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb, float *out,
                            const int R, const int VNNI)
{
    const __m512i m4 = _mm512_set1_epi8(0xf), m30 = _mm512_set1_epi8(0x30);
    /* qh broadcast to both halves and shifted per half: (qh << 4, qh << 2) and (qh, qh >> 2) */
    const __m512i shA = _mm512_setr_epi64(
        0x0004000400040004LL, 0x0004000400040004LL, 0x0004000400040004LL, 0x0004000400040004LL,
        0x0002000200020002LL, 0x0002000200020002LL, 0x0002000200020002LL, 0x0002000200020002LL);
    const __m512i shB = _mm512_setr_epi64(0, 0, 0, 0, 0x0002000200020002LL, 0x0002000200020002LL,
                                          0x0002000200020002LL, 0x0002000200020002LL);
    __m256 acc[4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        acc[r] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += 210) {
        if (R > 1)
            prefetch_next(p, rb, 210, R);
        __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)y[b].bsum);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const uint8_t *pr = p + (size_t)r * rb;
            float d = half_avx(pr + 208);
            __m128i sc8 = _mm_loadu_si128((const __m128i *)(const void *)(pr + 192));
            __m256i sc16 = _mm256_cvtepi8_epi16(sc8);
            __m512i scd = dup16_512(_mm512_cvtepi8_epi32(sc8));
            __m256i off = _mm256_sub_epi32(_mm256_setzero_si256(),
                                           _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs), 5));
            __m512i sumi = cat256(off, _mm256_setzero_si256());
#pragma GCC unroll 8
            for (int h = 0; h < 2; h++) {
                __m512i l = _mm512_loadu_si512((const void *)(pr + 64 * h));
                __m512i hv = _mm512_broadcast_i64x4(
                    _mm256_loadu_si256((const __m256i *)(const void *)(pr + 128 + 32 * h)));
                __m512i hA = _mm512_sllv_epi16(hv, shA), hB = _mm512_srlv_epi16(hv, shB);
                __m512i u[2] = {_mm512_or_si512(_mm512_and_si512(l, m4), _mm512_and_si512(hA, m30)),
                                _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                                _mm512_and_si512(hB, m30))};
#pragma GCC unroll 8
                for (int i = 0; i < 2; i++) {
                    int j = 4 * h + 2 * i, g = 2 * j;
                    __m512i s = pick4(scd, g, g + 1, g + 2, g + 3);
                    sumi = madd_acc512(sumi, u[i], load64(y[b].q + 32 * j), s, VNNI);
                }
            }
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * y[b].d), _mm256_cvtepi32_ps(fold256(sumi)),
                                     acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        out[r] = hsum8(acc[r]);
}

AVX512_INL float q6k_dot512(const uint8_t *p, const llmbo_q8k *y, size_t nsb, const int VNNI)
{
    float o;
    q6k_rows512(p, 0, y, nsb, &o, 1, VNNI);
    return o;
}

/* Q2_K and (THREE) Q3_K, R rows (rb bytes apart; R = 1: llmbo_vec_dot) and one token: the 32 qs
 * bytes of half h broadcast to both 256-bit halves and shifted per half by 2j and 2j + 2 give the
 * levels of sub-blocks 4h + j and 4h + j + 1 (64 consecutive activation bytes); Q3_K's third bit
 * (hmask bits 4h + j, 4h + j + 1, per half) adds 4 under a byte mask. The int32 lanes folded to
 * 256 bits are q23k_body's, then its float steps: the same numbers as the AVX2 kernels. */
AVX512_INL void q23k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb,
                             float *out, const int R, const int THREE, const int VNNI)
{
    const __m512i m3 = _mm512_set1_epi8(3), four = _mm512_set1_epi8(4);
    const size_t bytes = THREE ? 110 : 84;
    __m256 acc[4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        acc[r] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += bytes) {
        if (R > 1)
            prefetch_next(p, rb, bytes, R);
        __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)y[b].bsum);
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const uint8_t *pr = p + (size_t)r * rb;
            float d = half_avx(pr + (THREE ? 108 : 80)), dmin = THREE ? 0.0f : half_avx(pr + 82);
            __m128i mn8, sc8 = q23k_scales(pr, &mn8, THREE);
            __m512i scd = dup16_512(_mm512_cvtepi8_epi32(sc8));
            __m512i sumi = _mm512_setzero_si512();
            if (THREE) {
                __m256i off = _mm256_sub_epi32(
                    _mm256_setzero_si256(),
                    _mm256_slli_epi32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(sc8), bs), 2));
                sumi = cat256(off, _mm256_setzero_si256());
            }
            __m512i hm =
                THREE
                    ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)pr))
                    : _mm512_setzero_si512();
            const uint8_t *qs = pr + (THREE ? 32 : 16);
#pragma GCC unroll 8
            for (int h = 0; h < 2; h++) {
                __m512i raw = _mm512_broadcast_i64x4(
                    _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * h)));
#pragma GCC unroll 8
                for (int i = 0; i < 2; i++) {
                    int j = 2 * i; /* sub-blocks 4h + j and 4h + j + 1 */
                    __m512i sh = _mm512_inserti64x4(_mm512_set1_epi16((short)(2 * j)),
                                                    _mm256_set1_epi16((short)(2 * j + 2)), 1);
                    __m512i u = _mm512_and_si512(_mm512_srlv_epi16(raw, sh), m3);
                    if (THREE) {
                        __m512i bm =
                            _mm512_inserti64x4(_mm512_set1_epi8((char)(1 << (4 * h + j))),
                                               _mm256_set1_epi8((char)(1 << (4 * h + j + 1))), 1);
                        u = _mm512_mask_add_epi8(u, _mm512_test_epi8_mask(hm, bm), u, four);
                    }
                    int g = 8 * h + 2 * j;
                    __m512i sc = pick4(scd, g, g + 1, g + 2, g + 3);
                    sumi = madd_acc512(sumi, u, load64(y[b].q + 128 * h + 32 * j), sc, VNNI);
                }
            }
            acc[r] =
                ksb_step(acc[r], d, dmin, &y[b], fold256(sumi), _mm256_cvtepu8_epi16(mn8), !THREE);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        out[r] = hsum8(acc[r]);
}

AVX512_INL float q23k_dot512(const uint8_t *p, const llmbo_q8k *y, size_t nsb, const int THREE,
                             const int VNNI)
{
    float o;
    q23k_rows512(p, 0, y, nsb, &o, 1, THREE, VNNI);
    return o;
}

AVX512_INL void q2k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb, float *out,
                            const int R, const int VNNI)
{
    q23k_rows512(p, rb, y, nsb, out, R, 0, VNNI);
}

AVX512_INL void q3k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb, float *out,
                            const int R, const int VNNI)
{
    q23k_rows512(p, rb, y, nsb, out, R, 1, VNNI);
}

/* IQ4_XS: 32 qs bytes are blocks ib, ib+1; their low and high nibbles looked up in the codebook
 * (in-lane byte shuffles), then the 128-bit quarters reordered to (ib low, ib high, ib+1 low,
 * ib+1 high). Signed levels: |w| times the activations negated where w < 0. */
AVX512_INL void iq4xs512_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb,
                              float *out, const int NT)
{
    const __m512i m4 = _mm512_set1_epi8(0xf);
    const __m512i tab =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)iq4_levels));
    __m512 acc[4];
    for (int k = 0; k < NT; k++)
        acc[k] = _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += 136) {
        float d = half_avx(p);
        __m512i scd = _mm512_castsi256_si512(iq4xs_scales(p));
        __m512i sumi[4];
        for (int k = 0; k < NT; k++)
            sumi[k] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int ib = 0; ib < 8; ib += 2) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(p + 8 + 16 * ib));
            __m512i nib = _mm512_and_si512(cat256(raw, _mm256_srli_epi16(raw, 4)), m4);
            __m512i w = _mm512_shuffle_epi8(tab, nib);
            w = _mm512_shuffle_i64x2(w, w, _MM_SHUFFLE(3, 1, 2, 0));
            __m512i wabs = _mm512_abs_epi8(w);
            __mmask64 neg = _mm512_movepi8_mask(w);
            __m512i s = pick4(scd, ib, ib, ib + 1, ib + 1);
            for (int k = 0; k < NT; k++) {
                __m512i a = load64(y[(size_t)k * stride + b].q + 32 * ib);
                a = _mm512_mask_sub_epi8(a, neg, _mm512_setzero_si512(), a);
                sumi[k] = _mm512_add_epi32(sumi[k], madd_u8s8(wabs, a, s));
            }
        }
        for (int k = 0; k < NT; k++)
            acc[k] = _mm512_fmadd_ps(_mm512_set1_ps(d * y[(size_t)k * stride + b].d),
                                     _mm512_cvtepi32_ps(sumi[k]), acc[k]);
    }
    for (int k = 0; k < NT; k++)
        out[k] = _mm512_reduce_add_ps(acc[k]);
}

/* The activations of quarter-pair jj of super-block yb in iq4xs_rows512's order: quarters 1 and
 * 2 of the 64 bytes swapped (ib low, ib+1 low, ib high, ib+1 high). */
AVX512_INL __m512i iq4xs_act(const llmbo_q8k *yb, int jj)
{
    __m512i v = load64(yb->q + 64 * jj);
    return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0));
}

/* IQ4_XS, R rows (rb bytes apart) and one token, with fewer operations per row than
 * iq4xs512_body's NT = 1 and the same numbers (its 4-token form stays what llmbo_vec_dot4 runs):
 * the 32 qs bytes of blocks ib, ib+1 broadcast to both halves and shifted by 0 / 4 give the
 * quarters (ib low, ib+1 low, ib high, ib+1 high); the activations are reordered to match once per
 * token (shared by the R rows) rather than the levels once per row. The codebook lookup gives |w|
 * directly, and the sign (nibble bit 3 clear: the eight negative levels) negates the activation.
 * A super-block's int32 lanes then hold the pair sums of iq4xs512_body's lanes with quarters 1
 * and 2 swapped, which one lane permute per row undoes, so the float steps are its steps. */
AVX512_INL void iq4xs_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, const int8_t *ar,
                              size_t nsb, float *out, const int R, const int VNNI)
{
    static const int8_t abs_levels[16] = {127, 104, 83, 65, 49, 35, 22, 10,
                                          1,   13,  25, 38, 53, 69, 89, 113};
    const __m512i m4 = _mm512_set1_epi8(0xf), bit3 = _mm512_set1_epi8(8);
    const __m512i shift = _mm512_setr_epi64(0, 0, 0, 0, 0x0004000400040004LL, 0x0004000400040004LL,
                                            0x0004000400040004LL, 0x0004000400040004LL);
    const __m512i tab =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)abs_levels));
    __m512 acc[4];
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        acc[r] = _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += 136) {
        if (R > 1)
            prefetch_next(p, rb, 136, R);
        __m512i a[4];
#pragma GCC unroll 4
        for (int jj = 0; jj < 4; jj++) {
            a[jj] = ar ? load64(ar + 256 * b + 64 * jj) : iq4xs_act(&y[b], jj);
        }
#pragma GCC unroll 4
        for (int r = 0; r < R; r++) {
            const uint8_t *pr = p + (size_t)r * rb;
            float d = half_avx(pr);
            __m512i scd = _mm512_castsi256_si512(iq4xs_scales(pr));
            __m512i sumi = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int jj = 0; jj < 4; jj++) {
                __m512i raw = _mm512_broadcast_i64x4(
                    _mm256_loadu_si256((const __m256i *)(const void *)(pr + 8 + 32 * jj)));
                __m512i nib = _mm512_and_si512(_mm512_srlv_epi16(raw, shift), m4);
                __m512i wabs = _mm512_shuffle_epi8(tab, nib);
                __mmask64 neg = _mm512_testn_epi8_mask(nib, bit3);
                __m512i as = _mm512_mask_sub_epi8(a[jj], neg, _mm512_setzero_si512(), a[jj]);
                __m512i s = pick4(scd, 2 * jj, 2 * jj + 1, 2 * jj, 2 * jj + 1);
                sumi = madd_acc512(sumi, wabs, as, s, VNNI);
            }
            sumi = _mm512_shuffle_i64x2(sumi, sumi, _MM_SHUFFLE(3, 1, 2, 0));
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(d * y[b].d), _mm512_cvtepi32_ps(sumi), acc[r]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
        out[r] = _mm512_reduce_add_ps(acc[r]);
}

/* IQ4_XS at levels 2 and 3, one row and four tokens (one token: iq4xs_rows512). */
AVX512_FN static void iq4xs512_4(const uint8_t *p, const void *x, size_t stride, size_t n,
                                 float *out)
{
    iq4xs512_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 4);
}

/* Q4_K, Q5_K, Q6_K at SIMD levels 2 (V = 0) and 3 (V = 1, VNNI): one row and one token with
 * 512-bit vectors (llmbo_vec_dot), one row and four tokens (llmbo_vec_dot4) with the AVX2 bodies
 * compiled for AVX-512VL (32 vector registers; 256-bit vectors: the cores this was measured on
 * (AMD family 1Ah) run them at the same rate per element as 512-bit ones, without the lane
 * crossings). Both give the AVX2 kernels' numbers exactly. */
#define KQ512(name, body, dot1, V)                                                                 \
    AVX512_FN static float name##_1(const uint8_t *p, const void *x, size_t n)                     \
    {                                                                                              \
        return dot1;                                                                               \
    }                                                                                              \
    AVX512_FN static void name##_4(const uint8_t *p, const void *x, size_t stride, size_t n,       \
                                   float *out)                                                     \
    {                                                                                              \
        body##_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 4, V);                    \
    }
KQ512(q4k512, q4k, q45k_dot512(p, x, n / 256, 0, 0), 0)
KQ512(q5k512, q5k, q45k_dot512(p, x, n / 256, 1, 0), 0)
KQ512(q6k512, q6k, q6k_dot512(p, x, n / 256, 0), 0)
KQ512(q4k512_vnni, q4k, q45k_dot512(p, x, n / 256, 0, 1), 1)
KQ512(q5k512_vnni, q5k, q45k_dot512(p, x, n / 256, 1, 1), 1)
KQ512(q6k512_vnni, q6k, q6k_dot512(p, x, n / 256, 1), 1)
KQ512(q2k512, q2k, q23k_dot512(p, x, n / 256, 0, 0), 0)
KQ512(q3k512, q3k, q23k_dot512(p, x, n / 256, 1, 0), 0)
KQ512(q2k512_vnni, q2k, q23k_dot512(p, x, n / 256, 0, 1), 1)
KQ512(q3k512_vnni, q3k, q23k_dot512(p, x, n / 256, 1, 1), 1)

AVX512_INL void q4k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb, float *out,
                            const int R, const int VNNI)
{
    q45k_rows512(p, rb, y, nsb, out, R, 0, VNNI);
}

AVX512_INL void q5k_rows512(const uint8_t *p, size_t rb, const llmbo_q8k *y, size_t nsb, float *out,
                            const int R, const int VNNI)
{
    q45k_rows512(p, rb, y, nsb, out, R, 1, VNNI);
}

/* Many rows and one token (llmbo_gemv): RR rows per pass, then one at a time. RR = 4 for Q4_K
 * and Q5_K (1.1-1.35x the one-row loop in and out of the cache); 1 for Q6_K and IQ4_XS, whose
 * four-row passes were no faster out of the cache (Q6_K 0.9x): one call per matrix, no per-row
 * dispatch. */
#define KQ512_ROWS(name, body, V, RR)                                                              \
    AVX512_FN static void name##_rows(const uint8_t *p, size_t rb, size_t rows, const void *x,     \
                                      size_t n, float *out)                                        \
    {                                                                                              \
        size_t r = 0;                                                                              \
        for (; r + (RR) <= rows; r += (RR))                                                        \
            body(p + r * rb, rb, (const llmbo_q8k *)x, n / 256, out + r, RR, V);                   \
        for (; r < rows; r++)                                                                      \
            body(p + r * rb, rb, (const llmbo_q8k *)x, n / 256, out + r, 1, V);                    \
    }
KQ512_ROWS(q4k512, q4k_rows512, 0, 4)
KQ512_ROWS(q5k512, q5k_rows512, 0, 4)
KQ512_ROWS(q6k512, q6k_rows512, 0, 1)
KQ512_ROWS(q4k512_vnni, q4k_rows512, 1, 4)
KQ512_ROWS(q5k512_vnni, q5k_rows512, 1, 4)
KQ512_ROWS(q6k512_vnni, q6k_rows512, 1, 1)
KQ512_ROWS(q2k512, q2k_rows512, 0, 4)
KQ512_ROWS(q3k512, q3k_rows512, 0, 4)
KQ512_ROWS(q2k512_vnni, q2k_rows512, 1, 4)
KQ512_ROWS(q3k512_vnni, q3k_rows512, 1, 4)

/* IQ4_XS, many rows and one token: the activations' quarters reordered once per call into a
 * buffer (iq4xs_rows512's order), not once per row and super-block; rows longer than the buffer
 * reorder per super-block as the one-row form does (the same numbers either way). */
#define IQ4XS_AR_MAX 32768
AVX512_INL void iq4xs_gemv512(const uint8_t *p, size_t rb, size_t rows, const void *x, size_t n,
                              float *out, const int VNNI)
{
    const llmbo_q8k *y = x;
    size_t nsb = n / 256;
    int8_t ar[IQ4XS_AR_MAX] __attribute__((aligned(64)));
    const int8_t *arp = NULL;
    if (n <= IQ4XS_AR_MAX && rows > 1) {
        for (size_t b = 0; b < nsb; b++)
            for (int jj = 0; jj < 4; jj++)
                _mm512_store_si512((void *)(ar + 256 * b + 64 * jj), iq4xs_act(&y[b], jj));
        arp = ar;
    }
    for (size_t r = 0; r < rows; r++)
        iq4xs_rows512(p + r * rb, rb, y, arp, nsb, out + r, 1, VNNI);
}

AVX512_FN static void iq4xs512_rows(const uint8_t *p, size_t rb, size_t rows, const void *x,
                                    size_t n, float *out)
{
    iq4xs_gemv512(p, rb, rows, x, n, out, 0);
}

AVX512_FN static void iq4xs512_vnni_rows(const uint8_t *p, size_t rb, size_t rows, const void *x,
                                         size_t n, float *out)
{
    iq4xs_gemv512(p, rb, rows, x, n, out, 1);
}

/* IQ4_XS at levels 2 and 3, one row and one token: the rows kernel (the same numbers as the
 * four-token body). */
AVX512_FN static float iq4xs512_1(const uint8_t *p, const void *x, size_t n)
{
    float o;
    iq4xs_rows512(p, 0, (const llmbo_q8k *)x, NULL, n / 256, &o, 1, 0);
    return o;
}

AVX512_FN static float iq4xs512_vnni_1(const uint8_t *p, const void *x, size_t n)
{
    float o;
    iq4xs_rows512(p, 0, (const llmbo_q8k *)x, NULL, n / 256, &o, 1, 1);
    return o;
}

/* Q8_0 at SIMD level 3 (VNNI): the AVX2 body with vpdpbusd, the same numbers. */
AVX512_FN static float q8_0_vnni_1(const uint8_t *p, const void *x, size_t n)
{
    float o;
    q8_0_body(p, (const llmbo_q8a *)x, 0, n / 32, &o, 1, 1);
    return o;
}

AVX512_FN static void q8_0_vnni_4(const uint8_t *p, const void *x, size_t stride, size_t n,
                                  float *out)
{
    q8_0_body(p, (const llmbo_q8a *)x, stride / 32, n / 32, out, 4, 1);
}

/* Q8_0 with VNNI, one row and eight tokens (llmbo_gemm): q8_0_body's numbers in fewer
 * instructions per token. The activations enter vpdpbusd as its unsigned operand a + 128 (an xor
 * with 0x80) against the signed weights, so no sign fix-up per token; the excess, 128 times the
 * sum of each lane's four weights, is computed once per weight block (vpdpbusd of 128s with w)
 * and its negation starts every token's accumulator: the same exact int32 lanes as dot32_i8_i32,
 * for any activation byte. The scale d_w d_x is one vector multiply by a broadcast d_x, the same
 * rounding as the scalar product; then the same fmadd into the same even/odd chains. */
AVX512_INL void q8_0_tile_body(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb,
                               float *out)
{
    enum { NT = 8 };
    const __m256i m80 = _mm256_set1_epi8((char)0x80);
    __m256 a0[NT], a1[NT];
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        a0[k] = a1[k] = _mm256_setzero_ps();
    size_t b = 0;
    for (; b < nb; b += 2, p += 68) {
        const int two = b + 2 <= nb; /* a pair of blocks, or the odd last one (into a0) */
        __m256i w[2], neg[2];
        __m256 dw[2];
#pragma GCC unroll 2
        for (int i = 0; i < 2; i++) {
            w[i] = _mm256_loadu_si256((const __m256i *)(const void *)(p + 34 * i + 2));
            __m256i c = _mm256_setzero_si256();
            __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(m80), "v"(w[i]));
            neg[i] = _mm256_sub_epi32(_mm256_setzero_si256(), c);
            dw[i] = _mm256_set1_ps(half_avx(p + 34 * i));
            if (!two)
                break;
        }
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            const llmbo_q8a *xk = x + (size_t)k * stride + b;
            __m256i s0 = neg[0], u0 = _mm256_xor_si256(load_q(&xk[0]), m80);
            __asm__("vpdpbusd %2, %1, %0" : "+v"(s0) : "v"(u0), "v"(w[0]));
            __m256 f0 = _mm256_cvtepi32_ps(s0);
            a0[k] = _mm256_fmadd_ps(_mm256_mul_ps(dw[0], _mm256_set1_ps(xk[0].d)), f0, a0[k]);
            if (!two)
                continue;
            __m256i s1 = neg[1], u1 = _mm256_xor_si256(load_q(&xk[1]), m80);
            __asm__("vpdpbusd %2, %1, %0" : "+v"(s1) : "v"(u1), "v"(w[1]));
            __m256 f1 = _mm256_cvtepi32_ps(s1);
            a1[k] = _mm256_fmadd_ps(_mm256_mul_ps(dw[1], _mm256_set1_ps(xk[1].d)), f1, a1[k]);
        }
    }
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(_mm256_add_ps(a0[k], a1[k]));
}

AVX512_FN static void q8_0_vnni_8(const uint8_t *p, const void *x, size_t stride, size_t n,
                                  float *out)
{
    q8_0_tile_body(p, (const llmbo_q8a *)x, stride / 32, n / 32, out);
}

/* Q4_K and (FIVE) Q5_K at level 3, one row and eight tokens (llmbo_gemm): q45k_body's int32
 * lanes with three multiplies per sub-block pair and token instead of four. vpdpbusd of the
 * levels with the activations gives sub-block 2jj's four-element sums A (lane l: elements
 * 4l..4l+3, the grouping of maddubs and madd) and sub-block 2jj+1's B, each within int16
 * (|sum| <= 4 * 31 * 128); B shifted into the high halves and blended with A makes the int16
 * pairs (A_l, B_l), and one vpdpwssd with the pair of scales (sc_2jj, sc_2jj+1) adds
 * sc_2jj A_l + sc_2jj+1 B_l to lane l: the same exact sums, then the same float steps. */
AVX512_INL void q45k_tile_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb,
                               float *out, const int FIVE)
{
    enum { NT = 8 };
    const __m256i m4 = _mm256_set1_epi8(0xf), m16 = _mm256_set1_epi8(16);
    const __m128i twice = _mm_setr_epi8(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    const size_t bytes = FIVE ? 176 : 144;
    __m256 acc[NT];
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < nsb; b++, p += bytes) {
        float d = half_avx(p), dmin = half_avx(p + 2);
        __m128i sm = q4k_scales16(p + 4);
        __m256i sc16 = _mm256_cvtepu8_epi16(sm); /* int32 lane jj < 4: sc_2jj | sc_2jj+1 << 16 */
        __m256i mins = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(sm, twice));
        const uint8_t *qs = p + (FIVE ? 48 : 16);
        __m256i hb = FIVE ? _mm256_loadu_si256((const __m256i *)(const void *)(p + 16))
                          : _mm256_setzero_si256();
        __m256i sumi[NT];
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++)
            sumi[k] = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (int jj = 0; jj < 4; jj++) {
            __m256i raw = _mm256_loadu_si256((const __m256i *)(const void *)(qs + 32 * jj));
            __m256i lo = _mm256_and_si256(raw, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m4);
            if (FIVE) {
                lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(hb, 4), m16));
                hb = _mm256_srli_epi16(hb, 1);
                hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_slli_epi16(hb, 4), m16));
                hb = _mm256_srli_epi16(hb, 1);
            }
            __m256i sp = _mm256_permutevar8x32_epi32(sc16, _mm256_set1_epi32(jj));
#pragma GCC unroll 8
            for (int k = 0; k < NT; k++) {
                const int8_t *q = y[(size_t)k * stride + b].q + 64 * jj;
                __m256i A = _mm256_setzero_si256(), B = _mm256_setzero_si256();
                __asm__("vpdpbusd %2, %1, %0" : "+v"(A) : "v"(lo), "v"(load32(q)));
                __asm__("vpdpbusd %2, %1, %0" : "+v"(B) : "v"(hi), "v"(load32(q + 32)));
                __m256i Z = _mm256_blend_epi16(A, _mm256_slli_epi32(B, 16), 0xAA);
                __asm__("vpdpwssd %2, %1, %0" : "+v"(sumi[k]) : "v"(Z), "v"(sp));
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < NT; k++) {
            const llmbo_q8k *yb = &y[(size_t)k * stride + b];
            __m256i bs = _mm256_loadu_si256((const __m256i *)(const void *)yb->bsum);
            __m256 mi = _mm256_cvtepi32_ps(_mm256_madd_epi16(mins, bs));
            acc[k] =
                _mm256_fmadd_ps(_mm256_set1_ps(d * yb->d), _mm256_cvtepi32_ps(sumi[k]), acc[k]);
            acc[k] = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * yb->d), mi, acc[k]);
        }
    }
#pragma GCC unroll 8
    for (int k = 0; k < NT; k++)
        out[k] = hsum8(acc[k]);
}

AVX512_FN static void q4k512_vnni_8(const uint8_t *p, const void *x, size_t stride, size_t n,
                                    float *out)
{
    q45k_tile_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 0);
}

AVX512_FN static void q5k512_vnni_8(const uint8_t *p, const void *x, size_t stride, size_t n,
                                    float *out)
{
    q45k_tile_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 1);
}

/* Q6_K at level 3, one row and eight tokens (llmbo_gemm). */
AVX512_FN static void q6k512_vnni_8(const uint8_t *p, const void *x, size_t stride, size_t n,
                                    float *out)
{
    q6k_body(p, (const llmbo_q8k *)x, stride / 256, n / 256, out, 8, 1);
}

/* MXFP4 at levels 2 and 3: two blocks (64 elements) per 512-bit step, each 128-bit quarter one
 * half of a block (the low nibbles of its 16 bytes, then the high ones); the E2M1 magnitudes from
 * one shuffle, the code's sign bit (3) moved onto the activation, int8 products summed per four
 * (VNNI: vpdpwssd of the pair sums), and the two blocks' scales d * 2^(e - 128) (vscalefps: the
 * same exact product as e8m0_half(e) * d) on the low and high eight int32 lanes. An odd last block
 * takes zeros in the high half. One body for one and four tokens (llmbo_vec_dot and
 * llmbo_vec_dot4 agree exactly); the many-rows form runs it row by row with the rows ahead
 * prefetched. On CPUs with AVX512-VBMI, level 3 loads a block pair with one masked 34-byte load
 * (the bytes past the row never read) and places codes and scale bytes with two byte permutes. */
typedef struct mxfp4_consts {
    __m512i m4, bit3, ones, shift, tab;
} mxfp4_consts;

AVX512_INL mxfp4_consts mxfp4_setup(void)
{
    static const int8_t abs_levels[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, 1, 2, 3, 4, 6, 8, 12};
    mxfp4_consts c;
    c.m4 = _mm512_set1_epi8(0xf);
    c.bit3 = _mm512_set1_epi8(8);
    c.ones = _mm512_set1_epi16(1);
    c.shift = _mm512_setr_epi64(0, 0, 0x0004000400040004LL, 0x0004000400040004LL, 0, 0,
                                0x0004000400040004LL, 0x0004000400040004LL);
    c.tab = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)abs_levels));
    return c;
}

/* The pair's codes (raw: each block's 16 bytes in two quarters) into magnitudes and a sign mask,
 * then its products with NT tokens' activations accumulated into acc (ef: the two exponents
 * e - 128 on the low and high lanes). */
AVX512_INL void mxfp4_pair(const mxfp4_consts *c, __m512i raw, __m512 ef, const llmbo_q8a *x,
                           size_t stride, size_t b, int two, __m512 *acc, const int NT,
                           const int VNNI)
{
    __m512i nib = _mm512_and_si512(_mm512_srlv_epi16(raw, c->shift), c->m4);
    __m512i wabs = _mm512_shuffle_epi8(c->tab, nib);
    __mmask64 neg = _mm512_test_epi8_mask(nib, c->bit3);
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++) {
        const llmbo_q8a *xb = x + (size_t)k * stride + b;
        __m512i a = cat256(load_q(xb), two ? load_q(xb + 1) : _mm256_setzero_si256());
        __m512i as = _mm512_mask_sub_epi8(a, neg, _mm512_setzero_si512(), a);
        __m512i sumi = madd_acc512(_mm512_setzero_si512(), wabs, as, c->ones, VNNI);
        __m512 dv = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(xb[0].d),
                                         _mm512_set1_ps(two ? xb[1].d : 0.0f));
        acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_scalef_ps(dv, ef), acc[k]);
    }
}

AVX512_INL void mxfp4_body512(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb,
                              float *out, const int NT, const int VNNI, const int PF, size_t rb)
{
    const mxfp4_consts c = mxfp4_setup();
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b += 2, p += 34) {
        int two = b + 1 < nb;
        if (PF)
            prefetch_next(p, rb, 34, 1);
        __m128i q0 = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
        __m128i q1 =
            two ? _mm_loadu_si128((const __m128i *)(const void *)(p + 18)) : _mm_setzero_si128();
        __m512i raw = _mm512_inserti32x4(
            _mm512_inserti32x4(_mm512_inserti32x4(_mm512_castsi128_si512(q0), q0, 1), q1, 2), q1,
            3);
        __m512 ef = _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps((float)p[0] - 128.0f),
                                         _mm512_set1_ps(two ? (float)p[17] - 128.0f : -128.0f));
        mxfp4_pair(&c, raw, ef, x, stride, b, two, acc, NT, VNNI);
    }
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        out[k] = _mm512_reduce_add_ps(acc[k]);
}

#define AVX512V_INL                                                                                \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,fma,f16c"),                   \
                   always_inline)) static inline
#define AVX512V_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx2,fma,f16c")))
AVX512V_INL void mxfp4_body_vbmi(const uint8_t *p, const llmbo_q8a *x, size_t stride, size_t nb,
                                 float *out, const int NT, const int PF, size_t rb)
{
    int8_t iw[64], ie[64];
    for (int j = 0; j < 64; j++) {
        iw[j] = (int8_t)((j < 32 ? 1 : 18) + j % 16); /* block 0's codes twice, block 1's twice */
        ie[j] = (int8_t)(j < 32 ? 0 : 17);            /* int32 lanes 0-7: e0, 8-15: e1 */
    }
    const __m512i idx_w = load64(iw), idx_e = load64(ie), bias = _mm512_set1_epi32(128);
    const mxfp4_consts c = mxfp4_setup();
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b += 2, p += 34) {
        int two = b + 1 < nb;
        if (PF)
            prefetch_next(p, rb, 34, 1);
        __m512i v = _mm512_maskz_loadu_epi8(two ? 0x3FFFFFFFFULL : 0x1FFFFULL, p);
        __m512i ev = _mm512_maskz_permutexvar_epi8(0x1111111111111111ULL, idx_e, v);
        mxfp4_pair(&c, _mm512_permutexvar_epi8(idx_w, v),
                   _mm512_cvtepi32_ps(_mm512_sub_epi32(ev, bias)), x, stride, b, two, acc, NT, 1);
    }
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        out[k] = _mm512_reduce_add_ps(acc[k]);
}

AVX512V_FN static float mxfp4_vbmi_1(const uint8_t *p, const void *x, size_t n)
{
    float o;
    mxfp4_body_vbmi(p, (const llmbo_q8a *)x, 0, n / 32, &o, 1, 0, 0);
    return o;
}

AVX512V_FN static void mxfp4_vbmi_4(const uint8_t *p, const void *x, size_t stride, size_t n,
                                    float *out)
{
    mxfp4_body_vbmi(p, (const llmbo_q8a *)x, stride / 32, n / 32, out, 4, 0, 0);
}

AVX512V_FN static void mxfp4_vbmi_rows(const uint8_t *p, size_t rb, size_t rows, const void *x,
                                       size_t n, float *out)
{
    for (size_t r = 0; r < rows; r++)
        mxfp4_body_vbmi(p + r * rb, (const llmbo_q8a *)x, 0, n / 32, out + r, 1, 1, rb);
}

static int has_vbmi; /* the CPU has AVX512-VBMI (set with simd_max), and it is used */
static int cpu_vbmi; /* the CPU has it */

#define MXFP4_512(name, V)                                                                         \
    AVX512_FN static float name##_1(const uint8_t *p, const void *x, size_t n)                     \
    {                                                                                              \
        float o;                                                                                   \
        mxfp4_body512(p, (const llmbo_q8a *)x, 0, n / 32, &o, 1, V, 0, 0);                         \
        return o;                                                                                  \
    }                                                                                              \
    AVX512_FN static void name##_4(const uint8_t *p, const void *x, size_t stride, size_t n,       \
                                   float *out)                                                     \
    {                                                                                              \
        mxfp4_body512(p, (const llmbo_q8a *)x, stride / 32, n / 32, out, 4, V, 0, 0);              \
    }                                                                                              \
    AVX512_FN static void name##_rows(const uint8_t *p, size_t rb, size_t rows, const void *x,     \
                                      size_t n, float *out)                                        \
    {                                                                                              \
        for (size_t r = 0; r < rows; r++)                                                          \
            mxfp4_body512(p + r * rb, (const llmbo_q8a *)x, 0, n / 32, out + r, 1, V, 1, rb);      \
    }
MXFP4_512(mxfp4_512, 0)
MXFP4_512(mxfp4_512_vnni, 1)

/* F16 and (BF) BF16 weights against float activations. A bfloat16 is the top half of a float:
 * widening each 16-bit word to 32 bits and shifting it left by 16 gives the float exactly; F16
 * converts with F16C. Every (row, token) product has one order in every form and at every SIMD
 * level above 0: sixteen lane sums over steps of 16 elements (AVX2: two FMA chains of eight, the
 * first on elements i..i+7, the second on i+8..i+15; AVX-512: one chain of sixteen, the same
 * lanes), then the upper eight lanes added to the lower eight, hsum8, then the last n % 16
 * elements one by one. So llmbo_vec_dot (one row, one token), llmbo_gemv and llmbo_gemm (R rows
 * and T tokens per pass: each converted weight vector meets T tokens, each activation vector R
 * rows) give the same numbers. out[t * os + r]; rows rb bytes apart, tokens xs floats apart. */
AVX2_INL float half_scalar(const uint8_t *w, const int BF)
{
    uint16_t h;
    memcpy(&h, w, 2);
    return BF ? llmbo_bf16_to_f32(h) : _cvtsh_ss(h);
}

AVX2_INL __m256 half8(const uint8_t *w, const int BF)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)w);
    if (!BF)
        return _mm256_cvtph_ps(v);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
}

AVX2_INL void half_tail(const uint8_t *w, const float *x, size_t i, size_t n, float s, float *out,
                        const int BF)
{
    for (; i < n; i++)
        s += half_scalar(w + 2 * i, BF) * x[i];
    *out = s;
}

AVX2_INL void half_tile(const uint8_t *w, size_t rb, const float *x, size_t xs, size_t n,
                        float *out, size_t os, const int R, const int T, const int BF)
{
    __m256 a0[8], a1[8];
#pragma GCC unroll 8
    for (int k = 0; k < R * T; k++)
        a0[k] = a1[k] = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 w0[2], w1[2];
#pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            w0[r] = half8(w + (size_t)r * rb + 2 * i, BF);
            w1[r] = half8(w + (size_t)r * rb + 2 * i + 16, BF);
        }
#pragma GCC unroll 8
        for (int t = 0; t < T; t++) {
            __m256 x0 = _mm256_loadu_ps(x + (size_t)t * xs + i);
            __m256 x1 = _mm256_loadu_ps(x + (size_t)t * xs + i + 8);
#pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                a0[r * T + t] = _mm256_fmadd_ps(w0[r], x0, a0[r * T + t]);
                a1[r * T + t] = _mm256_fmadd_ps(w1[r], x1, a1[r * T + t]);
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; r++)
#pragma GCC unroll 8
        for (int t = 0; t < T; t++)
            half_tail(w + (size_t)r * rb, x + (size_t)t * xs, i, n,
                      hsum8(_mm256_add_ps(a0[r * T + t], a1[r * T + t])), out + (size_t)t * os + r,
                      BF);
}

AVX2_FN static float dot_half_avx2(const uint8_t *w, const float *x, size_t n, int bf)
{
    float o;
    if (bf)
        half_tile(w, 0, x, 0, n, &o, 0, 1, 1, 1);
    else
        half_tile(w, 0, x, 0, n, &o, 0, 1, 1, 0);
    return o;
}

/* One row, four tokens (llmbo_gemm at level 1). */
AVX2_FN static void half_avx2_1x4(const uint8_t *w, size_t rb, const float *x, size_t xs, size_t n,
                                  float *out, size_t os, int bf)
{
    if (bf)
        half_tile(w, rb, x, xs, n, out, os, 1, 4, 1);
    else
        half_tile(w, rb, x, xs, n, out, os, 1, 4, 0);
}

AVX512_INL __m512 half16(const uint8_t *w, const int BF)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)w);
    if (!BF)
        return _mm512_cvtph_ps(v);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16));
}

/* half_tile with 512-bit vectors: R x T chains of sixteen lanes (up to 4 x 4 of the 32 registers).
 */
AVX512_INL void half_tile512(const uint8_t *w, size_t rb, const float *x, size_t xs, size_t n,
                             float *out, size_t os, const int R, const int T, const int BF)
{
    __m512 a[16];
#pragma GCC unroll 16
    for (int k = 0; k < R * T; k++)
        a[k] = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 wv[4];
#pragma GCC unroll 4
        for (int r = 0; r < R; r++)
            wv[r] = half16(w + (size_t)r * rb + 2 * i, BF);
#pragma GCC unroll 4
        for (int t = 0; t < T; t++) {
            __m512 xv = _mm512_loadu_ps(x + (size_t)t * xs + i);
#pragma GCC unroll 4
            for (int r = 0; r < R; r++)
                a[r * T + t] = _mm512_fmadd_ps(wv[r], xv, a[r * T + t]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; r++)
#pragma GCC unroll 4
        for (int t = 0; t < T; t++)
            half_tail(w + (size_t)r * rb, x + (size_t)t * xs, i, n, hsum_halves(a[r * T + t]),
                      out + (size_t)t * os + r, BF);
}

AVX512_FN static float dot_half512(const uint8_t *w, const float *x, size_t n, int bf)
{
    float o;
    if (bf)
        half_tile512(w, 0, x, 0, n, &o, 0, 1, 1, 1);
    else
        half_tile512(w, 0, x, 0, n, &o, 0, 1, 1, 0);
    return o;
}

/* Four rows and four tokens, or one row and four tokens (levels 2 and 3). */
AVX512_FN static void half512_4x4(const uint8_t *w, size_t rb, const float *x, size_t xs, size_t n,
                                  float *out, size_t os, int bf)
{
    if (bf)
        half_tile512(w, rb, x, xs, n, out, os, 4, 4, 1);
    else
        half_tile512(w, rb, x, xs, n, out, os, 4, 4, 0);
}

AVX512_FN static void half512_1x4(const uint8_t *w, size_t rb, const float *x, size_t xs, size_t n,
                                  float *out, size_t os, int bf)
{
    if (bf)
        half_tile512(w, rb, x, xs, n, out, os, 1, 4, 1);
    else
        half_tile512(w, rb, x, xs, n, out, os, 1, 4, 0);
}

/* llmbo_f32_wsum's lanes: eight (AVX2) or sixteen (AVX-512) output elements kept in registers
 * over all np rows, 64 or 128 elements per pass; each product is rounded before its add, as in
 * the scalar loop. Returns the number of elements done (a multiple of 8). */
AVX2_FN static size_t wsum_avx2(float *o, const float *a, const float *v, size_t stride, size_t np,
                                size_t n)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m256 acc[8];
        for (int k = 0; k < 8; k++)
            acc[k] = _mm256_setzero_ps();
        for (size_t p = 0; p < np; p++) {
            __m256 ap = _mm256_set1_ps(a[p]);
            const float *vp = v + p * stride + i;
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++)
                acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(ap, _mm256_loadu_ps(vp + 8 * k)));
        }
        for (int k = 0; k < 8; k++)
            _mm256_storeu_ps(o + i + 8 * k, acc[k]);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 acc = _mm256_setzero_ps();
        for (size_t p = 0; p < np; p++)
            acc = _mm256_add_ps(
                acc, _mm256_mul_ps(_mm256_set1_ps(a[p]), _mm256_loadu_ps(v + p * stride + i)));
        _mm256_storeu_ps(o + i, acc);
    }
    return i;
}

AVX512_FN static size_t wsum_avx512(float *o, const float *a, const float *v, size_t stride,
                                    size_t np, size_t n)
{
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512 acc[8];
        for (int k = 0; k < 8; k++)
            acc[k] = _mm512_setzero_ps();
        for (size_t p = 0; p < np; p++) {
            __m512 ap = _mm512_set1_ps(a[p]);
            const float *vp = v + p * stride + i;
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++)
                acc[k] = _mm512_add_ps(acc[k], _mm512_mul_ps(ap, _mm512_loadu_ps(vp + 16 * k)));
        }
        for (int k = 0; k < 8; k++)
            _mm512_storeu_ps(o + i + 16 * k, acc[k]);
    }
    return i + wsum_avx2(o + i, a, v + i, stride, np, n - i);
}

/* llmbo_f32_dots with AVX2, four keys at a time for one query: each key's sums are
 * dot_f32_avx2's (two eight-lane chains over steps of 16 elements, hsum8 of their sum, then the
 * scalar tail), so the scores are llmbo_vec_dot's exactly; the four keys' eight chains run side by
 * side and share the query's loads, where one call per key waited on its own two chains. */
AVX2_FN static void dots_avx2(float *s, const float *k, size_t stride, size_t np, const float *q,
                              size_t n, float scale)
{
    size_t p = 0;
    for (; p + 4 <= np; p += 4) {
        __m256 a0[4], a1[4];
        for (int j = 0; j < 4; j++)
            a0[j] = a1[j] = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= n; i += 16) {
            __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) {
                const float *kj = k + (p + (size_t)j) * stride + i;
                a0[j] = _mm256_fmadd_ps(_mm256_loadu_ps(kj), q0, a0[j]);
                a1[j] = _mm256_fmadd_ps(_mm256_loadu_ps(kj + 8), q1, a1[j]);
            }
        }
        for (int j = 0; j < 4; j++) {
            const float *kj = k + (p + (size_t)j) * stride;
            float t = hsum8(_mm256_add_ps(a0[j], a1[j]));
            for (size_t r = i; r < n; r++)
                t += kj[r] * q[r];
            s[p + (size_t)j] = t * scale;
        }
    }
    for (; p < np; p++)
        s[p] = dot_f32_avx2(k + p * stride, q, n) * scale;
}

/* llmbo_f32_dots with AVX-512: KB keys against QB queries (a grouped-query attention group), each
 * key read once for all of them. Lanes 0-7 and 8-15 of a pair's one 16-lane chain are
 * dot_f32_avx2's two eight-lane chains, so the scores are still llmbo_vec_dot's exactly. */
AVX512_INL void dots_tile512(float *s, size_t ss, const float *k, size_t stride, const float *q,
                             size_t qs, size_t n, float scale, const int KB, const int QB)
{
    __m512 acc[4][6];
#pragma GCC unroll 4
    for (int a = 0; a < KB; a++)
#pragma GCC unroll 6
        for (int b = 0; b < QB; b++)
            acc[a][b] = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 kv[4];
#pragma GCC unroll 4
        for (int a = 0; a < KB; a++)
            kv[a] = _mm512_loadu_ps(k + (size_t)a * stride + i);
#pragma GCC unroll 6
        for (int b = 0; b < QB; b++) {
            __m512 qv = _mm512_loadu_ps(q + (size_t)b * qs + i);
#pragma GCC unroll 4
            for (int a = 0; a < KB; a++)
                acc[a][b] = _mm512_fmadd_ps(kv[a], qv, acc[a][b]);
        }
    }
    for (int a = 0; a < KB; a++)
        for (int b = 0; b < QB; b++) {
            const float *ka = k + (size_t)a * stride, *qb = q + (size_t)b * qs;
            float t = hsum_halves(acc[a][b]);
            for (size_t r = i; r < n; r++)
                t += ka[r] * qb[r];
            s[(size_t)b * ss + (size_t)a] = t * scale;
        }
}

/* Keys four at a time (then one), against QB queries. */
AVX512_INL void dots_rows512(float *s, size_t ss, const float *k, size_t stride, size_t np,
                             const float *q, size_t qs, size_t n, float scale, const int QB)
{
    size_t p = 0;
    for (; p + 4 <= np; p += 4)
        dots_tile512(s + p, ss, k + p * stride, stride, q, qs, n, scale, 4, QB);
    for (; p < np; p++)
        dots_tile512(s + p, ss, k + p * stride, stride, q, qs, n, scale, 1, QB);
}

/* Queries six at a time (then the rest). */
AVX512_FN static void dots_avx512(float *s, size_t ss, const float *k, size_t stride, size_t np,
                                  const float *q, size_t qs, size_t nq, size_t n, float scale)
{
    for (size_t j = 0; j < nq; j += 6) {
        float *sj = s + j * ss;
        const float *qj = q + j * qs;
#define DOTS_ROWS(QB)                                                                              \
    case QB:                                                                                       \
        dots_rows512(sj, ss, k, stride, np, qj, qs, n, scale, QB);                                 \
        break;
        switch (nq - j < 6 ? nq - j : 6) {
            DOTS_ROWS(1)
            DOTS_ROWS(2)
            DOTS_ROWS(3)
            DOTS_ROWS(4)
            DOTS_ROWS(5)
        default:
            DOTS_ROWS(6)
        }
#undef DOTS_ROWS
    }
}

/* llmbo_f32_wsum_n with AVX-512: 16 NV output elements of QB weight rows over all np value rows,
 * each value row's NV vectors loaded once for all of them; products rounded before their adds, in
 * row order, as in the scalar loop. */
AVX512_INL void wsum_tile512(float *o, size_t os, const float *a, size_t as, const float *v,
                             size_t stride, size_t np, const int QB, const int NV)
{
    __m512 acc[6][8];
#pragma GCC unroll 6
    for (int b = 0; b < QB; b++)
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++)
            acc[b][c] = _mm512_setzero_ps();
    for (size_t p = 0; p < np; p++) {
        __m512 vv[8];
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++)
            vv[c] = _mm512_loadu_ps(v + p * stride + 16 * (size_t)c);
#pragma GCC unroll 6
        for (int b = 0; b < QB; b++) {
            __m512 ap = _mm512_set1_ps(a[(size_t)b * as + p]);
#pragma GCC unroll 8
            for (int c = 0; c < NV; c++)
                acc[b][c] = _mm512_add_ps(acc[b][c], _mm512_mul_ps(ap, vv[c]));
        }
    }
#pragma GCC unroll 6
    for (int b = 0; b < QB; b++)
#pragma GCC unroll 8
        for (int c = 0; c < NV; c++)
            _mm512_storeu_ps(o + (size_t)b * os + 16 * (size_t)c, acc[b][c]);
}

/* Slices of 128 elements for one or two weight rows (each value row read in one stretch, as
 * llmbo_f32_wsum does), else of 64 (or 32 for narrower heads), weight rows six at a time; returns
 * the elements done. */
AVX512_FN static size_t wsum_n_avx512(float *o, size_t os, const float *a, size_t as,
                                      const float *v, size_t stride, size_t np, size_t n, size_t nq)
{
    int nv = n >= 128 && nq <= 2 ? 8 : n >= 64 ? 4 : 2;
    size_t w = 16 * (size_t)nv, i = 0;
    for (; i + w <= n; i += w)
        for (size_t j = 0; j < nq; j += 6) {
            float *oj = o + j * os + i;
            const float *aj = a + j * as, *vi = v + i;
            int qb = nq - j < 6 ? (int)(nq - j) : 6;
            if (nv == 8) { /* one or two weight rows */
                if (qb == 1)
                    wsum_tile512(oj, os, aj, as, vi, stride, np, 1, 8);
                else
                    wsum_tile512(oj, os, aj, as, vi, stride, np, 2, 8);
                continue;
            }
#define WSUM_TILE(QB)                                                                              \
    case QB:                                                                                       \
        if (nv == 4)                                                                               \
            wsum_tile512(oj, os, aj, as, vi, stride, np, QB, 4);                                   \
        else                                                                                       \
            wsum_tile512(oj, os, aj, as, vi, stride, np, QB, 2);                                   \
        break;
            switch (qb) {
                WSUM_TILE(1)
                WSUM_TILE(2)
                WSUM_TILE(3)
                WSUM_TILE(4)
                WSUM_TILE(5)
            default:
                WSUM_TILE(6)
            }
#undef WSUM_TILE
        }
    return i;
}

/* Activation quantisation with AVX2, the scalar blocks' numbers exactly: the maximum of |x| is
 * the same in any order, x * id and its rounding to nearest even (vcvtps2dq in the default MXCSR
 * mode, as lrintf) are per element, and the integer sums are exact. A block holding a NaN, or
 * whose maximum or 1/d is infinite, where out-of-range conversions differ from lrintf's, is left
 * to the scalar code. */
AVX2_FN static float hmax8(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
    return _mm_cvtss_f32(m);
}

/* Loads nv vectors of xb into v and returns 1 with *id set when the block is regular (above). */
AVX2_INL int qblock_scale(const float *xb, __m256 *v, int nv, float *d, __m256 *id)
{
    const __m256 abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 m = _mm256_setzero_ps(), nan = _mm256_setzero_ps();
    for (int k = 0; k < nv; k++) {
        v[k] = _mm256_loadu_ps(xb + 8 * k);
        m = _mm256_max_ps(_mm256_and_ps(v[k], abs), m);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v[k], v[k], _CMP_UNORD_Q));
    }
    float amax = hmax8(m);
    *d = amax / 127.0f;
    float inv = *d > 0.0f ? 1.0f / *d : 0.0f;
    *id = _mm256_set1_ps(inv);
    return !_mm256_movemask_ps(nan) && amax <= 3.4e38f && inv <= 3.4e38f;
}

AVX2_FN static void quant_act_avx2(const float *x, llmbo_q8a *y, size_t nb)
{
    for (size_t b = 0; b < nb; b++) {
        const float *xb = x + b * LLMBO_QK;
        __m256 v[4], id;
        float d;
        if (!qblock_scale(xb, v, 4, &d, &id)) {
            q8a_block(xb, &y[b]);
            continue;
        }
        __m256i q[4];
        for (int k = 0; k < 4; k++)
            q[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], id));
        __m256i s = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m256i p =
            _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        p = _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(void *)y[b].q, p);
        y[b].d = d;
        y[b].s = d * (float)hsum8_epi32(s);
    }
}

AVX2_FN static void quant_act_k_avx2(const float *x, llmbo_q8k *y, size_t nb)
{
    for (size_t b = 0; b < nb; b++) {
        const float *xb = x + b * LLMBO_QK_K;
        __m256 v[32], id;
        float d;
        if (!qblock_scale(xb, v, 32, &d, &id)) {
            q8k_block(xb, &y[b]);
            continue;
        }
        for (int g = 0; g < LLMBO_QK_K / 16; g++) {
            __m256i q0 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2 * g], id));
            __m256i q1 = _mm256_cvtps_epi32(_mm256_mul_ps(v[2 * g + 1], id));
            __m256i p = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8);
            __m128i q8 = _mm_packs_epi16(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
            _mm_storeu_si128((__m128i *)(void *)(y[b].q + 16 * g), q8);
            y[b].bsum[g] = (int16_t)hsum8_epi32(_mm256_add_epi32(q0, q1));
        }
        y[b].d = d;
    }
}

/* ----------------------------------------------------------------------------------------------
 * The codebook types (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S) in AVX2: per 32
 * elements, the codebook entries are fetched whole from tables with one byte per element (built
 * once from iq_grids.c's codes), the signs are moved onto the activations (a negated where the
 * weight's sign bit is set), and _mm256_maddubs_epi16 of the magnitudes (at most 62) with them
 * gives exact pair sums (2 * 62 * 127 < 32767), weighted by the int16 block scales with
 * _mm256_madd_epi16 into int32 lanes. IQ1's levels 8 g +- 1 are signed: |w| times a with w's
 * sign (mul_s8s8_sc). A super-block's integer sum meets d, the type's constant factor and the
 * activation scale once, as in the other 256-element kernels.
 * -------------------------------------------------------------------------------------------- */

static uint64_t iq2xxs_x[256], iq2xs_x[512], iq2s_x[1024];
/* IQ1's levels 8 g + 1 (entries 0-2047) and 8 g - 1 (2048-4095): the shift picks the half. */
static uint64_t iq1_w[4096];
static uint32_t iq3xxs_x[256], iq3s_x[512];
static uint64_t iq_mask7[128]; /* a 7-bit sign field -> 0xFF in the bytes of minus signs */
static pthread_once_t iq_tables_once = PTHREAD_ONCE_INIT;

/* 0xFF in byte j where bit j of s is set. */
static uint64_t iq_mask8_of(unsigned s)
{
    uint64_t m = 0;
    for (int j = 0; j < 8; j++)
        m |= (uint64_t)((s >> j) & 1 ? 0xff : 0) << (8 * j);
    return m;
}

static void iq_tables_build(void)
{
    for (unsigned i = 0; i < 128; i++)
        iq_mask7[i] = iq_mask8_of(iq_signs7(i));
    for (int i = 0; i < 256; i++) {
        iq2xxs_x[i] = iq_expand8(llmbo_iq2xxs_codes[i], iq2_levels);
        iq3xxs_x[i] = iq_expand4(llmbo_iq3xxs_codes[i], iq3xxs_levels);
    }
    for (int i = 0; i < 512; i++) {
        iq2xs_x[i] = iq_expand8(llmbo_iq2xs_codes[i], iq2_levels);
        iq3s_x[i] = iq_expand4(llmbo_iq3s_codes[i], iq3s_levels);
    }
    for (int i = 0; i < 1024; i++)
        iq2s_x[i] = iq_expand8(llmbo_iq2s_codes[i], iq2_levels);
    for (int i = 0; i < 2048; i++) {
        iq1_w[i] = iq_expand8(llmbo_iq1s_codes[i], iq1_levels_up);
        iq1_w[2048 + i] = iq_expand8(llmbo_iq1s_codes[i], iq1_levels_down);
    }
}

/* int16 multipliers: lo for elements 0-15 of 32, hi for 16-31. */
AVX2_INL __m256i iq_sc16(int lo, int hi)
{
    return _mm256_set_m128i(_mm_set1_epi16((short)hi), _mm_set1_epi16((short)lo));
}

AVX2_INL __m256i iq_mag8(const uint64_t *tab, unsigned i0, unsigned i1, unsigned i2, unsigned i3)
{
    return _mm256_set_epi64x((long long)tab[i3], (long long)tab[i2], (long long)tab[i1],
                             (long long)tab[i0]);
}

/* The sign masks of four 7-bit fields (bits 7l..7l+6 of aux; the eighth sign makes the count of
 * minus signs even): 0xFF in byte 8l + j where element 8l + j is negative. */
AVX2_INL __m256i iq_mask4x7(uint32_t aux)
{
    return iq_mag8(iq_mask7, aux & 127, (aux >> 7) & 127, (aux >> 14) & 127, (aux >> 21) & 127);
}

/* The same for four sign bytes (s, little-endian): each byte spread over its 8 lanes. */
AVX2_INL __m256i iq_mask4x8(const uint8_t *s)
{
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                            2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i m = _mm256_shuffle_epi8(_mm256_set1_epi32((int)rd_u32le(s)), spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(m, bit), bit);
}

/* Eight 4-byte codebook entries, in pairs of 64 bits. */
AVX2_INL __m256i iq_mag4x8(const uint32_t *t, unsigned i0, unsigned i1, unsigned i2, unsigned i3,
                           unsigned i4, unsigned i5, unsigned i6, unsigned i7)
{
    return _mm256_set_epi64x(
        (long long)((uint64_t)t[i7] << 32 | t[i6]), (long long)((uint64_t)t[i5] << 32 | t[i4]),
        (long long)((uint64_t)t[i3] << 32 | t[i2]), (long long)((uint64_t)t[i1] << 32 | t[i0]));
}

/* acc + the sc-weighted pair sums of magnitudes u with already signed activations a. */
AVX2_INL __m256i iq_acc(__m256i acc, __m256i u, __m256i a, __m256i sc)
{
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, a), sc));
}

/* Block ib (32 elements) of a super-block of each codebook type: magnitudes u and sign mask m
 * (0xFF where negative) for IQ2/IQ3, or for IQ1 (SIGNED) |w| in u and w in m; the int16 scale
 * multipliers in sc. (IQ_BODY's FACTOR: d times the type's constant factor.) */
AVX2_INL void iq2xxs_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *q = p + 2 + 8 * ib;
    uint32_t aux = rd_u32le(q + 4);
    *u = iq_mag8(iq2xxs_x, q[0], q[1], q[2], q[3]);
    *m = iq_mask4x7(aux);
    *sc = _mm256_set1_epi16((short)(2 * (aux >> 28) + 1));
}

AVX2_INL void iq2xs_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    uint64_t w; /* four u16: a 9-bit index and 7 sign bits each */
    memcpy(&w, p + 2 + 8 * ib, 8);
    unsigned v0 = (unsigned)w & 0xffff, v1 = (unsigned)(w >> 16) & 0xffff,
             v2 = (unsigned)(w >> 32) & 0xffff, v3 = (unsigned)(w >> 48);
    *u = iq_mag8(iq2xs_x, v0 & 511, v1 & 511, v2 & 511, v3 & 511);
    *m = iq_mag8(iq_mask7, v0 >> 9, v1 >> 9, v2 >> 9, v3 >> 9);
    int s = p[66 + ib];
    *sc = iq_sc16(2 * (s & 0xf) + 1, 2 * (s >> 4) + 1);
}

AVX2_INL void iq2s_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *qs = p + 2 + 4 * ib;
    unsigned h = p[66 + ib];
    *u = iq_mag8(iq2s_x, qs[0] | ((h << 8) & 0x300), qs[1] | ((h << 6) & 0x300),
                 qs[2] | ((h << 4) & 0x300), qs[3] | ((h << 2) & 0x300));
    *m = iq_mask4x8(p + 34 + 4 * ib);
    int s = p[74 + ib];
    *sc = iq_sc16(2 * (s & 0xf) + 1, 2 * (s >> 4) + 1);
}

AVX2_INL void iq3xxs_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *q = p + 2 + 8 * ib;
    uint32_t aux = rd_u32le(p + 66 + 4 * ib);
    *u = iq_mag4x8(iq3xxs_x, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]);
    *m = iq_mask4x7(aux);
    *sc = _mm256_set1_epi16((short)(2 * (aux >> 28) + 1));
}

AVX2_INL void iq3s_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *q = p + 2 + 8 * ib;
    unsigned h = (unsigned)p[66 + ib] << 8; /* entry k's ninth index bit: bit k of qh[ib] */
    *u = iq_mag4x8(iq3s_x, q[0] | (h & 256), q[1] | ((h >> 1) & 256), q[2] | ((h >> 2) & 256),
                   q[3] | ((h >> 3) & 256), q[4] | ((h >> 4) & 256), q[5] | ((h >> 5) & 256),
                   q[6] | ((h >> 6) & 256), q[7] | ((h >> 7) & 256));
    *m = iq_mask4x8(p + 74 + 4 * ib);
    *sc = _mm256_set1_epi16((short)(2 * ((p[106 + ib / 2] >> (4 * (ib % 2))) & 0xf) + 1));
}

AVX2_INL void iq1s_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *qs = p + 2 + 4 * ib;
    unsigned h = (unsigned)p[34 + 2 * ib] | (unsigned)p[35 + 2 * ib] << 8, neg = (h >> 4) & 2048;
    *m = iq_mag8(iq1_w, (qs[0] | (h & 7) << 8) + neg, (qs[1] | ((h >> 3) & 7) << 8) + neg,
                 (qs[2] | ((h >> 6) & 7) << 8) + neg, (qs[3] | ((h >> 9) & 7) << 8) + neg);
    *u = _mm256_abs_epi8(*m);
    *sc = _mm256_set1_epi16((short)(2 * ((h >> 12) & 7) + 1));
}

AVX2_INL void iq1m_unpack(const uint8_t *p, int ib, __m256i *u, __m256i *m, __m256i *sc)
{
    const uint8_t *qs = p + 4 * ib;
    unsigned h0 = p[32 + 2 * ib], h1 = p[33 + 2 * ib];
    /* per 8 elements: 3 high index bits, then the shift's sign (bit 3), which picks the half */
    *m = iq_mag8(iq1_w, qs[0] | (h0 & 15) << 8, qs[1] | (h0 & 0xf0) << 4, qs[2] | (h1 & 15) << 8,
                 qs[3] | (h1 & 0xf0) << 4);
    *u = _mm256_abs_epi8(*m);
    unsigned s =
        ((unsigned)p[48 + 2 * (ib / 2)] | (unsigned)p[49 + 2 * (ib / 2)] << 8) >> (6 * (ib % 2));
    *sc = iq_sc16(2 * (int)(s & 7) + 1, 2 * (int)((s >> 3) & 7) + 1);
}

/* IQ1_M's d: the top nibbles of its four scale words. */
static float iq1m_d(const uint8_t *p)
{
    return llmbo_fp16_to_f32(
        (uint16_t)((p[49] >> 4) | (p[51] & 0xf0) | (p[53] >> 4) << 8 | (p[55] & 0xf0) << 8));
}

/* NT activation rows (stride super-blocks apart) against one row of a codebook type: each block's
 * unpacking is shared by the NT rows, each row's sums in the same order whatever NT is. */
#define IQ_BODY(NAME, BYTES, SIGNED, FACTOR)                                                       \
    AVX2_INL void NAME##_body(const uint8_t *p, const llmbo_q8k *y, size_t stride, size_t nsb,     \
                              float *out, const int NT)                                            \
    {                                                                                              \
        __m256 facc[4];                                                                            \
        for (int k = 0; k < NT; k++)                                                               \
            facc[k] = _mm256_setzero_ps();                                                         \
        for (size_t b = 0; b < nsb; b++, p += BYTES) {                                             \
            __m256i acc[4];                                                                        \
            for (int k = 0; k < NT; k++)                                                           \
                acc[k] = _mm256_setzero_si256();                                                   \
            for (int ib = 0; ib < 8; ib++) {                                                       \
                __m256i u, m, sc;                                                                  \
                NAME##_unpack(p, ib, &u, &m, &sc);                                                 \
                for (int k = 0; k < NT; k++) {                                                     \
                    __m256i a = load32(y[b + (size_t)k * stride].q + 32 * ib);                     \
                    if (SIGNED)                                                                    \
                        acc[k] = _mm256_add_epi32(acc[k], mul_s8s8_sc(u, m, a, sc));               \
                    else                                                                           \
                        acc[k] =                                                                   \
                            iq_acc(acc[k], u, _mm256_sub_epi8(_mm256_xor_si256(a, m), m), sc);     \
                }                                                                                  \
            }                                                                                      \
            float f = (FACTOR);                                                                    \
            for (int k = 0; k < NT; k++)                                                           \
                facc[k] = _mm256_fmadd_ps(_mm256_set1_ps(f * y[b + (size_t)k * stride].d),         \
                                          _mm256_cvtepi32_ps(acc[k]), facc[k]);                    \
        }                                                                                          \
        for (int k = 0; k < NT; k++)                                                               \
            out[k] = hsum8(facc[k]);                                                               \
    }                                                                                              \
    AVX2_FN static float NAME##_1(const uint8_t *p, const void *x, size_t n)                       \
    {                                                                                              \
        float o;                                                                                   \
        NAME##_body(p, x, 0, n / 256, &o, 1);                                                      \
        return o;                                                                                  \
    }                                                                                              \
    AVX2_FN static void NAME##_4(const uint8_t *p, const void *x, size_t stride, size_t n,         \
                                 float *out)                                                       \
    {                                                                                              \
        NAME##_body(p, x, stride / 256, n / 256, out, 4);                                          \
    }

IQ_BODY(iq2xxs, 66, 0, half_avx(p) * 0.125f)
IQ_BODY(iq2xs, 74, 0, half_avx(p) * 0.125f)
IQ_BODY(iq2s, 82, 0, half_avx(p) * 0.125f)
IQ_BODY(iq3xxs, 98, 0, half_avx(p) * 0.25f)
IQ_BODY(iq3s, 110, 0, half_avx(p))
IQ_BODY(iq1s, 50, 1, half_avx(p) * 0.125f)
IQ_BODY(iq1m, 56, 1, iq1m_d(p) * 0.125f)

/* The AVX2 kernels of a codebook type (one and four activation rows), or 0 (the tables are built
 * on the first call). */
typedef float (*iq_dot_fn)(const uint8_t *p, const void *x, size_t n);
typedef void (*iq_dot4_fn)(const uint8_t *p, const void *x, size_t stride, size_t n, float *out);
static int iq_kernels(llmbo_ttype t, iq_dot_fn *f1, iq_dot4_fn *f4)
{
    switch (t) {
    case LLMBO_T_IQ2_XXS:
        *f1 = iq2xxs_1, *f4 = iq2xxs_4;
        break;
    case LLMBO_T_IQ2_XS:
        *f1 = iq2xs_1, *f4 = iq2xs_4;
        break;
    case LLMBO_T_IQ2_S:
        *f1 = iq2s_1, *f4 = iq2s_4;
        break;
    case LLMBO_T_IQ3_XXS:
        *f1 = iq3xxs_1, *f4 = iq3xxs_4;
        break;
    case LLMBO_T_IQ3_S:
        *f1 = iq3s_1, *f4 = iq3s_4;
        break;
    case LLMBO_T_IQ1_S:
        *f1 = iq1s_1, *f4 = iq1s_4;
        break;
    case LLMBO_T_IQ1_M:
        *f1 = iq1m_1, *f4 = iq1m_4;
        break;
    default:
        return 0;
    }
    pthread_once(&iq_tables_once, iq_tables_build);
    return 1;
}
#endif

/* Eight dot products of one weight row with eight activation rows (as llmbo_vec_dot4), where a
 * kernel exists at the current SIMD level (NULL where none does). */
typedef void (*dot8_fn)(const uint8_t *row, const void *xq, size_t stride, size_t n, float *out);

static dot8_fn vec_dot8(llmbo_ttype t)
{
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 2)
        switch (t) {
        case LLMBO_T_Q8_0:
            return q8_0_vnni_8;
        case LLMBO_T_Q4_K:
            return q4k512_vnni_8;
        case LLMBO_T_Q5_K:
            return q5k512_vnni_8;
        case LLMBO_T_Q6_K:
            return q6k512_vnni_8;
        default:
            break;
        }
#else
    (void)t;
#endif
    return NULL;
}

void llmbo_vec_dot4(llmbo_ttype t, const void *row, const void *xq, size_t stride, size_t n,
                    float *out)
{
#ifdef LLMBO_X86_DISPATCH
    iq_dot_fn f1;
    iq_dot4_fn f4;
    if (simd_on > 0 && iq_kernels(t, &f1, &f4)) {
        f4(row, xq, stride, n, out);
        return;
    }
    if (simd_on > 2)
        switch (t) {
        case LLMBO_T_Q8_0:
            q8_0_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q4_K:
            q4k512_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q5_K:
            q5k512_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q6_K:
            q6k512_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q2_K:
            q2k512_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q3_K:
            q3k512_vnni_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_MXFP4:
            if (has_vbmi)
                mxfp4_vbmi_4(row, xq, stride, n, out);
            else
                mxfp4_512_vnni_4(row, xq, stride, n, out);
            return;
        default:
            break;
        }
    if (simd_on > 1)
        switch (t) {
        case LLMBO_T_MXFP4:
            mxfp4_512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q4_K:
            q4k512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q5_K:
            q5k512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q6_K:
            q6k512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q2_K:
            q2k512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q3_K:
            q3k512_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_IQ4_XS:
            iq4xs512_4(row, xq, stride, n, out);
            return;
        default:
            break;
        }
    if (simd_on > 0)
        switch (t) {
        case LLMBO_T_Q8_0:
            q8_0_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q4_K:
            q4k_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q5_K:
            q5k_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q6_K:
            q6k_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q2_K:
            q2k_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q3_K:
            q3k_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_IQ4_XS:
            iq4xs_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_IQ4_NL:
            iq4nl_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_MXFP4:
            mxfp4_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q4_1:
            q4_1_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q5_0:
            q5_0_4(row, xq, stride, n, out);
            return;
        case LLMBO_T_Q5_1:
            q5_1_4(row, xq, stride, n, out);
            return;
        default:
            break;
        }
#endif
    size_t blk = llmbo_ttype_act(t) == LLMBO_ACT_Q8K ? sizeof(llmbo_q8k) * (stride / LLMBO_QK_K)
                                                     : sizeof(llmbo_q8a) * (stride / LLMBO_QK);
    for (int k = 0; k < 4; k++)
        out[k] = llmbo_vec_dot(t, row, NULL, (const uint8_t *)xq + (size_t)k * blk, n);
}

#ifdef LLMBO_X86_DISPATCH
/* CPUID directly: clang 14 (Debian 12) rejects __builtin_cpu_supports("f16c"). AVX2 (leaf 7
 * EBX bit 5), FMA (leaf 1 ECX bit 12), F16C (leaf 1 ECX bit 29), and the OS saving the YMM state
 * (OSXSAVE, ECX bit 27, then XCR0 bits 1 and 2). */
static int cpu_has_avx2_fma_f16c(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, f16c = (c >> 29) & 1;
    if (!fma || !osxsave || !f16c)
        return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 6) != 6)
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1;
}

/* AVX-512F (leaf 7 EBX bit 16), BW (bit 30) and VL (bit 31), with the OS saving the opmask and ZMM
 * state (XCR0 bits 5-7). */
static int cpu_has_avx512bw(void)
{
    unsigned a, b, c, d;
    if (!cpu_has_avx2_fma_f16c())
        return 0;
    unsigned xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    if ((xlo & 0xe0) != 0xe0)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return ((b >> 16) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1);
}

/* AVX-512 VNNI: leaf 7 ECX bit 11. */
static int cpu_has_avx512vnni(void)
{
    unsigned a, b, c, d;
    if (!cpu_has_avx512bw())
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (c >> 11) & 1;
}

/* AVX512-VBMI (leaf 7 ECX bit 1): byte permutes, for the MXFP4 kernel at level 3. */
static int cpu_has_avx512vbmi(void)
{
    unsigned a, b, c, d;
    if (!cpu_has_avx512bw())
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (c >> 1) & 1;
}
#endif

static int simd_max = -1; /* what the CPU has (and LLMBO_SIMD allows) */

int llmbo_quant_simd_max(void)
{
    if (simd_max < 0) {
#ifdef LLMBO_X86_DISPATCH
        simd_max = cpu_has_avx512vnni() ? 3 : cpu_has_avx512bw() ? 2 : cpu_has_avx2_fma_f16c();
        has_vbmi = cpu_vbmi = cpu_has_avx512vbmi();
#else
        simd_max = 0;
#endif
        const char *env = getenv("LLMBO_SIMD");
        if (env && *env >= '0' && *env <= '9' && env[1] == '\0' && *env - '0' < simd_max)
            simd_max = *env - '0';
    }
    return simd_max;
}

int llmbo_quant_simd(void)
{
    if (simd_on < 0)
        simd_on = llmbo_quant_simd_max();
    return simd_on;
}

int llmbo_quant_set_vbmi(int on)
{
    llmbo_quant_simd_max();
#ifdef LLMBO_X86_DISPATCH
    has_vbmi = on && cpu_vbmi;
    return has_vbmi;
#else
    (void)on;
    return 0;
#endif
}

void llmbo_quant_set_prefetch(int on)
{
    atomic_store_explicit(&pack_prefetch, on != 0, memory_order_relaxed);
}

int llmbo_quant_prefetch(void)
{
    return atomic_load_explicit(&pack_prefetch, memory_order_relaxed);
}

void llmbo_quant_set_simd(int level)
{
    int max = llmbo_quant_simd_max();
    simd_on = level <= 0 ? 0 : level < max ? level : max;
}

float llmbo_vec_dot(llmbo_ttype t, const void *row, const float *xf, const void *xq, size_t n)
{
    const uint8_t *p = row;
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 2)
        switch (t) {
        case LLMBO_T_Q8_0:
            return q8_0_vnni_1(p, xq, n);
        case LLMBO_T_Q4_K:
            return q4k512_vnni_1(p, xq, n);
        case LLMBO_T_Q5_K:
            return q5k512_vnni_1(p, xq, n);
        case LLMBO_T_Q6_K:
            return q6k512_vnni_1(p, xq, n);
        case LLMBO_T_Q2_K:
            return q2k512_vnni_1(p, xq, n);
        case LLMBO_T_Q3_K:
            return q3k512_vnni_1(p, xq, n);
        case LLMBO_T_IQ4_XS:
            return iq4xs512_vnni_1(p, xq, n);
        case LLMBO_T_MXFP4:
            return has_vbmi ? mxfp4_vbmi_1(p, xq, n) : mxfp4_512_vnni_1(p, xq, n);
        default:
            break;
        }
    if (simd_on > 1)
        switch (t) {
        case LLMBO_T_MXFP4:
            return mxfp4_512_1(p, xq, n);
        case LLMBO_T_Q4_K:
            return q4k512_1(p, xq, n);
        case LLMBO_T_Q5_K:
            return q5k512_1(p, xq, n);
        case LLMBO_T_Q6_K:
            return q6k512_1(p, xq, n);
        case LLMBO_T_Q2_K:
            return q2k512_1(p, xq, n);
        case LLMBO_T_Q3_K:
            return q3k512_1(p, xq, n);
        case LLMBO_T_IQ4_XS:
            return iq4xs512_1(p, xq, n);
        default:
            break;
        }
    iq_dot_fn f1;
    iq_dot4_fn f4;
    if (simd_on > 0 && iq_kernels(t, &f1, &f4))
        return f1(p, xq, n);
    if (simd_on > 0)
        switch (t) {
        case LLMBO_T_F16:
        case LLMBO_T_BF16: {
            int bf = t == LLMBO_T_BF16;
            return simd_on > 1 ? dot_half512(p, xf, n, bf) : dot_half_avx2(p, xf, n, bf);
        }
        case LLMBO_T_Q2_K:
            return q2k_1(p, xq, n);
        case LLMBO_T_Q3_K:
            return q3k_1(p, xq, n);
        case LLMBO_T_Q4_K:
            return q4k_1(p, xq, n);
        case LLMBO_T_Q5_K:
            return q5k_1(p, xq, n);
        case LLMBO_T_Q6_K:
            return q6k_1(p, xq, n);
        case LLMBO_T_IQ4_XS:
            return iq4xs_1(p, xq, n);
        case LLMBO_T_IQ4_NL:
            return iq4nl_1(p, xq, n);
        case LLMBO_T_MXFP4:
            return mxfp4_1(p, xq, n);
        case LLMBO_T_Q4_1:
            return q4_1_1(p, xq, n);
        case LLMBO_T_Q5_0:
            return q5_0_1(p, xq, n);
        case LLMBO_T_Q5_1:
            return q5_1_1(p, xq, n);
        default:
            break;
        }
#endif
    switch (t) {
    case LLMBO_T_F32:
#ifdef LLMBO_X86_DISPATCH
        if (simd_on > 0)
            return dot_f32_avx2(row, xf, n);
#endif
        return dot_f32(row, xf, n);
    case LLMBO_T_F16: {
        float s = 0.0f;
        for (size_t i = 0; i < n; i++)
            s += rd_half(p + 2 * i) * xf[i];
        return s;
    }
    case LLMBO_T_BF16: {
        float s = 0.0f;
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, p + 2 * i, 2);
            s += llmbo_bf16_to_f32(h) * xf[i];
        }
        return s;
    }
    case LLMBO_T_Q8_0:
#ifdef LLMBO_X86_DISPATCH
        if (simd_on > 0)
            return q8_0_1(p, xq, n);
#endif
        return dot_q8_0(p, xq, n / 32);
    case LLMBO_T_Q4_0:
#ifdef LLMBO_X86_DISPATCH
        if (simd_on > 0)
            return dot_q4_0_avx2(p, xq, n / 32);
#endif
        return dot_q4_0(p, xq, n / 32);
    default:
        if (llmbo_ttype_act(t) == LLMBO_ACT_Q8K)
            return dot_k_generic(t, p, xq, n / LLMBO_QK_K);
        return dot_generic(t, p, xq, n);
    }
    return 0.0f;
}

/* Activation quantisation: symmetric int8 blocks, d = max|x| / 127 (q8a_block, q8k_block); the
 * AVX2 forms give the same bytes. */
void llmbo_quant_act(const float *x, llmbo_q8a *y, size_t n)
{
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 0) {
        quant_act_avx2(x, y, n / LLMBO_QK);
        return;
    }
#endif
    for (size_t b = 0; b < n / LLMBO_QK; b++)
        q8a_block(x + b * LLMBO_QK, &y[b]);
}

void llmbo_quant_act_k(const float *x, llmbo_q8k *y, size_t n)
{
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 0) {
        quant_act_k_avx2(x, y, n / LLMBO_QK_K);
        return;
    }
#endif
    for (size_t b = 0; b < n / LLMBO_QK_K; b++)
        q8k_block(x + b * LLMBO_QK_K, &y[b]);
}

void llmbo_f32_dots(float *s, size_t ss, const float *k, size_t stride, size_t np, const float *q,
                    size_t qs, size_t nq, size_t n, float scale)
{
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 1) {
        dots_avx512(s, ss, k, stride, np, q, qs, nq, n, scale);
        return;
    }
    if (simd_on > 0) {
        for (size_t j = 0; j < nq; j++)
            dots_avx2(s + j * ss, k, stride, np, q + j * qs, n, scale);
        return;
    }
#endif
    for (size_t j = 0; j < nq; j++)
        for (size_t p = 0; p < np; p++)
            s[j * ss + p] = dot_f32(k + p * stride, q + j * qs, n) * scale;
}

/* SiLU: x / (1 + e^-x), with e^-x as 2^k p(r): k the nearest integer to -x log2(e) (the argument
 * clamped to [-87, 88], so 2^k is a normal float; above 88, e^-x is taken as infinite and SiLU
 * as zero, within 1e-36 of x e^x), r = -x - k ln 2 in two steps (ln 2's float and its remainder),
 * p the Taylor polynomial of degree 7 of e^r (|r| <= ln 2 / 2: truncation below 2e-9), by
 * Horner's rule with fused multiply-adds. Every SIMD level and the scalar loop take the same
 * steps, so they give the same numbers. */
#define SILU_LO    (-87.0f)
#define SILU_HI    88.0f
#define SILU_LOG2E 1.44269504088896341f
#define SILU_LN2H  0.693145751953125f      /* ln 2 to 16 bits: k ln2h is exact */
#define SILU_LN2L  1.42860682030941723e-6f /* ln 2 - SILU_LN2H */
static const float silu_c[8] = {1.0f / 5040, 1.0f / 720, 1.0f / 120, 1.0f / 24,
                                1.0f / 6,    0.5f,       1.0f,       1.0f};

static float silu_scalar(float x)
{
    float a = -x;
    if (!(a <= SILU_HI)) /* above 88, or NaN (which the division keeps) */
        return x / (1.0f + INFINITY);
    a = a < SILU_LO ? SILU_LO : a;
    float k = nearbyintf(a * SILU_LOG2E);
    float r = fmaf(-k, SILU_LN2H, a);
    r = fmaf(-k, SILU_LN2L, r);
    float p = silu_c[0];
    for (int i = 1; i < 8; i++)
        p = fmaf(p, r, silu_c[i]);
    return x / (1.0f + ldexpf(p, (int)k));
}

#ifdef LLMBO_X86_DISPATCH
AVX2_FN static size_t silu_mul_avx2(float *x, const float *u, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i), a = _mm256_sub_ps(_mm256_setzero_ps(), v);
        __m256 big = _mm256_cmp_ps(a, _mm256_set1_ps(SILU_HI), _CMP_GT_OQ);
        a = _mm256_min_ps(_mm256_max_ps(a, _mm256_set1_ps(SILU_LO)), _mm256_set1_ps(SILU_HI));
        __m256 k = _mm256_round_ps(_mm256_mul_ps(a, _mm256_set1_ps(SILU_LOG2E)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(SILU_LN2H), a);
        r = _mm256_fnmadd_ps(k, _mm256_set1_ps(SILU_LN2L), r);
        __m256 p = _mm256_set1_ps(silu_c[0]);
        for (int j = 1; j < 8; j++)
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(silu_c[j]));
        __m256i bits =
            _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)),
                              23); /* 2^k, k in -126..127 */
        __m256 e = _mm256_blendv_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(bits)),
                                    _mm256_set1_ps(INFINITY), big);
        __m256 s = _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    return i;
}
#endif

void llmbo_silu_mul(float *x, const float *u, size_t n)
{
    size_t i = 0;
#ifdef LLMBO_X86_DISPATCH
    /* AVX2 at every level: 0.51 ns per element here, 0.36 with 512 bits (0.1 % of an R1-shaped
     * token), not worth a second copy */
    if (llmbo_quant_simd() > 0)
        i = silu_mul_avx2(x, u, n);
#endif
    for (; i < n; i++)
        x[i] = silu_scalar(x[i]) * u[i];
}

void llmbo_f32_wsum_n(float *o, size_t os, const float *a, size_t as, const float *v, size_t stride,
                      size_t np, size_t n, size_t nq)
{
    size_t i = 0;
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 1)
        i = wsum_n_avx512(o, os, a, as, v, stride, np, n, nq);
#endif
    for (size_t j = 0; i < n && j < nq; j++)
        llmbo_f32_wsum(o + j * os + i, a + j * as, v + i, stride, np, n - i);
}

void llmbo_f32_wsum(float *o, const float *a, const float *v, size_t stride, size_t np, size_t n)
{
    size_t i = 0;
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 1)
        i = wsum_avx512(o, a, v, stride, np, n);
    else if (simd_on > 0)
        i = wsum_avx2(o, a, v, stride, np, n);
#endif
    for (; i < n; i++) {
        float s = 0.0f;
        for (size_t p = 0; p < np; p++) {
            float t = a[p] * v[p * stride + i];
            s += t;
        }
        o[i] = s;
    }
}

typedef void (*rows_fn)(const uint8_t *p, size_t rb, size_t rows, const void *x, size_t n,
                        float *out);

/* The multi-row one-token kernel of type t at the current SIMD level, or NULL. */
static rows_fn gemv_kernel(llmbo_ttype t)
{
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 2)
        switch (t) {
        case LLMBO_T_Q4_K:
            return q4k512_vnni_rows;
        case LLMBO_T_Q5_K:
            return q5k512_vnni_rows;
        case LLMBO_T_Q6_K:
            return q6k512_vnni_rows;
        case LLMBO_T_Q2_K:
            return q2k512_vnni_rows;
        case LLMBO_T_Q3_K:
            return q3k512_vnni_rows;
        case LLMBO_T_IQ4_XS:
            return iq4xs512_vnni_rows;
        case LLMBO_T_MXFP4:
            return has_vbmi ? mxfp4_vbmi_rows : mxfp4_512_vnni_rows;
        default:
            break;
        }
    if (simd_on > 1)
        switch (t) {
        case LLMBO_T_MXFP4:
            return mxfp4_512_rows;
        case LLMBO_T_Q4_K:
            return q4k512_rows;
        case LLMBO_T_Q5_K:
            return q5k512_rows;
        case LLMBO_T_Q6_K:
            return q6k512_rows;
        case LLMBO_T_Q2_K:
            return q2k512_rows;
        case LLMBO_T_Q3_K:
            return q3k512_rows;
        case LLMBO_T_IQ4_XS:
            return iq4xs512_rows;
        default:
            break;
        }
#endif
    (void)t;
    return NULL;
}

void llmbo_gemv(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                size_t n, float *out)
{
    rows_fn f = gemv_kernel(t);
    if (f) {
        f(w, row_bytes, rows, xq, n, out);
        return;
    }
    const uint8_t *wb = w;
    for (size_t r = 0; r < rows; r++)
        out[r] = llmbo_vec_dot(t, wb + r * row_bytes, NULL, xq, n);
}

/* ----------------------------------------------------------------------------------------------
 * Matrix products: rows x tokens in tiles
 * -------------------------------------------------------------------------------------------- */

/* Weight bytes of one row block: it stays in the L2 cache while every group of eight tokens (where
 * vec_dot8 has a kernel) or four passes over it, and a group's activations (a few ten KB) stay
 * close. Walking rows block by block instead of one row over the whole batch reads each token's
 * activations once per block rather than once per row. */
#define GEMM_BLOCK_BYTES (128 * 1024)

/* llmbo_gemm for F16 and BF16 (float activations x, tokens n floats apart): row blocks as below,
 * four tokens per pass over a block (levels 2-3 four rows at a time as well; one token: row by
 * row), each (row, token) product in the order of llmbo_vec_dot at the same level. */
static void gemm_half(llmbo_ttype t, const uint8_t *w, size_t rb, size_t rows, const float *x,
                      size_t T, size_t n, float *out, size_t os)
{
    size_t block = GEMM_BLOCK_BYTES / (rb ? rb : 1);
    block = block < 4 ? 4 : block & ~(size_t)3; /* whole tiles of four rows */
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t r1 = r0 + block < rows ? r0 + block : rows, tk = 0;
#ifdef LLMBO_X86_DISPATCH
        int bf = t == LLMBO_T_BF16;
        for (; simd_on > 0 && tk + 4 <= T; tk += 4) {
            const float *xt = x + tk * n;
            size_t r = r0;
            for (; simd_on > 1 && r + 4 <= r1; r += 4)
                half512_4x4(w + r * rb, rb, xt, n, n, out + tk * os + r, os, bf);
            for (; r < r1; r++)
                if (simd_on > 1)
                    half512_1x4(w + r * rb, rb, xt, n, n, out + tk * os + r, os, bf);
                else
                    half_avx2_1x4(w + r * rb, rb, xt, n, n, out + tk * os + r, os, bf);
        }
#endif
        for (; tk < T; tk++)
            for (size_t r = r0; r < r1; r++)
                out[tk * os + r] = llmbo_vec_dot(t, w + r * rb, x + tk * n, NULL, n);
    }
}

void llmbo_gemm(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                size_t T, size_t n, float *out, size_t out_stride)
{
    if (t == LLMBO_T_F16 || t == LLMBO_T_BF16) {
        gemm_half(t, w, row_bytes, rows, xq, T, n, out, out_stride);
        return;
    }
    const uint8_t *wb = w, *x = xq;
    size_t qrow = llmbo_ttype_act(t) == LLMBO_ACT_Q8K ? n / LLMBO_QK_K * sizeof(llmbo_q8k)
                                                      : n / LLMBO_QK * sizeof(llmbo_q8a);
    size_t block = GEMM_BLOCK_BYTES / (row_bytes ? row_bytes : 1);
    block = block < 4 ? 4 : block;
    dot8_fn d8 = vec_dot8(t);
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t r1 = r0 + block < rows ? r0 + block : rows, tk = 0;
        for (; d8 && tk + 8 <= T; tk += 8) {
            const uint8_t *xt = x + tk * qrow;
            for (size_t r = r0; r < r1; r++) {
                float o8[8];
                d8(wb + r * row_bytes, xt, n, n, o8);
                for (int k = 0; k < 8; k++)
                    out[(tk + (size_t)k) * out_stride + r] = o8[k];
            }
        }
        for (; tk + 4 <= T; tk += 4) {
            const uint8_t *xt = x + tk * qrow;
            for (size_t r = r0; r < r1; r++) {
                float o4[4];
                llmbo_vec_dot4(t, wb + r * row_bytes, xt, n, n, o4);
                for (int k = 0; k < 4; k++)
                    out[(tk + (size_t)k) * out_stride + r] = o4[k];
            }
        }
        for (; tk < T; tk++)
            for (size_t r = r0; r < r1; r++)
                out[tk * out_stride + r] =
                    llmbo_vec_dot(t, wb + r * row_bytes, NULL, x + tk * qrow, n);
    }
}

/* ----------------------------------------------------------------------------------------------
 * Rows packed in groups of 16 (Q4_K, Q5_K, Q6_K, IQ4_XS, Q8_0)
 *
 * A matrix of these types can be rewritten, group by group of 16 rows and in the same bytes, so
 * that one-token decode reads it as a single stream and one vector instruction serves all 16
 * rows: int32 lane r of every vector belongs to row r of the group. Rows after the last whole
 * group stay in the file's layout.
 *
 * Q4_K. Super-block b of a group (16 x 144 = 2304 bytes, at b * 2304) holds
 *   0    d of rows 0..15 (fp16), then at 32 dmin of rows 0..15;
 *   64   128 bytes L, then at 192 64 bytes H: the 6-bit scales S and minimums M. Byte k of L is
 *        S(k) & 15 | (M(k) & 15) << 4; bits 4 (k / 64) + 0..1 of H[k % 64] are S(k) >> 4 and bits
 *        4 (k / 64) + 2..3 are M(k) >> 4. S(k) is the scale of sub-block k / 16 of row k % 16;
 *        M(k) the minimum of sub-block 2 (k / 32) + (k & 1) of row (k % 32) / 2, the order in
 *        which widening 32 bytes to int16 puts a row's minimums of sub-blocks 2p and 2p + 1 in one
 *        int32 lane;
 *   256  the 4-bit levels, 64 bytes per (jj, c) at 256 + 64 (8 jj + c), 4 bytes per row: row r's
 *        qs[32 jj + 4 c .. + 3], whose low nibbles are elements 4c..4c+3 of sub-block 2 jj and
 *        high nibbles those of sub-block 2 jj + 1.
 * Q5_K. As Q4_K (16 x 176 = 2816 bytes per super-block), with 512 bytes of fifth bits among the
 *   levels: 64 bytes per c (0..7), 4 bytes per row: row r's qh[4 c .. + 3], whose bits 2 jj and
 *   2 jj + 1 are the fifth bits of the elements the nibbles of (jj, c) hold. They are read with
 *   the levels of jj = 0, so each follows those: (0, c) at 256 + 128 c, the fifth bits of c at
 *   320 + 128 c, and (jj, c) for jj > 0 at 1280 + 64 (8 (jj - 1) + c). Decode then reads a
 *   super-block from its first byte to its last (q45_lev, q45_qh).
 * -------------------------------------------------------------------------------------------- */

#define PACK_Q4K (LLMBO_PACK_ROWS * 144) /* bytes of one packed super-block */
#define PACK_Q5K (LLMBO_PACK_ROWS * 176)

/* Offsets in a packed Q4_K (or, five, Q5_K) super-block of the levels of (jj, c) and of Q5_K's
 * fifth bits of c. */
static inline int q45_lev(int jj, int c, int five)
{
    return !five     ? 256 + 64 * (8 * jj + c)
           : jj == 0 ? 256 + 128 * c
                     : 1280 + 64 * (8 * (jj - 1) + c);
}

static inline int q45_qh(int c)
{
    return 320 + 128 * c;
}

/* Q6_K. Super-block b of a group (16 x 210 = 3360 bytes, at b * 3360) holds
 *   0    d of rows 0..15 (fp16);
 *   32   the int8 scales, 16 bytes per sub-block s (0..15): byte 16 s + r is row r's;
 *   288  the 6-bit levels, 192 bytes per (h, c) (h the half of 128 elements, c 0..7) at
 *        288 + 192 (8 h + c): three runs P0, P1, P2 of 64 bytes, 4 bytes per row each. Byte j of
 *        row r in run i (0..2) is e_i | ((e_3 >> 2 i) & 3) << 6, where e_i (0..63) is the level of
 *        element 128 h + 4 c + j + 32 i (sub-block 8 h + 2 i + c / 4). So e_0..e_2 are a run's
 *        low six bits, and e_3 is gathered from the three runs' top two bits: decode makes the four
 *        levels from three loads with nine operations (the file's ql/qh split took seventeen). */
#define PACK_Q6K (LLMBO_PACK_ROWS * 210)

/* IQ4_XS. Super-block b of a group (16 x 136 = 2176 bytes, at b * 2176) holds
 *   0    d of rows 0..15 (fp16);
 *   32   64 bytes L, then at 96 32 bytes H: the 6-bit scales S(k) (ls, 0..63, the level scale
 *        ls - 32) of sub-block k / 16 of row k % 16: byte k of L is S(k) & 15 | (S(k + 64) & 15)
 *        << 4 (k < 64), and bits 2i..2i+1 of H[k] are S(k + 32 i) >> 4 (k < 32);
 *   128  the 4-bit codebook indices, 64 bytes per (ib, c) at 128 + 64 (4 ib + c), 4 bytes per
 *        row: row r's qs[16 ib + 4 c .. + 3], whose low nibbles are elements 32 ib + 4 c + (0..3)
 *        and high nibbles elements 32 ib + 16 + 4 c + (0..3). */
#define PACK_IQ4XS (LLMBO_PACK_ROWS * 136)

/* Q8_0. Block b of 32 elements of a group (16 x 34 = 544 bytes, at b * 544) holds d of rows 0..15
 * (fp16), then at 32 the levels plus 128 (as unsigned bytes), 64 bytes per c (0..7) at 32 + 64 c,
 * 4 bytes per row: row r's qs[4 c .. + 3] ^ 0x80. */
#define PACK_Q80 (LLMBO_PACK_ROWS * 34)
/* One-token decode prefetches the packed super-block 4 ahead (8.7-13 KB; Q8_0's block of 32: 16
 * ahead) when software prefetch is on (llmbo_quant_set_prefetch). On one host, with two threads,
 * 4 beat 8 in 9 of 9 interleaved pairs on the R1 Q4_K_M, R1 IQ4_XS and OLMoE Q4_K_M shapes (mean
 * decode 51.7 / 47.7, 54.3 / 50.9, 61.9 / 58.8 tok/s), 2 was level with 4; one thread was level
 * from 1 to 8 and 30 % slower with none. On a later host of the same CPU family the same kernels
 * decoded 1.1-1.6x faster with none (perf/results/engine_speed_quiet.md, "Stop 34"), so the
 * engine measures both at load. */
#define PACK_PF 4

/* Bytes of one row's block (super-block) of a type with a packed layout, 0 for the others. */
static size_t pack_bytes(llmbo_ttype t)
{
    int packable = t == LLMBO_T_Q4_K || t == LLMBO_T_Q5_K || t == LLMBO_T_Q6_K ||
                   t == LLMBO_T_IQ4_XS || t == LLMBO_T_Q8_0;
    return packable ? llmbo_ttype_block_bytes(t) : 0;
}

/* Wide matrices in panels. A group of 16 rows of a wide matrix (R1-Distill-Qwen-1.5B's ffn_down:
 * 8960 columns, 76 KB of IQ4_XS per group) does not fit in the 32 KiB L1 with its activations,
 * and one-token decode read such matrices from memory at 0.75-0.85 of a plain read where up to
 * 2304 columns read 0.87-0.99 (Q4_K, Q6_K, IQ4_XS; Q8_0 did not lose: perf/results/
 * engine_speed_quiet.md, "Stop 36"). So where a group holds more than PANEL_MAX bytes, each row
 * block of PANEL_GROUPS groups is stored panel by panel: the blocks [b0, b0 + pw) of its groups one
 * group after another, then the next panel's. Decode still reads the matrix from its first byte to
 * its last, and a panel's activations stay in L1 while its groups stream past; each group's sums
 * are carried from panel to panel through its output, so the numbers are those of one pass. */
#define PANEL_GROUPS (LLMBO_PACK_SCRATCH_ROWS / LLMBO_PACK_ROWS)
#define PANEL_MAX    ((size_t)24 << 10)
#define PANEL_BYTES  ((size_t)20 << 10)

/* Super-blocks per panel of a packed matrix of nsb per row (nsb: not in panels). */
static size_t pack_panel(llmbo_ttype t, size_t nsb)
{
    size_t pb = LLMBO_PACK_ROWS * pack_bytes(t);
    if (!pb || t == LLMBO_T_Q8_0 || nsb * pb <= PANEL_MAX)
        return nsb;
    return PANEL_BYTES / pb > 1 ? PANEL_BYTES / pb : 1;
}

/* Byte offset of super-block b of group g in `rows` packed rows (whole groups) of nsb blocks. */
static size_t pack_at(llmbo_ttype t, size_t rows, size_t nsb, size_t g, size_t b)
{
    size_t pb = LLMBO_PACK_ROWS * pack_bytes(t), pw = pack_panel(t, nsb);
    size_t groups = rows / LLMBO_PACK_ROWS;
    if (pw >= nsb)
        return (g * nsb + b) * pb;
    size_t g0 = g / PANEL_GROUPS * PANEL_GROUPS, b0 = b / pw * pw;
    size_t gn = groups - g0 < PANEL_GROUPS ? groups - g0 : PANEL_GROUPS;
    size_t wp = nsb - b0 < pw ? nsb - b0 : pw;
    return (g0 * nsb + gn * b0 + (g - g0) * wp + (b - b0)) * pb;
}

size_t llmbo_pack_align(llmbo_ttype t, size_t n)
{
    size_t be = llmbo_ttype_block(t);
    return pack_bytes(t) && be && pack_panel(t, n / be) < n / be ? PANEL_GROUPS * LLMBO_PACK_ROWS
                                                                 : LLMBO_PACK_ROWS;
}

int llmbo_pack_ok(llmbo_ttype t, size_t rows, size_t n)
{
    return pack_bytes(t) > 0 && rows >= LLMBO_PACK_ROWS && n > 0 && n % llmbo_ttype_block(t) == 0;
}

/* Positions of sub-block j of row r in the S and M orders. */
static int pack_s_at(int j, int r)
{
    return 16 * j + r;
}

static int pack_m_at(int j, int r)
{
    return 32 * (j / 2) + 2 * r + (j & 1);
}

/* Q4_K's 12 scale bytes from the scales and minimums of its eight sub-blocks (the inverse of
 * q4k_scale_min). */
static void q4k_scales_pack(const int *sc, const int *m, uint8_t *s)
{
    for (int j = 0; j < 4; j++) {
        s[j] = (uint8_t)((sc[j] & 63) | (sc[j + 4] >> 4) << 6);
        s[j + 4] = (uint8_t)((m[j] & 63) | (m[j + 4] >> 4) << 6);
        s[j + 8] = (uint8_t)((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
    }
}

/* Packed super-block b of the 16 rows at src (row_bytes apart, the file's layout) into dst: Q4_K,
 * or Q5_K when five (its fifth bits among the levels: q45_qh). */
static void q4k_pack_block(const uint8_t *src, size_t row_bytes, size_t b, uint8_t *dst, int five)
{
    uint8_t sv[128], mv[128];
    int qs = five ? 48 : 16;
    for (int r = 0; r < LLMBO_PACK_ROWS; r++) {
        const uint8_t *s = src + (size_t)r * row_bytes + b * (five ? 176 : 144);
        memcpy(dst + 2 * r, s, 2);
        memcpy(dst + 32 + 2 * r, s + 2, 2);
        for (int j = 0; j < 8; j++) {
            int sc, m;
            q4k_scale_min(j, s + 4, &sc, &m);
            sv[pack_s_at(j, r)] = (uint8_t)sc;
            mv[pack_m_at(j, r)] = (uint8_t)m;
        }
        for (int jj = 0; jj < 4; jj++)
            for (int c = 0; c < 8; c++)
                memcpy(dst + q45_lev(jj, c, five) + 4 * r, s + qs + 32 * jj + 4 * c, 4);
        for (int c = 0; five && c < 8; c++)
            memcpy(dst + q45_qh(c) + 4 * r, s + 16 + 4 * c, 4);
    }
    memset(dst + 192, 0, 64);
    for (int k = 0; k < 128; k++) {
        dst[64 + k] = (uint8_t)((sv[k] & 15) | (mv[k] & 15) << 4);
        dst[192 + k % 64] |= (uint8_t)(((sv[k] >> 4) | (mv[k] >> 4) << 2) << (4 * (k / 64)));
    }
}

/* Row r's super-block (144 bytes, Q5_K's 176 when five; the file's layout) from packed
 * super-block g. */
static void q4k_unpack_block(const uint8_t *g, int r, uint8_t *o, int five)
{
    int qs = five ? 48 : 16;
    int sc[8], m[8];
    memcpy(o, g + 2 * r, 2);
    memcpy(o + 2, g + 32 + 2 * r, 2);
    for (int j = 0; j < 8; j++) {
        int k = pack_s_at(j, r), km = pack_m_at(j, r);
        sc[j] = (g[64 + k] & 15) | ((g[192 + k % 64] >> (4 * (k / 64))) & 3) << 4;
        m[j] = (g[64 + km] >> 4) | ((g[192 + km % 64] >> (4 * (km / 64) + 2)) & 3) << 4;
    }
    q4k_scales_pack(sc, m, o + 4);
    for (int jj = 0; jj < 4; jj++)
        for (int c = 0; c < 8; c++)
            memcpy(o + qs + 32 * jj + 4 * c, g + q45_lev(jj, c, five) + 4 * r, 4);
    for (int c = 0; five && c < 8; c++)
        memcpy(o + 16 + 4 * c, g + q45_qh(c) + 4 * r, 4);
}

/* Packed Q6_K super-block b of the 16 rows at src (row_bytes apart) into dst, and back. Four
 * elements at a time, one byte each of a 32-bit word (bytes never carry into each other). */
static void q6k_pack_block(const uint8_t *src, size_t row_bytes, size_t b, uint8_t *dst)
{
    const uint32_t m2 = 0x03030303u, m4 = 0x0f0f0f0fu;
    for (int r = 0; r < LLMBO_PACK_ROWS; r++) {
        const uint8_t *s = src + (size_t)r * row_bytes + b * 210;
        memcpy(dst + 2 * r, s + 208, 2);
        for (int sb = 0; sb < 16; sb++)
            dst[32 + 16 * sb + r] = s[192 + sb];
        for (int h = 0; h < 2; h++)
            for (int c = 0; c < 8; c++) {
                uint32_t q0, q1, qh, e[4];
                memcpy(&q0, s + 64 * h + 4 * c, 4);
                memcpy(&q1, s + 64 * h + 32 + 4 * c, 4);
                memcpy(&qh, s + 128 + 32 * h + 4 * c, 4);
                e[0] = (q0 & m4) | (qh & m2) << 4; /* elements 4 c + j + 32 i of the half */
                e[1] = (q1 & m4) | (qh >> 2 & m2) << 4;
                e[2] = (q0 >> 4 & m4) | (qh >> 4 & m2) << 4;
                e[3] = (q1 >> 4 & m4) | (qh >> 6 & m2) << 4;
                uint8_t *o = dst + 288 + 192 * (8 * h + c) + 4 * r;
                for (int i = 0; i < 3; i++) {
                    uint32_t v = e[i] | (e[3] >> 2 * i & m2) << 6;
                    memcpy(o + 64 * i, &v, 4);
                }
            }
    }
}

static void q6k_unpack_block(const uint8_t *g, int r, uint8_t *o)
{
    memcpy(o + 208, g + 2 * r, 2);
    for (int sb = 0; sb < 16; sb++)
        o[192 + sb] = g[32 + 16 * sb + r];
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < 8; c++)
            for (int j = 0; j < 4; j++) {
                const uint8_t *p = g + 288 + 192 * (8 * h + c) + 4 * r + j;
                int l = 4 * c + j, e[4];
                for (int i = 0; i < 3; i++)
                    e[i] = p[64 * i] & 63;
                e[3] = p[0] >> 6 | (p[64] >> 6) << 2 | (p[128] >> 6) << 4;
                o[64 * h + l] = (uint8_t)((e[0] & 15) | (e[2] & 15) << 4);
                o[64 * h + 32 + l] = (uint8_t)((e[1] & 15) | (e[3] & 15) << 4);
                o[128 + 32 * h + l] =
                    (uint8_t)(e[0] >> 4 | (e[1] >> 4) << 2 | (e[2] >> 4) << 4 | (e[3] >> 4) << 6);
            }
}

/* Packed IQ4_XS super-block b of the 16 rows at src (row_bytes apart) into dst, and back. */
static void iq4xs_pack_block(const uint8_t *src, size_t row_bytes, size_t b, uint8_t *dst)
{
    uint8_t sv[128];
    for (int r = 0; r < LLMBO_PACK_ROWS; r++) {
        const uint8_t *s = src + (size_t)r * row_bytes + b * 136;
        int sh = s[2] | s[3] << 8;
        memcpy(dst + 2 * r, s, 2);
        for (int ib = 0; ib < 8; ib++) {
            sv[16 * ib + r] =
                (uint8_t)(((s[4 + ib / 2] >> (4 * (ib % 2))) & 15) | ((sh >> (2 * ib)) & 3) << 4);
            for (int c = 0; c < 4; c++)
                memcpy(dst + 128 + 64 * (4 * ib + c) + 4 * r, s + 8 + 16 * ib + 4 * c, 4);
        }
    }
    memset(dst + 96, 0, 32);
    for (int k = 0; k < 64; k++)
        dst[32 + k] = (uint8_t)((sv[k] & 15) | (sv[k + 64] & 15) << 4);
    for (int k = 0; k < 128; k++)
        dst[96 + k % 32] |= (uint8_t)((sv[k] >> 4) << (2 * (k / 32)));
}

static void iq4xs_unpack_block(const uint8_t *g, int r, uint8_t *o)
{
    int sh = 0;
    memcpy(o, g + 2 * r, 2);
    memset(o + 4, 0, 4);
    for (int ib = 0; ib < 8; ib++) {
        int k = 16 * ib + r;
        int ls = ((g[32 + k % 64] >> (4 * (k / 64))) & 15) |
                 ((g[96 + k % 32] >> (2 * (k / 32))) & 3) << 4;
        o[4 + ib / 2] |= (uint8_t)((ls & 15) << (4 * (ib % 2)));
        sh |= (ls >> 4) << (2 * ib);
        for (int c = 0; c < 4; c++)
            memcpy(o + 8 + 16 * ib + 4 * c, g + 128 + 64 * (4 * ib + c) + 4 * r, 4);
    }
    o[2] = (uint8_t)(sh & 0xff);
    o[3] = (uint8_t)(sh >> 8);
}

/* Packed Q8_0 block b of the 16 rows at src (row_bytes apart) into dst, and back. */
static void q80_pack_block(const uint8_t *src, size_t row_bytes, size_t b, uint8_t *dst)
{
    for (int r = 0; r < LLMBO_PACK_ROWS; r++) {
        const uint8_t *s = src + (size_t)r * row_bytes + b * 34;
        memcpy(dst + 2 * r, s, 2);
        for (int c = 0; c < 8; c++) {
            uint32_t v;
            memcpy(&v, s + 2 + 4 * c, 4);
            v ^= 0x80808080u;
            memcpy(dst + 32 + 64 * c + 4 * r, &v, 4);
        }
    }
}

static void q80_unpack_block(const uint8_t *g, int r, uint8_t *o)
{
    memcpy(o, g + 2 * r, 2);
    for (int c = 0; c < 8; c++) {
        uint32_t v;
        memcpy(&v, g + 32 + 64 * c + 4 * r, 4);
        v ^= 0x80808080u;
        memcpy(o + 2 + 4 * c, &v, 4);
    }
}

static void pack_block(llmbo_ttype t, const uint8_t *src, size_t row_bytes, size_t b, uint8_t *dst)
{
    if (t == LLMBO_T_Q4_K || t == LLMBO_T_Q5_K)
        q4k_pack_block(src, row_bytes, b, dst, t == LLMBO_T_Q5_K);
    else if (t == LLMBO_T_Q6_K)
        q6k_pack_block(src, row_bytes, b, dst);
    else if (t == LLMBO_T_IQ4_XS)
        iq4xs_pack_block(src, row_bytes, b, dst);
    else
        q80_pack_block(src, row_bytes, b, dst);
}

static void unpack_block(llmbo_ttype t, const uint8_t *g, int r, uint8_t *o)
{
    if (t == LLMBO_T_Q4_K || t == LLMBO_T_Q5_K)
        q4k_unpack_block(g, r, o, t == LLMBO_T_Q5_K);
    else if (t == LLMBO_T_Q6_K)
        q6k_unpack_block(g, r, o);
    else if (t == LLMBO_T_IQ4_XS)
        iq4xs_unpack_block(g, r, o);
    else
        q80_unpack_block(g, r, o);
}

void llmbo_pack_group(llmbo_ttype t, uint8_t *w, size_t row_bytes, size_t n, uint8_t *scratch)
{
    size_t nsb = n / llmbo_ttype_block(t), bb = pack_bytes(t);
    if (!bb || row_bytes != nsb * bb)
        return;
    memcpy(scratch, w, LLMBO_PACK_ROWS * row_bytes);
    for (size_t b = 0; b < nsb; b++)
        pack_block(t, scratch, row_bytes, b, w + b * LLMBO_PACK_ROWS * bb);
}

void llmbo_pack_matrix(llmbo_ttype t, uint8_t *w, size_t row_bytes, size_t rows, size_t n,
                       uint8_t *scratch)
{
    size_t nsb = n / llmbo_ttype_block(t), bb = pack_bytes(t), pb = LLMBO_PACK_ROWS * bb;
    size_t groups = rows / LLMBO_PACK_ROWS, pw = pack_panel(t, nsb);
    if (!bb || row_bytes != nsb * bb)
        return;
    for (size_t g = 0; g < groups; g++)
        llmbo_pack_group(t, w + g * pb * nsb, row_bytes, n, scratch);
    for (size_t g0 = 0; pw < nsb && g0 < groups; g0 += PANEL_GROUPS) {
        size_t gn = groups - g0 < PANEL_GROUPS ? groups - g0 : PANEL_GROUPS;
        uint8_t *blk = w + g0 * nsb * pb;
        memcpy(scratch, blk, gn * nsb * pb);
        for (size_t g = 0; g < gn; g++)
            for (size_t b = 0; b < nsb; b++)
                memcpy(w + pack_at(t, rows, nsb, g0 + g, b), scratch + (g * nsb + b) * pb, pb);
    }
}

void llmbo_unpack_row(llmbo_ttype t, const uint8_t *w, size_t rows, size_t n, size_t r,
                      uint8_t *row)
{
    size_t bb = pack_bytes(t), nsb = n / llmbo_ttype_block(t);
    for (size_t b = 0; bb && b < nsb; b++)
        unpack_block(t, w + pack_at(t, rows, nsb, r / LLMBO_PACK_ROWS, b),
                     (int)(r % LLMBO_PACK_ROWS), row + b * bb);
}

#ifdef LLMBO_X86_DISPATCH
/* 128-bit quarter i of v (i a constant once inlined: clang wants the immediate in the source). */
AVX512_INL __m128i quarter512(__m512i v, int i)
{
    switch (i) {
    case 0:
        return _mm512_castsi512_si128(v);
    case 1:
        return _mm512_extracti32x4_epi32(v, 1);
    case 2:
        return _mm512_extracti32x4_epi32(v, 2);
    default:
        return _mm512_extracti32x4_epi32(v, 3);
    }
}

/* Loads of packed weights that the compiler keeps as they are: one load per line, where it is
 * written. Without the empty asm gcc folds a load into each instruction that uses it (two loads of
 * a line) and loads a super-block's first lines again after its last, and its one-token Q4_K decode
 * read memory at 0.86-0.89 of a plain read where the same source built by clang, reading each
 * line once in address order, read 0.93-0.97 (perf/results/engine_speed_quiet.md, "Stop 37").
 * In one-token decode (once) the Q4_K, Q5_K and Q6_K bodies read each super-block from its first
 * line to its last with these (prompts, which run from the cache, as the compiler likes). IQ4_XS's
 * levels do not: kept in a register they made its one-token kernel read 0.80 of a plain read
 * instead of 0.94. Q8_0 measured the same either way and is left as it was. */
AVX512_INL __m512i ld_once512(const uint8_t *p, const int once)
{
    __m512i v = _mm512_loadu_si512((const void *)p);
    if (once)
        __asm__("" : "+v"(v));
    return v;
}

/* The 16 fp16 values at p as floats, loaded as ld_once512 loads. */
AVX512_INL __m512 ld_once_ph(const uint8_t *p, const int once)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    if (once)
        __asm__("" : "+v"(v));
    return _mm512_cvtph_ps(v);
}

/* One-token decode's prefetch of the packed block `ahead` blocks of `bytes` after g, when
 * software prefetch is on. */
AVX512_INL void p16_prefetch(const uint8_t *g, int bytes, int ahead)
{
    if (!atomic_load_explicit(&pack_prefetch, memory_order_relaxed))
        return;
    for (int o = 0; o < bytes; o += 64)
        _mm_prefetch((const char *)(g + (size_t)ahead * (size_t)bytes + o), _MM_HINT_T0);
}

/* The float step of a packed super-block with one fp16 d per row (Q6_K, IQ4_XS): acc[k] +=
 * isum[k] d yd, lane by lane, for NT tokens (token k's block at yb + k * ys). */
AVX512_INL void p16_step(__m512 *acc, const __m512i *isum, __m512 d, const llmbo_q8k *yb, size_t ys,
                         const int NT)
{
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[k]),
                                 _mm512_mul_ps(d, _mm512_set1_ps(yb[(size_t)k * ys].d)), acc[k]);
}

/* The 16 rows' sums of NT tokens into out + k * os. */
AVX512_INL void p16_store(const __m512 *acc, float *out, size_t os, const int NT)
{
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        _mm512_storeu_ps(out + (size_t)k * os, acc[k]);
}

/* Bit p (0..7) of every byte of h moved to bit 4, the other bits zero. */
AVX512_INL __m512i bit_at4(__m512i h, const int p, __m512i m10)
{
    __m512i t = p < 4   ? _mm512_slli_epi16(h, (unsigned)(4 - p))
                : p > 4 ? _mm512_srli_epi16(h, (unsigned)(p - 4))
                        : h;
    return _mm512_and_si512(t, m10);
}

/* 16 packed rows (g: their first super-block, nsb of them) against NT tokens (token k's blocks
 * at y + k * ys), into out + k * os (16 floats per token). A super-block's integer sums are
 * exact: per sub-block, vpdpbusd of the low nibbles (and of the high nibbles as they stand, 16
 * times the levels, shifted back) with the token's 4-byte groups broadcast, times the row's scale
 * (vpmulld); the minimums' sum by vpdpwssd of the M pairs with the token's sub-block sums (pairs
 * of bsum, at most 32 x 127 each). The float steps are then (isum d - imin dmin) yd added to
 * lane r, so a token's numbers are the same for every NT. Q5_K (FIVE): both nibble halves are
 * taken down to 0..15 and the fifth bit set above them (levels 0..31), so no shift back. */
AVX512_INL void q4k_p16_body(const uint8_t *g, size_t nsb, const llmbo_q8k *y, size_t ys,
                             float *out, size_t os, const int NT, const int FIVE, int acc_in)
{
    const int SB = FIVE ? PACK_Q5K : PACK_Q4K, ONCE = NT == 1; /* one token: ld_once512 */
    const __m512i m10 = _mm512_set1_epi8(0x10);
    const __m512i m4 = _mm512_set1_epi8(0x0f), mf0 = _mm512_set1_epi8((char)0xf0);
    const __m512i m3 = _mm512_set1_epi8(3), mc = _mm512_set1_epi8(0x0c);
    const __m256i ones = _mm256_set1_epi16(1);
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = acc_in ? _mm512_loadu_ps(out + (size_t)k * os) : _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++, g += SB) {
        if (NT == 1)
            p16_prefetch(g, SB, PACK_PF);
        __m512 d = ld_once_ph(g, ONCE), dm = ld_once_ph(g + 32, ONCE);
        __m512i l0 = ld_once512(g + 64, ONCE), l1 = ld_once512(g + 128, ONCE),
                h0 = ld_once512(g + 192, ONCE);
        __m512i h1 = _mm512_srli_epi16(h0, 4);
        __m512i sv[2] = {_mm512_or_si512(_mm512_and_si512(l0, m4),
                                         _mm512_slli_epi16(_mm512_and_si512(h0, m3), 4)),
                         _mm512_or_si512(_mm512_and_si512(l1, m4),
                                         _mm512_slli_epi16(_mm512_and_si512(h1, m3), 4))};
        __m512i mv[2] = {_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), m4),
                                         _mm512_slli_epi16(_mm512_and_si512(h0, mc), 2)),
                         _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), m4),
                                         _mm512_slli_epi16(_mm512_and_si512(h1, mc), 2))};
        __m512i isum[4], imin[4];
#pragma GCC unroll 4
        for (int k = 0; k < NT; k++) {
            const llmbo_q8k *yb = y + (size_t)k * ys + b;
            int32_t bp[4]; /* (bs[2p], bs[2p + 1]) as int16 pairs, bs[j]: sub-block j's sum */
            _mm_storeu_si128(
                (__m128i *)(void *)bp,
                _mm256_cvtepi32_epi16(_mm256_madd_epi16(
                    _mm256_loadu_si256((const __m256i *)(const void *)yb->bsum), ones)));
            imin[k] = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int p = 0; p < 4; p++) {
                __m512i mp = _mm512_cvtepu8_epi16(p % 2 ? _mm512_extracti64x4_epi64(mv[p / 2], 1)
                                                        : _mm512_castsi512_si256(mv[p / 2]));
                __m512i bb = _mm512_set1_epi32(bp[p]);
                __asm__("vpdpwssd %2, %1, %0" : "+v"(imin[k]) : "v"(mp), "v"(bb));
            }
            isum[k] = _mm512_setzero_si512();
        }
#pragma GCC unroll 4
        for (int jj = 0; jj < 4; jj++) {
            __m512i sl = _mm512_cvtepu8_epi32(quarter512(sv[jj / 2], 2 * (jj % 2)));
            __m512i sh = _mm512_cvtepu8_epi32(quarter512(sv[jj / 2], 2 * (jj % 2) + 1));
            /* one token: two sums per chain (even and odd c), for twice the independent
             * vpdpbusd chains; the integer sums are the same */
            __m512i A[8], B[8];
#pragma GCC unroll 8
            for (int k = 0; k < 2 * NT; k++)
                A[k] = B[k] = _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int c = 0; c < 8; c++) {
                __m512i v = ld_once512(g + q45_lev(jj, c, FIVE), ONCE);
                __m512i lo = _mm512_and_si512(v, m4), hi = _mm512_and_si512(v, mf0);
                if (FIVE) { /* levels 0..31: (nibble & 15) | (fifth bit moved to bit 4) */
                    __m512i h = ld_once512(g + q45_qh(c), ONCE);
                    lo = _mm512_ternarylogic_epi32(v, bit_at4(h, 2 * jj, m10), m4, 0xEC);
                    hi = _mm512_ternarylogic_epi32(_mm512_srli_epi16(v, 4),
                                                   bit_at4(h, 2 * jj + 1, m10), m4, 0xEC);
                }
#pragma GCC unroll 4
                for (int k = 0; k < NT; k++) {
                    const int8_t *a = y[(size_t)k * ys + b].q + 64 * jj + 4 * c;
                    int32_t a0, a1;
                    memcpy(&a0, a, 4);
                    memcpy(&a1, a + 32, 4);
                    __m512i b0 = _mm512_set1_epi32(a0), b1 = _mm512_set1_epi32(a1);
                    int i = NT == 1 ? c & 1 : 2 * k;
                    __asm__("vpdpbusd %2, %1, %0" : "+v"(A[i]) : "v"(lo), "v"(b0));
                    __asm__("vpdpbusd %2, %1, %0" : "+v"(B[i]) : "v"(hi), "v"(b1));
                }
            }
#pragma GCC unroll 4
            for (int k = 0; k < NT; k++) {
                A[k] = NT == 1 ? _mm512_add_epi32(A[0], A[1]) : A[2 * k];
                B[k] = NT == 1 ? _mm512_add_epi32(B[0], B[1]) : B[2 * k];
            }
#pragma GCC unroll 4
            for (int k = 0; k < NT; k++) {
                isum[k] = _mm512_add_epi32(isum[k], _mm512_mullo_epi32(A[k], sl));
                isum[k] = _mm512_add_epi32(
                    isum[k], _mm512_mullo_epi32(FIVE ? B[k] : _mm512_srai_epi32(B[k], 4), sh));
            }
        }
#pragma GCC unroll 4
        for (int k = 0; k < NT; k++) {
            __m512 f = _mm512_fmsub_ps(_mm512_cvtepi32_ps(isum[k]), d,
                                       _mm512_mul_ps(_mm512_cvtepi32_ps(imin[k]), dm));
            acc[k] = _mm512_fmadd_ps(f, _mm512_set1_ps(y[(size_t)k * ys + b].d), acc[k]);
        }
    }
    p16_store(acc, out, os, NT);
}

/* Q6_K: as q4k_p16_body. Per (h, c) the three loads give the levels of four sub-blocks (0..63,
 * the unsigned operand: PACK_Q6K's runs); a sub-block's sum of four
 * vpdpbusd less 32 times its activations' sum (bsum) is its exact sum of (level - 32) x
 * activation, times the row's int8 scale. */
AVX512_INL void q6k_p16_body(const uint8_t *g, size_t nsb, const llmbo_q8k *y, size_t ys,
                             float *out, size_t os, const int NT, int acc_in)
{
    const __m512i m03 = _mm512_set1_epi8(0x03), m0f = _mm512_set1_epi8(0x0f);
    const __m512i m3f = _mm512_set1_epi8(0x3f);
    const int ONCE = NT == 1; /* one token: ld_once512 */
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = acc_in ? _mm512_loadu_ps(out + (size_t)k * os) : _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++, g += PACK_Q6K) {
        if (NT == 1)
            p16_prefetch(g, PACK_Q6K, PACK_PF);
        __m512 d = ld_once_ph(g, ONCE);
        __m512i scv[4]; /* the scales, sub-blocks 4i..4i+3 in scv[i] */
#pragma GCC unroll 4
        for (int i = 0; i < 4; i++)
            scv[i] = ld_once512(g + 32 + 64 * i, ONCE);
        _Alignas(64) int32_t bs[4][16]; /* 32 x bsum of each sub-block, per token */
        __m512i isum[4];
#pragma GCC unroll 4
        for (int k = 0; k < NT; k++) {
            const llmbo_q8k *yb = y + (size_t)k * ys + b;
            _mm512_store_si512((void *)bs[k],
                               _mm512_slli_epi32(_mm512_cvtepi16_epi32(_mm256_loadu_si256(
                                                     (const __m256i *)(const void *)yb->bsum)),
                                                 5));
            isum[k] = _mm512_setzero_si512();
        }
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++)
#pragma GCC unroll 2
            for (int quad = 0; quad < 2; quad++) {
                __m512i A[4][4];
#pragma GCC unroll 4
                for (int k = 0; k < NT; k++)
                    A[k][0] = A[k][1] = A[k][2] = A[k][3] = _mm512_setzero_si512();
#pragma GCC unroll 4
                for (int cc = 0; cc < 4; cc++) {
                    int c = 4 * quad + cc;
                    const uint8_t *p = g + 288 + 192 * (8 * h + c);
                    __m512i p0 = ld_once512(p, ONCE), p1 = ld_once512(p + 64, ONCE),
                            p2 = ld_once512(p + 128, ONCE);
                    /* e_3: bits 0-1 from p0's top two, 2-3 from p1's, 4-5 from p2's (0xCA:
                     * the first operand's bits choose the second's, the others the third's) */
                    __m512i t = _mm512_ternarylogic_epi32(m03, _mm512_srli_epi16(p0, 6),
                                                          _mm512_srli_epi16(p1, 4), 0xCA);
                    t = _mm512_ternarylogic_epi32(m0f, t, _mm512_srli_epi16(p2, 2), 0xCA);
                    __m512i v[4] = {_mm512_and_si512(p0, m3f), _mm512_and_si512(p1, m3f),
                                    _mm512_and_si512(p2, m3f), _mm512_and_si512(t, m3f)};
#pragma GCC unroll 4
                    for (int k = 0; k < NT; k++) {
                        const int8_t *a = y[(size_t)k * ys + b].q + 128 * h + 4 * c;
#pragma GCC unroll 4
                        for (int i = 0; i < 4; i++) {
                            int32_t ai;
                            memcpy(&ai, a + 32 * i, 4);
                            __m512i bi = _mm512_set1_epi32(ai);
                            __asm__("vpdpbusd %2, %1, %0" : "+v"(A[k][i]) : "v"(v[i]), "v"(bi));
                        }
                    }
                }
#pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
                    int sb = 8 * h + 2 * i + quad;
                    __m512i sc = _mm512_cvtepi8_epi32(quarter512(scv[sb / 4], sb % 4));
#pragma GCC unroll 4
                    for (int k = 0; k < NT; k++)
                        isum[k] = _mm512_add_epi32(
                            isum[k],
                            _mm512_mullo_epi32(
                                _mm512_sub_epi32(A[k][i], _mm512_set1_epi32(bs[k][sb])), sc));
                }
            }
        p16_step(acc, isum, d, y + b, ys, NT);
    }
    p16_store(acc, out, os, NT);
}

/* IQ4_XS: as q4k_p16_body. The codebook indices are looked up (in-lane byte shuffles) in the
 * levels plus 128 (1..241: the unsigned operand), so a sub-block's two vpdpbusd chains less 128
 * times its activations' sum (bsum pairs) are its exact sum of level x activation, times the
 * row's ls - 32. */
AVX512_INL void iq4xs_p16_body(const uint8_t *g, size_t nsb, const llmbo_q8k *y, size_t ys,
                               float *out, size_t os, const int NT, const int VBMI, int acc_in)
{
    static const uint8_t levels_u[16] = {1,   24,  45,  63,  79,  93,  106, 118,
                                         129, 141, 153, 166, 181, 197, 217, 241};
    const __m512i m4 = _mm512_set1_epi8(0x0f), m3 = _mm512_set1_epi8(3);
    const __m512i m30 = _mm512_set1_epi8(0x30), b32 = _mm512_set1_epi8(32);
    const __m512i tab =
        _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)levels_u));
    const __m512i hshift = _mm512_setr_epi64(0, 0, 0, 0, 0x0002000200020002LL, 0x0002000200020002LL,
                                             0x0002000200020002LL, 0x0002000200020002LL);
    const __m256i ones = _mm256_set1_epi16(1);
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = acc_in ? _mm512_loadu_ps(out + (size_t)k * os) : _mm512_setzero_ps();
    for (size_t b = 0; b < nsb; b++, g += PACK_IQ4XS) {
        if (NT == 1)
            p16_prefetch(g, PACK_IQ4XS, PACK_PF);
        __m512i l = _mm512_loadu_si512((const void *)(g + 32));
        __m512i hs = _mm512_srlv_epi16(
            _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)(g + 96))),
            hshift);
        __m512i sv[2] = {
            _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(l, m4),
                                            _mm512_slli_epi16(_mm512_and_si512(hs, m3), 4)),
                            b32),
            _mm512_sub_epi8(_mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                            _mm512_and_si512(hs, m30)),
                            b32)};
        _Alignas(32) int32_t bs[4][8]; /* 128 x the sum of each sub-block's activations */
        __m512i isum[4];
#pragma GCC unroll 4
        for (int k = 0; k < NT; k++) {
            const llmbo_q8k *yb = y + (size_t)k * ys + b;
            _mm256_store_si256(
                (__m256i *)(void *)bs[k],
                _mm256_slli_epi32(
                    _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)(const void *)yb->bsum),
                                      ones),
                    7));
            isum[k] = _mm512_setzero_si512();
        }
#pragma GCC unroll 8
        for (int ib = 0; ib < 8; ib++) {
            __m512i sc = _mm512_cvtepi8_epi32(quarter512(sv[ib / 4], ib % 4));
            const uint8_t *q = g + 128 + 256 * ib;
            __m512i A[4], B[4];
#pragma GCC unroll 4
            for (int k = 0; k < NT; k++)
                A[k] = B[k] = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int c = 0; c < 4; c++) {
                __m512i v = _mm512_loadu_si512((const void *)(q + 64 * c)), lo, hi;
                if (VBMI) { /* vpermb reads six bits of each index: tab holds the levels 4 times */
                    __asm__("vpermb %2, %1, %0" : "=v"(lo) : "v"(v), "v"(tab));
                    __asm__("vpermb %2, %1, %0"
                            : "=v"(hi)
                            : "v"(_mm512_srli_epi16(v, 4)), "v"(tab));
                } else {
                    lo = _mm512_shuffle_epi8(tab, _mm512_and_si512(v, m4));
                    hi = _mm512_shuffle_epi8(tab, _mm512_and_si512(_mm512_srli_epi16(v, 4), m4));
                }
#pragma GCC unroll 4
                for (int k = 0; k < NT; k++) {
                    const int8_t *a = y[(size_t)k * ys + b].q + 32 * ib + 4 * c;
                    int32_t a0, a1;
                    memcpy(&a0, a, 4);
                    memcpy(&a1, a + 16, 4);
                    __m512i b0 = _mm512_set1_epi32(a0), b1 = _mm512_set1_epi32(a1);
                    __asm__("vpdpbusd %2, %1, %0" : "+v"(A[k]) : "v"(lo), "v"(b0));
                    __asm__("vpdpbusd %2, %1, %0" : "+v"(B[k]) : "v"(hi), "v"(b1));
                }
            }
#pragma GCC unroll 4
            for (int k = 0; k < NT; k++)
                isum[k] = _mm512_add_epi32(
                    isum[k], _mm512_mullo_epi32(_mm512_sub_epi32(_mm512_add_epi32(A[k], B[k]),
                                                                 _mm512_set1_epi32(bs[k][ib])),
                                                sc));
        }
        p16_step(acc, isum, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)g)),
                 y + b, ys, NT);
    }
    p16_store(acc, out, os, NT);
}

/* Q8_0: the levels plus 128 are the unsigned operand, so a block's eight vpdpbusd less 128 times
 * the sum of its activations (asum, per token and block) is its exact integer sum. */
AVX512_INL void q80_p16_body(const uint8_t *g, size_t nb, const llmbo_q8a *y, size_t ys,
                             const int32_t *asum, float *out, size_t os, const int NT)
{
    __m512 acc[4];
#pragma GCC unroll 4
    for (int k = 0; k < NT; k++)
        acc[k] = _mm512_setzero_ps();
    for (size_t b = 0; b < nb; b++, g += PACK_Q80) {
        if (NT == 1)
            p16_prefetch(g, PACK_Q80, 4 * PACK_PF);
        __m512i A[8];
#pragma GCC unroll 8
        for (int k = 0; k < 2 * NT; k++)
            A[k] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int c = 0; c < 8; c++) {
            __m512i v = _mm512_loadu_si512((const void *)(g + 32 + 64 * c));
#pragma GCC unroll 4
            for (int k = 0; k < NT; k++) {
                int32_t a0;
                memcpy(&a0, y[(size_t)k * ys + b].q + 4 * c, 4);
                __m512i b0 = _mm512_set1_epi32(a0);
                int i = NT == 1 ? c & 1 : 2 * k;
                __asm__("vpdpbusd %2, %1, %0" : "+v"(A[i]) : "v"(v), "v"(b0));
            }
        }
        __m512 d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)g));
#pragma GCC unroll 4
        for (int k = 0; k < NT; k++) {
            __m512i s = NT == 1 ? _mm512_add_epi32(A[0], A[1]) : A[2 * k];
            s = _mm512_sub_epi32(s, _mm512_set1_epi32(asum[(size_t)k * nb + b] * 128));
            acc[k] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(s),
                                _mm512_mul_ps(d, _mm512_set1_ps(y[(size_t)k * ys + b].d)), acc[k]);
        }
    }
    p16_store(acc, out, os, NT);
}

/* One token's group of 16 rows, one function per type (so the compiler lays out each type's
 * loop on its own: inlined together into p16_gemm, a change to one body moved another's
 * one-token speed from memory by 3 %, the same source). */
#define P16_ONE(name, call)                                                                        \
    AVX512_FN __attribute__((noinline)) static void name(const uint8_t *g, size_t nb, size_t ys,   \
                                                         const void *x, const int32_t *asum,       \
                                                         float *out, int acc_in)                   \
    {                                                                                              \
        (void)asum;                                                                                \
        (void)acc_in;                                                                              \
        call;                                                                                      \
    }
P16_ONE(p16_q4k_1, q4k_p16_body(g, nb, x, ys, out, 0, 1, 0, acc_in))
P16_ONE(p16_q5k_1, q4k_p16_body(g, nb, x, ys, out, 0, 1, 1, acc_in))
P16_ONE(p16_q6k_1, q6k_p16_body(g, nb, x, ys, out, 0, 1, acc_in))
P16_ONE(p16_iq4xs_1, iq4xs_p16_body(g, nb, x, ys, out, 0, 1, 0, acc_in))
P16_ONE(p16_iq4xs_vbmi_1, iq4xs_p16_body(g, nb, x, ys, out, 0, 1, 1, acc_in))
P16_ONE(p16_q80_1, q80_p16_body(g, nb, x, ys, asum, out, 0, 1))

/* Level 3: row blocks of GEMM_BLOCK_BYTES that stay in the cache while the tokens pass over them
 * four at a time (then one at a time), each group of 16 rows by its type's body. */
AVX512_INL void p16_group(llmbo_ttype t, const uint8_t *g, size_t nb, size_t ys, const void *x,
                          const int32_t *asum, float *out, size_t os, const int NT, int vbmi,
                          int acc_in)
{
    if (NT == 1) {
        if (t == LLMBO_T_Q4_K)
            p16_q4k_1(g, nb, ys, x, asum, out, acc_in);
        else if (t == LLMBO_T_Q5_K)
            p16_q5k_1(g, nb, ys, x, asum, out, acc_in);
        else if (t == LLMBO_T_Q6_K)
            p16_q6k_1(g, nb, ys, x, asum, out, acc_in);
        else if (t == LLMBO_T_IQ4_XS)
            vbmi ? p16_iq4xs_vbmi_1(g, nb, ys, x, asum, out, acc_in)
                 : p16_iq4xs_1(g, nb, ys, x, asum, out, acc_in);
        else
            p16_q80_1(g, nb, ys, x, asum, out, acc_in);
        return;
    }
    if (t == LLMBO_T_Q4_K)
        q4k_p16_body(g, nb, x, ys, out, os, NT, 0, acc_in);
    else if (t == LLMBO_T_Q5_K)
        q4k_p16_body(g, nb, x, ys, out, os, NT, 1, acc_in);
    else if (t == LLMBO_T_Q6_K)
        q6k_p16_body(g, nb, x, ys, out, os, NT, acc_in);
    else if (t == LLMBO_T_IQ4_XS)
        vbmi ? iq4xs_p16_body(g, nb, x, ys, out, os, NT, 1, acc_in)
             : iq4xs_p16_body(g, nb, x, ys, out, os, NT, 0, acc_in);
    else /* never in panels (pack_panel) */
        q80_p16_body(g, nb, x, ys, asum, out, os, NT);
}

/* x: T rows of nsb activation blocks of xb bytes (llmbo_q8k, or llmbo_q8a for Q8_0 with asum:
 * T x nsb sums of their levels). */
AVX512_FN static void p16_gemm(llmbo_ttype t, const uint8_t *w, size_t rb, size_t rows,
                               const void *x, size_t xb, const int32_t *asum, size_t T, size_t nsb,
                               float *out, size_t os)
{
    const uint8_t *xc = x;
    const int vbmi = has_vbmi;
    size_t groups = rows / LLMBO_PACK_ROWS, pw = pack_panel(t, nsb),
           pb = LLMBO_PACK_ROWS * rb / nsb;
    if (pw < nsb) { /* panels: each row block's panels in turn, its groups' sums carried in out */
        for (size_t g0 = 0; g0 < groups; g0 += PANEL_GROUPS) {
            size_t gn = groups - g0 < PANEL_GROUPS ? groups - g0 : PANEL_GROUPS;
            for (size_t b0 = 0; b0 < nsb; b0 += pw) {
                size_t wp = nsb - b0 < pw ? nsb - b0 : pw, k = 0;
                const uint8_t *pan = w + (g0 * nsb + gn * b0) * pb;
                for (; k + 4 <= T; k += 4)
                    for (size_t g = 0; g < gn; g++)
                        p16_group(t, pan + g * wp * pb, wp, nsb, xc + (k * nsb + b0) * xb, NULL,
                                  out + k * os + (g0 + g) * LLMBO_PACK_ROWS, os, 4, vbmi, b0 > 0);
                for (; k < T; k++)
                    for (size_t g = 0; g < gn; g++)
                        p16_group(t, pan + g * wp * pb, wp, nsb, xc + (k * nsb + b0) * xb, NULL,
                                  out + k * os + (g0 + g) * LLMBO_PACK_ROWS, os, 1, vbmi, b0 > 0);
            }
        }
        return;
    }
    size_t gb = LLMBO_PACK_ROWS * rb, block = GEMM_BLOCK_BYTES / gb;
    block = (block < 1 ? 1 : block) * LLMBO_PACK_ROWS;
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t r1 = r0 + block < rows ? r0 + block : rows, k = 0;
        for (; k + 4 <= T; k += 4)
            for (size_t r = r0; r < r1; r += LLMBO_PACK_ROWS)
                p16_group(t, w + r * rb, nsb, nsb, xc + k * nsb * xb, asum ? asum + k * nsb : NULL,
                          out + k * os + r, os, 4, vbmi, 0);
        for (; k < T; k++)
            for (size_t r = r0; r < r1; r += LLMBO_PACK_ROWS)
                p16_group(t, w + r * rb, nsb, nsb, xc + k * nsb * xb, asum ? asum + k * nsb : NULL,
                          out + k * os + r, os, 1, vbmi, 0);
    }
}
#endif

void llmbo_gemm_packed(llmbo_ttype t, const void *w, size_t row_bytes, size_t rows, const void *xq,
                       size_t T, size_t n, float *out, size_t out_stride)
{
    const uint8_t *wb = w, *x = xq;
    size_t bb = pack_bytes(t), be = llmbo_ttype_block(t), nsb = bb ? n / be : 0;
    size_t xb = llmbo_ttype_act(t) == LLMBO_ACT_Q8K ? sizeof(llmbo_q8k) : sizeof(llmbo_q8a);
    size_t full = rows / LLMBO_PACK_ROWS * LLMBO_PACK_ROWS;
    if (!bb)
        return;
    if (rows > full) { /* the rows after the last group, in the file's layout */
        if (T == 1)
            llmbo_gemv(t, wb + full * row_bytes, row_bytes, rows - full, xq, n, out + full);
        else
            llmbo_gemm(t, wb + full * row_bytes, row_bytes, rows - full, xq, T, n, out + full,
                       out_stride);
    }
#ifdef LLMBO_X86_DISPATCH
    if (simd_on > 2) {
        /* Q8_0's activation sums: on the stack for a token's rows of up to 1024 blocks (every
         * one-token product: no allocation per chunk), else allocated */
        int32_t sums[1024], *asum = NULL;
        if (t == LLMBO_T_Q8_0)
            asum = T * nsb <= 1024 ? sums : llmbo_malloc(T * nsb, sizeof *asum);
        if (asum)
            for (size_t i = 0; i < T * nsb; i++) {
                const llmbo_q8a *yb = (const llmbo_q8a *)(const void *)x + i;
                int sum = 0;
                for (int j = 0; j < LLMBO_QK; j++)
                    sum += yb->q[j];
                asum[i] = sum;
            }
        if (t != LLMBO_T_Q8_0 || asum) {
            p16_gemm(t, wb, row_bytes, full, x, xb, asum, T, nsb, out, out_stride);
            if (asum != sums)
                llmbo_free(asum);
            return;
        }
    }
#endif
    /* other levels (and Q8_0 without memory for its sums): each row back in the file's layout,
     * 64 blocks at a time, and llmbo_vec_dot (a row of at most 64 blocks: the unpacked
     * matrix's numbers) */
    uint8_t buf[64 * 210];
    for (size_t g0 = 0; g0 < full; g0 += LLMBO_PACK_ROWS)
        for (int r = 0; r < LLMBO_PACK_ROWS; r++) {
            for (size_t k = 0; k < T; k++)
                out[k * out_stride + g0 + (size_t)r] = 0.0f;
            for (size_t b0 = 0; b0 < nsb; b0 += 64) {
                size_t nb = nsb - b0 < 64 ? nsb - b0 : 64;
                for (size_t b = 0; b < nb; b++)
                    unpack_block(t, wb + pack_at(t, full, nsb, g0 / LLMBO_PACK_ROWS, b0 + b), r,
                                 buf + b * bb);
                for (size_t k = 0; k < T; k++)
                    out[k * out_stride + g0 + (size_t)r] +=
                        llmbo_vec_dot(t, buf, NULL, x + (k * nsb + b0) * xb, nb * be);
            }
        }
}
