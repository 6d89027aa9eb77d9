#!/usr/bin/env python3
"""noisy_optuna.py NAME NOISE BUDGET SEED tpe|cma: Optuna's TPE or CMA-ES sampler on llmbo's
built-in objective NAME plus Gaussian noise of standard deviation NOISE (its own seeded stream),
for BUDGET trials; prints the noise-free regret at the best observed point (perf/run_noisy.sh)."""
import sys

import numpy as np
import optuna

import llmbo

optuna.logging.set_verbosity(optuna.logging.ERROR)
name, noise, budget, seed, alg = (sys.argv[1], float(sys.argv[2]), int(sys.argv[3]),
                                  int(sys.argv[4]), sys.argv[5])
obj = llmbo.Objective(name)
params = obj.space.params
rng = np.random.default_rng(seed + 12345)
best = [np.inf, None]


def f(trial):
    x = [trial.suggest_float(p.name, p.lo, p.hi) for p in params]
    y = obj(x) + noise * rng.standard_normal()
    if y < best[0]:
        best[0], best[1] = y, x
    return y


sampler = (optuna.samplers.TPESampler(seed=seed) if alg == "tpe"
           else optuna.samplers.CmaEsSampler(seed=seed))
optuna.create_study(sampler=sampler).optimize(f, n_trials=budget)
print(abs(obj(best[1]) - obj.optimal_value))
