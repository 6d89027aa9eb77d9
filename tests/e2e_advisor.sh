#!/usr/bin/env bash
# e2e_advisor.sh: `llmbo run` with an LLM advisor against the scripted loopback server
# (tests/llm_server.py): rank and propose runs, one run per injected fault (each must complete
# its budget with a complete journal and the expected outcome counts, tokens and dollars), the
# API key never written anywhere, and record/replay (identical journal without the server, and
# the miss message). Prints the fault table in Markdown (perf/results/advisor_faults.md).
set -euo pipefail
E2E_FAIL_FAST=1
. "$(dirname "$0")/lib.sh"
[ -n "${KEEP:-}" ] && trap - EXIT

# config OBJECTIVE BUDGET STRATEGY ADVISOR_EXTRA -> prints a run config on stdout
config() {
    cat <<EOF
{"objective": "$1", "budget": $2, "strategy": "$3", "seed": 11, "init": {"n": 6},
 "advisor": {"backend": "openai", "model": "fault-test", "base_url": "http://127.0.0.1:$PORT/v1",
             "api_key_env": null, "price": {"input": 2.385, "cached_input": 0.5, "output": 9.75},
             "backoff": 0.05, "max_retries": 2, "timeout": 3 $4}}
EOF
}

# check DIR BUDGET EXPECT(JSON: counts that must match) -> prints "valid/repaired/fallback/errors|retries|calls|lines|llm|gp"
cat > "$WORK/check.py" <<'EOF'
import json, sys
d, budget, expect = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
lines = [json.loads(l) for l in open(d + "/journal.jsonl")]
s = json.load(open(d + "/summary.json"))
calls = [json.loads(l) for l in open(d + "/advisor.jsonl")]
def die(msg):
    print("FAIL: %s: %s" % (d, msg), file=sys.stderr); sys.exit(1)
if len(lines) != budget or [l["iter"] for l in lines] != list(range(budget)):
    die("journal has %d lines, budget %d" % (len(lines), budget))
if not s["complete"] or s["evaluations"] != budget:
    die("summary not complete")
a = s["advisor"]
if lines[-1]["advisor"] != a:
    die("last journal line's advisor cost differs from the summary")
for k, v in expect.items():
    if a[k] != v:
        die("advisor.%s = %s, expected %s" % (k, a[k], v))
if a["calls"] != len(calls):
    die("advisor.jsonl has %d lines for %d calls" % (len(calls), a["calls"]))
# Tokens and dollars: every answered call carries the scripted usage (1000 prompt, 100
# completion tokens); transport failures carry none.
answered = [c for c in calls if c["outcome"] != "transport_error"]
if a["prompt_tokens"] != 1000 * len(answered) or a["completion_tokens"] != 100 * len(answered):
    die("tokens %d/%d for %d answered calls" % (a["prompt_tokens"], a["completion_tokens"], len(answered)))
want = len(answered) * (1000 * 2.385 + 100 * 9.75) / 1e6
if abs(a["dollars"] - want) > 1e-12:
    die("dollars %.12g, expected %.12g" % (a["dollars"], want))
if abs(sum(c["dollars"] for c in calls) - a["dollars"]) > 1e-12:
    die("advisor.jsonl dollars do not add up")
if a["retries"] != sum(c["retries"] for c in calls):
    die("retries do not add up")
src = [l["source"] for l in lines]
print("%d / %d / %d / %d|%d|%d|%d / %d|%d / %d" % (a["valid"], a["repaired"], a["fallback"], a["errors"],
      a["retries"], a["calls"], len(lines), budget, src.count("llm"), src.count("gp")))
EOF

USAGE='"usage": {"prompt_tokens": 1000, "completion_tokens": 100}'
run_fault() { # NAME MODE SCRIPT_RESPONSES EXPECT DESCRIPTION
    start_server "{\"responses\": [$3], \"default\": {$USAGE}}"
    config branin 12 gp+llm ", \"mode\": \"$2\"" > "$WORK/cfg.json"
    rm -rf "$WORK/run"
    "$BIN" run "$WORK/cfg.json" --out "$WORK/run" -q > "$WORK/stdout" 2> "$WORK/stderr" || fail "$1: llmbo run failed: $(cat "$WORK/stderr")"
    row=$("$PY" "$WORK/check.py" "$WORK/run" 12 "$4") || fail "$1"
    IFS='|' read -r counts retries calls lines srcs <<< "$row"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$5" "$counts" "$retries" "$calls" "$lines" "$srcs" >> "$WORK/table.md"
}

U="$USAGE"
echo "| fault | what the advisor did | valid / repaired / fallback / errors | retries | calls | journal lines / budget | sources llm / gp |" > "$WORK/table.md"
echo "|---|---|---|---|---|---|---|" >> "$WORK/table.md"
run_fault "none (baseline)" propose "" '{"valid": 6, "errors": 0}' "every answer valid"
run_fault "429 + Retry-After: 1" propose "{\"status\": 429, \"headers\": {\"Retry-After\": \"1\"}, \"body\": \"slow down\"}" '{"valid": 6, "retries": 1}' "waited 1 s as told, retried, valid"
run_fault "500, 502" propose "{\"status\": 500, \"body\": \"x\"}, {\"status\": 502, \"body\": \"x\"}" '{"valid": 6, "retries": 2}' "retried twice with backoff, valid"
run_fault "503 on every attempt" propose "{\"status\": 503, \"body\": \"x\"}, {\"status\": 503, \"body\": \"x\"}, {\"status\": 503, \"body\": \"x\"}" '{"valid": 5, "errors": 1, "retries": 2}' "gave up after max_retries; GP's point used"
run_fault "timeout (6 s > 3 s)" propose "{\"delay\": 6, $U}" '{"valid": 6, "retries": 1}' "timed out at 3 s, retried, valid"
run_fault "timeout on every attempt" propose "{\"delay\": 6}, {\"delay\": 6}, {\"delay\": 6}" '{"valid": 5, "errors": 1}' "transport error; GP's point used"
run_fault "connection reset" propose "{\"action\": \"reset\"}" '{"valid": 6, "retries": 1}' "retried, valid"
run_fault "truncated body" propose "{\"action\": \"truncate\", $U}" '{"valid": 6, "retries": 1}' "retried, valid"
run_fault "non-JSON 200 body" propose "{\"body\": \"<html>gateway</html>\"}" '{"valid": 5, "errors": 1, "retries": 0}' "protocol error, no retry; GP's point used"
run_fault "wrong dimension" propose "{\"answer\": \"wrongdim\", $U}" '{"valid": 5, "repaired": 1}' "repair request quoting the error, then valid"
run_fault "out of bounds, twice" propose "{\"answer\": \"oob\", $U}, {\"answer\": \"oob\", $U}" '{"valid": 5, "fallback": 1}' "repair failed too; GP's point used"
run_fault "NaN literal" propose "{\"answer\": \"nan\", $U}" '{"valid": 5, "repaired": 1}' "syntax error quoted, repaired"
run_fault "prose without JSON, twice" propose "{\"answer\": \"prose\", $U}, {\"answer\": \"prose\", $U}" '{"valid": 5, "fallback": 1}' "no JSON twice; GP's point used"
run_fault '`<think>` block + fences' propose "{\"style\": \"think\", $U}, {\"style\": \"fenced\", $U}" '{"valid": 6}' "reasoning stripped, JSON found"
run_fault "rank: duplicate index" rank "{\"answer\": \"rank_dup\", $U}" '{"valid": 5, "repaired": 1}' "repaired"
run_fault "rank: index out of range, twice" rank "{\"answer\": \"rank_range\", $U}, {\"answer\": \"rank_range\", $U}" '{"valid": 5, "fallback": 1}' "GP's first candidate used"
echo "== fault injection (branin, budget 12, gp+llm, 6 advisor consultations per run)"
cat "$WORK/table.md"

# show.py DIR K: the K-th advisor call of a run, as a reader would want to see it
cat > "$WORK/show.py" <<'EOF'
import json, sys
c = [json.loads(l) for l in open(sys.argv[1] + "/advisor.jsonl")][int(sys.argv[2])]
print("-- advisor call %d (iteration %d, mode %s, model %s, request hash %s)" % (c["call"], c["iteration"], c["mode"], c["model"], c["hash"]))
print("-- user prompt:")
print(c["messages"][1]["content"].rstrip())
print("-- raw answer: %s" % json.dumps(c["raw"]))
print("-- reasoning stripped (%d block): %s" % (c["think_blocks"], json.dumps(c["reasoning"])))
print("-- result: %s, outcome %s, tokens %s, $%.6f, %.4f s, %d retries" % (json.dumps(c["result"]), c["outcome"], json.dumps(c["tokens"]), c["dollars"], c["seconds"], c["retries"]))
EOF

# ---- full runs in rank and propose modes, with their cost summaries -------------------------
start_server "{\"default\": {\"style\": \"think\", $USAGE}}"
config branin 16 gp+llm ", \"mode\": \"rank\", \"n_candidates\": 4" > "$WORK/rank.json"
"$BIN" run "$WORK/rank.json" --out "$WORK/rank" -q > "$WORK/rank.out" || fail "rank run"
"$PY" "$WORK/check.py" "$WORK/rank" 16 '{"valid": 10, "errors": 0}' > /dev/null
echo "== rank mode: llmbo run rank.json --out rank (one advisor call, journal tail, summary)"
"$PY" "$WORK/show.py" "$WORK/rank" 3
tail -n 2 "$WORK/rank/journal.jsonl" | cut -c1-240
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps({k: s[k] for k in ("objective","strategy","evaluations","best_y","final_regret","complete")})); print(json.dumps(s["advisor"]))' "$WORK/rank/summary.json"
config branin 16 llm ", \"mode\": \"propose\"" > "$WORK/propose.json"
"$BIN" run "$WORK/propose.json" --out "$WORK/propose" -q > "$WORK/propose.out" || fail "propose run"
"$PY" "$WORK/check.py" "$WORK/propose" 16 '{"errors": 0}' > /dev/null
echo "== propose mode: llmbo run propose.json --out propose (strategy llm: warm start, then one proposal per call)"
"$PY" "$WORK/show.py" "$WORK/propose" 3
tail -n 2 "$WORK/propose/journal.jsonl" | cut -c1-240
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps({k: s[k] for k in ("objective","strategy","evaluations","best_y","final_regret","complete")})); print(json.dumps(s["advisor"]))' "$WORK/propose/summary.json"

# ---- the API key is sent, and never written --------------------------------------------------
KEY="sk-e2e-$(date +%s%N | sha256sum | cut -c1-24)"
export LLMBO_E2E_KEY="$KEY"
start_server "{\"responses\": [{\"status\": 401, \"body\": \"bad key $KEY\"}], \"default\": {$USAGE}}"
config branin 10 gp+llm ", \"mode\": \"propose\", \"record\": \"$WORK/key/cassette.jsonl\"" |
    sed 's/"api_key_env": null/"api_key_env": "LLMBO_E2E_KEY"/' > "$WORK/key.json"
mkdir -p "$WORK/key"
"$BIN" run "$WORK/key.json" --out "$WORK/key/run" > "$WORK/key/stdout" 2> "$WORK/key/stderr" || fail "key run"
grep -q "Bearer $KEY" "$WORK/requests.jsonl" || fail "the key was not sent as a Bearer token"
if grep -rl -- "$KEY" "$WORK/key"; then fail "the API key appears in a file the run wrote"; fi
grep -q "HTTP 401" "$WORK/key/stderr" || fail "the 401 was not reported"
echo "== API key: sent in the Authorization header, absent from $(find "$WORK/key" -type f | wc -l) files the run wrote and from its stdout/stderr"

# ---- record, then replay without the server ----------------------------------------------------
start_server "{\"responses\": [{\"answer\": \"oob\", $U}, {\"status\": 500}, {\"status\": 500}, {\"status\": 500}], \"default\": {\"style\": \"fenced\", $USAGE}}"
config branin 14 gp+llm ", \"mode\": \"propose\", \"record\": \"$WORK/cassette.jsonl\"" > "$WORK/rec.json"
"$BIN" run "$WORK/rec.json" --out "$WORK/rec" -q > /dev/null 2>&1 || fail "recorded run"
stop_server
# Only the backend changes (and the cassette is named); the transport keys are ignored by replay.
sed -e 's/"backend": "openai"/"backend": "replay", "cassette": "'"${WORK//\//\\/}"'\/cassette.jsonl"/' \
    -e 's/, "record": "[^"]*"//' "$WORK/rec.json" > "$WORK/replay.json"
"$BIN" run "$WORK/replay.json" --out "$WORK/replay" -q > /dev/null 2> "$WORK/replay.err" || fail "replayed run: $(cat "$WORK/replay.err") $(cat "$WORK/replay.json")"
"$PY" - "$WORK/rec" "$WORK/replay" <<'EOF' || fail "replayed journal differs"
import json, sys
def load(d):
    out = []
    for l in open(d + "/journal.jsonl"):
        o = json.loads(l); o.pop("t_eval"); o.pop("t_wall"); out.append(o)
    s = json.load(open(d + "/summary.json")); s.pop("wall_seconds")
    return out, s
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    sys.exit("journals or summaries differ")
print("== replay: %d journal lines and the summary identical to the recorded run (timings aside); advisor cost %s" % (len(a[0]), json.dumps(a[1]["advisor"])))
EOF
"$BIN" run "$WORK/replay.json" --seed 12 --out "$WORK/miss" -q > /dev/null 2> "$WORK/miss.err" || fail "replay with misses must still complete"
grep -q "replay: no recorded answer for request hash [0-9a-f]\{16\} (cassette $WORK/cassette.jsonl has [0-9]* entries)" "$WORK/miss.err" ||
    fail "miss message: $(head -2 "$WORK/miss.err")"
echo "== replay miss (other seed): $(head -1 "$WORK/miss.err" | sed "s#$WORK/##")"
# ---- streamed answers: the same run with "stream": true, the same journal and token sums ----
# Usage derived by the server from the prompt and answer lengths, reasoning in a separate field.
start_server "{\"default\": {\"style\": \"reasoning_content\"}}"
config branin 14 gp+llm ", \"mode\": \"propose\"" > "$WORK/plain.json"
config branin 14 gp+llm ", \"mode\": \"propose\", \"stream\": true" > "$WORK/stream.json"
"$BIN" run "$WORK/plain.json" --out "$WORK/plain" -q > /dev/null 2> "$WORK/plain.err" || fail "non-streamed run: $(cat "$WORK/plain.err")"
"$BIN" run "$WORK/stream.json" --out "$WORK/stream" -q > /dev/null 2> "$WORK/stream.err" || fail "streamed run: $(cat "$WORK/stream.err")"
grep -q '\\"stream\\": *true' "$WORK/requests.jsonl" || fail "no streamed request reached the server"
"$PY" - "$WORK/plain" "$WORK/stream" <<'EOF' || fail "streamed run differs from the non-streamed one"
import json, sys
def load(d):
    out = []
    for l in open(d + "/journal.jsonl"):
        o = json.loads(l); o.pop("t_eval"); o.pop("t_wall")
        for k in ("seconds", "cpu_seconds"):
            (o.get("advisor") or {}).pop(k, None)
        out.append(o)
    s = json.load(open(d + "/summary.json")); s.pop("wall_seconds")
    for k in ("seconds", "cpu_seconds"):
        s["advisor"].pop(k, None)
    return out, s
a, b = load(sys.argv[1]), load(sys.argv[2])
if a != b:
    sys.exit("journals or summaries differ")
c = a[1]["advisor"]
if not (c["calls"] > 0 and c["prompt_tokens"] > 0 and c["completion_tokens"] > 0):
    sys.exit("no advisor tokens: %s" % json.dumps(c))
print("== streaming: %d journal lines identical (timings aside); token sums identical: %d calls, "
      "prompt %d, completion %d, reasoning %d, $%.6f" % (len(a[0]), c["calls"], c["prompt_tokens"],
      c["completion_tokens"], c["reasoning_tokens"], c["dollars"]))
EOF

# ---- issue 12 row 12: SIGKILL while a repair request is in flight, then resume ----------------
# Request 0 gets an unusable answer (billed 1111 + 111 tokens), so the advisor asks for a repair;
# request 1 (the repair) is held by the server while the run is killed. The first answer's call
# was logged in advisor.jsonl but no journal line carries its cost. Before: its tokens never
# reached summary.json and the resumed run numbered its next call 1 again.
start_server "{\"responses\": [{\"answer\": \"prose\", \"usage\": {\"prompt_tokens\": 1111, \"completion_tokens\": 111}}, {\"delay\": 120}], \"default\": {$USAGE}}"
config branin 10 gp+llm ", \"mode\": \"rank\"" | sed 's/"timeout": 3/"timeout": 100/' > "$WORK/orphan.json"
rm -rf "$WORK/orphan"
"$BIN" run "$WORK/orphan.json" --out "$WORK/orphan" -q > /dev/null 2>&1 &
run_pid=$!
for _ in $(seq 1 3000); do # the server logs a request when it arrives: count, not time
    [ "$(wc -l < "$WORK/requests.jsonl" 2> /dev/null || echo 0)" -ge 2 ] && break
    sleep 0.02
done
[ "$(wc -l < "$WORK/requests.jsonl")" -eq 2 ] || fail "row 12: the repair request never arrived"
"$PY" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; sys.exit(0 if len(json.loads(r[1]["body"])["messages"]) == 4 else 1)' \
    "$WORK/requests.jsonl" || fail "row 12: request 2 is not the repair"
kill -9 $run_pid
wait $run_pid 2> /dev/null || true
[ ! -f "$WORK/orphan/summary.json" ] || fail "row 12: the run finished before the kill"
"$BIN" run --resume "$WORK/orphan" -q > /dev/null 2> "$WORK/orphan.err" || fail "row 12: resume: $(cat "$WORK/orphan.err")"
grep -qF "llmbo run: 1 advisor call of an advice the interruption cut short (in advisor.jsonl, after the last recorded proposal) added to the cost: 1111 prompt + 111 completion tokens" "$WORK/orphan.err" ||
    fail "row 12: resume message: $(cat "$WORK/orphan.err")"
stop_server
"$PY" - "$WORK/orphan" "$WORK/requests.jsonl" <<'EOF' || fail "row 12: orphaned call's cost or call numbers"
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))["advisor"]
calls = [json.loads(l) for l in open(d + "/advisor.jsonl")]
n_req = sum(1 for _ in open(sys.argv[2]))
# The server's truth: request 0 billed 1111/111, request 1 never answered, every later one
# 1000/100.
want_p, want_c = 1111 + 1000 * (n_req - 2), 111 + 100 * (n_req - 2)
assert (s["prompt_tokens"], s["completion_tokens"]) == (want_p, want_c), (s, want_p, want_c, n_req)
nums = [c["call"] for c in calls]
assert nums == list(range(1, len(nums) + 1)), nums
assert s["calls"] == len(calls) == n_req - 1, (s["calls"], len(calls), n_req)
want_usd = want_p * 2.385e-6 + want_c * 9.75e-6
assert abs(s["dollars"] - want_usd) < 1e-12 and abs(sum(c["dollars"] for c in calls) - s["dollars"]) < 1e-12
print("== row 12: killed with the repair request in flight, resumed: %d prompt + %d completion tokens "
      "(the server billed %d requests; the orphaned first answer included), calls numbered 1..%d" %
      (s["prompt_tokens"], s["completion_tokens"], n_req - 1, len(calls)))
EOF
echo "e2e_advisor: all checks passed"
