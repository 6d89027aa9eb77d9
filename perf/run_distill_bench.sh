#!/usr/bin/env bash
# run_distill_bench.sh: the measurement of the shipped advisor model (perf/results/distill.md):
# random search, GP-BO, GP-BO + llmbo-advisor-mini (pool mode and rank mode) and the model alone
# (propose mode) on the built-in suite, untouched seeds 1000-1019, one bench; then llmbo report
# and the table (perf/distill_table.py: medians, IQR, stuck, worst, ratio to random, where the
# model alone's points came from and how many answers repeated an evaluated point, paired
# bootstrap differences against GP, per-call and per-decision latency, CPU seconds, tokens,
# validity). perf/distill_tune.json is the tuning bench (seeds 0-19: random and the model alone
# at three temperatures), which chose the temperature the main bench uses.
# Usage (from the source tree): bash perf/run_distill_bench.sh [OUT_DIR] [J] [CONFIG]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-distill-bench-out}
J=${2:-2}
CONFIG=${3:-perf/distill_bench.json}
echo "tree: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
# The models the config runs (a candidate under build-distill/ or the shipped one), by sha256.
for m in $(/usr/bin/python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
print("\n".join(sorted({s["advisor"]["model_path"] for s in c["strategies"] if "advisor" in s})))' "$CONFIG"); do
    echo "model $m sha256 $(sha256sum "$m" | cut -c1-16)"
done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s)
nice -n 10 ./build/llmbo bench "$CONFIG" -j "$J" --out "$OUT" -q
./build/llmbo report "$OUT" > /dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); bench wall $(($(date +%s) - start)) s"
/usr/bin/python3 perf/distill_table.py "$OUT"
