#!/usr/bin/env bash
# Same-invocation BO quality comparison (issue 4): llmbo's tests/test_bo_quality_slow, then the
# plain scikit-learn GP loop perf/bo_sklearn.py on branin@30 and hartmann6@100, each objective's
# seeds split over 2 processes (the machine has 2 cores). Builds nothing.
# Usage: perf/run_bo_compare.sh [BUILD_DIR]
#   env: PYTHON (default /usr/bin/python3), BRANIN_SEEDS, HART_SEEDS (default 1000-1009 each,
#        as in test_bo_quality_slow). The whole invocation takes about 2 minutes here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
py=${PYTHON:-/usr/bin/python3}
bseeds=${BRANIN_SEEDS:-1000-1009}
hseeds=${HART_SEEDS:-1000-1009}
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
split() { # A-B -> two comma lists
    local a=${1%-*} b=${1#*-} i l1= l2=
    for ((i = a; i <= b; i++)); do
        if (((i - a) % 2 == 0)); then l1+=${l1:+,}$i; else l2+=${l2:+,}$i; fi
    done
    echo "$l1 $l2"
}
echo "== llmbo: $build/tests/test_bo_quality_slow (OPENBLAS_NUM_THREADS=1)"
t0=$(date +%s)
"$build/tests/test_bo_quality_slow"
echo "   ($(($(date +%s) - t0)) s wall)"
for spec in "branin 30 $bseeds" "hartmann6 100 $hseeds"; do
    read -r name budget seeds <<<"$spec"
    read -r s1 s2 <<<"$(split "$seeds")"
    echo "== scikit-learn loop: $name@$budget seeds $seeds (2 processes)"
    t0=$(date +%s)
    "$py" "$here/bo_sklearn.py" --objective "$name" --budget "$budget" --seeds "$s1" --raw >"$tmp/$name.1" &
    p1=$!
    "$py" "$here/bo_sklearn.py" --objective "$name" --budget "$budget" --seeds "$s2" --raw >"$tmp/$name.2" &
    p2=$!
    wait "$p1"
    wait "$p2"
    sort -n "$tmp/$name.1" "$tmp/$name.2" | sed 's/^/   seed regret s: /'
    "$py" "$here/bo_sklearn.py" --merge "$name@$budget" "$tmp/$name.1" "$tmp/$name.2"
    echo "   ($(($(date +%s) - t0)) s wall)"
done
