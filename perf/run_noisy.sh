#!/usr/bin/env bash
# Noisy objectives with the peers (perf/results/suite.md): llmbo's default GP and random search
# (`llmbo run` with "noise_std" on the objective) against Optuna TPE and CMA-ES, each seeing the
# same built-in objective plus Gaussian noise of the same standard deviation. Every method is
# scored alike: the noise-free regret at its best observed point (the point a user would keep;
# `llmbo run`'s final_regret under noise, docs/bench.md).
#
# usage: perf/run_noisy.sh OUT LO HI [BUILD_DIR]     (seeds LO..HI; then perf/noisy_table.py OUT/res.txt)
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage}; lo=${2:?usage}; hi=${3:?usage}
build=$(cd "${4:-$here/../build}" && pwd)
B=$build/llmbo
export PYTHONPATH=$here/../python LLMBO_LIB=$build/libllmbo.so OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
cd "$out"
for spec in "hartmann6 0.1 60" "hartmann6 0.3 60" "branin 5 40" "ackley:5 0.5 100" "levy:4 1 60"; do
    set -- $spec
    o=$1 n=$2 b=$3 tag="$1-n$2-b$3"
    dim=""
    [[ $o == *:* ]] && dim=", \"dim\": ${o##*:}"
    for strat in gp random; do
        echo "{\"objective\": {\"name\": \"${o%%:*}\"$dim, \"noise_std\": $n}, \"budget\": $b, \"strategy\": \"$strat\"}" \
            > "cfg-$tag-$strat.json"
    done
    for s in $(seq "$lo" "$hi"); do
        for strat in gp random; do
            d=runs/$tag/$strat-s$s
            if [ ! -f "$d/summary.json" ]; then
                rm -rf "$d"
                mkdir -p "runs/$tag"
                "$B" run "cfg-$tag-$strat.json" --seed "$s" --out "$d" -q > /dev/null 2>&1
            fi
            echo "$tag $strat $s $(/usr/bin/python3 -c "import json; print(json.load(open('$d/summary.json'))['final_regret'])")"
        done
        for alg in tpe cma; do
            echo "$tag $alg $s $(/usr/bin/python3 "$here/noisy_optuna.py" "$o" "$n" "$b" "$s" "$alg")"
        done
    done
done | tee res.txt
