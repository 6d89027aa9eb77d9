#!/usr/bin/env bash
# run_distill_bench.sh: the measurement of the shipped advisor model (perf/results/distill.md):
# random search, GP-BO, GP-BO + llmbo-advisor-mini (pool mode) and the model alone (propose mode)
# on the built-in suite, untouched seeds 1000-1009, one bench; then llmbo report and the table
# (perf/distill_table.py: medians, IQR, stuck, worst, ratio to random, paired bootstrap
# differences against GP, per-call latency, CPU seconds, tokens, validity).
# Usage (from the source tree): bash perf/run_distill_bench.sh [OUT_DIR] [-j N]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-distill-bench-out}
J=${2:-2}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
nice -n 10 ./build/llmbo bench perf/distill_bench.json -j "$J" --out "$OUT" -q
./build/llmbo report "$OUT" > /dev/null
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 perf/distill_table.py "$OUT"
