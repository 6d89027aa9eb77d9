#!/usr/bin/env python3
"""distill_policy.py: the step teacher of distill/policy.py run alone on the built-in
suite, no model: what a perfect imitator of it would reach. The policy sees only what the step
prompt shows (the 5 best evaluations, Best, "Used i of n"). Prints median final simple regret per
objective and its ratio to random search on the same seeds (random points in the box).

Usage: LLMBO_LIB=build/libllmbo.so distill_policy.py SEEDS [key=value ...]
       SEEDS: a range like 0-9; keys: those of distill/policy.py DEFAULT (s0, s1, center, big,
       pull, k, pm), DEFAULT otherwise; round 5's policy is big=0.2 center=0
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "distill"))
import llmbo  # noqa: E402
import policy  # noqa: E402

# name, budget, warm-start size (the advisor's warm start for that budget and dimension)
SUITE = [("branin", 40, 3), ("hartmann3", 40, 4), ("hartmann6", 60, 7), ("ackley:5", 40, 6),
         ("levy:4", 40, 5), ("rosenbrock:4", 40, 5)]
SHOWN = 5


def run(f, budget, n0, seed, p):
    d = f.dim
    lo = np.array([q.lo for q in f.space])
    hi = np.array([q.hi for q in f.space])
    rng = np.random.default_rng([seed, 14])
    Z = list(policy.warm_start(rng, n0, d))
    Y = [f(list(lo + z * (hi - lo))) for z in Z]
    while len(Y) < budget:
        idx = np.argsort(Y, kind="stable")[:SHOWN]
        Zs, Ys = np.array(Z)[idx], np.array(Y)[idx]
        z = Zs[0] + policy.step(rng, Zs, Ys, len(Y), budget, p)
        Z.append(z)
        Y.append(f(list(lo + z * (hi - lo))))
    return min(Y) - f.optimal_value


def random_search(f, budget, seed):
    lo = np.array([q.lo for q in f.space])
    hi = np.array([q.hi for q in f.space])
    rng = np.random.default_rng([seed, 15])
    return min(f(list(lo + rng.random(f.dim) * (hi - lo))) for _ in range(budget)) - \
        f.optimal_value


def seed_range(arg):
    """"A-B" (or "A") as the seeds A..B."""
    a, _, b = arg.partition("-")
    return range(int(a), int(b or a) + 1)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    seeds = seed_range(sys.argv[1])
    p = dict(policy.DEFAULT)
    for kv in sys.argv[2:]:
        k, _, v = kv.partition("=")
        if k not in tuple(policy.DEFAULT):
            print("distill_policy: unknown key %r" % k, file=sys.stderr)
            return 2
        p[k] = float(v)
    wins, cells = 0, []
    for name, budget, n0 in SUITE:
        f = llmbo.Objective(name)
        r = np.median([run(f, budget, n0, s, p) for s in seeds])
        q = np.median([random_search(f, budget, s) for s in seeds])
        wins += r <= 0.3 * q
        cells.append("%s %.3g (%.2fx)" % (name, r, r / q))
    print("%s: %d of 6 <= 0.3x | %s" % (" ".join("%s=%g" % kv for kv in sorted(p.items())), wins,
                                        ", ".join(cells)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
