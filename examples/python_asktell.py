#!/usr/bin/env python3
"""python_asktell.py: the llmbo Python package driving the loop by ask/tell (the Python twin of
bo_asktell.c). A made-up "yield" of a process with a temperature, a log-scale catalyst amount, an
integer number of stages and a categorical solvent, to be maximised; the reactor trips (a failed
evaluation) in one corner. Then the same with minimize(), and the GP on its own.

Run from a built checkout:
    LLMBO_LIB=build/libllmbo.so PYTHONPATH=python python3 examples/python_asktell.py
"""
import math

import llmbo

space = llmbo.Space([
    llmbo.Continuous("temperature", 20, 100, unit="degC", description="reactor temperature"),
    llmbo.Log("catalyst", 1e-4, 1, unit="mol/L", description="catalyst concentration"),
    llmbo.Integer("stages", 1, 8, description="number of stages"),
    llmbo.Categorical("solvent", ["water", "ethanol", "toluene"]),
])


def process_yield(p):
    """The user's own evaluation; None means it failed."""
    t, c, n = p["temperature"], math.log10(p["catalyst"]), p["stages"]
    if t > 95 and c > -1:
        return None  # the reactor trips
    bonus = {"water": 0.0, "ethanol": 6.0, "toluene": 2.0}[p["solvent"]]
    return 80 * math.exp(-((t - 72) / 15) ** 2 - (c + 2.2) ** 2) + 3 * n - 0.4 * n * n + bonus


# Ask/tell: the program stays in control. Options are the run config's keys (docs/config.md).
opt = llmbo.Optimizer(space, maximize=True, budget=30, seed=42, acquisition="logei",
                      init={"design": "sobol"})
for _ in range(15):
    batch = opt.ask(2)
    for trial in reversed(batch):  # results may come back in any order
        y = process_yield(trial.params)
        opt.tell(trial.id, y, failed=y is None)
        print("%2d %-6s %s -> %s" % (trial.id, trial.source, trial.params,
                                     "failed" if y is None else "%.3f" % y))
print("best", opt.best, "(%d evaluations, %d failed)" % (opt.n_told, opt.n_failed))

# The one-liner (minimize; maximize=True would maximise process_yield itself).
def loss(p):
    y = process_yield(p)
    return None if y is None else -y


res = llmbo.minimize(loss, space, budget=30, seed=42)
print("minimize:", res.best.value, res.best.params)

# Bad input raises ValueError with llmbo's message and key path.
try:
    llmbo.Optimizer(space, init={"design": "grid"})
except ValueError as e:
    print("as expected:", e)

# The GP alone, on a built-in objective with a known optimum.
branin = llmbo.Objective("branin")
X = [[i / 4, j / 4] for i in range(5) for j in range(5)]
y = [branin(branin.space.from_unit(u)) for u in X]
gp = llmbo.GP(2).fit(X, y)
mean, var = gp.predict([[0.5, 0.5]])
print("branin GP at the centre: %.3f +- %.3f (true %.3f); optimum %.6f" % (
    mean[0], math.sqrt(var[0]), branin(branin.space.from_unit([0.5, 0.5])), branin.optimal_value))
