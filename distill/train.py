#!/usr/bin/env python3
"""train.py: trains llmbo's small qwen3moe advisor model on (prompt, answer) examples and writes
it as a GGUF file with the project's own writer (tests/gguf_writer.py), weights in Q8_0.

The network is exactly the engine's qwen3moe (llm/engine/engine.c, tests/ref_forward.py): RMSNorm,
grouped-query attention with per-head RMS QK-norm and NEOX RoPE, a mixture-of-experts feed-forward
(softmax router, top-k, weights renormalised to 1, SwiGLU experts), untied output matrix. The loss
is next-token cross-entropy on the answer tokens plus a quarter-weight term on the prompt's,
AdamW with warm-up
and cosine decay, fixed seeds, torch threads fixed (a run is reproducible on one machine).

Usage: train.py --data examples.jsonl --out model.gguf [--log train.log] [--svg loss.svg]
                [--embd 128 --layers 3 --heads 4 --kv-heads 2 --head-dim 32 --experts 4
                 --used 2 --ff-exp 128 --merges 300 --steps 1500 --batch 8 --lr 3e-3]
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, HERE)

import gguf_writer  # noqa: E402
import tokenizer as tk  # noqa: E402

LABEL = ("a small optimisation-advice model distilled from llmbo's own decisions; not a "
         "general-purpose language model")
EPS = 1e-6
ROPE_BASE = 10000.0


class Layer(torch.nn.Module):
    def __init__(self, E, H, KV, hd, X, F_):
        super().__init__()
        self.H, self.KV, self.hd = H, KV, hd
        self.attn_norm = torch.nn.Parameter(torch.ones(E))
        self.q = torch.nn.Linear(E, H * hd, bias=False)
        self.k = torch.nn.Linear(E, KV * hd, bias=False)
        self.v = torch.nn.Linear(E, KV * hd, bias=False)
        self.o = torch.nn.Linear(H * hd, E, bias=False)
        self.q_norm = torch.nn.Parameter(torch.ones(hd))
        self.k_norm = torch.nn.Parameter(torch.ones(hd))
        self.ffn_norm = torch.nn.Parameter(torch.ones(E))
        self.router = torch.nn.Linear(E, X, bias=False)
        s = 1.0 / math.sqrt(E)
        self.gate = torch.nn.Parameter(torch.randn(X, F_, E) * s)
        self.up = torch.nn.Parameter(torch.randn(X, F_, E) * s)
        self.down = torch.nn.Parameter(torch.randn(X, E, F_) / math.sqrt(F_) * 0.5)


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


class Model(torch.nn.Module):
    def __init__(self, V, E, L, H, KV, hd, X, K, F_):
        super().__init__()
        self.V, self.E, self.H, self.KV, self.hd, self.X, self.K, self.F = V, E, H, KV, hd, X, K, F_
        self.emb = torch.nn.Parameter(torch.randn(V, E) * 0.5)
        self.layers = torch.nn.ModuleList([Layer(E, H, KV, hd, X, F_) for _ in range(L)])
        self.out_norm = torch.nn.Parameter(torch.ones(E))
        self.out = torch.nn.Linear(E, V, bias=False)

    def rope(self, x, T):
        # x: (B, T, heads, hd); NEOX layout: dimension i pairs with i + hd/2.
        hd = self.hd
        inv = ROPE_BASE ** (-torch.arange(0, hd // 2, dtype=torch.float32) * 2.0 / hd)
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
        c, s = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
        a, b = x[..., :hd // 2], x[..., hd // 2:]
        return torch.cat([a * c - b * s, a * s + b * c], dim=-1)

    def moe(self, ly, h):
        # h: (N, E). Every expert is computed (few, small); the router's top-k weights,
        # renormalised to sum 1, select and mix them as the engine does.
        p = torch.softmax(ly.router(h), dim=-1)
        w, idx = p.topk(self.K, dim=-1)
        w = w / w.sum(-1, keepdim=True)
        out = torch.zeros_like(h)
        for e in range(self.X):
            tok, slot = (idx == e).nonzero(as_tuple=True)
            if tok.numel() == 0:
                continue
            he = h[tok]
            f = F.silu(he @ ly.gate[e].T) * (he @ ly.up[e].T)
            out = out.index_add(0, tok, (f @ ly.down[e].T) * w[tok, slot][:, None])
        # Switch-style balance term (Fedus et al. 2021): fraction routed times mean probability.
        frac = torch.zeros(self.X).index_add(0, idx.reshape(-1),
                                             torch.ones(idx.numel())) / idx.numel()
        aux = self.X * (frac * p.mean(0)).sum()
        return out, aux

    def forward(self, ids):
        B, T = ids.shape
        x = self.emb[ids]
        mask = torch.full((T, T), float("-inf")).triu(1)
        aux = 0.0
        for ly in self.layers:
            h = rms(x, ly.attn_norm)
            q = ly.q(h).view(B, T, self.H, self.hd)
            k = ly.k(h).view(B, T, self.KV, self.hd)
            v = ly.v(h).view(B, T, self.KV, self.hd)
            q, k = rms(q, ly.q_norm), rms(k, ly.k_norm)
            q, k = self.rope(q, T), self.rope(k, T)
            g = self.H // self.KV
            k = k.repeat_interleave(g, dim=2)
            v = v.repeat_interleave(g, dim=2)
            s = torch.einsum("bthd,bshd->bhts", q, k) / math.sqrt(self.hd) + mask
            o = torch.einsum("bhts,bshd->bthd", torch.softmax(s, -1), v).reshape(B, T, -1)
            x = x + ly.o(o)
            h = rms(x, ly.ffn_norm)
            m, a = self.moe(ly, h.reshape(B * T, self.E))
            x = x + m.view(B, T, self.E)
            aux = aux + a
        return self.out(rms(x, self.out_norm)), aux


def export(model, tokens, types, merges, path, ctx, meta):
    """Writes the model with tests/gguf_writer.py's Writer: matrices Q8_0, norms and router F32."""
    w = gguf_writer.Writer()
    a = "qwen3moe"
    m = model
    w.add("general.architecture", "str", a)
    w.add("general.name", "str", meta["name"])
    w.add("general.description", "str", LABEL)
    w.add("general.license", "str", "MIT")
    w.add(a + ".context_length", "u32", ctx)
    w.add(a + ".embedding_length", "u32", m.E)
    w.add(a + ".block_count", "u32", len(m.layers))
    w.add(a + ".feed_forward_length", "u32", m.F)
    w.add(a + ".attention.head_count", "u32", m.H)
    w.add(a + ".attention.head_count_kv", "u32", m.KV)
    w.add(a + ".attention.key_length", "u32", m.hd)
    w.add(a + ".attention.value_length", "u32", m.hd)
    w.add(a + ".rope.freq_base", "f32", ROPE_BASE)
    w.add(a + ".attention.layer_norm_rms_epsilon", "f32", EPS)
    w.add(a + ".expert_count", "u32", m.X)
    w.add(a + ".expert_used_count", "u32", m.K)
    w.add(a + ".expert_feed_forward_length", "u32", m.F)
    w.add("tokenizer.ggml.model", "str", "gpt2")
    w.add("tokenizer.ggml.pre", "str", "qwen2")
    w.add("tokenizer.ggml.tokens", "arr", tokens, "str")
    w.add("tokenizer.ggml.token_type", "arr", types, "i32")
    w.add("tokenizer.ggml.merges", "arr", merges, "str")
    w.add("tokenizer.ggml.eos_token_id", "u32", tokens.index("<|im_end|>"))
    w.add("tokenizer.ggml.padding_token_id", "u32", tokens.index("<|endoftext|>"))
    w.add("tokenizer.ggml.add_bos_token", "bool", 0)
    w.add("tokenizer.chat_template", "str", "chatml")

    def arr(t):
        a_ = t.detach().float().numpy().astype(np.float32)
        return lambda: a_
    Q, F32 = gguf_writer.T_Q8_0, gguf_writer.T_F32
    w.tensor("token_embd.weight", (m.V, m.E), Q, arr(m.emb))
    w.tensor("output_norm.weight", (m.E,), F32, arr(m.out_norm))
    w.tensor("output.weight", (m.V, m.E), Q, arr(m.out.weight))
    for il, ly in enumerate(m.layers):
        p = "blk.%d." % il
        w.tensor(p + "attn_norm.weight", (m.E,), F32, arr(ly.attn_norm))
        w.tensor(p + "attn_q.weight", (m.H * m.hd, m.E), Q, arr(ly.q.weight))
        w.tensor(p + "attn_k.weight", (m.KV * m.hd, m.E), Q, arr(ly.k.weight))
        w.tensor(p + "attn_v.weight", (m.KV * m.hd, m.E), Q, arr(ly.v.weight))
        w.tensor(p + "attn_output.weight", (m.E, m.H * m.hd), Q, arr(ly.o.weight))
        w.tensor(p + "attn_q_norm.weight", (m.hd,), F32, arr(ly.q_norm))
        w.tensor(p + "attn_k_norm.weight", (m.hd,), F32, arr(ly.k_norm))
        w.tensor(p + "ffn_norm.weight", (m.E,), F32, arr(ly.ffn_norm))
        w.tensor(p + "ffn_gate_inp.weight", (m.X, m.E), F32, arr(ly.router.weight))
        w.tensor(p + "ffn_gate_exps.weight", (m.X, m.F, m.E), Q, arr(ly.gate))
        w.tensor(p + "ffn_up_exps.weight", (m.X, m.F, m.E), Q, arr(ly.up))
        w.tensor(p + "ffn_down_exps.weight", (m.X, m.E, m.F), Q, arr(ly.down))
    tmp = path + ".tmp"
    w.write(tmp)
    os.replace(tmp, path)


CHOICE_KEY = '"from": "'


def choice_spans(enc, ans_ids, answer):
    """The answer-token indices that write a step's origin choice (the value of each "from" key
    of an anchored answer, round 8), found by the characters each token decodes to."""
    spans = []
    at = answer.find(CHOICE_KEY)
    while at >= 0:
        s = at + len(CHOICE_KEY)
        spans.append((s, answer.index('"', s)))
        at = answer.find(CHOICE_KEY, s)
    if not spans:
        return []
    out, end = [], 0
    for k, t in enumerate(ans_ids):
        start, end = end, end + len(enc.decode([t]).encode("utf-8"))
        if any(start < e and end > s for s, e in spans):
            out.append(k)
    return out


def choice_accuracy(model, data, choice, n=96):
    """Teacher-forced check of the origin choice on a fixed sample of the examples that write
    one: the share whose first choice token is the model's most likely next token, and the mean
    probability it gives that token (no gradient; the sample's examples may have been trained
    on)."""
    idx = [i for i in range(len(data)) if choice[i]]
    idx = random.Random(7).sample(idx, min(n, len(idx)))
    hit, prob = 0, 0.0
    with torch.no_grad():
        for i in idx:
            p, q = data[i]
            k = choice[i][0]
            logits, _ = model(torch.tensor([p + q[:k]]))
            pr = torch.softmax(logits[0, -1], -1)
            hit += int(pr.argmax().item() == q[k])
            prob += pr[q[k]].item()
    return "%d of %d argmax, mean p %.3f" % (hit, len(idx), prob / max(1, len(idx)))


def loss_svg(path, steps, losses, title):
    """A plain SVG line plot of the training loss (answer tokens, nats per token)."""
    W, Hh, pad = 640, 360, 50
    lo, hi = min(losses), max(losses)
    hi = hi if hi > lo else lo + 1
    n = max(steps) if steps else 1

    def px(s, v):
        return (pad + (W - 2 * pad) * s / n, Hh - pad - (Hh - 2 * pad) * (v - lo) / (hi - lo))
    pts = " ".join("%.1f,%.1f" % px(s, v) for s, v in zip(steps, losses))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">' % (W, Hh),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-family="sans-serif" font-size="13">%s</text>' % (pad, title),
           '<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="%s"/>' % pts,
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, Hh - pad, W - pad,
                                                                       Hh - pad),
           '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, pad, pad, Hh - pad)]
    for v in (lo, (lo + hi) / 2, hi):
        x, y = px(0, v)
        out.append('<text x="5" y="%.1f" font-family="sans-serif" font-size="11">%.3g</text>'
                   % (y + 4, v))
    for s in (0, n // 2, n):
        x, y = px(s, lo)
        out.append('<text x="%.1f" y="%d" font-family="sans-serif" font-size="11">%d</text>'
                   % (x - 8, Hh - pad + 16, s))
    out.append('<text x="%d" y="%d" font-family="sans-serif" font-size="11">step; loss: '
               'cross-entropy of the answer tokens (nats/token, running mean)</text>'
               % (pad, Hh - 10))
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--log", default="")
    ap.add_argument("--svg", default="")
    ap.add_argument("--name", default="llmbo-advisor-mini")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--embd", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=32)
    ap.add_argument("--experts", type=int, default=4)
    ap.add_argument("--used", type=int, default=2)
    ap.add_argument("--ff-exp", type=int, default=128)
    ap.add_argument("--merges", type=int, default=300)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--max-len", type=int, default=1024)
    ap.add_argument("--prompt-weight", type=float, default=0.25)
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--choice-weight", type=float, default=1.0,
                    help="loss weight of the tokens that write an anchored step's origin (the "
                         "value of \"from\"), the other answer tokens 1 (round 10)")
    a = ap.parse_args()

    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.set_num_threads(a.threads)
    logf = open(a.log, "w") if a.log else None

    def log(msg):
        print(msg, flush=True)
        if logf:
            logf.write(msg + "\n")
            logf.flush()
    t_start = time.time()
    exs = []
    for path in a.data:
        with open(path, encoding="utf-8") as f:
            exs += [json.loads(line) for line in f if line.strip()]
    if not exs:
        log("train: no examples in %s" % ", ".join(a.data))
        return 2
    # Merges are learnt on a seeded sample of at most 3000 examples (the corpus is repetitive;
    # learning on all of it costs minutes and changes little).
    sample = exs if len(exs) <= 3000 else random.Random(a.seed).sample(exs, 3000)
    tokens, types, merges = tk.learn([e["prompt"] + e["answer"] for e in sample], a.merges)
    enc = tk.Encoder(tokens, types, merges)
    data, choice = [], []
    for e in exs:
        p, ans = enc.encode(e["prompt"]), enc.encode(e["answer"])
        if len(p) + len(ans) <= a.max_len:
            data.append((p, ans))
            choice.append(choice_spans(enc, ans, e["answer"]) if a.choice_weight != 1 else [])
    n_ans = sum(len(x[1]) for x in data)
    if a.choice_weight != 1:
        log("train: %d of %d examples write an origin choice (%d tokens, loss weight %g)" %
            (sum(1 for c in choice if c), len(data), sum(len(c) for c in choice),
             a.choice_weight))
    log("train: %d examples (%d over %d tokens dropped), vocabulary %d (%d merges), %d answer "
        "tokens, mean length %.0f" % (len(data), len(exs) - len(data), a.max_len, len(tokens),
                                      len(merges), n_ans,
                                      np.mean([len(p) + len(q) for p, q in data])))
    V = len(tokens)
    pad_id = tokens.index("<|endoftext|>")
    model = Model(V, a.embd, a.layers, a.heads, a.kv_heads, a.head_dim, a.experts, a.used,
                  a.ff_exp)
    n_params = sum(p.numel() for p in model.parameters())
    per_tok = n_params - sum(ly.gate.numel() + ly.up.numel() + ly.down.numel()
                             for ly in model.layers) * (1 - a.used / a.experts)
    log("train: qwen3moe %d layers, embd %d, %d heads (%d kv, dim %d), %d experts (top %d, width "
        "%d): %d parameters (%d active per token)" % (a.layers, a.embd, a.heads, a.kv_heads,
                                                       a.head_dim, a.experts, a.used, a.ff_exp,
                                                       n_params, per_tok))
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.98), weight_decay=0.01)
    rng = random.Random(a.seed)
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]) + len(data[i][1]))
    # Batches of similar length (little padding), visited in a seeded random order.
    batches = [order[i:i + a.batch] for i in range(0, len(order), a.batch)]
    steps, losses, run = [], [], None
    warm = max(1, a.steps // 20)
    for step in range(1, a.steps + 1):
        lr = a.lr * min(1.0, step / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, step / a.steps)))
        lr = max(lr, a.lr * 0.02)
        for g in opt.param_groups:
            g["lr"] = lr
        b = batches[rng.randrange(len(batches))]
        T = max(len(data[i][0]) + len(data[i][1]) for i in b)
        ids = torch.full((len(b), T), pad_id, dtype=torch.long)
        tgt = torch.full((len(b), T), -100, dtype=torch.long)
        ptgt = torch.full((len(b), T), -100, dtype=torch.long)
        wt = torch.ones((len(b), T))
        for r, i in enumerate(b):
            p, q = data[i]
            seq = p + q
            ids[r, :len(seq)] = torch.tensor(seq)
            tgt[r, len(p) - 1:len(seq) - 1] = torch.tensor(q)
            ptgt[r, :len(p) - 1] = torch.tensor(p[1:])
            for k in choice[i]:
                wt[r, len(p) - 1 + k] = a.choice_weight
        logits, aux = model(ids)
        if a.choice_weight != 1:
            # Weighted mean over the answer tokens; the logged loss stays the unweighted mean,
            # from the same per-token losses.
            per = F.cross_entropy(logits.view(-1, V), tgt.view(-1), ignore_index=-100,
                                  reduction="none")
            m = (tgt.view(-1) != -100).float()
            loss = (per * m).sum() / m.sum()
            w = wt.view(-1) * m
            total = (per * w).sum() / w.sum() + 0.01 * aux
        else:
            loss = F.cross_entropy(logits.view(-1, V), tgt.view(-1), ignore_index=-100)
            total = loss + 0.01 * aux
        if a.prompt_weight > 0:
            # The prompt repeats itself (the best point is a history entry copied), so a little
            # weight on predicting it teaches the copying the answer needs.
            total = total + a.prompt_weight * F.cross_entropy(logits.view(-1, V), ptgt.view(-1),
                                                              ignore_index=-100)
        opt.zero_grad()
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run = loss.item() if run is None else 0.95 * run + 0.05 * loss.item()
        if step % 10 == 0 or step == 1 or step == a.steps:
            steps.append(step)
            losses.append(run)
        if a.choice_weight != 1 and (step % 150 == 0 or step == a.steps):
            log("step %d: origin choice %s" % (step, choice_accuracy(model, data, choice)))
        if step % 50 == 0 or step == 1 or step == a.steps:
            log("step %d/%d loss %.4f (running %.4f) lr %.2e %.0fs" %
                (step, a.steps, loss.item(), run, lr, time.time() - t_start))
    export(model, tokens, types, merges, a.out, a.ctx, {"name": a.name})
    log("train: wrote %s (%d bytes) after %.0f s; first running loss %.4f, last %.4f" %
        (a.out, os.path.getsize(a.out), time.time() - t_start, losses[0], losses[-1]))
    if a.svg:
        loss_svg(a.svg, steps, losses, "%s: training loss" % a.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
