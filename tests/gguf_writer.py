#!/usr/bin/env python3
"""gguf_writer.py: writes small random-weight GGUF v3 models for the engine's tests and benchmark.

Architectures qwen2 (dense, q/k/v biases, tied embeddings), qwen3 (per-head QK-norm, head size from
attention.key_length), qwen3moe (experts, renormalised top-k), qwen2moe (qwen2's attention, experts,
top-k not renormalised, --shared-ff: a gated shared expert), olmoe (QK-norm over the whole
projection, no renormalisation), llama (dense or Mixtral-style), granitemoe (llama attention,
experts, Granite's embedding/residual/attention/logit multipliers), olmo2 (post-norms only, QK-norm
over the whole projection, --swa: Olmo 3's sliding layers), smollm3 (llama without RoPE on every
fourth layer), ernie4_5 (llama's dense layout), ernie4_5-moe (--moe-step, --shared-ff ungated),
hunyuan-dense (per-head QK-norm after RoPE; --set ...rope.scaling.alpha=f32:A). Weight types F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, and q4_k_m
(Q4_K with Q6_K for attn_v, ffn_down and output, as Q4_K_M files mix them). The quantisers are
written here from the block layouts of ggml's ggml-common.h (not ggml's search heuristics: any
valid encoding serves, since the reference dequantises the same blocks). The vocabulary is a
byte-level BPE learnt from a small generated corpus with multi-byte UTF-8, plus ChatML special
tokens. Usage: gguf_writer.py --arch qwen3moe --type q8_0 --out m.gguf [--seed 7] [sizes]
"""
import argparse
import json
import os
import re
import struct
import sys

import numpy as np

GGUF_TYPES = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7,
              "str": 8, "arr": 9, "u64": 10, "i64": 11, "f64": 12}
T_F32, T_F16, T_Q4_0, T_Q8_0, T_Q4_K, T_Q6_K, T_BF16 = 0, 1, 2, 8, 12, 14, 30
T_Q4_1, T_Q5_0, T_Q5_1, T_Q2_K, T_Q3_K, T_Q5_K, T_IQ4_NL, T_IQ4_XS = 3, 6, 7, 10, 11, 13, 20, 23
T_MXFP4 = 39
BLOCKS = {T_F32: (1, 4), T_F16: (1, 2), T_BF16: (1, 2), T_Q8_0: (32, 34), T_Q4_0: (32, 18),
          T_Q4_K: (256, 144), T_Q6_K: (256, 210), T_Q4_1: (32, 20), T_Q5_0: (32, 22),
          T_Q5_1: (32, 24), T_Q2_K: (256, 84), T_Q3_K: (256, 110), T_Q5_K: (256, 176),
          T_IQ4_NL: (32, 18), T_IQ4_XS: (256, 136), T_MXFP4: (32, 17)}
# The codebook types: random blocks scaled to the weights (random_iq)
T_IQ2_XXS, T_IQ2_XS, T_IQ3_XXS, T_IQ1_S, T_IQ3_S, T_IQ2_S, T_IQ1_M = 16, 17, 18, 19, 21, 22, 29
IQ_TYPES = {"iq2_xxs": (T_IQ2_XXS, 66), "iq2_xs": (T_IQ2_XS, 74), "iq2_s": (T_IQ2_S, 82),
            "iq3_xxs": (T_IQ3_XXS, 98), "iq3_s": (T_IQ3_S, 110), "iq1_s": (T_IQ1_S, 50),
            "iq1_m": (T_IQ1_M, 56)}
for _t, _nb in IQ_TYPES.values():
    BLOCKS[_t] = (256, _nb)
IQ_BLOCK_TYPES = tuple(v[0] for v in IQ_TYPES.values())


# ------------------------------------------------------------------------------------------------
# Quantisers (numpy), one block layout each
# ------------------------------------------------------------------------------------------------

def f16_bytes(a):
    return np.asarray(a, dtype=np.float16).tobytes()


def quant_q8_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    amax = np.abs(b).max(axis=1)
    d = amax / 127.0
    idv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0)
    q = np.clip(np.rint(b * idv[:, None]), -127, 127).astype(np.int8)
    out = np.zeros((b.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = np.frombuffer(d.astype(np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quant_q4_0(x):
    b = x.reshape(-1, 32).astype(np.float32)
    idx = np.abs(b).argmax(axis=1)
    mx = b[np.arange(b.shape[0]), idx]
    d = mx / -8.0
    idv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0)
    q = np.clip(np.floor(b * idv[:, None] + 8.5), 0, 15).astype(np.uint8)
    out = np.zeros((b.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = np.frombuffer(d.astype(np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def quant_q4_k(x):
    """Super-blocks of 256: y = d*sc_j*q - dmin*m_j, q in 0..15, sc_j and m_j 6-bit."""
    sb = x.reshape(-1, 8, 32).astype(np.float32)
    n = sb.shape[0]
    mn = np.minimum(sb.min(axis=2), 0.0)
    mx = sb.max(axis=2)
    scale = (mx - mn) / 15.0
    mins = -mn
    d = scale.max(axis=1) / 63.0
    dmin = mins.max(axis=1) / 63.0
    d16 = d.astype(np.float16).astype(np.float32)
    dm16 = dmin.astype(np.float16).astype(np.float32)
    sc = np.clip(np.rint(np.where(d16[:, None] > 0, scale / np.where(d16[:, None] > 0, d16[:, None], 1), 0)), 0, 63).astype(np.int64)
    m = np.clip(np.rint(np.where(dm16[:, None] > 0, mins / np.where(dm16[:, None] > 0, dm16[:, None], 1), 0)), 0, 63).astype(np.int64)
    step = d16[:, None] * sc
    off = dm16[:, None] * m
    q = np.where(step[:, :, None] > 0,
                 np.rint((sb + off[:, :, None]) / np.where(step[:, :, None] > 0, step[:, :, None], 1)),
                 0)
    q = np.clip(q, 0, 15).astype(np.uint8)
    out = np.zeros((n, 144), dtype=np.uint8)
    out[:, 0:2] = np.frombuffer(d16.astype(np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)
    out[:, 2:4] = np.frombuffer(dm16.astype(np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)
    s = np.zeros((n, 12), dtype=np.int64)
    for j in range(4):
        s[:, j] = sc[:, j] & 63
        s[:, j + 4] = m[:, j] & 63
    for j in range(4, 8):
        s[:, j + 4] = (sc[:, j] & 0xF) | ((m[:, j] & 0xF) << 4)
        s[:, j - 4] |= (sc[:, j] >> 4) << 6
        s[:, j] |= (m[:, j] >> 4) << 6
    out[:, 4:16] = s.astype(np.uint8)
    qf = q.reshape(n, 256)
    for c in range(4):
        out[:, 16 + 32 * c:16 + 32 * (c + 1)] = qf[:, 64 * c:64 * c + 32] | (qf[:, 64 * c + 32:64 * c + 64] << 4)
    return out.tobytes()


def quant_q6_k(x):
    """Super-blocks of 256: y = d*scale_g*q, q in -32..31, 16 int8 group scales of 16 elements."""
    g = x.reshape(-1, 16, 16).astype(np.float32)
    n = g.shape[0]
    gs = np.abs(g).max(axis=2) / 31.0
    d = gs.max(axis=1) / 127.0
    d16 = d.astype(np.float16).astype(np.float32)
    sc = np.clip(np.rint(np.where(d16[:, None] > 0, gs / np.where(d16[:, None] > 0, d16[:, None], 1), 0)), 0, 127).astype(np.int64)
    step = d16[:, None] * sc
    q = np.where(step[:, :, None] > 0, np.rint(g / np.where(step[:, :, None] > 0, step[:, :, None], 1)), 0)
    q = (np.clip(q, -32, 31) + 32).astype(np.int64).reshape(n, 256)
    ql = np.zeros((n, 128), dtype=np.int64)
    qh = np.zeros((n, 64), dtype=np.int64)
    for h in range(2):
        for l in range(32):
            q1, q2 = q[:, h * 128 + l], q[:, h * 128 + l + 32]
            q3, q4 = q[:, h * 128 + l + 64], q[:, h * 128 + l + 96]
            ql[:, h * 64 + l] = (q1 & 0xF) | ((q3 & 0xF) << 4)
            ql[:, h * 64 + l + 32] = (q2 & 0xF) | ((q4 & 0xF) << 4)
            qh[:, h * 32 + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6)
    out = np.zeros((n, 210), dtype=np.uint8)
    out[:, 0:128] = ql.astype(np.uint8)
    out[:, 128:192] = qh.astype(np.uint8)
    out[:, 192:208] = sc.astype(np.int8).view(np.uint8)
    out[:, 208:210] = np.frombuffer(d16.astype(np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)
    return out.tobytes()


def _f16col(a):
    return np.frombuffer(np.asarray(a, dtype=np.float16).tobytes(), dtype=np.uint8).reshape(-1, 2)


def _safe_div(a, b):
    return np.where(b != 0, a / np.where(b != 0, b, 1), 0)


def quant_q4_1_q5(x, bits, offset_min):
    """Q4_1 (bits 4, y = d q + m), Q5_1 (bits 5, y = d q + m), Q5_0 (bits 5, y = d (q - 16))."""
    b = x.reshape(-1, 32).astype(np.float32)
    n, top = b.shape[0], (1 << bits) - 1
    if offset_min:
        m = b.min(axis=1)
        d = (b.max(axis=1) - m) / top
        m16 = m.astype(np.float16).astype(np.float32)
        d16 = d.astype(np.float16).astype(np.float32)
        q = np.clip(np.rint(_safe_div(b - m16[:, None], d16[:, None])), 0, top).astype(np.int64)
    else:
        d = np.abs(b).max(axis=1) / 15.0
        d16 = d.astype(np.float16).astype(np.float32)
        q = (np.clip(np.rint(_safe_div(b, d16[:, None])), -16, 15) + 16).astype(np.int64)
    lo = q & 15
    parts = [_f16col(d16)]
    if offset_min:
        parts.append(_f16col(m16))
    if bits == 5:
        h = (q >> 4) & 1
        qh = (h << np.arange(32)[None, :]).sum(axis=1).astype("<u4")
        parts.append(qh.view(np.uint8).reshape(n, 4))
    parts.append((lo[:, :16] | (lo[:, 16:] << 4)).astype(np.uint8))
    return np.concatenate(parts, axis=1).tobytes()


def quant_iq4_nl(x):
    b = x.reshape(-1, 32).astype(np.float32)
    lv = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113],
                  dtype=np.float32)
    idx = np.abs(b).argmax(axis=1)
    d = b[np.arange(b.shape[0]), idx] / -127.0
    d16 = d.astype(np.float16).astype(np.float32)
    q = np.abs(_safe_div(b, d16[:, None])[:, :, None] - lv[None, None, :]).argmin(axis=2)
    return np.concatenate([_f16col(d16), (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)],
                          axis=1).tobytes()


def quant_mxfp4(x):
    """Blocks of 32: an E8M0 exponent e = floor(log2 max|x|) - 2 + 127 (so the largest element
    lands near the top code, 6 = 1.5 * 2^2) and the nearest of the doubled E2M1 levels to
    x / 2^(e - 128), the layout of ggml's block_mxfp4 (element i low nibble, i + 16 high)."""
    lv = np.array([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12], dtype=np.float32)
    x = x.reshape(-1, 32)
    out = []
    for i in range(0, x.shape[0], 1 << 16):  # in chunks: the level search is 16 floats a value
        b = x[i:i + (1 << 16)].astype(np.float32)
        amax = np.abs(b).max(axis=1)
        with np.errstate(divide="ignore"):
            e = np.where(amax > 0, np.floor(np.log2(np.where(amax > 0, amax, 1.0))) - 2 + 127, 0)
        e = np.clip(e, 0, 255).astype(np.int64)
        d = np.exp2(e.astype(np.float64) - 128.0)
        q = np.abs((b / d[:, None])[:, :, None] - lv[None, None, :]).argmin(axis=2)
        out.append(np.concatenate([e.astype(np.uint8)[:, None],
                                   (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)], axis=1))
    return np.concatenate(out).tobytes()


def quant_q5_k(x):
    """As Q4_K with 5-bit levels: the fifth bit of sub-block j's element l is bit j of qh[l]."""
    sb = x.reshape(-1, 8, 32).astype(np.float32)
    n = sb.shape[0]
    mn = np.minimum(sb.min(axis=2), 0.0)
    scale = (sb.max(axis=2) - mn) / 31.0
    mins = -mn
    d16 = (scale.max(axis=1) / 63.0).astype(np.float16).astype(np.float32)
    dm16 = (mins.max(axis=1) / 63.0).astype(np.float16).astype(np.float32)
    sc = np.clip(np.rint(_safe_div(scale, d16[:, None])), 0, 63).astype(np.int64)
    m = np.clip(np.rint(_safe_div(mins, dm16[:, None])), 0, 63).astype(np.int64)
    step = d16[:, None] * sc
    off = dm16[:, None] * m
    q = np.clip(np.rint(_safe_div(sb + off[:, :, None], step[:, :, None])), 0, 31).astype(np.int64)
    s = np.zeros((n, 12), dtype=np.int64)
    for j in range(4):
        s[:, j] = sc[:, j] & 63
        s[:, j + 4] = m[:, j] & 63
    for j in range(4, 8):
        s[:, j + 4] = (sc[:, j] & 0xF) | ((m[:, j] & 0xF) << 4)
        s[:, j - 4] |= (sc[:, j] >> 4) << 6
        s[:, j] |= (m[:, j] >> 4) << 6
    qh = np.zeros((n, 32), dtype=np.int64)
    for j in range(8):
        qh |= ((q[:, j, :] >> 4) & 1) << j
    qs = np.zeros((n, 128), dtype=np.int64)
    for c in range(4):
        qs[:, 32 * c:32 * c + 32] = (q[:, 2 * c, :] & 15) | ((q[:, 2 * c + 1, :] & 15) << 4)
    return np.concatenate([_f16col(d16), _f16col(dm16), s.astype(np.uint8), qh.astype(np.uint8),
                           qs.astype(np.uint8)], axis=1).tobytes()


def quant_q2_k(x):
    """Groups of 16: y = d sc q - dmin m, q in 0..3, sc and m 4-bit."""
    g = x.reshape(-1, 16, 16).astype(np.float32)
    n = g.shape[0]
    mn = np.minimum(g.min(axis=2), 0.0)
    scale = (g.max(axis=2) - mn) / 3.0
    d16 = (scale.max(axis=1) / 15.0).astype(np.float16).astype(np.float32)
    dm16 = ((-mn).max(axis=1) / 15.0).astype(np.float16).astype(np.float32)
    sc = np.clip(np.rint(_safe_div(scale, d16[:, None])), 0, 15).astype(np.int64)
    m = np.clip(np.rint(_safe_div(-mn, dm16[:, None])), 0, 15).astype(np.int64)
    q = np.clip(np.rint(_safe_div(g + (dm16[:, None] * m)[:, :, None],
                                  (d16[:, None] * sc)[:, :, None])), 0, 3).astype(np.int64)
    qs = np.zeros((n, 64), dtype=np.int64)
    for gi in range(16):  # group gi: half gi // 8, shift 2 * ((gi % 8) // 2), bytes 16 * (gi % 2)
        h, j, hf = gi // 8, (gi % 8) // 2, gi % 2
        qs[:, 32 * h + 16 * hf:32 * h + 16 * hf + 16] |= q[:, gi, :] << (2 * j)
    return np.concatenate([(sc | (m << 4)).astype(np.uint8), qs.astype(np.uint8), _f16col(d16),
                           _f16col(dm16)], axis=1).tobytes()


def quant_q3_k(x):
    """Groups of 16: y = d (sc - 32) q, q in -4..3 (2 low bits + a high bit that, when clear,
    subtracts 4), sc 6-bit."""
    g = x.reshape(-1, 16, 16).astype(np.float32)
    n = g.shape[0]
    scale = np.abs(g).max(axis=2) / 4.0
    d16 = (scale.max(axis=1) / 31.0).astype(np.float16).astype(np.float32)
    sc = np.clip(np.rint(_safe_div(scale, d16[:, None])), 0, 31).astype(np.int64)
    q = np.clip(np.rint(_safe_div(g, (d16[:, None] * sc)[:, :, None])), -4, 3).astype(np.int64)
    hbit = (q >= 0).astype(np.int64)
    low = np.where(q >= 0, q, q + 4)
    hm = np.zeros((n, 32), dtype=np.int64)
    qs = np.zeros((n, 64), dtype=np.int64)
    for gi in range(16):
        h, j, hf = gi // 8, (gi % 8) // 2, gi % 2
        qs[:, 32 * h + 16 * hf:32 * h + 16 * hf + 16] |= low[:, gi, :] << (2 * j)
        hm[:, 16 * hf:16 * hf + 16] |= hbit[:, gi, :] << (4 * h + j)
    u = sc + 32  # stored with offset 32, 6 bits
    s = np.zeros((n, 12), dtype=np.int64)
    for i in range(16):
        if i < 8:
            s[:, i] |= u[:, i] & 15
        else:
            s[:, i - 8] |= (u[:, i] & 15) << 4
        s[:, 8 + i % 4] |= ((u[:, i] >> 4) & 3) << (2 * (i // 4))
    return np.concatenate([hm.astype(np.uint8), qs.astype(np.uint8), s.astype(np.uint8),
                           _f16col(d16)], axis=1).tobytes()


def quant_iq4_xs(x):
    """Sub-blocks of 32: y = d (ls - 32) level[q], ls 6-bit, levels the IQ4_NL codebook."""
    sb = x.reshape(-1, 8, 32).astype(np.float32)
    n = sb.shape[0]
    lv = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113],
                  dtype=np.float32)
    s = np.abs(sb).max(axis=2) / 127.0
    d16 = (s.max(axis=1) / 31.0).astype(np.float16).astype(np.float32)
    ls = np.clip(np.rint(_safe_div(s, d16[:, None])) + 32, 0, 63).astype(np.int64)
    step = d16[:, None] * (ls - 32)
    q = np.abs(_safe_div(sb, step[:, :, None])[..., None] - lv).argmin(axis=3)
    sh = np.zeros(n, dtype=np.int64)
    sl = np.zeros((n, 4), dtype=np.int64)
    for ib in range(8):
        sl[:, ib // 2] |= (ls[:, ib] & 15) << (4 * (ib % 2))
        sh |= ((ls[:, ib] >> 4) & 3) << (2 * ib)
    qs = (q[:, :, :16] | (q[:, :, 16:] << 4)).reshape(n, 128)
    return np.concatenate([_f16col(d16), sh.astype("<u2").view(np.uint8).reshape(n, 2),
                           sl.astype(np.uint8), qs.astype(np.uint8)], axis=1).tobytes()


def bf16_bytes(x):
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return r.tobytes()


def encode(x, t):
    if t == T_F32:
        return np.asarray(x, dtype=np.float32).tobytes()
    if t == T_F16:
        return f16_bytes(x)
    if t == T_BF16:
        return bf16_bytes(x)
    if t == T_Q8_0:
        return quant_q8_0(x)
    if t == T_Q4_0:
        return quant_q4_0(x)
    if t == T_Q4_K:
        return quant_q4_k(x)
    if t == T_Q6_K:
        return quant_q6_k(x)
    if t == T_Q4_1:
        return quant_q4_1_q5(x, 4, True)
    if t == T_Q5_0:
        return quant_q4_1_q5(x, 5, False)
    if t == T_Q5_1:
        return quant_q4_1_q5(x, 5, True)
    if t == T_IQ4_NL:
        return quant_iq4_nl(x)
    if t == T_Q5_K:
        return quant_q5_k(x)
    if t == T_Q2_K:
        return quant_q2_k(x)
    if t == T_Q3_K:
        return quant_q3_k(x)
    if t == T_IQ4_XS:
        return quant_iq4_xs(x)
    if t == T_MXFP4:
        return quant_mxfp4(x)
    if t in IQ_BLOCK_TYPES:
        return random_iq(x, t)
    raise ValueError(t)


def set_iq_d(b, t, h):
    """Sets the fp16 scale d (bits h, one per block) of codebook-type blocks b (blocks, bytes)."""
    h = np.asarray(h, dtype=np.uint16)
    if t == T_IQ1_M:  # d's nibbles: the top ones of the four scale words (bytes 49, 51, ...)
        for j in range(4):
            b[:, 49 + 2 * j] = (b[:, 49 + 2 * j] & 0x0F) | (((h >> (4 * j)) & 0xF) << 4)
    else:
        b[:, 0] = h & 0xFF
        b[:, 1] = h >> 8


def random_iq_unit(b, t):
    """The values of blocks b at d = 1 (tests/ref_forward.py's float64 dequantisation), as
    (blocks, 256); b's scales are overwritten."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import ref_forward
    set_iq_d(b, t, np.full(b.shape[0], 0x3C00))
    return ref_forward.dequant(b.tobytes(), t).reshape(-1, 256)


def random_iq(x, t):
    """Blocks of a codebook type (IQ1_S ... IQ3_S) for an engine smoke test: not a quantisation
    of x (that needs a codebook search) but random codebook bytes, seeded by x, with each block's
    fp16 scale d set so that the block's root mean square is x's over the same 256 elements. The
    values are d times a function of the other bytes, so the scale is found by decoding each block
    once at d = 1."""
    import zlib
    nb = BLOCKS[t][1]
    xs = np.asarray(x, dtype=np.float64).reshape(-1, 256)
    r = np.random.default_rng(zlib.crc32(np.asarray(x, dtype=np.float32).tobytes()))
    b = r.integers(0, 256, size=(xs.shape[0], nb), dtype=np.uint8)
    u = np.sqrt((random_iq_unit(b, t) ** 2).mean(axis=1))
    want = np.sqrt((xs ** 2).mean(axis=1))
    d = np.where(u > 0, want / np.where(u > 0, u, 1), 0).astype(np.float16)
    set_iq_d(b, t, d.view(np.uint16))
    return b.tobytes()


# ------------------------------------------------------------------------------------------------
# Vocabulary: byte-level BPE learnt from a generated corpus
# ------------------------------------------------------------------------------------------------

def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


CORPUS_WORDS = ["the", "points", "ranking", "value", "optimum", "learning", "rate", "batch",
                "temperature", "pressure", "hello", "world", "résumé", "naïve", "café", "über",
                "straße", "日本語", "テキスト", "中文", "данные", "ελληνικά", "emoji🙂", "x1", "x2",
                "0.5", "1.25", "-3.75", "100", "2024", "{\"points\": [{", "\"}, {\"", "]}",
                "{\"ranking\": [", ", ", "\": ", "think", "reasoning", "answer", "I'm", "you're",
                "can't", "we'll", "it's", "\n\n", "  ", "\t"]


def learn_merges(rng, n_merges):
    u = bytes_to_unicode()
    words = {}
    for _ in range(3000):
        w = CORPUS_WORDS[rng.integers(len(CORPUS_WORDS))]
        if rng.random() < 0.5:
            w = " " + w
        key = tuple(u[b] for b in w.encode("utf-8"))
        words[key] = words.get(key, 0) + 1
    merges = []
    vocab = set(u.values())
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = max(sorted(counts), key=lambda p: counts[p])
        merges.append(best)
        vocab.add(best[0] + best[1])
        nw = {}
        for w, c in words.items():
            out, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and (w[i], w[i + 1]) == best:
                    out.append(w[i] + w[i + 1])
                    i += 2
                else:
                    out.append(w[i])
                    i += 1
            nw[tuple(out)] = nw.get(tuple(out), 0) + c
        words = nw
    return merges


CHAT_SPECIALS = {
    "chatml": [("<|endoftext|>", 3), ("<|im_start|>", 3), ("<|im_end|>", 3), ("<think>", 4),
               ("</think>", 4)],
    "llama3": [("<|endoftext|>", 3), ("<|begin_of_text|>", 3), ("<|start_header_id|>", 3),
               ("<|end_header_id|>", 3), ("<|eot_id|>", 3), ("<|im_end|>", 3)],
    # SmolLM3: Llama 3's vocabulary with ChatML's markers and think tags in reserved slots
    "smollm3": [("<|endoftext|>", 3), ("<|begin_of_text|>", 3), ("<|start_header_id|>", 3),
                ("<|end_header_id|>", 3), ("<|eot_id|>", 3), ("<|im_start|>", 3),
                ("<|im_end|>", 3), ("<think>", 4), ("</think>", 4)],
    # Mistral's Tekken vocabularies: [INST] markers and </s> (v7's system markers too)
    "mistral": [("<s>", 3), ("</s>", 3), ("[INST]", 3), ("[/INST]", 3), ("[AVAILABLE_TOOLS]", 3),
                ("[SYSTEM_PROMPT]", 3), ("[/SYSTEM_PROMPT]", 3), ("<|im_end|>", 3)],
    "exaone": [("<|endoftext|>", 3), ("[|system|]", 3), ("[|user|]", 3), ("[|assistant|]", 3),
               ("[|endofturn|]", 3), ("<think>", 4), ("</think>", 4), ("<|im_end|>", 3)],
    "glm4": [("<|endoftext|>", 3), ("[gMASK]", 3), ("<sop>", 3), ("<|system|>", 3),
             ("<|user|>", 3), ("<|assistant|>", 3), ("<|observation|>", 3), ("<|im_end|>", 3)],
    "granite": [("<|end_of_text|>", 3), ("<|start_of_role|>", 3), ("<|end_of_role|>", 3),
                ("<|tool_call|>", 3), ("<|im_end|>", 3)],
    "deepseek2": [("<\uff5cbegin\u2581of\u2581sentence\uff5c>", 3),
                  ("<\uff5cend\u2581of\u2581sentence\uff5c>", 3), ("<|im_end|>", 3)],
    "gemma": [("<eos>", 3), ("<start_of_turn>", 3), ("<end_of_turn>", 3), ("<|im_end|>", 3)],
    # ERNIE 4.5: a turn opens the conversation with <|begin_of_sentence|> and ends an assistant
    # turn with <|end_of_sentence|>; replies end with </s>
    # Hunyuan dense: fullwidth-bar markers; an assistant turn ends <｜hy_place▁holder▁no▁2｜>
    "hunyuan": [("<\uff5chy_place\u2581holder\u2581no\u25812\uff5c>", 3),
                ("<\uff5chy_User\uff5c>", 3), ("<\uff5chy_Assistant\uff5c>", 3),
                ("<\uff5chy_place\u2581holder\u2581no\u25813\uff5c>", 3), ("<|im_end|>", 3)],
    "ernie": [("</s>", 3), ("<|begin_of_sentence|>", 3), ("<|end_of_sentence|>", 3),
              ("<|im_end|>", 3)],
    # gpt-oss's harmony format (o200k_harmony): <|return|> ends a reply, <|end|> a message
    "harmony": [("<|endoftext|>", 3), ("<|start|>", 3), ("<|message|>", 3), ("<|channel|>", 3),
                ("<|constrain|>", 3), ("<|end|>", 3), ("<|return|>", 3), ("<|call|>", 3),
                ("<|im_end|>", 3)],
    "phi3": [("<|endoftext|>", 3), ("<|assistant|>", 3), ("<|end|>", 3), ("<|system|>", 3),
             ("<|user|>", 3), ("<|im_end|>", 3)],
    "deepseek": [("<|endoftext|>", 3), ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", 3),
                 ("<\uff5cend\u2581of\u2581sentence\uff5c>", 3), ("<\uff5cUser\uff5c>", 4),
                 ("<\uff5cAssistant\uff5c>", 4), ("<think>", 4), ("</think>", 4),
                 ("<|im_end|>", 3)],
}


def build_vocab(rng, n_merges, pad_to=0, chat="chatml"):
    u = bytes_to_unicode()
    tokens = [u[b] for b in range(256)]
    types = [1] * 256
    merges = learn_merges(rng, n_merges)
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            tokens.append(a + b)
            types.append(1)
    while len(tokens) < pad_to - len(CHAT_SPECIALS[chat]):
        t = "\u0120pad%d" % len(tokens)
        tokens.append(t)
        types.append(1)
    for s, ty in CHAT_SPECIALS[chat]:
        tokens.append(s)
        types.append(ty)
    return tokens, types, [a + " " + b for a, b in merges]


def load_spm_model(path):
    """A SentencePiece model file (tokenizer.model) read with the sentencepiece library: pieces,
    scores and types as llama.cpp's converter writes them (unknown 2, control 3, user-defined 4,
    unused 5, byte 6, else normal 1), and the unknown/BOS/EOS ids."""
    import sentencepiece
    sp = sentencepiece.SentencePieceProcessor(model_file=path)
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        types.append(2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 5 if sp.is_unused(i)
                     else 6 if sp.is_byte(i) else 1)
    ids = lambda v: v if v >= 0 else None
    # add_dummy_prefix is in the model's normaliser spec (protobuf); what it does is visible.
    prefix = sp.encode("a", out_type=str)[0].startswith("\u2581")
    return tokens, types, scores, ids(sp.unk_id()), ids(sp.bos_id()), ids(sp.eos_id()), prefix


def spm_from_tokenizer_json(j, vocab):
    """A Hugging Face tokenizer.json converted from a SentencePiece BPE model (Llama 2, Mistral:
    byte fallback, spaces as U+2581) back into SentencePiece scores: the converter listed the merges
    in the order of the merged piece's score, so a token made by merge r scores -r; tokens no merge
    makes (single characters, bytes, specials) can never be a merged pair, and score below every
    merge (characters) or 0 (bytes, specials)."""
    merges = [m if isinstance(m, str) else m[0] + " " + m[1] for m in j["model"]["merges"]]
    n = max(vocab.values()) + 1
    scores = [None] * n
    for r, m in enumerate(merges):
        a, b = m.split(" ", 1)
        t = vocab.get(a + b)
        if t is not None and scores[t] is None:
            scores[t] = -float(r)
    inv = {i: t for t, i in vocab.items()}
    for i in range(n):
        if scores[i] is None:
            t = inv.get(i, "")
            special = re.fullmatch(r"<0x[0-9A-F]{2}>", t) or i in {a["id"] for a in j.get("added_tokens", [])}
            scores[i] = 0.0 if special else -float(len(merges) + i)
    return scores


def is_spm_json(j):
    text = json.dumps([j.get("normalizer"), j.get("pre_tokenizer")], ensure_ascii=False)
    return bool(j["model"].get("byte_fallback")) and "\u2581" in text


def load_tokenizer_json(path):
    """A real vocabulary from a Hugging Face tokenizer.json: tokens by id (gaps filled with unused
    placeholders, as llama.cpp's converter does), token types (added special tokens CONTROL, other
    added tokens USER_DEFINED; for a SentencePiece-style file also <0xXX> BYTE and the unknown token
    UNKNOWN), merges as 'left right' (None for a SentencePiece-style file, which gets scores
    instead), and the BOS/EOS ids named by the tokenizer_config.json beside it."""
    j = json.load(open(path, encoding="utf-8"))
    vocab = dict(j["model"]["vocab"])
    kinds = {}
    for a in j.get("added_tokens", []):
        vocab[a["content"]] = a["id"]
        kinds[a["id"]] = 3 if a.get("special") else 4
    n = max(vocab.values()) + 1
    tokens = ["[PAD%d]" % i for i in range(n)]
    types = [5] * n
    for t, i in vocab.items():
        tokens[i] = t
        types[i] = kinds.get(i, 1)
    merges = [m if isinstance(m, str) else m[0] + " " + m[1] for m in j["model"]["merges"]]
    scores = None
    if is_spm_json(j):
        scores = spm_from_tokenizer_json(j, vocab)
        merges = None
        for i, t in enumerate(tokens):
            if re.fullmatch(r"<0x[0-9A-F]{2}>", t):
                types[i] = 6
            elif t == j["model"].get("unk_token"):
                types[i] = 2
    cfg_path = os.path.join(os.path.dirname(path), "tokenizer_config.json")
    cfg = json.load(open(cfg_path, encoding="utf-8")) if os.path.exists(cfg_path) else {}

    def tok_id(key):
        v = cfg.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        return vocab.get(v) if v is not None else None
    return tokens, types, merges, tok_id("bos_token"), tok_id("eos_token"), \
        bool(cfg.get("add_bos_token", False)), cfg.get("chat_template"), scores


# ------------------------------------------------------------------------------------------------
# GGUF writing
# ------------------------------------------------------------------------------------------------

class Writer:
    def __init__(self, alignment=32):
        self.kv = []
        self.tensors = []
        self.alignment = alignment

    def add(self, key, vtype, value, elem=None):
        self.kv.append((key, vtype, value, elem))

    def tensor(self, name, shape, ttype, make):
        """Adds a tensor of numpy shape `shape`; make() builds its float values when written, so
        a multi-gigabyte model is never held in memory whole."""
        blk, nb = BLOCKS[ttype]
        n = int(np.prod(shape))
        assert shape[-1] % blk == 0, (name, shape, ttype)
        self.tensors.append((name, list(shape[::-1]), ttype, n // blk * nb, make))

    fast_rng = None

    def _fast_q8_0(self, f, shape, nbytes):
        """Benchmark fill: random Q8_0 blocks written directly (q uniform in [-127, 127], one
        scale per tensor giving weights of standard deviation ~1/sqrt(cols)), far faster than
        drawing floats and quantising them. Values are irrelevant to speed."""
        cols = shape[0]
        d = np.float16(1.0 / (73.0 * np.sqrt(cols))).tobytes()
        nblocks = nbytes // 34
        step = 1 << 22
        for b0 in range(0, nblocks, step):
            nb = min(step, nblocks - b0)
            blk = np.empty((nb, 34), dtype=np.uint8)
            blk[:, 0:2] = np.frombuffer(d, dtype=np.uint8)
            blk[:, 2:] = self.fast_rng.integers(-127, 128, size=(nb, 32), dtype=np.int8).view(np.uint8)
            f.write(blk.tobytes())
        f.write(b"\0" * ((-nbytes) % self.alignment))

    def _fast_iq(self, f, shape, ttype, nbytes):
        """Benchmark fill for the codebook types: random blocks, every fp16 scale d set so that a
        sample of 64 such blocks has weights of root mean square ~1/sqrt(cols)."""
        nb = BLOCKS[ttype][1]
        blk = self.fast_rng.integers(0, 256, size=(64, nb), dtype=np.uint8)
        unit = random_iq_unit(blk, ttype)
        d = (1.0 / np.sqrt(shape[0])) / np.sqrt((unit ** 2).mean())
        step = 1 << 20
        nblocks = nbytes // nb
        for b0 in range(0, nblocks, step):
            n = min(step, nblocks - b0)
            blk = self.fast_rng.integers(0, 256, size=(n, nb), dtype=np.uint8)
            set_iq_d(blk, ttype, np.full(n, np.float16(d)).view(np.uint16))
            f.write(blk.tobytes())
        f.write(b"\0" * ((-nbytes) % self.alignment))

    @staticmethod
    def _str(s):
        b = s.encode("utf-8")
        return struct.pack("<Q", len(b)) + b

    def _val(self, vtype, v, elem):
        t = GGUF_TYPES[vtype]
        if vtype == "str":
            return self._str(v)
        if vtype == "arr":
            et = GGUF_TYPES[elem]
            out = struct.pack("<IQ", et, len(v))
            return out + b"".join(self._val(elem, x, None) for x in v)
        fmt = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q",
               11: "<q", 12: "<d"}[t]
        return struct.pack(fmt, v)

    def write(self, path):
        out = bytearray()
        out += b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for key, vtype, value, elem in self.kv:
            out += self._str(key) + struct.pack("<I", GGUF_TYPES[vtype]) + self._val(vtype, value, elem)
        off = 0
        offsets = []
        for name, shape, ttype, nbytes, make in self.tensors:
            offsets.append(off)
            out += self._str(name) + struct.pack("<I", len(shape))
            out += b"".join(struct.pack("<Q", d) for d in shape)
            out += struct.pack("<IQ", ttype, off)
            off += nbytes
            off += (-off) % self.alignment
        out += b"\0" * ((-len(out)) % self.alignment)
        with open(path, "wb") as f:
            f.write(out)
            for name, shape, ttype, nbytes, make in self.tensors:
                if self.fast_rng is not None and ttype == T_Q8_0 and len(shape) >= 2:
                    self._fast_q8_0(f, shape, nbytes)
                    continue
                if self.fast_rng is not None and ttype in IQ_BLOCK_TYPES and len(shape) >= 2:
                    self._fast_iq(f, shape, ttype, nbytes)
                    continue
                arr = np.asarray(make(), dtype=np.float32)
                assert list(arr.shape) == list(shape[::-1]), name
                # Large stacks are encoded one matrix at a time to bound memory.
                parts = [arr.reshape(-1)]
                if arr.ndim == 3:
                    parts = [arr[i].reshape(-1) for i in range(arr.shape[0])]
                data_len = 0
                for part in parts:
                    data = encode(part, ttype)
                    f.write(data)
                    data_len += len(data)
                assert data_len == nbytes, name
                f.write(b"\0" * ((-nbytes) % self.alignment))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True,
                    choices=["qwen2", "qwen3", "qwen3moe", "qwen2moe", "olmoe", "llama", "phi3", "gemma", "gemma2", "gemma3", "olmo2", "smollm3", "exaone4", "glm4", "ernie4_5", "ernie4_5-moe", "hunyuan-dense",
                             "granite", "granitemoe",
                             "deepseek2", "gpt-oss"])
    ap.add_argument("--type", default="f32",
                    choices=["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k", "q4_k_m",
                             "q4_1", "q5_0", "q5_1", "q2_k", "q3_k", "q5_k", "iq4_nl", "iq4_xs",
                             "mxfp4"] +
                    sorted(IQ_TYPES))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--embd", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=0, help="0: embd/heads (qwen3: 32 if 0)")
    ap.add_argument("--ff", type=int, default=96)
    ap.add_argument("--experts", type=int, default=8)
    ap.add_argument("--used", type=int, default=2)
    ap.add_argument("--ff-exp", type=int, default=64)
    ap.add_argument("--shared-ff", type=int, default=0, help="shared expert width (0: none)")
    ap.add_argument("--merges", type=int, default=200)
    ap.add_argument("--vocab", type=int, default=0, help="pad the vocabulary to this size")
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--alignment", type=int, default=32)
    ap.add_argument("--fast-fill", action="store_true",
                    help="benchmark models: write random Q8_0 blocks directly (no float weights)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=TYPE:VALUE",
                    help="hostile files: replace (or add) a metadata value, e.g. "
                         "qwen3.attention.head_count=u32:268435458")
    ap.add_argument("--unset", action="append", default=[], metavar="KEY",
                    help="hostile files: leave this metadata key out")
    ap.add_argument("--extra-tensors", type=int, default=0,
                    help="hostile files: append this many one-element F32 tensors")
    ap.add_argument("--bias-tensor", action="append", default=[],
                    help="hostile files: add this F32 tensor of n_embd zeros (e.g. "
                         "blk.0.attn_output.bias)")
    ap.add_argument("--duplicate-last", action="store_true",
                    help="hostile files: the last extra tensor repeats the first one's name")
    ap.add_argument("--tokenizer-json", default="",
                    help="use this real vocabulary (a Hugging Face tokenizer.json) instead of the "
                         "generated one")
    ap.add_argument("--spm-model", default="",
                    help="use this SentencePiece model file (tokenizer.model) as the vocabulary "
                         "(tokenizer.ggml.model 'llama')")
    ap.add_argument("--pre", default="", help="tokenizer.ggml.pre (default: qwen2, olmoe: olmo)")
    ap.add_argument("--moe", action="store_true", help="llama: Mixtral-style experts")
    ap.add_argument("--chat-tokens", default="", choices=[""] + sorted(CHAT_SPECIALS),
                    help="the special tokens of a chat family in the generated vocabulary")
    g2 = ap.add_argument_group("deepseek2 (multi-head latent attention)")
    g2.add_argument("--kv-lora", type=int, default=64, help="attention.kv_lora_rank")
    g2.add_argument("--q-lora", type=int, default=0, help="attention.q_lora_rank (0: plain q)")
    g2.add_argument("--no-q-lora-key", action="store_true",
                    help="leave attention.q_lora_rank out (DeepSeek-V2-Lite's files; llama.cpp then "
                         "needs 26 or 27 layers)")
    g2.add_argument("--rope-dim", type=int, default=32, help="qk_rope_head_dim")
    g2.add_argument("--nope-dim", type=int, default=32, help="qk_nope_head_dim")
    g2.add_argument("--v-dim", type=int, default=32, help="v_head_dim")
    g2.add_argument("--dense-lead", type=int, default=1, help="leading_dense_block_count")
    g2.add_argument("--shared", type=int, default=2, help="expert_shared_count")
    g2.add_argument("--groups", type=int, default=0, help="expert_group_count (0: key absent)")
    g2.add_argument("--groups-used", type=int, default=0, help="expert_group_used_count")
    g2.add_argument("--gating", type=int, default=1, help="expert_gating_func (1 softmax, 2 sigmoid)")
    g2.add_argument("--expert-scale", type=float, default=1.0, help="expert_weights_scale")
    g2.add_argument("--norm-w", action="store_true", help="expert_weights_norm = true")
    g2.add_argument("--exp-bias", action="store_true", help="exp_probs_b.bias (DeepSeek-V3)")
    ap.add_argument("--moe-step", type=int, default=1,
                    help="ernie4_5-moe: interleave_moe_layer_step (experts on every N-th layer)")
    ap.add_argument("--yarn", type=float, default=0.0,
                    help="rope.scaling.type yarn with this factor (original context 4096; deepseek2: "
                         "DeepSeek-V2-Lite's mscale_all_dim 0.707)")
    ap.add_argument("--tied", action="store_true",
                    help="no output.weight: the logits reuse token_embd (qwen2 always)")
    ap.add_argument("--rope-freqs", action="store_true",
                    help="llama: a rope_freqs.weight tensor (Llama 3.1's frequency divisors)")
    ap.add_argument("--qkv-bias", action="store_true",
                    help="q, k, v biases for any architecture (phi3: of the fused attn_qkv)")
    ap.add_argument("--nextn", type=int, default=0,
                    help="nextn_predict_layers: this many more layers after --layers, not run")
    ap.add_argument("--rot", type=int, default=0,
                    help="rope.dimension_count below the head size (partial rotary; 0: the head)")
    ap.add_argument("--swa", type=int, default=0,
                    help="gemma2/3, olmo2: attention.sliding_window (0: key absent)")
    ap.add_argument("--swa-period", type=int, default=0,
                    help="gemma2/3, olmo2: attention.sliding_window_pattern (0: key absent)")
    ap.add_argument("--softcap", type=float, default=0.0,
                    help="gemma2/3: final_logit_softcapping (0: key absent)")
    ap.add_argument("--att-softcap", type=float, default=0.0,
                    help="gemma2: attn_logit_softcapping (0: key absent)")
    ap.add_argument("--longrope", type=int, default=0,
                    help="phi3: LongRoPE's rope_factors_long/short tensors, attn_factor and this "
                         "rope.scaling.original_context_length")
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    chat_given = bool(a.chat_tokens)
    if not a.chat_tokens:
        a.chat_tokens = {"gpt-oss": "harmony", "exaone4": "exaone", "glm4": "glm4", "granitemoe": "granite", "granite": "granite", "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma",
                         "deepseek2": "deepseek2", "ernie4_5": "ernie",
                         "ernie4_5-moe": "ernie", "hunyuan-dense": "hunyuan"}.get(a.arch, "chatml")
    wt = {"f32": T_F32, "f16": T_F16, "bf16": T_BF16, "q8_0": T_Q8_0, "q4_0": T_Q4_0,
          "q4_k": T_Q4_K, "q6_k": T_Q6_K, "q4_k_m": T_Q4_K, "q4_1": T_Q4_1, "q5_0": T_Q5_0,
          "q5_1": T_Q5_1, "q2_k": T_Q2_K, "q3_k": T_Q3_K, "q5_k": T_Q5_K, "iq4_nl": T_IQ4_NL,
          "iq4_xs": T_IQ4_XS, "mxfp4": T_MXFP4, **{k: v[0] for k, v in IQ_TYPES.items()}}[a.type]
    big = T_Q6_K if a.type == "q4_k_m" else wt  # attn_v, ffn_down, output in Q4_K_M files
    # gpt-oss's released files: experts in MXFP4, the rest Q8_0 (--type mxfp4)
    dense_t, big_dense = (T_Q8_0, T_Q8_0) if a.type == "mxfp4" else (wt, big)
    arch = a.arch
    moe = arch in ("qwen3moe", "qwen2moe", "olmoe", "granitemoe", "deepseek2", "gpt-oss",
                   "ernie4_5-moe") or \
        (arch == "llama" and a.moe)
    E, H, KV = a.embd, a.heads, a.kv_heads
    hd = a.head_dim or (E // H if arch not in ("qwen3", "qwen3moe", "gemma", "gemma2", "gemma3")
                        else 32)
    if arch in ("qwen2", "olmoe", "llama", "granite", "granitemoe", "phi3", "olmo2",
                "smollm3", "exaone4", "glm4", "gpt-oss", "ernie4_5", "ernie4_5-moe",
                "hunyuan-dense") and a.head_dim == 0:
        hd = E // H
    qd, kvd = H * hd, KV * hd
    rot = a.rot or hd

    bos = None
    template = "chatml"
    scores = None
    unk = None
    space_prefix = True
    if a.spm_model:
        tokens, types, scores, unk, bos, eos, space_prefix = load_spm_model(a.spm_model)
        merges, add_bos = None, True
        template = "[INST] {{ messages[0]['content'] }} [/INST]"
    elif a.tokenizer_json:
        tokens, types, merges, bos, eos, add_bos, tmpl, scores = load_tokenizer_json(a.tokenizer_json)
        template = tmpl if isinstance(tmpl, str) else template
        if scores is not None:
            unk = types.index(2) if 2 in types else None
            # the dummy prefix: Llama 2 / Mistral's normaliser prepends U+2581, Gemma's does not
            tj = json.load(open(a.tokenizer_json, encoding="utf-8"))
            space_prefix = "Prepend" in json.dumps(tj.get("normalizer"))
        if chat_given:  # the family's special tokens appended, as Phi-3's come after Llama 2's
            for t, ty in CHAT_SPECIALS[a.chat_tokens]:
                if t in tokens:  # in the vocabulary already (Gemma's turns): typed as special
                    types[tokens.index(t)] = ty
                elif t != "<|im_end|>":
                    tokens.append(t)
                    types.append(ty)
                    if scores is not None:
                        scores.append(0.0)
    else:
        tokens, types, merges = build_vocab(rng, a.merges, a.vocab, a.chat_tokens)
        eos = tokens.index("<|im_end|>" if arch != "olmoe" else "<|endoftext|>")
        if a.chat_tokens == "granite":
            eos = tokens.index("<|end_of_text|>")
        if a.chat_tokens == "deepseek2":
            eos = tokens.index("<\uff5cend\u2581of\u2581sentence\uff5c>")
        if a.chat_tokens == "phi3":
            eos = tokens.index("<|endoftext|>")
        if a.chat_tokens == "gemma":
            eos = tokens.index("<eos>")
        if a.chat_tokens == "ernie":
            eos = tokens.index("</s>")
        if a.chat_tokens == "hunyuan":
            eos = tokens.index("<\uff5chy_place\u2581holder\u2581no\u25812\uff5c>")
        if a.chat_tokens == "harmony":
            eos = tokens.index("<|return|>")
            template = ("{%- for m in messages -%}<|start|>{{ m.role }}<|channel|>final<|message|>"
                        "{{ m.content }}<|end|>{%- endfor -%}<|start|>assistant")
        add_bos = False
    V = len(tokens)

    w = Writer(a.alignment)
    if a.fast_fill:
        w.fast_rng = np.random.default_rng(a.seed + 1)
    w.add("general.architecture", "str", arch)
    w.add("general.name", "str", "llmbo random-weight test model (%s %s)" % (arch, a.type))
    if a.alignment != 32:
        w.add("general.alignment", "u32", a.alignment)
    w.add(arch + ".context_length", "u32", a.ctx)
    w.add(arch + ".embedding_length", "u32", E)
    w.add(arch + ".block_count", "u32", a.layers + a.nextn)
    if a.nextn:
        w.add(arch + ".nextn_predict_layers", "u32", a.nextn)
    w.add(arch + ".feed_forward_length", "u32", a.ff)
    w.add(arch + ".attention.head_count", "u32", H)
    if arch == "deepseek2":
        R, NR = a.kv_lora, a.rope_dim
        KV = 1
    w.add(arch + ".attention.head_count_kv", "u32", KV)
    if arch == "deepseek2":
        w.add(arch + ".vocab_size", "u32", len(tokens))
        w.add(arch + ".leading_dense_block_count", "u32", a.dense_lead)
        if not a.no_q_lora_key:
            w.add(arch + ".attention.q_lora_rank", "u32", a.q_lora)
        w.add(arch + ".attention.kv_lora_rank", "u32", R)
        w.add(arch + ".attention.key_length", "u32", R + NR)
        w.add(arch + ".attention.value_length", "u32", R)
        w.add(arch + ".attention.key_length_mla", "u32", a.nope_dim + NR)
        w.add(arch + ".attention.value_length_mla", "u32", a.v_dim)
        w.add(arch + ".expert_feed_forward_length", "u32", a.ff_exp)
        w.add(arch + ".expert_shared_count", "u32", a.shared)
        w.add(arch + ".expert_weights_scale", "f32", a.expert_scale)
        if a.norm_w:
            w.add(arch + ".expert_weights_norm", "bool", 1)
        if a.groups:
            w.add(arch + ".expert_group_count", "u32", a.groups)
            w.add(arch + ".expert_group_used_count", "u32", a.groups_used)
        w.add(arch + ".expert_gating_func", "u32", a.gating)
        w.add(arch + ".rope.dimension_count", "u32", NR)
    elif hd != E // H:
        w.add(arch + ".attention.key_length", "u32", hd)
        w.add(arch + ".attention.value_length", "u32", hd)
    w.add(arch + ".rope.freq_base", "f32",
          10000.0 if arch in ("olmoe", "deepseek2", "phi3") else
          150000.0 if arch == "gpt-oss" else 1000000.0)
    if arch == "phi3" or a.rot:
        w.add(arch + ".rope.dimension_count", "u32", a.rot or hd)
    if arch == "gemma2" and a.att_softcap:
        w.add(arch + ".attn_logit_softcapping", "f32", a.att_softcap)
    if arch in ("gemma2", "gemma3", "olmo2", "exaone4", "gpt-oss"):
        if arch == "gemma3":
            w.add(arch + ".rope.freq_base_swa", "f32", 10000.0)
        if a.swa:
            w.add(arch + ".attention.sliding_window", "u32", a.swa)
        if a.swa_period:
            w.add(arch + ".attention.sliding_window_pattern", "u32", a.swa_period)
        if a.softcap:
            w.add(arch + ".final_logit_softcapping", "f32", a.softcap)
    if a.longrope:  # Phi-3.5-mini's keys: the factor sqrt(1 + ln(s) / ln(original context))
        w.add(arch + ".rope.scaling.attn_factor", "f32", 1.19)
        w.add(arch + ".rope.scaling.original_context_length", "u32", a.longrope)
    if a.yarn:
        w.add(arch + ".rope.scaling.type", "str", "yarn")
        w.add(arch + ".rope.scaling.factor", "f32", a.yarn)
        w.add(arch + ".rope.scaling.original_context_length", "u32", 4096)
        w.add(arch + ".rope.scaling.yarn_beta_fast", "f32", 32.0)
        w.add(arch + ".rope.scaling.yarn_beta_slow", "f32", 1.0)
        if arch == "deepseek2":
            w.add(arch + ".rope.scaling.yarn_log_multiplier", "f32", 0.1 * 0.707)
    w.add(arch + ".attention.layer_norm_rms_epsilon", "f32",
          1e-5 if arch in ("olmoe", "gpt-oss") else 1e-6)
    if arch in ("granite", "granitemoe"):
        # granite-3.0-1b-a400m's multipliers (config.json: embedding_multiplier,
        # residual_multiplier, attention_multiplier, logits_scaling)
        w.add(arch + ".embedding_scale", "f32", 12.0)
        w.add(arch + ".residual_scale", "f32", 0.22)
        w.add(arch + ".attention.scale", "f32", 0.015625)
        w.add(arch + ".logit_scale", "f32", 6.0)
    if moe:
        w.add(arch + ".expert_count", "u32", a.experts)
        w.add(arch + ".expert_used_count", "u32", a.used)
        if arch in ("qwen3moe", "qwen2moe", "gpt-oss", "ernie4_5-moe"):
            w.add(arch + ".expert_feed_forward_length", "u32", a.ff_exp)
        if arch in ("qwen2moe", "ernie4_5-moe") and a.shared_ff:
            w.add(arch + ".expert_shared_feed_forward_length", "u32", a.shared_ff)
        if arch == "ernie4_5-moe":
            w.add(arch + ".leading_dense_block_count", "u32", a.dense_lead)
            w.add(arch + ".interleave_moe_layer_step", "u32", a.moe_step)
    if scores is not None:  # SentencePiece, as llama.cpp's converter writes it
        w.add("tokenizer.ggml.model", "str", "llama")
        w.add("tokenizer.ggml.tokens", "arr", tokens, "str")
        w.add("tokenizer.ggml.scores", "arr", scores, "f32")
        w.add("tokenizer.ggml.token_type", "arr", types, "i32")
        if unk is not None:
            w.add("tokenizer.ggml.unknown_token_id", "u32", unk)
        w.add("tokenizer.ggml.add_space_prefix", "bool", int(space_prefix))
    else:
        w.add("tokenizer.ggml.model", "str", "gpt2")
        w.add("tokenizer.ggml.pre", "str",
              a.pre or {"gpt-oss": "gpt-4o", "olmoe": "olmo", "exaone4": "exaone4", "glm4": "glm4", "granite": "refact", "granitemoe": "refact",
                        "deepseek2": "deepseek-llm"}.get(arch, "qwen2"))
        w.add("tokenizer.ggml.tokens", "arr", tokens, "str")
        w.add("tokenizer.ggml.token_type", "arr", types, "i32")
        w.add("tokenizer.ggml.merges", "arr", merges, "str")
    if bos is not None:
        w.add("tokenizer.ggml.bos_token_id", "u32", bos)
    if eos is not None:
        w.add("tokenizer.ggml.eos_token_id", "u32", eos)
    if "<|endoftext|>" in tokens:
        w.add("tokenizer.ggml.padding_token_id", "u32", tokens.index("<|endoftext|>"))
    w.add("tokenizer.ggml.add_bos_token", "bool", int(add_bos))
    w.add("tokenizer.chat_template", "str", template)

    def mat(rows, cols, *lead):
        return rng.standard_normal(tuple(lead) + (rows, cols)).astype(np.float32) / np.sqrt(cols)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def add_t(name, ttype, shape, make):
        w.tensor(name, shape, ttype, make)

    X = a.experts
    add_t("token_embd.weight", dense_t, (V, E),
          lambda: rng.standard_normal((V, E)).astype(np.float32))
    add_t("output_norm.weight", T_F32, (E,), lambda: norm(E))
    if a.longrope:
        add_t("rope_factors_long.weight", T_F32, (rot // 2,),
              lambda: np.linspace(1.0, 30.0, rot // 2).astype(np.float32))
        add_t("rope_factors_short.weight", T_F32, (rot // 2,),
              lambda: np.linspace(1.0, 1.5, rot // 2).astype(np.float32))
    if a.rope_freqs:
        add_t("rope_freqs.weight", T_F32, (rot // 2,),
              lambda: np.linspace(1.0, 8.0, rot // 2).astype(np.float32))
    if arch not in ("qwen2", "gemma", "gemma2", "gemma3") and not a.tied:
        add_t("output.weight", big_dense, (V, E), lambda: mat(V, E))
    ff_exp = a.ff_exp if arch in ("qwen3moe", "qwen2moe", "deepseek2", "gpt-oss", "ernie4_5-moe") else a.ff
    for il in range(a.layers + a.nextn):
        p = "blk.%d." % il
        if arch not in ("olmo2", "exaone4"):  # OLMo 2 and EXAONE 4 have no pre-norms
            add_t(p + "attn_norm.weight", T_F32, (E,), lambda: norm(E))
        if arch == "deepseek2":
            nope, vd, qk = a.nope_dim, a.v_dim, a.nope_dim + NR
            if a.q_lora:
                add_t(p + "attn_q_a.weight", wt, (a.q_lora, E), lambda: mat(a.q_lora, E))
                add_t(p + "attn_q_a_norm.weight", T_F32, (a.q_lora,), lambda: norm(a.q_lora))
                add_t(p + "attn_q_b.weight", wt, (H * qk, a.q_lora), lambda: mat(H * qk, a.q_lora))
            else:
                add_t(p + "attn_q.weight", wt, (H * qk, E), lambda: mat(H * qk, E))
            add_t(p + "attn_kv_a_mqa.weight", wt, (R + NR, E), lambda: mat(R + NR, E))
            add_t(p + "attn_kv_a_norm.weight", T_F32, (R,), lambda: norm(R))
            add_t(p + "attn_k_b.weight", wt, (H, R, nope), lambda: 3.0 * mat(R, nope, H))
            add_t(p + "attn_v_b.weight", wt, (H, vd, R), lambda: mat(vd, R, H))
            add_t(p + "attn_output.weight", wt, (E, H * vd), lambda: mat(E, H * vd))
            add_t(p + "ffn_norm.weight", T_F32, (E,), lambda: norm(E))
            if il < a.dense_lead:
                add_t(p + "ffn_gate.weight", wt, (a.ff, E), lambda: mat(a.ff, E))
                add_t(p + "ffn_up.weight", wt, (a.ff, E), lambda: mat(a.ff, E))
                add_t(p + "ffn_down.weight", big, (E, a.ff), lambda: mat(E, a.ff))
                continue
            add_t(p + "ffn_gate_inp.weight", T_F32, (X, E), lambda: 3.0 * mat(X, E))
            if a.exp_bias:
                add_t(p + "exp_probs_b.bias", T_F32, (X,), lambda: 0.05 * rng.standard_normal(X))
            add_t(p + "ffn_gate_exps.weight", wt, (X, ff_exp, E), lambda: mat(ff_exp, E, X))
            add_t(p + "ffn_up_exps.weight", wt, (X, ff_exp, E), lambda: mat(ff_exp, E, X))
            add_t(p + "ffn_down_exps.weight", big, (X, E, ff_exp), lambda: mat(E, ff_exp, X))
            if a.shared:
                sf = ff_exp * a.shared
                add_t(p + "ffn_gate_shexp.weight", wt, (sf, E), lambda: mat(sf, E))
                add_t(p + "ffn_up_shexp.weight", wt, (sf, E), lambda: mat(sf, E))
                add_t(p + "ffn_down_shexp.weight", big, (E, sf), lambda: mat(E, sf))
            continue
        if arch == "gpt-oss":  # llama.cpp's openai-moe layout (as the converter writes it)
            add_t(p + "attn_q.weight", dense_t, (qd, E), lambda: mat(qd, E))
            add_t(p + "attn_k.weight", dense_t, (kvd, E), lambda: mat(kvd, E))
            add_t(p + "attn_v.weight", big_dense, (kvd, E), lambda: mat(kvd, E))
            add_t(p + "attn_q.bias", T_F32, (qd,), lambda: 0.1 * rng.standard_normal(qd))
            add_t(p + "attn_k.bias", T_F32, (kvd,), lambda: 0.1 * rng.standard_normal(kvd))
            add_t(p + "attn_v.bias", T_F32, (kvd,), lambda: 0.1 * rng.standard_normal(kvd))
            add_t(p + "attn_output.weight", dense_t, (E, qd), lambda: mat(E, qd))
            add_t(p + "attn_output.bias", T_F32, (E,), lambda: 0.1 * rng.standard_normal(E))
            # sinks of the size trained ones have (a few units), so they take real weight
            add_t(p + "attn_sinks.weight", T_F32, (H,), lambda: 2.0 * rng.standard_normal(H))
            add_t(p + "post_attention_norm.weight", T_F32, (E,), lambda: norm(E))
            add_t(p + "ffn_gate_inp.weight", T_F32, (X, E), lambda: 3.0 * mat(X, E))
            add_t(p + "ffn_gate_inp.bias", T_F32, (X,), lambda: 0.5 * rng.standard_normal(X))
            # expert weights large enough that SwiGLU's clamp at 7 is met
            add_t(p + "ffn_gate_exps.weight", wt, (X, ff_exp, E), lambda: 4.0 * mat(ff_exp, E, X))
            add_t(p + "ffn_gate_exps.bias", T_F32, (X, ff_exp),
                  lambda: 0.5 * rng.standard_normal((X, ff_exp)))
            add_t(p + "ffn_up_exps.weight", wt, (X, ff_exp, E), lambda: 4.0 * mat(ff_exp, E, X))
            add_t(p + "ffn_up_exps.bias", T_F32, (X, ff_exp),
                  lambda: 0.5 * rng.standard_normal((X, ff_exp)))
            add_t(p + "ffn_down_exps.weight", wt, (X, E, ff_exp), lambda: mat(E, ff_exp, X))
            add_t(p + "ffn_down_exps.bias", T_F32, (X, E),
                  lambda: 0.1 * rng.standard_normal((X, E)))
            continue
        if arch == "phi3":  # q, k, v fused
            add_t(p + "attn_qkv.weight", wt, (qd + 2 * kvd, E), lambda: mat(qd + 2 * kvd, E))
        else:
            add_t(p + "attn_q.weight", wt, (qd, E), lambda: mat(qd, E))
            add_t(p + "attn_k.weight", wt, (kvd, E), lambda: mat(kvd, E))
            add_t(p + "attn_v.weight", big, (kvd, E), lambda: mat(kvd, E))
        add_t(p + "attn_output.weight", wt, (E, qd), lambda: mat(E, qd))
        if arch == "phi3" and a.qkv_bias:  # a bias of the fused projection
            add_t(p + "attn_qkv.bias", T_F32, (qd + 2 * kvd,),
                  lambda: 0.1 * rng.standard_normal(qd + 2 * kvd))
        if arch in ("qwen2", "qwen2moe", "glm4") or (a.qkv_bias and arch != "phi3"):
            add_t(p + "attn_q.bias", T_F32, (qd,), lambda: 0.1 * rng.standard_normal(qd))
            add_t(p + "attn_k.bias", T_F32, (kvd,), lambda: 0.1 * rng.standard_normal(kvd))
            add_t(p + "attn_v.bias", T_F32, (kvd,), lambda: 0.1 * rng.standard_normal(kvd))
        if arch in ("qwen2", "qwen2moe", "llama", "granite", "granitemoe", "phi3", "gemma",
                    "gemma2", "smollm3", "glm4", "ernie4_5", "ernie4_5-moe"):
            pass
        elif arch in ("olmoe", "olmo2"):
            add_t(p + "attn_q_norm.weight", T_F32, (qd,), lambda: norm(qd))
            add_t(p + "attn_k_norm.weight", T_F32, (kvd,), lambda: norm(kvd))
        else:
            add_t(p + "attn_q_norm.weight", T_F32, (hd,), lambda: norm(hd))
            add_t(p + "attn_k_norm.weight", T_F32, (hd,), lambda: norm(hd))
        if arch not in ("olmo2", "exaone4"):
            add_t(p + "ffn_norm.weight", T_F32, (E,), lambda: norm(E))
        if arch in ("gemma2", "gemma3", "olmo2", "exaone4", "glm4"):  # norms of the attention output
            add_t(p + "post_attention_norm.weight", T_F32, (E,), lambda: norm(E))
        if arch in ("phi3", "glm4"):  # gate and up fused, gate first
            add_t(p + "ffn_up.weight", wt, (2 * a.ff, E), lambda: mat(2 * a.ff, E))
            add_t(p + "ffn_down.weight", big, (E, a.ff), lambda: mat(E, a.ff))
            if arch == "glm4":
                add_t(p + "post_ffw_norm.weight", T_F32, (E,), lambda: norm(E))
        elif not moe or (arch == "ernie4_5-moe" and
                         (il < a.dense_lead or (il + 1) % a.moe_step != 0)):
            add_t(p + "ffn_gate.weight", wt, (a.ff, E), lambda: mat(a.ff, E))
            add_t(p + "ffn_up.weight", wt, (a.ff, E), lambda: mat(a.ff, E))
            add_t(p + "ffn_down.weight", big, (E, a.ff), lambda: mat(E, a.ff))
            if arch in ("gemma2", "gemma3", "olmo2", "exaone4"):
                add_t(p + "post_ffw_norm.weight", T_F32, (E,), lambda: norm(E))
        else:
            add_t(p + "ffn_gate_inp.weight", T_F32, (X, E), lambda: 3.0 * mat(X, E))
            if a.exp_bias:
                add_t(p + "exp_probs_b.bias", T_F32, (X,), lambda: 0.05 * rng.standard_normal(X))
            add_t(p + "ffn_gate_exps.weight", wt, (X, ff_exp, E), lambda: mat(ff_exp, E, X))
            add_t(p + "ffn_up_exps.weight", wt, (X, ff_exp, E), lambda: mat(ff_exp, E, X))
            add_t(p + "ffn_down_exps.weight", big, (X, E, ff_exp), lambda: mat(E, ff_exp, X))
            if a.shared_ff:
                sf = a.shared_ff
                add_t(p + "ffn_gate_shexp.weight", wt, (sf, E), lambda: mat(sf, E))
                add_t(p + "ffn_up_shexp.weight", wt, (sf, E), lambda: mat(sf, E))
                add_t(p + "ffn_down_shexp.weight", big, (E, sf), lambda: mat(E, sf))
                if arch != "ernie4_5-moe":  # ERNIE's shared expert has no gate
                    add_t(p + "ffn_gate_inp_shexp.weight", T_F32, (1, E), lambda: mat(1, E))
    for il in range(a.layers, a.layers + a.nextn):  # the MTP head's own tensors (llama.cpp loads them)
        p = "blk.%d.nextn." % il
        add_t(p + "eh_proj.weight", wt, (E, 2 * E), lambda: mat(E, 2 * E))
        add_t(p + "enorm.weight", T_F32, (E,), lambda: norm(E))
        add_t(p + "hnorm.weight", T_F32, (E,), lambda: norm(E))
    for name in a.bias_tensor:
        add_t(name, T_F32, (E,), lambda: np.zeros(E, dtype=np.float32))
    for i in range(a.extra_tensors):
        name = "extra.%d" % (0 if a.duplicate_last and i == a.extra_tensors - 1 else i)
        add_t(name, T_F32, (1,), lambda: np.ones(1, dtype=np.float32))
    for spec in a.set:
        key, tv = spec.split("=", 1)
        vtype, val = tv.split(":", 1)
        val = float(val) if vtype in ("f32", "f64") else (val if vtype == "str" else int(val))
        w.kv = [kv for kv in w.kv if kv[0] != key]
        w.add(key, vtype, val)
    w.kv = [kv for kv in w.kv if kv[0] not in a.unset]
    w.write(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
