#!/usr/bin/env python3
"""parallel_basins.py LO HI RUN... : which hartmann6 basin each run's incumbent sits in, by
evaluation (perf/results/parallel.md, round 7).

Every evaluated point of RUN-sS (seeds LO..HI; journal.jsonl, proposals in id order) is assigned
to the local minimum a projected steepest descent on hartmann6 reaches from it (the standard
constants, the unit cube); minima are named by their regret (G: global, T: the 0.12 trap
x ~ (0.40, 0.88, 0.85, 0.57, 0.14, 0.04), else the rounded regret). Prints per run and seed the
basin of the final incumbent, the first evaluation whose incumbent lies in the global basin,
the number of points evaluated in the global and trap basins before evaluation 26 and in all,
then per run the final incumbents counted as: in the trap (T), in the global basin with regret
<= 0.05 (G done), in the global basin above 0.05 (G unfinished: the descent did not end),
elsewhere. Stuck (regret > 0.05, perf/results/suite.md) = T + G unfinished + elsewhere."""
import json, math, sys

A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
     [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
     [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
     [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
     [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]
FOPT = -3.322368011415515


def f_grad(x):
    f, g = 0.0, [0.0] * 6
    for i in range(4):
        e = ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2 for j in range(6)))
        f -= e
        for j in range(6):
            g[j] += e * 2 * A[i][j] * (x[j] - P[i][j])
    return f, g


def descend(x):
    """Projected gradient descent with backtracking to a local minimum; returns its value."""
    x = list(x)
    f, g = f_grad(x)
    t = 0.01
    for _ in range(3000):
        while True:
            y = [min(1.0, max(0.0, x[j] - t * g[j])) for j in range(6)]
            fy, gy = f_grad(y)
            if fy <= f - 1e-4 * sum(g[j] * (x[j] - y[j]) for j in range(6)) or t < 1e-12:
                break
            t *= 0.5
        if f - fy < 1e-13:
            break
        x, f, g = y, fy, gy
        t *= 2.0
    return f


def basin(x, cache={}):
    k = tuple(round(v, 12) for v in x)
    if k not in cache:
        r = descend(x) - FOPT
        cache[k] = "G" if r < 1e-3 else "T" if abs(r - 0.1192) < 0.01 else f"{r:.2f}"
    return cache[k]


def main():
    lo, hi = int(sys.argv[1]), int(sys.argv[2])
    runs = sys.argv[3:]
    summary = {}
    for run in runs:
        for s in range(lo, hi + 1):
            rows = [json.loads(l) for l in open(f"{run}-s{s}/journal.jsonl")]
            rows.sort(key=lambda r: r["id"])
            best, binc, first_g = math.inf, None, None
            n_g = n_t = n_g26 = n_t26 = 0
            for n, r in enumerate(rows, 1):
                if r["status"] != "ok":
                    continue
                b = basin(r["xv"])
                n_g += b == "G"
                n_t += b == "T"
                if n < 26:
                    n_g26 += b == "G"
                    n_t26 += b == "T"
                if r["y"] < best:
                    best, binc = r["y"], b
                if binc == "G" and first_g is None:
                    first_g = n
            reg = best - FOPT
            summary.setdefault(run, []).append((binc, first_g, reg))
            print(f"{run} s{s}: final {binc} regret {reg:.3g}; incumbent global from "
                  f"{first_g if first_g else '-'}; global/trap points before 26: {n_g26}/{n_t26}, "
                  f"all: {n_g}/{n_t}")
    for run, v in summary.items():
        cnt = {"T": 0, "G done": 0, "G unfinished": 0, "elsewhere": 0}
        for b, _, reg in v:
            k = "T" if b == "T" else ("G done" if reg <= 0.05 else "G unfinished") if b == "G" \
                else "elsewhere"
            cnt[k] += 1
        print(f"{run}: final incumbents {cnt}")

if __name__ == "__main__":
    main()
