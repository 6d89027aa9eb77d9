#!/usr/bin/env bash
# distill_r12_benches.sh CAND [SETS...]: round 12's seen-set benches of candidate CAND
# (build-distill/CAND/model, configs build-distill/CAND/cfg/CAND_SEED.json: perf/distill_tune_r10.json
# with only the seeds, the model path and the template directory changed), one set after another
# in one process (run it under one cpuslot), stopping as soon as part (1) of the pre-registered
# rule (perf/results/prereg/2026-12-06e.md) is decided: >= 4 of 6 on at least 4 of the 5 sets and
# a total > 18. Prints each set's "x of 6" line and the decision.
set -u
cd "$(dirname "$0")/.."
C=$1
shift
SETS=${*:-1000 2000 3000 4000 6000}
B=build-distill/$C
n_sets=5 done_sets=0 good=0 total=0
for s in $SETS; do
    echo "== $C seeds $s-$((s + 19)) $(date -u +%H:%M:%S)"
    bash perf/run_distill_bench.sh "$B/u$s" 1 "$B/cfg/${C}_$s.json" > "$B/u$s.out" 2>&1
    grep -E "^tree|sha256|load|wall|Model alone" "$B/u$s.out"
    x=$(sed -n 's/.* on \([0-6]\) of 6 objectives.*/\1/p' "$B/u$s.out" | head -1)
    [ -n "$x" ] || { echo "no result line for $s"; exit 1; }
    done_sets=$((done_sets + 1)) total=$((total + x))
    [ "$x" -ge 4 ] && good=$((good + 1))
    left=$((n_sets - done_sets))
    if [ $((good + left)) -lt 4 ] || [ $((total + 6 * left)) -le 18 ]; then
        echo "== decided after $done_sets sets: part (1) fails (sets at >= 4: $good, total $total)"; exit 0
    fi
    if [ "$left" -eq 0 ]; then
        if [ "$good" -ge 4 ] && [ "$total" -gt 18 ]; then
            echo "== part (1) passes (sets at >= 4: $good, total $total)"
        else
            echo "== part (1) fails (sets at >= 4: $good, total $total)"
        fi
    fi
done
echo "== done $(date -u +%H:%M:%S)"
