"""policy.py: the step teacher as a policy a student can imitate (issue 14, rounds 5-7).

Round 4's teacher picked, by the function's true value, a small improving step: its answer
depended on what the prompt does not show, so a student learned only its size (a random walk).
This teacher uses only what the step prompt shows, so its answer is a distribution the student
can learn from the prompt:
  warm start   a Latin hypercube in the unit box (answered as fractions of each range);
  later calls  a Gaussian step in each coordinate with a scale that shrinks geometrically with
               the budget used ("Used i of n": s0 at 0, s1 at n), from Best or, with probability
               `center` (round 6), from the mean of the shown points (recombination: it pulls the
               search between basins the best points found); with probability `big`, at s0;
               plus `pull` times the direction from a shown runner-up towards Best; `cnoise` scales
               the step of a recombination (round 7).
The answer is the step from Best. The history it reads is the one the prompt shows (history
"best", history_n 5).
Round 6's student did not learn the recombination (the mean of five points minus Best is
arithmetic); ROUND7 (recombination with probability 0.3, at half the step scale) is taught with
distill/templates-mean, whose prompt prints that mean as a step from Best ({{mean_step}}), so a
recombination is a copy of a prompt line plus a smaller step. Round 7's student still did not
copy it; round 8 (gen_data.py --answer anchored, distill/templates-anchor) lets the answer name the
step's origin ({"from": "mean", ...}), so a recombination is one choice and a small step.
"""
import numpy as np

# The tuned defaults (perf/distill_policy.py, tuning seeds 0-99; perf/results/distill.md round 6).
# Round 5's policy: ROUND5 (no recombination, a fifth of the steps at s0).
DEFAULT = {"s0": 0.3, "s1": 0.01, "pull": 0.0, "k": 1, "pm": 1.0, "big": 0.0, "center": 0.4,
           "cnoise": 1.0, "cdet": 0, "sign": 0}
ROUND5 = dict(DEFAULT, big=0.2, center=0.0)
# Round 7: recombination less often and with half the step scale (its start, the mean of the
# shown points, is printed in the prompt by distill/templates-mean, so the student copies it).
ROUND7 = dict(DEFAULT, center=0.3, cnoise=0.5)
# Round 8's check: the anchored student chose "mean" in 52 % of its answers where the round-7
# teacher did in 30 %; a teacher recombining half as often, to see where the student lands.
ROUND8_C15 = dict(ROUND7, center=0.15)
# Round 10: round 7's recombination, chosen by the prompt instead of a coin: from the mean when
# the last digit of "Used i" is 3, 6 or 9 (i % 10 in recombine_digits: 3 in 10, round 7's
# rate), so a student can learn the choice sharply from one prompt token (the round-8 students
# over-used a coin's "mean" by a constant log-odds of about 0.9).
ROUND10 = dict(ROUND7, cdet=1)
# Round 11: round 10's student recombined in 40 % of its answers where its teacher did in 30 %
# (round 8: 52 % at 30 %, 29 % at 15 %: a roughly constant over-use in log-odds); a teacher at
# 20 % (the last digit of "Used i" 4 or 9), so the student lands near the rate round 7's policy
# was tuned at.
ROUND11_C20 = dict(ROUND10, center=0.2)
# Round 12: every student writes steps of one size whatever the budget used, and a printed step
# scale (distill/templates-scale) was not followed by r12a. sign=1: each coordinate moves by
# exactly +-scale (the sign of the same Gaussian draw), so a step's digits are the prompt's
# "Step scale" digits (4 decimals, the answer's own precision) with a sign: a copy, not a size
# to infer. round12s: round 10's policy with sign steps, recombinations at the full scale
# (cnoise 1, so they too copy the printed number).
ROUND12S = dict(ROUND10, sign=1, cnoise=1.0)
POLICIES = {"round5": ROUND5, "round6": DEFAULT, "round7": ROUND7, "round8c15": ROUND8_C15,
            "round10": ROUND10, "round11c20": ROUND11_C20, "round12s": ROUND12S}


def recombine_digits(center):
    """The last digits of "Used i" at which a cdet policy recombines: round(10 center) of them,
    spread over 0-9 (center 0.3: 3, 6, 9)."""
    n = int(round(10 * center))
    return {u for u in range(10) if (u + 1) * n // 10 > u * n // 10}


def warm_start(rng, n, d):
    """n points of a Latin hypercube in the unit box, (n, d)."""
    Z = np.empty((n, d))
    for j in range(d):
        Z[:, j] = (rng.permutation(n) + rng.random(n)) / n
    return Z


def scale(used, budget, p=DEFAULT):
    t = min(max(used / max(budget, 1), 0.0), 1.0)
    return p["s0"] * (p["s1"] / p["s0"]) ** t


def step(rng, Z, y, used, budget, p=DEFAULT, anchor=False):
    """One step (d,) in fractions of each range from the best of the shown points Z (m, d, unit
    box) with values y (m,), at `used` of `budget` evaluations; kept within the box. anchor=True
    (round 8, "answer": "anchored"): (step, origin) with origin "mean" for a recombination (the
    step from the mean of Z is then step - (mean - Best)) and "best" otherwise; the same draws."""
    Z = np.asarray(Z, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(y, kind="stable")
    zb = Z[order[0]]
    d = Z.shape[1]
    sc = scale(used, budget, p)
    origin = "best"
    if p.get("cdet", 0):
        recombine = len(order) > 1 and used % 10 in recombine_digits(p.get("center", 0))
    else:
        recombine = bool(p.get("center", 0)) and len(order) > 1 and rng.random() < p["center"]
    if recombine:
        # recombination: the step starts from the mean of the shown points (Best among them)
        zb = Z.mean(axis=0)
        sc = sc * p.get("cnoise", 1.0)
        origin = "mean"
    if p.get("big", 0) and rng.random() < p["big"]:
        sc = p["s0"]
    s = sc * rng.standard_normal(d)
    if p.get("sign", 0):
        s = sc * np.sign(s)
    if p.get("pm", 1) < 1:
        m = rng.random(d) < p["pm"]
        m[rng.integers(d)] = True
        s = s * m
    if p.get("pull", 0) and len(order) > 1:
        k = order[1 + rng.integers(min(len(order) - 1, p.get("k", 1)))]
        s = s + p["pull"] * rng.random() * (Z[order[0]] - Z[k])
    out = np.clip(zb + s, 0, 1) - Z[order[0]]
    return (out, origin) if anchor else out
