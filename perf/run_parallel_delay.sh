#!/usr/bin/env bash
# What pure delay costs (perf/results/parallel.md, round 4 of issue 15): one worker against the
# shipped loop with 2 and 4 workers and against the delayed sequential loop with 1 and 3
# evaluations of delay (the loop patched with perf/parallel_delay.patch, LLMBO_PAR4_DELAY=3:
# proposal k knows the results up to k - 1 - L and nothing else of the points in flight but
# their place, for the duplicate guard), each with the late-phase machinery on (as shipped) and
# off (trust region, stall escape and GLS mean), paired by seed with perf/parallel_paired.py.
#
# usage: perf/run_parallel_delay.sh OUT LO HI PATCHED_LLMBO_BINARY
#   env: VARIANTS (names from the table below; default all), OBJECTIVE (hartmann6), BUDGET (40)
# Runs are sequential and niced (the machine is shared). Each run's directory is OUT/NAME-sSEED.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run_parallel_delay.sh OUT LO HI PATCHED_LLMBO_BINARY}
lo=${2:?LO}
hi=${3:?HI}
bin=${4:?a binary built with perf/parallel_delay.patch}
obj=${OBJECTIVE:-hartmann6}
budget=${BUDGET:-40}
mkdir -p "$out"
off="LLMBO_PAR4_TRW=0 LLMBO_PAR4_STALL=0 LLMBO_PAR4_GLS=0"

# name | workers | environment | reference
table="kb2|2||w1
kb4|4||w1
d2|2|LLMBO_PAR4_DELAY=3|w1
d4|4|LLMBO_PAR4_DELAY=3|w1
w1-nogls|1|LLMBO_PAR4_GLS=0|w1
kb4-nogls|4|LLMBO_PAR4_GLS=0|kb4
w1-notr|1|LLMBO_PAR4_TRW=0|w1
kb4-notr|4|LLMBO_PAR4_TRW=0|kb4
w1-off|1|$off|w1
kb4-off|4|$off|w1-off
d2-off|2|$off LLMBO_PAR4_DELAY=3|w1-off
d4-off|4|$off LLMBO_PAR4_DELAY=3|w1-off"

runs() { # NAME WORKERS ENV
    local cfg="$out/$1.json"
    echo "{\"objective\": \"$obj\", \"budget\": $budget}" >"$cfg"
    for s in $(seq "$lo" "$hi"); do
        rm -rf "$out/$1-s$s"
        # shellcheck disable=SC2086 # $3 is a list of VAR=VALUE words
        env OPENBLAS_NUM_THREADS=1 $3 nice -n 10 "$bin" run "$cfg" --seed "$s" --out "$out/$1-s$s" \
            -j "$2" -q >/dev/null
    done
}

runs w1 1 ""
while IFS='|' read -r name w envs ref; do
    if [ -n "${VARIANTS:-}" ] && [[ " $VARIANTS " != *" $name "* ]]; then
        continue
    fi
    if [ ! -d "$out/$ref-s$lo" ]; then # a reference left out by VARIANTS
        row=$(grep "^$ref|" <<<"$table")
        runs "$ref" "$(cut -d'|' -f2 <<<"$row")" "$(cut -d'|' -f3 <<<"$row")"
    fi
    runs "$name" "$w" "$envs"
    echo "== $name ($w workers) against $ref"
    python3 "$here/parallel_paired.py" "$out/$ref" "$out/$name" "$lo" "$hi"
done <<<"$table"
