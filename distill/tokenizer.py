#!/usr/bin/env python3
"""tokenizer.py: a byte-level BPE vocabulary learnt from the training corpus, for llmbo's engine.

The pre-tokenizer is Qwen2's (GGUF tokenizer.ggml.pre "qwen2"), taken from the project's
independent reference (tests/ref_forward.py): it cuts every digit into its own piece, so numbers
are always spelt digit by digit and no merge ever joins digits. Merges are learnt greedily by pair
frequency over the pieces of the corpus (Sennrich et al. 2016); the vocabulary is the 256 byte
symbols (GPT-2's byte-to-unicode map), the merges, and ChatML's special tokens. Encoding is the
reference tokenizer's (lowest merge rank first), which the engine's tokenizer is tested against.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

import ref_forward  # noqa: E402

SPECIALS = [("<|endoftext|>", 3), ("<|im_start|>", 3), ("<|im_end|>", 3)]


def byte_map():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def split_specials(text):
    out, i = [], 0
    while i < len(text):
        hit = min(((text.find(s, i), s) for s, _ in SPECIALS if text.find(s, i) >= 0),
                  default=None)
        if hit is None:
            out.append(text[i:])
            break
        j, s = hit
        if j > i:
            out.append(text[i:j])
        i = j + len(s)
    return out


def learn(texts, n_merges):
    """Tokens (by id), token types and merges ("a b") from the texts."""
    pat = ref_forward.pre_pattern("qwen2")
    u = byte_map()
    words = {}
    for t in texts:
        for part in split_specials(t):
            for m in pat.finditer(part):
                key = tuple(u[b] for b in m.group(0).encode("utf-8"))
                words[key] = words.get(key, 0) + 1
    words = {w: c for w, c in words.items() if len(w) > 1}
    merges = []
    for _ in range(n_merges):
        counts = {}
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                counts[(a, b)] = counts.get((a, b), 0) + c
        if not counts:
            break
        best = max(sorted(counts), key=lambda p: counts[p])
        if counts[best] < 2:
            break
        merges.append(best)
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
    tokens = [u[b] for b in range(256)]
    seen = set(tokens)
    for a, b in merges:
        if a + b not in seen:
            seen.add(a + b)
            tokens.append(a + b)
    types = [1] * len(tokens)
    for s, ty in SPECIALS:
        tokens.append(s)
        types.append(ty)
    return tokens, types, [a + " " + b for a, b in merges]


class Encoder:
    """The reference BPE (tests/ref_forward.py Bpe) over a learnt vocabulary, with a piece cache."""

    def __init__(self, tokens, types, merges):
        class G:
            kv = {"tokenizer.ggml.tokens": tokens, "tokenizer.ggml.token_type": types,
                  "tokenizer.ggml.merges": merges, "tokenizer.ggml.pre": "qwen2"}
        self.bpe = ref_forward.Bpe(G())
        self.cache = {}
        raw = self.bpe.bpe

        def cached(word):
            r = self.cache.get(word)
            if r is None:
                r = self.cache[word] = raw(word)
            return r
        self.bpe.bpe = cached
        self.tokens = tokens

    def encode(self, text):
        return self.bpe.encode(text)

    def decode(self, ids):
        inv = {c: b for b, c in byte_map().items()}
        out = bytearray()
        for i in ids:
            t = self.tokens[i]
            if t.startswith("<|"):
                out += t.encode()
            else:
                out += bytes(inv[c] for c in t)
        return out.decode("utf-8", errors="replace")
