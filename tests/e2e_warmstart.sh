#!/bin/bash
# e2e_warmstart.sh: "init.from" (earlier journals, run directories, CSV files) and
# "init.points". Checks: imported observations open the journal (source "data", their values)
# and the budget counts new evaluations only (unless "counted"); the given points are evaluated
# first; the best so far includes the imported ones; a warm-started run killed and resumed
# loses and repeats nothing and does not import twice; llmbo ask starts with the given points;
# every bad input is refused with the file (or key) and line named.
set -u
. "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

echo '{"objective": "branin", "budget": 12, "seed": 3}' > prev.json
"$BIN" run prev.json --out prev -q > /dev/null || fail "previous run"
printf 'x2,x1,value\n2.275,-3.14159,0.397887\n"7.5",  0.5 ,failed\n\n' > lab.csv
cat > warm.json <<'EOF2'
{"objective": "branin", "budget": 8, "seed": 4,
 "init": {"from": ["prev", "lab.csv"], "points": [{"x1": 9.42478, "x2": 2.475}]}}
EOF2
"$BIN" run warm.json --out warm -q > /dev/null || fail "warm run"
"$PY" - <<'EOF2' && pass "12 + 2 imported (source data, values kept, a failure kept), init.points evaluated first, 8 new evaluations, best includes the imported optimum" || fail "warm run's journal"
import json, sys
prev = [json.loads(l) for l in open("prev/journal.jsonl")]
j = [json.loads(l) for l in open("warm/journal.jsonl")]
s = json.load(open("warm/summary.json"))
ids = sorted(o["id"] for o in j)
assert ids == list(range(22)), ids
data = [o for o in j if o["source"] == "data"]
assert [o["id"] for o in data] == list(range(14)), data
assert [o["y"] for o in data[:12]] == [o["y"] for o in prev], "previous values"
assert data[12]["y"] == 0.397887 and data[12]["x"] == {"x1": -3.14159, "x2": 2.275}
assert data[13]["status"] == "failed" and data[13]["xv"] == [0.5, 7.5]
first = [o for o in j if o["id"] == 14][0]
assert first["source"] == "init" and first["xv"] == [9.42478, 2.475], first
assert s["evaluations"] == 22 and s["imported"] == 14 and s["budget"] == 8 and s["complete"], s
assert s["best_y"] <= 0.397887, s["best_y"]
EOF2

# counted: the budget includes the imported observations.
cat > counted.json <<'EOF2'
{"objective": "branin", "budget": 15, "seed": 4, "init": {"from": ["prev/journal.jsonl"], "counted": true}}
EOF2
"$BIN" run counted.json --out counted -q > /dev/null &&
    [ "$(wc -l < counted/journal.jsonl)" -eq 15 ] && pass "counted: 12 imported + 3 new = budget 15" ||
    fail "counted"

# Kill a warm-started run, resume: every id once, imported once, same as uninterrupted.
cat > slow.json <<EOF2
{"objective": {"type": "external", "command": "sleep 0.05; $PY -c 'import json,sys,math; p=json.load(sys.stdin); x,y=p[\"x1\"],p[\"x2\"]; print((y-5.1/(4*math.pi**2)*x*x+5/math.pi*x-6)**2+10*(1-1/(8*math.pi))*math.cos(x)+10)'",
  "parameters": [{"name": "x1", "bounds": [-5, 10]}, {"name": "x2", "bounds": [0, 15]}]},
 "budget": 14, "seed": 4, "workers": 2, "init": {"from": ["prev"], "points": [{"x1": 1, "x2": 2}]}}
EOF2
"$BIN" run slow.json --out ref -q > /dev/null || fail "slow reference"
"$BIN" run slow.json --out k -q > /dev/null 2>&1 &
pid=$!
while kill -0 $pid 2> /dev/null; do # as long as it runs: no fixed time on a loaded machine
    [ -f k/journal.jsonl ] && [ "$(wc -l < k/journal.jsonl)" -ge 17 ] && break
    sleep 0.02
done
kill -9 $pid 2> /dev/null
wait $pid 2> /dev/null
echo "  killed with $(wc -l < k/journal.jsonl) journal lines"
"$BIN" run --resume k -q > /dev/null || fail "resume of a warm-started run"
"$PY" - <<'EOF2' && pass "warm-started run killed and resumed: ids once, 12 imported once, same points and values as uninterrupted" || fail "warm resume"
import json
def load(d):
    return {o["id"]: (o["xv"], o["y"], o["source"]) for o in map(json.loads, open(d + "/journal.jsonl"))}
a, b = load("ref"), load("k")
ids = [json.loads(l)["id"] for l in open("k/journal.jsonl")]
assert sorted(ids) == list(range(26)), ids
assert sum(1 for v in b.values() if v[2] == "data") == 12
assert a == b, [i for i in a if a[i] != b.get(i)]
EOF2

# llmbo ask starts with init.points.
"$BIN" ask at --config warm.json -n 2 > at.out || fail "ask with init"
grep -q '^{"id":14,"x":{"x1":9.42478,"x2":2.475},.*"source":"init"}$' at.out &&
    grep -q '^{"id":15,' at.out && [ "$(wc -l < at.out)" -eq 2 ] &&
    pass "llmbo ask --config: the given point first, then a new one" || fail "ask with init: $(cat at.out)"

expect() { # expect MESSAGE WHAT CONFIG-INIT
    printf '{"objective": "branin", "budget": 5, "init": %s}\n' "$3" > bad.json
    rm -rf bad
    "$BIN" run bad.json --out bad -q > /dev/null 2> err
    local rc=$?
    if [ $rc -eq 2 ] && grep -qF -- "$1" err; then
        pass "$2: '$1'"
    else
        fail "$2: exit $rc, '$(cat err)' (want '$1')"
    fi
}
csv() { printf "$2" > "$1"; }
csv out.csv 'x1,x2,value\n1,2,3\n10.5,1,2\n'
expect "bad.json: init.from: out.csv: line 3: x1: 10.5 outside bounds [-5, 10] (outside the space: the point is refused)" \
    "CSV point outside the space" '{"from": ["out.csv"]}'
csv sub.csv 'x1,x2,value\n1,2,1e-320\n1,2,1e999\n'
expect "sub.csv: line 3, column 3 (value): expected a finite number or \"failed\", got \"1e999\"" \
    "CSV: 1e-320 (line 2) is a number, 1e999 is not" '{"from": ["sub.csv"]}'
csv col.csv 'x1,x2,value,note\n'
expect "col.csv: line 1, column 4: unknown column \"note\"; expected the parameters x1, x2 and \"value\"" \
    "CSV unknown column" '{"from": ["col.csv"]}'
csv miss.csv 'x1,value\n1,2\n'
expect "miss.csv: line 1: no column \"x2\"" "CSV missing column" '{"from": ["miss.csv"]}'
csv num.csv 'x1,x2,value\n1,2,3\n1,two,3\n'
expect "num.csv: line 3, column 2 (x2): expected a number, got \"two\"" "CSV bad number" '{"from": ["num.csv"]}'
csv val.csv 'x1,x2,value\n1,2,\n'
expect "val.csv: line 2, column 3 (value): expected a finite number or \"failed\", got \"\"" \
    "CSV empty value" '{"from": ["val.csv"]}'
csv quote.csv 'x1,x2,value\n1,"2,3\n'
expect "quote.csv: line 3: a quoted field opened on line 2 is never closed" "CSV open quote" \
    '{"from": ["quote.csv"]}'
csv short.csv 'x1,x2,value\n1,2\n'
expect "short.csv: line 2: 2 fields, the header has 3" "CSV short row" '{"from": ["short.csv"]}'
csv empty.csv ''
expect "empty.csv: empty; expected a header row" "CSV empty" '{"from": ["empty.csv"]}'
echo '{"objective": "hartmann3", "budget": 3, "strategy": "random"}' > h3.json
"$BIN" run h3.json --out h3 -q > /dev/null
expect "h3/journal.jsonl: line 1: x: unknown parameter \"x3\"" "journal of another space" '{"from": ["h3"]}'
expect "init.from: nowhere.csv: cannot read" "missing file" '{"from": ["nowhere.csv"]}'
expect "bad.json: init.from[0]: expected a non-empty file name" "init.from not names" '{"from": [3]}'
expect "bad.json: init.points[0]: parameter \"x2\": expected a number" "init.points type" \
    '{"points": [{"x1": 1, "x2": "a"}]}'
expect "bad.json: init.points[0]: x1: 11 outside bounds [-5, 10]" "init.points outside" \
    '{"points": [{"x1": 11, "x2": 1}]}'
expect "init.from: 12 imported observations and 0 init.points exceed the budget 5" \
    "counted over budget" '{"from": ["prev"], "counted": true}'

# ---- a kill inside the warm start, then --resume ------------------------------------------------
# The warm start is two batches: the imported observations (init.from), then init.points. A kill
# after config.json and before the first batch reached asked.jsonl (A), or between the batches
# (B: journal lines written; C: not yet), must resume into the uninterrupted run: the same
# journal (timings aside) and the same asked.jsonl byte for byte, and resume again. A point with
# 17 significant digits checks that config.json, which a fresh start reads back, keeps it exact.
printf 'x1,x2,y\n1.0,2.0,20.5\n3.0,4.0,5.1\n-2.0,10.0,9.9\n' >ws.csv
printf '{"objective": "branin", "budget": 14, "strategy": "gp", "seed": 3, "init": {"from": ["%s"], "points": [{"x1": 0.6324785342440009, "x2": 0.5}, {"x1": 9.0, "x2": 3.0}]}}\n' "$PWD/ws.csv" >ws.json
"$BIN" run ws.json --out wsref -q >/dev/null || fail "warm-start reference run"
# A kill can also tear a batch's write: D keeps 1 of the 3 observations' asked lines, E the
# observations and 1 of the 2 points' (and its journal lines).
for c in A B C D E; do
    rm -rf ws$c && mkdir ws$c && cp wsref/config.json ws$c/
    case $c in
    B | C) head -3 wsref/asked.jsonl >ws$c/asked.jsonl ;;
    D) head -1 wsref/asked.jsonl >ws$c/asked.jsonl ;;
    E) head -4 wsref/asked.jsonl >ws$c/asked.jsonl ;;
    esac
    case $c in B | E) head -3 wsref/journal.jsonl >ws$c/journal.jsonl ;; esac
    "$BIN" run --resume ws$c -q >/dev/null 2>err.txt || fail "resume of state $c: $(cat err.txt)"
    "$PY" - wsref ws$c <<'EOF' || fail "state $c resumed into another run"
import json, sys
def lines(d):
    out = []
    for l in open(d + "/journal.jsonl"):
        o = json.loads(l)
        o.pop("t_eval"), o.pop("t_wall")
        out.append(o)
    return out
a, b = sys.argv[1], sys.argv[2]
assert lines(a) == lines(b), "journals differ"
assert open(a + "/asked.jsonl").read() == open(b + "/asked.jsonl").read(), "asked.jsonl differs"
EOF
    "$BIN" run --resume ws$c -q >/dev/null 2>err.txt || fail "a second resume of state $c: $(cat err.txt)"
done
pass "a kill inside the warm start (before it, between its two batches with and without their journal lines, inside either batch's write) resumes into the uninterrupted run, asked.jsonl byte for byte"

finish
