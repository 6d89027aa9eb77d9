#!/usr/bin/python3
"""Plain Bayesian-optimisation loop on Debian's scikit-learn, the same-invocation comparison for
perf/results/bo_quality.md (issue 4).

Model: GaussianProcessRegressor(ConstantKernel * Matern(nu=2.5, ARD), alpha=1e-6,
normalize_y=True, n_restarts_optimizer=2), inputs scaled to [0, 1]^d. Initial design: d + 1
uniform random points (numpy seeded with the run's seed). Acquisition: expected improvement
(minimisation), maximised by a 2000-point uniform sweep followed by scipy L-BFGS-B from the best
5 sweep points. Regret is |best observed - known optimum|.

Usage: bo_sklearn.py --objective branin|hartmann6 [--budget N] [--seeds 1000-1009]
Prints one line per run (seed, regret, seconds) and, with --summary, the median, IQR (numpy's
linear quantiles), worst and seconds per run. With --raw it prints only "seed regret seconds"
lines (run_bo_compare.sh merges several processes' lines with --merge FILE...).
"""
import argparse
import sys
import time
import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

# ---- objectives, from the standard formulas (Dixon & Szego 1978; Surjanovic & Bingham) ----


def branin(x):
    x1, x2 = x
    a, b, c = 1.0, 5.1 / (4.0 * np.pi ** 2), 5.0 / np.pi
    r, s, t = 6.0, 10.0, 1.0 / (8.0 * np.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1.0 - t) * np.cos(x1) + s


HART_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
HART_A = np.array([[10, 3, 17, 3.5, 1.7, 8],
                   [0.05, 10, 17, 0.1, 8, 14],
                   [3, 3.5, 1.7, 10, 17, 8],
                   [17, 8, 0.05, 10, 0.1, 14]], dtype=float)
HART_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886],
                          [2329, 4135, 8307, 3736, 1004, 9991],
                          [2348, 1451, 3522, 2883, 3047, 6650],
                          [4047, 8828, 8732, 5743, 1091, 381]], dtype=float)


def hartmann6(x):
    inner = np.sum(HART_A * (np.asarray(x) - HART_P) ** 2, axis=1)
    return -float(np.sum(HART_ALPHA * np.exp(-inner)))


OBJECTIVES = {
    # name: (function, lower bounds, upper bounds, optimum value, default budget)
    "branin": (branin, np.array([-5.0, 0.0]), np.array([10.0, 15.0]), 0.39788735772973816, 30),
    "hartmann6": (hartmann6, np.zeros(6), np.ones(6), -3.322368011415515, 100),
}


def expected_improvement(gp, u, best):
    u = np.atleast_2d(u)
    mu, sd = gp.predict(u, return_std=True)
    sd = np.maximum(sd, 1e-12)
    z = (best - mu) / sd
    return (best - mu) * norm.cdf(z) + sd * norm.pdf(z)


def run(name, budget, seed):
    f, lo, hi, fopt, _ = OBJECTIVES[name]
    d = lo.size
    rng = np.random.default_rng(seed)
    U = rng.random((d + 1, d))
    y = [f(lo + u * (hi - lo)) for u in U]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
        length_scale=np.ones(d), length_scale_bounds=(0.025, 100.0), nu=2.5)
    while len(y) < budget:
        gp = GaussianProcessRegressor(kernel=kernel, alpha=1e-6, normalize_y=True,
                                      n_restarts_optimizer=2,
                                      random_state=int(rng.integers(2 ** 31)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gp.fit(U, np.array(y))
        best = min(y)
        cand = rng.random((2000, d))
        ei = expected_improvement(gp, cand, best)
        starts = cand[np.argsort(-ei)[:5]]
        xbest, eibest = starts[0], ei[np.argsort(-ei)[0]]
        for s in starts:
            r = minimize(lambda v: -expected_improvement(gp, v, best)[0], s,
                         method="L-BFGS-B", bounds=[(0.0, 1.0)] * d)
            if -r.fun > eibest:
                xbest, eibest = np.clip(r.x, 0.0, 1.0), -r.fun
        U = np.vstack([U, xbest])
        y.append(f(lo + xbest * (hi - lo)))
    return abs(min(y) - fopt)


def summary(name, budget, rows):
    reg = np.array([r[1] for r in rows])
    secs = np.array([r[2] for r in rows])
    q1, med, q3 = np.quantile(reg, [0.25, 0.5, 0.75])
    print(f"{name}@{budget} sklearn-gp ei: n={reg.size} median {med:.3g}  IQR {q1:.3g} - {q3:.3g}"
          f"  worst {reg.max():.3g}  {secs.mean():.2f} s per run")
    print("  runs: " + " ".join(f"{v:.3g}" for v in np.sort(reg)) + " (sorted)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objective", choices=sorted(OBJECTIVES), required=False)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--seeds", default="1000-1009", help="A-B or comma list")
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--merge", nargs="+", help="summarise raw files: NAME@BUDGET FILE...")
    a = ap.parse_args()
    if a.merge:
        label, files = a.merge[0], a.merge[1:]
        rows = []
        for fn in files:
            with open(fn) as fh:
                rows += [tuple(float(t) for t in ln.split()) for ln in fh if ln.strip()]
        name, budget = label.split("@")
        summary(name, int(budget), rows)
        return
    if not a.objective:
        ap.error("--objective is required")
    budget = a.budget or OBJECTIVES[a.objective][4]
    if "-" in a.seeds:
        s0, s1 = (int(t) for t in a.seeds.split("-"))
        seeds = list(range(s0, s1 + 1))
    else:
        seeds = [int(t) for t in a.seeds.split(",")]
    rows = []
    for s in seeds:
        t0 = time.perf_counter()
        reg = run(a.objective, budget, s)
        dt = time.perf_counter() - t0
        rows.append((s, reg, dt))
        print(f"{s} {reg:.6g} {dt:.3f}" if a.raw else f"seed {s}: regret {reg:.6g} ({dt:.2f} s)",
              flush=True)
    if not a.raw:
        summary(a.objective, budget, rows)


if __name__ == "__main__":
    sys.exit(main())
