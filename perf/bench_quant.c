/* bench_quant.c: CPU time of the engine's dot-product kernels, per weight element, on one matrix
 * of ROWS x COLS random blocks (a real layer's shape: default 8960 x 1536, R1-Distill-Qwen-1.5B's
 * FFN, 7-11 MB, larger than the caches), for every SIMD level this CPU has (0 scalar, 1 AVX2,
 * 2 AVX-512BW, 3 AVX-512 VNNI), with one activation row (decode), four (llmbo_vec_dot4) and 64
 * (llmbo_gemm: prompt processing), and one row at a time against many rows per pass (llmbo_gemv:
 * one-token decode). Times are the thread's CPU seconds (best of REPS), so a loaded
 * machine disturbs them less than wall time; compare levels and types as ratios within one
 * invocation (the load average is printed). Usage: bench_quant [ROWS [COLS [REPS]]]. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gguf.h"
#include "quant.h"
#include "llmbo_common.h"

#define NTOK 64 /* activation rows of the llmbo_gemm column (a prompt batch) */

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random blocks whose fp16 fields are finite and at most 1: bits 10 and 14 of every 16-bit word
 * are cleared (timing does not depend on the values; finite sums make the checksum printable). */
static void fill(uint8_t *w, size_t bytes)
{
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        uint16_t h = (uint16_t)(rnd() & 0x3bff);
        memcpy(w + i, &h, 2);
    }
}

int main(int argc, char **argv)
{
    size_t rows = argc > 1 ? (size_t)atol(argv[1]) : 8960,
           cols = argc > 2 ? (size_t)atol(argv[2]) : 1536;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    if (rows < 1 || cols < 256 || cols % 256 || reps < 1) {
        fprintf(stderr, "usage: bench_quant [ROWS [COLS (a multiple of 256) [REPS]]]\n");
        return 2;
    }
    const llmbo_ttype types[] = {LLMBO_T_Q8_0,    LLMBO_T_Q4_K,    LLMBO_T_Q5_K,   LLMBO_T_Q6_K,
                                 LLMBO_T_IQ4_XS,  LLMBO_T_Q3_K,    LLMBO_T_Q2_K,   LLMBO_T_IQ1_S,
                                 LLMBO_T_IQ1_M,   LLMBO_T_IQ2_XXS, LLMBO_T_IQ2_XS, LLMBO_T_IQ2_S,
                                 LLMBO_T_IQ3_XXS, LLMBO_T_IQ3_S,   LLMBO_T_MXFP4,  LLMBO_T_Q4_0,
                                 LLMBO_T_Q5_0,    LLMBO_T_Q5_1};
    float *x = llmbo_malloc(NTOK * cols, sizeof *x),
          *out = llmbo_malloc((NTOK + 6) * rows, sizeof *out);
    llmbo_q8a *xa = llmbo_malloc(NTOK * cols / 32, sizeof *xa);
    llmbo_q8k *xk = llmbo_malloc(NTOK * cols / 256, sizeof *xk);
    if (!x || !out || !xa || !xk)
        return 1;
    for (size_t i = 0; i < NTOK * cols; i++)
        x[i] = (float)((double)(rnd() >> 11) / 9007199254740992.0 - 0.5);
    for (int k = 0; k < NTOK; k++) {
        llmbo_quant_act(x + k * cols, xa + k * (cols / 32), cols);
        llmbo_quant_act_k(x + k * cols, xk + k * (cols / 256), cols);
    }
    double la[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = la[1] = la[2] = 0;
        fclose(f);
    }
    printf("## bench_quant: %zu rows x %zu, best of %d, thread CPU time; load %.2f %.2f %.2f\n\n",
           rows, cols, reps, la[0], la[1], la[2]);
    printf("| type | SIMD level | 1 row: ns/element | GB/s of weights | 1 row, llmbo_gemv: "
           "ns/element | GB/s of weights | 4 rows: ns/element/row | %d rows (llmbo_gemm): "
           "ns/element/row | packed (rows of 16), llmbo_gemm_packed, 1 row: ns/element | GB/s of "
           "weights | %d rows: ns/element/row | checksum |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
           NTOK, NTOK);
    int max = llmbo_quant_simd_max();
    for (size_t ti = 0; ti < sizeof types / sizeof types[0]; ti++) {
        llmbo_ttype t = types[ti];
        size_t rb = llmbo_row_bytes(t, cols);
        uint8_t *w = llmbo_malloc(rows, rb);
        if (!w)
            return 1;
        fill(w, rows * rb);
        /* the same rows packed (groups of 16, panels where wide) where the type and rows allow */
        uint8_t *wp = NULL, *scratch = NULL;
        if (llmbo_pack_ok(t, rows, cols)) {
            wp = llmbo_malloc(rows, rb);
            scratch = llmbo_malloc(LLMBO_PACK_SCRATCH_ROWS, rb);
            if (!wp || !scratch)
                return 1;
            memcpy(wp, w, rows * rb);
            llmbo_pack_matrix(t, wp, rb, rows, cols, scratch);
        }
        const void *xq = llmbo_ttype_act(t) == LLMBO_ACT_Q8K ? (const void *)xk : (const void *)xa;
        for (int level = max; level >= 0; level--) {
            llmbo_quant_set_simd(level);
            double best1 = 1e30, bestv = 1e30, best4 = 1e30, bestg = 1e30, sum = 0;
            double bestp = 1e30, bestpg = 1e30;
            for (int r = 0; r < reps; r++) {
                double t0 = cpu_now();
                for (size_t i = 0; i < rows; i++)
                    out[i] = llmbo_vec_dot(t, w + i * rb, NULL, xq, cols);
                double t1 = cpu_now();
                for (size_t i = 0; i < rows; i++)
                    llmbo_vec_dot4(t, w + i * rb, xq, cols, cols, out + rows + 4 * i);
                double t2 = cpu_now();
                llmbo_gemm(t, w, rb, rows, xq, NTOK, cols, out + 5 * rows, rows);
                double t3 = cpu_now();
                llmbo_gemv(t, w, rb, rows, xq, cols, out + (NTOK + 5) * rows);
                double t4 = cpu_now();
                if (wp) {
                    llmbo_gemm_packed(t, wp, rb, rows, xq, 1, cols, out + 5 * rows, 0);
                    double t5 = cpu_now();
                    llmbo_gemm_packed(t, wp, rb, rows, xq, NTOK, cols, out + 5 * rows, rows);
                    double t6 = cpu_now();
                    bestp = t5 - t4 < bestp ? t5 - t4 : bestp;
                    bestpg = t6 - t5 < bestpg ? t6 - t5 : bestpg;
                }
                bestv = t4 - t3 < bestv ? t4 - t3 : bestv;
                best1 = t1 - t0 < best1 ? t1 - t0 : best1;
                best4 = t2 - t1 < best4 ? t2 - t1 : best4;
                bestg = t3 - t2 < bestg ? t3 - t2 : bestg;
            }
            for (size_t i = 0; i < rows; i++)
                sum += out[i];
            printf("| %s | %d | %.4f | %.1f | %.4f | %.1f | %.4f | %.4f | ", llmbo_ttype_name(t),
                   level, 1e9 * best1 / ((double)rows * cols), (double)(rows * rb) / best1 / 1e9,
                   1e9 * bestv / ((double)rows * cols), (double)(rows * rb) / bestv / 1e9,
                   1e9 * best4 / (4.0 * rows * cols), 1e9 * bestg / ((double)NTOK * rows * cols));
            if (wp)
                printf("%.4f | %.1f | %.4f | %.6g |\n", 1e9 * bestp / ((double)rows * cols),
                       (double)(rows * rb) / bestp / 1e9,
                       1e9 * bestpg / ((double)NTOK * rows * cols), sum);
            else
                printf("- | - | - | %.6g |\n", sum);
        }
        llmbo_free(w);
        llmbo_free(wp);
        llmbo_free(scratch);
    }
    llmbo_quant_set_simd(99);
    llmbo_free(x);
    llmbo_free(out);
    llmbo_free(xa);
    llmbo_free(xk);
    return 0;
}
