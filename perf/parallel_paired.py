#!/usr/bin/env python3
"""parallel_paired.py A B [LO HI]: final regret of runs A-sLO..A-sHI against B-sLO..B-sHI
(summary.json; seeds 0..9 by default), paired by seed: medians, per-seed pairs, mean
log10(B/A) with a 95% bootstrap interval over seeds, and a table row for each of A and B
(median, IQR, runs stuck above hartmann6's trap threshold 0.05 as in perf/results/suite.md,
worst run) (perf/results/parallel.md)."""
import json, math, random, sys
a, b = sys.argv[1], sys.argv[2]
lo, hi = (int(sys.argv[3]), int(sys.argv[4])) if len(sys.argv) > 4 else (0, 9)
seeds = range(lo, hi + 1)
ra = [json.load(open(f"{a}-s{s}/summary.json"))["final_regret"] for s in seeds]
rb = [json.load(open(f"{b}-s{s}/summary.json"))["final_regret"] for s in seeds]
d = [math.log10(y) - math.log10(x) for x, y in zip(ra, rb)]
rng = random.Random(0)
boots = sorted(sum(rng.choice(d) for _ in d) / len(d) for _ in range(10000))
med = lambda v: sorted(v)[len(v)//2] if len(v) % 2 else (sorted(v)[len(v)//2-1] + sorted(v)[len(v)//2]) / 2
print(f"{a}: median {med(ra):.3g}  {b}: median {med(rb):.3g}")
print("per seed", " ".join(f"{x:.2g}/{y:.2g}" for x, y in zip(ra, rb)))
print(f"mean log10({b}/{a}) = {sum(d)/len(d):+.3f}, 95% bootstrap [{boots[250]:+.3f}, {boots[9750]:+.3f}]; {b} worse on {sum(x > 0 for x in d)}/{len(d)} seeds")
def q(v, f):
    v = sorted(v); i = f * (len(v) - 1); lo = int(i)
    return v[lo] + (v[min(lo + 1, len(v) - 1)] - v[lo]) * (i - lo)
for name, r in ((a, ra), (b, rb)):
    print(f"| {name} | {len(r)} | {med(r):.3g} | {q(r, .25):.3g} - {q(r, .75):.3g} | {sum(x > 0.05 for x in r)} | {max(r):.3g} |")
