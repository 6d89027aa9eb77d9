#!/usr/bin/env bash
# run_face_failures.sh OUT OLD NEW LO HI: the bare-face pessimistic mean with failed or pending
# points (perf/results/suite.md, "face_mean after failures"). OLD and NEW are two llmbo binaries
# (before and after the change); one worker on four objectives with a failure region
# (perf/fail_objectives.py), and 4 asynchronous workers on hartmann6@40, seeds LO..HI; then the
# paired tables (perf/paired_best.py).
set -eu
[ $# -eq 5 ] || { sed -n '2,5p' "$0" | sed 's/^# //' >&2; exit 2; }
OUT=$1 OLD=$2 NEW=$3 LO=$4 HI=$5
SRC=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT" && cd "$OUT"
cfg() { # KIND DIM BUDGET [BOUNDS...]
    /usr/bin/python3 - "$SRC/perf/fail_objectives.py" "$@" <<'PY'
import json, sys
script, kind, d, budget, *b = sys.argv[1:]
ps = [{"name": f"x{i}", "type": "continuous",
       "bounds": [float(b[2 * i - 2]), float(b[2 * i - 1])] if b else [0, 1]}
      for i in range(1, int(d) + 1)]
json.dump({"objective": {"type": "external", "command": f"/usr/bin/python3 {script} {kind}",
                         "parameters": ps}, "budget": int(budget)}, open(f"f_{kind}.json", "w"))
PY
}
cfg h6box 6 40; cfg h6ball 6 40; cfg h3 3 40; cfg branin 2 30 -5 10 0 15
echo '{"objective": "hartmann6", "budget": 40}' > h6.json
for s in $(seq "$LO" "$HI"); do
    for k in h6box h6ball h3 branin; do
        "$OLD" run f_$k.json --seed "$s" --out old_$k-s$s -q > /dev/null 2>&1
        "$NEW" run f_$k.json --seed "$s" --out new_$k-s$s -q > /dev/null 2>&1
    done
    "$OLD" run h6.json --seed "$s" --out old_kb-s$s -j 4 -q > /dev/null 2>&1
    "$NEW" run h6.json --seed "$s" --out new_kb-s$s -j 4 -q > /dev/null 2>&1
done
P="$SRC/perf/paired_best.py"
python3 "$P" old_h6box new_h6box "$LO" "$HI"
python3 "$P" old_h6ball new_h6ball "$LO" "$HI"
OPT=-3.8627797873326628 python3 "$P" old_h3 new_h3 "$LO" "$HI"
OPT=0.39788735772973838 python3 "$P" old_branin new_branin "$LO" "$HI"
python3 "$P" old_kb new_kb "$LO" "$HI"
