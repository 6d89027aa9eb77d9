#!/usr/bin/env bash
# Round 7 of issue 15 (perf/results/parallel.md): 4 workers against one on hartmann6@40 with the
# 12-point GP design; what else to do with a synchronous batch's slots and the 14 s of wall time.
#
# usage: perf/run_parallel_r7.sh OUT LO HI SHIPPED_BINARY VARIANTS_BINARY [NAME...]
#   SHIPPED_BINARY: this tree's llmbo (w1, r2, tsf: "batch_step": "ts")
#   VARIANTS_BINARY: llmbo built from f4b26d8 + perf/parallel_r7_variants.patch, whose
#     environment switches change a radii batch's slots 1-3 (LLMBO_P7_EARLY before, LLMBO_P7_LATE
#     from LLMBO_P7_SWITCH x budget successes on; one letter per slot: r the shipped radii step,
#     t one posterior sample's minimiser over the cube, T the same inside the radii box, k the
#     acquisition with the earlier points pending) and the tail's ask size (LLMBO_P7_TAILB);
#     unset, it proposes exactly what f4b26d8 does
# Each run is OUT/NAME-sSEED; NAMEs default to all below. Run it inside cpuslot.
# LO = wall: the 1 s external objective of parallel.md (sh_ext.json, seed 1) instead, for each
# NAME (w1, r2, tsf): wall and CPU time from /usr/bin/time, uptime before and after.
set -euo pipefail
out=${1:?usage}; lo=$2; hi=$3
ship=$(realpath "$4"); var=$(realpath "$5")
shift 5
names=${*:-w1 r2 tsf ttt rrt rtt TTT t6r t6rrt k6r t8b2 t4b2 t15b3 i8t2 i8t8b2 ck6r krr ckrr ckkk}
mkdir -p "$out"
cd "$out"
cfg() { # cfg NAME TAIL EXTRA: radii batches of 4 unless EXTRA says otherwise
    echo "{\"objective\": \"hartmann6\", \"budget\": 40$3}" > "$1.json"
}
if [ "$lo" = wall ]; then
    for n in $names; do
        case $n in
        w1) c='' j=1 ;;
        r2) c=', "batch": 4, "batch_step": "radii", "tail": 2' j=4 ;;
        tsf) c=', "batch": 4, "batch_step": "ts", "tail": 2' j=4 ;;
        esac
        python3 - "$c" > "sh-$n.json" <<'PY'
import json, sys
c = json.loads('{"budget": 40, "seed": 1' + sys.argv[1] + '}')
cmd = ("read x; sleep 1; echo \"$x\" | awk -F'[:,}]' "
       "'{s=0; for(i=2;i<=NF;i+=2) s+=($i-0.3)^2; print s}'")
c["objective"] = {"type": "external", "name": "sh-sleep", "command": cmd,
                  "parameters": [{"name": f"x{i}", "bounds": [0, 1]} for i in range(1, 7)]}
print(json.dumps(c))
PY
        rm -rf "sh-$n"
        echo "$n before: $(uptime)"
        /usr/bin/time -f "$n wall %e s user %U s sys %S s" "$ship" run "sh-$n.json" --out "sh-$n" -j $j -q > /dev/null
        echo "$n after: $(uptime)"
    done
    exit 0
fi
for n in $names; do
    env=() bin=$var j=4
    rad=', "batch": 4, "batch_step": "radii", "tail": 2'
    case $n in
    w1) cfg w1 0 ''; bin=$ship j=1 ;;
    r2) cfg r2 2 "$rad"; bin=$ship ;;
    tsf) cfg tsf 2 ', "batch": 4, "batch_step": "ts", "tail": 2'; bin=$ship ;;
    ttt | rrt | rtt | TTT | krr) cfg "$n" 2 "$rad"; env=(LLMBO_P7_EARLY=$n LLMBO_P7_LATE=$n) ;;
    t6r) cfg "$n" 2 "$rad"; env=(LLMBO_P7_EARLY=ttt LLMBO_P7_LATE=rrr LLMBO_P7_SWITCH=0.6) ;;
    t6rrt) cfg "$n" 2 "$rad"; env=(LLMBO_P7_EARLY=ttt LLMBO_P7_LATE=rrt LLMBO_P7_SWITCH=0.6) ;;
    k6r) cfg "$n" 2 "$rad"; env=(LLMBO_P7_EARLY=kkk LLMBO_P7_LATE=rrr LLMBO_P7_SWITCH=0.6) ;;
    ck6r) cfg "$n" 2 "$rad"', "pending": "cl_max"'
        env=(LLMBO_P7_EARLY=kkk LLMBO_P7_LATE=rrr LLMBO_P7_SWITCH=0.6) ;;
    ckrr) cfg "$n" 2 "$rad"', "pending": "cl_max"'; env=(LLMBO_P7_EARLY=krr LLMBO_P7_LATE=krr) ;;
    ckkk) cfg "$n" 2 "$rad"', "pending": "cl_max"'; env=(LLMBO_P7_EARLY=kkk LLMBO_P7_LATE=kkk) ;;
    t8b2) cfg "$n" 8 ', "batch": 4, "batch_step": "radii", "tail": 8'; env=(LLMBO_P7_TAILB=2) ;;
    t4b2) cfg "$n" 4 ', "batch": 4, "batch_step": "radii", "tail": 4'; env=(LLMBO_P7_TAILB=2) ;;
    t15b3) cfg "$n" 15 ', "batch": 4, "batch_step": "radii", "tail": 15'; env=(LLMBO_P7_TAILB=3) ;;
    i8t2) cfg "$n" 2 "$rad"', "init": {"n": 8}' ;;
    i8t8b2) cfg "$n" 8 ', "batch": 4, "batch_step": "radii", "tail": 8, "init": {"n": 8}'
        env=(LLMBO_P7_TAILB=2) ;;
    *) echo "unknown variant $n" >&2; exit 2 ;;
    esac
    [ "$n" = w1 ] && j=1
    for s in $(seq "$lo" "$hi"); do
        [ -f "$n-s$s/summary.json" ] ||
            env "${env[@]}" "$bin" run "$n.json" --seed "$s" --out "$n-s$s" -j $j -q > /dev/null
    done
done
