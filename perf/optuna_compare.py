#!/usr/bin/env python3
"""optuna_compare.py: llmbo's Optuna sampler (LlmboSampler, the GP loop) against Optuna's own TPE,
CMA-ES and random samplers, in one invocation: branin@30, hartmann6@100 and a mixed-type
objective@50 (float, log float, int, stepped int, categorical; optimum 0), over the given seeds.
Reports median regret (IQR, worst, runs stuck above 0.1) and median wall time per trial. The
row "C loop" is llmbo's own loop driven from C on the same hartmann6 seeds (its ms/trial: the
time inside ask and tell only), to tell the sampler's behaviour from the loop's.

The overhead check runs in the same invocation: for each hartmann6 seed, right after the
sampler's study, tests/py_asktell_driver (C, same problem, same budget, default options) reports
the seconds spent inside llmbo_bo_ask/llmbo_bo_tell; the ratio is the sampler's wall time per
trial (everything Optuna and the sampler do, objective included) over the C ask+tell time.

    LLMBO_LIB=build/libllmbo.so PYTHONPATH=python nice -n 10 /usr/bin/python3 \\
        perf/optuna_compare.py --seeds 1000-1019 --out /tmp/optuna_table.md
"""
import argparse
import math
import os
import statistics
import subprocess
import sys
import time

import optuna

import llmbo
from llmbo.optuna import LlmboSampler

optuna.logging.set_verbosity(optuna.logging.ERROR)
HERE = os.path.dirname(os.path.abspath(__file__))
STUCK = 0.1


def branin_problem():
    obj = llmbo.Objective("branin")

    def f(t):
        return obj([t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15)])
    return f, obj.optimal_value


def hartmann6_problem():
    obj = llmbo.Objective("hartmann6")

    def f(t):
        return obj([t.suggest_float("x%d" % i, 0, 1) for i in range(1, 7)])
    return f, obj.optimal_value


def mixed_problem():
    cat = {"red": 0.0, "green": 0.5, "blue": 1.5}

    def f(t):
        a = t.suggest_float("a", -2, 3) - 0.7
        l = math.log10(t.suggest_float("lr", 1e-4, 1, log=True)) + 2
        n = t.suggest_int("n", 1, 9) - 4
        s = t.suggest_int("s", 2, 20, step=3) - 11
        c = cat[t.suggest_categorical("c", ["red", "green", "blue"])]
        return a * a + l * l + 0.5 * a * l + 0.3 * n * n + 0.01 * s * s + c
    return f, 0.0


PROBLEMS = [("branin", 30, branin_problem), ("hartmann6", 100, hartmann6_problem),
            ("mixed", 50, mixed_problem)]


def samplers(seed, budget):
    return [("llmbo", lambda: LlmboSampler(seed=seed, budget=budget)),
            ("tpe", lambda: optuna.samplers.TPESampler(seed=seed)),
            ("cmaes", lambda: optuna.samplers.CmaEsSampler(seed=seed)),
            ("random", lambda: optuna.samplers.RandomSampler(seed=seed))]


def c_loop(driver, seed, budget):
    """(seconds inside ask+tell, best value) of the C driver's hartmann6 run."""
    r = subprocess.run([driver, "hartmann6", '{"seed": %d, "budget": %d}' % (seed, budget),
                        str(budget), "1", "0"], capture_output=True, text=True, check=True)
    best = min(float.fromhex(line.split()[-1]) for line in r.stdout.splitlines())
    for line in r.stderr.splitlines():
        if line.startswith("ask_tell_seconds"):
            return float(line.split()[1]), best
    raise RuntimeError("driver printed no timing")


def parse_seeds(s):
    if "-" in s:
        a, b = s.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(v) for v in s.split(",")]


def q(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1000-1019")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--driver", default=os.path.join(HERE, "..", "build", "tests",
                                                     "py_asktell_driver"))
    args = ap.parse_args()
    seeds = parse_seeds(args.seeds)
    load0 = os.getloadavg()
    t_start = time.time()
    res = {}  # (problem, sampler) -> list of (regret, seconds per trial)
    overhead = []  # (sampler s/trial, C s/trial)
    for seed in seeds:
        for pname, budget, make in PROBLEMS:
            f, opt = make()
            for sname, mk in samplers(seed, budget):
                study = optuna.create_study(sampler=mk())
                t0 = time.perf_counter()
                study.optimize(f, n_trials=budget)
                dt = (time.perf_counter() - t0) / budget
                res.setdefault((pname, sname), []).append((study.best_value - opt, dt))
                if pname == "hartmann6" and sname == "llmbo":
                    secs, best = c_loop(args.driver, seed, budget)
                    overhead.append((dt, secs / budget))
                    res.setdefault((pname, "C loop"), []).append((best - opt, secs / budget))
        print("seed %d done (%.0f s)" % (seed, time.time() - t_start), file=sys.stderr)
    load1 = os.getloadavg()

    lines = ["| objective@budget | sampler | median regret | IQR | worst | stuck (> %g) | "
             "median ms/trial |" % STUCK, "|---|---|---|---|---|---|---|"]
    for pname, budget, _ in PROBLEMS:
        for sname in [n for n, _ in samplers(0, budget)] + ["C loop"]:
            if (pname, sname) not in res:
                continue
            rs = [r for r, _ in res[(pname, sname)]]
            ts = [t for _, t in res[(pname, sname)]]
            lines.append("| %s@%d | %s | %.3g | [%.3g, %.3g] | %.3g | %d/%d | %.1f |" % (
                pname, budget, sname, statistics.median(rs), q(rs, 0.25), q(rs, 0.75), max(rs),
                sum(r > STUCK for r in rs), len(rs), 1000 * statistics.median(ts)))
    ratios = [s / c for s, c in overhead]
    lines += ["", "Overhead, hartmann6@100 (same seeds, same invocation): LlmboSampler %.1f ms per "
              "trial (median), the C library's ask+tell %.1f ms per trial (median); ratio per "
              "seed: median %.2f, max %.2f." % (
                  1000 * statistics.median(s for s, _ in overhead),
                  1000 * statistics.median(c for _, c in overhead), statistics.median(ratios),
                  max(ratios)),
              "",
              "Seeds %s (%d); load average %.2f %.2f %.2f at the start, %.2f %.2f %.2f at the end; "
              "%.0f s in all; optuna %s." % (args.seeds, len(seeds), *load0, *load1,
                                             time.time() - t_start, optuna.__version__)]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
