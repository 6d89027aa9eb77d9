/* iq_blocks.h: the blocks on which test_quant checks llmbo's IQ1/IQ2/IQ3 dequantisation against
 * llama.cpp's (tests/iq_llamacpp.h, written by perf/peers/iq_reference.c from ggml's own
 * dequantize_row_* functions). Random bytes from a seeded splitmix64 stream, with the fp16 block
 * scale d set to a finite value in [2^-5, 2^3) of random sign; IQ1_M keeps d in the top nibbles
 * of its four scale words. 1024 blocks of a type meet every entry of its codebook (IQ1_S's 2048
 * entries: 32 draws per block, each entry missed with probability e^-16). The digest is FNV-1a
 * 64 over the float32 output bytes of each run of IQB_PER_DIGEST blocks. */
#ifndef LLMBO_IQ_BLOCKS_H
#define LLMBO_IQ_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define IQB_BLOCKS     1024
#define IQB_PER_DIGEST 64

static uint64_t iqb_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Sets the fp16 scale d (bits h) of one block p of ggml type `type`: its first two bytes, or for
 * IQ1_M (29) the top nibbles of its four scale words (bytes 49, 51, 53, 55). */
static void iqb_set_d(int type, uint8_t *p, uint16_t h)
{
    if (type == 29) {
        for (int j = 0; j < 4; j++)
            p[49 + 2 * j] = (uint8_t)((p[49 + 2 * j] & 0x0f) | ((h >> (4 * j)) & 0xf) << 4);
    } else {
        p[0] = (uint8_t)(h & 0xff);
        p[1] = (uint8_t)(h >> 8);
    }
}

/* nblocks blocks of ggml type `type` (bytes each) into out. */
static void iqb_fill(int type, size_t bytes, size_t nblocks, uint8_t *out)
{
    uint64_t s = 0x51ed2701u + (uint64_t)type * 1000003u;
    for (size_t i = 0; i < nblocks * bytes; i++)
        out[i] = (uint8_t)iqb_next(&s);
    for (size_t b = 0; b < nblocks; b++) {
        uint64_t r = iqb_next(&s);
        uint16_t h = (uint16_t)((r & 0x8000) | ((10 + (r >> 16) % 8) << 10) | ((r >> 24) & 0x3ff));
        iqb_set_d(type, out + b * bytes, h);
    }
}

static uint64_t iqb_fnv(const float *y, size_t n)
{
    uint64_t hsh = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        uint8_t b[4];
        memcpy(b, &y[i], 4);
        for (int k = 0; k < 4; k++)
            hsh = (hsh ^ b[k]) * 0x100000001b3ull;
    }
    return hsh;
}

#endif
