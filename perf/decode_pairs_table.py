#!/usr/bin/env python3
"""decode_pairs_table.py OUT.tsv [SEED [AB_NAME]]: the table of perf/run_decode_pairs.sh's paired
samples.

Per row: the number of pairs and their load range; llmbo's and llama.cpp's decode tokens/s (median
and interquartile range); the paired ratio llmbo/llama as a geometric mean with a 95 % bootstrap
interval (pairs resampled, 10,000 times) and how many pairs are >= 1; and the roofline (active
weight bytes per token x tokens/s over the best read bandwidth any of the row's probes reached)
from each engine's median and from its best pair. When the file has the column llmbo_tg_mapped
(run_decode_pairs.sh with AB=1), two more: llmbo's weights left in the file's mapping
(LLMBO_HUGEPAGES=0) as a median, and the default copy over the mapped run, paired, with its
interval; AB_NAME names that column's run instead of "mapped" (e.g. "unpacked" for AB_ENV=LLMBO_PACK=0)."""
import csv
import math
import random
import statistics as st
import sys


def q(v, f):
    v = sorted(v)
    i = f * (len(v) - 1)
    lo = int(math.floor(i))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)


def geo_ci(lr, rng):
    boots = []
    for _ in range(10000):
        s = [lr[rng.randrange(len(lr))] for _ in lr]
        boots.append(sum(s) / len(s))
    boots.sort()
    return math.exp(sum(lr) / len(lr)), math.exp(boots[249]), math.exp(boots[9749])


def mapped(r):
    """llmbo_tg_mapped of a pair as a positive float, or None (no AB column, or a failed run)."""
    v = r.get("llmbo_tg_mapped") or "-"
    return float(v) if v != "-" and float(v) > 0 else None


def main():
    path = sys.argv[1]
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    name_ab = sys.argv[3] if len(sys.argv) > 3 else "mapped"
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if float(r["llmbo_tg"]) <= 0 or float(r["llama_tg"]) <= 0:
                continue  # a failed llama-bench leaves 0: not a pair
            rows.setdefault(r["row"], []).append(r)
    ab = any(mapped(r) is not None for rs in rows.values() for r in rs)
    head = ("| row | pairs | load | llmbo tg median [IQR] | llama tg median [IQR] | **ratio** (geo. mean, 95% CI) |"
            " pairs >= 1.0 | best GB/s | **llmbo % roofline** median / best pair | llama % roofline median / best pair |")
    if ab:
        head += f" llmbo {name_ab} tg median | default / {name_ab} (geo. mean, 95% CI) |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for name, rs in rows.items():
        a = [float(r["llmbo_tg"]) for r in rs]
        b = [float(r["llama_tg"]) for r in rs]
        lr = [math.log(x / y) for x, y in zip(a, b)]
        gm, lo, hi = geo_ci(lr, rng)
        bw = max(float(r["bw_best"]) for r in rs)
        mib = float(rs[0]["active_mib"])
        roof = lambda tg: 100.0 * tg * mib * 1048576.0 / (bw * 1e9)
        loads = [float(r["load"]) for r in rs]
        line = (f"| {name} | {len(rs)} | {min(loads):.2f}-{max(loads):.2f} | {st.median(a):.2f} [{q(a,.25):.2f}, {q(a,.75):.2f}] |"
                f" {st.median(b):.2f} [{q(b,.25):.2f}, {q(b,.75):.2f}] | **{gm:.2f}** [{lo:.2f}, {hi:.2f}] |"
                f" {sum(1 for x in lr if x >= 0)}/{len(lr)} | {bw:.1f} | **{roof(st.median(a)):.0f}% / {roof(max(a)):.0f}%** |"
                f" {roof(st.median(b)):.0f}% / {roof(max(b)):.0f}% |")
        if ab:
            pm = [(x, mapped(r)) for x, r in zip(a, rs) if mapped(r) is not None]
            if pm:
                g2, l2, h2 = geo_ci([math.log(x / m) for x, m in pm], rng)
                line += f" {st.median([m for _, m in pm]):.2f} | {g2:.2f} [{l2:.2f}, {h2:.2f}] |"
            else:
                line += " - | - |"
        print(line)


if __name__ == "__main__":
    main()
