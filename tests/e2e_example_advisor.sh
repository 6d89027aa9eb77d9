#!/usr/bin/env bash
# e2e_example_advisor.sh: examples/bo_asktell.c, a C program using only llmbo.h, runs an ask/tell
# loop with an LLM advisor and prints the advisor's token cost. The advisor is first an
# OpenAI-compatible backend against the scripted loopback server (tests/llm_server.py, a fake
# model whose token counts come from the prompt and answer lengths) recording a cassette, then
# the replay backend over that cassette offline: every call must be answered, and the replayed
# loop and cost must equal the recorded ones. With UPDATE=1 the cassette that the example
# replays by default (examples/advisors/cassettes/asktell-rank.jsonl) is rewritten; do that
# when a change to the loop or the prompts changes what the example asks.
set -euo pipefail
BIN=${LLMBO_BIN:?LLMBO_BIN must point to the llmbo binary}
EX=${LLMBO_EXAMPLE_ASKTELL:-$(dirname "$BIN")/examples/example_bo_asktell}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR not set}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
W=$(mktemp -d "${TMPDIR:-/tmp}/llmbo_e2e_example.XXXXXX")
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pass() { echo "PASS: $*"; }

printf '{"default": {}}' >"$W/script.json"
"$PY" "$SRC/tests/llm_server.py" "$W/script.json" >"$W/port" 2>"$W/server.err" &
SERVER_PID=$!
# Python starts slowly on a loaded machine: wait as long as the server lives, not a fixed time.
while ! grep -q PORT "$W/port" 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done
PORT=$(awk '/PORT/ {print $2}' "$W/port")
[ -n "$PORT" ] || fail "loopback server did not start"

COMMON='"model": "loopback-ranker", "mode": "rank", "n_candidates": 4, "price": {"input": 0.15, "output": 0.6}'
"$EX" "{\"backend\": \"openai\", \"base_url\": \"http://127.0.0.1:$PORT/v1\", \"api_key_env\": null,
       $COMMON, \"record\": \"$W/cassette.jsonl\"}" >"$W/record.out"
"$EX" "{\"backend\": \"replay\", \"cassette\": \"$W/cassette.jsonl\", $COMMON}" >"$W/replay.out"

rec=$(grep '^advisor ' "$W/record.out") || fail "no advisor cost line when recording"
rep=$(grep '^advisor ' "$W/replay.out") || fail "no advisor cost line when replaying"
calls=$(sed -E 's/.*: ([0-9]+) calls, ([0-9]+) prompt.*/\1 \2/' <<<"$rec")
read -r n_calls n_prompt <<<"$calls"
[ "$n_calls" -gt 0 ] && [ "$n_prompt" -gt 0 ] && grep -q ' 0 errors$' <<<"$rec" &&
    pass "recorded: $rec" || fail "recording: $rec"
[ "$(wc -l <"$W/cassette.jsonl")" -eq "$n_calls" ] && pass "one cassette line per call" ||
    fail "cassette has $(wc -l <"$W/cassette.jsonl") lines for $n_calls calls"
[ "${rep/(replay)/(openai)}" = "$rec" ] && pass "replay gives the recorded cost: $rep" ||
    fail "replayed cost differs: '$rep' vs '$rec'"
diff <(grep -v '^advisor ' "$W/record.out") <(grep -v '^advisor ' "$W/replay.out") >/dev/null &&
    pass "replay proposes and evaluates the recorded points" || fail "replayed loop differs"
if [ "${UPDATE:-0}" = 1 ]; then
    cp "$W/cassette.jsonl" "$SRC/examples/advisors/cassettes/asktell-rank.jsonl"
    echo "updated examples/advisors/cassettes/asktell-rank.jsonl"
fi
