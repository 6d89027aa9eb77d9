#!/usr/bin/env bash
# Round 6 of issue 15 (perf/results/parallel.md): the sequential tail ("tail": T) after
# synchronous radii batches or async kb, hartmann6 budget 40, 4 workers, against one worker.
#
# usage: perf/run_parallel_tail.sh OUT [LLMBO_BINARY]
#   env: STAGES (default "tune pick untouched others wall longer wall")
# tune:      seeds 0-19: one worker, kb, radii, radii + tail T and kb + tail T for T = 1..4
# pick:      the radii tail T with the lowest mean paired log10 regret ratio against one worker
#            on 0-19 (written to OUT/picked), decided before any untouched seed is run
# untouched: seeds 1000-1019 and 2000-2019 once: one worker, kb, radii, radii + tail 2 (the
#            largest T the 14 s wall bound allows, see the results) and the picked T
# others:    branin@30 and hartmann3@40, seeds 0-19: one worker, kb, radii, radii + tail 2 and
#            the picked T
# wall:      the 1 s external objective (sh_ext.json of parallel.md), seed 1: one worker, kb,
#            radii, radii + tail 1, 2, 3, 4; wall time and CPU seconds from /usr/bin/time,
#            uptime beside them (round 6 ran it twice; its first invocation had no tail 3)
# longer:    seeds 0-19: radii + tail 6 and 8 (after the pick)
# Run it inside cpuslot. Each run's directory is OUT/NAME-sSEED (OUT/OBJ/NAME-sSEED for others).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: run_parallel_tail.sh OUT [LLMBO_BINARY]}
bin=$(realpath "${2:-$here/../build/llmbo}")
stages=${STAGES:-tune pick untouched others wall longer wall}
mkdir -p "$out"
cd "$out"

cfg() { # cfg NAME OBJECTIVE BUDGET: NAME.json (rT: radii + tail T, kT: kb + tail T)
    local extra=
    case $1 in
    radii) extra=', "batch": 4, "batch_step": "radii"' ;;
    r[0-9]*) extra=", \"batch\": 4, \"batch_step\": \"radii\", \"tail\": ${1#r}" ;;
    k[0-9]*) extra=", \"tail\": ${1#k}" ;;
    esac
    echo "{\"objective\": \"$2\", \"budget\": $3$extra}" > "$1.json"
}
runs() { # runs OBJECTIVE BUDGET "SEEDS" NAME...
    local obj=$1 budget=$2 seeds=$3 s n j
    shift 3
    for n in "$@"; do
        cfg "$n" "$obj" "$budget"
        j=4
        [ "$n" = w1 ] && j=1
        for s in $seeds; do
            [ -f "$n-s$s/summary.json" ] || "$bin" run "$n.json" --seed "$s" --out "$n-s$s" -j $j -q > /dev/null
        done
    done
}

for stage in $stages; do
    echo "stage $stage: $(uptime)"
    case $stage in
    tune) runs hartmann6 40 "$(seq 0 19)" w1 kb radii r1 r2 r3 r4 k1 k2 k3 k4 ;;
    pick)
        python3 - > picked <<'EOF'
import json, math
def m(n):
    return [json.load(open(f"{n}-s{s}/summary.json"))["final_regret"] for s in range(20)]
w = m("w1")
d = {t: sum(math.log10(b) - math.log10(a) for a, b in zip(w, m(f"r{t}"))) / 20 for t in (1, 2, 3, 4)}
print(min(d, key=d.get))
EOF
        echo "picked tail $(cat picked)" ;;
    untouched) runs hartmann6 40 "$(seq 1000 1019) $(seq 2000 2019)" w1 kb radii r2 "r$(cat picked)" ;;
    others)
        for ob in "branin 30" "hartmann3 40"; do
            set -- $ob
            mkdir -p "$1"
            (cd "$1" && runs "$1" "$2" "$(seq 0 19)" w1 kb radii r2 "r$(cat ../picked)")
        done ;;
    longer) runs hartmann6 40 "$(seq 0 19)" r6 r8 ;;
    wall)
        for n in w1 kb radii r1 r2 r3 r4; do
            cfg "$n" x 40
            python3 - "$n.json" > "sh-$n.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
cmd = ("read x; sleep 1; echo \"$x\" | awk -F'[:,}]' "
       "'{s=0; for(i=2;i<=NF;i+=2) s+=($i-0.3)^2; print s}'")
c["objective"] = {"type": "external", "name": "sh-sleep", "command": cmd,
                  "parameters": [{"name": f"x{i}", "bounds": [0, 1]} for i in range(1, 7)]}
c["seed"] = 1
print(json.dumps(c))
EOF
            j=4
            [ "$n" = w1 ] && j=1
            rm -rf "sh-$n"
            echo "$n before: $(uptime)"
            /usr/bin/time -f "$n wall %e s user %U s sys %S s" "$bin" run "sh-$n.json" --out "sh-$n" -j $j -q > /dev/null
            echo "$n after: $(uptime)"
        done ;;
    esac
done
