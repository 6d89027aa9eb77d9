#!/usr/bin/env python3
"""distill_policy_grid.py: a grid of distill/policy.py settings run alone on the built-in suite
(perf/distill_policy.py's runs and random search), ranked by the number of objectives at 0.3x
random search's median or better, then by the sum of log ratios. Round 6 of
perf/results/distill.md chose the policy's DEFAULT with it on the tuning seeds 0-99.

Usage: LLMBO_LIB=build/libllmbo.so distill_policy_grid.py SEEDS GRID [TOP]
       SEEDS: a range like 0-99; GRID: a Python expression giving a list of dicts of
       distill/policy.py keys, each applied over DEFAULT, e.g.
       "[dict(center=c, big=b) for c in (0, 0.2, 0.4) for b in (0, 0.1)]"
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import distill_policy as dp  # noqa: E402  (puts python/ and distill/ on the path)
import llmbo  # noqa: E402
import policy  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    seeds = dp.seed_range(sys.argv[1])
    grid = eval(sys.argv[2], {"__builtins__": {}, "dict": dict, "range": range})
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    suite = [(llmbo.Objective(n), budget, n0) for n, budget, n0 in dp.SUITE]
    rand = [np.median([dp.random_search(f, budget, s) for s in seeds]) for f, budget, _ in suite]
    rows = []
    for g in grid:
        bad = set(g) - set(policy.DEFAULT)
        if bad:
            print("distill_policy_grid: unknown key(s) %s" % ", ".join(sorted(bad)),
                  file=sys.stderr)
            return 2
        p = dict(policy.DEFAULT, **g)
        r = [np.median([dp.run(f, budget, n0, s, p) for s in seeds]) / q
             for (f, budget, n0), q in zip(suite, rand)]
        rows.append((sum(x <= 0.3 for x in r), -float(np.sum(np.log(r))), g, r))
    rows.sort(key=lambda t: (-t[0], -t[1]))
    print("wins  -sum(log ratio)  setting  |  %s" % " ".join(n for n, _, _ in dp.SUITE))
    for w, score, g, r in rows[:top]:
        print("%d  %.2f  %s  |  %s" % (w, score, g, " ".join("%.2f" % x for x in r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
