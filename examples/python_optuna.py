#!/usr/bin/env python3
"""python_optuna.py: llmbo's GP as an Optuna sampler. The only change to an Optuna script is the
sampler= argument. The objective mixes every kind of parameter Optuna has.

Run from a built checkout (Debian: apt-get install python3-optuna):
    LLMBO_LIB=build/libllmbo.so PYTHONPATH=python python3 examples/python_optuna.py
"""
import math

import optuna

from llmbo.optuna import LlmboSampler


def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    layers = trial.suggest_int("layers", 1, 6)
    width = trial.suggest_int("width", 16, 512, log=True)
    act = trial.suggest_categorical("activation", ["relu", "tanh", "gelu"])
    # A made-up validation loss with its minimum at lr=3e-3, dropout=0.2, 3 layers, width 128.
    return ((math.log10(lr) + 2.5) ** 2 + 4 * (dropout - 0.2) ** 2 + 0.1 * (layers - 3) ** 2
            + 0.2 * (math.log2(width) - 7) ** 2 + {"relu": 0.05, "tanh": 0.3, "gelu": 0.0}[act])


optuna.logging.set_verbosity(optuna.logging.WARNING)
study = optuna.create_study(sampler=LlmboSampler(seed=0, acquisition="logei"))
study.optimize(objective, n_trials=40)
print("llmbo: best %.4f at %s" % (study.best_value, study.best_params))

tpe = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
tpe.optimize(objective, n_trials=40)
print("TPE:   best %.4f at %s" % (tpe.best_value, tpe.best_params))

# GP + advisor mode: the advisor object of a run config (docs/advisor.md), e.g.
#   LlmboSampler(strategy="gp+llm", advisor={"backend": "openai", "model": "...", ...},
#                problem="validation loss of a small network")
