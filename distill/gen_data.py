#!/usr/bin/env python3
"""gen_data.py: training data for llmbo's advisor model, produced by llmbo itself.

llmbo's C loop (through the Python package, libllmbo) runs on a *training distribution* of
functions that never contains the built-in benchmark objectives: random Fourier feature draws
from GP priors (Rahimi & Recht 2007) with random lengthscales, plus a random bowl, and sums of
random Gaussian bumps, in 1-8 dimensions with random parameter names and bounds. The loop's
advisor is an OpenAI-compatible "openai" backend pointed at a teacher served from this process;
the advisor records a cassette ("record"), so the training data are cassettes in the advisor's own
prompt format (the compact templates of distill/templates/), the same kind a user records of any
real model.

The teacher is privileged: it knows the function.
  rank mode:    the GP's candidates (read back from the prompt) ordered by their true value.
  propose mode: the best by true value of 96 points drawn around the best evaluations so far
                (Gaussian steps of 1-20% of each range around the best and the runners-up) and
                uniformly; so its answer is a point a little better than the incumbent, which a
                small model can learn from the prompt.
  --answer unit: propose mode follows distill/policy.py instead, a search policy that reads only
                what the prompt shows (warm start: a Latin hypercube as fractions of each range;
                then a Gaussian step from Best whose scale shrinks with "Used i of n"); its answer
                is one draw of that policy, so the student can learn the distribution it sees.
                --policy round7 --templates distill/templates-mean: the policy of round 7,
                with a prompt that prints the mean of the shown points as a step from Best (the
                start of its recombination), checked against the policy's own mean.
  --answer anchored: as unit, and each step names its origin ({"from": "best"|"mean", ...}; the
                advisor's "answer": "anchored"), so a recombination is the choice "mean" plus a
                step from the printed mean (round 8; distill/templates-anchor).
  --templates distill/templates-scale (round 12): the prompt also prints the policy's step scale
                ("Step scale: 0.0548 of each range.", {{step_scale}}), checked against
                policy.scale of the prompt's "Used i of n" in every prompt that prints it.

Usage: gen_data.py --out DIR [--runs N] [--seed S] [--max-dim D] [--rank-every N]
       [--answer step|absolute|unit|anchored] [--policy round5|round6|round7] [--templates DIR]
Needs numpy and libllmbo (LLMBO_LIB or the build/ directory); no torch.
"""
import argparse
import http.server
import json
import math
import os
import re
import sys
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import llmbo  # noqa: E402
from llmbo.advisor import Advisor  # noqa: E402
import policy  # noqa: E402

WORDS = ["alpha", "rate", "temp", "depth", "width", "gain", "decay", "flow", "mass", "ratio",
         "speed", "angle", "dose", "power", "load", "pitch", "freq", "bias", "scale", "shift",
         "lr", "mom", "drop", "reg", "heat", "volt", "time", "size", "conc", "ph", "press", "feed"]


# ------------------------------------------------------------------------------------------------
# The training distribution
# ------------------------------------------------------------------------------------------------

def nice(v):
    """v rounded to 2 significant digits (bounds as people write them)."""
    if v == 0:
        return 0.0
    e = math.floor(math.log10(abs(v))) - 1
    return round(v / 10 ** e) * 10 ** e


class TrainFunction:
    """A random function on a random box, to be minimised. kind: rff (GP-prior draw plus a bowl)
    or bumps (negative sum of Gaussian bumps over a gentle slope)."""

    def __init__(self, rng, d):
        self.d = d
        names = list(rng.choice(WORDS, size=d, replace=False))
        if rng.random() < 0.3:
            names = ["x%d" % (i + 1) for i in range(d)]
        self.names = [str(n) for n in names]
        lo, hi = [], []
        for _ in range(d):
            w = 10 ** rng.uniform(-1, 3)
            if rng.random() < 0.4:
                a = -w / 2 if rng.random() < 0.5 else 0.0
            else:
                a = w * rng.uniform(-1.5, 1.5)
            a, b = nice(a), nice(a + w)
            if b <= a:
                b = a + nice(w)
            lo.append(a)
            hi.append(b)
        self.lo, self.hi = np.array(lo), np.array(hi)
        self.kind = "rff" if rng.random() < 0.6 else "bumps"
        if self.kind == "rff":
            m = 64
            ell = np.exp(rng.uniform(np.log(0.08), np.log(0.6), size=d))
            self.W = rng.standard_normal((m, d)) / ell
            self.b = rng.uniform(0, 2 * np.pi, m)
            self.a = rng.standard_normal(m) * np.sqrt(2.0 / m)
            self.c = rng.random(d)
            self.bowl = rng.uniform(0, 3)
        else:
            k = rng.integers(1, 6)
            self.C = rng.random((k, d))
            self.S = rng.uniform(0.05, 0.35, size=k)
            self.H = rng.uniform(0.3, 1.0, size=k)
            self.slope = rng.standard_normal(d) * 0.2
        self.yscale = 10 ** rng.uniform(-1, 2.5)
        self.yshift = rng.uniform(-1, 1) * self.yscale * rng.choice([0, 1, 10])

    def unit(self, x):
        return (np.asarray(x, dtype=float) - self.lo) / (self.hi - self.lo)

    def from_unit(self, z):
        return self.lo + np.asarray(z) * (self.hi - self.lo)

    def value_unit(self, Z):
        Z = np.atleast_2d(Z)
        if self.kind == "rff":
            f = np.cos(Z @ self.W.T + self.b) @ self.a
            f = f + self.bowl * np.sum((Z - self.c) ** 2, axis=1)
        else:
            r2 = np.sum((Z[:, None, :] - self.C[None]) ** 2, axis=2)
            f = -np.sum(self.H * np.exp(-r2 / (2 * self.S ** 2)), axis=1) + Z @ self.slope
        return f * self.yscale + self.yshift

    def __call__(self, x):
        return float(self.value_unit(self.unit(x))[0])

    def space(self):
        return llmbo.Space([llmbo.Continuous(n, float(a), float(b))
                            for n, a, b in zip(self.names, self.lo, self.hi)])


# ------------------------------------------------------------------------------------------------
# Answers in the constrained decoder's canonical form
# ------------------------------------------------------------------------------------------------

def fmt_num(v, lo, hi):
    """A coordinate with about 4 significant digits of its range, never in exponent form."""
    dec = int(min(6, max(0, 4 - math.floor(math.log10(max(hi - lo, 1e-12))))))
    s = "%.*f" % (dec, min(max(v, lo), hi))
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def points_answer(points, names, lo, hi):
    parts = []
    for x in points:
        kv = ", ".join('"%s": %s' % (n, fmt_num(v, a, b)) for n, v, a, b in zip(names, x, lo, hi))
        parts.append("{" + kv + "}")
    return '{"points": [' + ", ".join(parts) + "]}"


# The step templates say so in the prompt; the advisor's "answer": "step" does the same after the
# first evaluation in propose and pool mode (llm/advisor.c step_map), never in warm-start.
STEP_MARK = "as steps from Best"


def steps_answer(points, z_best, names, origins=None):
    """Points of the unit box as steps from the best evaluation (z_best, unit box) in fractions
    of each range, 4 decimals, kept within [-z_best, 1 - z_best] (the answer format's bounds).
    origins (round 8, "answer": "anchored"): per point ("best", z_best) or ("mean", z_mean), the
    answer's "from" key first and the step from that origin."""
    parts = []
    for i, z in enumerate(points):
        head = ""
        if origins is not None:
            head = '"from": "%s", ' % origins[i][0]
            z_best = origins[i][1]
        # Inside the advisor's bounds [-u, 1 - u] by a margin: u is recomputed from the point in
        # original units, and a best point on a 4-decimal fraction (the unit warm start's) puts
        # 1 - u within rounding of a 4-decimal step.
        lo = np.ceil(-z_best * 1e4 + 1e-6) / 1e4
        hi = np.floor((1 - z_best) * 1e4 - 1e-6) / 1e4
        s = np.clip(np.round(z - z_best, 4), lo, hi)
        kv = []
        for n, v in zip(names, s):
            t = "%.4f" % v
            t = t.rstrip("0").rstrip(".")
            kv.append('"%s": %s' % (n, "0" if t in ("-0", "", "0") else t))
        parts.append("{" + head + ", ".join(kv) + "}")
    return '{"points": [' + ", ".join(parts) + "]}"


def ranking_answer(order):
    return '{"ranking": [' + ", ".join(str(i) for i in order) + "]}"


# ------------------------------------------------------------------------------------------------
# The teacher, an OpenAI-compatible server in this process
# ------------------------------------------------------------------------------------------------

class Task:
    """What the teacher knows about the current run: the function and the history."""
    step = False  # --answer step: answers after the first evaluation are steps from the best
    unit = False  # --answer unit: the policy of distill/policy.py (implies step)
    anchored = False  # --answer anchored: unit, and each step names its origin (best or mean)
    n_from = {"best": 0, "mean": 0}  # anchored steps written, by origin
    pending = None  # the unit point of the last one-point step answer, to compare with the loop's
    mapped_checked = 0  # step answers whose point the loop then evaluated, compared
    mapped_bad = 0  # ... and differed by more than the answer's rounding (1e-4 of the unit box, a point on a bound moved in)
    policy = policy.DEFAULT  # --policy: which of policy.POLICIES
    mean_checked = 0  # prompts whose {{mean_step}} line was compared with the policy's mean
    mean_bad = 0  # ... and differed from it by more than the printed rounding
    scale_checked = 0  # prompts whose {{step_scale}} line was compared with policy.scale
    scale_bad = 0  # ... and differed from its 4 decimals
    fn = None
    X = []
    y = []
    rng = None


TASK = Task()
CAND_RE = re.compile(r"^(\d+): (.*?) \| mean=")


def parse_point(text, names):
    vals = dict(kv.split("=", 1) for kv in text.split(", "))
    return [float(vals[n]) for n in names]


def teacher_answer(body):
    fn = TASK.fn
    fmt = body.get("llmbo_format") or {}
    user = body["messages"][-1]["content"]
    if "GP candidates" in user:
        idx, pts = [], []
        for line in user.splitlines():
            m = CAND_RE.match(line)
            if m:
                idx.append(int(m.group(1)))
                pts.append(parse_point(m.group(2), fn.names))
        vals = fn.value_unit(fn.unit(np.array(pts)))
        order = [idx[i] for i in np.argsort(vals, kind="stable")]
        m = re.search(r"Rank the candidates, best first \((\d+)\)", user)
        need = int(m.group(1)) if m else 1
        return ranking_answer(order[:max(1, min(need, len(order)))])
    m = re.search(r"Propose (\d+) new point", user)
    n_want = int(m.group(1)) if m else 1
    rng = TASK.rng
    d = fn.d
    Z = fn.unit(np.array(TASK.X)) if TASK.X else np.zeros((0, d))
    y = np.array(TASK.y)
    if TASK.unit:
        return policy_answer(user, n_want, rng, Z, y)
    cands = [rng.random((32, d))]
    if len(y):
        order = np.argsort(y)
        for rank, i in enumerate(order[:3]):
            k = 48 if rank == 0 else 8
            s = np.exp(rng.uniform(np.log(0.01), np.log(0.2), size=(k, 1)))
            cands.append(Z[i] + s * rng.standard_normal((k, d)))
    C = np.clip(np.concatenate(cands), 0, 1)
    v = fn.value_unit(C)
    if len(y):
        # The loop drops a proposal within its duplicate tolerance (1e-3 of the unit box) of an
        # evaluated point, so the teacher never answers with one.
        dist = np.abs(C[:, None, :] - Z[None]).max(axis=2).min(axis=1)
        v = np.where(dist > 3e-3, v, np.inf)
    best = C[np.argsort(v)[:n_want]]
    if TASK.step and len(y) and STEP_MARK in user:
        return steps_answer(best, Z[int(np.argmin(y))], fn.names)
    return points_answer([fn.from_unit(z) for z in best], fn.names, fn.lo, fn.hi)


UNIT_MARK = "as fractions of each range"
MEAN_RE = re.compile(r"^Mean of these as a step from Best: (.*)$", re.M)
USED_RE = re.compile(r"^Used (\d+) of (\d+)\.$", re.M)
SCALE_RE = re.compile(r"^Step scale: (.*) of each range\.$", re.M)


def policy_answer(user, n_want, rng, Z, y):
    """The answer of distill/policy.py to this prompt: the warm start's Latin hypercube as
    fractions of each range, or steps from Best drawn from the shown history (the 5 best)."""
    d = Z.shape[1]
    if not len(y):
        if UNIT_MARK not in user:
            raise RuntimeError("gen_data: a warm-start prompt without %r" % UNIT_MARK)
        return steps_answer(policy.warm_start(rng, n_want, d), np.zeros(d), TASK.fn.names)
    if STEP_MARK not in user:
        raise RuntimeError("gen_data: a propose prompt without %r: %s" % (STEP_MARK, user))
    m = USED_RE.search(user)
    used, budget = int(m.group(1)), int(m.group(2))
    m = SCALE_RE.search(user)
    if m:  # distill/templates-scale: the printed scale must be the policy's default schedule
        TASK.scale_checked += 1
        TASK.scale_bad += m.group(1) != "%.4f" % policy.scale(used, budget)
    shown = np.argsort(y, kind="stable")[:5]
    zb = Z[shown[0]]
    m = MEAN_RE.search(user)
    if m:  # distill/templates-mean: the prompt's mean must be the one the policy steps from
        TASK.mean_checked += 1
        shown_mean = np.array(parse_point(m.group(1), TASK.fn.names))
        TASK.mean_bad += bool(np.abs(shown_mean - (Z[shown].mean(axis=0) - zb)).max() > 6e-5)
    zm = Z[shown].mean(axis=0)
    pts, origins = [], []
    for _ in range(n_want):
        for _ in range(50):  # the loop rejects a repeat (1e-3 of the unit box): draw again
            s, origin = policy.step(rng, Z[shown], y[shown], used, budget, TASK.policy,
                                    anchor=True)
            z = zb + s
            o = zm if TASK.anchored and origin == "mean" else zb
            z = np.clip(np.round(z - o, 4) + o, 0, 1)
            if np.abs(Z - z).max(axis=1).min() > 2e-3 and all(
                    np.abs(q - z).max() > 2e-3 for q in pts):
                break
        pts.append(z)
        origins.append((origin, zm) if origin == "mean" else (origin, zb))
        TASK.n_from[origin] += 1
    TASK.pending = pts[0] if n_want == 1 else None
    return steps_answer(pts, zb, TASK.fn.names, origins if TASK.anchored else None)


def send_completion(handler, text, rid, model):
    """Writes an OpenAI chat completion whose answer is text (no token counts) as handler's
    reply (also perf/distill_prompt_identity.py's replay server)."""
    out = json.dumps({"id": rid, "object": "chat.completion", "model": model,
                      "choices": [{"index": 0, "finish_reason": "stop",
                                   "message": {"role": "assistant", "content": text}}],
                      "usage": {"prompt_tokens": 0, "completion_tokens": 0,
                                "total_tokens": 0}}).encode()
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(out)))
    handler.end_headers()
    handler.wfile.write(out)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n))
        send_completion(self, teacher_answer(body), "teacher", body.get("model"))


def advisor_config(mode, port, cassette, answer, templates=None):
    t = templates or os.path.join(HERE, {"step": "templates-step", "unit": "templates-unit",
                                         "anchored": "templates-anchor"}.get(answer, "templates"))
    return {"answer": answer, "backend": "openai", "base_url": "http://127.0.0.1:%d/v1" % port,
            "api_key_env": None, "model": "llmbo-teacher", "mode": mode, "record": cassette,
            "n_candidates": 5, "history": "best", "history_n": 5, "digits": 4,
            "templates": {k: os.path.join(t, k + ".txt") for k in
                          ("system", "rank", "propose", "pool", "warmstart")},
            "price": {"input": 0, "output": 0}, "timeout": 30}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--max-dim", type=int, default=8)
    ap.add_argument("--max-budget", type=int, default=50)
    ap.add_argument("--rank-every", type=int, default=2,
                    help="every N-th run is in rank mode, the others in propose mode")
    ap.add_argument("--answer", choices=("step", "absolute", "unit", "anchored"),
                    default="absolute",
                    help="propose answers after the first evaluation: coordinates (templates/) "
                         "or steps from the best point (templates-step/, which says so); unit: "
                         "the search policy of policy.py, warm start as fractions of each range "
                         "(templates-unit/); anchored: unit, and each step names its origin, "
                         "\"from\": \"best\" or \"mean\" (templates-anchor/)")
    ap.add_argument("--policy", choices=sorted(policy.POLICIES), default="round6",
                    help="--answer unit: the settings of policy.py (round7 steps from the mean "
                         "of the shown points that distill/templates-mean prints)")
    ap.add_argument("--templates", default=None,
                    help="template directory (default: the one of --answer)")
    a = ap.parse_args()
    TASK.policy = policy.POLICIES[a.policy]
    TASK.step = a.answer in ("step", "unit", "anchored")
    TASK.unit = a.answer in ("unit", "anchored")
    TASK.anchored = a.answer == "anchored"
    os.makedirs(a.out, exist_ok=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rng = np.random.default_rng(a.seed)
    n_calls = 0
    for run in range(a.runs):
        d = int(rng.integers(1, a.max_dim + 1))
        fn = TrainFunction(rng, d)
        mode = "rank" if run % a.rank_every == a.rank_every - 1 else "propose"
        budget = int(rng.integers(max(12, 2 * d + 6), a.max_budget + 1))
        cassette = os.path.join(a.out, "run%04d-%s.jsonl" % (run, mode))
        if os.path.exists(cassette):
            os.remove(cassette)
        TASK.fn, TASK.X, TASK.y = fn, [], []
        TASK.rng = np.random.default_rng([a.seed, run])
        adv = Advisor(advisor_config(mode, port, cassette, a.answer, a.templates))
        opt = llmbo.Optimizer(fn.space(), seed=run, budget=budget,
                              strategy="llm" if mode == "propose" else "gp+llm", advisor=adv)
        for _ in range(budget):
            TASK.pending = None
            t = opt.ask(1)[0]
            if TASK.pending is not None and mode == "propose":  # the advisor's mapping of a step
                TASK.mapped_checked += 1
                TASK.mapped_bad += bool(np.abs(fn.unit(np.array([t.x]))[0] -
                                               TASK.pending).max() > 1.01e-4)
            v = fn(t.x)
            opt.tell(t, v)
            TASK.X.append(list(t.x))
            TASK.y.append(v)
        calls = adv.cost()["calls"]
        n_calls += calls
        opt.close()
        del adv
        print("run %d: %s d=%d budget=%d %s calls=%d best=%.4g" %
              (run, fn.kind, d, budget, mode, calls, min(TASK.y)), flush=True)
    srv.shutdown()
    if TASK.mean_checked:
        print("gen_data: the prompt's mean step checked against the policy's in %d prompts, %d "
              "differ" % (TASK.mean_checked, TASK.mean_bad))
    if TASK.scale_checked:
        print("gen_data: the prompt's step scale checked against policy.scale in %d prompts, %d "
              "differ" % (TASK.scale_checked, TASK.scale_bad))
    if TASK.mapped_checked:
        print("gen_data: %d step answers mapped back to the points the loop evaluated, %d differ"
              % (TASK.mapped_checked, TASK.mapped_bad))
    if TASK.unit:
        print("gen_data: policy steps from best %d, from the mean %d%s" %
              (TASK.n_from["best"], TASK.n_from["mean"],
               " (written as \"from\")" if TASK.anchored else ""))
    print("gen_data: %d runs, %d advisor calls recorded in %s" % (a.runs, n_calls, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
