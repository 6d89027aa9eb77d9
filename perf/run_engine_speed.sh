#!/usr/bin/env bash
# run_engine_speed.sh: the local engine's speed on real model shapes, side by side with llama.cpp's
# llama-bench on the same files in the same invocation (issue 13's speed table).
#
#   perf/run_engine_speed.sh LLAMA_BENCH MODEL_DIR [OUT.md]
#
# LLAMA_BENCH  path of llama-bench (llama.cpp built from public source; never committed)
# MODEL_DIR    directory holding SHAPE-PRESET.gguf for the shapes and presets below (random
#              weights; how to make them: perf/results/engine.md, "Model files")
# OUT.md       where the table goes as well as stdout (default: engine_speed-DATE.md in the
#              current directory); the raw bench_engine output goes to OUT.md.log
#
# For every shape x preset x thread count (a "row"), perf/bench_engine runs llmbo and then
# llama-bench on the same file (-p PP -n TG -r REPS), so the two engines alternate row by row and
# share the machine's state. Each row records the load average read just before it, decode (tg)
# and prompt-processing (pp) tokens/s of both, their ratios, the peak RSS of each, and llmbo's
# decode as a percentage of the memory-bandwidth roofline: (read bandwidth measured in the same
# row, with the same thread count) / (weight bytes one generated token reads: every matrix once,
# the embedding table's one row, n_used/n_expert of the expert stacks). The bandwidth is the best
# of BW_REPS repetitions in each of two probes (after llmbo's runs and after llama-bench's; the
# same value serves both engines' columns); the last column gives that probe's median and worst
# repetition: a wide spread says the row ran on a busy machine. Files are read into the
# page cache before their first row, so neither engine pays the disk.
#
# Environment (defaults in brackets): BUILD [build] (the llmbo build directory), PP [512],
# TG [32], REPS [1], THREADS ["1 2"], SHAPES ["granite-1b-a400m-shape r1-distill-qwen-1.5b-shape
# olmoe-1b-7b-shape"], PRESETS ["Q8_0 Q4_K_M IQ4_XS"], NICE [0] (niceness of both engines),
# LLAMA_CPU [0]: 1 adds CPU-time ratios (llama.cpp's CPU seconds per token by difference of three
# more llama-bench runs; less disturbed by a loaded machine than wall time; 1-thread rows only,
# since llama.cpp's threads spin), BW_REPS [12] (repetitions per bandwidth probe), BRACKET [3]:
# llmbo's generation runs again BRACKET times, each run between two short probes (3 repetitions
# with the row's thread count before it and after it), and the last two columns give the median
# percentage of the bandwidth around each run and the median of those bandwidths. On a host whose
# read bandwidth moves between states for seconds at a time, the best probe of a row may come from
# a state its generation never met; the bracketed figure sets each run against its own (0: off).
# With the defaults it runs 18 rows; on an idle 2-core machine that is estimated (from CPU
# seconds per token measured under load, never timed idle) at 10-15 minutes, most of it the
# OLMoE rows and llama-bench's warm-up pass (a second pp512); PP=256 or SHAPES without olmoe
# shortens it. On a loaded machine only the ratios mean anything (load average beside every row).
# Missing files are reported and skipped; a failed llama-bench leaves its columns empty.
set -u
if [ $# -lt 2 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
    sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2
    echo "run_engine_speed.sh: need an executable LLAMA_BENCH and a MODEL_DIR" >&2
    exit 2
fi
LB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DIR=$2
OUT=${3:-engine_speed-$(date -u +%Y%m%dT%H%M%SZ).md}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
BE=$BUILD/perf/bench_engine
PP=${PP:-512}
TG=${TG:-32}
REPS=${REPS:-1}
THREADS=${THREADS:-"1 2"}
SHAPES=${SHAPES:-"granite-1b-a400m-shape r1-distill-qwen-1.5b-shape olmoe-1b-7b-shape"}
PRESETS=${PRESETS:-"Q8_0 Q4_K_M IQ4_XS"}
NICE=${NICE:-0}
LLAMA_CPU=${LLAMA_CPU:-0}
BW_REPS=${BW_REPS:-12}
BRACKET=${BRACKET:-3}
if [ ! -x "$BE" ]; then
    echo "run_engine_speed.sh: $BE not built (cmake --build $BUILD --target bench_engine)" >&2
    exit 2
fi
LOG=$OUT.log
: > "$LOG" || exit 2
t_start=$(date +%s)

{
    echo "# Engine speed: llmbo vs llama.cpp (llama-bench), $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "llmbo $(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?') ($BE);" \
        "llama-bench $LB; models in $DIR"
    echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores;" \
        "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2 / 1048576}' /proc/meminfo)"
    echo "pp$PP and tg$TG, best of $REPS (llama-bench: mean of $REPS); load = 1-minute load" \
        "average just before the row; roofline = llmbo tg / (read GB/s / active weight MB per token);" \
        "GB/s = best of 2 x $BW_REPS probe repetitions (median / worst in the probe column);" \
        "bracketed = llmbo tg in $BRACKET more runs, each against the best of the 6 probe" \
        "repetitions around it (median of the runs)"
    echo
    echo "| shape | preset | thr | load | llmbo pp | llama pp | **pp ratio** | llmbo tg |" \
        "llama tg | **tg ratio** | **llmbo % roofline** | llama % roofline | active MiB/tok |" \
        "GB/s | RSS llmbo MiB | RSS llama MiB | s | CPU-time pp ratio | CPU-time tg ratio |" \
        "probe GB/s median / worst | **llmbo % of the bandwidth around its runs** | GB/s around them |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$OUT"

for shape in $SHAPES; do
    for preset in $PRESETS; do
        f=$DIR/$shape-$preset.gguf
        if [ ! -f "$f" ]; then
            echo "| $shape | $preset | | | missing: $f | | | | | | | | | | | | | | | | | |" | tee -a "$OUT"
            continue
        fi
        cat "$f" > /dev/null # page cache: neither engine reads the disk in its timed runs
        for t in $THREADS; do
            load=$(cut -d' ' -f1 /proc/loadavg)
            t0=$(date +%s)
            cpu=""
            [ "$LLAMA_CPU" = 1 ] && [ "$t" = 1 ] && cpu=--llama-cpu
            echo "### $f, $t thread(s), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOG"
            nice -n "$NICE" "$BE" "$f" --threads "$t" --pp "$PP" --tg "$TG" --reps "$REPS" \
                --no-prefix --row --llama-bench "$LB" --bw-reps "$BW_REPS" --bracket "$BRACKET" \
                $cpu >> "$LOG" 2>&1
            rc=$?
            row=$(grep '^ROW' "$LOG" | tail -1)
            [ $rc -eq 0 ] || row=""
            echo "$row" | awk -F'\t' -v s="$shape" -v p="$preset" -v t="$t" -v l="$load" \
                -v dt=$(($(date +%s) - t0)) '
                function r(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
                function v(a) { return a > 0 ? sprintf("%.2f", a) : "-" }
                function v0(a) { return a > 0 ? sprintf("%.0f", a) : "-" }
                function pct(a, b) { return a > 0 ? sprintf("%.0f%%", 100 * a / b) : "-" }
                function g(a) { return a > 0 ? sprintf("%.1f", a) : "-" }
                function p0(a) { return a > 0 ? sprintf("%.0f%%", a) : "-" }
                NF < 15 { printf "| %s | %s | %s | %s | bench_engine failed (see log) |||||||||||| %s | | | | | |\n", s, p, t, l, dt; next }
                { printf "| %s | %s | %s | %s | %.2f | %s | **%s** | %.2f | %s | **%s** | **%.0f%%** | %s | %.0f | %.1f | %.0f | %s | %s | %s | %s | %s / %s | **%s** | %s |\n",
                  s, p, t, l, $3, v($6), r($3, $6), $4, v($7), r($4, $7), 100 * $4 / $11,
                  pct($7, $11), $9, $10, $5, v0($8), dt, r($14, $12), r($15, $13), g($16), g($17),
                  p0($18), g($19) }' | tee -a "$OUT"
            # The row is consumed: keep the log's ROW lines but do not read this one again.
            sed -i 's/^ROW\t/row\t/' "$LOG"
        done
    done
done
echo | tee -a "$OUT"
echo "total $(($(date +%s) - t_start)) s; load at the end: $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee -a "$OUT"
