#!/usr/bin/python3
"""Merges the CSV lines of bench_suite, suite_peers.py and bayesopt_suite (method, objective,
budget, seed, regret, near_dups, escapes, seconds) into one Markdown table per objective:
median final regret, IQR (numpy's linear quantiles), stuck runs (regret above the objective's
threshold below), worst run, runs worse than random search's median, seconds per run, and
near-duplicate evaluations (total over the runs, and the number of runs with any).

usage: suite_table.py FILE.csv...
"""
import collections
import sys

import numpy as np

# A run is "stuck" when its final regret exceeds this: a trapped basin, not slow convergence
# (issue 11's thresholds where it gives one; else about a local minimum's gap).
STUCK = {"branin": 0.01, "hartmann3": 0.005, "hartmann6": 0.05, "ackley:5": 3.0, "levy:4": 0.5,
         "rosenbrock:4": 100.0, "shekel5": 1.0, "styblinski_tang:4": 10.0,
         "six_hump_camel": 0.1}


def main():
    runs = collections.defaultdict(list)
    budgets = {}
    for path in sys.argv[1:]:
        for line in open(path):
            p = line.strip().split(",")
            if len(p) != 8:
                continue
            m, obj, budget, seed, reg, nd, esc, sec = p
            runs[(obj, m)].append((int(seed), float(reg), int(nd), int(esc), float(sec)))
            budgets[obj] = int(budget)
    objs = list(dict.fromkeys(o for o, _ in runs))
    print("| objective@budget | method | runs | median | IQR | stuck | worst | > random median "
          "| s/run | near-dups (runs) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for obj in objs:
        rnd = [r[1] for r in runs.get((obj, "llmbo-random"), [])]
        rmed = float(np.median(rnd)) if rnd else None
        methods = sorted(m for o, m in runs if o == obj)
        for m in methods:
            rs = runs[(obj, m)]
            reg = np.array([r[1] for r in rs])
            q1, med, q3 = np.quantile(reg, [0.25, 0.5, 0.75])
            stuck = int(np.sum(reg > STUCK.get(obj, np.inf)))
            worse = "-" if rmed is None or m == "llmbo-random" else str(int(np.sum(reg > rmed)))
            nd = sum(r[2] for r in rs)
            ndr = sum(1 for r in rs if r[2] > 0)
            sec = np.mean([r[4] for r in rs])
            print("| %s@%d | %s | %d | %.3g | %.3g – %.3g | %d | %.3g | %s | %.3g | %d (%d) |"
                  % (obj, budgets[obj], m, len(rs), med, q1, q3, stuck, reg.max(), worse, sec,
                     nd, ndr))


if __name__ == "__main__":
    main()
