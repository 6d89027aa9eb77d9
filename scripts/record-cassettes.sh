#!/usr/bin/env bash
# record-cassettes.sh: regenerates every shipped cassette against llmbo's loopback test server
# (tests/llm_server.py, a scripted fake model whose token counts come from the prompt and answer
# lengths), so the offline demos replay valid advisor calls after a change to the prompts or the
# loop. tests/e2e_cassettes.sh fails when a cassette has gone stale; then run, from the source
# tree:
#
#   scripts/record-cassettes.sh [BUILD_DIR]        (default build)
#
# and commit the rewritten files:
#   examples/advisors/cassettes/loopback-branin-rank.jsonl  (examples/advisors/replay.json and
#                                                            examples/replay_bench.json)
#   examples/advisors/cassettes/asktell-rank.jsonl          (examples/bo_asktell.c)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
BIN=$BUILD/llmbo
EX=$BUILD/examples/example_bo_asktell
PY=${LLMBO_PYTHON:-/usr/bin/python3}
# OpenBLAS picks its kernels by CPU, and they round sums differently: on an AVX512-BF16 CPU (its
# Cooperlake kernels) bo_asktell's loop parts ways with the recording after 15 of 18 calls. The
# cassettes are recorded with the AVX2 (Haswell) kernels, which any x86-64 CPU with AVX2 and FMA
# runs, so both this script and tests/e2e_cassettes.sh ask for those.
if [ "$(uname -m)" = x86_64 ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=Haswell
fi
[ -x "$BIN" ] || { echo "record-cassettes: $BIN not built" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/llmbo_cassettes.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT
printf '{"default": {}}' > "$W/script.json"
"$PY" tests/llm_server.py "$W/script.json" > "$W/port" &
SERVER_PID=$!
for _ in $(seq 200); do
    grep -q PORT "$W/port" 2> /dev/null && break
    sleep 0.05
done
PORT=$(awk '/PORT/ {print $2}' "$W/port")
[ -n "$PORT" ] || { echo "record-cassettes: the loopback server did not start" >&2; exit 1; }

# replay.json: the same run with the OpenAI-compatible backend against the server, recording.
"$PY" - examples/advisors/replay.json "$W/rec.json" "http://127.0.0.1:$PORT/v1" "$W/branin.jsonl" <<'PY'
import json, sys
cfg = json.load(open(sys.argv[1]))
a = cfg["advisor"]
a.pop("cassette")
a.update({"backend": "openai", "base_url": sys.argv[3], "api_key_env": None, "record": sys.argv[4]})
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
"$BIN" run "$W/rec.json" --out "$W/run" -q > /dev/null
cp "$W/branin.jsonl" examples/advisors/cassettes/loopback-branin-rank.jsonl
echo "record-cassettes: examples/advisors/cassettes/loopback-branin-rank.jsonl ($(wc -l < "$W/branin.jsonl") calls)"

# bo_asktell.c's default advisor: the example's own replay config with the OpenAI backend.
if [ -x "$EX" ]; then
    COMMON='"model": "loopback-ranker", "mode": "rank", "n_candidates": 4, "price": {"input": 0.15, "output": 0.6}'
    "$EX" "{\"backend\": \"openai\", \"base_url\": \"http://127.0.0.1:$PORT/v1\", \"api_key_env\": null,
           $COMMON, \"record\": \"$W/asktell.jsonl\"}" > /dev/null
    cp "$W/asktell.jsonl" examples/advisors/cassettes/asktell-rank.jsonl
    echo "record-cassettes: examples/advisors/cassettes/asktell-rank.jsonl ($(wc -l < "$W/asktell.jsonl") calls)"
else
    echo "record-cassettes: $EX not built; asktell-rank.jsonl left as it is" >&2
fi
