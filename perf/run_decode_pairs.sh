#!/usr/bin/env bash
# run_decode_pairs.sh: decode speed of llmbo against llama.cpp's llama-bench as K paired samples
# per row, for rows whose single-run ratio is within this machine's run-to-run noise (issue 13's
# Q4_K_M rows moved 0.92-1.26x between quiet invocations).
#
#   perf/run_decode_pairs.sh LLAMA_BENCH MODEL_DIR OUT.tsv
#
# For every shape x preset x thread count, K times: one perf/bench_engine invocation runs llmbo
# (pp16, then tgTG from an 8-token prompt) and llama-bench on the same file (-p 16 -n TG -r 1),
# llmbo first in odd pairs and llama-bench first in even ones (--llama-first: on a host whose
# bandwidth moves between states, the engine that always ran first could meet another state more
# often), and measures the read bandwidth after llmbo's runs and at the end. One line per pair
# goes to OUT.tsv: row, pair, 1-minute load before it, llmbo tg tok/s, llama tg tok/s, active MiB
# per token, the pair's best probe GB/s, its median and worst. perf/decode_pairs_table.py OUT.tsv
# prints the table (medians, paired ratio with a bootstrap interval, roofline from medians and
# from bests).
#
# With AB=1 each pair also runs llmbo once more, alone and with LLMBO_HUGEPAGES=0 (its weights
# left in the file's 4 KiB page-cache mapping and layout instead of the default copy into 2 MiB
# pages, packed), as the column llmbo_tg_mapped: a paired A/B in the same invocation. AB_ENV
# replaces that setting (AB_ENV=LLMBO_PACK=0: the copy in the file's layout, not packed).
#
# Environment (defaults in brackets): BUILD [build], K [10], TG [32], THREADS ["1 2"], AB [0],
# SHAPES ["r1-distill-qwen-1.5b-shape olmoe-1b-7b-shape granite-1b-a400m-shape"],
# PRESETS [Q4_K_M], BW_REPS [3], AB_ENV [LLMBO_HUGEPAGES=0]. Files missing from MODEL_DIR are
# reported and skipped.
set -u
if [ $# -lt 3 ] || [ ! -x "$1" ] || [ ! -d "$2" ]; then
    awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
    exit 2
fi
LB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
DIR=$2
OUT=$3
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$SRC/build}
BE=$BUILD/perf/bench_engine
K=${K:-10}
TG=${TG:-32}
THREADS=${THREADS:-"1 2"}
SHAPES=${SHAPES:-"r1-distill-qwen-1.5b-shape olmoe-1b-7b-shape granite-1b-a400m-shape"}
PRESETS=${PRESETS:-Q4_K_M}
BW_REPS=${BW_REPS:-3}
AB=${AB:-0}
AB_ENV=${AB_ENV:-LLMBO_HUGEPAGES=0}
[ -x "$BE" ] || { echo "run_decode_pairs.sh: $BE not built" >&2; exit 2; }
printf 'row\tpair\tload\tllmbo_tg\tllama_tg\tactive_mib\tbw_best\tbw_median\tbw_worst\tllmbo_tg_mapped\n' \
    > "$OUT" || exit 2
for shape in $SHAPES; do
    for preset in $PRESETS; do
        f=$DIR/$shape-$preset.gguf
        if [ ! -f "$f" ]; then
            echo "run_decode_pairs.sh: $f missing, skipped" >&2
            continue
        fi
        cat "$f" > /dev/null # into the page cache before the first pair
        for t in $THREADS; do
            for k in $(seq "$K"); do
                load=$(cut -d' ' -f1 /proc/loadavg)
                first=""
                [ $((k % 2)) -eq 0 ] && first=--llama-first
                row=$("$BE" "$f" --threads "$t" --pp 16 --tg "$TG" --reps 1 --no-prefix \
                    --bw-reps "$BW_REPS" --llama-bench "$LB" --row $first 2>/dev/null |
                    grep '^ROW')
                if [ -z "$row" ]; then
                    echo "run_decode_pairs.sh: $shape $preset t$t pair $k failed" >&2
                    continue
                fi
                mapped=-
                if [ "$AB" = 1 ]; then
                    mapped=$(env "$AB_ENV" "$BE" "$f" --threads "$t" --pp 16 --tg "$TG" \
                        --reps 1 --no-prefix --bw-reps 1 --row 2>/dev/null | grep '^ROW' | cut -f4)
                    mapped=${mapped:--}
                fi
                # ROW fields: nt pp tg rss lpp ltg lrss act bw bound cpu... bw_med bw_worst
                echo "$row" | awk -v r="$shape $preset t$t" -v k="$k" -v l="$load" -v m="$mapped" \
                    -F'\t' '{ printf "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, k, l, $4, $7, $9,
                               $10, $16, $17, m }' | tee -a "$OUT"
            done
        done
    done
done
