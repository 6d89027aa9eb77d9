#!/usr/bin/env python3
"""ref_forward.py: an independent numpy reference for the engine's tests. Reads a GGUF file with
its own parser, dequantises every tensor from the block layouts, and runs the forward pass in
float64 for qwen2 / qwen3 / qwen3moe / qwen2moe / olmoe / llama / granite / granitemoe / deepseek2 /
phi3 / gemma / gemma2 / gemma3 / olmo2 / exaone4 / glm4 / smollm3 / ernie4_5 / ernie4_5-moe / hunyuan-dense / gpt-oss. Also a reference byte-level BPE tokenizer whose
pre-tokenizer is Python's `re` with Unicode classes built from unicodedata.

  ref_forward.py logits MODEL TOKENS OUT [ACT] TOKENS "1,2,3"; OUT gets float32: per-layer
                                              residual of the last position (n_layer, n_embd),
                                              then the last position's logits (n_vocab); ACT
                                              rounds the input of every quantised-weight product
                                              as an engine does (see act_round): llmbo or ggml
  ref_forward.py greedy MODEL TOKENS N        prints N greedily generated ids
  ref_forward.py dequant TYPE IN OUT         float64 values of IN's blocks of ggml type TYPE
  ref_forward.py tokenize MODEL FILE          prints the ids of FILE's UTF-8 text (one line per
                                              NUL-separated text; specials parsed)
"""
import os
import re
import struct
import sys
import unicodedata

import numpy as np


# ------------------------------------------------------------------------------------------------
# GGUF reading
# ------------------------------------------------------------------------------------------------

SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<B", 10: "<Q",
          11: "<q", 12: "<d"}
BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 12: (256, 144), 14: (256, 210),
         3: (32, 20), 6: (32, 22), 7: (32, 24), 10: (256, 84), 11: (256, 110), 13: (256, 176),
         20: (32, 18), 23: (256, 136), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50),
         21: (256, 110), 22: (256, 82), 29: (256, 56), 39: (32, 17)}
IQ_K_TYPES = (16, 17, 18, 19, 21, 22, 29)
IQ4_LEVELS = np.array([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113],
                      dtype=np.float64)


class Gguf:
    def __init__(self, path):
        self.buf = open(path, "rb").read()
        self.pos = 0
        magic, version, nt, nkv = struct.unpack_from("<4sIQQ", self.buf, 0)
        assert magic == b"GGUF" and version in (2, 3)
        self.pos = 24
        self.kv = {}
        for _ in range(nkv):
            k = self.str()
            t = self.u("<I")
            self.kv[k] = self.val(t)
        infos = []
        for _ in range(nt):
            name = self.str()
            nd = self.u("<I")
            ne = [self.u("<Q") for _ in range(nd)]
            t = self.u("<I")
            off = self.u("<Q")
            infos.append((name, ne, t, off))
        align = self.kv.get("general.alignment", 32)
        data = self.pos + (-self.pos) % align
        self.tensors = {}
        for name, ne, t, off in infos:
            blk, nb = BLOCK[t]
            n = int(np.prod(ne))
            raw = self.buf[data + off:data + off + n // blk * nb]
            self.tensors[name] = (ne, t, raw)

    def u(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def str(self):
        n = self.u("<Q")
        s = self.buf[self.pos:self.pos + n].decode("utf-8", errors="surrogateescape")
        self.pos += n
        return s

    def val(self, t):
        if t == 8:
            return self.str()
        if t == 9:
            et = self.u("<I")
            n = self.u("<Q")
            return [self.val(et) for _ in range(n)]
        return self.u(SCALAR[t])

    def get(self, name):
        """Tensor as float64 with numpy shape ne[::-1]."""
        ne, t, raw = self.tensors[name]
        return dequant(raw, t).reshape(ne[::-1])

    def has(self, name):
        return name in self.tensors


def f16(raw):
    return np.frombuffer(raw, dtype=np.float16).astype(np.float64)


def dequant(raw, t):
    b = np.frombuffer(raw, dtype=np.uint8)
    if t == 0:
        return np.frombuffer(raw, dtype=np.float32).astype(np.float64)
    if t == 1:
        return f16(raw)
    if t == 30:
        u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        return u.view(np.float32).astype(np.float64)
    if t == 39:  # MXFP4 from the OCP Microscaling spec v1.0: E2M1 codes times 2^(e - 127)
        b = b.reshape(-1, 17)
        codes = nibbles(b[:, 1:].astype(np.int64))
        sign = np.where(codes & 8, -1.0, 1.0)
        ex, man = (codes >> 1) & 3, (codes & 1).astype(np.float64)
        mag = np.where(ex == 0, 0.5 * man, np.exp2(ex - 1.0) * (1.0 + 0.5 * man))
        scale = np.exp2(b[:, 0].astype(np.float64) - 127.0)
        return (scale[:, None] * sign * mag).reshape(-1)
    if t == 8:
        b = b.reshape(-1, 34)
        d = f16(b[:, :2].tobytes())
        q = b[:, 2:].view(np.int8).astype(np.float64)
        return (d[:, None] * q).reshape(-1)
    if t == 2:
        b = b.reshape(-1, 18)
        d = f16(b[:, :2].tobytes())
        qs = b[:, 2:].astype(np.int64)
        q = np.concatenate([(qs & 15) - 8, (qs >> 4) - 8], axis=1).astype(np.float64)
        return (d[:, None] * q).reshape(-1)
    if t == 12:
        b = b.reshape(-1, 144)
        d = f16(b[:, 0:2].tobytes())
        dmin = f16(b[:, 2:4].tobytes())
        s = b[:, 4:16].astype(np.int64)
        sc = np.zeros((b.shape[0], 8), dtype=np.int64)
        mn = np.zeros((b.shape[0], 8), dtype=np.int64)
        for j in range(8):
            if j < 4:
                sc[:, j] = s[:, j] & 63
                mn[:, j] = s[:, j + 4] & 63
            else:
                sc[:, j] = (s[:, j + 4] & 15) | ((s[:, j - 4] >> 6) << 4)
                mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
        qs = b[:, 16:].astype(np.int64).reshape(-1, 4, 32)
        q = np.stack([qs & 15, qs >> 4], axis=2).reshape(-1, 8, 32)  # sub-block 2c: low, 2c+1: high
        y = d[:, None, None] * sc[:, :, None] * q - dmin[:, None, None] * mn[:, :, None]
        return y.reshape(-1)
    if t == 14:
        b = b.reshape(-1, 210)
        ql = b[:, 0:128].astype(np.int64)
        qh = b[:, 128:192].astype(np.int64)
        sc = b[:, 192:208].view(np.int8).astype(np.float64)
        d = f16(b[:, 208:210].tobytes())
        q = np.zeros((b.shape[0], 256), dtype=np.int64)
        for h in range(2):
            L = ql[:, 64 * h:64 * h + 64]
            Hb = qh[:, 32 * h:32 * h + 32]
            q[:, 128 * h + 0:128 * h + 32] = (L[:, :32] & 15) | ((Hb & 3) << 4)
            q[:, 128 * h + 32:128 * h + 64] = (L[:, 32:] & 15) | (((Hb >> 2) & 3) << 4)
            q[:, 128 * h + 64:128 * h + 96] = (L[:, :32] >> 4) | (((Hb >> 4) & 3) << 4)
            q[:, 128 * h + 96:128 * h + 128] = (L[:, 32:] >> 4) | (((Hb >> 6) & 3) << 4)
        y = d[:, None] * np.repeat(sc, 16, axis=1) * (q - 32)
        return y.reshape(-1)
    return dequant_more(b, t)


def act_round(x, act, wtype):
    """The input x (..., n) of a product with weights of ggml type wtype, rounded to 8 bits as an
    engine does before its integer dot products (float weights take x as it is). llmbo
    (llm/engine/quant.h, llmbo_q8a): blocks of 32, d = max|x| / 127 in float32, q = x * (1/d)
    rounded half to even, in blocks of 256 (llmbo_q8k) for the K-quant and IQ4_XS weights. ggml
    (llama.cpp's CPU backend, ggml-quants.c): K-quant and IQ4_XS weights take Q8_K, blocks of 256,
    d = -max / 127 with max the element of largest magnitude,
    q = min(127, round(x / d)); the other quantised types take Q8_0, blocks of 32 like llmbo's but
    with d stored as float16. Returns d * q in float64: the engine's arithmetic up to the order of
    its float sums, so a difference larger than that is the engine's own error, not rounding.
    """
    if act is None or wtype in (0, 1, 30):
        return x
    ktype = wtype in (10, 11, 12, 13, 14, 23) + IQ_K_TYPES
    k256 = act == "ggml" and ktype
    blk = 256 if ktype else 32
    xs = np.asarray(x, dtype=np.float64).astype(np.float32).reshape(-1, blk)
    if k256:
        mx = xs[np.arange(len(xs)), np.abs(xs).argmax(axis=1)]
        iscale = np.float32(-127.0) / np.where(mx != 0, mx, np.float32(1))
        iscale = np.where(mx != 0, iscale, np.float32(0)).astype(np.float32)
        q = np.minimum(127.0, np.rint(iscale[:, None] * xs))
        d = np.float32(1.0) / np.where(iscale != 0, iscale, np.float32(1))
        d = np.where(iscale != 0, d, np.float32(0)).astype(np.float64)
    else:
        d32 = (np.abs(xs).max(axis=1) / np.float32(127.0)).astype(np.float32)
        inv = np.float32(1.0) / np.where(d32 > 0, d32, np.float32(1))
        inv = np.where(d32 > 0, inv, np.float32(0)).astype(np.float32)
        q = np.rint(xs * inv[:, None])
        d = d32.astype(np.float16 if act == "ggml" else np.float32).astype(np.float64)
    return (q * d[:, None]).reshape(np.shape(x))


def nibbles(qs):
    """(blocks, 16) bytes -> (blocks, 32): low nibbles are elements 0-15, high nibbles 16-31."""
    return np.concatenate([qs & 15, qs >> 4], axis=1)


def bits_le(b):
    """(blocks, k) bytes -> (blocks, 8k) bits, little-endian within each byte."""
    return ((b[:, :, None] >> np.arange(8)[None, None, :]) & 1).reshape(b.shape[0], -1)


def dequant_more(b, t):
    """Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K, IQ4_NL, IQ4_XS, written from ggml's dequantize_row_*
    loops (ggml-quants.c), element by element in their order."""
    blk, nb = BLOCK[t]
    b = b.reshape(-1, nb)
    n = b.shape[0]
    i64 = b.astype(np.int64)
    if t == 3:
        d, m = f16(b[:, 0:2].tobytes()), f16(b[:, 2:4].tobytes())
        return (d[:, None] * nibbles(i64[:, 4:20]) + m[:, None]).reshape(-1)
    if t in (6, 7):
        o = 2 if t == 7 else 0
        d = f16(b[:, 0:2].tobytes())
        qh = bits_le(b[:, 2 + o:6 + o]).astype(np.int64)  # bit j of the u32 = element j's 5th bit
        q = nibbles(i64[:, 6 + o:22 + o]) | (qh << 4)
        if t == 6:
            return (d[:, None] * (q - 16)).reshape(-1)
        m = f16(b[:, 2:4].tobytes())
        return (d[:, None] * q + m[:, None]).reshape(-1)
    if t == 20:
        d = f16(b[:, 0:2].tobytes())
        return (d[:, None] * IQ4_LEVELS[nibbles(i64[:, 2:18])]).reshape(-1)
    y = np.zeros((n, 256))
    if t == 10:
        sc, qs = i64[:, 0:16], i64[:, 16:80]
        d, dmin = f16(b[:, 80:82].tobytes()), f16(b[:, 82:84].tobytes())
        k, i = 0, 0
        for half in range(2):
            q = qs[:, 32 * half:32 * half + 32]
            for shift in (0, 2, 4, 6):
                for part in (q[:, :16], q[:, 16:]):
                    dl = d * (sc[:, i] & 15)
                    ml = dmin * (sc[:, i] >> 4)
                    y[:, k:k + 16] = dl[:, None] * ((part >> shift) & 3) - ml[:, None]
                    k, i = k + 16, i + 1
        return y.reshape(-1)
    if t == 11:
        hm, qs, raw = i64[:, 0:32], i64[:, 32:96], b[:, 96:108]
        d = f16(b[:, 108:110].tobytes())
        aux = raw.copy().view("<u4").astype(np.uint64)  # (n, 3)
        km1, km2 = 0x03030303, 0x0F0F0F0F
        tmp = aux[:, 2]
        a = np.stack([(aux[:, 0] & km2) | (((tmp >> 0) & km1) << 4),
                      (aux[:, 1] & km2) | (((tmp >> 2) & km1) << 4),
                      ((aux[:, 0] >> 4) & km2) | (((tmp >> 4) & km1) << 4),
                      ((aux[:, 1] >> 4) & km2) | (((tmp >> 6) & km1) << 4)], axis=1)
        scales = a.astype("<u4").view(np.int8).astype(np.int64).reshape(n, 16) - 32
        k, i, mbit = 0, 0, 1
        for half in range(2):
            q = qs[:, 32 * half:32 * half + 32]
            for shift in (0, 2, 4, 6):
                for lo in (0, 16):
                    dl = d * scales[:, i]
                    v = ((q[:, lo:lo + 16] >> shift) & 3) - np.where(hm[:, lo:lo + 16] & mbit, 0, 4)
                    y[:, k:k + 16] = dl[:, None] * v
                    k, i = k + 16, i + 1
                mbit <<= 1
        return y.reshape(-1)
    if t == 13:
        d, dmin = f16(b[:, 0:2].tobytes()), f16(b[:, 2:4].tobytes())
        s, qh, ql = i64[:, 4:16], i64[:, 16:48], i64[:, 48:176]

        def scale_min(j):
            if j < 4:
                return s[:, j] & 63, s[:, j + 4] & 63
            return (s[:, j + 4] & 15) | ((s[:, j - 4] >> 6) << 4), \
                (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
        k, u1, u2 = 0, 1, 2
        for j in range(0, 8, 2):
            q = ql[:, 16 * j:16 * j + 32]
            sc1, m1 = scale_min(j)
            sc2, m2 = scale_min(j + 1)
            y[:, k:k + 32] = (d * sc1)[:, None] * ((q & 15) + np.where(qh & u1, 16, 0)) - \
                (dmin * m1)[:, None]
            y[:, k + 32:k + 64] = (d * sc2)[:, None] * ((q >> 4) + np.where(qh & u2, 16, 0)) - \
                (dmin * m2)[:, None]
            k, u1, u2 = k + 64, u1 << 2, u2 << 2
        return y.reshape(-1)
    if t == 23:
        d = f16(b[:, 0:2].tobytes())
        sh = i64[:, 2] | (i64[:, 3] << 8)
        sl, qs = i64[:, 4:8], i64[:, 8:136]
        for ib in range(8):
            ls = ((sl[:, ib // 2] >> (4 * (ib % 2))) & 15) | (((sh >> (2 * ib)) & 3) << 4)
            y[:, 32 * ib:32 * ib + 32] = (d * (ls - 32))[:, None] * \
                IQ4_LEVELS[nibbles(qs[:, 16 * ib:16 * ib + 16])]
        return y.reshape(-1)
    if t in IQ_K_TYPES:
        return dequant_iq(b, t)
    raise ValueError("type %d" % t)


_GRIDS = {}


def iq_grid(name, width, values, bits):
    """Codebook name of the IQ1/IQ2/IQ3 types as an (entries, width) array of values: the codes of
    llm/engine/iq_grids.c (generated from ggml-common.h; test_quant checks them against
    llama.cpp's own dequantisation), decoded here on their own."""
    if name not in _GRIDS:
        import os
        import re
        src = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "llm", "engine",
                                "iq_grids.c")).read()
        body = re.search(name + r"\[\d+\] = \{(.*?)\};", src, re.S).group(1)
        codes = np.array([int(v, 16) for v in re.findall(r"0x[0-9a-f]+", body)], dtype=np.int64)
        idx = (codes[:, None] >> (bits * np.arange(width))[None, :]) & ((1 << bits) - 1)
        _GRIDS[name] = np.asarray(values, dtype=np.float64)[idx]
    return _GRIDS[name]


def signs8(bits8):
    """(...) integers -> (..., 8) of +1/-1, bit j set meaning element j negative."""
    return np.where((np.asarray(bits8)[..., None] >> np.arange(8)) & 1, -1.0, 1.0)


def signs7(s7):
    """A 7-bit sign field: the eighth sign makes the number of minus signs even."""
    s7 = np.asarray(s7, dtype=np.int64)
    par = np.zeros_like(s7)
    for j in range(7):
        par ^= (s7 >> j) & 1
    return s7 | (par << 7)


def dequant_iq(b, t):
    """IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M, written from ggml's
    dequantize_row_iq* loops (ggml-quants.c): (blocks, bytes) uint8 -> (blocks * 256,)."""
    i64 = b.astype(np.int64)
    n = b.shape[0]
    y = np.zeros((n, 256))
    g2 = None
    if t in (16, 17, 22):
        g2 = iq_grid({16: "llmbo_iq2xxs_codes", 17: "llmbo_iq2xs_codes", 22: "llmbo_iq2s_codes"}[t],
                     8, [8, 25, 43], 2)
    d = f16(b[:, 0:2].tobytes()) if t != 29 else None
    for ib in range(8):
        for l in range(4):
            e = slice(32 * ib + 8 * l, 32 * ib + 8 * l + 8)
            if t == 16:
                q = i64[:, 2 + 8 * ib:10 + 8 * ib]
                aux = q[:, 4] | (q[:, 5] << 8) | (q[:, 6] << 16) | (q[:, 7] << 24)
                db = d * (0.5 + (aux >> 28)) * 0.25
                y[:, e] = db[:, None] * g2[q[:, l]] * signs8(signs7((aux >> (7 * l)) & 127))
            elif t == 17:
                v = i64[:, 2 + 8 * ib + 2 * l] | (i64[:, 3 + 8 * ib + 2 * l] << 8)
                sc = i64[:, 66 + ib]
                db = d * (0.5 + ((sc >> (4 * (l // 2))) & 15)) * 0.25
                y[:, e] = db[:, None] * g2[v & 511] * signs8(signs7(v >> 9))
            elif t == 22:
                qh = i64[:, 66 + ib]
                idx = i64[:, 2 + 4 * ib + l] | ((qh << (8 - 2 * l)) & 0x300)
                sc = i64[:, 74 + ib]
                db = d * (0.5 + ((sc >> (4 * (l // 2))) & 15)) * 0.25
                y[:, e] = db[:, None] * g2[idx] * signs8(i64[:, 34 + 4 * ib + l])
            elif t == 18:
                g3 = iq_grid("llmbo_iq3xxs_codes", 4, [4, 12, 20, 28, 36, 44, 52, 62], 3)
                a = i64[:, 66 + 4 * ib:70 + 4 * ib]
                aux = a[:, 0] | (a[:, 1] << 8) | (a[:, 2] << 16) | (a[:, 3] << 24)
                db = d * (0.5 + (aux >> 28)) * 0.5
                g = np.concatenate([g3[i64[:, 2 + 8 * ib + 2 * l]],
                                    g3[i64[:, 3 + 8 * ib + 2 * l]]], axis=1)
                y[:, e] = db[:, None] * g * signs8(signs7((aux >> (7 * l)) & 127))
            elif t == 21:
                g3 = iq_grid("llmbo_iq3s_codes", 4, [1, 3, 5, 7, 9, 11, 13, 15], 3)
                qh = i64[:, 66 + ib]
                i1 = i64[:, 2 + 8 * ib + 2 * l] | ((qh << (8 - 2 * l)) & 256)
                i2 = i64[:, 3 + 8 * ib + 2 * l] | ((qh << (7 - 2 * l)) & 256)
                db = d * (1 + 2 * ((i64[:, 106 + ib // 2] >> (4 * (ib % 2))) & 15))
                g = np.concatenate([g3[i1], g3[i2]], axis=1)
                y[:, e] = db[:, None] * g * signs8(i64[:, 74 + 4 * ib + l])
            elif t == 19:
                g1 = iq_grid("llmbo_iq1s_codes", 8, [-1, 0, 1], 2)
                qh = i64[:, 34 + 2 * ib] | (i64[:, 35 + 2 * ib] << 8)
                dl = d * (2 * ((qh >> 12) & 7) + 1)
                delta = np.where(qh & 0x8000, -0.125, 0.125)
                idx = i64[:, 2 + 4 * ib + l] | (((qh >> (3 * l)) & 7) << 8)
                y[:, e] = dl[:, None] * (g1[idx] + delta[:, None])
            elif t == 29:
                g1 = iq_grid("llmbo_iq1s_codes", 8, [-1, 0, 1], 2)
                sc = [i64[:, 48 + 2 * k] | (i64[:, 49 + 2 * k] << 8) for k in range(4)]
                dh = (sc[0] >> 12) | ((sc[1] >> 8) & 0xf0) | ((sc[2] >> 4) & 0xf00) | \
                    (sc[3] & 0xf000)
                dd = f16(dh.astype(np.uint16).tobytes())
                h = i64[:, 32 + 2 * ib + l // 2] >> (4 * (l % 2))
                idx = i64[:, 4 * ib + l] | ((h & 7) << 8)
                delta = np.where(h & 8, -0.125, 0.125)
                s = (sc[ib // 2] >> (6 * (ib % 2) + 3 * (l // 2))) & 7
                dl = dd * (2 * s + 1)
                y[:, e] = dl[:, None] * (g1[idx] + delta[:, None])
    return y.reshape(-1)


# ------------------------------------------------------------------------------------------------
# Forward pass (float64)
# ------------------------------------------------------------------------------------------------

class Model:
    def __init__(self, path, act=None):
        g = self.g = Gguf(path)
        self.act = act  # None (float64 activations) or an engine's rounding (act_round)
        a = self.arch = g.kv["general.architecture"]
        kv = g.kv
        self.E = kv[a + ".embedding_length"]
        # multi-token-prediction layers come last and are not run (as llama.cpp)
        self.L = kv[a + ".block_count"] - kv.get(a + ".nextn_predict_layers", 0)
        self.H = kv[a + ".attention.head_count"]
        self.KV = kv.get(a + ".attention.head_count_kv", self.H)
        self.hd = kv.get(a + ".attention.key_length", self.E // self.H)
        self.base = kv.get(a + ".rope.freq_base", 10000.0)
        alpha = kv.get(a + ".rope.scaling.alpha", 0.0) if a == "hunyuan-dense" else 0.0
        if alpha > 0:  # Hunyuan's NTK-aware base
            self.base = self.base * alpha ** (self.hd / (self.hd - 2.0))
        self.eps = kv.get(a + ".attention.layer_norm_rms_epsilon", 1e-6)
        self.X = kv.get(a + ".expert_count", 0)
        self.K = kv.get(a + ".expert_used_count", 0)
        self.renorm = kv.get(a + ".expert_weights_norm", a in ("qwen3moe", "llama", "granitemoe",
                                                                 "ernie4_5-moe"))
        # adjacent pairs (2i, 2i+1); the others: NEOX
        self.rope_norm = a in ("llama", "granite", "granitemoe", "deepseek2", "smollm3", "glm4",
                              "ernie4_5", "ernie4_5-moe")
        # DeepSeek's MoE keys (defaults: the other architectures' routing)
        self.dense_lead = kv.get(a + ".leading_dense_block_count", 0)
        # ERNIE 4.5 MoE: experts on every moe_step-th layer after the leading dense ones
        self.moe_step = kv.get(a + ".interleave_moe_layer_step", 1)
        self.gating = kv.get(a + ".expert_gating_func", 1) or 1
        self.w_scale = kv.get(a + ".expert_weights_scale", 0.0) or 1.0
        self.groups = kv.get(a + ".expert_group_count", 0)
        self.groups_used = kv.get(a + ".expert_group_used_count", 0)
        # Multi-head latent attention: the naive form (K and V expanded per head from the latent)
        self.mla = a == "deepseek2"
        self.rot = kv.get(a + ".rope.dimension_count", self.hd)
        if self.mla:
            self.R = kv[a + ".attention.kv_lora_rank"]
            self.hd = kv[a + ".attention.key_length_mla"]
            self.vd = kv[a + ".attention.value_length_mla"]
        # RoPE scaling, as llama.cpp (d32676d) applies it: YaRN's ramp between the correction
        # dimensions of beta_fast 32 / beta_slow 1, cos/sin magnitude 1 + 0.1 ln(factor); for
        # deepseek2 the magnitude goes into the softmax scale instead (mscale_all_dim).
        stype = kv.get(a + ".rope.scaling.type", "linear")
        self.factor = kv.get(a + ".rope.scaling.factor", 0.0) or 1.0
        if stype == "none":
            self.factor = 1.0
        self.yarn = stype == "yarn"
        self.orig_ctx = kv.get(a + ".rope.scaling.original_context_length",
                               kv.get(a + ".context_length", 4096))
        lnf = np.log(self.factor)
        self.rope_mag = 1.0 + 0.1 * lnf if self.yarn else 1.0
        self.kq_scale = None
        if self.mla:
            mall = kv.get(a + ".rope.scaling.yarn_log_multiplier", 0.0) / 0.1
            if self.yarn:
                self.rope_mag = 1.0  # get_mscale(f, mscale) / get_mscale(f, mscale_all_dim) = 1
            # HF: softmax scale = mscale^2 / sqrt(q head size), mscale = 1 + 0.1 mscale_all_dim
            # ln(factor); llama.cpp without YaRN (linear) also folds 1 + 0.1 ln(factor) in
            m = (1.0 if self.yarn else 1.0 + 0.1 * lnf) * (1.0 + 0.1 * mall * lnf)
            self.kq_scale = m * m / np.sqrt(self.hd)
        # Granite's multipliers (llama.cpp applies them only for the granite architectures)
        gr = a in ("granite", "granitemoe")
        self.embd_scale = kv.get(a + ".embedding_scale", 1.0) if gr else 1.0
        self.resid_scale = kv.get(a + ".residual_scale", 1.0) if gr else 1.0
        self.att_scale = kv.get(a + ".attention.scale", 0.0) if gr else 0.0
        self.logit_scale = kv[a + ".logit_scale"] if gr else 1.0
        self.freqs = g.get("rope_freqs.weight") if g.has("rope_freqs.weight") else None
        # Phi-3's LongRoPE: the long factors when the run's context exceeds the original one (as
        # llama.cpp); the run's context is the engine tests' 64 unless LLMBO_REF_N_CTX says
        n_ctx = int(os.environ.get("LLMBO_REF_N_CTX", "64"))
        if self.freqs is None:
            which = "long" if n_ctx > self.orig_ctx else "short"
            name = "rope_factors_%s.weight" % which
            self.freqs = g.get(name) if g.has(name) else None
        self.rope_mag *= kv.get(a + ".rope.scaling.attn_factor", 1.0)
        # Gemma 3: embeddings times sqrt(E), GELU (tanh form), post norms, sliding-window layers
        # with their own RoPE base (llama.cpp's gemma3 graph)
        # (Gemma 2: llama.cpp's defaults window 4096 every second layer, the global RoPE there,
        # attention scores capped at 50 and logits at 30)
        self.gemma = a in ("gemma", "gemma2", "gemma3")
        g2 = a == "gemma2"
        self.att_softcap = 0.0
        if self.gemma:
            self.embd_scale = np.sqrt(self.E)
            self.n_swa = kv.get(a + ".attention.sliding_window", 4096 if g2 else 0)
            self.swa_period = kv.get(a + ".attention.sliding_window_pattern", 2 if g2 else 6)
            self.base_swa = kv.get(a + ".rope.freq_base_swa", self.base if g2 else 10000.0)
            self.softcap = kv.get(a + ".final_logit_softcapping", 30.0 if g2 else 0.0)
            if g2:
                self.att_softcap = kv.get(a + ".attn_logit_softcapping", 50.0)
        # OLMo 2 / Olmo 3 (llama.cpp's olmo2 graph): a window when the file names one, every
        # sliding_window_pattern-th layer (4 by default) global, the others at the global base
        # without RoPE scaling or magnitude
        self.olmo2 = a == "olmo2"
        if self.olmo2:
            self.n_swa = kv.get(a + ".attention.sliding_window", 0)
            self.swa_period = kv.get(a + ".attention.sliding_window_pattern", 4)
            self.base_swa = self.base
        # EXAONE 4 (llama.cpp's exaone4 graph): a window only with 64 layers (4096 unless the file
        # says, every 4th layer global), the sliding layers with the global RoPE, the global
        # layers without RoPE
        self.exaone4 = a == "exaone4"
        if self.exaone4:
            big = kv[a + ".block_count"] == 64
            self.n_swa = kv.get(a + ".attention.sliding_window", 4096) if big else 0
            self.swa_period = kv.get(a + ".attention.sliding_window_pattern", 4)
        # gpt-oss (llama.cpp's openai-moe graph): every second layer (il even) slides over
        # attention.sliding_window positions with the same RoPE as the others; per-head attention
        # sinks; biases on attn_output, the router and the experts; softmax over the selected
        # router logits; clamped SwiGLU (alpha 1.702, limit 7); the FFN's norm is stored as
        # post_attention_norm
        self.oai = a == "gpt-oss"
        if self.oai:
            self.n_swa = kv[a + ".attention.sliding_window"]
            self.swa_period = kv.get(a + ".attention.sliding_window_pattern", 2)
        # SmolLM3: layers il with (il + 1) % 4 == 0 have no RoPE
        self.nope_step = 4 if a == "smollm3" else 0
        self.emb = g.get("token_embd.weight")
        self.out = g.get("output.weight") if g.has("output.weight") else self.emb
        self.onorm = g.get("output_norm.weight")
        self.layers = []
        for il in range(self.L):
            p = "blk.%d." % il
            self.layers.append({k[len(p):]: g.get(k) for k in g.tensors if k.startswith(p)})
        if act is not None and self.mla:
            raise SystemExit("activation rounding is not modelled for deepseek2 (the engine "
                             "multiplies in the absorbed form)")

    def r(self, x, il, name):
        """x rounded for a product with tensor name of layer il (il < 0: a global tensor)."""
        if self.act is None:
            return x
        key = name if il < 0 else "blk.%d.%s" % (il, name)
        return act_round(x, self.act, self.g.tensors[key][1])

    def mm(self, x, lw, il, name):
        return self.r(x, il, name) @ lw[name].T

    def rms(self, x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps) * w

    def is_swa(self, il):
        if not (self.gemma or self.olmo2 or self.exaone4 or self.oai) or self.n_swa <= 0:
            return False
        p = self.swa_period
        return p == 0 or il % p < p - 1

    def rope(self, x, pos, swa=False):
        # NEOX layout: dimension i pairs with i + hd/2; llama's: 2i with 2i+1. x: (T, heads, hd)
        hd = self.rot
        if x.shape[-1] > hd:  # partial rotary embeddings: the rest of each head passes through
            return np.concatenate([self.rope(x[..., :hd], pos, swa), x[..., hd:]], axis=-1)
        if swa:  # Gemma's sliding layers: their own base; Gemma 3 without scaling
            inv = self.base_swa ** (-np.arange(0, hd // 2) * 2.0 / hd)
            ang = np.asarray(pos, dtype=np.float64)[:, None] * inv[None, :]
            if self.arch == "gemma2":
                ang = ang / self.factor
            mag = 1.0 if self.olmo2 else self.rope_mag
            c = np.cos(ang)[:, None, :] * mag
            s = np.sin(ang)[:, None, :] * mag
            a, b = x[..., :hd // 2], x[..., hd // 2:]
            return np.concatenate([a * c - b * s, a * s + b * c], axis=-1)
        inv = self.base ** (-np.arange(0, hd // 2) * 2.0 / hd)
        if self.freqs is not None:
            inv = inv / self.freqs
        ext = np.asarray(pos, dtype=np.float64)[:, None] * inv[None, :]
        ang = ext / self.factor
        if self.yarn:
            def corr(rot):
                return hd * np.log(self.orig_ctx / (rot * 2 * np.pi)) / (2 * np.log(self.base))
            lo, hi = max(0.0, np.floor(corr(32.0))), min(hd - 1.0, np.ceil(corr(1.0)))
            y = (np.arange(hd // 2) - lo) / max(0.001, hi - lo)
            mix = 1.0 - np.clip(y, 0.0, 1.0)
            ang = ang * (1 - mix) + ext * mix
        c = np.cos(ang)[:, None, :] * self.rope_mag
        s = np.sin(ang)[:, None, :] * self.rope_mag
        if self.rope_norm:
            a, b = x[..., 0::2], x[..., 1::2]
            out = np.empty_like(x)
            out[..., 0::2] = a * c - b * s
            out[..., 1::2] = a * s + b * c
            return out
        a, b = x[..., :hd // 2], x[..., hd // 2:]
        return np.concatenate([a * c - b * s, a * s + b * c], axis=-1)

    def forward(self, toks):
        T = len(toks)
        x = self.emb[np.asarray(toks)] * self.embd_scale
        hidden = []
        for il, lw in enumerate(self.layers):
            h = self.rms(x, lw["attn_norm.weight"]) if "attn_norm.weight" in lw else x
            if self.mla:
                o = self.mla_attention(h, lw)
                x = x + o @ lw["attn_output.weight"].T
                h = self.rms(x, lw["ffn_norm.weight"])
                if il < self.dense_lead:
                    f = silu(h @ lw["ffn_gate.weight"].T) * (h @ lw["ffn_up.weight"].T)
                    x = x + f @ lw["ffn_down.weight"].T
                else:
                    x = x + self.moe(h, lw, il)
                hidden.append(x[-1].copy())
                continue
            if "attn_qkv.weight" in lw:  # Phi-3: one product, then q, k, v
                qkv = self.mm(h, lw, il, "attn_qkv.weight")
                nq, nk = self.H * self.hd, self.KV * self.hd
                q, k, v = qkv[:, :nq], qkv[:, nq:nq + nk], qkv[:, nq + nk:]
            else:
                q = self.mm(h, lw, il, "attn_q.weight")
                k = self.mm(h, lw, il, "attn_k.weight")
                v = self.mm(h, lw, il, "attn_v.weight")
            if "attn_qkv.bias" in lw:  # biases of the fused projection
                nq, nk = self.H * self.hd, self.KV * self.hd
                bb = lw["attn_qkv.bias"]
                q, k, v = q + bb[:nq], k + bb[nq:nq + nk], v + bb[nq + nk:]
            for name, t in (("attn_q.bias", 0), ("attn_k.bias", 1), ("attn_v.bias", 2)):
                if name in lw:  # any architecture's file may have them (llama.cpp applies them)
                    if t == 0:
                        q = q + lw[name]
                    elif t == 1:
                        k = k + lw[name]
                    else:
                        v = v + lw[name]
            if self.arch in ("olmoe", "olmo2"):
                q = self.rms(q, lw["attn_q_norm.weight"])
                k = self.rms(k, lw["attn_k_norm.weight"])
            q = q.reshape(T, self.H, self.hd)
            k = k.reshape(T, self.KV, self.hd)
            v = v.reshape(T, self.KV, self.hd)
            if self.arch in ("qwen3", "qwen3moe", "gemma3", "exaone4"):
                q = self.rms(q, lw["attn_q_norm.weight"])
                k = self.rms(k, lw["attn_k_norm.weight"])
            pos = np.arange(T)
            swa = self.is_swa(il)
            if self.exaone4:  # RoPE (the global one) on the sliding layers only, if any
                if swa or self.n_swa <= 0:
                    q, k = self.rope(q, pos), self.rope(k, pos)
            elif self.oai:  # the sliding layers at the global RoPE
                q, k = self.rope(q, pos), self.rope(k, pos)
            elif not (self.nope_step and (il + 1) % self.nope_step == 0):
                q, k = self.rope(q, pos, swa), self.rope(k, pos, swa)
            if self.arch == "hunyuan-dense":  # QK-norm per head, after RoPE
                q = self.rms(q, lw["attn_q_norm.weight"])
                k = self.rms(k, lw["attn_k_norm.weight"])
            g = self.H // self.KV
            k = np.repeat(k, g, axis=1)
            v = np.repeat(v, g, axis=1)
            s = np.einsum("thd,shd->hts", q, k) * (self.att_scale or 1.0 / np.sqrt(self.hd))
            if self.att_softcap:  # Gemma 2
                s = self.att_softcap * np.tanh(s / self.att_softcap)
            s = s + np.triu(np.full((T, T), -np.inf), 1)[None]
            if swa:  # query t sees keys p > t - n_swa
                s = s + np.tril(np.full((T, T), -np.inf), -self.n_swa)[None]
            if "attn_sinks.weight" in lw:  # a key-less logit per head, in the denominator only
                sink = np.broadcast_to(lw["attn_sinks.weight"][:, None, None], (self.H, T, 1))
                s = np.concatenate([s, sink], axis=-1)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            s = s[..., :T]
            o = np.einsum("hts,shd->thd", s, v).reshape(T, self.H * self.hd)
            ao = self.mm(o, lw, il, "attn_output.weight")
            if "attn_output.bias" in lw:
                ao = ao + lw["attn_output.bias"]
            if self.oai:  # post_attention_norm is the FFN's pre-norm
                x = x + ao
                x = x + self.moe(self.rms(x, lw["post_attention_norm.weight"]), lw, il)
                hidden.append(x[-1].copy())
                continue
            if "post_attention_norm.weight" in lw:
                ao = self.rms(ao, lw["post_attention_norm.weight"])
            x = x + self.resid_scale * ao
            h = self.rms(x, lw["ffn_norm.weight"]) if "ffn_norm.weight" in lw else x
            if self.X == 0 and "ffn_gate.weight" not in lw:  # Phi-3: gate and up in ffn_up
                gu = self.mm(h, lw, il, "ffn_up.weight")
                n = gu.shape[-1] // 2
                f = silu(gu[:, :n]) * gu[:, n:]
                fo = self.mm(f, lw, il, "ffn_down.weight")
                if "post_ffw_norm.weight" in lw:  # GLM-4
                    fo = self.rms(fo, lw["post_ffw_norm.weight"])
                x = x + self.resid_scale * fo
            elif self.X == 0 or il < self.dense_lead or (il + 1) % self.moe_step != 0:
                act = gelu if self.gemma else silu
                f = act(self.mm(h, lw, il, "ffn_gate.weight")) * self.mm(h, lw, il, "ffn_up.weight")
                fo = self.mm(f, lw, il, "ffn_down.weight")
                if "post_ffw_norm.weight" in lw:
                    fo = self.rms(fo, lw["post_ffw_norm.weight"])
                x = x + self.resid_scale * fo
            else:
                x = x + self.resid_scale * self.moe(h, lw, il)
            hidden.append(x[-1].copy())
        oname = "output.weight" if self.g.has("output.weight") else "token_embd.weight"
        logits = self.r(self.rms(x[-1], self.onorm), -1, oname) @ self.out.T / self.logit_scale
        if self.gemma and self.softcap > 0:
            logits = self.softcap * np.tanh(logits / self.softcap)
        return np.array(hidden), logits

    def mla_attention(self, h, lw):
        """DeepSeek-V2 attention written out naively: per-head keys and values expanded from the
        latent c_kv (k_nope = W_kb^T c_kv, v = W_vb c_kv), the rotary key part shared by all
        heads, standard causal softmax attention."""
        T, H, R, nr = h.shape[0], self.H, self.R, self.rot
        nope = self.hd - nr
        if "attn_q.weight" in lw:
            q = h @ lw["attn_q.weight"].T
        else:
            qa = self.rms(h @ lw["attn_q_a.weight"].T, lw["attn_q_a_norm.weight"])
            q = qa @ lw["attn_q_b.weight"].T
        q = q.reshape(T, H, self.hd)
        kva = h @ lw["attn_kv_a_mqa.weight"].T
        ckv = self.rms(kva[:, :R], lw["attn_kv_a_norm.weight"])  # (T, R)
        pos = np.arange(T)
        k_pe = self.rope(kva[:, None, R:], pos)  # (T, 1, nr)
        q_pe = self.rope(q[:, :, nope:], pos)  # (T, H, nr)
        wkb, wvb = lw["attn_k_b.weight"], lw["attn_v_b.weight"]  # (H, R, nope), (H, vd, R)
        k_nope = np.einsum("hri,tr->thi", wkb, ckv)  # (T, H, nope)
        v = np.einsum("hvr,tr->thv", wvb, ckv)  # (T, H, vd)
        k = np.concatenate([k_nope, np.repeat(k_pe, H, axis=1)], axis=-1)
        qq = np.concatenate([q[:, :, :nope], q_pe], axis=-1)
        s = np.einsum("thd,shd->hts", qq, k) * self.kq_scale
        s = s + np.triu(np.full((T, T), -np.inf), 1)[None]
        s = np.exp(s - s.max(axis=-1, keepdims=True))
        s /= s.sum(axis=-1, keepdims=True)
        return np.einsum("hts,shv->thv", s, v).reshape(T, H * self.vd)

    def moe(self, h, lw, il):
        logits = self.mm(h, lw, il, "ffn_gate_inp.weight")
        if self.oai:
            return self.moe_oai(h, lw, il, logits + lw["ffn_gate_inp.bias"])
        if self.gating == 2:
            p = 1.0 / (1.0 + np.exp(-logits))
        else:
            p = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p /= p.sum(axis=-1, keepdims=True)
        score = p + lw["exp_probs_b.bias"] if "exp_probs_b.bias" in lw else p.copy()
        if self.groups > 1:  # keep the groups with the largest sums of their two best scores
            G = self.groups
            gs = score.reshape(score.shape[0], G, -1)
            top2 = np.sort(gs, axis=-1)[:, :, -2:].sum(axis=-1)  # (T, G)
            for t in range(score.shape[0]):
                keep = np.argsort(-top2[t], kind="stable")[:self.groups_used]
                mask = np.full(G, True)
                mask[keep] = False
                gs[t, mask] = -np.inf
            score = gs.reshape(score.shape)
        out = np.zeros_like(h)
        for t in range(h.shape[0]):
            sel = np.argsort(-score[t], kind="stable")[:self.K]
            w = p[t, sel]
            if self.renorm:
                w = w / max(w.sum(), 6.103515625e-5)
            w = w * self.w_scale
            for e, we in zip(sel, w):
                hg = self.r(h[t], il, "ffn_gate_exps.weight")
                hu = self.r(h[t], il, "ffn_up_exps.weight")
                f = silu(lw["ffn_gate_exps.weight"][e] @ hg) * (lw["ffn_up_exps.weight"][e] @ hu)
                out[t] += we * (lw["ffn_down_exps.weight"][e] @ self.r(f, il, "ffn_down_exps.weight"))
        if "ffn_gate_shexp.weight" in lw:
            f = silu(self.mm(h, lw, il, "ffn_gate_shexp.weight")) * \
                self.mm(h, lw, il, "ffn_up_shexp.weight")
            sh = self.mm(f, lw, il, "ffn_down_shexp.weight")
            if "ffn_gate_inp_shexp.weight" in lw:
                sh = sh * (1.0 / (1.0 + np.exp(-self.mm(h, lw, il, "ffn_gate_inp_shexp.weight"))))
            out += sh
        return out


    def moe_oai(self, h, lw, il, logits):
        """gpt-oss: the top-k router logits softmaxed among themselves; each expert's gate and up
        with their biases, gate clamped above at 7, up to [-7, 7], out = gate sigmoid(1.702 gate)
        (up + 1); down with its bias."""
        out = np.zeros_like(h)
        for t in range(h.shape[0]):
            sel = np.argsort(-logits[t], kind="stable")[:self.K]
            w = np.exp(logits[t, sel] - logits[t, sel].max())
            w /= w.sum()
            for e, we in zip(sel, w):
                hg = self.r(h[t], il, "ffn_gate_exps.weight")
                hu = self.r(h[t], il, "ffn_up_exps.weight")
                gt = lw["ffn_gate_exps.weight"][e] @ hg + lw["ffn_gate_exps.bias"][e]
                up = lw["ffn_up_exps.weight"][e] @ hu + lw["ffn_up_exps.bias"][e]
                gt = np.minimum(gt, 7.0)
                up = np.clip(up, -7.0, 7.0)
                f = gt / (1.0 + np.exp(-1.702 * gt)) * (up + 1.0)
                d = lw["ffn_down_exps.weight"][e] @ self.r(f, il, "ffn_down_exps.weight")
                out[t] += we * (d + lw["ffn_down_exps.bias"][e])
        return out


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * x * (1.0 + 0.044715 * x * x)))


def silu(x):
    return x / (1.0 + np.exp(-x))


# ------------------------------------------------------------------------------------------------
# Reference tokenizer: re with explicit Unicode classes, plain BPE by merge rank
# ------------------------------------------------------------------------------------------------

def uclass(pred):
    out, start = [], None
    for cp in range(0x110000):
        ok = pred(unicodedata.category(chr(cp)))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    esc = lambda c: "\\U%08x" % c
    return "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in out)


WS = "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"


PRE_ALIASES = {"deepseek-r1-qwen": "qwen2", "llama-bpe": "llama3", "llama-v3": "llama3",
               "falcon3": "llama3", "smaug-bpe": "llama3", "dbrx": "llama3", "starcoder": "refact",
               "smollm": "refact", "gpt-2": "gpt2", "mpt": "gpt2", "olmo": "gpt2", "exaone4": "gpt2",
               "glm4": "llama3", "chatglm-bpe": "llama3"}
# llama.cpp's ignore_merges: only these names (smaug-bpe and dbrx use llama3's pattern without it)
IGNORE_MERGES = ("llama3", "llama-bpe", "llama-v3", "falcon3", "tekken")

# deepseek-llm's cased-letter class, from the pattern in the model's tokenizer.json (as llama.cpp's
# llama-vocab.cpp quotes it), written as code point ranges.
DL_LETTERS = [(0x41, 0x5A), (0x61, 0x7A), (0xB5, 0xB5), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0x1BA),
              (0x1BC, 0x1BF), (0x1C4, 0x293), (0x295, 0x2AF), (0x370, 0x373), (0x376, 0x377),
              (0x37B, 0x37D), (0x37F, 0x37F), (0x386, 0x386), (0x388, 0x38A), (0x38C, 0x38C),
              (0x38E, 0x3A1), (0x3A3, 0x3F5), (0x3F7, 0x481), (0x48A, 0x52F), (0x531, 0x556),
              (0x10A0, 0x10C5), (0x13A0, 0x13F5), (0x13F8, 0x13FD), (0x1C90, 0x1CBA),
              (0x1CBD, 0x1CBF), (0x1D00, 0x1D2B), (0x1D6B, 0x1D77), (0x1D79, 0x1D9A),
              (0x1E00, 0x1F15), (0x1F18, 0x1F1D), (0x1F20, 0x1F45), (0x1F48, 0x1F4D),
              (0x1F50, 0x1F57), (0x1F59, 0x1F59), (0x1F5B, 0x1F5B), (0x1F5D, 0x1F5D),
              (0x1F5F, 0x1F7D), (0x1F80, 0x1FB4), (0x1FB6, 0x1FBC), (0x1FBE, 0x1FBE),
              (0x1FC2, 0x1FC4), (0x1FC6, 0x1FCC), (0x1FD0, 0x1FD3), (0x1FD6, 0x1FDB),
              (0x1FE0, 0x1FEC), (0x1FF2, 0x1FF4), (0x1FF6, 0x1FFC), (0x2102, 0x2102),
              (0x2107, 0x2107), (0x210A, 0x2113), (0x2115, 0x2115), (0x2119, 0x211D),
              (0x2124, 0x2124), (0x2126, 0x2126), (0x2128, 0x2128), (0x212A, 0x212D),
              (0x212F, 0x2134), (0x2139, 0x2139), (0x213C, 0x213F), (0x2145, 0x2149),
              (0x214E, 0x214E), (0x2183, 0x2184), (0x2C00, 0x2C7B), (0x2C7E, 0x2CE4),
              (0x2CEB, 0x2CEE), (0x2CF2, 0x2CF3), (0xA640, 0xA66D), (0xA680, 0xA69B),
              (0xA722, 0xA76F), (0xA771, 0xA787), (0xA78B, 0xA78E), (0xAB70, 0xABBF),
              (0xFB00, 0xFB06), (0xFB13, 0xFB17), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A),
              (0x10400, 0x1044F), (0x104B0, 0x104D3), (0x104D8, 0x104FB), (0x10C80, 0x10CB2),
              (0x10CC0, 0x10CF2), (0x118A0, 0x118DF), (0x1E900, 0x1E943)]


def ranges_class(rs):
    return "".join("\\U%08x-\\U%08x" % (a, b) for a, b in rs)


def pre_patterns(pre):
    """The pre-tokenizer as a list of patterns applied in sequence: each splits every piece of
    the one before into its matches and the gaps between them."""
    pre = PRE_ALIASES.get(pre, pre)
    if pre == "refact":
        return [re.compile("[%s]" % uclass(lambda c: c[0] == "N")), pre_pattern("gpt2")]
    if pre == "deepseek-llm":
        ws = "[%s]" % WS
        return [re.compile("[\\r\\n]"),
                re.compile("%s?[%s]+" % (ws, ranges_class(DL_LETTERS))),
                re.compile("%s?[!-/:-~\\uff01-\\uff0f\\uff1a-\\uff5e\\u2018-\\u201f"
                           "\\u3000-\\u3002]+" % ws),
                re.compile("%s+\\Z" % ws),
                re.compile("[\\u4e00-\\u9fa5\\u0800-\\u4e00\\uac00-\\ud7ff]+"),
                re.compile("[%s]+" % uclass(lambda c: c[0] == "N"))]
    if pre == "deepseek-coder":
        return [re.compile("[\\r\\n]"),
                re.compile("[%s]?[%s]+" % (WS, uclass(lambda c: c[0] == "L"))),
                re.compile("[%s]?[%s]+" % (WS, uclass(lambda c: c[0] == "P"))),
                re.compile("[\\u4e00-\\u9fa5\\u0800-\\u4e00\\uac00-\\ud7ff]+"),
                re.compile("[%s]" % uclass(lambda c: c[0] == "N"))]
    if pre == "default":
        return [re.compile("[%s\\$\\+<=>\\^~\\|]+" % uclass(lambda c: c[0] == "P")),
                pre_pattern("gpt2"),
                re.compile("[%s]+" % uclass(lambda c: c[0] == "N")),
                re.compile("[0-9][0-9][0-9]")]
    if pre in ("gpt-4o", "llama4", "tekken"):
        # the models' tokenizer.json pattern, its case classes written out
        L, N = uclass(lambda c: c[0] == "L"), uclass(lambda c: c[0] == "N")
        up = "[%s]" % uclass(lambda c: c in ("Lu", "Lt", "Lm", "Lo") or c[0] == "M")
        lo = "[%s]" % uclass(lambda c: c in ("Ll", "Lm", "Lo") or c[0] == "M")
        ctr = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?" if pre != "tekken" else ""
        num = "[%s]{1,3}" % N if pre != "tekken" else "[%s]" % N
        lead = "[^\\r\\n%s%s]?" % (L, N)
        return [re.compile("%s%s*%s+%s|%s%s+%s*%s|%s| ?[^%s%s%s]+[\\r\\n/]*|[%s]*[\\r\\n]+"
                           "|[%s]+(?![^%s])|[%s]+"
                           % (lead, up, lo, ctr, lead, up, lo, ctr, num, WS, L, N, WS, WS, WS, WS))]
    if pre != "deepseek-v3":
        return [pre_pattern(pre)]
    L, N = uclass(lambda c: c[0] == "L"), uclass(lambda c: c[0] == "N")
    P, S, M = (uclass(lambda c, k=k: c[0] == k) for k in "PSM")
    return [re.compile("[%s]{1,3}" % N),
            re.compile("[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"),
            re.compile("[!\"#$%%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                       "|[^\\r\\n%s%s%s]?[%s%s]+| ?[%s%s]+[\\r\\n]*"
                       "|[%s]*[\\r\\n]+|[%s]+(?![^%s])|[%s]+"
                       % (L, P, S, L, M, P, S, WS, WS, WS, WS))]


def pre_pattern(pre):
    L, N = uclass(lambda c: c[0] == "L"), uclass(lambda c: c[0] == "N")
    if pre in ("qwen2", "llama3"):
        num = "[%s]" % N if pre == "qwen2" else "[%s]{1,3}" % N
        return re.compile(
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n%s%s]?[%s]+|%s| ?[^%s%s%s]+[\\r\\n]*"
            "|[%s]*[\\r\\n]+|[%s]+(?![^%s])|[%s]+" % (L, N, L, num, WS, L, N, WS, WS, WS, WS))
    return re.compile("'s|'t|'re|'ve|'m|'ll|'d| ?[%s]+| ?[%s]+| ?[^%s%s%s]+|[%s]+(?![^%s])|[%s]+"
                      % (L, N, WS, L, N, WS, WS, WS))


class Bpe:
    def __init__(self, g):
        kv = g.kv
        self.tokens = kv["tokenizer.ggml.tokens"]
        self.types = kv.get("tokenizer.ggml.token_type", [1] * len(self.tokens))
        self.ids = {}
        for i, t in enumerate(self.tokens):
            self.ids.setdefault(t, i)
        self.ranks = {}
        for r, m in enumerate(kv["tokenizer.ggml.merges"]):
            a, b = m.split(" ", 1)
            self.ranks.setdefault((a, b), r)
        bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
        cs, n = bs[:], 0
        for b in range(256):
            if b not in bs:
                bs.append(b)
                cs.append(256 + n)
                n += 1
        self.b2u = {b: chr(c) for b, c in zip(bs, cs)}
        pre = kv.get("tokenizer.ggml.pre", "default")
        self.pats = pre_patterns(pre)
        # llama.cpp's llama3 pre-tokenizer (ignore_merges in tokenizer.json): a piece that is a
        # token as a whole is that token.
        self.ignore_merges = pre in IGNORE_MERGES
        self.special_ids = {}
        for i, (t, ty) in enumerate(zip(self.tokens, self.types)):
            if ty in (2, 3, 4) and t:
                self.special_ids.setdefault(t, i)
        self.special = sorted(self.special_ids, key=len, reverse=True)

    def bpe(self, word):
        syms = [self.b2u[b] for b in word.encode("utf-8", errors="surrogateescape")]
        if self.ignore_merges and "".join(syms) in self.ids:
            return [self.ids["".join(syms)]]
        while len(syms) > 1:
            best = min(range(len(syms) - 1),
                       key=lambda i: self.ranks.get((syms[i], syms[i + 1]), 1 << 60))
            if (syms[best], syms[best + 1]) not in self.ranks:
                break
            syms[best:best + 2] = [syms[best] + syms[best + 1]]
        return [self.ids[s] for s in syms]

    def encode(self, text):
        out = []
        if self.special:
            parts = re.split("(" + "|".join(re.escape(s) for s in self.special) + ")", text)
        else:
            parts = [text]
        for i, part in enumerate(parts):
            if i % 2 == 1:
                out.append(self.special_ids[part])
                continue
            pieces = [part]
            for pat in self.pats:
                nxt = []
                for p in pieces:
                    at = 0
                    for m in pat.finditer(p):
                        if m.start() > at:
                            nxt.append(p[at:m.start()])
                        nxt.append(m.group(0))
                        at = m.end()
                    if at < len(p):
                        nxt.append(p[at:])
                pieces = nxt
            for p in pieces:
                out.extend(self.bpe(p))
        return out


def main():
    cmd = sys.argv[1]
    if cmd == "logits":
        act = sys.argv[5] if len(sys.argv) > 5 else None
        if act not in (None, "llmbo", "ggml"):
            raise SystemExit("ACT must be llmbo or ggml, not " + act)
        m = Model(sys.argv[2], act)
        toks = [int(t) for t in sys.argv[3].split(",")]
        hidden, logits = m.forward(toks)
        with open(sys.argv[4], "wb") as f:
            f.write(hidden.astype(np.float32).tobytes())
            f.write(logits.astype(np.float32).tobytes())
    elif cmd == "greedy":
        m = Model(sys.argv[2])
        toks = [int(t) for t in sys.argv[3].split(",")]
        gen = []
        for _ in range(int(sys.argv[4])):
            _, logits = m.forward(toks + gen)
            gen.append(int(np.argmax(logits)))
        print(",".join(str(t) for t in gen))
    elif cmd == "dequant":
        t = int(sys.argv[2])
        raw = open(sys.argv[3], "rb").read()
        with open(sys.argv[4], "wb") as f:
            f.write(dequant(raw, t).astype(np.float64).tobytes())
    elif cmd == "tokenize":
        bpe = Bpe(Gguf(sys.argv[2]))
        texts = open(sys.argv[3], "rb").read().decode("utf-8").split("\0")
        for t in texts:
            print(",".join(str(i) for i in bpe.encode(t)))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
