"""llmbo: LLM-in-the-loop Bayesian optimisation, the Python package over libllmbo (ctypes).

    import llmbo
    space = llmbo.Space([llmbo.Continuous("x", -5, 10), llmbo.Integer("n", 1, 8),
                         llmbo.Log("lr", 1e-5, 1e-1), llmbo.Categorical("opt", ["sgd", "adam"])])
    res = llmbo.minimize(f, space, budget=30, seed=1)      # f takes a dict of parameters

Optimizer (ask/tell), GP, Objective (built-in benchmarks) and, in llmbo.optuna, an Optuna
sampler. The shared library is found at $LLMBO_LIB, by the system loader, or in the source
tree's build/ folder.
"""

from ._lib import Error, InvalidError, NumericError, library_path
from .space import Space, Param, Continuous, Integer, Log, Categorical
from .objective import Objective, objectives
from .gp import GP
from .optimizer import Optimizer, Trial, Best, Result, minimize

__version__ = "0.1.0"

__all__ = ["Error", "InvalidError", "NumericError", "Space", "Param", "Continuous", "Integer",
           "Log", "Categorical", "Objective", "objectives", "GP", "Optimizer", "Trial", "Best",
           "Result", "minimize", "library_path"]
