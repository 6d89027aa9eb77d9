#!/usr/bin/env python3
"""paired_best.py A B LO HI: runs A-sLO..A-sHI against B-sLO..B-sHI, paired by seed, scored by
best_y of summary.json minus the optimum OPT (environment; default hartmann6's), for objectives
whose summary has no final_regret (external ones): mean log10(B / A) with a 95 % bootstrap
interval over seeds (as perf/parallel_paired.py), then median, IQR, runs above 0.05, worst."""
import json, math, random, sys
a, b, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
import os; opt = float(os.environ.get("OPT", "-3.3223680114155152"))
def r(n, s): return max(json.load(open(f"{n}-s{s}/summary.json"))["best_y"] - opt, 1e-12)
ra = [r(a, s) for s in range(lo, hi+1)]; rb = [r(b, s) for s in range(lo, hi+1)]
d = [math.log10(y/x) for x, y in zip(ra, rb)]
rng = random.Random(0)
bs = sorted(sum(rng.choice(d) for _ in d)/len(d) for _ in range(10000))
med = lambda v: sorted(v)[len(v)//2]
def q(v, f):
    v = sorted(v); i = f*(len(v)-1); l = int(i); return v[l] + (v[min(l+1, len(v)-1)]-v[l])*(i-l)
print(f"{b} vs {a}: {sum(d)/len(d):+.2f} [{bs[250]:+.2f}, {bs[9750]:+.2f}] worse on {sum(x>0 for x in d)}/{len(d)}")
for n, v in ((a, ra), (b, rb)): print(f"  {n}: median {q(v,.5):.3g} IQR {q(v,.25):.3g}-{q(v,.75):.3g} stuck {sum(x>0.05 for x in v)} worst {max(v):.3g}")
