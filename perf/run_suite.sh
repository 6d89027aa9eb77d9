#!/usr/bin/env bash
# Robustness suite of issue 11 with its peers in one invocation: llmbo's default GP (and the
# pre-issue loop, gp-old) and random search (bench_suite), BayesOpt through its C API with its
# defaults and with hyperparameters relearned every iteration (perf/peers/bayesopt_suite.c,
# BayesOpt built by hand outside the repository), Optuna TPE, CMA-ES and the scikit-learn GP loop
# (perf/suite_peers.py). Every method minimises llmbo's own objectives and instances. Writes one
# CSV per method into OUT and the merged table (perf/suite_table.py) to OUT/table.md.
#
# usage: perf/run_suite.sh OUT [BUILD_DIR]
#   env: SEEDS (default 1000-1019), SUITE (main|extra|wide, default main), ONLY (one objective of
#        the suite, e.g. branin; default all),
#        BAYESOPT (a built checkout of github.com/rmcantin/bayesopt; unset: BayesOpt skipped),
#        METHODS (default "llmbo-gp llmbo-gp-old llmbo-random bayesopt bayesopt-relearn1
#                 optuna-tpe cmaes sklearn")
# Runs are sequential and niced (the machine is shared); OPENBLAS_NUM_THREADS=1 throughout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run_suite.sh OUT [BUILD_DIR]}
build=$(cd "${2:-$here/../build}" && pwd)
seeds=${SEEDS:-1000-1019}
suite=${SUITE:-main}
only=(${ONLY:+--only "$ONLY"})
# The peers take the problems as bench_suite lists them: the suites are defined there only.
peer_problems=()
while read -r spec budget shifted; do
    peer_problems+=(--problem "$spec" "$budget" "$shifted")
done < <("$build/perf/bench_suite" --list --suite "$suite" "${only[@]}")
methods=${METHODS:-llmbo-gp llmbo-gp-old llmbo-random bayesopt bayesopt-relearn1 optuna-tpe cmaes sklearn}
py=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1
mkdir -p "$out"
{
    echo "command: $0 $*  SEEDS=$seeds SUITE=$suite${ONLY:+ ONLY=$ONLY}"
    echo "date: $(date -u)  load: $(uptime | sed 's/.*load average: //')"
    echo "llmbo: $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo "optuna: $($py -c 'import optuna; print(optuna.__version__)')"
    echo "cmaes: $($py -c 'import cmaes; print(cmaes.__version__)')"
    echo "scikit-learn: $($py -c 'import sklearn; print(sklearn.__version__)')"
    if [ -n "${BAYESOPT:-}" ]; then
        echo "bayesopt: $(git -C "$BAYESOPT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    fi
} >"$out/versions.txt"
if [ -n "${BAYESOPT:-}" ]; then
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$BAYESOPT/include" -I"$here/../include" \
        -I"$here/../common" "$here/peers/bayesopt_suite.c" -o "$out/bayesopt_suite" \
        "$build/libllmbo.a" "$BAYESOPT/build/lib/libbayesopt.a" "$BAYESOPT/build/lib/libnlopt.a" \
        $(pkg-config --libs gsl nlopt libcurl libcjson) -lopenblas -lstdc++ -lpthread -lm
fi
for m in $methods; do
    t0=$(date +%s)
    case $m in
    llmbo-*) nice -n 10 "$build/perf/bench_suite" --variant "${m#llmbo-}" --seeds "$seeds" \
        --suite "$suite" "${only[@]}" >"$out/$m.csv" ;;
    bayesopt | bayesopt-relearn1)
        if [ -z "${BAYESOPT:-}" ]; then
            echo "$m: skipped (BAYESOPT not set)" >&2
            continue
        fi
        flag=
        [ "$m" = bayesopt-relearn1 ] && flag=--relearn1
        nice -n 10 "$out/bayesopt_suite" $flag --seeds "$seeds" "${peer_problems[@]}" \
            >"$out/$m.csv" ;;
    *) nice -n 10 "$py" "$here/suite_peers.py" --method "$m" --lib "$build/libllmbo.so" \
        --seeds "$seeds" "${peer_problems[@]}" >"$out/$m.csv" ;;
    esac
    echo "$m: $(($(date +%s) - t0)) s wall, load $(uptime | sed 's/.*load average: //')" \
        >>"$out/versions.txt"
done
"$py" "$here/suite_table.py" "$out"/*.csv >"$out/table.md"
cat "$out/versions.txt" "$out/table.md"
