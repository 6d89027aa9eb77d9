#!/usr/bin/env python3
"""noisy_table.py RES.txt: perf/run_noisy.sh's lines "PROBLEM METHOD SEED REGRET" as a Markdown
table: median, interquartile range (type 7 quantiles) and worst run per problem and method."""
import collections
import sys

runs = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    tag, method, seed, regret = line.split()
    try:
        runs[(tag, method)][int(seed)] = float(regret)
    except ValueError:
        pass


def q(v, p):
    v = sorted(v)
    h = (len(v) - 1) * p
    i = int(h)
    return v[i] + (v[min(i + 1, len(v) - 1)] - v[i]) * (h - i)


print("| problem | method | runs | median | IQR | worst |")
print("|---|---|---|---|---|---|")
for tag in sorted({t for t, _ in runs}):
    for method in ("gp", "random", "tpe", "cma"):
        v = list(runs[(tag, method)].values())
        if v:
            print(f"| {tag} | {method} | {len(v)} | {q(v, .5):.3g} | {q(v, .25):.3g} - "
                  f"{q(v, .75):.3g} | {max(v):.3g} |")
