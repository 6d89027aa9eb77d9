#!/usr/bin/env python3
"""distill_step_ceiling.py: what a perfect imitator of the step teacher could reach at best.

The step teacher (distill/gen_data.py --answer step) answers with the best, by true value, of 96
points around the incumbent: it sees the function, so it can always pick a small step that
improves. A student sees only the prompt. The best it can do without the teacher's privilege is
to draw a step from the teacher's own distribution of steps (for the same dimension): this script
runs that student on the built-in suite — warm start uniform in the box, then every point is the
best point plus a step vector drawn from the teacher's step answers in EXAMPLES (training data of
distill/dataset.py), times SCALE, bounded to the box — and prints the median final simple regret
over the seeds. It uses no model; it bounds what imitating this teacher can buy. A scale written
S>1 shrinks geometrically from S at the first step to 1 at the last (a step-size schedule a
teacher could follow and a prompt could show: "Used i of n").

Usage: LLMBO_LIB=build/libllmbo.so distill_step_ceiling.py EXAMPLES.jsonl [SCALE|S>1 ...]
       (seeds 0-9, budgets and warm-start sizes of perf/distill_tune_step.json)
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import llmbo  # noqa: E402

# name, budget, warm-start size (the advisor's warm start for that budget and dimension)
SUITE = [("branin", 40, 3), ("hartmann3", 40, 4), ("hartmann6", 60, 7), ("ackley:5", 40, 6),
         ("levy:4", 40, 5), ("rosenbrock:4", 40, 5)]
MARK = "as steps from Best"


def teacher_steps(path):
    steps = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if MARK not in e["prompt"]:
                continue
            a = e["answer"]
            a = a[:a.rfind("}") + 1]  # the example's answer ends with the end-of-turn token
            try:
                p = json.loads(a)["points"][0]
            except (ValueError, KeyError, IndexError):
                continue
            steps.setdefault(len(p), []).append(list(p.values()))
    return {d: np.array(v) for d, v in steps.items()}


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    scales = []
    for arg in sys.argv[2:] or ["1"]:
        try:
            scales.append((arg, float(arg.split(">")[0]), ">" in arg))
        except ValueError:
            print("distill_step_ceiling: scale %r: expected a number or S>1" % arg, file=sys.stderr)
            return 2
    steps = teacher_steps(sys.argv[1])
    for d, s in sorted(steps.items()):
        a = np.abs(s)
        print("teacher steps, %d-d: %d answers, |step| median %.4f, 90th percentile %.3f, "
              "zero %.0f%%" % (d, len(s), np.median(a), np.percentile(a, 90),
                               100 * (a == 0).mean()))
    for arg, scale, sched in scales:
        row = []
        for name, budget, n0 in SUITE:
            f = llmbo.Objective(name)
            d = f.dim
            lo = np.array([p.lo for p in f.space])
            hi = np.array([p.hi for p in f.space])
            regrets = []
            for seed in range(10):
                rng = np.random.default_rng(seed)
                Z = list(rng.random((n0, d)))
                Y = [f(list(lo + z * (hi - lo))) for z in Z]
                while len(Y) < budget:
                    k = scale
                    if sched:
                        k = scale ** (1 - (len(Y) - n0) / max(1, budget - n0 - 1))
                    z = np.clip(Z[int(np.argmin(Y))] + k * steps[d][rng.integers(len(steps[d]))],
                                0, 1)
                    Z.append(z)
                    Y.append(f(list(lo + z * (hi - lo))))
                regrets.append(min(Y) - f.optimal_value)
            row.append("%s %.3g" % (name, np.median(regrets)))
        print("steps x %s: median final regret %s" % (arg, ", ".join(row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
