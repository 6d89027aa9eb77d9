#!/usr/bin/env bash
# distill_micro.sh: the advisor-distillation pipeline (distill/) in miniature, end to end.
# (1) gen_data.py runs llmbo's loop (libllmbo through the Python package) on a few random training
# functions with the privileged teacher and records cassettes; (2) a cassette recorded from the
# scripted loopback server (tests/llm_server.py: answers wrapped in <think> blocks) is turned into
# examples too (distilling any advisor's cassettes); (3) train.py trains a micro qwen3moe on both
# for 60 steps: the loss must fall; (4) the GGUF it writes loads in llmbo's engine
# (`llmbo generate --info`), and as the local advisor of `llmbo run` every call answers with valid
# JSON within the bounds. Skipped (exit 77) only where Debian's python3-torch is absent.
set -u
BIN=${LLMBO_BIN:?LLMBO_BIN not set}
PY=${LLMBO_PYTHON:-/usr/bin/python3}
SRC=${LLMBO_SOURCE_DIR:?LLMBO_SOURCE_DIR not set}
BUILD=${LLMBO_BUILD_DIR:?LLMBO_BUILD_DIR not set}
if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "SKIP: distill_micro needs Debian's python3-torch for $PY" \
        "(bash scripts/install-deps.sh distill installs it)"
    exit 77
fi
W=$(mktemp -d /tmp/llmbo_distill.XXXXXX)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT
fails=0
passes=0
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# A sanitized libllmbo inside the (uninstrumented) interpreter needs the ASan runtime first.
LIBENV=(env "LLMBO_LIB=${LLMBO_LIB:-$BUILD/libllmbo.so}")
if [ -n "${LLMBO_ASAN_RT:-}" ]; then
    LIBENV+=("LD_PRELOAD=$LLMBO_ASAN_RT" "ASAN_OPTIONS=detect_leaks=0")
fi

# (1) teacher data
if "${LIBENV[@]}" "$PY" -B "$SRC/distill/gen_data.py" --out "$W/cas" --runs 4 --max-dim 3 \
    --max-budget 16 --seed 5 > "$W/gen.log" 2>&1; then
    pass "gen_data: $(tail -1 "$W/gen.log")"
else
    fail "gen_data: $(tail -5 "$W/gen.log")"
fi
n_cas=$(cat "$W"/cas/*.jsonl 2>/dev/null | wc -l)
[ "$n_cas" -ge 20 ] && pass "teacher cassettes hold $n_cas calls" || fail "only $n_cas teacher calls"

# (1b) round 7's teacher: the C prompt's {{mean_step}} line (distill/templates-mean) must be the
# mean the policy computes in Python from the true history, in every propose prompt
if "${LIBENV[@]}" "$PY" -B "$SRC/distill/gen_data.py" --out "$W/cas7" --runs 3 --max-dim 4 \
    --max-budget 16 --seed 7 --rank-every 3 --answer unit --policy round7 \
    --templates "$SRC/distill/templates-mean" > "$W/gen7.log" 2>&1 &&
    grep -Eq 'checked against the policy.s in [1-9][0-9]* prompts, 0 differ' "$W/gen7.log"; then
    pass "round-7 teacher data: $(grep 'checked against' "$W/gen7.log")"
else
    fail "round-7 teacher data: $(tail -5 "$W/gen7.log")"
fi

# (1c) round 8's anchored answers: the teacher writes its recombinations as {"from": "mean", ...};
# the C advisor's mapping of every one-point step (from Best or from the mean) must be the point
# the policy drew, and the examples keep "from" first, as the constrained decoder writes it
if "${LIBENV[@]}" "$PY" -B "$SRC/distill/gen_data.py" --out "$W/cas8" --runs 3 --max-dim 4 \
    --max-budget 16 --seed 7 --rank-every 3 --answer anchored --policy round7 \
    --templates "$SRC/distill/templates-anchor" > "$W/gen8.log" 2>&1 &&
    grep -Eq 'checked against the policy.s in [1-9][0-9]* prompts, 0 differ' "$W/gen8.log" &&
    grep -Eq 'step answers mapped back to the points the loop evaluated, 0 differ' "$W/gen8.log" &&
    grep -Eq 'from the mean [1-9][0-9]* \(written as "from"\)' "$W/gen8.log" &&
    "$PY" -B "$SRC/distill/dataset.py" "$W/cas8" --out "$W/ex8.jsonl" > "$W/ds8.log" 2>&1 &&
    grep -q '{\\"from\\": \\"mean\\", ' "$W/ex8.jsonl"; then
    pass "round-8 anchored teacher data: $(grep 'mapped back' "$W/gen8.log")"
else
    fail "round-8 anchored teacher data: $(tail -5 "$W/gen8.log") $(tail -2 "$W/ds8.log" 2>/dev/null)"
fi

# (1d) round 10: the round10 policy recombines exactly when the last digit of "Used i" is 3, 6 or
# 9 (its anchored answers say "mean" then, "best" otherwise), and train.py --choice-weight finds
# the tokens that write each "from" value (they decode to the value the answer text holds); a
# short training with the weight counts every example that writes one
if "${LIBENV[@]}" "$PY" -B "$SRC/distill/gen_data.py" --out "$W/cas10" --runs 3 --max-dim 4 \
    --max-budget 16 --seed 7 --rank-every 3 --answer anchored --policy round10 \
    --templates "$SRC/distill/templates-anchor" > "$W/gen10.log" 2>&1 &&
    "$PY" -B "$SRC/distill/dataset.py" "$W/cas10" --out "$W/ex10.jsonl" > "$W/ds10.log" 2>&1 &&
    "$PY" - "$W/ex10.jsonl" "$SRC" > "$W/chk10.log" 2>&1 <<'EOF2' &&
import json, re, sys
sys.path.insert(0, sys.argv[2] + "/distill")
sys.path.insert(0, sys.argv[2] + "/tests")
import tokenizer as tk
import train
exs = [json.loads(line) for line in open(sys.argv[1])]
n = {"best": 0, "mean": 0}
n_ex = 0
tokens, types, merges = tk.learn([e["prompt"] + e["answer"] for e in exs], 60)
enc = tk.Encoder(tokens, types, merges)
for e in exs:
    froms = re.findall(r'"from": "(\w+)"', e["answer"])
    if froms:
        used = int(re.search(r"Used (\d+) of", e["prompt"]).group(1))
        want = "mean" if used % 10 in (3, 6, 9) else "best"
        assert froms == [want] * len(froms), (used, froms)
        n[want] += len(froms)
        n_ex += 1
    ids = enc.encode(e["answer"])
    got = enc.decode([ids[k] for k in train.choice_spans(enc, ids, e["answer"])])
    assert got == "".join(froms), (got, froms)
assert n["best"] > 0 and n["mean"] > 0, n
print("origins by the last digit of Used i: %d best, %d mean in %d examples; choice tokens "
      "decode to them" % (n["best"], n["mean"], n_ex))
EOF2
    "$PY" -B "$SRC/distill/train.py" --data "$W/ex10.jsonl" --out "$W/micro10.gguf" \
    --log "$W/train10.log" --embd 32 --layers 1 --heads 2 --kv-heads 1 --head-dim 32 \
    --experts 2 --used 1 --ff-exp 32 --merges 60 --steps 5 --batch 4 --lr 1e-2 --threads 1 \
    --choice-weight 4 > /dev/null 2>&1 &&
    grep -q "train: $(sed -n 's/.* in \([0-9]*\) examples.*/\1/p' "$W/chk10.log") of [0-9]* examples write an origin choice" \
    "$W/train10.log" && grep -q "step 5: origin choice [0-9]* of [0-9]* argmax" "$W/train10.log"; then
    pass "round-10 teacher data and choice weight: $(cat "$W/chk10.log")"
else
    fail "round-10 teacher data: $(tail -3 "$W/gen10.log") $(tail -5 "$W/chk10.log" 2>/dev/null) $(tail -3 "$W/train10.log" 2>/dev/null)"
fi

# (1e) round 11: distill/templates-progress prints the share of the budget used ({{progress}}) in
# every step prompt, floor(100 i / n) of its "Used i of n" line; the round11c20 policy recombines
# ("from": "mean") exactly when the last digit of "Used i" is 4 or 9
# anchored_examples TAG POLICY TEMPLATES LOG_REGEX: 3 runs of gen_data (anchored answers) into
# $W/casTAG, its log matching LOG_REGEX, then dataset.py into $W/exTAG.jsonl
anchored_examples() {
    "${LIBENV[@]}" "$PY" -B "$SRC/distill/gen_data.py" --out "$W/cas$1" --runs 3 --max-dim 4 \
        --max-budget 16 --seed 7 --rank-every 3 --answer anchored --policy "$2" \
        --templates "$SRC/distill/$3" > "$W/gen$1.log" 2>&1 &&
        grep -Eq "$4" "$W/gen$1.log" &&
        "$PY" -B "$SRC/distill/dataset.py" "$W/cas$1" --out "$W/ex$1.jsonl" > "$W/ds$1.log" 2>&1
}
if anchored_examples 11 round11c20 templates-progress \
    'step answers mapped back to the points the loop evaluated, 0 differ' &&
    "$PY" - "$W/ex11.jsonl" > "$W/chk11.log" 2>&1 <<'EOF2'; then
import json, re, sys
n, pcts, froms = 0, set(), {"best": 0, "mean": 0}
for line in open(sys.argv[1]):
    e = json.loads(line)
    p = e["prompt"]
    if "as steps from Best" not in p:
        continue
    i, b = map(int, re.search(r"^Used (\d+) of (\d+)\.$", p, re.M).groups())
    got = int(re.search(r"^Progress: (\d+) %\.$", p, re.M).group(1))
    assert got == 100 * i // b, (i, b, got)
    n += 1
    pcts.add(got)
    want = "mean" if i % 10 in (4, 9) else "best"
    for f in re.findall(r'"from": "(\w+)"', e["answer"]):
        assert f == want, (i, f)
        froms[f] += 1
assert n >= 10 and len(pcts) >= 5 and froms["best"] and froms["mean"], (n, pcts, froms)
print("%d step prompts print floor(100 i / n) (%d distinct values); %d best, %d mean by the "
      "last digit of Used i" % (n, len(pcts), froms["best"], froms["mean"]))
EOF2
    pass "round-11 progress line: $(cat "$W/chk11.log")"
else
    fail "round-11 progress line: $(tail -3 "$W/gen11.log") $(tail -5 "$W/chk11.log" 2>/dev/null)"
fi

# (1f) round 12: distill/templates-scale prints the teacher's step scale ({{step_scale}}) in every
# step prompt, 0.3 (0.01 / 0.3)^(i / n) of its "Used i of n" line to 4 decimals (computed here,
# not by policy.py), right after that line; gen_data checked each against policy.scale
if anchored_examples 12 round10 templates-scale \
    'step scale checked against policy.scale in [1-9][0-9]* prompts, 0 differ' &&
    "$PY" - "$W/ex12.jsonl" > "$W/chk12.log" 2>&1 <<'EOF2'; then
import json, re, sys
n, seen = 0, set()
for line in open(sys.argv[1]):
    p = json.loads(line)["prompt"]
    if "as steps from Best" not in p:
        assert "Step scale" not in p, p
        continue
    m = re.search(r"^Used (\d+) of (\d+)\.\nStep scale: (\d\.\d{4}) of each range\.$", p, re.M)
    i, b, got = int(m.group(1)), int(m.group(2)), m.group(3)
    want = "%.4f" % (0.3 * (0.01 / 0.3) ** min(i / b, 1.0))
    assert got == want, (i, b, got, want)
    n += 1
    seen.add(got)
assert n >= 10 and len(seen) >= 5, (n, seen)
print("%d step prompts print 0.3 (1/30)^(i/n) to 4 decimals (%d distinct values, %s-%s)"
      % (n, len(seen), min(seen), max(seen)))
EOF2
    pass "round-12 step scale line: $(cat "$W/chk12.log")"
else
    fail "round-12 step scale line: $(tail -3 "$W/gen12.log") $(tail -5 "$W/chk12.log" 2>/dev/null)"
fi

# (2) a cassette of another advisor, recorded against the loopback server
printf '{"default": {"answer": "auto", "style": "think"}}' > "$W/script.json"
"$PY" "$SRC/tests/llm_server.py" "$W/script.json" > "$W/port" &
SERVER_PID=$!
# Python starts slowly on a loaded machine: wait as long as the server lives, not a fixed time.
while ! grep -q PORT "$W/port" 2>/dev/null && kill -0 "$SERVER_PID" 2>/dev/null; do sleep 0.05; done
PORT=$(awk '/PORT/ {print $2}' "$W/port")
T="$SRC/distill/templates"
cat > "$W/rec.json" <<EOF
{"objective": "hartmann3", "budget": 12, "strategy": "llm", "seed": 3,
 "advisor": {"backend": "openai", "model": "loopback", "base_url": "http://127.0.0.1:$PORT/v1",
   "mode": "propose", "record": "$W/loopback/hartmann3.jsonl", "price": {"input": 0, "output": 0},
   "history": "best", "history_n": 5, "digits": 4,
   "templates": {"system": "$T/system.txt", "propose": "$T/propose.txt", "rank": "$T/rank.txt",
                 "pool": "$T/pool.txt", "warmstart": "$T/warmstart.txt"}}}
EOF
mkdir -p "$W/loopback"
if "$BIN" run "$W/rec.json" --out "$W/rec" > "$W/rec.log" 2>&1; then
    pass "a run recorded its advisor against the loopback server"
else
    fail "recording run: $(tail -5 "$W/rec.log")"
fi
if "$PY" -B "$SRC/distill/dataset.py" "$W/loopback" --out "$W/loopback.jsonl" > "$W/ds1.log" 2>&1 &&
    grep -q '"answer": "{\\"points\\": \[{\\"x1\\": ' "$W/loopback.jsonl"; then
    pass "loopback cassette -> examples: $(cat "$W/ds1.log")"
else
    fail "loopback cassette -> examples: $(cat "$W/ds1.log")"
fi
if "$PY" -B "$SRC/distill/dataset.py" "$W/cas" --out "$W/teacher.jsonl" > "$W/ds2.log" 2>&1; then
    pass "teacher cassettes -> examples: $(cat "$W/ds2.log")"
else
    fail "teacher cassettes -> examples: $(cat "$W/ds2.log")"
fi
printf 'not json\n' > "$W/bad.jsonl"
if "$PY" -B "$SRC/distill/dataset.py" "$W/bad.jsonl" --out "$W/bad.out" > "$W/ds3.log" 2>&1; then
    fail "a file of bad lines gave examples"
elif grep -q "bad.jsonl:1: not a cassette line" "$W/ds3.log"; then
    pass "a bad cassette line is named by file and line"
else
    fail "bad cassette message: $(cat "$W/ds3.log")"
fi

# (3) micro training
if "$PY" -B "$SRC/distill/train.py" --data "$W/teacher.jsonl" "$W/loopback.jsonl" \
    --out "$W/micro.gguf" --log "$W/train.log" --svg "$W/loss.svg" --name llmbo-advisor-micro \
    --embd 32 --layers 1 --heads 2 --kv-heads 1 --head-dim 32 --experts 2 --used 1 \
    --ff-exp 32 --merges 60 --steps 60 --batch 4 --lr 1e-2 --threads 1 > /dev/null 2>&1; then
    pass "train.py wrote a model: $(tail -1 "$W/train.log")"
else
    fail "train.py: $(tail -5 "$W/train.log" 2>/dev/null)"
fi
read -r first last < <(sed -n 's/.*first running loss \([0-9.]*\), last \([0-9.]*\).*/\1 \2/p' "$W/train.log")
if [ -n "${first:-}" ] && awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < 0.7 * a) }'; then
    pass "loss falls: $first -> $last"
else
    fail "loss did not fall by 30%: ${first:-?} -> ${last:-?}"
fi
grep -q "<svg" "$W/loss.svg" 2>/dev/null && pass "loss curve SVG written" || fail "no loss SVG"

# (4) the engine loads it and answers valid JSON
info=$("$BIN" generate "$W/micro.gguf" --info 2>&1)
if [[ "$info" == *"qwen3moe"* && "$info" == *"blk.0.ffn_gate_exps.weight"*"Q8_0"* ]]; then
    pass "the engine loads the exported Q8_0 qwen3moe file"
else
    fail "generate --info: $info"
fi
sed -e "s|\"backend\": \"openai\"|\"backend\": \"local\", \"model_path\": \"$W/micro.gguf\", \"temperature\": 0.7|" \
    -e "s|, \"base_url\": \"http://127.0.0.1:$PORT/v1\"||" -e "s|\"record\": \"[^\"]*\", ||" \
    "$W/rec.json" > "$W/local.json"
if "$BIN" run "$W/local.json" --out "$W/local" > "$W/local.log" 2>&1; then
    pass "llmbo run with the micro model as the local advisor"
else
    fail "local run: $(tail -5 "$W/local.log")"
fi
if "$PY" - "$W/local/advisor.jsonl" <<'EOF'; then
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    ans = json.loads(r["raw"])
    for p in ans["points"]:
        assert 0 <= p["x1"] <= 1 and 0 <= p["x2"] <= 1 and 0 <= p["x3"] <= 1, p
    n += 1
assert n >= 5, n
print("%d local calls, every answer valid JSON within the bounds" % n)
EOF
    pass "every local answer is valid JSON within the bounds"
else
    fail "local answers"
fi
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
