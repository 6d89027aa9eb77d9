#!/usr/bin/env bash
# Runs bench_gp (llmbo) and gp_sklearn.py (Debian's scikit-learn) on the same data, interleaved
# per (n, d) so both see the same machine load, and writes the merged table.
# Usage: perf/run_gp_bench.sh [BUILD_DIR] [OUT.md]   (env: NS, DS, EXTRA, SKL_MAX_WORK,
#        BLAS_THREADS, PYTHON)
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for both sides together (this environment may
# set them for old OpenBLAS builds, and they slow numpy); both then use the same OpenBLAS kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
out=${2:-$here/results/gp.md}
py=${PYTHON:-/usr/bin/python3}
ns=${NS:-50,100,200,500,1000,2000}
ds=${DS:-2,6,20}
# scikit-learn's gradient materialises an (n, n, d + 2) tensor per evaluation: skip its runs
# whose n * n * (d + 2) exceeds this (the table says "not run").
skl_max=${SKL_MAX_WORK:-50000000}
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
# One BLAS thread each by default: on a shared, loaded machine OpenBLAS threads spin and make
# timings erratic. BLAS_THREADS=2 uses both cores.
export OPENBLAS_NUM_THREADS=${BLAS_THREADS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/perf/bench_gp" --n 50 --d 2 >/dev/null # warm-up (page cache, lazy binding)
printf 'n\td\tfit_s\tfit_cpu_s\tevals\twarm_s\twarm_evals\tpredict_us\tpredict_grad_us\tbatch_us\tlml\tlog_post\n' >"$tmp/ours.tsv"
: >"$tmp/skl.tsv"
IFS=, read -ra dl <<<"$ds"
IFS=, read -ra nl <<<"$ns"
run_pair() {
    "$build/perf/bench_gp" --n "$1" --d "$2" --dump "$tmp" | tee -a "$tmp/ours.tsv"
    if [ $(($1 * $1 * ($2 + 2))) -le "$skl_max" ]; then
        "$py" "$here/gp_sklearn.py" fit "$tmp" "$1" "$2" | tee -a "$tmp/skl.tsv"
    fi
}
for d in "${dl[@]}"; do
    for n in "${nl[@]}"; do
        run_pair "$n" "$d"
    done
done
# The headline case of the issue: a full refit at n = 500, d = 10 (EXTRA="" skips it).
for nd in ${EXTRA-500:10}; do
    run_pair "${nd%%:*}" "${nd##*:}"
done
blas=$("$py" -c 'import threadpoolctl, numpy; i = threadpoolctl.threadpool_info()[0]; print(i["internal_api"], i["version"], i["architecture"], "threads", i["num_threads"])' 2>/dev/null || echo unknown)
skv=$("$py" -c 'import sklearn, numpy, scipy; print("scikit-learn", sklearn.__version__, "numpy", numpy.__version__, "scipy", scipy.__version__)')
{
    echo "# GP surrogate speed: llmbo vs scikit-learn"
    echo
    echo "Produced by \`perf/run_gp_bench.sh\` (NS=$ns DS=$ds, BLAS threads $OPENBLAS_NUM_THREADS) on $(date -u +%Y-%m-%d), $(nproc) cores"
    echo "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average at start"
    echo "$(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared). BLAS for both: $blas; $skv."
    echo
    echo "Same data for both (written by \`bench_gp --dump\`), Matern-5/2 ARD kernel with output scale and"
    echo "fitted noise, outputs standardised. llmbo: default options (MAP with priors, 3 random starts"
    echo "screened by one Cholesky each, one L-BFGS run from the best); scikit-learn: one L-BFGS-B run"
    echo "(n_restarts_optimizer=0) from its initial hyperparameters. Fit times are wall seconds, best"
    echo "of 3 up to n = 500 and single runs beyond, as wall / process-CPU seconds (with one BLAS thread"
    echo "the CPU time is what an idle machine would show; the wall time includes waiting for the"
    echo "shared cores). Predictions are per point (single = one call per point with mean and variance,"
    echo "batch = 1000 points in one call). Ratios are sklearn / llmbo, on CPU seconds."
    echo
    "$py" "$here/gp_sklearn.py" report "$tmp/ours.tsv" "$tmp/skl.tsv"
} >"$out"
echo "wrote $out"
