#!/bin/bash
# e2e_newcomer.sh: what a new user meets when something goes wrong (issue 12), through the
# binary. Each case quotes the message the user now sees; the comment says what happened before.
set -u
. "$(dirname "$0")/lib.sh"
# expect WANT_RC STDERR_SUBSTRING WHAT CMD...: exit status and a piece of stderr.
expect() {
    local want=$1 msg=$2 what=$3
    shift 3
    "$@" > "$WORK/out" 2> "$WORK/err"
    local rc=$?
    if [ $rc -eq "$want" ] && { [ -z "$msg" ] || grep -qF -- "$msg" "$WORK/err"; }; then
        pass "$what: exit $rc, '$msg'"
    else
        fail "$what: exit $rc (want $want), stderr '$(cat "$WORK/err")' (want '$msg')"
    fi
}

# A finished 6-evaluation random run to damage.
cat > "$WORK/r.json" <<'JSON'
{"objective": "branin", "budget": 6, "strategy": "random", "seed": 3}
JSON
"$BIN" run "$WORK/r.json" --out "$WORK/base" -q > /dev/null || fail "base run"
damaged() { # damaged NAME SED-EXPR: the base run cut to 2 lines, line 2 edited, unfinished
    rm -rf "$WORK/$1"
    cp -r "$WORK/base" "$WORK/$1"
    rm -f "$WORK/$1/summary.json"
    head -2 "$WORK/base/journal.jsonl" | sed "2$2" > "$WORK/$1/journal.jsonl"
}

# --- F2: "t_wall": 1e999 (cJSON reads inf) used to flow into every later line and summary.json
damaged twall 's/"t_wall":[0-9.e-]*/"t_wall":1e999/'
expect 2 "journal.jsonl: line 2: t_wall must be a finite number of seconds >= 0" \
    "F2: journal t_wall 1e999 on resume" "$BIN" run --resume "$WORK/twall" -q
# --- F7: "id": 1e300 was cast to int64_t (undefined behaviour)
damaged id 's/"id":1,/"id":1e300,/'
expect 2 "journal.jsonl: line 2: id 1e+300 was never proposed" \
    "F7: journal id 1e300 on resume" "$BIN" run --resume "$WORK/id" -q
# --- F7: journal cost numbers 4e19 and 1e999: clamped counts, no inf in summary.json
damaged cost 's/"prompt_tokens":0/"prompt_tokens":4e19/; s/"dollars":0/"dollars":1e999/'
"$BIN" run --resume "$WORK/cost" -q > /dev/null 2>&1 &&
    "$PY" -c 'import json,sys; json.load(open(sys.argv[1]), parse_constant=lambda c: sys.exit("non-JSON constant " + c))' \
        "$WORK/cost/summary.json" && ! grep -q 'inf\|nan' "$WORK/cost/journal.jsonl" &&
    pass "F7: journal numbers 4e19 / 1e999 on resume: strict JSON out" ||
    fail "F7: journal numbers 4e19 / 1e999 on resume"
# xv with a non-finite coordinate
damaged xv 's/"xv":\[[0-9.e-]*,/"xv":[1e999,/'
expect 2 "journal.jsonl: line 2: xv must be an array of finite numbers of the objective's dimension" \
    "journal xv 1e999 on resume" "$BIN" run --resume "$WORK/xv" -q

# --- row 1: every evaluation fails (a missing script). Before: exit 0, nothing on stderr.
cat > "$WORK/fail.json" <<JSON
{"objective": {"type": "external", "command": "/usr/bin/python3 $WORK/no_such_objective.py",
 "parameters": [{"name": "a", "bounds": [0, 1]}]}, "budget": 5, "strategy": "random", "seed": 1}
JSON
expect 3 "llmbo run: evaluation 0 failed: external objective" \
    "row 1: all evaluations fail: exit 3, first reason" "$BIN" run "$WORK/fail.json" --out "$WORK/fail" -q
grep -qF "llmbo run: no evaluation succeeded (5 of 5 failed; the first: external objective" "$WORK/err" &&
    [ "$(grep -c 'failed: external' "$WORK/err")" -eq 1 ] &&
    pass "row 1: one reason, then the count: $(tail -1 "$WORK/err" | cut -c1-120)..." ||
    fail "row 1: stderr $(cat "$WORK/err")"
# a debug print before the number; stop after K consecutive failures (default 10)
cat > "$WORK/obj.py" <<'PY'
import json, sys
json.load(sys.stdin)
print("debug: evaluating")
print(1.5)
PY
cat > "$WORK/dbg.json" <<JSON
{"objective": {"type": "external", "command": "/usr/bin/python3 $WORK/obj.py",
 "parameters": [{"name": "a", "bounds": [0, 1]}]}, "budget": 30, "strategy": "random", "seed": 1}
JSON
expect 3 "llmbo run: stopped after 10 failed evaluations in a row (10 of 10 failed; the last: external objective" \
    "row 1: stop after 10 failures in a row" "$BIN" run "$WORK/dbg.json" --out "$WORK/dbg" -q
[ "$(wc -l < "$WORK/dbg/journal.jsonl")" -eq 10 ] && grep -qF "continue with llmbo run --resume $WORK/dbg" "$WORK/err" &&
    pass "row 1: 10 journalled, resume named" || fail "row 1: journal $(wc -l < "$WORK/dbg/journal.jsonl") lines"
expect 3 "no evaluation succeeded (30 of 30 failed" "row 1: --max-failures 0 never stops" \
    "$BIN" run "$WORK/dbg.json" --out "$WORK/dbg0" --max-failures 0 -q

# --- row 3: --out over the user's own files. Before: config.json/summary.json overwritten.
mkdir -p "$WORK/mine" && echo '{"mine": 1}' > "$WORK/mine/config.json" && echo '{}' > "$WORK/mine/summary.json"
expect 2 "the directory holds files llmbo did not write (" "row 3: --out over the user's files" \
    "$BIN" run "$WORK/r.json" --out "$WORK/mine" -q
[ "$(cat "$WORK/mine/config.json")" = '{"mine": 1}' ] && pass "row 3: the user's config.json untouched" ||
    fail "row 3: config.json overwritten"
mkdir -p "$WORK/benchdir/runs" && echo '{}' > "$WORK/benchdir/bench.json"
expect 2 "the directory holds files llmbo did not write (" "row 3: --out at a bench directory" \
    "$BIN" run "$WORK/r.json" --out "$WORK/benchdir" -q
mkdir -p "$WORK/empty"
expect 0 "" "row 3: --out an empty directory" "$BIN" run "$WORK/r.json" --out "$WORK/empty" -q

# --- row 6: the README's `llmbo run CONFIG --resume DIR`. Before: refused.
cp -r "$WORK/base" "$WORK/res6" && rm "$WORK/res6/summary.json" && head -3 "$WORK/base/journal.jsonl" > "$WORK/res6/journal.jsonl"
expect 0 "" "row 6: llmbo run CONFIG --resume DIR" "$BIN" run "$WORK/r.json" --resume "$WORK/res6" -q
[ "$(wc -l < "$WORK/res6/journal.jsonl")" -eq 6 ] && pass "row 6: resumed to 6 evaluations" || fail "row 6: resume"
sed 's/"budget": 6/"budget": 7/' "$WORK/r.json" > "$WORK/r7.json"
expect 2 "r7.json is not the config of the run in $WORK/res6 (\"budget\" differs from $WORK/res6/config.json)" \
    "row 6: another CONFIG with --resume" "$BIN" run "$WORK/r7.json" --resume "$WORK/res6" -q

# --- row 17: no --out. Before: nothing written. Now a run directory under runs/, named first.
mkdir -p "$WORK/cwd"
(cd "$WORK/cwd" && "$BIN" run "$WORK/r.json" -q > /dev/null 2> err17)
d=$(ls -d "$WORK"/cwd/runs/r-* 2>/dev/null | head -1)
[ -n "$d" ] && [ "$(wc -l < "$d/journal.jsonl")" -eq 6 ] &&
    grep -qF "llmbo run: writing the run to runs/$(basename "$d") (no --out given)" "$WORK/cwd/err17" &&
    pass "row 17: $(head -1 "$WORK/cwd/err17")" || fail "row 17: $(cat "$WORK/cwd/err17")"

# --- row 18: Ctrl-C. Before: exit 130, no message.
cat > "$WORK/slow.py" <<'PY'
import json, sys, time
x = json.load(sys.stdin)
time.sleep(0.3)
print(x["a"] ** 2)
PY
cat > "$WORK/slow.json" <<JSON
{"objective": {"type": "external", "command": "/usr/bin/python3 $WORK/slow.py",
 "parameters": [{"name": "a", "bounds": [0, 1]}]}, "budget": 40, "strategy": "random", "seed": 1}
JSON
"$BIN" run "$WORK/slow.json" --out "$WORK/slow" -q > /dev/null 2> "$WORK/err18" &
pid=$!
# As long as it runs (no fixed time on a loaded machine): the first evaluation is journalled.
while [ ! -s "$WORK/slow/journal.jsonl" ] && kill -0 $pid 2> /dev/null; do sleep 0.05; done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && grep -qF "llmbo run: interrupted; every finished evaluation is in $WORK/slow/journal.jsonl. Continue with: llmbo run --resume $WORK/slow" "$WORK/err18" &&
    pass "row 18: exit 130, '$(grep interrupted "$WORK/err18")'" || fail "row 18: exit $rc, '$(cat "$WORK/err18")'"

# --- row 19: a random run's summary named an unused acquisition. Now null.
"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["acquisition"] is None else 1)' \
    "$WORK/base/summary.json" && pass "row 19: random run: \"acquisition\": null" || fail "row 19: acquisition"


# --- row 2: a bench whose strategies all fail. Before: "4 of 4 runs done, 0 failed", exit 0;
# the report ranked the all-failed strategies 1.5, put both on the Pareto front, empty plots.
cat > "$WORK/bfail.json" <<JSON
{"seeds": [0, 1], "budget": 6,
 "objectives": [{"name": "mine", "objective": {"type": "external",
   "command": "/usr/bin/python3 $WORK/no_such_objective.py",
   "parameters": [{"name": "a", "bounds": [0, 1]}, {"name": "b", "bounds": [0, 2]}]}}],
 "strategies": [{"name": "random", "strategy": "random"}, {"name": "gp", "strategy": "gp"}]}
JSON
expect 1 "llmbo bench: no evaluation succeeded in any run" "row 2: bench of failing runs: exit 1" \
    "$BIN" bench "$WORK/bfail.json" --out "$WORK/bfail" -q
grep -qF "failed (exit status 3; 6 of 6 evaluations failed): llmbo run: no evaluation succeeded (6 of 6 failed; the first: external objective" "$WORK/err" &&
    grep -qF "0 of 4 runs done (0 were already done), 4 failed, in " "$WORK/err" &&
    grep -qF "24 of 24 evaluations failed" "$WORK/err" &&
    pass "row 2: the run's own reason on the bench's stderr: $(grep -m1 'evaluations failed):' "$WORK/err" | cut -c1-160)..." ||
    fail "row 2: bench stderr $(cat "$WORK/err")"
expect 0 "report: WARNING: strategy gp on mine: no successful evaluation in 2 finished runs; no rank, no Pareto front (see report.md)" \
    "row 2: report warns per strategy" "$BIN" report "$WORK/bfail"
grep -qF "## WARNING: no successful evaluation" "$WORK/bfail/report.md" &&
    grep -qF -- "- **gp** on **mine**: 2 runs, every evaluation failed; the first reason: external objective" "$WORK/bfail/report.md" &&
    pass "row 2: report.md says so before any table" || fail "row 2: report.md $(head -20 "$WORK/bfail/report.md")"
"$PY" - "$WORK/bfail" <<'PY' && pass "row 2: no rank, no Pareto membership, a note on every plot (well-formed SVG)" || fail "row 2: summary.csv / plots"
import csv, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/summary.csv")))
assert len(rows) == 2, rows
for r in rows:
    assert r["rank"] == "" and r["avg_rank"] == "" and r["final_median"] == "", r
    assert r["pareto"] == "0" and r["pareto_overall"] == "0" and r["no_success"] == "1", r
for f in ("regret-mine.svg", "pareto-mine.svg", "pareto-overall.svg"):
    text = "".join(ET.parse(d + "/" + f).getroot().itertext())
    assert "gp: no successful evaluation" in text and "random: no successful evaluation" in text, (f, text)
PY

# --- row 10: the best value and parameters first. Before: only in runs/*/*/seed-*/summary.json.
cat > "$WORK/bbest.json" <<'JSON'
{"seeds": [3, 4], "budget": 8, "init": {"n": 4}, "objectives": ["branin"],
 "strategies": [{"name": "random", "strategy": "random"}, {"name": "gp", "strategy": "gp"}]}
JSON
"$BIN" bench "$WORK/bbest.json" --out "$WORK/bbest" -q 2> /dev/null && "$BIN" report "$WORK/bbest" 2> /dev/null ||
    fail "row 10: bench"
# Independent truth: the smallest best_y of the four summaries, and llmbo eval at the reported
# parameters gives the reported value.
"$PY" - "$WORK/bbest" "$BIN" <<'PY' && pass "row 10: report.md opens with $(sed -n 7p "$WORK/bbest/report.md" | cut -c1-120)" || fail "row 10: best found"
import csv, glob, json, subprocess, sys
d, binary = sys.argv[1], sys.argv[2]
sums = {p: json.load(open(p)) for p in glob.glob(d + "/runs/branin/*/seed-*/summary.json")}
assert len(sums) == 4
path, best = min(sums.items(), key=lambda kv: kv[1]["best_y"])
strategy, seed = path.split("/")[-3], path.split("/")[-2][len("seed-"):]
lines = open(d + "/report.md").read().split("\n")
assert lines[2] == "## Best found", lines[:4]
row = "| branin | %.10g (min) | %s, seed %s | `%s` |" % (
    best["best_y"], strategy, seed, json.dumps(best["best_x"], separators=(",", ":")))
assert lines[6] == row, (lines[6], row)
x = [best["best_x"][k] for k in best["best_x"]]
y = float(subprocess.check_output([binary, "eval", "branin"] + [repr(v) for v in x]))
assert abs(y - best["best_y"]) <= 1e-12 * max(1.0, abs(y)), (y, best["best_y"])
for r in csv.DictReader(open(d + "/summary.csv")):
    mine = min((s for p, s in sums.items() if "/%s/" % r["strategy"] in p), key=lambda s: s["best_y"])
    assert float(r["best_y"]) == float("%.10g" % mine["best_y"]), r
    assert json.loads(r["best_x"]) == mine["best_x"], r
PY

# --- row 3, bench side: --out over the user's files. Before: accepted.
mkdir -p "$WORK/bmine" && echo 'my notes' > "$WORK/bmine/notes.txt"
expect 2 "llmbo bench: --out $WORK/bmine: the directory holds files llmbo did not write (notes.txt)" \
    "row 3: bench --out over the user's files" "$BIN" bench "$WORK/bbest.json" --out "$WORK/bmine" -q
[ "$(ls "$WORK/bmine")" = notes.txt ] && pass "row 3: nothing written there" || fail "row 3: $(ls "$WORK/bmine")"
expect 2 "llmbo bench: --out $WORK/base holds a run of llmbo run, not a bench; choose another --out" \
    "row 3: bench --out at a run directory" "$BIN" bench "$WORK/bbest.json" --out "$WORK/base" -q
mkdir -p "$WORK/bempty"
expect 0 "" "row 3: bench --out an empty directory" "$BIN" bench "$WORK/bbest.json" --out "$WORK/bempty" -q
expect 0 "" "row 3: bench --out its own bench directory (resumed)" "$BIN" bench "$WORK/bbest.json" --out "$WORK/bempty" -q

# --- row 9, bench side: progress by evaluations, from the cells' journals. Before: "0/20 runs
# done, ETA --:--" until the first run ended, and no failure count. On a terminal (script(1)),
# -j 1: after the first run ends the second is pending, so that line must show an ETA.
cat > "$WORK/half.py" <<'PY'
import json, sys
x = json.load(sys.stdin)
if x["a"] > 0.5:
    sys.exit("a > 0.5 is out of range")
print(x["a"] ** 2)
PY
cat > "$WORK/bprog.json" <<JSON
{"seeds": [0], "budget": 6, "init": {"n": 3},
 "objectives": [{"name": "half", "objective": {"type": "external",
   "command": "/usr/bin/python3 $WORK/half.py", "parameters": [{"name": "a", "bounds": [0, 1]}]}}],
 "strategies": [{"name": "random", "strategy": "random"}, {"name": "gp", "strategy": "gp"}]}
JSON
# script(1) needs a pseudo-terminal; a bare chroot without /dev/pts has none.
if ! script -qec true /dev/null > /dev/null 2>&1; then
    echo "SKIP: row 9: bench progress on a terminal: script(1) cannot open a pseudo-terminal here (no /dev/pts?)"
else
    script -qec "$BIN bench $WORK/bprog.json --out $WORK/bprog -j 1" /dev/null > "$WORK/prog.txt" 2>&1
    tr '\r' '\n' < "$WORK/prog.txt" | grep -a 'bench: ' > "$WORK/prog.lines"
    first=$(grep -a -m1 'runs 1/2 done' "$WORK/prog.lines" || true)
    last=$(grep -a 'bench: [0-9]*/[0-9]* evaluations' "$WORK/prog.lines" | tail -1)
    if echo "$first" | grep -qE 'bench: 6/12 evaluations, [0-9]+ failed \| runs 1/2 done, [01] running, 0 failed \| [0-9:]+ elapsed, ETA [0-9][0-9]:[0-9][0-9] \|' &&
        echo "$last" | grep -qE 'bench: 12/12 evaluations, [0-9]+ failed \| runs 2/2 done' &&
        [ "$(tail -c 1 "$WORK/prog.txt" | od -An -c | tr -d ' ')" = '\n' ] &&
        grep -aq 'llmbo bench: run .*/random/seed-0: [0-9]* of 6 evaluations failed; the first: evaluation' "$WORK/prog.lines"; then
        pass "row 9: bench progress: '$(echo "$first" | sed 's/.*bench: /bench: /' | cut -c1-110)'"
    else
        fail "row 9: bench progress: $(cat "$WORK/prog.lines")"
    fi
fi


# --- row 7: a bench on a full disk. Before: "run ... failed; see run.log" 12 times, every
# run.log empty, ENOSPC nowhere (and a run whose marker file could not be written freed its
# stream twice: "free(): double free detected"). Reproduced on a 256 KiB tmpfs in a private
# mount namespace (unshare -m as root, unshare -rm otherwise), 80 KiB left free: the runs'
# journals fill it. Skipped where no namespace can be made.
if [ "$(id -u)" = 0 ]; then US="unshare -m"; else US="unshare -rm"; fi
if $US true 2> /dev/null; then
    cat > "$WORK/bfull.json" <<'JSON'
{"seeds": [0, 1, 2], "budget": 60, "objectives": ["branin", "hartmann3"],
 "strategies": [{"name": "random", "strategy": "random"}, {"name": "gp", "strategy": "gp"}]}
JSON
    cat > "$WORK/full.sh" <<'SH'
mnt=$1 bin=$2 cfg=$3 out=$4
mount -t tmpfs -o size=256k tmpfs "$mnt" || exit 77
dd if=/dev/zero of="$mnt/filler" bs=4k count=44 2> /dev/null
"$bin" bench "$cfg" --out "$mnt/b" -j 1 -q 2> "$out.err"
echo $? > "$out.rc"
for f in "$mnt"/b/runs/*/*/seed-*/run.log; do printf '== %s\n' "$f"; cat "$f"; done > "$out.logs" 2> /dev/null
SH
    mkdir -p "$WORK/mnt"
    $US bash "$WORK/full.sh" "$WORK/mnt" "$BIN" "$WORK/bfull.json" "$WORK/full"
    if [ "$(cat "$WORK/full.rc" 2> /dev/null)" = 1 ] &&
        grep -qF "No space left on device" "$WORK/full.err" &&
        grep -q "^llmbo run: .*: No space left on device" "$WORK/full.logs" &&
        ! grep -q "double free\|signal 6" "$WORK/full.err"; then
        pass "row 7: full disk: $(grep -m1 'No space left' "$WORK/full.err" | sed "s#$WORK/##g" | cut -c1-200)"
    else
        fail "row 7: full disk: exit $(cat "$WORK/full.rc" 2> /dev/null); $(head -5 "$WORK/full.err"); logs: $(head -8 "$WORK/full.logs")"
    fi
else
    echo "SKIP: row 7: no mount namespace here (unshare); the full-disk bench is not reproduced"
fi

finish
