#!/usr/bin/env python3
"""warmstart_table.py: new evaluations until a regret target, cold-s0..9 against warm-s0..9 on
hartmann6 (imported "data" lines not counted), from the run directories in the current
directory (perf/results/parallel.md)."""
import json, statistics
OPT = -3.32237
def new_evals_to(d, target):
    best = None; n = 0
    for o in map(json.loads, open(d + "/journal.jsonl")):
        if o["source"] != "data":
            n += 1
        if o["y"] is not None:
            best = o["y"] if best is None else min(best, o["y"])
        if best is not None and best - OPT <= target:
            return n
    return None
for t in (1.0, 0.5, 0.2, 0.1):
    rows = []
    for s in range(10):
        c, w = new_evals_to(f"cold-s{s}", t), new_evals_to(f"warm-s{s}", t)
        rows.append((c, w))
    f = lambda v: 41 if v is None else v
    fewer = sum(f(w) < f(c) for c, w in rows); more = sum(f(w) > f(c) for c, w in rows)
    print(f"regret <= {t}: new evaluations cold median {statistics.median(f(c) for c,_ in rows)}, warm median {statistics.median(f(w) for _,w in rows)}; "
          f"warm fewer on {fewer}/10 seeds, more on {more}/10; not reached in 40: cold {sum(c is None for c,_ in rows)}, warm {sum(w is None for _,w in rows)}")
    print("   per seed (cold/warm):", " ".join(f"{'-' if c is None else c}/{'-' if w is None else w}" for c, w in rows))
prev = [json.load(open(f"prev-s{s}/summary.json"))["final_regret"] for s in range(10)]
print("previous runs' regret after 20: median %.3g" % statistics.median(prev))
for name in ("cold", "warm"):
    r = [json.load(open(f"{name}-s{s}/summary.json"))["final_regret"] for s in range(10)]
    print(f"{name}: final regret after 40 new: median {statistics.median(r):.3g}, worst {max(r):.3g}")
