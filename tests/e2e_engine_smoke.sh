#!/usr/bin/env bash
# e2e_engine_smoke.sh: the local engine through the llmbo binary. (1) `llmbo generate`: --info
# prints the tensor table, --dump-logits writes the last prompt position's logits, which match the
# numpy reference (tests/ref_forward.py, its own tokenizer and forward pass) to 1e-4 on an F32
# model; usage and load errors exit 2 and 1 with messages. (2) The random-weight engine smoke
# test: `llmbo run examples/quickstart_engine_smoke.json` with a generated tiny qwen3moe model as
# the advisor completes its budget with advisor calls that cost CPU seconds and no dollars.
# A random-weight model proposes nonsense: this checks plumbing, not advice quality.
set -u
BIN=${LLMBO_BIN:?LLMBO_BIN not set}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR not set}
W=$(mktemp -d /tmp/llmbo_e2e_engine.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
passes=0
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$PY" "$SRC/tests/gguf_writer.py" --arch qwen3 --type f32 --merges 300 --out "$W/f32.gguf" ||
    fail "model writer (f32)"
"$PY" "$SRC/tests/gguf_writer.py" --arch qwen3moe --type q8_0 --merges 300 \
    --out "$W/random-weight-engine-smoke-test.gguf" || fail "model writer (q8_0)"

# --info
out=$("$BIN" generate "$W/f32.gguf" --info 2>&1)
if [[ "$out" == *"general.architecture"*"qwen3"* && "$out" == *"blk.1.attn_k_norm.weight"*"F32"* ]]; then
    pass "--info prints metadata and the tensor table"
else
    fail "--info output: $out"
fi

# --help names what the engine loads: every architecture and tensor type the test writer makes
# (its --arch and --type choices; q4_k_m is a preset of Q4_K and Q6_K tensors, not a type)
help=$("$BIN" generate --help 2>&1)
archs=$(sed -n 's/^architectures: //p' <<< "$help")
types=$(sed -n 's/^tensor types: *//p' <<< "$help")
missing=""
for a in $("$PY" "$SRC/tests/gguf_writer.py" --help | tr -d ' \n' | sed -n 's/.*--arch{\([^}]*\)}.*/\1/p' |
    tr ',' ' '); do
    [[ ", $archs," == *", $a,"* ]] || missing="$missing arch:$a"
done
for t in $("$PY" "$SRC/tests/gguf_writer.py" --help | tr -d ' \n' | sed -n 's/.*--type{\([^}]*\)}.*/\1/p' |
    tr ',' ' '); do
    [ "$t" = q4_k_m ] && continue
    [[ ", $types," == *", ${t^^},"* ]] || missing="$missing type:$t"
done
if [ -n "$archs" ] && [ -n "$types" ] && [ -z "$missing" ]; then
    pass "generate --help lists every architecture and tensor type the writer makes"
else
    fail "generate --help misses:$missing (architectures: '$archs'; types: '$types')"
fi

# --dump-logits vs the reference on the same text
PROMPT='Hello world, the learning rate is 0.5 and café 日本語'
if "$BIN" generate "$W/f32.gguf" -p "$PROMPT" -n 0 -t 1 --dump-logits "$W/logits.bin" -q > /dev/null; then
    printf '%s' "$PROMPT" > "$W/prompt.txt"
    ids=$("$PY" "$SRC/tests/ref_forward.py" tokenize "$W/f32.gguf" "$W/prompt.txt")
    "$PY" "$SRC/tests/ref_forward.py" logits "$W/f32.gguf" "$ids" "$W/ref.bin"
    if "$PY" - "$W" <<'PYEOF'
import sys, numpy as np, struct
w = sys.argv[1]
a = np.fromfile(w + "/logits.bin", dtype=np.float32)
r = np.fromfile(w + "/ref.bin", dtype=np.float32)[-a.size:]
d = np.abs(a - r).max()
print("dump-logits: %d logits, max|diff| %.3g, max|ref| %.3g" % (a.size, d, np.abs(r).max()))
sys.exit(0 if a.size > 256 and d <= 1e-4 * max(1.0, np.abs(r).max()) else 1)
PYEOF
    then pass "--dump-logits matches the numpy reference"; else fail "--dump-logits differs"; fi
else
    fail "generate -n 0 --dump-logits failed"
fi

# generation and usage errors
out=$("$BIN" generate "$W/f32.gguf" --chat -p "rank these" --json-ranking 6,3 --temp 0.9 --seed 5 -q 2>&1)
if "$PY" -c 'import json,sys; r=json.loads(sys.argv[1])["ranking"]; assert len(r)==3 and len(set(r))==3 and all(0<=i<6 for i in r)' "$out"; then
    pass "constrained ranking from the CLI: $out"
else
    fail "constrained ranking output: $out"
fi
"$BIN" generate "$W/f32.gguf" > /dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && pass "missing -p exits 2" || fail "missing -p exited $rc"
"$BIN" generate "$W/f32.gguf" -p x --temp -1 > /dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && pass "negative temperature exits 2" || fail "negative temperature exited $rc"
head -c 5000 "$W/f32.gguf" > "$W/trunc.gguf"
err=$("$BIN" generate "$W/trunc.gguf" -p x 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 1 ] && [[ "$err" == *"trunc.gguf"*"truncated"* ]]; then
    pass "truncated model exits 1: $err"
else
    fail "truncated model: rc $rc: $err"
fi

# an end-of-sequence id outside the vocabulary: treated as absent (as llama.cpp does), and said
"$PY" "$SRC/tests/gguf_writer.py" --arch qwen3 --type f32 --merges 300 --out "$W/eos.gguf" \
    --set tokenizer.ggml.eos_token_id=u32:999999 || fail "model writer (bad eos)"
err=$("$BIN" generate "$W/eos.gguf" -p hello -n 3 -q 2>&1 >/dev/null); rc=$?
if [ "$rc" -eq 0 ] && [[ "$err" == *"warning"*"eos_token_id (999999) is not a token id"* ]]; then
    pass "an out-of-vocabulary eos id runs with a warning: $err"
else
    fail "out-of-vocabulary eos id: rc $rc: $err"
fi
err=$("$BIN" generate "$W/f32.gguf" -p hello -n 3 -q 2>&1 >/dev/null)
[ -z "$err" ] && pass "a valid model prints no warning" || fail "valid model warned: $err"

# the random-weight engine smoke test: a whole BO run with the local engine as advisor
sed -e "s#quickstart-engine-smoke/random-weight-engine-smoke-test.gguf#$W/random-weight-engine-smoke-test.gguf#" \
    "$SRC/examples/quickstart_engine_smoke.json" > "$W/smoke.json"
if "$BIN" run "$W/smoke.json" --out "$W/run" -q > "$W/run.out" 2>&1; then
    if "$PY" - "$W/run" <<'PYEOF'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
lines = [json.loads(l) for l in open(d + "/journal.jsonl")]
a = s["advisor"]
print("random-weight engine smoke test: %d evaluations, %d advisor calls (%d valid, %d repaired, "
      "%d fallback), %d prompt tokens (%d cached), %.2f CPU s"
      % (s["evaluations"], a["calls"], a["valid"], a["repaired"], a["fallback"],
         a["prompt_tokens"], a["cached_tokens"], a["cpu_seconds"]))
ok = (s["complete"] and s["evaluations"] == s["budget"] == len(lines) and a["calls"] > 0
      and a["valid"] + a["repaired"] > 0 and a["cpu_seconds"] > 0 and a["dollars"] == 0
      and a["cached_tokens"] > 0 and any(l["source"] == "llm" for l in lines))
sys.exit(0 if ok else 1)
PYEOF
    then pass "random-weight engine smoke test run"; else fail "smoke run summary"; fi
else
    fail "llmbo run with the local engine: $(cat "$W/run.out")"
fi

echo "$passes passed, $fails failed"
exit $((fails > 0))
