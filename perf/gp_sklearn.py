#!/usr/bin/env python3
"""Reference side of perf/bench_gp.c: the same GP work with Debian's scikit-learn.

  gp_sklearn.py fit DIR N D [REPS]   fit and predict on DIR/gp_nN_dD.txt (written by
                                     bench_gp --dump), print one tab-separated row
  gp_sklearn.py report OURS SKL      merge the two tables into the markdown of perf/results/gp.md

Model: ConstantKernel * Matern(nu=2.5, ARD lengthscales) + WhiteKernel, normalize_y=True,
n_restarts_optimizer=0: one L-BFGS-B run from the initial hyperparameters, as llmbo's default runs
one L-BFGS from the best of its screened starts. The optimiser is scikit-learn's own default
(scipy L-BFGS-B with the analytic gradient), wrapped only to count likelihood evaluations.
"""
import sys
import time

import numpy as np
import scipy.optimize
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

N_SINGLE = 100  # single-point predictions timed (scikit-learn's per-call overhead dominates)


def read(path):
    with open(path) as f:
        n, d, m = (int(v) for v in f.readline().split())
        rows = [np.array(line.split(), dtype=float) for line in f if line.strip()]
    train = np.array(rows[:n])
    return train[:, :d], train[:, d], np.array(rows[n:n + m])


def fit(directory, n, d, reps):
    X, y, Xs = read("%s/gp_n%d_d%d.txt" % (directory, n, d))
    nfev = []

    def optimizer(obj_func, initial_theta, bounds):
        res = scipy.optimize.minimize(obj_func, initial_theta, method="L-BFGS-B", jac=True,
                                      bounds=bounds)
        nfev.append(res.nfev)
        return res.x, res.fun

    best, best_cpu = float("inf"), float("inf")
    gpr = None
    for _ in range(reps):
        kernel = (ConstantKernel(1.0) * Matern(length_scale=np.ones(d), nu=2.5)
                  + WhiteKernel(1e-2))
        gpr = GaussianProcessRegressor(kernel=kernel, normalize_y=True, optimizer=optimizer,
                                       n_restarts_optimizer=0)
        t0, c0 = time.perf_counter(), time.process_time()
        gpr.fit(X, y)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    t_batch = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        gpr.predict(Xs, return_std=True)
        t_batch = min(t_batch, time.perf_counter() - t0)
    t0 = time.perf_counter()
    for i in range(N_SINGLE):
        gpr.predict(Xs[i:i + 1], return_std=True)
    t_single = time.perf_counter() - t0
    print("%d\t%d\t%.6f\t%.6f\t%d\t%.3f\t%.3f\t%.6f" % (
        n, d, best, best_cpu, nfev[-1], 1e6 * t_single / N_SINGLE, 1e6 * t_batch / len(Xs),
        gpr.log_marginal_likelihood_value_))
    sys.stdout.flush()


def report(ours_path, skl_path):
    ours, skl = {}, {}
    with open(ours_path) as f:
        for line in f:
            v = line.split()
            if v and v[0] != "n":
                ours[(int(v[0]), int(v[1]))] = v
    with open(skl_path) as f:
        for line in f:
            v = line.split()
            if v:
                skl[(int(v[0]), int(v[1]))] = v
    print("| d | n | llmbo fit s wall / cpu (evals) | sklearn fit s wall / cpu (evals) | fit ratio "
          "(cpu) | llmbo warm refit s (evals) | llmbo predict us (+grad) | sklearn predict us | "
          "llmbo batch us | sklearn batch us | batch ratio | lml llmbo / sklearn |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for key in sorted(ours, key=lambda k: (k[1], k[0])):
        o = ours[key]  # n d fit_s fit_cpu_s evals warm_s warm_evals pred grad batch lml log_post
        s = skl.get(key)  # n d fit_s fit_cpu_s nfev single batch lml
        row = ["%d" % key[1], "%d" % key[0],
               "%.4f / %.4f (%s)" % (float(o[2]), float(o[3]), o[4])]
        if s:
            row += ["%.4f / %.4f (%s)" % (float(s[2]), float(s[3]), s[4]),
                    "**%.1fx**" % (float(s[3]) / float(o[3]))]
        else:
            row += ["not run", "-"]
        row += ["%.4f (%s)" % (float(o[5]), o[6]), "%s (%s)" % (o[7], o[8])]
        if s:
            row += [s[5], o[9], s[6], "%.1fx" % (float(s[6]) / float(o[9])),
                    "%.2f / %.2f" % (float(o[10]), float(s[7]))]
        else:
            row += ["-", o[9], "-", "-", "%.2f / -" % float(o[10])]
        print("| " + " | ".join(row) + " |")


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "fit":
        reps = int(sys.argv[5]) if len(sys.argv) > 5 else (3 if int(sys.argv[3]) <= 500 else 1)
        fit(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), reps)
    elif len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
