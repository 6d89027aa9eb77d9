#!/bin/bash
# e2e_run.sh: `llmbo run` from the outside. Exit codes (0 run, 2 config and usage errors with
# the file and key named on stderr), the run directory (config.json resolved and reusable,
# journal.jsonl, summary.json agreeing with the journal), failed evaluations of an external
# objective journalled with their reason while the run goes on, maximisation reported in the
# objective's sense, determinism (same seed: same journal but for timings; --seed changes it),
# and the config schema listing exactly the keys the parser accepts.
set -u
. "$(dirname "$0")/lib.sh"
expect_rc() { # expect_rc WANT WHAT CMD...
    local want=$1 what=$2
    shift 2
    "$@" > "$WORK/out" 2> "$WORK/err"
    local rc=$?
    [ $rc -eq "$want" ] && pass "$what: exit $rc" || fail "$what: exit $rc, want $want ($(cat "$WORK/err"))"
}

# --- configuration and usage errors: exit 2, message names file and key ---------------------
echo '{"objective": "branin", "budget": 10, "acquisition": "eii"}' > "$WORK/bad.json"
expect_rc 2 "unknown acquisition" "$BIN" run "$WORK/bad.json" -q
grep -qF "$WORK/bad.json: acquisition: unknown value \"eii\"; expected one of ei, logei, pi, ucb, ts" \
    "$WORK/err" && pass "message names file and key" || fail "message: $(cat "$WORK/err")"
echo '{"objective": "nosuchfunction", "budget": 10}' > "$WORK/bad2.json"
expect_rc 2 "unknown objective" "$BIN" run "$WORK/bad2.json" -q
grep -qF "$WORK/bad2.json: objective" "$WORK/err" && pass "objective error names the key" ||
    fail "objective message: $(cat "$WORK/err")"
expect_rc 2 "missing config file" "$BIN" run "$WORK/none.json" -q
expect_rc 2 "--resume with a config" "$BIN" run "$WORK/bad.json" --resume "$WORK" -q
expect_rc 2 "bad --seed" "$BIN" run "$WORK/bad.json" --seed -4 -q
expect_rc 2 "unknown option" "$BIN" run "$WORK/bad.json" --frobnicate -q
expect_rc 0 "--help" "$BIN" run --help

# --- the schema lists exactly the keys the parser accepts -----------------------------------
echo '{"objective": "branin", "budget": 10, "zzz": 1}' > "$WORK/zzz.json"
"$BIN" run "$WORK/zzz.json" -q 2> "$WORK/err" > /dev/null
"$PY" - "$SRC/docs/config.schema.json" "$WORK/err" <<'EOF' && pass "schema keys = parser keys" || fail "schema keys differ from the parser's"
import json, re, sys
schema = json.load(open(sys.argv[1]))
msg = open(sys.argv[2]).read()
m = re.search(r"expected one of (.*)$", msg.strip())
parser = set(k.strip() for k in m.group(1).split(","))
keys = set(schema["properties"])
if parser != keys:
    print("parser only:", parser - keys, "schema only:", keys - parser); sys.exit(1)
for sub in ("init", "gp", "acq"):
    print(sub, sorted(schema["properties"][sub]["properties"]))
EOF

# --- the schemas list exactly the names the parser's tables hold (strategies, acquisitions,
# designs, pending methods, kernels): the parser's "expected one of" list against each enum ---
names_ok=1
for kv in strategy:'"strategy": "zz"' acquisition:'"acquisition": "zz"' \
          init.design:'"init": {"design": "zz"}' pending:'"pending": "zz"' \
          batch_step:'"batch_step": "zz"' \
          gp.kernel:'"gp": {"kernel": "zz"}'; do
    key=${kv%%:*}
    echo "{\"objective\": \"branin\", \"budget\": 10, ${kv#*:}}" > "$WORK/enum.json"
    "$BIN" run "$WORK/enum.json" -q 2> "$WORK/err" > /dev/null
    "$PY" - "$SRC/docs" "$key" "$WORK/err" <<'EOF' || names_ok=0
import json, re, sys
docs, key, msg = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().strip()
m = re.search(r"expected one of (.*)$", msg)
parser = [k.strip() for k in m.group(1).split(",")] if m else None
node = json.load(open(docs + "/config.schema.json"))
for part in key.split("."):
    node = node["properties"][part]
enums = [("config.schema.json", node["enum"])]
run = json.load(open(docs + "/bench.schema.json"))["$defs"]["run"]
if "enum" in run.get(key, {}):
    enums.append(("bench.schema.json", run[key]["enum"]))
for where, e in enums:
    if e != parser:
        print("%s: %s lists %s, the parser %s" % (key, where, e, parser))
        sys.exit(1)
print(key, "=", ", ".join(parser), "in", len(enums), "schema enums")
EOF
done
[ $names_ok = 1 ] && pass "schema enums = the parser's table names" ||
    fail "a schema's enum differs from the parser's names"

# --- an external objective that fails in part of the space ----------------------------------
cat > "$WORK/obj.py" <<'EOF'
import json, sys
d = json.load(sys.stdin)
if d["a"] > 0.8:
    sys.stderr.write("a too large\n")
    sys.exit(3)
print(-((d["a"] - 0.3) ** 2 + (d["b"] - 0.6) ** 2) + 1.5)
EOF
cat > "$WORK/ext.json" <<EOF
{"objective": {"type": "external", "command": "$PY $WORK/obj.py", "maximize": true,
               "parameters": [{"name": "a", "bounds": [0, 1]}, {"name": "b", "bounds": [0, 1]}]},
 "budget": 20, "seed": 3, "init": {"n": 6, "design": "lhs"}}
EOF
expect_rc 0 "external objective run" "$BIN" run "$WORK/ext.json" --out "$WORK/ext" -q
"$PY" - "$WORK/ext" <<'EOF' && pass "failures journalled, run continued, maximisation in the objective's sense" || fail "external run journal"
import json, math, sys
d = sys.argv[1]
lines = [json.loads(l) for l in open(d + "/journal.jsonl")]
s = json.load(open(d + "/summary.json"))
assert len(lines) == 20 and [o["iter"] for o in lines] == list(range(20)), "20 lines in order"
failed = [o for o in lines if o["status"] == "failed"]
ok = [o for o in lines if o["status"] == "ok"]
for o in failed:
    assert o["y"] is None and o["xv"][0] > 0.8, o
    assert "exited with status 3" in o["error"] and "a too large" in o["error"], o["error"]
for o in ok:
    assert o["xv"][0] <= 0.8 and abs(o["y"] - (1.5 - (o["xv"][0] - .3) ** 2 - (o["xv"][1] - .6) ** 2)) < 1e-12
    assert o["x"] == {"a": o["xv"][0], "b": o["xv"][1]}
best = -math.inf
for o in lines:  # best so far is the running maximum
    if o["status"] == "ok":
        best = max(best, o["y"])
    assert o["best"] == (best if best > -math.inf else None), (o["best"], best)
    assert o["regret"] is None
assert [o["source"] for o in lines[:6]] == ["init"] * 6 and set(o["source"] for o in lines[6:]) <= {"gp", "random"}
assert s["failed"] == len(failed) and s["evaluations"] == 20 and s["complete"] and s["maximize"]
assert s["best_y"] == best and s["final_regret"] is None and s["strategy"] == "gp"
assert best > 1.45, best  # the loop found the peak (1.5 at a = 0.3, b = 0.6)
print(len(failed), "failed,", "best", best)
EOF

# --- determinism and the resolved config -----------------------------------------------------
cat > "$WORK/h.json" <<'EOF'
{"objective": "hartmann3", "budget": 16, "seed": 9, "acquisition": "ucb", "batch": 2}
EOF
"$BIN" run "$WORK/h.json" --out "$WORK/h1" -q > "$WORK/h1.out" &&
    "$BIN" run "$WORK/h.json" --out "$WORK/h2" -q > /dev/null &&
    "$BIN" run "$WORK/h1/config.json" --out "$WORK/h3" -q > /dev/null &&
    "$BIN" run "$WORK/h.json" --seed 10 --out "$WORK/h4" -q > /dev/null || fail "determinism runs"
"$PY" - "$WORK" <<'EOF' && pass "same config and seed: same journal (timings aside); resolved config reruns it; --seed changes it" || fail "determinism"
import json, sys
w = sys.argv[1]
def load(d):
    out = []
    for l in open(w + "/" + d + "/journal.jsonl"):
        o = json.loads(l)
        del o["t_eval"], o["t_wall"]
        for k in ("seconds", "cpu_seconds", "cpu_dollars"):
            del o["advisor"][k]
        out.append(o)
    return out
a, b, c, e = load("h1"), load("h2"), load("h3"), load("h4")
assert a == b, "two runs differ"
assert a == c, "the resolved config.json does not reproduce the run"
assert a != e, "--seed did not change the run"
cfg = json.load(open(w + "/h4/config.json"))
# the resolved design size: gp's max(d + 1, min(12, budget / 2)) = 8 for d = 3, budget 16
assert cfg["seed"] == 10 and cfg["init"]["n"] == 8 and cfg["gp"]["noise"] == 1e-06 and cfg["noisy"] is False
out = json.load(open(w + "/h1.out"))
assert out == json.load(open(w + "/h1/summary.json")) or out["best_y"] == json.load(open(w + "/h1/summary.json"))["best_y"]
EOF
expect_rc 2 "--out over an existing run" "$BIN" run "$WORK/h.json" --out "$WORK/h1" -q
grep -qF "already holds a run" "$WORK/err" && pass "existing run refused with a hint" || fail "message: $(cat "$WORK/err")"

# ---- a noisy built-in objective: the regret is the incumbent's noise-free one ------------------
# The best observed value of a noisy run is the luckiest draw; the journal's and the summary's
# regret must be |f(x_best) - f*| with f noise-free, computed here by the independent numpy
# reference (tests/ref_objectives.py) at each incumbent.
printf '{"objective": {"name": "hartmann6", "noise_std": 0.3}, "budget": 20, "strategy": "random", "seed": 4}\n' >"$WORK/noisy.json"
"$BIN" run "$WORK/noisy.json" --out "$WORK/noisy" -q >/dev/null || fail "noisy run"
"$PY" - "$WORK/noisy" "$SRC/tests/ref_objectives.py" <<'EOF' && pass "noisy run: every journal regret is the incumbent's noise-free regret (numpy reference)" || fail "noisy regret"
import json, subprocess, sys
d, ref = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(d + "/journal.jsonl")]
opt = -3.32236801141551  # hartmann6's minimum (BoTorch's constant)
best, inc, incs = None, None, []
for o in lines:  # the incumbent after each evaluation: the best observed value so far
    if best is None or o["y"] < best:
        best, inc = o["y"], o["xv"]
    incs.append(inc)
q = "".join("hartmann6 6 " + " ".join(repr(v) for v in x) + "\n" for x in incs)
f = [float(v) for v in subprocess.run([sys.executable, ref], input=q, capture_output=True,
                                      text=True, check=True).stdout.split()]
worst = max(abs(o["regret"] - abs(v - opt)) for o, v in zip(lines, f))
assert worst < 1e-9, "journal regret vs noise-free reference: off by %g" % worst
s = json.load(open(d + "/summary.json"))
assert abs(s["final_regret"] - abs(f[-1] - opt)) < 1e-9, (s["final_regret"], f[-1])
# the premise: the observed best differs from the noise-free value, so the old |best - f*| differs
assert abs(abs(s["best_y"] - opt) - s["final_regret"]) > 0.05, (s["best_y"], s["final_regret"])
EOF

finish
