#!/usr/bin/env python3
"""parallel_curve.py LO HI RUN...: median over seeds LO..HI of the best-so-far simple regret
after 10, 14, ..., 38 and 40 evaluations, counted in proposal-id order (the order the points were
asked, whichever finished first), for runs RUN-sLO .. RUN-sHI (journal.jsonl and summary.json of
llmbo run, a minimised objective; perf/results/parallel.md)."""
import json, statistics, sys

lo, hi = int(sys.argv[1]), int(sys.argv[2])
marks = [10, 14, 18, 22, 26, 30, 34, 38, 40]
for run in sys.argv[3:]:
    rows = []
    for s in range(lo, hi + 1):
        ys = {}
        with open(f"{run}-s{s}/journal.jsonl") as f:
            for line in f:
                e = json.loads(line)
                if e.get("y") is not None:
                    ys[e["id"]] = e["y"]
        sm = json.load(open(f"{run}-s{s}/summary.json"))
        opt = sm["best_y"] - sm["final_regret"]
        best, cur = [], float("inf")
        for i in range(max(ys) + 1):
            cur = min(cur, ys.get(i, cur))
            best.append(cur - opt)
        rows.append(best)
    cells = " ".join(f"{m}:{statistics.median(r[m - 1] for r in rows):.3g}"
                     for m in marks if all(len(r) >= m for r in rows))
    print(f"{run}  {cells}")
