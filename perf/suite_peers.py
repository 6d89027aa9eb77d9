#!/usr/bin/python3
"""Python peers of the robustness suite (issue 11), on exactly llmbo's objectives: the
functions, instances (shifted optima) and optimum values come from libllmbo itself through
ctypes (llmbo_objective_create / llmbo_objective_eval), so every method minimises the same
function. Centred objectives run as instance seed + 1, as in perf/bench_suite.c.

Methods: optuna-tpe (Optuna's TPESampler, seeded, default settings), cmaes (the cmaes
package's CMA with sigma = 0.3 box widths from the box centre, restarts not used, bounds
handled by the library), sklearn (perf/bo_sklearn.py's GP-EI loop, unchanged). One CSV line per
run: method, objective, budget, seed, regret, near-duplicates (< 1e-3 Euclidean in the unit cube
to an earlier evaluation), escapes (0: not applicable), seconds.

usage: suite_peers.py --method optuna-tpe|cmaes|sklearn --lib build/libllmbo.so
                      [--seeds A-B] --problem SPEC BUDGET SHIFTED [--problem ...]
The problems are the lines of `bench_suite --list --suite NAME` (perf/run_suite.sh passes them),
so the suites are defined in perf/bench_suite.c only.
"""
import argparse
import ctypes
import math
import os
import sys
import time
import warnings

import numpy as np

LOG_PARAM = 2  # LLMBO_PARAM_LOG


class Param(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("type", ctypes.c_int), ("lo", ctypes.c_double),
                ("hi", ctypes.c_double), ("n_choices", ctypes.c_int),
                ("choices", ctypes.c_void_p), ("unit", ctypes.c_char_p),
                ("description", ctypes.c_char_p)]


class Objective:
    """A libllmbo built-in objective (optionally an instance) callable on original units."""

    def __init__(self, lib, spec):
        self.lib = lib
        err = ctypes.create_string_buffer(2048)
        self.h = ctypes.c_void_p()
        if lib.llmbo_objective_create(spec.encode(), ctypes.byref(self.h), err) != 0:
            raise SystemExit("%s: %s" % (spec, err.raw[4:].split(b"\0")[0].decode()))
        self.d = lib.llmbo_objective_dim(self.h)
        sp = lib.llmbo_objective_space(self.h)
        # The peers see log parameters as log(x) (a uniform draw there is log-uniform, as
        # llmbo's unit cube maps them) and minimise sign * y (sign -1 for a maximisation).
        lo, hi, logp = [], [], []
        for i in range(self.d):
            p = ctypes.cast(lib.llmbo_space_param(sp, i), ctypes.POINTER(Param)).contents
            logp.append(p.type == LOG_PARAM)
            lo.append(math.log(p.lo) if logp[-1] else p.lo)
            hi.append(math.log(p.hi) if logp[-1] else p.hi)
        self.lo, self.hi, self.logp = np.array(lo), np.array(hi), np.array(logp)
        self.sign = -1.0 if lib.llmbo_objective_maximize(self.h) else 1.0
        v = ctypes.c_double()
        lib.llmbo_objective_optimal_value(self.h, ctypes.byref(v))
        self.fopt = v.value
        self.err = err
        self.U = []

    def __call__(self, x):
        x = np.clip(np.asarray(x, dtype=float), self.lo, self.hi)
        self.U.append((x - self.lo) / (self.hi - self.lo))
        arr = (ctypes.c_double * self.d)(*np.where(self.logp, np.exp(x), x))
        y = ctypes.c_double()
        if self.lib.llmbo_objective_eval(self.h, arr, ctypes.byref(y), self.err) != 0:
            return float("inf")
        return self.sign * y.value

    def regret(self, best):
        """best: the least sign * y a peer found."""
        return abs(self.sign * best - self.fopt)

    def near_dups(self):
        U = np.array(self.U)
        c = 0
        for i in range(1, len(U)):
            if np.min(np.sum((U[:i] - U[i]) ** 2, axis=1)) < 1e-6:
                c += 1
        return c


def load(path):
    lib = ctypes.CDLL(path)
    lib.llmbo_init()
    lib.llmbo_objective_space.restype = ctypes.c_void_p
    lib.llmbo_objective_space.argtypes = [ctypes.c_void_p]
    lib.llmbo_space_param.restype = ctypes.c_void_p
    lib.llmbo_space_param.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.llmbo_objective_dim.argtypes = [ctypes.c_void_p]
    lib.llmbo_objective_optimal_value.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.llmbo_objective_eval.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_void_p]
    return lib


def run_tpe(f, budget, seed):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(lambda t: f([t.suggest_float("x%d" % j, f.lo[j], f.hi[j])
                                for j in range(f.d)]), n_trials=budget)
    return study.best_value


def run_cmaes(f, budget, seed):
    from cmaes import CMA
    w = f.hi - f.lo
    opt = CMA(mean=np.full(f.d, 0.5), sigma=0.3, bounds=np.array([[0.0, 1.0]] * f.d),
              seed=seed)
    best, n = math.inf, 0
    while n < budget:
        sols = []
        for _ in range(opt.population_size):
            u = opt.ask()
            y = f(f.lo + u * w) if n < budget else math.inf
            n += 1
            best = min(best, y)
            sols.append((u, y if math.isfinite(y) else 1e300))
        if n <= budget:
            opt.tell(sols)
    return best


def run_sklearn(f, budget, seed):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bo_sklearn
    bo_sklearn.OBJECTIVES["_suite"] = (lambda x: f(x), f.lo, f.hi, f.sign * f.fopt, budget)
    return bo_sklearn.run("_suite", budget, seed) + f.sign * f.fopt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", required=True, choices=["optuna-tpe", "cmaes", "sklearn"])
    ap.add_argument("--lib", required=True)
    ap.add_argument("--seeds", default="0-19")
    ap.add_argument("--problem", nargs=3, action="append", required=True)
    a = ap.parse_args()
    lib = load(a.lib)
    s0, s1 = (int(v) for v in a.seeds.split("-"))
    runner = {"optuna-tpe": run_tpe, "cmaes": run_cmaes, "sklearn": run_sklearn}[a.method]
    warnings.simplefilter("ignore")
    for spec, budget, shifted in ((p, int(b), int(sh)) for p, b, sh in a.problem):
        if a.method == "cmaes" and Objective(lib, spec).d == 1:
            print("cmaes: %s skipped (the cmaes package needs 2 or more dimensions)" % spec,
                  file=sys.stderr)
            continue
        for seed in range(s0, s1 + 1):
            f = Objective(lib, "%s#%d" % (spec, seed + 1) if shifted else spec)
            t0 = time.time()
            best = runner(f, budget, seed)
            print("%s,%s,%d,%d,%.6g,%d,0,%.3f" % (a.method, spec, budget, seed,
                                                  f.regret(best), f.near_dups(),
                                                  time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
