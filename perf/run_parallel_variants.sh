#!/usr/bin/env bash
# Proposal rules for evaluations in flight (perf/results/parallel.md, round 3 of issue 15): one
# worker against each rule with 4 (or 2) workers on the same seeds, paired by seed with
# perf/parallel_paired.py (mean log10 ratio of the final regrets, 95% bootstrap interval). kb and
# lp are shipped `pending` methods; the other rules are environment switches of the loop patched
# with perf/parallel_variants.patch (build such a binary and pass it; an unpatched binary runs
# them as plain kb or lp, the switches unread).
#
# usage: perf/run_parallel_variants.sh OUT LO HI [LLMBO_BINARY]
#   env: VARIANTS (names from the table below; default all), OBJECTIVE (hartmann6),
#        BUDGET (40), W1_BUDGET (the one-worker reference's budget; default BUDGET)
# Runs are sequential and niced (the machine is shared). Each run's directory is OUT/NAME-sSEED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run_parallel_variants.sh OUT LO HI [LLMBO_BINARY]}
lo=${2:?LO}
hi=${3:?HI}
bin=${4:-$here/../build/llmbo}
obj=${OBJECTIVE:-hartmann6}
budget=${BUDGET:-40}
mkdir -p "$out"

# name | workers | extra config keys | environment (LLMBO_PAREXP bits: see the patch)
table='kb|4||
lp|4|"pending": "lp"|
cl_min|4|"pending": "cl_min"|
cl_mean|4|"pending": "cl_mean"|
kb-ei|4|"acquisition": "ei"|
kb-ucb|4|"acquisition": "ucb"|
kb-ts|4|"acquisition": "ts"|
kb-pi|4|"acquisition": "pi"|
kb-trcount|4||LLMBO_PAREXP=1
lp-trcount|4|"pending": "lp"|LLMBO_PAREXP=1
kb-stall|4||LLMBO_PAREXP=2
kb-exploit|4||LLMBO_PAREXP=4
lp-exploit|4|"pending": "lp"|LLMBO_PAREXP=4
kb-exploit-box|4||LLMBO_PAREXP=20
lp-exploit-box|4|"pending": "lp"|LLMBO_PAREXP=20
kb-mean|4||LLMBO_PAREXP=12
kb-mean-box|4||LLMBO_PAREXP=28
lp-mean-box|4|"pending": "lp"|LLMBO_PAREXP=28
ignore|4||LLMBO_PAREXP=36
ignore-box|4||LLMBO_PAREXP=52
qei-ei|4||LLMBO_PAREXP=64
qei|4||LLMBO_PAREXP=64 LLMBO_PAREXP_MODE=1
qei-16|4||LLMBO_PAREXP=64 LLMBO_PAREXP_K=16
lp-qei|4|"pending": "lp"|LLMBO_PAREXP=64 LLMBO_PAREXP_MODE=1
box|4||LLMBO_PAREXP=128
box-0.4|4||LLMBO_PAREXP=128 LLMBO_PAREXP_TRR=0.4
box-0.8|4||LLMBO_PAREXP=128 LLMBO_PAREXP_TRR=0.8
lp-trw0|4|"pending": "lp"|LLMBO_PAREXP_TRW=0
lp-trw3|4|"pending": "lp"|LLMBO_PAREXP_TRW=3
lp-trw8|4|"pending": "lp"|LLMBO_PAREXP_TRW=8
lp-trr0.1|4|"pending": "lp"|LLMBO_PAREXP_TRR=0.1
lp-trr0.4|4|"pending": "lp"|LLMBO_PAREXP_TRR=0.4
kb-init4|4|"init": {"n": 4}|
kb-init10|4|"init": {"n": 10}|
kb-init12|4|"init": {"n": 12}|
lp-init8|4|"pending": "lp", "init": {"n": 8}|
lp-init9|4|"pending": "lp", "init": {"n": 9}|
lp-init10|4|"pending": "lp", "init": {"n": 10}|
lp-init12|4|"pending": "lp", "init": {"n": 12}|
kb-w3|3||
lp-w3|3|"pending": "lp"|
kb-w2|2||
lp-w2|2|"pending": "lp"|
ignore-w2|2||LLMBO_PAREXP=36
seq-acqseed1|1||LLMBO_PAREXP_ACQSEED=1
seq-acqseed2|1||LLMBO_PAREXP_ACQSEED=2'

runs() { # NAME WORKERS EXTRA ENV [BUDGET]
    local cfg="$out/$1.json" extra=${3:+, $3}
    echo "{\"objective\": \"$obj\", \"budget\": ${5:-$budget}$extra}" >"$cfg"
    for s in $(seq "$lo" "$hi"); do
        rm -rf "$out/$1-s$s"
        env $4 nice -n 10 "$bin" run "$cfg" --seed "$s" --out "$out/$1-s$s" -j "$2" -q >/dev/null
    done
}

runs w1 1 "" "" "${W1_BUDGET:-$budget}"
while IFS='|' read -r name w extra envs; do
    if [ -n "${VARIANTS:-}" ] && [[ " $VARIANTS " != *" $name "* ]]; then
        continue
    fi
    runs "$name" "$w" "$extra" "$envs"
    echo "== $name ($w workers)"
    python3 "$here/parallel_paired.py" "$out/w1" "$out/$name" "$lo" "$hi"
done <<<"$table"
