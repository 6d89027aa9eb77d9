/* test_quant.c: every tensor type's scalar kernels against an independent float64 dequantisation
 * (tests/ref_forward.py dequant, numpy, written from ggml's dequantize_row_* loops) on blocks of
 * random bytes with random fp16 scales: llmbo_dequant_row element by element, and llmbo_vec_dot
 * (weights times int8-quantised activations) against the float64 dot of the reference weights with
 * the same dequantised activations. With SIMD on and off. */
#include <float.h>
#include <math.h>
#include "check.h"
#include "engine_util.h"
#include "gguf.h"
#include "quant.h"
#include "llmbo_common.h"
#include "iq_blocks.h"
#include "iq_llamacpp.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Uniform in [-1, 1). */
static double unif(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* Byte offsets of the fp16 fields in one block of each type. */
static int half_fields(llmbo_ttype t, int *off)
{
    switch (t) {
    case LLMBO_T_Q4_1:
    case LLMBO_T_Q5_1:
    case LLMBO_T_Q4_K:
    case LLMBO_T_Q5_K:
        off[0] = 0, off[1] = 2;
        return 2;
    case LLMBO_T_Q2_K:
        off[0] = 80, off[1] = 82;
        return 2;
    case LLMBO_T_Q3_K:
        off[0] = 108;
        return 1;
    case LLMBO_T_Q6_K:
        off[0] = 208;
        return 1;
    default: /* Q4_0, Q5_0, Q8_0, IQ1_S, IQ2_*, IQ3_*, IQ4_NL, IQ4_XS: d first (IQ1_M: iqb_set_d)
              */
        off[0] = 0;
        return 1;
    }
}

/* Sets every fp16 field (half_fields) of nb consecutive blocks of type t at raw to a random value
 * in [0, 0.05): random bytes elsewhere, but scales that keep products finite and comparable. */
static void set_scales(uint8_t *raw, llmbo_ttype t, size_t nb)
{
    int off[2], nh = half_fields(t, off);
    size_t bytes = llmbo_ttype_block_bytes(t);
    if (t == LLMBO_T_MXFP4) { /* the E8M0 byte: scales 2^-12 .. 2^-1, as trained weights have */
        for (size_t b = 0; b < nb; b++)
            raw[b * bytes] = (uint8_t)(115 + rnd() % 12);
        return;
    }
    for (size_t b = 0; b < nb; b++)
        for (int k = 0; k < nh; k++) {
            uint16_t h = llmbo_f32_to_fp16((float)(unif() * 0.05));
            if (t == LLMBO_T_IQ1_M)
                iqb_set_d(t, raw + b * bytes, h);
            else
                memcpy(raw + b * bytes + off[k], &h, 2);
        }
}

/* Activations for weight type t: n floats quantised into the type's form (llmbo_q8a blocks of 32
 * or llmbo_q8k blocks of 256) at xq; act_bytes is the size of one such row. */
static size_t act_bytes(llmbo_ttype t, size_t n)
{
    return llmbo_ttype_act(t) == LLMBO_ACT_Q8K ? n / 256 * sizeof(llmbo_q8k)
                                               : n / 32 * sizeof(llmbo_q8a);
}

static void quant_act(llmbo_ttype t, const float *x, void *xq, size_t n)
{
    if (llmbo_ttype_act(t) == LLMBO_ACT_Q8K)
        llmbo_quant_act_k(x, xq, n);
    else
        llmbo_quant_act(x, xq, n);
}

/* Element i of a quantised activation row, as the kernels see it (d * q). */
static double act_value(llmbo_ttype t, const void *xq, size_t i)
{
    if (llmbo_ttype_act(t) == LLMBO_ACT_Q8K) {
        const llmbo_q8k *y = (const llmbo_q8k *)xq + i / 256;
        return (double)y->d * y->q[i % 256];
    }
    const llmbo_q8a *y = (const llmbo_q8a *)xq + i / 32;
    return (double)y->d * y->q[i % 32];
}

/* Q8_K blocks: levels within [-127, 127], d = max|x| / 127 (the largest element maps to +-127),
 * each bsum the sum of its 16 levels, and every element within d/2 of x. */
static void check_q8k(void)
{
    enum { N = 768 };
    float x[N];
    llmbo_q8k y[N / 256];
    for (int i = 0; i < N; i++)
        x[i] = (float)unif() * (i % 256 < 16 ? 7.25f : 1.0f);
    x[300] = -9.5f;
    llmbo_quant_act_k(x, y, N);
    int ok = 1;
    for (int b = 0; b < N / 256; b++) {
        float amax = 0;
        int top = 0;
        for (int i = 0; i < 256; i++)
            amax = fmaxf(amax, fabsf(x[b * 256 + i]));
        ok &= fabsf(y[b].d - amax / 127.0f) <= 1e-7f * amax;
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int i = 16 * g; i < 16 * g + 16; i++) {
                sum += y[b].q[i];
                top |= y[b].q[i] == 127 || y[b].q[i] == -127;
                ok &= fabs((double)y[b].d * y[b].q[i] - x[b * 256 + i]) <= 0.5001 * y[b].d;
            }
            ok &= sum == y[b].bsum[g];
        }
        ok &= top;
    }
    CHECK(ok, "Q8_K activation blocks: scale, levels within d/2, group sums");
}

/* MXFP4's E8M0 scale over all 256 exponents, subnormal and largest ones included, and all 16
 * codes: every element exactly the OCP spec's value (E2M1 from its sign, exponent and mantissa
 * fields, times 2^(e - 127)) rounded to float, infinite where that overflows. */
static void check_e8m0(void)
{
    enum { NB = 256 * 16 };
    uint8_t raw[NB * 17];
    float *y = llmbo_malloc((size_t)NB * 32, sizeof *y);
    for (int b = 0; b < NB; b++) {
        raw[b * 17] = (uint8_t)(b / 16);
        memset(raw + b * 17 + 1, (b % 16) * 0x11, 16);
    }
    int bad = 0;
    for (int simd = llmbo_quant_simd_max(); simd >= 0; simd--) {
        llmbo_quant_set_simd(simd);
        llmbo_dequant_row(LLMBO_T_MXFP4, raw, y, (size_t)NB * 32);
        for (int b = 0; b < NB; b++) {
            int e = b / 16, code = b % 16, ex = (code >> 1) & 3, man = code & 1;
            double mag = ex == 0 ? 0.5 * man : ldexp(1.0 + 0.5 * man, ex - 1);
            float want = (float)((code & 8 ? -mag : mag) * ldexp(1.0, e - 127));
            for (int i = 0; i < 32; i++)
                bad += !(y[b * 32 + i] == want);
        }
    }
    llmbo_quant_set_simd(99);
    CHECK(bad == 0,
          "MXFP4: all 256 E8M0 scales x 16 codes dequantised as the spec says (%d differ)", bad);
    llmbo_free(y);
}

static void check_type(llmbo_ttype t, size_t n)
{
    size_t blk = llmbo_ttype_block(t), bytes = llmbo_ttype_block_bytes(t), nb = n / blk;
    uint8_t *raw = llmbo_malloc(nb * bytes, 1);
    float *y = llmbo_malloc(n, sizeof *y), *x = llmbo_malloc(n, sizeof *x);
    double *ref = llmbo_malloc(n, sizeof *ref);
    void *xq = llmbo_malloc(n / 32, sizeof(llmbo_q8a));
    for (size_t i = 0; i < nb * bytes; i++)
        raw[i] = (uint8_t)rnd();
    if (t == LLMBO_T_F16 || t == LLMBO_T_BF16 || t == LLMBO_T_F32) {
        for (size_t i = 0; i < n; i++) {
            float v = (float)unif();
            if (t == LLMBO_T_F32)
                memcpy(raw + 4 * i, &v, 4);
            else {
                uint16_t h = t == LLMBO_T_F16 ? llmbo_f32_to_fp16(v) : (uint16_t)(rnd() & 0x3fff);
                memcpy(raw + 2 * i, &h, 2);
            }
        }
    } else {
        set_scales(raw, t, nb);
    }
    char in[600], out[600], cmd[2000];
    snprintf(in, sizeof in, "%s/blocks_%d.bin", eu_tmpdir(), (int)t);
    snprintf(out, sizeof out, "%s/blocks_%d.ref", eu_tmpdir(), (int)t);
    FILE *f = fopen(in, "wb");
    fwrite(raw, 1, nb * bytes, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/ref_forward.py' dequant %d '%s' '%s'", eu_python(),
             eu_src(), (int)t, in, out);
    int ok = system(cmd) == 0 && (f = fopen(out, "rb")) != NULL;
    if (ok) {
        ok = fread(ref, sizeof *ref, n, f) == n;
        fclose(f);
    }
    CHECK(ok, "%s: reference dequantisation ran", llmbo_ttype_name(t));
    if (!ok)
        goto done;
    for (int simd = llmbo_quant_simd_max(); simd >= 0; simd--) {
        llmbo_quant_set_simd(simd);
        llmbo_dequant_row(t, raw, y, n);
        double scale = 0, err = 0;
        for (size_t i = 0; i < n; i++) {
            scale = fmax(scale, fabs(ref[i]));
            double e = fabs((double)y[i] - ref[i]);
            err = e > err || isnan(e) ? e : err;
        }
        CHECK(scale > 0 && err <= 1e-6 * scale,
              "%s (simd %d): dequantised %zu elements, max error "
              "%.3g of max |w| %.3g",
              llmbo_ttype_name(t), simd, n, err, scale);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)unif() * (i % 7 == 0 ? 4.0f : 1.0f);
        double dot = 0, mag = 0;
        if (llmbo_ttype_quantised(t)) {
            quant_act(t, x, xq, n);
            for (size_t i = 0; i < n; i++) {
                double xd = act_value(t, xq, i);
                dot += ref[i] * xd;
                mag += fabs(ref[i] * xd);
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                dot += ref[i] * x[i];
                mag += fabs(ref[i] * x[i]);
            }
        }
        double got = llmbo_vec_dot(t, raw, x, xq, n);
        CHECK(fabs(got - dot) <= 2e-6 * mag, "%s (simd %d): dot %.9g vs float64 %.9g (terms %.3g)",
              llmbo_ttype_name(t), simd, got, dot, mag);
        if (llmbo_ttype_quantised(t)) {
            float o4[4];
            llmbo_vec_dot4(t, raw, xq, 0, n, o4);
            CHECK(o4[0] == (float)got && o4[3] == (float)got, "%s (simd %d): four-row dot agrees",
                  llmbo_ttype_name(t), simd);
        }
    }
    llmbo_quant_set_simd(99);
done:
    llmbo_free(raw);
    llmbo_free(y);
    llmbo_free(x);
    llmbo_free(ref);
    llmbo_free(xq);
}

/* The SIMD kernels against the scalar ones on the same weight blocks (random bytes, random fp16
 * scales) and four different activation rows (random, one at the int8 extremes, one alternating),
 * for row lengths of 1, 6 and 35 super-blocks. Both forms compute the same exact integer sum per
 * activation block of 32; they differ only in the order of the float sums of (scale x block sum)
 * terms, whose longest chain is n/32 + 16 roundings each of at most FLT_EPSILON/2 of the running
 * magnitude, itself at most the sum of |terms|, hence the bound (n/32 + 16) FLT_EPSILON |terms|.
 * The four-row kernel must equal four one-row calls exactly (same accumulation order per row). */
static void check_simd_scalar(llmbo_ttype t, size_t n)
{
    size_t blk = llmbo_ttype_block(t), bytes = llmbo_ttype_block_bytes(t), nb = n / blk;
    size_t nq = n / 32;
    uint8_t *raw = llmbo_malloc(nb * bytes, 1);
    float *x = llmbo_malloc(4 * n, sizeof *x), *w = llmbo_malloc(n, sizeof *w);
    size_t ab = act_bytes(t, n);
    uint8_t *xq = llmbo_malloc(4 * nq, sizeof(llmbo_q8a));
    for (size_t i = 0; i < nb * bytes; i++)
        raw[i] = (uint8_t)rnd();
    set_scales(raw, t, nb);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)unif() * (i % 5 == 0 ? 3.0f : 1.0f);
        x[n + i] = -2.385f;
        x[2 * n + i] = i % 2 ? 1.5f : -1.5f;
        x[3 * n + i] = (float)unif() * (i % 64 < 32 ? 10.0f : 0.01f);
    }
    for (int k = 0; k < 4; k++)
        quant_act(t, x + (size_t)k * n, xq + (size_t)k * ab, n);
    llmbo_dequant_row(t, raw, w, n);
    llmbo_quant_set_simd(0);
    float sc[4], sv[4], s4[4], s1[4], s2[4];
    for (int k = 0; k < 4; k++)
        sc[k] = llmbo_vec_dot(t, raw, NULL, xq + (size_t)k * ab, n);
    /* Q8_0, Q2_K..Q6_K give the AVX2 kernels' numbers at every SIMD level above 1 */
    int same = t == LLMBO_T_Q8_0 || t == LLMBO_T_Q4_K || t == LLMBO_T_Q5_K || t == LLMBO_T_Q6_K ||
               t == LLMBO_T_Q2_K || t == LLMBO_T_Q3_K;
    for (int level = 1; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        for (int k = 0; k < 4; k++)
            sv[k] = llmbo_vec_dot(t, raw, NULL, xq + (size_t)k * ab, n);
        llmbo_vec_dot4(t, raw, xq, n, n, s4);
        if (level == 2)
            memcpy(s2, sv, sizeof s2);
        if (level == 3 && t == LLMBO_T_IQ4_XS) /* VNNI only fuses level 2's integer steps */
            CHECK(!memcmp(s2, sv, sizeof s2) && !memcmp(s2, s4, sizeof s2),
                  "%s n=%zu (simd 3): one- and four-row dots equal level 2's exactly",
                  llmbo_ttype_name(t), n);
        if (level == 1)
            memcpy(s1, sv, sizeof s1);
        else if (same)
            CHECK(!memcmp(s1, sv, sizeof s1) && !memcmp(s1, s4, sizeof s1),
                  "%s n=%zu (simd %d): one- and four-row dots equal the AVX2 ones exactly",
                  llmbo_ttype_name(t), n, level);
        double worst = 0;
        int exact4 = 1, within = 1;
        for (int k = 0; k < 4; k++) {
            double mag = 0;
            for (size_t i = 0; i < n; i++)
                mag += fabs((double)w[i] * act_value(t, xq + (size_t)k * ab, i));
            double bound = ((double)nq + 16) * FLT_EPSILON * mag, e = fabs((double)sv[k] - sc[k]);
            within &= e <= bound;
            worst = fmax(worst, mag > 0 ? e / mag : e);
            exact4 &= s4[k] == sv[k];
        }
        CHECK(within,
              "%s n=%zu (simd %d): SIMD vs scalar dot within (n/32+16) eps |terms| (worst %.2g)",
              llmbo_ttype_name(t), n, level, worst);
        CHECK(exact4, "%s n=%zu (simd %d): four-row dot (stride %zu) equals four one-row dots",
              llmbo_ttype_name(t), n, level, n);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(raw);
    llmbo_free(x);
    llmbo_free(w);
    llmbo_free(xq);
}

/* llmbo_gemm against llmbo_vec_dot for every (row, token) pair, exactly, at every SIMD level:
 * T = 15 tokens (a group of eight where the level has an eight-token kernel, a group of four,
 * three single ones) and enough rows of n elements that the rows span two of its cache blocks
 * (128 KB of weights each), into an output with a row stride wider than the row count; n = 800
 * gives the 32-element types an odd number of blocks (the even/odd chains' last block alone). */
static void check_gemm(llmbo_ttype t, size_t n)
{
    size_t rows = 1100, T = 15, rb = llmbo_row_bytes(t, n), os = rows + 3;
    size_t ab = act_bytes(t, n);
    uint8_t *w = llmbo_malloc(rows, rb), *xq = llmbo_malloc(T, ab);
    float *x = llmbo_malloc(T * n, sizeof *x), *out = llmbo_malloc(T * os, sizeof *out);
    for (size_t i = 0; i < rows * rb; i++)
        w[i] = (uint8_t)rnd();
    set_scales(w, t, rows * rb / llmbo_ttype_block_bytes(t));
    for (size_t i = 0; i < T * n; i++)
        x[i] = (float)unif() * 2.385f;
    for (size_t k = 0; k < T; k++)
        quant_act(t, x + k * n, xq + k * ab, n);
    for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        for (size_t i = 0; i < T * os; i++)
            out[i] = -1234.5f;
        llmbo_gemm(t, w, rb, rows, xq, T, n, out, os);
        size_t bad = 0;
        for (size_t k = 0; k < T; k++) {
            for (size_t r = 0; r < rows; r++)
                bad += out[k * os + r] != llmbo_vec_dot(t, w + r * rb, NULL, xq + k * ab, n);
            for (size_t r = rows; r < os; r++)
                bad += out[k * os + r] != -1234.5f;
        }
        CHECK(bad == 0,
              "%s (simd %d): llmbo_gemm of %zu rows x %zu tokens equals llmbo_vec_dot "
              "(%zu differ), padding untouched",
              llmbo_ttype_name(t), level, rows, T, bad);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(w);
    llmbo_free(xq);
    llmbo_free(x);
    llmbo_free(out);
}

/* F16 and BF16 rows with float activations: llmbo_gemm against llmbo_vec_dot for every (row,
 * token) pair exactly at every SIMD level (1101 rows: groups of four and a tail of one; T = 15:
 * three groups of four tokens and three single ones; n = 1544: a tail of 8 after the steps of
 * 16), and llmbo_vec_dot the same at every level above 0 (one order of the sums in every form). */
static void check_gemm_half(llmbo_ttype t, size_t n)
{
    size_t rows = 1101, T = 15, rb = 2 * n, os = rows + 2;
    uint8_t *w = llmbo_malloc(rows, rb);
    float *x = llmbo_malloc(T * n, sizeof *x), *out = llmbo_malloc(T * os, sizeof *out);
    float *lv1 = llmbo_malloc(rows, sizeof *lv1);
    for (size_t i = 0; i < rows * n; i++) {
        float v = (float)unif() * 3.0f;
        uint32_t b;
        memcpy(&b, &v, 4);
        uint16_t h = t == LLMBO_T_F16 ? llmbo_f32_to_fp16(v) : (uint16_t)(b >> 16);
        memcpy(w + 2 * i, &h, 2);
    }
    for (size_t i = 0; i < T * n; i++)
        x[i] = (float)unif() * 2.385f;
    int same = 1;
    for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        for (size_t i = 0; i < T * os; i++)
            out[i] = -1234.5f;
        llmbo_gemm(t, w, rb, rows, x, T, n, out, os);
        size_t bad = 0;
        for (size_t k = 0; k < T; k++) {
            for (size_t r = 0; r < rows; r++)
                bad += out[k * os + r] != llmbo_vec_dot(t, w + r * rb, x + k * n, NULL, n);
            for (size_t r = rows; r < os; r++)
                bad += out[k * os + r] != -1234.5f;
        }
        CHECK(bad == 0,
              "%s n=%zu (simd %d): llmbo_gemm of %zu rows x %zu tokens equals llmbo_vec_dot "
              "(%zu differ), padding untouched",
              llmbo_ttype_name(t), n, level, rows, T, bad);
        for (size_t r = 0; level > 0 && r < rows; r++) {
            float v = llmbo_vec_dot(t, w + r * rb, x, NULL, n);
            if (level == 1)
                lv1[r] = v;
            else
                same &= v == lv1[r];
        }
    }
    llmbo_quant_set_simd(99);
    CHECK(same, "%s n=%zu: llmbo_vec_dot the same at every SIMD level above 0", llmbo_ttype_name(t),
          n);
    llmbo_free(w);
    llmbo_free(x);
    llmbo_free(out);
    llmbo_free(lv1);
}

/* Activation quantisation at every SIMD level gives the scalar bytes exactly (both forms), on
 * blocks of random values, rounding ties (max 127: d = 1, halves round to even), zeros, a NaN, an
 * infinity, huge values and subnormals (1/d infinite). */
static void check_quant_levels(void)
{
    enum { NB = 8, N = NB * 256 };
    float *x = llmbo_malloc(N, sizeof *x);
    llmbo_q8a *a0 = llmbo_malloc(N / 32, sizeof *a0), *a1 = llmbo_malloc(N / 32, sizeof *a1);
    llmbo_q8k *k0 = llmbo_malloc(NB, sizeof *k0), *k1 = llmbo_malloc(NB, sizeof *k1);
    for (int i = 0; i < N; i++) {
        int b = i / 256, j = i % 256;
        x[i] = b == 1   ? (j == 0 ? 127.0f : (float)(j % 64) - 31.5f)
               : b == 2 ? 0.0f
               : b == 4 ? (float)unif() * 3e38f * (j % 2 ? 1.0f : -1.0f)
               : b == 5 ? (float)unif() * 1e-40f
                        : (float)(unif() - 0.5) * 2.385f;
    }
    x[3 * 256 + 77] = NAN;
    x[6 * 256 + 3] = INFINITY;
    x[7 * 256 + 40] = -INFINITY;
    x[7 * 256 + 41] = NAN;
    llmbo_quant_set_simd(0);
    memset(a0, 0, N / 32 * sizeof *a0);
    memset(k0, 0, NB * sizeof *k0);
    llmbo_quant_act(x, a0, N);
    llmbo_quant_act_k(x, k0, N);
    for (int level = 1; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        memset(a1, 0, N / 32 * sizeof *a1);
        memset(k1, 0, NB * sizeof *k1);
        llmbo_quant_act(x, a1, N);
        llmbo_quant_act_k(x, k1, N);
        CHECK(!memcmp(a0, a1, N / 32 * sizeof *a0) && !memcmp(k0, k1, NB * sizeof *k0),
              "quant_act, quant_act_k (simd %d): the scalar bytes exactly", level);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(x);
    llmbo_free(a0);
    llmbo_free(a1);
    llmbo_free(k0);
    llmbo_free(k1);
}

/* llmbo_f32_wsum at every SIMD level against the plain loop it specifies (products rounded, then
 * added in row order from 0), exactly, for widths that exercise the 128-, 64-, 8-element and
 * scalar parts, rows strided wider than the width. */
static void check_wsum(void)
{
    const size_t widths[] = {1, 7, 8, 64, 128, 200, 257};
    size_t np = 37, stride = 300;
    float *v = llmbo_malloc(np * stride, sizeof *v), *a = llmbo_malloc(np, sizeof *a);
    float *o = llmbo_malloc(stride, sizeof *o), *ref = llmbo_malloc(stride, sizeof *ref);
    for (size_t i = 0; i < np * stride; i++)
        v[i] = (float)(unif() - 0.5) * 2.385f;
    for (size_t p = 0; p < np; p++)
        a[p] = (float)unif() / 3.0f;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        size_t n = widths[wi];
        for (size_t i = 0; i < n; i++) {
            float acc = 0.0f;
            for (size_t p = 0; p < np; p++) {
                volatile float t = a[p] * v[p * stride + i];
                acc += t;
            }
            ref[i] = acc;
        }
        for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
            llmbo_quant_set_simd(level);
            for (size_t i = 0; i < stride; i++)
                o[i] = -1234.5f;
            llmbo_f32_wsum(o, a, v, stride, np, n);
            size_t bad = 0;
            for (size_t i = 0; i < stride; i++)
                bad += o[i] != (i < n ? ref[i] : -1234.5f);
            CHECK(bad == 0,
                  "f32_wsum n=%zu (simd %d): equals the rounded-product loop (%zu differ)", n,
                  level, bad);
        }
    }
    llmbo_quant_set_simd(99);
    llmbo_free(v);
    llmbo_free(a);
    llmbo_free(o);
    llmbo_free(ref);
}

/* llmbo_f32_dots at every SIMD level: each score equals llmbo_vec_dot's times the scale exactly
 * and is within the float bound of the float64 dot product, for widths that exercise the 16-element
 * steps and the scalar tail, 37 keys (groups of four and a tail of one) strided wider than the
 * width, 1 to 8 queries (AVX-512 takes six at a time), the output's neighbours untouched. */
static void check_dots(void)
{
    const size_t widths[] = {1, 7, 16, 64, 128, 200, 257}, nqs[] = {1, 2, 6, 8};
    size_t np = 37, stride = 300, ss = 41, nqmax = 8;
    float scale = 0.0883883f;
    float *k = llmbo_malloc(np * stride, sizeof *k), *q = llmbo_malloc(nqmax * stride, sizeof *q);
    float *s = llmbo_malloc(nqmax * ss + 2, sizeof *s);
    for (size_t i = 0; i < np * stride; i++)
        k[i] = (float)(unif() - 0.5) * 2.385f;
    for (size_t i = 0; i < nqmax * stride; i++)
        q[i] = (float)(unif() - 0.5) * 3.0f;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t qi = 0; qi < sizeof nqs / sizeof nqs[0]; qi++) {
            size_t n = widths[wi], nq = nqs[qi];
            for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
                llmbo_quant_set_simd(level);
                for (size_t i = 0; i < nqmax * ss + 2; i++)
                    s[i] = -1234.5f;
                llmbo_f32_dots(s + 1, ss, k, stride, np, q, stride, nq, n, scale);
                size_t bad = 0, far = 0, touched = 0;
                for (size_t j = 0; j < nq; j++)
                    for (size_t p = 0; p < np; p++) {
                        const float *kp = k + p * stride, *qj = q + j * stride;
                        double ref = 0, mag = 0;
                        for (size_t i = 0; i < n; i++) {
                            ref += (double)kp[i] * qj[i];
                            mag += fabs((double)kp[i] * qj[i]);
                        }
                        float got = s[1 + j * ss + p];
                        bad += got != llmbo_vec_dot(LLMBO_T_F32, kp, qj, NULL, n) * scale;
                        far += !(fabs(got - ref * scale) <= (n + 2) * FLT_EPSILON * mag * scale);
                    }
                for (size_t i = 0; i < nqmax * ss + 2; i++) {
                    int in = i >= 1 && (i - 1) / ss < nq && (i - 1) % ss < np;
                    touched += !in && s[i] != -1234.5f;
                }
                CHECK(
                    bad == 0 && far == 0 && touched == 0,
                    "f32_dots n=%zu, %zu queries (simd %d): %zu scores each equal llmbo_vec_dot's "
                    "times the scale (%zu differ), within the float bound of float64 (%zu "
                    "outside), %zu other floats touched",
                    n, nq, level, np, bad, far, touched);
            }
        }
    llmbo_quant_set_simd(99);
    llmbo_free(k);
    llmbo_free(q);
    llmbo_free(s);
}

/* llmbo_f32_wsum_n at every SIMD level against the plain loop llmbo_f32_wsum specifies, exactly,
 * for 1 to 8 weight rows (AVX-512 takes six at a time over slices of 32 elements) and widths with
 * and without a tail after the last slice, the output's neighbours untouched. */
static void check_wsum_n(void)
{
    const size_t widths[] = {1, 7, 32, 64, 128, 200}, nqs[] = {1, 2, 3, 6, 8};
    size_t np = 37, stride = 300, os = 211, as = 40, nqmax = 8;
    float *v = llmbo_malloc(np * stride, sizeof *v), *a = llmbo_malloc(nqmax * as, sizeof *a);
    float *o = llmbo_malloc(nqmax * os, sizeof *o);
    for (size_t i = 0; i < np * stride; i++)
        v[i] = (float)(unif() - 0.5) * 2.385f;
    for (size_t i = 0; i < nqmax * as; i++)
        a[i] = (float)unif() / 3.0f;
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++)
        for (size_t qi = 0; qi < sizeof nqs / sizeof nqs[0]; qi++) {
            size_t n = widths[wi], nq = nqs[qi];
            for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
                llmbo_quant_set_simd(level);
                for (size_t i = 0; i < nqmax * os; i++)
                    o[i] = -1234.5f;
                llmbo_f32_wsum_n(o, os, a, as, v, stride, np, n, nq);
                size_t bad = 0;
                for (size_t j = 0; j < nqmax; j++)
                    for (size_t i = 0; i < os; i++) {
                        float ref = -1234.5f;
                        if (j < nq && i < n) {
                            ref = 0.0f;
                            for (size_t p = 0; p < np; p++) {
                                volatile float t = a[j * as + p] * v[p * stride + i];
                                ref += t;
                            }
                        }
                        bad += o[j * os + i] != ref;
                    }
                CHECK(bad == 0,
                      "f32_wsum_n n=%zu, %zu rows of weights (simd %d): equals the rounded-product "
                      "loop, neighbours untouched (%zu differ)",
                      n, nq, level, bad);
            }
        }
    llmbo_quant_set_simd(99);
    llmbo_free(v);
    llmbo_free(a);
    llmbo_free(o);
}

/* llmbo_gemv against llmbo_vec_dot for every row, exactly, at every SIMD level: 1103 rows (groups
 * of four and a tail of three) of n elements, the output's neighbours untouched. */
static void check_gemv(llmbo_ttype t, size_t n)
{
    size_t rows = 1103, rb = llmbo_row_bytes(t, n), ab = act_bytes(t, n);
    uint8_t *w = llmbo_malloc(rows, rb), *xq = llmbo_malloc(1, ab);
    float *x = llmbo_malloc(n, sizeof *x), *out = llmbo_malloc(rows + 2, sizeof *out);
    for (size_t i = 0; i < rows * rb; i++)
        w[i] = (uint8_t)rnd();
    set_scales(w, t, rows * rb / llmbo_ttype_block_bytes(t));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)unif() * (i % 7 == 0 ? 2.385f : 0.75f);
    quant_act(t, x, xq, n);
    for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        for (size_t i = 0; i < rows + 2; i++)
            out[i] = -1234.5f;
        llmbo_gemv(t, w, rb, rows, xq, n, out + 1);
        size_t bad = 0;
        for (size_t r = 0; r < rows; r++)
            bad += out[r + 1] != llmbo_vec_dot(t, w + r * rb, NULL, xq, n);
        CHECK(bad == 0 && out[0] == -1234.5f && out[rows + 1] == -1234.5f,
              "%s n=%zu (simd %d): llmbo_gemv of %zu rows equals llmbo_vec_dot (%zu differ), "
              "neighbours untouched",
              llmbo_ttype_name(t), n, level, rows, bad);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(w);
    llmbo_free(xq);
    llmbo_free(x);
    llmbo_free(out);
}

/* Rows packed in groups of 16 (Q4_K, Q5_K, Q6_K, IQ4_XS, Q8_0; 100 rows: six groups and four rows
 * after them in the file's layout): packing then unpacking gives every row's bytes back; at every
 * SIMD level llmbo_gemm_packed is within the float bound of check_simd_scalar of the float64 dot
 * product of the scalar dequantisation (checked against numpy by check_type) with the activations,
 * equals llmbo_vec_dot on the unpacked rows exactly below level 3 (rows of at most 64 blocks), and
 * gives a (row, token) pair the same number whether it runs with 7 tokens, alone, or in a range of
 * rows starting at group 1 (at the second row block for a wide matrix, whose groups are in panels:
 * llmbo_pack_align), with software prefetch off or on, and with the AVX512-VBMI kernels
 * off or on. */
static void check_packed(llmbo_ttype t, size_t n)
{
    size_t rows = 100, T = 7, rb = llmbo_row_bytes(t, n), ab = act_bytes(t, n);
    size_t full = rows / LLMBO_PACK_ROWS * LLMBO_PACK_ROWS;
    uint8_t *w = llmbo_malloc(rows, rb), *wp = llmbo_malloc(rows, rb), *xq = llmbo_malloc(T, ab);
    uint8_t *scratch = llmbo_malloc(LLMBO_PACK_SCRATCH_ROWS, rb), *row = llmbo_malloc(1, rb);
    float *x = llmbo_malloc(n, sizeof *x), *y = llmbo_malloc(n, sizeof *y);
    float *out = llmbo_malloc(T * rows, sizeof *out), *o1 = llmbo_malloc(rows, sizeof *o1);
    float *o7 = llmbo_malloc(T * rows, sizeof *o7);
    double *ref = llmbo_malloc(T * rows, sizeof *ref), *mag = llmbo_malloc(T * rows, sizeof *mag);
    CHECK(llmbo_pack_ok(t, rows, n) && llmbo_pack_ok(t, LLMBO_PACK_ROWS, n) &&
              !llmbo_pack_ok(t, LLMBO_PACK_ROWS - 1, n) && !llmbo_pack_ok(t, rows, n + 16) &&
              !llmbo_pack_ok(LLMBO_T_Q3_K, rows, n),
          "%s: packs 100 and 16 rows of %zu, not 15 rows, rows of %zu, or Q3_K",
          llmbo_ttype_name(t), n, n + 16);
    for (size_t i = 0; i < rows * rb; i++)
        w[i] = (uint8_t)rnd();
    set_scales(w, t, rows * rb / llmbo_ttype_block_bytes(t));
    memcpy(wp, w, rows * rb);
    llmbo_pack_matrix(t, wp, rb, rows, n, scratch);
    size_t bad = 0, a = llmbo_pack_align(t, n);
    for (size_t r = 0; r < rows; r++) {
        if (r < full)
            llmbo_unpack_row(t, wp, rows, n, r, row);
        else
            memcpy(row, wp + r * rb, rb);
        bad += memcmp(row, w + r * rb, rb) != 0;
    }
    CHECK(bad == 0 && memcmp(w, wp, full * rb) != 0,
          "%s n=%zu: %zu rows packed and unpacked to the same bytes (%zu differ), the packed bytes "
          "not the file's",
          llmbo_ttype_name(t), n, rows, bad);
    for (size_t k = 0; k < T; k++) {
        for (size_t i = 0; i < n; i++)
            x[i] = (float)unif() * (i % 7 == 0 ? 2.385f : 0.75f);
        if (k == 1) /* the int8 extremes */
            for (size_t i = 0; i < n; i++)
                x[i] = i % 3 ? 1.0f : -1.0f;
        quant_act(t, x, xq + k * ab, n);
    }
    llmbo_quant_set_simd(0);
    for (size_t r = 0; r < rows; r++) {
        llmbo_dequant_row(t, w + r * rb, y, n);
        for (size_t k = 0; k < T; k++) {
            double s = 0, m = 0;
            for (size_t i = 0; i < n; i++) {
                double p = (double)y[i] * act_value(t, xq + k * ab, i);
                s += p;
                m += fabs(p);
            }
            ref[k * rows + r] = s;
            mag[k * rows + r] = m;
        }
    }
    for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        llmbo_gemm_packed(t, wp, rb, rows, xq, T, n, out, rows);
        size_t far = 0, exact = 0, same = 0;
        double worst = 0;
        for (size_t k = 0; k < T; k++) {
            double bound = ((double)n / 32 + 16) * FLT_EPSILON;
            for (size_t r = 0; r < rows; r++) {
                double e = fabs(out[k * rows + r] - ref[k * rows + r]) / mag[k * rows + r];
                far += !(e <= bound);
                worst = e > worst ? e : worst;
                exact += out[k * rows + r] == llmbo_vec_dot(t, w + r * rb, NULL, xq + k * ab, n);
            }
            for (int pf = 0; pf < 2; pf++) { /* software prefetch off, then on */
                llmbo_quant_set_prefetch(pf);
                llmbo_gemm_packed(t, wp + a * rb, rb, rows - a, xq + k * ab, 1, n, o1, 0);
                for (size_t r = a; r < rows; r++)
                    same += o1[r - a] == out[k * rows + r];
            }
        }
        /* without the AVX512-VBMI kernels (where the CPU has them), the same numbers */
        size_t vsame = 0;
        if (llmbo_quant_set_vbmi(0) != llmbo_quant_set_vbmi(1)) {
            llmbo_quant_set_vbmi(0);
            llmbo_gemm_packed(t, wp, rb, rows, xq, T, n, o7, rows);
            llmbo_quant_set_vbmi(1);
            for (size_t i = 0; i < T * rows; i++)
                vsame += o7[i] == out[i];
        } else
            vsame = T * rows;
        int whole = n / llmbo_ttype_block(t) <= 64; /* the fallback's chunk: one llmbo_vec_dot */
        CHECK(
            far == 0 && (level > 2 || !whole || exact == T * rows) && same == 2 * T * (rows - a) &&
                vsame == T * rows,
            "%s n=%zu (simd %d): packed product of %zu rows x %zu tokens within the float bound "
            "of float64 (%zu outside; worst %.3g of the terms), %zu of %zu equal to llmbo_vec_dot "
            "unpacked (all below level 3 for rows of at most 64 blocks), %zu of %zu the same one "
            "token at a time from row %zu (software prefetch off and on), %zu of %zu the same "
            "without AVX512-VBMI",
            llmbo_ttype_name(t), n, level, rows, T, far, worst, exact, T * rows, same,
            2 * T * (rows - a), a, vsame, T * rows);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(w);
    llmbo_free(wp);
    llmbo_free(xq);
    llmbo_free(scratch);
    llmbo_free(row);
    llmbo_free(x);
    llmbo_free(y);
    llmbo_free(out);
    llmbo_free(o1);
    llmbo_free(o7);
    llmbo_free(ref);
    llmbo_free(mag);
}

/* llmbo_silu_mul against SiLU in float64 (exp from libm): inputs over [-100, 100] (denser near 0,
 * where the polynomial's argument is largest relative to the result), 1027 of them so every SIMD
 * width has a tail; each result within 2e-7 of the float64 value relative to it (about 1.7 float
 * ulps) or 1e-36 |u| absolute (below -88, where SiLU is taken as zero), the same numbers at every
 * SIMD level, and a NaN input giving NaN. */
static void check_silu(void)
{
    enum { N = 1027 };
    float x[N], u[N], y[N], y0[N];
    for (int i = 0; i < N; i++) {
        double t = (double)i / (N - 1) * 2.0 - 1.0;
        x[i] = (float)(100.0 * t * t * t + 3.0 * unif() - 1.5);
        u[i] = i % 5 ? (float)(unif() * 4.0 - 2.0) : 1.0f;
    }
    x[100] = NAN;
    int same = 1;
    double worst = 0;
    size_t far = 0;
    for (int level = 0; level <= llmbo_quant_simd_max(); level++) {
        llmbo_quant_set_simd(level);
        memcpy(y, x, sizeof y);
        llmbo_silu_mul(y, u, N);
        if (level == 0)
            memcpy(y0, y, sizeof y);
        for (int i = 0; i < N; i++) {
            if (i == 100) {
                same &= isnan(y[i]) != 0;
                continue;
            }
            same &= memcmp(&y[i], &y0[i], sizeof y[i]) == 0;
            double ref = (double)x[i] / (1.0 + exp(-(double)x[i])) * (double)u[i];
            double e = fabs((double)y[i] - ref), rel = ref != 0 ? e / fabs(ref) : e;
            double zero = 1e-36 * fabs((double)u[i]); /* SiLU taken as zero, times u */
            if (!(rel <= 2e-7 || e <= zero))
                far++;
            worst = rel > worst && e > zero ? rel : worst;
        }
    }
    llmbo_quant_set_simd(99);
    CHECK(far == 0 && same,
          "llmbo_silu_mul: %d inputs in [-100, 100] within 2e-7 relative of float64 at every SIMD "
          "level (%zu outside; worst %.3g), the same numbers at every level and NaN for a NaN: %s",
          N, far, worst, same ? "yes" : "no");
}

/* The IQ1/IQ2/IQ3 types against llama.cpp's own dequantisation (ggml's dequantize_row_*, digests
 * in iq_llamacpp.h): 1024 blocks per type, enough to meet every codebook entry, compared bit for
 * bit (both compute exact products of small integers and an fp16 scale). */
static void check_iq_llamacpp(void)
{
    for (size_t k = 0; k < sizeof iq_llamacpp / sizeof iq_llamacpp[0]; k++) {
        llmbo_ttype t = (llmbo_ttype)iq_llamacpp[k].type;
        size_t bytes = llmbo_ttype_block_bytes(t);
        uint8_t *raw = llmbo_malloc(bytes, IQB_BLOCKS);
        float *y = llmbo_malloc((size_t)256 * IQB_BLOCKS, sizeof *y);
        iqb_fill(iq_llamacpp[k].type, bytes, IQB_BLOCKS, raw);
        llmbo_dequant_row(t, raw, y, (size_t)256 * IQB_BLOCKS);
        int bad = -1;
        for (int g = 0; g < IQB_BLOCKS / IQB_PER_DIGEST && bad < 0; g++)
            if (iqb_fnv(y + (size_t)256 * IQB_PER_DIGEST * g, (size_t)256 * IQB_PER_DIGEST) !=
                iq_llamacpp[k].digest[g])
                bad = g;
        CHECK(bytes > 0 && bad < 0 && strcmp(llmbo_ttype_name(t), iq_llamacpp[k].name) == 0,
              "%s: %d blocks dequantised as llama.cpp does (first differing run of %d: %d)",
              iq_llamacpp[k].name, IQB_BLOCKS, IQB_PER_DIGEST, bad);
        llmbo_free(raw);
        llmbo_free(y);
    }
}

int main(void)
{
    const llmbo_ttype types[] = {LLMBO_T_F32,     LLMBO_T_F16,     LLMBO_T_BF16,   LLMBO_T_Q8_0,
                                 LLMBO_T_Q4_0,    LLMBO_T_Q4_1,    LLMBO_T_Q5_0,   LLMBO_T_Q5_1,
                                 LLMBO_T_Q2_K,    LLMBO_T_Q3_K,    LLMBO_T_Q4_K,   LLMBO_T_Q5_K,
                                 LLMBO_T_Q6_K,    LLMBO_T_IQ4_NL,  LLMBO_T_IQ4_XS, LLMBO_T_IQ1_S,
                                 LLMBO_T_IQ1_M,   LLMBO_T_IQ2_XXS, LLMBO_T_IQ2_XS, LLMBO_T_IQ2_S,
                                 LLMBO_T_IQ3_XXS, LLMBO_T_IQ3_S,   LLMBO_T_MXFP4};
    check_q8k();
    check_e8m0();
    check_iq_llamacpp();
    check_wsum();
    check_dots();
    check_wsum_n();
    check_quant_levels();
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        check_type(types[i], 2048);
    check_type(LLMBO_T_F16, 1003); /* a tail after the steps of 16 */
    check_type(LLMBO_T_BF16, 1003);
    check_gemm_half(LLMBO_T_F16, 1544);
    check_gemm_half(LLMBO_T_BF16, 1544);
    check_gemm_half(LLMBO_T_BF16, 1536);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (llmbo_ttype_quantised(types[i])) {
            check_simd_scalar(types[i], 256);
            check_simd_scalar(types[i], 1536);
            check_simd_scalar(types[i], 8960);
            check_gemm(types[i], 256);
            if (llmbo_ttype_block(types[i]) == 32) {
                check_gemm(types[i], 800);
                check_simd_scalar(types[i], 800); /* an odd count of blocks of 32 */
            }
            check_gemv(types[i], 256);
            check_gemv(types[i], 1536);
        }
    /* Rows longer than IQ4_XS's activation buffer (32768 columns): the per-super-block reorder. */
    check_gemv(LLMBO_T_IQ4_XS, 33024);
    check_silu();
    check_packed(LLMBO_T_Q4_K, 256);
    check_packed(LLMBO_T_Q4_K, 1536);
    check_packed(LLMBO_T_Q4_K, 8960);
    check_packed(LLMBO_T_Q5_K, 256);
    check_packed(LLMBO_T_Q5_K, 1536);
    check_packed(LLMBO_T_Q5_K, 8960);
    check_packed(LLMBO_T_Q6_K, 256);
    check_packed(LLMBO_T_Q6_K, 1536);
    check_packed(LLMBO_T_Q6_K, 8960);
    check_packed(LLMBO_T_IQ4_XS, 256);
    check_packed(LLMBO_T_IQ4_XS, 1536);
    check_packed(LLMBO_T_IQ4_XS, 8960);
    check_packed(LLMBO_T_Q8_0, 256);
    check_packed(LLMBO_T_Q8_0, 1536);
    check_packed(LLMBO_T_Q8_0, 8960);
    eu_cleanup();
    return check_summary();
}
