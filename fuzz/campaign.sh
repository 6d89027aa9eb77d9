#!/usr/bin/env bash
# campaign.sh: a timed libFuzzer campaign, one harness after the other (never in parallel), at
# the lowest CPU priority.
#
#   fuzz/campaign.sh [SECONDS_PER_HARNESS] [HARNESS ...]     (default 600 s, every harness)
#
# Builds build-fuzz (clang, -DLLMBO_FUZZ=ON) if needed. Each harness starts from its seed corpus
# fuzz/corpus/NAME and grows a working corpus in fuzz-out/corpus/NAME; crashes, leaks, UBSan
# reports and timeouts (> 10 s per input) are written as fuzz-out/NAME/crash-* etc. and make the
# campaign fail. Copy each into fuzz/corpus/NAME/ once fixed, so CI replays it for ever. The log
# of each harness (with libFuzzer's exec/s, coverage and final stats) is fuzz-out/NAME.log.
# LLMBO_FUZZ_NICE=N sets the harnesses' niceness (default 19; 10 when 19 starves them).
set -u
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
if [ ! -f build-fuzz/CMakeCache.txt ]; then
    CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLMBO_FUZZ=ON
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in fuzz/fuzz_*.c; do
        n=$(basename "$f" .c)
        names+=("${n#fuzz_}")
    done
fi
targets=()
for n in "${names[@]}"; do targets+=("fuzz_$n"); done
# LLMBO_FUZZ_NOBUILD=1 runs the binaries already built (a campaign split in several calls
# fuzzes one build even if the sources change meanwhile).
if [ "${LLMBO_FUZZ_NOBUILD:-0}" != 1 ]; then
    cmake --build build-fuzz -j 2 --target "${targets[@]}" || exit 1
fi
failed=0
for n in "${names[@]}"; do
    mkdir -p "fuzz-out/corpus/$n" "fuzz-out/$n"
    echo "== fuzz_$n: $secs s ($(date -u +%H:%M:%S) UTC, load: $(cut -d' ' -f1-3 /proc/loadavg))"
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        nice -n "${LLMBO_FUZZ_NICE:-19}" "build-fuzz/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="fuzz-out/$n/" "fuzz-out/corpus/$n" "fuzz/corpus/$n" \
        > "fuzz-out/$n.log" 2>&1
    rc=$?
    grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" \
        "fuzz-out/$n.log" | tail -4
    if [ $rc -ne 0 ] || ls "fuzz-out/$n"/ | grep -q .; then
        echo "fuzz_$n: FAILED (exit $rc); artifacts: $(ls "fuzz-out/$n"/)"
        failed=$((failed + 1))
    fi
done
echo "$failed harness(es) failed"
[ "$failed" -eq 0 ]
