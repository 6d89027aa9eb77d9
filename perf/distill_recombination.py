#!/usr/bin/env python3
"""distill_recombination.py: did a student learn the policy teacher's recombination (distill/
policy.py, round 6: with probability `center` the step starts from the mean of the shown points)?
Reads step prompts and their answers, either the teacher's (cassettes of gen_data.py --answer
unit) or a model's (advisor.jsonl of a bench's mini-propose runs), and prints, over the calls
that show 5 evaluations: the projection of the answered step s (fractions of each range) on the
direction m from Best to the mean of the shown points, s.m / m.m (the teacher's mean is `center`,
0.4; a student that steps from Best only gives 0), and the steps' RMS over the policy's scale at
that "Used i of n" (about 1 for the teacher). An anchored answer ("answer": "anchored", round
8: {"from": "mean", ...} is a step from the mean) counts as its step from Best, and the share of
"mean" anchors is printed beside the teacher's or the student's projection, and (round 10) that
share separately for the calls whose "Used i" ends in 3, 6 or 9 (where policy round10 recombines)
and for the others. With --by-progress (round 11) also the steps' RMS over the policy's scale by
fifth of the budget used ("Used i of n"), and the RMS itself in fractions of the range (round 12):
about 0.6-0.75 of the scale in every fifth for the teacher; a student
that ignores how much of the budget is used writes steps of one size throughout, too small early
and too large late (round 10's r10a: 0.22 in the first fifth, 2.9 in the last).

Usage: distill_recombination.py [--by-progress] teacher CASSETTE_DIR [MAX_FILES]
       distill_recombination.py [--by-progress] student BENCH_DIR [STRATEGY]   (default
       mini-propose)
"""
import glob
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "distill"))
import policy  # noqa: E402

PARAM = re.compile(r"^- (\S+): continuous in \[(\S+), (\S+)\]$", re.M)
POINT = re.compile(r"^#\d+: (.*) -> y=\S+$", re.M)
BEST = re.compile(r"^Best: y=\S+ at #\d+ \((.*)\)$", re.M)
USED = re.compile(r"^Used (\d+) of (\d+)\.$", re.M)


def unit(text, names, lo, hi):
    kv = dict(t.split("=", 1) for t in text.split(", "))
    return np.array([(float(kv[n]) - a) / (b - a) for n, a, b in zip(names, lo, hi)])


def measure(user, answer):
    """(projection or None, rms / scale) of one step answer, or None if not a 5-point step."""
    if "as steps from Best" not in user:
        return None
    pars = PARAM.findall(user)
    names = [p[0] for p in pars]
    lo = np.array([float(p[1]) for p in pars])
    hi = np.array([float(p[2]) for p in pars])
    Z = [unit(t, names, lo, hi) for t in POINT.findall(user)]
    mb, mu = BEST.search(user), USED.search(user)
    if len(Z) < 5 or not mb or not mu or any(n not in answer for n in names):
        return None
    zb = unit(mb.group(1), names, lo, hi)
    s = np.array([float(answer[n]) for n in names])
    m = np.mean(Z, axis=0) - zb
    sc = policy.scale(int(mu.group(1)), int(mu.group(2)))
    anchor = answer.get("from")
    rms = float(np.sqrt(np.mean(s ** 2)) / sc)  # the written step (from its origin)
    if anchor == "mean":
        s = s + m  # the step from Best (before the advisor moves a point onto the box)
    proj = float(s @ m / (m @ m)) if m @ m > 1e-8 else None
    return (proj, rms, anchor, int(mu.group(1)), int(mu.group(1)) / int(mu.group(2)),
            rms * sc)


def pairs(kind, where, arg):
    if kind == "teacher":
        files = sorted(glob.glob(os.path.join(where, "*-propose.jsonl")))[:int(arg or 150)]
        for f in files:
            for line in open(f):
                try:
                    r = json.loads(line)
                    yield (r["request"]["messages"][-1]["content"],
                           json.loads(r["reply"]["content"])["points"][0])
                except (ValueError, KeyError, IndexError, TypeError):
                    continue
    else:
        pat = os.path.join(where, "runs", "*", arg or "mini-propose", "*", "advisor.jsonl")
        for f in sorted(glob.glob(pat)):
            for line in open(f):
                r = json.loads(line)
                if r.get("outcome") == "valid" and r.get("parsed"):
                    yield r["messages"][-1]["content"], r["parsed"]["points"][0]


def main():
    by_progress = "--by-progress" in sys.argv[1:]
    if by_progress:
        sys.argv.remove("--by-progress")
    if len(sys.argv) < 3 or sys.argv[1] not in ("teacher", "student"):
        print(__doc__, file=sys.stderr)
        return 2
    got = [m for u, a in pairs(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
           for m in [measure(u, a)] if m]
    proj = np.array([m[0] for m in got if m[0] is not None])
    ratio = np.array([m[1] for m in got])
    anchors = [m[2] for m in got if m[2] is not None]
    if not len(got):
        print("distill_recombination: no 5-point step calls found", file=sys.stderr)
        return 1
    print("%s: %d step calls; projection on (mean - Best): mean %.3f (clipped to [-3, 3]), "
          "median %.3f; step RMS / policy scale: median %.2f" %
          (sys.argv[1], len(got), np.mean(np.clip(proj, -3, 3)), np.median(proj),
           np.median(ratio)))
    if anchors:
        print("%s: anchored answers %d, \"from\": \"mean\" in %d (%.3f)" %
              (sys.argv[1], len(anchors), anchors.count("mean"), anchors.count("mean") / len(anchors)))
        for name, on in (("ending in 3, 6, 9", True), ("other", False)):
            a = [m[2] for m in got if m[2] is not None and (m[3] % 10 in (3, 6, 9)) == on]
            if a:
                print("%s: \"Used i\" %s: %d answers, \"mean\" in %d (%.3f)" %
                      (sys.argv[1], name, len(a), a.count("mean"), a.count("mean") / len(a)))
    if by_progress:
        for k in range(5):
            sel = [m for m in got if k <= 5 * m[4] < k + 1 or (k == 4 and m[4] >= 1)]
            r = [m[1] for m in sel]
            if r:
                print("%s: used %d-%d %% of the budget: %d steps, RMS / policy scale median %.2f, "
                      "quartiles %.2f - %.2f; RMS median %.3f of the range" %
                      (sys.argv[1], 20 * k, 20 * k + 20, len(r), np.median(r),
                       *np.percentile(r, [25, 75]), np.median([m[5] for m in sel])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
