#!/usr/bin/env python3
"""distill_table.py: the measurement table of llmbo's distilled advisor model from one bench
directory (perf/distill_bench.json): per objective and strategy the final simple regret (median,
IQR, worst, stuck = final regret above STUCK), the ratios of medians to random search's and to
GP-BO's (gp-logei), the paired difference GP+model - GP per seed with a bootstrap 95% interval of
its median, and per advisor call: latency, CPU seconds, tokens and the validity rate of answers
(advisor.jsonl "outcome").

Usage: distill_table.py BENCH_DIR [MORE_BENCH_DIRS...] > table.md   (runs of all are merged)
"""
import glob
import json
import os
import sys

import numpy as np

STUCK = 1e-2  # a run whose final regret is above this counts as stuck (as in perf/results/suite.md)


def sources(d):
    """Counts of the journal's "source" per evaluation (init, warmstart, llm, gp, random)."""
    c = {}
    jp = os.path.join(d, "journal.jsonl")
    if os.path.exists(jp):
        for line in open(jp):
            if line.strip():
                src = json.loads(line).get("source")
                c[src] = c.get(src, 0) + 1
    return c


def load(bench):
    runs = {}
    for s in glob.glob(os.path.join(bench, "runs", "*", "*", "seed-*", "summary.json")):
        d = os.path.dirname(s)
        obj, strat = d.split(os.sep)[-3], d.split(os.sep)[-2]
        seed = int(d.split("seed-")[-1])
        summ = json.load(open(s))
        calls = []
        ap = os.path.join(d, "advisor.jsonl")
        if os.path.exists(ap):
            calls = [json.loads(line) for line in open(ap) if line.strip()]
        summ["_sources"] = sources(d)
        runs.setdefault(obj, {}).setdefault(strat, {})[seed] = (summ, calls)
    return runs


def regret(summ):
    for k in ("final_regret", "simple_regret", "regret"):
        if k in summ and summ[k] is not None:
            return float(summ[k])
    raise KeyError("no regret in summary.json (keys: %s)" % ", ".join(summ))


def boot_median_ci(x, rng, n=4000):
    x = np.asarray(x)
    meds = np.median(x[rng.integers(0, len(x), size=(n, len(x)))], axis=1)
    return np.percentile(meds, 2.5), np.percentile(meds, 97.5)


def g(v):
    return "%.3g" % v


def main():
    runs = {}
    for bench in sys.argv[1:]:
        for obj, by in load(bench).items():
            for strat, seeds in by.items():
                runs.setdefault(obj, {}).setdefault(strat, {}).update(seeds)
    rng = np.random.default_rng(7)
    out = []
    out.append("| objective | strategy | runs | median | IQR | stuck (>%g) | worst | median / random "
               "| median / GP |" % STUCK)
    out.append("|---|---|---|---|---|---|---|---|---|")
    ratios = {}
    for obj in sorted(runs):
        rnd = runs[obj].get("random", {})
        rmed = np.median([regret(s) for s, _ in rnd.values()]) if rnd else None
        gp = runs[obj].get("gp-logei", {})
        gmed = np.median([regret(s) for s, _ in gp.values()]) if gp else None
        for strat in sorted(runs[obj]):
            r = np.array([regret(s) for s, _ in runs[obj][strat].values()])
            med = np.median(r)
            ratio = med / rmed if rmed else float("nan")
            if strat.startswith("mini"):
                ratios.setdefault(strat, {})[obj] = ratio
            out.append("| %s | %s | %d | %s | %s - %s | %d | %s | %s | %s |" % (
                obj, strat, len(r), g(med), g(np.percentile(r, 25)), g(np.percentile(r, 75)),
                int((r > STUCK).sum()), g(r.max()), "-" if strat == "random" else g(ratio),
                "-" if strat == "gp-logei" or not gmed else g(med / gmed)))
    out.append("")
    for strat, rat in sorted(ratios.items()):
        met = sum(1 for v in rat.values() if v <= 0.3)
        out.append("Model alone (%s) median final regret <= 0.3x random's on %d of %d "
                   "objectives (%s)." % (strat, met, len(rat), ", ".join(
                       "%s %.3gx" % (k, v) for k, v in sorted(rat.items()))))
        out.append("")
    if ratios:
        out.append("Where the model alone's points came from (journal source, all objectives "
                   "and seeds; after the warm start every point is the model's answer, or a "
                   "random point when its answer and the one repair were rejected):")
        out.append("")
        out.append("| strategy | evaluations | warm start (model) | model (llm) | random fallback "
                   "| answers rejected as repeats |")
        out.append("|---|---|---|---|---|---|")
        for strat in sorted(ratios):
            c, n_calls, n_rep = {}, 0, 0
            for obj in runs:
                for summ, cl in runs[obj].get(strat, {}).values():
                    for k, v in summ["_sources"].items():
                        c[k] = c.get(k, 0) + v
                    n_calls += len(cl)
                    n_rep += sum(1 for x in cl if "repeats evaluation" in (x.get("error") or ""))
            n = sum(c.values()) or 1
            out.append("| %s | %d | %.1f%% | %.1f%% | %.1f%% | %d of %d calls (%.1f%%) |" % (
                strat, n, 100.0 * c.get("warmstart", 0) / n, 100.0 * c.get("llm", 0) / n,
                100.0 * c.get("random", 0) / n, n_rep, n_calls, 100.0 * n_rep / max(n_calls, 1)))
        out.append("")
    out.append("Paired difference of final regret, GP+model minus GP alone (same seed; negative: "
               "the model helped), median over seeds with a bootstrap 95% interval:")
    out.append("")
    out.append("| objective | strategy | pairs | median diff | 95% interval | wins / ties / losses |")
    out.append("|---|---|---|---|---|---|")
    for obj in sorted(runs):
        base = runs[obj].get("gp-logei", {})
        for strat in sorted(runs[obj]):
            if not strat.startswith("gp-mini"):
                continue
            seeds = sorted(set(base) & set(runs[obj][strat]))
            if not seeds:
                continue
            dif = np.array([regret(runs[obj][strat][s][0]) - regret(base[s][0]) for s in seeds])
            lo, hi = boot_median_ci(dif, rng)
            w = int((dif < 0).sum())
            t = int((dif == 0).sum())
            out.append("| %s | %s | %d | %s | [%s, %s] | %d / %d / %d |" % (
                obj, strat, len(seeds), g(np.median(dif)), g(lo), g(hi), w, t, len(seeds) - w - t))
    out.append("")
    out.append("Per advisor call (all objectives and seeds): wall seconds and CPU seconds of the "
               "local engine, tokens, and the answers' validity (advisor.jsonl outcome):")
    out.append("")
    out.append("| strategy | calls | decisions | median s/call | median CPU s/call | CPU s/decision "
               "(mean) | CPU s/run (mean) | prompt tok/call | completion tok/call | JSON valid | "
               "accepted (valid) | repaired | rejected (invalid/fallback) | of which repeats |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    strats = sorted({s for o in runs for s in runs[o] if s.startswith(("gp-mini", "mini"))})
    for strat in strats:
        calls, cpu_run, n_dec = [], [], 0
        for obj in runs:
            for summ, cl in runs[obj].get(strat, {}).values():
                calls += cl
                cpu_run.append(sum(c.get("cpu_seconds") or 0 for c in cl))
                n_dec += len({c.get("advice") for c in cl})
        if not calls:
            continue
        oc = [c.get("outcome") for c in calls]
        nj = 0
        for c in calls:
            try:
                nj += isinstance(json.loads(c.get("raw") or ""), dict)
            except ValueError:
                pass
        rep = sum(1 for c in calls if "repeats evaluation" in (c.get("error") or ""))
        out.append("| %s | %d | %d | %.3f | %.3f | %.3f | %.2f | %.0f | %.0f | %.1f%% | %.1f%% | %d "
                   "| %d | %d |" % (
            strat, len(calls), n_dec, np.median([c.get("seconds") or 0 for c in calls]),
            np.median([c.get("cpu_seconds") or 0 for c in calls]), sum(cpu_run) / max(n_dec, 1),
            np.mean(cpu_run),
            np.mean([c["tokens"]["prompt"] for c in calls]),
            np.mean([c["tokens"]["completion"] for c in calls]), 100.0 * nj / len(calls),
            100.0 * oc.count("valid") / len(oc), oc.count("repaired"),
            len(oc) - oc.count("valid") - oc.count("repaired"), rep))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
