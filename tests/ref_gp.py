#!/usr/bin/env python3
"""Independent reference for tests/test_gp.c: scikit-learn's GaussianProcessRegressor with the
same fixed kernel and noise (optimizer=None, normalize_y=True, noise as alpha on the training
diagonal so predictions are of the latent f).

Usage: ref_gp.py IN OUT [IN OUT ...] (one interpreter start for several problems)
IN:  line 1 "kernel n d m" (kernel: se, matern12, matern32, matern52); line 2 the lengthscales
     (d), signal variance and noise variance (standardised units); then n lines "x_1..x_d y",
     then m lines "x_1..x_d" (test points).
OUT: line 1 the log marginal likelihood; then m lines "mean var" in the caller's units.
"""
import sys

import numpy as np
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern


def solve(src, dst):
    with open(src) as f:
        rows = [line.split() for line in f if line.strip()]
    kname, n, d, m = rows[0][0], int(rows[0][1]), int(rows[0][2]), int(rows[0][3])
    hyper = [float(v) for v in rows[1]]
    ls, sf2, sn2 = np.array(hyper[:d]), hyper[d], hyper[d + 1]
    data = np.array([[float(v) for v in r] for r in rows[2:2 + n]])
    X, y = data[:, :d], data[:, d]
    Xs = np.array([[float(v) for v in r] for r in rows[2 + n:2 + n + m]])
    fixed = "fixed"
    if kname == "se":
        base = RBF(length_scale=ls, length_scale_bounds=fixed)
    else:
        nu = {"matern12": 0.5, "matern32": 1.5, "matern52": 2.5}[kname]
        base = Matern(length_scale=ls, length_scale_bounds=fixed, nu=nu)
    kernel = ConstantKernel(sf2, constant_value_bounds=fixed) * base
    gpr = GaussianProcessRegressor(kernel=kernel, alpha=sn2, optimizer=None, normalize_y=True)
    gpr.fit(X, y)
    mean, std = gpr.predict(Xs, return_std=True)
    with open(dst, "w") as f:
        f.write("%.17g\n" % gpr.log_marginal_likelihood_value_)
        for mu, sd in zip(mean, std):
            f.write("%.17g %.17g\n" % (mu, sd * sd))


def main():
    args = sys.argv[1:]
    if not args or len(args) % 2:
        sys.exit("usage: ref_gp.py IN OUT [IN OUT ...]")
    for i in range(0, len(args), 2):
        solve(args[i], args[i + 1])


if __name__ == "__main__":
    main()
